/* exact.c — tall-skinny QR, rank, refinement; see exact.h for the method. */
#include "exact.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "par.h"
#include "stats.h"

/* OpenBLAS runs its own thread pool inside each call; the parts are already spread over
   the OpenMP threads, so keep each call on its caller's thread (a no-op elsewhere). */
void openblas_set_num_threads(int n) __attribute__((weak));

/* The design's columns: index c of A is θ index col[c] (0 = the column of ones), and the
   last column of A (index nc) is y. */
struct layout {
    int nc, m;
    int col[];
};

static struct layout *layout_of(const struct exact_problem *pb)
{
    int nc = pb->d + (pb->intercept ? 1 : 0);
    struct layout *L = lr_malloc(sizeof *L + (size_t)nc * sizeof(int));
    L->nc = nc;
    L->m = nc + 1;
    for (int c = 0; c < nc; c++)
        L->col[c] = pb->intercept ? c : c + 1;
    return L;
}

/* Entry (i, θ index j) of the design as given, and of the scaled design Ã. */
static inline double raw(const struct exact_problem *pb, int64_t i, int j)
{
    return j == 0 ? 1.0 : pb->X[i * pb->d + j - 1];
}

static inline double design(const struct exact_problem *pb, int64_t i, int j)
{
    if (j == 0 || !pb->mean)
        return raw(pb, i, j);
    return (pb->X[i * pb->d + j - 1] - pb->mean[j - 1]) / pb->scale[j - 1];
}

/* μ_j and σ_j of θ index j ≥ 1 (0 and 1 without scaling). */
static inline double mu(const struct exact_problem *pb, int j) { return pb->mean ? pb->mean[j - 1] : 0.0; }
static inline double sd(const struct exact_problem *pb, int j) { return pb->scale ? pb->scale[j - 1] : 1.0; }

/* T (m×m upper, column-major) = the R of rows [lo, hi) of A; a is scratch of (hi−lo)·m. */
static void part_triangle(const struct exact_problem *pb, const struct layout *L, int64_t lo,
                          int64_t hi, double *a, double *tau, double *T)
{
    int m = L->m;
    int64_t n = hi - lo;
    memset(T, 0, sizeof(double) * (size_t)m * (size_t)m);
    if (n == 0)
        return;
    for (int c = 0; c <= L->nc; c++)  /* column-major: each column of A in turn */
        for (int64_t i = 0; i < n; i++)
            a[c * n + i] = (c < L->nc ? design(pb, lo + i, L->col[c]) : pb->y ? pb->y[lo + i] : 0.0) *
                           (pb->w ? sqrt(pb->w[lo + i]) : 1.0);  /* rows of √ω·[Ã y] */
    LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)n, m, a, (lapack_int)n, tau);
    for (int c = 0; c < m; c++)
        for (int r = 0; r <= c && r < n; r++)
            T[c * m + r] = a[c * n + r];
}

/* A ← the R of [A; B], both m×m upper triangles (B is overwritten). */
static void merge(double *A, double *B, int m, double *work)
{
    int nb = m < 32 ? m : 32;
    LAPACKE_dtpqrt(LAPACK_COL_MAJOR, m, m, m, nb, A, m, B, m, work, nb);
    for (int c = 0; c < m; c++)  /* dtpqrt leaves A's strict lower part alone: keep it 0 */
        for (int r = c + 1; r < m; r++)
            A[c * m + r] = 0;
}

/* Merge k triangles T[0..k) (m×m each) into T[0] over a fixed binary tree; inside a
   parallel region, every thread calling it. */
static void tree_merge(double *T, int64_t k, int m, double *work)
{
    size_t mm = (size_t)m * (size_t)m;
    for (int64_t step = 1; step < k; step *= 2) {
#pragma omp for schedule(static)
        for (int64_t a = 0; a < k; a += 2 * step)
            if (a + step < k)
                merge(T + (size_t)a * mm, T + (size_t)(a + step) * mm, m, work);
    }
}

/* Merge the ranks' triangles T (m×m each) over the same fixed binary tree as the parts
   (rank r takes r + step's at each level, point to point), then give rank 0's result to
   every rank: log P messages of one triangle on the longest path, and no rank ever holds
   more than two. */
static void merge_ranks(double *T, int m, double *work)
{
    int p = comm_size(), r = comm_rank();
    int64_t bytes = (int64_t)(sizeof(double) * (size_t)m * (size_t)m);
    for (int step = 1; step < p; step *= 2) {
        if (r % (2 * step) == step) {
            comm_send_bytes(r - step, T, bytes);
            break;
        }
        if (r + step < p) {
            char *buf;
            int64_t n;
            comm_recv_bytes(r + step, &buf, &n);
            merge(T, (double *)buf, m, work);
            free(buf);
        }
    }
    comm_bcast(T, (size_t)bytes, 0);
}

/* Column-pivot-free rank decision (R's lm rule): W (m×m column-major) is R; columns are
   taken in order, and one whose unexplained part is small next to its norm is passed
   over. Householder steps on the kept ones leave their triangle in W's first rows.
   Returns the rank; kept[] gets the kept column indices of A. */
static int reveal(double *W, int m, int nc, int *kept)
{
    int k = 0;
    for (int c = 0; c < nc; c++) {
        double *w = W + (size_t)c * m, all = 0, rest = 0;
        for (int r = 0; r < m; r++)
            all += w[r] * w[r];
        for (int r = k; r < m; r++)
            rest += w[r] * w[r];
        if (rest == 0 || sqrt(rest) <= EXACT_ALIAS_TOL * sqrt(all))
            continue;  /* aliased */
        double beta = w[k], tau;
        LAPACKE_dlarfg(m - k, &beta, w + k + 1, 1, &tau);
        for (int c2 = c + 1; c2 <= nc; c2++) {  /* H = I − τ v vᵀ, v = (1, w[k+1..]) */
            double *u = W + (size_t)c2 * m, s = u[k];
            for (int r = k + 1; r < m; r++)
                s += w[r] * u[r];
            u[k] -= tau * s;
            for (int r = k + 1; r < m; r++)
                u[r] -= tau * s * w[r];
        }
        w[k] = beta;
        for (int r = k + 1; r < m; r++)
            w[r] = 0;
        kept[k++] = c;
    }
    return k;
}

/* θ += T δ_s, δ_s over the kept columns (T: exact.h, stats_unscale). */
static void add_step(const struct exact_problem *pb, struct exact_fit *f, const double *ds)
{
    int d = pb->d;
    double *s = lr_malloc(sizeof(double) * (size_t)(2 * d + 2)), *t = s + d + 1;
    memset(s, 0, sizeof(double) * (size_t)(d + 1));
    for (int q = 0; q < f->rank; q++)
        s[f->kept[q]] = ds[q];
    stats_unscale(s, pb->mean, pb->scale, d, t);
    f->theta[0] += t[0];
    for (int q = 0; q < f->rank; q++)
        if (f->kept[q] > 0)
            f->theta[f->kept[q]] += t[f->kept[q]];
    free(s);
}

/* θ from the kept triangle: solve R θ_s = z, θ = T θ_s. */
static void solve_theta(const struct exact_problem *pb, struct exact_fit *f, const double *z)
{
    int k = f->rank;
    double *t = lr_malloc(sizeof(double) * (size_t)(k ? k : 1));
    memcpy(t, z, sizeof(double) * (size_t)k);
    if (k > 0)
        LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'U', 'N', 'N', k, 1, f->R, k, t, k);
    for (int j = 0; j <= pb->d; j++)
        f->theta[j] = NAN;
    f->theta[0] = 0;
    for (int q = 0; q < k; q++)
        f->theta[f->kept[q]] = 0;
    add_step(pb, f, t);
    free(t);
}

double exact_condition_number(const double *R, int k)
{
    if (k == 0)
        return NAN;
    double *a = lr_malloc(sizeof(double) * (size_t)k * (size_t)k), *s = lr_malloc(sizeof(double) * (size_t)k);
    double *superb = lr_malloc(sizeof(double) * (size_t)k);
    memcpy(a, R, sizeof(double) * (size_t)k * (size_t)k);
    LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', k, k, a, k, s, NULL, 1, NULL, 1, superb);
    double kappa = s[k - 1] > 0 ? s[0] / s[k - 1] : INFINITY;
    free(a);
    free(s);
    free(superb);
    return kappa;
}

/* The triangle of this process's rows (parts, then the fixed tree over them) into all
   (m×m, column-major). */
static void local_triangle(const struct exact_problem *pb, const struct layout *L, double *all)
{
    if (openblas_set_num_threads)
        openblas_set_num_threads(1);
    int m = L->m;
    size_t mm = (size_t)m * (size_t)m;
    int64_t rows = PAR_CHUNK_ROWS > 8 * (int64_t)m ? PAR_CHUNK_ROWS : 8 * (int64_t)m;
    int64_t parts = pb->n_local <= rows ? 1 : (pb->n_local + rows - 1) / rows;
    double *T = lr_malloc(sizeof(double) * mm * (size_t)parts);
#pragma omp parallel num_threads(pb->n_threads)
    {
        double *a = lr_malloc(sizeof(double) * (size_t)rows * (size_t)m + sizeof(double));
        double *tau = lr_malloc(sizeof(double) * (size_t)m), *work = lr_malloc(sizeof(double) * 32 * (size_t)m);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < parts; k++) {
            int64_t lo, hi;
            par_range(pb->n_local, parts, k, &lo, &hi);
            part_triangle(pb, L, lo, hi, a, tau, T + (size_t)k * mm);
        }
        tree_merge(T, parts, m, work);
        free(a);
        free(tau);
        free(work);
    }
    memcpy(all, T, sizeof(double) * mm);
    free(T);
}

/* From the merged triangle all (m×m, overwritten): the ridge rows, the rank, the kept
   triangle, κ and (with y) θ. */
static void finish_factor(const struct exact_problem *pb, const struct layout *L, double *all,
                          struct exact_fit *f)
{
    int m = L->m;
    size_t mm = (size_t)m * (size_t)m;
    double *work = lr_malloc(sizeof(double) * 32 * (size_t)m);
    if (pb->l2 > 0) {  /* the ridge rows √λ e_j, one per weight */
        double *ridge = all + mm;
        memset(ridge, 0, sizeof(double) * mm);
        for (int c = 0; c < L->nc; c++)
            ridge[(size_t)c * m + c] = L->col[c] == 0 ? 0.0
                                       : sqrt(pb->l2) * (pb->ridge ? pb->ridge[L->col[c] - 1] : 1.0);
        merge(all, ridge, m, work);
    }
    /* the rank, the kept triangle, θ */
    int *kept_c = lr_malloc(sizeof(int) * (size_t)m);
    f->rank = reveal(all, m, L->nc, kept_c);
    int k = f->rank;
    f->kept = lr_malloc(sizeof(int) * (size_t)(k ? k : 1));
    f->R = lr_malloc(sizeof(double) * (size_t)(k ? k * k : 1));
    double *z = lr_malloc(sizeof(double) * (size_t)(k ? k : 1));
    for (int q = 0; q < k; q++) {
        f->kept[q] = L->col[kept_c[q]];
        for (int r = 0; r < k; r++)
            f->R[(size_t)q * k + r] = r <= q ? all[(size_t)kept_c[q] * m + r] : 0.0;
        z[q] = all[(size_t)L->nc * m + q];
    }
    f->theta = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
    solve_theta(pb, f, z);
    f->kappa = exact_condition_number(f->R, k);
    f->passes = 0;
    free(z);
    free(kept_c);
    free(work);
}

void exact_factor(const struct exact_problem *pb, struct exact_fit *f)
{
    struct layout *L = layout_of(pb);
    int m = L->m;
    size_t mm = (size_t)m * (size_t)m;
    double *all = lr_malloc(sizeof(double) * mm * 2), *work = lr_malloc(sizeof(double) * 32 * (size_t)m);
    local_triangle(pb, L, all);
    merge_ranks(all, m, work);
    finish_factor(pb, L, all, f);
    free(all);
    free(work);
    free(L);
}

void exact_factor_local(const struct exact_problem *pb, struct exact_fit *f)
{
    struct layout *L = layout_of(pb);
    size_t mm = (size_t)L->m * (size_t)L->m;
    double *all = lr_malloc(sizeof(double) * mm * 2);
    local_triangle(pb, L, all);
    finish_factor(pb, L, all, f);
    free(all);
    free(L);
}

/* One pass: g_s = Tᵀ[1 X]ᵀr over the kept columns (and r·r in g[k]) at θ, r = y − b − Xw,
   in long double per part, parts in order, ranks as double-double; the seconds its
   Allreduce took. */
static void residual_pass(const struct exact_problem *pb, const struct exact_fit *f, double *g,
                          double *allreduce_seconds)
{
    int k = f->rank;
    int64_t parts = par_chunks(pb->n_local);
    long double *part = lr_malloc(sizeof(long double) * (size_t)(k + 1) * (size_t)parts);
#pragma omp parallel for num_threads(pb->n_threads) schedule(static) if (parts > 1)
    for (int64_t p = 0; p < parts; p++) {
        int64_t lo, hi;
        par_chunk(pb->n_local, p, &lo, &hi);
        long double *s = part + (size_t)p * (size_t)(k + 1);
        for (int q = 0; q <= k; q++)
            s[q] = 0;
        for (int64_t i = lo; i < hi; i++) {
            long double r = pb->y[i];
            for (int q = 0; q < k; q++)
                r -= (long double)f->theta[f->kept[q]] * raw(pb, i, f->kept[q]);
            long double wr = pb->w ? r * pb->w[i] : r;  /* weighted: [1 X]ᵀΩr, rᵀΩr */
            for (int q = 0; q < k; q++)
                s[q] += wr * raw(pb, i, f->kept[q]);
            s[k] += wr * r;
        }
    }
    double *hl = lr_malloc(sizeof(double) * 2 * (size_t)(k + 1));
    for (int q = 0; q <= k; q++) {
        long double t = 0;
        for (int64_t p = 0; p < parts; p++)
            t += part[(size_t)p * (size_t)(k + 1) + q];
        hl[q] = (double)t;
        hl[k + 1 + q] = (double)(t - (long double)hl[q]);
    }
    double t0 = comm_wtime();
    comm_sum(hl, 2 * (k + 1));
    *allreduce_seconds = comm_wtime() - t0;
    long double *gr = lr_malloc(sizeof(long double) * (size_t)(k + 1));
    for (int q = 0; q <= k; q++)
        gr[q] = (long double)hl[q] + (long double)hl[k + 1 + q];
    long double g0 = pb->intercept ? gr[0] : 0;  /* Σ r: the intercept's column comes first */
    for (int q = 0; q < k; q++) {  /* g_s = Tᵀ g: the scaled columns are (x − μ)/σ */
        int j = f->kept[q];
        g[q] = j == 0 ? (double)gr[q] : (double)((gr[q] - (long double)mu(pb, j) * g0) / sd(pb, j));
    }
    g[k] = (double)gr[k];
    free(gr);
    free(hl);
    free(part);
}

void exact_refine(const struct exact_problem *pb, struct exact_fit *f, exact_pass_fn on_pass,
                  void *ctx)
{
    int k = f->rank;
    double *g = lr_malloc(sizeof(double) * (size_t)(k + 1)), prev = INFINITY;
    double *tz = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
    double *ts = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
    while (k > 0 && f->passes < EXACT_MAX_PASSES) {
        double t0 = comm_wtime(), t_sum;
        residual_pass(pb, f, g, &t_sum);
        double rss = g[k], w2 = 0, t2 = 0, d2 = 0;
        for (int j = 0; j <= pb->d; j++)  /* θ_s, with the aliased weights at 0 */
            tz[j] = isnan(f->theta[j]) ? 0.0 : f->theta[j];
        stats_rescale(tz, pb->mean, pb->scale, pb->d, ts);
        for (int q = 0; q < k; q++)
            if (f->kept[q] > 0) {  /* the penalty's part of the gradient: −λ w_s */
                g[q] -= pb->l2 * ts[f->kept[q]];
                w2 += ts[f->kept[q]] * ts[f->kept[q]];
            }
        double g2 = 0;
        for (int q = 0; q < k; q++)
            g2 += g[q] * g[q];
        /* δ_s = R⁻¹ R⁻ᵀ g_s, measured against θ_s */
        LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'U', 'T', 'N', k, 1, f->R, k, g, k);
        LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'U', 'N', 'N', k, 1, f->R, k, g, k);
        for (int q = 0; q < k; q++) {
            t2 += ts[f->kept[q]] * ts[f->kept[q]];
            d2 += g[q] * g[q];
        }
        double step = t2 > 0 ? sqrt(d2 / t2) : sqrt(d2);
        f->passes++;
        if (on_pass) {
            struct exact_pass info = {
                .pass = f->passes, .step = step, .rss = rss + pb->l2 * w2,
                .grad_norm = sqrt(g2) / (double)pb->n_total, .seconds = comm_wtime() - t0,
                .allreduce_seconds = t_sum,
            };
            on_pass(&info, ctx);
        }
        if (!(sqrt(d2) < 0.5 * prev))
            break;  /* no longer shrinking: rounding level (the step is not taken) */
        add_step(pb, f, g);
        prev = sqrt(d2);
        if (step <= 0x1p-52)
            break;
    }
    free(g);
    free(tz);
    free(ts);
}

void exact_fit_free(struct exact_fit *f)
{
    free(f->theta);
    free(f->kept);
    free(f->R);
    memset(f, 0, sizeof *f);
}
