/*
 * describe.h — `linreg_mpi describe`: per-column statistics of a CSV, no training.
 *
 * Collective: loads the shards, merges column statistics across ranks (stats.h), and
 * rank 0 prints a table or JSON ({"rows": N, "columns": [{name,count,mean,std,min,max}]}).
 * Returns an exit code agreed by all ranks; never exits.
 */
#ifndef LINREG_DESCRIBE_H
#define LINREG_DESCRIBE_H

#include "cli.h"
#include "error.h"

int describe_run(const struct options *o, struct lr_error *e);

#endif
