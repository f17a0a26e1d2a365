/*
 * report.h — `--report PATH`: where a training run spent its time, for scaling studies.
 *
 * Every rank times its own phases; report_write reduces them (min, mean, max across
 * ranks, so load imbalance shows) and rank 0 writes JSON atomically:
 *   { "ranks", "threads", "rows", "features", "file_bytes", "epochs" (the model's, counting
 *     those before the checkpoint a --resume continues), "epochs_this_run",
 *     "phases": { "read", "stats", "learning_rate", "compute", "allreduce", "checkpoint",
 *                 "metrics", "model_write", "total": {"min","mean","max"} seconds }
 *     (learning_rate holds the sample preconditioner's construction too, precond.h),
 *     "ingest_mb_per_s": file MB (on disk: compressed for .gz and .zst) / slowest read,
 *     "epoch_gb_per_s": X and y bytes per epoch / compute seconds (slowest rank) per epoch
 *     of this run }
 * Collective (calls MPI through comm.h); never exits.
 */
#ifndef LINREG_REPORT_H
#define LINREG_REPORT_H

#include <stdint.h>

#include "error.h"

enum phase {
    PH_READ, PH_STATS, PH_LR, PH_COMPUTE, PH_ALLREDUCE, PH_CHECKPOINT, PH_METRICS, PH_MODEL,
    PH_TOTAL, PH_COUNT
};

struct run_shape {
    int ranks, threads, features;
    int64_t rows, file_bytes;
    int64_t epochs;            /* the model's: a resumed run counts the checkpoint's too */
    int64_t epochs_run;        /* those this run computed, which its compute time covers */
};

/* Collective; rank 0 writes path (LR_EWRITE on failure, returned on rank 0 only). */
int report_write(const char *path, const double seconds[PH_COUNT], const struct run_shape *sh,
                 struct lr_error *e);

#endif
