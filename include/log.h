/*
 * log.h — what the program tells its user, from rank 0 only (one voice, not P).
 *
 * The two streams, for every command:
 *   stdout   results only: train's summary, coefficient table and metrics; describe's
 *            table; predictions; evaluate's metrics (results_begin / results_end)
 *   stderr   progress and diagnostics: one machine-parsable line every --log-every epochs
 *            ("epoch 100 loss 1.2345e-02 grad_norm 3.2e-05 ms/epoch 12.31"), notes
 *            ("linreg_mpi: ..."), a progress bar when stderr is a terminal, warnings and
 *            errors. --quiet silences the progress and the notes; warnings and errors
 *            still print.
 * Both leave in whole lines: stderr is line buffered (log_streams_init) and results are
 * built whole and written in one piece, so that `>f 2>&1` never splits a line.
 *
 *   --log    a CSV, one row per epoch:
 *            epoch,loss,grad_norm,learning_rate,seconds,compute_seconds,allreduce_seconds
 *            (and val_loss when there are validation rows)
 *
 * On other ranks every function is a no-op. Never calls MPI (rank given at open), never exits.
 */
#ifndef LINREG_LOG_H
#define LINREG_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "gd.h"

struct train_log {
    int active;                /* rank 0 */
    int quiet;
    int progress;              /* draw a progress bar on stderr */
    int64_t every;
    int64_t max_epochs;
    FILE *csv;
    double last_draw;          /* when the bar was last drawn */
    double first_grad_norm;
    int with_val;              /* the CSV has a val_loss column */
};

/* main: once, before any output. stderr line buffered (one write a line), stdout fully
   buffered (results leave in large pieces, not a write a line on a terminal or pty). */
void log_streams_init(void);

/* Results, built in memory and written to stdout in one piece (rank 0's business: other
   ranks never call these). results_begin returns the stream to print into;
   results_end writes what was printed and frees it. A write that fails (a full disk, a closed
   pipe) returns -1 with LR_EWRITE in e, unless e holds an error already: the caller agrees
   on it (comm_agree) so that every rank exits with it. */
struct results {
    FILE *f;
    char *text;
    size_t len;
};
FILE *results_begin(struct results *r);
int results_end(struct results *r, struct lr_error *e);
/* n bytes of whole lines to stdout, after what stdout holds (-1 with e as above). */
int results_write(const char *text, size_t n, struct lr_error *e);

/* Rank 0 opens the CSV log (NULL path: none); -1 with LR_EWRITE if it cannot. When
   resuming after epoch resume_epoch (> 0), an existing log keeps its rows up to that epoch
   and the new rows follow them. */
int log_open(struct train_log *l, int rank, const char *csv_path, int quiet, int64_t every,
             int64_t max_epochs, int64_t resume_epoch, int with_val, struct lr_error *e);
void log_epoch(struct train_log *l, const struct gd_epoch_info *info);
/* A note on stderr ("linreg_mpi: ..."), unless quiet. */
void log_note(const struct train_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A warning on stderr ("linreg_mpi: warning: ..."), even with --quiet. */
void log_warn(const struct train_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Rank 0: a bar of done out of total steps ("[####....] WHAT done/total"), shown as the
   epochs' bar is: on a terminal, not with --quiet, at most every 0.1 s; the next note,
   warning or log_close clears it. */
void log_steps(struct train_log *l, const char *what, int done, int total);
/* Flush and close; -1 with LR_EWRITE if the CSV could not be written completely. */
int log_close(struct train_log *l, const char *csv_path, struct lr_error *e);

#endif
