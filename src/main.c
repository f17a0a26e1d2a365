/* main.c — the only place that decides how the process exits. */
#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "comm.h"
#include "describe.h"
#include "error.h"
#include "predict.h"
#include "train.h"

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    struct options o;
    struct lr_error e = {0};
    int code = cli_parse(argc, argv, &o, &e) < 0 ? e.code : LR_OK;
    if (code == LR_OK && (o.help || o.version)) {
        if (comm_rank() == 0) {
            if (o.help)
                cli_usage(stdout);
            else
                printf("linreg_mpi %s\n", cli_version());
        }
    } else if (code == LR_OK) {
#ifdef _OPENMP
        if (o.n_threads == 0)
            o.n_threads = omp_get_max_threads();
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
    if (code != LR_OK && comm_rank() == 0)
        lr_error_print(&e, stderr);
    comm_finalize();
    return code;
}
