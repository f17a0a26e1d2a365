/* test_cv.c — --cv's pass: the folds' Gram matrices from their exact-solver streams against
   a plain sum of a aᵀ in long double, the same bits for any thread count, hash folds by
   position, the list parser. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "hash.h"
#include "suites.h"

enum { N = 20000, D = 5, K = 4 };  /* folds of about 5000 rows: two parts each */

struct data {
    double X[N * D], y[N], w[N], mean[D], scale[D];
    int fold[N];
};

/* Correlated columns with offsets, weights in (0.5, 1.5), folds i mod K but for a run of
   rows in fold 0 (so blocks hold uneven folds). */
static void make(struct data *g)
{
    uint64_t s = 7;
    double u[D];
    for (int i = 0; i < N; i++) {
        double t = 0;
        for (int j = 0; j < D; j++) {
            u[j] = (double)(mix64(s++) >> 11) * 0x1p-53 - 0.5;
            g->X[i * D + j] = 100.0 * j + u[j] + (j ? 0.3 * u[j - 1] : 0);
            t += (j + 1) * u[j];
        }
        g->y[i] = t + 3 * (double)(mix64(s++) >> 11) * 0x1p-53;  /* R² about 0.8 */
        g->w[i] = 0.5 + (double)(mix64(s++) >> 11) * 0x1p-53;
        g->fold[i] = i > 3000 && i < 4000 ? 0 : i % K;
    }
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++)
            m += g->X[i * D + j];
        m /= N;
        for (int i = 0; i < N; i++)
            v += (g->X[i * D + j] - m) * (g->X[i * D + j] - m);
        g->mean[j] = m, g->scale[j] = sqrt(v / N);
    }
}

/* The rows in blocks of `step` rows (N: one block). */
struct blocks {
    const struct data *g;
    int64_t at, step;
};

static int next_block(void *ctx, struct cv_block *b, struct lr_error *e)
{
    struct blocks *it = ctx;
    if (it->at >= N)
        return 0;
    int64_t n = it->at + it->step < N ? it->step : N - it->at;
    *b = (struct cv_block){.X = it->g->X + it->at * D, .y = it->g->y + it->at,
                           .w = it->g->w + it->at, .n = n};
    it->at += n;
    return 1;
}

static struct cv_problem problem(struct blocks *it, int threads, const double *alpha)
{
    const struct data *g = it->g;
    return (struct cv_problem){
        .next = next_block, .ctx = it, .n_local = N, .n_total = N, .d = D, .mean = g->mean,
        .scale = g->scale, .n_threads = threads, .K = K, .fold = g->fold, .l1_ratio = alpha,
        .n_l1_ratio = 1, .n_lambda = 30, .path = "test",
    };
}

/* cv_run against path_cv on Σ ω a aᵀ, a = [1 z y], summed plainly in long double */
static void test_against_plain_gram(void)
{
    struct data *g = malloc(sizeof *g);
    make(g);
    double alpha = 0.5;
    struct blocks it = {.g = g, .step = N};
    struct cv_problem pb = problem(&it, 2, &alpha);
    struct cv_result r;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(cv_run(&pb, &r, &e), 0);
    enum { M = D + 2 };
    double *A[K];
    int64_t rows[K] = {0};
    for (int k = 0; k < K; k++) {
        long double S[M * M] = {0};
        for (int i = 0; i < N; i++) {
            if (g->fold[i] != k)
                continue;
            double a[M] = {1};
            for (int j = 0; j < D; j++)
                a[j + 1] = (g->X[i * D + j] - g->mean[j]) / g->scale[j];
            a[M - 1] = g->y[i];
            for (int p = 0; p < M; p++)
                for (int q = 0; q < M; q++)
                    S[p * M + q] += (long double)g->w[i] * a[p] * a[q];
            rows[k]++;
        }
        A[k] = malloc(sizeof(double) * M * M);
        for (int p = 0; p < M * M; p++)
            A[k][p] = (double)S[p];
        CU_ASSERT_EQUAL(rows[k], r.fold_rows[k]);
        CU_ASSERT_DOUBLE_EQUAL(r.fold_weight[k], A[k][0], 1e-12 * A[k][0]);
    }
    struct path_problem pp = {.p = D, .alpha = alpha, .n_lambda = 30};
    struct path_cv want;
    CU_ASSERT_EQUAL_FATAL(path_cv(&pp, (const double *const *)A, rows, K, &want), 0);
    const struct path_cv *got = &r.paths[0];
    CU_ASSERT_EQUAL_FATAL(got->full.n, want.full.n);
    double worst = 0;
    for (int l = 0; l < want.full.n; l++) {
        worst = fmax(worst, fabs(got->full.lambda[l] - want.full.lambda[l]) / want.full.lambda[l]);
        worst = fmax(worst, fabs(got->cvm[l] - want.cvm[l]) / want.cvm[l]);
        worst = fmax(worst, fabs(got->cvsd[l] - want.cvsd[l]) / want.cvsd[l]);
    }
    CU_ASSERT(worst < 1e-11);
    if (worst >= 1e-11)
        fprintf(stderr, "worst relative difference %g\n", worst);
    CU_ASSERT_EQUAL(got->i_min, want.i_min);
    CU_ASSERT_EQUAL(got->i_1se, want.i_1se);
    for (int k = 0; k < K; k++)
        free(A[k]);
    path_cv_free(&want);
    cv_result_free(&r);
    free(g);
}

/* 1, 2 and 3 threads, the rows in one block or in blocks of 777 or 5000: the same bits */
static void test_threads(void)
{
    struct data *g = malloc(sizeof *g);
    make(g);
    double alpha = 1;
    struct cv_result r[3];
    struct lr_error e = {0};
    for (int t = 0; t < 3; t++) {
        struct blocks it = {.g = g, .step = t == 0 ? N : t == 1 ? 777 : 5000};
        struct cv_problem pb = problem(&it, t + 1, &alpha);
        CU_ASSERT_EQUAL_FATAL(cv_run(&pb, &r[t], &e), 0);
    }
    for (int t = 1; t < 3; t++) {
        int n = r[0].paths[0].full.n;
        CU_ASSERT_EQUAL_FATAL(r[t].paths[0].full.n, n);
        CU_ASSERT(memcmp(r[t].paths[0].cvm, r[0].paths[0].cvm, sizeof(double) * n) == 0);
        CU_ASSERT(memcmp(r[t].paths[0].cvsd, r[0].paths[0].cvsd, sizeof(double) * n) == 0);
        CU_ASSERT(memcmp(r[t].theta, r[0].theta, sizeof(double) * (D + 1)) == 0);
    }
    for (int t = 0; t < 3; t++)
        cv_result_free(&r[t]);
    free(g);
}

/* a fold without rows, and one without weight: errors, nothing to free */
static void test_empty_fold(void)
{
    struct data *g = malloc(sizeof *g);
    make(g);
    double alpha = 1;
    for (int i = 0; i < N; i++)
        g->fold[i] = g->fold[i] == 2 ? 1 : g->fold[i];
    struct blocks it = {.g = g, .step = N};
    struct cv_problem pb = problem(&it, 2, &alpha);
    struct cv_result r;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL(cv_run(&pb, &r, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_EDATA);
    CU_ASSERT(strstr(e.msg, "fold 3 of 4 has no rows") != NULL);
    cv_result_free(&r);
    make(g);
    for (int i = 0; i < N; i++)
        g->w[i] = g->fold[i] == 1 ? 0 : g->w[i];
    it.at = 0;
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(cv_run(&pb, &r, &e), -1);
    CU_ASSERT(strstr(e.msg, "fold 2 of 4 has") && strstr(e.msg, "all their weights are 0"));
    cv_result_free(&r);
    free(g);
}

/* a row's hash fold: in [0, K), every fold gets its share, another seed gives other folds;
   cv_run with no fold array (a rank whose rows start at global position 5000, in blocks)
   puts each row, and its weight, in the fold cv_hash_fold gives it */
static void test_hash_folds(void)
{
    int count[7] = {0}, differ = 0;
    for (int64_t i = 0; i < N; i++) {
        int k = cv_hash_fold(9, 7, i);
        CU_ASSERT_FATAL(k >= 0 && k < 7);
        count[k]++;
        differ += k != cv_hash_fold(10, 7, i);
    }
    for (int k = 0; k < 7; k++)  /* N/7 ≈ 2857, binomial sd ≈ 49 */
        CU_ASSERT(abs(count[k] - N / 7) < 300);
    CU_ASSERT(differ > N / 2);  /* 6/7 of the rows expected */

    struct data *g = malloc(sizeof *g);
    make(g);
    double alpha = 1, weight[K] = {0};
    int64_t rows[K] = {0};
    for (int64_t i = 0; i < N; i++) {
        int k = cv_hash_fold(9, K, 5000 + i);
        rows[k]++;
        weight[k] += g->w[i];
    }
    struct blocks it = {.g = g, .step = 777};
    struct cv_problem pb = problem(&it, 2, &alpha);
    pb.fold = NULL, pb.hash_seed = 9, pb.hash_base = 5000;
    struct cv_result r;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(cv_run(&pb, &r, &e), 0);
    for (int k = 0; k < K; k++) {
        CU_ASSERT_EQUAL(r.fold_rows[k], rows[k]);
        CU_ASSERT_DOUBLE_EQUAL(r.fold_weight[k], weight[k], 1e-12 * weight[k]);
    }
    cv_result_free(&r);
    free(g);
}

static void test_parse_list(void)
{
    double v[4];
    int bad;
    CU_ASSERT_EQUAL(cv_parse_list("1,0.5,0", 0, 0, 1, v, 4, &bad), 3);
    CU_ASSERT_EQUAL(v[1], 0.5);
    CU_ASSERT_EQUAL(cv_parse_list("1e-3", 0, 1, INFINITY, v, 4, &bad), 1);
    CU_ASSERT_EQUAL(v[0], 1e-3);
    CU_ASSERT_EQUAL(cv_parse_list("1,,2", 0, 0, 9, v, 4, &bad), -1);
    CU_ASSERT_EQUAL(bad, 1);
    CU_ASSERT_EQUAL(cv_parse_list("0", 0, 1, 9, v, 4, &bad), -1);  /* above 0 */
    CU_ASSERT_EQUAL(cv_parse_list("1,2,3,4,5", 0, 0, 9, v, 4, &bad), -1);  /* more than cap */
    CU_ASSERT_EQUAL(bad, 4);
    CU_ASSERT_EQUAL(cv_parse_list("1,nan", 0, 0, INFINITY, v, 4, &bad), -1);
    CU_ASSERT_EQUAL(cv_parse_list("1,", 0, 0, 9, v, 4, &bad), -1);
    CU_ASSERT_EQUAL(cv_parse_list("1e400", 0, 1, INFINITY, v, 4, &bad), -1);
    CU_ASSERT_EQUAL(cv_parse_list("inf", 0, 1, INFINITY, v, 4, &bad), -1);
}

void add_cv_suite(void)
{
    CU_pSuite s = CU_add_suite("cv", NULL, NULL);
    CU_add_test(s, "folds' Gram matrices from their streams = the plain sums", test_against_plain_gram);
    CU_add_test(s, "1, 2, 3 threads, blocks of any size: the same bits", test_threads);
    CU_add_test(s, "a fold without rows or weight is an error", test_empty_fold);
    CU_add_test(s, "hash folds by position and seed, as cv_run uses them", test_hash_folds);
    CU_add_test(s, "comma-separated lists", test_parse_list);
}
