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
 *             With --interval, "fit,lwr,upr" instead of "prediction", as R's
 *             predict.lm(interval = , level = ): with x₀ the row (1 first with an
 *             intercept), V the model's coefficient covariance (inference.covariance: the
 *             classical σ²(XᵀX)⁻¹ or the --cov one) and se² = x₀ᵀVx₀,
 *               confidence  fit ± t·se
 *               prediction  fit ± t·√(se² + σ²)   (a new row of weight 1)
 *             t the (1 + level)/2 quantile of Student's t on the residual degrees of
 *             freedom (as R, and statsmodels' get_prediction with a robust covariance). An
 *             aliased coefficient counts as 0 in fit and se, as R's predict.lm does.
 *   evaluate  rows, MSE, RMSE, MAE, R², adjusted R² (metrics.h), as text or JSON.
 * Collective; return an exit code agreed by all ranks; never exit.
 */
#ifndef LINREG_PREDICT_H
#define LINREG_PREDICT_H

#include "cli.h"
#include "error.h"

enum predict_interval { INTERVAL_NONE, INTERVAL_CONFIDENCE, INTERVAL_PREDICTION };

int predict_run(const struct options *o, struct lr_error *e);
int evaluate_run(const struct options *o, struct lr_error *e);

#endif
