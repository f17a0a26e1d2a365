# encode.sh — categorical columns and missing values against pandas + scikit-learn
# (tests/tools/encode_reference.py), R's lm() on iris, the same model under every rank and
# thread count, predict with unseen levels and missing values, and the adversarial files.

PY=/usr/bin/python3  # Debian's, with pandas and scikit-learn (scripts/install-deps.sh)
REFTOOL="$ROOT/tests/tools/encode_reference.py"
ADV="$ROOT/tests/adversarial"

# a house-price-like table: two numbers with empty and NA fields, two text columns (one
# level quoted with a comma, one UTF-8, one missing now and then), a target with a few NA
"$PY" - "$TMP/h.csv" "$TMP/new.csv" <<'PY'
import random, sys
random.seed(16)
near = ['INLAND', '"NEAR BAY"', '"<1H OCEAN"', '"ISLAND, SOUTH"', 'côte', 'NEAR_OCEAN']
kind = ['a', 'b', 'c']
def row(i, target=True, unseen=False):
    x1 = random.gauss(3, 2); x2 = random.uniform(0, 10)
    n = random.randrange(len(near)); k = random.randrange(3)
    y = 1.5 + 2 * x1 - 0.7 * x2 + [0, 3, -2, 5, 1.5, -1][n] + [0, 0.5, -0.8][k] + random.gauss(0, 1)
    f = [f"{x1:.6f}", f"{x2:.6f}", near[n], kind[k], f"{y:.6f}"]
    if random.random() < 0.05: f[0] = random.choice(['', 'NA'])
    if random.random() < 0.04: f[1] = random.choice(['', 'null'])
    if random.random() < 0.03: f[2] = ''
    if target and random.random() < 0.02: f[4] = random.choice(['NA', ''])
    if unseen and random.random() < 0.1: f[2] = 'SPACE'
    return ",".join(f if target else f[:4])
open(sys.argv[1], "w").write("x1,x2,near,kind,y\n" + "".join(row(i) + "\n" for i in range(3000)))
open(sys.argv[2], "w").write("near,kind,x2,x1\n" + "".join(
    ",".join([r.split(",")[k] for k in (2, 3, 1, 0)]) + "\n" for r in
    [row(i, False, True).replace('"ISLAND, SOUTH"', 'ISLANDSOUTH') for i in range(400)]))
PY
"$PY" "$REFTOOL" fit "$TMP/h.csv" y near,kind mean 0 1 >"$TMP/ref_mean.json"
"$PY" "$REFTOOL" fit "$TMP/h.csv" y near,kind mean 1 1 >"$TMP/ref_ind.json"
"$PY" "$REFTOOL" fit "$TMP/h.csv" y near,kind skip 0 1 >"$TMP/ref_skip.json"
"$PY" "$REFTOOL" fit "$TMP/h.csv" y near,kind mean 0 0 >"$TMP/ref_noint.json"

# compare MODEL REF TOL WHAT
compare() {
    local why
    why=$("$PY" "$REFTOOL" compare "$1" "$2" "$3") && ok "$4 (worst $why)" || not_ok "$4" "$why"
}

# --- the exact solver to 1e-9 and gd to 1e-6 of pandas + scikit-learn, every rank/thread mix
for cfg in "1 1" "2 2" "3 1" "3 2"; do
    read -r np th <<<"$cfg"
    lr "$np" "$th" --quiet --solver exact --categorical near,kind --missing mean \
        --model-out "$TMP/ex_$np$th.json" "$TMP/h.csv"
    compare "$TMP/ex_$np$th.json" "$TMP/ref_mean.json" 1e-9 \
        "exact, --categorical near,kind --missing mean = get_dummies + fillna(mean) + LinearRegression to 1e-9 ($np ranks x $th threads)"
done
"$PY" - "$TMP"/ex_{11,22,31,32}.json <<'PY' && ok "exact: the same model and encoding (levels; fills to 1e-12) under 1-3 ranks x 1-2 threads" || not_ok "rank/thread invariance"
import json, sys
def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a))
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return a == b
ref = json.load(open(sys.argv[1]))
for f in sys.argv[2:]:
    m = json.load(open(f))
    for k in ["features", "intercept", "coefficients", "encoding"]:
        assert close(ref[k], m[k]), (f, k)
PY
for cfg in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$cfg"
    lr "$np" "$th" --quiet --solver gd --categorical near,kind --missing mean \
        --model-out "$TMP/gd_$np$th.json" "$TMP/h.csv"
    compare "$TMP/gd_$np$th.json" "$TMP/ref_mean.json" 1e-6 \
        "gd, the same to 1e-6 ($np ranks x $th threads)"
done
lr 2 2 --quiet --solver exact --categorical near,kind --missing mean --missing-indicator \
    --model-out "$TMP/ind.json" "$TMP/h.csv"
compare "$TMP/ind.json" "$TMP/ref_ind.json" 1e-9 "--missing-indicator: NAME_missing columns as scikit-learn's add_indicator"
lr 3 1 --quiet --solver exact --categorical near,kind --missing skip --model-out "$TMP/skip.json" \
    "$TMP/h.csv" 2>"$TMP/err"
compare "$TMP/skip.json" "$TMP/ref_skip.json" 1e-9 "--missing skip = dropna()"
lr 2 1 --solver exact --categorical near,kind --missing skip --model-out "$TMP/skip.json" \
    "$TMP/h.csv" 2>"$TMP/err" >/dev/null
want=$("$PY" -c "
import pandas as pd; d = pd.read_csv('$TMP/h.csv', keep_default_na=False, na_values=['','NA','N/A','NaN','nan','null','NULL'])
print(len(d) - len(d.dropna()))")
grep -q "skipped $want rows (0 bad (--on-bad-row skip), $want with a missing value" "$TMP/err" &&
    ok "--missing skip: the $want rows with a missing value counted and reported" ||
    not_ok "--missing skip report" "want $want: $(grep skipped "$TMP/err")"
# the scaling of a mean-filled column: the std of the filled column (what StandardScaler
# gives after SimpleImputer), so penalties see unit-variance features
"$PY" - "$TMP/ind.json" "$TMP/h.csv" <<'PY' && ok "--missing mean: the scaling std of a filled column is the filled column's std (StandardScaler after fillna)" || not_ok "scaling of a filled column"
import json, sys, pandas as pd, numpy as np
m = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2], keep_default_na=False, na_values=['','NA','N/A','NaN','nan','null','NULL'])
d = d[d.y.notna()]
for c in ('x1', 'x2'):
    want = d[c].fillna(d[c].mean()).std(ddof=0)
    got = m['scaling']['std'][m['features'].index(c)]
    if abs(got - want) > 1e-12 * want:
        sys.exit(f"{c}: scaling std {got!r}, the filled column's std {want!r}")
PY
# --test: its skipped rows and unseen levels are reported, naming the file
printf 'x1,x2,near,kind,y\n1,2,INLAND,a,NA\n2,3,SPACE,b,4\n3,1,INLAND,c,\n4,4,INLAND,a,6\n' >"$TMP/t.csv"
expect_fail "--test: an unseen level stops by default, as in predict" 65 \
    "t.csv:3:5: column 'near': level 'SPACE' was not seen in training" 2 \
    --solver exact --categorical near,kind --missing mean --test "$TMP/t.csv" --model-out "$TMP/tm.json" "$TMP/h.csv"
lr 2 1 --solver exact --categorical near,kind --missing mean --test "$TMP/t.csv" --unknown-level zero \
    --model-out "$TMP/tm.json" "$TMP/h.csv" 2>"$TMP/err" >/dev/null
grep -q "linreg_mpi: --test $TMP/t.csv: skipped 2 rows (0 bad (--on-bad-row skip), 2 with a missing value" "$TMP/err" &&
    grep -q "linreg_mpi: --test $TMP/t.csv: column 'near': 1 value of levels not seen in training" "$TMP/err" &&
    ok "--test: its rows skipped for a missing target and its unseen levels are counted, naming the file" ||
    not_ok "--test reports" "$(grep -e '--test' "$TMP/err" | head -c 300)"
lr 2 2 --quiet --solver exact --categorical near,kind --missing mean --no-intercept \
    --model-out "$TMP/noint.json" "$TMP/h.csv"
compare "$TMP/noint.json" "$TMP/ref_noint.json" 1e-9 "--no-intercept: every level gets a column"
lr 2 1 --quiet --solver exact --categorical auto --missing mean --model-out "$TMP/auto.json" "$TMP/h.csv"
compare "$TMP/auto.json" "$TMP/ref_mean.json" 1e-9 "--categorical auto finds near and kind by their values"
"$PY" - "$TMP/ex_11.json" <<'PY' && ok "model JSON: features NAME=LEVEL; encoding: levels in byte order, reference, fills" || not_ok "encoding JSON"
import json, sys
m = json.load(open(sys.argv[1])); e = {c["name"]: c for c in m["encoding"]["columns"]}
near = ['"<1H OCEAN"', "INLAND", "ISLAND, SOUTH", "NEAR BAY", "NEAR_OCEAN", "côte"]
near[0] = "<1H OCEAN"
assert e["near"]["levels"] == near and e["near"]["reference"] == "<1H OCEAN", e["near"]
assert e["kind"]["levels"] == ["a", "b", "c"] and e["x1"]["type"] == "numeric"
assert "near=côte" in m["features"] and "near=<1H OCEAN" not in m["features"]
assert abs(e["x1"]["fill"] - e["x1"]["fill"]) == 0 and e["x1"]["missing"] > 0
PY

# --- predict with unseen levels and missing values: one line per row, = pandas
"$PY" "$REFTOOL" predict "$TMP/h.csv" y near,kind mean 1 1 "$TMP/new.csv" >"$TMP/want.txt"
lr 2 2 --quiet --solver exact --categorical near,kind --missing mean --missing-indicator \
    --model-out "$TMP/pm.json" "$TMP/h.csv"
for np in 1 3; do
    lr "$np" 1 predict --unknown-level zero --model "$TMP/pm.json" --output "$TMP/pred.csv" "$TMP/new.csv" 2>"$TMP/err"
    tail -n +2 "$TMP/pred.csv" >"$TMP/got.txt"
    unseen=$(grep -c '^SPACE,\|^ISLANDSOUTH,' "$TMP/new.csv")
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-9) &&
        grep -q "column 'near': $unseen values of levels not seen in training encoded as all zeros" "$TMP/err" &&
        ok "predict --unknown-level zero: unseen levels all-zero ($unseen counted on stderr), missing values filled: 400 lines = pandas (np=$np)" ||
        not_ok "predict unseen/missing (np=$np)" "$why $(head -2 "$TMP/err")"
done
line=$(grep -n '^SPACE,\|^ISLANDSOUTH,' "$TMP/new.csv" | head -1 | cut -d: -f1)
expect_fail "predict --unknown-level error: FILE:LINE:COLUMN of the first unseen level" 65 \
    "new.csv:$line:1: column 'near': level '.*' was not seen in training" 3 \
    predict --unknown-level error --model "$TMP/pm.json" "$TMP/new.csv"
# the default, as R's predict.lm ("factor has new levels")
expect_fail "predict: an unseen level stops by default, naming --unknown-level zero" 65 \
    "new.csv:$line:1: column 'near': level '[A-Z]*' was not seen in training, so the model has no coefficient for it; --unknown-level zero accepts it" \
    2 predict --model "$TMP/pm.json" "$TMP/new.csv"
printf 'x1,x2,near,kind,y\n1,2,INLAND,a,3\n2,3,SPACE,b,4\n' >"$TMP/ev_unseen.csv"
expect_fail "evaluate: an unseen level stops by default, naming --unknown-level zero" 65 \
    "ev_unseen.csv:3:5: column 'near': level 'SPACE' was not seen in training, so the model has no coefficient for it; --unknown-level zero accepts it" \
    3 evaluate --model "$TMP/pm.json" "$TMP/ev_unseen.csv"
lr 2 1 evaluate --model "$TMP/pm.json" --json "$TMP/h.csv" >"$TMP/ev.json" 2>"$TMP/err" &&
    grep -q '"rows": ' "$TMP/ev.json" && grep -q "with a missing value: a missing target" "$TMP/err" &&
    ok "evaluate: rows with a missing target skipped and reported" || not_ok "evaluate missing target" "$(cat "$TMP/err")"

# --- R's lm(Sepal.Length ~ ., iris) (datasets/README.md)
R_IRIS="2.171266292155074 0.495888938388551 0.829243912234806 -0.315155173326474 -0.723561957780730 -1.023497814490833"
for cfg in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$cfg"
    lr "$np" "$th" --quiet --solver exact --target Sepal.Length --categorical Species \
        --model-out "$TMP/iris.json" "$ROOT/datasets/iris.csv"
    model_values "$TMP/iris.json" >"$TMP/got.txt"
    tr ' ' '\n' <<<"$R_IRIS" >"$TMP/want.txt"
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-12) &&
        grep -q '"Species=versicolor"' "$TMP/iris.json" &&
        ok "iris: R's lm(Sepal.Length ~ ., iris) to 1e-12, setosa the reference ($np ranks x $th threads)" ||
        not_ok "iris vs R ($np x $th)" "$why"
done
R_IRIS_SE="0.279794154713779 0.086069922308816 0.0685276454152499 0.151195750887588 0.240168942022631 0.333726298151483"
"$PY" -c "
import json; m = json.load(open('$TMP/iris.json'))
print('\n'.join('%.17g' % t['std_error'] for t in m['inference']['terms']))" >"$TMP/got.txt"
tr ' ' '\n' <<<"$R_IRIS_SE" >"$TMP/want.txt"
why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-9) &&
    ok "iris: R's standard errors to 1e-9" || not_ok "iris standard errors vs R" "$why"

# --- errors: the same exit and message under 1, 2 and 3 ranks
for np in 1 3; do
    expect_fail "text values without --categorical: every text column of the row named, with --categorical auto and --drop" 65 \
        "h.csv:2:[0-9]*: column 'near': '.*' is not a number; column 'kind' holds text too: one-hot encode them with --categorical near,kind (or --categorical auto: every text column), leave them out with --drop near,kind, or skip such rows with --on-bad-row skip" \
        $np --missing mean "$TMP/h.csv"
    expect_fail "--max-levels: 10,000 distinct values named with their count" 65 \
        "column 'id' has 10000 distinct values, more than --max-levels 1000: an id or free-text column? Leave it out with --drop id" \
        $np --categorical id "$ADV/cat_10000_levels.csv"
    expect_fail "--missing mean on a column with no value at all" 65 \
        "column 'b': every value is missing, so --missing mean has no mean to fill in; leave it out with --drop b" \
        $np --missing mean "$ADV/missing_all.csv"
done
# text columns found in the rows after the failing one are named too: 'b' is empty (missing)
# in the failing row and text in the next
printf 'a,b,c,y\nx,,u,3\ny,p,v,4\n1,2,3,5\n' >"$TMP/later.csv"
expect_fail "text values without --categorical: text columns of the rows that follow named too" 65 \
    "later.csv:2:1: column 'a': 'x' is not a number; columns 'b', 'c' hold text too: one-hot encode them with --categorical a,b,c (or --categorical auto: every text column), leave them out with --drop a,b,c, or skip such rows with --on-bad-row skip" \
    1 "$TMP/later.csv"
for np in 1 2 3; do  # the text is in the last rank's rows under 3 ranks
    expect_fail "a column that is text only in a later rank's rows: the first text line" 65 \
        "cat_text_late.csv:2990:3: column 'b': 'late' is not a number; one-hot encode it with --categorical b (or --categorical auto: every text column), leave the column out with --drop b" \
        $np "$ADV/cat_text_late.csv"
    expect_fail "--categorical auto: the same column holds numbers and text" 65 \
        "--categorical auto: column 'b' holds both numbers and text; name it with --categorical b" \
        $np --categorical auto "$ADV/cat_text_late.csv"
done
for np in 2; do
    expect_fail "--missing error (the default) names skip and mean" 65 \
        "missing_all.csv:2:3: column 'b': '' is a missing value; --missing skip skips such rows, --missing mean" \
        $np "$ADV/missing_all.csv"
done
# a record with a missing value (--missing skip) and a fault after it is a bad record,
# named by that fault and skipped only by --on-bad-row skip, not counted as merely missing
for rec in ',1:5:3:too few fields' ',1,5,7:5:6:too many fields' ",abc,5:5:2:column 'b': 'abc' is not a number"; do
    IFS=: read -r fields line col what <<<"$rec"
    printf 'a,b,y\n1,2,3\n2,1,4\n3,3,8\n%s\n4,1,9\n5,2,11\n' "$fields" >"$TMP/fc.csv"
    expect_fail "a missing value, then $what: the fault's place" 65 "fc.csv:$line:$col: $what" \
        1 --missing skip "$TMP/fc.csv" &&
        lr 1 1 --missing skip --on-bad-row skip --model-out "$TMP/fc.json" "$TMP/fc.csv" >/dev/null 2>"$TMP/err" &&
        grep -q "skipped 1 bad row (--on-bad-row skip); first at line 5$" "$TMP/err" &&
        ok "a missing value, then $what: --on-bad-row skip counts it bad" ||
        not_ok "a missing value, then $what, under --on-bad-row skip" "$(grep skipped "$TMP/err")"
done
lr 3 1 --quiet --categorical b --max-levels 10 --model-out "$TMP/late.json" "$ADV/cat_text_late.csv" &&
    grep -q '"b=late"' "$TMP/late.json" && ok "--categorical b: numbers and text alike become levels" ||
    not_ok "cat_text_late with --categorical b"
lr 2 1 --quiet --solver exact --categorical "level" --model-out "$TMP/q.json" "$ADV/cat_level_quoted.csv" 2>"$TMP/err" &&
    "$PY" - "$TMP/q.json" <<'PY' && ok "levels holding the delimiter, doubled quotes and UTF-8 kept byte for byte" || not_ok "quoted levels" "$(head -3 "$TMP/err")"
import json, sys
m = json.load(open(sys.argv[1]))
lv = m["encoding"]["columns"][1]["levels"]
assert lv == ['a,b', 'plain', 'say "hi"', 'Ωmega'], lv
PY
printf 'c,y\n\xff\xfe,1\na,2\nb,3\na,4\n' >"$TMP/latin.csv"
expect_fail "a level that is not UTF-8: the model cannot hold it" 65 \
    "latin.csv: column 'c': a level is not UTF-8 text or holds a NUL byte" 2 --categorical c "$TMP/latin.csv"
# predict with a model that has no fill: --missing skip gives such rows an empty prediction
printf 'x1,x2,near,kind\n1,2,INLAND,a\n,2,INLAND,b\n3,NA,côte,c\n' >"$TMP/few.csv"
lr 2 1 --quiet --solver exact --categorical near,kind --missing skip --model-out "$TMP/noskip.json" "$TMP/h.csv"
lr 2 1 predict --missing skip --model "$TMP/noskip.json" "$TMP/few.csv" >"$TMP/p.txt" 2>"$TMP/err"
[ "$(sed -n 3p "$TMP/p.txt")$(sed -n 4p "$TMP/p.txt")" = '""""' ] && [ "$(wc -l <"$TMP/p.txt")" = 4 ] &&
    ! grep -q overrides "$TMP/err" &&
    expect_fail "predict --missing error on a --missing skip model: the override said, the error names skip (not mean: the model has no means)" 65 \
        "few.csv:3:1: column 'x1': '' is a missing value; --missing skip skips such rows (--na-values says" 2 predict --missing error --model "$TMP/noskip.json" "$TMP/few.csv" &&
    grep -q "^linreg_mpi: --missing error overrides the model's --missing skip$" "$TMP/err" &&
    ok "predict --missing skip: rows with a missing value get an empty prediction, one line per row" ||
    not_ok "predict --missing skip" "$(cat "$TMP/p.txt" "$TMP/err")"
# the model's mode by default: the same lines without --missing, the skipped rows counted
lr 3 1 predict --model "$TMP/noskip.json" "$TMP/few.csv" >"$TMP/p2.txt" 2>"$TMP/err"
cmp -s "$TMP/p.txt" "$TMP/p2.txt" &&
    grep -q "^linreg_mpi: skipped 2 rows (0 bad (--on-bad-row skip), 2 with a missing value" "$TMP/err" &&
    ok "predict follows the model's --missing skip: empty predictions at those rows, counted on stderr" ||
    not_ok "predict follows --missing skip" "$(cat "$TMP/p2.txt" "$TMP/err")"
expect_fail "predict --missing mean on a model without training means: a usage error" 2 \
    "--missing mean: the model .*noskip.json was trained with --missing skip and holds no training means" \
    2 predict --missing mean --model "$TMP/noskip.json" "$TMP/few.csv"
# an override of a --missing mean model: skip then skips instead of filling
lr 2 1 predict --missing skip --unknown-level zero --model "$TMP/pm.json" "$TMP/few.csv" >"$TMP/p3.txt" 2>"$TMP/err"
[ "$(sed -n 3p "$TMP/p3.txt")$(sed -n 4p "$TMP/p3.txt")" = '""""' ] && [ "$(sed -n 2p "$TMP/p3.txt")" != '""' ] &&
    grep -q "^linreg_mpi: --missing skip overrides the model's --missing mean$" "$TMP/err" &&
    ok "predict --missing skip on a --missing mean model: skips, and says it overrides" ||
    not_ok "predict override of mean" "$(cat "$TMP/p3.txt" "$TMP/err")"
lr 2 1 --model-out "$TMP/nat.json" "$ADV/na_target.csv" 2>"$TMP/err" >/dev/null &&
    grep -q "skipped 3 rows (0 bad (--on-bad-row skip), 3 with a missing value: a missing target" "$TMP/err" &&
    [ "$(json_numbers "$TMP/nat.json" rows | head -1)" = 5 ] &&
    ok "NA strings in the target: 3 rows skipped, counted and reported" || not_ok "na_target" "$(head -3 "$TMP/err")"

# --- describe: present, missing, distinct and the most frequent texts
lr 3 2 describe --json "$TMP/h.csv" >"$TMP/d.json" 2>/dev/null
"$PY" - "$TMP/d.json" "$TMP/h.csv" <<'PY' && ok "describe --json: counts, missing, mean/std, distinct and top-5 = pandas (3 ranks x 2 threads)" || not_ok "describe vs pandas"
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2], keep_default_na=False, na_values=['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'],
                dtype={"near": str, "kind": str})
num = {c["name"]: c for c in j["columns"]}; txt = {c["name"]: c for c in j["text"]}
for c in ["x1", "x2", "y"]:
    s = d[c].dropna()
    assert num[c]["count"] == len(s) and num[c]["missing"] == d[c].isna().sum(), c
    assert abs(num[c]["mean"] - s.mean()) <= 1e-12 * abs(s.mean())
    assert abs(num[c]["std"] - s.std(ddof=0)) <= 1e-12 * s.std(ddof=0)
for c in ["near", "kind"]:
    vc = d[c].value_counts()
    assert txt[c]["distinct"] == len(vc) and txt[c]["missing"] == d[c].isna().sum(), c
    top = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:5]
    assert [(t["value"], t["count"]) for t in txt[c]["top"]] == [(k, v) for k, v in top], (txt[c]["top"], top)
PY
lr 1 1 describe "$TMP/h.csv" >"$TMP/d.txt" 2>/dev/null
grep -q "population standard deviation" "$TMP/d.txt" && grep -q "^near .*most frequent: " "$TMP/d.txt" &&
    ok "describe: the table says std is the population one, lists the most frequent texts" ||
    not_ok "describe table" "$(head -5 "$TMP/d.txt")"
# names holding a newline, a carriage return, a tab, a comma or a quote (legal inside quotes):
# one row each, the name escaped ('x\x0aq') as train's output shows it too
"$PY" "$ROOT/tests/tools/check_names.py" data "$TMP/names.csv"
lr 1 1 describe "$TMP/names.csv" >"$TMP/d.txt" 2>/dev/null
why=""
for name in 'x\x0aq' 'g\x0dh' 'a,b' 'q"t' 'y"\x09z,\x0aw'; do
    [ "$(grep -cF "$name " "$TMP/d.txt")" = 1 ] && grep -F "$name " "$TMP/d.txt" | grep -q "^[^ ]*  *12 " ||
        why="$why no row '$name';"
done
grep -q '[[:cntrl:]]' "$TMP/d.txt" && why="$why a control byte;"
[ -z "$why" ] && ok "describe: names with a newline, CR, tab, comma or quote escaped, a row each" ||
    not_ok "describe: names with control bytes" "$why $(cat -A "$TMP/d.txt" | head -12)"

# --- describe's quartiles: exact, as pandas' describe() and numpy's percentile (linear,
# R's type 7), over each column's present values; the same bytes under 1-3 ranks x 1-2
# threads (5000 rows: several parts per thread, ties, negatives, missing values)
"$PY" - "$TMP/q.csv" <<'PY'
import numpy as np
rng = np.random.default_rng(29)
n = 5000
cols = {
    "gauss": rng.normal(3, 2, n),
    "ties": rng.integers(-3, 4, n).astype(float),
    "holes": np.where(rng.random(n) < 0.3, np.nan, rng.exponential(5, n)),
    "few": np.where(np.arange(n) % 1000 == 7, rng.normal(0, 1, n), np.nan),
    "y": rng.uniform(-1e6, 1e6, n),
}
with open(__import__("sys").argv[1], "w") as f:
    f.write(",".join(cols) + "\n")
    for i in range(n):
        f.write(",".join("" if np.isnan(c[i]) else repr(float(c[i])) for c in cols.values()) + "\n")
PY
for np in 1 2 3; do
    for th in 1 2; do
        lr "$np" "$th" describe --json "$TMP/q.csv" >"$TMP/q$np$th.json" 2>/dev/null
    done
done
same=1  # the order statistics' bytes for any rank and thread count (mean and std: rounding)
for f in "$TMP"/q[123][12].json; do
    cmp -s <(grep -E '"(name|count|missing|min|25%|50%|75%|max)"' "$f") \
        <(grep -E '"(name|count|missing|min|25%|50%|75%|max)"' "$TMP/q11.json") || same=0
done
"$PY" - "$TMP/q11.json" "$TMP/q.csv" <<'PY' && [ "$same" = 1 ] &&
import json, sys, numpy as np, pandas as pd
j = {c["name"]: c for c in json.load(open(sys.argv[1]))["columns"]}
d = pd.read_csv(sys.argv[2], float_precision="round_trip").describe()
for c in d.columns:
    for k in ("25%", "50%", "75%", "min", "max", "count"):
        assert j[c][k] == d[c][k], (c, k, j[c][k], d[c][k])
    v = pd.read_csv(sys.argv[2], float_precision="round_trip")[c].dropna().to_numpy()
    assert [j[c][k] for k in ("25%", "50%", "75%")] == list(np.percentile(v, [25, 50, 75])), c
    assert j[c]["missing"] == 5000 - len(v)
PY
    ok "describe: quartiles = pandas' describe() and numpy's percentile exactly, missing values left out; quartiles, min, max and counts the same bytes under 1-3 ranks x 1-2 threads" ||
    not_ok "describe quartiles" "same bytes: $same"
lr 2 1 describe "$TMP/q.csv" 2>/dev/null | awk '$1 == "holes"' >"$TMP/qrow.txt"
"$PY" -c "
import sys, pandas as pd; s = pd.read_csv('$TMP/q.csv')['holes'].describe()
got = open('$TMP/qrow.txt').read().split()
want = [s['25%'], s['50%'], s['75%']]
assert all(abs(float(g) - w) <= 1e-7 * abs(w) for g, w in zip(got[6:9], want)), (got, want)" &&
    ok "describe's table: min, 25%, 50%, 75%, max columns" || not_ok "describe table quartiles" "$(cat "$TMP/qrow.txt")"

# --- a number column with a few stray texts keeps its numeric statistics (over its numbers,
# as pandas' to_numeric(errors="coerce")) and says how many and where the first is: its
# line, past a record that spans two lines
"$PY" - "$TMP/stray.csv" <<'PY'
import sys
rows = ["x,t,y"]
for i in range(3000):
    x = "abc" if i == 2222 else "oops" if i == 2500 else "NA" if i % 97 == 5 else f"{(i * 37) % 101 / 4}"
    t = '"two\nlines"' if i == 10 else "v"
    rows.append(f"{x},{t},{i % 7}")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
for np in 1 3; do
    lr "$np" 2 describe --json "$TMP/stray.csv" >"$TMP/stray.json" 2>/dev/null
    lr "$np" 1 describe "$TMP/stray.csv" >"$TMP/stray.txt" 2>/dev/null
    # data row 2222 is line 2225: the header, and the record of two lines before it
    "$PY" - "$TMP/stray.json" "$TMP/stray.csv" <<'PY' &&
import json, sys, numpy as np, pandas as pd
j = {c["name"]: c for c in json.load(open(sys.argv[1]))["columns"]}["x"]
raw = pd.read_csv(sys.argv[2], keep_default_na=False, na_values=["NA"], float_precision="round_trip")
x = pd.to_numeric(raw["x"], errors="coerce").dropna()
assert j["count"] == len(x) == 3000 - 31 - 2 and j["missing"] == 31, (j["count"], j["missing"])
assert j["text_values"] == 2 and j["first_text"] == "abc" and j["first_text_line"] == 2225, j
assert [j[k] for k in ("25%", "50%", "75%")] == list(np.percentile(x, [25, 50, 75]))
assert abs(j["mean"] - x.mean()) <= 1e-12 * abs(x.mean())
PY
        grep -q "^x .*   2 text values (first at line 2225: 'abc')$" "$TMP/stray.txt" &&
        ok "describe: a number column with 2 stray texts keeps its statistics (= pandas after to_numeric) and says '2 text values (first at line 2225: 'abc')' (np=$np)" ||
        not_ok "describe: stray texts (np=$np)" "$(grep '^x ' "$TMP/stray.txt")"
done

# --categorical naming a column that is not a feature: a usage error, not ignored
expect_fail "--categorical naming a dropped column" 2 \
    "--categorical: 'Species' is left out (--drop, or not in --features), not a feature: take it out of --categorical, or keep the column" \
    2 --target Sepal.Length --categorical Species --drop Species "$ROOT/datasets/iris.csv"
expect_fail "--categorical naming the --weights column" 2 \
    "--categorical: 'Petal.Width' is the --weights column, not a feature: take it out of --categorical" \
    2 --target Sepal.Length --categorical Species,Petal.Width --weights Petal.Width "$ROOT/datasets/iris.csv"

# --- a level seen only in records that are not kept (skipped for a missing value, or bad
# rows skipped) is no level: R's lm() drops unused levels, and the model's list must not
# depend on whether the level came before or after the field that rejected the record.
# lv_<mode>_<order>.csv: columns in two orders (levels first, levels last); zz, ww and rr
# only in rejected records (ww and rr in the same one), e first in a rejected record and
# kept later; lv_keep.csv: the kept rows alone, the reference's input. The test build's
# small blocks put the records on many blocks and pieces.
"$PY" - "$TMP" <<'PY'
import random, sys
random.seed(7)
d = sys.argv[1]
kept = []
for i in range(60):
    c = random.choice("ab" if i < 20 else "abe"); dd = random.choice("pq")
    x = random.uniform(0, 10)
    y = 1 + 0.5 * x + {"a": 0, "b": 2, "e": -1}[c] + {"p": 0, "q": 0.7}[dd] + random.gauss(0, .3)
    kept.append({"c": c, "d": dd, "x": f"{x:.6f}", "y": f"{y:.6f}"})
bad = {  # where each rejected record goes, and its fields
    "missing": [(5, dict(c="zz", d="p", x="", y="5")), (12, dict(c="ww", d="rr", x="NA", y="6")),
                (15, dict(c="e", d="q", x="", y="2")), (33, dict(c="vv", d="p", x="1", y=""))],
    "bad": [(5, dict(c="zz", d="p", x="1.2.3", y="5")), (12, dict(c="ww", d="rr", x="2", y="oops")),
            (15, dict(c="e", d="q", x="3", y="-")), (33, dict(c="vv", d="p", x="1", y="4,extra")),
            (40, dict(c="uu", d="tt", x=None, y=None))],
}
orders = {"first": ["c", "d", "x", "y"], "last": ["x", "y", "c", "d"]}
def line(r, cols):
    return ",".join(r[k] for k in cols if r[k] is not None) + "\n"
open(f"{d}/lv_keep.csv", "w").write("c,d,x,y\n" + "".join(line(r, orders["first"]) for r in kept))
for mode, rej in bad.items():
    for name, cols in orders.items():
        rows = [line(r, cols) for r in kept]
        for at, r in sorted(rej, reverse=True):
            if r["x"] is None:  # too few fields: the levels alone, in this order
                r = dict(r, x="", y="")
                rows.insert(at, ",".join(r[k] for k in cols if r[k]) + "\n")
            else:
                rows.insert(at, line(r, cols))
        open(f"{d}/lv_{mode}_{name}.csv", "w").write(",".join(cols) + "\n" + "".join(rows))
PY
"$PY" "$REFTOOL" fit "$TMP/lv_keep.csv" y c,d skip 0 1 >"$TMP/lv_ref.json"
lv_bad=""
for mode in missing bad; do
    opt=(--missing skip)
    [ $mode = bad ] && opt=(--on-bad-row skip)
    for order in first last; do
        for cfg in "1 1" "1 2" "2 1" "2 2"; do
            read -r np th <<<"$cfg"
            LINREG_TEST_BLOCK_BYTES=64 BIN=$HOOKS_BIN lr "$np" "$th" --quiet --solver exact \
                --target y --categorical c,d "${opt[@]}" --model-out "$TMP/lv_${mode}_${order}_$np$th.json" \
                "$TMP/lv_${mode}_$order.csv" >/dev/null || lv_bad="$lv_bad $mode/$order/$np$th: exit $?"
        done
    done
done
# each model = the reference (every coefficient by name, to 1e-9), and its level lists
lv_bad="$lv_bad$("$PY" - "$TMP/lv_ref.json" "$TMP"/lv_{missing,bad}_{first,last}_{11,12,21,22}.json <<'PY'
import json, os, sys
ref = json.load(open(sys.argv[1]))
for f in sys.argv[2:]:
    if not os.path.exists(f):
        continue  # its exit is reported
    m = json.load(open(f))
    got = dict(zip(m["features"], m["coefficients"]), **{"(Intercept)": m["intercept"]})
    cols = {c["name"]: c.get("levels") for c in m["encoding"]["columns"]}
    name = os.path.basename(f)
    if set(got) != set(ref):
        print(f" {name}: features {sorted(got)}", end="")
    elif max(abs(got[k] - ref[k]) / max(1, abs(ref[k])) for k in ref) > 1e-9:
        print(f" {name}: coefficients", end="")
    elif cols["c"] != ["a", "b", "e"] or cols["d"] != ["p", "q"]:
        print(f" {name}: levels {cols['c']} {cols['d']}", end="")
PY
)"
[ -z "$lv_bad" ] &&
    ok "levels only in rejected records (--missing skip, --on-bad-row skip) are no levels: = pandas on the kept rows to 1e-9, levels [a b e] [p q], levels before or after the rejecting field, 1-2 ranks x 1-2 threads" ||
    not_ok "levels of rejected records" "$lv_bad"
printf 'c,d,x\nzz,p,1\n' >"$TMP/lv_new.csv"
expect_fail "predict: a level seen only in a skipped training record is unseen" 65 \
    "lv_new.csv:2:1: column 'c': level 'zz' was not seen in training" 2 \
    predict --model "$TMP/lv_missing_first_22.json" "$TMP/lv_new.csv"
# stream mode and a cache written, then read, give the resident model
LINREG_TEST_BLOCK_BYTES=64 BIN=$HOOKS_BIN stream_case "levels of rejected records" "1x2 2x1" \
    --solver exact --categorical c,d --on-bad-row skip "$TMP/lv_bad_first.csv"
lv_bad=""
for np in 2 1; do  # written under 2 ranks, read under 1
    lr "$np" 1 --solver exact --categorical c,d --missing skip --cache "$TMP/lv.cache" \
        --model-out "$TMP/lv_c$np.json" "$TMP/lv_missing_first.csv" >/dev/null 2>"$TMP/err" ||
        lv_bad="$lv_bad np=$np: exit $?"
    why=$("$PY" "$REFTOOL" compare "$TMP/lv_c$np.json" "$TMP/lv_ref.json" 1e-9) ||
        lv_bad="$lv_bad np=$np: $why"
done
grep -q "from the cache" "$TMP/err" && [ -z "$lv_bad" ] &&
    ok "levels of rejected records: the cache written and read holds none of them" ||
    not_ok "levels of rejected records, cache" "$lv_bad $(head -c 300 "$TMP/err")"

# --- a level holding a newline or a carriage return (inside quotes): train's output shows
# it escaped as describe does ('x\x0ay'), one line per name; the model file keeps it as read.
# e's levels repeat c's, so its column is aliased and a warning names it.
printf 'c,e,x,y\na,k,1,1.1\n"x\ny","m\nn",2,3.2\na,k,3,2.9\n"x\ny","m\nn",4,6.1\na,k,5,5.2\n"x\ny","m\nn",6,8.1\n"p\rq",k,7,9\n"p\rq",k,8,9.5\n' >"$TMP/nl.csv"
lr 1 1 --solver exact --categorical c,e --model-out "$TMP/nl.json" "$TMP/nl.csv" >"$TMP/out" 2>"$TMP/err"
lv_bad=""
grep -q '^linreg_mpi:   c=x\\x0ay  *mean ' "$TMP/err" && grep -q '^linreg_mpi:   c=p\\x0dq  *mean ' "$TMP/err" ||
    lv_bad="$lv_bad stats lines;"
grep -q "^linreg_mpi: warning: column 'e=m\\\\x0an' is a linear combination" "$TMP/err" || lv_bad="$lv_bad warning;"
grep -q '^c=x\\x0ay  *[0-9]' "$TMP/out" && grep -q '^c=p\\x0dq  *[0-9]' "$TMP/out" || lv_bad="$lv_bad table;"
grep -q '^model: y = .*\*c=p\\x0dq .*\*c=x\\x0ay .*\*e=m\\x0an .*\*x$' "$TMP/out" || lv_bad="$lv_bad model line;"
grep -v -q -e '^linreg_mpi: ' -e '^epoch ' "$TMP/err" && lv_bad="$lv_bad a stderr line broken;"
grep -q '^[yn]' "$TMP/out" && lv_bad="$lv_bad a stdout line broken;"
grep -q $'\r' "$TMP/out" "$TMP/err" && lv_bad="$lv_bad a carriage return;"
"$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); sys.exit(not ("c=x\ny" in m["features"] and
    [c["levels"] for c in m["encoding"]["columns"] if c["name"] == "c"] == [["a", "p\rq", "x\ny"]]))' \
    "$TMP/nl.json" || lv_bad="$lv_bad model file;"
[ -z "$lv_bad" ] && ok "levels with a newline or CR: escaped in train's stats lines, warnings, table and model line; raw in the model file" ||
    not_ok "levels with a newline or CR in train's output" "$lv_bad $(head -c 600 "$TMP/err") $(head -c 1500 "$TMP/out")"

# --- a rejected record with a level before a quoted field holding a newline, read in blocks
# of a few bytes by one thread: where the record runs past a block, the level the one-pass
# path read before the quote is no level of that block (the next block reads it again)
printf 'c,note,x,y\na,n,1,1.1\nb,n,2,3.2\na,n,3,2.9\nzz,"multi\nline",,5\nb,n,4,6.1\na,n,5,5.2\nb,n,6,8.1\n' >"$TMP/lvq.csv"
printf 'c,x,y\na,1,1.1\nb,2,3.2\na,3,2.9\nb,4,6.1\na,5,5.2\nb,6,8.1\n' >"$TMP/lvq_keep.csv"
"$PY" "$REFTOOL" fit "$TMP/lvq_keep.csv" y c skip 0 1 >"$TMP/lvq_ref.json"
lv_bad=""
for bb in 8 24 40 48; do
    LINREG_TEST_BLOCK_BYTES=$bb BIN=$HOOKS_BIN lr 1 1 --quiet --solver exact --categorical c \
        --drop note --missing skip --model-out "$TMP/lvq_$bb.json" "$TMP/lvq.csv" >/dev/null ||
        lv_bad="$lv_bad $bb: exit $?"
    why=$("$PY" "$REFTOOL" compare "$TMP/lvq_$bb.json" "$TMP/lvq_ref.json" 1e-9) ||
        lv_bad="$lv_bad $bb bytes: $why"
done
[ -z "$lv_bad" ] && ok "a skipped record across a block boundary leaves no level: = pandas on the kept rows (blocks of 8-48 bytes)" ||
    not_ok "skipped record across blocks" "$lv_bad"

# --- --na-values with a number (-99): such a field is missing whatever it converts to, in
# the one-pass path, the fast path and libcsv alike (blocks of 64 bytes put records on every
# path and boundary); = pandas' na_values on the kept rows. pandas would take -99.0 too:
# the data keep such variants out, the describe case below has them.
"$PY" - "$TMP/nv.csv" "$TMP/nv_new.csv" <<'PY'
import random, sys
random.seed(99)
rows, new = [], []
for i in range(300):
    x1, x2 = random.gauss(2, 3), random.uniform(-5, 5)
    y = 0.5 + 1.5 * x1 - 2 * x2 + random.gauss(0, 1)
    f = [f"{x1:.6f}", f"{x2:.6f}", f"{y:.6f}"]
    r = random.random()
    if r < 0.06: f[0] = "-99"
    elif r < 0.10: f[1] = "-99"
    elif r < 0.13: f[1] = "?"
    elif r < 0.15: f[2] = "-99"
    rows.append(",".join(f))
    if i < 40:
        new.append(",".join(f[:2]))
open(sys.argv[1], "w").write("x1,x2,y\n" + "\n".join(rows) + "\n")
open(sys.argv[2], "w").write("x1,x2\n" + "\n".join(new) + "\n")
PY
NA_VALUES=-99,? "$PY" "$REFTOOL" fit "$TMP/nv.csv" y - skip 0 1 >"$TMP/nv_ref_skip.json"
NA_VALUES=-99,? "$PY" "$REFTOOL" fit "$TMP/nv.csv" y - mean 0 1 >"$TMP/nv_ref_mean.json"
NA_VALUES=-99,? "$PY" "$REFTOOL" predict "$TMP/nv.csv" y - mean 0 1 "$TMP/nv_new.csv" >"$TMP/nv_ref_pred"
nv_bad=""
for cfg in "1 1 skip" "2 2 skip" "1 2 mean" "2 1 mean"; do
    read -r np th miss <<<"$cfg"
    LINREG_TEST_BLOCK_BYTES=64 BIN=$HOOKS_BIN lr "$np" "$th" --quiet --solver exact \
        --na-values -99,? --missing "$miss" --model-out "$TMP/nv_$miss$np$th.json" "$TMP/nv.csv" \
        >/dev/null 2>"$TMP/err" || nv_bad="$nv_bad $cfg: exit $? $(head -c 200 "$TMP/err");"
    why=$("$PY" "$REFTOOL" compare "$TMP/nv_$miss$np$th.json" "$TMP/nv_ref_$miss.json" 1e-9) ||
        nv_bad="$nv_bad $cfg: $why;"
done
# the same through --formula and a stream read in blocks
lr 2 1 --quiet --solver exact --na-values -99,? --missing skip --formula 'y ~ x1 + x2' \
    --model-out "$TMP/nv_f.json" "$TMP/nv.csv" >/dev/null 2>"$TMP/err" || nv_bad="$nv_bad formula: exit $?;"
why=$("$PY" "$REFTOOL" compare "$TMP/nv_f.json" "$TMP/nv_ref_skip.json" 1e-9) || nv_bad="$nv_bad formula: $why;"
LINREG_TEST_BLOCK_BYTES=64 BIN=$HOOKS_BIN lr 2 2 --quiet --solver exact --na-values -99,? --missing mean --memory stream \
    --model-out "$TMP/nv_s.json" "$TMP/nv.csv" >/dev/null 2>"$TMP/err" || nv_bad="$nv_bad stream: exit $?;"
why=$("$PY" "$REFTOOL" compare "$TMP/nv_s.json" "$TMP/nv_ref_mean.json" 1e-9) || nv_bad="$nv_bad stream: $why;"
[ -z "$nv_bad" ] &&
    ok "--na-values -99,?: -99 is missing, not a number: = pandas na_values on the kept rows to 1e-9 (skip and mean; 1-2 ranks x 1-2 threads, 64-byte blocks; --formula; --memory stream)" ||
    not_ok "--na-values with a number" "$nv_bad"
# predict: a -99 feature is filled with the model's training mean (= pandas), and a skip
# model gives its row an empty prediction
nv_bad=""
lr 2 1 predict --model "$TMP/nv_mean21.json" --na-values -99,? --output "$TMP/nv_pred" "$TMP/nv_new.csv" \
    2>"$TMP/err" || nv_bad="exit $? $(head -c 200 "$TMP/err")"
"$PY" - "$TMP/nv_pred" "$TMP/nv_ref_pred" <<'PY' || nv_bad="$nv_bad mean model: predictions differ from pandas;"
import sys
got = [float(v) for v in open(sys.argv[1]).read().split()[1:]]
ref = [float(v) for v in open(sys.argv[2]).read().split()]
sys.exit(not (len(got) == len(ref) == 40 and
              all(abs(a - b) <= 1e-9 * max(1, abs(b)) for a, b in zip(got, ref))))
PY
lr 1 1 predict --model "$TMP/nv_skip11.json" --na-values -99,? --output "$TMP/nv_pred" "$TMP/nv_new.csv" \
    2>"$TMP/err" || nv_bad="$nv_bad skip model: exit $?"
"$PY" - "$TMP/nv_pred" "$TMP/nv_new.csv" <<'PY' || nv_bad="$nv_bad skip model: an empty prediction is not where -99 or ? is;"
import sys
pred = open(sys.argv[1]).read().split("\n")[1:41]
rows = open(sys.argv[2]).read().split("\n")[1:41]
sys.exit(not all((p == '""') == any(f in ("-99", "?") for f in r.split(",")) for p, r in zip(pred, rows)))
PY
[ -z "$nv_bad" ] && ok "predict --na-values -99,?: a -99 feature is filled with the training mean (= pandas to 1e-9), or gets an empty prediction under a skip model" ||
    not_ok "predict with a numeric --na-values" "$nv_bad"
# only the field's bytes (spaces around them aside) decide, as R's read.csv(na.strings =
# c("-99", "?"), strip.white = TRUE): -99.0 and -9.9e1 are numbers (pandas would take them
# as missing too). R's summary(): x 3 missing, mean -37.4, quartiles -99 -99 2 4 5; y 1 missing
printf 'y,x\n1,2\n2,-99\n3,-99.0\n4, -99 \n5,-9.9e1\n6,5\n7,?\n-99,4\n' >"$TMP/nv_bytes.csv"
LINREG_TEST_BLOCK_BYTES=16 BIN=$HOOKS_BIN lr 2 2 describe --na-values -99,? "$TMP/nv_bytes.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] && grep -q '^y  *7  *1  *4  *2  *1  *2.5  *4  *5.5  *7$' "$TMP/out" &&
    grep -q '^x  *5  *3  *-37.4  *[0-9.]*  *-99  *-99  *2  *4  *5$' "$TMP/out" &&
    ok "describe --na-values -99,?: only the bytes -99 (spaces around aside) are missing, -99.0 and -9.9e1 are numbers: R's counts, mean and quartiles (2 ranks x 2 threads, 16-byte blocks)" ||
    not_ok "describe with a numeric --na-values" "exit $rc: $(head -c 600 "$TMP/out") $(head -c 300 "$TMP/err")"
# a weight that is an --na-values string is an error at its place, not a weight of -99
printf 'x,w,y\n1,1,2\n2,-99,3\n3,1,5\n' >"$TMP/nv_w.csv"
expect_fail "--na-values -99 in the --weights column" 65 \
    "nv_w.csv:3:3: column 'w': '-99' is an --na-values string, a missing value; it is the --weights column: fix the value, or skip such rows with --on-bad-row skip" 2 \
    --weights w --na-values -99 "$TMP/nv_w.csv"
printf 'x,o,y\n1,0,2\n2,1,3\n3,-99,5\n' >"$TMP/nv_o.csv"
expect_fail "--na-values -99 in the --offset column" 65 \
    "nv_o.csv:4:3: column 'o': '-99' is an --na-values string, a missing value; it is the --offset column" 1 \
    --offset o --na-values -99 "$TMP/nv_o.csv"
# a cache written without --na-values -99 is stale with it: -99 was a number there
printf 'y,x\n1,2\n2,-99\n3,4\n4,5\n5,7\n' >"$TMP/nv_c.csv"
lr 1 1 --quiet --solver exact --target y --missing mean --cache "$TMP/nv.cache" "$TMP/nv_c.csv" \
    >/dev/null 2>&1
lr 1 1 --solver exact --target y --missing mean --na-values -99 --cache "$TMP/nv.cache" \
    --model-out "$TMP/nv_c.json" "$TMP/nv_c.csv" >/dev/null 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] && grep -q "cache '.*nv.cache' is stale: it was written with other options (--na-values)" "$TMP/err" &&
    "$PY" -c 'import json, sys; c = json.load(open(sys.argv[1]))["encoding"]["columns"]
sys.exit(not [k["fill"] for k in c if k["name"] == "x"] == [4.5])' "$TMP/nv_c.json" &&
    ok "--cache: written without --na-values -99, stale with it; x's fill is the mean of 2,4,5,7" ||
    not_ok "--cache and a numeric --na-values" "exit $rc: $(head -c 300 "$TMP/err")"
