/* test_quantile.c — the exact quantiles against a sort of the same values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantile.h"
#include "suites.h"

static const double P[3] = {0.25, 0.5, 0.75};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_by_hand(void)
{
    const double x[] = {1, 2, 3, 4};  /* numpy.percentile(x, [25, 50, 75]) */
    CU_ASSERT_EQUAL(quantile_sorted(x, 4, 0.25), 1.75);
    CU_ASSERT_EQUAL(quantile_sorted(x, 4, 0.5), 2.5);
    CU_ASSERT_EQUAL(quantile_sorted(x, 4, 0.75), 3.25);
    CU_ASSERT_EQUAL(quantile_sorted(x, 1, 0.75), 1);
    CU_ASSERT(isnan(quantile_sorted(x, 0, 0.5)));
}

/* Awkward columns (NaNs, ties, negatives, one value, none) under 1–3 threads: the bits of
   a plain sort's type-7 quantiles, the rows left as they were. */
static void test_columns(void)
{
    enum { N = 37, D = 5 };
    double X[N * D], ref[N * D], want[D * 3], got[D * 3];
    srand(7);
    for (int i = 0; i < N; i++) {
        X[i * D + 0] = (double)(rand() % 2001 - 1000) / 7;      /* spread, negatives */
        X[i * D + 1] = i % 3 == 0 ? NAN : (double)(rand() % 4);  /* ties, missing */
        X[i * D + 2] = i == 11 ? -2.5 : NAN;                     /* one value */
        X[i * D + 3] = NAN;                                      /* none */
        X[i * D + 4] = i % 2 ? -0.0 : 1e300 * (1 + i % 5);       /* zeros, huge */
    }
    for (int j = 0; j < D; j++) {
        double col[N];
        int m = 0;
        for (int i = 0; i < N; i++)
            if (!isnan(X[i * D + j]))
                col[m++] = X[i * D + j];
        qsort(col, (size_t)m, sizeof *col, cmp_double);
        for (int k = 0; k < 3; k++)
            want[j * 3 + k] = quantile_sorted(col, m, P[k]);
    }
    memcpy(ref, X, sizeof X);
    for (int t = 1; t <= 3; t++) {
        memcpy(X, ref, sizeof X);
        quantile_columns(X, N, D, NULL, P, 3, t, got);
        for (int x = 0; x < D * 3; x++)
            CU_ASSERT(memcmp(&got[x], &want[x], sizeof got[x]) == 0 || (isnan(got[x]) && isnan(want[x])));
        CU_ASSERT(memcmp(X, ref, sizeof X) == 0);  /* the rows as they were */
    }
    /* a column left out gets NaN */
    unsigned char use[D] = {1, 0, 1, 1, 1};
    quantile_columns(X, N, D, use, P, 3, 2, got);
    CU_ASSERT(isnan(got[3]) && got[0] == want[0] && got[6] == want[6]);
}

void add_quantile_suite(void)
{
    CU_pSuite s = CU_add_suite("quantile", NULL, NULL);
    CU_add_test(s, "type-7 quartiles worked out by hand", test_by_hand);
    CU_add_test(s, "distributed selection = a sort, any thread count", test_columns);
}
