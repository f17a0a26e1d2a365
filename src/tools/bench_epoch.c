/*
 * bench_epoch — the epoch kernel against a memory-read probe, on the same in-memory data.
 *
 *     bench_epoch [--rows N] [--features D] [--reps R] [--threads T1,T2,...]
 *
 * Fills an N×D matrix and y (first touch by the threads that will read them), then for each
 * thread count takes the best of R runs of
 *   probe   a plain OpenMP sum over every double of X and y: what reading the data costs;
 *   kernel  gd_partials, the fused pass of one training epoch (src/gd.c);
 * and prints ms and GB/s for both and the kernel's fraction of the probe's bandwidth.
 * A benchmark, not a test: it prints figures and never fails on a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "comm.h"
#include "gd.h"
#include "par.h"

/* Split like the kernel (par.h): fixed parts, any team, sums added in part order. */
static double probe(const double *X, const double *y, int64_t n, int d, int threads)
{
    int64_t parts = par_chunks(n);
    double *part = lr_malloc((size_t)parts * sizeof *part), s = 0;
#pragma omp parallel for num_threads(threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        double t = 0;
        for (int64_t i = lo; i < hi; i++) {
            const double *x = X + i * d;
            double r = y[i];
#pragma omp simd reduction(+ : r)
            for (int j = 0; j < d; j++)
                r += x[j];
            t += r;
        }
        part[k] = t;
    }
    for (int64_t k = 0; k < parts; k++)
        s += part[k];
    free(part);
    return s;
}

static const char usage[] =
    "usage: bench_epoch [--rows N] [--features D] [--reps R] [--threads T1,T2,...]\n"
    "       (defaults 2000000, 20, 10, 1,2; counts are whole numbers >= 1)\n";

/* A whole number in [1, max] or exit 2. */
static long long count(const char *opt, const char *v, long long max)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < 1 || x > max) {
        fprintf(stderr, "bench_epoch: %s: '%s' is not a whole number from 1 to %lld\n%s", opt,
                v, max, usage);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    int64_t n = 2000000;
    int d = 20, reps = 10;
    char threads_list[64] = "1,2";
    for (int i = 1; i < argc; i += 2) {
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "bench_epoch: %s: needs a value\n%s", opt, usage);
            return 2;
        }
        if (!strcmp(opt, "--rows")) {
            n = count(opt, v, (long long)1 << 40);
        } else if (!strcmp(opt, "--features")) {
            d = (int)count(opt, v, 100000);
        } else if (!strcmp(opt, "--reps")) {
            reps = (int)count(opt, v, 1000000);
        } else if (!strcmp(opt, "--threads")) {
            snprintf(threads_list, sizeof threads_list, "%s", v);
        } else {
            fprintf(stderr, "bench_epoch: %s: unknown option\n%s", opt, usage);
            return 2;
        }
    }
    comm_init(&argc, &argv);
    double *X = malloc((size_t)n * (size_t)d * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    double *w = malloc((size_t)d * sizeof *w), *out = malloc((size_t)(d + 2) * sizeof *out);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15u;
        for (int j = 0; j < d; j++) {
            h ^= h >> 29, h *= 0xBF58476D1CE4E5B9u;
            X[i * d + j] = (double)(h >> 11) / 9007199254740992.0 - 0.5;
        }
        y[i] = X[i * d];
    }
    for (int j = 0; j < d; j++)
        w[j] = 0.01 * j;
    double gb = (double)n * (double)(d + 1) * sizeof(double) / 1e9;
    printf("data: %lld rows x %d features = %.3f GB (X and y), best of %d runs\n",
           (long long)n, d, gb, reps);
    for (char *tok = strtok(threads_list, ","); tok; tok = strtok(NULL, ",")) {
        int t = (int)count("--threads", tok, 4096);
        double best_probe = 1e30, best_kernel = 1e30, sink = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = omp_get_wtime();
            sink += probe(X, y, n, d, t);
            double t1 = omp_get_wtime();
            gd_partials(X, y, n, d, w, 0.5, t, out);
            double t2 = omp_get_wtime();
            sink += out[0];
            best_probe = t1 - t0 < best_probe ? t1 - t0 : best_probe;
            best_kernel = t2 - t1 < best_kernel ? t2 - t1 : best_kernel;
        }
        printf("threads %d: read probe %.2f ms %.2f GB/s | epoch kernel %.2f ms %.2f GB/s | "
               "kernel/probe %.0f%%%s\n",
               t, 1e3 * best_probe, gb / best_probe, 1e3 * best_kernel, gb / best_kernel,
               100 * best_probe / best_kernel, sink == 12345.678 ? " " : "");
    }
    free(X), free(y), free(w), free(out);
    comm_finalize();
    return 0;
}
