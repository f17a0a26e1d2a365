/*
 * scratch.h — a rank's rows kept on disk between passes, for data that memory does not
 * hold: written once as they are read and encoded, read back in order on every later pass.
 *
 * Each rank has its own file, with no name: created with O_TMPFILE in the directory (or
 * created and unlinked at once where the file system lacks it), so it is gone when the
 * process ends, however it ends (an error, a signal, kill -9), and no other process can
 * open it. A row is stored as its D numbers, then its target and its weight when the data
 * set has them, as the bytes of the doubles: read back, they are the same bits.
 *
 * Opening is collective: the directory is checked on every rank, and so is the room for the
 * rows the ranks of a node will write there (they may share its file system), so that a
 * directory that cannot hold them fails before any pass, on every rank, with the numbers.
 * Writing and reading are local. Never calls MPI outside comm.h; never exits.
 */
#ifndef LINREG_SCRATCH_H
#define LINREG_SCRATCH_H

#include <stdint.h>

#include "error.h"

struct scratch {
    int fd;                    /* -1: not open */
    int d, has_y, has_w;       /* numbers per row: d, then y and w when present */
    int64_t n_rows;            /* rows written */
    int64_t next;              /* the next row to read */
    double *buf;               /* one block of rows as stored */
    int64_t buf_rows;
};

/*
 * Collective: an unnamed file in dir (NULL or "": $TMPDIR, else /tmp) for up to `rows`
 * rows of this rank, each d numbers wide plus y and w as flagged. Fails on every rank with
 * LR_ECANTCREAT when a rank cannot create a file there, or when the node's ranks' rows
 * would not fit in the free space of their file systems (saying how much they need and
 * how much there is, and naming --scratch).
 */
int scratch_open(struct scratch *s, const char *dir, int d, int has_y, int has_w, int64_t rows,
                 struct lr_error *e);

/* Local: n rows appended (X n×d row-major, y and w n each when flagged). */
int scratch_append(struct scratch *s, const double *X, const double *y, const double *w,
                   int64_t n, struct lr_error *e);

/* Local: the next pass reads from the first row. */
void scratch_rewind(struct scratch *s);

/* Local: up to max_rows (> 0) next rows into X, y, w (caller's, room for max_rows each);
   returns the rows read, 0 at the end of the pass, -1 with e (LR_ENOINPUT: unreadable). */
int64_t scratch_read(struct scratch *s, int64_t max_rows, double *X, double *y, double *w,
                     struct lr_error *e);

/* Local: the same rows as stored, without copying them apart: *rows points at n rows of
   d numbers, then y and w when flagged (valid until the next call); returns n as
   scratch_read does. */
int64_t scratch_read_rows(struct scratch *s, int64_t max_rows, const double **rows,
                          struct lr_error *e);

/* Local: one pass over s, block_rows rows at a time: each row for which take(ctx, i) is
   non-zero (i counts s's rows from 0) appended to out (rows of the same shape; NULL: such
   rows dropped), in order;
   s keeps the others, in order, rewritten in place, and is rewound. With w_sums (s's rows
   have w), w_sums[0] is the sum of the weights s keeps and w_sums[1] of those taken, each
   added in row order: the bits a pass over either part gives. -1 with e when a read or
   write fails (LR_ENOINPUT, LR_ECANTCREAT). */
int scratch_split(struct scratch *s, int64_t block_rows, int (*take)(void *ctx, int64_t row),
                  void *ctx, struct scratch *out, double *w_sums, struct lr_error *e);

/* Local: whether s's file system keeps its files in memory (tmpfs, ramfs). */
int scratch_in_memory(const struct scratch *s);

/* Local: number j of stored row i into *v, without moving the pass along; -1 with e
   (LR_ENOINPUT) when it cannot be read. */
int scratch_get(const struct scratch *s, int64_t i, int j, double *v, struct lr_error *e);

/* Closes the file (its blocks go back to the file system); safe on one never opened. */
void scratch_close(struct scratch *s);

/*
 * Blocks kept as a solver reads them, for the many passes of gradient descent: each block's
 * rows as given (X n×d row-major, then y, then w as flagged), on pages of its own, mapped
 * back read-only without a copy. One block is mapped at a time (its pages leave the process
 * when the next is mapped), so the memory a pass holds does not grow with the rows. An
 * unnamed file, checked for room on every rank as scratch_open does.
 */
struct scratch_blocks {
    int fd;                    /* -1: not open */
    int d, has_y, has_w;
    int64_t n_blocks, cap;
    int64_t *off, *rows;       /* each block's place in the file and its rows */
    int64_t end;               /* where the next block goes */
    int64_t next;              /* the next block to map */
    void *map;                 /* the block mapped now, map_len bytes; NULL: none */
    size_t map_len;
};

/* Collective: as scratch_open, for about rows rows of d numbers (and y, w as flagged). */
int scratch_blocks_open(struct scratch_blocks *b, const char *dir, int d, int has_y, int has_w,
                        int64_t rows, struct lr_error *e);
/* Local: a block of n rows appended; LR_ECANTCREAT when it cannot be written. */
int scratch_blocks_put(struct scratch_blocks *b, const double *X, const double *y,
                       const double *w, int64_t n, struct lr_error *e);
/* Local: the next block, mapped (valid until the next call, a rewind or close): its rows,
   0 after the last, -1 with e (LR_ENOINPUT). */
int64_t scratch_blocks_map(struct scratch_blocks *b, const double **X, const double **y,
                           const double **w, struct lr_error *e);
void scratch_blocks_rewind(struct scratch_blocks *b);
void scratch_blocks_close(struct scratch_blocks *b);

#endif
