/*
 * train.h — `linreg_mpi train`: load, scale, fit by gradient descent, write the model.
 * Collective; returns an exit code agreed by all ranks; never exits.
 */
#ifndef LINREG_TRAIN_H
#define LINREG_TRAIN_H

#include "cli.h"
#include "error.h"

int train_run(const struct options *o, struct lr_error *e);

#endif
