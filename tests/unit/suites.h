/* suites.h — one CUnit suite per module; each test_*.c defines its add_*_suite. */
#ifndef LINREG_TEST_SUITES_H
#define LINREG_TEST_SUITES_H

#include <CUnit/CUnit.h>

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
void add_encode_suite(void);

/* Write text to a new temporary file; returns its path (static buffer per call site). */
const char *test_write_file(const char *text, size_t len);

#endif
