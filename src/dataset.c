/* dataset.c — collective loading of a sharded CSV; see dataset.h. */
#include "dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "comm.h"
#include "shard.h"
#include "test_hooks.h"

/* What rank 0 learns from the head of the file and every rank needs. */
struct head_info {
    int64_t data_start, header_lines;
    int n_cols;
    char **names;
};

static void head_info_free(struct head_info *hi)
{
    for (int c = 0; hi->names && c < hi->n_cols; c++)
        free(hi->names[c]);
    free(hi->names);
    memset(hi, 0, sizeof *hi);
}

/* Rank 0 packs the head into bytes; every rank unpacks the broadcast copy. */
static char *head_pack(const struct csv_head *h, size_t *len)
{
    size_t n = 2 * sizeof(int64_t) + sizeof(int);
    for (int c = 0; c < h->n_cols; c++)
        n += strlen(h->names[c]) + 1;
    char *buf = lr_malloc(n), *p = buf;
    int64_t start = h->data_start;
    memcpy(p, &start, sizeof start), p += sizeof start;
    memcpy(p, &h->header_lines, sizeof h->header_lines), p += sizeof h->header_lines;
    memcpy(p, &h->n_cols, sizeof h->n_cols), p += sizeof h->n_cols;
    for (int c = 0; c < h->n_cols; c++) {
        size_t k = strlen(h->names[c]) + 1;
        memcpy(p, h->names[c], k), p += k;
    }
    *len = n;
    return buf;
}

static void head_unpack(const char *p, struct head_info *hi)
{
    memcpy(&hi->data_start, p, sizeof hi->data_start), p += sizeof hi->data_start;
    memcpy(&hi->header_lines, p, sizeof hi->header_lines), p += sizeof hi->header_lines;
    memcpy(&hi->n_cols, p, sizeof hi->n_cols), p += sizeof hi->n_cols;
    hi->names = lr_malloc((size_t)hi->n_cols * sizeof *hi->names);
    for (int c = 0; c < hi->n_cols; c++) {
        hi->names[c] = strdup(p);
        p += strlen(p) + 1;
    }
}

/* Rank 0 reads the head; all ranks get it. Collective. */
static int share_head(int fd, const struct data_options *o, struct head_info *hi,
                      struct lr_error *e)
{
    char *buf = NULL;
    int64_t len = 0;
    if (comm_rank() == 0) {
        struct csv_head h;
        if (csv_read_head(fd, o->path, o->delimiter, o->has_header, &h, e) == 0) {
            size_t n;
            buf = head_pack(&h, &n);
            len = (int64_t)n;
            csv_head_free(&h);
        }
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    comm_bcast(&len, sizeof len, 0);
    if (comm_rank() != 0)
        buf = lr_malloc((size_t)len);
    comm_bcast(buf, (size_t)len, 0);
    head_unpack(buf, hi);
    free(buf);
    return 0;
}

static int find_column(const struct head_info *hi, const char *name)
{
    for (int c = 0; c < hi->n_cols; c++)
        if (strcmp(hi->names[c], name) == 0)
            return c;
    return -1;
}

static int no_such_column(const struct head_info *hi, const char *path, const char *what,
                          const char *name, struct lr_error *e)
{
    char list[256] = "";
    size_t at = 0;
    for (int c = 0; c < hi->n_cols && at < sizeof list - 8; c++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", c ? ", " : "", hi->names[c]);
    if (at >= sizeof list - 8)
        strcpy(list + sizeof list - 8, ", ...");
    return lr_fail_at(e, LR_EDATA, path, hi->header_lines ? 1 : 0, 0,
                      "%s: no column named '%s' (columns: %s)", what, name, list);
}

/* Column indices of a comma-separated list of names; -1 if a name is unknown. */
static int for_each_name(const struct head_info *hi, const char *list, const char *what,
                         const char *path, int *cols, int *n, struct lr_error *e)
{
    char *copy = strdup(list), *save = NULL;
    *n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        /* spaces around a name go, as they do around header names: "a, b" names b */
        tok += strspn(tok, " \t");
        for (size_t len = strlen(tok); len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t');)
            tok[--len] = '\0';
        int c = find_column(hi, tok);
        if (c < 0) {
            no_such_column(hi, path, what, tok, e);
            free(copy);
            return -1;
        }
        cols[(*n)++] = c;
    }
    free(copy);
    return 0;
}

enum { COL_DROPPED = -3 };  /* a slot value while resolving: --drop named it */

/* Decide each column's slot; identical on every rank (a function of the head and options). */
static int resolve_columns(const struct head_info *hi, const struct data_options *o, int *slot,
                           struct dataset *ds, struct lr_error *e)
{
    int n_cols = hi->n_cols, target = -1, n;
    /* room for every name a list can hold (a name has at least one character) */
    size_t cap = (size_t)n_cols + (size_t)o->n_feature_list + 1 +
                 (o->features ? strlen(o->features) : 0) + (o->drop ? strlen(o->drop) : 0);
    int *cols = lr_malloc(cap * sizeof *cols);
    int rc = -1;
    for (int c = 0; c < n_cols; c++)
        slot[c] = COL_SKIP;
    if (o->want_target) {
        if (!o->target) {
            target = n_cols - 1;
        } else if ((target = find_column(hi, o->target)) < 0) {
            char *end;
            long k = strtol(o->target, &end, 10);
            if (*o->target && !*end && k >= 1 && k <= n_cols) {
                target = (int)k - 1;
            } else if (*o->target && !*end && !o->target_optional) {
                lr_fail_at(e, LR_EUSAGE, o->path, 0, 0,
                           "--target: no column named '%s', and column numbers go from 1 to %d",
                           o->target, n_cols);
                goto done;
            } else if (!o->target_optional) {
                char what[64] = "--target";
                if (o->columns_of)
                    snprintf(what, sizeof what, "%s's target", o->columns_of);
                no_such_column(hi, o->path, what, o->target, e);
                goto done;
            }
        }
        if (target >= 0)
            slot[target] = COL_TARGET;
    }
    int d = 0;
    if (o->feature_list) {
        for (n = 0; n < o->n_feature_list; n++)
            if ((cols[n] = find_column(hi, o->feature_list[n])) < 0) {
                char what[64] = "the features";
                if (o->columns_of)
                    snprintf(what, sizeof what, "%s's features", o->columns_of);
                no_such_column(hi, o->path, what, o->feature_list[n], e);
                goto done;
            }
    } else if (o->features &&
               for_each_name(hi, o->features, "--features", o->path, cols, &n, e) < 0) {
        goto done;
    }
    if (o->features || o->feature_list) {
        for (int k = 0; k < n; k++) {
            if (cols[k] == target) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is the target column", hi->names[target]);
                goto done;
            }
            if (slot[cols[k]] >= 0) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is listed twice", hi->names[cols[k]]);
                goto done;
            }
            slot[cols[k]] = d++;
        }
    }
    if (o->drop) {
        if (for_each_name(hi, o->drop, "--drop", o->path, cols, &n, e) < 0)
            goto done;
        for (int k = 0; k < n; k++) {
            if (cols[k] == target) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is the target column", hi->names[target]);
                goto done;
            }
            if (slot[cols[k]] >= 0) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is also in --features", hi->names[cols[k]]);
                goto done;
            }
            slot[cols[k]] = COL_DROPPED;
        }
    }
    for (int c = 0; c < n_cols; c++) {
        if (slot[c] == COL_DROPPED)
            slot[c] = COL_SKIP;
        else if (!o->features && !o->feature_list && slot[c] == COL_SKIP)
            slot[c] = d++;
    }
    if (d == 0) {
        const char *hint = "";
        if (n_cols == 1 && strpbrk(hi->names[0], ";\t|"))
            hint = strchr(hi->names[0], ';')    ? " (the header is one column: --delimiter ';'?)"
                   : strchr(hi->names[0], '\t') ? " (the header is one column: --delimiter tab?)"
                                                : " (the header is one column: --delimiter '|'?)";
        lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no %s left to use%s",
                   o->want_target ? "feature columns" : "columns", hint);
        goto done;
    }
    ds->n_features = d;
    ds->feature_names = lr_malloc((size_t)d * sizeof(char *));
    for (int c = 0; c < n_cols; c++)
        if (slot[c] >= 0)
            ds->feature_names[slot[c]] = strdup(hi->names[c]);
    ds->target_name = target >= 0 ? strdup(hi->names[target]) : NULL;
    ds->has_target = target >= 0;
    rc = 0;
done:
    free(cols);
    return rc;
}

static int open_input(const char *path, int *fd, int64_t *size, struct lr_error *e)
{
    struct stat st;
    *fd = open(path, O_RDONLY);
    if (*fd < 0)
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot open: %s", strerror(errno));
    if (fstat(*fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(*fd);
        *fd = -1;
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read: %s", strerror(err));
    }
    *size = (int64_t)st.st_size;
    return 0;
}

/* Bytes this node can still give: MemAvailable, or the cgroup's room if smaller; 0 when
   unknown (then nothing is checked). */
static double node_memory_available(void)
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

/*
 * Collective: will the matrices of the ranks on each node fit in its memory? Before
 * allocating anything, a rank estimates its rows from the line length in the first 64 KiB
 * of its range. If a node falls short, its ranks fail with LR_ENOMEM, saying how many
 * nodes the whole job would need (more ranks on the same node do not help).
 */
static int check_memory(int fd, const struct data_options *o, off_t begin, off_t end, int d,
                        int has_target, struct lr_error *e)
{
    double need = 0, rows = 0;
    if (end > begin) {
        char sample[1 << 16];
        size_t want = (size_t)(end - begin) < sizeof sample ? (size_t)(end - begin) : sizeof sample;
        ssize_t k = shard_pread(fd, sample, want, begin);
        int64_t lines = 0;
        for (ssize_t i = 0; i < k; i++)
            lines += sample[i] == '\n';
        rows = k > 0 ? (double)(end - begin) / ((double)k / (double)(lines ? lines : 1)) : 0;
        double block = fmin((double)(end - begin), o->n_threads * (double)(8 << 20));
        need = rows * (d + has_target) * (double)sizeof(double) + 2 * block;  /* + a block of
                                                                   text and its rows */
    }
    double node_need = comm_node_sum(need), usable = 0.9 * node_memory_available();
    double total = need;
    comm_sum(&total, 1);
    if (usable > 0 && node_need > usable) {
        int nodes = (int)ceil(total / usable);
        lr_fail_at(e, LR_ENOMEM, o->path, 0, 0,
                   "the %d rank%s on this node need about %.2f GB for their rows (this rank: "
                   "about %.0f rows of %d numbers), but %.2f GB are available; spread the job "
                   "over at least %d nodes (more ranks on one node do not help)",
                   comm_node_size(), comm_node_size() > 1 ? "s" : "", node_need / 1e9, rows,
                   d + has_target, usable / 0.9 / 1e9, nodes > 1 ? nodes : 2);
    }
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Gather every rank's first skipped records' lines on rank 0, in file order. */
static void gather_skipped(const struct csv_shard *s, int64_t line0, struct dataset *ds)
{
    enum { W = 2 * CSV_FIRST_SKIPPED + 1 };  /* count, then first and last line pairs */
    int p = comm_size();
    int64_t mine[W] = {s->n_first_skipped};
    for (int k = 0; k < s->n_first_skipped; k++) {
        mine[2 * k + 1] = line0 + s->first_skipped[k];
        mine[2 * k + 2] = line0 + s->first_skipped_last[k];
    }
    int64_t *all = comm_rank() == 0 ? lr_malloc((size_t)p * sizeof mine) : NULL;
    comm_gather(mine, all, sizeof mine);
    for (int r = 0; all && r < p; r++) {
        const int64_t *a = all + (size_t)r * W;
        for (int k = 0; k < a[0] && ds->n_first_skipped < CSV_FIRST_SKIPPED; k++) {
            ds->first_skipped[ds->n_first_skipped] = a[2 * k + 1];
            ds->first_skipped_last[ds->n_first_skipped++] = a[2 * k + 2];
        }
    }
    free(all);
}

/* This rank's byte range. Where records start depends on the quote parity there, so each
   rank counts the quotes of its nominal piece and one exscan gives every rank the parity
   before and after its piece; both ends then move to the next record start. A file
   without quotes is told so (*quote_free): its blocks need no parity scan. Collective. */
static int find_range(int fd, const char *path, off_t data_start, off_t size, off_t *begin,
                      off_t *end, int *quote_free, struct lr_error *e)
{
    off_t lo, hi;
    int64_t mine = 0;
    shard_nominal(data_start, size, comm_rank(), comm_size(), &lo, &hi);
    shard_count_quotes(fd, path, lo, hi, &mine, e);
    int64_t before = comm_exscan_i64(mine);
    *quote_free = comm_sum_i64(mine) == 0;
    if (comm_agree(e) != LR_OK)
        return -1;
    shard_range(fd, path, data_start, size, comm_rank(), comm_size(), (int)(before & 1),
                (int)((before + mine) & 1), begin, end, e);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int dataset_load(const struct data_options *o, struct dataset *ds, struct lr_error *e)
{
    memset(ds, 0, sizeof *ds);
    memset(e, 0, sizeof *e);
    struct head_info hi = {0};
    struct csv_shard shard = {0};
    int fd = -1, *slot = NULL, rc = -1;
    int64_t size = 0;

    if (test_fail_here("open", comm_rank()))
        lr_fail_at(e, LR_ENOINPUT, o->path, 0, 0, "cannot open: injected failure (test build)");
    else
        open_input(o->path, &fd, &size, e);
    if (comm_agree(e) != LR_OK)
        goto done;
    ds->file_bytes = size;
    if (share_head(fd, o, &hi, e) < 0)
        goto done;
    slot = lr_malloc((size_t)hi.n_cols * sizeof *slot);
    resolve_columns(&hi, o, slot, ds, e);
    if (comm_agree(e) != LR_OK)
        goto done;

    struct csv_layout lay = {
        .path = o->path, .delimiter = o->delimiter, .n_cols = hi.n_cols, .slot = slot,
        .names = hi.names, .n_features = ds->n_features, .has_target = ds->has_target,
        .skip_bad_rows = o->skip_bad_rows, .text_ok = !o->want_target,
        .hint = o->feature_list ? CSV_HINT_MODEL : o->features ? CSV_HINT_FEATURES : CSV_HINT_DROP,
    };
    /* --cache: a valid cache replaces the parsing; otherwise the parse keeps what the cache
       needs (where each record starts) and writes it at the end */
    struct cache_csv cc;
    struct cache_fingerprint fp;
    if (o->cache) {
        off_t lo, hi_nominal;  /* the memory check, on the nominal range */
        shard_nominal((off_t)hi.data_start, (off_t)size, comm_rank(), comm_size(), &lo,
                      &hi_nominal);
        cache_fingerprint(&lay, o->has_header, &fp);
        if (check_memory(fd, o, lo, hi_nominal, lay.n_features, lay.has_target, e) < 0 ||
            cache_csv_init(&cc, o->path, fd, hi.data_start, e) < 0)
            goto done;
        int got = cache_read(o->cache, o->cache_verify_full, &cc, &fp, ds, o->n_threads,
                             o->quiet, e);
        if (got != 0) {
            rc = got > 0 ? 0 : -1;
            goto done;
        }
        lay.keep_offsets = 1;
    }
    off_t begin = 0, end = 0;
    if (find_range(fd, o->path, (off_t)hi.data_start, (off_t)size, &begin, &end,
                   &lay.quote_free, e) < 0 ||
        check_memory(fd, o, begin, end, lay.n_features, lay.has_target, e) < 0)
        goto done;
    if (test_fail_here("alloc", comm_rank()))
        free(lr_malloc((size_t)1 << 62));  /* an allocation that fails, as out of memory */
    csv_read_range(fd, begin, end, &lay, o->n_threads, &shard, e);
    if (e->code == LR_OK && test_fail_here("parse", comm_rank()))
        lr_fail_at(e, LR_EDATA, o->path, 0, 1, "injected parse failure (test build)");
    /* Global line of this rank's first line: header, then the lines of lower ranks. */
    int64_t line0 = hi.header_lines + comm_exscan_i64(shard.n_lines) + 1;
    if (e->code == LR_EDATA)  /* csv_read_range counts lines from its range's start */
        e->line += line0;
    if (comm_agree(e) != LR_OK)
        goto done;

    ds->n_rows = shard.n_rows;
    ds->X = shard.X;  /* the dataset owns the rows from here */
    ds->y = shard.y;
    ds->n_skipped_local = shard.n_skipped;
    ds->skipped_at = shard.skipped_at;
    shard.X = shard.y = NULL;
    shard.skipped_at = NULL;
    ds->n_rows_total = comm_sum_i64(shard.n_rows);
    ds->n_skipped_total = comm_sum_i64(shard.n_skipped);
    gather_skipped(&shard, line0, ds);
    if (ds->n_rows_total == 0) {
        if (ds->n_skipped_total > 0)
            lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no valid data rows: all %lld were skipped",
                       (long long)ds->n_skipped_total);
        else
            lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no data rows%s",
                       hi.header_lines ? " after the header" : "");
        goto done;
    }
    if (o->cache)  /* a failure is a warning: the run goes on without the cache */
        cache_write(o->cache, &cc, &fp, ds, shard.row_at, shard.skipped_off, o->n_threads,
                    o->quiet);
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    csv_shard_free(&shard);  /* a rank whose own range parsed, when another rank failed */
    free(slot);
    head_info_free(&hi);
    if (rc < 0)
        dataset_free(ds);
    return rc;
}

void dataset_free(struct dataset *ds)
{
    for (int j = 0; ds->feature_names && j < ds->n_features; j++)
        free(ds->feature_names[j]);
    free(ds->skipped_at);
    free(ds->feature_names);
    free(ds->target_name);
    free(ds->X);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

void dataset_print_skipped(const struct dataset *ds, FILE *out)
{
    if (ds->n_skipped_total == 0)
        return;
    fprintf(out, "linreg_mpi: skipped %lld bad row%s (--on-bad-row skip); first at line%s",
            (long long)ds->n_skipped_total, ds->n_skipped_total == 1 ? "" : "s",
            ds->n_first_skipped == 1 && ds->first_skipped_last[0] == ds->first_skipped[0]
                ? "" : "s");
    for (int k = 0; k < ds->n_first_skipped; k++) {
        fprintf(out, "%s %lld", k ? "," : "", (long long)ds->first_skipped[k]);
        if (ds->first_skipped_last[k] > ds->first_skipped[k])  /* a record of several lines */
            fprintf(out, "-%lld", (long long)ds->first_skipped_last[k]);
    }
    fputc('\n', out);
}
