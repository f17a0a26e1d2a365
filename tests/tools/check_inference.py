#!/usr/bin/env python3
"""check_inference.py MODEL.json CSV [--no-intercept] [--r REFERENCE.tsv] [--tol T]

Compares the inference table of a linreg_mpi model with an independent computation: R's
published summary(lm()) figures (--r, rows of datasets/r_lm_reference.tsv for CSV's file
name) or, without --r, statsmodels OLS fitted here on the same CSV (target = last column).
Estimates, standard errors, t values, confidence bounds, sigma, R², adjusted R², F, logLik,
AIC and BIC must agree to T relative (default 1e-8), p-values to 1e-6 absolute, the
condition number (statsmodels only: numpy's) to 1e-6. Prints one
line per disagreement and exits 1 if there is one."""
import csv, json, math, os, sys

args = sys.argv[1:]
model, data = args[0], args[1]
no_b = "--no-intercept" in args
ref = args[args.index("--r") + 1] if "--r" in args else None
tol = float(args[args.index("--tol") + 1]) if "--tol" in args else 1e-8
m = json.load(open(model))
inf = m["inference"]
got = {t["term"]: t for t in inf["terms"]}
bad = []

def close(what, a, b, t=tol, absolute=False):
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        if not (a is None and (b is None or math.isnan(b))):
            bad.append("%s: %r vs %r" % (what, a, b))
        return
    d = abs(a - b)
    if not (d <= (t if absolute else t * max(abs(b), 1e-300))):
        bad.append("%s: %.17g vs %.17g" % (what, a, b))

if ref:
    key = os.path.basename(data) + (":no-intercept" if no_b else "")
    want, fit = {}, None
    for line in open(ref):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        if f[0] != key:
            continue
        if f[1] == "(fit)":
            fit = dict(kv.split("=") for kv in f[2].split())
        else:
            want[f[1]] = [float(v) for v in f[2:8]]
    if not want:
        sys.exit("no reference rows for " + key)
    for term, (est, se, t, p, lo, hi) in want.items():
        g = got.get(term)
        if g is None:
            bad.append("term %s missing" % term)
            continue
        close(term + " estimate", g["estimate"], est)
        close(term + " std_error", g["std_error"], se)
        close(term + " t_value", g["t_value"], t)
        close(term + " p_value", g["p_value"], p, 1e-6, True)
        close(term + " conf_low", g["conf_low"], lo)
        close(term + " conf_high", g["conf_high"], hi)
    close("residual_std_error", inf["residual_std_error"], float(fit["sigma"]))
    close("df_residual", inf["df_residual"], float(fit["df"]))
    close("r2", inf["r2"], float(fit["r2"]))
    close("adjusted_r2", inf["adjusted_r2"], float(fit["adj_r2"]))
    close("f_statistic", inf["f_statistic"], float(fit["F"]))
    close("f_p_value", inf["f_p_value"], float(fit["F_p"]), 1e-6, True)
    close("log_likelihood", inf["log_likelihood"], float(fit["logLik"]))
    close("aic", inf["aic"], float(fit["AIC"]))
    close("bic", inf["bic"], float(fit["BIC"]))
else:
    import numpy as np
    import statsmodels.api as sm
    rows = list(csv.reader(open(data)))
    names, vals = rows[0], np.array([[float(v) for v in r] for r in rows[1:] if r])
    X, y = vals[:, :-1], vals[:, -1]
    if not no_b:
        X = sm.add_constant(X)
    terms = ([] if no_b else ["(Intercept)"]) + names[:-1]
    r = sm.OLS(y, X).fit()
    lo, hi = r.conf_int(1 - inf["conf_level"]).T
    for k, term in enumerate(terms):
        g = got[term]
        close(term + " estimate", g["estimate"], r.params[k])
        close(term + " std_error", g["std_error"], r.bse[k])
        close(term + " t_value", g["t_value"], r.tvalues[k])
        close(term + " p_value", g["p_value"], r.pvalues[k], 1e-6, True)
        # scipy's t quantile (behind conf_int) is good to about 3e-9 (R's and GSL's to
        # rounding), which a difference of two close numbers magnifies: 1e-7 here; the
        # intervals are checked against R's to the full tolerance
        close(term + " conf_low", g["conf_low"], lo[k], max(tol, 1e-7))
        close(term + " conf_high", g["conf_high"], hi[k], max(tol, 1e-7))
    close("residual_std_error", inf["residual_std_error"], math.sqrt(r.scale))
    close("df_residual", inf["df_residual"], r.df_resid)
    close("r2", inf["r2"], r.rsquared)
    close("adjusted_r2", inf["adjusted_r2"], r.rsquared_adj)
    close("f_statistic", inf["f_statistic"], r.fvalue)
    close("f_p_value", inf["f_p_value"], r.f_pvalue, 1e-6, True)
    close("log_likelihood", inf["log_likelihood"], r.llf)
    close("aic", inf["aic"], r.aic + 2)   # statsmodels does not count the variance; R does
    close("bic", inf["bic"], r.bic + math.log(r.nobs))
    # the condition number of the design the solver saw: [1 Z], Z the z-scored features
    # (population std), or Z = X / its root mean square without intercept
    Xf = vals[:, :-1]
    if no_b:
        Z = Xf / np.sqrt((Xf ** 2).mean(axis=0))
    else:
        Z = np.column_stack([np.ones(len(y)), (Xf - Xf.mean(axis=0)) / Xf.std(axis=0)])
    close("condition_number", inf["condition_number"], np.linalg.cond(Z), 1e-6)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
