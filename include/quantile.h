/*
 * quantile.h — exact quantiles of columns whose rows are spread over the ranks.
 *
 * The quantile at probability p of n values x(0) <= ... <= x(n-1) is R's type 7, the
 * default of R's quantile(), numpy's percentile and pandas' describe():
 *     h = (n - 1)·p,  q = x(⌊h⌋) + (h − ⌊h⌋)·(x(⌊h⌋+1) − x(⌊h⌋))
 * (the interpolation written as numpy writes it, so that both give the same bits).
 *
 * The order statistics are found exactly, without gathering the rows: each rank sorts a
 * copy of each column's present values (threads over columns; columns in batches whose
 * copies fit in 64 MiB, or one column), then every order statistic sought is narrowed by
 * bisection over the doubles' ordered bit patterns, one Allreduce of the counts (the
 * batch's columns and statistics together) per step, 64 steps. One rank reads them off
 * its sorted copy; up to 1024 rows in all, every rank gathers the sorted values instead
 * (wide, short tables: one collective). The result is the same bits for any rank and
 * thread count.
 * Collective; never exits.
 */
#ifndef LINREG_QUANTILE_H
#define LINREG_QUANTILE_H

#include <stdint.h>

/* X: N×D row-major, this rank's rows; a NaN is an absent value (missing, or text).
   For each column j with use[j] (NULL: all), out[j·n_probs + k] = the quantile at
   probs[k] of the column's present values on all ranks (NaN when it has none); other
   columns get NaN. X is left as it is. */
void quantile_columns(const double *X, int64_t n, int d, const unsigned char *use,
                      const double *probs, int n_probs, int n_threads, double *out);

/* The same quantile of n sorted values (the serial reference). */
double quantile_sorted(const double *x, int64_t n, double p);

#endif
