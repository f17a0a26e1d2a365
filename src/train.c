/* train.c — the training run, from options to model file; see train.h. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "comm.h"
#include "dataset.h"
#include "gd.h"
#include "log.h"
#include "model_io.h"
#include "stats.h"

/* Seconds spent in each phase, for the final summary. */
struct phase_times {
    double read, stats, lr, train, final;
};

static void on_epoch(const struct gd_epoch_info *info, void *ctx)
{
    log_epoch(ctx, info);
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
    log_note(log, "%lld rows, %d features, target '%s'", (long long)ds->n_rows_total,
             ds->n_features, ds->target_name);
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

int train_run(const struct options *o, struct lr_error *e)
{
    struct phase_times t = {0};
    double t_start = comm_wtime();
    struct train_log log;
    struct dataset ds = {0};
    struct gd_state st = {0};
    struct col_stats *s = NULL, ys;
    double *mean = NULL, *scale = NULL, *coef = NULL;
    int rc_code = LR_OK;

    /* Outputs first: a run must not train for hours and then find it cannot save. */
    if (comm_rank() == 0 && atomic_check_dir(o->model_out, "model", e) == 0)
        log_open(&log, 0, o->log_path, o->quiet, o->log_every, o->epochs, e);
    else
        log_open(&log, comm_rank(), NULL, o->quiet, o->log_every, o->epochs, e);
    if ((rc_code = comm_agree(e)) != LR_OK)
        goto done;

    struct data_options dopt = {
        .path = o->path, .delimiter = o->delimiter, .has_header = !o->no_header,
        .target = o->target, .features = o->features, .drop = o->drop, .want_target = 1,
        .skip_bad_rows = o->skip_bad_rows, .n_threads = o->n_threads,
    };
    double t0 = comm_wtime();
    if (dataset_load(&dopt, &ds, e) < 0) {
        rc_code = e->code;
        goto done;
    }
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_skipped(&ds, stderr);
    t.read = comm_wtime() - t0;

    int d = ds.n_features;
    t0 = comm_wtime();
    s = lr_malloc((size_t)d * sizeof *s);
    mean = lr_malloc((size_t)d * sizeof *mean);
    scale = lr_malloc((size_t)d * sizeof *scale);
    coef = lr_malloc((size_t)d * sizeof *coef);
    stats_allreduce(ds.X, ds.n_rows, d, o->n_threads, s);
    stats_allreduce(ds.y, ds.n_rows, 1, o->n_threads, &ys);
    log_stats(&log, &ds, s, &ys);
    choose_scaling(&ds, s, !o->no_scale, mean, scale, &log);
    if (!o->no_scale)
        stats_standardize(ds.X, ds.n_rows, d, mean, scale, o->n_threads);
    t.stats = comm_wtime() - t0;

    struct gd_problem pb = {ds.X, ds.y, ds.n_rows, ds.n_rows_total, d, o->n_threads};
    struct gd_params gp = {
        .solver = o->solver == SOLVER_AUTO ? (o->lr > 0 ? GD_PLAIN : GD_NESTEROV)
                  : o->solver == SOLVER_GD ? GD_PLAIN : GD_NESTEROV,
        .lr = o->lr, .max_epochs = o->epochs, .tol_auto = o->tol < 0, .tol = o->tol, .l2 = o->l2,
    };
    gd_state_init(&st, d);
    t0 = comm_wtime();
    st.lr = o->lr > 0 ? o->lr : gd_auto_lr(&pb, o->l2);
    t.lr = comm_wtime() - t0;
    log_note(&log, "learning rate %.6g (%s), solver %s", st.lr, o->lr > 0 ? "--lr" : "auto",
             gp.solver == GD_PLAIN ? "gd" : "nesterov");

    t0 = comm_wtime();
    gd_run(&pb, &gp, &st, on_epoch, &log, e);
    t.train = comm_wtime() - t0;
    if ((rc_code = comm_agree(e)) != LR_OK)
        goto done;

    /* One more pass at the final weights: final_loss and the train metrics. */
    t0 = comm_wtime();
    double sums[2], m = (double)ds.n_rows_total, w2 = 0;
    gd_residual_sums(&pb, st.theta, sums);
    for (int j = 1; j <= d; j++)
        w2 += st.theta[j] * st.theta[j];
    t.final = comm_wtime() - t0;
    struct model model = {
        .target = ds.target_name, .d = d, .features = ds.feature_names,
        .intercept = to_original(st.theta, mean, scale, d, coef), .coef = coef,
        .scaling = !o->no_scale, .mean = mean, .std = scale,
        .scaled_intercept = st.theta[0], .scaled_coef = st.theta + 1,
        .solver = gp.solver == GD_PLAIN ? "gd" : "nesterov", .epochs = st.epoch,
        .converged = st.converged, .learning_rate = st.lr,
        .final_loss = sums[0] / (2 * m) + o->l2 / (2 * m) * w2, .l2 = o->l2,
        .rows = ds.n_rows_total, .ranks = comm_size(), .threads = o->n_threads,
        .seconds = comm_wtime() - t_start,
        .train = {.mse = sums[0] / m, .rmse = sqrt(sums[0] / m), .mae = sums[1] / m,
                  .r2 = ys.m2 > 0 ? 1 - sums[0] / ys.m2 : (sums[0] == 0 ? 1 : 0)},
    };
    if (comm_rank() == 0)
        model_write(&model, o->model_out, e);
    if ((rc_code = comm_agree(e)) != LR_OK)
        goto done;
    if (log_close(&log, o->log_path, e) < 0)
        rc_code = LR_EWRITE;
    if ((rc_code = comm_agree(e)) != LR_OK)
        goto done;
    log_note(&log, "%s after %lld epochs: final loss %.10g, R^2 %.10g, model written to %s",
             st.converged ? "converged" : "stopped (epoch limit)", (long long)st.epoch,
             model.final_loss, model.train.r2, o->model_out);
    log_note(&log, "time: read %.3f s, stats+scaling %.3f s, learning rate %.3f s, training "
             "%.3f s (%.3f ms/epoch), total %.3f s",
             t.read, t.stats, t.lr, t.train, st.epoch ? 1e3 * t.train / (double)st.epoch : 0.0,
             comm_wtime() - t_start);
done:
    log_close(&log, o->log_path, &(struct lr_error){0});
    gd_state_free(&st);
    dataset_free(&ds);
    free(s);
    free(mean);
    free(scale);
    free(coef);
    return rc_code;
}
