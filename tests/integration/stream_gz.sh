# stream_gz.sh — --memory stream with compressed inputs: gzip and zstd parts, alone and
# mixed with plain parts, read block by block (each decompressed as far as a rank's bytes
# of the stream), give the resident model bit for bit and the same stdout under ranks 1-3 x
# threads 1-2 with blocks of 4096 rows (several per rank), with a categorical column and a
# skipped bad row (also --formula with --diagnostics, and describe); the model equals the
# one concatenated plain CSV's; a bad row is reported at the same FILE:LINE as resident;
# predict and evaluate stream the same bytes; the peak memory of a streamed run does not
# grow with the rows of a gzip file, and --memory auto streams one the node cannot hold.

PY=/usr/bin/python3
"$PY" - "$TMP" <<'PY'
import numpy as np, sys, os
rng = np.random.default_rng(27)
n = 40000
t = sys.argv[1]
x1, x2 = rng.normal(size=n), rng.uniform(0, 4, n)
g = rng.choice(["north", "south", "east", "west"], n)
y = 1 + 2 * x1 - 0.5 * x2 + (g == "east") * 3 + rng.normal(size=n)
lines = ["%.12g,%.12g,%s,%.12g" % (x1[i], x2[i], g[i], y[i]) for i in range(n)]
lines[25000] = "1,2,west,oops"                              # file p3, line 1002
os.makedirs(t + "/parts", exist_ok=True)
cuts = [(0, 11000), (11000, 21000), (21000, 24000), (24000, n)]
for k, (lo, hi) in enumerate(cuts):
    end = "" if k == 1 else "\n"                            # a part without a last newline
    with open("%s/parts/p%d.csv" % (t, k), "w") as f:
        f.write("x1,x2,g,y\n" + "\n".join(lines[lo:hi]) + end)
with open(t + "/all.csv", "w") as f:
    f.write("x1,x2,g,y\n" + "\n".join(lines) + "\n")
PY
# the parts: gzip, zstd, plain, gzip; and the whole file as one gzip and one zstd file
gzip "$TMP/parts/p0.csv" "$TMP/parts/p3.csv"
zstd -q --rm "$TMP/parts/p1.csv"
gzip -c "$TMP/all.csv" >"$TMP/all.csv.gz"
zstd -q -c "$TMP/all.csv" >"$TMP/all.csv.zst"

CAT=(--categorical g --on-bad-row skip)
stream_case "compressed, gzip, zstd and plain parts, exact" "1x1 1x2 2x1 2x2 3x1 3x2" --solver exact "${CAT[@]}" \
    "$TMP/parts"
stream_case "compressed, one gzip file, nesterov" "3x2" "${CAT[@]}" "$TMP/all.csv.gz"
stream_case "compressed, one zstd file, gd, --l2 2, 100 epochs" "2x2" --solver gd --l2 2 --epochs 100 --tol 0 \
    "${CAT[@]}" "$TMP/all.csv.zst"
stream_case "compressed, --formula, --diagnostics (placed as row N, as resident)" "3x1" --solver exact \
    --formula 'y ~ x1 * g + log(x2)' --diagnostics --on-bad-row skip "$TMP/parts"
bad=""
for mode in resident stream; do
    lr 3 1 describe --memory $mode --on-bad-row skip "$TMP/parts" >"$TMP/d.$mode.out" \
        2>/dev/null || bad="$bad [describe $mode: exit $?]"
done
[ -s "$TMP/d.stream.out" ] && cmp -s "$TMP/d.resident.out" "$TMP/d.stream.out" ||
    bad="$bad [describe's output differs]"
[ -z "$bad" ] && ok "describe on compressed parts: stream = resident byte for byte" ||
    not_ok "describe on compressed parts in stream mode" "$bad"

# the same bits as the one plain CSV of the same records, read resident
bad=""
lr 2 1 --memory resident --solver exact "${CAT[@]}" --quiet --model-out "$TMP/plain.json" \
    "$TMP/all.csv" >/dev/null 2>&1 || bad="$bad [plain: exit $?]"
lr 2 1 --memory stream --block-rows 4096 --solver exact "${CAT[@]}" --quiet \
    --model-out "$TMP/gz.json" "$TMP/parts" >/dev/null 2>&1 || bad="$bad [parts: exit $?]"
same_model "$TMP/plain.json" "$TMP/gz.json" || bad="$bad [models differ]"
[ -z "$bad" ] && ok "streamed compressed parts = the one plain CSV, resident" ||
    not_ok "streamed compressed parts against the plain CSV" "$bad"

# a bad row without --on-bad-row skip: the same FILE:LINE (in a gzip part) and exit,
# resident and streamed, under 1 and 3 ranks
bad=""
for np in 1 3; do
    for mode in resident stream; do
        blk=""
        [ $mode = stream ] && blk="--block-rows 4096"
        # shellcheck disable=SC2086
        lr "$np" 1 --memory $mode $blk --categorical g --model-out "$TMP/b.json" \
            "$TMP/parts" >/dev/null 2>"$TMP/b.$mode.err"
        rc=$?
        [ $rc -eq 65 ] || bad="$bad [$mode np=$np: exit $rc]"
        [ ! -e "$TMP/b.json" ] || bad="$bad [$mode np=$np: a model]"
    done
    grep -q "parts/p3.csv.gz:1002:10: column 'y': 'oops' is not a number" "$TMP/b.stream.err" ||
        bad="$bad [np=$np: $(head -c 300 "$TMP/b.stream.err")]"
    cmp -s <(grep "csv" "$TMP/b.resident.err" | sort -u) <(grep "csv" "$TMP/b.stream.err" | sort -u) ||
        bad="$bad [np=$np: messages differ]"
done
[ -z "$bad" ] && ok "a bad row in a gzip part: the same FILE:LINE:COLUMN, exit 65, streamed" ||
    not_ok "a bad row in a compressed part, streamed" "$bad"

# predict and evaluate on compressed parts in stream mode: the same bytes as resident
lr 2 1 --solver exact "${CAT[@]}" --quiet --model-out "$TMP/pm.json" "$TMP/all.csv" \
    >/dev/null 2>&1
bad=""
for np in 3; do
    for mode in resident stream; do
        blk=""
        [ $mode = stream ] && blk="--block-rows 4096"
        # shellcheck disable=SC2086
        lr "$np" 2 predict --model "$TMP/pm.json" --on-bad-row skip --memory $mode $blk \
            --output "$TMP/p.$mode.$np.csv" "$TMP/parts" >/dev/null 2>&1 ||
            bad="$bad [predict $mode $np: exit $?]"
        # shellcheck disable=SC2086
        lr "$np" 1 evaluate --model "$TMP/pm.json" --on-bad-row skip --memory $mode $blk \
            "$TMP/parts" >"$TMP/e.$mode.$np.txt" 2>/dev/null ||
            bad="$bad [evaluate $mode $np: exit $?]"
    done
    [ -s "$TMP/p.stream.$np.csv" ] && cmp -s "$TMP/p.resident.$np.csv" "$TMP/p.stream.$np.csv" ||
        bad="$bad [predictions differ at $np]"
    [ -s "$TMP/e.stream.$np.txt" ] && cmp -s "$TMP/e.resident.$np.txt" "$TMP/e.stream.$np.txt" ||
        bad="$bad [metrics differ at $np]"
done
[ "$(wc -l <"$TMP/p.stream.3.csv")" -eq 40001 ] || bad="$bad [not one line per record]"
[ -z "$bad" ] && ok "predict and evaluate on compressed parts: stream = resident byte for byte" ||
    not_ok "predict/evaluate on compressed parts in stream mode" "$bad"

# peak memory: a streamed run on one gzip file does not grow with its rows (400,000 vs
# 100,000 rows, 8 numbers each: 26 MB and 6 MB as doubles)
"$GEN" --rows 400000 --features 6 --seed 5 "$TMP/big.csv"
head -n 100001 "$TMP/big.csv" | gzip -1 >"$TMP/small.csv.gz"
gzip -1 -c "$TMP/big.csv" >"$TMP/big.csv.gz"
peak() {  # peak MB of rank 0, from the summary line
    lr 1 1 --solver exact --memory stream --block-rows 4096 --model-out "$TMP/pk.json" "$@" \
        2>&1 >/dev/null | sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p'
}
s_big=$(peak "$TMP/big.csv.gz")
s_small=$(peak "$TMP/small.csv.gz")
peak_flat "stream, a gzip file (100k then 400k rows)" "$s_small" "$s_big"

# --memory auto: a node too small for the rows of a gzip file (hook build: 40 MB for two
# ranks' 26 MB of rows, held twice while they move) streams it, with the resident model
timeout 30 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=1 \
    -x LINREG_TEST_MEM_AVAILABLE=40000000 "$HOOKS_BIN" --block-rows 4096 --solver exact \
    --model-out "$TMP/auto.json" "$TMP/big.csv.gz" </dev/null >/dev/null 2>"$TMP/auto.err"
rc=$?
lr 2 1 --memory resident --solver exact --quiet --model-out "$TMP/res.json" "$TMP/big.csv.gz" \
    >/dev/null 2>&1
if [ $rc -eq 0 ] && grep -q "the rows do not fit in memory (.*): reading them in stream mode (--memory auto)" "$TMP/auto.err" &&
    grep -q '"memory": "stream"' "$TMP/auto.json" && same_model "$TMP/res.json" "$TMP/auto.json"; then
    ok "--memory auto streams a gzip file the node cannot hold, with the resident model"
else
    not_ok "--memory auto with a gzip file too large for the node (exit $rc)" "$(tail -c 400 "$TMP/auto.err")"
fi
