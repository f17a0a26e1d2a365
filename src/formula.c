/* formula.c — R's model formulas: the parser, the term algebra, the design's columns and a
   row's derived values (the contract is in formula.h). */
#include "formula.h"

#include "par.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable text ---- */

struct buf {
    char *s;
    size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = lr_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* ---- the syntax tree ---- */

enum node_kind { N_NUM, N_NAME, N_DOT, N_CALL, N_BIN, N_UNARY, N_PAREN, N_TRUE, N_FALSE,
                 N_STR };

struct node {
    enum node_kind kind;
    char op;                /* N_BIN: + - * / ^ : ~; N_UNARY: + - */
    int pos;                /* 1-based character */
    double num;
    char *name;             /* N_NAME, N_CALL; N_STR: the string's text */
    struct node *l, *r;     /* N_BIN, N_UNARY (l), N_PAREN (l) */
    int n_args;
    struct node **args;
    char **arg_names;       /* N_CALL: NULL or the name of a named argument */
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    node_free(n->l);
    node_free(n->r);
    for (int i = 0; i < n->n_args; i++) {
        node_free(n->args[i]);
        free(n->arg_names[i]);
    }
    free(n->args);
    free(n->arg_names);
    free(n->name);
    free(n);
}

static struct node *node_new(enum node_kind kind, int pos)
{
    struct node *n = lr_calloc(1, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    return n;
}

/* ---- the tokenizer and parser (R's precedence, loosest first: ~, + -, * /, :, unary
   + -, ^; ^ is right-associative) ---- */

struct parser {
    const char *text;
    size_t at;              /* byte offset of the next token */
    struct lr_error *e;
    int failed;
};

/* 1-based character (not byte) position of byte offset off. */
static int char_pos(const char *text, size_t off)
{
    int pos = 1;
    for (size_t i = 0; i < off && text[i]; i++)
        pos += ((unsigned char)text[i] & 0xC0) != 0x80;
    return pos;
}

static int perr(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->failed = 1;
    return lr_fail(p->e, LR_EUSAGE, "--formula: %s at character %d", msg,
                   char_pos(p->text, off));
}

static void skip_space(struct parser *p)
{
    while (p->text[p->at] == ' ' || p->text[p->at] == '\t' || p->text[p->at] == '\n' ||
           p->text[p->at] == '\r')
        p->at++;
}

static char peek(struct parser *p)
{
    skip_space(p);
    return p->text[p->at];
}

static int name_start(char c)
{
    return isalpha((unsigned char)c) || c == '.' || c == '_' || (unsigned char)c >= 0x80;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || (unsigned char)c >= 0x80;
}

static struct node *parse_sum(struct parser *p);

/* '(' sum ')', p->at on the '('. */
static struct node *parse_paren(struct parser *p)
{
    size_t start = p->at++;
    if (peek(p) == ')') {
        perr(p, p->at, "empty term");
        return NULL;
    }
    struct node *n = node_new(N_PAREN, char_pos(p->text, start));
    n->l = parse_sum(p);
    if (n->l && peek(p) == ')') {
        p->at++;
        return n;
    }
    if (n->l)
        perr(p, start, "unbalanced parentheses: this '(' is not closed");
    node_free(n);
    return NULL;
}

static struct node *parse_number(struct parser *p)
{
    char *end;
    double v = strtod(p->text + p->at, &end);
    if (name_char(*end)) {
        perr(p, p->at, "malformed number");
        return NULL;
    }
    struct node *n = node_new(N_NUM, char_pos(p->text, p->at));
    n->num = v;
    p->at = (size_t)(end - p->text);
    return n;
}

/* A name, `quoted name`, '.', TRUE or FALSE; p->at on its first character. */
static struct node *parse_name(struct parser *p)
{
    size_t start = p->at;
    int pos = char_pos(p->text, start);
    struct node *n;
    if (p->text[start] == '`') {
        const char *close = strchr(p->text + start + 1, '`');
        if (!close) {
            perr(p, start, "unbalanced backquote");
            return NULL;
        }
        n = node_new(N_NAME, pos);
        n->name = lr_malloc((size_t)(close - p->text) - start);
        memcpy(n->name, p->text + start + 1, (size_t)(close - p->text) - start - 1);
        n->name[(size_t)(close - p->text) - start - 1] = 0;
        p->at = (size_t)(close - p->text) + 1;
        return n;
    }
    size_t end = start;
    while (name_char(p->text[end]))
        end++;
    p->at = end;
    if (end - start == 1 && p->text[start] == '.')
        return node_new(N_DOT, pos);
    n = node_new(N_NAME, pos);
    n->name = lr_malloc(end - start + 1);
    memcpy(n->name, p->text + start, end - start);
    n->name[end - start] = 0;
    if (!strcmp(n->name, "TRUE") || !strcmp(n->name, "T"))
        n->kind = N_TRUE;
    else if (!strcmp(n->name, "FALSE") || !strcmp(n->name, "F"))
        n->kind = N_FALSE;
    return n;
}

/* The arguments of call n: (arg, ..., name = arg); p->at on the '('. */
static struct node *parse_call(struct parser *p, struct node *n)
{
    size_t open = p->at++;
    n->kind = N_CALL;
    if (peek(p) == ')') {
        p->at++;
        return n;
    }
    for (;;) {
        n->args = lr_realloc(n->args, (size_t)(n->n_args + 1) * sizeof *n->args);
        n->arg_names = lr_realloc(n->arg_names, (size_t)(n->n_args + 1) * sizeof(char *));
        struct node **arg = &n->args[n->n_args];
        char **arg_name = &n->arg_names[n->n_args++];
        *arg = NULL;
        *arg_name = NULL;
        skip_space(p);
        size_t e = p->at, after;
        while (name_char(p->text[e]))
            e++;
        for (after = e; p->text[after] == ' '; after++)
            ;
        if (e > p->at && p->text[after] == '=' && p->text[after + 1] != '=') {
            *arg_name = lr_malloc(e - p->at + 1);
            memcpy(*arg_name, p->text + p->at, e - p->at);
            (*arg_name)[e - p->at] = 0;
            p->at = after + 1;
        }
        if (!(*arg = parse_sum(p)))
            break;
        char d = peek(p);
        p->at += d == ',' || d == ')';
        if (d == ')')
            return n;
        if (d == ',')
            continue;
        if (d == 0)
            perr(p, open, "unbalanced parentheses: this '(' is not closed");
        else
            perr(p, p->at, "expected ',' or ')' in the call of %s()", lr_shown(n->name).s);
        break;
    }
    node_free(n);
    return NULL;
}

/* "text" or 'text' (no escapes); p->at on the opening quote. */
static struct node *parse_string(struct parser *p)
{
    char quote = p->text[p->at];
    const char *close = strchr(p->text + p->at + 1, quote);
    if (!close) {
        perr(p, p->at, "unbalanced quote");
        return NULL;
    }
    size_t len = (size_t)(close - p->text) - p->at - 1;
    if (memchr(p->text + p->at + 1, '\\', len)) {
        perr(p, p->at, "a backslash in a string");
        return NULL;
    }
    struct node *n = node_new(N_STR, char_pos(p->text, p->at));
    n->name = lr_malloc(len + 1);
    memcpy(n->name, p->text + p->at + 1, len);
    n->name[len] = 0;
    p->at = (size_t)(close - p->text) + 1;
    return n;
}

/* What cannot start an operand: the message for it. */
static void parse_no_operand(struct parser *p, char c)
{
    if (c == 0)
        perr(p, p->at, "empty term (the formula ends here)");
    else if (c == ')')
        perr(p, p->at, "unbalanced parentheses: this ')' has no '('");
    else if (strchr("+*/^:~,", c))
        perr(p, p->at, "empty term before '%c'", c);
    else
        perr(p, p->at, "unexpected character '%c'", c);
}

/* A name, `quoted name`, number, call or parenthesised expression. */
static struct node *parse_primary(struct parser *p)
{
    char c = peek(p);
    if (c == '(')
        return parse_paren(p);
    if (c == '"' || c == '\'')
        return parse_string(p);
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p->text[p->at + 1])))
        return parse_number(p);
    if (c != '`' && !name_start(c)) {
        parse_no_operand(p, c);
        return NULL;
    }
    struct node *n = parse_name(p);
    if (!n || n->kind != N_NAME || c == '`' || peek(p) != '(')
        return n;
    return parse_call(p, n);
}

static struct node *parse_unary(struct parser *p);

static struct node *parse_power(struct parser *p)
{
    struct node *l = parse_primary(p);
    if (!l || peek(p) != '^')
        return l;
    struct node *n = node_new(N_BIN, char_pos(p->text, p->at));
    n->op = '^';
    p->at++;
    n->l = l;
    n->r = parse_unary(p);
    if (!n->r) {
        node_free(n);
        return NULL;
    }
    return n;
}

static struct node *parse_unary(struct parser *p)
{
    char c = peek(p);
    if (c != '-' && c != '+')
        return parse_power(p);
    struct node *n = node_new(N_UNARY, char_pos(p->text, p->at));
    n->op = c;
    p->at++;
    n->l = parse_unary(p);
    if (!n->l) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Left-associative binary operators over next(): ops lists this level's characters. */
static struct node *parse_binary(struct parser *p, const char *ops,
                                 struct node *(*next)(struct parser *))
{
    struct node *l = next(p);
    while (l) {
        char c = peek(p);
        if (!c || !strchr(ops, c))
            return l;
        struct node *n = node_new(N_BIN, char_pos(p->text, p->at));
        n->op = c;
        p->at++;
        n->l = l;
        n->r = next(p);
        if (!n->r) {
            node_free(n);
            return NULL;
        }
        l = n;
    }
    return NULL;
}

static struct node *parse_colon(struct parser *p)
{
    return parse_binary(p, ":", parse_unary);
}

static struct node *parse_product(struct parser *p)
{
    return parse_binary(p, "*/", parse_colon);
}

static struct node *parse_sum(struct parser *p)
{
    return parse_binary(p, "+-", parse_product);
}

/* ---- deparsing as R does (names of variables) ---- */

static int syntactic(const char *s)
{
    static const char *const reserved[] = {"if", "else", "repeat", "while", "function", "for",
                                           "next", "break", "TRUE", "FALSE", "NULL", "Inf",
                                           "NaN", "NA", "in", NULL};
    if (!name_start(s[0]) || s[0] == '_' || (s[0] == '.' && isdigit((unsigned char)s[1])))
        return 0;
    for (const char *c = s; *c; c++)
        if (!name_char(*c))
            return 0;
    for (int i = 0; reserved[i]; i++)
        if (!strcmp(s, reserved[i]))
            return 0;
    return 1;
}

/* A number as R deparses it: 15 significant digits at most, fixed notation unless the
   scientific one is shorter. */
static void format_number(double x, char *out, size_t cap)
{
    char sci[64], fixed[400], want[64];
    snprintf(want, sizeof want, "%.14e", x);
    double target = strtod(want, NULL);
    int d = 1;
    for (; d < 15; d++) {
        snprintf(sci, sizeof sci, "%.*e", d - 1, x);
        if (strtod(sci, NULL) == target)
            break;
    }
    snprintf(sci, sizeof sci, "%.*e", d - 1, x);
    int e10 = atoi(strchr(sci, 'e') + 1);
    int decimals = d - 1 - e10 > 0 ? d - 1 - e10 : 0;
    snprintf(fixed, sizeof fixed, "%.*f", decimals, x);
    snprintf(out, cap, "%s", strlen(fixed) <= strlen(sci) ? fixed : sci);
}

static void deparse(const struct node *n, struct buf *b)
{
    char num[400];
    switch (n->kind) {
    case N_NUM:
        format_number(n->num, num, sizeof num);
        buf_str(b, num);
        break;
    case N_TRUE:
        buf_str(b, "TRUE");
        break;
    case N_STR:   /* R writes every string in double quotes */
        buf_str(b, "\"");
        buf_str(b, n->name);
        buf_str(b, "\"");
        break;
    case N_FALSE:
        buf_str(b, "FALSE");
        break;
    case N_DOT:
        buf_str(b, ".");
        break;
    case N_NAME:
        if (syntactic(n->name)) {
            buf_str(b, n->name);
        } else {
            buf_str(b, "`");
            buf_str(b, n->name);
            buf_str(b, "`");
        }
        break;
    case N_CALL:
        buf_str(b, n->name);
        buf_str(b, "(");
        for (int i = 0; i < n->n_args; i++) {
            if (i)
                buf_str(b, ", ");
            if (n->arg_names[i]) {
                buf_str(b, n->arg_names[i]);
                buf_str(b, " = ");
            }
            deparse(n->args[i], b);
        }
        buf_str(b, ")");
        break;
    case N_PAREN:
        buf_str(b, "(");
        deparse(n->l, b);
        buf_str(b, ")");
        break;
    case N_UNARY:
        buf_add(b, &n->op, 1);
        deparse(n->l, b);
        break;
    case N_BIN:
        deparse(n->l, b);
        if (n->op == '+' || n->op == '-' || n->op == '*' || n->op == '~') {
            char s[4] = {' ', n->op, ' ', 0};
            buf_str(b, s);
        } else {
            buf_add(b, &n->op, 1);
        }
        deparse(n->r, b);
        break;
    }
}

static char *deparse_str(const struct node *n)
{
    struct buf b = {0};
    deparse(n, &b);
    return b.s;
}

/* ---- compiled expressions: a stack program per transformation ---- */

enum op_code { OP_COL, OP_NUM, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_NEG,
               OP_LOG, OP_LOG2, OP_LOG10, OP_LOG1P, OP_EXP, OP_SQRT, OP_ABS };

struct formula_op {
    enum op_code code;
    int column;
    double num;
};

static const struct {
    const char *name;
    enum op_code code;
} math_fns[] = {
    {"log", OP_LOG},     {"log2", OP_LOG2}, {"log10", OP_LOG10}, {"log1p", OP_LOG1P},
    {"exp", OP_EXP},     {"sqrt", OP_SQRT}, {"abs", OP_ABS},
};
enum { N_MATH_FNS = sizeof math_fns / sizeof math_fns[0] };

static const char known_fns[] =
    "I, log, log2, log10, log1p, exp, sqrt, abs, poly, factor, C, relevel";

struct ctx {
    struct parser *p;
    const char *const *columns;
    int n_columns;
    struct formula *f;
    int var_cap;
    int words;              /* uint64_t words per term bit set */
    int parity;             /* 0 inside the right side of '-' */
    unsigned char *lhs_cols; /* columns the response names: '.' leaves them out */
};

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The source column named by n, or -1 with the error (and the nearest name) recorded. */
static int find_column(struct ctx *c, const struct node *n)
{
    for (int j = 0; j < c->n_columns; j++)
        if (!strcmp(c->columns[j], n->name))
            return j;
    int best = -1, best_d = 1 + (int)strlen(n->name) / 3;
    if (best_d > 3)
        best_d = 3;
    for (int j = 0; j < c->n_columns; j++) {
        int d = edit_distance(n->name, c->columns[j]);
        if (d <= best_d && (best < 0 || d < best_d)) {
            best = j;
            best_d = d;
        }
    }
    char near[320] = "";
    if (best >= 0)
        snprintf(near, sizeof near, "; did you mean '%.290s'?", lr_shown(c->columns[best]).s);
    c->p->failed = 1;
    lr_fail(c->p->e, LR_EUSAGE, "--formula: unknown column '%s' at character %d%s",
            lr_shown(n->name).s, n->pos, near);
    return -1;
}

static void emit(struct formula_var *v, enum op_code code, int column, double num)
{
    v->code = lr_realloc(v->code, (size_t)(v->n_code + 1) * sizeof *v->code);
    v->code[v->n_code++] = (struct formula_op){code, column, num};
}

/* Compile an arithmetic expression into v's program; depth tracks the stack. */
static int compile(struct ctx *c, const struct node *n, struct formula_var *v, int depth)
{
    if (depth + 2 > v->stack)
        v->stack = depth + 2;
    switch (n->kind) {
    case N_NUM:
        emit(v, OP_NUM, 0, n->num);
        return 0;
    case N_NAME: {
        int col = find_column(c, n);
        if (col < 0)
            return -1;
        if (v->column < 0)
            v->column = col;
        emit(v, OP_COL, col, 0);
        return 0;
    }
    case N_PAREN:
        return compile(c, n->l, v, depth);
    case N_UNARY:
        if (compile(c, n->l, v, depth) < 0)
            return -1;
        if (n->op == '-')
            emit(v, OP_NEG, 0, 0);
        return 0;
    case N_BIN: {
        static const char ops[] = "+-*/^";
        const char *at = strchr(ops, n->op);
        if (!at) {
            c->p->failed = 1;
            return lr_fail(c->p->e, LR_EUSAGE, "--formula: '%c' inside a function call at "
                           "character %d (only + - * / ^ there)", n->op, n->pos);
        }
        if (compile(c, n->l, v, depth) < 0 || compile(c, n->r, v, depth + 1) < 0)
            return -1;
        emit(v, (enum op_code)(OP_ADD + (at - ops)), 0, 0);
        return 0;
    }
    case N_CALL:
        if (!strcmp(n->name, "I") && n->n_args == 1 && !n->arg_names[0])
            return compile(c, n->args[0], v, depth);
        for (int i = 0; i < N_MATH_FNS; i++)
            if (!strcmp(n->name, math_fns[i].name)) {
                if (n->n_args != 1 || n->arg_names[0]) {
                    c->p->failed = 1;
                    return lr_fail(c->p->e, LR_EUSAGE,
                                   "--formula: %s() takes one argument at character %d",
                                   lr_shown(n->name).s, n->pos);
                }
                if (compile(c, n->args[0], v, depth) < 0)
                    return -1;
                emit(v, math_fns[i].code, 0, 0);
                return 0;
            }
        c->p->failed = 1;
        return lr_fail(c->p->e, LR_EUSAGE,
                       "--formula: unknown function '%s' at character %d (inside an "
                       "expression: I, log, log2, log10, log1p, exp, sqrt, abs)",
                       lr_shown(n->name).s, n->pos);
    default: {
        char *text = deparse_str(n);
        c->p->failed = 1;
        lr_fail(c->p->e, LR_EUSAGE, "--formula: '%s' cannot be computed at character %d",
                lr_shown(text).s, n->pos);
        free(text);
        return -1;
    }
    }
}

/* relevel(col, ref = "LEVEL") or relevel(factor(col), "LEVEL"): col as a factor whose
   reference level is LEVEL (R's relevel: that level first, the others in their order). */
static int install_relevel(struct ctx *c, const struct node *n, struct formula_var *v)
{
    const struct node *x = n->n_args == 2 ? n->args[0] : NULL;
    const struct node *ref = n->n_args == 2 ? n->args[1] : NULL;
    int ok = x && !n->arg_names[0] && ref->kind == N_STR &&
             (!n->arg_names[1] || !strcmp(n->arg_names[1], "ref"));
    if (ok && x->kind == N_CALL && (!strcmp(x->name, "factor") || !strcmp(x->name, "C")) &&
        x->n_args == 1 && !x->arg_names[0])
        x = x->args[0];
    if (!ok || x->kind != N_NAME) {
        c->p->failed = 1;
        return lr_fail(c->p->e, LR_EUSAGE,
                       "--formula: write relevel(column, ref = \"LEVEL\") or "
                       "relevel(factor(column), \"LEVEL\"), at character %d", n->pos);
    }
    v->kind = FORMULA_FACTOR;
    v->ref = lr_strdup(ref->name);
    v->column = find_column(c, x);
    return v->column < 0 ? -1 : 0;
}

/* A call as a variable: factor(col), C(col), poly(expr, k[, raw = TRUE]), or a
   transformation compiled into v's program. */
static int install_call(struct ctx *c, const struct node *n, struct formula_var *v)
{
    if (!strcmp(n->name, "relevel"))
        return install_relevel(c, n, v);
    if (!strcmp(n->name, "factor") || !strcmp(n->name, "C")) {
        v->kind = FORMULA_FACTOR;
        if (n->n_args != 1 || n->args[0]->kind != N_NAME || n->arg_names[0]) {
            c->p->failed = 1;
            return lr_fail(c->p->e, LR_EUSAGE,
                           "--formula: %s() takes one column at character %d", lr_shown(n->name).s,
                           n->pos);
        }
        v->column = find_column(c, n->args[0]);
        return v->column < 0 ? -1 : 0;
    }
    if (!strcmp(n->name, "poly")) {
        v->kind = FORMULA_POLY;
        int ok = n->n_args >= 2 && n->n_args <= 3 && !n->arg_names[0] &&
                 (!n->arg_names[1] || !strcmp(n->arg_names[1], "degree")) &&
                 n->args[1]->kind == N_NUM && n->args[1]->num >= 1 &&
                 n->args[1]->num <= 32 && n->args[1]->num == floor(n->args[1]->num);
        if (ok && n->n_args == 3)
            ok = n->arg_names[2] && !strcmp(n->arg_names[2], "raw") &&
                 (n->args[2]->kind == N_TRUE || n->args[2]->kind == N_FALSE);
        if (!ok) {
            c->p->failed = 1;
            return lr_fail(c->p->e, LR_EUSAGE,
                           "--formula: write poly(x, k) or poly(x, k, raw = TRUE) with a "
                           "whole k from 1 to 32, at character %d", n->pos);
        }
        v->degree = (int)n->args[1]->num;
        v->raw = n->n_args == 3 && n->args[2]->kind == N_TRUE;
        return compile(c, n->args[0], v, 0) < 0 ? -1 : 0;
    }
    v->kind = FORMULA_TRANSFORM;
    int known = !strcmp(n->name, "I");
    for (int i = 0; i < N_MATH_FNS; i++)
        known |= !strcmp(n->name, math_fns[i].name);
    if (!known) {
        c->p->failed = 1;
        return lr_fail(c->p->e, LR_EUSAGE,
                       "--formula: unknown function '%s' at character %d (known: %s)",
                       lr_shown(n->name).s, n->pos, known_fns);
    }
    return compile(c, n, v, 0);
}

/* The index of the variable n stands for, installed (and compiled) on first sight. */
static int install(struct ctx *c, const struct node *n)
{
    char *name = deparse_str(n);
    struct formula *f = c->f;
    for (int i = 0; i < f->n_vars; i++)
        if (!strcmp(f->vars[i].name, name)) {
            free(name);
            return i;
        }
    if (f->n_vars == c->var_cap) {
        c->var_cap = c->var_cap ? 2 * c->var_cap : 16;
        f->vars = lr_realloc(f->vars, (size_t)c->var_cap * sizeof *f->vars);
    }
    struct formula_var *v = &f->vars[f->n_vars];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->column = -1;
    v->degree = 1;
    v->position = n->pos;
    f->n_vars++;
    if (n->kind == N_NAME) {
        v->kind = FORMULA_COLUMN;
        v->column = find_column(c, n);
        return v->column < 0 ? -1 : f->n_vars - 1;
    }
    if (n->kind != N_CALL) {
        c->p->failed = 1;
        if (n->kind == N_NUM)
            return lr_fail(c->p->e, LR_EUSAGE,
                           "--formula: the number %s as a term at character %d (only 1 and "
                           "0, for the intercept; write I(...) for arithmetic)", name, n->pos);
        return lr_fail(c->p->e, LR_EUSAGE, "--formula: '%s' is not a term at character %d",
                       lr_shown(name).s, n->pos);
    }
    return install_call(c, n, v) < 0 ? -1 : f->n_vars - 1;
}

/* ---- the term algebra (R's EncodeVars over bit sets of variables) ---- */

struct terms {
    int n, cap;
    uint64_t *bits;         /* n × words */
};

static uint64_t *term_at(const struct ctx *c, const struct terms *t, int i)
{
    return t->bits + (size_t)i * (size_t)c->words;
}

/* Append bits unless an equal term is there already (R's TrimRepeats keeps the first). */
static void terms_add(const struct ctx *c, struct terms *t, const uint64_t *bits)
{
    for (int i = 0; i < t->n; i++)
        if (!memcmp(term_at(c, t, i), bits, (size_t)c->words * sizeof *bits))
            return;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 8;
        t->bits = lr_realloc(t->bits, (size_t)t->cap * (size_t)c->words * sizeof *t->bits);
    }
    memcpy(term_at(c, t, t->n++), bits, (size_t)c->words * sizeof *bits);
}

static void terms_append(const struct ctx *c, struct terms *t, const struct terms *u)
{
    for (int i = 0; i < u->n; i++)
        terms_add(c, t, term_at(c, u, i));
}

/* Every term of a with every term of b, a's varying slowest (R's InteractTerms). */
static struct terms terms_interact(const struct ctx *c, const struct terms *a,
                                   const struct terms *b)
{
    struct terms t = {0};
    uint64_t *bits = lr_malloc((size_t)c->words * sizeof *bits);
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            for (int w = 0; w < c->words; w++)
                bits[w] = term_at(c, a, i)[w] | term_at(c, b, j)[w];
            terms_add(c, &t, bits);
        }
    free(bits);
    return t;
}

static int encode(struct ctx *c, const struct node *n, struct terms *out);

static int encode_power(struct ctx *c, const struct node *n, struct terms *out)
{
    const struct node *k = n->r;
    while (k->kind == N_PAREN)
        k = k->l;
    if (k->kind != N_NUM || k->num != floor(k->num) || k->num < 1 || k->num > 64) {
        char *text = deparse_str(n->r);
        c->p->failed = 1;
        lr_fail(c->p->e, LR_EUSAGE,
                "--formula: '^' needs a positive whole power, not '%s', at character %d "
                "(write I(x^%s) for arithmetic)", lr_shown(text).s, n->pos, lr_shown(text).s);
        free(text);
        return -1;
    }
    struct terms left = {0};
    if (encode(c, n->l, &left) < 0) {
        free(left.bits);
        return -1;
    }
    struct terms right = {0};
    terms_append(c, &right, &left);
    for (int i = 1; i < (int)k->num; i++) {
        struct terms t = terms_interact(c, &left, &right);
        free(right.bits);
        right = t;
    }
    terms_append(c, out, &right);
    free(left.bits);
    free(right.bits);
    return 0;
}

static int encode_binary(struct ctx *c, const struct node *n, struct terms *out)
{
    if (n->op == '^')
        return encode_power(c, n, out);
    if (n->op == '~') {
        c->p->failed = 1;
        return lr_fail(c->p->e, LR_EUSAGE, "--formula: a second '~' at character %d",
                       n->pos);
    }
    struct terms a = {0}, b = {0};
    int rc = encode(c, n->l, &a);
    if (rc == 0) {
        if (n->op == '-')
            c->parity = !c->parity;
        rc = encode(c, n->r, &b);
        if (n->op == '-')
            c->parity = !c->parity;
    }
    if (rc == 0) {
        struct terms ab = {0};
        switch (n->op) {
        case '+':
            terms_append(c, out, &a);
            terms_append(c, out, &b);
            break;
        case '-':
            for (int i = 0; i < a.n; i++) {
                int drop = 0;
                for (int j = 0; j < b.n && !drop; j++)
                    drop = !memcmp(term_at(c, &a, i), term_at(c, &b, j),
                                   (size_t)c->words * sizeof(uint64_t));
                if (!drop)
                    terms_add(c, out, term_at(c, &a, i));
            }
            break;
        case ':':
            ab = terms_interact(c, &a, &b);
            terms_append(c, out, &ab);
            break;
        case '*':
            ab = terms_interact(c, &a, &b);
            terms_append(c, out, &a);
            terms_append(c, out, &b);
            terms_append(c, out, &ab);
            break;
        case '/': { /* a + (every variable of a):b */
            struct terms all = {0};
            uint64_t *bits = lr_calloc((size_t)c->words, sizeof *bits);
            for (int i = 0; i < a.n; i++)
                for (int w = 0; w < c->words; w++)
                    bits[w] |= term_at(c, &a, i)[w];
            terms_add(c, &all, bits);
            ab = terms_interact(c, &all, &b);
            terms_append(c, out, &a);
            terms_append(c, out, &ab);
            free(bits);
            free(all.bits);
            break;
        }
        }
        free(ab.bits);
    }
    free(a.bits);
    free(b.bits);
    return rc;
}

static int encode(struct ctx *c, const struct node *n, struct terms *out)
{
    uint64_t *bits;
    switch (n->kind) {
    case N_PAREN:
        return encode(c, n->l, out);
    case N_BIN:
        return encode_binary(c, n, out);
    case N_UNARY: {
        struct terms t = {0};
        if (n->op == '-')
            c->parity = !c->parity;
        int rc = encode(c, n->l, &t);
        if (n->op == '-')
            c->parity = !c->parity;
        else
            terms_append(c, out, &t);
        free(t.bits);
        return rc;
    }
    case N_NUM:
        if (n->num == 1 || n->num == 0) {
            c->f->intercept = (n->num == 1) == c->parity;
            return 0;
        }
        break;
    case N_DOT:
        if (!c->columns) {
            c->p->failed = 1;
            return lr_fail(c->p->e, LR_EUSAGE,
                           "--formula: '.' needs the file's header at character %d", n->pos);
        }
        for (int j = 0; j < c->n_columns; j++) {
            if (c->lhs_cols[j])
                continue;
            struct node name = {.kind = N_NAME, .pos = n->pos, .name = (char *)c->columns[j]};
            int v = install(c, &name);
            if (v < 0)
                return -1;
            bits = lr_calloc((size_t)c->words, sizeof *bits);
            bits[v / 64] |= 1ull << (v % 64);
            terms_add(c, out, bits);
            free(bits);
        }
        return 0;
    default:
        break;
    }
    int v = install(c, n);
    if (v < 0)
        return -1;
    bits = lr_calloc((size_t)c->words, sizeof *bits);
    bits[v / 64] |= 1ull << (v % 64);
    terms_add(c, out, bits);
    free(bits);
    return 0;
}

/* Names and '.'s in the tree: an upper bound on its variables. */
static int count_leaves(const struct node *n)
{
    if (!n)
        return 0;
    int k = n->kind == N_NAME || n->kind == N_CALL || n->kind == N_DOT;
    k += count_leaves(n->l) + count_leaves(n->r);
    for (int i = 0; i < n->n_args; i++)
        k += count_leaves(n->args[i]);
    return k;
}

static void mark_columns(const struct ctx *c, const struct node *n, unsigned char *mark)
{
    if (!n)
        return;
    if (n->kind == N_NAME)
        for (int j = 0; j < c->n_columns; j++)
            if (!strcmp(c->columns[j], n->name))
                mark[j] = 1;
    mark_columns(c, n->l, mark);
    mark_columns(c, n->r, mark);
    for (int i = 0; i < n->n_args; i++)
        mark_columns(c, n->args[i], mark);
}

static int popcount_words(const uint64_t *b, int words)
{
    int k = 0;
    for (int w = 0; w < words; w++)
        k += __builtin_popcountll(b[w]);
    return k;
}

/* The sorted terms of the encoded right side into f->terms (R: by degree, stable). */
static void finish_terms(struct ctx *c, const struct terms *t)
{
    struct formula *f = c->f;
    f->terms = lr_calloc((size_t)(t->n ? t->n : 1), sizeof *f->terms);
    int max_degree = 0;
    for (int i = 0; i < t->n; i++) {
        int k = popcount_words(term_at(c, t, i), c->words);
        max_degree = k > max_degree ? k : max_degree;
    }
    for (int degree = 1; degree <= max_degree; degree++)
        for (int i = 0; i < t->n; i++) {
            const uint64_t *b = term_at(c, t, i);
            if (popcount_words(b, c->words) != degree)
                continue;
            if (degree == 1 && (b[f->response / 64] >> (f->response % 64) & 1))
                continue;   /* the response among the terms: R drops it */
            struct formula_term *term = &f->terms[f->n_terms++];
            term->vars = lr_malloc((size_t)degree * sizeof *term->vars);
            struct buf label = {0};
            for (int v = 0; v < f->n_vars; v++)
                if (b[v / 64] >> (v % 64) & 1) {
                    if (term->n_vars)
                        buf_str(&label, ":");
                    buf_str(&label, f->vars[v].name);
                    term->vars[term->n_vars++] = v;
                }
            term->label = label.s;
        }
}

/* Top level: exactly one '~' with one variable before it. */
static int split_tilde(struct parser *p, struct node *root, struct node **lhs,
                       struct node **rhs)
{
    if (root->kind != N_BIN || root->op != '~')
        return lr_fail(p->e, LR_EUSAGE, "--formula: no '~': write 'RESPONSE ~ TERMS', "
                       "as in 'y ~ x1 + x2'");
    *lhs = root->l;
    *rhs = root->r;
    return 0;
}

static struct node *parse_formula(struct parser *p)
{
    skip_space(p);
    if (p->text[p->at] == '~') {
        perr(p, p->at, "no response before '~'");
        return NULL;
    }
    struct node *lhs = parse_sum(p);
    if (!lhs)
        return NULL;
    char c = peek(p);
    if (c == 0)
        return lhs;
    if (c != '~') {
        node_free(lhs);
        if (c == ')')
            perr(p, p->at, "unbalanced parentheses: this ')' has no '('");
        else
            perr(p, p->at, "unexpected '%c'", c);
        return NULL;
    }
    struct node *n = node_new(N_BIN, char_pos(p->text, p->at));
    n->op = '~';
    n->l = lhs;
    p->at++;
    n->r = parse_sum(p);
    if (!n->r) {
        node_free(n);
        return NULL;
    }
    c = peek(p);
    if (c == '~') {
        node_free(n);
        perr(p, p->at, "a second '~'");
        return NULL;
    }
    if (c != 0) {
        node_free(n);
        if (c == ')')
            perr(p, p->at, "unbalanced parentheses: this ')' has no '('");
        else
            perr(p, p->at, "unexpected '%c'", c);
        return NULL;
    }
    return n;
}

int formula_parse(const char *text, const char *const *columns, int n_columns,
                  struct formula **out, struct lr_error *e)
{
    struct parser p = {.text = text, .e = e};
    *out = NULL;
    struct node *root = parse_formula(&p), *lhs = NULL, *rhs = NULL;
    if (!root)
        return -1;
    if (split_tilde(&p, root, &lhs, &rhs) < 0) {
        node_free(root);
        return -1;
    }
    struct formula *f = lr_calloc(1, sizeof *f);
    f->text = lr_strdup(text);
    f->intercept = 1;
    struct ctx c = {.p = &p, .columns = columns, .n_columns = columns ? n_columns : 0,
                    .f = f, .parity = 1};
    int bound = count_leaves(root) + c.n_columns + 1;
    c.words = (bound + 63) / 64;
    c.lhs_cols = lr_calloc((size_t)(c.n_columns ? c.n_columns : 1), 1);
    mark_columns(&c, lhs, c.lhs_cols);
    struct terms t = {0};
    int rc = -1;
    const struct node *l = lhs;
    while (l->kind == N_PAREN)
        l = l->l;
    if (l->kind != N_NAME && l->kind != N_CALL) {
        lr_fail(e, LR_EUSAGE, "--formula: the response must be one column or one "
                "transformation of columns, at character %d", lhs->pos);
        goto done;
    }
    if ((f->response = install(&c, l)) < 0 || encode(&c, rhs, &t) < 0)
        goto done;
    if (f->vars[f->response].kind == FORMULA_POLY) {
        lr_fail(e, LR_EUSAGE, "--formula: poly() as the response at character %d",
                lhs->pos);
        goto done;
    }
    finish_terms(&c, &t);
    for (int v = 0; v < f->n_vars; v++) {
        struct formula_var *var = &f->vars[v];
        var->n_slots = var->kind == FORMULA_POLY ? var->degree : 1;
        var->slot = f->n_slots;
        f->n_slots += var->n_slots;
    }
    rc = 0;
done:
    free(t.bits);
    free(c.lhs_cols);
    node_free(root);
    if (rc < 0)
        formula_free(f);
    else
        *out = f;
    return rc;
}

void formula_free(struct formula *f)
{
    if (!f)
        return;
    for (int v = 0; v < f->n_vars; v++) {
        free(f->vars[v].name);
        free(f->vars[v].ref);
        free(f->vars[v].code);
        free(f->vars[v].alpha);
        free(f->vars[v].norm2);
    }
    for (int t = 0; t < f->n_terms; t++) {
        free(f->terms[t].vars);
        free(f->terms[t].label);
    }
    free(f->vars);
    free(f->terms);
    free(f->text);
    free(f);
}

/* ---- the design's columns (R's model.matrix) ---- */

/* R's TermCode: 1 (contrasts) when term t without variable v is empty or lies within an
   earlier term, 2 (every level) otherwise. */
static int term_code(const struct formula *f, int t, int v)
{
    const struct formula_term *term = &f->terms[t];
    if (term->n_vars == 1)
        return 1;
    for (int s = 0; s < t; s++) {
        const struct formula_term *prev = &f->terms[s];
        int within = 1;
        for (int i = 0; i < term->n_vars && within; i++) {
            if (term->vars[i] == v)
                continue;
            int found = 0;
            for (int j = 0; j < prev->n_vars; j++)
                found |= prev->vars[j] == term->vars[i];
            within = found;
        }
        if (within)
            return 1;
    }
    return 2;
}

static void add_column(struct formula_design *d, int *cap, const char *name, int term,
                       int n_parts, const struct formula_part *parts)
{
    if (d->n_columns == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        d->cols = lr_realloc(d->cols, (size_t)*cap * sizeof *d->cols);
    }
    struct formula_column *col = &d->cols[d->n_columns++];
    col->name = lr_strdup(name);
    col->term = term;
    col->n_parts = n_parts;
    col->parts = lr_malloc((size_t)(n_parts ? n_parts : 1) * sizeof *parts);
    if (n_parts)
        memcpy(col->parts, parts, (size_t)n_parts * sizeof *parts);
}

/* Name of part (var, index) of a column. */
static void part_name(const struct formula *f, struct formula_part part, struct buf *b,
                      const struct formula_levels *levels)
{
    const struct formula_var *v = &f->vars[part.var];
    buf_str(b, v->name);
    if (part.level) {
        buf_str(b, "=");
        buf_str(b, levels[part.var].levels[part.index]);
    } else if (v->kind == FORMULA_POLY) {
        char k[16];
        snprintf(k, sizeof k, "%d", part.index + 1);
        buf_str(b, k);
    }
}

/* The index of var's relevel reference among its levels: -1 without one, -2 when it is
   not one of them. */
static int ref_index(const struct formula_var *var, const struct formula_levels *lv)
{
    if (!var->ref)
        return -1;
    for (int k = 0; k < lv->n_levels; k++)
        if (!strcmp(lv->levels[k], var->ref))
            return k;
    return -2;
}

/* The level at position pos of the design's order: the reference first. */
static int level_at(int ref, int pos)
{
    return ref < 0 ? pos : pos == 0 ? ref : pos <= ref ? pos - 1 : pos;
}

/* What formula_design refuses in the levels it is given. */
static int check_levels(const struct formula *f, const struct formula_levels *levels,
                        struct lr_error *e)
{
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        if (var->kind == FORMULA_FACTOR && levels[v].n_levels <= 0)
            return lr_fail(e, LR_EUSAGE, "--formula: %s has no levels", lr_shown(var->name).s);
        if (levels[v].n_levels > 0 && v == f->response)
            return lr_fail(e, LR_EUSAGE,
                           "--formula: the response %s is categorical: it must be numeric",
                           lr_shown(var->name).s);
        if (levels[v].n_levels > 0 &&
            (var->kind == FORMULA_TRANSFORM || var->kind == FORMULA_POLY))
            return lr_fail(e, LR_EUSAGE,
                           "--formula: %s at character %d reads a categorical column",
                           lr_shown(var->name).s, var->position);
        if (levels[v].n_levels > 0 && ref_index(var, &levels[v]) == -2)
            return lr_fail(e, LR_EUSAGE, "--formula: \"%s\" is not a level of %s (at "
                           "character %d)", lr_shown(var->ref).s, lr_shown(var->name).s,
                           var->position);
        for (int k = 1; levels[v].values && k < levels[v].n_levels; k++)
            if (!(levels[v].values[k - 1] < levels[v].values[k]))
                return lr_fail(e, LR_EUSAGE, "--formula: %s: the levels' numbers must "
                               "increase", lr_shown(var->name).s);
    }
    return 0;
}

/* The columns of term t: every combination of its variables' columns, the first variable
   varying fastest; *full_done: whether the no-intercept rule has been applied. */
static int add_term_columns(const struct formula *f, const struct formula_levels *levels,
                            int t, int *full_done, struct formula_design *out, int *cap,
                            struct lr_error *e)
{
    const struct formula_term *term = &f->terms[t];
    int k = term->n_vars, lo[64], hi[64], idx[64], ref[64];
    if (k > 64)
        return lr_fail(e, LR_EUSAGE, "--formula: term %s has more than 64 variables",
                       lr_shown(term->label).s);
    int64_t n_cols = 1;
    for (int i = 0; i < k; i++) {
        int v = term->vars[i], n_lev = levels[v].n_levels;
        ref[i] = n_lev > 0 ? ref_index(&f->vars[v], &levels[v]) : -1;
        lo[i] = 0;
        hi[i] = n_lev > 0 ? n_lev : f->vars[v].n_slots;
        if (n_lev > 0) {
            int code = *full_done ? term_code(f, t, v) : 2;
            *full_done = 1;
            lo[i] = code == 1;
        }
        n_cols *= hi[i] - lo[i];
        idx[i] = lo[i];
    }
    if (n_cols > (1 << 24))
        return lr_fail(e, LR_EUSAGE, "--formula: term %s has %lld columns", lr_shown(term->label).s,
                       (long long)n_cols);
    struct formula_part parts[64];
    for (int64_t j = 0; j < n_cols; j++) {
        struct buf name = {0};
        for (int i = 0; i < k; i++) {
            int level = levels[term->vars[i]].n_levels > 0;
            parts[i] = (struct formula_part){term->vars[i],
                                             level ? level_at(ref[i], idx[i]) : idx[i], level};
            if (i)
                buf_str(&name, ":");
            part_name(f, parts[i], &name, levels);
        }
        add_column(out, cap, name.s, t, k, parts);
        free(name.s);
        for (int i = 0; i < k; i++) {   /* the first variable varies fastest */
            if (++idx[i] < hi[i])
                break;
            idx[i] = lo[i];
        }
    }
    return 0;
}

int formula_design(const struct formula *f, const struct formula_levels *levels,
                   struct formula_design *out, struct lr_error *e)
{
    memset(out, 0, sizeof *out);
    if (check_levels(f, levels, e) < 0)
        return -1;
    out->n_vars = f->n_vars;
    out->n_levels = lr_calloc((size_t)(f->n_vars ? f->n_vars : 1), sizeof *out->n_levels);
    out->level_values = lr_calloc((size_t)(f->n_vars ? f->n_vars : 1),
                                  sizeof *out->level_values);
    for (int v = 0; v < f->n_vars; v++) {
        out->n_levels[v] = levels[v].n_levels;
        if (levels[v].values && levels[v].n_levels > 0) {
            size_t bytes = (size_t)levels[v].n_levels * sizeof(double);
            out->level_values[v] = memcpy(lr_malloc(bytes), levels[v].values, bytes);
        }
    }
    int cap = 0;
    if (f->intercept)
        add_column(out, &cap, "(Intercept)", -1, 0, NULL);
    int full_done = f->intercept;   /* no intercept: the first factor gets every level */
    for (int t = 0; t < f->n_terms; t++)
        if (add_term_columns(f, levels, t, &full_done, out, &cap, e) < 0) {
            formula_design_free(out);
            return -1;
        }
    return 0;
}

void formula_design_free(struct formula_design *d)
{
    for (int j = 0; j < d->n_columns; j++) {
        free(d->cols[j].name);
        free(d->cols[j].parts);
    }
    free(d->cols);
    for (int v = 0; v < d->n_vars; v++)
        free(d->level_values[v]);
    free(d->level_values);
    free(d->n_levels);
    memset(d, 0, sizeof *d);
}

/* ---- evaluation ---- */

static int domain_error(const struct formula_var *v, const char *what, double x,
                        struct lr_error *e)
{
    char num[64];
    snprintf(num, sizeof num, "%.17g", x);
    return lr_fail(e, LR_EDATA, "%s: %s %s", lr_shown(v->name).s, what, num);
}

/* Run v's program on one row. */
static int run_code(const struct formula_var *v, const double *src, double *value,
                    struct lr_error *e)
{
    double stack_small[32];
    double *s = v->stack <= 32 ? stack_small : lr_malloc((size_t)v->stack * sizeof *s);
    s[0] = 0;
    int top = 0, rc = 0;
    for (int i = 0; i < v->n_code && rc == 0; i++) {
        const struct formula_op *op = &v->code[i];
        double a = top > 0 ? s[top - 1] : 0, b = top > 1 ? s[top - 2] : 0, r = 0;
        int in_finite = 1;
        switch (op->code) {
        case OP_COL:
            s[top++] = src[op->column];
            continue;
        case OP_NUM:
            s[top++] = op->num;
            continue;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
            /* b op a: b was pushed first */
            r = op->code == OP_ADD ? b + a : op->code == OP_SUB ? b - a
                : op->code == OP_MUL ? b * a : op->code == OP_DIV ? b / a
                : a == 2 ? b * b : pow(b, a);   /* x^2 as R computes it */
            in_finite = isfinite(a) && isfinite(b);
            if (in_finite && !isfinite(r))
                rc = op->code == OP_DIV && a == 0 ? domain_error(v, "division by", a, e)
                     : domain_error(v, "a result that is not finite from", b, e);
            s[--top - 1] = r;
            continue;
        case OP_NEG:
            s[top - 1] = -a;
            continue;
        case OP_LOG: case OP_LOG2: case OP_LOG10:
            if (a <= 0)
                rc = domain_error(v, "log of a value that is not positive:", a, e);
            r = op->code == OP_LOG ? log(a) : op->code == OP_LOG2 ? log2(a) : log10(a);
            break;
        case OP_LOG1P:
            if (a <= -1)
                rc = domain_error(v, "log1p of a value at or below -1:", a, e);
            r = log1p(a);
            break;
        case OP_EXP:
            r = exp(a);
            if (isfinite(a) && !isfinite(r))
                rc = domain_error(v, "exp overflows at", a, e);
            break;
        case OP_SQRT:
            if (a < 0)
                rc = domain_error(v, "sqrt of a negative value:", a, e);
            r = sqrt(a);
            break;
        case OP_ABS:
            r = fabs(a);
            break;
        }
        s[top - 1] = r;
    }
    *value = s[0];
    if (s != stack_small)
        free(s);
    return rc;
}

int formula_eval_arg(const struct formula *f, int v, const double *src, double *value,
                     struct lr_error *e)
{
    const struct formula_var *var = &f->vars[v];
    if (!var->code) {
        *value = src[var->column];
        return 0;
    }
    return run_code(var, src, value, e);
}

int formula_eval(const struct formula *f, const double *src, double *slots, int *bad_var,
                 struct lr_error *e)
{
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        double *out = slots + var->slot, x;
        if (!var->code) {   /* a column or a factor: the source value as it is */
            out[0] = src[var->column];
            continue;
        }
        if (run_code(var, src, &x, e) < 0) {
            if (bad_var)
                *bad_var = v;
            return -1;
        }
        if (var->kind != FORMULA_POLY) {
            out[0] = x;
            continue;
        }
        if (var->raw) {
            for (int k = 0; k < var->degree; k++)
                out[k] = k ? out[k - 1] * x : x;
            continue;
        }
        if (!var->alpha) {
            if (bad_var)
                *bad_var = v;
            return lr_fail(e, LR_EUSAGE, "%s: the orthogonal polynomial's coefficients "
                           "were not computed", lr_shown(var->name).s);
        }
        /* R's predict.poly: Z1 = x - alpha1, Z(k+1) = (x - alpha(k+1))·Zk
           - norm2(k+2)/norm2(k+1)·Z(k-1), each divided by sqrt(norm2(k+2)) */
        double prev = 1, cur = x - var->alpha[0];
        for (int k = 0; k < var->degree; k++) {
            out[k] = cur / sqrt(var->norm2[k + 2]);
            if (k + 1 < var->degree) {
                double next = (x - var->alpha[k + 1]) * cur -
                              var->norm2[k + 2] / var->norm2[k + 1] * prev;
                prev = cur;
                cur = next;
            }
        }
    }
    return 0;
}

/* ---- evaluation of many rows at once ----
   The same operations as run_code, in the same order on each value, so the same bits; but
   each instruction runs over a batch of rows before the next one, so that the program is
   interpreted once a batch instead of once a row. */

enum { BATCH = 256 };   /* rows a batch: a variable's stack of batches stays in cache */

/* Variable v's program on the m (<= BATCH) rows of src (C numbers a row) into x[0..m);
   bad[i] becomes v + 1 where row i fails and bad[i] was 0. stack: room for var->stack
   batches. */
static void run_code_rows(const struct formula_var *var, int v, const double *src, int C,
                          int m, double *x, int *bad, double *stack)
{
    int top = 0;
    for (int p = 0; p < var->n_code; p++) {
        const struct formula_op *op = &var->code[p];
        double *t = stack + (size_t)top * BATCH, *a = t - BATCH, *b = t - 2 * BATCH;
        switch (op->code) {
        case OP_COL:
            for (int i = 0; i < m; i++)
                t[i] = src[(size_t)i * C + op->column];
            top++;
            continue;
        case OP_NUM:
            for (int i = 0; i < m; i++)
                t[i] = op->num;
            top++;
            continue;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
            for (int i = 0; i < m; i++) {  /* b op a: b was pushed first */
                double r = op->code == OP_ADD ? b[i] + a[i] : op->code == OP_SUB ? b[i] - a[i]
                           : op->code == OP_MUL ? b[i] * a[i] : op->code == OP_DIV ? b[i] / a[i]
                           : a[i] == 2 ? b[i] * b[i] : pow(b[i], a[i]);
                if (isfinite(a[i]) && isfinite(b[i]) && !isfinite(r) && !bad[i])
                    bad[i] = v + 1;
                b[i] = r;
            }
            top--;
            continue;
        case OP_NEG:
            for (int i = 0; i < m; i++)
                a[i] = -a[i];
            continue;
        case OP_LOG: case OP_LOG2: case OP_LOG10:
            for (int i = 0; i < m; i++) {
                if (a[i] <= 0 && !bad[i])
                    bad[i] = v + 1;
                a[i] = op->code == OP_LOG ? log(a[i]) : op->code == OP_LOG2 ? log2(a[i])
                       : log10(a[i]);
            }
            continue;
        case OP_LOG1P:
            for (int i = 0; i < m; i++) {
                if (a[i] <= -1 && !bad[i])
                    bad[i] = v + 1;
                a[i] = log1p(a[i]);
            }
            continue;
        case OP_EXP:
            for (int i = 0; i < m; i++) {
                double r = exp(a[i]);
                if (isfinite(a[i]) && !isfinite(r) && !bad[i])
                    bad[i] = v + 1;
                a[i] = r;
            }
            continue;
        case OP_SQRT:
            for (int i = 0; i < m; i++) {
                if (a[i] < 0 && !bad[i])
                    bad[i] = v + 1;
                a[i] = sqrt(a[i]);
            }
            continue;
        case OP_ABS:
            for (int i = 0; i < m; i++)
                a[i] = fabs(a[i]);
            continue;
        }
    }
    memcpy(x, stack, (size_t)m * sizeof *x);
}

/* formula_eval on the m (<= BATCH) rows of src: slots m × f->n_slots (unless check_only:
   then the transformations and polynomials' arguments alone, nothing stored); bad[i] the
   first variable row i fails on, plus one (0: none), as formula_eval finds it. work: room
   for (max stack + 1) batches. */
static void eval_batch(const struct formula *f, const double *src, int C, int m,
                       double *slots, int check_only, int *bad, double *work)
{
    int ns = f->n_slots;
    double *x = work;
    memset(bad, 0, (size_t)m * sizeof *bad);
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        if (!var->code) {   /* a column or a factor: the source value as it is */
            for (int i = 0; !check_only && i < m; i++)
                slots[(size_t)i * ns + var->slot] = src[(size_t)i * C + var->column];
            continue;
        }
        run_code_rows(var, v, src, C, m, x, bad, work + BATCH);
        if (check_only)
            continue;
        for (int i = 0; i < m; i++) {
            double *out = slots + (size_t)i * ns + var->slot, xi = x[i];
            if (var->kind != FORMULA_POLY) {
                out[0] = xi;
            } else if (var->raw) {
                for (int k = 0; k < var->degree; k++)
                    out[k] = k ? out[k - 1] * xi : xi;
            } else {  /* R's predict.poly, as formula_eval */
                double prev = 1, cur = xi - var->alpha[0];
                for (int k = 0; k < var->degree; k++) {
                    out[k] = cur / sqrt(var->norm2[k + 2]);
                    if (k + 1 < var->degree) {
                        double next = (xi - var->alpha[k + 1]) * cur -
                                      var->norm2[k + 2] / var->norm2[k + 1] * prev;
                        prev = cur;
                        cur = next;
                    }
                }
            }
        }
    }
}

/* Room eval_batch needs in work, in doubles. */
static size_t batch_work(const struct formula *f)
{
    int depth = 1;
    for (int v = 0; v < f->n_vars; v++)
        depth = f->vars[v].stack > depth ? f->vars[v].stack : depth;
    return (size_t)(depth + 1) * BATCH;
}

void formula_check_rows(const struct formula *f, const double *src, int64_t n, int n_cols,
                        int *bad)
{
    double *work = lr_malloc(batch_work(f) * sizeof *work);
    for (int64_t lo = 0; lo < n; lo += BATCH) {
        int m = n - lo < BATCH ? (int)(n - lo) : BATCH;
        eval_batch(f, src + lo * n_cols, n_cols, m, NULL, 1, bad + lo, work);
    }
    free(work);
}

int formula_check(const struct formula *f, const double *src, int *bad_var,
                  struct lr_error *e)
{
    for (int v = 0; v < f->n_vars; v++) {
        double x;
        if (f->vars[v].code && run_code(&f->vars[v], src, &x, e) < 0) {
            if (bad_var)
                *bad_var = v;
            return -1;
        }
    }
    return 0;
}

int formula_var_reads(const struct formula *f, int v, int c)
{
    for (int i = 0; i < f->vars[v].n_code; i++)
        if (f->vars[v].code[i].code == OP_COL && f->vars[v].code[i].column == c)
            return 1;
    return 0;
}

/* The index of x among n increasing numbers, -1 when it is none of them. */
static double level_of(const double *values, int n, double x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (values[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && values[lo] == x ? lo : -1;
}

/* The design row's columns from `first` on into x. */
static void design_row_from(const struct formula *f, const struct formula_design *d,
                            int first, const double *slots, double *x)
{
    x -= first;
    for (int j = first; j < d->n_columns; j++) {
        const struct formula_column *col = &d->cols[j];
        const struct formula_part *q = col->parts;
        if (col->n_parts == 1 && !q[0].level) {  /* a number: 1·a is a */
            x[j] = slots[f->vars[q[0].var].slot + q[0].index];
            continue;
        }
        if (col->n_parts == 2 && !q[0].level && !q[1].level) {  /* (1·a)·b is a·b */
            x[j] = slots[f->vars[q[0].var].slot + q[0].index] *
                   slots[f->vars[q[1].var].slot + q[1].index];
            continue;
        }
        double p = 1;
        for (int i = 0; i < col->n_parts; i++) {
            const struct formula_var *v = &f->vars[col->parts[i].var];
            if (col->parts[i].level) {
                double s = slots[v->slot];
                const double *values = d->level_values[col->parts[i].var];
                if (values && !isnan(s))
                    s = level_of(values, d->n_levels[col->parts[i].var], s);
                p *= isnan(s) ? NAN : s == col->parts[i].index;
            } else {
                p *= slots[v->slot + col->parts[i].index];
            }
        }
        x[j] = p;
    }
}

void formula_design_row(const struct formula *f, const struct formula_design *d,
                        const double *slots, double *x)
{
    design_row_from(f, d, 0, slots, x);
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, w = *(const double *)b;
    return (u > w) - (u < w);
}

/* p_k(x) by the recurrence, with the coefficients found so far. */
static double poly_value(double x, int k, const double *alpha, const double *norm2)
{
    double prev = 1, cur = x - alpha[0];
    if (k == 0)
        return 1;
    for (int j = 1; j < k; j++) {
        double next = (x - alpha[j]) * cur - norm2[j + 1] / norm2[j] * prev;
        prev = cur;
        cur = next;
    }
    return cur;
}

void formula_poly_sums(const double *x, int64_t n, int k, const double *alpha,
                       const double *norm2, double sums[3])
{
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        double p = poly_value(x[i], k, alpha, norm2);
        sums[0] += 1;
        sums[1] += p * p;
        sums[2] += x[i] * p * p;
    }
}

int formula_poly_step(int k, int degree, const double sums[3], double *alpha, double *norm2,
                      struct lr_error *e)
{
    if (k == 0) {
        if (sums[0] < 1)
            return lr_fail(e, LR_EDATA, "poly(): no values");
        norm2[0] = 1;
        norm2[1] = sums[0];
        alpha[0] = sums[2] / sums[0];
        return 0;
    }
    /* p_k vanishes on the data when it has k distinct values or fewer: its sum of squares
       is rounding noise against n·s^(2k) (s² the variance, norm2[2]/n) */
    double n = norm2[1], scale = k == 1 ? alpha[0] * alpha[0] : pow(norm2[2] / n, k);
    if (!(sums[1] > 1e-20 * n * scale) || (k == 1 && sums[1] == 0))
        return lr_fail(e, LR_EDATA, "poly(): degree %d needs more than %d distinct values",
                       degree, degree);
    norm2[k + 1] = sums[1];
    if (k < degree)
        alpha[k] = sums[2] / sums[1];
    return 0;
}

int formula_poly_fit(const double *x, int64_t n, int degree, double *alpha, double *norm2,
                     struct lr_error *e)
{
    /* R's own error first: degree must be less than the number of distinct values */
    int64_t m = 0, distinct = 0;
    double *s = lr_malloc(lr_bytes(n ? n : 1, 1, sizeof(double)));
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            s[m++] = x[i];
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    for (int64_t i = 0; i < m; i++)
        distinct += i == 0 || s[i] != s[i - 1];
    free(s);
    if (distinct <= degree)
        return lr_fail(e, LR_EDATA, "poly(): degree %d needs more than %d distinct values; "
                       "the column has %lld", degree, degree, (long long)distinct);
    for (int k = 0; k <= degree; k++) {
        double sums[3] = {0, 0, 0};
        formula_poly_sums(x, n, k, alpha, norm2, sums);
        if (formula_poly_step(k, degree, sums, alpha, norm2, e) < 0)
            return -1;
    }
    return 0;
}

void formula_poly_set(struct formula *f, int v, const double *alpha, const double *norm2)
{
    struct formula_var *var = &f->vars[v];
    free(var->alpha);
    free(var->norm2);
    var->alpha = lr_malloc((size_t)var->degree * sizeof *alpha);
    var->norm2 = lr_malloc((size_t)(var->degree + 2) * sizeof *norm2);
    memcpy(var->alpha, alpha, (size_t)var->degree * sizeof *alpha);
    memcpy(var->norm2, norm2, (size_t)(var->degree + 2) * sizeof *norm2);
}

void formula_number_text(double x, char *out, size_t cap)
{
    format_number(x, out, cap);
}

void formula_columns(const struct formula *f, int n_columns, unsigned char *use,
                     unsigned char *factor)
{
    memset(use, 0, (size_t)n_columns);
    memset(factor, 0, (size_t)n_columns);
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        if (var->column >= 0 && var->column < n_columns)
            use[var->column] = 1;
        if (var->kind == FORMULA_FACTOR && var->column < n_columns)
            factor[var->column] = 1;
        for (int i = 0; i < var->n_code; i++)
            if (var->code[i].code == OP_COL && var->code[i].column < n_columns)
                use[var->code[i].column] = 1;
    }
}

int formula_var_column(const struct formula *f, int v)
{
    return f->vars[v].column;
}

int formula_apply_block(const struct formula *f, const struct formula_design *d, int first,
                        const double *src, int64_t n, int n_cols, double *X, double *y,
                        int n_threads, int64_t *bad_row, int *bad_var, struct lr_error *e)
{
    int64_t parts = par_chunks(n), first_bad = -1;
    int64_t *bad = lr_malloc((size_t)parts * sizeof *bad);
    int dc = d->n_columns - first;
    for (int v = 0; v < f->n_vars; v++)
        if (n > 0 && f->vars[v].kind == FORMULA_POLY && !f->vars[v].raw && !f->vars[v].alpha) {
            free(bad);  /* formula_eval's error for it, on the first row */
            int bv = -1;
            double *slots = lr_malloc((size_t)(f->n_slots ? f->n_slots : 1) * sizeof *slots);
            formula_eval(f, src, slots, &bv, e);
            free(slots);
            if (bad_row)
                *bad_row = 0;
            if (bad_var)
                *bad_var = bv;
            return -1;
        }
    int ns = f->n_slots ? f->n_slots : 1, ry = f->vars[f->response].slot;
    #pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1)
    {
        double *slots = lr_malloc((size_t)BATCH * ns * sizeof *slots);
        double *work = lr_malloc(batch_work(f) * sizeof *work);
        int *row_bad = lr_malloc(BATCH * sizeof *row_bad);
        #pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < parts; k++) {
            int64_t lo, hi;
            par_chunk(n, k, &lo, &hi);
            bad[k] = -1;
            /* X: N×D row-major; src: N×C; a batch's variables, then its design rows */
            for (int64_t b = lo; b < hi && bad[k] < 0; b += BATCH) {
                int m = hi - b < BATCH ? (int)(hi - b) : BATCH;
                eval_batch(f, src + b * n_cols, n_cols, m, slots, 0, row_bad, work);
                for (int i = 0; i < m; i++) {
                    if (row_bad[i]) {
                        bad[k] = b + i;
                        break;
                    }
                    design_row_from(f, d, first, slots + (size_t)i * ns, X + (b + i) * dc);
                    if (y)
                        y[b + i] = slots[(size_t)i * ns + ry];
                }
            }
        }
        free(row_bad);
        free(work);
        free(slots);
    }
    for (int64_t k = 0; k < parts && first_bad < 0; k++)
        first_bad = bad[k];
    free(bad);
    if (first_bad < 0)
        return 0;
    /* the first bad row again, serially: its message and variable */
    double *slots = lr_malloc((size_t)(f->n_slots ? f->n_slots : 1) * sizeof *slots);
    int v = -1;
    formula_eval(f, src + first_bad * n_cols, slots, &v, e);
    free(slots);
    if (bad_row)
        *bad_row = first_bad;
    if (bad_var)
        *bad_var = v;
    return -1;
}

/* ---- the model file's recipe ---- */

static json_t *real_array(const double *v, int n)
{
    json_t *a = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(a, json_real(v[k]));
    return a;
}

void *formula_to_json(const struct formula *f, const struct formula_levels *levels,
                      const char *const *columns, int n_columns,
                      const struct formula_design *d)
{
    json_t *cols = json_array(), *vars = json_array(), *design = json_array();
    for (int c = 0; c < n_columns; c++)
        json_array_append_new(cols, json_string(columns[c]));
    for (int v = 0; v < f->n_vars; v++) {
        const struct formula_var *var = &f->vars[v];
        json_t *o = json_pack("{s:s}", "name", var->name);
        if (levels[v].n_levels > 0) {
            json_t *lv = json_array();
            for (int k = 0; k < levels[v].n_levels; k++)
                json_array_append_new(lv, json_string(levels[v].levels[k]));
            json_object_set_new(o, "levels", lv);
            if (levels[v].values)
                json_object_set_new(o, "values", real_array(levels[v].values,
                                                            levels[v].n_levels));
        } else if (var->kind == FORMULA_POLY && !var->raw && var->alpha) {
            json_object_set_new(o, "alpha", real_array(var->alpha, var->degree));
            json_object_set_new(o, "norm2", real_array(var->norm2, var->degree + 2));
        } else {
            json_decref(o);
            continue;
        }
        json_array_append_new(vars, o);
    }
    for (int j = 0; j < d->n_columns; j++)
        json_array_append_new(design, json_string(d->cols[j].name));
    return json_pack("{s:s, s:o, s:o, s:o}", "text", f->text, "columns", cols, "variables",
                     vars, "design", design);
}

void formula_levels_free(struct formula_levels *levels, int n_vars)
{
    if (!levels)
        return;
    for (int v = 0; v < n_vars; v++) {
        for (int k = 0; k < levels[v].n_levels; k++)
            free((char *)levels[v].levels[k]);
        free((void *)levels[v].levels);
        free((void *)levels[v].values);
    }
    free(levels);
}

/* n numbers of a JSON array into a new array; NULL unless it is exactly that. */
static double *real_list(const json_t *a, int n)
{
    if (!json_is_array(a) || (int)json_array_size(a) != n)
        return NULL;
    double *v = lr_malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int k = 0; k < n; k++) {
        const json_t *x = json_array_get(a, (size_t)k);
        if (!json_is_number(x)) {
            free(v);
            return NULL;
        }
        v[k] = json_number_value(x);
    }
    return v;
}

/* One entry of "variables" into lv[v] or the formula's polynomial. */
static int variable_from_json(const json_t *o, struct formula *f, struct formula_levels *lv,
                              const char **why)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    int v = 0;
    while (name && v < f->n_vars && strcmp(f->vars[v].name, name))
        v++;
    *why = "a formula variable is not one of the formula's";
    if (!name || v == f->n_vars)
        return -1;
    const json_t *levels = json_object_get(o, "levels");
    if (levels) {
        int n = json_is_array(levels) ? (int)json_array_size(levels) : 0;
        *why = "a formula variable's \"levels\" is not a list of strings";
        if (n == 0 || lv[v].n_levels)
            return -1;
        const char **names = lr_calloc((size_t)n, sizeof *names);
        lv[v].levels = names;
        for (int k = 0; k < n; k++) {
            const char *text = json_string_value(json_array_get(levels, (size_t)k));
            if (!text)
                return -1;
            names[k] = lr_strdup(text);
            lv[v].n_levels = k + 1;
        }
        const json_t *values = json_object_get(o, "values");
        *why = "a formula variable's \"values\" are not one number per level";
        if (values && !(lv[v].values = real_list(values, n)))
            return -1;
        return 0;
    }
    const struct formula_var *var = &f->vars[v];
    double *alpha = real_list(json_object_get(o, "alpha"), var->degree);
    double *norm2 = real_list(json_object_get(o, "norm2"), var->degree + 2);
    int ok = var->kind == FORMULA_POLY && !var->raw && alpha && norm2;
    for (int k = 1; ok && k < var->degree + 2; k++)
        ok = norm2[k] > 0;
    if (ok)
        formula_poly_set(f, v, alpha, norm2);
    free(alpha);
    free(norm2);
    *why = "a formula polynomial's \"alpha\" or \"norm2\" is malformed";
    return ok ? 0 : -1;
}

int formula_from_json(const void *json, struct formula **f, struct formula_levels **levels,
                      struct formula_design *d, char ***columns, int *n_columns,
                      const char **why)
{
    const json_t *root = json;
    const char *text = json_string_value(json_object_get(root, "text"));
    const json_t *cols = json_object_get(root, "columns");
    const json_t *vars = json_object_get(root, "variables");
    const json_t *design = json_object_get(root, "design");
    *f = NULL;
    *levels = NULL;
    *columns = NULL;
    *n_columns = 0;
    memset(d, 0, sizeof *d);
    *why = "\"formula\" lacks its \"text\", \"columns\", \"variables\" or \"design\"";
    if (!text || !json_is_array(cols) || !json_is_array(vars) || !json_is_array(design))
        return -1;
    int n = (int)json_array_size(cols);
    char **names = lr_calloc((size_t)(n ? n : 1), sizeof *names);
    *why = "\"formula\" \"columns\" is not a list of names";
    for (int c = 0; c < n; c++) {
        const char *name = json_string_value(json_array_get(cols, (size_t)c));
        if (!name)
            goto fail;
        names[c] = lr_strdup(name);
        *n_columns = c + 1;
    }
    *columns = names;
    struct lr_error e = {0};
    *why = "\"formula\" \"text\" does not parse over its \"columns\"";
    if (formula_parse(text, (const char *const *)names, n, f, &e) < 0)
        goto fail;
    *levels = lr_calloc((size_t)((*f)->n_vars ? (*f)->n_vars : 1), sizeof **levels);
    for (size_t k = 0; k < json_array_size(vars); k++)
        if (variable_from_json(json_array_get(vars, k), *f, *levels, why) < 0)
            goto fail;
    for (int v = 0; v < (*f)->n_vars; v++) {
        const struct formula_var *var = &(*f)->vars[v];
        *why = "a formula polynomial has no coefficients";
        if (var->kind == FORMULA_POLY && !var->raw && !var->alpha)
            goto fail;
    }
    *why = "\"formula\" levels do not make a design";
    if (formula_design(*f, *levels, d, &e) < 0)
        goto fail;
    *why = "\"formula\" \"design\" names other columns than its formula makes";
    if ((int)json_array_size(design) != d->n_columns)
        goto fail;
    for (int j = 0; j < d->n_columns; j++) {
        const char *name = json_string_value(json_array_get(design, (size_t)j));
        if (!name || strcmp(name, d->cols[j].name))
            goto fail;
    }
    return 0;
fail:
    formula_design_free(d);
    if (*f)
        formula_levels_free(*levels, (*f)->n_vars);
    formula_free(*f);
    for (int c = 0; c < *n_columns; c++)
        free(names[c]);
    free(names);
    *f = NULL;
    *levels = NULL;
    *columns = NULL;
    *n_columns = 0;
    return -1;
}
