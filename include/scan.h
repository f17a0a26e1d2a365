/*
 * scan.h — the CSV reader's fast path: where the fields of a plain line end, found many
 * bytes at a time.
 *
 * A line is plain when it holds no quote character and no carriage return other than one
 * just before its line feed (or, on a last line without line feed, as its last byte).
 * On such a line libcsv's reading depends only on where the delimiters are: field k is
 * the bytes between delimiters k-1 and k (the line's start and end at the ends), spaces
 * around it removed. So csv_reader.c takes a plain line with the expected number of
 * fields from these positions, calls for each field the very function libcsv's callback
 * calls, and hands every other line to libcsv, which stays the reader of record: the rows
 * and the first error are libcsv's either way (the fuzz target checks both paths on the
 * same bytes).
 *
 * Two implementations of one contract, both always compiled: SSE2 (16 bytes per step; in
 * every x86-64) and a portable one (8 bytes per step in a 64-bit word). scan_line is the
 * SSE2 one when the compiler targets SSE2, else the portable one; the unit tests compare
 * the two on lines of every length and alignment.
 *
 * Never allocates, never calls MPI, never exits.
 */
#ifndef LINREG_SCAN_H
#define LINREG_SCAN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line at p[0..n): up to and including its first '\n', or all n bytes when there is
 * none. When it is plain and holds at most max_delims delimiters, stores their offsets
 * in at[0..*n_at), the length of its content (without the '\n' and a '\r' before it) in
 * *content, and returns the line's length (≥ 1). Otherwise returns 0, and the line is
 * libcsv's. A line of 4 GiB or more is never plain (offsets are 32-bit).
 */
size_t scan_line_sse2(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                      int *n_at, size_t *content);
size_t scan_line_portable(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                          int *n_at, size_t *content);

#if defined(__SSE2__) && !defined(LINREG_SCAN_PORTABLE)
#define SCAN_IMPL "sse2"
#define scan_line scan_line_sse2
#else
#define SCAN_IMPL "portable"
#define scan_line scan_line_portable
#endif

/* libcsv's spaces around an unquoted field: ' ' and '\t', but only ' ' when the delimiter
   is a tab (the reader sets that space function); the delimiter itself is never one. */
static inline int scan_is_space(char c, char delim)
{
    return c == ' ' || (c == '\t' && delim != '\t');
}

#endif
