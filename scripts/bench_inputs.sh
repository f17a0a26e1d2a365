#!/usr/bin/env bash
# bench_inputs.sh — reading a gzip-compressed data set of 16 parts: linreg_mpi on the parts
# (1 and 2 ranks, one thread each) against decompressing first (`zcat parts > one.csv`,
# then one rank on the CSV), and the decompression share (zcat alone, one core).
#
#   scripts/bench_inputs.sh [ROWS] [FEATURES]      (default 400000 x 10)
#
# Prints seconds (best of REPS, default 3) and MB/s of uncompressed CSV per rank: wall
# times (mpirun's start included) and the read phase linreg_mpi reports ("read ... in S
# s"), the decompression share (zcat alone against the 1-rank read phase), and the same
# data as 16 plain parts and as one CSV for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-400000} FEATURES=${2:-10} REPS=${REPS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
T=$(mktemp -d /tmp/bench_inputs.XXXXXX)
trap 'rm -rf "$T"' EXIT
bin/gen_data --rows "$ROWS" --features "$FEATURES" --seed 7 "$T/all.csv" 2>/dev/null
mkdir "$T/gz"
awk -v dir="$T/gz" -v n="$ROWS" 'NR == 1 { h = $0; next }
    { k = int((NR - 2) * 16 / n); f = sprintf("%s/part-%05d.csv", dir, k);
      if (!(k in seen)) { print h > f; seen[k] = 1 } print > f }' "$T/all.csv"
gzip "$T"/gz/*.csv
BYTES=$(stat -c %s "$T/all.csv")
mv "$T/all.csv" "$T/one.csv"
best() {  # best wall seconds of REPS runs of the command
    local b=""
    for _ in $(seq "$REPS"); do
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        b=$(awk -v b="$b" -v t="$(awk -v a="$t0" -v c="$t1" 'BEGIN { print c - a }')" 'BEGIN { print (b == "" || t < b) ? t : b }')
    done
    echo "$b"
}
read_phase() {  # best read-phase seconds ("read ... in S s" on stderr) of REPS runs
    local b=""
    for _ in $(seq "$REPS"); do
        local t
        t=$("$@" 2>&1 >/dev/null | sed -n 's/^read .* in \([0-9.]*\) s .*/\1/p' | tail -1)
        b=$(awk -v b="$b" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
    done
    echo "$b"
}
report() { awk -v w="$1" -v s="$2" -v c="$3" -v by="$BYTES" 'BEGIN { printf "%-52s %7.3f s  %7.1f MB/s per rank\n", w, s, by / 1e6 / s / c }'; }
run() { local np=$1; shift; mpirun --bind-to none -n "$np" bin/linreg_mpi describe "$@"; }
echo "data: $ROWS rows x $FEATURES features, $(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB of CSV in 16 gzip parts ($(du -sm "$T/gz" | cut -f1) MB); MB/s of uncompressed CSV; ranks unbound (--bind-to none), 1 parsing thread each, plus one decompressing thread per rank"
Z=$(best sh -c "zcat $T/gz/*.gz >/dev/null")
report "zcat alone (decompression, 1 core)" "$Z" 1
report "zcat > one.csv, then 1 rank on it (wall)" "$(best sh -c "zcat $T/gz/*.gz > $T/one.csv && mpirun -n 1 bin/linreg_mpi describe $T/one.csv")" 1
report "1 rank on the one CSV: read phase" "$(read_phase run 1 "$T/one.csv")" 1
report "2 ranks on the one CSV: read phase" "$(read_phase run 2 "$T/one.csv")" 2
for np in 1 2; do
    report "$np rank(s) on the 16 gzip parts (wall, mpirun included)" "$(best run "$np" "$T/gz")" "$np"
    R=$(read_phase run "$np" "$T/gz")
    report "$np rank(s) on the 16 gzip parts: read phase" "$R" "$np"
    [ "$np" = 1 ] && awk -v z="$Z" -v r="$R" 'BEGIN { printf "decompression share of the 1-rank read phase (zcat alone / read phase): %.0f %%\n", 100 * z / r }'
done
mkdir "$T/plain"
for f in "$T"/gz/*.gz; do zcat "$f" >"$T/plain/$(basename "$f" .gz)"; done
report "2 ranks on the 16 plain parts: read phase" "$(read_phase run 2 "$T/plain")" 2
