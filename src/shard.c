/* shard.c — per-rank byte ranges realigned to line starts; see shard.h. */
#include "shard.h"

#include <errno.h>
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

/* First line start at or after pos: pos itself if byte pos-1 is '\n', else after the next '\n'. */
static int line_start(int fd, const char *path, off_t data_start, off_t size, off_t pos,
                      off_t *out, struct lr_error *e)
{
    if (pos <= data_start) {
        *out = data_start;
        return 0;
    }
    char buf[65536];
    off_t at = pos - 1;
    while (at < size) {
        size_t want = (size_t)(size - at) < sizeof buf ? (size_t)(size - at) : sizeof buf;
        ssize_t k = shard_pread(fd, buf, want, at);
        if (k < 0)
            return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s", strerror(errno));
        if (k == 0)
            break;
        char *nl = memchr(buf, '\n', (size_t)k);
        if (nl) {
            *out = at + (nl - buf) + 1;
            return 0;
        }
        at += k;
    }
    *out = size;
    return 0;
}

int shard_range(int fd, const char *path, off_t data_start, off_t size, int rank, int n_ranks,
                off_t *begin, off_t *end, struct lr_error *e)
{
    off_t len = size - data_start;
    /* r·L/p without overflow for 64-bit L and any p */
    off_t lo = data_start + (off_t)((__int128)len * rank / n_ranks);
    off_t hi = data_start + (off_t)((__int128)len * (rank + 1) / n_ranks);
    if (line_start(fd, path, data_start, size, lo, begin, e) < 0)
        return -1;
    if (rank == n_ranks - 1) {
        *end = size;
        return 0;
    }
    return line_start(fd, path, data_start, size, hi, end, e);
}
