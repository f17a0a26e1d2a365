/* linalg.c — Gram matrix and symmetric eigenvalue range; see linalg.h. */
#include "linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define GRAM_BLOCK_ROWS 256  /* rows of X kept in cache while every thread reads them */

void linalg_gram(const double *X, int64_t n, int d, int n_threads, double *G)
{
    memset(G, 0, (size_t)(d + 1) * (size_t)(d + 1) * sizeof *G);
    linalg_gram_add(X, n, d, n_threads, G);
}

void linalg_gram_add(const double *X, int64_t n, int d, int n_threads, double *G)
{
    int m = d + 1;
#pragma omp parallel num_threads(n_threads)
    for (int64_t i0 = 0; i0 < n; i0 += GRAM_BLOCK_ROWS) {
        int64_t i1 = i0 + GRAM_BLOCK_ROWS < n ? i0 + GRAM_BLOCK_ROWS : n;
        /* row j of G belongs to one thread for this block: entries summed in row order */
#pragma omp for schedule(static)
        for (int j = 0; j < m; j++) {
            double *g = G + (size_t)j * (size_t)m;
            for (int64_t i = i0; i < i1; i++) {
                const double *x = X + i * d;
                double xj = j == 0 ? 1.0 : x[j - 1];
                g[0] += xj;
                for (int k = 1; k < m; k++)
                    g[k] += xj * x[k - 1];
            }
        }
    }
}

void linalg_sym_eig_range(const double *A, int n, double *lo, double *hi)
{
    double *a = lr_malloc((size_t)n * (size_t)n * sizeof *a);
    memcpy(a, A, (size_t)n * (size_t)n * sizeof *a);
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, diag = 0;
        for (int p = 0; p < n; p++) {
            diag += a[p * n + p] * a[p * n + p];
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        }
        if (off <= 1e-32 * diag)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0)
                    continue;
                /* the rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.5.1) */
                double tau = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (tau >= 0 ? 1 : -1) / (fabs(tau) + sqrt(1 + tau * tau));
                double c = 1 / sqrt(1 + t * t), s = t * c;
                for (int k = 0; k < n; k++) {  /* columns p and q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {  /* rows p and q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
    }
    *lo = INFINITY, *hi = -INFINITY;
    for (int p = 0; p < n; p++) {
        *lo = fmin(*lo, a[p * n + p]);
        *hi = fmax(*hi, a[p * n + p]);
    }
    free(a);
}
