#!/usr/bin/env bash
# bench_ingest.sh — CSV ingest speed: linreg_mpi's reader against the floor of any exact
# reader and against libcsv alone, and the binary cache against parsing.
#
#   scripts/bench_ingest.sh [ROWS] [FEATURES]      (default 800000 x 20, about 220 MB)
#
# Generates a synthetic CSV (not kept), warms the page cache, then measures, best of
# REPS (default 3) runs each, all in the same run so that the ratios are fair on a shared
# machine:
#   scan_limit      the floor: one pass in which fast_float converts each field and finds
#                   its end, the values stored into a reused buffer; no validation
#                   (bin/scan_limit), one core
#   libcsv          tokenizing only, callbacks that count (bin/csv_tokenize), one core
#   libcsv+strtod   the naive reader: libcsv plus strtod on every field, one core
#   linreg_mpi      `describe`'s read phase (parse + convert + agree), 1 rank and 2 ranks,
#                   one thread per rank, and its peak RSS per rank against its matrix
#   cache           the same read phase from a warm --cache (written once, untimed), 1 and
#                   2 ranks: seconds, the cache's MB/s per rank, and the speedup over
#                   parsing; then one exact training from the CSV and one from the cache,
#                   whose model files must be the same bytes but for "seconds"
#   categorical     training's read phase (--report) on one file whose first column holds
#                   the digits 1-9, read as numbers and with --categorical x1 (levels
#                   interned while parsing, merged, one-hot expanded): the same bytes
# and prints MB/s, MB/s per core, the read phase per core against the floor and libcsv,
# the 1→2 rank speedup and the categorical/numeric ratio. Prints figures; never fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 800000 20 "$@"
REPS=${REPS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup all bin/linreg_mpi bin/gen_data bin/csv_tokenize bin/scan_limit
CSV=$DIR/bench.csv
CACHE=$DIR/bench.cache

bin/gen_data --rows "$ROWS" --features "$FEATURES" --seed 7 "$CSV"
MB=$(awk -v b="$(stat -c %s "$CSV")" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$CSV" >/dev/null  # page cache: measure parsing, not the disk

best() { sort -g | head -1; }
seconds() { sed 's/.*seconds=\([0-9.]*\).*/\1/'; }
probe=$(for _ in $(seq "$REPS"); do bin/scan_limit "$CSV" | seconds; done | best)
tok=$(for _ in $(seq "$REPS"); do bin/csv_tokenize "$CSV" | seconds; done | best)
naive=$(for _ in $(seq "$REPS"); do bin/csv_tokenize --convert "$CSV" | seconds; done | best)
reader() {  # reader NP [ARGS]: best read seconds of describe under NP ranks, one thread each
    local np=$1
    shift
    for _ in $(seq "$REPS"); do
        mpirun --bind-to core -n "$np" -x OMP_NUM_THREADS=1 bin/linreg_mpi describe "$@" "$CSV" 2>&1 >/dev/null |
            sed -n 's/^read .* in \([0-9.]*\) s .*/\1/p'
    done | best
}
r1=$(reader 1)
r2=$(reader 2)
mem=$(mpirun --bind-to core -n 2 -x OMP_NUM_THREADS=1 bin/linreg_mpi describe "$CSV" 2>&1 >/dev/null |
    sed -n 's/.*peak RSS per rank \([0-9.]*\) MB, matrix \([0-9.]*\) MB/\1 \2/p')
mpirun -n 1 bin/linreg_mpi describe --quiet --cache "$CACHE" "$CSV" >/dev/null  # written, untimed
CMB=$(awk -v b="$(stat -c %s "$CACHE")" 'BEGIN { printf "%.1f", b / 1e6 }')
c1=$(reader 1 --cache "$CACHE")
c2=$(reader 2 --cache "$CACHE")
# the model: the CSV's and the cache's, the same bytes but for "seconds"
# (the results table goes to stdout: not this script's)
mpirun -n 2 bin/linreg_mpi --quiet --solver exact --model-out "$DIR/csv.json" "$CSV" >/dev/null
mpirun -n 2 bin/linreg_mpi --quiet --solver exact --cache "$DIR/train.cache" --model-out "$DIR/w.json" "$CSV" >/dev/null
mpirun -n 2 bin/linreg_mpi --quiet --solver exact --cache "$DIR/train.cache" --model-out "$DIR/c.json" "$CSV" >/dev/null
if cmp -s <(grep -v '"seconds"' "$DIR/csv.json") <(grep -v '"seconds"' "$DIR/c.json"); then
    same="the same bytes (seconds aside)"
else
    same="DIFFERENT"
fi

echo "ingest benchmark: $MB MB, $ROWS rows x $((FEATURES + 1)) columns, $(nproc) cores, $(date -u '+%F %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v mb="$MB" -v cmb="$CMB" -v probe="$probe" -v tok="$tok" -v naive="$naive" -v r1="$r1" -v r2="$r2" \
    -v c1="$c1" -v c2="$c2" 'BEGIN {
    printf "  %-40s %8s %10s %14s\n", "", "seconds", "MB/s", "MB/s per core"
    printf "  %-40s %8.3f %10.1f %14.1f\n", "scan_limit: one-pass fast_float (1 core)", probe, mb / probe, mb / probe
    printf "  %-40s %8.3f %10.1f %14.1f\n", "libcsv tokenize only (1 core)", tok, mb / tok, mb / tok
    printf "  %-40s %8.3f %10.1f %14.1f\n", "libcsv + strtod (1 core)", naive, mb / naive, mb / naive
    printf "  %-40s %8.3f %10.1f %14.1f\n", "linreg_mpi reader, 1 rank", r1, mb / r1, mb / r1
    printf "  %-40s %8.3f %10.1f %14.1f\n", "linreg_mpi reader, 2 ranks", r2, mb / r2, mb / r2 / 2
    printf "  read phase per core against the floor (scan_limit): %.2fx at 1 rank, %.2fx at 2 ranks\n", probe / r1, probe / (2 * r2)
    printf "  read phase per core against libcsv tokenizing alone: %.2fx at 1 rank, %.2fx at 2 ranks; %.1fx libcsv + strtod\n", tok / r1, tok / (2 * r2), naive / r1
    printf "  speedup 1 -> 2 ranks: %.2fx\n", r1 / r2
    printf "  cache (%s MB), warm: 1 rank %.3f s (%.0f MB/s of cache per rank, %.1fx faster than parsing), 2 ranks %.3f s (%.0f MB/s per rank, %.1fx)\n", cmb, c1, cmb / c1, r1 / c1, c2, cmb / c2 / 2, r2 / c2
}'
echo "  model from the cache against the CSV's (exact solver, 2 ranks): $same"
echo "$mem" | awk '{ printf "  peak RSS per rank (2 ranks): %.1f MB for a %.1f MB matrix: %.2fx\n", $1, $2, $1 / $2 }'

# a categorical column against the same bytes read as numbers
awk -F, 'BEGIN { OFS = "," } NR > 1 { $1 = NR % 9 + 1 } { print }' "$CSV" >"$DIR/cat.csv"
rm -f "$CSV"
MB=$(awk -v b="$(stat -c %s "$DIR/cat.csv")" 'BEGIN { printf "%.1f", b / 1e6 }')
read_phase() {  # read_phase ARGS...: best mean read seconds of a one-epoch training, 1 rank
    for _ in $(seq "$REPS"); do
        mpirun --bind-to core -n 1 -x OMP_NUM_THREADS=1 bin/linreg_mpi --quiet --solver gd \
            --lr 1e-3 --epochs 1 --report "$DIR/r.json" --model-out "$DIR/m.json" "$@" "$DIR/cat.csv" \
            >/dev/null
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
