/* source.c — picking a row source, and the memory check every kind makes; see source.h. */
#include "source.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "comm.h"
#include "par.h"
#include "test_hooks.h"

int source_init(struct row_source *s, const struct source_input *in, struct lr_error *e)
{
    memset(s, 0, sizeof *s);
    s->in = *in;
    int got = in->cache ? source_cache_probe(s, e) : 0;
    if (got != 0)
        return got < 0 ? -1 : 0;
    int plain = 1;  /* or, in stream mode, every compressed file measured (inputs_measure):
                       the stream read in place all the same */
    for (int f = 0; f < in->l->n; f++)
        plain &= in->l->comp[f] == IN_PLAIN ||
                 (in->window_rows > 0 && in->text && in->text[f] >= 0);
    s->m = inputs_single_plain(in->l) ? source_csv() : plain ? source_parts()
                                                              : source_compressed();
    return 0;
}

double node_memory_available(void)
{
    double t = test_mem_available();
    if (t >= 0)
        return t;
    double avail = 0, kb, limit, used;
    char line[256];
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            avail = kb * 1024;
    if (f)
        fclose(f);
    FILE *m = fopen("/sys/fs/cgroup/memory.max", "r"), *c = fopen("/sys/fs/cgroup/memory.current", "r");
    if (m && c && fscanf(m, "%lf", &limit) == 1 && fscanf(c, "%lf", &used) == 1 &&
        (avail == 0 || limit - used < avail))
        avail = limit - used;  /* "max" (no limit) does not scan as a number */
    if (m)
        fclose(m);
    if (c)
        fclose(c);
    return avail;
}

int node_fits(double need, const char *what, const char *path, struct lr_error *e)
{
    double node_need = comm_node_sum(need), usable = 0.9 * node_memory_available();
    double total = need;
    comm_sum(&total, 1);
    if (usable > 0 && node_need > usable) {
        int nodes = (int)ceil(total / usable);
        char where[300];
        lr_fail_at(e, LR_ENOMEM, path, 0, 0,
                   "the %d rank%s on this node need about %.2f GB for %s, but %.2f GB are "
                   "available; spread the job over at least %d nodes (more ranks on one node "
                   "do not help; %s)", comm_node_size(), comm_node_size() > 1 ? "s" : "",
                   node_need / 1e9, what, usable / 0.9 / 1e9, nodes > 1 ? nodes : 2,
                   comm_where(where, sizeof where));
    }
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int source_check_memory(const struct byte_source *b, struct row_source *s, off_t begin,
                        off_t end, int copies, struct lr_error *e)
{
    const struct source_input *in = &s->in;
    int d = in->lay.n_features + in->lay.has_target + in->lay.has_weight +
            in->lay.has_offset;  /* a row, as read */
    double need = 0, rows = 0;
    if (end > begin) {
        char sample[1 << 16];
        size_t want = (size_t)(end - begin) < sizeof sample ? (size_t)(end - begin) : sizeof sample;
        ssize_t k = byte_pread(b, sample, want, begin);
        int64_t lines = 0;
        for (ssize_t i = 0; i < k; i++)
            lines += sample[i] == '\n';
        rows = k > 0 ? (double)(end - begin) / ((double)k / (double)(lines ? lines : 1)) : 0;
        double block = fmin((double)(end - begin), in->n_threads * (double)(8 << 20));
        double held = in->window_rows > 0 ? fmin(rows, 2.0 * (double)in->window_rows) : rows;
        /* the rows, and a block of text with its rows */
        need = copies * held * d * (double)sizeof(double) + 2 * block;
    }
    s->rows_estimate = rows;
    char what[200];
    if (in->window_rows > 0)
        snprintf(what, sizeof what, "two blocks of %lld rows of %d numbers (--block-rows)",
                 (long long)in->window_rows, d);
    else
        snprintf(what, sizeof what, "their rows (this rank: about %.0f rows of %d numbers%s)",
                 rows, d, copies > 1 ? ", held twice while they move between ranks" : "");
    return node_fits(need, what, in->lay.path, e);
}

int source_check_block(int64_t max_rows, struct lr_error *e)
{
    if (max_rows < 0 || max_rows % PAR_CHUNK_ROWS != 0)
        return lr_fail(e, LR_EUSAGE, "blocks of %lld rows: a block holds a multiple of %d rows",
                       (long long)max_rows, PAR_CHUNK_ROWS);
    return 0;
}

int source_next_block(struct csv_reader **r, const struct byte_source *b, off_t begin,
                      off_t end, const struct source_input *in, int64_t max_rows,
                      struct csv_shard *out, int64_t *lines, struct lr_error *e)
{
    memset(out, 0, sizeof *out);
    int first = !*r;
    if (first)
        *r = csv_reader_open(b, begin, end, &in->lay, in->n_threads);
    int rc = csv_reader_next(*r, max_rows, out, e);
    if (rc >= 0 && first && test_fail_here("parse", comm_rank()))
        rc = lr_fail_at(e, LR_EDATA, in->lay.path, 0, 1, "injected parse failure (test build)");
    /* The first bad record in the data's order is the lowest failing rank's first: the
       ranks below it read the rest of their ranges for theirs, and to count their lines. */
    int64_t lowest = comm_min_i64(rc < 0 ? comm_rank() : comm_size());
    if (lowest < comm_size()) {
        csv_shard_free(out);
        memset(out, 0, sizeof *out);
        if (rc >= 0 && comm_rank() < lowest)
            csv_reader_drain(*r, e);
        *lines = csv_reader_lines(*r);
        return -1;
    }
    *lines = csv_reader_lines(*r);
    if (comm_max_i64(rc) > 0)
        return 1;  /* an empty block where this rank's range has ended */
    csv_shard_free(out);
    memset(out, 0, sizeof *out);
    return 0;
}
