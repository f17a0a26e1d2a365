/*
 * inference.h — the classical least-squares inference table, as R's summary(lm()) and
 * logLik/AIC/BIC compute it, from a triangular factor of the design (exact.h).
 *
 * With R the kept columns' triangle of the scaled design, Cov(θ_scaled) = σ² R⁻¹R⁻ᵀ,
 * σ² = RSS/(n − k) (k kept parameters); the covariance is mapped to original units
 * through the scaling (w_j = w_s,j/σ_j, b = b_s − Σ w_s,j μ_j/σ_j). Per term: estimate,
 * standard error, t = estimate/se, two-sided p from Student's t with n − k degrees of
 * freedom, and the --conf-level interval. For the fit: residual standard error, R²
 * (centred with an intercept, uncentred without, as R reports them), adjusted R², the F
 * test of all terms but the intercept, log-likelihood, AIC and BIC (k + 1 parameters:
 * the variance counts), and the condition number of the scaled design. Aliased terms are
 * NaN throughout. Distributions come from GSL.
 *
 * Never calls MPI, never exits (LR_FATAL aside).
 */
#ifndef LINREG_INFERENCE_H
#define LINREG_INFERENCE_H

#include <stdint.h>
#include <stdio.h>

#include "exact.h"

/* A Wald test is NA where the covariance, whitened by the bread, has an eigenvalue on its
   coefficients within this fraction of its largest (inference_use_cov). */
#define INFERENCE_RANK_TOL 1e-10

struct inference_term {
    double estimate, std_error, t_value, p_value, conf_low, conf_high;
};

struct inference {
    int d;                     /* terms: the intercept (index 0), then D features */
    int intercept;             /* 0: term 0 is not part of the model */
    struct inference_term *terms;
    double conf_level;
    int64_t n, df_residual, f_df1;
    double residual_std_error, r2, adjusted_r2, f_statistic, f_p_value;
    double log_likelihood, aic, bic, condition_number;
    /* with a robust covariance (inference_use_cov; else type "classical", cov NULL) */
    const char *cov_type;      /* "classical", "HC0".."HC3", "cluster" */
    double *cov;               /* (D+1)×(D+1) row-major, NaN where aliased */
    double *bread;             /* robust: T B Tᵀ, cov's shape (robust.h), else NULL */
    int cov_rank;              /* cov's rank is at most this (D+1 when not known less) */
    double meat_scale;         /* robust: the largest whitened meat eigenvalue */
    int n_singular;            /* Wald tests (the F, the terms') NaN for a singular cov */
    int n_cluster_dims;        /* 1 or 2 with cluster, else 0 */
    int64_t clusters[2];
    int64_t df_inference;      /* the t and F tests' denominator degrees of freedom */
    /* inference_term_tests: one per term with a fitted coefficient */
    int n_tests;
    struct inference_test {
        char *term;            /* "(Intercept)", a column's name, NAME_missing */
        int df;                /* its fitted coefficients */
        double f, p;
    } *tests;
};

/*
 * f: the factor of the scaled design (kept columns, R, kappa); theta: D+1 coefficients in
 * original units (NaN where aliased); mean, scale: D, the scaling; rss: the residual sum
 * of squares at theta; tss: Σ(y − ȳ)² (with intercept) or Σy²; n rows in all.
 */
void inference_compute(const struct exact_fit *f, const double *theta, const double *mean,
                       const double *scale, int d, int intercept, double rss, double tss,
                       int64_t n, double conf_level, struct inference *out);
/* Weighted least squares (rss, tss weighted; n the rows of positive weight): the Gaussian
   log-likelihood gains ½Σ log ω_i (as R's logLik of lm(weights=)); AIC and BIC follow. */
void inference_add_log_weights(struct inference *inf, double sum_log_w);
/* Standard errors, t, p, intervals and the F test (a Wald test of all terms but the
   intercept) from the covariance cov (taken over), with df degrees of freedom. bread (taken
   over; NULL: none) and cov_rank, robust.h's, make the rank test of every Wald test: one
   whose coefficients' covariance is singular, or singular to rounding, gives F and p NaN
   (R's NA) rather than rounding noise. */
void inference_use_cov(struct inference *inf, double *cov, double *bread, int cov_rank,
                       const char *type, int64_t df, const int64_t *clusters,
                       int n_cluster_dims);
/* Wald F tests of whole terms with the covariance inf->cov (which must be set) on
   inf->df_inference degrees of freedom, as car::Anova(type = "III") reports them for lm:
   the intercept, then each of the n_terms terms (term_of[j]: design column j's, D of them;
   names[t]: term t's), testing all of its fitted coefficients at once. */
void inference_term_tests(struct inference *inf, const int *term_of, int n_terms,
                          char *const *names);
/* The tests laid out like car's Anova table. */
void inference_print_tests(const struct inference *inf, FILE *out);
void inference_free(struct inference *inf);
/* The quantile of Student's t on df degrees of freedom with upper tail q (NaN: df ≤ 0). */
double inference_t_quantile(double q, double df);

/* The table laid out like R's summary(lm()), names[j] the D feature names. */
void inference_print(const struct inference *inf, char *const *names, FILE *out);

#endif
