/* cli.c — command-line parsing and --help; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "inputs.h"
#include "robust.h"
#include "numparse.h"

#define LINREG_VERSION "0.1.0"

enum opt_id {
    O_HELP, O_VERSION, O_TARGET, O_FEATURES, O_DROP, O_NO_HEADER, O_DELIMITER, O_ON_BAD_ROW,
    O_THREADS, O_JSON, O_LR, O_EPOCHS, O_TOL, O_NO_SCALE, O_L2, O_MODEL_OUT, O_LOG,
    O_LOG_EVERY, O_QUIET, O_SOLVER, O_CHECKPOINT, O_CHECKPOINT_EVERY, O_RESUME, O_REPORT, O_MODEL, O_OUTPUT, O_VALIDATION, O_SEED,
    O_PATIENCE, O_TEST, O_NO_INTERCEPT, O_INFERENCE, O_CONF_LEVEL, O_DIAGNOSTICS, O_DIAGNOSTICS_SAMPLE, O_OFFSET,
    O_L1, O_LOSS, O_HUBER_DELTA, O_WEIGHTS, O_COV,
    O_CATEGORICAL, O_MAX_LEVELS, O_UNKNOWN_LEVEL, O_MISSING, O_NA_VALUES, O_MISSING_INDICATOR,
    O_CACHE, O_CACHE_VERIFY, O_GLOB, O_PRECONDITION, O_PRECONDITION_ROWS, O_INTERVAL, O_LEVEL,
    O_MEMORY, O_SCRATCH, O_BLOCK_ROWS, O_FORMULA, O_REFERENCE,
    O_CV, O_FOLDS, O_L1_RATIO, O_LAMBDAS, O_LAMBDA_PATH, O_LAMBDA_MIN_RATIO, O_SELECT,
};

struct opt_spec {
    const char *name;
    int id;
    int takes_value;
    unsigned commands;         /* bit per enum command the option belongs to */
};

#define TRAIN (1u << CMD_TRAIN)
#define DESCRIBE (1u << CMD_DESCRIBE)
#define PREDICT (1u << CMD_PREDICT)
#define EVALUATE (1u << CMD_EVALUATE)
#define APPLY (PREDICT | EVALUATE)
#define READ (TRAIN | DESCRIBE | APPLY)

static const struct opt_spec specs[] = {
    {"help", O_HELP, 0, READ},           {"version", O_VERSION, 0, READ},
    {"target", O_TARGET, 1, TRAIN},      {"features", O_FEATURES, 1, TRAIN | DESCRIBE},
    {"drop", O_DROP, 1, TRAIN | DESCRIBE}, {"no-header", O_NO_HEADER, 0, READ},
    {"delimiter", O_DELIMITER, 1, READ}, {"on-bad-row", O_ON_BAD_ROW, 1, READ},
    {"threads", O_THREADS, 1, READ},     {"json", O_JSON, 0, DESCRIBE | EVALUATE},
    {"model", O_MODEL, 1, APPLY},        {"output", O_OUTPUT, 1, PREDICT},
    {"interval", O_INTERVAL, 1, PREDICT}, {"level", O_LEVEL, 1, PREDICT},
    {"lr", O_LR, 1, TRAIN},              {"epochs", O_EPOCHS, 1, TRAIN},
    {"tol", O_TOL, 1, TRAIN},            {"no-scale", O_NO_SCALE, 0, TRAIN},
    {"l2", O_L2, 1, TRAIN},              {"model-out", O_MODEL_OUT, 1, TRAIN},
    {"log", O_LOG, 1, TRAIN},            {"log-every", O_LOG_EVERY, 1, TRAIN},
    {"quiet", O_QUIET, 0, READ},         {"solver", O_SOLVER, 1, TRAIN},
    {"checkpoint", O_CHECKPOINT, 1, TRAIN}, {"checkpoint-every", O_CHECKPOINT_EVERY, 1, TRAIN},
    {"resume", O_RESUME, 1, TRAIN},      {"report", O_REPORT, 1, TRAIN},
    {"validation-split", O_VALIDATION, 1, TRAIN}, {"seed", O_SEED, 1, TRAIN},
    {"patience", O_PATIENCE, 1, TRAIN},  {"test", O_TEST, 1, TRAIN},
    {"no-intercept", O_NO_INTERCEPT, 0, TRAIN}, {"inference", O_INFERENCE, 0, TRAIN},
    {"diagnostics", O_DIAGNOSTICS, 0, TRAIN},
    {"diagnostics-sample", O_DIAGNOSTICS_SAMPLE, 1, TRAIN}, {"offset", O_OFFSET, 1, TRAIN},
    {"conf-level", O_CONF_LEVEL, 1, TRAIN}, {"cov", O_COV, 1, TRAIN},
    {"l1", O_L1, 1, TRAIN},              {"loss", O_LOSS, 1, TRAIN},
    {"huber-delta", O_HUBER_DELTA, 1, TRAIN}, {"weights", O_WEIGHTS, 1, TRAIN},
    {"categorical", O_CATEGORICAL, 1, TRAIN}, {"max-levels", O_MAX_LEVELS, 1, TRAIN},
    {"unknown-level", O_UNKNOWN_LEVEL, 1, TRAIN | APPLY}, {"missing", O_MISSING, 1, TRAIN | APPLY},
    {"na-values", O_NA_VALUES, 1, READ}, {"missing-indicator", O_MISSING_INDICATOR, 0, TRAIN},
    {"cache", O_CACHE, 1, READ},         {"cache-verify", O_CACHE_VERIFY, 1, READ},
    {"glob", O_GLOB, 1, READ},
    {"precondition", O_PRECONDITION, 1, TRAIN},
    {"precondition-rows", O_PRECONDITION_ROWS, 1, TRAIN},
    {"memory", O_MEMORY, 1, READ},       {"scratch", O_SCRATCH, 1, READ},
    {"block-rows", O_BLOCK_ROWS, 1, READ},
    {"cv", O_CV, 1, TRAIN},              {"folds", O_FOLDS, 1, TRAIN},
    {"l1-ratio", O_L1_RATIO, 1, TRAIN},  {"lambdas", O_LAMBDAS, 1, TRAIN},
    {"lambda-path", O_LAMBDA_PATH, 1, TRAIN}, {"lambda-min-ratio", O_LAMBDA_MIN_RATIO, 1, TRAIN},
    {"select", O_SELECT, 1, TRAIN},
    {"formula", O_FORMULA, 1, TRAIN},    {"reference", O_REFERENCE, 1, TRAIN},
};

static const char *command_names[] = {"train", "describe", "predict", "evaluate"};

void cli_usage(FILE *out)
{
    fputs(
        "Usage: mpirun -n P linreg_mpi [train] [options] FILE.csv|DIR ...\n"
        "       mpirun -n P linreg_mpi describe [--json] [options] FILE.csv|DIR ...\n"
        "       mpirun -n P linreg_mpi predict --model M.json [--output P.csv]\n"
        "                  [--interval confidence|prediction [--level 0.95]] FILE.csv|DIR ...\n"
        "       mpirun -n P linreg_mpi evaluate --model M.json [--json] FILE.csv|DIR ...\n"
        "\n"
        "Trains a linear regression y = b + w.x by full-batch gradient descent, or exactly by\n"
        "a QR factorization (--solver exact), on a CSV file too large for one core or one\n"
        "machine: each MPI rank reads only its own byte range of the file, OpenMP threads\n"
        "parse and compute inside a rank.\n"
        "\n"
        "Results (the summary, coefficient table and metrics of training; describe's\n"
        "table; predictions; evaluate's metrics) go to stdout, from rank 0 only; progress\n"
        "(epoch lines, notes), warnings and errors go to stderr, both in whole lines.\n"
        "mpirun -q leaves out Open MPI's own banner after an error (its exit code stays).\n"
        "\n"
        "Reading the CSV (all commands; --target: train; --features, --drop: train and\n"
        "describe):\n"
        "  --target NAME|INDEX  column to predict: a header name or a 1-based column number\n"
        "                       (default: the last column)\n"
        "  --features A,B,...   use only these columns as features, in this order\n"
        "                       (default: every column but the target and dropped ones)\n"
        "  --drop A,B,...       ignore these columns (they need not be numeric)\n"
        "  --no-header          the first line is data; columns are named col1, col2, ...\n"
        "  --delimiter C        field separator: one character, or 'tab' (default ',')\n"
        "  --glob PATTERN       the files of a directory given as input that are read (a\n"
        "                       shell pattern on their names; default: *.csv, *.csv.gz,\n"
        "                       *.csv.zst), in name order. Each file may be an input once\n"
        "  --on-bad-row MODE    'error' (default): stop at the first malformed row with\n"
        "                       FILE:LINE:COLUMN and exit 65; 'skip': skip such rows, count\n"
        "                       them and report the first few line numbers\n"
        "  --threads N          OpenMP threads per rank (default: OMP_NUM_THREADS, else the\n"
        "                       cores available to the rank, shared with the node's other\n"
        "                       ranks that may use them)\n"
        "  --quiet              no progress on stderr (epoch lines, notes); the results on\n"
        "                       stdout, warnings and errors still print\n"
        "  --cache PATH         keep the parsed rows in a binary file at PATH: a run whose\n"
        "                       cache is valid reads its rows from it instead of parsing\n"
        "                       (bit for bit the same run, any rank count); an absent,\n"
        "                       stale or damaged one is rewritten (a warning says why).\n"
        "                       Valid: each input file's size, device, inode, modification\n"
        "                       time and header line (and, of several, the list of paths),\n"
        "                       and the options that shape the rows, as when written; a\n"
        "                       crc32 per MiB checked as read (in stream mode: every\n"
        "                       chunk of a rank's rows once at the start, then each\n"
        "                       block's again as it is read)\n"
        "  --cache-verify MODE  'quick' (default): the checks above; 'full': also hash every\n"
        "                       input file as stored (in parallel), which catches an edit in\n"
        "                       place that kept the size and the modification time\n"
        "  --memory MODE        how a rank holds its rows (all commands).\n"
        "                       'resident': all in memory; 'stream': a few blocks of rows\n"
        "                       (--block-rows) whatever the row count: the first pass\n"
        "                       keeps the rows as read in a scratch file, each later pass\n"
        "                       reads them back; with a valid --cache the passes read\n"
        "                       the cache block by block (no scratch file of the rows),\n"
        "                       else it is written from the first pass. The same model,\n"
        "                       predictions and metrics, bit for bit, as resident, for\n"
        "                       every solver, --cv, --cov, --diagnostics, --formula,\n"
        "                       --test and --validation-split; not with --folds column or\n"
        "                       files, or --cache with --validation-split or\n"
        "                       --diagnostics. Compressed inputs\n"
        "                       stream too (each decompressed once more for its length,\n"
        "                       then as far as a rank's bytes). --solver exact reads\n"
        "                       the rows about four times: as read, for its factor, then\n"
        "                       once a refinement pass, usually two (--cov and\n"
        "                       --diagnostics one more each, orthogonal poly() one more\n"
        "                       per degree), gradient\n"
        "                       descent once an epoch; describe (the same output) once for\n"
        "                       its statistics, then at most 6 times for the quartiles (16\n"
        "                       with over 170 columns), usually 2 or 3. 'auto' (default):\n"
        "                       resident when the node's memory holds the rows, else\n"
        "                       stream where it applies, with a line saying so\n"
        "  --scratch DIR        stream mode's scratch files (one per rank, unnamed: gone when\n"
        "                       the run ends, however it ends); default $TMPDIR, else /tmp.\n"
        "                       A directory that cannot hold the rows is exit 73 before any\n"
        "                       pass; one on a tmpfs (in memory) gets a warning\n"
        "  --block-rows N       stream mode: rows per block, a multiple of 4096 (default:\n"
        "                       about 32 MiB of rows as read)\n"
        "\n"
        "Categorical columns and missing values (--na-values: all commands; --missing,\n"
        "--unknown-level: train, predict, evaluate; the rest: train):\n"
        "  --categorical A,B|auto  one-hot encode these columns (auto: every column whose\n"
        "                       present values are all text); levels are the distinct values\n"
        "                       over all ranks in byte order, columns NAME=LEVEL, the first\n"
        "                       level the reference (no column) unless --no-intercept\n"
        "  --reference NAME=LEVEL,...  the reference level of a categorical column (no\n"
        "                       column of its own): LEVEL instead of the first in byte order,\n"
        "                       the others in their order (R's relevel()); in the model\n"
        "  --max-levels N       more distinct values in a categorical column is an error\n"
        "                       (default 1000)\n"
        "  --unknown-level M    a level the model has not seen: 'error' (default): exit 65\n"
        "                       at its FILE:LINE:COLUMN; 'zero': the reference level\n"
        "                       (all-zero columns), counted on stderr\n"
        "  --missing M          an empty field or an --na-values string in a feature:\n"
        "                       'error' (default); 'skip': skip the row (counted, reported);\n"
        "                       'mean': fill in the column's training mean (over the present\n"
        "                       values, all ranks; stored in the model, used by predict).\n"
        "                       predict and evaluate follow the model's mode (skip: an\n"
        "                       empty prediction); given to them, it overrides it (said)\n"
        "                       A missing target always skips its row; a missing level is\n"
        "                       all-zero columns (with 'skip': the row is skipped)\n"
        "  --na-values A,B,...  strings that mean missing (default NA,N/A,NaN,nan,null,NULL),\n"
        "                       by the field's bytes: with -99, a field -99 is missing,\n"
        "                       -99.0 a number\n"
        "  --missing-indicator  add a 0/1 column NAME_missing after each feature that has\n"
        "                       missing values\n"
        "\n"
        "describe:\n"
        "  --json               print the statistics as JSON instead of a table\n"
        "\n"
        "predict and evaluate (the model's feature columns are found by name, in any order):\n"
        "  --model PATH         a model.json written by training\n"
        "  --output PATH        predict: write the predictions there, in input row order\n"
        "                       (default: stdout): a header line, 'TARGET,prediction' when\n"
        "                       the file has the target column, else 'prediction', then one\n"
        "                       line per data record, so line k belongs to record k: a\n"
        "                       record --on-bad-row skip skips gets an empty prediction\n"
        "  --interval KIND      predict: also an interval around each prediction, as R's\n"
        "                       predict.lm(interval = ): the columns become 'fit,lwr,upr'\n"
        "                       (after TARGET when the file has it). confidence: for the\n"
        "                       mean at the row, fit +- t*se_fit, se_fit^2 = x'Vx with V\n"
        "                       the model's coefficient covariance (the --cov one: robust\n"
        "                       or clustered when trained so); prediction: for a new\n"
        "                       observation, fit +- t*sqrt(se_fit^2 + sigma^2), each new\n"
        "                       row of weight 1 after --weights (as R and statsmodels).\n"
        "                       t on the residual degrees of freedom. Aliased coefficients\n"
        "                       count as 0, as in R (a warning). Needs a model with a\n"
        "                       covariance: --solver exact or --inference in training.\n"
        "                       none (the default): the predictions alone\n"
        "  --level P            predict: the intervals' level (0 < P < 1; default 0.95)\n"
        "  --json               evaluate: print rows, mse, rmse, mae, r2, adjusted_r2 as JSON\n"
        "\n"
        "Training:\n"
        "  --lr X|auto          learning rate (default auto: estimated from the data so that\n"
        "                       descent is guaranteed to converge)\n"
        "  --solver S           gd: plain gradient descent, w -= lr * grad J (the textbook\n"
        "                       method); nesterov: accelerated gradient with adaptive restart,\n"
        "                       far fewer epochs on correlated features; auto (default):\n"
        "                       nesterov with --lr auto, gd with a given --lr; exact: one\n"
        "                       pass builds a QR factor of the design, then a few refinement\n"
        "                       passes reach the least-squares solution to about the digits\n"
        "                       the data hold; columns that are combinations of others are\n"
        "                       aliased (coefficient null, as R's NA) with a warning\n"
        "  --no-intercept       fit y = w.x through the origin (every solver); R^2 is then\n"
        "                       the uncentred one, 1 - SSE/sum(y^2), as R reports it\n"
        "  --formula 'Y ~ RHS'  the model as R's lm() states it: terms a + b, a:b, a*b,\n"
        "                       (a+b+c)^2, . (every other column), - a, - 1 (no intercept);\n"
        "                       log, log2, log10, log1p, exp, sqrt, abs, I(expr) with\n"
        "                       + - * / ^; poly(x, k) (orthogonal, as R) and poly(x, k,\n"
        "                       raw = TRUE); factor(x), C(x), relevel(x, ref = \"L\"); a\n"
        "                       text column is a factor. The design's columns are\n"
        "                       model.matrix's, in its order, a level's column NAME=LEVEL\n"
        "                       (R: NAMELEVEL). Replaces --target, --features, --drop,\n"
        "                       --categorical and --no-intercept; stored in the model:\n"
        "                       predict and evaluate apply it, and predict on its scale\n"
        "                       (log(y) ~ ...: predictions of log(y), as R's predict()).\n"
        "                       A value a function cannot take (log of 0) is exit 65 at\n"
        "                       FILE:LINE:COLUMN, or a skipped row with --on-bad-row skip\n"
        "                       (left out of poly()'s coefficients too). Streams as well\n"
        "                       (--memory). Missing values as R's na.omit with --missing\n"
        "                       skip (poly() fitted before it, as R's); not with --missing\n"
        "                       mean, --missing-indicator or --cache\n"
        "  --inference          with gd or nesterov: also the inference table at the final\n"
        "                       weights (--solver exact always computes it): per term the\n"
        "                       standard error, t value, p-value and confidence interval;\n"
        "                       residual standard error, R^2, adjusted R^2, F test,\n"
        "                       log-likelihood, AIC, BIC, the design's condition number;\n"
        "                       printed like R's summary(lm()) and stored in the model\n"
        "  --diagnostics        with the inference table, the residuals' checks of\n"
        "                       statsmodels' OLS summary (Omnibus, skew, kurtosis,\n"
        "                       Jarque-Bera, Durbin-Watson in input order), Breusch-Pagan\n"
        "                       (studentized, as lmtest's bptest), each column's VIF and\n"
        "                       the 10 rows of largest Cook's distance (FILE:LINE,\n"
        "                       leverage, studentized residual, as R's cooks.distance;\n"
        "                       rows of leverage 1 have none, as R, and are counted);\n"
        "                       one more pass; with --weights of the weighted residuals\n"
        "  --diagnostics-sample PATH\n"
        "                       with --diagnostics (implied): the rows R's four plot(lm)\n"
        "                       panels are drawn from, as CSV (at most 100,000 chosen by\n"
        "                       position and --seed, and the 10 influential); draw them\n"
        "                       with scripts/plot.sh --diagnostics PATH\n"
        "  --conf-level P       confidence level of the intervals (0 < P < 1; default 0.95)\n"
        "  --cov TYPE           the coefficients' covariance behind the inference table:\n"
        "                       classical (default: R's summary(lm())), hc0, hc1, hc2, hc3\n"
        "                       (heteroskedasticity-robust, as statsmodels' cov_type='HC0'..\n"
        "                       and sandwich's vcovHC(type=)), cluster:NAME or\n"
        "                       cluster:NAME1,NAME2 (one- or two-way cluster-robust, as\n"
        "                       statsmodels' cov_type='cluster' and sandwich's vcovCL, with\n"
        "                       G/(G-1)*(N-1)/(N-K); ids from any column, text or numbers,\n"
        "                       not a feature unless --features names it; a missing id is\n"
        "                       an error unless --missing skip). t and the Wald F test use\n"
        "                       N-K degrees of freedom for HC, G-1 (the fewer clusters)\n"
        "                       for cluster. Needs --solver exact or --inference; the\n"
        "                       model stores covariance_type, clusters and the covariance.\n"
        "                       A test where the covariance is singular (more coefficients\n"
        "                       than G-1; hc2, hc3 with a row of leverage 1: every one) is\n"
        "                       NA, with a warning\n"
        "  --epochs N           at most N epochs (full passes over the data; default 100000)\n"
        "  --tol X|auto         X: stop when an epoch improves the loss by less than X,\n"
        "                       relatively; 0 runs exactly --epochs epochs, an exact fit\n"
        "                       included (only --patience or a divergence end it sooner).\n"
        "                       auto (default): stop when the gradient norm has fallen to\n"
        "                       1e-14 of its first value, or when loss and gradient have\n"
        "                       stalled at rounding level for 50 epochs. Either way the run\n"
        "                       is reported converged only if the scaled weights are then\n"
        "                       proven within 1e-8 of the least-squares solution, relative\n"
        "                       to its norm (condition number^2 x gradient reduction\n"
        "                       <= 1e-8), else stalled, with a warning. Above 200 features\n"
        "                       no proof is attempted and the rule that stopped the run\n"
        "                       decides\n"
        "  --no-scale           train on raw features (default: z-score each feature)\n"
        "  --precondition P     sample (default): gd and nesterov step in the variables\n"
        "                       that the QR factor R of a row sample makes nearly\n"
        "                       orthonormal (theta = R^-1 z), so correlated features cost\n"
        "                       a few dozen epochs instead of hundreds; the rows are the\n"
        "                       same for any rank and thread count (a hash of the row's\n"
        "                       position and --seed). Columns the sample misrepresents (a\n"
        "                       rare level, a column nonzero in few rows, a duplicate)\n"
        "                       keep column scaling, and the log names them. scale: column\n"
        "                       scaling alone. --l1 and --loss huber always use scale.\n"
        "                       The model records which (training.precondition)\n"
        "  --precondition-rows N|auto  rows in the sample (default auto: max(4000,\n"
        "                       20*(features+1)), at most all rows)\n"
        "  --l2 X               ridge penalty lambda/(2m)*|w|^2 (default 0)\n"
        "  --l1 X               lasso penalty (X/m)*|w|_1 (default 0; with --l2, the elastic\n"
        "                       net), solved by proximal gradient (soft thresholding, the\n"
        "                       solver's acceleration and restart); coefficients that are\n"
        "                       exactly 0 are reported as 0 and counted ('N of D features\n"
        "                       selected'). The objective, on the scaled weights w, with\n"
        "                       sample weights o_i (1 without --weights), m = sum o_i and\n"
        "                       e_i = b + w.x_i - y_i:\n"
        "                         J = 1/(2m) sum o_i l(e_i) + l2/(2m)|w|^2 + l1/m |w|_1\n"
        "                       the intercept never penalised. scikit-learn's ElasticNet on\n"
        "                       the same scaled data: alpha = (l1 + l2)/m,\n"
        "                       l1_ratio = l1/(l1 + l2)\n"
        "  --loss L             squared (default): l(e) = e^2; huber: l(e) = s + s*H(e/s),\n"
        "                       H(z) = z^2 for |z| <= delta, 2*delta*|z| - delta^2 beyond,\n"
        "                       with the scale s > 0 fitted jointly with the weights (as\n"
        "                       scikit-learn's HuberRegressor and Spark: 2m*J is its\n"
        "                       objective with alpha = l2, epsilon = delta); s is stored in\n"
        "                       the model (training.huber_scale). Gradient solvers only\n"
        "  --huber-delta X      delta of --loss huber, on the residual divided by s (> 1;\n"
        "                       default 1.35)\n"
        "  --weights NAME       column NAME holds sample weights (finite, >= 0; not a\n"
        "                       feature): the loss, the gradient, the scaling statistics\n"
        "                       (weighted mean and std), the metrics and the validation\n"
        "                       loss are weighted sums, and --solver exact solves weighted\n"
        "                       least squares (R's lm(weights=)); a negative, missing or\n"
        "                       non-numeric weight is a bad row (FILE:LINE:COLUMN, exit 65)\n"
        "                       and all-zero weights an error; with --formula, a column\n"
        "                       the right-hand side does not read (y ~ . - NAME)\n"
        "  --offset NAME        column NAME is added to the prediction with coefficient 1\n"
        "                       (R's lm(offset=), statsmodels, glmnet): every solver fits\n"
        "                       y - offset; predict and evaluate read the column from\n"
        "                       their files; a missing or non-numeric value is a bad row\n"
        "                       (FILE:LINE:COLUMN, exit 65); with --formula it comes off\n"
        "                       the response as the formula makes it (log(y) - offset)\n"
        "  --model-out PATH     where rank 0 writes the model JSON (default model.json)\n"
        "  --log PATH           write one CSV row per epoch (loss, gradient norm, timings)\n"
        "  --log-every N        print a progress line every N epochs (default 100)\n"
        "  --validation-split F hold out about a fraction F of the rows (0 <= F < 1): the\n"
        "                       same rows whatever the rank and thread counts (a hash of\n"
        "                       the row's position in the file and --seed); their loss is\n"
        "                       logged per epoch and their metrics go into the model\n"
        "  --seed N             seed of the validation split and of the preconditioner's\n"
        "                       row sample (default 1)\n"
        "  --patience N         early stopping: stop after N epochs without a lower\n"
        "                       validation loss and keep the best weights\n"
        "  --test PATH          a CSV with the same columns, evaluated with the final model\n"
        "                       (metrics.test in the model); read before training starts.\n"
        "                       A file or a directory, as the inputs (--glob applies); given\n"
        "                       several times, together one test set in the order given\n"
        "                       (each file once)\n"
        "  --report PATH        write a JSON report of where the time went: each phase (read,\n"
        "                       stats, learning rate, compute, allreduce, checkpoint, metrics,\n"
        "                       model write, total) as min/mean/max seconds across ranks,\n"
        "                       ingest MB/s (of the files on disk, compressed or not) and\n"
        "                       epoch GB/s (over this run's epochs, after a --resume)\n"
        "\n"
        "Choosing the penalty by cross-validation (R's cv.glmnet, from one pass):\n"
        "  --cv K               K-fold cross-validation (2 <= K <= 100) of the elastic-net\n"
        "                       path on standardized columns with an intercept; the model\n"
        "                       is the whole data's fit at the chosen penalty, the CV curve\n"
        "                       goes into the model (cv) and a table onto stdout\n"
        "  --folds F            hash (default: a hash of the row's position and --seed, the\n"
        "                       same rows for any rank and thread count), column:NAME\n"
        "                       (glmnet's foldid: one fold per distinct value of column\n"
        "                       NAME, which is not a feature) or files (each input file\n"
        "                       is a fold, in input order: leave one file out; --cv K\n"
        "                       must be the number of files, at least 2, uncompressed)\n"
        "  --l1-ratio A[,B,..]  glmnet's alpha: 1 lasso (default), 0 ridge, between: the\n"
        "                       elastic net; several values: the one of least CV error.\n"
        "                       --cv without --l1-ratio, --lambdas, --lambda-path or\n"
        "                       --lambda-min-ratio: the CV error of least squares (lambda 0)\n"
        "  --lambdas N          penalties on the default path (default 100): from the least\n"
        "                       that zeroes every coefficient, log-spaced down to\n"
        "                       --lambda-min-ratio (default 1e-4, 0.01 with fewer rows than\n"
        "                       features) times it\n"
        "  --lambda-path L1,..  the penalties themselves, positive, strictly decreasing\n"
        "  --lambda-min-ratio R the last penalty of the default path over its first (0<R<1)\n"
        "  --select S           min (default): the penalty of least mean CV error; 1se: the\n"
        "                       largest within one standard error of it. The table gives\n"
        "                       the same fit as --l1 m*lambda*alpha and --l2\n"
        "                       m*lambda*(1-alpha)/sd(y) (m = sum of the weights; sd(y) with\n"
        "                       divisor m, the population standard deviation)\n"
        "\n"
        "Checkpoints (rank 0 writes them atomically: a crash leaves the old or the new one):\n"
        "  --checkpoint PATH    write the training state to PATH every --checkpoint-every\n"
        "                       epochs, at the end, and on SIGTERM, SIGINT or SIGUSR1 (then\n"
        "                       exit 75; Open MPI's mpirun kills the job when it gets SIGTERM\n"
        "                       itself, so signal the ranks, or send mpirun SIGUSR1)\n"
        "  --checkpoint-every N epochs between checkpoints (default 100)\n"
        "  --resume PATH        continue from a checkpoint: same data and options give the\n"
        "                       very model the uninterrupted run would have given (other\n"
        "                       data or options: exit 65 naming the difference)\n"
        "\n"
        "  --help               this text;  --version  the version\n"
        "\n"
        "Exit codes: 0 ok, 2 usage error, 3 training diverged, 65 bad input data,\n"
        "66 input missing or unreadable, 71 not enough memory on a node for its ranks'\n"
        "rows (the message says how many nodes the job needs) or an allocation failed,\n"
        "74 cannot write an output file, 75 stopped by a signal after writing a checkpoint\n"
        "(rerun with --resume).\n",
        out);
}

static const struct opt_spec *find_spec(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++)
        if (strlen(specs[k].name) == len && strncmp(specs[k].name, name, len) == 0)
            return &specs[k];
    return NULL;
}

static int parse_double(const char *opt, const char *s, double lo, int lo_open, double *out,
                        struct lr_error *e)
{
    if (num_parse(s, strlen(s), out) != NUM_OK || *out < lo || (lo_open && *out == lo))
        return lr_fail(e, LR_EUSAGE, "--%s: '%s' is not a number %s %g", opt, s,
                       lo_open ? ">" : ">=", lo);
    return 0;
}

static int parse_count(const char *opt, const char *s, int64_t lo, int64_t *out,
                       struct lr_error *e)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return lr_fail(e, LR_EUSAGE, "--%s: '%s' is too large", opt, s);
    if (!*s || *end || v < lo)
        return lr_fail(e, LR_EUSAGE, "--%s: '%s' is not a whole number >= %lld", opt, s,
                       (long long)lo);
    *out = v;
    return 0;
}

/* *out = v's index among the NULL-ended names; else "--OPT: 'v' is not 'a', 'b' or 'c'". */
static int parse_choice(const char *opt, const char *v, const char *const *names, int *out,
                        struct lr_error *e)
{
    int n = 0;
    for (; names[n]; n++)
        if (strcmp(v, names[n]) == 0) {
            *out = n;
            return 0;
        }
    char list[200] = "";
    size_t at = 0;
    for (int k = 0; k < n && at < sizeof list; k++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s'%s'",
                               k == 0 ? "" : k == n - 1 ? " or " : ", ", names[k]);
    return lr_fail(e, LR_EUSAGE, "--%s: '%s' is not %s", opt, v, list);
}

/* --target, --features, --drop: a value that names at least one column. */
static int set_columns(const char *opt, const char *v, const char **out, struct lr_error *e)
{
    if (v[strspn(v, ",")] == '\0')
        return lr_fail(e, LR_EUSAGE, "--%s: '%s' names no column", opt, v);
    *out = v;
    return 0;
}

/* One allocation for the inputs (paths) and the --test values (tests = paths + argc): each
   list has fewer entries than argc. */
static char **arg_lists(struct options *o)
{
    if (!o->paths)
        o->paths = lr_calloc(2 * (size_t)o->argc, sizeof *o->paths);
    return o->paths;
}

/* --cv and the options of its penalty path (cv.h). */
static int set_cv_option(const struct opt_spec *sp, const char *v, struct options *o,
                         struct lr_error *e)
{
    int64_t n = 0;
    int bad;
    if (sp->id != O_CV && !o->cv_option)
        o->cv_option = sp->name;
    switch (sp->id) {
    case O_CV:
        if (parse_count(sp->name, v, 2, &n, e) < 0)
            return -1;
        if (n > CV_MAX_FOLDS)
            return lr_fail(e, LR_EUSAGE, "--cv: %lld folds; at most %d", (long long)n,
                           CV_MAX_FOLDS);
        o->cv = (int)n;
        return 0;
    case O_FOLDS:
        if (strcmp(v, "hash") == 0) {
            o->folds = CV_FOLDS_HASH, o->fold_column = NULL;
            return 0;
        }
        if (strcmp(v, "files") == 0) {
            o->folds = CV_FOLDS_FILES, o->fold_column = NULL;
            return 0;
        }
        if (strncmp(v, "column:", 7) == 0 && v[7] && !strchr(v + 7, ',')) {
            o->folds = CV_FOLDS_COLUMN, o->fold_column = v + 7;
            return 0;
        }
        return lr_fail(e, LR_EUSAGE, "--folds: '%s' is not hash, files or column:NAME (one "
                       "column)", v);
    case O_L1_RATIO:
        o->n_l1_ratio = cv_parse_list(v, 0, 0, 1, o->l1_ratio, CV_MAX_L1_RATIOS, &bad);
        if (o->n_l1_ratio < 0)
            return lr_fail(e, LR_EUSAGE, "--l1-ratio: '%s': value %d is not a number between 0 "
                           "and 1 (1: lasso, 0: ridge), or there are more than %d", v, bad + 1,
                           CV_MAX_L1_RATIOS);
        return 0;
    case O_LAMBDAS:
        if (parse_count(sp->name, v, 1, &n, e) < 0)
            return -1;
        if (n > 10000)
            return lr_fail(e, LR_EUSAGE, "--lambdas: %lld; at most 10000", (long long)n);
        o->n_lambdas = n;
        return 0;
    case O_LAMBDA_PATH: {
        double prev = INFINITY, x;
        o->n_lambda_path = cv_parse_list(v, 0, 1, INFINITY, NULL, 10000, &bad);
        if (o->n_lambda_path < 0)
            return lr_fail(e, LR_EUSAGE, "--lambda-path: '%s': value %d is not a positive, "
                           "finite number (at most 10000 values)", v, bad + 1);
        for (const char *s = v; s; s = strchr(s, ','), s = s ? s + 1 : s, prev = x) {
            num_parse(s, strchr(s, ',') ? (size_t)(strchr(s, ',') - s) : strlen(s), &x);
            if (!(x < prev))
                return lr_fail(e, LR_EUSAGE, "--lambda-path: '%s' is not strictly decreasing "
                               "(%g after %g): list the penalties from the largest down", v, x,
                               prev);
        }
        o->lambda_path = v;
        return 0;
    }
    case O_LAMBDA_MIN_RATIO:
        if (parse_double(sp->name, v, 0, 1, &o->lambda_min_ratio, e) < 0)
            return -1;
        if (o->lambda_min_ratio >= 1)
            return lr_fail(e, LR_EUSAGE, "--lambda-min-ratio: '%s' is not below 1", v);
        return 0;
    case O_SELECT:
        return parse_choice(sp->name, v, (const char *const[]){"min", "1se", NULL},
                            &o->select_1se, e);
    }
    return lr_fail(e, LR_EUSAGE, "internal: unhandled option --%s", sp->name);
}

static int set_option(const struct opt_spec *sp, const char *v, struct options *o,
                      struct lr_error *e)
{
    int64_t n = 0;
    switch (sp->id) {
    case O_HELP: o->help = 1; return 0;
    case O_VERSION: o->version = 1; return 0;
    case O_TARGET: return set_columns(sp->name, v, &o->target, e);
    case O_FEATURES: return set_columns(sp->name, v, &o->features, e);
    case O_DROP: return set_columns(sp->name, v, &o->drop, e);
    case O_NO_HEADER: o->no_header = 1; return 0;
    case O_DELIMITER:
        if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
            o->delimiter = '\t';
        else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r')
            o->delimiter = v[0];
        else if (strlen(v) == 1)
            return lr_fail(e, LR_EUSAGE, "--delimiter: %s cannot separate fields",
                           v[0] == '"' ? "the quote character" : "a line end");
        else
            return lr_fail(e, LR_EUSAGE, "--delimiter: '%s' is not one character or 'tab'", v);
        return 0;
    case O_ON_BAD_ROW:
        return parse_choice(sp->name, v, (const char *const[]){"error", "skip", NULL},
                            &o->skip_bad_rows, e);
    case O_THREADS:
        if (parse_count(sp->name, v, 1, &n, e) < 0)
            return -1;
        if (n > 4096)
            return lr_fail(e, LR_EUSAGE, "--threads: '%s' is more than 4096", v);
        o->n_threads = (int)n;
        return 0;
    case O_JSON: o->json = 1; return 0;
    case O_MODEL: o->model = v; return 0;
    case O_OUTPUT: o->output = v; return 0;
    case O_LR:
        if (strcmp(v, "auto") == 0) {
            o->lr = 0;
            return 0;
        }
        return parse_double(sp->name, v, 0, 1, &o->lr, e);
    case O_EPOCHS:
        o->epochs_given = 1;
        return parse_count(sp->name, v, 1, &o->epochs, e);
    case O_TOL:
        if (strcmp(v, "auto") == 0) {
            o->tol = -1;
            return 0;
        }
        return parse_double(sp->name, v, 0, 0, &o->tol, e);
    case O_NO_SCALE: o->no_scale = 1; return 0;
    case O_L2: return parse_double(sp->name, v, 0, 0, &o->l2, e);
    case O_MODEL_OUT: o->model_out = v; return 0;
    case O_LOG: o->log_path = v; return 0;
    case O_LOG_EVERY: return parse_count(sp->name, v, 1, &o->log_every, e);
    case O_QUIET: o->quiet = 1; return 0;
    case O_CHECKPOINT: o->checkpoint = v; return 0;
    case O_CHECKPOINT_EVERY: return parse_count(sp->name, v, 1, &o->checkpoint_every, e);
    case O_RESUME: o->resume = v; return 0;
    case O_REPORT: o->report = v; return 0;
    case O_VALIDATION:
        if (parse_double(sp->name, v, 0, 0, &o->validation_split, e) < 0)
            return -1;
        if (o->validation_split >= 1)
            return lr_fail(e, LR_EUSAGE, "--validation-split: '%s' is not below 1", v);
        return 0;
    case O_SEED:
        if (parse_count(sp->name, v, 0, &n, e) < 0)
            return -1;
        o->seed = (uint64_t)n;
        return 0;
    case O_PATIENCE: return parse_count(sp->name, v, 1, &o->patience, e);
    case O_TEST:  /* several: one test set, in the order given */
        if (!arg_lists(o))
            return lr_fail(e, LR_EUSAGE, "out of memory");
        o->tests = o->paths + o->argc;
        if (!o->test)
            o->test = v;
        o->tests[o->n_tests++] = (char *)v;
        return 0;
    case O_SOLVER:
        if (strcmp(v, "auto") == 0)
            o->solver = SOLVER_AUTO;
        else if (strcmp(v, "gd") == 0)
            o->solver = SOLVER_GD;
        else if (strcmp(v, "nesterov") == 0)
            o->solver = SOLVER_NESTEROV;
        else if (strcmp(v, "exact") == 0)
            o->solver = SOLVER_EXACT;
        else
            return lr_fail(e, LR_EUSAGE, "--solver: '%s' is not auto, gd, nesterov or exact", v);
        return 0;
    case O_L1: return parse_double(sp->name, v, 0, 0, &o->l1, e);
    case O_LOSS:
        return parse_choice(sp->name, v, (const char *const[]){"squared", "huber", NULL},
                            &o->huber, e);
    case O_HUBER_DELTA:
        o->huber_delta_given = 1;
        return parse_double(sp->name, v, 1, 1, &o->huber_delta, e);
    case O_WEIGHTS: return set_columns(sp->name, v, &o->weights, e);
    case O_OFFSET: return set_columns(sp->name, v, &o->offset, e);
    case O_CATEGORICAL: return set_columns(sp->name, v, &o->categorical, e);
    case O_REFERENCE:
        if (!strchr(v, '='))
            return lr_fail(e, LR_EUSAGE, "--reference: write NAME=LEVEL, not '%s'",
                           lr_shown(v).s);
        o->reference = v;
        return 0;
    case O_MAX_LEVELS:
        if (parse_count(sp->name, v, 1, &o->max_levels, e) < 0)
            return -1;
        if (o->max_levels > 10000000)
            return lr_fail(e, LR_EUSAGE, "--max-levels: '%s' is more than 10000000", v);
        return 0;
    case O_UNKNOWN_LEVEL:
        o->unknown_level_given = 1;
        return parse_choice(sp->name, v, (const char *const[]){"zero", "error", NULL},
                            &o->unknown_error, e);
    case O_MISSING:  /* in enum enc_missing's order */
        o->missing_given = 1;
        return parse_choice(sp->name, v, (const char *const[]){"error", "skip", "mean", NULL},
                            &o->missing, e);
    case O_NA_VALUES: o->na_values = v; return 0;
    case O_MISSING_INDICATOR: o->missing_indicator = 1; return 0;
    case O_CACHE: o->cache = v; return 0;
    case O_GLOB: o->glob = v; return 0;
    case O_CACHE_VERIFY:
        o->cache_verify_given = 1;
        return parse_choice(sp->name, v, (const char *const[]){"quick", "full", NULL},
                            &o->cache_verify_full, e);
    case O_MEMORY:
        o->memory_given = 1;
        return parse_choice(sp->name, v, (const char *const[]){"resident", "stream", "auto",
                                                               NULL}, &o->memory, e);
    case O_SCRATCH: o->scratch = v; return 0;
    case O_BLOCK_ROWS:
        if (parse_count(sp->name, v, 4096, &o->block_rows, e) < 0)
            return -1;
        if (o->block_rows % 4096 != 0)
            return lr_fail(e, LR_EUSAGE, "--block-rows: '%s' is not a multiple of 4096", v);
        return 0;
    case O_PRECONDITION:
        o->precondition_given = 1;
        return parse_choice(sp->name, v, (const char *const[]){"sample", "scale", NULL},
                            &o->precondition, e);
    case O_PRECONDITION_ROWS:
        o->precondition_given = 1;
        if (strcmp(v, "auto") == 0) {
            o->precondition_rows = 0;
            return 0;
        }
        return parse_count(sp->name, v, 1, &o->precondition_rows, e);
    case O_NO_INTERCEPT: o->no_intercept = 1; return 0;
    case O_FORMULA:
        if (!*v)
            return lr_fail(e, LR_EUSAGE, "--formula: empty; write it as R does: 'y ~ x1 + x2'");
        o->formula = v;
        return 0;
    case O_INFERENCE: o->inference = 1; return 0;
    case O_DIAGNOSTICS: o->diagnostics = 1; return 0;
    case O_DIAGNOSTICS_SAMPLE: o->diagnostics_sample = v, o->diagnostics = 1; return 0;
    case O_COV: {
        enum cov_type t;
        if (robust_parse(v, &t, &o->cov_columns) < 0)
            return lr_fail(e, LR_EUSAGE, "--cov: '%s' is not classical, hc0, hc1, hc2, hc3, "
                           "cluster:NAME or cluster:NAME1,NAME2", v);
        o->cov = (int)t;
        const char *comma = o->cov_columns ? strchr(o->cov_columns, ',') : NULL;
        if (comma && strchr(comma + 1, ','))
            return lr_fail(e, LR_EUSAGE, "--cov cluster: one or two columns (cluster:NAME or "
                           "cluster:NAME1,NAME2), not '%s'", lr_shown(o->cov_columns).s);
        return o->cov_columns ? set_columns(sp->name, o->cov_columns, &o->cov_columns, e) : 0;
    }
    case O_INTERVAL:
        return parse_choice(sp->name, v,
                            (const char *const[]){"none", "confidence", "prediction", NULL},
                            &o->interval, e);
    case O_LEVEL:
        o->level_given = 1;
        if (num_parse(v, strlen(v), &o->level) != NUM_OK || !(o->level > 0 && o->level < 1))
            return lr_fail(e, LR_EUSAGE, "--level: '%s' is not a number between 0 and 1 "
                           "(0.95 for 95%% intervals)", v);
        return 0;
    case O_CV:
    case O_FOLDS:
    case O_L1_RATIO:
    case O_LAMBDAS:
    case O_LAMBDA_PATH:
    case O_LAMBDA_MIN_RATIO:
    case O_SELECT:
        return set_cv_option(sp, v, o, e);
    case O_CONF_LEVEL:
        if (parse_double(sp->name, v, 0, 1, &o->conf_level, e) < 0)
            return -1;
        if (o->conf_level >= 1)
            return lr_fail(e, LR_EUSAGE, "--conf-level: '%s' is not below 1", v);
        return 0;
    }
    return lr_fail(e, LR_EUSAGE, "internal: unhandled option --%s", sp->name);
}

/* Options that only make sense with the gradient solvers, or without a penalty. */
static int check_exact(const struct options *o, struct lr_error *e)
{
    const char *gd_only = o->lr > 0 ? "--lr" : o->tol >= 0 ? "--tol" : o->patience ? "--patience"
                          : o->checkpoint ? "--checkpoint" : o->resume ? "--resume"
                          : o->epochs_given ? "--epochs"
                          : o->precondition_given ? "--precondition" : NULL;
    if (o->solver == SOLVER_EXACT && gd_only)
        return lr_fail(e, LR_EUSAGE, "%s applies to the gradient solvers (gd, nesterov), not to "
                       "--solver exact, which makes one pass and a few refinement passes",
                       gd_only);
    if (o->l2 > 0 && o->inference)
        return lr_fail(e, LR_EUSAGE, "--inference: standard errors and tests assume no penalty; "
                       "drop --l2 or --inference");
    const char *nonsmooth = o->l1 > 0 ? "--l1" : o->huber ? "--loss huber" : NULL;
    if (o->solver == SOLVER_EXACT && nonsmooth)
        return lr_fail(e, LR_EUSAGE, "%s has no closed-form solution: use --solver gd or "
                       "--solver nesterov (or auto), not --solver exact", nonsmooth);
    if (o->inference && nonsmooth)
        return lr_fail(e, LR_EUSAGE, "--inference: standard errors and tests are those of "
                       "unpenalised least squares; drop %s or --inference", nonsmooth);
    if (o->cov != COV_CLASSICAL && o->solver != SOLVER_EXACT && !o->inference)
        return lr_fail(e, LR_EUSAGE, "--cov applies to the inference table: add --inference "
                       "(gd, nesterov) or use --solver exact");
    const char *penalty = o->l2 > 0 ? "--l2" : nonsmooth;
    if (o->cov != COV_CLASSICAL && penalty)
        return lr_fail(e, LR_EUSAGE, "--cov: robust covariances are those of unpenalised least "
                       "squares; drop %s or --cov", penalty);
    if (o->cov_columns && o->cache)
        return lr_fail(e, LR_EUSAGE, "--cov cluster: the cache does not keep cluster ids; drop "
                       "--cache for this run");
    if (o->diagnostics && o->solver != SOLVER_EXACT && !o->inference)
        return lr_fail(e, LR_EUSAGE, "--diagnostics goes with the inference table: add "
                       "--inference (gd, nesterov) or use --solver exact");
    if (o->diagnostics && penalty)
        return lr_fail(e, LR_EUSAGE, "--diagnostics: the checks are those of least squares; "
                       "drop %s or --diagnostics", penalty);
    if (o->huber_delta_given && !o->huber)
        return lr_fail(e, LR_EUSAGE, "--huber-delta applies to --loss huber");
    return 0;
}

/* --cv: the options it takes, and those it cannot take. */
static int check_cv(struct options *o, struct lr_error *e)
{
    if (!o->cv) {
        if (o->cv_option)
            return lr_fail(e, LR_EUSAGE, "--%s applies to the cross-validated penalty path: add "
                           "--cv K", o->cv_option);
        return 0;
    }
    if (o->lambda_path && o->n_lambdas)
        return lr_fail(e, LR_EUSAGE, "--lambdas and --lambda-path: give the number of "
                       "penalties or the penalties themselves, not both");
    if (o->lambda_path && o->lambda_min_ratio > 0)
        return lr_fail(e, LR_EUSAGE, "--lambda-min-ratio shapes the default sequence; "
                       "--lambda-path gives its own");
    const char *penalty = o->l1 > 0 ? "--l1" : o->l2 > 0 ? "--l2" : NULL;
    if (penalty)
        return lr_fail(e, LR_EUSAGE, "--cv chooses the penalty itself: drop %s (--l1-ratio "
                       "sets the mix of --l1 and --l2, --lambda-path the penalties tried)",
                       penalty);
    if (o->huber)
        return lr_fail(e, LR_EUSAGE, "--loss huber with --cv: the path is that of squared "
                       "loss, computed from each fold's Gram matrix, which the Huber loss "
                       "does not reduce to; drop --loss huber, or fit huber without --cv");
    if (o->solver == SOLVER_GD || o->solver == SOLVER_NESTEROV)
        return lr_fail(e, LR_EUSAGE, "--cv solves every fold exactly from one pass over the "
                       "rows: drop --solver %s", solver_name(o->solver));
    const char *other = o->lr > 0 ? "--lr" : o->tol >= 0 ? "--tol" : o->patience ? "--patience"
                        : o->checkpoint ? "--checkpoint" : o->resume ? "--resume"
                        : o->epochs_given ? "--epochs" : o->precondition_given ? "--precondition"
                        : o->validation_split > 0 ? "--validation-split"
                        : o->inference ? "--inference" : o->diagnostics ? "--diagnostics"
                        : o->cov != COV_CLASSICAL ? "--cov" : o->no_scale ? "--no-scale"
                        : o->no_intercept ? "--no-intercept" : NULL;
    if (other)
        return lr_fail(e, LR_EUSAGE, "%s does not apply to --cv, which fits the glmnet path "
                       "(standardized columns, an intercept) exactly from the folds' Gram "
                       "matrices; drop %s", other, other);
    if (o->fold_column && o->cache)
        return lr_fail(e, LR_EUSAGE, "--folds column: the cache does not keep the fold column; "
                       "drop --cache for this run");
    if (o->folds == CV_FOLDS_FILES && o->cache)
        return lr_fail(e, LR_EUSAGE, "--folds files: the cache does not keep which file a row "
                       "came from; drop --cache for this run");
    /* no penalty option: the K-fold error of least squares itself, one λ = 0 */
    o->cv_ols = !o->n_l1_ratio && !o->lambda_path && !o->n_lambdas && !o->lambda_min_ratio;
    if (o->n_l1_ratio == 0)
        o->l1_ratio[o->n_l1_ratio++] = 1;
    if (!o->n_lambdas)
        o->n_lambdas = o->lambda_path ? o->n_lambda_path : 100;
    o->solver = SOLVER_EXACT;
    return 0;
}

/* What --formula replaces, and what it cannot go with yet. */
static int check_formula(const struct options *o, struct lr_error *e)
{
    if (!o->formula)
        return 0;
    const char *replaced = o->target ? "--target (the left-hand side of '~')"
                           : o->features ? "--features (the right-hand side: 'y ~ a + b')"
                           : o->drop ? "--drop (write '- NAME': 'y ~ . - NAME')"
                           : o->categorical ? "--categorical (write factor(NAME); a text "
                                              "column is a factor already)"
                           : o->no_intercept ? "--no-intercept (write '- 1': 'y ~ x - 1')"
                           : o->reference ? "--reference (write relevel(NAME, ref = \"LEVEL\"))"
                           : NULL;
    if (replaced)
        return lr_fail(e, LR_EUSAGE, "--formula replaces %s; drop that option", replaced);
    if (o->cache)
        return lr_fail(e, LR_EUSAGE, "--formula does not go with --cache for now");
    /* R's lm() leaves a row with a missing value out (na.omit): --missing skip. A mean put
       in before log() or poly() would make up a value of the term that R never fits, and
       the formula states every column of the design, which has no room for an indicator. */
    if (o->missing == MISSING_MEAN || o->missing_indicator)
        return lr_fail(e, LR_EUSAGE, "--formula does not go with %s: %s; --missing skip "
                       "leaves rows with a missing value out, as R's lm() does (na.omit), "
                       "and --missing error (the default) stops at the first",
                       o->missing_indicator ? "--missing-indicator" : "--missing mean",
                       o->missing_indicator ? "the formula states every column of the "
                       "design (write the indicator into the data as a column and name it)"
                       : "a mean put in before the formula's functions (log, poly) would "
                       "stand for a value of the term that R never fits");
    return 0;
}

/* The index of a command name in command_names, or -1. */
static int find_command(const char *a)
{
    for (int c = 0; c < (int)(sizeof command_names / sizeof *command_names); c++)
        if (strcmp(a, command_names[c]) == 0)
            return c;
    return -1;
}

/* ---- No output may overwrite an input or another output (the checkpoint may be the
   --resume file: that is how a run goes on). An input is compared by its text and, when
   both exist, by device and inode (so ./a.csv, a.csv, a symbolic or a hard link all match);
   a directory input by every file it expands to (inputs.h: its *.csv[.gz|.zst], or --glob),
   which is listed only when some output already exists (a file not yet written cannot be
   an input). ---- */

struct out_file {
    const char *opt, *path;
    int exists;
    struct stat st;
};

static int same_inode(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The input arg (input k of n, given as opt: NULL for the positional inputs) against every
   output; member: a file of the directory arg, or NULL for arg itself. */
static int check_input(const char *opt, int k, int n, const char *arg, const char *member,
                       const struct stat *st, const struct out_file *out, int n_out,
                       const struct options *o, struct lr_error *e)
{
    const char *in = member ? member : arg;
    for (int j = 0; j < n_out; j++) {
        if (!out[j].path || (out[j].path == o->checkpoint && arg == o->resume))
            continue;
        if (strcmp(out[j].path, in) != 0 && !(st && out[j].exists && same_inode(st, &out[j].st)))
            continue;
        /* "the input file", "input 2 of 3", "the file of --test", "--test 2 of 3", then the
           input's own name where it is not the output's text; a directory's file by name */
        char what[600], name[300] = "";
        if (strcmp(out[j].path, in) != 0)
            snprintf(name, sizeof name, "%s'%s'", opt || n > 1 ? ", " : " ", in);
        if (member)
            snprintf(what, sizeof what, "'%s', a file of the %s directory '%s'", member,
                     opt ? opt : "input", arg);
        else if (n > 1)
            snprintf(what, sizeof what, "%s %d of %d%s", opt ? opt : "input", k + 1, n, name);
        else
            snprintf(what, sizeof what, "the %s%s%s", opt ? "file of " : "input file",
                     opt ? opt : "", name);
        return lr_fail(e, LR_EUSAGE, "%s '%s' is %s: it would be overwritten", out[j].opt,
                       out[j].path, what);
    }
    return 0;
}

/* args (n of them, given as opt) and, for a directory among them, its files */
static int check_inputs(const char *opt, char *const *args, int n, const struct out_file *out,
                        int n_out, int any_exists, const struct options *o, struct lr_error *e)
{
    for (int k = 0; k < n; k++) {
        struct stat st;
        if (!args[k])
            continue;
        int exists = stat(args[k], &st) == 0;
        if (check_input(opt, k, n, args[k], NULL, exists ? &st : NULL, out, n_out, o, e) < 0)
            return -1;
        if (!exists || !S_ISDIR(st.st_mode) || !any_exists)
            continue;
        struct input_list l;
        struct lr_error unread = {0};  /* an unreadable directory: the reader will say so */
        int clash = 0;
        if (inputs_expand(&args[k], 1, o->glob, &l, &unread) == 0)
            for (int f = 0; !clash && f < l.n; f++) {
                struct stat fs;
                int ok = stat(l.path[f], &fs) == 0;
                clash = check_input(opt, k, n, args[k], l.path[f], ok ? &fs : NULL, out, n_out,
                                    o, e) < 0;
            }
        inputs_free(&l);
        if (clash)
            return -1;
    }
    return 0;
}

static int check_paths(const struct options *o, struct lr_error *e)
{
    struct out_file out[] = {
        {.opt = "--model-out", .path = o->command == CMD_TRAIN ? o->model_out : NULL},
        {.opt = "--log", .path = o->log_path}, {.opt = "--report", .path = o->report},
        {.opt = "--checkpoint", .path = o->checkpoint}, {.opt = "--output", .path = o->output},
        {.opt = "--cache", .path = o->cache},
    };
    int n_out = (int)(sizeof out / sizeof *out), any_exists = 0;
    for (int k = 0; k < n_out; k++) {
        any_exists |= out[k].exists = out[k].path && stat(out[k].path, &out[k].st) == 0;
        if (out[k].exists && !S_ISREG(out[k].st.st_mode) && !S_ISDIR(out[k].st.st_mode))
            return lr_fail(e, LR_EUSAGE, "%s '%s' is not a regular file (a device, pipe or "
                           "socket): an output is written to a new file renamed over the old "
                           "one, which would replace it; give a regular file's path",
                           out[k].opt, out[k].path);
        for (int j = 0; j < k; j++)
            if (out[j].path && out[k].path &&
                (strcmp(out[k].path, out[j].path) == 0 ||
                 (out[j].exists && out[k].exists && same_inode(&out[j].st, &out[k].st))))
                return lr_fail(e, LR_EUSAGE, "%s and %s are the same file '%s'", out[j].opt,
                               out[k].opt, out[k].path);
    }
    char *const one[] = {(char *)o->path}, *model[] = {(char *)o->model},
                *resume[] = {(char *)o->resume};
    if (check_inputs(NULL, o->n_paths ? o->paths : one, o->n_paths ? o->n_paths : 1, out, n_out,
                     any_exists, o, e) < 0 ||
        check_inputs("--test", o->tests, o->n_tests, out, n_out, any_exists, o, e) < 0 ||
        check_inputs("--model", model, 1, out, n_out, 0, o, e) < 0 ||
        check_inputs("--resume", resume, 1, out, n_out, 0, o, e) < 0)
        return -1;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o, struct lr_error *e)
{
    *o = (struct options){
        .command = CMD_TRAIN, .delimiter = ',', .lr = 0, .solver = SOLVER_AUTO, .epochs = 100000,
        .tol = -1, .conf_level = 0.95, .level = 0.95, .huber_delta = 1.35, .max_levels = 1000,
        .model_out = "model.json", .log_every = 100, .checkpoint_every = 100, .seed = 1,
        .memory = MEMORY_AUTO, .argc = argc, .argv = argv,
    };
    const char *took = NULL, *took_opt = NULL;  /* the last value taken from its own argument */
    int i = 1;
    if (argc > 1 && find_command(argv[1]) >= 0)
        o->command = (enum command)find_command(argv[i++]);
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0 || a[2] == '\0') {
            if (strcmp(a, "--") == 0 && i + 1 < argc)
                a = argv[++i];
            if (o->path && !strpbrk(o->path, "./") && access(o->path, F_OK) != 0)
                return lr_fail(e, LR_EUSAGE, "unknown command '%s' (train, describe, predict, "
                               "evaluate)", o->path);
            if (find_command(a) >= 0 && access(a, F_OK) != 0)
                return lr_fail(e, LR_EUSAGE, "the command comes first: linreg_mpi %s "
                               "[options] FILE.csv", a);
            if (!arg_lists(o))
                return lr_fail(e, LR_EUSAGE, "out of memory");
            o->paths[o->n_paths++] = (char *)a;  /* several inputs: one data set (inputs.h) */
            if (!o->path)
                o->path = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        const struct opt_spec *sp = find_spec(name, eq ? (size_t)(eq - name) : strlen(name));
        if (!sp)
            return lr_fail(e, LR_EUSAGE, "unknown option '%s'", a);
        if (!(sp->commands & (1u << o->command)))
            return lr_fail(e, LR_EUSAGE, "option --%s does not apply to '%s'", sp->name,
                           command_names[o->command]);
        const char *v = NULL;
        if (sp->takes_value) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc) {
                v = took = argv[++i];
                took_opt = sp->name;
            } else {
                return lr_fail(e, LR_EUSAGE, "option --%s needs a value", sp->name);
            }
        } else if (eq) {
            return lr_fail(e, LR_EUSAGE, "option --%s takes no value", sp->name);
        }
        if (set_option(sp, v, o, e) < 0)
            return -1;
    }
    if (o->help || o->version)
        return 0;
    if (!o->path && took && access(took, F_OK) == 0)
        return lr_fail(e, LR_EUSAGE, "no input file given (--%s took '%s' as its value)",
                       took_opt, took);
    if (!o->path)
        return lr_fail(e, LR_EUSAGE, "no input file given");
    if (o->patience > 0 && o->validation_split == 0)
        return lr_fail(e, LR_EUSAGE, "--patience needs validation rows: add --validation-split F");
    if ((o->command == CMD_PREDICT || o->command == CMD_EVALUATE) && !o->model)
        return lr_fail(e, LR_EUSAGE, "%s needs --model PATH", command_names[o->command]);
    if (o->level_given && !o->interval)
        return lr_fail(e, LR_EUSAGE, "--level applies to --interval confidence|prediction");
    if (check_cv(o, e) < 0 || check_exact(o, e) < 0 || check_formula(o, e) < 0)
        return -1;
    if (o->cache_verify_given && !o->cache)
        return lr_fail(e, LR_EUSAGE, "--cache-verify needs --cache PATH");
    const char *blocker = cli_stream_blocker(o);
    if (o->memory == MEMORY_STREAM && blocker)
        return lr_fail(e, LR_EUSAGE, "--memory stream: %s needs every row in memory so far; "
                       "use --memory resident (or auto)", blocker);
    if ((o->scratch || o->block_rows) && (o->memory == MEMORY_RESIDENT || blocker))
        return lr_fail(e, LR_EUSAGE, "%s applies to stream mode (--memory stream or auto), "
                       "which %s", o->scratch ? "--scratch" : "--block-rows",
                       o->memory == MEMORY_RESIDENT ? "--memory resident turns off"
                       : "this run cannot use");
    return check_paths(o, e);
}

int cli_parse(int argc, char **argv, struct options *o, struct lr_error *e)
{
    int rc = parse_args(argc, argv, o, e);
    if (rc < 0 || (o->n_paths <= 1 && !o->tests)) {
        free(o->paths);
        o->paths = o->tests = NULL;
        o->n_tests = 0;
    }
    if (rc < 0 || o->n_paths <= 1)  /* one input: o->path says it all */
        o->n_paths = 0;
    return rc;
}

const char *cli_stream_blocker(const struct options *o)
{
    if (o->command == CMD_DESCRIBE)  /* its cache holds levels as indices, read whole */
        return o->cache ? "--cache" : NULL;
    if (o->command != CMD_TRAIN)  /* predict, evaluate */
        return NULL;
    /* rows read from a valid cache have no scratch file to split or keep places beside */
    return o->folds == CV_FOLDS_COLUMN ? "--folds column"
           : o->folds == CV_FOLDS_FILES ? "--folds files"
           : o->cache && o->validation_split > 0 ? "--cache with --validation-split"
           : o->cache && o->diagnostics ? "--cache with --diagnostics"
           : NULL;
}

const char *cli_version(void) { return LINREG_VERSION; }
