/* log.c — rank-0 training output; see log.h. */
#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Is the user watching stderr? Under mpirun a rank's stderr is a pipe to its launcher, so
   also look at where the parent (mpirun itself, for local ranks) sends its stderr. */
static int stderr_is_terminal(void)
{
    if (isatty(STDERR_FILENO))
        return 1;
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/%d/fd/2", (int)getppid());
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
}

void log_streams_init(void)
{
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
}

static int stdout_failed(struct lr_error *e)
{
    if (e->code == LR_OK)
        lr_fail(e, LR_EWRITE, "standard output: write failed: %s", strerror(errno));
    return -1;
}

int results_write(const char *text, size_t n, struct lr_error *e)
{
    fflush(stderr);
    if (fflush(stdout) != 0)
        return stdout_failed(e);
    while (n > 0) {
        ssize_t k = write(STDOUT_FILENO, text, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return stdout_failed(e);
        }
        text += k, n -= (size_t)k;
    }
    return 0;
}

FILE *results_begin(struct results *r)
{
    memset(r, 0, sizeof *r);
    r->f = open_memstream(&r->text, &r->len);
    if (!r->f)
        LR_FATAL("out of memory for the results");
    return r->f;
}

int results_end(struct results *r, struct lr_error *e)
{
    if (!r->f)
        return 0;
    if (fclose(r->f) != 0)
        LR_FATAL("out of memory for the results");
    r->f = NULL;
    int rc = results_write(r->text, r->len, e);
    free(r->text);
    r->text = NULL;
    return rc;
}

#define LOG_COLUMNS "epoch,loss,grad_norm,learning_rate,seconds,compute_seconds,allreduce_seconds"

/* The rows of an existing log up to epoch `upto`, header included ("" if none). */
static char *rows_upto(const char *path, const char *header, int64_t upto)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, len = 0;
    char *kept = lr_malloc(cap), line[512];
    kept[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        long long epoch = 0;
        if (len == 0 ? strcmp(line, header) != 0
                     : sscanf(line, "%lld,", &epoch) != 1 || epoch > upto)
            continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap)
            kept = lr_realloc(kept, cap = 2 * (len + n + 1));
        memcpy(kept + len, line, n + 1);
        len += n;
    }
    if (f)
        fclose(f);
    return kept;
}

int log_open(struct train_log *l, int rank, const char *csv_path, int quiet, int64_t every,
             int64_t max_epochs, int64_t resume_epoch, int with_val, struct lr_error *e)
{
    memset(l, 0, sizeof *l);
    if (rank != 0)
        return 0;
    l->active = 1;
    l->quiet = quiet;
    l->every = every;
    l->max_epochs = max_epochs;
    l->progress = !quiet && stderr_is_terminal();
    l->with_val = with_val;
    if (csv_path) {
        const char *header = with_val ? LOG_COLUMNS ",val_loss\n" : LOG_COLUMNS "\n";
        char *kept = resume_epoch > 0 ? rows_upto(csv_path, header, resume_epoch) : NULL;
        l->csv = fopen(csv_path, "w");
        if (!l->csv) {
            free(kept);
            return lr_fail_at(e, LR_EWRITE, csv_path, 0, 0, "cannot write the log: %s",
                              strerror(errno));
        }
        fputs(kept && kept[0] ? kept : header, l->csv);
        free(kept);
    }
    return 0;
}

static void clear_bar(const struct train_log *l)
{
    if (l->progress && l->last_draw > 0)
        fputs("\r\033[K", stderr);
}

static void draw_bar(struct train_log *l, const struct gd_epoch_info *in)
{
    double t = now();
    if (t - l->last_draw < 0.1)
        return;
    l->last_draw = t;
    /* progress: through the epoch budget, or (the auto rule's goal) down to a gradient of
       GD_AUTO_GTOL times the first one, on a log scale — whichever is further along */
    double by_epochs = (double)in->epoch / (double)l->max_epochs;
    double by_grad = in->grad_norm > 0 && l->first_grad_norm > 0
                         ? log(l->first_grad_norm / in->grad_norm) / log(1 / GD_AUTO_GTOL)
                         : 0;
    double done = by_grad > by_epochs ? by_grad : by_epochs;
    int width = 30, filled = (int)(width * (done > 1 ? 1 : done < 0 ? 0 : done));
    char bar[64];
    for (int k = 0; k < width; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] epoch %lld/%lld loss %.6e", bar, (long long)in->epoch,
            (long long)l->max_epochs, in->loss);
    fflush(stderr);
}

void log_epoch(struct train_log *l, const struct gd_epoch_info *in)
{
    if (!l->active)
        return;
    if (in->epoch == 1)
        l->first_grad_norm = in->grad_norm;
    if (l->csv) {
        fprintf(l->csv, "%lld,%.17g,%.17g,%.17g,%.9f,%.9f,%.9f", (long long)in->epoch, in->loss,
                in->grad_norm, in->lr, in->seconds, in->compute_seconds, in->allreduce_seconds);
        if (l->with_val)
            fprintf(l->csv, ",%.17g", in->val_loss);
        fputc('\n', l->csv);
    }
    if (l->quiet)
        return;
    if (in->epoch % l->every == 0 || in->epoch == 1) {
        clear_bar(l);
        char line[160];
        int n = snprintf(line, sizeof line, "epoch %lld loss %.10e grad_norm %.4e ms/epoch %.3f",
                         (long long)in->epoch, in->loss, in->grad_norm, 1e3 * in->seconds);
        if (l->with_val)
            snprintf(line + n, sizeof line - (size_t)n, " val_loss %.10e", in->val_loss);
        fprintf(stderr, "%s\n", line);
        l->last_draw = 0;
    }
    if (l->progress)
        draw_bar(l, in);
}

void log_steps(struct train_log *l, const char *what, int done, int total)
{
    if (!l->active || !l->progress)
        return;
    double t = now();
    if (t - l->last_draw < 0.1)
        return;
    l->last_draw = t;
    int width = 30, filled = total > 0 ? (int)((int64_t)width * done / total) : 0;
    char bar[64];
    for (int k = 0; k < width; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %s %d/%d", bar, what, done, total);
    fflush(stderr);
}

/* "linreg_mpi: PREFIX<message>\n" on stderr in one write. A name in the message (a level
   may hold a newline or a carriage return, inside quotes) has its control bytes escaped:
   one message, one line. */
static void note_line(const char *prefix, const char *fmt, va_list ap)
{
    char line[2048], shown[4 * sizeof line + 9];
    vsnprintf(line, sizeof line, fmt, ap);
    lr_escape(shown, sizeof shown, line, strlen(line));
    fprintf(stderr, "linreg_mpi: %s%s\n", prefix, shown);
}

void log_note(const struct train_log *l, const char *fmt, ...)
{
    if (!l->active || l->quiet)
        return;
    clear_bar(l);
    va_list ap;
    va_start(ap, fmt);
    note_line("", fmt, ap);
    va_end(ap);
}

void log_warn(const struct train_log *l, const char *fmt, ...)
{
    if (!l->active)
        return;
    clear_bar(l);
    va_list ap;
    va_start(ap, fmt);
    note_line("warning: ", fmt, ap);
    va_end(ap);
}

int log_close(struct train_log *l, const char *csv_path, struct lr_error *e)
{
    if (!l->active)
        return 0;
    clear_bar(l);
    l->progress = 0;
    if (l->csv) {
        int bad = ferror(l->csv);
        bad |= fclose(l->csv) != 0;
        l->csv = NULL;
        if (bad)
            return lr_fail_at(e, LR_EWRITE, csv_path, 0, 0, "writing the log failed");
    }
    return 0;
}
