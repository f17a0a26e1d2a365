/* quantile.c — exact distributed quantiles; see quantile.h. */
#include "quantile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"

/* The doubles in the order of their values, as unsigned integers (-0 just below +0). */
static uint64_t key_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b >> 63 ? ~b : b | 0x8000000000000000ull;
}

static double value_of(uint64_t k)
{
    uint64_t b = k >> 63 ? k & 0x7FFFFFFFFFFFFFFFull : ~k;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* numpy's _lerp: a + t(b − a), from the nearer end. */
static double lerp(double a, double b, double t)
{
    double diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

double quantile_sorted(const double *x, int64_t n, double p)
{
    if (n <= 0)
        return NAN;
    double h = (double)(n - 1) * p;
    int64_t lo = (int64_t)floor(h);
    if (lo >= n - 1)
        return x[n - 1];
    return lerp(x[lo], x[lo + 1], h - (double)lo);
}

/* How many counts a pass's histograms take at most (32 MiB), and the buckets of one. */
#define QUANTILE_CELLS ((int64_t)1 << 22)
#define QUANTILE_BUCKETS 4096
#define QUANTILE_MIN_BUCKETS 16

/* How many keys a pass gathers at most in all (16 MiB), and for one bracket. */
#define QUANTILE_GATHER_KEYS ((int64_t)1 << 21)
#define QUANTILE_GATHER_ONE 65536

/* What a pass does with an order statistic's bracket. */
enum { Q_DONE, Q_SPLIT, Q_GATHER };

struct quantile_search {
    int d, n_probs, s;         /* columns; probabilities; order statistics a column (2 each) */
    double *probs;
    int64_t *n;                /* d: present values of each column, all ranks */
    /* per order statistic x = c·s + k (k/2: the probability, k%2: ⌊h⌋ or ⌊h⌋ + 1) */
    int64_t *rank;             /* which one (0-based) */
    uint64_t *lo, *hi;         /* its key is in [lo, hi]; done: lo = hi = its key */
    int64_t *below, *inside;   /* keys below lo, and in [lo, hi], all ranks */
    unsigned char *state;
    /* this pass */
    int64_t *same;             /* per x: an earlier bracket of its column with the same keys,
                                  whose counts or keys serve both; -1: none */
    int buckets;               /* per split bracket */
    uint64_t *width;           /* per x: a bucket's keys */
    int64_t *slot;             /* per x: its histogram (split) or its gathered keys' place */
    uint64_t *hist;            /* split brackets × buckets */
    uint64_t *got;             /* gathered keys of this rank: bracket x's from got + slot[x] */
    int64_t *n_got;            /* per x: how many */
    int passes;
};

/* Collective in effect (the same on every rank): the next pass's plan. Brackets of a column
   with the same keys share their counts; a bracket is gathered when it holds few enough
   values and they fit in what is left of the pass's room for keys (in bracket order), else
   split into buckets, as many as the room for counts gives each. */
static void plan_pass(struct quantile_search *q)
{
    int64_t total = (int64_t)q->d * q->s, n_split = 0, n_keys = 0, room = QUANTILE_GATHER_KEYS;
    for (int64_t x = 0; x < total; x++) {
        q->same[x] = -1;
        q->n_got[x] = 0;
        if (q->state[x] == Q_DONE)
            continue;
        for (int64_t k = x - x % q->s; k < x && q->same[x] < 0; k++)
            if (q->state[k] != Q_DONE && q->same[k] < 0 && q->lo[k] == q->lo[x] &&
                q->hi[k] == q->hi[x])
                q->same[x] = k;
        if (q->same[x] >= 0) {
            q->state[x] = q->state[q->same[x]];
        } else if (q->inside[x] <= QUANTILE_GATHER_ONE && q->inside[x] <= room) {
            q->state[x] = Q_GATHER;
            q->slot[x] = n_keys;
            n_keys += q->inside[x];  /* this rank's are at most all ranks' */
            room -= q->inside[x];
        } else {
            q->state[x] = Q_SPLIT;
            q->slot[x] = n_split++;
        }
    }
    int64_t b = n_split ? QUANTILE_CELLS / n_split : QUANTILE_BUCKETS;
    q->buckets = b > QUANTILE_BUCKETS ? QUANTILE_BUCKETS : b < QUANTILE_MIN_BUCKETS
                 ? QUANTILE_MIN_BUCKETS : (int)b;
    for (int64_t x = 0; x < total; x++)
        if (q->state[x] == Q_SPLIT) {
            q->width[x] = (q->hi[x] - q->lo[x]) / (uint64_t)q->buckets + 1;
            if (q->same[x] < 0)
                q->slot[x] *= q->buckets;
        }
    free(q->hist);
    free(q->got);
    q->hist = lr_calloc((size_t)(n_split ? n_split : 1) * (size_t)q->buckets, sizeof *q->hist);
    q->got = lr_malloc(lr_bytes(n_keys ? n_keys : 1, 1, sizeof *q->got));
}

struct quantile_search *quantile_begin(int d, const unsigned char *use, const int64_t *count,
                                       const double *min, const double *max,
                                       const double *probs, int n_probs)
{
    struct quantile_search *q = lr_calloc(1, sizeof *q);
    int s = 2 * n_probs;
    int64_t total = (int64_t)d * s;
    size_t t = (size_t)(total ? total : 1);
    *q = (struct quantile_search){.d = d, .n_probs = n_probs, .s = s};
    q->probs = lr_malloc((size_t)(n_probs ? n_probs : 1) * sizeof *q->probs);
    memcpy(q->probs, probs, (size_t)n_probs * sizeof *probs);
    q->n = lr_calloc((size_t)d + 1, sizeof *q->n);
    q->rank = lr_calloc(t, sizeof *q->rank);
    q->lo = lr_calloc(t, sizeof *q->lo);
    q->hi = lr_calloc(t, sizeof *q->hi);
    q->below = lr_calloc(t, sizeof *q->below);
    q->inside = lr_calloc(t, sizeof *q->inside);
    q->state = lr_calloc(t, 1);
    q->same = lr_calloc(t, sizeof *q->same);
    q->width = lr_calloc(t, sizeof *q->width);
    q->slot = lr_calloc(t, sizeof *q->slot);
    q->n_got = lr_calloc(t, sizeof *q->n_got);
    for (int c = 0; c < d; c++) {
        int64_t nc = use && !use[c] ? 0 : count[c];
        q->n[c] = nc;
        /* the column's range of keys: both zeros in it where either bounds it */
        uint64_t lo = nc ? key_of(min[c] == 0 ? -0.0 : min[c]) : 0;
        uint64_t hi = nc ? key_of(max[c] == 0 ? 0.0 : max[c]) : 0;
        for (int k = 0; k < s; k++) {
            int64_t x = (int64_t)c * s + k;
            int64_t r = nc > 0 ? (int64_t)floor((double)(nc - 1) * probs[k / 2]) + k % 2 : 0;
            q->rank[x] = r < nc ? r : nc - 1;
            q->lo[x] = lo, q->hi[x] = hi;
            q->inside[x] = nc;
            q->state[x] = nc && lo != hi ? Q_SPLIT : Q_DONE;  /* plan_pass decides how */
        }
    }
    plan_pass(q);
    return q;
}

int quantile_pending(const struct quantile_search *q)
{
    for (int64_t x = 0; x < (int64_t)q->d * q->s; x++)
        if (q->state[x] != Q_DONE)
            return 1;
    return 0;
}

void quantile_add(struct quantile_search *q, const double *X, int64_t n, int n_threads)
{
    int64_t total = (int64_t)q->d * q->s;
    int d = q->d;
    /* each bracket its own counts: threads never share one, any team gives the same */
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
    for (int64_t x = 0; x < total; x++) {
        if (q->state[x] == Q_DONE || q->same[x] >= 0)
            continue;
        int64_t c = x / q->s;
        uint64_t lo = q->lo[x], hi = q->hi[x];
        if (q->state[x] == Q_SPLIT) {
            uint64_t *h = q->hist + q->slot[x], w = q->width[x];
            for (int64_t i = 0; i < n; i++) {
                double v = X[i * d + c];
                uint64_t k = key_of(v);
                if (!isnan(v) && k >= lo && k <= hi)
                    h[(k - lo) / w]++;
            }
        } else {
            uint64_t *g = q->got + q->slot[x];
            int64_t m = q->n_got[x];
            for (int64_t i = 0; i < n; i++) {
                double v = X[i * d + c];
                uint64_t k = key_of(v);
                if (!isnan(v) && k >= lo && k <= hi && m < q->inside[x])
                    g[m++] = k;
            }
            q->n_got[x] = m;
        }
    }
}

/* Collective: every rank's gathered keys to every rank; each gathered bracket's order
   statistic (and those of the brackets that share its keys) read off the sorted keys of
   all ranks. */
static void gather_select(struct quantile_search *q)
{
    int64_t total = (int64_t)q->d * q->s, sent = 0, most = 0, n_gather = 0;
    int p = comm_size();
    for (int64_t x = 0; x < total; x++)
        if (q->state[x] == Q_GATHER && q->same[x] < 0) {
            memmove(q->got + sent, q->got + q->slot[x], (size_t)q->n_got[x] * sizeof *q->got);
            sent += q->n_got[x];
            most = q->inside[x] > most ? q->inside[x] : most;
            n_gather++;
        }
    if (n_gather == 0)
        return;  /* none gathered, on any rank (the plan is the same everywhere) */
    int64_t *mine = lr_malloc(lr_bytes(n_gather, 1, sizeof *mine));  /* this rank's counts */
    for (int64_t x = 0, g = 0; x < total; x++)
        if (q->state[x] == Q_GATHER && q->same[x] < 0)
            mine[g++] = q->n_got[x];
    int64_t *counts = lr_malloc(lr_bytes(p, n_gather, sizeof *counts));
    int64_t *lens = lr_malloc((size_t)p * sizeof *lens), *pos = lr_malloc((size_t)p * sizeof *pos);
    comm_allgather(mine, counts, (size_t)n_gather * sizeof *counts);
    char *all;
    comm_allgatherv_bytes(q->got, sent * (int64_t)sizeof *q->got, &all, lens);
    for (int r = 0; r < p; r++)  /* where each rank's keys start in what came */
        pos[r] = r ? pos[r - 1] + lens[r - 1] / (int64_t)sizeof *q->got : 0;
    uint64_t *col = lr_malloc(lr_bytes(most, 1, sizeof *col));
    const uint64_t *from = (const uint64_t *)(const void *)all;
    for (int64_t x = 0, g = 0; x < total; x++) {
        if (q->state[x] != Q_GATHER || q->same[x] >= 0)
            continue;
        int64_t k = 0;
        for (int r = 0; r < p; r++) {
            int64_t mr = counts[(int64_t)r * n_gather + g];
            memcpy(col + k, from + pos[r], (size_t)mr * sizeof *col);
            pos[r] += mr;
            k += mr;
        }
        g++;
        qsort(col, (size_t)k, sizeof *col, cmp_key);
        for (int64_t y = x; y < x - x % q->s + q->s; y++)  /* x, and those sharing its keys */
            if (y == x || (q->state[y] == Q_GATHER && q->same[y] == x)) {
                q->lo[y] = q->hi[y] = col[q->rank[y] - q->below[y]];
                q->state[y] = Q_DONE;
            }
    }
    free(col);
    free(all);
    free(pos);
    free(lens);
    free(counts);
    free(mine);
}

void quantile_step(struct quantile_search *q)
{
    int64_t total = (int64_t)q->d * q->s, n_split = 0;
    for (int64_t x = 0; x < total; x++)
        n_split += q->state[x] == Q_SPLIT && q->same[x] < 0;
    comm_sum_u64(q->hist, (int)(n_split * q->buckets));
    gather_select(q);
    for (int64_t x = 0; x < total; x++) {
        if (q->state[x] != Q_SPLIT)
            continue;
        const uint64_t *h = q->hist + q->slot[q->same[x] >= 0 ? q->same[x] : x];
        int64_t below = q->below[x], b = 0;
        while (b < q->buckets - 1 && below + (int64_t)h[b] <= q->rank[x])  /* its bucket */
            below += (int64_t)h[b++];
        uint64_t lo = q->lo[x] + (uint64_t)b * q->width[x];
        q->hi[x] = q->width[x] - 1 > q->hi[x] - lo ? q->hi[x] : lo + (q->width[x] - 1);
        q->lo[x] = lo;
        q->below[x] = below;
        q->inside[x] = (int64_t)h[b];
        if (q->lo[x] == q->hi[x])
            q->state[x] = Q_DONE;
    }
    q->passes++;
    plan_pass(q);
}

int quantile_passes(const struct quantile_search *q) { return q->passes; }

void quantile_result(const struct quantile_search *q, double *out)
{
    for (int c = 0; c < q->d; c++)
        for (int k = 0; k < q->n_probs; k++) {
            int64_t nc = q->n[c], x = (int64_t)c * q->s + 2 * k;
            double *o = &out[(int64_t)c * q->n_probs + k];
            if (nc == 0) {
                *o = NAN;
                continue;
            }
            double h = (double)(nc - 1) * q->probs[k], a = value_of(q->lo[x]);
            int64_t r = (int64_t)floor(h);
            *o = r >= nc - 1 ? a : lerp(a, value_of(q->lo[x + 1]), h - (double)r);
        }
}

void quantile_free(struct quantile_search *q)
{
    if (!q)
        return;
    free(q->probs);
    free(q->n);
    free(q->rank);
    free(q->lo);
    free(q->hi);
    free(q->below);
    free(q->inside);
    free(q->state);
    free(q->same);
    free(q->width);
    free(q->slot);
    free(q->hist);
    free(q->got);
    free(q->n_got);
    free(q);
}

void quantile_columns(const double *X, int64_t n, int d, const unsigned char *use,
                      const double *probs, int n_probs, int n_threads, double *out)
{
    int64_t *count = lr_calloc((size_t)d + 1, sizeof *count);
    double *min = lr_malloc(((size_t)d + 1) * sizeof *min), *max = lr_malloc(((size_t)d + 1) * sizeof *max);
    for (int j = 0; j < d; j++)
        min[j] = INFINITY, max[j] = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double v = X[i * d + j];
            if (isnan(v))
                continue;
            count[j]++;
            min[j] = v < min[j] ? v : min[j];
            max[j] = v > max[j] ? v : max[j];
        }
    comm_sum_u64((uint64_t *)(void *)count, d);
    comm_min(min, d);
    comm_max(max, d);
    struct quantile_search *q = quantile_begin(d, use, count, min, max, probs, n_probs);
    while (quantile_pending(q)) {
        quantile_add(q, X, n, n_threads);
        quantile_step(q);
    }
    quantile_result(q, out);
    quantile_free(q);
    free(max);
    free(min);
    free(count);
}
