/* test_precond.c — precond.h: with every row sampled, P makes the scaled Hessian the
   identity (with an intercept, without, with a ridge penalty, with weights); the columns a
   sample cannot represent (a constant, a duplicate, a column nonzero in two rows) keep
   column scaling, named with why; the factor's digest is the same for any thread count;
   Pᵀ is P's transpose. One rank. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gd.h"
#include "precond.h"
#include "stats.h"
#include "suites.h"

/* N×D rows: x0 ~ U, x1 = x0 + small, x2 = 1000·U + 50 (units far apart) */
static double *make_rows(int64_t n, int d, unsigned seed)
{
    double *X = malloc(sizeof(double) * (size_t)n * (size_t)d);
    srand(seed);
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double u = (double)rand() / RAND_MAX - 0.5;
            X[i * d + j] = j == 1 ? X[i * d] + 0.01 * u : j == 2 ? 1000 * u + 50 : u;
        }
    return X;
}

/* The scaling train.c chooses (z-scores; RMS without an intercept) and the preconditioner */
static void build(double *X, const double *w, int64_t n, int d, int intercept, double l2,
                  int64_t rows, int threads, struct precond *pc, double *mean, double *scale)
{
    struct col_stats *cs = malloc(sizeof *cs * (size_t)d);
    stats_allreduce_w(X, w, n, d, 1, cs);
    double wt = 0;
    for (int64_t i = 0; i < n; i++)
        wt += w ? w[i] : 1;
    for (int j = 0; j < d; j++) {
        double sd = stats_std(&cs[j]);
        mean[j] = intercept ? cs[j].mean : 0;
        scale[j] = intercept ? (sd > 0 ? sd : 1) : sqrt(sd * sd + cs[j].mean * cs[j].mean);
    }
    struct gd_problem pb = {.X = X, .n_local = n, .n_total = n, .d = d, .n_threads = threads,
                            .intercept = intercept, .w = w, .w_total = wt};
    precond_sample(&pb, cs, mean, scale, l2, rows, 1, pc);
    stats_standardize(X, n, d, mean, scale, 1);
    free(cs);
}

/* max |PᵀHP − I| over the coordinates that move, H = [1 Z]ᵀΩ[1 Z]/Σω + l2/Σω (not b) */
static double off_identity(const double *Z, const double *w, int64_t n, int d, int intercept,
                           double l2, const struct precond *pc)
{
    int m = d + 1;
    double *H = calloc((size_t)m * m, sizeof *H), *Hz = calloc((size_t)m * m, sizeof *Hz), wt = 0;
    for (int64_t i = 0; i < n; i++) {
        double om = w ? w[i] : 1;
        wt += om;
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++)
                H[a * m + b] += om * (a ? Z[i * d + a - 1] : 1) * (b ? Z[i * d + b - 1] : 1);
    }
    for (int a = 0; a < m; a++) {
        for (int b = 0; b < m; b++)
            H[a * m + b] /= wt;
        if (a > 0)
            H[a * m + a] += l2 / wt;
    }
    double worst = 0;
    for (int a = intercept ? 0 : 1; a < m; a++)
        for (int b = intercept ? 0 : 1; b < m; b++) {
            double s = 0;
            for (int p = 0; p < m; p++)
                for (int q = 0; q < m; q++)
                    s += pc->P[p * m + a] * H[p * m + q] * pc->P[q * m + b];
            Hz[a * m + b] = s;
            worst = fmax(worst, fabs(s - (a == b)));
        }
    free(H);
    free(Hz);
    return worst;
}

static void test_whole_sample_is_exact(void)
{
    int64_t n = 3000;
    int d = 3;
    double mean[3], scale[3], *w = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = exp(6.9 * (double)(i % 97) / 96);  /* 1 to 1000 */
    for (int intercept = 0; intercept <= 1; intercept++)
        for (int weighted = 0; weighted <= 1; weighted++)
            for (int ridge = 0; ridge <= 1; ridge++) {
                double *X = make_rows(n, d, 7);
                struct precond pc;
                double l2 = ridge ? 50.0 : 0;
                build(X, weighted ? w : NULL, n, d, intercept, l2, n, 2, &pc, mean, scale);
                CU_ASSERT_EQUAL(pc.rows, n);
                CU_ASSERT_EQUAL(pc.n_fallback, 0);
                /* x1 ≈ x0: the scaled Hessian has condition ~1e4; in z it is the identity */
                double off = off_identity(X, weighted ? w : NULL, n, d, intercept, l2, &pc);
                CU_ASSERT(off < 1e-9);
                if (!(off < 1e-9))
                    printf("\nintercept %d weighted %d ridge %d: |PᵀHP − I| = %g\n", intercept,
                           weighted, ridge, off);
                /* Pᵀ is the transpose of P: v·(Pu) = (Pᵀv)·u */
                double u[4] = {0.3, -1, 2, 0.5}, v[4] = {1, 0.25, -0.5, 3}, pu[4], ptv[4], a = 0, b = 0;
                precond_apply(&pc, u, pu);
                precond_grad(&pc, v, ptv);
                for (int j = 0; j < 4; j++)
                    a += v[j] * pu[j], b += ptv[j] * u[j];
                CU_ASSERT_DOUBLE_EQUAL(a, b, 1e-12 * fabs(a) + 1e-12);
                precond_free(&pc);
                free(X);
            }
    free(w);
}

static void test_fallbacks(void)
{
    int64_t n = 5000;
    int d = 6;
    double mean[6], scale[6];
    double *X = make_rows(n, d, 3);
    for (int64_t i = 0; i < n; i++) {
        X[i * d + 3] = 7.5;                    /* constant */
        X[i * d + 4] = X[i * d + 0];           /* a duplicate of x0 */
        X[i * d + 5] = i == 17 || i == 4000;   /* nonzero in two rows */
    }
    struct precond pc;
    build(X, NULL, n, d, 1, 0, 500, 1, &pc, mean, scale);
    int why[7] = {-1, -1, -1, -1, -1, -1, -1};
    for (int k = 0; k < pc.n_fallback; k++)
        why[pc.fallback[k]] = pc.why[k];
    CU_ASSERT_EQUAL(pc.n_fallback, 3);
    CU_ASSERT_EQUAL(why[4], PRECOND_CONSTANT);
    CU_ASSERT_EQUAL(why[5], PRECOND_DEPENDENT);
    CU_ASSERT_EQUAL(why[6], PRECOND_SPREAD);
    CU_ASSERT(pc.rows > 400 && pc.rows < 600);
    /* column scaling on those: P's row and column are e_j (z-scored: H_jj = 1), the
       constant's 1 */
    for (int j = 4; j <= 6; j++)
        for (int k = 0; k <= d; k++) {
            CU_ASSERT_EQUAL(pc.P[j * (d + 1) + k], j == k ? 1.0 : 0.0);
            CU_ASSERT_EQUAL(pc.P[k * (d + 1) + j], j == k ? 1.0 : 0.0);
        }
    precond_free(&pc);
    free(X);
}

static void test_threads_same_factor(void)
{
    int64_t n = 200000;  /* several of the exact solver's parts */
    int d = 3;
    double mean[3], scale[3];
    uint64_t digest[3];
    double *P1 = NULL;
    for (int t = 1; t <= 3; t++) {
        double *X = make_rows(n, d, 11);
        struct precond pc;
        build(X, NULL, n, d, 1, 0, 60000, t, &pc, mean, scale);
        digest[t - 1] = pc.digest;
        if (t == 1)
            P1 = malloc(sizeof(double) * 16), memcpy(P1, pc.P, sizeof(double) * 16);
        else
            CU_ASSERT_EQUAL(memcmp(P1, pc.P, sizeof(double) * 16), 0);
        precond_free(&pc);
        free(X);
    }
    CU_ASSERT_EQUAL(digest[0], digest[1]);
    CU_ASSERT_EQUAL(digest[0], digest[2]);
    free(P1);
}

/* independent columns: the sample sees nothing worth fixing; correlated ones: it does */
static void test_worth_it(void)
{
    int64_t n = 50000;
    int d = 4;
    double mean[4], scale[4];
    for (int correlated = 0; correlated <= 1; correlated++) {
        double *X = make_rows(n, d, 5);
        if (!correlated)
            for (int64_t i = 0; i < n; i++)
                X[i * d + 1] = (double)rand() / RAND_MAX;  /* x1 no longer follows x0 */
        struct precond pc;
        build(X, NULL, n, d, 1, 0, 4000, 1, &pc, mean, scale);
        CU_ASSERT(pc.noise_kappa2 > 1 && pc.noise_kappa2 < 1.5);
        CU_ASSERT_EQUAL(precond_worth_it(&pc), correlated);
        CU_ASSERT(correlated ? pc.sample_kappa2 > 1e3 : pc.sample_kappa2 < 2);
        precond_free(&pc);
        free(X);
    }
}

void add_precond_suite(void)
{
    CU_pSuite s = CU_add_suite("precond", NULL, NULL);
    CU_add_test(s, "every row sampled: P^T H P = I (intercept, weights, l2)", test_whole_sample_is_exact);
    CU_add_test(s, "constant, duplicate, two-row columns keep column scaling", test_fallbacks);
    CU_add_test(s, "the same factor and P for 1-3 threads", test_threads_same_factor);
    CU_add_test(s, "worth it on correlated columns, not on independent ones", test_worth_it);
}
