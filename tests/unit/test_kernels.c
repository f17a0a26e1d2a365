/* test_kernels.c — the fast kernels against plain reference loops, on awkward shapes (rows
   not a multiple of the unroll, more threads than rows, a team smaller than asked), and the
   same bits for every thread count; the Gram matrix and eigenvalue range; fit metrics. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gd.h"
#include "linalg.h"
#include "metrics.h"
#include "par.h"
#include "stats.h"
#include "suites.h"

static double *random_matrix(int64_t n, int d, unsigned seed)
{
    double *X = malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)d);
    srand(seed);
    for (int64_t i = 0; i < n * d; i++)
        X[i] = (double)rand() / RAND_MAX * 4 - 2 + (i % d);
    return X;
}

/* out[0] = Σe, out[1+j] = Σe·x_j, out[D+1] = Σe², in long double, row by row. */
static void partials_reference(const double *X, const double *y, int64_t n, int d,
                               const double *w, double b, long double *out)
{
    for (int k = 0; k < d + 2; k++)
        out[k] = 0;
    for (int64_t i = 0; i < n; i++) {
        long double e = b - (y ? y[i] : 0);
        for (int j = 0; j < d; j++)
            e += (long double)w[j] * X[i * d + j];
        out[0] += e;
        for (int j = 0; j < d; j++)
            out[1 + j] += e * X[i * d + j];
        out[d + 1] += e * e;
    }
}

/* Call gd_partials asking for `threads` from inside a parallel region with nesting off:
   the team it gets has one thread, whatever it asks for. */
static void partials_small_team(const double *X, const double *y, int64_t n, int d,
                                const double *w, double b, int threads, double *out)
{
    int levels = omp_get_max_active_levels();
    omp_set_max_active_levels(1);
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        gd_partials(X, y, n, d, w, b, threads, out);
    }
    omp_set_max_active_levels(levels);
}

static void test_partials_shapes(void)
{
    const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 4095, 4096, 4097, 3 * 4096 + 2, 50001};
    const int dims[] = {1, 3, 8};
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
        for (size_t c = 0; c < sizeof dims / sizeof *dims; c++) {
            int64_t n = sizes[a];
            int d = dims[c];
            double *X = random_matrix(n, d, (unsigned)(n + d)), *y = random_matrix(n, 1, 7);
            double w[8], b = 0.25, one[10], got[10];
            long double ref[10];
            for (int j = 0; j < d; j++)
                w[j] = 0.5 - 0.3 * j;
            partials_reference(X, y, n, d, w, b, ref);
            gd_partials(X, y, n, d, w, b, 1, one);
            for (int k = 0; k < d + 2; k++) {
                double scale = 1 + fabsl(ref[k]) + (double)n;  /* rounding grows with n */
                CU_ASSERT(fabs(one[k] - (double)ref[k]) <= 1e-12 * scale);
            }
            for (int t = 2; t <= 8; t++) {  /* more threads than rows, too */
                gd_partials(X, y, n, d, w, b, t, got);
                CU_ASSERT(memcmp(got, one, sizeof(double) * (size_t)(d + 2)) == 0);
            }
            partials_small_team(X, y, n, d, w, b, 4, got);
            CU_ASSERT(memcmp(got, one, sizeof(double) * (size_t)(d + 2)) == 0);
            gd_partials(X, NULL, n, d, w, b, 3, got);  /* y NULL: zeros */
            partials_reference(X, NULL, n, d, w, b, ref);
            for (int k = 0; k < d + 2; k++)
                CU_ASSERT(fabs(got[k] - (double)ref[k]) <= 1e-12 * (1 + fabsl(ref[k]) + (double)n));
            free(X);
            free(y);
        }
}

static void test_stats_any_team(void)
{
    int64_t n = 5 * PAR_CHUNK_ROWS + 17;
    int d = 3;
    double *X = random_matrix(n, d, 11);
    struct col_stats one[3], got[3];
    stats_local(X, n, d, 1, one);
    for (int t = 2; t <= 8; t++) {
        stats_local(X, n, d, t, got);
        CU_ASSERT(memcmp(got, one, sizeof one) == 0);
    }
    int levels = omp_get_max_active_levels();
    omp_set_max_active_levels(1);
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        stats_local(X, n, d, 6, got);
    }
    omp_set_max_active_levels(levels);
    CU_ASSERT(memcmp(got, one, sizeof one) == 0);
    CU_ASSERT_EQUAL(one[0].count, n);
    free(X);
}

/* The gradient's sums on a scaled design whose target is near 1e9 (so is the intercept):
   Σe and Σe² against long double to 1e-12 of Σe² (b + Σ w_j x_j − y would round each
   error at 1e-7 before the difference). */
static void test_partials_large_target(void)
{
    int64_t n = 2 * 4096 + 3;
    int d = 3;
    double *X = random_matrix(n, d, 11), *y = random_matrix(n, 1, 12), w[3] = {0.5, -1, 0.25};
    double b = 1e9 + 0.125, got[5];
    long double ref[5];
    for (int64_t i = 0; i < n; i++)
        y[i] += 1e9;
    partials_reference(X, y, n, d, w, b, ref);
    gd_partials(X, y, n, d, w, b, 2, got);
    CU_ASSERT(fabsl(got[d + 1] - ref[d + 1]) <= 1e-12L * ref[d + 1]);
    CU_ASSERT(fabsl(got[0] - ref[0]) <= 1e-12L * ref[d + 1]);
    free(X);
    free(y);
}

/* Metrics against a direct computation, and the same bits for every thread count. */
static void test_metrics(void)
{
    int64_t n = 3 * PAR_CHUNK_ROWS + 5;
    int d = 2;
    double *X = random_matrix(n, d, 5), *y = random_matrix(n, 1, 6), w[2] = {0.5, -1.5};
    double b = 0.1;
    long double sse = 0, sae = 0, sy = 0, syy = 0;
    for (int64_t i = 0; i < n; i++) {
        long double e = b + w[0] * X[2 * i] + w[1] * X[2 * i + 1] - y[i];
        sse += e * e, sae += fabsl(e), sy += y[i];
    }
    for (int64_t i = 0; i < n; i++)
        syy += (y[i] - sy / n) * (y[i] - sy / n);
    struct metrics m, m3;
    metrics_compute(X, y, n, d, b, w, 1, 1, &m);
    metrics_compute(X, y, n, d, b, w, 1, 3, &m3);
    CU_ASSERT(memcmp(&m, &m3, sizeof m) == 0);
    CU_ASSERT_EQUAL(m.rows, n);
    CU_ASSERT(fabs(m.mse - (double)(sse / n)) <= 1e-13 * m.mse);
    CU_ASSERT(fabs(m.rmse - sqrt((double)(sse / n))) <= 1e-13 * m.rmse);
    CU_ASSERT(fabs(m.mae - (double)(sae / n)) <= 1e-13 * m.mae);
    CU_ASSERT(fabs(m.r2 - (double)(1 - sse / syy)) <= 1e-12);
    CU_ASSERT(fabs(m.adj_r2 - (1 - (1 - m.r2) * (n - 1) / (double)(n - d - 1))) <= 1e-15);
    long double syy0 = 0;  /* without intercept: uncentred */
    for (int64_t i = 0; i < n; i++)
        syy0 += (long double)y[i] * y[i];
    metrics_compute(X, y, n, d, b, w, 0, 2, &m3);
    CU_ASSERT(fabs(m3.r2 - (double)(1 - sse / syy0)) <= 1e-12);
    CU_ASSERT(fabs(m3.adj_r2 - (1 - (1 - m3.r2) * n / (double)(n - d))) <= 1e-15);
    free(X);
    free(y);
}

/* Features and y near 1e9, the intercept cancelling Σ w_j·1e9 (the shape of a model fitted
   to such columns), weights with zeros: MSE and MAE against quadruple precision to 1e-13,
   where b + Σ w_j x_j − y would leave 1e-7 in errors of about 1; the same bits for 1 and 3
   threads and for blocks of whole parts (the centre from the first block's rows). */
static void test_metrics_large_means(void)
{
    int64_t n = 3 * PAR_CHUNK_ROWS + 5;
    int d = 3;
    double *X = random_matrix(n, d, 7), *y = random_matrix(n, 1, 8), *sw = random_matrix(n, 1, 9);
    double w[3] = {1.5, -2.25, 0.7}, b = 0.3 - 1e9 * (w[0] + w[1] + w[2]) + 1e9;
    for (int64_t i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            X[i * d + j] += 1e9;
        y[i] += 1e9 + w[0] * (X[i * d] - 1e9);
        sw[i] = i % 6 ? fabs(sw[i]) : 0.0;
    }
    __float128 sse = 0, sae = 0, sws = 0;
    for (int64_t i = 0; i < n; i++) {
        __float128 e = (__float128)b - y[i];
        for (int j = 0; j < d; j++)
            e += (__float128)w[j] * X[i * d + j];
        sse += sw[i] * e * e, sae += sw[i] * (e < 0 ? -e : e), sws += sw[i];
    }
    struct metrics m, m3, mb;
    metrics_compute_w(X, y, sw, n, d, b, w, 1, 1, &m);
    metrics_compute_w(X, y, sw, n, d, b, w, 1, 3, &m3);
    CU_ASSERT(memcmp(&m, &m3, sizeof m) == 0);
    CU_ASSERT(fabs(m.mse - (double)(sse / sws)) <= 1e-13 * m.mse);
    CU_ASSERT(fabs(m.mae - (double)(sae / sws)) <= 1e-13 * m.mae);
    struct metrics_acc acc;
    metrics_init(&acc, NULL);
    metrics_add(&acc, X, y, sw, 2 * PAR_CHUNK_ROWS, d, b, w, 2);
    metrics_add(&acc, X + 2 * PAR_CHUNK_ROWS * d, y + 2 * PAR_CHUNK_ROWS, sw + 2 * PAR_CHUNK_ROWS,
                n - 2 * PAR_CHUNK_ROWS, d, b, w, 2);
    metrics_finish(&acc, d, 1, &mb);
    CU_ASSERT(memcmp(&m, &mb, sizeof m) == 0);
    free(X);
    free(y);
    free(sw);
}

static void test_gram(void)
{
    int64_t n = 1000;
    int d = 4, m = d + 1;
    double *X = random_matrix(n, d, 9), G[25], G3[25];
    linalg_gram(X, n, d, 1, G);
    linalg_gram(X, n, d, 3, G3);
    CU_ASSERT(memcmp(G, G3, sizeof G) == 0);
    for (int j = 0; j < m; j++)
        for (int k = 0; k < m; k++) {
            long double s = 0;
            for (int64_t i = 0; i < n; i++)
                s += (long double)(j ? X[i * d + j - 1] : 1) * (k ? X[i * d + k - 1] : 1);
            CU_ASSERT(fabs(G[j * m + k] - (double)s) <= 1e-12 * fabsl(s) + 1e-12);
        }
    free(X);
}

/* The 6×6 Hilbert matrix: extreme eigenvalues 1.0827994845e-7 and 1.6188998589 (its
   condition number 1.4951058643e7 is a textbook value). */
static void test_eig_range(void)
{
    double H[36], lo, hi;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            H[i * 6 + j] = 1.0 / (i + j + 1);
    linalg_sym_eig_range(H, 6, &lo, &hi);
    CU_ASSERT(fabs(hi - 1.6188998589) <= 1e-9);
    CU_ASSERT(fabs(lo - 1.0827994845e-7) <= 1e-15);
    CU_ASSERT(fabs(hi / lo - 1.4951058643e7) <= 1e-7 * 1.4951058643e7);
    double D[9] = {3, 0, 0, 0, -1, 0, 0, 0, 2};  /* already diagonal */
    linalg_sym_eig_range(D, 3, &lo, &hi);
    CU_ASSERT_EQUAL(lo, -1);
    CU_ASSERT_EQUAL(hi, 3);
}

void add_kernels_suite(void)
{
    CU_pSuite s = CU_add_suite("kernels", NULL, NULL);
    CU_add_test(s, "gd_partials: reference loop, any thread count and team", test_partials_shapes);
    CU_add_test(s, "stats_local: the same bits for any team", test_stats_any_team);
    CU_add_test(s, "gd_partials with a target near 1e9 against long double",
                test_partials_large_target);
    CU_add_test(s, "metrics_compute against a direct computation", test_metrics);
    CU_add_test(s, "metrics with means near 1e9 against quadruple precision",
                test_metrics_large_means);
    CU_add_test(s, "linalg_gram against a direct sum", test_gram);
    CU_add_test(s, "linalg_sym_eig_range: Hilbert 6x6", test_eig_range);
}
