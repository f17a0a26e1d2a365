/* describe.c — column statistics of a sharded CSV; see describe.h. */
#include "describe.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "comm.h"
#include "dataset.h"
#include "stats.h"

static void print_table(const struct dataset *ds, const struct col_stats *s, FILE *out)
{
    fprintf(out, "rows: %lld\n", (long long)ds->n_rows_total);
    fprintf(out, "%-20s %12s %15s %15s %15s %15s\n", "column", "count", "mean", "std", "min",
            "max");
    for (int j = 0; j < ds->n_features; j++)
        fprintf(out, "%-20s %12lld %15.8g %15.8g %15.8g %15.8g\n", ds->feature_names[j],
                (long long)s[j].count, s[j].mean, stats_std(&s[j]), s[j].min, s[j].max);
    for (int j = 0; j < ds->n_left_out; j++)
        fprintf(out, "%-20s (left out: not numeric)\n", ds->left_out_names[j]);
}

static void print_json(const struct dataset *ds, const struct col_stats *s, FILE *out)
{
    json_t *cols = json_array();
    for (int j = 0; j < ds->n_features; j++)
        json_array_append_new(cols, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f}", "name",
                                              ds->feature_names[j], "count",
                                              (json_int_t)s[j].count, "mean", s[j].mean,
                                              "std", stats_std(&s[j]), "min", s[j].min,
                                              "max", s[j].max));
    json_t *left_out = json_array();
    for (int j = 0; j < ds->n_left_out; j++)
        json_array_append_new(left_out, json_string(ds->left_out_names[j]));
    json_t *root = json_pack("{s:I, s:o, s:o}", "rows", (json_int_t)ds->n_rows_total, "columns",
                             cols, "left_out", left_out);
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
    struct col_stats *s = lr_malloc((size_t)ds.n_features * sizeof *s);
    stats_allreduce(ds.X, ds.n_rows, ds.n_features, o->n_threads, s);
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
            print_json(&ds, s, stdout);
        else
            print_table(&ds, s, stdout);
        fflush(stdout);
    }
    free(s);
    dataset_free(&ds);
    return LR_OK;
}
