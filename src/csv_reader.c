/* csv_reader.c — parallel RFC 4180 parsing of a byte range with libcsv; see csv_reader.h. */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "hash.h"
#include "numparse.h"
#include "par.h"
#include "scan.h"
#include "shard.h"

#define BLOCK_PER_THREAD (8 << 20)  /* bytes of text per piece of a block */

/* Bytes per piece: the layout's (tests), or the default. */
static size_t block_per_piece(const struct csv_layout *lay)
{
    return lay->block_bytes > 0 ? lay->block_bytes : BLOCK_PER_THREAD;
}

/* Rows parsed from one piece of a block, in file order: rows [first, n) of the arrays, which
   hold cap rows. first is 0, but for a block's only piece, which parses straight into the
   shard's arrays (rows_lend): then first is where the shard's rows end. */
struct rows {
    int64_t first, n, cap;
    double *X, *y, *w;
    double *offset;            /* with an --offset column: its values */
    uint64_t *g;               /* n×n_groups cluster keys */
    int64_t *at;               /* with csv_layout.keep_offsets: where each record starts */
    int64_t *le;               /* read block by block: the line after each record (0-based,
                                  from the piece's start) */
};

/* The piece's count of rows: those it parsed, not counting the shard's before them. */
static inline int64_t rows_count(const struct rows *r)
{
    return r->n - r->first;
}

enum bad_kind {
    BAD_NONE, BAD_NUMBER, BAD_TOO_MANY, BAD_TOO_FEW, BAD_QUOTE, BAD_OPEN_QUOTE, BAD_LONE_CR,
    BAD_WEIGHT,                /* bad_status: 1 negative, 0 not finite */
    BAD_MISSING,               /* bad_status: the enum enc_missing that applies */
    BAD_UNSEEN,                /* a level the model does not know, under --unknown-level error */
};

/* One piece's parsing state: the libcsv callbacks' context. */
struct piece {
    const struct csv_layout *lay;
    struct rows rows;
    int col;                   /* index of the next field in the current record */
    int rows_in_record;        /* rows libcsv ended in it: more than one means a lone CR */
    int bad;                   /* enum bad_kind of the current record's first problem */
    int bad_col, bad_status;
    char bad_text[48];
    const char *rec;           /* current record without its final newline */
    size_t rec_len;
    const char *piece_end;     /* where the piece's records end (messages look ahead) */
    int64_t rec_lines;         /* its physical lines */
    int64_t line_idx;          /* 0-based line of the record's start within the piece */
    int64_t n_skipped, skipped_cap;
    int64_t *skipped_at;       /* rows of this piece before each skipped record */
    int n_first_skipped;
    int64_t first_skipped[CSV_FIRST_SKIPPED], first_skipped_last[CSV_FIRST_SKIPPED];
    int64_t n_skipped_missing; /* of n_skipped: for a missing value */
    struct level_dict *dicts;  /* with lay->enc: per slot, this block's levels of the piece */
    int64_t **remap;           /* per slot: the piece's ids → the shard's (built per block) */
    int *added;                /* the slots whose dictionary gained a level in the current
                                  record, in order (~slot: whose full dictionary it marked in
                                  seen): a rejected record's are taken out again, so that
                                  only kept rows make levels */
    int n_added, added_cap;
    int rec_overflow;          /* the current record set overflow */
    unsigned char *seen;       /* per slot: 1 a number, 2 a level */
    int overflow;              /* 1 + the first slot whose dictionary is full (0: none) */
    int failed;                /* stop parsing: err holds the first error */
    struct lr_error err;       /* err.line: line index within the piece */
    uint32_t *field_end;       /* the fast path's delimiter offsets (scan.h), n_cols */
    const unsigned char *plan; /* line_record's enum line_kind per column, or NULL */
    const char *block;         /* the block's text and its offset in the file: where */
    int64_t block_off;         /* records start, with csv_layout.keep_offsets */
    int64_t *skipped_off;      /* ... and where each skipped record starts */
    unsigned char *skipped_why;  /* read block by block: 1 where a skipped record was skipped
                                    for a missing value */
    double *skipped_x;         /* with lay->keep_missing_rows: per skipped record, its values
                                  (csv_shard.skipped_x) */
    int64_t *missing;          /* a whole range read at once, with lay->enc: per slot, the
                                  kept rows whose value is missing (csv_shard.missing) */
    int rec_missing;           /* the current record holds a missing value */
};

static void rows_reserve(struct rows *r, int64_t n, int d, int has_y, int has_w, int has_o,
                         int n_g)
{
    if (n <= r->cap)
        return;
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < n)
        cap *= 2;
    r->X = lr_realloc(r->X, lr_bytes(cap, d, sizeof(double)));
    if (has_y)
        r->y = lr_realloc(r->y, lr_bytes(cap, 1, sizeof(double)));
    if (has_w)
        r->w = lr_realloc(r->w, lr_bytes(cap, 1, sizeof(double)));
    if (has_o)
        r->offset = lr_realloc(r->offset, lr_bytes(cap, 1, sizeof(double)));
    if (n_g)
        r->g = lr_realloc(r->g, lr_bytes(cap, n_g, sizeof(uint64_t)));
    if (r->at)
        r->at = lr_realloc(r->at, lr_bytes(cap, 1, sizeof(int64_t)));
    if (r->le)
        r->le = lr_realloc(r->le, lr_bytes(cap, 1, sizeof(int64_t)));
    r->cap = cap;
}

/* Byte offset in rec where field k starts (quotes respected); len when there are fewer. */
static size_t field_offset(const char *rec, size_t len, char delim, int k)
{
    int quoted = 0, field = 0;
    size_t i = 0;
    for (; i < len && field < k; i++) {
        if (rec[i] == '"')
            quoted = !quoted;
        else if (rec[i] == delim && !quoted)
            field++;
    }
    return i;
}

/* Byte offset in rec where its last field starts. */
static size_t last_field_offset(const char *rec, size_t len, char delim)
{
    int quoted = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (rec[i] == '"')
            quoted = !quoted;
        else if (rec[i] == delim && !quoted)
            start = i + 1;
    }
    return start;
}

/* Offset of the first carriage return outside quotes that no line feed follows. */
static size_t lone_cr_offset(const char *rec, size_t len)
{
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (rec[i] == '"')
            quoted = !quoted;
        else if (rec[i] == '\r' && !quoted && i + 1 < len && rec[i + 1] != '\n')
            return i;
    }
    return len;
}

/* Lines below the record's first line and 1-based byte column of offset at. */
static void place_of(const char *rec, size_t at, int64_t *below, int64_t *column)
{
    size_t line_start = 0;
    *below = 0;
    for (size_t i = 0; i < at; i++)
        if (rec[i] == '\n')
            ++*below, line_start = i + 1;
    *column = (int64_t)(at - line_start) + 1;
}

/* A column name as an option value: quoted for the shell unless plain. */
static void option_name(char *dst, size_t cap, const char *name)
{
    if (name[0] && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_.-") == strlen(name))
        snprintf(dst, cap, "%s", name);
    else
        snprintf(dst, cap, "'%s'", name);
}

/* Which cluster id column c is, or -1. */
static int group_of(const struct csv_layout *lay, int c)
{
    for (int k = 0; k < lay->n_groups; k++)
        if (lay->group_col[k] == c)
            return k;
    return -1;
}

#define TEXT_LOOKAHEAD ((size_t)1 << 20)  /* bytes a text-column message looks through */

/* Whether field c of the record rec[0..len) is text: not a number, not empty and not an
   --na-values string (spaces around it do not count, as when it is read). */
static int field_is_text(const struct csv_layout *lay, const char *rec, size_t len, int c)
{
    size_t a = field_offset(rec, len, lay->delimiter, c), b = a;
    for (int quoted = 0; b < len && (quoted || rec[b] != lay->delimiter); b++)
        quoted ^= rec[b] == '"';
    while (a < b && (rec[a] == ' ' || rec[a] == '\t'))
        a++;
    while (b > a && (rec[b - 1] == ' ' || rec[b - 1] == '\t' || rec[b - 1] == '\r'))
        b--;
    if (b - a >= 2 && rec[a] == '"' && rec[b - 1] == '"')
        a++, b--;
    double v;
    return a < b && num_parse(rec + a, b - a, &v) != NUM_OK &&
           !enc_is_missing(lay->enc->na, rec + a, b - a);
}

/* The feature columns read as numbers, other than col, whose fields hold text in the
   records from rec on (to end, or the first TEXT_LOOKAHEAD bytes), as "a,b" for an option
   and "'a', 'b'" for a sentence, in column order; how many. */
static int more_text_columns(const struct csv_layout *lay, const char *rec, const char *end,
                             int col, char *opts, char *names, size_t cap)
{
    unsigned char *text = lr_calloc((size_t)lay->n_cols, 1);
    if ((size_t)(end - rec) > TEXT_LOOKAHEAD)
        end = rec + TEXT_LOOKAHEAD;
    for (const char *r = rec; r < end;) {
        int64_t inside = 0;
        int open = 0;
        ssize_t k = shard_record_end(r, (size_t)(end - r), 0, &inside, &open);
        size_t len = k < 0 ? (size_t)(end - r) : (size_t)k;
        size_t body = len - (r[len - 1] == '\n');
        for (int c = 0; c < lay->n_cols; c++)
            if (c != col && !text[c] && lay->slot[c] >= 0 &&
                lay->enc->mode[lay->slot[c]] == READ_NUMBER)
                text[c] = (unsigned char)field_is_text(lay, r, body, c);
        r += len;
    }
    int n = 0;
    for (int c = 0; c < lay->n_cols && strlen(opts) + 100 < cap; c++) {
        if (!text[c])
            continue;
        char name[96], opt[100];
        lr_escape(name, sizeof name - 2, lay->names[c], strlen(lay->names[c]));
        option_name(opt, sizeof opt, name);
        snprintf(opts + strlen(opts), cap - strlen(opts), ",%s", opt);
        snprintf(names + strlen(names), cap - strlen(names), ", '%s'", name);
        n++;
    }
    free(text);
    return n;
}

/* What would let the user through a value that is not a number or is empty. In training,
   the other text columns of the records from rec to end (this part of the block) are named
   with it, so that one run shows them all. */
static void value_hint(const struct csv_layout *lay, int col, const char *rec, const char *end,
                       char *dst, size_t cap)
{
    const char *skip = "skip such rows with --on-bad-row skip";
    char name[96], opt[600], names[600] = "", cat[800] = "";
    lr_escape(name, sizeof name - 2, lay->names[col], strlen(lay->names[col]));
    option_name(opt, 100, name);
    /* with an encoding the column could be read as categorical */
    if (lay->enc && lay->slot[col] >= 0 && lay->hint == CSV_HINT_DROP && rec &&
        more_text_columns(lay, rec, end, col, opt + strlen(opt), names, sizeof opt) > 0) {
        snprintf(dst, cap, "; column%s %s hold%s text too: one-hot encode "
                 "them with --categorical %s (or --categorical auto: every text column), leave "
                 "them out with --drop %s, or %s", strchr(names + 2, ',') ? "s" : "",
                 names + 2, strchr(names + 2, ',') ? "" : "s", opt, opt, skip);
        return;
    }
    if (lay->enc)
        snprintf(cat, sizeof cat, "one-hot encode it with --categorical %s (or --categorical "
                 "auto: every text column), ", opt);
    if (lay->slot[col] == COL_WEIGHT)
        snprintf(dst, cap, "; it is the --weights column: fix the value, or %s", skip);
    else if (lay->slot[col] == COL_OFFSET)
        snprintf(dst, cap, "; it is the --offset column, which adds its number to each row's "
                 "prediction: fix the value, or %s", skip);
    else if (group_of(lay, col) >= 0)
        snprintf(dst, cap, "; it is a --cov cluster column: fill in the id, or skip such rows "
                 "with --missing skip");
    else if (lay->slot[col] == COL_TARGET && lay->hint == CSV_HINT_MODEL)
        snprintf(dst, cap, "; it is the model's target column: %s", skip);
    else if (lay->slot[col] == COL_TARGET && lay->formula)
        snprintf(dst, cap, "; it is the formula's response (the left of ~), a number: "
                 "change the formula's response, or %s", skip);
    else if (lay->slot[col] == COL_TARGET)
        snprintf(dst, cap, "; it is the target (--drop does not apply): choose another with "
                 "--target, or %s", skip);
    else if (lay->hint == CSV_HINT_MODEL)
        snprintf(dst, cap, "; the model needs this column: %s", skip);
    else if (lay->hint == CSV_HINT_FEATURES)
        snprintf(dst, cap, "; %sleave the column out of --features, or %s", cat, skip);
    else
        snprintf(dst, cap, "; %sleave the column out with --drop %s, or %s", cat, opt, skip);
}

/* Fail on the current record: where its bad field is, and what is wrong there. */
static void fail_record(struct piece *st)
{
    const struct csv_layout *lay = st->lay;
    size_t at = st->bad == BAD_LONE_CR      ? lone_cr_offset(st->rec, st->rec_len)
                : st->bad == BAD_OPEN_QUOTE ? last_field_offset(st->rec, st->rec_len,
                                                                lay->delimiter)
                                            : field_offset(st->rec, st->rec_len,
                                                           lay->delimiter, st->bad_col);
    int64_t below, col;
    place_of(st->rec, at, &below, &col);
    char where[96] = "", name[80] = "", hint[2048] = "";
    if (below > 0)  /* the field starts after a newline inside quotes */
        snprintf(where, sizeof where, " (%lld line%s below, at column %lld)",
                 (long long)below, below == 1 ? "" : "s", (long long)col);
    if (st->bad_col < lay->n_cols)
        lr_escape(name, sizeof name, lay->names[st->bad_col], strlen(lay->names[st->bad_col]));
    struct lr_error *e = &st->err;
    const char *path = lay->path;
    int64_t line = st->line_idx, column = below > 0 ? 1 : col;
    switch (st->bad) {
    case BAD_NUMBER:
        if (st->bad_status != NUM_RANGE)
            value_hint(lay, st->bad_col, st->rec, st->piece_end, hint, sizeof hint);
        lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: '%s' %s%s", name, where,
                   st->bad_text, num_strerror(st->bad_status), hint);
        break;
    case BAD_WEIGHT:
        value_hint(lay, st->bad_col, NULL, NULL, hint, sizeof hint);
        lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: weight '%s' is %s: a "
                   "sample weight is a finite number >= 0%s", name, where, st->bad_text,
                   st->bad_status ? "negative" : "not finite", hint);
        break;
    case BAD_MISSING:
        if (lay->slot[st->bad_col] == COL_WEIGHT || lay->slot[st->bad_col] == COL_OFFSET) {
            value_hint(lay, st->bad_col, NULL, NULL, hint, sizeof hint);
            lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: '%s' is an --na-values "
                       "string, a missing value%s", name, where, st->bad_text, hint);
            break;
        }
        if (group_of(lay, st->bad_col) >= 0) {
            value_hint(lay, st->bad_col, NULL, NULL, hint, sizeof hint);
            lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: '%s' is a missing "
                       "cluster id%s", name, where, st->bad_text, hint);
            break;
        }
        /* a formula takes no mean: one put in before its functions would stand for a
           value of the term that R never fits; nor does a model's column it gave none */
        lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: '%s' is a missing value; "
                   "--missing skip skips such rows%s (--na-values says which strings are "
                   "missing)", name, where, st->bad_text,
                   !lay->formula && !(lay->enc && lay->enc->fills_fixed)
                                                ? ", --missing mean fills in the column's "
                                                  "training mean"
                   : lay->hint != CSV_HINT_MODEL ? ", as R's lm() does (na.omit)"
                                                 : "");
        break;
    case BAD_UNSEEN:
        lr_fail_at(e, LR_EDATA, path, line, column, "column '%s'%s: level '%s' was not seen in "
                   "training, so the model has no coefficient for it; --unknown-level zero "
                   "accepts it as the reference level (all-zero columns)", name, where,
                   st->bad_text);
        break;
    case BAD_TOO_MANY:
        lr_fail_at(e, LR_EDATA, path, line, column,
                   "too many fields%s: expected %d (as in the header)", where, lay->n_cols);
        break;
    case BAD_TOO_FEW:
        lr_fail_at(e, LR_EDATA, path, line, column,
                   "too few fields%s: expected %d (as in the header), found %d", where,
                   lay->n_cols, st->bad_col);
        break;
    case BAD_QUOTE:
        lr_fail_at(e, LR_EDATA, path, line, column,
                   "misplaced quote%s: a quote may only enclose a whole field, and a quote "
                   "inside a quoted field is written twice%s", where, lay->skip_bad_rows
                   ? " (--on-bad-row skip cannot skip it: where every later record ends "
                     "depends on the quotes before it)" : "");
        break;
    case BAD_LONE_CR:
        lr_fail_at(e, LR_EDATA, path, line, column,
                   "carriage return without a line feed%s: CR-only line endings are not "
                   "supported (convert them, e.g. tr '\\r' '\\n')", where);
        break;
    default:
        lr_fail_at(e, LR_EDATA, path, line, column,
                   "quoted field not closed%s: its quote runs to the end of the file "
                   "(%lld line%s)%s", where, (long long)st->rec_lines,
                   st->rec_lines == 1 ? "" : "s", lay->skip_bad_rows
                   ? "; --on-bad-row skip cannot skip it, as it would take those lines with it"
                   : "");
        break;
    }
    st->failed = 1;
}

/* The levels the current record added, taken out again: it is not kept (or not here). */
static void drop_added(struct piece *st)
{
    while (st->n_added > 0) {
        int a = st->added[--st->n_added];
        if (a >= 0)
            dict_pop(&st->dicts[a]);
        else
            st->seen[~a] &= (unsigned char)~4;
    }
    if (st->rec_overflow)
        st->overflow = 0;
    st->rec_overflow = 0;
}

/* Slot a (or ~slot) into the current record's list of what it added. */
static void note_added(struct piece *st, int a)
{
    if (st->n_added == st->added_cap) {
        st->added_cap = st->added_cap ? 2 * st->added_cap : 8;
        st->added = lr_realloc(st->added, (size_t)st->added_cap * sizeof *st->added);
    }
    st->added[st->n_added++] = a;
}

/* A skipped record's values into x (n_features + 1): the current row's when it was skipped
   for a missing value and every field was seen (the fields after the missing one were
   read by shadow_value), else NaNs. */
static void keep_values(const struct piece *st, int missing_skip, double *x)
{
    const struct csv_layout *lay = st->lay;
    int d = lay->n_features;
    int whole = missing_skip && st->col == lay->n_cols && st->rows_in_record <= 1;
    for (int j = 0; j < d; j++)
        x[j] = whole ? st->rows.X[st->rows.n * d + j] : NAN;
    x[d] = whole && lay->has_target ? st->rows.y[st->rows.n] : NAN;
}

/* The current record is bad: fail, or count it and move on. A quote out of place or never
   closed fails even in skip mode: where every later record ends depends on the quotes
   before it, so skipping would silently take the following lines with it. */
static void reject_record(struct piece *st)
{
    /* a missing value under --missing skip (or a missing target) is skipped as such; under
       --missing error it is a bad record like any other */
    int missing_skip = st->bad == BAD_MISSING && st->bad_status == MISSING_SKIP;
    int skip = missing_skip || (st->lay->skip_bad_rows && st->bad != BAD_QUOTE &&
                                st->bad != BAD_OPEN_QUOTE);
    if (!skip) {
        fail_record(st);
        return;
    }
    st->n_skipped_missing += missing_skip;
    drop_added(st);  /* its new levels: no kept row holds them */
    if (st->n_first_skipped < CSV_FIRST_SKIPPED) {
        st->first_skipped[st->n_first_skipped] = st->line_idx;
        st->first_skipped_last[st->n_first_skipped++] = st->line_idx + st->rec_lines - 1;
    }
    if (st->n_skipped == st->skipped_cap) {
        st->skipped_cap = st->skipped_cap ? 2 * st->skipped_cap : 16;
        st->skipped_at = lr_realloc(st->skipped_at, lr_bytes(st->skipped_cap, 1, sizeof(int64_t)));
        if (st->lay->keep_offsets)
            st->skipped_off = lr_realloc(st->skipped_off,
                                         lr_bytes(st->skipped_cap, 1, sizeof(int64_t)));
        if (st->rows.le)
            st->skipped_why = lr_realloc(st->skipped_why, (size_t)st->skipped_cap);
        if (st->lay->keep_missing_rows)
            st->skipped_x = lr_realloc(st->skipped_x, lr_bytes(st->skipped_cap,
                                       st->lay->n_features + 1, sizeof(double)));
    }
    if (st->skipped_off)
        st->skipped_off[st->n_skipped] = st->block_off + (st->rec - st->block);
    if (st->skipped_x)
        keep_values(st, missing_skip, st->skipped_x + st->n_skipped * (st->lay->n_features + 1));
    if (st->skipped_why)
        st->skipped_why[st->n_skipped] = (unsigned char)missing_skip;
    st->skipped_at[st->n_skipped++] = rows_count(&st->rows);
}

/* A cluster id's key: a number by its value (1 and 1.0 are one cluster), anything else by
   its bytes; the two kinds are told apart by the top bit. */
static uint64_t group_key(const char *s, size_t n)
{
    double v;
    uint64_t b;
    if (num_parse(s, n, &v) == NUM_OK) {
        v = v == 0 ? 0 : v;  /* -0 is 0 */
        memcpy(&b, &v, sizeof b);
        return mix64(b) | (1ull << 63);
    }
    return hash_bytes(s, n) & ~(1ull << 63);
}

/* Mark the current record bad at column c, keeping the field's text for the message. */
static void mark_bad(struct piece *st, int kind, int c, int status, const char *text, size_t len)
{
    st->bad = kind;
    st->bad_col = c;
    st->bad_status = status;
    lr_escape(st->bad_text, sizeof st->bad_text, text, len);
}

/* The value that stands for the level text[0..len) (not a missing value) of feature slot
   `slot` read in `mode` (READ_LEVEL, READ_AUTO or READ_FIXED): its id in this piece's
   dictionary, or in the model's list. -1: a level the model does not know, under
   --unknown-level error. */
static int level_value(struct piece *st, int slot, int mode, const char *text, size_t len,
                       double *v)
{
    const struct enc_reader *enc = st->lay->enc;
    if (mode == READ_FIXED) {
        int64_t id = dict_find(&enc->fixed[slot], text, len);
        if (id < 0 && enc->unknown_error)
            return -1;
        *v = enc_level_value(id < 0 ? ENC_UNSEEN : (uint64_t)id);
        return 0;
    }
    struct level_dict *d = &st->dicts[slot];
    int64_t had = d->n;
    int64_t id = dict_intern(d, text, len, enc->max_entries, enc->max_bytes);
    /* new, or the dictionary found full: the record's until it is kept (end_record) */
    if (d->n > had)
        note_added(st, slot);
    if (id < 0 && !(st->seen[slot] & 4))
        note_added(st, ~slot);
    if (id < 0 && !st->overflow) {
        st->overflow = 1 + slot;
        st->rec_overflow = 1;
    }
    st->seen[slot] |= id < 0 ? 2 | 4 : 2;
    *v = enc_level_value(id < 0 ? 0 : (uint64_t)id);
    return 0;
}

/*
 * Every decision about one field's value, in one place: a number; missing (empty or an NA
 * string: kept as a NaN, or the record skipped or failed as enc->miss says); a categorical
 * level (an id in this piece's dictionary, or the model's index, or unseen); or an error.
 * Stores the value in the current row, or marks the record bad. Any tokenizer of records
 * (libcsv's callbacks here) calls it for every field of a used column.
 */
/* v into the current row's place for feature slot `slot` or the target; nothing for the
   other slots. */
static void put_value(struct piece *st, int slot, double v)
{
    struct rows *r = &st->rows;
    if (slot >= 0)
        r->X[r->n * st->lay->n_features + slot] = v;
    else if (slot == COL_TARGET)
        r->y[r->n] = v;
}

/* With keep_missing_rows, a field after the current record's missing value (it will be
   skipped): a feature's or the target's number, else NaN (a level, text, another missing
   value), into the row; nothing is marked or interned. */
static void shadow_value(struct piece *st, int c, const char *text, size_t len)
{
    int slot = st->lay->slot[c];
    const struct enc_reader *enc = st->lay->enc;
    double v;
    if (slot >= 0 && enc && enc->mode[slot] != READ_NUMBER && enc->mode[slot] != READ_AUTO)
        v = NAN;
    else if (num_parse(text, len, &v) != NUM_OK)
        v = NAN;
    put_value(st, slot, v);
}

static void field_value(struct piece *st, int c, const char *text, size_t len)
{
    const struct csv_layout *lay = st->lay;
    const struct enc_reader *enc = lay->enc;
    int slot = lay->slot[c];
    int mode = enc && slot >= 0 ? enc->mode[slot] : READ_NUMBER;
    double v = 0;
    int rc = NUM_SYNTAX;
    int group = lay->n_groups ? group_of(lay, c) : -1;
    if (group >= 0) {  /* a cluster id: its key, never a missing value */
        if (len == 0 || (enc && enc_is_missing(enc->na, text, len))) {
            mark_bad(st, BAD_MISSING, c, lay->groups_skip_missing ? MISSING_SKIP : MISSING_ERROR,
                     text, len);
            if (lay->keep_missing_rows)
                put_value(st, slot, NAN);
            return;
        }
        st->rows.g[st->rows.n * lay->n_groups + group] = group_key(text, len);
        if (slot == COL_SKIP)
            return;
    }
    if (mode == READ_NUMBER || mode == READ_AUTO) {
        rc = num_parse(text, len, &v);
        /* a weight or an offset is a number, never missing */
        int strict = !enc || slot == COL_WEIGHT || slot == COL_OFFSET;
        /* an --na-values string is missing whatever it would convert to (-99): its bytes
           decide, as R's na.strings */
        if ((rc == NUM_OK || rc == NUM_RANGE) && enc && enc->na->numeric &&
            enc_is_missing(enc->na, text, len)) {
            if (strict) {
                mark_bad(st, BAD_MISSING, c, MISSING_ERROR, text, len);
                return;
            }
            rc = NUM_SYNTAX;  /* the missing value's branch below */
        }
        if (rc == NUM_RANGE || (rc != NUM_OK && strict)) {
            mark_bad(st, BAD_NUMBER, c, rc, text, len);
            return;
        }
        if (rc == NUM_OK && mode == READ_AUTO)
            st->seen[slot] |= 1;
    }
    if (rc != NUM_OK && enc) {
        if (enc_is_missing(enc->na, text, len)) {
            int action = slot >= 0 ? enc->miss[slot]
                         : enc->target_keep_missing ? MISSING_MEAN : MISSING_SKIP;
            if (action != MISSING_MEAN) {
                mark_bad(st, BAD_MISSING, c, action, text, len);
                if (lay->keep_missing_rows)
                    put_value(st, slot, NAN);
                return;
            }
            v = enc_missing_value();
            st->rec_missing |= slot >= 0;
        } else if (mode == READ_NUMBER) {
            mark_bad(st, BAD_NUMBER, c, rc, text, len);
            return;
        } else if (level_value(st, slot, mode, text, len, &v) < 0) {
            mark_bad(st, BAD_UNSEEN, c, 0, text, len);
            return;
        }
    }
    if (slot == COL_WEIGHT && !(v >= 0 && v < INFINITY)) {
        mark_bad(st, BAD_WEIGHT, c, v < 0, text, len);
        return;
    }
    struct rows *r = &st->rows;
    if (slot >= 0)
        r->X[r->n * lay->n_features + slot] = v;
    else if (slot == COL_WEIGHT)
        r->w[r->n] = v;
    else if (slot == COL_OFFSET)
        r->offset[r->n] = v;
    else
        r->y[r->n] = v;
}

/* The current record is to be skipped for a missing value (--missing skip, a missing
   target): a later problem of another kind still makes it a bad record. */
static int skipped_missing(const struct piece *st)
{
    return st->bad == BAD_MISSING && st->bad_status == MISSING_SKIP;
}

static void check_field(struct piece *st, int c, const char *s, size_t n);

static void on_field(void *s, size_t n, void *ctx)
{
    struct piece *st = ctx;
    int c = st->col++;
    if (!st->bad) {
        check_field(st, c, s, n);
        return;
    }
    if (!skipped_missing(st))
        return;
    /* the rest of a record skipped for a missing value is read as any other, so that one
       also malformed (a field that is not a number, too many fields) is not counted as
       merely missing; the first missing value stays the cause unless such a fault follows */
    int bad_col = st->bad_col, bad_status = st->bad_status;
    char bad_text[sizeof st->bad_text];
    memcpy(bad_text, st->bad_text, sizeof bad_text);
    st->bad = BAD_NONE;
    check_field(st, c, s, n);
    if (!st->bad || skipped_missing(st)) {
        st->bad = BAD_MISSING;
        st->bad_col = bad_col, st->bad_status = bad_status;
        memcpy(st->bad_text, bad_text, sizeof bad_text);
        if (st->lay->keep_missing_rows && c < st->lay->n_cols && st->rows_in_record == 0)
            shadow_value(st, c, s ? s : "", s ? n : 0);
    }
}

/* Field c of the current record, which has no problem so far. */
static void check_field(struct piece *st, int c, const char *s, size_t n)
{
    const struct csv_layout *lay = st->lay;
    if (st->rows_in_record > 0) {  /* libcsv ended a row before the record's end */
        st->bad = BAD_LONE_CR;
        st->bad_col = c;
        return;
    }
    if (c >= lay->n_cols) {
        st->bad = BAD_TOO_MANY;
        st->bad_col = c;
        return;
    }
    if (lay->slot[c] != COL_SKIP || (lay->n_groups && group_of(lay, c) >= 0))
        field_value(st, c, s ? s : "", s ? n : 0);
}

static void on_row(int term, void *ctx)
{
    struct piece *st = ctx;
    if (st->rows_in_record++ == 0 && (!st->bad || skipped_missing(st)) &&
        st->col != st->lay->n_cols) {
        st->bad = BAD_TOO_FEW;
        st->bad_col = st->col;
    }
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

/* The current record's fields are all in (from libcsv or the fast path): keep its row or
   reject it, and start the next. */
static void end_record(struct piece *st)
{
    const struct csv_layout *lay = st->lay;
    if (st->bad) {
        reject_record(st);
    } else {
        if (st->rows.at)
            st->rows.at[st->rows.n] = st->block_off + (st->rec - st->block);
        if (st->rows.le)
            st->rows.le[st->rows.n] = st->line_idx + st->rec_lines;
        if (lay->offset_target && lay->has_target)  /* the target the fit compares with */
            st->rows.y[st->rows.n] -= st->rows.offset[st->rows.n];
        for (int j = 0; st->rec_missing && st->missing && j < lay->n_features; j++)
            st->missing[j] += enc_is_missing_value(st->rows.X[st->rows.n * lay->n_features + j]);
        st->rows.n++;
        rows_reserve(&st->rows, st->rows.n + 1, lay->n_features, lay->has_target,
                     lay->has_weight, lay->has_offset, lay->n_groups);
    }
    st->col = st->rows_in_record = st->rec_missing = st->n_added = st->rec_overflow = 0;
    st->bad = BAD_NONE;
}

/*
 * Parse one record, rec[0..len), which ends with its newline when `ended`, else at the end
 * of the data (then `open` says whether a quoted field is still open there).
 */
static void parse_record(struct csv_parser *p, const char *rec, size_t len, int ended,
                         int open, struct piece *st)
{
    const struct csv_layout *lay = st->lay;
    size_t done = csv_parse(p, rec, len, on_field, on_row, st);
    if (done < len) {  /* strict mode: a quote inside an unquoted field, or after one */
        if (!st->bad || st->bad == BAD_TOO_MANY) {
            st->bad = BAD_QUOTE;
            st->bad_col = st->col;
        }
        csv_free(p);  /* clear libcsv's error state */
        parser_init(p, lay->delimiter);
    } else if (!ended) {
        if (open) {  /* the root cause, whatever the open field held */
            st->bad = BAD_OPEN_QUOTE;
            st->bad_col = st->col;
        }
        csv_fini(p, on_field, on_row, st);
    }
    end_record(st);
}

/* ---- the fast path for plain lines (scan.h) ---- */

/*
 * The record at rec, when it is a plain line with the layout's number of fields: the
 * calls libcsv would make (on_field for each field, spaces around it removed and NULL
 * when empty, then on_row) and the same end. Returns the bytes used, or 0: the record is
 * libcsv's (quotes, a stray carriage return, another number of fields, a blank line).
 * Nothing of st has changed then.
 */
static size_t fast_record(const char *rec, const char *hi, struct piece *st)
{
    const struct csv_layout *lay = st->lay;
    char delim = lay->delimiter;
    int n_at;
    size_t content;
    size_t len = scan_line(rec, (size_t)(hi - rec), delim, lay->n_cols - 1, st->field_end,
                           &n_at, &content);
    if (len == 0 || n_at != lay->n_cols - 1 || is_blank(rec, rec + content))
        return 0;
    st->rec = rec;
    st->rec_len = len - (rec[len - 1] == '\n');
    st->rec_lines = 1;
    size_t f0 = 0;
    for (int c = 0; c <= n_at; c++) {
        size_t f1 = c < n_at ? st->field_end[c] : content;
        while (f0 < f1 && scan_is_space(rec[f0], delim))
            f0++;
        while (f1 > f0 && scan_is_space(rec[f1 - 1], delim))
            f1--;
        on_field(f1 > f0 ? (void *)(rec + f0) : NULL, f1 - f0, st);
        f0 = (c < n_at ? st->field_end[c] : content) + 1;
    }
    on_row(0, st);
    end_record(st);
    return len;
}

/* ---- the one-pass path for plain lines ---- */

/* What line_record does with each column. */
enum line_kind {
    LK_SKIP,                   /* a field not read: stepped over */
    LK_X,                      /* a feature read as a number */
    LK_X_AUTO,                 /* ... that may also be a level (READ_AUTO): a number here */
    LK_LEVEL,                  /* a feature whose values are levels (READ_LEVEL, READ_FIXED) */
    LK_Y, LK_W, LK_OFFSET,     /* the target, the weight, the --offset column: numbers */
};

/* The layout's kind per column for line_record, or NULL where it does not apply: cluster
   id columns, no column read, or a delimiter that a number or the spaces around a field
   may hold (a digit, a sign, '.', 'e', ' '). Malloc'd. */
static unsigned char *line_plan(const struct csv_layout *lay)
{
    char d = lay->delimiter;
    if (lay->libcsv_only || lay->n_groups || (d >= '0' && d <= '9') || strchr("+-.eE ", d))
        return NULL;
    unsigned char *kind = lr_malloc((size_t)lay->n_cols);
    int used = 0;
    for (int c = 0; c < lay->n_cols; c++) {
        int slot = lay->slot[c];
        int mode = lay->enc && slot >= 0 ? lay->enc->mode[slot] : READ_NUMBER;
        kind[c] = slot == COL_SKIP ? LK_SKIP : slot == COL_TARGET ? LK_Y
                  : slot == COL_WEIGHT ? LK_W : slot == COL_OFFSET ? LK_OFFSET
                  : mode == READ_NUMBER ? LK_X : mode == READ_AUTO ? LK_X_AUTO : LK_LEVEL;
        used += kind[c] != LK_SKIP;
    }
    if (!used) {  /* a line of spaces would pass for a record of empty fields */
        free(kind);
        return NULL;
    }
    return kind;
}

/*
 * The record at rec in one pass, when it is a plain line (scan.h) with the layout's number
 * of fields whose every number is a number and every level a level: each number's
 * conversion finds its field's end (num_scan), the value goes straight into the row, and
 * only spaces may stand between it and the delimiter or the line's end. libcsv would see
 * the same fields (no quote, no carriage return but the line's last, spaces around each
 * field removed) and field_value would store the same bits (num_parse is num_scan between
 * the field's trimmed ends). Returns the bytes used, or 0 at anything else (an empty or NA
 * field, a number written as an --na-values string, text, a quote, another number of
 * fields, a negative weight): the record goes to
 * fast_record and libcsv, which decide it from scratch. Nothing has changed then but the
 * current row's unkept values and levels interned, which those paths intern again (the
 * same ids) before they reach the field that stopped this one (and take out again if they
 * reject the record).
 */
static size_t line_record(const char *rec, const char *hi, struct piece *st,
                          const unsigned char *kind)
{
    const struct csv_layout *lay = st->lay;
    const char delim = lay->delimiter;
    struct rows *r = &st->rows;
    double *x = r->X + r->n * lay->n_features;
    /* the --na-values strings, when one of them reads as a number: else no number is one */
    const struct enc_na *na_numbers = lay->enc && lay->enc->na->numeric ? lay->enc->na : NULL;
    const char *p = rec;
    for (int c = 0;; c++) {
        while (p < hi && scan_is_space(*p, delim))
            p++;
        int k = kind[c];
        if (k == LK_SKIP || k == LK_LEVEL) {
            const char *f = p;
            while (p < hi && *p != delim && *p != '\n' && *p != '"' && *p != '\r')
                p++;
            if (p < hi && *p == '"')
                return 0;
            if (k == LK_LEVEL) {
                const char *e = p;
                while (e > f && scan_is_space(e[-1], delim))
                    e--;
                int slot = lay->slot[c];
                double v;
                if (enc_is_missing(lay->enc->na, f, (size_t)(e - f)) ||
                    level_value(st, slot, lay->enc->mode[slot], f, (size_t)(e - f), &v) < 0)
                    return 0;
                x[slot] = v;
            }
        } else {
            double v;
            const char *stop;
            if (num_scan(p, hi, &v, &stop) != NUM_OK)
                return 0;
            /* a number that is an --na-values string (-99): field_value's */
            if (na_numbers && enc_is_missing(na_numbers, p, (size_t)(stop - p)))
                return 0;
            for (p = stop; p < hi && scan_is_space(*p, delim);)
                p++;
            if (p < hi && *p != delim && *p != '\n' && *p != '\r')
                return 0;  /* junk after the number: a field of text, or a quote */
            switch (k) {
            case LK_X_AUTO: st->seen[lay->slot[c]] |= 1; /* fall through */
            case LK_X: x[lay->slot[c]] = v; break;
            case LK_Y: r->y[r->n] = v; break;
            case LK_OFFSET: r->offset[r->n] = v; break;
            default:
                if (!(v >= 0 && v < INFINITY))
                    return 0;
                r->w[r->n] = v;
            }
        }
        if (c == lay->n_cols - 1)
            break;
        if (p == hi || *p != delim)  /* too few fields */
            return 0;
        p++;
    }
    /* the line's end: a line feed, a carriage return and a line feed, or the data's end
       (a carriage return as its last byte) */
    if (p < hi && *p == '\r' && !(++p == hi || *p == '\n'))
        return 0;
    if (p < hi && *p++ != '\n')
        return 0;
    size_t len = (size_t)(p - rec);
    st->rec = rec;
    st->rec_len = len - (rec[len - 1] == '\n');
    st->rec_lines = 1;
    end_record(st);
    return len;
}

/* Parse the records of [lo, hi) with parser p into st; hi is a record start or the end,
   unless more data follows (`more`): then a record that does not end before hi is left
   unread. Returns where the records read end. */
static const char *parse_piece(struct csv_parser *p, const char *lo, const char *hi,
                               struct piece *st, int more)
{
    st->piece_end = hi;
    const char *rec = lo;
    while (rec < hi && !st->failed) {
        size_t used = st->plan ? line_record(rec, hi, st, st->plan) : 0;
        if (!used && !st->lay->libcsv_only)
            used = fast_record(rec, hi, st);
        if (used > 0) {
            if (!st->failed)
                st->line_idx++;
            rec += used;
            continue;
        }
        int64_t inside = 0;
        int open = 0;
        /* the usual record: one line with an even number of quotes; else the scan that
           follows the parity over several lines */
        const char *nl = memchr(rec, '\n', (size_t)(hi - rec));
        ssize_t k = nl && !(shard_quotes(rec, (size_t)(nl - rec)) & 1)
                        ? nl + 1 - rec
                        : shard_record_end(rec, (size_t)(hi - rec), 0, &inside, &open);
        if (k < 0 && more) {  /* it ends in the next block, which reads it again */
            drop_added(st);  /* the levels line_record interned before its quote */
            break;
        }
        size_t len = k < 0 ? (size_t)(hi - rec) : (size_t)k;
        st->rec = rec;  /* for messages: without its final newline, even one in quotes */
        st->rec_len = len - (rec[len - 1] == '\n');
        st->rec_lines = inside + (k >= 0 || rec[len - 1] != '\n');
        if (!is_blank(rec, rec + st->rec_len))
            parse_record(p, rec, len, k >= 0, open, st);
        if (!st->failed)
            st->line_idx += st->rec_lines;
        rec += len;
    }
    return rec;
}

/* A block's pieces: their nominal byte ranges' quote counts, and where their records begin. */
struct pieces {
    int n;                     /* pieces per block: the requested thread count */
    struct csv_parser *parsers;
    struct piece *st;
    int64_t *quotes;
    size_t *start;             /* n + 1 entries */
    int64_t *dest_row;
    int64_t *dest_line;        /* n: the shard's lines before each piece */
    unsigned char *plan;       /* line_record's, shared by the pieces, or NULL */
    int64_t block_off;         /* the file offset of the block's first byte */
    int blocks;                /* the shard is handed out block by block (csv_reader): each
                                  row's line end and each skipped record's cause kept */
    int64_t *line_end;         /* ... per row of the shard: the line after its record */
    unsigned char *skipped_why;  /* ... per skipped record: 1 for a missing value */
    double rows_per_byte;      /* the last block's, for rows_lend */
    size_t used;               /* one piece, more data to come: where its records end */
};

/* Piece states are reused from block to block; only the per-block counters restart. */
static void piece_reset(struct piece *st)
{
    st->rows.first = st->rows.n = 0;
    st->line_idx = st->n_skipped = 0;
    st->n_first_skipped = 0;
    st->failed = 0;
    st->col = st->rows_in_record = 0;
    st->bad = BAD_NONE;
    st->n_skipped_missing = 0;
    st->overflow = 0;
    st->n_added = st->rec_overflow = 0;
    for (int j = 0; st->dicts && j < st->lay->n_features; j++)
        dict_clear(&st->dicts[j]);
    if (st->seen)
        memset(st->seen, 0, (size_t)st->lay->n_features);
    if (st->missing)
        memset(st->missing, 0, (size_t)st->lay->n_features * sizeof *st->missing);
}

/* Serial, in piece order: piece q's levels join the shard's dictionaries; q->remap maps
   the piece's ids to the shard's. */
static void add_levels(struct csv_shard *out, struct piece *q, const struct csv_layout *lay)
{
    const struct enc_reader *enc = lay->enc;
    for (int j = 0; j < lay->n_features; j++) {
        out->seen[j] |= q->seen[j];
        const struct level_dict *d = &q->dicts[j];
        if (d->n == 0)
            continue;
        q->remap[j] = lr_realloc(q->remap[j], lr_bytes(d->n, 1, sizeof **q->remap));
        for (int64_t k = 0; k < d->n; k++) {
            size_t len;
            const char *key = dict_key(d, k, &len);
            int64_t id = dict_intern(&out->dicts[j], key, len, enc->max_entries, enc->max_bytes);
            if (id < 0 && !out->overflow)
                out->overflow = 1 + j;
            if (id < 0)
                out->seen[j] |= 4;
            q->remap[j][k] = id < 0 ? 0 : id;
        }
    }
    if (q->overflow && !out->overflow)
        out->overflow = q->overflow;
}

/* The rows of piece q, copied to X: its level ids become the shard's. */
static void remap_levels(double *X, int64_t n, const struct piece *q, const struct csv_layout *lay)
{
    int d = lay->n_features;
    for (int j = 0; j < d; j++) {
        if (q->dicts[j].n == 0)
            continue;
        for (int64_t i = 0; i < n; i++) {
            int64_t id = enc_level_id(X[i * d + j]);
            if (id >= 0)
                X[i * d + j] = enc_level_value((uint64_t)q->remap[j][id]);
        }
    }
}

/* Grow the shard (and ps's arrays per row) to hold `rows` rows. */
static void shard_reserve(struct csv_shard *out, int64_t rows, int64_t *cap,
                          const struct csv_layout *lay, struct pieces *ps)
{
    if (rows <= *cap)
        return;
    int64_t c = *cap ? *cap : 1024;
    while (c < rows)
        c *= 2;
    out->X = lr_realloc(out->X, lr_bytes(c, lay->n_features, sizeof(double)));
    if (lay->has_target)
        out->y = lr_realloc(out->y, lr_bytes(c, 1, sizeof(double)));
    if (lay->has_weight)
        out->w = lr_realloc(out->w, lr_bytes(c, 1, sizeof(double)));
    if (lay->has_offset)
        out->offset = lr_realloc(out->offset, lr_bytes(c, 1, sizeof(double)));
    if (lay->n_groups)
        out->g = lr_realloc(out->g, lr_bytes(c, lay->n_groups, sizeof(uint64_t)));
    if (lay->keep_offsets)
        out->row_at = lr_realloc(out->row_at, lr_bytes(c, 1, sizeof(int64_t)));
    if (ps->blocks)
        ps->line_end = lr_realloc(ps->line_end, lr_bytes(c, 1, sizeof(int64_t)));
    *cap = c;
}

/*
 * A block's only piece parses straight into the shard, from where its rows end: the
 * shard's arrays become the piece's (its own kept in *own) and grow as it parses, so no
 * copy of its rows follows. Pages for about as many rows as the last block gave for each
 * byte are mapped at once (lr_prefault) rather than one fault at a time.
 */
static void rows_lend(struct piece *st, struct rows *own, struct csv_shard *out, int64_t *cap,
                      struct pieces *ps, size_t bytes)
{
    const struct csv_layout *lay = st->lay;
    shard_reserve(out, out->n_rows + 1, cap, lay, ps);  /* every array the piece fills */
    *own = st->rows;
    st->rows = (struct rows){
        .first = out->n_rows, .n = out->n_rows, .cap = *cap, .X = out->X, .y = out->y,
        .w = out->w, .offset = out->offset, .g = out->g, .at = out->row_at,
        .le = ps->blocks ? ps->line_end : NULL,
    };
    int64_t expect = (int64_t)(ps->rows_per_byte * (double)bytes);
    if (expect > 0) {
        rows_reserve(&st->rows, out->n_rows + expect, lay->n_features, lay->has_target,
                     lay->has_weight, lay->has_offset, lay->n_groups);
        lr_prefault(st->rows.X + out->n_rows * lay->n_features,
                    (size_t)expect * (size_t)lay->n_features * sizeof(double));
    }
}

/* The shard's arrays back from the piece, which keeps its count of rows. */
static void rows_return(struct piece *st, const struct rows *own, struct csv_shard *out,
                        int64_t *cap, struct pieces *ps, size_t bytes)
{
    struct rows *r = &st->rows;
    out->X = r->X, out->y = r->y, out->w = r->w, out->offset = r->offset, out->g = r->g;
    out->row_at = r->at;
    if (ps->blocks)
        ps->line_end = r->le;
    *cap = r->cap;
    if (bytes > 0)
        ps->rows_per_byte = (double)rows_count(r) / (double)bytes;
    int64_t first = r->first, n = r->n;
    *r = *own;
    r->first = first, r->n = n;
}

/* Append piece q's bookkeeping to the shard (serial, in piece order); its rows go to
   rows `first_row` on. */
static void add_piece(struct csv_shard *out, struct pieces *ps, const struct piece *q,
                      int64_t line_base, int64_t first_row)
{
    for (int k = 0; k < q->n_first_skipped && out->n_first_skipped < CSV_FIRST_SKIPPED; k++) {
        out->first_skipped[out->n_first_skipped] = line_base + q->first_skipped[k];
        out->first_skipped_last[out->n_first_skipped++] = line_base + q->first_skipped_last[k];
    }
    if (q->n_skipped > 0) {
        out->skipped_at = lr_realloc(out->skipped_at,
                                     lr_bytes(out->n_skipped + q->n_skipped, 1, sizeof(int64_t)));
        for (int64_t k = 0; k < q->n_skipped; k++)
            out->skipped_at[out->n_skipped + k] = first_row + q->skipped_at[k];
        if (q->skipped_off) {
            out->skipped_off = lr_realloc(out->skipped_off, lr_bytes(out->n_skipped +
                                          q->n_skipped, 1, sizeof(int64_t)));
            memcpy(out->skipped_off + out->n_skipped, q->skipped_off,
                   (size_t)q->n_skipped * sizeof(int64_t));
        }
        if (q->skipped_why) {
            ps->skipped_why = lr_realloc(ps->skipped_why, (size_t)(out->n_skipped + q->n_skipped));
            memcpy(ps->skipped_why + out->n_skipped, q->skipped_why, (size_t)q->n_skipped);
        }
        if (q->skipped_x) {
            size_t w = (size_t)q->lay->n_features + 1;
            out->skipped_x = lr_realloc(out->skipped_x, lr_bytes(out->n_skipped + q->n_skipped,
                                        w, sizeof(double)));
            memcpy(out->skipped_x + out->n_skipped * w, q->skipped_x,
                   (size_t)q->n_skipped * w * sizeof(double));
        }
    }
    out->n_skipped += q->n_skipped;
    out->n_skipped_missing += q->n_skipped_missing;
    for (int j = 0; out->missing && j < q->lay->n_features; j++)
        out->missing[j] += q->missing[j];
}

/* The work of one block after its quotes are counted, run by every thread of the team
   (orphaned worksharing): where each piece's records start, the pieces parsed, their
   bookkeeping combined in piece order, their rows copied into the shard. With `more`
   (data follows len), a block's only piece leaves a record that does not end before len
   for the next block, and ps->used says where it stopped. */
static void parse_pieces(const char *buf, size_t full, size_t len, int more, struct pieces *ps,
                         struct csv_shard *out, int64_t *cap, const struct csv_layout *lay,
                         int *failed, struct lr_error *e)
{
    int d = lay->n_features;
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < ps->n; k++) {
        int64_t lo, hi, odd = 0;
        par_range((int64_t)full, ps->n, k, &lo, &hi);
        for (int j = 0; j < k; j++)
            odd += ps->quotes[j];
        size_t s = shard_record_start(buf, full, (size_t)lo, (int)(odd & 1));
        ps->start[k] = s < len ? s : len;
    }
    int direct = ps->n == 1;  /* the only piece: straight into the shard (rows_lend) */
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < ps->n; k++) {
        struct piece *st = &ps->st[k];
        struct rows own;
        piece_reset(st);
        st->block = buf;
        st->block_off = ps->block_off;
        size_t hi = k + 1 < ps->n ? ps->start[k + 1] : len;
        if (direct)
            rows_lend(st, &own, out, cap, ps, hi - ps->start[k]);
        else
            rows_reserve(&st->rows, 1, d, lay->has_target, lay->has_weight, lay->has_offset,
                         lay->n_groups);
        const char *end = parse_piece(&ps->parsers[k], buf + ps->start[k], buf + hi, st,
                                      direct && more);
        if (direct) {
            ps->used = (size_t)(end - buf);
            rows_return(st, &own, out, cap, ps, hi - ps->start[k]);
        }
    }
#pragma omp single
    {
        /* pieces run in file order: the first failing one holds the first error */
        int64_t base = out->n_lines, rows = out->n_rows;
        for (int k = 0; k < ps->n && !*failed; k++) {
            const struct piece *q = &ps->st[k];
            if (q->failed) {
                *e = q->err;
                e->line = base + q->err.line;
                *failed = 1;
                break;
            }
            add_piece(out, ps, q, base, rows);
            if (lay->enc)
                add_levels(out, &ps->st[k], lay);
            ps->dest_line[k] = base;
            base += q->line_idx;
            ps->dest_row[k] = rows;
            rows += rows_count(&q->rows);
        }
        out->n_lines = base;
        if (!*failed)
            shard_reserve(out, rows, cap, lay, ps);
    }
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < ps->n; k++) {
        const struct rows *r = &ps->st[k].rows;
        if (*failed || r->n == 0)
            continue;
        int64_t at = ps->dest_row[k];
        if (direct) {  /* in place: only the level ids and line ends to make the shard's */
            if (lay->enc)
                remap_levels(out->X + at * d, rows_count(r), &ps->st[k], lay);
            for (int64_t i = at; ps->blocks && i < r->n; i++)
                ps->line_end[i] += ps->dest_line[k];
            continue;
        }
        lr_prefault(out->X + at * d, (size_t)r->n * (size_t)d * sizeof(double));
        memcpy(out->X + at * d, r->X, (size_t)r->n * (size_t)d * sizeof(double));
        if (lay->has_target)
            memcpy(out->y + at, r->y, (size_t)r->n * sizeof(double));
        if (lay->has_weight)
            memcpy(out->w + at, r->w, (size_t)r->n * sizeof(double));
        if (lay->has_offset)
            memcpy(out->offset + at, r->offset, (size_t)r->n * sizeof(double));
        if (lay->n_groups)
            memcpy(out->g + at * lay->n_groups, r->g,
                   (size_t)r->n * (size_t)lay->n_groups * sizeof(uint64_t));
        if (lay->enc)
            remap_levels(out->X + at * d, r->n, &ps->st[k], lay);
        if (r->at)
            memcpy(out->row_at + at, r->at, (size_t)r->n * sizeof(int64_t));
        for (int64_t i = 0; r->le && i < r->n; i++)
            ps->line_end[at + i] = ps->dest_line[k] + r->le[i];
    }
}

/*
 * Parse the whole records of buf[0..full) as ps->n pieces handed out to the team, and
 * append their rows to out in file order. When more data follows, the last incomplete
 * record stays for the next block. Returns the bytes used (0: no whole record, the buffer
 * must grow), or -1 on an error. Where the pieces start, and where the last whole record
 * ends, depend on the quote parity, so the pieces count their quotes first; a block's only
 * piece needs no count: its parse follows the quotes from the block's start, and stops at
 * a record that does not end before the last line feed.
 */
static int64_t parse_block(const char *buf, size_t full, int more, struct pieces *ps,
                           int n_threads, struct csv_shard *out, int64_t *cap,
                           const struct csv_layout *lay, struct lr_error *e)
{
    int failed = 0;
    size_t len = full;
#pragma omp parallel num_threads(n_threads)
    {
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < ps->n; k++) {
            int64_t lo, hi;
            par_range((int64_t)full, ps->n, k, &lo, &hi);
            ps->quotes[k] = lay->quote_free || ps->n == 1 ? 0
                            : shard_quotes(buf + lo, (size_t)(hi - lo));
        }
#pragma omp single
        {
            int64_t total = 0;
            for (int k = 0; k < ps->n; k++)
                total += ps->quotes[k];
            if (more && ps->n == 1) {  /* the last line's end: the piece stops before it */
                const char *nl = memrchr(buf, '\n', full);
                len = nl ? (size_t)(nl + 1 - buf) : 0;
            } else if (more)  /* whole records only: the parity at the end finds the last one */
                len = shard_last_record_end(buf, full, (int)(total & 1));
        }
        if (len > 0)  /* the same on every thread: set before the single's barrier */
            parse_pieces(buf, full, len, more, ps, out, cap, lay, &failed, e);
    }
    if (failed)
        return -1;
    if (len > 0 && more && ps->n == 1)
        len = ps->used;
    for (int k = 0; len > 0 && k < ps->n; k++)
        out->n_rows += rows_count(&ps->st[k].rows);
    return (int64_t)len;
}

static void pieces_init(struct pieces *ps, int n, const struct csv_layout *lay, int blocks)
{
    memset(ps, 0, sizeof *ps);
    ps->n = n;
    ps->blocks = blocks;
    ps->dest_line = lr_malloc((size_t)n * sizeof *ps->dest_line);
    ps->parsers = lr_malloc((size_t)n * sizeof *ps->parsers);
    ps->st = lr_calloc((size_t)n, sizeof *ps->st);
    ps->quotes = lr_malloc((size_t)n * sizeof *ps->quotes);
    ps->start = lr_malloc((size_t)(n + 1) * sizeof *ps->start);
    ps->dest_row = lr_malloc((size_t)n * sizeof *ps->dest_row);
    ps->plan = line_plan(lay);
    for (int k = 0; k < n; k++) {
        parser_init(&ps->parsers[k], lay->delimiter);
        ps->st[k].lay = lay;
        ps->st[k].plan = ps->plan;
        if (lay->enc) {
            int d = lay->n_features;
            ps->st[k].dicts = lr_calloc((size_t)d, sizeof *ps->st[k].dicts);
            ps->st[k].remap = lr_calloc((size_t)d, sizeof *ps->st[k].remap);
            ps->st[k].seen = lr_calloc((size_t)d, 1);
            if (!blocks)
                ps->st[k].missing = lr_calloc((size_t)d, sizeof *ps->st[k].missing);
        }
        ps->st[k].field_end = lr_malloc((size_t)lay->n_cols * sizeof(uint32_t));
        if (lay->keep_offsets)  /* non-NULL: rows_reserve keeps it as large as X */
            ps->st[k].rows.at = lr_malloc(sizeof(int64_t));
        if (blocks)  /* likewise */
            ps->st[k].rows.le = lr_malloc(sizeof(int64_t));
    }
}

static void pieces_free(struct pieces *ps)
{
    for (int k = 0; k < ps->n; k++) {
        csv_free(&ps->parsers[k]);
        free(ps->st[k].rows.X);
        free(ps->st[k].rows.y);
        free(ps->st[k].rows.w);
        free(ps->st[k].rows.offset);
        free(ps->st[k].rows.g);
        free(ps->st[k].skipped_at);
        for (int j = 0; ps->st[k].dicts && j < ps->st[k].lay->n_features; j++) {
            dict_free(&ps->st[k].dicts[j]);
            free(ps->st[k].remap[j]);
        }
        free(ps->st[k].dicts);
        free(ps->st[k].remap);
        free(ps->st[k].added);
        free(ps->st[k].seen);
        free(ps->st[k].missing);
        free(ps->st[k].field_end);
        free(ps->st[k].rows.at);
        free(ps->st[k].rows.le);
        free(ps->st[k].skipped_off);
        free(ps->st[k].skipped_why);
        free(ps->st[k].skipped_x);
    }
    free(ps->parsers);
    free(ps->st);
    free(ps->quotes);
    free(ps->start);
    free(ps->dest_row);
    free(ps->dest_line);
    free(ps->plan);
    free(ps->line_end);
    free(ps->skipped_why);
}

/* ---- a range read block by block ---- */

struct csv_reader {
    const struct byte_source *src;
    const struct csv_layout *lay;
    int n_threads;
    int stream;                /* end: unknown until a short read */
    int ended;                 /* every byte of the range parsed */
    off_t pos, end;
    char *buf;
    size_t cap, carry;         /* carry: bytes of an incomplete record kept at buf's start */
    struct pieces ps;
    struct csv_shard pend;     /* parsed, not yet all handed out; its lines, first skipped
                                  records and levels count from the range's start */
    int64_t row_cap;
    int64_t row0, skip0;       /* pend's rows and skipped records already handed out */
    int64_t skipped_given;     /* the range's skipped records handed out */
    int64_t lines_given;       /* the range's lines handed out */
};

static struct csv_reader *reader_open(const struct byte_source *src, off_t begin, off_t end,
                                      const struct csv_layout *lay, int n_threads, int blocks)
{
    struct csv_reader *r = lr_calloc(1, sizeof *r);
    r->src = src;
    r->lay = lay;
    r->n_threads = n_threads < 1 ? 1 : n_threads;
    r->pend.n_groups = lay->n_groups;
    if (lay->enc) {
        r->pend.dicts = lr_calloc((size_t)lay->n_features, sizeof *r->pend.dicts);
        r->pend.n_dicts = lay->n_features;
        r->pend.seen = lr_calloc((size_t)lay->n_features, 1);
        if (!blocks)
            r->pend.missing = lr_calloc((size_t)lay->n_features, sizeof *r->pend.missing);
    }
    r->stream = end == CSV_STREAM_END;
    if (r->stream)
        end = (off_t)INT64_MAX;
    r->cap = (size_t)r->n_threads * block_per_piece(lay);
    if ((off_t)r->cap > end - begin)
        r->cap = (size_t)(end - begin) + 1;
    r->buf = lr_malloc(r->cap);
    pieces_init(&r->ps, r->n_threads, lay, blocks);
    r->pos = begin;
    r->end = end;
    r->ended = !(r->pos < r->end);
    return r;
}

/* Read and parse the next bytes of the range, appending their whole records to pend. */
static int reader_step(struct csv_reader *r, struct lr_error *e)
{
    const struct csv_layout *lay = r->lay;
    size_t want = r->cap - r->carry;
    if ((off_t)want > r->end - r->pos)
        want = (size_t)(r->end - r->pos);
    ssize_t got = byte_pread(r->src, r->buf + r->carry, want, r->pos);
    if (got < 0 || ((size_t)got < want && !r->stream))
        return lr_fail_at(e, LR_ENOINPUT, lay->path, 0, 0, "read error: %s",
                          got < 0 ? strerror(errno) : "file shrank while being read");
    if ((size_t)got < want)  /* a stream's end */
        r->end = r->pos + got;
    r->ps.block_off = (int64_t)(r->pos - (off_t)r->carry);
    r->pos += got;
    size_t len = r->carry + (size_t)got;
    if (len == 0) {  /* a stream that ended where a block did */
        r->ended = 1;
        return 0;
    }
    int64_t use = parse_block(r->buf, len, r->pos < r->end, &r->ps, r->n_threads, &r->pend,
                              &r->row_cap, lay, e);
    if (use < 0)
        return -1;
    if (use == 0) {  /* a record longer than the buffer: grow it */
        r->cap *= 2;
        r->buf = lr_realloc(r->buf, r->cap);
        r->carry = len;
        return 0;
    }
    r->carry = len - (size_t)use;
    memmove(r->buf, r->buf + use, r->carry);
    r->ended = !(r->pos < r->end || r->carry > 0);
    return 0;
}

/* Drop pend's rows and skipped records handed out. */
static void reader_compact(struct csv_reader *r)
{
    struct csv_shard *p = &r->pend;
    const struct csv_layout *lay = r->lay;
    int64_t n = p->n_rows - r->row0, ns = p->n_skipped - r->skip0, a = r->row0, s = r->skip0;
    if (a == 0 && s == 0)
        return;
    if (n > 0) {
        memmove(p->X, p->X + a * lay->n_features,
                (size_t)n * (size_t)lay->n_features * sizeof(double));
        if (p->y)
            memmove(p->y, p->y + a, (size_t)n * sizeof(double));
        if (p->w)
            memmove(p->w, p->w + a, (size_t)n * sizeof(double));
        if (p->offset)
            memmove(p->offset, p->offset + a, (size_t)n * sizeof(double));
        if (p->g)
            memmove(p->g, p->g + a * p->n_groups,
                    (size_t)n * (size_t)p->n_groups * sizeof(uint64_t));
        if (p->row_at)
            memmove(p->row_at, p->row_at + a, (size_t)n * sizeof(int64_t));
        memmove(r->ps.line_end, r->ps.line_end + a, (size_t)n * sizeof(int64_t));
    }
    for (int64_t k = 0; k < ns; k++) {
        p->skipped_at[k] = p->skipped_at[s + k] - a;
        if (p->skipped_off)
            p->skipped_off[k] = p->skipped_off[s + k];
        r->ps.skipped_why[k] = r->ps.skipped_why[s + k];
    }
    if (p->skipped_x && ns > 0)
        memmove(p->skipped_x, p->skipped_x + s * (lay->n_features + 1),
                (size_t)ns * ((size_t)lay->n_features + 1) * sizeof(double));
    p->n_rows = n;
    p->n_skipped = ns;
    r->row0 = r->skip0 = 0;
}

/* Parse until pend holds `want` rows not handed out (0: the whole range), or the range
   ends. */
static int reader_fill(struct csv_reader *r, int64_t want, struct lr_error *e)
{
    while (!r->ended && (want == 0 || r->pend.n_rows - r->row0 < want)) {
        if (r->ps.blocks)
            reader_compact(r);
        if (reader_step(r, e) < 0)
            return -1;
    }
    return 0;
}

static void reader_free(struct csv_reader *r)
{
    if (!r)
        return;
    pieces_free(&r->ps);
    free(r->buf);
    csv_shard_free(&r->pend);
    free(r);
}

int csv_read_range(const struct byte_source *src, off_t begin, off_t end,
                   const struct csv_layout *lay, int n_threads, struct csv_shard *out,
                   struct lr_error *e)
{
    struct csv_reader *r = reader_open(src, begin, end, lay, n_threads, 0);
    int rc = reader_fill(r, 0, e);
    *out = r->pend;  /* the whole range: pend is the shard */
    memset(&r->pend, 0, sizeof r->pend);
    int64_t row_cap = r->row_cap;
    reader_free(r);
    if (rc < 0) {
        csv_shard_free(out);
        return -1;
    }
    if (out->n_rows < row_cap) {  /* give back the slack of the doubling */
        int64_t n = out->n_rows ? out->n_rows : 1;
        out->X = lr_realloc(out->X, lr_bytes(n, lay->n_features, sizeof(double)));
        if (lay->has_target)
            out->y = lr_realloc(out->y, lr_bytes(n, 1, sizeof(double)));
        if (lay->has_weight)
            out->w = lr_realloc(out->w, lr_bytes(n, 1, sizeof(double)));
        if (lay->has_offset)
            out->offset = lr_realloc(out->offset, lr_bytes(n, 1, sizeof(double)));
        if (lay->n_groups)
            out->g = lr_realloc(out->g, lr_bytes(n, lay->n_groups, sizeof(uint64_t)));
        if (lay->keep_offsets)
            out->row_at = lr_realloc(out->row_at, lr_bytes(n, 1, sizeof(int64_t)));
    }
    return 0;
}

struct csv_reader *csv_reader_open(const struct byte_source *src, off_t begin, off_t end,
                                   const struct csv_layout *lay, int n_threads)
{
    return reader_open(src, begin, end, lay, n_threads, 1);
}

/* An empty block, with the levels read so far. */
static void reader_empty(const struct csv_reader *r, struct csv_shard *out)
{
    const struct csv_shard *p = &r->pend;
    memset(out, 0, sizeof *out);
    out->n_groups = p->n_groups;
    if (!p->dicts)
        return;
    int d = r->lay->n_features;
    out->n_dicts = d;
    out->dicts = lr_calloc((size_t)d, sizeof *out->dicts);
    out->seen = lr_malloc((size_t)d);
    memcpy(out->seen, p->seen, (size_t)d);
    out->overflow = p->overflow;
    for (int j = 0; j < d; j++)  /* in id order: the same ids */
        for (int64_t k = 0; k < p->dicts[j].n; k++) {
            size_t len;
            const char *key = dict_key(&p->dicts[j], k, &len);
            dict_intern(&out->dicts[j], key, len, INT64_MAX, INT64_MAX);
        }
}

int csv_reader_next(struct csv_reader *r, int64_t max_rows, struct csv_shard *out,
                    struct lr_error *e)
{
    const struct csv_shard *p = &r->pend;
    memset(out, 0, sizeof *out);
    if (reader_fill(r, max_rows, e) < 0)
        return -1;
    int64_t left = p->n_rows - r->row0;
    int64_t k = max_rows > 0 && left > max_rows ? max_rows : left;
    int last = r->ended && k == left;  /* then the records and lines after its rows too */
    reader_empty(r, out);
    if (k == 0 && last && r->skip0 == p->n_skipped && r->lines_given == p->n_lines)
        return 0;
    int64_t skip_end = r->skip0;
    while (skip_end < p->n_skipped && (last || p->skipped_at[skip_end] < r->row0 + k))
        skip_end++;
    csv_shard_slice(p, r->lay->n_features, r->row0, k, r->skip0, skip_end - r->skip0, out);
    int64_t line_end = last ? p->n_lines : r->ps.line_end[r->row0 + k - 1];
    out->n_lines = line_end - r->lines_given;
    for (int64_t s = r->skip0; s < skip_end; s++)
        out->n_skipped_missing += r->ps.skipped_why[s];
    for (int64_t i = r->skipped_given; i < r->skipped_given + out->n_skipped &&
                                       i < p->n_first_skipped; i++) {
        out->first_skipped[out->n_first_skipped] = p->first_skipped[i];
        out->first_skipped_last[out->n_first_skipped++] = p->first_skipped_last[i];
    }
    r->row0 += k;
    r->skip0 = skip_end;
    r->skipped_given += out->n_skipped;
    r->lines_given = line_end;
    return 1;
}

int csv_reader_drain(struct csv_reader *r, struct lr_error *e)
{
    while (!r->ended) {
        r->row0 = r->pend.n_rows;
        r->skip0 = r->pend.n_skipped;
        reader_compact(r);
        if (reader_step(r, e) < 0)
            return -1;
    }
    return 0;
}

int64_t csv_reader_lines(const struct csv_reader *r)
{
    return r->pend.n_lines;
}

void csv_reader_close(struct csv_reader *r)
{
    reader_free(r);
}

void csv_shard_slice(const struct csv_shard *s, int d, int64_t row, int64_t n, int64_t skip,
                     int64_t n_skip, struct csv_shard *out)
{
    out->n_rows = n;
    out->n_groups = s->n_groups;
    if (n > 0) {
        out->X = lr_malloc(lr_bytes(n, d, sizeof(double)));
        memcpy(out->X, s->X + row * d, (size_t)n * (size_t)d * sizeof(double));
        if (s->y) {
            out->y = lr_malloc(lr_bytes(n, 1, sizeof(double)));
            memcpy(out->y, s->y + row, (size_t)n * sizeof(double));
        }
        if (s->w) {
            out->w = lr_malloc(lr_bytes(n, 1, sizeof(double)));
            memcpy(out->w, s->w + row, (size_t)n * sizeof(double));
        }
        if (s->offset) {
            out->offset = lr_malloc(lr_bytes(n, 1, sizeof(double)));
            memcpy(out->offset, s->offset + row, (size_t)n * sizeof(double));
        }
        if (s->g) {
            out->g = lr_malloc(lr_bytes(n, s->n_groups, sizeof(uint64_t)));
            memcpy(out->g, s->g + row * s->n_groups,
                   (size_t)n * (size_t)s->n_groups * sizeof(uint64_t));
        }
        if (s->row_at) {
            out->row_at = lr_malloc(lr_bytes(n, 1, sizeof(int64_t)));
            memcpy(out->row_at, s->row_at + row, (size_t)n * sizeof(int64_t));
        }
    }
    out->n_skipped = n_skip;
    if (n_skip > 0) {
        out->skipped_at = lr_malloc(lr_bytes(n_skip, 1, sizeof(int64_t)));
        for (int64_t k = 0; k < n_skip; k++)
            out->skipped_at[k] = s->skipped_at[skip + k] - row;
        if (s->skipped_off) {
            out->skipped_off = lr_malloc(lr_bytes(n_skip, 1, sizeof(int64_t)));
            memcpy(out->skipped_off, s->skipped_off + skip, (size_t)n_skip * sizeof(int64_t));
        }
        if (s->skipped_x) {
            out->skipped_x = lr_malloc(lr_bytes(n_skip, d + 1, sizeof(double)));
            memcpy(out->skipped_x, s->skipped_x + skip * (d + 1),
                   (size_t)n_skip * ((size_t)d + 1) * sizeof(double));
        }
    }
}

/* Grow an array of n items of `size` bytes to hold n + more, and copy more from src. */
static void *append(void *dst, int64_t n, const void *src, int64_t more, size_t size)
{
    if (more <= 0)
        return dst;
    dst = lr_realloc(dst, lr_bytes(n + more, 1, size));
    memcpy((char *)dst + (size_t)n * size, src, (size_t)more * size);
    return dst;
}

void csv_shard_append(struct csv_shard *dst, struct csv_shard *b, int d)
{
    int64_t n = dst->n_rows;
    dst->n_groups = b->n_groups;
    if (b->X)  /* a block whose rows went elsewhere (a scratch file) brings only its count */
        dst->X = append(dst->X, n * d, b->X, b->n_rows * d, sizeof(double));
    if (b->y)
        dst->y = append(dst->y, n, b->y, b->n_rows, sizeof(double));
    if (b->w)
        dst->w = append(dst->w, n, b->w, b->n_rows, sizeof(double));
    if (b->offset)
        dst->offset = append(dst->offset, n, b->offset, b->n_rows, sizeof(double));
    if (b->g)
        dst->g = append(dst->g, n * b->n_groups, b->g, b->n_rows * b->n_groups, sizeof(uint64_t));
    if (b->row_at)
        dst->row_at = append(dst->row_at, n, b->row_at, b->n_rows, sizeof(int64_t));
    for (int64_t k = 0; k < b->n_skipped; k++)
        b->skipped_at[k] += n;
    dst->skipped_at = append(dst->skipped_at, dst->n_skipped, b->skipped_at, b->n_skipped,
                             sizeof(int64_t));
    if (b->skipped_off)
        dst->skipped_off = append(dst->skipped_off, dst->n_skipped, b->skipped_off,
                                  b->n_skipped, sizeof(int64_t));
    if (b->skipped_x)
        dst->skipped_x = append(dst->skipped_x, dst->n_skipped * (d + 1), b->skipped_x,
                                b->n_skipped * (d + 1), sizeof(double));
    for (int k = 0; k < b->n_first_skipped && dst->n_first_skipped < CSV_FIRST_SKIPPED; k++) {
        dst->first_skipped[dst->n_first_skipped] = b->first_skipped[k];
        dst->first_skipped_last[dst->n_first_skipped++] = b->first_skipped_last[k];
    }
    free(dst->missing);  /* counted for a shard read at once; recounted when wanted */
    dst->missing = NULL;
    dst->n_rows += b->n_rows;
    dst->n_lines += b->n_lines;
    dst->n_skipped += b->n_skipped;
    dst->n_skipped_missing += b->n_skipped_missing;
    if (b->dicts) {  /* the levels so far: the latest block's */
        for (int j = 0; dst->dicts && j < dst->n_dicts; j++)
            dict_free(&dst->dicts[j]);
        free(dst->dicts);
        free(dst->seen);
        dst->dicts = b->dicts;
        dst->n_dicts = b->n_dicts;
        dst->seen = b->seen;
        dst->overflow = b->overflow;
        b->dicts = NULL;
        b->seen = NULL;
    }
    csv_shard_free(b);
}

void csv_shard_free(struct csv_shard *s)
{
    for (int j = 0; s->dicts && j < s->n_dicts; j++)
        dict_free(&s->dicts[j]);
    free(s->dicts);
    free(s->seen);
    s->dicts = NULL;
    s->seen = NULL;
    free(s->X);
    free(s->y);
    free(s->w);
    free(s->offset);
    free(s->g);
    free(s->skipped_at);
    free(s->row_at);
    free(s->skipped_off);
    free(s->skipped_x);
    s->skipped_x = NULL;
    free(s->missing);
    s->missing = NULL;
    s->X = s->y = s->w = s->offset = NULL;
    s->g = NULL;
    s->skipped_at = s->row_at = s->skipped_off = NULL;
    s->n_rows = 0;
}

/* ---- the head of the file (rank 0) ---- */

struct field_list {
    int n, cap, rows;          /* rows: rows libcsv ended (more than one: a lone CR) */
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

static void on_head_row(int term, void *ctx)
{
    struct field_list *f = ctx;
    f->rows++;
}

static void free_fields(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Split the first record (without its final newline) into fields; -1 on a quote error or
   a lone CR. */
static int split_record(const char *rec, size_t len, char delim, struct field_list *f,
                        const char *path, struct lr_error *e)
{
    struct csv_parser p;
    parser_init(&p, delim);
    memset(f, 0, sizeof *f);
    csv_set_opts(&p, (unsigned char)(csv_get_opts(&p) | CSV_STRICT_FINI));
    size_t done = csv_parse(&p, rec, len, on_head_field, on_head_row, f);
    /* Under CSV_STRICT_FINI csv_fini returns -1 on an open quote, not CSV_EPARSE: a
       header '"a,b' must fail, not lose its last field (found by fuzzing). */
    int open_quote = done == len && csv_fini(&p, on_head_field, on_head_row, f) != 0;
    csv_free(&p);
    if (done == len && !open_quote && f->rows <= 1)
        return 0;
    free_fields(f->v, f->n);
    memset(f, 0, sizeof *f);
    int64_t below, column;
    if (open_quote) {
        place_of(rec, last_field_offset(rec, len, delim), &below, &column);
        return lr_fail_at(e, LR_EDATA, path, 1 + below, column,
                          "quoted field not closed: its quote runs to the end of the file");
    }
    if (done < len) {
        place_of(rec, done, &below, &column);
        return lr_fail_at(e, LR_EDATA, path, 1 + below, column,
                          "misplaced quote: a quote may only enclose a whole field, and a "
                          "quote inside a quoted field is written twice");
    }
    place_of(rec, lone_cr_offset(rec, len), &below, &column);
    return lr_fail_at(e, LR_EDATA, path, 1 + below, column,
                      "carriage return without a line feed: CR-only line endings are not "
                      "supported (convert them, e.g. tr '\\r' '\\n')");
}

/* The index of the first name equal to an earlier one, and that earlier one's; -1 when
   all differ. A hash set of indices: linear in the number of names. */
static int find_duplicate(char *const *names, int n, int *earlier)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    int *table = lr_malloc(cap * sizeof *table);
    memset(table, -1, cap * sizeof *table);
    int dup = -1;
    for (int c = 0; c < n && dup < 0; c++) {
        size_t at = hash_bytes(names[c], strlen(names[c])) & (cap - 1);
        while (table[at] >= 0 && strcmp(names[table[at]], names[c]) != 0)
            at = (at + 1) & (cap - 1);
        if (table[at] >= 0)
            dup = c, *earlier = table[at];
        else
            table[at] = c;
    }
    free(table);
    return dup;
}

/* Is buf[0..len), read from the start of the file, enough to judge the first record?
   Yes once it holds the record's end, or (the first line being blank) a non-blank byte
   anywhere, or the whole file. */
static int head_complete(const char *p, size_t n, int at_eof)
{
    if (at_eof)
        return 1;
    const char *nl = memchr(p, '\n', n);
    if (nl && is_blank(p, nl))
        return !is_blank(p, p + n);
    int64_t inside;
    int odd;
    return shard_record_end(p, n, 0, &inside, &odd) >= 0;
}

/* Read from offset 0 until head_complete; the BOM's length in *bom. */
static char *read_head(int fd, const char *path, size_t *len_out, int *at_eof, size_t *bom,
                       struct lr_error *e)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = NULL;
    for (;;) {
        buf = lr_realloc(buf, cap);
        ssize_t k = shard_pread(fd, buf + len, cap - len, (off_t)len);
        if (k < 0) {
            free(buf);
            lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s", strerror(errno));
            return NULL;
        }
        len += (size_t)k;
        *at_eof = len < cap;
        *bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        if (head_complete(buf + *bom, len - *bom, *at_eof)) {
            *len_out = len;
            return buf;
        }
        cap *= 2;
    }
}

/* Errors about the file as a whole: empty, blank first line, UTF-16. */
static int check_start(const char *buf, size_t len, size_t bom, int has_header,
                       const char *path, struct lr_error *e)
{
    if (len >= 2 && ((unsigned char)buf[0] == 0xFF || (unsigned char)buf[0] == 0xFE) &&
        (unsigned char)buf[1] == ((unsigned char)buf[0] ^ 0x01))
        return lr_fail_at(e, LR_EDATA, path, 1, 1,
                          "the file is UTF-16 (byte order mark %s): save it as UTF-8, e.g. "
                          "iconv -f UTF-16 -t UTF-8",
                          (unsigned char)buf[0] == 0xFF ? "FF FE" : "FE FF");
    const char *p = buf + bom, *end = buf + len;
    if (is_blank(p, end))
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "the file is empty: expected a header "
                          "line%s", has_header ? " and data rows" : " or data rows");
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl && is_blank(p, nl))
        return lr_fail_at(e, LR_EDATA, path, 1, 1, "line 1 is blank: expected %s",
                          has_header ? "the header" : "a data row");
    return 0;
}

int csv_read_head(int fd, const char *path, char delimiter, int has_header, struct csv_head *h,
                  struct lr_error *e)
{
    memset(h, 0, sizeof *h);
    size_t len, bom;
    int at_eof;
    char *buf = read_head(fd, path, &len, &at_eof, &bom, e);
    if (!buf)
        return -1;
    int rc = -1;
    struct field_list f;
    if (check_start(buf, len, bom, has_header, path, e) < 0)
        goto done;
    const char *p = buf + bom;
    int64_t inside;
    int odd;
    ssize_t k = shard_record_end(p, len - bom, 0, &inside, &odd);
    size_t rec_len = k < 0 ? len - bom : (size_t)k - 1;
    if (rec_len > 0 && p[rec_len - 1] == '\r')
        rec_len--;
    if (split_record(p, rec_len, delimiter, &f, path, e) < 0)
        goto done;
    h->n_cols = f.n;
    h->header_lines = has_header ? inside + (k >= 0 || p[len - bom - 1] != '\n') : 0;
    h->data_start = has_header ? (off_t)(bom + (k < 0 ? len - bom : (size_t)k)) : (off_t)bom;
    h->first_unnamed = 0;  /* an index's empty field before named columns */
    for (int c = 1; has_header && !f.v[0][0] && c < f.n; c++)
        h->first_unnamed |= f.v[c][0] != '\0';
    h->names = lr_malloc((size_t)f.n * sizeof *h->names);
    for (int c = 0; c < f.n; c++) {
        char gen[32];
        snprintf(gen, sizeof gen, "col%d", c + 1);
        h->names[c] = lr_strdup(has_header && f.v[c][0] ? f.v[c] : gen);
    }
    free_fields(f.v, f.n);
    int earlier, dup = has_header ? find_duplicate(h->names, h->n_cols, &earlier) : -1;
    if (dup >= 0) {
        int64_t below, column;
        place_of(p, field_offset(p, rec_len, delimiter, dup), &below, &column);
        lr_fail_at(e, LR_EDATA, path, 1 + below, column,
                   "duplicate column name '%s' (also column %d)", lr_shown(h->names[dup]).s,
                   earlier + 1);
        goto done;
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
    if (h->names)
        free_fields(h->names, h->n_cols);
    memset(h, 0, sizeof *h);
}

/* ---- the head's columns by name ---- */

int csv_find_column(const struct csv_head *hi, const char *name)
{
    for (int c = 0; c < hi->n_cols; c++)
        if (strcmp(hi->names[c], name) == 0)
            return c;
    return -1;
}

int csv_no_such_column(const struct csv_head *hi, const char *path, const char *what,
                       const char *name, struct lr_error *e)
{
    char list[256] = "";
    size_t at = 0;
    for (int c = 0; c < hi->n_cols && at < sizeof list - 8; c++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", c ? ", " : "",
                               lr_shown(hi->names[c]).s);
    if (at >= sizeof list - 8)
        strcpy(list + sizeof list - 8, ", ...");
    return lr_fail_at(e, LR_EDATA, path, hi->header_lines ? 1 : 0, 0,
                      "%s: no column named '%s' (columns: %s)", what, lr_shown(name).s, list);
}

int csv_columns_named(const struct csv_head *hi, const char *list, const char *what,
                      const char *path, int *cols, int *n, struct lr_error *e)
{
    char *copy = lr_strdup(list), *save = NULL;
    *n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        /* spaces around a name go, as they do around header names: "a, b" names b */
        tok += strspn(tok, " \t");
        for (size_t len = strlen(tok); len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t');)
            tok[--len] = '\0';
        int c = csv_find_column(hi, tok);
        if (c < 0) {
            csv_no_such_column(hi, path, what, tok, e);
            free(copy);
            return -1;
        }
        cols[(*n)++] = c;
    }
    free(copy);
    return 0;
}
