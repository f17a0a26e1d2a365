# predict.sh — applying models: predict, evaluate, validation split, early stopping, --test,
# and the plots.

"$GEN" --rows 3000 --features 5 --kind hard --seed 31 "$TMP/p.csv" 2>/dev/null
lr 2 1 --quiet --model-out "$TMP/p.json" "$TMP/p.csv"
read -r -a M < <(model_values "$TMP/p.json" | tr '\n' ' ')  # b w1..w5

# the features in another order, and no target column
awk -F, 'BEGIN { OFS = "," } { print $4, $2, $5, $1, $3 }' "$TMP/p.csv" >"$TMP/shuffled.csv"
# independently: b + Σ w_j x_j in awk, from the original column order
awk -F, -v b="${M[0]}" -v w1="${M[1]}" -v w2="${M[2]}" -v w3="${M[3]}" -v w4="${M[4]}" -v w5="${M[5]}" \
    'NR > 1 { printf "%.17g\n", b + w1 * $1 + w2 * $2 + w3 * $3 + w4 * $4 + w5 * $5 }' "$TMP/p.csv" >"$TMP/want.txt"
for np in 1 2 3; do
    lr "$np" 1 predict --model "$TMP/p.json" --output "$TMP/pred.csv" "$TMP/shuffled.csv"
    tail -n +2 "$TMP/pred.csv" >"$TMP/got.txt"
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-12) && [ "$(head -1 "$TMP/pred.csv")" = prediction ] &&
        ok "predict --output: b + w.x to 1e-12 in input row order, columns shuffled (np=$np)" ||
        not_ok "predict --output (np=$np)" "$why"
    lr "$np" 1 predict --model "$TMP/p.json" "$TMP/shuffled.csv" 2>/dev/null | tail -n +2 >"$TMP/got.txt"
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-12) &&
        ok "predict to stdout: the same, in order (np=$np)" || not_ok "predict to stdout (np=$np)" "$why"
done
# with the target column present: "y,prediction", y passed through exactly
lr 2 1 predict --model "$TMP/p.json" --output "$TMP/pred2.csv" "$TMP/p.csv"
[ "$(head -1 "$TMP/pred2.csv")" = "y,prediction" ] &&
    cmp -s <(tail -n +2 "$TMP/pred2.csv" | cut -d, -f1 | awk '{ printf "%.17g\n", $1 }') \
        <(tail -n +2 "$TMP/p.csv" | awk -F, '{ printf "%.17g\n", $NF }') &&
    ok "predict keeps the actual target next to the prediction" || not_ok "predict with target"

# evaluate against an independent computation of every metric
lr 3 1 evaluate --json --model "$TMP/p.json" "$TMP/p.csv" >"$TMP/ev.json"
paste "$TMP/want.txt" <(tail -n +2 "$TMP/p.csv" | awk -F, '{ print $NF }') | awk -v d=5 '
    { e = $1 - $2; sse += e * e; sae += (e < 0 ? -e : e); sy += $2; y[NR] = $2 }
    END { m = NR; mean = sy / m; for (i = 1; i <= m; i++) sst += (y[i] - mean)^2
          r2 = 1 - sse / sst
          printf "%d %.17g %.17g %.17g %.17g %.17g\n", m, sse / m, sqrt(sse / m), sae / m, r2, 1 - (1 - r2) * (m - 1) / (m - d - 1) }' >"$TMP/ev_awk.txt"
read -r rows mse rmse mae r2 adj <"$TMP/ev_awk.txt"
bad=""
for kv in "mse $mse" "rmse $rmse" "mae $mae" "r2 $r2" "adjusted_r2 $adj"; do
    set -- $kv
    close "$(json_numbers "$TMP/ev.json" "$1")" "$2" 1e-10 || bad+="$1 $(json_numbers "$TMP/ev.json" "$1") vs $2; "
done
[ "$(json_numbers "$TMP/ev.json" rows)" = "$rows" ] && [ -z "$bad" ] &&
    ok "evaluate: rows, MSE, RMSE, MAE, R^2, adjusted R^2 match awk (1e-10)" || not_ok "evaluate" "$bad"

# the validation split: the same rows under 1, 2, 4 ranks x 1, 2 threads
"$GEN" --rows 20000 --features 4 --seed 32 "$TMP/v.csv" 2>/dev/null
vsig() { awk '/"validation": \{/ { v = 1 } v && /"rows"|"mse"/ { gsub(/[ ,]/, ""); printf "%s ", $0 } v && /\}/ { exit }' "$1"; }
lr 1 1 --quiet --validation-split 0.2 --seed 5 --tol 0 --epochs 50 --model-out "$TMP/v_ref.json" "$TMP/v.csv"
ref=$(vsig "$TMP/v_ref.json")
ref_rows=$(echo "$ref" | grep -o '"rows":[0-9]*' | cut -d: -f2)
ref_mse=$(echo "$ref" | grep -o '"mse":[-0-9.e+]*' | cut -d: -f2)
for cfg in "2 1" "4 1" "1 2" "2 2"; do
    read -r np th <<<"$cfg"
    lr "$np" "$th" --quiet --validation-split 0.2 --seed 5 --tol 0 --epochs 50 --model-out "$TMP/v.json" "$TMP/v.csv"
    got=$(vsig "$TMP/v.json")
    rows=$(echo "$got" | grep -o '"rows":[0-9]*' | cut -d: -f2)
    mse=$(echo "$got" | grep -o '"mse":[-0-9.e+]*' | cut -d: -f2)
    [ "$rows" = "$ref_rows" ] && close "$mse" "$ref_mse" 1e-12 &&
        ok "validation split: $rows rows, MSE equal to 1e-12 under $np ranks x $th threads" ||
        not_ok "validation split under $np x $th" "$got vs $ref"
done
[ "$ref_rows" -gt 3700 ] && [ "$ref_rows" -lt 4300 ] && ok "validation split holds out about 20% ($ref_rows of 20000)" ||
    not_ok "validation split size" "$ref_rows"

# early stopping: 80 rows, 40 noise features, so that fitting them all overfits
awk 'BEGIN { srand(3); printf "x1"; for (j = 2; j <= 40; j++) printf ",x%d", j; print ",y"
    for (i = 0; i < 80; i++) { s = ""; for (j = 1; j <= 40; j++) { v = rand() - 0.5; s = s (j > 1 ? "," : "") v; if (j == 1) x1 = v }
    print s "," (2 * x1 + (rand() - 0.5)) } }' >"$TMP/over.csv"
lr 2 1 --quiet --validation-split 0.3 --patience 30 --solver gd --lr 0.05 --epochs 5000 \
    --log "$TMP/over_log.csv" --model-out "$TMP/over.json" "$TMP/over.csv"
read -r best_epoch best_val < <(awk -F, 'NR > 1 && (best == "" || $8 < best) { best = $8; e = $1 } END { print e, best }' "$TMP/over_log.csv")
epochs=$(json_numbers "$TMP/over.json" epochs)
vmse=$(vsig "$TMP/over.json" | grep -o '"mse":[-0-9.e+]*' | cut -d: -f2)
[ "$(json_numbers "$TMP/over.json" best_epoch)" = "$best_epoch" ] && [ "$epochs" = $((best_epoch + 30)) ] &&
    grep -q '"converged": false,' "$TMP/over.json" && grep -q '"stopped_by": "early_stopping",' "$TMP/over.json" &&
    close "$vmse" "$(awk -v v="$best_val" 'BEGIN { printf "%.17g", 2 * v }')" 1e-12 &&
    ok "early stopping: stops $((epochs - best_epoch)) epochs after the best ($best_epoch), keeps its weights" ||
    not_ok "early stopping" "epochs=$epochs best=$best_epoch val_mse=$vmse best_val=$best_val"

# --test: the model's metrics.test equal evaluate's on that file
if lr 2 1 --test "$TMP/v.csv" --model-out "$TMP/t.json" "$TMP/p.csv" >"$TMP/out" 2>"$TMP/err"; then
    not_ok "--test with missing columns should fail"
elif grep -q "the training data's features: no column named 'x5'" "$TMP/err" && ! grep -q "^epoch" "$TMP/out"; then
    ok "--test with missing columns fails before training"
else
    not_ok "--test columns" "$(head -2 "$TMP/err")"
fi
head -1001 "$TMP/p.csv" >"$TMP/p_test.csv"
lr 2 1 --quiet --test "$TMP/p_test.csv" --model-out "$TMP/t.json" "$TMP/p.csv"
lr 2 1 evaluate --json --model "$TMP/t.json" "$TMP/p_test.csv" >"$TMP/t_ev.json"
tmse=$(awk '/"test": \{/ { t = 1 } t && /"mse"/ { gsub(/[ ,]/, ""); split($0, a, ":"); print a[2]; exit }' "$TMP/t.json")
close "$tmse" "$(json_numbers "$TMP/t_ev.json" mse)" 1e-12 && ok "--test: metrics.test equals evaluate on the test file" ||
    not_ok "--test metrics" "$tmse vs $(json_numbers "$TMP/t_ev.json" mse)"

# errors
printf '{"hello": 1}\n' >"$TMP/not_model.json"
expect_fail "predict: a file that is not a model" 65 "not a linreg_mpi model" 2 predict --model "$TMP/not_model.json" "$TMP/p.csv"
sed 's/"features": \[/"features": ["x1", /' "$TMP/p.json" >"$TMP/twice.json"
expect_fail "predict: a model listing a feature twice" 65 "not a linreg_mpi model: a feature is listed twice" 2 predict --model "$TMP/twice.json" "$TMP/p.csv"
sed 's/"features": \[/"features": ["y", /' "$TMP/p.json" >"$TMP/target_too.json"
expect_fail "evaluate: a model whose target is a feature" 65 "not a linreg_mpi model: the target is also a feature" 2 evaluate --model "$TMP/target_too.json" "$TMP/p.csv"
expect_fail "predict: the model is a directory" 66 "cannot read the model: Is a directory" 2 predict --model "$TMP" "$TMP/p.csv"
expect_fail "predict: --output is the input file" 2 "--output '$TMP/p.csv' is the input file" 2 predict --model "$TMP/p.json" --output "$TMP/p.csv" "$TMP/p.csv"
expect_fail "predict: a missing model" 66 "cannot read the model" 2 predict --model "$TMP/none.json" "$TMP/p.csv"
cut -d, -f1,2,3,4 "$TMP/p.csv" >"$TMP/missing_col.csv"
expect_fail "predict: a feature column missing" 65 "the model's features: no column named 'x5'" 2 predict --model "$TMP/p.json" "$TMP/missing_col.csv"
expect_fail "evaluate: no target column" 65 "the model's target: no column named 'y'" 2 evaluate --model "$TMP/p.json" "$TMP/shuffled.csv"
mkdir -p "$TMP/out_dir"
expect_fail "predict: --output is a directory" 74 "out_dir: cannot write the predictions: this is a directory" 2 predict --model "$TMP/p.json" --output "$TMP/out_dir" "$TMP/p.csv"
expect_fail "predict without --model" 2 "predict needs --model" 1 predict "$TMP/p.csv"
expect_fail "--patience without validation" 2 "--patience needs validation rows" 1 --patience 5 "$TMP/p.csv"
expect_fail "--validation-split 1" 2 "--validation-split: '1' is not below 1" 1 --validation-split 1 "$TMP/p.csv"

# plots: real PNG files with sensible sizes
png_ok() {  # signature, then IHDR width and height (big-endian) both between 100 and 5000
    [ "$(head -c 8 "$1" | od -An -t x1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        od -An -t u1 -j 16 -N 8 "$1" | awk '{ w = $1 * 16777216 + $2 * 65536 + $3 * 256 + $4
            h = $5 * 16777216 + $6 * 65536 + $7 * 256 + $8; exit !(w >= 100 && w <= 5000 && h >= 100 && h <= 5000) }'
}
lr 2 1 --quiet --validation-split 0.25 --log "$TMP/tl.csv" --model-out "$TMP/tm.json" "$ROOT/datasets/trees.csv"
lr 2 1 predict --model "$TMP/tm.json" --output "$TMP/tp.csv" "$ROOT/datasets/trees.csv"
lr 2 1 --quiet --features Girth --model-out "$TMP/g.json" "$ROOT/datasets/trees.csv"
"$ROOT/scripts/plot.sh" --log "$TMP/tl.csv" --predictions "$TMP/tp.csv" --model "$TMP/g.json" \
    --data "$ROOT/datasets/trees.csv" --out "$TMP/plots" >/dev/null
for png in loss pred_vs_actual fit; do
    png_ok "$TMP/plots/$png.png" && ok "plot.sh: $png.png is a valid PNG" || not_ok "plot.sh: $png.png"
done
# the same fit from a tab-separated copy; a log without epochs fails and leaves no PNG
tr ',' '\t' <"$ROOT/datasets/trees.csv" >"$TMP/trees.tsv"
"$ROOT/scripts/plot.sh" --model "$TMP/g.json" --data "$TMP/trees.tsv" --delimiter tab --out "$TMP/plots_tab" >/dev/null &&
    png_ok "$TMP/plots_tab/fit.png" && ok "plot.sh --delimiter tab: fit.png" || not_ok "plot.sh --delimiter tab"
head -1 "$TMP/tl.csv" >"$TMP/no_epochs.csv"
rc=0
"$ROOT/scripts/plot.sh" --log "$TMP/no_epochs.csv" --out "$TMP/plots_bad" 2>"$TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "is not a linreg_mpi --log file with epochs" "$TMP/err" && [ ! -e "$TMP/plots_bad/loss.png" ] &&
    "$ROOT/scripts/plot.sh" --help >/dev/null &&
    ok "plot.sh: a log without epochs fails clearly, no PNG; --help exits 0" || not_ok "plot.sh errors" "rc=$rc $(head -1 "$TMP/err")"

# --- predict --on-bad-row skip: output line k belongs to data record k, whatever the ranks;
# a skipped record (a text value, an empty field, a multi-line record with a bad field) gets
# an empty prediction, and the good ones are what the model gives
printf 'x,y\n1,2\n2,oops\n3,6\n,8\n5,10\n"6",12\n7,"bad\nvalue"\n8,16\n' >"$TMP/skip.csv"
printf 'x,y\n1,2\n3,6\n5,10\n' >"$TMP/skip_train.csv"
lr 1 1 --quiet --solver exact --model-out "$TMP/skip.json" "$TMP/skip_train.csv"
want='y,prediction|2,2|,|6,6|,|10,10|12,12|,|16,16|'
for np in 1 2 3; do
    got=$(lr "$np" 1 predict --on-bad-row skip --model "$TMP/skip.json" "$TMP/skip.csv" 2>"$TMP/err" |
        awk -F, 'NR == 1 || NF < 2 || $2 == "" { print; next } { printf "%s,%.0f\n", $1, $2 }' | tr '\n' '|')
    [ "$got" = "$want" ] && grep -q "skipped 3 bad rows" "$TMP/err" &&
        ok "predict --on-bad-row skip (np=$np): one line per record, empty where skipped" ||
        not_ok "predict --on-bad-row skip (np=$np)" "got $got; $(cat "$TMP/err")"
done
printf 'x\n1\nbad\n3\n' >"$TMP/skip_x.csv"
lr 2 1 predict --on-bad-row skip --model "$TMP/skip.json" --output "$TMP/skip_x.out" "$TMP/skip_x.csv" 2>/dev/null
[ "$(awk 'NR == 1 || NR == 3 { printf "%s|", $0; next } { printf "%.0f|", $1 }' "$TMP/skip_x.out")" = 'prediction|2|""|6|' ] &&
    ok "predict --output without the target: '\"\"' for a skipped record, so the line is not blank" ||
    not_ok "predict skip without target" "$(tr '\n' '|' <"$TMP/skip_x.out")"

# --- a model trained with --missing skip (R's default na.omit) is applied as R's predict()
# does: a row with a missing feature gets no prediction (an empty field), counted on
# stderr; every other row's prediction equals R's (datasets/r_exports: write.csv(airquality),
# its row names left out as an index column)
RX=$ROOT/datasets/r_exports
lr 2 1 --quiet --solver exact --missing skip --target Ozone --model-out "$TMP/aq.json" "$RX/airquality.csv" 2>/dev/null
grep -q '"missing": "skip"' "$TMP/aq.json" && for np in 1 3; do
    lr "$np" 1 predict --model "$TMP/aq.json" "$RX/airquality.csv" >"$TMP/aq.out" 2>"$TMP/err"
    # 153 rows: prediction or NA, as R prints them
    tail -n +2 "$TMP/aq.out" | awk -F, '{ print ($2 == "" ? "NA" : $2) }' >"$TMP/got.txt"
    nas=$(grep -c '^NA$' "$RX/airquality_predict.txt")
    bad=$(paste "$TMP/got.txt" "$RX/airquality_predict.txt" | awk '
        ($1 == "NA") != ($2 == "NA") { print "row " NR ": " $1 " vs " $2; next }
        $1 != "NA" { d = $1 - $2; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2; if (d > 1e-9 * m) print "row " NR ": " $1 " vs " $2 }' | head -3)
    [ "$(wc -l <"$TMP/got.txt")" = 153 ] && [ -z "$bad" ] &&
        grep -q "skipped $nas rows (0 bad (--on-bad-row skip), $nas with a missing value" "$TMP/err" &&
        ok "predict with a --missing skip model (np=$np): $nas rows empty where R's predict() gives NA, the other $((153 - nas)) = R's to 1e-9" ||
        not_ok "predict with a --missing skip model (np=$np)" "$bad $(head -3 "$TMP/err")"
done

# --- a target named with a comma, a quote and a newline (legal inside quotes) is quoted in
# predict's CSV (RFC 4180), to --output and to stdout: python's csv reads back the header as
# the name and "prediction", and each row as b + w.x; an error naming a missing column that
# holds a newline is one line, the name escaped as describe shows it ('x\x0aq')
NM="$ROOT/tests/tools/check_names.py"
python3 "$NM" data "$TMP/names.csv"
python3 "$NM" data "$TMP/names-x.csv" 0  # without the column x<LF>q
"$BIN" --quiet --solver exact --categorical auto --model-out "$TMP/names.json" "$TMP/names.csv" \
    >/dev/null </dev/null
lr 2 1 predict --model "$TMP/names.json" --output "$TMP/names-pred.csv" "$TMP/names.csv"
"$BIN" predict --model "$TMP/names.json" "$TMP/names.csv" >"$TMP/names-stdout.csv" 2>/dev/null </dev/null
for f in names-pred names-stdout; do
    python3 "$NM" csv "$TMP/$f.csv" "$TMP/names.csv" "$TMP/names.json" >"$TMP/check"
    grep -q "^ok " "$TMP/check" && ok "$(cut -c4- "$TMP/check") ($f)" ||
        not_ok "predict's CSV with such a target name ($f)" "$(cat "$TMP/check")"
done
rc=0
"$BIN" evaluate --model "$TMP/names.json" "$TMP/names-x.csv" >/dev/null 2>"$TMP/err" </dev/null || rc=$?
[ "$rc" = 65 ] && [ "$(cat "$TMP/err")" = "$TMP/names-x.csv:1:1: the model's features: no column named 'x\x0aq' (columns: g\x0dh, a,b, q\"t, y\"\x09z,\x0aw)" ] &&
    ok "evaluate: a missing column named with a newline: one line, escaped, exit 65" ||
    not_ok "evaluate: a missing column named with a newline" "exit $rc: $(cat -A "$TMP/err" | head -3)"
