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
    const char *groups_option; /* how messages name the option that gave groups; NULL:
                                  "--cov cluster" */
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
    int memory;                /* enum data_memory: how the rows are held */
    const char *scratch;       /* stream mode: the directory of the scratch files; NULL:
                                  $TMPDIR, else /tmp (scratch.h) */
    int64_t block_rows;        /* stream mode: rows per block (a multiple of 4096); 0: about
                                  32 MiB of rows as read */
    int many_passes;           /* stream mode: the rows will be read back many times (train):
                                  keep them as handed out, to be mapped back (dataset_next) */
    int keep_places;           /* keep where each row's record starts (ds->row_at, places) */
    struct formula_data *formula;  /* --formula, or the model's: the columns it reads, made
                                  into its design (formula_data.h; stream mode: as each
                                  block is read back); the caller's, NULL: none */
};

/* How a data set's rows are held (--memory). */
enum data_memory {
    MEMORY_RESIDENT,           /* every row of a rank in memory (ds->X) */
    MEMORY_STREAM,             /* on disk: a scratch file written in the first pass, each
                                  later pass read back block by block (dataset_next) */
    MEMORY_AUTO,               /* resident when the node's memory holds the rows, else
                                  stream, with one line on stderr saying so */
};

struct formula_data;  /* formula_data.h */

struct dataset {
    int64_t n_rows;            /* N: rows on this rank */
    int64_t n_rows_total;      /* rows on all ranks */
    int n_features;            /* D */
    double *X;                 /* N×D row-major */
    double *y;                 /* N, NULL without a target */
    double *w;                 /* N sample weights ω_i ≥ 0, NULL without --weights */
    double *offset;            /* N --offset values, NULL without */
    double weight_total;       /* Σ ω_i over all ranks (> 0), or the row count */
    int has_weights;           /* the rows carry the weight column (w, or stream's blocks) */
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
                                  offsets where each row's record starts (resident; in
                                  stream mode on disk: dataset_row_at); else NULL */
    struct row_places places;  /* ... and how to place them (locate.h) */
    int64_t next_row;          /* resident: 1 once a pass has given the rows (dataset_next);
                                  stream: the rows given in this pass */
    struct formula_data *formula;  /* data_options.formula (borrowed), or NULL */
    struct data_stream *stream;  /* stream mode: the rows on disk, X, y, w NULL (read them
                                    with dataset_next); NULL: resident */
};

/* Rows of a pass (dataset_next): n rows of X (n×n_features row-major), y and w (NULL
   without them); valid until the next call. g (n×n_groups cluster keys) and offset (n
   --offset values): resident, whenever the data set has them; streamed, on a pass begun
   by dataset_rewind_keys (else NULL), the offset only with keep_places. */
struct row_block {
    const double *X, *y, *w;
    const uint64_t *g;
    const double *offset;
    int64_t n;
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

/*
 * A pass over this rank's rows in order, in blocks: dataset_rewind, then dataset_next until
 * it returns 0. Resident, the one block is X, y, w themselves; streamed, each block is read
 * back from the scratch file and encoded as the first pass decided (its fill values
 * included: enc's has_fill). Every block but the last holds a whole number of par.h's parts,
 * so that sums over parts in order (stats_add, metrics_add, the exact solver's stream) have
 * the same bits either way. Local: a rank that fails (-1 with e, LR_ENOINPUT) stops its
 * pass; agree after it (comm_agree).
 */
void dataset_rewind(struct dataset *ds);

/* As dataset_rewind, for a pass whose blocks also bring their rows' cluster keys and
   --offset values (row_block's g and offset): streamed, those are kept in a scratch file of
   their own, read on such a pass only. */
void dataset_rewind_keys(struct dataset *ds);

/* Where this rank's row i starts in the input (data_options.keep_places: the record's
   offset, which locate.h places; -1 when unknown); streamed, read from the scratch file.
   -1 with e (LR_ENOINPUT) when it cannot be read. Local. */
int dataset_row_at(const struct dataset *ds, int64_t i, int64_t *at, struct lr_error *e);

/* Collective: every row's missing values filled with fill[j] where not NaN, recorded in
   the encoding (has_fill, fill; streamed blocks are filled from it as they are read):
   resident rows in place now. */
void dataset_fill(struct dataset *ds, const double *fill, int n_threads);

/* Every row's features standardised, (x − mean)/scale (borrowed; they must outlive ds):
   resident rows in place now, streamed ones as each block is read from here on. */
void dataset_scale(struct dataset *ds, const double *mean, const double *scale, int n_threads);
/* (both collective: a streamed data set's blocks change, so the file of blocks as handed
   out is written again by the next pass) */
int dataset_next(struct dataset *ds, struct row_block *b, struct lr_error *e);

/* Collective: the rows whose position in the whole data set (counted from the first data
   row, whatever the ranks and threads) hashes with seed below fraction moved into part,
   both in file order; part gets ds's columns and a copy of its encoding, and is resident
   or streamed as ds is. The row and weight totals of both are set. Before any fill or
   scaling. */
int dataset_split(struct dataset *ds, double fraction, uint64_t seed, struct dataset *part,
                  struct lr_error *e);

/* Collective, stream mode, after a command's one pass (predict, evaluate): the unseen levels
   that pass met, summed over the ranks into enc (as resident mode has them after loading);
   nothing when resident. */
void dataset_stream_end(struct dataset *ds);

/* Stream mode: the passes read back so far, the bytes of one pass (this rank), the rows of
   a block; all 0 when resident. Returns what the passes read ("scratch file", or "rows in
   the cache" when a valid --cache is read instead). */
const char *dataset_stream_info(const struct dataset *ds, int *passes, int64_t *pass_bytes,
                                int64_t *block_rows);

/* Rank 0: one line naming how many rows were skipped (--on-bad-row skip, missing values),
   and where; label (e.g. "--test FILE") heads the line, NULL for the data set itself. */
void dataset_print_skipped(const struct dataset *ds, const char *label, FILE *out);

/* Rank 0: per column, missing levels read as all zeros, unseen levels, filled values. */
void dataset_print_encoding(const struct dataset *ds, const char *label, FILE *out);

#endif
