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
 * num_scan is inline (its helpers are num_*): the reader converts every field with it.
 * Never allocates on the fast path, never calls MPI, never exits.
 */
#ifndef LINREG_NUMPARSE_H
#define LINREG_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum num_status {
    NUM_OK = 0,
    NUM_EMPTY,      /* nothing but spaces */
    NUM_SYNTAX,     /* not a decimal number */
    NUM_RANGE,      /* magnitude too large for a double */
};

/* Parse s[0..n) (need not be NUL-terminated) into *out; returns an enum num_status. */
int num_parse(const char *s, size_t n, double *out);

/*
 * The number that starts at s (no spaces before it), reading no byte at or past end: the
 * longest prefix of s[0..end) that the grammar above accepts is converted into *out and
 * *stop is set to its end. Returns NUM_OK, NUM_RANGE (*stop set, *out untouched), or
 * NUM_SYNTAX when no prefix is a number (an exponent marker must have digits after it:
 * "1e" and "1e+" are not numbers). So the conversion finds the field's end: a reader
 * checks that only spaces and a delimiter follow *stop. num_parse is this, between the
 * field's trimmed ends, with *stop required to be the end: the same bits either way.
 */
static inline int num_scan(const char *s, const char *end, double *out, const char **stop);

/* ---- num_scan, inline: the reader calls it for every field ---- */

/* Powers of ten that are exact doubles (10^22 < 2^53 · 2^22), and as integers to 10^8. */
extern const double num_exact_pow10[23];
extern const uint64_t num_pow10_u64[9];

/* strtod on a NUL-terminated copy of s[0..n), whose syntax is checked: NUM_OK or NUM_RANGE. */
int num_slow(const char *s, size_t n, double *out);

static inline int num_is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* The 8 bytes at p, the first in the low byte. */
static inline uint64_t num_load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Nonzero bytes where v's bytes are not '0'..'9': a digit is 0x30 + 0..9, so v ^ 0x30..
   has high nibble 0 and a low nibble that adding 6 keeps below 0x10 (no carry crosses a
   byte). */
static inline uint64_t num_non_digits(uint64_t v)
{
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0), lo = UINT64_C(0x0F0F0F0F0F0F0F0F);
    uint64_t t = v ^ UINT64_C(0x3030303030303030);
    return (t & hi) | (((t & lo) + UINT64_C(0x0606060606060606)) & hi);
}

/* The value of 8 decimal digits at once (SWAR): merge neighbouring lanes pairwise, twice as
   wide each step: digits → 2-digit values in 16-bit lanes → 4-digit values → 8 digits. */
static inline uint64_t num_eight_digits(uint64_t v)
{
    v -= UINT64_C(0x3030303030303030);
    v = (v * 10 + (v >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    v = (v * 100 + (v >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (v * 10000 + (v >> 32)) & UINT64_C(0xFFFFFFFF);
}

/* mant·10^k + the k digits at *p (mod 2^64, as k steps of mant·10 + digit would give);
   advances *p past them. Eight bytes at a time while eight are left: the digits before the
   first byte that is not one are moved to the top of the word, '0's put before them, and
   converted at once; the last few bytes of the data one by one. */
static inline uint64_t num_take_digits(const char **pp, const char *end, uint64_t mant)
{
    const char *p = *pp;
    while (end - p >= 8) {
        uint64_t v = num_load8(p), nd = num_non_digits(v);
        if (nd == 0) {
            mant = mant * 100000000 + num_eight_digits(v);
            p += 8;
            continue;
        }
        int k = __builtin_ctzll(nd) >> 3;  /* digits before the first other byte */
        if (k > 0) {
            v = (v << (64 - 8 * k)) | (UINT64_C(0x3030303030303030) >> (8 * k));
            mant = mant * num_pow10_u64[k] + num_eight_digits(v);
            p += k;
        }
        *pp = p;
        return mant;
    }
    while (p < end && num_is_digit(*p))
        mant = mant * 10 + (uint64_t)(*p++ - '0');
    *pp = p;
    return mant;
}

static inline int num_scan(const char *s, const char *end, double *out, const char **stop)
{
    const char *p = s;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';

    /* Accumulate every digit; more than 19 of them (leading zeros included) may have
       wrapped mant, and then strtod decides. */
    const char *int_start = p;
    uint64_t mant = num_take_digits(&p, end, 0);
    int64_t n_digits = p - int_start, exp10 = 0;
    if (p < end && *p == '.') {
        const char *frac_start = ++p;
        mant = num_take_digits(&p, end, mant);
        exp10 = -(p - frac_start);
        n_digits -= exp10;
    }
    if (n_digits == 0)
        return NUM_SYNTAX;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        int64_t e = 0;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p == end || !num_is_digit(*p))
            return NUM_SYNTAX;
        for (; p < end && num_is_digit(*p); p++)
            if (e < 1000000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    *stop = p;

    if (n_digits <= 19) {
        if (mant == 0) {
            *out = neg ? -0.0 : 0.0;
            return NUM_OK;
        }
        if (mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
            double v = (double)mant;
            v = exp10 < 0 ? v / num_exact_pow10[-exp10] : v * num_exact_pow10[exp10];
            *out = neg ? -v : v;
            return NUM_OK;
        }
    }
    return num_slow(s, (size_t)(p - s), out);
}

/* A short phrase for a status, e.g. "is not a number". */
const char *num_strerror(int status);

#endif
