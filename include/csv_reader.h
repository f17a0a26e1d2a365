/*
 * csv_reader.h — turn one rank's byte range of a CSV into a row-major double matrix.
 *
 * Owns: the per-piece libcsv parsers and block buffers (freed before returning), and the
 * rows it returns (struct csv_shard, freed with csv_shard_free).
 * Never calls MPI, never exits: line numbers in errors are relative to the range and the
 * caller (a row source, source.h) turns them into global ones.
 *
 * Records are RFC 4180's: a quoted field may hold the delimiter, doubled quotes and
 * newlines (LF or CRLF), so one record may span several physical lines; where records
 * start follows from the parity of the quotes (shard.h). Blank lines and lines of only
 * spaces are skipped. CRLF, a final line without newline, quoted numbers and spaces around
 * numbers are accepted. A carriage return outside quotes that no line feed follows
 * (CR-only line endings) is an error. Fields are converted with num_parse (strict); with
 * an encoding (csv_layout.enc) a field may also be missing or a categorical level, decided
 * in one function per field (field_value in csv_reader.c) that every tokenizer calls.
 *
 * Lines are physical lines (counted by '\n'): an error names the line where its record
 * starts, with the byte column of the offending field when it starts on that line; when
 * it starts further down (after a newline inside quotes), the column is 1 and the
 * message says how many lines below and at which column.
 *
 * Work is split as par.h says: a block of the range is cut into pieces by its bytes, each
 * piece moved to the next record start, the pieces parsed by whatever team OpenMP gives,
 * and their rows appended in piece order, so any thread count gives the same bits.
 *
 * Shapes: N rows, D features. X is N×D row-major, y has N entries.
 */
#ifndef LINREG_CSV_READER_H
#define LINREG_CSV_READER_H

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "encode.h"
#include "error.h"
#include "shard.h"

enum { COL_SKIP = -1, COL_TARGET = -2 };  /* csv_layout.slot values besides feature indices */
/* The --weights column: a finite number >= 0 (else a data error at its field). */
enum { COL_WEIGHT = -8, COL_OFFSET = -9 };
/* The --cov cluster columns (up to 2; a feature too only if its slot says so): any value
   but a missing one becomes a 64-bit key in csv_shard.g (a number by its value, text by a
   hash of its bytes). */
enum { CSV_MAX_GROUPS = 2 };

/* What a message about a bad value suggests: how the column could be left out. */
enum csv_hint {
    CSV_HINT_DROP,             /* --drop NAME (columns chosen by default) */
    CSV_HINT_FEATURES,         /* leave it out of --features */
    CSV_HINT_MODEL,            /* the model needs the column: only skipping rows helps */
};

struct csv_layout {
    const char *path;          /* for messages */
    char delimiter;
    int n_cols;                /* fields every row must have */
    const int *slot;           /* per column: feature index 0..D-1, COL_TARGET or COL_SKIP */
    char *const *names;        /* per column, for messages */
    int n_features;            /* D */
    int has_target;
    int has_weight;            /* a COL_WEIGHT slot: out->w holds it */
    int has_offset;            /* a COL_OFFSET slot (--offset): out->offset holds it */
    int offset_target;         /* with has_offset: out->y holds the target less the offset
                                  (what a fit with --offset fits) */
    int n_groups;              /* cluster id columns: out->g holds their keys */
    int group_col[CSV_MAX_GROUPS];  /* ... their column indices */
    int groups_skip_missing;   /* a missing cluster id skips the record (else an error) */
    int skip_bad_rows;         /* 1: skip and count bad records instead of failing */
    const struct enc_reader *enc;  /* per column: number, level or missing (encode.h); NULL:
                                  numbers only, a missing value is an error */
    enum csv_hint hint;
    int formula;               /* the columns are a --formula's (or a formula model's): a
                                  message suggests only what a formula accepts */
    int quote_free;            /* the whole data holds no quote: the parity scans of the
                                  blocks are skipped */
    int keep_offsets;          /* 1: where each row's and each skipped record starts, in
                                  csv_shard.row_at and skipped_off (the cache needs them) */
    int keep_missing_rows;     /* 1: a record skipped for a missing value keeps its numbers
                                  (csv_shard.skipped_x): a model formula's orthogonal
                                  polynomials are fitted on the rows of R's model frame,
                                  before its rows with a missing value are dropped */
    int libcsv_only;           /* 1: every record through libcsv, none through the fast
                                  path for plain lines (scan.h): the tests' reference */
    size_t block_bytes;        /* bytes of text per piece of a block; 0: 8 MiB. The tests set
                                  a few, so that block and piece boundaries fall everywhere
                                  in a small file (inside quoted fields too) */
};

#define CSV_FIRST_SKIPPED 5

struct csv_shard {
    int64_t n_rows;            /* N */
    double *X;                 /* N×D row-major */
    double *y;                 /* N, or NULL without a target */
    double *w;                 /* N sample weights, or NULL without a weight column */
    double *offset;            /* N --offset values, or NULL without an offset column */
    uint64_t *g;               /* N×n_groups cluster keys, or NULL without cluster columns */
    int n_groups;
    int64_t n_lines;           /* physical lines in the range (a last line without newline
                                  counts) */
    int64_t n_skipped;         /* records skipped: bad ones (skip_bad_rows) and those with a
                                  missing value that is not kept (encode.h) */
    int64_t n_skipped_missing; /* ... of which for a missing value */
    struct level_dict *dicts;  /* with enc: per feature slot, this range's levels (ids as
                                  stored in X); NULL without enc */
    int n_dicts;
    unsigned char *seen;       /* with enc: per feature slot, 1: a number, 2: a level seen,
                                  4: levels beyond the dictionary's limits */
    int overflow;              /* with enc: 1 + the first slot whose levels passed
                                  enc->max_entries or max_bytes (0: none) */
    int64_t *missing;          /* with enc, a range read whole (csv_read_range): per feature
                                  slot, the rows whose value is missing (encode.h); else NULL */
    int64_t *skipped_at;       /* n_skipped entries: entry k = rows of this shard before
                                  skipped record k (non-decreasing) */
    int64_t *row_at;           /* with keep_offsets: N file offsets where each row's record
                                  starts (increasing); else NULL */
    int64_t *skipped_off;      /* with keep_offsets: n_skipped offsets where each skipped
                                  record starts */
    double *skipped_x;         /* with keep_missing_rows: per skipped record, its n_features
                                  values and its target (X's slots, then y; a level, a
                                  missing value or a field that is no number NaN; all NaN
                                  for a record skipped for anything but a missing value) */
    int n_first_skipped;       /* the first few skipped records' lines, 0-based within the
                                  range: first and last physical line of each */
    int64_t first_skipped[CSV_FIRST_SKIPPED];
    int64_t first_skipped_last[CSV_FIRST_SKIPPED];
};

/*
 * Parse [begin, end) of src, which starts at a record start, with n_threads OpenMP threads.
 * On a data error returns -1 with e->code = LR_EDATA, e->line = the 0-based line index
 * within the range, e->column = the 1-based byte column. Read errors give LR_ENOINPUT; a
 * short read is one ("file shrank"), except with end = CSV_STREAM_END: src is a stream
 * whose length is not known in advance (inputs.h), read once, in order, from begin, and
 * its first short read ends the range.
 */
#define CSV_STREAM_END ((off_t)-1)
int csv_read_range(const struct byte_source *src, off_t begin, off_t end,
                   const struct csv_layout *lay, int n_threads, struct csv_shard *out,
                   struct lr_error *e);
void csv_shard_free(struct csv_shard *s);

/*
 * The same range read block by block, so that only about one block of rows is held at a
 * time (besides the text being parsed and the rows of one buffer of it). csv_reader_next
 * gives the range's rows in order, at most max_rows at a time (0: all that are left):
 * every block but the last holds exactly max_rows. Its blocks put together
 * (csv_shard_append) are csv_read_range's shard, bit for bit:
 *   - a block holds its rows and the skipped records before its last row that no earlier
 *     block holds; the last one also those after it. skipped_at counts the block's rows.
 *   - n_lines: the lines from the end of the previous block's last record (the range's
 *     start for the first) to the end of its own (the range's end for the last).
 *   - lines (first_skipped, an error's e->line) count from the range's start, continuing
 *     from block to block; first_skipped holds those of the range's first
 *     CSV_FIRST_SKIPPED skipped records that the block holds.
 *   - dicts, seen, overflow: the levels of the range read so far, ids as stored in X (the
 *     same in every block of the range): the last block's are csv_read_range's.
 * Returns 1 with a block, 0 at the range's end (*out: an empty block, with the levels), -1
 * with e as csv_read_range's (the rows before the error are not handed out).
 */
struct csv_reader;
struct csv_reader *csv_reader_open(const struct byte_source *src, off_t begin, off_t end,
                                   const struct csv_layout *lay, int n_threads);
int csv_reader_next(struct csv_reader *r, int64_t max_rows, struct csv_shard *out,
                    struct lr_error *e);
/* Parse the rest of the range and drop its rows: its lines counted, its first error found. */
int csv_reader_drain(struct csv_reader *r, struct lr_error *e);
/* The range's lines parsed so far: all of them once next has returned 0 or drain 0; up to
   the failing part of the text after an error. */
int64_t csv_reader_lines(const struct csv_reader *r);
void csv_reader_close(struct csv_reader *r);

/* Rows [row, row + n) of s (d numbers wide) and its skipped records [skip, skip + n_skip)
   into out (zeroed, or holding only levels), skipped_at counted from row. */
void csv_shard_slice(const struct csv_shard *s, int d, int64_t row, int64_t n, int64_t skip,
                     int64_t n_skip, struct csv_shard *out);
/* Append block b of a pass (d numbers wide) to dst, the blocks before it put together:
   dst becomes what one block of them all would be; b is freed. */
void csv_shard_append(struct csv_shard *dst, struct csv_shard *b, int d);

/*
 * The first record of the file, read by rank 0: the header (or, with no header, the first
 * data record, to count columns), split into fields with libcsv. Names must be unique
 * (checked in linear time). A UTF-16 byte order mark and CR-only line endings are
 * errors that say so.
 */
struct csv_head {
    int n_cols;
    char **names;              /* n_cols names (generated "colK" when absent or empty) */
    off_t data_start;          /* byte offset where data records begin (after header/BOM) */
    int64_t header_lines;      /* physical lines of the header: 0 without one */
    int first_unnamed;         /* the header's first field is empty and another is not: R's
                                  row names or a pandas index, as write.csv and to_csv
                                  write them */
};
int csv_read_head(int fd, const char *path, char delimiter, int has_header, struct csv_head *h,
                  struct lr_error *e);
void csv_head_free(struct csv_head *h);

/* The column of h named name; -1 when none. */
int csv_find_column(const struct csv_head *h, const char *name);
/* LR_EDATA at the header's line: "WHAT: no column named 'NAME' (columns: a, b, ...)". */
int csv_no_such_column(const struct csv_head *h, const char *path, const char *what,
                       const char *name, struct lr_error *e);
/* The columns of a comma-separated list of names (spaces around a name do not count) into
   cols (room for one per comma, plus one), *n of them; -1 naming the first unknown name. */
int csv_columns_named(const struct csv_head *h, const char *list, const char *what,
                      const char *path, int *cols, int *n, struct lr_error *e);

#endif
