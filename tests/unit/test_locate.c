/* test_locate.c — locate.c: offsets of one file and of a stream of files as FILE:LINE,
   against lines counted here; offsets in any order, several in one file, none; a file
   that cannot be read again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locate.h"
#include "suites.h"

/* 1 + newlines of text before off */
static int64_t line_of(const char *text, int64_t off)
{
    int64_t n = 1;
    for (int64_t i = 0; i < off; i++)
        n += text[i] == '\n';
    return n;
}

static void test_one_file(void)
{
    /* a header, a record of three lines, a blank line, plain records; the 1 MiB reads
       cross: a long field */
    size_t len = 3 << 20;
    char *text = malloc(len + 1);
    size_t at = (size_t)sprintf(text, "a,b\n\"x\ny\nz\",1\n\n");
    while (at < len - 40)
        at += (size_t)sprintf(text + at, "%zu,%s\n", at, at % 7 ? "2" : "\"q\nr\"");
    text[at] = '\0';
    const char *path = test_write_file(text, at);
    char *paths[1] = {(char *)path};
    int64_t data_start = 4;
    struct row_places pl = {.n = 1, .path = paths, .data_start = &data_start};
    int64_t off[5] = {(int64_t)at - 10, 4, -1, (int64_t)(at / 2), 16}, line[5];
    int file[5];
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(locate_rows(&pl, off, 5, file, line, &e), 0);
    for (int k = 0; k < 5; k++) {
        CU_ASSERT_EQUAL(file[k], off[k] < 0 ? -1 : 0);
        CU_ASSERT_EQUAL(line[k], off[k] < 0 ? -1 : line_of(text, off[k]));
    }
    CU_ASSERT_EQUAL(line[1], 2);
    CU_ASSERT_EQUAL(line[4], 6);  /* after the three-line record and the blank line */
    CU_ASSERT_EQUAL(locate_rows(&pl, off, 0, file, line, &e), 0);
    free(text);
}

static void test_stream(void)
{
    /* two files, each with its header; the stream holds their data records in turn */
    const char *t0 = "h\n1\n\"2\n\"\n3\n", *t1 = "h\n\n4\n5\n";
    char *paths[2] = {strdup(test_write_file(t0, strlen(t0))),
                      strdup(test_write_file(t1, strlen(t1)))};
    int64_t data_start[2] = {2, 2}, start[3] = {0, 9, 14};
    struct row_places pl = {.n = 2, .path = paths, .data_start = data_start, .start = start};
    /* stream: "1\n\"2\n\"\n3\n" (9 bytes) then "\n4\n5\n": records 1, "2\n", 3, 4, 5 */
    int64_t off[5] = {0, 2, 7, 10, 12}, want[5] = {2, 3, 5, 3, 4}, line[5];
    int file[5], want_file[5] = {0, 0, 0, 1, 1};
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(locate_rows(&pl, off, 5, file, line, &e), 0);
    for (int k = 0; k < 5; k++) {
        CU_ASSERT_EQUAL(file[k], want_file[k]);
        CU_ASSERT_EQUAL(line[k], want[k]);
    }
    free(paths[1]);
    paths[1] = strdup("/nonexistent/linreg_locate.csv");
    CU_ASSERT_EQUAL(locate_rows(&pl, off, 5, file, line, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_ENOINPUT);
    CU_ASSERT_STRING_EQUAL(e.file, "/nonexistent/linreg_locate.csv");
    free(paths[0]);
    free(paths[1]);
}

void add_locate_suite(void)
{
    CU_pSuite s = CU_add_suite("locate", NULL, NULL);
    CU_add_test(s, "one file: offsets in any order, across reads, quoted newlines", test_one_file);
    CU_add_test(s, "a stream of two files; one that cannot be read again", test_stream);
}
