/* numparse.c — strict decimal parsing with an exact fast path; see numparse.h. */
#include "numparse.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Powers of ten that are exact doubles (10^22 < 2^53 · 2^22). */
static const double exact_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* Are the 8 bytes of v (first character in the low byte) all '0'..'9'? Each byte must
   have high nibble 3, and still have it after adding 6 (which pushes ':'..'?' past it). */
static inline __attribute__((always_inline)) int eight_digits(uint64_t v)
{
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0), threes = UINT64_C(0x3030303030303030);
    return (v & hi) == threes && ((v + UINT64_C(0x0606060606060606)) & hi) == threes;
}

/* The value of 8 decimal digits at once (SWAR): merge neighbouring lanes pairwise, twice as
   wide each step: digits → 2-digit values in 16-bit lanes → 4-digit values → 8 digits. */
static inline __attribute__((always_inline)) uint64_t eight_digits_value(uint64_t v)
{
    v -= UINT64_C(0x3030303030303030);
    v = (v * 10 + (v >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    v = (v * 100 + (v >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (v * 10000 + (v >> 32)) & UINT64_C(0xFFFFFFFF);
}

/* mant·10^k + the digits at *p, 8 at a time while there are 8; advances *p. */
static inline __attribute__((always_inline)) uint64_t take_digits(const char **pp, const char *end, uint64_t mant)
{
    const char *p = *pp;
    uint64_t v;
    while (end - p >= 8 && (memcpy(&v, p, 8), eight_digits(v))) {
        mant = mant * 100000000 + eight_digits_value(v);
        p += 8;
    }
    while (p < end && is_digit(*p))
        mant = mant * 10 + (uint64_t)(*p++ - '0');
    *pp = p;
    return mant;
}

/* strtod on a NUL-terminated copy of s[0..n); syntax already checked. */
static int parse_slow(const char *s, size_t n, double *out)
{
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return NUM_RANGE;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (isinf(v))
        return NUM_RANGE;
    *out = v;
    return NUM_OK;
}

int num_parse(const char *s, size_t n, double *out)
{
    const char *p = s, *end = s + n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end)
        return NUM_EMPTY;

    const char *start = p;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';

    /* Accumulate every digit; more than 19 of them (leading zeros included) may have
       wrapped mant, and then strtod decides. */
    const char *int_start = p;
    uint64_t mant = take_digits(&p, end, 0);
    int64_t n_digits = p - int_start, exp10 = 0;
    if (p < end && *p == '.') {
        const char *frac_start = ++p;
        mant = take_digits(&p, end, mant);
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
        if (p == end || !is_digit(*p))
            return NUM_SYNTAX;
        for (; p < end && is_digit(*p); p++)
            if (e < 1000000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    if (p != end)
        return NUM_SYNTAX;

    int too_long = n_digits > 19;
    if (!too_long) {
        if (mant == 0) {
            *out = neg ? -0.0 : 0.0;
            return NUM_OK;
        }
        if (mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
            double v = (double)mant;
            v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
            *out = neg ? -v : v;
            return NUM_OK;
        }
    }
    return parse_slow(start, (size_t)(end - start), out);
}

const char *num_strerror(int status)
{
    switch (status) {
    case NUM_OK: return "is a number";
    case NUM_EMPTY: return "is empty (missing values are not supported)";
    case NUM_RANGE: return "is out of range for a double";
    default: return "is not a number";
    }
}
