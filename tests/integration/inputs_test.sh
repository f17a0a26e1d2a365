# inputs_test.sh — --test as several files and directories (one test set, in the order
# given), and outputs that would overwrite an input: metrics.test of 3 parts (plain, gzip,
# zstd) equal to the one CSV's under 1 and 2 ranks and to scikit-learn's from the model's
# coefficients; a zero-byte or missing --test part; every input compared with every output,
# directories by the files they expand to.

PY=/usr/bin/python3  # Debian's, with numpy and scikit-learn (scripts/install-deps.sh)


# test_metrics MODEL.json: metrics.test's rows, mse, rmse, mae, r2, adjusted_r2, one a line
test_metrics() {
    sed -n '/^    "test": {/,/}/p' "$1" >"$TMP/tm.json"
    for k in rows mse rmse mae r2 adjusted_r2; do json_numbers "$TMP/tm.json" $k; done
}

"$GEN" --rows 3000 --features 4 --seed 21 "$TMP/all.csv" 2>/dev/null
head -n 1501 "$TMP/all.csv" >"$TMP/train.csv"
{ head -n 1 "$TMP/all.csv"; tail -n 1500 "$TMP/all.csv"; } >"$TMP/test.csv"
# the test rows in 3 parts of uneven sizes, each with the header: plain, gzip, zstd; the same
# parts in a directory, where name order is part order
mkdir -p "$TMP/tdir" "$TMP/trdir"
split_part() { { head -n 1 "$TMP/test.csv"; sed -n "$1,$2p" "$TMP/test.csv"; }; }
split_part 2 201 >"$TMP/p0.csv"
split_part 202 1101 | gzip -c >"$TMP/p1.csv.gz"
split_part 1102 1501 | zstd -q -c >"$TMP/p2.csv.zst"
cp "$TMP/p0.csv" "$TMP/p1.csv.gz" "$TMP/p2.csv.zst" "$TMP/tdir/"
PARTS=(--test "$TMP/p0.csv" --test "$TMP/p1.csv.gz" --test "$TMP/p2.csv.zst")

for np in 1 2; do
    lr "$np" 1 --quiet --model-out "$TMP/ref$np.json" --test "$TMP/test.csv" "$TMP/train.csv"
    lr "$np" 1 --model-out "$TMP/m$np.json" "${PARTS[@]}" "$TMP/train.csv" >"$TMP/out$np" 2>"$TMP/err$np"
    test_metrics "$TMP/ref$np.json" >"$TMP/ref$np.txt"
    test_metrics "$TMP/m$np.json" >"$TMP/m$np.txt"
    [ "$(head -1 "$TMP/m$np.txt")" = 1500 ] && [ "$(wc -l <"$TMP/m$np.txt")" = 6 ] &&
        values_close "$TMP/m$np.txt" "$TMP/ref$np.txt" 1e-12 >/dev/null &&
        values_close "$TMP/m$np.txt" "$TMP/ref1.txt" 1e-12 >/dev/null &&
        ok "--test plain + gzip + zstd parts: metrics.test (1500 rows) within 1e-12 of the one CSV's (np=$np; and np=1's)" ||
        not_ok "--test parts (np=$np)" "$(paste "$TMP/m$np.txt" "$TMP/ref$np.txt" | head -6) $(head -c 300 "$TMP/err$np")"
done
grep -q "^test $TMP/p0.csv (+2 more): 1500 rows, MSE" "$TMP/out2" &&
    ok "the summary names the test set as its first part and the count of the others" ||
    not_ok "--test label" "$(grep test "$TMP/out2")"

# independently: the model's coefficients applied to test.csv by numpy, metrics by scikit-learn
if "$PY" - "$TMP/m2.json" "$TMP/test.csv" >"$TMP/py.out" 2>&1 <<'PY'
import json, sys
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
m = json.load(open(sys.argv[1]))
data = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1]
pred = m["intercept"] + X @ np.array(m["coefficients"])
n, p = X.shape
mse, r2 = mean_squared_error(y, pred), r2_score(y, pred)
want = {"rows": n, "mse": mse, "rmse": np.sqrt(mse), "mae": mean_absolute_error(y, pred),
        "r2": r2, "adjusted_r2": 1 - (1 - r2) * (n - 1) / (n - p - 1)}
got = m["metrics"]["test"]
bad = [k for k in want if abs(got[k] - want[k]) > 1e-10 * max(1.0, abs(want[k]))]
print("misfit: " + ", ".join(f"{k} {got[k]!r} vs {want[k]!r}" for k in bad) if bad else "ok")
sys.exit(1 if bad else 0)
PY
then
    ok "metrics.test of the parts (np=2) = scikit-learn's on test.csv from the model's coefficients (1e-10)"
else
    not_ok "metrics.test against scikit-learn" "$(head -c 300 "$TMP/py.out")"
fi

# a directory as --test, and a directory after a file: the same test set
lr 2 1 --quiet --model-out "$TMP/d.json" --test "$TMP/tdir/" "$TMP/train.csv"
lr 1 1 --quiet --model-out "$TMP/d2.json" --test "$TMP/p0.csv" --test "$TMP/tdir" \
    --glob 'p[12].*' "$TMP/train.csv"
test_metrics "$TMP/d.json" >"$TMP/d.txt"
test_metrics "$TMP/d2.json" >"$TMP/d2.txt"
values_close "$TMP/d.txt" "$TMP/ref1.txt" 1e-12 >/dev/null &&
    values_close "$TMP/d2.txt" "$TMP/ref1.txt" 1e-12 >/dev/null &&
    ok "--test DIR (np=2), and --test FILE --test DIR with --glob (np=1): metrics.test as the one CSV's" ||
    not_ok "--test directory" "$(paste "$TMP/d.txt" "$TMP/d2.txt" "$TMP/ref1.txt" | head -6)"

# a bad --test part: refused before training, naming the part, on every rank count
: >"$TMP/empty.csv"
for np in 1 2 3; do
    expect_fail "a zero-byte --test part: a data error naming it" 65 "empty.csv: empty file (0 bytes)" \
        "$np" --model-out "$TMP/x.json" --test "$TMP/p0.csv" --test "$TMP/empty.csv" --test "$TMP/tdir" "$TMP/train.csv"
done
grep -q "converged\|epoch_limit" "$TMP/err" && not_ok "the bad part is found before training" ||
    ok "the bad part is found before training"
one_fail 66 "a missing --test part" "nothere.csv: cannot open" \
    --model-out "$TMP/x.json" "${PARTS[@]}" --test "$TMP/nothere.csv" "$TMP/train.csv"

# the same --test file twice would count its rows twice: refused; the training file as
# --test is allowed (the training rows evaluated once more)
usage_fail "the same --test file twice" \
    "the inputs '$TMP/p0.csv' and '$TMP/./p0.csv' are the same file, whose rows would be read twice: name each file once" \
    --model-out "$TMP/x.json" --test "$TMP/p0.csv" --test "$TMP/./p0.csv" "$TMP/train.csv"
"$BIN" --quiet --model-out "$TMP/self.json" --test "$TMP/train.csv" "$TMP/train.csv" 2>"$TMP/err" >/dev/null
test_metrics "$TMP/self.json" >"$TMP/self-test.txt"
sed -n '/^    "train": {/,/}/p' "$TMP/self.json" >"$TMP/tm.json"
for k in rows mse rmse mae r2 adjusted_r2; do json_numbers "$TMP/tm.json" $k; done >"$TMP/self-train.txt"
[ "$(head -1 "$TMP/self-test.txt")" = 1500 ] &&
    values_close "$TMP/self-test.txt" "$TMP/self-train.txt" 1e-12 >/dev/null &&
    ok "the training file as --test: allowed, metrics.test = metrics.train within 1e-12 (one process)" ||
    not_ok "training file as --test" "$(head -c 300 "$TMP/err"; paste "$TMP/self-train.txt" "$TMP/self-test.txt")"

# no output may be an input: every input as given, and every file of an input directory.
# A usage error is decided by each rank from its command line alone, before any
# communication: two cases run under mpirun -n 2, the others as one process.
cp "$TMP/p0.csv" "$TMP/trdir/a.csv"
cp "$TMP/p0.csv" "$TMP/trdir/b.csv"
echo '{}' >"$TMP/trdir/model.json"
ln -f "$TMP/trdir/b.csv" "$TMP/b-link.csv"
ln -f "$TMP/tdir/p1.csv.gz" "$TMP/p1-link.gz"
cp -r "$TMP/trdir" "$TMP/trdir.orig"
cp -r "$TMP/tdir" "$TMP/tdir.orig"
expect_fail "--model-out = the second input (another spelling)" 2 \
    "--model-out '$TMP/trdir/./b.csv' is input 2 of 2, '$TMP/trdir/b.csv': it would be overwritten" 2 \
    --model-out "$TMP/trdir/./b.csv" "$TMP/trdir/a.csv" "$TMP/trdir/b.csv"
usage_fail "predict --output = a hard link to the second input" \
    "--output '$TMP/b-link.csv' is input 2 of 2, '$TMP/trdir/b.csv'" \
    predict --model "$TMP/m1.json" --output "$TMP/b-link.csv" "$TMP/trdir/a.csv" "$TMP/trdir/b.csv"
ln -sf "$TMP/trdir/a.csv" "$TMP/a-sym.csv"
usage_fail "--log = a symbolic link to the first input" \
    "--log '$TMP/a-sym.csv' is input 1 of 2, '$TMP/trdir/a.csv'" \
    --log "$TMP/a-sym.csv" --model-out "$TMP/x.json" "$TMP/trdir/a.csv" "$TMP/trdir/b.csv"
usage_fail "--model-out = a file inside an input directory" \
    "--model-out '$TMP/trdir/b.csv' is '$TMP/trdir/b.csv', a file of the input directory '$TMP/trdir'" \
    --model-out "$TMP/trdir/b.csv" "$TMP/train.csv" "$TMP/trdir"
usage_fail "--checkpoint = a hard link to a file inside an input directory" \
    "--checkpoint '$TMP/b-link.csv' is '$TMP/trdir/b.csv', a file of the input directory '$TMP/trdir'" \
    --checkpoint "$TMP/b-link.csv" --model-out "$TMP/x.json" "$TMP/trdir"
expect_fail "--cache = a --test part" 2 "--cache '$TMP/p2.csv.zst' is --test 3 of 3: it would be overwritten" 2 \
    --cache "$TMP/p2.csv.zst" --model-out "$TMP/x.json" "${PARTS[@]}" "$TMP/train.csv"
usage_fail "--report = a hard link to a file of a --test directory" \
    "--report '$TMP/p1-link.gz' is '$TMP/tdir/p1.csv.gz', a file of the --test directory '$TMP/tdir'" \
    --report "$TMP/p1-link.gz" --model-out "$TMP/x.json" --test "$TMP/tdir" "$TMP/train.csv"
usage_fail "an output that --glob makes an input" \
    "--model-out '$TMP/trdir/model.json' is '$TMP/trdir/model.json', a file of the input directory" \
    --glob '*' --model-out "$TMP/trdir/model.json" "$TMP/trdir"
diff -r "$TMP/trdir" "$TMP/trdir.orig" >/dev/null && diff -r "$TMP/tdir" "$TMP/tdir.orig" >/dev/null &&
    ok "the refused runs left every input as it was" || not_ok "inputs changed"
# a file of an input directory that the directory's pattern leaves out is not an input
if lr 2 1 --quiet --model-out "$TMP/trdir/model.json" "$TMP/trdir" 2>"$TMP/err" &&
    grep -q '"rows": 400' "$TMP/trdir/model.json"; then
    ok "--model-out in an input directory, not matched by its pattern: allowed (np=2)"
else
    not_ok "--model-out beside the parts" "$(head -c 300 "$TMP/err")"
fi
# an output that is not a regular file (a pipe here; /dev/null alike) would be replaced by
# the rename that writes it: refused, and left a pipe
mkfifo "$TMP/fifo"
usage_fail "--model-out a named pipe" \
    "--model-out '$TMP/fifo' is not a regular file (a device, pipe or socket)" \
    --model-out "$TMP/fifo" "$TMP/train.csv"
[ -p "$TMP/fifo" ] && ok "the pipe is still a pipe" || not_ok "the pipe was replaced"
