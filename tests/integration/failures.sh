# failures.sh — one rank fails at one phase (LINREG_TEST_FAIL in the test build): every rank
# must leave together, with the right code, in seconds, and leave nothing half-written (the
# report comes after the model, so a failed report leaves a complete model behind).

"$GEN" --rows 30000 --features 4 --seed 41 "$TMP/f.csv" 2>/dev/null
lr 3 1 --quiet --tol 0 --epochs 20 --checkpoint "$TMP/f_ck.bin" --model-out "$TMP/f_ok.json" "$TMP/f.csv"
lr 3 1 --quiet --model-out "$TMP/f_model.json" "$TMP/f.csv"

# one_fails PHASE RANK CODE PATTERN ARGS...: 3 ranks, RANK fails at PHASE
one_fails() {
    local phase=$1 rank=$2 code=$3 pattern=$4 start=$SECONDS rc=0
    shift 4
    rm -f "$TMP/f_out.json" "$TMP/f_pred.csv"
    timeout 20 mpirun --oversubscribe --bind-to none -n 3 -x OMP_NUM_THREADS=1 \
        -x LINREG_TEST_FAIL="$phase:$rank" "$HOOKS_BIN" "$@" </dev/null >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
    local took=$((SECONDS - start))
    if [ "$rc" -ne "$code" ]; then
        not_ok "rank $rank fails at $phase: exit $rc, expected $code" "$(head -2 "$TMP/f.err")"
    elif ! grep -q -- "$pattern" "$TMP/f.err"; then
        not_ok "rank $rank fails at $phase: message" "$(head -2 "$TMP/f.err")"
    elif [ "$took" -gt "$DEADLINE" ]; then
        not_ok "rank $rank fails at $phase: took ${took}s"
    elif { [ -e "$TMP/f_out.json" ] && [ "$phase" != report ]; } || [ -e "$TMP/f_pred.csv" ] ||
        ls "$TMP"/f_pred.csv.tmp.* "$TMP"/f_out.json.tmp.* >/dev/null 2>&1; then
        not_ok "rank $rank fails at $phase: an output was left behind"
    else
        ok "rank $rank of 3 fails at $phase: all exit $code in ${took}s, nothing half-written"
    fi
}
T=(--quiet --model-out "$TMP/f_out.json")
one_fails open 1 66 "f.csv: cannot open: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails open 0 66 "f.csv: cannot open: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails alloc 1 71 "out of memory allocating [0-9]* bytes; use more ranks or nodes" "${T[@]}" "$TMP/f.csv"
one_fails parse 2 65 "f.csv:[0-9]*:1: injected parse failure" "${T[@]}" "$TMP/f.csv"
one_fails parse 0 65 "f.csv:2:1: injected parse failure" "${T[@]}" "$TMP/f.csv"
one_fails resume 0 66 "f_ck.bin: injected failure" "${T[@]}" --resume "$TMP/f_ck.bin" --checkpoint "$TMP/f_ck.bin" --tol 0 --epochs 40 "$TMP/f.csv"
one_fails checkpoint 0 74 "f_ck2.bin: injected failure" "${T[@]}" --tol 0 --epochs 200 --checkpoint "$TMP/f_ck2.bin" --checkpoint-every 5 "$TMP/f.csv"
one_fails model 0 74 "f_out.json: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails report 0 74 "f_rep.json: injected failure" "${T[@]}" --report "$TMP/f_rep.json" "$TMP/f.csv"
one_fails predict-write 1 74 "f_pred.csv: write failed" predict --model "$TMP/f_model.json" --output "$TMP/f_pred.csv" "$TMP/f.csv"
one_fails open 2 66 "f.csv: cannot open: injected failure" predict --model "$TMP/f_model.json" --output "$TMP/f_pred.csv" "$TMP/f.csv"
one_fails open 1 66 "f.csv: cannot open: injected failure" describe "$TMP/f.csv"
# the one-hot design wider than the node's memory allows, though the rows as read fit
awk 'BEGIN { print "c,x,y"; for (i = 0; i < 4000; i++) print "L" (i % 500) "," i "," 2 * i }' >"$TMP/wide.csv"
rc=0
timeout 20 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=1 -x LINREG_TEST_MEM_AVAILABLE=2000000 \
    "$HOOKS_BIN" --quiet --categorical c --model-out "$TMP/f_out.json" "$TMP/wide.csv" </dev/null >/dev/null 2>"$TMP/f.err" || rc=$?
[ "$rc" = 71 ] && grep -q "wide.csv: the 2 ranks on this node need about 0.02 GB for the one-hot design (this rank: [0-9]* rows of 500 numbers), but 0.00 GB are available" "$TMP/f.err" &&
    [ ! -e "$TMP/f_out.json" ] && ok "a one-hot design too wide for the node: exit 71 before it is allocated" ||
    not_ok "one-hot memory check" "rc=$rc $(head -1 "$TMP/f.err")"
# a compressed input's text that does not fit in memory (its memfd write fails), one rank
mkdir -p "$TMP/fgz"
for k in a b c; do gzip -c "$TMP/f.csv" >"$TMP/fgz/$k.csv.gz"; done
one_fails text-memory 1 71 "fgz/[abc].csv.gz: cannot hold its decompressed text in memory: No space left on device (rank 1 on host" describe "$TMP/fgz"

# a node without the memory for its ranks' rows: exit 71 before allocating, naming the need
rc=0
timeout 20 mpirun --oversubscribe --bind-to none -n 3 -x OMP_NUM_THREADS=1 -x LINREG_TEST_MEM_AVAILABLE=1000000 \
    "$HOOKS_BIN" --quiet --model-out "$TMP/f_out.json" "$TMP/f.csv" </dev/null >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
[ "$rc" = 71 ] && grep -q "f.csv: the 3 ranks on this node need about .* GB for their rows (this rank: about [0-9]* rows of 5 numbers), but 0.00 GB are available; spread the job over at least [0-9]* nodes" "$TMP/f.err" &&
    [ ! -e "$TMP/f_out.json" ] && ok "shards too big for the node's memory: exit 71, the nodes needed" ||
    not_ok "memory check" "rc=$rc $(head -1 "$TMP/f.err")"
