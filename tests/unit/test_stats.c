/* test_stats.c — merged statistics equal direct two-pass ones. */
#include <math.h>
#include <stdlib.h>

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

void add_stats_suite(void)
{
    CU_pSuite s = CU_add_suite("stats", NULL, NULL);
    CU_add_test(s, "values worked out by hand", test_by_hand);
    CU_add_test(s, "Chan merge and thread counts match a direct two-pass", test_merge_and_threads);
}
