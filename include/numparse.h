/*
 * numparse.h — strict, fast conversion of one CSV field to a double.
 *
 * Grammar (after trimming spaces and tabs on both sides):
 *     [+-]? ( digits [ '.' digits? ] | '.' digits ) ( [eE] [+-]? digits )?
 * Anything else is rejected: empty fields, "NA", "nan", "inf", hex floats, trailing junk.
 * A value that overflows a double (1e400) is rejected; underflow to a denormal or zero is
 * accepted, as strtod does.
 *
 * The result is bit-identical to strtod in the "C" locale: ordinary decimals (at most 19
 * significant digits, value exactly representable as an integer below 2^53 times an exact
 * power of ten 10^-22..10^22) take an exact fast path (one correctly rounded multiply or
 * divide, Clinger 1990); everything else goes to strtod.
 *
 * Never allocates on the fast path, never calls MPI, never exits.
 */
#ifndef LINREG_NUMPARSE_H
#define LINREG_NUMPARSE_H

#include <stddef.h>

enum num_status {
    NUM_OK = 0,
    NUM_EMPTY,      /* nothing but spaces */
    NUM_SYNTAX,     /* not a decimal number */
    NUM_RANGE,      /* magnitude too large for a double */
};

/* Parse s[0..n) (need not be NUL-terminated) into *out; returns an enum num_status. */
int num_parse(const char *s, size_t n, double *out);

/* A short phrase for a status, e.g. "is not a number". */
const char *num_strerror(int status);

#endif
