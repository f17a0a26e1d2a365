# stream_cache.sh — --cache in stream mode: a cache written by a streamed run (block by
# block, from the rows the first pass read; the bytes a resident run writes) and read by one (block by block from the cache
# file, no scratch file) gives the resident model bit for bit (seconds and the mode aside)
# under ranks 1-3 x threads 1-2 with 4096-row blocks, several per rank; a cache written in
# stream mode reads back in resident mode and the other way, also that of gzip parts
# (written by a streamed run, which reads them block by block); predict and evaluate with
# --cache stream the same bytes as resident; reading from the cache keeps the peak memory
# flat in the rows, and --memory auto streams from it when the node is too small; a damaged
# or truncated cache warns, is read from the CSV and rewritten, and gives the same model.

PY=/usr/bin/python3
"$PY" - "$TMP" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(27)
n = 36000
x1, x2 = rng.normal(size=n), rng.uniform(0, 4, n)
g = rng.choice(["north", "south", "east", "west"], n)
w = rng.uniform(0, 2, n)
y = 1 + 2 * x1 - 0.5 * x2 + (g == "east") * 3 + rng.normal(size=n)
lines = []
for i in range(n):
    a = "" if i % 89 == 7 else "%.12g" % x1[i]             # missing values: --missing mean
    lines.append("%s,%.12g,%s,%.6g,%.12g" % (a, x2[i], g[i], w[i], y[i]))
lines[25000] = "1,2,west,1,oops"                           # a bad row: --on-bad-row skip
with open(sys.argv[1] + "/all.csv", "w") as f:
    f.write("x1,x2,g,w,y\n" + "\n".join(lines) + "\n")
PY

STREAM=(--memory stream --block-rows 4096)
# check NAME SHAPES SOLVER-ARGS...: the cache written in stream mode at 2x1 ("ranks x
# threads"), the same bytes as one written by a resident run on one rank, then read in stream mode at each shape (with a --scratch directory that does
# not exist: no scratch file is made, and every pass reads the cache) and in resident mode
# at the last; each model against the resident one at its shape (r<shape>.json)
check() {
    local name=$1 shapes=$2 bad="" np th last
    shift 2
    local A=(--categorical g --missing mean --weights w --on-bad-row skip "$@")
    rm -f "$TMP/c.bin" "$TMP/cr.bin"
    for shape in $(echo 2x1 $shapes | tr ' ' '\n' | sort -u); do
        np=${shape%x*} th=${shape#*x}
        lr "$np" "$th" "${A[@]}" --memory resident --model-out "$TMP/r$shape.json" \
            "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [resident $shape: exit $?]"
    done
    lr 1 1 "${A[@]}" --memory resident --cache "$TMP/cr.bin" --model-out "$TMP/cr.json" \
        "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [resident write: exit $?]"
    lr 2 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/c.bin" --model-out "$TMP/w.json" \
        "$TMP/all.csv" >/dev/null 2>"$TMP/w.err" || bad="$bad [write: exit $?]"
    grep -q "wrote the cache '$TMP/c.bin' (35999 rows" "$TMP/w.err" || bad="$bad [not written]"
    cmp -s "$TMP/cr.bin" "$TMP/c.bin" || bad="$bad [not the bytes a resident run writes]"
    same_model "$TMP/r2x1.json" "$TMP/w.json" || bad="$bad [written: model differs]"
    for shape in $shapes; do
        last=$shape np=${shape%x*} th=${shape#*x}
        lr "$np" "$th" "${A[@]}" "${STREAM[@]}" --scratch "$TMP/none" --cache "$TMP/c.bin" \
            --model-out "$TMP/s.json" "$TMP/all.csv" >/dev/null 2>"$TMP/s.err" ||
            { bad="$bad [read $shape: exit $? $(tail -c 200 "$TMP/s.err")]"; continue; }
        grep -q "checked the 35999 rows of the cache '$TMP/c.bin' (quick check, every crc32, .*): reading them block by block" "$TMP/s.err" ||
            bad="$bad [$shape: not read from the cache]"
        grep -q "passes over rank 0's rows in the cache of" "$TMP/s.err" ||
            bad="$bad [$shape: the summary does not say the passes read the cache]"
        grep -q '"memory": "stream"' "$TMP/s.json" || bad="$bad [$shape: not streamed]"
        same_model "$TMP/r$shape.json" "$TMP/s.json" || bad="$bad [read $shape: model differs]"
    done
    lr "${last%x*}" "${last#*x}" "${A[@]}" --memory resident --cache "$TMP/c.bin" \
        --model-out "$TMP/rr.json" "$TMP/all.csv" >/dev/null 2>"$TMP/rr.err" ||
        bad="$bad [resident read: exit $?]"
    grep -q "read 35999 rows from the cache" "$TMP/rr.err" &&
        same_model "$TMP/r$last.json" "$TMP/rr.json" || bad="$bad [resident read: differs]"
    [ -z "$bad" ] && ok "--cache in stream mode = resident bit for bit: $name" ||
        not_ok "--cache in stream mode: $name" "$bad"
}
check "nesterov, 60 epochs (categorical, mean fill, weights, a skipped row)" \
    "1x2 2x2 3x1" --solver nesterov --epochs 60 --tol 0
check "exact" "3x1" --solver exact   # its models (r3x1.json) are the references below

# a cache written in resident mode, read in stream mode (gd, column scaling, --l1; the
# blocks as handed out kept in a scratch file of their own, as without a cache)
A=(--categorical g --missing mean --on-bad-row skip --solver gd --precondition scale --l1 0.5
   --epochs 80 --tol 0)
rm -f "$TMP/c2.bin"
lr 3 1 "${A[@]}" --memory resident --cache "$TMP/c2.bin" --model-out "$TMP/ra.json" \
    "$TMP/all.csv" >/dev/null 2>&1
lr 3 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/c2.bin" --model-out "$TMP/sa.json" \
    "$TMP/all.csv" >/dev/null 2>"$TMP/sa.err"
rc=$?
[ $rc -eq 0 ] && grep -q "checked the 35999 rows" "$TMP/sa.err" && same_model "$TMP/ra.json" "$TMP/sa.json" &&
    ok "a cache written in resident mode reads in stream mode: the same model (gd, --l1)" ||
    not_ok "resident-written cache read in stream mode: exit $rc" "$(tail -c 300 "$TMP/sa.err")"

# compressed parts: a streamed run reads them block by block and writes their cache, which a
# resident run and another streamed one read: the same model
mkdir -p "$TMP/gz"
head -n 12001 "$TMP/all.csv" | gzip >"$TMP/gz/p0.csv.gz"
{ head -n 1 "$TMP/all.csv"; tail -n +12002 "$TMP/all.csv"; } >"$TMP/gz/p1.csv"
A=(--categorical g --missing mean --on-bad-row skip --solver exact)
rm -f "$TMP/gz.bin"
lr 2 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/gz.bin" --model-out "$TMP/gz1.json" "$TMP/gz" \
    >/dev/null 2>"$TMP/gz1.err"
rc1=$?
lr 2 1 "${A[@]}" --memory resident --cache "$TMP/gz.bin" --model-out "$TMP/gzr.json" \
    "$TMP/gz" >/dev/null 2>"$TMP/gzr.err"
lr 2 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/gz.bin" --model-out "$TMP/gzs.json" "$TMP/gz" \
    >/dev/null 2>"$TMP/gzs.err"
rc2=$?
[ $rc1 -eq 0 ] && grep -q "wrote the cache .*35999 rows" "$TMP/gz1.err" && [ $rc2 -eq 0 ] &&
    same_model "$TMP/gz1.json" "$TMP/gzr.json" && grep -q "read 35999 rows from the cache" "$TMP/gzr.err" &&
    grep -q "checked the 35999 rows" "$TMP/gzs.err" && same_model "$TMP/gzr.json" "$TMP/gzs.json" &&
    grep -q "skipped 1 bad row (--on-bad-row skip); first at line $TMP/gz/p1.csv:13002$" "$TMP/gzs.err" &&
    diff <(grep skipped "$TMP/gzr.err") <(grep skipped "$TMP/gzs.err") >/dev/null &&
    ok "gzip parts in stream mode: the cache written from them, read resident and streamed (the skipped row at its file and line)" ||
    not_ok "gzip parts with --cache in stream mode: exit $rc1, then $rc2" "$(tail -c 300 "$TMP/gzs.err")"

# predict and evaluate with --cache in stream mode: written, then read; the same bytes as
# resident without a cache
lr 2 1 --categorical g --missing mean --weights w --on-bad-row skip --solver exact \
    --model-out "$TMP/pm.json" "$TMP/all.csv" >/dev/null 2>&1
bad=""
lr 2 1 predict --model "$TMP/pm.json" --on-bad-row skip --memory resident \
    --output "$TMP/p.ref.csv" "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [predict resident]"
lr 2 1 evaluate --model "$TMP/pm.json" --on-bad-row skip --memory resident "$TMP/all.csv" \
    >"$TMP/e.ref.txt" 2>/dev/null || bad="$bad [evaluate resident]"
rm -f "$TMP/pc.bin" "$TMP/ec.bin"
for run in write read; do  # written on one rank, read on three
    np=1
    [ $run = read ] && np=3
    lr "$np" 2 predict --model "$TMP/pm.json" --on-bad-row skip "${STREAM[@]}" \
        --cache "$TMP/pc.bin" --output "$TMP/p.$run.$np.csv" "$TMP/all.csv" >/dev/null \
        2>"$TMP/p.$run.$np.err" || bad="$bad [predict $run $np: exit $?]"
    cmp -s "$TMP/p.ref.csv" "$TMP/p.$run.$np.csv" || bad="$bad [predictions differ: $run $np]"
    lr "$np" 1 evaluate --model "$TMP/pm.json" --on-bad-row skip "${STREAM[@]}" \
        --cache "$TMP/ec.bin" "$TMP/all.csv" >"$TMP/e.$run.$np.txt" 2>"$TMP/e.$run.$np.err" ||
        bad="$bad [evaluate $run $np: exit $?]"
    cmp -s "$TMP/e.ref.txt" "$TMP/e.$run.$np.txt" || bad="$bad [metrics differ: $run $np]"
done
grep -q "wrote the cache" "$TMP/p.write.1.err" && grep -q "wrote the cache" "$TMP/e.write.1.err" &&
    grep -q "checked the 35999 rows" "$TMP/p.read.3.err" &&
    grep -q "checked the 35999 rows" "$TMP/e.read.3.err" || bad="$bad [the caches were not used]"
[ -z "$bad" ] && ok "predict and evaluate with --cache in stream mode: the resident bytes (written on 1 rank, read on 3)" ||
    not_ok "predict/evaluate with --cache in stream mode" "$bad"

# levels the model has not seen (--unknown-level zero): the cache keeps every rank's count,
# counted as the blocks are encoded for it: the same note and predictions when it is
# written and read in stream mode, and read in resident mode, as without it
grep -v ",east," "$TMP/all.csv" >"$TMP/noeast.csv"
lr 1 1 --categorical g --missing mean --on-bad-row skip --solver exact --quiet \
    --model-out "$TMP/um.json" "$TMP/noeast.csv" >/dev/null 2>&1
bad=""
rm -f "$TMP/u.bin"
for run in "resident" "stream --block-rows 4096 --cache $TMP/u.bin" \
    "stream --block-rows 4096 --cache $TMP/u.bin" "resident --cache $TMP/u.bin"; do
    # shellcheck disable=SC2086
    lr 2 1 predict --model "$TMP/um.json" --on-bad-row skip --unknown-level zero \
        --memory $run --output "$TMP/u.csv" "$TMP/all.csv" 2>&1 >/dev/null |
        grep -v "the cache" >"$TMP/u.notes"
    grep -q "column 'g': [1-9][0-9]* values of levels not seen in training" "$TMP/u.notes" ||
        bad="$bad [$run: no note]"
    if [ "$run" = resident ]; then
        cp "$TMP/u.csv" "$TMP/u.ref.csv" && cp "$TMP/u.notes" "$TMP/u.ref.notes"
    else
        cmp -s "$TMP/u.ref.csv" "$TMP/u.csv" && cmp -s "$TMP/u.ref.notes" "$TMP/u.notes" ||
            bad="$bad [$run: differs]"
    fi
done
[ -z "$bad" ] && ok "unseen levels: the cache written and read in stream mode keeps their count (notes and predictions as resident)" ||
    not_ok "unseen levels with --cache in stream mode" "$bad"

# damage: a flipped byte in the rows, a truncated file: a warning, the rows read from the
# CSV, the cache written again, the same model; then the rewritten cache is read
A=(--categorical g --missing mean --weights w --on-bad-row skip --solver exact)
bad=""
printf '\xff' | dd of="$TMP/c.bin" bs=1 seek=100000 conv=notrunc 2>/dev/null
lr 3 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/c.bin" --model-out "$TMP/d.json" "$TMP/all.csv" \
    >/dev/null 2>"$TMP/d.err" || bad="$bad [corrupt: exit $?]"
grep -q "warning: the cache '$TMP/c.bin' is corrupt or truncated: chunk 0 of its 'X' section fails its crc32: reading $TMP/all.csv and writing the cache again" "$TMP/d.err" &&
    grep -q "wrote the cache" "$TMP/d.err" || bad="$bad [corrupt: no warning: $(head -c 300 "$TMP/d.err")]"
same_model "$TMP/r3x1.json" "$TMP/d.json" || bad="$bad [corrupt: model differs]"
truncate -s 100000 "$TMP/c.bin"
lr 3 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/c.bin" --model-out "$TMP/d.json" "$TMP/all.csv" \
    >/dev/null 2>"$TMP/d.err" || bad="$bad [truncated: exit $?]"
grep -q "warning: the cache '$TMP/c.bin' is truncated: 100000 bytes of" "$TMP/d.err" ||
    bad="$bad [truncated: no warning]"
same_model "$TMP/r3x1.json" "$TMP/d.json" || bad="$bad [truncated: model differs]"
lr 3 1 "${A[@]}" "${STREAM[@]}" --cache "$TMP/c.bin" --model-out "$TMP/d.json" "$TMP/all.csv" \
    >/dev/null 2>"$TMP/d.err" || bad="$bad [rewritten: exit $?]"
grep -q "checked the 35999 rows" "$TMP/d.err" && same_model "$TMP/r3x1.json" "$TMP/d.json" ||
    bad="$bad [the rewritten cache: not read, or another model]"
[ -z "$bad" ] && ok "a damaged or truncated cache in stream mode: a warning, the CSV's model, the cache rewritten" ||
    not_ok "damaged cache in stream mode" "$bad"

# peak memory: reading from the cache does not grow with the rows (400,000 vs 100,000 rows,
# 8 numbers each); gradient descent, 20 epochs, each read from the cache
"$GEN" --rows 400000 --features 6 --seed 8 "$TMP/big.csv"
head -n 100001 "$TMP/big.csv" >"$TMP/small.csv"
GD=(--solver gd --precondition scale --epochs 20 --tol 0)
peak() {  # peak MB of rank 0, from the summary line
    lr 1 1 "${GD[@]}" "${STREAM[@]}" --model-out "$TMP/p.json" "$@" 2>&1 >/dev/null |
        sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p'
}
peak --cache "$TMP/big.bin" "$TMP/big.csv" >/dev/null     # written
peak --cache "$TMP/small.bin" "$TMP/small.csv" >/dev/null
c_big=$(peak --cache "$TMP/big.bin" "$TMP/big.csv")       # read
c_small=$(peak --cache "$TMP/small.bin" "$TMP/small.csv")
r_big=$("$PY" -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)' "$BIN" "${GD[@]}" \
    --memory resident --cache "$TMP/big.bin" --threads 1 --quiet --model-out "$TMP/res.json" \
    "$TMP/big.csv")
peak_flat "stream mode from the cache (100k then 400k rows; resident from the cache)" \
    "$c_small" "$c_big" "$r_big"

# --memory auto with a valid cache and a node too small for the rows (the test hook's
# memory): stream mode, every pass from the cache, the resident model
timeout 30 mpirun --oversubscribe --bind-to none -n 1 -x OMP_NUM_THREADS=1 \
    -x LINREG_TEST_MEM_AVAILABLE=20000000 "$HOOKS_BIN" "${GD[@]}" --block-rows 4096 \
    --cache "$TMP/big.bin" --model-out "$TMP/auto.json" "$TMP/big.csv" </dev/null >/dev/null \
    2>"$TMP/auto.err"
rc=$?
[ $rc -eq 0 ] && grep -q "the rows do not fit in memory (.*): reading them in stream mode (--memory auto), blocks of 4096 rows read from the cache '$TMP/big.bin'" "$TMP/auto.err" &&
    same_model "$TMP/res.json" "$TMP/auto.json" &&
    ok "--memory auto with a cache on a node too small: stream mode from the cache, the resident model" ||
    not_ok "--memory auto with a cache: exit $rc" "$(tail -c 300 "$TMP/auto.err")"

# a cache that changes under a streamed run, after its check at the start: the next block
# read fails its crc32, and the run stops with exit 65 and no model (--scratch naming no
# directory: no file of the blocks as handed out, so every epoch reads the cache)
cp "$TMP/big.bin" "$TMP/live.bin"
timeout 60 mpirun --oversubscribe --bind-to none -n 1 -x OMP_NUM_THREADS=1 "$BIN" \
    --solver gd --precondition scale --epochs 3000 --tol 0 "${STREAM[@]}" \
    --scratch "$TMP/none" --cache "$TMP/live.bin" --model-out "$TMP/live.json" "$TMP/big.csv" </dev/null \
    >/dev/null 2>"$TMP/live.err" &
pid=$!
for _ in $(seq 200); do  # until the check at the start has passed
    grep -q "checked the 400000 rows" "$TMP/live.err" 2>/dev/null && break
    sleep 0.05
done
printf '\xff' | dd of="$TMP/live.bin" bs=1 seek=100000 conv=notrunc 2>/dev/null
wait $pid
rc=$?
[ $rc -eq 65 ] && [ ! -e "$TMP/live.json" ] &&
    grep -q "live.bin: chunk 0 of the 'X' section fails its crc32: the cache changed during the run" "$TMP/live.err" &&
    ok "a cache damaged during a streamed run: exit 65 at the next block, no model" ||
    not_ok "cache damaged during the run: exit $rc" "$(grep -v '^linreg_mpi: epoch' "$TMP/live.err" | tail -c 400)"
