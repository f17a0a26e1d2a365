#!/usr/bin/env bash
# plot.sh — the pictures users look at, drawn with gnuplot (Debian's gnuplot-nox); installed
# as linreg-plot.
#
#   scripts/plot.sh [--log LOG.csv] [--predictions PRED.csv] [--model MODEL.json --data DATA.csv
#                   [--delimiter C]] [--diagnostics SAMPLE.csv] [--out DIR]
#
#   --log          a training log (linreg_mpi --log): DIR/loss.png, the loss per epoch on a
#                  log scale, with the validation loss when the log has it
#   --predictions  linreg_mpi predict's output with the target column ("TARGET,prediction"):
#                  DIR/pred_vs_actual.png, predicted against actual with the line y = x
#   --model/--data a model with a single feature and the CSV it was trained on:
#                  DIR/fit.png, the data points and the fitted line; --delimiter as in
#                  linreg_mpi (one character or 'tab'; default ',')
#   --diagnostics  linreg_mpi --diagnostics-sample's rows: R's four plot(lm) panels,
#                  DIR/residuals_fitted.png (residuals against fitted values),
#                  DIR/normal_qq.png (studentized residuals against normal quantiles),
#                  DIR/scale_location.png (sqrt|studentized residual| against fitted) and
#                  DIR/residuals_leverage.png (studentized residuals against leverage, with
#                  Cook's distance 0.5 and 1 as dashed contours); the three rows of largest
#                  Cook's distance are labelled with their row numbers
# DIR defaults to the current directory. Each plot has a title, axis labels and a legend.
set -euo pipefail

ME=$(basename "$0")
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
fail() { echo "$ME: $*" >&2; exit 1; }
LOG="" PRED="" MODEL="" DATA="" DIAG="" OUT="." SEP=","
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage 0 ;;
    --log | --predictions | --model | --data | --delimiter | --diagnostics | --out)
        [ $# -ge 2 ] || { echo "$ME: $1 needs a value" >&2; usage; } ;;&
    --log) LOG=$2; shift 2 ;;
    --predictions) PRED=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --diagnostics) DIAG=$2; shift 2 ;;
    --delimiter) SEP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "$ME: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$LOG$PRED$MODEL$DIAG" ] || usage
if [ -n "$MODEL" ] && [ -z "$DATA" ]; then echo "$ME: --model needs --data" >&2; exit 2; fi
case $SEP in
tab | '\t') SEP=$'\t' ;;
\") echo "$ME: --delimiter: the quote cannot separate fields" >&2; exit 2 ;;
?) ;;
*) echo "$ME: --delimiter: one character or 'tab'" >&2; exit 2 ;;
esac
for f in "$LOG" "$PRED" "$MODEL" "$DATA" "$DIAG"; do
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

if [ -n "$DIAG" ]; then
    k=$(head -1 "$DIAG" | sed -n 's/^# linreg_mpi diagnostics sample: .*; k=\([0-9]*\)$/\1/p')
    [ -n "$k" ] && [ "$(sed -n 2p "$DIAG")" = \
        row,fitted,residual,std_residual,leverage,cooks_distance,influential,theoretical_quantile ] ||
        fail "$DIAG is not a linreg_mpi --diagnostics-sample file"
    n=$(($(wc -l <"$DIAG") - 2))
    # the rows (the two header lines dropped), and the three of largest Cook's distance
    rows=$(mktemp) labels=$(mktemp)
    trap 'rm -f "$rows" "$labels"' EXIT
    tail -n +3 "$DIAG" >"$rows"
    sort -t, -k6,6 -g -r "$rows" | grep -v ',nan,\|,-nan,' | head -3 >"$labels" || true
    common="$TERM_SPEC
set datafile separator ','
set grid
set key below horizontal
set style line 1 pt 7 ps $( [ "$n" -gt 5000 ] && echo 0.25 || echo 0.6 ) lc rgb '#404040'
set style line 2 lw 1.5 lc rgb '#cc2222' dt 2
set style line 3 lw 1.5 lc rgb '#cc2222'"
    draw "$OUT/residuals_fitted.png" <<GP
$common
set output '$OUT/residuals_fitted.png'
set title 'Residuals vs Fitted ($n rows)'
set xlabel 'fitted values'
set ylabel 'residuals'
plot '$rows' using 2:3 with points ls 1 title 'rows', 0 with lines ls 2 title 'zero', \
     '$labels' using 2:3:(sprintf(' %d', \$1)) with labels left offset 0.5,0 notitle
GP
    draw "$OUT/normal_qq.png" <<GP
$common
set output '$OUT/normal_qq.png'
set title 'Normal Q-Q ($n rows)'
set xlabel 'theoretical quantiles'
set ylabel 'standardized residuals'
plot '$rows' using 8:4 with points ls 1 title 'rows', x with lines ls 2 title 'y = x', \
     '$labels' using 8:4:(sprintf(' %d', \$1)) with labels left offset 0.5,0 notitle
GP
    draw "$OUT/scale_location.png" <<GP
$common
set output '$OUT/scale_location.png'
set title 'Scale-Location ($n rows)'
set xlabel 'fitted values'
set ylabel 'sqrt(|standardized residuals|)'
set yrange [0:*]
plot '$rows' using 2:(sqrt(abs(\$4))) with points ls 1 title 'rows', \
     '$labels' using 2:(sqrt(abs(\$4))):(sprintf(' %d', \$1)) with labels left offset 0.5,0 notitle
GP
    draw "$OUT/residuals_leverage.png" <<GP
$common
set output '$OUT/residuals_leverage.png'
set title "Residuals vs Leverage ($n rows)"
set xlabel 'leverage'
set ylabel 'standardized residuals'
stats '$rows' using 5:4 nooutput
hmax = STATS_max_x * 1.05
rmax = (abs(STATS_min_y) > STATS_max_y ? abs(STATS_min_y) : STATS_max_y) * 1.15
set xrange [0:hmax]
set yrange [-rmax:rmax]
set samples 400
cook(c, h) = sqrt(c * $k * (1 - h) / h)
plot '$rows' using 5:4 with points ls 1 title 'rows', \
     cook(0.5, x) with lines ls 2 title "Cook's distance 0.5", -cook(0.5, x) with lines ls 2 notitle, \
     cook(1, x) with lines ls 3 title "Cook's distance 1", -cook(1, x) with lines ls 3 notitle, \
     '$labels' using 5:4:(sprintf(' %d', \$1)) with labels left offset 0.5,0 notitle
GP
fi
