/*
 * model_io.h — the model file: JSON as in DESIGN.md, doubles with %.17g, via jansson.
 * Owns nothing it is not given; never calls MPI, never exits. Rank 0 alone writes.
 */
#ifndef LINREG_MODEL_IO_H
#define LINREG_MODEL_IO_H

#include <stdint.h>

#include "error.h"

struct model_metrics {
    double mse, rmse, mae, r2;
};

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
    int converged;
    double learning_rate, final_loss, l2;
    int64_t rows;
    int ranks, threads;
    double seconds;
    struct model_metrics train;
};

/* Write the model JSON atomically; -1 with LR_EWRITE on failure. */
int model_write(const struct model *m, const char *path, struct lr_error *e);

#endif
