/* suites.h — one CUnit suite per module; each test_*.c defines its add_*_suite. */
#ifndef LINREG_TEST_SUITES_H
#define LINREG_TEST_SUITES_H

#include <CUnit/CUnit.h>

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
void add_encode_suite(void);

/* Write text to a new temporary file; returns its path (static buffer per call site). */
const char *test_write_file(const char *text, size_t len);

/* The descriptor fd as the byte_source the reader's functions take (FD_BYTES: a copy that
   lives until the end of the enclosing block). */
static inline const struct byte_source *test_fd_bytes(int fd, struct byte_source *b)
{
    *b = byte_source_fd(fd);
    return b;
}
#define FD_BYTES(fd) test_fd_bytes((fd), &(struct byte_source){0})

#endif
