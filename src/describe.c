/* describe.c — column statistics of a sharded CSV; see describe.h. */
#include "describe.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "comm.h"
#include "dataset.h"
#include "log.h"
#include "quantile.h"
#include "stats.h"

/* What describe learned about one column, the same on every rank. */
struct column {
    int text;                  /* some present value is not a number, or none is present */
    int64_t present, missing;  /* values present; empty or an --na-values string */
    int64_t distinct;          /* text columns: distinct present values (texts and numbers) */
    int truncated;             /* more distinct texts than describe keeps: distinct is a
                                  lower bound, the top values approximate */
    int n_top;
    int64_t top[5];            /* level indices of the most frequent texts */
    int64_t top_count[5];
    struct col_stats s;        /* number columns */
    double q[3];               /* number columns: the quartiles (25%, 50%, 75%) */
    int64_t n_text;            /* texts among the present values */
    int64_t first_text;        /* the level of the first of them in row order (-1: none) */
    int64_t first_line;        /* a number column's first text: its line (0: unknown) */
    char first_file[256];      /* ... and file */
};

/* The quartiles describe prints, as pandas' describe() and R's summary() (type 7). */
static const double quartile_p[3] = {0.25, 0.5, 0.75};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int64_t sort_unique(uint64_t *v, int64_t n)
{
    if (n < 2)  /* v may be NULL when n is 0 */
        return n;
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* Collective: distinct values among m keys per rank, the same on every rank. */
static int64_t count_distinct(uint64_t *keys, int64_t m)
{
    m = sort_unique(keys, m);
    int p = comm_size();
    int64_t *lens = lr_malloc((size_t)p * sizeof *lens);
    char *all;
    comm_allgatherv_bytes(keys, m * (int64_t)sizeof *keys, &all, lens);
    int64_t total = 0;
    for (int r = 0; r < p; r++)
        total += lens[r] / (int64_t)sizeof *keys;
    total = sort_unique((uint64_t *)(void *)all, total);
    free(all);
    free(lens);
    return total;
}

/* What a pass over the rows keeps of a text column: its level counts, the distinct numbers
   among it (sorted keys), its first text in row order. */
struct text_acc {
    uint64_t *count;           /* n_levels */
    uint64_t *nums;            /* distinct numbers so far, sorted */
    int64_t n_nums;
    int64_t first;             /* the row (this rank's) of its first text; INT64_MAX: none */
    int64_t first_level;
};

/* Local: a block's numbers of text column j (n rows of X, n×d) merged into a's sorted
   distinct ones. */
static void add_numbers(struct text_acc *a, const double *X, int64_t n, int d, int j)
{
    uint64_t *v = lr_malloc(lr_bytes(n ? n : 1, 1, sizeof *v));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = X[i * d + j];
        if (!isnan(x))
            memcpy(&v[m++], &x, sizeof x);
    }
    if (m > 0) {
        m = sort_unique(v, m);
        uint64_t *all = lr_malloc(lr_bytes(a->n_nums + m, 1, sizeof *all));
        if (a->n_nums)  /* none yet: a->nums is NULL */
            memcpy(all, a->nums, (size_t)a->n_nums * sizeof *all);
        memcpy(all + a->n_nums, v, (size_t)m * sizeof *all);
        free(a->nums);
        a->nums = all;
        a->n_nums = sort_unique(all, a->n_nums + m);
    }
    free(v);
}

/* Local: a block of n rows (X, n×d, the first at this rank's row row0) added to the text
   columns' accumulators. */
static void add_texts(const struct dataset *ds, const struct column *cols, const double *X,
                      int64_t n, int64_t row0, struct text_acc *acc)
{
    int d = ds->n_features;
    for (int j = 0; j < d; j++) {
        if (!cols[j].text)
            continue;
        struct text_acc *a = &acc[j];
        int64_t nl = ds->enc.cols[j].n_levels;
        for (int64_t i = 0; i < n; i++) {
            int64_t id = enc_level_id(X[i * d + j]);
            if (id < 0 || id >= nl)
                continue;
            a->count[id]++;
            if (a->first == INT64_MAX)
                a->first = row0 + i, a->first_level = id;
        }
        add_numbers(a, X, n, d, j);
    }
}

/* Collective: a text column's figures from its accumulator: its distinct values (its
   levels, and the distinct numbers among it), its first text in row order, its five most
   frequent levels. */
static void finish_text(const struct dataset *ds, int j, struct text_acc *a, struct column *c)
{
    int64_t nl = ds->enc.cols[j].n_levels;
    uint64_t *count = a->count;
    /* the first text in row order: the lowest row of all ranks, then its level */
    int64_t base = comm_exscan_i64(ds->n_rows);
    int64_t first = a->first < INT64_MAX ? base + a->first : INT64_MAX;
    int64_t row = comm_min_i64(first);
    c->first_text = comm_min_i64(first == row && row < INT64_MAX ? a->first_level : INT64_MAX);
    comm_sum_u64(count, (int)nl);
    c->n_text = 0;
    for (int64_t id = 0; id < nl; id++)
        c->n_text += (int64_t)count[id];
    c->distinct = nl + count_distinct(a->nums, a->n_nums);
    c->truncated = ds->enc.cols[j].truncated;
    for (int k = 0; k < 5; k++) {  /* the most frequent first; ties in byte order */
        int64_t best = -1;
        for (int64_t id = 0; id < nl; id++)
            if (count[id] > 0 && (best < 0 || count[id] > count[best]))
                best = id;
        if (best < 0)
            break;
        c->top[c->n_top] = best;
        c->top_count[c->n_top++] = (int64_t)count[best];
        count[best] = 0;
    }
}

/* Collective: one pass over the rows (dataset_next): every column's number statistics
   (levels and missing values are NaNs, which they leave out), and each text column's
   figures. */
static int describe_pass(struct dataset *ds, int n_threads, struct column *cols,
                         struct lr_error *e)
{
    int d = ds->n_features, rc;
    struct col_stats *s = lr_malloc(((size_t)d + 1) * sizeof *s);
    struct text_acc *acc = lr_calloc((size_t)d + 1, sizeof *acc);
    for (int j = 0; j < d; j++) {
        struct column *c = &cols[j];
        c->missing = ds->enc.cols[j].n_missing;
        c->present = ds->n_rows_total - c->missing;
        c->text = ds->enc.cols[j].kind == ENC_CATEGORICAL || c->present == 0;
        c->first_text = -1;
        acc[j].first = INT64_MAX;
        if (c->text)
            acc[j].count = lr_calloc((size_t)ds->enc.cols[j].n_levels + 1, sizeof *acc[j].count);
    }
    stats_init(s, d);
    struct row_block b;
    int64_t row0 = 0;
    dataset_rewind(ds);
    while ((rc = dataset_next(ds, &b, e)) > 0) {
        stats_add(b.X, NULL, b.n, d, n_threads, s);
        add_texts(ds, cols, b.X, b.n, row0, acc);
        row0 += b.n;
    }
    rc = comm_agree(e) == LR_OK ? 0 : -1;
    if (rc == 0)
        stats_finish(s, d);
    for (int j = 0; j < d; j++) {
        struct column *c = &cols[j];
        c->s = s[j];
        if (rc == 0 && c->text)
            finish_text(ds, j, &acc[j], c);
        /* a few stray texts among numbers (at most 1% of the present values): a number
           column that says so (pandas and R would read it all as text) */
        if (c->text && c->n_text > 0 && c->s.count > 0 && 100 * c->n_text <= c->present)
            c->text = 0;
        free(acc[j].count);
        free(acc[j].nums);
    }
    free(acc);
    free(s);
    return rc;
}

/* Collective: the quartiles of the number columns, by as many more passes over the rows as
   they take (quantile.h); *passes: how many. */
static int describe_quartiles(struct dataset *ds, int n_threads, struct column *cols,
                              int *passes, struct lr_error *e)
{
    int d = ds->n_features, rc = 0;
    unsigned char *num = lr_malloc((size_t)d + 1);
    int64_t *count = lr_malloc(((size_t)d + 1) * sizeof *count);
    double *min = lr_malloc(((size_t)d + 1) * sizeof *min), *max = lr_malloc(((size_t)d + 1) * sizeof *max);
    double *q = lr_malloc(lr_bytes(d ? d : 1, 3, sizeof *q));
    for (int j = 0; j < d; j++) {
        num[j] = !cols[j].text;
        count[j] = cols[j].s.count, min[j] = cols[j].s.min, max[j] = cols[j].s.max;
    }
    struct quantile_search *qs = quantile_begin(d, num, count, min, max, quartile_p, 3);
    while (rc == 0 && quantile_pending(qs)) {
        struct row_block b;
        dataset_rewind(ds);
        while ((rc = dataset_next(ds, &b, e)) > 0)
            quantile_add(qs, b.X, b.n, n_threads);
        rc = comm_agree(e) == LR_OK ? 0 : -1;
        if (rc == 0)
            quantile_step(qs);
    }
    if (rc == 0) {
        quantile_result(qs, q);
        for (int j = 0; j < d; j++)
            memcpy(cols[j].q, q + 3 * j, sizeof cols[j].q);
    }
    *passes = quantile_passes(qs);
    quantile_free(qs);
    free(q);
    free(max);
    free(min);
    free(count);
    free(num);
    return rc;
}

/* "1 text value (first at line 77777: 'abc')": a number column's stray texts. */
static void text_note(const struct dataset *ds, const struct column *c, int j, char *buf,
                      size_t cap)
{
    char v[64] = "", where[300] = "";
    const char *l = ds->enc.cols[j].levels[c->first_text];
    lr_escape(v, sizeof v, l, strlen(l));
    if (c->first_line > 0)
        snprintf(where, sizeof where, "first at %s%s%lld: ", c->first_file,
                 c->first_file[0] ? ":" : "line ", (long long)c->first_line);
    else
        snprintf(where, sizeof where, "first: ");
    snprintf(buf, cap, "%lld text value%s (%s'%s')", (long long)c->n_text,
             c->n_text == 1 ? "" : "s", where, v);
}

static void print_table(const struct dataset *ds, const struct column *c, FILE *out)
{
    fprintf(out, "rows: %lld\n", (long long)ds->n_rows_total);
    fprintf(out, "%-20s %12s %10s %15s %15s %15s %15s %15s %15s %15s\n", "column", "count",
            "missing", "mean", "std (pop.)", "min", "25%", "50%", "75%", "max");
    for (int j = 0; j < ds->n_features; j++) {
        if (c[j].text)
            continue;
        char note[400] = "";
        if (c[j].n_text > 0)
            text_note(ds, &c[j], j, note, sizeof note);
        fprintf(out, "%-20s %12lld %10lld %15.8g %15.8g %15.8g %15.8g %15.8g %15.8g %15.8g%s%s\n",
                lr_shown(ds->feature_names[j]).s, (long long)c[j].s.count, (long long)c[j].missing,
                c[j].s.mean, stats_std(&c[j].s), c[j].s.min, c[j].q[0], c[j].q[1], c[j].q[2],
                c[j].s.max, note[0] ? "   " : "", note);
    }
    for (int j = 0; j < ds->n_features; j++) {
        if (!c[j].text)
            continue;
        fprintf(out, "%-20s %12lld %10lld   text: %s%lld distinct value%s",
                lr_shown(ds->feature_names[j]).s,
                (long long)c[j].present, (long long)c[j].missing, c[j].truncated ? "more than " : "",
                (long long)c[j].distinct, c[j].distinct == 1 ? "" : "s");
        for (int k = 0; k < c[j].n_top; k++) {
            char v[64];
            const char *l = ds->enc.cols[j].levels[c[j].top[k]];
            lr_escape(v, sizeof v, l, strlen(l));
            fprintf(out, "%s'%s' %lld", k ? ", " : "; most frequent: ", v,
                    (long long)c[j].top_count[k]);
        }
        fputc('\n', out);
    }
    fprintf(out, "(std is the population standard deviation, the one used for scaling; the "
            "quartiles interpolate as R's type 7, pandas' default)\n");
}

/* A JSON string: the bytes of s with quotes, backslashes and control bytes escaped. */
static void json_text(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* A number as jansson writes one at 17 digits (31.0, not 31), null when not finite, at
   buf; the length. */
static int json_number(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        return snprintf(buf, cap, "null");
    int n = snprintf(buf, cap, "%.17g", v);
    if (!strpbrk(buf, ".eE"))
        n += snprintf(buf + n, cap - (size_t)n, ".0");
    return n;
}

/* The number columns written directly (a 100,000-column file: a tree of objects would cost
   more than the statistics), the text columns through jansson; the layout of
   JSON_INDENT(2) throughout. */
static void print_json(const struct dataset *ds, const struct column *c, FILE *out)
{
    static const char *keys[] = {"mean", "std", "min", "25%", "50%", "75%", "max"};
    json_t *texts = json_array(), *left_out = json_array();
    fprintf(out, "{\n  \"rows\": %lld,\n  \"columns\": [", (long long)ds->n_rows_total);
    int first = 1;
    for (int j = 0; j < ds->n_features; j++) {
        const char *name = ds->feature_names[j];
        if (c[j].text) {
            json_t *top = json_array();
            for (int k = 0; k < c[j].n_top; k++) {
                const char *l = ds->enc.cols[j].levels[c[j].top[k]];
                json_t *v = json_string(l);  /* NULL: not UTF-8; then escaped */
                if (!v) {
                    char esc[256];
                    lr_escape(esc, sizeof esc, l, strlen(l));
                    v = json_string(esc);
                }
                json_array_append_new(top, json_pack("{s:o, s:I}", "value", v, "count",
                                                     (json_int_t)c[j].top_count[k]));
            }
            json_array_append_new(texts, json_pack("{s:s, s:I, s:I, s:I, s:b, s:o}", "name", name,
                                                   "count", (json_int_t)c[j].present, "missing",
                                                   (json_int_t)c[j].missing, "distinct",
                                                   (json_int_t)c[j].distinct, "distinct_truncated",
                                                   c[j].truncated, "top", top));
            json_array_append_new(left_out, json_string(name));
            continue;
        }
        double v[] = {c[j].s.mean, stats_std(&c[j].s), c[j].s.min, c[j].q[0], c[j].q[1],
                      c[j].q[2], c[j].s.max};
        fprintf(out, "%s\n    {\n      \"name\": ", first ? "" : ",");
        json_text(out, name);
        char rest[512];  /* the numbers: one write a column */
        int n = snprintf(rest, sizeof rest, ",\n      \"count\": %lld,\n      \"missing\": %lld",
                         (long long)c[j].s.count, (long long)c[j].missing);
        for (int k = 0; k < 7; k++) {
            n += snprintf(rest + n, sizeof rest - (size_t)n, ",\n      \"%s\": ", keys[k]);
            n += json_number(rest + n, sizeof rest - (size_t)n, v[k]);
        }
        fwrite(rest, 1, (size_t)n, out);
        if (c[j].n_text > 0) {  /* stray texts: how many, the first and where */
            fprintf(out, ",\n      \"text_values\": %lld,\n      \"first_text\": ",
                    (long long)c[j].n_text);
            json_text(out, ds->enc.cols[j].levels[c[j].first_text]);
            fprintf(out, ",\n      \"first_text_line\": %lld", (long long)c[j].first_line);
        }
        fputs("\n    }", out);
        first = 0;
    }
    fputs(first ? "]" : "\n  ]", out);
    const char *names[] = {"text", "left_out"};
    json_t *arrays[] = {texts, left_out};
    for (int k = 0; k < 2; k++) {  /* indented one level more than jansson alone writes */
        char *t = json_dumps(arrays[k], JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fprintf(out, ",\n  \"%s\": ", names[k]);
        for (const char *p = t; p && *p; p++)
            fputs(*p == '\n' ? "\n  " : (char[]){*p, 0}, out);
        free(t);
        json_decref(arrays[k]);
    }
    fputs("\n}\n", out);
}

/* Collective: where the first text of each number column with a few texts is (at most 5
   columns). The reader names it in the error it gives when the column alone is read as
   numbers: one more read of the data for each such column, and only for them. */
static void find_first_texts(const struct data_options *dopt, const struct dataset *ds,
                             struct column *cols)
{
    for (int j = 0, done = 0; j < ds->n_features && done < 5; j++) {
        if (cols[j].text || cols[j].n_text == 0 || strchr(ds->feature_names[j], ','))
            continue;
        struct data_options one = *dopt;
        one.features = ds->feature_names[j], one.drop = NULL;
        one.enc.raw_levels = 0, one.enc.missing = MISSING_MEAN;  /* a missing value: no error */
        one.skip_bad_rows = 0, one.cache = NULL, one.quiet = 1;
        if (ds->stream)  /* the column's rows on disk too */
            one.memory = MEMORY_STREAM;
        struct dataset tmp;
        struct lr_error e = {0};
        if (dataset_load(&one, &tmp, &e) == 0)
            dataset_free(&tmp);
        else if (e.code == LR_EDATA && e.line > 0 && strstr(e.msg, "is not a number")) {
            cols[j].first_line = e.line;
            if (strcmp(e.file, dopt->path) != 0)  /* one of several inputs: which */
                snprintf(cols[j].first_file, sizeof cols[j].first_file, "%s", e.file);
        }
        done++;
    }
}

/* Rank 0, unless --quiet: what reading took, and the memory: the worst rank's peak RSS
   against the bytes of its rows (resident), or stream mode's blocks and passes. */
static void print_summary(const struct options *o, const struct dataset *ds, double read_s,
                          int q_passes)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int64_t rss = comm_max_i64((int64_t)ru.ru_maxrss * 1024);
    int64_t matrix = comm_max_i64(ds->n_rows * ds->n_features * (int64_t)sizeof(double));
    if (comm_rank() != 0 || o->quiet)
        return;
    dataset_print_skipped(ds, NULL, stderr);
    fprintf(stderr, "read %.1f MB in %.3f s (%.1f MB/s) with %d rank%s x %d thread%s; "
            "peak RSS per rank %.1f MB", (double)ds->file_bytes / 1e6, read_s,
            (double)ds->file_bytes / 1e6 / read_s, comm_size(), comm_size() == 1 ? "" : "s",
            o->n_threads, o->n_threads == 1 ? "" : "s", (double)rss / 1e6);
    int passes;
    int64_t bytes, block;
    dataset_stream_info(ds, &passes, &bytes, &block);
    if (!ds->stream)
        fprintf(stderr, ", matrix %.1f MB\n", (double)matrix / 1e6);
    else
        fprintf(stderr, "; memory: stream (--memory), blocks of %lld rows; %d passes over "
                "rank 0's scratch file of %.1f MB (1 for the statistics, %d for the "
                "quartiles)\n", (long long)block, passes, (double)bytes / 1e6, q_passes);
}

int describe_run(const struct options *o, struct lr_error *e)
{
    struct data_options dopt;
    data_options_for(o, DATA_DESCRIBE, NULL, &dopt);
    struct dataset ds;
    double t0 = comm_wtime();
    if (dataset_load(&dopt, &ds, e) < 0)
        return e->code;
    double read_s = comm_wtime() - t0;
    int q_passes = 0;
    struct column *cols = lr_calloc((size_t)ds.n_features + 1, sizeof *cols);
    if (describe_pass(&ds, o->n_threads, cols, e) < 0 ||
        describe_quartiles(&ds, o->n_threads, cols, &q_passes, e) < 0)
        goto done;
    find_first_texts(&dopt, &ds, cols);
    print_summary(o, &ds, read_s, q_passes);
    if (comm_rank() == 0) {
        struct results res;  /* one piece, not a write a line (log.h) */
        FILE *out = results_begin(&res);
        if (o->json)
            print_json(&ds, cols, out);
        else
            print_table(&ds, cols, out);
        results_end(&res, e);
    }
done:
    free(cols);
    dataset_free(&ds);
    return comm_agree(e);
}
