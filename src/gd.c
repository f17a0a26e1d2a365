/* gd.c — the fused epoch kernel and the gradient-descent loop; see gd.h for the maths. */
#include "gd.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "linalg.h"
#include "par.h"
#include "precond.h"

/* e_i = b + w·x_i − y_i for one row (y NULL: zeros). */
/* e = b + dot − y as (b − y) + dot: with y near 1e9, b is near it too, and b + dot would
   round at 1e-7 before the difference; b − y is exact there. */
static inline double error_of(double b, double dot, const double *restrict y, int64_t i)
{
    return (b - (y ? y[i] : 0.0)) + dot;
}

static inline double residual(const double *restrict x, const double *restrict w, double b,
                              const double *restrict y, int64_t i, int d)
{
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < d; j++)
        dot += w[j] * x[j];
    return error_of(b, dot, y, i);
}

/*
 * X: N×D row-major, rows [lo, hi) → acc[0] = Σe, acc[1..D] = Σe·x, acc[D+1] = Σe²
 * Rows go four at a time so that each pass over the gradient accumulators g serves four
 * rows; g lives in the caller's thread-private buffer (no false sharing between threads).
 */
static void partials_slice(const double *restrict X, const double *restrict y, int64_t lo,
                           int64_t hi, int d, const double *restrict w, double b,
                           double *restrict acc)
{
    double *restrict g = acc + 1;
    double sum_e = 0, sum_e2 = 0;
    for (int j = 0; j < d; j++)
        g[j] = 0;
    int64_t i = lo;
    for (; i + 4 <= hi; i += 4) {
        const double *restrict x0 = X + i * d, *restrict x1 = x0 + d, *restrict x2 = x1 + d,
                     *restrict x3 = x2 + d;
        /* keep about 2 KB of rows in flight: one core alone cannot otherwise keep the
           memory system busy while it also computes */
        for (int k = 0; k < 4 * d; k += 8)
            __builtin_prefetch(x0 + 16 * d + k);
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
        for (int j = 0; j < d; j++) {
            d0 += w[j] * x0[j];
            d1 += w[j] * x1[j];
            d2 += w[j] * x2[j];
            d3 += w[j] * x3[j];
        }
        double e0 = error_of(b, d0, y, i), e1 = error_of(b, d1, y, i + 1);
        double e2 = error_of(b, d2, y, i + 2), e3 = error_of(b, d3, y, i + 3);
        sum_e += (e0 + e1) + (e2 + e3);
        sum_e2 += (e0 * e0 + e1 * e1) + (e2 * e2 + e3 * e3);
#pragma omp simd
        for (int j = 0; j < d; j++)
            g[j] += (e0 * x0[j] + e1 * x1[j]) + (e2 * x2[j] + e3 * x3[j]);
    }
    for (; i < hi; i++) {
        const double *restrict x = X + i * d;
        double e = residual(x, w, b, y, i, d);
        sum_e += e;
        sum_e2 += e * e;
#pragma omp simd
        for (int j = 0; j < d; j++)
            g[j] += e * x[j];
    }
    acc[0] = sum_e;
    acc[d + 1] = sum_e2;
}

void gd_partials(const double *X, const double *y, int64_t n, int d, const double *w, double b,
                 int n_threads, double *out)
{
    gd_partials_into(X, y, n, d, w, b, n_threads, out, 0);
}

void gd_partials_into(const double *X, const double *y, int64_t n, int d, const double *w,
                      double b, int n_threads, double *out, int add)
{
    int64_t parts = par_chunks(n);
    int stride = (d + 2 + 7) / 8 * 8 + 8;  /* whole cache lines, one line of padding between */
    double *part = lr_malloc((size_t)parts * (size_t)stride * sizeof *part);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        partials_slice(X, y, lo, hi, d, w, b, part + (size_t)k * stride);
    }
    if (!add)
        memcpy(out, part, (size_t)(d + 2) * sizeof *out);
    for (int64_t k = add ? 0 : 1; k < parts; k++)  /* part order: the same bits for any team */
        for (int j = 0; j < d + 2; j++)
            out[j] += part[(size_t)k * stride + j];
    free(part);
}

void gd_each_block(const struct gd_problem *pb, gd_block_fn fn, void *arg)
{
    if (pb->rows)
        pb->rows(pb->rows_ctx, fn, arg);
    else
        fn(arg, pb->X, pb->y, pb->w, pb->n_local);
}

struct gd_problem gd_validation(const struct gd_problem *pb)
{
    struct gd_problem v = *pb;
    v.X = pb->Xv, v.y = pb->yv, v.w = pb->wv;
    v.n_local = pb->nv_local, v.n_total = pb->nv_total, v.w_total = pb->wv_total;
    v.rows = pb->val_rows;
    return v;
}

/* gd_partials over every block of pb's rows (with_y 0: y as zeros). */
struct partials_pass {
    int d, n_threads, with_y, add;
    const double *w;
    double b, *out;
};
static void partials_block(void *arg, const double *X, const double *y, const double *w,
                           int64_t n)
{
    struct partials_pass *p = arg;
    gd_partials_into(X, p->with_y ? y : NULL, n, p->d, p->w, p->b, p->n_threads, p->out, p->add);
    p->add = 1;
}
static void partials_all(const struct gd_problem *pb, const double *w, double b, int with_y,
                         double *out)
{
    struct partials_pass p = {.d = pb->d, .n_threads = pb->n_threads, .with_y = with_y,
                              .w = w, .b = b, .out = out};
    memset(out, 0, (size_t)(pb->d + 2) * sizeof *out);  /* a rank without rows */
    gd_each_block(pb, partials_block, &p);
}

/* linalg_gram over every block of pb's rows. */
struct gram_pass {
    int d, n_threads;
    double *G;
};
static void gram_block(void *arg, const double *X, const double *y, const double *w, int64_t n)
{
    struct gram_pass *p = arg;
    linalg_gram_add(X, n, p->d, p->n_threads, p->G);
}

int gd_certify(const struct gd_problem *pb, double l2, const double *theta,
               double first_grad_norm, struct gd_certificate *c)
{
    int d = pb->d, m = d + 1;
    *c = (struct gd_certificate){.grad_reduction = NAN, .kappa = NAN, .bound = NAN,
                                 .kappa_z = NAN};
    if (m > GD_CERTIFY_MAX_FEATURES + 1)
        return -1;
    double *acc = lr_malloc((size_t)(d + 2) * sizeof *acc), g2 = 0;
    partials_all(pb, theta + 1, theta[0], 1, acc);
    comm_sum(acc, d + 2);
    double *grad = lr_malloc((size_t)m * sizeof *grad);
    for (int j = 0; j <= d; j++) {
        double g = j == 0 && !pb->intercept ? 0.0
                   : acc[j] / (double)pb->n_total + (j > 0 ? l2 / (double)pb->n_total * theta[j] : 0);
        grad[j] = g;
        g2 += g * g;
    }
    free(acc);
    if (pb->pc) {
        int rc = precond_certify(pb, pb->pc, grad, first_grad_norm, c);
        free(grad);
        return rc;
    }
    free(grad);
    double *H = lr_malloc((size_t)m * (size_t)m * sizeof *H), lo, hi;
    memset(H, 0, (size_t)m * (size_t)m * sizeof *H);
    gd_each_block(pb, gram_block, &(struct gram_pass){.d = d, .n_threads = pb->n_threads, .G = H});
    comm_sum(H, m * m);
    for (int j = 0; j < m; j++) {  /* H = X̃ᵀX̃/m + λ/m (the intercept not penalised) */
        for (int k = 0; k < m; k++)
            H[j * m + k] /= (double)pb->n_total;
        if (j > 0)
            H[j * m + j] += l2 / (double)pb->n_total;
    }
    /* The coordinates that can move: not b without an intercept, and not a weight whose
       column is all zeros (a constant column once centred): its gradient is 0 from the
       start, so its weight stays exactly 0 and takes no part in the bound. */
    int *keep = lr_malloc(sizeof(int) * (size_t)m), k = 0;
    for (int j = pb->intercept ? 0 : 1; j < m; j++)
        if (j == 0 || H[j * m + j] > l2 / (double)pb->n_total)
            keep[k++] = j;
    for (int a = 0; a < k; a++)  /* compact H to those rows and columns, in place */
        for (int b = 0; b < k; b++)
            H[a * k + b] = H[keep[a] * m + keep[b]];
    free(keep);
    linalg_sym_eig_range(H, k, &lo, &hi);
    free(H);
    /* an eigenvalue at the Gram matrix's rounding level is a dependence among the columns */
    if (lo <= 64 * DBL_EPSILON * (double)k * hi)
        lo = 0;
    c->grad_reduction = first_grad_norm > 0 ? sqrt(g2) / first_grad_norm : 0;
    c->kappa = lo > 0 ? sqrt(hi / lo) : INFINITY;
    c->bound = c->grad_reduction == 0 ? 0  /* an exact fit: the gradient vanished */
               : lo > 0 ? hi / lo * c->grad_reduction : INFINITY;
    return 0;
}

#define GD_POWER_ITERS 30

double gd_top_eigenvalue(const struct gd_problem *pb, gd_gram_fn gram, int u_len, double m)
{
    int d = pb->d;
    double *v = lr_malloc((size_t)(d + 1) * sizeof *v), *u = lr_malloc((size_t)u_len * sizeof *u);
    double norm = 0, lambda = 0;
    for (int j = 0; j <= d; j++) {  /* a fixed start with no special direction */
        v[j] = j == 0 && !pb->intercept ? 0.0 : 1.0 + 0.5 * sin(1.0 + 7.0 * j);
        norm += v[j] * v[j];
    }
    for (int j = 0; j <= d; j++)
        v[j] /= sqrt(norm);
    for (int it = 0; it < GD_POWER_ITERS; it++) {
        gram(pb, v, u);
        double rq = 0;  /* Rayleigh quotient vᵀ(X̃ᵀΩX̃/m)v with ‖v‖ = 1 */
        norm = 0;
        if (!pb->intercept)
            u[0] = 0;  /* X̃ = X: no column of ones */
        for (int j = 0; j <= d; j++) {
            u[j] /= m;
            rq += v[j] * u[j];
            norm += u[j] * u[j];
        }
        norm = sqrt(norm);
        int done = fabs(rq - lambda) <= 1e-3 * rq || norm == 0;
        lambda = rq;
        if (done)
            break;
        for (int j = 0; j <= d; j++)
            v[j] = u[j] / norm;
    }
    free(v);
    free(u);
    return lambda;
}

/* X̃ᵀX̃v of all ranks' rows (gd_partials with y = 0); preconditioned: Pᵀ(X̃ᵀX̃ + λ)Pv */
static void gram_rows(const struct gd_problem *pb, const double *v, double *u)
{
    double *t = NULL;
    if (pb->pc) {
        t = lr_malloc((size_t)(pb->d + 1) * sizeof *t);
        precond_apply(pb->pc, v, t);
        v = t;
    }
    partials_all(pb, v + 1, v[0], 0, u);
    comm_sum(u, pb->d + 2);
    if (pb->pc)
        precond_gram_out(pb->pc, t, u);
    free(t);
}

double gd_auto_lr(const struct gd_problem *pb, double l2)
{
    double lambda = gd_top_eigenvalue(pb, gram_rows, pb->d + 2, (double)pb->n_total);
    /* The Rayleigh quotient approaches L from below, and is close long before the vector
       converges when the top eigenvalues cluster: keep a margin. */
    double L = 1.05 * lambda + (pb->pc ? 0 : l2 / (double)pb->n_total);
    return L > 0 ? 1.0 / L : 1.0;
}

void gd_state_init(struct gd_state *s, int d)
{
    memset(s, 0, sizeof *s);
    s->theta = lr_calloc((size_t)d + 1, sizeof *s->theta);
    s->look = lr_calloc((size_t)d + 1, sizeof *s->look);
    s->best_theta = lr_calloc((size_t)d + 1, sizeof *s->best_theta);
    s->best_val_loss = INFINITY;
}

void gd_state_free(struct gd_state *s)
{
    free(s->theta);
    free(s->look);
    free(s->best_theta);
    s->theta = s->look = s->best_theta = NULL;
}

/* The stopping rules of gd.h; updates the stall counter. */
int gd_epoch_end(const struct gd_params *p, struct gd_state *s, int d, double loss,
                 double grad_norm, int has_val, double val_loss, double alpha,
                 struct lr_error *e)
{
    s->epoch++;
    if (s->epoch == 1)
        s->first_loss = loss;
    if (!isfinite(loss) || loss > 1e4 * s->first_loss)
        return lr_fail(e, LR_EDIVERGED,
                       "training diverged at epoch %lld: loss %.6g (it started at %.6g) with "
                       "learning rate %g; use a smaller --lr, or --lr auto",
                       (long long)s->epoch, loss, s->first_loss, alpha);
    if (s->epoch == 1)
        s->first_grad_norm = s->best_grad_norm = s->halving_norm = grad_norm;
    s->stop = gd_stop_test(p, s, loss, grad_norm);
    if (has_val) {  /* early stopping: remember where validation was best */
        if (val_loss < s->best_val_loss) {
            s->best_val_loss = val_loss;
            s->best_epoch = s->epoch;
            s->since_best = 0;
            memcpy(s->best_theta, s->look, (size_t)(d + 1) * sizeof *s->look);
        } else if (p->patience > 0 && ++s->since_best >= p->patience) {
            s->stop = GD_EARLY_STOP;
        }
    }
    s->prev_loss = loss;
    return 0;
}

enum gd_stop gd_stop_test(const struct gd_params *p, struct gd_state *s, double loss,
                          double grad_norm)
{
    if (s->epoch == 1 || (!p->tol_auto && p->tol == 0))
        return GD_RUNNING;  /* --tol 0: exactly max_epochs, whatever happens */
    if (loss <= GD_EXACT_FIT * s->first_loss)
        return GD_CONVERGED;  /* an exact fit: nothing left to improve */
    double change = fabs(s->prev_loss - loss);
    if (!p->tol_auto)
        return change <= p->tol * loss ? GD_CONVERGED : GD_RUNNING;
    /* Stalled: the loss moves at rounding level and the gradient makes no new low. A
       flat loss alone is not enough: it is flat along ill-determined directions long
       before the weights along them have converged. */
    int new_low = grad_norm < s->best_grad_norm;
    if (new_low)
        s->best_grad_norm = grad_norm;
    s->stalled_epochs = change <= GD_STALL_TOL * loss && !new_low ? s->stalled_epochs + 1 : 0;
    if (grad_norm <= GD_AUTO_GTOL * s->first_grad_norm)
        return GD_CONVERGED;
    if (p->preconditioned) {
        if (grad_norm <= 0.5 * s->halving_norm)
            s->halving_norm = grad_norm, s->since_halving = 0;
        else if (++s->since_halving >= GD_STALL_EPOCHS)
            return GD_STALLED;
    }
    return s->stalled_epochs >= GD_STALL_EPOCHS ? GD_STALLED : GD_RUNNING;
}

int gd_run(const struct gd_problem *pb, const struct gd_params *p, struct gd_state *s,
           gd_epoch_fn on_epoch, void *ctx, struct lr_error *e)
{
    int d = pb->d, rc = 0;
    double m = (double)pb->n_total, alpha = s->lr;
    double *acc = lr_malloc((size_t)(d + 5) * sizeof *acc);
    double *grad = lr_malloc((size_t)(d + 1) * sizeof *grad);
    double *next = lr_malloc((size_t)(d + 1) * sizeof *next);
    double *gz = lr_malloc((size_t)(d + 1) * sizeof *gz);
    double *step = pb->pc ? lr_malloc((size_t)(d + 1) * sizeof *step) : grad;
    double *vacc = lr_malloc((size_t)(d + 2) * sizeof *vacc);
    struct gd_problem val = gd_validation(pb);
    while (s->epoch < p->max_epochs && s->stop == GD_RUNNING && !s->stopped) {
        double t0 = comm_wtime();
        partials_all(pb, s->look + 1, s->look[0], 1, acc);
        acc[d + 2] = 0;
        if (pb->nv_total > 0) {  /* the validation loss, its sum of squares */
            partials_all(&val, s->look + 1, s->look[0], 1, vacc);
            acc[d + 2] = vacc[d + 1];
        }
        acc[d + 3] = pb->stop && *pb->stop ? 1.0 : 0.0;
        acc[d + 4] = pb->rows_failed && *pb->rows_failed ? 1.0 : 0.0;
        double t1 = comm_wtime();
        comm_sum(acc, d + 5);  /* the epoch's one Allreduce */
        double t2 = comm_wtime();
        if (acc[d + 4] > 0) {  /* sums without a block: no loss, step or epoch line */
            s->stopped = 1;
            break;
        }

        double w2 = 0, g2 = 0;
        for (int j = 1; j <= d; j++)
            w2 += s->look[j] * s->look[j];
        double loss = acc[d + 1] / (2 * m) + p->l2 / (2 * m) * w2;
        grad[0] = pb->intercept ? acc[0] / m : 0.0;
        for (int j = 1; j <= d; j++)
            grad[j] = acc[j] / m + p->l2 / m * s->look[j];
        if (pb->pc) {  /* the gradient in z, and the step P Pᵀ∇J back in θ */
            g2 = precond_grad(pb->pc, grad, gz);
            precond_apply(pb->pc, gz, step);
        } else {
            for (int j = 0; j <= d; j++)
                g2 += grad[j] * grad[j];
        }
        double val_loss = pb->nv_total > 0 ? acc[d + 2] / (2 * (double)pb->nv_total) : NAN;
        if ((rc = gd_epoch_end(p, s, d, loss, sqrt(g2), pb->nv_total > 0, val_loss, alpha,
                               e)) < 0)
            break;

        /* the update, identical on every rank */
        for (int j = 0; j <= d; j++)
            next[j] = s->look[j] - alpha * step[j];
        if (p->solver == SOLVER_NESTEROV) {
            double dir = 0;  /* restart when the step points uphill for the momentum */
            for (int j = 0; j <= d; j++)
                dir += grad[j] * (next[j] - s->theta[j]);
            double beta = dir > 0 ? 0 : (double)s->momentum_k / (double)(s->momentum_k + 3);
            s->momentum_k = dir > 0 ? 0 : s->momentum_k + 1;
            for (int j = 0; j <= d; j++) {
                s->look[j] = next[j] + beta * (next[j] - s->theta[j]);
                s->theta[j] = next[j];
            }
        } else {
            memcpy(s->theta, next, (size_t)(d + 1) * sizeof *next);
            memcpy(s->look, next, (size_t)(d + 1) * sizeof *next);
        }
        s->stopped = acc[d + 3] > 0;
        if (on_epoch) {
            struct gd_epoch_info info = {
                .epoch = s->epoch, .loss = loss, .grad_norm = sqrt(g2), .lr = alpha,
                .seconds = comm_wtime() - t0, .compute_seconds = t1 - t0,
                .allreduce_seconds = t2 - t1, .val_loss = val_loss,
            };
            on_epoch(&info, s, ctx);
        }
    }
    free(acc);
    free(vacc);
    free(grad);
    free(next);
    free(gz);
    if (pb->pc)
        free(step);
    return rc;
}
