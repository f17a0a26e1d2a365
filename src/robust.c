/* robust.c — sandwich covariances, robust and clustered; see robust.h. */
#include "robust.h"

#include <float.h>
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

int robust_needs_pass(enum cov_type type) { return type != COV_CLASSICAL; }

/* The problem's design over one block of n rows. */
static struct exact_problem block_problem(const struct exact_problem *pb, const double *X,
                                          const double *y, const double *w, int64_t n)
{
    struct exact_problem b = *pb;
    b.X = X, b.y = y, b.w = w, b.n_local = n;
    return b;
}

/* Row i's kept design entries into x (k), and ω_i e_i: its score is that times x. */
static double row_score(const struct robust_problem *rp, const struct exact_problem *pb,
                        const struct exact_fit *f, int64_t i, double *x)
{
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

/* Parts whose k×k sums are held at once (k² + 1 doubles each: the sums, then the rows of
   leverage 1): a block's parts are taken this many at a time, each by one thread, and added
   in order. */
enum { MEAT_PARTS = 64 };

/* HC0–HC3: M += Σ c_i (ω_i e_i)² x̃_i x̃_iᵀ over one block (pb), part by part (par.h's
   parts of the block, which start on the rank's own part boundaries), the parts' sums
   added to M in order. */
static void meat_hc_block(struct robust_pass *rs, const struct exact_problem *pb)
{
    const struct robust_problem *rp = rs->rp;
    const struct exact_fit *f = rs->f;
    int k = f->rank;
    size_t width = (size_t)k * k + 1;
    double h_tol = robust_leverage_tol(f);
    int64_t parts = par_chunks(pb->n_local);
    for (int64_t c0 = 0; c0 < parts; c0 += MEAT_PARTS) {
        int64_t c1 = c0 + MEAT_PARTS < parts ? c0 + MEAT_PARTS : parts;
        memset(rs->part, 0, (size_t)(c1 - c0) * width * sizeof *rs->part);
#pragma omp parallel num_threads(pb->n_threads) if (c1 - c0 > 1)
        {
            double *x = lr_malloc(2 * (size_t)(k ? k : 1) * sizeof *x), *u = x + k;
#pragma omp for schedule(dynamic, 1)
            for (int64_t c = c0; c < c1; c++) {
                int64_t lo, hi;
                par_chunk(pb->n_local, c, &lo, &hi);
                double *P = rs->part + (size_t)(c - c0) * width, ones = 0;
                for (int64_t i = lo; i < hi; i++) {
                    double w = pb->w ? pb->w[i] : 1.0;
                    if (!(w > 0))
                        continue;
                    double we = row_score(rp, pb, f, i, x), cf = 1;
                    if (rp->type == COV_HC2 || rp->type == COV_HC3) {
                        double h = exact_leverage(f->R, k, x, w, u);
                        if (1 - h <= h_tol) {  /* 1/(1 − h) is rounding's: the meat is NaN */
                            ones++;
                            continue;
                        }
                        cf = rp->type == COV_HC2 ? 1 / (1 - h) : 1 / ((1 - h) * (1 - h));
                    }
                    add_outer(P, k, x, cf * we * we);
                }
                P[(size_t)k * k] = ones;
            }
            free(x);
        }
        for (int64_t c = c0; c < c1; c++) {
            const double *P = rs->part + (size_t)(c - c0) * width;
            for (size_t a = 0; a < (size_t)k * k; a++)
                rs->M[a] += P[a];
            rs->n_h1 += (int64_t)P[(size_t)k * k];
        }
    }
}

/* One cluster column's (or the pairs') clusters on this rank: each key's k summed scores,
   in a table open-addressed by the key's hash. */
struct cluster_table {
    int64_t n, cap;            /* clusters held; slots (a power of two, more than 2n) */
    int64_t *slot;             /* cap: an index into key and sum, -1 empty */
    uint64_t *key;             /* n keys (room for cap/2) */
    double *sum;               /* n × k */
};

static void table_init(struct cluster_table *t, int64_t cap, int k)
{
    t->n = 0;
    t->cap = cap;
    t->slot = lr_malloc(lr_bytes(cap, 1, sizeof *t->slot));
    memset(t->slot, 0xff, (size_t)cap * sizeof *t->slot);
    t->key = lr_malloc(lr_bytes(cap / 2, 1, sizeof *t->key));
    t->sum = lr_malloc(lr_bytes(cap / 2, k ? k : 1, sizeof *t->sum));
}

static int64_t *table_find(const struct cluster_table *t, uint64_t key)
{
    uint64_t mask = (uint64_t)t->cap - 1, h = mix64(key) & mask;
    while (t->slot[h] >= 0 && t->key[t->slot[h]] != key)
        h = (h + 1) & mask;
    return &t->slot[h];
}

/* Cluster key's sums (k, zeros for a new key). */
static double *table_sums(struct cluster_table *t, uint64_t key, int k)
{
    int64_t *s = table_find(t, key);
    if (*s >= 0)
        return t->sum + (size_t)*s * k;
    if (2 * (t->n + 1) >= t->cap) {  /* twice the slots, the clusters kept in their order */
        struct cluster_table g;
        table_init(&g, 2 * t->cap, k);
        memcpy(g.key, t->key, (size_t)t->n * sizeof *g.key);
        memcpy(g.sum, t->sum, (size_t)t->n * k * sizeof *g.sum);
        for (g.n = 0; g.n < t->n; g.n++)
            *table_find(&g, g.key[g.n]) = g.n;
        free(t->slot), free(t->key), free(t->sum);
        *t = g;
        s = table_find(t, key);
    }
    *s = t->n;
    t->key[t->n] = key;
    double *r = t->sum + (size_t)t->n++ * k;
    memset(r, 0, (size_t)k * sizeof *r);
    return r;
}

static void table_free(struct cluster_table *t)
{
    free(t->slot), free(t->key), free(t->sum);
}

/* Rows whose scores are held at once in the clustered pass (k doubles each). */
enum { SCORE_ROWS = 16 * PAR_CHUNK_ROWS };

/* Cluster: one block's rows' scores (in parallel, SCORE_ROWS at a time), each added to its
   clusters' sums in row order (rows of weight 0 left out). */
static void meat_cluster_block(struct robust_pass *rs, const struct exact_problem *pb,
                               const uint64_t *g)
{
    const struct robust_problem *rp = rs->rp;
    int k = rs->f->rank, dims = rp->n_groups == 2 ? 3 : 1, ng = rp->n_groups;
    int64_t n = pb->n_local;
    if (!rs->S)
        rs->S = lr_malloc(lr_bytes(SCORE_ROWS, k ? k : 1, sizeof *rs->S));
    double *S = rs->S;
    for (int64_t lo = 0; lo < n; lo += SCORE_ROWS) {
        int64_t hi = lo + SCORE_ROWS < n ? lo + SCORE_ROWS : n;
#pragma omp parallel for num_threads(pb->n_threads) schedule(static)
        for (int64_t i = lo; i < hi; i++) {
            double *s = S + (size_t)(i - lo) * k, we = row_score(rp, pb, rs->f, i, s);
            for (int q = 0; q < k; q++)
                s[q] *= we;
        }
        for (int64_t i = lo; i < hi; i++) {
            if (pb->w && !(pb->w[i] > 0))
                continue;
            const double *s = S + (size_t)(i - lo) * k;
            for (int c = 0; c < dims; c++) {  /* c = 2: the pair of the row's two clusters */
                uint64_t key = c < 2 ? g[(size_t)i * ng + c]
                                     : mix64(g[(size_t)i * 2] ^ mix64(g[(size_t)i * 2 + 1]));
                double *r = table_sums(&rs->tab[c], key, k);
                for (int q = 0; q < k; q++)
                    r[q] += s[q];
            }
        }
    }
}

struct keyed {
    uint64_t key;
    int64_t at;                /* an index: ties keep this order */
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
 * Collective, one cluster dimension: M += Σ_g S_g S_gᵀ (unscaled by G/(G−1)) over the
 * clusters this rank owns, and the number of clusters G of all ranks. t: this rank's
 * clusters' partial sums S_g.
 */
static int64_t meat_cluster(const struct cluster_table *t, int k, double *M)
{
    int p = comm_size();
    size_t rec = (size_t)(k + 1) * sizeof(double);  /* a key's bits, then its k sums */
    int64_t m = t->n;
    struct keyed *ix = lr_malloc((size_t)(m ? m : 1) * sizeof *ix);
    for (int64_t c = 0; c < m; c++)
        ix[c] = (struct keyed){t->key[c], c};
    qsort(ix, (size_t)m, sizeof *ix, by_key);
    /* in owner order, keys sorted within each owner */
    int64_t *send_n = zeroed((size_t)p * sizeof *send_n);
    int64_t *at = zeroed(((size_t)p + 1) * sizeof *at);
    for (int64_t c = 0; c < m; c++)
        send_n[owner_of(ix[c].key, p)]++;
    for (int r = 0; r < p; r++)
        at[r + 1] = at[r] + send_n[r];
    double *send = lr_malloc(((size_t)m + 1) * rec);
    for (int64_t c = 0; c < m; c++) {
        double *r = send + (size_t)(at[owner_of(ix[c].key, p)]++) * (k + 1);
        memcpy(r, &ix[c].key, sizeof ix[c].key);
        memcpy(r + 1, t->sum + (size_t)ix[c].at * k, (size_t)k * sizeof *r);
    }
    free(ix);
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

/* Collective: the cluster-robust meat with its small-sample factors, one-way or
   V_1 + V_2 − V_12. */
static void meat_clusters(struct robust_pass *rs, int64_t n, double *M, int64_t *clusters)
{
    int k = rs->f->rank, dims = rs->rp->n_groups == 2 ? 3 : 1;
    double *Md = lr_malloc((size_t)(k ? k * k : 1) * sizeof *Md);
    memset(M, 0, (size_t)k * k * sizeof *M);
    for (int g = 0; g < dims; g++) {
        memset(Md, 0, (size_t)k * k * sizeof *Md);
        int64_t G = clusters[g] = meat_cluster(&rs->tab[g], k, Md);
        comm_sum(Md, k * k);
        double c = (g == 2 ? -1.0 : 1.0) * (double)G / (double)(G - 1);
        for (size_t a = 0; a < (size_t)k * k; a++)
            M[a] += c * Md[a];
    }
    double adj = (double)(n - 1) / (double)(n - k);
    for (size_t a = 0; a < (size_t)k * k; a++)
        M[a] *= adj;
    free(Md);
}

void robust_begin(struct robust_pass *rs, const struct robust_problem *rp,
                  const struct exact_fit *f)
{
    int k = f->rank;
    *rs = (struct robust_pass){.rp = rp, .f = f};
    if (rp->type == COV_CLUSTER) {
        rs->tab = lr_malloc(3 * sizeof *rs->tab);
        for (int c = 0; c < (rp->n_groups == 2 ? 3 : 1); c++)
            table_init(&rs->tab[c], 64, k);
    } else if (rp->type != COV_CLASSICAL) {
        rs->M = zeroed((size_t)k * k * sizeof *rs->M);
        rs->part = lr_malloc(MEAT_PARTS * ((size_t)k * k + 1) * sizeof *rs->part);
    }
}

void robust_add(struct robust_pass *rs, const double *X, const double *y, const double *w,
                const uint64_t *g, int64_t n)
{
    const struct robust_problem *rp = rs->rp;
    if (rs->fed % PAR_CHUNK_ROWS != 0 && n > 0)
        LR_FATAL("robust_add: a block after %lld rows, not on a part's boundary",
                 (long long)rs->fed);
    struct exact_problem pb = block_problem(rp->pb, X, y, w, n);
    for (int64_t i = 0; i < n; i++)
        rs->n += !w || w[i] > 0;
    if (rp->type == COV_CLUSTER)
        meat_cluster_block(rs, &pb, g);
    else if (rp->type != COV_CLASSICAL)
        meat_hc_block(rs, &pb);
    rs->fed += n;
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

/* V ((D+1)×(D+1) row-major, original units, NaN where aliased) = T B M B Tᵀ from the
   symmetric k×k meat M (column-major, both triangles), B = R⁻¹R⁻ᵀ. */
static double *to_original(const struct robust_problem *rp, const struct exact_fit *f,
                           const double *M)
{
    int k = f->rank, d = rp->pb->d;
    size_t kk = (size_t)(k ? k * k : 1);
    double *Ri = zeroed(kk * sizeof *Ri), *A = lr_malloc(kk * sizeof *A);
    double *Vs = lr_malloc(kk * sizeof *Vs);
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
    /* W = V_s Tᵀ (row j: W[j·k + a]), then V = T W */
    double *W = lr_malloc((size_t)(d + 1) * (size_t)(k ? k : 1) * sizeof *W);
    for (int j = 0; j <= d; j++)
        for (int a = 0; a < k; a++) {
            double u = 0;
            for (int b = 0; b < k; b++)
                u += Vs[(size_t)b * k + a] * T[(size_t)j * k + b];
            W[(size_t)j * k + a] = u;
        }
    double *V = lr_malloc((size_t)(d + 1) * (size_t)(d + 1) * sizeof *V);
    for (int i = 0; i <= d; i++)
        for (int j = 0; j <= d; j++) {
            double v = 0;
            for (int a = 0; a < k; a++)
                v += T[(size_t)i * k + a] * W[(size_t)j * k + a];
            V[(size_t)i * (d + 1) + j] = fitted[i] && fitted[j] ? v : NAN;
        }
    free(W);
    free(fitted);
    free(e);
    free(col);
    free(T);
    free(Ri);
    free(A);
    free(Vs);
    return V;
}

double robust_leverage_tol(const struct exact_fit *f)
{
    return ROBUST_LEVERAGE_ULPS * (f->rank + 1) * DBL_EPSILON * (f->kappa > 1 ? f->kappa : 1);
}

void robust_end(struct robust_pass *rs, struct robust_cov *out)
{
    const struct robust_problem *rp = rs->rp;
    const struct exact_fit *f = rs->f;
    const struct exact_problem *pb = rp->pb;
    int k = f->rank, d = pb->d;
    size_t kk = (size_t)(k ? k * k : 1);
    *out = (struct robust_cov){.d = d, .rank_bound = k};
    int64_t n = rp->type == COV_CLASSICAL ? 0 : comm_sum_i64(rs->n);
    double *M = lr_malloc(kk * sizeof *M);
    if (rp->type == COV_CLASSICAL) {  /* M = σ²RᵀR, so that B M B = σ²B */
        for (int b = 0; b < k; b++)
            for (int a = 0; a <= b; a++) {
                double v = 0;
                for (int q = 0; q <= a; q++)
                    v += f->R[(size_t)a * k + q] * f->R[(size_t)b * k + q];
                M[(size_t)b * k + a] = rp->sigma2 * v;
            }
    } else if (rp->type == COV_CLUSTER) {
        meat_clusters(rs, n, M, out->clusters);
        /* the scores add up to Xᵀ Ω e = 0, so each Σ_g S_g S_gᵀ has rank G − 1 at most */
        int64_t bound = 0;
        for (int g = 0; g < (rp->n_groups == 2 ? 3 : 1); g++)
            bound += out->clusters[g] - 1;
        out->rank_bound = bound < k ? (int)bound : k;
    } else {
        memcpy(M, rs->M, (size_t)k * k * sizeof *M);
        comm_sum(M, k * k);
        out->n_leverage_one = comm_sum_i64(rs->n_h1);
        if (rp->type == COV_HC1)
            for (size_t a = 0; a < kk; a++)
                M[a] *= (double)n / (double)(n - k);
    }
    /* rank 0's sum for all: every decision taken from V below is then the same on every
       rank, whatever order an Allreduce added in */
    if (rp->type != COV_CLASSICAL && k > 0)
        comm_bcast(M, (size_t)k * k * sizeof *M, 0);
    for (int b = 0; b < k; b++)  /* the lower triangle from the upper */
        for (int a = b + 1; a < k; a++)
            M[(size_t)b * k + a] = M[(size_t)a * k + b];
    if (out->n_leverage_one > 0)  /* a weight of 1/0 (as R's vcovHC: NaN throughout) */
        for (size_t a = 0; a < kk; a++)
            M[a] = NAN;
    out->V = to_original(rp, f, M);
    if (rp->type != COV_CLASSICAL) {  /* B itself: M = RᵀR */
        for (int b = 0; b < k; b++)
            for (int a = 0; a < k; a++) {
                double v = 0;
                for (int q = 0; q <= (a < b ? a : b); q++)
                    v += f->R[(size_t)a * k + q] * f->R[(size_t)b * k + q];
                M[(size_t)b * k + a] = v;
            }
        out->bread = to_original(rp, f, M);
    }
    free(M);
    for (int c = 0; rs->tab && c < (rp->n_groups == 2 ? 3 : 1); c++)
        table_free(&rs->tab[c]);
    free(rs->tab);
    free(rs->M);
    free(rs->part);
    free(rs->S);
    *rs = (struct robust_pass){0};
}

void robust_cov_free(struct robust_cov *c)
{
    free(c->V);
    free(c->bread);
    c->V = c->bread = NULL;
}
