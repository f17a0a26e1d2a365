#!/usr/bin/env python3
"""check_cv.py — the checks of tests/integration/cv.sh on --cv models.

  check_cv.py data DATASETS OUT      the shipped data sets with a fold column 'fold' (row i,
                                     from 0, in fold i % K + 1: glmnet's foldid of
                                     datasets/r_cv_glmnet_reference.R)
  check_cv.py --batch FILE           one check per line of FILE (one Python start for all):
    glmnet TSV CASE MODEL SELECT     the cv block and coefficients against cv.glmnet
    grid TSV MODEL CASE...           a --l1-ratio grid: each α's curve is its case's, the
                                     chosen α the one of least cvm
    same TOL MODEL...                the cv curves (relative) and the scaled coefficients
                                     (relative to the largest) agree to TOL
    fold_rows MODEL...               the same rows per fold, K folds, summing to the rows
    ols CSV TARGET MODEL             --cv alone: cv_mean and cv_se are those of numpy's least
                                     squares fitted on each fold's complement (fold sizes
                                     weighing the folds' MSE, as cv.glmnet)
    sklearn CSV TARGET MODEL         scikit-learn's ElasticNet on the z-scored columns, at
                                     alpha = λα + λ(1−α)/s_y, l1_ratio = λα/alpha (the
                                     README's mapping), gives the model's coefficients
Each check prints "ok DESC" or "FAIL DESC: why".
"""
import json
import math
import os
import sys

import numpy as np


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300))) if a.size else 0.0


def absrel(a, b, scale):
    """|a − b| over max(|b|, scale): zeros compared on the scale of the vector."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), scale)))


def reference(tsv, case):
    lam, cvm, cvsd, ref = [], [], [], {}
    for line in open(tsv):
        f = line.rstrip("\n").split("\t")
        if f[0] != case:
            continue
        if f[1] == "lambda":
            lam.append(float(f[2])), cvm.append(float(f[3])), cvsd.append(float(f[4]))
        elif f[1] == "choice":
            ref["min"], ref["1se"] = float(f[2]), float(f[3])
        elif f[1] == "path":
            ref.setdefault("path", []).append([float(v) for v in f[2].split()])
        else:
            ref[f[1]] = [float(v) for v in f[2].split()]
    if not lam:
        raise SystemExit(f"no case {case} in {tsv}")
    return np.array(lam), np.array(cvm), np.array(cvsd), ref


def out(ok, desc, why=""):
    print(f"ok {desc}" if ok else f"FAIL {desc}: {why}")


def load(path):
    with open(path) as f:
        return json.load(f)


def check_glmnet(tsv, case, model, select):
    m = load(model)
    cv = m["cv"]
    lam, cvm, cvsd, ref = reference(tsv, case)
    n = len(lam)
    desc = f"{case} ({os.path.basename(model)})"
    if len(cv["lambda"]) != n:
        return out(False, desc, f"{len(cv['lambda'])} lambdas, glmnet {n}")
    e = [rel(cv["lambda"], lam), rel(cv["cv_mean"], cvm), rel(cv["cv_se"], cvsd)]
    choice = [rel([cv["lambda_min"]], [ref["min"]]), rel([cv["lambda_1se"]], [ref["1se"]])]
    coef = [m["intercept"]] + m["coefficients"]
    want = ref["coef." + select]
    ec = absrel(coef, want, 1e-3 * max(abs(v) for v in want))
    zeros = all((c == 0) == (w == 0) for c, w in zip(coef[1:], want[1:]))
    good = max(e) <= 1e-6 and max(choice) <= 1e-12 and ec <= 1e-6 and zeros and \
        cv["select"] == select and cv["lambda_chosen"] == cv["lambda_" + select]
    out(good, desc + ": lambda, cvm, cvsd, lambda.min/1se, coef." + select,
        f"lambda {e[0]:.2g}, cvm {e[1]:.2g}, cvsd {e[2]:.2g}, choice {max(choice):.2g}, "
        f"coef {ec:.2g}, same zeros {zeros}")


def check_path(tsv, case, model):
    """cv.path_coefficients against glmnet's coef() at every lambda of the path; each
    lambda's vector compared on its own scale (zeros where glmnet has them)."""
    m = load(model)
    got = m["cv"]["path_coefficients"]
    want = reference(tsv, case)[3]["path"]
    desc = f"{case} ({os.path.basename(model)}): cv.path_coefficients = glmnet's coef() along the path"
    if len(got) != len(want) or any(len(g) != len(w) for g, w in zip(got, want)):
        return out(False, desc, f"{len(got)} lambdas, glmnet {len(want)}")
    err = max(absrel(g, w, 1e-3 * max(abs(v) for v in w)) for g, w in zip(got, want))
    zeros = all((a == 0) == (b == 0) for g, w in zip(got, want) for a, b in zip(g[1:], w[1:]))
    chosen = got[m["cv"]["lambda"].index(m["cv"]["lambda_chosen"])]
    same = chosen == [m["intercept"]] + m["coefficients"]
    out(err <= 1e-6 and zeros and same,
        desc + " (1e-6), the same zeros, the model's its entry at the chosen lambda",
        f"max error {err:.2g}, same zeros {zeros}, model = its entry {same}")


def check_grid(tsv, model, cases):
    m = load(model)
    cv = m["cv"]
    best, errs = None, []
    for g, case in zip(cv["grid"], cases):
        lam, cvm, cvsd, ref = reference(tsv, case)
        errs.append(max(rel(g["lambda"], lam), rel(g["cv_mean"], cvm), rel(g["cv_se"], cvsd)))
        if best is None or cvm.min() < best[0]:
            best = (cvm.min(), g["l1_ratio"], ref["min"])
    good = len(cv["grid"]) == len(cases) and max(errs) <= 1e-6 and \
        cv["l1_ratio"] == best[1] and rel([cv["lambda_chosen"]], [best[2]]) <= 1e-12
    out(good, f"grid of {len(cases)} l1_ratio values: each curve glmnet's, the least cvm chosen",
        f"curves {max(errs):.2g}, chose {cv['l1_ratio']} at {cv['lambda_chosen']}, "
        f"glmnet's best {best[1]} at {best[2]}")


def check_same(tol, models):
    """The curves and the choice element by element; the coefficients on the scaled columns
    relative to the largest of them (a coefficient near 0 keeps only the digits that the
    others' rounding leaves it)."""
    def parts(m):
        cv = m["cv"]
        curve = cv["lambda"] + cv["cv_mean"] + cv["cv_se"] + \
            [cv["lambda_min"], cv["lambda_1se"], cv["lambda_chosen"]]
        return curve, [m["scaled"]["intercept"]] + m["scaled"]["coefficients"], \
            cv["nonzero"] + cv["fold_rows"]
    c0, w0, i0 = parts(load(models[0]))
    worst, same_ints = 0.0, True
    for path in models[1:]:
        c, w, i = parts(load(path))
        if len(c) != len(c0):
            return out(False, f"{len(models)} runs agree", f"{path}: other lengths")
        worst = max(worst, absrel(c, c0, 1e-300), absrel(w, w0, np.max(np.abs(w0))))
        same_ints &= i == i0
    out(worst <= tol and same_ints, f"{len(models)} runs agree to {tol:g}, same nonzero counts "
        "and folds", f"worst {worst:.2g}, same counts {same_ints}")


def check_fold_rows(models):
    rows = [load(p)["cv"]["fold_rows"] for p in models]
    n = load(models[0])["training"]["rows"]
    out(all(r == rows[0] for r in rows) and sum(rows[0]) == n and min(rows[0]) > 0,
        f"hash folds: the same rows per fold in {len(models)} runs {rows[0]}", f"{rows}")


def check_sklearn(csv, target, model):
    import pandas as pd
    from sklearn.linear_model import ElasticNet, Lasso, Ridge
    m = load(model)
    cv, d = m["cv"], pd.read_csv(csv)
    X, y = d[m["features"]].to_numpy(float), d[target].to_numpy(float)
    Z = (X - X.mean(0)) / X.std(0)
    lam, a, sy, n = cv["lambda_chosen"], cv["l1_ratio"], y.std(), len(y)
    alpha = lam * a + lam * (1 - a) / sy
    fits = {"ElasticNet(alpha=lambda*a+lambda*(1-a)/sd(y), l1_ratio=lambda*a/alpha)":
            ElasticNet(alpha=alpha, l1_ratio=lam * a / alpha, tol=1e-14, max_iter=10 ** 6)}
    if a == 1:
        fits["Lasso(alpha=lambda)"] = Lasso(alpha=lam, tol=1e-14, max_iter=10 ** 6)
    if a == 0:
        fits["Ridge(alpha=m*lambda/sd(y))"] = Ridge(alpha=n * lam / sy)
    coef = [m["intercept"]] + m["coefficients"]
    eq, tr = cv["equivalent"], m["training"]
    eq_ok = rel([eq["l1"], eq["l2"]], [n * lam * a, n * lam * (1 - a) / sy]) <= 1e-12 and \
        abs(cv["y_std"] - sy) <= 1e-12 * sy and [tr["l1"], tr["l2"]] == [eq["l1"], eq["l2"]]
    for name, f in fits.items():
        f.fit(Z, y)
        want = np.concatenate([[f.intercept_ - np.sum(f.coef_ * X.mean(0) / X.std(0))],
                               f.coef_ / X.std(0)])
        e = absrel(coef, want, 1e-3 * np.max(np.abs(want)))
        out(e <= 1e-6 and eq_ok, f"l1_ratio {a:g}: scikit-learn {name} = the model; --l1/--l2 "
            "equivalents m*lambda*a, m*lambda*(1-a)/sd(y) (in cv and training)",
            f"coef {e:.2g}, equivalents {eq_ok}")


def check_ols(csv, target, model):
    import pandas as pd
    m = load(model)
    cv, d = m["cv"], pd.read_csv(csv)
    X = np.c_[np.ones(len(d)), d[m["features"]].to_numpy(float)]
    y = d[target].to_numpy(float)
    mse, n = [], []
    for k in sorted(d["fold"].unique()):
        te = (d["fold"] == k).to_numpy()
        c = np.linalg.lstsq(X[~te], y[~te], rcond=None)[0]
        r = y[te] - X[te] @ c
        mse.append(r @ r / te.sum()), n.append(te.sum())
    mse, n = np.array(mse), np.array(n)
    cvm = (n * mse).sum() / n.sum()
    cvsd = math.sqrt((n * (mse - cvm) ** 2).sum() / n.sum() / (len(n) - 1))
    e = rel([cv["cv_mean"][0], cv["cv_se"][0]], [cvm, cvsd])
    out(cv["lambda"] == [0.0] and e <= 1e-10, f"--cv alone: least squares' {len(n)}-fold "
        "cv_mean and cv_se = numpy's lstsq on each fold's complement (1e-10)",
        f"lambda {cv['lambda']}, error {e:.2g}")


def write_data(src, dst):
    os.makedirs(dst, exist_ok=True)
    for name, K in (("mtcars", 4), ("mtcars", 5), ("swiss", 5), ("iris", 3)):
        lines = open(os.path.join(src, name + ".csv")).read().splitlines()
        with open(os.path.join(dst, f"{name}_K{K}.csv"), "w") as f:
            f.write(lines[0] + ",fold\n")
            for i, line in enumerate(lines[1:]):
                f.write(f"{line},{i % K + 1}\n")


def run(args):
    cmd = args[0]
    if cmd == "glmnet":
        check_glmnet(*args[1:5])
    elif cmd == "path":
        check_path(*args[1:4])
    elif cmd == "grid":
        check_grid(args[1], args[2], args[3:])
    elif cmd == "same":
        check_same(float(args[1]), args[2:])
    elif cmd == "fold_rows":
        check_fold_rows(args[1:])
    elif cmd == "ols":
        check_ols(*args[1:4])
    elif cmd == "sklearn":
        check_sklearn(*args[1:4])
    else:
        raise SystemExit(f"unknown check {cmd}")


if __name__ == "__main__":
    if sys.argv[1] == "data":
        write_data(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "--batch":
        for line in open(sys.argv[2]):
            if line.strip():
                try:
                    run(line.split())
                except Exception as ex:  # one broken check must not hide the others
                    print(f"FAIL {line.strip()}: {type(ex).__name__}: {ex}")
    else:
        run(sys.argv[1:])
