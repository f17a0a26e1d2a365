/*
 * atomic_file.h — replace a file so that a crash at any instant leaves the old or the new
 * contents, never a torn file: temp file in the same directory → write → fsync → rename →
 * fsync the directory. Never calls MPI, never exits.
 */
#ifndef LINREG_ATOMIC_FILE_H
#define LINREG_ATOMIC_FILE_H

#include <stddef.h>

#include "error.h"

/* Write len bytes to path atomically; -1 with LR_EWRITE on failure (temp file removed). */
int atomic_write(const char *path, const void *data, size_t len, struct lr_error *e);

/* The same in steps, for a file written by several processes: atomic_begin creates the
   temporary file tmp (capacity cap) next to path and returns its descriptor (-1/LR_EWRITE);
   once every byte is written and fsynced, atomic_commit renames it onto path and makes
   the rename durable (on failure tmp is removed); to give up, unlink(tmp). */
int atomic_begin(const char *path, char *tmp, size_t cap, struct lr_error *e);
int atomic_commit(const char *tmp, const char *path, struct lr_error *e);

/* atomic_write of a text (a JSON document) and a final newline; text is a NUL-terminated
   string whose NUL is overwritten by the newline. */
int atomic_write_text(const char *path, char *text, struct lr_error *e);

/* Remove temporary files a crash in atomic_write(path) left behind (path.tmp.XXXXXX). */
void atomic_clean_stale(const char *path);

/* Write n bytes to fd, retrying short writes and EINTR; -1 with errno on failure. */
int atomic_write_all(int fd, const void *p, size_t n);

/* Can a file be created next to path? (the directory exists and is writable) -1/LR_EWRITE. */
int atomic_check_dir(const char *path, const char *what, struct lr_error *e);

#endif
