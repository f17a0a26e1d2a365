/*
 * path.h — the elastic-net path of least squares from a Gram matrix alone, as glmnet
 * computes it (gaussian family, standardized columns, an intercept), so that a penalty
 * path never needs the rows again: the Gram matrix of [1 x y] is RᵀR of the exact solver's
 * triangle.
 *
 * From A = Σ ω_i a_i a_iᵀ, a_i = [1, x_i, y_i] (ω the sample weights, 1 without): the
 * weighted means, and the covariances with the weights summing to one, which standardize
 * each column (x̃_j = (x_j − x̄_j)/s_j, s_j² its variance with divisor Σω) and y (ỹ, by its
 * standard deviation s_y). On those, for each λ of a decreasing sequence, coordinate
 * descent minimises
 *
 *     ½ Σ ω̃_i (ỹ_i − x̃_iᵀβ̃)² + (λ/s_y)·(α‖β̃‖₁ + (1−α)/2·‖β̃‖²),     Σ ω̃_i = 1,
 *
 * with covariance updates (Friedman, Hastie and Tibshirani 2010), started from the previous
 * λ's solution; the coefficients on the data's scale are β_j = s_y β̃_j / s_j and the
 * intercept ȳ − Σ β_j x̄_j. That is glmnet's own computation: it too solves on ỹ, which is
 * why its ridge part is (1−α)λ/(2 s_y)·‖β‖² on the data's scale rather than the documented
 * (1−α)λ/2·‖β‖² (the lasso part is λα‖β‖₁ either way). A column without variance gets 0.
 *
 * The λ sequence, when not given: λ_max = max_j |Σ ω̃ x̃_j ỹ|·s_y / max(α, 0.001) (the
 * smallest λ that zeroes every coefficient when α > 0), then n_lambda values log-spaced down
 * to λ_max·ratio (ratio 0.01 when there are fewer rows than columns, else 10⁻⁴);
 * the path stops early, as glmnet's does, once five λ are done and the fraction of ỹ's
 * variance explained grew by less than 10⁻⁵ of itself, or passed 0.999; and its first λ
 * gets all coefficients 0, as glmnet reports it, even for ridge (where λ_max, from α taken
 * as 0.001, zeroes nothing exactly). A given sequence is used whole, each λ solved.
 *
 * Converges each λ until no coefficient moved by more than tol (in β̃) in a full sweep,
 * warm-started from the λ before, or glmnet's 100,000 sweeps (counted in unconverged).
 * Against glmnet run with thresh = 1e-24 the coefficients agreed to 2e-11 relative on mtcars
 * and swiss (the tests require 1e-9; with glmnet's thresh = 1e-14, about 3e-6: its test
 * stops on the squared change). Not collective, never exits; allocates the result.
 */
#ifndef LINREG_PATH_H
#define LINREG_PATH_H

#include <stdint.h>

struct path_problem {
    int p;                     /* columns of x */
    const double *A;           /* (p+2)×(p+2), row-major, symmetric: Σ ω a aᵀ, a = [1, x, y] */
    double alpha;              /* 1: lasso, 0: ridge, between: elastic net */
    int n_lambda;              /* the sequence's length (glmnet: 100) */
    double lambda_min_ratio;   /* 0: glmnet's default (see above) */
    const double *lambdas;     /* a decreasing sequence of n_lambda values; NULL: the default */
    int64_t n_rows;            /* rows behind A, for the default ratio; 0: A's weight sum */
    double tol;                /* 0: 1e-14 */
    /* path_cv only: fold k's triangle R_k ((p+2)×(p+2) upper, column-major) with
       fold_A[k] = R_kᵀR_k, or NULL. With them the held-out error is ‖R_k v‖², which loses
       about √(‖y‖²/SSE) of rounding where vᵀA_k v loses ‖y‖²/SSE (a fit with R² near 1). */
    const double *const *fold_R;
    /* path_cv only: called after each of its K + 1 paths (the whole data's, then each
       fold's) with progress_ctx, or NULL */
    void (*progress)(void *ctx);
    void *progress_ctx;
};

struct path_result {
    int n;                     /* λ done (fewer than asked when the path stopped early) */
    double *lambda;            /* n */
    double *beta;              /* n × (p+1): the intercept, then the coefficients, row-major */
    double *explained;         /* n: the fraction of ỹ's variance explained */
    int *nonzero;              /* n: coefficients not 0 */
    int unconverged;           /* λ whose descent stopped at glmnet's 100,000 sweeps */
};

/* The path; 0, or -1 when A has no weight, y no variance, n_lambda < 1 or the given
   sequence is not decreasing, finite and ≥ 0 (r left empty). */
int path_fit(const struct path_problem *pb, struct path_result *r);
void path_result_free(struct path_result *r);

/*
 * K-fold cross-validation of the path, as cv.glmnet does it with its folds given (foldid)
 * and grouped: the path of all the folds' rows (A = Σ_k A_k) gives the λ sequence; fold k's
 * path is fitted on the other folds' rows (their A summed) — with a given sequence at its
 * λ, else, as cv.glmnet, on that fold's own default sequence (and early stop), its
 * coefficients at the whole path's λ then interpolated linearly in λ between its own
 * (glmnet's predict(s = λ): its first below the largest λ, its last beyond the smallest).
 * The fold's error is the weighted mean squared error on its rows, vᵀA_k v / Σω_k with
 * v = [−b, −β, 1] (‖R_k v‖² / Σω_k given the folds' triangles, pb->fold_R). cvm is
 * those errors' mean weighted by Σω_k, cvsd = √(Σ_k Σω_k (mse_k − cvm)² / Σω / (K − 1));
 * λ_min is the largest λ with the least cvm, λ_1se the largest with cvm ≤ that cvm + its
 * cvsd. The model at either is the whole path's at that λ.
 */
struct path_cv {
    struct path_result full;   /* the path of every fold's rows */
    double *cvm, *cvsd;        /* full.n each */
    int i_min, i_1se;          /* λ_min = full.lambda[i_min], λ_1se likewise */
};

/* pb as for path_fit but for A and n_rows (ignored): fold_A[k] (k < K, K ≥ 2) is fold k's
   Σ ω a aᵀ over its fold_rows[k] rows. 0, or -1 as path_fit (or when a fold has no
   weight). */
int path_cv(const struct path_problem *pb, const double *const *fold_A, const int64_t *fold_rows,
            int K, struct path_cv *cv);
void path_cv_free(struct path_cv *cv);

#endif
