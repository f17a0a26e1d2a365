# diagnostics.sh — --diagnostics against statsmodels (omni_normtest, jarque_bera,
# durbin_watson, het_breuschpagan, variance_inflation_factor on the same OLS fit): every
# figure to 1e-8 relative (p-values 1e-6), under ranks 1-3 x threads 1-2, on mtcars, swiss,
# iris (Species one-hot) and 10,000 generated rows with unequal variances and correlated
# errors (three 4096-row parts at 1 rank, so Durbin-Watson crosses parts, and ranks at 2 and
# 3); usage errors.

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
# (the reference fits the columns design() gives for NAME)
: >"$TMP/cases"
run_case() {
    local name=$1 np=$2 th=$3
    shift 3
    lr "$np" "$th" --quiet --diagnostics --model-out "$TMP/$name.$np.$th.json" "$@" \
        >"$TMP/out" 2>"$TMP/err" || echo "$name np=$np: exit $? $(head -c 200 "$TMP/err")" >>"$TMP/cases"
    printf '%s\t%s\n' "$name" "$TMP/$name.$np.$th.json" >>"$TMP/cases"
}
for shape in "1 1" "2 2" "3 1"; do
    read -r np th <<<"$shape"
    run_case mtcars "$np" "$th" --solver exact --features hp,wt,qsec --target mpg "$D/mtcars.csv"
    run_case swiss "$np" "$th" --solver exact "$D/swiss.csv"
    run_case iris "$np" "$th" --solver exact --target Sepal.Length --categorical Species "$D/iris.csv"
    run_case het "$np" "$th" --solver exact "$TMP/het.csv"
done
run_case het_gd 2 2 --solver nesterov --inference --tol 1e-14 --epochs 20000 "$TMP/het.csv"
lr 1 1 --quiet --solver exact --diagnostics --features hp,wt,qsec --target mpg \
    --model-out "$TMP/m.json" "$D/mtcars.csv" >"$TMP/out"
grep -q "^Residual diagnostics (32 rows):" "$TMP/out" && grep -q "Breusch-Pagan: .* on 3 DF" "$TMP/out" &&
    ok "the diagnostics printed after the table" || not_ok "printed diagnostics" "$(tail -6 "$TMP/out")"
why=$("$PY" - "$TMP/cases" "$D" "$TMP/het.csv" <<'PY'
import json, sys
import numpy as np, pandas as pd, statsmodels.api as sm
from statsmodels.stats.stattools import omni_normtest, jarque_bera, durbin_watson
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.outliers_influence import variance_inflation_factor
D = sys.argv[2]
def design(name):
    if name == "mtcars":
        d = pd.read_csv(D + "/mtcars.csv"); return d[["hp", "wt", "qsec"]], d.mpg
    if name == "swiss":
        d = pd.read_csv(D + "/swiss.csv"); return d.drop(columns="fertility"), d.fertility
    if name == "iris":
        d = pd.read_csv(D + "/iris.csv")
        X = pd.concat([d[["Sepal.Width", "Petal.Length", "Petal.Width"]],
                       pd.get_dummies(d.Species, prefix="Species", prefix_sep="=",
                                      drop_first=True).astype(float)], axis=1)
        return X, d["Sepal.Length"]
    d = pd.read_csv(sys.argv[3]); return d[["x1", "x2"]], d.y
refs = {}
def reference(name):
    if name not in refs:
        X, y = design(name.replace("_gd", ""))
        Xc = sm.add_constant(X)
        r = sm.OLS(y, Xc).fit().resid
        om, jb = omni_normtest(r), jarque_bera(r)
        bp = het_breuschpagan(r, Xc)
        refs[name] = {"omnibus": om[0], "omnibus_p": om[1], "jarque_bera": jb[0],
                      "jarque_bera_p": jb[1], "skew": jb[2], "kurtosis": jb[3],
                      "durbin_watson": durbin_watson(r), "breusch_pagan": bp[0],
                      "breusch_pagan_p": bp[1], "breusch_pagan_df": Xc.shape[1] - 1,
                      "vif": {c: variance_inflation_factor(Xc.values, i + 1)
                              for i, c in enumerate(X.columns)}}
    return refs[name]
bad = []
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 2:
        bad.append(line.strip()); continue
    name, path = parts
    got, want = json.load(open(path))["diagnostics"], reference(name)
    tol = 1e-6 if name.endswith("_gd") else 1e-8
    for k, v in want.items():
        if k == "vif":
            for c, x in v.items():
                if abs(got["vif"][c] - x) > tol * abs(x):
                    bad.append("%s vif %s %r vs %r" % (path, c, got["vif"][c], x))
        elif abs(got[k] - v) > (1e-6 if k.endswith("_p") else tol) * abs(v) + 1e-300:
            bad.append("%s %s %r vs %r" % (path, k, got[k], v))
print("; ".join(bad[:4]))
PY
)
[ -z "$why" ] && ok "Omnibus, skew, kurtosis, Jarque-Bera, Durbin-Watson, Breusch-Pagan, VIF = statsmodels on 4 data sets x ranks 1-3 x threads 1-2, and after nesterov --inference" ||
    not_ok "diagnostics against statsmodels" "$why"

# usage errors
for bad in "--solver gd|add --inference (gd, nesterov) or use --solver exact" \
    "--solver exact --weights x1|drop --weights or --diagnostics" \
    "--solver exact --no-intercept|drop --no-intercept or --diagnostics"; do
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
