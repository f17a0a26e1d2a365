/* stats.c — parallel column statistics; see stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"
#include "par.h"

double stats_std(const struct col_stats *s)
{
    return s->weight > 0 ? sqrt(s->m2 / s->weight) : 0.0;
}

/* hi + lo ← hi + t, exactly, for the mean's two parts. */
static void add_to_mean(double *hi, double *lo, double t)
{
    *hi = stats_two_sum(*hi, t, lo);
}

void stats_merge(struct col_stats *a, const struct col_stats *b)
{
    if (b->count == 0)
        return;
    if (a->count == 0 || (a->weight == 0 && b->weight > 0)) {
        double lo = a->min < b->min ? a->min : b->min, hi = a->max > b->max ? a->max : b->max;
        int64_t count = a->count + b->count;
        *a = *b;
        a->count = count, a->min = lo, a->max = hi;
        return;
    }
    double na = a->weight, nb = b->weight, n = na + nb;
    double delta = (b->mean - a->mean) + (b->mean_lo - a->mean_lo);
    if (nb > 0) {  /* rows of weight zero change nothing but the count and the range */
        double t = a->mean_lo + delta * (nb / n);
        if (isfinite(t) && isfinite(a->mean)) {
            add_to_mean(&a->mean, &a->mean_lo, t);
        } else {
            a->mean += t;
            a->mean_lo = 0;
        }
        a->m2 += b->m2 + delta * delta * (na * nb / n);
        a->weight = n;
    }
    a->count += b->count;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

/* A slice's mean m and M2 about it, given c = Σω(x − m) (m's error, times Σω, as the second
   pass finds it): the mean as m + c/Σω in two parts, and M2 about it, Σω(x − m)² − c²/Σω.
   Left as they are where any of them is not finite. */
static void correct_mean(struct col_stats *s, double c)
{
    if (!(s->weight > 0) || !isfinite(c) || !isfinite(s->mean) || !isfinite(s->m2))
        return;
    double t = c / s->weight;
    s->mean_lo = 0;
    add_to_mean(&s->mean, &s->mean_lo, t);
    s->m2 = fmax(0.0, s->m2 - c * t);
}

/* Exact stats of rows [lo, hi) of X (weights w, or NULL for 1): sums first, then squared
   deviations from the mean. A NaN is a missing value (encode.h): left out of its column's
   count and weight. The reference for slice_finite, and the path for slices with a NaN or
   an infinity. */
static void slice_checked(const double *X, const double *w, int64_t lo, int64_t hi, int d,
                        struct col_stats *out)
{
    for (int j = 0; j < d; j++)
        out[j] = (struct col_stats){.min = INFINITY, .max = -INFINITY};
    for (int64_t i = lo; i < hi; i++) {
        const double *x = X + i * d;
        double wi = w ? w[i] : 1.0;
        for (int j = 0; j < d; j++) {
            if (isnan(x[j]))
                continue;
            out[j].count++;
            out[j].weight += wi;
            out[j].mean += w ? wi * x[j] : x[j];
            out[j].min = x[j] < out[j].min ? x[j] : out[j].min;
            out[j].max = x[j] > out[j].max ? x[j] : out[j].max;
        }
    }
    for (int j = 0; j < d; j++)
        out[j].mean = out[j].weight > 0 ? out[j].mean / out[j].weight : 0.0;
    double *c = lr_calloc((size_t)(d ? d : 1), sizeof *c);
    for (int64_t i = lo; i < hi; i++) {
        const double *x = X + i * d;
        for (int j = 0; j < d; j++) {
            double dx = x[j] - out[j].mean;
            if (!isnan(dx)) {
                out[j].m2 += w ? w[i] * dx * dx : dx * dx;
                c[j] += w ? w[i] * dx : dx;
            }
        }
    }
    for (int j = 0; j < d; j++)
        correct_mean(&out[j], c[j]);
    free(c);
}

/* stats_slice where every value is finite, the columns side by side without a branch (the
   compiler vectorises across them; each column's sums take their terms in row order, so the
   bits are slice_checked's): count and weight are the rows' (Σω in row order, the same for
   every column). Returns 0, with out untouched, when the slice holds a NaN or an infinity
   (or its sums overflow): a sum that is not finite says so. */
static int slice_finite(const double *X, const double *w, int64_t lo, int64_t hi, int d,
                        struct col_stats *out)
{
    double *restrict sum = lr_malloc(sizeof(double) * 5 * (size_t)d);
    double *restrict mn = sum + d, *restrict mx = mn + d, *restrict m2 = mx + d;
    double *restrict c = m2 + d, wsum = 0;
    for (int j = 0; j < d; j++)
        sum[j] = m2[j] = c[j] = 0, mn[j] = INFINITY, mx[j] = -INFINITY;
    for (int64_t i = lo; i < hi; i++) {
        const double *restrict x = X + i * d;
        double wi = w ? w[i] : 1.0;
        wsum += wi;
        if (w)
            for (int j = 0; j < d; j++)
                sum[j] += wi * x[j];
        else
            for (int j = 0; j < d; j++)
                sum[j] += x[j];
        for (int j = 0; j < d; j++) {
            mn[j] = x[j] < mn[j] ? x[j] : mn[j];
            mx[j] = x[j] > mx[j] ? x[j] : mx[j];
        }
    }
    int finite = isfinite(wsum);
    for (int j = 0; j < d; j++)
        finite &= isfinite(sum[j]) != 0;
    if (finite) {
        for (int j = 0; j < d; j++)
            sum[j] = wsum > 0 ? sum[j] / wsum : 0.0;  /* the means */
        for (int64_t i = lo; i < hi; i++) {  /* x and the mean finite: dx is never NaN */
            const double *restrict x = X + i * d;
            if (w) {
                double wi = w[i];
                for (int j = 0; j < d; j++) {
                    double dx = x[j] - sum[j];
                    m2[j] += wi * dx * dx;
                    c[j] += wi * dx;
                }
            } else {
                for (int j = 0; j < d; j++) {
                    double dx = x[j] - sum[j];
                    m2[j] += dx * dx;
                    c[j] += dx;
                }
            }
        }
        for (int j = 0; j < d; j++) {
            out[j] = (struct col_stats){.count = hi - lo, .mean = sum[j], .m2 = m2[j],
                                        .min = mn[j], .max = mx[j], .weight = wsum};
            correct_mean(&out[j], c[j]);
        }
    }
    free(sum);
    return finite;
}

static void stats_slice(const double *X, const double *w, int64_t lo, int64_t hi, int d,
                        struct col_stats *out)
{
    if (d == 0 || !slice_finite(X, w, lo, hi, d, out))
        slice_checked(X, w, lo, hi, d, out);
}

void stats_local(const double *X, int64_t n, int d, int n_threads, struct col_stats *out)
{
    stats_local_w(X, NULL, n, d, n_threads, out);
}

void stats_init(struct col_stats *acc, int d)
{
    for (int j = 0; j < d; j++)
        acc[j] = (struct col_stats){.min = INFINITY, .max = -INFINITY};
}

void stats_add(const double *X, const double *w, int64_t n, int d, int n_threads,
               struct col_stats *acc)
{
    int64_t parts = par_chunks(n);
    struct col_stats *part = lr_malloc((size_t)(parts ? parts : 1) * (size_t)d * sizeof *part);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        stats_slice(X, w, lo, hi, d, part + (size_t)k * d);
    }
    for (int64_t k = 0; k < parts; k++)  /* part order: the same bits for any team */
        for (int j = 0; j < d; j++)
            stats_merge(&acc[j], &part[(size_t)k * d + j]);
    free(part);
}

void stats_finish(struct col_stats *acc, int d)
{
    int p = comm_size();
    struct col_stats *all = lr_malloc((size_t)p * (size_t)(d ? d : 1) * sizeof *all);
    comm_allgather(acc, all, (size_t)d * sizeof *all);
    stats_init(acc, d);
    for (int r = 0; r < p; r++)  /* rank order: identical result on every rank */
        for (int j = 0; j < d; j++)
            stats_merge(&acc[j], &all[(size_t)r * d + j]);
    free(all);
}

void stats_first_mean(const double *X, const double *w, int64_t n, int d, double *out)
{
    if (n > PAR_CHUNK_ROWS)
        n = PAR_CHUNK_ROWS;
    for (int j = 0; j < d; j++) {
        double sum = 0, weight = 0, plain = 0, count = 0;
        for (int64_t i = 0; i < n; i++) {
            double x = X[i * d + j], wi = w ? w[i] : 1.0;
            if (!isfinite(x))
                continue;
            plain += x, count++;
            if (wi > 0)
                sum += wi * x, weight += wi;
        }
        out[j] = weight > 0 && isfinite(sum / weight) ? sum / weight
                 : count > 0 && isfinite(plain) ? plain / count : 0.0;
    }
}

void stats_local_w(const double *X, const double *w, int64_t n, int d, int n_threads,
                   struct col_stats *out)
{
    stats_init(out, d);
    stats_add(X, w, n, d, n_threads, out);
}

void stats_allreduce(const double *X, int64_t n, int d, int n_threads, struct col_stats *out)
{
    stats_allreduce_w(X, NULL, n, d, n_threads, out);
}

void stats_allreduce_w(const double *X, const double *w, int64_t n, int d, int n_threads,
                       struct col_stats *out)
{
    stats_local_w(X, w, n, d, n_threads, out);
    stats_finish(out, d);
}

void stats_standardize(double *X, int64_t n, int d, const double *mean, const double *scale,
                       int n_threads)
{
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            X[i * d + j] = (X[i * d + j] - mean[j]) / scale[j];
}

void stats_unscale(const double *theta_s, const double *mean, const double *scale, int d,
                   double *theta)
{
    double b = theta_s[0];
    for (int j = 0; j < d; j++) {
        theta[j + 1] = theta_s[j + 1] / (scale ? scale[j] : 1.0);
        b -= theta[j + 1] * (mean ? mean[j] : 0.0);
    }
    theta[0] = b;
}

void stats_rescale(const double *theta, const double *mean, const double *scale, int d,
                   double *theta_s)
{
    double b = theta[0];
    for (int j = 0; j < d; j++) {
        b += theta[j + 1] * (mean ? mean[j] : 0.0);
        theta_s[j + 1] = theta[j + 1] * (scale ? scale[j] : 1.0);
    }
    theta_s[0] = b;
}
