/* checkpoint.c — encode, decode and check training checkpoints; see checkpoint.h. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "hash.h"
#include "shard.h"

static const char MAGIC[8] = {'L', 'R', 'M', 'P', 'I', 'C', 'K', 'P'};
#define HEADER_BYTES (8 + 4 + 8 + 4)

/* A growing byte buffer for encoding. */
struct wbuf {
    char *p;
    size_t len, cap;
};

static void put(struct wbuf *b, const void *v, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        b->p = lr_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, v, n);
    b->len += n;
}
#define PUT(b, v) put((b), &(v), sizeof(v))

static void put_str(struct wbuf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    PUT(b, n);
    put(b, s, n);
}

/* Decoding: every read is bounds-checked; running out means a damaged file. */
struct rbuf {
    const char *p;
    size_t left;
    int bad;
};

static void get(struct rbuf *b, void *v, size_t n)
{
    if (b->bad || n > b->left) {
        b->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, b->p, n);
    b->p += n;
    b->left -= n;
}
#define GET(b, v) get((b), &(v), sizeof(v))

static double *get_doubles(struct rbuf *b, int n)
{
    double *v = lr_malloc((size_t)n * sizeof *v);
    get(b, v, (size_t)n * sizeof *v);
    return v;
}

static char *get_str(struct rbuf *b)
{
    uint32_t n = 0;
    GET(b, n);
    if (n > b->left)
        b->bad = 1;
    char *s = lr_malloc(b->bad ? 1 : (size_t)n + 1);
    if (b->bad) {
        s[0] = '\0';
        return s;
    }
    get(b, s, n);
    s[n] = '\0';
    return s;
}

char *ckpt_encode(const struct ckpt *c, size_t *len)
{
    struct wbuf b = {0};
    const struct gd_state *s = &c->state;
    int32_t d = c->fp.d, stop = s->stop;
    uint32_t version = CKPT_VERSION, crc = 0;
    uint64_t payload = 0;
    put(&b, MAGIC, sizeof MAGIC);
    PUT(&b, version);
    PUT(&b, payload);  /* both filled in below */
    PUT(&b, crc);
    /* the data's shape first: it sizes everything after it */
    PUT(&b, d), PUT(&b, c->fp.rows);
    for (int j = 0; j <= d; j++)
        put_str(&b, c->fp.names[j]);
    put(&b, c->fp.digest, (size_t)(d + 2) * sizeof(uint64_t));
    /* the options */
    PUT(&b, c->opt.solver), PUT(&b, c->opt.scaling), PUT(&b, c->opt.intercept);
    PUT(&b, c->opt.tol_auto);
    PUT(&b, c->opt.lr_option), PUT(&b, c->opt.tol), PUT(&b, c->opt.l2);
    PUT(&b, c->opt.validation_split), PUT(&b, c->opt.seed), PUT(&b, c->opt.patience);
    PUT(&b, c->opt.l1), PUT(&b, c->opt.huber), PUT(&b, c->opt.huber_delta);
    put_str(&b, c->opt.weights ? c->opt.weights : "");
    put_str(&b, c->opt.offset ? c->opt.offset : "");
    int32_t has_p = c->pc.P != NULL;
    PUT(&b, c->opt.precondition), PUT(&b, c->opt.precondition_rows), PUT(&b, has_p);
    if (has_p) {  /* P, and what the certificate needs */
        int32_t nf = c->pc.n_fallback;
        PUT(&b, c->pc.rows), PUT(&b, c->pc.l2), PUT(&b, c->pc.m_loss), PUT(&b, c->pc.digest);
        PUT(&b, nf);
        put(&b, c->pc.P, (size_t)(d + 1) * (size_t)(d + 1) * sizeof(double));
        put(&b, c->pc.diag, (size_t)(d + 1) * sizeof(double));
        put(&b, c->pc.fallback, (size_t)nf * sizeof(int32_t));
        put(&b, c->pc.why, (size_t)nf * sizeof(int32_t));
    }
    /* the state */
    PUT(&b, s->epoch), PUT(&b, s->momentum_k), PUT(&b, s->stalled_epochs);
    PUT(&b, s->first_loss), PUT(&b, s->prev_loss), PUT(&b, s->lr);
    PUT(&b, s->first_grad_norm), PUT(&b, s->best_grad_norm);
    PUT(&b, stop);  /* enum gd_stop */
    PUT(&b, s->best_val_loss), PUT(&b, s->best_epoch), PUT(&b, s->since_best);
    PUT(&b, s->sigma), PUT(&b, s->sigma_look), PUT(&b, s->first_sigma);
    PUT(&b, s->halving_norm), PUT(&b, s->since_halving);
    put(&b, s->theta, (size_t)(d + 1) * sizeof(double));
    put(&b, s->look, (size_t)(d + 1) * sizeof(double));
    put(&b, s->best_theta, (size_t)(d + 1) * sizeof(double));
    put(&b, c->mean, (size_t)d * sizeof(double));
    put(&b, c->scale, (size_t)d * sizeof(double));

    payload = b.len - HEADER_BYTES;
    crc = (uint32_t)crc32(0L, (const Bytef *)b.p + HEADER_BYTES, (uInt)payload);
    memcpy(b.p + 12, &payload, sizeof payload);
    memcpy(b.p + 20, &crc, sizeof crc);
    *len = b.len;
    return b.p;
}

/* Append "; " and the way forward to e's message; returns -1. */
static int way_forward(struct lr_error *e, const char *forward)
{
    size_t at = strlen(e->msg);
    snprintf(e->msg + at, sizeof e->msg - at, "; %s", forward);
    return -1;
}

static int decode(const char *buf, size_t len, const char *path, struct ckpt *c,
                  const char **forward, struct lr_error *e);

int ckpt_decode(const char *buf, size_t len, const char *path, struct ckpt *c,
                struct lr_error *e)
{
    const char *forward = "train afresh without --resume, or resume from an intact copy";
    if (decode(buf, len, path, c, &forward, e) == 0)
        return 0;
    return way_forward(e, forward);
}

static int decode(const char *buf, size_t len, const char *path, struct ckpt *c,
                  const char **forward, struct lr_error *e)
{
    memset(c, 0, sizeof *c);
    *forward = "give --resume a file that --checkpoint wrote, or train afresh without --resume";
    if (len < HEADER_BYTES)
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "not a linreg_mpi checkpoint: %zu bytes, shorter than a header", len);
    if (memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "not a linreg_mpi checkpoint (bad magic number)");
    uint32_t version, crc;
    uint64_t payload;
    memcpy(&version, buf + 8, 4);
    memcpy(&payload, buf + 12, 8);
    memcpy(&crc, buf + 20, 4);
    *forward = "resume with the linreg_mpi that wrote it, or train afresh without --resume";
    if (version != CKPT_VERSION)
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "checkpoint format version %u; this linreg_mpi reads version %d",
                          version, CKPT_VERSION);
    *forward = "train afresh without --resume, or resume from an intact copy";
    if (payload != len - HEADER_BYTES)
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "checkpoint is truncated: %llu payload bytes expected, %llu found",
                          (unsigned long long)payload, (unsigned long long)(len - HEADER_BYTES));
    uint32_t actual = (uint32_t)crc32(0L, (const Bytef *)buf + HEADER_BYTES, (uInt)payload);
    if (actual != crc)
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "checkpoint is corrupt: checksum %08x, expected %08x", actual, crc);

    struct rbuf b = {buf + HEADER_BYTES, (size_t)payload, 0};
    struct gd_state *s = &c->state;
    int32_t d = -1, stop = 0;
    GET(&b, d), GET(&b, c->fp.rows);
    if (b.bad || d < 0 || (size_t)d > b.left / 8)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "checkpoint is damaged (feature count %d)", d);
    c->fp.d = d;
    c->fp.names = lr_malloc((size_t)(d + 1) * sizeof(char *));
    for (int j = 0; j <= d; j++)
        c->fp.names[j] = get_str(&b);
    c->fp.digest = lr_malloc((size_t)(d + 2) * sizeof(uint64_t));
    get(&b, c->fp.digest, (size_t)(d + 2) * sizeof(uint64_t));
    GET(&b, c->opt.solver), GET(&b, c->opt.scaling), GET(&b, c->opt.intercept);
    GET(&b, c->opt.tol_auto);
    GET(&b, c->opt.lr_option), GET(&b, c->opt.tol), GET(&b, c->opt.l2);
    GET(&b, c->opt.validation_split), GET(&b, c->opt.seed), GET(&b, c->opt.patience);
    GET(&b, c->opt.l1), GET(&b, c->opt.huber), GET(&b, c->opt.huber_delta);
    c->opt.weights = get_str(&b);
    c->opt.offset = get_str(&b);
    int32_t has_p = 0;
    GET(&b, c->opt.precondition), GET(&b, c->opt.precondition_rows), GET(&b, has_p);
    if (has_p) {
        int32_t nf = -1;
        GET(&b, c->pc.rows), GET(&b, c->pc.l2), GET(&b, c->pc.m_loss), GET(&b, c->pc.digest);
        GET(&b, nf);
        if (b.bad || nf < 0 || nf > d + 1 || (size_t)(d + 1) * (size_t)(d + 1) > b.left / 8) {
            ckpt_free(c);
            return lr_fail_at(e, LR_EDATA, path, 0, 0, "checkpoint is damaged (preconditioner)");
        }
        c->pc.m = d + 1;
        c->pc.n_fallback = nf;
        c->pc.P = get_doubles(&b, (d + 1) * (d + 1));
        c->pc.diag = get_doubles(&b, d + 1);
        c->pc.fallback = lr_malloc(sizeof(int32_t) * (size_t)(nf + 1));
        c->pc.why = lr_malloc(sizeof(int32_t) * (size_t)(nf + 1));
        get(&b, c->pc.fallback, (size_t)nf * sizeof(int32_t));
        get(&b, c->pc.why, (size_t)nf * sizeof(int32_t));
    }
    GET(&b, s->epoch), GET(&b, s->momentum_k), GET(&b, s->stalled_epochs);
    GET(&b, s->first_loss), GET(&b, s->prev_loss), GET(&b, s->lr);
    GET(&b, s->first_grad_norm), GET(&b, s->best_grad_norm);
    GET(&b, stop);
    s->stop = stop;
    GET(&b, s->best_val_loss), GET(&b, s->best_epoch), GET(&b, s->since_best);
    GET(&b, s->sigma), GET(&b, s->sigma_look), GET(&b, s->first_sigma);
    GET(&b, s->halving_norm), GET(&b, s->since_halving);
    s->theta = get_doubles(&b, d + 1);
    s->look = get_doubles(&b, d + 1);
    s->best_theta = get_doubles(&b, d + 1);
    c->mean = get_doubles(&b, d);
    c->scale = get_doubles(&b, d);
    if (b.bad || b.left != 0) {
        ckpt_free(c);
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "checkpoint is damaged (inconsistent sizes)");
    }
    return 0;
}

void ckpt_free(struct ckpt *c)
{
    for (int j = 0; c->fp.names && j <= c->fp.d; j++)
        free(c->fp.names[j]);
    free(c->fp.names);
    free(c->fp.digest);
    gd_state_free(&c->state);
    free(c->mean);
    free(c->scale);
    free((char *)c->opt.weights);
    free((char *)c->opt.offset);
    precond_free(&c->pc);
    memset(c, 0, sizeof *c);
}

char *ckpt_read_file(const char *path, size_t *len, struct lr_error *e)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int err = fd >= 0 && S_ISDIR(st.st_mode) ? EISDIR : errno;
        if (fd >= 0)
            close(fd);
        lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read the checkpoint: %s", strerror(err));
        return NULL;
    }
    char *buf = lr_malloc((size_t)st.st_size + 1);
    ssize_t got = shard_pread(fd, buf, (size_t)st.st_size, 0);
    close(fd);
    if (got != (ssize_t)st.st_size) {
        free(buf);
        lr_fail_at(e, LR_ENOINPUT, path, 0, 0, "cannot read the checkpoint: %s",
                   got < 0 ? strerror(errno) : "short read");
        return NULL;
    }
    *len = (size_t)st.st_size;
    return buf;
}


/* The --weights or --offset column, then and now ("" for none). */
static int check_column(const char *option, const char *was, const char *now, const char *path,
                        struct lr_error *e)
{
    was = was ? was : "";
    now = now ? now : "";
    if (strcmp(was, now) == 0)
        return 0;
    return lr_fail_at(e, LR_EDATA, path, 0, 0, "the checkpoint was made with other options: "
                      "%s%s%s%s, now %s%s%s%s", *was ? option : "no ", *was ? " '" : option,
                      lr_shown(was).s, *was ? "'" : "", *now ? option : "no ",
                      *now ? " '" : option, lr_shown(now).s, *now ? "'" : "");
}

static int check_data(const struct ckpt *c, const struct ckpt_fingerprint *fp,
                      const struct ckpt_options *opt, const char *path, struct lr_error *e);
static int check_options(const struct ckpt *c, const struct ckpt_options *opt, const char *path,
                         struct lr_error *e);

int ckpt_check(const struct ckpt *c, const struct ckpt_fingerprint *fp,
               const struct ckpt_options *opt, const char *path, struct lr_error *e)
{
    const char *same_options = "resume with the options it was made with, or train afresh "
                               "without --resume";
    /* first: the weights and the offset change the data's fingerprint (the offset is taken
       from y), and this says why */
    if (check_column("--weights", c->opt.weights, opt->weights, path, e) < 0 ||
        check_column("--offset", c->opt.offset, opt->offset, path, e) < 0)
        return way_forward(e, same_options);
    if (check_data(c, fp, opt, path, e) < 0)
        return way_forward(e, "resume on the data it was made from, or train afresh without "
                              "--resume");
    if (check_options(c, opt, path, e) < 0)
        return way_forward(e, same_options);
    return 0;
}

static int check_data(const struct ckpt *c, const struct ckpt_fingerprint *fp,
                      const struct ckpt_options *opt, const char *path, struct lr_error *e)
{
    const char *other = "the checkpoint was made from other data";
    const char *w_now = opt->weights ? opt->weights : "";
    const char *o_now = opt->offset ? opt->offset : "";
    if (c->fp.d != fp->d)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: %d features, this data has %d", other,
                          c->fp.d, fp->d);
    for (int j = 0; j <= fp->d; j++)
        if (strcmp(c->fp.names[j], fp->names[j]) != 0)
            return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: %s '%s', this data has '%s'", other,
                              j == 0 ? "target" : "feature", lr_shown(c->fp.names[j]).s,
                              lr_shown(fp->names[j]).s);
    if (c->fp.rows != fp->rows)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: %lld rows, this data has %lld", other,
                          (long long)c->fp.rows, (long long)fp->rows);
    for (int j = 0; j <= fp->d; j++)
        if (c->fp.digest[j] != fp->digest[j])  /* y's digest is of y minus the offset */
            return lr_fail_at(e, LR_EDATA, path, 0, 0,
                              "%s: the values of column '%s'%s%s%s differ (same rows and "
                              "columns)", other, lr_shown(fp->names[j]).s,
                              j == 0 && *o_now ? " or of the --offset column '" : "",
                              j == 0 ? lr_shown(o_now).s : "", j == 0 && *o_now ? "'" : "");
    if (c->fp.digest[fp->d + 1] != fp->digest[fp->d + 1])  /* (it holds the weights too) */
        return lr_fail_at(e, LR_EDATA, path, 0, 0,
                          "%s: the same rows in another order (the validation split and the "
                          "rounding depend on it)%s%s%s", other,
                          *w_now ? ", or other values in the --weights column '" : "",
                          lr_shown(w_now).s, *w_now ? "'" : "");
    return 0;
}

static int check_options(const struct ckpt *c, const struct ckpt_options *opt, const char *path,
                         struct lr_error *e)
{
    const char *opts = "the checkpoint was made with other options";
    if (c->opt.lr_option != opt->lr_option) {  /* first: with --solver auto it sets the solver */
        char was[32] = "auto", now[32] = "auto";
        if (c->opt.lr_option != 0)
            snprintf(was, sizeof was, "%g", c->opt.lr_option);
        if (opt->lr_option != 0)
            snprintf(now, sizeof now, "%g", opt->lr_option);
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --lr %s, now %s", opts, was, now);
    }
    if (c->opt.solver != opt->solver)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --solver %s, now %s", opts,
                          solver_name(c->opt.solver), solver_name(opt->solver));
    if (c->opt.scaling != opt->scaling)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: %s, now %s", opts,
                          c->opt.scaling ? "scaling" : "--no-scale",
                          opt->scaling ? "scaling" : "--no-scale");
    if (c->opt.intercept != opt->intercept)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: %s, now %s", opts,
                          c->opt.intercept ? "an intercept" : "--no-intercept",
                          opt->intercept ? "an intercept" : "--no-intercept");
    if (c->opt.tol_auto != opt->tol_auto || (!opt->tol_auto && c->opt.tol != opt->tol)) {
        char was[32] = "auto", now[32] = "auto";
        if (!c->opt.tol_auto)
            snprintf(was, sizeof was, "%g", c->opt.tol);
        if (!opt->tol_auto)
            snprintf(now, sizeof now, "%g", opt->tol);
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --tol %s, now %s", opts, was, now);
    }
    if (c->opt.l2 != opt->l2)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --l2 %g, now %g", opts, c->opt.l2,
                          opt->l2);
    if (c->opt.validation_split != opt->validation_split)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --validation-split %g, now %g", opts,
                          c->opt.validation_split, opt->validation_split);
    if (opt->validation_split > 0 && c->opt.seed != opt->seed)  /* only the split uses it */
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --seed %llu, now %llu", opts,
                          (unsigned long long)c->opt.seed, (unsigned long long)opt->seed);
    if (c->opt.patience != opt->patience)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --patience %lld, now %lld", opts,
                          (long long)c->opt.patience, (long long)opt->patience);
    if (c->opt.l1 != opt->l1)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --l1 %g, now %g", opts, c->opt.l1,
                          opt->l1);
    if (c->opt.precondition != opt->precondition)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --precondition %s, now %s", opts,
                          c->opt.precondition == PRECOND_SAMPLE ? "sample" : "scale",
                          opt->precondition == PRECOND_SAMPLE ? "sample" : "scale");
    if (c->opt.precondition_rows != opt->precondition_rows)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --precondition-rows %lld, now %lld",
                          opts, (long long)c->opt.precondition_rows,
                          (long long)opt->precondition_rows);
    if (c->opt.huber != opt->huber || c->opt.huber_delta != opt->huber_delta)
        return lr_fail_at(e, LR_EDATA, path, 0, 0, "%s: --loss %s (delta %g), now --loss %s "
                          "(delta %g)", opts, c->opt.huber ? "huber" : "squared",
                          c->opt.huber_delta, opt->huber ? "huber" : "squared", opt->huber_delta);
    return 0;
}

void ckpt_digest_local(const double *X, const double *y, int64_t n, int d, int64_t first_row,
                       uint64_t *out)
{
    for (int j = 0; j <= d + 1; j++)
        out[j] = 0;
    /* a row's hash: its values' bits times odd per-column constants, summed, then mixed
       with its position */
    for (int64_t i = 0; i < n; i++) {
        uint64_t bits, row;
        memcpy(&bits, &y[i], sizeof bits);
        out[0] += bits;
        row = bits * 0x9E3779B97F4A7C15u;
        for (int j = 0; j < d; j++) {
            memcpy(&bits, &X[i * d + j], sizeof bits);
            out[j + 1] += bits;
            row += bits * (0xD1B54A32D192ED03u + 2 * (uint64_t)j);
        }
        out[d + 1] += mix64(row ^ mix64((uint64_t)(first_row + i)));
    }
}
