/* test_prox.c — the kernels of prox.h: soft thresholding (the L1 proximal map), the Huber
   function and its derivative against finite differences and by hand, the weighted fused
   kernel against a reference loop (weights, Huber, any thread count, the same bits), the
   weighted column statistics and metrics against direct sums. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "par.h"
#include "prox.h"
#include "stats.h"
#include "suites.h"

static void test_soft_threshold(void)
{
    CU_ASSERT_EQUAL(prox_soft_threshold(3.0, 1.0), 2.0);
    CU_ASSERT_EQUAL(prox_soft_threshold(-3.0, 1.0), -2.0);
    CU_ASSERT_EQUAL(prox_soft_threshold(0.5, 1.0), 0.0);   /* inside [−t, t]: exactly 0 */
    CU_ASSERT_EQUAL(prox_soft_threshold(-1.0, 1.0), 0.0);  /* the edge too */
    CU_ASSERT_EQUAL(prox_soft_threshold(1.0, 1.0), 0.0);
    CU_ASSERT_EQUAL(prox_soft_threshold(2.5, 0.0), 2.5);   /* no penalty: the identity */
    /* the proximal map: argmin_x ½(x − u)² + t|x|, checked on a fine grid */
    for (double u = -3; u <= 3; u += 0.37) {
        double t = 0.8, best = INFINITY, arg = 0;
        for (double x = -4; x <= 4; x += 1e-4) {
            double f = 0.5 * (x - u) * (x - u) + t * fabs(x);
            if (f < best)
                best = f, arg = x;
        }
        CU_ASSERT_DOUBLE_EQUAL(prox_soft_threshold(u, t), arg, 2e-4);
    }
}

static void test_huber(void)
{
    double delta = 1.35;
    CU_ASSERT_DOUBLE_EQUAL(prox_huber_rho(1.0, delta), 1.0, 0);          /* z² inside */
    CU_ASSERT_DOUBLE_EQUAL(prox_huber_rho(-2.0, delta), 2 * 1.35 * 2 - 1.35 * 1.35, 1e-15);
    CU_ASSERT_EQUAL(prox_huber_psi(0.5, delta), 0.5);
    CU_ASSERT_EQUAL(prox_huber_psi(7.0, delta), delta);
    CU_ASSERT_EQUAL(prox_huber_psi(-7.0, delta), -delta);
    /* ψ = H'/2 by central differences, on both sides of the kink; H is continuous there */
    for (double z = -4; z <= 4; z += 0.113) {
        double h = 1e-6;
        double fd = (prox_huber_rho(z + h, delta) - prox_huber_rho(z - h, delta)) / (2 * h);
        CU_ASSERT_DOUBLE_EQUAL(prox_huber_psi(z, delta), fd / 2, 1e-6);
    }
    CU_ASSERT_DOUBLE_EQUAL(prox_huber_rho(delta * (1 + 1e-12), delta),
                           prox_huber_rho(delta * (1 - 1e-12), delta), 1e-10);
}

/* The kernel's sums by a plain loop in long double. */
static void reference(const double *X, const double *y, const double *w, int64_t n, int d,
                      const double *wt, double b, int huber, double sigma, double delta,
                      long double *out)
{
    for (int k = 0; k < d + 3; k++)
        out[k] = 0;
    for (int64_t i = 0; i < n; i++) {
        long double e = b - y[i];
        for (int j = 0; j < d; j++)
            e += (long double)wt[j] * X[i * d + j];
        long double om = w ? w[i] : 1, r = e, z = e / sigma;
        if (huber) {
            r = fabsl(z) <= delta ? z : z > 0 ? delta : -delta;
            out[d + 1] += om * sigma * (1 + (fabsl(z) <= delta ? z * z : 2 * delta * fabsl(z) - delta * delta));
            out[d + 2] += om * (1 - fminl(z * z, delta * delta));
        } else {
            out[d + 1] += om * e * e;
        }
        out[0] += om * r;
        for (int j = 0; j < d; j++)
            out[1 + j] += om * r * X[i * d + j];
    }
}

static void test_partials(void)
{
    const int64_t sizes[] = {1, 5, 4097, 3 * PAR_CHUNK_ROWS + 11};
    int d = 3;
    double wt[3] = {0.7, -1.1, 0.25}, b = 0.3;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int64_t n = sizes[k];
        double *X = malloc(sizeof(double) * (size_t)n * d), *y = malloc(sizeof(double) * (size_t)n);
        double *w = malloc(sizeof(double) * (size_t)n);
        srand(7);
        for (int64_t i = 0; i < n; i++) {
            for (int j = 0; j < d; j++)
                X[i * d + j] = (double)rand() / RAND_MAX * 2 - 1;
            y[i] = (double)rand() / RAND_MAX * 6 - 3;  /* residuals beyond δσ too */
            w[i] = i % 7 == 0 ? 0.0 : (double)rand() / RAND_MAX * 3;
        }
        for (int huber = 0; huber <= 1; huber++)
            for (int weighted = 0; weighted <= 1; weighted++) {
                long double ref[6];
                double one[6], got[6];
                const double *ww = weighted ? w : NULL;
                reference(X, y, ww, n, d, wt, b, huber, 0.9, 1.35, ref);
                prox_partials(X, y, ww, n, d, wt, b, huber, 0.9, 1.35, 1, one);
                for (int q = 0; q < d + 3; q++)
                    CU_ASSERT(fabsl(one[q] - ref[q]) <= 1e-12L * (1 + fabsl(ref[q])));
                for (int t = 2; t <= 4; t++) {  /* any team: the same bits */
                    prox_partials(X, y, ww, n, d, wt, b, huber, 0.9, 1.35, t, got);
                    CU_ASSERT(memcmp(got, one, sizeof(double) * (size_t)(d + 3)) == 0);
                }
            }
        free(X), free(y), free(w);
    }
}

/* Weighted statistics and metrics against direct weighted sums. */
static void test_weighted_stats_metrics(void)
{
    double X[5] = {1, 2, 4, 8, 3}, w[5] = {1, 2, 0, 1, 0.5}, y[5] = {1.5, 2, 9, 7, 3};
    struct col_stats s;
    stats_local_w(X, w, 5, 1, 2, &s);
    double W = 4.5, mean = (1 + 4 + 8 + 1.5) / W, m2 = 0;
    for (int i = 0; i < 5; i++)
        m2 += w[i] * (X[i] - mean) * (X[i] - mean);
    CU_ASSERT_EQUAL(s.count, 5);
    CU_ASSERT_DOUBLE_EQUAL(s.weight, W, 0);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, mean, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(s.m2, m2, 1e-13);
    CU_ASSERT_EQUAL(s.min, 1);   /* the range counts every row, weight 0 included */
    CU_ASSERT_EQUAL(s.max, 8);
    /* merging pieces with a zero-weight piece between them */
    struct col_stats a, z, c;
    stats_local_w(X, w, 2, 1, 1, &a);
    stats_local_w(X + 2, w + 2, 1, 1, 1, &z);
    stats_local_w(X + 3, w + 3, 2, 1, 1, &c);
    stats_merge(&a, &z);
    stats_merge(&a, &c);
    CU_ASSERT_DOUBLE_EQUAL(a.mean, mean, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(a.m2, m2, 1e-13);
    CU_ASSERT_EQUAL(a.count, 5);
    CU_ASSERT_EQUAL(a.max, 8);
    /* metrics of ŷ = 0.5 + x: MSE = Σωe²/Σω, R² = 1 − Σωe²/Σω(y − ȳ_ω)² */
    double coef = 1, sse = 0, sae = 0, ym = 0, sst = 0;
    for (int i = 0; i < 5; i++) {
        double e = 0.5 + X[i] - y[i];
        sse += w[i] * e * e, sae += w[i] * fabs(e), ym += w[i] * y[i];
    }
    ym /= W;
    for (int i = 0; i < 5; i++)
        sst += w[i] * (y[i] - ym) * (y[i] - ym);
    struct metrics mt;
    metrics_compute_w(X, y, w, 5, 1, 0.5, &coef, 1, 1, &mt);
    CU_ASSERT_DOUBLE_EQUAL(mt.mse, sse / W, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(mt.mae, sae / W, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(mt.r2, 1 - sse / sst, 1e-14);
    CU_ASSERT_EQUAL(mt.rows, 5);
}

void add_prox_suite(void)
{
    CU_pSuite s = CU_add_suite("prox", NULL, NULL);
    CU_add_test(s, "soft threshold: exact zeros, the proximal map of t|x|", test_soft_threshold);
    CU_add_test(s, "Huber function and its derivative", test_huber);
    CU_add_test(s, "prox_partials: reference loop, weights, Huber, any team", test_partials);
    CU_add_test(s, "weighted statistics (merge with zero weights) and metrics",
                test_weighted_stats_metrics);
}
