/*
 * exact.h — the exact least-squares solver: one pass that factors the design, then a few
 * refinement passes shaped like an epoch (thread partials, one Allreduce each).
 *
 * Minimises Σ_i ω_i (b + w·x_i − y_i)² + λ‖w_s‖² (the same minimiser as gd.h's J; w_s the
 * weights on scaled columns; ω_i the sample weights, 1 without them: weighted least
 * squares is the QR of the rows scaled by √ω_i, and refinement weighs r by ω), b absent under --no-intercept. θ = (b, w) in the units of X
 * as given; the factor is of the scaled design Ã = [1 Z] (or [Z]), z_j = (x_j − μ_j)/σ_j,
 * θ_s its coefficients: b = b_s − Σ w_s,j μ_j/σ_j, w_j = w_s,j/σ_j (θ = T θ_s).
 *
 * Factor. A = [Ã y] has m columns. A rank's N rows are cut into ⌈N/rows⌉ near-equal parts,
 * rows = max(PAR_CHUNK_ROWS, 8m), so the parts depend on N alone; each part's Householder
 * QR (LAPACK dgeqrt, panels of 8 columns) leaves an m×m triangle; the triangles are merged
 * pairwise (LAPACK dtpqrt, a QR of two stacked triangles) in a fixed left-aligned binary tree over the parts
 * (at step s = 1, 2, 4, … part a, a multiple of 2s, takes part a + s), then over the ranks
 * in rank order, so every rank holds the same R, with the same bits for any thread count
 * (ranks' triangles travel point to point up the tree, and the result is broadcast). Ridge
 * rows √λ·e_j are one more triangle. The parts may also factor the design shifted and
 * unscaled, for a pass that makes the scaling at the same time; the triangle is then taken
 * to the scaled design before the merge across ranks (exact_stream_end_rescaled).
 * R = [R11 z; 0 ρ]: the least-squares θ solves R11 θ = z and ρ² is its residual sum of
 * squares. Working on R never squares the
 * condition number, as the normal equations would.
 *
 * Streaming. The rows may come in blocks of any size (exact_stream, for rows that are never
 * all held): a part that a block cuts keeps its rows until it ends, and the part triangles
 * go in part order onto a stack that is a binary counter (the top two merge, the earlier
 * on the left, while they span as many parts each), which collapses from the top at the
 * end. That makes the tree's merges with the same operands while holding ⌊log₂ parts⌋ + 1
 * triangles, so the streamed R is the resident one, bit for bit; exact_factor is the
 * stream with one block. The parts a block completes are pushed as runs of 2^j parts that
 * start at a multiple of 2^j, each run merged over its own tree by the whole team first
 * (the merges the counter would make one part at a time), so the resident factor's merges
 * run in parallel as the tree's did. Refinement passes re-read the blocks (exact_refiner).
 *
 * Rank. Column j of Ã is aliased when the part of it that the earlier kept columns do not
 * explain has norm ≤ EXACT_ALIAS_TOL × its own norm (the rule of R's lm, whose tolerance
 * 1e-7 would drop the last term of NIST's Filip polynomial, which the data determine to 7
 * digits; an exact duplicate leaves about 1e-16). An aliased column's coefficient is NaN
 * (written as null) and the rest is solved on the triangle of the kept columns.
 *
 * Refinement, on the data as given: r = y − b − Xw and g = [1 X]ᵀr accumulate in long
 * double per PAR_CHUNK_ROWS-row chunk of the rank's rows (a chunk cut by a block boundary
 * carries its sums over); chunks add in order and ranks as double-double sums (one Allreduce);
 * g_s = Tᵀg − λw_s, δ_s = (RᵀR)⁻¹g_s by two triangular solves, θ += Tδ_s. Until the step
 * stops halving or is ≤ 2⁻⁵² of θ, the intercept's and the weights' parts each against
 * their own norm (neither step is taken: the first is rounding, the second below the
 * spacing of doubles at those norms), or EXACT_MAX_PASSES. This recovers the digits
 * that rounding cost in the scaling, in the factorization and in the map back to X's units;
 * and a pass whose step is not taken has computed its residuals at the final θ, so that it
 * can give the fit's metrics as well (exact_refiner's metrics) without another pass.
 *
 * Shapes: N local rows, D features, X N×D row-major, θ D+1. R is column-major (LAPACK).
 * Calls MPI only through comm.h; never exits except LR_FATAL on out of memory and on blocks
 * that do not add up to the rank's N rows (the caller's bug).
 */
#ifndef LINREG_EXACT_H
#define LINREG_EXACT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define EXACT_ALIAS_TOL 1e-10
#define EXACT_MAX_PASSES 8

struct exact_problem {
    const double *X;           /* N×D row-major, this rank's rows, as given */
    const double *mean, *scale;  /* D: the scaling (μ, σ), or NULL for none */
    const double *y;           /* N (NULL: zeros, exact_factor_local only) */
    int64_t n_local, n_total;
    int d;
    int intercept;             /* fit b (else b = 0) */
    double l2;                 /* λ */
    int n_threads;
    const double *w;           /* N sample weights ω_i ≥ 0, or NULL: all 1 */
    const double *ridge;       /* D: the ridge row of weight j is √λ·ridge[j]·e_j; NULL: 1 */
    const double *center;      /* D: the centre of the refinement's metrics (metrics.h), in
                                  X's units, the same on every rank; NULL: 0 */
};

struct exact_fit {
    double *theta;             /* D+1: b, w in X's units; NaN where aliased, b = 0 without
                                  intercept */
    int rank;                  /* columns kept */
    int *kept;                 /* rank indices into θ, increasing */
    double *R;                 /* rank×rank upper triangle of the kept scaled columns,
                                  column-major */
    double kappa;              /* condition number of the kept columns of Ã */
    int passes;                /* refinement passes run */
};

/* Entry (i, θ index j) of the factor's design Ã: 1 for j = 0, else x_i,j−1 scaled by pb's
   mean and scale (as given without them). For the passes over the rows that other modules
   make with the factor (robust.h, diagnostics.h). */
static inline double exact_design(const struct exact_problem *pb, int64_t i, int j)
{
    if (j == 0)
        return 1.0;
    double x = pb->X[i * pb->d + j - 1];
    return pb->mean ? (x - pb->mean[j - 1]) / pb->scale[j - 1] : x;
}

/* A row's leverage h = ω‖R⁻ᵀx̃‖² (x̃: its k kept entries of Ã, ω its weight, 1 without): the
   diagonal of the hat matrix, by forward substitution with Rᵀ (R upper, column-major k×k);
   u: k doubles of scratch (R⁻ᵀx̃ on return). */
static inline double exact_leverage(const double *R, int k, const double *x, double w,
                                    double *u)
{
    double s = 0;
    for (int q = 0; q < k; q++) {
        double v = x[q];
        for (int p = 0; p < q; p++)
            v -= R[(size_t)q * k + p] * u[p];
        u[q] = v / R[(size_t)q * k + q];
        s += u[q] * u[q];
    }
    return w * s;
}

/* Collective: the factor, the rank and θ from it (not yet refined). */
void exact_factor(const struct exact_problem *pb, struct exact_fit *f);

/* The factor with this rank's rows fed in blocks, for rows that are never all held at once:
   begin, then add every row in order in blocks of any size (N in all; a block of 0 rows is
   allowed), then end. The result is the same bits as exact_factor on all the rows at once
   (which is begin, one add, end). Holds ⌊log₂ parts⌋ + 2 triangles (the stack and one
   being pushed) and one part's rows;
   an add also takes one part's rows per thread and the triangles of the parts the block
   ends. The fields are the stream's own. */
struct exact_layout;
struct exact_stream {
    struct exact_problem pb;   /* the problem given to begin, without X, y, w */
    struct exact_layout *L;
    int m;                     /* columns of A */
    int64_t parts, next;       /* parts of the N rows; the next part to end */
    int64_t fed;               /* rows added so far */
    double *buf;               /* the rows of part `next` added so far, column-major */
    double *stack;             /* depth triangles (m×m) of size[i] consecutive parts each */
    int64_t *size;
    int depth;
    double *work;
};

/* pb: the shape, the scaling, λ, the ridge, N (n_local), the threads; pb->X, y, w are not
   read (the blocks bring them), and mean, scale, ridge must live until end. */
void exact_stream_begin(struct exact_stream *s, const struct exact_problem *pb);
/* Rows fed + [0, n) of this rank: X n×D row-major, y n (NULL: zeros), w n (NULL: all 1).
   Not collective; the parts that end in the block are factored by pb->n_threads threads. */
void exact_stream_add(struct exact_stream *s, const double *X, const double *y, const double *w,
                      int64_t n);
/* Not collective: the m×m triangle (column-major) of the parts ended so far, merged as the
   end merges them: this rank's R of √ω[Ã y] once all N rows are in. */
void exact_stream_triangle(const struct exact_stream *s, double *T);
/* Collective: merge the ranks' triangles and finish as exact_factor does; frees s. */
void exact_stream_end(struct exact_stream *s, struct exact_fit *f);
/* The factor while the scaling is not yet known, for a pass that also makes the column
   statistics: begin with pb->mean = c (any D values, the same for every part of the rank:
   the mean of its first rows, say) and pb->scale all 1, so that the parts factor √ω[1 x − c y]; end
   with this (collective), which takes each rank's triangle to the scaling (mean, scale) by
   the column operation that maps one design to the other (exact before rounding), then
   merges and finishes as exact_stream_end. The rounding of the parts' QR is then relative
   to ‖x − c‖ instead of ‖x − μ‖: a c within EXACT_SHIFT_MAX σ of μ costs at most 3 bits
   there, and any farther (or an entry not finite) on any rank returns -1 with f untouched,
   for the caller to factor again with the scaling. Frees s either way. Without an
   intercept, c must be 0 (the design is not centred). */
#define EXACT_SHIFT_MAX 8.0
int exact_stream_end_rescaled(struct exact_stream *s, const double *mean, const double *scale,
                              struct exact_fit *f);
/* Frees s without a result (after a failure while feeding it). */
void exact_stream_free(struct exact_stream *s);

/* Collective: T (m×m upper triangle, column-major, this rank's) becomes the R of all the
   ranks' triangles stacked, merged over the same fixed tree as exact_stream_end's, on every
   rank: for callers that keep several streams' triangles (cv.h). */
void exact_merge_ranks(double *T, int m);

/* Not collective: the same factor of this process's rows alone (no merge across ranks), for
   a sample that one rank holds whole (precond.h). pb->y may be NULL (zeros): then θ is 0
   and only the rank, the kept columns, R and κ mean anything. */
void exact_factor_local(const struct exact_problem *pb, struct exact_fit *f);

/* What one refinement pass reports, on every rank. */
struct exact_pass {
    int pass;
    double step;               /* ‖δ_s‖/‖θ_s‖ */
    double rss;                /* Σ residual² (+ λ‖w_s‖²) at the θ the pass started from */
    double grad_norm;          /* ‖g_s‖/m there: the gradient of J on the scaled design */
    double seconds, allreduce_seconds;
};
typedef void (*exact_pass_fn)(const struct exact_pass *p, void *ctx);

/* Collective: refine f->theta until it stops improving (see above). */
void exact_refine(const struct exact_problem *pb, struct exact_fit *f, exact_pass_fn on_pass,
                  void *ctx);

/* Refinement over rows fed in blocks, each pass a re-read of this rank's rows:
       exact_refine_begin(&rf, pb, f);
       while (exact_refine_next_pass(&rf)) {
           every row in order: exact_refine_add(&rf, X, y, w, n) per block;
           exact_refine_end_pass(&rf, on_pass, ctx);      (collective)
       }
       exact_refine_free(&rf);
   The same passes and bits as exact_refine (which is this loop with one block). pb's X, y
   and w are not read; pb and f must live until free. The fields are the refiner's own. */
struct exact_refiner {
    const struct exact_problem *pb;
    struct exact_fit *f;
    int done;                  /* the last pass stopped the refinement */
    double prev, t0;           /* the last step taken, relative (the larger of the
                                  intercept's and the weights'); when this pass began */
    int64_t fed;               /* rows of this pass so far */
    long double *total, *chunk;  /* k + 1 sums each: the chunks ended, the chunk begun */
    /* Set metrics before the first pass to have the first pass, and one that follows a step
       of ≤ 2⁻²⁶ of θ (either may well be the last), also sum metrics_rows (metrics.h) at the
       θ it starts from (aliased weights 0), per PAR_CHUNK_ROWS-row chunk and the chunks in
       order as metrics_add does: msums holds this rank's sums after such a pass (summing).
       When the refinement ends on a step it does not take after summing (final_sums), that
       θ is the final one, and msums are the final model's, with metrics_add's bits over the
       rows at once (or over blocks of whole chunks), begun with metrics_init at pb's centre
       (or zeros where pb has none). */
    int metrics, summing, final_sums;
    double last_step;          /* the last step taken, relative to θ (∞: none yet) */
    double msums[3], mchunk[3], *mtheta;
};
void exact_refine_begin(struct exact_refiner *rf, const struct exact_problem *pb,
                        struct exact_fit *f);
/* 1: another pass is due, and begins (feed it every row); 0: the refinement has ended. */
int exact_refine_next_pass(struct exact_refiner *rf);
/* Rows fed + [0, n) of this pass: X n×D row-major, y n, w n (NULL: all 1). Not collective. */
void exact_refine_add(struct exact_refiner *rf, const double *X, const double *y,
                      const double *w, int64_t n);
/* Collective: the pass's gradient (one Allreduce), reported to on_pass, and the step. */
void exact_refine_end_pass(struct exact_refiner *rf, exact_pass_fn on_pass, void *ctx);
void exact_refine_free(struct exact_refiner *rf);

/* σmax/σmin of a k×k column-major matrix (∞ when singular, NaN when k = 0). */
double exact_condition_number(const double *A, int k);

void exact_fit_free(struct exact_fit *f);

#endif
