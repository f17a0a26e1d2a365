/* test_scan.c — the fast path for plain lines: the SSE2 and portable scanners against a
   byte-at-a-time reference, and the reader with its fast path against libcsv alone. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_reader.h"
#include "scan.h"
#include "suites.h"

/* The reference twin: scan.h's contract, one byte at a time. */
static size_t scan_line_ref(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                            int *n_at, size_t *content)
{
    size_t end = 0;
    int k = 0;
    while (end < n && p[end] != '\n')
        end++;
    size_t cr = end;
    for (size_t i = 0; i < end; i++) {
        if (p[i] == '"')
            return 0;
        if (p[i] == '\r') {
            if (i + 1 != end)
                return 0;
            cr = i;
        }
        if (p[i] == delim) {
            if (k == max_delims)
                return 0;
            at[k++] = (uint32_t)i;
        }
    }
    *n_at = k;
    *content = cr;
    return end + (end < n);
}

static unsigned next_rand(unsigned *s) { return *s = *s * 1103515245u + 12345u, *s >> 8; }

/* Lines of every length 0..80 at every alignment, from an alphabet heavy in the bytes the
   scanners look for: all three agree on the return, the delimiters and the content. */
static void test_scanners_agree(void)
{
    const char alphabet[] = "1.-e,,;;\t\t  \r\n\"x0\0";
    const char delims[] = {',', ';', '\t', ' ', '|'};
    char buf[128];
    uint32_t a1[100], a2[100], a3[100];
    unsigned seed = 17;
    long checked = 0, plain = 0;
    for (int rep = 0; rep < 40000; rep++) {
        size_t n = next_rand(&seed) % 81, off = next_rand(&seed) % 16;
        int rare = next_rand(&seed) % 4;  /* mostly digits and delimiters: long plain lines */
        for (size_t i = 0; i < n; i++) {
            unsigned r = next_rand(&seed);
            buf[off + i] = rare || r % 8 ? "0123456789.,-"[r % 13] : alphabet[r % (sizeof alphabet - 1)];
        }
        char delim = delims[next_rand(&seed) % 5];
        int max = (int)(next_rand(&seed) % 12);
        int n1 = -1, n2 = -1, n3 = -1;
        size_t c1 = 0, c2 = 0, c3 = 0;
        size_t r1 = scan_line_ref(buf + off, n, delim, max, a1, &n1, &c1);
        size_t r2 = scan_line_sse2(buf + off, n, delim, max, a2, &n2, &c2);
        size_t r3 = scan_line_portable(buf + off, n, delim, max, a3, &n3, &c3);
        CU_ASSERT_EQUAL_FATAL(r2, r1);
        CU_ASSERT_EQUAL_FATAL(r3, r1);
        if (r1 == 0)
            continue;
        plain++;
        CU_ASSERT_EQUAL_FATAL(n2, n1);
        CU_ASSERT_EQUAL_FATAL(n3, n1);
        CU_ASSERT_EQUAL(c2, c1);
        CU_ASSERT_EQUAL(c3, c1);
        CU_ASSERT(memcmp(a2, a1, (size_t)n1 * 4) == 0);
        CU_ASSERT(memcmp(a3, a1, (size_t)n1 * 4) == 0);
        checked++;
    }
    CU_ASSERT(plain > 10000);  /* the comparison covered plain lines, not only rejections */
    CU_ASSERT(checked == plain);
}

/* The shapes named in the contract, on both scanners. */
static void test_scanner_cases(void)
{
    static const struct {
        const char *text;
        size_t ret, content;
        int n_at;
    } cases[] = {
        {"1,2,3\n4", 6, 5, 2},           {"1,2,3", 5, 5, 2},
        {"1,2,3\r\n", 7, 5, 2},          {"1,2,3\r", 6, 5, 2},  /* CR last, no LF */
        {"1,\r2\n", 0, 0, 0},            {"1,2\r\r\n", 0, 0, 0},
        {"1,\"2\"\n", 0, 0, 0},          {"\n", 1, 0, 0},
        {"1,2,3,4\n", 0, 0, 0},          /* more delimiters than max (2) */
        {"123456789012345,17.25,0.5\n", 26, 25, 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        uint32_t at[8];
        int n_at = -1;
        size_t content = 99, len = strlen(cases[k].text);
        for (int impl = 0; impl < 2; impl++) {
            size_t r = (impl ? scan_line_portable : scan_line_sse2)(cases[k].text, len, ',', 2,
                                                                    at, &n_at, &content);
            CU_ASSERT_EQUAL(r, cases[k].ret);
            if (r && cases[k].ret) {
                CU_ASSERT_EQUAL(content, cases[k].content);
                CU_ASSERT_EQUAL(n_at, cases[k].n_at);
            }
        }
    }
    CU_ASSERT(strcmp(SCAN_IMPL, "sse2") == 0 || strcmp(SCAN_IMPL, "portable") == 0);
}

/* ---- the reader: fast path against libcsv alone ---- */

struct run {
    int rc;
    struct csv_shard s;
    struct lr_error e;
};

static void read_both(const char *text, size_t len, char delim, int levels, int skip,
                      int threads, struct run *fast, struct run *ref)
{
    const char *path = test_write_file(text, len);
    int fd = open(path, O_RDONLY);
    struct csv_head h;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, delim, 1, &h, &e), 0);
    int *slot = malloc(sizeof(int) * (size_t)h.n_cols), d = 0;
    for (int c = 0; c < h.n_cols; c++)
        slot[c] = c == h.n_cols - 1 && !levels ? COL_TARGET : c == 1 ? COL_SKIP : d++;
    struct test_keep_all keep;  /* describe's layout: text read as levels */
    test_keep_all_init(&keep);
    for (int j = 0; levels == 2 && j < d; j++)  /* numbers, levels (--categorical), either */
        keep.mode[j] = j % 3 == 0 ? READ_NUMBER : j % 3 == 1 ? READ_LEVEL : READ_AUTO;
    struct csv_layout lay = {.path = path, .delimiter = delim, .n_cols = h.n_cols,
                             .slot = slot, .names = h.names, .n_features = d,
                             .has_target = !levels, .skip_bad_rows = skip,
                             .enc = levels ? &keep.rd : NULL,
                             .keep_offsets = 1};
    for (int k = 0; k < 2; k++) {
        struct run *r = k ? ref : fast;
        lay.libcsv_only = k;
        memset(&r->e, 0, sizeof r->e);
        r->rc = csv_read_range(FD_BYTES(fd), h.data_start, (off_t)len, &lay, threads, &r->s, &r->e);
    }
    test_keep_all_free(&keep);
    free(slot);
    csv_head_free(&h);
    close(fd);
    unlink(path);
}

static void same_runs(const struct run *a, const struct run *b, int d)
{
    CU_ASSERT_EQUAL_FATAL(a->rc, b->rc);
    if (a->rc != 0) {
        CU_ASSERT_EQUAL(a->e.line, b->e.line);
        CU_ASSERT_EQUAL(a->e.column, b->e.column);
        CU_ASSERT_STRING_EQUAL(a->e.msg, b->e.msg);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(a->s.n_rows, b->s.n_rows);
    CU_ASSERT_EQUAL(a->s.n_lines, b->s.n_lines);
    CU_ASSERT_EQUAL_FATAL(a->s.n_skipped, b->s.n_skipped);
    for (int64_t k = 0; k < a->s.n_skipped; k++) {
        CU_ASSERT_EQUAL(a->s.skipped_at[k], b->s.skipped_at[k]);
        CU_ASSERT_EQUAL(a->s.skipped_off[k], b->s.skipped_off[k]);
    }
    if (a->s.n_rows == 0)
        return;  /* no rows: nothing allocated to compare */
    CU_ASSERT(memcmp(a->s.X, b->s.X, (size_t)(a->s.n_rows * d) * sizeof(double)) == 0);
    CU_ASSERT(!a->s.y || memcmp(a->s.y, b->s.y, (size_t)a->s.n_rows * sizeof(double)) == 0);
    CU_ASSERT(memcmp(a->s.row_at, b->s.row_at, (size_t)a->s.n_rows * sizeof(int64_t)) == 0);
    CU_ASSERT_EQUAL_FATAL(a->s.n_dicts, b->s.n_dicts);  /* the same levels, ids and flags */
    for (int j = 0; j < a->s.n_dicts; j++) {
        CU_ASSERT_EQUAL(a->s.seen[j], b->s.seen[j]);
        CU_ASSERT_EQUAL_FATAL(a->s.dicts[j].n, b->s.dicts[j].n);
        for (int64_t k = 0; k < a->s.dicts[j].n; k++) {
            size_t la, lb;
            const char *ka = dict_key(&a->s.dicts[j], k, &la), *kb = dict_key(&b->s.dicts[j], k, &lb);
            CU_ASSERT(la == lb && memcmp(ka, kb, la) == 0);
        }
    }
}

/* Random files of awkward lines — spaces and tabs around values, empty fields, CRLF,
   blank lines, quoted lines among plain ones, ragged rows, text, a stray CR, no final
   newline — read in both ways under 1 and 3 threads, both --on-bad-row modes, train's and
   describe's layouts and one of numbers, levels and either: the same rows, offsets,
   skipped records, first error and levels. */
static void test_reader_fast_vs_libcsv(void)
{
    static const char *fields[] = {"1", " 2.5", "-3e2 ", "\t4\t", "", " ", "abc", "0.1",
                                   "12345678901234567890", "1e400", "\"5\"", "  -0 ",
                                   " a b\t", "\tx ", "3b", "7 x", "NA"};
    const char delims[] = {',', ';', '\t'};
    unsigned seed = 5;
    char *text = malloc(1 << 16);
    int errors = 0, fine = 0;
    for (int file = 0; file < 120; file++) {
        char delim = delims[file % 3];
        int n_cols = 1 + (int)(next_rand(&seed) % 5), rows = (int)(next_rand(&seed) % 40);
        size_t n = 0;
        for (int c = 0; c < n_cols; c++)
            n += (size_t)sprintf(text + n, "%sc%d", c ? (char[]){delim, 0} : "", c);
        n += (size_t)sprintf(text + n, "\n");
        int awkward = file % 4;  /* 0: every value a number, no oddities */
        for (int i = 0; i < rows; i++) {
            unsigned shape = next_rand(&seed) % 40;
            if (awkward && shape == 0) {
                n += (size_t)sprintf(text + n, " \t\n");  /* blank */
                continue;
            }
            int cols = n_cols + (awkward && shape == 1 ? 1 : awkward && shape == 2 ? -1 : 0);
            for (int c = 0; c < cols; c++) {
                const char *f = fields[next_rand(&seed) % (awkward ? 17 : 2)];
                if (!awkward || (f[0] == '"' && shape > 30))
                    f = c % 2 ? "7.25" : "-1";
                n += (size_t)sprintf(text + n, "%s%s", c ? (char[]){delim, 0} : "", f);
            }
            if (awkward && shape == 3)
                n += (size_t)sprintf(text + n, "\r");  /* a lone CR inside the line */
            n += (size_t)sprintf(text + n, "%s", awkward && shape < 12 ? "\r\n" : "\n");
        }
        if (file % 5 == 0 && n > 0 && text[n - 1] == '\n')
            n--;  /* no final newline */
        for (int mode = 0; mode < 6; mode++) {
            int levels = mode % 3, skip = mode / 3, d = 0;
            for (int c = 0; c < n_cols; c++)  /* as read_both lays the columns out */
                d += !(c == n_cols - 1 && !levels) && c != 1;
            if (d == 0)
                continue;
            for (int threads = 1; threads <= 3; threads += 2) {
                struct run fast, ref;
                read_both(text, n, delim, levels, skip, threads, &fast, &ref);
                same_runs(&fast, &ref, d);
                errors += fast.rc != 0, fine += fast.rc == 0;
                if (fast.rc == 0)
                    csv_shard_free(&fast.s);
                if (ref.rc == 0)
                    csv_shard_free(&ref.s);
            }
        }
    }
    free(text);
    CU_ASSERT(errors > 50 && fine > 50);  /* both outcomes were compared */
}

void add_scan_suite(void)
{
    CU_pSuite s = CU_add_suite("scan", NULL, NULL);
    CU_add_test(s, "SSE2, portable and a byte loop agree on random lines", test_scanners_agree);
    CU_add_test(s, "the contract's cases", test_scanner_cases);
    CU_add_test(s, "reader: fast path = libcsv alone on awkward files", test_reader_fast_vs_libcsv);
}
