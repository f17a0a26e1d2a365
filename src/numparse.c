/* numparse.c — strict decimal parsing with an exact fast path; see numparse.h. */
#include "numparse.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const double num_exact_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
const uint64_t num_pow10_u64[9] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

int num_slow(const char *s, size_t n, double *out)
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
    const char *p = s, *end = s + n, *stop;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end)
        return NUM_EMPTY;
    double v;
    int rc = num_scan(p, end, &v, &stop);
    if (rc == NUM_SYNTAX || stop != end)  /* junk after the number */
        return NUM_SYNTAX;
    if (rc == NUM_OK)
        *out = v;
    return rc;
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
