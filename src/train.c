/* train.c — the training run, from options to model file; see train.h. */
#include "train.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>

#include "atomic_file.h"
#include "checkpoint.h"
#include "comm.h"
#include "cv.h"
#include "dataset.h"
#include "exact.h"
#include "formula_data.h"
#include "gd.h"
#include "hash.h"
#include "diagnostics.h"
#include "inference.h"
#include "robust.h"
#include "log.h"
#include "metrics.h"
#include "model_io.h"
#include "par.h"
#include "precond.h"
#include "prox.h"
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

/* Everything one training run holds, phase by phase (train_run lists the phases). */
struct run {
    const struct options *o;
    struct options opt;        /* *o, with a formula's intercept (o points here) */
    struct formula_data formula;  /* --formula */
    struct formula_data test_formula;  /* the same on the --test rows */
    double t_start, t_train;
    double t[PH_COUNT];        /* seconds per phase on this rank (report.h) */
    struct train_log log;
    struct ckpt resume;        /* --resume's checkpoint */
    struct ckpt ck;            /* options, fingerprint and scaling; the state at write time */
    int ckpt_failed;           /* rank 0: a checkpoint write failed (ckpt_err) */
    struct lr_error ckpt_err;
    struct dataset ds, test;
    char **shown;              /* ds's feature names as the output shows them (shown_names) */
    int n_shown;
    struct dataset val;        /* --validation-split's rows, held out of ds */
    struct col_stats *s, ys;   /* D feature columns, and the target */
    double *mean, *scale;      /* D: the scaling applied (0 and 1 without scaling) */
    struct gd_params gp;       /* the solver, resolved, and its settings */
    struct gd_state st;
    int64_t zero_epoch;        /* the first epoch whose loss was zero (0: none) */
    int64_t resumed_epoch;     /* the checkpoint's epoch with --resume (0: none): the times
                                  cover the epochs after it */
    struct gd_certificate cert;  /* NaNs when not computed */
    struct exact_fit xf;       /* the exact solver's factor (or --inference's) */
    struct cv_result cv;       /* --cv: the cross-validated path and the choice */
    unsigned char *aliased;    /* D: features the exact solver aliased (NULL: none) */
    struct inference inf;      /* inf.terms NULL: no inference table */
    struct diagnostics dg;     /* --diagnostics; dg.vif NULL: none */
    double *coef, intercept;   /* the model in original units */
    double *scaled;            /* D+1: the same on the scaled features (b_s, w_s) */
    struct metrics train_m, val_m, test_m;
    struct model model;
    double huber_loss;         /* --loss huber: J at the final weights and σ */
    int pc_kind;               /* enum precond_kind in use (gradient solvers) */
    const char *pc_why;        /* why column scaling when sample was asked; NULL */
    struct precond pc;         /* with PRECOND_SAMPLE: P (precond.h) */
    double t_precond;          /* seconds building it */
    double peak_rss;           /* the largest rank's peak memory, bytes */
    struct lr_error rows_err;  /* stream mode: a block the solver could not read */
    int rows_failed;           /* ... since when gd_problem.rows_failed stops the solver */
    struct col_stats train_y;  /* pass_metrics: y's statistics over the training rows, */
    double train_obs;          /* ... the rows of weight > 0 (all without weights), */
    double train_sum_log_w;    /* ... and Σ log ω over them (with --weights) */
    struct exact_stream xs;    /* the exact solver's factor, made in pass_stats ... */
    int xs_live;               /* ... while xs is begun and not yet ended */
    double *shift, *ones;      /* D: its design's shift (the mean of this rank's first rows)
                                  and scale (1) */
    double *center, *center_raw;  /* D: the columns' means in the units of X as the solver
                                  has it, and as read: where metrics form their errors */
    int fit_sums;              /* the exact solver's last pass gave the metrics' sums: */
    double fit_sum[3];         /* ... this rank's (exact.h, exact_refiner's metrics) */
    const char **pc_names;     /* the model's words for its fallbacks */
    char pc_note[200];         /* why the sample's factor was not used */
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
    if (!r->zero_epoch && info->loss <= GD_EXACT_FIT * s->first_loss) {
        r->zero_epoch = info->epoch;
        if (s->stop == GD_RUNNING && s->epoch < o->epochs)
            log_note(&r->log, "the loss reached zero (an exact fit) at epoch %lld; --tol 0 runs "
                     "on to --epochs %lld", (long long)info->epoch, (long long)o->epochs);
    }
    /* the last epoch's checkpoint is written after training, whatever ended it */
    int last = s->stop != GD_RUNNING || s->stopped || s->epoch >= o->epochs;
    if (o->checkpoint && comm_rank() == 0 && !r->ckpt_failed && !last &&
        s->epoch % o->checkpoint_every == 0 && write_checkpoint(r, s, &r->ckpt_err) < 0) {
        r->ckpt_failed = 1;
        g_stop = 1;  /* every rank stops after the next epoch; the error is agreed then */
    }
}

/* Collective: --validation-split's rows held out of the training rows into v
   (dataset_split: the same rows whatever the rank and thread counts), and a split that
   leaves either part without rows or weight refused. */
static int split_validation(struct dataset *ds, double fraction, uint64_t seed,
                            struct dataset *v, struct lr_error *e)
{
    if (dataset_split(ds, fraction, seed, v, e) < 0)
        return -1;
    if (v->n_rows_total > 0 && ds->n_rows_total > 0 &&
        (ds->weight_total == 0 || v->weight_total == 0))
        return lr_fail(e, LR_EDATA, "--validation-split %g leaves the %s rows with weights "
                       "that are all zero", fraction,
                       ds->weight_total == 0 ? "training" : "validation");
    if (v->n_rows_total == 0 || ds->n_rows_total == 0)
        return lr_fail(e, LR_EUSAGE, "--validation-split %g leaves %s rows (%lld in all)", fraction,
                          v->n_rows_total == 0 ? "no validation" : "no training",
                          (long long)(ds->n_rows_total + v->n_rows_total));
    return 0;
}

/* Statistics that overflowed (values near the double range): no scaling or model can be
   built from them. -1 with LR_EDATA naming the column. */
static int check_finite_stats(const struct dataset *ds, const struct col_stats *s,
                              const struct col_stats *ys, const char *path, struct lr_error *e)
{
    for (int j = 0; j <= ds->n_features; j++) {
        const struct col_stats *c = j < ds->n_features ? &s[j] : ys;
        const char *name = j < ds->n_features ? ds->feature_names[j] : ds->target_name;
        if (!isfinite(c->mean) || !isfinite(stats_std(c)))
            return lr_fail_at(e, LR_EDATA, path, 0, 0,
                              "column '%s': its values are too large to average or square in "
                              "double precision (mean %g, std %g); rescale the column",
                              lr_shown(name).s, c->mean, stats_std(c));
    }
    return 0;
}

/* Scaling from the merged column statistics: constant columns keep std 1 (and a warning),
   so they stay centred at zero and their coefficient stays 0. */
static void choose_scaling(const struct dataset *ds, const struct col_stats *s, int enabled,
                           int intercept, double *mean, double *scale, const struct train_log *log)
{
    for (int j = 0; j < ds->n_features; j++) {
        double sd = stats_std(&s[j]);
        /* without an intercept, centring would add one: divide by the root mean square */
        double spread = intercept ? sd : sqrt(sd * sd + s[j].mean * s[j].mean);
        mean[j] = enabled && intercept ? s[j].mean : 0.0;
        scale[j] = enabled && spread > 0 ? spread : 1.0;
        if (sd == 0 && intercept)
            log_warn(log, "column '%s' is constant (%.17g); its coefficient will be 0",
                     ds->feature_names[j], s[j].mean);
    }
}

/* The feature names as the output shows them: control bytes escaped as describe shows
   them ('x\x0ay'), so that a level holding a newline or a carriage return (inside quotes)
   does not break a line. The model file keeps the names as read. */
static char **shown_names(const struct dataset *ds)
{
    char **shown = lr_malloc(((size_t)ds->n_features + 1) * sizeof *shown);
    for (int j = 0; j < ds->n_features; j++) {
        size_t n = strlen(ds->feature_names[j]), cap = 4 * n + 9;  /* each byte: \xHH */
        shown[j] = lr_malloc(cap);
        lr_escape(shown[j], cap, ds->feature_names[j], n);
    }
    return shown;
}

static void log_stats(const struct train_log *log, const struct dataset *ds,
                      char *const *names, const struct col_stats *s, const struct col_stats *ys)
{
    log_note(log, "%lld rows, %d feature%s, target '%s'", (long long)ds->n_rows_total,
             ds->n_features, ds->n_features == 1 ? "" : "s", lr_shown(ds->target_name).s);
    for (int j = 0; j < ds->n_features; j++)
        log_note(log, "  %-20s mean %-14.8g std %-14.8g min %-14.8g max %.8g",
                 names[j], s[j].mean, stats_std(&s[j]), s[j].min, s[j].max);
    log_note(log, "  %-20s mean %-14.8g std %-14.8g min %-14.8g max %.8g (target)",
             lr_shown(ds->target_name).s, ys->mean, stats_std(ys), ys->min, ys->max);
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
static void fingerprint(struct dataset *ds, struct ckpt_fingerprint *fp, struct lr_error *e)
{
    int d = ds->n_features;
    fp->rows = ds->n_rows_total;
    fp->d = d;
    fp->names = lr_malloc((size_t)(d + 1) * sizeof(char *));
    fp->names[0] = lr_strdup(ds->target_name);
    for (int j = 0; j < d; j++)
        fp->names[j + 1] = lr_strdup(ds->feature_names[j]);
    fp->digest = lr_calloc((size_t)d + 2, sizeof(uint64_t));
    uint64_t *part = lr_malloc((size_t)(d + 2) * sizeof *part);
    int64_t first_row = comm_exscan_i64(ds->n_rows);
    struct row_block b;
    dataset_rewind(ds);
    while (dataset_next(ds, &b, e) > 0) {  /* sums of 64-bit words: any blocks, any order */
        ckpt_digest_local(b.X, b.y, b.n, d, first_row, part);
        for (int j = 0; j <= d; j++)
            fp->digest[j] += part[j];
        fp->digest[d + 1] += part[d + 1];
        for (int64_t i = 0; b.w && i < b.n; i++) {  /* the weights belong to the rows */
            uint64_t bits;
            memcpy(&bits, &b.w[i], sizeof bits);
            fp->digest[d + 1] += mix64(bits ^ mix64(~(uint64_t)(first_row + i)));
        }
        first_row += b.n;
    }
    free(part);
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

/* Collective. R's write.csv writes the row names, and pandas' to_csv its index, as a first
   column with an empty header field: the data layer leaves such a column out (drop_index),
   and this says so. Other made-up names (an empty header field elsewhere) whose values are
   exactly the row numbers (0..N-1 or 1..N) are most likely an index too: a warning. */
static void warn_index_columns(struct run *r)
{
    struct dataset *ds = &r->ds;
    if (ds->index_dropped)
        log_warn(&r->log, "column 1 has no name in the header, like the row names R's write.csv "
                 "writes or the index pandas' to_csv writes: left out, not a feature. Write "
                 "the CSV with row.names = FALSE (R) or index=False (pandas), or say --drop col1 "
                 "to leave it out without this warning; to fit it, name it in the header or "
                 "in --features");
    int d = ds->n_features, n = 0, *col = lr_malloc((size_t)(d ? d : 1) * sizeof *col), k;
    char rest;
    for (int j = 0; j < d; j++)  /* only names made up for an empty header field */
        if (!r->o->no_header && sscanf(ds->feature_names[j], "col%d%c", &k, &rest) == 1)
            col[n++] = j;
    if (n == 0) {
        free(col);
        return;
    }
    /* per column, the rows that are not 0-based and not 1-based row numbers: one pass */
    double *off = lr_calloc(2 * (size_t)n, sizeof *off);
    int64_t at = comm_exscan_i64(ds->n_rows);
    struct row_block b;
    struct lr_error e = {0};
    dataset_rewind(ds);
    while (dataset_next(ds, &b, &e) > 0)
        for (int64_t i = 0; i < b.n; i++, at++)
            for (int c = 0; c < n; c++) {
                double v = b.X[i * d + col[c]];
                off[2 * c] += v != (double)at;
                off[2 * c + 1] += v != (double)(at + 1);
            }
    for (int c = 0; e.code != LR_OK && c < 2 * n; c++)
        off[c] += 1;  /* rows unread: no warning */
    comm_sum(off, 2 * n);
    for (int c = 0; c < n; c++) {
        const char *name = ds->feature_names[col[c]];
        sscanf(name, "col%d", &k);
        if (ds->n_rows_total > 1 && (off[2 * c] == 0 || off[2 * c + 1] == 0))
            log_warn(&r->log, "column %d has no name in the header and holds the row numbers "
                     "%d..%lld, like the row names R's write.csv or the index pandas' to_csv "
                     "writes; it is trained on as feature '%s': leave it out with --drop %s "
                     "(or write the CSV with row.names = FALSE in R, index=False in pandas)", k,
                     off[2 * c] == 0 ? 0 : 1, (long long)ds->n_rows_total - (off[2 * c] == 0),
                     name, name);
    }
    free(off);
    free(col);
}

/* Phase 1, collective: the outputs can be written, --resume is read, the log is open. */
static int prepare_outputs(struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    int rc;
    /* Outputs first: a run must not train for hours and then find it cannot save. */
    if (comm_rank() == 0 && atomic_check_dir(o->model_out, "model", e) == 0 &&
        (!o->report || atomic_check_dir(o->report, "report", e) == 0) &&
        (!o->diagnostics_sample ||
         atomic_check_dir(o->diagnostics_sample, "diagnostics sample", e) == 0) && o->checkpoint &&
        atomic_check_dir(o->checkpoint, "checkpoint", e) == 0)
        atomic_clean_stale(o->checkpoint);  /* left by a crash mid-write */
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (o->resume && load_resume(o->resume, &r->resume, e) < 0)
        return e->code;
    log_open(&r->log, comm_rank(), o->log_path, o->quiet, o->log_every, o->epochs,
             o->resume ? r->resume.state.epoch : 0,
             o->validation_split > 0 && o->solver != SOLVER_EXACT, e);  /* exact: at the end */
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (o->checkpoint)
        catch_stop_signals();
    return LR_OK;
}

/* "--test FILE", or "--test FILE (+2 more)" for several: how messages name the test set */
static void test_label(const struct options *o, char *buf, size_t cap)
{
    int more = o->n_tests - 1;
    snprintf(buf, cap, more > 0 ? "--test %s (+%d more)" : "--test %s", o->test, more);
}

/* Phase 2, collective: the training rows (and their fingerprint), the validation rows held
   out of them, and the --test rows. */
static int load_data(struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    struct data_options dopt;
    data_options_for(o, DATA_TRAIN, NULL, &dopt);
    r->formula.text = o->formula;
    dopt.formula = o->formula ? &r->formula : NULL;
    double t0 = comm_wtime();
    if (dataset_load(&dopt, &r->ds, e) < 0)
        return e->code;
    if (o->formula && !r->formula.f->intercept) {  /* - 1: the run has no intercept */
        if (o->diagnostics)
            return lr_fail(e, LR_EUSAGE, "--diagnostics: the checks are those of a fit with "
                           "an intercept; drop '- 1' from --formula or --diagnostics");
        r->opt.no_intercept = 1;
    }
    if (comm_rank() == 0 && !o->quiet)
        dataset_print_skipped(&r->ds, NULL, stderr), dataset_print_encoding(&r->ds, NULL, stderr);
    warn_index_columns(r);
    if (o->checkpoint || o->resume) {  /* of all the rows, before any are held out */
        fingerprint(&r->ds, &r->ck.fp, e);
        if (comm_agree(e) != LR_OK)
            return e->code;
    }
    if (o->validation_split > 0 &&
        split_validation(&r->ds, o->validation_split, o->seed, &r->val, e) < 0)
        return e->code;  /* from totals: the same on every rank */
    if (o->test) {  /* read now: a bad test file must not wait for the end of training */
        struct data_options topt;  /* the training data's columns and levels */
        struct data_model train = {.enc = &r->ds.enc, .target = r->ds.target_name,
                                   .offset = o->offset};
        data_options_for(o, DATA_TEST, &train, &topt);
        if (o->formula) {  /* the training formula, its levels and design */
            fdata_borrow(&r->formula, &r->test_formula);
            topt.formula = &r->test_formula;
        }
        if (dataset_load(&topt, &r->test, e) < 0)
            return e->code;
        if (comm_rank() == 0 && !o->quiet) {
            char label[300];
            test_label(o, label, sizeof label);
            dataset_print_skipped(&r->test, label, stderr);  /* levels: test_metrics */
        }
    }
    r->t[PH_READ] = comm_wtime() - t0;
    return LR_OK;
}

/* --missing mean: each numeric feature's missing values become its mean over the present
   values of the training rows of all ranks (the scaling statistics s), recorded in the
   encoding for predict and applied to the validation and --test rows too. Filling with the
   mean leaves mean and M2 as they are; the count becomes the row count. */
static int fill_missing(struct run *r, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    int d = ds->n_features, *src = enc_numeric_sources(&ds->enc);
    double *fill = lr_malloc((size_t)d * sizeof *fill);
    for (int j = 0; j < d; j++) {
        fill[j] = NAN;
        if (src[j] < 0)
            continue;
        struct enc_column *c = &ds->enc.cols[src[j]];
        if (r->s[j].count == 0) {
            lr_fail_at(e, LR_EDATA, r->o->path, 0, 0, "column '%s': every value is missing, so "
                       "--missing mean has no mean to fill in; leave it out with --drop %s",
                       lr_shown(c->name).s, lr_shown(c->name).s);
            break;
        }
        c->has_fill = 1;
        c->fill = fill[j] = r->s[j].mean;
        if (c->n_missing > 0)
            log_note(&r->log, "column '%s': %lld missing value%s filled with its training mean "
                     "%.17g", c->name, (long long)c->n_missing, c->n_missing == 1 ? "" : "s",
                     c->fill);
        r->s[j].count = ds->n_rows_total;  /* filled with the mean: M2 is unchanged */
        r->s[j].weight = ds->weight_total;
    }
    if (e->code == LR_OK) {
        dataset_fill(ds, fill, r->o->n_threads);
        dataset_fill(&r->val, fill, r->o->n_threads);
        if (r->o->test)
            dataset_fill(&r->test, fill, r->o->n_threads);
    }
    free(src);
    free(fill);
    return e->code == LR_OK ? 0 : -1;  /* from merged statistics: the same on every rank */
}

/* The gradient solvers' preconditioner (precond.h): --precondition, unless the objective
   needs column scaling (*why says which option). */
static int choose_precondition(const struct options *o, int d, const char **why)
{
    *why = o->precondition == PRECOND_SCALE ? NULL
           : o->l1 > 0 ? "--l1: the proximal step's proof needs a separable metric"
           : o->huber ? "--loss huber: the scale's step needs a separable metric"
           : d + 1 > PRECOND_MAX_COLUMNS ? "more than 1023 features"
           : NULL;
    return o->precondition == PRECOND_SCALE || *why ? PRECOND_SCALE : PRECOND_SAMPLE;
}

/* A pass over ds's rows block by block (dataset_next), in the solver's units; a block that
   cannot be read ends the pass, its error kept for fit_gd. */
static void each_block(struct run *r, struct dataset *ds, gd_block_fn fn, void *arg)
{
    struct row_block b;
    dataset_rewind(ds);
    while (dataset_next(ds, &b, &r->rows_err) > 0)
        fn(arg, b.X, b.y, b.w, b.n);
    if (r->rows_err.code != LR_OK)
        r->rows_failed = 1;  /* every rank stops before using this epoch's sums; fit_gd
                                agrees on the error */
}

/* gd_problem.rows and val_rows in stream mode: the training and the validation rows. */
static void train_rows(void *ctx, gd_block_fn fn, void *arg)
{
    each_block(ctx, &((struct run *)ctx)->ds, fn, arg);
}
static void val_rows(void *ctx, gd_block_fn fn, void *arg)
{
    each_block(ctx, &((struct run *)ctx)->val, fn, arg);
}

/* Whether the exact solver's factor is made in the statistics' pass, before the scaling is
   known (exact.h, exact_stream_end_rescaled): not for --cv (its folds' factors) nor
   --missing mean (which changes the rows after the statistics). */
static int factor_with_stats(const struct run *r)
{
    const struct options *o = r->o;
    return o->solver == SOLVER_EXACT && !o->cv && o->missing != MISSING_MEAN;
}

/* pass_stats's factor, unscaled and shifted by the mean of this rank's first rows (up to
   PAR_CHUNK_ROWS of the n in X, whatever the threads: the same bits for any team), an
   estimate of the column's mean that keeps the parts' rounding near that of the scaled
   design (0 without an intercept or with --no-scale: that design is not centred). With
   --weights, the weighted mean of those rows: the rows of weight 0, which the fit ignores,
   could otherwise move the shift far from the weighted mean it is checked against
   (exact_stream_end_rescaled), and cost a pass to factor again. */
static void begin_factor(struct run *r, const double *X, const double *w, int64_t n)
{
    const struct options *o = r->o;
    struct dataset *ds = &r->ds;
    int d = ds->n_features;
    r->shift = lr_malloc((size_t)(d ? d : 1) * sizeof *r->shift);
    r->ones = lr_malloc((size_t)(d ? d : 1) * sizeof *r->ones);
    stats_first_mean(X, w, n, d, r->shift);
    for (int j = 0; j < d; j++) {
        if (o->no_intercept || o->no_scale)
            r->shift[j] = 0.0;
        r->ones[j] = 1.0;
    }
    struct exact_problem pb = {
        .mean = r->shift, .scale = r->ones, .n_local = ds->n_rows,
        .n_total = ds->n_rows_total, .d = d, .intercept = !o->no_intercept, .l2 = o->l2,
        .n_threads = o->n_threads,
    };
    exact_stream_begin(&r->xs, &pb);
    r->xs_live = 1;
}

/* Collective: the column statistics of the training rows (r->s) and of y (r->ys), in one
   pass over them (weighted: ds->w); for the exact solver, its factor too (factor_with_stats),
   each few parts' rows factored just after their statistics, while they are in cache (the
   parts' statistics are added in the same order whatever the pieces: the same bits). */
static int pass_stats(struct run *r, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    int d = ds->n_features, t = r->o->n_threads, fused = factor_with_stats(r);
    struct row_block b;
    stats_init(r->s, d);
    stats_init(&r->ys, 1);
    dataset_rewind(ds);
    while (dataset_next(ds, &b, e) > 0) {
        if (fused && !r->xs_live)
            begin_factor(r, b.X, b.w, b.n);
        int64_t step = fused ? (int64_t)PAR_CHUNK_ROWS * t : b.n;
        for (int64_t a = 0; a < b.n; a += step) {
            int64_t n = b.n - a < step ? b.n - a : step;
            const double *w = b.w ? b.w + a : NULL;
            stats_add(b.X + a * d, w, n, d, t, r->s);
            stats_add(b.y + a, w, n, 1, t, &r->ys);
            if (fused)
                exact_stream_add(&r->xs, b.X + a * d, b.y + a, w, n);
        }
    }
    if (fused && !r->xs_live && e->code == LR_OK)
        begin_factor(r, NULL, NULL, 0);  /* a rank without rows */
    stats_finish(r->s, d);
    stats_finish(&r->ys, 1);
    return comm_agree(e);
}

/* The centres of the metrics' errors (metrics.h): the training rows' column means, the same
   on every rank, in original units (for --test) and in those of X as the solver sees it
   (scaled in place for the gradient solvers with scaling on). 0 where a mean is not
   finite. */
static void choose_centers(struct run *r)
{
    int d = r->ds.n_features, scaled = !r->o->no_scale && r->gp.solver != SOLVER_EXACT;
    r->center = lr_malloc((size_t)(d ? d : 1) * sizeof *r->center);
    r->center_raw = lr_malloc((size_t)(d ? d : 1) * sizeof *r->center_raw);
    for (int j = 0; j < d; j++) {
        double m = isfinite(r->s[j].mean) ? r->s[j].mean : 0.0;
        double c = scaled ? (m - r->mean[j]) / r->scale[j] : m;
        r->center_raw[j] = m;
        r->center[j] = isfinite(c) ? c : 0.0;
    }
}

/* Phase 3, collective: column statistics, the scaling (or the checkpoint's), the solver's
   settings, and the rows standardised in place. */
static int scale_data(struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    struct dataset *ds = &r->ds;
    int d = ds->n_features, rc;
    double t0 = comm_wtime();
    r->s = lr_malloc((size_t)d * sizeof *r->s);
    r->mean = lr_malloc((size_t)d * sizeof *r->mean);
    r->scale = lr_malloc((size_t)d * sizeof *r->scale);
    if ((rc = pass_stats(r, e)) != LR_OK)
        return rc;
    if (o->missing == MISSING_MEAN && fill_missing(r, e) < 0)
        return e->code;
    r->shown = shown_names(ds);
    r->n_shown = ds->n_features;
    log_stats(&r->log, ds, r->shown, r->s, &r->ys);
    if (check_finite_stats(ds, r->s, &r->ys, o->path, e) < 0)
        return e->code;  /* from merged statistics: the same on every rank */
    choose_scaling(ds, r->s, !o->no_scale, !o->no_intercept, r->mean, r->scale, &r->log);
    r->gp = (struct gd_params){
        .solver = solver_resolve(o->solver, o->lr), .lr = o->lr, .max_epochs = o->epochs,
        .tol_auto = o->tol < 0, .tol = o->tol, .l2 = o->l2, .patience = o->patience,
        .l1 = o->l1, .huber = o->huber, .huber_delta = o->huber ? o->huber_delta : 0,
    };
    r->pc_kind = choose_precondition(o, d, &r->pc_why);
    r->ck.opt = (struct ckpt_options){
        .solver = r->gp.solver, .scaling = !o->no_scale, .intercept = !o->no_intercept,
        .tol_auto = r->gp.tol_auto, .lr_option = o->lr, .tol = r->gp.tol_auto ? 0 : o->tol,
        .l2 = o->l2, .validation_split = o->validation_split, .seed = o->seed,
        .patience = o->patience, .l1 = o->l1, .huber = o->huber,
        .huber_delta = r->gp.huber_delta, .weights = o->weights ? o->weights : "",
        .offset = o->offset ? o->offset : "", .precondition = r->pc_kind,
        .precondition_rows = o->precondition_rows,
    };
    if (o->resume) {
        /* continue in the checkpoint's coordinates: its scaling, state and step */
        ckpt_check(&r->resume, &r->ck.fp, &r->ck.opt, o->resume, e);
        if ((rc = comm_agree(e)) != LR_OK)
            return rc;
        memcpy(r->mean, r->resume.mean, (size_t)d * sizeof *r->mean);
        memcpy(r->scale, r->resume.scale, (size_t)d * sizeof *r->scale);
        r->st = r->resume.state;
        r->resumed_epoch = r->st.epoch;
        memset(&r->resume.state, 0, sizeof r->resume.state);
        log_note(&r->log, "resuming from %s after epoch %lld", o->resume,
                 (long long)r->st.epoch);
        if (r->st.epoch >= o->epochs)
            log_warn(&r->log, "the checkpoint is past --epochs %lld: no epoch left "
                     "to run", (long long)o->epochs);
    }
    r->ck.mean = r->mean;
    r->ck.scale = r->scale;
    if (r->gp.solver != SOLVER_EXACT && r->pc_kind == PRECOND_SAMPLE) {
        if (o->resume) {  /* the run's own P, from its checkpoint */
            r->pc = r->resume.pc;
            memset(&r->resume.pc, 0, sizeof r->resume.pc);
        } else {  /* from the rows as read, before they are scaled (precond.h) */
            double t1 = comm_wtime();
            struct gd_problem raw = {
                .X = ds->X, .y = ds->y, .n_local = ds->n_rows, .n_total = ds->n_rows_total,
                .d = d, .n_threads = o->n_threads, .intercept = !o->no_intercept, .w = ds->w,
                .w_total = ds->weight_total, .rows = ds->stream ? train_rows : NULL,
                .rows_ctx = r, .weighted = o->weights != NULL,
            };
            int64_t rows = precond_default_rows(o->precondition_rows, d + 1, ds->n_rows_total);
            precond_sample(&raw, r->s, r->mean, r->scale, o->l2, rows, o->seed, &r->pc);
            r->t_precond = comm_wtime() - t1;
            if (!precond_worth_it(&r->pc)) {  /* from rank 0's numbers: every rank agrees */
                snprintf(r->pc_note, sizeof r->pc_note, "a sample of %lld rows finds the scaled "
                         "design well conditioned: condition number about %.3g, where sampling "
                         "alone adds %.3g", (long long)r->pc.rows, sqrt(r->pc.sample_kappa2),
                         sqrt(r->pc.noise_kappa2));
                precond_free(&r->pc);
            }
        }
    }
    choose_centers(r);
    if (!o->no_scale && r->gp.solver != SOLVER_EXACT) {  /* exact.h scales on the fly */
        dataset_scale(ds, r->mean, r->scale, o->n_threads);
        dataset_scale(&r->val, r->mean, r->scale, o->n_threads);
    }
    r->t[PH_STATS] = comm_wtime() - t0 - r->t_precond;
    r->t[PH_LR] = r->t_precond;  /* the step's phase: the preconditioner, then the rate */
    return LR_OK;
}

/* Collective, after a stopping rule (the gradient, the stall, --tol X): "converged" only
   when the certificate (gd.h) bounds the scaled weights' relative error by
   GD_CERTIFY_BOUND; a stop short of it is reported as stalled, and the warning says how far
   the gradient fell and what the condition number allows. */
static void certify(struct run *r, const struct gd_problem *pb)
{
    struct gd_certificate *c = &r->cert;
    int prox = prox_needed(pb, &r->gp);
    int known = prox ? prox_certify(pb, &r->gp, &r->st, c) == 0
                     : gd_certify(pb, r->o->l2, r->st.theta, r->st.first_grad_norm, c) == 0;
    if (known)
        r->st.stop = c->bound <= (prox ? prox_certify_limit(&r->gp) : GD_CERTIFY_BOUND)
                         ? GD_CONVERGED : GD_STALLED;
    if (r->st.stop != GD_STALLED)
        return;
    if (r->gp.huber) {  /* prox.h: a residual test, no distance bound */
        log_warn(&r->log, "training stopped after epoch %lld with the proximal-gradient "
                 "residual at %.2g of its start; converged needs %g: reported as stalled",
                 (long long)r->st.epoch, c->grad_reduction, PROX_HUBER_RESIDUAL);
        return;
    }
    char cond[160] = "not estimated (more than 200 features)";
    if (known && isfinite(c->kappa))
        snprintf(cond, sizeof cond, "about %.2g, which bounds the scaled weights' error only "
                 "by %.2g of their norm", c->kappa, c->bound);
    else if (known)
        snprintf(cond, sizeof cond, "infinite: the columns are linearly dependent");
    double reduction = known ? c->grad_reduction : r->st.best_grad_norm / r->st.first_grad_norm;
    if (!r->gp.tol_auto) {  /* the user's tolerance stopped it short of a proof */
        log_warn(&r->log, "--tol %g stopped training after epoch %lld with the gradient "
                 "at %.2g of its start, before the weights could be proven within 1e-8 of the "
                 "least-squares solution (condition number %s): reported as stalled, not "
                 "converged; --tol auto goes on to rounding level", r->o->tol,
                 (long long)r->st.epoch, reduction, cond);
        return;
    }
    log_warn(&r->log, "training stalled after epoch %lld with the gradient at %.2g of "
             "its start: this is not convergence. The scaled design's condition number is %s; "
             "predictions and R^2 are reliable, single coefficients may not be. Drop "
             "near-duplicate columns, add --l2, or use --solver exact", (long long)r->st.epoch,
             reduction, cond);
}

/* Phase 4 for the gradient solvers, collective: the learning rate, the epochs, the last
   checkpoint; early stopping's best weights. */
static int fit_gd(struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    struct dataset *ds = &r->ds;
    int d = ds->n_features, rc;
    struct gd_problem pb = {
        .X = ds->X, .y = ds->y, .n_local = ds->n_rows, .n_total = ds->n_rows_total, .d = d,
        .n_threads = o->n_threads, .stop = &g_stop, .rows_failed = &r->rows_failed,
        .Xv = r->val.X, .yv = r->val.y, .nv_local = r->val.n_rows, .nv_total = r->val.n_rows_total,
        .intercept = !o->no_intercept,
        .w = ds->w, .wv = r->val.w, .w_total = ds->weight_total, .wv_total = r->val.weight_total, .pc = NULL,
        .rows = ds->stream ? train_rows : NULL, .val_rows = r->val.stream ? val_rows : NULL,
        .rows_ctx = r, .weighted = o->weights != NULL,
    };
    int prox = prox_needed(&pb, &r->gp);
    if (r->pc.P) {
        r->ck.pc = r->pc;  /* borrowed */
        pb.pc = &r->pc;
        r->gp.preconditioned = 1;
        log_note(&r->log, "preconditioner: R factor of a sample of %lld rows (--seed %llu)%s, "
                 "%.3f s, digest %016llx", (long long)r->pc.rows, (unsigned long long)o->seed,
                 o->resume ? ", from the checkpoint" : "", r->t_precond,
                 (unsigned long long)r->pc.digest);
        for (int k = 0; k < r->pc.n_fallback; k++) {
            int j = r->pc.fallback[k];
            log_note(&r->log, "preconditioner: %s '%s' keeps column scaling (%s)",
                     j == 0 ? "the" : "column", j == 0 ? "intercept" : ds->feature_names[j - 1],
                     precond_fallback_name(r->pc.why[k]));
        }
    } else {
        r->pc_why = r->pc_why ? r->pc_why : r->pc_note[0] ? r->pc_note
                    : r->pc_kind == PRECOND_SAMPLE ? "as the checkpoint's run"
                    : "--precondition scale";
        log_note(&r->log, "preconditioner: column scaling (%s)", r->pc_why);
    }
    if (!o->resume) {
        gd_state_init(&r->st, d);
        double t0 = comm_wtime();
        r->st.lr = o->lr > 0 ? o->lr : prox ? prox_auto_lr(&pb, &r->gp) : gd_auto_lr(&pb, o->l2);
        if (r->gp.huber)  /* σ starts at the weighted spread of y */
            r->st.sigma = r->st.sigma_look = r->st.first_sigma = prox_sigma0(&pb);
        r->t[PH_LR] += comm_wtime() - t0;
    }
    log_note(&r->log, "learning rate %.6g (%s), solver %s", r->st.lr,
             o->lr > 0 ? "--lr" : "auto", solver_name(r->gp.solver));
    r->t_train = comm_wtime();
    (prox ? prox_run : gd_run)(&pb, &r->gp, &r->st, on_epoch, r, e);  /* prox.h, gd.h */
    r->t_train = comm_wtime() - r->t_train;
    if (r->ckpt_failed)
        *e = r->ckpt_err;
    else if (r->rows_err.code != LR_OK)
        *e = r->rows_err;
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (o->checkpoint && comm_rank() == 0)
        write_checkpoint(r, &r->st, e);
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    if (r->st.stopped) {
        stopped_error(o, r->st.epoch, e);
        return LR_ESTOPPED;
    }
    if (o->patience > 0)  /* early stopping keeps the weights validation liked best */
        memcpy(r->st.theta, r->st.best_theta, (size_t)(d + 1) * sizeof *r->st.theta);
    r->cert = (struct gd_certificate){.grad_reduction = NAN, .kappa = NAN, .bound = NAN,
                                      .kappa_z = NAN};
    if (r->st.stop == GD_CONVERGED || r->st.stop == GD_STALLED)
        certify(r, &pb);
    if (r->gp.huber)
        r->huber_loss = prox_objective(&pb, &r->gp, r->st.theta, r->st.sigma);
    *e = r->rows_err;  /* a block those passes could not read */
    return comm_agree(e);
}

/* The exact solver's view of the training rows: raw X and the scaling for the exact
   solver, X already scaled for the gradient solvers (whose --inference builds a factor). */
static struct exact_problem exact_problem_of(const struct run *r)
{
    const struct dataset *ds = &r->ds;
    int raw = r->gp.solver == SOLVER_EXACT;
    return (struct exact_problem){
        .X = ds->X, .mean = raw ? r->mean : NULL, .scale = raw ? r->scale : NULL, .y = ds->y,
        .n_local = ds->n_rows, .n_total = ds->n_rows_total, .d = ds->n_features,
        .intercept = !r->o->no_intercept, .l2 = r->o->l2, .n_threads = r->o->n_threads,
        .w = ds->w, .ridge = NULL, .center = r->center,
    };
}

/* A refinement pass is logged like an epoch (loss = J there), and noted with its step. */
static void on_pass(const struct exact_pass *p, void *ctx)
{
    struct run *r = ctx;
    struct gd_epoch_info info = {
        .epoch = p->pass, .loss = p->rss / (2 * r->ds.weight_total), .grad_norm = p->grad_norm,
        .lr = NAN, .seconds = p->seconds, .compute_seconds = p->seconds - p->allreduce_seconds,
        .allreduce_seconds = p->allreduce_seconds, .val_loss = NAN,
    };
    r->t[PH_ALLREDUCE] += p->allreduce_seconds;
    log_epoch(&r->log, &info);
    log_note(&r->log, "refinement pass %d: step %.3g of the weights, residual sum of squares%s "
             "%.17g", p->pass, p->step, r->o->l2 > 0 ? " + penalty" : "", p->rss);
}

/* Collective: the exact solver's factor of the training rows into r->xf: the one pass_stats
   made, taken to the scaling, or one pass. */
static int pass_factor(struct run *r, const struct exact_problem *pb, struct lr_error *e)
{
    struct exact_stream xs;
    struct row_block b;
    if (r->xs_live) {
        r->xs_live = 0;
        if (exact_stream_end_rescaled(&r->xs, pb->mean, pb->scale, &r->xf) == 0)
            return LR_OK;
        log_note(&r->log, "exact solver: a rank's first rows average more than %g standard "
                 "deviations from a column's mean; the factor is made again, scaled",
                 EXACT_SHIFT_MAX);
    }
    exact_stream_begin(&xs, pb);
    dataset_rewind(&r->ds);
    while (dataset_next(&r->ds, &b, e) > 0)
        exact_stream_add(&xs, b.X, b.y, b.w, b.n);
    int rc = comm_agree(e);
    if (rc != LR_OK)
        exact_stream_free(&xs);
    else
        exact_stream_end(&xs, &r->xf);
    return rc;
}

static int wants_inference(const struct run *r);

/* Collective: r->xf's θ refined, a pass over the training rows each step (exact.h). */
static int pass_refine(struct run *r, const struct exact_problem *pb, struct lr_error *e)
{
    struct exact_refiner rf;
    struct row_block b;
    int rc = LR_OK;
    exact_refine_begin(&rf, pb, &r->xf);
    /* the passes sum the fit's metrics too, for pass_metrics to use when the last pass's θ
       is the final one; but for Σ log ω (weighted inference), which they do not sum */
    rf.metrics = !(r->o->weights && wants_inference(r));
    while (rc == LR_OK && exact_refine_next_pass(&rf)) {
        dataset_rewind(&r->ds);
        while (dataset_next(&r->ds, &b, e) > 0)
            exact_refine_add(&rf, b.X, b.y, b.w, b.n);
        if ((rc = comm_agree(e)) == LR_OK)
            exact_refine_end_pass(&rf, on_pass, r);
    }
    r->fit_sums = rc == LR_OK && rf.final_sums;
    memcpy(r->fit_sum, rf.msums, sizeof r->fit_sum);
    exact_refine_free(&rf);
    return rc;
}

/* Phase 4 for the exact solver, collective: the factor, the aliased columns, refinement. */
static int fit_exact(struct run *r, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    int d = ds->n_features, p = d + (r->o->no_intercept ? 0 : 1);
    if (ds->n_rows_total < p)
        return lr_fail_at(e, LR_EDATA, r->o->path, 0, 0,
                          "%lld rows cannot determine %d coefficients: least squares needs at "
                          "least as many rows as coefficients (drop features with --drop)",
                          (long long)ds->n_rows_total, p), LR_EDATA;
    struct exact_problem pb = exact_problem_of(r);
    double t0 = comm_wtime();
    int rc;
    if ((rc = pass_factor(r, &pb, e)) != LR_OK)
        return rc;
    for (int j = 1; j <= d; j++)
        if (isnan(r->xf.theta[j])) {
            if (!r->aliased)
                r->aliased = lr_calloc((size_t)d, 1);
            r->aliased[j - 1] = 1;
            r->xf.theta[j] = 0;  /* predicts as 0; written as null */
            log_warn(&r->log, "column '%s' is a linear combination of the columns "
                     "before it (or constant): aliased, its coefficient is null", ds->feature_names[j - 1]);
        }
    log_note(&r->log, "exact solver: QR factor of %lld rows x %d columns, rank %d, condition "
             "number of the scaled design %.4g", (long long)ds->n_rows_total, p, r->xf.rank,
             r->xf.kappa);
    if ((rc = pass_refine(r, &pb, e)) != LR_OK)
        return rc;
    r->t_train = comm_wtime() - t0;
    r->t[PH_COMPUTE] = r->t_train - r->t[PH_ALLREDUCE];
    gd_state_init(&r->st, d);
    memcpy(r->st.theta, r->xf.theta, (size_t)(d + 1) * sizeof *r->st.theta);
    r->st.epoch = r->xf.passes;
    r->st.lr = NAN;
    r->cert = (struct gd_certificate){.grad_reduction = NAN, .kappa = r->xf.kappa,
                                      .bound = NAN, .kappa_z = NAN};
    return LR_OK;
}

/* Phase 4 for --cv, collective: the cross-validated penalty path (cv.h), and the chosen
   model in the units of X as the exact solver leaves it. */
static int fit_cv(struct run *r, struct lr_error *e)
{
    int d = r->ds.n_features;
    double t0 = comm_wtime();
    if (cv_train(r->o, &r->ds, r->mean, r->scale, &r->log, &r->cv, e) < 0)
        return e->code;  /* agreed: from merged counts and matrices */
    r->t_train = comm_wtime() - t0;
    r->t[PH_COMPUTE] = r->t_train;
    log_note(&r->log, "cross-validation: %d folds' factors in one pass %.3f s, paths %.3f s",
             r->cv.K, r->cv.pass_seconds, r->cv.path_seconds);
    if (r->cv.unconverged)
        log_warn(&r->log, "--cv: coordinate descent stopped at its sweep limit before "
                 "converging at %d lambda%s of the whole data's paths", r->cv.unconverged,
                 r->cv.unconverged == 1 ? "" : "s");
    gd_state_init(&r->st, d);
    memcpy(r->st.theta, r->cv.theta, (size_t)(d + 1) * sizeof *r->st.theta);
    r->st.lr = NAN;
    return LR_OK;
}

/* Phase 4, collective: the one place a solver is chosen. Leaves the scaled weights in
   r->st.theta and why the solver stopped in r->st.stop. */
static int fit(struct run *r, struct lr_error *e)
{
    if (r->o->cv)
        return fit_cv(r, e);
    switch (r->gp.solver) {
    case SOLVER_GD:
    case SOLVER_NESTEROV:
        return fit_gd(r, e);
    case SOLVER_EXACT:
        return fit_exact(r, e);
    default:
        LR_FATAL("no solver for '%s'", solver_name(r->gp.solver));
    }
}

static const char *stopped_by(const struct run *r)
{
    enum gd_stop stop = r->st.stop;
    return r->gp.solver == SOLVER_EXACT ? "exact" : stop == GD_CONVERGED ? "convergence"
           : stop == GD_STALLED ? "stalled" : stop == GD_EARLY_STOP ? "early_stopping"
           : "epoch_limit";
}

/* Collective: the coefficients' covariance into r->inf, and with --cov other than classical
   the table's standard errors and tests from it (robust.h), on the degrees of freedom
   statsmodels uses: the residual ones for HC, G − 1 for clusters (the fewer, two-way). */
static int infer_covariance(struct run *r, const double *theta_s, int *warned,
                            struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    struct exact_problem pb = exact_problem_of(r);
    struct robust_problem rp = {
        .pb = &pb, .theta_s = theta_s, .mean = r->mean, .scale = r->scale,
        .n_groups = ds->n_groups, .type = r->o->cov,
        .sigma2 = r->inf.residual_std_error * r->inf.residual_std_error,
    };
    struct robust_pass rs;
    struct robust_cov c;
    struct row_block b;
    robust_begin(&rs, &rp, &r->xf);
    if (robust_needs_pass(r->o->cov)) {
        if (r->o->cov == COV_CLUSTER)
            dataset_rewind_keys(&r->ds);  /* the blocks bring the cluster keys */
        else
            dataset_rewind(&r->ds);
        while (dataset_next(&r->ds, &b, e) > 0)
            robust_add(&rs, b.X, b.y, b.w, b.g, b.n);
    }
    int rc = comm_agree(e);  /* robust_end's collectives run on every rank either way */
    robust_end(&rs, &c);
    if (rc != LR_OK) {
        robust_cov_free(&c);
        return rc;
    }
    if (r->o->cov == COV_CLASSICAL) {
        r->inf.cov = c.V;
        return LR_OK;
    }
    int64_t df = r->inf.df_residual;
    if (r->o->cov == COV_CLUSTER) {
        int64_t g = ds->n_groups == 1 || c.clusters[0] < c.clusters[1] ? c.clusters[0]
                                                                       : c.clusters[1];
        df = g - 1;
        if (g < 2) {
            robust_cov_free(&c);
            return lr_fail_at(e, LR_EDATA, r->o->path, 0, 0, "--cov cluster:%s: every row is in "
                              "one cluster%s, and clustered standard errors need at least 2 "
                              "(--cov hc1 allows for unequal variances without clusters)",
                              lr_shown(r->o->cov_columns).s,
                              ds->n_groups == 2 ? " of one of the columns" : ""), LR_EDATA;
        }
        if (c.rank_bound < r->xf.rank)
            log_warn(&r->log, "--cov: %lld clusters for %d coefficients: the cluster-robust "
                     "covariance has rank %d at most, so Wald F tests of more coefficients "
                     "than that are NA, and the standard errors rest on very few clusters",
                     (long long)g, r->xf.rank, c.rank_bound);
    }
    if (c.n_leverage_one > 0 && (*warned = 1))
        log_warn(&r->log, "--cov %s: %lld row%s leverage 1 (fitted exactly, as a level with one "
                 "row is), where %s divides by 1 - h = 0: every standard error and test is NA "
                 "(as R's vcovHC gives them); --cov hc1 needs no leverages",
                 robust_type_name(r->o->cov), (long long)c.n_leverage_one,
                 c.n_leverage_one == 1 ? " has" : "s have", robust_type_name(r->o->cov));
    inference_use_cov(&r->inf, c.V, c.bread, c.rank_bound, robust_type_name(r->o->cov), df,
                      c.clusters, r->o->cov == COV_CLUSTER ? ds->n_groups : 0);
    return LR_OK;
}

/* The tests of whole terms: the encoding's terms (a categorical column's level columns
   together), or each feature alone for rows that came without one. */
static void test_terms(struct run *r)
{
    const struct dataset *ds = &r->ds;
    int d = ds->n_features, n_terms = d;
    int *term_of = lr_malloc((size_t)(d ? d : 1) * sizeof *term_of);
    char **names = NULL;
    if (ds->formula) {
        n_terms = fdata_terms(ds->formula, term_of, &names);
    } else if (ds->enc.n_cols > 0 && enc_width(&ds->enc) == d) {
        n_terms = enc_terms(&ds->enc, term_of, &names);
    } else {
        names = lr_malloc((size_t)(d ? d : 1) * sizeof *names);
        for (int j = 0; j < d; j++)
            term_of[j] = j, names[j] = lr_strdup(ds->feature_names[j]);
    }
    inference_term_tests(&r->inf, term_of, n_terms, names);
    for (int t = 0; t < n_terms; t++)
        free(names[t]);
    free(names);
    free(term_of);
}

/* diagnostics_place's view of where a training row starts (dataset_row_at). */
static int row_at_of(const void *ds, int64_t i, int64_t *at, struct lr_error *e)
{
    return dataset_row_at(ds, i, at, e);
}

/* Collective, --diagnostics: the residual checks at theta_s (on the factor's design), one
   more pass over the training rows, and the most influential rows placed in their files;
   with --diagnostics-sample, one pass more for the rows drawn. */
static int diagnose(struct run *r, const double *theta_s, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    int d = ds->n_features, rc;
    struct exact_problem pb = exact_problem_of(r);
    struct diag_pass dp;
    struct row_block b;
    double *m2 = lr_malloc((size_t)(d ? d : 1) * sizeof *m2);
    for (int j = 0; j < d; j++)
        m2[j] = r->s[j].m2;
    diagnostics_begin(&dp, &pb, theta_s, &r->xf, ds->has_weights);
    dataset_rewind_keys(ds);  /* the fitted values reported include the --offset */
    while (dataset_next(ds, &b, e) > 0)
        diagnostics_add(&dp, b.X, b.y, b.w, b.offset, b.n);
    rc = comm_agree(e);  /* diagnostics_end's collectives run on every rank either way */
    diagnostics_end(&dp, m2, r->scale, &r->dg);
    free(m2);
    if (rc != LR_OK)
        return rc;
    if (diagnostics_place(&r->dg, row_at_of, ds, ds->n_rows, &ds->places, e) < 0)
        return e->code;
    if (!r->o->diagnostics_sample)
        return LR_OK;
    struct diag_sample sm;
    diagnostics_sample_begin(&sm, &pb, theta_s, &r->xf, &r->dg, r->o->seed, DIAG_SAMPLE_ROWS);
    dataset_rewind_keys(ds);
    while (dataset_next(ds, &b, e) > 0)
        diagnostics_sample_add(&sm, b.X, b.y, b.w, b.offset, b.n);
    comm_agree(e);
    return diagnostics_sample_end(&sm, r->o->diagnostics_sample, e) < 0 ? e->code : LR_OK;
}

/* Collective: the inference table at the final weights (original units in r->coef). The
   exact solver's factor serves; after gd, one pass builds it. RSS and SST are the training
   rows' (without the validation rows). */
static int infer(struct run *r, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    int d = ds->n_features;
    int rc;
    if (r->gp.solver != SOLVER_EXACT) {
        struct exact_problem pb = exact_problem_of(r);
        if ((rc = pass_factor(r, &pb, e)) != LR_OK)
            return rc;
    }
    if (r->gp.solver != SOLVER_EXACT && r->xf.rank < d + !r->o->no_intercept) {
        /* gd spread the weight over dependent columns in its own way: no table can be
           built on that; the exact solver aliases the later columns instead */
        for (int j = 0; j < d; j++)
            if (isnan(r->xf.theta[j + 1]))
                log_warn(&r->log, "--inference: column '%s' is a linear combination of "
                         "the columns before it (or constant), so standard errors and tests "
                         "are not defined for this fit; no inference table (--solver exact "
                         "aliases such columns and gives one)", ds->feature_names[j]);
        return LR_OK;
    }
    double *theta = lr_malloc((size_t)(d + 1) * sizeof *theta);
    theta[0] = r->intercept;
    for (int j = 0; j < d; j++)
        theta[j + 1] = r->aliased && r->aliased[j] ? NAN : r->coef[j];
    /* weighted: R's lm(weights=), whose n counts the rows of ω > 0 (pass_metrics) */
    const struct col_stats *ys = &r->train_y;
    double n = ys->weight;
    double sst = r->o->no_intercept ? ys->m2 + n * ys->mean * ys->mean : ys->m2;
    inference_compute(&r->xf, theta, r->mean, r->scale, d, !r->o->no_intercept,
                      r->train_m.mse * n, sst, (int64_t)r->train_obs, r->o->conf_level, &r->inf);
    if (r->o->weights)
        inference_add_log_weights(&r->inf, r->train_sum_log_w);
    /* the coefficients on the factor's design, aliased ones 0 */
    double *theta_s = lr_malloc((size_t)(d + 1) * sizeof *theta_s);
    for (int j = 0; j <= d; j++)
        theta[j] = isnan(theta[j]) ? 0 : theta[j];
    stats_rescale(theta, r->mean, r->scale, d, theta_s);
    if (r->o->no_intercept)
        theta_s[0] = 0;
    free(theta);
    int warned = 0;  /* every test NA, and why told */
    rc = infer_covariance(r, theta_s, &warned, e);
    if (rc == LR_OK)
        test_terms(r);
    if (rc == LR_OK && r->o->cov != COV_CLASSICAL && r->inf.n_singular > 0 && !warned)
        log_warn(&r->log, "--cov %s: the covariance is singular on the coefficients of %d "
                 "Wald F test%s, whose F and p are NA: a robust covariance has no more rank "
                 "than there are independent scores (clusters, rows not fitted exactly)",
                 robust_type_name(r->o->cov), r->inf.n_singular,
                 r->inf.n_singular == 1 ? "" : "s");
    if (rc == LR_OK && r->o->diagnostics)
        rc = diagnose(r, theta_s, e);
    free(theta_s);
    return rc;
}

/* Whether the run ends with the inference table: --inference, or the exact solver without a
   penalty (and not --cv, whose model is a penalised one). */
static int wants_inference(const struct run *r)
{
    const struct options *o = r->o;
    return o->inference || (r->gp.solver == SOLVER_EXACT && o->l2 == 0 && !o->cv);
}

/* Collective: the training rows' metrics at θ (in the units of X as the solver left it),
   one pass; none when the exact solver's last refinement pass summed them at this θ (y's
   statistics are then pass_stats's, the same calls on the same rows). */
static int pass_metrics(struct run *r, const double *theta, struct lr_error *e)
{
    struct dataset *ds = &r->ds;
    struct metrics_acc acc;
    struct row_block b;
    int d = ds->n_features, t = r->o->n_threads, log_w = r->o->weights && wants_inference(r);
    double sum_log_w = 0;
    if (r->fit_sums) {
        log_note(&r->log, "training metrics from the last refinement pass, at its weights "
                 "(the model's): no pass of their own");
        comm_sum(r->fit_sum, 3);
        metrics_of(r->fit_sum, &r->ys, d, !r->o->no_intercept, &r->train_m);
        r->train_y = r->ys;
        r->train_obs = r->fit_sum[2];
        r->train_sum_log_w = 0;  /* not summed: rf.metrics is off for it */
        return LR_OK;
    }
    metrics_init(&acc, r->center);
    dataset_rewind(ds);
    while (dataset_next(ds, &b, e) > 0) {
        metrics_add(&acc, b.X, b.y, b.w, b.n, d, theta[0], theta + 1, t);
        for (int64_t i = 0; log_w && i < b.n; i++)  /* the table's log-likelihood */
            if (b.w[i] > 0)
                sum_log_w += log(b.w[i]);
    }
    metrics_finish(&acc, d, !r->o->no_intercept, &r->train_m);
    comm_sum(&sum_log_w, 1);
    /* what the inference table takes from the same pass: y's statistics and the rows of
       weight > 0 (every row without weights) */
    r->train_y = acc.y;
    r->train_obs = acc.sums[2];
    r->train_sum_log_w = sum_log_w;
    return comm_agree(e);
}

/* Collective: the metrics of a data set's rows at intercept b and weights w, their errors
   formed about center (all three in the units of its X), one pass. */
static int metrics_pass(struct dataset *ds, double b, const double *w, const double *center,
                        int intercept, int n_threads, struct metrics *out, struct lr_error *e)
{
    struct metrics_acc acc;
    struct row_block blk;
    metrics_init(&acc, center);
    dataset_rewind(ds);
    while (dataset_next(ds, &blk, e) > 0)
        metrics_add(&acc, blk.X, blk.y, blk.w, blk.n, ds->n_features, b, w, n_threads);
    metrics_finish(&acc, ds->n_features, intercept, out);
    return comm_agree(e);
}

/* Collective: the --test rows' metrics with the model in original units (their features
   are not scaled); then what their encoding did (the levels training lacked are counted
   by then in stream mode, and the missing values filled). */
static int test_metrics(struct run *r, struct lr_error *e)
{
    if (metrics_pass(&r->test, r->intercept, r->coef, r->center_raw, !r->o->no_intercept,
                     r->o->n_threads, &r->test_m, e) != LR_OK)
        return e->code;
    dataset_stream_end(&r->test);
    if (comm_rank() == 0 && !r->o->quiet) {
        char label[300];
        test_label(r->o, label, sizeof label);
        dataset_print_encoding(&r->test, label, stderr);
    }
    return LR_OK;
}

/* Phase 5, collective: metrics, the model in original units, the model file, the log and
   the report. */
static int finish_model(struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    struct dataset *ds = &r->ds;
    int d = ds->n_features, rc;
    /* θ in the units of X as the solver left it: scaled for gd, as given for exact */
    const double *theta = r->st.theta;
    double t0 = comm_wtime(), w2 = 0;
    r->coef = lr_malloc((size_t)d * sizeof *r->coef);
    r->scaled = lr_malloc((size_t)(d + 1) * sizeof *r->scaled);
    int b = !o->no_intercept;
    if ((rc = pass_metrics(r, theta, e)) != LR_OK)
        return rc;
    if (r->val.n_rows_total > 0 &&
        (rc = metrics_pass(&r->val, theta[0], theta + 1, r->center, b, o->n_threads, &r->val_m,
                           e)) != LR_OK)
        return rc;
    double *orig = lr_malloc((size_t)(d + 1) * sizeof *orig);
    if (r->gp.solver == SOLVER_EXACT) {
        memcpy(orig, theta, (size_t)(d + 1) * sizeof *orig);
        stats_rescale(orig, r->mean, r->scale, d, r->scaled);
    } else {
        memcpy(r->scaled, theta, (size_t)(d + 1) * sizeof *r->scaled);
        stats_unscale(r->scaled, r->mean, r->scale, d, orig);
    }
    r->intercept = orig[0];
    memcpy(r->coef, orig + 1, (size_t)d * sizeof *r->coef);
    free(orig);
    for (int j = 0; j <= d; j++)  /* the same on every rank: computed from agreed values */
        if (!isfinite(j < d ? r->coef[j] : r->intercept)) {
            lr_fail_at(e, LR_EDATA, o->path, 0, 0,
                       "the %s%s%s does not fit in a double in original units (the column's "
                       "std is %g); rescale the column", j < d ? "coefficient of '" : "intercept",
                       j < d ? ds->feature_names[j] : "", j < d ? "'" : "",
                       j < d ? r->scale[j] : 0.0);
            return LR_EDATA;
        }
    if (o->test && (rc = test_metrics(r, e)) != LR_OK)
        return rc;
    if (r->aliased) {  /* adjusted R² counts the coefficients fitted, as R does */
        int k = d;
        for (int j = 0; j < d; j++)
            k -= r->aliased[j];
        struct metrics *ms[] = {&r->train_m, r->val.n_rows_total > 0 ? &r->val_m : NULL,
                                o->test ? &r->test_m : NULL};
        for (int i = 0; i < 3; i++)
            if (ms[i])
                ms[i]->adj_r2 = metrics_adjusted_r2(ms[i]->r2, ms[i]->rows, k, b);
    }
    if (wants_inference(r) && (rc = infer(r, e)) != LR_OK)
        return rc;
    double w1 = 0, mw = ds->weight_total;
    double l1 = o->cv ? r->cv.l1 : o->l1, l2 = o->cv ? r->cv.l2 : o->l2;  /* --cv: equivalent */
    int selected = 0;
    for (int j = 1; j <= d; j++) {
        w2 += r->scaled[j] * r->scaled[j];
        w1 += fabs(r->scaled[j]);
        selected += r->scaled[j] != 0;
    }
    r->t[PH_METRICS] = comm_wtime() - t0;
    struct rusage ru;  /* the largest rank's peak memory, for the summary */
    getrusage(RUSAGE_SELF, &ru);
    r->peak_rss = (double)ru.ru_maxrss * 1024;
    comm_max(&r->peak_rss, 1);
    r->model = (struct model){
        .target = ds->target_name, .d = d, .features = ds->feature_names,
        .intercept = r->intercept, .coef = r->coef,
        .scaling = !o->no_scale, .mean = r->mean, .std = r->scale,
        .scaled_intercept = r->scaled[0], .scaled_coef = r->scaled + 1,
        .solver = solver_name(r->gp.solver), .epochs = r->st.epoch,
        .converged = r->st.stop == GD_CONVERGED || r->gp.solver == SOLVER_EXACT,
        .stopped_by = stopped_by(r), .memory = ds->stream ? "stream" : "resident",
        .no_intercept = o->no_intercept, .aliased = r->aliased,
        .inference = r->inf.terms ? &r->inf : NULL,
        .diagnostics = r->dg.vif ? &r->dg : NULL,
        .learning_rate = r->st.lr, .condition_number = r->cert.kappa,
        .error_bound = r->cert.bound,
        .final_loss = o->huber ? r->huber_loss
                               : r->train_m.mse / 2 + l2 / (2 * mw) * w2 + l1 / mw * w1,
        .l2 = l2, .rows = ds->n_rows_total, .ranks = comm_size(), .threads = o->n_threads,
        .seconds = comm_wtime() - r->t_start, .validation_split = o->validation_split,
        .patience = o->patience, .best_epoch = r->st.best_epoch, .train = r->train_m,
        .validation = r->val.n_rows_total > 0 ? &r->val_m : NULL, .test = o->test ? &r->test_m : NULL,
        .l1 = l1, .cv = o->cv ? &r->cv : NULL, .loss = o->huber ? "huber" : "squared",
        .huber_delta = o->huber ? o->huber_delta : NAN, .huber_scale = o->huber ? r->st.sigma : NAN,
        .weights = o->weights, .offset = o->offset, .features_selected = selected,
        .encoding = &ds->enc, .formula = ds->formula,
    };
    if (r->gp.solver != SOLVER_EXACT) {
        static const char *const why[] = {"constant", "spread", "dependent"};
        const char **names = lr_malloc(sizeof *names * (size_t)(r->pc.n_fallback + 1));
        for (int k = 0; k < r->pc.n_fallback; k++)
            names[k] = why[r->pc.why[k]];
        r->model.precondition = r->pc.P ? "sample" : "scale";
        r->model.precondition_note = r->pc.P ? NULL : r->pc_why;
        r->model.precondition_rows = r->pc.rows;
        r->model.precondition_seconds = r->t_precond;
        r->model.precondition_kappa = r->cert.kappa_z;
        r->model.precondition_digest = r->pc.P ? r->pc.digest : 0;
        r->model.n_precondition_fallback = r->pc.n_fallback;
        r->model.precondition_fallback = r->pc.fallback;
        r->model.precondition_why = names;
        r->pc_names = names;
    }
    t0 = comm_wtime();
    if (test_fail_here("model", comm_rank()))
        lr_fail_at(e, LR_EWRITE, o->model_out, 0, 0, "injected failure (test build)");
    else if (comm_rank() == 0)
        model_write(&r->model, o->model_out, e);
    r->t[PH_MODEL] = comm_wtime() - t0;
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    log_close(&r->log, o->log_path, e);
    if ((rc = comm_agree(e)) != LR_OK)
        return rc;
    r->t[PH_TOTAL] = comm_wtime() - r->t_start;
    struct run_shape shape = {.ranks = comm_size(), .threads = o->n_threads, .features = d,
                              .rows = ds->n_rows_total, .file_bytes = ds->file_bytes,
                              .epochs = r->st.epoch,
                              .epochs_run = r->st.epoch - r->resumed_epoch};
    if (o->report)
        report_write(o->report, r->t, &shape, e);
    if (test_fail_here("report", comm_rank()))
        lr_fail_at(e, LR_EWRITE, o->report ? o->report : "report", 0, 0,
                   "injected failure (test build)");
    return comm_agree(e);
}

/* Phase 6, rank 0: the times on stderr, then the results on stdout in one piece: how it
   ended, the coefficient table, the formula, the held-out scores. */
static int print_summary(const struct run *r, struct lr_error *e)
{
    const struct options *o = r->o;
    const struct dataset *ds = &r->ds;
    int d = ds->n_features;
    int64_t epochs = r->st.epoch, run = epochs - r->resumed_epoch;
    if (comm_rank() != 0)
        return 0;
    double per = run > 0 ? 1e3 / (double)run : 0.0;  /* the times are this run's */
    log_note(&r->log, "time: read %.3f s, stats+scaling %.3f s, %slearning rate %.3f s, "
             "training %.3f s (%.3f ms/epoch: compute %.3f, allreduce %.3f), total %.3f s",
             r->t[PH_READ], r->t[PH_STATS], r->pc.P ? "preconditioner + " : "", r->t[PH_LR],
             r->t_train, r->t_train * per,
             r->t[PH_COMPUTE] * per, r->t[PH_ALLREDUCE] * per, r->t[PH_TOTAL]);
    if (ds->stream) {
        int passes;
        int64_t bytes, block;
        const char *what = dataset_stream_info(ds, &passes, &bytes, &block);
        log_note(&r->log, "memory: stream (--memory), blocks of %lld rows; %d passes over "
                 "rank 0's %s of %.1f MB; peak memory of a rank %.1f MB", (long long)block,
                 passes, what, (double)bytes / 1e6, r->peak_rss / 1e6);
    }
    const char *how = r->gp.solver == SOLVER_EXACT ? "solved exactly (QR factor, then refinement)"
                      : r->st.stop == GD_EARLY_STOP
                          ? "stopped early (no better validation loss for --patience epochs)"
                      : r->st.stop == GD_CONVERGED ? "converged"
                      : r->st.stop == GD_STALLED   ? "stalled (not converged)"
                                                   : "stopped (epoch limit)";
    char zero[80] = "";
    if (r->zero_epoch)
        snprintf(zero, sizeof zero, " (the loss reached zero at epoch %lld)",
                 (long long)r->zero_epoch);
    struct results res;
    FILE *out = results_begin(&res);
    if (o->cv)
        cv_print(&r->cv, out);
    if (o->cv)
        fprintf(out, "fitted on all %lld rows at the chosen penalty: R^2 %.10g, model written "
                "to %s\n", (long long)ds->n_rows_total, r->model.train.r2, o->model_out);
    else
        fprintf(out, "%s after %lld %s%s: final loss %.10g, R^2 %.10g, model written to %s\n",
            how, (long long)epochs, r->gp.solver == SOLVER_EXACT ? "passes" : "epochs", zero,
            r->model.final_loss, r->model.train.r2, o->model_out);
    if (o->l1 > 0 || o->cv)
        fprintf(out, "%d of %d features selected (the others' coefficients are exactly 0)\n",
                r->model.features_selected, d);
    if (o->huber)
        fprintf(out, "huber loss: delta %g, fitted scale %.10g\n", o->huber_delta, r->st.sigma);
    if (r->inf.terms) {
        inference_print(&r->inf, r->shown, out);
        int joint = 0;  /* a term of several columns: its t tests alone do not test it */
        for (int t = 0; t < r->inf.n_tests; t++)
            joint |= r->inf.tests[t].df > 1;
        if (joint) {
            fputc('\n', out);
            inference_print_tests(&r->inf, out);
        }
        if (r->dg.vif) {
            fputc('\n', out);
            diagnostics_print(&r->dg, r->shown, out);
        }
    }
    if (d <= 10) {  /* small models: the formula itself */
        fprintf(out, "model: %s = %.6g", lr_shown(ds->target_name).s, r->intercept);
        for (int j = 0; j < d; j++)
            fprintf(out, " %c %.6g*%s", r->coef[j] < 0 ? '-' : '+', fabs(r->coef[j]),
                    r->shown[j]);
        fputc('\n', out);
    }
    if (r->val.n_rows_total > 0)
        fprintf(out, "validation: %lld rows, MSE %.10g, R^2 %.10g%s\n", (long long)r->val_m.rows,
                r->val_m.mse, r->val_m.r2, o->patience > 0 ? " (best epoch's weights kept)" : "");
    if (o->test) {
        char label[300];
        test_label(o, label, sizeof label);
        fprintf(out, "%s: %lld rows, MSE %.10g, R^2 %.10g\n", label + 2,
                (long long)r->test_m.rows, r->test_m.mse, r->test_m.r2);
    }
    if (!r->inf.terms && r->gp.solver != SOLVER_EXACT && !o->inference)
        fprintf(out, "standard errors and p-values: add --inference, or use --solver exact\n");
    return results_end(&res, e);
}

static void run_free(struct run *r)
{
    log_close(&r->log, r->o->log_path, &(struct lr_error){0});
    ckpt_free(&r->resume);
    memset(&r->ck.pc, 0, sizeof r->ck.pc);  /* borrowed */
    precond_free(&r->pc);
    free(r->pc_names);
    r->ck.mean = r->ck.scale = NULL;  /* borrowed */
    r->ck.opt.weights = r->ck.opt.offset = NULL;  /* borrowed */
    ckpt_free(&r->ck);
    gd_state_free(&r->st);
    for (int j = 0; j < r->n_shown; j++)
        free(r->shown[j]);
    free(r->shown);
    dataset_free(&r->ds);
    dataset_free(&r->test);
    dataset_free(&r->val);
    free(r->s);
    free(r->mean);
    free(r->scale);
    free(r->coef);
    free(r->scaled);
    free(r->aliased);
    if (r->xs_live)
        exact_stream_free(&r->xs);
    free(r->shift);
    free(r->center);
    free(r->center_raw);
    free(r->ones);
    exact_fit_free(&r->xf);
    cv_result_free(&r->cv);
    inference_free(&r->inf);
    diagnostics_free(&r->dg);
    fdata_free(&r->test_formula);
    fdata_free(&r->formula);
}

int train_run(const struct options *o, struct lr_error *e)
{
    struct run r = {.opt = *o, .t_start = comm_wtime(),
                    .cert = {.grad_reduction = NAN, .kappa = NAN, .bound = NAN}};
    r.o = &r.opt;
    int rc = prepare_outputs(&r, e);
    if (rc == LR_OK)
        rc = load_data(&r, e);
    if (rc == LR_OK)
        rc = scale_data(&r, e);
    if (rc == LR_OK)
        rc = fit(&r, e);
    if (rc == LR_OK)
        rc = finish_model(&r, e);
    if (rc == LR_OK) {
        print_summary(&r, e);
        rc = comm_agree(e);
    }
    run_free(&r);
    return rc;
}
