/*
 * checkpoint.h — the training state on disk, so that a killed run resumes to the very model
 * the uninterrupted run would have produced.
 *
 * File layout (little-endian, as every supported platform is):
 *     "LRMPICKP"        8 bytes, magic
 *     version           u32 (CKPT_VERSION)
 *     payload bytes     u64
 *     crc32(payload)    u32 (zlib)
 *     payload           see ckpt_encode: the gd_state (everything the next epoch depends
 *                       on), the scaling in use, the options that change the result, and a
 *                       fingerprint of the data (rows, column names, per-column digests,
 *                       a digest of the row order)
 * Files are replaced atomically (atomic_file.h). Rank 0 alone reads and writes them;
 * ckpt_decode and ckpt_check run on every rank on the broadcast bytes so that all agree.
 * Never calls MPI, never exits.
 */
#ifndef LINREG_CHECKPOINT_H
#define LINREG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gd.h"
#include "precond.h"

#define CKPT_VERSION 6  /* 3: the intercept option; the stop reason (enum gd_stop);
                           4: --l1, --loss, --huber-delta, --weights and Huber's scale σ;
                           5: --precondition, --precondition-rows and the preconditioner;
                           6: --offset */

/* The options that change the numbers a run produces. */
struct ckpt_options {
    int32_t solver;            /* enum solver (solver.h), never SOLVER_AUTO */
    int32_t scaling;
    int32_t intercept;         /* 0 with --no-intercept */
    int32_t tol_auto;
    double lr_option;          /* 0 = auto */
    double tol, l2;
    double validation_split;
    uint64_t seed;
    int64_t patience;
    double l1;
    int64_t huber;             /* --loss huber (64 bits: no padding in the struct) */
    double huber_delta;        /* 0 with squared loss */
    const char *weights;       /* the --weights column, "" for none (decoded: allocated) */
    const char *offset;        /* the --offset column, "" for none (decoded: allocated) */
    int32_t precondition;      /* enum precond_kind in use */
    int64_t precondition_rows; /* --precondition-rows (0: the default) */
};

/* What identifies the data: a checkpoint is never applied to other data. */
struct ckpt_fingerprint {
    int64_t rows;
    int32_t d;
    char **names;              /* D+1: the target, then the features in model order */
    uint64_t *digest;          /* D+2: per column, the wrapping sum of the raw values' bits
                                  (exact, so independent of ranks and threads), then the
                                  wrapping sum of a hash of each row and its position: the
                                  same rows in another order are other data (the validation
                                  split and the rounding depend on the order) */
};

struct ckpt {
    struct gd_state state;     /* theta/look: D+1 each */
    double *mean, *scale;      /* D: the scaling in use */
    struct ckpt_options opt;
    struct ckpt_fingerprint fp;
    struct precond pc;         /* with --precondition sample: the run's P, stored so that a
                                  resume steps exactly as the run it continues */
};

/* Serialize c (whose arrays have fp.d entries) into a new buffer; *len its size. */
char *ckpt_encode(const struct ckpt *c, size_t *len);
/* Check magic, version, length and checksum, then unpack into c (allocating the arrays).
   A refusal ends with the way forward (train afresh without --resume). */
int ckpt_decode(const char *buf, size_t len, const char *path, struct ckpt *c,
                struct lr_error *e);
void ckpt_free(struct ckpt *c);

/* Rank 0: read a whole checkpoint file (LR_ENOINPUT if missing or unreadable). */
char *ckpt_read_file(const char *path, size_t *len, struct lr_error *e);

/* Does checkpoint c belong to this data and these options? -1 (LR_EDATA) naming what differs
   and the way forward: resume on its data with its options, or train afresh. */
int ckpt_check(const struct ckpt *c, const struct ckpt_fingerprint *fp,
               const struct ckpt_options *opt, const char *path, struct lr_error *e);

/* The digests of raw data on this rank, X N×D and y, whose first row is row first_row
   of the whole data: out[0..D] per column (y first), out[D+1] the row order's. */
void ckpt_digest_local(const double *X, const double *y, int64_t n, int d, int64_t first_row,
                       uint64_t *out);

#endif
