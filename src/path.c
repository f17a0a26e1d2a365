/* path.c — the elastic-net path from a Gram matrix; see path.h. */
#include "path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define PATH_MAX_SWEEPS 100000  /* glmnet's maxit */

/* The standardized problem: G (p×p, unit diagonal where s_j > 0), c = Σ ω̃ x̃ ỹ. */
struct std_problem {
    int p;
    double *G, *c;
    double *mean, *sd;         /* p: x̄_j, s_j (0: a constant column, left out) */
    double y_mean, y_sd;
};

static int standardize(const struct path_problem *pb, struct std_problem *s)
{
    int p = pb->p, q = p + 2;
    const double *A = pb->A;
    double W = A[0];
    *s = (struct std_problem){.p = p};
    if (!(W > 0))
        return -1;
    s->G = lr_calloc((size_t)p * (size_t)p + 1, sizeof *s->G);
    s->c = lr_calloc((size_t)p + 1, sizeof *s->c);
    s->mean = lr_calloc((size_t)p + 1, sizeof *s->mean);
    s->sd = lr_calloc((size_t)p + 1, sizeof *s->sd);
    double *m = lr_malloc((size_t)q * sizeof *m);  /* the means of [1 x y] */
    for (int a = 0; a < q; a++)
        m[a] = A[a] / W;
    /* covariance of columns a, b ≥ 1 of [1 x y], weights summing to one */
#define COV(a, b) (A[(a) * q + (b)] / W - m[a] * m[b])
    double vy = COV(p + 1, p + 1);
    s->y_mean = m[p + 1];
    s->y_sd = vy > 0 ? sqrt(vy) : 0;
    for (int j = 0; j < p; j++) {
        double v = COV(j + 1, j + 1);
        s->mean[j] = m[j + 1];
        s->sd[j] = v > 0 ? sqrt(v) : 0;
    }
    for (int j = 0; j < p && s->y_sd > 0; j++) {
        if (s->sd[j] == 0)
            continue;
        s->c[j] = COV(j + 1, p + 1) / (s->sd[j] * s->y_sd);
        for (int k = 0; k < p; k++)
            s->G[j * p + k] = s->sd[k] > 0 ? COV(j + 1, k + 1) / (s->sd[j] * s->sd[k]) : 0;
    }
#undef COV
    free(m);
    return s->y_sd > 0 ? 0 : -1;
}

static void std_free(struct std_problem *s)
{
    free(s->G);
    free(s->c);
    free(s->mean);
    free(s->sd);
}

static double soft(double z, double t) { return z > t ? z - t : z < -t ? z + t : 0.0; }

/*
 * Coordinate descent at penalty l (on ỹ's scale) from b (p, updated), r = c − Gb kept up
 * to date. Returns 0 when a sweep moved no coefficient by more than tol, -1 when
 * PATH_MAX_SWEEPS ran out first.
 */
static int descend(const struct std_problem *s, double l, double alpha, double tol, double *b,
                   double *r)
{
    int p = s->p;
    double l1 = l * alpha, shrink = 1.0 + l * (1.0 - alpha), moved = INFINITY;
    for (long sweep = 0; moved > tol && sweep < PATH_MAX_SWEEPS; sweep++) {
        moved = 0;
        for (int j = 0; j < p; j++) {
            if (s->sd[j] == 0)
                continue;
            double g = r[j] + b[j];  /* G_jj = 1 */
            double nb = soft(g, l1) / shrink, delta = nb - b[j];
            if (delta == 0)
                continue;
            b[j] = nb;
            const double *Gj = s->G + (size_t)j * p;  /* symmetric: row j is column j */
            for (int k = 0; k < p; k++)
                r[k] -= Gj[k] * delta;
            moved = fabs(delta) > moved ? fabs(delta) : moved;
        }
    }
    return moved > tol ? -1 : 0;
}

/* The fraction of ỹ's variance explained by b: 2bᵀc − bᵀGb = bᵀ(c + r) with r = c − Gb. */
static double explained(const struct std_problem *s, const double *b, const double *r)
{
    double e = 0;
    for (int j = 0; j < s->p; j++)
        e += b[j] * (s->c[j] + r[j]);
    return e;
}

int path_fit(const struct path_problem *pb, struct path_result *res)
{
    memset(res, 0, sizeof *res);
    if (pb->n_lambda < 1)
        return -1;
    for (int k = 0; pb->lambdas && k < pb->n_lambda; k++)
        if (!(pb->lambdas[k] >= 0 && isfinite(pb->lambdas[k])) ||
            (k > 0 && !(pb->lambdas[k] < pb->lambdas[k - 1])))
            return -1;
    struct std_problem s;
    if (standardize(pb, &s) < 0) {
        std_free(&s);
        return -1;
    }
    int p = pb->p, n = pb->n_lambda;
    double tol = pb->tol > 0 ? pb->tol : 1e-14;
    double *lam = lr_malloc((size_t)n * sizeof *lam);  /* on ỹ's scale */
    if (pb->lambdas) {
        for (int k = 0; k < n; k++)
            lam[k] = pb->lambdas[k] / s.y_sd;
    } else {
        double top = 0;
        for (int j = 0; j < p; j++)
            top = fabs(s.c[j]) > top ? fabs(s.c[j]) : top;
        top /= pb->alpha > 1e-3 ? pb->alpha : 1e-3;
        double rows = pb->n_rows > 0 ? (double)pb->n_rows : pb->A[0];
        double ratio = pb->lambda_min_ratio > 0 ? pb->lambda_min_ratio
                       : rows < p ? 1e-2 : 1e-4;
        for (int k = 0; k < n; k++)
            lam[k] = k == 0 ? top : top * exp((double)k / (n - 1) * log(ratio));
    }
    res->lambda = lr_malloc((size_t)n * sizeof *res->lambda);
    res->beta = lr_malloc(lr_bytes(n, p + 1, sizeof *res->beta));
    res->explained = lr_malloc((size_t)n * sizeof *res->explained);
    res->nonzero = lr_malloc((size_t)n * sizeof *res->nonzero);
    double *b = lr_calloc((size_t)p + 1, sizeof *b), *r = lr_malloc(((size_t)p + 1) * sizeof *r);
    memcpy(r, s.c, (size_t)p * sizeof *r);
    double rsq0 = 0;
    for (int k = 0; k < n; k++) {
        if ((k > 0 || pb->lambdas) &&  /* glmnet's first λ of its own sequence: all zeros */
            descend(&s, lam[k], pb->alpha, tol, b, r) < 0)
            res->unconverged++;
        double rsq = explained(&s, b, r);
        double *out = res->beta + (size_t)k * (p + 1);
        out[0] = s.y_mean;
        int nz = 0;
        for (int j = 0; j < p; j++) {
            out[j + 1] = s.sd[j] > 0 ? s.y_sd * b[j] / s.sd[j] : 0.0;
            out[0] -= out[j + 1] * s.mean[j];
            nz += b[j] != 0;
        }
        res->lambda[k] = pb->lambdas ? pb->lambdas[k] : lam[k] * s.y_sd;  /* given: as given */
        res->explained[k] = rsq;
        res->nonzero[k] = nz;
        res->n = k + 1;
        /* glmnet's early stop, on its own sequence only, from the fifth λ */
        if (!pb->lambdas && k + 1 >= (n < 5 ? n : 5) && (rsq - rsq0 < 1e-5 * rsq || rsq > 0.999))
            break;
        rsq0 = rsq;
    }
    free(b);
    free(r);
    free(lam);
    std_free(&s);
    return 0;
}

void path_result_free(struct path_result *r)
{
    free(r->lambda);
    free(r->beta);
    free(r->explained);
    free(r->nonzero);
    memset(r, 0, sizeof *r);
}

/* Σ_k A_k over the folds k ≠ skip (-1: all), in fold order, into S (q×q). */
static void sum_folds(const double *const *fold_A, int K, int skip, int q, double *S)
{
    memset(S, 0, (size_t)q * (size_t)q * sizeof *S);
    for (int k = 0; k < K; k++)
        for (int i = 0; k != skip && i < q * q; i++)
            S[i] += fold_A[k][i];
}

/* vᵀ A v for v = [−b, −β, 1] (coef = [b, β], p + 1 numbers): the weighted squared error. */
static double squared_error(const double *A, int p, const double *coef)
{
    int q = p + 2;
    double e = 0;
    for (int r = 0; r < q; r++) {
        double vr = r == q - 1 ? 1.0 : -coef[r], row = 0;
        for (int c = 0; c < q; c++)
            row += A[r * q + c] * (c == q - 1 ? 1.0 : -coef[c]);
        e += vr * row;
    }
    return e;
}

/* ‖R v‖² for v = [−b, −β, 1] (coef = [b, β]), R q×q upper triangular, column-major: the
   same squared error from the fold's triangle, without squaring its condition. */
static double squared_error_R(const double *R, int p, const double *coef)
{
    int q = p + 2;
    double e = 0;
    for (int r = 0; r < q; r++) {
        double row = 0;
        for (int c = r; c < q; c++)
            row += R[(size_t)c * q + r] * (c == q - 1 ? 1.0 : -coef[c]);
        e += row * row;
    }
    return e;
}

/* The coefficients of path r at λ = s into out (p + 1), as glmnet's predict(s = λ) gives
   them: linear in λ between the two λ of r around s, r's first above its largest λ and its
   last below its smallest. */
static void coef_at(const struct path_result *r, int p, double s, double *out)
{
    int k = r->n, w = p + 1;
    const double *l = r->lambda;
    int left = 0, right = 0;
    double frac = 1;
    if (k > 1 && l[0] > l[k - 1]) {
        /* λ as fractions of the way from the first to the last, increasing */
        double span = l[0] - l[k - 1], t = (l[0] - s) / span;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        int i = 0;
        while (i + 1 < k && (l[0] - l[i + 1]) / span < t)
            i++;
        double lo = (l[0] - l[i]) / span, hi = i + 1 < k ? (l[0] - l[i + 1]) / span : lo;
        if (t <= lo || hi == lo) {
            left = right = i;
        } else if (t >= hi) {
            left = right = i + 1;
        } else {
            left = i, right = i + 1;
            frac = (t - hi) / (lo - hi);
        }
    }
    for (int j = 0; j < w; j++)
        out[j] = frac * r->beta[(size_t)left * w + j] + (1 - frac) * r->beta[(size_t)right * w + j];
}

int path_cv(const struct path_problem *pb, const double *const *fold_A, const int64_t *fold_rows,
            int K, struct path_cv *cv)
{
    memset(cv, 0, sizeof *cv);
    int p = pb->p, q = p + 2;
    for (int k = 0; k < K; k++)
        if (!(fold_A[k][0] > 0))
            return -1;
    double *S = lr_malloc((size_t)q * (size_t)q * sizeof *S);
    struct path_problem all = *pb;
    all.A = S;
    all.n_rows = 0;
    for (int k = 0; k < K; k++)
        all.n_rows += fold_rows[k];
    sum_folds(fold_A, K, -1, q, S);
    double W = S[0];
    if (path_fit(&all, &cv->full) < 0) {
        free(S);
        return -1;
    }
    if (pb->progress)
        pb->progress(pb->progress_ctx);
    int n = cv->full.n;
    double *mse = lr_malloc(lr_bytes(K, n, sizeof *mse));
    struct path_problem fold = all;
    double *coef = lr_malloc(((size_t)p + 1) * sizeof *coef);
    int rc = 0;
    for (int k = 0; k < K && rc == 0; k++) {
        struct path_result r;
        sum_folds(fold_A, K, k, q, S);
        fold.n_rows = all.n_rows - fold_rows[k];
        rc = path_fit(&fold, &r);
        for (int l = 0; rc == 0 && l < n; l++) {
            coef_at(&r, p, cv->full.lambda[l], coef);
            mse[(size_t)k * n + l] = (pb->fold_R ? squared_error_R(pb->fold_R[k], p, coef)
                                                 : squared_error(fold_A[k], p, coef)) /
                                     fold_A[k][0];
        }
        path_result_free(&r);
        if (pb->progress)
            pb->progress(pb->progress_ctx);
    }
    free(coef);
    free(S);
    if (rc < 0) {
        free(mse);
        path_cv_free(cv);
        return -1;
    }
    cv->cvm = lr_malloc((size_t)n * sizeof *cv->cvm);
    cv->cvsd = lr_malloc((size_t)n * sizeof *cv->cvsd);
    for (int l = 0; l < n; l++) {
        double m = 0, v = 0;
        for (int k = 0; k < K; k++)
            m += fold_A[k][0] * mse[(size_t)k * n + l];
        m /= W;
        for (int k = 0; k < K; k++)
            v += fold_A[k][0] * (mse[(size_t)k * n + l] - m) * (mse[(size_t)k * n + l] - m);
        cv->cvm[l] = m;
        cv->cvsd[l] = sqrt(v / W / (K - 1));
    }
    free(mse);
    cv->i_min = 0;  /* λ decreases: the first index of the least error is the largest λ */
    for (int l = 1; l < n; l++)
        if (cv->cvm[l] < cv->cvm[cv->i_min])
            cv->i_min = l;
    double bound = cv->cvm[cv->i_min] + cv->cvsd[cv->i_min];
    for (cv->i_1se = 0; cv->cvm[cv->i_1se] > bound; cv->i_1se++)
        ;
    return 0;
}

void path_cv_free(struct path_cv *cv)
{
    path_result_free(&cv->full);
    free(cv->cvm);
    free(cv->cvsd);
    memset(cv, 0, sizeof *cv);
}
