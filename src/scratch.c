/* scratch.c — a rank's rows on disk between passes; see scratch.h. */
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "comm.h"
#include "shard.h"
#include "test_hooks.h"

/* What a failed read of a scratch file says after its cause: where to look, how to go on. */
#define READ_HINT "; the file system under --scratch (or $TMPDIR) failed: check it, then run " \
                  "again (with --resume where --checkpoint wrote one)"

static int row_numbers(const struct scratch *s) { return s->d + s->has_y + s->has_w; }

/* An unnamed file in dir: O_TMPFILE, else a named one unlinked at once. -1 with errno. */
static int unnamed_file(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#endif
    size_t len = strlen(dir) + sizeof "/linreg_mpi.XXXXXX";
    char *path = lr_malloc(len);
    snprintf(path, len, "%s/linreg_mpi.XXXXXX", dir);
    int fd2 = mkostemp(path, O_CLOEXEC);
    if (fd2 >= 0)
        unlink(path);
    int saved = errno;
    free(path);
    errno = saved;
    return fd2;
}

/* Test build: LINREG_TEST_FAIL=scratch-read:RANK makes that rank's reads of its rows back
   fail as a broken disk would (EIO): every read, or with LINREG_TEST_HOOK=scratch-read:K
   only its K-th. Always 0 in the real binary. */
static int read_fails(void)
{
    if (!test_fail_here("scratch-read", comm_rank()) ||
        (test_hook_named("scratch-read") && !test_hook_fires("scratch-read")))
        return 0;
    errno = EIO;
    return 1;
}

static double gb(double bytes) { return bytes / 1e9; }

/* Collective: an unnamed file in dir (NULL or "": $TMPDIR, else /tmp) into *fd, where this
   rank will write about need bytes; LR_ECANTCREAT on every rank when a rank cannot create
   it or the node's ranks' bytes would not fit (*fd then closed, -1). */
static int open_room(const char *dir, double need, int *fd, struct lr_error *e)
{
    const char *named = dir && *dir ? "--scratch" : "the scratch directory ($TMPDIR, or /tmp)";
    if (!dir || !*dir)
        dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char where[300];
    *fd = unnamed_file(dir);
    if (*fd < 0)
        lr_fail(e, LR_ECANTCREAT, "%s %s: cannot create a file there (%s, %s); name a "
                "writable directory with --scratch DIR", named, dir, strerror(errno),
                comm_where(where, sizeof where));
    double node_need = comm_node_sum(need), room = 0;
    struct statvfs fs;
    if (*fd >= 0 && fstatvfs(*fd, &fs) == 0)
        room = (double)fs.f_bavail * (double)fs.f_frsize;
    else if (*fd >= 0)
        room = -1;  /* unknown: not checked */
    if (e->code == LR_OK && room >= 0 && node_need > room)
        lr_fail(e, LR_ECANTCREAT, "%s %s: the %d rank%s on this node need %.2f GB there "
                "for their rows between passes, and it has %.2f GB free; name a directory with "
                "room with --scratch DIR (%s)", named, dir, comm_node_size(),
                comm_node_size() > 1 ? "s" : "", gb(node_need), gb(room),
                comm_where(where, sizeof where));
    if (comm_agree(e) != LR_OK) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

int scratch_open(struct scratch *s, const char *dir, int d, int has_y, int has_w, int64_t rows,
                 struct lr_error *e)
{
    *s = (struct scratch){.fd = -1, .d = d, .has_y = has_y != 0, .has_w = has_w != 0};
    return open_room(dir, (double)rows * row_numbers(s) * sizeof(double), &s->fd, e);
}

int scratch_blocks_open(struct scratch_blocks *b, const char *dir, int d, int has_y, int has_w,
                        int64_t rows, struct lr_error *e)
{
    *b = (struct scratch_blocks){.fd = -1, .d = d, .has_y = has_y != 0, .has_w = has_w != 0};
    return open_room(dir, (double)rows * (d + b->has_y + b->has_w) * sizeof(double), &b->fd, e);
}

int scratch_blocks_put(struct scratch_blocks *b, const double *X, const double *y,
                       const double *w, int64_t n, struct lr_error *e)
{
    int64_t page = sysconf(_SC_PAGESIZE), at = b->end;
    int64_t xb = n * b->d * (int64_t)sizeof(double), vb = n * (int64_t)sizeof(double);
    if ((shard_pwrite(b->fd, X, xb, (off_t)at) < 0) ||
        (b->has_y && shard_pwrite(b->fd, y, vb, (off_t)(at + xb)) < 0) ||
        (b->has_w && shard_pwrite(b->fd, w, vb, (off_t)(at + xb + b->has_y * vb)) < 0))
        return lr_fail(e, LR_ECANTCREAT, "scratch file: write failed after %lld blocks: %s",
                       (long long)b->n_blocks, strerror(errno));
    if (b->n_blocks == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->off = lr_realloc(b->off, (size_t)b->cap * sizeof *b->off);
        b->rows = lr_realloc(b->rows, (size_t)b->cap * sizeof *b->rows);
    }
    b->off[b->n_blocks] = at;
    b->rows[b->n_blocks++] = n;
    int64_t len = xb + (b->has_y + b->has_w) * vb;
    b->end = at + (len + page - 1) / page * page;  /* the next block on a page of its own */
    return 0;
}

static void unmap(struct scratch_blocks *b)
{
    if (b->map)
        munmap(b->map, b->map_len);
    b->map = NULL;
}

void scratch_blocks_rewind(struct scratch_blocks *b)
{
    unmap(b);
    b->next = 0;
}

int64_t scratch_blocks_map(struct scratch_blocks *b, const double **X, const double **y,
                           const double **w, struct lr_error *e)
{
    unmap(b);
    if (b->next >= b->n_blocks)
        return 0;
    int64_t n = b->rows[b->next], xb = n * b->d * (int64_t)sizeof(double);
    b->map_len = (size_t)(xb + (b->has_y + b->has_w) * n * (int64_t)sizeof(double));
    void *m = read_fails() ? MAP_FAILED
              : mmap(NULL, b->map_len ? b->map_len : 1, PROT_READ, MAP_SHARED, b->fd,
                     (off_t)b->off[b->next]);
    if (m == MAP_FAILED)
        return lr_fail(e, LR_ENOINPUT, "scratch file: cannot map block %lld: %s" READ_HINT,
                       (long long)b->next, strerror(errno));
    madvise(m, b->map_len, MADV_WILLNEED);  /* read ahead: the block is read whole */
    b->map = m;
    if (b->next + 1 < b->n_blocks)  /* read ahead while the caller computes on this one */
        posix_fadvise(b->fd, (off_t)b->off[b->next + 1], (off_t)b->map_len, POSIX_FADV_WILLNEED);
    const double *p = m;
    *X = p;
    *y = b->has_y ? p + n * b->d : NULL;
    *w = b->has_w ? p + n * b->d + b->has_y * n : NULL;
    b->next++;
    return n;
}

void scratch_blocks_close(struct scratch_blocks *b)
{
    unmap(b);
    if (b->fd >= 0)
        close(b->fd);
    free(b->off);
    free(b->rows);
    *b = (struct scratch_blocks){.fd = -1};
}

/* Room for n stored rows in s->buf. */
static void reserve(struct scratch *s, int64_t n)
{
    if (n <= s->buf_rows)
        return;
    free(s->buf);
    s->buf = lr_malloc(lr_bytes(n, row_numbers(s), sizeof(double)));
    s->buf_rows = n;
}

int scratch_append(struct scratch *s, const double *X, const double *y, const double *w,
                   int64_t n, struct lr_error *e)
{
    int k = row_numbers(s), d = s->d;
    reserve(s, n);
    for (int64_t i = 0; i < n; i++) {
        double *r = s->buf + i * k;
        memcpy(r, X + i * d, (size_t)d * sizeof *r);
        if (s->has_y)
            r[d] = y[i];
        if (s->has_w)
            r[d + s->has_y] = w[i];
    }
    off_t off = (off_t)(s->n_rows * k * (int64_t)sizeof(double));
    if (shard_pwrite(s->fd, s->buf, n * k * (int64_t)sizeof(double), off) < 0)
        return lr_fail(e, LR_ECANTCREAT, "scratch file: write failed after %lld rows: %s; name "
                       "a directory with room with --scratch DIR", (long long)s->n_rows,
                       strerror(errno));
    s->n_rows += n;
    return 0;
}

void scratch_rewind(struct scratch *s) { s->next = 0; }

int64_t scratch_read_rows(struct scratch *s, int64_t max_rows, const double **rows,
                          struct lr_error *e)
{
    int k = row_numbers(s);
    int64_t n = s->n_rows - s->next < max_rows ? s->n_rows - s->next : max_rows;
    if (n <= 0)
        return 0;
    reserve(s, n);
    off_t off = (off_t)(s->next * k * (int64_t)sizeof(double));
    size_t bytes = (size_t)n * (size_t)k * sizeof(double);
    ssize_t got = read_fails() ? -1 : shard_pread(s->fd, s->buf, bytes, off);
    if (got != (ssize_t)bytes) {
        if (got >= 0)
            errno = EIO;  /* shorter than what was written */
        lr_fail(e, LR_ENOINPUT, "scratch file: read failed at row %lld: %s" READ_HINT,
                (long long)s->next, strerror(errno));
        return -1;
    }
    s->next += n;
    *rows = s->buf;
    /* the next block read ahead by the kernel while the caller computes on this one */
    posix_fadvise(s->fd, (off_t)(s->next * k * (int64_t)sizeof(double)), (off_t)bytes,
                  POSIX_FADV_WILLNEED);
    return n;
}

int64_t scratch_read(struct scratch *s, int64_t max_rows, double *X, double *y, double *w,
                     struct lr_error *e)
{
    int k = row_numbers(s), d = s->d;
    const double *buf;
    int64_t n = scratch_read_rows(s, max_rows, &buf, e);
    for (int64_t i = 0; i < n; i++) {
        const double *r = buf + i * k;
        memcpy(X + i * d, r, (size_t)d * sizeof *r);
        if (s->has_y)
            y[i] = r[d];
        if (s->has_w)
            w[i] = r[d + s->has_y];
    }
    return n;
}

int scratch_split(struct scratch *s, int64_t block_rows, int (*take)(void *ctx, int64_t row),
                  void *ctx, struct scratch *out, double *w_sums, struct lr_error *e)
{
    int k = row_numbers(s);
    int64_t kept = 0, row = 0, n, row_bytes = k * (int64_t)sizeof(double);
    const double *rows;
    double *moved = lr_malloc(lr_bytes(block_rows, k, sizeof(double)));
    if (w_sums)
        w_sums[0] = w_sums[1] = 0;
    s->next = 0;
    while ((n = scratch_read_rows(s, block_rows, &rows, e)) > 0) {
        int64_t nk = 0, nm = 0;
        for (int64_t i = 0; i < n; i++, row++) {  /* kept rows to the front of the block */
            const double *r = rows + i * k;
            int t = take(ctx, row) != 0;
            if (w_sums)  /* the weight is the row's last number */
                w_sums[t] += r[k - 1];
            if (t)
                memcpy(moved + nm++ * k, r, (size_t)row_bytes);
            else if (nk++ < i)
                memmove(s->buf + (nk - 1) * k, r, (size_t)row_bytes);
        }
        /* kept rows are written at or before where they were read: never over unread ones */
        if ((nk > 0 && shard_pwrite(s->fd, s->buf, nk * row_bytes, (off_t)(kept * row_bytes)) < 0)
            || (nm > 0 && out && shard_pwrite(out->fd, moved, nm * row_bytes,
                                              (off_t)(out->n_rows * row_bytes)) < 0)) {
            lr_fail(e, LR_ECANTCREAT, "scratch file: write failed at row %lld: %s; name a "
                    "directory with room with --scratch DIR", (long long)row, strerror(errno));
            n = -1;
            break;
        }
        kept += nk;
        if (out)
            out->n_rows += nm;
    }
    free(moved);
    if (n < 0)
        return -1;
    s->n_rows = kept;
    s->next = 0;
    if (ftruncate(s->fd, (off_t)(kept * row_bytes)) < 0) {}  /* space back; the rows stand */
    return 0;
}

int scratch_in_memory(const struct scratch *s)
{
    struct statfs fs;
    return s->fd >= 0 && fstatfs(s->fd, &fs) == 0 &&
           (fs.f_type == 0x01021994 /* tmpfs */ || fs.f_type == 0x858458f6 /* ramfs */);
}

int scratch_get(const struct scratch *s, int64_t i, int j, double *v, struct lr_error *e)
{
    off_t off = (off_t)((i * row_numbers(s) + j) * (int64_t)sizeof(double));
    ssize_t got = i < s->n_rows ? shard_pread(s->fd, v, sizeof *v, off) : 0;
    if (got == (ssize_t)sizeof *v)
        return 0;
    if (got >= 0)
        errno = EIO;
    return lr_fail(e, LR_ENOINPUT, "scratch file: read failed at row %lld: %s" READ_HINT,
                   (long long)i, strerror(errno));
}

void scratch_close(struct scratch *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    *s = (struct scratch){.fd = -1};
}
