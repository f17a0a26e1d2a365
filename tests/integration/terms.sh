# terms.sh — tests of whole terms (the table after the coefficients, inference.term_tests
# in the model) against car::Anova(type = "III") with the classical covariance and with
# sandwich's HC3 (datasets/r_anova_reference.tsv, from datasets/r_anova_reference.R) on
# mtcars (cyl and gear categorical, hp and wt numbers), iris (Species) and chickwts (feed,
# 6 levels): F to 1e-8 relative, p to 1e-6, the degrees of freedom equal, under ranks 1-3 x
# threads 1-2; the printed table only where a term spans several columns; and with
# --cov cluster:gear, F and p on G - 1 denominator degrees of freedom against statsmodels.

REF="$ROOT/datasets/r_anova_reference.tsv"
D="$ROOT/datasets"
# case_args CASE: the data set and options of the reference's case (its prefix)
case_args() {
    case $1 in
    mtcars) echo "--features cyl,hp,wt,gear --categorical cyl,gear --target mpg $D/mtcars.csv" ;;
    iris) echo "--target Sepal.Length --categorical Species $D/iris.csv" ;;
    chickwts) echo "--categorical feed $D/chickwts.csv" ;;
    esac
}
: >"$TMP/got"
for data in mtcars iris chickwts; do
    for cov in classical HC3; do
        for shape in "1 1" "2 2" "3 1"; do
            read -r np th <<<"$shape"
            # shellcheck disable=SC2046
            lr "$np" "$th" --quiet --solver exact --cov "${cov,,}" --model-out "$TMP/m.json" \
                $(case_args $data) >"$TMP/out" 2>"$TMP/err" || echo "$data:$cov np=$np: exit $?" >>"$TMP/got"
            python3 - "$TMP/m.json" "$data:$cov" "np=$np th=$th" >>"$TMP/got" <<'PY' 2>&1
import json, sys
m = json.load(open(sys.argv[1]))
for t in m["inference"]["term_tests"]:
    print("%s\t%s\t%s\t%d\t%.17g\t%.17g" % (sys.argv[2], sys.argv[3], t["term"], t["df"], t["F"], t["p"]))
PY
        done
        grep -q "^Tests of whole terms (type III Wald F, $cov covariance" "$TMP/out" &&
            ok "$data, $cov: the table of whole-term tests printed (a categorical term)" ||
            not_ok "$data, $cov: no table of term tests" "$(head -c 300 "$TMP/out")"
    done
done
why=$(python3 - "$REF" "$TMP/got" <<'PY'
import sys
ref = {}
for line in open(sys.argv[1]):
    case, term, df, f, p = line.rstrip("\n").split("\t")
    ref[(case, term)] = (int(df), float(f), float(p))
bad, seen = [], {}
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 6:
        bad.append(line.strip()); continue
    case, shape, term, df, f, p = parts
    seen.setdefault((case, shape), set()).add(term)
    want = ref.get((case, term))
    if want is None:
        bad.append("%s %s: a term R does not have: %s" % (case, shape, term)); continue
    if int(df) != want[0] or abs(float(f) - want[1]) > 1e-8 * want[1] or \
            abs(float(p) - want[2]) > 1e-6 * want[2]:
        bad.append("%s %s %s: df %s F %s p %s, R %s" % (case, shape, term, df, f, p, want))
cases = {c for c, _ in ref}
for c in cases:
    for shape in ("np=1 th=1", "np=2 th=2", "np=3 th=1"):
        terms = {t for (cc, t) in ref if cc == c}
        if seen.get((c, shape)) != terms:
            bad.append("%s %s: terms %s, R %s" % (c, shape, sorted(seen.get((c, shape), [])), sorted(terms)))
print("; ".join(bad[:4]))
PY
) || why="checker failed: exit $?"
[ -z "$why" ] && ok "every term's df, F and p = car::Anova type III (classical and HC3) on 3 data sets, ranks 1-3 x threads 1-2" ||
    not_ok "term tests against car::Anova" "$why"

# numbers only: no table (each term is one coefficient), and each test is its t test squared
lr 2 1 --quiet --solver exact --features hp,wt --target mpg --model-out "$TMP/n.json" \
    "$D/mtcars.csv" >"$TMP/out" 2>&1
why=$(python3 - "$TMP/n.json" <<'PY'
import json, sys
inf = json.load(open(sys.argv[1]))["inference"]
t = {x["term"]: x for x in inf["term_tests"]}
bad = [n for n, c in zip(["(Intercept)", "hp", "wt"], inf["terms"])
       if t[n]["df"] != 1 or abs(t[n]["F"] - c["t_value"] ** 2) > 1e-9 * t[n]["F"]
       or abs(t[n]["p"] - c["p_value"]) > 1e-9 * c["p_value"]]
print(" ".join(bad))
PY
) || why="checker failed: exit $?"
! grep -q "Tests of whole terms" "$TMP/out" && [ -z "$why" ] &&
    ok "numbers only: no table of term tests; each term's F is its t squared, the same p" ||
    not_ok "term tests of numeric columns" "$why $(grep -c 'Tests of' "$TMP/out")"

# a clustered covariance: the terms' F on G - 1 denominator degrees of freedom (3 gears: 2),
# where car's Anova keeps n - k; against statsmodels' wald_test under cov_type='cluster' with
# the correction G/(G-1)·(n-1)/(n-k), the p of F(q, 2), clusters spread over ranks
: >"$TMP/got"
for shape in "1 1" "3 2"; do
    read -r np th <<<"$shape"
    lr "$np" "$th" --quiet --solver exact --cov cluster:gear --features cyl,hp,wt --categorical cyl \
        --target mpg --model-out "$TMP/c$np.json" "$D/mtcars.csv" >"$TMP/out$np" 2>"$TMP/err" ||
        echo "np=$np: exit $? $(head -c 200 "$TMP/err")" >>"$TMP/got"
    grep -q "^Tests of whole terms (type III Wald F, cluster covariance, denominator DF 2):" \
        "$TMP/out$np" || echo "np=$np: no table on DF 2: $(head -c 200 "$TMP/out$np")" >>"$TMP/got"
done
why=$(/usr/bin/python3 - "$D/mtcars.csv" "$TMP/c1.json" "$TMP/c3.json" <<'PY'
import json, sys, warnings
import numpy as np, pandas as pd, statsmodels.api as sm
from scipy import stats
warnings.simplefilter("ignore", FutureWarning)
d = pd.read_csv(sys.argv[1])
X = np.column_stack([np.ones(len(d)), d.cyl == 6, d.cyl == 8, d.hp, d.wt]).astype(float)
fit = sm.OLS(d.mpg.values, X).fit(cov_type="cluster", use_t=True, cov_kwds={
    "groups": d.gear.values, "use_correction": True, "df_correction": True})
cols = {"(Intercept)": [0], "cyl": [1, 2], "hp": [3], "wt": [4]}
want = {}
for term, c in cols.items():
    w = fit.wald_test(np.eye(5)[c], use_f=True)
    want[term] = (len(c), float(np.squeeze(w.fvalue)), float(w.pvalue), float(w.df_denom))
bad = []
for path in sys.argv[2:]:
    inf = json.load(open(path))["inference"]
    if (inf["covariance_type"], inf["clusters"], inf["df_inference"]) != ("cluster", [3], 2):
        bad.append("%s: covariance %s, clusters %s, df %s" % (path, inf["covariance_type"],
                   inf["clusters"], inf["df_inference"]))
    got = {t["term"]: t for t in inf["term_tests"]}
    if set(got) != set(want):
        bad.append("%s: terms %s" % (path, sorted(got))); continue
    for term, (q, f, p, df_denom) in want.items():
        t = got[term]
        if df_denom != 2 or t["df"] != q or abs(t["F"] - f) > 1e-8 * f or \
                abs(t["p"] - p) > 1e-9 * p or abs(t["p"] - stats.f.sf(t["F"], q, 2)) > 1e-12:
            bad.append("%s %s: %s, statsmodels df %d F %r p %r on %r" % (path, term, t, q, f, p, df_denom))
print("; ".join(bad[:3]), end="")
PY
) || why="checker failed: exit $?"
why="$(cat "$TMP/got")$why"
[ -z "$why" ] && ok "--cov cluster:gear: every term's F and p = statsmodels' cluster Wald test on G - 1 = 2 DF (ranks 1 and 3)" ||
    not_ok "term tests with a clustered covariance" "$why"

# --- names holding a newline, a carriage return, a tab, a comma or a quote (legal inside
# quotes): the table shows them as describe does ('g\x0dh'), one row each, aligned, with the
# model's Df and F (tests/tools/check_names.py)
python3 "$ROOT/tests/tools/check_names.py" data "$TMP/names.csv"
lr 2 1 --quiet --solver exact --categorical auto --model-out "$TMP/names.json" \
    "$TMP/names.csv" >"$TMP/out" 2>"$TMP/err"
python3 "$ROOT/tests/tools/check_names.py" terms "$TMP/out" "$TMP/names.json" >"$TMP/check"
grep -q "^ok " "$TMP/check" && grep -q '^g\\x0dh  *2 ' "$TMP/out" &&
    ok "$(cut -c4- "$TMP/check")" ||
    not_ok "terms table: names with control bytes" "$(cat "$TMP/check")"
