/* main.c — the only place that decides how the process exits. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "comm.h"
#include "describe.h"
#include "error.h"
#include "log.h"
#include "predict.h"
#include "train.h"

/* The build's ARCH (-march; "" for none) and OPT, which the Makefile passes. */
#ifndef LINREG_BUILD_ARCH
#define LINREG_BUILD_ARCH "unknown"
#endif
#ifndef LINREG_BUILD_OPT
#define LINREG_BUILD_OPT "unknown"
#endif

/*
 * --version: the program's version, the MPI library it was compiled against (mpi.h) and
 * the one it runs with (MPI_Get_library_version), and the build flags. A program built
 * against one Open MPI and run with another is the commonest failure on clusters, so a
 * mismatch of the two versions gets a warning on stderr (the exit code stays 0).
 */
static void print_version(void)
{
    char built[64], running[256];
    int same = comm_mpi_versions(built, sizeof built, running, sizeof running);
    printf("linreg_mpi %s\n", cli_version());
    printf("built against: %s\n", built);
    printf("running with:  %s\n", running);
    printf("build flags:   ARCH=%s OPT=%s\n", *LINREG_BUILD_ARCH ? LINREG_BUILD_ARCH : "(none)",
           LINREG_BUILD_OPT);
    if (!same) {
        fflush(stdout);
        fprintf(stderr,
                "linreg_mpi: warning: built against %s but running with '%s': load the MPI "
                "this build was made with, or rebuild against this one\n", built, running);
    }
}

#ifdef _OPENMP
/*
 * Collective: the team when neither --threads nor OMP_NUM_THREADS names one: the cores this
 * rank may run on, shared with the other ranks of its node that may run on them. Ranks
 * started unbound (--bind-to none) may each run on every core; taking all of them each
 * would put several threads on every core, and threads waiting at a barrier for one that
 * is not running spin through their time slice: 2 ranks × 2 threads on 2 cores ran gd
 * 4.4 times slower than 2 × 1. Under OMP_PROC_BIND or OMP_PLACES the cores are the union
 * of OpenMP's places (the thread's own affinity is one place by now).
 */
static int default_threads(void)
{
    int most = omp_get_max_threads();
    cpu_set_t mine;
    CPU_ZERO(&mine);  /* unknown: shared with no one */
    if (omp_get_proc_bind() != omp_proc_bind_false && omp_get_num_places() > 0) {
        /* OMP_PROC_BIND or OMP_PLACES: OpenMP has pinned this thread to one place already,
           and the team's cores are its places' */
        for (int p = 0; p < omp_get_num_places(); p++) {
            int n = omp_get_place_num_procs(p), ids[CPU_SETSIZE];
            if (n > CPU_SETSIZE)
                continue;
            omp_get_place_proc_ids(p, ids);
            for (int k = 0; k < n; k++)
                if (ids[k] >= 0 && ids[k] < CPU_SETSIZE)
                    CPU_SET(ids[k], &mine);
        }
    } else if (sched_getaffinity(0, sizeof mine, &mine) != 0) {
        CPU_ZERO(&mine);
    }
    int sharers = comm_node_sharers(&mine), cores = CPU_COUNT(&mine);
    if (getenv("OMP_NUM_THREADS") || cores == 0)
        return most;
    int t = cores / sharers;
    return t < 1 ? 1 : t < most ? t : most;
}
#endif

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    log_streams_init();
    struct options o;
    struct lr_error e = {0};
    int code = cli_parse(argc, argv, &o, &e) < 0 ? e.code : LR_OK;
    if (code == LR_OK && (o.help || o.version)) {
        if (comm_rank() == 0) {
            if (o.help)
                cli_usage(stdout);
            else
                print_version();
        }
    } else if (code == LR_OK) {
#ifdef _OPENMP
        if (o.n_threads == 0)
            o.n_threads = default_threads();
#else
        o.n_threads = 1;
#endif
        switch (o.command) {
        case CMD_DESCRIBE: code = describe_run(&o, &e); break;
        case CMD_PREDICT: code = predict_run(&o, &e); break;
        case CMD_EVALUATE: code = evaluate_run(&o, &e); break;
        default: code = train_run(&o, &e); break;
        }
    }
    fflush(stdout);  /* results first: the error comes after what was printed */
    if (code != LR_OK && comm_rank() == 0)
        lr_error_print(&e, stderr);
    free(o.paths);
    comm_finalize();
    return code;
}
