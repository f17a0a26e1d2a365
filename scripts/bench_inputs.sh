#!/usr/bin/env bash
# bench_inputs.sh — reading a gzip-compressed data set of 16 parts: linreg_mpi on the parts
# (1 and 2 ranks, one thread each) against decompressing first (`zcat parts > one.csv`,
# then one rank on the CSV), and the decompression share (zcat alone, one core).
#
#   scripts/bench_inputs.sh [ROWS] [FEATURES]      (default 400000 x 10)
#
# Prints seconds (best of REPS, default 3) and MB/s of uncompressed CSV per core. The
# linreg_mpi figures are `describe`'s wall time, mpirun's start included.
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
rm "$T/all.csv"
best() {  # best wall seconds of REPS runs of the command
    local b=""
    for _ in $(seq "$REPS"); do
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        b=$(awk -v b="$b" -v t="$(awk -v a="$t0" -v c="$t1" 'BEGIN { print c - a }')" 'BEGIN { print (b == "" || t < b) ? t : b }')
    done
    echo "$b"
}
report() { awk -v w="$1" -v s="$2" -v c="$3" -v by="$BYTES" 'BEGIN { printf "%-44s %7.3f s  %7.1f MB/s per core\n", w, s, by / 1e6 / s / c }'; }
echo "data: $ROWS rows x $FEATURES features, $(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB of CSV in 16 gzip parts ($(du -sm "$T/gz" | cut -f1) MB)"
report "zcat alone (decompression, 1 core)" "$(best sh -c "zcat $T/gz/*.gz >/dev/null")" 1
report "zcat > one.csv, then 1 rank on it" "$(best sh -c "zcat $T/gz/*.gz > $T/one.csv && mpirun -n 1 bin/linreg_mpi describe $T/one.csv")" 1
report "1 rank on the 16 gzip parts" "$(best mpirun -n 1 bin/linreg_mpi describe "$T/gz")" 1
report "2 ranks on the 16 gzip parts" "$(best mpirun -n 2 bin/linreg_mpi describe "$T/gz")" 2
