# formula.sh — --formula against R (datasets/r_formula_lm_reference.tsv, from
# datasets/r_formula_lm_reference.R): for 21 formulas (one with --weights) over iris and
# formula_gen.csv (factor x factor, factor x number, number x number, an interaction without
# its main effect, ^2 of three terms, '.' and '. - x', '- 1' and '0 +', nesting, factor(),
# C(), relevel(), every function, poly orthogonal and raw, log(y)) the design's columns in
# model.matrix's order and names, the exact solver's coefficients and standard errors to
# 1e-9, under ranks 1-3; predict and evaluate of four of the models on formula_new.csv (its
# columns in another order) and --test rows against R's predict(); factor() of numbers (its
# levels by value, as R names them) against numpy's lstsq; unseen levels, rows log cannot
# take, missing values, the levels of rows left out (datasets/r_formula_levels_reference.tsv),
# and the usage errors; poly() on airquality's missing values against R
# (datasets/r_poly_na_reference.tsv), and records skipped for a missing value that log()
# cannot take left out of it (numpy).

REF="$ROOT/datasets/r_formula_lm_reference.tsv"
D="$ROOT/datasets"
# one_rank_fail CODE DESC PATTERN ARGS...: exit CODE with PATTERN on stderr, on one rank
# without mpirun (its start and the abort of a failed job cost more than the run; the
# errors met on several ranks are checked with expect_fail)
one_rank_fail() {
    local code=$1 desc=$2 pattern=$3 rc=0
    shift 3
    timeout 30 "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
    if [ "$rc" -ne "$code" ]; then
        not_ok "$desc" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"
    elif ! grep -q -- "$pattern" "$TMP/err"; then
        not_ok "$desc" "stderr lacks '$pattern': $(head -c 300 "$TMP/err")"
    else
        ok "$desc"
    fi
}
usage_fail() { one_rank_fail 2 "$@"; }

# fit NP NAME DATA FORMULA [WEIGHTS]: the model's terms, or why there are none, in
# $TMP/NAME.got
fit() {
    mkdir -p "$TMP/$2.d"  # mpiruns at once: a session directory each
    TMPDIR="$TMP/$2.d" lr "$1" $(($1 == 2 ? 2 : 1)) --quiet --solver exact --formula "$4" \
        ${5:+--weights "$5"} \
        --model-out "$TMP/$2.json" "$D/$([ "$3" = iris ] && echo iris || echo formula_gen).csv" \
        >/dev/null 2>"$TMP/$2.err" || { echo "$2: exit $? $(head -c 200 "$TMP/$2.err")" >"$TMP/$2.got"; return; }
    python3 - "$TMP/$2.json" "$2" >"$TMP/$2.got" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for t in m["inference"]["terms"]:
    print("%s\t%s\t%r\t%r" % (sys.argv[2], t["term"], t["estimate"], t["std_error"]))
PY
}
np=0
while IFS=$'\t' read -r kind name data formula weights; do
    [ "$kind" = case ] || continue
    np=$((np % 3 + 1))  # the cases take turns at 1, 2 and 3 ranks, three runs at a time
    fit "$np" "$name" "$data" "$formula" "$weights" &
    [ "$np" = 3 ] && wait
done <"$REF"
wait
cat "$TMP"/*.got >"$TMP/got"
why=$(python3 - "$REF" "$TMP/got" <<'PY'
import sys
want, got, bad = {}, {}, []
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    if p[0] == "coef":
        want.setdefault(p[1], []).append((p[2], float(p[3]), float(p[4])))
for line in open(sys.argv[2]):
    p = line.rstrip("\n").split("\t")
    if len(p) != 4:
        bad.append(line.strip()); continue
    got.setdefault(p[0], []).append((p[1], float(p[2]), float(p[3])))
def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
for case, cols in want.items():
    g = got.get(case, [])
    if [c[0] for c in g] != [c[0] for c in cols]:
        bad.append("%s: columns %s, R %s" % (case, [c[0] for c in g], [c[0] for c in cols]))
        continue
    for (n, b, s), (_, rb, rs) in zip(g, cols):
        if not (close(b, rb) and close(s, rs)):
            bad.append("%s %s: %r (se %r), R %r (se %r)" % (case, n, b, s, rb, rs))
print("; ".join(bad[:4]) if bad else "", end="")
if not bad:
    print("ok %d" % len(want), end="")
PY
) || why="checker failed: exit $?"
case $why in
"ok 22") ok "22 formulas (one weighted): model.matrix's columns, R's coefficients and standard errors to 1e-9 (ranks 1-3)" ;;
*) not_ok "formulas against R's lm" "$why" ;;
esac

# factor() of a column of numbers: R's levels are sorted by value (-1, 2, 2.5, 10), where an
# order of bytes would give -1, 10, 2, 2.5 and first seen 2, 10, -1, 2.5; the rows ordered so
# that each third of the file (a rank's share of three) lacks a level; a level named as R
# writes its number whatever its spelling in the file (1e1 and 10.0 are 10, 2.50 is 2.5)
awk 'BEGIN { n = split("2 10 2.5 10.0 2.5 10 2.5 2 2 -1 2 2 -1 2 -1 -1 1e1 -1 2.50 -1 10", k, " ")
    eff[2] = 1; eff[10] = -2; eff[-1] = 3.5; eff[2.5] = 0.25
    print "k,x,y"
    for (i = 1; i <= n; i++) {
        x = (i * 37 % 23) / 4.0
        printf "%s,%.2f,%.6f\n", k[i], x, eff[k[i] + 0] + 0.7 * x + 0.3 * sin(i * 1.7)
    } }' >"$TMP/knum.csv"
lr 3 1 --quiet --solver exact --formula 'y ~ factor(k) + x' --model-out "$TMP/knum.json" \
    "$TMP/knum.csv" >/dev/null 2>"$TMP/err"
why=$(/usr/bin/python3 - "$TMP/knum.json" "$TMP/knum.csv" <<'PY'
import json, sys
import numpy as np
m = json.load(open(sys.argv[1]))
d = np.genfromtxt(sys.argv[2], delimiter=",", names=True)
bad = []
var = [v for v in m["formula"]["variables"] if v["name"] == "factor(k)"]
if [(v["levels"], v["values"]) for v in var] != [(["-1", "2", "2.5", "10"], [-1, 2, 2.5, 10])]:
    bad.append("levels %s" % var)
names = ["(Intercept)", "factor(k)=2", "factor(k)=2.5", "factor(k)=10", "x"]
if m["formula"]["design"] != names or [t["term"] for t in m["inference"]["terms"]] != names:
    bad.append("design %s" % m["formula"]["design"])
X = np.column_stack([np.ones(len(d)), d["k"] == 2, d["k"] == 2.5, d["k"] == 10, d["x"]])
b = np.linalg.lstsq(X.astype(float), d["y"], rcond=None)[0]
got = [t["estimate"] for t in m["inference"]["terms"]]
if len(got) != 5 or any(abs(g - w) > 1e-9 * max(1, abs(w)) for g, w in zip(got, b)):
    bad.append("coefficients %s, lstsq %s" % (got, list(b)))
print("; ".join(bad), end="")
PY
) || why="checker failed: exit $?"
[ -z "$why" ] && ok "factor() of numbers: levels by value (-1, 2, 2.5, 10), -1 the reference, numpy's lstsq to 1e-9 (np=3)" ||
    not_ok "factor() of a column of numbers" "$why $(head -c 200 "$TMP/err")"

# --reference without a formula: the fit and predictions of relevel() in one
lr 2 1 --quiet --solver exact --features g,x1,h --categorical g,h --reference g=b,h=lo \
    --target y --model-out "$TMP/reference.json" "$D/formula_gen.csv" >/dev/null 2>"$TMP/err"
model_values "$TMP/reference.json" >"$TMP/a"
model_values "$TMP/gen_relevel_two.json" >"$TMP/b"
lr 1 1 predict --quiet --model "$TMP/reference.json" "$D/formula_new.csv" | cut -d, -f2 | sed 1d >"$TMP/p1"
lr 1 1 predict --quiet --model "$TMP/gen_relevel_two.json" "$D/formula_new.csv" | cut -d, -f2 | sed 1d >"$TMP/p2"
if values_close "$TMP/a" "$TMP/b" 1e-12 >/dev/null && values_close "$TMP/p1" "$TMP/p2" 1e-12 >/dev/null &&
    grep -q '"reference": "b"' "$TMP/reference.json"; then
    ok "--reference g=b,h=lo: R's relevel() fit and predictions, the level in the model"
else
    not_ok "--reference" "$(head -c 300 "$TMP/err")"
fi
usage_fail "--reference of a column that is not categorical" \
    "--reference: 'x1' is not a categorical feature" \
    --reference x1=2 --categorical g --features g,x1 --target y "$D/formula_gen.csv"
one_rank_fail 65 "--reference: a level the column does not have" \
    "--reference: column 'g' has no level 'z'" \
    --reference g=z --categorical g --features g,x1 --target y "$D/formula_gen.csv"

# the tests of whole terms: the formula's terms, as car::Anova(type = "III") has them
why=$(python3 - "$REF" "$TMP" <<'PY'
import json, sys
want, bad = {}, []
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    if p[0] == "anova":
        want.setdefault(p[1], {})[p[2]] = (int(p[3]), float(p[4]), float(p[5]))
for case, terms in want.items():
    got = {t["term"]: t for t in json.load(open("%s/%s.json" % (sys.argv[2], case)))["inference"]["term_tests"]}
    if set(got) != set(terms):
        bad.append("%s: terms %s, R %s" % (case, sorted(got), sorted(terms))); continue
    for name, (df, f, p) in terms.items():
        t = got[name]
        if t["df"] != df or abs(t["F"] - f) > 1e-8 * f or abs(t["p"] - p) > 1e-6 * p:
            bad.append("%s %s: %s, R df %d F %r p %r" % (case, name, t, df, f, p))
print("; ".join(bad[:3]) if bad else "ok %d" % len(want), end="")
PY
) || why="checker failed: exit $?"
[ "$why" = "ok 4" ] && ok "tests of whole terms: the formula's terms, car::Anova's df, F and p" ||
    not_ok "tests of whole terms with a formula" "$why"

# predict and evaluate on a new file against R's predict(), the four models at once
apply_model() {
    TMPDIR="$TMP/$1.d" lr "$2" 1 predict --quiet --model "$TMP/$1.json" "$D/formula_new.csv" \
        >"$TMP/$1.pred" 2>"$TMP/$1.err" &&
        TMPDIR="$TMP/$1.d" lr "$2" 1 evaluate --json --quiet --model "$TMP/$1.json" \
            "$D/formula_new.csv" >"$TMP/$1.eval" 2>>"$TMP/$1.err"
    echo $? >"$TMP/$1.rc"
}
for name in gen_log_dot gen_poly_factor gen_predict gen_relevel; do
    apply_model "$name" $(( ${#name} % 3 + 1 )) &
done
wait
for name in gen_log_dot gen_poly_factor gen_predict gen_relevel; do
    np=$(( ${#name} % 3 + 1 ))
    [ "$(cat "$TMP/$name.rc")" = 0 ] ||
        { not_ok "$name: predict/evaluate failed" "$(head -c 300 "$TMP/$name.err")"; continue; }
    why=$(python3 - "$REF" "$name" "$TMP/$name.pred" "$TMP/$name.eval" <<'PY'
import json, sys
ref, name = sys.argv[1], sys.argv[2]
want = [float(l.split("\t")[3]) for l in open(ref) if l.startswith("predict\t%s\t" % name)]
ev = [l.rstrip("\n").split("\t") for l in open(ref) if l.startswith("evaluate\t%s\t" % name)][0]
lines = open(sys.argv[3]).read().splitlines()
resp = {"gen_log_dot": "log(y)", "gen_poly_factor": "sqrt(y)", "gen_predict": "log(y)",
        "gen_relevel": "y"}[name]
bad = []
if lines[0] != resp + ",prediction":
    bad.append("header %r" % lines[0])
got = [float(l.split(",")[1]) for l in lines[1:]]
if len(got) != len(want) or any(abs(a - b) > 1e-9 * max(1, abs(b)) for a, b in zip(got, want)):
    bad.append("predictions %s, R %s" % (got[:3], want[:3]))
m = json.load(open(sys.argv[4]))
if m["rows"] != int(ev[2]) or abs(m["mse"] - float(ev[3])) > 1e-9 * float(ev[3]) or \
        abs(m["mae"] - float(ev[4])) > 1e-9 * float(ev[4]):
    bad.append("evaluate %s, R rows %s mse %s mae %s" % (m, ev[2], ev[3], ev[4]))
print("; ".join(bad), end="")
PY
    ) || why="checker failed: exit $?"
    [ -z "$why" ] && ok "$name: predict (on the formula's scale) and evaluate as R's predict() (np=$np)" ||
        not_ok "$name: predict/evaluate against R" "$why"
done

# --test rows: the training formula, levels and coefficients; R's figures for the new file
lr 3 1 --quiet --solver exact --formula "$(awk -F'\t' '$1 == "case" && $2 == "gen_predict" { print $4 }' "$REF")" \
    --test "$D/formula_new.csv" --model-out "$TMP/test.json" "$D/formula_gen.csv" >/dev/null 2>"$TMP/err"
why=$(python3 - "$REF" "$TMP/test.json" <<'PY'
import json, sys
ev = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.startswith("evaluate\tgen_predict\t")][0]
t = json.load(open(sys.argv[2]))["metrics"]["test"]
ok = t["rows"] == int(ev[2]) and abs(t["mse"] - float(ev[3])) <= 1e-9 * float(ev[3]) and \
    abs(t["mae"] - float(ev[4])) <= 1e-9 * float(ev[4])
print("" if ok else "test metrics %s, R rows %s mse %s mae %s" % (t, ev[2], ev[3], ev[4]), end="")
PY
) || why="checker failed: exit $?"
[ -z "$why" ] && ok "--test with --formula: the test metrics of R's predict() on the new file (np=3)" ||
    not_ok "--test with --formula" "$why $(head -c 200 "$TMP/err")"

# a row log() cannot take: exit 65 at its line and field, or skipped with empty fields
awk -F, -v OFS=, 'NR == 4 { $5 = "-1" } { print }' "$D/formula_new.csv" >"$TMP/badlog.csv"
col=$(awk 'NR == 4 { n = split($0, f, ","); print length(f[1]) + length(f[2]) + length(f[3]) + length(f[4]) + 5 }' "$TMP/badlog.csv")
expect_fail "predict: log of a negative value at FILE:LINE:COLUMN naming the term" 65 \
    "badlog.csv:4:$col: log(x2): log of a value that is not positive: -1" 2 \
    predict --model "$TMP/gen_predict.json" "$TMP/badlog.csv"
lr 2 1 predict --model "$TMP/gen_predict.json" --on-bad-row skip "$TMP/badlog.csv" \
    >"$TMP/pred" 2>"$TMP/err"
lr 1 1 predict --quiet --model "$TMP/gen_predict.json" "$D/formula_new.csv" >"$TMP/pred_all"
if [ "$(sed -n 4p "$TMP/pred")" = ',' ] &&
    diff <(sed 4d "$TMP/pred") <(sed 4d "$TMP/pred_all") >/dev/null &&
    grep -q "skipped 1 bad row (--on-bad-row skip); first at line 4$" "$TMP/err"; then
    ok "predict --on-bad-row skip: the row log cannot take gets empty fields, counted at line 4"
else
    not_ok "predict --on-bad-row skip with a row log cannot take" "$(head -c 300 "$TMP/err"; head -5 "$TMP/pred")"
fi
# a response log() cannot take: predict leaves it empty and predicts (R's predict() does not
# read the response); evaluate stops at it
awk -F, -v OFS=, 'NR == 3 { $7 = "-2" } { print }' "$D/formula_new.csv" >"$TMP/negy.csv"
lr 2 1 predict --quiet --model "$TMP/gen_predict.json" "$TMP/negy.csv" >"$TMP/pred" 2>"$TMP/err"
want=$(awk -F'\t' '$1 == "predict" && $2 == "gen_predict" && $3 == 3 { print $4 }' "$REF")
got=$(sed -n 3p "$TMP/pred")
if [ "${got%%,*}" = "" ] && close "${got#*,}" "$want" 1e-9; then
    ok "predict: a response log() cannot take is left empty, the prediction R's"
else
    not_ok "predict with a response log() cannot take" "line 3 '$got', R $want; $(head -c 200 "$TMP/err")"
fi
one_rank_fail 65 "evaluate: a response log() cannot take at FILE:LINE:COLUMN" \
    "negy.csv:3:[0-9]*: log(y): log of a value that is not positive: -2" \
    evaluate --model "$TMP/gen_predict.json" "$TMP/negy.csv"

# training: the same row fails, or is skipped and the fit is that of the other rows
awk -F, -v OFS=, 'NR == 5 { $4 = "0" } { print }' "$D/formula_gen.csv" >"$TMP/train_bad.csv"
col=$(awk 'NR == 5 { n = split($0, f, ","); print length(f[1]) + length(f[2]) + length(f[3]) + 4 }' "$TMP/train_bad.csv")
expect_fail "train: log(x2) of 0 at FILE:LINE:COLUMN" 65 "train_bad.csv:5:$col: log(x2): log of a value that is not positive: 0" 3 \
    --formula 'log(y) ~ x1 + log(x2)' "$TMP/train_bad.csv"
sed 5d "$D/formula_gen.csv" >"$TMP/train_rest.csv"
lr 3 1 --solver exact --formula 'log(y) ~ x1 + log(x2)' --on-bad-row skip \
    --model-out "$TMP/skip.json" "$TMP/train_bad.csv" >/dev/null 2>"$TMP/err"
lr 1 1 --quiet --solver exact --formula 'log(y) ~ x1 + log(x2)' \
    --model-out "$TMP/rest.json" "$TMP/train_rest.csv" >/dev/null 2>&1
model_values "$TMP/skip.json" >"$TMP/a"
model_values "$TMP/rest.json" >"$TMP/b"
if values_close "$TMP/a" "$TMP/b" 1e-12 >/dev/null && grep -q "skipped 1 bad row.*first at line 5" "$TMP/err"; then
    ok "train --on-bad-row skip: the row log cannot take left out and counted (np=3)"
else
    not_ok "train --on-bad-row skip with a row log cannot take" "$(head -c 300 "$TMP/err")"
fi

# several inputs (a plain and a gzip part): the same fit; the bad row skipped in place
mkdir -p "$TMP/parts"
head -21 "$TMP/train_bad.csv" >"$TMP/parts/a.csv"
(head -1 "$TMP/train_bad.csv"; tail -n +22 "$TMP/train_bad.csv") | gzip >"$TMP/parts/b.csv.gz"
lr 3 1 --quiet --solver exact --formula 'log(y) ~ x1 + log(x2)' --on-bad-row skip \
    --model-out "$TMP/parts.json" "$TMP/parts" >/dev/null 2>"$TMP/err"
model_values "$TMP/parts.json" >"$TMP/a"
lr 3 1 predict --quiet --model "$TMP/skip.json" --on-bad-row skip "$TMP/parts" >"$TMP/p1" 2>>"$TMP/err"
lr 1 1 predict --quiet --model "$TMP/skip.json" --on-bad-row skip "$TMP/train_bad.csv" >"$TMP/p2" 2>>"$TMP/err"
if values_close "$TMP/a" "$TMP/b" 1e-12 >/dev/null && diff "$TMP/p1" "$TMP/p2" >/dev/null &&
    [ "$(sed -n 5p "$TMP/p1")" = "," ]; then
    ok "several inputs: the fit and predictions of the one file, the bad row skipped in place (np=3)"
else
    not_ok "--formula over several inputs" "$(head -c 300 "$TMP/err")"
fi

# levels the model has not seen: a text level and a number under factor()
awk -F, -v OFS=, 'NR == 3 { $3 = "z" } { print }' "$D/formula_new.csv" >"$TMP/unseen.csv"
one_rank_fail 65 "predict: an unseen text level at FILE:LINE:COLUMN" \
    "unseen.csv:3:[0-9]*: column 'g': level 'z' was not seen in training" \
    predict --model "$TMP/gen_predict.json" "$TMP/unseen.csv"
awk -F, -v OFS=, 'NR == 3 { $1 = "7" } { print }' "$D/formula_new.csv" >"$TMP/unseen_n.csv"
one_rank_fail 65 "predict: an unseen factor() level of a number at FILE:LINE:COLUMN" \
    "unseen_n.csv:3:1: factor(n): level '7' was not seen in training" \
    predict --model "$TMP/gen_predict.json" "$TMP/unseen_n.csv"
# --unknown-level zero: the reference level's columns (all zero), as the row with level 'a'
# (and factor(n)'s 7 as its reference level 1)
awk -F, -v OFS=, 'NR == 3 { $3 = "a" } NR == 4 { $1 = "1" } { print }' "$D/formula_new.csv" >"$TMP/ref.csv"
awk -F, -v OFS=, 'NR == 4 { $1 = "7" } { print }' "$TMP/unseen.csv" >"$TMP/unseen2.csv"
lr 2 1 predict --model "$TMP/gen_predict.json" --unknown-level zero "$TMP/unseen2.csv" \
    >"$TMP/p1" 2>"$TMP/err"
lr 2 1 predict --quiet --model "$TMP/gen_predict.json" "$TMP/ref.csv" >"$TMP/p2"
# with --on-bad-row skip too: --unknown-level zero keeps them (a number as a text level)
lr 2 1 predict --quiet --model "$TMP/gen_predict.json" --unknown-level zero --on-bad-row skip \
    "$TMP/unseen2.csv" >"$TMP/p3" 2>/dev/null
if diff "$TMP/p1" "$TMP/p2" >/dev/null && diff "$TMP/p3" "$TMP/p2" >/dev/null &&
    grep -q "column 'g': 1 value of levels not seen" "$TMP/err" &&
    grep -q "column 'n': 1 value of levels not seen" "$TMP/err"; then
    ok "predict --unknown-level zero: unseen levels (text, factor() of numbers) are the reference level's, counted, kept under --on-bad-row skip"
else
    not_ok "predict --unknown-level zero with a formula" "$(head -c 300 "$TMP/err")"
fi

# usage errors: what the formula replaces, a misspelt column
for opt in "--target y:--target (the left-hand side" "--features x1:--features (the right-hand side" \
    "--drop x3:--drop (write '- NAME'" "--categorical g:--categorical (write factor(NAME)" \
    "--no-intercept:--no-intercept (write '- 1'" "--reference g=b:--reference (write relevel(NAME"; do
    # shellcheck disable=SC2086
    usage_fail "--formula with ${opt%%:*}" "--formula replaces ${opt#*:}" \
        --formula 'y ~ x1' ${opt%%:*} "$D/formula_gen.csv"
done
usage_fail "--formula: an unknown column named, with the nearest" \
    "--formula: unknown column 'x11' at character 5; did you mean 'x1'" \
    --formula 'y ~ x11 + g' "$D/formula_gen.csv"
for opt in "--cache $TMP/c.bin:--cache for now" \
    "--missing mean:--missing mean: a mean put in before the formula's functions" \
    "--missing-indicator:--missing-indicator: the formula states every column"; do
    # shellcheck disable=SC2086
    usage_fail "--formula with ${opt%%:*}: refused" "--formula does not go with ${opt#*:}" \
        --formula 'y ~ x1' ${opt%%:*} "$D/formula_gen.csv"
done
usage_fail "--formula with --missing mean: the way forward named" \
    "--missing skip leaves rows with a missing value out, as R's lm() does (na.omit)" \
    --formula 'y ~ x1' --missing mean "$D/formula_gen.csv"
usage_fail "predict --missing mean with a formula model: no training means to fill in" \
    "--missing mean: the model .* holds no training means" \
    predict --missing mean --model "$TMP/gen_predict.json" "$D/formula_new.csv"

one_rank_fail 65 "--formula: a column of text inside a transformation refused (R: non-numeric)" \
    "formula_gen.csv: --formula: I(g + 1): column 'g' holds text, and a transformation takes numbers" \
    --formula 'y ~ I(g + 1)' "$D/formula_gen.csv"

awk -F, -v OFS=, 'NR == 7 { $6 = "many" } { print }' "$D/formula_gen.csv" >"$TMP/mixed.csv"
one_rank_fail 65 "--formula: a column of numbers and text refused, saying how each is read" \
    "column 'n' holds both numbers and text: --formula reads a column of text as a factor" \
    --formula 'y ~ factor(n)' "$TMP/mixed.csv"

# a missing value in a column the formula reads: an error at its place, or a skipped row
awk -F, -v OFS=, 'NR == 6 { $1 = "" } { print }' "$D/formula_gen.csv" >"$TMP/missing.csv"
one_rank_fail 65 "--formula: a missing level at FILE:LINE:COLUMN, suggesting only --missing skip (a formula refuses mean)" \
    "missing.csv:6:1: column 'g': '' is a missing value; --missing skip skips such rows, as R's lm() does (na.omit) (--na-values says" \
    --formula 'y ~ g + log(x2)' "$TMP/missing.csv"
awk -F, -v OFS=, 'NR == 3 { $5 = "" } { print }' "$D/formula_new.csv" >"$TMP/missing_new.csv"
one_rank_fail 65 "predict with a formula model: a missing value at FILE:LINE:COLUMN, suggesting only --missing skip" \
    "missing_new.csv:3:[0-9]*: column 'x2': '' is a missing value; --missing skip skips such rows (--na-values says" \
    predict --model "$TMP/gen_predict.json" "$TMP/missing_new.csv"
one_rank_fail 65 "--formula: a response of text says to change the formula's response (--target is refused)" \
    "iris.csv:2:17: column 'Species': 'setosa' is not a number; it is the formula's response (the left of ~), a number: change the formula's response, or skip such rows with --on-bad-row skip" \
    --formula 'Species ~ Sepal.Length' "$D/iris.csv"
lr 2 1 --solver exact --missing skip --formula 'y ~ g + log(x2)' --model-out "$TMP/ms.json" \
    "$TMP/missing.csv" >/dev/null 2>"$TMP/err"
sed 6d "$D/formula_gen.csv" >"$TMP/missing_rest.csv"
lr 1 1 --quiet --solver exact --formula 'y ~ g + log(x2)' --model-out "$TMP/mr.json" \
    "$TMP/missing_rest.csv" >/dev/null 2>&1
model_values "$TMP/ms.json" >"$TMP/a"
model_values "$TMP/mr.json" >"$TMP/b"
if values_close "$TMP/a" "$TMP/b" 1e-12 >/dev/null &&
    grep -q "skipped 1 row (0 bad.*1 with a missing value.*first at line 6" "$TMP/err"; then
    ok "--formula --missing skip: the row with a missing level left out and counted"
else
    not_ok "--formula --missing skip" "$(head -c 300 "$TMP/err")"
fi

# --- orthogonal poly() with missing values against R (datasets/r_poly_na_reference.tsv, from
# datasets/r_poly_na_reference.R over r_exports/airquality.csv): R takes poly() of the
# model frame before na.omit, so a row whose response (aq_response) or, under --missing
# skip, another column (aq_other) is missing counts in the polynomial's coefficients
# though it is not fitted; a row whose polynomial's own column is missing (aq_own, where
# R stops) is left out of both. Coefficients and standard errors to 1e-9, alpha and norm2
# to 1e-12, under 1-3 ranks; predict of each model on every row against R's predict().
RQ="$D/r_poly_na_reference.tsv"
AQ="$ROOT/datasets/r_exports/airquality.csv"
poly_na() {  # NP NAME [skip]: the fit of case NAME, then its predictions on every row
    local f
    f=$(awk -F'\t' -v n="$2" '$1 == "case" && $2 == n { print $3 }' "$RQ")
    mkdir -p "$TMP/$2.$1.d"
    TMPDIR="$TMP/$2.$1.d" lr "$1" 1 --quiet --solver exact ${3:+--missing "$3"} --formula "$f" \
        --model-out "$TMP/$2.$1.json" "$AQ" >/dev/null 2>"$TMP/$2.$1.err" &&
        TMPDIR="$TMP/$2.$1.d" lr "$1" 1 predict --model "$TMP/$2.$1.json" "$AQ" \
            >"$TMP/$2.$1.pred" 2>>"$TMP/$2.$1.err"
}
# (a missing response is skipped under the default --missing error too)
for run in "1 aq_response" "3 aq_response skip" "2 aq_other skip" "3 aq_own skip"; do
    # shellcheck disable=SC2086
    poly_na $run &
done
wait
for run in "1 aq_response" "3 aq_response" "2 aq_other" "3 aq_own"; do
    # shellcheck disable=SC2086
    set -- $run
    why=$(python3 - "$RQ" "$2" "$TMP/$2.$1.json" "$TMP/$2.$1.pred" <<'PY'
import json, sys
ref, name, model, pred = sys.argv[1:]
coef, poly, want, rows = {}, None, {}, None
for line in open(ref):
    p = line.rstrip("\n").split("\t")
    if len(p) < 3 or p[1] != name:
        continue
    if p[0] == "case":
        rows = int(p[3])
    elif p[0] == "coef":
        coef[p[2]] = (float(p[3]), float(p[4]))
    elif p[0] == "poly":
        poly = [float(v) for v in p[3].split("|") + p[4].split("|")]
    elif p[0] == "predict":
        want[int(p[2])] = None if p[3] == "NA" else float(p[3])
close = lambda a, b, t: abs(a - b) <= t * max(abs(b), 1e-300)
bad = []
try:
    m = json.load(open(model))
except (OSError, ValueError) as e:
    sys.exit(print("no model: %s" % e))
if m["training"]["rows"] != rows:
    bad.append("rows %s, R fitted %d" % (m["training"]["rows"], rows))
terms = {t["term"]: t for t in m["inference"]["terms"]}
for c, (est, se) in coef.items():
    t = terms.get(c)
    if not t or not close(t["estimate"], est, 1e-9) or not close(t["std_error"], se, 1e-9):
        bad.append("%s: %s, R %r %r" % (c, t and (t["estimate"], t["std_error"]), est, se))
got = [v for v in m["formula"]["variables"] if "alpha" in v]
if len(got) != 1 or not all(close(a, b, 1e-12) for a, b in
                            zip(got[0]["alpha"] + got[0]["norm2"], poly)):
    bad.append("poly coefs %s, R %s" % (got and got[0]["alpha"] + got[0]["norm2"], poly))
lines = open(pred).read().splitlines()[1:]
if len(lines) != len(want):
    bad.append("%d predictions, R %d" % (len(lines), len(want)))
for i, l in enumerate(lines):
    v, w = l.split(",")[1], want.get(i + 2)
    if (v == "") != (w is None) or (w is not None and not close(float(v), w, 1e-9)):
        bad.append("line %d: '%s', R %s" % (i + 2, v, w))
print("; ".join(bad[:4]))
PY
)
    if [ -z "$why" ]; then
        ok "poly() with missing values ($2, np=$1): R's coefficients, standard errors, poly() coefs and predict() on every row"
    else
        not_ok "poly() with missing values ($2, np=$1)" "$why $(head -c 200 "$TMP/$2.$1.err")"
    fi
done

# a record skipped for a missing value that would also be a bad row (log() of a value it
# cannot take, of w or of the response) stays out of poly() as a bad row without a missing
# value does: which records count must not hang on a missing value elsewhere. In pb.csv
# line 5 has z missing and w = -1, line 9 w = -1, line 13 z missing (counted in poly(), not
# fitted), line 17 z missing and log(y + 3) of -2: poly(x, 2) of the 17 other records
# (numpy's QR construction of R's poly()) and numpy's least squares on the 16 fitted, under
# 1 and 3 ranks, streamed the same model; without --on-bad-row skip, the file less line 9
# fits the same (no error: lines 5 and 17 are skipped for their missing value). The case as
# reported, pb_repro.csv (w = 1 but on lines 5 and 9) with y ~ poly(x, 2) + z + log(w):
# norm2[1], the records counted, is 18 (19 when line 5 counted)
/usr/bin/python3 - "$TMP" <<'PY'
import numpy as np, sys
t = sys.argv[1]
x = [-0.8019314252534474, -1.324358995628145, -0.24836162209524854, 0.4204452380655215,
     1.1360465324896427, 0.10970639932180819, -0.5526473205362324, -0.7847803553442784,
     0.7487457707345911, 1.6347830429585775, 0.27276877584472176, -1.2333286640307717,
     -0.9582652054360887, 1.6000190889991115, 0.2028824405086084, -1.7321348424395848,
     -0.08369619281702581, -1.1632259734447485, -0.6292880940615545, -0.48800582327685743]
x = np.array(x)
rng = np.random.default_rng(3)
z, w = rng.normal(size=20), rng.uniform(0.5, 2, 20)
y = 1 + x + np.square(x) + z + 0.5 * np.log(w) + rng.normal(0, 0.1, 20)
rows = [["%.17g" % a for a in r] for r in zip(x, z, w, y)]
rows[3][1], rows[3][2] = "NA", "-1"  # line 5: missing and bad
rows[7][2] = "-1"                    # line 9: bad
rows[11][1] = "NA"                   # line 13: missing: counts in poly()
rows[15][1], rows[15][3] = "NA", "-5"  # line 17: missing, and a response log() cannot take
text = ["x,z,w,y"] + [",".join(r) for r in rows]
open(t + "/pb.csv", "w").write("\n".join(text) + "\n")
open(t + "/pb_nobad.csv", "w").write("\n".join(text[:8] + text[9:]) + "\n")
rows = [r[:2] + [r[2] if r[2] == "-1" else "1"] + r[3:] for r in rows]
open(t + "/pb_repro.csv", "w").write("\n".join(["x,z,w,y"] + [",".join(r) for r in rows]) + "\n")
xs = np.array([x[i] for i in range(20) if i not in (3, 7, 15)])
xc = xs - xs.mean()  # R's poly(): QR of the centred powers
q, r = np.linalg.qr(np.vander(xc, 3, increasing=True))
Z = q * np.diag(r)
norm2 = (Z ** 2).sum(0)
alpha = ((xc[:, None] * Z ** 2).sum(0) / norm2 + xs.mean())[:2]
P = Z[:, 1:] / np.sqrt(norm2[1:])
fit = [i for i in range(20) if i not in (3, 7, 11, 15)]
at = [i for i in range(20) if i not in (3, 7, 15)]
X = np.column_stack([np.ones(16), P[[at.index(i) for i in fit]], z[fit], np.log(w[fit])])
b, rss = np.linalg.lstsq(X, np.log(y[fit] + 3), rcond=None)[:2]
se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * rss[0] / (16 - 5))
with open(t + "/pb.ref", "w") as f:
    f.write("\n".join("%r" % v for v in np.r_[alpha, 1, norm2, b, se]) + "\n")
PY
pb_fit() {  # NAME NP MEMORY ARGS...
    local name=$1 np=$2 mem=$3
    shift 3
    mkdir -p "$TMP/$name.d"
    TMPDIR="$TMP/$name.d" lr "$np" 1 --solver exact --memory "$mem" --missing skip \
        --model-out "$TMP/$name.json" "$@" >/dev/null 2>"$TMP/$name.err" ||
        echo "$name: exit $? $(head -c 200 "$TMP/$name.err")" >"$TMP/$name.fail"
}
PBF='log(y + 3) ~ poly(x, 2) + z + log(w)'
pb_fit pb.1 1 resident --on-bad-row skip --formula "$PBF" "$TMP/pb.csv" &
pb_fit pb.3 3 resident --on-bad-row skip --formula "$PBF" "$TMP/pb.csv" &
wait
pb_fit pb.s 3 stream --block-rows 4096 --on-bad-row skip --formula "$PBF" "$TMP/pb.csv" &
pb_fit pb.n 2 resident --formula "$PBF" "$TMP/pb_nobad.csv" &
pb_fit pb.r 1 resident --on-bad-row skip --formula 'y ~ poly(x, 2) + z + log(w)' \
    "$TMP/pb_repro.csv" &
wait
why=$(cat "$TMP"/pb.*.fail 2>/dev/null; python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
ref = [float(v) for v in open(t + "/pb.ref")]
poly, coef, se = ref[:6], ref[6:11], ref[11:]
close = lambda a, b, tol: abs(a - b) <= tol * max(abs(b), 1)
bad = []
for run in ("1", "3", "n"):
    m = json.load(open("%s/pb.%s.json" % (t, run)))
    v = [v for v in m["formula"]["variables"] if "alpha" in v][0]
    got = v["alpha"] + v["norm2"]
    if not all(close(a, b, 1e-12) for a, b in zip(got, poly)):
        bad.append("pb.%s: poly coefs %s, numpy %s" % (run, got, poly))
    terms = m["inference"]["terms"]
    if (m["training"]["rows"] != 16 or len(terms) != 5 or
            not all(close(tm["estimate"], b, 1e-9) and close(tm["std_error"], s, 1e-9)
                    for tm, b, s in zip(terms, coef, se))):
        bad.append("pb.%s: %d rows, %s, numpy %s %s" % (run, m["training"]["rows"],
                   [(tm["estimate"], tm["std_error"]) for tm in terms], coef, se))
v = [v for v in json.load(open(t + "/pb.r.json"))["formula"]["variables"] if "alpha" in v][0]
if v["norm2"][1] != 18:
    bad.append("w = 1: norm2 %s, not 18 records" % v["norm2"])
print("; ".join(bad[:3]), end="")
PY
) || why="checker failed: exit $?"
same_model "$TMP/pb.s.json" "$TMP/pb.3.json" || why="$why; the stream model differs"
grep -q "skipped 4 rows (1 bad (--on-bad-row skip), 3 with a missing value" "$TMP/pb.3.err" ||
    why="$why; pb.3: $(grep skipped "$TMP/pb.3.err")"
grep -q "skipped 3 rows (0 bad (--on-bad-row skip), 3 with a missing value" "$TMP/pb.n.err" ||
    why="$why; pb.n: $(grep skipped "$TMP/pb.n.err")"
[ -z "$why" ] && ok "poly() leaves out a record skipped for a missing value that log() of w or of the response cannot take: numpy's poly() and least squares (np=1 and 3, stream the same, no error without --on-bad-row skip)" ||
    not_ok "poly() and records both missing a value and bad" "$why"

# levels of rows left out, as R's model.frame drops unused levels: in formula_levels.csv
# the rows log() cannot take (--on-bad-row skip) and one with a missing x (--missing skip)
# hold the only 'zz' and 'w' of c, the only 'p' of g (its first level: 'q' becomes the
# reference) and the only 7 of factor(k), while c's 'd' is dropped near the start of the
# file and kept near its end (by another rank). model.matrix's columns and R's coefficients
# (datasets/r_formula_levels_reference.tsv, from r_formula_levels_reference.R) for designs
# made as the rows are checked (c + log(x), c * log(x) + g, 0 + c:g + log(x)) and one made
# after (factor(k)), under 1 rank with 2 threads and 3 ranks, streamed the same model; predict
# on a 'zz' row exits 65 as for any level training has not seen
LREF="$D/r_formula_levels_reference.tsv"
lv_fit() {  # NAME NP THREADS MEMORY FORMULA
    mkdir -p "$TMP/$1.d"
    # shellcheck disable=SC2046
    TMPDIR="$TMP/$1.d" lr "$2" "$3" --quiet --memory "$4" \
        $([ "$4" = stream ] && echo --block-rows 4096) --solver exact --formula "$5" \
        --on-bad-row skip --missing skip --model-out "$TMP/$1.json" "$D/formula_levels.csv" \
        >/dev/null 2>"$TMP/$1.err" || echo "exit $? $(head -c 200 "$TMP/$1.err")" >"$TMP/$1.fail"
}
while IFS=$'\t' read -r kind name formula; do
    [ "$kind" = case ] || continue
    lv_fit "$name.1" 1 2 resident "$formula" &
    lv_fit "$name.3" 3 1 resident "$formula" &
    lv_fit "$name.s" 3 1 stream "$formula" &
    wait
done <"$LREF"
why=$(cat "$TMP"/lv_*.fail 2>/dev/null; python3 - "$LREF" "$TMP" <<'PY'
import json, sys
want, bad = {}, []
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    if p[0] == "coef":
        want.setdefault(p[1], []).append((p[2], float(p[3]), float(p[4])))
for case, cols in want.items():
    for run in ("1", "3"):
        m = json.load(open("%s/%s.%s.json" % (sys.argv[2], case, run)))
        got = [(t["term"], t["estimate"], t["std_error"]) for t in m["inference"]["terms"]]
        if [g[0] for g in got] != [c[0] for c in cols]:
            bad.append("%s np=%s: columns %s, R %s" % (case, run, [g[0] for g in got], [c[0] for c in cols]))
        elif any(abs(a - b) > 1e-9 * max(1, abs(b)) or abs(s - t) > 1e-9 * max(1, abs(t))
                 for (_, a, s), (_, b, t) in zip(got, cols)):
            bad.append("%s np=%s: %s, R %s" % (case, run, got, cols))
        enc = {c["name"]: c.get("levels") for c in m["encoding"]["columns"]}
        if enc["c"] != ["a", "b", "d"] or enc.get("g", ["q", "r"]) != ["q", "r"]:
            bad.append("%s np=%s: levels %s" % (case, run, enc))
print("; ".join(bad[:3]) if bad else "ok %d" % len(want), end="")
PY
) || why="checker failed: exit $?"
for name in $(awk -F'\t' '$1 == "case" { print $2 }' "$LREF"); do
    same_model "$TMP/$name.s.json" "$TMP/$name.3.json" || why="$why; $name: the stream model differs"
done
[ "$why" = "ok 4" ] && ok "levels only in rows left out (log() of a negative, a missing value) are no levels: R's columns and coefficients to 1e-9 (np=1 and 3, stream the same)" ||
    not_ok "levels of the rows a formula leaves out" "$why"
printf 'c,g,k,x,y\nd,q,1,2,0\nzz,q,1,2,0\n' >"$TMP/lv_new.csv"
one_rank_fail 65 "predict: a level only training's skipped rows held is unseen (exit 65 at its place)" \
    "lv_new.csv:3:1: column 'c': level 'zz' was not seen in training" \
    predict --model "$TMP/lv_add.1.json" "$TMP/lv_new.csv"
one_rank_fail 65 "relevel() of a level only in rows left out: an error naming it" \
    "relevel(g, ref = \"p\"): every row with level 'p' was left out" \
    --formula 'y ~ relevel(g, ref = "p") + log(x)' --on-bad-row skip --missing skip "$D/formula_levels.csv"
