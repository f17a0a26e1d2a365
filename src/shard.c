/* shard.c — per-rank byte ranges realigned to record starts; see shard.h. */
#include "shard.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

ssize_t shard_pread(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int shard_pwrite(int fd, const void *buf, int64_t n, off_t off)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = pwrite(fd, p, (size_t)(n < (1 << 30) ? n : (1 << 30)), off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, n -= k, off += k;
    }
    return 0;
}

static ssize_t fd_pread(void *ctx, void *buf, size_t n, off_t off)
{
    return shard_pread((int)(intptr_t)ctx, buf, n, off);
}

struct byte_source byte_source_fd(int fd)
{
    return (struct byte_source){.pread = fd_pread, .ctx = (void *)(intptr_t)fd};
}

int64_t shard_quotes(const char *p, size_t n)
{
    const char *q = memchr(p, '"', n);
    if (!q)
        return 0;
    int64_t c = 0;
    for (size_t i = (size_t)(q - p); i < n;) {
        size_t stop = n - i > 255 ? i + 255 : n;
        unsigned char k = 0;  /* byte counters: the compiler's widest vectors */
        for (; i < stop; i++)
            k += p[i] == '"';
        c += k;
    }
    return c;
}

ssize_t shard_record_end(const char *p, size_t n, int odd, int64_t *inside, int *odd_end)
{
    size_t at = 0;
    *inside = 0;
    for (;;) {
        const char *nl = memchr(p + at, '\n', n - at);
        size_t stop = nl ? (size_t)(nl - p) : n;
        odd ^= (int)(shard_quotes(p + at, stop - at) & 1);
        if (!nl) {
            *odd_end = odd;
            return -1;
        }
        if (!odd)
            return (ssize_t)stop + 1;
        ++*inside;
        at = stop + 1;
    }
}

size_t shard_record_start(const char *p, size_t n, size_t at, int odd)
{
    if (at == 0 || (p[at - 1] == '\n' && !odd))
        return at;
    int64_t inside;
    int odd_end;
    ssize_t k = shard_record_end(p + at, n - at, odd, &inside, &odd_end);
    return k < 0 ? n : at + (size_t)k;
}

size_t shard_last_record_end(const char *p, size_t n, int odd_end)
{
    int odd = odd_end;
    size_t at = n;
    while (at > 0) {
        const char *nl = memrchr(p, '\n', at);
        if (!nl)
            return 0;
        size_t k = (size_t)(nl - p);
        odd ^= (int)(shard_quotes(p + k + 1, at - k - 1) & 1);  /* parity just past nl */
        if (!odd)
            return k + 1;
        at = k;
    }
    return 0;
}

void shard_nominal(off_t data_start, off_t size, int rank, int n_ranks, off_t *lo, off_t *hi)
{
    off_t len = size - data_start;
    /* r·L/p without overflow for 64-bit L and any p */
    *lo = data_start + (off_t)((__int128)len * rank / n_ranks);
    *hi = data_start + (off_t)((__int128)len * (rank + 1) / n_ranks);
}

int shard_count_quotes(const struct byte_source *b, const char *path, off_t lo, off_t hi,
                       int64_t *n, struct lr_error *e)
{
    char buf[1 << 16];
    *n = 0;
    for (off_t at = lo; at < hi;) {
        size_t want = (size_t)(hi - at) < sizeof buf ? (size_t)(hi - at) : sizeof buf;
        ssize_t k = byte_pread(b, buf, want, at);
        if (k <= 0)
            return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s",
                              k < 0 ? strerror(errno) : "file shrank while being read");
        *n += shard_quotes(buf, (size_t)k);
        at += k;
    }
    return 0;
}

/* First record start at or after pos, where the quote parity is odd. */
static int record_start(const struct byte_source *b, const char *path, off_t data_start,
                        off_t size, off_t pos, int odd, off_t *out, struct lr_error *e)
{
    if (pos <= data_start) {
        *out = data_start;
        return 0;
    }
    char buf[65536];
    char before;
    if (byte_pread(b, &before, 1, pos - 1) != 1)
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s", strerror(errno));
    if (before == '\n' && !odd) {
        *out = pos;
        return 0;
    }
    for (off_t at = pos; at < size;) {
        size_t want = (size_t)(size - at) < sizeof buf ? (size_t)(size - at) : sizeof buf;
        ssize_t k = byte_pread(b, buf, want, at);
        if (k < 0)
            return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s", strerror(errno));
        if (k == 0)
            break;
        int64_t inside;
        ssize_t r = shard_record_end(buf, (size_t)k, odd, &inside, &odd);
        if (r >= 0) {
            *out = at + r;
            return 0;
        }
        at += k;
    }
    *out = size;
    return 0;
}

int shard_range(const struct byte_source *b, const char *path, off_t data_start, off_t size,
                int rank, int n_ranks, int odd_lo, int odd_hi, off_t *begin, off_t *end,
                struct lr_error *e)
{
    off_t lo, hi;
    shard_nominal(data_start, size, rank, n_ranks, &lo, &hi);
    if (record_start(b, path, data_start, size, lo, odd_lo, begin, e) < 0)
        return -1;
    if (rank == n_ranks - 1) {
        *end = size;
        return 0;
    }
    return record_start(b, path, data_start, size, hi, odd_hi, end, e);
}
