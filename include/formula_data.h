/*
 * formula_data.h — a model formula (formula.h) applied to a data set's rows: which source
 * columns are read and how, the factors' levels and the orthogonal polynomials'
 * coefficients agreed across ranks, and the rows as read turned into the design and the
 * response.
 *
 * dataset.c calls it in these steps, in this order:
 *   fdata_columns  after the header is shared: the formula parsed over it (training) or
 *                  its stored columns found by name (predict, evaluate); which columns are
 *                  features of the read (the response's column is the target). A text
 *                  column is a level column by itself; factor() of numbers reads numbers
 *                  (R orders such levels by value). Not collective: a function of the
 *                  header.
 *   fdata_check    local, on each block of rows as read (the whole share at once, or block
 *                  by block in stream mode): a row with a value a transformation cannot
 *                  take (or, predicting, a factor() number the model does not know) fails
 *                  at FILE:LINE:COLUMN naming the term (exit 65), or is dropped from the
 *                  block and counted under --on-bad-row skip; training, the numbers under
 *                  factor() are collected from the rows kept.
 *   fdata_drop_levels
 *                  collective, training, once the rows are checked and the read's levels
 *                  merged: a text column's levels that no kept row of any rank holds (each
 *                  of their rows dropped by fdata_check) taken out, as R's model.frame
 *                  drops unused levels.
 *   fdata_prepare  collective, once the read's levels are merged (each level column kept
 *                  as its level's position, no reference dropped): the levels of every
 *                  factor agreed; a transformation of a text column refused.
 *   fdata_poly_add / fdata_poly_step
 *                  fdata_poly_passes() passes over the kept rows, in order, for the
 *                  orthogonal polynomials' coefficients (R's recurrence: pass k needs the
 *                  coefficients of pass k - 1; one Allreduce a pass). The rows' sums are
 *                  added one row after another, so that one block or many give the same
 *                  bits; the extras (below) are added at their places among them.
 *   fdata_finish   collective: the design made; the data set's features become its columns
 *                  without (Intercept) (the formula's intercept is the run's), its target
 *                  the response as the formula states it.
 *   fdata_rows     local: a block of kept rows made into the design and the response,
 *                  row by row (the same bits however the rows are split into blocks).
 * fdata_apply is the whole sequence on a rank's rows held at once (resident mode); when the
 * design depends on nothing the rows decide (no orthogonal poly() to fit, no factor() of
 * numbers), it is made first and the rows are checked as they are made into it, in one
 * pass and in the rows' own array, with the same outcome.
 * The levels of factors (of text, or factor() over numbers) come from the rows that are
 * fitted: a row left out for a value a transformation cannot take is not among them. A
 * fixed design made before the rows are checked is cut to the kept levels' columns
 * afterwards (a subset of its columns: a dropped level's, or with the first level dropped,
 * the new reference's), only when a level is dropped.
 * An orthogonal polynomial's coefficients come from R's model frame before na.omit: the
 * rows fitted and the extras, the records the reader skipped for a missing value in another
 * column (a missing response, or any column under --missing skip), which fdata_check keeps
 * from the read (csv_layout.keep_missing_rows). A record whose poly() argument is itself missing (R stops
 * there: "missing values are not allowed in 'poly'") or cannot be computed is left out of
 * that polynomial, as is a record skipped as bad (R would not read it) or dropped by
 * fdata_check, and a record skipped for a missing value with a value a transformation
 * cannot take (fdata_check would drop it but for its missing value; no error, even without
 * --on-bad-row skip, since it is skipped already).
 *
 * Never exits; MPI only through comm.h.
 */
#ifndef LINREG_FORMULA_DATA_H
#define LINREG_FORMULA_DATA_H

#include <stdint.h>

#include "csv_reader.h"
#include "error.h"
#include "formula.h"

struct dataset;

struct formula_data {
    const char *text;              /* training: --formula; NULL when from a model */
    struct formula *f;
    char **columns;                /* the header f's column indices refer to */
    int n_columns;
    struct formula_levels *levels; /* per variable (f->n_vars) */
    struct formula_design d;       /* with (Intercept) when f->intercept */
    int have_design, from_model;
    int borrowed;                  /* f, columns, levels and d belong to another (fdata_borrow) */
    int *source_of;                /* per formula column: the read's feature slot,
                                      COL_TARGET, or COL_SKIP */
    int *field_of;                 /* per formula column: its field in the file, or -1 */
    int *used, n_used;             /* the formula columns f reads */
    unsigned char *level_slot;     /* per feature slot: read as levels (none: a text column's
                                      values are levels, a number stays one, factor()
                                      included, whose levels R orders by value) */
    char ***own_names;             /* training: factor(numeric)'s level names, per variable */
    double **own_values;
    const char *aside[2];          /* the --weights and --offset columns (or NULL): left
                                      unread by the formula where only variables no term
                                      uses read them (`y ~ . - w`: w), as R's lm() takes
                                      them */
    int unknown_error;             /* predict, evaluate: --unknown-level error */
    int response_optional;         /* predict: a response that cannot be computed is NaN */
    char delimiter;                /* the file's, to place a bad row's field */
    int64_t n_skipped;             /* rows skipped for a value a transformation cannot take */
    int n_read;                    /* the read's feature slots (fdata_check's rows' width) */
    int64_t *unseen;               /* per feature slot: unseen levels met (this rank's) */
    double **distinct;             /* training, per variable: factor() over numbers: the
                                      numbers of the kept rows so far, increasing, unique */
    int64_t *n_distinct;
    unsigned char **kept;          /* training, per feature slot: kept[s][id] 1 when a kept
                                      row holds level id (ids as the checked rows hold them) */
    int64_t *kept_len;             /* ... entries of kept[s] */
    double *poly;                  /* per variable: 3 sums, then alpha (degree), then norm2
                                      (degree + 2) while the polynomials are fitted */
    int64_t n_kept;                /* training: the rows fdata_check has kept (this rank's) */
    int64_t n_extra;               /* ... the records skipped for a missing value whose
                                      poly() arguments count (fdata_keeps_missing) */
    int64_t *extra_at;             /* ... each one's place: the kept rows before it */
    double *extra_x;               /* ... n_extra × f->n_vars: each orthogonal poly()'s
                                      argument (NaN: none, or not a polynomial) */
    int64_t poly_row, poly_extra;  /* a pass so far: the kept rows and the extras added */
    int n_first;                   /* the first rows dropped (at most CSV_FIRST_SKIPPED):
                                      their file (an index in the places) and line */
    int first_file[CSV_FIRST_SKIPPED];
    int64_t first_line[CSV_FIRST_SKIPPED];
    double *buf;                   /* fdata_rows' source rows and design rows */
    size_t buf_len;
};

struct row_places;  /* locate.h */
struct encoding;    /* encode.h */

/* Training: fd->text parsed over the header. Predict, evaluate: fd from fdata_from_json.
   slot (hi->n_cols) gets each column's role as csv_layout wants it; ds's feature names,
   target name and has_target are set. target_optional: predict (a file without the
   response's column). */
int fdata_columns(struct formula_data *fd, const struct csv_head *hi, const char *path,
                  int target_optional, int *slot, struct dataset *ds, struct lr_error *e);

/* Local: rows as read (X: n_rows × fd->n_read, a level as the reader stores it) checked,
   see above. pl places a row's record (its file and line), when it has files (NULL or none:
   the row is named by path alone). Returns 0, or -1 with e (the first bad row's error:
   LR_EDATA) when a row fails and skip_bad_rows is 0; the block is then left as it was. */
int fdata_check(struct formula_data *fd, struct csv_shard *rows, const struct row_places *pl,
                const char *path, int skip_bad_rows, int n_threads, struct lr_error *e);

/* Rows dropped by fdata_check among rows's first skipped records (placed already: file[k],
   an index in the places, or NULL with one file), in file and line order, at most
   CSV_FIRST_SKIPPED. */
void fdata_first_skipped(const struct formula_data *fd, struct csv_shard *rows, int *file);

/* Collective, training, before fdata_prepare: see above. remap (stream mode: per slot, the
   reader's level ids → positions in ds->enc's lists, NULL for a slot without levels) is
   made to give the new positions; without it the checked rows held positions, and X (n
   kept rows, fd->n_read wide) is renumbered. A relevel() reference no kept row holds is
   an error (LR_EDATA, naming it). Returns 0 or -1 with e, the same on every rank. */
int fdata_drop_levels(struct formula_data *fd, struct dataset *ds, int64_t **remap, double *X,
                      int64_t n, const char *path, struct lr_error *e);

/* Collective: see above; path names the data set in messages. */
int fdata_prepare(struct formula_data *fd, struct dataset *ds, const char *path,
                  struct lr_error *e);
/* Training with an orthogonal poly(): 1, the read keeps the values of the records it skips
   for a missing value (csv_layout.keep_missing_rows), which fdata_check takes. */
int fdata_keeps_missing(const struct formula_data *fd);
int fdata_poly_passes(const struct formula_data *fd);
/* Local: pass k's sums of the next n kept rows (X n × fd->n_read, levels remapped or not;
   y), with the extras placed among them: a pass's calls hand over every kept row in
   order. */
void fdata_poly_add(struct formula_data *fd, int k, const double *X, const double *y,
                    int64_t n);
/* Collective: pass k's sums of every rank added (the extras after the last kept row
   first), the coefficients it gives. */
int fdata_poly_step(struct formula_data *fd, int k, const char *path, struct lr_error *e);
int fdata_finish(struct formula_data *fd, struct dataset *ds, struct lr_error *e);

/* Local: n kept rows (X n × fd->n_read, levels remapped: their positions in enc's lists;
   y the response's column, or NULL) as the design (out: n × the data set's features) and
   the response (y_out, n, may be y). Returns 0, or -1 with e (LR_EDATA) for a row the
   checks let through that still fails (a polynomial overflowing). */
int fdata_rows(struct formula_data *fd, const struct encoding *enc, const double *X,
               const double *y, int64_t n, double *out, double *y_out, int n_threads,
               struct lr_error *e);

/* Collective, resident: every step above on rows (the rank's whole share), which become
   the design and the response (the rows dropped among its skipped records). */
int fdata_apply(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                const struct row_places *pl, const char *path, int skip_bad_rows,
                int n_threads, struct lr_error *e);

/* The training formula applied to another data set (--test): its formula, levels and
   design shared, as if from the model; fdata_free frees only what the read added. */
void fdata_borrow(const struct formula_data *train, struct formula_data *out);

/* The model file's "formula" object (jansson json_t *), and back from it. */
void *fdata_to_json(const struct formula_data *fd);
int fdata_from_json(const void *json, struct formula_data *fd, const char **why);

/* The design's terms for the inference table's term tests: term_of[j] (the caller's, one
   per feature) the term of feature j; *names (malloc'd, each too) the terms' labels.
   Returns the number of terms. */
int fdata_terms(const struct formula_data *fd, int *term_of, char ***names);

void fdata_free(struct formula_data *fd);

#endif
