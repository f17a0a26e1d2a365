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

/* Columns too long to gather at once (the brackets narrow over several passes): a wide
   spread of scales and signs, few distinct values, values one ulp apart; fed whole and in
   blocks of 1000 and 4096 rows, the bits of a sort, and the passes within the bound. */
static void test_passes(void)
{
    enum { N = 150000, D = 4 };
    double *X = malloc(sizeof(double) * N * D), *col = malloc(sizeof(double) * N);
    double want[D * 3], got[D * 3];
    int64_t count[D] = {0};
    double min[D], max[D];
    srand(11);
    for (int i = 0; i < N; i++) {
        double u = (double)rand() / RAND_MAX;
        X[i * D + 0] = (i % 2 ? -1 : 1) * exp(600 * u - 300);   /* 1e-130..1e130, both signs */
        X[i * D + 1] = (double)(rand() % 5);                     /* ties */
        X[i * D + 2] = nextafter(1.0, 2.0 + i % 3);              /* one ulp apart */
        X[i * D + 3] = i % 7 ? u : NAN;                          /* missing */
    }
    for (int j = 0; j < D; j++) {
        int m = 0;
        min[j] = INFINITY, max[j] = -INFINITY;
        for (int i = 0; i < N; i++)
            if (!isnan(X[i * D + j])) {
                col[m++] = X[i * D + j];
                min[j] = fmin(min[j], X[i * D + j]), max[j] = fmax(max[j], X[i * D + j]);
            }
        count[j] = m;
        qsort(col, (size_t)m, sizeof *col, cmp_double);
        for (int k = 0; k < 3; k++)
            want[j * 3 + k] = quantile_sorted(col, m, P[k]);
    }
    quantile_columns(X, N, D, NULL, P, 3, 2, got);
    CU_ASSERT(memcmp(got, want, sizeof got) == 0);
    const int64_t blocks[] = {1000, 4096};
    for (int b = 0; b < 2; b++) {
        struct quantile_search *q = quantile_begin(D, NULL, count, min, max, P, 3);
        while (quantile_pending(q)) {
            for (int64_t i = 0; i < N; i += blocks[b])
                quantile_add(q, X + i * D, i + blocks[b] < N ? blocks[b] : N - i, 1 + b);
            quantile_step(q);
        }
        CU_ASSERT(quantile_passes(q) >= 2 && quantile_passes(q) <= 6);
        memset(got, 0, sizeof got);
        quantile_result(q, got);
        CU_ASSERT(memcmp(got, want, sizeof got) == 0);
        quantile_free(q);
    }
    free(col);
    free(X);
}

void add_quantile_suite(void)
{
    CU_pSuite s = CU_add_suite("quantile", NULL, NULL);
    CU_add_test(s, "type-7 quartiles worked out by hand", test_by_hand);
    CU_add_test(s, "distributed selection = a sort, any thread count", test_columns);
    CU_add_test(s, "selection over passes and blocks = a sort", test_passes);
}
