# streams.sh — results on stdout, progress and diagnostics on stderr, for every command and
# under 1 and 3 ranks; --quiet silences the progress only; with 2>&1 no line is ever split.

T=$ROOT/datasets/trees.csv
# numbers (and so timings) as '#': the shape of a line
shape() { sed -E 's/[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/#/g' "$@"; }

for np in 1 3; do
    # train, exact: the summary, the table and the formula on stdout; notes on stderr
    lr "$np" 1 --solver exact --model-out "$TMP/x.json" "$T" >"$TMP/out" 2>"$TMP/err"
    grep -q "^solved exactly (QR factor, then refinement) after [0-9]* passes: final loss .*, R^2 0.94795" "$TMP/out" &&
        grep -q "^Coefficients:" "$TMP/out" && grep -q "^F-statistic: 254.972" "$TMP/out" &&
        grep -q "^model: Volume = -57.9877 + 4.70816\*Girth + 0.339251\*Height$" "$TMP/out" &&
        ! grep -q "linreg_mpi\|^epoch\|time:" "$TMP/out" &&
        grep -q "^linreg_mpi: 31 rows, 2 features, target 'Volume'$" "$TMP/err" &&
        grep -q "^epoch 1 loss " "$TMP/err" && grep -q "^linreg_mpi: time: read " "$TMP/err" &&
        ! grep -q "Coefficients\|model: \|solved exactly\|F-statistic" "$TMP/err" &&
        ok "train (exact, np=$np): summary, table and formula on stdout; epoch lines, notes, times on stderr" ||
        not_ok "train exact streams (np=$np)" "out: $(head -3 "$TMP/out") err: $(head -3 "$TMP/err")"
    # the same data and options: the same stdout, and only from rank 0
    lr "$np" 1 --solver exact --model-out "$TMP/x.json" "$T" >"$TMP/out2" 2>/dev/null
    cmp -s "$TMP/out" "$TMP/out2" && [ "$(grep -c '^Coefficients:' "$TMP/out")" = 1 ] &&
        ok "train (np=$np): stdout the same from run to run, printed once" ||
        not_ok "train stdout repeatable (np=$np)" "$(diff "$TMP/out" "$TMP/out2" | head -4)"

    # train, gd: no table, and the summary's last line says how to get one
    lr "$np" 1 --log-every 1 --model-out "$TMP/g.json" "$T" >"$TMP/out" 2>"$TMP/err"
    [ "$(tail -1 "$TMP/out")" = "standard errors and p-values: add --inference, or use --solver exact" ] &&
        grep -q "^converged after [0-9]* epochs" "$TMP/out" && ! grep -q "^Coefficients:" "$TMP/out" &&
        [ "$(grep -c '^epoch [0-9]* loss [0-9.e+-]* grad_norm [0-9.e+-]* ms/epoch [0-9.]*$' "$TMP/err")" = \
          "$(json_numbers "$TMP/g.json" epochs)" ] &&
        ok "train (gd, np=$np): an epoch line a epoch on stderr; the summary ends naming --inference and --solver exact" ||
        not_ok "train gd streams (np=$np)" "out: $(cat "$TMP/out") err: $(head -3 "$TMP/err")"
    lr "$np" 1 --inference --model-out "$TMP/g.json" "$T" >"$TMP/out" 2>/dev/null
    grep -q "^Coefficients:" "$TMP/out" && ! grep -q "add --inference" "$TMP/out" &&
        ok "train (gd --inference, np=$np): the table, and no hint" || not_ok "gd --inference (np=$np)" "$(cat "$TMP/out")"

    # --quiet: no progress, the same results
    lr "$np" 1 --quiet --solver exact --model-out "$TMP/x.json" "$T" >"$TMP/qout" 2>"$TMP/qerr"
    cmp -s "$TMP/qout" "$TMP/out2" && [ ! -s "$TMP/qerr" ] &&
        ok "train --quiet (np=$np): the same stdout, nothing on stderr" ||
        not_ok "train --quiet (np=$np)" "$(diff "$TMP/qout" "$TMP/out2" | head -3) err: $(head -2 "$TMP/qerr")"
    # --quiet keeps warnings: a constant column
    awk -F, 'BEGIN { OFS = "," } { print $1, (NR == 1 ? "k" : 7), $2, $3 }' "$T" >"$TMP/const.csv"
    lr "$np" 1 --quiet --solver exact --model-out "$TMP/c.json" "$TMP/const.csv" >"$TMP/qout" 2>"$TMP/qerr"
    [ "$(grep -c . "$TMP/qerr")" = 2 ] && grep -q "^linreg_mpi: warning: column 'k' is constant (7)" "$TMP/qerr" &&
        grep -q "^linreg_mpi: warning: column 'k' is a linear combination" "$TMP/qerr" &&
        grep -q "^solved exactly" "$TMP/qout" &&
        ok "train --quiet (np=$np): warnings still on stderr, nothing else" ||
        not_ok "--quiet warnings (np=$np)" "$(cat "$TMP/qerr")"

    # describe: the table on stdout; the read note on stderr
    lr "$np" 1 describe "$T" >"$TMP/out" 2>"$TMP/err"
    [ "$(head -1 "$TMP/out")" = "rows: 31" ] && grep -q "^Girth " "$TMP/out" &&
        [ "$(grep -c . "$TMP/err")" = 1 ] && grep -q "^read .* MB in .* with $np rank" "$TMP/err" &&
        ok "describe (np=$np): the table on stdout, the read note on stderr" ||
        not_ok "describe streams (np=$np)" "err: $(cat "$TMP/err")"
    lr "$np" 1 describe --quiet --json "$T" >"$TMP/out" 2>"$TMP/err"
    [ ! -s "$TMP/err" ] && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["rows"] == 31' "$TMP/out" &&
        ok "describe --quiet --json (np=$np): JSON alone on stdout, stderr empty" ||
        not_ok "describe --json streams (np=$np)" "$(head -3 "$TMP/err")"

    # predict and evaluate: the predictions and the metrics on stdout, notes on stderr
    lr "$np" 1 predict --model "$TMP/x.json" "$T" >"$TMP/out" 2>"$TMP/err"
    [ "$(head -1 "$TMP/out")" = "Volume,prediction" ] && [ "$(grep -c . "$TMP/out")" = 32 ] && [ ! -s "$TMP/err" ] &&
        ok "predict (np=$np): 31 predictions on stdout, stderr empty" ||
        not_ok "predict streams (np=$np)" "$(head -2 "$TMP/out") err: $(head -2 "$TMP/err")"
    lr "$np" 1 evaluate --model "$TMP/x.json" "$T" >"$TMP/out" 2>"$TMP/err"
    [ "$(head -1 "$TMP/out")" = "rows         31" ] && [ ! -s "$TMP/err" ] &&
        ok "evaluate (np=$np): the metrics on stdout, stderr empty" ||
        not_ok "evaluate streams (np=$np)" "$(head -2 "$TMP/out") err: $(head -2 "$TMP/err")"
    # an error: on stderr only
    lr "$np" 1 evaluate --model "$TMP/x.json" "$TMP/no_such.csv" >"$TMP/out" 2>"$TMP/err"
    [ ! -s "$TMP/out" ] && grep -q "no_such.csv" "$TMP/err" &&
        ok "an error (np=$np): on stderr, stdout empty" || not_ok "error streams (np=$np)" "$(cat "$TMP/out")"
done

# 20 runs with both streams in one file, gd (an epoch line each epoch) and exact (notes
# between the epoch lines): every line is whole, one of the lines the two streams print
# apart (numbers aside), and none is lost
RUNS=("--inference --log-every 1" "--solver exact")
for m in 0 1; do
    # shellcheck disable=SC2086
    lr 3 1 ${RUNS[$m]} --model-out "$TMP/g.json" "$T" >"$TMP/ref$m.out" 2>"$TMP/ref$m.err"
    want[$m]=$(cat "$TMP/ref$m.out" "$TMP/ref$m.err" | wc -l)
done
shape "$TMP"/ref[01].out "$TMP"/ref[01].err | sort -u >"$TMP/shapes"
bad=""
for k in $(seq 20); do
    m=$((k % 2))
    # shellcheck disable=SC2086
    lr 3 1 ${RUNS[$m]} --model-out "$TMP/g.json" "$T" >"$TMP/both" 2>&1
    got=$(wc -l <"$TMP/both")
    stray=$(shape "$TMP/both" | sort -u | comm -23 - "$TMP/shapes" | head -2)
    [ "$got" = "${want[$m]}" ] && [ -z "$stray" ] || { bad="run $k: $got lines of ${want[$m]}; $stray"; break; }
done
[ -z "$bad" ] && ok "20 runs with 2>&1 (gd: ${want[0]} lines, exact: ${want[1]}): no line split or lost" ||
    not_ok "2>&1 lines" "$bad"

# mpirun -q: the error alone, without Open MPI's banner, and the same exit code
rc=0
timeout 30 mpirun --oversubscribe -n 2 "$BIN" --model-out "$TMP/x.json" "$TMP/no_such.csv" </dev/null >/dev/null 2>"$TMP/err" || rc=$?
rcq=0
timeout 30 mpirun -q --oversubscribe -n 2 "$BIN" --model-out "$TMP/x.json" "$TMP/no_such.csv" </dev/null >/dev/null 2>"$TMP/errq" || rcq=$?
[ "$rc" = 66 ] && [ "$rcq" = 66 ] && grep -q "^-----" "$TMP/err" && ! grep -q "^-----" "$TMP/errq" &&
    [ "$(grep -c . "$TMP/errq")" = 1 ] && grep -q "no_such.csv" "$TMP/errq" &&
    ok "mpirun -q: the error line alone, exit 66 as without -q (which adds $(($(grep -c . "$TMP/err") - 1)) lines)" ||
    not_ok "mpirun -q" "rc $rc/$rcq: $(cat "$TMP/errq")"

# a failed write of the results (a full disk) is exit 74 naming stdout, never a silent 0:
# the program started without mpirun, whose own output forwarding would swallow the error
lr 1 1 --quiet --solver exact --model-out "$TMP/full.json" "$T" >/dev/null 2>&1
for cmd in "--quiet --solver exact --model-out $TMP/f2.json" "predict --model $TMP/full.json" \
    "evaluate --model $TMP/full.json" "describe"; do
    # shellcheck disable=SC2086
    "$BIN" $cmd "$T" >/dev/full 2>"$TMP/ferr"
    rc=$?
    [ "$rc" = 74 ] && grep -q "standard output: write failed: No space left on device" "$TMP/ferr" &&
        ok "${cmd%% *} with stdout on a full device: exit 74 naming standard output" ||
        not_ok "${cmd%% *} to /dev/full" "exit $rc: $(cat "$TMP/ferr")"
done
