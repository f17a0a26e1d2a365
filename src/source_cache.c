/*
 * source_cache.c — the binary cache (cache.h) as a row source (source.h): source_init's
 * probe checks the cache and finds this rank's rows, the ones it would have parsed from
 * the files, already encoded. Opened to hold the share (in.window_rows 0), the probe reads
 * the rows and next hands them over as one block (or slices of it); opened for a window
 * (stream mode), the probe reads the rows through once to check every chunk's crc32,
 * keeping none, and each block of a pass is read from the file (its chunks checked again).
 * The data set's columns, encoding and first skipped records come as stored
 * (row_source.described).
 */
#include "source.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"

struct cache_state {
    struct csv_shard rows;     /* the share read, not yet handed over; read block by block:
                                  only its skipped records (n_rows: the share's rows) */
    struct cache_rows *rd;     /* block by block: the share's rows in the file; NULL: held */
    int held;                  /* rows holds this pass's block */
    int done;                  /* the pass has ended */
    int64_t given;             /* blocks of a pass block by block so far */
    int64_t row, skip;         /* ... the rows and skipped records they held */
};

int source_cache_probe(struct row_source *s, struct lr_error *e)
{
    struct source_cache *c = s->in.cache;
    const struct input_list *l = s->in.l;
    cache_csv_free(&c->files);  /* a probe again (--memory auto): the files looked at anew */
    if (inputs_single_plain(l)) {  /* the memory check, on the nominal range */
        off_t lo, hi;
        struct byte_source bytes = byte_source_fd(s->in.fd);
        shard_nominal((off_t)s->in.data_start[0], (off_t)s->in.size, comm_rank(), comm_size(),
                      &lo, &hi);
        if (source_check_memory(&bytes, s, lo, hi, 1, e) < 0 ||
            cache_csv_init(&c->files, s->in.lay.path, s->in.fd, s->in.data_start[0], e) < 0)
            return -1;
    } else {  /* the stream's length: plain files' now, else once they are read */
        int64_t stream = 0;
        int plain = 1;
        for (int f = 0; f < l->n; f++) {
            plain &= l->comp[f] == IN_PLAIN;
            stream += s->in.text[f];
        }
        if (cache_csv_init_list(&c->files, l, s->in.data_start, plain ? stream : -1, e) < 0)
            return -1;
    }
    struct cache_state *st = lr_calloc(1, sizeof *st);
    int got = s->in.window_rows > 0
                  ? cache_open_rows(c->path, c->full, &c->files, &c->fp, &c->meta, &st->rows,
                                    &st->rd, s->in.n_threads, c->quiet, e)
                  : cache_read(c->path, c->full, &c->files, &c->fp, &c->meta, &st->rows,
                               s->in.n_threads, c->quiet, e);
    if (got < 0 || comm_agree(e) != LR_OK || got == 0) {
        csv_shard_free(&st->rows);
        cache_rows_close(st->rd);
        free(st);
        s->in.lay.keep_offsets = 1;  /* where each record starts, for cache_write */
        return got < 0 || e->code != LR_OK ? -1 : 0;
    }
    st->held = 1;
    s->m = source_cache();
    s->state = st;
    s->described = &c->meta;
    s->region_start = c->files.data_start;
    s->region_end = c->files.size;
    return 1;
}

static int cache_open(struct row_source *s, struct lr_error *e)
{
    return 0;  /* the probe has checked the cache and read this rank's rows */
}

/* The stored totals and first skipped records, in rank 0's first block of a pass. */
static void first_block(const struct row_source *s, struct csv_shard *b)
{
    const struct source_cache *c = s->in.cache;
    b->n_skipped_missing = c->meta.n_skipped_missing;
    b->n_first_skipped = c->meta.n_first_skipped;
    for (int k = 0; k < b->n_first_skipped; k++) {
        b->first_skipped[k] = 2 * k;
        b->first_skipped_last[k] = 2 * k + 1;
    }
}

/* Collective: the next block of the share: its rows (*k, at most max_rows; 0: the rest)
   and the skipped records up to *skip_end (the last block: all the rest). 0, the pass
   ended, once no rank has any left (rank 0 gives a first block whatever it holds). */
static int next_slice(struct cache_state *st, int64_t max_rows, int64_t *k, int64_t *skip_end)
{
    const struct csv_shard *r = &st->rows;
    *k = r->n_rows - st->row;
    *skip_end = st->skip;
    if (max_rows > 0 && *k > max_rows)
        *k = max_rows;
    int last = st->row + *k == r->n_rows;
    while (*skip_end < r->n_skipped && (last || r->skipped_at[*skip_end] < st->row + *k))
        (*skip_end)++;
    int mine = *k > 0 || *skip_end > st->skip || (st->given == 0 && comm_rank() == 0);
    st->given++;
    if (comm_max_i64(mine) == 0) {
        st->done = 1;
        return 0;
    }
    return 1;
}

/* cache_next on a share read block by block: the next max_rows rows (0: the rest) read
   from the file, with the skipped records before them (the last block: all the rest). */
static int next_read(struct row_source *s, int64_t max_rows, struct csv_shard *b,
                     struct lr_error *e)
{
    struct cache_state *st = s->state;
    const struct source_cache *c = s->in.cache;
    const struct csv_shard *r = &st->rows;
    int d = c->meta.n_features, first = st->given == 0;
    int64_t k, skip_end;
    if (next_slice(st, max_rows, &k, &skip_end) == 0)
        return 0;
    csv_shard_slice(r, d, st->row, 0, st->skip, skip_end - st->skip, b);  /* its skipped */
    b->n_rows = k;
    if (k > 0) {
        b->X = lr_malloc(lr_bytes(k, d ? d : 1, sizeof(double)));
        b->y = c->meta.target ? lr_malloc(lr_bytes(k, 1, sizeof(double))) : NULL;
        b->w = c->meta.has_weight ? lr_malloc(lr_bytes(k, 1, sizeof(double))) : NULL;
        if (cache_rows_read(st->rd, k, b->X, b->y, b->w, e) != k && e->code == LR_OK)
            lr_fail_at(e, LR_EDATA, c->path, 0, 0, "the cache changed during the run");
    }
    if (comm_agree(e) != LR_OK) {
        csv_shard_free(b);
        st->done = 1;
        return -1;
    }
    st->row += k;
    st->skip = skip_end;
    if (comm_rank() == 0 && first)
        first_block(s, b);
    return 1;
}

static int cache_next(struct row_source *s, int64_t max_rows, struct csv_shard *b,
                      struct lr_error *e)
{
    struct cache_state *st = s->state;
    const struct source_cache *c = s->in.cache;
    memset(b, 0, sizeof *b);
    if (st->done)
        return 0;
    if (source_check_block(max_rows, e) < 0)  /* the pass goes on */
        return -1;
    if (st->rd)  /* block by block from the file */
        return next_read(s, max_rows, b, e);
    if (!st->held) {  /* another pass: the rows again, checked again */
        struct cache_meta m = {.source_names = c->meta.source_names,
                               .n_source = c->meta.n_source, .target = c->meta.target};
        if (cache_read(c->path, c->full, &c->files, &c->fp, &m, &st->rows, s->in.n_threads, 1,
                       e) == 0)
            lr_fail_at(e, LR_EDATA, c->path, 0, 0, "the cache changed or became unreadable "
                       "during the run; run again to read %s", s->in.lay.path);
        cache_meta_free(&m);
        if (comm_agree(e) != LR_OK) {
            csv_shard_free(&st->rows);
            return -1;
        }
        st->held = 1;
    }
    int first = st->given == 0;
    if (max_rows > 0 || st->given > 0) {  /* a slice of the rows, kept for another pass */
        int64_t k, skip_end;
        if (next_slice(st, max_rows, &k, &skip_end) == 0)
            return 0;
        csv_shard_slice(&st->rows, c->meta.n_features, st->row, k, st->skip,
                        skip_end - st->skip, b);
        st->row += k;
        st->skip = skip_end;
    } else {
        *b = st->rows;
        memset(&st->rows, 0, sizeof st->rows);
        st->held = 0;
        st->done = 1;
    }
    if (comm_rank() == 0 && first)
        first_block(s, b);
    return 1;
}

static int cache_rewind(struct row_source *s, struct lr_error *e)
{
    struct cache_state *st = s->state;
    st->done = 0;
    st->given = st->row = st->skip = 0;
    if (st->rd)
        cache_rows_rewind(st->rd);
    return 0;
}

/* A block's first skipped "lines" are places in the stored table: 2k the k-th record's
   first line, 2k + 1 its last. */
static int cache_place(const struct row_source *s, int64_t line, int64_t *file_line)
{
    const struct cache_meta *m = s->described;
    int64_t k = line / 2;
    if (line < 0 || k >= m->n_first_skipped) {
        *file_line = 0;
        return 0;
    }
    *file_line = line % 2 ? m->first_skipped_last[k] : m->first_skipped[k];
    for (int f = 0; m->first_skipped_path[k] && f < s->in.l->n; f++)
        if (strcmp(s->in.l->path[f], m->first_skipped_path[k]) == 0)
            return f;
    return 0;
}

static void cache_close(struct row_source *s)
{
    struct cache_state *st = s->state;
    if (!st)
        return;
    csv_shard_free(&st->rows);
    cache_rows_close(st->rd);
    free(st);
    s->state = NULL;
}

void source_cache_share(struct row_source *s, struct csv_shard *b)
{
    struct cache_state *st = s->state;
    const struct csv_shard *r = &st->rows;
    memset(b, 0, sizeof *b);
    csv_shard_slice(r, s->in.cache->meta.n_features, 0, 0, 0, r->n_skipped, b);
    b->n_rows = r->n_rows;
    if (comm_rank() == 0)
        first_block(s, b);
    st->done = 1;
}

struct cache_rows *source_cache_take_rows(struct row_source *s)
{
    if (s->m != source_cache())
        return NULL;
    struct cache_state *st = s->state;
    struct cache_rows *r = st->rd;
    st->rd = NULL;
    st->done = 1;
    return r;
}

static const struct source_methods methods = {
    .name = "cache", .open = cache_open, .next = cache_next, .rewind = cache_rewind,
    .place = cache_place, .close = cache_close,
};

const struct source_methods *source_cache(void)
{
    return &methods;
}
