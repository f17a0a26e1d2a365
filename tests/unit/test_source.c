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
                       const struct source_methods *kind, int64_t window, struct pass *first,
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
        .window_rows = window,
        .cache = cache,
    };
    struct row_source s;
    CU_ASSERT_EQUAL_FATAL(source_init(&s, &in, &e), 0);
    CU_ASSERT_PTR_EQUAL_FATAL(s.m, kind);
    CU_ASSERT_EQUAL_FATAL(s.m->open(&s, &e), 0);
    one_pass(&s, first);
    CU_ASSERT_EQUAL(s.m->rewind(&s, &e), 0);
    one_pass(&s, second);
    /* blocks: a size that is not a multiple of PAR_CHUNK_ROWS is refused (the pass goes on);
       the compressed kind reads one block only; the others give their 5 rows as one block
       of 4096 */
    struct csv_shard blk, end;
    struct lr_error eb = {0};
    CU_ASSERT_EQUAL(s.m->rewind(&s, &e), 0);
    CU_ASSERT_EQUAL(s.m->next(&s, 100, &blk, &eb), -1);
    CU_ASSERT_EQUAL(eb.code, LR_EUSAGE);
    memset(&eb, 0, sizeof eb);
    int got = s.m->next(&s, 4096, &blk, &eb);
    if (kind == source_compressed()) {
        CU_ASSERT(got == -1 && eb.code == LR_EUSAGE && strstr(eb.msg, "one block per rank"));
    } else {
        CU_ASSERT_EQUAL(got, 1);
        CU_ASSERT(got == 1 && blk.n_rows == first->b.n_rows && blk.n_skipped == 1 &&
                  memcmp(blk.X, first->b.X, (size_t)blk.n_rows * sizeof(double)) == 0);
        CU_ASSERT_EQUAL(s.m->next(&s, 4096, &end, &eb), 0);
        csv_shard_free(&blk);
    }
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
                       const struct source_methods *kind, int64_t window, int skipped_file,
                       int64_t skipped_line, const struct csv_shard *want)
{
    struct pass p1, p2;
    two_passes(paths, n, cache, kind, window, &p1, &p2);
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
    two_passes(only, 1, NULL, source_csv(), 0, &ref, &ref2);
    CU_ASSERT_EQUAL(ref.b.n_rows, 5);
    CU_ASSERT_EQUAL(ref.b.n_skipped, 1);
    CU_ASSERT_EQUAL(ref.line, 6);
    csv_shard_free(&ref2.b);
    check_kind(only, 1, NULL, source_csv(), 0, 0, 6, &ref.b);

    char *plain[] = {a, b};
    check_kind(plain, 2, NULL, source_parts(), 0, 1, 3, &ref.b);
    char *mixed[] = {a, gz};
    check_kind(mixed, 2, NULL, source_compressed(), 0, 1, 3, &ref.b);  /* one rank: nothing moves */

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
        check_kind(cases[i].paths, cases[i].n, &first, cases[i].files, 0, cases[i].file,
                   cases[i].line, &ref.b);
        struct source_cache again = sc;
        check_kind(cases[i].paths, cases[i].n, &again, source_cache(), 0, cases[i].file,
                   cases[i].line, &ref.b);
        struct source_cache window = sc;  /* opened for a window: blocks read from the file */
        check_kind(cases[i].paths, cases[i].n, &window, source_cache(), 4096, cases[i].file,
                   cases[i].line, &ref.b);
        sc.fp.item[0].value = 1;  /* other options: stale, the files read again */
        check_kind(cases[i].paths, cases[i].n, &sc, cases[i].files, 0, cases[i].file,
                   cases[i].line, &ref.b);
    }
    csv_shard_free(&ref.b);
    unlink(a), unlink(b), unlink(gz), unlink(one), unlink(cpath);
    rmdir(dir);
}

/* ---- one pass in blocks: the one-block pass, put together ---- */

/* A data set of 15,000 records, every one of which the blocks must place as the one block
   does: a (a number or missing), b (a level, sometimes quoted over two lines), y, and a
   cluster id g; CRLF endings, blank lines, records skipped for a missing 'a' (--missing
   skip) from record 3,005 on, and from record 9,000 on bad ones (too many fields):
   skipped with skip_bad_rows, else the first is the error. With parts > 1 the records are
   cut into that many files, each with its header. */
static void write_blocks_data(const char *dir, int parts, char paths[][96])
{
    enum { N = 15000 };
    FILE *f = NULL;
    for (int i = 0, part = -1; i < N; i++) {
        if (i * parts / N != part) {
            if (f)
                fclose(f);
            part = i * parts / N;
            snprintf(paths[part], 96, "%s/part%d.csv", dir, part);
            f = fopen(paths[part], "w");
            fputs("a,b,y,g\n", f);
        }
        const char *eol = i % 50 == 7 ? "\r\n" : "\n";
        if (i >= 3000 && i % 2000 == 1005)
            fprintf(f, ",L%d,%d,c%d%s", i % 7, i, i % 13, eol);
        else if (i % 97 == 3)
            fprintf(f, "%g,\"two\nlines %d\",%d,c%d%s", i * 0.5, i % 3, i, i % 13, eol);
        else if (i >= 9000 && i % 1000 == 0)
            fprintf(f, "%g,L1,%d,c1,extra%s", i * 0.5, i, eol);
        else
            fprintf(f, "%g,L%d,%d,c%d%s", i * 0.5, i % 7, i, i % 13, eol);
        if (i % 333 == 100)
            fputs(i % 2 ? "\n" : "  \r\n\n", f);
    }
    fclose(f);
}

/* The 1-based line of the nth (from 1) occurrence of needle in the file at path; 0: none. */
static int64_t line_of(const char *path, const char *needle, int nth)
{
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    const char *at = text;
    for (int k = 0; at && k < nth; k++)
        at = strstr(k ? at + 1 : at, needle);
    int64_t line = 1;
    for (const char *p = text; at && p < at; p++)
        line += *p == '\n';
    return at ? line : 0;
}

/* The same shard, bit for bit (d numbers wide, with levels). */
static int same_shard(const struct csv_shard *a, const struct csv_shard *b, int d)
{
    int same = a->n_rows == b->n_rows && a->n_lines == b->n_lines &&
               a->n_skipped == b->n_skipped && a->n_skipped_missing == b->n_skipped_missing &&
               a->n_first_skipped == b->n_first_skipped && a->n_dicts == b->n_dicts &&
               a->overflow == b->overflow;
    size_t n = same ? (size_t)a->n_rows : 0, ns = same ? (size_t)a->n_skipped : 0;
    same = same && memcmp(a->X, b->X, n * (size_t)d * sizeof(double)) == 0 &&
           memcmp(a->y, b->y, n * sizeof(double)) == 0 &&
           memcmp(a->g, b->g, n * sizeof(uint64_t)) == 0 &&
           memcmp(a->row_at, b->row_at, n * sizeof(int64_t)) == 0 &&
           (ns == 0 || (memcmp(a->skipped_at, b->skipped_at, ns * sizeof(int64_t)) == 0 &&
                        memcmp(a->skipped_off, b->skipped_off, ns * sizeof(int64_t)) == 0)) &&
           memcmp(a->first_skipped, b->first_skipped,
                  (size_t)a->n_first_skipped * sizeof(int64_t)) == 0 &&
           memcmp(a->first_skipped_last, b->first_skipped_last,
                  (size_t)a->n_first_skipped * sizeof(int64_t)) == 0 &&
           memcmp(a->seen, b->seen, (size_t)d) == 0;
    for (int j = 0; same && j < a->n_dicts; j++) {
        same = a->dicts[j].n == b->dicts[j].n;
        for (int64_t k = 0; same && k < a->dicts[j].n; k++) {
            size_t la, lb;
            const char *ka = dict_key(&a->dicts[j], k, &la), *kb = dict_key(&b->dicts[j], k, &lb);
            same = la == lb && memcmp(ka, kb, la) == 0;
        }
    }
    return same;
}

/* Lines (newlines) of text[0..at). */
static int64_t lines_to(const char *text, int64_t at)
{
    int64_t n = 0;
    for (int64_t i = 0; i < at; i++)
        n += text[i] == '\n';
    return n;
}

/* A pass of s in blocks of max_rows (0: one block), put together into *all; how many
   blocks, -1 on an error (e; *all freed), -2 when a block but the last is not max_rows rows or a
   block's lines do not hold its first skipped records, or, with data (one CSV's text, a
   header of one line), its first row's record. */
static int blocks_pass(struct row_source *s, int64_t max_rows, const char *data,
                       struct csv_shard *all, struct lr_error *e)
{
    int n = 0, rc, short_block = 0;
    memset(all, 0, sizeof *all);
    struct csv_shard b;
    while ((rc = s->m->next(s, max_rows, &b, e)) == 1) {
        short_block |= n > 0 && max_rows > 0 && all->n_rows % max_rows != 0;
        for (int64_t k = 0; k < b.n_skipped; k++)  /* counted in the block's rows */
            short_block |= b.skipped_at[k] < (k ? b.skipped_at[k - 1] : 0) ||
                           b.skipped_at[k] > b.n_rows;
        for (int k = 0; k < b.n_first_skipped; k++)
            short_block |= b.first_skipped[k] < all->n_lines ||
                           b.first_skipped_last[k] >= all->n_lines + b.n_lines;
        if (data && all->n_rows > 0 && b.n_rows > 0)  /* after the last row's, at most */
            short_block |= lines_to(data, all->row_at[all->n_rows - 1]) - 1 >= all->n_lines ||
                           lines_to(data, b.row_at[0]) - 1 < all->n_lines;
        csv_shard_append(all, &b, s->in.lay.n_features);
        n++;
        if (max_rows == 0)
            break;
    }
    if (rc < 0) {
        csv_shard_free(all);
        return -1;
    }
    return short_block ? -2 : n;
}

static void test_blocks(void)
{
    char dir[] = "/tmp/linreg_unit_blkXXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char one[1][96], parts[3][96], pdir[64];
    write_blocks_data(dir, 1, one);
    snprintf(pdir, sizeof pdir, "%s/p", dir);
    mkdir(pdir, 0700);
    write_blocks_data(pdir, 3, parts);
    struct test_keep_all k;
    test_keep_all_init(&k);
    k.miss[0] = MISSING_SKIP;  /* an empty 'a' skips its record */
    int slot[4] = {0, 1, COL_TARGET, COL_SKIP};
    const size_t block_bytes[] = {0, 1499};  /* 0: one read for the whole range */
    const int64_t max_rows[] = {4096, 8192};
    int runs = 0, bad = 0, errors_same = 0, lines_ok = 0, placed_same = 0;
    /* the first bad record, and the third skipped one (the third missing 'a'), found in
       the text: each file's own lines */
    int64_t bad_line[2] = {line_of(one[0], ",extra", 1), line_of(parts[1], ",extra", 1)};
    int64_t skipped_line[2] = {line_of(one[0], "\n,L", 3) + 1, line_of(parts[1], "\n,L", 2) + 1};
    CU_ASSERT(bad_line[0] > 9000 && bad_line[1] > 4000);
    CU_ASSERT(skipped_line[0] > 7005 && skipped_line[1] > 2005);
    static char data[1 << 20];  /* the one CSV's records, as read */
    FILE *f = fopen(one[0], "rb");
    data[fread(data, 1, sizeof data - 1, f)] = 0;
    fclose(f);
    for (int kind = 0; kind < 2; kind++) {
        char *paths[3] = {kind ? parts[0] : one[0], parts[1], parts[2]};
        struct input_list l = {0};
        struct lr_error e = {0};
        CU_ASSERT_EQUAL_FATAL(inputs_expand(paths, kind ? 3 : 1, NULL, &l, &e), 0);
        int64_t data_start[3], header_lines[3], text[3];
        struct csv_head h;
        int fd = -1;
        struct stat st = {0};
        if (!kind) {
            fd = open(l.path[0], O_RDONLY);
            CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, l.path[0], ',', 1, &h, &e), 0);
            data_start[0] = h.data_start, header_lines[0] = h.header_lines;
            fstat(fd, &st);
        } else {
            CU_ASSERT_EQUAL_FATAL(inputs_heads(&l, ',', 1, &h, data_start, header_lines, text,
                                               &e), 0);
        }
        for (int skip = 0; skip <= 1; skip++)
            for (int t = 1; t <= 3; t++)
                for (int bb = 0; bb < 2; bb++) {
                    struct source_input in = {
                        .l = &l, .fd = fd, .size = st.st_size, .data_start = data_start,
                        .header_lines = header_lines, .text = kind ? text : NULL,
                        .n_threads = t,
                        .lay = {.path = l.path[0], .delimiter = ',', .n_cols = 4,
                                .slot = slot, .names = h.names, .n_features = 2,
                                .has_target = 1, .n_groups = 1, .group_col = {3},
                                .skip_bad_rows = skip, .keep_offsets = 1, .enc = &k.rd,
                                .block_bytes = block_bytes[bb]},
                    };
                    struct row_source s;
                    CU_ASSERT_EQUAL_FATAL(source_init(&s, &in, &e), 0);
                    CU_ASSERT_PTR_EQUAL_FATAL(s.m, kind ? source_parts() : source_csv());
                    CU_ASSERT_EQUAL_FATAL(s.m->open(&s, &e), 0);
                    struct csv_shard ref, got;
                    struct lr_error e_ref = {0};
                    int rc = blocks_pass(&s, 0, NULL, &ref, &e_ref);
                    int64_t ref_file = -1, ref_line = 0, file, line;
                    if (rc > 0 && ref.n_first_skipped > 2) {
                        struct csv_shard after;  /* the pass ends */
                        CU_ASSERT_EQUAL(s.m->next(&s, 0, &after, &e), 0);
                        ref_file = s.m->place(&s, ref.first_skipped[2], &ref_line);
                    }
                    for (int m = 0; m < 2; m++)  /* 4096 twice: a rewind gives it again */
                        for (int again = 0; again <= 1 - m; again++, runs++) {
                            struct lr_error e_got = {0};
                            CU_ASSERT_EQUAL(s.m->rewind(&s, &e), 0);
                            int n = blocks_pass(&s, max_rows[m], kind ? NULL : data, &got,
                                                &e_got);
                            if (rc < 0) {  /* the same error, at the same place */
                                errors_same += n == -1 && e_got.code == e_ref.code &&
                                               e_got.line == e_ref.line &&
                                               e_got.column == e_ref.column &&
                                               strcmp(e_got.file, e_ref.file) == 0 &&
                                               strcmp(e_got.msg, e_ref.msg) == 0;
                                lines_ok += e_ref.line == bad_line[kind] &&
                                            strcmp(e_ref.file, paths[kind]) == 0;
                                continue;
                            }
                            int blocks = (int)((ref.n_rows + max_rows[m] - 1) / max_rows[m]);
                            bad += n != blocks || !same_shard(&ref, &got, 2);
                            file = s.m->place(&s, got.first_skipped[2], &line);
                            placed_same += file == ref_file && line == ref_line;
                            lines_ok += ref.n_first_skipped == 5 && ref_file == kind &&
                                        ref_line == skipped_line[kind];
                            csv_shard_free(&got);
                        }
                    if (rc > 0)
                        csv_shard_free(&ref);
                    s.m->close(&s);
                }
        csv_head_free(&h);
        if (fd >= 0)
            close(fd);
        inputs_free(&l);
    }
    CU_ASSERT_EQUAL(runs, 2 * 2 * 3 * 2 * 3);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(errors_same, runs / 2);   /* skip = 0: each pass fails as the one */
    CU_ASSERT_EQUAL(placed_same, runs / 2);   /* skip = 1 */
    CU_ASSERT_EQUAL(lines_ok, runs);
    test_keep_all_free(&k);
    for (int i = 0; i < 3; i++)
        unlink(parts[i]);
    rmdir(pdir);
    unlink(one[0]);
    rmdir(dir);
}

void add_source_suite(void)
{
    CU_pSuite s = CU_add_suite("source", NULL, NULL);
    CU_add_test(s, "each kind: one pass, a rewind gives it again, skipped records placed",
                test_kinds);
    CU_add_test(s, "csv and parts in blocks: the one-block pass, its errors and lines",
                test_blocks);
}
