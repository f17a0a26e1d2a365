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
 * Collective, after parsing sh with rs: the levels merged across ranks and the ids
 * remapped to their positions; --max-levels checked; enc built (or copied from the
 * model); sh->X expanded to the design (one-hot and indicator columns), *names and
 * *n_features (the source columns on entry) then the design's, unless o->raw_levels.
 */
int enc_columns(struct csv_shard *sh, const struct enc_setup *rs, const struct enc_options *o,
                char ***names, int *n_features, struct encoding *enc, struct lr_error *e);

#endif
