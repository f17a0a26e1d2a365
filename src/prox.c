/* prox.c — proximal gradient for the elastic net, the Huber loss and sample weights; see
   prox.h for the maths. */
#include "prox.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "linalg.h"
#include "par.h"
#include "precond.h"

/* X: N×D row-major, rows [lo, hi) → acc[0..D+2] as prox_partials says. */
static void partials_slice(const double *restrict X, const double *restrict y,
                           const double *restrict w, int64_t lo, int64_t hi, int d,
                           const double *restrict wt, double b, int huber, double sigma,
                           double delta, double *restrict acc)
{
    double *restrict g = acc + 1;
    double s0 = 0, sl = 0, ss = 0;
    for (int j = 0; j < d; j++)
        g[j] = 0;
    for (int64_t i = lo; i < hi; i++) {
        const double *restrict x = X + i * d;
        double dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < d; j++)
            dot += wt[j] * x[j];
        double e = (b - (y ? y[i] : 0.0)) + dot, om = w ? w[i] : 1.0, r = e;
        if (huber) {
            double z = e / sigma;
            r = prox_huber_psi(z, delta);
            sl += om * sigma * (1 + prox_huber_rho(z, delta));
            ss += om * (1 - fmin(z * z, delta * delta));
        } else {
            sl += om * e * e;
        }
        r *= om;
        s0 += r;
#pragma omp simd
        for (int j = 0; j < d; j++)
            g[j] += r * x[j];
    }
    acc[0] = s0;
    acc[d + 1] = sl;
    acc[d + 2] = ss;
}

/* prox_partials added to out (add 1: rows that follow those out holds, parts summed on in
   order). */
static void partials_into(const double *X, const double *y, const double *w, int64_t n, int d,
                          const double *wt, double b, int huber, double sigma, double delta,
                          int n_threads, double *out, int add)
{
    int64_t parts = par_chunks(n);
    int stride = (d + 3 + 7) / 8 * 8 + 8;  /* whole cache lines, one line of padding */
    double *part = lr_malloc((size_t)parts * (size_t)stride * sizeof *part);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        partials_slice(X, y, w, lo, hi, d, wt, b, huber, sigma, delta,
                       part + (size_t)k * stride);
    }
    if (!add)
        memcpy(out, part, (size_t)(d + 3) * sizeof *out);
    for (int64_t k = add ? 0 : 1; k < parts; k++)  /* part order: the same bits for any team */
        for (int j = 0; j < d + 3; j++)
            out[j] += part[(size_t)k * stride + j];
    free(part);
}

void prox_partials(const double *X, const double *y, const double *w, int64_t n, int d,
                   const double *wt, double b, int huber, double sigma, double delta,
                   int n_threads, double *out)
{
    partials_into(X, y, w, n, d, wt, b, huber, sigma, delta, n_threads, out, 0);
}

/* prox_partials over every block of pb's training rows (with_y 0: y as zeros). */
struct partials_pass {
    int d, n_threads, with_y, huber, add;
    const double *wt;
    double b, sigma, delta, *out;
};
static void partials_block(void *arg, const double *X, const double *y, const double *w,
                           int64_t n)
{
    struct partials_pass *p = arg;
    partials_into(X, p->with_y ? y : NULL, w, n, p->d, p->wt, p->b, p->huber, p->sigma,
                  p->delta, p->n_threads, p->out, p->add);
    p->add = 1;
}
static void partials_all(const struct gd_problem *pb, const double *wt, double b, int with_y,
                         int huber, double sigma, double delta, double *out)
{
    struct partials_pass p = {.d = pb->d, .n_threads = pb->n_threads, .with_y = with_y,
                              .huber = huber, .wt = wt, .b = b, .sigma = sigma,
                              .delta = delta, .out = out};
    memset(out, 0, (size_t)(pb->d + 3) * sizeof *out);  /* a rank without rows */
    gd_each_block(pb, partials_block, &p);
}

/* G += [1 X]ᵀ Ω [1 X] over rows that follow those G holds (w NULL: Ω = I); each row of G
   is one thread's, summed in row order: the same bits for any team and any blocks. */
static void gram_weighted_add(const double *X, const double *w, int64_t n, int d, int n_threads,
                              double *G)
{
    int m = d + 1;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int j = 0; j < m; j++) {
        double *g = G + (size_t)j * (size_t)m;
        for (int64_t i = 0; i < n; i++) {
            const double *x = X + i * d;
            double xj = (j == 0 ? 1.0 : x[j - 1]) * (w ? w[i] : 1.0);
            g[0] += xj;
            for (int k = 1; k < m; k++)
                g[k] += xj * x[k - 1];
        }
    }
}

struct gram_pass {
    int d, n_threads;
    double *G;
};
static void gram_block(void *arg, const double *X, const double *y, const double *w, int64_t n)
{
    struct gram_pass *p = arg;
    gram_weighted_add(X, w, n, p->d, p->n_threads, p->G);
}

/* X̃ᵀΩX̃v of all ranks' rows (the fused kernel with y = 0, weighted); preconditioned:
   Pᵀ(X̃ᵀΩX̃ + l2)Pv */
static void gram_times(const struct gd_problem *pb, const double *v, double *u)
{
    double *t = NULL;
    if (pb->pc) {
        t = lr_malloc((size_t)(pb->d + 1) * sizeof *t);
        precond_apply(pb->pc, v, t);
        v = t;
    }
    partials_all(pb, v + 1, v[0], 0, 0, 1, 0, u);
    comm_sum(u, pb->d + 1);
    if (pb->pc)
        precond_gram_out(pb->pc, t, u);
    free(t);
}

double prox_auto_lr(const struct gd_problem *pb, const struct gd_params *p)
{
    /* the Rayleigh quotient approaches from below */
    double lambda = 1.05 * gd_top_eigenvalue(pb, gram_times, pb->d + 3, pb->w_total);
    double L = p->huber ? lambda + p->huber_delta * p->huber_delta
               : lambda + (pb->pc ? 0 : p->l2 / pb->w_total);  /* P's operator holds l2 */
    return L > 0 ? 1.0 / L : 1.0;
}

/* prox_sigma0's sums over a block: Σω and Σωy (pass 0), then Σω(y − mean)² (pass 1). */
struct sigma_pass {
    int pass;
    double mean, s[3];
};
static void sigma_block(void *arg, const double *X, const double *y, const double *w, int64_t n)
{
    struct sigma_pass *p = arg;
    for (int64_t i = 0; i < n; i++) {
        double om = w ? w[i] : 1.0;
        if (p->pass == 0)
            p->s[0] += om, p->s[1] += om * y[i];
        else
            p->s[2] += om * (y[i] - p->mean) * (y[i] - p->mean);
    }
}

double prox_sigma0(const struct gd_problem *pb)
{
    struct sigma_pass p = {.pass = 0};  /* Σω, Σωy, Σωy² on this rank, then all */
    gd_each_block(pb, sigma_block, &p);
    comm_sum(p.s, 2);
    p.mean = p.s[0] > 0 ? p.s[1] / p.s[0] : 0;
    p.pass = 1;
    gd_each_block(pb, sigma_block, &p);
    comm_sum(p.s + 2, 1);
    double sd = p.s[0] > 0 ? sqrt(p.s[2] / p.s[0]) : 0;
    return sd > 0 && isfinite(sd) ? sd : 1.0;
}

/* The step at scale σ (Huber) or the fixed one (squared). */
static double step_at(const struct gd_params *p, double lr, double sigma, double m)
{
    return p->huber ? 1.0 / (1.0 / (lr * sigma) + p->l2 / m) : lr;
}

/* The prox step from v (θ D+1, σ) with gradient g (D+2: b, w, σ) and step α into next;
   returns ‖G‖² with G = (v − next)/α. */
static double prox_step(const struct gd_problem *pb, const struct gd_params *p, const double *v,
                        double sigma_v, const double *g, double alpha, double sigma_floor,
                        double *next, double *sigma_next)
{
    int d = pb->d;
    double t = alpha * p->l1 / pb->w_total, r2 = 0;
    next[0] = pb->intercept ? v[0] - alpha * g[0] : 0.0;
    for (int j = 1; j <= d; j++)
        next[j] = prox_soft_threshold(v[j] - alpha * g[j], t);
    for (int j = 0; j <= d; j++)
        r2 += (v[j] - next[j]) * (v[j] - next[j]);
    *sigma_next = sigma_v;
    if (p->huber) {
        *sigma_next = fmax(sigma_v - alpha * g[d + 1], sigma_floor);
        r2 += (sigma_v - *sigma_next) * (sigma_v - *sigma_next);
    }
    return r2 / (alpha * alpha);
}

/* The smooth gradient (D+2) and J at (θ, σ) from the reduced sums acc. */
static double objective(const struct gd_problem *pb, const struct gd_params *p, const double *acc,
                        const double *theta, double *g)
{
    int d = pb->d;
    double m = pb->w_total, w2 = 0, w1 = 0;
    g[0] = pb->intercept ? acc[0] / m : 0.0;
    for (int j = 1; j <= d; j++) {
        g[j] = acc[j] / m + p->l2 / m * theta[j];
        w2 += theta[j] * theta[j];
        w1 += fabs(theta[j]);
    }
    g[d + 1] = p->huber ? acc[d + 2] / (2 * m) : 0.0;
    return acc[d + 1] / (2 * m) + p->l2 / (2 * m) * w2 + p->l1 / m * w1;
}

/*
 * FISTA with restart on J = f + l1/m‖w‖₁ (prox.h). Per epoch, at the look-ahead v (θ, σ):
 *   one pass: Σωψ, Σωψx, Σωℓ, Σω(1 − min(z², δ²)) (validation: Σωℓ), one Allreduce;
 *   ∇f(v) from them; p = prox_{α l1/m ‖·‖₁}(v − α∇f(v)) (b, σ plain steps, σ ≥ floor);
 *   G = (v − p)/α, ‖G‖ the stopping rules' gradient norm;
 *   nesterov: β = k/(k+3), restart (β = 0, k = 0) when G·(p − θ) > 0; v ← p + β(p − θ).
 */
int prox_run(const struct gd_problem *pb, const struct gd_params *p, struct gd_state *s,
             gd_epoch_fn on_epoch, void *ctx, struct lr_error *e)
{
    int d = pb->d, rc = 0, k = d + 3;
    double *acc = lr_malloc((size_t)(k + 3) * sizeof *acc);
    double *vacc = lr_malloc((size_t)k * sizeof *vacc);
    double *grad = lr_malloc((size_t)(d + 2) * sizeof *grad);
    double *next = lr_malloc((size_t)(d + 1) * sizeof *next);
    double *raw = lr_malloc((size_t)(d + 1) * sizeof *raw), *gz = lr_malloc((size_t)(d + 1) * sizeof *gz);
    /* the floor on σ: a fixed fraction of where it started (checkpointed with σ's start) */
    double sigma_floor = PROX_SIGMA_FLOOR * s->first_sigma;
    struct gd_problem val = gd_validation(pb);
    while (s->epoch < p->max_epochs && s->stop == GD_RUNNING && !s->stopped) {
        double t0 = comm_wtime();
        partials_all(pb, s->look + 1, s->look[0], 1, p->huber, s->sigma_look, p->huber_delta,
                     acc);
        acc[k] = 0;
        if (pb->nv_total > 0) {  /* the validation loss */
            partials_all(&val, s->look + 1, s->look[0], 1, p->huber, s->sigma_look,
                         p->huber_delta, vacc);
            acc[k] = vacc[d + 1];
        }
        acc[k + 1] = pb->stop && *pb->stop ? 1.0 : 0.0;
        acc[k + 2] = pb->rows_failed && *pb->rows_failed ? 1.0 : 0.0;
        double t1 = comm_wtime();
        comm_sum(acc, k + 3);  /* the epoch's one Allreduce */
        double t2 = comm_wtime();
        if (acc[k + 2] > 0) {  /* sums without a block: no loss, step or epoch line */
            s->stopped = 1;
            break;
        }

        double loss = objective(pb, p, acc, s->look, grad);
        double alpha = step_at(p, s->lr, s->sigma_look, pb->w_total), sigma_next, gz2 = 0;
        if (pb->pc) {  /* squared loss without l1 (precond.h): the step P Pᵀ∇f, ‖Pᵀ∇f‖ */
            memcpy(raw, grad, (size_t)(d + 1) * sizeof *raw);
            gz2 = precond_grad(pb->pc, raw, gz);
            precond_apply(pb->pc, gz, grad);
        }
        double g2 = prox_step(pb, p, s->look, s->sigma_look, grad, alpha, sigma_floor, next,
                              &sigma_next);
        if (pb->pc)
            g2 = gz2;
        double val_loss = pb->nv_total > 0 ? acc[k] / (2 * pb->wv_total) : NAN;
        if ((rc = gd_epoch_end(p, s, d, loss, sqrt(g2), pb->nv_total > 0, val_loss, alpha,
                               e)) < 0)
            break;

        if (p->solver == SOLVER_NESTEROV) {
            /* restart when the step points uphill for the momentum: G·(p − θ) > 0 */
            double dir = 0;  /* preconditioned: ∇f·(p − θ), the same test in z */
            for (int j = 0; j <= d; j++)
                dir += (pb->pc ? raw[j] : s->look[j] - next[j]) * (next[j] - s->theta[j]);
            dir += (s->sigma_look - sigma_next) * (sigma_next - s->sigma);
            double beta = dir > 0 ? 0 : (double)s->momentum_k / (double)(s->momentum_k + 3);
            s->momentum_k = dir > 0 ? 0 : s->momentum_k + 1;
            for (int j = 0; j <= d; j++) {
                s->look[j] = next[j] + beta * (next[j] - s->theta[j]);
                s->theta[j] = next[j];
            }
            s->sigma_look = fmax(sigma_next + beta * (sigma_next - s->sigma), sigma_floor);
            s->sigma = sigma_next;
        } else {
            memcpy(s->theta, next, (size_t)(d + 1) * sizeof *next);
            memcpy(s->look, next, (size_t)(d + 1) * sizeof *next);
            s->sigma = s->sigma_look = sigma_next;
        }
        s->stopped = acc[k + 1] > 0;
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
    free(raw);
    free(gz);
    return rc;
}

int prox_certify(const struct gd_problem *pb, const struct gd_params *p, const struct gd_state *s,
                 struct gd_certificate *c)
{
    int d = pb->d, m = d + 1;
    const double *theta = s->theta;
    *c = (struct gd_certificate){.grad_reduction = NAN, .kappa = NAN, .bound = NAN,
                                 .kappa_z = NAN};
    double *acc = lr_malloc((size_t)(d + 3) * sizeof *acc);
    double *grad = lr_malloc((size_t)(d + 2) * sizeof *grad);
    double *next = lr_malloc((size_t)m * sizeof *next), sigma_next;
    partials_all(pb, theta + 1, theta[0], 1, p->huber, s->sigma, p->huber_delta, acc);
    comm_sum(acc, d + 3);
    objective(pb, p, acc, theta, grad);
    double alpha = step_at(p, s->lr, s->sigma, pb->w_total);
    if (pb->pc) {  /* squared loss without l1: quadratic, the bound in z (precond.h) */
        int rc = precond_certify(pb, pb->pc, grad, s->first_grad_norm, c);
        free(acc);
        free(grad);
        free(next);
        return rc;
    }
    double res = sqrt(prox_step(pb, p, theta, s->sigma, grad, alpha,
                                PROX_SIGMA_FLOOR * s->first_sigma, next, &sigma_next));
    free(acc);
    free(grad);
    free(next);
    c->grad_reduction = s->first_grad_norm > 0 ? res / s->first_grad_norm : 0;
    if (p->huber) {
        c->bound = c->grad_reduction;
        return 0;
    }
    if (m > GD_CERTIFY_MAX_FEATURES + 1)
        return -1;
    double *H = lr_malloc((size_t)m * (size_t)m * sizeof *H), lo, hi, mw = pb->w_total;
    memset(H, 0, (size_t)m * (size_t)m * sizeof *H);
    gd_each_block(pb, gram_block, &(struct gram_pass){.d = d, .n_threads = pb->n_threads, .G = H});
    comm_sum(H, m * m);
    for (int j = 0; j < m; j++) {  /* H = X̃ᵀΩX̃/m + l2/m (the intercept not penalised) */
        for (int q = 0; q < m; q++)
            H[j * m + q] /= mw;
        if (j > 0)
            H[j * m + j] += p->l2 / mw;
    }
    /* coordinates that can move: not b without an intercept, not a weight whose column is
       all zeros once centred (its gradient is 0 from the start, so it stays 0) */
    int *keep = lr_malloc(sizeof(int) * (size_t)m), n = 0;
    for (int j = pb->intercept ? 0 : 1; j < m; j++)
        if (j == 0 || H[j * m + j] > p->l2 / mw)
            keep[n++] = j;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            H[a * n + b] = H[keep[a] * m + keep[b]];
    free(keep);
    linalg_sym_eig_range(H, n, &lo, &hi);
    free(H);
    if (lo <= 64 * DBL_EPSILON * (double)n * hi)
        lo = 0;
    double norm = 0;
    for (int j = 0; j < m; j++)
        norm += theta[j] * theta[j];
    norm = sqrt(norm);
    c->kappa = lo > 0 ? sqrt(hi / lo) : INFINITY;
    c->bound = res == 0 ? 0 : lo > 0 && norm > 0 ? res * (alpha + 2 / lo) / norm : INFINITY;
    return 0;
}

double prox_objective(const struct gd_problem *pb, const struct gd_params *p, const double *theta,
                      double sigma)
{
    int d = pb->d;
    double *acc = lr_malloc((size_t)(d + 3) * sizeof *acc);
    double *grad = lr_malloc((size_t)(d + 2) * sizeof *grad);
    partials_all(pb, theta + 1, theta[0], 1, p->huber, sigma, p->huber_delta, acc);
    comm_sum(acc, d + 3);
    double J = objective(pb, p, acc, theta, grad);
    free(acc);
    free(grad);
    return J;
}
