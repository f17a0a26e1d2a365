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

void metrics_init(struct metrics_acc *a)
{
    a->sums[0] = a->sums[1] = a->sums[2] = 0;
    stats_init(&a->y, 1);
}

void metrics_add(struct metrics_acc *a, const double *X, const double *y, const double *sw,
                 int64_t n, int d, double b, const double *w, int n_threads)
{
    int64_t parts = par_chunks(n);
    double *part = lr_malloc((size_t)(parts ? parts : 1) * 3 * sizeof *part);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        double sse = 0, sae = 0, pos = 0;
        par_chunk(n, k, &lo, &hi);
        for (int64_t i = lo; i < hi; i++) {
            double e = b - y[i];
            for (int j = 0; j < d; j++)
                e += w[j] * X[i * d + j];
            double wi = sw ? sw[i] : 1.0;
            sse += wi * e * e;
            sae += wi * fabs(e);
            pos += wi > 0;
        }
        part[3 * k] = sse;
        part[3 * k + 1] = sae;
        part[3 * k + 2] = pos;
    }
    for (int64_t k = 0; k < parts; k++)  /* part order: the same bits for any team */
        for (int s = 0; s < 3; s++)
            a->sums[s] += part[3 * k + s];
    free(part);
    stats_add(y, sw, n, 1, n_threads, &a->y);
}

void metrics_finish(struct metrics_acc *a, int d, int intercept, struct metrics *out)
{
    comm_sum(a->sums, 3);
    stats_finish(&a->y, 1);
    const struct col_stats *ys = &a->y;
    double m = ys->weight;
    out->rows = ys->count;
    out->mse = m > 0 ? a->sums[0] / m : NAN;
    out->rmse = sqrt(out->mse);
    out->mae = m > 0 ? a->sums[1] / m : NAN;
    double sst = intercept ? ys->m2 : ys->m2 + m * ys->mean * ys->mean;
    out->r2 = sst > 0 ? 1 - a->sums[0] / sst : NAN;  /* a constant target explains nothing */
    /* as R's summary.lm: rows of zero weight are not observations; without weights the
       count of rows with ω > 0 is every row */
    out->adj_r2 = metrics_adjusted_r2(out->r2, (int64_t)a->sums[2], d, intercept);
}

void metrics_compute_w(const double *X, const double *y, const double *sw, int64_t n, int d,
                       double b, const double *w, int intercept, int n_threads,
                       struct metrics *out)
{
    struct metrics_acc a;
    metrics_init(&a);
    metrics_add(&a, X, y, sw, n, d, b, w, n_threads);
    metrics_finish(&a, d, intercept, out);
}

double metrics_adjusted_r2(double r2, int64_t rows, int d, int intercept)
{
    double m = (double)rows, dint = intercept ? 1 : 0;
    return m > d + dint ? 1 - (1 - r2) * (m - dint) / (m - d - dint) : NAN;
}
