/*
 * linalg.h — small dense linear algebra on the design matrix, for diagnosing a fit.
 *
 * linalg_gram forms the (D+1)×(D+1) Gram matrix of [1 X] over this rank's rows with any
 * team of threads and the same bits for every team (each entry is summed over rows in row
 * order by one thread). linalg_sym_eig_range finds the extreme eigenvalues of a small
 * symmetric matrix by cyclic Jacobi rotations (accurate to rounding, O(D³) per sweep).
 * Never calls MPI, never exits except through LR_FATAL on out of memory.
 *
 * Shapes: N rows, D features; X N×D row-major; G (D+1)×(D+1) row-major, index 0 the
 * intercept's column of ones.
 */
#ifndef LINREG_LINALG_H
#define LINREG_LINALG_H

#include <stdint.h>

/* G = [1 X]ᵀ[1 X] over rows [0, n) of X. */
void linalg_gram(const double *X, int64_t n, int d, int n_threads, double *G);
/* The same added to G: rows that follow those G holds (the sums go on in row order). */
void linalg_gram_add(const double *X, int64_t n, int d, int n_threads, double *G);

/* Smallest and largest eigenvalue of the symmetric n×n matrix A (A itself is left alone). */
void linalg_sym_eig_range(const double *A, int n, double *lo, double *hi);

#endif
