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
#include "cli.h"
#include "encode_collective.h"
#include "formula_data.h"
#include "comm.h"
#include "hash.h"
#include "inputs.h"
#include "par.h"
#include "scratch.h"
#include "shard.h"
#include "source.h"
#include "stats.h"
#include "test_hooks.h"

/* Rank 0 packs the head into bytes; every rank unpacks the broadcast copy. */
static char *head_pack(const struct csv_head *h, size_t *len)
{
    size_t n = 2 * sizeof(int64_t) + 2 * sizeof(int);
    for (int c = 0; c < h->n_cols; c++)
        n += strlen(h->names[c]) + 1;
    char *buf = lr_malloc(n), *p = buf;
    int64_t start = h->data_start;
    memcpy(p, &start, sizeof start), p += sizeof start;
    memcpy(p, &h->header_lines, sizeof h->header_lines), p += sizeof h->header_lines;
    memcpy(p, &h->n_cols, sizeof h->n_cols), p += sizeof h->n_cols;
    memcpy(p, &h->first_unnamed, sizeof h->first_unnamed), p += sizeof h->first_unnamed;
    for (int c = 0; c < h->n_cols; c++) {
        size_t k = strlen(h->names[c]) + 1;
        memcpy(p, h->names[c], k), p += k;
    }
    *len = n;
    return buf;
}

static void head_unpack(const char *p, struct csv_head *hi)
{
    memcpy(&hi->data_start, p, sizeof hi->data_start), p += sizeof hi->data_start;
    memcpy(&hi->header_lines, p, sizeof hi->header_lines), p += sizeof hi->header_lines;
    memcpy(&hi->n_cols, p, sizeof hi->n_cols), p += sizeof hi->n_cols;
    memcpy(&hi->first_unnamed, p, sizeof hi->first_unnamed), p += sizeof hi->first_unnamed;
    hi->names = lr_malloc((size_t)hi->n_cols * sizeof *hi->names);
    for (int c = 0; c < hi->n_cols; c++) {
        hi->names[c] = lr_strdup(p);
        p += strlen(p) + 1;
    }
}

/* Rank 0 reads the head; all ranks get it. Collective. */
static int share_head(int fd, const struct data_options *o, const struct input_list *il,
                      int64_t *data_start, int64_t *header_lines, int64_t *text,
                      struct csv_head *hi, struct lr_error *e)
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

enum { COL_DROPPED = -3 };  /* a slot value while resolving: --drop named it */

/* The --cov cluster columns into lay: neither the target nor the weights, at most two. */
static int resolve_groups(const struct csv_head *hi, const struct data_options *o,
                          const int *slot, struct csv_layout *lay, struct lr_error *e)
{
    int *cols = lr_malloc((strlen(o->groups) + 1) * sizeof *cols), n = 0, rc = -1;
    const char *opt = o->groups_option ? o->groups_option : "--cov cluster";
    if (csv_columns_named(hi, o->groups, opt, o->path, cols, &n, e) < 0)
        goto done;
    if (n < 1 || n > CSV_MAX_GROUPS || (n == 2 && cols[0] == cols[1])) {
        lr_fail(e, LR_EUSAGE, "--cov cluster: one or two different columns, as cluster:NAME "
                "or cluster:NAME1,NAME2");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        if (slot[cols[k]] == COL_TARGET || slot[cols[k]] == COL_WEIGHT ||
            slot[cols[k]] == COL_OFFSET) {
            lr_fail(e, LR_EUSAGE, "%s: '%s' is the %s column", opt,
                    lr_shown(hi->names[cols[k]]).s,
                    slot[cols[k]] == COL_TARGET ? "target" : slot[cols[k]] == COL_WEIGHT ?
                    "--weights" : "--offset");
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

/* With a formula: the --weights, --offset and --cov cluster columns besides the ones it
   reads. R's lm() also takes a weights column that the formula reads, `.` included; one
   column here is read one way, so the formula must leave it out (`y ~ . - w`). The offset
   column may be one the formula reads, as R allows (`y ~ x + o, offset = o`): then the
   offsets are that feature's values as read (*offset_read: its slot; -1 when the column is
   read for the offset alone). */
static int formula_extra_columns(const struct csv_head *hi, const struct data_options *o,
                                 int *slot, struct csv_layout *groups, int *offset_read,
                                 int *offset_col, struct lr_error *e)
{
    *offset_read = -1;
    if (o->weights) {
        int c = csv_find_column(hi, o->weights);
        if (c < 0 && !o->weights_optional)
            return csv_no_such_column(hi, o->path, "--weights", o->weights, e);
        if (c >= 0 && slot[c] == COL_TARGET)
            return lr_fail(e, LR_EUSAGE, "--weights: '%s' is the formula's response",
                           lr_shown(o->weights).s);
        const char *response = "y";
        for (int k = 0; k < hi->n_cols; k++)
            if (slot[k] == COL_TARGET)
                response = hi->names[k];
        if (c >= 0 && slot[c] != COL_SKIP)
            return lr_fail(e, LR_EUSAGE, "--weights: '%s' is read by the formula (R's lm() "
                           "would make it a regressor too); leave it out of the right-hand "
                           "side, as in '%s ~ . - %s'", lr_shown(o->weights).s,
                           lr_shown(response).s, lr_shown(o->weights).s);
        if (c >= 0)
            slot[c] = COL_WEIGHT;
    }
    if (o->offset) {
        int c = csv_find_column(hi, o->offset);
        if (c < 0) {
            char what[64] = "--offset";
            if (o->columns_of)
                snprintf(what, sizeof what, "%s's --offset", o->columns_of);
            return csv_no_such_column(hi, o->path, what, o->offset, e);
        }
        if (slot[c] == COL_TARGET || slot[c] == COL_WEIGHT)
            return lr_fail(e, LR_EUSAGE, "--offset: '%s' is the %s column",
                           lr_shown(o->offset).s,
                           slot[c] == COL_TARGET ? "response" : "--weights");
        if (slot[c] >= 0)
            *offset_read = slot[c], *offset_col = c;
        else
            slot[c] = COL_OFFSET;
    }
    return o->groups ? resolve_groups(hi, o, slot, groups, e) : 0;
}

/* Decide each column's slot; identical on every rank (a function of the head and options).
   A cluster id column (groups) is a feature only where --features names it. */
static int resolve_columns(const struct csv_head *hi, const struct data_options *o, int *slot,
                           struct csv_layout *groups, struct dataset *ds, struct lr_error *e)
{
    int n_cols = hi->n_cols, target = -1, n;
    /* room for every name a list can hold (a name has at least one character) */
    const struct encoding *model = o->enc.model_enc;  /* its source columns: the features */
    size_t cap = (size_t)n_cols + (size_t)(model ? model->n_cols : 0) + 1 +
                 (o->features ? strlen(o->features) : 0) + (o->drop ? strlen(o->drop) : 0);
    int *cols = lr_malloc(cap * sizeof *cols);
    int rc = -1;
    for (int c = 0; c < n_cols; c++)
        slot[c] = COL_SKIP;
    if (o->want_target) {
        if (!o->target) {
            target = n_cols - 1;
        } else if ((target = csv_find_column(hi, o->target)) < 0) {
            char *end;
            long k = strtol(o->target, &end, 10);
            if (*o->target && !*end && k >= 1 && k <= n_cols) {
                target = (int)k - 1;
            } else if (*o->target && !*end && !o->target_optional) {
                lr_fail_at(e, LR_EUSAGE, o->path, 0, 0,
                           "--target: no column named '%s', and column numbers go from 1 to %d",
                           lr_shown(o->target).s, n_cols);
                goto done;
            } else if (!o->target_optional) {
                char what[64] = "--target";
                if (o->columns_of)
                    snprintf(what, sizeof what, "%s's target", o->columns_of);
                csv_no_such_column(hi, o->path, what, o->target, e);
                goto done;
            }
        }
        if (target >= 0)
            slot[target] = COL_TARGET;
    }
    if (o->weights) {  /* the weight column is neither target nor feature */
        int c = csv_find_column(hi, o->weights);
        if (c >= 0 && c == target) {
            lr_fail(e, LR_EUSAGE, "--weights: '%s' is the target column",
                    lr_shown(o->weights).s);
            goto done;
        }
        if (c < 0 && !o->weights_optional) {
            csv_no_such_column(hi, o->path, "--weights", o->weights, e);
            goto done;
        }
        if (c >= 0)
            slot[c] = COL_WEIGHT;
    }
    if (o->offset) {  /* the offset column too: added to the prediction, not a feature */
        int c = csv_find_column(hi, o->offset);
        if (c >= 0 && slot[c] != COL_SKIP) {
            lr_fail(e, LR_EUSAGE, "--offset: '%s' is the %s column", lr_shown(o->offset).s,
                    slot[c] == COL_TARGET ? "target" : "--weights");
            goto done;
        }
        if (c < 0) {
            /* predict, evaluate and --test all read a file with a model's offset (--test:
               the model being trained), so all three say so the same way */
            csv_no_such_column(hi, o->path, o->columns_of ? "the model's --offset" : "--offset",
                               o->offset, e);
            goto done;
        }
        slot[c] = COL_OFFSET;
    }
    if (o->groups && resolve_groups(hi, o, slot, groups, e) < 0)
        goto done;
    for (int k = 0; k < groups->n_groups; k++)  /* left out unless named in --features */
        if (!o->features && !model && slot[groups->group_col[k]] == COL_SKIP)
            slot[groups->group_col[k]] = COL_DROPPED;
    int d = 0;
    if (model) {
        for (n = 0; n < model->n_cols; n++)
            if ((cols[n] = csv_find_column(hi, model->cols[n].name)) < 0) {
                char what[64] = "the features";
                if (o->columns_of)
                    snprintf(what, sizeof what, "%s's features", o->columns_of);
                csv_no_such_column(hi, o->path, what, model->cols[n].name, e);
                goto done;
            }
    } else if (o->features &&
               csv_columns_named(hi, o->features, "--features", o->path, cols, &n, e) < 0) {
        goto done;
    }
    if (o->features || model) {
        for (int k = 0; k < n; k++) {
            if (cols[k] == target) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is the target column",
                        lr_shown(hi->names[target]).s);
                goto done;
            }
            if (slot[cols[k]] == COL_WEIGHT || slot[cols[k]] == COL_OFFSET) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is the %s column",
                        lr_shown(hi->names[cols[k]]).s,
                        slot[cols[k]] == COL_WEIGHT ? "--weights" : "--offset");
                goto done;
            }
            if (slot[cols[k]] >= 0) {
                lr_fail(e, LR_EUSAGE, "--features: '%s' is listed twice",
                        lr_shown(hi->names[cols[k]]).s);
                goto done;
            }
            slot[cols[k]] = d++;
        }
    }
    if (o->drop) {
        if (csv_columns_named(hi, o->drop, "--drop", o->path, cols, &n, e) < 0)
            goto done;
        for (int k = 0; k < n; k++) {
            if (cols[k] == target) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is the target column",
                        lr_shown(hi->names[target]).s);
                goto done;
            }
            if (slot[cols[k]] == COL_WEIGHT || slot[cols[k]] == COL_OFFSET) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is the %s column",
                        lr_shown(hi->names[cols[k]]).s,
                        slot[cols[k]] == COL_WEIGHT ? "--weights" : "--offset");
                goto done;
            }
            if (slot[cols[k]] >= 0) {
                lr_fail(e, LR_EUSAGE, "--drop: '%s' is also in --features",
                        lr_shown(hi->names[cols[k]]).s);
                goto done;
            }
            slot[cols[k]] = COL_DROPPED;
        }
    }
    /* an unnamed first column that nothing names is an index, not a feature (train) */
    if (o->drop_index && hi->first_unnamed && !o->features && slot[0] == COL_SKIP)
        slot[0] = COL_DROPPED, ds->index_dropped = 1;
    for (int c = 0; c < n_cols; c++) {
        if (slot[c] == COL_DROPPED)
            slot[c] = COL_SKIP;
        else if (!o->features && !model && slot[c] == COL_SKIP)
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
            ds->feature_names[slot[c]] = lr_strdup(hi->names[c]);
    ds->target_name = target >= 0 ? lr_strdup(hi->names[target]) : NULL;
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
        if (file)
            ds->first_skipped_path[k] = lr_strdup(il->path[got[3 * k]]);
        ds->n_first_skipped = k + 1;
    }
    free(got);
    free(all);
}

/* This rank's Σ ω, in row order, added to *s. */
static void add_weights(const double *w, int64_t n, double *s)
{
    for (int64_t i = 0; w && i < n; i++)
        *s += w[i];
}

/* Collective: Σ ω over all ranks (s: this rank's) into ds->weight_total; all-zero weights are an error (no
   row would count). The per-rank sums add in rank order. */
static int dataset_weight_total(struct dataset *ds, double s, const char *path,
                                struct lr_error *e)
{
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

/* This rank's rows from a block: the dataset owns them from here. */
static void take_rows(struct dataset *ds, struct csv_shard *b)
{
    ds->n_rows = b->n_rows;
    ds->X = b->X;
    ds->y = b->y;
    ds->w = b->w;
    ds->offset = b->offset;
    b->offset = NULL;
    ds->g = b->g;
    ds->n_groups = b->n_groups;
    ds->n_skipped_local = b->n_skipped;
    ds->skipped_at = b->skipped_at;
    b->X = b->y = b->w = NULL;
    b->g = NULL;
    b->skipped_at = NULL;
}

/* The columns and encoding of a row source whose rows come encoded (source.h's
   described): ds takes them. */
static void take_described(struct dataset *ds, struct cache_meta *m)
{
    for (int j = 0; j < ds->n_features; j++)
        free(ds->feature_names[j]);
    free(ds->feature_names);
    ds->feature_names = m->feature_names;
    ds->n_features = m->n_features;
    ds->enc = m->enc;
    m->feature_names = NULL;
    memset(&m->enc, 0, sizeof m->enc);
}

/* What dataset_load's phases share. */
struct load {
    struct input_list il;      /* the inputs, expanded (inputs.h) */
    int multi;                 /* not one plain file */
    int fd;                    /* one plain file: read through it; -1 for several */
    int64_t size;
    int64_t *data_start, *header_lines, *text;  /* per file (inputs_heads) */
    struct csv_head head;      /* the first file's, on every rank */
    int *slot;                 /* per column: feature slot, COL_TARGET, ... (csv_reader.h) */
    struct enc_setup rs;       /* how each source column is read */
    struct enc_options enc;    /* the options' encoding, with a formula's read */
    struct source_input in;    /* what the row source is opened with */
    struct row_source src;
    struct csv_shard rows;     /* this rank's rows until the dataset takes them */
    struct source_cache sc;    /* --cache */
    char **source_names;       /* --cache: its key, the source feature columns (a copy:
                                  encoding replaces ds's names) */
    int n_source;
    double weight_sum;         /* this rank's Σ ω, in row order */
    struct row_places places;  /* --formula: how a bad row's offset is placed (locate.h) */
    int offset_read;           /* --formula: the feature slot the --offset values are read
                                  from, the formula reading that column too; -1: none */
    int offset_col;            /* ... and that column */
};

/* Stream mode: this rank's rows on disk, as read, and how a block of them is encoded; or,
   from a valid --cache, the cache's rows themselves, already encoded. */
struct data_stream {
    struct scratch sc;         /* the rows as read (from a cache: not open, but its d, has_y,
                                  has_w and n_rows say what a pass reads) */
    struct cache_rows *cache;  /* the rows in the cache, read block by block; NULL: sc */
    double *fill;              /* from a cache: dataset_fill's values (n_features), applied
                                  to every block; NULL: none */
    struct scratch at;         /* the first pass with --cache and no valid cache: where each
                                  row's record starts, for writing the cache (fd -1: none) */
    struct enc_plan plan;      /* from the first pass (enc_decide) */
    int64_t block_rows;
    double *raw, *design;      /* the block as read, and expanded (one-hot, indicators) */
    double *X, *y, *w;         /* the block last given: X is raw or design */
    int passes;                /* passes read back */
    int n_threads;
    const double *mean, *scale;  /* dataset_scale's, applied to every block; NULL: none */
    const char *dir;           /* --scratch */
    struct scratch_blocks done;  /* the blocks as handed out (encoded, scaled once
                                    dataset_scale is called), written by the first pass
                                    after the file is opened and mapped back by the later
                                    ones (fd -1: none; then each pass decodes again) */
    int done_state;            /* 0: none; 1: the pass that writes it; 2: complete */
    int many_passes;           /* data_options.many_passes: keep the blocks (done) */
    int plan_borrowed;         /* plan is another data set's (dataset_split's part) */
    struct scratch keys;       /* per row, as the bits of doubles: its cluster keys, and
                                  with keep_places its --offset value and where its record
                                  starts (fd -1: none), for the passes that ask */
    int key_offset, key_at;    /* the columns of keys holding those two (-1: none) */
    int keys_pass;             /* this pass reads keys (dataset_rewind_keys) */
    int offset_response;       /* --formula with --offset: every pass reads the offsets, to
                                  take them off the response the formula makes */
    int keys_read;             /* the block given last has its keys read already */
    uint64_t *g;               /* the block's keys and offsets, read from keys */
    double *offset;
    int64_t keys_rows;         /* rows of room in g and offset */
};

static void load_free(struct load *L)
{
    if (L->src.m)
        L->src.m->close(&L->src);
    if (L->fd >= 0)
        close(L->fd);
    cache_csv_free(&L->sc.files);
    cache_meta_free(&L->sc.meta);
    inputs_free(&L->il);
    free(L->data_start);
    free(L->header_lines);
    free(L->text);
    csv_shard_free(&L->rows);  /* a rank whose own range parsed, when another rank failed */
    free(L->slot);
    for (int j = 0; L->source_names && j < L->n_source; j++)
        free(L->source_names[j]);
    free(L->source_names);
    enc_setup_free(&L->rs);
    csv_head_free(&L->head);
    row_places_free(&L->places);
}

/* Collective: the inputs expanded (rank 0's list, on every rank); one plain file opened. */
static int open_inputs(struct load *L, const struct data_options *o, struct dataset *ds,
                       struct lr_error *e)
{
    char *const one[1] = {(char *)o->path};
    char *const *args = o->n_paths ? o->paths : one;
    if (comm_rank() == 0 && inputs_expand(args, o->n_paths ? o->n_paths : 1, o->glob, &L->il,
                                          e) == 0)
        inputs_check(&L->il, args, e);
    if (comm_agree(e) != LR_OK)
        return -1;
    inputs_bcast(&L->il);
    L->multi = !inputs_single_plain(&L->il);
    L->data_start = lr_malloc((size_t)L->il.n * sizeof *L->data_start);
    L->header_lines = lr_malloc((size_t)L->il.n * sizeof *L->header_lines);
    L->text = lr_malloc((size_t)L->il.n * sizeof *L->text);
    if (L->multi) {
        for (int f = 0; f < L->il.n; f++)
            ds->file_bytes += L->il.size[f];
    } else if (test_fail_here("open", comm_rank())) {
        lr_fail_at(e, LR_ENOINPUT, L->il.path[0], 0, 0,
                   "cannot open: injected failure (test build)");
    } else {
        open_input(L->il.path[0], &L->fd, &L->size, e);  /* o->path may be its directory */
        ds->file_bytes = L->size;
    }
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Collective: the header on every rank, the columns resolved, how each is read, and the
   layout the row source parses with. */
static int read_columns(struct load *L, const struct data_options *o, struct dataset *ds,
                        struct lr_error *e)
{
    if (share_head(L->fd, o, L->multi ? &L->il : NULL, L->data_start, L->header_lines,
                   L->text, &L->head, e) < 0)
        return -1;
    if (!L->multi) {
        L->data_start[0] = L->head.data_start;
        L->header_lines[0] = L->head.header_lines;
    }
    L->slot = lr_malloc((size_t)L->head.n_cols * sizeof *L->slot);
    struct csv_layout groups = {0};  /* only its cluster columns */
    L->enc = o->enc;
    L->offset_read = -1;
    if (o->formula) {  /* the columns the formula reads, kept unexpanded (formula_data.h) */
        ds->formula = o->formula;
        o->formula->delimiter = o->delimiter;
        o->formula->unknown_error = o->enc.unknown_error;
        o->formula->response_optional = o->target_optional;
        o->formula->aside[0] = o->weights, o->formula->aside[1] = o->offset;
        if (fdata_columns(o->formula, &L->head, o->path, o->target_optional, L->slot, ds,
                          e) == 0) {
            L->enc.formula_levels = o->formula->level_slot;
            L->enc.no_intercept = 1;  /* every level kept: the formula codes them */
            formula_extra_columns(&L->head, o, L->slot, &groups, &L->offset_read,
                                  &L->offset_col, e);
        }
    } else {
        resolve_columns(&L->head, o, L->slot, &groups, ds, e);
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    enc_setup_init(&L->rs, &L->head, L->slot, ds->n_features, &L->enc, o->path, o->n_threads,
                   o->target_optional, e);
    if (comm_agree(e) != LR_OK)
        return -1;
    int has_weight = 0, has_offset = 0;  /* from the slots: a weights column left out is
                                            not read */
    for (int c = 0; c < L->head.n_cols; c++)
        has_weight |= L->slot[c] == COL_WEIGHT, has_offset |= L->slot[c] == COL_OFFSET;
    L->in = (struct source_input){
        .l = &L->il, .fd = L->fd, .size = L->size, .data_start = L->data_start,
        .header_lines = L->header_lines, .text = L->multi ? L->text : NULL,
        .n_threads = o->n_threads,
        .lay = {
            .path = o->path, .delimiter = o->delimiter, .n_cols = L->head.n_cols,
            .slot = L->slot, .names = L->head.names, .n_features = ds->n_features,
            .has_target = ds->has_target, .has_weight = has_weight, .has_offset = has_offset,
            .n_groups = groups.n_groups, .group_col = {groups.group_col[0], groups.group_col[1]},
            .groups_skip_missing = o->enc.missing == MISSING_SKIP,
            .skip_bad_rows = o->skip_bad_rows, .block_bytes = (size_t)test_block_bytes(),
            /* a formula's response is made from the target after the read: the offset
               comes off then (offset_response) */
            .enc = &L->rs.rd, .offset_target = has_offset && o->offset_target && !o->formula,
            .keep_offsets = o->keep_places || o->formula != NULL,  /* where rows are: the
                                  influential ones, a formula's bad one (formula_data.h) */
            .keep_missing_rows = o->formula && fdata_keeps_missing(o->formula),
            .hint = o->enc.model_enc ? CSV_HINT_MODEL : o->features ? CSV_HINT_FEATURES
                                                                   : CSV_HINT_DROP,
            .formula = o->formula != NULL,
        },
    };
    L->n_source = ds->n_features;
    return 0;
}

static int fill_places(const struct load *L, struct row_places *pl);

/* With keep_places: where each row's record starts and how to turn that into a file and a
   line (locate.h), when the rows came from plain files as text. */
static void keep_places(struct load *L, struct dataset *ds)
{
    if (fill_places(L, &ds->places) && !ds->stream) {  /* streamed, the offsets are on disk
                                                          (dataset_row_at) */
        ds->row_at = L->rows.row_at;
        L->rows.row_at = NULL;
    }
}

/* How the row source's offsets are placed (locate.h), into pl; 0 (pl left empty) when they
   cannot be: compressed inputs, the cache. */
static int fill_places(const struct load *L, struct row_places *pl)
{
    if (L->src.m == source_compressed() || L->src.m == source_cache())
        return 0;  /* the same kind on every rank: every rank places, or none */
    for (int f = 0; f < L->il.n; f++)
        if (L->il.comp[f] != IN_PLAIN)  /* streamed: offsets in text not on disk */
            return 0;
    pl->n = L->il.n;
    pl->path = lr_malloc((size_t)pl->n * sizeof *pl->path);
    pl->data_start = lr_malloc((size_t)pl->n * sizeof *pl->data_start);
    for (int f = 0; f < pl->n; f++)
        pl->path[f] = lr_strdup(L->il.path[f]), pl->data_start[f] = L->data_start[f];
    if (L->multi) {
        pl->start = lr_malloc(((size_t)pl->n + 1) * sizeof *pl->start);
        pl->start[0] = 0;
        for (int f = 0; f < pl->n; f++)
            pl->start[f + 1] = pl->start[f] + L->text[f];
    }
    return 1;
}

/* With --cache: what the row source checks the cache against (its key: the source
   columns, and the options), and where. */
static void cache_setup(struct load *L, const struct data_options *o, const struct dataset *ds)
{
    L->sc = (struct source_cache){.path = o->cache, .full = o->cache_verify_full,
                                  .quiet = o->quiet, .files = {.fd = -1}};
    cache_fingerprint(&L->in.lay, o->has_header, o->target_optional, &o->enc, &L->sc.fp);
    L->source_names = lr_malloc((size_t)(L->n_source ? L->n_source : 1) *
                                sizeof *L->source_names);
    for (int j = 0; j < L->n_source; j++)
        L->source_names[j] = lr_strdup(ds->feature_names[j]);
    L->sc.meta = (struct cache_meta){.source_names = L->source_names,
                                     .n_source = L->n_source, .target = ds->target_name};
    L->in.cache = &L->sc;
}

/* The first skipped records' lines of a block, placed: file and line in it. */
static void place_skipped(const struct row_source *src, struct csv_shard *b, int *file)
{
    for (int k = 0; k < b->n_first_skipped; k++) {
        file[k] = src->m->place(src, b->first_skipped[k], &b->first_skipped[k]);
        src->m->place(src, b->first_skipped_last[k], &b->first_skipped_last[k]);
    }
}

/* Collective: one pass of the row source into L->rows, as one block (the test build can
   read it in blocks and put them together: test_hooks.h). */
static int read_pass(struct load *L, struct lr_error *e)
{
    int64_t max_rows = L->src.m == source_compressed() ? 0 : test_max_rows();
    if (max_rows == 0)
        return L->src.m->next(&L->src, 0, &L->rows, e);
    struct csv_shard b;
    int rc, d = L->src.described ? L->src.described->n_features : L->in.lay.n_features;
    while ((rc = L->src.m->next(&L->src, max_rows, &b, e)) > 0)
        csv_shard_append(&L->rows, &b, d);
    return rc;
}

/* Collective: the totals of the rows read (L->rows counts them: they may be elsewhere), and
   a data set left without rows refused. */
static int count_rows(struct load *L, const struct data_options *o, struct dataset *ds,
                      struct lr_error *e)
{
    ds->n_rows_total = comm_sum_i64(L->rows.n_rows);
    ds->n_skipped_total = comm_sum_i64(L->rows.n_skipped);
    ds->n_skipped_missing = comm_sum_i64(L->rows.n_skipped_missing);
    if (ds->n_rows_total > 0)
        return 0;
    if (ds->n_skipped_total > 0)
        return lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no valid data rows: all %lld were "
                          "skipped", (long long)ds->n_skipped_total);
    return lr_fail_at(e, LR_EDATA, o->path, 0, 0, "no data rows%s",
                      L->head.header_lines ? " after the header" : "");
}

/* Stream mode's block: about 32 MiB of rows as read, a whole number of parts (par.h). */
static int64_t default_block_rows(const struct source_input *in)
{
    int64_t row = 8 * (int64_t)(in->lay.n_features + in->lay.has_target + in->lay.has_weight);
    int64_t rows = ((int64_t)32 << 20) / (row ? row : 8) / PAR_CHUNK_ROWS * PAR_CHUNK_ROWS;
    return rows > PAR_CHUNK_ROWS ? rows : PAR_CHUNK_ROWS;
}

/* Collective, stream mode: a list's compressed files measured, so that their stream is
   read in place block by block as plain files' is (inputs.h). */
static int measure_inputs(struct load *L, struct lr_error *e)
{
    int compressed = 0;
    for (int f = 0; f < L->il.n; f++)
        compressed |= L->il.comp[f] != IN_PLAIN;
    return compressed ? inputs_measure(&L->il, L->data_start, L->text, e) : 0;
}

/* Collective: the row source opened. --memory auto: resident when the node's memory holds
   the rows; when it does not (LR_ENOMEM on every rank, from the cache's probe or from
   opening the files), the source again in stream mode, with one line saying so. */
static int open_source(struct load *L, const struct data_options *o, struct lr_error *e)
{
    int64_t window = o->block_rows ? o->block_rows : default_block_rows(&L->in);
    L->in.window_rows = o->memory == MEMORY_STREAM ? window : 0;
    int rc = L->in.window_rows && measure_inputs(L, e) < 0 ? -1 : source_init(&L->src, &L->in, e);
    if (rc == 0 && L->src.m->open(&L->src, e) == 0)
        return 0;
    if (o->memory != MEMORY_AUTO || e->code != LR_ENOMEM)
        return -1;
    struct lr_error resident = *e;  /* the error unless the window fits */
    memset(e, 0, sizeof *e);
    if (L->src.m)
        L->src.m->close(&L->src);
    L->in.window_rows = window;
    if (measure_inputs(L, e) < 0 || source_init(&L->src, &L->in, e) < 0 ||
        L->src.m->open(&L->src, e) < 0) {
        if (e->code == LR_ENOMEM)
            *e = resident;
        return -1;
    }
    const char *dir = o->scratch ? o->scratch : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (comm_rank() == 0 && !o->quiet && L->src.m == source_cache())
        fprintf(stderr, "linreg_mpi: the rows do not fit in memory (%s): reading them in "
                "stream mode (--memory auto), blocks of %lld rows read from the cache "
                "'%s'\n", resident.msg, (long long)window, o->cache);
    else if (comm_rank() == 0 && !o->quiet)
        fprintf(stderr, "linreg_mpi: the rows do not fit in memory (%s): reading them in "
                "stream mode (--memory auto), blocks of %lld rows kept between passes in a "
                "scratch file in %s (--scratch)\n", resident.msg, (long long)window, dir);
    return 0;
}

/* Collective, --formula: when the formula reads the --offset column too, rows's offsets
   are that feature's values as read (n_features wide, encoded as ds says): numbers, as the
   column read for the offset alone must hold. rows NULL: that check alone. */
static int offset_of_feature(const struct load *L, const struct dataset *ds,
                             struct csv_shard *rows, const char *path, struct lr_error *e)
{
    int s = L->offset_read, d = L->in.lay.n_features;
    if (s < 0)
        return 0;
    if (ds->enc.cols[s].kind == ENC_CATEGORICAL)
        lr_fail_at(e, LR_EDATA, path, 0, 0, "--offset: column '%s' holds text, which the "
                   "formula reads as levels; the offset must be a number on every row",
                   lr_shown(L->head.names[L->offset_col]).s);
    if (comm_agree(e) != LR_OK)
        return -1;
    if (!rows)  /* streamed: each block's, as it is read */
        return 0;
    int64_t n = rows->n_rows;
    free(rows->offset);
    rows->offset = lr_malloc(lr_bytes(n ? n : 1, 1, sizeof *rows->offset));
    for (int64_t i = 0; i < n; i++)
        rows->offset[i] = rows->X[i * d + s];
    return 0;
}

/* --formula with --offset: y, the response as the formula makes it, less the offset: R's
   lm(log(y) ~ x, offset = o) fits log(y) - o, the offset added on the formula's scale. */
static void offset_response(double *y, const double *offset, int64_t n)
{
    for (int64_t i = 0; y && offset && i < n; i++)
        y[i] -= offset[i];
}

/* Collective: this rank's rows from the row source the inputs call for (one pass, its one
   block: the whole share), encoded, their skipped records placed. */
static int read_rows(struct load *L, const struct data_options *o, struct dataset *ds,
                     struct lr_error *e)
{
    int skipped_file[CSV_FIRST_SKIPPED];
    if (test_fail_here("alloc", comm_rank()))
        free(lr_malloc((size_t)1 << 62));  /* an allocation that fails, as out of memory */
    if (read_pass(L, e) < 0)
        return -1;
    place_skipped(&L->src, &L->rows, skipped_file);
    if (L->src.described)  /* rows that come encoded */
        take_described(ds, L->src.described);
    else if (enc_columns(&L->rows, &L->rs, &L->enc, &ds->feature_names, &ds->n_features,
                         &ds->enc, e) < 0)
        return -1;
    if (o->formula) {  /* the design, and the rows a transformation cannot take dropped */
        fill_places(L, &L->places);
        if (offset_of_feature(L, ds, &L->rows, o->path, e) < 0 ||
            fdata_apply(o->formula, ds, &L->rows, &L->places, o->path, o->skip_bad_rows,
                        o->n_threads, e) < 0)
            return -1;
        if (o->offset_target)
            offset_response(L->rows.y, L->rows.offset, L->rows.n_rows);
        fdata_first_skipped(o->formula, &L->rows, L->multi ? skipped_file : NULL);
    }
    gather_skipped(&L->rows, L->multi ? skipped_file : NULL, &L->il, ds);
    if (L->src.m->rebalance)
        L->src.m->rebalance(&L->src, &L->rows, ds->n_features);
    add_weights(L->rows.w, L->rows.n_rows, &L->weight_sum);
    return count_rows(L, o, ds, e);
}

/* Stream mode: a block's buffers, kept from pass to pass: d numbers a row as read (d: the
   plan's source columns, or a cache's design), the design beside them (width numbers a
   row; 0: none) where the plan or a formula expands it, y and w. */
static void stream_buffers(struct data_stream *st, int d, int width)
{
    if (st->raw)
        return;
    st->raw = lr_malloc(lr_bytes(st->block_rows, d ? d : 1, sizeof(double)));
    st->design = width ? lr_malloc(lr_bytes(st->block_rows, width, sizeof(double))) : NULL;
    st->y = st->sc.has_y ? lr_malloc((size_t)st->block_rows * sizeof *st->y) : NULL;
    st->w = st->sc.has_w ? lr_malloc((size_t)st->block_rows * sizeof *st->w) : NULL;
}

/* Collective, stream mode: a new file of the blocks as dataset_next hands them out, which
   the next pass writes and the later ones map back instead of decoding the scratch file
   (or reading the cache) again (gradient descent makes one pass an epoch); where its
   directory has no room for it, every pass decodes (or reads the cache). */
static void open_done(struct dataset *ds)
{
    struct data_stream *st = ds->stream;
    struct lr_error e = {0};
    scratch_blocks_close(&st->done);
    st->done_state = 0;
    if (scratch_blocks_open(&st->done, st->dir, ds->n_features, st->sc.has_y, st->sc.has_w,
                            ds->n_rows + st->block_rows, &e) == 0)
        st->done_state = 1;
}

/* Stream mode, local: a block's cluster keys, --offset values and record offsets (those
   the keys file keeps) appended to it. */
static int append_keys(struct data_stream *st, const struct csv_shard *b, struct lr_error *e)
{
    int nk = st->keys.d, ng = b->n_groups;
    double *r = lr_malloc(lr_bytes(b->n_rows ? b->n_rows : 1, nk, sizeof *r));
    for (int64_t i = 0; i < b->n_rows; i++) {
        double *k = r + i * nk;
        if (ng)
            memcpy(k, b->g + i * ng, (size_t)ng * sizeof *b->g);
        if (st->key_offset >= 0)
            k[st->key_offset] = b->offset[i];
        if (st->key_at >= 0)
            memcpy(&k[st->key_at], &b->row_at[i], sizeof *b->row_at);
    }
    int rc = scratch_append(&st->keys, r, NULL, NULL, b->n_rows, e);
    free(r);
    return rc;
}

/* Collective, stream mode, after the first pass: the formula's levels, its orthogonal
   polynomials fitted by passes over the scratch file (the rows kept, as read: the rows
   resident mode would hold) and its design made; each later pass makes the design of the
   blocks it reads back (next_decoded). */
static int stream_formula(struct data_stream *st, struct formula_data *fd,
                          const struct data_options *o, struct dataset *ds, struct lr_error *e)
{
    if (fdata_drop_levels(fd, ds, st->plan.remap, NULL, 0, o->path, e) < 0 ||
        fdata_prepare(fd, ds, o->path, e) < 0)
        return -1;
    int passes = fdata_poly_passes(fd), rc = 0;
    int64_t m = st->block_rows;
    double *X = passes ? lr_malloc(lr_bytes(m, fd->n_read ? fd->n_read : 1, sizeof *X)) : NULL;
    double *y = passes && st->sc.has_y ? lr_malloc((size_t)m * sizeof *y) : NULL;
    double *w = passes && st->sc.has_w ? lr_malloc((size_t)m * sizeof *w) : NULL;
    for (int k = 0; k < passes && rc == 0; k++) {
        int64_t n;
        scratch_rewind(&st->sc);
        while ((n = scratch_read(&st->sc, m, X, y, w, e)) > 0)
            fdata_poly_add(fd, k, X, y, n);
        st->passes++;
        rc = comm_agree(e) != LR_OK || fdata_poly_step(fd, k, o->path, e) < 0 ? -1 : 0;
    }
    scratch_rewind(&st->sc);
    free(X);
    free(y);
    free(w);
    return rc < 0 ? -1 : fdata_finish(fd, ds, e);
}

/* Stream mode: the rows of a block of about 32 MiB of rows `width` numbers wide, a whole
   number of parts (par.h), at most cap. */
static int64_t block_of(int width, int64_t cap)
{
    int64_t fit = ((int64_t)32 << 20) / (8 * ((int64_t)width + 2));
    fit = fit / PAR_CHUNK_ROWS * PAR_CHUNK_ROWS;
    return fit > PAR_CHUNK_ROWS ? (fit < cap ? fit : cap) : PAR_CHUNK_ROWS;
}

/* ... and never more rows than the rank has (n): any whole number of parts gives the same
   sums. */
static void clamp_block(struct data_stream *st, int64_t n)
{
    int64_t all = (n + PAR_CHUNK_ROWS - 1) / PAR_CHUNK_ROWS * PAR_CHUNK_ROWS;
    if (all > 0 && st->block_rows > all)
        st->block_rows = all;
}

/* Collective, stream mode, once the first pass (or the cache) has counted the rows: the
   skipped records gathered, this rank's rows and skipped records taken (predict's lines of
   skipped records), the totals, and the file of blocks as handed out opened for training. */
static int stream_loaded(struct load *L, const struct data_options *o, struct dataset *ds,
                         const int *skipped_file, struct lr_error *e)
{
    gather_skipped(&L->rows, L->multi ? skipped_file : NULL, &L->il, ds);
    ds->n_rows = L->rows.n_rows;
    ds->n_skipped_local = L->rows.n_skipped;
    ds->skipped_at = L->rows.skipped_at;
    L->rows.skipped_at = NULL;
    if (count_rows(L, o, ds, e) < 0)
        return -1;
    if (o->many_passes)
        open_done(ds);
    return 0;
}

/* Collective, stream mode from a valid cache (its kind opened for a window, which has
   checked every chunk of this rank's rows): no pass over the rows, which come encoded and
   counted: the share's skipped records and totals as stored, the columns and encoding
   taken from the cache, and Σ ω read from its weights alone, in row order. Every later
   pass reads the cache block by block (dataset_next). */
static int read_cached(struct load *L, const struct data_options *o, struct dataset *ds,
                       struct lr_error *e)
{
    struct data_stream *st = ds->stream;
    int skipped_file[CSV_FIRST_SKIPPED];
    source_cache_share(&L->src, &L->rows);
    place_skipped(&L->src, &L->rows, skipped_file);
    take_described(ds, L->src.described);
    st->cache = source_cache_take_rows(&L->src);
    st->sc = (struct scratch){.fd = -1, .d = ds->n_features, .has_y = ds->has_target,
                              .has_w = L->in.lay.has_weight, .n_rows = L->rows.n_rows};
    if (!o->block_rows)  /* about 32 MiB of the rows as stored */
        st->block_rows = block_of(ds->n_features, st->block_rows);
    clamp_block(st, L->rows.n_rows);
    if (st->sc.has_w) {
        double *w = lr_malloc((size_t)st->block_rows * sizeof *w);
        int64_t n;
        while ((n = cache_rows_read(st->cache, st->block_rows, NULL, NULL, w, e)) > 0)
            add_weights(w, n, &L->weight_sum);
        free(w);
        cache_rows_rewind(st->cache);
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    return stream_loaded(L, o, ds, skipped_file, e);
}

/* Collective, stream mode: the first pass, block by block. Each block's missing values are
   counted and its rows, as read, go to this rank's scratch file; L->rows keeps the rest
   (levels, skipped records, counts). Then the encoding is decided, which each later pass
   applies to the blocks it reads back (dataset_next). */
static int read_stream(struct load *L, const struct data_options *o, struct dataset *ds,
                       struct lr_error *e)
{
    int d = L->in.lay.n_features, rc, skipped_file[CSV_FIRST_SKIPPED];
    struct formula_data *fd = o->formula;
    struct data_stream *st = lr_calloc(1, sizeof *st);
    ds->stream = st;
    st->sc.fd = st->at.fd = -1;
    st->block_rows = L->in.window_rows;
    st->n_threads = o->n_threads;
    st->dir = o->scratch;
    st->done.fd = -1;
    st->keys.fd = -1;
    st->many_passes = o->many_passes;
    if (L->src.m == source_cache())  /* the rows come encoded: no scratch file */
        return read_cached(L, o, ds, e);
    int64_t rows = (int64_t)(1.25 * L->src.rows_estimate) + st->block_rows;
    if (scratch_open(&st->sc, o->scratch, d, ds->has_target, L->in.lay.has_weight, rows, e) < 0 ||
        (o->cache && scratch_open(&st->at, o->scratch, 1, 0, 0, rows, e) < 0))
        return -1;
    int64_t in_memory = comm_sum_i64(scratch_in_memory(&st->sc));
    if (in_memory > 0 && comm_rank() == 0)  /* a warning: --quiet keeps it */
        fprintf(stderr, "linreg_mpi: warning: the scratch directory of %lld rank%s is a tmpfs "
                "(%s): the rows kept there between passes stay in memory, so stream mode saves "
                "none; name a directory on a local disk with --scratch DIR\n",
                (long long)in_memory, in_memory == 1 ? "" : "s",
                o->scratch ? o->scratch : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    /* what the keys file keeps, the same on every rank: the cluster keys; the offsets with
       keep_places (--diagnostics, whose fitted values include them) or where they are not
       taken from the target (predict: part of every prediction); with keep_places where
       each record starts */
    int nk = ds->n_groups = L->in.lay.n_groups;
    /* a formula's response is made on every pass: its offsets kept to come off it then */
    st->key_offset = (L->in.lay.has_offset || L->offset_read >= 0) &&
                     (o->keep_places || !o->offset_target || fd) ? nk++ : -1;
    st->offset_response = fd && st->key_offset >= 0 && o->offset_target;
    st->key_at = o->keep_places ? nk++ : -1;
    if (nk > 0 && scratch_open(&st->keys, o->scratch, nk, 0, 0, rows, e) < 0)
        return -1;
    int64_t *missing = lr_calloc((size_t)d + 1, sizeof *missing);
    struct lr_error we = {0};  /* a local write error, agreed once the pass has ended */
    struct lr_error fe = {0};  /* the first row a formula cannot take, the same */
    struct csv_shard b;
    if (fd) {
        fd->n_read = d;
        fill_places(L, &L->places);
    }
    while ((rc = L->src.m->next(&L->src, st->block_rows, &b, e)) > 0) {
        enc_count_missing(b.X, b.n_rows, d, o->n_threads, missing);
        if (L->offset_read >= 0) {  /* the formula reads the --offset column too */
            b.offset = lr_malloc(lr_bytes(b.n_rows ? b.n_rows : 1, 1, sizeof *b.offset));
            for (int64_t i = 0; i < b.n_rows; i++)
                b.offset[i] = b.X[i * d + L->offset_read];
        }
        if (fd && fe.code == LR_OK)  /* its rows a transformation cannot take dropped */
            fdata_check(fd, &b, &L->places, o->path, o->skip_bad_rows, o->n_threads, &fe);
        add_weights(b.w, b.n_rows, &L->weight_sum);
        if (we.code == LR_OK)
            scratch_append(&st->sc, b.X, b.y, b.w, b.n_rows, &we);
        if (we.code == LR_OK && st->keys.fd >= 0)
            append_keys(st, &b, &we);
        if (we.code == LR_OK && st->at.fd >= 0)  /* the offsets' bytes, as stored */
            scratch_append(&st->at, (const double *)b.row_at, NULL, NULL, b.n_rows, &we);
        free(b.X), free(b.y), free(b.w), free(b.offset), free(b.g), free(b.row_at);
        b.X = b.y = b.w = b.offset = NULL, b.g = NULL, b.row_at = NULL;
        csv_shard_append(&L->rows, &b, d);
    }
    if (rc == 0 && we.code != LR_OK)
        *e = we;
    else if (rc == 0 && fe.code != LR_OK)
        *e = fe;
    if (rc < 0 || comm_agree(e) != LR_OK)
        goto fail;
    place_skipped(&L->src, &L->rows, skipped_file);
    if (fd)
        fdata_first_skipped(fd, &L->rows, L->multi ? skipped_file : NULL);
    if (enc_decide(&L->rows, missing, &L->rs, &L->enc, &ds->feature_names, &ds->n_features,
                   &ds->enc, &st->plan, e) < 0 ||
        offset_of_feature(L, ds, NULL, o->path, e) < 0 ||
        (fd && stream_formula(st, fd, o, ds, e) < 0))
        goto fail;
    /* the blocks read back: about 32 MiB of the design, which one-hot columns or a formula
       can make much wider than the rows as read (unless --block-rows says), and never more
       rows than the rank has; any whole number of parts gives the same sums */
    int wide = fd || (!st->plan.identity && !st->plan.raw);
    int width = fd ? ds->n_features + fd->n_read : st->plan.width;
    if (wide && !o->block_rows)
        st->block_rows = block_of(width, st->block_rows);
    clamp_block(st, L->rows.n_rows);
    if (wide) {  /* a block expanded beside the one read */
        char what[200];
        snprintf(what, sizeof what, "a block of the %s design (%lld rows of %d numbers; "
                 "--block-rows sets the rows)", fd ? "formula's" : "one-hot",
                 (long long)st->block_rows, width);
        if (node_fits((double)st->block_rows * width * sizeof(double), what, o->path,
                      e) < 0)
            goto fail;
    }
    free(missing);
    return stream_loaded(L, o, ds, skipped_file, e);
fail:
    free(missing);
    return -1;
}

/* Collective, with --cache and rows read from the files: those rows, written. A failure is
   a warning: the run goes on without the cache. */
static void write_cache(struct load *L, const struct data_options *o, struct dataset *ds)
{
    struct cache_meta cm = {
        .source_names = L->source_names, .n_source = L->n_source, .target = ds->target_name,
        .n_features = ds->n_features, .has_weight = L->rows.w != NULL,
        .n_rows = ds->n_rows_total, .n_skipped = ds->n_skipped_total,
        .n_skipped_missing = ds->n_skipped_missing,
        .n_first_skipped = ds->n_first_skipped, .feature_names = ds->feature_names,
        .enc = ds->enc,
    };
    memcpy(cm.first_skipped, ds->first_skipped, sizeof cm.first_skipped);
    memcpy(cm.first_skipped_last, ds->first_skipped_last, sizeof cm.first_skipped_last);
    memcpy(cm.first_skipped_path, ds->first_skipped_path, sizeof cm.first_skipped_path);
    L->sc.files.size = L->src.region_end;
    if (!ds->stream) {
        cache_write(o->cache, &L->sc.files, &L->sc.fp, &cm, &L->rows, o->n_threads, o->quiet);
        return;
    }
    /* stream mode: the rows read back from the scratch file, encoded as resident rows are
       (unseen levels counted afresh for the cache, the pass's own counts kept), written
       block by block with where each record starts */
    struct data_stream *st = ds->stream;
    cm.has_weight = L->in.lay.has_weight;
    struct csv_shard skipped = {.n_skipped = L->rows.n_skipped, .skipped_at = ds->skipped_at,
                                .skipped_off = L->rows.skipped_off};  /* ds took skipped_at */
    struct cache_writer *w = cache_write_begin(o->cache, &L->sc.files, &L->sc.fp, &cm,
                                               ds->n_rows, &skipped, o->n_threads, o->quiet);
    int n_cols = ds->enc.n_cols;
    int64_t *unseen = lr_malloc((size_t)(n_cols + 1) * sizeof *unseen);
    for (int c = 0; c < n_cols; c++)
        unseen[c] = ds->enc.cols[c].n_unseen, ds->enc.cols[c].n_unseen = 0;
    stream_buffers(st, st->plan.d, ds->formula ? ds->n_features
                                   : st->plan.identity || st->plan.raw ? 0 : st->plan.width);
    int64_t *at = lr_malloc((size_t)st->block_rows * sizeof *at), n;
    struct lr_error re = {0};  /* a scratch file unreadable: the cache is not written */
    scratch_rewind(&st->sc);
    scratch_rewind(&st->at);
    while ((n = scratch_read(&st->sc, st->block_rows, st->raw, st->y, st->w, &re)) > 0 &&
           scratch_read(&st->at, n, (double *)at, NULL, NULL, &re) == n) {
        const double *X = enc_apply_rows(&st->plan, &ds->enc, st->raw, n, st->design,
                                         o->n_threads);
        cache_write_rows(w, X, st->y, st->w, at, n);
    }
    for (int c = 0; c < n_cols; c++)  /* the cache's counts: every rank's */
        ds->enc.cols[c].n_unseen = comm_sum_i64(ds->enc.cols[c].n_unseen);
    cache_write_end(w, &cm);
    for (int c = 0; c < n_cols; c++)
        ds->enc.cols[c].n_unseen = unseen[c];
    free(unseen);
    free(at);
    scratch_rewind(&st->sc);
    scratch_close(&st->at);
}

int dataset_load(const struct data_options *o, struct dataset *ds, struct lr_error *e)
{
    memset(ds, 0, sizeof *ds);
    memset(e, 0, sizeof *e);
    struct load L = {.fd = -1, .sc = {.files = {.fd = -1}}};
    int rc = -1;
    if (open_inputs(&L, o, ds, e) < 0)
        goto done;
    struct data_options named;  /* one file found in a directory: messages name the file */
    if (!L.multi && strcmp(L.il.path[0], o->path) != 0) {
        named = *o;
        named.path = L.il.path[0];
        o = &named;
    }
    if (read_columns(&L, o, ds, e) < 0)
        goto done;
    if (o->cache)
        cache_setup(&L, o, ds);
    if (open_source(&L, o, e) < 0 ||
        (L.in.window_rows ? read_stream(&L, o, ds, e) : read_rows(&L, o, ds, e)) < 0)
        goto done;
    if (o->cache && L.src.m != source_cache())
        write_cache(&L, o, ds);
    if (!ds->stream)
        take_rows(ds, &L.rows);
    if (o->keep_places)
        keep_places(&L, ds);
    ds->weight_total = (double)ds->n_rows_total;
    ds->has_weights = L.in.lay.has_weight;
    if (L.in.lay.has_weight && dataset_weight_total(ds, L.weight_sum, o->path, e) < 0)
        goto done;
    rc = 0;
done:
    load_free(&L);
    if (rc < 0)
        dataset_free(ds);
    return rc;
}

void dataset_rewind(struct dataset *ds)
{
    struct data_stream *st = ds->stream;
    ds->next_row = 0;
    if (!st)
        return;
    st->keys_pass = 0;
    if (st->offset_response)
        scratch_rewind(&st->keys);
    scratch_rewind(&st->sc);
    if (st->cache)
        cache_rows_rewind(st->cache);
    scratch_blocks_rewind(&st->done);
    if (st->done_state == 1 && st->done.n_blocks > 0) {  /* a pass left before its end */
        scratch_blocks_close(&st->done);
        st->done_state = 0;
    }
}

/* Stream mode, numbers only: n stored rows (d numbers, then y and w as flagged) into the
   block's X, y, w in one pass, each value as resident rows get it: a missing one filled
   (the encoding's fill), then standardised (dataset_scale), with the same operations. */
static void decode_rows(struct data_stream *st, const struct encoding *enc, const double *rows,
                        int64_t n)
{
    int d = st->plan.d, k = d + st->sc.has_y + st->sc.has_w, any_fill = 0;
    double *fill = lr_malloc((size_t)(d + 1) * sizeof *fill);
    for (int j = 0; j < d; j++) {
        fill[j] = enc->cols[j].has_fill ? enc->cols[j].fill : NAN;
        any_fill |= enc->cols[j].has_fill;
    }
    const double *mean = st->mean, *scale = st->scale;
    double *X = st->raw, *y = st->y, *w = st->w;
#pragma omp parallel for num_threads(st->n_threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *r = rows + i * k;
        double *x = X + i * d;
        for (int j = 0; j < d; j++) {
            double v = r[j];
            if (any_fill && isnan(v) && !isnan(fill[j]))
                v = fill[j];
            x[j] = mean ? (v - mean[j]) / scale[j] : v;
        }
        if (y)
            y[i] = r[d];
        if (w)
            w[i] = r[d + (y != NULL)];
    }
    free(fill);
}

void dataset_rewind_keys(struct dataset *ds)
{
    dataset_rewind(ds);
    if (ds->stream && ds->stream->keys.fd >= 0) {
        ds->stream->keys_pass = 1;
        scratch_rewind(&ds->stream->keys);
    }
}

int dataset_row_at(const struct dataset *ds, int64_t i, int64_t *at, struct lr_error *e)
{
    const struct data_stream *st = ds->stream;
    double v;
    *at = -1;
    if (!st) {
        if (ds->row_at)
            *at = ds->row_at[i];
        return 0;
    }
    if (st->key_at < 0)
        return 0;
    if (scratch_get(&st->keys, i, st->key_at, &v, e) < 0)
        return -1;
    memcpy(at, &v, sizeof *at);
    return 0;
}

/* Stream mode: the keys and offsets of block b's rows, read from the keys file. */
static int next_keys(struct data_stream *st, int ng, struct row_block *b, struct lr_error *e)
{
    const double *rows;
    int nk = st->keys.d;
    int64_t n = scratch_read_rows(&st->keys, b->n, &rows, e);
    if (n != b->n) {
        if (n >= 0)
            lr_fail(e, LR_ENOINPUT, "scratch file: the rows' keys end after %lld rows",
                    (long long)st->keys.next);
        return -1;
    }
    if (n > st->keys_rows) {
        free(st->g);
        free(st->offset);
        st->g = lr_malloc(lr_bytes(n, ng ? ng : 1, sizeof *st->g));
        st->offset = lr_malloc(lr_bytes(n, 1, sizeof *st->offset));
        st->keys_rows = n;
    }
    for (int64_t i = 0; i < n; i++) {
        if (ng)
            memcpy(st->g + i * ng, rows + i * nk, (size_t)ng * sizeof *st->g);
        if (st->key_offset >= 0)
            st->offset[i] = rows[i * nk + st->key_offset];
    }
    b->g = ng ? st->g : NULL;
    b->offset = st->key_offset >= 0 ? st->offset : NULL;
    return 0;
}

static int next_decoded(struct dataset *ds, struct row_block *b, struct lr_error *e);
static int next_rows(struct dataset *ds, struct row_block *b, struct lr_error *e);

/* From a cache: n rows of X (d numbers each) filled (dataset_fill's values) and scaled
   (dataset_scale's) in place, with the operations resident rows get. */
static void finish_rows(const struct data_stream *st, double *X, int64_t n, int d)
{
    const double *fill = st->fill, *mean = st->mean, *scale = st->scale;
    if (!fill && !mean)
        return;
#pragma omp parallel for num_threads(st->n_threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double *x = X + i * d;
        for (int j = 0; j < d; j++) {
            double v = x[j];
            if (fill && isnan(v) && !isnan(fill[j]))
                v = fill[j];
            x[j] = mean ? (v - mean[j]) / scale[j] : v;
        }
    }
}

/* Stream mode from a cache: the next block read from the cache file (its chunks' crc32
   checked), encoded already: filled and scaled as read. */
static int next_cached(struct dataset *ds, struct row_block *b, struct lr_error *e)
{
    struct data_stream *st = ds->stream;
    stream_buffers(st, ds->n_features, 0);
    if (ds->next_row == 0)
        st->passes++;
    int64_t n = cache_rows_read(st->cache, st->block_rows, st->raw, st->y, st->w, e);
    if (n <= 0)
        return n < 0 ? -1 : 0;
    ds->next_row += n;
    finish_rows(st, st->raw, n, ds->n_features);
    *b = (struct row_block){.X = st->raw, .y = st->y, .w = st->w, .n = n};
    return 1;
}

int dataset_next(struct dataset *ds, struct row_block *b, struct lr_error *e)
{
    struct data_stream *st = ds->stream;
    *b = (struct row_block){0};
    if (!st) {  /* resident: the rows themselves, at once */
        if (ds->next_row)
            return 0;
        ds->next_row = 1;
        *b = (struct row_block){.X = ds->X, .y = ds->y, .w = ds->w, .g = ds->g,
                                .offset = ds->offset, .n = ds->n_rows};
        return 1;
    }
    st->keys_read = 0;
    int rc = next_rows(ds, b, e);
    if (rc > 0 && st->keys_pass && !st->keys_read && next_keys(st, ds->n_groups, b, e) < 0)
        return -1;
    if (rc > 0 && !st->keys_pass)  /* read for the response alone */
        b->g = NULL, b->offset = NULL;
    return rc;
}

/* Stream mode: the next block, mapped from the blocks as handed out or decoded. */
static int next_rows(struct dataset *ds, struct row_block *b, struct lr_error *e)
{
    struct data_stream *st = ds->stream;
    if (st->done_state == 2) {  /* scaled blocks written already: mapped, not copied */
        int64_t n = scratch_blocks_map(&st->done, &b->X, &b->y, &b->w, e);
        if (n <= 0)
            return n < 0 ? -1 : 0;
        if (ds->next_row == 0)
            st->passes++;
        ds->next_row += n;
        b->n = n;
        return 1;
    }
    int rc = st->cache ? next_cached(ds, b, e) : next_decoded(ds, b, e);
    if (st->done_state == 1) {  /* this pass writes them */
        struct lr_error we = {0};
        if (rc > 0 && scratch_blocks_put(&st->done, b->X, b->y, b->w, b->n, &we) < 0) {
            scratch_blocks_close(&st->done);  /* no room after all: decode every pass */
            st->done_state = 0;
        } else if (rc == 0) {
            st->done_state = 2;
        }
    }
    return rc;
}

/* Stream mode: the next block read back from the scratch file and encoded (and scaled). */
static int next_decoded(struct dataset *ds, struct row_block *b, struct lr_error *e)
{
    struct data_stream *st = ds->stream;
    stream_buffers(st, st->plan.d, ds->formula ? ds->n_features
                                   : st->plan.identity || st->plan.raw ? 0 : st->plan.width);
    if (ds->next_row == 0)
        st->passes++;
    if (ds->formula) {  /* the rows as read made into the formula's design */
        int64_t n = scratch_read(&st->sc, st->block_rows, st->raw, st->y, st->w, e);
        if (n <= 0)
            return n < 0 ? -1 : 0;
        ds->next_row += n;
        enc_apply_rows(&st->plan, &ds->enc, st->raw, n, NULL, st->n_threads);  /* levels */
        if (fdata_rows(ds->formula, &ds->enc, st->raw, st->y, n, st->design, st->y,
                       st->n_threads, e) < 0)
            return -1;
        st->X = st->design;
        if (st->mean)
            stats_standardize(st->X, n, ds->n_features, st->mean, st->scale, st->n_threads);
        *b = (struct row_block){.X = st->X, .y = st->y, .w = st->w, .n = n};
        if (st->offset_response) {  /* before the block is kept for the later passes */
            if (next_keys(st, ds->n_groups, b, e) < 0)
                return -1;
            st->keys_read = 1;
            offset_response(st->y, b->offset, n);
        }
        return 1;
    }
    if (st->plan.identity) {  /* numbers only: filled and scaled in the one copy */
        const double *rows;
        int64_t n = scratch_read_rows(&st->sc, st->block_rows, &rows, e);
        if (n <= 0)
            return n < 0 ? -1 : 0;
        ds->next_row += n;
        decode_rows(st, &ds->enc, rows, n);
        *b = (struct row_block){.X = st->raw, .y = st->y, .w = st->w, .n = n};
        return 1;
    }
    int64_t n = scratch_read(&st->sc, st->block_rows, st->raw, st->y, st->w, e);
    if (n <= 0)
        return n < 0 ? -1 : 0;
    ds->next_row += n;
    int64_t *unseen = NULL;  /* unseen levels are counted in the first pass only */
    if (st->passes > 1) {
        unseen = lr_malloc((size_t)(ds->enc.n_cols + 1) * sizeof *unseen);
        for (int c = 0; c < ds->enc.n_cols; c++)
            unseen[c] = ds->enc.cols[c].n_unseen;
    }
    st->X = enc_apply_rows(&st->plan, &ds->enc, st->raw, n, st->design, st->n_threads);
    for (int c = 0; unseen && c < ds->enc.n_cols; c++)
        ds->enc.cols[c].n_unseen = unseen[c];
    free(unseen);
    if (st->mean)
        stats_standardize(st->X, n, ds->n_features, st->mean, st->scale, st->n_threads);
    *b = (struct row_block){.X = st->X, .y = st->y, .w = st->w, .n = n};
    return 1;
}

void dataset_fill(struct dataset *ds, const double *fill, int n_threads)
{
    int *src = enc_numeric_sources(&ds->enc);  /* recorded: stream mode fills from it */
    for (int j = 0; j < ds->n_features; j++)
        if (src[j] >= 0 && !isnan(fill[j])) {
            ds->enc.cols[src[j]].has_fill = 1;
            ds->enc.cols[src[j]].fill = fill[j];
        }
    free(src);
    if (ds->stream && ds->stream->cache) {  /* applied to each block as read */
        free(ds->stream->fill);
        ds->stream->fill = lr_malloc((size_t)(ds->n_features + 1) * sizeof *fill);
        memcpy(ds->stream->fill, fill, (size_t)ds->n_features * sizeof *fill);
    }
    if (!ds->stream)
        enc_fill(ds->X, ds->n_rows, ds->n_features, fill, n_threads);
    else if (ds->stream->many_passes)
        open_done(ds);  /* the blocks written so far are not filled */
}

void dataset_scale(struct dataset *ds, const double *mean, const double *scale, int n_threads)
{
    if (!ds->stream) {
        stats_standardize(ds->X, ds->n_rows, ds->n_features, mean, scale, n_threads);
        return;
    }
    ds->stream->mean = mean;
    ds->stream->scale = scale;
    open_done(ds);  /* the blocks written so far are not scaled */
}

/* The rows of a split: those whose position in the whole data set (base + the rank's
   row) hashes below fraction. */
struct split_key {
    uint64_t key;
    int64_t base;
    double fraction;
};
static int split_takes(void *ctx, int64_t row)
{
    const struct split_key *k = ctx;
    return (double)(mix64(k->key ^ (uint64_t)(k->base + row)) >> 11) * 0x1p-53 < k->fraction;
}

/* Resident: the rows split_takes picks moved into part (X, y, w), the rest kept in order
   with what goes with each (cluster ids, where its record starts, its offset); with
   weights, w_sums[0] the sum of those kept and w_sums[1] of those moved, in row order. */
static void split_resident(struct dataset *ds, struct split_key *k, struct dataset *part,
                           double *w_sums)
{
    int d = ds->n_features;
    int64_t kt = 0, kv = 0;
    for (int64_t i = 0; i < ds->n_rows; i++)
        kv += split_takes(k, i);
    part->X = lr_malloc(lr_bytes(kv ? kv : 1, d, sizeof(double)));
    part->y = lr_malloc((size_t)(kv ? kv : 1) * sizeof(double));
    part->w = ds->w ? lr_malloc((size_t)(kv ? kv : 1) * sizeof(double)) : NULL;
    kv = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) {
        int v = split_takes(k, i);
        double *dst_X = v ? part->X + kv * d : ds->X + kt * d;
        if (dst_X != ds->X + i * d)
            memmove(dst_X, ds->X + i * d, (size_t)d * sizeof(double));
        if (ds->w) {  /* the weight moves with its row */
            double w = ds->w[i];
            w_sums[v] += w;
            *(v ? &part->w[kv] : &ds->w[kt]) = w;
        }
        for (int g = 0; !v && g < ds->n_groups; g++)  /* so do its cluster ids */
            ds->g[kt * ds->n_groups + g] = ds->g[i * ds->n_groups + g];
        if (!v && ds->row_at)  /* and where its record starts */
            ds->row_at[kt] = ds->row_at[i];
        if (!v && ds->offset)  /* and its --offset (the diagnostics' fitted values) */
            ds->offset[kt] = ds->offset[i];
        if (v)
            part->y[kv++] = ds->y[i];
        else
            ds->y[kt++] = ds->y[i];
    }
    ds->n_rows = kt;
    part->n_rows = kv;
}

/* Stream mode: the rows split_takes picks moved from ds's scratch file into a new one of
   part's, which reads them back with ds's encoding plan; with weights, their sums as
   split_resident's, from the same pass. */
static int split_stream(struct dataset *ds, struct split_key *k, struct dataset *part,
                        double *w_sums, struct lr_error *e)
{
    struct data_stream *st = ds->stream, *pt = lr_calloc(1, sizeof *pt);
    part->stream = pt;
    *pt = (struct data_stream){.plan = st->plan, .plan_borrowed = 1,
                               .block_rows = st->block_rows, .n_threads = st->n_threads,
                               .dir = st->dir, .many_passes = st->many_passes};
    pt->sc.fd = pt->done.fd = pt->keys.fd = -1;
    int64_t rows = (int64_t)(k->fraction * 1.25 * (double)ds->n_rows) + st->block_rows;
    if (scratch_open(&pt->sc, st->dir, st->sc.d, st->sc.has_y, st->sc.has_w,
                     rows < ds->n_rows ? rows : ds->n_rows, e) < 0)
        return -1;
    if (st->offset_response) {  /* the held-out rows' response less their offsets too */
        pt->offset_response = 1, pt->key_offset = st->key_offset, pt->key_at = -1;
        if (scratch_open(&pt->keys, st->dir, st->keys.d, 0, 0,
                         rows < ds->n_rows ? rows : ds->n_rows, e) < 0)
            return -1;
    }
    struct lr_error we = {0};
    if (scratch_split(&st->sc, st->block_rows, split_takes, k, &pt->sc,
                      st->sc.has_w ? w_sums : NULL, &we) == 0 &&
        st->keys.fd >= 0)  /* the training rows keep their keys; the held-out ones need none
                              but their offsets under a formula */
        scratch_split(&st->keys, st->block_rows, split_takes, k,
                      pt->keys.fd >= 0 ? &pt->keys : NULL, NULL, &we);
    if (we.code != LR_OK)
        *e = we;
    if (comm_agree(e) != LR_OK)
        return -1;
    ds->n_rows = st->sc.n_rows;
    part->n_rows = pt->sc.n_rows;
    if (st->many_passes) {
        open_done(ds);  /* a pass before the split wrote every row's block */
        open_done(part);
    }
    return 0;
}

int dataset_split(struct dataset *ds, double fraction, uint64_t seed, struct dataset *part,
                  struct lr_error *e)
{
    memset(part, 0, sizeof *part);
    struct split_key k = {.key = mix64(seed ^ 0x6A09E667F3BCC909u),
                          .base = comm_exscan_i64(ds->n_rows), .fraction = fraction};
    char *enc = enc_serialize(&ds->enc);  /* the part's own copy: fill values, unseen counts */
    const char *why = NULL;
    double w_sums[2] = {0, 0};  /* Σω of the rows kept, of those moved: this rank's */
    if (enc_deserialize(enc, &part->enc, &why) < 0)
        lr_fail(e, LR_EDATA, "the encoding could not be copied: %s", why ? why : "?");
    free(enc);
    if (e->code == LR_OK && ds->stream)
        split_stream(ds, &k, part, w_sums, e);
    else if (e->code == LR_OK)
        split_resident(ds, &k, part, w_sums);
    if (e->code != LR_OK)
        return -1;
    part->n_features = ds->n_features;
    part->formula = ds->formula;  /* streamed, each block's design is made as it is read */
    part->has_target = ds->has_target;
    part->has_weights = ds->has_weights;
    ds->n_rows_total = comm_sum_i64(ds->n_rows);
    part->n_rows_total = comm_sum_i64(part->n_rows);
    ds->weight_total = (double)ds->n_rows_total;
    part->weight_total = (double)part->n_rows_total;
    if (ds->has_weights) {  /* Σω of each part, per rank then in rank order (comm_sum) */
        comm_sum(w_sums, 2);
        ds->weight_total = w_sums[0];
        part->weight_total = w_sums[1];
    }
    return 0;
}

void dataset_stream_end(struct dataset *ds)
{
    if (!ds->stream || ds->stream->cache || ds->stream->plan.identity || ds->stream->plan.raw)
        return;  /* a cache's counts are every rank's already */
    for (int c = 0; c < ds->enc.n_cols; c++)
        ds->enc.cols[c].n_unseen = comm_sum_i64(ds->enc.cols[c].n_unseen);
}

const char *dataset_stream_info(const struct dataset *ds, int *passes, int64_t *pass_bytes,
                                int64_t *block_rows)
{
    const struct data_stream *st = ds->stream;
    *passes = st ? st->passes : 0;
    *pass_bytes = st ? st->sc.n_rows * 8 * (st->sc.d + st->sc.has_y + st->sc.has_w) : 0;
    *block_rows = st ? st->block_rows : 0;
    return st && st->cache ? "rows in the cache" : "scratch file";
}

static void stream_free(struct data_stream *st)
{
    if (!st)
        return;
    scratch_close(&st->sc);
    scratch_close(&st->keys);
    free(st->g);
    free(st->offset);
    if (!st->plan_borrowed)
        enc_plan_free(&st->plan);
    scratch_close(&st->at);
    cache_rows_close(st->cache);
    free(st->fill);
    scratch_blocks_close(&st->done);
    free(st->raw);
    free(st->design);
    free(st->y);
    free(st->w);
    free(st);
}

void data_options_for(const struct options *cli, enum data_role role,
                      const struct data_model *model, struct data_options *o)
{
    *o = (struct data_options){
        .path = cli->path, .paths = cli->paths, .n_paths = cli->n_paths, .glob = cli->glob,
        .delimiter = cli->delimiter, .has_header = !cli->no_header,
        .skip_bad_rows = cli->skip_bad_rows, .n_threads = cli->n_threads,
        .enc = {.na_values = cli->na_values},
        .cache = cli->cache, .cache_verify_full = cli->cache_verify_full, .quiet = cli->quiet,
        /* --test rows stream as predict's do, whatever holds the training rows */
        .memory = role != DATA_TEST && cli_stream_blocker(cli) ? MEMORY_RESIDENT : cli->memory,
        .scratch = cli->scratch,
        .block_rows = cli->block_rows,
    };
    switch (role) {
    case DATA_TRAIN:
    case DATA_TEST:
        o->want_target = 1;
        o->weights = cli->weights;  /* the test metrics are weighted too */
        o->enc = (struct enc_options){
            .categorical = cli->categorical, .reference = cli->reference,
            .max_levels = cli->max_levels,
            .missing = cli->missing, .na_values = cli->na_values,
            .missing_indicator = cli->missing_indicator, .no_intercept = cli->no_intercept,
            .unknown_error = cli->unknown_error,
        };
        if (role == DATA_TRAIN) {
            o->many_passes = 1;
            o->target = cli->target, o->features = cli->features, o->drop = cli->drop;
            o->groups = cli->cov_columns;  /* --cov cluster: the cluster id columns */
            if (cli->fold_column)  /* --folds column: read as a cluster id (cv.h) */
                o->groups = cli->fold_column, o->groups_option = "--folds column";
            /* the influential rows' FILE:LINE; --folds files: each row's file */
            o->keep_places = cli->diagnostics || (cli->cv && cli->folds == CV_FOLDS_FILES);
            o->offset = cli->offset, o->offset_target = 1;
            o->drop_index = 1;
            break;
        }
        /* an unseen level stops by default: the model has no coefficient for it */
        o->enc.unknown_error = cli->unknown_level_given ? cli->unknown_error : 1;
        /* --test: files and directories, one test set (inputs.h), with the training data's
           columns and levels; --cache is the training data's */
        o->path = cli->test, o->paths = cli->tests, o->n_paths = cli->n_tests;
        o->cache = NULL;
        o->enc.categorical = NULL;
        o->enc.model_enc = model->enc;
        o->target = model->target;
        o->offset = model->offset, o->offset_target = 1;
        o->columns_of = "the training data";
        break;
    case DATA_DESCRIBE:  /* every column, each level kept as its index */
        o->features = cli->features, o->drop = cli->drop;
        o->enc.raw_levels = 1;
        o->enc.max_levels = 1000;
        break;
    case DATA_PREDICT:
    case DATA_EVALUATE:  /* the model's columns, encoded as in training */
        o->want_target = 1;
        o->target = model->target;
        o->target_optional = role == DATA_PREDICT;
        o->columns_of = "the model";
        /* evaluate: weighted metrics when the model was trained with weights and the file
           has the column */
        o->weights = role == DATA_EVALUATE ? model->weights : NULL;
        o->weights_optional = 1;
        o->offset = model->offset;  /* part of every prediction: the file must have it */
        o->offset_target = role == DATA_EVALUATE;  /* metrics measured as in training */
        o->enc = (struct enc_options){
            .model_enc = model->enc, .missing = model->missing, .na_values = cli->na_values,
            .unknown_error = cli->unknown_level_given ? cli->unknown_error : 1,
            .no_intercept = model->no_intercept,
        };
        break;
    }
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
    free(ds->offset);
    free(ds->g);
    free(ds->row_at);
    row_places_free(&ds->places);
    enc_free(&ds->enc);
    stream_free(ds->stream);
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
                    "level columns\n", label, sep, lr_shown(c->name).s, (long long)c->n_missing,
                    c->n_missing == 1 ? "" : "s");
        if (c->n_unseen > 0)
            fprintf(out, "linreg_mpi: %s%scolumn '%s': %lld value%s of levels not seen in training "
                    "encoded as all zeros (--unknown-level error refuses them)\n", label, sep,
                    lr_shown(c->name).s, (long long)c->n_unseen, c->n_unseen == 1 ? "" : "s");
        if (c->kind == ENC_NUMERIC && c->n_missing > 0 && c->has_fill)
            fprintf(out, "linreg_mpi: %s%scolumn '%s': %lld missing value%s filled with %.17g\n",
                    label, sep, lr_shown(c->name).s, (long long)c->n_missing,
                    c->n_missing == 1 ? "" : "s", c->fill);
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
    if (ds->n_first_skipped > 0)  /* a formula's bad rows of several inputs have none */
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
