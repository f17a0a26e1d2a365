/* inputs.c — several files, directories and compressed files as one data set; see inputs.h. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "atomic_file.h"
#include "comm.h"
#include "shard.h"
#include "test_hooks.h"

/* errno's open failure, with the rank and host that saw it */
static int open_failed(const char *path, struct lr_error *e)
{
    char where[300];
    int err = errno;
    return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot open: %s (%s)", strerror(err),
                      comm_where(where, sizeof where));
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

static void add_file(struct input_list *l, const char *path, int64_t size)
{
    l->path = lr_realloc(l->path, (size_t)(l->n + 1) * sizeof *l->path);
    l->comp = lr_realloc(l->comp, (size_t)(l->n + 1) * sizeof *l->comp);
    l->size = lr_realloc(l->size, (size_t)(l->n + 1) * sizeof *l->size);
    l->text_size = lr_realloc(l->text_size, (size_t)(l->n + 1) * sizeof *l->text_size);
    l->text_size[l->n] = -1;
    l->path[l->n] = lr_strdup(path);
    l->comp[l->n] = ends_with(path, ".gz") ? IN_GZIP : ends_with(path, ".zst") ? IN_ZSTD : IN_PLAIN;
    l->size[l->n++] = size;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int default_match(const char *name)
{
    return ends_with(name, ".csv") || ends_with(name, ".csv.gz") || ends_with(name, ".csv.zst");
}

static int add_dir(struct input_list *l, const char *dir, const char *glob, struct lr_error *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return open_failed(dir, e);
    char **names = NULL;
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.' ||
            (glob ? fnmatch(glob, de->d_name, 0) != 0 : !default_match(de->d_name)))
            continue;
        names = lr_realloc(names, (size_t)(n + 1) * sizeof *names);
        names[n++] = lr_strdup(de->d_name);
    }
    closedir(d);
    if (n > 1)  /* qsort may not be given NULL, which names is when the directory is empty */
        qsort(names, (size_t)n, sizeof *names, by_name);
    int rc = 0, kept = 0;
    for (int k = 0; k < n; k++) {
        char *p = lr_malloc(strlen(dir) + strlen(names[k]) + 2);
        sprintf(p, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", names[k]);
        struct stat st;
        if (rc == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            add_file(l, p, (int64_t)st.st_size);
            kept++;
        }
        free(p);
        free(names[k]);
    }
    free(names);
    if (kept == 0)
        return lr_fail_at(e, LR_ENOINPUT, dir, 0, 0, "the directory holds no file named %s",
                          glob ? glob : "*.csv, *.csv.gz or *.csv.zst (--glob PATTERN chooses "
                                        "others)");
    return 0;
}

/* The compressed formats a file read as plain text may hold, by the magic number it starts
   with (none is text, so no CSV starts so); way: what to do, NULL for a format not read. */
static const struct {
    const char *name, *way;
    unsigned char magic[6];
    int n;
} compressed_magic[] = {
    {"gzip", "its name does not end in .gz: rename it so, and it is read as gzip",
     {0x1f, 0x8b}, 2},
    {"zstd", "its name does not end in .zst: rename it so, and it is read as zstd",
     {0x28, 0xb5, 0x2f, 0xfd}, 4},
    {"xz", NULL, {0xfd, '7', 'z', 'X', 'Z', 0}, 6},
    {"lz4", NULL, {0x04, 0x22, 0x4d, 0x18}, 4},
    {"zip", NULL, {'P', 'K', 3, 4}, 4},
    {"7z", NULL, {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}, 6},
};

/* bzip2: "BZh", the block size '1'-'9', then a block's magic (the digits of pi) or, for an
   empty stream, the end's (of sqrt(pi)): ten bytes, so that a header "BZh..." is text. */
static int is_bzip2(const unsigned char *m, ssize_t k)
{
    static const unsigned char block[] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59},
                               end[] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
    return k >= 10 && memcmp(m, "BZh", 3) == 0 && m[3] >= '1' && m[3] <= '9' &&
           (memcmp(m + 4, block, 6) == 0 || memcmp(m + 4, end, 6) == 0);
}

/* A file read as plain text must not be compressed data, which the reader would parse as
   text and stop inside with a message about quotes or line ends. Only a regular file is
   looked at (a pipe's bytes would be taken); one that cannot be opened is left for the
   reader to report. */
static int check_plain(const char *path, struct lr_error *e)
{
    struct stat st;
    unsigned char m[10] = {0};
    int fd = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? open(path, O_RDONLY) : -1;
    if (fd < 0)
        return 0;
    ssize_t k = shard_pread(fd, m, sizeof m, 0);
    close(fd);
    const char *name = is_bzip2(m, k) ? "bzip2" : NULL, *way = NULL;
    int n = sizeof compressed_magic / sizeof *compressed_magic;
    for (int c = 0; c < n && !name; c++)
        if (k >= compressed_magic[c].n &&
            memcmp(m, compressed_magic[c].magic, (size_t)compressed_magic[c].n) == 0)
            name = compressed_magic[c].name, way = compressed_magic[c].way;
    if (!name)
        return 0;
    if (way)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s-compressed data, but %s", name, way);
    return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s-compressed data, which is not read: "
                      "decompress it, or recompress it with gzip or zstd", name);
}

/* A file of the list, by what it is on disk (device and inode), where it came from. */
struct file_id {
    dev_t dev;
    ino_t ino;
    int f, arg;
};

static int by_identity(const void *a, const void *b)
{
    const struct file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->f - y->f;
}

/* A file given twice (twice by name, as ./x and x, through a symbolic or hard link, or as
   itself and inside its directory) would have its rows read twice, silently doubling
   them: refused, naming both as given. from[f]: the argument file f came from. */
static int check_once(const struct input_list *l, char *const *args, const int *from,
                      struct lr_error *e)
{
    struct file_id *id = lr_malloc((size_t)l->n * sizeof *id + 1);
    int n = 0, rc = 0;
    for (int f = 0; f < l->n; f++) {
        struct stat st;
        if (stat(l->path[f], &st) == 0)  /* a file gone since: the reader will say so */
            id[n++] = (struct file_id){st.st_dev, st.st_ino, f, from[f]};
    }
    if (n > 1)
        qsort(id, (size_t)n, sizeof *id, by_identity);
    for (int k = 1; k < n && rc == 0; k++) {
        const struct file_id *a = &id[k - 1], *b = &id[k];
        if (a->dev != b->dev || a->ino != b->ino)
            continue;
        char in_a[300] = "", in_b[300] = "";
        if (strcmp(args[a->arg], l->path[a->f]) != 0)
            snprintf(in_a, sizeof in_a, " (in '%s')", args[a->arg]);
        if (strcmp(args[b->arg], l->path[b->f]) != 0)
            snprintf(in_b, sizeof in_b, " (in '%s')", args[b->arg]);
        rc = lr_fail(e, LR_EUSAGE, "the inputs '%s'%s and '%s'%s are the same file, whose "
                     "rows would be read twice: name each file once", l->path[a->f], in_a,
                     l->path[b->f], in_b);
    }
    free(id);
    return rc;
}

int inputs_expand(char *const *args, int n_args, const char *glob, struct input_list *l,
                  struct lr_error *e)
{
    memset(l, 0, sizeof *l);
    for (int a = 0; a < n_args; a++) {
        struct stat st;
        int had = l->n;
        if (stat(args[a], &st) < 0)
            return open_failed(args[a], e);
        if (S_ISDIR(st.st_mode)) {
            if (add_dir(l, args[a], glob, e) < 0)
                return -1;
        } else {
            add_file(l, args[a], (int64_t)st.st_size);
        }
        l->arg = lr_realloc(l->arg, (size_t)l->n * sizeof *l->arg + 1);
        for (int f = had; f < l->n; f++)
            l->arg[f] = a;
    }
    return 0;
}

int inputs_check(const struct input_list *l, char *const *args, struct lr_error *e)
{
    for (int f = 0; f < l->n; f++)
        if (l->comp[f] == IN_PLAIN && check_plain(l->path[f], e) < 0)
            return -1;
    return check_once(l, args, l->arg, e);
}

void inputs_bcast(struct input_list *l)
{
    int64_t len = 0, at = 0;
    for (int f = 0; f < l->n; f++)
        len += 16 + (int64_t)strlen(l->path[f]) + 1;
    comm_bcast(&len, sizeof len, 0);
    char *buf = lr_malloc((size_t)len + 1);
    for (int f = 0; comm_rank() == 0 && f < l->n; f++) {
        int64_t comp = l->comp[f];
        memcpy(buf + at, &comp, 8);
        memcpy(buf + at + 8, &l->size[f], 8);
        strcpy(buf + at + 16, l->path[f]);
        at += 16 + (int64_t)strlen(l->path[f]) + 1;
    }
    comm_bcast(buf, (size_t)len, 0);
    if (comm_rank() != 0) {
        inputs_free(l);
        for (at = 0; at < len;) {
            int64_t comp, size;
            memcpy(&comp, buf + at, 8);
            memcpy(&size, buf + at + 8, 8);
            add_file(l, buf + at + 16, size);
            l->comp[l->n - 1] = (int)comp;
            at += 16 + (int64_t)strlen(buf + at + 16) + 1;
        }
    }
    free(buf);
}

void inputs_free(struct input_list *l)
{
    for (int f = 0; f < l->n; f++)
        free(l->path[f]);
    free(l->path);
    free(l->comp);
    free(l->size);
    free(l->text_size);
    free(l->arg);
    memset(l, 0, sizeof *l);
}

int inputs_single_plain(const struct input_list *l)
{
    return l->n == 1 && l->comp[0] == IN_PLAIN;
}

/* A part whose data holds an odd number of quotes: its last quoted field is not closed and
   would run into the next file. */
static int odd_quotes(const char *path, uint64_t quotes, struct lr_error *e)
{
    return lr_fail_at(e, LR_EDATA, path, 0, 0, "a quoted field is not closed: the file's data "
                      "holds an odd number (%llu) of quote characters (each part must hold "
                      "whole records)", (unsigned long long)quotes);
}

/* ---- a file as a stream of bytes: plain, gzip or zstd ---- */

struct stream {
    const char *path;
    int comp, fd, done;
    gzFile gz;
    ZSTD_DStream *zs;
    char in[1 << 16];
    ZSTD_inBuffer zin;
    size_t last;               /* zstd: the last ZSTD_decompressStream's return */
    int64_t in_off;            /* compressed bytes read */
};

static int stream_open(struct stream *s, const char *path, int comp, struct lr_error *e)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->comp = comp;
    if ((s->fd = open(path, O_RDONLY)) < 0)
        return open_failed(path, e);
    if (comp == IN_PLAIN)
        return 0;
    static const unsigned char gz_magic[] = {0x1f, 0x8b}, zs_magic[] = {0x28, 0xb5, 0x2f, 0xfd};
    unsigned char m[4] = {0};
    ssize_t k = shard_pread(s->fd, m, sizeof m, 0);
    int ok = comp == IN_GZIP ? k >= 2 && memcmp(m, gz_magic, 2) == 0
                             : k >= 4 && memcmp(m, zs_magic, 4) == 0;
    if (!ok) {
        close(s->fd);
        s->fd = -1;
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: the name says %s but the file does not "
                          "start with its magic number", k == 0 ? "empty file (0 bytes)" :
                          "not compressed as named", comp == IN_GZIP ? "gzip" : "zstd");
    }
    if (comp == IN_GZIP) {
        s->gz = gzdopen(s->fd, "rb");
        s->fd = -1;  /* gzclose closes it */
        if (!s->gz)
            LR_FATAL("out of memory");
        gzbuffer(s->gz, 1 << 17);
    } else {
        if (!(s->zs = ZSTD_createDStream()))
            LR_FATAL("out of memory");
        ZSTD_initDStream(s->zs);
        s->last = 1;
    }
    return 0;
}

static int truncated(struct stream *s, const char *why, int64_t out_off, struct lr_error *e)
{
    /* gzerror names a gzdopen'd file "<fd:N>: ", the descriptor, not the file: keep the
       reason alone (the message names the file) */
    const char *colon = strncmp(why, "<fd:", 4) == 0 ? strstr(why, ">: ") : NULL;
    if (colon)
        why = colon + 3;
    return lr_fail_at(e, LR_EDATA, s->path, 0, 0, "broken %s stream at compressed byte %lld "
                      "(after %lld bytes of text): %s", s->comp == IN_GZIP ? "gzip" : "zstd",
                      (long long)s->in_off, (long long)out_off, why);
}

/* Up to n bytes into buf: the count, 0 at the end, -1 on an error (e filled). out_off:
   the text bytes read so far, for messages. */
static ssize_t stream_read(struct stream *s, char *buf, size_t n, int64_t out_off,
                           struct lr_error *e)
{
    if (s->done)
        return 0;
    if (s->comp == IN_PLAIN) {
        ssize_t k = shard_pread(s->fd, buf, n, (off_t)out_off);
        if (k < 0)
            return lr_fail_at(e, LR_ENOINPUT, s->path, 0, 0, "read error: %s", strerror(errno));
        return k;
    }
    if (s->comp == IN_GZIP) {
        int k = gzread(s->gz, buf, (unsigned)(n > (1u << 30) ? 1u << 30 : n)), err;
        s->in_off = gzoffset(s->gz);
        const char *msg = gzerror(s->gz, &err);
        if (k < 0 || (err != Z_OK && err != Z_STREAM_END))
            return truncated(s, err == Z_BUF_ERROR ? "the stream ends before its end (a "
                             "truncated file?)" : msg, out_off + (k > 0 ? k : 0), e);
        if (k == 0)
            s->done = 1;
        return k;
    }
    ZSTD_outBuffer out = {buf, n, 0};
    while (out.pos == 0) {
        if (s->zin.pos == s->zin.size) {
            ssize_t k = read(s->fd, s->in, sizeof s->in);
            if (k < 0)
                return lr_fail_at(e, LR_ENOINPUT, s->path, 0, 0, "read error: %s",
                                  strerror(errno));
            if (k == 0) {
                if (s->last != 0)
                    return truncated(s, "the stream ends inside a frame (a truncated file?)",
                                     out_off, e);
                s->done = 1;
                return 0;
            }
            s->zin = (ZSTD_inBuffer){s->in, (size_t)k, 0};
        }
        size_t before = s->zin.pos;
        s->last = ZSTD_decompressStream(s->zs, &out, &s->zin);
        s->in_off += (int64_t)(s->zin.pos - before);
        if (ZSTD_isError(s->last))
            return truncated(s, ZSTD_getErrorName(s->last), out_off, e);
    }
    return (ssize_t)out.pos;
}

static void stream_close(struct stream *s)
{
    if (s->gz)
        gzclose(s->gz);
    if (s->zs)
        ZSTD_freeDStream(s->zs);
    if (s->fd >= 0)
        close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static int new_memfd(void)
{
    int fd = memfd_create("linreg_mpi-input", MFD_CLOEXEC);
    if (fd < 0)
        LR_FATAL("memfd_create: %s", strerror(errno));
    return fd;
}

/* One file's head: its first record, read by csv_read_head from a memfd holding the text
   up to the end of that record. */
static int file_head(const struct input_list *l, int f, char delimiter, int has_header,
                     struct csv_head *h, struct lr_error *e)
{
    if (l->size[f] == 0)
        return lr_fail_at(e, LR_EDATA, l->path[f], 0, 0, "empty file (0 bytes): every part of "
                          "the data set needs at least %s", has_header ? "the header" :
                          "one data row");
    struct stream s;
    if (stream_open(&s, l->path[f], l->comp[f], e) < 0)
        return -1;
    size_t len = 0, cap = 1 << 16;
    char *buf = lr_malloc(cap);
    int rc = -1;
    for (;;) {
        if (len == cap)
            buf = lr_realloc(buf, cap *= 2);
        ssize_t k = stream_read(&s, buf + len, cap - len, (int64_t)len, e);
        if (k < 0)
            goto done;
        len += (size_t)k;
        int64_t inside;
        int odd;
        if (k == 0 || shard_record_end(buf, len, 0, &inside, &odd) >= 0)
            break;
    }
    int fd = new_memfd();
    if (atomic_write_all(fd, buf, len) < 0)
        LR_FATAL("memfd write: %s", strerror(errno));
    rc = csv_read_head(fd, l->path[f], delimiter, has_header, h, e);
    close(fd);
done:
    free(buf);
    stream_close(&s);
    return rc;
}

/* A plain file's bytes in the stream: its data, and a newline after a last line without
   one unless it is the last file (as the one CSV of the whole stream would end). */
static int plain_text(const struct input_list *l, int f, int64_t data_start, int64_t *text,
                      struct lr_error *e)
{
    *text = l->size[f] - data_start;
    if (*text <= 0 || f == l->n - 1)
        return 0;
    int fd = open(l->path[f], O_RDONLY);
    char c = '\n';
    if (fd < 0)
        return open_failed(l->path[f], e);
    ssize_t k = shard_pread(fd, &c, 1, (off_t)l->size[f] - 1);
    close(fd);
    if (k != 1)
        return lr_fail_at(e, LR_ENOINPUT, l->path[f], 0, 0, "read error: %s",
                          k < 0 ? strerror(errno) : "file shrank while being read");
    *text += c != '\n';
    return 0;
}

int inputs_heads(const struct input_list *l, char delimiter, int has_header,
                 struct csv_head *h, int64_t *data_start, int64_t *header_lines,
                 int64_t *text, struct lr_error *e)
{
    for (int f = 0; f < l->n; f++) {
        struct csv_head g;
        if (file_head(l, f, delimiter, has_header, f == 0 ? h : &g, e) < 0) {
            if (f > 0)
                csv_head_free(h);
            return -1;
        }
        const struct csv_head *x = f == 0 ? h : &g;
        data_start[f] = (int64_t)x->data_start;
        header_lines[f] = x->header_lines;
        text[f] = -1;
        if (l->comp[f] == IN_PLAIN && plain_text(l, f, data_start[f], &text[f], e) < 0) {
            if (f > 0)
                csv_head_free(&g);
            csv_head_free(h);
            return -1;
        }
        if (f == 0)
            continue;
        int c = 0;
        while (c < h->n_cols && c < g.n_cols && strcmp(h->names[c], g.names[c]) == 0)
            c++;
        if (c < h->n_cols || c < g.n_cols) {
            if (c < h->n_cols && c < g.n_cols)
                lr_fail_at(e, LR_EDATA, l->path[f], 1, 0, "the header differs from %s's: "
                           "column %d is '%s' here and '%s' there", l->path[0], c + 1,
                           g.names[c], h->names[c]);
            else
                lr_fail_at(e, LR_EDATA, l->path[f], 1, 0, "the header differs from %s's: "
                           "column %d is %s%s%s here and %s%s%s there", l->path[0], c + 1,
                           c < g.n_cols ? "'" : "", c < g.n_cols ? g.names[c] : "absent",
                           c < g.n_cols ? "'" : "", c < h->n_cols ? "'" : "",
                           c < h->n_cols ? h->names[c] : "absent", c < h->n_cols ? "'" : "");
            if (g.n_cols != h->n_cols) {  /* another delimiter, often */
                size_t at = strlen(e->msg);
                snprintf(e->msg + at, sizeof e->msg - at, " (%d columns here, %d there: "
                         "another --delimiter?)", g.n_cols, h->n_cols);
            }
            size_t at = strlen(e->msg);  /* the way forward */
            snprintf(e->msg + at, sizeof e->msg - at, ": every file needs the same columns in "
                     "the same order; reorder this file's columns, or correct its header");
            csv_head_free(&g);
            csv_head_free(h);
            return -1;
        }
        csv_head_free(&g);
    }
    return 0;
}

/* Which rank reads each file: largest first, each to the rank with the least text so far
   (the lowest such rank), a compressed file counting 4 times its size (its text is
   bigger). The same on every rank. */
static double text_guess(const struct input_list *l, int f)
{
    return (double)l->size[f] * (l->comp[f] == IN_PLAIN ? 1 : 4) + 1;
}

/* qsort_r's comparison of two file indices of the list ctx */
static int larger_first(const void *a, const void *b, void *ctx)
{
    const struct input_list *l = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    double wx = text_guess(l, x), wy = text_guess(l, y);
    return wx != wy ? (wx > wy ? -1 : 1) : (x < y ? -1 : 1);
}

static void assign(const struct input_list *l, int *owner)
{
    int p = comm_size(), *order = lr_malloc((size_t)(l->n ? l->n : 1) * sizeof *order);
    double *load = lr_calloc((size_t)p, sizeof *load);
    for (int f = 0; f < l->n; f++)
        order[f] = f;
    if (l->n > 1)
        qsort_r(order, (size_t)l->n, sizeof *order, larger_first, (void *)l);
    for (int k = 0; k < l->n; k++) {
        int r = 0;
        for (int q = 1; q < p; q++)
            if (load[q] < load[r])
                r = q;
        owner[order[k]] = r;
        load[r] += text_guess(l, order[k]);
    }
    free(order);
    free(load);
}

/* ---- the share: one producer thread streams the files into the memfd ---- */

/* How far the producer may write beyond the reader's furthest request: the text held in
   memory at a time is about this plus the reader's block. Tests set less (test_hooks.h),
   so that the reader has parsed most of a stream when the producer meets its end. */
static int64_t ahead_bytes(void)
{
    long long t = test_ahead_bytes();
    return t > 0 ? (int64_t)t : (int64_t)64 << 20;
}
#define PAGE ((int64_t)4096)

struct input_producer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;       /* the reader waits: for need bytes, or the end */
    pthread_cond_t room;       /* the producer waits: for the reader's requests */
    const struct input_list *l;
    int64_t *data_start;       /* a copy: l->n entries */
    int *owner;
    struct input_share *sh;    /* its file, lines and at arrays: the producer's until joined */
    int fd;
    int64_t ahead;             /* ahead_bytes() */
    /* under mu */
    int64_t written;           /* bytes in the memfd */
    int64_t wanted;            /* the end of the reader's furthest request */
    int64_t need;              /* the end of the request the reader waits for; 0: none */
    int64_t released;          /* bytes before it given back (a hole) */
    int finished;              /* all written, or failed (err) */
    int stop;                  /* 1: the text is not wanted (stop now); 2: the reader is
                                  done, go on counting without writing (a later stream error
                                  still wins) */
    /* the producer's, read after the join */
    int64_t bytes;
    int n, quote_free;
    struct lr_error err;
    int err_file;              /* the file err is about */
};

/* Append p[0..n) to the memfd: wait while the producer is pr->ahead bytes ahead of the
   reader; 1 when the text is no longer wanted, or could not be written (pr->err). */
static int produce(struct input_producer *pr, const char *p, size_t n)
{
    pthread_mutex_lock(&pr->mu);
    while (!pr->stop && pr->written >= pr->wanted + pr->ahead)
        pthread_cond_wait(&pr->room, &pr->mu);
    int stop = pr->stop;
    pthread_mutex_unlock(&pr->mu);
    if (stop == 1)
        return 1;
    if (stop == 0 && (test_fail_here("text-memory", comm_rank()) ? (errno = ENOSPC, 1)
                      : atomic_write_all(pr->fd, p, n) < 0)) {  /* memory ran out: an error */
        char where[300];
        int err = errno;
        lr_fail_at(&pr->err, LR_ENOMEM, pr->l->path[pr->err_file], 0, 0, "cannot hold its "
                   "decompressed text in memory: %s (%s); more nodes, or fewer ranks per node",
                   strerror(err), comm_where(where, sizeof where));
        return 1;
    }
    pthread_mutex_lock(&pr->mu);
    pr->written += (int64_t)n;
    if (pr->need && pr->written >= pr->need)  /* the reader's bytes are there */
        pthread_cond_signal(&pr->more);
    pthread_mutex_unlock(&pr->mu);
    pr->bytes += (int64_t)n;
    return 0;
}

/* The producer: this rank's files, in input order, into the memfd (as inputs.h says). */
static void *producer_run(void *arg)
{
    struct input_producer *pr = arg;
    const struct input_list *l = pr->l;
    struct input_share *sh = pr->sh;
    struct lr_error *e = &pr->err;
    int me = comm_rank(), stop = 0;
    size_t cap = 1 << 20;
    char *buf = lr_malloc(cap);
    for (int f = 0; f < l->n && e->code == LR_OK && !stop; f++) {
        if (pr->owner[f] != me)
            continue;
        struct stream s;
        if (stream_open(&s, l->path[f], l->comp[f], e) < 0)
            break;
        int64_t text = 0, lines = 0;
        uint64_t quotes = 0;
        char lastc = '\n';
        pr->err_file = f;
        while (!stop) {
            ssize_t k = stream_read(&s, buf, cap, text, e);
            if (k <= 0)
                break;
            int64_t skip = pr->data_start[f] > text ? pr->data_start[f] - text : 0;
            text += k;
            if (skip >= k)
                continue;
            const char *p = buf + skip;
            size_t n = (size_t)(k - skip);
            for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))); q++)
                lines++;
            quotes += (uint64_t)shard_quotes(p, n);
            lastc = p[n - 1];
            stop = produce(pr, p, n);
        }
        stream_close(&s);
        if (e->code == LR_OK && !stop && quotes % 2)  /* before the next file's text */
            odd_quotes(l->path[f], quotes, e);
        pr->quote_free &= quotes == 0;
        if (e->code != LR_OK || stop)
            break;
        if (lastc != '\n' && f < l->n - 1) {  /* a last line without newline: the next
                                                   file's starts fresh */
            stop = produce(pr, "\n", 1);
            lines++;
        }
        sh->file[pr->n] = f;
        sh->lines[pr->n++] = lines;
        sh->at[pr->n] = pr->bytes;
    }
    free(buf);
    pthread_mutex_lock(&pr->mu);
    pr->finished = 1;
    pthread_cond_signal(&pr->more);
    pthread_mutex_unlock(&pr->mu);
    return NULL;
}

/* The memfd as input_share.text: wait for the bytes, give back the text before off. */
static ssize_t share_read(void *ctx, void *buf, size_t n, off_t off)
{
    struct input_producer *pr = ctx;
    pthread_mutex_lock(&pr->mu);
    if ((int64_t)off + (int64_t)n > pr->wanted) {
        pr->wanted = (int64_t)off + (int64_t)n;
        pthread_cond_signal(&pr->room);
    }
    pr->need = (int64_t)off + (int64_t)n;
    while (pr->written < pr->need && !pr->finished)
        pthread_cond_wait(&pr->more, &pr->mu);
    pr->need = 0;
    int64_t have = pr->written, cut = (int64_t)off / PAGE * PAGE;
    if (cut > pr->released) {  /* read once, in order: the text before off is consumed */
        if (fallocate(pr->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)pr->released,
                      (off_t)(cut - pr->released)) == 0)
            pr->released = cut;
    }
    int failed = pr->finished && pr->err.code != LR_OK;  /* err is set before finished */
    pthread_mutex_unlock(&pr->mu);
    if (failed) {  /* the producer's error is the one reported (inputs_share_wait) */
        errno = EIO;
        return -1;
    }
    size_t want = (int64_t)off >= have ? 0 : (size_t)(have - (int64_t)off) < n ?
                  (size_t)(have - (int64_t)off) : n, got = 0;
    while (got < want) {
        ssize_t k = pread(pr->fd, (char *)buf + got, want - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? -1 : (ssize_t)got;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* The text a file will put in the memfd, for the memory check before it is known: a plain
   file's data bytes; gzip's recorded size (ISIZE, the text's size modulo 2^32: used when
   it is at least the compressed size); zstd's frame content size when the frame says it;
   else 4 times the compressed size. */
static int64_t text_estimate(const struct input_list *l, int f, int64_t data_start)
{
    int64_t guess = 4 * l->size[f];
    if (l->comp[f] == IN_PLAIN)
        return l->size[f] - data_start;
    int fd = open(l->path[f], O_RDONLY);
    if (fd < 0)
        return guess;  /* the producer reports it */
    unsigned char b[18];
    if (l->comp[f] == IN_GZIP && l->size[f] >= 18 &&
        shard_pread(fd, b, 4, (off_t)l->size[f] - 4) == 4) {
        int64_t isize = (int64_t)b[0] | (int64_t)b[1] << 8 | (int64_t)b[2] << 16 |
                        (int64_t)b[3] << 24;
        if (isize >= l->size[f])
            guess = isize - data_start;
    } else if (l->comp[f] == IN_ZSTD) {
        ssize_t k = shard_pread(fd, b, sizeof b, 0);
        unsigned long long c = k > 0 ? ZSTD_getFrameContentSize(b, (size_t)k) : 0;
        if (c != ZSTD_CONTENTSIZE_UNKNOWN && c != ZSTD_CONTENTSIZE_ERROR)
            guess = (int64_t)c - data_start;
    }
    close(fd);
    return guess > 0 ? guess : 0;
}

int inputs_share(const struct input_list *l, const int64_t *data_start, struct input_share *sh,
                 struct lr_error *e)
{
    memset(sh, 0, sizeof *sh);
    sh->fd = new_memfd();
    size_t n = (size_t)(l->n ? l->n : 1);
    struct input_producer *pr = lr_calloc(1, sizeof *pr);
    pr->owner = lr_malloc(n * sizeof *pr->owner);
    assign(l, pr->owner);
    pr->data_start = lr_malloc(n * sizeof *pr->data_start);
    for (int f = 0; f < l->n; f++)
        pr->data_start[f] = data_start[f];
    sh->file = lr_malloc(n * sizeof *sh->file);
    sh->lines = lr_malloc(n * sizeof *sh->lines);
    sh->at = lr_malloc((size_t)(l->n + 1) * sizeof *sh->at);
    sh->at[0] = 0;
    for (int f = 0; f < l->n; f++)
        if (pr->owner[f] == comm_rank())
            sh->bytes += text_estimate(l, f, data_start[f]);
    pr->l = l;
    pr->sh = sh;
    pr->fd = sh->fd;
    pr->quote_free = 1;
    pr->ahead = ahead_bytes();
    pthread_mutex_init(&pr->mu, NULL);
    pthread_cond_init(&pr->more, NULL);
    pthread_cond_init(&pr->room, NULL);
    sh->text = (struct byte_source){.pread = share_read, .ctx = pr};
    int err = pthread_create(&pr->thread, NULL, producer_run, pr);
    if (err != 0)
        LR_FATAL("cannot start the thread that reads the inputs: %s", strerror(err));
    sh->producer = pr;
    return 0;
}

/* Join the producer (stop: 1 or 2, as input_producer says); its error into *pe. */
static void producer_end(struct input_share *sh, int stop, struct lr_error *pe)
{
    struct input_producer *pr = sh->producer;
    if (!pr)
        return;
    pthread_mutex_lock(&pr->mu);
    pr->stop = stop;
    pthread_cond_signal(&pr->room);
    pthread_mutex_unlock(&pr->mu);
    pthread_join(pr->thread, NULL);
    sh->text = (struct byte_source){0};
    sh->bytes = pr->bytes;
    sh->n = pr->n;
    sh->quote_free = pr->quote_free;
    if (pe)
        *pe = pr->err;
    pthread_mutex_destroy(&pr->mu);
    pthread_cond_destroy(&pr->more);
    pthread_cond_destroy(&pr->room);
    free(pr->owner);
    free(pr->data_start);
    free(pr);
    sh->producer = NULL;
}

int inputs_share_wait(struct input_share *sh, struct lr_error *e, int *file)
{
    struct input_producer *pr = sh->producer;
    int f = pr ? pr->err_file : 0;
    struct lr_error pe = {0};
    /* after a data error the rest of the text is not needed: a stream error further on
       would come later in the stream */
    producer_end(sh, e->code == LR_EDATA ? 1 : 2, &pe);
    if (pe.code == LR_OK)
        return 0;
    *e = pe;
    *file = f;
    return -1;
}

void inputs_share_free(struct input_share *sh)
{
    producer_end(sh, 1, NULL);
    if (sh->fd > 0)
        close(sh->fd);
    free(sh->file);
    free(sh->lines);
    free(sh->at);
    memset(sh, 0, sizeof *sh);
    sh->fd = -1;
}

int inputs_place(const struct input_share *sh, const int64_t *header_lines, int64_t line,
                 int64_t *file_line)
{
    int k = 0;
    while (k + 1 < sh->n && line >= sh->lines[k])
        line -= sh->lines[k++];
    *file_line = (sh->n ? header_lines[sh->file[k]] : 0) + line + 1;
    return sh->n ? sh->file[k] : 0;
}

/* ---- compressed files measured, so that the stream can be read in place ---- */

/* A compressed file's bytes decompressed, and whether they end in a newline. */
static int measure(const struct input_list *l, int f, int64_t *bytes, int *newline,
                   struct lr_error *e)
{
    struct stream s;
    if (stream_open(&s, l->path[f], l->comp[f], e) < 0)
        return -1;
    char *buf = lr_malloc(1 << 20);
    int64_t n = 0;
    ssize_t k;
    *newline = 1;
    while ((k = stream_read(&s, buf, 1 << 20, n, e)) > 0) {
        n += k;
        *newline = buf[k - 1] == '\n';
    }
    free(buf);
    stream_close(&s);
    *bytes = n;
    return k < 0 ? -1 : 0;
}

int inputs_measure(struct input_list *l, const int64_t *data_start, int64_t *text,
                   struct lr_error *e)
{
    int n = l->n, *owner = lr_malloc((size_t)(n ? n : 1) * sizeof *owner);
    uint64_t *v = lr_calloc(2 * (size_t)n + 1, sizeof *v);  /* bytes + 1, newline; 0: not
                                                              this rank's */
    int64_t bad = INT64_MAX;  /* the first file that failed, of every rank */
    assign(l, owner);
    for (int f = 0; f < n; f++) {
        int64_t bytes;
        int newline;
        if (l->comp[f] == IN_PLAIN || owner[f] != comm_rank() || e->code != LR_OK)
            continue;
        if (measure(l, f, &bytes, &newline, e) < 0)
            bad = f;
        else
            v[f] = (uint64_t)bytes + 1, v[n + f] = (uint64_t)newline;
    }
    free(owner);
    if (bad > comm_min_i64(bad))  /* the first broken file in input order is reported */
        memset(e, 0, sizeof *e);
    comm_sum_u64(v, 2 * n);
    for (int f = 0; f < n; f++) {
        if (l->comp[f] == IN_PLAIN)
            continue;
        l->text_size[f] = (int64_t)v[f] - 1;
        text[f] = l->text_size[f] - data_start[f];
        if (text[f] > 0 && f < n - 1 && !v[n + f])
            text[f]++;  /* the newline added, as after a plain file */
        if (text[f] < 0)
            text[f] = 0;
    }
    free(v);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* ---- the stream read in place ---- */

/* A compressed file being read: decompressed from its start, its last bytes kept in win
   (win_lo to win_lo + len, the bytes decompressed so far ending there). */
#define UNZIP_WINDOW ((size_t)2 << 20)
struct input_unzip {
    int f;
    struct stream s;
    char *win;
    int64_t win_lo;
    size_t len;
};

static void unzip_free(struct input_unzip *u)
{
    if (!u)
        return;
    stream_close(&u->s);
    free(u->win);
    free(u);
}

/* The reader of compressed file f, able to give offset x (from the file's start): the one
   open unless x lies before its window, else one opened afresh (the older of the two
   dropped). NULL when it cannot be opened. */
static struct input_unzip *unzip_at(struct input_concat *c, int f, int64_t x)
{
    for (int k = 0; k < 2; k++) {
        struct input_unzip *u = c->z[k];
        if (u && u->f == f && x >= u->win_lo) {
            c->z[k] = c->z[0], c->z[0] = u;
            return u;
        }
    }
    int k = c->z[0] && c->z[0]->f == f ? 0 : 1;  /* a reader of f too far on is replaced */
    unzip_free(c->z[k]);
    c->z[k] = NULL;
    struct input_unzip *u = lr_calloc(1, sizeof *u);
    struct lr_error e = {0};
    if (stream_open(&u->s, c->l->path[f], c->l->comp[f], &e) < 0) {
        free(u);
        return NULL;
    }
    u->f = f;
    u->win = lr_malloc(UNZIP_WINDOW);
    c->z[k] = c->z[0], c->z[0] = u;
    return u;
}

/* Up to n bytes of compressed file f's text from offset x into buf: the count (short only
   at the file's end), -1 when it cannot be read. */
static ssize_t unzip_read(struct input_concat *c, int f, char *buf, size_t n, int64_t x)
{
    struct input_unzip *u = unzip_at(c, f, x);
    size_t got = 0;
    if (!u)
        return -1;
    while (got < n) {
        int64_t at = x + (int64_t)got, end = u->win_lo + (int64_t)u->len;
        if (at < end) {
            size_t k = (size_t)(end - at) < n - got ? (size_t)(end - at) : n - got;
            memcpy(buf + got, u->win + (at - u->win_lo), k);
            got += k;
            continue;
        }
        if (u->len == UNZIP_WINDOW) {  /* keep the later half */
            size_t keep = UNZIP_WINDOW / 2;
            memmove(u->win, u->win + u->len - keep, keep);
            u->win_lo += (int64_t)(u->len - keep);
            u->len = keep;
        }
        struct lr_error e = {0};
        ssize_t k = stream_read(&u->s, u->win + u->len, UNZIP_WINDOW - u->len, end, &e);
        if (k < 0) {
            errno = EIO;
            return -1;
        }
        if (k == 0)
            break;
        u->len += (size_t)k;
    }
    return (ssize_t)got;
}


/* The first of n sorted offsets at or after x. */
static int64_t lower_bound(const int64_t *v, int64_t n, int64_t x)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The file whose part of the stream holds offset off (a file of no bytes holds none): the
   last f with start[f] <= off. */
static int concat_file(const struct input_concat *c, int64_t off)
{
    return (int)lower_bound(c->start, c->l->n, off + 1) - 1;
}

static int concat_fd(struct input_concat *c, int f)
{
    if (c->fds[f] < 0 && (c->fds[f] = open(c->l->path[f], O_RDONLY)) < 0 && c->failed < 0) {
        c->failed = f;
        c->failed_errno = errno;
    }
    return c->fds[f];
}

/* input_concat.bytes: the stream, file after file */
static ssize_t concat_read(void *ctx, void *buf, size_t n, off_t off)
{
    struct input_concat *c = ctx;
    int64_t at = (int64_t)off, end = c->start[c->l->n];
    size_t got = 0;
    while (got < n && at < end) {
        int f = concat_file(c, at);
        int64_t in = at - c->start[f];
        int64_t data = (c->l->comp[f] == IN_PLAIN ? c->l->size[f] : c->l->text_size[f]) -
                       c->data_start[f];
        int64_t room = c->start[f + 1] - at;
        size_t want = (size_t)(room < (int64_t)(n - got) ? room : (int64_t)(n - got));
        if (in >= data) {  /* the newline added after the file's last line */
            ((char *)buf)[got++] = '\n';
            at++;
            continue;
        }
        if ((int64_t)want > data - in)
            want = (size_t)(data - in);
        int fd = concat_fd(c, f);
        ssize_t k = fd < 0 ? -1 : c->l->comp[f] != IN_PLAIN
            ? unzip_read(c, f, (char *)buf + got, want, c->data_start[f] + in)
            : shard_pread(fd, (char *)buf + got, want, c->data_start[f] + in);
        if (k < 0 || (size_t)k < want) {  /* unreadable, or the file shrank */
            if (c->failed < 0) {
                c->failed = f;
                c->failed_errno = k < 0 ? errno : 0;
            }
            if (k < 0)
                return -1;
        }
        got += (size_t)k;
        at += k;
        if ((size_t)k < want)
            break;
    }
    return (ssize_t)got;
}

int inputs_concat_open(const struct input_list *l, const int64_t *data_start,
                       const int64_t *text, struct input_concat *c, struct lr_error *e)
{
    memset(c, 0, sizeof *c);
    c->l = l;
    c->data_start = data_start;
    c->start = lr_malloc((size_t)(l->n + 1) * sizeof *c->start);
    c->fds = lr_malloc((size_t)(l->n ? l->n : 1) * sizeof *c->fds);
    c->start[0] = 0;
    for (int f = 0; f < l->n; f++) {
        c->start[f + 1] = c->start[f] + text[f];
        c->fds[f] = -1;
    }
    c->failed = -1;
    c->bytes = (struct byte_source){.pread = concat_read, .ctx = c};
    off_t lo, hi;
    shard_nominal(0, (off_t)c->start[l->n], comm_rank(), comm_size(), &lo, &hi);
    for (int f = concat_file(c, lo); f < l->n && c->start[f] <= hi; f++)
        if (concat_fd(c, f) < 0)
            return open_failed(l->path[f], e);
    return 0;
}

void inputs_concat_close(struct input_concat *c)
{
    unzip_free(c->z[0]);
    unzip_free(c->z[1]);
    for (int f = 0; c->fds && f < c->l->n; f++)
        if (c->fds[f] >= 0)
            close(c->fds[f]);
    free(c->fds);
    free(c->start);
    memset(c, 0, sizeof *c);
}

int inputs_concat_failed(const struct input_concat *c, struct lr_error *e)
{
    char where[300];
    if (c->failed < 0 || e->code != LR_ENOINPUT)
        return e->code == LR_OK ? 0 : -1;
    return lr_fail_at(e, LR_ENOINPUT, c->l->path[c->failed], 0, 0, "cannot read: %s (%s)",
                      c->failed_errno ? strerror(c->failed_errno) : "file shrank while being read",
                      comm_where(where, sizeof where));
}

int inputs_concat_quotes(const struct input_concat *c, int *odd_lo, int *odd_hi,
                         int *quote_free, struct lr_error *e)
{
    int n = c->l->n;
    uint64_t *q = lr_calloc((size_t)n + 1, sizeof *q);  /* per file; q[n]: this rank's piece */
    off_t lo, hi;
    shard_nominal(0, (off_t)c->start[n], comm_rank(), comm_size(), &lo, &hi);
    for (off_t at = lo; at < hi && e->code == LR_OK;) {
        int f = concat_file(c, at);
        off_t to = (off_t)c->start[f + 1] < hi ? (off_t)c->start[f + 1] : hi;
        int64_t k = 0;
        shard_count_quotes(&c->bytes, c->l->path[f], at, to, &k, e);
        q[f] += (uint64_t)k;
        q[n] += (uint64_t)k;
        at = to;
    }
    int64_t piece = (int64_t)q[n], before = comm_exscan_i64(piece);
    comm_sum_u64(q, n);
    *quote_free = 1;
    for (int f = 0; f < n; f++) {
        *quote_free &= q[f] == 0;
        if (q[f] % 2 && e->code == LR_OK)
            odd_quotes(c->l->path[f], q[f], e);
    }
    *odd_lo = (int)(before & 1);
    *odd_hi = (int)((before + piece) & 1);
    free(q);
    inputs_concat_failed(c, e);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int inputs_concat_lines(const struct input_concat *c, off_t begin, off_t end, int64_t *lines,
                        struct lr_error *e)
{
    int n = c->l->n;
    uint64_t *k = lr_calloc((size_t)n + 1, sizeof *k);
    char *buf = lr_malloc(1 << 20);
    for (off_t at = begin; at < end && e->code == LR_OK;) {
        int f = concat_file(c, at);
        off_t to = (off_t)c->start[f + 1] < end ? (off_t)c->start[f + 1] : end;
        size_t want = (size_t)(to - at) < (1 << 20) ? (size_t)(to - at) : (1 << 20);
        ssize_t got = byte_pread(&c->bytes, buf, want, at);
        if (got <= 0) {
            lr_fail_at(e, LR_ENOINPUT, c->l->path[f], 0, 0, "read error: %s",
                       got < 0 ? strerror(errno) : "file shrank while being read");
            break;
        }
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
            k[f]++;
        at += got;
    }
    free(buf);
    inputs_concat_failed(c, e);
    comm_sum_u64(k, n);
    lines[0] = 0;
    for (int f = 0; f < n; f++)
        lines[f + 1] = lines[f] + (int64_t)k[f];
    free(k);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

int inputs_concat_place(const struct input_list *l, const int64_t *lines,
                        const int64_t *header_lines, int64_t line, int64_t *file_line)
{
    int f = 0;
    while (f + 1 < l->n && line >= lines[f + 1])
        f++;
    *file_line = header_lines[f] + (line - lines[f]) + 1;
    return f;
}

/* ---- several compressed files: rows to the ranks the stream's split gives them ---- */

/* Items (rows or skipped records) of every file laid out in stream order: per file f its
   count (all ranks'), and the position of each rank's nominal start among them. */
struct layout {
    int64_t *first;            /* n + 1: items before file f, in stream order */
    int64_t *rank_first;       /* p + 1: items before rank r's share */
    int64_t *local;            /* n: where file f's items start in its owner's arrays */
};

/* moves for one kind of item, each `size` bytes: file f's items go from their owner to the
   ranks whose share holds them */
static struct comm_move *item_moves(const struct layout *y, const int *owner, int n, int p,
                                    int64_t size, int64_t *n_moves)
{
    struct comm_move *m = lr_malloc((size_t)(n + p) * sizeof *m);
    int64_t k = 0;
    for (int f = 0, r = 0; f < n; f++) {
        for (; r < p; r++) {
            int64_t a = y->first[f] > y->rank_first[r] ? y->first[f] : y->rank_first[r];
            int64_t b = y->first[f + 1] < y->rank_first[r + 1] ? y->first[f + 1]
                                                                : y->rank_first[r + 1];
            if (a < b)
                m[k++] = (struct comm_move){owner[f], r, (y->local[f] + a - y->first[f]) * size,
                                            (a - y->rank_first[r]) * size, (b - a) * size};
            if (y->rank_first[r + 1] >= y->first[f + 1])
                break;  /* the next file starts in this rank's share too */
        }
    }
    *n_moves = k;
    return m;
}

/* Move an array of items of `size` bytes; the old one is freed. */
static void *move_items(const struct layout *y, const int *owner, int n, void *old,
                        int64_t size)
{
    int p = comm_size(), me = comm_rank();
    int64_t k, mine = y->rank_first[me + 1] - y->rank_first[me];
    struct comm_move *m = item_moves(y, owner, n, p, size, &k);
    void *out = lr_malloc((size_t)(mine ? mine : 1) * (size_t)size);
    comm_moves(m, k, old, out);
    free(m);
    free(old);
    return out;
}

void inputs_redistribute(const struct input_list *l, const struct input_share *sh,
                         struct csv_shard *s, int d, int has_target, int has_weight,
                         int has_offset)
{
    int n = l->n, p = comm_size(), me = comm_rank();
    int *owner = lr_malloc((size_t)(n ? n : 1) * sizeof *owner);
    assign(l, owner);
    /* the stream: each file's text, where it starts, and the ranks' nominal starts */
    uint64_t *v = lr_calloc((size_t)(2 * n + 2 * p + 1), sizeof *v);
    int64_t *start = lr_malloc((size_t)(n + 1) * sizeof *start);
    int64_t *nominal = lr_malloc((size_t)(p + 1) * sizeof *nominal);
    for (int k = 0; k < sh->n; k++)
        v[sh->file[k]] = (uint64_t)(sh->at[k + 1] - sh->at[k]);
    comm_sum_u64(v, n);
    start[0] = 0;
    for (int f = 0; f < n; f++)
        start[f + 1] = start[f] + (int64_t)v[f];
    for (int r = 0; r <= p; r++) {
        off_t lo, hi;
        shard_nominal(0, (off_t)start[n], r < p ? r : p - 1, p, &lo, &hi);
        nominal[r] = r < p ? (int64_t)lo : (int64_t)hi;
    }
    /* offsets in the stream; per file the rows and skipped records, and of those before
       each nominal start that falls in the file */
    struct layout rows = {0}, skip = {0};
    rows.local = lr_calloc((size_t)n + 1, sizeof *rows.local);
    skip.local = lr_calloc((size_t)n + 1, sizeof *skip.local);
    memset(v, 0, (size_t)(2 * n + 2 * p + 1) * sizeof *v);
    int64_t i = 0, j = 0;
    for (int k = 0; k < sh->n; k++) {
        int f = sh->file[k];
        int64_t shift = start[f] - sh->at[k];
        rows.local[f] = i;
        skip.local[f] = j;
        /* (the offsets before i and j are the stream's already) */
        int64_t i_end = i + lower_bound(s->row_at + i, s->n_rows - i, sh->at[k + 1]);
        int64_t j_end = j + lower_bound(s->skipped_off + j, s->n_skipped - j, sh->at[k + 1]);
        for (int64_t x = i; x < i_end; x++)
            s->row_at[x] += shift;
        for (int64_t x = j; x < j_end; x++)
            s->skipped_off[x] += shift;
        v[f] = (uint64_t)(i_end - i);
        v[n + f] = (uint64_t)(j_end - j);
        for (int r = 1; r < p; r++)
            if (nominal[r] >= start[f] && nominal[r] < start[f + 1]) {
                v[2 * n + r] = (uint64_t)(lower_bound(s->row_at + i, i_end - i, nominal[r]));
                v[2 * n + p + r] = (uint64_t)(lower_bound(s->skipped_off + j, j_end - j,
                                                          nominal[r]));
            }
        i = i_end;
        j = j_end;
    }
    comm_sum_u64(v, 2 * n + 2 * p);
    rows.first = lr_malloc((size_t)(n + 1) * sizeof *rows.first);
    skip.first = lr_malloc((size_t)(n + 1) * sizeof *skip.first);
    rows.rank_first = lr_malloc((size_t)(p + 1) * sizeof *rows.rank_first);
    skip.rank_first = lr_malloc((size_t)(p + 1) * sizeof *skip.rank_first);
    rows.first[0] = skip.first[0] = 0;
    for (int f = 0; f < n; f++) {
        rows.first[f + 1] = rows.first[f] + (int64_t)v[f];
        skip.first[f + 1] = skip.first[f] + (int64_t)v[n + f];
    }
    for (int r = 0, f = 0; r <= p; r++) {
        if (r == 0 || r == p) {
            rows.rank_first[r] = r ? rows.first[n] : 0;
            skip.rank_first[r] = r ? skip.first[n] : 0;
            continue;
        }
        while (f + 1 < n && start[f + 1] <= nominal[r])  /* the file holding nominal[r] */
            f++;
        rows.rank_first[r] = rows.first[f] + (int64_t)v[2 * n + r];
        skip.rank_first[r] = skip.first[f] + (int64_t)v[2 * n + p + r];
    }
    /* a skipped record's place among the rows: all rows before it, in stream order */
    for (int k = 0, x = 0; k < sh->n; k++) {
        int f = sh->file[k];
        for (; x < skip.local[f] + (int64_t)(skip.first[f + 1] - skip.first[f]); x++)
            s->skipped_at[x] += rows.first[f] - rows.local[f];
    }
    s->X = move_items(&rows, owner, n, s->X, (int64_t)d * 8);
    if (has_target)
        s->y = move_items(&rows, owner, n, s->y, 8);
    if (has_weight)
        s->w = move_items(&rows, owner, n, s->w, 8);
    if (has_offset)
        s->offset = move_items(&rows, owner, n, s->offset, 8);
    if (s->n_groups)
        s->g = move_items(&rows, owner, n, s->g, 8 * (int64_t)s->n_groups);
    s->row_at = move_items(&rows, owner, n, s->row_at, 8);
    s->skipped_at = move_items(&skip, owner, n, s->skipped_at, 8);
    s->skipped_off = move_items(&skip, owner, n, s->skipped_off, 8);
    s->n_rows = rows.rank_first[me + 1] - rows.rank_first[me];
    s->n_skipped = skip.rank_first[me + 1] - skip.rank_first[me];
    for (int64_t x = 0; x < s->n_skipped; x++)
        s->skipped_at[x] -= rows.rank_first[me];
    free(rows.first), free(rows.rank_first), free(rows.local);
    free(skip.first), free(skip.rank_first), free(skip.local);
    free(v);
    free(start);
    free(nominal);
    free(owner);
}
