/* formula_data.c — a model formula applied to a data set's rows; see formula_data.h. */
#include "formula_data.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "dataset.h"
#include "encode.h"
#include "par.h"

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
    free(fd->source_of);
    free(fd->field_of);
    free(fd->level_slot);
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

/* Formula column k of row i as the formula reads it, from the read's slots: a level as
   its index (an unseen one -1), a column not read NaN. */
static double value_at(const struct formula_data *fd, const struct dataset *ds,
                       const struct csv_shard *rows, int64_t i, int k)
{
    int s = fd->source_of[k];
    if (s == COL_TARGET)
        return rows->y ? rows->y[i] : NAN;
    if (s < 0)
        return NAN;
    double v = rows->X[i * ds->n_features + s];
    if (ds->enc.cols[s].kind != ENC_CATEGORICAL)
        return v;
    int64_t id = enc_level_id(v);
    return id == (int64_t)ENC_UNSEEN ? -1 : id >= 0 ? (double)id : NAN;
}

/* Rows lo..lo+m of every formula column into out (m × n_columns): formula_apply_block's
   source rows, a block at a time (the read keeps only the columns the formula reads). */
static void source_rows(const struct formula_data *fd, const struct dataset *ds,
                        const struct csv_shard *rows, int64_t lo, int64_t m, double *out,
                        int n_threads)
{
    int C = fd->n_columns;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static) if (m > 4096)
    for (int64_t i = 0; i < m; i++)
        for (int k = 0; k < C; k++)
            out[i * C + k] = value_at(fd, ds, rows, lo + i, k);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Collective: factor() over a numeric column: the distinct values of all ranks. */
static void numeric_levels(struct formula_data *fd, const struct dataset *ds,
                           const struct csv_shard *rows, int v)
{
    int64_t n = rows->n_rows, m = 0;
    double *mine = lr_malloc(((size_t)n + 1) * sizeof *mine);
    for (int64_t i = 0; i < n; i++) {
        double x = value_at(fd, ds, rows, i, fd->f->vars[v].column);
        if (!isnan(x))
            mine[m++] = x;
    }
    qsort(mine, (size_t)m, sizeof *mine, by_value);
    int64_t u = 0;
    for (int64_t i = 0; i < m; i++)
        if (u == 0 || mine[u - 1] != mine[i])
            mine[u++] = mine[i];
    char *all;
    int p = comm_size();
    int64_t *lens = lr_malloc((size_t)p * sizeof *lens), total = 0;
    comm_allgatherv_bytes(mine, u * (int64_t)sizeof *mine, &all, lens);
    for (int r = 0; r < p; r++)
        total += lens[r] / (int64_t)sizeof(double);
    double *vals = lr_malloc(((size_t)total + 1) * sizeof *vals);
    memcpy(vals, all, (size_t)total * sizeof *vals);
    free(all);
    free(lens);
    free(mine);
    qsort(vals, (size_t)total, sizeof *vals, by_value);
    u = 0;
    for (int64_t i = 0; i < total; i++)
        if (u == 0 || vals[u - 1] != vals[i])
            vals[u++] = vals[i];
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

/* Collective: R's poly() coefficients of variable v from every rank's rows; a row whose
   argument cannot be computed is left out (it fails later). */
static int poly_fit(struct formula_data *fd, const struct dataset *ds,
                    const struct csv_shard *rows, int v, struct lr_error *e)
{
    int k = fd->f->vars[v].degree;
    int64_t n = rows->n_rows;
    double *x = lr_malloc(((size_t)n + 1) * sizeof *x);
    double *alpha = lr_calloc((size_t)k + 1, sizeof *alpha);
    double *norm2 = lr_calloc((size_t)k + 3, sizeof *norm2);
    double *src = lr_malloc(((size_t)fd->n_columns + 1) * sizeof *src);
    struct lr_error local;
    for (int64_t i = 0; i < n; i++) {
        source_rows(fd, ds, rows, i, 1, src, 1);
        if (formula_eval_arg(fd->f, v, src, &x[i], &local) < 0)
            x[i] = NAN;
    }
    free(src);
    int rc = 0;
    for (int pass = 0; pass <= k && rc == 0; pass++) {
        double sums[3] = {0, 0, 0};
        formula_poly_sums(x, n, pass, alpha, norm2, sums);
        comm_sum(sums, 3);
        rc = formula_poly_step(pass, k, sums, alpha, norm2, e);
    }
    if (rc == 0)
        formula_poly_set(fd->f, v, alpha, norm2);
    free(x);
    free(alpha);
    free(norm2);
    return rc;
}

struct placer {
    int fd;                    /* the plain file, or -1 */
    int64_t at, lines;         /* newlines before offset at (at 0: none yet) */
};

/* The line and byte column of field `column` (0-based) of the record at offset off of a
   plain file, for a message; 0s when it cannot be read. Counting newlines goes on from the
   last call when off lies after it (rows are placed in file order). */
static void place_field(struct placer *p, int64_t off, int column, char delimiter,
                        int64_t *line, int64_t *col)
{
    *line = 0, *col = 0;
    if (p->fd < 0 || off < 0)
        return;
    char buf[1 << 16];
    if (off < p->at)
        p->at = p->lines = 0;
    while (p->at < off) {
        int64_t want = off - p->at < (int64_t)sizeof buf ? off - p->at : (int64_t)sizeof buf;
        ssize_t got = pread(p->fd, buf, (size_t)want, p->at);
        if (got <= 0)
            return;
        for (ssize_t i = 0; i < got; i++)
            p->lines += buf[i] == '\n';
        p->at += got;
    }
    int64_t lines = p->lines + 1;
    ssize_t got = pread(p->fd, buf, sizeof buf, off);
    if (got <= 0)
        return;
    int field = 0, quoted = 0;
    int64_t c = 1;
    for (ssize_t i = 0; i < got && field < column; i++) {
        if (buf[i] == '"')
            quoted = !quoted;
        else if (buf[i] == '\n' && !quoted)
            return;
        else if (buf[i] == delimiter && !quoted)
            field++, c = i + 2;
    }
    *line = lines;
    *col = field == column ? c : 0;
}

/* A bad row's error at its place: "FILE:LINE:COLUMN: log(x): ... (--on-bad-row skip ...)". */
static void bad_row_error(const struct formula_data *fd, const struct csv_shard *rows,
                          int64_t i, int var, const char *path, int plain_fd,
                          struct lr_error *e)
{
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%s", e->msg);
    int c = var >= 0 ? formula_var_column(fd->f, var) : 0;
    int64_t line = 0, col = 0;
    if (rows->row_at)
        place_field(&(struct placer){.fd = plain_fd}, rows->row_at[i], fd->field_of[c],
                    fd->delimiter, &line, &col);
    lr_fail_at(e, LR_EDATA, path, line, col, "%s (column '%s'); --on-bad-row skip leaves such "
               "rows out", msg, fd->columns[c]);
}

/* Predict, evaluate: a factor() of numbers whose value is no level of the model's; bad[i]
   set under --on-bad-row skip, else the first such row's error. Counted as unseen. */
static void unseen_numbers(const struct formula_data *fd, struct dataset *ds,
                           const struct csv_shard *rows, const char *path,
                           int plain_fd, int skip_bad_rows, unsigned char *bad,
                           struct lr_error *e)
{
    const struct formula *f = fd->f;
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_levels *lv = &fd->levels[v];
        int k = f->vars[v].column, s = fd->source_of[k];
        if (f->vars[v].kind != FORMULA_FACTOR || !lv->values || s < 0)
            continue;
        int64_t unseen = 0;
        for (int64_t i = 0; i < rows->n_rows; i++) {
            double x = value_at(fd, ds, rows, i, k);
            if (isnan(x) || bsearch(&x, lv->values, (size_t)lv->n_levels, sizeof x, by_value))
                continue;
            unseen++;
            if (skip_bad_rows) {
                bad[i] = 1;
            } else if (fd->unknown_error && e->code == LR_OK) {
                char num[64];
                int64_t line = 0, col = 0;
                formula_number_text(x, num, sizeof num);
                if (rows->row_at)
                    place_field(&(struct placer){.fd = plain_fd}, rows->row_at[i],
                                fd->field_of[k], fd->delimiter, &line, &col);
                lr_fail_at(e, LR_EDATA, path, line, col, "%s: level '%s' was not seen in "
                           "training, so the model has no coefficient for it; --unknown-level "
                           "zero accepts it as the reference level (all-zero columns)",
                           f->vars[v].name, num);
            }
        }
        if (!skip_bad_rows)
            ds->enc.cols[s].n_unseen += unseen;
    }
}

/* A dropped row's line among the first few skipped records' (sorted, at most
   CSV_FIRST_SKIPPED). */
static void first_line(struct csv_shard *rows, int64_t line)
{
    int k = rows->n_first_skipped, K = CSV_FIRST_SKIPPED;
    if (line <= 0 || (k == K && line >= rows->first_skipped[K - 1]))
        return;
    int at = k < K ? k : K - 1;
    for (; at > 0 && rows->first_skipped[at - 1] > line; at--) {
        rows->first_skipped[at] = rows->first_skipped[at - 1];
        rows->first_skipped_last[at] = rows->first_skipped_last[at - 1];
    }
    rows->first_skipped[at] = rows->first_skipped_last[at] = line;
    rows->n_first_skipped += k < K;
}

/* Drop the rows marked bad, keeping skipped_at (and skipped_off) in file order: a dropped
   row becomes a skipped record; with plain_fd, its line joins the first few. */
static void drop_rows(struct csv_shard *rows, const unsigned char *bad, int64_t n_bad, int d,
                      int plain_fd, char delimiter)
{
    int64_t n = rows->n_rows, old = rows->n_skipped;
    int64_t *at = lr_malloc(((size_t)(old + n_bad) + 1) * sizeof *at);
    /* with keep_offsets, every skipped record's offset (rows moved between ranks by them) */
    int64_t *off = rows->row_at ? lr_malloc(((size_t)(old + n_bad) + 1) * sizeof *off) : NULL;
    int64_t k = 0, m = 0, kept = 0, line, col, placed = 0;
    struct placer pl = {.fd = plain_fd};
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
            if (rows->row_at && plain_fd >= 0 && placed++ < CSV_FIRST_SKIPPED) {
                place_field(&pl, rows->row_at[i], 0, delimiter, &line, &col);  /* the first */
                first_line(rows, line);
            }
            continue;
        }
        if (kept != i) {
            memmove(rows->X + kept * d, rows->X + i * d, (size_t)d * sizeof *rows->X);
            if (rows->y)
                rows->y[kept] = rows->y[i];
            if (rows->w)
                rows->w[kept] = rows->w[i];
            if (rows->g)
                memmove(rows->g + kept * rows->n_groups, rows->g + i * rows->n_groups,
                        (size_t)rows->n_groups * sizeof *rows->g);
            if (rows->row_at)
                rows->row_at[kept] = rows->row_at[i];
        }
        kept++;
    }
    free(rows->skipped_at);
    rows->skipped_at = at;
    free(rows->skipped_off);
    rows->skipped_off = off;
    rows->n_skipped = old + n_bad;
    rows->n_rows = kept;
}

int fdata_apply(struct formula_data *fd, struct dataset *ds, struct csv_shard *rows,
                const char *path, int plain_fd, int skip_bad_rows, int n_threads,
                struct lr_error *e)
{
    struct formula *f = fd->f;
    int64_t n = rows->n_rows;
    int C = fd->n_columns, s = ds->n_features, rc = -1;
    for (int j = 0; j < s; j++) {  /* this rank's unseen levels */
        ds->enc.cols[j].n_unseen = 0;
        for (int64_t i = 0; ds->enc.cols[j].kind == ENC_CATEGORICAL && i < n; i++)
            ds->enc.cols[j].n_unseen += enc_level_id(rows->X[i * s + j]) == (int64_t)ENC_UNSEEN;
    }
    if (!fd->from_model) {  /* the levels and coefficients from the training rows */
        fd->levels = lr_calloc((size_t)f->n_vars, sizeof *fd->levels);
        fd->own_names = lr_calloc((size_t)f->n_vars, sizeof *fd->own_names);
        fd->own_values = lr_calloc((size_t)f->n_vars, sizeof *fd->own_values);
        for (int v = 0; v < f->n_vars; v++) {
            const struct formula_var *var = &f->vars[v];
            int k = var->column, sl = (var->kind == FORMULA_COLUMN ||
                                       var->kind == FORMULA_FACTOR) ? fd->source_of[k] : -1;
            if (sl >= 0 && ds->enc.cols[sl].kind == ENC_CATEGORICAL) {
                fd->levels[v] = (struct formula_levels){
                    .n_levels = ds->enc.cols[sl].n_levels,
                    .levels = (const char *const *)ds->enc.cols[sl].levels};
            } else if (var->kind == FORMULA_FACTOR) {
                numeric_levels(fd, ds, rows, v);
            } else if (var->kind == FORMULA_POLY && !var->raw &&
                       poly_fit(fd, ds, rows, v, e) < 0) {
                char why[sizeof e->msg];
                snprintf(why, sizeof why, "%s", e->msg);
                lr_fail_at(e, LR_EDATA, path, 0, 0, "--formula: %s: %s", var->name, why);
                break;
            }
        }
        if (e->code == LR_OK)
            formula_design(f, fd->levels, &fd->d, e);
        if (comm_agree(e) != LR_OK)
            goto done;
        fd->have_design = 1;
    }
    /* the rows, block by block; a bad one fails or is skipped */
    int D = fd->d.n_columns, b = f->intercept, dx = D - b;
    unsigned char *bad = lr_calloc((size_t)n + 1, 1);
    if (fd->from_model)
        unseen_numbers(fd, ds, rows, path, plain_fd, skip_bad_rows, bad, e);
    for (int j = 0; j < s; j++)  /* this rank's unseen levels: all ranks' */
        ds->enc.cols[j].n_unseen = comm_sum_i64(ds->enc.cols[j].n_unseen);
    if (comm_agree(e) != LR_OK) {
        free(bad);
        goto done;
    }
    double *X = lr_malloc(lr_bytes(n ? n : 1, dx ? dx : 1, sizeof *X));
    double *y = rows->y ? lr_malloc(((size_t)n + 1) * sizeof *y) : NULL;
    /* blocks of about 32 MiB of source rows (16 to 256 parts): every thread gets parts, and
       few parallel regions start */
    int64_t n_bad = 0, block = ((int64_t)4 << 20) / (C ? C : 1) / PAR_CHUNK_ROWS;
    block = (block < 16 ? 16 : block > 256 ? 256 : block) * PAR_CHUNK_ROWS;
    double *tmp = lr_malloc(lr_bytes(block, D ? D : 1, sizeof *tmp));
    double *src = lr_malloc(lr_bytes(block, C ? C : 1, sizeof *src));
    double *ty = lr_malloc((size_t)block * sizeof *ty);
    for (int64_t lo = 0; lo < n && e->code == LR_OK;) {
        int64_t m = n - lo < block ? n - lo : block, bad_row = -1;
        int var = -1;
        struct lr_error be = {0};
        source_rows(fd, ds, rows, lo, m, src, n_threads);
        int r = formula_apply_block(f, &fd->d, src, m, C, tmp, ty, n_threads, &bad_row, &var,
                                    &be);
        int64_t good = r < 0 ? bad_row : m;
        for (int64_t i = 0; i < good; i++) {
            memcpy(X + (lo + i) * dx, tmp + i * D + b, (size_t)dx * sizeof *X);
            if (y)
                y[lo + i] = ty[i];
        }
        if (r < 0 && var == f->response && fd->response_optional && rows->y &&
            fd->source_of[formula_var_column(f, var)] == COL_TARGET) {
            /* predict: a response that cannot be computed is shown empty, as R's predict()
               does not read it */
            rows->y[lo + bad_row] = NAN;
            lo += bad_row;
        } else if (r < 0) {
            if (!skip_bad_rows) {
                *e = be;
                bad_row_error(fd, rows, lo + bad_row, var, path, plain_fd, e);
            }
            bad[lo + bad_row] = 1;
            lo += bad_row + 1;
        } else {
            lo += m;
        }
    }
    free(tmp);
    free(ty);
    free(src);
    if (comm_agree(e) != LR_OK) {
        free(X), free(y), free(bad);
        goto done;
    }
    free(rows->X);
    rows->X = X;
    if (y) {
        free(rows->y);
        rows->y = y;
    }
    for (int64_t i = 0; i < n; i++)
        n_bad += bad[i];
    if (n_bad)
        drop_rows(rows, bad, n_bad, dx, plain_fd, fd->delimiter);
    free(bad);
    fd->n_skipped = (int)n_bad;
    for (int j = 0; j < ds->n_features; j++)
        free(ds->feature_names[j]);
    free(ds->feature_names);
    if (ds->target_name) {  /* the response as the formula states it: log(y) */
        free(ds->target_name);
        ds->target_name = lr_strdup(f->vars[f->response].name);
    }
    ds->n_features = dx;
    ds->feature_names = lr_malloc(((size_t)dx + 1) * sizeof *ds->feature_names);
    for (int j = 0; j < dx; j++)
        ds->feature_names[j] = lr_strdup(fd->d.cols[j + b].name);
    rc = 0;
done:
    return rc;
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
