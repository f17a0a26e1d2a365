/*
 * precond.h — the gradient solvers' preconditioner: the R factor of a row sample.
 *
 * Gradient descent on J(θ) needs about κ(H) epochs (nesterov √κ(H)), H the Hessian
 * X̃ᵀΩX̃/m + l2/m on the z-scored design X̃ = [1 X]. Column scaling fixes the units of the
 * columns but not their correlation. With s rows of X̃ sampled uniformly (s a few dozen
 * times D), the R of their QR has RᵀR/s_ω ≈ X̃ᵀΩX̃/m (s_ω their Σω), so in the variables
 * z = Rθ the Hessian PᵀHP (P = R⁻¹) is near the identity whatever the correlation
 * (LSRN: Meng, Saunders and Mahoney 2014; Blendenpik: Avron, Maymounkov and Toledo 2010).
 * The solvers keep θ and take each step as θ ← v − α P Pᵀ ∇J(v): gradient descent in z,
 * still one fused pass and one Allreduce per epoch (P is (D+1)² flops, applied on every
 * rank to the reduced gradient). Their gradient norm is ‖Pᵀ∇J‖, the gradient in z.
 *
 * The sample: row i of the training rows (counted from the first, in file order, across
 * all ranks) is taken when a hash of i and the seed falls below s/N, so it is the same rows
 * for any rank and thread count. The rows as read (before the scaling, whose last bits
 * depend on the rank count) travel to every rank in rank (= file) order; rank 0 scales them
 * by their own mean and spread and factors them with the exact solver's QR
 * (exact_factor_local: parts and a fixed tree, the same bits for any thread count), and
 * broadcasts R⁻¹: the same bytes for every rank and thread count (pc->digest), unless a
 * column's fallback test below lands within rounding of its threshold (the tests compare
 * the data's Σωt², a reduced sum). Each rank then forms P = A·R⁻¹, A the map from the
 * solver's scaling to the sample's, so P's last bits carry the scaling's, as θ's do. Rank 0
 * also decides whether P is worth using (precond_worth_it) and every rank follows.
 *
 * What a uniform sample misses: a column whose spread the sample gets wrong (a one-hot
 * level in a handful of rows, a column nonzero in few rows: the sample's Σω t_j²/s_ω, t_j
 * the column as the solver scales it, differs from the data's by more than
 * PRECOND_DIAG_RATIO either way, or fewer than PRECOND_MIN_EFFECTIVE_ROWS·(1 − s/N) rows
 * hold it — (Σωt²)²/Σ(ωt²)² — or the column is constant),
 * and a column that is a combination of the earlier ones in the sample (a duplicated
 * column; the exact solver's alias rule) are left to column scaling: their P entry is
 * 1/√H_jj to the nearest power of two and they take no part in R. Each such column is
 * listed in fallback[] with why.
 *
 * With --l2 the ridge rows join the sample's factor (scaled to the sample's share of the
 * rows, the column ratios σ_j/σ_s,j rounded to single precision), so P fits H with its
 * penalty. Not for --l1 or the Huber loss: the proximal step's and the scale's
 * proofs need a separable metric there, and those runs keep column scaling (P = I).
 *
 * Shapes: m = D+1 (θ[0] = b); P m×m row-major, θ = P z.
 * Calls MPI only through comm.h; never exits except LR_FATAL on out of memory.
 */
#ifndef LINREG_PRECOND_H
#define LINREG_PRECOND_H

#include <stdint.h>

#include "gd.h"

#define PRECOND_DIAG_RATIO 2.0     /* the sample's Σωx²/s_ω off by more: column scaling */
#define PRECOND_MIN_EFFECTIVE_ROWS 5  /* or held by fewer rows (Kish's effective count),
                                         times 1 − the sampled fraction */
#define PRECOND_MIN_ROWS 4000      /* default sample: max(this, PRECOND_ROWS_PER_COLUMN·m) */
#define PRECOND_ROWS_PER_COLUMN 20
#define PRECOND_MAX_COLUMNS 1024   /* wider designs keep column scaling (P is m×m) */

/* The --precondition words, in this order. */
enum precond_kind { PRECOND_SAMPLE, PRECOND_SCALE };

/* Why a column was left to column scaling. */
enum precond_fallback { PRECOND_CONSTANT, PRECOND_SPREAD, PRECOND_DEPENDENT };

struct precond {
    int m;                     /* D+1 */
    double *P;                 /* m×m row-major: θ = P z */
    double l2;                 /* the penalty the factor includes (λ) */
    int64_t rows;              /* sample rows factored */
    int n_fallback;
    int *fallback;             /* θ indices (≥ 1) left to column scaling, increasing */
    int *why;                  /* enum precond_fallback, one per fallback */
    double *diag;              /* m: H_jj over all rows, without the penalty */
    double m_loss;             /* m: Σω of all rows (the loss's normaliser) */
    uint64_t digest;           /* of the sample's factor (see precond_sample) */
    double sample_kappa2;      /* κ(H) over the factored columns as the sample sees it */
    double noise_kappa2;       /* the condition number sampling alone adds (see below) */
};

/* Worth using? On a design the sample finds no worse conditioned than PRECOND_WORTH times
   what its own sampling error adds, column scaling alone converges as fast or faster (plain
   independent columns): the caller then drops P and keeps column scaling, and says so. */
#define PRECOND_WORTH 2.0
static inline int precond_worth_it(const struct precond *pc)
{
    return pc->sample_kappa2 > PRECOND_WORTH * pc->noise_kappa2;
}

/* The sample size: asked, or by default max(PRECOND_MIN_ROWS, PRECOND_ROWS_PER_COLUMN·m)
   (m = D+1); never more than the n_total rows. */
int64_t precond_default_rows(int64_t asked, int m, int64_t n_total);

/* Collective: the preconditioner of pb's rows for penalty l2, from about `rows` sampled
   rows chosen with seed. pb->X holds the rows as read (not yet scaled): cs are their
   column statistics and (mean, scale) the scaling the solver will train in (precond.h's
   P is in those coordinates). pc->digest covers the sample's own scaling, the columns it
   factored and its R⁻¹: the same for every rank and thread count. P is A·R⁻¹, A the map
   from the solver's scaling to the sample's, so its last bits carry the scaling's. */
struct col_stats;
void precond_sample(const struct gd_problem *pb, const struct col_stats *cs, const double *mean,
                    const double *scale, double l2, int64_t rows, uint64_t seed,
                    struct precond *pc);

/* gz = Pᵀ g (the gradient in z); returns ‖gz‖². */
double precond_grad(const struct precond *pc, const double *g, double *gz);
/* out = P v. */
void precond_apply(const struct precond *pc, const double *v, double *out);

/* The power iteration's operator in z (gd_top_eigenvalue's gram functions, around the
   un-preconditioned product): t = P v before it; after it, u ← Pᵀ(u + l2·t), the penalty
   on the weights only (u of all ranks, not yet divided by m). */
void precond_gram_out(const struct precond *pc, const double *t, double *u);

/*
 * Collective: the certificate in z (gd.h's, at θ with the raw gradient g of J there,
 * first_norm = ‖Pᵀ∇J(0)‖). J is quadratic: θ − θ* = H⁻¹∇J(θ) and
 * θ* = −H⁻¹∇J(0), so with Hz = PᵀHP
 *     ‖θ − θ*‖/‖θ*‖ ≤ κ(P) · λmax(Hz)/λmin(Hz) · ‖Pᵀ∇J(θ)‖/‖Pᵀ∇J(0)‖,
 * about κ(H)^½ · ‖Pᵀ∇J(θ)‖/‖Pᵀ∇J(0)‖ where the sample is good, against κ(H) times the
 * gradient's reduction with column scaling alone. Hz comes from the exact solver's QR of
 * all rows (R P, never the normal equations: Filip's squared condition number would drown
 * it); c->kappa is the design's condition number as gd_certify reports it, c->kappa_z
 * Hz's. Columns dependent on earlier ones (and not constant): an infinite bound.
 */
int precond_certify(const struct gd_problem *pb, const struct precond *pc, const double *g,
                    double first_norm, struct gd_certificate *c);

const char *precond_fallback_name(int why);

void precond_free(struct precond *pc);

#endif
