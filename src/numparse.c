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

    uint64_t mant = 0;  /* significant digits, while they fit */
    int n_sig = 0;      /* digits in mant, not counting leading zeros */
    int too_long = 0;   /* more than 19 significant digits: strtod decides */
    int64_t exp10 = 0;  /* value = mant · 10^exp10 */
    int n_digits = 0;

    for (; p < end && is_digit(*p); p++, n_digits++) {
        if (n_sig < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            n_sig += mant != 0;
        } else {
            too_long = 1;
        }
    }
    if (p < end && *p == '.') {
        p++;
        for (; p < end && is_digit(*p); p++, n_digits++) {
            if (n_sig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                n_sig += mant != 0;
                exp10--;
            } else {
                too_long = 1;
            }
        }
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
