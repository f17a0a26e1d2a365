/*
 * shard.h — which bytes of the CSV each rank reads, and where records start.
 *
 * A record is what RFC 4180 says: it ends at a newline outside quotes, so a quoted field
 * may hold newlines. Whether a byte lies inside quotes follows from the parity of the
 * quote characters before it (a doubled quote counts twice and keeps the parity), so a
 * record start is a byte after a '\n' preceded by an even number of quotes. That rule
 * needs no sequential pass: the caller counts the quotes of each rank's nominal piece
 * (shard_count_quotes), a prefix sum over ranks gives every rank the parity where its
 * piece starts and ends, and each rank then finds the record starts near both ends.
 *
 * The data region [data_start, size) is cut into p nominal pieces of equal bytes; rank r
 * takes [record_start(r·L/p), record_start((r+1)·L/p)), where record_start(pos) is the
 * first record start at or after pos. The ranges partition the data exactly at record
 * boundaries, and each rank reads only its own piece plus the bytes to the next record
 * start. A record longer than a piece simply leaves some ranks an empty range.
 *
 * Offsets are 64-bit (off_t with _FILE_OFFSET_BITS=64). Never calls MPI, never exits.
 */
#ifndef LINREG_SHARD_H
#define LINREG_SHARD_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Rank r's nominal piece [*lo, *hi) of the data region, before realignment. */
void shard_nominal(off_t data_start, off_t size, int rank, int n_ranks, off_t *lo, off_t *hi);

/*
 * Where a range's bytes come from, passed to whoever reads them: pread returns all n bytes
 * at off (short only at the end of the data), or -1 with errno. One file: byte_source_fd;
 * several files read as one stream, or a compressed file's text as it is decompressed:
 * inputs.h's.
 */
struct byte_source {
    ssize_t (*pread)(void *ctx, void *buf, size_t n, off_t off);
    void *ctx;
};

static inline ssize_t byte_pread(const struct byte_source *b, void *buf, size_t n, off_t off)
{
    return b->pread(b->ctx, buf, n, off);
}

/* The descriptor fd's bytes (shard_pread). */
struct byte_source byte_source_fd(int fd);

/* Quote characters in [lo, hi) of b, into *n. */
int shard_count_quotes(const struct byte_source *b, const char *path, off_t lo, off_t hi,
                       int64_t *n, struct lr_error *e);

/* Rank r's range; odd_lo and odd_hi are the parities of the quotes in [data_start, lo) and
   [data_start, hi) of its nominal piece. */
int shard_range(const struct byte_source *b, const char *path, off_t data_start, off_t size,
                int rank, int n_ranks, int odd_lo, int odd_hi, off_t *begin, off_t *end,
                struct lr_error *e);

/* pread all n bytes at off of fd (retrying short reads and EINTR); returns bytes read
   (< n at EOF) or -1. */
ssize_t shard_pread(int fd, void *buf, size_t n, off_t off);

/* pwrite all n bytes at off of fd (retrying short writes and EINTR); 0 or -1 (errno). */
int shard_pwrite(int fd, const void *buf, int64_t n, off_t off);

/* ---- the same rule on bytes in memory (the reader's blocks and the header) ---- */

/* Quote characters in p[0..n): memchr speed when there are none. */
int64_t shard_quotes(const char *p, size_t n);

/*
 * The end of the record that p[0..n) is inside, when the quote parity at p is odd: the
 * offset just past the first '\n' outside quotes, or -1 when p[0..n) has none. *inside
 * counts the '\n' passed inside quotes; *odd_end is the parity at n when -1 is returned.
 */
ssize_t shard_record_end(const char *p, size_t n, int odd, int64_t *inside, int *odd_end);

/* The first record start in p[0..n) at or after offset at, whose quote parity is odd
   (offset 0 is a record start); n when there is none. */
size_t shard_record_start(const char *p, size_t n, size_t at, int odd);

/* The offset just past the last '\n' outside quotes in p[0..n), whose quote parity at n is
   odd_end; 0 when there is none. */
size_t shard_last_record_end(const char *p, size_t n, int odd_end);

#endif
