#!/usr/bin/env bash
# plot.sh — the pictures users look at, drawn with gnuplot (Debian's gnuplot-nox); installed
# as linreg-plot.
#
#   scripts/plot.sh [--log LOG.csv] [--predictions PRED.csv] [--model MODEL.json --data DATA.csv
#                   [--delimiter C]] [--out DIR]
#
#   --log          a training log (linreg_mpi --log): DIR/loss.png, the loss per epoch on a
#                  log scale, with the validation loss when the log has it
#   --predictions  linreg_mpi predict's output with the target column ("TARGET,prediction"):
#                  DIR/pred_vs_actual.png, predicted against actual with the line y = x
#   --model/--data a model with a single feature and the CSV it was trained on:
#                  DIR/fit.png, the data points and the fitted line; --delimiter as in
#                  linreg_mpi (one character or 'tab'; default ',')
# DIR defaults to the current directory. Each plot has a title, axis labels and a legend.
set -euo pipefail

ME=$(basename "$0")
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
fail() { echo "$ME: $*" >&2; exit 1; }
LOG="" PRED="" MODEL="" DATA="" OUT="." SEP=","
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage 0 ;;
    --log | --predictions | --model | --data | --delimiter | --out)
        [ $# -ge 2 ] || { echo "$ME: $1 needs a value" >&2; usage; } ;;&
    --log) LOG=$2; shift 2 ;;
    --predictions) PRED=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --delimiter) SEP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "$ME: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$LOG$PRED$MODEL" ] || usage
if [ -n "$MODEL" ] && [ -z "$DATA" ]; then echo "$ME: --model needs --data" >&2; exit 2; fi
case $SEP in
tab | '\t') SEP=$'\t' ;;
\") echo "$ME: --delimiter: the quote cannot separate fields" >&2; exit 2 ;;
?) ;;
*) echo "$ME: --delimiter: one character or 'tab'" >&2; exit 2 ;;
esac
for f in "$LOG" "$PRED" "$MODEL" "$DATA"; do
    [ -z "$f" ] || { [ -f "$f" ] && [ -r "$f" ]; } || fail "cannot read '$f'"
done
command -v gnuplot >/dev/null || fail "gnuplot is missing (Debian: apt-get install gnuplot-nox)"
mkdir -p "$OUT"
TERM_SPEC="set terminal pngcairo size 900,600 font 'Sans,11'"
gnuplot -e "set terminal pngcairo" 2>/dev/null || TERM_SPEC="set terminal png size 900,600"
TERM_SPEC+=$'\nset termoption noenhanced'  # names such as air_flow as they are, not subscripts

# column NAME FILE [SEP]: the 1-based position of a header name (BOM, CR, quotes and the
# spaces around names dropped, as linreg_mpi does)
column() {
    head -1 "$2" | sed $'1s/^\xEF\xBB\xBF//' | tr -d '\r"' | tr "${3:-,}" '\n' |
        sed 's/^[ \t]*//; s/[ \t]*$//' | grep -nx -- "$1" | cut -d: -f1
}
# draw PNG: run the gnuplot script on stdin; a failure leaves no PNG behind
draw() {
    gnuplot || { rm -f "$1"; fail "gnuplot could not draw $1"; }
    echo "wrote $1"
}

if [ -n "$LOG" ]; then
    [ "$(column loss "$LOG" || true)" = 2 ] && [ "$(wc -l <"$LOG")" -ge 2 ] ||
        fail "$LOG is not a linreg_mpi --log file with epochs (a header epoch,loss,... then rows)"
    val=$(column val_loss "$LOG" || true)
    plots="'$LOG' using 1:2 with lines lw 2 title 'training loss'"
    [ -n "$val" ] && plots+=", '' using 1:$val with lines lw 2 title 'validation loss'"
    draw "$OUT/loss.png" <<GP
$TERM_SPEC
set output '$OUT/loss.png'
set datafile separator ','
set title 'Loss per epoch'
set xlabel 'epoch'
set ylabel 'loss J (log scale)'
set logscale y
set grid
set key top right
plot $plots
GP
fi

if [ -n "$PRED" ]; then
    target=$(head -1 "$PRED" | cut -d, -f1)
    [ "$(head -1 "$PRED" | tr -d '\r' | cut -d, -f2)" = prediction ] ||
        fail "$PRED has no target column (predict a file that has it)"
    draw "$OUT/pred_vs_actual.png" <<GP
$TERM_SPEC
set output '$OUT/pred_vs_actual.png'
set datafile separator ','
set title 'Predicted against actual $target'
set xlabel 'actual $target'
set ylabel 'predicted $target'
set grid
set key top left
stats '$PRED' using 1:2 nooutput
lo = STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y
hi = STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y
pad = (hi - lo) * 0.05 + 1e-12
set xrange [lo - pad : hi + pad]
set yrange [lo - pad : hi + pad]
set size ratio -1
plot '$PRED' using 1:2 with points pt 7 ps 0.8 title 'rows', x with lines lw 2 title 'y = x'
GP
fi

if [ -n "$MODEL" ]; then
    # the model's first feature, target, intercept and coefficient (pretty-printed JSON)
    read -r feature target b w n < <(awk '
        /^  "target":/ { gsub(/[",]/, "", $2); t = $2 }
        /^  "features": \[/ { inf = 1; next } inf && /\]/ { inf = 0 } inf { gsub(/[ ",]/, ""); f[++nf] = $0 }
        /^  "intercept":/ { gsub(/,/, "", $2); b = $2 }
        /^  "coefficients": \[/ { inc = 1; next } inc && /\]/ { inc = 0 } inc { gsub(/[ ,]/, ""); c[++nc] = $0 }
        END { print f[1], t, b, c[1], nf }' "$MODEL")
    [ "$n" = 1 ] || fail "fit.png needs a model with one feature ($MODEL has $n)"
    fx=$(column "$feature" "$DATA" "$SEP") && fy=$(column "$target" "$DATA" "$SEP") ||
        fail "$DATA: no column '$feature' or '$target' in its header (--delimiter?)"
    draw "$OUT/fit.png" <<GP
$TERM_SPEC
set output '$OUT/fit.png'
set datafile separator '$SEP'
set title sprintf('%s against %s: fitted line %s = %.4g + %.4g %s', '$target', '$feature', '$target', $b, $w, '$feature')
set xlabel '$feature'
set ylabel '$target'
set grid
set key top left
plot '$DATA' using $fx:$fy with points pt 7 ps 1 title 'data', $b + $w * x with lines lw 2 title 'fitted line'
GP
fi
