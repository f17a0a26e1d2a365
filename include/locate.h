/*
 * locate.h — where a few rows came from: FILE:LINE of rows known by the offset at which
 * their record starts (csv_shard.row_at), for messages that name rows after the data are
 * loaded (the most influential rows of --diagnostics).
 *
 * The offsets are those the reader keeps: a single plain file's own, or for several plain
 * files the offset in their stream (inputs.h: each file's data records after its header,
 * one after another). A row's line is 1 + the newlines before its record in its file,
 * header included, so a record that spans several lines (a newline inside quotes) before
 * it counts all of them. Counting is one read of each file's text before the last offset
 * asked for, shared among the ranks (each counts its byte slice; one Allreduce).
 * Compressed inputs and rows read from the cache have no offsets to place: the caller
 * names rows by their number instead.
 *
 * Collective; calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_LOCATE_H
#define LINREG_LOCATE_H

#include <stdint.h>

#include "error.h"

struct row_places {
    int n;                     /* files, in input order; 0: offsets cannot be placed */
    char **path;
    int64_t *data_start;       /* n: where each file's data records start (after its header) */
    int64_t *start;            /* n + 1: where each file's data starts in the stream; NULL for
                                  one plain file (offsets are the file's own) */
};

/* Collective, the same offsets on every rank: off[k] (< 0: none) as file[k] (an index into
   pl->path, -1 for none) and its 1-based line[k]. A file that cannot be read is LR_ENOINPUT
   naming it, on every rank. */
int locate_rows(const struct row_places *pl, const int64_t *off, int n, int *file,
                int64_t *line, struct lr_error *e);
/* Local: offset off as its file (an index into pl->path) and *in_file, its offset in
   that file. */
int locate_file(const struct row_places *pl, int64_t off, int64_t *in_file);
void row_places_free(struct row_places *pl);

#endif
