/* metrics.c — fit metrics across ranks; see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

#include "comm.h"
#include "error.h"
#include "par.h"
#include "stats.h"

void metrics_predict(const double *X, int64_t n, int d, double b, const double *w,
                     int n_threads, double *yhat)
{
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double s = b;
        for (int j = 0; j < d; j++)
            s += w[j] * X[i * d + j];
        yhat[i] = s;
    }
}

void metrics_compute(const double *X, const double *y, int64_t n, int d, double b,
                     const double *w, int intercept, int n_threads, struct metrics *out)
{
    metrics_compute_w(X, y, NULL, n, d, b, w, intercept, n_threads, out);
}

void metrics_init(struct metrics_acc *a, const double *center)
{
    a->sums[0] = a->sums[1] = a->sums[2] = 0;
    stats_init(&a->y, 1);
    a->center = center;
    a->own = NULL;
}

/* b + Σ_j w_j c_j as hi + lo, to about twice a double's precision: each product's rounding
   error from fma, each sum's from TwoSum, the errors added apart. */
static void predict_at(double b, const double *w, const double *c, int d, double *hi,
                       double *lo)
{
    double s = b, err = 0;
    for (int j = 0; j < d; j++) {
        double p = w[j] * c[j], pe = fma(w[j], c[j], -p), se;
        s = stats_two_sum(s, p, &se);
        err += se + pe;
    }
    *hi = s + err;
    *lo = err - (*hi - s);
}

void metrics_rows(const double *X, const double *y, const double *sw, int64_t lo, int64_t hi,
                  int d, double b, const double *w, const double *c, double *sums)
{
    double sse = sums[0], sae = sums[1], pos = sums[2], ph = b, pl = 0;
    if (c)
        predict_at(b, w, c, d, &ph, &pl);
    for (int64_t i0 = lo; i0 < hi; i0 += 4) {
        /* four rows' errors side by side, each adding its terms in the same order as alone;
           then their sums in row order */
        double e[4];
        int nr = hi - i0 < 4 ? (int)(hi - i0) : 4;
        if (nr == 4) {
            const double *x = X + i0 * d;
            double e0 = (ph - y[i0]) + pl, e1 = (ph - y[i0 + 1]) + pl;
            double e2 = (ph - y[i0 + 2]) + pl, e3 = (ph - y[i0 + 3]) + pl;
            for (int j = 0; j < d; j++) {
                double cj = c ? c[j] : 0.0;
                e0 += w[j] * (x[j] - cj);
                e1 += w[j] * (x[d + j] - cj);
                e2 += w[j] * (x[2 * d + j] - cj);
                e3 += w[j] * (x[3 * d + j] - cj);
            }
            e[0] = e0, e[1] = e1, e[2] = e2, e[3] = e3;
        } else {
            for (int r = 0; r < nr; r++) {
                e[r] = (ph - y[i0 + r]) + pl;
                for (int j = 0; j < d; j++)
                    e[r] += w[j] * (X[(i0 + r) * d + j] - (c ? c[j] : 0.0));
            }
        }
        for (int r = 0; r < nr; r++) {
            double wi = sw ? sw[i0 + r] : 1.0;
            sse += wi * e[r] * e[r];
            sae += wi * fabs(e[r]);
            pos += wi > 0;
        }
    }
    sums[0] = sse, sums[1] = sae, sums[2] = pos;
}

void metrics_add(struct metrics_acc *a, const double *X, const double *y, const double *sw,
                 int64_t n, int d, double b, const double *w, int n_threads)
{
    if (!a->center && n > 0) {  /* the rank's first rows (a first block holds them all, up
                                   to PAR_CHUNK_ROWS, as dataset.h's blocks do) */
        a->own = lr_malloc((size_t)(d ? d : 1) * sizeof *a->own);
        stats_first_mean(X, sw, n, d, a->own);
        a->center = a->own;
    }
    int64_t parts = par_chunks(n);
    double *part = lr_calloc((size_t)(parts ? parts : 1) * 3, sizeof *part);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        metrics_rows(X, y, sw, lo, hi, d, b, w, a->center, part + 3 * k);
    }
    for (int64_t k = 0; k < parts; k++)  /* part order: the same bits for any team */
        for (int s = 0; s < 3; s++)
            a->sums[s] += part[3 * k + s];
    free(part);
    stats_add(y, sw, n, 1, n_threads, &a->y);
}

void metrics_finish(struct metrics_acc *a, int d, int intercept, struct metrics *out)
{
    free(a->own);
    a->own = NULL;
    a->center = NULL;
    comm_sum(a->sums, 3);
    stats_finish(&a->y, 1);
    metrics_of(a->sums, &a->y, d, intercept, out);
}

void metrics_of(const double *sums, const struct col_stats *ys, int d, int intercept,
                struct metrics *out)
{
    double m = ys->weight;
    out->rows = ys->count;
    out->mse = m > 0 ? sums[0] / m : NAN;
    out->rmse = sqrt(out->mse);
    out->mae = m > 0 ? sums[1] / m : NAN;
    double sst = intercept ? ys->m2 : ys->m2 + m * ys->mean * ys->mean;
    out->r2 = sst > 0 ? 1 - sums[0] / sst : NAN;  /* a constant target explains nothing */
    /* as R's summary.lm: rows of zero weight are not observations; without weights the
       count of rows with ω > 0 is every row */
    out->adj_r2 = metrics_adjusted_r2(out->r2, (int64_t)sums[2], d, intercept);
}

void metrics_compute_w(const double *X, const double *y, const double *sw, int64_t n, int d,
                       double b, const double *w, int intercept, int n_threads,
                       struct metrics *out)
{
    struct metrics_acc a;
    metrics_init(&a, NULL);
    metrics_add(&a, X, y, sw, n, d, b, w, n_threads);
    metrics_finish(&a, d, intercept, out);
}

double metrics_adjusted_r2(double r2, int64_t rows, int d, int intercept)
{
    double m = (double)rows, dint = intercept ? 1 : 0;
    return m > d + dint ? 1 - (1 - r2) * (m - dint) / (m - d - dint) : NAN;
}
