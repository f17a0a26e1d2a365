/*
 * source_compressed.c — a list with a compressed file as a row source (source.h): a
 * compressed file cannot be split, so each file is decompressed whole by one rank
 * (inputs.h's input_share: a producer thread streams the rank's files into a memfd while
 * the reader parses it), and after encoding the rows move to the ranks the stream's byte
 * split gives them (rebalance), in stream order. Lines are each file's own. Resident mode
 * only: stream mode reads such a list block by block with the parts kind (source.c).
 */
#include "source.h"

#include <stdlib.h>

#include "comm.h"
#include "test_hooks.h"

struct compressed_state {
    struct input_share sh;     /* this rank's files, as one stream of text */
    int done;
};

static int compressed_open(struct row_source *s, struct lr_error *e)
{
    struct compressed_state *st = lr_calloc(1, sizeof *st);
    st->sh.fd = -1;
    s->state = st;
    if (inputs_share(s->in.l, s->in.data_start, &st->sh, e) < 0)
        return -1;
    s->in.lay.quote_free = 0;  /* known only at its end */
    s->in.lay.keep_offsets = 1;  /* the rows move by their place in the stream */
    /* sh.bytes is an estimate here: the text is still coming */
    return source_check_memory(&st->sh.text, s, 0, (off_t)st->sh.bytes, 2, e);
}

static int compressed_place(const struct row_source *s, int64_t line, int64_t *file_line)
{
    const struct compressed_state *st = s->state;
    return inputs_place(&st->sh, s->in.header_lines, line, file_line);
}

static int compressed_next(struct row_source *s, int64_t max_rows, struct csv_shard *b,
                           struct lr_error *e)
{
    struct compressed_state *st = s->state;
    memset(b, 0, sizeof *b);
    if (st->done)
        return 0;
    if (max_rows != 0)  /* the same on every rank */
        return lr_fail(e, LR_EUSAGE, "%s: a list with a compressed file is read as one block "
                       "per rank, not block by block", s->in.lay.path);
    csv_read_range(&st->sh.text, 0, CSV_STREAM_END, &s->in.lay, s->in.n_threads, b, e);
    int err_file = -1;  /* the file of this rank's error */
    inputs_share_wait(&st->sh, e, &err_file);  /* a stream error is the cause of any the
                                                  reader saw: it wins */
    if (e->code == LR_OK && test_fail_here("parse", comm_rank()))
        lr_fail_at(e, LR_EDATA, s->in.lay.path, 0, 1, "injected parse failure (test build)");
    comm_exscan_i64(b->n_lines);  /* as the other kinds: every rank takes part */
    if (e->code == LR_EDATA && err_file < 0) {
        err_file = compressed_place(s, e->line, &e->line);
        snprintf(e->file, sizeof e->file, "%s", s->in.l->path[err_file]);
    }
    /* the ranks' files are not in input order: the stream's first error wins, as in the
       one CSV (not the lowest rank's) */
    int64_t key = e->code != LR_OK && err_file >= 0 ? ((int64_t)err_file << 40) + e->line
                                                     : INT64_MAX;
    if (key > comm_min_i64(key) && e->code != LR_OK && err_file >= 0)
        memset(e, 0, sizeof *e);
    st->done = 1;
    if (comm_agree(e) != LR_OK)
        return -1;
    s->region_start = 0;
    s->region_end = comm_sum_i64(st->sh.bytes);  /* the stream: every rank's share of it */
    return 1;
}

static void compressed_rebalance(struct row_source *s, struct csv_shard *b, int d)
{
    struct compressed_state *st = s->state;
    /* offsets also where a formula's feature gives them (every rank, or none) */
    inputs_redistribute(s->in.l, &st->sh, b, d, s->in.lay.has_target, s->in.lay.has_weight,
                        s->in.lay.has_offset || b->offset);
}

/* Another pass decompresses the files again. */
static int compressed_rewind(struct row_source *s, struct lr_error *e)
{
    struct compressed_state *st = s->state;
    inputs_share_free(&st->sh);
    st->done = 0;
    return inputs_share(s->in.l, s->in.data_start, &st->sh, e);
}

static void compressed_close(struct row_source *s)
{
    struct compressed_state *st = s->state;
    if (!st)
        return;
    inputs_share_free(&st->sh);
    free(st);
    s->state = NULL;
}

static const struct source_methods methods = {
    .name = "compressed", .open = compressed_open, .next = compressed_next,
    .rewind = compressed_rewind, .place = compressed_place,
    .rebalance = compressed_rebalance, .close = compressed_close,
};

const struct source_methods *source_compressed(void)
{
    return &methods;
}
