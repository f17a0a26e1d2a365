/* test_stats.c — merged statistics equal direct two-pass ones; a part with every value
   finite (the branch-free path) gives the bits of the checked path that a NaN or an
   infinity sends a part to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "suites.h"

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static void test_by_hand(void)
{
    /* column 0: 2,4,4,4,5,5,7,9 → mean 5, population std 2; column 1: constant 3 */
    double X[16] = {2, 3, 4, 3, 4, 3, 4, 3, 5, 3, 5, 3, 7, 3, 9, 3};
    struct col_stats s[2];
    stats_local(X, 8, 2, 1, s);
    CU_ASSERT_EQUAL(s[0].count, 8);
    CU_ASSERT_DOUBLE_EQUAL(s[0].mean, 5.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(stats_std(&s[0]), 2.0, 1e-15);
    CU_ASSERT_EQUAL(s[0].min, 2);
    CU_ASSERT_EQUAL(s[0].max, 9);
    CU_ASSERT_EQUAL(stats_std(&s[1]), 0.0);
}

/* Chan's merge of uneven pieces equals the direct computation; thread counts agree. */
static void test_merge_and_threads(void)
{
    int n = 100003, d = 3;
    double *X = malloc(sizeof(double) * (size_t)n * (size_t)d);
    srand(3);
    for (int i = 0; i < n * d; i++)
        X[i] = 1e6 + (double)rand() / RAND_MAX * (i % 3 + 1);  /* large mean, small spread */
    struct col_stats whole[3], a[3], b[3], t4[3];
    stats_local(X, n, d, 1, whole);
    stats_local(X, 777, d, 1, a);
    stats_local(X + 777 * d, n - 777, d, 1, b);
    stats_local(X, n, d, 4, t4);
    for (int j = 0; j < d; j++) {
        double mean = 0, m2 = 0;  /* direct two-pass, independent of stats.c */
        for (int i = 0; i < n; i++)
            mean += X[i * d + j];
        mean /= n;
        for (int i = 0; i < n; i++)
            m2 += (X[i * d + j] - mean) * (X[i * d + j] - mean);
        stats_merge(&a[j], &b[j]);
        CU_ASSERT(close_rel(whole[j].mean, mean, 1e-14));
        CU_ASSERT(close_rel(whole[j].m2, m2, 1e-10));
        CU_ASSERT(close_rel(a[j].mean, mean, 1e-14));
        CU_ASSERT(close_rel(a[j].m2, m2, 1e-10));
        CU_ASSERT(close_rel(t4[j].mean, mean, 1e-14));
        CU_ASSERT(close_rel(t4[j].m2, m2, 1e-10));
        CU_ASSERT_EQUAL(a[j].count, n);
        CU_ASSERT_EQUAL(a[j].min, whole[j].min);
        CU_ASSERT_EQUAL(a[j].max, whole[j].max);
    }
    free(X);
}

/* The two paths of a part: column 0 holds an infinity (plain) or a NaN (weighted) in some
   parts, which sends those parts down the checked path; the other columns, whose sums do
   not depend on it, must come out the same bits as from the same rows with column 0 finite
   (every part on the branch-free path). 5 columns (not a multiple of the vector width),
   rows not a multiple of a part, values of mixed sign and size, -0.0 among them. */
static void test_finite_path(void)
{
    int n = 3 * 4096 + 1234, d = 5;
    double *X = malloc(sizeof(double) * (size_t)n * (size_t)d);
    double *Y = malloc(sizeof(double) * (size_t)n * (size_t)d), *w = malloc(sizeof(double) * (size_t)n);
    srand(5);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
            double u = (double)rand() / RAND_MAX - 0.5;
            X[i * d + j] = j == 2 ? 1e9 + u : j == 3 ? (i % 7 ? u * 1e-3 : -0.0) : u * (j + 1);
        }
        w[i] = i % 11 ? 0.5 + (double)rand() / RAND_MAX : 0.0;
    }
    memcpy(Y, X, sizeof(double) * (size_t)n * (size_t)d);
    for (int weighted = 0; weighted <= 1; weighted++) {
        Y[100 * d] = weighted ? NAN : INFINITY;   /* the first part */
        Y[(2 * 4096 + 7) * d] = weighted ? NAN : -INFINITY;  /* the third */
        for (int threads = 1; threads <= 3; threads += 2) {
            struct col_stats fast[5], checked[5];
            stats_local_w(X, weighted ? w : NULL, n, d, threads, fast);
            stats_local_w(Y, weighted ? w : NULL, n, d, threads, checked);
            for (int j = 1; j < d; j++)
                CU_ASSERT(!memcmp(&fast[j], &checked[j], sizeof fast[j]));
            CU_ASSERT(weighted ? checked[0].count == n - 2 : !isfinite(checked[0].m2));
            CU_ASSERT(fast[3].count == n && fast[0].count == n);
        }
    }
    free(X);
    free(Y);
    free(w);
}

/* Columns whose mean is large beside their spread (1e9 + U(0, 2), 1e9 + U(0, 1e-3)), over
   several parts, weighted and not, on 1 and 3 threads and merged from two uneven pieces:
   the mean to a double's rounding and M2 to 1e-12 of a two-pass computation in quadruple
   precision. (A part's mean Σx/n is off by about 1e-6 at 1e9, and Chan's update squares the
   difference of two such means.) */
static void test_large_means(void)
{
    int n = 5 * 4096 + 77, d = 2;
    double *X = malloc(sizeof(double) * (size_t)n * (size_t)d), *w = malloc(sizeof(double) * (size_t)n);
    srand(9);
    for (int i = 0; i < n; i++) {
        X[i * d] = 1e9 + 2.0 * rand() / RAND_MAX;
        X[i * d + 1] = 1e9 + 1e-3 * rand() / RAND_MAX;
        w[i] = i % 5 ? 0.5 + (double)rand() / RAND_MAX : 0.0;
    }
    for (int weighted = 0; weighted <= 1; weighted++) {
        const double *ww = weighted ? w : NULL;
        struct col_stats one[2], three[2], a[2], b[2];
        stats_local_w(X, ww, n, d, 1, one);
        stats_local_w(X, ww, n, d, 3, three);
        stats_local_w(X, ww, 4096 + 555, d, 1, a);
        stats_local_w(X + (4096 + 555) * d, ww ? ww + 4096 + 555 : NULL, n - 4096 - 555, d, 1, b);
        for (int j = 0; j < d; j++) {
            __float128 sw = 0, sx = 0, m2 = 0;
            for (int i = 0; i < n; i++) {
                __float128 wi = ww ? ww[i] : 1.0;
                sw += wi;
                sx += wi * (__float128)X[i * d + j];
            }
            __float128 mean = sx / sw;
            for (int i = 0; i < n; i++) {
                __float128 dx = (__float128)X[i * d + j] - mean;
                m2 += (ww ? ww[i] : 1.0) * dx * dx;
            }
            stats_merge(&a[j], &b[j]);
            const struct col_stats *got[] = {&one[j], &three[j], &a[j]};
            for (int k = 0; k < 3; k++) {
                CU_ASSERT(fabs((double)((__float128)got[k]->mean - mean)) <= 0x1p-52 * 1e9);
                CU_ASSERT(fabs((double)(((__float128)got[k]->m2 - m2) / m2)) <= 1e-12);
            }
            CU_ASSERT(!memcmp(&one[j], &three[j], sizeof one[j]));  /* any team: the same bits */
        }
    }
    free(X);
    free(w);
}

/* stats_first_mean: the weighted mean of the first PAR_CHUNK_ROWS rows, rows of weight 0
   left out (outliers there do not move it), NaN and infinities skipped; first rows all of
   weight 0: their plain mean; a column with no finite value: 0. */
static void test_first_mean(void)
{
    int n = 4096 + 100, d = 3;
    double *X = malloc(sizeof(double) * (size_t)n * (size_t)d), *w = malloc(sizeof(double) * (size_t)n);
    double sum = 0, weight = 0, plain = 0, out[3];
    for (int i = 0; i < n; i++) {
        int zero = i % 4 == 1, late = i >= 4096;
        X[i * d] = late ? 1e6 : zero ? 5000.0 : (double)(i % 10);
        X[i * d + 1] = i % 3 ? NAN : (double)i;
        X[i * d + 2] = i % 2 ? INFINITY : NAN;
        w[i] = zero ? 0.0 : 1.0 + (i % 3);
        if (!late && !zero)
            sum += w[i] * X[i * d], weight += w[i];
        if (!late)
            plain += X[i * d];
    }
    stats_first_mean(X, w, n, d, out);
    CU_ASSERT(close_rel(out[0], sum / weight, 1e-15));
    CU_ASSERT(out[0] < 10);  /* the outliers of weight 0 and the rows after 4,096 left out */
    CU_ASSERT(isfinite(out[1]) && out[1] > 0);
    CU_ASSERT_EQUAL(out[2], 0.0);
    for (int i = 0; i < n; i++)
        w[i] = 0;
    stats_first_mean(X, w, n, d, out);
    CU_ASSERT(close_rel(out[0], plain / 4096, 1e-15));
    stats_first_mean(X, NULL, n, d, out);
    CU_ASSERT(close_rel(out[0], plain / 4096, 1e-15));
    stats_first_mean(NULL, NULL, 0, d, out);
    CU_ASSERT(out[0] == 0 && out[1] == 0 && out[2] == 0);
    free(X);
    free(w);
}

void add_stats_suite(void)
{
    CU_pSuite s = CU_add_suite("stats", NULL, NULL);
    CU_add_test(s, "values worked out by hand", test_by_hand);
    CU_add_test(s, "Chan merge and thread counts match a direct two-pass", test_merge_and_threads);
    CU_add_test(s, "all-finite parts: the checked path's bits", test_finite_path);
    CU_add_test(s, "means near 1e9: the mean and M2 of a quadruple-precision two-pass",
                test_large_means);
    CU_add_test(s, "the first rows' weighted mean, without rows of weight 0", test_first_mean);
}
