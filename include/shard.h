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

/* Quote characters in [lo, hi) of fd, into *n. */
int shard_count_quotes(int fd, const char *path, off_t lo, off_t hi, int64_t *n,
                       struct lr_error *e);

/* Rank r's range; odd_lo and odd_hi are the parities of the quotes in [data_start, lo) and
   [data_start, hi) of its nominal piece. */
int shard_range(int fd, const char *path, off_t data_start, off_t size, int rank, int n_ranks,
                int odd_lo, int odd_hi, off_t *begin, off_t *end, struct lr_error *e);

/* pread all n bytes at off (retrying short reads); returns bytes read (< n at EOF) or -1. */
ssize_t shard_pread(int fd, void *buf, size_t n, off_t off);

/* A descriptor whose bytes come from elsewhere (several files read as one stream,
   inputs.h): while registered, shard_pread(fd, ...) returns read(ctx, ...) instead, with
   the same contract. read NULL: fd is an ordinary descriptor again. A few at a time. */
typedef ssize_t (*shard_read_fn)(void *ctx, void *buf, size_t n, off_t off);
void shard_virtual(int fd, shard_read_fn read, void *ctx);

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
