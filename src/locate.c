/* locate.c — FILE:LINE of rows known by their record's offset; see locate.h. */
#include "locate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "shard.h"

int locate_file(const struct row_places *pl, int64_t off, int64_t *in_file)
{
    if (!pl->start) {
        *in_file = off;
        return 0;
    }
    int f = 0;
    while (f + 1 < pl->n && off >= pl->start[f + 1])
        f++;
    *in_file = pl->data_start[f] + (off - pl->start[f]);
    return f;
}

/* Newlines of fd in [lo, hi) before each of the n offsets at[] (ascending order given by
   ord): count[ord[k]] += newlines in [lo, min(hi, at[ord[k]])). */
static int count_newlines(int fd, int64_t lo, int64_t hi, const int64_t *at, const int *ord,
                          int n, double *count)
{
    enum { BUF = 1 << 20 };
    char *buf = lr_malloc(BUF);
    struct byte_source b = byte_source_fd(fd);
    int64_t seen = 0, pos = lo;
    int k = 0, rc = 0;
    while (k < n && at[ord[k]] <= lo)
        k++;
    while (k < n && pos < hi) {
        int64_t end = at[ord[n - 1]] < hi ? at[ord[n - 1]] : hi;
        size_t len = (size_t)(end - pos < BUF ? end - pos : BUF);
        if (len == 0)
            break;
        if (byte_pread(&b, buf, len, (off_t)pos) != (ssize_t)len) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < len; i++) {
            while (k < n && at[ord[k]] <= pos + (int64_t)i)
                count[ord[k++]] += (double)seen;
            seen += buf[i] == '\n';
        }
        pos += (int64_t)len;
    }
    for (; k < n; k++)  /* offsets at or past this slice's end */
        count[ord[k]] += (double)seen;
    free(buf);
    return rc;
}

/* qsort_r: indices into the offsets ctx, by offset */
static int by_offset(const void *a, const void *b, void *ctx)
{
    const int64_t *at = ctx;
    int64_t x = at[*(const int *)a], y = at[*(const int *)b];
    return (x > y) - (x < y);
}

int locate_rows(const struct row_places *pl, const int64_t *off, int n, int *file,
                int64_t *line, struct lr_error *e)
{
    int64_t *at = lr_malloc((size_t)(n ? n : 1) * sizeof *at);
    int *ord = lr_malloc((size_t)(n ? n : 1) * sizeof *ord);
    double *count = lr_malloc((size_t)(n ? n : 1) * sizeof *count);
    for (int k = 0; k < n; k++) {
        file[k] = off[k] >= 0 && pl->n > 0 ? locate_file(pl, off[k], &at[k]) : -1;
        line[k] = -1;
        count[k] = 0;
    }
    int p = comm_size(), me = comm_rank();
    for (int f = 0; f < pl->n; f++) {
        int m = 0;
        for (int k = 0; k < n; k++)
            if (file[k] == f)
                ord[m++] = k;
        if (m == 0)
            continue;
        qsort_r(ord, (size_t)m, sizeof *ord, by_offset, at);
        /* this rank's slice of the bytes before the last offset */
        int64_t last = at[ord[m - 1]], lo = last / p * me + last % p * me / p;
        int64_t hi = me == p - 1 ? last : last / p * (me + 1) + last % p * (me + 1) / p;
        int fd = open(pl->path[f], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || count_newlines(fd, lo, hi, at, ord, m, count) < 0)
            lr_fail_at(e, LR_ENOINPUT, pl->path[f], 0, 0, "cannot read it again to place "
                       "rows: %s", fd < 0 ? strerror(errno) : "it changed since it was read");
        if (fd >= 0)
            close(fd);
    }
    int rc = comm_agree(e);
    comm_sum(count, n);
    for (int k = 0; k < n; k++)
        if (file[k] >= 0)
            line[k] = (int64_t)count[k] + 1;
    free(at);
    free(ord);
    free(count);
    return rc == LR_OK ? 0 : -1;
}

void row_places_free(struct row_places *pl)
{
    for (int f = 0; f < pl->n; f++)
        free(pl->path[f]);
    free(pl->path);
    free(pl->data_start);
    free(pl->start);
    *pl = (struct row_places){0};
}
