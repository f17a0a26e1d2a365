/*
 * dataset.h — load a CSV into per-rank shards: the collective front of the data flow.
 *
 * dataset_load, in order: the inputs expanded (inputs.h); rank 0 reads the header (every
 * file's, for several) and broadcasts the column names; every rank resolves the columns
 * the same way and sets up how each is encoded (encode_collective.h); the row source the
 * inputs and --cache call for (source.h: a valid cache, else one CSV by byte range, plain
 * files as one stream, compressed files) gives this rank's block of rows, which is encoded
 * (a cache's come encoded) and, when read from the files with --cache, written to the
 * cache. Each phase's failures are agreed
 * across ranks (comm_agree) so that all ranks return the same error, with the line of the
 * first bad record (each file's own line for several inputs).
 *
 * Owns the shard (free with dataset_free). Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_DATASET_H
#define LINREG_DATASET_H

#include <stdint.h>
#include <stdio.h>

#include "csv_reader.h"
#include "error.h"
#include "locate.h"

struct data_options {
    const char *path;          /* the first input (messages about the data set name it) */
    char *const *paths;        /* all inputs: files and directories (inputs.h); NULL: path */
    int n_paths;
    const char *glob;          /* --glob: which files of a directory; NULL: *.csv[.gz|.zst] */
    char delimiter;            /* ',' by default */
    int has_header;            /* 0 with --no-header: columns are named col1, col2, ... */
    const char *target;        /* name or 1-based index; NULL = last column */
    const char *features;      /* comma-separated names; NULL = all but target and dropped */
    const char *drop;          /* comma-separated names to ignore */
    const char *weights;       /* --weights: the sample-weight column (not a feature); NULL:
                                  none */
    const char *offset;        /* --offset: the column added to the prediction (not a
                                  feature); NULL: none */
    int offset_target;         /* y is read as the target less the offset (train, --test,
                                  evaluate: what the fit and its metrics compare with) */
    const char *groups;        /* --cov cluster:A[,B]: the cluster id columns (not features
                                  unless also named as ones); NULL: none */
    int weights_optional;      /* the weight column may be absent (then ds->w stays NULL) */
    int target_optional;       /* a named target absent from the file: no y, no error */
    const char *columns_of;    /* where target and features come from, for messages:
                                  "the model", "the training data"; NULL: options */
    int want_target;           /* 1: train/evaluate; 0: describe (all columns are features,
                                  text read as levels: enc_options.raw_levels) */
    int skip_bad_rows;         /* --on-bad-row skip */
    int n_threads;             /* OpenMP threads for parsing, ≥ 1 */
    struct enc_options enc;    /* categorical columns and missing values (encode.h) */
    int drop_index;            /* leave out a first column whose header field is empty
                                  (ds->index_dropped says it was) unless options name it */
    const char *cache;         /* --cache PATH: the parsed rows kept there (cache.h) */
    int cache_verify_full;     /* --cache-verify full: the CSV's content hashed too */
    int quiet;                 /* the cache's notes and warnings silenced */
    int keep_places;           /* keep where each row's record starts (ds->row_at, places) */
};

struct dataset {
    int64_t n_rows;            /* N: rows on this rank */
    int64_t n_rows_total;      /* rows on all ranks */
    int n_features;            /* D */
    double *X;                 /* N×D row-major */
    double *y;                 /* N, NULL without a target */
    double *w;                 /* N sample weights ω_i ≥ 0, NULL without --weights */
    double *offset;            /* N --offset values, NULL without */
    double weight_total;       /* Σ ω_i over all ranks (> 0), or the row count */
    uint64_t *g;               /* N×n_groups cluster keys (csv_reader.h), NULL without */
    int n_groups;
    char **feature_names;      /* D names, in model order */
    char *target_name;         /* NULL without a target */
    int has_target;
    int index_dropped;         /* drop_index left out the unnamed first column */
    struct encoding enc;       /* the source columns and how they became X */
    int64_t n_skipped_total;   /* records skipped (bad, or a missing value), all ranks */
    int64_t n_skipped_missing; /* ... of which for a missing value, all ranks */
    int64_t n_skipped_local;   /* ... on this rank */
    int64_t *skipped_at;       /* n_skipped_local entries: entry k = the number of this
                                  rank's rows (X's rows) before its skipped record k, so
                                  non-decreasing; NULL when none */
    int n_first_skipped;       /* rank 0: the first few skipped records' first and last
                                  physical line numbers (equal for a one-line record) */
    int64_t first_skipped[CSV_FIRST_SKIPPED];
    int64_t first_skipped_last[CSV_FIRST_SKIPPED];
    char *first_skipped_path[CSV_FIRST_SKIPPED];  /* several inputs: each one's file */
    int64_t file_bytes;
    int64_t *row_at;           /* with keep_places, rows read as text from plain files: N
                                  offsets where each row's record starts; else NULL */
    struct row_places places;  /* ... and how to place them (locate.h) */
};

/* Which data set of a command the options are for. */
enum data_role {
    DATA_TRAIN,                /* the rows to train on */
    DATA_TEST,                 /* --test: encoded as the training rows were */
    DATA_DESCRIBE,             /* every column, summarised */
    DATA_PREDICT,              /* a model's columns; the target may be absent */
    DATA_EVALUATE,             /* a model's columns and its target */
};

/* What a model (or, for --test, the training data) fixes about the data it is applied to:
   its source columns (enc->cols[].name, the features) and their encoding, its target. */
struct data_model {
    const struct encoding *enc;
    const char *target;
    const char *weights;       /* evaluate: the weight column the model was trained with */
    const char *offset;        /* predict, evaluate, --test: the model's --offset column */
    int no_intercept;
    int missing;               /* predict, evaluate: the mode missing values are read in
                                  (the model's, or the command line's override) */
};

struct options;  /* cli.h */

/* The one place that turns a command line (cli.h) into the options of a command's data
   set; model for DATA_TEST, DATA_PREDICT and DATA_EVALUATE, else NULL. */
void data_options_for(const struct options *cli, enum data_role role,
                      const struct data_model *model, struct data_options *o);

/* Collective: every rank calls it with the same options. */
int dataset_load(const struct data_options *o, struct dataset *ds, struct lr_error *e);
void dataset_free(struct dataset *ds);

/* Rank 0: one line naming how many rows were skipped (--on-bad-row skip, missing values),
   and where; label (e.g. "--test FILE") heads the line, NULL for the data set itself. */
void dataset_print_skipped(const struct dataset *ds, const char *label, FILE *out);

/* Rank 0: per column, missing levels read as all zeros, unseen levels, filled values. */
void dataset_print_encoding(const struct dataset *ds, const char *label, FILE *out);

#endif
