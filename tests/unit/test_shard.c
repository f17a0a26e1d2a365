/* test_shard.c — rank byte ranges partition the data exactly at record starts. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard.h"
#include "suites.h"

/* Quotes in text[from, to): what the ranks below would have counted. */
static int64_t quotes_in(const char *text, off_t from, off_t to)
{
    int64_t n = 0;
    for (off_t i = from; i < to; i++)
        n += text[i] == '"';
    return n;
}

/* Is b a record start: after a '\n' with an even number of quotes before it? */
static int record_start(const char *text, off_t data_start, off_t b, off_t len)
{
    return b == data_start || b == len ||
           (text[b - 1] == '\n' && quotes_in(text, data_start, b) % 2 == 0);
}

static void check_partition(const char *text, size_t len, off_t data_start)
{
    const char *path = test_write_file(text, len);
    int fd = open(path, O_RDONLY);
    struct lr_error e = {0};
    for (int p = 1; p <= 9; p++) {
        off_t prev_end = data_start;
        for (int r = 0; r < p; r++) {
            off_t b, en, lo, hi;
            int64_t mine;
            shard_nominal(data_start, (off_t)len, r, p, &lo, &hi);
            CU_ASSERT_EQUAL_FATAL(shard_count_quotes(FD_BYTES(fd), path, lo, hi, &mine, &e), 0);
            CU_ASSERT_EQUAL(mine, quotes_in(text, lo, hi));
            int64_t before = quotes_in(text, data_start, lo);
            CU_ASSERT_EQUAL_FATAL(shard_range(FD_BYTES(fd), path, data_start, (off_t)len, r, p,
                                              (int)(before & 1), (int)((before + mine) & 1),
                                              &b, &en, &e), 0);
            CU_ASSERT_EQUAL(b, prev_end);            /* contiguous, no gap or overlap */
            CU_ASSERT(b <= en);
            CU_ASSERT(record_start(text, data_start, b, (off_t)len));
            prev_end = en;
        }
        CU_ASSERT_EQUAL(prev_end, (off_t)len);       /* covers the whole data */
    }
    close(fd);
    unlink(path);
}

static void test_partition(void)
{
    const char *t = "h1,h2\n1,2\n33,44\n555,666\n7,8\n9,10\n";
    check_partition(t, strlen(t), 6);
    const char *nofinal = "a\n1\n2\n3";  /* no final newline */
    check_partition(nofinal, strlen(nofinal), 2);
}

static void test_quoted_newlines(void)
{
    /* newlines inside quotes are never a cut, whatever piece they fall in */
    const char *t = "a,b\n\"x\ny\",1\n\"\"\"\n\n\",2\n3,\"\r\n\r\n\"\n\"a,\"\"b\"\"\nc\",4\n5,6\n";
    check_partition(t, strlen(t), 4);
    const char *open = "a\n1\n\"2\n3\n4\n";  /* a quote never closed: one record to the end */
    check_partition(open, strlen(open), 2);
}

static void test_long_lines(void)
{
    /* one line much longer than every rank's share, and one over the 64 KiB probe buffer */
    size_t n = 200000;
    char *t = malloc(n + 16);
    strcpy(t, "x\n1\n");
    memset(t + 4, '9', n);
    strcpy(t + 4 + n, "\n2\n3\n");
    check_partition(t, strlen(t), 2);
    /* ... and a quoted field of many lines over the buffer, newlines every 10 bytes */
    t[4] = '"';
    for (size_t i = 10; i < n; i += 10)
        t[4 + i] = '\n';
    t[4 + n - 1] = '"';
    check_partition(t, strlen(t), 2);
    free(t);
}

static void test_tiny_file_many_ranks(void)
{
    check_partition("a\n1\n", 4, 2);  /* fewer bytes than ranks */
    check_partition("a\n", 2, 2);     /* no data at all */
}

/* The in-memory scanners that the reader's blocks use. */
static void test_scanners(void)
{
    const char *t = "1,\"a\nb\"\n2\n\"\"\"\n\"\n";
    size_t n = strlen(t);
    int64_t inside;
    int odd;
    CU_ASSERT_EQUAL(shard_quotes(t, n), 6);
    CU_ASSERT_EQUAL(shard_record_end(t, n, 0, &inside, &odd), 8);
    CU_ASSERT_EQUAL(inside, 1);
    CU_ASSERT_EQUAL(shard_record_end(t + 8, n - 8, 0, &inside, &odd), 2);
    CU_ASSERT_EQUAL(shard_record_end(t, 4, 0, &inside, &odd), -1);
    CU_ASSERT_EQUAL(odd, 1);
    CU_ASSERT_EQUAL(shard_record_start(t, n, 4, 1), 8);   /* inside quotes at 4 */
    CU_ASSERT_EQUAL(shard_record_start(t, n, 8, 0), 8);
    CU_ASSERT_EQUAL(shard_record_start(t, n, 11, 1), 16); /* '"""\n"' is one field */
    CU_ASSERT_EQUAL(shard_last_record_end(t, n, 0), n);
    CU_ASSERT_EQUAL(shard_last_record_end(t, n - 1, 0), 10);
    CU_ASSERT_EQUAL(shard_last_record_end(t, 3, 1), 0);
}

void add_shard_suite(void)
{
    CU_pSuite s = CU_add_suite("shard", NULL, NULL);
    CU_add_test(s, "ranges partition the data at record starts, 1..9 ranks", test_partition);
    CU_add_test(s, "newlines inside quotes are never a cut", test_quoted_newlines);
    CU_add_test(s, "lines and quoted fields longer than a rank's share", test_long_lines);
    CU_add_test(s, "more ranks than bytes", test_tiny_file_many_ranks);
    CU_add_test(s, "quote parity scanners", test_scanners);
}
