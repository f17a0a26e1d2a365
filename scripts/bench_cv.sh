#!/usr/bin/env bash
# bench_cv.sh — the cross-validated lasso path (--cv 10 --l1-ratio 1, 100 lambdas) against
# one --solver exact fit of the same rows, and R's cv.glmnet and scikit-learn's
# ElasticNetCV where installed, on correlated data (gen_data --kind hard).
#
#   scripts/bench_cv.sh [ROWS] [FEATURES]     (default 2000000 x 20, about 560 MB)
#
# Generates a CSV (not kept), warms the page cache, then runs each on 2 ranks x 1 thread
# (NP, THREADS to change) and prints, from each run's --report:
#   exact      one exact fit: the read, the solve, the total
#   cv         --cv 10 --l1-ratio 1 (hash folds): the read, the folds' pass and the path,
#              the total, and the total over the exact fit's
#   R          data.table::fread + cv.glmnet(nfolds = 10) (Debian r-cran-glmnet,
#              r-cran-data.table), end to end
#   sklearn    pandas.read_csv + ElasticNetCV(cv = 10, l1_ratio = 1, n_alphas = 100), end
#              to end
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the runs (they slow OpenBLAS down
# where they are set to work around old builds); the figures say so.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 2000000 20 "$@"
NP=${NP:-2} THREADS=${THREADS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup "all" bin/linreg_mpi bin/gen_data
CSV=$DIR/hard.csv
bin/gen_data --rows "$ROWS" --features "$FEATURES" --kind hard --seed 5 --noise 0.5 "$CSV" 2>/dev/null
cat "$CSV" >/dev/null
echo "bench_cv: $(awk -v b="$(stat -c %s "$CSV")" 'BEGIN { printf "%.0f MB", b / 1e6 }') CSV," \
    "$ROWS rows x $FEATURES features (gen_data --kind hard); $NP ranks x $THREADS threads;" \
    "$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; $(date -u +%F)"
phase() { awk -v k="\"$2\": {" 'index($0, k) { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }

# run NAME ARGS...: leaves $DIR/NAME.report
run() {
    local name=$1
    shift
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpirun --bind-to none -n "$NP" \
        -x OMP_NUM_THREADS="$THREADS" bin/linreg_mpi --quiet --threads "$THREADS" \
        --report "$DIR/$name.report" --model-out "$DIR/$name.json" "$@" "$CSV" >/dev/null
}
run exact --solver exact
run cv --cv 10 --l1-ratio 1
ex=$(phase "$DIR/exact.report" total)
cv=$(phase "$DIR/cv.report" total)
printf 'exact:   read %.3f s, solve %.3f s, total %.3f s\n' "$(phase "$DIR/exact.report" read)" \
    "$(phase "$DIR/exact.report" compute)" "$ex"
printf 'cv:      read %.3f s, folds + path %.3f s, total %.3f s (%.2fx one exact fit)\n' \
    "$(phase "$DIR/cv.report" read)" "$(phase "$DIR/cv.report" compute)" "$cv" \
    "$(awk -v a="$cv" -v b="$ex" 'BEGIN { print a / b }')"
if Rscript -e 'quit(status = !(requireNamespace("glmnet", quietly = TRUE) && requireNamespace("data.table", quietly = TRUE)))' 2>/dev/null; then
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE Rscript - "$CSV" "$cv" <<'R'
suppressMessages({ library(glmnet); library(data.table) })
a <- commandArgs(TRUE)
t0 <- Sys.time(); d <- fread(a[1]); t1 <- Sys.time()
x <- as.matrix(d[, -ncol(d), with = FALSE]); f <- cv.glmnet(x, d[[ncol(d)]], nfolds = 10)
t2 <- Sys.time(); tot <- as.numeric(t2 - t0, units = "secs")
cat(sprintf("R:       fread %.3f s, cv.glmnet %.3f s, total %.3f s (%.2fx --cv)\n",
            as.numeric(t1 - t0, units = "secs"), as.numeric(t2 - t1, units = "secs"), tot,
            tot / as.numeric(a[2])))
R
fi
if /usr/bin/python3 -c 'import pandas, sklearn' 2>/dev/null; then
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - "$CSV" "$cv" <<'PY'
import sys, time
import pandas as pd
from sklearn.linear_model import ElasticNetCV
t0 = time.perf_counter(); df = pd.read_csv(sys.argv[1]); t1 = time.perf_counter()
ElasticNetCV(cv=10, l1_ratio=1, n_alphas=100).fit(df.iloc[:, :-1].to_numpy(), df.iloc[:, -1].to_numpy())
t2 = time.perf_counter()
print("sklearn: read_csv %.3f s, ElasticNetCV %.3f s, total %.3f s (%.2fx --cv)"
      % (t1 - t0, t2 - t1, t2 - t0, (t2 - t0) / float(sys.argv[2])))
PY
fi
