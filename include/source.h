/*
 * source.h — one interface for getting a data set's rows, whatever holds them.
 *
 * The caller (dataset.c) holds a struct row_source and calls its methods; only the
 * function that picks the kind (source_init) knows which one it has. Every kind gives this
 * rank its share of the data set's records: the rows a single CSV of the same records would
 * give it under the byte split of shard.h, so that models are the same bits whichever kind
 * read them.
 *
 *   source_csv.c         one plain CSV, each rank reading its own byte range
 *   source_parts.c       several plain files read in place as one stream (inputs.h); in
 *                        stream mode (window_rows > 0) also a list with gzip/zstd files,
 *                        once inputs_measure has given each its length (in.text)
 *   source_compressed.c  gzip/zstd files (and any list with one), resident: each
 *                        decompressed whole by one rank, parsed there, the rows moved
 *                        afterwards (rebalance)
 *   source_cache.c       the binary cache (cache.h, --cache) of the same files and options:
 *                        each rank reads the rows it would have parsed, already encoded
 *
 * Picking the kind (source_init) is collective when the input names a cache: the cache is
 * checked first (its header against the files and the options, quick or full, then this
 * rank's rows read and their crc32 checked; opened for a window, the rows are read through
 * for the check and none is kept), and only a cache that passes every check gives the
 * cache kind, its rows already read (or checked). An absent cache picks a CSV kind silently; a stale,
 * truncated or corrupt one picks it with rank 0's warning saying why; either way the CSV
 * kind keeps where each record starts (csv_layout.keep_offsets), so that the caller can
 * write the cache from the rows read (cache_write). A kind is thus never opened on a cache
 * that turns out unusable: open and next see only the kind picked.
 *
 * A pass: open once, then next until it returns 0; rewind starts another pass over the
 * same records in the same order. A block is a struct csv_shard: its rows (values,
 * target, weights), where each record starts (row_at, with csv_layout.keep_offsets),
 * the skipped records (skipped_at, skipped_off, the first few lines), and with an encoding
 * the levels read (dicts, seen). A kind whose rows come encoded (the cache) says so with
 * row_source.described: the data set's columns and encoding as stored, which the caller
 * takes instead of encoding the block; its block's first skipped "lines" are then places in
 * that stored table (place turns them into file and line). Blocks hold whole multiples of
 * PAR_CHUNK_ROWS rows (par.h) but the last of a pass, so that sums over fixed 4096-row
 * chunks in chunk order come out the same whether the rows arrive in one block or many.
 *
 * One block or many: next with max_rows 0 gives a rank's whole share as one block (the
 * commands read so when they hold every row). With max_rows > 0 (a multiple of
 * PAR_CHUNK_ROWS; stream mode, dataset.h) the share comes as blocks of exactly max_rows
 * rows but the last, and put together
 * (csv_shard_append) they are the one block bit for bit; csv_reader.h says how a block
 * holds its skipped records (each in the block of the row after it, or the last block;
 * skipped_at counts that block's rows), lines and levels. Lines continue from block to block: a
 * block's first_skipped and an error count from the share's start, as in the one block,
 * and place turns them into file and line once the pass has ended. A bad record is the one
 * the one block would report, the first in the data's order, on every rank: when a rank
 * fails, the ranks before it read the rest of their shares for an earlier one. (The ranks
 * after it stop, so a file that cannot be read further on, which the one block would have
 * reported instead, is not reached.) Every
 * rank gets as many blocks as the others (empty ones once its share has ended, with its
 * levels), and next returns 0 on every rank together. What each kind holds meanwhile:
 *   csv, parts   about one block of rows (and the text of one read with its rows): the
 *                reader parses on as the blocks are taken (csv_reader_next)
 *   cache        opened for a window (in.window_rows > 0): one block, read from the file
 *                (the probe has read every chunk of the share through once to check its
 *                crc32, keeping none); else the share's rows, read by the probe, and
 *                blocks are slices of them, kept for the next pass
 *   compressed   one block only: max_rows > 0 is LR_EUSAGE (stream mode reads such a
 *                list with the parts kind instead)
 * A pass is read one way: a pass begun block by block goes on so (max_rows 0 then gives the
 * rest of the share).
 *
 * Adding a source (a new way of getting rows):
 *   1. a file src/source_NAME.c with a `static const struct source_methods` table and
 *      its functions:
 *        open     collective: find this rank's share and check that the node's memory
 *                 holds it (source_check_memory), errors agreed (comm_agree);
 *        next     collective: the next block into *b (at most max_rows rows, a multiple of
 *                 PAR_CHUNK_ROWS; 0: no limit; see above); 1 with a block, 0 at the end of
 *                 the pass (on every rank together),
 *                 -1 with e: the error every rank returns, its line already placed
 *                 (FILE:LINE of the first bad record in the data set's order);
 *        rewind   collective: the next call of next starts the records again;
 *        place    local: a line of this rank's share (0-based, as a block counts it, valid
 *                 once the pass has ended) as its file (an index in the input list,
 *                 returned) and 1-based line there;
 *        rebalance  collective, optional (NULL: rows are already where they belong): move
 *                 the rows of a block that is d numbers wide to the ranks the byte split
 *                 gives them, row_at and skipped_off then in the stream's offsets;
 *        close    frees what open made; safe on a source that failed to open;
 *   2. a constructor in this header and one line in source_init (source.c); a kind that
 *      must be checked before it is chosen (the cache) gets a probe there, run first;
 *   3. tests: tests/unit/test_source.c (a pass, another after rewind, a placed line: add
 *      the kind there; a kind that reads block by block: its blocks put together are the
 *      one block), tests/integration/reader.sh and inputs.sh (the same rows, models and
 *      messages as one CSV of the same records, under ranks 1–3 and threads 1–2; errors
 *      at their FILE:LINE:COLUMN on every rank; reader.sh: in blocks too), cache.sh (a
 *      cache written from the source and read back), failures.sh (a rank whose reading
 *      fails takes the others out).
 *
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_SOURCE_H
#define LINREG_SOURCE_H

#include <stdint.h>
#include <sys/types.h>

#include "cache.h"
#include "csv_reader.h"
#include "error.h"
#include "inputs.h"
#include "shard.h"

/* What every kind is opened with: the same on every rank. The arrays have l->n entries. */
struct source_input {
    const struct input_list *l;  /* the files, in input order */
    int fd;                    /* one plain file: its descriptor, opened (and closed) by the
                                  caller, who read its head through it; -1 for a list */
    int64_t size;              /* one plain file: its bytes */
    const int64_t *data_start; /* where each file's data records start (after its header) */
    const int64_t *header_lines;  /* each file's header lines (0 without one) */
    const int64_t *text;       /* a plain file's bytes in the stream (inputs_heads); NULL for
                                  one plain file */
    struct csv_layout lay;     /* how a record becomes a row (the source sets quote_free, and
                                  keep_offsets when it moves rows) */
    int n_threads;             /* OpenMP threads for parsing, >= 1 */
    int64_t window_rows;       /* > 0: the rows are read in blocks of this many and never
                                  held all at once (the memory check counts two blocks);
                                  0: a pass holds the whole share */
    struct source_cache *cache;  /* --cache; NULL without */
};

/* --cache: the caller fills path, full, quiet, fp and meta's key (source_names, n_source,
   target); source_init fills files, and with the cache kind the rest of meta (its
   allocations the caller's: cache_meta_free). The same on every rank. */
struct source_cache {
    const char *path;
    int full;                  /* --cache-verify full: every file's bytes hashed too */
    int quiet;                 /* no warning, no "read N rows" line */
    struct cache_fingerprint fp;  /* the options the rows depend on (cache_fingerprint) */
    struct cache_csv files;    /* the files the cache must have seen; cache_csv_free */
    struct cache_meta meta;    /* the data set as the cache holds it */
};

struct row_source;

struct source_methods {
    const char *name;
    int (*open)(struct row_source *s, struct lr_error *e);
    int (*next)(struct row_source *s, int64_t max_rows, struct csv_shard *b, struct lr_error *e);
    int (*rewind)(struct row_source *s, struct lr_error *e);
    int (*place)(const struct row_source *s, int64_t line, int64_t *file_line);
    void (*rebalance)(struct row_source *s, struct csv_shard *b, int d);
    void (*close)(struct row_source *s);
};

struct row_source {
    const struct source_methods *m;
    struct source_input in;
    int64_t region_end;        /* the records' offsets (row_at) lie in [region_start,
                                  region_end): one CSV's data, or the stream of every file's
                                  data records; the stream's length may be known only once a
                                  pass has ended */
    int64_t region_start;
    struct cache_meta *described;  /* a kind whose rows come encoded: the data set's columns,
                                      encoding and first skipped records as stored (the
                                      caller may take its names and encoding); NULL: the
                                      caller encodes each block */
    double rows_estimate;      /* this rank's rows, estimated at open (source_check_memory) */
    void *state;               /* the kind's own */
};

/* Collective: the kind that reads in->l, ready to open: with in->cache, the cache kind when
   the cache is valid (its rows already read; see above), else the kind for the files: one
   plain file, plain files (or, with in->window_rows, files whose compressed ones have been
   measured: in->text[f] >= 0 for each), or a list with a compressed one. -1 with e (every rank) only
   when a file cannot be read or a node's memory falls short; s can then be closed. */
int source_init(struct row_source *s, const struct source_input *in, struct lr_error *e);

const struct source_methods *source_csv(void);
const struct source_methods *source_parts(void);
const struct source_methods *source_compressed(void);
const struct source_methods *source_cache(void);

/* LR_EUSAGE unless max_rows suits next: >= 0, a multiple of PAR_CHUNK_ROWS. The kinds'
   next check it first: a pass goes on after this error (after any other, it has ended). */
int source_check_block(int64_t max_rows, struct lr_error *e);

/*
 * Collective: next for a kind that parses a byte range [begin, end) of b (csv, parts),
 * block by block (max_rows checked already): *r its reader, opened on the pass's first
 * call. 1 with a block; 0 when every rank's range has ended; -1 when a rank failed, e set
 * on the ranks that did, with lines counted from the range's start (the kind places them
 * and agrees). *lines: the range's lines read, all of them on a rank that returns 0 or
 * lies before the first failing rank. The kind closes *r when the pass ends.
 */
int source_next_block(struct csv_reader **r, const struct byte_source *b, off_t begin,
                      off_t end, const struct source_input *in, int64_t max_rows,
                      struct csv_shard *out, int64_t *lines, struct lr_error *e);

/* The cache kind opened for a window (in.window_rows > 0): its reader of this rank's rows
   (cache.h), the caller's from here on, who reads later passes through it; NULL for any
   other kind. The source's own passes end with it. */
struct cache_rows *source_cache_take_rows(struct row_source *s);

/* Collective, the cache kind opened for a window, before its first next: the pass's one
   block as next would give it, but without its rows (X, y, w NULL; n_rows counts them):
   the share's skipped records, and rank 0's stored totals and first skipped records. The
   pass has then ended. */
void source_cache_share(struct row_source *s, struct csv_shard *b);

/* Collective, source_init's probe: 1 when in->cache is valid (s is then the cache kind), 0
   when the files must be read (their kind still to pick), -1 with e. */
int source_cache_probe(struct row_source *s, struct lr_error *e);

/*
 * Collective: will the rows of the ranks on each node fit in its memory? A rank estimates
 * its rows from the line length in the first 64 KiB of [begin, end) of b (s->rows_estimate);
 * a row is s->in.lay's numbers (features, target, weight); copies: 2 when the rows move
 * between ranks after parsing (the old and the new arrays for a moment). With
 * s->in.window_rows, a pass holds only a window of rows (the block being read, and the one
 * being used), and that is what must fit. LR_ENOMEM on every rank when a node falls short.
 */
int source_check_memory(const struct byte_source *b, struct row_source *s, off_t begin,
                        off_t end, int copies, struct lr_error *e);

/*
 * Collective: does each node have the memory its ranks need (need: this rank's bytes)? If
 * a node falls short, its ranks fail with LR_ENOMEM: "the N ranks on this node need about X
 * GB for <what>" (what names this rank's share), saying how many nodes the whole job would
 * need (more ranks on the same node do not help); path heads the message.
 */
int node_fits(double need, const char *what, const char *path, struct lr_error *e);

/* Bytes this node can still give: MemAvailable, or the cgroup's room if smaller; 0 when
   unknown (then nothing is checked). Not collective. */
double node_memory_available(void);

#endif
