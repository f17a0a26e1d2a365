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
#include "log.h"
#include "metrics.h"
#include "model_io.h"
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

/* Collective: the model on every rank, then the CSV's shard with its columns. */
static int load_model_and_data(const struct options *o, int need_target, struct model_file *m,
                               struct dataset *ds, struct lr_error *e)
{
    model_read(o->model, m, e);
    if (comm_agree(e) != LR_OK)
        return -1;
    int missing = missing_mode(o, m, e);
    if (missing < 0)
        return -1;  /* from the same model and options on every rank */
    /* the model's source columns, encoded as in training (encode.h) */
    struct data_model model = {.enc = &m->enc, .target = m->target, .weights = m->weights,
                               .no_intercept = m->no_intercept, .missing = missing};
    struct data_options dopt;
    data_options_for(o, need_target ? DATA_EVALUATE : DATA_PREDICT, &model, &dopt);
    if (dataset_load(&dopt, ds, e) < 0)
        return -1;
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_skipped(ds, NULL, stderr), dataset_print_encoding(ds, NULL, stderr);
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

/* This rank's lines of output text: one per data record, so that line k of the output
   belongs to record k of the input. A record --on-bad-row skip skipped gets an empty
   prediction: "," with the target column, '""' without it (a line that is not blank, so
   that CSV readers keep it). */
static char *format_rows(const struct dataset *ds, const double *yhat, int64_t *len)
{
    /* two numbers of ≤ 25 bytes + 2 a row, 3 a skipped record */
    size_t cap = (size_t)ds->n_rows * 52 + (size_t)ds->n_skipped_local * 3 + 1, at = 0;
    char *buf = lr_malloc(cap);
    int64_t k = 0;
    for (int64_t i = 0; i <= ds->n_rows; i++) {
        for (; k < ds->n_skipped_local && ds->skipped_at[k] == i; k++)
            at += (size_t)snprintf(buf + at, cap - at, "%s\n", ds->has_target ? "," : "\"\"");
        if (i == ds->n_rows)
            break;
        if (ds->has_target) {  /* a missing target stays empty */
            if (!isnan(ds->y[i]))
                at += (size_t)format_double(buf + at, cap - at, ds->y[i]);
            buf[at++] = ',';
        }
        at += (size_t)format_double(buf + at, cap - at, yhat[i]);
        buf[at++] = '\n';
    }
    *len = (int64_t)at;
    return buf;
}

static int write_at(int fd, const char *p, int64_t n, off_t off)
{
    while (n > 0) {
        ssize_t k = pwrite(fd, p, (size_t)n, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, n -= k, off += k;
    }
    return 0;
}

/* Collective: every rank writes its part at its offset in a temporary file; rank 0 renames
   it into place once all parts are safely written (nothing half-written on failure). */
static int write_parallel(const char *path, const char *header, const char *buf, int64_t len,
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
    int64_t hlen = (int64_t)strlen(header);
    off_t off = (off_t)(hlen + comm_exscan_i64(len));
    int fd = test_fail_here("predict-write", comm_rank()) ? -1 : open(tmp, O_WRONLY);
    if (fd < 0 || (comm_rank() == 0 && write_at(fd, header, hlen, 0) < 0) ||
        write_at(fd, buf, len, off) < 0 || fsync(fd) < 0)
        lr_fail_at(e, LR_EWRITE, path, 0, 0, "write failed: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    if (comm_agree(e) != LR_OK) {
        if (comm_rank() == 0)
            unlink(tmp);
        return -1;
    }
    if (comm_rank() == 0)
        atomic_commit(tmp, path, e);  /* removes tmp if it fails */
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Collective: rank 0 prints every rank's part, in rank order; a failed write is every
   rank's error. */
static int write_stdout(const char *header, const char *buf, int64_t len, struct lr_error *e)
{
    if (comm_rank() != 0) {
        comm_send_bytes(0, buf, len);
    } else {  /* each part is whole lines, written in one piece (log.h) */
        if (results_write(header, strlen(header), e) == 0)
            results_write(buf, (size_t)len, e);
        for (int r = 1; r < comm_size(); r++) {  /* received even after a failed write */
            char *part;
            int64_t n;
            comm_recv_bytes(r, &part, &n);
            if (e->code == LR_OK)
                results_write(part, (size_t)n, e);
            free(part);
        }
    }
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int predict_run(const struct options *o, struct lr_error *e)
{
    struct model_file m = {0};
    struct dataset ds = {0};
    int rc = LR_OK;
    if (o->output && comm_rank() == 0)
        atomic_check_dir(o->output, "predictions", e);
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (load_model_and_data(o, 0, &m, &ds, e) < 0) {
        rc = e->code;
        goto done;
    }
    double *yhat = lr_malloc((size_t)(ds.n_rows ? ds.n_rows : 1) * sizeof *yhat);
    metrics_predict(ds.X, ds.n_rows, ds.n_features, m.intercept, m.coef, o->n_threads, yhat);
    int64_t len;
    char *text = format_rows(&ds, yhat, &len), header[512];
    free(yhat);
    if (ds.has_target)
        snprintf(header, sizeof header, "%s,prediction\n", ds.target_name);
    else
        snprintf(header, sizeof header, "prediction\n");
    if (o->output) {
        if (write_parallel(o->output, header, text, len, e) < 0)
            rc = e->code;
    } else if (write_stdout(header, text, len, e) < 0) {
        rc = e->code;
    }
    free(text);
done:
    model_file_free(&m);
    dataset_free(&ds);
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
    struct dataset ds = {0};
    int rc = LR_OK;
    if (load_model_and_data(o, 1, &m, &ds, e) < 0) {
        rc = e->code;
    } else {
        struct metrics mt;
        metrics_compute_w(ds.X, ds.y, ds.w, ds.n_rows, ds.n_features, m.intercept, m.coef,
                          !m.no_intercept, o->n_threads, &mt);
        if (comm_rank() == 0 && !o->quiet && m.weights)
            fprintf(stderr, "linreg_mpi: %s\n", ds.w ? "metrics weighted by the model's "
                    "--weights column, as in training" : "the model was trained with "
                    "--weights, but the file has no such column: unweighted metrics");
        if (comm_rank() == 0) {
            struct results res;
            print_metrics(&mt, o->json, results_begin(&res));
            results_end(&res, e);
        }
        rc = comm_agree(e);
    }
    model_file_free(&m);
    dataset_free(&ds);
    return rc;
}
