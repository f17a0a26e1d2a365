/*
 * describe.h — `linreg_mpi describe`: per-column statistics of a CSV, no training.
 *
 * Collective: loads the shards (resident, or streamed with --memory), then walks the rows
 * with dataset_rewind/dataset_next, one code path for both modes: one pass for the column
 * statistics (stats.h, block by block) and the text columns' levels, then the quartiles'
 * passes (quantile.h). Rank 0 prints a table or JSON ({"rows": N, "columns":
 * [{name,count,mean,std,min,max}]}), the same bytes in both modes. Returns an exit code
 * agreed by all ranks; never exits.
 */
#ifndef LINREG_DESCRIBE_H
#define LINREG_DESCRIBE_H

#include "cli.h"
#include "error.h"

int describe_run(const struct options *o, struct lr_error *e);

#endif
