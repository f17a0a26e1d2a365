/* test_shard.c — rank byte ranges partition the data exactly at line starts. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard.h"
#include "suites.h"

static void check_partition(const char *text, size_t len, off_t data_start)
{
    const char *path = test_write_file(text, len);
    int fd = open(path, O_RDONLY);
    struct lr_error e = {0};
    for (int p = 1; p <= 9; p++) {
        off_t prev_end = data_start;
        for (int r = 0; r < p; r++) {
            off_t b, en;
            CU_ASSERT_EQUAL_FATAL(shard_range(fd, path, data_start, (off_t)len, r, p, &b, &en, &e), 0);
            CU_ASSERT_EQUAL(b, prev_end);            /* contiguous, no gap or overlap */
            CU_ASSERT(b <= en);
            CU_ASSERT(b == data_start || text[b - 1] == '\n');  /* starts a line */
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

static void test_long_lines(void)
{
    /* one line much longer than every rank's share, and one over the 64 KiB probe buffer */
    size_t n = 200000;
    char *t = malloc(n + 16);
    strcpy(t, "x\n1\n");
    memset(t + 4, '9', n);
    strcpy(t + 4 + n, "\n2\n3\n");
    check_partition(t, strlen(t), 2);
    free(t);
}

static void test_tiny_file_many_ranks(void)
{
    check_partition("a\n1\n", 4, 2);  /* fewer bytes than ranks */
    check_partition("a\n", 2, 2);     /* no data at all */
}

void add_shard_suite(void)
{
    CU_pSuite s = CU_add_suite("shard", NULL, NULL);
    CU_add_test(s, "ranges partition the data at line starts, 1..9 ranks", test_partition);
    CU_add_test(s, "lines longer than a rank's share", test_long_lines);
    CU_add_test(s, "more ranks than bytes", test_tiny_file_many_ranks);
}
