/*
 * source_parts.c — several plain files as one row source (source.h): their data records
 * are one stream, read in place (inputs.h's input_concat), and split between the ranks as
 * one CSV would be; a rank's range may end in one file and go on in the next. Lines are
 * each file's own. In stream mode the list may hold compressed files too, measured first
 * (inputs_measure): the stream then decompresses them as far as each read needs.
 */
#include "source.h"

#include <stdlib.h>

#include "comm.h"
#include "test_hooks.h"

struct parts_state {
    struct input_concat cat;   /* the stream */
    off_t begin, end;          /* this rank's range of it */
    int64_t line0;             /* the stream's line (0-based) of the range's first line */
    int64_t *lines;            /* n + 1: the stream's lines before each file, counted at the
                                  end of a pass when a message needs them; else NULL */
    int done;                  /* the pass has ended */
    struct csv_reader *blocks; /* a pass block by block: its reader; else NULL */
    int any_skipped;           /* ... a block of it has held a first skipped record */
};

static int parts_open(struct row_source *s, struct lr_error *e)
{
    struct parts_state *st = lr_calloc(1, sizeof *st);
    const struct input_list *l = s->in.l;
    int odd_lo, odd_hi;
    s->state = st;
    inputs_concat_open(l, s->in.data_start, s->in.text, &st->cat, e);
    if (comm_agree(e) != LR_OK ||
        inputs_concat_quotes(&st->cat, &odd_lo, &odd_hi, &s->in.lay.quote_free, e) < 0)
        return -1;
    s->region_start = 0;
    s->region_end = st->cat.start[l->n];
    shard_range(&st->cat.bytes, s->in.lay.path, 0, (off_t)s->region_end, comm_rank(),
                comm_size(), odd_lo, odd_hi, &st->begin, &st->end, e);
    inputs_concat_failed(&st->cat, e);
    if (comm_agree(e) != LR_OK)
        return -1;
    return source_check_memory(&st->cat.bytes, s, st->begin, st->end, 1, e);
}

static int parts_place(const struct row_source *s, int64_t line, int64_t *file_line)
{
    const struct parts_state *st = s->state;
    return inputs_concat_place(s->in.l, st->lines, s->in.header_lines, st->line0 + line,
                               file_line);
}

/* The pass has ended (or failed, e): lines counted from the range's start become the
   stream's, and a message names each file's own line, through the stream's lines per file
   (counted only when one is needed). */
static int parts_end(struct row_source *s, int64_t lines, int skipped, struct lr_error *e)
{
    struct parts_state *st = s->state;
    st->line0 = comm_exscan_i64(lines);
    free(st->lines);
    st->lines = NULL;
    if (comm_max_i64(e->code == LR_EDATA || skipped)) {
        struct lr_error e2 = {0};
        st->lines = lr_malloc((size_t)(s->in.l->n + 1) * sizeof *st->lines);
        if (inputs_concat_lines(&st->cat, st->begin, st->end, st->lines, &e2) < 0 &&
            e->code == LR_OK)
            *e = e2;
    }
    if (e->code == LR_EDATA && st->lines) {
        int f = parts_place(s, e->line, &e->line);
        snprintf(e->file, sizeof e->file, "%s", s->in.l->path[f]);
    }
    st->done = 1;
    return comm_agree(e) == LR_OK ? 0 : -1;
}

static int parts_next(struct row_source *s, int64_t max_rows, struct csv_shard *b,
                      struct lr_error *e)
{
    struct parts_state *st = s->state;
    memset(b, 0, sizeof *b);
    if (st->done)
        return 0;
    if (source_check_block(max_rows, e) < 0)  /* the pass goes on */
        return -1;
    if (max_rows > 0 || st->blocks) {
        int64_t lines;
        int rc = source_next_block(&st->blocks, &st->cat.bytes, st->begin, st->end, &s->in,
                                   max_rows, b, &lines, e);
        st->any_skipped |= rc > 0 && b->n_first_skipped > 0;
        if (rc > 0)
            return 1;
        inputs_concat_failed(&st->cat, e);
        csv_reader_close(st->blocks);
        st->blocks = NULL;
        int got = parts_end(s, lines, st->any_skipped, e);
        st->any_skipped = 0;
        return rc < 0 || got < 0 ? -1 : 0;
    }
    csv_read_range(&st->cat.bytes, st->begin, st->end, &s->in.lay, s->in.n_threads, b, e);
    inputs_concat_failed(&st->cat, e);
    if (e->code == LR_OK && test_fail_here("parse", comm_rank()))
        lr_fail_at(e, LR_EDATA, s->in.lay.path, 0, 1, "injected parse failure (test build)");
    return parts_end(s, b->n_lines, b->n_first_skipped > 0, e) < 0 ? -1 : 1;
}

static int parts_rewind(struct row_source *s, struct lr_error *e)
{
    struct parts_state *st = s->state;
    csv_reader_close(st->blocks);
    st->blocks = NULL;
    st->any_skipped = 0;
    st->done = 0;
    return 0;
}

static void parts_close(struct row_source *s)
{
    struct parts_state *st = s->state;
    if (!st)
        return;
    csv_reader_close(st->blocks);
    inputs_concat_close(&st->cat);
    free(st->lines);
    free(st);
    s->state = NULL;
}

static const struct source_methods methods = {
    .name = "parts", .open = parts_open, .next = parts_next, .rewind = parts_rewind,
    .place = parts_place, .close = parts_close,
};

const struct source_methods *source_parts(void)
{
    return &methods;
}
