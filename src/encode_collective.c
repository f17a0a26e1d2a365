/* encode_collective.c — a categorical column from the head to the design; see
   encode_collective.h. */
#include "encode_collective.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "par.h"
#include "source.h"

void enc_setup_free(struct enc_setup *rs)
{
    for (int s = 0; rs->fixed && s < rs->n; s++)
        dict_free(&rs->fixed[s]);
    free(rs->fixed);
    free(rs->mode);
    free(rs->miss);
    enc_na_free(&rs->na);
    memset(rs, 0, sizeof *rs);
}

int enc_setup_init(struct enc_setup *rs, const struct csv_head *hi, const int *slot, int d,
                   const struct enc_options *o, const char *path, int n_threads,
                   int keep_missing_target, struct lr_error *e)
{
    rs->n = d;
    rs->path = path;
    rs->n_threads = n_threads;
    rs->mode = lr_calloc((size_t)d + 1, 1);
    rs->miss = lr_calloc((size_t)d + 1, 1);
    if (enc_na_init(&rs->na, o->na_values, e) < 0)
        return -1;
    int autodetect = o->categorical && strcmp(o->categorical, "auto") == 0;
    int *cols = lr_malloc(((size_t)hi->n_cols + (o->categorical ? strlen(o->categorical) : 0) + 1) *
                          sizeof *cols), n = 0;
    if (o->categorical && !autodetect && !o->model_enc &&
        csv_columns_named(hi, o->categorical, "--categorical", path, cols, &n, e) < 0) {
        free(cols);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        if (slot[cols[k]] == COL_TARGET) {
            const char *name = hi->names[cols[k]];
            free(cols);
            return lr_fail(e, LR_EUSAGE, "--categorical: '%s' is the target column",
                           lr_shown(name).s);
        }
        if (slot[cols[k]] == COL_OFFSET) {
            const char *name = hi->names[cols[k]];
            free(cols);
            return lr_fail(e, LR_EUSAGE, "--categorical: '%s' is the --offset column, a "
                           "number added to each prediction", lr_shown(name).s);
        }
        if (slot[cols[k]] == COL_WEIGHT || slot[cols[k]] == COL_SKIP) {
            const char *name = hi->names[cols[k]];
            int weight = slot[cols[k]] == COL_WEIGHT;
            lr_fail(e, LR_EUSAGE, "--categorical: '%s' is %s, not a feature: take it out of "
                    "--categorical%s", lr_shown(name).s,
                    weight ? "the --weights column" : "left out (--drop, or not in --features)",
                    weight ? "" : ", or keep the column");
            free(cols);
            return -1;
        }
        if (slot[cols[k]] >= 0)
            rs->mode[slot[cols[k]]] = READ_LEVEL;
    }
    free(cols);
    int keep = MISSING_MEAN, skip = MISSING_SKIP;
    if (o->model_enc)
        rs->fixed = lr_calloc((size_t)d + 1, sizeof *rs->fixed);
    for (int s = 0; s < d; s++) {
        const struct enc_column *mc = o->model_enc ? &o->model_enc->cols[s] : NULL;
        if (o->raw_levels || (autodetect && !mc))
            rs->mode[s] = READ_AUTO;
        if (o->formula_levels && !mc)
            rs->mode[s] = o->formula_levels[s] ? READ_LEVEL : READ_AUTO;
        if (mc && mc->kind == ENC_CATEGORICAL) {
            rs->mode[s] = READ_FIXED;
            for (int k = 0; k < mc->n_levels; k++)
                dict_intern(&rs->fixed[s], mc->levels[k], strlen(mc->levels[k]), INT64_MAX,
                            INT64_MAX);
        }
        int categorical = rs->mode[s] == READ_LEVEL || rs->mode[s] == READ_FIXED;
        /* a missing level is all zeros unless rows with missing values are skipped; a
           missing number follows --missing, or the model's fill */
        rs->miss[s] = o->raw_levels ? keep
                      : o->formula_levels ? (unsigned char)o->missing
                      : categorical ? (o->missing == MISSING_SKIP ? skip : keep)
                      : mc && mc->has_fill ? keep : (unsigned char)o->missing;
    }
    rs->rd = (struct enc_reader){
        .mode = rs->mode, .miss = rs->miss, .target_keep_missing = keep_missing_target,
        .na = &rs->na, .fixed = rs->fixed, .unknown_error = o->unknown_error,
        .fills_fixed = o->model_enc != NULL, .max_entries = o->max_levels + 1 > 100000 ? o->max_levels + 1 : 100000,
        .max_bytes = (int64_t)1 << 28,
    };
    return 0;
}

/* Collective: which --categorical auto columns hold text; a column of both numbers and
   text is an error (the numbers would silently become levels). */
static int decide_auto(const struct csv_shard *sh, const struct enc_setup *rs,
                       char *const *names, const struct enc_options *o,
                       unsigned char *is_level, unsigned char *truncated, struct lr_error *e)
{
    int d = rs->n;
    uint64_t *seen = lr_calloc((size_t)(3 * d + 1), sizeof *seen);
    for (int s = 0; s < d; s++)
        for (int b = 0; b < 3; b++)
            seen[3 * s + b] = (sh->seen[s] >> b) & 1;
    comm_sum_u64(seen, 3 * d);
    for (int s = 0; s < d && e->code == LR_OK; s++) {
        truncated[s] = seen[3 * s + 2] > 0;
        is_level[s] = rs->mode[s] == READ_LEVEL || rs->mode[s] == READ_FIXED ||
                      (rs->mode[s] == READ_AUTO && seen[3 * s + 1]);
        if (seen[3 * s + 2] && !o->raw_levels)
            lr_fail_at(e, LR_EDATA, rs->path, 0, 0,
                       "column '%s' has more than %lld distinct values (more than --max-levels "
                       "%lld): an id or free-text column? Leave it out with --drop %s",
                       lr_shown(names[s]).s, (long long)(rs->rd.max_entries - 1),
                       (long long)o->max_levels, lr_shown(names[s]).s);
        else if (rs->mode[s] == READ_AUTO && o->formula_levels && seen[3 * s] && seen[3 * s + 1])
            lr_fail_at(e, LR_EDATA, rs->path, 0, 0,
                       "column '%s' holds both numbers and text: --formula reads a column of "
                       "text as a factor and one of numbers as numbers (factor() of them "
                       "orders the levels by value); make the column one or the other",
                       lr_shown(names[s]).s);
        else if (rs->mode[s] == READ_AUTO && !o->raw_levels && seen[3 * s] && seen[3 * s + 1])
            lr_fail_at(e, LR_EDATA, rs->path, 0, 0,
                       "--categorical auto: column '%s' holds both numbers and text; name it "
                       "with --categorical %s to make every value a level, or leave it out "
                       "with --drop %s", lr_shown(names[s]).s, lr_shown(names[s]).s,
                       lr_shown(names[s]).s);
    }
    free(seen);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

void enc_count_missing(const double *raw, int64_t n, int d, int n_threads, int64_t *missing)
{
    int64_t parts = par_chunks(n);
    int64_t *m = lr_calloc((size_t)(parts * d + 1), sizeof *m);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        int64_t *mk = m + k * d;
        for (int64_t i = lo; i < hi; i++)
            for (int s = 0; s < d; s++)
                mk[s] += enc_is_missing_value(raw[i * d + s]);
    }
    for (int64_t k = 0; k < parts; k++)
        for (int s = 0; s < d; s++)
            missing[s] += m[k * d + s];
    free(m);
}

/* The rank's level ids in raw (N×D) → positions in the merged lists. */
static void remap_ids(double *raw, int64_t n, int d, int64_t *const *remap, int n_threads)
{
    for (int s = 0; s < d; s++) {
        if (!remap[s])
            continue;
#pragma omp parallel for num_threads(n_threads) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            int64_t id = enc_level_id(raw[i * d + s]);
            if (id >= 0)
                raw[i * d + s] = enc_level_value((uint64_t)remap[s][id]);
        }
    }
}

/* --reference NAME=LEVEL,...: each named column's level moved first, as R's relevel() does
   (the others keep their order), and the ids remapped. The merged lists are the same on
   every rank, and so is the outcome. */
static int apply_reference(const char *list, char *const *names, int d,
                           const unsigned char *is_level, char ***levels, const int *n_levels,
                           int64_t **remap, const struct level_dict *dicts, const char *path,
                           struct lr_error *e)
{
    char *copy = lr_strdup(list), *save = NULL, *item;
    int rc = -1;
    for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            lr_fail(e, LR_EUSAGE, "--reference: write NAME=LEVEL, not '%s'", lr_shown(item).s);
            goto done;
        }
        *eq = '\0';
        int s = 0, r = 0;
        while (s < d && strcmp(names[s], item) != 0)
            s++;
        if (s == d || !is_level[s]) {
            lr_fail(e, LR_EUSAGE, "--reference: '%s' is not a categorical feature (name it in "
                    "--categorical)", lr_shown(item).s);
            goto done;
        }
        while (r < n_levels[s] && strcmp(levels[s][r], eq + 1) != 0)
            r++;
        if (r == n_levels[s]) {
            lr_fail_at(e, LR_EDATA, path, 0, 0, "--reference: column '%s' has no level '%s' "
                       "(its first levels: %s%s%s%s)", lr_shown(item).s, lr_shown(eq + 1).s,
                       lr_shown(levels[s][0]).s, n_levels[s] > 1 ? ", " : "",
                       n_levels[s] > 1 ? lr_shown(levels[s][1]).s : "",
                       n_levels[s] > 2 ? ", ..." : "");
            goto done;
        }
        char *ref = levels[s][r];
        memmove(levels[s] + 1, levels[s], (size_t)r * sizeof *levels[s]);
        levels[s][0] = ref;
        for (int64_t i = 0; remap[s] && i < dicts[s].n; i++)
            remap[s][i] = remap[s][i] == r ? 0 : remap[s][i] < r ? remap[s][i] + 1 : remap[s][i];
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

int enc_decide(const struct csv_shard *sh, const int64_t *missing, const struct enc_setup *rs,
               const struct enc_options *o, char ***names, int *n_features,
               struct encoding *enc, struct enc_plan *plan, struct lr_error *e)
{
    int d = rs->n, rc = -1;
    *plan = (struct enc_plan){.d = d, .raw = o->raw_levels || o->formula_levels,
                              .remap = lr_calloc((size_t)d + 1, sizeof *plan->remap)};
    unsigned char *is_level = lr_calloc((size_t)d + 1, 1);
    char ***levels = lr_calloc((size_t)d + 1, sizeof *levels);
    int *n_levels = lr_calloc((size_t)d + 1, sizeof *n_levels);
    uint64_t *total = lr_calloc((size_t)d + 1, sizeof *total);
    unsigned char *truncated = lr_calloc((size_t)d + 1, 1);
    if (decide_auto(sh, rs, *names, o, is_level, truncated, e) < 0)
        goto done;
    int bad;
    if (enc_merge(sh->dicts, rs->mode, d, levels, n_levels, plan->remap, &bad) < 0 &&
        !o->raw_levels) {
        lr_fail_at(e, LR_EDATA, rs->path, 0, 0, "column '%s': a level is not UTF-8 text or holds "
                   "a NUL byte, which the model file (JSON) cannot record; convert the file to "
                   "UTF-8 (e.g. iconv -f LATIN1 -t UTF-8) or leave the column out with --drop %s",
                   lr_shown((*names)[bad]).s, lr_shown((*names)[bad]).s);
        goto done;
    }
    if (o->reference && !o->model_enc &&
        apply_reference(o->reference, *names, d, is_level, levels, n_levels, plan->remap,
                        sh->dicts, rs->path, e) < 0)
        goto done;
    for (int s = 0; s < d && !o->raw_levels; s++)
        if (is_level[s] && !o->model_enc && n_levels[s] > o->max_levels) {
            lr_fail_at(e, LR_EDATA, rs->path, 0, 0,
                       "column '%s' has %d distinct values, more than --max-levels %lld: an id "
                       "or free-text column? Leave it out with --drop %s (or raise --max-levels)",
                       lr_shown((*names)[s]).s, n_levels[s], (long long)o->max_levels,
                       lr_shown((*names)[s]).s);
            goto done;
        }
    for (int s = 0; s < d; s++)
        total[s] = (uint64_t)missing[s];
    comm_sum_u64(total, d);
    enc->n_cols = d;
    enc->missing = o->missing;
    enc->cols = lr_calloc((size_t)d, sizeof *enc->cols);
    for (int s = 0; s < d; s++) {
        struct enc_column *c = &enc->cols[s];
        const struct enc_column *mc = o->model_enc ? &o->model_enc->cols[s] : NULL;
        c->name = lr_strdup((*names)[s]);
        c->kind = is_level[s] ? ENC_CATEGORICAL : ENC_NUMERIC;
        c->n_missing = (int64_t)total[s];
        c->truncated = truncated[s];
        c->reference = !o->no_intercept;
        c->indicator = o->missing_indicator && total[s] > 0;
        if (mc) {  /* the model's levels, reference, fill and indicator */
            c->n_levels = mc->n_levels;
            c->levels = lr_calloc((size_t)mc->n_levels + 1, sizeof *c->levels);
            for (int k = 0; k < mc->n_levels; k++)
                c->levels[k] = lr_strdup(mc->levels[k]);
            c->reference = mc->reference;
            c->has_fill = mc->has_fill;
            c->fill = mc->fill;
            c->indicator = mc->indicator;
        } else if (is_level[s]) {
            c->n_levels = n_levels[s];
            c->levels = levels[s];
            levels[s] = NULL;
        }
    }
    plan->identity = 1;  /* numbers only, no indicator: the raw rows are the design already */
    for (int s = 0; s < d; s++)
        plan->identity &= enc->cols[s].kind == ENC_NUMERIC && !enc->cols[s].indicator;
    if (!plan->identity && !o->raw_levels && !o->formula_levels) {
        plan->width = enc_width(enc);
        for (int j = 0; j < *n_features; j++)
            free((*names)[j]);
        free(*names);
        *names = enc_feature_names(enc);
        *n_features = plan->width;
        if (plan->width == 0)
            lr_fail_at(e, LR_EDATA, rs->path, 0, 0, "no feature columns left to use: every "
                       "categorical column has a single level (its reference)");
        if (comm_agree(e) != LR_OK)
            goto done;
    }
    rc = 0;
done:
    for (int s = 0; s < d; s++) {
        for (int k = 0; levels[s] && k < n_levels[s]; k++)
            free(levels[s][k]);
        free(levels[s]);
    }
    free(levels);
    free(n_levels);
    free(total);
    free(is_level);
    free(truncated);
    return rc;
}

double *enc_apply_rows(const struct enc_plan *plan, struct encoding *enc, double *raw,
                       int64_t n, double *out, int n_threads)
{
    int d = plan->d;
    remap_ids(raw, n, d, plan->remap, n_threads);
    if (plan->raw)
        return raw;
    if (plan->identity) {
        double *fill = lr_malloc((size_t)d * sizeof *fill + 1);
        int fills = 0;
        for (int s = 0; s < d; s++) {
            fill[s] = enc->cols[s].has_fill ? enc->cols[s].fill : NAN;
            fills += enc->cols[s].has_fill;
        }
        if (fills)  /* else a pass over the rows that changes nothing */
            enc_fill(raw, n, d, fill, n_threads);
        free(fill);
        return raw;
    }
    enc_expand(enc, raw, n, out, n_threads);
    return out;
}

void enc_apply(const struct enc_plan *plan, struct encoding *enc, struct csv_shard *b,
               int n_threads)
{
    size_t bytes = lr_bytes(b->n_rows ? b->n_rows : 1, plan->width ? plan->width : 1,
                            sizeof(double));
    double *X = plan->raw || plan->identity ? NULL : lr_malloc(bytes);
    if (X)  /* the design's pages at once, not a fault each as the expansion writes them */
        lr_prefault(X, bytes);
    if (enc_apply_rows(plan, enc, b->X, b->n_rows, X, n_threads) == X && X) {
        free(b->X);
        b->X = X;
    }
}

void enc_plan_free(struct enc_plan *plan)
{
    for (int s = 0; plan->remap && s < plan->d; s++)
        free(plan->remap[s]);
    free(plan->remap);
    memset(plan, 0, sizeof *plan);
}

int enc_columns(struct csv_shard *sh, const struct enc_setup *rs, const struct enc_options *o,
                char ***names, int *n_features, struct encoding *enc, struct lr_error *e)
{
    int d = rs->n, rc = -1;
    int64_t *missing = lr_calloc((size_t)d + 1, sizeof *missing);
    struct enc_plan plan;
    if (sh->missing)  /* counted as the rows were read */
        memcpy(missing, sh->missing, (size_t)d * sizeof *missing);
    else
        enc_count_missing(sh->X, sh->n_rows, d, rs->n_threads, missing);
    if (enc_decide(sh, missing, rs, o, names, n_features, enc, &plan, e) < 0)
        goto done;
    if (!plan.identity && !plan.raw) {
        char what[200];  /* the design is allocated beside the rows as read */
        snprintf(what, sizeof what, "the one-hot design (this rank: %lld rows of %d numbers)",
                 (long long)sh->n_rows, plan.width);
        if (node_fits((double)sh->n_rows * plan.width * sizeof(double), what, rs->path, e) < 0)
            goto done;
    }
    enc_apply(&plan, enc, sh, rs->n_threads);
    if (!plan.identity && !plan.raw)
        for (int s = 0; s < d; s++)
            enc->cols[s].n_unseen = comm_sum_i64(enc->cols[s].n_unseen);
    rc = 0;
done:
    enc_plan_free(&plan);
    free(missing);
    return rc;
}
