# interval.sh — predict --interval confidence|prediction --level P: fit, lwr, upr against R's
# predict.lm (datasets/r_predict_interval_reference.tsv, from
# datasets/r_predict_interval_reference.R) on mtcars, iris (a factor), a duplicated column
# (aliased), a weighted fit and one without intercept, under 1-3 ranks x 1-2 threads; with
# robust and clustered covariances against statsmodels' get_prediction; the errors.

PY=/usr/bin/python3  # Debian's, where python3-statsmodels is installed (scripts/install-deps.sh)
CHECK="$ROOT/tests/tools/check_interval.py"
REF="$ROOT/datasets/r_predict_interval_reference.tsv"
MT="$ROOT/datasets/mtcars.csv"

# each case's new rows, as R predicted them
for c in mtcars mtcars-duplicate mtcars-weights-drat iris trees-no-intercept; do
    awk -F'\t' -v c="$c" '$1 == c && $2 == "new" { print $3 }' "$REF" >"$TMP/new_$c.csv"
done
# mtcars with wt_copy = wt before mpg
awk -F, 'BEGIN { OFS = "," } { $NF = (NR == 1 ? "wt_copy" : $5) "," $NF; print }' "$MT" >"$TMP/dup.csv"

: >"$TMP/checks"
check() {
    printf '%s\t%s\n' "$1" "$(shift; printf '%q ' "$@")" >>"$TMP/checks"
}

# --- R: each case trained once with --solver exact and predicted with each (interval, level)
# pair, the runs going round the 6 ranks x threads configurations (each one 3 or 4 times)
declare -A TRAIN=(
    [mtcars]="--target mpg --features wt,hp,qsec $MT"
    [mtcars-duplicate]="--target mpg --features wt,hp,wt_copy,qsec $TMP/dup.csv"
    [mtcars-weights-drat]="--target mpg --features wt,hp --weights drat $MT"
    [iris]="--target Sepal.Length --categorical Species $ROOT/datasets/iris.csv"
    [trees-no-intercept]="--no-intercept $ROOT/datasets/trees.csv"
)
pairs=("confidence 0.95" "prediction 0.90" "prediction 0.95" "confidence 0.90")
configs=("1 1" "2 1" "3 1" "1 2" "2 2" "3 2")
k=0
for c in mtcars mtcars-duplicate mtcars-weights-drat iris trees-no-intercept; do
    lr 2 1 --quiet --solver exact --model-out "$TMP/$c.json" ${TRAIN[$c]} 2>/dev/null
    for pair in "${pairs[@]}"; do
        read -r np th <<<"${configs[$((k % 6))]}"
        read -r kind level <<<"$pair"
        out=$TMP/p_${c}_${np}_$th.csv
        lv=(--level "$level")
        [ "$c $kind $level" = "iris prediction 0.95" ] && lv=()  # the default level
        if [ $((k % 2)) = 0 ]; then
            lr "$np" "$th" predict --model "$TMP/$c.json" --interval "$kind" "${lv[@]}" \
                --output "$out" "$TMP/new_$c.csv" 2>"$TMP/err_${c}_${np}_$th"
        else
            lr "$np" "$th" predict --model "$TMP/$c.json" --interval "$kind" "${lv[@]}" \
                "$TMP/new_$c.csv" >"$out" 2>"$TMP/err_${c}_${np}_$th"
        fi
        check "$c: --interval $kind ${lv[*]:---level 0.95 by default} = R's predict.lm ($np ranks x $th threads)" \
            r "$out" "$REF" "$c" "$kind" "$level"
        k=$((k + 1))
    done
done
# the same bytes under 1 and 2 threads (iris prediction 0.95 ran under 3 ranks x 1 thread)
lr 3 2 predict --model "$TMP/iris.json" --interval prediction --output "$TMP/p_iris_t2.csv" \
    "$TMP/new_iris.csv"
cmp -s "$TMP/p_iris_3_1.csv" "$TMP/p_iris_t2.csv" &&
    ok "--interval: the same bytes under 1 and 2 threads" || not_ok "--interval thread invariance"
# the aliased column: R's warning, once (3 ranks)
[ "$(grep -c "warning: prediction from a rank-deficient fit may be misleading: the aliased coefficient of 'wt_copy' counts as 0" \
    "$TMP/err_mtcars-duplicate_3_2")" = 1 ] &&
    ok "an aliased coefficient: R's warning, once on stderr (3 ranks)" ||
    not_ok "aliased warning" "$(cat "$TMP/err_mtcars-duplicate_3_2")"
# weights: new rows of weight 1, said once for prediction intervals
[ "$(grep -c "trained with --weights drat: each new row's variance is sigma^2 (weight 1)" \
    "$TMP/err_mtcars-weights-drat_1_2")" = 1 ] &&
    ! grep -q "weight 1" "$TMP/err_mtcars-weights-drat_3_1" &&
    ok "--weights: a prediction interval says each new row has weight 1 (a confidence one not)" ||
    not_ok "weights note" "$(cat "$TMP/err_mtcars-weights-drat_1_2")"
# the header: TARGET,fit,lwr,upr when the file has the target column; an unparsable record
# (--on-bad-row skip) keeps its line with empty fields
{ head -4 "$MT"; echo "4,140,x,3.7,3.19,20,1,0,4,2,24.4"; tail -n +5 "$MT"; } >"$TMP/bad.csv"
cut -d, -f1-10 "$TMP/bad.csv" >"$TMP/bad_no_y.csv"
lr 3 1 predict --model "$TMP/mtcars.json" --interval confidence --on-bad-row skip \
    --output "$TMP/p_bad.csv" "$TMP/bad.csv" 2>/dev/null
lr 2 2 predict --model "$TMP/mtcars.json" --interval confidence --on-bad-row skip \
    "$TMP/bad_no_y.csv" >"$TMP/p_bad_no_y.csv" 2>/dev/null
lr 1 1 predict --model "$TMP/mtcars.json" --interval confidence --output "$TMP/p_good.csv" "$MT"
[ "$(head -1 "$TMP/p_bad.csv")" = "mpg,fit,lwr,upr" ] && [ "$(sed -n 5p "$TMP/p_bad.csv")" = ",,," ] &&
    [ "$(wc -l <"$TMP/p_bad.csv")" = 34 ] && cmp -s <(sed 5d "$TMP/p_bad.csv") "$TMP/p_good.csv" &&
    [ "$(sed -n 5p "$TMP/p_bad_no_y.csv")" = ",," ] &&
    cmp -s <(sed 5d "$TMP/p_bad_no_y.csv") <(cut -d, -f2-4 "$TMP/p_good.csv") &&
    ok "with the target: 'mpg,fit,lwr,upr'; a skipped record keeps its line (',,,', without the target ',,')" ||
    not_ok "header and skipped record" "$(head -6 "$TMP/p_bad.csv") / $(sed -n 5p "$TMP/p_bad_no_y.csv")"

# a missing value filled with the training mean (--missing mean): the interval of the row
# with that mean written in
awk -F, 'BEGIN { OFS = "," } NR == 4 { $5 = "" } { print }' "$MT" >"$TMP/gap.csv"
lr 2 1 --quiet --solver exact --missing mean --target mpg --features wt,hp,qsec \
    --model-out "$TMP/gap.json" "$TMP/gap.csv" >/dev/null
fill=$("$PY" -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))["encoding"]["columns"][0]["fill"]))' "$TMP/gap.json")
printf 'wt,hp,qsec\n,150,17\n%s,150,17\n' "$fill" >"$TMP/gap_new.csv"
lr 2 1 predict --model "$TMP/gap.json" --interval prediction "$TMP/gap_new.csv" >"$TMP/p_gap.csv"
[ "$(sed -n 2p "$TMP/p_gap.csv")" = "$(sed -n 3p "$TMP/p_gap.csv")" ] && [ "$(wc -l <"$TMP/p_gap.csv")" = 3 ] &&
    ok "--missing mean: a missing value's interval is the one at the training mean ($fill)" ||
    not_ok "missing value filled" "$(cat "$TMP/p_gap.csv")"

# --- robust and clustered covariances (confidence: V = the robust one; prediction: + sigma^2)
# against statsmodels' get_prediction, and gd --inference
N="$TMP/new_mtcars.csv"
lr 2 2 --quiet --solver exact --cov hc3 --target mpg --features wt,hp,qsec --model-out "$TMP/hc3.json" "$MT"
lr 3 1 --quiet --solver exact --cov cluster:cyl --target mpg --features wt,hp,qsec \
    --model-out "$TMP/cl.json" "$MT"
lr 1 2 --quiet --solver exact --cov hc1 --target mpg --features wt,hp --weights drat \
    --model-out "$TMP/hc1w.json" "$MT"
sm_args=(--target mpg --features wt,hp,qsec)
lr 3 2 predict --model "$TMP/hc3.json" --interval confidence --output "$TMP/p_hc3_c.csv" "$N"
check "--cov hc3, --interval confidence = statsmodels' HC3 mean_ci (3 ranks x 2 threads)" \
    sm "$TMP/p_hc3_c.csv" "$MT" "$N" hc3 confidence 0.95 "${sm_args[@]}"
lr 2 1 predict --model "$TMP/hc3.json" --interval prediction --level 0.9 --output "$TMP/p_hc3_p.csv" "$N"
check "--cov hc3, --interval prediction = statsmodels' HC3 obs_ci (se^2 + sigma^2)" \
    sm "$TMP/p_hc3_p.csv" "$MT" "$N" hc3 prediction 0.90 "${sm_args[@]}"
lr 1 1 predict --model "$TMP/cl.json" --interval confidence --level 0.9 --output "$TMP/p_cl.csv" "$N"
check "--cov cluster:cyl, --interval confidence = statsmodels' cluster mean_ci (t on n - k df)" \
    sm "$TMP/p_cl.csv" "$MT" "$N" cluster:cyl confidence 0.90 "${sm_args[@]}"
awk -F, 'BEGIN { OFS = "," } { print $1, $2 }' "$N" >"$TMP/new_wh.csv"
lr 2 2 predict --model "$TMP/hc1w.json" --interval prediction --output "$TMP/p_hc1w.csv" "$TMP/new_wh.csv" 2>/dev/null
check "--weights drat --cov hc1, --interval prediction = statsmodels' WLS HC1 obs_ci" \
    sm "$TMP/p_hc1w.csv" "$MT" "$TMP/new_wh.csv" hc1 prediction 0.95 --target mpg --features wt,hp --weights drat
cp "$TMP/mtcars.json" "$TMP/cls.json"  # the classical fit above
lr 2 1 predict --model "$TMP/cls.json" --interval prediction --output "$TMP/p_cls.csv" "$N"
check "--cov classical, --interval prediction = statsmodels' obs_ci" \
    sm "$TMP/p_cls.csv" "$MT" "$N" classical prediction 0.95 "${sm_args[@]}"
# gd with --inference stores the covariance too: its intervals are the exact fit's (gd's
# weights certified to 1e-8)
lr 2 1 --quiet --solver nesterov --inference --target mpg --features wt,hp,qsec \
    --model-out "$TMP/gd.json" "$MT" >/dev/null
lr 2 1 predict --model "$TMP/gd.json" --interval confidence --output "$TMP/p_gd.csv" "$N"
tail -n +2 "$TMP/p_gd.csv" | tr , '\n' >"$TMP/gd_got"
awk -F'\t' '$1 == "mtcars" && $2 == "confidence" && $3 == "0.95" { print $5; print $6; print $7 }' \
    "$REF" >"$TMP/gd_want"
why=$(values_close "$TMP/gd_got" "$TMP/gd_want" 1e-6) &&
    ok "nesterov --inference: --interval confidence = R's to 1e-6" || not_ok "gd --inference interval" "$why"

"$PY" "$CHECK" --batch "$TMP/checks" >"$TMP/checked"
while IFS=$'\t' read -r verdict name why; do
    [ "$verdict" = ok ] && ok "$name" || not_ok "$name" "$why"
done <"$TMP/checked"
[ "$(wc -l <"$TMP/checked")" = "$(wc -l <"$TMP/checks")" ] || not_ok "check_interval.py stopped early"

# --- errors: a model without a covariance (gd without --inference, an older file: plain
# predictions still work), a bad --level, --interval where it does not apply
lr 2 1 --quiet --target mpg --features wt,hp,qsec --model-out "$TMP/gd_plain.json" "$MT" >/dev/null
expect_fail "--interval with a gd model without --inference: exit 2, names the fix" 2 \
    "the model $TMP/gd_plain.json holds no coefficient covariance (trained by gd or nesterov without --inference, or with --l2): train it with --solver exact, or add --inference to gd or nesterov" \
    3 predict --model "$TMP/gd_plain.json" --interval confidence "$N"
"$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); del m["inference"]["covariance"]
json.dump(m, open(sys.argv[2], "w"))' "$TMP/cls.json" "$TMP/old.json"
lr 2 1 predict --model "$TMP/old.json" "$N" >"$TMP/p_old.csv" &&
    cmp -s <(tail -n +2 "$TMP/p_old.csv") <(tail -n +2 "$TMP/p_cls.csv" | cut -d, -f1) &&
    ok "a model file without a covariance still predicts" || not_ok "old model predicts"
lr 1 1 predict --model "$TMP/cls.json" --interval none "$N" >"$TMP/p_none.csv" &&
    cmp -s "$TMP/p_none.csv" "$TMP/p_old.csv" && [ "$(head -1 "$TMP/p_none.csv")" = prediction ] &&
    ok "--interval none: the plain predictions" || not_ok "--interval none"
expect_fail "--interval with a model file without a covariance: exit 2" 2 \
    "holds no coefficient covariance" 2 predict --model "$TMP/old.json" --interval prediction "$N"
lr 1 1 --quiet --solver exact --l2 1 --target mpg --features wt,hp,qsec --model-out "$TMP/l2.json" "$MT" >/dev/null
expect_fail "--interval with an --l2 model: exit 2" 2 "holds no coefficient covariance" \
    1 predict --model "$TMP/l2.json" --interval confidence "$N"
expect_fail "--level 2: exit 2" 2 "\-\-level: '2' is not a number between 0 and 1" \
    1 predict --model "$TMP/cls.json" --interval confidence --level 2 "$N"
expect_fail "--interval with evaluate: a usage error" 2 \
    "option --interval does not apply to 'evaluate'" \
    1 evaluate --model "$TMP/cls.json" --interval confidence "$MT"
# a fit with no residual degrees of freedom; a covariance with a null (not finite) entry
lr 1 1 --quiet --solver exact --model-out "$TMP/saturated.json" "$ROOT/datasets/tutorial.csv" >/dev/null
expect_fail "--interval after a fit with no residual degrees of freedom: exit 2" 2 \
    "was fitted with no residual degrees of freedom (as many coefficients as rows), so intervals are not defined" \
    2 predict --model "$TMP/saturated.json" --interval prediction "$ROOT/datasets/tutorial.csv"
"$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); m["inference"]["covariance"][1][2] = None
json.dump(m, open(sys.argv[2], "w"))' "$TMP/cls.json" "$TMP/null.json"
expect_fail "--interval with a null in a covariance of no aliased coefficient: exit 65" 65 \
    "null.json: --interval: the model's classical covariance has entries that are not finite (null)" \
    2 predict --model "$TMP/null.json" --interval confidence "$N"
# a covariance of the wrong shape: plain predictions still work; --interval says why
"$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); m["inference"]["covariance"].pop()
json.dump(m, open(sys.argv[2], "w"))' "$TMP/cls.json" "$TMP/short.json"
lr 2 1 predict --model "$TMP/short.json" "$N" >"$TMP/p_short.csv" &&
    cmp -s "$TMP/p_short.csv" "$TMP/p_old.csv" &&
    ok "a model whose covariance has a row missing still predicts (plain)" ||
    not_ok "plain predict with a malformed covariance" "$(head -c 300 "$TMP/p_short.csv")"
expect_fail "--interval with a covariance of the wrong shape: exit 65, says what is wrong" 65 \
    "short.json: --interval: the model's covariance cannot be used: \"inference.covariance\" is not a list of one row per coefficient" \
    2 predict --model "$TMP/short.json" --interval confidence "$N"
