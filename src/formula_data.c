/* formula_data.c — a model formula applied to a data set's rows; see formula_data.h. */
#include "formula_data.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "dataset.h"
#include "encode.h"
#include "locate.h"
#include "par.h"
#include "test_hooks.h"

/* Formula column k is one of fd->aside (--weights, --offset). */
static int aside(const struct formula_data *fd, int k)
{
    for (int j = 0; j < 2; j++)
        if (fd->aside[j] && strcmp(fd->aside[j], fd->columns[k]) == 0)
            return 1;
    return 0;
}

/* Column c is read by the response or a term, or by a variable whose values the design
   needs whether a term uses it or not (a factor's levels, a polynomial's coefficients). */
static int needed(const struct formula *f, int c)
{
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        int used = v == f->response || var->kind == FORMULA_FACTOR || var->kind == FORMULA_POLY;
        for (int t = 0; t < f->n_terms && !used; t++)
            for (int i = 0; i < f->terms[t].n_vars; i++)
                used |= f->terms[t].vars[i] == v;
        if (used && (var->column == c || formula_var_reads(f, v, c)))
            return 1;
    }
    return 0;
}

int fdata_columns(struct formula_data *fd, const struct csv_head *hi, const char *path,
                  int target_optional, int *slot, struct dataset *ds, struct lr_error *e)
{
    if (!fd->f) {  /* training: the formula over this header */
        if (formula_parse(fd->text, (const char *const *)hi->names, hi->n_cols, &fd->f, e) < 0)
            return -1;
        fd->n_columns = hi->n_cols;
        fd->columns = lr_malloc((size_t)hi->n_cols * sizeof *fd->columns);
        for (int c = 0; c < hi->n_cols; c++)
            fd->columns[c] = lr_strdup(hi->names[c]);
    }
    int n = fd->n_columns, d = 0, rc = -1;
    /* factor() of a column of numbers reads numbers: R orders its levels by value */
    unsigned char *use = lr_calloc((size_t)n + 1, 1), *factor = lr_calloc((size_t)n + 1, 1);
    formula_columns(fd->f, n, use, factor);
    int response = formula_var_column(fd->f, fd->f->response);
    for (int k = 0; k < n; k++)  /* a column set aside that no term needs is left to it */
        if (use[k] && aside(fd, k) && !needed(fd->f, k))
            use[k] = 0;
    free(fd->source_of);
    free(fd->field_of);
    free(fd->level_slot);
    free(fd->used);
    fd->used = lr_malloc(((size_t)n + 1) * sizeof *fd->used);
    fd->n_used = 0;
    for (int k = 0; k < n; k++)
        if (use[k])
            fd->used[fd->n_used++] = k;
    fd->source_of = lr_malloc(((size_t)n + 1) * sizeof *fd->source_of);
    fd->field_of = lr_malloc(((size_t)n + 1) * sizeof *fd->field_of);
    fd->level_slot = lr_calloc((size_t)n + 1, 1);
    for (int c = 0; c < hi->n_cols; c++)
        slot[c] = COL_SKIP;
    ds->feature_names = lr_calloc((size_t)n + 1, sizeof *ds->feature_names);
    for (int k = 0; k < n; k++) {
        fd->source_of[k] = COL_SKIP;
        fd->field_of[k] = -1;
        if (!use[k])
            continue;
        int c = fd->field_of[k] = csv_find_column(hi, fd->columns[k]);
        if (c < 0 && k == response && target_optional)
            continue;  /* predict: a file without the response */
        if (c < 0) {
            csv_no_such_column(hi, path, fd->borrowed ? "--test: --formula"
                                         : fd->from_model ? "the model's formula" : "--formula",
                               fd->columns[k], e);
            goto done;
        }
        if (k == response) {
            slot[c] = COL_TARGET;
            fd->source_of[k] = COL_TARGET;
            ds->target_name = lr_strdup(hi->names[c]);
            ds->has_target = 1;
        } else {
            ds->feature_names[d] = lr_strdup(hi->names[c]);
            fd->source_of[k] = d;
            slot[c] = d++;
        }
    }
    if (d == 0) {
        lr_fail(e, LR_EUSAGE, "--formula: the right-hand side reads no column; a model of "
                "the intercept alone is the response's mean");
        goto done;
    }
    rc = 0;
done:
    ds->n_features = d;  /* the names made so far: dataset_free frees them */
    free(use);
    free(factor);
    return rc;
}

/* Formula column k of a row as the formula reads it, from the read's slots (x: the row's
   n_read values; y: its target, or NULL): with enc, a level as its position in enc's list
   (an unseen one -1); without, as stored (a NaN, which a transformation passes on); a
   column not read NaN. */
static inline double value_at(const struct formula_data *fd, const struct encoding *enc,
                              const double *x, const double *y, int k)
{
    int s = fd->source_of[k];
    if (s == COL_TARGET)
        return y ? *y : NAN;
    if (s < 0)
        return NAN;
    double v = x[s];
    if (!enc || enc->cols[s].kind != ENC_CATEGORICAL)
        return v;
    int64_t id = enc_level_id(v);
    return id == (int64_t)ENC_UNSEEN ? -1 : id >= 0 ? (double)id : NAN;
}

/* Row i's formula columns into src (n_columns). */
static inline void source_row(const struct formula_data *fd, const struct encoding *enc,
                              const double *X, const double *y, int64_t i, double *src)
{
    const double *x = X + i * fd->n_read, *yi = y ? y + i : NULL;
    for (int j = 0; j < fd->n_used; j++)  /* the others are never read */
        src[fd->used[j]] = value_at(fd, enc, x, yi, fd->used[j]);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v (n) and keeps one of each; returns how many are left. */
static int64_t sort_unique(double *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    int64_t u = 0;
    for (int64_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

struct placer {
    const struct row_places *pl;  /* NULL or no files: rows are not placed */
    int file, fd;              /* the file open now (fd -1: none) */
    int64_t at, lines;         /* newlines in it before offset at */
};

static void placer_close(struct placer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

/* The file (an index in the places, returned; -1 when rows are not placed), line and byte
   column of field `column` (0-based) of the record at offset off, for a message; line and
   column 0 when it cannot be read. Counting newlines goes on from the last call when off
   lies after it in the same file (rows are placed in order). */
static int place_field(struct placer *p, int64_t off, int column, char delimiter,
                       int64_t *line, int64_t *col)
{
    *line = 0, *col = 0;
    if (!p->pl || p->pl->n == 0 || off < 0)
        return -1;
    int64_t in;
    int f = locate_file(p->pl, off, &in);
    if (f != p->file || p->fd < 0) {
        placer_close(p);
        p->file = f;
        p->fd = open(p->pl->path[f], O_RDONLY | O_CLOEXEC);
        p->at = p->lines = 0;
    }
    char buf[1 << 16];
    if (p->fd < 0)
        return f;
    if (in < p->at)
        p->at = p->lines = 0;
    while (p->at < in) {
        int64_t want = in - p->at < (int64_t)sizeof buf ? in - p->at : (int64_t)sizeof buf;
        ssize_t got = pread(p->fd, buf, (size_t)want, p->at);
        if (got <= 0)
            return f;
        for (ssize_t i = 0; i < got; i++)
            p->lines += buf[i] == '\n';
        p->at += got;
    }
    int64_t lines = p->lines + 1;
    ssize_t got = pread(p->fd, buf, sizeof buf, in);
    if (got <= 0)
        return f;
    int field = 0, quoted = 0;
    int64_t c = 1;
    for (ssize_t i = 0; i < got && field < column; i++) {
        if (buf[i] == '"')
            quoted = !quoted;
        else if (buf[i] == '\n' && !quoted)
            return f;
        else if (buf[i] == delimiter && !quoted)
            field++, c = i + 2;
    }
    *line = lines;
    *col = field == column ? c : 0;
    return f;
}

/* A bad row's error at its place: "FILE:LINE:COLUMN: log(x): ... (column 'x'); ...".
   Formula column k is the field named; msg says what is wrong. */
static void fail_at_row(const struct formula_data *fd, const struct csv_shard *rows,
                        int64_t i, int k, const struct row_places *pl, const char *path,
                        const char *msg, struct lr_error *e)
{
    char what[sizeof e->msg];
    snprintf(what, sizeof what, "%s", msg);
    int64_t line = 0, col = 0;
    struct placer p = {.pl = pl, .fd = -1};
    int f = rows->row_at ? place_field(&p, rows->row_at[i], fd->field_of[k], fd->delimiter,
                                       &line, &col) : -1;
    placer_close(&p);
    lr_fail_at(e, LR_EDATA, f >= 0 ? pl->path[f] : path, line, col, "%s", what);
}

/* Predicting: the factor() of numbers (variable, returned; -1: none) whose value in row x
   is no level of the model's. */
static int unseen_number(const struct formula_data *fd, const double *x, double *value)
{
    const struct formula *f = fd->f;
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_levels *lv = &fd->levels[v];
        int s = fd->source_of[f->vars[v].column];
        if (f->vars[v].kind != FORMULA_FACTOR || !lv->values || s < 0)
            continue;
        *value = x[s];
        if (!isnan(*value) &&
            !bsearch(value, lv->values, (size_t)lv->n_levels, sizeof *value, by_value))
            return v;
    }
    return -1;
}

/* Row i as read (failed: formula_check_rows found it failing): 0 when every variable can
   be computed; else 1 with *var the factor() whose
   number the model does not know (not with --unknown-level zero, whose zeros stand), or 2
   with *var the variable a transformation fails on (e filled). Predicting, a response
   that cannot be computed is shown empty (R's predict() does not read it): y[i] becomes
   NaN and the row is kept. */
static int row_status(const struct formula_data *fd, struct csv_shard *rows, int64_t i,
                      int failed, double *src, int *var, struct lr_error *e)
{
    const struct formula *f = fd->f;
    double x;
    if (fd->from_model && (*var = unseen_number(fd, rows->X + i * fd->n_read, &x)) >= 0 &&
        fd->unknown_error)
        return 1;
    if (!failed)  /* formula_check_rows passed it */
        return 0;
    for (;;) {  /* which variable, and its message; a response predict need not compute */
        source_row(fd, NULL, rows->X, rows->y, i, src);
        if (formula_check(f, src, var, e) == 0)
            return 0;
        if (*var == f->response && fd->response_optional && rows->y &&
            fd->source_of[formula_var_column(f, *var)] == COL_TARGET && !isnan(rows->y[i]))
            rows->y[i] = NAN;
        else
            return 2;
    }
}

/* Row i's error at its place, naming the term: why and var as row_status gives them (why
   2: e holds the transformation's message). */
static void row_error(const struct formula_data *fd, struct csv_shard *rows, int64_t i,
                      int why, int var, const struct row_places *pl, const char *path,
                      struct lr_error *e)
{
    const struct formula *f = fd->f;
    char msg[sizeof e->msg], num[64];
    double x = 0;
    if (why == 1) {
        formula_number_text(unseen_number(fd, rows->X + i * fd->n_read, &x) >= 0 ? x : 0, num,
                            sizeof num);
        snprintf(msg, sizeof msg, "%.700s: level '%s' was not seen in training, so the model "
                 "has no coefficient for it; --unknown-level zero accepts it as the "
                 "reference level (all-zero columns)", lr_shown(f->vars[var].name).s, num);
    } else {
        snprintf(msg, sizeof msg, "%.700s (column '%.200s'); --on-bad-row skip leaves such "
                 "rows out", e->msg, lr_shown(fd->columns[formula_var_column(f, var)]).s);
    }
    fail_at_row(fd, rows, i, formula_var_column(f, var), pl, path, msg, e);
}

/* row_status of a row whose formula columns are src (a design whose factors are all text
   columns: no number to look up): 0, or 2 with *var and e; a response predict need not
   compute is made NaN in y and src. */
static int row_status_src(const struct formula_data *fd, struct csv_shard *rows, int64_t i,
                          double *src, int *var, struct lr_error *e)
{
    const struct formula *f = fd->f;
    for (;;) {
        if (formula_check(f, src, var, e) == 0)
            return 0;
        int k = formula_var_column(f, *var);
        if (*var != f->response || !fd->response_optional || !rows->y ||
            fd->source_of[k] != COL_TARGET || isnan(rows->y[i]))
            return 2;
        rows->y[i] = src[k] = NAN;
    }
}

/* Drop the rows marked bad (X d wide), keeping skipped_at (and skipped_off) in file order:
   a dropped row becomes a skipped record; the first few are placed (fd->first_*). */
static void drop_rows(struct formula_data *fd, struct csv_shard *rows, int64_t d,
                      const unsigned char *bad, int64_t n_bad, const struct row_places *pl)
{
    int64_t n = rows->n_rows, old = rows->n_skipped;
    int64_t *at = lr_malloc(((size_t)(old + n_bad) + 1) * sizeof *at);
    /* with keep_offsets, every skipped record's offset (rows moved between ranks by them) */
    int64_t *off = rows->row_at ? lr_malloc(((size_t)(old + n_bad) + 1) * sizeof *off) : NULL;
    int64_t k = 0, m = 0, kept = 0, line, col;
    struct placer p = {.pl = pl, .fd = -1};
    for (int64_t i = 0; i <= n; i++) {
        for (; k < old && rows->skipped_at[k] <= i; k++) {  /* records before row i */
            if (off)
                off[m] = rows->skipped_off ? rows->skipped_off[k] : 0;
            at[m++] = rows->skipped_at[k] - (i - kept);
        }
        if (i == n)
            break;
        if (bad[i]) {
            if (off)
                off[m] = rows->row_at ? rows->row_at[i] : 0;
            at[m++] = kept;
            if (rows->row_at && fd->n_first < CSV_FIRST_SKIPPED) {
                int f = place_field(&p, rows->row_at[i], 0, fd->delimiter, &line, &col);
                if (f >= 0 && line > 0) {
                    fd->first_file[fd->n_first] = f;
                    fd->first_line[fd->n_first++] = line;
                }
            }
            continue;
        }
        if (kept != i) {
            memmove(rows->X + kept * d, rows->X + i * d, (size_t)d * sizeof *rows->X);
            if (rows->y)
                rows->y[kept] = rows->y[i];
            if (rows->w)
                rows->w[kept] = rows->w[i];
            if (rows->offset)
                rows->offset[kept] = rows->offset[i];
            if (rows->g)
                memmove(rows->g + kept * rows->n_groups, rows->g + i * rows->n_groups,
                        (size_t)rows->n_groups * sizeof *rows->g);
            if (rows->row_at)
                rows->row_at[kept] = rows->row_at[i];
        }
        kept++;
    }
    placer_close(&p);
    free(rows->skipped_at);
    rows->skipped_at = at;
    free(rows->skipped_off);
    rows->skipped_off = off;
    rows->n_skipped = old + n_bad;
    rows->n_rows = kept;
}

/* Training: the numbers under each factor() of the kept rows, added to fd->distinct (a text
   column's levels are NaNs here, and left out). */
static void add_distinct(struct formula_data *fd, const struct csv_shard *rows)
{
    const struct formula *f = fd->f;
    int64_t n = rows->n_rows;
    for (int v = 0; v < f->n_vars; v++) {
        int s = fd->source_of[f->vars[v].column];
        if (f->vars[v].kind != FORMULA_FACTOR || s < 0)
            continue;
        int64_t had = fd->n_distinct[v], m = had;
        double *all = lr_realloc(fd->distinct[v], ((size_t)(had + n) + 1) * sizeof *all);
        for (int64_t i = 0; i < n; i++)
            if (!isnan(rows->X[i * fd->n_read + s]))
                all[m++] = rows->X[i * fd->n_read + s];
        fd->n_distinct[v] = m > had ? sort_unique(all, m) : m;
        fd->distinct[v] = all;
    }
}

static int is_orthogonal(const struct formula_data *fd, int v);

/* Training with orthogonal polynomials: the records the reader skipped for a missing value
   (rows->skipped_x, then freed) whose poly() arguments can be computed, kept as extras at
   their places among the rank's kept rows (bad: the rows this check drops). R takes poly()
   of the model frame's rows before na.omit drops those with a missing value elsewhere. A
   record with a value that a transformation cannot take (its missing values aside) is left
   out, as the check drops such a row that has no missing value: which records count must
   not hang on a missing value elsewhere. It is no error, even without --on-bad-row skip:
   the record is skipped for its missing value already. */
static void keep_skipped(struct formula_data *fd, struct csv_shard *rows,
                         const unsigned char *bad)
{
    const struct formula *f = fd->f;
    int nv = f->n_vars, w = fd->n_read + 1;
    double *src = lr_malloc(((size_t)fd->n_columns + 1) * sizeof *src);
    double *arg = lr_malloc(((size_t)nv + 1) * sizeof *arg);
    struct lr_error local;
    int64_t dropped = 0, i = 0;  /* bad rows before skipped record k */
    for (int64_t k = 0; k < rows->n_skipped; k++) {
        for (; i < rows->skipped_at[k]; i++)
            dropped += bad[i];
        const double *x = rows->skipped_x + k * w;
        source_row(fd, NULL, x, x + fd->n_read, 0, src);
        if (formula_check(f, src, NULL, &local) < 0)  /* a bad row but for its missing value */
            continue;
        int any = 0;
        for (int v = 0; v < nv; v++) {  /* formula_check ran the same code: no failure */
            arg[v] = NAN;
            if (is_orthogonal(fd, v))
                (void)formula_eval_arg(f, v, src, &arg[v], &local);
            any |= !isnan(arg[v]);
        }
        if (!any)  /* the polynomials' own values missing, or a record skipped as bad */
            continue;
        if ((fd->n_extra & (fd->n_extra - 1)) == 0) {  /* room doubles at powers of two */
            size_t room = fd->n_extra ? 2 * (size_t)fd->n_extra : 1;
            fd->extra_at = lr_realloc(fd->extra_at, room * sizeof *fd->extra_at);
            fd->extra_x = lr_realloc(fd->extra_x, room * (size_t)nv * sizeof *fd->extra_x);
        }
        fd->extra_at[fd->n_extra] = fd->n_kept + rows->skipped_at[k] - dropped;
        memcpy(fd->extra_x + fd->n_extra++ * nv, arg, (size_t)nv * sizeof *arg);
    }
    free(arg);
    free(src);
    free(rows->skipped_x);
    rows->skipped_x = NULL;
}

static void check_init(struct formula_data *fd)
{
    if (fd->unseen)
        return;
    fd->unseen = lr_calloc((size_t)fd->n_read + 1, sizeof *fd->unseen);
    fd->distinct = lr_calloc((size_t)fd->f->n_vars + 1, sizeof *fd->distinct);
    fd->n_distinct = lr_calloc((size_t)fd->f->n_vars + 1, sizeof *fd->n_distinct);
    fd->kept = lr_calloc((size_t)fd->n_read + 1, sizeof *fd->kept);
    fd->kept_len = lr_calloc((size_t)fd->n_read + 1, sizeof *fd->kept_len);
}

/* Training: room in fd->kept[s] for level ids below n. */
static void kept_room(struct formula_data *fd, int s, int64_t n)
{
    int64_t had = fd->kept_len[s];
    if (n <= had)
        return;
    fd->kept[s] = lr_realloc(fd->kept[s], (size_t)n);
    memset(fd->kept[s] + had, 0, (size_t)(n - had));
    fd->kept_len[s] = n;
}

/* A level held by a kept row, marked: threads may mark the same one, so atomically, and
   written only once (a cache line shared by threads stays clean). */
static inline void mark_level(unsigned char *kept)
{
    unsigned char had;
#pragma omp atomic read
    had = *kept;
    if (!had) {
#pragma omp atomic write
        *kept = 1;
    }
}

/* Training: the levels kept rows hold, rows i with !bad[i] of X (n_read wide) in [lo, hi),
   in the slots lv[0..n_lv). Returns 0, or 1 when an id has no room (nothing is lost: the
   caller marks the rows again with room made). */
static int mark_kept(struct formula_data *fd, const double *X, int64_t lo, int64_t hi,
                     const unsigned char *bad, const int *lv, int n_lv)
{
    int S = fd->n_read, missed = 0;
    for (int64_t i = lo; i < hi; i++)
        for (int q = 0; !bad[i] && q < n_lv; q++) {
            int s = lv[q];
            int64_t id = enc_level_id(X[i * S + s]);
            if (id < 0 || id == (int64_t)ENC_UNSEEN)
                continue;
            if (id >= fd->kept_len[s]) {
                missed = 1;
                continue;
            }
            mark_level(fd->kept[s] + id);
        }
    return missed;
}

/* Training: the slots where the reader has seen a level (lv, n_lv returned), with room in
   fd->kept for the ids of its dictionaries. */
static int level_slots(struct formula_data *fd, const struct csv_shard *rows, int *lv)
{
    int n_lv = 0;
    for (int s = 0; !fd->from_model && rows->seen && s < fd->n_read; s++)
        if (rows->seen[s] & 2) {
            lv[n_lv++] = s;
            kept_room(fd, s, rows->dicts && s < rows->n_dicts ? rows->dicts[s].n : 0);
        }
    return n_lv;
}

int fdata_check(struct formula_data *fd, struct csv_shard *rows, const struct row_places *pl,
                const char *path, int skip_bad_rows, int n_threads, struct lr_error *e)
{
    const struct formula *f = fd->f;
    int64_t n = rows->n_rows, S = fd->n_read;
    check_init(fd);
    /* every row's status, chunk by chunk (par.h); a chunk stops at its first bad row unless
       bad rows are skipped */
    int64_t parts = par_chunks(n), n_bad = 0;
    int64_t *first = lr_malloc(((size_t)parts + 1) * sizeof *first);
    unsigned char *bad = lr_calloc((size_t)n + 1, 1);
    /* training: the kept rows' levels marked as each part is checked */
    int *lv = lr_malloc(((size_t)S + 1) * sizeof *lv), n_lv = level_slots(fd, rows, lv);
    int missed = 0;
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) if (parts > 1) \
    reduction(| : missed)
    {
        int C = fd->n_columns ? fd->n_columns : 1;
        double *src = lr_malloc((size_t)PAR_CHUNK_ROWS * C * sizeof *src);
        int *failed = lr_malloc(PAR_CHUNK_ROWS * sizeof *failed);
        struct lr_error local;
        int var;
#pragma omp for schedule(static)
        for (int64_t k = 0; k < parts; k++) {
            int64_t lo, hi;
            par_chunk(n, k, &lo, &hi);
            first[k] = -1;
            for (int64_t i = lo; i < hi; i++)  /* the part's rows checked at once */
                source_row(fd, NULL, rows->X, rows->y, i, src + (i - lo) * C);
            formula_check_rows(f, src, hi - lo, C, failed);
            for (int64_t i = lo; i < hi; i++)
                if (row_status(fd, rows, i, failed[i - lo], src, &var, &local) != 0) {
                    bad[i] = 1;
                    if (!skip_bad_rows) {
                        first[k] = i;
                        break;
                    }
                }
            if (first[k] < 0)
                missed |= mark_kept(fd, rows->X, lo, hi, bad, lv, n_lv);
        }
        free(failed);
        free(src);
    }
    int64_t worst = -1;
    for (int64_t k = 0; k < parts && worst < 0 && !skip_bad_rows; k++)
        worst = first[k];
    free(first);
    if (worst >= 0) {  /* the first bad row again, serially: its message */
        double *src = lr_malloc(((size_t)fd->n_columns + 1) * sizeof *src);
        int var = -1, why = row_status(fd, rows, worst, 1, src, &var, e);
        row_error(fd, rows, worst, why, var, pl, path, e);
        free(src);
        free(bad);
        return -1;
    }
    if (missed) {  /* an id past the dictionaries (none expected): room, then again */
        for (int64_t i = 0; i < n; i++)
            for (int q = 0; !bad[i] && q < n_lv; q++) {
                int64_t id = enc_level_id(rows->X[i * S + lv[q]]);
                if (id >= 0 && id != (int64_t)ENC_UNSEEN)
                    kept_room(fd, lv[q], id + 1);
            }
        mark_kept(fd, rows->X, 0, n, bad, lv, n_lv);
    }
    free(lv);
    for (int64_t i = 0; i < n; i++)
        n_bad += bad[i];
    /* unseen levels among the rows as read: a text level (the reader's), a number under
       factor() kept with --unknown-level zero */
    for (int64_t i = 0; fd->from_model && i < n; i++) {
        const double *x = rows->X + i * S;
        double v;
        for (int s = 0; s < S; s++)
            fd->unseen[s] += enc_level_id(x[s]) == (int64_t)ENC_UNSEEN;
        int var = bad[i] ? -1 : unseen_number(fd, x, &v);
        if (var >= 0)
            fd->unseen[fd->source_of[f->vars[var].column]]++;
    }
    if (rows->skipped_x)
        keep_skipped(fd, rows, bad);
    if (n_bad)
        drop_rows(fd, rows, S, bad, n_bad, pl);
    free(bad);
    fd->n_skipped += n_bad;
    fd->n_kept += rows->n_rows;
    if (!fd->from_model)
        add_distinct(fd, rows);
    return 0;
}

void fdata_first_skipped(const struct formula_data *fd, struct csv_shard *rows, int *file)
{
    enum { K = CSV_FIRST_SKIPPED };
    for (int j = 0; j < fd->n_first; j++) {
        int k = rows->n_first_skipped, fj = file ? fd->first_file[j] : 0;
        int64_t line = fd->first_line[j];
#define AFTER(a) ((file ? file[a] : 0) > fj || ((file ? file[a] : 0) == fj && \
                                                 rows->first_skipped[a] > line))
        if (k == K && !AFTER(K - 1))
            continue;
        int at = k < K ? k : K - 1;
        for (; at > 0 && AFTER(at - 1); at--) {
            rows->first_skipped[at] = rows->first_skipped[at - 1];
            rows->first_skipped_last[at] = rows->first_skipped_last[at - 1];
            if (file)
                file[at] = file[at - 1];
        }
#undef AFTER
        rows->first_skipped[at] = rows->first_skipped_last[at] = line;
        if (file)
            file[at] = fj;
        rows->n_first_skipped += k < K;
    }
}

static void free_maps(int64_t **map, int n)
{
    for (int s = 0; map && s < n; s++)
        free(map[s]);
    free(map);
}

/* Collective, training: R's model.frame drops the levels that no row it fits holds. The
   levels of ds->enc's text columns that no kept row of any rank holds (fd->kept: positions
   in the lists, or with remap the reader's ids, which it maps to them) are taken out of the
   lists, the others keeping their order, as the marks of every rank summed say (one
   Allreduce). Returns per source column the map from old positions to new (-1: dropped),
   or NULL (*dropped 0: nothing dropped, the usual case); NULL with e when a relevel()
   reference is dropped (the same on every rank). */
static int64_t **drop_unkept(struct formula_data *fd, struct encoding *enc,
                             int64_t *const *remap, int *dropped, const char *path,
                             struct lr_error *e)
{
    const struct formula *f = fd->f;
    int S = enc->n_cols;
    int64_t total = 0, *at = lr_malloc(((size_t)S + 1) * sizeof *at);
    *dropped = 0;
    for (int s = 0; s < S; s++) {
        at[s] = total;
        total += enc->cols[s].kind == ENC_CATEGORICAL ? enc->cols[s].n_levels : 0;
    }
    if (total == 0) {  /* no text column: the same on every rank */
        free(at);
        return NULL;
    }
    uint64_t *held = lr_calloc((size_t)total, sizeof *held);
    for (int s = 0; s < S; s++) {
        int64_t n_levels = enc->cols[s].kind == ENC_CATEGORICAL ? enc->cols[s].n_levels : 0;
        for (int64_t id = 0; fd->kept && n_levels && id < fd->kept_len[s]; id++) {
            int64_t pos = !fd->kept[s][id] ? -1 : !remap ? id : remap[s] ? remap[s][id] : -1;
            if (pos >= 0 && pos < n_levels)
                held[at[s] + pos] = 1;
        }
    }
    comm_sum_u64(held, (int)total);
    int64_t **map = lr_calloc((size_t)S + 1, sizeof *map);
    for (int s = 0; s < S; s++) {
        struct enc_column *c = &enc->cols[s];
        int n = c->kind == ENC_CATEGORICAL ? c->n_levels : 0, k = 0;
        for (int r = 0; r < n; r++)
            k += held[at[s] + r] > 0;
        if (k == n || k == 0)  /* none held: no row is kept, an error of its own later */
            continue;
        map[s] = lr_malloc((size_t)n * sizeof **map);
        for (int r = 0, j = 0; r < n; r++)
            map[s][r] = held[at[s] + r] ? j++ : -1;
        *dropped = 1;
    }
    free(held);
    free(at);
    for (int v = 0; v < f->n_vars && e->code == LR_OK; v++) {  /* R would take the next */
        int s = f->vars[v].ref ? fd->source_of[f->vars[v].column] : -1;
        for (int r = 0; s >= 0 && map[s] && r < enc->cols[s].n_levels; r++)
            if (map[s][r] < 0 && strcmp(enc->cols[s].levels[r], f->vars[v].ref) == 0)
                lr_fail_at(e, LR_EDATA, path, 0, 0, "--formula: %s: every row with level "
                           "'%s' was left out (a value a transformation cannot take), so the "
                           "level cannot be the reference; name another one",
                           f->vars[v].name, f->vars[v].ref);
    }
    for (int s = 0; s < S; s++) {  /* the kept levels, in their order */
        struct enc_column *c = &enc->cols[s];
        int k = 0;
        for (int r = 0; map[s] && r < c->n_levels; r++) {
            if (map[s][r] < 0)
                free(c->levels[r]);
            else
                c->levels[k++] = c->levels[r];
        }
        if (map[s])
            c->n_levels = k;
    }
    if (e->code != LR_OK || !*dropped) {
        free_maps(map, S);
        return NULL;
    }
    return map;
}

int fdata_drop_levels(struct formula_data *fd, struct dataset *ds, int64_t **remap, double *X,
                      int64_t n, const char *path, struct lr_error *e)
{
    if (fd->from_model)
        return 0;
    int dropped, S = fd->n_read;
    int64_t **map = drop_unkept(fd, &ds->enc, remap, &dropped, path, e);
    if (comm_agree(e) != LR_OK || !map) {  /* !map: no level dropped */
        free_maps(map, S);
        return e->code != LR_OK ? -1 : 0;
    }
    for (int s = 0; s < S; s++) {
        if (!map[s])
            continue;
        if (remap) {
            for (int64_t id = 0; remap[s] && fd->kept && id < fd->kept_len[s]; id++)
                if (fd->kept[s][id])  /* the ids the kept rows hold, read back later */
                    remap[s][id] = map[s][remap[s][id]];
        } else {
            for (int64_t i = 0; i < n; i++) {
                int64_t id = enc_level_id(X[i * S + s]);
                if (id >= 0 && id != (int64_t)ENC_UNSEEN)
                    X[i * S + s] = enc_level_value((uint64_t)map[s][id]);
            }
        }
    }
    free_maps(map, S);
    return 0;
}

/* Collective: factor() over a numeric column: the distinct values of all ranks. */
static void numeric_levels(struct formula_data *fd, int v)
{
    char *all;
    int p = comm_size();
    int64_t *lens = lr_malloc((size_t)p * sizeof *lens), total = 0;
    comm_allgatherv_bytes(fd->distinct[v], fd->n_distinct[v] * (int64_t)sizeof(double), &all,
                          lens);
    for (int r = 0; r < p; r++)
        total += lens[r] / (int64_t)sizeof(double);
    double *vals = lr_malloc(((size_t)total + 1) * sizeof *vals);
    memcpy(vals, all, (size_t)total * sizeof *vals);
    free(all);
    free(lens);
    int64_t u = sort_unique(vals, total);
    fd->own_values[v] = vals;
    fd->own_names[v] = lr_malloc(((size_t)u + 1) * sizeof(char *));
    for (int64_t i = 0; i < u; i++) {
        char buf[64];
        formula_number_text(vals[i], buf, sizeof buf);
        fd->own_names[v][i] = lr_strdup(buf);
    }
    fd->levels[v] = (struct formula_levels){.n_levels = (int)u,
                                            .levels = (const char *const *)fd->own_names[v],
                                            .values = vals};
}

int fdata_prepare(struct formula_data *fd, struct dataset *ds, const char *path,
                  struct lr_error *e)
{
    const struct formula *f = fd->f;
    for (int v = 0; v < f->n_vars && e->code == LR_OK; v++)  /* R: non-numeric argument */
        for (int k = 0; k < fd->n_columns; k++) {
            int s = fd->source_of[k];
            if (s >= 0 && ds->enc.cols[s].kind == ENC_CATEGORICAL && f->vars[v].kind !=
                FORMULA_FACTOR && f->vars[v].kind != FORMULA_COLUMN && formula_var_reads(f, v, k)) {
                lr_fail_at(e, LR_EDATA, path, 0, 0, "--formula: %s: column '%s' holds text, "
                           "and a transformation takes numbers (a text column is a factor "
                           "by itself: write '%s' alone)", lr_shown(f->vars[v].name).s,
                           lr_shown(fd->columns[k]).s, lr_shown(fd->columns[k]).s);
                break;
            }
        }
    if (comm_agree(e) != LR_OK)
        return -1;
    if (fd->from_model)
        return 0;
    fd->levels = lr_calloc((size_t)f->n_vars, sizeof *fd->levels);
    fd->own_names = lr_calloc((size_t)f->n_vars, sizeof *fd->own_names);
    fd->own_values = lr_calloc((size_t)f->n_vars, sizeof *fd->own_values);
    size_t room = 0;
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        int sl = var->kind == FORMULA_COLUMN || var->kind == FORMULA_FACTOR
                     ? fd->source_of[var->column] : -1;
        if (sl >= 0 && ds->enc.cols[sl].kind == ENC_CATEGORICAL)
            fd->levels[v] = (struct formula_levels){
                .n_levels = ds->enc.cols[sl].n_levels,
                .levels = (const char *const *)ds->enc.cols[sl].levels};
        else if (var->kind == FORMULA_FACTOR)
            numeric_levels(fd, v);
        room += 3 + 2 * (size_t)var->degree + 2;
    }
    free(fd->poly);
    fd->poly = lr_calloc(room, sizeof *fd->poly);
    return 0;
}

/* Variable v's 3 sums, alpha and norm2 in fd->poly. */
static double *poly_state(const struct formula_data *fd, int v)
{
    size_t at = 0;
    for (int u = 0; u < v; u++)
        at += 3 + 2 * (size_t)fd->f->vars[u].degree + 2;
    return fd->poly + at;
}

static int is_orthogonal(const struct formula_data *fd, int v)
{
    return !fd->from_model && fd->f->vars[v].kind == FORMULA_POLY && !fd->f->vars[v].raw;
}

int fdata_keeps_missing(const struct formula_data *fd)
{
    return fdata_poly_passes(fd) > 0;
}

int fdata_poly_passes(const struct formula_data *fd)
{
    int passes = 0;
    for (int v = 0; v < fd->f->n_vars; v++)
        if (is_orthogonal(fd, v) && fd->f->vars[v].degree + 1 > passes)
            passes = fd->f->vars[v].degree + 1;
    return passes;
}

/* The extras from fd->poly_extra on whose place is before kept row `end`: their count. */
static int64_t extras_before(const struct formula_data *fd, int64_t end)
{
    int64_t e = fd->poly_extra;
    while (e < fd->n_extra && fd->extra_at[e] < end)
        e++;
    return e - fd->poly_extra;
}

void fdata_poly_add(struct formula_data *fd, int k, const double *X, const double *y,
                    int64_t n)
{
    int nv = fd->f->n_vars;
    int64_t m = extras_before(fd, fd->poly_row + n), e0 = fd->poly_extra;
    double *src = lr_malloc(((size_t)fd->n_columns + 1) * sizeof *src);
    double *x = lr_malloc(((size_t)(n + m) + 1) * sizeof *x);
    struct lr_error local;
    for (int v = 0; v < nv; v++) {
        int degree = fd->f->vars[v].degree;
        if (!is_orthogonal(fd, v) || k > degree)
            continue;
        double *st = poly_state(fd, v);
        /* the numbers poly() is taken of, in the file's order: the extras (records skipped
           for a missing value elsewhere) among the kept rows */
        int64_t j = 0, e = e0;
        for (int64_t i = 0; i < n; i++) {
            for (; e < e0 + m && fd->extra_at[e] <= fd->poly_row + i; e++)
                x[j++] = fd->extra_x[e * nv + v];
            source_row(fd, NULL, X, y, i, src);
            if (formula_eval_arg(fd->f, v, src, &x[j], &local) < 0)
                x[j] = NAN;
            j++;
        }
        for (; e < e0 + m; e++)
            x[j++] = fd->extra_x[e * nv + v];
        formula_poly_sums(x, j, k, st + 3, st + 3 + degree, st);
    }
    fd->poly_row += n;
    fd->poly_extra += m;
    free(x);
    free(src);
}

int fdata_poly_step(struct formula_data *fd, int k, const char *path, struct lr_error *e)
{
    int n = 0, nv = fd->f->n_vars;
    int64_t m = fd->n_extra - fd->poly_extra;
    for (int v = 0; v < nv && m > 0; v++) {  /* the extras after the last kept row */
        const struct formula_var *var = &fd->f->vars[v];
        if (!is_orthogonal(fd, v) || k > var->degree)
            continue;
        double *st = poly_state(fd, v), *x = lr_malloc((size_t)m * sizeof *x);
        for (int64_t q = 0; q < m; q++)
            x[q] = fd->extra_x[(fd->poly_extra + q) * nv + v];
        formula_poly_sums(x, m, k, st + 3, st + 3 + var->degree, st);
        free(x);
    }
    fd->poly_row = fd->poly_extra = 0;  /* the next pass starts again */
    for (int v = 0; v < nv; v++)  /* every polynomial's sums in one Allreduce */
        if (is_orthogonal(fd, v) && k <= fd->f->vars[v].degree)
            n++;
    double *sums = lr_malloc(((size_t)3 * n + 1) * sizeof *sums);
    for (int v = 0, j = 0; v < fd->f->n_vars; v++)
        if (is_orthogonal(fd, v) && k <= fd->f->vars[v].degree)
            memcpy(sums + 3 * j++, poly_state(fd, v), 3 * sizeof *sums);
    comm_sum(sums, 3 * n);
    for (int v = 0, j = 0; v < fd->f->n_vars && e->code == LR_OK; v++) {
        const struct formula_var *var = &fd->f->vars[v];
        if (!is_orthogonal(fd, v) || k > var->degree)
            continue;
        double *st = poly_state(fd, v);
        if (formula_poly_step(k, var->degree, sums + 3 * j++, st + 3, st + 3 + var->degree,
                              e) < 0) {
            char why[sizeof e->msg];
            snprintf(why, sizeof why, "%s", e->msg);
            lr_fail_at(e, LR_EDATA, path, 0, 0, "--formula: %s: %s", lr_shown(var->name).s, why);
        } else if (k == var->degree) {
            formula_poly_set(fd->f, v, st + 3, st + 3 + var->degree);
        }
        st[0] = st[1] = st[2] = 0;
    }
    free(sums);
    return e->code == LR_OK ? 0 : -1;  /* the same sums on every rank: the same outcome */
}

/* The data set's features: the design's columns without (Intercept). */
static void design_features(const struct formula_data *fd, struct dataset *ds)
{
    int b = fd->f->intercept, dx = fd->d.n_columns - b;
    for (int j = 0; j < ds->n_features; j++)
        free(ds->feature_names[j]);
    free(ds->feature_names);
    ds->n_features = dx;
    ds->feature_names = lr_malloc(((size_t)dx + 1) * sizeof *ds->feature_names);
    for (int j = 0; j < dx; j++)
        ds->feature_names[j] = lr_strdup(fd->d.cols[j + b].name);
}

int fdata_finish(struct formula_data *fd, struct dataset *ds, struct lr_error *e)
{
    const struct formula *f = fd->f;
    if (!fd->from_model) {
        formula_design(f, fd->levels, &fd->d, e);
        if (comm_agree(e) != LR_OK)
            return -1;
        fd->have_design = 1;
    }
    for (int s = 0; s < ds->n_features; s++)  /* unseen levels: all ranks' */
        ds->enc.cols[s].n_unseen = comm_sum_i64(fd->unseen ? fd->unseen[s] : 0);
    if (ds->target_name) {  /* the response as the formula states it: log(y) */
        free(ds->target_name);
        ds->target_name = lr_strdup(f->vars[f->response].name);
    }
    design_features(fd, ds);
    return 0;
}

int fdata_rows(struct formula_data *fd, const struct encoding *enc, const double *X,
               const double *y, int64_t n, double *out, double *y_out, int n_threads,
               struct lr_error *e)
{
    const struct formula *f = fd->f;
    int C = fd->n_columns, D = fd->d.n_columns, b = f->intercept, dx = D - b;
    /* blocks of about 32 MiB of source and design rows (a part per thread at least, 256 at
       most): every thread gets parts, and few parallel regions start */
    int64_t block = ((int64_t)32 << 20) / (8 * ((int64_t)C + D + 1)) / PAR_CHUNK_ROWS;
    block = (block < n_threads ? n_threads : block > 256 ? 256 : block) * PAR_CHUNK_ROWS;
    if (block > n)
        block = n ? n : 1;
    size_t need = (size_t)block * ((size_t)C + 1);
    if (fd->buf_len < need) {
        free(fd->buf);
        fd->buf = lr_malloc(need * sizeof *fd->buf);
        fd->buf_len = need;
    }
    double *src = fd->buf, *ty = fd->buf + (size_t)block * C;
    for (int64_t lo = 0; lo < n; lo += block) {
        int64_t m = n - lo < block ? n - lo : block, bad_row = -1;
        int var = -1;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static) if (m > 4096)
        for (int64_t i = 0; i < m; i++)
            source_row(fd, enc, X + lo * fd->n_read, y ? y + lo : NULL, i, src + i * C);
        /* the design without (Intercept), straight into out */
        if (formula_apply_block(f, &fd->d, b, src, m, C, out + lo * dx, ty, n_threads,
                                &bad_row, &var, e) < 0)
            return -1;
        if (y_out)
            memcpy(y_out + lo, ty, (size_t)m * sizeof *y_out);
    }
    return 0;
}

/* Resident: does the design depend on nothing the checked rows decide (no orthogonal
   polynomial to fit, no factor() of numbers to find levels for or, predicting, numbers to
   look up)? Then it is made first and the rows checked as they are made (apply_fused). */
static int design_is_fixed(const struct formula_data *fd, const struct dataset *ds)
{
    const struct formula *f = fd->f;
    for (int v = 0; v < f->n_vars; v++) {
        int s = fd->source_of[f->vars[v].column];
        if (is_orthogonal(fd, v) || (f->vars[v].kind == FORMULA_FACTOR && s >= 0 &&
                                     ds->enc.cols[s].kind != ENC_CATEGORICAL))
            return 0;
    }
    return 1;
}

/* Is new column nc (levels at their new positions) old column oc (at the old ones, map[s]
   from old to new for the source column s a factor reads; NULL: unchanged)? */
static int same_column(const struct formula_data *fd, const struct formula_column *nc,
                       const struct formula_column *oc, int64_t *const *map)
{
    if (nc->term != oc->term || nc->n_parts != oc->n_parts)
        return 0;
    for (int i = 0; i < nc->n_parts; i++) {
        struct formula_part a = nc->parts[i], b = oc->parts[i];
        if (a.var != b.var || a.level != b.level)
            return 0;
        int s = a.level ? fd->source_of[fd->f->vars[a.var].column] : -1;
        if (s >= 0 && map[s] ? map[s][b.index] != a.index : a.index != b.index)
            return 0;
    }
    return 1;
}

/* Collective, resident: a fixed design made before its rows were checked, after
   drop_unkept took levels out (map): the design made again over the kept levels, and the
   kept rows (rows->X, n × the old design's width) cut to its columns in place. Treatment
   contrasts and full coding make a column per level (or pair of levels), so the new
   columns are old ones, in the same order, with the same values on every kept row: the
   dropped levels' columns go, and where the first level went, the new first's (now the
   reference). */
static int redesign(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                    int64_t *const *map, struct lr_error *e)
{
    const struct formula *f = fd->f;
    struct formula_design d;
    for (int v = 0; v < f->n_vars; v++) {  /* fd->levels point into the lists cut */
        int s = f->vars[v].kind == FORMULA_COLUMN || f->vars[v].kind == FORMULA_FACTOR
                    ? fd->source_of[f->vars[v].column] : -1;
        if (s >= 0 && ds->enc.cols[s].kind == ENC_CATEGORICAL)
            fd->levels[v].n_levels = ds->enc.cols[s].n_levels;
    }
    formula_design(f, fd->levels, &d, e);
    if (comm_agree(e) != LR_OK)
        return -1;
    int b = f->intercept, ox = fd->d.n_columns - b, nx = d.n_columns - b;
    int *from = lr_malloc(((size_t)nx + 1) * sizeof *from);
    for (int j = 0, o = 0; j < nx; j++, o++) {
        while (o < ox && !same_column(fd, &d.cols[j + b], &fd->d.cols[o + b], map))
            o++;
        if (o == ox)
            LR_FATAL("the design over the kept levels has a column '%s' the first lacks",
                     d.cols[j + b].name);
        from[j] = o;
    }
    /* in place: row i's column j comes from at or after where it goes (from[j] >= j) */
    double *X = rows->X;
    for (int64_t i = 0; i < rows->n_rows; i++)
        for (int j = 0; j < nx; j++)
            X[i * nx + j] = X[i * ox + from[j]];
    free(from);
    formula_design_free(&fd->d);
    fd->d = d;
    design_features(fd, ds);
    return 0;
}

/* Collective, resident, a fixed design: the steps of fdata_check, fdata_prepare,
   fdata_finish and fdata_rows in one pass over the rows (each row's variables computed
   once): the rows made into the design block by block; where one fails (the first of a
   block), its status decides as fdata_check would, and the block goes on after it. The
   same rows, design, errors and skipped records as the steps one by one. */
static int apply_fused(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                       const struct row_places *pl, const char *path, int skip_bad_rows,
                       int n_threads, struct lr_error *e)
{
    const struct formula *f = fd->f;
    int64_t n = rows->n_rows, S = fd->n_read, n_bad = 0;
    check_init(fd);
    for (int64_t i = 0; fd->from_model && i < n; i++)  /* unseen text levels, every row */
        for (int s = 0; s < S; s++)
            fd->unseen[s] += enc_level_id(rows->X[i * S + s]) == (int64_t)ENC_UNSEEN;
    if (fdata_prepare(fd, ds, path, e) < 0 || fdata_finish(fd, ds, e) < 0)
        return -1;
    int D = fd->d.n_columns, b = f->intercept, dx = D - b, C = fd->n_columns ? fd->n_columns : 1;
    int64_t block = ((int64_t)32 << 20) / (8 * ((int64_t)C + 1)) / PAR_CHUNK_ROWS;
    block = (block < n_threads ? n_threads : block > 256 ? 256 : block) * PAR_CHUNK_ROWS;
    if (test_max_rows() > 0)  /* the test build: many blocks */
        block = test_max_rows();
    /* the design takes the rows' place: row i's design lies at or after its row as read
       when the design is wider (then blocks go from the last), at or before it when not;
       a block's rows are copied out (src) before its design is written. Growing the array
       in place touches only the pages added, where a new one would be touched whole. */
    if (dx > S && n > 0)
        rows->X = lr_realloc(rows->X, lr_bytes(n, dx, sizeof *rows->X));
    double *X = rows->X;
    double *y = lr_malloc(((size_t)n + 1) * sizeof *y);  /* apart: rows->y is read again */
    double *src = lr_malloc(lr_bytes(block, C, sizeof *src));
    double *one = lr_malloc(((size_t)C + 1) * sizeof *one);
    unsigned char *bad = lr_calloc((size_t)n + 1, 1);
    /* training: the text columns' formula columns, whose kept levels are marked */
    int *lk = lr_malloc(((size_t)C + 1) * sizeof *lk), n_lk = 0;
    for (int k = 0; !fd->from_model && k < fd->n_columns; k++) {
        int s = fd->source_of[k];
        if (s >= 0 && ds->enc.cols[s].kind == ENC_CATEGORICAL && ds->enc.cols[s].n_levels) {
            lk[n_lk++] = k;
            kept_room(fd, s, ds->enc.cols[s].n_levels);
        }
    }
    int64_t n_blocks = (n + block - 1) / block, err_row = -1;  /* the first bad row's */
    for (int64_t k = 0; k < n_blocks; k++) {
        int64_t lo = (dx > S ? n_blocks - 1 - k : k) * block, hi = lo + block < n ? lo + block : n;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static) if (hi - lo > 4096)
        for (int64_t i = lo; i < hi; i++)
            source_row(fd, &ds->enc, X, rows->y, i, src + (i - lo) * C);
        for (int64_t j = lo; j < hi;) {
            int64_t bad_row = -1;
            int var = -1;
            struct lr_error be = {0};
            if (formula_apply_block(f, &fd->d, b, src + (j - lo) * C, hi - j, C, X + j * dx,
                                    y + j, n_threads, &bad_row, &var, &be) == 0)
                break;
            int64_t i = j + bad_row;
            /* its status from its values as read: src keeps them (X may not) */
            memcpy(one, src + (i - lo) * C, (size_t)C * sizeof *one);
            if (row_status_src(fd, rows, i, one, &var, &be) == 0) {
                /* a response predict need not compute, now empty: the row again */
                memcpy(src + (i - lo) * C, one, (size_t)C * sizeof *one);
                j = i;
            } else if (!skip_bad_rows) {  /* blocks may come last first: the earliest */
                if (err_row < 0 || i < err_row) {
                    *e = be;
                    row_error(fd, rows, i, 2, var, pl, path, e);
                    err_row = i;
                }
                break;
            } else {
                bad[i] = 1, n_bad++;
                j = i + 1;
            }
        }
        if (n_lk) {  /* the kept rows' levels: src holds a level as its position */
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static) if (hi - lo > 4096)
            for (int64_t i = lo; i < hi; i++)
                for (int q = 0; !bad[i] && q < n_lk; q++) {
                    double v = src[(i - lo) * C + lk[q]];
                    if (v >= 0)
                        mark_level(fd->kept[fd->source_of[lk[q]]] + (int64_t)v);
                }
        }
    }
    free(lk);
    free(one);
    free(src);
    if (comm_agree(e) != LR_OK) {
        free(y), free(bad);
        return -1;
    }
    if (dx < S && n > 0)
        rows->X = lr_realloc(rows->X, lr_bytes(n, dx, sizeof *rows->X));
    if (rows->y) {
        free(rows->y);
        rows->y = y;
    } else {
        free(y);
    }
    if (n_bad)
        drop_rows(fd, rows, dx, bad, n_bad, pl);
    free(bad);
    fd->n_skipped += n_bad;
    if (fd->from_model)
        return 0;
    int dropped, rc = 0;
    int64_t **map = drop_unkept(fd, &ds->enc, NULL, &dropped, path, e);
    if (comm_agree(e) != LR_OK || (dropped && redesign(fd, ds, rows, map, e) < 0))
        rc = -1;
    free_maps(map, ds->enc.n_cols);
    return rc;
}

int fdata_apply(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                const struct row_places *pl, const char *path, int skip_bad_rows,
                int n_threads, struct lr_error *e)
{
    fd->n_read = ds->n_features;
    if (design_is_fixed(fd, ds))
        return apply_fused(fd, ds, rows, pl, path, skip_bad_rows, n_threads, e);
    check_init(fd);
    for (int s = 0; !fd->from_model && s < ds->enc.n_cols; s++)  /* the rows hold positions */
        if (ds->enc.cols[s].kind == ENC_CATEGORICAL)
            kept_room(fd, s, ds->enc.cols[s].n_levels);
    fdata_check(fd, rows, pl, path, skip_bad_rows, n_threads, e);
    if (comm_agree(e) != LR_OK ||
        fdata_drop_levels(fd, ds, NULL, rows->X, rows->n_rows, path, e) < 0 ||
        fdata_prepare(fd, ds, path, e) < 0)
        return -1;
    int64_t n = rows->n_rows;
    for (int k = 0; k < fdata_poly_passes(fd); k++) {
        fdata_poly_add(fd, k, rows->X, rows->y, n);
        if (fdata_poly_step(fd, k, path, e) < 0)
            return -1;
    }
    if (fdata_finish(fd, ds, e) < 0)
        return -1;
    double *X = lr_malloc(lr_bytes(n ? n : 1, ds->n_features ? ds->n_features : 1, sizeof *X));
    fdata_rows(fd, &ds->enc, rows->X, rows->y, n, X, rows->y, n_threads, e);
    if (comm_agree(e) != LR_OK) {
        free(X);
        return -1;
    }
    free(rows->X);
    rows->X = X;
    return 0;
}

void *fdata_to_json(const struct formula_data *fd)
{
    return formula_to_json(fd->f, fd->levels, (const char *const *)fd->columns, fd->n_columns,
                           &fd->d);
}

int fdata_from_json(const void *json, struct formula_data *fd, const char **why)
{
    memset(fd, 0, sizeof *fd);
    if (formula_from_json(json, &fd->f, &fd->levels, &fd->d, &fd->columns, &fd->n_columns,
                          why) < 0)
        return -1;
    fd->have_design = fd->from_model = 1;
    return 0;
}

void fdata_borrow(const struct formula_data *train, struct formula_data *out)
{
    *out = (struct formula_data){
        .f = train->f, .columns = train->columns, .n_columns = train->n_columns,
        .levels = train->levels, .d = train->d, .have_design = 1, .from_model = 1,
        .borrowed = 1,
    };
}

int fdata_terms(const struct formula_data *fd, int *term_of, char ***names)
{
    int b = fd->f->intercept;
    *names = lr_malloc(((size_t)fd->f->n_terms + 1) * sizeof **names);
    for (int t = 0; t < fd->f->n_terms; t++)
        (*names)[t] = lr_strdup(fd->f->terms[t].label);
    for (int j = b; j < fd->d.n_columns; j++)
        term_of[j - b] = fd->d.cols[j].term;
    return fd->f->n_terms;
}

void fdata_free(struct formula_data *fd)
{
    if (!fd)
        return;
    free(fd->source_of);
    free(fd->field_of);
    free(fd->level_slot);
    free(fd->used);
    for (int v = 0; fd->distinct && fd->f && v < fd->f->n_vars; v++)
        free(fd->distinct[v]);
    free(fd->distinct);
    free(fd->n_distinct);
    for (int s = 0; fd->kept && s < fd->n_read; s++)
        free(fd->kept[s]);
    free(fd->kept);
    free(fd->kept_len);
    free(fd->unseen);
    free(fd->poly);
    free(fd->extra_at);
    free(fd->extra_x);
    free(fd->buf);
    if (fd->borrowed) {
        memset(fd, 0, sizeof *fd);
        return;
    }
    int nv = fd->f ? fd->f->n_vars : 0;
    if (fd->from_model) {
        formula_levels_free(fd->levels, nv);
    } else {
        for (int v = 0; fd->own_names && v < nv; v++) {
            for (int k = 0; fd->own_names[v] && k < fd->levels[v].n_levels; k++)
                free(fd->own_names[v][k]);
            free(fd->own_names[v]);
            free(fd->own_values[v]);
        }
        free(fd->own_names);
        free(fd->own_values);
        free(fd->levels);
    }
    if (fd->have_design)
        formula_design_free(&fd->d);
    for (int c = 0; fd->columns && c < fd->n_columns; c++)
        free(fd->columns[c]);
    free(fd->columns);
    formula_free(fd->f);
    memset(fd, 0, sizeof *fd);
}
