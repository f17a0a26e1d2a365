/*
 * fuzz_reader.c — libFuzzer target for the CSV reader (csv_read_head + csv_read_range).
 *
 * Input: 3 option bytes, then the file's bytes (written to a reused memfd).
 *   byte 0  bits 0-1  delimiter: ',' ';' '\t' '|'
 *           bit  2    has_header
 *           bit  3    skip_bad_rows of the main run (the other mode is run too, 1 thread)
 *           bits 4-5  layout: 0 last column = target, others features; 1 no target;
 *                     2 first column = target; 3 as 0 but columns with bit (c % 8) of
 *                     byte 2 set are COL_SKIP (no target if the last one is skipped)
 *           bit  6    ranks for the split check: 2 or 3
 *           bit  7    threads per rank in the split check: 1 or 2
 *   byte 1  bits 0-4  bytes per thread per block of the small-block build (1..32)
 *           bits 5-6  threads of the small-block build (1..3)
 *           bit  7    levels: the feature columns read through an encoding (csv_layout.enc),
 *                     by slot % 3 as numbers, as levels (--categorical) and as either
 *                     (describe), a missing value kept, skipped or an error by slot % 3;
 *                     then only the fast path, the thread counts and the small blocks are
 *                     checked (level ids are per range and values are NaN-boxed), the
 *                     dictionaries and seen flags too
 *   byte 2  the column mask of layout 3; with levels, bits 0-3 + 1: the entries a dictionary
 *           may hold, and bit 4: the missing-value strings hold numbers too (-99, 0, 1e400:
 *           a field that converts is missing by its bytes)
 *   (byte 1 ^ byte 2) % 64 + 1: the first read size of the small-block build's head
 *
 * Checks (abort() on violation; ASan/UBSan/LSan watch memory):
 *   - head: success gives n_cols >= 1, non-empty names, data_start in range and at a
 *     record start (after the first '\n' with an even number of quotes before it: RFC 4180
 *     records may hold newlines inside quotes), header_lines = the header's lines;
 *     failure gives LR_EDATA/LR_ENOINPUT with a message.
 *   - range: success gives finite X/y,
 *     n_lines = the number of lines of the range, n_lines >= n_rows, consistent skipped
 *     records (first and last lines, and skipped_at: non-decreasing positions among the
 *     rows); failure gives LR_EDATA (line >= 0, column >= 1) or LR_ENOINPUT, with a
 *     message, and never happens with skip_bad_rows.
 *   - differential: 1, 2 and 3 threads, and the small-block build of csv_reader.c (see
 *     run.sh: the same source with BLOCK_PER_THREAD a variable, so that ranges span many
 *     blocks, carried partial lines and buffer growth), give the same rows bit for bit,
 *     the same line counts and the same error (code, line, column, message); the head
 *     read by the same build through a first buffer of 1..64 bytes is the same.
 *   - a newline appended to data without a final newline changes nothing.
 *   - skip mode vs fail mode: the same rows when nothing is bad; the first skipped line
 *     is the failing line.
 *   - ranks: the data split with shard_range into 2-3 ranges (each told the quote parity
 *     at its nominal piece's ends, as the exscan over ranks gives it) gives, concatenated,
 *     the whole range's result, skipped_at included; ranges start at record starts; the
 *     first failing rank fails at the whole range's error line. Inputs with quoted
 *     newlines (seeds and dictionary) put those on rank, block and piece boundaries.
 *   - oracle: when the data has no '"' and no '\r', an independent split on '\n' and the
 *     delimiter plus num_parse gives the expected rows, values and first error.
 *   - fast path: the reader with its fast path for plain lines (scan.h) and the reader
 *     with every record through libcsv (csv_layout.libcsv_only) give the same rows bit for
 *     bit, the same skipped records and the same first error (code, line, column,
 *     message), in both --on-bad-row modes, with 1 thread and with the small-block build;
 *     with keep_offsets also the same record offsets, each at a record start, increasing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csv_reader.h"
#include "numparse.h"
#include "shard.h"

#ifdef FUZZ_SMALL_BLOCKS
/* build/fuzz/csv_reader_sb.c: src/csv_reader.c with renamed entry points and the block
   size and the head's first read size as variables (see run.sh) */
extern int fuzz_block_per_thread, fuzz_head_cap;
int csv_read_head_sb(int fd, const char *path, char delimiter, int has_header,
                     struct csv_head *h, struct lr_error *e);
void csv_head_free_sb(struct csv_head *h);
int csv_read_range_sb(const struct byte_source *src, off_t begin, off_t end, const struct csv_layout *lay,
                      int n_threads, struct csv_shard *out, struct lr_error *e);
void csv_shard_free_sb(struct csv_shard *s);
#endif

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_reader: invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                    __LINE__);                                                             \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static const char PATH[] = "fuzz.csv";
static int g_fd = -1;
static struct byte_source g_bytes;  /* g_fd's */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* libomp spins 200 ms after each parallel region by default: bad on a shared box */
    setenv("KMP_BLOCKTIME", "0", 0);
    setenv("OMP_WAIT_POLICY", "passive", 0);
    g_fd = memfd_create("fuzz_reader", 0);
    if (g_fd < 0) {
        perror("memfd_create");
        abort();
    }
    g_bytes = byte_source_fd(g_fd);
    return 0;
}

struct result {
    int rc;
    struct csv_shard s;
    struct lr_error e;
};

static void run_range(struct result *r, off_t begin, off_t end, const struct csv_layout *lay,
                      int threads, int small_blocks)
{
    memset(&r->e, 0, sizeof r->e);
#ifdef FUZZ_SMALL_BLOCKS
    if (small_blocks) {
        r->rc = csv_read_range_sb(&g_bytes, begin, end, lay, threads, &r->s, &r->e);
        return;
    }
#else
    (void)small_blocks;
#endif
    r->rc = csv_read_range(&g_bytes, begin, end, lay, threads, &r->s, &r->e);
}

static void free_result(struct result *r, int small_blocks)
{
#ifdef FUZZ_SMALL_BLOCKS
    if (small_blocks) {
        csv_shard_free_sb(&r->s);
        return;
    }
#else
    (void)small_blocks;
#endif
    csv_shard_free(&r->s);
}

static int same_bits(const double *a, const double *b, int64_t n)
{
    return n == 0 || memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

/* Set while results read in blocks or pieces of other sizes are compared with an encoding:
   a bad number's hint names the other text columns of the records that follow in its
   piece of the block, so it may name more or fewer; what precedes it must be the same. */
static int g_other_pieces;

static void same_error(const struct lr_error *a, const struct lr_error *b)
{
    CHECK(a->code == b->code);
    CHECK(a->line == b->line);
    CHECK(a->column == b->column);
    if (g_other_pieces)
        CHECK(strcspn(a->msg, ";") == strcspn(b->msg, ";") &&
              strncmp(a->msg, b->msg, strcspn(a->msg, ";")) == 0);
    else
        CHECK(strcmp(a->msg, b->msg) == 0);
    CHECK(strcmp(a->file, b->file) == 0);
}

static void same_result(const struct result *a, const struct result *b,
                        const struct csv_layout *lay)
{
    CHECK(a->rc == b->rc);
    if (a->rc != 0) {
        same_error(&a->e, &b->e);
        return;
    }
    const struct csv_shard *s = &a->s, *t = &b->s;
    CHECK(s->n_rows == t->n_rows);
    CHECK(s->n_lines == t->n_lines);
    CHECK(s->n_skipped == t->n_skipped);
    CHECK(s->n_first_skipped == t->n_first_skipped);
    for (int k = 0; k < s->n_first_skipped; k++) {
        CHECK(s->first_skipped[k] == t->first_skipped[k]);
        CHECK(s->first_skipped_last[k] == t->first_skipped_last[k]);
    }
    for (int64_t k = 0; k < s->n_skipped; k++)
        CHECK(s->skipped_at[k] == t->skipped_at[k]);
    if (lay->has_target)
        CHECK(same_bits(s->y, t->y, s->n_rows));
    /* more levels than the dictionaries hold (a run stops there): each piece's ids past
       its own dictionary's limit are 0, so other pieces store other ids */
    int ids_differ = g_other_pieces && (s->overflow || t->overflow);
    CHECK(!ids_differ || (s->overflow && t->overflow));
    if (!ids_differ)
        CHECK(same_bits(s->X, t->X, s->n_rows * lay->n_features));
    if (lay->enc && !ids_differ) {  /* the same levels, in the same order (ids), the same flags */
        CHECK(s->n_dicts == t->n_dicts && s->overflow == t->overflow);
        for (int j = 0; j < s->n_dicts; j++) {
            CHECK(s->seen[j] == t->seen[j]);
            CHECK(s->dicts[j].n == t->dicts[j].n);
            for (int64_t k = 0; k < s->dicts[j].n; k++) {
                size_t la, lb;
                const char *ka = dict_key(&s->dicts[j], k, &la), *kb = dict_key(&t->dicts[j], k, &lb);
                CHECK(la == lb && memcmp(ka, kb, la) == 0);
            }
        }
    }
    for (int64_t i = 0; s->row_at && t->row_at && i < s->n_rows; i++)
        CHECK(s->row_at[i] == t->row_at[i]);
    for (int64_t k = 0; s->skipped_off && t->skipped_off && k < s->n_skipped; k++)
        CHECK(s->skipped_off[k] == t->skipped_off[k]);
}


/* Invariants of one result on its own; lines = '\n'-terminated lines of the range plus a
   final unterminated one. */
/* A value the reader may store: a finite number; with an encoding also a level or a
   missing value (NaN-boxed, encode.h). */
static int g_levels;
static int allowed(double v)
{
    return isfinite(v) || (g_levels && (enc_level_id(v) >= 0 || enc_is_missing_value(v)));
}

/* A quote out of place or never closed: an error even with --on-bad-row skip (where every
   later record ends depends on the quotes before it). */
static int quote_error(const struct lr_error *e)
{
    return e->code == LR_EDATA &&
           (strstr(e->msg, "misplaced quote") || strstr(e->msg, "quoted field not closed"));
}

static void check_result(const struct result *r, const struct csv_layout *lay, int64_t lines)
{
    if (r->rc != 0) {
        CHECK(r->rc == -1);
        CHECK(r->e.code == LR_EDATA || r->e.code == LR_ENOINPUT);
        CHECK(r->e.msg[0] != '\0');
        CHECK(!lay->skip_bad_rows || r->e.code != LR_EDATA || quote_error(&r->e));
        if (r->e.code == LR_EDATA) {
            CHECK(r->e.line >= 0 && r->e.line < lines);
            CHECK(r->e.column >= 1);
            CHECK(strcmp(r->e.file, PATH) == 0);
        }
        return;
    }
    const struct csv_shard *s = &r->s;
    CHECK(s->n_rows >= 0);
    CHECK(s->n_lines == lines);
    CHECK(s->n_lines >= s->n_rows + s->n_skipped);
    CHECK(s->n_rows == 0 || s->X != NULL);
    CHECK(!lay->has_target || s->n_rows == 0 || s->y != NULL);
    for (int64_t i = 0; i < s->n_rows * lay->n_features; i++)
        CHECK(allowed(s->X[i]));
    for (int64_t i = 0; lay->has_target && i < s->n_rows; i++)
        CHECK(allowed(s->y[i]));
    for (int j = 0; s->missing && j < lay->n_features; j++) {  /* counted as read */
        int64_t m = 0;
        for (int64_t i = 0; i < s->n_rows; i++)
            m += enc_is_missing_value(s->X[i * lay->n_features + j]);
        CHECK(s->missing[j] == m);
    }
    CHECK(!lay->enc || s->missing != NULL);  /* a range read whole, with an encoding */
    CHECK(s->n_skipped >= 0);
    CHECK(lay->skip_bad_rows || lay->enc || s->n_skipped == 0);  /* --missing skip skips */
    CHECK(s->n_first_skipped == (s->n_skipped < CSV_FIRST_SKIPPED ? s->n_skipped
                                                                 : CSV_FIRST_SKIPPED));
    for (int k = 0; k < s->n_first_skipped; k++) {
        CHECK(s->first_skipped[k] >= 0 && s->first_skipped[k] < s->n_lines);
        CHECK(s->first_skipped_last[k] >= s->first_skipped[k]);
        CHECK(s->first_skipped_last[k] < s->n_lines);
        CHECK(k == 0 || s->first_skipped[k] > s->first_skipped_last[k - 1]);
    }
    CHECK(s->n_skipped == 0 || s->skipped_at != NULL);
    for (int64_t k = 0; k < s->n_skipped; k++) {
        CHECK(s->skipped_at[k] >= 0 && s->skipped_at[k] <= s->n_rows);
        CHECK(k == 0 || s->skipped_at[k] >= s->skipped_at[k - 1]);
    }
}

/* Quotes in text[b, e). */
static int64_t count_quotes(const char *text, off_t b, off_t e)
{
    int64_t n = 0;
    for (off_t i = b; i < e; i++)
        n += text[i] == '"';
    return n;
}

/* With keep_offsets: rows and skipped records start at record starts of [begin, end), in
   increasing order, every one after a '\n' with an even number of quotes before it. */
static void check_offsets(const struct result *r, const char *text, off_t begin, off_t end)
{
    if (r->rc != 0)
        return;
    const struct csv_shard *s = &r->s;
    CHECK(s->n_rows == 0 || s->row_at != NULL);
    CHECK(s->n_skipped == 0 || s->skipped_off != NULL);
    int64_t prev = -1;
    for (int64_t i = 0, k = 0; i < s->n_rows || k < s->n_skipped;) {
        /* rows and skipped records merged by position: skipped_at says which comes first */
        int skipped = k < s->n_skipped && s->skipped_at[k] == i;
        int64_t at = skipped ? s->skipped_off[k++] : s->row_at[i++];
        CHECK(at > prev && at >= begin && at < end);
        CHECK(at == begin || (text[at - 1] == '\n' && count_quotes(text, begin, at) % 2 == 0));
        prev = at;
    }
}

/* Lines of text[b, e): '\n' count plus one for a last line without newline. */
static int64_t count_lines(const char *text, off_t b, off_t e)
{
    int64_t n = 0;
    for (off_t i = b; i < e; i++)
        n += text[i] == '\n';
    return n + (e > b && text[e - 1] != '\n');
}

/* ---- the oracle, for data without quotes and carriage returns ---- */

struct oracle {
    int64_t n_rows, n_skipped, first_skipped[CSV_FIRST_SKIPPED];
    int n_first_skipped;
    double *X, *y;
    int failed;
    int64_t line, column;
};

static void oracle_run(const char *text, size_t len, const struct csv_layout *lay,
                       struct oracle *o)
{
    memset(o, 0, sizeof *o);
    size_t max_rows = len + 1;
    o->X = malloc((max_rows * (size_t)lay->n_features + 1) * sizeof(double));
    o->y = malloc((max_rows + 1) * sizeof(double));
    double *row_x = malloc(((size_t)lay->n_features + 1) * sizeof(double));
    int64_t idx = 0;
    for (size_t at = 0; at < len; idx++) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t ll = (size_t)((nl ? nl : text + len) - line);
        at += ll + (nl != NULL);
        size_t k = 0;
        while (k < ll && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == ll)
            continue;  /* blank */
        int bad = 0;
        int64_t bad_column = 0;
        int field = 0;
        double yv = 0;
        size_t f0 = 0;
        for (size_t i = 0; i <= ll; i++) {
            if (i < ll && line[i] != lay->delimiter)
                continue;
            if (!bad) {
                if (field >= lay->n_cols) {
                    bad = 1;
                    bad_column = (int64_t)f0 + 1;
                } else {
                    int slot = lay->slot[field];
                    double v = 0;
                    int rc = slot == COL_SKIP ? NUM_OK : num_parse(line + f0, i - f0, &v);
                    if (rc != NUM_OK) {
                        bad = 1;
                        bad_column = (int64_t)f0 + 1;
                    } else if (slot >= 0) {
                        row_x[slot] = v;
                    } else if (slot == COL_TARGET) {
                        yv = v;
                    }
                }
            }
            field++;
            f0 = i + 1;
        }
        if (!bad && field != lay->n_cols) {
            bad = 1;
            bad_column = (int64_t)ll + 1;
        }
        if (bad) {
            if (!lay->skip_bad_rows) {
                o->failed = 1;
                o->line = idx;
                o->column = bad_column;
                break;
            }
            if (o->n_first_skipped < CSV_FIRST_SKIPPED)
                o->first_skipped[o->n_first_skipped++] = idx;
            o->n_skipped++;
            continue;
        }
        if (lay->n_features)
            memcpy(o->X + o->n_rows * lay->n_features, row_x,
                   (size_t)lay->n_features * sizeof(double));
        o->y[o->n_rows++] = yv;
    }
    free(row_x);
}

static void oracle_check(const struct oracle *o, const struct result *r,
                         const struct csv_layout *lay)
{
    if (o->failed) {
        CHECK(r->rc == -1 && r->e.code == LR_EDATA);
        CHECK(r->e.line == o->line);
        CHECK(r->e.column == o->column);
        return;
    }
    CHECK(r->rc == 0);
    CHECK(r->s.n_rows == o->n_rows);
    CHECK(r->s.n_skipped == o->n_skipped);
    CHECK(r->s.n_first_skipped == o->n_first_skipped);
    for (int k = 0; k < o->n_first_skipped; k++)
        CHECK(r->s.first_skipped[k] == o->first_skipped[k]);
    CHECK(same_bits(r->s.X, o->X, o->n_rows * lay->n_features));
    if (lay->has_target)
        CHECK(same_bits(r->s.y, o->y, o->n_rows));
}

/* ---- the split into ranks ---- */

static void check_ranks(const char *text, off_t data_start, off_t size,
                        const struct csv_layout *lay, int n_ranks, int threads,
                        const struct result *whole)
{
    int d = lay->n_features;
    int64_t rows = 0, lines = 0, skipped = 0;
    int n_first = 0;
    int64_t first[CSV_FIRST_SKIPPED];
    off_t prev_end = data_start;
    int failed = 0;
    for (int r = 0; r < n_ranks && !failed; r++) {
        off_t b, e, lo, hi;
        int64_t mine;
        struct lr_error err;
        memset(&err, 0, sizeof err);
        shard_nominal(data_start, size, r, n_ranks, &lo, &hi);
        CHECK(shard_count_quotes(&g_bytes, PATH, lo, hi, &mine, &err) == 0);
        CHECK(mine == count_quotes(text, lo, hi));
        int64_t before = count_quotes(text, data_start, lo);
        CHECK(shard_range(&g_bytes, PATH, data_start, size, r, n_ranks, (int)(before & 1),
                          (int)((before + mine) & 1), &b, &e, &err) == 0);
        CHECK(b == prev_end && b <= e && e <= size);
        CHECK(b == data_start || b == size ||
              (text[b - 1] == '\n' && count_quotes(text, data_start, b) % 2 == 0));
        CHECK(r < n_ranks - 1 || e == size);
        prev_end = e;
        int64_t lines_before = count_lines(text, data_start, b);  /* b is a line start */
        CHECK(lines_before == lines);
        struct result part;
        run_range(&part, b, e, lay, threads, 0);
        check_result(&part, lay, count_lines(text, b, e));
        if (part.rc != 0) {
            /* the first failing rank holds the whole range's (first) error */
            CHECK(whole->rc != 0);
            struct lr_error shifted = part.e;
            if (shifted.code == LR_EDATA)
                shifted.line += lines_before;
            same_error(&shifted, &whole->e);
            failed = 1;
        } else {
            const struct csv_shard *s = &part.s;
            CHECK(whole->rc != 0 || rows + s->n_rows <= whole->s.n_rows);
            if (whole->rc == 0 && s->n_rows > 0) {
                CHECK(same_bits(s->X, whole->s.X + rows * d, s->n_rows * d));
                if (lay->has_target)
                    CHECK(same_bits(s->y, whole->s.y + rows, s->n_rows));
            }
            for (int k = 0; k < s->n_first_skipped && n_first < CSV_FIRST_SKIPPED; k++)
                first[n_first++] = lines_before + s->first_skipped[k];
            for (int64_t k = 0; whole->rc == 0 && k < s->n_skipped; k++)
                CHECK(whole->s.skipped_at[skipped + k] == rows + s->skipped_at[k]);
            rows += s->n_rows;
            lines += s->n_lines;
            skipped += s->n_skipped;
        }
        free_result(&part, 0);
    }
    if (whole->rc == 0) {
        CHECK(!failed);
        CHECK(rows == whole->s.n_rows);
        CHECK(lines == whole->s.n_lines);
        CHECK(skipped == whole->s.n_skipped);
        CHECK(n_first == whole->s.n_first_skipped);
        for (int k = 0; k < n_first; k++)
            CHECK(first[k] == whole->s.first_skipped[k]);
    } else if (whole->e.code == LR_EDATA) {
        CHECK(failed);
    }
}

/* ---- the fast path against libcsv alone ---- */

/* In both --on-bad-row modes: the fast path and libcsv alone (with keep_offsets), the
   small-block build too, give the same result; in the input's own mode also r1's (read
   without keep_offsets), when given. */
static void check_fast_path(const char *text, off_t begin, off_t end,
                            const struct csv_layout *lay, uint8_t o1, int64_t lines,
                            const struct result *r1)
{
    for (int mode = 0; mode < 2; mode++) {
        struct csv_layout ref = *lay, fast = *lay;
        ref.libcsv_only = 1;
        ref.keep_offsets = fast.keep_offsets = 1;
        ref.skip_bad_rows = fast.skip_bad_rows = mode ? !lay->skip_bad_rows : lay->skip_bad_rows;
        struct result rf, rl;
        run_range(&rl, begin, end, &ref, 1, 0);
        check_result(&rl, &ref, lines);
        check_offsets(&rl, text, begin, end);
        run_range(&rf, begin, end, &fast, 1, 0);
        check_result(&rf, &fast, lines);
        same_result(&rf, &rl, lay);
        if (mode == 0 && r1)
            same_result(r1, &rf, lay);  /* keep_offsets changes nothing else */
        free_result(&rf, 0);
#ifdef FUZZ_SMALL_BLOCKS
#ifdef FUZZ_FAST_PATH_ONLY
        int threads = 1;  /* waking threads would cost most of the time: the full target
                             checks the thread counts */
#else
        int threads = 1 + ((o1 >> 5) & 3) % 3;
#endif
        fuzz_block_per_thread = 1 + (o1 & 31);
        run_range(&rf, begin, end, &ref, threads, 1);
        g_other_pieces = lay->enc != NULL;
        same_result(&rf, &rl, lay);
        g_other_pieces = 0;
        struct result rs;  /* the fast path in the same small blocks: exactly libcsv's */
        fuzz_block_per_thread = 1 + (o1 & 31);
        run_range(&rs, begin, end, &fast, threads, 1);
        same_result(&rs, &rf, lay);
        free_result(&rs, 1);
        free_result(&rf, 1);
#else
        (void)o1;
#endif
        free_result(&rl, 0);
    }
}

/* ---- the target ---- */

#ifdef FUZZ_SMALL_BLOCKS
/* The head read through a tiny first buffer (fuzz_head_cap bytes, doubled as needed) is
   the same. */
static void check_head_small(const struct csv_head *h, int rc, const struct lr_error *e,
                             char delim, int has_header, int cap)
{
    struct csv_head g;
    struct lr_error f;
    memset(&f, 0, sizeof f);
    fuzz_head_cap = cap;
    int rc2 = csv_read_head_sb(g_fd, PATH, delim, has_header, &g, &f);
    CHECK(rc2 == rc);
    if (rc != 0) {
        same_error(e, &f);
        return;
    }
    CHECK(g.n_cols == h->n_cols);
    CHECK(g.data_start == h->data_start);
    CHECK(g.header_lines == h->header_lines);
    for (int c = 0; c < h->n_cols; c++)
        CHECK(strcmp(g.names[c], h->names[c]) == 0);
    csv_head_free_sb(&g);
}
#endif

static void check_head(const struct csv_head *h, int rc, const struct lr_error *e,
                       const char *text, size_t len, char delim)
{
    if (rc != 0) {
        CHECK(rc == -1);
        CHECK(e->code == LR_EDATA || e->code == LR_ENOINPUT);
        CHECK(e->msg[0] != '\0');
        CHECK(h->names == NULL);
        return;
    }
    CHECK(h->n_cols >= 1);
    CHECK(h->names != NULL);
    for (int c = 0; c < h->n_cols; c++)
        CHECK(h->names[c] != NULL && h->names[c][0] != '\0');
    CHECK(h->data_start >= 0 && (size_t)h->data_start <= len);
    size_t at = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    CHECK(h->data_start == (off_t)at || (size_t)h->data_start == len ||
          (text[h->data_start - 1] == '\n' && count_quotes(text, 0, h->data_start) % 2 == 0));
    /* the first record: up to the first '\n' after an even number of quotes; it has an
       even number of quotes (a parsed record has only whole quoted fields), its lines
       are the header's, and without quotes and '\r' one column more than delimiters */
    size_t end = at;
    int quotes = 0, delims = 0, crs = 0, newlines = 0;
    for (; end < len && !(text[end] == '\n' && quotes % 2 == 0); end++) {
        quotes += text[end] == '"';
        delims += text[end] == delim;
        crs += text[end] == '\r';
        newlines += text[end] == '\n';
    }
    CHECK(quotes % 2 == 0);
    CHECK(quotes > 0 || crs > 0 || h->n_cols == delims + 1);
    CHECK(h->header_lines == 0 || h->header_lines == newlines + 1);
    CHECK(h->header_lines == 0 || (size_t)h->data_start == (end < len ? end + 1 : len));
}

static void free_layout(int *slot, unsigned char *mode, unsigned char *miss, struct enc_na *na,
                        int levels)
{
    free(slot);
    free(mode);
    free(miss);
    if (levels)
        enc_na_free(na);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    static const char delims[4] = {',', ';', '\t', '|'};
    uint8_t o0 = data[0], o1 = data[1], o2 = data[2];
    char delim = delims[o0 & 3];
    int has_header = (o0 >> 2) & 1;
    int skip = (o0 >> 3) & 1;
    int layout = (o0 >> 4) & 3;
    int n_ranks = 2 + ((o0 >> 6) & 1);
    int rank_threads = 1 + ((o0 >> 7) & 1);
    const char *text = (const char *)data + 3;
    size_t len = size - 3;

    if (ftruncate(g_fd, 0) != 0 || (len > 0 && pwrite(g_fd, text, len, 0) != (ssize_t)len)) {
        perror("memfd write");
        abort();
    }

    struct csv_head h;
    struct lr_error e;
    memset(&e, 0, sizeof e);
    int rc = csv_read_head(g_fd, PATH, delim, has_header, &h, &e);
    check_head(&h, rc, &e, text, len, delim);
#ifdef FUZZ_SMALL_BLOCKS
    check_head_small(&h, rc, &e, delim, has_header, 1 + (o1 ^ o2) % 64);
#endif
    if (rc != 0)
        return 0;

    int n = h.n_cols;
    int *slot = malloc((size_t)n * sizeof *slot);
    int d = 0, has_target = 0;
    for (int c = 0; c < n; c++) {
        int target = layout == 1 ? 0 : layout == 2 ? c == 0 : c == n - 1;
        if (layout == 3 && ((o2 >> (c % 8)) & 1))
            slot[c] = COL_SKIP;
        else if (target)
            slot[c] = COL_TARGET, has_target = 1;
        else
            slot[c] = d++;
    }
    struct csv_layout lay = {.path = PATH, .delimiter = delim, .n_cols = n, .slot = slot,
                             .names = h.names, .n_features = d, .has_target = has_target,
                             .skip_bad_rows = skip,
                             .quote_free = !memchr(text, '"', len)};
    unsigned char *mode = malloc((size_t)d + 1), *miss = malloc((size_t)d + 1);
    struct enc_na na;
    struct enc_reader rd;
    g_levels = o1 >> 7;
    if (g_levels) {
        static const unsigned char modes[3] = {READ_NUMBER, READ_LEVEL, READ_AUTO};
        static const unsigned char misses[3] = {MISSING_MEAN, MISSING_SKIP, MISSING_ERROR};
        for (int j = 0; j < d; j++)
            mode[j] = modes[j % 3], miss[j] = misses[j % 3];
        CHECK(enc_na_init(&na, (o2 >> 4) & 1 ? ENC_NA_DEFAULT ",-99,0,1e400" : NULL, &e) == 0);
        CHECK(na.numeric == ((o2 >> 4) & 1));
        /* small dictionaries: their limits are reached too */
        rd = (struct enc_reader){.mode = mode, .miss = miss, .na = &na,
                                 .max_entries = 1 + (o2 & 15), .max_bytes = 64};
        lay.enc = &rd;
    }
    off_t begin = h.data_start, end = (off_t)len;
    int64_t lines = count_lines(text, begin, end);
    int plain = 1;  /* plain: no quote, no '\r' (the oracle's domain) */
    for (off_t i = begin; i < end; i++)
        if (text[i] == '\r' || text[i] == '"')
            plain = 0;

#ifdef FUZZ_FAST_PATH_ONLY
    /* the focused build (run.sh FOCUS=fast): only the fast path against libcsv */
    check_fast_path(text, begin, end, &lay, o1, lines, NULL);
    free_layout(slot, mode, miss, &na, g_levels);
    csv_head_free(&h);
    (void)plain, (void)n_ranks, (void)rank_threads;
    return 0;
#endif
    /* 1, 2, 3 threads must agree */
    struct result r1, rt;
    run_range(&r1, begin, end, &lay, 1, 0);
    check_result(&r1, &lay, lines);

    check_fast_path(text, begin, end, &lay, o1, lines, &r1);
    g_other_pieces = g_levels;
    for (int t = 2; t <= 3; t++) {
        run_range(&rt, begin, end, &lay, t, 0);
        check_result(&rt, &lay, lines);
        same_result(&r1, &rt, &lay);
        free_result(&rt, 0);
    }
#ifdef FUZZ_SMALL_BLOCKS
    fuzz_block_per_thread = 1 + (o1 & 31);
    run_range(&rt, begin, end, &lay, 1 + ((o1 >> 5) & 3) % 3, 1);
    check_result(&rt, &lay, lines);
    same_result(&r1, &rt, &lay);
    free_result(&rt, 1);
#else
    (void)o1;
#endif
    g_other_pieces = 0;
    if (g_levels) {  /* what follows assumes numbers only */
        free_result(&r1, 0);
        free_layout(slot, mode, miss, &na, g_levels);
        csv_head_free(&h);
        return 0;
    }

    /* a final newline changes nothing: the same rows, lines and error */
    if (end > begin && text[end - 1] != '\n') {
        if (pwrite(g_fd, "\n", 1, end) != 1) {
            perror("memfd write");
            abort();
        }
        run_range(&rt, begin, end + 1, &lay, 1, 0);
        same_result(&r1, &rt, &lay);
        free_result(&rt, 0);
        if (ftruncate(g_fd, end) != 0)
            abort();
    }

    /* the other --on-bad-row mode */
    struct csv_layout other = lay;
    other.skip_bad_rows = !skip;
    run_range(&rt, begin, end, &other, 1, 0);
    check_result(&rt, &other, lines);
    const struct result *fail_mode = skip ? &rt : &r1, *skip_mode = skip ? &r1 : &rt;
    CHECK(skip_mode->rc == 0 || skip_mode->e.code != LR_EDATA || quote_error(&skip_mode->e));
    if (skip_mode->rc == 0 && fail_mode->rc == 0) {
        CHECK(skip_mode->s.n_skipped == 0);
        same_result(fail_mode, skip_mode, &lay);
    } else if (skip_mode->rc == 0 && fail_mode->e.code == LR_EDATA) {
        CHECK(skip_mode->s.n_skipped > 0);
        CHECK(skip_mode->s.first_skipped[0] == fail_mode->e.line);
    } else if (skip_mode->rc != 0 && skip_mode->e.code == LR_EDATA) {
        /* a quote error stops both modes; an earlier bad record stops the fail mode first */
        CHECK(fail_mode->rc != 0 && fail_mode->e.code == LR_EDATA);
        CHECK(fail_mode->e.line <= skip_mode->e.line);
    }
    free_result(&rt, 0);

    /* several ranks */
    check_ranks(text, begin, end, &lay, n_ranks, rank_threads, &r1);

    /* the independent oracle */
    if (plain) {
        struct oracle orc;
        oracle_run(text + begin, (size_t)(end - begin), &lay, &orc);
        oracle_check(&orc, &r1, &lay);
        free(orc.X);
        free(orc.y);
    }

    free_result(&r1, 0);
    free_layout(slot, mode, miss, &na, g_levels);
    csv_head_free(&h);
    return 0;
}
