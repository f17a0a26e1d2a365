/*
 * encode.h — categorical columns and missing values: from the raw fields of a CSV to the
 * numeric design the solvers see, and the same encoding again for predict and evaluate.
 *
 * Three stages, each owned here:
 *   1. while parsing (csv_reader.c calls enc_field_* for every field): a field is a number,
 *      missing (empty or one of --na-values), or a level of a categorical column, interned
 *      in a small per-piece dictionary (struct level_dict) and stored in the raw matrix as
 *      a NaN whose payload is the level's id (enc_level_value);
 *   2. after parsing, collectively (encode_collective.c calls enc_merge): every rank's levels are
 *      gathered, sorted in byte order and made unique, so every rank holds the same list
 *      whatever the rank and thread counts; ids are remapped to positions in that list;
 *   3. enc_expand: the raw matrix (N×S, S source columns) becomes the design (N×D): a
 *      numeric column stays one column, a categorical one becomes a 0/1 column per level
 *      (NAME=LEVEL; the first level is the reference and gets none when the model has an
 *      intercept), and --missing-indicator adds NAME_missing after a column with missing
 *      values. Missing numbers stay NaN until enc_fill puts in the training means.
 *
 * struct encoding is the whole state to apply the encoding again: plain data, written into
 * the model file (enc_to_json) and read back (enc_from_json), freed with enc_free.
 * Calls MPI only through comm.h (enc_merge); never exits.
 */
#ifndef LINREG_ENCODE_H
#define LINREG_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

/* ---- missing values ---- */

enum enc_missing { MISSING_ERROR, MISSING_SKIP, MISSING_MEAN };

#define ENC_NA_DEFAULT "NA,N/A,NaN,nan,null,NULL"
#define ENC_MAX_NA 32

/* The strings that mean "missing", besides the empty field. */
struct enc_na {
    int n;
    char *s[ENC_MAX_NA];
    size_t len[ENC_MAX_NA];
    uint64_t len_mask;         /* bit k: some string has length k (k < 64): a quick no */
    int numeric;               /* some string reads as a number (-99; num_parse accepts it,
                                  or finds it out of range): a field that converts must
                                  still be compared with them, else never */
};

/* Parse a comma-separated list (NULL: the default); -1 with a usage error if too long. */
int enc_na_init(struct enc_na *na, const char *list, struct lr_error *e);
void enc_na_free(struct enc_na *na);

/* Is s[0..n) (spaces around it trimmed) empty or one of the NA strings? */
int enc_is_missing(const struct enc_na *na, const char *s, size_t n);

/* The options that say how a data set's columns are encoded (a command's data_options,
   dataset.h, holds one; encode_collective.h applies them). */
struct enc_options {
    const char *categorical;   /* --categorical: names, or "auto"; NULL: none */
    const char *reference;     /* --reference NAME=LEVEL,...: that level first (the
                                  reference), the others in their order; NULL: none */
    int64_t max_levels;        /* --max-levels */
    int missing;               /* --missing: enum enc_missing */
    const char *na_values;     /* --na-values; NULL: ENC_NA_DEFAULT */
    int missing_indicator;     /* --missing-indicator */
    int no_intercept;          /* every level gets a column (no reference level) */
    const struct encoding *model_enc;  /* predict, evaluate, --test: encode as this says */
    int unknown_error;         /* --unknown-level error */
    const unsigned char *formula_levels;  /* a formula's read (formula_data.h): per source
                                  column, 1: every value a level; else a number or, for
                                  text, a level; kept unexpanded, a level as its position */
    int raw_levels;            /* describe: X keeps one column per source column, a level as
                                  its index in enc.cols[].levels (enc_level_value) */
};

/* ---- the values in the raw matrix ---- */

/* A missing value: the quiet NaN with no payload. */
#define ENC_MISSING_BITS 0x7FF8000000000000ull
/* A level: a quiet NaN with this bit and the id in the low 40 bits. An unseen level
   (predict) has id ENC_UNSEEN. */
#define ENC_LEVEL_TAG 0x0004000000000000ull
#define ENC_UNSEEN 0xFFFFFFFFFFull

static inline double enc_level_value(uint64_t id)
{
    uint64_t b = ENC_MISSING_BITS | ENC_LEVEL_TAG | id;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static inline double enc_missing_value(void)
{
    uint64_t b = ENC_MISSING_BITS;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* The level id in v, or -1 when v is not a level. */
static inline int64_t enc_level_id(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    if ((b & ~0xFFFFFFFFFFull) != (ENC_MISSING_BITS | ENC_LEVEL_TAG))
        return -1;
    return (int64_t)(b & 0xFFFFFFFFFFull);
}

static inline int enc_is_missing_value(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == ENC_MISSING_BITS;
}

/* ---- level dictionaries ---- */

/* Distinct byte strings and their ids (0, 1, ... in first-seen order).
   Open addressing over an arena of the bytes. */
struct level_dict {
    int64_t n, cap;            /* entries; slots (a power of two) */
    int64_t *slot;             /* cap entries: id or -1 */
    uint64_t *hash;            /* n: each entry's hash */
    int64_t *off;              /* n + 1 offsets into bytes (entry k: off[k]..off[k+1]) */
    char *bytes;
    int64_t bytes_cap;
};

void dict_init(struct level_dict *d);
void dict_clear(struct level_dict *d);
void dict_free(struct level_dict *d);
/* The id of s[0..n), added when new; -1 when adding would pass max_entries or max_bytes. */
int64_t dict_intern(struct level_dict *d, const char *s, size_t n, int64_t max_entries,
                    int64_t max_bytes);
/* The last entry added taken out again (entries come out in the reverse of their order of
   addition: linear probing then needs no tombstones); d->n must be > 0. */
void dict_pop(struct level_dict *d);
/* The id of s[0..n), or -1. */
int64_t dict_find(const struct level_dict *d, const char *s, size_t n);
static inline const char *dict_key(const struct level_dict *d, int64_t id, size_t *len)
{
    *len = (size_t)(d->off[id + 1] - d->off[id]);
    return d->bytes + d->off[id];
}

/* ---- how the reader treats each source column (csv_layout.enc) ---- */

enum enc_read {
    READ_NUMBER,               /* a number, or missing */
    READ_LEVEL,                /* every present value is a level (--categorical NAME) */
    READ_AUTO,                 /* a number, or else a level (--categorical auto, describe) */
    READ_FIXED,                /* a level of a trained model's list, or unseen */
};

struct enc_reader {
    const unsigned char *mode;      /* per source column (slot): enum enc_read */
    const unsigned char *miss;      /* per source column: enum enc_missing for a missing value
                                       (MISSING_MEAN: keep it as missing) */
    int target_keep_missing;        /* predict: a missing target is kept (NaN); else the
                                       record is skipped and counted */
    const struct enc_na *na;
    const struct level_dict *fixed; /* per source column: READ_FIXED's levels */
    int unknown_error;              /* READ_FIXED: an unseen level fails the record */
    int fills_fixed;                /* predict, evaluate: the model's means are the only
                                       fills, and a column without one has none to offer */
    int64_t max_entries, max_bytes; /* a piece's dictionary per column */
};

/* ---- the encoding: what training learned, what predict applies ---- */

enum enc_kind { ENC_NUMERIC, ENC_CATEGORICAL };

struct enc_column {
    char *name;
    int kind;                  /* enum enc_kind */
    int n_levels;
    char **levels;             /* in byte order */
    int reference;             /* 1: the first level is the reference (no column) */
    int has_fill;              /* a missing number is replaced by fill */
    double fill;
    int indicator;             /* a NAME_missing column follows this column's */
    int64_t n_missing;         /* missing values in the training file */
    int64_t n_unseen;          /* predict: values of levels the model does not know */
    int truncated;             /* describe: more distinct values than the dictionaries keep;
                                  levels holds only some */
};

struct encoding {
    int n_cols;                /* S source columns, in the design's order */
    struct enc_column *cols;
    int missing;               /* enum enc_missing of the training run */
};

/* Design columns D of the encoding; their names (malloc'd array of malloc'd strings). */
int enc_width(const struct encoding *enc);
char **enc_feature_names(const struct encoding *enc);

/* raw (N×S) → X (N×D); missing numbers without a fill stay NaN. Counts unseen levels in
   enc->cols[].n_unseen (this rank's). */
void enc_expand(struct encoding *enc, const double *raw, int64_t n, double *X, int n_threads);

/* For each design column (D): the source column it is the value of when that column is
   numeric, else -1 (a level's or an indicator's column). Malloc'd. */
int *enc_numeric_sources(const struct encoding *enc);

/* The model's terms, as R counts them for a test of a whole term: a source column (a
   number's one column, or a categorical column's level columns together), and each
   missing-value indicator on its own. term_of[j] (D entries, the caller's) gets design
   column j's term; *names (malloc'd, each too) the terms' names (the column's, or
   NAME_missing). Returns the number of terms. */
int enc_terms(const struct encoding *enc, int *term_of, char ***names);

/* X[i][j] ← fill[j] where it is NaN (D columns; NaN fill: left). */
void enc_fill(double *X, int64_t n, int d, const double *fill, int n_threads);

/* The model file's "encoding" object, and back (jansson json_t*, as void* to keep jansson
   out of the callers' includes). enc_from_json: -1 with *why set when malformed. */
void *enc_to_json(const struct encoding *enc);
int enc_from_json(const void *json, struct encoding *enc, const char **why);
/* The same as text (for the binary cache): malloc'd, NUL-terminated. */
char *enc_serialize(const struct encoding *enc);
int enc_deserialize(const char *text, struct encoding *enc, const char **why);

void enc_free(struct encoding *enc);

/* ---- the collective step after parsing ---- */

/*
 * Collective. dicts[s] holds this rank's levels of source column s (ids as stored in raw),
 * for the columns whose mode is READ_LEVEL or READ_AUTO. Gathers every rank's levels,
 * sorts them in byte order and keeps one of each: *levels[s] (n_levels[s]) is the same on
 * every rank; remap[s][local id] = position in it (NULL when this rank has none of the
 * column's levels). Columns of other modes get nothing. Returns -1 with *bad = the first
 * column that has a level with a NUL byte or not in UTF-8 (the same on every rank; the
 * lists are complete all the same), else 0.
 */
int enc_merge(const struct level_dict *dicts, const unsigned char *mode, int s,
              char ***levels, int *n_levels, int64_t **remap, int *bad);

#endif
