/* test_source.c — every row source gives the same records as one CSV, again after rewind,
   and places a skipped record at its own file's line (one rank); a cache written from
   those rows is read back as the cache kind. */
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

/* Open the inputs as the data set (paths: one plain file, or several), read two passes;
   with cache, the source checks it first. */
static void two_passes(char *const *paths, int n, struct source_cache *cache,
                       const struct source_methods *kind, struct pass *first,
                       struct pass *second)
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
        .cache = cache,
    };
    struct row_source s;
    CU_ASSERT_EQUAL_FATAL(source_init(&s, &in, &e), 0);
    CU_ASSERT_PTR_EQUAL_FATAL(s.m, kind);
    CU_ASSERT_EQUAL_FATAL(s.m->open(&s, &e), 0);
    one_pass(&s, first);
    CU_ASSERT_EQUAL(s.m->rewind(&s, &e), 0);
    one_pass(&s, second);
    if (cache && kind != source_cache()) {  /* the cache, from the rows read */
        char *names[] = {"x"};
        struct cache_meta m = {
            .source_names = cache->meta.source_names, .n_source = 1, .target = "y",
            .n_features = 1, .n_rows = first->b.n_rows, .n_skipped = first->b.n_skipped,
            .n_first_skipped = 1, .first_skipped = {first->line},
            .first_skipped_last = {first->line}, .feature_names = names,
            .first_skipped_path = {n > 1 ? l.path[first->file] : NULL},
        };
        cache->files.size = s.region_end;
        CU_ASSERT_EQUAL(cache_write(cache->path, &cache->files, &cache->fp, &m, &first->b, 1,
                                    1), 0);
    }
    s.m->close(&s);
    if (cache) {
        cache_csv_free(&cache->files);
        cache_meta_free(&cache->meta);
    }
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

static void check_kind(char *const *paths, int n, struct source_cache *cache,
                       const struct source_methods *kind, int skipped_file,
                       int64_t skipped_line, const struct csv_shard *want)
{
    struct pass p1, p2;
    two_passes(paths, n, cache, kind, &p1, &p2);
    CU_ASSERT_EQUAL(p1.rc, 1);
    CU_ASSERT_EQUAL(p1.more, 0);  /* a pass ends */
    CU_ASSERT_EQUAL(p2.rc, 1);    /* rewind: another pass */
    CU_ASSERT_EQUAL(p2.more, 0);
    /* the cache keeps no record offsets */
    CU_ASSERT(same_rows(&p1.b, &p2.b, kind != source_cache()));
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
    two_passes(only, 1, NULL, source_csv(), &ref, &ref2);
    CU_ASSERT_EQUAL(ref.b.n_rows, 5);
    CU_ASSERT_EQUAL(ref.b.n_skipped, 1);
    CU_ASSERT_EQUAL(ref.line, 6);
    csv_shard_free(&ref2.b);
    check_kind(only, 1, NULL, source_csv(), 0, 6, &ref.b);

    char *plain[] = {a, b};
    check_kind(plain, 2, NULL, source_parts(), 1, 3, &ref.b);
    char *mixed[] = {a, gz};
    check_kind(mixed, 2, NULL, source_compressed(), 1, 3, &ref.b);  /* one rank: nothing moves */

    /* --cache: absent, the files' kind reads and writes it; then the cache kind gives the
       same rows and places the skipped record at the same file and line */
    char cpath[64], *key[] = {"x"};
    snprintf(cpath, sizeof cpath, "%s/rows.cache", dir);
    struct {
        char *const *paths;
        int n;
        const struct source_methods *files;
        int file;
        int64_t line;
    } cases[] = {{only, 1, source_csv(), 0, 6}, {plain, 2, source_parts(), 1, 3},
                 {mixed, 2, source_compressed(), 1, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct source_cache sc = {.path = cpath, .quiet = 1,
                                  .meta = {.source_names = key, .n_source = 1, .target = "y"}};
        sc.fp.n = 1;  /* any fingerprint: the same for the write and the read */
        snprintf(sc.fp.item[0].name, sizeof sc.fp.item[0].name, "unit");
        unlink(cpath);
        struct source_cache first = sc;
        check_kind(cases[i].paths, cases[i].n, &first, cases[i].files, cases[i].file,
                   cases[i].line, &ref.b);
        struct source_cache again = sc;
        check_kind(cases[i].paths, cases[i].n, &again, source_cache(), cases[i].file,
                   cases[i].line, &ref.b);
        sc.fp.item[0].value = 1;  /* other options: stale, the files read again */
        check_kind(cases[i].paths, cases[i].n, &sc, cases[i].files, cases[i].file,
                   cases[i].line, &ref.b);
    }
    csv_shard_free(&ref.b);
    unlink(a), unlink(b), unlink(gz), unlink(one), unlink(cpath);
    rmdir(dir);
}

void add_source_suite(void)
{
    CU_pSuite s = CU_add_suite("source", NULL, NULL);
    CU_add_test(s, "each kind: one pass, a rewind gives it again, skipped records placed",
                test_kinds);
}
