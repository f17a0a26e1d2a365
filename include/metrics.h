/*
 * metrics.h — how well a linear model fits rows spread over the ranks.
 *
 * For predictions ŷ = b + X·w against y, over all ranks' rows (m of them):
 *     MSE = Σ(ŷ−y)²/m, RMSE = √MSE, MAE = Σ|ŷ−y|/m, R² = 1 − SSE/SST,
 *     adjusted R² = 1 − (1 − R²)(m − 1)/(m − D − 1)   (NaN when m ≤ D + 1)
 * For a model without intercept (intercept = 0), as R reports such fits: SST = Σy²
 * (uncentred) and adjusted R² = 1 − (1 − R²) m/(m − D).
 * SST comes from the merged statistics of y (stats.h), so it is accurate whatever the
 * rank count. Collective; never exits.
 *
 * Each error is formed about a centre c (metrics_init), near the columns' means:
 * ŷ − y = (p − y) + Σ_j w_j (x_j − c_j), with p = b + Σ_j w_j c_j, the
 * prediction at c, carried to twice a double's precision. Formed as b + Σ w_j x_j − y, the
 * terms of columns whose mean is large beside their spread (x near 1e9) would each round
 * to their own size and cancel against b, leaving errors of 1e-7 where the residuals are
 * 1; about c, every term is of the residuals' size and rounds as little.
 */
#ifndef LINREG_METRICS_H
#define LINREG_METRICS_H

#include <stdint.h>

#include "stats.h"

struct metrics {
    int64_t rows;
    double mse, rmse, mae, r2, adj_r2;
};

/* X: N×D row-major, y: N (this rank's rows); b, w: the model in X's units. */
void metrics_compute(const double *X, const double *y, int64_t n, int d, double b,
                     const double *w, int intercept, int n_threads, struct metrics *out);

/* The same with sample weights ω (N entries; NULL: all 1), as scikit-learn's metrics with
   sample_weight: MSE = Σω(ŷ−y)²/Σω, MAE = Σω|ŷ−y|/Σω, R² = 1 − Σω(ŷ−y)²/Σω(y−ȳ_ω)²
   with ȳ_ω = Σωy/Σω (no intercept: Σωy²); rows counts every row, adjusted R² only the
   rows with ω > 0 (as R's summary.lm, whose observations they are). */
void metrics_compute_w(const double *X, const double *y, const double *w, int64_t n, int d,
                       double b, const double *wt, int intercept, int n_threads,
                       struct metrics *out);

/* The same over rows that come in blocks (each a whole number of par.h's parts but the
   last): metrics_init, metrics_add per block in order, then metrics_finish (collective)
   give metrics_compute_w's bits on all the rows at once. The errors are formed about
   center (D, in X's units, borrowed until metrics_finish), or with center NULL about the
   stats_first_mean of the rank's first block (metrics_compute_w's choice). */
struct metrics_acc {
    double sums[3];            /* Σωe², Σω|e|, rows with ω > 0 */
    struct col_stats y;        /* y's statistics */
    const double *center;      /* D: the centre (NULL: from the first block, not yet seen) */
    double *own;               /* ... that one, owned */
};
void metrics_init(struct metrics_acc *a, const double *center);
void metrics_add(struct metrics_acc *a, const double *X, const double *y, const double *sw,
                 int64_t n, int d, double b, const double *w, int n_threads);
void metrics_finish(struct metrics_acc *a, int d, int intercept, struct metrics *out);

/* metrics_add's kernel, for a pass over the rows that another module makes (exact.h's
   refinement): rows [lo, hi) of X, y, sw into sums (Σωe², Σω|e|, rows with ω > 0), going on
   from what sums holds, the errors formed about the centre c (D; NULL: 0). metrics_add runs
   it on each part from zeros, c its accumulator's centre, and adds the parts in order; a
   caller that does the same gets its bits. */
void metrics_rows(const double *X, const double *y, const double *sw, int64_t lo, int64_t hi,
                  int d, double b, const double *w, const double *c, double *sums);

/* The metrics from sums already added over every rank and y's merged statistics (what
   metrics_finish does after its Allreduce). */
void metrics_of(const double *sums, const struct col_stats *ys, int d, int intercept,
                struct metrics *out);

/* Adjusted R² of a fit with d fitted features on rows rows (NaN when rows ≤ d + intercept). */
double metrics_adjusted_r2(double r2, int64_t rows, int d, int intercept);

/* ŷ_i = b + Σ_j w_j x_ij for this rank's rows. */
void metrics_predict(const double *X, int64_t n, int d, double b, const double *w,
                     int n_threads, double *yhat);

#endif
