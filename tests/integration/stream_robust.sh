# stream_robust.sh — --cov and --diagnostics with --memory stream: the inference that follows
# a streamed fit reads the rows block by block (4096-row blocks, several per rank) and gives
# the resident run's bytes: the model (covariance, clusters, term tests, diagnostics and the
# influential rows), stdout (the inference table, the diagnostics) and the
# --diagnostics-sample file, under ranks 1-3 x threads 1-2, for HC0, HC3 with weights,
# one-way clusters of numbers, two-way clusters with a text column, --diagnostics with
# --offset, weights and a sample, three parts with a multi-line record and a skipped row,
# and gd with --inference. An outlier planted at a known line is named first, at that
# FILE:LINE, by the streamed runs (the generator counts the lines). A streamed run with
# clusters, the diagnostics and their sample peaks at the same memory for 100,000 and
# 400,000 rows.

PY=/usr/bin/python3
"$PY" - "$TMP" <<'PY'
import numpy as np, os, sys
t = sys.argv[1]
rng = np.random.default_rng(27)
n, out, multi = 30000, 12345, 500
x1, x2 = rng.normal(size=n), rng.uniform(0, 4, n)
cl = rng.integers(0, 400, n)
c2 = rng.choice(["red", "green", "blue", "cyan", "grey", "pink", "teal"], n)
w = rng.uniform(0.2, 2, n)
w[::61] = 0                                        # rows of weight 0: in no n or cluster
off = rng.normal(size=n) * 0.3
y = 1 + 2 * x1 - 0.5 * x2 + off + rng.normal(size=n) * (0.5 + np.abs(x1))
x1[out], y[out] = 6.0, y[out] + 200                # the most influential row by far
lines = []
for i in range(n):
    g = '"two\nlines"' if i == multi else c2[i]    # a record of two lines
    lines.append("%.12g,%.12g,%d,%s,%.6g,%.6g,%.12g" % (x1[i], x2[i], cl[i], g, w[i], off[i], y[i]))
head = "x1,x2,cl,c2,w,off,y\n"
with open(t + "/all.csv", "w") as f:
    f.write(head + "\n".join(lines) + "\n")
# its line: the header, then one line a record but two for the multi-line one before it
print("%s/all.csv:%d" % (t, out + 2 + (multi < out)), file=open(t + "/place_all", "w"))
os.makedirs(t + "/parts", exist_ok=True)
cuts = [(0, 8000), (8000, 19000), (19000, n)]
for k, (lo, hi) in enumerate(cuts):
    part = lines[lo:hi]
    if k == 1:
        part.insert(100, "1,2,3,red,1,0,oops")   # skipped with --on-bad-row skip
    with open("%s/parts/p%d.csv" % (t, k), "w") as f:
        f.write(head + "\n".join(part) + "\n")
# the outlier is in p1, after the bad line
print("%s/parts/p1.csv:%d" % (t, out - 8000 + 2 + 1), file=open(t + "/place_parts", "w"))
PY

# pair NAME SHAPES PATTERN ARGS...: resident, then stream, at each shape ("RANKSxTHREADS"):
# the same model, stdout and (SAMPLE=1) diagnostics sample; stdout holds PATTERN (the
# table or the diagnostics, so that two empty outputs cannot pass); with PLACE set, the
# first influential row of the streamed run is at that FILE:LINE
pair() {
    local name=$1 shapes=$2 pattern=$3 bad="" np th rs ss
    shift 3
    for shape in $shapes; do
        np=${shape%x*} th=${shape#*x} rs=() ss=()
        [ -n "${SAMPLE:-}" ] && rs=(--diagnostics-sample "$TMP/r.sample") &&
            ss=(--diagnostics-sample "$TMP/s.sample")
        rm -f "$TMP"/r.* "$TMP"/s.*
        lr "$np" "$th" train --memory resident --model-out "$TMP/r.json" "${rs[@]}" "$@" \
            >"$TMP/r.out" 2>"$TMP/r.err" || { bad="$bad [resident $shape: exit $?]"; continue; }
        lr "$np" "$th" train --memory stream --block-rows 4096 --model-out "$TMP/s.json" \
            "${ss[@]}" "$@" >"$TMP/s.out" 2>"$TMP/s.err" ||
            { bad="$bad [stream $shape: exit $? $(tail -c 300 "$TMP/s.err")]"; continue; }
        grep -q "memory: stream (--memory), blocks of 4096 rows" "$TMP/s.err" ||
            bad="$bad [$shape: not streamed]"
        grep -q -- "$pattern" "$TMP/s.out" || bad="$bad [$shape: no '$pattern' on stdout]"
        same_model "$TMP/r.json" "$TMP/s.json" || bad="$bad [$shape: models differ]"
        diff <(sed 's/model written to .*//' "$TMP/r.out") \
             <(sed 's/model written to .*//' "$TMP/s.out") >/dev/null ||
            bad="$bad [$shape: stdout differs]"
        if [ -n "${SAMPLE:-}" ]; then
            [ -s "$TMP/s.sample" ] && cmp -s "$TMP/r.sample" "$TMP/s.sample" ||
                bad="$bad [$shape: samples differ]"
        fi
        if [ -n "${PLACE:-}" ]; then
            [ "$(grep -A2 "Most influential rows" "$TMP/s.out" | tail -1 | awk '{print $1}')" \
                = "$PLACE" ] || bad="$bad [$shape: the outlier not first at $PLACE]"
        fi
    done
    [ -z "$bad" ] && ok "stream = resident, byte for byte: $name ($shapes)" ||
        not_ok "stream = resident: $name" "$bad"
}

XY=(--solver exact --features x1,x2 --target y)
pair "--cov hc0" "1x1 3x2" "heteroskedasticity-robust (HC0)" "${XY[@]}" --cov hc0 \
    "$TMP/all.csv"
pair "--cov hc3, weights" "1x2 3x2" "heteroskedasticity-robust (HC3)" "${XY[@]}" --cov hc3 \
    --weights w "$TMP/all.csv"
pair "--cov cluster:cl (400 clusters spread over the ranks)" "2x1 3x2" "cluster-robust" \
    "${XY[@]}" --cov cluster:cl "$TMP/all.csv"
pair "--cov cluster:cl,c2 (two-way, text ids), weights" "1x1 3x1" "cluster-robust" \
    "${XY[@]}" --cov cluster:cl,c2 --weights w "$TMP/all.csv"
PLACE=$(cat "$TMP/place_all") SAMPLE=1 pair \
    "--diagnostics, --diagnostics-sample, --offset, weights, --cov hc2" "2x2 3x1" \
    "Most influential rows" "${XY[@]}" --diagnostics --offset off --weights w --cov hc2 \
    "$TMP/all.csv"
PLACE=$(cat "$TMP/place_parts") pair \
    "--diagnostics over three parts, a multi-line record, a skipped row, clusters" \
    "2x1 3x2" "Most influential rows" "${XY[@]}" --diagnostics --cov cluster:cl \
    --on-bad-row skip "$TMP/parts"
pair "--validation-split 0.3 (the held-out rows' keys and offsets dropped), clusters, --diagnostics" \
    "3x1" "Most influential rows" "${XY[@]}" --validation-split 0.3 --diagnostics \
    --cov cluster:cl "$TMP/all.csv"
pair "gd with --inference, --cov hc1, --diagnostics" "2x2" "Most influential rows" \
    --solver gd --epochs 300 --features x1,x2 --target y --inference --cov hc1 --diagnostics \
    "$TMP/all.csv"

# peak memory: what the covariance and the diagnostics keep does not grow with the rows (a
# hundred clusters, the sample of at most 100,000 rows, the ten most influential)
"$GEN" --rows 400000 --features 3 --kind plain --seed 4 "$TMP/g.csv" 2>/dev/null
awk -F, 'BEGIN { OFS = "," } { y = $NF; $NF = (NR == 1 ? "cl" : (NR - 2) % 100); print $0, y }' \
    "$TMP/g.csv" >"$TMP/big.csv"
head -n 100001 "$TMP/big.csv" >"$TMP/small.csv"
peak() {  # peak MB of a rank, from the summary line
    lr 1 1 --solver exact --memory stream --block-rows 4096 --cov cluster:cl --diagnostics \
        --diagnostics-sample "$TMP/p.sample" --model-out "$TMP/p.json" "$@" 2>&1 >/dev/null |
        sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p'
}
p_big=$(peak "$TMP/big.csv")
p_small=$(peak "$TMP/small.csv")
peak_flat "stream with --cov cluster and --diagnostics (100k then 400k rows)" "$p_small" "$p_big"
