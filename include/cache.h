/*
 * cache.h — the binary cache of a CSV's parsed rows (--cache PATH): repeated runs on the
 * same file skip parsing.
 *
 * A cache holds the rows as the reader returned them (after column selection, before any
 * scaling), where each row's record starts in the CSV, and the skipped records (offset and
 * position among the rows), so that every rank count reads from it exactly the rows it
 * would have parsed from the CSV: rank r takes the rows whose records start in its nominal
 * byte range [r·L/p, (r+1)·L/p) of the data (shard.h), which is what realigning that range
 * to record starts gives. The run then proceeds bit for bit as from the CSV.
 *
 * File layout (native byte order, checked): a 4096-byte header (magic "LRMPICAC", version,
 * its own crc32; the CSV's size, device, inode, mtime in ns, a digest of its header line
 * and of its whole content; the options fingerprint; the shape; a table of sections),
 * the crc32 of every 1 MiB chunk of every section, then the sections, each at a 4096-byte
 * boundary: "X" (N×D doubles, row-major), "y" (N doubles), "row_at" (N record offsets),
 * "skipped" (offset and global rows before, per skipped record), "index" (the record offset
 * of each "row_at" chunk's first row: a rank finds its rows with two chunk reads), "names"
 * (target and source feature names), "w" (N sample weights, with --weights) and "meta" (the
 * dataset's own blob: its encoding, the feature names after encoding). A section is found
 * by its tag; the options that shape the rows are the items of the fingerprint
 * (cache_fingerprint, the one place that lists them).
 *
 * Writing is collective: every rank writes its rows at its global row offset into one
 * temporary file, chunks shared by two ranks get their crc32 combined on rank 0
 * (crc32_combine), rank 0 renames the file into place (atomic_file.h). Reading is
 * collective: rank 0 checks the header against the CSV and the options, then every rank
 * preads only its own rows and checks each chunk's crc32 as it reads.
 *
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_CACHE_H
#define LINREG_CACHE_H

#include <stdint.h>

#include "csv_reader.h"
#include "dataset.h"
#include "error.h"

#define CACHE_MAX_ITEMS 16

/* The options that change the parsed rows, each as a named 64-bit digest. */
struct cache_fingerprint {
    int n;
    struct {
        char name[24];         /* for the message that says what differs */
        uint64_t value;
    } item[CACHE_MAX_ITEMS];
};

/* The one function that lists what a cache's rows depend on besides the CSV's bytes. */
void cache_fingerprint(const struct csv_layout *lay, const struct data_options *o,
                       struct cache_fingerprint *fp);

/* What the dataset keeps beside the rows: the source feature columns (what a reader has
   before encoding, to judge the cache by) and an opaque blob it writes and gets back. */
struct cache_meta {
    char *const *source_names;
    int n_source;
    char *blob;                /* cache_read: malloc'd, NUL-terminated; the caller frees */
    int64_t blob_len;
};

/* The CSV as a cache must have seen it. */
struct cache_csv {
    const char *path;
    int fd;
    int64_t size, mtime_s, mtime_ns, data_start;
    uint64_t dev, ino;
    uint64_t head_digest;      /* of the bytes before the data (header, BOM): rank 0 */
};

/* Collective: fill c for the open CSV fd whose data start at data_start. */
int cache_csv_init(struct cache_csv *c, const char *path, int fd, int64_t data_start,
                   struct lr_error *e);

/*
 * Collective, with threads OpenMP threads per rank: when the cache at path is valid for the CSV and the fingerprint (full: the
 * CSV's content hashed too), read this rank's rows into ds (its names are already set) and
 * return 1. Absent: return 0. Stale, truncated or corrupt: rank 0 prints a warning saying
 * why (unless quiet) and 0 is returned: the caller parses and writes the cache again.
 * -1 with e only when the CSV itself cannot be read (full verification).
 */
int cache_read(const char *path, int full, const struct cache_csv *c,
               const struct cache_fingerprint *fp, struct dataset *ds, struct cache_meta *m,
               int threads, int quiet, struct lr_error *e);

/*
 * Collective: write ds's rows (parsed with csv_layout.keep_offsets: row_at, skipped_off
 * are the shard's) to path. A failure is a warning (unless quiet), not an error: the run
 * goes on without a cache. Returns 0 or -1.
 */
int cache_write(const char *path, const struct cache_csv *c, const struct cache_fingerprint *fp,
                const struct dataset *ds, const struct cache_meta *m, const int64_t *row_at,
                const int64_t *skipped_off, int threads, int quiet);

#endif
