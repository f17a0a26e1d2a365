/*
 * stats.h — per-column count, mean, spread, min and max, merged across threads and ranks.
 *
 * Rows are cut into fixed parts (par.h) that any team of threads shares out; each part's mean
 * and M2 = Σ(x−mean)² are computed exactly (two passes over memory); parts and then ranks are
 * merged in a fixed order, so the bits do not depend on the thread count, with
 * Chan et al.'s pairwise formula, which stays accurate where a running sum of squares
 * would cancel. Every rank ends with the same numbers. These statistics serve both
 * `describe` and the trainer's feature scaling.
 *
 * Calls MPI only through comm.h (stats_allreduce); stats_local and stats_merge are serial.
 */
#ifndef LINREG_STATS_H
#define LINREG_STATS_H

#include <stdint.h>

struct col_stats {
    int64_t count;
    double mean;               /* Σ ω x / Σ ω (ω = 1 without weights) */
    double mean_lo;            /* mean's rounding error: mean + mean_lo is the mean to about
                                  twice a double's precision, so that merging parts whose
                                  means are large beside their spread (1e9 ± 1) keeps M2's
                                  digits (Chan's update takes the difference of the means) */
    double m2;                 /* Σ ω (x − mean)² */
    double min, max;
    double weight;             /* Σ ω: the count, as a double, without weights */
};

/* Population standard deviation sqrt(M2 / Σω). */
double stats_std(const struct col_stats *s);

/* a ← a ∪ b (Chan et al.). */
void stats_merge(struct col_stats *a, const struct col_stats *b);

/* Stats of the D columns of X (N×D row-major) on this rank, with n_threads threads; a NaN
   (a missing value, encode.h) is left out of its column's statistics. */
void stats_local(const double *X, int64_t n, int d, int n_threads, struct col_stats *out);

/* Collective: stats of the D columns over all ranks' rows, the same on every rank. */
void stats_allreduce(const double *X, int64_t n, int d, int n_threads, struct col_stats *out);

/* The same with sample weights w (N entries ≥ 0; NULL: all 1): weighted mean and M2, the
   weighted population std sqrt(Σω(x − x̄_ω)²/Σω); count, min and max of all present values. */
void stats_local_w(const double *X, const double *w, int64_t n, int d, int n_threads,
                   struct col_stats *out);
void stats_allreduce_w(const double *X, const double *w, int64_t n, int d, int n_threads,
                       struct col_stats *out);

/* The same over rows that come in blocks (each a whole number of par.h's parts but the
   last): stats_init, stats_add per block in order, then stats_finish (collective) gives
   stats_allreduce_w's bits on all the rows at once. */
void stats_init(struct col_stats *acc, int d);
void stats_add(const double *X, const double *w, int64_t n, int d, int n_threads,
               struct col_stats *acc);
void stats_finish(struct col_stats *acc, int d);

/* A rank's estimate of each column's location from its first rows (the first
   min(n, PAR_CHUNK_ROWS) of X, N×D row-major, whatever the threads): the ω-weighted mean of
   the finite values in rows of ω > 0 (w NULL: all 1), so that rows the fit ignores cannot
   pull it; a column with no such value there, the plain mean of its finite values; none,
   or a sum that overflows, 0. Not collective: ranks differ. */
void stats_first_mean(const double *X, const double *w, int64_t n, int d, double *out);

/*
 * The one map between the coefficients of a model on standardized columns,
 * θ_s = (b_s, w_s), and the same model on the columns as given, θ = (b, w):
 *     w_j = w_s,j / σ_j,   b = b_s − Σ_j w_s,j μ_j / σ_j          (stats_unscale)
 * and its inverse (stats_rescale). Arrays of D+1, b first; mean and scale of D, or NULL
 * for none (μ = 0, σ = 1). Being linear, stats_unscale also maps a step or a unit vector.
 */
void stats_unscale(const double *theta_s, const double *mean, const double *scale, int d,
                   double *theta);
void stats_rescale(const double *theta, const double *mean, const double *scale, int d,
                   double *theta_s);

/* a + b rounded, with *err set to its rounding error exactly (Knuth's TwoSum): a + b is
   the result plus *err, for the sums kept to twice a double's precision. */
static inline double stats_two_sum(double a, double b, double *err)
{
    double s = a + b, bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* X[i][j] ← (X[i][j] − mean[j]) / scale[j] in place, on this rank's rows. */
void stats_standardize(double *X, int64_t n, int d, const double *mean, const double *scale,
                       int n_threads);

#endif
