/* test_exact.c — exact.h: the factor and the refinement fed in blocks (the stream) give the
   same bits as exact_factor and exact_refine on all the rows at once, whatever the blocks
   (one row, a few, exactly a part, straddling parts, everything, empty blocks) and the
   thread count (1–3); the stream's triangle is the one a fixed binary tree over the parts
   gives (a reference twin of that tree, here); the refined θ is the weighted ridge
   solution computed independently (normal equations in long double); the fit's metrics that
   the refinement sums on its last pass are metrics_add's at the final θ, bit for bit. One
   rank: the merge across ranks is the one exact_factor makes, unchanged. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact.h"
#include "metrics.h"
#include "par.h"
#include "suites.h"

struct data {
    int64_t n;
    int d;
    double *X, *y, *w;         /* w NULL: unweighted */
    double *mean, *scale;      /* NULL: no scaling */
};

/* n×d rows, columns of different units; column `alias` (< 0: none) a copy of column 0. */
static struct data make_data(int64_t n, int d, int weights, int scaling, int alias, unsigned seed)
{
    struct data t = {.n = n, .d = d};
    t.X = malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)d);
    t.y = malloc(sizeof(double) * (size_t)(n ? n : 1));
    t.w = weights ? malloc(sizeof(double) * (size_t)(n ? n : 1)) : NULL;
    srand(seed);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double u = (double)rand() / RAND_MAX - 0.5;
            double v = j == alias ? t.X[i * d] : (j % 3 == 1 ? 1000 * u + 40 : j % 3 == 2 ? 0.01 * u : u);
            t.X[i * d + j] = v;
            s += (j + 1) * v;
        }
        t.y[i] = 3 + s + 0.1 * ((double)rand() / RAND_MAX - 0.5);
        if (weights)
            t.w[i] = 0.25 + 2 * (double)rand() / RAND_MAX;
    }
    if (scaling) {
        t.mean = calloc((size_t)d, sizeof(double));
        t.scale = malloc(sizeof(double) * (size_t)d);
        for (int j = 0; j < d; j++) {
            double s = 0, s2 = 0;
            for (int64_t i = 0; i < n; i++)
                s += t.X[i * d + j];
            t.mean[j] = n ? s / (double)n : 0;
            for (int64_t i = 0; i < n; i++)
                s2 += (t.X[i * d + j] - t.mean[j]) * (t.X[i * d + j] - t.mean[j]);
            t.scale[j] = s2 > 0 ? sqrt(s2 / (double)n) : 1;
        }
    }
    return t;
}

static void free_data(struct data *t)
{
    free(t->X);
    free(t->y);
    free(t->w);
    free(t->mean);
    free(t->scale);
}

static struct exact_problem problem_of(const struct data *t, int intercept, double l2, int threads)
{
    return (struct exact_problem){.X = t->X, .y = t->y, .w = t->w, .mean = t->mean,
                                  .scale = t->scale, .n_local = t->n, .n_total = t->n, .d = t->d,
                                  .intercept = intercept, .l2 = l2, .n_threads = threads};
}

/* The same fit, bit for bit. */
static int same_fit(const struct exact_fit *a, const struct exact_fit *b, int d)
{
    return a->rank == b->rank && a->passes == b->passes &&
           !memcmp(a->kept, b->kept, sizeof(int) * (size_t)a->rank) &&
           !memcmp(a->R, b->R, sizeof(double) * (size_t)a->rank * (size_t)a->rank) &&
           !memcmp(a->theta, b->theta, sizeof(double) * (size_t)(d + 1)) &&
           !memcmp(&a->kappa, &b->kappa, sizeof(double));
}

/* Rows per part, as exact.c cuts them: max(PAR_CHUNK_ROWS, 8m), ⌈N/rows⌉ equal parts. */
static int64_t parts_of(int64_t n, int m)
{
    int64_t rows = PAR_CHUNK_ROWS > 8 * (int64_t)m ? PAR_CHUNK_ROWS : 8 * (int64_t)m;
    return n <= rows ? 1 : (n + rows - 1) / rows;
}

/* Block sizes that cover n rows: 0 everything at once, 1 single rows, 2 a few rows (1–7,
   some empty blocks), 3 exactly the parts, 4 straddling the parts (0.6–1.9 of a part),
   5 anything from 0 to 20000. Returns the count; *sizes is allocated. */
static int64_t blocks_of(int pattern, int64_t n, int m, unsigned seed, int64_t **sizes)
{
    int64_t cap = n + 2, k = 0, parts = parts_of(n, m), done = 0;
    int64_t *b = malloc(sizeof(int64_t) * (size_t)cap);
    srand(seed);
    if (pattern == 3) {
        for (int64_t p = 0; p < parts; p++) {
            int64_t lo, hi;
            par_range(n, parts, p, &lo, &hi);
            b[k++] = hi - lo;
        }
        *sizes = b;
        return k;
    }
    int64_t part = n / parts + 1;
    while (done < n) {
        int64_t s = pattern == 0 ? n
                    : pattern == 1 ? 1
                    : pattern == 2 ? rand() % 8
                    : pattern == 4 ? part * 6 / 10 + rand() % (part * 13 / 10 + 1)
                                   : rand() % 20001;
        if (s > n - done)
            s = n - done;
        if (k == cap)
            b = realloc(b, sizeof(int64_t) * (size_t)(cap *= 2));
        b[k++] = s;
        done += s;
    }
    *sizes = b;
    return k;
}

static void stream_factor(const struct data *t, const struct exact_problem *pb, int pattern,
                          unsigned seed, struct exact_fit *f, double *T)
{
    int m = t->d + (pb->intercept ? 1 : 0) + 1;
    int64_t *sizes, nb = blocks_of(pattern, t->n, m, seed, &sizes), at = 0;
    struct exact_stream s;
    exact_stream_begin(&s, pb);
    for (int64_t b = 0; b < nb; b++) {
        exact_stream_add(&s, t->X + at * t->d, t->y + at, t->w ? t->w + at : NULL, sizes[b]);
        at += sizes[b];
    }
    if (T)
        exact_stream_triangle(&s, T);
    exact_stream_end(&s, f);
    free(sizes);
}

/* The refinement in blocks of the pattern; with sums, the passes also sum the metrics, and
   *sums gets the last pass's (NAN when it did not end on a step it did not take). */
static void stream_refine_metrics(const struct data *t, const struct exact_problem *pb,
                                  int pattern, unsigned seed, struct exact_fit *f, double *sums)
{
    int m = t->d + (pb->intercept ? 1 : 0) + 1;
    struct exact_refiner rf;
    exact_refine_begin(&rf, pb, f);
    rf.metrics = sums != NULL;
    while (exact_refine_next_pass(&rf)) {
        int64_t *sizes, nb = blocks_of(pattern, t->n, m, seed + (unsigned)f->passes, &sizes), at = 0;
        for (int64_t b = 0; b < nb; b++) {
            exact_refine_add(&rf, t->X + at * t->d, t->y + at, t->w ? t->w + at : NULL, sizes[b]);
            at += sizes[b];
        }
        free(sizes);
        exact_refine_end_pass(&rf, NULL, NULL);
    }
    CU_ASSERT(sums || !rf.final_sums);
    for (int q = 0; sums && q < 3; q++)
        sums[q] = rf.final_sums ? rf.msums[q] : NAN;
    exact_refine_free(&rf);
}

static void stream_refine(const struct data *t, const struct exact_problem *pb, int pattern,
                          unsigned seed, struct exact_fit *f)
{
    stream_refine_metrics(t, pb, pattern, seed, f, NULL);
}

/* The reference twin of the parts' tree: each part's R by dgeqrt of its rows of √ω[Ã y],
   then pairwise merges (dtpqrt) over a left-aligned binary tree: at step s = 1, 2, 4, …
   part a (a multiple of 2s) takes part a + s. */
static void tree_triangle(const struct data *t, int intercept, double *T)
{
    int d = t->d, nc = d + (intercept ? 1 : 0), m = nc + 1, nb = m < 32 ? m : 32;
    size_t mm = (size_t)m * (size_t)m;
    int64_t parts = parts_of(t->n, m);
    double *P = calloc(mm * (size_t)parts, sizeof(double)), *tau = malloc(sizeof(double) * (size_t)m);
    double *work = malloc(sizeof(double) * (size_t)(nb * m));
    for (int64_t p = 0; p < parts; p++) {
        int64_t lo, hi;
        par_range(t->n, parts, p, &lo, &hi);
        int64_t n = hi - lo;
        if (n == 0)
            continue;
        double *a = malloc(sizeof(double) * (size_t)n * (size_t)m);
        for (int c = 0; c < m; c++)
            for (int64_t i = 0; i < n; i++) {
                const double *x = t->X + (lo + i) * d;
                int j = intercept ? c - 1 : c;  /* feature index; −1: the ones */
                double v = c == nc ? t->y[lo + i]
                           : j < 0 ? 1.0
                           : t->mean ? (x[j] - t->mean[j]) / t->scale[j] : x[j];
                a[c * n + i] = v * (t->w ? sqrt(t->w[lo + i]) : 1.0);
            }
        int pnb = m < 8 ? m : 8;  /* exact.c's panels: dgeqrt, 8 columns */
        if (n < pnb)
            pnb = (int)n;
        double *tq = malloc(sizeof(double) * (size_t)(pnb * m));
        LAPACKE_dgeqrt(LAPACK_COL_MAJOR, (lapack_int)n, m, pnb, a, (lapack_int)n, tq, pnb);
        free(tq);
        for (int c = 0; c < m; c++)
            for (int r = 0; r <= c && r < n; r++)
                P[(size_t)p * mm + (size_t)c * m + r] = a[c * n + r];
        free(a);
    }
    for (int64_t step = 1; step < parts; step *= 2)
        for (int64_t a = 0; a + step < parts; a += 2 * step) {
            double *A = P + (size_t)a * mm, *B = P + (size_t)(a + step) * mm;
            LAPACKE_dtpqrt(LAPACK_COL_MAJOR, m, m, m, nb, A, m, B, m, work, nb);
            for (int c = 0; c < m; c++)
                for (int r = c + 1; r < m; r++)
                    A[c * m + r] = 0;
        }
    memcpy(T, P, sizeof(double) * mm);
    free(P);
    free(tau);
    free(work);
}

/* The minimiser of Σω(b + w·x − y)² + λΣ(σ_j w_j)², from the normal equations in long
   double (Gaussian elimination with partial pivoting): an independent check of the
   refined θ on well-conditioned data. */
static void normal_solution(const struct data *t, int intercept, double l2, long double *theta)
{
    int d = t->d, m = d + 1;
    long double *H = calloc((size_t)m * (size_t)(m + 1), sizeof(long double));
    for (int64_t i = 0; i < t->n; i++) {
        long double om = t->w ? t->w[i] : 1;
        for (int a = 0; a < m; a++) {
            long double xa = a ? t->X[i * d + a - 1] : 1;
            for (int b = 0; b < m; b++)
                H[a * (m + 1) + b] += om * xa * (b ? t->X[i * d + b - 1] : 1);
            H[a * (m + 1) + m] += om * xa * t->y[i];
        }
    }
    for (int j = 1; j < m; j++)
        H[j * (m + 1) + j] += l2 * (t->scale ? (long double)t->scale[j - 1] * t->scale[j - 1] : 1);
    int lo = intercept ? 0 : 1;  /* without an intercept b = 0: solve for w alone */
    for (int c = lo; c < m; c++) {
        int piv = c;
        for (int r = c + 1; r < m; r++)
            if (fabsl(H[r * (m + 1) + c]) > fabsl(H[piv * (m + 1) + c]))
                piv = r;
        for (int k = 0; k <= m; k++) {
            long double tmp = H[c * (m + 1) + k];
            H[c * (m + 1) + k] = H[piv * (m + 1) + k];
            H[piv * (m + 1) + k] = tmp;
        }
        for (int r = lo; r < m; r++)
            if (r != c) {
                long double f = H[r * (m + 1) + c] / H[c * (m + 1) + c];
                for (int k = c; k <= m; k++)
                    H[r * (m + 1) + k] -= f * H[c * (m + 1) + k];
            }
    }
    theta[0] = 0;
    for (int j = lo; j < m; j++)
        theta[j] = H[j * (m + 1) + m] / H[j * (m + 1) + j];
    free(H);
}

/* One problem: the resident factor and refinement (1 thread) against the stream under every
   block pattern and 1–3 threads, and the stream's triangle against the tree's. */
static void check_problem(const struct data *t, int intercept, double l2, int want_rank)
{
    int d = t->d, m = d + (intercept ? 1 : 0) + 1;
    struct exact_problem pb = problem_of(t, intercept, l2, 1);
    struct exact_fit ref = {0}, fine = {0};
    exact_factor(&pb, &ref);
    CU_ASSERT_EQUAL(ref.rank, want_rank);
    exact_factor(&pb, &fine);
    exact_refine(&pb, &fine, NULL, NULL);
    if (t->n > 0)
        CU_ASSERT(fine.passes >= 1);
    double *T = malloc(sizeof(double) * (size_t)m * (size_t)m);
    double *want = malloc(sizeof(double) * (size_t)m * (size_t)m);
    tree_triangle(t, intercept, want);
    for (int threads = 1; threads <= 3; threads++) {
        struct exact_problem pt = problem_of(t, intercept, l2, threads);
        struct exact_fit whole = {0};
        exact_factor(&pt, &whole);  /* the resident call under this thread count */
        CU_ASSERT(same_fit(&whole, &ref, d));
        exact_refine(&pt, &whole, NULL, NULL);
        CU_ASSERT(same_fit(&whole, &fine, d));
        exact_fit_free(&whole);
        for (int pattern = 0; pattern <= 5; pattern++) {
            if (pattern == 1 && t->n > 20000 && threads > 1)
                continue;  /* single rows: once is enough for the largest */
            unsigned seed = (unsigned)(100 * threads + pattern);
            struct exact_fit f = {0};
            stream_factor(t, &pt, pattern, seed, &f, T);
            CU_ASSERT(!memcmp(T, want, sizeof(double) * (size_t)m * (size_t)m));
            CU_ASSERT(same_fit(&f, &ref, d));
            stream_refine(t, &pt, (pattern + 2) % 6, seed + 7, &f);
            CU_ASSERT(same_fit(&f, &fine, d));
            exact_fit_free(&f);
        }
    }
    free(T);
    free(want);
    exact_fit_free(&ref);
    exact_fit_free(&fine);
}

/* 50,000 rows in 13 parts (not a power of two), weights, an intercept, scaling, a ridge. */
static void test_weighted_ridge(void)
{
    struct data t = make_data(50000, 5, 1, 1, -1, 11);
    CU_ASSERT_EQUAL(parts_of(t.n, 7), 13);
    check_problem(&t, 1, 0.5, 6);
    struct exact_problem pb = problem_of(&t, 1, 0.5, 2);
    struct exact_fit f = {0};
    long double want[6];
    exact_factor(&pb, &f);
    exact_refine(&pb, &f, NULL, NULL);
    normal_solution(&t, 1, 0.5, want);
    for (int j = 0; j <= t.d; j++)
        CU_ASSERT(fabsl((long double)f.theta[j] - want[j]) <= 1e-10L * (1 + fabsl(want[j])));
    exact_fit_free(&f);
    free_data(&t);
}

/* 25 features (m = 27), no intercept, no scaling, column 3 a copy of column 0 (aliased). */
static void test_aliased_wide(void)
{
    struct data t = make_data(20000, 25, 0, 0, 3, 12);
    check_problem(&t, 0, 0, 24);
    struct exact_problem pb = problem_of(&t, 0, 0, 1);
    struct exact_fit f = {0};
    exact_factor(&pb, &f);
    CU_ASSERT(isnan(f.theta[4]) && !isnan(f.theta[1]) && f.theta[0] == 0);
    exact_fit_free(&f);
    free_data(&t);
}

/* Small shapes: one part (3,000 rows, m = 4), a part count of 2 exactly, and weights with
   an aliased column and a ridge (the ridge rows keep the copy: rank d + 1). */
static void test_small_shapes(void)
{
    struct data a = make_data(3000, 2, 0, 1, -1, 13);
    CU_ASSERT_EQUAL(parts_of(a.n, 4), 1);
    check_problem(&a, 1, 0, 3);
    free_data(&a);
    struct data b = make_data(8192, 3, 1, 0, 2, 14);
    CU_ASSERT_EQUAL(parts_of(b.n, 5), 2);
    check_problem(&b, 1, 0, 3);
    check_problem(&b, 1, 2.0, 4);
    free_data(&b);
}

/* A rank with no rows: the stream with no block (or empty ones) is exact_factor's zero
   triangle; with a ridge the penalised columns are kept. */
static void test_no_rows(void)
{
    struct data t = make_data(0, 3, 1, 1, -1, 15);
    check_problem(&t, 1, 0, 0);
    check_problem(&t, 1, 1.0, 3);
    struct exact_problem pb = problem_of(&t, 1, 0, 1);
    struct exact_stream s;
    struct exact_fit f = {0}, g = {0};
    exact_stream_begin(&s, &pb);
    exact_stream_end(&s, &f);  /* no add at all */
    exact_factor(&pb, &g);
    CU_ASSERT(same_fit(&f, &g, 3));
    CU_ASSERT_EQUAL(f.rank, 0);
    CU_ASSERT(isnan(f.kappa));
    exact_fit_free(&f);
    exact_fit_free(&g);
    free_data(&t);
}

/* The refinement's metrics: whatever the blocks and the threads, the last pass's θ is the
   final one and its sums are metrics_add's on all the rows at that θ (aliased weights 0),
   the errors formed about the same centre (the columns' means, or zeros); the same
   refinement without them gives the same fit. */
static void check_metrics(const struct data *t, int intercept)
{
    int d = t->d;
    double *zeros = calloc((size_t)d + 1, sizeof(double));
    struct exact_problem pb = problem_of(t, intercept, 0, 1);
    struct exact_fit plain = {0};
    exact_factor(&pb, &plain);
    exact_refine(&pb, &plain, NULL, NULL);
    for (int threads = 1; threads <= 3; threads++)
        for (int pattern = 0; pattern <= 5; pattern++) {
            if (pattern == 1 && threads > 1)
                continue;  /* single rows: once is enough */
            struct exact_problem pt = problem_of(t, intercept, 0, threads);
            struct exact_fit f = {0};
            double sums[3], theta[64];
            pt.center = t->mean ? t->mean : zeros;
            exact_factor(&pt, &f);
            stream_refine_metrics(t, &pt, pattern, (unsigned)(10 * threads + pattern), &f, sums);
            CU_ASSERT(same_fit(&f, &plain, d));
            for (int j = 0; j <= d; j++)
                theta[j] = isnan(f.theta[j]) ? 0 : f.theta[j];
            struct metrics_acc acc;
            metrics_init(&acc, pt.center);
            metrics_add(&acc, t->X, t->y, t->w, t->n, d, theta[0], theta + 1, 1);
            CU_ASSERT(!memcmp(acc.sums, sums, sizeof sums));
            CU_ASSERT(acc.sums[0] > 0 && acc.sums[2] == (double)t->n);
            exact_fit_free(&f);
        }
    exact_fit_free(&plain);
    free(zeros);
}

static void test_refine_metrics(void)
{
    struct data a = make_data(50000, 5, 1, 1, -1, 21);
    check_metrics(&a, 1);
    free_data(&a);
    struct data b = make_data(20000, 25, 0, 0, 3, 22);
    check_metrics(&b, 0);
    free_data(&b);
}

/* The factor of the shifted, unscaled design taken to the scaling at the end is the scaled
   design's to rounding (1e-12 of R's largest entry; θ before refinement to 1e-10), under
   1 and 3 threads and blocks that straddle parts; a shift farther than EXACT_SHIFT_MAX
   standard deviations is refused, the fit untouched. */
static void check_rescaled(const struct data *t, int intercept, double shift_sd, int want)
{
    int d = t->d;
    double *zero = calloc((size_t)d, sizeof(double)), *ones = malloc(sizeof(double) * (size_t)d);
    double *shift = malloc(sizeof(double) * (size_t)d);
    const double *mean = intercept ? t->mean : zero;
    for (int j = 0; j < d; j++) {
        ones[j] = 1;
        shift[j] = intercept ? t->mean[j] + (j % 2 ? shift_sd : -shift_sd / 2) * t->scale[j] : 0;
    }
    struct exact_problem ref_pb = problem_of(t, intercept, 0, 1);
    ref_pb.mean = mean;
    struct exact_fit ref = {0};
    exact_factor(&ref_pb, &ref);
    for (int threads = 1; threads <= 3; threads += 2) {
        struct exact_problem pb = problem_of(t, intercept, 0, threads);
        pb.mean = shift;
        pb.scale = ones;
        struct exact_stream st;
        struct exact_fit f = {0};
        exact_stream_begin(&st, &pb);
        int64_t *sizes, nb = blocks_of(4, t->n, d + 2, 40u + (unsigned)threads, &sizes), at = 0;
        for (int64_t b = 0; b < nb; b++) {
            exact_stream_add(&st, t->X + at * d, t->y + at, t->w ? t->w + at : NULL, sizes[b]);
            at += sizes[b];
        }
        free(sizes);
        int rc = exact_stream_end_rescaled(&st, mean, t->scale, &f);
        CU_ASSERT_EQUAL(rc, want);
        if (rc == 0) {
            double big = 0, err = 0;
            CU_ASSERT_EQUAL(f.rank, ref.rank);
            for (int i = 0; i < ref.rank * ref.rank; i++) {
                big = fmax(big, fabs(ref.R[i]));
                err = fmax(err, fabs(fabs(f.R[i]) - fabs(ref.R[i])));  /* rows' signs may differ */
            }
            CU_ASSERT(err <= 1e-12 * big);
            for (int j = 0; j <= d; j++)
                CU_ASSERT(fabs(f.theta[j] - ref.theta[j]) <= 1e-10 * (1 + fabs(ref.theta[j])));
            CU_ASSERT(fabs(f.kappa / ref.kappa - 1) < 1e-10);
        } else {
            CU_ASSERT(f.theta == NULL && f.R == NULL);
        }
        exact_fit_free(&f);
    }
    exact_fit_free(&ref);
    free(zero);
    free(ones);
    free(shift);
}

static void test_rescaled(void)
{
    struct data t = make_data(50000, 5, 1, 1, -1, 31);  /* weights, columns of 1, 1000, 0.01 */
    check_rescaled(&t, 1, 3.0, 0);
    check_rescaled(&t, 1, 0.0, 0);
    check_rescaled(&t, 0, 0.0, 0);
    check_rescaled(&t, 1, 20.0, -1);
    free_data(&t);
}

void add_exact_suite(void)
{
    CU_pSuite s = CU_add_suite("exact", NULL, NULL);
    CU_add_test(s, "stream = resident bits: weights, intercept, scaling, ridge; 13 parts",
                test_weighted_ridge);
    CU_add_test(s, "stream = resident bits: 25 columns, an aliased one, no intercept",
                test_aliased_wide);
    CU_add_test(s, "stream = resident bits: one part, two parts, ridge keeps an alias",
                test_small_shapes);
    CU_add_test(s, "stream = resident bits: a rank with no rows", test_no_rows);
    CU_add_test(s, "the last refinement pass's metrics are metrics_add's at the final theta",
                test_refine_metrics);
    CU_add_test(s, "a shifted, unscaled factor taken to the scaling: the scaled one's R",
                test_rescaled);
}
