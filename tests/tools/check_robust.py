#!/usr/bin/env python3
"""check_robust.py MODEL.json CSV COV [--features a,b] [--weights W] [--target Y] [--no-intercept]
                  [--r REFERENCE.tsv CASE] [--tol T]

Compares the robust inference table of a linreg_mpi model (trained with --cov COV) with an
independent computation: without --r, statsmodels fitted here on the same CSV (OLS, or WLS
with --weights), fit(cov_type='HC0'..'HC3' or 'cluster', use_t=True), COV being classical, hc0..hc3
or cluster:A[,B] as given to linreg_mpi; with --r, the rows of CASE in the reference TSV
written by datasets/r_sandwich_reference.R (sandwich's vcovHC / vcovCL).
Standard errors, t values, confidence bounds and every covariance entry must agree to T
relative (default 1e-8; a covariance entry relative to the diagonal's scale), p-values to
1e-6 absolute; against statsmodels also the Wald F, its p-value, the number of clusters
and the degrees of freedom. Prints one line per disagreement and exits 1 if there is
one.

check_robust.py --batch FILE: one check per line, NAME<TAB>the arguments above (shell
words); prints "ok<TAB>NAME" or "FAIL<TAB>NAME<TAB>why" per line (one Python start for all).
"""
import json, math, sys


def check(args):
    model, data, cov = args[0], args[1], args[2]
    opt = lambda k, d=None: args[args.index(k) + 1] if k in args else d
    tol = float(opt("--tol", "1e-8"))
    inf = json.load(open(model))["inference"]
    bad = []

    def close(what, a, b, t=tol, absolute=False, scale=None):
        if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
            if not (a is None and (b is None or math.isnan(b))):
                bad.append("%s: %r vs %r" % (what, a, b))
            return
        d = abs(a - b)
        ref = scale if scale is not None else max(abs(b), 1e-300)
        if not d <= (t if absolute else t * ref):
            bad.append("%s: %.17g vs %.17g" % (what, a, b))

    names = [t["term"] for t in inf["terms"]]
    got = {t["term"]: t for t in inf["terms"]}
    V = inf["covariance"]
    if opt("--r"):
        case = args[args.index("--r") + 2]
        rows = [l.rstrip("\n").split("\t") for l in open(opt("--r"))]
        rows = [r for r in rows if r[0] == case]
        if not rows:
            sys.exit("no rows for case %s" % case)
        fl = lambda s: float("nan") if s == "NA" else float(s)
        terms = [r for r in rows if r[1] != "(vcov)"]
        if [r[1] for r in terms] != names:
            bad.append("terms %s vs R's %s" % (names, [r[1] for r in terms]))
        for r in terms:
            se = fl(r[3])
            close(r[1] + " std_error", got[r[1]]["std_error"], se)
            if not math.isnan(se):
                close(r[1] + " t_value", got[r[1]]["t_value"], fl(r[2]) / se)
        ref = [fl(v) for v in [r for r in rows if r[1] == "(vcov)"][0][2].split()]
        k = len(names)
        for i in range(k):
            for j in range(k):
                b = ref[i * k + j]
                s = math.sqrt(abs(ref[i * k + i] * ref[j * k + j])) if not math.isnan(b) else None
                close("cov[%d][%d]" % (i, j), V[i][j], b, scale=s)
    else:
        import numpy as np, pandas as pd, statsmodels.api as sm
        d = pd.read_csv(data)
        target = opt("--target", d.columns[-1])
        feats = opt("--features").split(",") if opt("--features") else \
            [c for c in d.columns if c != target and c != opt("--weights")]
        X = d[feats].astype(float)
        if "--no-intercept" not in args:
            X = sm.add_constant(X, has_constant="add")
        y = d[target].astype(float)
        m = sm.WLS(y, X, weights=d[opt("--weights")]) if opt("--weights") else sm.OLS(y, X)
        if cov.startswith("cluster:"):
            cols = cov[8:].split(",")
            g = np.column_stack([pd.factorize(d[c])[0] for c in cols])
            r = m.fit(cov_type="cluster", cov_kwds={"groups": g[:, 0] if len(cols) == 1 else g},
                      use_t=True)
            ng = [len(np.unique(g[:, i])) for i in range(len(cols))]
            if inf["clusters"] != ng:
                bad.append("clusters %s vs %s" % (inf["clusters"], ng))
            if inf["covariance_type"] != "cluster":
                bad.append("covariance_type %s" % inf["covariance_type"])
        else:
            r = m.fit(cov_type="nonrobust" if cov == "classical" else cov.upper(), use_t=True)
            if inf["covariance_type"] != (cov if cov == "classical" else cov.upper()):
                bad.append("covariance_type %s" % inf["covariance_type"])
        if inf["df_inference"] != round(getattr(r, "df_resid_inference", r.df_resid)):
            bad.append("df_inference %s vs %s" % (inf["df_inference"], r.df_resid_inference))
        sm_names = feats if "--no-intercept" in args else ["(Intercept)"] + feats
        if names != sm_names:
            bad.append("terms %s vs %s" % (names, sm_names))
        ci = r.conf_int(1 - inf["conf_level"])
        C = r.cov_params().values
        for i, n in enumerate(sm_names):
            t = got.get(n, {})
            se = math.sqrt(C[i, i])
            close(n + " std_error", t.get("std_error"), se)
            close(n + " t_value", t.get("t_value"), float(r.tvalues.iloc[i]))
            close(n + " p_value", t.get("p_value"), float(r.pvalues.iloc[i]), 1e-6, True)
            # a bound near 0 loses digits to cancellation: relative to the standard error
            close(n + " conf_low", t.get("conf_low"), float(ci.iloc[i, 0]), scale=se)
            close(n + " conf_high", t.get("conf_high"), float(ci.iloc[i, 1]), scale=se)
            for j in range(len(sm_names)):
                close("cov[%d][%d]" % (i, j), V[i][j], C[i, j], scale=math.sqrt(C[i, i] * C[j, j]))
        close("f_statistic", inf["f_statistic"], float(r.fvalue))
        close("f_p_value", inf["f_p_value"], float(r.f_pvalue), 1e-6, True)
    return bad

if sys.argv[1] == "--batch":
    import shlex
    failed = 0
    for line in open(sys.argv[2]):
        name, rest = line.rstrip("\n").split("\t", 1)
        try:
            bad = check(shlex.split(rest))
        except Exception as e:  # a missing file or key fails the check, not the batch
            bad = ["%s: %s" % (type(e).__name__, e)]
        print("ok\t%s" % name if not bad else "FAIL\t%s\t%s" % (name, "; ".join(bad[:3])))
        failed += bool(bad)
    sys.exit(1 if failed else 0)
bad = check(sys.argv[1:])
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
