/* suites.h — one CUnit suite per module; each test_*.c defines its add_*_suite. */
#ifndef LINREG_TEST_SUITES_H
#define LINREG_TEST_SUITES_H

#include <CUnit/CUnit.h>

#include "csv_reader.h"
#include "shard.h"

void add_numparse_suite(void);
void add_shard_suite(void);
void add_csv_reader_suite(void);
void add_scan_suite(void);
void add_stats_suite(void);
void add_cli_suite(void);
void add_kernels_suite(void);
void add_files_suite(void);
void add_prox_suite(void);
void add_precond_suite(void);
void add_exact_suite(void);
void add_encode_suite(void);
void add_source_suite(void);
void add_quantile_suite(void);
void add_scratch_suite(void);
void add_path_suite(void);
void add_formula_suite(void);
void add_cv_suite(void);
void add_locate_suite(void);
void add_inference_suite(void);

/* Write text to a new temporary file; returns its path (static buffer per call site). */
const char *test_write_file(const char *text, size_t len);

/* A reader's encoding that keeps every field of up to 64 columns (csv_layout.enc): a
   number, a missing value (empty or an NA string), or any other text as a level of its
   column (READ_AUTO, as describe reads). */
struct test_keep_all {
    unsigned char mode[64], miss[64];
    struct enc_na na;
    struct enc_reader rd;
};
void test_keep_all_init(struct test_keep_all *k);
void test_keep_all_free(struct test_keep_all *k);

/* The value the reader stored at X[i][c] of s as one that does not depend on the reader's
   level ids: a number as it is; a missing value as a NaN without payload; a level as a NaN
   whose payload is a hash of its text (test_text_value). */
double test_canonical(const struct csv_shard *s, int c, double v);
/* A field's text that is not a number, as test_canonical gives it. */
double test_text_value(const char *text, size_t n);

/* The descriptor fd as the byte_source the reader's functions take (FD_BYTES: a copy that
   lives until the end of the enclosing block). */
static inline const struct byte_source *test_fd_bytes(int fd, struct byte_source *b)
{
    *b = byte_source_fd(fd);
    return b;
}
#define FD_BYTES(fd) test_fd_bytes((fd), &(struct byte_source){0})

#endif
