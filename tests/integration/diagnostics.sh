# diagnostics.sh — --diagnostics against statsmodels (omni_normtest, jarque_bera,
# durbin_watson, het_breuschpagan, variance_inflation_factor on the same OLS fit): every
# figure to 1e-8 relative (p-values 1e-6), under ranks 1-3 x threads 1-2, on mtcars, swiss,
# iris (Species one-hot) and 10,000 generated rows with unequal variances and correlated
# errors (three 4096-row parts at 1 rank, so Durbin-Watson crosses parts, and ranks at 2 and
# 3); the ten most influential rows against R's cooks.distance, hatvalues and rstandard
# (datasets/r_influence_reference.tsv) to 1e-8, with their FILE:LINE, also over three files
# holding blank lines and quoted records of several lines; an aliased column (its VIF null,
# the others' and Breusch-Pagan's on the kept columns), 6 rows (Omnibus null), two records
# skipped (Durbin-Watson over the rows kept, across the gaps); rows of leverage 1 against R's
# NaN (datasets/r_influence_reference.R's "lev1"), ranks 1-3 and streamed; usage errors.

PY=/usr/bin/python3  # Debian's, with python3-statsmodels (scripts/install-deps.sh)
D="$ROOT/datasets"
"$PY" - "$TMP/het.csv" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(7)
n = 10000
x1, x2 = rng.normal(size=n), rng.uniform(0, 4, n)
e = np.zeros(n)
for i in range(1, n):  # AR(1) errors, spread growing with x2
    e[i] = 0.6 * e[i - 1] + rng.normal() * (0.5 + x2[i])
y = 1 + 2 * x1 - 0.5 * x2 + e
with open(sys.argv[1], "w") as f:
    f.write("x1,x2,y\n")
    for i in range(n):
        f.write("%.17g,%.17g,%.17g\n" % (x1[i], x2[i], y[i]))
PY
# run_case NAME NP THREADS ARGS...: a fit with --diagnostics, its model queued for the check
# (the reference fits the columns design() gives for NAME), or the failed run's line instead
: >"$TMP/cases"
run_case() {
    local name=$1 np=$2 th=$3
    shift 3
    if lr "$np" "$th" --quiet --diagnostics --model-out "$TMP/$name.$np.$th.json" "$@" \
        >"$TMP/out" 2>"$TMP/err"; then
        printf '%s\t%s\n' "$name" "$TMP/$name.$np.$th.json" >>"$TMP/cases"
    else
        echo "$name np=$np th=$th: exit $? $(head -c 200 "$TMP/err")" >>"$TMP/cases"
    fi
}
# py_check ARGS...: the Python checker on stdin, run with ARGS: what it prints (nothing when
# all agree), or that it failed, with its last line of error (a checker that stops on a
# missing or broken model before printing anything must not read as a pass)
py_check() {
    local out rc=0
    out=$("$PY" - "$@" 2>"$TMP/py.err") || rc=$?
    [ "$rc" = 0 ] && printf '%s\n' "$out" ||
        printf 'the checker failed (exit %s): %s %s\n' "$rc" "$(tail -1 "$TMP/py.err")" "$out"
}
for shape in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$shape"
    run_case mtcars "$np" "$th" --solver exact --features hp,wt,qsec --target mpg "$D/mtcars.csv"
    run_case swiss "$np" "$th" --solver exact "$D/swiss.csv"
    run_case iris "$np" "$th" --solver exact --target Sepal.Length --categorical Species "$D/iris.csv"
    run_case het "$np" "$th" --solver exact "$TMP/het.csv"
    run_case mtcars_w "$np" "$th" --solver exact --features hp,wt,qsec --target mpg --weights drat "$D/mtcars.csv"
    run_case mtcars_0 "$np" "$th" --solver exact --features hp,wt,qsec --target mpg --no-intercept "$D/mtcars.csv"
done
run_case het_gd 2 2 --solver nesterov --inference --tol 1e-14 --epochs 20000 "$TMP/het.csv"
# wt2 = 2·wt, aliased: its VIF null, the others' and Breusch-Pagan's on the kept columns
awk -F, -v OFS=, 'NR == 1 { print $0, "wt2"; next } { print $0, 2 * $5 }' "$D/mtcars.csv" >"$TMP/alias.csv"
run_case alias 2 1 --solver exact --features hp,wt,qsec,wt2 --target mpg "$TMP/alias.csv"
cp "$TMP/out" "$TMP/alias.out"
# 6 rows: Omnibus null (its tests need 8), the rest as statsmodels computes it
head -7 "$D/mtcars.csv" >"$TMP/six.csv"
run_case six 3 1 --solver exact --features hp,wt,qsec --target mpg "$TMP/six.csv"
# the summary says so where the model holds null: "aliased", "(< 8 rows)", not "nan"
grep -q "^  VIF: hp [0-9.]*, wt [0-9.]*, qsec [0-9.]*, wt2 aliased$" "$TMP/alias.out" &&
    grep -q "^  Omnibus: *(< 8 rows) " "$TMP/out" && ! grep -qi nan "$TMP/alias.out" "$TMP/out" &&
    ok "the summary prints an aliased column's VIF as 'aliased' and Omnibus under 8 rows as '(< 8 rows)'" ||
    not_ok "the summary's null diagnostics" "$(grep -h "VIF\|Omnibus" "$TMP/alias.out" "$TMP/out")"
# two records skipped by --on-bad-row skip, the second between the first two parts of 4096
# rows at 1 rank: Durbin-Watson over the rows kept, each next to the kept row before it
awk -F, -v OFS=, 'NR == 1000 { $3 = "oops" } NR == 4099 { $2 = "" } { print }' "$TMP/het.csv" >"$TMP/het_skip.csv"
for shape in "1 2" "3 1"; do
    read -r np th <<<"$shape"
    run_case het_skip "$np" "$th" --solver exact --on-bad-row skip "$TMP/het_skip.csv"
done
lr 1 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg \
    --model-out "$TMP/m.json" "$D/mtcars.csv" >"$TMP/out"
grep -q "^Residual diagnostics (32 rows):" "$TMP/out" && grep -q "Breusch-Pagan: .* on 3 DF" "$TMP/out" &&
    ok "the diagnostics printed after the table" || not_ok "printed diagnostics" "$(tail -6 "$TMP/out")"
why=$(py_check "$TMP/cases" "$D" "$TMP/het.csv" "$D/r_influence_reference.tsv" <<'PY'
import json, math, sys, warnings
import numpy as np, pandas as pd, statsmodels.api as sm
from statsmodels.stats.stattools import omni_normtest, jarque_bera, durbin_watson
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.outliers_influence import variance_inflation_factor
D = sys.argv[2]
def design(name):
    if name.startswith("mtcars") or name in ("alias", "six"):
        d = pd.read_csv(D + "/mtcars.csv")[:6 if name == "six" else None]
        return d[["hp", "wt", "qsec"]], d.mpg
    if name == "swiss":
        d = pd.read_csv(D + "/swiss.csv"); return d.drop(columns="fertility"), d.fertility
    if name == "iris":
        d = pd.read_csv(D + "/iris.csv")
        X = pd.concat([d[["Sepal.Width", "Petal.Length", "Petal.Width"]],
                       pd.get_dummies(d.Species, prefix="Species", prefix_sep="=",
                                      drop_first=True).astype(float)], axis=1)
        return X, d["Sepal.Length"]
    if name == "het_skip":  # without the records that are not all numbers
        d = pd.read_csv(sys.argv[3].replace("het.csv", "het_skip.csv"), dtype=str)
        d = d.apply(pd.to_numeric, errors="coerce").dropna()
        if len(d) != 9998:
            raise SystemExit("het_skip.csv: %d rows of numbers, not 9998" % len(d))
    else:
        d = pd.read_csv(sys.argv[3])
    return d[["x1", "x2"]], d.y
refs = {}
def reference(name):
    if name not in refs:
        X, y = design(name.replace("_gd", ""))
        Xc = sm.add_constant(X) if name != "mtcars_0" else X
        if name == "mtcars_w":  # statsmodels' WLS summary: on the weighted residuals
            w = pd.read_csv(D + "/mtcars.csv").drat
            r = sm.WLS(y, Xc, weights=w).fit().wresid
        else:
            r = sm.OLS(y, Xc).fit().resid
        with warnings.catch_warnings():  # below 8 rows: a warning, and NaN
            warnings.simplefilter("ignore")
            om = [None if np.isnan(v) else v for v in omni_normtest(r)]
        jb = jarque_bera(r)
        refs[name] = {"omnibus": om[0], "omnibus_p": om[1], "jarque_bera": jb[0],
                      "jarque_bera_p": jb[1], "skew": jb[2], "kurtosis": jb[3],
                      "durbin_watson": durbin_watson(r)}
        if name in ("mtcars_w", "mtcars_0"):  # no Breusch-Pagan; weighted VIF 1/(1 - R²_w)
            refs[name].update(breusch_pagan=None, breusch_pagan_p=None, breusch_pagan_df=0)
            refs[name]["vif"] = {c: None for c in X.columns} if name == "mtcars_0" else {
                c: 1 / (1 - sm.WLS(X[c], sm.add_constant(X.drop(columns=c)), weights=w).fit().rsquared)
                for c in X.columns}
            return refs[name]
        bp = het_breuschpagan(r, Xc)
        refs[name].update(breusch_pagan=bp[0], breusch_pagan_p=bp[1],
                          breusch_pagan_df=Xc.shape[1] - 1,
                          vif={c: variance_inflation_factor(Xc.values, i + 1)
                               for i, c in enumerate(X.columns)})
        if name == "alias":
            refs[name]["vif"]["wt2"] = None
    return refs[name]
influence = {}
for line in open(sys.argv[4]):
    if "-rows\t" in line:
        continue
    case, a, row, cooks, lev, rstd = line.split("\t")
    influence.setdefault(case, []).append((int(row), float(cooks), float(lev), float(rstd)))
def check_influence(path, name, got, places):
    want = influence[name]
    if len(got) != len(want):
        return ["%s influential: %d rows, R %d" % (path, len(got), len(want))]
    for g, (row, cooks, lev, rstd) in zip(got, want):
        if g["row"] != row or g["place"] != places[row] or any(
                abs(x - y) > 1e-8 * abs(y) for x, y in ((g["cooks_distance"], cooks),
                (g["leverage"], lev), (g["studentized_residual"], rstd))):
            return ["%s influential %r vs R row %d (%s) %r %r %r" % (path, g, row, places[row],
                                                                   cooks, lev, rstd)]
    return []
def near(a, b, tol):  # null, a NaN or an infinity on either side is a difference
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in (a, b)) and \
        abs(a - b) <= tol * abs(b) + 1e-300
def strict(word):  # JSON has no NaN nor Infinity: Python's parser takes them unless told
    raise ValueError("%s in the model" % word)
bad = []
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 2:
        bad.append(line.strip()); continue
    name, path = parts
    got, want = json.load(open(path), parse_constant=strict)["diagnostics"], reference(name)
    if name in influence:  # one plain file: its header, then one line per row (mtcars's)
        bad += check_influence(path, name, got["influential"],
                               {i: "%s/%s.csv:%d" % (D, name.split("_")[0], i + 1)
                                for i in range(1, 200)})
    tol = 1e-6 if name.endswith("_gd") else 1e-8
    for k, v in want.items():
        if v is None or k == "breusch_pagan_df":
            if got[k] != v:
                bad.append("%s %s %r vs %r" % (path, k, got[k], v))
        elif k == "vif":
            for c, x in v.items():
                if (x is None) != (got["vif"][c] is None) or x is not None and not near(got["vif"][c], x, tol):
                    bad.append("%s vif %s %r vs %r" % (path, c, got["vif"][c], x))
        elif not near(got[k], v, 1e-6 if k.endswith("_p") else tol):
            bad.append("%s %s %r vs %r" % (path, k, got[k], v))
print("; ".join(bad[:4]))
PY
)
[ -z "$why" ] && ok "Omnibus, skew, kurtosis, Jarque-Bera, Durbin-Watson, Breusch-Pagan, VIF = statsmodels on 4 data sets x ranks 1-3 x threads 1-2, and after nesterov --inference; Cook's distance, leverage, rstandard and FILE:LINE = R's on 3; weighted (WLS, R's weighted residuals) and without intercept; an aliased column (VIF null, Breusch-Pagan on 3 DF), 6 rows (Omnibus null), 2 records skipped (Durbin-Watson across the gaps)" ||
    not_ok "diagnostics against statsmodels" "$why"

# the influential rows' FILE:LINE over three files whose text holds quoted names of several
# lines and blank lines before them (mtcars' rows with a name column, dropped)
"$PY" - "$D/mtcars.csv" "$TMP/parts" <<'PY'
import csv, os, sys
rows = list(csv.reader(open(sys.argv[1])))
os.makedirs(sys.argv[2], exist_ok=True)
places = {}
for f, (lo, hi) in enumerate([(1, 11), (11, 21), (21, 33)]):
    path = "%s/part%d.csv" % (sys.argv[2], f)
    text = ["name," + ",".join(rows[0])]
    for i in range(lo, hi):
        name = '"car %d"' % i
        if i in (3, 12, 13):  # a record of three lines, and one of two
            name = '"car\n%d\nlong"' % i if i != 13 else '"car, ""%d""\n"' % i
        if i == 15:
            text.append("")  # a blank line, skipped
        places[i] = "%s:%d" % (path, sum(t.count("\n") + 1 for t in text) + 1)
        text.append(name + "," + ",".join(rows[i]))
    open(path, "w").write("\n".join(text) + "\n")
with open(sys.argv[2] + "/places", "w") as out:
    for i in sorted(places):
        out.write("%d\t%s\n" % (i, places[i]))
PY
: >"$TMP/cases"
for shape in "1 1" "2 2" "3 1" "3 2"; do
    read -r np th <<<"$shape"
    run_case parts "$np" "$th" --solver exact --features hp,wt,qsec --target mpg \
        "$TMP/parts/part0.csv" "$TMP/parts/part1.csv" "$TMP/parts/part2.csv"
done
why=$(py_check "$TMP/cases" "$TMP/parts/places" "$D/r_influence_reference.tsv" <<'PY'
import json, sys
places = {int(a): b.strip() for a, b in (l.split("\t") for l in open(sys.argv[2]))}
want = [l.split("\t") for l in open(sys.argv[3]) if l.startswith("mtcars\t")]
bad = []
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 2:
        bad.append(line.strip()); continue
    got = json.load(open(parts[1]))["diagnostics"]["influential"]
    for g, w in zip(got, want):
        if g["row"] != int(w[2]) or g["place"] != places[int(w[2])] or \
                abs(g["cooks_distance"] - float(w[3])) > 1e-8 * float(w[3]):
            bad.append("%s: %r, want row %s at %s" % (parts[1], g, w[2], places[int(w[2])]))
            break
    if len(got) != 10:
        bad.append("%s: %d rows" % (parts[1], len(got)))
print("; ".join(bad[:3]))
PY
)
[ -z "$why" ] && ok "three files, quoted records of several lines, a blank line: the influential rows at their FILE:LINE under ranks 1-3 x threads 1-2" ||
    not_ok "influential rows' places over several files" "$why"
lr 2 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg \
    --model-out "$TMP/m.json" "$TMP/parts/part0.csv" "$TMP/parts/part1.csv" "$TMP/parts/part2.csv" >"$TMP/out"
grep -A3 "^Most influential rows (Cook's distance):" "$TMP/out" | tail -1 |
    grep -q "part1.csv:$(awk -F'\t' '$1 == 20 {sub(/.*:/, "", $2); print $2}' "$TMP/parts/places") *0.191211 *0.13604 *2.20394" &&
    ok "the influential rows printed after the diagnostics, at their FILE:LINE" ||
    not_ok "printed influential rows" "$(grep -A4 "^Most influential" "$TMP/out")"

gzip -c "$D/mtcars.csv" >"$TMP/mtcars.csv.gz"
lr 2 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg \
    --model-out "$TMP/m.json" "$TMP/mtcars.csv.gz" >"$TMP/out"
grep -A3 "^Most influential rows (Cook's distance):" "$TMP/out" | tail -1 | grep -q "^  row 20  *0.191211" &&
    ok "a compressed input: the influential rows named by their number" ||
    not_ok "influential rows of a compressed input" "$(grep -A4 "^Most influential" "$TMP/out")"
for pass in 1 2; do  # the first reads the CSV and writes the cache, the second reads the cache
    lr 2 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg --cache "$TMP/c.bin" \
        --model-out "$TMP/m.json" "$D/mtcars.csv" >"$TMP/out.$pass"
done
grep -q "^  $D/mtcars.csv:21  *0.191211" "$TMP/out.1" && grep -q "^  row 20  *0.191211" "$TMP/out.2" &&
    ok "--cache: FILE:LINE from the CSV, the row's number from the cache" ||
    not_ok "influential rows with --cache" "$(grep -A3 "^Most" "$TMP/out.1" "$TMP/out.2")"

# --diagnostics-sample: every row of a small fit, as R computes it (qqnorm's quantiles too)
lr 2 2 --quiet --solver exact --diagnostics-sample "$TMP/sample.csv" --features hp,wt,qsec \
    --target mpg --model-out "$TMP/m.json" "$D/mtcars.csv" >/dev/null
why=$(py_check "$TMP/sample.csv" "$D/r_influence_reference.tsv" <<'PY'
import csv, sys
lines = open(sys.argv[1]).read().splitlines()
bad = [] if lines[0].startswith("# linreg_mpi diagnostics sample: 32 of 32 rows") and \
    lines[0].endswith("; k=4") else ["comment line %r" % lines[0]]
got = list(csv.DictReader(lines[1:]))
want = [l.split("\t") for l in open(sys.argv[2]) if l.startswith("mtcars-rows\t")]
if len(got) != 32:
    bad.append("%d rows" % len(got))
names = ["cooks_distance", "leverage", "std_residual", "fitted", "residual", "theoretical_quantile"]
for g, w in zip(got, want):
    if int(g["row"]) != int(w[2]):
        bad.append("row %s vs %s" % (g["row"], w[2]))
    for k, v in zip(names, w[3:]):
        if abs(float(g[k]) - float(v)) > 1e-8 * abs(float(v)) + 1e-14:
            bad.append("row %s %s %s vs R %s" % (g["row"], k, g[k], v))
flagged = sorted(int(g["row"]) for g in got if g["influential"] == "1")
top = sorted(int(l.split("\t")[2]) for l in open(sys.argv[2]) if l.startswith("mtcars\t"))
if flagged != top:
    bad.append("influential %r vs %r" % (flagged, top))
print("; ".join(bad[:4]))
PY
)
[ -z "$why" ] && ok "--diagnostics-sample: every row's fitted value, residual, studentized residual, leverage, Cook's distance and normal quantile = R's to 1e-8" ||
    not_ok "--diagnostics-sample against R" "$why"

# rows of leverage 1 (carb 6 and 8: one car each, fitted alone): R's hatvalues 1 and NaN for
# cooks.distance and rstandard; never among the influential, null in the model, nan in the
# sample (left out of qqnorm's quantiles), the same under 1-3 ranks and streamed; the rows
# --cov hc3 counts as of leverage 1 (one rule for both)
for np in 1 2 3; do
    lr "$np" 1 --quiet --solver exact --formula 'mpg ~ factor(carb) + wt' \
        --diagnostics-sample "$TMP/lev1.$np.csv" --model-out "$TMP/lev1.$np.json" \
        "$D/mtcars.csv" >"$TMP/lev1.$np.out" 2>&1 || echo "exit $?" >>"$TMP/lev1.$np.out"
done
lr 3 1 --quiet --solver exact --formula 'mpg ~ factor(carb) + wt' --memory stream --cov hc3 \
    --diagnostics-sample "$TMP/lev1.s.csv" --model-out "$TMP/lev1.s.json" "$D/mtcars.csv" \
    >"$TMP/lev1.s.out" 2>&1 || echo "exit $?" >>"$TMP/lev1.s.out"
why=$(py_check "$TMP/lev1" "$D/r_influence_reference.tsv" "$TMP/mtcars.1.1.json" "$TMP/out.1" <<'PY'
import csv, json, math, sys
ref = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
top = [(int(w[2]), *map(float, w[3:6])) for w in ref if w[0] == "lev1"]
rows = [w for w in ref if w[0] == "lev1-rows"]
names = ["cooks_distance", "leverage", "std_residual", "fitted", "residual", "theoretical_quantile"]
def same(x, y):  # nan only where R has NaN
    return math.isnan(x) == math.isnan(y) and (math.isnan(y) or abs(x - y) <= 1e-8 * abs(y) + 1e-14)
bad = []
for np in ("1", "2", "3", "s"):
    out = open(sys.argv[1] + ".%s.out" % np).read()
    if "  leverage 1: 2 rows fitted alone, no Cook's D or std. resid (not ranked)\n" not in out \
            or "nan" in out.lower():
        bad.append("%s ranks: the summary %r" % (np, out[out.find("Most"):][:400]))
        continue
    if np == "s" and "--cov HC3: 2 rows have leverage 1" not in out:
        bad.append("--cov hc3 counts other rows: %r" % out[:300])
    dg = json.load(open(sys.argv[1] + ".%s.json" % np))["diagnostics"]
    got = [(g["row"], g["cooks_distance"], g["leverage"], g["studentized_residual"])
           for g in dg["influential"]]
    if dg["leverage_one"] != 2 or len(got) != 10 or any(
            g[0] != w[0] or not all(same(x, y) for x, y in zip(g[1:], w[1:]))
            for g, w in zip(got, top)):
        bad.append("%s ranks: leverage_one %r, influential %r vs R %r" % (np, dg["leverage_one"], got, top))
    lines = open(sys.argv[1] + ".%s.csv" % np).read().splitlines()
    sample = list(csv.DictReader(lines[1:]))
    if len(sample) != 32:
        bad.append("%s ranks: %d rows in the sample" % (np, len(sample)))
    for g, w in zip(sample, rows):
        for k, v in zip(names, w[3:]):
            if int(g["row"]) != int(w[2]) or not same(float(g[k]), float(v)):
                bad.append("%s ranks: sample row %s %s %s vs R %s" % (np, g["row"], k, g[k], v))
        if (g["influential"] == "1") != (int(g["row"]) in [t[0] for t in top]):
            bad.append("%s ranks: sample row %s influential %s" % (np, g["row"], g["influential"]))
none = json.load(open(sys.argv[3]))["diagnostics"]["leverage_one"]
if none != 0 or "leverage 1" in open(sys.argv[4]).read():
    bad.append("mtcars ~ hp + wt + qsec: leverage_one %r, or a leverage 1 line printed" % none)
print("; ".join(bad[:4]))
PY
)
[ -z "$why" ] && cmp -s "$TMP/lev1.3.csv" "$TMP/lev1.s.csv" &&
    ok "leverage 1 (a level of one row): hatvalues 1, Cook's distance and rstandard NaN as R's (null, nan, not ranked, said so in the summary), under 1-3 ranks and streamed, the rows --cov hc3 counts" ||
    not_ok "rows of leverage 1 against R" "$why$(cmp "$TMP/lev1.3.csv" "$TMP/lev1.s.csv" 2>&1)"

# 150,000 rows: at most 100,000 drawn, the same ones for 1 and 3 ranks and 2 threads, and
# every influential row besides; the four panels drawn from them
"$PY" - "$TMP/big.csv" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(11)
n = 150000
x = rng.normal(size=(n, 2))
y = 1 + x @ [2.0, -1.0] + rng.standard_t(3, size=n)
np.savetxt(sys.argv[1], np.column_stack([x, y]), delimiter=",", header="x1,x2,y", comments="",
           fmt="%.10g")
PY
for shape in "1 1" "3 2"; do
    read -r np th <<<"$shape"
    lr "$np" "$th" --quiet --solver exact --diagnostics-sample "$TMP/big.$np.csv" --seed 5 \
        --model-out "$TMP/big.$np.json" "$TMP/big.csv" >/dev/null
done
cut -d, -f1,7 "$TMP/big.1.csv" >"$TMP/rows.1"
cut -d, -f1,7 "$TMP/big.3.csv" >"$TMP/rows.3"
n_top=$(grep -c ',1$' "$TMP/rows.1")
n_rows=$(($(wc -l <"$TMP/rows.1") - 2))
extra=$("$PY" -c 'import json, sys
top = [r["row"] for r in json.load(open(sys.argv[1]))["diagnostics"]["influential"]]
rows = {}
for l in open(sys.argv[2]).readlines()[2:]:
    r, f = l.strip().split(","); rows[int(r)] = f
print(sum(1 for t in top if t in rows and rows[t] == "1"), len(top))' "$TMP/big.1.json" "$TMP/rows.1")
cmp -s "$TMP/rows.1" "$TMP/rows.3" && [ "$n_top" = 10 ] && [ "$extra" = "10 10" ] &&
    [ "$n_rows" -ge 100000 ] && [ "$n_rows" -le 100010 ] &&
    [ "$(sort -t, -k1,1n -c "$TMP/rows.1" 2>&1 | grep -vc row)" = 0 ] &&
    ok "150,000 rows: $n_rows drawn (100,000 by position and seed, and the influential ones), the same rows for 1 and 3 ranks" ||
    not_ok "the sample across rank counts" "cmp $(cmp "$TMP/rows.1" "$TMP/rows.3" 2>&1 | head -1); $n_rows rows, $n_top flagged, $extra"
lr 1 1 --quiet --solver exact --diagnostics-sample "$TMP/big.other.csv" --seed 6 \
    --model-out "$TMP/big.o.json" "$TMP/big.csv" >/dev/null
cmp -s <(cut -d, -f1 "$TMP/big.1.csv") <(cut -d, -f1 "$TMP/big.other.csv") &&
    not_ok "another --seed draws other rows" "the same rows" || ok "another --seed draws other rows"
"$ROOT/scripts/plot.sh" --diagnostics "$TMP/big.3.csv" --out "$TMP/plots" >"$TMP/out" 2>&1
why=""
for png in residuals_fitted normal_qq scale_location residuals_leverage; do
    f="$TMP/plots/$png.png"
    size=$(stat -c %s "$f" 2>/dev/null || echo 0)
    [ "$(head -c 8 "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        [ "$size" -gt 10000 ] && [ "$size" -lt 5000000 ] || why+="$png.png: $size bytes; "
done
[ -z "$why" ] && ok "plot.sh --diagnostics: the four panels as PNGs" ||
    not_ok "plot.sh --diagnostics" "$why$(head -c 300 "$TMP/out")"
echo "x,y" >"$TMP/notsample.csv"
"$ROOT/scripts/plot.sh" --diagnostics "$TMP/notsample.csv" --out "$TMP/plots" 2>"$TMP/err" &&
    not_ok "plot.sh --diagnostics on another CSV" "exit 0" ||
    { grep -q "is not a linreg_mpi --diagnostics-sample file" "$TMP/err" &&
        ok "plot.sh --diagnostics on another CSV: an error naming it"; } ||
    not_ok "plot.sh --diagnostics on another CSV" "$(cat "$TMP/err")"

# a row of weight 0 is not part of the fit: the figures of the data without it
awk -F, -v OFS=, 'NR == 1 { print $0, "w"; next } { print $0, (NR == 18 ? 0 : 1) }' "$D/mtcars.csv" >"$TMP/w0.csv"
awk 'NR != 18' "$D/mtcars.csv" >"$TMP/no17.csv"
lr 2 1 --quiet --solver exact --diagnostics-sample "$TMP/w0.sample" --features hp,wt,qsec \
    --target mpg --weights w --model-out "$TMP/w0.json" "$TMP/w0.csv" >"$TMP/out.w0"
lr 2 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg \
    --model-out "$TMP/no17.json" "$TMP/no17.csv" >/dev/null
why=$(py_check "$TMP/w0.json" "$TMP/no17.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["diagnostics"] for p in sys.argv[1:])
bad = []
for k in ("omnibus", "skew", "kurtosis", "jarque_bera", "durbin_watson"):
    if abs(a[k] - b[k]) > 1e-9 * abs(b[k]):
        bad.append("%s %r vs %r" % (k, a[k], b[k]))
for x, y in zip(a["influential"], b["influential"]):
    if x["row"] != y["row"] + (y["row"] >= 17) or \
            abs(x["cooks_distance"] - y["cooks_distance"]) > 1e-9 * y["cooks_distance"]:
        bad.append("%r vs %r" % (x, y))
rows = [l.split(",") for l in open(sys.argv[1].replace(".json", ".sample")).readlines()[2:]]
top = {r["row"]: r["cooks_distance"] for r in a["influential"]}
if len(rows) != 31 or any(r[0] == "17" for r in rows):
    bad.append("the sample: %d rows, row 17 in it: %s" % (len(rows), any(r[0] == "17" for r in rows)))
for r in rows:
    if int(r[0]) in top and float(r[5]) != top[int(r[0])]:
        bad.append("sample row %s Cook's %s vs %r" % (r[0], r[5], top[int(r[0])]))
print("; ".join(bad[:3]))
PY
)
[ -z "$why" ] && grep -q "^Residual diagnostics (31 rows)" "$TMP/out.w0" &&
    ok "--weights with a row of weight 0: the diagnostics of the other rows, and not in the sample" ||
    not_ok "a row of weight 0" "$why $(grep "^Residual" "$TMP/out.w0")"

# usage errors
for bad in "--solver gd|add --inference (gd, nesterov) or use --solver exact" \
    "--solver exact --l2 0.1|drop --l2 or --diagnostics"; do
    args=${bad%%|*} want=${bad#*|}
    rc=0
    # shellcheck disable=SC2086
    lr 2 1 --diagnostics $args --model-out "$TMP/x.json" "$TMP/het.csv" >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = 2 ] && grep -q -- "$want" "$TMP/err" && ok "--diagnostics $args: usage error (2)" ||
        not_ok "--diagnostics $args" "exit $rc: $(head -c 200 "$TMP/err")"
done

# the same numbers for any thread count (parts of fixed rows added in order)
lr 1 2 --quiet --solver exact --diagnostics --model-out "$TMP/het.1.2.json" "$TMP/het.csv" >/dev/null
diag() { "$PY" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["diagnostics"]))' "$1"; }
[ -n "$(diag "$TMP/het.1.1.json")" ] && [ "$(diag "$TMP/het.1.1.json")" = "$(diag "$TMP/het.1.2.json")" ] &&
    ok "1 and 2 threads: the same diagnostics, bit for bit" ||
    not_ok "diagnostics across thread counts" "$(diag "$TMP/het.1.1.json") vs $(diag "$TMP/het.1.2.json")"
