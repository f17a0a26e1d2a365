/* dataset.c — collective loading of a sharded CSV; see dataset.h. */
#include "dataset.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "comm.h"
#include "inputs.h"
#include "par.h"
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
static int share_head(int fd, const struct data_options *o, const struct input_list *il,
                      int64_t *data_start, int64_t *header_lines, int64_t *text,
                      struct head_info *hi, struct lr_error *e)
{
    char *buf = NULL;
    int64_t len = 0;
    if (comm_rank() == 0) {
        struct csv_head h;
        if ((il ? inputs_heads(il, o->delimiter, o->has_header, &h, data_start, header_lines,
                               text, e)
                : csv_read_head(fd, o->path, o->delimiter, o->has_header, &h, e)) == 0) {
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
    if (il) {  /* every file's data start and header lines */
        comm_bcast(data_start, (size_t)il->n * sizeof *data_start, 0);
        comm_bcast(header_lines, (size_t)il->n * sizeof *header_lines, 0);
        comm_bcast(text, (size_t)il->n * sizeof *text, 0);
    }
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

/* The --cov cluster columns into lay: neither the target nor the weights, at most two. */
static int resolve_groups(const struct head_info *hi, const struct data_options *o,
                          const int *slot, struct csv_layout *lay, struct lr_error *e)
{
    int *cols = lr_malloc((strlen(o->groups) + 1) * sizeof *cols), n = 0, rc = -1;
    if (for_each_name(hi, o->groups, "--cov cluster", o->path, cols, &n, e) < 0)
        goto done;
    if (n < 1 || n > CSV_MAX_GROUPS || (n == 2 && cols[0] == cols[1])) {
        lr_fail(e, LR_EUSAGE, "--cov cluster: one or two different columns, as cluster:NAME "
                "or cluster:NAME1,NAME2");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        if (slot[cols[k]] == COL_TARGET || slot[cols[k]] == COL_WEIGHT) {
            lr_fail(e, LR_EUSAGE, "--cov cluster: '%s' is the %s column", hi->names[cols[k]],
                    slot[cols[k]] == COL_TARGET ? "target" : "--weights");
            goto done;
        }
        lay->group_col[k] = cols[k];
    }
    lay->n_groups = n;
    rc = 0;
done:
    free(cols);
    return rc;
}

/* Decide each column's slot; identical on every rank (a function of the head and options).
   A cluster id column (groups) is a feature only where --features names it. */
static int resolve_columns(const struct head_info *hi, const struct data_options *o, int *slot,
                           struct csv_layout *groups, struct dataset *ds,
                           struct lr_error *e)
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
    if (o->weights) {  /* the weight column is neither target nor feature */
        int c = find_column(hi, o->weights);
        if (c >= 0 && c == target) {
            lr_fail(e, LR_EUSAGE, "--weights: '%s' is the target column", o->weights);
            goto done;
        }
        if (c < 0 && !o->weights_optional) {
            no_such_column(hi, o->path, "--weights", o->weights, e);
            goto done;
        }
        if (c >= 0)
            slot[c] = COL_WEIGHT;
    }
    if (o->groups && resolve_groups(hi, o, slot, groups, e) < 0)
        goto done;
    for (int k = 0; k < groups->n_groups; k++)  /* left out unless named in --features */
        if (!o->features && !o->feature_list && slot[groups->group_col[k]] == COL_SKIP)
            slot[groups->group_col[k]] = COL_DROPPED;
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
            if (slot[cols[k]] == COL_WEIGHT) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is the --weights column", o->weights);
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
            if (slot[cols[k]] == COL_WEIGHT) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is the --weights column", o->weights);
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
    char where[300];
    *fd = open(path, O_RDONLY);
    if (*fd < 0)
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot open: %s (%s)", strerror(errno),
                          comm_where(where, sizeof where));
    if (fstat(*fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(*fd);
        *fd = -1;
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read: %s (%s)", strerror(err),
                          comm_where(where, sizeof where));
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
 * Collective: does each node have the memory its ranks need (need: this rank's bytes)? If a
 * node falls short, its ranks fail with LR_ENOMEM: "the N ranks on this node need about X
 * GB for <what>" (what names this rank's share), saying how many nodes the whole job would
 * need (more ranks on the same node do not help).
 */
static int node_fits(double need, const char *what, const char *path, struct lr_error *e)
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

/*
 * Collective: will the matrices of the ranks on each node fit in its memory? Before
 * allocating anything, a rank estimates its rows from the line length in the first 64 KiB
 * of its range; d numbers a row (features, target, weight); copies: 2 when the rows move
 * between ranks after parsing (the old and the new arrays for a moment).
 */
static int check_memory(int fd, const struct data_options *o, off_t begin, off_t end, int d,
                        int copies, struct lr_error *e)
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
        /* the rows, and a block of text with its rows */
        need = copies * rows * d * (double)sizeof(double) + 2 * block;
    }
    char what[200];
    snprintf(what, sizeof what, "their rows (this rank: about %.0f rows of %d numbers%s)", rows,
             d, copies > 1 ? ", held twice while they move between ranks" : "");
    return node_fits(need, what, o->path, e);
}

/* ---- categorical columns and missing values (encode.h) ---- */

/* What the reader needs to know per source column, and the state it borrows. */
struct reader_setup {
    struct enc_reader rd;
    struct enc_na na;
    unsigned char *mode, *miss;
    struct level_dict *fixed;
    int n;
};

static void reader_setup_free(struct reader_setup *rs)
{
    for (int s = 0; rs->fixed && s < rs->n; s++)
        dict_free(&rs->fixed[s]);
    free(rs->fixed);
    free(rs->mode);
    free(rs->miss);
    enc_na_free(&rs->na);
    memset(rs, 0, sizeof *rs);
}

/* How each source column is read: from the model's encoding, or from --categorical and
   --missing. Identical on every rank (a function of the head and the options). */
static int reader_setup(const struct head_info *hi, const int *slot, int d,
                        const struct data_options *o, struct reader_setup *rs, struct lr_error *e)
{
    rs->n = d;
    rs->mode = calloc((size_t)d + 1, 1);
    rs->miss = calloc((size_t)d + 1, 1);
    if (!rs->mode || !rs->miss)
        LR_FATAL("out of memory");
    if (enc_na_init(&rs->na, o->na_values, e) < 0)
        return -1;
    int autodetect = o->categorical && strcmp(o->categorical, "auto") == 0;
    int *cols = lr_malloc(((size_t)hi->n_cols + (o->categorical ? strlen(o->categorical) : 0) + 1) *
                          sizeof *cols), n = 0;
    if (o->categorical && !autodetect && !o->model_enc &&
        for_each_name(hi, o->categorical, "--categorical", o->path, cols, &n, e) < 0) {
        free(cols);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        if (slot[cols[k]] == COL_TARGET) {
            const char *name = hi->names[cols[k]];
            free(cols);
            return lr_fail(e, LR_EUSAGE, "--categorical: '%s' is the target column", name);
        }
        if (slot[cols[k]] == COL_WEIGHT || slot[cols[k]] == COL_SKIP) {
            const char *name = hi->names[cols[k]];
            int weight = slot[cols[k]] == COL_WEIGHT;
            lr_fail(e, LR_EUSAGE, "--categorical: '%s' is %s, not a feature: take it out of "
                    "--categorical%s", name, weight ? "the --weights column" : "left out (--drop, "
                    "or not in --features)", weight ? "" : ", or keep the column");
            free(cols);
            return -1;
        }
        if (slot[cols[k]] >= 0)
            rs->mode[slot[cols[k]]] = READ_LEVEL;
    }
    free(cols);
    int keep = MISSING_MEAN, skip = MISSING_SKIP;
    if (o->model_enc)
        rs->fixed = calloc((size_t)d + 1, sizeof *rs->fixed);
    for (int s = 0; s < d; s++) {
        const struct enc_column *mc = o->model_enc ? &o->model_enc->cols[s] : NULL;
        if (o->raw_levels || (autodetect && !mc))
            rs->mode[s] = READ_AUTO;
        if (mc && mc->kind == ENC_CATEGORICAL) {
            rs->mode[s] = READ_FIXED;
            for (int k = 0; k < mc->n_levels; k++)
                dict_intern(&rs->fixed[s], mc->levels[k], strlen(mc->levels[k]), INT64_MAX,
                            INT64_MAX);
        }
        int categorical = rs->mode[s] == READ_LEVEL || rs->mode[s] == READ_FIXED;
        /* a missing level is all zeros unless rows with missing values are skipped; a
           missing number follows --missing, or the model's fill */
        rs->miss[s] = o->raw_levels ? keep
                      : categorical ? (o->missing == MISSING_SKIP ? skip : keep)
                      : mc && mc->has_fill ? keep : (unsigned char)o->missing;
    }
    rs->rd = (struct enc_reader){
        .mode = rs->mode, .miss = rs->miss, .target_keep_missing = o->target_optional,
        .na = &rs->na, .fixed = rs->fixed, .unknown_error = o->unknown_error,
        .max_entries = o->max_levels + 1 > 100000 ? o->max_levels + 1 : 100000,
        .max_bytes = (int64_t)1 << 28,
    };
    return 0;
}

/* Collective: which --categorical auto columns hold text; a column of both numbers and
   text is an error (the numbers would silently become levels). */
static int decide_auto(const struct csv_shard *sh, const struct reader_setup *rs,
                       const struct dataset *ds, const struct data_options *o,
                       unsigned char *is_level, unsigned char *truncated, struct lr_error *e)
{
    int d = rs->n;
    uint64_t *seen = calloc((size_t)(3 * d + 1), sizeof *seen);
    if (!seen)
        LR_FATAL("out of memory");
    for (int s = 0; s < d; s++)
        for (int b = 0; b < 3; b++)
            seen[3 * s + b] = (sh->seen[s] >> b) & 1;
    comm_sum_u64(seen, 3 * d);
    for (int s = 0; s < d && e->code == LR_OK; s++) {
        truncated[s] = seen[3 * s + 2] > 0;
        is_level[s] = rs->mode[s] == READ_LEVEL || rs->mode[s] == READ_FIXED ||
                      (rs->mode[s] == READ_AUTO && seen[3 * s + 1]);
        if (seen[3 * s + 2] && !o->raw_levels)
            lr_fail_at(e, LR_EDATA, o->path, 0, 0,
                       "column '%s' has more than %lld distinct values (more than --max-levels "
                       "%lld): an id or free-text column? Leave it out with --drop %s",
                       ds->feature_names[s], (long long)(rs->rd.max_entries - 1),
                       (long long)o->max_levels, ds->feature_names[s]);
        else if (rs->mode[s] == READ_AUTO && !o->raw_levels && seen[3 * s] && seen[3 * s + 1])
            lr_fail_at(e, LR_EDATA, o->path, 0, 0,
                       "--categorical auto: column '%s' holds both numbers and text; name it "
                       "with --categorical %s to make every value a level, or leave it out "
                       "with --drop %s", ds->feature_names[s], ds->feature_names[s],
                       ds->feature_names[s]);
    }
    free(seen);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Collective: missing values per source column, all ranks (counted per part of rows,
   parts combined in order: par.h). */
static void count_missing(const double *raw, int64_t n, int d, int n_threads, int64_t *missing)
{
    int64_t parts = par_chunks(n);
    uint64_t *m = calloc((size_t)((parts + 1) * d + 1), sizeof *m);
    if (!m)
        LR_FATAL("out of memory");
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        uint64_t *mk = m + (k + 1) * d;
        for (int64_t i = lo; i < hi; i++)
            for (int s = 0; s < d; s++)
                mk[s] += enc_is_missing_value(raw[i * d + s]);
    }
    for (int64_t k = 0; k < parts; k++)
        for (int s = 0; s < d; s++)
            m[s] += m[(k + 1) * d + s];
    comm_sum_u64(m, d);
    for (int s = 0; s < d; s++)
        missing[s] = (int64_t)m[s];
    free(m);
}

/* The rank's level ids in raw (N×D) → positions in the merged lists. */
static void remap_ids(double *raw, int64_t n, int d, int64_t *const *remap, int n_threads)
{
    for (int s = 0; s < d; s++) {
        if (!remap[s])
            continue;
#pragma omp parallel for num_threads(n_threads) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            int64_t id = enc_level_id(raw[i * d + s]);
            if (id >= 0)
                raw[i * d + s] = enc_level_value((uint64_t)remap[s][id]);
        }
    }
}

/*
 * Collective, after parsing: the levels merged across ranks and the ids remapped to their
 * positions; --max-levels checked; ds->enc built (or copied from the model); X expanded to
 * the design (one-hot and indicator columns), unless o->raw_levels.
 */
static int encode_columns(struct csv_shard *sh, const struct reader_setup *rs,
                          const struct data_options *o, struct dataset *ds, struct lr_error *e)
{
    int d = rs->n, rc = -1;
    unsigned char *is_level = calloc((size_t)d + 1, 1);
    char ***levels = calloc((size_t)d + 1, sizeof *levels);
    int *n_levels = calloc((size_t)d + 1, sizeof *n_levels);
    int64_t **remap = calloc((size_t)d + 1, sizeof *remap), *missing = calloc((size_t)d + 1, 8);
    if (!is_level || !levels || !n_levels || !remap || !missing)
        LR_FATAL("out of memory");
    unsigned char *truncated = calloc((size_t)d + 1, 1);
    if (decide_auto(sh, rs, ds, o, is_level, truncated, e) < 0)
        goto done;
    int bad;
    if (enc_merge(sh->dicts, rs->mode, d, levels, n_levels, remap, &bad) < 0 && !o->raw_levels) {
        lr_fail_at(e, LR_EDATA, o->path, 0, 0, "column '%s': a level is not UTF-8 text or holds "
                   "a NUL byte, which the model file (JSON) cannot record; convert the file to "
                   "UTF-8 (e.g. iconv -f LATIN1 -t UTF-8) or leave the column out with --drop %s",
                   ds->feature_names[bad], ds->feature_names[bad]);
        goto done;
    }
    remap_ids(sh->X, sh->n_rows, d, remap, o->n_threads);
    for (int s = 0; s < d && !o->raw_levels; s++)
        if (is_level[s] && !o->model_enc && n_levels[s] > o->max_levels) {
            lr_fail_at(e, LR_EDATA, o->path, 0, 0,
                       "column '%s' has %d distinct values, more than --max-levels %lld: an id "
                       "or free-text column? Leave it out with --drop %s (or raise --max-levels)",
                       ds->feature_names[s], n_levels[s], (long long)o->max_levels,
                       ds->feature_names[s]);
            goto done;
        }
    count_missing(sh->X, sh->n_rows, d, o->n_threads, missing);
    struct encoding *enc = &ds->enc;
    enc->n_cols = d;
    enc->missing = o->missing;
    enc->cols = calloc((size_t)d, sizeof *enc->cols);
    if (!enc->cols)
        LR_FATAL("out of memory");
    for (int s = 0; s < d; s++) {
        struct enc_column *c = &enc->cols[s];
        const struct enc_column *mc = o->model_enc ? &o->model_enc->cols[s] : NULL;
        c->name = strdup(ds->feature_names[s]);
        c->kind = is_level[s] ? ENC_CATEGORICAL : ENC_NUMERIC;
        c->n_missing = missing[s];
        c->truncated = truncated[s];
        c->reference = !o->no_intercept;
        c->indicator = o->missing_indicator && missing[s] > 0;
        if (mc) {  /* the model's levels, reference, fill and indicator */
            c->n_levels = mc->n_levels;
            c->levels = calloc((size_t)mc->n_levels + 1, sizeof *c->levels);
            for (int k = 0; k < mc->n_levels; k++)
                c->levels[k] = strdup(mc->levels[k]);
            c->reference = mc->reference;
            c->has_fill = mc->has_fill;
            c->fill = mc->fill;
            c->indicator = mc->indicator;
        } else if (is_level[s]) {
            c->n_levels = n_levels[s];
            c->levels = levels[s];
            levels[s] = NULL;
        }
    }
    int identity = 1;  /* numbers only, no indicator: X is the design already */
    for (int s = 0; s < d; s++)
        identity &= enc->cols[s].kind == ENC_NUMERIC && !enc->cols[s].indicator;
    if (identity && !o->raw_levels) {
        double *fill = lr_malloc((size_t)d * sizeof *fill);
        for (int s = 0; s < d; s++)
            fill[s] = enc->cols[s].has_fill ? enc->cols[s].fill : NAN;
        enc_fill(sh->X, sh->n_rows, d, fill, o->n_threads);
        free(fill);
    } else if (!o->raw_levels) {
        int width = enc_width(enc);
        char what[200];  /* the design is allocated beside the rows as read */
        snprintf(what, sizeof what, "the one-hot design (this rank: %lld rows of %d numbers)",
                 (long long)sh->n_rows, width);
        if (node_fits((double)sh->n_rows * width * sizeof(double), what, o->path, e) < 0)
            goto done;
        double *X = lr_malloc(lr_bytes(sh->n_rows ? sh->n_rows : 1, width ? width : 1,
                                       sizeof *X));
        enc_expand(enc, sh->X, sh->n_rows, X, o->n_threads);
        free(sh->X);
        sh->X = X;
        for (int j = 0; j < ds->n_features; j++)
            free(ds->feature_names[j]);
        free(ds->feature_names);
        ds->feature_names = enc_feature_names(enc);
        ds->n_features = width;
        for (int s = 0; s < d; s++)
            enc->cols[s].n_unseen = comm_sum_i64(enc->cols[s].n_unseen);
        if (width == 0)
            lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no feature columns left to use: every "
                       "categorical column has a single level (its reference)");
        if (comm_agree(e) != LR_OK)
            goto done;
    }
    rc = 0;
done:
    for (int s = 0; s < d; s++) {
        for (int k = 0; levels[s] && k < n_levels[s]; k++)
            free(levels[s][k]);
        free(levels[s]);
        free(remap[s]);
    }
    free(levels);
    free(n_levels);
    free(remap);
    free(missing);
    free(is_level);
    free(truncated);
    return rc;
}

/* Gather every rank's first skipped records' lines on rank 0, in stream order: file[k]
   is the k-th one's file (an index in il), lines are final. */
static int by_file_line(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] != y[1] ? (x[1] < y[1] ? -1 : 1) : 0;
}

static void gather_skipped(const struct csv_shard *s, const int *file,
                           const struct input_list *il, struct dataset *ds)
{
    enum { K = CSV_FIRST_SKIPPED, W = 3 * K + 1 };  /* count, then (file, first, last) */
    int p = comm_size();
    int64_t mine[W] = {s->n_first_skipped};
    for (int k = 0; k < s->n_first_skipped; k++) {
        mine[3 * k + 1] = file ? file[k] : 0;
        mine[3 * k + 2] = s->first_skipped[k];
        mine[3 * k + 3] = s->first_skipped_last[k];
    }
    int64_t *all = comm_rank() == 0 ? lr_malloc((size_t)p * sizeof mine) : NULL;
    comm_gather(mine, all, sizeof mine);
    int64_t *got = all ? lr_malloc((size_t)p * K * 3 * sizeof *got) : NULL;
    int m = 0;
    for (int r = 0; all && r < p; r++)
        for (int k = 0; k < all[(size_t)r * W]; k++, m++)
            memcpy(got + 3 * m, all + (size_t)r * W + 3 * k + 1, 3 * sizeof *got);
    if (got && m > 1)
        qsort(got, (size_t)m, 3 * sizeof *got, by_file_line);
    for (int k = 0; k < m && k < K; k++) {
        ds->first_skipped[k] = got[3 * k + 1];
        ds->first_skipped_last[k] = got[3 * k + 2];
        if (file && !(ds->first_skipped_path[k] = strdup(il->path[got[3 * k]])))
            LR_FATAL("out of memory");
        ds->n_first_skipped = k + 1;
    }
    free(got);
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

/* Collective: Σ ω over all ranks into ds->weight_total; all-zero weights are an error (no
   row would count). The per-rank sums add in rank order. */
static int dataset_weight_total(struct dataset *ds, const char *path, struct lr_error *e)
{
    double s = 0;
    for (int64_t i = 0; i < ds->n_rows; i++)
        s += ds->w[i];
    int p = comm_size();
    double *all = lr_malloc((size_t)p * sizeof *all);
    comm_allgather(&s, all, sizeof s);
    ds->weight_total = 0;
    for (int r = 0; r < p; r++)
        ds->weight_total += all[r];
    free(all);
    if (ds->weight_total > 0 && isfinite(ds->weight_total))
        return 0;
    return lr_fail_at(e, LR_EDATA, path, 0, 0, "the --weights column's weights %s: no row "
                      "would count", ds->weight_total > 0 ? "add up to more than a double holds"
                      : "are all zero");
}

/*
 * The dataset's part of a cache (cache.h's "meta"), as JSON: the feature names after
 * encoding, the encoding with what reading counted (missing values, unseen levels, a
 * truncated dictionary), and the rows skipped for a missing value.
 */
static char *cache_blob(const struct dataset *ds, int64_t *len)
{
    json_t *names = json_array(), *unseen = json_array(), *trunc = json_array();
    for (int j = 0; j < ds->n_features; j++)
        json_array_append_new(names, json_string(ds->feature_names[j]));
    for (int c = 0; c < ds->enc.n_cols; c++) {
        json_array_append_new(unseen, json_integer(ds->enc.cols[c].n_unseen));
        json_array_append_new(trunc, json_integer(ds->enc.cols[c].truncated));
    }
    json_t *root = json_pack("{s:o, s:o, s:o, s:I}", "features", names, "unseen", unseen,
                             "truncated", trunc, "skipped_missing",
                             (json_int_t)ds->n_skipped_missing);
    if (ds->enc.n_cols > 0)
        json_object_set_new(root, "encoding", enc_to_json(&ds->enc));
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        LR_FATAL("out of memory");
    *len = (int64_t)strlen(text);
    return text;
}

/* The other way: ds's names (n_source of them, replaced) and encoding from a cache's blob
   for its n_features columns; -1 if it is not one (ds's names left as they were). */
static int cache_unblob(const char *text, struct dataset *ds, int n_source)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *names = json_object_get(root, "features"), *enc = json_object_get(root, "encoding");
    json_t *unseen = json_object_get(root, "unseen"), *trunc = json_object_get(root, "truncated");
    const char *why;
    int rc = -1;
    if (!json_is_array(names) || json_array_size(names) != (size_t)ds->n_features ||
        (enc && enc_from_json(enc, &ds->enc, &why) < 0) ||
        json_array_size(unseen) != (size_t)ds->enc.n_cols ||
        json_array_size(trunc) != (size_t)ds->enc.n_cols)
        goto done;
    char **fn = lr_malloc((size_t)(ds->n_features ? ds->n_features : 1) * sizeof *fn);
    for (int j = 0; j < ds->n_features; j++) {
        const char *n = json_string_value(json_array_get(names, (size_t)j));
        fn[j] = strdup(n ? n : "");
        if (!fn[j])
            LR_FATAL("out of memory");
    }
    for (int c = 0; c < ds->enc.n_cols; c++) {
        ds->enc.cols[c].n_unseen = json_integer_value(json_array_get(unseen, (size_t)c));
        ds->enc.cols[c].truncated = (int)json_integer_value(json_array_get(trunc, (size_t)c));
    }
    ds->n_skipped_missing = json_integer_value(json_object_get(root, "skipped_missing"));
    for (int j = 0; j < n_source; j++)
        free(ds->feature_names[j]);
    free(ds->feature_names);
    ds->feature_names = fn;
    rc = 0;
done:
    json_decref(root);
    if (rc < 0) {
        enc_free(&ds->enc);
        ds->n_features = n_source;
    }
    return rc;
}

int dataset_load(const struct data_options *o, struct dataset *ds, struct lr_error *e)
{
    memset(ds, 0, sizeof *ds);
    memset(e, 0, sizeof *e);
    struct head_info hi = {0};
    struct csv_shard shard = {0};
    struct reader_setup rs = {0};
    int fd = -1, *slot = NULL, rc = -1, n_source = 0;
    int64_t size = 0;
    char **source_names = NULL;  /* --cache: its key, the source feature names (a copy:
                                    encoding replaces ds's) */
    struct cache_csv cc = {.fd = -1};  /* --cache: the files it must have seen */

    /* several inputs, directories or compressed files (inputs.h): plain files read in
       place as one stream (concat), or with a compressed file each rank's files in a memfd
       (share), its rows moved afterwards */
    struct input_list il = {0};
    struct input_share sh = {.fd = -1};
    struct input_concat cat = {.fd = -1};
    int64_t *data_start = NULL, *header_lines = NULL, *text = NULL, *stream_lines = NULL;
    int skipped_file[CSV_FIRST_SKIPPED];
    char *const one[1] = {(char *)o->path};
    if (comm_rank() == 0)  /* one list for all ranks */
        inputs_expand(o->n_paths ? o->paths : one, o->n_paths ? o->n_paths : 1, o->glob, &il, e);
    if (comm_agree(e) != LR_OK)
        goto done;
    inputs_bcast(&il);
    int multi = !inputs_single_plain(&il), concat = multi;
    for (int f = 0; f < il.n; f++)
        concat &= il.comp[f] == IN_PLAIN;
    int share = multi && !concat;
    if (multi) {
        data_start = lr_malloc((size_t)il.n * sizeof *data_start);
        header_lines = lr_malloc((size_t)il.n * sizeof *header_lines);
        text = lr_malloc((size_t)il.n * sizeof *text);
        for (int f = 0; f < il.n; f++)
            ds->file_bytes += il.size[f];
    } else if (test_fail_here("open", comm_rank())) {
        lr_fail_at(e, LR_ENOINPUT, o->path, 0, 0, "cannot open: injected failure (test build)");
    } else {
        open_input(o->path, &fd, &size, e);
        ds->file_bytes = size;
    }
    if (comm_agree(e) != LR_OK)
        goto done;
    if (share_head(fd, o, multi ? &il : NULL, data_start, header_lines, text, &hi, e) < 0)
        goto done;
    slot = lr_malloc((size_t)hi.n_cols * sizeof *slot);
    struct csv_layout groups = {0};  /* only its cluster columns */
    resolve_columns(&hi, o, slot, &groups, ds, e);
    if (comm_agree(e) != LR_OK)
        goto done;

    if (o->encode) {
        reader_setup(&hi, slot, ds->n_features, o, &rs, e);
        if (comm_agree(e) != LR_OK)
            goto done;
    }
    int has_weight = 0;  /* from the slots: a weights column left out is not read */
    for (int c = 0; c < hi.n_cols; c++)
        has_weight |= slot[c] == COL_WEIGHT;
    struct csv_layout lay = {
        .path = o->path, .delimiter = o->delimiter, .n_cols = hi.n_cols, .slot = slot,
        .names = hi.names, .n_features = ds->n_features, .has_target = ds->has_target,
        .has_weight = has_weight, .n_groups = groups.n_groups,
        .group_col = {groups.group_col[0], groups.group_col[1]},
        .groups_skip_missing = o->missing == MISSING_SKIP,
        .skip_bad_rows = o->skip_bad_rows, .text_ok = !o->want_target && !o->encode,
        .enc = o->encode ? &rs.rd : NULL,
        .hint = o->feature_list ? CSV_HINT_MODEL : o->features ? CSV_HINT_FEATURES : CSV_HINT_DROP,
    };
    int n_numbers = lay.n_features + lay.has_target + lay.has_weight;  /* a row's, as read */
    /* --cache: a valid cache replaces the parsing; otherwise the parse keeps what the cache
       needs (where each record starts) and writes it at the end */
    struct cache_fingerprint fp;
    n_source = ds->n_features;
    if (o->cache) {
        off_t lo, hi_nominal;  /* the memory check, on the nominal range */
        shard_nominal((off_t)hi.data_start, (off_t)size, comm_rank(), comm_size(), &lo,
                      &hi_nominal);
        cache_fingerprint(&lay, o, &fp);
        int64_t stream = 0;  /* the stream's length: plain files' now, else at the write */
        for (int f = 0; concat && f < il.n; f++)
            stream += text[f];
        if (multi ? cache_csv_init_list(&cc, &il, data_start, concat ? stream : -1, e) < 0
                  : check_memory(fd, o, lo, hi_nominal, n_numbers, 1, e) < 0 ||
                        cache_csv_init(&cc, o->path, fd, hi.data_start, e) < 0)
            goto done;
        source_names = lr_malloc((size_t)(n_source ? n_source : 1) * sizeof *source_names);
        for (int j = 0; j < n_source; j++)
            if (!(source_names[j] = strdup(ds->feature_names[j])))
                LR_FATAL("out of memory");
        struct cache_meta cm = {.source_names = source_names, .n_source = n_source};
        int got = cache_read(o->cache, o->cache_verify_full, &cc, &fp, ds, &cm, o->n_threads,
                             o->quiet, e);
        if (got > 0 && cache_unblob(cm.blob, ds, n_source) < 0) {  /* the same on every rank */
            if (comm_rank() == 0 && !o->quiet)
                fprintf(stderr, "linreg_mpi: warning: the cache '%s' is corrupt: its meta "
                        "section does not parse: reading %s and writing the cache again\n",
                        o->cache, o->path);
            free(ds->X), free(ds->y), free(ds->w), free(ds->skipped_at);
            ds->X = ds->y = ds->w = NULL, ds->skipped_at = NULL;
            ds->n_rows = ds->n_skipped_local = 0;
            got = 0;
        }
        free(cm.blob);
        if (got < 0 || comm_agree(e) != LR_OK)
            goto done;
        if (got > 0)
            goto loaded;
        lay.keep_offsets = 1;
    }
    off_t begin = 0, end = 0;
    if (concat) {  /* one stream, split as one file */
        int odd_lo, odd_hi;
        inputs_concat_open(&il, data_start, text, &cat, e);
        if (comm_agree(e) != LR_OK ||
            inputs_concat_quotes(&cat, &odd_lo, &odd_hi, &lay.quote_free, e) < 0)
            goto done;
        fd = cat.fd;
        shard_range(fd, o->path, 0, (off_t)cat.start[il.n], comm_rank(), comm_size(), odd_lo,
                    odd_hi, &begin, &end, e);
        inputs_concat_failed(&cat, e);
        if (comm_agree(e) != LR_OK)
            goto done;
    } else if (share) {
        if (inputs_share(&il, data_start, &sh, e) < 0)
            goto done;
        fd = sh.fd;
        end = (off_t)sh.bytes;  /* an estimate (the memory check): the text is still coming */
        lay.quote_free = 0;  /* known only at its end */
        lay.keep_offsets = 1;  /* the rows move by their place in the stream */
    } else if (find_range(fd, o->path, (off_t)hi.data_start, (off_t)size, &begin, &end,
                          &lay.quote_free, e) < 0) {
        goto done;
    }
    if (check_memory(fd, o, begin, end, n_numbers, share ? 2 : 1, e) < 0)
        goto done;
    if (test_fail_here("alloc", comm_rank()))
        free(lr_malloc((size_t)1 << 62));  /* an allocation that fails, as out of memory */
    csv_read_range(fd, begin, share ? CSV_STREAM_END : end, &lay, o->n_threads, &shard, e);
    int err_file = -1;  /* share: the file of this rank's error */
    if (share)  /* a stream error is the cause of any the reader saw: it wins */
        inputs_share_wait(&sh, e, &err_file);
    if (concat)
        inputs_concat_failed(&cat, e);
    if (e->code == LR_OK && test_fail_here("parse", comm_rank()))
        lr_fail_at(e, LR_EDATA, o->path, 0, 1, "injected parse failure (test build)");
    /* Lines: csv_read_range counts from its range's start. One file: the header, then the
       lines of lower ranks; several: each file's own (concat: through the stream's lines
       per file, counted only when a message needs them). */
    int64_t line0 = (concat ? 0 : hi.header_lines + 1) + comm_exscan_i64(shard.n_lines);
    int need_lines = concat && comm_max_i64(e->code == LR_EDATA || shard.n_first_skipped > 0);
    if (need_lines) {
        struct lr_error e2 = {0};
        stream_lines = lr_malloc((size_t)(il.n + 1) * sizeof *stream_lines);
        if (inputs_concat_lines(&cat, begin, end, stream_lines, &e2) < 0 && e->code == LR_OK)
            *e = e2;
    }
    for (int k = 0; k < shard.n_first_skipped; k++) {
        int64_t *first = &shard.first_skipped[k], *last = &shard.first_skipped_last[k];
        if (!multi) {
            *first += line0;
            *last += line0;
        } else if (concat) {
            skipped_file[k] = inputs_concat_place(&il, stream_lines, header_lines,
                                                  line0 + *first, first);
            inputs_concat_place(&il, stream_lines, header_lines, line0 + *last, last);
        } else {
            skipped_file[k] = inputs_place(&sh, header_lines, *first, first);
            inputs_place(&sh, header_lines, *last, last);
        }
    }
    if (e->code == LR_EDATA && err_file < 0 && multi && (!concat || stream_lines)) {
        err_file = concat ? inputs_concat_place(&il, stream_lines, header_lines,
                                                line0 + e->line, &e->line)
                          : inputs_place(&sh, header_lines, e->line, &e->line);
        snprintf(e->file, sizeof e->file, "%s", il.path[err_file]);
    } else if (e->code == LR_EDATA && !multi) {
        e->line += line0;
    }
    if (share) {  /* the ranks' files are not in input order: the stream's first error wins,
                     as in the one CSV (not the lowest rank's) */
        int64_t key = e->code != LR_OK && err_file >= 0 ? ((int64_t)err_file << 40) + e->line
                                                         : INT64_MAX;
        if (key > comm_min_i64(key) && e->code != LR_OK && err_file >= 0)
            memset(e, 0, sizeof *e);
    }
    if (comm_agree(e) != LR_OK)
        goto done;
    if (o->encode && encode_columns(&shard, &rs, o, ds, e) < 0)
        goto done;
    gather_skipped(&shard, multi ? skipped_file : NULL, &il, ds);
    if (share)
        inputs_redistribute(&il, &sh, &shard, ds->n_features, ds->has_target, has_weight);

    ds->n_rows = shard.n_rows;
    ds->X = shard.X;  /* the dataset owns the rows from here */
    ds->y = shard.y;
    ds->w = shard.w;
    ds->g = shard.g;
    ds->n_groups = shard.n_groups;
    ds->n_skipped_local = shard.n_skipped;
    ds->skipped_at = shard.skipped_at;
    shard.X = shard.y = shard.w = NULL;
    shard.g = NULL;
    shard.skipped_at = NULL;
    ds->n_rows_total = comm_sum_i64(shard.n_rows);
    ds->n_skipped_total = comm_sum_i64(shard.n_skipped);
    ds->n_skipped_missing = comm_sum_i64(shard.n_skipped_missing);
    if (ds->n_rows_total == 0) {
        if (ds->n_skipped_total > 0)
            lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no valid data rows: all %lld were skipped",
                       (long long)ds->n_skipped_total);
        else
            lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no data rows%s",
                       hi.header_lines ? " after the header" : "");
        goto done;
    }
    if (o->cache) {  /* a failure is a warning: the run goes on without the cache */
        struct cache_meta cm = {.source_names = source_names, .n_source = n_source};
        cm.blob = cache_blob(ds, &cm.blob_len);
        if (multi)  /* the stream's length (compressed: every rank's share of it) */
            cc.size = concat ? cat.start[il.n] : comm_sum_i64(sh.bytes);
        cache_write(o->cache, &cc, &fp, ds, &cm, shard.row_at, shard.skipped_off,
                    o->n_threads, o->quiet);
        free(cm.blob);
    }
loaded:
    ds->weight_total = (double)ds->n_rows_total;
    if (ds->w && dataset_weight_total(ds, o->path, e) < 0)
        goto done;
    rc = 0;
done:
    if (fd >= 0 && fd != sh.fd && fd != cat.fd)
        close(fd);
    inputs_share_free(&sh);
    inputs_concat_close(&cat);
    cache_csv_free(&cc);
    inputs_free(&il);
    free(data_start);
    free(header_lines);
    free(text);
    free(stream_lines);
    csv_shard_free(&shard);  /* a rank whose own range parsed, when another rank failed */
    free(slot);
    for (int j = 0; source_names && j < n_source; j++)
        free(source_names[j]);
    free(source_names);
    reader_setup_free(&rs);
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
    for (int k = 0; k < CSV_FIRST_SKIPPED; k++)
        free(ds->first_skipped_path[k]);
    free(ds->feature_names);
    free(ds->target_name);
    free(ds->X);
    free(ds->y);
    free(ds->w);
    free(ds->g);
    enc_free(&ds->enc);
    memset(ds, 0, sizeof *ds);
}

void dataset_print_encoding(const struct dataset *ds, const char *label, FILE *out)
{
    const char *sep = label ? ": " : "";
    label = label ? label : "";
    for (int s = 0; s < ds->enc.n_cols; s++) {  /* how missing and unseen levels were read */
        const struct enc_column *c = &ds->enc.cols[s];
        if (c->kind == ENC_CATEGORICAL && c->n_missing > 0)
            fprintf(out, "linreg_mpi: %s%scolumn '%s': %lld missing value%s encoded as all-zero "
                    "level columns\n", label, sep, c->name, (long long)c->n_missing,
                    c->n_missing == 1 ? "" : "s");
        if (c->n_unseen > 0)
            fprintf(out, "linreg_mpi: %s%scolumn '%s': %lld value%s of levels not seen in training "
                    "encoded as all zeros (--unknown-level error refuses them)\n", label, sep,
                    c->name,
                    (long long)c->n_unseen, c->n_unseen == 1 ? "" : "s");
        if (c->kind == ENC_NUMERIC && c->n_missing > 0 && c->has_fill)
            fprintf(out, "linreg_mpi: %s%scolumn '%s': %lld missing value%s filled with %.17g\n",
                    label, sep, c->name, (long long)c->n_missing, c->n_missing == 1 ? "" : "s",
                    c->fill);
    }
}

void dataset_print_skipped(const struct dataset *ds, const char *label, FILE *out)
{
    const char *sep = label ? ": " : "";
    label = label ? label : "";
    if (ds->n_skipped_total == 0)
        return;
    int64_t bad = ds->n_skipped_total - ds->n_skipped_missing;
    if (ds->n_skipped_missing > 0)
        fprintf(out, "linreg_mpi: %s%sskipped %lld row%s (%lld bad (--on-bad-row skip), %lld with a "
                "missing value: a missing target, or --missing skip)", label, sep,
                (long long)ds->n_skipped_total, ds->n_skipped_total == 1 ? "" : "s",
                (long long)bad, (long long)ds->n_skipped_missing);
    else
        fprintf(out, "linreg_mpi: %s%sskipped %lld bad row%s (--on-bad-row skip)", label, sep,
                (long long)bad,
                bad == 1 ? "" : "s");
    fprintf(out, "; first at line%s",
            ds->n_first_skipped == 1 && ds->first_skipped_last[0] == ds->first_skipped[0]
                ? "" : "s");
    for (int k = 0; k < ds->n_first_skipped; k++) {
        fprintf(out, "%s %s%s%lld", k ? "," : "", ds->first_skipped_path[k] ?
                ds->first_skipped_path[k] : "", ds->first_skipped_path[k] ? ":" : "",
                (long long)ds->first_skipped[k]);
        if (ds->first_skipped_last[k] > ds->first_skipped[k])  /* a record of several lines */
            fprintf(out, "-%lld", (long long)ds->first_skipped_last[k]);
    }
    fputc('\n', out);
}
