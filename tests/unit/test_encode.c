/* test_encode.c — encode.c: NA strings, level dictionaries, the tagged values, expansion to
   one-hot and indicator columns, the JSON round trip, and the reader's per-field decisions
   against a hand-made file. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_reader.h"
#include "encode.h"
#include "encode_collective.h"
#include "suites.h"

static void test_na(void)
{
    struct enc_na na;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(enc_na_init(&na, NULL, &e), 0);
    CU_ASSERT_EQUAL(na.n, 6);
    CU_ASSERT_TRUE(enc_is_missing(&na, "", 0));
    CU_ASSERT_TRUE(enc_is_missing(&na, "  ", 2));
    CU_ASSERT_TRUE(enc_is_missing(&na, "NA", 2));
    CU_ASSERT_TRUE(enc_is_missing(&na, " N/A ", 5));
    CU_ASSERT_TRUE(enc_is_missing(&na, "NULL", 4));
    CU_ASSERT_FALSE(enc_is_missing(&na, "NAN", 3));
    CU_ASSERT_FALSE(enc_is_missing(&na, "NA1", 3));
    CU_ASSERT_FALSE(enc_is_missing(&na, "N", 1));
    CU_ASSERT_FALSE(na.numeric);  /* no default string reads as a number */
    enc_na_free(&na);
    CU_ASSERT_EQUAL_FATAL(enc_na_init(&na, "?,-", &e), 0);
    CU_ASSERT_TRUE(enc_is_missing(&na, "?", 1));
    CU_ASSERT_FALSE(enc_is_missing(&na, "NA", 2));
    CU_ASSERT_FALSE(na.numeric);
    enc_na_free(&na);
    /* a number among them: the reader compares numbers' bytes too; the bytes decide */
    CU_ASSERT_EQUAL_FATAL(enc_na_init(&na, "?,-99", &e), 0);
    CU_ASSERT_TRUE(na.numeric);
    CU_ASSERT_TRUE(enc_is_missing(&na, " -99 ", 5));
    CU_ASSERT_FALSE(enc_is_missing(&na, "-99.0", 5));
    enc_na_free(&na);
    CU_ASSERT_EQUAL_FATAL(enc_na_init(&na, "1e999", &e), 0);  /* out of range: still one */
    CU_ASSERT_TRUE(na.numeric);
    enc_na_free(&na);
    char many[200] = "";
    for (int k = 0; k < ENC_MAX_NA + 1; k++)
        sprintf(many + strlen(many), "s%d,", k);
    CU_ASSERT_EQUAL(enc_na_init(&na, many, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_EUSAGE);
}

static void test_dict(void)
{
    struct level_dict d;
    dict_init(&d);
    char key[32];
    for (int i = 0; i < 5000; i++) {  /* grows several times; ids in first-seen order */
        snprintf(key, sizeof key, "level %d", i);
        CU_ASSERT_EQUAL(dict_intern(&d, key, strlen(key), 100000, 1 << 20), i);
    }
    for (int i = 4999; i >= 0; i--) {
        snprintf(key, sizeof key, "level %d", i);
        CU_ASSERT_EQUAL(dict_intern(&d, key, strlen(key), 100000, 1 << 20), i);
        CU_ASSERT_EQUAL(dict_find(&d, key, strlen(key)), i);
    }
    size_t len;
    const char *k = dict_key(&d, 1234, &len);
    CU_ASSERT_TRUE(len == strlen("level 1234") && memcmp(k, "level 1234", len) == 0);
    CU_ASSERT_EQUAL(dict_find(&d, "level", 5), -1);
    CU_ASSERT_EQUAL(dict_intern(&d, "new", 3, 5000, 1 << 20), -1);  /* entries full */
    CU_ASSERT_EQUAL(dict_intern(&d, "a\0b", 3, 100000, 1 << 20), 5000);  /* bytes, not C strings */
    CU_ASSERT_EQUAL(dict_find(&d, "a", 1), -1);
    dict_clear(&d);
    CU_ASSERT_EQUAL(d.n, 0);
    CU_ASSERT_EQUAL(dict_find(&d, "level 3", 7), -1);
    CU_ASSERT_EQUAL(dict_intern(&d, "x", 1, 10, 0), -1);  /* bytes full */
    CU_ASSERT_EQUAL(dict_intern(&d, "", 0, 10, 0), 0);    /* the empty level takes none */
    dict_free(&d);
}

/* Entries taken out in the reverse of their order of addition, across the table's growth
   and with colliding probes: the others are still found, the ids stay dense. */
static void test_dict_pop(void)
{
    struct level_dict d;
    dict_init(&d);
    char key[32];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CU_ASSERT_EQUAL(dict_intern(&d, key, strlen(key), 100000, 1 << 20), i);
    }
    for (int i = 39; i >= 20; i--)  /* 40 entries needed 128 slots; 20 fit in 64 */
        dict_pop(&d);
    CU_ASSERT_EQUAL(d.n, 20);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CU_ASSERT_EQUAL(dict_find(&d, key, strlen(key)), i < 20 ? i : -1);
    }
    for (int i = 20; i < 30; i++) {  /* added again, in another order: the next ids */
        snprintf(key, sizeof key, "k%d", 49 - i);
        CU_ASSERT_EQUAL(dict_intern(&d, key, strlen(key), 100000, 1 << 20), i);
    }
    for (int i = 0; i < 30; i++) {
        size_t len;
        const char *k = dict_key(&d, i, &len);
        CU_ASSERT_EQUAL(dict_find(&d, k, len), i);
    }
    dict_pop(&d);  /* the last one: k20 */
    CU_ASSERT_EQUAL(dict_find(&d, "k20", 3), -1);
    CU_ASSERT_EQUAL(dict_find(&d, "k21", 3), 28);
    dict_free(&d);
}

static void test_values(void)
{
    double v = enc_level_value(0);
    CU_ASSERT_TRUE(isnan(v));
    CU_ASSERT_EQUAL(enc_level_id(v), 0);
    CU_ASSERT_EQUAL(enc_level_id(enc_level_value(123456789)), 123456789);
    CU_ASSERT_EQUAL(enc_level_id(enc_level_value(ENC_UNSEEN)), (int64_t)ENC_UNSEEN);
    CU_ASSERT_EQUAL(enc_level_id(enc_missing_value()), -1);
    CU_ASSERT_EQUAL(enc_level_id(NAN), -1);
    CU_ASSERT_EQUAL(enc_level_id(1.5), -1);
    CU_ASSERT_TRUE(enc_is_missing_value(enc_missing_value()));
    CU_ASSERT_FALSE(enc_is_missing_value(v));
    CU_ASSERT_FALSE(enc_is_missing_value(0.0));
}

/* A numeric column with a fill and an indicator, a categorical one with a reference. */
static void make_encoding(struct encoding *enc)
{
    memset(enc, 0, sizeof *enc);
    enc->n_cols = 2;
    enc->missing = MISSING_MEAN;
    enc->cols = calloc(2, sizeof *enc->cols);
    enc->cols[0] = (struct enc_column){.name = strdup("x"), .kind = ENC_NUMERIC, .has_fill = 1,
                                       .fill = 2.5, .indicator = 1, .n_missing = 1};
    char **lv = calloc(3, sizeof *lv);
    lv[0] = strdup("A"), lv[1] = strdup("B,\"q\""), lv[2] = strdup("\xCE\xA9");
    enc->cols[1] = (struct enc_column){.name = strdup("c"), .kind = ENC_CATEGORICAL,
                                       .n_levels = 3, .levels = lv, .reference = 1};
}

static void test_expand(void)
{
    struct encoding enc;
    make_encoding(&enc);
    CU_ASSERT_EQUAL(enc_width(&enc), 4);
    char **names = enc_feature_names(&enc);
    CU_ASSERT_STRING_EQUAL(names[0], "x");
    CU_ASSERT_STRING_EQUAL(names[1], "x_missing");
    CU_ASSERT_STRING_EQUAL(names[2], "c=B,\"q\"");
    CU_ASSERT_STRING_EQUAL(names[3], "c=\xCE\xA9");
    for (int j = 0; j < 4; j++)
        free(names[j]);
    free(names);
    int *src = enc_numeric_sources(&enc);
    CU_ASSERT_TRUE(src[0] == 0 && src[1] == -1 && src[2] == -1 && src[3] == -1);
    free(src);
    double raw[] = {1, enc_level_value(0), enc_missing_value(), enc_level_value(2),
                    3, enc_missing_value(), 4, enc_level_value(ENC_UNSEEN), 5, enc_level_value(1)};
    double X[5 * 4], want[5 * 4] = {1, 0, 0, 0, 2.5, 1, 0, 1, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 1, 0};
    enc_expand(&enc, raw, 5, X, 2);
    CU_ASSERT_EQUAL(memcmp(X, want, sizeof X), 0);
    CU_ASSERT_EQUAL(enc.cols[1].n_unseen, 1);
    /* without a reference (no intercept) every level has a column */
    enc.cols[1].reference = 0;
    enc.cols[0].indicator = 0;
    enc.cols[0].has_fill = 0;
    CU_ASSERT_EQUAL(enc_width(&enc), 4);
    enc_expand(&enc, raw, 5, X, 1);
    CU_ASSERT_TRUE(X[0] == 1 && X[1] == 1 && X[2] == 0 && X[3] == 0);
    CU_ASSERT_TRUE(isnan(X[4]) && X[7] == 1);  /* a missing number without a fill stays NaN */
    double fill[4] = {9, NAN, NAN, NAN};
    enc_fill(X, 5, 4, fill, 2);
    CU_ASSERT_EQUAL(X[4], 9);
    enc_free(&enc);
}

static void test_json(void)
{
    struct encoding enc, back;
    make_encoding(&enc);
    char *text = enc_serialize(&enc);
    const char *why = NULL;
    CU_ASSERT_EQUAL_FATAL(enc_deserialize(text, &back, &why), 0);
    CU_ASSERT_EQUAL(back.n_cols, 2);
    CU_ASSERT_EQUAL(back.missing, MISSING_MEAN);
    CU_ASSERT_TRUE(back.cols[0].has_fill && back.cols[0].fill == 2.5 && back.cols[0].indicator);
    CU_ASSERT_EQUAL(back.cols[1].n_levels, 3);
    CU_ASSERT_STRING_EQUAL(back.cols[1].levels[1], "B,\"q\"");
    CU_ASSERT_STRING_EQUAL(back.cols[1].levels[2], "\xCE\xA9");
    CU_ASSERT_EQUAL(back.cols[1].reference, 1);
    CU_ASSERT_EQUAL(enc_width(&back), enc_width(&enc));
    free(text);
    enc_free(&back);
    enc_free(&enc);
    CU_ASSERT_EQUAL(enc_deserialize("{\"columns\": []}", &back, &why), -1);
    CU_ASSERT_PTR_NOT_NULL(why);
    CU_ASSERT_EQUAL(enc_deserialize("{\"columns\": [{\"name\": \"c\", \"type\": \"categorical\"}]}",
                                    &back, &why), -1);
    CU_ASSERT_EQUAL(enc_deserialize("not json", &back, &why), -1);
}

/* A file of columns x (a number), c (a level) and y (the target), read with an encoding that
   keeps missing values (mean) and holds max_entries levels per dictionary. */
struct xcy {
    char *names[3];
    int slot[3];
    unsigned char mode[2], miss[2];
    struct enc_na na;
    struct enc_reader rd;
    struct csv_layout lay;
    int fd;
};

static void xcy_open(struct xcy *t, const char *text, int64_t max_entries)
{
    *t = (struct xcy){.names = {"x", "c", "y"}, .slot = {0, 1, COL_TARGET},
                      .mode = {READ_NUMBER, READ_LEVEL}, .miss = {MISSING_MEAN, MISSING_MEAN}};
    const char *path = test_write_file(text, strlen(text));
    t->fd = open(path, O_RDONLY);
    struct lr_error e = {0};
    enc_na_init(&t->na, NULL, &e);
    t->rd = (struct enc_reader){.mode = t->mode, .miss = t->miss, .na = &t->na,
                                .max_entries = max_entries, .max_bytes = 1000};
    t->lay = (struct csv_layout){.path = path, .delimiter = ',', .n_cols = 3, .slot = t->slot,
                                 .names = t->names, .n_features = 2, .has_target = 1,
                                 .enc = &t->rd};
}

static void xcy_close(struct xcy *t)
{
    enc_na_free(&t->na);
    close(t->fd);
}

/* The reader's per-field decisions on a file, with 1 and 3 threads and tiny blocks: the same
   values, levels by bytes, missing values kept, a missing target skipped. */
static void test_reader_fields(void)
{
    const char *text = "x,c,y\n1,A,1\n,\"B,b\",2\nNA,A,NA\n4,\"\xCE\xA9\",4\n5,,5\n6,B,6\n";
    struct xcy t;
    xcy_open(&t, text, 100);
    struct csv_layout lay = t.lay;
    int fd = t.fd;
    unsigned char *mode = t.mode, *miss = t.miss;
    struct lr_error e = {0};
    for (int threads = 1; threads <= 3; threads += 2) {
        lay.block_bytes = threads == 3 ? 5 : 0;
        struct csv_shard s;
        CU_ASSERT_EQUAL_FATAL(csv_read_range(FD_BYTES(fd), 6, (off_t)strlen(text), &lay, threads, &s, &e), 0);
        CU_ASSERT_EQUAL(s.n_rows, 5);
        CU_ASSERT_EQUAL(s.n_skipped, 1);
        CU_ASSERT_EQUAL(s.n_skipped_missing, 1);
        CU_ASSERT_EQUAL(s.dicts[1].n, 4);  /* A, "B,b", Ω, B */
        const char *want[] = {"A", "B,b", "A", "\xCE\xA9", NULL, "B"};
        int row = 0;
        for (int r = 0; r < 6; r++) {
            if (r == 2)
                continue;  /* the missing target */
            int64_t id = enc_level_id(s.X[row * 2 + 1]);
            if (!want[r]) {
                CU_ASSERT_TRUE(enc_is_missing_value(s.X[row * 2 + 1]));
            } else {
                size_t len;
                const char *k = id >= 0 ? dict_key(&s.dicts[1], id, &len) : "";
                CU_ASSERT_TRUE(id >= 0 && len == strlen(want[r]) && memcmp(k, want[r], len) == 0);
            }
            row++;
        }
        CU_ASSERT_TRUE(enc_is_missing_value(s.X[1 * 2]));
        CU_ASSERT_EQUAL(s.X[2 * 2], 4);
        CU_ASSERT_EQUAL(s.y[4], 6);
        csv_shard_free(&s);
    }
    /* a text value in a number column: the error names --categorical and --drop */
    mode[1] = READ_NUMBER;
    struct csv_shard s;
    lay.hint = CSV_HINT_DROP;
    CU_ASSERT_EQUAL(csv_read_range(FD_BYTES(fd), 6, (off_t)strlen(text), &lay, 1, &s, &e), -1);
    CU_ASSERT_EQUAL(e.line, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--categorical c"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--drop c"));
    /* a missing number under --missing error */
    mode[1] = READ_LEVEL;
    miss[0] = MISSING_ERROR;
    memset(&e, 0, sizeof e);
    CU_ASSERT_EQUAL(csv_read_range(FD_BYTES(fd), 6, (off_t)strlen(text), &lay, 1, &s, &e), -1);
    CU_ASSERT_EQUAL(e.line, 1);
    CU_ASSERT_EQUAL(e.column, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--missing skip"));
    xcy_close(&t);
}

/* A level that finds the dictionary full in a record then skipped is no overflow: only kept
   rows' levels count, in one piece or in several (a piece's dictionary holds its own). */
static void test_reader_full_skipped(void)
{
    struct xcy t;
    const char *text = "x,c,y\n1,A,1\n2,B,2\n3,Z,NA\n4,A,4\n5,B,5\n";
    xcy_open(&t, text, 2);
    struct lr_error e = {0};
    for (int threads = 1; threads <= 3; threads += 2) {
        t.lay.block_bytes = threads == 3 ? 5 : 0;
        struct csv_shard s;
        CU_ASSERT_EQUAL_FATAL(csv_read_range(FD_BYTES(t.fd), 6, (off_t)strlen(text), &t.lay, threads, &s, &e), 0);
        CU_ASSERT_EQUAL(s.n_rows, 4);
        CU_ASSERT_EQUAL(s.n_skipped, 1);
        CU_ASSERT_EQUAL(s.overflow, 0);
        CU_ASSERT_EQUAL(s.seen[1] & 4, 0);
        CU_ASSERT_EQUAL(s.dicts[1].n, 2);  /* A, B */
        csv_shard_free(&s);
    }
    xcy_close(&t);
}

/* The encoding decided once and applied block by block (rows read in blocks) gives the
   bits of the rows encoded at once, with a missing-value indicator and a one-hot column. */
static void test_blocks(void)
{
    const char *text = "x,c,y\n1,A,1\n,\"B,b\",2\nNA,A,3\n4,\"\xCE\xA9\",4\n5,,5\n6,B,6\n7,A,7\n";
    const char *path = test_write_file(text, strlen(text));
    int fd = open(path, O_RDONLY);
    char *head[] = {"x", "c", "y"};
    int slot[] = {0, 1, COL_TARGET};
    unsigned char mode[] = {READ_NUMBER, READ_LEVEL}, miss[] = {MISSING_MEAN, MISSING_MEAN};
    struct enc_setup rs = {.mode = mode, .miss = miss, .n = 2, .path = path, .n_threads = 2};
    struct lr_error e = {0};
    enc_na_init(&rs.na, NULL, &e);
    rs.rd = (struct enc_reader){.mode = mode, .miss = miss, .na = &rs.na, .max_entries = 100,
                                .max_bytes = 1000};
    struct csv_layout lay = {.path = path, .delimiter = ',', .n_cols = 3, .slot = slot,
                             .names = head, .n_features = 2, .has_target = 1, .enc = &rs.rd};
    struct enc_options o = {.max_levels = 100, .missing = MISSING_MEAN, .missing_indicator = 1};
    struct csv_shard s;
    CU_ASSERT_EQUAL_FATAL(csv_read_range(FD_BYTES(fd), 6, (off_t)strlen(text), &lay, 1, &s, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n_rows, 7);
    double *raw = malloc(7 * 2 * sizeof *raw);
    memcpy(raw, s.X, 7 * 2 * sizeof *raw);
    /* at once */
    char **names = malloc(2 * sizeof *names);
    names[0] = strdup("x"), names[1] = strdup("c");
    int d = 2;
    struct encoding whole = {0};
    CU_ASSERT_EQUAL_FATAL(enc_columns(&s, &rs, &o, &names, &d, &whole, &e), 0);
    CU_ASSERT_EQUAL(d, 6);  /* x, x_missing, c=B, c=B,b, c=Ω (A the reference), c_missing */
    /* in blocks of 3, 1 and 3 rows */
    char **names2 = malloc(2 * sizeof *names2);
    names2[0] = strdup("x"), names2[1] = strdup("c");
    int d2 = 2;
    int64_t cut[] = {0, 3, 4, 7}, missing[2] = {0, 0};
    for (int k = 0; k < 3; k++)
        enc_count_missing(raw + cut[k] * 2, cut[k + 1] - cut[k], 2, 2, missing);
    CU_ASSERT_EQUAL(missing[0], 2);
    CU_ASSERT_EQUAL(missing[1], 1);
    struct encoding parts = {0};
    struct enc_plan plan;
    CU_ASSERT_EQUAL_FATAL(enc_decide(&s, missing, &rs, &o, &names2, &d2, &parts, &plan, &e), 0);
    CU_ASSERT_EQUAL(d2, 6);
    for (int j = 0; j < d2 && j < d; j++)
        CU_ASSERT_STRING_EQUAL(names2[j], names[j]);
    for (int k = 0; k < 3; k++) {
        int64_t n = cut[k + 1] - cut[k];
        struct csv_shard b = {.n_rows = n, .X = malloc((size_t)n * 2 * sizeof(double))};
        memcpy(b.X, raw + cut[k] * 2, (size_t)n * 2 * sizeof(double));
        enc_apply(&plan, &parts, &b, 2);
        CU_ASSERT_EQUAL(memcmp(b.X, s.X + cut[k] * 6, (size_t)n * 6 * sizeof(double)), 0);
        free(b.X);
    }
    CU_ASSERT_EQUAL(parts.cols[0].n_missing, whole.cols[0].n_missing);
    CU_ASSERT_EQUAL(parts.cols[1].n_levels, whole.cols[1].n_levels);
    enc_plan_free(&plan);
    for (int j = 0; j < d; j++)
        free(names[j]), free(names2[j]);
    free(names), free(names2), free(raw);
    enc_free(&whole), enc_free(&parts);
    csv_shard_free(&s);
    enc_na_free(&rs.na);
    close(fd);
}

void add_encode_suite(void)
{
    CU_pSuite s = CU_add_suite("encode", NULL, NULL);
    CU_add_test(s, "NA strings: defaults, trimming, a custom list, too many", test_na);
    CU_add_test(s, "level dictionary: growth, ids, limits, bytes with NUL", test_dict);
    CU_add_test(s, "level dictionary: the last entries taken out again", test_dict_pop);
    CU_add_test(s, "tagged values: level ids, unseen, missing", test_values);
    CU_add_test(s, "expansion: one-hot with reference, indicator, fill, unseen", test_expand);
    CU_add_test(s, "encoding JSON round trip and malformed input", test_json);
    CU_add_test(s, "encoding decided once, applied block by block: the same bits", test_blocks);
    CU_add_test(s, "reader: levels, missing values and errors per field, any thread count",
                test_reader_fields);
    CU_add_test(s, "reader: a level that finds the dictionary full in a skipped record",
                test_reader_full_skipped);
}
