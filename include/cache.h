/*
 * cache.h — the binary cache of a data set's parsed rows (--cache PATH): repeated runs on
 * the same data skip parsing.
 *
 * A cache holds the rows as the reader returned them (after column selection, before any
 * scaling), where each row's record starts in the data, and the skipped records (offset and
 * position among the rows), so that every rank count reads from it exactly the rows it
 * would have parsed: rank r takes the rows whose records start in its nominal byte range
 * [r·L/p, (r+1)·L/p) of the data (shard.h), which is what realigning that range to record
 * starts gives. The data is one CSV's bytes after its header, or, for several files or a
 * compressed one, the stream of every file's data records in input order: the
 * offsets are then the stream's. The run then proceeds bit for bit as from the files.
 *
 * File layout (native byte order, checked): a 4096-byte header (magic "LRMPICAC", version,
 * its own crc32; the data's region and file count, a digest of every file's content; the
 * options fingerprint; the shape; a table of sections), the crc32 of every 1 MiB chunk of
 * every section, then the sections, each at a 4096-byte boundary: "X" (N×D doubles,
 * row-major), "y" (N doubles), "row_at" (N record offsets), "skipped" (offset and global
 * rows before, per skipped record), "index" (the record offset of each "row_at" chunk's
 * first row: a rank finds its rows with two chunk reads), "names" (target and source
 * feature names), "w" (N sample weights, with --weights), "meta" (JSON: the encoding,
 * the feature names after encoding) and "files" (each file's identity:
 * size, device, inode, mtime in ns, data start, digest of its header and of its content;
 * then the paths as given). A section is found by its tag; the options that shape the rows
 * are the items of the fingerprint (cache_fingerprint, the one place that lists them).
 *
 * Writing is collective: every rank writes its rows at its global row offset into one
 * temporary file (in one piece, or block by block: cache_write_begin), chunks shared by two
 * ranks (or written in pieces) get their crc32 combined (crc32_combine), rank 0 renames the
 * file into place (atomic_file.h). Reading is collective: rank 0 checks the header against
 * the files and the options, then every rank preads only its own rows and checks each
 * chunk's crc32 as it reads (at once, or block by block: cache_open_rows).
 *
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_CACHE_H
#define LINREG_CACHE_H

#include <stdint.h>

#include "csv_reader.h"
#include "encode.h"
#include "error.h"
#include "inputs.h"

#define CACHE_MAX_ITEMS 16

/* The options that change the parsed rows, each as a named 64-bit digest. */
struct cache_fingerprint {
    int n;
    struct {
        char name[24];         /* for the message that says what differs */
        uint64_t value;
    } item[CACHE_MAX_ITEMS];
};

/* The one function that lists what a cache's rows depend on besides the CSV's bytes: how
   a record becomes a row (lay), the header, whether a row with a missing target is kept,
   the encoding's options. */
void cache_fingerprint(const struct csv_layout *lay, int has_header, int target_optional,
                       const struct enc_options *enc, struct cache_fingerprint *fp);

/*
 * The data set a cache holds besides each rank's rows, the same on every rank. The key
 * (what a reader has before encoding: the source feature columns and the target) is the
 * caller's, for cache_read and cache_write; the rest cache_write stores and cache_read
 * returns (malloc'd: cache_meta_free). The feature names and the encoding are the "meta"
 * section, JSON.
 */
struct cache_meta {
    char *const *source_names; /* the key */
    int n_source;
    const char *target;        /* the target column; NULL without one */
    int n_features;            /* numbers per row of X (after encoding) */
    int has_weight;
    int64_t n_rows, n_skipped; /* all ranks */
    int64_t n_skipped_missing; /* ... of the skipped, for a missing value */
    int n_first_skipped;       /* the first few skipped records' lines (dataset.h) */
    int64_t first_skipped[CSV_FIRST_SKIPPED], first_skipped_last[CSV_FIRST_SKIPPED];
    char *first_skipped_path[CSV_FIRST_SKIPPED];  /* several files: each one's; else NULL */
    char **feature_names;      /* n_features names after encoding */
    struct encoding enc;       /* the source columns and how they became X */
};
void cache_meta_free(struct cache_meta *m);

/* One file of the data set as a cache must have seen it. */
struct cache_file {
    int64_t size, mtime_s, mtime_ns, data_start;  /* data_start: the bytes before its data
                                                     (of its decompressed text) */
    uint64_t dev, ino;
    uint64_t head_digest;      /* of those bytes (header, BOM); 0 for a compressed file */
    int32_t comp, pad;         /* enum input_comp */
    const char *path;          /* as given */
};

/*
 * The data set as a cache must have seen it: its files in input order, and the region
 * [data_start, size) that its rows' record offsets (csv_layout.keep_offsets) lie in and
 * that shard_nominal cuts into the ranks' pieces. One CSV: its own data start and size.
 * Several files (or a compressed one): 0 and L, the length of the stream that is every
 * file's data records one after another.
 */
struct cache_csv {
    int fd;                    /* the one CSV's descriptor; -1 for a list */
    int n;                     /* files */
    struct cache_file *file;   /* n, malloc'd: cache_csv_free */
    int64_t data_start, size;  /* the region */
    char label[64];            /* a list in messages: "the 7 input files" */
};

/* Collective: fill c for the open CSV fd whose data start at data_start. */
int cache_csv_init(struct cache_csv *c, const char *path, int fd, int64_t data_start,
                   struct lr_error *e);

/*
 * Collective: fill c for the files of l (the same list on every rank), whose data start at
 * data_start[f] (their headers' bytes, of the decompressed text for a compressed file).
 * Rank 0 looks at every file: size, device, inode, modification time, and for a plain file
 * a digest of its first data_start[f] bytes. A compressed file's header is not read here:
 * its size, modification time and inode stand for it (and --cache-verify full hashes its
 * compressed bytes). stream_len is L, or -1 when it is not known before parsing: the
 * region of a valid cache is then the one it was written with (the files vouch for it),
 * and the caller sets c->size = L before cache_write. LR_ENOINPUT naming a file that
 * cannot be read.
 */
int cache_csv_init_list(struct cache_csv *c, const struct input_list *l,
                        const int64_t *data_start, int64_t stream_len, struct lr_error *e);
void cache_csv_free(struct cache_csv *c);

/*
 * Collective, with threads OpenMP threads per rank: when the cache at path is valid for the
 * data set, m's key and the fingerprint (full: every file's bytes, as stored, hashed too),
 * read this rank's rows into *rows (X, y, w, skipped_at) and the rest of m, and return 1.
 * Absent: return 0. Stale, truncated or corrupt: rank 0 prints a warning saying why, naming
 * the first file that differs (unless quiet), and 0 is returned, nothing allocated: the
 * caller parses and writes the cache again. -1 with e only when a file of the data set
 * cannot be read (full verification).
 */
int cache_read(const char *path, int full, const struct cache_csv *c,
               const struct cache_fingerprint *fp, struct cache_meta *m, struct csv_shard *rows,
               int threads, int quiet, struct lr_error *e);

/*
 * Reading a rank's rows block by block (stream mode: a few blocks held, not the share).
 * cache_open_rows makes cache_read's checks, with its verdicts and warnings, but keeps no
 * row: it finds this rank's rows, reads its skipped records into skipped (n_rows: the
 * rank's rows; n_skipped, skipped_at), and reads every chunk of its rows' sections through
 * once, checking each crc32, so that a damaged cache is found (a warning, 0: the caller
 * reads the files) before any row is used. 1 with *r open. cache_rows_read then gives the
 * next rows of a pass, checking the crc32 of every chunk it reads again: a chunk that
 * fails now (the file changed during the run) is LR_EDATA. Local but cache_open_rows.
 */
struct cache_rows;
int cache_open_rows(const char *path, int full, const struct cache_csv *c,
                    const struct cache_fingerprint *fp, struct cache_meta *m,
                    struct csv_shard *skipped, struct cache_rows **r, int threads, int quiet,
                    struct lr_error *e);
/* Up to max_rows next rows into X (room for max_rows x n_features), y and w (as the cache
   holds them; room for max_rows each; NULL: that section not read): the rows read, 0 at
   the end of the pass, -1 with e. */
int64_t cache_rows_read(struct cache_rows *r, int64_t max_rows, double *X, double *y,
                        double *w, struct lr_error *e);
void cache_rows_rewind(struct cache_rows *r);
void cache_rows_close(struct cache_rows *r);  /* NULL: nothing */

/*
 * Collective: write every rank's rows (parsed with csv_layout.keep_offsets: row_at and
 * skipped_off in the region's offsets) and m to path. A failure is a warning (unless
 * quiet), not an error: the run goes on without a cache. Returns 0 or -1.
 */
int cache_write(const char *path, const struct cache_csv *c, const struct cache_fingerprint *fp,
                const struct cache_meta *m, const struct csv_shard *rows, int threads, int quiet);

/*
 * The same in three steps, for rows that come block by block (stream mode).
 * cache_write_begin, collective: the cache of m's totals, this rank's n_rows rows (after
 * the rows of the ranks before it) and its skipped records (skipped: n_skipped,
 * skipped_at, skipped_off), begun in a temporary file; cache_write_rows, local: the next n
 * rows of this rank (X n x m->n_features, y and w as m has them, row_at), each chunk's
 * crc32 computed as written (a chunk written in pieces gets its pieces' crc32 combined);
 * cache_write_end, collective: the chunks shared by two ranks, the small sections and m's
 * meta (its encoding's unseen counts may have grown since begin), the header, and the
 * file renamed into place. A failure anywhere is cache_write's warning, -1 from end.
 */
struct cache_writer;
struct cache_writer *cache_write_begin(const char *path, const struct cache_csv *c,
                                       const struct cache_fingerprint *fp,
                                       const struct cache_meta *m, int64_t n_rows,
                                       const struct csv_shard *skipped, int threads, int quiet);
void cache_write_rows(struct cache_writer *w, const double *X, const double *y,
                      const double *wt, const int64_t *row_at, int64_t n);
int cache_write_end(struct cache_writer *w, const struct cache_meta *m);

#endif
