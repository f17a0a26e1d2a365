/*
 * solver.h — the one list of solvers, shared by the command line, the trainer, the solvers
 * themselves and the checkpoint.
 *
 * The values of the concrete solvers are stored in checkpoints: never renumber them; a new
 * solver takes the next free value. SOLVER_AUTO is resolved (solver_resolve) before any
 * solver runs, so it is never stored.
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
