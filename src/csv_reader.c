/* csv_reader.c — parallel libcsv parsing of a byte range; see csv_reader.h. */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "numparse.h"
#include "shard.h"

#define BLOCK_PER_THREAD (8 << 20)  /* bytes of text each thread parses per block */

/* Rows parsed by one thread from one block, in file order. */
struct rows {
    int64_t n, cap;
    double *X, *y;
};

enum bad_kind { BAD_NONE, BAD_NUMBER, BAD_TOO_MANY, BAD_TOO_FEW, BAD_QUOTE, BAD_OPEN_QUOTE };

/* One thread's parsing state: the libcsv callbacks' context. */
struct parse_state {
    const struct csv_layout *lay;
    struct rows rows;
    int col;                   /* index of the next field in the current row */
    int bad;                   /* enum bad_kind of the current row's first problem */
    int bad_col, bad_status;
    char bad_text[48];
    const char *line;          /* current line and its length without the newline */
    size_t line_len;
    int line_open_quote;       /* the current line ends inside a quoted field */
    int64_t line_idx;          /* 0-based line index within this thread's piece */
    int64_t n_lines;
    int64_t n_skipped;
    int n_first_skipped;
    int64_t first_skipped[CSV_FIRST_SKIPPED];
    int failed;                /* stop parsing: err holds the first error */
    struct lr_error err;       /* err.line: line index within the piece */
};

static void rows_reserve(struct rows *r, int64_t n, int d, int has_y)
{
    if (n <= r->cap)
        return;
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < n)
        cap *= 2;
    r->X = lr_realloc(r->X, lr_bytes(cap, d, sizeof(double)));
    if (has_y)
        r->y = lr_realloc(r->y, lr_bytes(cap, 1, sizeof(double)));
    r->cap = cap;
}

/* 1-based byte column where field k of the line starts (quotes respected). */
static int64_t field_column(const char *line, size_t len, char delim, int k)
{
    int quoted = 0, field = 0;
    for (size_t i = 0; i < len; i++) {
        if (field == k)
            return (int64_t)i + 1;
        if (line[i] == '"')
            quoted = !quoted;
        else if (line[i] == delim && !quoted)
            field++;
    }
    return (int64_t)len + 1;
}

/* The current row is bad: fail, or count it and move on. */
static void reject_row(struct parse_state *st)
{
    const struct csv_layout *lay = st->lay;
    if (lay->skip_bad_rows) {
        if (st->n_first_skipped < CSV_FIRST_SKIPPED)
            st->first_skipped[st->n_first_skipped++] = st->line_idx;
        st->n_skipped++;
        return;
    }
    int64_t col = field_column(st->line, st->line_len, lay->delimiter, st->bad_col);
    char name[80] = "";
    if (st->bad_col < lay->n_cols)
        lr_escape(name, sizeof name, lay->names[st->bad_col], strlen(lay->names[st->bad_col]));
    struct lr_error *e = &st->err;
    switch (st->bad) {
    case BAD_NUMBER:
        lr_fail_at(e, LR_EDATA, lay->path, st->line_idx, col, "column '%s': '%s' %s", name,
                   st->bad_text, num_strerror(st->bad_status));
        break;
    case BAD_TOO_MANY:
        lr_fail_at(e, LR_EDATA, lay->path, st->line_idx, col,
                   "too many fields: expected %d (as in the header)", lay->n_cols);
        break;
    case BAD_TOO_FEW:
        lr_fail_at(e, LR_EDATA, lay->path, st->line_idx, col,
                   "too few fields: expected %d (as in the header), found %d", lay->n_cols,
                   st->bad_col);
        break;
    case BAD_QUOTE:
        lr_fail_at(e, LR_EDATA, lay->path, st->line_idx, col,
                   "misplaced quote: a quote may only enclose a whole field");
        break;
    default:
        lr_fail_at(e, LR_EDATA, lay->path, st->line_idx, col,
                   "quoted field not closed on this line (newlines inside quotes are not "
                   "supported)");
        break;
    }
    st->failed = 1;
}

static void on_field(void *s, size_t n, void *ctx)
{
    struct parse_state *st = ctx;
    const struct csv_layout *lay = st->lay;
    int c = st->col++;
    if (st->bad)
        return;
    if (c >= lay->n_cols) {
        st->bad = BAD_TOO_MANY;
        st->bad_col = c;
        return;
    }
    int slot = lay->slot[c];
    if (slot == COL_SKIP)
        return;
    double v;
    int rc = num_parse(s ? s : "", s ? n : 0, &v);
    if (rc != NUM_OK) {
        st->bad = BAD_NUMBER;
        st->bad_col = c;
        st->bad_status = rc;
        lr_escape(st->bad_text, sizeof st->bad_text, s ? s : "", s ? n : 0);
        return;
    }
    struct rows *r = &st->rows;
    if (slot >= 0)
        r->X[r->n * lay->n_features + slot] = v;
    else
        r->y[r->n] = v;
}

static void on_row(int term, void *ctx)
{
    struct parse_state *st = ctx;
    const struct csv_layout *lay = st->lay;
    if (term == -1 && st->line_open_quote) {  /* the root cause, whatever the field held */
        st->bad = BAD_OPEN_QUOTE;
        st->bad_col = st->col > 0 ? st->col - 1 : 0;
    }
    if (!st->bad && st->col != lay->n_cols) {
        st->bad = BAD_TOO_FEW;
        st->bad_col = st->col;
    }
    if (st->bad) {
        if (!st->failed)
            reject_row(st);
    } else {
        st->rows.n++;
        rows_reserve(&st->rows, st->rows.n + 1, lay->n_features, lay->has_target);
    }
    st->col = 0;
    st->bad = BAD_NONE;
}

static int is_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p == end;
}

static int space_no_tab(unsigned char c) { return c == ' '; }

static void parser_init(struct csv_parser *p, char delim)
{
    if (csv_init(p, CSV_STRICT | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
        LR_FATAL("cannot initialise the CSV parser");
    csv_set_delim(p, (unsigned char)delim);
    if (delim == '\t')  /* libcsv's built-in test (space or tab) is inlined and faster */
        csv_set_space_func(p, space_no_tab);
}

/* Parse the lines of [lo, hi) with parser p into st (one thread's piece of a block). */
static void parse_piece(struct csv_parser *p, const char *lo, const char *hi,
                        struct parse_state *st)
{
    const struct csv_layout *lay = st->lay;
    for (const char *line = lo; line < hi && !st->failed; st->line_idx++) {
        const char *nl = memchr(line, '\n', (size_t)(hi - line));
        const char *next = nl ? nl + 1 : hi;
        st->line = line;
        st->line_len = (size_t)((nl ? nl : hi) - line);
        if (st->line_len > 0 && line[st->line_len - 1] == '\r')
            st->line_len--;
        st->n_lines++;
        if (!is_blank(line, nl ? nl : hi)) {
            size_t len = (size_t)(next - line);
            size_t done = csv_parse(p, line, len, on_field, on_row, st);
            if (done < len) {  /* strict mode: a quote inside an unquoted field */
                st->bad = BAD_QUOTE;
                st->bad_col = st->col;
                if (!st->failed)
                    reject_row(st);
                csv_free(p);  /* clear libcsv's error state */
                parser_init(p, lay->delimiter);
                st->col = 0;
                st->bad = BAD_NONE;
            } else if (!nl || memchr(line, '"', st->line_len)) {
                /* Ends a row left open by an unclosed quote (on_row sees term -1), or
                   the file's last line when it has no newline. Without a quote, the
                   newline has already ended the row. The line ends inside a quoted
                   field when it holds an odd number of quotes: in strict mode (done ==
                   len) each quote opens, closes or doubles inside a quoted field.
                   (Found by fuzzing: telling it by the newline read a last line '1,"2'
                   without newline as 1,2.) */
                size_t quotes = 0;
                for (size_t i = 0; i < st->line_len; i++)
                    quotes += line[i] == '"';
                st->line_open_quote = quotes % 2;
                csv_fini(p, on_field, on_row, st);
            }
        }
        line = next;
    }
}

struct block_result {
    struct parse_state st;
    int64_t dest_row;          /* where this thread's rows go in the shard */
};

/* Parse one block of whole lines with the threads; append rows to out in file order. */
static int parse_block(const char *buf, size_t len, struct csv_parser *parsers,
                       struct block_result *res, int n_threads, int64_t line_base,
                       struct csv_shard *out, int64_t *cap, const struct csv_layout *lay,
                       struct lr_error *e)
{
    int failed = 0;
    int d = lay->n_features;
#pragma omp parallel num_threads(n_threads)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        struct block_result *r = &res[t];
        /* piece t: from the line start at or after len·t/T to the one at or after len·(t+1)/T */
        size_t a = len * (size_t)t / (size_t)n_threads, b = len * (size_t)(t + 1) / (size_t)n_threads;
        const char *lo = buf + a, *hi = buf + b;
        /* a or b is 0 when len < n_threads (a block of a few bytes, e.g. "5\n" with 3
           threads): offset 0 is a line start, and buf[-1] must not be read (found by
           fuzzing). */
        if (t > 0 && a > 0 && buf[a - 1] != '\n') {
            const char *nl = memchr(lo, '\n', len - a);
            lo = nl ? nl + 1 : buf + len;
        }
        if (t < n_threads - 1 && b > 0 && buf[b - 1] != '\n') {
            const char *nl = memchr(hi, '\n', len - b);
            hi = nl ? nl + 1 : buf + len;
        } else if (t == n_threads - 1) {
            hi = buf + len;
        }
        if (hi < lo)
            hi = lo;
        struct parse_state *st = &r->st;
        st->rows.n = 0;
        st->line_idx = st->n_lines = st->n_skipped = 0;
        st->n_first_skipped = 0;
        st->failed = 0;
        st->col = 0;
        st->bad = BAD_NONE;
        rows_reserve(&st->rows, 1, d, lay->has_target);
        parse_piece(&parsers[t], lo, hi, st);
#pragma omp barrier
#pragma omp single
        {
            /* Threads run in file order: the first failing one holds the first error. */
            int64_t base = line_base, rows = out->n_rows;
            for (int s = 0; s < n_threads && !failed; s++) {
                struct parse_state *q = &res[s].st;
                if (q->failed) {
                    *e = q->err;
                    e->line = base + q->err.line;
                    failed = 1;
                    break;
                }
                for (int k = 0; k < q->n_first_skipped && out->n_first_skipped < CSV_FIRST_SKIPPED; k++)
                    out->first_skipped[out->n_first_skipped++] = base + q->first_skipped[k];
                out->n_skipped += q->n_skipped;
                base += q->n_lines;
                res[s].dest_row = rows;
                rows += q->rows.n;
            }
            out->n_lines = base;
            if (!failed && rows > *cap) {
                int64_t c = *cap ? *cap : 1024;
                while (c < rows)
                    c *= 2;
                out->X = lr_realloc(out->X, lr_bytes(c, d, sizeof(double)));
                if (lay->has_target)
                    out->y = lr_realloc(out->y, lr_bytes(c, 1, sizeof(double)));
                *cap = c;
            }
        }
        if (!failed && st->rows.n > 0) {
            int64_t at = r->dest_row;
            memcpy(out->X + at * d, st->rows.X, (size_t)st->rows.n * (size_t)d * sizeof(double));
            if (lay->has_target)
                memcpy(out->y + at, st->rows.y, (size_t)st->rows.n * sizeof(double));
        }
    }
    if (failed)
        return -1;
    for (int s = 0; s < n_threads; s++)
        out->n_rows += res[s].st.rows.n;
    return 0;
}

int csv_read_range(int fd, off_t begin, off_t end, const struct csv_layout *lay, int n_threads,
                   struct csv_shard *out, struct lr_error *e)
{
    memset(out, 0, sizeof *out);
    if (n_threads < 1)
        n_threads = 1;
    size_t cap = (size_t)n_threads * BLOCK_PER_THREAD;
    if ((off_t)cap > end - begin)
        cap = (size_t)(end - begin) + 1;
    char *buf = lr_malloc(cap);
    struct csv_parser *parsers = lr_malloc((size_t)n_threads * sizeof *parsers);
    struct block_result *res = calloc((size_t)n_threads, sizeof *res);
    if (!res)
        LR_FATAL("out of memory");
    for (int t = 0; t < n_threads; t++) {
        parser_init(&parsers[t], lay->delimiter);
        res[t].st.lay = lay;
    }
    int rc = 0;
    int64_t row_cap = 0;
    size_t carry = 0;  /* bytes of an incomplete line kept at the start of buf */
    off_t pos = begin;
    while (pos < end || carry > 0) {
        size_t want = cap - carry;
        if ((off_t)want > end - pos)
            want = (size_t)(end - pos);
        ssize_t got = shard_pread(fd, buf + carry, want, pos);
        if (got < 0 || (size_t)got < want) {
            rc = lr_fail_at(e, LR_ENOINPUT, lay->path, 0, 0, "read error: %s",
                            got < 0 ? strerror(errno) : "file shrank while being read");
            break;
        }
        pos += got;
        size_t len = carry + (size_t)got, use = len;
        if (pos < end) {  /* process whole lines only; keep the tail for the next block */
            char *nl = memrchr(buf, '\n', len);
            if (!nl) {  /* a line longer than the buffer: grow it */
                cap *= 2;
                buf = lr_realloc(buf, cap);
                carry = len;
                continue;
            }
            use = (size_t)(nl - buf) + 1;
        }
        rc = parse_block(buf, use, parsers, res, n_threads, out->n_lines, out, &row_cap, lay, e);
        if (rc < 0)
            break;
        carry = len - use;
        memmove(buf, buf + use, carry);
    }
    for (int t = 0; t < n_threads; t++) {
        csv_free(&parsers[t]);
        free(res[t].st.rows.X);
        free(res[t].st.rows.y);
    }
    free(res);
    free(parsers);
    free(buf);
    if (rc < 0) {
        csv_shard_free(out);
        return -1;
    }
    if (out->n_rows < row_cap) {  /* give back the slack of the doubling */
        int64_t n = out->n_rows ? out->n_rows : 1;
        out->X = lr_realloc(out->X, lr_bytes(n, lay->n_features, sizeof(double)));
        if (lay->has_target)
            out->y = lr_realloc(out->y, lr_bytes(n, 1, sizeof(double)));
    }
    return 0;
}

void csv_shard_free(struct csv_shard *s)
{
    free(s->X);
    free(s->y);
    s->X = s->y = NULL;
    s->n_rows = 0;
}

/* ---- the head of the file (rank 0) ---- */

struct field_list {
    int n, cap;
    char **v;
};

static void on_head_field(void *s, size_t n, void *ctx)
{
    struct field_list *f = ctx;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 16;
        f->v = lr_realloc(f->v, (size_t)f->cap * sizeof *f->v);
    }
    char *copy = lr_malloc(n + 1);
    memcpy(copy, s ? s : "", n);
    copy[n] = '\0';
    f->v[f->n++] = copy;
}

static void on_head_row(int term, void *ctx) { (void)term, (void)ctx; }

static void free_fields(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Split one line (without its newline) into fields; -1 on a quote error. */
static int split_line(const char *line, size_t len, char delim, struct field_list *f,
                      const char *path, int64_t line_no, struct lr_error *e)
{
    struct csv_parser p;
    parser_init(&p, delim);
    memset(f, 0, sizeof *f);
    csv_set_opts(&p, (unsigned char)(csv_get_opts(&p) | CSV_STRICT_FINI));
    size_t done = csv_parse(&p, line, len, on_head_field, on_head_row, f);
    /* Under CSV_STRICT_FINI csv_fini returns -1 on an open quote, not CSV_EPARSE: a
       header '"a,b' must fail, not lose its last field (found by fuzzing). */
    int open_quote = done == len && csv_fini(&p, on_head_field, on_head_row, f) != 0;
    csv_free(&p);
    if (done < len || open_quote) {
        free_fields(f->v, f->n);
        memset(f, 0, sizeof *f);
        if (open_quote)
            return lr_fail_at(e, LR_EDATA, path, line_no, (int64_t)len + 1,
                              "quoted field not closed on this line (newlines inside quotes "
                              "are not supported)");
        return lr_fail_at(e, LR_EDATA, path, line_no, (int64_t)done + 1,
                          "misplaced quote: a quote may only enclose a whole field");
    }
    return 0;
}

/* Read from offset 0 until buf holds `want` complete lines or the whole file (*at_eof). */
static char *read_lines(int fd, int want, size_t *len_out, int *at_eof, struct lr_error *e,
                        const char *path)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = lr_malloc(cap);
    for (;;) {
        ssize_t k = shard_pread(fd, buf + len, cap - len, (off_t)len);
        if (k < 0) {
            free(buf);
            lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s", strerror(errno));
            return NULL;
        }
        len += (size_t)k;
        int lines = 0;
        for (char *p = buf; p < buf + len && lines < want; lines++) {
            char *nl = memchr(p, '\n', (size_t)(buf + len - p));
            if (!nl)
                break;
            p = nl + 1;
        }
        if (lines >= want || len < cap) {
            *len_out = len;
            *at_eof = len < cap;
            return buf;
        }
        cap *= 2;
        buf = lr_realloc(buf, cap);
    }
}

int csv_read_head(int fd, const char *path, char delimiter, int has_header, struct csv_head *h,
                  struct lr_error *e)
{
    memset(h, 0, sizeof *h);
    size_t len;
    int at_eof;
    /* the header plus a few lines, enough to find the first non-blank data line */
    char *buf = read_lines(fd, 8, &len, &at_eof, e, path);
    if (!buf)
        return -1;
    size_t bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const char *p = buf + bom, *end = buf + len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *first_end = nl ? nl : end;
    struct field_list f;
    int rc = -1;
    if (is_blank(buf + bom, end)) {
        lr_fail_at(e, LR_EDATA, path, 0, 0, "the file is empty: expected a header line%s",
                   has_header ? " and data rows" : " or data rows");
        goto done;
    }
    if (is_blank(p, first_end)) {
        lr_fail_at(e, LR_EDATA, path, 1, 1, "line 1 is blank: expected %s",
                   has_header ? "the header" : "a data row");
        goto done;
    }
    size_t line_len = (size_t)(first_end - p);
    if (line_len > 0 && p[line_len - 1] == '\r')
        line_len--;
    if (split_line(p, line_len, delimiter, &f, path, 1, e) < 0)
        goto done;
    h->n_cols = f.n;
    h->header_lines = has_header ? 1 : 0;
    h->data_start = has_header ? (nl ? (off_t)(nl + 1 - buf) : (off_t)len) : (off_t)bom;
    h->names = calloc((size_t)f.n, sizeof *h->names);  /* freed whole on a duplicate */
    if (!h->names)
        LR_FATAL("out of memory");
    for (int c = 0; c < f.n; c++) {
        char gen[32];
        const char *name = has_header && f.v[c][0] ? f.v[c] : gen;
        snprintf(gen, sizeof gen, "col%d", c + 1);
        h->names[c] = strdup(name);
        for (int k = 0; has_header && k < c; k++)
            if (strcmp(h->names[k], h->names[c]) == 0) {
                lr_fail_at(e, LR_EDATA, path, 1, field_column(p, line_len, delimiter, c),
                           "duplicate column name '%s' (also column %d)", name, k + 1);
                free_fields(f.v, f.n);
                goto done;
            }
    }
    /* first non-blank data line, for callers that look at the kind of each column */
    const char *q = has_header ? (nl ? nl + 1 : end) : p;
    free_fields(f.v, f.n);
    while (q < end) {
        const char *qn = memchr(q, '\n', (size_t)(end - q));
        if (!qn && at_eof)
            qn = end;  /* last line of the file without newline */
        if (!qn)
            break;
        if (!is_blank(q, qn)) {
            size_t ql = (size_t)(qn - q);
            if (ql > 0 && q[ql - 1] == '\r')
                ql--;
            struct lr_error ignore;
            if (split_line(q, ql, delimiter, &f, path, 0, &ignore) == 0) {
                if (f.n == h->n_cols) {
                    h->first_row = f.v;
                } else {
                    free_fields(f.v, f.n);
                }
            }
            break;
        }
        q = qn + 1;
    }
    rc = 0;
done:
    free(buf);
    if (rc < 0)
        csv_head_free(h);
    return rc;
}

void csv_head_free(struct csv_head *h)
{
    if (h->first_row)
        free_fields(h->first_row, h->n_cols);
    if (h->names)
        free_fields(h->names, h->n_cols);
    memset(h, 0, sizeof *h);
}
