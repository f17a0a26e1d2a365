/* test_formula.c — model formulas against R: terms(), model.matrix() and poly() on iris and
   a generated set (datasets/r_formula_reference.tsv, made by r_formula_reference.R), and
   the parser's messages for malformed formulas. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formula.h"
#include "suites.h"

enum { MAX_COLS = 16, MAX_ROWS = 200, MAX_LIST = 64 };

/* A data set: its header, and every field as a number (NaN for text) or its text. */
struct table {
    int n_cols, n_rows;
    char *names[MAX_COLS];
    int text[MAX_COLS];                 /* the column holds text (a factor in R) */
    double v[MAX_ROWS][MAX_COLS];
};

static int load_table(const char *path, struct table *t)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    memset(t, 0, sizeof *t);
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    line[strcspn(line, "\r\n")] = 0;
    for (char *tok = strtok(line, ","); tok && t->n_cols < MAX_COLS; tok = strtok(NULL, ","))
        t->names[t->n_cols++] = strdup(tok);
    while (t->n_rows < MAX_ROWS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        for (int j = 0; j < t->n_cols; j++) {
            char *end;
            size_t len = strcspn(s, ",");
            double x = strtod(s, &end);
            if (end != s + len) {
                x = NAN;
                t->text[j] = 1;
            }
            t->v[t->n_rows][j] = x;
            s += len + (s[len] == ',');
        }
        t->n_rows++;
    }
    fclose(f);
    return 0;
}

static void free_table(struct table *t)
{
    for (int j = 0; j < t->n_cols; j++)
        free(t->names[j]);
}

/* Split s at '|' in place. */
static int split(char *s, char **out, int cap)
{
    int n = 0;
    if (!*s)
        return 0;
    for (char *p = s; n < cap; p++) {
        out[n++] = p;
        p = strchr(p, '|');
        if (!p)
            break;
        *p = 0;
    }
    return n;
}

static char *join(char *const *names, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *s = calloc(1, len);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, "|");
        strcat(s, names[i]);
    }
    return s;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_number(const void *a, const void *b)
{
    double x = strtod(*(char *const *)a, NULL), y = strtod(*(char *const *)b, NULL);
    return (x > y) - (x < y);
}

/* The reference's lines of one case, fields split at tabs (a static copy per call). */
struct ref_line {
    char kind[16];
    char *field[6];
    int n_fields;
};

static int ref_lines(const char *name, struct ref_line *out, int cap)
{
    static char store[1 << 20];
    size_t used = 0;
    FILE *f = fopen("datasets/r_formula_reference.tsv", "r");
    if (!f)
        return -1;
    char line[16384];
    int n = 0;
    while (n < cap && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        char *rest = tab + 1, *tab2 = strchr(rest, '\t');
        if (!tab2 || (size_t)(tab2 - rest) != strlen(name) || strncmp(rest, name, strlen(name)))
            continue;
        size_t len = strlen(line) + 1;
        if (used + len > sizeof store)
            break;
        char *copy = memcpy(store + used, line, len);
        used += len;
        struct ref_line *r = &out[n++];
        *strchr(copy, '\t') = 0;
        snprintf(r->kind, sizeof r->kind, "%s", copy);
        r->n_fields = 0;
        char *p = copy + strlen(copy) + 1 + strlen(name) + 1;
        while (r->n_fields < 6) {
            r->field[r->n_fields++] = p;
            char *t = strchr(p, '\t');
            if (!t)
                break;
            *t = 0;
            p = t + 1;
        }
    }
    fclose(f);
    return n;
}

static double rel_diff(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : INFINITY;
    return fabs(a - b) / fmax(1, fabs(b));
}


/* One case of the reference: terms and intercept, the design's names and order, poly()'s
   coefficients from the data, and the design rows of four data rows. */
static void check_case(const char *name)
{
    struct ref_line lines[64];
    int n = ref_lines(name, lines, 64);
    CU_ASSERT_TRUE_FATAL(n >= 3);
    CU_ASSERT_STRING_EQUAL_FATAL(lines[0].kind, "case");
    struct table t;
    char path[128];
    snprintf(path, sizeof path, "datasets/%s.csv",
             !strcmp(lines[0].field[0], "iris") ? "iris" : "formula_gen");
    CU_ASSERT_EQUAL_FATAL(load_table(path, &t), 0);
    struct formula *f;
    struct lr_error e = {0};
    int rc = formula_parse(lines[0].field[1], (const char *const *)t.names, t.n_cols, &f, &e);
    if (rc)
        fprintf(stderr, "\n%s: %s\n", name, e.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);

    char *labels[MAX_LIST], *levels_of[MAX_LIST][MAX_LIST];
    static double level_values[MAX_LIST][MAX_LIST];
    struct formula_levels lv[MAX_LIST];
    memset(lv, 0, sizeof lv);
    CU_ASSERT_TRUE_FATAL(f->n_vars <= MAX_LIST);
    for (int i = 1; i < n; i++) {
        struct ref_line *r = &lines[i];
        if (!strcmp(r->kind, "terms")) {
            CU_ASSERT_EQUAL(f->intercept, atoi(r->field[0]));
            int k = split(r->field[1], labels, MAX_LIST);
            CU_ASSERT_EQUAL(f->n_terms, k);
            for (int j = 0; j < k && j < f->n_terms; j++)
                CU_ASSERT_STRING_EQUAL(f->terms[j].label, labels[j]);
        } else if (!strcmp(r->kind, "levels")) {
            int v = 0;
            while (v < f->n_vars && strcmp(f->vars[v].name, r->field[0]))
                v++;
            CU_ASSERT_TRUE_FATAL(v < f->n_vars);
            lv[v].n_levels = split(r->field[1], levels_of[v], MAX_LIST);
            lv[v].levels = (const char *const *)levels_of[v];
            /* relevel(): R lists its levels reference first; formula_design takes them in
               their natural order (by value for numbers, by bytes for text) */
            if (f->vars[v].ref)
                qsort(levels_of[v], (size_t)lv[v].n_levels, sizeof(char *),
                      t.text[f->vars[v].column] ? cmp_text : cmp_number);
            /* factor(n) over a numeric column: its levels' numbers, named as R names them */
            if (f->vars[v].kind == FORMULA_FACTOR && !t.text[f->vars[v].column]) {
                for (int k = 0; k < lv[v].n_levels; k++) {
                    char text[64];
                    level_values[v][k] = strtod(lv[v].levels[k], NULL);
                    formula_number_text(level_values[v][k], text, sizeof text);
                    CU_ASSERT_STRING_EQUAL(text, lv[v].levels[k]);
                }
                lv[v].values = level_values[v];
            }
        }
    }
    struct formula_design d;
    rc = formula_design(f, lv, &d, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    char **names = calloc((size_t)d.n_columns + 1, sizeof *names);
    for (int j = 0; j < d.n_columns; j++)
        names[j] = d.cols[j].name;
    char *got = join(names, d.n_columns);
    free(names);
    for (int i = 1; i < n; i++) {
        struct ref_line *r = &lines[i];
        if (!strcmp(r->kind, "columns")) {
            if (strcmp(got, r->field[0]))
                fprintf(stderr, "\n%s:\n got  %s\n want %s\n", name, got, r->field[0]);
            CU_ASSERT_STRING_EQUAL(got, r->field[0]);
        } else if (!strcmp(r->kind, "poly")) {
            int v = 0;
            while (v < f->n_vars && strcmp(f->vars[v].name, r->field[0]))
                v++;
            CU_ASSERT_TRUE_FATAL(v < f->n_vars);
            int k = f->vars[v].degree;
            double x[MAX_ROWS], alpha[32], norm2[34];
            for (int row = 0; row < t.n_rows; row++)
                CU_ASSERT_EQUAL_FATAL(formula_eval_arg(f, v, t.v[row], &x[row], &e), 0);
            CU_ASSERT_EQUAL_FATAL(formula_poly_fit(x, t.n_rows, k, alpha, norm2, &e), 0);
            char *want[34];
            CU_ASSERT_EQUAL_FATAL(split(r->field[1], want, 34), k);
            for (int j = 0; j < k; j++)
                CU_ASSERT_TRUE(rel_diff(alpha[j], strtod(want[j], NULL)) < 1e-12);
            CU_ASSERT_EQUAL_FATAL(split(r->field[2], want, 34), k + 2);
            for (int j = 0; j < k + 2; j++)
                CU_ASSERT_TRUE(fabs(norm2[j] / strtod(want[j], NULL) - 1) < 1e-12);
            formula_poly_set(f, v, alpha, norm2);
        }
    }
    /* rows: their design rows as model.matrix made them */
    for (int i = 1; i < n; i++) {
        struct ref_line *r = &lines[i];
        if (strcmp(r->kind, "row"))
            continue;
        char *src_text[MAX_COLS], *want[256];
        double src[MAX_COLS], slots[256], x[256];
        CU_ASSERT_EQUAL_FATAL(split(r->field[1], src_text, MAX_COLS), t.n_cols);
        for (int j = 0; j < t.n_cols; j++)
            src[j] = strtod(src_text[j], NULL);
        CU_ASSERT_EQUAL_FATAL(split(r->field[2], want, 256), d.n_columns);
        CU_ASSERT_TRUE_FATAL(f->n_slots <= 256);
        int bad = -1;
        CU_ASSERT_EQUAL_FATAL(formula_eval(f, src, slots, &bad, &e), 0);
        formula_design_row(f, &d, slots, x);
        double worst = 0;
        for (int j = 0; j < d.n_columns; j++)
            worst = fmax(worst, rel_diff(x[j], strtod(want[j], NULL)));
        if (worst > 1e-9)
            fprintf(stderr, "\n%s line %s: worst %.3g\n", name, r->field[0], worst);
        CU_ASSERT_TRUE(worst <= 1e-9);
    }
    free(got);
    formula_design_free(&d);
    formula_free(f);
    free_table(&t);
}

static const char *const cases[] = {
    "iris_dot", "iris_dot_minus", "iris_cross", "iris_no_margin", "iris_factor_no_intercept",
    "iris_interaction_no_intercept", "iris_log", "iris_poly", "iris_poly_raw", "iris_power",
    "gen_ff", "gen_ff_only", "gen_power_mixed", "gen_nnn", "gen_log_dot", "gen_nested",
    "gen_three_way", "gen_factor_calls", "gen_zero", "gen_slash", "gen_functions",
    "gen_numeric_no_intercept", "gen_appearance", "gen_reversed", "gen_leading_minus",
    "gen_poly_factor", "gen_relevel", "iris_relevel", "gen_dot_power", "iris_dot_log",
};

static void test_against_r(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(cases[i]);
}

/* predict(poly(iris$Sepal.Length, 3), newx): the coefficients from the column, the
   recurrence at values inside and outside the data's range. */
static void test_poly_predict(void)
{
    struct table t;
    CU_ASSERT_EQUAL_FATAL(load_table("datasets/iris.csv", &t), 0);
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("Petal.Width ~ poly(Sepal.Length, 3)",
                                        (const char *const *)t.names, t.n_cols, &f, &e), 0);
    CU_ASSERT_EQUAL_FATAL(f->n_vars, 2);
    double x[MAX_ROWS], alpha[3], norm2[5];
    for (int i = 0; i < t.n_rows; i++)
        x[i] = t.v[i][0];
    x[t.n_rows] = NAN;  /* a missing value is left out, as na.omit would */
    CU_ASSERT_EQUAL_FATAL(formula_poly_fit(x, t.n_rows + 1, 3, alpha, norm2, &e), 0);
    formula_poly_set(f, 1, alpha, norm2);
    struct ref_line lines[16];
    int n = ref_lines("iris_sl3", lines, 16), checked = 0;
    for (int i = 0; i < n; i++) {
        char *want[8];
        if (!strcmp(lines[i].kind, "poly")) {
            CU_ASSERT_EQUAL(split(lines[i].field[1], want, 8), 3);
            for (int j = 0; j < 3; j++)
                CU_ASSERT_TRUE(rel_diff(alpha[j], strtod(want[j], NULL)) < 1e-12);
            continue;
        }
        double src[MAX_COLS] = {0}, slots[8];
        src[0] = strtod(lines[i].field[1], NULL);
        CU_ASSERT_EQUAL_FATAL(formula_eval(f, src, slots, NULL, &e), 0);
        CU_ASSERT_EQUAL_FATAL(split(lines[i].field[2], want, 8), 3);
        for (int j = 0; j < 3; j++)
            CU_ASSERT_TRUE(rel_diff(slots[f->vars[1].slot + j], strtod(want[j], NULL)) < 1e-9);
        checked++;
    }
    CU_ASSERT_EQUAL(checked, 4);
    /* too few distinct values for the degree: R's error */
    const double two[] = {1, 2, 1, 2};
    CU_ASSERT_EQUAL(formula_poly_fit(two, 4, 2, alpha, norm2, &e), -1);
    CU_ASSERT_EQUAL(e.code, LR_EDATA);
    CU_ASSERT_EQUAL(formula_poly_fit(two, 4, 1, alpha, norm2, &e), 0);
    formula_free(f);
    free_table(&t);
}

/* The fit as passes over rows split three ways (as over ranks): the same coefficients as
   R's and as the one-array fit; a column with too few distinct values refused. */
static void test_poly_passes(void)
{
    struct table t;
    CU_ASSERT_EQUAL_FATAL(load_table("datasets/iris.csv", &t), 0);
    double x[MAX_ROWS], alpha[3], norm2[5], a1[3], n1[5];
    for (int i = 0; i < t.n_rows; i++)
        x[i] = t.v[i][0];
    struct lr_error e = {0};
    const int64_t cut[4] = {0, 7, 100, t.n_rows};
    for (int k = 0; k <= 3; k++) {
        double sums[3] = {0, 0, 0};
        for (int r = 0; r < 3; r++) {
            double part[3] = {0, 0, 0};
            formula_poly_sums(x + cut[r], cut[r + 1] - cut[r], k, alpha, norm2, part);
            for (int j = 0; j < 3; j++)
                sums[j] += part[j];
        }
        CU_ASSERT_EQUAL_FATAL(formula_poly_step(k, 3, sums, alpha, norm2, &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(formula_poly_fit(x, t.n_rows, 3, a1, n1, &e), 0);
    struct ref_line lines[16];
    int n = ref_lines("iris_sl3", lines, 16), seen = 0;
    for (int i = 0; i < n; i++) {
        char *want[8];
        if (strcmp(lines[i].kind, "poly"))
            continue;
        seen = 1;
        CU_ASSERT_EQUAL_FATAL(split(lines[i].field[1], want, 8), 3);
        for (int j = 0; j < 3; j++) {
            CU_ASSERT_TRUE(rel_diff(alpha[j], strtod(want[j], NULL)) < 1e-12);
            CU_ASSERT_TRUE(rel_diff(alpha[j], a1[j]) < 1e-13);
        }
        CU_ASSERT_EQUAL_FATAL(split(lines[i].field[2], want, 8), 5);
        for (int j = 0; j < 5; j++) {
            CU_ASSERT_TRUE(fabs(norm2[j] / strtod(want[j], NULL) - 1) < 1e-12);
            CU_ASSERT_TRUE(fabs(norm2[j] / n1[j] - 1) < 1e-13);
        }
    }
    CU_ASSERT_TRUE(seen);
    /* three distinct values: degree 2 fits, degree 3 is refused at its last pass */
    const double three[] = {1, 1, 2, 2, 3, 3, NAN};
    for (int degree = 2; degree <= 3; degree++) {
        int rc = 0, k = 0;
        for (; k <= degree && rc == 0; k++) {
            double sums[3] = {0, 0, 0};
            formula_poly_sums(three, 7, k, alpha, norm2, sums);
            CU_ASSERT_EQUAL(sums[0], 6);
            rc = formula_poly_step(k, degree, sums, alpha, norm2, &e);
        }
        CU_ASSERT_EQUAL(rc, degree == 2 ? 0 : -1);
        CU_ASSERT_EQUAL(k, degree + 1);
        CU_ASSERT_EQUAL(formula_poly_fit(three, 7, degree, a1, n1, &e), degree == 2 ? 0 : -1);
    }
    const double same[] = {2.5, 2.5, 2.5};
    double sums[3] = {0, 0, 0};
    formula_poly_sums(same, 3, 0, alpha, norm2, sums);
    CU_ASSERT_EQUAL(formula_poly_step(0, 1, sums, alpha, norm2, &e), 0);
    memset(sums, 0, sizeof sums);
    formula_poly_sums(same, 3, 1, alpha, norm2, sums);
    CU_ASSERT_EQUAL(formula_poly_step(1, 1, sums, alpha, norm2, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "poly(): degree 1 needs more than 1 distinct values");
    free_table(&t);
}

/* The columns a formula reads, and R's as.character of numbers (factor levels). */
static void test_columns_and_numbers(void)
{
    static const char *const cols[] = {"g", "h", "x1", "x2", "x3", "n", "y"};
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("log(y) ~ factor(n) + I(x1 * x2) + g - x3", cols, 7,
                                        &f, &e), 0);
    unsigned char use[7], factor[7];
    formula_columns(f, 7, use, factor);
    static const unsigned char want_use[7] = {1, 0, 1, 1, 1, 1, 1};
    static const unsigned char want_factor[7] = {0, 0, 0, 0, 0, 1, 0};
    CU_ASSERT_EQUAL(memcmp(use, want_use, 7), 0);
    CU_ASSERT_EQUAL(memcmp(factor, want_factor, 7), 0);
    formula_free(f);
    /* as.character(c(1e5, 123456, 0.1, 2, -3.5, 1e-20, 0.0001, 1/3, 1e15, 123456789012)) */
    static const double x[] = {1e5, 123456, 0.1, 2, -3.5, 1e-20, 0.0001, 1.0 / 3, 1e15,
                               123456789012};
    static const char *const r[] = {"1e+05", "123456", "0.1", "2", "-3.5", "1e-20", "1e-04",
                                    "0.333333333333333", "1e+15", "123456789012"};
    for (int i = 0; i < 10; i++) {
        char text[64];
        formula_number_text(x[i], text, sizeof text);
        CU_ASSERT_STRING_EQUAL(text, r[i]);
    }
}

/* formula_apply_block against the row functions on rows that span several chunks, with
   1-3 threads: the same bits; the first bad row found whatever the threads. */
static void test_block(void)
{
    enum { N = 9001, C = 7 };
    static const char *const cols[] = {"g", "h", "x1", "x2", "x3", "n", "y"};
    static const char *const g_levels[] = {"a", "b", "c"}, *const n_levels[] = {"1", "2", "4"};
    static const double n_values[] = {1, 2, 4};
    double *src = malloc((size_t)N * C * sizeof *src);
    srand(11);
    for (int i = 0; i < N; i++) {
        double *r = src + (size_t)i * C;
        r[0] = rand() % 3;
        r[1] = rand() % 2;
        r[2] = (rand() % 2001 - 1000) / 250.0;
        r[3] = 0.5 + (rand() % 1000) / 100.0;
        r[4] = i % 97 == 0 ? NAN : (rand() % 2001 - 1000) / 300.0;
        r[5] = (int[]){1, 2, 4, 3}[rand() % 4];   /* 3: a level not seen in training */
        r[6] = 1 + (rand() % 1000) / 10.0;
    }
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("log(y) ~ g * x1 + factor(n):log(x2) + "
                                        "poly(x3, 2, raw = TRUE) + I(x1^2 / x2) - 1",
                                        cols, C, &f, &e), 0);
    struct formula_levels lv[16] = {{0}};
    for (int v = 0; v < f->n_vars; v++) {
        if (!strcmp(f->vars[v].name, "g"))
            lv[v] = (struct formula_levels){3, g_levels, NULL};
        if (!strcmp(f->vars[v].name, "factor(n)"))
            lv[v] = (struct formula_levels){3, n_levels, n_values};
    }
    struct formula_design d;
    CU_ASSERT_EQUAL_FATAL(formula_design(f, lv, &d, &e), 0);
    int D = d.n_columns;
    double *want = malloc((size_t)N * D * sizeof *want), *want_y = malloc(N * sizeof *want_y);
    double *X = malloc((size_t)N * D * sizeof *X), *y = malloc(N * sizeof *y);
    double slots[64];
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(formula_eval(f, src + (size_t)i * C, slots, NULL, &e), 0);
        formula_design_row(f, &d, slots, want + (size_t)i * D);
        want_y[i] = slots[f->vars[f->response].slot];
    }
    for (int threads = 1; threads <= 3; threads++) {
        int64_t bad_row = -2;
        int bad_var = -2;
        CU_ASSERT_EQUAL(formula_apply_block(f, &d, 0, src, N, C, X, y, threads, &bad_row,
                                            &bad_var, &e), 0);
        CU_ASSERT_EQUAL(memcmp(X, want, (size_t)N * D * sizeof *X), 0);
        CU_ASSERT_EQUAL(memcmp(y, want_y, N * sizeof *y), 0);
        CU_ASSERT_EQUAL(bad_row, -2);
    }
    /* from the second column on: the same rows without the first column */
    CU_ASSERT_EQUAL(formula_apply_block(f, &d, 1, src, N, C, X, y, 2, NULL, NULL, &e), 0);
    int same = 1;
    for (int i = 0; i < N; i++)
        same &= !memcmp(X + (size_t)i * (D - 1), want + (size_t)i * D + 1,
                        (size_t)(D - 1) * sizeof *X);
    CU_ASSERT_TRUE(same);
    /* the unseen level 3 of factor(n): zeros in its columns, not a match of any level */
    int unseen = 0;
    for (int i = 0; i < N && !unseen; i++)
        if (src[(size_t)i * C + 5] == 3) {
            unseen = 1;
            for (int j = 0; j < D; j++)
                if (!strncmp(d.cols[j].name, "factor(n)=", 10))
                    CU_ASSERT_EQUAL(want[(size_t)i * D + j], 0);
        }
    CU_ASSERT_TRUE(unseen);
    /* two bad rows in different chunks: the first is the one reported */
    src[8500 * C + 3] = -1;
    src[5000 * C + 6] = 0;
    for (int threads = 1; threads <= 3; threads++) {
        int64_t bad_row = -2;
        int bad_var = -2;
        CU_ASSERT_EQUAL(formula_apply_block(f, &d, 0, src, N, C, X, y, threads, &bad_row,
                                            &bad_var, &e), -1);
        CU_ASSERT_EQUAL(bad_row, 5000);
        CU_ASSERT_EQUAL(bad_var, f->response);
        CU_ASSERT_STRING_EQUAL(e.msg, "log(y): log of a value that is not positive: 0");
    }
    formula_design_free(&d);
    formula_free(f);
    free(src);
    free(want);
    free(want_y);
    free(X);
    free(y);
}

/* The model file's recipe: written, dumped as the model file dumps numbers, read back;
   the same design, row for row and bit for bit; malformed recipes refused with a reason. */
static void test_json(void)
{
    struct table t;
    CU_ASSERT_EQUAL_FATAL(load_table("datasets/formula_gen.csv", &t), 0);
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("log(y) ~ g:poly(x1, 2) + factor(n) + h * x2 + "
                                        "poly(x3, 2, raw = TRUE)",
                                        (const char *const *)t.names, t.n_cols, &f, &e), 0);
    static const char *const g_lv[] = {"a", "b", "c"}, *const h_lv[] = {"hi", "lo"},
                             *const n_lv[] = {"1", "2", "3", "4"};
    static const double n_values[] = {1, 2, 3, 4};
    struct formula_levels lv[16] = {{0, NULL, NULL}};
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        if (!strcmp(var->name, "g"))
            lv[v] = (struct formula_levels){3, g_lv, NULL};
        else if (!strcmp(var->name, "h"))
            lv[v] = (struct formula_levels){2, h_lv, NULL};
        else if (!strcmp(var->name, "factor(n)"))
            lv[v] = (struct formula_levels){4, n_lv, n_values};
        else if (var->kind == FORMULA_POLY && !var->raw) {
            double x[MAX_ROWS], alpha[2], norm2[4];
            for (int i = 0; i < t.n_rows; i++)
                CU_ASSERT_EQUAL_FATAL(formula_eval_arg(f, v, t.v[i], &x[i], &e), 0);
            CU_ASSERT_EQUAL_FATAL(formula_poly_fit(x, t.n_rows, 2, alpha, norm2, &e), 0);
            formula_poly_set(f, v, alpha, norm2);
        }
    }
    struct formula_design d;
    CU_ASSERT_EQUAL_FATAL(formula_design(f, lv, &d, &e), 0);
    json_t *j = formula_to_json(f, lv, (const char *const *)t.names, t.n_cols, &d);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    json_error_t jerr;
    j = json_loads(text, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    struct formula *g;
    struct formula_levels *glv;
    struct formula_design gd;
    char **cols;
    int n_cols;
    const char *why = NULL;
    int rc = formula_from_json(j, &g, &glv, &gd, &cols, &n_cols, &why);
    if (rc)
        fprintf(stderr, "\n%s\n", why);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(n_cols, t.n_cols);
    CU_ASSERT_EQUAL_FATAL(gd.n_columns, d.n_columns);
    for (int c = 0; c < d.n_columns; c++)
        CU_ASSERT_STRING_EQUAL(gd.cols[c].name, d.cols[c].name);
    double s1[32], s2[32], x1[64], x2[64];
    for (int i = 0; i < t.n_rows; i++) {
        double src[MAX_COLS];
        memcpy(src, t.v[i], sizeof src);
        src[0] = i % 3;  /* g and h: level indices */
        src[1] = i % 2;
        CU_ASSERT_EQUAL_FATAL(formula_eval(f, src, s1, NULL, &e), 0);
        CU_ASSERT_EQUAL_FATAL(formula_eval(g, src, s2, NULL, &e), 0);
        formula_design_row(f, &d, s1, x1);
        formula_design_row(g, &gd, s2, x2);
        CU_ASSERT_EQUAL(memcmp(x1, x2, (size_t)d.n_columns * sizeof *x1), 0);
    }
    formula_design_free(&gd);
    formula_levels_free(glv, g->n_vars);
    formula_free(g);
    for (int c = 0; c < n_cols; c++)
        free(cols[c]);
    free(cols);
    /* malformed: each edit of the recipe, with its reason */
    static const struct {
        const char *from, *to, *why;
    } bad[] = {
        {"\"design\":[\"(Intercept)\"", "\"design\":[\"Intercept\"",
         "\"formula\" \"design\" names other columns than its formula makes"},
        {"\"text\":\"log(y)", "\"text\":\"log(yy)",
         "\"formula\" \"text\" does not parse over its \"columns\""},
        {"\"name\":\"g\"", "\"name\":\"gg\"",
         "a formula variable is not one of the formula's"},
        {"\"alpha\":[", "\"alpha\":[1,", "a formula polynomial's \"alpha\" or \"norm2\" is "
         "malformed"},
        {"\"values\":[1.0", "\"values\":[\"1\"",
         "a formula variable's \"values\" are not one number per level"},
        {"\"text\"", "\"txt\"",
         "\"formula\" lacks its \"text\", \"columns\", \"variables\" or \"design\""},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *at = strstr(text, bad[k].from);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        size_t len = strlen(text) + strlen(bad[k].to) + 1;
        char *edited = malloc(len);
        snprintf(edited, len, "%.*s%s%s", (int)(at - text), text, bad[k].to,
                 at + strlen(bad[k].from));
        json_t *jb = json_loads(edited, 0, &jerr);
        CU_ASSERT_PTR_NOT_NULL_FATAL(jb);
        CU_ASSERT_EQUAL(formula_from_json(jb, &g, &glv, &gd, &cols, &n_cols, &why), -1);
        CU_ASSERT_STRING_EQUAL(why, bad[k].why);
        CU_ASSERT_PTR_NULL(g);
        json_decref(jb);
        free(edited);
    }
    free(text);
    json_decref(j);
    formula_design_free(&d);
    formula_free(f);
    free_table(&t);
}

/* Values a transformation cannot take: an error naming the variable; a missing input is a
   missing value. */
static void test_domain(void)
{
    static const char *const cols[] = {"y", "x", "z"};
    static const struct {
        const char *rhs;
        double x, z;
        const char *msg;
    } bad[] = {
        {"log(x)", 0, 1, "log(x): log of a value that is not positive: 0"},
        {"log10(x - z)", 1, 2, "log10(x - z): log of a value that is not positive: -1"},
        {"sqrt(x)", -4, 1, "sqrt(x): sqrt of a negative value: -4"},
        {"log1p(x)", -1, 1, "log1p(x): log1p of a value at or below -1: -1"},
        {"I(x/z)", 3, 0, "I(x/z): division by 0"},
        {"exp(x)", 1000, 1, "exp(x): exp overflows at 1000"},
        {"I((-x)^0.5)", 2, 1, "I((-x)^0.5): a result that is not finite from -2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "y ~ z + %s", bad[i].rhs);
        struct formula *f;
        struct lr_error e = {0};
        CU_ASSERT_EQUAL_FATAL(formula_parse(text, cols, 3, &f, &e), 0);
        double src[3] = {1, bad[i].x, bad[i].z}, slots[8];
        int v = -1;
        CU_ASSERT_EQUAL(formula_eval(f, src, slots, &v, &e), -1);
        CU_ASSERT_EQUAL(e.code, LR_EDATA);
        CU_ASSERT_STRING_EQUAL(e.msg, bad[i].msg);
        CU_ASSERT_EQUAL(v, 2);
        CU_ASSERT_STRING_EQUAL(f->vars[v].name, bad[i].rhs);
        CU_ASSERT_EQUAL(formula_var_column(f, v), 1);
        /* formula_check: the same failure, the same variable and message */
        struct lr_error ce = {0};
        int cv = -1;
        CU_ASSERT_EQUAL(formula_check(f, src, &cv, &ce), -1);
        CU_ASSERT_EQUAL(cv, v);
        CU_ASSERT_STRING_EQUAL(ce.msg, e.msg);
        CU_ASSERT_TRUE(formula_var_reads(f, v, 1));
        CU_ASSERT_FALSE(formula_var_reads(f, v, 0));
        /* a missing input: no error, a missing value */
        src[1] = NAN;
        CU_ASSERT_EQUAL(formula_check(f, src, &cv, &ce), 0);
        CU_ASSERT_EQUAL(formula_eval(f, src, slots, &v, &e), 0);
        CU_ASSERT_TRUE(isnan(slots[f->vars[2].slot]));
        formula_free(f);
    }
    /* the response is computed as well: log(y) of a row */
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("log(y) ~ x", cols, 3, &f, &e), 0);
    double src[3] = {M_E, 2, 3}, slots[2];
    CU_ASSERT_EQUAL(formula_eval(f, src, slots, NULL, &e), 0);
    CU_ASSERT_DOUBLE_EQUAL(slots[f->vars[f->response].slot], 1, 1e-15);
    formula_free(f);
    /* formula_check needs no polynomial's coefficients, and fails on its argument */
    CU_ASSERT_EQUAL_FATAL(formula_parse("y ~ poly(log(x), 2)", cols, 3, &f, &e), 0);
    double ok_row[3] = {1, 2, 3}, bad_row[3] = {1, -2, 3};
    int v = -1;
    CU_ASSERT_EQUAL(formula_check(f, ok_row, &v, &e), 0);
    CU_ASSERT_EQUAL(formula_eval(f, ok_row, slots, &v, &e), -1);  /* not fitted yet */
    CU_ASSERT_EQUAL(formula_check(f, bad_row, &v, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "poly(log(x), 2): log of a value that is not positive: -2");
    formula_free(f);
}

/* Malformed formulas: each with its message and the character it points at. */
static void test_malformed(void)
{
    static const char *const cols[] = {"price", "carat", "cut", "depth"};
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"price ~ crat", "--formula: unknown column 'crat' at character 9; did you mean 'carat'?"},
        {"log(price) ~ crat * cut",
         "--formula: unknown column 'crat' at character 14; did you mean 'carat'?"},
        {"price ~ colour", "--formula: unknown column 'colour' at character 9"},
        {"price ~ log(carat", "--formula: unbalanced parentheses: this '(' is not closed at "
                              "character 12"},
        {"price ~ (carat + cut", "--formula: unbalanced parentheses: this '(' is not closed at "
                                 "character 9"},
        {"price ~ carat + cut)", "--formula: unbalanced parentheses: this ')' has no '(' at "
                                 "character 20"},
        {"price carat", "--formula: unexpected 'c' at character 7"},
        {"price + carat", "--formula: no '~': write 'RESPONSE ~ TERMS', as in 'y ~ x1 + x2'"},
        {"price ~ carat ~ cut", "--formula: a second '~' at character 15"},
        {"~ carat", "--formula: no response before '~' at character 1"},
        {"price ~ carat + ", "--formula: empty term (the formula ends here) at character 17"},
        {"price ~ ", "--formula: empty term (the formula ends here) at character 9"},
        {"price ~ carat + * cut", "--formula: empty term before '*' at character 17"},
        {"price ~ carat + ()", "--formula: empty term at character 18"},
        {"price ~ lg(carat)", "--formula: unknown function 'lg' at character 9 (known: I, log, "
                              "log2, log10, log1p, exp, sqrt, abs, poly, factor, C, relevel)"},
        {"price ~ I(sin(carat))", "--formula: unknown function 'sin' at character 11 (inside an "
                                  "expression: I, log, log2, log10, log1p, exp, sqrt, abs)"},
        {"price ~ (carat + cut)^2.5", "--formula: '^' needs a positive whole power, not '2.5', "
                                      "at character 22 (write I(x^2.5) for arithmetic)"},
        {"price ~ carat^depth", "--formula: '^' needs a positive whole power, not 'depth', at "
                                "character 14 (write I(x^depth) for arithmetic)"},
        {"price ~ carat + 2", "--formula: the number 2 as a term at character 17 (only 1 and 0, "
                              "for the intercept; write I(...) for arithmetic)"},
        {"price ~ poly(carat)", "--formula: write poly(x, k) or poly(x, k, raw = TRUE) with a "
                                "whole k from 1 to 32, at character 9"},
        {"price ~ poly(carat, 2, raw = 1)", "--formula: write poly(x, k) or poly(x, k, raw = "
                                            "TRUE) with a whole k from 1 to 32, at character 9"},
        {"price ~ factor(log(carat))", "--formula: factor() takes one column at character 9"},
        {"price ~ log(carat, 2)", "--formula: log() takes one argument at character 9"},
        {"price ~ I(carat:depth)", "--formula: ':' inside a function call at character 16 "
                                   "(only + - * / ^ there)"},
        {"price + carat ~ cut", "--formula: the response must be one column or one "
                                "transformation of columns, at character 7"},
        {"price ~ carat $ cut", "--formula: unexpected '$' at character 15"},
        {"price ~ `carat", "--formula: unbalanced backquote at character 9"},
        {"price ~ relevel(cut)", "--formula: write relevel(column, ref = \"LEVEL\") or "
                                 "relevel(factor(column), \"LEVEL\"), at character 9"},
        {"price ~ relevel(log(cut), 'a')", "--formula: write relevel(column, ref = \"LEVEL\") "
                                           "or relevel(factor(column), \"LEVEL\"), at character 9"},
        {"price ~ \"cut\"", "--formula: '\"cut\"' is not a term at character 9"},
        {"price ~ I('a')", "--formula: '\"a\"' cannot be computed at character 11"},
        {"price ~ relevel(cut, 'a)", "--formula: unbalanced quote at character 22"},
        {"price ~ log(carat depth)", "--formula: expected ',' or ')' in the call of log() at "
                                     "character 19"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct formula *f = (struct formula *)1;
        struct lr_error e = {0};
        CU_ASSERT_EQUAL(formula_parse(bad[i].text, cols, 4, &f, &e), -1);
        CU_ASSERT_EQUAL(e.code, LR_EUSAGE);
        CU_ASSERT_PTR_NULL(f);
        if (strcmp(e.msg, bad[i].msg))
            fprintf(stderr, "\n%s\n got  %s\n want %s\n", bad[i].text, e.msg, bad[i].msg);
        CU_ASSERT_STRING_EQUAL(e.msg, bad[i].msg);
    }
}

/* Algebra R's table does not reach: '-' of an interaction, a response among the terms,
   backquoted names, numbers deparsed as R does, '- 0', and refusals of formula_design. */
static void test_algebra(void)
{
    static const char *const cols[] = {"y", "a", "b", "c", "d e"};
    static const struct {
        const char *text;
        int intercept;
        const char *labels;
    } ok[] = {
        {"y ~ a*b - a:b", 1, "a|b"},
        {"y ~ (a + b + c)^3 - a:b:c", 1, "a|b|c|a:b|a:c|b:c"},
        {"y ~ y + a", 1, "a"},
        {"y ~ `d e` + log(`d e`)", 1, "`d e`|log(`d e`)"},
        {"y ~ I(100000*a) + I(0.001 * b) + I(1234567*c) + I(-a + .5)", 1,
         "I(1e+05 * a)|I(0.001 * b)|I(1234567 * c)|I(-a + 0.5)"},
        {"y ~ a - 1 - 0", 1, "a"},
        {"y ~ 0 + a + 1", 1, "a"},
        {"y ~ a + 0", 0, "a"},
        {"y ~ - a", 1, ""},
        {"y ~ 1", 1, ""},
        {"y ~ . - y", 1, "a|b|c|`d e`"},
        {"sqrt(y) ~ . - c", 1, "a|b|`d e`"},
        {"y ~ (a + b)/c", 1, "a|b|a:b:c"},
        {"y~a:b+b:a+b", 1, "b|a:b"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct formula *f;
        struct lr_error e = {0};
        int rc = formula_parse(ok[i].text, cols, 5, &f, &e);
        if (rc)
            fprintf(stderr, "\n%s: %s\n", ok[i].text, e.msg);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        char *labels[16];
        for (int t = 0; t < f->n_terms && t < 16; t++)
            labels[t] = f->terms[t].label;
        char *got = join(labels, f->n_terms < 16 ? f->n_terms : 16);
        if (strcmp(got, ok[i].labels))
            fprintf(stderr, "\n%s: got %s\n", ok[i].text, got);
        CU_ASSERT_STRING_EQUAL(got, ok[i].labels);
        CU_ASSERT_EQUAL(f->intercept, ok[i].intercept);
        free(got);
        formula_free(f);
    }
    /* formula_design refusals: a factor without levels, levels for a transformation, a
       categorical response */
    struct formula *f;
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(formula_parse("y ~ factor(a) + log(b)", cols, 5, &f, &e), 0);
    static const char *const lev[] = {"p", "q"};
    struct formula_levels lv[3] = {{0, NULL, NULL}, {0, NULL, NULL}, {0, NULL, NULL}};
    struct formula_design d;
    CU_ASSERT_EQUAL(formula_design(f, lv, &d, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "--formula: factor(a) has no levels");
    lv[1] = (struct formula_levels){2, lev, NULL};
    lv[2] = (struct formula_levels){2, lev, NULL};
    CU_ASSERT_EQUAL(formula_design(f, lv, &d, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "--formula: log(b) at character 17 reads a categorical column");
    lv[2].n_levels = 0;
    lv[0] = (struct formula_levels){2, lev, NULL};
    CU_ASSERT_EQUAL(formula_design(f, lv, &d, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "--formula: the response y is categorical: it must be numeric");
    lv[0].n_levels = 0;
    CU_ASSERT_EQUAL_FATAL(formula_design(f, lv, &d, &e), 0);
    struct formula *r;
    CU_ASSERT_EQUAL_FATAL(formula_parse("y ~ relevel(a, ref = 'z')", cols, 5, &r, &e), 0);
    struct formula_levels rl[2] = {{0, NULL, NULL}, {2, lev, NULL}};
    struct formula_design rd;
    CU_ASSERT_EQUAL(formula_design(r, rl, &rd, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "--formula: \"z\" is not a level of relevel(a, ref = \"z\") "
                                  "(at character 5)");
    formula_free(r);
    CU_ASSERT_EQUAL(d.n_columns, 3);
    /* an unseen level (negative index) is coded as zeros, a missing one as NaN */
    double slots[3] = {0, -1, 2}, x[3];
    formula_design_row(f, &d, slots, x);
    CU_ASSERT_EQUAL(x[0], 1);
    CU_ASSERT_EQUAL(x[1], 0);
    slots[1] = NAN;
    formula_design_row(f, &d, slots, x);
    CU_ASSERT_TRUE(isnan(x[1]));
    formula_design_free(&d);
    formula_free(f);
}

void add_formula_suite(void)
{
    CU_pSuite s = CU_add_suite("formula", NULL, NULL);
    CU_add_test(s, "30 formulas on iris and a generated set = R's terms and model.matrix",
                test_against_r);
    CU_add_test(s, "poly() coefficients and predictions = R's poly and predict", test_poly_predict);
    CU_add_test(s, "poly() fitted in passes over split rows = R's and the one-array fit",
                test_poly_passes);
    CU_add_test(s, "the columns a formula reads; numbers as R's as.character",
                test_columns_and_numbers);
    CU_add_test(s, "a block of rows = the row functions, any thread count; first bad row",
                test_block);
    CU_add_test(s, "the model file's recipe: read back to the same design; malformed ones",
                test_json);
    CU_add_test(s, "domain errors name the term (formula_check too); missing inputs stay missing",
                test_domain);
    CU_add_test(s, "malformed formulas: messages with the character", test_malformed);
    CU_add_test(s, "term algebra beyond the R table; formula_design refusals", test_algebra);
}
