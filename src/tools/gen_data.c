/*
 * gen_data -- fast, reproducible generator of synthetic linear-regression CSVs.
 *
 * Data model
 *   Each row holds D features x1..xD and a target
 *       y = b + sum_j w_j * x_j + sigma * e,      e ~ N(0, 1)
 *   written as the CSV line "x1,...,xD,y" under the header "x1,...,xD,y".
 *   b (intercept), w (coefficients) and the feature distribution depend only
 *   on (--seed, --features, --kind); --coef-out writes them as JSON.
 *
 *   --kind plain  x_j ~ N(0, 1) independent; w_j ~ U[-5, 5]; b ~ U[-10, 10].
 *   --kind hard   x_j = mu_j + s_j * z_j with scales s_j log-spaced over
 *                 1e-3 .. 1e4 (shuffled), nonzero means |mu_j| in [s_j, 20 s_j],
 *                 and for every j with j % 3 == 1 (0-based) a strongly
 *                 correlated pair:  z_j = a_j z_{j-1} + sqrt(1 - a_j^2) u_j
 *                 (a = 0.995 for the first pair, U[0.9, 0.99] for the others);
 *                 all other z_j are independent N(0, 1).  w_j = c_j / s_j with
 *                 c_j ~ U[-5, 5] so every feature matters; b ~ U[-10, 10].
 *                 The z-scored features' correlation matrix is block diagonal
 *                 with eigenvalues 1 +- a_j (and 1), so its condition number
 *                 is exactly (1 + a_max) / (1 - a_max) = 399 when D >= 2.
 *
 * Reproducibility
 *   Row r's values depend only on (seed, r): a counter-based generator
 *   (splitmix64 seeded by a hash of seed and r) feeds Box-Muller.  So the
 *   output is byte-identical whatever the thread count, and the parts written
 *   with "--parts K --part 0..K-1" concatenate (cat part0 part1 ...) to exactly
 *   the unsplit file (header in part 0 only, with the default --header auto).
 *   (Builds that contract a*b+c into FMA, e.g. -march=native on some CPUs,
 *   may print different last digits than a plain x86-64 build.)
 *
 * Numbers
 *   Every value is printed like printf("%.10g") (--digits P, 1..15, changes 10)
 *   by a small custom formatter (about 4x faster than snprintf; it matches
 *   printf digit for digit, ties included), so values parse exactly on a
 *   decimal fast path.  y is computed from the x
 *   values *as printed*, so with --noise 0 the file is exactly linear up to
 *   the rounding of y itself.
 *
 * Speed
 *   Rows are produced in blocks of ~1 MB of text, in parallel with OpenMP
 *   when compiled with -fopenmp, and written in order with fwrite.
 *
 * Build: mpicc -O3 -fopenmp -Wall -Wextra src/tools/gen_data.c -o bin/gen_data -lm
 * Exit:  0 ok, 2 usage error, 74 I/O error, 1 out of memory.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define EXIT_USAGE 2
#define EXIT_IOERR 74
#define MAX_FEATURES 1000000
#define BLOCK_BYTES (1u << 20)
#define MAX_FIELD 32 /* bytes per printed value incl. separator, generous */

enum kind { KIND_PLAIN, KIND_HARD };
enum header_mode { HEADER_AUTO, HEADER_ALWAYS, HEADER_NEVER };

struct options {
    uint64_t rows;
    int have_rows;
    int features;
    uint64_t seed;
    double noise;
    enum kind kind;
    uint64_t parts, part;
    enum header_mode header;
    int digits;
    const char *coef_out;
    int info;
    const char *out_path;
};

/* Generating model; plain kind uses mu = 0, scale = 1, corr = 0. */
struct model {
    int d;
    int digits;
    uint64_t key;      /* hash of the seed */
    double intercept;
    double noise;
    double *w;         /* coefficients on the raw features */
    double *mu;        /* feature means */
    double *scale;     /* feature standard deviations */
    double *corr;      /* a_j: correlation with feature j-1, or 0 */
    double *indep;     /* sqrt(1 - a_j^2) */
};

/* ------------------------------------------------------------------ RNG */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t next_u64(uint64_t *state)
{
    *state += 0x9E3779B97F4A7C15ULL;
    return mix64(*state);
}

/* Uniform in (0, 1]. */
static double uniform_open0(uint64_t *state)
{
    return (double)((next_u64(state) >> 11) + 1) * 0x1.0p-53;
}

/* Uniform in [lo, hi). */
static double uniform(uint64_t *state, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(next_u64(state) >> 11) * 0x1.0p-53);
}

/* Fills z[0..n-1] with standard normals (Box-Muller, pairs). */
static void normals(uint64_t *state, double *z, int n)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (int i = 0; i < n; i += 2) {
        double r = sqrt(-2.0 * log(uniform_open0(state)));
        double t = two_pi * uniform(state, 0.0, 1.0);
        z[i] = r * cos(t);
        if (i + 1 < n)
            z[i + 1] = r * sin(t);
    }
}

/* Independent stream for row r: depends only on (seed key, r). */
static uint64_t row_state(uint64_t key, uint64_t r)
{
    return mix64(key ^ mix64(r ^ 0xD1B54A32D192ED03ULL));
}

/* ------------------------------------------------------------ formatter */

static const double POW10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static char *put_uint(char *p, unsigned v)
{
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Rare cases (zero, subnormal, huge exponents): use printf. */
static char *fmt_slow(double v, int prec, char *p, double *shown)
{
    int n = snprintf(p, MAX_FIELD, "%.*g", prec, v);
    *shown = strtod(p, NULL);
    return p + n;
}

/* Writes digits dig[0..nd-1] x 10^e in %g style (no trailing zeros). */
static char *fmt_digits(const char *dig, int nd, int e, int prec, char *p)
{
    if (e < -4 || e >= prec) {              /* scientific */
        *p++ = dig[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)(nd - 1));
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        unsigned ae = (unsigned)(e < 0 ? -e : e);
        if (ae < 10)
            *p++ = '0';
        return put_uint(p, ae);
    }
    if (e < 0) {                            /* 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > e; i--)
            *p++ = '0';
        memcpy(p, dig, (size_t)nd);
        return p + nd;
    }
    int intd = e + 1;                       /* ddd.ddd or ddd000 */
    if (nd <= intd) {
        memcpy(p, dig, (size_t)nd);
        p += nd;
        for (int i = nd; i < intd; i++)
            *p++ = '0';
        return p;
    }
    memcpy(p, dig, (size_t)intd);
    p += intd;
    *p++ = '.';
    memcpy(p, dig + intd, (size_t)(nd - intd));
    return p + (nd - intd);
}

/*
 * Rounds m = a * 10^k (computed with one rounding) to the nearest integer as
 * printf would round the exact product: when m lies exactly halfway, the
 * sign of the product's rounding error (exact via fma) decides, and a true
 * tie goes to even.
 */
static uint64_t round_scaled(double a, int k, double m)
{
    uint64_t mi = (uint64_t)(m + 0.5);
    double diff = (double)mi - m;           /* exact, in [-0.5, 0.5] */
    if (diff != 0.5 && diff != -0.5)
        return mi;
    double err = k >= 0 ? fma(a, POW10[k], -m)    /* exact - m */
                        : fma(-m, POW10[-k], a);  /* (exact - m) * 10^-k */
    double lo = diff == 0.5 ? (double)mi - 1.0 : (double)mi;
    if (err > 0)
        return (uint64_t)lo + 1;
    if (err < 0)
        return (uint64_t)lo;
    return ((uint64_t)lo & 1) ? (uint64_t)lo + 1 : (uint64_t)lo;
}

/*
 * Prints v like "%.{prec}g" (prec <= 15) and stores in *shown the double
 * that the printed text denotes.  Returns the new end of the text.
 */
static char *fmt_double(double v, int prec, char *p, double *shown)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e2 = (int)((bits >> 52) & 0x7ff);
    if (e2 == 0 || e2 == 0x7ff)
        return fmt_slow(v, prec, p, shown);
    double a = fabs(v);
    double e_est = floor((e2 - 1023) * 0.30102999566398119521);
    int e = (int)e_est;
    if (e + 1 < -22 || e + 1 > 22)
        return fmt_slow(v, prec, p, shown);
    if (a >= (e + 1 >= 0 ? POW10[e + 1] : 1.0 / POW10[-(e + 1)]))
        e++;
    int k = prec - 1 - e;                   /* a * 10^k has prec digits */
    if (k > 22 || k < -22)
        return fmt_slow(v, prec, p, shown);
    double m = k >= 0 ? a * POW10[k] : a / POW10[-k];
    uint64_t mi = round_scaled(a, k, m);
    if (mi >= (uint64_t)POW10[prec]) {      /* 99.95 -> 100.0 */
        mi /= 10;
        e++;
        k--;
        if (k < -22)
            return fmt_slow(v, prec, p, shown);
    }
    double s = k >= 0 ? (double)mi / POW10[k] : (double)mi * POW10[-k];
    *shown = v < 0 ? -s : s;
    char dig[16];
    int nd = prec;
    while (nd > 1 && mi % 10 == 0) {
        mi /= 10;
        nd--;
    }
    for (int i = nd - 1; i >= 0; i--) {
        dig[i] = (char)('0' + mi % 10);
        mi /= 10;
    }
    if (v < 0)
        *p++ = '-';
    return fmt_digits(dig, nd, e, prec, p);
}

/* ---------------------------------------------------------------- model */

static void model_free(struct model *m)
{
    free(m->w);
    free(m->mu);
    free(m->scale);
    free(m->corr);
    free(m->indep);
}

static int model_alloc(struct model *m, int d)
{
    size_t n = (size_t)d;
    m->w = calloc(n, sizeof *m->w);
    m->mu = calloc(n, sizeof *m->mu);
    m->scale = calloc(n, sizeof *m->scale);
    m->corr = calloc(n, sizeof *m->corr);
    m->indep = calloc(n, sizeof *m->indep);
    return m->w && m->mu && m->scale && m->corr && m->indep ? 0 : -1;
}

static void model_plain(struct model *m, uint64_t *st)
{
    for (int j = 0; j < m->d; j++) {
        m->w[j] = uniform(st, -5.0, 5.0);
        m->mu[j] = 0.0;
        m->scale[j] = 1.0;
        m->corr[j] = 0.0;
        m->indep[j] = 1.0;
    }
}

/* Scale exponents -3..4 evenly spaced over the features, then shuffled. */
static void hard_scales(struct model *m, uint64_t *st)
{
    int d = m->d;
    for (int j = 0; j < d; j++)
        m->scale[j] = d > 1 ? pow(10.0, -3.0 + 7.0 * j / (d - 1)) : 1.0;
    for (int j = d - 1; j > 0; j--) {
        int i = (int)(next_u64(st) % (uint64_t)(j + 1));
        double t = m->scale[i];
        m->scale[i] = m->scale[j];
        m->scale[j] = t;
    }
}

static void model_hard(struct model *m, uint64_t *st)
{
    hard_scales(m, st);
    int first_pair = 1;
    for (int j = 0; j < m->d; j++) {
        double sign = (next_u64(st) & 1) ? 1.0 : -1.0;
        m->mu[j] = sign * m->scale[j] * uniform(st, 1.0, 20.0);
        m->w[j] = uniform(st, -5.0, 5.0) / m->scale[j];
        double a = 0.0;
        if (j % 3 == 1) {
            a = first_pair ? 0.995 : uniform(st, 0.9, 0.99);
            first_pair = 0;
        }
        m->corr[j] = a;
        m->indep[j] = sqrt(1.0 - a * a);
    }
}

static int model_init(struct model *m, const struct options *o)
{
    memset(m, 0, sizeof *m);
    m->d = o->features;
    m->digits = o->digits;
    m->noise = o->noise;
    m->key = mix64(o->seed + 0x9E3779B97F4A7C15ULL);
    if (model_alloc(m, m->d) != 0)
        return -1;
    uint64_t st = mix64(m->key ^ 0xA0761D6478BD642FULL); /* parameter stream */
    m->intercept = uniform(&st, -10.0, 10.0);
    if (o->kind == KIND_HARD)
        model_hard(m, &st);
    else
        model_plain(m, &st);
    return 0;
}

/* Exact condition number of the z-scored features' correlation matrix. */
static double model_condition(const struct model *m)
{
    double amax = 0.0;
    for (int j = 0; j < m->d; j++)
        if (m->corr[j] > amax)
            amax = m->corr[j];
    return (1.0 + amax) / (1.0 - amax);
}

/* ------------------------------------------------------------ generation */

/* Writes row r (with '\n') at p; z is scratch for d + 1 doubles. */
static char *gen_row(const struct model *m, uint64_t r, double *z, char *p)
{
    uint64_t st = row_state(m->key, r);
    normals(&st, z, m->d + 1);
    double y = m->intercept, lat = 0.0, shown;
    for (int j = 0; j < m->d; j++) {
        lat = m->corr[j] * lat + m->indep[j] * z[j];
        p = fmt_double(m->mu[j] + m->scale[j] * lat, m->digits, p, &shown);
        *p++ = ',';
        y += m->w[j] * shown;
    }
    y += m->noise * z[m->d];
    p = fmt_double(y, m->digits, p, &shown);
    *p++ = '\n';
    return p;
}

static size_t gen_block(const struct model *m, uint64_t r0, uint64_t n,
                        double *z, char *buf)
{
    char *p = buf;
    for (uint64_t r = r0; r < r0 + n; r++)
        p = gen_row(m, r, z, p);
    return (size_t)(p - buf);
}

struct worker {
    char *buf;
    double *z;
};

struct writer {
    const struct model *m;
    FILE *out;
    uint64_t block_rows;
    struct worker *workers;
    int nworkers;
    uint64_t bytes;
    int failed;
};

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int writer_init(struct writer *w, const struct model *m, FILE *out)
{
    size_t row_cap = (size_t)(m->d + 1) * MAX_FIELD;
    memset(w, 0, sizeof *w);
    w->m = m;
    w->out = out;
    w->block_rows = BLOCK_BYTES / row_cap ? BLOCK_BYTES / row_cap : 1;
    w->nworkers = max_threads();
    w->workers = calloc((size_t)w->nworkers, sizeof *w->workers);
    if (!w->workers)
        return -1;
    for (int t = 0; t < w->nworkers; t++) {
        w->workers[t].buf = malloc(row_cap * w->block_rows);
        w->workers[t].z = malloc(sizeof(double) * (size_t)(m->d + 2));
        if (!w->workers[t].buf || !w->workers[t].z)
            return -1;
    }
    return 0;
}

static void writer_free(struct writer *w)
{
    for (int t = 0; w->workers && t < w->nworkers; t++) {
        free(w->workers[t].buf);
        free(w->workers[t].z);
    }
    free(w->workers);
}

static void writer_put(struct writer *w, const char *buf, size_t len)
{
    if (w->failed)
        return;
    if (fwrite(buf, 1, len, w->out) != len) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
        w->failed = 1;
    } else
        w->bytes += len;
}

/*
 * Rows [r0, r1): blocks are generated in parallel, each thread into its own
 * buffer, and written strictly in block order (omp ordered).
 */
static int write_rows(struct writer *w, uint64_t r0, uint64_t r1)
{
    int64_t nblocks = (int64_t)((r1 - r0 + w->block_rows - 1) / w->block_rows);
#ifdef _OPENMP
#pragma omp parallel for ordered schedule(static, 1)
#endif
    for (int64_t b = 0; b < nblocks; b++) {
        struct worker *wk = &w->workers[thread_id()];
        uint64_t first = r0 + (uint64_t)b * w->block_rows;
        uint64_t n = r1 - first < w->block_rows ? r1 - first : w->block_rows;
        int failed;
#ifdef _OPENMP
#pragma omp atomic read
#endif
        failed = w->failed;
        size_t len = failed ? 0 : gen_block(w->m, first, n, wk->z, wk->buf);
#ifdef _OPENMP
#pragma omp ordered
#endif
        writer_put(w, wk->buf, len);
    }
    return w->failed ? -1 : 0;
}

static int write_header(struct writer *w)
{
    char buf[32];
    for (int j = 1; j <= w->m->d; j++) {
        int n = snprintf(buf, sizeof buf, "x%d,", j);
        writer_put(w, buf, (size_t)n);
    }
    writer_put(w, "y\n", 2);
    return w->failed ? -1 : 0;
}

/* ------------------------------------------------------------ coef JSON */

static int write_coef(const struct model *m, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"intercept\":%.17g, \"coefficients\":[", m->intercept);
    for (int j = 0; j < m->d; j++)
        fprintf(f, "%s%.17g", j ? ", " : "", m->w[j]);
    fprintf(f, "], \"noise\":%.17g}\n", m->noise);
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: gen_data --rows N [options] OUT.csv   (OUT.csv = - for stdout)\n"
        "Writes a synthetic CSV \"x1,...,xD,y\" with y = b + sum_j w_j x_j + noise.\n"
        "  --rows N             number of rows in the whole data set (required)\n"
        "  --features D         number of features (default 8)\n"
        "  --seed S             64-bit seed (default 1)\n"
        "  --noise SIGMA        std-dev of the Gaussian noise on y (default 0.1)\n"
        "  --kind plain|hard    plain: iid N(0,1) features; hard: scales 1e-3..1e4,\n"
        "                       nonzero means, correlated pairs (default plain)\n"
        "  --parts K --part I   write only block I (0-based) of K equal row blocks;\n"
        "                       cat of all parts == the unsplit file\n"
        "  --header auto|always|never  auto: only when not split or in part 0\n"
        "  --digits P           significant digits per value, 1..15 (default 10)\n"
        "  --coef-out PATH      write {\"intercept\",\"coefficients\",\"noise\"} JSON\n"
        "  --info               print rows, features, bytes, speed (and, for hard,\n"
        "                       the correlation condition number) to stderr\n"
        "  --help               show this help\n"
        "Rows depend only on (seed, row index): output is identical for any\n"
        "thread count (OMP_NUM_THREADS) and any --parts split.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = (uint64_t)x;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *v)
{
    uint64_t x;
    if (parse_u64(s, &x) != 0 || x < (uint64_t)lo || x > (uint64_t)hi)
        return -1;
    *v = (int)x;
    return 0;
}

static int parse_noise(const char *s, double *v)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || !(x >= 0.0) || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}

static int parse_kind(const char *s, enum kind *k)
{
    if (s && strcmp(s, "plain") == 0)
        *k = KIND_PLAIN;
    else if (s && strcmp(s, "hard") == 0)
        *k = KIND_HARD;
    else
        return -1;
    return 0;
}

static int parse_header(const char *s, enum header_mode *h)
{
    if (s && strcmp(s, "auto") == 0)
        *h = HEADER_AUTO;
    else if (s && strcmp(s, "always") == 0)
        *h = HEADER_ALWAYS;
    else if (s && strcmp(s, "never") == 0)
        *h = HEADER_NEVER;
    else
        return -1;
    return 0;
}

/* Applies option NAME with value VAL; returns -1 on a bad name or value. */
static int apply_option(struct options *o, const char *name, const char *val)
{
    if (strcmp(name, "rows") == 0) {
        o->have_rows = 1;
        return parse_u64(val, &o->rows);
    }
    if (strcmp(name, "features") == 0)
        return parse_int(val, 1, MAX_FEATURES, &o->features);
    if (strcmp(name, "seed") == 0)
        return parse_u64(val, &o->seed);
    if (strcmp(name, "noise") == 0)
        return parse_noise(val, &o->noise);
    if (strcmp(name, "kind") == 0)
        return parse_kind(val, &o->kind);
    if (strcmp(name, "parts") == 0)
        return parse_u64(val, &o->parts) != 0 || o->parts == 0 ? -1 : 0;
    if (strcmp(name, "part") == 0)
        return parse_u64(val, &o->part);
    if (strcmp(name, "header") == 0)
        return parse_header(val, &o->header);
    if (strcmp(name, "digits") == 0)
        return parse_int(val, 1, 15, &o->digits);
    if (strcmp(name, "coef-out") == 0) {
        o->coef_out = val;
        return val && *val ? 0 : -1;
    }
    return -1;
}

#ifdef __GNUC__
__attribute__((noreturn))
#endif
static void bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "gen_data: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    exit(EXIT_USAGE);
}

/* Handles "--name VALUE" and "--name=VALUE"; returns the next argv index. */
static int parse_long(struct options *o, int argc, char **argv, int i)
{
    const char *name = argv[i] + 2;
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        exit(0);
    }
    if (strcmp(name, "info") == 0) {
        o->info = 1;
        return i + 1;
    }
    const char *opt = argv[i];
    char buf[64];
    const char *eq = strchr(name, '=');
    const char *val;
    if (eq) {
        size_t n = (size_t)(eq - name);
        if (n >= sizeof buf)
            bad_usage("unknown option", opt);
        memcpy(buf, name, n);
        buf[n] = '\0';
        name = buf;
        val = eq + 1;
    } else {
        if (i + 1 >= argc)
            bad_usage("missing value for option", opt);
        val = argv[++i];
    }
    if (apply_option(o, name, val) != 0)
        bad_usage("unknown option or bad value", opt);
    return i + 1;
}

static void parse_args(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->features = 8;
    o->seed = 1;
    o->noise = 0.1;
    o->parts = 1;
    o->digits = 10;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            i = parse_long(o, argc, argv, i);
            continue;
        }
        if (a[0] == '-' && a[1])
            bad_usage("unknown option", a);
        if (o->out_path)
            bad_usage("more than one output file", a);
        o->out_path = a;
        i++;
    }
    if (!o->have_rows)
        bad_usage("--rows is required", NULL);
    if (!o->out_path)
        bad_usage("missing output file (use - for stdout)", NULL);
    if (o->part >= o->parts)
        bad_usage("--part must be < --parts", NULL);
}

/* ------------------------------------------------------------ main */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Row range of part I of K: sizes differ by at most one row. */
static void part_range(const struct options *o, uint64_t *r0, uint64_t *r1)
{
    uint64_t q = o->rows / o->parts, rem = o->rows % o->parts;
    *r0 = o->part * q + (o->part < rem ? o->part : rem);
    *r1 = *r0 + q + (o->part < rem ? 1 : 0);
}

static int want_header(const struct options *o)
{
    if (o->header == HEADER_ALWAYS)
        return 1;
    if (o->header == HEADER_NEVER)
        return 0;
    return o->parts == 1 || o->part == 0;
}

static void print_info(const struct options *o, const struct model *m,
                       uint64_t r0, uint64_t r1, uint64_t bytes, double secs)
{
    fprintf(stderr, "gen_data: rows %llu (rows [%llu, %llu) of %llu), "
            "features %d, kind %s, seed %llu, threads %d\n",
            (unsigned long long)(r1 - r0), (unsigned long long)r0,
            (unsigned long long)r1, (unsigned long long)o->rows,
            m->d, o->kind == KIND_HARD ? "hard" : "plain",
            (unsigned long long)o->seed, max_threads());
    fprintf(stderr, "gen_data: bytes %llu in %.3f s (%.1f MB/s)\n",
            (unsigned long long)bytes, secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
    if (o->kind == KIND_HARD)
        fprintf(stderr, "gen_data: condition number of z-scored feature "
                "correlation matrix (exact, from the model): %.6g\n",
                model_condition(m));
}

static FILE *open_output(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_data: cannot open %s: %s\n", path, strerror(errno));
        exit(EXIT_IOERR);
    }
    return f;
}

static int generate(const struct options *o, const struct model *m)
{
    uint64_t r0, r1;
    part_range(o, &r0, &r1);
    FILE *out = open_output(o->out_path);
    struct writer w;
    if (writer_init(&w, m, out) != 0) {
        fprintf(stderr, "gen_data: out of memory\n");
        exit(1);
    }
    double t0 = now_seconds();
    int rc = want_header(o) ? write_header(&w) : 0;
    if (rc == 0)
        rc = write_rows(&w, r0, r1);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    if (fclose(out) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "gen_data: write error on %s: %s\n", o->out_path,
                strerror(errno));
    else if (o->info)
        print_info(o, m, r0, r1, w.bytes, now_seconds() - t0);
    writer_free(&w);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    struct model m;
    parse_args(&o, argc, argv);
    if (model_init(&m, &o) != 0) {
        fprintf(stderr, "gen_data: out of memory\n");
        return 1;
    }
    if (o.coef_out && write_coef(&m, o.coef_out) != 0) {
        fprintf(stderr, "gen_data: cannot write %s: %s\n", o.coef_out,
                strerror(errno));
        model_free(&m);
        return EXIT_IOERR;
    }
    int rc = generate(&o, &m);
    model_free(&m);
    return rc == 0 ? 0 : EXIT_IOERR;
}
