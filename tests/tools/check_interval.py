#!/usr/bin/env python3
"""check_interval.py --batch FILE: compares `linreg_mpi predict --interval` output with an
independent computation, one check per line of FILE: NAME<TAB>the arguments (shell words),
either

  r PRED.csv REFERENCE.tsv CASE INTERVAL LEVEL
      R's predict.lm(interval = , level = ) from the TSV written by
      datasets/r_predict_interval_reference.R;
  sm PRED.csv TRAIN.csv NEW.csv COV INTERVAL LEVEL --target Y --features A,B [--weights W]
      statsmodels fitted here: OLS (or WLS) on TRAIN.csv with fit(cov_type=COV, use_t=True)
      (COV: classical, hc0..hc3 or cluster:NAME), get_prediction(NEW.csv's rows)
      .summary_frame(alpha = 1 - LEVEL): mean_ci_lower/upper for confidence intervals,
      obs_ci_lower/upper for prediction intervals.

The output's header must end in fit,lwr,upr and every fit, lwr and upr agree to 1e-8
relative. Prints "ok<TAB>NAME" or "FAIL<TAB>NAME<TAB>why" per line (one Python start for
all the checks: the imports cost a second).
"""
import csv, shlex, sys


def read_pred(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    if rows[0][-3:] != ["fit", "lwr", "upr"]:
        raise ValueError("header %s" % ",".join(rows[0]))
    return [[float(v) for v in r[-3:]] for r in rows[1:]]


def want_r(tsv, case, interval, level):
    want = []
    for line in open(tsv):
        f = line.rstrip("\n").split("\t")
        if f[0] == case and f[1] == interval and abs(float(f[2]) - float(level)) < 1e-12:
            want.append([float(v) for v in f[4:7]])
    return want


def want_statsmodels(train, new, cov, interval, level, args):
    import numpy as np, pandas as pd
    import statsmodels.api as sm
    opt = lambda k: args[args.index(k) + 1] if k in args else None
    d, nd = pd.read_csv(train), pd.read_csv(new)
    feats = opt("--features").split(",")
    X = sm.add_constant(d[feats].to_numpy(float), has_constant="add")
    Xn = sm.add_constant(nd[feats].to_numpy(float), has_constant="add")
    y = d[opt("--target")].to_numpy(float)
    w = opt("--weights")
    model = sm.WLS(y, X, weights=d[w].to_numpy(float)) if w else sm.OLS(y, X)
    if cov == "classical":
        res = model.fit(use_t=True)
    elif cov.startswith("cluster:"):
        groups = pd.factorize(d[cov[8:]])[0]
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        res = model.fit(cov_type=cov.upper(), use_t=True)
    sf = res.get_prediction(Xn).summary_frame(alpha=1 - float(level))
    lo, hi = ("mean_ci_lower", "mean_ci_upper") if interval == "confidence" else \
             ("obs_ci_lower", "obs_ci_upper")
    return np.column_stack([sf["mean"], sf[lo], sf[hi]]).tolist()


def check(args):
    kind, pred = args[0], args[1]
    got = read_pred(pred)
    if kind == "r":
        want = want_r(*args[2:6])
    else:
        want = want_statsmodels(args[2], args[3], args[4], args[5], args[6], args[7:])
    if len(got) != len(want) or not want:
        return ["%d rows, expected %d" % (len(got), len(want))]
    bad = []
    for i, (g, w) in enumerate(zip(got, want)):
        for name, a, b in zip(("fit", "lwr", "upr"), g, w):
            if abs(a - b) > 1e-8 * max(abs(b), 1e-300):
                bad.append("row %d %s %.17g vs %.17g" % (i + 1, name, a, b))
    return bad


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "--batch":
        sys.exit(__doc__)
    failed = 0
    for line in open(sys.argv[2]):
        name, _, rest = line.rstrip("\n").partition("\t")
        try:
            bad = check(shlex.split(rest))
        except Exception as ex:  # a missing file, a malformed output: the check fails
            bad = ["%s: %s" % (type(ex).__name__, ex)]
        failed |= bool(bad)
        print("ok\t%s" % name if not bad else "FAIL\t%s\t%s" % (name, "; ".join(bad[:3])))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
