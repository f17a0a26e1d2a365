/* precond.c — the row-sample preconditioner of the gradient solvers; see precond.h. */
#include "precond.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exact.h"
#include "hash.h"
#include "stats.h"

int64_t precond_default_rows(int64_t asked, int m, int64_t n_total)
{
    int64_t s = asked > 0 ? asked : (int64_t)PRECOND_ROWS_PER_COLUMN * m;
    if (asked <= 0 && s < PRECOND_MIN_ROWS)
        s = PRECOND_MIN_ROWS;
    return s < n_total ? s : n_total;
}

/* Rows of this rank in the sample (global position base + i hashed with the seed against
   fraction), packed as D values then ω: *out allocated, returns the count. */
struct pick {
    int d;
    double fraction;
    uint64_t key;
    int64_t at, k, cap;        /* the next row's global position; rows kept, room */
    double *rows;
};
static void pick_block(void *arg, const double *X, const double *y, const double *w, int64_t n)
{
    struct pick *p = arg;
    int d = p->d, width = d + 1;
    for (int64_t i = 0; i < n; i++, p->at++) {
        if (p->fraction < 1 &&
            (double)(mix64(p->key ^ (uint64_t)p->at) >> 11) * 0x1p-53 >= p->fraction)
            continue;
        if (p->k == p->cap)
            p->rows = lr_realloc(p->rows, sizeof(double) * (size_t)width * (size_t)(p->cap *= 2));
        memcpy(p->rows + p->k * width, X + i * d, sizeof(double) * (size_t)d);
        p->rows[p->k * width + d] = w ? w[i] : 1.0;
        p->k++;
    }
}
static int64_t pick_rows(const struct gd_problem *pb, double fraction, uint64_t seed,
                         double **out)
{
    struct pick p = {.d = pb->d, .fraction = fraction, .at = comm_exscan_i64(pb->n_local),
                     .key = mix64(seed ^ 0xBB67AE8584CAA73Bu),  /* not the validation split's */
                     .cap = 1, .rows = lr_malloc(sizeof(double) * (size_t)(pb->d + 1))};
    gd_each_block(pb, pick_block, &p);
    *out = p.rows;
    return p.k;
}

/* What rank 0 makes of the sample and every rank receives: the sample's own scaling, the
   columns it factors and its R⁻¹. None of it depends on the rank count (the training
   scaling does, by rounding: it enters only when each rank assembles P). */
struct sample_factor {
    int k;                     /* columns factored (θ indices in theta_of) */
    int *theta_of;             /* k */
    double *rinv;              /* k×k column-major: R⁻¹ of the sample in its own scaling */
    double *mu, *sd;           /* m: the sample's scaling (mu[0] = 0, sd[0] = 1) */
    int n_fallback;
    int *fallback, *why;       /* m each */
};

/* Rank 0: the factor of the s gathered raw rows S (s × (D+1): values then ω). mean, scale:
   the training scaling (for the fallback test, in the coordinates the solver uses). */
static void factor_sample(const struct gd_problem *pb, const double *S, int64_t s,
                          const double *mean, const double *scale, const struct precond *pc,
                          struct sample_factor *sf)
{
    int d = pb->d, m = d + 1, w = d + 1;
    double ws = 0, *sdiag = lr_malloc(sizeof(double) * (size_t)m);
    double *sq = lr_malloc(sizeof(double) * (size_t)m);  /* Σ (ω t²)²: how spread out */
    /* the sample's own weighted mean and spread (centred only with an intercept) */
    for (int j = 0; j < m; j++)
        sf->mu[j] = 0, sf->sd[j] = 0, sdiag[j] = 0, sq[j] = 0;
    for (int64_t i = 0; i < s; i++) {
        double om = S[i * w + d];
        ws += om;
        for (int j = 0; j < d; j++)
            sf->mu[j + 1] += om * S[i * w + j];
    }
    for (int j = 1; j < m; j++)
        sf->mu[j] = pb->intercept && ws > 0 ? sf->mu[j] / ws : 0;
    for (int64_t i = 0; i < s; i++) {
        double om = S[i * w + d];
        for (int j = 0; j < d; j++) {
            double c = S[i * w + j] - sf->mu[j + 1], t = (S[i * w + j] - mean[j]) / scale[j];
            sf->sd[j + 1] += om * c * c;
            sdiag[j + 1] += om * t * t;
            sq[j + 1] += om * t * t * om * t * t;
        }
    }
    sf->sd[0] = 1;
    for (int j = 1; j < m; j++)
        sf->sd[j] = ws > 0 && sf->sd[j] > 0 ? sqrt(sf->sd[j] / ws) : 1;
    /* the columns the sample sees as the data does; the others fall back. The relative
       variance of the sample's share is about (1 − f)/n_eff for a sampled fraction f: none
       when the sample is every row */
    double fraction = pb->n_total > 0 ? (double)s / (double)pb->n_total : 1;
    int *col = lr_malloc(sizeof(int) * (size_t)m), k0 = 0, *state = lr_malloc(sizeof(int) * (size_t)m);
    for (int j = 1; j < m; j++) {
        /* the share of the data's Σωt² the sample holds, and over how many rows (Kish's
           effective count): one row of a rare level can hold its whole share by chance */
        double r = ws > 0 ? sdiag[j] / ws / pc->diag[j] : 0;
        double n_eff = sq[j] > 0 ? sdiag[j] * sdiag[j] / sq[j] : 0;
        state[j] = pc->diag[j] == 0 ? PRECOND_CONSTANT
                   : !(r >= 1 / PRECOND_DIAG_RATIO && r <= PRECOND_DIAG_RATIO) ||
                             n_eff < PRECOND_MIN_EFFECTIVE_ROWS * (1 - fraction) ? PRECOND_SPREAD
                   : -1;
        if (state[j] < 0)
            col[k0++] = j;
    }
    state[0] = -1;
    /* the sample in its own scaling, √ω-weighted, by the exact solver's QR; with l2 its
       ridge rows in the solver's coordinates (w_t,j = (σ_j/σ_s,j) w_s,j, so √λ_S·σ_j/σ_s,j,
       the ratio rounded to single precision so that the last bits of σ_j, which depend on
       the rank count, stay out; λ_S = l2 at the sample's share of the rows) */
    double *Xs = lr_malloc(sizeof(double) * (size_t)(s ? s : 1) * (size_t)(k0 ? k0 : 1));
    double *om = lr_malloc(sizeof(double) * (size_t)(s ? s : 1));
    double *ridge = lr_malloc(sizeof(double) * (size_t)(k0 ? k0 : 1));
    for (int64_t i = 0; i < s; i++) {
        for (int q = 0; q < k0; q++) {
            int j = col[q];
            Xs[i * k0 + q] = (S[i * w + j - 1] - sf->mu[j]) / sf->sd[j];
        }
        om[i] = S[i * w + d];
    }
    for (int q = 0; q < k0; q++)
        ridge[q] = (float)(scale[col[q] - 1] / sf->sd[col[q]]);
    double lambda_s = pb->n_total > 0 ? pc->l2 * (double)s / (double)pb->n_total : 0;  /* Σω ≈ ws·N/s */
    struct exact_problem xp = {.X = Xs, .n_local = s, .n_total = s, .d = k0,
                               .intercept = pb->intercept, .l2 = lambda_s,
                               .n_threads = pb->n_threads, .w = om, .ridge = ridge};
    struct exact_fit f = {0};
    int k = 0;
    if (ws > 0) {
        exact_factor_local(&xp, &f);
        k = f.rank;
    }
    sf->k = k;
    sf->theta_of = lr_malloc(sizeof(int) * (size_t)(k ? k : 1));
    sf->rinv = lr_malloc(sizeof(double) * (size_t)(k ? k * k : 1));
    unsigned char *in_r = lr_calloc((size_t)m, 1);
    for (int q = 0; q < k; q++) {
        sf->theta_of[q] = f.kept[q] == 0 ? 0 : col[f.kept[q] - 1];
        in_r[sf->theta_of[q]] = 1;
    }
    if (k > 0) {  /* R scaled to the sample's Σω: RᵀR ≈ the Hessian */
        double sc = sqrt(ws);
        for (int q = 0; q < k * k; q++)
            sf->rinv[q] = f.R[q] / sc;
        LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', k, sf->rinv, k);
    }
    sf->n_fallback = 0;
    for (int j = pb->intercept ? 0 : 1; j < m; j++)
        if (!in_r[j]) {
            sf->fallback[sf->n_fallback] = j;
            sf->why[sf->n_fallback++] = state[j] >= 0 ? state[j] : PRECOND_DEPENDENT;
        }
    exact_fit_free(&f);
    free(in_r);
    free(Xs);
    free(om);
    free(ridge);
    free(col);
    free(state);
    free(sdiag);
    free(sq);
}

/* Every rank: P = A R_s⁻¹ on the factored columns, A the map from the training scaling to
   the sample's ([1 z_s] = [1 z_t] A: A_00 = 1, A_0j = (μ_j − μ_s,j)/σ_s,j, A_jj = σ_j/σ_s,j,
   so θ_t = A θ_s); column scaling on the others. */
static void assemble(const struct sample_factor *sf, const double *mean, const double *scale,
                     int intercept, struct precond *pc)
{
    int m = pc->m, k = sf->k;
    double *A0 = lr_malloc(sizeof(double) * (size_t)m), *Ad = lr_malloc(sizeof(double) * (size_t)m);
    A0[0] = Ad[0] = 1;
    for (int j = 1; j < m; j++) {
        double mu_t = intercept ? mean[j - 1] : 0;
        A0[j] = (mu_t - sf->mu[j]) / sf->sd[j];
        Ad[j] = scale[j - 1] / sf->sd[j];
    }
    memset(pc->P, 0, sizeof(double) * (size_t)m * (size_t)m);
    for (int q = 0; q < k; q++) {  /* row θ index a = theta_of[q] */
        int a = sf->theta_of[q];
        for (int r = 0; r < k; r++) {
            double v = Ad[a] * sf->rinv[(size_t)r * k + q];
            if (a == 0)  /* the intercept's row of A also holds A_0j on the other rows */
                for (int t = 0; t < k; t++)
                    if (sf->theta_of[t] != 0)
                        v += A0[sf->theta_of[t]] * sf->rinv[(size_t)r * k + t];
            pc->P[(size_t)a * m + sf->theta_of[r]] = v;
        }
    }
    unsigned char *in_r = lr_calloc((size_t)m, 1);
    for (int q = 0; q < k; q++)
        in_r[sf->theta_of[q]] = 1;
    /* column scaling, 1/√H_jj to the nearest power of two (H_jj is a reduced sum whose last
       bits depend on the rank count; z-scored columns have H_jj = 1) */
    for (int j = 0; j < m; j++)
        if (!in_r[j]) {
            double h = pc->diag[j] + (j > 0 ? pc->l2 / pc->m_loss : 0);
            pc->P[(size_t)j * m + j] = h > 0 && isfinite(h) ? ldexp(1.0, (int)lround(-0.5 * log2(h)))
                                                             : 1.0;
        }
    free(in_r);
    free(A0);
    free(Ad);
}

/* Rank 0: cond[0] = κ(H) over the factored columns as the sample sees it (cond(P_K)²), and
   cond[1] = the condition that sampling alone adds, ((1 + r)/(1 − r))² with r² = k(1 − f)/s
   for k columns, s rows and a sampled fraction f (the extreme singular values of a random
   s × k design; ∞ when r ≥ ½, a sample too small to trust). */
static void sample_condition(const struct precond *pc, const struct sample_factor *sf,
                             double fraction, double *cond)
{
    int k = sf->k, m = pc->m;
    double *Pk = lr_malloc(sizeof(double) * (size_t)(k ? k * k : 1));
    for (int q = 0; q < k; q++)
        for (int r = 0; r < k; r++)
            Pk[(size_t)r * k + q] = pc->P[(size_t)sf->theta_of[q] * m + sf->theta_of[r]];
    double kp = k > 0 ? exact_condition_number(Pk, k) : 1;
    free(Pk);
    double r = pc->rows > 0 ? sqrt((double)k * fmax(0, 1 - fraction) / (double)pc->rows) : 1;
    cond[0] = kp * kp;
    cond[1] = r < 0.5 ? ((1 + r) / (1 - r)) * ((1 + r) / (1 - r)) : INFINITY;
}

void precond_sample(const struct gd_problem *pb, const struct col_stats *cs, const double *mean,
                    const double *scale, double l2, int64_t rows, uint64_t seed,
                    struct precond *pc)
{
    int d = pb->d, m = d + 1;
    memset(pc, 0, sizeof *pc);
    pc->m = m;
    pc->l2 = l2;
    pc->m_loss = pb->w_total > 0 ? pb->w_total : (double)pb->n_total;
    pc->P = lr_malloc(sizeof(double) * (size_t)m * (size_t)m);
    pc->fallback = lr_malloc(sizeof(int) * (size_t)m);
    pc->why = lr_malloc(sizeof(int) * (size_t)m);
    pc->diag = lr_malloc(sizeof(double) * (size_t)m);
    /* H_jj over all rows in the solver's coordinates: (M2/Σω + (mean − μ)²)/σ²; the
       intercept's 1 */
    pc->diag[0] = 1;
    for (int j = 0; j < d; j++) {
        double c = cs[j].mean - (pb->intercept ? mean[j] : 0);
        pc->diag[j + 1] = cs[j].weight > 0 ? (cs[j].m2 / cs[j].weight + c * c) / (scale[j] * scale[j]) : 0;
    }
    /* the sample, raw, in file order on every rank */
    double fraction = pb->n_total > 0 ? (double)rows / (double)pb->n_total : 1;
    double *mine, *all;
    int64_t n_mine = pick_rows(pb, fraction, seed, &mine);
    int64_t *lens = lr_malloc(sizeof(int64_t) * (size_t)comm_size());
    comm_allgatherv_bytes(mine, n_mine * (int64_t)sizeof(double) * m, (char **)&all, lens);
    free(mine);
    int64_t bytes = 0;
    for (int r = 0; r < comm_size(); r++)
        bytes += lens[r];
    free(lens);
    pc->rows = bytes / (int64_t)(sizeof(double) * (size_t)m);
    struct sample_factor sf = {0};
    sf.mu = lr_malloc(sizeof(double) * (size_t)m);
    sf.sd = lr_malloc(sizeof(double) * (size_t)m);
    sf.fallback = lr_malloc(sizeof(int) * (size_t)m);
    sf.why = lr_malloc(sizeof(int) * (size_t)m);
    double cond[2] = {0, 0};  /* the sample's κ(H) over its columns, and what sampling adds */
    if (comm_rank() == 0) {
        factor_sample(pb, all, pc->rows, mean, scale, pc, &sf);
        assemble(&sf, mean, scale, pb->intercept, pc);
        sample_condition(pc, &sf, (double)pc->rows / (double)(pb->n_total ? pb->n_total : 1), cond);
    }
    free(all);
    /* rank 0's factor and decision for every rank: the same bytes everywhere */
    comm_bcast(cond, sizeof cond, 0);
    pc->sample_kappa2 = cond[0];
    pc->noise_kappa2 = cond[1];
    int head[2] = {sf.k, sf.n_fallback};
    comm_bcast(head, sizeof head, 0);
    if (comm_rank() != 0) {
        sf.k = head[0];
        sf.n_fallback = head[1];
        sf.theta_of = lr_malloc(sizeof(int) * (size_t)(sf.k ? sf.k : 1));
        sf.rinv = lr_malloc(sizeof(double) * (size_t)(sf.k ? sf.k * sf.k : 1));
    }
    comm_bcast(sf.theta_of, sizeof(int) * (size_t)sf.k, 0);
    comm_bcast(sf.rinv, sizeof(double) * (size_t)sf.k * (size_t)sf.k, 0);
    comm_bcast(sf.mu, sizeof(double) * (size_t)m, 0);
    comm_bcast(sf.sd, sizeof(double) * (size_t)m, 0);
    comm_bcast(sf.fallback, sizeof(int) * (size_t)sf.n_fallback, 0);
    comm_bcast(sf.why, sizeof(int) * (size_t)sf.n_fallback, 0);
    /* the digest of what the sample made (not of P, which carries the scaling's rounding) */
    uint64_t h = hash_bytes((const char *)sf.rinv, sizeof(double) * (size_t)sf.k * (size_t)sf.k);
    h = mix64(h ^ hash_bytes((const char *)sf.theta_of, sizeof(int) * (size_t)sf.k));
    h = mix64(h ^ hash_bytes((const char *)sf.mu, sizeof(double) * (size_t)m));
    pc->digest = mix64(h ^ hash_bytes((const char *)sf.sd, sizeof(double) * (size_t)m));
    pc->n_fallback = sf.n_fallback;
    memcpy(pc->fallback, sf.fallback, sizeof(int) * (size_t)sf.n_fallback);
    memcpy(pc->why, sf.why, sizeof(int) * (size_t)sf.n_fallback);
    assemble(&sf, mean, scale, pb->intercept, pc);
    free(sf.theta_of);
    free(sf.rinv);
    free(sf.mu);
    free(sf.sd);
    free(sf.fallback);
    free(sf.why);
}

double precond_grad(const struct precond *pc, const double *g, double *gz)
{
    int m = pc->m;
    double n2 = 0;
    for (int j = 0; j < m; j++)
        gz[j] = 0;
    for (int i = 0; i < m; i++)  /* row order: the same bits on every rank */
        for (int j = 0; j < m; j++)
            gz[j] += pc->P[(size_t)i * m + j] * g[i];
    for (int j = 0; j < m; j++)
        n2 += gz[j] * gz[j];
    return n2;
}

void precond_apply(const struct precond *pc, const double *v, double *out)
{
    int m = pc->m;
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < m; j++)
            s += pc->P[(size_t)i * m + j] * v[j];
        out[i] = s;
    }
}

void precond_gram_out(const struct precond *pc, const double *t, double *u)
{
    int m = pc->m;
    double *tmp = lr_malloc(sizeof(double) * (size_t)m);
    for (int j = 1; j < m; j++)
        u[j] += pc->l2 * t[j];
    precond_grad(pc, u, tmp);
    memcpy(u, tmp, sizeof(double) * (size_t)m);
    free(tmp);
}

static void factor_block(void *arg, const double *X, const double *y, const double *w, int64_t n)
{
    exact_stream_add(arg, X, y, w, n);
}

int precond_certify(const struct gd_problem *pb, const struct precond *pc, const double *g,
                     double first_norm, struct gd_certificate *c)
{
    int m = pc->m;
    *c = (struct gd_certificate){.grad_reduction = NAN, .kappa = NAN, .bound = NAN,
                                 .kappa_z = NAN};
    if (m > GD_CERTIFY_MAX_FEATURES + 1)
        return -1;
    double *gz = lr_malloc(sizeof(double) * (size_t)m);
    double res = sqrt(precond_grad(pc, g, gz));
    free(gz);
    c->grad_reduction = first_norm > 0 ? res / first_norm : 0;
    struct exact_problem xp = {.n_local = pb->n_local, .n_total = pb->n_total, .d = pb->d,
                               .intercept = pb->intercept, .l2 = pc->l2,
                               .n_threads = pb->n_threads};
    struct exact_fit f = {0};
    struct exact_stream xs;
    exact_stream_begin(&xs, &xp);
    gd_each_block(pb, factor_block, &xs);
    double short_read = xs.fed != pb->n_local;  /* a block that could not be read */
    comm_max(&short_read, 1);
    if (short_read) {  /* the caller reports the error; no bound */
        exact_stream_free(&xs);
        return -1;
    }
    exact_stream_end(&xs, &f);
    int k = f.rank, movable = 0;
    for (int j = pb->intercept ? 0 : 1; j < m; j++)
        movable += j == 0 || pc->diag[j] > 0 || pc->l2 > 0;
    if (k < movable) {  /* a column that the others explain: no strong convexity */
        c->kappa = c->kappa_z = INFINITY;
        c->bound = c->grad_reduction == 0 ? 0 : INFINITY;
        exact_fit_free(&f);
        return 0;
    }
    /* M = R Pk over the kept columns: MᵀM/m = Hz; the constant columns that R leaves
       out are their own block of P */
    double *Pk = lr_malloc(sizeof(double) * (size_t)k * (size_t)k);
    double *M = lr_malloc(sizeof(double) * (size_t)k * (size_t)k);
    for (int q = 0; q < k; q++)
        for (int r = 0; r < k; r++)
            Pk[(size_t)r * k + q] = pc->P[(size_t)f.kept[q] * m + f.kept[r]];
    for (int r = 0; r < k; r++)
        for (int q = 0; q < k; q++) {
            double s = 0;
            for (int t = q; t < k; t++)  /* R upper: R_{q t} = 0 for t < q */
                s += f.R[(size_t)t * k + q] * Pk[(size_t)r * k + t];
            M[(size_t)r * k + q] = s;
        }
    double kz = exact_condition_number(M, k), kp = exact_condition_number(Pk, k);
    if (kz >= 1 / (64 * DBL_EPSILON * k))
        kz = INFINITY;  /* rounding level: a dependence among the columns */
    c->kappa = f.kappa;
    c->kappa_z = kz;
    c->bound = c->grad_reduction == 0 ? 0 : isfinite(kz) ? kp * kz * kz * c->grad_reduction
                                                        : INFINITY;
    free(Pk);
    free(M);
    exact_fit_free(&f);
    return 0;
}

const char *precond_fallback_name(int why)
{
    return why == PRECOND_CONSTANT ? "constant"
           : why == PRECOND_SPREAD ? "the sample holds too few of its rows"
                                   : "a combination of earlier columns in the sample";
}

void precond_free(struct precond *pc)
{
    free(pc->P);
    free(pc->fallback);
    free(pc->why);
    free(pc->diag);
    memset(pc, 0, sizeof *pc);
}
