#!/usr/bin/env bash
# bench_stream.sh — what --memory stream costs against resident: the exact solver on the
# same file both ways, page cache warm, and a cold first pass against the disk's own read
# rate.
#
#   scripts/bench_stream.sh [ROWS] [FEATURES]     (default 2000000 x 20)
#
# Generates one CSV (gen_data --kind hard), not kept, in $TMPDIR (the scratch files go
# there too), then runs --solver exact on NP ranks x THREADS threads (default 2 x 1),
# REPS times each (default 3; the fastest kept): resident, then stream with the default
# blocks. Prints each run's wall time (mpirun's start-up included), its phases (read,
# stats, training) and the largest rank's peak memory, and the ratio stream/resident. With
# COLD=1 (root: drops the page cache) it also times a cold streamed run's read phase
# against dd reading the same file cold.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the runs; the header says so.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 2000000 20 "$@"
NP=${NP:-2} THREADS=${THREADS:-1} REPS=${REPS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup all bin/linreg_mpi bin/gen_data
CSV=$DIR/data.csv
bin/gen_data --rows "$ROWS" --features "$FEATURES" --kind hard "$CSV"
cat "$CSV" >/dev/null
echo "bench_stream: $ROWS rows x $FEATURES features ($(($(stat -c %s "$CSV") / 1000000)) MB);" \
    "$NP ranks x $THREADS threads; $(nproc) cores," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; $(date -u +%F)"
phase() { awk -v k="\"$2\": {" 'index($0, k) { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }

# run MODE ARGS...: the fastest of REPS runs: "wall read stats training peak_MB"
run() {
    local best=1e99 line r t0 t1 wall peak
    for ((r = 1; r <= REPS; r++)); do
        t0=$(date +%s.%N)
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpirun --bind-to none -n "$NP" \
            -x OMP_NUM_THREADS="$THREADS" -x TMPDIR="$DIR" bin/linreg_mpi --solver exact \
            --threads "$THREADS" --report "$DIR/r.json" --model-out "$DIR/m.json" \
            --memory "$@" "$CSV" >/dev/null 2>"$DIR/err"
        t1=$(date +%s.%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
        peak=$(sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p' "$DIR/err")
        if awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            line="$wall $(phase "$DIR/r.json" read) $(phase "$DIR/r.json" stats) $(phase "$DIR/r.json" compute) ${peak:--}"
        fi
    done
    echo "$line"
}
printf '%-10s %8s %8s %8s %9s %10s\n' mode "wall s" "read s" "stats s" "compute s" "peak MB"
res=$(run resident)
str=$(run stream)
printf '%-10s %8.3f %8.3f %8.3f %9.3f %10s\n' resident $res
printf '%-10s %8.3f %8.3f %8.3f %9.3f %10s\n' stream $str
awk -v a="${res%% *}" -v b="${str%% *}" 'BEGIN { printf "stream / resident wall time: %.2f\n", b / a }'
if [ "${COLD:-0}" = 1 ]; then
    sync && echo 3 >/proc/sys/vm/drop_caches
    t0=$(date +%s.%N)
    dd if="$CSV" of=/dev/null bs=8M status=none
    t1=$(date +%s.%N)
    dd_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    sync && echo 3 >/proc/sys/vm/drop_caches
    REPS=1
    cold=$(run stream)
    read -r _ read_s _ <<<"$cold"
    awk -v d="$dd_s" -v r="$read_s" -v b="$(stat -c %s "$CSV")" 'BEGIN {
        printf "cold: dd %.0f MB/s, streamed first pass (read phase) %.0f MB/s: %.2f of dd\n",
            b / d / 1e6, b / r / 1e6, d / r }'
fi
