/* exact.c — tall-skinny QR, rank, refinement; see exact.h for the method. */
#include "exact.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "metrics.h"
#include "par.h"
#include "stats.h"

/* OpenBLAS runs its own thread pool inside each call; the parts are already spread over
   the OpenMP threads, so keep each call on its caller's thread (a no-op elsewhere). */
void openblas_set_num_threads(int n) __attribute__((weak));

/* The design's columns: index c of A is θ index col[c] (0 = the column of ones), and the
   last column of A (index nc) is y. */
struct exact_layout {
    int nc, m;
    int col[];
};

static struct exact_layout *layout_of(const struct exact_problem *pb)
{
    int nc = pb->d + (pb->intercept ? 1 : 0);
    struct exact_layout *L = lr_malloc(sizeof *L + (size_t)nc * sizeof(int));
    L->nc = nc;
    L->m = nc + 1;
    for (int c = 0; c < nc; c++)
        L->col[c] = pb->intercept ? c : c + 1;
    return L;
}

/* Entry θ index j of row x (D values) of the design as given (fill_rows makes the scaled
   design Ã's: (x − μ)/σ). */
static inline double raw(const double *x, int j)
{
    return j == 0 ? 1.0 : x[j - 1];
}

/* μ_j and σ_j of θ index j ≥ 1 (0 and 1 without scaling). */
static inline double mu(const struct exact_problem *pb, int j) { return pb->mean ? pb->mean[j - 1] : 0.0; }
static inline double sd(const struct exact_problem *pb, int j) { return pb->scale ? pb->scale[j - 1] : 1.0; }

/* Rows [from, to) of this rank's A into a (column-major, leading dimension lda), row i at
   a[c·lda + i − lo]; the block X (n×D row-major), y, w holds rows [base, base + n). */
static void fill_rows(const struct exact_problem *pb, const struct exact_layout *L,
                      const double *X, const double *y, const double *w, int64_t base,
                      int64_t from, int64_t to, int64_t lo, double *a, int64_t lda)
{
    /* column-major: each column of A in turn, over a tile of rows whose X stays in cache
       (a whole part's X and A do not fit in L2, and each column reads every row again);
       the rows of √ω·[Ã y], √ω once per row */
    enum { TILE = 256 };
    double sw[TILE];
    int d = pb->d;
    for (int64_t t = from; t < to; t += TILE) {
        int64_t te = to - t > TILE ? t + TILE : to, nt = te - t;
        const double *x = X + (t - base) * d;
        double *at = a + t - lo;
        for (int64_t i = 0; i < nt; i++)
            sw[i] = w ? sqrt(w[t - base + i]) : 1.0;
        for (int c = 0; c < L->nc; c++) {
            double *ac = at + c * lda;
            int j = L->col[c] - 1;
            if (j < 0)
                for (int64_t i = 0; i < nt; i++)
                    ac[i] = sw[i];
            else if (pb->mean) {
                double mean = pb->mean[j], scale = pb->scale[j];
                for (int64_t i = 0; i < nt; i++)
                    ac[i] = (x[i * d + j] - mean) / scale * sw[i];
            } else
                for (int64_t i = 0; i < nt; i++)
                    ac[i] = x[i * d + j] * sw[i];
        }
        double *ay = at + L->nc * lda;
        for (int64_t i = 0; i < nt; i++)
            ay[i] = (y ? y[t - base + i] : 0.0) * sw[i];
    }
}

/* Columns per panel of a part's QR (LAPACK dgeqrt): each panel is factored recursively
   (dgeqrt3) and applied to the columns after it as a block reflector, matrix-matrix work,
   where dgeqrf on so few columns takes its unblocked path (a rank-one update of the rest
   of the part per column). 4 to 16 run alike; 8 is in the middle. */
#define PART_NB 8

/* T (m×m upper, column-major) = the R of the n rows of A in a (column-major, overwritten);
   scratch holds 2·PART_NB·m doubles. The _work call: the plain LAPACKE one would first
   read the whole part once more, looking for NaNs. */
static void part_triangle(double *a, int64_t n, int m, double *scratch, double *T)
{
    memset(T, 0, sizeof(double) * (size_t)m * (size_t)m);
    if (n == 0)
        return;
    int nb = PART_NB < m ? PART_NB : m;
    if (n < nb)
        nb = (int)n;
    LAPACKE_dgeqrt_work(LAPACK_COL_MAJOR, (lapack_int)n, m, nb, a, (lapack_int)n, scratch, nb,
                        scratch + (size_t)PART_NB * (size_t)m);
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

/* From the merged triangle all (m×m, overwritten): the ridge rows, the rank, the kept
   triangle, κ and (with y) θ. */
static void finish_factor(const struct exact_problem *pb, const struct exact_layout *L, double *all,
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

/* The parts of this rank's rows: rows = max(PAR_CHUNK_ROWS, 8m) at most per part, the
   N rows cut into ⌈N/rows⌉ near-equal parts (par_range), so that the parts, and with them
   the bits, depend on N alone and not on how the rows arrive. */
static int64_t part_rows(int m)
{
    return PAR_CHUNK_ROWS > 8 * (int64_t)m ? PAR_CHUNK_ROWS : 8 * (int64_t)m;
}

/* Push the triangle T of the next `parts` parts (a power of two) onto the stack (a binary
   counter): while the top two cover as many parts each, they merge (the earlier one on the
   left). */
static void stack_push(struct exact_stream *s, const double *T, int64_t parts)
{
    size_t mm = (size_t)s->m * (size_t)s->m;
    memcpy(s->stack + (size_t)s->depth * mm, T, sizeof(double) * mm);
    s->size[s->depth++] = parts;
    while (s->depth >= 2 && s->size[s->depth - 2] == s->size[s->depth - 1]) {
        merge(s->stack + (size_t)(s->depth - 2) * mm, s->stack + (size_t)(s->depth - 1) * mm,
              s->m, s->work);
        s->size[s->depth - 2] *= 2;
        s->depth--;
    }
}

/*
 * Push the triangles T of parts [p0, p1) in part order. Pushed one at a time, part k's
 * triangle first merges only with those of the parts after the last multiple of its
 * run's size before it; so the block's parts are cut into runs of 2^j parts that start at
 * a multiple of 2^j (each as long as fits), each run's triangles are merged over its own
 * binary tree, runs side by side and level by level by the whole team, and then each run's
 * root is pushed as 2^j parts: the merges the counter would make, with the same operands,
 * and so the same bits, but not one after another on one thread.
 */
static void push_parts(struct exact_stream *s, double *T, int64_t p0, int64_t p1)
{
    int64_t lo[128], len[128], runs = 0, longest = 1, pairs_cap = (p1 - p0) / 2 + 1;
    for (int64_t k = p0; k < p1; k += len[runs++]) {
        int64_t l = 1;
        while (k % (2 * l) == 0 && k + 2 * l <= p1)
            l *= 2;
        lo[runs] = k - p0, len[runs] = l;
        longest = l > longest ? l : longest;
    }
    size_t mm = (size_t)s->m * (size_t)s->m;
    int64_t *pair = lr_malloc(sizeof(int64_t) * (size_t)pairs_cap);
    for (int64_t step = 1; step < longest; step *= 2) {
        int64_t n = 0;  /* this level's merges: left triangle a with a + step */
        for (int64_t r = 0; r < runs; r++)
            for (int64_t a = lo[r]; len[r] > step && a < lo[r] + len[r]; a += 2 * step)
                pair[n++] = a;
#pragma omp parallel num_threads(s->pb.n_threads) if (n > 1)
        {
            double *work = lr_malloc(sizeof(double) * 32 * (size_t)s->m);
#pragma omp for schedule(static)
            for (int64_t i = 0; i < n; i++)
                merge(T + (size_t)pair[i] * mm, T + (size_t)(pair[i] + step) * mm, s->m, work);
            free(work);
        }
    }
    free(pair);
    for (int64_t r = 0; r < runs; r++)
        stack_push(s, T + (size_t)lo[r] * mm, len[r]);
}

void exact_stream_begin(struct exact_stream *s, const struct exact_problem *pb)
{
    if (openblas_set_num_threads)
        openblas_set_num_threads(1);
    memset(s, 0, sizeof *s);
    s->pb = *pb;
    s->pb.X = s->pb.y = s->pb.w = NULL;
    s->L = layout_of(pb);
    s->m = s->L->m;
    int64_t rows = part_rows(s->m), n = pb->n_local;
    s->parts = n <= rows ? 1 : (n + rows - 1) / rows;
    int cap = 1;
    while (cap < 64 && ((int64_t)1 << (cap - 1)) <= s->parts)
        cap++;  /* ⌊log₂ parts⌋ + 2: the counter's bits and one being pushed */
    size_t mm = (size_t)s->m * (size_t)s->m;
    s->stack = lr_malloc(sizeof(double) * mm * (size_t)cap);
    s->size = lr_malloc(sizeof(int64_t) * (size_t)cap);
    s->work = lr_malloc(sizeof(double) * 32 * (size_t)s->m);
    s->buf = lr_malloc(sizeof(double) * (size_t)(n < rows ? n : rows) * (size_t)s->m + sizeof(double));
}

void exact_stream_add(struct exact_stream *s, const double *X, const double *y, const double *w,
                      int64_t n)
{
    const struct exact_problem *pb = &s->pb;
    if (n < 0 || s->fed + n > pb->n_local)
        LR_FATAL("exact_stream_add: %lld rows after %lld of this rank's %lld", (long long)n,
                 (long long)s->fed, (long long)pb->n_local);
    int m = s->m;
    size_t mm = (size_t)m * (size_t)m;
    int64_t end = s->fed + n, p0 = s->next, p1 = p0, lo, hi;
    for (; p1 < s->parts; p1++) {  /* parts [p0, p1) end in this block */
        par_range(pb->n_local, s->parts, p1, &lo, &hi);
        if (hi > end)
            break;
    }
    if (p1 > p0) {
        double *T = lr_malloc(sizeof(double) * mm * (size_t)(p1 - p0));
#pragma omp parallel num_threads(pb->n_threads) if (p1 - p0 > 1)
        {
            double *a = NULL, *scratch = lr_malloc(sizeof(double) * 2 * PART_NB * (size_t)m);
#pragma omp for schedule(static)
            for (int64_t k = p0; k < p1; k++) {
                int64_t plo, phi;
                par_range(pb->n_local, s->parts, k, &plo, &phi);
                double *rows = s->buf;  /* the part begun in an earlier block: its rows so far */
                if (plo >= s->fed) {
                    if (!a)
                        a = lr_malloc(sizeof(double) * (size_t)part_rows(m) * (size_t)m + sizeof(double));
                    rows = a;
                }
                int64_t from = plo > s->fed ? plo : s->fed;
                fill_rows(pb, s->L, X, y, w, s->fed, from, phi, plo, rows, phi - plo);
                part_triangle(rows, phi - plo, m, scratch, T + (size_t)(k - p0) * mm);
            }
            free(a);
            free(scratch);
        }
        push_parts(s, T, p0, p1);
        free(T);
        s->next = p1;
    }
    if (s->next < s->parts) {  /* the rows of the part this block begins: kept until it ends */
        par_range(pb->n_local, s->parts, s->next, &lo, &hi);
        int64_t from = lo > s->fed ? lo : s->fed;
        if (end > from)
            fill_rows(pb, s->L, X, y, w, s->fed, from, end, lo, s->buf, hi - lo);
    }
    s->fed = end;
}

void exact_stream_triangle(const struct exact_stream *s, double *T)
{
    int m = s->m;
    size_t mm = (size_t)m * (size_t)m;
    memset(T, 0, sizeof(double) * mm);
    if (s->depth == 0)
        return;
    double *left = lr_malloc(sizeof(double) * mm), *work = lr_malloc(sizeof(double) * 32 * (size_t)m);
    memcpy(T, s->stack + (size_t)(s->depth - 1) * mm, sizeof(double) * mm);
    for (int i = s->depth - 2; i >= 0; i--) {  /* from the top: the later, smaller ones first */
        memcpy(left, s->stack + (size_t)i * mm, sizeof(double) * mm);
        merge(left, T, m, work);
        memcpy(T, left, sizeof(double) * mm);
    }
    free(left);
    free(work);
}

void exact_stream_free(struct exact_stream *s)
{
    free(s->L);
    free(s->stack);
    free(s->size);
    free(s->work);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

/* The stream's end, across the ranks or not. */
static void stream_end(struct exact_stream *s, struct exact_fit *f, int across_ranks)
{
    exact_stream_add(s, NULL, NULL, NULL, 0);  /* empty parts (N = 0) end here */
    if (s->fed != s->pb.n_local || s->next != s->parts)
        LR_FATAL("exact_stream_end: %lld of this rank's %lld rows fed", (long long)s->fed,
                 (long long)s->pb.n_local);
    size_t mm = (size_t)s->m * (size_t)s->m;
    double *all = lr_malloc(sizeof(double) * mm * 2);
    exact_stream_triangle(s, all);
    if (across_ranks)
        merge_ranks(all, s->m, s->work);
    finish_factor(&s->pb, s->L, all, f);
    free(all);
    exact_stream_free(s);
}

/* T (this rank's triangle of √ω[x − c, y] and its column of ones; c the stream's pb.mean,
   its pb.scale ones) taken to the design scaled by (mean, scale): column j of Ã is
   ((x_j − c_j) + (c_j − μ_j))/σ_j, so R's column j becomes (R_j + R_0·(c_j − μ_j))/σ_j, and
   R_0 = (r00, 0, …) changes its first entry alone. 0 when a shift is more than
   EXACT_SHIFT_MAX σ_j from the mean (its rounding would cost more than scaling first) or an
   entry is not finite. */
static int rescale_triangle(const struct exact_stream *s, const double *mean,
                            const double *scale, double *T)
{
    const struct exact_layout *L = s->L;
    int m = s->m, ok = 1;
    double r00 = s->pb.intercept ? T[0] : 0;
    for (int c = 0; c < L->nc; c++) {
        int j = L->col[c] - 1;
        if (j < 0)
            continue;
        double shift = s->pb.mean[j] - mean[j], *t = T + (size_t)c * m;
        ok &= fabs(shift) <= EXACT_SHIFT_MAX * scale[j];
        t[0] = (t[0] + r00 * shift) / scale[j];
        for (int r = 1; r <= c; r++)
            t[r] /= scale[j];
    }
    for (size_t i = 0; i < (size_t)m * (size_t)m; i++)
        ok &= isfinite(T[i]) != 0;
    return ok;
}

int exact_stream_end_rescaled(struct exact_stream *s, const double *mean, const double *scale,
                              struct exact_fit *f)
{
    exact_stream_add(s, NULL, NULL, NULL, 0);
    if (s->fed != s->pb.n_local || s->next != s->parts)
        LR_FATAL("exact_stream_end_rescaled: %lld of this rank's %lld rows fed",
                 (long long)s->fed, (long long)s->pb.n_local);
    size_t mm = (size_t)s->m * (size_t)s->m;
    double *all = lr_malloc(sizeof(double) * mm * 2);
    exact_stream_triangle(s, all);
    int ok = (int)comm_min_i64(rescale_triangle(s, mean, scale, all));
    if (ok) {
        merge_ranks(all, s->m, s->work);
        s->pb.mean = mean;
        s->pb.scale = scale;
        finish_factor(&s->pb, s->L, all, f);
    }
    free(all);
    exact_stream_free(s);
    return ok ? 0 : -1;
}

void exact_merge_ranks(double *T, int m)
{
    double *work = lr_malloc(sizeof(double) * 32 * (size_t)m);
    merge_ranks(T, m, work);
    free(work);
}

void exact_stream_end(struct exact_stream *s, struct exact_fit *f)
{
    stream_end(s, f, 1);
}

void exact_factor(const struct exact_problem *pb, struct exact_fit *f)
{
    struct exact_stream s;
    exact_stream_begin(&s, pb);
    exact_stream_add(&s, pb->X, pb->y, pb->w, pb->n_local);
    stream_end(&s, f, 1);
}

void exact_factor_local(const struct exact_problem *pb, struct exact_fit *f)
{
    struct exact_stream s;
    exact_stream_begin(&s, pb);
    exact_stream_add(&s, pb->X, pb->y, pb->w, pb->n_local);
    stream_end(&s, f, 0);
}

/* Rows [lo, hi) of a block (X n×D row-major, y, w or NULL) into s (k + 1 sums): [1 X]ᵀΩr
   over the kept columns and rᵀΩr, r = y − b − Xw at θ, in long double. */
static void residual_rows(const struct exact_fit *f, int d, const double *X, const double *y,
                          const double *w, int64_t lo, int64_t hi, long double *s)
{
    /* A few rows at a time: their weighted residuals first, then each sum over them in a
       register (a long double in memory costs a slow 80-bit load and store per term). Each
       sum still adds its terms in row order: the same bits as row by row. */
    /* Four rows' residuals, and four columns' sums, side by side: independent chains of
       additions that overlap, each in its own order as before. */
    enum { ROWS = 64 };
    long double wr[ROWS], r2[ROWS];
    const double *th = f->theta;
    const int *kept = f->kept;
    int k = f->rank;
    for (int64_t i0 = lo; i0 < hi; i0 += ROWS) {
        int n = hi - i0 < ROWS ? (int)(hi - i0) : ROWS, i = 0;
        for (; i + 3 < n; i += 4) {
            const double *x0 = X + (i0 + i) * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
            long double r0 = y[i0 + i], r1 = y[i0 + i + 1], ra = y[i0 + i + 2], rb = y[i0 + i + 3];
            for (int q = 0; q < k; q++) {
                long double t = th[kept[q]];
                r0 -= t * raw(x0, kept[q]);
                r1 -= t * raw(x1, kept[q]);
                ra -= t * raw(x2, kept[q]);
                rb -= t * raw(x3, kept[q]);
            }
            r2[i] = r0, r2[i + 1] = r1, r2[i + 2] = ra, r2[i + 3] = rb;
        }
        for (; i < n; i++) {
            const double *x0 = X + (i0 + i) * d;
            long double r0 = y[i0 + i];
            for (int q = 0; q < k; q++)
                r0 -= th[kept[q]] * (long double)raw(x0, kept[q]);
            r2[i] = r0;
        }
        for (i = 0; i < n; i++)  /* weighted: [1 X]ᵀΩr, rᵀΩr */
            wr[i] = w ? r2[i] * w[i0 + i] : r2[i];
        long double rr = s[k];
        for (i = 0; i < n; i++)
            rr += wr[i] * r2[i];
        s[k] = rr;
        int q = 0;
        for (; q + 3 < k; q += 4) {
            int ja = kept[q], jb = kept[q + 1], jc = kept[q + 2], jd = kept[q + 3];
            long double a = s[q], b = s[q + 1], c = s[q + 2], e = s[q + 3];
            for (i = 0; i < n; i++) {
                const double *x = X + (i0 + i) * d;
                a += wr[i] * raw(x, ja);
                b += wr[i] * raw(x, jb);
                c += wr[i] * raw(x, jc);
                e += wr[i] * raw(x, jd);
            }
            s[q] = a, s[q + 1] = b, s[q + 2] = c, s[q + 3] = e;
        }
        for (; q < k; q++) {
            long double a = s[q];
            for (i = 0; i < n; i++)
                a += wr[i] * raw(X + (i0 + i) * d, kept[q]);
            s[q] = a;
        }
    }
}

void exact_refine_begin(struct exact_refiner *rf, const struct exact_problem *pb,
                        struct exact_fit *f)
{
    memset(rf, 0, sizeof *rf);
    rf->pb = pb;
    rf->f = f;
    rf->prev = rf->last_step = INFINITY;
    size_t k1 = (size_t)f->rank + 1;
    rf->total = lr_malloc(sizeof(long double) * 2 * k1);
    rf->chunk = rf->total + k1;
    rf->mtheta = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
}

int exact_refine_next_pass(struct exact_refiner *rf)
{
    if (rf->done || rf->f->rank == 0 || rf->f->passes >= EXACT_MAX_PASSES)
        return 0;
    rf->t0 = comm_wtime();
    rf->fed = 0;
    for (int q = 0; q <= rf->f->rank; q++)
        rf->total[q] = rf->chunk[q] = 0;
    /* the metrics only where this pass may well be the last: the first (whose step is often
       below 2⁻⁵² already), or one after a step of ≤ 2⁻²⁶ of θ, which would bring the next
       to rounding if the error shrank as fast again */
    rf->summing = rf->metrics && (rf->f->passes == 0 || rf->last_step <= 0x1p-26);
    for (int s = 0; s < 3; s++)
        rf->msums[s] = rf->mchunk[s] = 0;
    for (int j = 0; j <= rf->pb->d; j++)  /* the model as it predicts: aliased weights 0 */
        rf->mtheta[j] = isnan(rf->f->theta[j]) ? 0.0 : rf->f->theta[j];
    return 1;
}

/* A pass's rows are cut into PAR_CHUNK_ROWS-row chunks counted from this rank's first row
   (par_chunk), each summed from 0 in row order, and the chunks' sums added in chunk order:
   a chunk that a block boundary cuts carries its sums over, so the bits do not depend on
   the blocks. The chunks a block holds are summed in parallel. */
void exact_refine_add(struct exact_refiner *rf, const double *X, const double *y,
                      const double *w, int64_t n)
{
    const struct exact_problem *pb = rf->pb;
    if (n < 0 || rf->fed + n > pb->n_local)
        LR_FATAL("exact_refine_add: %lld rows after %lld of this rank's %lld", (long long)n,
                 (long long)rf->fed, (long long)pb->n_local);
    if (n == 0)
        return;
    int k = rf->f->rank;
    size_t k1 = (size_t)k + 1;
    int64_t lo = rf->fed, hi = lo + n, first = lo / PAR_CHUNK_ROWS;
    int64_t segs = (hi - 1) / PAR_CHUNK_ROWS - first + 1;
    long double *part = lr_malloc(sizeof(long double) * k1 * (size_t)segs);
    double *mpart = lr_malloc(sizeof(double) * 3 * (size_t)segs);
#pragma omp parallel for num_threads(pb->n_threads) schedule(static) if (segs > 1)
    for (int64_t g = 0; g < segs; g++) {
        int64_t a = (first + g) * PAR_CHUNK_ROWS, b = a + PAR_CHUNK_ROWS;
        int64_t from = (a > lo ? a : lo) - lo, to = (b < hi ? b : hi) - lo;
        long double *s = part + (size_t)g * k1;
        double *ms = mpart + 3 * g;
        for (size_t q = 0; q < k1; q++)  /* a chunk begun in an earlier block goes on */
            s[q] = a < lo ? rf->chunk[q] : 0;
        for (int q = 0; q < 3; q++)
            ms[q] = a < lo ? rf->mchunk[q] : 0;
        residual_rows(rf->f, pb->d, X, y, w, from, to, s);
        if (rf->summing)  /* the chunk's rows are in cache now */
            metrics_rows(X, y, w, from, to, pb->d, rf->mtheta[0], rf->mtheta + 1, pb->center, ms);
    }
    for (int64_t g = 0; g < segs; g++) {
        long double *s = part + (size_t)g * k1;
        if ((first + g + 1) * PAR_CHUNK_ROWS <= hi) {
            for (size_t q = 0; q < k1; q++)
                rf->total[q] += s[q];
            for (int q = 0; q < 3; q++)
                rf->msums[q] += mpart[3 * g + q];
        } else {  /* the last, unfinished */
            memcpy(rf->chunk, s, sizeof(long double) * k1);
            memcpy(rf->mchunk, mpart + 3 * g, sizeof rf->mchunk);
        }
    }
    free(part);
    free(mpart);
    rf->fed = hi;
}

/* The pass's g_s = Tᵀ[1 X]ᵀr over the kept columns (and r·r in g[k]), the ranks' sums
   added as double-double; the seconds its Allreduce took. */
static void pass_gradient(struct exact_refiner *rf, double *g, double *allreduce_seconds)
{
    const struct exact_problem *pb = rf->pb;
    const struct exact_fit *f = rf->f;
    int k = f->rank;
    if (rf->fed % PAR_CHUNK_ROWS != 0 || rf->fed == 0) {  /* the last chunk (N = 0: one, empty) */
        for (int q = 0; q <= k; q++)
            rf->total[q] += rf->chunk[q];
        for (int q = 0; q < 3; q++)
            rf->msums[q] += rf->mchunk[q];
    }
    double *hl = lr_malloc(sizeof(double) * 2 * (size_t)(k + 1));
    for (int q = 0; q <= k; q++) {
        long double t = rf->total[q];
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
}

void exact_refine_end_pass(struct exact_refiner *rf, exact_pass_fn on_pass, void *ctx)
{
    const struct exact_problem *pb = rf->pb;
    struct exact_fit *f = rf->f;
    if (rf->fed != pb->n_local)
        LR_FATAL("exact_refine_end_pass: %lld of this rank's %lld rows fed", (long long)rf->fed,
                 (long long)pb->n_local);
    int k = f->rank;
    double *g = lr_malloc(sizeof(double) * (size_t)(k + 1)), t_sum;
    double *tz = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
    double *ts = lr_malloc(sizeof(double) * (size_t)(pb->d + 1));
    pass_gradient(rf, g, &t_sum);
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
    /* the step against the intercept and against the weights apart: the intercept (about
       the mean of y on the scaled design) may be far larger than the weights, and must not
       hide a step that is not small beside them */
    double t0 = 0, d0 = 0;
    for (int q = 0; q < k; q++) {
        if (f->kept[q] == 0) {
            t0 = ts[0] * ts[0];
            d0 = g[q] * g[q];
        } else {
            t2 += ts[f->kept[q]] * ts[f->kept[q]];
            d2 += g[q] * g[q];
        }
    }
    double step = fmax(t0 > 0 ? sqrt(d0 / t0) : sqrt(d0), t2 > 0 ? sqrt(d2 / t2) : sqrt(d2));
    f->passes++;
    if (on_pass) {
        struct exact_pass info = {
            .pass = f->passes, .step = step, .rss = rss + pb->l2 * w2,
            .grad_norm = sqrt(g2) / (double)pb->n_total, .seconds = comm_wtime() - rf->t0,
            .allreduce_seconds = t_sum,
        };
        on_pass(&info, ctx);
    }
    if (!(step < 0.5 * rf->prev) || step <= 0x1p-52) {
        /* no longer shrinking (rounding level), or below the spacing of doubles at the
           intercept's and the weights' norms: not taken, and this pass's θ is the final one */
        rf->done = 1;
        rf->final_sums = rf->summing;
    } else {
        add_step(pb, f, g);
        rf->prev = step;
        rf->last_step = step;
    }
    free(g);
    free(tz);
    free(ts);
}

void exact_refine_free(struct exact_refiner *rf)
{
    free(rf->total);
    free(rf->mtheta);
    memset(rf, 0, sizeof *rf);
}

void exact_refine(const struct exact_problem *pb, struct exact_fit *f, exact_pass_fn on_pass,
                  void *ctx)
{
    struct exact_refiner rf;
    exact_refine_begin(&rf, pb, f);
    while (exact_refine_next_pass(&rf)) {
        exact_refine_add(&rf, pb->X, pb->y, pb->w, pb->n_local);
        exact_refine_end_pass(&rf, on_pass, ctx);
    }
    exact_refine_free(&rf);
}

void exact_fit_free(struct exact_fit *f)
{
    free(f->theta);
    free(f->kept);
    free(f->R);
    memset(f, 0, sizeof *f);
}
