#!/usr/bin/env bash
# bench_stream.sh — what --memory stream costs against resident: the exact solver on the
# same file both ways, page cache warm, and a cold first pass against the disk's own read
# rate.
#
#   scripts/bench_stream.sh [ROWS] [FEATURES]     (default 2000000 x 20)
#
# Generates one CSV (gen_data --kind hard), not kept, in $TMPDIR (the scratch files go
# there too), then runs on NP ranks x THREADS threads (default 2 x 1), REPS times each
# (default 3; the fastest kept), resident and then stream with the default blocks:
# --solver exact, and 50 epochs of gd. Prints each run's wall time (mpirun's start-up
# included), its phases (read, stats, compute) and the largest process's peak memory, the
# exact solver's ratio stream/resident and the speed of a streamed gd epoch. With
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

# run MEMORY ARGS...: the fastest of REPS runs: "wall read stats compute peak_MB" (the peak:
# the largest process's, getrusage of mpirun's children)
run() {
    local best=1e99 line r out
    for ((r = 1; r <= REPS; r++)); do
        out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 -c '
import resource, subprocess, sys, time
t = time.time()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)' \
            mpirun --bind-to none -n "$NP" -x OMP_NUM_THREADS="$THREADS" -x TMPDIR="$DIR" \
            bin/linreg_mpi --quiet --threads "$THREADS" --report "$DIR/r.json" \
            --model-out "$DIR/m.json" --memory "$@" "$CSV")
        read -r wall peak rc <<<"$out"
        [ "$rc" = 0 ] || { echo "bench_stream: the run failed: --memory $*" >&2; exit 1; }
        if awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            line="$wall $(phase "$DIR/r.json" read) $(phase "$DIR/r.json" stats) $(phase "$DIR/r.json" compute) $peak"
        fi
    done
    echo "$line"
}
row() { printf '%-26s %8.3f %8.3f %8.3f %9.3f %8.0f\n' "$1" $2; }
printf '%-26s %8s %8s %8s %9s %8s\n' run "wall s" "read s" "stats s" "compute s" "peak MB"
res=$(run resident --solver exact)
str=$(run stream --solver exact)
row "exact, resident" "$res"
row "exact, stream" "$str"
awk -v a="${res%% *}" -v b="${str%% *}" 'BEGIN { printf "exact: stream / resident wall time %.2f\n", b / a }'
GD=(--solver gd --precondition scale --epochs 50 --tol 0)
gres=$(run resident "${GD[@]}")
gstr=$(run stream "${GD[@]}")
row "gd 50 epochs, resident" "$gres"
row "gd 50 epochs, stream" "$gstr"
awk -v a="$(echo "$gres" | cut -d' ' -f4)" -v b="$(echo "$gstr" | cut -d' ' -f4)" \
    'BEGIN { printf "gd: an epoch from the scratch file at %.2f of the resident epoch'"'"'s speed\n", a / b }'
if [ "${COLD:-0}" = 1 ]; then
    sync && echo 3 >/proc/sys/vm/drop_caches
    t0=$(date +%s.%N)
    dd if="$CSV" of=/dev/null bs=8M status=none
    t1=$(date +%s.%N)
    dd_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    sync && echo 3 >/proc/sys/vm/drop_caches
    REPS=1
    cold=$(run stream --solver exact)
    read -r _ read_s _ <<<"$cold"
    awk -v d="$dd_s" -v r="$read_s" -v b="$(stat -c %s "$CSV")" 'BEGIN {
        printf "cold: dd %.0f MB/s, streamed first pass (read phase) %.0f MB/s: %.2f of dd\n",
            b / d / 1e6, b / r / 1e6, d / r }'
fi
