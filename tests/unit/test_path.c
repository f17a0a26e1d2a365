/* test_path.c — path.c: the elastic-net path from the Gram matrix of [1 x y] against R's
   glmnet on mtcars and swiss (datasets/r_glmnet_reference.tsv, made by
   datasets/r_glmnet_reference.R): the same λ sequence, the same early stop, the same
   coefficients; and a given sequence used whole. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "suites.h"

/* The numeric columns of a small CSV with a header: *names (malloc'd), rows n×c. */
static double *read_csv(const char *path, int *n, int *c, char ***names)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[4096];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = 0;
    *c = 0;
    *names = malloc(64 * sizeof **names);
    for (char *t = strtok(line, ","); t && *c < 64; t = strtok(NULL, ","))
        (*names)[(*c)++] = strdup(t);
    double *v = malloc(1000 * (size_t)*c * sizeof *v);
    *n = 0;
    while (*n < 1000 && fgets(line, sizeof line, f)) {
        char *p = line;
        for (int j = 0; j < *c; j++, p++)
            v[*n * *c + j] = strtod(p, &p);
        (*n)++;
    }
    fclose(f);
    return v;
}

static int column(char **names, int c, const char *name)
{
    for (int j = 0; j < c; j++)
        if (strcmp(names[j], name) == 0)
            return j;
    return -1;
}

/* A = Σ ω a aᵀ, a = [1, x (the columns xs), y], ω = the column w or 1. */
static double *gram(const double *v, int n, int c, const int *xs, int p, int y, int w)
{
    int q = p + 2;
    double *A = calloc((size_t)q * q, sizeof *A), *a = malloc((size_t)q * sizeof *a);
    for (int i = 0; i < n; i++) {
        const double *row = v + (size_t)i * c;
        a[0] = 1;
        for (int j = 0; j < p; j++)
            a[j + 1] = row[xs[j]];
        a[p + 1] = row[y];
        double om = w >= 0 ? row[w] : 1.0;
        for (int r = 0; r < q; r++)
            for (int s = 0; s < q; s++)
                A[r * q + s] += om * a[r] * a[s];
    }
    free(a);
    return A;
}

/* Every line of the reference for case: λ and p+1 coefficients. Returns the count. */
static int reference(const char *cases, int p, double *lambda, double *beta, int cap)
{
    FILE *f = fopen("datasets/r_glmnet_reference.tsv", "r");
    if (!f)
        return -1;
    char line[8192];
    int k = 0;
    while (k < cap && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab || (size_t)(tab - line) != strlen(cases) || strncmp(line, cases, strlen(cases)))
            continue;
        char *q = tab + 1;
        lambda[k] = strtod(q, &q);
        for (int j = 0; j <= p; j++)
            beta[k * (p + 1) + j] = strtod(q, &q);
        k++;
    }
    fclose(f);
    return k;
}

/* A data set of the tests: its rows, and where x (p columns), y and the weights are. */
struct data_case {
    int n, c, p, y, w;         /* w: -1 without weights */
    char **names;
    double *v;                 /* n×c */
    int xs[16];
};

static void load_case(const char *csv, const char *const *xnames, int p, const char *yname,
                      const char *wname, struct data_case *dc)
{
    dc->v = read_csv(csv, &dc->n, &dc->c, &dc->names);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dc->v);
    dc->p = p;
    for (int j = 0; j < p; j++)
        CU_ASSERT_TRUE_FATAL((dc->xs[j] = column(dc->names, dc->c, xnames[j])) >= 0);
    dc->y = column(dc->names, dc->c, yname);
    dc->w = wname ? column(dc->names, dc->c, wname) : -1;
}

static void free_case(struct data_case *dc)
{
    for (int j = 0; j < dc->c; j++)
        free(dc->names[j]);
    free(dc->names);
    free(dc->v);
}

/* The path of case against glmnet's: lengths equal, λ to 1e-12, coefficients to tol
   (relative to the largest coefficient of that λ). */
static void check_case(const char *csv, const char *cases, const char *const *xnames, int p,
                       const char *yname, const char *wname, double alpha, double tol)
{
    struct data_case dc;
    load_case(csv, xnames, p, yname, wname, &dc);
    double *A = gram(dc.v, dc.n, dc.c, dc.xs, p, dc.y, dc.w);
    double lambda[100], beta[100 * 17];
    int want = reference(cases, p, lambda, beta, 100);
    CU_ASSERT_TRUE_FATAL(want > 0);
    struct path_problem pb = {.p = p, .A = A, .alpha = alpha, .n_lambda = 100};
    struct path_result r;
    CU_ASSERT_EQUAL_FATAL(path_fit(&pb, &r), 0);
    CU_ASSERT_EQUAL(r.n, want);
    CU_ASSERT_EQUAL(r.unconverged, 0);  /* every λ settled within glmnet's sweeps */
    double worst_l = 0, worst_b = 0;
    for (int k = 0; k < r.n && k < want; k++) {
        worst_l = fmax(worst_l, fabs(r.lambda[k] - lambda[k]) / lambda[k]);
        double big = 0;
        for (int j = 0; j <= p; j++)
            big = fmax(big, fabs(beta[k * (p + 1) + j]));
        for (int j = 0; j <= p; j++)
            worst_b = fmax(worst_b, fabs(r.beta[k * (p + 1) + j] - beta[k * (p + 1) + j]) / big);
    }
    if (worst_l > 1e-12 || worst_b > tol)
        fprintf(stderr, "\n%s: %d of %d lambdas; worst lambda %.3g, coefficient %.3g\n", cases,
                r.n, want, worst_l, worst_b);
    CU_ASSERT_TRUE(worst_l <= 1e-12);
    CU_ASSERT_TRUE(worst_b <= tol);
    /* the same sequence given: used whole, the same coefficients (but at the first λ, where
       glmnet's own sequence gives zeros even for ridge) */
    pb.lambdas = r.lambda;
    pb.n_lambda = r.n;
    struct path_result g;
    CU_ASSERT_EQUAL_FATAL(path_fit(&pb, &g), 0);
    CU_ASSERT_EQUAL(g.n, r.n);
    double diff = 0;
    for (int k = p + 1; k < g.n * (p + 1); k++)
        diff = fmax(diff, fabs(g.beta[k] - r.beta[k]));
    CU_ASSERT_TRUE(diff <= 1e-9);
    path_result_free(&g);
    path_result_free(&r);
    free_case(&dc);
    free(A);
}

static const char *const mtcars_x[] = {"cyl", "disp", "hp", "drat", "wt", "qsec", "vs", "am",
                                       "gear", "carb"};
static const char *const mtcars_x_nodrat[] = {"cyl", "disp", "hp", "wt", "qsec", "vs", "am",
                                              "gear", "carb"};
static const char *const swiss_x[] = {"agriculture", "examination", "education", "catholic",
                                      "infant_mortality"};

static void test_lasso(void)
{
    check_case("datasets/mtcars.csv", "mtcars:alpha=1", mtcars_x, 10, "mpg", NULL, 1, 1e-9);
    check_case("datasets/swiss.csv", "swiss:alpha=1", swiss_x, 5, "fertility", NULL, 1, 1e-9);
}

static void test_elastic_net(void)
{
    check_case("datasets/mtcars.csv", "mtcars:alpha=0.5", mtcars_x, 10, "mpg", NULL, 0.5, 1e-9);
    check_case("datasets/mtcars.csv", "mtcars-weights-drat:alpha=0.5", mtcars_x_nodrat, 9, "mpg",
               "drat", 0.5, 1e-9);
}

static void test_ridge(void)
{
    check_case("datasets/mtcars.csv", "mtcars:alpha=0", mtcars_x, 10, "mpg", NULL, 0, 1e-9);
}

/* cv.glmnet with foldid (row i in fold i mod K) and grouped errors: its λ, cvm, cvsd to
   1e-9 relative, the same λ_min and λ_1se. */
static void check_cv(const char *csv, const char *cases, const char *const *xnames, int p,
                     const char *yname, const char *wname, double alpha, int K)
{
    struct data_case dc;
    load_case(csv, xnames, p, yname, wname, &dc);
    /* each fold's rows, then its Gram matrix */
    double *fold_A[8], *rows = malloc((size_t)dc.n * dc.c * sizeof *rows);
    int64_t fold_rows[8];
    for (int k = 0; k < K; k++) {
        int m = 0;
        for (int i = k; i < dc.n; i += K, m++)
            memcpy(rows + (size_t)m * dc.c, dc.v + (size_t)i * dc.c, (size_t)dc.c * sizeof *rows);
        fold_A[k] = gram(rows, m, dc.c, dc.xs, p, dc.y, dc.w);
        fold_rows[k] = m;
    }
    /* the reference: p + 1 "coefficients" read as cvm, cvsd; then the choice line */
    FILE *f = fopen("datasets/r_glmnet_reference.tsv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[8192];
    double lambda[100], cvm[100], cvsd[100], lmin = 0, l1se = 0;
    int want = 0;
    size_t len = strlen(cases);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, cases, len) != 0 || line[len] != '\t')
            continue;
        char *q = line + len + 1;
        if (strncmp(q, "choice\t", 7) == 0) {
            q += 7;
            lmin = strtod(q, &q);
            l1se = strtod(q, &q);
        } else if (want < 100) {
            lambda[want] = strtod(q, &q);
            cvm[want] = strtod(q, &q);
            cvsd[want++] = strtod(q, &q);
        }
    }
    fclose(f);
    struct path_problem pb = {.p = p, .alpha = alpha, .n_lambda = 100};
    struct path_cv cv;
    CU_ASSERT_EQUAL_FATAL(path_cv(&pb, (const double *const *)fold_A, fold_rows, K, &cv), 0);
    CU_ASSERT_EQUAL(cv.full.n, want);
    double worst_l = 0, worst_m = 0, worst_s = 0;
    for (int l = 0; l < want && l < cv.full.n; l++) {
        worst_l = fmax(worst_l, fabs(cv.full.lambda[l] - lambda[l]) / lambda[l]);
        worst_m = fmax(worst_m, fabs(cv.cvm[l] - cvm[l]) / cvm[l]);
        worst_s = fmax(worst_s, fabs(cv.cvsd[l] - cvsd[l]) / cvsd[l]);
    }
    double got_min = cv.full.lambda[cv.i_min], got_1se = cv.full.lambda[cv.i_1se];
    if (worst_l > 1e-12 || worst_m > 1e-9 || worst_s > 1e-9 ||
        fabs(got_min - lmin) > 1e-12 * lmin || fabs(got_1se - l1se) > 1e-12 * l1se)
        fprintf(stderr, "\n%s: %d of %d lambdas; worst lambda %.3g, cvm %.3g, cvsd %.3g; "
                "min %.17g (%.17g), 1se %.17g (%.17g)\n", cases, cv.full.n, want, worst_l,
                worst_m, worst_s, got_min, lmin, got_1se, l1se);
    CU_ASSERT_TRUE(worst_l <= 1e-12);
    CU_ASSERT_TRUE(worst_m <= 1e-9);
    CU_ASSERT_TRUE(worst_s <= 1e-9);
    CU_ASSERT_TRUE(fabs(got_min - lmin) <= 1e-12 * lmin);
    CU_ASSERT_TRUE(fabs(got_1se - l1se) <= 1e-12 * l1se);
    path_cv_free(&cv);
    for (int k = 0; k < K; k++)
        free(fold_A[k]);
    free_case(&dc);
    free(rows);
}

static void test_cv(void)
{
    check_cv("datasets/mtcars.csv", "cv:mtcars:alpha=1:K=4", mtcars_x, 10, "mpg", NULL, 1, 4);
    check_cv("datasets/mtcars.csv", "cv:mtcars-weights-drat:alpha=0.5:K=5", mtcars_x_nodrat, 9,
             "mpg", "drat", 0.5, 5);
    check_cv("datasets/swiss.csv", "cv:swiss:alpha=1:K=5", swiss_x, 5, "fertility", NULL, 1, 5);
}

/* No weight, or a constant y: refused, nothing allocated; no λ, or a given sequence that
   does not decrease: refused; y without covariance with x: every λ 0 and every coefficient 0,
   folds included. */
static void test_degenerate(void)
{
    /* x = 1, 2, 3, 4; y = 1, 2, 2, 1: Σx = 10, Σy = 6, Σx² = 30, Σxy = 15, Σy² = 10 */
    double U[9] = {4, 10, 6, 10, 30, 15, 6, 15, 10};
    struct path_problem pu = {.p = 1, .A = U, .alpha = 1, .n_lambda = 0};
    struct path_result ru;
    CU_ASSERT_EQUAL(path_fit(&pu, &ru), -1);
    double up[2] = {1, 1}, neg[2] = {1, -1}, nan1[1] = {NAN};
    pu.n_lambda = 2, pu.lambdas = up;
    CU_ASSERT_EQUAL(path_fit(&pu, &ru), -1);
    pu.lambdas = neg;
    CU_ASSERT_EQUAL(path_fit(&pu, &ru), -1);
    pu.n_lambda = 1, pu.lambdas = nan1;
    CU_ASSERT_EQUAL(path_fit(&pu, &ru), -1);
    pu.lambdas = NULL, pu.n_lambda = 5;
    CU_ASSERT_EQUAL_FATAL(path_fit(&pu, &ru), 0);
    CU_ASSERT_EQUAL(ru.n, 5);
    CU_ASSERT_EQUAL(ru.lambda[4], 0);
    CU_ASSERT_EQUAL(ru.beta[4 * 2 + 1], 0);
    CU_ASSERT_DOUBLE_EQUAL(ru.beta[4 * 2], 1.5, 1e-15);  /* the intercept: the mean of y */
    path_result_free(&ru);
    const double *folds[2] = {U, U};
    int64_t rows[2] = {4, 4};
    struct path_cv cv;
    CU_ASSERT_EQUAL_FATAL(path_cv(&pu, folds, rows, 2, &cv), 0);
    CU_ASSERT_DOUBLE_EQUAL(cv.cvm[0], 0.25, 1e-15);  /* Σ(y − 1.5)²/4 */
    CU_ASSERT_EQUAL(cv.i_min, 0);
    path_cv_free(&cv);
    double A[9] = {0};
    struct path_problem pb = {.p = 1, .A = A, .alpha = 1, .n_lambda = 10};
    struct path_result r;
    CU_ASSERT_EQUAL(path_fit(&pb, &r), -1);
    CU_ASSERT_PTR_NULL(r.beta);
    double B[9] = {3, 6, 6, 6, 14, 12, 6, 12, 12};  /* x = 1, 2, 3; y = 2 always */
    pb.A = B;
    CU_ASSERT_EQUAL(path_fit(&pb, &r), -1);
}

void add_path_suite(void)
{
    CU_pSuite s = CU_add_suite("path", NULL, NULL);
    CU_add_test(s, "lasso path = glmnet (mtcars, swiss): lambdas, early stop, coefficients",
                test_lasso);
    CU_add_test(s, "elastic net alpha 0.5 = glmnet, with and without weights", test_elastic_net);
    CU_add_test(s, "ridge (alpha 0) = glmnet's path and its lambda_max convention", test_ridge);
    CU_add_test(s, "cross-validation = cv.glmnet: cvm, cvsd, lambda.min, lambda.1se", test_cv);
    CU_add_test(s, "degenerate: no weight, constant y, no lambda, y unrelated to x",
                test_degenerate);
}
