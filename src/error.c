/* error.c — filling and printing struct lr_error; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void set_msg(struct lr_error *e, const char *fmt, va_list ap)
{
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int lr_fail(struct lr_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    e->line = e->column = 0;
    e->file[0] = '\0';
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    return -1;
}

int lr_fail_at(struct lr_error *e, int code, const char *file, int64_t line, int64_t column,
               const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    e->line = line;
    e->column = column;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    return -1;
}

void lr_escape(char *dst, size_t cap, const char *src, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (at + 8 >= cap) {  /* room for one escape and "..." */
            strcpy(dst + at, "...");
            return;
        }
        if (c < 0x20 || c == 0x7f)
            at += (size_t)snprintf(dst + at, cap - at, "\\x%02x", c);
        else
            dst[at++] = (char)c;
    }
    dst[at] = '\0';
}

struct lr_shown_name lr_shown(const char *name)
{
    struct lr_shown_name v;
    lr_escape(v.s, sizeof v.s, name, strlen(name));
    return v;
}

void lr_error_print(const struct lr_error *e, FILE *out)
{
    /* names from a header can hold control bytes too: escape all but the newlines, which
       end the lines of a message of several */
    char msg[4 * sizeof e->msg + 16];
    size_t at = 0;
    for (const char *p = e->msg;; p++) {
        size_t n = strcspn(p, "\n");
        lr_escape(msg + at, sizeof msg - at, p, n);
        at += strlen(msg + at);
        p += n;
        if (!*p || at + 2 >= sizeof msg)
            break;
        msg[at++] = '\n';
        msg[at] = '\0';
    }
    if (e->file[0] && e->line > 0)
        fprintf(out, "%s:%lld:%lld: %s\n", e->file, (long long)e->line,
                (long long)(e->column > 0 ? e->column : 1), msg);
    else if (e->file[0])
        fprintf(out, "%s: %s\n", e->file, msg);
    else
        fprintf(out, "linreg_mpi: %s\n", msg);
    if (e->code == LR_EUSAGE)
        fprintf(out, "Try 'linreg_mpi --help' for the list of options.\n");
}

static void (*g_abort_job)(int code);

void lr_on_fatal(void (*abort_job)(int code)) { g_abort_job = abort_job; }

void lr_fatal(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "linreg_mpi: fatal: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%s:%d)\n", file, line);
    /* Other ranks may be inside a collective: take the whole job down rather than hang. */
    if (g_abort_job)
        g_abort_job(LR_ENOMEM);
    abort();
}

size_t lr_bytes_impl(int64_t n, int64_t m, size_t elem, const char *file, int line)
{
    size_t nm, bytes;
    if (n < 0 || m < 0 || __builtin_mul_overflow((size_t)n, (size_t)m, &nm) ||
        __builtin_mul_overflow(nm, elem, &bytes))
        lr_fatal(file, line, "array size %lld x %lld x %zu does not fit in memory", (long long)n,
                 (long long)m, elem);
    return bytes;
}

void *lr_malloc_impl(size_t size, const char *file, int line)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        lr_fatal(file, line, "out of memory allocating %zu bytes; use more ranks or nodes", size);
    return p;
}

void *lr_calloc_impl(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        lr_fatal(file, line, "out of memory allocating %zu x %zu bytes; use more ranks or nodes",
                 n, size);
    return p;
}

char *lr_strdup_impl(const char *s, const char *file, int line)
{
    char *p = strdup(s);
    if (!p)
        lr_fatal(file, line, "out of memory allocating %zu bytes; use more ranks or nodes",
                 strlen(s) + 1);
    return p;
}

void *lr_realloc_impl(void *p, size_t size, const char *file, int line)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        lr_fatal(file, line, "out of memory allocating %zu bytes; use more ranks or nodes", size);
    return q;
}

void lr_prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p, (void)n;
#endif
}
