#!/usr/bin/env bash
# bench_formula.sh — what a formula costs when reading: the read phase with a 10-term
# formula (interactions, logs, powers) against reading the same source columns alone.
#
#   scripts/bench_formula.sh [ROWS] [FEATURES]     (default 2000000 x 8; FEATURES >= 8)
#
# Generates one CSV (gen_data, x1..xD, y), not kept, in $TMPDIR, page cache warm, then
# runs on NP ranks x THREADS threads (default 1 x 2) one epoch of gd, with
#   plain:    the columns as they are (--target y)
#   formula:  y ~ x1 * x2 + log(abs(x3) + 1) + I(x4^2) + x5:x6 + x6 + sqrt(abs(x7))
#                 + exp(x8 / 4) + x1:x3              (10 terms, 11 design columns)
# taking turns, REPS times each (default 5), and prints the fastest read phase of each
# (--report's "read" max over the ranks: parsing, and the design for the formula) and
# their ratio, with the load average before and after (the numbers mean little on a
# loaded machine). MEMORY=stream streams both (default resident).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the runs; the header says so.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 2000000 8 "$@"
[ "$FEATURES" -ge 8 ] || { echo "bench_formula: the formula reads x1..x8: FEATURES >= 8" >&2; exit 2; }
NP=${NP:-1} THREADS=${THREADS:-2} REPS=${REPS:-5} MEMORY=${MEMORY:-resident}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup all bin/linreg_mpi bin/gen_data
CSV=$DIR/data.csv
bin/gen_data --rows "$ROWS" --features "$FEATURES" "$CSV"
cat "$CSV" >/dev/null
F='y ~ x1 * x2 + log(abs(x3) + 1) + I(x4^2) + x5:x6 + x6 + sqrt(abs(x7)) + exp(x8 / 4) + x1:x3'
echo "bench_formula: $ROWS rows x $FEATURES features ($(($(stat -c %s "$CSV") / 1000000)) MB);" \
    "$NP ranks x $THREADS threads; --memory $MEMORY; $(nproc) cores;" \
    "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; $(date -u +%F)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read_max() { awk 'index($0, "\"read\": {") { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }

# once ARGS...: the read phase of one run, in seconds
once() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpirun --bind-to none -n "$NP" \
        -x OMP_NUM_THREADS="$THREADS" -x TMPDIR="$DIR" bin/linreg_mpi --quiet \
        --threads "$THREADS" --memory "$MEMORY" --solver gd --epochs 1 --tol 0 \
        --report "$DIR/r.json" --model-out "$DIR/m.json" "$@" "$CSV" >/dev/null
    read_max "$DIR/r.json"
}
best_plain=1e99 best_formula=1e99
for ((r = 1; r <= REPS; r++)); do
    p=$(once --target y)
    f=$(once --formula "$F")
    best_plain=$(awk -v a="$p" -v b="$best_plain" 'BEGIN { print (a < b ? a : b) }')
    best_formula=$(awk -v a="$f" -v b="$best_formula" 'BEGIN { print (a < b ? a : b) }')
    echo "run $r: plain $p s, formula $f s"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v p="$best_plain" -v f="$best_formula" 'BEGIN {
    printf "fastest read: plain %.3f s, formula %.3f s: %.2fx\n", p, f, f / p }'
