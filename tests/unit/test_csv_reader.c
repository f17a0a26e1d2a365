/* test_csv_reader.c — parsing a range into X and y: formats accepted, errors located. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_reader.h"
#include "suites.h"

/* Parse text as the reader does: head, then the data range with the last column as y. */
static int parse_text(const char *text, size_t len, int threads, int skip, struct csv_shard *out,
                      struct lr_error *e)
{
    const char *path = test_write_file(text, len);
    int fd = open(path, O_RDONLY);
    struct csv_head h;
    memset(e, 0, sizeof *e);
    int rc = csv_read_head(fd, path, ',', 1, &h, e);
    if (rc == 0) {
        int *slot = malloc(sizeof(int) * (size_t)h.n_cols);
        for (int c = 0; c < h.n_cols; c++)
            slot[c] = c == h.n_cols - 1 ? COL_TARGET : c;
        struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = h.n_cols,
                                 .slot = slot, .names = h.names, .n_features = h.n_cols - 1,
                                 .has_target = 1, .skip_bad_rows = skip};
        rc = csv_read_range(fd, h.data_start, (off_t)len, &lay, threads, out, e);
        free(slot);
        csv_head_free(&h);
    }
    close(fd);
    unlink(path);
    return rc;
}

static void test_formats(void)
{
    const char *t = "\xEF\xBB\xBF" "a,b,y\r\n"
                    "1, 2 ,3\r\n"
                    "\r\n"
                    "\"4\",\" 5\",6e0\r\n"
                    "   \n"
                    "-7.5,+8,9";  /* no final newline */
    struct csv_shard s;
    struct lr_error e;
    CU_ASSERT_EQUAL_FATAL(parse_text(t, strlen(t), 1, 0, &s, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n_rows, 3);
    const double X[] = {1, 2, 4, 5, -7.5, 8}, y[] = {3, 6, 9};
    for (int k = 0; k < 6; k++)
        CU_ASSERT_EQUAL(s.X[k], X[k]);
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(s.y[k], y[k]);
    CU_ASSERT_EQUAL(s.n_lines, 5);
    csv_shard_free(&s);
}

/* Many rows: every thread count gives the matrix strtod gives, in file order. */
static void test_threads_agree(void)
{
    int rows = 20000, cols = 4;
    size_t cap = (size_t)rows * 100 + 100, n = 0;
    char *t = malloc(cap);
    double *ref = malloc(sizeof(double) * (size_t)rows * (size_t)cols);
    n += (size_t)sprintf(t, "x1,x2,x3,y\n");
    srand(7);
    for (int i = 0; i < rows; i++) {
        for (int c = 0; c < cols; c++) {
            char f[40];
            snprintf(f, sizeof f, "%.*g", 1 + rand() % 15, (rand() - RAND_MAX / 2) / 1e3);
            ref[i * cols + c] = strtod(f, NULL);
            n += (size_t)sprintf(t + n, "%s%c", f, c == cols - 1 ? '\n' : ',');
        }
        if (i % 1000 == 0)
            n += (size_t)sprintf(t + n, "\n");  /* blank lines here and there */
    }
    for (int threads = 1; threads <= 4; threads++) {
        struct csv_shard s;
        struct lr_error e;
        CU_ASSERT_EQUAL_FATAL(parse_text(t, n, threads, 0, &s, &e), 0);
        CU_ASSERT_EQUAL_FATAL(s.n_rows, rows);
        int mismatches = 0;
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols - 1; c++)
                mismatches += s.X[i * (cols - 1) + c] != ref[i * cols + c];
            mismatches += s.y[i] != ref[i * cols + cols - 1];
        }
        CU_ASSERT_EQUAL(mismatches, 0);
        csv_shard_free(&s);
    }
    free(t);
    free(ref);
}

/* Each bad row: the error names the right line (0-based in the range) and byte column. */
static void expect_error(const char *t, int64_t line, int64_t column, const char *words)
{
    for (int threads = 1; threads <= 3; threads++) {
        struct csv_shard s;
        struct lr_error e;
        CU_ASSERT_EQUAL(parse_text(t, strlen(t), threads, 0, &s, &e), -1);
        CU_ASSERT_EQUAL(e.code, LR_EDATA);
        if (e.line != line || e.column != column || !strstr(e.msg, words))
            printf("\n  %s -> line %lld col %lld '%s'\n", t, (long long)e.line,
                   (long long)e.column, e.msg);
        CU_ASSERT_EQUAL(e.line, line);
        CU_ASSERT_EQUAL(e.column, column);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, words));
    }
}

static void test_errors(void)
{
    expect_error("a,b,y\n1,2,3\n4,x,6\n", 1, 3, "'x' is not a number");
    expect_error("a,b,y\n1,2,3\n4,,6\n", 1, 3, "is empty");
    expect_error("a,b,y\n1,NA,3\n", 0, 3, "'NA' is not a number");
    expect_error("a,b,y\n1,nan,3\n", 0, 3, "'nan' is not a number");
    expect_error("a,b,y\n1,2,inf\n", 0, 5, "'inf' is not a number");
    expect_error("a,b,y\n1,2,3\n\n4,5\n", 2, 4, "too few fields");
    expect_error("a,b,y\n1,2,3,4\n", 0, 7, "too many fields");
    expect_error("a,b,y\n1,\"2\n3\",4\n", 0, 3, "quoted field not closed");
    expect_error("a,y\n1,\"2", 0, 3, "quoted field not closed");       /* no final newline */
    expect_error("a,y\n1,\"2\"\"", 0, 3, "quoted field not closed");
    expect_error("a,b,y\n1,2\"x\",3\n", 0, 3, "misplaced quote");
    expect_error("a,b,y\n1,2,1e400\n", 0, 5, "out of range");
}

static void test_skip_bad_rows(void)
{
    const char *t = "a,b,y\n1,2,3\nx,2,3\n4,5,6\n7,8\n\n9,9,9\n1,2,NA\n";
    struct csv_shard s;
    struct lr_error e;
    CU_ASSERT_EQUAL_FATAL(parse_text(t, strlen(t), 2, 1, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n_rows, 3);
    CU_ASSERT_EQUAL(s.n_skipped, 3);
    CU_ASSERT_EQUAL(s.n_first_skipped, 3);
    CU_ASSERT_EQUAL(s.first_skipped[0], 1);
    CU_ASSERT_EQUAL(s.first_skipped[1], 3);
    CU_ASSERT_EQUAL(s.first_skipped[2], 6);
    CU_ASSERT_EQUAL(s.y[2], 9);
    csv_shard_free(&s);
}

static void test_head(void)
{
    struct lr_error e = {0};
    struct csv_head h;
    const char *t = "a,b,a\n1,2,3\n";
    const char *path = test_write_file(t, strlen(t));
    int fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL(csv_read_head(fd, path, ',', 1, &h, &e), -1);
    CU_ASSERT_EQUAL(e.line, 1);
    CU_ASSERT_EQUAL(e.column, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "duplicate column name 'a'"));
    close(fd);
    const char *t2 = "1;2;3\n4;5;6\n";
    path = test_write_file(t2, strlen(t2));
    fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ';', 0, &h, &e), 0);
    CU_ASSERT_EQUAL(h.n_cols, 3);
    CU_ASSERT_STRING_EQUAL(h.names[2], "col3");
    CU_ASSERT_EQUAL(h.data_start, 0);
    csv_head_free(&h);
    close(fd);
    path = test_write_file("", 0);
    fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL(csv_read_head(fd, path, ',', 1, &h, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "empty"));
    close(fd);
}

void add_csv_reader_suite(void)
{
    CU_pSuite s = CU_add_suite("csv_reader", NULL, NULL);
    CU_add_test(s, "BOM, CRLF, quotes, spaces, blank lines, no final newline", test_formats);
    CU_add_test(s, "1..4 threads give strtod's matrix in file order", test_threads_agree);
    CU_add_test(s, "bad fields and rows name line and column", test_errors);
    CU_add_test(s, "--on-bad-row skip counts and locates skipped rows", test_skip_bad_rows);
    CU_add_test(s, "header: duplicates, no header, empty file", test_head);
}
