/* test_csv_reader.c — parsing a range into X and y: formats accepted, errors located. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_reader.h"
#include "hash.h"
#include "numparse.h"
#include "shard.h"
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
        rc = csv_read_range(FD_BYTES(fd), h.data_start, (off_t)len, &lay, threads, out, e);
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
    expect_error("a,b,y\n1,\"2\n3\",4\n", 0, 3, "'2\\x0a3' is not a number");
    expect_error("a,b,y\n1,\"2\n3,4\n5,6,7\n", 0, 3, "quoted field not closed");
    expect_error("a,y\n1,\"2", 0, 3, "quoted field not closed");       /* no final newline */
    expect_error("a,y\n1,\"2\"\"", 0, 3, "quoted field not closed");
    expect_error("a,b,y\n1,2,3\r4,5,6\n", 0, 6, "carriage return without a line feed");
    expect_error("a,b,y\n1,x,3\n", 0, 3, "; leave the column out with --drop b, or skip");
    expect_error("a,b,y\n1,2,\n", 0, 5, "it is the target (--drop does not apply)");
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

/* ---- RFC 4180: an independent reference reader, and every split against it ---- */

/* The fields of text[0..len) as RFC 4180 reads them, blank lines skipped: each record's
   values as test_canonical gives the reader's (a number, missing, or a NaN naming text). */
static int64_t reference_rows(const char *text, size_t len, int n_cols, double *out)
{
    int64_t rows = 0;
    size_t i = 0;
    while (i < len) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        if (strspn(text + i, " \r") >= eol - i) {  /* blank line */
            i = eol + 1;
            continue;
        }
        for (int c = 0; c < n_cols; c++) {
            char *f = malloc(len + 1);
            size_t n = 0;
            if (text[i] == '"') {
                for (i++; !(text[i] == '"' && text[i + 1] != '"'); i++)
                    f[n++] = text[i] == '"' ? text[i++] : text[i];
                i++;
            } else {
                while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                    f[n++] = text[i++];
            }
            i += i < len && text[i] == '\r';
            i++;  /* the comma or the newline */
            double v;
            int rc = num_parse(f, n, &v);
            if (rc != NUM_OK)
                v = rc == NUM_EMPTY ? enc_missing_value() : test_text_value(f, n);
            out[rows * n_cols + c] = v;
            free(f);
        }
        rows++;
    }
    return rows;
}

/* A random file of records whose fields hold numbers, quoted numbers, empty fields and
   quoted text with commas, doubled quotes, LF and CRLF; LF or CRLF line ends. */
static size_t random_csv(char *t, int rows, int n_cols, unsigned seed)
{
    static const char *pool[] = {
        "1", "-2.5", "\"3\"", "", "\"\"", "4e3", "\"a,b\"", "\"say \"\"hi\"\"\"",
        "\"multi\nline\"", "\"crlf\r\ninside\"", "\"\n\n\"", "\"5\"\"\"", "text",
        "\"\"\"\"", "\"7\n\"", "\"x\r\n\r\ny,z\"",
    };
    srand(seed);
    size_t n = 0;
    for (int c = 0; c < n_cols; c++)
        n += (size_t)sprintf(t + n, "c%d%s", c, c + 1 < n_cols ? "," : "\n");
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < n_cols; c++)
            n += (size_t)sprintf(t + n, "%s%s", pool[rand() % 16], c + 1 < n_cols ? "," : "");
        n += (size_t)sprintf(t + n, "%s", rand() % 3 ? "\n" : "\r\n");
        if (rand() % 20 == 0)
            n += (size_t)sprintf(t + n, "\n");  /* a blank line */
    }
    return n;
}

/* Read text[data_start, len) as n_ranks ranges (parities as the exscan gives them), each
   with `threads` threads; the concatenated rows into out. */
static int64_t read_split(int fd, const char *path, const char *text, size_t len,
                          const struct csv_head *h, int n_ranks, int threads, size_t block,
                          double *out)
{
    int n = h->n_cols, *slot = malloc(sizeof(int) * (size_t)n);
    for (int c = 0; c < n; c++)
        slot[c] = c;
    struct test_keep_all k;
    test_keep_all_init(&k);
    struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = n, .slot = slot,
                             .names = h->names, .n_features = n, .enc = &k.rd,
                             .block_bytes = block};
    int64_t rows = 0, quotes = 0;
    for (int r = 0; r < n_ranks; r++) {
        off_t lo, hi, b, e;
        int64_t mine;
        struct lr_error err = {0};
        shard_nominal(h->data_start, (off_t)len, r, n_ranks, &lo, &hi);
        CU_ASSERT_EQUAL_FATAL(shard_count_quotes(FD_BYTES(fd), path, lo, hi, &mine, &err), 0);
        CU_ASSERT_EQUAL_FATAL(shard_range(FD_BYTES(fd), path, h->data_start, (off_t)len, r, n_ranks,
                                          (int)(quotes & 1), (int)((quotes + mine) & 1), &b,
                                          &e, &err), 0);
        quotes += mine;
        struct csv_shard s;
        CU_ASSERT_EQUAL_FATAL(csv_read_range(FD_BYTES(fd), b, e, &lay, threads, &s, &err), 0);
        for (int64_t i = 0; i < s.n_rows * n; i++)
            out[rows * n + i] = test_canonical(&s, (int)(i % n), s.X[i]);
        rows += s.n_rows;
        csv_shard_free(&s);
    }
    (void)text;
    test_keep_all_free(&k);
    free(slot);
    return rows;
}

static void test_rfc4180_splits(void)
{
    int rows = 300, cols = 3;
    char *t = malloc((size_t)rows * cols * 40 + 100);
    double *ref = malloc(sizeof(double) * (size_t)rows * cols);
    double *got = malloc(sizeof(double) * (size_t)rows * cols);
    for (unsigned seed = 1; seed <= 3; seed++) {
        size_t len = random_csv(t, rows, cols, seed);
        const char *path = test_write_file(t, len);
        int fd = open(path, O_RDONLY);
        struct csv_head h;
        struct lr_error e = {0};
        CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
        int64_t want = reference_rows(t + h.data_start, len - (size_t)h.data_start, cols, ref);
        CU_ASSERT_EQUAL(want, rows);
        static const size_t blocks[] = {1, 3, 17, 200, 0};
        int mismatches = 0, runs = 0;
        for (int b = 0; b < 5; b++) {
            static const int ranks[] = {1, 2, 3, 8};
            for (int r = 0; r < 4; r++)
                for (int threads = 1; threads <= 3; threads++, runs++) {
                    int64_t n = read_split(fd, path, t, len, &h, ranks[r], threads, blocks[b],
                                           got);
                    mismatches += n != want ||
                                  memcmp(got, ref, sizeof(double) * (size_t)(want * cols)) != 0;
                }
        }
        CU_ASSERT_EQUAL(runs, 60);
        CU_ASSERT_EQUAL(mismatches, 0);
        csv_head_free(&h);
        close(fd);
        unlink(path);
    }
    free(t);
    free(ref);
    free(got);
}

/* A stream (csv_read_range with CSV_STREAM_END): text served from memory through
   a byte_source, each read checked to come right after the one before. */
struct mem_stream {
    const char *p;
    size_t n;
    off_t next;                /* where the next read must start */
    int out_of_order;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, off_t off)
{
    struct mem_stream *m = ctx;
    m->out_of_order |= off != m->next;
    size_t k = (size_t)off >= m->n ? 0 : m->n - (size_t)off < n ? m->n - (size_t)off : n;
    memcpy(buf, m->p + off, k);
    m->next = off + (off_t)k;
    return (ssize_t)k;
}

static void test_stream(void)
{
    int rows = 300, cols = 3;
    char *t = malloc((size_t)rows * cols * 40 + 100);
    double *ref = malloc(sizeof(double) * (size_t)rows * cols);
    int slot[3] = {0, 1, 2};
    int fd = open("/dev/null", O_RDONLY);
    struct test_keep_all k;
    test_keep_all_init(&k);
    for (unsigned seed = 1; seed <= 2; seed++) {
        size_t len = random_csv(t, rows, cols, seed);
        struct lr_error e = {0};
        size_t start = strchr(t, '\n') - t + 1;  /* random_csv's header is one line */
        CU_ASSERT_EQUAL_FATAL(reference_rows(t + start, len - start, cols, ref), rows);
        /* the text's length a multiple of the block (the stream ends where a block does),
           and not; and one without its final newline */
        const size_t blocks[] = {1, 17, 200, (len - start) / 4, len - start, 0};
        int mismatches = 0, runs = 0, bad_order = 0;
        for (int b = 0; b < 6; b++) {
            for (int threads = 1; threads <= 3; threads++)
                for (int cut = 0; cut <= 1; cut++, runs++) {  /* cut: no final newline */
                    size_t n = len - start;
                    if (cut) {  /* the last line end, LF or CRLF */
                        n -= t[start + n - 1] == '\n';
                        n -= t[start + n - 1] == '\r';
                    }
                    int64_t lines = t[start + n - 1] != '\n';
                    for (size_t i = start; i < start + n; i++)
                        lines += t[i] == '\n';
                    struct mem_stream m = {t + start, n, 0, 0};
                    struct csv_layout lay = {.path = "s.csv", .delimiter = ',', .n_cols = cols,
                                             .slot = slot, .n_features = cols,
                                             .enc = &k.rd, .block_bytes = blocks[b]};
                    struct csv_shard s;
                    struct byte_source src = {.pread = mem_read, .ctx = &m};
                    int rc = csv_read_range(&src, 0, CSV_STREAM_END, &lay, threads, &s, &e);
                    int same = rc == 0 && s.n_rows == rows && s.n_lines == lines;
                    for (int64_t i = 0; same && i < s.n_rows * cols; i++) {
                        double v = test_canonical(&s, (int)(i % cols), s.X[i]);
                        same = memcmp(&v, &ref[i], sizeof v) == 0;
                    }
                    mismatches += !same;
                    bad_order += m.out_of_order;
                    if (rc == 0)
                        csv_shard_free(&s);
                }
        }
        CU_ASSERT_EQUAL(runs, 36);
        CU_ASSERT_EQUAL(mismatches, 0);
        CU_ASSERT_EQUAL(bad_order, 0);
    }
    close(fd);
    test_keep_all_free(&k);
    /* a regular file: a short read is still an error */
    const char *t2 = "a,b\n1,2\n3,4\n";
    const char *path = test_write_file(t2, strlen(t2));
    fd = open(path, O_RDONLY);
    struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = 2, .slot = slot,
                             .n_features = 2};
    struct csv_shard s;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL(csv_read_range(FD_BYTES(fd), 4, (off_t)strlen(t2) + 5, &lay, 1, &s, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_ENOINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "file shrank while being read"));
    close(fd);
    unlink(path);
    free(t);
    free(ref);
}

/* The m.csv: a multi-line note in a dropped column is one record, in both modes. */
static void test_multiline_dropped(void)
{
    const char *t = "a,note,c\n1,x,3\n4,\"multi\n5,6,7\n8\",6\n9,y,9\n";
    const char *path = test_write_file(t, strlen(t));
    int fd = open(path, O_RDONLY);
    struct csv_head h;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
    int slot[3] = {0, COL_SKIP, COL_TARGET};
    for (int skip = 0; skip <= 1; skip++) {
        struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = 3, .slot = slot,
                                 .names = h.names, .n_features = 1, .has_target = 1,
                                 .skip_bad_rows = skip};
        struct csv_shard s;
        CU_ASSERT_EQUAL_FATAL(csv_read_range(FD_BYTES(fd), h.data_start, (off_t)strlen(t), &lay, 2, &s, &e), 0);
        CU_ASSERT_EQUAL(s.n_rows, 3);
        CU_ASSERT_EQUAL(s.n_skipped, 0);
        CU_ASSERT_EQUAL(s.n_lines, 5);
        CU_ASSERT_EQUAL((s.X[0] + s.X[1] + s.X[2]) / 3, 14.0 / 3);
        CU_ASSERT_EQUAL(s.y[1], 6);
        csv_shard_free(&s);
    }
    csv_head_free(&h);
    close(fd);
    /* a bad field after a newline inside quotes: the record's line, and where it is */
    const char *t2 = "a,note,c\n1,\"x\ny\",z\n";
    path = test_write_file(t2, strlen(t2));
    fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
    struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = 3, .slot = slot,
                             .names = h.names, .n_features = 1, .has_target = 1};
    struct csv_shard s;
    CU_ASSERT_EQUAL(csv_read_range(FD_BYTES(fd), h.data_start, (off_t)strlen(t2), &lay, 1, &s, &e), -1);
    CU_ASSERT_EQUAL(e.line, 0);
    CU_ASSERT_EQUAL(e.column, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "column 'c' (1 line below, at column 4): 'z'"));
    csv_head_free(&h);
    close(fd);
}

/* keep_missing_rows: a record skipped for a missing value keeps its numbers (the fields
   after the missing one too), NaN where a value is missing or a level; a record skipped for
   anything else keeps NaNs, and so does one whose missing value a fault follows (too few
   fields, a field that is not a number): it is a bad record, not a missing one. The same in
   one block or many, by libcsv or the fast path, for 1-3 threads and pieces of any size. */
static void test_keep_missing_rows(void)
{
    const char *t = "a,g,b,y\n1,x,2,3\nNA,x,5,6\n7,x,8,NA\n9,x,NA\n1,x,2,3,4\nNA,x,zz,6\n"
                    "\"4\",x,\"5\",NA\n2,x,3,4\n";
    const double N = NAN, want[6][4] = {{N, N, 5, 6}, {7, N, 8, N}, {N, N, N, N},
                                        {N, N, N, N}, {N, N, N, N}, {4, N, 5, N}};
    const int64_t at[6] = {1, 1, 1, 1, 1, 1};
    const char *path = test_write_file(t, strlen(t));
    int fd = open(path, O_RDONLY);
    struct csv_head h;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
    struct test_keep_all k;
    test_keep_all_init(&k);
    memset(k.miss, MISSING_SKIP, sizeof k.miss);
    k.mode[0] = k.mode[2] = READ_NUMBER;
    int slot[4] = {0, 1, 2, COL_TARGET}, bad = 0, runs = 0;
    const size_t blocks[] = {0, 5, 19};
    for (int b = 0; b < 3; b++)
        for (int threads = 1; threads <= 3; threads++)
            for (int max_rows = 0; max_rows <= 1; max_rows++, runs++) {
                struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = 4,
                                         .slot = slot, .names = h.names, .n_features = 3,
                                         .has_target = 1, .skip_bad_rows = 1, .enc = &k.rd,
                                         .keep_missing_rows = 1, .block_bytes = blocks[b],
                                         .libcsv_only = b == 2};
                struct csv_shard s = {0}, blk;
                struct csv_reader *r = csv_reader_open(FD_BYTES(fd), h.data_start,
                                                       (off_t)strlen(t), &lay, threads);
                while (csv_reader_next(r, max_rows, &blk, &e) > 0)
                    csv_shard_append(&s, &blk, 3);
                csv_shard_free(&blk);
                csv_reader_close(r);
                int ok = s.n_rows == 2 && s.n_skipped == 6 && s.n_skipped_missing == 3 &&
                         s.skipped_x != NULL;
                for (int i = 0; ok && i < 6; i++) {
                    ok = s.skipped_at[i] == at[i];
                    for (int j = 0; ok && j < 4; j++) {
                        double v = s.skipped_x[i * 4 + j], w = want[i][j];
                        ok = isnan(w) ? isnan(v) : v == w;
                    }
                }
                bad += !ok;
                csv_shard_free(&s);
            }
    CU_ASSERT_EQUAL(runs, 18);
    CU_ASSERT_EQUAL(bad, 0);
    test_keep_all_free(&k);
    csv_head_free(&h);
    close(fd);
    unlink(path);
}

/* Skip mode drops a bad multi-line record whole and says where it was among the rows. */
static void test_skip_records(void)
{
    const char *t = "a,b,y\n1,2,3\n\"x\ny\",2,3\n4,5,6\n7,8\n\n9,9,9\n\"1\n\n\",2,NA\n5,5,5\n";
    struct csv_shard s;
    struct lr_error e;
    for (int threads = 1; threads <= 3; threads++) {
        CU_ASSERT_EQUAL_FATAL(parse_text(t, strlen(t), threads, 1, &s, &e), 0);
        CU_ASSERT_EQUAL(s.n_rows, 4);
        CU_ASSERT_EQUAL(s.n_skipped, 3);
        CU_ASSERT_EQUAL(s.n_first_skipped, 3);
        CU_ASSERT_EQUAL(s.first_skipped[0], 1);
        CU_ASSERT_EQUAL(s.first_skipped_last[0], 2);
        CU_ASSERT_EQUAL(s.first_skipped[1], 4);
        CU_ASSERT_EQUAL(s.first_skipped_last[1], 4);
        CU_ASSERT_EQUAL(s.first_skipped[2], 7);
        CU_ASSERT_EQUAL(s.first_skipped_last[2], 9);
        CU_ASSERT_EQUAL_FATAL(s.skipped_at != NULL, 1);
        CU_ASSERT_EQUAL(s.skipped_at[0], 1);
        CU_ASSERT_EQUAL(s.skipped_at[1], 2);
        CU_ASSERT_EQUAL(s.skipped_at[2], 3);
        CU_ASSERT_EQUAL(s.y[3], 5);
        csv_shard_free(&s);
    }
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
    /* a header field with a newline inside quotes: two header lines */
    const char *t3 = "\"a\nb\",c\n1,2\n";
    path = test_write_file(t3, strlen(t3));
    fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL_FATAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
    CU_ASSERT_STRING_EQUAL(h.names[0], "a\nb");
    CU_ASSERT_EQUAL(h.header_lines, 2);
    CU_ASSERT_EQUAL(h.data_start, 8);
    csv_head_free(&h);
    close(fd);
    static const struct { const char *text; const char *words; } bad[] = {
        {"\xFF\xFE" "a\0,\0b\0\n\0", "UTF-16 (byte order mark FF FE)"},
        {"\xFE\xFF\0a\0,\0b\0\n", "UTF-16 (byte order mark FE FF)"},
        {"a,b\r1,2\r3,4\r", "CR-only line endings are not supported"},
        {"\"a,b\n1,2\n", "quoted field not closed"},
    };
    for (int k = 0; k < 4; k++) {
        path = test_write_file(bad[k].text, strlen(bad[k].text) + (k < 2 ? 6 : 0));
        fd = open(path, O_RDONLY);
        CU_ASSERT_EQUAL(csv_read_head(fd, path, ',', 1, &h, &e), -1);
        CU_ASSERT_EQUAL(e.code, LR_EDATA);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, bad[k].words));
        close(fd);
    }
}

/* 200,000 column names are checked for duplicates in linear time. */
static void test_many_columns(void)
{
    int n = 200000;
    char *t = malloc((size_t)n * 12 + 16);
    size_t len = 0;
    for (int c = 0; c < n; c++)
        len += (size_t)sprintf(t + len, "c%d%s", c, c + 1 < n ? "," : "\n");
    const char *path = test_write_file(t, len);
    int fd = open(path, O_RDONLY);
    struct csv_head h;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL(csv_read_head(fd, path, ',', 1, &h, &e), 0);
    CU_ASSERT_EQUAL(h.n_cols, n);
    csv_head_free(&h);
    close(fd);
    memcpy(t + len - 8, "c7\n", 4);  /* the last name repeats column 8's */
    len = len - 8 + 3;
    path = test_write_file(t, len);
    fd = open(path, O_RDONLY);
    CU_ASSERT_EQUAL(csv_read_head(fd, path, ',', 1, &h, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "duplicate column name 'c7' (also column 8)"));
    close(fd);
    free(t);
}

void add_csv_reader_suite(void)
{
    CU_pSuite s = CU_add_suite("csv_reader", NULL, NULL);
    CU_add_test(s, "BOM, CRLF, quotes, spaces, blank lines, no final newline", test_formats);
    CU_add_test(s, "1..4 threads give strtod's matrix in file order", test_threads_agree);
    CU_add_test(s, "bad fields and rows name line and column", test_errors);
    CU_add_test(s, "--on-bad-row skip counts and locates skipped rows", test_skip_bad_rows);
    CU_add_test(s, "header: duplicates, no header, empty file, UTF-16, CR-only, multi-line",
                test_head);
    CU_add_test(s, "200,000 header names checked for duplicates", test_many_columns);
    CU_add_test(s, "RFC 4180 files: 1/2/3/8 ranks x 1-3 threads x tiny blocks = reference",
                test_rfc4180_splits);
    CU_add_test(s, "a multi-line field in a dropped column is one record", test_multiline_dropped);
    CU_add_test(s, "a stream (CSV_STREAM_END): its short read ends the range, read in order",
                test_stream);
    CU_add_test(s, "skip mode drops bad records whole and places them among the rows",
                test_skip_records);
    CU_add_test(s, "keep_missing_rows: a record skipped for a missing value keeps its numbers",
                test_keep_missing_rows);
}
