/* robust.c — sandwich covariances, robust and clustered; see robust.h. */
#include "robust.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "hash.h"
#include "par.h"
#include "stats.h"

int robust_parse(const char *arg, enum cov_type *type, const char **columns)
{
    static const char *names[] = {"classical", "hc0", "hc1", "hc2", "hc3"};
    *columns = NULL;
    for (int t = 0; t < 5; t++)
        if (strcmp(arg, names[t]) == 0)
            return *type = (enum cov_type)t, 0;
    if (strncmp(arg, "cluster:", 8) == 0 && arg[8]) {
        *type = COV_CLUSTER;
        *columns = arg + 8;
        return 0;
    }
    return -1;
}

const char *robust_type_name(enum cov_type type)
{
    static const char *names[] = {"classical", "HC0", "HC1", "HC2", "HC3", "cluster"};
    return names[type];
}

/* Row i's kept design entries into x (k), and ω_i e_i: its score is that times x. */
static double row_score(const struct robust_problem *rp, const struct exact_fit *f, int64_t i,
                        double *x)
{
    const struct exact_problem *pb = rp->pb;
    double fit = 0;
    for (int j = 0; j <= pb->d; j++)
        if (j > 0 || pb->intercept)
            fit += rp->theta_s[j] * exact_design(pb, i, j);
    for (int q = 0; q < f->rank; q++)
        x[q] = exact_design(pb, i, f->kept[q]);
    return (pb->w ? pb->w[i] : 1.0) * (pb->y[i] - fit);
}

/* M += c·s sᵀ (upper triangle, k×k column-major). */
static void add_outer(double *M, int k, const double *s, double c)
{
    for (int b = 0; b < k; b++)
        for (int a = 0; a <= b; a++)
            M[(size_t)b * k + a] += c * s[a] * s[b];
}

/* n zeroed bytes (never NULL). */
static void *zeroed(size_t n)
{
    void *p = lr_malloc(n ? n : 1);
    memset(p, 0, n ? n : 1);
    return p;
}

/* Parts of a row loop whose k×k sums are kept apart: as par.h's chunks, but at most
   MEAT_PARTS (k² doubles each), their boundaries a function of the row count alone. */
enum { MEAT_PARTS = 64 };

/* HC0–HC3: M = Σ c_i (ω_i e_i)² x̃_i x̃_iᵀ, in parts of rows fixed by the data summed in
   order, then across ranks. */
static void meat_hc(const struct robust_problem *rp, const struct exact_fit *f, double *M,
                    double *max_h)
{
    const struct exact_problem *pb = rp->pb;
    int k = f->rank;
    int64_t parts = par_chunks(pb->n_local);
    parts = parts < MEAT_PARTS ? parts : MEAT_PARTS;
    double *part = zeroed((size_t)parts * ((size_t)k * k + 1) * sizeof *part);
#pragma omp parallel num_threads(pb->n_threads)
    {
        double *x = lr_malloc(2 * (size_t)(k ? k : 1) * sizeof *x), *u = x + k;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < parts; c++) {
            int64_t lo, hi;
            par_range(pb->n_local, parts, c, &lo, &hi);
            double *P = part + (size_t)c * ((size_t)k * k + 1), hmax = 0;
            for (int64_t i = lo; i < hi; i++) {
                double w = pb->w ? pb->w[i] : 1.0;
                if (!(w > 0))
                    continue;
                double we = row_score(rp, f, i, x), cf = 1;
                if (rp->type == COV_HC2 || rp->type == COV_HC3) {
                    double h = exact_leverage(f->R, k, x, w, u);
                    hmax = h > hmax ? h : hmax;
                    cf = rp->type == COV_HC2 ? 1 / (1 - h) : 1 / ((1 - h) * (1 - h));
                }
                add_outer(P, k, x, cf * we * we);
            }
            P[(size_t)k * k] = hmax;
        }
        free(x);
    }
    memset(M, 0, (size_t)k * k * sizeof *M);
    double hmax = 0;
    for (int64_t c = 0; c < parts; c++) {
        const double *P = part + (size_t)c * ((size_t)k * k + 1);
        for (size_t a = 0; a < (size_t)k * k; a++)
            M[a] += P[a];
        hmax = P[(size_t)k * k] > hmax ? P[(size_t)k * k] : hmax;
    }
    free(part);
    comm_sum(M, k * k);
    comm_max(&hmax, 1);
    *max_h = hmax;
}

struct keyed {
    uint64_t key;
    int64_t at;                /* row, or record position: ties keep this order */
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

/* Which rank owns a cluster key. */
static int owner_of(uint64_t key, int p)
{
    return (int)(mix64(key ^ 0x9E3779B97F4A7C15u) % (uint64_t)p);
}

/*
 * One cluster dimension: M += Σ_g S_g S_gᵀ (unscaled by G/(G−1)), and the number of
 * clusters G. key[i]: row i's cluster (rows of zero weight left out); S: N×k row scores.
 */
static int64_t meat_cluster(const uint64_t *key, const double *S, const double *w, int64_t n,
                            int k, double *M)
{
    int p = comm_size();
    size_t rec = (size_t)(k + 1) * sizeof(double);  /* a key's bits, then its k sums */
    struct keyed *ix = lr_malloc((size_t)(n ? n : 1) * sizeof *ix);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!w || w[i] > 0)
            ix[m] = (struct keyed){key[i], i}, m++;
    qsort(ix, (size_t)m, sizeof *ix, by_key);
    /* this rank's clusters: partial sums over its rows, in row order */
    int64_t n_local = 0, *send_n = zeroed((size_t)p * sizeof *send_n);
    double *part = lr_malloc(((size_t)m + 1) * rec);
    int *own = lr_malloc(((size_t)m + 1) * sizeof *own);
    for (int64_t a = 0; a < m;) {
        double *r = part + (size_t)n_local * (k + 1);
        memcpy(r, &ix[a].key, sizeof ix[a].key);
        memset(r + 1, 0, (size_t)k * sizeof *r);
        int64_t b = a;
        for (; b < m && ix[b].key == ix[a].key; b++)
            for (int q = 0; q < k; q++)
                r[1 + q] += S[(size_t)ix[b].at * k + q];
        own[n_local] = owner_of(ix[a].key, p);
        send_n[own[n_local]]++;
        n_local++;
        a = b;
    }
    free(ix);
    /* in owner order (keys stay sorted within each owner) */
    int64_t *at = zeroed(((size_t)p + 1) * sizeof *at);
    for (int r = 0; r < p; r++)
        at[r + 1] = at[r] + send_n[r];
    double *send = lr_malloc(((size_t)n_local + 1) * rec);
    for (int64_t c = 0; c < n_local; c++)
        memcpy(send + (size_t)(at[own[c]]++) * (k + 1), part + (size_t)c * (k + 1), rec);
    free(part);
    free(own);
    free(at);
    char *recv;
    int64_t *recv_n = lr_malloc((size_t)p * sizeof *recv_n), n_recv = 0;
    comm_alltoallv(send, send_n, rec, &recv, recv_n);
    free(send);
    for (int r = 0; r < p; r++)
        n_recv += recv_n[r];
    free(send_n);
    free(recv_n);
    /* the owner: each cluster's partial sums in rank order, then S_g S_gᵀ in key order */
    const double *got = (const double *)recv;
    ix = lr_malloc(((size_t)n_recv + 1) * sizeof *ix);
    for (int64_t c = 0; c < n_recv; c++) {
        memcpy(&ix[c].key, got + (size_t)c * (k + 1), sizeof ix[c].key);
        ix[c].at = c;
    }
    qsort(ix, (size_t)n_recv, sizeof *ix, by_key);
    double *s = lr_malloc((size_t)(k ? k : 1) * sizeof *s);
    int64_t G = 0;
    for (int64_t a = 0; a < n_recv;) {
        memset(s, 0, (size_t)k * sizeof *s);
        int64_t b = a;
        for (; b < n_recv && ix[b].key == ix[a].key; b++)
            for (int q = 0; q < k; q++)
                s[q] += got[(size_t)ix[b].at * (k + 1) + 1 + q];
        add_outer(M, k, s, 1);
        G++;
        a = b;
    }
    free(s);
    free(ix);
    free(recv);
    return comm_sum_i64(G);
}

/* Cluster-robust meat with its small-sample factors: one-way, or V_1 + V_2 − V_12. */
static void meat_clusters(const struct robust_problem *rp, const struct exact_fit *f,
                          int64_t n, double *M, int64_t *clusters)
{
    const struct exact_problem *pb = rp->pb;
    int k = f->rank, dims = rp->n_groups == 2 ? 3 : 1;
    int64_t N = pb->n_local;
    double *S = lr_malloc((size_t)(N ? N : 1) * (size_t)(k ? k : 1) * sizeof *S);
#pragma omp parallel for num_threads(pb->n_threads) schedule(static)
    for (int64_t i = 0; i < N; i++) {
        double we = row_score(rp, f, i, S + (size_t)i * k);
        for (int q = 0; q < k; q++)
            S[(size_t)i * k + q] *= we;
    }
    uint64_t *key = lr_malloc((size_t)(N ? N : 1) * sizeof *key);
    double *Md = lr_malloc((size_t)(k ? k * k : 1) * sizeof *Md);
    memset(M, 0, (size_t)k * k * sizeof *M);
    for (int g = 0; g < dims; g++) {
        for (int64_t i = 0; i < N; i++)  /* g = 2: the pair of the row's two clusters */
            key[i] = g < 2 ? rp->g[(size_t)i * rp->n_groups + g]
                           : mix64(rp->g[(size_t)i * 2] ^ mix64(rp->g[(size_t)i * 2 + 1]));
        memset(Md, 0, (size_t)k * k * sizeof *Md);
        int64_t G = clusters[g] = meat_cluster(key, S, pb->w, N, k, Md);
        comm_sum(Md, k * k);
        double c = (g == 2 ? -1.0 : 1.0) * (double)G / (double)(G - 1);
        for (size_t a = 0; a < (size_t)k * k; a++)
            M[a] += c * Md[a];
    }
    double adj = (double)(n - 1) / (double)(n - k);
    for (size_t a = 0; a < (size_t)k * k; a++)
        M[a] *= adj;
    free(Md);
    free(key);
    free(S);
}

/* out = Aᵀ M A (transpose = 1) or A M Aᵀ (0); all k×k column-major, M symmetric. */
static void congruence(const double *A, const double *M, int k, int transpose, double *out)
{
    double *t = lr_malloc((size_t)(k ? k * k : 1) * sizeof *t);
#define AT(r, c) (transpose ? A[(size_t)(r) * k + (c)] : A[(size_t)(c) * k + (r)])
    for (int c = 0; c < k; c++)  /* t = M·op(A)ᵀ... column c: M times row c of op(A) */
        for (int r = 0; r < k; r++) {
            double v = 0;
            for (int q = 0; q < k; q++)
                v += M[(size_t)q * k + r] * AT(c, q);
            t[(size_t)c * k + r] = v;
        }
    for (int c = 0; c < k; c++)  /* out = op(A)·t */
        for (int r = 0; r < k; r++) {
            double v = 0;
            for (int q = 0; q < k; q++)
                v += AT(r, q) * t[(size_t)c * k + q];
            out[(size_t)c * k + r] = v;
        }
#undef AT
    free(t);
}

void robust_compute(const struct robust_problem *rp, const struct exact_fit *f,
                    struct robust_cov *out)
{
    const struct exact_problem *pb = rp->pb;
    int k = f->rank, d = pb->d;
    size_t kk = (size_t)(k ? k * k : 1);
    *out = (struct robust_cov){.d = d, .max_leverage = NAN};
    int64_t n = 0;
    for (int64_t i = 0; i < pb->n_local; i++)
        n += !pb->w || pb->w[i] > 0;
    out->n = n = comm_sum_i64(n);
    double *M = lr_malloc(kk * sizeof *M), *Ri = lr_malloc(kk * sizeof *Ri);
    double *A = lr_malloc(kk * sizeof *A), *Vs = lr_malloc(kk * sizeof *Vs);
    if (rp->type == COV_CLASSICAL) {  /* M = σ²RᵀR, so that B M B = σ²B */
        for (int b = 0; b < k; b++)
            for (int a = 0; a <= b; a++) {
                double v = 0;
                for (int q = 0; q <= a; q++)
                    v += f->R[(size_t)a * k + q] * f->R[(size_t)b * k + q];
                M[(size_t)b * k + a] = rp->sigma2 * v;
            }
    } else if (rp->type == COV_CLUSTER) {
        meat_clusters(rp, f, n, M, out->clusters);
    } else {
        meat_hc(rp, f, M, &out->max_leverage);
        if (rp->type == COV_HC1)
            for (size_t a = 0; a < kk; a++)
                M[a] *= (double)n / (double)(n - k);
    }
    for (int b = 0; b < k; b++)  /* the lower triangle from the upper */
        for (int a = b + 1; a < k; a++)
            M[(size_t)b * k + a] = M[(size_t)a * k + b];
    memset(Ri, 0, kk * sizeof *Ri);
    for (int c = 0; c < k; c++)
        for (int r = 0; r <= c; r++)
            Ri[(size_t)c * k + r] = f->R[(size_t)c * k + r];
    if (k > 0)
        LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', k, Ri, k);
    congruence(Ri, M, k, 1, A);   /* R⁻ᵀ M R⁻¹ */
    congruence(Ri, A, k, 0, Vs);  /* R⁻¹ (R⁻ᵀ M R⁻¹) R⁻ᵀ = B M B */
    /* T: column q the unit vector of kept[q] in original units */
    double *T = lr_malloc((size_t)(d + 1) * (size_t)(k ? k : 1) * sizeof *T);
    double *e = zeroed(((size_t)d + 1) * sizeof *e);
    double *col = lr_malloc(((size_t)d + 1) * sizeof *col);
    for (int q = 0; q < k; q++) {
        e[f->kept[q]] = 1;
        stats_unscale(e, rp->mean, rp->scale, d, col);
        e[f->kept[q]] = 0;
        for (int i = 0; i <= d; i++)
            T[(size_t)i * k + q] = col[i];
    }
    unsigned char *fitted = zeroed((size_t)d + 1);
    for (int q = 0; q < k; q++)
        fitted[f->kept[q]] = 1;
    out->V = lr_malloc((size_t)(d + 1) * (size_t)(d + 1) * sizeof *out->V);
    for (int i = 0; i <= d; i++)
        for (int j = 0; j <= d; j++) {
            double v = 0;
            for (int a = 0; a < k; a++) {
                double u = 0;
                for (int b = 0; b < k; b++)
                    u += Vs[(size_t)b * k + a] * T[(size_t)j * k + b];
                v += T[(size_t)i * k + a] * u;
            }
            out->V[(size_t)i * (d + 1) + j] = fitted[i] && fitted[j] ? v : NAN;
        }
    free(fitted);
    free(e);
    free(col);
    free(T);
    free(M);
    free(Ri);
    free(A);
    free(Vs);
}

void robust_cov_free(struct robust_cov *c)
{
    free(c->V);
    c->V = NULL;
}
