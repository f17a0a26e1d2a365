/* test_numparse.c — num_parse must equal strtod bit for bit, and be strict. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "suites.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)  /* xorshift64*: deterministic, independent of libc */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}
static int rnd_below(int n) { return (int)(rnd() % (uint64_t)n); }

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* A random numeric string of one of many shapes. */
static int random_number(char *s)
{
    int n = 0, n_int = 0, n_frac = -1;
    if (rnd_below(6) == 0)
        s[n++] = ' ';
    int sign = rnd_below(4);
    if (sign == 1)
        s[n++] = '-';
    else if (sign == 2)
        s[n++] = '+';
    switch (rnd_below(5)) {  /* digit counts: mostly ordinary, sometimes long */
    case 0: n_int = rnd_below(4); n_frac = rnd_below(8); break;
    case 1: n_int = 1 + rnd_below(7); n_frac = -1; break;
    case 2: n_int = rnd_below(3); n_frac = 5 + rnd_below(12); break;
    case 3: n_int = rnd_below(22); n_frac = rnd_below(22) - 1; break;
    default: n_int = 1; n_frac = rnd_below(20); break;
    }
    if (n_int == 0 && n_frac <= 0)
        n_int = 1;
    int zeros = rnd_below(5) == 0 ? rnd_below(6) : 0;  /* leading zeros */
    for (int k = 0; k < n_int; k++)
        s[n++] = (char)('0' + (k < zeros ? 0 : rnd_below(10)));
    if (n_frac >= 0) {
        s[n++] = '.';
        for (int k = 0; k < n_frac; k++)
            s[n++] = (char)('0' + rnd_below(10));
    }
    if (rnd_below(3) == 0) {
        s[n++] = rnd_below(2) ? 'e' : 'E';
        int es = rnd_below(3);
        if (es == 1)
            s[n++] = '-';
        else if (es == 2)
            s[n++] = '+';
        int e = rnd_below(4) == 0 ? rnd_below(340) : rnd_below(30);
        n += sprintf(s + n, "%0*d", 1 + rnd_below(3), e);
    }
    if (rnd_below(6) == 0)
        s[n++] = '\t';
    s[n] = '\0';
    return n;
}

static void check_against_strtod(const char *s, int n, long *checked)
{
    double mine = 0, ref = strtod(s, NULL);
    int rc = num_parse(s, (size_t)n, &mine);
    if (isinf(ref)) {
        if (rc != NUM_RANGE)
            printf("\n  %s: expected NUM_RANGE, got %d\n", s, rc);
        CU_ASSERT_EQUAL(rc, NUM_RANGE);
        return;
    }
    if (rc != NUM_OK || !same_bits(mine, ref))
        printf("\n  '%s': num_parse %.17g (rc %d) vs strtod %.17g\n", s, mine, rc, ref);
    CU_ASSERT_EQUAL_FATAL(rc, NUM_OK);
    CU_ASSERT_FATAL(same_bits(mine, ref));
    (*checked)++;
}

/* 1.2 million random strings of varied shapes, plus printf renderings of random doubles. */
static void test_bit_identical_to_strtod(void)
{
    char s[128];
    long checked = 0;
    for (int i = 0; i < 1000000; i++)
        check_against_strtod(s, random_number(s), &checked);
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rnd();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        int n = i % 2 ? snprintf(s, sizeof s, "%.*g", 1 + rnd_below(17), v)
                      : snprintf(s, sizeof s, "%.*f", rnd_below(12), ldexp((double)(bits >> 11), -rnd_below(60)));
        check_against_strtod(s, n, &checked);
    }
    CU_ASSERT(checked > 1100000);
}

static void test_hard_cases(void)
{
    const char *cases[] = {
        "0", "-0", "+0", "0.0", "-0.0", "1.", ".5", "-.5", "9007199254740992", "9007199254740993",
        "9007199254740991.5", "1e22", "1e23", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "0.1", "0.2", "0.3", "2.2250738585072011e-308",
        "2.2250738585072014e-308", "4.9e-324", "2.4703282292062327e-324", "1e-400",
        "1.7976931348623157e308", "0.000000000000000000000000000001234", "123456.78901234567",
        "00000000000000000000000001", "1.00000000000000000000000000000000000001",
        "  42  ", "\t-3.5e-3\t", "1E5", "1e+05", "0e999999999", "3.14159265358979323846264338",
    };
    long checked = 0;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        check_against_strtod(cases[k], (int)strlen(cases[k]), &checked);
    double v = 1;
    CU_ASSERT_EQUAL(num_parse("-0", 2, &v), NUM_OK);
    CU_ASSERT(signbit(v));
    /* the field need not be NUL-terminated: only n bytes are looked at */
    CU_ASSERT_EQUAL(num_parse("12345xyz", 5, &v), NUM_OK);
    CU_ASSERT_EQUAL(v, 12345.0);
}

static void test_rejects(void)
{
    const char *bad[] = {
        "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "0x1p3", "0X10", "1e", "1e+", "e5",
        ".", "-", "+", "1.2.3", "1,5", "12a", "a12", "1 2", "--1", "+-1", "1e5.5", "NA", "null",
        "1_000", "\xEF\xBB\xBF" "1", "1d5", "0b101", "1e 5", "- 1",
    };
    double v;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = num_parse(bad[k], strlen(bad[k]), &v);
        if (rc != NUM_SYNTAX)
            printf("\n  '%s' accepted (rc %d)\n", bad[k], rc);
        CU_ASSERT_EQUAL(rc, NUM_SYNTAX);
    }
    CU_ASSERT_EQUAL(num_parse("", 0, &v), NUM_EMPTY);
    CU_ASSERT_EQUAL(num_parse("   ", 3, &v), NUM_EMPTY);
    CU_ASSERT_EQUAL(num_parse("1e400", 5, &v), NUM_RANGE);
    CU_ASSERT_EQUAL(num_parse("-1e400", 6, &v), NUM_RANGE);
    char big[450];
    memset(big, '9', 400);
    CU_ASSERT_EQUAL(num_parse(big, 400, &v), NUM_RANGE);       /* 400 digits: 1e400 */
    big[0] = '0', big[1] = '.';
    CU_ASSERT_EQUAL(num_parse(big, 400, &v), NUM_OK);          /* 0.999...: fine */
    CU_ASSERT_EQUAL(v, 1.0);
}

/* num_scan finds the number's end itself: on a random number (no spaces) followed by a
   delimiter, a line end or junk, it stops where the number ends and gives strtod's bits,
   the bytes after the stop never read past end (the buffer ends exactly there, so ASan
   would see it); "1e" and "1e+" are not numbers; a digit run that ends at the data's end
   is read whole. */
static void test_scan_finds_the_end(void)
{
    static const char *after[] = {",", "\n", "\r\n", ";x", " ,", "", "e", "e+", "abc", ".5", "\"",
                                  "9"};
    char s[160];
    long checked = 0;
    for (int i = 0; i < 300000; i++) {
        int n = random_number(s);
        int a = 0, b = n;  /* the number without random_number's spaces and tab */
        while (s[a] == ' ' || s[a] == '\t')
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        const char *tail = after[rnd_below(12)];
        int m = b - a, t = (int)strlen(tail);
        char *buf = malloc((size_t)(m + t));  /* exactly the bytes: nothing to read past */
        memcpy(buf, s + a, (size_t)m);
        memcpy(buf + m, tail, (size_t)t);
        const char *stop = NULL;
        double v = 0, ref = 0;
        int rc = num_scan(buf, buf + m + t, &v, &stop);
        /* what the grammar takes: a digit tail joins the number; "e"/"e+" after one with no
           exponent yet is no number at all; ".5" after a fraction stops at the dot */
        char whole[200];
        memcpy(whole, buf, (size_t)(m + t));
        whole[m + t] = '\0';
        int has_exp = memchr(buf, 'e', (size_t)m) || memchr(buf, 'E', (size_t)m);
        int has_dot = memchr(buf, '.', (size_t)m) != NULL;
        int joins = tail[0] == '9' || (tail[0] == '.' && !has_dot && !has_exp);
        if (tail[0] == 'e' && !has_exp) {
            CU_ASSERT_EQUAL_FATAL(rc, NUM_SYNTAX);
        } else {
            char *end;
            ref = strtod(whole, &end);
            int want_rc = isinf(ref) ? NUM_RANGE : NUM_OK;
            CU_ASSERT_EQUAL_FATAL(rc, want_rc);
            CU_ASSERT_EQUAL_FATAL(stop - buf, end - whole);
            CU_ASSERT_FATAL(joins || stop - buf == m);
            if (rc == NUM_OK) {
                CU_ASSERT_FATAL(same_bits(v, ref));
                double p = 0;  /* num_parse of the same bytes: the same bits */
                CU_ASSERT_EQUAL_FATAL(num_parse(buf, (size_t)(stop - buf), &p), NUM_OK);
                CU_ASSERT_FATAL(same_bits(p, v));
            }
            checked++;
        }
        free(buf);
    }
    CU_ASSERT(checked > 200000);
    const char *stop = NULL;
    double v = 0;
    CU_ASSERT_EQUAL(num_scan("", "" + 0, &v, &stop), NUM_SYNTAX);
    CU_ASSERT_EQUAL(num_scan("-,", "-," + 2, &v, &stop), NUM_SYNTAX);
    CU_ASSERT_EQUAL(num_scan(" 1", " 1" + 2, &v, &stop), NUM_SYNTAX);  /* no spaces before */
    /* every split of a long digit run between eight-byte words and single bytes */
    const char *digits = "12345678901234567.25,";
    for (int k = 1; k <= 21; k++) {
        CU_ASSERT_EQUAL(num_scan(digits, digits + k, &v, &stop), NUM_OK);
        char tmp[32];
        memcpy(tmp, digits, (size_t)k);
        tmp[k] = '\0';
        CU_ASSERT_EQUAL(stop - digits, k == 21 ? 20 : k);
        CU_ASSERT(same_bits(v, strtod(tmp, NULL)));
    }
}

void add_numparse_suite(void)
{
    CU_pSuite s = CU_add_suite("numparse", NULL, NULL);
    CU_add_test(s, "bit-identical to strtod on 1.2M random strings", test_bit_identical_to_strtod);
    CU_add_test(s, "hard cases: boundaries, denormals, long mantissas", test_hard_cases);
    CU_add_test(s, "rejects non-numbers, empty and overflowing fields", test_rejects);
    CU_add_test(s, "num_scan: the number's end, strtod's bits", test_scan_finds_the_end);
}
