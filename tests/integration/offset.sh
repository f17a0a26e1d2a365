# offset.sh — --offset NAME: a column added to the prediction with coefficient 1. Against
# R's lm(offset =) (datasets/r_offset_reference.tsv, from datasets/r_offset_reference.R):
# coefficients and standard errors to 1e-9, the F test against the intercept-only fit with
# the same offset, predict.lm's prediction intervals (the offset read from predict's file),
# with and without weights, under ranks 1-3 x threads 1-2; gd and nesterov (the proximal
# solver with weights) to their tolerance; R² of y - offset (numpy from R's fitted values);
# evaluate; --test; several and compressed inputs; the cache; --formula (the offset off
# log(y), a regressor as offset, '. - carb' with --weights carb: R's fits and predict.lm,
# streamed = resident; --test, --validation-split and --cv as the plain columns give); errors
# (a file without the column for predict, evaluate and --test; a text or empty value).

PY=/usr/bin/python3
REF="$ROOT/datasets/r_offset_reference.tsv"
SW="$ROOT/datasets/swiss.csv"
MT="$ROOT/datasets/mtcars.csv"
SWA=(--offset catholic --features agriculture,examination,education,infant_mortality)
MTA=(--offset qsec --weights drat --features hp,wt --target mpg)

: >"$TMP/cases"
# fit CASE TAG TOL NP TH ARGS...: a fit whose model is checked against R's CASE to TOL
fit() {
    local case=$1 tag=$2 tol=$3 np=$4 th=$5
    shift 5
    if lr "$np" "$th" --quiet --model-out "$TMP/$tag.json" "$@" >/dev/null 2>"$TMP/err"; then
        printf '%s\t%s\t%s\n' "$case" "$TMP/$tag.json" "$tol" >>"$TMP/cases"
    else
        printf 'exit %s: %s\n' "$?" "$(head -c 200 "$TMP/err")" >>"$TMP/cases"
    fi
}
for shape in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$shape"
    fit swiss "sw.$np.$th" 1e-9 "$np" "$th" --solver exact "${SWA[@]}" "$SW"
    fit mtcars-weights "mt.$np.$th" 1e-9 "$np" "$th" --solver exact "${MTA[@]}" "$MT"
done
fit swiss sw.nesterov 1e-6 2 1 --solver nesterov --inference --tol 1e-13 --epochs 100000 "${SWA[@]}" "$SW"
fit swiss sw.gd 1e-6 2 1 --solver gd --lr auto --inference --tol 1e-13 --epochs 400000 "${SWA[@]}" "$SW"
fit mtcars-weights mt.prox 1e-6 2 1 --solver nesterov --inference --tol 1e-13 --epochs 100000 "${MTA[@]}" "$MT"
# several files (the swiss rows in three), and gzip
head -1 "$SW" >"$TMP/h"
{ cat "$TMP/h"; sed -n 2,17p "$SW"; } >"$TMP/p0.csv"
{ cat "$TMP/h"; sed -n 18,33p "$SW"; } >"$TMP/p1.csv"
{ cat "$TMP/h"; sed -n '34,$p' "$SW"; } | gzip -c >"$TMP/p2.csv.gz"
fit swiss sw.parts 1e-9 3 2 --solver exact "${SWA[@]}" "$TMP/p0.csv" "$TMP/p1.csv" "$TMP/p2.csv.gz"
# predictions with intervals: the offset read from predict's file
lr 2 1 predict --quiet --model "$TMP/sw.2.2.json" --interval prediction --output "$TMP/sw.pred" "$SW"
lr 3 1 predict --quiet --model "$TMP/mt.3.1.json" --interval prediction --output "$TMP/mt.pred" "$MT" 2>/dev/null
lr 1 1 predict --quiet --model "$TMP/sw.1.1.json" --output "$TMP/sw.plain" "$SW"
# The check stops (a traceback, a message) rather than passing on what it cannot read: a
# reference that is not all R's lines, or fewer rows or cases than these.
why=$("$PY" - "$TMP/cases" "$REF" "$TMP/sw.pred" "$TMP/mt.pred" "$TMP/sw.plain" 2>&1 <<'PY'
import csv, json, sys
ref = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    f = line.rstrip("\n").split("\t")
    if len(f) < 4 or f[1] not in ("coef", "fit", "anova"):
        sys.exit("%s:%d: not a line of R's: %r" % (sys.argv[2], n, line))
    ref.setdefault((f[0], f[1]), []).append(f[2:])
for case, k, n in (("swiss", 5, 47), ("mtcars-weights", 3, 32)):
    if [len(ref.get((case, w), ())) for w in ("coef", "fit", "anova")] != [k, n, 1]:
        sys.exit("%s: not %d coefficients, %d fits and the F test of %s" % (sys.argv[2], k, n, case))
def close(a, b, tol):
    return abs(a - b) <= tol * abs(b) + 1e-300
bad = []
cases = open(sys.argv[1]).readlines()
if len(cases) != 10:
    bad.append("%d fits, not 10" % len(cases))
for line in cases:
    f = line.rstrip("\n").split("\t")
    if len(f) != 3:
        bad.append(line.strip()); continue
    case, path, tol = f[0], f[1], float(f[2])
    m = json.load(open(path))
    inf = {t["term"]: t for t in m["inference"]["terms"]} if "terms" in m["inference"] else None
    if m["training"]["offset"] != ("catholic" if case == "swiss" else "qsec"):
        bad.append("%s: training.offset %r" % (path, m["training"]["offset"]))
    for term, est, se in ref[(case, "coef")]:
        got = m["intercept"] if term == "(Intercept)" else m["coefficients"][m["features"].index(term)]
        gse = inf[term]["std_error"] if inf else None
        if not close(got, float(est), tol) or gse is None or not close(gse, float(se), tol):
            bad.append("%s %s: %r %r vs R %s %s" % (path, term, got, gse, est, se))
    F, p = map(float, ref[(case, "anova")][0])
    if not close(m["inference"]["f_statistic"], F, tol):
        bad.append("%s F %r vs R anova %r" % (path, m["inference"]["f_statistic"], F))
for pred, case in ((sys.argv[3], "swiss"), (sys.argv[4], "mtcars-weights")):
    rows = list(csv.reader(open(pred)))
    if rows[0][-3:] != ["fit", "lwr", "upr"] or len(rows) - 1 != len(ref[(case, "fit")]):
        bad.append("%s: header %r, %d rows" % (pred, rows[0], len(rows) - 1)); continue
    for r, w in zip(rows[1:], ref[(case, "fit")]):
        if any(not close(float(a), float(b), 1e-9) for a, b in zip(r[-3:], w[1:])):
            bad.append("%s row %s: %r vs R %r" % (pred, w[0], r[-3:], w[1:])); break
plain = [float(r[-1]) for r in list(csv.reader(open(sys.argv[5])))[1:]]
if len(plain) != 47 or any(not close(a, float(w[1]), 1e-9) for a, w in zip(plain, ref[("swiss", "fit")])):
    bad.append("plain predictions differ from R's fit")
print("; ".join(bad[:4]))
PY
) || why="the check stopped (exit $?): $why"
[ -z "$why" ] && ok "coefficients, standard errors and F = R's lm(offset =) to 1e-9 (exact, 1-3 ranks x 1-2 threads, with weights, three files one gzipped; gd, nesterov, proximal 1e-6); predict (with --interval prediction) = predict.lm" ||
    not_ok "--offset against R" "$why"

# --diagnostics: the fitted values R's plot(lm) shows include the offset
lr 2 1 --quiet --solver exact "${SWA[@]}" --diagnostics-sample "$TMP/sample.csv" \
    --model-out "$TMP/d.json" "$SW" >/dev/null
"$PY" - "$TMP/sample.csv" "$REF" <<'PY' && ok "--diagnostics-sample: fitted values with the offset, as R's fitted()" || not_ok "diagnostics with --offset"
import csv, sys
got = list(csv.DictReader(open(sys.argv[1]).readlines()[1:]))
want = [l.split("\t") for l in open(sys.argv[2]) if l.startswith("swiss\tfit\t")]
sys.exit(len(got) != 47 or len(want) != 47 or
         any(abs(float(g["fitted"]) - float(w[3])) > 1e-9 * abs(float(w[3])) for g, w in zip(got, want)))
PY

# evaluate reads the column too: the training fit's metrics
lr 2 1 evaluate --quiet --json --model "$TMP/sw.2.2.json" "$SW" >"$TMP/ev.json"
"$PY" - "$TMP/ev.json" "$TMP/sw.2.2.json" <<'PY' && ok "evaluate: the offset read from its file, the training metrics" || not_ok "evaluate with --offset" "$(cat "$TMP/ev.json")"
import json, sys
e, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["metrics"]["train"]
sys.exit(not all(abs(e[k] - m[k]) <= 1e-9 * abs(m[k]) for k in ("mse", "mae", "r2")))
PY

# R² is that of y - offset: 1 - Σω(y - fit)²/Σω(y - offset - mean_ω(y - offset)), from R's
# fitted values (the offset included) with numpy; MSE and MAE are the same either way, R² of y
# is another number (-3.9 on swiss). Every fit's metrics.train.r2 and inference.r2 (to its
# tolerance), and evaluate's on swiss and on mtcars with weights (evaluate weighs as the model).
lr 3 1 evaluate --quiet --json --model "$TMP/mt.3.1.json" "$MT" >"$TMP/evm.json"
why=$("$PY" - "$REF" "$TMP/cases" "$SW" "$MT" "$TMP/ev.json" "$TMP/evm.json" 2>&1 <<'PY'
import json, sys
import numpy as np, pandas as pd
ref = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
r2 = {}
for case, path, y, off, w in (("swiss", sys.argv[3], "fertility", "catholic", None),
                              ("mtcars-weights", sys.argv[4], "mpg", "qsec", "drat")):
    d = pd.read_csv(path)
    fit = np.array([float(f[3]) for f in ref if f[:2] == [case, "fit"]])
    om = np.ones(len(d)) if w is None else d[w].to_numpy()
    z = (d[y] - d[off]).to_numpy()
    r2[case] = 1 - np.sum(om * (d[y].to_numpy() - fit) ** 2) / np.sum(om * (z - np.average(z, weights=om)) ** 2)
bad, n = [], 0
for line in open(sys.argv[2]):
    case, path, tol = line.rstrip("\n").split("\t")
    m = json.load(open(path))
    for key, got in (("metrics.train.r2", m["metrics"]["train"]["r2"]), ("inference.r2", m["inference"]["r2"])):
        n += 1
        if not abs(got - r2[case]) <= float(tol) * abs(r2[case]):
            bad.append("%s %s %r vs %r" % (path, key, got, r2[case]))
for path, case in ((sys.argv[5], "swiss"), (sys.argv[6], "mtcars-weights")):
    got, n = json.load(open(path))["r2"], n + 1
    if not abs(got - r2[case]) <= 1e-9 * abs(r2[case]):
        bad.append("evaluate %s r2 %r vs %r" % (case, got, r2[case]))
print("; ".join(bad[:4]) if n == 22 else "%d R² checked, not 22" % n)
PY
) || why="the check stopped (exit $?): $why"
[ -z "$why" ] && ok "R² of y - offset (numpy from R's fits, weighted for mtcars): metrics.train, inference and evaluate to 1e-9 (iterative solvers 1e-6)" ||
    not_ok "R² with --offset" "$why"

# --formula: the offset comes off the response as the formula makes it (R fits
# log(mpg) - drat), and predict, evaluate, --test, --validation-split and --cv add it back
# on that scale; the column may be a regressor too (R allows it); `. - carb` leaves a
# --weights column out of the right-hand side. Against R (exact, 1e-9), streamed = resident.
: >"$TMP/fcases"
ffit() {  # ffit CASE TAG NP MEMORY ARGS...
    local case=$1 tag=$2 np=$3 mem=$4
    shift 4
    lr "$np" 1 --quiet --solver exact --memory "$mem" --model-out "$TMP/$tag.json" "$@" \
        >/dev/null 2>"$TMP/err" && printf '%s\t%s\n' "$case" "$TMP/$tag.json" >>"$TMP/fcases" ||
        printf 'exit %s: %s\n' "$?" "$(head -c 200 "$TMP/err")" >>"$TMP/fcases"
}
FLOG=(--formula 'log(mpg) ~ log(hp) + wt + factor(am)' --offset drat)
ffit formula f.1 1 resident --formula 'mpg ~ wt + hp' --offset qsec "$MT"
ffit formula-log fl.1 1 resident "${FLOG[@]}" "$MT"
ffit formula-log fl.2 2 resident "${FLOG[@]}" "$MT"
ffit formula-log fl.2s 2 stream "${FLOG[@]}" "$MT"
ffit formula-shared fs.2 2 resident --formula 'mpg ~ wt + qsec' --offset qsec "$MT"
ffit formula-shared fs.2s 2 stream --formula 'mpg ~ wt + qsec' --offset qsec "$MT"
ffit formula-dot-weights fw.2 2 resident --formula 'mpg ~ . - carb' --weights carb "$MT"
lr 2 1 predict --quiet --model "$TMP/fl.2.json" --output "$TMP/fl.pred" "$MT"
lr 1 1 predict --quiet --model "$TMP/fs.2.json" --output "$TMP/fs.pred" "$MT"
lr 2 1 evaluate --quiet --json --model "$TMP/fl.2s.json" "$MT" >"$TMP/fl.ev"
# --test, --validation-split and --cv: the same numbers as the plain columns give
for k in plain formula; do
    if [ $k = plain ]; then a=(--features wt,hp --target mpg); else a=(--formula 'mpg ~ wt + hp'); fi
    lr 2 1 --quiet --solver exact --offset qsec "${a[@]}" --validation-split 0.25 --test "$MT" \
        --model-out "$TMP/vs.$k.json" "$MT" >/dev/null 2>&1
    lr 2 1 --quiet --offset qsec "${a[@]}" --cv 4 --l1-ratio 1 --lambdas 10 --model-out "$TMP/cv.$k.json" "$MT" >/dev/null 2>&1
done
why=$("$PY" - "$TMP/fcases" "$REF" "$TMP/fl.pred" "$TMP/fs.pred" "$TMP/fl.ev" "$TMP" 2>&1 <<'PY'
import csv, json, sys
ref = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    ref.setdefault((f[0], f[1]), []).append(f[2:])
for case, k in (("formula", 3), ("formula-log", 4), ("formula-shared", 3), ("formula-dot-weights", 10)):
    if [len(ref.get((case, w), ())) for w in ("coef", "fit", "anova")] != [k, 32, 1]:
        sys.exit("%s: not %d coefficients, 32 fits and the F test of %s" % (sys.argv[2], k, case))
def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * abs(b) + 1e-300
bad, models = [], {}
cases = open(sys.argv[1]).readlines()
if len(cases) != 7:
    bad.append("%d fits, not 7" % len(cases))
for line in cases:
    f = line.rstrip("\n").split("\t")
    if len(f) != 2:
        bad.append(line.strip()); continue
    case, path = f
    m = models[path.rsplit("/", 1)[1][:-5]] = json.load(open(path))
    inf = {t["term"]: t for t in m["inference"]["terms"]}
    for term, est, se in ref[(case, "coef")]:
        term = term.replace("factor(am)1", "factor(am)=1")
        got = m["intercept"] if term == "(Intercept)" else m["coefficients"][m["features"].index(term)]
        if not close(got, float(est)) or not close(inf[term]["std_error"], float(se)):
            bad.append("%s %s: %r %r vs R %s %s" % (path, term, got, inf[term]["std_error"], est, se))
    if not close(m["inference"]["f_statistic"], float(ref[(case, "anova")][0][0])):
        bad.append("%s F %r vs R anova" % (path, m["inference"]["f_statistic"]))
for a, b in (("fl.2", "fl.2s"), ("fs.2", "fs.2s")):
    if a in models and b in models and (models[a]["coefficients"], models[a]["metrics"]) != (models[b]["coefficients"], models[b]["metrics"]):
        bad.append("%s streamed is not %s resident" % (b, a))
for pred, case in ((sys.argv[3], "formula-log"), (sys.argv[4], "formula-shared")):
    got = [float(r[-1]) for r in list(csv.reader(open(pred)))[1:]]
    if len(got) != 32 or any(not close(g, float(w[1])) for g, w in zip(got, ref[(case, "fit")])):
        bad.append("%s: not predict.lm's" % pred)
e, t = json.load(open(sys.argv[5])), models.get("fl.2s", {}).get("metrics", {}).get("train", {})
if not t or any(not close(e[k], t[k]) for k in ("mse", "mae", "r2")):
    bad.append("evaluate %r vs training %r" % (e, t))
d = sys.argv[6]
for k in ("vs", "cv"):
    p, f = (json.load(open("%s/%s.%s.json" % (d, k, w))) for w in ("plain", "formula"))
    if (p["intercept"], p["coefficients"], p["metrics"]) != (f["intercept"], f["coefficients"], f["metrics"]) or \
            ("cv" in p) != (k == "cv") or p.get("cv", {}).get("cv_mean") != f.get("cv", {}).get("cv_mean"):
        bad.append("%s: the formula's model is not the plain columns'" % k)
print("; ".join(bad[:4]))
PY
) || why="the check stopped (exit $?): $why"
[ -z "$why" ] && ok "--formula with --offset (and log(y), a regressor as offset, '. - w' weights) = R's lm(offset =) to 1e-9, 1-2 ranks, streamed = resident; predict = predict.lm; evaluate, --test, --validation-split, --cv as without a formula" ||
    not_ok "--formula with --offset against R" "$why"
rc=0
lr 1 1 --quiet --formula 'mpg ~ .' --weights carb --model-out "$TMP/x.json" "$MT" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--weights: 'carb' is read by the formula .*'mpg ~ . - carb'" "$TMP/err" &&
    ok "--formula 'mpg ~ .' --weights carb: usage error (2) naming 'mpg ~ . - carb'" ||
    not_ok "'mpg ~ .' with --weights carb" "exit $rc: $(head -c 300 "$TMP/err")"

awk -F, 'BEGIN { OFS = "," } NR == 5 { $4 = "many" } { print }' "$SW" >"$TMP/text.csv"
awk -F, 'BEGIN { OFS = "," } NR == 5 { $4 = "" } { print }' "$SW" >"$TMP/empty.csv"
# --test reads the column too: its metrics are evaluate's on that file
lr 2 1 --quiet --solver exact "${SWA[@]}" --test "$TMP/p1.csv" --model-out "$TMP/t.json" "$SW" >/dev/null
lr 1 1 evaluate --quiet --json --model "$TMP/t.json" "$TMP/p1.csv" >"$TMP/ev1.json"
"$PY" - "$TMP/ev1.json" "$TMP/t.json" <<'PY' && ok "--test: the offset read from the test file" || not_ok "--test with --offset" "$(cat "$TMP/ev1.json")"
import json, sys
e, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["metrics"]["test"]
sys.exit(not all(abs(e[k] - m[k]) <= 1e-9 * abs(m[k]) for k in ("mse", "mae", "r2")))
PY
# a text and an empty offset skipped with --on-bad-row skip: the fit of the other rows
awk 'NR != 5' "$SW" >"$TMP/without4.csv"
lr 2 1 --quiet --solver exact "${SWA[@]}" --on-bad-row skip --model-out "$TMP/s1.json" "$TMP/text.csv" >/dev/null 2>&1
lr 2 1 --quiet --solver exact "${SWA[@]}" --on-bad-row skip --model-out "$TMP/s3.json" "$TMP/empty.csv" >/dev/null 2>&1
lr 2 1 --quiet --solver exact "${SWA[@]}" --model-out "$TMP/s2.json" "$TMP/without4.csv" >/dev/null
"$PY" -c 'import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(any(m["training"]["rows"] != 46 or m["coefficients"] != b["coefficients"] for m in (a, c)))' \
    "$TMP/s1.json" "$TMP/s2.json" "$TMP/s3.json" &&
    ok "--on-bad-row skip: a row with a text or an empty offset left out" || not_ok "a text or empty offset skipped"

# --cache: a cache written without the offset is stale for a fit with it (its targets are
# y - offset); written with it, read back, the same model
lr 2 1 --quiet --solver exact --features agriculture,examination,education,infant_mortality \
    --cache "$TMP/c.bin" --model-out "$TMP/c0.json" "$SW" >/dev/null
for k in 1 2; do
    lr 2 1 --solver exact "${SWA[@]}" --cache "$TMP/c.bin" --model-out "$TMP/c$k.json" "$SW" \
        >/dev/null 2>"$TMP/cache.$k"
done
"$PY" -c 'import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(not (a["coefficients"] == b["coefficients"] == c["coefficients"] and a["intercept"] == b["intercept"] == c["intercept"]))' \
    "$TMP/sw.1.1.json" "$TMP/c1.json" "$TMP/c2.json" && grep -q "stale.*(the columns)" "$TMP/cache.1" &&
    grep -q "read 47 rows from the cache" "$TMP/cache.2" &&
    ok "--cache: stale without --offset, then written and read back: the same model" ||
    not_ok "--offset with --cache" "$(cat "$TMP/cache.1" "$TMP/cache.2" | grep -i cache)"

# errors: a missing column, a predict file without it, a text value, the target, --cache
rc=0
lr 2 1 --quiet --offset nosuch --model-out "$TMP/x.json" "$SW" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 65 ] && grep -q -- "swiss.csv:1:1: --offset: no column named 'nosuch' (columns: " "$TMP/err" &&
    ok "--offset naming no column: the header's line and its columns, exit 65 (as --weights)" ||
    not_ok "--offset nosuch" "exit $rc: $(head -c 300 "$TMP/err")"
# predict, evaluate and --test: a file without the offset column, at its header, exit 65
cut -d, -f1-3,5- "$SW" >"$TMP/nocath.csv"
for cmd in predict evaluate --test; do
    rc=0
    if [ "$cmd" = --test ]; then
        lr 2 1 --quiet --solver exact "${SWA[@]}" --test "$TMP/nocath.csv" --model-out "$TMP/x.json" "$SW"
    else
        lr 2 1 "$cmd" --quiet --model "$TMP/sw.2.2.json" "$TMP/nocath.csv"
    fi >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = 65 ] && grep -q "nocath.csv:1:1: the model's --offset: no column named 'catholic' (columns: " "$TMP/err" &&
        ok "$cmd: a file without the offset column: FILE:1:1 naming it, exit 65" ||
        not_ok "$cmd without the offset column" "exit $rc: $(head -c 300 "$TMP/err")"
done
for run in "1 text 'many' is not a number" "3 text 'many' is not a number" "2 empty '' is empty"; do
    read -r np kind want <<<"$run"
    rc=0
    lr "$np" 1 --quiet "${SWA[@]}" --model-out "$TMP/x.json" "$TMP/$kind.csv" >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = 65 ] && grep -q "$kind.csv:5:11: column 'catholic': $want.*it is the --offset column.*--on-bad-row skip" "$TMP/err" &&
        ok "$kind offset value: FILE:LINE:COLUMN naming the --offset column and --on-bad-row skip, exit 65 ($np ranks)" ||
        not_ok "$kind offset value ($np ranks)" "exit $rc: $(cat "$TMP/err")"
done
for bad in "--offset fertility|--offset: 'fertility' is the target column" \
    "--offset catholic --features catholic,education|--features: 'catholic' is the --offset column" \
    "--offset catholic --categorical catholic|'catholic' is the --offset column"; do
    args=${bad%%|*} want=${bad#*|}
    rc=0
    # shellcheck disable=SC2086
    lr 2 1 --quiet $args --model-out "$TMP/x.json" "$SW" >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = 2 ] && grep -q -- "$want" "$TMP/err" && ok "$args: usage error (2)" ||
        not_ok "$args" "exit $rc: $(head -c 300 "$TMP/err")"
done
# --resume: a checkpoint of a fit without --offset, resumed with one (or the other way), is
# refused naming the --offset change, not the target whose values the offset changes; one
# with the same --offset over other values names both columns
SWB=(--quiet --tol 0 --features agriculture,examination --model-out "$TMP/x.json")
lr 2 1 "${SWB[@]}" --epochs 3 --checkpoint "$TMP/no.ck" "$SW" >/dev/null 2>&1
lr 2 1 "${SWB[@]}" --epochs 3 --offset catholic --checkpoint "$TMP/off.ck" "$SW" >/dev/null 2>&1
awk -F, 'NR > 1 { $4 += 1 } 1' OFS=, "$SW" >"$TMP/sw_o1.csv"
forward="resume with the options it was made with, or train afresh without --resume"
for run in "no.ck|--offset catholic|$SW|made with other options: no --offset, now --offset 'catholic'; $forward" \
    "off.ck||$SW|made with other options: --offset 'catholic', now no --offset; $forward" \
    "off.ck|--offset catholic|$TMP/sw_o1.csv|the values of column 'fertility' or of the --offset column 'catholic' differ (same rows and columns); resume on the data it was made from, or train afresh without --resume"; do
    IFS='|' read -r ck args data want <<<"$run"
    rc=0
    # shellcheck disable=SC2086
    lr 2 1 "${SWB[@]}" --epochs 5 $args --resume "$TMP/$ck" "$data" >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = 65 ] && grep -qF -- "$want" "$TMP/err" &&
        ok "--resume $ck ${args:-without --offset} on $(basename "$data"): refused (65), naming the offset, with the way forward" ||
        not_ok "--resume $ck ${args:-without --offset} on $(basename "$data")" "exit $rc: $(head -c 300 "$TMP/err")"
done
