/* train.c — the training run, from options to model file; see train.h. */
#include "train.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "checkpoint.h"
#include "comm.h"
#include "dataset.h"
#include "gd.h"
#include "hash.h"
#include "log.h"
#include "metrics.h"
#include "model_io.h"
#include "report.h"
#include "stats.h"
#include "test_hooks.h"

/* Set by SIGTERM/SIGINT/SIGUSR1 (async-signal-safe: only these stores); gd_run shares the flag with
   every rank through the epoch's Allreduce, so all ranks stop after the same epoch. */
static volatile sig_atomic_t g_stop, g_signal;

static void on_signal(int sig)
{
    g_signal = sig;
    g_stop = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);  /* mpirun forwards it without killing the job */
}

/* What the epoch callback needs. */
struct run {
    const struct options *o;
    double t[PH_COUNT];        /* seconds per phase on this rank (report.h) */
    struct train_log log;
    struct ckpt ck;            /* options, fingerprint and scaling; the state at write time */
    int ckpt_failed;           /* rank 0: a checkpoint write failed (ckpt_err) */
    struct lr_error ckpt_err;
};

/* Rank 0: the state s, with the run's scaling, options and fingerprint, to --checkpoint. */
static int write_checkpoint(struct run *r, const struct gd_state *s, struct lr_error *e)
{
    size_t len;
    double t0 = comm_wtime();
    r->ck.state = *s;  /* borrowed arrays */
    char *buf = ckpt_encode(&r->ck, &len);
    memset(&r->ck.state, 0, sizeof r->ck.state);
    int rc = test_fail_here("checkpoint", comm_rank())
                 ? lr_fail_at(e, LR_EWRITE, r->o->checkpoint, 0, 0, "injected failure (test build)")
                 : atomic_write(r->o->checkpoint, buf, len, e);
    free(buf);
    r->t[PH_CHECKPOINT] += comm_wtime() - t0;
    return rc;
}

static void on_epoch(const struct gd_epoch_info *info, const struct gd_state *s, void *ctx)
{
    struct run *r = ctx;
    const struct options *o = r->o;
    r->t[PH_COMPUTE] += info->compute_seconds;
    r->t[PH_ALLREDUCE] += info->allreduce_seconds;
    log_epoch(&r->log, info);
    /* the last epoch's checkpoint is written after training, whatever ended it */
    int last = s->converged || s->stopped || s->epoch >= o->epochs;
    if (o->checkpoint && comm_rank() == 0 && !r->ckpt_failed && !last &&
        s->epoch % o->checkpoint_every == 0 && write_checkpoint(r, s, &r->ckpt_err) < 0) {
        r->ckpt_failed = 1;
        g_stop = 1;  /* every rank stops after the next epoch; the error is agreed then */
    }
}

/* Rows held out of training: the validation rows of this rank. */
struct holdout {
    double *X, *y;             /* Nv×D, Nv */
    int64_t n, n_total;
};

/* Collective: move the rows whose position in the whole file hashes below `fraction` into
   v, keeping both parts in file order. The position counts data rows from the first, so
   the split is the same whatever the rank and thread counts. */
static int split_validation(struct dataset *ds, double fraction, uint64_t seed,
                            struct holdout *v, struct lr_error *e)
{
    int d = ds->n_features;
    int64_t base = comm_exscan_i64(ds->n_rows), kt = 0, kv = 0;
    uint64_t key = mix64(seed ^ 0x6A09E667F3BCC909u);
    unsigned char *is_val = lr_malloc((size_t)ds->n_rows + 1);
    for (int64_t i = 0; i < ds->n_rows; i++) {
        is_val[i] = (double)(mix64(key ^ (uint64_t)(base + i)) >> 11) * 0x1p-53 < fraction;
        kv += is_val[i];
    }
    v->X = lr_malloc((size_t)(kv ? kv : 1) * (size_t)d * sizeof(double));
    v->y = lr_malloc((size_t)(kv ? kv : 1) * sizeof(double));
    v->n = kv;
    kv = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) {
        double *dst_X = is_val[i] ? v->X + kv * d : ds->X + kt * d;
        if (dst_X != ds->X + i * d)
            memmove(dst_X, ds->X + i * d, (size_t)d * sizeof(double));
        if (is_val[i])
            v->y[kv++] = ds->y[i];
        else
            ds->y[kt++] = ds->y[i];
    }
    free(is_val);
    ds->n_rows = kt;
    ds->n_rows_total = comm_sum_i64(kt);
    v->n_total = comm_sum_i64(kv);
    if (v->n_total == 0 || ds->n_rows_total == 0)
        return lr_fail(e, LR_EUSAGE, "--validation-split %g leaves %s rows (%lld in all)", fraction,
                          v->n_total == 0 ? "no validation" : "no training",
                          (long long)(ds->n_rows_total + v->n_total));
    return 0;
}

/* Statistics that overflowed (values near the double range): no scaling or model can be
   built from them. -1 with LR_EDATA naming the column. */
static int check_finite_stats(const struct dataset *ds, const struct col_stats *s,
                              const struct col_stats *ys, const char *path, struct lr_error *e)
{
    for (int j = 0; j <= ds->n_features; j++) {
        const struct col_stats *c = j < ds->n_features ? &s[j] : ys;
        if (!isfinite(c->mean) || !isfinite(stats_std(c)))
            return lr_fail_at(e, LR_EDATA, path, 0, 0,
                              "column '%s': its values are too large to average or square in "
                              "double precision (mean %g, std %g); rescale the column",
                              j < ds->n_features ? ds->feature_names[j] : ds->target_name,
                              c->mean, stats_std(c));
    }
    return 0;
}

/* Scaling from the merged column statistics: constant columns keep std 1 (and a warning),
   so they stay centred at zero and their coefficient stays 0. */
static void choose_scaling(const struct dataset *ds, const struct col_stats *s, int enabled,
                           double *mean, double *scale, const struct train_log *log)
{
    for (int j = 0; j < ds->n_features; j++) {
        double sd = stats_std(&s[j]);
        mean[j] = enabled ? s[j].mean : 0.0;
        scale[j] = enabled && sd > 0 ? sd : 1.0;
        if (sd == 0)
            log_note(log, "warning: column '%s' is constant (%.17g); its coefficient will be 0",
                     ds->feature_names[j], s[j].mean);
    }
}

static void log_stats(const struct train_log *log, const struct dataset *ds,
                      const struct col_stats *s, const struct col_stats *ys)
{
    log_note(log, "%lld rows, %d feature%s, target '%s'", (long long)ds->n_rows_total,
             ds->n_features, ds->n_features == 1 ? "" : "s", ds->target_name);
    for (int j = 0; j < ds->n_features; j++)
        log_note(log, "  %-20s mean %-14.8g std %-14.8g min %-14.8g max %.8g",
                 ds->feature_names[j], s[j].mean, stats_std(&s[j]), s[j].min, s[j].max);
    log_note(log, "  %-20s mean %-14.8g std %-14.8g min %-14.8g max %.8g (target)",
             ds->target_name, ys->mean, stats_std(ys), ys->min, ys->max);
}

/* Coefficients in original units: ŷ = b_s + Σ w_s,j (x_j − μ_j)/σ_j. */
static double to_original(const double *theta, const double *mean, const double *scale, int d,
                          double *coef)
{
    double b = theta[0];
    for (int j = 0; j < d; j++) {
        coef[j] = theta[j + 1] / scale[j];
        b -= coef[j] * mean[j];
    }
    return b;
}

/* Collective: rank 0 reads and checks the --resume file, every rank decodes the same bytes. */
static int load_resume(const char *path, struct ckpt *c, struct lr_error *e)
{
    char *buf = NULL;
    int64_t len = 0;
    if (comm_rank() == 0) {
        size_t n = 0;
        buf = test_fail_here("resume", 0)
                  ? (lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "injected failure (test build)"), NULL)
                  : ckpt_read_file(path, &n, e);
        len = (int64_t)n;
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    comm_bcast(&len, sizeof len, 0);
    if (comm_rank() != 0)
        buf = lr_malloc((size_t)len + 1);
    comm_bcast(buf, (size_t)len, 0);
    ckpt_decode(buf, (size_t)len, path, c, e);
    free(buf);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* Collective: the data's fingerprint: rows, names, exact per-column digests of the raw
   values, and a digest of their order. */
static void fingerprint(const struct dataset *ds, struct ckpt_fingerprint *fp)
{
    int d = ds->n_features;
    fp->rows = ds->n_rows_total;
    fp->d = d;
    fp->names = lr_malloc((size_t)(d + 1) * sizeof(char *));
    fp->names[0] = strdup(ds->target_name);
    for (int j = 0; j < d; j++)
        fp->names[j + 1] = strdup(ds->feature_names[j]);
    fp->digest = lr_malloc((size_t)(d + 2) * sizeof(uint64_t));
    int64_t first_row = comm_exscan_i64(ds->n_rows);
    ckpt_digest_local(ds->X, ds->y, ds->n_rows, d, first_row, fp->digest);
    comm_sum_u64(fp->digest, d + 2);
}

/* "stopped by SIGTERM ...; resume with: mpirun -n P <the same arguments> --resume PATH" */
static int stopped_error(const struct options *o, int64_t epoch, struct lr_error *e)
{
    char cmd[768];
    size_t at = (size_t)snprintf(cmd, sizeof cmd, "mpirun -n %d", comm_size());
    for (int i = 0; i < o->argc && at < sizeof cmd; i++) {
        if (strcmp(o->argv[i], "--resume") == 0) {
            i++;
            continue;
        }
        if (strncmp(o->argv[i], "--resume=", 9) == 0)
            continue;
        at += (size_t)snprintf(cmd + at, sizeof cmd - at, " %s", o->argv[i]);
    }
    if (at < sizeof cmd)
        snprintf(cmd + at, sizeof cmd - at, " --resume %s", o->checkpoint);
    const char *sig = g_signal == SIGTERM ? "SIGTERM" : g_signal == SIGINT ? "SIGINT"
                      : g_signal == SIGUSR1 ? "SIGUSR1" : "a signal";
    return lr_fail(e, LR_ESTOPPED,
                   "stopped by %s after epoch %lld; checkpoint written to %s\nresume with: %s",
                   sig, (long long)epoch, o->checkpoint, cmd);
}

int train_run(const struct options *o, struct lr_error *e)
{
    double t_start = comm_wtime();
    struct run r = {.o = o};
    struct ckpt resume = {0};
    struct dataset ds = {0}, test = {0};
    struct holdout val = {0};
    struct gd_state st = {0};
    struct col_stats *s = NULL, ys;
    double *mean = NULL, *scale = NULL, *coef = NULL;
    int rc = LR_OK;

    /* Outputs first: a run must not train for hours and then find it cannot save. */
    if (comm_rank() == 0 && atomic_check_dir(o->model_out, "model", e) == 0 &&
        (!o->report || atomic_check_dir(o->report, "report", e) == 0) && o->checkpoint &&
        atomic_check_dir(o->checkpoint, "checkpoint", e) == 0)
        atomic_clean_stale(o->checkpoint);  /* left by a crash mid-write */
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    if (o->resume && load_resume(o->resume, &resume, e) < 0) {
        rc = e->code;
        goto done;
    }
    log_open(&r.log, comm_rank(), o->log_path, o->quiet, o->log_every, o->epochs,
             o->resume ? resume.state.epoch : 0, o->validation_split > 0, e);
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    if (o->checkpoint)
        catch_stop_signals();

    struct data_options dopt = {
        .path = o->path, .delimiter = o->delimiter, .has_header = !o->no_header,
        .target = o->target, .features = o->features, .drop = o->drop, .want_target = 1,
        .skip_bad_rows = o->skip_bad_rows, .n_threads = o->n_threads,
    };
    double t0 = comm_wtime();
    if (dataset_load(&dopt, &ds, e) < 0) {
        rc = e->code;
        goto done;
    }
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_skipped(&ds, stderr);
    if (o->checkpoint || o->resume)  /* of all the rows, before any are held out */
        fingerprint(&ds, &r.ck.fp);
    if (o->validation_split > 0 && split_validation(&ds, o->validation_split, o->seed, &val, e) < 0) {
        rc = e->code;  /* from totals: the same on every rank */
        goto done;
    }
    if (o->test) {  /* read now: a bad test file must not wait for the end of training */
        struct data_options topt = dopt;
        topt.path = o->test;
        topt.features = topt.drop = NULL;
        topt.feature_list = ds.feature_names;
        topt.n_feature_list = ds.n_features;
        topt.target = ds.target_name;
        topt.columns_of = "the training data";
        if (dataset_load(&topt, &test, e) < 0) {
            rc = e->code;
            goto done;
        }
    }
    r.t[PH_READ] = comm_wtime() - t0;

    int d = ds.n_features;
    t0 = comm_wtime();
    s = lr_malloc((size_t)d * sizeof *s);
    mean = lr_malloc((size_t)d * sizeof *mean);
    scale = lr_malloc((size_t)d * sizeof *scale);
    coef = lr_malloc((size_t)d * sizeof *coef);
    stats_allreduce(ds.X, ds.n_rows, d, o->n_threads, s);
    stats_allreduce(ds.y, ds.n_rows, 1, o->n_threads, &ys);
    log_stats(&r.log, &ds, s, &ys);
    if (check_finite_stats(&ds, s, &ys, o->path, e) < 0) {
        rc = e->code;  /* from merged statistics: the same on every rank */
        goto done;
    }
    choose_scaling(&ds, s, !o->no_scale, mean, scale, &r.log);
    struct gd_params gp = {
        .solver = o->solver == SOLVER_AUTO ? (o->lr > 0 ? GD_PLAIN : GD_NESTEROV)
                  : o->solver == SOLVER_GD ? GD_PLAIN : GD_NESTEROV,
        .lr = o->lr, .max_epochs = o->epochs, .tol_auto = o->tol < 0, .tol = o->tol,
        .l2 = o->l2, .patience = o->patience,
    };
    r.ck.opt = (struct ckpt_options){gp.solver, !o->no_scale, gp.tol_auto, o->lr,
                                     gp.tol_auto ? 0 : o->tol, o->l2, o->validation_split,
                                     o->seed, o->patience};
    if (o->resume) {
        /* continue in the checkpoint's coordinates: its scaling, state and step */
        ckpt_check(&resume, &r.ck.fp, &r.ck.opt, o->resume, e);
        if ((rc = comm_agree(e)) != LR_OK)
            goto done;
        memcpy(mean, resume.mean, (size_t)d * sizeof *mean);
        memcpy(scale, resume.scale, (size_t)d * sizeof *scale);
        st = resume.state;
        memset(&resume.state, 0, sizeof resume.state);
        log_note(&r.log, "resuming from %s after epoch %lld", o->resume, (long long)st.epoch);
        if (st.epoch >= o->epochs)
            log_note(&r.log, "warning: the checkpoint is past --epochs %lld: no epoch left to run",
                     (long long)o->epochs);
    }
    r.ck.mean = mean;
    r.ck.scale = scale;
    if (!o->no_scale) {
        stats_standardize(ds.X, ds.n_rows, d, mean, scale, o->n_threads);
        stats_standardize(val.X, val.n, d, mean, scale, o->n_threads);
    }
    r.t[PH_STATS] = comm_wtime() - t0;

    struct gd_problem pb = {ds.X, ds.y, ds.n_rows, ds.n_rows_total, d, o->n_threads, &g_stop,
                            val.X, val.y, val.n, val.n_total};
    if (!o->resume) {
        gd_state_init(&st, d);
        t0 = comm_wtime();
        st.lr = o->lr > 0 ? o->lr : gd_auto_lr(&pb, o->l2);
        r.t[PH_LR] = comm_wtime() - t0;
    }
    log_note(&r.log, "learning rate %.6g (%s), solver %s", st.lr, o->lr > 0 ? "--lr" : "auto",
             gp.solver == GD_PLAIN ? "gd" : "nesterov");

    double t_train = comm_wtime();
    gd_run(&pb, &gp, &st, on_epoch, &r, e);
    t_train = comm_wtime() - t_train;
    if (r.ckpt_failed)
        *e = r.ckpt_err;
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    if (o->checkpoint && comm_rank() == 0)
        write_checkpoint(&r, &st, e);
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    if (st.stopped) {
        stopped_error(o, st.epoch, e);
        rc = LR_ESTOPPED;
        goto done;
    }

    if (o->patience > 0)  /* early stopping keeps the weights validation liked best */
        memcpy(st.theta, st.best_theta, (size_t)(d + 1) * sizeof *st.theta);

    /* One more pass at the final weights: final_loss and the metrics. */
    t0 = comm_wtime();
    struct metrics train_m, val_m, test_m;
    metrics_compute(ds.X, ds.y, ds.n_rows, d, st.theta[0], st.theta + 1, o->n_threads, &train_m);
    if (val.n_total > 0)
        metrics_compute(val.X, val.y, val.n, d, st.theta[0], st.theta + 1, o->n_threads, &val_m);
    double intercept = to_original(st.theta, mean, scale, d, coef), w2 = 0;
    for (int j = 0; j <= d; j++)  /* the same on every rank: computed from agreed values */
        if (!isfinite(j < d ? coef[j] : intercept)) {
            lr_fail_at(e, LR_EDATA, o->path, 0, 0,
                       "the %s%s%s does not fit in a double in original units (the column's "
                       "std is %g); rescale the column", j < d ? "coefficient of '" : "intercept",
                       j < d ? ds.feature_names[j] : "", j < d ? "'" : "", j < d ? scale[j] : 0.0);
            rc = LR_EDATA;
            goto done;
        }
    if (o->test)  /* raw features: the model in original units */
        metrics_compute(test.X, test.y, test.n_rows, d, intercept, coef, o->n_threads, &test_m);
    for (int j = 1; j <= d; j++)
        w2 += st.theta[j] * st.theta[j];
    r.t[PH_METRICS] = comm_wtime() - t0;
    int early = o->patience > 0 && st.since_best >= o->patience;
    struct model model = {
        .target = ds.target_name, .d = d, .features = ds.feature_names,
        .intercept = intercept, .coef = coef,
        .scaling = !o->no_scale, .mean = mean, .std = scale,
        .scaled_intercept = st.theta[0], .scaled_coef = st.theta + 1,
        .solver = gp.solver == GD_PLAIN ? "gd" : "nesterov", .epochs = st.epoch,
        .converged = st.converged && !early,
        .stopped_by = early ? "early_stopping" : st.converged ? "convergence" : "epoch_limit",
        .learning_rate = st.lr,
        .final_loss = train_m.mse / 2 + o->l2 / (2 * (double)ds.n_rows_total) * w2, .l2 = o->l2,
        .rows = ds.n_rows_total, .ranks = comm_size(), .threads = o->n_threads,
        .seconds = comm_wtime() - t_start, .validation_split = o->validation_split,
        .patience = o->patience, .best_epoch = st.best_epoch, .train = train_m,
        .validation = val.n_total > 0 ? &val_m : NULL, .test = o->test ? &test_m : NULL,
    };
    t0 = comm_wtime();
    if (test_fail_here("model", comm_rank()))
        lr_fail_at(e, LR_EWRITE, o->model_out, 0, 0, "injected failure (test build)");
    else if (comm_rank() == 0)
        model_write(&model, o->model_out, e);
    r.t[PH_MODEL] = comm_wtime() - t0;
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    log_close(&r.log, o->log_path, e);
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    r.t[PH_TOTAL] = comm_wtime() - t_start;
    struct run_shape shape = {comm_size(), o->n_threads, d, ds.n_rows_total, ds.file_bytes,
                              st.epoch};
    if (o->report)
        report_write(o->report, r.t, &shape, e);
    if (test_fail_here("report", comm_rank()))
        lr_fail_at(e, LR_EWRITE, o->report ? o->report : "report", 0, 0, "injected failure (test build)");
    if ((rc = comm_agree(e)) != LR_OK)
        goto done;
    const char *how = early         ? "stopped early (no better validation loss for --patience epochs)"
                      : st.converged ? "converged"
                                     : "stopped (epoch limit)";
    log_note(&r.log, "%s after %lld epochs: final loss %.10g, R^2 %.10g, model written to %s",
             how, (long long)st.epoch,
             model.final_loss, model.train.r2, o->model_out);
    if (d <= 10) {  /* small models: the formula itself */
        char formula[1024];
        size_t at = (size_t)snprintf(formula, sizeof formula, "%s = %.6g", ds.target_name, intercept);
        for (int j = 0; j < d && at < sizeof formula; j++)
            at += (size_t)snprintf(formula + at, sizeof formula - at, " %c %.6g*%s",
                                   coef[j] < 0 ? '-' : '+', fabs(coef[j]), ds.feature_names[j]);
        log_note(&r.log, "model: %s", formula);
    }
    if (val.n_total > 0)
        log_note(&r.log, "validation: %lld rows, MSE %.10g, R^2 %.10g%s", (long long)val_m.rows,
                 val_m.mse, val_m.r2, o->patience > 0 ? " (best epoch's weights kept)" : "");
    if (o->test)
        log_note(&r.log, "test %s: %lld rows, MSE %.10g, R^2 %.10g", o->test,
                 (long long)test_m.rows, test_m.mse, test_m.r2);
    log_note(&r.log, "time: read %.3f s, stats+scaling %.3f s, learning rate %.3f s, training "
             "%.3f s (%.3f ms/epoch: compute %.3f, allreduce %.3f), total %.3f s",
             r.t[PH_READ], r.t[PH_STATS], r.t[PH_LR], t_train,
             st.epoch ? 1e3 * t_train / (double)st.epoch : 0.0,
             st.epoch ? 1e3 * r.t[PH_COMPUTE] / (double)st.epoch : 0.0,
             st.epoch ? 1e3 * r.t[PH_ALLREDUCE] / (double)st.epoch : 0.0, r.t[PH_TOTAL]);
done:
    log_close(&r.log, o->log_path, &(struct lr_error){0});
    ckpt_free(&resume);
    r.ck.mean = r.ck.scale = NULL;  /* borrowed */
    ckpt_free(&r.ck);
    gd_state_free(&st);
    dataset_free(&ds);
    dataset_free(&test);
    free(val.X);
    free(val.y);
    free(s);
    free(mean);
    free(scale);
    free(coef);
    return rc;
}
