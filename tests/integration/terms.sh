# terms.sh — tests of whole terms (the table after the coefficients, inference.term_tests
# in the model) against car::Anova(type = "III") with the classical covariance and with
# sandwich's HC3 (datasets/r_anova_reference.tsv, from datasets/r_anova_reference.R) on
# mtcars (cyl and gear categorical, hp and wt numbers), iris (Species) and chickwts (feed,
# 6 levels): F to 1e-8 relative, p to 1e-6, the degrees of freedom equal, under ranks 1-3 x
# threads 1-2; and the printed table only where a term spans several columns.

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
