/* model_io.c — model JSON via jansson; see model_io.h. */
#include "model_io.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

static json_t *doubles(const double *v, int n)
{
    json_t *a = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(a, json_real(v[k]));
    return a;
}

static json_t *metrics_json(const struct model_metrics *mt)
{
    return json_pack("{s:f, s:f, s:f, s:f}", "mse", mt->mse, "rmse", mt->rmse, "mae", mt->mae,
                     "r2", mt->r2);
}

int model_write(const struct model *m, const char *path, struct lr_error *e)
{
    json_t *names = json_array();
    for (int j = 0; j < m->d; j++)
        json_array_append_new(names, json_string(m->features[j]));
    json_t *root = json_pack(
        "{s:s, s:i, s:s, s:o, s:f, s:o, s:{s:b, s:o, s:o}, s:{s:f, s:o}, "
        "s:{s:s, s:I, s:b, s:f, s:f, s:f, s:I, s:i, s:i, s:f}, s:{s:o}}",
        "format", "linreg_mpi-model", "version", 1, "target", m->target, "features", names,
        "intercept", m->intercept, "coefficients", doubles(m->coef, m->d),
        "scaling", "enabled", m->scaling, "mean", doubles(m->mean, m->d), "std",
        doubles(m->std, m->d),
        "scaled", "intercept", m->scaled_intercept, "coefficients",
        doubles(m->scaled_coef, m->d),
        "training", "solver", m->solver, "epochs", (json_int_t)m->epochs, "converged",
        m->converged, "learning_rate", m->learning_rate, "final_loss", m->final_loss, "l2",
        m->l2, "rows", (json_int_t)m->rows, "ranks", m->ranks, "threads", m->threads,
        "seconds", m->seconds,
        "metrics", "train", metrics_json(&m->train));
    if (!root)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot build the model JSON");
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot format the model JSON");
    size_t len = strlen(text);
    text[len] = '\n';  /* jansson's buffer has room: overwrite the NUL, write len + 1 */
    int rc = atomic_write(path, text, len + 1, e);
    free(text);
    return rc;
}
