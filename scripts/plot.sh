#!/usr/bin/env bash
# plot.sh — the pictures users look at, drawn with gnuplot (Debian's gnuplot-nox); installed
# as linreg-plot.
#
#   scripts/plot.sh [--log LOG.csv] [--predictions PRED.csv] [--model MODEL.json --data DATA.csv
#                   [--delimiter C]] [--diagnostics SAMPLE.csv] [--cv MODEL.json] [--out DIR]
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
#   --cv           a model trained with --cv (its cv block), as R's plot.cv.glmnet and
#                  plot.glmnet: DIR/cv_curve.png, the mean cross-validated error with error
#                  bars of one standard error against log(lambda), dashed vertical lines
#                  at lambda_min and lambda_1se, and the nonzero counts along the top;
#                  DIR/cv_path.png, each coefficient (in the columns' units) against
#                  log(lambda) along the chosen l1_ratio's path, with the chosen lambda
# DIR defaults to the current directory. Each plot has a title, axis labels and a legend.
set -euo pipefail

ME=$(basename "$0")
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
fail() { echo "$ME: $*" >&2; exit 1; }  # several arguments: one line, a space between
LOG="" PRED="" MODEL="" DATA="" DIAG="" CV="" OUT="." SEP=","
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage 0 ;;
    --log | --predictions | --model | --data | --delimiter | --diagnostics | --cv | --out)
        [ $# -ge 2 ] || { echo "$ME: $1 needs a value" >&2; usage; } ;;&
    --log) LOG=$2; shift 2 ;;
    --predictions) PRED=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --diagnostics) DIAG=$2; shift 2 ;;
    --cv) CV=$2; shift 2 ;;
    --delimiter) SEP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "$ME: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$LOG$PRED$MODEL$DIAG$CV" ] || usage
if [ -n "$MODEL" ] && [ -z "$DATA" ]; then echo "$ME: --model needs --data" >&2; exit 2; fi
case $SEP in
tab | '\t') SEP=$'\t' ;;
\") echo "$ME: --delimiter: the quote cannot separate fields" >&2; exit 2 ;;
?) ;;
*) echo "$ME: --delimiter: one character or 'tab'" >&2; exit 2 ;;
esac
for f in "$LOG" "$PRED" "$MODEL" "$DATA" "$DIAG" "$CV"; do
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

if [ -n "$CV" ]; then
    # the cv block of the model file (pretty-printed JSON, two spaces an indent): per lambda
    # "log(lambda) cv_mean cv_se nonzero" into $curve, "log(lambda) b w1 ... wD" into $coef;
    # the features; log(lambda_min), log(lambda_1se), log(lambda_chosen)
    curve=$(mktemp) coef=$(mktemp) names=$(mktemp)
    trap 'rm -f "$curve" "$coef" "$names" ${rows:+"$rows"} ${labels:+"$labels"}' EXIT
    read -r n d lmin l1se lchosen l1_ratio < <(awk -v curve="$curve" -v coef="$coef" \
        -v names="$names" '
        function num(s) { gsub(/[ ,]/, "", s); return s }
        /^  "features": \[/ { inf = 1; next } inf && /^  \]/ { inf = 0 }
        inf { gsub(/[ ",]/, ""); print > names; nf++ }
        /^  "cv": \{/ { incv = 1; next } incv && /^  }/ { incv = 0 }
        !incv { next }
        /^    "[a-z_]*": \[/ { key = $1; gsub(/[":]/, "", key); k = 0; next }
        /^    \]/ { key = ""; next }
        /^    "lambda_(min|1se|chosen)":/ || /^    "l1_ratio":/ { v[substr($1, 2, length($1) - 3)] = num($2) }
        key == "lambda" { lam[++nl] = num($0) + 0 }
        key == "cv_mean" { m[++nm] = num($0) }
        key == "cv_se" { se[++ns] = num($0) }
        key == "nonzero" { nz[++nz_n] = num($0) }
        key == "path_coefficients" && /^      \[/ { row = ++np; c = 0; next }
        key == "path_coefficients" && /^        / { b[row, ++c] = num($0); nc = c }
        END {
            if (!nl || nl != nm || nl != ns || nl != np) { print 0; exit }
            for (i = 1; i <= nl; i++) {
                if (lam[i] <= 0) { print -1; exit }
                printf "%.17g %s %s %s\n", log(lam[i]), m[i], se[i], nz[i] > curve
                line = sprintf("%.17g", log(lam[i]))
                for (j = 1; j <= nc; j++) line = line " " b[i, j]
                print line > coef
            }
            print nl, nc - 1, log(v["lambda_min"]), log(v["lambda_1se"]), log(v["lambda_chosen"]), v["l1_ratio"]
        }' "$CV")
    [ "$n" != 0 ] || fail "$CV has no cv block with path_coefficients (train with --cv K)"
    [ "$n" != -1 ] || fail "$CV is least squares' cross-validation (--cv without a penalty" \
        "option, lambda 0): there is no penalty path to draw (add --l1-ratio or --lambdas)"
    common="$TERM_SPEC
set grid
set xlabel 'log(lambda)'
set style line 2 lw 1.5 lc rgb '#606060' dt 2
set arrow 1 from $lmin, graph 0 to $lmin, graph 1 nohead ls 2 front
set arrow 2 from $l1se, graph 0 to $l1se, graph 1 nohead ls 2 front
set label 1 'lambda.min' at $lmin, graph 1 rotate by 90 right offset -0.6,-0.5 front
set label 2 'lambda.1se' at $l1se, graph 1 rotate by 90 right offset -0.6,-0.5 front"
    # the nonzero counts along the top, at about twelve of the lambdas
    step=$(( (n + 11) / 12 ))
    tics=$(awk -v s="$step" '(NR - 1) % s == 0 { printf "%s\"%s\" %s", sep, $4, $1; sep = ", " }' "$curve")
    draw "$OUT/cv_curve.png" <<GP
$common
set output '$OUT/cv_curve.png'
set title "$(awk 'END { print NR }' "$names") features, l1_ratio $l1_ratio: cross-validated mean squared error"
set ylabel 'mean-squared error'
set x2tics ($tics)
set link x2
set key top left
plot '$curve' using 1:2:3 with yerrorbars pt 7 ps 0.7 lc rgb '#cc2222' title 'cv mean +- 1 se'
GP
    plots="" j=0
    while IFS= read -r name; do
        j=$((j + 1))
        # gnuplot's eight colours, dashed from the ninth on
        plots+="${plots:+, }'$coef' using 1:$((j + 2)) with lines lw 2 lt $j"
        plots+=" dt $(((j - 1) / 8 + 1)) title '$name'"
    done <"$names"
    [ "$j" = "$d" ] || fail "$CV: $j features but $d coefficients per lambda"
    draw "$OUT/cv_path.png" <<GP
$TERM_SPEC
set output '$OUT/cv_path.png'
set grid
set xlabel 'log(lambda)'
set ylabel 'coefficient (columns'' units)'
set title "Coefficient paths, l1_ratio $l1_ratio ($n lambdas)"
set arrow 1 from $lchosen, graph 0 to $lchosen, graph 1 nohead lw 1.5 lc rgb '#606060' dt 2 front
set label 1 'chosen' at $lchosen, graph 1 rotate by 90 right offset -0.6,-0.5 front
set x2tics ($tics)
set link x2
set key outside right
plot $plots
GP
fi
