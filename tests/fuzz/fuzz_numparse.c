/*
 * fuzz_numparse.c — libFuzzer target for num_parse (include/numparse.h).
 *
 * Input: the field's bytes, as is (not NUL-terminated: ASan sees any read past the end).
 * Checks (abort() on violation):
 *   - accepted: the value is finite, and strtod on a NUL-terminated copy trimmed of spaces
 *     and tabs consumes all of it and gives the same bits (sign of zero included);
 *   - an independent matcher of the documented grammar
 *         [+-]? ( digits [ '.' digits? ] | '.' digits ) ( [eE] [+-]? digits )?
 *     says yes: num_parse accepts, or says NUM_RANGE exactly when strtod overflows to ±inf;
 *   - the matcher says no: NUM_EMPTY for nothing but spaces/tabs, else NUM_SYNTAX (so nan,
 *     inf, hex floats and junk are never accepted);
 *   - the bytes after the field do not change the result.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_numparse: invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static int digit(char c) { return c >= '0' && c <= '9'; }

/* The grammar of numparse.h on an already trimmed string. */
static int matches_grammar(const char *t, size_t m)
{
    size_t i = 0, int_digits = 0, frac_digits = 0;
    if (i < m && (t[i] == '+' || t[i] == '-'))
        i++;
    while (i < m && digit(t[i]))
        i++, int_digits++;
    if (i < m && t[i] == '.') {
        i++;
        while (i < m && digit(t[i]))
            i++, frac_digits++;
    }
    if (int_digits + frac_digits == 0)
        return 0;
    if (i < m && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < m && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t exp_digits = 0;
        while (i < m && digit(t[i]))
            i++, exp_digits++;
        if (exp_digits == 0)
            return 0;
    }
    return i == m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    double v = 12345.0;
    int rc = num_parse(s, size, &v);
    CHECK(rc == NUM_OK || rc == NUM_EMPTY || rc == NUM_SYNTAX || rc == NUM_RANGE);

    /* trimmed, NUL-terminated copy */
    size_t a = 0, b = size;
    while (a < b && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    size_t m = b - a;
    char *t = malloc(m + 1);
    memcpy(t, s + a, m);
    t[m] = '\0';

    int ok_syntax = matches_grammar(t, m);
    if (rc == NUM_OK) {
        CHECK(ok_syntax);
        CHECK(isfinite(v));
    }
    if (ok_syntax) {
        char *endp;
        double ref = strtod(t, &endp);
        CHECK(endp == t + m);  /* strtod takes the whole grammar */
        if (isinf(ref)) {
            CHECK(rc == NUM_RANGE);
        } else {
            CHECK(rc == NUM_OK);
            CHECK(memcmp(&ref, &v, sizeof v) == 0);
        }
    } else {
        CHECK(rc == (m == 0 ? NUM_EMPTY : NUM_SYNTAX));
    }

    /* a digit, an exponent or junk right after the field must not be looked at */
    static const char tails[] = "5e.x";
    char *buf = malloc(size + 1);
    if (size)
        memcpy(buf, s, size);
    for (int k = 0; tails[k]; k++) {
        buf[size] = tails[k];
        double w = 12345.0;
        int rc2 = num_parse(buf, size, &w);
        CHECK(rc2 == rc);
        CHECK(rc != NUM_OK || memcmp(&v, &w, sizeof v) == 0);
    }
    free(buf);
    free(t);
    return 0;
}
