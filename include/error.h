/*
 * error.h — the one error type every module returns through.
 *
 * Library code never exits: it fills a caller-provided struct lr_error and returns -1, and
 * cleans up on its way out. The exit codes below are the program's documented contract
 * (README "Exit codes"); main.c alone turns an error into a process exit, after all ranks
 * have agreed on it (comm_agree in comm.h). Never calls MPI: lr_fatal takes the job down
 * through the hook comm.c installs.
 *
 * A data error carries FILE, LINE and COLUMN (1-based; LINE is the global line number in
 * the file, COLUMN the byte column where the offending field starts) and prints as
 * "FILE:LINE:COLUMN: what is wrong". Other errors print as "linreg_mpi: what is wrong".
 */
#ifndef LINREG_ERROR_H
#define LINREG_ERROR_H

#include <stdint.h>
#include <stdio.h>

enum lr_exit {
    LR_OK = 0,
    LR_EUSAGE = 2,      /* unknown option, bad value */
    LR_EDIVERGED = 3,   /* training diverged */
    LR_EDATA = 65,      /* bad input data */
    LR_ENOINPUT = 66,   /* input missing or unreadable */
    LR_ENOMEM = 71,     /* a rank's shard would not fit in its node's memory */
    LR_ECANTCREAT = 73, /* cannot create a scratch file where asked (scratch.h) */
    LR_EWRITE = 74,     /* cannot write an output file */
    LR_ESTOPPED = 75,   /* stopped by a signal after a checkpoint */
};

struct lr_error {
    int code;           /* enum lr_exit; LR_OK when no error */
    int64_t line;       /* 1-based line in file, 0 when not about a line */
    int64_t column;     /* 1-based byte column, 0 when not about a column */
    char file[256];     /* file the error is about, "" when none */
    char msg[1024];
};

/* Record an error that is not about a place in a file; returns -1. */
int lr_fail(struct lr_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an error at FILE:LINE:COLUMN (line/column 0 = unknown); returns -1. */
int lr_fail_at(struct lr_error *e, int code, const char *file, int64_t line, int64_t column,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Copy n bytes of data text into dst (capacity cap) for a message: control bytes become
   \xHH, and text that does not fit ends in "...". */
void lr_escape(char *dst, size_t cap, const char *src, size_t n);

/* A name from the data or the command line (a column, a level, a term) as every message
   and table shows it: lr_escape'd, so that a name holding a newline, a carriage return or
   a tab (legal inside quotes) stays on its line ('x\x0aq'). The result lives until the end
   of the full expression that calls it, so it goes straight into the arguments of one call:
   lr_fail(e, LR_EUSAGE, "no column '%s'", lr_shown(name).s). Files the program writes for
   other programs (the model, predict's CSV) keep the names as read. */
struct lr_shown_name {
    char s[1024];
};
struct lr_shown_name lr_shown(const char *name);

/* Print the error the way users see it, one line (plus a --help hint for usage errors). */
void lr_error_print(const struct lr_error *e, FILE *out);

/* Out of memory, the one condition a rank cannot agree on before the next collective:
   print where, call the hook set by lr_on_fatal (comm.c's aborts every rank with
   LR_ENOMEM), then abort(). */
void lr_on_fatal(void (*abort_job)(int code));
void lr_fatal(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
#define LR_FATAL(...) lr_fatal(__FILE__, __LINE__, __VA_ARGS__)

/* n·m·elem bytes, fatal if that overflows size_t (a corrupt count, never a real size). */
size_t lr_bytes_impl(int64_t n, int64_t m, size_t elem, const char *file, int line);
#define lr_bytes(n, m, elem) lr_bytes_impl((int64_t)(n), (int64_t)(m), (elem), __FILE__, __LINE__)

/* malloc/calloc/realloc/strdup that never return NULL: out of memory is fatal. */
void *lr_malloc_impl(size_t size, const char *file, int line);
void *lr_calloc_impl(size_t n, size_t size, const char *file, int line);
void *lr_realloc_impl(void *p, size_t size, const char *file, int line);
char *lr_strdup_impl(const char *s, const char *file, int line);
#define lr_malloc(n) lr_malloc_impl((n), __FILE__, __LINE__)
#define lr_calloc(n, size) lr_calloc_impl((n), (size), __FILE__, __LINE__)
#define lr_realloc(p, n) lr_realloc_impl((p), (n), __FILE__, __LINE__)
#define lr_strdup(s) lr_strdup_impl((s), __FILE__, __LINE__)

/* Map the pages of a large buffer about to be filled in one call, rather than one fault per
   page as the first writes touch them (Linux 5.14+; advice only: a failure changes nothing). */
void lr_prefault(void *p, size_t n);

#endif
