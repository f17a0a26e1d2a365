/* test_files.c — what is written reads back to the same bits: the checkpoint (encode, then
   decode, and a flipped byte is refused) and the model file (write, then read). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "model_io.h"
#include "suites.h"

/* Doubles that do not survive a text or float round trip by accident. */
static const double awkward[] = {0.1, -1.0 / 3, 6.02214076e23, 4.9e-324, -0.0, 1e308,
                                 0x1.fffffffffffffp-1, 2.5};

static double *doubles_from(int k, int n)
{
    double *v = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++)
        v[i] = awkward[(k + i) % 8];
    return v;
}

static void test_checkpoint_round_trip(void)
{
    int d = 3;
    struct ckpt c = {0};
    c.fp.d = d;
    c.fp.rows = 123456789012LL;
    c.fp.names = malloc(sizeof(char *) * 4);
    const char *names[] = {"y", "x 1", "caf\xc3\xa9", ""};
    for (int j = 0; j <= d; j++)
        c.fp.names[j] = strdup(names[j]);
    c.fp.digest = malloc(sizeof(uint64_t) * 5);
    for (int j = 0; j < 5; j++)
        c.fp.digest[j] = 0x9E3779B97F4A7C15ull * (uint64_t)(j + 1);
    c.opt = (struct ckpt_options){.solver = SOLVER_NESTEROV, .scaling = 1, .intercept = 0,
                                  .tol_auto = 1, .lr_option = 0.0, .tol = 0.0, .l2 = 2.5,
                                  .validation_split = 0.2, .seed = 42, .patience = 7, .l1 = 0.5,
                                  .huber = 1, .huber_delta = 1.35, .weights = "wt", .offset = "off",
                                  .precondition = PRECOND_SCALE, .precondition_rows = 0};
    c.state = (struct gd_state){.epoch = 77, .momentum_k = 5, .first_loss = 1.5,
                                .prev_loss = 0.1, .lr = 0.3, .stopped = 0,
                                .best_val_loss = INFINITY, .best_epoch = 70, .since_best = 6,
                                .first_grad_norm = 9.0, .best_grad_norm = 1e-9,
                                .stalled_epochs = 3, .stop = GD_STALLED, .sigma = 0.7,
                                .sigma_look = 0.71, .first_sigma = 2.0};
    c.state.theta = doubles_from(0, d + 1);
    c.state.look = doubles_from(1, d + 1);
    c.state.best_theta = doubles_from(2, d + 1);
    c.mean = doubles_from(3, d);
    c.scale = doubles_from(4, d);
    size_t len;
    char *buf = ckpt_encode(&c, &len);
    struct ckpt r = {0};
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(ckpt_decode(buf, len, "ck", &r, &e), 0);
    CU_ASSERT_EQUAL(r.fp.d, d);
    CU_ASSERT_EQUAL(r.fp.rows, c.fp.rows);
    for (int j = 0; j <= d; j++)
        CU_ASSERT_STRING_EQUAL(r.fp.names[j], c.fp.names[j]);
    CU_ASSERT(memcmp(r.fp.digest, c.fp.digest, 5 * sizeof(uint64_t)) == 0);
    CU_ASSERT_STRING_EQUAL(r.opt.weights, c.opt.weights);
    CU_ASSERT_STRING_EQUAL(r.opt.offset, c.opt.offset);
    struct ckpt_options ro = r.opt;
    ro.weights = c.opt.weights;  /* the decoded names are copies */
    ro.offset = c.opt.offset;
    CU_ASSERT(memcmp(&ro, &c.opt, sizeof c.opt) == 0);
    CU_ASSERT(ckpt_check(&r, &c.fp, &c.opt, "ck", &e) == 0);
    /* a resume with another --l1, --loss, --huber-delta, --weights or --offset is refused,
       naming it (the offset before the data it changes) and the way forward */
    const char *what[] = {"--l1 0.5, now 0.25", "now --loss squared", "(delta 2)",
                          "now no --weights", "--offset 'off', now --offset 'o2'",
                          "now no --offset"};
    for (int k = 0; k < 6; k++) {
        struct ckpt_options o2 = c.opt;
        if (k == 0)
            o2.l1 = 0.25;
        else if (k == 1)
            o2.huber = 0, o2.huber_delta = 0;
        else if (k == 2)
            o2.huber_delta = 2;
        else if (k == 3)
            o2.weights = "";
        else
            o2.offset = k == 4 ? "o2" : "";
        struct ckpt_fingerprint fp2 = c.fp;  /* and the offset changes y's digest */
        uint64_t dg[5];
        memcpy(dg, c.fp.digest, sizeof dg);
        dg[0] += k >= 4;
        fp2.digest = dg;
        struct lr_error e2 = {0};
        CU_ASSERT(ckpt_check(&r, &fp2, &o2, "ck", &e2) != 0 && e2.code == LR_EDATA &&
                  strstr(e2.msg, what[k]) != NULL &&
                  strstr(e2.msg, "; resume with the options it was made with, or train afresh "
                                 "without --resume") != NULL);
    }
    /* other values of the offset column (the same name): y's digest, both named */
    {
        struct ckpt_fingerprint fp2 = c.fp;
        uint64_t dg[5];
        memcpy(dg, c.fp.digest, sizeof dg);
        dg[0] ^= 1;
        fp2.digest = dg;
        struct lr_error e2 = {0};
        CU_ASSERT(ckpt_check(&r, &fp2, &c.opt, "ck", &e2) != 0 &&
                  strstr(e2.msg, "the values of column 'y' or of the --offset column 'off' "
                                 "differ (same rows and columns); resume on the data it was "
                                 "made from, or train afresh without --resume") != NULL);
    }
    const struct gd_state *a = &c.state, *b = &r.state;
    CU_ASSERT(a->epoch == b->epoch && a->momentum_k == b->momentum_k &&
              a->stalled_epochs == b->stalled_epochs && a->best_epoch == b->best_epoch &&
              a->since_best == b->since_best && a->stop == b->stop);
    CU_ASSERT(memcmp(&a->first_loss, &b->first_loss, sizeof(double)) == 0);
    CU_ASSERT(memcmp(&a->prev_loss, &b->prev_loss, sizeof(double)) == 0);
    CU_ASSERT(memcmp(&a->lr, &b->lr, sizeof(double)) == 0);
    CU_ASSERT(memcmp(&a->best_val_loss, &b->best_val_loss, sizeof(double)) == 0);
    CU_ASSERT(memcmp(&a->best_grad_norm, &b->best_grad_norm, sizeof(double)) == 0);
    CU_ASSERT(a->sigma == b->sigma && a->sigma_look == b->sigma_look &&
              a->first_sigma == b->first_sigma);
    size_t th = sizeof(double) * (size_t)(d + 1);
    CU_ASSERT(memcmp(a->theta, b->theta, th) == 0);
    CU_ASSERT(memcmp(a->look, b->look, th) == 0);
    CU_ASSERT(memcmp(a->best_theta, b->best_theta, th) == 0);
    CU_ASSERT(memcmp(c.mean, r.mean, th - sizeof(double)) == 0);
    CU_ASSERT(memcmp(c.scale, r.scale, th - sizeof(double)) == 0);
    ckpt_free(&r);
    /* any flipped byte is caught (header fields or the checksum), with the way forward */
    for (size_t at = 0; at < len; at += 7) {
        buf[at] ^= 0x10;
        struct ckpt bad = {0};
        CU_ASSERT(ckpt_decode(buf, len, "ck", &bad, &e) != 0 &&
                  strstr(e.msg, "train afresh without --resume") != NULL);
        ckpt_free(&bad);
        buf[at] ^= 0x10;
    }
    CU_ASSERT(ckpt_decode(buf, len - 1, "ck", &r, &e) != 0);  /* truncated */
    ckpt_free(&r);
    free(buf);
    c.opt.weights = c.opt.offset = NULL;  /* literals */
    ckpt_free(&c);
}

static void test_model_round_trip(void)
{
    int d = 4;
    char *features[] = {"a", "b,c", "caf\xc3\xa9", "\"q\""};
    double *coef = doubles_from(0, d), *mean = doubles_from(1, d), *sd = doubles_from(2, d);
    double *scaled = doubles_from(3, d);
    struct metrics mt = {.rows = 10, .mse = 0.1, .rmse = sqrt(0.1), .mae = 0.2, .r2 = 0.5,
                         .adj_r2 = NAN};
    struct model m = {
        .target = "y", .d = d, .features = features, .intercept = -1.0 / 7, .coef = coef,
        .scaling = 1, .mean = mean, .std = sd, .scaled_intercept = 0.5, .scaled_coef = scaled,
        .solver = "nesterov", .epochs = 12, .converged = 0, .stopped_by = "stalled",
        .learning_rate = 0.25, .final_loss = 0.05, .l2 = 0, .condition_number = 1.5e6,
        .error_bound = 2e-3, .rows = 10, .ranks = 2, .threads = 3, .seconds = 0.5,
        .train = mt,
    };
    char path[] = "/tmp/linreg_unit_model_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct lr_error e = {0};
    CU_ASSERT_EQUAL_FATAL(model_write(&m, path, &e), 0);
    struct model_file r;
    CU_ASSERT_EQUAL_FATAL(model_read(path, &r, &e), 0);
    CU_ASSERT_STRING_EQUAL(r.target, "y");
    CU_ASSERT_EQUAL(r.d, d);
    for (int j = 0; j < d; j++)
        CU_ASSERT_STRING_EQUAL(r.features[j], features[j]);
    CU_ASSERT(memcmp(&r.intercept, &m.intercept, sizeof(double)) == 0);
    CU_ASSERT(memcmp(r.coef, coef, sizeof(double) * (size_t)d) == 0);
    model_file_free(&r);
    /* the file names how training ended */
    FILE *f = fopen(path, "r");
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"stopped_by\": \"stalled\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"converged\": false"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"condition_number\": 1500000.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"adjusted_r2\": null"));
    unlink(path);
    free(coef);
    free(mean);
    free(sd);
    free(scaled);
}

/* The inference block's covariance reads back in place for predict --interval: the same
   bits, 0 in an aliased coefficient's row and column (null in the file), and without an
   intercept (no row 0 in the file) 0 in row and column 0; no inference: no covariance. */
static void test_model_covariance(void)
{
    int d = 3;
    char *features[] = {"a", "b", "c"};
    double coef[] = {0.5, 0, -2}, zero[] = {0, 0, 0}, one[] = {1, 1, 1};
    unsigned char aliased[] = {0, 1, 0};
    for (int intercept = 1; intercept >= 0; intercept--) {
        struct inference_term terms[4] = {{0}};
        double cov[16];
        for (int i = 0; i <= d; i++)
            for (int j = 0; j <= d; j++)
                cov[i * 4 + j] = i == 2 || j == 2 || (!intercept && (i == 0 || j == 0))
                                     ? NAN : awkward[(i + j) % 8] + i * j;
        struct inference inf = {.d = d, .intercept = intercept, .terms = terms,
                                .conf_level = 0.95, .n = 10, .df_residual = 7,
                                .residual_std_error = 1.0 / 3, .cov_type = "HC3", .cov = cov,
                                .df_inference = 7};
        struct model m = {
            .target = "y", .d = d, .features = features, .intercept = intercept ? 1.5 : 0,
            .coef = coef, .mean = zero, .std = one, .scaled_coef = coef, .solver = "exact",
            .stopped_by = "exact", .learning_rate = NAN, .condition_number = NAN,
            .error_bound = NAN, .huber_delta = NAN, .huber_scale = NAN,
            .no_intercept = !intercept, .aliased = aliased, .inference = &inf,
        };
        char path[] = "/tmp/linreg_unit_model_XXXXXX";
        close(mkstemp(path));
        struct lr_error e = {0};
        CU_ASSERT_EQUAL_FATAL(model_write(&m, path, &e), 0);
        struct model_file r;
        CU_ASSERT_EQUAL_FATAL(model_read(path, &r, &e), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r.cov);
        CU_ASSERT_EQUAL(r.n_aliased, 1);
        CU_ASSERT(r.aliased[1] && !r.aliased[0] && !r.aliased[2]);
        CU_ASSERT_STRING_EQUAL(r.cov_type, "HC3");
        CU_ASSERT_EQUAL(r.df_residual, 7);
        CU_ASSERT_EQUAL(r.sigma, 1.0 / 3);
        for (int k = 0; k < 16; k++)
            CU_ASSERT(isnan(cov[k]) ? r.cov[k] == 0 : memcmp(&r.cov[k], &cov[k], 8) == 0);
        model_file_free(&r);
        m.inference = NULL;  /* gd without --inference */
        CU_ASSERT_EQUAL_FATAL(model_write(&m, path, &e), 0);
        CU_ASSERT_EQUAL_FATAL(model_read(path, &r, &e), 0);
        CU_ASSERT_PTR_NULL(r.cov);
        model_file_free(&r);
        unlink(path);
    }
}

void add_files_suite(void)
{
    CU_pSuite s = CU_add_suite("files", NULL, NULL);
    CU_add_test(s, "checkpoint: encode, decode, damage refused", test_checkpoint_round_trip);
    CU_add_test(s, "model file: write, read back the same bits", test_model_round_trip);
    CU_add_test(s, "model file: the covariance for --interval", test_model_covariance);
}
