/*
 * robust.h — sandwich covariances of least-squares coefficients: heteroskedasticity-robust
 * (HC0–HC3) and cluster-robust (one- or two-way), as statsmodels' OLS/WLS fit(cov_type=)
 * and R's sandwich::vcovHC / vcovCL compute them by default.
 *
 * On the factor's scaled design (exact.h: x̃_i the kept columns of row i of Ã, R the
 * triangle of √ω·Ã, B = (ÃᵀΩÃ)⁻¹ = R⁻¹R⁻ᵀ), with residuals e_i = y_i − x̃_iᵀθ_s and the
 * score of row i s_i = ω_i e_i x̃_i (ω_i = 1 without weights; as statsmodels' WLS, whose
 * whitened rows give the same s_i, and sandwich's estfun.lm):
 *
 *   V_s = B M B,   M = Σ_i c_i s_i s_iᵀ                                   (HC)
 *     c_i = 1 (HC0), n/(n−k) (HC1), 1/(1−h_i) (HC2), 1/(1−h_i)² (HC3),
 *     h_i = ω_i ‖R⁻ᵀx̃_i‖² the leverage (one more pass over the rows);
 *   M = G/(G−1)·(n−1)/(n−k) Σ_g S_g S_gᵀ,  S_g = Σ_{i∈g} s_i              (one-way cluster)
 *   V = V_1 + V_2 − V_12, each with its own G (the clusters of A, of B, and of the pairs
 *   (A, B) that occur)                                    (two-way: Cameron, Gelbach and
 *   Miller 2011; sandwich::vcovCL's default, type HC1 with cadjust; statsmodels'
 *   cov_cluster_2groups)
 *
 * n counts the rows of positive weight, k the kept (non-aliased) coefficients. The summed
 * meat is rank 0's, broadcast, so that V is the same bits on every rank. V_s maps to
 * original units as the classical covariance does (V = T V_s Tᵀ, inference.h); aliased
 * coefficients' rows and columns are NaN, as R's vcov shows NA for them.
 *
 * Rows in blocks: the meat is one pass over the rows, fed in blocks of any size that hold
 * whole PAR_CHUNK_ROWS-row parts (par.h; dataset_next's blocks), so that the rows need not
 * all be held. HC: each part's k×k sum is taken by one thread and the parts' sums are
 * added in part order, so the result is the same bits for any blocks and thread count.
 *
 * Clusters across ranks: each rank sums its rows' scores per cluster key, rows in order,
 * into a table of its clusters (the same additions in the same order whatever the blocks),
 * sends each cluster's partial sum to the rank that owns the key (a hash of the key modulo
 * the rank count; one all-to-all exchange), the owner adds the partial sums in rank order
 * and accumulates S_g S_gᵀ over its clusters in key order, and one Allreduce adds the k×k
 * sums. No rank ever holds all clusters; the result does not depend on the thread count
 * or the blocks and, for a given rank count, is the same on every run. Memory: the scores
 * of 65,536 rows at a time and, per cluster of the rank (per column, and per pair for
 * two-way), its key, its k sums and two to four slots of a hash table; nothing per row.
 *
 * Calls MPI only through comm.h; never exits (LR_FATAL aside).
 */
#ifndef LINREG_ROBUST_H
#define LINREG_ROBUST_H

#include <stdint.h>

#include "error.h"
#include "exact.h"

enum cov_type { COV_CLASSICAL, COV_HC0, COV_HC1, COV_HC2, COV_HC3, COV_CLUSTER };

/* The --cov argument: type and, for cluster, the comma-separated columns in *columns
   (pointing into arg). Returns -1 on an unknown type. */
int robust_parse(const char *arg, enum cov_type *type, const char **columns);
const char *robust_type_name(enum cov_type type);  /* "classical", "HC0", ..., "cluster" */

struct robust_problem {
    const struct exact_problem *pb;  /* the factor's design: the shape, the scaling, the
                                        threads (the rows come in blocks: its X, y, w and
                                        n_local are not read) */
    const double *theta_s;     /* D+1 coefficients on the factor's design (aliased: 0) */
    const double *mean, *scale;  /* D: the map of θ_s to original units (stats.h) */
    int n_groups;              /* COV_CLUSTER: cluster key columns, 1 or 2 */
    enum cov_type type;
    double sigma2;             /* COV_CLASSICAL: V_s = σ²B, no pass over the rows */
};

struct robust_cov {
    int d;                     /* D: V is (D+1)×(D+1) */
    double *V;                 /* row-major, original units, intercept first; NaN for
                                  aliased coefficients (and the intercept when not fitted);
                                  HC2/HC3 with a row of leverage 1: NaN throughout */
    double *bread;             /* all but classical: T B Tᵀ, V's shape (the classical
                                  covariance over σ²), for inference's rank test */
    int rank_bound;            /* V's rank is at most this: k, or for clusters Σ (G − 1)
                                  over the columns (and pairs), if fewer */
    int64_t clusters[3];       /* cluster: G per column, then of the pairs (two-way) */
    int64_t n_leverage_one;    /* HC2/HC3: rows with 1 − h_i ≤ robust_leverage_tol */
};

/*
 * Leverage 1: a row that a coefficient fits alone (a level with one row, n = k) has
 * h = 1 exactly and residual 0, so HC2's and HC3's weights 1/(1 − h)^c are 0/0; computed,
 * h is 1 only to rounding, and the weight is noise that changes with the rank count. A row
 * counts as leverage 1 when 1 − h ≤ ROBUST_LEVERAGE_ULPS·(k + 1)·ε·max(κ, 1), κ the scaled
 * design's condition number (the rounding of h = ω‖R⁻ᵀx̃‖² grows with k and κ), and then
 * V is NaN throughout, as R's vcovHC gives it (whose hat values count as 1 from 1 − 10ε).
 */
#define ROBUST_LEVERAGE_ULPS 64.0
double robust_leverage_tol(const struct exact_fit *f);

/* Whether the covariance needs a pass over the rows (every type but classical). */
int robust_needs_pass(enum cov_type type);

/*
 * The covariance, from one pass over this rank's rows in order (none for classical):
 *     robust_begin(&rs, rp, f);
 *     every row in order, in blocks: robust_add(&rs, X, y, w, g, n);
 *     robust_end(&rs, out);                                  (collective)
 * X n×D row-major on the factor's design's columns as given (pb's scaling applies), y n,
 * w n (NULL: all 1), g n×n_groups cluster keys (csv_reader.h; COV_CLUSTER, else unread).
 * Every block but the last holds whole PAR_CHUNK_ROWS-row parts (LR_FATAL otherwise: the
 * caller's bug). rp and f must live until robust_end. The fields are the pass's own.
 */
struct cluster_table;
struct robust_pass {
    const struct robust_problem *rp;
    const struct exact_fit *f;
    int64_t fed, n;            /* rows added; of them, rows of positive weight */
    double *M;                 /* HC: the k×k sum of the parts ended */
    int64_t n_h1;              /* HC2/HC3: rows of leverage 1 (left out of M) */
    double *part;              /* HC: the k×k sums (and rows of leverage 1) of parts in
                                  progress */
    double *S;                 /* cluster: the scores of a block's rows, some at a time */
    struct cluster_table *tab; /* cluster: per column, then per pair: this rank's clusters */
};
void robust_begin(struct robust_pass *rs, const struct robust_problem *rp,
                  const struct exact_fit *f);
void robust_add(struct robust_pass *rs, const double *X, const double *y, const double *w,
                const uint64_t *g, int64_t n);
void robust_end(struct robust_pass *rs, struct robust_cov *out);
void robust_cov_free(struct robust_cov *c);

#endif
