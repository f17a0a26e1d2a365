/* describe.c — column statistics of a sharded CSV; see describe.h. */
#include "describe.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "comm.h"
#include "dataset.h"
#include "stats.h"

/* What describe learned about one column, the same on every rank (distinct: rank 0). */
struct column {
    int text;                  /* some present value is not a number, or none is present */
    int64_t present;           /* values that are not empty */
    int64_t distinct;          /* text columns: distinct present values */
    struct col_stats s;        /* number columns */
};

/* Collective: how many values of each column are text and how many are empty. */
static void count_kinds(const struct dataset *ds, struct column *cols)
{
    int d = ds->n_features;
    uint64_t *tally = calloc((size_t)2 * (size_t)d, sizeof *tally);
    if (!tally)
        LR_FATAL("out of memory");
    for (int64_t i = 0; i < ds->n_rows; i++)
        for (int j = 0; j < d; j++) {
            int kind = csv_value_kind(ds->X[i * d + j]);
            if (kind != CSV_NUMBER)
                tally[2 * j + (kind == CSV_EMPTY)]++;
        }
    comm_sum_u64(tally, 2 * d);
    for (int j = 0; j < d; j++) {
        cols[j].present = ds->n_rows_total - (int64_t)tally[2 * j + 1];
        cols[j].text = tally[2 * j] > 0 || cols[j].present == 0;
    }
    free(tally);
}

/* Column j's present values on this rank, as numbers or (text columns) as the bits that
   identify them: a number's own bits, a text's hash in its NaN. */
static int64_t present_values(const struct dataset *ds, int j, double *out)
{
    int64_t m = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) {
        double v = ds->X[i * ds->n_features + j];
        if (csv_value_kind(v) != CSV_EMPTY)
            out[m++] = v;
    }
    return m;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int64_t sort_unique(uint64_t *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* Collective: distinct values among m keys per rank, counted on rank 0 (0 elsewhere).
   Each rank sends its own distinct keys; rank 0 merges them. */
static int64_t count_distinct(uint64_t *keys, int64_t m)
{
    m = sort_unique(keys, m);
    if (comm_rank() != 0) {
        comm_send_bytes(0, keys, m * (int64_t)sizeof *keys);
        return 0;
    }
    uint64_t *all = lr_malloc(lr_bytes(m ? m : 1, 1, sizeof *all));
    memcpy(all, keys, (size_t)m * sizeof *all);
    for (int r = 1; r < comm_size(); r++) {
        char *buf;
        int64_t bytes;
        comm_recv_bytes(r, &buf, &bytes);
        int64_t k = bytes / (int64_t)sizeof *all;
        all = lr_realloc(all, lr_bytes(m + k ? m + k : 1, 1, sizeof *all));
        memcpy(all + m, buf, (size_t)bytes);
        m += k;
        free(buf);
    }
    m = sort_unique(all, m);
    free(all);
    return m;
}

/* Collective: statistics of every column. All numbers and none missing (the usual case):
   one pass over X; otherwise column by column over the present values. */
static void describe_columns(const struct dataset *ds, int n_threads, struct column *cols)
{
    int d = ds->n_features, regular = 1;
    count_kinds(ds, cols);
    for (int j = 0; j < d; j++)
        regular &= !cols[j].text && cols[j].present == ds->n_rows_total;
    struct col_stats *s = lr_malloc((size_t)d * sizeof *s);
    if (regular) {
        stats_allreduce(ds->X, ds->n_rows, d, n_threads, s);
        for (int j = 0; j < d; j++)
            cols[j].s = s[j];
        free(s);
        return;
    }
    free(s);
    double *v = lr_malloc(lr_bytes(ds->n_rows ? ds->n_rows : 1, 1, sizeof *v));
    for (int j = 0; j < d; j++) {
        int64_t m = present_values(ds, j, v);
        if (cols[j].text) {
            uint64_t *keys = lr_malloc(lr_bytes(m ? m : 1, 1, sizeof *keys));
            memcpy(keys, v, (size_t)m * sizeof *keys);  /* the same 8 bytes, as bits */
            cols[j].distinct = count_distinct(keys, m);
            free(keys);
        } else {
            stats_allreduce(v, m, 1, n_threads, &cols[j].s);
        }
    }
    free(v);
}

static void print_table(const struct dataset *ds, const struct column *c, FILE *out)
{
    fprintf(out, "rows: %lld\n", (long long)ds->n_rows_total);
    fprintf(out, "%-20s %12s %15s %15s %15s %15s\n", "column", "count", "mean", "std", "min",
            "max");
    for (int j = 0; j < ds->n_features; j++)
        if (!c[j].text)
            fprintf(out, "%-20s %12lld %15.8g %15.8g %15.8g %15.8g\n", ds->feature_names[j],
                    (long long)c[j].s.count, c[j].s.mean, stats_std(&c[j].s), c[j].s.min,
                    c[j].s.max);
    for (int j = 0; j < ds->n_features; j++)
        if (c[j].text)
            fprintf(out, "%-20s %12lld   text: %lld distinct value%s\n", ds->feature_names[j],
                    (long long)c[j].present, (long long)c[j].distinct,
                    c[j].distinct == 1 ? "" : "s");
}

static void print_json(const struct dataset *ds, const struct column *c, FILE *out)
{
    json_t *nums = json_array(), *texts = json_array(), *left_out = json_array();
    for (int j = 0; j < ds->n_features; j++) {
        const char *name = ds->feature_names[j];
        if (c[j].text) {
            json_array_append_new(texts, json_pack("{s:s, s:I, s:I}", "name", name, "count",
                                                   (json_int_t)c[j].present, "distinct",
                                                   (json_int_t)c[j].distinct));
            json_array_append_new(left_out, json_string(name));
        } else {
            json_array_append_new(nums, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f}", "name",
                                                  name, "count", (json_int_t)c[j].s.count,
                                                  "mean", c[j].s.mean, "std",
                                                  stats_std(&c[j].s), "min", c[j].s.min,
                                                  "max", c[j].s.max));
        }
    }
    json_t *root = json_pack("{s:I, s:o, s:o, s:o}", "rows", (json_int_t)ds->n_rows_total,
                             "columns", nums, "text", texts, "left_out", left_out);
    json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fputc('\n', out);
    json_decref(root);
}

int describe_run(const struct options *o, struct lr_error *e)
{
    struct data_options dopt = {
        .path = o->path, .delimiter = o->delimiter, .has_header = !o->no_header,
        .features = o->features, .drop = o->drop, .want_target = 0,
        .skip_bad_rows = o->skip_bad_rows, .n_threads = o->n_threads,
        .cache = o->cache, .cache_verify_full = o->cache_verify_full, .quiet = o->quiet,
    };
    struct dataset ds;
    double t0 = comm_wtime();
    if (dataset_load(&dopt, &ds, e) < 0)
        return e->code;
    double read_s = comm_wtime() - t0;
    /* memory: the worst rank's peak RSS against the bytes of its matrix */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int64_t rss = comm_max_i64((int64_t)ru.ru_maxrss * 1024);
    int64_t matrix = comm_max_i64(ds.n_rows * ds.n_features * (int64_t)sizeof(double));
    struct column *cols = calloc((size_t)ds.n_features, sizeof *cols);
    if (!cols)
        LR_FATAL("out of memory");
    describe_columns(&ds, o->n_threads, cols);
    if (comm_rank() == 0) {
        if (!o->quiet) {
            dataset_print_skipped(&ds, stderr);
            fprintf(stderr, "read %.1f MB in %.3f s (%.1f MB/s) with %d rank%s x %d thread%s; "
                    "peak RSS per rank %.1f MB, matrix %.1f MB\n",
                    (double)ds.file_bytes / 1e6, read_s, (double)ds.file_bytes / 1e6 / read_s,
                    comm_size(), comm_size() == 1 ? "" : "s", o->n_threads,
                    o->n_threads == 1 ? "" : "s", (double)rss / 1e6, (double)matrix / 1e6);
        }
        if (o->json)
            print_json(&ds, cols, stdout);
        else
            print_table(&ds, cols, stdout);
        fflush(stdout);
    }
    free(cols);
    dataset_free(&ds);
    return LR_OK;
}
