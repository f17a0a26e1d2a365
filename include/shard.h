/*
 * shard.h — which bytes of the CSV each rank reads.
 *
 * The data region [data_start, size) is cut into p nominal pieces of equal bytes; rank r
 * takes [line_start(r·L/p), line_start((r+1)·L/p)), where line_start(pos) is the first line
 * start at or after pos. The ranges partition the data exactly at line boundaries, need no
 * communication, and each rank reads only a few bytes past its own range to find them.
 * A line longer than a piece simply leaves some ranks an empty range.
 *
 * Offsets are 64-bit (off_t with _FILE_OFFSET_BITS=64). Never calls MPI, never exits.
 */
#ifndef LINREG_SHARD_H
#define LINREG_SHARD_H

#include <sys/types.h>

#include "error.h"

int shard_range(int fd, const char *path, off_t data_start, off_t size, int rank, int n_ranks,
                off_t *begin, off_t *end, struct lr_error *e);

/* pread all n bytes at off (retrying short reads); returns bytes read (< n at EOF) or -1. */
ssize_t shard_pread(int fd, void *buf, size_t n, off_t off);

#endif
