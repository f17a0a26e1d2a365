/*
 * csv_reader.h — turn one rank's byte range of a CSV into a row-major double matrix.
 *
 * Owns: the per-thread libcsv parsers and block buffers (freed before returning), and the
 * rows it returns (struct csv_shard, freed with csv_shard_free).
 * Never calls MPI, never exits: line numbers in errors are relative to the range and the
 * caller (dataset.c) turns them into global ones.
 *
 * A record is one line: a newline inside a quoted field is an error. Blank lines and
 * lines of only spaces are skipped. CRLF, a final line without newline, quoted numbers
 * and spaces around numbers are accepted. Fields are converted with num_parse (strict).
 *
 * Shapes: N rows, D features. X is N×D row-major, y has N entries.
 */
#ifndef LINREG_CSV_READER_H
#define LINREG_CSV_READER_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum { COL_SKIP = -1, COL_TARGET = -2 };  /* csv_layout.slot values besides feature indices */

struct csv_layout {
    const char *path;          /* for messages */
    char delimiter;
    int n_cols;                /* fields every row must have */
    const int *slot;           /* per column: feature index 0..D-1, COL_TARGET or COL_SKIP */
    char *const *names;        /* per column, for messages */
    int n_features;            /* D */
    int has_target;
    int skip_bad_rows;         /* 1: skip and count bad rows instead of failing */
};

#define CSV_FIRST_SKIPPED 5

struct csv_shard {
    int64_t n_rows;            /* N */
    double *X;                 /* N×D row-major */
    double *y;                 /* N, or NULL without a target */
    int64_t n_lines;           /* lines in the range (a last line without newline counts) */
    int64_t n_skipped;         /* bad rows skipped (skip_bad_rows) */
    int n_first_skipped;
    int64_t first_skipped[CSV_FIRST_SKIPPED];  /* 0-based line indices within the range */
};

/*
 * Parse [begin, end) of fd, which starts at a line start, with n_threads OpenMP threads.
 * On a data error returns -1 with e->code = LR_EDATA, e->line = the 0-based line index
 * within the range, e->column = the 1-based byte column. Read errors give LR_ENOINPUT.
 */
int csv_read_range(int fd, off_t begin, off_t end, const struct csv_layout *lay, int n_threads,
                   struct csv_shard *out, struct lr_error *e);
void csv_shard_free(struct csv_shard *s);

/*
 * The first line(s) of the file, read by rank 0: the header (or, with no header, the first
 * data line, to count columns) and the first data line, split into fields with libcsv.
 */
struct csv_head {
    int n_cols;
    char **names;              /* n_cols names (generated "colK" when absent or empty) */
    char **first_row;          /* n_cols fields of the first data line, or NULL if none */
    off_t data_start;          /* byte offset where data lines begin (after header/BOM) */
    int64_t header_lines;      /* 1 with a header, 0 without */
};
int csv_read_head(int fd, const char *path, char delimiter, int has_header, struct csv_head *h,
                  struct lr_error *e);
void csv_head_free(struct csv_head *h);

#endif
