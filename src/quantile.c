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

/* How many of the m sorted keys are at or below k. */
static int64_t count_upto(const uint64_t *keys, int64_t m, uint64_t k)
{
    int64_t lo = 0, hi = m;  /* the first position whose key is above k */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (keys[mid] <= k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Scratch for the sorted keys of a batch of columns, at most this many bytes (or one
   column): the memory the quantiles take beyond the rows. */
#define QUANTILE_SCRATCH (64 << 20)

/* Up to this many rows on all ranks, every rank gathers the batch's values instead of
   bisecting: a few KiB a column, one collective instead of 64 (wide, short tables). */
#define QUANTILE_GATHER_ROWS 1024

/* Collective: every rank's sorted keys of the batch's b columns (m[c] of column c at
   keys + c·n) to every rank; hi[c·s + q] = the key of order statistic rank[c·s + q]. */
static void gather_select(const uint64_t *keys, int64_t n, const int64_t *m, int b, int s,
                          const int64_t *rank, uint64_t *hi)
{
    int p = comm_size();
    int64_t sent = 0, most = 0;
    for (int c = 0; c < b; c++)
        sent += m[c];
    uint64_t *pack = lr_malloc(lr_bytes(sent ? sent : 1, 1, sizeof *pack)), *at = pack;
    for (int c = 0; c < b; c++, at += m[c - 1])
        memcpy(at, keys + (int64_t)c * n, (size_t)m[c] * sizeof *at);
    int64_t *mall = lr_malloc(lr_bytes(p, b, sizeof *mall)), *lens = lr_malloc((size_t)p * sizeof *lens);
    int64_t *pos = lr_malloc((size_t)p * sizeof *pos);
    comm_allgather(m, mall, (size_t)b * sizeof *m);
    char *all;
    comm_allgatherv_bytes(pack, sent * (int64_t)sizeof *pack, &all, lens);
    for (int r = 0; r < p; r++)  /* where each rank's keys start in what came */
        pos[r] = r ? pos[r - 1] + lens[r - 1] / (int64_t)sizeof *pack : 0;
    for (int c = 0; c < b; c++) {
        int64_t k = 0;
        for (int r = 0; r < p; r++)
            k += mall[(int64_t)r * b + c];
        most = k > most ? k : most;
    }
    uint64_t *col = lr_malloc(lr_bytes(most ? most : 1, 1, sizeof *col));
    const uint64_t *from = (const uint64_t *)(const void *)all;
    for (int c = 0; c < b; c++) {
        int64_t k = 0;
        for (int r = 0; r < p; r++) {
            int64_t mr = mall[(int64_t)r * b + c];
            memcpy(col + k, from + pos[r], (size_t)mr * sizeof *col);
            pos[r] += mr;
            k += mr;
        }
        qsort(col, (size_t)k, sizeof *col, cmp_key);
        for (int q = 0; q < s; q++)
            hi[(int64_t)c * s + q] = k ? col[rank[(int64_t)c * s + q]] : 0;
    }
    free(col);
    free(all);
    free(pos);
    free(lens);
    free(mall);
    free(pack);
}

/* Columns [j0, j1) of X (those with use[j]): out as quantile_columns says. Collective. */
static void quantile_batch(const double *X, int64_t n, int d, int j0, int j1,
                           const unsigned char *use, const double *probs, int n_probs,
                           int n_threads, int gather, uint64_t *keys, double *out)
{
    int b = j1 - j0, s = 2 * n_probs;  /* order statistics per column: ⌊h⌋, ⌊h⌋ + 1 per p */
    int64_t total = (int64_t)b * s;
    int64_t *m = lr_malloc((size_t)b * sizeof *m);  /* present values, this rank */
    uint64_t *nall = lr_malloc((size_t)b * sizeof *nall);  /* ... all ranks */
    uint64_t *lo = lr_malloc(lr_bytes(total, 1, sizeof *lo));
    uint64_t *hi = lr_malloc(lr_bytes(total, 1, sizeof *hi));
    uint64_t *cnt = lr_malloc(lr_bytes(total, 1, sizeof *cnt));
    int64_t *rank = lr_malloc(lr_bytes(total, 1, sizeof *rank));
    /* each column's present values, as keys, sorted: column c at keys + c·n */
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 16)
    for (int c = 0; c < b; c++) {
        uint64_t *k = keys + (int64_t)c * n;
        int64_t mc = 0;
        for (int64_t i = 0; use[j0 + c] && i < n; i++)
            if (!isnan(X[i * d + j0 + c]))
                k[mc++] = key_of(X[i * d + j0 + c]);
        qsort(k, (size_t)mc, sizeof *k, cmp_key);
        m[c] = mc;
    }
    for (int c = 0; c < b; c++)
        nall[c] = (uint64_t)m[c];
    comm_sum_u64(nall, b);
    /* order statistic r of a column: the smallest key K with count(<= K) >= r + 1 */
    for (int c = 0; c < b; c++)
        for (int q = 0; q < s; q++) {
            int64_t nc = (int64_t)nall[c];
            int64_t r = nc > 0 ? (int64_t)floor((double)(nc - 1) * probs[q / 2]) + q % 2 : 0;
            rank[c * s + q] = r < nc ? r : nc - 1;
            lo[c * s + q] = 0;
            hi[c * s + q] = nc > 0 ? UINT64_MAX : 0;
        }
    if (comm_size() == 1) {  /* the rows are all here: read the order statistics off */
        for (int64_t x = 0; x < total; x++)
            lo[x] = hi[x] = nall[x / s] ? keys[(x / s) * n + rank[x]] : 0;
    } else if (gather) {
        gather_select(keys, n, m, b, s, rank, hi);
        memcpy(lo, hi, (size_t)total * sizeof *lo);
    }
    /* bisection over the keys: every bound moves by summed counts, so every rank takes
       the same steps; 64 halve any interval of keys to one */
    for (int step = 0; step < 64 && comm_size() > 1 && !gather; step++) {
#pragma omp parallel for num_threads(n_threads) schedule(static)
        for (int64_t x = 0; x < total; x++) {
            uint64_t mid = lo[x] + (hi[x] - lo[x]) / 2;
            cnt[x] = lo[x] < hi[x] ? (uint64_t)count_upto(keys + (x / s) * n, m[x / s], mid) : 0;
        }
        comm_sum_u64(cnt, (int)total);
        for (int64_t x = 0; x < total; x++) {
            if (lo[x] >= hi[x])
                continue;
            uint64_t mid = lo[x] + (hi[x] - lo[x]) / 2;
            if ((int64_t)cnt[x] >= rank[x] + 1)
                hi[x] = mid;
            else
                lo[x] = mid + 1;
        }
    }
    for (int c = 0; c < b; c++)
        for (int q = 0; q < n_probs; q++) {
            int64_t nc = (int64_t)nall[c];
            double *o = &out[(int64_t)(j0 + c) * n_probs + q];
            if (!use[j0 + c] || nc == 0) {
                *o = NAN;
                continue;
            }
            double h = (double)(nc - 1) * probs[q], a = value_of(hi[c * s + 2 * q]);
            int64_t r = (int64_t)floor(h);
            *o = r >= nc - 1 ? a : lerp(a, value_of(hi[c * s + 2 * q + 1]), h - (double)r);
        }
    free(rank);
    free(cnt);
    free(hi);
    free(lo);
    free(nall);
    free(m);
}

void quantile_columns(const double *X, int64_t n, int d, const unsigned char *use,
                      const double *probs, int n_probs, int n_threads, double *out)
{
    unsigned char *all = NULL;
    if (!use) {
        all = lr_malloc((size_t)d + 1);
        memset(all, 1, (size_t)d + 1);
        use = all;
    }
    /* the batch: as many columns as the scratch holds, the same on every rank (the largest
       rank's rows decide), so that every rank takes part in the same collectives */
    int64_t rows = comm_max_i64(n), all_rows = comm_sum_i64(n);
    int gather = all_rows <= QUANTILE_GATHER_ROWS;  /* then the scratch holds all ranks' */
    if (gather)
        rows = all_rows;
    int64_t per = rows > 0 ? QUANTILE_SCRATCH / (rows * (int64_t)sizeof(uint64_t)) : d;
    int batch = per < 1 ? 1 : per > d ? (d ? d : 1) : (int)per;
    uint64_t *keys = lr_malloc(lr_bytes(n ? n : 1, batch, sizeof *keys));
    for (int j0 = 0; j0 < d; j0 += batch)
        quantile_batch(X, n, d, j0, j0 + batch < d ? j0 + batch : d, use, probs, n_probs,
                       n_threads, gather, keys, out);
    free(keys);
    free(all);
}
