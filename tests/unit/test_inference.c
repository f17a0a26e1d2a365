/* test_inference.c — the Wald tests' rank test: NA where a robust covariance is singular,
   a value where only the design is ill-conditioned. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inference.h"
#include "suites.h"

/* A table of an intercept and two coefficients (estimates 1, 2, -1) with the robust
   covariance V and bread C (3×3 row-major, copied), rank bound `rank`. */
static void with_cov(struct inference *inf, const double *V, const double *C, int rank)
{
    *inf = (struct inference){.d = 2, .intercept = 1, .conf_level = 0.95, .n = 50,
                              .cov_type = "classical", .cov_rank = 3};
    inf->terms = lr_calloc(3, sizeof *inf->terms);
    const double est[3] = {1, 2, -1};
    for (int j = 0; j < 3; j++)
        inf->terms[j].estimate = est[j];
    double *v = lr_malloc(9 * sizeof *v), *c = lr_malloc(9 * sizeof *c);
    memcpy(v, V, 9 * sizeof *v);
    memcpy(c, C, 9 * sizeof *c);
    const int64_t g[1] = {10};
    inference_use_cov(inf, v, c, rank, "cluster", 9, g, 1);
}

/* βᵀV⁻¹β/2 over coefficients 1 and 2 of V, by hand. */
static double f_by_hand(const double *V)
{
    double a = V[4], b = V[5], d = V[8], det = a * d - b * b, x = 2, y = -1;
    return (d * x * x - 2 * b * x * y + a * y * y) / det / 2;
}

static void test_rank_test(void)
{
    struct inference inf;
    /* the bread of a design whose two columns correlate 1 − 1e-12 (the covariance's
       correlation matrix has eigenvalues 2 and 5e-13), and V = 3C: homoskedastic errors
       of variance 3. A well-posed test: F = β'(3C)⁻¹β/2 */
    double r = 1 - 1e-12;
    const double C[9] = {2, 0.5, 0.5, 0.5, 1, r, 0.5, r, 1};
    double V[9];
    for (int a = 0; a < 9; a++)
        V[a] = 3 * C[a];
    with_cov(&inf, V, C, 3);
    CU_ASSERT(isfinite(inf.f_statistic));
    CU_ASSERT(fabs(inf.f_statistic - f_by_hand(V)) <= 1e-3 * f_by_hand(V));
    CU_ASSERT_EQUAL(inf.n_singular, 0);
    inference_free(&inf);
    /* the same, said to have rank 1 (two clusters): NA, and so is any test of 2 */
    with_cov(&inf, V, C, 1);
    CU_ASSERT(isnan(inf.f_statistic) && isnan(inf.f_p_value));
    CU_ASSERT_EQUAL(inf.f_df1, 2);
    CU_ASSERT_EQUAL(inf.n_singular, 1);
    CU_ASSERT(isfinite(inf.terms[1].std_error));  /* a coefficient alone keeps its t test */
    inference_free(&inf);
    /* a well-conditioned bread, V of rank 1 on coefficients 1 and 2 but for rounding
       (1e-16 of its size): NA, where dgesv alone gives F of 1e16 or so */
    const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double S[9] = {1, 0.5, 0.5, 0.5, 1, 1 + 1e-16, 0.5, 1 + 1e-16, 1 + 4e-16};
    with_cov(&inf, S, I, 3);
    CU_ASSERT(isnan(inf.f_statistic));
    CU_ASSERT_EQUAL(inf.n_singular, 1);
    inference_free(&inf);
    /* a NaN covariance (HC3 with a row of leverage 1): every standard error and test NA */
    double N[9];
    for (int a = 0; a < 9; a++)
        N[a] = NAN;
    with_cov(&inf, N, I, 3);
    CU_ASSERT(isnan(inf.f_statistic) && isnan(inf.terms[0].std_error) &&
              isnan(inf.terms[2].p_value));
    inference_free(&inf);
}

void add_inference_suite(void)
{
    CU_pSuite s = CU_add_suite("inference", NULL, NULL);
    CU_add_test(s, "Wald F: NA on a singular covariance, not on an ill-conditioned design",
                test_rank_test);
}
