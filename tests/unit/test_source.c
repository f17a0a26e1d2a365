/* test_source.c — every row source gives the same records as one CSV, again after rewind,
   and places a skipped record at its own file's line (one rank). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "inputs.h"
#include "source.h"
#include "suites.h"

/* Two parts of one data set: the second holds a bad record at its line 3 (its header is
   line 1), which --on-bad-row skip skips. */
static const char part_a[] = "x,y\n1,2\n3,4\n5,6\n";
static const char part_b[] = "x,y\n7,8\n9,oops\n10,11\n";

/* The rows, skipped records and lines of one pass; place of the first skipped record. */
struct pass {
    int rc, more;              /* next's first and second return */
    struct csv_shard b;
    int file;                  /* where the first skipped record is */
    int64_t line;
};

static void one_pass(struct row_source *s, struct pass *p)
{
    struct lr_error e = {0};
    struct csv_shard after;
    p->rc = s->m->next(s, 0, &p->b, &e);
    p->more = s->m->next(s, 0, &after, &e);
    csv_shard_free(&after);
    p->file = -1;
    if (p->rc == 1 && p->b.n_first_skipped > 0)
        p->file = s->m->place(s, p->b.first_skipped[0], &p->line);
}

/* Open the inputs as the data set (paths: one plain file, or several), read two passes. */
static void two_passes(char *const *paths, int n, const struct source_methods *kind,
                       struct pass *first, struct pass *second)
{
    struct input_list l = {0};
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(inputs_expand(paths, n, NULL, &l, &e), 0);
    int64_t data_start[4], header_lines[4], text[4];
    struct csv_head h;
    int fd = -1;
    struct stat st;
    if (inputs_single_plain(&l)) {
        fd = open(l.path[0], O_RDONLY);
        CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, l.path[0], ',', 1, &h, &e), 0);
        data_start[0] = h.data_start, header_lines[0] = h.header_lines;
        fstat(fd, &st);
    } else {
        CU_ASSERT_EQUAL_FATAL(inputs_heads(&l, ',', 1, &h, data_start, header_lines, text, &e),
                              0);
    }
    int slot[2] = {0, COL_TARGET};
    struct source_input in = {
        .l = &l, .fd = fd, .size = fd >= 0 ? (int64_t)st.st_size : 0, .data_start = data_start,
        .header_lines = header_lines, .text = fd >= 0 ? NULL : text, .n_threads = 2,
        .lay = {.path = l.path[0], .delimiter = ',', .n_cols = 2, .slot = slot,
                .names = h.names, .n_features = 1, .has_target = 1, .skip_bad_rows = 1,
                .keep_offsets = 1},
    };
    struct row_source s;
    source_init(&s, &in);
    CU_ASSERT_PTR_EQUAL(s.m, kind);
    CU_ASSERT_EQUAL_FATAL(s.m->open(&s, &e), 0);
    one_pass(&s, first);
    CU_ASSERT_EQUAL(s.m->rewind(&s, &e), 0);
    one_pass(&s, second);
    s.m->close(&s);
    csv_head_free(&h);
    if (fd >= 0)
        close(fd);
    inputs_free(&l);
}

/* The same rows (and, with offsets, where their records start: one data region). */
static int same_rows(const struct csv_shard *a, const struct csv_shard *b, int offsets)
{
    return a->n_rows == b->n_rows && a->n_skipped == b->n_skipped &&
           memcmp(a->X, b->X, (size_t)a->n_rows * sizeof(double)) == 0 &&
           memcmp(a->y, b->y, (size_t)a->n_rows * sizeof(double)) == 0 &&
           (!offsets || memcmp(a->row_at, b->row_at, (size_t)a->n_rows * sizeof(int64_t)) == 0);
}

static void check_kind(char *const *paths, int n, const struct source_methods *kind,
                       int skipped_file, int64_t skipped_line, const struct csv_shard *want)
{
    struct pass p1, p2;
    two_passes(paths, n, kind, &p1, &p2);
    CU_ASSERT_EQUAL(p1.rc, 1);
    CU_ASSERT_EQUAL(p1.more, 0);  /* a pass ends */
    CU_ASSERT_EQUAL(p2.rc, 1);    /* rewind: another pass */
    CU_ASSERT_EQUAL(p2.more, 0);
    CU_ASSERT(same_rows(&p1.b, &p2.b, 1));
    CU_ASSERT(!want || same_rows(&p1.b, want, 0));
    CU_ASSERT_EQUAL(p1.file, skipped_file);
    CU_ASSERT_EQUAL(p1.line, skipped_line);
    CU_ASSERT_EQUAL(p2.line, skipped_line);
    csv_shard_free(&p1.b);
    csv_shard_free(&p2.b);
}

static void write_gzip(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    gzwrite(g, text, (unsigned)strlen(text));
    gzclose(g);
}

static void test_kinds(void)
{
    char dir[] = "/tmp/linreg_unit_srcXXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char a[64], b[64], gz[64], one[64];
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);
    snprintf(gz, sizeof gz, "%s/b.csv.gz", dir);
    snprintf(one, sizeof one, "%s/one.csv", dir);
    FILE *f = fopen(a, "w");
    fputs(part_a, f), fclose(f);
    f = fopen(b, "w");
    fputs(part_b, f), fclose(f);
    write_gzip(gz, part_b);
    f = fopen(one, "w");  /* the same records as one CSV: part_a, then part_b's data */
    fputs(part_a, f), fputs(strchr(part_b, '\n') + 1, f), fclose(f);

    /* one CSV: its line 6 is the bad record (line 3 of part_b) */
    struct pass ref, ref2;
    char *only[] = {one};
    two_passes(only, 1, source_csv(), &ref, &ref2);
    CU_ASSERT_EQUAL(ref.b.n_rows, 5);
    CU_ASSERT_EQUAL(ref.b.n_skipped, 1);
    CU_ASSERT_EQUAL(ref.line, 6);
    csv_shard_free(&ref2.b);
    check_kind(only, 1, source_csv(), 0, 6, &ref.b);

    char *plain[] = {a, b};
    check_kind(plain, 2, source_parts(), 1, 3, &ref.b);
    char *mixed[] = {a, gz};
    check_kind(mixed, 2, source_compressed(), 1, 3, &ref.b);  /* one rank: nothing moves */
    csv_shard_free(&ref.b);
    unlink(a), unlink(b), unlink(gz), unlink(one);
    rmdir(dir);
}

void add_source_suite(void)
{
    CU_pSuite s = CU_add_suite("source", NULL, NULL);
    CU_add_test(s, "each kind: one pass, a rewind gives it again, skipped records placed",
                test_kinds);
}
