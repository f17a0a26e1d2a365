/*
 * prox.h — proximal gradient descent for the penalised, robust and weighted objective:
 * the elastic net (--l1 with --l2), the Huber loss (--loss huber) and sample weights
 * (--weights), data-parallel across ranks like gd.h (one fused pass and one Allreduce an
 * epoch; every rank applies the same update).
 *
 * Objective on the scaled weights, θ = (b, w), ω_i the sample weights, m = Σ ω_i:
 *     J(θ[, σ]) = 1/(2m) Σ_i ω_i ℓ(e_i) + l2/(2m) ‖w‖² + l1/m ‖w‖₁,   e_i = b + w·x_i − y_i
 *   squared   ℓ(e) = e²
 *   huber     ℓ(e) = σ + σ·H_δ(e/σ),  H_δ(z) = z² (|z| ≤ δ), 2δ|z| − δ² (|z| > δ),
 *             minimised jointly over θ and the scale σ > 0 (the formulation of scikit-learn's
 *             HuberRegressor and Spark: 2m·J is HuberRegressor's objective with
 *             alpha = l2, epsilon = δ, sample_weight = ω). J is jointly convex in (θ, σ).
 * The intercept is never penalised. Smooth part f = J without the l1 term:
 *     squared  ∂f/∂b = 1/m Σ ω e,  ∂f/∂w_j = 1/m Σ ω e x_ij + l2/m w_j
 *     huber    ∂f/∂b = 1/m Σ ω ψ(z),  ∂f/∂w_j = 1/m Σ ω ψ(z) x_ij + l2/m w_j,
 *              ∂f/∂σ = 1/(2m) Σ ω (1 − min(z², δ²)),   z = e/σ, ψ(z) = clip(z, −δ, δ)
 *
 * Solver (FISTA, Beck & Teboulle 2009, with the restart of gd.h's nesterov):
 *     p  = prox_{α g}(v − α ∇f(v)):  b and σ a plain step (σ kept ≥ PROX_SIGMA_FLOOR·σ₀),
 *          w_j = S(v_j − α ∂f/∂w_j, α·l1/m),  S(u, t) = sign(u)·max(|u| − t, 0)
 *     G  = (v − p)/α, the proximal-gradient residual (the gradient when l1 = 0)
 *     gd: θ ← p;  nesterov: v ← p + k/(k+3)(p − θ), θ ← p, restart (k ← 0, v ← p) when
 *     G·(p − θ) > 0 (the step points uphill for the momentum).
 * Step: squared α = 1/L, L = λmax(X̃ᵀΩX̃/m) + l2/m (power iteration, as gd.h, weighted);
 *       huber α = 1/((1.05 λmax + δ²)/σ_v + l2/m): the Hessian of f in (θ, σ) is at most
 *       (1/(mσ)) Σ_inliers ω (x̃, −z)(x̃, −z)ᵀ + l2/m, whose norm is ≤ (λmax + δ²)/σ + l2/m.
 *       A given --lr replaces 1/L (squared) and 1/(1.05 λmax + δ²) (huber).
 * Stopping, as gd.h with ‖G‖ in place of ‖∇J‖: tol auto when ‖G‖ ≤ 1e-14·‖G₁‖, or after
 * 50 epochs of a loss flat at rounding level with no new low of ‖G‖ (stalled); tol X on
 * the relative loss change. Then prox_certify decides what is reported as converged.
 *
 * Shapes: N local rows, D features; X N×D row-major, θ D+1 (θ[0] = b).
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_PROX_H
#define LINREG_PROX_H

#include "gd.h"

#define PROX_SIGMA_FLOOR 1e-12     /* σ ≥ this · its start */
#define PROX_HUBER_RESIDUAL 1e-10  /* huber: "converged" when ‖G‖ ≤ this · ‖G₁‖ */

/* Does this run need prox_run (weights, l1 or Huber) rather than gd_run? */
static inline int prox_needed(const struct gd_problem *pb, const struct gd_params *p)
{
    return pb->w || pb->weighted || p->l1 > 0 || p->huber;
}

/* S(u, t) = sign(u)·max(|u| − t, 0): the proximal map of t‖·‖₁; exactly 0 on [−t, t]. */
static inline double prox_soft_threshold(double u, double t)
{
    return u > t ? u - t : u < -t ? u + t : 0.0;
}

/* H_δ(z) and ψ(z) = H_δ'(z)/2 = clip(z, −δ, δ). */
static inline double prox_huber_rho(double z, double delta)
{
    double a = z < 0 ? -z : z;
    return a <= delta ? z * z : 2 * delta * a - delta * delta;
}
static inline double prox_huber_psi(double z, double delta)
{
    return z > delta ? delta : z < -delta ? -delta : z;
}

/*
 * The fused kernel, weighted (w NULL: all 1), rows cut into par.h parts summed in order:
 *   squared (huber 0): out[0] = Σ ω e, out[1+j] = Σ ω e x_ij, out[D+1] = Σ ω e², out[D+2] = 0
 *   huber:             out[0] = Σ ω ψ, out[1+j] = Σ ω ψ x_ij, out[D+1] = Σ ω ℓ(e),
 *                      out[D+2] = Σ ω (1 − min(z², δ²))
 * (y NULL counts as zeros). Same bits for every thread count.
 */
void prox_partials(const double *X, const double *y, const double *w, int64_t n, int d,
                   const double *wt, double b, int huber, double sigma, double delta,
                   int n_threads, double *out);

/* Collective: the base step (see above) and, for Huber, the starting σ (*sigma0: the
   weighted spread of y around its weighted mean, 1 if that is 0). */
double prox_auto_lr(const struct gd_problem *pb, const struct gd_params *p);
double prox_sigma0(const struct gd_problem *pb);

/* Collective: epochs from s->epoch as gd_run (same contract, same epoch reports: loss = J,
   grad_norm = ‖G‖). s->sigma must be set for Huber before the first epoch. */
int prox_run(const struct gd_problem *pb, const struct gd_params *p, struct gd_state *s,
             gd_epoch_fn on_epoch, void *ctx, struct lr_error *e);

/* Collective: J at θ (and σ), one pass. */
double prox_objective(const struct gd_problem *pb, const struct gd_params *p, const double *theta,
                      double sigma);

/*
 * Collective: what "converged" means here, at θ (and s->sigma).
 * Squared loss (with or without l1, weights): J is μ-strongly convex with μ = λmin(H),
 * H = X̃ᵀΩX̃/m + l2/m (the intercept unpenalised), over the coordinates that can move. With
 * p = prox step from θ and G its residual, G − ∇f(θ) + ∇f(p) ∈ ∂J(p), so
 *     ‖p − θ*‖ ≤ 2‖G‖/μ   and   ‖θ − θ*‖ ≤ ‖G‖ (α + 2/μ);
 * c->bound is that over ‖θ‖ (0 at an exact zero residual), c->kappa = √(λmax/λmin),
 * c->grad_reduction = ‖G‖/‖G₁‖. "Converged" when bound ≤ GD_CERTIFY_BOUND. Up to
 * GD_CERTIFY_MAX_FEATURES features (else -1).
 * Huber: no global strong convexity constant is known cheaply, so the claim is the residual
 * test alone: c->bound = ‖G‖/‖G₁‖ (kappa NaN), "converged" when ≤ PROX_HUBER_RESIDUAL.
 */
int prox_certify(const struct gd_problem *pb, const struct gd_params *p, const struct gd_state *s,
                 struct gd_certificate *c);

/* The "converged" threshold on c->bound for this problem. */
static inline double prox_certify_limit(const struct gd_params *p)
{
    return p->huber ? PROX_HUBER_RESIDUAL : GD_CERTIFY_BOUND;
}

#endif
