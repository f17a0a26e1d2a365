/* main.c — the unit test runner: every module's CUnit suite, run as a one-rank MPI job. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
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
    add_encode_suite();
    add_precond_suite();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)CU_get_number_of_failures() + (int)CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    comm_finalize();
    return failed ? 1 : 0;
}
