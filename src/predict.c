/* predict.c — the predict and evaluate commands; see predict.h. */
#include "predict.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "comm.h"
#include "dataset.h"
#include "formula_data.h"
#include "inference.h"
#include "log.h"
#include "metrics.h"
#include "model_io.h"
#include "shard.h"
#include "test_hooks.h"

/* How missing values are read: the model's --missing, unless the command line names one.
   An override is said on stderr; 'mean' needs the model's training means. Every rank
   decides the same from the same model and options. */
static int missing_mode(const struct options *o, struct model_file *m, struct lr_error *e)
{
    static const char *names[] = {"error", "skip", "mean"};
    if (!o->missing_given || o->missing == m->enc.missing)
        return m->enc.missing;
    int any_fill = 0;
    for (int s = 0; s < m->enc.n_cols; s++) {
        any_fill |= m->enc.cols[s].has_fill;
        if (o->missing != MISSING_MEAN)  /* the model's means are not used */
            m->enc.cols[s].has_fill = 0;
    }
    if (o->missing == MISSING_MEAN && !any_fill)
        return lr_fail(e, LR_EUSAGE, "--missing mean: the model %s was trained with --missing "
                       "%s and holds no training means to fill in; use --missing skip or "
                       "error", o->model, names[m->enc.missing]);
    if (comm_rank() == 0 && !o->quiet)
        fprintf(stderr, "linreg_mpi: --missing %s overrides the model's --missing %s\n",
                names[o->missing], names[m->enc.missing]);
    return o->missing;
}

/* --interval needs the model's covariance, its residual degrees of freedom and σ; the
   same verdict on every rank from the same model. */
static int interval_check(const struct options *o, const struct model_file *m,
                          struct lr_error *e)
{
    if (m->cov_bad)
        return lr_fail_at(e, LR_EDATA, o->model, 0, 0, "--interval: the model's covariance "
                          "cannot be used: %s", m->cov_bad);
    if (!m->cov)
        return lr_fail(e, LR_EUSAGE, "--interval: the model %s holds no coefficient covariance "
                       "(trained by gd or nesterov without --inference, or with --l2): train "
                       "it with --solver exact, or add --inference to gd or nesterov",
                       o->model);
    if (m->df_residual <= 0 || !(m->sigma >= 0))
        return lr_fail(e, LR_EUSAGE, "--interval: the model %s was fitted with no residual "
                       "degrees of freedom (as many coefficients as rows), so intervals are "
                       "not defined", o->model);
    for (int k = 0; k < (m->d + 1) * (m->d + 1); k++)
        if (!isfinite(m->cov[k]))
            return lr_fail_at(e, LR_EDATA, o->model, 0, 0, "--interval: the model's %s "
                              "covariance has entries that are not finite (null), as HC2 and "
                              "HC3 give it where a row has leverage 1: train with --cov hc1 "
                              "(or classical) for intervals", m->cov_type);
    return 0;
}

/* R's predict.lm warns the same: an aliased coefficient predicts as 0, right only for rows
   whose aliased columns depend on the others as in the training data. */
static void warn_aliased(const struct model_file *m)
{
    char names[512] = "";
    size_t at = 0;
    for (int j = 0, k = 0; j < m->d && at < sizeof names; j++)
        if (m->aliased[j] && k++ < 3)
            at += (size_t)snprintf(names + at, sizeof names - at, "%s'%s'", k > 1 ? ", " : "",
                                   lr_shown(m->features[j]).s);
    fprintf(stderr, "linreg_mpi: warning: prediction from a rank-deficient fit may be "
            "misleading: the aliased coefficient%s of %s%s count%s as 0, right only where "
            "those columns depend on the others as in the training data\n",
            m->n_aliased > 1 ? "s" : "", names, m->n_aliased > 3 ? ", ..." : "",
            m->n_aliased > 1 ? "" : "s");
}

/* Rank 0: how missing and unseen levels were read; streamed rows once the pass that read
   them has ended (dataset_stream_end). */
static void print_encoding(const struct options *o, struct dataset *ds)
{
    dataset_stream_end(ds);
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_encoding(ds, NULL, stderr);
}

/* Collective: the model on every rank, then the CSV's shard with its columns. */
static int load_model_and_data(const struct options *o, int need_target, struct model_file *m,
                               struct formula_data *fd, struct dataset *ds, struct lr_error *e)
{
    const char *why = NULL;
    if (model_read(o->model, m, e) == 0 && o->interval)
        interval_check(o, m, e);
    if (e->code == LR_OK && m->offset && !need_target && o->cache)
        lr_fail(e, LR_EUSAGE, "predict: the model was trained with --offset %s, whose values "
                "are part of every prediction, and --cache does not keep them; drop --cache",
                lr_shown(m->offset).s);
    if (e->code == LR_OK && m->formula && fdata_from_json(m->formula, fd, &why) < 0)
        lr_fail_at(e, LR_EDATA, o->model, 0, 0, "not a valid linreg_mpi model: \"formula\": %s",
                   why);
    if (comm_agree(e) != LR_OK)
        return -1;
    int missing = missing_mode(o, m, e);
    if (missing < 0)
        return -1;  /* from the same model and options on every rank */
    /* the model's source columns, encoded as in training (encode.h) */
    struct data_model model = {.enc = &m->enc, .target = m->target, .weights = m->weights,
                               .offset = m->offset,
                               .no_intercept = m->no_intercept, .missing = missing};
    struct data_options dopt;
    data_options_for(o, need_target ? DATA_EVALUATE : DATA_PREDICT, &model, &dopt);
    if (m->formula)  /* the model's formula on the file's columns, found by name */
        dopt.formula = fd;
    if (dataset_load(&dopt, ds, e) < 0)
        return -1;
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_skipped(ds, NULL, stderr);
    if (!ds->stream)
        print_encoding(o, ds);
    return 0;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as exactly v: 10.3, not
   10.300000000000001. Returns the length written (at most 25 bytes). */
static int format_double(char *out, size_t cap, double v)
{
    int n = 0;
    for (int digits = 15; digits <= 17; digits++) {
        n = snprintf(out, cap, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return n;
}

/* Lines of output text for rows [row0, row0 + n) of this rank (y their targets, NULL
   without; v n_cols numbers a row: the prediction, or fit, lwr, upr), one per data record,
   so that line k of the output belongs to record k of the input: each row's line comes
   after those of the records --on-bad-row skipped before it (*k: the next of
   ds->skipped_at), and with last the skipped records after the rank's last row too. A
   skipped record gets empty fields: "," per number with the target column, else one fewer
   ('""' for one number: a line that is not blank, so that CSV readers keep it). */
static char *format_rows(const struct dataset *ds, const double *y, const double *v,
                         int n_cols, int64_t row0, int64_t n, int last, int64_t *k,
                         int64_t *len)
{
    int64_t skipped = 0;  /* the skipped records these lines hold */
    for (int64_t j = *k; j < ds->n_skipped_local && (last || ds->skipped_at[j] < row0 + n); j++)
        skipped++;
    /* n_cols + 1 numbers of ≤ 25 bytes and their separators a row, n_cols + 2 a skipped
       record */
    size_t cap = (size_t)n * 26 * ((size_t)n_cols + 1) + (size_t)skipped * ((size_t)n_cols + 2) + 1,
           at = 0;
    char *buf = lr_malloc(cap);
    for (int64_t i = 0; i <= n; i++) {
        for (; *k < ds->n_skipped_local && ds->skipped_at[*k] == row0 + i && (i < n || last);
             (*k)++) {
            int commas = n_cols - 1 + ds->has_target;
            if (commas == 0)
                at += (size_t)snprintf(buf + at, cap - at, "\"\"");
            for (int c = 0; c < commas; c++)
                buf[at++] = ',';
            buf[at++] = '\n';
        }
        if (i == n)
            break;
        if (ds->has_target) {  /* a missing target stays empty */
            if (!isnan(y[i]))
                at += (size_t)format_double(buf + at, cap - at, y[i]);
            buf[at++] = ',';
        }
        for (int c = 0; c < n_cols; c++) {
            at += (size_t)format_double(buf + at, cap - at, v[(size_t)i * n_cols + c]);
            buf[at++] = c + 1 < n_cols ? ',' : '\n';
        }
    }
    *len = (int64_t)at;
    return buf;
}

/* fit, lwr, upr of each row (predict.h) into out (N×3): se² = x₀ᵀVx₀, x₀ = (1, x) (V's
   intercept row and column are 0 without an intercept), then ±t·√(se² [+ σ²]). The sums
   run over x₀'s nonzero entries only (one-hot columns are mostly 0), which adds the same
   terms as the full sums but the zeros. X: N×D row-major; V: (D+1)×(D+1) row-major. Each
   row on its own: the same bits under any thread count. */
static void interval_rows(const double *X, const double *fit, int64_t n, int d, const double *V,
                          double t, double var_new, int n_threads, double *out)
{
#pragma omp parallel num_threads(n_threads)
    {
        double *x0 = lr_malloc((size_t)(d + 1) * sizeof *x0);
        int *nz = lr_malloc((size_t)(d + 1) * sizeof *nz);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            int m = 0;
            for (int a = 0; a <= d; a++) {
                x0[m] = a == 0 ? 1 : X[(size_t)i * d + a - 1];
                if (x0[m] != 0)
                    nz[m++] = a;
            }
            double se2 = 0;
            for (int p = 0; p < m; p++) {
                const double *row = V + (size_t)nz[p] * (d + 1);
                double u = 0;
                for (int q = 0; q < m; q++)
                    u += row[nz[q]] * x0[q];
                se2 += x0[p] * u;
            }
            double h = t * sqrt((se2 > 0 ? se2 : 0) + var_new);  /* se² ≥ 0 but for rounding */
            out[(size_t)i * 3] = fit[i];
            out[(size_t)i * 3 + 1] = fit[i] - h;
            out[(size_t)i * 3 + 2] = fit[i] + h;
        }
        free(x0);
        free(nz);
    }
}

/* What predict writes: the model and the rows, the t quantile and the new rows' variance
   for --interval. */
struct prediction {
    const struct options *o;
    const struct model_file *m;
    struct dataset *ds;
    int n_cols;                /* numbers a row: 1, or 3 with --interval */
    double t, var_new;
};

/* Where a pass's text goes: emit(ctx, text, len) in order; -1 with e stops the pass. */
typedef int (*emit_fn)(void *ctx, const char *text, int64_t len, struct lr_error *e);

/* Local: one pass over this rank's rows (dataset_next), each block's lines formatted and
   emitted in order, the skipped records after the last row last. */
static int predict_pass(const struct prediction *p, emit_fn emit, void *ctx, struct lr_error *e)
{
    struct dataset *ds = p->ds;
    struct row_block b;
    int64_t row0 = 0, k = 0, len;
    int rc;
    dataset_rewind_keys(ds);  /* with each block its --offset values */
    while ((rc = dataset_next(ds, &b, e)) > 0) {
        size_t n = (size_t)(b.n ? b.n : 1);
        double *yhat = lr_malloc(n * sizeof *yhat), *v = yhat;
        metrics_predict(b.X, b.n, ds->n_features, p->m->intercept, p->m->coef,
                        p->o->n_threads, yhat);
        for (int64_t i = 0; b.offset && i < b.n; i++)  /* --offset: part of the prediction */
            yhat[i] += b.offset[i];
        if (p->n_cols == 3) {
            v = lr_malloc(3 * n * sizeof *v);
            interval_rows(b.X, yhat, b.n, ds->n_features, p->m->cov, p->t, p->var_new,
                          p->o->n_threads, v);
            free(yhat);
        }
        char *text = format_rows(ds, b.y, v, p->n_cols, row0, b.n, 0, &k, &len);
        free(v);
        rc = emit(ctx, text, len, e);
        free(text);
        if (rc < 0)
            return -1;
        row0 += b.n;
    }
    if (rc < 0)
        return -1;
    char *text = format_rows(ds, NULL, NULL, p->n_cols, row0, 0, 1, &k, &len);
    rc = emit(ctx, text, len, e);
    free(text);
    return rc;
}

/* emit's kinds: count the bytes; write them at an offset in a file; rank 0's results on
   stdout; another rank's sent to rank 0. */
struct sink {
    int64_t bytes;             /* emitted so far */
    int fd;
    off_t off;
    const char *path;
    char *text;                /* emit_keep's */
};
static int emit_count(void *ctx, const char *text, int64_t len, struct lr_error *e)
{
    ((struct sink *)ctx)->bytes += len;
    return 0;
}
static int emit_keep(void *ctx, const char *text, int64_t len, struct lr_error *e)
{
    struct sink *s = ctx;
    s->text = lr_realloc(s->text, (size_t)(s->bytes + len + 1));
    memcpy(s->text + s->bytes, text, (size_t)len);
    s->bytes += len;
    return 0;
}
static int emit_pwrite(void *ctx, const char *text, int64_t len, struct lr_error *e)
{
    struct sink *s = ctx;
    if (shard_pwrite(s->fd, text, len, s->off + s->bytes) < 0)
        return lr_fail_at(e, LR_EWRITE, s->path, 0, 0, "write failed: %s", strerror(errno));
    s->bytes += len;
    return 0;
}
static int emit_stdout(void *ctx, const char *text, int64_t len, struct lr_error *e)
{
    return results_write(text, (size_t)len, e);
}
static int emit_send(void *ctx, const char *text, int64_t len, struct lr_error *e)
{
    if (len > 0)  /* an empty part ends a rank's text */
        comm_send_bytes(0, text, len);
    return 0;
}

/* s as one field of the output CSV (RFC 4180): quoted, with its quotes doubled, when it
   holds a comma, a quote or a line end (a name read from inside quotes may); as it is
   otherwise. dst holds 2·strlen(s) + 3 bytes. */
static void csv_field(char *dst, const char *s)
{
    int quote = s[strcspn(s, ",\"\r\n")] != '\0';
    if (quote)
        *dst++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *dst++ = '"';
        *dst++ = *s;
    }
    if (quote)
        *dst++ = '"';
    *dst = '\0';
}

/* Collective: every rank writes its part at its offset in a temporary file; rank 0 renames
   it into place once all parts are safely written (nothing half-written on failure).
   Resident rows' text is kept until the offsets are known; streamed rows are read twice,
   the first pass only counting the bytes. */
static int write_parallel(const struct prediction *p, const char *path, const char *header,
                          struct lr_error *e)
{
    char tmp[4200] = "";
    if (comm_rank() == 0) {
        int fd = atomic_begin(path, tmp, sizeof tmp, e);
        if (fd >= 0)
            close(fd);
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    comm_bcast(tmp, sizeof tmp, 0);
    struct sink s = {.fd = -1, .path = path};
    predict_pass(p, p->ds->stream ? emit_count : emit_keep, &s, e);
    if (comm_agree(e) != LR_OK) {
        free(s.text);
        return -1;
    }
    int64_t hlen = (int64_t)strlen(header);
    s.off = (off_t)(hlen + comm_exscan_i64(s.bytes));
    s.fd = test_fail_here("predict-write", comm_rank()) ? -1 : open(tmp, O_WRONLY);
    int ok = s.fd >= 0 && (comm_rank() != 0 || shard_pwrite(s.fd, header, hlen, 0) == 0);
    if (ok && s.text)
        ok = shard_pwrite(s.fd, s.text, s.bytes, s.off) == 0;
    else if (ok)  /* streamed: the rows again, each block written as it is formatted */
        ok = (s.bytes = 0, predict_pass(p, emit_pwrite, &s, e)) == 0;
    if ((!ok || fsync(s.fd) < 0) && e->code == LR_OK)
        lr_fail_at(e, LR_EWRITE, path, 0, 0, "write failed: %s", strerror(errno));
    free(s.text);
    if (s.fd >= 0)
        close(s.fd);
    if (comm_agree(e) != LR_OK) {
        if (comm_rank() == 0)
            unlink(tmp);
        return -1;
    }
    if (comm_rank() == 0)
        atomic_commit(tmp, path, e);  /* removes tmp if it fails */
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Collective: rank 0 prints its lines, then every other rank's as they come, in rank order;
   a failed write is every rank's error. */
static int write_stdout(const struct prediction *p, const char *header, struct lr_error *e)
{
    if (comm_rank() != 0) {
        struct lr_error mine = {0};  /* rank 0 reports; a local read error is agreed below */
        predict_pass(p, emit_send, NULL, &mine);
        comm_send_bytes(0, "", 0);
        *e = mine;
    } else {  /* each part is whole lines, written in one piece (log.h) */
        if (results_write(header, strlen(header), e) == 0)
            predict_pass(p, emit_stdout, NULL, e);
        for (int r = 1; r < comm_size(); r++) {  /* received even after a failed write */
            char *part;
            int64_t n;
            do {
                comm_recv_bytes(r, &part, &n);
                if (e->code == LR_OK && n > 0)
                    results_write(part, (size_t)n, e);
                free(part);
            } while (n > 0);
        }
    }
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int predict_run(const struct options *o, struct lr_error *e)
{
    struct model_file m = {0};
    struct formula_data fd = {0};
    struct dataset ds = {0};
    int rc = LR_OK;
    if (o->output && comm_rank() == 0)
        atomic_check_dir(o->output, "predictions", e);
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (load_model_and_data(o, 0, &m, &fd, &ds, e) < 0) {
        rc = e->code;
        goto done;
    }
    if (comm_rank() == 0 && m.n_aliased)
        warn_aliased(&m);
    struct prediction p = {.o = o, .m = &m, .ds = &ds, .n_cols = o->interval ? 3 : 1};
    if (o->interval) {
        p.t = inference_t_quantile((1 - o->level) / 2, (double)m.df_residual);
        p.var_new = o->interval == INTERVAL_PREDICTION ? m.sigma * m.sigma : 0;
        if (comm_rank() == 0 && !o->quiet && m.weights && o->interval == INTERVAL_PREDICTION)
            fprintf(stderr, "linreg_mpi: the model was trained with --weights %s: each new "
                    "row's variance is sigma^2 (weight 1), as R's predict.lm assumes\n",
                    lr_shown(m.weights).s);
    }
    const char *cols = o->interval ? "fit,lwr,upr" : "prediction";
    char *header = lr_malloc(2 * strlen(ds.has_target ? ds.target_name : "") + 32);
    size_t at = 0;
    if (ds.has_target) {
        csv_field(header, ds.target_name);
        at = strlen(header);
        header[at++] = ',';
    }
    sprintf(header + at, "%s\n", cols);
    if ((o->output ? write_parallel(&p, o->output, header, e)
                   : write_stdout(&p, header, e)) < 0)
        rc = e->code;
    else if (ds.stream)
        print_encoding(o, &ds);
    free(header);
done:
    model_file_free(&m);
    dataset_free(&ds);
    fdata_free(&fd);
    return rc;
}

static void print_metrics(const struct metrics *mt, int json, FILE *out)
{
    if (json) {
        json_t *root = json_pack("{s:I}", "rows", (json_int_t)mt->rows);
        const char *names[] = {"mse", "rmse", "mae", "r2", "adjusted_r2"};
        double v[] = {mt->mse, mt->rmse, mt->mae, mt->r2, mt->adj_r2};
        for (int k = 0; k < 5; k++)
            json_object_set_new(root, names[k], isfinite(v[k]) ? json_real(v[k]) : json_null());
        json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        fputc('\n', out);
        json_decref(root);
        return;
    }
    fprintf(out, "rows         %lld\nmse          %.10g\nrmse         %.10g\nmae          %.10g\n"
                 "r2           %.10g\nadjusted_r2  %.10g\n",
            (long long)mt->rows, mt->mse, mt->rmse, mt->mae, mt->r2, mt->adj_r2);
}

int evaluate_run(const struct options *o, struct lr_error *e)
{
    struct model_file m = {0};
    struct formula_data fd = {0};
    struct dataset ds = {0};
    int rc = LR_OK;
    if (load_model_and_data(o, 1, &m, &fd, &ds, e) < 0) {
        rc = e->code;
    } else {
        struct metrics mt;
        struct metrics_acc acc;
        struct row_block b;
        metrics_init(&acc, NULL);  /* errors about the first rows' means */
        dataset_rewind(&ds);
        while (dataset_next(&ds, &b, e) > 0)
            metrics_add(&acc, b.X, b.y, b.w, b.n, ds.n_features, m.intercept, m.coef,
                        o->n_threads);
        metrics_finish(&acc, ds.n_features, !m.no_intercept, &mt);
        if ((rc = comm_agree(e)) != LR_OK)
            goto done;
        if (ds.stream)
            print_encoding(o, &ds);
        if (comm_rank() == 0 && !o->quiet && m.weights)
            fprintf(stderr, "linreg_mpi: %s\n", ds.has_weights ? "metrics weighted by the model's "
                    "--weights column, as in training" : "the model was trained with "
                    "--weights, but the file has no such column: unweighted metrics");
        if (comm_rank() == 0) {
            struct results res;
            print_metrics(&mt, o->json, results_begin(&res));
            results_end(&res, e);
        }
        rc = comm_agree(e);
    }
done:
    model_file_free(&m);
    dataset_free(&ds);
    fdata_free(&fd);
    return rc;
}
