/* report.c — the per-phase timing report; see report.h. */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "comm.h"

static const char *phase_names[PH_COUNT] = {
    "read", "stats", "learning_rate", "compute", "allreduce", "checkpoint", "metrics",
    "model_write", "total",
};

int report_write(const char *path, const double seconds[PH_COUNT], const struct run_shape *sh,
                 struct lr_error *e)
{
    double lo[PH_COUNT], hi[PH_COUNT], sum[PH_COUNT];
    memcpy(lo, seconds, sizeof lo);
    memcpy(hi, seconds, sizeof hi);
    memcpy(sum, seconds, sizeof sum);
    comm_min(lo, PH_COUNT);
    comm_max(hi, PH_COUNT);
    comm_sum(sum, PH_COUNT);
    if (comm_rank() != 0)
        return 0;
    json_t *phases = json_object();
    for (int k = 0; k < PH_COUNT; k++)
        json_object_set_new(phases, phase_names[k],
                            json_pack("{s:f, s:f, s:f}", "min", lo[k], "mean", sum[k] / sh->ranks,
                                      "max", hi[k]));
    double epoch_bytes = (double)sh->rows * (sh->features + 1) * sizeof(double);
    /* this run's compute time over this run's epochs, not the model's (a resume) */
    double per_epoch = sh->epochs_run > 0 ? hi[PH_COMPUTE] / (double)sh->epochs_run : 0;
    json_t *root = json_pack(
        "{s:i, s:i, s:I, s:i, s:I, s:I, s:I, s:o, s:f, s:f}", "ranks", sh->ranks, "threads",
        sh->threads, "rows", (json_int_t)sh->rows, "features", sh->features, "file_bytes",
        (json_int_t)sh->file_bytes, "epochs", (json_int_t)sh->epochs, "epochs_this_run",
        (json_int_t)sh->epochs_run, "phases", phases,
        "ingest_mb_per_s", hi[PH_READ] > 0 ? (double)sh->file_bytes / 1e6 / hi[PH_READ] : 0.0,
        "epoch_gb_per_s", per_epoch > 0 ? epoch_bytes / 1e9 / per_epoch : 0.0);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot format the report JSON");
    int rc = atomic_write_text(path, text, e);
    free(text);
    return rc;
}
