/* model_io.c — model JSON via jansson; see model_io.h. */
#include "model_io.h"
#include "formula_data.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"

/* A JSON array of n finite numbers, null where aliased[k] (aliased may be NULL), or NULL
   (so that json_pack fails) if a number is not finite. */
static json_t *coefs(const double *v, int n, const unsigned char *aliased)
{
    json_t *a = json_array();
    for (int k = 0; k < n; k++)
        if (json_array_append_new(a, aliased && aliased[k] ? json_null() : json_real(v[k])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *doubles(const double *v, int n) { return coefs(v, n, NULL); }

/* A number, or null where it is undefined (NaN: adjusted R² on too few rows). */
static json_t *number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *inference_json(const struct inference *inf, char *const *names)
{
    json_t *terms = json_array();
    for (int j = inf->intercept ? 0 : 1; j <= inf->d; j++) {
        const struct inference_term *t = &inf->terms[j];
        json_array_append_new(terms, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "term",
                                               j ? names[j - 1] : "(Intercept)", "estimate",
                                               number(t->estimate), "std_error",
                                               number(t->std_error), "t_value", number(t->t_value),
                                               "p_value", number(t->p_value), "conf_low",
                                               number(t->conf_low), "conf_high",
                                               number(t->conf_high)));
    }
    json_t *cov = json_array(), *clusters = json_array();
    for (int i = inf->intercept ? 0 : 1; inf->cov && i <= inf->d; i++) {
        json_t *row = json_array();
        for (int j = inf->intercept ? 0 : 1; j <= inf->d; j++)
            json_array_append_new(row, number(inf->cov[(size_t)i * (inf->d + 1) + j]));
        json_array_append_new(cov, row);
    }
    for (int g = 0; g < inf->n_cluster_dims; g++)
        json_array_append_new(clusters, json_integer((json_int_t)inf->clusters[g]));
    json_t *tests = json_array();
    for (int t = 0; t < inf->n_tests; t++)
        json_array_append_new(tests, json_pack("{s:s, s:i, s:o, s:o}", "term",
                                               inf->tests[t].term, "df", inf->tests[t].df, "F",
                                               number(inf->tests[t].f), "p",
                                               number(inf->tests[t].p)));
    return json_pack("{s:f, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:s, "
                     "s:I, s:o, s:o, s:o}",
                     "conf_level", inf->conf_level, "terms", terms, "residual_std_error",
                     number(inf->residual_std_error), "df_residual", (json_int_t)inf->df_residual,
                     "r2", number(inf->r2), "adjusted_r2", number(inf->adjusted_r2),
                     "f_statistic", number(inf->f_statistic), "f_df1", (json_int_t)inf->f_df1,
                     "f_p_value", number(inf->f_p_value), "log_likelihood",
                     number(inf->log_likelihood), "aic", number(inf->aic), "bic", number(inf->bic),
                     "condition_number", number(inf->condition_number), "covariance_type",
                     inf->cov_type, "df_inference", (json_int_t)inf->df_inference, "clusters",
                     inf->n_cluster_dims ? clusters : (json_decref(clusters), json_null()),
                     "covariance", inf->cov ? cov : (json_decref(cov), json_null()),
                     "term_tests", tests);
}

static json_t *metrics_json(const struct metrics *mt)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "rows", (json_int_t)mt->rows, "mse",
                     number(mt->mse), "rmse", number(mt->rmse), "mae", number(mt->mae), "r2",
                     number(mt->r2), "adjusted_r2", number(mt->adj_r2));
}

int model_write(const struct model *m, const char *path, struct lr_error *e)
{
    json_t *names = json_array();
    for (int j = 0; j < m->d; j++)
        json_array_append_new(names, json_string(m->features[j]));
    json_t *root = json_pack(
        "{s:s, s:i, s:s, s:o, s:f, s:o, s:{s:b, s:o, s:o}, s:{s:f, s:o}, "
        "s:{s:s, s:b, s:I, s:b, s:s, s:o, s:f, s:f, s:I, s:i, s:i, s:f}, s:{s:o}}",
        "format", "linreg_mpi-model", "version", 1, "target", m->target, "features", names,
        "intercept", m->intercept, "coefficients", coefs(m->coef, m->d, m->aliased),
        "scaling", "enabled", m->scaling, "mean", doubles(m->mean, m->d), "std",
        doubles(m->std, m->d),
        "scaled", "intercept", m->scaled_intercept, "coefficients",
        coefs(m->scaled_coef, m->d, m->aliased),
        "training", "solver", m->solver, "intercept", !m->no_intercept, "epochs",
        (json_int_t)m->epochs, "converged", m->converged, "stopped_by", m->stopped_by,
        "learning_rate", number(m->learning_rate),
        "final_loss", m->final_loss, "l2", m->l2, "rows", (json_int_t)m->rows, "ranks",
        m->ranks, "threads", m->threads, "seconds", m->seconds,
        "metrics", "train", metrics_json(&m->train));
    if (!root)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0,
                          "cannot build the model JSON (a number is not finite)");
    json_t *training = json_object_get(root, "training"), *metrics = json_object_get(root, "metrics");
    if (m->validation_split > 0) {
        json_object_set_new(training, "validation_split", json_real(m->validation_split));
        json_object_set_new(metrics, "validation", metrics_json(m->validation));
    }
    if (!isnan(m->condition_number) || !isnan(m->error_bound)) {  /* Huber: the bound alone */
        json_object_set_new(training, "condition_number", number(m->condition_number));
        json_object_set_new(training, "error_bound", number(m->error_bound));
    }
    if (m->patience > 0) {
        json_object_set_new(training, "patience", json_integer(m->patience));
        json_object_set_new(training, "best_epoch", json_integer(m->best_epoch));
    }
    if (m->test)
        json_object_set_new(metrics, "test", metrics_json(m->test));
    /* the objective's terms (prox.h) */
    json_object_set_new(training, "l1", json_real(m->l1));
    json_object_set_new(training, "loss", json_string(m->loss ? m->loss : "squared"));
    json_object_set_new(training, "huber_delta", number(m->huber_delta));
    json_object_set_new(training, "huber_scale", number(m->huber_scale));
    json_object_set_new(training, "weights", m->weights ? json_string(m->weights) : json_null());
    json_object_set_new(training, "offset", m->offset ? json_string(m->offset) : json_null());
    json_object_set_new(training, "features_selected", json_integer(m->features_selected));
    if (m->memory)
        json_object_set_new(training, "memory", json_string(m->memory));
    if (m->precondition) {
        json_t *pc = json_pack("{s:s}", "method", m->precondition);
        if (m->precondition_note)
            json_object_set_new(pc, "why", json_string(m->precondition_note));
        if (strcmp(m->precondition, "sample") == 0) {
            char digest[17];
            snprintf(digest, sizeof digest, "%016llx", (unsigned long long)m->precondition_digest);
            json_t *fb = json_array();
            for (int k = 0; k < m->n_precondition_fallback; k++) {
                int j = m->precondition_fallback[k];
                json_array_append_new(fb, json_pack("{s:s, s:s}", "column",
                                                    j == 0 ? "(intercept)" : m->features[j - 1],
                                                    "why", m->precondition_why[k]));
            }
            json_object_set_new(pc, "sample_rows", json_integer(m->precondition_rows));
            json_object_set_new(pc, "seconds", json_real(m->precondition_seconds));
            json_object_set_new(pc, "preconditioned_condition_number", number(m->precondition_kappa));
            json_object_set_new(pc, "column_scaling", fb);
            json_object_set_new(pc, "digest", json_string(digest));
        }
        json_object_set_new(training, "precondition", pc);
    }
    if (m->inference)
        json_object_set_new(root, "inference", inference_json(m->inference, m->features));
    if (m->diagnostics) {
        const struct diagnostics *dg = m->diagnostics;
        json_t *vif = json_object();
        for (int j = 0; j < dg->d; j++)
            json_object_set_new(vif, m->features[j], number(dg->vif[j]));
        json_t *top = json_array();
        for (int a = 0; a < dg->n_top; a++)
            json_array_append_new(top, json_pack(
                "{s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "place", dg->top[a].place ? dg->top[a].place : "",
                "row", (json_int_t)dg->top[a].row + 1, "cooks_distance", number(dg->top[a].cooks),
                "leverage", number(dg->top[a].leverage), "studentized_residual",
                number(dg->top[a].std_residual), "fitted", number(dg->top[a].fitted),
                "residual", number(dg->top[a].residual)));
        json_object_set_new(root, "diagnostics", json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:I}", "omnibus",
            number(dg->omnibus), "omnibus_p", number(dg->omnibus_p), "skew", number(dg->skew),
            "kurtosis", number(dg->kurtosis), "jarque_bera", number(dg->jarque_bera),
            "jarque_bera_p", number(dg->jarque_bera_p), "durbin_watson",
            number(dg->durbin_watson), "breusch_pagan", number(dg->breusch_pagan),
            "breusch_pagan_df", dg->breusch_pagan_df, "breusch_pagan_p",
            number(dg->breusch_pagan_p), "vif", vif, "influential", top, "leverage_one",
            (json_int_t)dg->n_leverage_one));
    }
    if (m->cv)
        json_object_set_new(root, "cv", cv_to_json(m->cv));
    if (m->formula)  /* the design's recipe, before the source columns' encoding */
        json_object_set_new(root, "formula", fdata_to_json(m->formula));
    if (m->encoding)
        json_object_set_new(root, "encoding", enc_to_json(m->encoding));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot format the model JSON");
    int rc = atomic_write_text(path, text, e);
    free(text);
    return rc;
}

/* A JSON array of exactly n numbers into v; 0 or -1. A null (an aliased coefficient)
   reads as 0, which is how it predicts, and sets null[k] (when null is not NULL). */
static int read_numbers(json_t *a, int n, double *v, unsigned char *null)
{
    if (!json_is_array(a) || (int)json_array_size(a) != n)
        return -1;
    for (int k = 0; k < n; k++) {
        json_t *x = json_array_get(a, (size_t)k);
        if (!json_is_number(x) && !json_is_null(x))
            return -1;
        v[k] = json_is_null(x) ? 0.0 : json_number_value(x);
        if (null)
            null[k] = json_is_null(x);
    }
    return 0;
}

/* inference.covariance (absent or null: none) into m->cov, with what an interval needs
   besides; the reason it is not a valid one, or NULL. */
static const char *read_covariance(json_t *inf, struct model_file *m)
{
    json_t *cov = json_object_get(inf, "covariance");
    if (!json_is_object(inf) || !cov || json_is_null(cov))
        return NULL;
    int d = m->d, b = !m->no_intercept, n = d + b;
    json_t *sigma = json_object_get(inf, "residual_std_error");
    json_t *df = json_object_get(inf, "df_residual");
    const char *type = json_string_value(json_object_get(inf, "covariance_type"));
    if (!json_is_integer(df) || !(json_is_number(sigma) || json_is_null(sigma)))
        return "\"inference\" has a covariance but no df_residual or residual_std_error";
    if (!json_is_array(cov) || (int)json_array_size(cov) != n)
        return "\"inference.covariance\" is not a list of one row per coefficient";
    m->cov = lr_calloc((size_t)(d + 1) * (size_t)(d + 1), sizeof *m->cov);
    unsigned char *null = lr_malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        /* row i of the file is coefficient i + 1 - b (0: the intercept) */
        double *row = m->cov + (size_t)(i + 1 - b) * (size_t)(d + 1) + (1 - b);
        if (read_numbers(json_array_get(cov, (size_t)i), n, row, null) < 0) {
            free(null);
            return "\"inference.covariance\" is not a square list of numbers, one row per "
                   "coefficient";
        }
        for (int j = 0; j < n; j++) {  /* null elsewhere: not finite (NaN: no interval) */
            int ai = i >= b && m->aliased[i - b], aj = j >= b && m->aliased[j - b];
            if (ai || aj)
                row[j] = 0;
            else if (null[j])
                row[j] = NAN;
        }
    }
    free(null);
    m->df_residual = (int64_t)json_integer_value(df);
    m->sigma = json_is_number(sigma) ? json_number_value(sigma) : NAN;
    m->cov_type = lr_strdup(type ? type : "classical");
    return NULL;
}

int model_read(const char *path, struct model_file *m, struct lr_error *e)
{
    memset(m, 0, sizeof *m);
    json_error_t je;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read the model: %s",
                          strerror(EISDIR));
    FILE *f = fopen(path, "r");
    if (!f)
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read the model: %s", strerror(errno));
    json_t *root = json_loadf(f, 0, &je);
    fclose(f);
    if (!root)
        return lr_fail_at(e, LR_EDATA, path, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0,
                          "not a linreg_mpi model: %s", je.text);
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *feats = json_object_get(root, "features");
    const char *why = NULL;
    if (!fmt || strcmp(fmt, "linreg_mpi-model") != 0)
        why = "no \"format\": \"linreg_mpi-model\"";
    else if (json_integer_value(json_object_get(root, "version")) != 1)
        why = "model format version is not 1";
    else if (!json_is_array(feats) || json_array_size(feats) == 0)
        why = "no \"features\" list";
    else if (!json_is_number(json_object_get(root, "intercept")))
        why = "no \"intercept\"";
    else if (!json_is_string(json_object_get(root, "target")))
        why = "no \"target\"";
    if (!why) {
        m->d = (int)json_array_size(feats);
        m->features = lr_calloc((size_t)m->d, sizeof(char *));
        m->coef = lr_malloc((size_t)m->d * sizeof(double));
        m->target = lr_strdup(json_string_value(json_object_get(root, "target")));
        for (int j = 0; j < m->d && !why; j++) {
            const char *name = json_string_value(json_array_get(feats, (size_t)j));
            if (!name)
                why = "a feature name is not a string";
            else if (strcmp(name, m->target) == 0)
                why = "the target is also a feature";
            for (int k = 0; k < j && !why; k++)
                if (strcmp(name, m->features[k]) == 0)
                    why = "a feature is listed twice";
            if (!why)
                m->features[j] = lr_strdup(name);
        }
        m->aliased = lr_calloc((size_t)m->d, 1);
        if (!why && read_numbers(json_object_get(root, "coefficients"), m->d, m->coef,
                                 m->aliased) < 0)
            why = "\"coefficients\" is not a list of one number (or null) per feature";
        for (int j = 0; j < m->d; j++)
            m->n_aliased += m->aliased[j];
        m->intercept = json_number_value(json_object_get(root, "intercept"));
        json_t *enc = json_object_get(root, "encoding");
        const char *enc_why = NULL;
        if (!why && enc && enc_from_json(enc, &m->enc, &enc_why) < 0)
            why = enc_why;
        json_t *formula = json_object_get(root, "formula");
        if (formula && !json_is_object(formula) && !why)
            why = "\"formula\" is not an object";
        else if (formula)
            m->formula = json_incref(formula);
        if (!why && enc && !formula && enc_width(&m->enc) != m->d)
            why = "\"encoding\" does not give as many columns as \"features\"";
        for (int j = 0; !why && !enc && j < m->d; j++) {  /* numbers, as the features say */
            if (j == 0)
                m->enc.cols = lr_calloc((size_t)m->d, sizeof *m->enc.cols), m->enc.n_cols = m->d;
            m->enc.cols[j].name = lr_strdup(m->features[j]);
        }
        json_t *fit_b = json_object_get(json_object_get(root, "training"), "intercept");
        m->no_intercept = json_is_false(fit_b);  /* absent: a model with intercept */
        const char *wcol = json_string_value(json_object_get(json_object_get(root, "training"),
                                                             "weights"));
        m->weights = wcol ? lr_strdup(wcol) : NULL;
        const char *ocol = json_string_value(json_object_get(json_object_get(root, "training"),
                                                             "offset"));
        m->offset = ocol ? lr_strdup(ocol) : NULL;
        if (!why)
            m->cov_bad = read_covariance(json_object_get(root, "inference"), m);
        if (m->cov_bad) {  /* plain predictions do not need it; --interval says why */
            free(m->cov);
            m->cov = NULL;
        }
    }
    json_decref(root);
    if (why) {
        model_file_free(m);
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "not a linreg_mpi model: %s", why);
    }
    return 0;
}

void model_file_free(struct model_file *m)
{
    for (int j = 0; m->features && j < m->d; j++)
        free(m->features[j]);
    free(m->features);
    free(m->coef);
    free(m->aliased);
    free(m->cov);
    free(m->cov_type);
    free(m->target);
    free(m->weights);
    free(m->offset);
    enc_free(&m->enc);
    json_decref(m->formula);
    memset(m, 0, sizeof *m);
}
