/*
 * cli.h — the command line: parse and check every option before any data is read.
 *
 * cli_parse never prints and never exits: it fills struct options or returns -1 with a
 * usage error (exit code 2). Every rank parses the same argv, so every rank reaches the
 * same verdict without communicating. cli_usage prints --help.
 */
#ifndef LINREG_CLI_H
#define LINREG_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cv.h"
#include "error.h"
#include "solver.h"

enum command { CMD_TRAIN, CMD_DESCRIBE, CMD_PREDICT, CMD_EVALUATE };

struct options {
    enum command command;
    const char *path;          /* the CSV (the first input) */
    char **paths;              /* every input: files and directories, in order (inputs.h);
                                  n_paths is 0 with one input. One allocation holds paths and
                                  tests: free(paths) frees both */
    int n_paths;
    const char *glob;          /* --glob PATTERN: a directory's files; NULL: the default */
    int help, version;

    /* reading (dataset.h) */
    char delimiter;
    int no_header;
    const char *target, *features, *drop;
    int skip_bad_rows;
    int n_threads;             /* 0: OpenMP's default (OMP_NUM_THREADS or cores) */
    const char *cache;         /* --cache PATH: parsed rows kept for the next run */
    int cache_verify_full;     /* --cache-verify full */
    int cache_verify_given;
    int memory;                /* --memory: enum data_memory (dataset.h); default auto */
    int memory_given;
    const char *scratch;       /* --scratch DIR; NULL: $TMPDIR, else /tmp */
    int64_t block_rows;        /* --block-rows N (stream mode); 0: about 32 MiB of rows */

    /* categorical columns and missing values (encode.h) */
    const char *categorical;   /* --categorical A,B|auto; NULL: none */
    const char *reference;     /* --reference NAME=LEVEL,...; NULL: none */
    int64_t max_levels;        /* --max-levels (default 1000) */
    int unknown_error;         /* --unknown-level error */
    int unknown_level_given;   /* --unknown-level was on the command line */
    int missing;               /* --missing: enum enc_missing */
    int missing_given;         /* --missing was on the command line */
    const char *na_values;     /* --na-values; NULL: the default list */
    int missing_indicator;     /* --missing-indicator */

    /* describe, predict, evaluate */
    int json;
    const char *model;         /* --model PATH */
    const char *output;        /* --output PATH (predict); NULL: stdout */
    int interval;              /* predict --interval: enum predict_interval (predict.h) */
    double level;              /* --level: of those intervals (default 0.95) */
    int level_given;

    /* training */
    double lr;                 /* 0: auto */
    enum solver solver;        /* SOLVER_AUTO unless --solver names one */
    int64_t epochs;
    int epochs_given;          /* --epochs was on the command line */
    double tol;                /* < 0: auto */
    int no_scale;
    double l2;
    const char *model_out;
    const char *log_path;
    int64_t log_every;
    int quiet;
    const char *checkpoint;    /* NULL: no checkpoints */
    int64_t checkpoint_every;
    const char *resume;
    const char *report;        /* --report PATH: phase timings JSON */
    double validation_split;   /* fraction of rows held out; 0: none */
    uint64_t seed;             /* for the split */
    int64_t patience;          /* early stopping; 0: off */
    const char *test;          /* --test PATH: the first (messages name it) */
    char **tests;              /* every --test PATH, in order: files and directories, one test
                                  set as the inputs are one data set; NULL without --test */
    int n_tests;
    int no_intercept;          /* fit through the origin */
    const char *formula;       /* --formula 'y ~ ...' (formula_data.h); NULL: none */
    int inference;             /* the inference table (always with the exact solver) */
    int diagnostics;           /* --diagnostics: residual checks beside the table */
    const char *offset;        /* --offset NAME: added to the prediction; NULL: none */
    const char *diagnostics_sample;  /* --diagnostics-sample PATH: the plots' rows; NULL */
    double conf_level;         /* of its confidence intervals */
    int cov;                   /* --cov: enum cov_type (robust.h) */
    const char *cov_columns;   /* --cov cluster:A[,B]: the cluster id columns; NULL: none */
    double l1;                 /* --l1: (l1/m)·‖w‖₁ on the scaled weights; 0: none */
    int huber;                 /* --loss huber (else squared) */
    double huber_delta;        /* --huber-delta δ (> 1; default 1.35) */
    int huber_delta_given;
    const char *weights;       /* --weights NAME: the sample-weight column; NULL: none */
    int precondition;          /* --precondition: enum precond_kind (default sample) */
    int precondition_given;
    int64_t precondition_rows; /* --precondition-rows N; 0: auto */

    /* the cross-validated penalty path (cv.h) */
    int cv;                    /* --cv K: folds; 0: no cross-validation */
    int folds;                 /* --folds: enum cv_folds */
    const char *fold_column;   /* --folds column:NAME */
    double l1_ratio[CV_MAX_L1_RATIOS];  /* --l1-ratio A[,B,...] (default 1) */
    int n_l1_ratio;
    int64_t n_lambdas;         /* --lambdas N (default 100) */
    const char *lambda_path;   /* --lambda-path L1,L2,... (checked here; cv_parse_list) */
    int n_lambda_path;
    double lambda_min_ratio;   /* --lambda-min-ratio R; 0: glmnet's default */
    int select_1se;            /* --select 1se */
    int cv_ols;                /* --cv alone: the CV error of least squares (λ = 0) */
    const char *cv_option;     /* the first path option given (for "needs --cv") */
    int argc;                  /* the command line, to print the resume command */
    char **argv;
};

int cli_parse(int argc, char **argv, struct options *o, struct lr_error *e);

/* The option that keeps training from streaming its rows (--memory stream), or NULL. */
const char *cli_stream_blocker(const struct options *o);
void cli_usage(FILE *out);
const char *cli_version(void);

#endif
