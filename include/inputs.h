/*
 * inputs.h — a data set given as several files, directories and compressed files.
 *
 * The command line's inputs expand, in the order given, into one list of files: a file as
 * it is; a directory as its *.csv, *.csv.gz and *.csv.zst (or the files --glob PATTERN
 * matches), in name order. A name ending in .gz is read through zlib, one ending in .zst
 * through libzstd; the first bytes must be the format's magic number. Every file has the
 * header (unless --no-header), and all headers are equal.
 *
 * Work split: a plain single file is dataset.c's own business (byte ranges, shard.h). A
 * list of files is split by whole files: the files are laid on a line by their sizes, the
 * line cut into as many equal pieces as there are ranks, and each file goes to the rank
 * whose piece holds its middle. So rank r's rows all come before rank r+1's, and the row
 * order is the order of the inputs whatever the rank count. Each rank streams its files'
 * data records (header removed; a newline added after a last line without one) into one
 * anonymous in-memory file (memfd), which the reader parses as it parses a file: the
 * decompressed text of a rank's share lives in memory while it is parsed, never on disk.
 *
 * Decompression and parsing overlap: inputs_share starts one producer thread (besides the
 * reader's OpenMP threads) that streams the files into the memfd and returns at once. The
 * memfd is a stream (shard_virtual): a read waits until its bytes are written, returns a
 * short count at the end of the text, and gives back the memory of the text before its
 * offset, so it is read once, in order (csv_read_range with end CSV_STREAM_END); the
 * producer waits while it is 64 MiB ahead of the reader's furthest request. A rank holds
 * about that much decompressed text at a time (plus the reader's block and the producer's
 * 1 MiB chunk), not its whole share.
 *
 * Never exits; collective functions say so, and agree on failures (comm_agree).
 */
#ifndef LINREG_INPUTS_H
#define LINREG_INPUTS_H

#include <stdint.h>

#include "csv_reader.h"
#include "error.h"

enum input_comp { IN_PLAIN, IN_GZIP, IN_ZSTD };

struct input_list {
    int n;
    char **path;               /* n paths, in input order */
    int *comp;                 /* enum input_comp, by the name's ending */
    int64_t *size;             /* bytes on disk */
};

/* Expand args (files and directories) into l; every rank does the same. A directory with
   no matching file is LR_ENOINPUT naming it. */
int inputs_expand(char *const *args, int n_args, const char *glob, struct input_list *l,
                  struct lr_error *e);
void inputs_free(struct input_list *l);

/* 1: l is one plain file (the reader's byte-range path applies). */
int inputs_single_plain(const struct input_list *l);

/* Rank 0: read every file's head; h gets the first file's, data_start[f] and
   header_lines[f] (n entries, caller's arrays) every file's. A zero-byte file, a header
   unlike the first file's, a wrong magic number or a broken stream is LR_EDATA naming the
   file. */
int inputs_heads(const struct input_list *l, char delimiter, int has_header,
                 struct csv_head *h, int64_t *data_start, int64_t *header_lines,
                 struct lr_error *e);

/* This rank's share: its files' data records in one memfd. The fields other than fd are
   complete once inputs_share_wait returns; before, bytes is an estimate (for the memory
   check: gzip's and zstd's recorded sizes, else 4 times the compressed size) and
   quote_free 0. */
struct input_producer;
struct input_share {
    int fd;                    /* -1 when none */
    int64_t bytes;
    int n;                     /* this rank's files, in input order */
    int *file;                 /* their indices in the list */
    int64_t *lines;            /* physical lines each put in the memfd */
    int64_t *at;               /* n + 1: where each file's text starts in the memfd (at[n]:
                                  bytes) */
    int quote_free;            /* no quote in the memfd */
    struct input_producer *producer;  /* the thread writing the memfd; NULL once joined */
};

/* Which files are this rank's; starts the producer that streams their data records into
   sh->fd, and returns at once (not collective: errors come from inputs_share_wait). l must
   outlive sh. */
int inputs_share(const struct input_list *l, const int64_t *data_start, struct input_share *sh,
                 struct lr_error *e);
/* Collective, after the reader is done with sh->fd (it may have stopped early): wait for
   the producer (it still reads the rest, without keeping the text, so that a broken stream
   further on is reported). A stream error on any rank (a wrong magic number, a broken or
   truncated stream, an open failure) replaces *e, the same on every rank, and returns -1;
   else *e is left as it is. */
int inputs_share_wait(struct input_share *sh, struct lr_error *e);
/* Stops and joins a producer still running (an error path), then frees. */
void inputs_share_free(struct input_share *sh);

/* A 0-based line of the memfd as its file's path and 1-based line there. */
void inputs_place(const struct input_list *l, const struct input_share *sh,
                  const int64_t *header_lines, int64_t line, const char **path, int64_t *file_line);

#endif
