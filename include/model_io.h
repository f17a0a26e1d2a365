/*
 * model_io.h — the model file: JSON (keys in README "The model file"), doubles with %.17g so
 * that they read back to the same bits, via jansson.
 * Owns nothing it is not given; never calls MPI, never exits. Rank 0 alone writes.
 */
#ifndef LINREG_MODEL_IO_H
#define LINREG_MODEL_IO_H

#include <stdint.h>

#include "encode.h"
#include "cv.h"
#include "error.h"
#include "diagnostics.h"
#include "inference.h"
#include "metrics.h"

struct model {
    const char *target;
    int d;                          /* D */
    char *const *features;          /* D names */
    double intercept;               /* original units */
    const double *coef;             /* D, original units */
    int scaling;                    /* features were z-scored for training */
    const double *mean, *std;       /* D: the scaling applied (0 and 1 without scaling) */
    double scaled_intercept;        /* what gradient descent trained */
    const double *scaled_coef;
    const char *solver;
    int64_t epochs;
    int converged;                  /* stopped_by is "convergence" */
    const char *memory;             /* how the rows were held: "resident" or "stream" */
    const char *stopped_by;         /* "convergence", "stalled", "early_stopping", "epoch_limit",
                                       "exact" */
    double learning_rate, final_loss, l2;  /* learning_rate NaN (null): not a gradient solver */
    int no_intercept;               /* fitted through the origin (intercept 0) */
    const unsigned char *aliased;   /* D, or NULL: coefficients written as null */
    const struct inference *inference;  /* NULL: none */
    const struct diagnostics *diagnostics;  /* --diagnostics; NULL: none */
    double condition_number;        /* of the scaled design [1 X]; NaN: not estimated */
    double error_bound;             /* bound on the scaled weights' relative error; NaN: none */
    int64_t rows;
    int ranks, threads;
    double seconds;
    double validation_split;        /* 0: none */
    int64_t patience, best_epoch;   /* early stopping (0: off) */
    struct metrics train;
    const struct metrics *validation, *test;  /* NULL when absent */
    double l1;                      /* --l1 (0: none); --cv: the chosen fit's equivalent */
    const struct cv_result *cv;     /* --cv: the "cv" block (cv.h); NULL: none */
    const char *loss;               /* "squared" or "huber" */
    double huber_delta, huber_scale;  /* huber: δ and the fitted σ (else NaN: null) */
    const char *weights;            /* the sample-weight column, NULL: none */
    const char *offset;             /* the --offset column, NULL: none */
    int features_selected;          /* non-zero coefficients (of d) */
    const struct encoding *encoding;  /* the source columns and how they became features */
    const struct formula_data *formula;  /* --formula (formula_data.h), NULL: none */
    /* the gradient solvers' preconditioner (precond.h): "sample" or "scale"; NULL: none
       (the exact solver) */
    const char *precondition;
    const char *precondition_note;  /* why "scale" (NULL: --precondition scale was asked) */
    int64_t precondition_rows;      /* sample rows factored */
    double precondition_seconds;    /* building it: the sample, its factor, the broadcast */
    double precondition_kappa;      /* condition number of the preconditioned Hessian; NaN */
    uint64_t precondition_digest;   /* of P's bytes */
    int n_precondition_fallback;
    const int *precondition_fallback;  /* θ indices (1 = the first feature) left to scaling */
    const char *const *precondition_why;
};

/* Write the model JSON atomically; -1 with LR_EWRITE on failure. */
int model_write(const struct model *m, const char *path, struct lr_error *e);

/* What predict and evaluate need from a model file. */
struct model_file {
    char *target;
    int d;
    char **features;                /* D names */
    double intercept;
    double *coef;                   /* D, original units (an aliased one, null in the file: 0) */
    unsigned char *aliased;         /* D: 1 where the coefficient is null (aliased) */
    int n_aliased;
    int no_intercept;               /* fitted through the origin */
    /* the inference block's coefficient covariance, for predict --interval; cov NULL: the
       model has none (gd without --inference, --l2, a file older than the covariance) */
    double *cov;                    /* (D+1)×(D+1) row-major, intercept first, original
                                       units; 0 in an aliased coefficient's row and column
                                       (null in the file) and, without intercept, in the
                                       intercept's; NaN for another null (not finite) */
    char *cov_type;                 /* inference.covariance_type ("classical", "HC3", ...) */
    const char *cov_bad;            /* why inference.covariance could not be read (cov is
                                       then NULL: only --interval needs it); NULL */
    int64_t df_residual;            /* n − k */
    double sigma;                   /* the residual standard error (NaN: null) */
    char *weights;                  /* training.weights: the sample-weight column, or NULL */
    char *offset;                   /* training.offset: the --offset column, or NULL */
    struct encoding enc;            /* the source columns to read and how to encode them (a
                                       model without "encoding": the features, as numbers) */
    void *formula;                  /* the "formula" object (a json_t *, held), NULL: none */
};

/* Read and check a model file: LR_ENOINPUT if unreadable, LR_EDATA if it is not a valid
   linreg_mpi model (the message says what is wrong). */
int model_read(const char *path, struct model_file *m, struct lr_error *e);
void model_file_free(struct model_file *m);

#endif
