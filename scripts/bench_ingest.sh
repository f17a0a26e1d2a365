#!/usr/bin/env bash
# bench_ingest.sh — CSV ingest speed: linreg_mpi's sharded reader against libcsv alone.
#
#   scripts/bench_ingest.sh [ROWS] [FEATURES]      (default 1100000 x 20, about 300 MB)
#
# Generates a synthetic CSV (not kept), warms the page cache, then measures, best of
# REPS (default 3) runs each, all in the same run so that the ratios are fair on a shared
# machine:
#   libcsv          tokenizing only, callbacks that count (bin/csv_tokenize), one core
#   libcsv+strtod   the naive reader: libcsv plus strtod on every field, one core
#   linreg_mpi      `describe`'s read phase (parse + convert + agree), 1 rank and 2 ranks,
#                   one thread per rank, and its peak RSS per rank against its matrix
#   categorical     training's read phase (--report) on one file whose first column holds
#                   the digits 1-9, read as numbers and with --categorical x1 (levels
#                   interned while parsing, merged, one-hot expanded): the same bytes
# and prints MB/s, MB/s per core, the 1→2 rank speedup and the categorical/numeric ratio.
# Prints figures; never fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 1100000 20 "$@"
REPS=${REPS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup all bin/linreg_mpi bin/gen_data bin/csv_tokenize
CSV=$DIR/bench.csv

bin/gen_data --rows "$ROWS" --features "$FEATURES" --seed 7 "$CSV"
MB=$(awk -v b="$(stat -c %s "$CSV")" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$CSV" >/dev/null  # page cache: measure parsing, not the disk

best() { sort -g | head -1; }
tok=$(for _ in $(seq "$REPS"); do bin/csv_tokenize "$CSV" | sed 's/.*seconds=\([0-9.]*\).*/\1/'; done | best)
naive=$(for _ in $(seq "$REPS"); do bin/csv_tokenize --convert "$CSV" | sed 's/.*seconds=\([0-9.]*\).*/\1/'; done | best)
reader() {  # reader NP: best read seconds of describe under NP ranks, one thread each
    for _ in $(seq "$REPS"); do
        mpirun --bind-to core -n "$1" -x OMP_NUM_THREADS=1 bin/linreg_mpi describe "$CSV" 2>&1 >/dev/null |
            sed -n 's/^read .* in \([0-9.]*\) s .*/\1/p'
    done | best
}
r1=$(reader 1)
r2=$(reader 2)
mem=$(mpirun --bind-to core -n 2 -x OMP_NUM_THREADS=1 bin/linreg_mpi describe "$CSV" 2>&1 >/dev/null |
    sed -n 's/.*peak RSS per rank \([0-9.]*\) MB, matrix \([0-9.]*\) MB/\1 \2/p')

echo "ingest benchmark: $MB MB, $ROWS rows x $((FEATURES + 1)) columns, $(nproc) cores, $(date -u +%F)"
awk -v mb="$MB" -v tok="$tok" -v naive="$naive" -v r1="$r1" -v r2="$r2" 'BEGIN {
    printf "  %-34s %8s %10s %14s\n", "", "seconds", "MB/s", "MB/s per core"
    printf "  %-34s %8.3f %10.1f %14.1f\n", "libcsv tokenize only (1 core)", tok, mb / tok, mb / tok
    printf "  %-34s %8.3f %10.1f %14.1f\n", "libcsv + strtod (1 core)", naive, mb / naive, mb / naive
    printf "  %-34s %8.3f %10.1f %14.1f\n", "linreg_mpi reader, 1 rank", r1, mb / r1, mb / r1
    printf "  %-34s %8.3f %10.1f %14.1f\n", "linreg_mpi reader, 2 ranks", r2, mb / r2, mb / r2 / 2
    printf "  reader at 1 rank: %.0f%% of libcsv tokenizing alone, %.1fx libcsv + strtod\n", 100 * tok / r1, naive / r1
    printf "  speedup 1 -> 2 ranks: %.2fx\n", r1 / r2
}'
echo "$mem" | awk '{ printf "  peak RSS per rank (2 ranks): %.1f MB for a %.1f MB matrix: %.2fx\n", $1, $2, $1 / $2 }'

# a categorical column against the same bytes read as numbers
awk -F, 'BEGIN { OFS = "," } NR > 1 { $1 = NR % 9 + 1 } { print }' "$CSV" >"$DIR/cat.csv"
rm -f "$CSV"
MB=$(awk -v b="$(stat -c %s "$DIR/cat.csv")" 'BEGIN { printf "%.1f", b / 1e6 }')
read_phase() {  # read_phase ARGS...: best mean read seconds of a one-epoch training, 1 rank
    for _ in $(seq "$REPS"); do
        mpirun --bind-to core -n 1 -x OMP_NUM_THREADS=1 bin/linreg_mpi --quiet --solver gd \
            --lr 1e-3 --epochs 1 --report "$DIR/r.json" --model-out "$DIR/m.json" "$@" "$DIR/cat.csv"
        tr -d ' \n' <"$DIR/r.json" | sed 's/.*"read":{"min":[^,]*,"mean":\([^,]*\),.*/\1/'
        echo
    done | best
}
num=$(read_phase)
cat=$(read_phase --categorical x1)
awk -v mb="$MB" -v num="$num" -v cat="$cat" 'BEGIN {
    printf "  %-34s %8.3f %10.1f\n", "train read, x1 as numbers", num, mb / num
    printf "  %-34s %8.3f %10.1f\n", "train read, --categorical x1", cat, mb / cat
    printf "  categorical / numeric read time: %.2fx (%.1f MB; 9 levels -> 8 one-hot columns)\n", cat / num, mb
}'
