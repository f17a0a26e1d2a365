/*
 * cv.h — `--cv K`: the penalty chosen by K-fold cross-validation, from one pass over the
 * training rows, as R's cv.glmnet chooses it (path.h does the maths on D×D matrices).
 *
 * Folds. Each row gets a fold in [0, K): by hash (--folds hash, the default: a hash of the
 * row's position among all the data rows and --seed, so the same rows for any rank and
 * thread count), or from a column (--folds column:NAME, glmnet's foldid: each distinct value
 * is one fold, numbered in the order the values first appear in the file), or by file
 * (--folds files: with several inputs, fold k is the k-th file's rows, leave one file out;
 * a row's file is where its record starts in the inputs' stream, dataset.h's row_at and
 * places, so only plain files held in memory: compressed parts, the cache and stream mode
 * keep no such offsets, and are refused).
 *
 * The pass. Every rank feeds each fold's rows, weighted by √ω, as rows [1 z y] (z the
 * columns scaled by the training scaling) to that fold's own stream of the exact solver
 * (exact.h): its triangle R_k, with merges in a fixed order, so the same bits for any
 * thread count; the folds' streams are fed side by side by the threads, each by one. The
 * ranks' triangles of a fold are merged over exact.h's fixed tree. The fold's Gram matrix
 * of [1 z y] is A_k = R_kᵀR_k, exactly the Σ ω a aᵀ that path_cv wants, and its held-out
 * errors are taken as ‖R_k v‖² from the triangle itself (path.h); nothing else is read
 * from the rows.
 *
 * The path. For each value α of --l1-ratio, path_cv (path.h) on those K matrices: the λ
 * sequence of all the rows, each fold's held-out error along it, cvm and cvsd, λ_min and
 * λ_1se. Of several α the one with the least cvm at its λ_min is chosen (the first on a
 * tie); then λ_min or λ_1se of that α (--select). The model is the whole data's path at
 * that (λ, α), its coefficients mapped from z back to the columns' units (stats.h), and so
 * are the coefficients at every λ of that α's path (the model's cv.path_coefficients, for
 * plot.glmnet's picture: scripts/plot.sh). With no
 * penalty option on the command line, the path is the one λ = 0: least squares' own CV
 * error and model (cv_train).
 *
 * The equivalent single fit. With glmnet's penalty λ·(α‖β̃‖₁ + (1−α)/2·‖β̃‖²) on the
 * standardized coefficients and its gaussian family's scaling of y by its standard
 * deviation s_y (path.h), the same coefficients minimise --l1/--l2's objective
 *     J = 1/(2m) Σ ω e² + l2/(2m)‖w‖² + l1/m‖w‖₁   (w on the scaled columns, m = Σω)
 * at l1 = m·λ·α and l2 = m·λ·(1−α)/s_y, and scikit-learn's ElasticNet on the scaled columns
 * at alpha = λα + λ(1−α)/s_y, l1_ratio = λα/alpha.
 *
 * Collective where it says so; MPI only through comm.h; never exits.
 */
#ifndef LINREG_CV_H
#define LINREG_CV_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "path.h"

enum { CV_MAX_FOLDS = 100, CV_MAX_L1_RATIOS = 32 };

enum cv_folds { CV_FOLDS_HASH, CV_FOLDS_COLUMN, CV_FOLDS_FILES };

/* The numbers of a comma-separated list, each a finite number in [lo, hi] (above lo when
   lo_open), into out (when not NULL; cap at most): how many, or -1 when one is not such a
   number or there are more than cap (*bad: the offending entry's index, 0-based). */
int cv_parse_list(const char *text, double lo, int lo_open, double hi, double *out, int cap,
                  int *bad);

/* A block of this rank's rows, in order: X n×D row-major, y n, w n (NULL: all 1). */
struct cv_block {
    const double *X, *y, *w;
    int64_t n;
};

struct cv_problem {
    /* the rows, in order, in blocks of any size: 1 and a block, 0 after the last, -1 with
       e when this rank cannot read them (a data set held whole: one block; one read from
       disk: its blocks as they come) */
    int (*next)(void *ctx, struct cv_block *b, struct lr_error *e);
    void *ctx;
    int64_t n_local, n_total;
    int d;
    const double *mean, *scale;  /* D: the training scaling */
    int n_threads;
    int K;                     /* folds, 2..CV_MAX_FOLDS */
    const int *fold;           /* N: each row's fold (cv_folds_column, cv_folds_files), or
                                  NULL: cv_hash_fold's, computed row by row from these */
    uint64_t hash_seed;
    int64_t hash_base;         /* the global position of this rank's first row */
    const double *l1_ratio;    /* n_l1_ratio values of α in [0, 1] */
    int n_l1_ratio;
    int n_lambda;              /* the sequence's length; or that of lambdas */
    double lambda_min_ratio;   /* 0: glmnet's default */
    const double *lambdas;     /* a given decreasing sequence, or NULL */
    int select_1se;            /* choose λ_1se (else λ_min) */
    const char *path;          /* the data, for messages */
    struct train_log *log;     /* the progress bar over the paths (log.h), or NULL */
    char *const *fold_files;   /* --folds files: fold k's file (for messages), else NULL */
};

struct cv_result {
    int K, d;
    int64_t *fold_rows;        /* K: rows of each fold (all ranks) */
    double *fold_weight;       /* K: Σω of each fold */
    int n_alpha;
    double *alpha;             /* n_alpha: the --l1-ratio values */
    struct path_cv *paths;     /* n_alpha */
    int best;                  /* the chosen α's index */
    int chosen;                /* the chosen λ's index in paths[best].full */
    double lambda, l1, l2;     /* the chosen λ; the equivalent --l1 and --l2 */
    double s_y;                /* the weighted standard deviation of y (divisor Σω) */
    int select_1se;
    double *theta;             /* D+1: b, w at the chosen (λ, α), in the columns' units */
    double *theta_s;           /* D+1: the same on the scaled columns */
    double *path_theta;        /* n × (D+1), n the chosen α's path length: b, w at each of its
                                  λ in the columns' units (glmnet's coef() along the path) */
    double pass_seconds, path_seconds;  /* the pass over the rows (with the merge); the paths */
    int unconverged;           /* λ whose descent stopped at glmnet's sweep limit, all paths */
};

/* The hash fold of the row at global position `at` (0-based over all ranks' rows), in
   [0, K): the fold of every row when no fold column or files are given, computed as each
   row comes so that a streamed data set keeps nothing per row. */
int cv_hash_fold(uint64_t seed, int K, int64_t at);

/* Collective: fold[i] from the keys of a fold column (keys[i·stride], csv_reader.h's
   cluster keys): distinct values in the order of their first row in the data. -1 with
   LR_EDATA, the same on every rank, when the column has fewer than 2 or more than
   CV_MAX_FOLDS values, or K of them are asked for and it has another number (*K_out: how
   many it has). */
int cv_folds_column(const uint64_t *keys, int stride, int64_t n, int K, const char *column,
                    const char *path, int *fold, int *K_out, struct lr_error *e);

/* fold[i] for this rank's n rows from where their records start (row_at, offsets in the
   inputs' stream) and the files' starts in it (places, locate.h): the file's index. -1
   with LR_EUSAGE, the same on every rank, when the offsets are not kept (compressed parts,
   the cache), there is only one file, or K is not the number of files. */
struct row_places;
int cv_folds_files(const int64_t *row_at, int64_t n, const struct row_places *places, int K,
                   const char *path, int *fold, struct lr_error *e);

/* Collective: the pass over the rows (pb->next from the first block) and the path, into r
   (free with cv_result_free). -1 with LR_EDATA when a fold has no rows or no weight, y has
   no variance, LR_ENOMEM when the folds' triangles do not fit, or the error of a rank's
   pb->next; the same on every rank. */
int cv_run(const struct cv_problem *pb, struct cv_result *r, struct lr_error *e);
void cv_result_free(struct cv_result *r);

struct train_log;  /* log.h */
struct options;  /* cli.h */
struct dataset;  /* dataset.h */

/* Collective, the command line's driver: the folds the options ask for (the fold column is
   the data's cluster key column, dataset.h), then cv_run on ds's training rows with the
   scaling (mean, scale), with a progress bar over the paths in log (NULL: none). ds is
   not const: a data set read from disk in blocks is read again (its pass state moves). */
int cv_train(const struct options *o, struct dataset *ds, const double *mean,
             const double *scale, struct train_log *log, struct cv_result *r,
             struct lr_error *e);

/* Rank 0: the table of the chosen α's path, as R prints a cv.glmnet fit, and the choice. */
void cv_print(const struct cv_result *r, FILE *out);

/* The model file's "cv" block (a jansson json_t *). */
void *cv_to_json(const struct cv_result *r);

#endif
