/*
 * log.h — what a training run tells its user, from rank 0 only (one voice, not P).
 *
 *   stdout   one machine-parsable line every --log-every epochs:
 *            "epoch 100 loss 1.2345e-02 grad_norm 3.2e-05 ms/epoch 12.31"
 *   stderr   notes and warnings ("linreg_mpi: ..."), and a progress bar when stderr is a
 *            terminal; --quiet silences both (errors still print)
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

/* Rank 0 opens the CSV log (NULL path: none); -1 with LR_EWRITE if it cannot. When
   resuming after epoch resume_epoch (> 0), an existing log keeps its rows up to that epoch
   and the new rows follow them. */
int log_open(struct train_log *l, int rank, const char *csv_path, int quiet, int64_t every,
             int64_t max_epochs, int64_t resume_epoch, int with_val, struct lr_error *e);
void log_epoch(struct train_log *l, const struct gd_epoch_info *info);
/* A note on stderr ("linreg_mpi: ..."), unless quiet. */
void log_note(const struct train_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Flush and close; -1 with LR_EWRITE if the CSV could not be written completely. */
int log_close(struct train_log *l, const char *csv_path, struct lr_error *e);

#endif
