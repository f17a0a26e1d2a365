/* test_scratch.c — scratch.c: rows written in blocks come back the same bits in blocks of
   another size, pass after pass; the file has no name; a directory that cannot take the
   rows fails before anything is written. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "suites.h"

/* Entries in dir besides . and .. */
static int entries(const char *dir)
{
    DIR *dp = opendir(dir);
    int n = 0;
    for (struct dirent *de; dp && (de = readdir(dp));)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (dp)
        closedir(dp);
    return n;
}

static void test_round_trip(void)
{
    char dir[] = "/tmp/linreg_scratch_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    enum { N = 1000, D = 3 };
    double *X = malloc(N * D * sizeof *X), y[N], w[N];
    for (int i = 0; i < N * D; i++)  /* awkward bits: negative zero, a NaN payload, tiny */
        X[i] = i % 7 == 0 ? -0.0 : i % 11 == 0 ? nan("0x5") : (i - 500) * 1e-310 + i / 3.0;
    for (int i = 0; i < N; i++)
        y[i] = i * 0.1, w[i] = 1.0 / (i + 1);
    for (int flags = 0; flags < 4; flags++) {
        int has_y = flags & 1, has_w = flags >> 1;
        struct scratch s;
        struct lr_error e = {0};
        CU_ASSERT_EQUAL_FATAL(scratch_open(&s, dir, D, has_y, has_w, N, &e), 0);
        CU_ASSERT_EQUAL(entries(dir), 0);  /* no name in the directory */
        for (int at = 0, n = 1; at < N; at += n, n = n * 3 % 257 + 1) {
            int k = at + n <= N ? n : N - at;
            CU_ASSERT_EQUAL(scratch_append(&s, X + at * D, y + at, w + at, k, &e), 0);
        }
        CU_ASSERT_EQUAL(s.n_rows, N);
        double *X2 = malloc(N * D * sizeof *X2), y2[N], w2[N];
        for (int pass = 0; pass < 2; pass++) {
            int64_t block = pass ? 4096 : 97, got = 0, n;
            memset(X2, 0, N * D * sizeof *X2);
            while ((n = scratch_read(&s, block, X2 + got * D, y2 + got, w2 + got, &e)) > 0)
                got += n;
            CU_ASSERT_EQUAL(n, 0);
            CU_ASSERT_EQUAL(got, N);
            CU_ASSERT_EQUAL(memcmp(X, X2, N * D * sizeof *X), 0);
            CU_ASSERT_TRUE(!has_y || memcmp(y, y2, sizeof y) == 0);
            CU_ASSERT_TRUE(!has_w || memcmp(w, w2, sizeof w) == 0);
            scratch_rewind(&s);
        }
        free(X2);
        scratch_close(&s);
        scratch_close(&s);  /* twice: harmless */
    }
    free(X);
    CU_ASSERT_EQUAL(rmdir(dir), 0);  /* empty: nothing was left behind */
}

static void test_refused(void)
{
    struct scratch s;
    struct lr_error e = {0};
    /* a directory that does not exist */
    CU_ASSERT_EQUAL(scratch_open(&s, "/nonexistent/linreg", 2, 1, 0, 10, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_ECANTCREAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--scratch /nonexistent/linreg: cannot create"));
    CU_ASSERT_EQUAL(s.fd, -1);
    /* more rows than any disk here holds (2^50 rows of 3 numbers: 27 PB) */
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(scratch_open(&s, "/tmp", 2, 1, 0, (int64_t)1 << 50, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_ECANTCREAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "GB free; name a directory with room with --scratch"));
    /* the default: $TMPDIR */
    char dir[] = "/tmp/linreg_scratch_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", dir, 1);
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(scratch_open(&s, NULL, 2, 1, 0, (int64_t)1 << 50, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(e.msg, "the scratch directory ($TMPDIR, or /tmp) /tmp/linreg_scratch_"));
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(scratch_open(&s, NULL, 2, 1, 0, 10, &e), 0);
    double x[2] = {1, 2}, y = 3;
    CU_ASSERT_EQUAL(scratch_append(&s, x, &y, NULL, 1, &e), 0);
    scratch_close(&s);
    old ? setenv("TMPDIR", old, 1) : unsetenv("TMPDIR");
    free(old);
    CU_ASSERT_EQUAL(rmdir(dir), 0);
}

void add_scratch_suite(void)
{
    CU_pSuite s = CU_add_suite("scratch", NULL, NULL);
    CU_add_test(s, "rows in blocks back as the same bits, pass after pass, no name left",
                test_round_trip);
    CU_add_test(s, "a missing directory, too little room, $TMPDIR", test_refused);
}
