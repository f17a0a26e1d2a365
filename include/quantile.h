/*
 * quantile.h — exact quantiles of columns whose rows are spread over the ranks and read in
 * passes, with memory that does not grow with the rows.
 *
 * The quantile at probability p of n values x(0) <= ... <= x(n-1) is R's type 7, the
 * default of R's quantile(), numpy's percentile and pandas' describe():
 *     h = (n - 1)·p,  q = x(⌊h⌋) + (h − ⌊h⌋)·(x(⌊h⌋+1) − x(⌊h⌋))
 * (the interpolation written as numpy writes it, so that both give the same bits).
 *
 * The order statistics x(⌊h⌋) and x(⌊h⌋+1) of each column are found exactly by passes over
 * the rows, in the doubles' ordered bit patterns (keys; -0 just below +0). Each order
 * statistic starts with a bracket of keys, [min, max] of its column; the brackets of a
 * column that hold the same keys share their work. A pass counts the keys of every bracket
 * in up to 4096 equal buckets (fewer when there are more than 1024 brackets: the counts take
 * 32 MiB, down to 16 buckets), the counts are summed over the ranks (one Allreduce) and the
 * bracket becomes the bucket that holds the order statistic. A bracket that holds one key
 * is done; one that holds few enough values (at most 65,536, and 2^21 for all the brackets
 * of a pass: 16 MiB) has them gathered from every rank by the pass, sorted and read off. A
 * 64-bit key range thus takes at most 6 passes (16 with the fewest buckets); data of one
 * scale usually 2 or 3. The result is the same bits for any rank count, thread count and
 * split of the rows into blocks.
 *
 * Use: quantile_begin; while quantile_pending, a pass: quantile_add on each block of this
 * rank's rows in any order, then quantile_step (collective); then quantile_result.
 * Calls MPI only through comm.h; never exits.
 */
#ifndef LINREG_QUANTILE_H
#define LINREG_QUANTILE_H

#include <stdint.h>

struct quantile_search;

/* Collective (every rank the same arguments): a search for the quantiles at probs[0..n_probs)
   of the d columns with use[j] (NULL: all); count[j], min[j], max[j] are column j's present
   values on all ranks (a NaN is absent: missing, or text), their least and greatest. */
struct quantile_search *quantile_begin(int d, const unsigned char *use, const int64_t *count,
                                       const double *min, const double *max,
                                       const double *probs, int n_probs);

/* 1 while another pass over the rows is needed, the same on every rank. */
int quantile_pending(const struct quantile_search *q);

/* Local: a block of this rank's rows in the pass, X n×d row-major. */
void quantile_add(struct quantile_search *q, const double *X, int64_t n, int n_threads);

/* Collective: the pass has ended on every rank; the brackets narrowed. */
void quantile_step(struct quantile_search *q);

/* The passes made so far. */
int quantile_passes(const struct quantile_search *q);

/* Once no pass is pending: out[j·n_probs + k] = column j's quantile at probs[k] (NaN when it
   has no present value or use[j] is 0). */
void quantile_result(const struct quantile_search *q, double *out);

void quantile_free(struct quantile_search *q);

/* Collective: the same in one call on this rank's rows held at once (X: N×D row-major, left
   as it is). */
void quantile_columns(const double *X, int64_t n, int d, const unsigned char *use,
                      const double *probs, int n_probs, int n_threads, double *out);

/* The same quantile of n sorted values (the serial reference). */
double quantile_sorted(const double *x, int64_t n, double p);

#endif
