# penalties.sh — --l1 (lasso, elastic net), --loss huber and --weights against scikit-learn
# (tests/tools/check_penalties.py: ElasticNet, Lasso, HuberRegressor, LinearRegression with
# sample_weight, on the same standardised data), gd and nesterov with --l2 against
# closed-form ridge; rank and thread invariance; a robust fit on data with gross outliers;
# checkpoint resume; bad weights and option combinations.

PY=/usr/bin/python3  # Debian's, with scikit-learn (scripts/install-deps.sh)
CHK="$ROOT/tests/tools/check_penalties.py"
"$PY" "$CHK" gen "$TMP"  # pen.csv (9000 rows, 8 features, weights 'wt'), outliers.csv, truth.json
D="$TMP/pen.csv"

# check N ARGS...: queue a check of the checker, which reports N lines; one Python runs
# them all at the end (its start-up, with scikit-learn, is most of a check's time)
: >"$TMP/checks"
EXPECT=0
check() {
    EXPECT=$((EXPECT + $1))
    shift
    echo "$*" >>"$TMP/checks"
}

# judge N DESC < REPORT: each "ok ..." / "FAIL ...: why" line of the checker counts; fewer
# than N lines (the checker failed) is a failure too
judge() {
    local n=0 line
    while IFS= read -r line; do
        n=$((n + 1))
        case "$line" in
        "ok "*) ok "${line#ok }" ;;
        *) not_ok "${line#FAIL }" ;;
        esac
    done
    [ "$n" -ge "$1" ] || not_ok "$2: $n of $1 checks reported"
}

# fit NAME NP THREADS ARGS...: train on pen.csv into $TMP/NAME.json (quiet)
fit() {
    local name=$1 np=$2 th=$3
    shift 3
    lr "$np" "$th" --quiet --model-out "$TMP/$name.json" "$@" || not_ok "$name: exit $?"
}

# --- elastic net with weights: ranks 1-3 x threads 1-2 (9000 rows: 3 parts of the kernel on
# one rank, so two threads share them)
models=()
for np in 1 2 3; do
    for th in 1 2; do
        fit "en$np$th" "$np" "$th" --weights wt --l1 3000 --l2 2000 "$D"
        models+=("$TMP/en$np$th.json")
    done
done
check 6 enet "$D" wt 3000 2000 "${models[@]}"
check 1 same 1e-12 "${models[@]}"

# --- lasso without weights (the weight column dropped), and the summary line
lr 1 1 --drop wt --l1 5000 --model-out "$TMP/la11.json" "$D" 2>/dev/null >"$TMP/la.out"
fit la32 3 2 --drop wt --l1 5000 "$D"
check 2 enet "$D" - 5000 0 "$TMP/la11.json" "$TMP/la32.json"
check 1 same 1e-12 "$TMP/la11.json" "$TMP/la32.json"
grep -q "^4 of 8 features selected" "$TMP/la.out" && grep -q '"features_selected": 4,\?$' "$TMP/la11.json" &&
    ok "lasso: the summary says '4 of 8 features selected', as training.features_selected" ||
    not_ok "lasso summary" "$(grep selected "$TMP/la.out")"

# --- ridge: plain gd and nesterov with --l2 alone against the closed form (the weights
# column dropped: no weights, no L1, no Huber, so gd.h's own loop runs, not prox.h's)
models=()
for cfg in "gd 1 1" "gd 3 2" "nesterov 2 1"; do
    read -r solver np th <<<"$cfg"
    fit "ri$solver$np$th" "$np" "$th" --drop wt --solver "$solver" --l2 2000 "$D"
    models+=("$TMP/ri$solver$np$th.json")
done
check 3 ridge "$D" 2000 "${models[@]}"

# --- Huber with weights, and the scale σ in the model
models=()
for cfg in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$cfg"
    fit "hu$np$th" "$np" "$th" --weights wt --loss huber "$D"
    models+=("$TMP/hu$np$th.json")
done
check 3 huber "$D" wt 1.35 "${models[@]}"
check 1 same 1e-12 "${models[@]}"
grep -q '"loss": "huber",' "$TMP/hu11.json" && grep -q '"huber_delta": 1.35' "$TMP/hu11.json" &&
    grep -q '"weights": "wt",' "$TMP/hu11.json" && grep -q '"l1": 0.0,' "$TMP/hu11.json" &&
    ok "model JSON: training.loss, huber_delta, huber_scale, weights, l1" ||
    not_ok "model JSON keys" "$(grep -A12 '"training"' "$TMP/hu11.json" | tr -d '\n')"

# --- weighted least squares: gd (1e-6) and the exact solver (1e-9)
gd=() ex=()
for cfg in "1 1" "3 2"; do
    read -r np th <<<"$cfg"
    fit "wg$np$th" "$np" "$th" --weights wt "$D"
    fit "we$np$th" "$np" "$th" --weights wt --solver exact --test "$D" "$D"
    gd+=("$TMP/wg$np$th.json")
    ex+=("$TMP/we$np$th.json")
done
check 2 wls "$D" wt 1e-6 "${gd[@]}"
check 1 same 1e-12 "${gd[@]}"
check 2 wls "$D" wt 1e-9 "${ex[@]}"
check 1 same 1e-12 "${ex[@]}"
check 1 wlsinf "$D" wt "$TMP/we32.json"
# rows of zero weight are no observations for adjusted R² (R's summary.lm): the training
# metrics and the inference table agree, and equal numpy's weighted fit on the other rows
awk -F, -v OFS=, 'NR > 1 && NR % 7 == 0 { $4 = 0 } { print }' "$D" >"$TMP/zw.csv"
fit zw 2 1 --weights wt --solver exact "$TMP/zw.csv"
want=$("$PY" - "$TMP/zw.csv" <<'PY'
import sys, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1]); w = df.pop("wt").to_numpy(); y = df.pop("y").to_numpy()
X = np.column_stack([np.ones(len(y)), df.to_numpy()]); k = w > 0
s = np.sqrt(w[k]); beta = np.linalg.lstsq(X[k] * s[:, None], y[k] * s, rcond=None)[0]
e = y[k] - X[k] @ beta; ybar = np.average(y[k], weights=w[k])
r2 = 1 - (w[k] * e * e).sum() / (w[k] * (y[k] - ybar) ** 2).sum()
n, p = k.sum(), X.shape[1] - 1
print(repr(1 - (1 - r2) * (n - 1) / (n - p - 1)))
PY
)
adj=($(json_numbers "$TMP/zw.json" adjusted_r2))
[ "${#adj[@]}" -ge 2 ] && close "${adj[0]}" "$want" 1e-10 && close "${adj[1]}" "$want" 1e-10 &&
    ok "zero weights: adjusted R² of the metrics and the inference table = numpy's over the rows with weight (1e-10)" ||
    not_ok "adjusted R² with zero weights" "${adj[*]} vs $want"
# evaluate: weighted metrics where the file has the model's weight column
lr 2 1 evaluate --json --model "$TMP/we11.json" "$D" >"$TMP/ev.json" 2>"$TMP/ev.err"
close "$(json_numbers "$TMP/ev.json" mse)" "$(json_numbers "$TMP/we11.json" mse | head -1)" 1e-12 &&
    grep -q "metrics weighted by the model's --weights column" "$TMP/ev.err" &&
    ok "evaluate: weighted MSE, the training's" || not_ok "evaluate weighted" "$(cat "$TMP/ev.err")"

# --- integer weights are repeated rows (huber and elastic net together)
fit rep 2 1 --weights wt --loss huber --l1 50 --l2 10 "$TMP/rep.csv"
fit dup 3 1 --loss huber --l1 50 --l2 10 "$TMP/rep_dup.csv"
check 1 dup "$TMP/rep.json" "$TMP/dup.json"

# --- 10% gross outliers in y: Huber stays near the clean truth, squared loss does not
fit osq 2 1 "$TMP/outliers.csv"
fit ohu 2 1 --loss huber "$TMP/outliers.csv"
check 1 outliers "$TMP/truth.json" "$TMP/osq.json" "$TMP/ohu.json"

# --- checkpoint: stop after 80 epochs, resume to 200: the uninterrupted run's model bitwise
CK=(--quiet --tol 0 --weights wt --l1 300 --loss huber --checkpoint-every 50)
lr 2 1 "${CK[@]}" --epochs 200 --model-out "$TMP/full.json" "$D"
lr 2 1 "${CK[@]}" --epochs 80 --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$D"
lr 2 1 "${CK[@]}" --epochs 200 --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" \
    --model-out "$TMP/resumed.json" "$D"
if cmp -s <(grep -v '"seconds"' "$TMP/full.json") <(grep -v '"seconds"' "$TMP/resumed.json") &&
    grep -q '"epochs": 200,' "$TMP/resumed.json"; then
    ok "l1 + huber + weights: resumed after epoch 80, the model of the uninterrupted run bitwise"
else
    not_ok "checkpoint resume" "$(diff <(grep -v seconds "$TMP/full.json") <(grep -v seconds "$TMP/resumed.json") | head -5)"
fi
# (other --l1, --loss, --huber-delta: the unit test of ckpt_check)
for other in "--l1 200" "--drop wt"; do
    args=("${CK[@]}")
    [ "$other" = "--drop wt" ] && args=(--quiet --tol 0 --l1 300 --loss huber --checkpoint-every 50)
    # shellcheck disable=SC2086
    expect_fail "resume with $other refused" 65 "made with other options" 2 "${args[@]}" $other \
        --epochs 200 --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" "$D"
done

# the same rows with one weight changed: refused, naming the weights column
awk -F, -v OFS=, 'NR == 5 { $4 = $4 + 1 } { print }' "$D" >"$TMP/w1.csv"
expect_fail "resume with one weight changed refused" 65 \
    "made from other data: the same rows in another order (the validation split and the rounding depend on it), or other values in the --weights column 'wt'" \
    2 "${CK[@]}" --epochs 200 --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" "$TMP/w1.csv"

# --- "converged" is claimed only where the test holds: an epoch limit is not convergence
fit lim 2 1 --weights wt --l1 3000 --epochs 5 "$D"
grep -q '"converged": false,' "$TMP/lim.json" && grep -q '"stopped_by": "epoch_limit",' "$TMP/lim.json" &&
    ok "l1 run cut at --epochs 5: converged false, stopped_by epoch_limit" ||
    not_ok "epoch limit" "$(grep -E 'converged|stopped_by' "$TMP/lim.json" | tr -d '\n')"

# a loose --tol stops early: reported stalled with a warning, never converged
for a in "--loss huber" "--l1 3000"; do
    # shellcheck disable=SC2086
    lr 2 1 --weights wt $a --tol 1e-3 --model-out "$TMP/loose.json" "$D" >"$TMP/loose.out" 2>"$TMP/loose.err"
    grep -q '"converged": false,' "$TMP/loose.json" && grep -q '"stopped_by": "stalled",' "$TMP/loose.json" &&
        grep -q "warning: .*reported as stalled" "$TMP/loose.err" &&
        grep -q "^stalled (not converged) after" "$TMP/loose.out" &&
        ok "$a --tol 1e-3: stalled with a warning, not converged ($(grep -o '"error_bound": [0-9.e-]*' "$TMP/loose.json"))" ||
        not_ok "$a --tol 1e-3" "$(grep -E 'converged|stopped_by' "$TMP/loose.json" | tr -d '\n') $(grep warning "$TMP/loose.err")"
done

# --- bad weights and options, the same exit on every rank
printf 'x,wt,y\n1,1,2\n2,-0.5,3\n3,1,4\n4,2,6\n' >"$TMP/neg.csv"
printf 'x,wt,y\n1,1,2\n2,,3\n3,1,4\n4,2,6\n' >"$TMP/miss.csv"
printf 'x,wt,y\n1,1,2\n2,1,3\n3,heavy,4\n4,2,6\n' >"$TMP/text.csv"
printf 'x,wt,y\n1,0,2\n2,0,3\n3,0,4\n4,0,6\n' >"$TMP/zero.csv"
expect_fail "negative weight" 65 "neg.csv:3:3: column 'wt': weight '-0.5' is negative" 3 \
    --weights wt "$TMP/neg.csv"
expect_fail "--drop of the weights column is a usage error" 2 "--drop: 'wt' is the --weights column" 2 \
    --weights wt --drop wt "$TMP/neg.csv"
expect_fail "all weights zero" 65 "zero.csv: the --weights column's weights are all zero" 2 \
    --weights wt "$TMP/zero.csv"
expect_fail "missing weight" 65 "miss.csv:3:3: column 'wt': '' is empty.*--weights column" 2 \
    --weights wt "$TMP/miss.csv"
expect_fail "weight not a number" 65 "text.csv:4:3: column 'wt': 'heavy' is not a number" 3 \
    --weights wt "$TMP/text.csv"
expect_fail "weights column is the target" 2 "--weights: 'y' is the target column" 2 \
    --weights y "$TMP/neg.csv"
expect_fail "huber with the exact solver" 2 "--loss huber has no closed-form solution: use --solver gd" 2 \
    --solver exact --loss huber "$D"
expect_fail "l1 with the exact solver" 2 "--l1 has no closed-form solution" 3 --solver exact --l1 1 "$D"
expect_fail "inference with l1" 2 "drop --l1 or --inference" 2 --inference --l1 1 "$D"
expect_fail "huber delta <= 1" 2 "--huber-delta: '1' is not a number > 1" 1 --loss huber --huber-delta 1 "$D"
lr 2 1 --quiet --weights wt --on-bad-row skip --model-out "$TMP/skip.json" "$TMP/neg.csv" 2>/dev/null
grep -q '"rows": 3,' "$TMP/skip.json" && ok "--on-bad-row skip skips the row with a negative weight" ||
    not_ok "skip a negative weight" "$(grep rows "$TMP/skip.json")"

# --- the queued comparisons with scikit-learn
judge "$EXPECT" "check_penalties.py" < <("$PY" "$CHK" batch "$TMP/checks")
