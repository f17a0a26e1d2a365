#!/usr/bin/env bash
# bench_solvers.sh — every solver on the same two files: gd and nesterov with each
# preconditioner (--precondition sample, the default, and scale), --solver exact, and pandas
# + scikit-learn where installed, on plain and on correlated data.
#
#   scripts/bench_solvers.sh [ROWS] [FEATURES]     (default 2000000 x 20)
#
# Generates plain.csv (gen_data --kind plain) and hard.csv (--kind hard, condition number
# 399 at 20 features), not kept, warms the page cache, then runs each configuration on
# 2 ranks x 1 thread (NP, THREADS to change), REPS times (default 1, the fastest kept), and
# prints one line each: epochs (refinement passes for exact), the read phase, the
# preconditioner and learning-rate phase, training, the whole run (mpirun's start-up
# included), the largest coefficient error against an independent QR (build/lstsq), and
# whether the run was certified converged.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the runs; the header says so.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 2000000 20 "$@"
NP=${NP:-2} THREADS=${THREADS:-1} REPS=${REPS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup "all build/lstsq" bin/linreg_mpi bin/gen_data build/lstsq
echo "bench_solvers: $ROWS rows x $FEATURES features; $NP ranks x $THREADS threads;" \
    "$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; $(date -u +%F)"
phase() { awk -v k="\"$2\": {" 'index($0, k) { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }
jnum() { grep -o "\"$2\": [-0-9.eE+]*" "$1" | head -1 | awk '{ print $2 }'; }
err() {  # the largest relative coefficient error against build/lstsq
    awk '/^  "intercept":/ { gsub(/[ ,]/, "", $2); print $2 }
         /^  "coefficients": \[/ { on = 1; next } on && /\]/ { on = 0 } on { gsub(/[ ,]/, ""); print }' "$1" |
        paste - "$DIR/want.txt" | awk '{ d = ($1 - $2) / $2; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.1e", m }'
}

# run LABEL ARGS...: the fastest of REPS whole runs, then its line
run() {
    local label=$1 best=1e99 r t0 t1 wall
    shift
    for ((r = 1; r <= REPS; r++)); do
        t0=$(date +%s.%N)
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpirun --bind-to none -n "$NP" \
            -x OMP_NUM_THREADS="$THREADS" bin/linreg_mpi --quiet --threads "$THREADS" \
            --report "$DIR/r.json" --model-out "$DIR/m.json" "$@" "$CSV"
        t1=$(date +%s.%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
        if awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            cp "$DIR/r.json" "$DIR/best.report"
            cp "$DIR/m.json" "$DIR/best.json"
        fi
    done
    local train
    train=$(awk -v c="$(phase "$DIR/best.report" compute)" -v a="$(phase "$DIR/best.report" allreduce)" \
        'BEGIN { print c + a }')
    printf '%-7s %-34s %6s epochs  read %6.3f s  precond+lr %6.3f s  training %7.3f s  wall %7.3f s  error %s  %s\n' \
        "$NAME" "$label" "$(jnum "$DIR/best.json" epochs)" "$(phase "$DIR/best.report" read)" \
        "$(phase "$DIR/best.report" learning_rate)" "$train" "$best" "$(err "$DIR/best.json")" \
        "$(grep -q '"converged": true' "$DIR/best.json" && echo converged || echo NOT-converged)"
}

for NAME in plain hard; do
    CSV=$DIR/$NAME.csv
    bin/gen_data --rows "$ROWS" --features "$FEATURES" --kind "$NAME" --seed 5 --noise 0.5 "$CSV" 2>/dev/null
    cat "$CSV" >/dev/null
    build/lstsq "$CSV" | awk '$1 == "intercept" { print $2 } $1 == "coef" { print $3 }' >"$DIR/want.txt"
    echo "$NAME.csv: $(awk -v b="$(stat -c %s "$CSV")" 'BEGIN { printf "%.0f MB", b / 1e6 }')"
    run "nesterov --precondition sample" --solver nesterov
    run "nesterov --precondition scale" --solver nesterov --precondition scale
    run "gd --precondition sample" --solver gd
    run "gd --precondition scale" --solver gd --precondition scale
    run "exact" --solver exact
    if /usr/bin/python3 -c 'import pandas, sklearn' 2>/dev/null; then
        /usr/bin/python3 - "$CSV" "$NAME" <<'PY'
import sys, time
import pandas as pd
from sklearn.linear_model import LinearRegression
t0 = time.perf_counter(); df = pd.read_csv(sys.argv[1]); t1 = time.perf_counter()
LinearRegression().fit(df.iloc[:, :-1].to_numpy(), df.iloc[:, -1].to_numpy()); t2 = time.perf_counter()
print("%-7s %-34s read_csv %.3f s, fit %.3f s, total %.3f s" % (sys.argv[2], "pandas + sklearn", t1 - t0, t2 - t1, t2 - t0))
PY
    fi
    rm -f "$CSV"
done
