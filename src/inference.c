/* inference.c — standard errors, tests and information criteria; see inference.h. */
#include "inference.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stats.h"

/* Variances in original units of the D+1 coefficients: diag(T C Tᵀ), C = σ² R⁻¹R⁻ᵀ over
   the kept columns, T the map from scaled to original coefficients (stats_unscale; without
   an intercept the means are 0). */
static void variances(const struct exact_fit *f, const double *mean, const double *scale,
                      int d, double sigma2, double *var)
{
    int k = f->rank;
    double *Ri = lr_malloc(sizeof(double) * (size_t)(k ? k * k : 1));
    double *Tk = lr_malloc(sizeof(double) * (size_t)(d + 1) * (size_t)(k ? k : 1));
    memcpy(Ri, f->R, sizeof(double) * (size_t)k * (size_t)k);
    if (k > 0)
        LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', k, Ri, k);
    double *e = lr_malloc(sizeof(double) * (size_t)(d + 1)), *col = lr_malloc(sizeof(double) * (size_t)(d + 1));
    memset(e, 0, sizeof(double) * (size_t)(d + 1));
    for (int q = 0; q < k; q++) {  /* column q of T: the unit vector of kept[q], unscaled */
        e[f->kept[q]] = 1;
        stats_unscale(e, mean, scale, d, col);
        e[f->kept[q]] = 0;
        for (int i = 0; i <= d; i++)
            Tk[(size_t)i * k + q] = col[i];
    }
    free(e);
    free(col);
    for (int i = 0; i <= d; i++) {
        /* (Tk R⁻¹)_i · (Tk R⁻¹)_i: R⁻¹ is upper triangular, column-major */
        double s = 0;
        for (int c = 0; c < k; c++) {
            double u = 0;
            for (int q = 0; q <= c; q++)
                u += Tk[(size_t)i * k + q] * Ri[(size_t)c * k + q];
            s += u * u;
        }
        var[i] = sigma2 * s;
    }
    free(Ri);
    free(Tk);
}

/* GSL's inverse, then Newton steps on GSL's own tail and density (the inverse alone is
   good to about 1e-9, short of the digits the rest carries). */
double inference_t_quantile(double q, double df)
{
    if (!(df > 0))
        return NAN;
    double t = gsl_cdf_tdist_Qinv(q, df);
    for (int k = 0; k < 3 && isfinite(t); k++)
        t += (gsl_cdf_tdist_Q(t, df) - q) / gsl_ran_tdist_pdf(t, df);
    return t;
}

void inference_compute(const struct exact_fit *f, const double *theta, const double *mean,
                       const double *scale, int d, int intercept, double rss, double tss,
                       int64_t n, double conf_level, struct inference *out)
{
    int k = f->rank, dint = intercept ? 1 : 0;
    *out = (struct inference){.d = d, .intercept = intercept, .conf_level = conf_level, .n = n,
                              .condition_number = f->kappa, .cov_type = "classical",
                              .cov_rank = d + 1};
    out->terms = lr_malloc(sizeof *out->terms * (size_t)(d + 1));
    int64_t rdf = n - k;
    double sigma2 = rdf > 0 ? rss / (double)rdf : NAN;
    double *var = lr_malloc(sizeof(double) * (size_t)(d + 1));
    variances(f, mean, scale, d, sigma2, var);
    double tcrit = inference_t_quantile((1 - conf_level) / 2, (double)rdf);
    for (int j = 0; j <= d; j++) {
        struct inference_term *t = &out->terms[j];
        int fitted = !isnan(theta[j]) && (j > 0 || intercept);
        double se = fitted ? sqrt(var[j]) : NAN;
        t->estimate = fitted ? theta[j] : NAN;
        t->std_error = se;
        t->t_value = t->estimate / se;
        t->p_value = isfinite(t->t_value) ? 2 * gsl_cdf_tdist_Q(fabs(t->t_value), (double)rdf) : NAN;
        t->conf_low = t->estimate - tcrit * se;
        t->conf_high = t->estimate + tcrit * se;
    }
    free(var);
    out->df_residual = out->df_inference = rdf;
    out->residual_std_error = sqrt(sigma2);
    out->r2 = tss > 0 ? 1 - rss / tss : NAN;
    out->adjusted_r2 = rdf > 0 ? 1 - (1 - out->r2) * (double)(n - dint) / (double)rdf : NAN;
    out->f_df1 = k - dint;
    out->f_statistic = out->f_df1 > 0 && rdf > 0
                           ? (tss - rss) / (double)out->f_df1 / sigma2 : NAN;
    out->f_p_value = isfinite(out->f_statistic)
                         ? gsl_cdf_fdist_Q(out->f_statistic, (double)out->f_df1, (double)rdf) : NAN;
    double nn = (double)n;
    out->log_likelihood = 0.5 * (-nn * (log(2 * M_PI) + 1 - log(nn) + log(rss)));
    out->aic = -2 * out->log_likelihood + 2.0 * (k + 1);
    out->bic = -2 * out->log_likelihood + log(nn) * (k + 1);
}

/* The generalized eigenvalues λ of V_q x = λ C_q x (V, C (D+1)×(D+1) row-major, taken on
   the rows and columns idx, q of them) into lam, ascending; returns the largest |λ|, NaN
   where C_q is not positive definite. */
static double generalized_eigen(const double *V, const double *C, int d, const int *idx,
                                int q, double *lam)
{
    if (q == 0)
        return 0;
    double *A = lr_malloc(sizeof(double) * (size_t)q * q);
    double *B = lr_malloc(sizeof(double) * (size_t)q * q);
    for (int a = 0; a < q; a++)
        for (int c = 0; c < q; c++) {
            A[(size_t)a * q + c] = V[(size_t)idx[a] * (d + 1) + idx[c]];
            B[(size_t)a * q + c] = C[(size_t)idx[a] * (d + 1) + idx[c]];
        }
    double top = NAN;
    if (LAPACKE_dsygv(LAPACK_ROW_MAJOR, 1, 'N', 'U', q, A, q, B, q, lam) == 0)
        top = fabs(lam[0]) > fabs(lam[q - 1]) ? fabs(lam[0]) : fabs(lam[q - 1]);
    free(A);
    free(B);
    return top;
}

/* Whether inf's covariance V is singular on the q coefficients idx: more of them than V's
   rank can be (inf->cov_rank), NaN in V_q, or, with the bread C = T B Tᵀ, a generalized
   eigenvalue of (V_q, C_q) at most INFERENCE_RANK_TOL of the largest over all fitted
   coefficients (inf->meat_scale). Those eigenvalues are the whitened meat R⁻ᵀMR⁻¹'s on the
   coefficients' span: the design's own conditioning, which C shares, leaves them. */
static int singular(const struct inference *inf, const int *idx, int q)
{
    int d = inf->d, bad = q > inf->cov_rank;
    for (int a = 0; a < q && !bad; a++)
        for (int c = 0; c < q; c++)
            bad |= !isfinite(inf->cov[(size_t)idx[a] * (d + 1) + idx[c]]);
    if (bad || !inf->bread)
        return bad;
    double *lam = lr_malloc(sizeof(double) * (size_t)(q ? q : 1));
    bad = !(generalized_eigen(inf->cov, inf->bread, d, idx, q, lam) >= 0);
    for (int a = 0; a < q && !bad; a++)
        bad = !(fabs(lam[a]) > INFERENCE_RANK_TOL * inf->meat_scale);
    free(lam);
    return bad;
}

/* Wald: F = βᵀ V⁻¹ β / q over the coefficients idx[0..q) of theta (D+1) with inf's
   covariance, on (q, df) degrees of freedom; NaN where V is singular there (returns 1). */
static int wald(const struct inference *inf, const double *theta, const int *idx, int q,
                 int64_t df, double *f, double *p)
{
    int d = inf->d;
    double *A = lr_malloc(sizeof(double) * (size_t)(q ? q * q : 1));
    double *b = lr_malloc(sizeof(double) * (size_t)(q ? q : 1));
    lapack_int *piv = lr_malloc(sizeof(lapack_int) * (size_t)(q ? q : 1));
    for (int a = 0; a < q; a++) {
        b[a] = theta[idx[a]];
        for (int c = 0; c < q; c++)
            A[(size_t)a * q + c] = inf->cov[(size_t)idx[a] * (d + 1) + idx[c]];
    }
    *f = NAN;
    int sing = q > 0 && singular(inf, idx, q);
    if (q > 0 && df > 0 && !sing &&
        LAPACKE_dgesv(LAPACK_ROW_MAJOR, q, 1, A, q, piv, b, 1) == 0) {
        double s = 0;
        for (int a = 0; a < q; a++)
            s += theta[idx[a]] * b[a];
        *f = s / q;
    }
    *p = !isfinite(*f) ? NAN
         : *f < 0 ? 1  /* two-way V indefinite; as statsmodels */
         : gsl_cdf_fdist_Q(*f, (double)q, (double)df);
    free(A);
    free(b);
    free(piv);
    return sing;
}

void inference_use_cov(struct inference *inf, double *cov, double *bread, int cov_rank,
                       const char *type, int64_t df, const int64_t *clusters,
                       int n_cluster_dims)
{
    int d = inf->d;
    inf->cov = cov;
    inf->bread = bread;
    inf->cov_rank = cov_rank;
    inf->cov_type = type;
    inf->df_inference = df;
    inf->n_cluster_dims = n_cluster_dims;
    for (int g = 0; g < n_cluster_dims; g++)
        inf->clusters[g] = clusters[g];
    double tcrit = inference_t_quantile((1 - inf->conf_level) / 2, (double)df);
    int *idx = lr_malloc(sizeof(int) * (size_t)(d + 1)), q = 0;
    for (int j = 0; j <= d; j++) {
        struct inference_term *t = &inf->terms[j];
        if (isnan(t->estimate))
            continue;
        t->std_error = sqrt(cov[(size_t)j * (d + 1) + j]);
        t->t_value = t->estimate / t->std_error;
        t->p_value = isfinite(t->t_value) ? 2 * gsl_cdf_tdist_Q(fabs(t->t_value), (double)df) : NAN;
        t->conf_low = t->estimate - tcrit * t->std_error;
        t->conf_high = t->estimate + tcrit * t->std_error;
        if (j > 0 || !inf->intercept)
            idx[q++] = j;
    }
    double *est = lr_malloc(sizeof(double) * (size_t)(d + 1));
    for (int j = 0; j <= d; j++)
        est[j] = inf->terms[j].estimate;
    inf->f_df1 = q;
    /* the scale of the rank test: the largest whitened meat eigenvalue of all fitted
       coefficients (the intercept's too) */
    int *all = lr_malloc(sizeof(int) * (size_t)(d + 1)), n_all = 0;
    for (int j = 0; j <= d; j++)
        if (!isnan(inf->terms[j].estimate))
            all[n_all++] = j;
    double *lam = lr_malloc(sizeof(double) * (size_t)(n_all ? n_all : 1));
    inf->meat_scale = bread ? generalized_eigen(cov, bread, d, all, n_all, lam) : NAN;
    free(lam);
    free(all);
    inf->n_singular = wald(inf, est, idx, q, df, &inf->f_statistic, &inf->f_p_value);
    free(est);
    free(idx);
}

/* R's significance codes. */
static const char *stars(double p)
{
    return !(p >= 0) ? "" : p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";
}

void inference_term_tests(struct inference *inf, const int *term_of, int n_terms,
                          char *const *names)
{
    int d = inf->d;
    int *idx = lr_malloc(sizeof(int) * (size_t)(d + 1));
    double *est = lr_malloc(sizeof(double) * (size_t)(d + 1));
    for (int j = 0; j <= d; j++)
        est[j] = inf->terms[j].estimate;
    inf->tests = lr_calloc((size_t)n_terms + 1, sizeof *inf->tests);
    inf->n_tests = 0;
    for (int t = inf->intercept ? -1 : 0; t < n_terms; t++) {  /* -1: the intercept */
        int q = 0;
        if (t < 0 && !isnan(est[0]))
            idx[q++] = 0;
        for (int j = 0; t >= 0 && j < d; j++)
            if (term_of[j] == t && !isnan(est[j + 1]))
                idx[q++] = j + 1;
        if (q == 0)
            continue;
        struct inference_test *x = &inf->tests[inf->n_tests++];
        x->term = lr_strdup(t < 0 ? "(Intercept)" : names[t]);
        x->df = q;
        inf->n_singular += wald(inf, est, idx, q, inf->df_inference, &x->f, &x->p);
    }
    free(idx);
    free(est);
}

void inference_print_tests(const struct inference *inf, FILE *out)
{
    int w = 11;
    for (int t = 0; t < inf->n_tests; t++) {
        int n = (int)strlen(lr_shown(inf->tests[t].term).s);
        w = n > w ? n : w;
    }
    fprintf(out, "Tests of whole terms (type III Wald F, %s covariance, "
            "denominator DF %lld):\n"
            "%-*s %4s %12s %10s\n", inf->cov_type, (long long)inf->df_inference, w, "", "Df",
            "F value", "Pr(>F)");
    for (int t = 0; t < inf->n_tests; t++) {
        const struct inference_test *x = &inf->tests[t];
        char f[32], p[16];
        snprintf(f, sizeof f, isnan(x->f) ? "NA" : "%.6g", x->f);
        if (isnan(x->p))
            snprintf(p, sizeof p, "NA");
        else if (x->p < DBL_EPSILON)
            snprintf(p, sizeof p, "<2e-16");
        else
            snprintf(p, sizeof p, "%.4g", x->p);
        fprintf(out, "%-*s %4d %12s %10s %s\n", w, lr_shown(x->term).s, x->df, f, p,
                stars(x->p));
    }
}

void inference_free(struct inference *inf)
{
    for (int t = 0; t < inf->n_tests; t++)
        free(inf->tests[t].term);
    free(inf->tests);
    free(inf->terms);
    free(inf->cov);
    free(inf->bread);
    inf->tests = NULL;
    inf->terms = NULL;
    inf->cov = inf->bread = NULL;
    inf->n_tests = 0;
}


void inference_print(const struct inference *inf, char *const *names, FILE *out)
{
    int w = 11;
    for (int j = 0; j < inf->d; j++)
        w = (int)strlen(names[j]) > w ? (int)strlen(names[j]) : w;
    int robust = strcmp(inf->cov_type, "classical") != 0;
    if (robust && inf->n_cluster_dims == 2)
        fprintf(out, "Covariance: cluster-robust, two-way (%lld and %lld clusters)\n",
                (long long)inf->clusters[0], (long long)inf->clusters[1]);
    else if (robust && inf->n_cluster_dims)
        fprintf(out, "Covariance: cluster-robust (%lld clusters)\n", (long long)inf->clusters[0]);
    else if (robust)
        fprintf(out, "Covariance: heteroskedasticity-robust (%s)\n", inf->cov_type);
    fprintf(out, "Coefficients:\n%-*s %14s %12s %9s %10s %14s %14s\n", w, "", "Estimate",
            "Std. Error", "t value", "Pr(>|t|)", "", "");
    fprintf(out, "%-*s %14s %12s %9s %10s %13.4g%% %13.4g%%\n", w, "", "", "", "", "",
            50 * (1 - inf->conf_level), 100 - 50 * (1 - inf->conf_level));
    for (int j = inf->intercept ? 0 : 1; j <= inf->d; j++) {
        const struct inference_term *t = &inf->terms[j];
        const char *name = j == 0 ? "(Intercept)" : names[j - 1];
        if (isnan(t->estimate)) {
            fprintf(out, "%-*s %14s %12s %9s %10s   (aliased: a combination of the others)\n",
                    w, name, "NA", "NA", "NA", "NA");
            continue;
        }
        if (isnan(t->std_error)) {  /* a covariance undefined there (robust.h) */
            fprintf(out, "%-*s %14.7g %12s %9s %10s %3s %14s %14s\n", w, name, t->estimate,
                    "NA", "NA", "NA", "", "NA", "NA");
            continue;
        }
        char p[16];
        if (t->p_value < DBL_EPSILON)  /* as R's printCoefmat: below the machine epsilon */
            snprintf(p, sizeof p, "<2e-16");
        else
            snprintf(p, sizeof p, "%.3g", t->p_value);
        fprintf(out, "%-*s %14.7g %12.5g %9.3f %10s %3s %14.7g %14.7g\n", w, name, t->estimate,
                t->std_error, t->t_value, p, stars(t->p_value), t->conf_low, t->conf_high);
    }
    fprintf(out, "---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n\n");
    fprintf(out, "Residual standard error: %.6g on %lld degrees of freedom\n",
            inf->residual_std_error, (long long)inf->df_residual);
    fprintf(out, "Multiple R-squared:  %.6g,\tAdjusted R-squared:  %.6g%s\n", inf->r2,
            inf->adjusted_r2, inf->intercept ? "" : " (uncentred: no intercept)");
    if (isfinite(inf->f_statistic)) {
        char p[32] = "< 2.2e-16";  /* as R's format.pval: below the machine epsilon */
        if (!(inf->f_p_value < DBL_EPSILON))
            snprintf(p, sizeof p, "%.4g", inf->f_p_value);
        fprintf(out, "%s: %.6g on %lld and %lld DF,  p-value: %s\n",
                robust ? "Wald F-statistic (robust)" : "F-statistic", inf->f_statistic,
                (long long)inf->f_df1, (long long)inf->df_inference, p);
    } else if (robust && inf->f_df1 > 0) {  /* the covariance singular on the terms */
        fprintf(out, "Wald F-statistic (robust): NA on %lld and %lld DF,  p-value: NA\n",
                (long long)inf->f_df1, (long long)inf->df_inference);
    }
    fprintf(out, "Log-likelihood: %.10g,  AIC: %.10g,  BIC: %.10g,  condition number of the "
            "scaled design: %.4g\n", inf->log_likelihood, inf->aic, inf->bic,
            inf->condition_number);
}

void inference_add_log_weights(struct inference *inf, double sum_log_w)
{
    inf->log_likelihood += 0.5 * sum_log_w;
    inf->aic -= sum_log_w;
    inf->bic -= sum_log_w;
}
