/*
 * formula.h — model formulas as R writes them: `log(y) ~ a * b + I(x^2) + poly(z, 3)`.
 *
 * Three steps, each a plain function over plain structs:
 *   1. formula_parse: the text → the response, the variables and the ordered terms, by R's
 *      term algebra (terms.formula; Chambers and Hastie, Statistical Models in S, ch. 2):
 *        a + b      both terms          a - b    a's terms without b's
 *        a:b        interaction         a * b    a + b + a:b
 *        a / b      a + a:b (nesting)   (a + b + c)^k   every interaction up to order k
 *        .          every column not in the response
 *        - 1, + 0   no intercept        + 1, - 0 an intercept (the default)
 *      Terms come out in R's order: by degree, then by first appearance; a term lists its
 *      variables in the order they first appear in the formula, and is labelled by their
 *      names joined with ':' (`b:a` when b came first, as R labels it).
 *      A variable is a column (a plain name, or `backquoted`), factor(col) or C(col) (the
 *      column as categorical), relevel(col, ref = "LEVEL") or relevel(factor(col),
 *      "LEVEL") (a factor whose reference level is LEVEL: R's relevel puts it first, the
 *      others keep their order), a transformation log, log2, log10, log1p, exp, sqrt, abs or
 *      I() of an arithmetic expression (+ - * / ^, unary minus, numbers, columns, these
 *      functions), or poly(expr, k) (orthogonal, data-dependent coefficients) or
 *      poly(expr, k, raw = TRUE) (expr, expr^2, ..., expr^k). A variable is named as R
 *      deparses it: `log(x + 1)`, `I(x^2)`, `I(1e+05 * b)`, `poly(x, 2)`.
 *   2. formula_design: given which variables are factors and their levels, the columns of
 *      the design matrix exactly as R's model.matrix orders them: `(Intercept)` first, then
 *      term by term, within an interaction the first variable's columns varying fastest.
 *      A factor in a term is coded by treatment contrasts (its levels but the first) when
 *      the term without it is the intercept or lies within an earlier term, and by every
 *      level otherwise (R's rule: `x:f` without `x` gets one column per level of f); with no
 *      intercept the first factor of the first term holding one gets every level.
 *      Names are R's, except a level: R's `NAMELEVEL` (`Speciesversicolor`,
 *      `factor(cyl)6`) is written `NAME=LEVEL` (`Species=versicolor`, `factor(cyl)=6`), as
 *      every one-hot column of this program is named. A polynomial's columns are R's
 *      `poly(x, 2)1`, `poly(x, 2)2`.
 *   3. formula_eval + formula_design_row: one row's source values → its variables' values
 *      (slots) → its design row. Transformations are compiled to a small stack program at
 *      parse time. A value a transformation cannot take (log of a non-positive number, sqrt
 *      of a negative one, log1p at or below -1, a finite input giving an infinite or NaN
 *      result) is an error naming the variable; a missing input (NaN) gives NaN.
 *      Orthogonal poly needs its coefficients from the data first: formula_poly_fit computes
 *      R's (alpha, norm2) from a column's values, formula_poly_set stores them.
 *
 * Errors are usage errors (LR_EUSAGE) whose message starts "--formula: " and gives the
 * 1-based character position in the formula text; evaluation errors are LR_EDATA without a
 * place (the caller knows the file, line and column: formula_var_column).
 * Never calls MPI, never exits, never reads files.
 */
#ifndef LINREG_FORMULA_H
#define LINREG_FORMULA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum formula_kind {
    FORMULA_COLUMN,     /* a column as it is (numeric, or categorical when the caller says) */
    FORMULA_FACTOR,     /* factor(col), C(col), relevel(col, ref = "L"): the column's
                           values as levels */
    FORMULA_TRANSFORM,  /* I(), log(), ...: one number per row */
    FORMULA_POLY,       /* poly(expr, k[, raw = TRUE]): k numbers per row */
};

struct formula_op;      /* one instruction of a variable's compiled expression */

struct formula_var {
    char *name;         /* R's deparsed text: "x", "log(x)", "poly(x, 2)", "`a b`" */
    enum formula_kind kind;
    int column;         /* COLUMN, FACTOR: its source column; others: the first one read */
    int degree;         /* POLY: k; others 1 */
    int raw;            /* POLY: raw = TRUE */
    char *ref;          /* FACTOR from relevel(): its reference level; NULL otherwise */
    double *alpha;      /* POLY orthogonal: R's coefs$alpha (degree), NULL until set */
    double *norm2;      /* POLY orthogonal: R's coefs$norm2 (degree + 2) */
    int slot;           /* first of its values in a row's slots (formula_eval) */
    int n_slots;        /* degree for POLY, else 1 */
    int position;       /* 1-based character where it first appears in the text */
    struct formula_op *code;   /* TRANSFORM, POLY: the expression; NULL for the others */
    int n_code, stack;
};

struct formula_term {
    int n_vars;
    int *vars;          /* variable indices, increasing */
    char *label;        /* "a:b", "log(x)" */
};

struct formula {
    char *text;
    int response;       /* variable index of the left-hand side (always 0) */
    int intercept;      /* 1 unless - 1 / + 0 */
    int n_vars;
    struct formula_var *vars;
    int n_terms;        /* the right-hand side's terms in R's order */
    struct formula_term *terms;
    int n_slots;        /* values per row formula_eval fills */
};

/* Parse text over a table with the given column names (header order; needed for '.' and
   to check every name). Returns a new formula in *out, or -1 with e filled (LR_EUSAGE):
   unknown column (with the nearest name when one is close), unknown function, unbalanced
   parentheses, '~' missing or twice, an empty term, '^' with a power that is not a
   positive whole number, a number other than 0 or 1 as a term, a response that is not
   one variable. */
int formula_parse(const char *text, const char *const *columns, int n_columns,
                  struct formula **out, struct lr_error *e);
void formula_free(struct formula *f);

/* The levels of one variable for formula_design: n_levels 0 for a numeric variable. The
   first level is the reference (treatment contrasts). values: NULL when the variable's
   slot holds a level index (a text column read as levels); for factor(x) over a numeric
   column, each level's number, increasing (R orders such levels by value; their names are
   formula_number_text's), and the slot holds x itself. */
struct formula_levels {
    int n_levels;
    const char *const *levels;
    const double *values;
};

/* One design column: the product of its parts' values. A part is a numeric variable
   (index 0), a polynomial's column (index 0..degree-1) or a factor's indicator of level
   `index`. The intercept has no parts. */
struct formula_part {
    int var, index;
    int level;          /* 1: index is a level of the factor var */
};
struct formula_column {
    char *name;
    int term;           /* index into formula.terms, -1 for (Intercept) */
    int n_parts;
    struct formula_part *parts;
};
struct formula_design {
    int n_columns;
    struct formula_column *cols;
    int n_vars;
    double **level_values;  /* per variable: formula_levels.values copied, or NULL */
    int *n_levels;
};

/* The design's columns given levels[v] for every variable v (n_levels > 0 makes it a
   factor: required for FORMULA_FACTOR, allowed for FORMULA_COLUMN, refused for the
   others). Returns 0, or -1 with e filled (LR_EUSAGE) when a factor has no levels, a
   transformation is given levels, or the response is a factor. */
int formula_design(const struct formula *f, const struct formula_levels *levels,
                   struct formula_design *out, struct lr_error *e);
void formula_design_free(struct formula_design *d);

/* The variables of one row: src[c] is the row's value of source column c (a categorical
   column's value is its level index); slots (f->n_slots) receive every variable's values:
   a column's or a factor's value as it is, a transformation's result, a polynomial's
   degree columns. Returns 0, or -1 with e filled (LR_EDATA, no place) and *bad_var (when
   not NULL) set to the variable whose value could not be computed. Orthogonal poly
   variables need formula_poly_set first (otherwise an LR_EUSAGE error). */
int formula_eval(const struct formula *f, const double *src, double *slots, int *bad_var,
                 struct lr_error *e);

/* formula_eval's checks alone: every transformation and every polynomial's argument
   computed, nothing stored, and no polynomial's coefficients needed. Returns 0 when
   formula_eval would succeed on the row (given the coefficients), else -1 with e and
   *bad_var as formula_eval sets them. */
int formula_check(const struct formula *f, const double *src, int *bad_var,
                  struct lr_error *e);

/* formula_check on n rows (src: n × n_cols): bad[i] = the variable row i fails on plus
   one, 0 when it passes. Faster than a row at a time: each instruction of a variable's
   program runs over a batch of rows. */
void formula_check_rows(const struct formula *f, const double *src, int64_t n, int n_cols,
                        int *bad);

/* 1 when variable v's expression reads source column c (a transformation's or a
   polynomial's argument), else 0. */
int formula_var_reads(const struct formula *f, int v, int c);

/* The value of one TRANSFORM or POLY variable's argument expression for a row (what
   formula_poly_fit needs: the values poly() is taken of). Same errors as formula_eval. */
int formula_eval_arg(const struct formula *f, int v, const double *src, double *value,
                     struct lr_error *e);

/* x: the design row (d->n_columns) from the slots formula_eval filled. A factor's
   indicator is 1 when its slot holds that level's index (or, with values, that level's
   number), 0 for another level, a negative index or a number that is no level (an unseen
   level coded as zeros), NaN when the slot is NaN. */
void formula_design_row(const struct formula *f, const struct formula_design *d,
                        const double *slots, double *x);

/* A block of rows, as formula_eval and formula_design_row make them one at a time.
   src: N×C row-major, the rows' source columns (C = n_cols, every column the formula
   reads); X: N×(D - first), D = d->n_columns: the design's columns from `first` on (1
   leaves out (Intercept)); y: N, the response's value per row, or NULL. Threads
   take chunks of rows (par.h): the result is the same bits for any n_threads. Returns 0,
   or -1 with e filled for the first row (lowest index) with a value a transformation
   cannot take: *bad_row that row, *bad_var its variable (X and y are then incomplete). */
int formula_apply_block(const struct formula *f, const struct formula_design *d, int first,
                        const double *src, int64_t n, int n_cols, double *X, double *y,
                        int n_threads, int64_t *bad_row, int *bad_var, struct lr_error *e);

/* R's poly(x, degree) coefficients of n values (NaN values left out, as na.omit would):
   alpha (degree values) and norm2 (degree + 2: 1, n, then each orthogonal polynomial's sum
   of squares), computed by the three-term recurrence that predict() applies (Stieltjes:
   alpha_k = Σ x·p_k² / Σ p_k², the polynomials R's QR of the centred powers gives, to
   rounding). Returns 0, or
   -1 with e filled (LR_EDATA) when the values have fewer than degree + 1 distinct values
   (R: "'degree' must be less than number of unique points"). */
int formula_poly_fit(const double *x, int64_t n, int degree, double *alpha, double *norm2,
                     struct lr_error *e);
/* The same fit over rows spread across ranks, one pass per k = 0..degree: each rank adds
   its values' sums for pass k (formula_poly_sums: count, Σ p_k(x)², Σ x·p_k(x)², p_k by the
   recurrence with the coefficients found so far; NaN values left out) into sums[3] zeroed
   first; the sums of all ranks are added (one Allreduce of 3 doubles), then
   formula_poly_step sets norm2[k + 1] and, for k < degree, alpha[k] (k = 0: norm2[0..1]
   and alpha[0]). Returns -1 with e filled (LR_EDATA) when p_k vanishes on the data (k
   distinct values or fewer). formula_poly_fit is this loop over one array. */
void formula_poly_sums(const double *x, int64_t n, int k, const double *alpha,
                       const double *norm2, double sums[3]);
int formula_poly_step(int k, int degree, const double sums[3], double *alpha, double *norm2,
                      struct lr_error *e);

/* Store a POLY variable's coefficients (copied). */
void formula_poly_set(struct formula *f, int v, const double *alpha, const double *norm2);

/* The formula as a model file keeps it, a jansson json_t * (void * keeps jansson out of
   the callers' includes):
     { "text": "log(y) ~ g * x1 + poly(x3, 2)",
       "columns": [the training header: what '.' stood for, and the names read],
       "variables": [ { "name": "g", "levels": ["a", "b"] },
                      { "name": "factor(n)", "levels": ["1", "4"], "values": [1, 4] },
                      { "name": "poly(x3, 2)", "alpha": [..], "norm2": [..] } ],
       "design": [the design's column names, in order] }
   "variables" lists only the factors and orthogonal polynomials; numbers have 17
   significant digits (as the model file writes them). levels: as given to formula_design. */
void *formula_to_json(const struct formula *f, const struct formula_levels *levels,
                      const char *const *columns, int n_columns,
                      const struct formula_design *d);
/* Back from formula_to_json's object: the text parsed again over the stored columns, the
   polynomials' coefficients set, every variable's levels (*levels: f->n_vars entries,
   owned, free with formula_levels_free) and the design made again, its names checked
   against the stored ones; *columns (n_columns names, owned, free each and the array) the
   training header. Returns 0, or -1 with *why saying what is malformed. */
int formula_from_json(const void *json, struct formula **f, struct formula_levels **levels,
                      struct formula_design *d, char ***columns, int *n_columns,
                      const char **why);
void formula_levels_free(struct formula_levels *levels, int n_vars);

/* Which source columns the formula reads, the response's included (use[c] = 1), and which
   of them factor() or C() reads (factor[c] = 1: to be read as levels even when numeric).
   Both arrays have n_columns entries. A variable the formula has parsed but no term uses
   (`y ~ . - x`: x) counts as read. */
void formula_columns(const struct formula *f, int n_columns, unsigned char *use,
                     unsigned char *factor);

/* A number as R's as.character writes it (15 significant digits, the shorter of fixed and
   scientific notation: "4", "0.5", "1e+05"): the level names of factor(x) for a numeric x,
   whose levels R orders by value, not by text. */
void formula_number_text(double x, char *out, size_t cap);

/* The source column a variable reads first (for FILE:LINE:COLUMN of an eval error). */
int formula_var_column(const struct formula *f, int v);

#endif
