/*
 * source_csv.c — one plain CSV as a row source (source.h): every rank reads its own byte
 * range of the file, realigned to record starts (shard.h); lines count from the file's
 * first line.
 */
#include "source.h"

#include <stdlib.h>

#include "comm.h"
#include "test_hooks.h"

struct csv_state {
    struct byte_source bytes;  /* the file */
    off_t begin, end;          /* this rank's range */
    int64_t line0;             /* the file's line (1-based) of the range's first line, once
                                  a pass has ended */
    int done;                  /* the pass has ended */
    struct csv_reader *blocks; /* a pass block by block: its reader; else NULL */
};

/* This rank's byte range. Where records start depends on the quote parity there, so each
   rank counts the quotes of its nominal piece and one exscan gives every rank the parity
   before and after its piece; both ends then move to the next record start. A file
   without quotes is told so (*quote_free): its blocks need no parity scan. A single rank
   reads the whole data, whose start has parity even: no count, no read before the pass
   (its blocks count their quotes as they come, hot in the cache). Collective. */
static int find_range(const struct byte_source *b, const char *path, off_t data_start, off_t size,
                      off_t *begin, off_t *end, int *quote_free, struct lr_error *e)
{
    off_t lo, hi;
    int64_t mine = 0;
    if (comm_size() == 1) {
        *begin = data_start, *end = size, *quote_free = 0;
        return 0;
    }
    shard_nominal(data_start, size, comm_rank(), comm_size(), &lo, &hi);
    shard_count_quotes(b, path, lo, hi, &mine, e);
    int64_t before = comm_exscan_i64(mine);
    *quote_free = comm_sum_i64(mine) == 0;
    if (comm_agree(e) != LR_OK)
        return -1;
    shard_range(b, path, data_start, size, comm_rank(), comm_size(), (int)(before & 1),
                (int)((before + mine) & 1), begin, end, e);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

static int csv_open(struct row_source *s, struct lr_error *e)
{
    struct csv_state *st = lr_calloc(1, sizeof *st);
    s->state = st;
    st->bytes = byte_source_fd(s->in.fd);
    s->region_start = s->in.data_start[0];
    s->region_end = s->in.size;
    if (find_range(&st->bytes, s->in.lay.path, (off_t)s->region_start, (off_t)s->region_end,
                   &st->begin, &st->end, &s->in.lay.quote_free, e) < 0)
        return -1;
    return source_check_memory(&st->bytes, s, st->begin, st->end, 1, e);
}

static int csv_next(struct row_source *s, int64_t max_rows, struct csv_shard *b,
                    struct lr_error *e)
{
    struct csv_state *st = s->state;
    memset(b, 0, sizeof *b);
    if (st->done)
        return 0;
    if (source_check_block(max_rows, e) < 0)  /* the pass goes on */
        return -1;
    if (max_rows > 0 || st->blocks) {
        int64_t lines;
        int rc = source_next_block(&st->blocks, &st->bytes, st->begin, st->end, &s->in,
                                   max_rows, b, &lines, e);
        if (rc > 0)
            return 1;
        st->line0 = s->in.header_lines[0] + 1 + comm_exscan_i64(lines);
        csv_reader_close(st->blocks);
        st->blocks = NULL;
        st->done = 1;
        if (rc == 0)
            return 0;
        if (e->code == LR_EDATA)
            e->line += st->line0;
        comm_agree(e);
        return -1;
    }
    csv_read_range(&st->bytes, st->begin, st->end, &s->in.lay, s->in.n_threads, b, e);
    if (e->code == LR_OK && test_fail_here("parse", comm_rank()))
        lr_fail_at(e, LR_EDATA, s->in.lay.path, 0, 1, "injected parse failure (test build)");
    /* the reader counts lines from its range's start: the header, then lower ranks' lines */
    st->line0 = s->in.header_lines[0] + 1 + comm_exscan_i64(b->n_lines);
    if (e->code == LR_EDATA)
        e->line += st->line0;
    st->done = 1;
    return comm_agree(e) == LR_OK ? 1 : -1;
}

static int csv_rewind(struct row_source *s, struct lr_error *e)
{
    struct csv_state *st = s->state;
    csv_reader_close(st->blocks);
    st->blocks = NULL;
    st->done = 0;
    return 0;
}

static int csv_place(const struct row_source *s, int64_t line, int64_t *file_line)
{
    *file_line = ((const struct csv_state *)s->state)->line0 + line;
    return 0;
}

static void csv_close(struct row_source *s)
{
    struct csv_state *st = s->state;
    if (st)
        csv_reader_close(st->blocks);
    free(s->state);
    s->state = NULL;
}

static const struct source_methods methods = {
    .name = "csv", .open = csv_open, .next = csv_next, .rewind = csv_rewind,
    .place = csv_place, .close = csv_close,
};

const struct source_methods *source_csv(void)
{
    return &methods;
}
