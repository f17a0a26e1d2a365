# train.sh — the trainer end to end: golden values, exact least squares, invariance, errors.

# --- the tutorial's golden example: plain GD, no scaling, exactly 10000 epochs
for np in 1 2; do
    lr "$np" 1 --no-scale --lr 0.01 --epochs 10000 --tol 0 --quiet --model-out "$TMP/tut.json" \
        "$ROOT/datasets/tutorial.csv"
    read -r b w < <(model_values "$TMP/tut.json" | tr '\n' ' ')
    [ "$(printf '%.4f %.4f' "$w" "$b")" = "199.9929 100.0116" ] &&
        grep -q '"epochs": 10000,' "$TMP/tut.json" && grep -q '"stopped_by": "epoch_limit",' "$TMP/tut.json" &&
        ok "golden tutorial example: w 199.9929, b 100.0116 (np=$np)" ||
        not_ok "golden tutorial example (np=$np)" "got w=$w b=$b"
done

# --- default options reach the exact least-squares solution (QR in tests/tools/lstsq.c)
"$GEN" --rows 20000 --features 8 --kind hard --seed 21 --noise 0.5 "$TMP/hard.csv" 2>/dev/null
for f in "$TMP/hard.csv" "$ROOT/datasets/trees.csv" "$ROOT/datasets/stackloss.csv" \
    "$ROOT/datasets/swiss.csv"; do
    name=$(basename "$f")
    lr 2 1 --quiet --model-out "$TMP/m.json" "$f"
    model_values "$TMP/m.json" >"$TMP/got.txt"
    lstsq_values "$f" >"$TMP/want.txt"
    r2=$(json_numbers "$TMP/m.json" r2)
    want_r2=$("$ROOT/build/lstsq" "$f" | awk '$1 == "r2" { print $2 }')
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-6) && close "$r2" "$want_r2" 1e-9 &&
        grep -q '"stopped_by": "convergence",' "$TMP/m.json" &&
        ok "defaults match exact least squares to 1e-6 relative, R^2 to 1e-9: $name" ||
        not_ok "exact least squares: $name" "$why r2 $r2 vs $want_r2"
done

# --- the same model under 1, 2, 3, 4, 8 ranks x 1, 2, 3 threads
lr 1 1 --quiet --model-out "$TMP/ref.json" "$TMP/hard.csv"
model_values "$TMP/ref.json" >"$TMP/ref.txt"
for np in 1 2 3 4 8; do
    for th in 1 2 3; do
        [ "$np$th" = 11 ] && continue
        lr "$np" "$th" --quiet --model-out "$TMP/m.json" "$TMP/hard.csv"
        model_values "$TMP/m.json" >"$TMP/got.txt"
        why=$(values_close "$TMP/got.txt" "$TMP/ref.txt" 1e-10) &&
            ok "same coefficients (1e-10) under $np ranks x $th threads" ||
            not_ok "coefficients under $np ranks x $th threads" "$why"
    done
done

# --- y = 2x on x = 1..5 predicts 12.00 at x = 6, through the model file
printf 'x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n' >"$TMP/double.csv"
lr 2 1 --quiet --model-out "$TMP/double.json" "$TMP/double.csv"
pred=$(model_values "$TMP/double.json" | tr '\n' ' ' | awk '{ printf "%.2f", $1 + $2 * 6 }')
[ "$pred" = 12.00 ] && ok "y = 2x: the model predicts 12.00 at x = 6" || not_ok "y = 2x" "predicted $pred"

# --- divergence: exit 3 naming the epoch, the loss and the learning rate
expect_fail "divergence with --lr 0.8" 3 "training diverged at epoch [0-9]*: loss .* with learning rate 0.8; use a smaller --lr, or --lr auto" \
    2 --no-scale --lr 0.8 --epochs 1000 --model-out "$TMP/div.json" "$ROOT/datasets/tutorial.csv"
[ ! -e "$TMP/div.json" ] && ok "a diverged run writes no model" || not_ok "a diverged run wrote a model"

# --- a constant column: a warning, coefficient 0, no NaN
awk -F, 'NR == 1 { print "c," $0; next } { print "7.5," $0 }' "$ROOT/datasets/trees.csv" >"$TMP/const.csv"
lr 2 1 --model-out "$TMP/const.json" "$TMP/const.csv" >/dev/null 2>"$TMP/err"
c0=$(model_values "$TMP/const.json" | sed -n 2p)
grep -q "warning: column 'c' is constant (7.5); its coefficient will be 0" "$TMP/err" &&
    [ "$c0" = "0.0" ] && ! grep -qi nan "$TMP/const.json" &&
    ok "constant column: warned, coefficient 0, no NaN" || not_ok "constant column" "c0=$c0 $(head -3 "$TMP/err")"

# --- usage errors: exit 2 before any data is read (the file does not even exist)
for args in "--lr 0" "--lr -1" "--lr fast" "--epochs 0" "--epochs 1.5" "--tol -1" "--l2 -3" \
    "--solver newton" "--log-every 0" "--bogus" "--threads 0" "--delimiter ab" "--target"; do
    # shellcheck disable=SC2086
    expect_fail "usage error: $args" 2 "Try 'linreg_mpi --help'" 2 $args "$TMP/does_not_exist.csv"
done
expect_fail "usage error: no input file" 2 "no input file given" 1 --lr 0.1
expect_fail "usage error: the file taken as --target's value" 2 \
    "no input file given (--target took '$ROOT/datasets/trees.csv' as its value)" 1 --target "$ROOT/datasets/trees.csv"
# no output may overwrite an input or another output; the data stay as they were
cp "$ROOT/datasets/trees.csv" "$TMP/keep.csv"
expect_fail "--model-out is the input file" 2 "--model-out '$TMP/./keep.csv' is the input file: it would be overwritten" 2 \
    --model-out "$TMP/./keep.csv" "$TMP/keep.csv"
expect_fail "--log is the --test file" 2 "--log '$TMP/keep.csv' is the file of --test" 2 \
    --log "$TMP/keep.csv" --test "$TMP/keep.csv" --model-out "$TMP/m.json" "$ROOT/datasets/trees.csv"
expect_fail "--log and --model-out the same" 2 "--model-out and --log are the same file" 2 \
    --log "$TMP/m.json" --model-out "$TMP/m.json" "$ROOT/datasets/trees.csv"
cmp -s "$TMP/keep.csv" "$ROOT/datasets/trees.csv" && ok "the input file is untouched" || not_ok "input overwritten"
lr 1 1 --help | grep -q -- "--tol X|auto" && ok "--help lists the options" || not_ok "--help"

# --- the log CSV: a header and one row per epoch
lr 2 1 --quiet --log "$TMP/log.csv" --model-out "$TMP/m.json" "$ROOT/datasets/stackloss.csv"
epochs=$(json_numbers "$TMP/m.json" epochs)
[ "$(head -1 "$TMP/log.csv")" = "epoch,loss,grad_norm,learning_rate,seconds,compute_seconds,allreduce_seconds" ] &&
    [ "$(($(wc -l <"$TMP/log.csv") - 1))" = "$epochs" ] &&
    awk -F, 'NR > 1 && NF != 7 { exit 1 }' "$TMP/log.csv" &&
    ok "log CSV: header and $epochs rows of 7 fields" || not_ok "log CSV" "epochs=$epochs"

# --- outputs that cannot be written fail at start-up with 74
expect_fail "model in a missing directory" 74 "cannot write the model here" 2 \
    --model-out "$TMP/no/such/dir/m.json" "$ROOT/datasets/trees.csv"
mkdir -p "$TMP/a_dir"
expect_fail "model path is a directory" 74 "a_dir: cannot write the model: this is a directory" 2 \
    --model-out "$TMP/a_dir" "$ROOT/datasets/trees.csv"
expect_fail "report path is a directory" 74 "a_dir: cannot write the report: this is a directory" 2 \
    --report "$TMP/a_dir" --model-out "$TMP/m.json" "$ROOT/datasets/trees.csv"
expect_fail "unwritable log" 74 "cannot write the log" 2 --log "$TMP/no/such/log.csv" \
    --model-out "$TMP/m.json" "$ROOT/datasets/trees.csv"
