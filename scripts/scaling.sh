#!/usr/bin/env bash
# scaling.sh — strong and weak scaling of linreg_mpi: timings, scaling.csv and three plots;
# installed as linreg-scaling.
#
#   scripts/scaling.sh [--max-ranks N] [--ranks LIST] [--threads LIST] [--reps R]
#                      [--out DIR] [--rows N] [--features D] [--epochs N|auto]
#                      [--mode strong|weak|both] [--launcher mpirun|srun|auto]
#                      [--cores N] [--oversubscribe] [--rm-data] [--no-cache] [FILE.csv]
#
#   --max-ranks N    largest rank count (default: the cores, see --cores)
#   --ranks LIST     rank counts, e.g. 1,2,4,8 (default: 1, 2, 4, 8, ... up to N, and N)
#   --threads LIST   OpenMP threads per rank, one series per value (default 1)
#   --reps R         runs per point; the median is kept (default 3)
#   --out DIR        where everything goes (default ./scaling)
#   --rows N         rows of the generated strong-scaling file (default 1000000; with
#                    FILE, its own row count); weak scaling gives every rank N/max rows
#   --features D     features of the generated data (default 20; with FILE, its own)
#   --epochs N|auto  N (default 50): exactly N epochs (--tol 0), so every point does the
#                    same work; auto: train to convergence (the program's defaults)
#   --mode M         strong, weak or both (default both)
#   --launcher L     mpirun, srun (`srun --mpi=$LINREG_SRUN_MPI -n P -c T`, default pmix) or
#                    auto (default): srun
#                    inside a Slurm allocation (SLURM_NTASKS set), mpirun elsewhere
#   --cores N        cores to use (default: SLURM_NTASKS x SLURM_CPUS_PER_TASK inside
#                    Slurm, else nproc); a point with ranks x threads > N is skipped...
#   --oversubscribe  ...unless this is given (then it runs unbound: timings mean little)
#   --rm-data        delete the generated CSVs at the end (default: kept and reused by a
#                    later run with the same --rows/--features/--max-ranks)
#   --no-cache       parse the CSV in every run. By default every run reads its rows from
#                    a binary cache (linreg_mpi --cache DIR/data/NAME.cache), written by one
#                    untimed run per file before the timed ones, so that the repetitions
#                    measure training, not parsing: read_s is then the cache's read time
#
# Without FILE, bin/gen_data writes max-ranks row blocks (`--parts`) into DIR/data; the
# weak-scaling file for P ranks is the first P blocks concatenated (P x N/max rows, so
# every rank has the same rows), and the strong-scaling file is all of them (N rows).
# With FILE, strong scaling uses FILE and weak scaling generated data of FILE's shape. FILE
# may be a CSV, a compressed one (.csv.gz, .csv.zst) or a directory of parts (its *.csv,
# *.csv.gz, *.csv.zst, each with the header): one data set, cached like a CSV.
#
# Each run writes a --report JSON (kept in DIR/runs); its phase times, the maximum across
# ranks (the slowest rank sets the pace), give the figures; each column is the median
# over the R runs. DIR/scaling.csv has one row per point:
#   kind         strong or weak
#   ranks, threads, cores    P, T per rank, P x T
#   rows, file_bytes, epochs the data and the epochs trained (as reported)
#   total_s, read_s, compute_s, allreduce_s   median seconds (report phases, max over ranks)
#   speedup      strong: t(P0) x P0 / t(P); weak: P x efficiency (scaled speedup)
#   efficiency   strong: speedup / P; weak: t(P0) / t(P)
# where t is total_s and P0 the smallest rank count of the series with the same threads
# (1 unless --ranks says otherwise). Plots (gnuplot, pngcairo or png), one line per thread
# count and the ideal drawn dashed: DIR/strong_speedup.png, DIR/strong_efficiency.png,
# DIR/weak_efficiency.png; DIR/plots.gp redraws them. Prints figures; never fails on a time.
# Environment: LINREG_BIN, GEN_DATA_BIN (default: bin/linreg_mpi and bin/gen_data of the
# source tree this script is in, or, installed, PREFIX/bin/linreg_mpi and
# PREFIX/libexec/linreg_mpi/gen_data), LINREG_SRUN_MPI (srun's --mpi plugin, default pmix).
set -euo pipefail
export LC_ALL=C

ME=$(basename "${BASH_SOURCE[0]}")
# the source tree, or the installation prefix: the directory above this script's (a link
# to it followed)
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
LINREG=${LINREG_BIN:-$ROOT/bin/linreg_mpi}
GEN=$ROOT/bin/gen_data
[ -x "$GEN" ] || [ ! -x "$ROOT/libexec/linreg_mpi/gen_data" ] || GEN=$ROOT/libexec/linreg_mpi/gen_data
GEN=${GEN_DATA_BIN:-$GEN}

die() { echo "$ME: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '$2'"; }
intlist() { [[ $2 =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "$1 needs a list like 1,2,4, got '$2'"; }

MAXR='' RANKS='' THREADS=1 REPS=3 OUT=./scaling ROWS='' FEATURES='' EPOCHS=50 MODE=both
LAUNCHER=auto CORES='' OVERSUB=0 RMDATA=0 FILE='' CACHE=1
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --oversubscribe) OVERSUB=1; shift; continue ;;
        --rm-data) RMDATA=1; shift; continue ;;
        --no-cache) CACHE=0; shift; continue ;;
        --max-ranks | --ranks | --threads | --reps | --out | --rows | --features | --epochs | --mode | \
            --launcher | --cores) [ $# -ge 2 ] || die "$1 needs a value" ;;
        --*) die "unknown option $1 (see --help)" ;;
    esac
    case $1 in
        --max-ranks) posint "$1" "$2"; MAXR=$2 ;;
        --ranks) intlist "$1" "$2"; RANKS=$2 ;;
        --threads) intlist "$1" "$2"; THREADS=$2 ;;
        --reps) posint "$1" "$2"; REPS=$2 ;;
        --out) OUT=$2 ;;
        --rows) posint "$1" "$2"; ROWS=$2 ;;
        --features) posint "$1" "$2"; FEATURES=$2 ;;
        --epochs) [ "$2" = auto ] || posint "$1" "$2"; EPOCHS=$2 ;;
        --mode) [[ $2 =~ ^(strong|weak|both)$ ]] || die "--mode: strong, weak or both"; MODE=$2 ;;
        --launcher) [[ $2 =~ ^(mpirun|srun|auto)$ ]] || die "--launcher: mpirun, srun or auto"; LAUNCHER=$2 ;;
        --cores) posint "$1" "$2"; CORES=$2 ;;
        *) [ -z "$FILE" ] || die "one FILE.csv at most"; FILE=$1; shift; continue ;;
    esac
    shift 2
done

[ -x "$LINREG" ] || die "$LINREG not built (make all)"
if [ -n "$FILE" ]; then
    [ -f "$FILE" ] || [ -d "$FILE" ] && [ -r "$FILE" ] || { echo "$ME: cannot read $FILE" >&2; exit 66; }
    FILE=$(cd "$(dirname "$FILE")" && pwd)/$(basename "$FILE")
fi
[ "$MODE" = strong ] && [ -n "$FILE" ] || [ -x "$GEN" ] || die "$GEN not built (make all)"

if [ "$LAUNCHER" = auto ]; then
    if [ -n "${SLURM_NTASKS:-}" ] && command -v srun >/dev/null; then LAUNCHER=srun; else LAUNCHER=mpirun; fi
fi
command -v "$LAUNCHER" >/dev/null || die "$LAUNCHER not found"
if [ -z "$CORES" ]; then
    if [ -n "${SLURM_NTASKS:-}" ]; then CORES=$((SLURM_NTASKS * ${SLURM_CPUS_PER_TASK:-1})); else CORES=$(nproc); fi
fi
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# the rank counts: the given list, or powers of two up to MAXR and MAXR itself
MAXR=${MAXR:-$CORES}
if [ -z "$RANKS" ]; then
    RANKS=$(p=1; while [ "$p" -lt "$MAXR" ]; do echo "$p"; p=$((p * 2)); done; echo "$MAXR")
else
    RANKS=$(tr , '\n' <<<"$RANKS" | sort -n | uniq)
    MAXR=$(tail -1 <<<"$RANKS")
fi
THREADS=$(tr , '\n' <<<"$THREADS" | sort -n | uniq)

mkdir -p "$OUT/data" "$OUT/runs"
OUT=$(cd "$OUT" && pwd)

# the data: FILE's shape, or the generated one
parts_of() {  # FILE's files as linreg_mpi reads them: itself, or a directory's parts
    if [ -d "$1" ]; then
        find "$1" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.csv.gz' -o -name '*.csv.zst' \) ! -name '.*' | sort
    else echo "$1"; fi
}
text_of() { case $1 in *.gz) gzip -dc "$1" ;; *.zst) zstd -dcq "$1" ;; *) cat "$1" ;; esac; }
if [ -n "$FILE" ]; then  # rows: every part's lines but its header
    mapfile -t PARTS < <(parts_of "$FILE")
    [ "${#PARTS[@]}" -gt 0 ] || { echo "$ME: $FILE holds no *.csv, *.csv.gz or *.csv.zst" >&2; exit 66; }
    [ -n "$ROWS" ] || ROWS=$(for f in "${PARTS[@]}"; do text_of "$f" | tail -n +2; done | wc -l)
    [ -n "$FEATURES" ] || FEATURES=$({ text_of "${PARTS[0]}" || true; } | head -1 | awk -F, '{ print NF - 1 }')
fi
ROWS=${ROWS:-1000000}
FEATURES=${FEATURES:-20}
[ "$ROWS" -ge "$MAXR" ] || die "--rows $ROWS is fewer than the $MAXR ranks"

gen_parts() {  # the MAXR row blocks, unless the last run left the same ones
    local params="rows=$ROWS features=$FEATURES parts=$MAXR seed=11" i
    if [ "$(cat "$OUT/data/params" 2>/dev/null)" = "$params" ] && [ -s "$OUT/data/part_$((MAXR - 1)).csv" ]; then
        echo "reusing the data in $OUT/data"
        return
    fi
    rm -f "$OUT"/data/*.csv "$OUT/data/params"
    echo "generating $ROWS rows x $FEATURES features in $MAXR parts into $OUT/data"
    for ((i = 0; i < MAXR; i++)); do
        "$GEN" --rows "$ROWS" --features "$FEATURES" --seed 11 --parts "$MAXR" --part "$i" "$OUT/data/part_$i.csv"
    done
    echo "$params" >"$OUT/data/params"
}
weak_file() {  # weak_file P: the first P blocks, built once
    local f=$OUT/data/weak_$1.csv i
    if [ ! -s "$f" ]; then
        for ((i = 0; i < $1; i++)); do cat "$OUT/data/part_$i.csv"; done >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
if [ "$MODE" != strong ] || [ -z "$FILE" ]; then gen_parts; fi
STRONG=${FILE:-}
[ -n "$STRONG" ] || [ "$MODE" = weak ] || STRONG=$(weak_file "$MAXR")

# one_run KIND P T CSV REP: the program under the launcher, its report in DIR/runs
one_run() {
    local p=$2 t=$3 csv=$4 report=$OUT/runs/$1_p$2_t$3_r$5.json
    local -a launch args=(--quiet --threads "$t" --report "$report" --model-out "$OUT/runs/model.json")
    [ "$EPOCHS" = auto ] || args+=(--epochs "$EPOCHS" --tol 0)
    [ "$CACHE" -eq 0 ] || args+=(--cache "$(cache_of "$csv")")
    local over=$((p * t > CORES))
    if [ "$LAUNCHER" = srun ]; then
        launch=(srun --mpi="${LINREG_SRUN_MPI:-pmix}" -n "$p" -c "$t" "--export=ALL,OMP_NUM_THREADS=$t")
        [ "$over" -eq 0 ] || launch+=(--overcommit)
    else
        launch=(mpirun -n "$p" -x OMP_NUM_THREADS="$t")
        if [ "$over" -eq 1 ]; then launch+=(--oversubscribe --bind-to none)
        elif [ "$t" -gt 1 ]; then launch+=(--map-by "slot:PE=$t" --bind-to core)
        else launch+=(--bind-to core); fi
    fi
    rm -f "$report"
    if ! "${launch[@]}" "$LINREG" "${args[@]}" "$csv" >"$OUT/runs/last.log" 2>&1 || [ ! -s "$report" ]; then
        echo "$ME: this run failed:" >&2
        echo "  ${launch[*]} $LINREG ${args[*]} $csv" >&2
        tail -20 "$OUT/runs/last.log" >&2
        exit 1
    fi
    echo "$report"
}

# cache_of CSV: its cache; prime CSV: one untimed run that writes it (once per file)
cache_of() { echo "$OUT/data/$(basename "$1" .csv).cache"; }
PRIMED=" "
prime() {
    [ "$CACHE" -eq 1 ] && [[ "$PRIMED" != *" $1 "* ]] || return 0
    if ! mpirun -n 1 "$LINREG" --quiet --epochs 1 --tol 0 --cache "$(cache_of "$1")" \
        --model-out "$OUT/runs/model.json" "$1" >"$OUT/runs/last.log" 2>&1; then
        echo "$ME: writing the cache of $1 failed:" >&2
        tail -20 "$OUT/runs/last.log" >&2
        exit 1
    fi
    PRIMED+="$1 "
}

# phase FILE NAME: the max across ranks of a phase; top FILE KEY: a top-level integer
phase() { awk -v k="\"$2\": {" 'index($0, k) { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }
top() { grep -o "^  \"$2\": [0-9]*" "$1" | awk '{ print $2 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

RAW=$OUT/runs/points.csv
: >"$RAW"
point() {  # point KIND P T CSV: REPS runs, one line of medians into RAW
    local kind=$1 p=$2 t=$3 csv=$4 r f tot="" rd="" cp="" ar="" last
    if [ $((p * t)) -gt "$CORES" ] && [ "$OVERSUB" -eq 0 ]; then
        printf '%-6s ranks %3d x threads %2d: skipped (%d cores; --oversubscribe to run it)\n' "$kind" "$p" "$t" "$CORES"
        return
    fi
    prime "$csv"
    for ((r = 1; r <= REPS; r++)); do
        f=$(one_run "$kind" "$p" "$t" "$csv" "$r")
        tot+="$(phase "$f" total) " rd+="$(phase "$f" read) " cp+="$(phase "$f" compute) " ar+="$(phase "$f" allreduce) "
        last=$f
    done
    local line
    line=$(printf '%s,%d,%d,%d,%s,%s,%s' "$kind" "$p" "$t" $((p * t)) "$(top "$last" rows)" \
        "$(top "$last" file_bytes)" "$(top "$last" epochs)")
    for v in "$tot" "$rd" "$cp" "$ar"; do line+=,$(tr ' ' '\n' <<<"$v" | grep . | median | awk '{ printf "%.6f", $1 }'); done
    echo "$line" >>"$RAW"
    awk -F, '{ printf "%-6s ranks %3d x threads %2d: %9d rows, total %8.3f s (read %.3f, compute %.3f, allreduce %.3f), %d epochs\n",
        $1, $2, $3, $5, $8, $9, $10, $11, $7 }' <<<"$line"
}

echo "scaling: $CORES cores ($(nproc) here), launcher $LAUNCHER, ranks $(paste -sd, <<<"$RANKS")," \
    "threads $(paste -sd, <<<"$THREADS"), median of $REPS, epochs $EPOCHS, $(date -u '+%F %H:%M UTC')"
if [ "$CACHE" -eq 1 ]; then
    echo "rows read from a binary cache per file ($OUT/data/*.cache, --no-cache to parse each time):" \
        "the repetitions measure training"
fi
for t in $THREADS; do
    for p in $RANKS; do
        [ "$MODE" = weak ] || point strong "$p" "$t" "$STRONG"
    done
    for p in $RANKS; do
        [ "$MODE" = strong ] || point weak "$p" "$t" "$(weak_file "$p")"
    done
done
rm -f "$OUT/runs/model.json" "$OUT/runs/last.log"

# speedup and efficiency against the smallest rank count of each (kind, threads) series
CSV=$OUT/scaling.csv
{
    echo "kind,ranks,threads,cores,rows,file_bytes,epochs,total_s,read_s,compute_s,allreduce_s,speedup,efficiency"
    sort -t, -k1,1 -k3,3n -k2,2n "$RAW" | awk -F, -v OFS=, '{
        key = $1 "," $3
        if (!(key in p0)) { p0[key] = $2; t0[key] = $8 }
        if ($1 == "strong") { s = p0[key] * t0[key] / $8; e = s / $2 }
        else { e = t0[key] / $8; s = $2 * e }
        print $0, sprintf("%.4f", s), sprintf("%.4f", e) }'
} >"$CSV"
echo "wrote $CSV"

# plots
if ! command -v gnuplot >/dev/null; then
    echo "gnuplot not found: plots skipped (apt-get install gnuplot-nox)"
else
    mkdir -p "$OUT/plot"
    rm -f "$OUT"/plot/*.dat
    tail -n +2 "$CSV" | awk -F, -v d="$OUT/plot" '{ print $2, $12, $13 > (d "/" $1 "_t" $3 ".dat") }'
    term="png size 800,560"
    gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && term="pngcairo size 800,560 font ',11'"
    mb=$(awk -F, '$1 == "strong" { printf "%.0f", $6 / 1e6; exit }' "$CSV")
    xtics=$(paste -sd, <<<"$RANKS")
    # series KIND COLUMN: the plot clauses of that kind's series, one per thread count
    series() {
        local t f out=""
        for t in $THREADS; do
            f=plot/$1_t$t.dat
            [ -s "$OUT/$f" ] || continue
            out+="\"$f\" using 1:$2 with linespoints lw 2 pt 7 title \"$t thread$([ "$t" -eq 1 ] || echo s) per rank\", "
        done
        echo "$out"
    }
    # yrange KIND COLUMN LO HI: [LO:HI] widened to the data
    yrange() { cat "$OUT"/plot/"$1"_t*.dat 2>/dev/null | awk -v c="$2" -v lo="$3" -v hi="$4" '
        { if ($c * 0.8 < lo) lo = $c * 0.8; if ($c * 1.1 > hi) hi = $c * 1.1 } END { printf "[%g:%g]", lo, hi }'; }
    {
        echo "# redraw: cd $OUT && gnuplot plots.gp"
        echo "set terminal $term"
        echo "set grid"
        echo "set key top left box opaque"
        echo "set logscale x 2"
        echo "set xrange [0.8:$MAXR * 1.25]"
        echo "set xtics ($xtics)"
        echo "set xlabel \"MPI ranks\""
        s=$(series strong 2)
        if [ -n "$s" ]; then
            echo "set output \"strong_speedup.png\""
            echo "set title \"Strong scaling: speedup ($ROWS rows x $FEATURES features, $mb MB)\""
            echo "set ylabel \"speedup over 1 rank\""
            echo "set logscale y 2"
            echo "set ytics 2"
            echo "set format y \"%g\""
            echo "set yrange $(yrange strong 2 0.8 "$((MAXR * 5 / 4)).25")"
            echo "plot $s x with lines dashtype 2 lw 2 lc \"black\" title \"ideal\""
            echo "unset logscale y"
            echo "set ytics auto"
            echo "set output \"strong_efficiency.png\""
            echo "set title \"Strong scaling: parallel efficiency ($ROWS rows x $FEATURES features, $mb MB)\""
            echo "set ylabel \"efficiency = speedup / ranks\""
            echo "set yrange $(yrange strong 3 0 1.2)"
            echo "plot $(series strong 3) 1 with lines dashtype 2 lw 2 lc \"black\" title \"ideal\""
        fi
        s=$(series weak 3)
        if [ -n "$s" ]; then
            echo "set output \"weak_efficiency.png\""
            echo "set title \"Weak scaling: efficiency ($((ROWS / MAXR)) rows x $FEATURES features per rank)\""
            echo "set ylabel \"efficiency = t(1 rank) / t(P ranks)\""
            echo "set yrange $(yrange weak 3 0 1.2)"
            echo "plot $s 1 with lines dashtype 2 lw 2 lc \"black\" title \"ideal\""
        fi
    } >"$OUT/plots.gp"
    if (cd "$OUT" && gnuplot plots.gp) 2>"$OUT/plot/gnuplot.log"; then
        echo "wrote $(grep -o '^set output "[a-z_]*.png"' "$OUT/plots.gp" | cut -d'"' -f2 | sed "s|^|$OUT/|" | paste -sd' ')"
    else
        echo "gnuplot failed (see $OUT/plot/gnuplot.log):"
        tail -5 "$OUT/plot/gnuplot.log"
    fi
fi
[ "$RMDATA" -eq 0 ] || rm -rf "$OUT/data"
column -s, -t "$CSV" 2>/dev/null || cat "$CSV"
