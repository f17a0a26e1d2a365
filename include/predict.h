/*
 * predict.h — applying a saved model: `predict` and `evaluate`.
 *
 * Both read the model file on every rank and load the CSV sharded as training does, with
 * the model's feature columns matched by name (any order; other columns are ignored).
 *   predict   ŷ = b + Σ w_j x_j in original units, one line per data row, in input order:
 *             "<target>,prediction" when the file has the target column, else
 *             "prediction". With --output every rank writes its part at its offset (an
 *             exclusive scan of byte counts) into a temporary file that rank 0 renames; on
 *             stdout, rank 0 prints every rank's part in rank order.
 *   evaluate  rows, MSE, RMSE, MAE, R², adjusted R² (metrics.h), as text or JSON.
 * Collective; return an exit code agreed by all ranks; never exit.
 */
#ifndef LINREG_PREDICT_H
#define LINREG_PREDICT_H

#include "cli.h"
#include "error.h"

int predict_run(const struct options *o, struct lr_error *e);
int evaluate_run(const struct options *o, struct lr_error *e);

#endif
