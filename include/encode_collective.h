/*
 * encode_collective.h — the collective side of categorical columns and missing values
 * (encode.h): how each source column is to be read, set up before parsing from the head
 * and the options; after parsing, every rank's levels merged into one list, the ids
 * remapped, the auto-detected columns decided, --max-levels checked, the missing values
 * counted, the encoding built (or taken from the model) and the raw rows expanded into the
 * design. With csv_reader.c's field_value (one field) and encode.c (dictionaries, the
 * merge, the expansion), a categorical column's handling lives here.
 *
 * Collective functions agree on failures (comm_agree); never exits.
 */
#ifndef LINREG_ENCODE_COLLECTIVE_H
#define LINREG_ENCODE_COLLECTIVE_H

#include "csv_reader.h"
#include "encode.h"
#include "error.h"

/* What the reader needs to know per source column, and the state it borrows. */
struct enc_setup {
    struct enc_reader rd;      /* csv_layout.enc points here */
    struct enc_na na;
    unsigned char *mode, *miss;
    struct level_dict *fixed;
    int n;                     /* source feature columns */
    const char *path;          /* the data set, in messages */
    int n_threads;
};

/*
 * How each of the d source feature columns (slot[c] of head column c, csv_reader.h) is
 * read: from the model's encoding, or from --categorical and --missing; a row whose
 * target is missing is kept when keep_missing_target (predict), else skipped. Identical on
 * every rank (a function of the head and the options); not collective.
 */
int enc_setup_init(struct enc_setup *rs, const struct csv_head *h, const int *slot, int d,
                   const struct enc_options *o, const char *path, int n_threads,
                   int keep_missing_target, struct lr_error *e);
void enc_setup_free(struct enc_setup *rs);

/*
 * The encoding of a data set in two steps, so that rows read in blocks (a pass over them
 * first, then each block again) are encoded as rows read at once:
 *   enc_count_missing  local, on each block as read: adds its missing values per column;
 *   enc_decide         collective, once the pass has ended: from the levels the reader
 *                      collected (sh's dictionaries and seen bits) and the missing counts,
 *                      the encoding and a plan to apply it;
 *   enc_apply          local, on each block as read with the same reader state: its level
 *                      ids remapped, then the block filled (numbers only) or expanded to
 *                      the design.
 * enc_columns is the three on a rank's rows read as one block.
 */
struct enc_plan {
    int d;                     /* source feature columns */
    int64_t **remap;           /* per column: the reader's level id → its merged position;
                                  NULL for a column without levels */
    int identity;              /* numbers only, no indicator: the rows are the design */
    int raw;                   /* describe: level ids remapped, nothing filled or expanded */
    int width;                 /* design columns (not identity) */
};

/* Adds the missing values of raw (n×d, as read) per column to missing[0..d). */
void enc_count_missing(const double *raw, int64_t n, int d, int n_threads, int64_t *missing);

/* Collective: see above. *names and *n_features (the source columns on entry) become the
   design's unless the plan is identity or raw; enc is built (or copied from the model). */
int enc_decide(const struct csv_shard *sh, const int64_t *missing, const struct enc_setup *rs,
               const struct enc_options *o, char ***names, int *n_features,
               struct encoding *enc, struct enc_plan *plan, struct lr_error *e);

/* Local: block b (its rows as read) encoded by plan; unseen levels add to enc's n_unseen. */
void enc_apply(const struct enc_plan *plan, struct encoding *enc, struct csv_shard *b,
               int n_threads);
/* The same on n rows as read (raw, n×d, remapped and filled in place): returns raw itself,
   or out (room for n×width, the caller's) where the design is expanded into it. */
double *enc_apply_rows(const struct enc_plan *plan, struct encoding *enc, double *raw,
                       int64_t n, double *out, int n_threads);
void enc_plan_free(struct enc_plan *plan);

/*
 * Collective, after parsing sh with rs: the levels merged across ranks and the ids
 * remapped to their positions; --max-levels checked; enc built (or copied from the
 * model); sh->X expanded to the design (one-hot and indicator columns), *names and
 * *n_features (the source columns on entry) then the design's, unless o->raw_levels.
 */
int enc_columns(struct csv_shard *sh, const struct enc_setup *rs, const struct enc_options *o,
                char ***names, int *n_features, struct encoding *enc, struct lr_error *e);

#endif
