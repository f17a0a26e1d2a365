/* cache.c — the binary cache of parsed rows; see cache.h. */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "atomic_file.h"
#include "comm.h"
#include "encode.h"
#include "hash.h"
#include "shard.h"

#define CACHE_MAGIC "LRMPICAC"
#define CACHE_VERSION 3u      /* 2: the "files" section (several files); 3: no "text values"
                                 item (the numbers-only reading mode is gone) */
#define BYTE_ORDER_MARK 0x01020304u
#define HEADER_BYTES 4096
#define CHUNK (1 << 20)               /* bytes per crc32 */
#define SEGMENT ((int64_t)16 << 20)   /* bytes of the CSV per hash of --cache-verify full */
#define MAX_SECTIONS 16

enum { S_X, S_Y, S_ROW_AT, S_SKIPPED, S_INDEX, S_NAMES, S_W, S_META, S_FILES, N_SECTIONS };
static const char *section_tag[N_SECTIONS] = {"X", "y", "row_at", "skipped", "index", "names",
                                              "w", "meta", "files"};

struct section {
    char tag[16];
    int64_t offset, bytes;     /* in the file */
    int64_t row_bytes;         /* bytes per row (1 for a blob) */
    int64_t crc_offset;        /* where its chunks' crc32 values are */
};

struct header {
    char magic[8];
    uint32_t version, header_crc, byte_order, chunk_bytes;
    /* the data: the region its offsets lie in, its files (the "files" section), the digest
       of their content */
    int64_t data_start, data_end, n_files;
    uint64_t content_digest;
    /* the options */
    struct cache_fingerprint fp;
    /* the rows */
    int64_t n_rows, n_skipped;
    int32_t n_features, has_target;
    int32_t n_first_skipped, has_weight;
    int32_t n_source, pad;     /* source feature columns (before encoding: names) */
    int64_t first_skipped[CSV_FIRST_SKIPPED], first_skipped_last[CSV_FIRST_SKIPPED];
    int32_t first_skipped_file[CSV_FIRST_SKIPPED], pad3;  /* several files: each one's */
    int64_t file_bytes;        /* the whole cache */
    uint32_t n_sections, pad2;
    struct section sec[MAX_SECTIONS];
};
_Static_assert(sizeof(struct header) <= HEADER_BYTES, "the cache header outgrew its page");

static int64_t chunks_of(int64_t bytes) { return (bytes + CHUNK - 1) / CHUNK; }
static int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

static void add_item(struct cache_fingerprint *fp, const char *name, uint64_t value)
{
    snprintf(fp->item[fp->n].name, sizeof fp->item[fp->n].name, "%s", name);
    fp->item[fp->n++].value = value;
}

static uint64_t text_digest(const char *s)
{
    return s ? XXH3_64bits(s, strlen(s)) : 0;
}

void cache_fingerprint(const struct csv_layout *lay, int has_header, int target_optional,
                       const struct enc_options *enc, struct cache_fingerprint *fp)
{
    memset(fp, 0, sizeof *fp);
    add_item(fp, "--delimiter", (unsigned char)lay->delimiter);
    add_item(fp, "--no-header", (uint64_t)!has_header);
    /* which column goes where: the target, each feature's slot, the columns left out */
    uint64_t h = mix64((uint64_t)lay->n_cols ^ ((uint64_t)lay->n_features << 32) ^
                       ((uint64_t)lay->has_target << 62));
    for (int c = 0; c < lay->n_cols; c++)
        h = mix64(h ^ (uint64_t)(int64_t)lay->slot[c] ^ ((uint64_t)c << 40));
    add_item(fp, "the columns", h);
    add_item(fp, "--on-bad-row", (uint64_t)lay->skip_bad_rows);
    /* the encoding (encode.h); the weights column is a slot of "the columns" */
    add_item(fp, "--categorical", text_digest(enc->categorical));
    add_item(fp, "--reference", text_digest(enc->reference));
    add_item(fp, "--max-levels", (uint64_t)enc->max_levels);
    add_item(fp, "--missing",
             (uint64_t)enc->missing | (uint64_t)enc->missing_indicator << 8);
    add_item(fp, "--na-values", text_digest(enc->na_values));
    add_item(fp, "--no-intercept", (uint64_t)enc->no_intercept);
    /* predict keeps a row whose target is missing, evaluate and train skip it */
    add_item(fp, "a missing target", (uint64_t)target_optional);
    add_item(fp, "--unknown-level",
             (uint64_t)enc->unknown_error | (uint64_t)enc->raw_levels << 8);
    char *model = enc->model_enc ? enc_serialize(enc->model_enc) : NULL;
    add_item(fp, "the model's encoding", text_digest(model));
    free(model);
}

/* ---- the files ---- */

/* Rank 0: the identity of file f, open on fd (its head read from it when plain). */
static int identify(int fd, const char *path, int64_t data_start, int comp,
                    struct cache_file *f, struct lr_error *e)
{
    struct stat st;
    f->data_start = data_start;
    f->comp = comp;
    if (fstat(fd, &st) != 0)
        return lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read: %s", strerror(errno));
    f->size = (int64_t)st.st_size;
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    f->mtime_s = (int64_t)st.st_mtim.tv_sec;
    f->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    if (comp != IN_PLAIN)  /* its header is in the decompressed text */
        return 0;
    char *head = lr_malloc((size_t)data_start + 1);
    int rc = 0;
    if (shard_pread(fd, head, (size_t)data_start, 0) != (ssize_t)data_start)
        rc = lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "read error: %s",
                        errno ? strerror(errno) : "file shrank while being read");
    f->head_digest = XXH3_64bits(head, (size_t)data_start);
    free(head);
    return rc;
}

/* Collective: rank 0's identities to every rank (the paths are every rank's own). */
static int share_identities(struct cache_csv *c, const char *const *paths, struct lr_error *e)
{
    if (comm_agree(e) != LR_OK)
        return -1;
    comm_bcast(c->file, (size_t)c->n * sizeof *c->file, 0);
    for (int f = 0; f < c->n; f++)
        c->file[f].path = paths[f];
    return 0;
}

int cache_csv_init(struct cache_csv *c, const char *path, int fd, int64_t data_start,
                   struct lr_error *e)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->n = 1;
    c->file = lr_calloc(1, sizeof *c->file);
    if (comm_rank() == 0)
        identify(fd, path, data_start, IN_PLAIN, &c->file[0], e);
    if (share_identities(c, &path, e) < 0)
        return -1;
    c->data_start = data_start;
    c->size = c->file[0].size;
    return 0;
}

int cache_csv_init_list(struct cache_csv *c, const struct input_list *l,
                        const int64_t *data_start, int64_t stream_len, struct lr_error *e)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->n = l->n;
    c->file = lr_calloc((size_t)l->n + 1, sizeof *c->file);
    snprintf(c->label, sizeof c->label, "the %d input files", l->n);
    for (int f = 0; comm_rank() == 0 && f < l->n && e->code == LR_OK; f++) {
        int fd = open(l->path[f], O_RDONLY);
        if (fd < 0) {
            lr_fail_at(e, LR_ENOINPUT, l->path[f], 0, 0, "cannot open: %s", strerror(errno));
            break;
        }
        identify(fd, l->path[f], data_start[f], l->comp[f], &c->file[f], e);
        close(fd);
    }
    if (share_identities(c, (const char *const *)l->path, e) < 0)
        return -1;
    c->data_start = 0;
    c->size = stream_len;
    return 0;
}

void cache_csv_free(struct cache_csv *c)
{
    free(c->file);
    c->file = NULL;
    c->n = 0;
}

/* The data set in messages: the one CSV's path, or "the N input files". */
static const char *data_name(const struct cache_csv *c)
{
    return c->n == 1 ? c->file[0].path : c->label;
}

/* Hash bytes [s0, s1) of file f (to its end) into st: -1, or the errno of a failure (0:
   the file shrank). */
static int hash_segment(const struct cache_csv *c, int f, int64_t s0, int64_t s1, char *buf,
                        XXH3_state_t *st)
{
    const struct cache_file *x = &c->file[f];
    int fd = c->fd >= 0 ? c->fd : open(x->path, O_RDONLY), why = -1;
    if (fd < 0)
        return errno;
    XXH3_64bits_reset(st);
    int64_t end = s1 < x->size ? s1 : x->size;
    for (int64_t at = s0; at < end;) {
        size_t want = (size_t)(end - at < CHUNK ? end - at : CHUNK);
        ssize_t got = shard_pread(fd, buf, want, (off_t)at);
        if (got != (ssize_t)want) {
            why = got < 0 ? errno : 0;
            break;
        }
        XXH3_64bits_update(st, buf, want);
        at += (int64_t)want;
    }
    if (fd != c->fd)
        close(fd);
    return why;
}

/*
 * Collective: a digest of every file's bytes as stored (a compressed file's compressed
 * bytes), the same for any rank and thread count: each file cut into 16 MiB segments, the
 * segments of all files in order hashed by the ranks in parallel (each a contiguous share
 * of them); a file's digest is the hash of its segments' hashes, in order (per_file, n
 * entries), the data set's the hash of the files' digests in order (one CSV: its own).
 */
static int content_digest(const struct cache_csv *c, uint64_t *per_file, uint64_t *out,
                          int n_threads, struct lr_error *e)
{
    int64_t *first = lr_malloc(((size_t)c->n + 1) * sizeof *first);  /* each file's segment */
    first[0] = 0;
    for (int f = 0; f < c->n; f++)
        first[f + 1] = first[f] + (c->file[f].size + SEGMENT - 1) / SEGMENT;
    int64_t n_seg = first[c->n], lo, hi;
    lo = (int64_t)((__int128)n_seg * comm_rank() / comm_size());
    hi = (int64_t)((__int128)n_seg * (comm_rank() + 1) / comm_size());
    uint64_t *seg = lr_calloc((size_t)(n_seg ? n_seg : 1), sizeof *seg);
    int failed = -1;  /* the first file that could not be read, as found */
    int err = 0;
#pragma omp parallel num_threads(n_threads)
    {
        char *buf = lr_malloc(CHUNK);
        XXH3_state_t *st = XXH3_createState();
#pragma omp for schedule(dynamic, 1)
        for (int64_t s = lo; s < hi; s++) {
            int f = 0, k = c->n;  /* the file of segment s: first[f] <= s < first[f + 1] */
            while (f < k) {
                int mid = (f + k) / 2;
                if (first[mid + 1] <= s)
                    f = mid + 1;
                else
                    k = mid;
            }
            int64_t s0 = (s - first[f]) * SEGMENT;
            int why = hash_segment(c, f, s0, s0 + SEGMENT, buf, st);
            if (why >= 0) {
#pragma omp critical(cache_digest_failed)
                if (failed < 0 || f < failed)
                    failed = f, err = why;
            }
            seg[s] = XXH3_64bits_digest(st);
        }
        XXH3_freeState(st);
        free(buf);
    }
    if (failed >= 0)
        lr_fail_at(e, LR_ENOINPUT, c->file[failed].path, 0, 0, "read error: %s",
                   err ? strerror(err) : "file shrank while being read");
    comm_sum_u64(seg, (int)n_seg);  /* each entry comes from one rank, zeros elsewhere */
    for (int f = 0; f < c->n; f++)
        per_file[f] = XXH3_64bits(seg + first[f], (size_t)(first[f + 1] - first[f]) *
                                  sizeof *seg) ^ (uint64_t)c->file[f].size;
    *out = c->n == 1 ? per_file[0] : XXH3_64bits(per_file, (size_t)c->n * sizeof *per_file);
    free(seg);
    free(first);
    return comm_agree(e) == LR_OK ? 0 : -1;
}

/* The "files" section: one record per file, then the paths, NUL-terminated. */
struct file_rec {
    int64_t size, mtime_s, mtime_ns, data_start;
    uint64_t dev, ino, head_digest, content_digest;
    int32_t comp, path_bytes;
};

static char *files_blob(const struct cache_csv *c, const uint64_t *digest, int64_t *len)
{
    size_t n = (size_t)c->n * sizeof(struct file_rec);
    for (int f = 0; f < c->n; f++)
        n += strlen(c->file[f].path) + 1;
    char *b = lr_calloc(n, 1), *p = b + (size_t)c->n * sizeof(struct file_rec);
    for (int f = 0; f < c->n; f++) {
        const struct cache_file *x = &c->file[f];
        struct file_rec r = {x->size, x->mtime_s, x->mtime_ns, x->data_start, x->dev, x->ino,
                             x->head_digest, digest[f], x->comp,
                             (int32_t)strlen(x->path) + 1};
        memcpy(b + (size_t)f * sizeof r, &r, sizeof r);
        p = stpcpy(p, x->path) + 1;
    }
    *len = (int64_t)n;
    return b;
}

/* The other way: n records (malloc'd) and paths (pointers into blob); -1 if malformed. */
static int files_parse(char *blob, int64_t len, int64_t n, struct file_rec **recs,
                       const char ***paths)
{
    *recs = NULL, *paths = NULL;
    if (n < 1 || n > len / (int64_t)sizeof(struct file_rec))
        return -1;
    *recs = lr_malloc((size_t)n * sizeof **recs);
    *paths = lr_malloc((size_t)n * sizeof **paths);
    memcpy(*recs, blob, (size_t)n * sizeof **recs);
    int64_t at = n * (int64_t)sizeof(struct file_rec);
    for (int64_t f = 0; f < n; f++) {
        int64_t k = (*recs)[f].path_bytes;
        if (k < 1 || k > len - at || blob[at + k - 1] != '\0')
            return -1;
        (*paths)[f] = blob + at;
        at += k;
    }
    return at == len ? 0 : -1;
}

/* ---- the layout, the same on every rank ---- */

/* The sections of a cache of n rows (from the totals): offsets, sizes, crc tables. */
static void plan(struct header *h, int64_t names_bytes, int64_t meta_bytes, int64_t files_bytes)
{
    int64_t rows[N_SECTIONS] = {h->n_rows, h->has_target ? h->n_rows : 0, h->n_rows,
                                h->n_skipped, 0, names_bytes,
                                h->has_weight ? h->n_rows : 0, meta_bytes, files_bytes};
    int64_t row_bytes[N_SECTIONS] = {8 * (int64_t)h->n_features, 8, 8, 16, 8, 1, 8, 1, 1};
    rows[S_INDEX] = chunks_of(8 * h->n_rows);  /* one entry per "row_at" chunk */
    h->n_sections = N_SECTIONS;
    int64_t crc_at = HEADER_BYTES;
    for (int s = 0; s < N_SECTIONS; s++) {
        struct section *x = &h->sec[s];
        snprintf(x->tag, sizeof x->tag, "%s", section_tag[s]);
        x->row_bytes = row_bytes[s];
        x->bytes = rows[s] * row_bytes[s];
        x->crc_offset = crc_at;
        crc_at += 4 * chunks_of(x->bytes);
    }
    int64_t at = round_up(crc_at, 4096);
    for (int s = 0; s < N_SECTIONS; s++) {
        h->sec[s].offset = at;
        at = round_up(at + h->sec[s].bytes, 4096);
    }
    h->file_bytes = at;
}

/* The names blob: the target's (empty without one), then each source feature column's,
   NUL-terminated. */
static char *names_blob(const struct cache_meta *m, int64_t *len)
{
    size_t n = (m->target ? strlen(m->target) : 0) + 1;
    for (int j = 0; j < m->n_source; j++)
        n += strlen(m->source_names[j]) + 1;
    char *b = lr_malloc(n), *p = b;
    p = stpcpy(p, m->target ? m->target : "") + 1;
    for (int j = 0; j < m->n_source; j++)
        p = stpcpy(p, m->source_names[j]) + 1;
    *len = (int64_t)n;
    return b;
}

static uint32_t crc_of(const void *p, int64_t n)
{
    uint32_t crc = 0;
    for (int64_t at = 0; at < n;) {  /* zlib takes uInt lengths */
        uInt k = (uInt)(n - at < (1 << 30) ? n - at : (1 << 30));
        crc = (uint32_t)crc32(crc, (const Bytef *)p + at, k);
        at += k;
    }
    return crc;
}

/* ---- writing ---- */

/* A piece of a chunk that another rank shares: its crc32 is combined on rank 0. */
struct partial {
    int32_t section, used;
    int64_t chunk, start, len;   /* bytes [start, start + len) of the section */
    uint32_t crc, pad;
};
#define PARTIALS_PER_RANK (2 * N_SECTIONS)

static int cmp_partial(const void *a, const void *b)
{
    const struct partial *p = a, *q = b;
    if (p->section != q->section)
        return p->section - q->section;
    return (p->start > q->start) - (p->start < q->start);
}

/* Rank 0: the crc32 of every shared chunk, from its pieces in order. */
static int combine_partials(int fd, const struct header *h, struct partial *all, int n)
{
    qsort(all, (size_t)n, sizeof *all, cmp_partial);
    for (int i = 0; i < n;) {
        const struct partial *p = &all[i];
        uint32_t crc = p->crc;
        int64_t end = p->start + p->len;
        int j = i + 1;
        for (; j < n && all[j].section == p->section && all[j].chunk == p->chunk; j++) {
            if (all[j].start != end)
                return -1;  /* cannot happen: ranks hold consecutive rows */
            crc = (uint32_t)crc32_combine(crc, all[j].crc, (z_off_t)all[j].len);
            end += all[j].len;
        }
        const struct section *x = &h->sec[p->section];
        if (shard_pwrite(fd, &crc, 4, (off_t)(x->crc_offset + 4 * p->chunk)) < 0)
            return -1;
        i = j;
    }
    return 0;
}

/* Rank 0's own sections: "index" and "names", with their crc32 values. */
static int write_small(int fd, const struct header *h, int s, const void *p)
{
    const struct section *x = &h->sec[s];
    if (shard_pwrite(fd, p, x->bytes, (off_t)x->offset) < 0)
        return -1;
    for (int64_t c = 0; c < chunks_of(x->bytes); c++) {
        int64_t n = x->bytes - c * CHUNK < CHUNK ? x->bytes - c * CHUNK : CHUNK;
        uint32_t crc = crc_of((const char *)p + c * CHUNK, n);
        if (shard_pwrite(fd, &crc, 4, (off_t)(x->crc_offset + 4 * c)) < 0)
            return -1;
    }
    return 0;
}

static void header_seal(struct header *h, char *page)
{
    memset(page, 0, HEADER_BYTES);
    h->header_crc = 0;
    memcpy(page, h, sizeof *h);
    h->header_crc = crc_of(page, HEADER_BYTES);
    memcpy(page, h, sizeof *h);
}

/*
 * The "meta" section, JSON: the feature names after encoding, the encoding with what
 * reading counted (missing values, unseen levels, a truncated dictionary), and the rows
 * skipped for a missing value.
 */
static char *meta_blob(const struct cache_meta *m, int64_t *len)
{
    json_t *names = json_array(), *unseen = json_array(), *trunc = json_array();
    for (int j = 0; j < m->n_features; j++)
        json_array_append_new(names, json_string(m->feature_names[j]));
    for (int c = 0; c < m->enc.n_cols; c++) {
        json_array_append_new(unseen, json_integer(m->enc.cols[c].n_unseen));
        json_array_append_new(trunc, json_integer(m->enc.cols[c].truncated));
    }
    json_t *root = json_pack("{s:o, s:o, s:o, s:I}", "features", names, "unseen", unseen,
                             "truncated", trunc, "skipped_missing",
                             (json_int_t)m->n_skipped_missing);
    if (m->enc.n_cols > 0)
        json_object_set_new(root, "encoding", enc_to_json(&m->enc));
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        LR_FATAL("out of memory");
    *len = (int64_t)strlen(text);
    return text;
}

/* The other way: m's feature names (n_features of them) and encoding from the section's
   text; -1 if it is not one (m's names and encoding left empty). */
static int meta_parse(const char *text, struct cache_meta *m)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *names = json_object_get(root, "features"), *enc = json_object_get(root, "encoding");
    json_t *unseen = json_object_get(root, "unseen"), *trunc = json_object_get(root, "truncated");
    const char *why;
    int rc = -1;
    if (!json_is_array(names) || json_array_size(names) != (size_t)m->n_features ||
        (enc && enc_from_json(enc, &m->enc, &why) < 0) ||
        json_array_size(unseen) != (size_t)m->enc.n_cols ||
        json_array_size(trunc) != (size_t)m->enc.n_cols)
        goto done;
    m->feature_names = lr_malloc((size_t)(m->n_features ? m->n_features : 1) *
                                 sizeof *m->feature_names);
    for (int j = 0; j < m->n_features; j++) {
        const char *n = json_string_value(json_array_get(names, (size_t)j));
        m->feature_names[j] = lr_strdup(n ? n : "");
    }
    for (int c = 0; c < m->enc.n_cols; c++) {
        m->enc.cols[c].n_unseen = json_integer_value(json_array_get(unseen, (size_t)c));
        m->enc.cols[c].truncated = (int)json_integer_value(json_array_get(trunc, (size_t)c));
    }
    m->n_skipped_missing = json_integer_value(json_object_get(root, "skipped_missing"));
    rc = 0;
done:
    json_decref(root);
    if (rc < 0)
        enc_free(&m->enc);
    return rc;
}

void cache_meta_free(struct cache_meta *m)
{
    for (int j = 0; m->feature_names && j < m->n_features; j++)
        free(m->feature_names[j]);
    free(m->feature_names);
    m->feature_names = NULL;
    for (int k = 0; k < CSV_FIRST_SKIPPED; k++) {
        free(m->first_skipped_path[k]);
        m->first_skipped_path[k] = NULL;
    }
    enc_free(&m->enc);
}

/* Room for the "meta" section beyond m's text now: each column's unseen count may still
   grow (a writer whose rows are encoded as they are put) by up to 20 digits. */
static int64_t meta_room(const struct cache_meta *m, int64_t len)
{
    return len + 20 * (int64_t)m->enc.n_cols;
}

/* A piece of a chunk written by this rank whose crc32 is not yet complete: the chunk's
   bytes [start, start + len) so far. */
struct piece {
    int valid;
    int64_t chunk, start, len;
    uint32_t crc;
};

struct cache_writer {
    struct header h;
    const struct cache_csv *c;
    const char *path;
    int quiet, n_threads, rc, fd;
    struct lr_error e;         /* this rank's failure, agreed at the end */
    char tmp[4200];
    int64_t first, n_rows, put;  /* this rank's rows: the first's global index, how many,
                                    how many written so far */
    uint64_t *index;           /* the "index" section, this rank's entries */
    int64_t n_idx;
    struct piece open[N_SECTIONS];  /* per section, the chunk being written */
    struct partial parts[PARTIALS_PER_RANK];  /* chunks other ranks share */
    int n_parts;
    char *names, *files;
    double t0;
};

/* The open piece of section s, no longer continued by this rank: a chunk it shares with
   another rank, whose crc32 rank 0 combines. */
static void piece_flush(struct cache_writer *w, int s)
{
    struct piece *o = &w->open[s];
    if (!o->valid)
        return;
    if (w->n_parts < PARTIALS_PER_RANK)
        w->parts[w->n_parts++] = (struct partial){.section = s, .used = 1, .chunk = o->chunk,
                                                  .start = o->start, .len = o->len,
                                                  .crc = o->crc};
    else  /* cannot happen: a rank's rows are contiguous, so two per section at most */
        lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: a chunk split too often");
    o->valid = 0;
}

/* Bytes [lo, lo + len) of chunk c of section s, with their crc32: added to the chunk's
   open piece; a chunk complete gets its crc32 written. */
static void piece_add(struct cache_writer *w, int s, int64_t c, int64_t lo, int64_t len,
                      uint32_t crc)
{
    const struct section *x = &w->h.sec[s];
    struct piece *o = &w->open[s];
    if (o->valid && o->chunk == c && o->start + o->len == lo) {
        o->crc = (uint32_t)crc32_combine(o->crc, crc, (z_off_t)len);
        o->len += len;
    } else {
        piece_flush(w, s);
        *o = (struct piece){.valid = 1, .chunk = c, .start = lo, .len = len, .crc = crc};
    }
    int64_t end = (c + 1) * CHUNK < x->bytes ? (c + 1) * CHUNK : x->bytes;
    if (o->start == c * CHUNK && o->start + o->len == end) {
        if (shard_pwrite(w->fd, &o->crc, 4, (off_t)(x->crc_offset + 4 * c)) < 0)
            lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: %s", strerror(errno));
        o->valid = 0;
    }
}

/* Write bytes [b0, b0 + n) of section s from p, and their chunks' crc32 (pieces). */
static void write_part(struct cache_writer *w, int s, const void *p, int64_t b0, int64_t n)
{
    const struct section *x = &w->h.sec[s];
    if (n <= 0 || w->e.code != LR_OK)
        return;
    if (shard_pwrite(w->fd, p, n, (off_t)(x->offset + b0)) < 0) {
        lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: %s", strerror(errno));
        return;
    }
    int64_t c0 = b0 / CHUNK, c1 = (b0 + n - 1) / CHUNK;
    uint32_t *crcs = lr_malloc((size_t)(c1 - c0 + 1) * sizeof *crcs);
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->n_threads)
    for (int64_t c = c0; c <= c1; c++) {
        int64_t lo = c * CHUNK > b0 ? c * CHUNK : b0;
        int64_t hi = (c + 1) * CHUNK < b0 + n ? (c + 1) * CHUNK : b0 + n;
        crcs[c - c0] = crc_of((const char *)p + (lo - b0), hi - lo);
    }
    for (int64_t c = c0; c <= c1; c++) {
        int64_t lo = c * CHUNK > b0 ? c * CHUNK : b0;
        int64_t hi = (c + 1) * CHUNK < b0 + n ? (c + 1) * CHUNK : b0 + n;
        piece_add(w, s, c, lo, hi - lo, crcs[c - c0]);
    }
    free(crcs);
}

struct cache_writer *cache_write_begin(const char *path, const struct cache_csv *c,
                                       const struct cache_fingerprint *fp,
                                       const struct cache_meta *m, int64_t n_rows,
                                       const struct csv_shard *skipped, int threads, int quiet)
{
    struct cache_writer *w = lr_calloc(1, sizeof *w);
    struct header *h = &w->h;
    w->c = c, w->path = path, w->quiet = quiet, w->fd = -1;
    w->n_threads = threads > 0 ? threads : 1;
    w->n_rows = n_rows;
    memcpy(h->magic, CACHE_MAGIC, 8);
    h->version = CACHE_VERSION;
    h->byte_order = BYTE_ORDER_MARK;
    h->chunk_bytes = CHUNK;
    h->data_start = c->data_start, h->data_end = c->size, h->n_files = c->n;
    h->fp = *fp;
    h->n_rows = m->n_rows;
    h->n_skipped = m->n_skipped;
    h->n_features = m->n_features;
    h->has_target = m->target != NULL;
    h->has_weight = m->has_weight;
    h->n_source = m->n_source;
    h->n_first_skipped = m->n_first_skipped;
    memcpy(h->first_skipped, m->first_skipped, sizeof h->first_skipped);
    memcpy(h->first_skipped_last, m->first_skipped_last, sizeof h->first_skipped_last);
    for (int k = 0; k < m->n_first_skipped; k++) {
        h->first_skipped_file[k] = -1;
        for (int f = 0; m->first_skipped_path[k] && f < c->n; f++)
            if (strcmp(c->file[f].path, m->first_skipped_path[k]) == 0)
                h->first_skipped_file[k] = f;
    }
    int64_t names_len, files_len, meta_len;
    char *meta = meta_blob(m, &meta_len);
    free(meta);
    w->names = names_blob(m, &names_len);
    w->t0 = comm_wtime();
    uint64_t *digest = lr_malloc((size_t)c->n * sizeof *digest);
    w->rc = content_digest(c, digest, &h->content_digest, w->n_threads, &w->e);
    w->files = files_blob(c, digest, &files_len);
    free(digest);
    plan(h, names_len, meta_room(m, meta_len), files_len);
    if (w->rc == 0 && c->size < c->data_start)  /* the caller did not say the stream's length */
        w->rc = lr_fail(&w->e, LR_EWRITE, "the data's length is not known");
    if (w->rc == 0 && comm_rank() == 0) {
        int fd = atomic_begin(path, w->tmp, sizeof w->tmp, &w->e);
        if (fd >= 0)
            close(fd);
    }
    if (w->rc == 0 && comm_agree(&w->e) != LR_OK)
        w->rc = -1;
    comm_bcast(w->tmp, sizeof w->tmp, 0);
    /* this rank's rows at its global row offset, its skipped records at theirs */
    w->first = comm_exscan_i64(n_rows);
    int64_t first_skip = comm_exscan_i64(skipped->n_skipped);
    w->n_idx = h->sec[S_INDEX].bytes / 8;
    w->index = lr_calloc((size_t)(w->n_idx ? w->n_idx : 1), sizeof *w->index);
    if (w->rc == 0) {
        w->fd = open(w->tmp, O_WRONLY);
        if (w->fd < 0)
            lr_fail_at(&w->e, LR_EWRITE, path, 0, 0, "write failed: %s", strerror(errno));
        int64_t *sk = lr_malloc(lr_bytes(skipped->n_skipped + 1, 2, sizeof(int64_t)));
        for (int64_t k = 0; k < skipped->n_skipped; k++) {
            sk[2 * k] = skipped->skipped_off[k];
            sk[2 * k + 1] = w->first + skipped->skipped_at[k];  /* rows before it */
        }
        write_part(w, S_SKIPPED, sk, first_skip * 16, skipped->n_skipped * 16);
        free(sk);
    }
    return w;
}

void cache_write_rows(struct cache_writer *w, const double *X, const double *y,
                      const double *wt, const int64_t *row_at, int64_t n)
{
    if (w->rc < 0 || w->e.code != LR_OK || n <= 0)
        return;
    if (w->put + n > w->n_rows) {
        lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: more rows than announced");
        return;
    }
    int64_t d8 = 8 * (int64_t)w->h.n_features, at = w->first + w->put;
    write_part(w, S_X, X, at * d8, n * d8);
    if (w->h.has_target)
        write_part(w, S_Y, y, at * 8, n * 8);
    if (w->h.has_weight)
        write_part(w, S_W, wt, at * 8, n * 8);
    write_part(w, S_ROW_AT, row_at, at * 8, n * 8);
    int64_t rpc = CHUNK / 8;  /* rows per "row_at" chunk: the index holds each's first */
    for (int64_t k = (at + rpc - 1) / rpc; k < w->n_idx && k * rpc < at + n; k++)
        w->index[k] = (uint64_t)row_at[k * rpc - at];
    w->put += n;
}

int cache_write_end(struct cache_writer *w, const struct cache_meta *m)
{
    struct header *h = &w->h;
    int rc = w->rc;
    if (rc == 0 && w->e.code == LR_OK && w->put != w->n_rows)
        lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: %lld rows of %lld",
                   (long long)w->put, (long long)w->n_rows);
    for (int s = 0; s < N_SECTIONS; s++)
        piece_flush(w, s);
    comm_sum_u64(w->index, (int)w->n_idx);
    struct partial *all = comm_rank() == 0
                              ? lr_malloc((size_t)comm_size() * sizeof w->parts) : NULL;
    comm_gather(w->parts, all, sizeof w->parts);
    if (rc == 0 && comm_rank() == 0 && w->e.code == LR_OK) {
        int n_all = 0;
        for (int k = 0; k < comm_size() * PARTIALS_PER_RANK; k++)
            if (all[k].used)
                all[n_all++] = all[k];
        int64_t meta_len;
        char *meta = meta_blob(m, &meta_len), page[HEADER_BYTES];
        int64_t room = h->sec[S_META].bytes;
        char *padded = lr_malloc((size_t)room + 1);  /* JSON, then spaces */
        memset(padded, ' ', (size_t)room);
        memcpy(padded, meta, (size_t)(meta_len < room ? meta_len : room));
        header_seal(h, page);
        if (meta_len > room)
            lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: the meta outgrew its "
                       "room");
        else if (combine_partials(w->fd, h, all, n_all) < 0 ||
                 write_small(w->fd, h, S_INDEX, w->index) < 0 ||
                 write_small(w->fd, h, S_NAMES, w->names) < 0 ||
                 write_small(w->fd, h, S_META, padded) < 0 ||
                 write_small(w->fd, h, S_FILES, w->files) < 0 ||
                 shard_pwrite(w->fd, page, HEADER_BYTES, 0) < 0 ||
                 ftruncate(w->fd, (off_t)h->file_bytes) < 0)
            lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: %s", strerror(errno));
        free(padded);
        free(meta);
    }
    if (w->fd >= 0 && fsync(w->fd) != 0 && w->e.code == LR_OK)
        lr_fail_at(&w->e, LR_EWRITE, w->path, 0, 0, "write failed: %s", strerror(errno));
    if (w->fd >= 0)
        close(w->fd);
    free(all);
    if (rc == 0 && comm_agree(&w->e) != LR_OK)
        rc = -1;
    if (rc == 0 && comm_rank() == 0 && atomic_commit(w->tmp, w->path, &w->e) < 0)
        rc = -1;
    else if (rc < 0 && comm_rank() == 0 && w->tmp[0])
        unlink(w->tmp);
    if (comm_agree(&w->e) != LR_OK)
        rc = -1;
    if (comm_rank() == 0 && (rc < 0 || !w->quiet)) {  /* --quiet keeps the warning */
        if (rc < 0)
            fprintf(stderr, "linreg_mpi: warning: cannot write the cache '%s': %s; going on "
                    "without it\n", w->path, w->e.msg);
        else
            fprintf(stderr, "linreg_mpi: wrote the cache '%s' (%lld rows, %.1f MB, %.3f s)\n",
                    w->path, (long long)h->n_rows, (double)h->file_bytes / 1e6,
                    comm_wtime() - w->t0);
    }
    free(w->index);
    free(w->names);
    free(w->files);
    free(w);
    return rc;
}

int cache_write(const char *path, const struct cache_csv *c, const struct cache_fingerprint *fp,
                const struct cache_meta *m, const struct csv_shard *rows, int threads, int quiet)
{
    struct cache_writer *w = cache_write_begin(path, c, fp, m, rows->n_rows, rows, threads,
                                               quiet);
    cache_write_rows(w, rows->X, rows->y, rows->w, rows->row_at, rows->n_rows);
    return cache_write_end(w, m);
}

/* ---- reading ---- */

/* Rank 0: is the header whole and of this version? NULL, or why not. */
static const char *judge(const struct header *h, int64_t file_bytes, char *why, size_t cap)
{
    if (memcmp(h->magic, CACHE_MAGIC, 8) != 0)
        return "is not a linreg_mpi cache";
    if (h->byte_order != BYTE_ORDER_MARK || h->version != CACHE_VERSION ||
        h->chunk_bytes != CHUNK || h->n_sections != N_SECTIONS)
        return "was written by another version of linreg_mpi";
    char page[HEADER_BYTES];
    struct header copy = *h;
    header_seal(&copy, page);
    if (copy.header_crc != h->header_crc)
        return "is corrupt: its header fails its crc32";
    if (file_bytes < h->file_bytes) {
        snprintf(why, cap, "is truncated: %lld bytes of %lld", (long long)file_bytes,
                 (long long)h->file_bytes);
        return why;
    }
    return NULL;
}

static const char *judge_options(const struct header *h, const struct cache_fingerprint *fp,
                                 char *why, size_t cap)
{
    for (int k = 0; k < fp->n || k < h->fp.n; k++)
        if (k >= fp->n || k >= h->fp.n || strcmp(h->fp.item[k].name, fp->item[k].name) != 0 ||
            h->fp.item[k].value != fp->item[k].value) {
            snprintf(why, cap, "is stale: it was written with other options (%s)",
                     k < fp->n ? fp->item[k].name : h->fp.item[k].name);
            return why;
        }
    return NULL;
}

/*
 * Rank 0: are the files the cache's (n records r, paths)? NULL, or why not, naming the
 * first file that differs. One CSV is "the CSV" and may have been renamed; in a list of
 * several, each file's path is part of its identity (a file added, removed, renamed or
 * moved is a change).
 */
static const char *judge_files(const struct header *h, const struct file_rec *r,
                               const char *const *paths, const struct cache_csv *c, char *why,
                               size_t cap)
{
    int one = c->n == 1 && h->n_files == 1;
    for (int f = 0; f < c->n && f < h->n_files; f++) {
        const struct cache_file *x = &c->file[f];
        /* "the CSV's size" or "the size of 'p'"; "the CSV" or "'p'" */
        char its[320] = "the CSV's ", of[320] = "", name[320] = "the CSV";
        if (!one) {
            snprintf(its, sizeof its, "the ");
            snprintf(of, sizeof of, " of '%s'", x->path);
            snprintf(name, sizeof name, "'%s'", x->path);
        }
        if (!one && (strcmp(paths[f], x->path) != 0 || r[f].comp != x->comp))
            snprintf(why, cap, "is stale: the input files changed: file %d is '%s', was '%s'",
                     f + 1, x->path, paths[f]);
        else if (r[f].size != x->size)
            snprintf(why, cap, "is stale: %ssize%s changed (%lld bytes, now %lld)", its, of,
                     (long long)r[f].size, (long long)x->size);
        else if (r[f].dev != x->dev || r[f].ino != x->ino)
            snprintf(why, cap, "is stale: %s is another file (device or inode changed)", name);
        else if (r[f].mtime_s != x->mtime_s || r[f].mtime_ns != x->mtime_ns)
            snprintf(why, cap, "is stale: %smodification time%s changed", its, of);
        else if (r[f].data_start != x->data_start || r[f].head_digest != x->head_digest)
            snprintf(why, cap, "is stale: %sheader line%s changed", its, of);
        else
            continue;
        return why;
    }
    if (h->n_files < c->n)
        snprintf(why, cap, "is stale: the input files changed: '%s' was added (%d files, "
                 "were %lld)", c->file[h->n_files].path, c->n, (long long)h->n_files);
    else if (h->n_files > c->n)
        snprintf(why, cap, "is stale: the input files changed: '%s' was removed (%d "
                 "file%s, were %lld)", paths[c->n], c->n, c->n == 1 ? "" : "s",
                 (long long)h->n_files);
    else if (h->data_start != c->data_start || (c->size >= 0 && h->data_end != c->size))
        snprintf(why, cap, "is stale: the data's length changed (%lld bytes, now %lld)",
                 (long long)(h->data_end - h->data_start), (long long)(c->size - c->data_start));
    else
        return NULL;
    return why;
}

/* Read and check chunks [c0, c1] of section x into a buffer of the whole chunks; the
   first bad chunk in *bad (-1: all good). */
static int read_chunks(int fd, const struct section *x, int64_t c0, int64_t c1, char *dst,
                       int64_t *bad, int n_threads)
{
    int64_t n = c1 - c0 + 1, first_bad = -1;
    if (n <= 0)
        return 0;
    uint32_t *crcs = lr_malloc((size_t)n * sizeof *crcs);
    if (shard_pread(fd, crcs, (size_t)n * 4, (off_t)(x->crc_offset + 4 * c0)) != (ssize_t)n * 4) {
        free(crcs);
        *bad = c0;
        return -1;
    }
    int64_t *flag = lr_malloc((size_t)n * sizeof *flag);
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (int64_t c = c0; c <= c1; c++) {
        int64_t len = x->bytes - c * CHUNK < CHUNK ? x->bytes - c * CHUNK : CHUNK;
        char *p = dst + (c - c0) * CHUNK;
        flag[c - c0] = shard_pread(fd, p, (size_t)len, (off_t)(x->offset + c * CHUNK)) != len ||
                       crc_of(p, len) != crcs[c - c0];
    }
    for (int64_t k = 0; k < n && first_bad < 0; k++)
        if (flag[k])
            first_bad = c0 + k;
    free(flag);
    free(crcs);
    *bad = first_bad;
    return first_bad < 0 ? 0 : -1;
}

/* Rows [a, b) of section x into dst (b - a rows): whole chunks are read in place, the
   (at most two) chunks at the ends through a scratch buffer. */
static int read_rows(int fd, const struct section *x, int64_t a, int64_t b, char *dst,
                     int64_t *bad, int n_threads)
{
    int64_t b0 = a * x->row_bytes, b1 = b * x->row_bytes;
    *bad = -1;
    if (b1 <= b0)
        return 0;
    int64_t c0 = b0 / CHUNK, c1 = (b1 - 1) / CHUNK;
    /* the inner chunks, in place */
    int64_t i0 = b0 % CHUNK ? c0 + 1 : c0;
    int64_t last_end = (c1 + 1) * CHUNK < x->bytes ? (c1 + 1) * CHUNK : x->bytes;
    int64_t i1 = b1 == last_end ? c1 : c1 - 1;
    if (i0 <= i1 && read_chunks(fd, x, i0, i1, dst + (i0 * CHUNK - b0), bad, n_threads) < 0)
        return -1;
    char *scratch = lr_malloc(CHUNK);
    for (int64_t c = c0; c <= c1; c++) {
        if (c >= i0 && c <= i1)
            continue;
        if (read_chunks(fd, x, c, c, scratch, bad, n_threads) < 0)
            break;
        int64_t lo = c * CHUNK > b0 ? c * CHUNK : b0;
        int64_t hi = (c + 1) * CHUNK < b1 ? (c + 1) * CHUNK : b1;
        memcpy(dst + (lo - b0), scratch + (lo - c * CHUNK), (size_t)(hi - lo));
    }
    free(scratch);
    return *bad < 0 ? 0 : -1;
}

/* The first row whose record starts at or after pos: two chunk reads at most. */
static int64_t first_row_from(int fd, int n_threads, const struct header *h,
                              const uint64_t *index,
                              int64_t pos, int64_t *bad)
{
    int64_t n_idx = h->sec[S_INDEX].bytes / 8, rows_per_chunk = CHUNK / 8;
    int64_t lo = 0, hi = n_idx;  /* the last chunk whose first row starts before pos */
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if ((int64_t)index[mid] < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    int64_t k = lo - 1, r0 = k * rows_per_chunk;
    int64_t r1 = r0 + rows_per_chunk < h->n_rows ? r0 + rows_per_chunk : h->n_rows;
    int64_t *at = lr_malloc(CHUNK);
    int64_t row = r1;
    if (read_rows(fd, &h->sec[S_ROW_AT], r0, r1, (char *)at, bad, n_threads) == 0)
        for (int64_t i = r0; i < r1; i++)
            if (at[i - r0] >= pos) {
                row = i;
                break;
            }
    free(at);
    return row;
}

/* Chunks of section x holding rows [a, b) read through and checked, one per thread at a
   time, nothing kept; the first bad one in *bad. */
static int check_rows(int fd, const struct section *x, int64_t a, int64_t b, int64_t *bad,
                      int n_threads)
{
    int64_t group = n_threads;  /* chunks per read */
    *bad = -1;
    if (b <= a || x->row_bytes * b <= x->row_bytes * a)
        return 0;
    int64_t c0 = a * x->row_bytes / CHUNK, c1 = (b * x->row_bytes - 1) / CHUNK;
    char *buf = lr_malloc((size_t)group * CHUNK);
    for (int64_t c = c0; c <= c1 && *bad < 0; c += group)
        read_chunks(fd, x, c, c + group - 1 < c1 ? c + group - 1 : c1, buf, bad, n_threads);
    free(buf);
    return *bad < 0 ? 0 : -1;
}

/* This rank's rows and skipped records; -1 with *why on a bad chunk. keep 0: the rows'
   chunks only checked (check_rows), X, y, w left NULL, and their place in *at. */
static int read_mine(int fd, int n_threads, const struct header *h, struct csv_shard *rows,
                     int keep, int64_t *at, char *why, size_t cap)
{
    int64_t bad = -1, n_idx = h->sec[S_INDEX].bytes / 8;
    int bad_s = S_INDEX;
    uint64_t *index = lr_malloc(lr_bytes(n_idx + 1, 1, sizeof *index));
    off_t lo, hi;
    shard_nominal((off_t)h->data_start, (off_t)h->data_end, comm_rank(), comm_size(), &lo, &hi);
    int last = comm_rank() == comm_size() - 1;
    int64_t a = 0, b = 0, *skipped = NULL;
    if (read_rows(fd, &h->sec[S_INDEX], 0, n_idx, (char *)index, &bad, n_threads) == 0) {
        bad_s = S_ROW_AT;
        a = first_row_from(fd, n_threads, h, index, (int64_t)lo, &bad);
        if (bad < 0)
            b = last ? h->n_rows : first_row_from(fd, n_threads, h, index, (int64_t)hi, &bad);
    }
    rows->n_rows = b - a;
    *at = a;
    if (!keep) {
        if (bad < 0)
            bad_s = S_X, check_rows(fd, &h->sec[S_X], a, b, &bad, n_threads);
        if (bad < 0 && h->has_target)
            bad_s = S_Y, check_rows(fd, &h->sec[S_Y], a, b, &bad, n_threads);
        if (bad < 0 && h->has_weight)
            bad_s = S_W, check_rows(fd, &h->sec[S_W], a, b, &bad, n_threads);
    } else {
        size_t x_bytes = lr_bytes(rows->n_rows ? rows->n_rows : 1, h->n_features,
                                  sizeof(double));
        rows->X = lr_malloc(x_bytes);
        lr_prefault(rows->X, x_bytes);
        if (h->has_target)
            rows->y = lr_malloc(lr_bytes(rows->n_rows ? rows->n_rows : 1, 1, sizeof(double)));
        if (h->has_weight)
            rows->w = lr_malloc(lr_bytes(rows->n_rows ? rows->n_rows : 1, 1, sizeof(double)));
        if (bad < 0)
            bad_s = S_X, read_rows(fd, &h->sec[S_X], a, b, (char *)rows->X, &bad, n_threads);
        if (bad < 0 && h->has_target)
            bad_s = S_Y, read_rows(fd, &h->sec[S_Y], a, b, (char *)rows->y, &bad, n_threads);
        if (bad < 0 && h->has_weight)
            bad_s = S_W, read_rows(fd, &h->sec[S_W], a, b, (char *)rows->w, &bad, n_threads);
    }
    if (bad < 0 && h->n_skipped > 0) {  /* every rank reads all, keeps those in its range */
        skipped = lr_malloc(lr_bytes(h->n_skipped, 2, sizeof(int64_t)));
        bad_s = S_SKIPPED;
        if (read_rows(fd, &h->sec[S_SKIPPED], 0, h->n_skipped, (char *)skipped, &bad,
                      n_threads) == 0) {
            rows->skipped_at = lr_malloc(lr_bytes(h->n_skipped, 1, sizeof(int64_t)));
            for (int64_t k = 0; k < h->n_skipped; k++)
                if (skipped[2 * k] >= lo && (last || skipped[2 * k] < hi))
                    rows->skipped_at[rows->n_skipped++] = skipped[2 * k + 1] - a;
        }
    }
    free(skipped);
    free(index);
    if (bad >= 0) {
        snprintf(why, cap, "is corrupt or truncated: chunk %lld of its '%s' section fails its "
                 "crc32", (long long)bad, section_tag[bad_s]);
        return -1;
    }
    return 0;
}

/* Rank 0's verdict: 1 usable (*stored: each file's content digest as written, malloc'd),
   0 absent, -1 not usable (why). */
static int open_and_judge(const char *path, const struct cache_csv *c,
                          const struct cache_fingerprint *fp, const struct cache_meta *m,
                          int n_threads, struct header *h, uint64_t **stored, char *why,
                          size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        snprintf(why, cap, "cannot be read: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    char page[HEADER_BYTES];
    const char *bad = NULL;
    ssize_t got = shard_pread(fd, page, HEADER_BYTES, 0);
    if (fstat(fd, &st) != 0 || got < 0) {
        snprintf(why, cap, "cannot be read: %s", strerror(errno));
        bad = why;
    } else if (got < HEADER_BYTES) {
        snprintf(why, cap, "is truncated: %lld bytes", (long long)got);
        bad = why;
    } else {
        memcpy(h, page, sizeof *h);
        bad = judge(h, (int64_t)st.st_size, why, cap);
    }
    if (!bad) {  /* the files, then the options */
        int64_t len = h->sec[S_FILES].bytes, b;
        char *blob = lr_malloc((size_t)len + 1);
        struct file_rec *r = NULL;
        const char **paths = NULL;
        if (read_rows(fd, &h->sec[S_FILES], 0, len, blob, &b, n_threads) < 0) {
            snprintf(why, cap, "is corrupt or truncated: chunk %lld of its 'files' section "
                     "fails its crc32", (long long)b);
            bad = why;
        }
        else if (files_parse(blob, len, h->n_files, &r, &paths) < 0)
            bad = "is corrupt: its 'files' section does not parse";
        else if (!(bad = judge_files(h, r, paths, c, why, cap))) {
            *stored = lr_malloc((size_t)h->n_files * sizeof **stored);
            for (int64_t f = 0; f < h->n_files; f++)
                (*stored)[f] = r[f].content_digest;
        }
        free(r);
        free(paths);
        free(blob);
    }
    if (!bad)
        bad = judge_options(h, fp, why, cap);
    if (!bad && (h->n_source != m->n_source || h->has_target != (m->target != NULL)))
        bad = "is stale: it holds other columns";
    if (!bad) {  /* the names, as a last check of the columns */
        int64_t len;
        char *mine = names_blob(m, &len), *theirs = lr_malloc((size_t)len + 1);
        int64_t b;
        if (h->sec[S_NAMES].bytes != len ||
            read_rows(fd, &h->sec[S_NAMES], 0, len, theirs, &b, n_threads) < 0 ||
            memcmp(mine, theirs, (size_t)len))
            bad = "is stale: it holds other column names";
        free(mine);
        free(theirs);
    }
    close(fd);
    if (bad && bad != why)
        snprintf(why, cap, "%s", bad);
    return bad ? -1 : 1;
}

/* A warning, which --quiet keeps. */
static void warn(const char *path, const char *csv, const char *why)
{
    if (comm_rank() == 0)
        fprintf(stderr, "linreg_mpi: warning: the cache '%s' %s: reading %s and writing the "
                "cache again\n", path, why, csv);
}

struct cache_rows {
    const char *path;
    int fd, n_threads;
    struct header h;
    int64_t first, n, next;    /* this rank's rows: [first, first + n) of the cache's; the
                                  next one to read, from 0 */
};

/* cache_read and cache_open_rows: with r NULL, this rank's rows read into rows; else only
   checked, and *r made to read them. */
static int open_cache(const char *path, int full, const struct cache_csv *c,
                      const struct cache_fingerprint *fp, struct cache_meta *m,
                      struct csv_shard *rows, struct cache_rows **r, int threads, int quiet,
                      struct lr_error *e)
{
    int n_threads = threads > 0 ? threads : 1;
    struct header h;
    char why[1024] = "";
    int verdict = 0;
    uint64_t *stored = NULL;
    double t0 = comm_wtime();
    if (comm_rank() == 0)
        verdict = open_and_judge(path, c, fp, m, n_threads, &h, &stored, why, sizeof why);
    comm_bcast(&verdict, sizeof verdict, 0);
    comm_bcast(why, sizeof why, 0);
    if (verdict <= 0) {
        if (verdict < 0)
            warn(path, data_name(c), why);
        free(stored);
        return 0;
    }
    comm_bcast(&h, sizeof h, 0);
    if (full) {  /* the files' bytes; rank 0 names the first file whose content changed */
        uint64_t digest, *now = lr_malloc((size_t)c->n * sizeof *now);
        int stale = 0;
        if (content_digest(c, now, &digest, n_threads, e) < 0) {
            free(now), free(stored);
            return -1;
        }
        if ((stale = digest != h.content_digest) && comm_rank() == 0) {
            int f = 0;
            while (f < c->n - 1 && now[f] == stored[f])
                f++;
            if (c->n == 1)
                snprintf(why, sizeof why, "is stale: the CSV's content changed "
                         "(--cache-verify full)");
            else
                snprintf(why, sizeof why, "is stale: the content of '%s' changed "
                         "(--cache-verify full)", c->file[f].path);
        }
        free(now);
        if (stale) {
            free(stored);
            warn(path, data_name(c), why);
            return 0;
        }
    }
    free(stored);
    struct lr_error re = {0};
    int fd = open(path, O_RDONLY);
    int64_t bad = -1, meta_len = h.sec[S_META].bytes;
    char *meta = lr_malloc((size_t)meta_len + 1);
    meta[meta_len] = 0;
    memset(rows, 0, sizeof *rows);
    int64_t at = 0;
    if (fd < 0 || read_mine(fd, n_threads, &h, rows, r == NULL, &at, why, sizeof why) < 0)
        lr_fail(&re, LR_EDATA, "%s", fd < 0 ? strerror(errno) : why);
    else if (read_rows(fd, &h.sec[S_META], 0, meta_len, meta, &bad, n_threads) < 0)
        lr_fail(&re, LR_EDATA, "is corrupt or truncated: chunk %lld of its 'meta' section "
                "fails its crc32", (long long)bad);
    if (fd >= 0 && (!r || re.code != LR_OK))
        close(fd);
    if (comm_agree(&re) != LR_OK) {  /* the first rank's reason, on every rank */
        if (r && fd >= 0 && re.code == LR_OK)
            close(fd);
        csv_shard_free(rows);
        free(meta);
        warn(path, data_name(c), re.msg);
        return 0;
    }
    m->n_features = h.n_features;  /* the rows as written: after encoding */
    m->has_weight = h.has_weight;
    m->n_rows = h.n_rows;
    m->n_skipped = h.n_skipped;
    m->n_first_skipped = h.n_first_skipped;
    memcpy(m->first_skipped, h.first_skipped, sizeof m->first_skipped);
    memcpy(m->first_skipped_last, h.first_skipped_last, sizeof m->first_skipped_last);
    for (int k = 0; k < m->n_first_skipped; k++)
        m->first_skipped_path[k] = h.first_skipped_file[k] >= 0 && h.first_skipped_file[k] < c->n
                                       ? lr_strdup(c->file[h.first_skipped_file[k]].path) : NULL;
    int parsed = meta_parse(meta, m);  /* the same text, so the same verdict, on every rank */
    free(meta);
    if (parsed < 0) {
        cache_meta_free(m);
        csv_shard_free(rows);
        if (r)
            close(fd);
        warn(path, data_name(c), "is corrupt: its meta section does not parse");
        return 0;
    }
    if (comm_rank() == 0 && !quiet && !r)  /* only once the rows are sure to be used */
        fprintf(stderr, "linreg_mpi: read %lld rows from the cache '%s' (%s check, %.3f s)\n",
                (long long)h.n_rows, path, full ? "full" : "quick", comm_wtime() - t0);
    else if (comm_rank() == 0 && !quiet)
        fprintf(stderr, "linreg_mpi: checked the %lld rows of the cache '%s' (%s check, every "
                "crc32, %.3f s): reading them block by block\n", (long long)h.n_rows, path,
                full ? "full" : "quick", comm_wtime() - t0);
    if (r) {
        *r = lr_calloc(1, sizeof **r);
        **r = (struct cache_rows){.path = path, .fd = fd, .n_threads = n_threads, .h = h,
                                  .first = at, .n = rows->n_rows};
    }
    return 1;
}

int cache_read(const char *path, int full, const struct cache_csv *c,
               const struct cache_fingerprint *fp, struct cache_meta *m, struct csv_shard *rows,
               int threads, int quiet, struct lr_error *e)
{
    return open_cache(path, full, c, fp, m, rows, NULL, threads, quiet, e);
}

int cache_open_rows(const char *path, int full, const struct cache_csv *c,
                    const struct cache_fingerprint *fp, struct cache_meta *m,
                    struct csv_shard *skipped, struct cache_rows **r, int threads, int quiet,
                    struct lr_error *e)
{
    *r = NULL;
    return open_cache(path, full, c, fp, m, skipped, r, threads, quiet, e);
}

int64_t cache_rows_read(struct cache_rows *r, int64_t max_rows, double *X, double *y,
                        double *w, struct lr_error *e)
{
    int64_t n = r->n - r->next < max_rows ? r->n - r->next : max_rows, bad = -1;
    if (n <= 0)
        return 0;
    int64_t a = r->first + r->next, b = a + n;
    int s = S_X;
    if (X)
        read_rows(r->fd, &r->h.sec[S_X], a, b, (char *)X, &bad, r->n_threads);
    if (bad < 0 && r->h.has_target && y)
        s = S_Y, read_rows(r->fd, &r->h.sec[S_Y], a, b, (char *)y, &bad, r->n_threads);
    if (bad < 0 && r->h.has_weight && w)
        s = S_W, read_rows(r->fd, &r->h.sec[S_W], a, b, (char *)w, &bad, r->n_threads);
    if (bad >= 0)
        return lr_fail_at(e, LR_EDATA, r->path, 0, 0, "chunk %lld of the '%s' section fails "
                          "its crc32: the cache changed during the run; run again to read "
                          "the data from the files", (long long)bad, section_tag[s]);
    r->next += n;
    /* the next block read ahead by the kernel while the caller computes on this one */
    int64_t d8 = 8 * (int64_t)r->h.n_features;
    posix_fadvise(r->fd, (off_t)(r->h.sec[S_X].offset + b * d8), (off_t)(n * d8),
                  POSIX_FADV_WILLNEED);
    return n;
}

void cache_rows_rewind(struct cache_rows *r) { r->next = 0; }

void cache_rows_close(struct cache_rows *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}
