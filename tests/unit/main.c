/* main.c — the unit test runner: every module's CUnit suite, run as a one-rank MPI job. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "hash.h"
#include "suites.h"

const char *test_write_file(const char *text, size_t len)
{
    static char paths[64][64];
    static int next;
    char *path = paths[next++ % 64];
    snprintf(path, 64, "/tmp/linreg_unit_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        perror("test_write_file");
        exit(1);
    }
    close(fd);
    return path;
}

void test_keep_all_init(struct test_keep_all *k)
{
    struct lr_error e = {0};
    memset(k, 0, sizeof *k);
    memset(k->mode, READ_AUTO, sizeof k->mode);
    memset(k->miss, MISSING_MEAN, sizeof k->miss);
    enc_na_init(&k->na, NULL, &e);
    k->rd = (struct enc_reader){.mode = k->mode, .miss = k->miss, .na = &k->na,
                                .max_entries = 1 << 20, .max_bytes = 1 << 28};
}

void test_keep_all_free(struct test_keep_all *k)
{
    enc_na_free(&k->na);
}

double test_text_value(const char *text, size_t n)
{
    uint64_t b = ENC_MISSING_BITS | (hash_bytes(text, n) & 0x0003FFFFFFFFFFFFull) | 1;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

double test_canonical(const struct csv_shard *s, int c, double v)
{
    int64_t id = enc_level_id(v);
    if (id < 0)
        return enc_is_missing_value(v) ? enc_missing_value() : v;
    size_t len;
    const char *text = dict_key(&s->dicts[c], id, &len);
    return test_text_value(text, len);
}

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    add_numparse_suite();
    add_shard_suite();
    add_csv_reader_suite();
    add_scan_suite();
    add_stats_suite();
    add_cli_suite();
    add_kernels_suite();
    add_files_suite();
    add_prox_suite();
    add_source_suite();
    add_encode_suite();
    add_quantile_suite();
    add_precond_suite();
    add_exact_suite();
    add_scratch_suite();
    add_path_suite();
    add_formula_suite();
    add_cv_suite();
    add_locate_suite();
    add_inference_suite();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)CU_get_number_of_failures() + (int)CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    comm_finalize();
    return failed ? 1 : 0;
}
