#!/usr/bin/python3
"""encode_reference.py — the pandas + scikit-learn reference for categorical columns and
missing values, independent of linreg_mpi's code.

  fit TRAIN.csv TARGET CATS MISSING INDICATOR INTERCEPT
      pandas get_dummies(columns=CATS, drop_first=INTERCEPT) + fillna(mean) (MISSING=mean)
      or dropna (skip), + NAME_missing columns (INDICATOR=1), rows with a missing target
      dropped, then LinearRegression: prints {"(Intercept)": b, "NAME": w, ...} as JSON.
  predict TRAIN.csv TARGET CATS MISSING INDICATOR INTERCEPT NEW.csv
      the same fit, then NEW.csv encoded with the training levels (an unseen level: all
      zeros) and the training means: one prediction per data row, one a line.
  compare MODEL.json REF.json TOL
      every coefficient of the model (by feature name) and the intercept within TOL
      relative (to max(1, |ref|)); exit 1 and print the worst otherwise.

CATS is a comma-separated list ("-" for none). The missing strings are the program's
defaults: the empty field and NA, N/A, NaN, nan, null, NULL; or, with NA_VALUES=A,B,... in
the environment (as --na-values A,B,...), the empty field and those. pandas' na_values also
takes a number written another way (-99.0 for -99) as missing: tests that use a number
here keep such variants out of the data.
"""
import json
import os
import sys

NA = ([""] + os.environ["NA_VALUES"].split(",") if "NA_VALUES" in os.environ
      else ["", "NA", "N/A", "NaN", "nan", "null", "NULL"])


def read(path, cats):
    import pandas as pd
    dtype = {c: str for c in cats}
    return pd.read_csv(path, keep_default_na=False, na_values=NA, dtype=dtype)


def design(d, target, cats, levels, means, indicator_cols, intercept):
    import pandas as pd
    X = d.drop(columns=[target]) if target in d.columns else d.copy()
    ind = {c: X[c].isna().astype(float) for c in indicator_cols}
    for c in cats:
        X[c] = pd.Categorical(X[c], categories=levels[c])
    if means is not None:
        X = X.fillna(value=means)
    X = pd.get_dummies(X, columns=cats, drop_first=intercept, prefix_sep="=", dtype=float)
    for c in indicator_cols:
        X[c + "_missing"] = ind[c]
    return X


def fit(path, target, cats, missing, indicator, intercept):
    from sklearn.linear_model import LinearRegression  # imported here: compare needs neither
    d = read(path, cats)
    d = d[d[target].notna()]
    feats = [c for c in d.columns if c != target]
    if missing == "skip":
        d = d.dropna()
    levels = {c: sorted(d[c].dropna().unique()) for c in cats}
    num = [c for c in feats if c not in cats]
    means = d[num].mean() if missing == "mean" else None
    indicator_cols = [c for c in feats if indicator and d[c].isna().any()]
    X = design(d, target, cats, levels, means, indicator_cols, intercept)
    m = LinearRegression(fit_intercept=intercept).fit(X.values, d[target].values)
    return m, list(X.columns), levels, means, indicator_cols


def main():
    cmd = sys.argv[1]
    if cmd == "compare":
        model, ref, tol = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), float(sys.argv[4])
        got = dict(zip(model["features"], model["coefficients"]))
        got["(Intercept)"] = model["intercept"]
        if set(got) != set(ref):
            print("features differ:", sorted(set(got) ^ set(ref)))
            sys.exit(1)
        worst = max(abs(got[k] - ref[k]) / max(1.0, abs(ref[k])) for k in ref)
        print("%.3g" % worst)
        sys.exit(0 if worst <= tol else 1)
    path, target, cats, missing, indicator, intercept = sys.argv[2:8]
    cats = [] if cats == "-" else cats.split(",")
    m, cols, levels, means, indicator_cols = fit(path, target, cats, missing, indicator == "1",
                                                 intercept == "1")
    if cmd == "fit":
        out = {c: float(w) for c, w in zip(cols, m.coef_)}
        out["(Intercept)"] = float(m.intercept_)
        json.dump(out, sys.stdout)
        print()
    elif cmd == "predict":
        new = read(sys.argv[8], cats)
        X = design(new, target, cats, levels, means, indicator_cols, intercept == "1")
        for v in m.predict(X[cols].values):
            print("%.17g" % v)


if __name__ == "__main__":
    main()
