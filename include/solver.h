/*
 * solver.h — the one list of solvers, shared by the command line, the trainer, the solvers
 * themselves and the checkpoint.
 *
 * The values of the concrete solvers are stored in checkpoints: never renumber them; a new
 * solver takes the next free value. SOLVER_AUTO is resolved (solver_resolve) before any
 * solver runs, so it is never stored.
 *
 * Adding a solver NAME (docs/design.md, "Adding a solver", says why):
 *   here          its value, solver_name(), and solver_resolve() if auto may pick it
 *   NAME.h/.c     the maths comment (J as gd.h states it, the update, the stopping test)
 *                 and, collective, never exiting, MPI only through comm.h:
 *                   NAME_run(pb, p, s, on_epoch, ctx, e)   as gd_run/prox_run: from s,
 *                     one Allreduce a step carrying pb->stop, gd_epoch_end() each step
 *                   (or a direct solver's problem struct and passes, as exact.h)
 *                   NAME_certify()   a struct gd_certificate, if it can prove convergence
 *                   kernels over par.h parts, each with a reference loop
 *   train.c       a case in fit() → fit_NAME(): theta, epoch, stop, cert in struct run
 *   cli.c         --solver's parser and --help; usage errors for options it does not take
 *   checkpoint    its state in struct gd_state (ckpt_encode/decode), or --checkpoint
 *                 and --resume refused
 *   docs          man/linreg_mpi.1, the README's options and source layout
 * Tests: its model against tests/tools/lstsq.c, NIST StRD (exact.sh), closed-form ridge
 * and scikit-learn (penalties.sh) under ranks 1–3 × threads 1–2; threads.sh's same bytes
 * for 1–8 threads; checkpoint.sh's kill -9 and resume before convergence, bit for bit;
 * failures.sh; unit tests test_cli.c, test_kernels.c, test_files.c.
 */
#ifndef LINREG_SOLVER_H
#define LINREG_SOLVER_H

enum solver {
    SOLVER_GD = 0,             /* plain gradient descent */
    SOLVER_NESTEROV = 1,       /* accelerated gradient descent with adaptive restart */
    SOLVER_AUTO = 2,           /* nesterov with --lr auto, gd with a given --lr */
    SOLVER_EXACT = 3,          /* QR factor and refinement (exact.h) */
};

/* The solver that `auto` stands for, given the --lr option (0 = auto). */
static inline enum solver solver_resolve(enum solver s, double lr_option)
{
    return s != SOLVER_AUTO ? s : lr_option > 0 ? SOLVER_GD : SOLVER_NESTEROV;
}

/* Its name as on the command line and in the model file. */
static inline const char *solver_name(enum solver s)
{
    return s == SOLVER_GD ? "gd" : s == SOLVER_NESTEROV ? "nesterov" : s == SOLVER_EXACT ? "exact"
                                                                         : "auto";
}

#endif
