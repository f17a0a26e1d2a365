/*
 * formula_data.h — a model formula (formula.h) applied to a data set's rows: which source
 * columns are read and how, the factors' levels and the orthogonal polynomials'
 * coefficients agreed across ranks, and the rows as read turned into the design and the
 * response.
 *
 * dataset.c calls it in two places:
 *   fdata_columns  after the header is shared: the formula parsed over it (training) or
 *                  its stored columns found by name (predict, evaluate); which columns are
 *                  features of the read (the response's column is the target), and which
 *                  of them are read as levels (factor(), C(), relevel(); a text column is a
 *                  level column by itself). Not collective: a function of the header.
 *   fdata_apply    collective, once the rows are read and their levels merged (each level
 *                  column kept as its level's position, no reference dropped): the levels
 *                  of factor() over a numeric column gathered, the orthogonal polynomials
 *                  fitted (one Allreduce of 3 numbers per degree), the design made and
 *                  applied block by block. A value a transformation cannot take fails at
 *                  FILE:LINE:COLUMN naming the term (exit 65), or its row is skipped and
 *                  counted under --on-bad-row skip.
 * The data set's features become the design's columns without (Intercept); the formula's
 * intercept is the run's.
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
    unsigned char *level_slot;     /* per feature slot: read as levels (none: a text column's
                                      values are levels, a number stays one, factor()
                                      included, whose levels R orders by value) */
    char ***own_names;             /* training: factor(numeric)'s level names, per variable */
    double **own_values;
    int unknown_error;             /* predict, evaluate: --unknown-level error */
    int response_optional;         /* predict: a response that cannot be computed is NaN */
    char delimiter;                /* the file's, to place a bad row's field */
    int n_skipped;                 /* rows skipped for a value a transformation cannot take */
};

/* Training: fd->text parsed over the header. Predict, evaluate: fd from fdata_from_json.
   slot (hi->n_cols) gets each column's role as csv_layout wants it; ds's feature names,
   target name and has_target are set. target_optional: predict (a file without the
   response's column). */
int fdata_columns(struct formula_data *fd, const struct csv_head *hi, const char *path,
                  int target_optional, int *slot, struct dataset *ds, struct lr_error *e);

/* Collective: rows (X: the features as read, each level as its position in ds->enc's
   levels) become the design; see above. plain_fd: the one plain input file's descriptor
   (for a bad row's line and column), or -1. */
int fdata_apply(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                const char *path, int plain_fd, int skip_bad_rows, int n_threads,
                struct lr_error *e);

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
