/*
 * inputs.h — a data set given as several files, directories and compressed files.
 *
 * The command line's inputs expand, in the order given, into one list of files: a file as
 * it is; a directory as its *.csv, *.csv.gz and *.csv.zst (or the files --glob PATTERN
 * matches), in name order. A name ending in .gz is read through zlib, one ending in .zst
 * through libzstd; the first bytes must be the format's magic number. Every file has the
 * header (unless --no-header), and all headers are equal.
 *
 * The data set is one stream of text: every file's data records in input order (its text
 * after the header, decompressed), a newline added after a file whose text does not end in
 * one (but the last). Every rank ends up with the rows a single CSV of that stream would
 * give it (shard.h's byte split with data_start 0 and size the stream's length), so models
 * and predictions equal the one CSV's bit for bit under the same ranks and threads.
 *
 * Plain files: the stream is read in place through its byte_source (shard.h), so a rank's
 * byte range may end in one file and go on in the next, and the ranges are found as for one
 * file (quote parity by a prefix sum). Stream mode (--memory stream) reads compressed files
 * so too, once inputs_measure has decompressed each to learn its length: a read in a
 * compressed file decompresses it from its start up to the bytes asked for (keeping the
 * last 2 MiB decompressed, so that reads a little back are served without starting over),
 * so a rank holds a bounded window of text, at the price of decompressing the part of a
 * file before its range once more per pass (and once for its length).
 *
 * Resident, with a compressed file (which cannot be split): each file is read whole by one rank,
 * largest first, to the rank with the least text so far; a rank streams its files' data
 * records into one anonymous in-memory file (memfd), which the reader parses as it parses
 * a file; after parsing, the rows move to the ranks the stream's byte split gives them
 * (inputs_redistribute), in stream order.
 *
 * Decompression and parsing overlap: inputs_share starts one producer thread (besides the
 * reader's OpenMP threads) that streams the files into the memfd and returns at once. The
 * memfd is read as a stream (input_share.bytes): a read waits until its bytes are written, returns a
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
#include "shard.h"

enum input_comp { IN_PLAIN, IN_GZIP, IN_ZSTD };

struct input_list {
    int n;
    char **path;               /* n paths, in input order */
    int *comp;                 /* enum input_comp, by the name's ending */
    int64_t *size;             /* bytes on disk */
    int64_t *text_size;        /* a compressed file's bytes decompressed (inputs_measure);
                                  -1 until measured, and for a plain file */
    int *arg;                  /* the argument each file came from (inputs_expand's side
                                  only; NULL after inputs_bcast elsewhere) */
};

/* Expand args (files and directories) into l. A directory with no matching file is
   LR_ENOINPUT naming it. */
int inputs_expand(char *const *args, int n_args, const char *glob, struct input_list *l,
                  struct lr_error *e);
/* Before reading l (expanded from args): a file read as text must not hold compressed
   data (bzip2, xz, lz4, zip, 7z, or gzip or zstd under another name: LR_EDATA naming it
   and what to do), and no file may come twice (by name, through a link, or in a directory
   given too: LR_EUSAGE naming both as given), since its rows would be read twice. */
int inputs_check(const struct input_list *l, char *const *args, struct lr_error *e);
/* Collective: rank 0's list to every rank, which then all read the same files with the
   sizes rank 0 saw (a directory read at another moment or on another node could differ). */
void inputs_bcast(struct input_list *l);
void inputs_free(struct input_list *l);

/* 1: l is one plain file (the reader's byte-range path applies). */
int inputs_single_plain(const struct input_list *l);

/* Rank 0: read every file's head; h gets the first file's, data_start[f],
   header_lines[f] and text[f] (n entries, caller's arrays) every file's; text[f] is a
   plain file's bytes in the stream (its data, and the newline added after it), -1 for a
   compressed file. A zero-byte file, a header unlike the first file's, a wrong magic
   number or a broken stream is LR_EDATA naming the file. */
int inputs_heads(const struct input_list *l, char delimiter, int has_header,
                 struct csv_head *h, int64_t *data_start, int64_t *header_lines,
                 int64_t *text, struct lr_error *e);

/* Collective: every compressed file decompressed once, by the rank inputs_share would
   give it, to learn its length (l->text_size) and so its bytes in the stream (text[f], as
   inputs_heads gives a plain file's). A broken stream is LR_EDATA naming the file, on
   every rank. Then the stream can be read in place (input_concat) whatever its files. */
int inputs_measure(struct input_list *l, const int64_t *data_start, int64_t *text,
                   struct lr_error *e);

/* ---- the stream read in place: plain files, and compressed ones once measured ---- */

struct input_unzip;
struct input_concat {
    struct byte_source bytes;  /* the stream: a read may span several files */
    const struct input_list *l;
    const int64_t *data_start;
    int64_t *start;            /* n + 1: where each file's data starts in the stream;
                                  start[n] = the stream's length */
    int *fds;                  /* each file, opened when first read; -1 before */
    struct input_unzip *z[2];  /* the compressed files being read, the latest first;
                                  NULL: none */
    int failed, failed_errno;  /* the first file that could not be read (-1: none), why (0:
                                  it shrank) */
};

/* Every rank: the stream of l's plain files (text[] from inputs_heads). The files this
   rank's nominal piece touches are opened now (a failure is LR_ENOINPUT naming the file,
   the rank and the host), others when first read. */
int inputs_concat_open(const struct input_list *l, const int64_t *data_start,
                       const int64_t *text, struct input_concat *c, struct lr_error *e);
void inputs_concat_close(struct input_concat *c);

/* A read error of the stream in *e (LR_ENOINPUT) named after the file that failed, with
   the rank and host; returns -1 when *e holds an error. */
int inputs_concat_failed(const struct input_concat *c, struct lr_error *e);

/* Collective: every file's quotes in the stream must be even (an open quoted field would
   run into the next file: LR_EDATA naming the file). *odd_lo, *odd_hi: the quote parity
   before this rank's nominal piece and at its end (shard_range); *quote_free: no quote at
   all. */
int inputs_concat_quotes(const struct input_concat *c, int *odd_lo, int *odd_hi,
                         int *quote_free, struct lr_error *e);

/* Collective: physical lines of every file in the stream (each rank counts its [begin,
   end)), into lines[n] (n + 1 entries: lines[f] = the stream's lines before file f). */
int inputs_concat_lines(const struct input_concat *c, off_t begin, off_t end, int64_t *lines,
                        struct lr_error *e);

/* A 0-based line of the stream as its file (index) and 1-based line there. */
int inputs_concat_place(const struct input_list *l, const int64_t *lines,
                        const int64_t *header_lines, int64_t line, int64_t *file_line);

/* This rank's share: its files' data records in one memfd. The fields other than fd are
   complete once inputs_share_wait returns; before, bytes is an estimate (for the memory
   check: gzip's and zstd's recorded sizes, else 4 times the compressed size) and
   quote_free 0. */
struct input_producer;
struct input_share {
    int fd;                    /* the memfd; -1 when none */
    struct byte_source text;   /* its bytes as the reader reads them: read once, in order,
                                  waiting for the producer (valid until it is joined) */
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
/* After the reader is done with sh->fd (it may have stopped early): wait for the producer
   (after a data error in *e it stops; otherwise it reads the rest, without keeping the
   text, so that a broken stream further on is reported). A stream error (a wrong magic
   number, a broken or truncated stream, an open failure, a part whose quotes do not pair
   up) replaces *e, with *file the file it is about, and returns -1. Not collective: the
   caller agrees. */
int inputs_share_wait(struct input_share *sh, struct lr_error *e, int *file);
/* Stops and joins a producer still running (an error path), then frees. */
void inputs_share_free(struct input_share *sh);

/* A 0-based line of the memfd as its file (index in l) and 1-based line there. */
int inputs_place(const struct input_share *sh, const int64_t *header_lines, int64_t line,
                 int64_t *file_line);

/* Collective, after parsing the share (with csv_layout.keep_offsets) into s, whose rows
   are d numbers wide (after encoding): move rows and skipped records to the ranks the
   stream's byte split gives them, in stream order. s->row_at and s->skipped_off become
   stream offsets; s->skipped_at counts the new rows. */
void inputs_redistribute(const struct input_list *l, const struct input_share *sh,
                         struct csv_shard *s, int d, int has_target, int has_weight,
                         int has_offset);

#endif
