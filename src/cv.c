/* cv.c — the cross-validated penalty path from one pass over the rows; see cv.h. */
#include "cv.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "comm.h"
#include "dataset.h"
#include "exact.h"
#include "hash.h"
#include "locate.h"
#include "log.h"
#include "numparse.h"
#include "source.h"
#include "stats.h"

int cv_parse_list(const char *text, double lo, int lo_open, double hi, double *out, int cap,
                  int *bad)
{
    int n = 0;
    for (const char *s = text;; n++) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        double v;
        *bad = n;
        if (n >= cap || num_parse(s, len, &v) != NUM_OK || !isfinite(v) || !(v >= lo) ||
            (lo_open && v == lo) || !(v <= hi))
            return -1;
        if (out)
            out[n] = v;
        if (!comma)
            return n + 1;
        s = comma + 1;
    }
}

int cv_hash_fold(uint64_t seed, int K, int64_t at)
{
    uint64_t key = mix64(seed ^ 0xBB67AE8584CAA73Bu);  /* not the validation split's */
    double u = (double)(mix64(key ^ (uint64_t)at) >> 11) * 0x1p-53;
    int k = (int)(u * K);
    return k < K ? k : K - 1;
}

/* The fold of this rank's row i: pb->fold's, or its hash (no array: a streamed data set's
   rows hold nothing per row in memory). */
static int fold_of(const struct cv_problem *pb, int64_t i)
{
    return pb->fold ? pb->fold[i] : cv_hash_fold(pb->hash_seed, pb->K, pb->hash_base + i);
}

/* A fold column's value: its key and the global position of its first row. */
struct first_seen {
    uint64_t key;
    int64_t at;
};

static int by_key_then_at(const void *a, const void *b)
{
    const struct first_seen *x = a, *y = b;
    return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->at > y->at) - (x->at < y->at);
}

static int by_at(const void *a, const void *b)
{
    const struct first_seen *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* The distinct keys of v[0..n) (sorted by key, then position), each with its first
   position, in place; how many. */
static int64_t distinct(struct first_seen *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof *v, by_key_then_at);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || v[m - 1].key != v[i].key)
            v[m++] = v[i];
    return m;
}

int cv_folds_column(const uint64_t *keys, int stride, int64_t n, int K, const char *column,
                    const char *path, int *fold, int *K_out, struct lr_error *e)
{
    int64_t base = comm_exscan_i64(n);
    struct first_seen *v = lr_malloc(sizeof *v * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++)
        v[i] = (struct first_seen){keys[i * stride], base + i};
    int64_t m = distinct(v, n), lens_n = comm_size();
    m = m > CV_MAX_FOLDS + 1 ? CV_MAX_FOLDS + 1 : m;  /* more than enough to refuse */
    char *all;
    int64_t *lens = lr_malloc(sizeof *lens * (size_t)lens_n);
    comm_allgatherv_bytes(v, m * (int64_t)sizeof *v, &all, lens);
    int64_t total = 0;
    for (int r = 0; r < lens_n; r++)
        total += lens[r] / (int64_t)sizeof *v;
    struct first_seen *u = (struct first_seen *)all;
    int64_t kinds = distinct(u, total);
    qsort(u, (size_t)kinds, sizeof *u, by_at);  /* fold numbers in order of appearance */
    *K_out = (int)(kinds > CV_MAX_FOLDS ? CV_MAX_FOLDS + 1 : kinds);
    int rc = 0;
    if (kinds < 2)
        rc = lr_fail_at(e, LR_EDATA, path, 0, 0, "--folds column:%s: the column has %s, so "
                        "there is nothing to hold out: it needs one value per fold (or use "
                        "--folds hash)", lr_shown(column).s, kinds ? "one value" : "no values");
    else if (kinds > CV_MAX_FOLDS)
        rc = lr_fail_at(e, LR_EDATA, path, 0, 0, "--folds column:%s: more than %d distinct "
                        "values; a fold column holds one value per fold (at most %d)",
                        lr_shown(column).s, CV_MAX_FOLDS, CV_MAX_FOLDS);
    else if (K && kinds != K)
        rc = lr_fail_at(e, LR_EDATA, path, 0, 0, "--folds column:%s: the column has %lld "
                        "distinct values but --cv asks for %d folds; use --cv %lld",
                        lr_shown(column).s, (long long)kinds, K, (long long)kinds);
    if (rc == 0) {
        /* keys sorted again by key, each with its fold, to look rows up by bisection */
        for (int64_t k = 0; k < kinds; k++)
            u[k].at = k;
        qsort(u, (size_t)kinds, sizeof *u, by_key_then_at);
        for (int64_t i = 0; i < n; i++) {
            uint64_t key = keys[i * stride];
            int64_t lo = 0, hi = kinds - 1;
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (u[mid].key < key)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            fold[i] = (int)u[lo].at;
        }
    }
    free(all);
    free(lens);
    free(v);
    return rc;
}

enum { CV_BLOCK_ROWS = 16 * 4096 };

/* Bytes a rank needs for the pass: each fold's stream holds ⌊log₂ parts⌋ + 2 triangles of
   m² and up to one part's rows (exact.h), a thread one more part's rows; the Gram matrices
   and paths after (a few triangles a fold); the rows of a block gathered by fold. */
static double fold_bytes(int64_t n_local, int K, int m, int threads)
{
    double part = 4096 > 8 * m ? 4096 : 8 * m, per = (double)n_local / K + 1;
    double parts = per / part + 1, depth = log2(parts) + 3;
    double block = n_local < CV_BLOCK_ROWS ? (double)n_local : CV_BLOCK_ROWS;
    return 8.0 * K * ((double)m * m * (depth + 4) + (per < part ? per : part) * m) +
           8.0 * threads * part * m + 8.0 * block * m;
}

/* Collective: do the folds' triangles fit beside the rows? One rank's need alone: fewer
   folds or features; the node's ranks together: fewer ranks a node (node_fits). */
static int fits(const struct cv_problem *pb, int m, struct lr_error *e)
{
    double need = fold_bytes(pb->n_local, pb->K, m, pb->n_threads), usable = 0.9 * node_memory_available();
    double v[2] = {need, usable > 0 && need > usable ? usable : 0};  /* the most; a short one */
    comm_max(v, 2);
    if (v[1] > 0)  /* on every rank alike */
        return lr_fail_at(e, LR_ENOMEM, pb->path, 0, 0, "--cv %d: the %d folds' triangles of %d "
                          "columns need about %.3g GB on a rank, but a node has %.3g GB; use "
                          "fewer folds (--cv) or fewer features (--drop)", pb->K, pb->K, m,
                          v[0] / 1e9, v[1] / 0.9 / 1e9);
    char what[160];
    snprintf(what, sizeof what, "the triangles of %d folds of %d columns", pb->K, m);
    return node_fits(need, what, pb->path, e);
}

/* Rows of a block gathered by fold: each fold's rows X, y, w side by side. */
struct gathered {
    double *X, *y, *w;
    int64_t *start;            /* K + 1: fold k's rows are [start[k], start[k+1]) */
};

/* The n rows of b from row `from` (fold[] indexed from `at`), ordered by fold (in row order
   within a fold), into g. */
static void gather(const struct cv_problem *pb, const struct cv_block *b, int64_t from,
                   int64_t n, int64_t at, struct gathered *g)
{
    int K = pb->K, d = pb->d;
    int *fold = lr_malloc(sizeof *fold * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++)
        fold[i] = fold_of(pb, at + i);
    memset(g->start, 0, sizeof *g->start * (size_t)(K + 1));
    for (int64_t i = 0; i < n; i++)
        g->start[fold[i] + 1]++;
    for (int k = 0; k < K; k++)
        g->start[k + 1] += g->start[k];
    int64_t *next = lr_malloc(sizeof *next * (size_t)K);
    memcpy(next, g->start, sizeof *next * (size_t)K);
    for (int64_t i = 0; i < n; i++) {
        int64_t t = next[fold[i]]++, src = from + i;
        memcpy(g->X + t * d, b->X + src * d, sizeof(double) * (size_t)d);
        g->y[t] = b->y[src];
        if (b->w)
            g->w[t] = b->w[src];
    }
    free(next);
    free(fold);
}

/* Collective: fold k's Gram matrix of [1 z y] into A[k] ((D+2)², row-major), from the
   fold triangles of all ranks (R[k], column-major); rows[k] its rows on every rank. The rows come from pb->next
   in blocks of any size; -1 (e, this rank's) when it fails, after which every rank still
   makes the same collective calls. */
static int fold_grams(const struct cv_problem *pb, double **A, double **R, int64_t *rows,
                      struct lr_error *e)
{
    int K = pb->K, d = pb->d, m = d + 2, rc = 0;
    int64_t *local = lr_calloc((size_t)K, sizeof *local);
    for (int64_t i = 0; i < pb->n_local; i++)
        local[fold_of(pb, i)]++;
    struct exact_stream *s = lr_malloc(sizeof *s * (size_t)K);
    for (int k = 0; k < K; k++) {
        struct exact_problem ep = {
            .mean = pb->mean, .scale = pb->scale, .n_local = local[k], .d = d, .intercept = 1,
            .n_threads = 1,
        };
        exact_stream_begin(&s[k], &ep);
    }
    int64_t cap = pb->n_local < CV_BLOCK_ROWS ? pb->n_local : CV_BLOCK_ROWS, at = 0;
    cap = cap ? cap : 1;
    struct gathered g = {
        .X = lr_malloc(sizeof(double) * (size_t)cap * (size_t)(d ? d : 1)),
        .y = lr_malloc(sizeof(double) * (size_t)cap),
        .w = lr_malloc(sizeof(double) * (size_t)cap),
        .start = lr_malloc(sizeof(int64_t) * (size_t)(K + 1)),
    };
    struct cv_block b;
    int got;
    while ((got = pb->next(pb->ctx, &b, e)) > 0) {
        if (at + b.n > pb->n_local)
            LR_FATAL("cv: %lld rows after %lld of this rank's %lld", (long long)b.n,
                     (long long)at, (long long)pb->n_local);
        for (int64_t lo = 0; lo < b.n; lo += cap) {
            int64_t n = lo + cap < b.n ? cap : b.n - lo;
            gather(pb, &b, lo, n, at + lo, &g);
            /* each fold's stream is fed by one thread: its bits depend on its rows alone */
#pragma omp parallel for num_threads(pb->n_threads) schedule(dynamic, 1)
            for (int k = 0; k < K; k++) {
                int64_t a = g.start[k];
                exact_stream_add(&s[k], g.X + a * d, g.y + a, b.w ? g.w + a : NULL,
                                 g.start[k + 1] - a);
            }
        }
        at += b.n;
    }
    rc = got < 0 || at != pb->n_local ? -1 : 0;
    if (got == 0 && at != pb->n_local)
        LR_FATAL("cv: %lld of this rank's %lld rows given", (long long)at,
                 (long long)pb->n_local);
    free(g.X);
    free(g.y);
    free(g.w);
    free(g.start);
    for (int k = 0; k < K; k++) {
        double *T = R[k];
        if (rc == 0) {
            exact_stream_add(&s[k], NULL, NULL, NULL, 0);  /* a fold without rows here ends */
            exact_stream_triangle(&s[k], T);
        } else {
            memset(T, 0, sizeof(double) * (size_t)m * (size_t)m);  /* merged, then refused */
        }
        exact_stream_free(&s[k]);
        exact_merge_ranks(T, m);
        for (int i = 0; i < m; i++)  /* A = TᵀT, T upper, column-major */
            for (int j = i; j < m; j++) {
                double sum = 0;
                for (int r = 0; r <= i; r++)
                    sum += T[(size_t)i * m + r] * T[(size_t)j * m + r];
                A[k][(size_t)i * m + j] = A[k][(size_t)j * m + i] = sum;
            }
        rows[k] = comm_sum_i64(local[k]);
    }
    free(s);
    free(local);
    return rc;
}

/* The progress bar over the paths: (K + 1) per α. */
struct steps {
    struct train_log *log;
    int done, total;
};

static void step_done(void *ctx)
{
    struct steps *s = ctx;
    log_steps(s->log, "cross-validation: paths", ++s->done, s->total);
}

/* The chosen α (least cvm at λ_min, the first on a tie) and λ. */
static void choose(struct cv_result *r)
{
    r->best = 0;
    for (int a = 1; a < r->n_alpha; a++) {
        const struct path_cv *c = &r->paths[a], *b = &r->paths[r->best];
        if (c->cvm[c->i_min] < b->cvm[b->i_min])
            r->best = a;
    }
    const struct path_cv *c = &r->paths[r->best];
    r->chosen = r->select_1se ? c->i_1se : c->i_min;
    r->lambda = c->full.lambda[r->chosen];
}

int cv_run(const struct cv_problem *pb, struct cv_result *r, struct lr_error *e)
{
    int K = pb->K, d = pb->d, m = d + 2, rc;
    memset(r, 0, sizeof *r);
    r->K = K, r->d = d, r->select_1se = pb->select_1se;
    if (fits(pb, m, e) < 0)
        return -1;
    double **A = lr_malloc(sizeof *A * (size_t)K), **R = lr_malloc(sizeof *R * (size_t)K);
    for (int k = 0; k < K; k++) {
        A[k] = lr_malloc(sizeof(double) * (size_t)m * (size_t)m);
        R[k] = lr_malloc(sizeof(double) * (size_t)m * (size_t)m);
    }
    r->fold_rows = lr_malloc(sizeof *r->fold_rows * (size_t)K);
    r->fold_weight = lr_malloc(sizeof *r->fold_weight * (size_t)K);
    double t0 = comm_wtime();
    rc = fold_grams(pb, A, R, r->fold_rows, e) < 0 ? -1 : 0;
    if (comm_agree(e) != LR_OK)
        rc = -1;  /* a rank's rows could not be read */
    r->pass_seconds = comm_wtime() - t0;
    for (int k = 0; k < K && rc == 0; k++) {
        r->fold_weight[k] = A[k][0];
        if (r->fold_rows[k] == 0 && pb->fold_files)
            rc = lr_fail_at(e, LR_EDATA, pb->fold_files[k], 0, 0, "--folds files: fold %d of %d "
                            "is this file, which has no data rows: leave it out of the inputs",
                            k + 1, K);
        else if (r->fold_rows[k] == 0)
            rc = lr_fail_at(e, LR_EDATA, pb->path, 0, 0, "fold %d of %d has no rows (%lld rows "
                            "in all): use fewer folds (--cv)%s", k + 1, K,
                            (long long)pb->n_total, pb->n_total < K ? ", at most the rows" : "");
        else if (!(A[k][0] > 0))
            rc = lr_fail_at(e, LR_EDATA, pb->path, 0, 0, "fold %d of %d has %lld rows but all "
                            "their weights are 0, so its error is undefined (--weights)", k + 1,
                            K, (long long)r->fold_rows[k]);
    }
    double W = 0, sy = 0, syy = 0;  /* s_y from the sum of the folds' matrices */
    for (int k = 0; k < K; k++)
        W += A[k][0], sy += A[k][m - 1], syy += A[k][(size_t)m * m - 1];
    double my = sy / W, var = syy / W - my * my;
    r->s_y = sqrt(var > 0 ? var : 0);
    if (rc == 0 && !(r->s_y > 1e-7 * fabs(my)))  /* a constant, but for rounding (√ε) */
        rc = lr_fail_at(e, LR_EDATA, pb->path, 0, 0, "the target is constant (%.10g): there "
                        "is no penalty path to cross-validate", my);
    r->n_alpha = pb->n_l1_ratio;
    r->alpha = lr_malloc(sizeof *r->alpha * (size_t)r->n_alpha);
    memcpy(r->alpha, pb->l1_ratio, sizeof *r->alpha * (size_t)r->n_alpha);
    r->paths = lr_calloc((size_t)r->n_alpha, sizeof *r->paths);
    struct steps steps = {.log = pb->log, .total = r->n_alpha * (K + 1)};
    for (int a = 0; a < r->n_alpha && rc == 0; a++) {
        struct path_problem pp = {
            .p = d, .alpha = pb->l1_ratio[a], .n_lambda = pb->n_lambda,
            .lambda_min_ratio = pb->lambda_min_ratio, .lambdas = pb->lambdas,
            .fold_R = (const double *const *)R,
            .progress = pb->log ? step_done : NULL, .progress_ctx = &steps,
        };
        if (path_cv(&pp, (const double *const *)A, r->fold_rows, K, &r->paths[a]) < 0)
            rc = lr_fail_at(e, LR_EDATA, pb->path, 0, 0, "the target is constant in the "
                            "training rows of a fold, so that fold has no penalty path: "
                            "choose other folds (--folds, --seed)");
    }
    r->path_seconds = comm_wtime() - t0 - r->pass_seconds;
    for (int a = 0; a < r->n_alpha && rc == 0; a++)
        r->unconverged += r->paths[a].full.unconverged;
    if (rc == 0) {
        choose(r);
        double alpha = r->alpha[r->best];
        r->l1 = W * r->lambda * alpha;
        r->l2 = W * r->lambda * (1 - alpha) / r->s_y;
        r->theta_s = lr_malloc(sizeof(double) * (size_t)(d + 1));
        r->theta = lr_malloc(sizeof(double) * (size_t)(d + 1));
        memcpy(r->theta_s, r->paths[r->best].full.beta + (size_t)r->chosen * (d + 1),
               sizeof(double) * (size_t)(d + 1));
        stats_unscale(r->theta_s, pb->mean, pb->scale, d, r->theta);
        const struct path_result *full = &r->paths[r->best].full;
        r->path_theta = lr_malloc(sizeof(double) * (size_t)full->n * (size_t)(d + 1));
        for (int l = 0; l < full->n; l++)
            stats_unscale(full->beta + (size_t)l * (d + 1), pb->mean, pb->scale, d,
                          r->path_theta + (size_t)l * (d + 1));
    }
    for (int k = 0; k < K; k++)
        free(A[k]), free(R[k]);
    free(A);
    free(R);
    return rc;  /* from merged matrices: the same on every rank */
}

/* cv_problem.next: the data set's rows, block by block (dataset.h: one block when they are
   held whole, the scratch file's blocks when they stream). */
static int next_rows(void *ctx, struct cv_block *b, struct lr_error *e)
{
    struct row_block rb;
    int rc = dataset_next(ctx, &rb, e);
    *b = (struct cv_block){.X = rb.X, .y = rb.y, .w = rb.w, .n = rb.n};
    return rc;
}

int cv_folds_files(const int64_t *row_at, int64_t n, const struct row_places *places, int K,
                   const char *path, int *fold, struct lr_error *e)
{
    if (places->n == 0)  /* the same on every rank: every rank kept offsets, or none */
        return lr_fail_at(e, LR_EUSAGE, path, 0, 0, "--folds files: a row's file is known "
                          "only for uncompressed inputs read as text (not compressed parts "
                          "or the cache); decompress the parts, or use --folds hash or "
                          "column:NAME");
    if (places->n < 2)
        return lr_fail_at(e, LR_EUSAGE, path, 0, 0, "--folds files: one input file is one "
                          "fold; give the data as several files (one per fold), or use "
                          "--folds hash or column:NAME");
    if (K != places->n)
        return lr_fail_at(e, LR_EUSAGE, path, 0, 0, "--folds files: %d input files are %d "
                          "folds, not --cv %d; use --cv %d", places->n, places->n, K,
                          places->n);
    int f = 0;
    for (int64_t i = 0; i < n; i++) {  /* rows in stream order: their files ascend */
        while (f + 1 < places->n && row_at[i] >= places->start[f + 1])
            f++;
        fold[i] = f;
    }
    return 0;
}

int cv_train(const struct options *o, struct dataset *ds, const double *mean,
             const double *scale, struct train_log *log, struct cv_result *r,
             struct lr_error *e)
{
    memset(r, 0, sizeof *r);
    int K = o->cv, *fold = NULL;  /* hash folds: none, each row's computed when needed */
    if (o->folds != CV_FOLDS_HASH)
        fold = lr_malloc(sizeof *fold * (size_t)(ds->n_rows ? ds->n_rows : 1));
    double *lambdas = NULL;
    if (o->folds == CV_FOLDS_COLUMN &&
        cv_folds_column(ds->g, ds->n_groups, ds->n_rows, K, o->fold_column, o->path, fold, &K,
                        e) < 0) {
        free(fold);
        return -1;
    }
    if (o->folds == CV_FOLDS_FILES &&
        cv_folds_files(ds->row_at, ds->n_rows, &ds->places, K, o->path, fold, e) < 0) {
        free(fold);
        return -1;
    }
    int n_lambda = (int)o->n_lambdas;
    if (o->lambda_path) {
        int bad;
        lambdas = lr_malloc(sizeof *lambdas * (size_t)o->n_lambda_path);
        cv_parse_list(o->lambda_path, 0, 1, INFINITY, lambdas, o->n_lambda_path, &bad);
    } else if (o->cv_ols) {  /* no penalty asked for: least squares' own CV error */
        lambdas = lr_calloc(1, sizeof *lambdas);
        n_lambda = 1;
    }
    dataset_rewind(ds);
    struct cv_problem pb = {
        .next = next_rows, .ctx = ds, .n_local = ds->n_rows, .n_total = ds->n_rows_total,
        .d = ds->n_features, .mean = mean, .scale = scale, .n_threads = o->n_threads, .K = K,
        .fold = fold, .hash_seed = o->seed, .hash_base = comm_exscan_i64(ds->n_rows),
        .l1_ratio = o->l1_ratio, .n_l1_ratio = o->n_l1_ratio,
        .n_lambda = n_lambda, .lambda_min_ratio = o->lambda_min_ratio,
        .lambdas = lambdas, .select_1se = o->select_1se, .path = o->path, .log = log,
        .fold_files = o->folds == CV_FOLDS_FILES ? ds->places.path : NULL,
    };
    int rc = cv_run(&pb, r, e);
    free(lambdas);
    free(fold);
    return rc;
}

void cv_result_free(struct cv_result *r)
{
    for (int a = 0; r->paths && a < r->n_alpha; a++)
        path_cv_free(&r->paths[a]);
    free(r->paths);
    free(r->alpha);
    free(r->fold_rows);
    free(r->fold_weight);
    free(r->theta);
    free(r->theta_s);
    free(r->path_theta);
    memset(r, 0, sizeof *r);
}

void cv_print(const struct cv_result *r, FILE *out)
{
    const struct path_cv *c = &r->paths[r->best];
    if (c->full.n == 1 && c->full.lambda[0] == 0) {  /* no penalty asked for */
        fprintf(out, "%d-fold cross-validation of least squares (no penalty): mean squared "
                "error %.10g, its standard error %.10g\n", r->K, c->cvm[0], c->cvsd[0]);
        return;
    }
    fprintf(out, "%d-fold cross-validation of the penalty path (%d lambda%s", r->K, c->full.n,
            c->full.n == 1 ? "" : "s");
    if (r->n_alpha > 1) {
        fprintf(out, "; l1_ratio");
        for (int a = 0; a < r->n_alpha; a++) {
            const struct path_cv *p = &r->paths[a];
            fprintf(out, "%s %g: min cv_mean %.6g", a ? "," : "", r->alpha[a], p->cvm[p->i_min]);
        }
    }
    fprintf(out, "), l1_ratio %g:\n", r->alpha[r->best]);
    fprintf(out, "%-8s %14s %5s %14s %14s %8s\n", "", "lambda", "index", "cv_mean", "cv_se",
            "nonzero");
    const char *names[2] = {"min", "1se"};
    int idx[2] = {c->i_min, c->i_1se};
    for (int t = 0; t < 2; t++)
        fprintf(out, "%-8s %14.6g %5d %14.6g %14.6g %8d\n", names[t], c->full.lambda[idx[t]],
                idx[t] + 1, c->cvm[idx[t]], c->cvsd[idx[t]], c->full.nonzero[idx[t]]);
    fprintf(out, "chosen: lambda %.10g (%s), l1_ratio %g; the same fit as --l1 %.10g --l2 "
            "%.10g\n", r->lambda, r->select_1se ? "1se" : "min", r->alpha[r->best], r->l1, r->l2);
}

static json_t *array_of(const double *v, int n)
{
    json_t *a = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(a, isfinite(v[k]) ? json_real(v[k]) : json_null());
    return a;
}

void *cv_to_json(const struct cv_result *r)
{
    json_t *rows = json_array(), *weights = json_array(), *paths = json_array();
    for (int k = 0; k < r->K; k++) {
        json_array_append_new(rows, json_integer((json_int_t)r->fold_rows[k]));
        json_array_append_new(weights, json_real(r->fold_weight[k]));
    }
    for (int a = 0; a < r->n_alpha; a++) {
        const struct path_cv *c = &r->paths[a];
        json_t *nz = json_array();
        for (int l = 0; l < c->full.n; l++)
            json_array_append_new(nz, json_integer(c->full.nonzero[l]));
        json_array_append_new(paths, json_pack(
            "{s:f, s:o, s:o, s:o, s:o, s:f, s:f, s:i, s:i}", "l1_ratio", r->alpha[a],
            "lambda", array_of(c->full.lambda, c->full.n), "cv_mean", array_of(c->cvm, c->full.n),
            "cv_se", array_of(c->cvsd, c->full.n), "nonzero", nz,
            "lambda_min", c->full.lambda[c->i_min], "lambda_1se", c->full.lambda[c->i_1se],
            "index_min", c->i_min, "index_1se", c->i_1se));
    }
    const struct path_cv *c = &r->paths[r->best];
    json_t *o = json_object(), *nz = json_object_get(json_array_get(paths, (size_t)r->best),
                                                     "nonzero");
    json_object_set_new(o, "folds", json_integer(r->K));
    json_object_set_new(o, "fold_rows", rows);
    json_object_set_new(o, "fold_weights", weights);
    json_object_set_new(o, "l1_ratio", json_real(r->alpha[r->best]));
    json_object_set_new(o, "lambda", array_of(c->full.lambda, c->full.n));
    json_object_set_new(o, "cv_mean", array_of(c->cvm, c->full.n));
    json_object_set_new(o, "cv_se", array_of(c->cvsd, c->full.n));
    json_object_set_new(o, "nonzero", json_deep_copy(nz));
    json_object_set_new(o, "lambda_min", json_real(c->full.lambda[c->i_min]));
    json_object_set_new(o, "lambda_1se", json_real(c->full.lambda[c->i_1se]));
    json_object_set_new(o, "select", json_string(r->select_1se ? "1se" : "min"));
    json_object_set_new(o, "lambda_chosen", json_real(r->lambda));
    json_object_set_new(o, "y_std", json_real(r->s_y));
    json_object_set_new(o, "equivalent", json_pack("{s:f, s:f}", "l1", r->l1, "l2", r->l2));
    json_t *coef = json_array();  /* per λ: b, then w (glmnet's coef() along the path) */
    for (int l = 0; l < c->full.n; l++)
        json_array_append_new(coef, array_of(r->path_theta + (size_t)l * (r->d + 1), r->d + 1));
    json_object_set_new(o, "path_coefficients", coef);
    json_object_set_new(o, "grid", paths);
    return o;
}
