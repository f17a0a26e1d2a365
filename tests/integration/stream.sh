# stream.sh — --memory stream: training whose rows are read in blocks and kept on disk in a
# scratch file between passes gives the resident model bit for bit (seconds and the mode
# aside) and the same results on stdout, under ranks 1-3 x threads 1-2 with blocks small
# enough that each rank reads several (4096 rows); categorical columns with --missing mean,
# weights, skipped bad rows, several parts, --l2 and --no-intercept, --validation-split and
# --test (their rows streamed too); --memory auto switches
# to stream when the node's memory (the test hook) cannot hold the rows; gd, nesterov and
# the proximal path (--l1, huber, weights) read every epoch's rows back; the peak memory of
# a streamed run does not grow with the row count; the scratch file leaves nothing behind,
# even after kill -9; predict --cache with an --offset model refused; exit 73 for a scratch
# directory that cannot hold the rows; predict and evaluate stream too, with the same bytes.

PY=/usr/bin/python3
"$PY" - "$TMP" <<'PY'
import numpy as np, sys, os
rng = np.random.default_rng(11)
n = 30000
t = sys.argv[1]
x1, x2 = rng.normal(size=n), rng.uniform(0, 4, n)
g = rng.choice(["north", "south", "east", "west"], n)
w = rng.uniform(0, 2, n)
y = 1 + 2 * x1 - 0.5 * x2 + (g == "east") * 3 + rng.normal(size=n)
lines = []
for i in range(n):
    a = "" if i % 97 == 5 else "%.12g" % x1[i]            # missing values: --missing mean
    lines.append("%s,%.12g,%s,%.6g,%.12g" % (a, x2[i], g[i], w[i], y[i]))
lines[20000] = "1,2,west,1,oops"                           # a bad row: --on-bad-row skip
os.makedirs(t + "/parts", exist_ok=True)
for k, (lo, hi) in enumerate([(0, 9000), (9000, 21000), (21000, n)]):
    with open("%s/parts/p%d.csv" % (t, k), "w") as f:
        f.write("x1,x2,g,w,y\n" + "\n".join(lines[lo:hi]) + "\n")
with open(t + "/all.csv", "w") as f:
    f.write("x1,x2,g,w,y\n" + "\n".join(lines) + "\n")
PY
"$GEN" --rows 40000 --features 6 --kind hard --seed 3 "$TMP/hard.csv"

stream_case "hard columns (scales 1e-3..1e4, correlated)" "1x1 2x2 3x1" --solver exact "$TMP/hard.csv"
stream_case "categorical, --missing mean, weights, a skipped row" "1x2 3x1" --solver exact \
    --categorical g --missing mean --weights w --on-bad-row skip "$TMP/all.csv"
stream_case "three parts, --l2 1.5, --no-intercept" "2x1 3x2" --solver exact --categorical g \
    --missing mean --l2 1.5 --no-intercept --on-bad-row skip "$TMP/parts"
stream_case "nesterov, the sample preconditioner (the defaults)" "1x1 3x2" "$TMP/hard.csv"
stream_case "gd, column scaling, --l2 3, 200 epochs" "2x2" --solver gd --precondition scale --l2 3 \
    --epochs 200 --tol 0 "$TMP/hard.csv"
stream_case "--l1 2 (proximal)" "1x2 3x1" --l1 2 "$TMP/hard.csv"
stream_case "--loss huber" "2x1" --loss huber "$TMP/hard.csv"
stream_case "weights, categorical, --missing mean, --inference (proximal path)" "1x1 3x2" --weights w \
    --categorical g --missing mean --on-bad-row skip --inference "$TMP/all.csv"
stream_case "--offset x2, --solver exact" "2x1" --offset x2 --solver exact --categorical g \
    --missing mean --on-bad-row skip "$TMP/all.csv"
stream_case "--validation-split 0.25 --patience 3, --test parts (weights, proximal path)" "1x2 3x1" \
    --validation-split 0.25 --patience 3 --weights w --categorical g --missing mean \
    --on-bad-row skip --test "$TMP/parts" "$TMP/all.csv"
stream_case "--validation-split 0.3, --solver exact, --test" "2x2" --validation-split 0.3 \
    --solver exact --test "$TMP/hard.csv" "$TMP/hard.csv"
stream_case "--formula, --validation-split, --test, --cov hc3, --diagnostics" "3x1" \
    --formula 'y ~ x1 * g + I(x2^2) + log(x2 + 1)' --solver exact --validation-split 0.2 \
    --cov hc3 --diagnostics --on-bad-row skip --test "$TMP/parts" "$TMP/all.csv"

"$GEN" --rows 600000 --features 6 --seed 5 "$TMP/big.csv"
# predict and evaluate in stream mode: the same bytes as resident (predictions to a file and
# to stdout with intervals, the skipped row's empty line, the missing values filled,
# evaluate's metrics), under 1 and 3 ranks
lr 2 1 --solver exact --categorical g --missing mean --on-bad-row skip --quiet \
    --model-out "$TMP/pm.json" "$TMP/all.csv" >/dev/null 2>&1
bad=""
for np in 1 3; do
    for mode in resident stream; do
        blk=""
        [ $mode = stream ] && blk="--block-rows 4096"
        # shellcheck disable=SC2086
        lr "$np" 1 predict --model "$TMP/pm.json" --on-bad-row skip --memory $mode $blk \
            --output "$TMP/p.$mode.$np.csv" "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [predict $mode $np: exit $?]"
        # shellcheck disable=SC2086
        lr "$np" 2 predict --model "$TMP/pm.json" --on-bad-row skip --memory $mode $blk \
            --interval prediction "$TMP/parts" >"$TMP/q.$mode.$np.csv" 2>/dev/null || bad="$bad [interval $mode $np]"
        # shellcheck disable=SC2086
        lr "$np" 1 evaluate --model "$TMP/pm.json" --on-bad-row skip --memory $mode $blk \
            "$TMP/all.csv" >"$TMP/e.$mode.$np.txt" 2>"$TMP/e.$mode.$np.err" || bad="$bad [evaluate $mode $np]"
    done
    cmp -s "$TMP/p.resident.$np.csv" "$TMP/p.stream.$np.csv" || bad="$bad [predictions differ at $np]"
    cmp -s "$TMP/q.resident.$np.csv" "$TMP/q.stream.$np.csv" || bad="$bad [intervals differ at $np]"
    cmp -s "$TMP/e.resident.$np.txt" "$TMP/e.stream.$np.txt" || bad="$bad [metrics differ at $np]"
    cmp -s <(sort "$TMP/e.resident.$np.err") <(sort "$TMP/e.stream.$np.err") ||
        bad="$bad [evaluate's notes differ at $np]"
done
lr 1 1 --solver exact --weights w --categorical g --missing mean --on-bad-row skip --quiet \
    --model-out "$TMP/pw.json" "$TMP/all.csv" >/dev/null 2>&1
for mode in resident stream; do
    lr 2 1 evaluate --model "$TMP/pw.json" --on-bad-row skip --memory $mode "$TMP/all.csv" \
        >"$TMP/ew.$mode.txt" 2>"$TMP/ew.$mode.err" || bad="$bad [weighted evaluate $mode]"
done
cmp -s "$TMP/ew.resident.txt" "$TMP/ew.stream.txt" && grep -q "metrics weighted" "$TMP/ew.stream.err" ||
    bad="$bad [weighted metrics differ, or not said to be weighted]"
lr 1 1 --offset x2 --categorical g --missing mean --on-bad-row skip --quiet \
    --model-out "$TMP/po.json" "$TMP/all.csv" >/dev/null 2>&1
for mode in resident stream; do
    blk=""
    [ $mode = stream ] && blk="--block-rows 4096"
    # shellcheck disable=SC2086
    lr 3 1 predict --model "$TMP/po.json" --memory $mode $blk --on-bad-row skip \
        --output "$TMP/po.$mode.csv" "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [offset predict $mode]"
done
cmp -s "$TMP/po.resident.csv" "$TMP/po.stream.csv" ||
    bad="$bad [predictions of an --offset model differ]"
[ "$(wc -l <"$TMP/p.stream.3.csv")" = 30001 ] && grep -qx ',' "$TMP/p.stream.3.csv" ||
    bad="$bad [not one line per record, with the skipped one's]"
[ -z "$bad" ] && ok "predict (file, stdout, --interval, an --offset model) and evaluate: stream = resident byte for byte (ranks 1, 3)" ||
    not_ok "predict/evaluate in stream mode" "$bad"


# --memory auto: the node holds too little for the rows (hook build: 50 MB for two ranks'
# 34 MB of rows and 32 MB of text being parsed), so the run streams
hk() {
    local np=$1 mem=$2
    shift 2
    timeout 30 mpirun --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS=1 \
        -x LINREG_TEST_MEM_AVAILABLE="$mem" "$HOOKS_BIN" "$@" </dev/null
}
hk 2 50000000 --block-rows 4096 --model-out "$TMP/auto.json" "$TMP/big.csv" >"$TMP/auto.out" \
    2>"$TMP/auto.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "the rows do not fit in memory (the 2 ranks on this node need about .*): reading them in stream mode (--memory auto)" "$TMP/auto.err" &&
    grep -q '"memory": "stream"' "$TMP/auto.json"; then
    lr 2 1 --model-out "$TMP/res.json" --quiet "$TMP/big.csv" >/dev/null 2>&1
    same_model "$TMP/res.json" "$TMP/auto.json" &&
        ok "--memory auto streams when the node cannot hold the rows, with the resident model" ||
        not_ok "--memory auto: the streamed model differs from the resident one"
else
    not_ok "--memory auto did not switch to stream (exit $rc)" "$(tail -c 400 "$TMP/auto.err")"
fi
hk 2 200000000 --model-out "$TMP/auto2.json" --quiet "$TMP/big.csv" >/dev/null 2>"$TMP/auto2.err"
grep -q '"memory": "resident"' "$TMP/auto2.json" 2>/dev/null &&
    ! grep -q "stream mode" "$TMP/auto2.err" &&
    ok "--memory auto stays resident when the rows fit" ||
    not_ok "--memory auto left resident mode with room to spare"
hk 2 50000000 --validation-split 0.2 --block-rows 4096 --model-out "$TMP/auto3.json" \
    "$TMP/big.csv" >/dev/null 2>"$TMP/auto3.err"
rc=$?
lr 2 1 --validation-split 0.2 --model-out "$TMP/res3.json" --quiet "$TMP/big.csv" >/dev/null 2>&1
[ $rc -eq 0 ] && grep -q '"memory": "stream"' "$TMP/auto3.json" &&
    grep -q '"validation"' "$TMP/auto3.json" && same_model "$TMP/res3.json" "$TMP/auto3.json" &&
    ok "--memory auto with --validation-split streams both parts, with the resident model" ||
    not_ok "--memory auto with --validation-split on too little memory: exit $rc" \
        "$(tail -c 300 "$TMP/auto3.err")"
hk 2 1000 --memory stream --block-rows 4096 --model-out "$TMP/w.json" "$TMP/hard.csv" \
    >/dev/null 2>"$TMP/w.err"
rc=$?
[ $rc -eq 71 ] && grep -q "two blocks of 4096 rows" "$TMP/w.err" &&
    ok "a window that does not fit either: exit 71 naming the blocks" ||
    not_ok "window too large for the node: exit $rc" "$(tail -c 300 "$TMP/w.err")"

# peak memory: a streamed run's does not grow with the rows (600,000 vs 150,000 rows, 8
# numbers each: 34 MB and 8 MB as doubles), a resident run's does
head -n 150001 "$TMP/big.csv" >"$TMP/small.csv"
peak() {  # peak MB of rank 0, from the summary line (--solver exact unless ARGS say)
    lr 1 1 --solver exact --model-out "$TMP/p.json" "$@" 2>&1 >/dev/null |
        sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p'
}
s_big=$(peak --memory stream --block-rows 4096 "$TMP/big.csv")
s_small=$(peak --memory stream --block-rows 4096 "$TMP/small.csv")
# gradient descent maps its scaled blocks back from a file of their own, one at a time
GD=(--solver gd --precondition scale --epochs 20 --tol 0)
g_big=$(peak --memory stream --block-rows 4096 "${GD[@]}" "$TMP/big.csv")
g_small=$(peak --memory stream --block-rows 4096 "${GD[@]}" "$TMP/small.csv")
r_big=$("$PY" -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)' "$BIN" --solver exact \
    --memory resident --threads 1 --quiet --model-out "$TMP/p.json" "$TMP/big.csv")
peak_flat "stream, exact (150k then 600k rows)" "$s_small" "$s_big" "$r_big"
peak_flat "stream, gd (150k then 600k rows; resident: exact)" "$g_small" "$g_big" "$r_big"

# the scratch file: unnamed, so nothing is left in its directory, after success or kill -9
mkdir -p "$TMP/scr"
lr 2 1 --memory stream --scratch "$TMP/scr" --model-out "$TMP/k.json" --quiet "$TMP/big.csv" \
    >/dev/null 2>&1
[ -z "$(ls -A "$TMP/scr")" ] && ok "--scratch: nothing left after a run" ||
    not_ok "--scratch: files left: $(ls "$TMP/scr")"
timeout 30 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=1 "$BIN" \
    --memory stream --block-rows 4096 --scratch "$TMP/scr" --model-out "$TMP/k9.json" \
    "$TMP/big.csv" >/dev/null 2>"$TMP/k.err" </dev/null &
mp=$!
for _ in $(seq 100); do  # kill once the first pass is writing the scratch files
    [ "$(ls /proc/*/fd -l 2>/dev/null | grep -c "$TMP/scr")" -ge 2 ] && break
    sleep 0.05
done
held=$(ls -l /proc/*/fd 2>/dev/null | grep -c "$TMP/scr")
pkill -9 -f "model-out $TMP/k9.json"
wait $mp 2>/dev/null
[ "$held" -ge 2 ] && [ -z "$(ls -A "$TMP/scr")" ] && [ ! -e "$TMP/k9.json" ] &&
    ok "kill -9 while the ranks held their scratch files ($held open): nothing left" ||
    not_ok "kill -9 in stream mode: held=$held, left: $(ls -A "$TMP/scr")"

# errors: a scratch directory that is missing, or too small for the rows: 73 before any pass
lr 2 1 --memory stream --scratch "$TMP/nowhere" --model-out "$TMP/n.json" "$TMP/hard.csv" \
    >/dev/null 2>"$TMP/n.err"
rc=$?
[ $rc -eq 73 ] && grep -q -- "--scratch" "$TMP/n.err" && [ ! -e "$TMP/n.json" ] &&
    ok "--scratch naming no directory: exit 73 naming --scratch" ||
    not_ok "--scratch missing directory: exit $rc" "$(tail -c 300 "$TMP/n.err")"
mkdir -p "$TMP/tiny"
if mount -t tmpfs -o size=1m tmpfs "$TMP/tiny" 2>/dev/null; then
    lr 2 1 --memory stream --scratch "$TMP/tiny" --model-out "$TMP/t.json" "$TMP/big.csv" \
        >/dev/null 2>"$TMP/t.err"
    rc=$?
    umount "$TMP/tiny"
    [ $rc -eq 73 ] && grep -q "GB" "$TMP/t.err" && [ ! -e "$TMP/t.json" ] &&
        ok "a 1 MB scratch file system for 34 MB of rows: exit 73 with the numbers" ||
        not_ok "too small scratch: exit $rc" "$(tail -c 300 "$TMP/t.err")"
    mount -t tmpfs -o size=64m tmpfs "$TMP/tiny" &&
        lr 2 1 --quiet --memory stream --block-rows 4096 --scratch "$TMP/tiny" \
            --model-out "$TMP/t.json" "$TMP/hard.csv" \
            >/dev/null 2>"$TMP/t.err"
    rc=$?
    umount "$TMP/tiny"
    [ $rc -eq 0 ] && [ "$(grep -c "scratch directory of 2 ranks is a tmpfs" "$TMP/t.err")" = 1 ] &&
        ok "a scratch directory on a tmpfs: one warning that it saves no memory, even under --quiet" ||
        not_ok "tmpfs scratch: exit $rc, no single warning" "$(tail -c 300 "$TMP/t.err")"
else
    not_ok "cannot mount a small tmpfs for the scratch check (tests run as root)"
fi

# predict --cache with an --offset model, streamed: a usage error (stream_limits.sh checks
# the other usage errors by the option they name, and this one in resident mode)
bad=""
lr 1 1 --offset x2 --categorical g --missing mean --on-bad-row skip --quiet \
    --model-out "$TMP/om.json" "$TMP/all.csv" >/dev/null 2>&1
lr 2 1 predict --model "$TMP/om.json" --memory stream --on-bad-row skip --cache "$TMP/oc.bin" \
    --output "$TMP/op.csv" "$TMP/all.csv" >/dev/null 2>"$TMP/u.err"
rc=$?
[ $rc -eq 2 ] && grep -q "does not keep them; drop --cache" "$TMP/u.err" && [ ! -e "$TMP/op.csv" ] ||
    bad="$bad [predict --cache with an --offset model: exit $rc]"
[ -z "$bad" ] && ok "predict --cache with an --offset model, streamed: exit 2, no output" ||
    not_ok "predict --cache with an --offset model, streamed" "$bad"

# --cv in stream mode: the folds' triangles from the scratch file's blocks, the resident path
lr 2 1 --cv 5 --l1-ratio 1 --lambdas 20 --memory resident --quiet --model-out "$TMP/cvr.json" \
    "$TMP/hard.csv" >"$TMP/cvr.out" 2>/dev/null
lr 2 1 --cv 5 --l1-ratio 1 --lambdas 20 --memory stream --block-rows 4096 --quiet \
    --model-out "$TMP/cvs.json" "$TMP/hard.csv" >"$TMP/cvs.out" 2>/dev/null
grep -q '"cv"' "$TMP/cvs.json" 2>/dev/null && same_model "$TMP/cvr.json" "$TMP/cvs.json" &&
    diff <(sed 's/model written to .*//' "$TMP/cvr.out") <(sed 's/model written to .*//' "$TMP/cvs.out") >/dev/null &&
    ok "--cv 5 (20 lambdas): stream = resident bit for bit, model and table" ||
    not_ok "--cv in stream mode differs from resident"
