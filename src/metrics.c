/* metrics.c — fit metrics across ranks; see metrics.h. */
#include "metrics.h"

#include <math.h>

#include "comm.h"
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
                     const double *w, int n_threads, struct metrics *out)
{
    double sums[2] = {0, 0};  /* Σe², Σ|e| */
    double sse = 0, sae = 0;
#pragma omp parallel for num_threads(n_threads) schedule(static) reduction(+ : sse, sae)
    for (int64_t i = 0; i < n; i++) {
        double e = b - y[i];
        for (int j = 0; j < d; j++)
            e += w[j] * X[i * d + j];
        sse += e * e;
        sae += fabs(e);
    }
    sums[0] = sse;
    sums[1] = sae;
    comm_sum(sums, 2);
    struct col_stats ys;
    stats_allreduce(y, n, 1, n_threads, &ys);
    double m = (double)ys.count;
    out->rows = ys.count;
    out->mse = m > 0 ? sums[0] / m : NAN;
    out->rmse = sqrt(out->mse);
    out->mae = m > 0 ? sums[1] / m : NAN;
    out->r2 = ys.m2 > 0 ? 1 - sums[0] / ys.m2 : NAN;  /* a constant target explains nothing */
    out->adj_r2 = m > d + 1 ? 1 - (1 - out->r2) * (m - 1) / (m - d - 1) : NAN;
}
