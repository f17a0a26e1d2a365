/*
 * gd.h — full-batch gradient descent for least squares, data-parallel across ranks.
 *
 * Objective, θ = (b, w), m rows over all ranks:
 *     J(θ) = 1/(2m) Σ_i (b + w·x_i − y_i)²  +  λ/(2m) ‖w‖²
 *     ∂J/∂b = 1/m Σ_i e_i,   ∂J/∂w_j = 1/m Σ_i e_i x_ij + λ/m w_j,   e_i = b + w·x_i − y_i
 * Each epoch makes one fused pass over the local rows (gd_partials) and one Allreduce of
 * D+5 doubles (the D+2 sums, the validation rows' Σe², a stop flag so that a signal
 * that reached only some ranks stops them all after the same epoch, and a flag for a block
 * of rows a rank could not read, which stops them all before the epoch's incomplete sums
 * are used); every rank then applies the same update, so no weights are broadcast.
 * Early stopping (patience P, with validation rows): the weights with the lowest validation
 * loss are kept; training stops when P epochs pass without a lower one.
 *
 * Solvers:
 *   gd        θ ← θ − α ∇J(θ)                                    (the textbook method)
 *   nesterov  θ' = v − α ∇J(v);  v ← θ' + k/(k+3) (θ' − θ);  θ ← θ'   (accelerated), with
 *             adaptive restart (k ← 0, v ← θ' when ∇J(v)·(θ' − θ) > 0, O'Donoghue & Candès
 *             2015): about √κ times fewer epochs than gd on a problem of condition κ.
 * Learning rate auto: α = 1/L, L the largest eigenvalue of (1/m) X̃ᵀX̃ + λ/m (X̃ = [1 X]),
 * estimated by power iteration through the same kernel (a pass and an Allreduce each).
 * Stopping: after max_epochs, at an exact fit (J ≤ 1e-30 · J_1), and
 *   tol auto  when ‖∇J‖ ≤ 1e-14 · ‖∇J_1‖, or when for 50 epochs the loss has not changed
 *             by more than 1e-15 relatively and ‖∇J‖ has made no new low (rounding level:
 *             nothing more to gain). The
 *             gradient bounds the distance to the solution (‖θ − θ*‖ ≤ ‖∇J‖/μ), which a
 *             small loss change does not: the loss is flat along ill-determined directions.
 *             Preconditioned, also when ‖Pᵀ∇J‖ has not halved in 50 epochs: in z the
 *             Hessian is near the identity, so a run that still moves halves it every few
 *             epochs, and one that does not is at the rounding level of the gradient
 *             (whose noise also keeps the loss from looking flat: NIST's Filip).
 *   tol X     when |J_k − J_{k−1}| ≤ X · J_k; X = 0 runs exactly max_epochs.
 * Divergence: J not finite, or J > 1e4 · J_1.
 *
 * Preconditioned (pb->pc, precond.h): the same in z = P⁻¹θ: each step is
 *     θ' = v − α P Pᵀ∇J(v), ‖∇J‖ above is ‖Pᵀ∇J‖ and L is λmax(PᵀHP)
 * (the restart test ∇J·(θ' − θ) reads the same in z); the iterates stay in θ.
 *
 * Runs with sample weights, an L1 penalty or the Huber loss go to prox.h instead, which
 * shares these structs, the stopping rules (gd_stop_test) and the certificate's shape.
 *
 * Shapes: N local rows, D features; X N×D row-major, y N, θ D+1 (θ[0] = b).
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_GD_H
#define LINREG_GD_H

#include <signal.h>
#include <stdint.h>

#include "error.h"
#include "solver.h"

#define GD_AUTO_GTOL 1e-14
#define GD_STALL_TOL 1e-15
#define GD_STALL_EPOCHS 50
#define GD_EXACT_FIT 1e-30        /* J ≤ this · J_1: the loss reached zero */

/* Why training ended, besides max_epochs and a stop request. */
enum gd_stop { GD_RUNNING, GD_CONVERGED, GD_STALLED, GD_EARLY_STOP };

struct precond;

/* A block of a rank's rows (gd_problem.rows): n rows of X (N×D row-major), y, w (NULL: all
   1). */
typedef void (*gd_block_fn)(void *arg, const double *X, const double *y, const double *w,
                            int64_t n);

struct gd_problem {
    const double *X;           /* N×D row-major, this rank's rows; NULL when rows gives them */
    const double *y;           /* N */
    int64_t n_local;           /* N */
    int64_t n_total;           /* m, all ranks */
    int d;                     /* D */
    int n_threads;
    const volatile sig_atomic_t *stop;  /* non-zero on any rank: all stop after this epoch */
    const int *rows_failed;    /* non-zero on any rank: rows lost a block this epoch, whose
                                  sums are then incomplete: all stop before using them */
    const double *Xv, *yv;     /* validation rows on this rank (Nv×D, Nv), may be empty */
    int64_t nv_local, nv_total;
    int intercept;             /* 0: b stays 0 (--no-intercept): X̃ = X, ∂J/∂b unused */
    /* Sample weights (prox.h solves with them; gd_run does not read them) */
    const double *w, *wv;      /* ω of the training / validation rows; NULL: all 1 */
    double w_total, wv_total;  /* m = Σω over all ranks (the row counts without weights) */
    const struct precond *pc;  /* precond.h: steps θ ← v − α P Pᵀ∇J; NULL: P = I */
    /* Rows that memory does not hold (X, y, w NULL): a pass over them is rows(rows_ctx, fn,
       arg), which calls fn on every block of this rank's rows in order, in the solver's
       units, each a whole number of par.h's parts but the last, so that every sum comes out
       with the bits of the rows held at once. A block it cannot read ends its pass early;
       it keeps the error for the caller, who agrees on it after the solver. NULL: X. */
    void (*rows)(void *ctx, gd_block_fn fn, void *arg);
    void (*val_rows)(void *ctx, gd_block_fn fn, void *arg);  /* the same for Xv, yv, wv */
    void *rows_ctx;
    int weighted;              /* the rows carry weights (w, or rows's blocks) */
};

/* fn on every block of pb's rows, in order: X, y, w as one block, or rows's blocks. */
void gd_each_block(const struct gd_problem *pb, gd_block_fn fn, void *arg);

/* pb's validation rows as a problem of their own (its rows: Xv, yv, wv, or val_rows). */
struct gd_problem gd_validation(const struct gd_problem *pb);

struct gd_params {
    enum solver solver;        /* SOLVER_GD or SOLVER_NESTEROV */
    double lr;                 /* α; 0 = estimate (auto) */
    int64_t max_epochs;
    int tol_auto;              /* stopping rule auto (see above) */
    double tol;                /* else: relative loss improvement; 0 = run max_epochs */
    double l2;                 /* λ */
    int64_t patience;          /* > 0: stop after this many epochs without a better
                                  validation loss, and keep the best weights */
    double l1;                 /* L1 penalty (prox.h); 0: none */
    int huber;                 /* 1: Huber loss (prox.h) */
    double huber_delta;        /* δ of the Huber loss */
    int preconditioned;        /* pb->pc set: the stall rule below also watches halvings */
};

/* Everything the next epoch depends on: what a checkpoint must hold. */
struct gd_state {
    int64_t epoch;             /* epochs done */
    double *theta;             /* D+1: b, w — the iterate */
    double *look;              /* D+1: where the next gradient is taken (= theta for gd) */
    int64_t momentum_k;        /* nesterov: epochs since the last restart */
    double first_loss;         /* J at epoch 1, the divergence and exact-fit reference */
    double prev_loss;          /* J of the previous epoch */
    double lr;                 /* α in use */
    int stopped;               /* a rank asked to stop (signal, failed checkpoint) */
    double best_val_loss;      /* validation: the lowest loss so far (INFINITY before) */
    int64_t best_epoch, since_best;
    double *best_theta;        /* D+1: the weights that had best_val_loss */
    double first_grad_norm;    /* ‖∇J‖ at epoch 1, for the auto stopping rule */
    double best_grad_norm;     /* smallest ‖∇J‖ so far */
    int64_t stalled_epochs;    /* consecutive epochs the loss changed at rounding level */
    int stop;                  /* enum gd_stop: why the loop ended (GD_RUNNING until then) */
    double sigma, sigma_look;  /* Huber: the scale σ, and where the next gradient takes it */
    double first_sigma;        /* Huber: σ at the start (its floor is a fraction of it) */
    double halving_norm;       /* preconditioned: ‖Pᵀ∇J‖ when it last halved */
    int64_t since_halving;     /* epochs since */
};

/* What one epoch reports to the logger. */
struct gd_epoch_info {
    int64_t epoch;
    double loss;               /* J at the point the epoch's gradient was taken */
    double grad_norm;          /* ‖∇J‖ there */
    double lr;
    double seconds, compute_seconds, allreduce_seconds;
    double val_loss;           /* J on the validation rows there (no L2 term); NaN if none */
};

/* Called on every rank after each epoch's update (s is the state at the end of the epoch). */
typedef void (*gd_epoch_fn)(const struct gd_epoch_info *info, const struct gd_state *s,
                            void *ctx);

/*
 * The fused kernel: one pass over the local rows computes
 *     out[0] = Σ e_i,  out[1+j] = Σ e_i x_ij,  out[D+1] = Σ e_i²,   e_i = b + w·x_i − y_i
 * (y NULL counts as zeros). Rows are cut into PAR_CHUNK_ROWS parts (par.h) that any team of
 * threads shares out; part sums are added in part order, so the result has the same bits for
 * every thread count and team size.
 */
void gd_partials(const double *X, const double *y, int64_t n, int d, const double *w, double b,
                 int n_threads, double *out);
/* The same added to out (add 1: rows that follow those out holds, their parts summed on in
   order; add 0: gd_partials). */
void gd_partials_into(const double *X, const double *y, int64_t n, int d, const double *w,
                      double b, int n_threads, double *out, int add);

/*
 * Collective: a certificate for weights θ (scaled, θ[0] = b) of a run started at θ = 0 whose
 * first gradient had norm first_grad_norm. With H = (1/m) X̃ᵀX̃ + λ/m (the Hessian) and
 * κ² = λmax(H)/λmin(H), the strong convexity of J gives
 *     ‖θ − θ*‖/‖θ*‖ ≤ κ² · ‖∇J(θ)‖/‖∇J(0)‖        (since ‖∇J(0)‖ = ‖Hθ*‖ ≤ λmax‖θ*‖)
 * κ is the condition number of the design [1 X] as the solver saw it (∞ when its columns are
 * dependent). One gradient pass and one Gram pass (N·D² flops), then an O(D³) eigenvalue
 * solve: -1 (and NaNs) above GD_CERTIFY_MAX_FEATURES features. With a preconditioner the
 * bound is precond_certify's, in z (first_grad_norm is then ‖Pᵀ∇J(0)‖).
 */
#define GD_CERTIFY_MAX_FEATURES 200
#define GD_CERTIFY_BOUND 1e-8     /* "converged" under tol auto: bound at most this */
struct gd_certificate {
    double grad_reduction;     /* ‖∇J(θ)‖/‖∇J(0)‖ */
    double kappa;              /* κ */
    double bound;              /* κ² · grad_reduction */
    double kappa_z;            /* with a preconditioner: κ of PᵀHP (precond.h); else NaN */
};
int gd_certify(const struct gd_problem *pb, double l2, const double *theta,
               double first_grad_norm, struct gd_certificate *c);

/* Collective: α = 1/L by power iteration (see above). */
double gd_auto_lr(const struct gd_problem *pb, double l2);

/* Collective: λmax(X̃ᵀΩX̃/m) by power iteration from a fixed start (the Rayleigh quotient,
   from below). gram(pb, v, u) puts all ranks' X̃ᵀΩX̃v in u[0..d] (u has u_len entries of
   room); m: Σω, or the row count. gd_auto_lr and prox.h's solver use it. */
typedef void (*gd_gram_fn)(const struct gd_problem *pb, const double *v, double *u);
double gd_top_eigenvalue(const struct gd_problem *pb, gd_gram_fn gram, int u_len, double m);

void gd_state_init(struct gd_state *s, int d);

/* The stopping rules above, after epoch s->epoch with this loss and gradient norm; updates
   the stall counter (shared with prox.h's solver). */
/*
 * After an epoch's loss and gradient norm are known, every gradient solver's bookkeeping:
 * the epoch count, the first loss and gradient norm, divergence (-1 with LR_EDIVERGED in e,
 * naming the learning rate alpha), the stop test, and with a validation split (has_val)
 * early stopping on val_loss (the best weights are s->look).
 */
int gd_epoch_end(const struct gd_params *p, struct gd_state *s, int d, double loss,
                 double grad_norm, int has_val, double val_loss, double alpha,
                 struct lr_error *e);
enum gd_stop gd_stop_test(const struct gd_params *p, struct gd_state *s, double loss,
                          double grad_norm);
void gd_state_free(struct gd_state *s);

/*
 * Collective: run epochs from s->epoch until a stopping rule fires or pb->stop is raised on
 * some rank (s->stopped). Returns 0, or -1 with LR_EDIVERGED (the diverged epoch is not
 * applied and not reported to on_epoch, which may be NULL).
 */
int gd_run(const struct gd_problem *pb, const struct gd_params *p, struct gd_state *s,
           gd_epoch_fn on_epoch, void *ctx, struct lr_error *e);

#endif
