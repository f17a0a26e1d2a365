/*
 * par.h — how work is split among OpenMP threads, in one place.
 *
 * A loop never assumes that its team has the size it asked for: OMP_THREAD_LIMIT,
 * OMP_DYNAMIC and nesting can all give fewer threads. Work is therefore cut into parts whose
 * boundaries depend on the data alone (never on the thread count or the team obtained), the
 * parts are handed out with a worksharing loop (`#pragma omp for`) so that whatever team
 * runs them covers every part, and per-part results are combined serially in part order.
 * The same input thus gives the same bits for any number of threads.
 *
 * Never calls MPI, never exits, allocates nothing.
 */
#ifndef LINREG_PAR_H
#define LINREG_PAR_H

#include <stdint.h>

/* Rows per part of a row loop whose parts are summed: large enough that a part amortises
   its bookkeeping, small enough that a 2-core machine's tests run the threaded path. */
#define PAR_CHUNK_ROWS 4096

/* Part k of n items cut into `parts` near-equal consecutive parts: [*lo, *hi). */
static inline void par_range(int64_t n, int64_t parts, int64_t k, int64_t *lo, int64_t *hi)
{
    *lo = (int64_t)((__int128)n * k / parts);
    *hi = (int64_t)((__int128)n * (k + 1) / parts);
}

/* How many PAR_CHUNK_ROWS-row parts n rows make (at least 1). */
static inline int64_t par_chunks(int64_t n)
{
    return n <= PAR_CHUNK_ROWS ? 1 : (n + PAR_CHUNK_ROWS - 1) / PAR_CHUNK_ROWS;
}

/* Rows [*lo, *hi) of chunk k of n rows. */
static inline void par_chunk(int64_t n, int64_t k, int64_t *lo, int64_t *hi)
{
    *lo = k * PAR_CHUNK_ROWS;
    *hi = *lo + PAR_CHUNK_ROWS < n ? *lo + PAR_CHUNK_ROWS : n;
    if (*lo > n)
        *lo = n;
}

#endif
