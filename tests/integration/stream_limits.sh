# stream_limits.sh — --memory stream at its edges: the default block (about 32 MiB of the
# rows as read, a multiple of 4096 rows) is the one the summary names; a scratch directory
# with room for the rows as read but not for the blocks kept as handed out as well: the
# blocks that do not fit are decoded again on every pass, with the resident model; what
# stream mode does not do is a usage error naming the option, and --memory auto keeps such
# runs resident even on a node too small for their rows, where the same run without them
# streams.

"$GEN" --rows 600000 --features 6 --seed 5 "$TMP/big.csv" 2>/dev/null

# the default block: 32 MiB over 8 bytes for each of 6 features and the target, in whole
# 4096-row parts (598016 rows; the rank's 600000 rows are more, so no smaller block is taken)
want=$(((32 << 20) / (8 * 7) / 4096 * 4096))
lr 1 1 --memory stream --solver exact --model-out "$TMP/big.json" "$TMP/big.csv" >/dev/null 2>"$TMP/big.err"
rc=$?
[ $rc -eq 0 ] && grep -q "memory: stream (--memory), blocks of $want rows;" "$TMP/big.err" &&
    ok "--memory stream without --block-rows: blocks of $want rows (32 MiB of 7 numbers a row, a multiple of 4096)" ||
    not_ok "the default block of 600000 rows of 7 numbers: exit $rc, not $want rows" \
        "$(grep -o "memory: stream.*blocks of [0-9]* rows" "$TMP/big.err")"

# No room for both scratch files: a tmpfs of 9700 KiB holds the 100,000 rows as read (5.6 MB)
# and either half's blocks as handed out (--validation-split 0.5: each file's room is checked
# when it is opened), not both: the validation blocks stop fitting in the first epoch, and
# every later pass decodes the held-out rows' scratch file instead. The premise is checked
# from the run's row counts: each file alone fits the room left, the two together do not.
head -n 100001 "$TMP/big.csv" >"$TMP/mid.csv"
GD=(--solver gd --precondition scale --tol 0 --epochs 20 --validation-split 0.5)
lr 1 1 "${GD[@]}" --memory resident --quiet --model-out "$TMP/mid_r.json" "$TMP/mid.csv" >/dev/null 2>&1
mkdir -p "$TMP/room"
if mount -t tmpfs -o size=9700k tmpfs "$TMP/room" 2>/dev/null; then
    room=$(stat -f -c '%b * %S' "$TMP/room")
    lr 1 1 "${GD[@]}" --memory stream --block-rows 4096 --scratch "$TMP/room" \
        --model-out "$TMP/mid_s.json" "$TMP/mid.csv" >"$TMP/mid.out" 2>"$TMP/mid.err"
    rc=$?
    umount "$TMP/room"
    n_train=$(json_numbers "$TMP/mid_s.json" rows | head -1)
    n_val=$(sed -n 's/^validation: \([0-9]*\) rows.*/\1/p' "$TMP/mid.out")
    # bytes: 7 numbers a row; a file's room is checked for its rows and one block more
    premise=$(awk -v s="$((room))" -v t="${n_train:-0}" -v v="${n_val:-0}" 'BEGIN {
        k = 56; free = s - (t + v) * k; big = t > v ? t : v
        print (t > 0 && v > 0 && free >= (big + 4096) * k && free < (t + v) * k) ? "holds" : "fails" }')
    [ $rc -eq 0 ] && [ "$premise" = holds ] && same_model "$TMP/mid_r.json" "$TMP/mid_s.json" &&
        ok "a scratch directory with room for one file of blocks as handed out, not two: every pass decodes the other's, the resident model" ||
        not_ok "no room for both files of blocks: exit $rc, premise $premise (room $((room)) B, rows $n_train + $n_val)" \
            "$(tail -c 300 "$TMP/mid.err")"
else
    not_ok "cannot mount a small tmpfs for the scratch check (tests run as root)"
fi

# usage errors: exit 2, no model, and the message names what is refused
head -n 2001 "$TMP/big.csv" >"$TMP/small.csv"  # the --offset model's rows; the usage errors read none
mkdir -p "$TMP/parts"
cp "$TMP/small.csv" "$TMP/parts/a.csv" && cp "$TMP/small.csv" "$TMP/parts/b.csv"
lr 1 1 --offset x1 --solver exact --quiet --model-out "$TMP/om.json" "$TMP/small.csv" >/dev/null 2>&1
bad="" n=0
while IFS='|' read -r args want; do
    rm -f "$TMP/u.json" "$TMP/u.csv"
    # shellcheck disable=SC2086
    "$BIN" $args "$TMP/small.csv" >/dev/null 2>"$TMP/u.err" </dev/null
    rc=$?
    n=$((n + 1))
    [ $rc -eq 2 ] && [ ! -e "$TMP/u.json" ] && [ ! -e "$TMP/u.csv" ] && grep -qF -- "$want" "$TMP/u.err" ||
        bad="$bad [$args: exit $rc, $(head -1 "$TMP/u.err")]"
done <<EOF
--memory stream --folds column:x1 --cv 3 --model-out $TMP/u.json|--memory stream: --folds column needs every row in memory
--memory stream --folds files --cv 2 --model-out $TMP/u.json $TMP/parts|--memory stream: --folds files needs every row in memory
--memory stream --cache $TMP/c.bin --validation-split 0.2 --model-out $TMP/u.json|--memory stream: --cache with --validation-split needs every row in memory
--memory stream --cache $TMP/c.bin --diagnostics --solver exact --model-out $TMP/u.json|--memory stream: --cache with --diagnostics needs every row in memory
describe --memory stream --cache $TMP/c.bin|--memory stream: --cache needs every row in memory
--cache $TMP/c.bin --diagnostics --solver exact --block-rows 8192 --model-out $TMP/u.json|--block-rows applies to stream mode (--memory stream or auto), which this run cannot use
--memory resident --scratch $TMP --model-out $TMP/u.json|--scratch applies to stream mode (--memory stream or auto), which --memory resident turns off
--memory resident --block-rows 8192 --model-out $TMP/u.json|--block-rows applies to stream mode
--memory stream --block-rows 1000 --model-out $TMP/u.json|--block-rows: '1000' is not a whole number >= 4096
--memory sometimes --model-out $TMP/u.json|--memory: 'sometimes' is not 'resident', 'stream' or 'auto'
predict --model $TMP/om.json --memory resident --cache $TMP/oc.bin --output $TMP/u.csv|trained with --offset x1, whose values are part of every prediction, and --cache does not keep them; drop --cache
EOF
[ -z "$bad" ] && [ $n = 11 ] && [ ! -e "$TMP/c.bin" ] && [ ! -e "$TMP/oc.bin" ] &&
    ok "stream mode's $n usage errors (and predict --cache with an --offset model in resident mode too): exit 2 naming the option, nothing written" ||
    not_ok "stream mode's usage errors ($n run)" "$bad"

# --memory auto keeps the runs stream mode refuses resident: on a node whose memory (test
# hook) holds a window of blocks of these 5.5 million rows but not the rows, the plain run
# streams (it says so, then stops at its missing --scratch: exit 73 before reading a row);
# with --folds column, or --cache with --validation-split or --diagnostics, the same run
# checks the rows' memory as resident mode does: exit 71, no stream.
{ echo x,g,y; yes 1,1,2 | head -n 5500000; } >"$TMP/long.csv"
auto_run() {  # auto_run ARGS...: the test build, 1 thread, 105 MB available
    LINREG_TEST_MEM_AVAILABLE=105000000 "$HOOKS_BIN" --threads 1 "$@" >/dev/null 2>"$TMP/a.err" </dev/null
}
auto_run --scratch "$TMP/nowhere" --model-out "$TMP/u.json" "$TMP/long.csv"
rc=$?
bad=""
[ $rc -eq 73 ] && grep -q "reading them in stream mode (--memory auto)" "$TMP/a.err" ||
    bad="[the plain run did not stream: exit $rc, $(head -c 200 "$TMP/a.err")]"
for args in "--folds column:g --cv 3" "--cache $TMP/c.bin --validation-split 0.2" \
    "--cache $TMP/c.bin --diagnostics --solver exact"; do
    # shellcheck disable=SC2086
    auto_run $args --model-out "$TMP/u.json" "$TMP/long.csv"
    rc=$?
    [ $rc -eq 71 ] && grep -q "need about .* GB for their rows" "$TMP/a.err" &&
        ! grep -q "stream mode" "$TMP/a.err" || bad="$bad [$args: exit $rc, $(head -c 200 "$TMP/a.err")]"
done
[ -z "$bad" ] && [ ! -e "$TMP/u.json" ] &&
    ok "--memory auto on a node too small for the rows: streams the plain run, keeps --folds column and --cache with --validation-split/--diagnostics resident (exit 71)" ||
    not_ok "--memory auto with what stream mode refuses" "$bad"
rm -f "$TMP/long.csv"
