# formula_stream.sh — --formula in stream mode: the design made block by block as the rows
# are read back from the scratch file, poly()'s coefficients from passes over it, gives the
# resident model byte for byte (seconds and the mode aside) under ranks 1-3 x threads 1-2
# with 4096-row blocks (several per rank), for the exact solver and gd, with rows log()
# cannot take skipped (the same count and lines, levels only they hold no levels) or failing
# at the same FILE:LINE:COLUMN; predict and evaluate of a formula model stream to the same
# bytes; over several plain parts a bad row is named by its part and its line there, in
# either mode; poly() with missing values (rows skipped for another column's count in it)
# streams to the resident model, whose coefficients are R's QR construction over those rows.

PY=/usr/bin/python3
"$PY" - "$TMP" <<'PY'
import numpy as np, sys, os
rng = np.random.default_rng(5)
n, t = 30000, sys.argv[1]
g = rng.choice(["a", "b", "c"], n)
h = rng.choice(["lo", "hi"], n)
x1, x2, x3 = rng.normal(size=n), rng.uniform(0.1, 5, n), rng.normal(2, 1, n)
k = rng.integers(1, 5, n)
y = np.exp(0.3 * x1 + 0.2 * np.log(x2) + 0.1 * x3 + (g == "b") * 0.5 + rng.normal(0, 0.2, n))
rows = ["%s,%s,%.6g,%.6g,%.6g,%d,%.6g" % r for r in zip(g, h, x1, x2, x3, k, y)]
def put(i, col, v):
    f = rows[i].split(","); f[col] = v; rows[i] = ",".join(f)
put(5000, 3, "-1")      # log(x2) of -1 (rank 0 of 3), the only 'zz' of g: no level
put(5000, 0, "zz")
put(12345, 3, "0")      # log(x2) of 0 (rank 1 of 3), the only 'aa' of h: no level (and
put(12345, 1, "aa")     # 'hi', not 'aa', the reference)
put(20000, 6, "-3")     # log(y) of -3: training skips it, predict leaves it empty
put(29999, 3, "-2")     # the last row
head = "g,h,x1,x2,x3,n,y\n"
with open(t + "/all.csv", "w") as f:
    f.write(head + "\n".join(rows) + "\n")
with open(t + "/clean.csv", "w") as f:  # the rows log() can take
    f.write(head + "\n".join(r for i, r in enumerate(rows) if i not in (5000, 12345, 20000, 29999)) + "\n")
os.makedirs(t + "/parts", exist_ok=True)
for j, (lo, hi) in enumerate([(0, 9000), (9000, 21000), (21000, n)]):
    with open("%s/parts/p%d.csv" % (t, j), "w") as f:
        f.write(head + "\n".join(rows[lo:hi]) + "\n")
PY
F='log(y) ~ g * x1 + poly(x3, 3) + log(x2) + factor(n) + I(x1^2) + h'

# same_model A B: the two model files, line for line, but for the run's seconds and mode
same_model() { diff <(grep -v '"seconds"\|"memory"' "$1") <(grep -v '"seconds"\|"memory"' "$2") >/dev/null; }

# both NAME NP THREADS ARGS...: resident, then stream in 4096-row blocks; model, stdout and
# the skipped-rows line compared; "" or what differs on stdout
both() {
    local name=$1 np=$2 th=$3
    shift 3
    lr "$np" "$th" --memory resident --model-out "$TMP/$name.json" "$@" >"$TMP/$name.r.out" \
        2>"$TMP/$name.r.err" || { echo "resident exit $? $(head -c 200 "$TMP/$name.r.err")"; return; }
    mv "$TMP/$name.json" "$TMP/$name.r.json"
    lr "$np" "$th" --memory stream --block-rows 4096 --model-out "$TMP/$name.json" "$@" \
        >"$TMP/$name.s.out" 2>"$TMP/$name.s.err" ||
        { echo "stream exit $? $(head -c 200 "$TMP/$name.s.err")"; return; }
    mv "$TMP/$name.json" "$TMP/$name.s.json"
    grep -q '"memory": "stream"' "$TMP/$name.s.json" || echo "model not marked stream"
    same_model "$TMP/$name.r.json" "$TMP/$name.s.json" || echo "models differ"
    cmp -s "$TMP/$name.r.out" "$TMP/$name.s.out" || echo "stdout differs"
    [ "$(grep skipped "$TMP/$name.r.err")" = "$(grep skipped "$TMP/$name.s.err")" ] ||
        echo "skipped lines differ: $(grep skipped "$TMP/$name.r.err") / $(grep skipped "$TMP/$name.s.err")"
}

bad=""
for shape in 1x2 2x1 3x2; do
    why=$(both exact "${shape%x*}" "${shape#*x}" --solver exact --formula "$F" --on-bad-row skip "$TMP/all.csv")
    [ -n "$why" ] && bad="$bad np=${shape%x*} threads=${shape#*x}: $why;"
done
if [ -z "$bad" ] &&
    grep -q "skipped 4 bad rows (--on-bad-row skip); first at lines 5002, 12347, 20002, 30001$" "$TMP/exact.s.err" &&
    grep -q '"rows": 29996' "$TMP/exact.s.json" && grep -q '"poly(x3, 3)3"' "$TMP/exact.s.json"; then
    ok "exact solver: stream gives the resident model byte for byte, poly() and 4 rows log() cannot take skipped at their lines (ranks 1-3 x threads 1-2)"
else
    not_ok "exact solver with a formula, stream against resident" "$bad $(grep skipped "$TMP/exact.s.err")"
fi

# the same fit as on the file without those rows: poly()'s coefficients and the levels
# from the rows fitted
lr 2 1 --quiet --memory stream --block-rows 4096 --solver exact --formula "$F" \
    --model-out "$TMP/clean.json" "$TMP/clean.csv" >/dev/null 2>"$TMP/err"
model_values "$TMP/exact.s.json" >"$TMP/a"
model_values "$TMP/clean.json" >"$TMP/b"
if values_close "$TMP/a" "$TMP/b" 1e-12 >/dev/null && grep -q '"h=lo"' "$TMP/exact.s.json" &&
    ! grep -q '"g=zz"\|"h=hi"' "$TMP/exact.s.json"; then
    ok "rows skipped for log() are left out of poly()'s coefficients and of the levels (g's 'zz', h's first 'aa'): the fit of the file without them"
else
    not_ok "skipped rows and poly()" "$(head -c 300 "$TMP/err")"
fi

# a design fixed before the rows are read (no poly(), no factor() of numbers): resident
# mode makes it as it checks the rows, in one pass; the same model and predictions
F2='log(y) ~ g * x1 + log(x2) + I(x1^2) + h'
why=$(both fixed 3 2 --solver exact --formula "$F2" --on-bad-row skip "$TMP/all.csv")
for mode in resident stream; do
    # shellcheck disable=SC2046
    lr 2 2 predict --memory "$mode" $([ "$mode" = stream ] && echo --block-rows 4096) \
        --model "$TMP/fixed.r.json" --on-bad-row skip "$TMP/all.csv" >"$TMP/fixed.$mode.pred" 2>/dev/null
done
if [ -z "$why" ] && grep -q "first at lines 5002, 12347, 20002, 30001$" "$TMP/fixed.s.err" &&
    [ -s "$TMP/fixed.stream.pred" ] && cmp -s "$TMP/fixed.resident.pred" "$TMP/fixed.stream.pred" &&
    [ "$(sed -n 20002p "$TMP/fixed.stream.pred" | cut -c1)" = "," ]; then
    ok "a fixed design (made as the rows are checked when resident): the same model and predictions streamed (np=3 and 2)"
else
    not_ok "a fixed design, stream against resident" "$why $(grep skipped "$TMP/fixed.s.err")"
fi

# the same in 4096-row blocks (the test build), the last made first where the design is
# wider than the rows as read: the same model; without skip the first bad row reported
LINREG_TEST_MAX_ROWS=4096 timeout 30 mpirun --oversubscribe --bind-to none -n 3 \
    -x OMP_NUM_THREADS=2 -x LINREG_TEST_MAX_ROWS "$HOOKS_BIN" --memory resident --solver exact \
    --formula "$F2" --on-bad-row skip --model-out "$TMP/fixed.json" "$TMP/all.csv" \
    </dev/null >/dev/null 2>&1
LINREG_TEST_MAX_ROWS=4096 timeout 30 "$HOOKS_BIN" --memory resident --formula "$F2" \
    "$TMP/all.csv" </dev/null >/dev/null 2>"$TMP/err"
if same_model "$TMP/fixed.json" "$TMP/fixed.r.json" && grep -q "all.csv:5002:[0-9]*: log(x2)" "$TMP/err"; then
    ok "a fixed design made in many blocks, the last first: the same model; the first bad row reported"
else
    not_ok "a fixed design in many blocks" "$(head -c 300 "$TMP/err")"
fi

# poly(x, 3)'s coefficients: degree + 1 passes over the scratch file before the design
# (the passes a run reports, less its refinement passes and the metrics' pass, which the
# last refinement pass saves when the note says so, against x alone)
passes() {
    lr 1 1 --solver exact --memory stream --block-rows 4096 --formula "$1" \
        --model-out "$TMP/p.json" "$TMP/clean.csv" 2>&1 >/dev/null |
        awk '/refinement pass [0-9]/ { r++ } /metrics from the last refinement pass/ { f = 1 }
             match($0, /[0-9]+ passes over/) { p = substr($0, RSTART) + 0 }
             END { print p - r - (1 - f) }'
}
a=$(passes 'log(y) ~ x1 + poly(x3, 3)') b=$(passes 'log(y) ~ x1 + x3')
[ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) = 4 ] &&
    ok "stream mode: poly(x3, 3) costs 4 passes over the scratch file ($a against $b)" ||
    not_ok "the passes poly() takes in stream mode" "'$a' against '$b'"

why=$(both gd 3 2 --solver gd --epochs 30 --formula "$F" --on-bad-row skip "$TMP/all.csv")
[ -z "$why" ] && ok "gd: every epoch's design from the blocks read back, the resident model (np=3, threads=2)" ||
    not_ok "gd with a formula, stream against resident" "$why"

# a row log() cannot take without skip: the same error, at the same place, in both modes
for mode in resident stream; do
    # shellcheck disable=SC2046
    lr 3 1 --memory "$mode" $([ "$mode" = stream ] && echo --block-rows 4096) --formula "$F" \
        "$TMP/all.csv" >/dev/null 2>"$TMP/$mode.err"
    echo $? >"$TMP/$mode.rc"
done
col=$(awk -F, 'NR == 5002 { print length($1) + length($2) + length($3) + 4 }' "$TMP/all.csv")
if [ "$(cat "$TMP/resident.rc") $(cat "$TMP/stream.rc")" = "65 65" ] &&
    grep -q "all.csv:5002:$col: log(x2): log of a value that is not positive: -1 (column 'x2')" "$TMP/stream.err" &&
    [ "$(grep -c "all.csv:5002:$col: log(x2)" "$TMP/resident.err")" = "$(grep -c "all.csv:5002:$col: log(x2)" "$TMP/stream.err")" ]; then
    ok "a row log() cannot take: exit 65 at the same FILE:LINE:COLUMN naming the term, in both modes (np=3)"
else
    not_ok "a row log() cannot take, stream and resident" "$(cat "$TMP/resident.rc" "$TMP/stream.rc") $(head -c 300 "$TMP/stream.err")"
fi

# predict and evaluate with the formula model: the same bytes; the response log() cannot
# take left empty, the rows whose terms it cannot take skipped (empty fields)
for mode in resident stream; do
    blocks=$([ "$mode" = stream ] && echo "--block-rows 4096")
    # shellcheck disable=SC2086
    lr 3 2 predict --memory "$mode" $blocks --model "$TMP/exact.r.json" --on-bad-row skip \
        "$TMP/all.csv" >"$TMP/$mode.pred" 2>"$TMP/$mode.perr"
    # shellcheck disable=SC2086
    lr 2 1 evaluate --json --memory "$mode" $blocks --model "$TMP/exact.r.json" --on-bad-row skip \
        "$TMP/all.csv" >"$TMP/$mode.eval" 2>>"$TMP/$mode.perr"
done
if [ -s "$TMP/stream.pred" ] && cmp -s "$TMP/resident.pred" "$TMP/stream.pred" &&
    cmp -s "$TMP/resident.eval" "$TMP/stream.eval" &&
    [ "$(sed -n 5002p "$TMP/stream.pred")" = "," ] && [ "$(sed -n 20002p "$TMP/stream.pred" | cut -c1)" = "," ] &&
    [ "$(sed -n 20002p "$TMP/stream.pred")" != "," ] &&
    grep -q "skipped 3 bad rows (--on-bad-row skip); first at lines 5002, 12347, 30001$" "$TMP/stream.perr"; then
    ok "predict and evaluate with a formula model stream: the resident bytes, skipped rows and an empty response in place"
else
    not_ok "predict/evaluate with a formula model in stream mode" "$(head -c 300 "$TMP/stream.perr")"
fi

# several plain parts: the bad row named by its part and its line there; skipped, the
# model of the one file (the same ranks and threads as its last run above)
for mode in resident stream; do
    blocks=$([ "$mode" = stream ] && echo "--block-rows 4096")
    # shellcheck disable=SC2086
    lr 3 1 --memory "$mode" $blocks --formula "$F" "$TMP/parts" >/dev/null 2>"$TMP/$mode.err"
    # shellcheck disable=SC2086
    lr 3 2 --memory "$mode" $blocks --solver exact --formula "$F" --on-bad-row skip \
        --model-out "$TMP/parts.$mode.json" "$TMP/parts" 2>&1 >/dev/null | grep skipped >"$TMP/$mode.skip"
done
col=$(awk -F, 'NR == 3347 { print length($1) + length($2) + length($3) + 4 }' "$TMP/parts/p1.csv")
want="first at lines $TMP/parts/p0.csv:5002, $TMP/parts/p1.csv:3347, $TMP/parts/p1.csv:11002, $TMP/parts/p2.csv:9001"
if grep -q "parts/p0.csv:5002:[0-9]*: log(x2)" "$TMP/resident.err" &&
    grep -q "parts/p0.csv:5002:[0-9]*: log(x2)" "$TMP/stream.err" &&
    grep -qF "$want" "$TMP/resident.skip" && grep -qF "$want" "$TMP/stream.skip" &&
    same_model "$TMP/parts.resident.json" "$TMP/exact.r.json" &&
    same_model "$TMP/parts.stream.json" "$TMP/exact.r.json"; then
    ok "several parts: a bad row at its part's FILE:LINE:COLUMN, skipped ones listed by part and line, the one file's model (both modes)"
else
    not_ok "a formula over several parts" "$(head -c 200 "$TMP/stream.err"; cat "$TMP/resident.skip" "$TMP/stream.skip")"
fi

# orthogonal poly() with missing values: the records skipped for a missing response or
# another column (--missing skip) count in the polynomial's coefficients, as in R's model
# frame before na.omit, and a record missing the polynomial's own column or skipped as bad
# does not; in 4096-row blocks (missing responses at their edges and in the last rows)
# stream gives the resident model byte for byte (ranks 1 and 3 x threads 2), and so does
# a resident read in blocks of 4096 rows parsed in pieces of 2000 bytes (the test build);
# the coefficients agree with R's QR construction (numpy) over the rows it should take
"$PY" - "$TMP" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(11)
n = 12000
x, z = rng.normal(size=n), rng.uniform(1, 3, n)
y = np.exp(0.2 * x + 0.1 * x ** 2 + 0.3 * z + rng.normal(0, 0.2, n))
rows = [["%.6g" % v for v in r] for r in zip(x, z, y)]
for i in list(range(0, n, 97)) + [4095, 4096, 4097, 8191, n - 2, n - 1]:
    rows[i][2] = "NA"  # the response
for i in range(5, n, 301):
    rows[i][1] = "NA"  # another column
for i in range(7, n, 499):
    rows[i][0] = "NA"  # the polynomial's own column
rows[50].append("9")  # a bad record: too many fields
open(sys.argv[1] + "/pna.csv", "w").write("x,z,y\n" + "\n".join(",".join(r) for r in rows) + "\n")
xs = np.array([float(r[0]) for r in rows if len(r) == 3 and r[0] != "NA"])
xc = xs - xs.mean()  # R's poly(): QR of the centred powers
q, r = np.linalg.qr(np.vander(xc, 4, increasing=True))
Z = q * np.diag(r)
norm2 = (Z ** 2).sum(0)
alpha = ((xc[:, None] * Z ** 2).sum(0) / norm2 + xs.mean())[:3]
np.savetxt(sys.argv[1] + "/pna.ref", np.r_[alpha, 1, norm2], fmt="%.17g")
PY
bad=""
for shape in 1x2 3x2; do
    why=$(both pna "${shape%x*}" "${shape#*x}" --solver exact --formula 'log(y) ~ z + poly(x, 3)' \
        --missing skip --on-bad-row skip "$TMP/pna.csv")
    [ -n "$why" ] && bad="$bad np=${shape%x*} threads=${shape#*x}: $why;"
done
LINREG_TEST_MAX_ROWS=4096 LINREG_TEST_BLOCK_BYTES=2000 timeout 30 mpirun --oversubscribe \
    --bind-to none -n 3 -x LINREG_TEST_MAX_ROWS -x LINREG_TEST_BLOCK_BYTES -x OMP_NUM_THREADS=2 \
    "$HOOKS_BIN" --quiet --solver exact --formula 'log(y) ~ z + poly(x, 3)' --missing skip \
    --on-bad-row skip --model-out "$TMP/pna.h.json" "$TMP/pna.csv" >/dev/null 2>&1 </dev/null
same_model "$TMP/pna.r.json" "$TMP/pna.h.json" || bad="$bad resident in blocks and pieces differs;"
"$PY" -c '
import json, sys
v = [v for v in json.load(open(sys.argv[1]))["formula"]["variables"] if "alpha" in v][0]
print("\n".join("%r" % x for x in v["alpha"] + v["norm2"]))' "$TMP/pna.s.json" >"$TMP/pna.got"
if [ -z "$bad" ] && values_close "$TMP/pna.got" "$TMP/pna.ref" 1e-12 >/dev/null &&
    grep -q "skipped 196 rows (1 bad (--on-bad-row skip), 195 with a missing value" "$TMP/pna.s.err"; then
    ok "poly() with missing values: rows skipped for another column's count in its coefficients (R's QR), stream = resident byte for byte (ranks 1 and 3, blocks and pieces)"
else
    not_ok "poly() with missing values in stream mode" "$bad $(values_close "$TMP/pna.got" "$TMP/pna.ref" 1e-12) $(grep skipped "$TMP/pna.s.err")"
fi
