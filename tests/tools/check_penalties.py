#!/usr/bin/python3
"""check_penalties.py — independent checks of --l2, --l1, --loss huber and --weights
(penalties.sh).

The references are scikit-learn's estimators on the same standardised features: the model's
"scaled" block is compared with them. The README's objective, on the scaled weights w,
    J = 1/(2m) Σ ω_i ℓ(e_i) + l2/(2m)·‖w‖² + l1/m·‖w‖₁,   m = Σ ω_i,
maps to scikit-learn as
    ElasticNet(alpha = (l1 + l2)/m, l1_ratio = l1/(l1 + l2), sample_weight = ω)
    Lasso(alpha = l1/m)                                (l2 = 0)
    HuberRegressor(alpha = l2, epsilon = δ, sample_weight = ω): its objective
        Σ ω (σ + σ·H_δ(e/σ)) + alpha·‖w‖² is 2m·J
    LinearRegression(sample_weight = ω)                (no penalty; original units)
    ridge (l1 = 0, ω = 1): closed form, numpy's least squares (see ridge())
The standardisation is linreg_mpi's: (x − x̄_ω)/s_ω with the weighted mean and the weighted
population standard deviation (ω = 1 without weights).

Each check prints "ok DESC" or "FAIL DESC: why", one line per model; exit 0. `batch FILE`
runs the commands of FILE, one a line.
"""
import json
import sys

import numpy as np
import pandas as pd


def load(csv, wcol, drop=()):
    df = pd.read_csv(csv)
    y = df["y"].to_numpy()
    w = df[wcol].to_numpy() if wcol and wcol != "-" else np.ones(len(y))
    feats = [c for c in df.columns if c not in ("y", "wt") and c not in drop]  # wt: never a feature
    X = df[feats].to_numpy()
    mean = (w[:, None] * X).sum(0) / w.sum()
    sd = np.sqrt((w[:, None] * (X - mean) ** 2).sum(0) / w.sum())
    return X, (X - mean) / sd, y, w


def scaled(model):
    m = json.load(open(model))
    return np.array(m["scaled"]["coefficients"], dtype=float), m["scaled"]["intercept"], m


def report(desc, good, why=""):
    print(("ok " if good else "FAIL ") + desc + ("" if good else ": " + why))


def gen(out):
    """The data sets: correlated features with some true zeros; positive and zero weights;
    10% gross outliers in y (the clean truth alongside)."""
    rng = np.random.default_rng(19)
    n, d = 9000, 8
    C = 0.5 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))  # AR(1) correlation
    X = rng.normal(size=(n, d)) @ np.linalg.cholesky(C).T * np.arange(1, d + 1) + 3
    beta = np.array([2.0, -1.5, 0.0, 0.8, 0.0, 0.0, 0.3, -0.05])
    y = 4 + X @ beta + rng.normal(scale=2.0, size=n)
    w = rng.gamma(2.0, 1.0, size=n)
    w[rng.random(n) < 0.05] = 0.0  # rows that count for nothing
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(d)])
    df.insert(3, "wt", w)  # the weight column sits among the features
    df["y"] = y
    df.to_csv(f"{out}/pen.csv", index=False, float_format="%.17g")
    # outliers: 10% of y shifted by ±(30..60) — about 15 noise standard deviations
    yo = y.copy()
    bad = rng.random(n) < 0.10
    yo[bad] += rng.choice([-1, 1], bad.sum()) * rng.uniform(30, 60, bad.sum())
    df2 = df.drop(columns="wt").copy()
    df2["y"] = yo
    df2.to_csv(f"{out}/outliers.csv", index=False, float_format="%.17g")
    json.dump({"intercept": 4.0, "coefficients": beta.tolist()}, open(f"{out}/truth.json", "w"))
    # integer weights 0..3, and the same data with each row written ω times (no weights)
    k = rng.integers(0, 4, size=2000)
    small = df.iloc[:2000].copy()
    small["wt"] = k.astype(float)
    small.to_csv(f"{out}/rep.csv", index=False, float_format="%.17g")
    small.drop(columns="wt").loc[small.index.repeat(k)].to_csv(f"{out}/rep_dup.csv", index=False,
                                                                float_format="%.17g")


def enet(csv, wcol, l1, l2, models):
    from sklearn.linear_model import ElasticNet, Lasso
    _, Z, y, w = load(csv, wcol)
    m = w.sum()
    if l2 == 0:
        ref = Lasso(alpha=l1 / m, tol=1e-13, max_iter=1000000)
        name = "Lasso(alpha=%.6g)" % (l1 / m)
    else:
        ref = ElasticNet(alpha=(l1 + l2) / m, l1_ratio=l1 / (l1 + l2), tol=1e-13,
                         max_iter=1000000)
        name = "ElasticNet(alpha=%.6g, l1_ratio=%.4g)" % ((l1 + l2) / m, l1 / (l1 + l2))
    ref.fit(Z, y, sample_weight=w)
    zeros_ref = ref.coef_ == 0
    for path in models:
        c, b, mj = scaled(path)
        nz = ~zeros_ref
        rel = np.max(np.abs(c[nz] - ref.coef_[nz]) / np.abs(ref.coef_[nz])) if nz.any() else 0
        relb = abs(b - ref.intercept_) / abs(ref.intercept_)
        same_zeros = np.array_equal(c == 0, zeros_ref)
        sel = mj["training"]["features_selected"] == int(nz.sum())
        desc = "%s: %s, %d of %d selected, worst relative error %.2g" % (
            path.split("/")[-1], name, nz.sum(), len(c), max(rel, relb))
        report(desc, rel <= 1e-6 and relb <= 1e-6 and same_zeros and sel and
               mj["training"]["converged"],
               "zeros %s vs %s, converged %s" % ((c == 0).astype(int), zeros_ref.astype(int),
                                                 mj["training"]["converged"]))


def ridge(csv, l2, models):
    """Plain gd and nesterov with --l2 alone (no weights: the wt column dropped) against
    closed-form ridge with an unpenalised intercept on the standardised features:
        θ* = argmin ‖b + Zw − y‖² + l2·‖w‖²      (2m·J),
    solved by least squares on [1 Z; 0 √l2·I] θ = [y; 0]. A "converged" run carries the
    certificate ‖θ − θ*‖/‖θ*‖ ≤ error_bound ≤ 1e-8 on the scaled weights θ = (b, w) (gd.h),
    which is the tolerance here; in original units, θ_orig = Mθ with M the unscaling map,
    so the relative error there is at most cond(M) times that."""
    X, Z, y, _ = load(csv, "-")
    n, d = Z.shape
    A = np.vstack([np.column_stack([np.ones(n), Z]),
                   np.column_stack([np.zeros(d), np.sqrt(l2) * np.eye(d)])])
    star = np.linalg.lstsq(A, np.r_[y, np.zeros(d)], rcond=None)[0]
    ols = np.linalg.lstsq(A[:n], y, rcond=None)[0]
    shrink = np.linalg.norm(star - ols) / np.linalg.norm(ols)
    mean, sd = X.mean(0), X.std(0)
    M = np.eye(d + 1)  # (b, w) scaled -> original units: w/σ, b − Σ μ w/σ
    M[1:, 1:] = np.diag(1 / sd)
    M[0, 1:] = -mean / sd
    cond_m = np.linalg.cond(M)
    for path in models:
        c, b, mj = scaled(path)
        t = mj["training"]
        err = np.linalg.norm(np.r_[b, c] - star) / np.linalg.norm(star)
        orig = np.r_[mj["intercept"], mj["coefficients"]]
        err_o = np.linalg.norm(orig - M @ star) / np.linalg.norm(M @ star)
        bound = t.get("error_bound") or float("nan")
        desc = ("%s: %s --l2 %g = closed-form ridge, intercept unpenalised (shrunk %.2g from "
                "least squares): scaled weights within %.2g (certified %.2g <= 1e-8), original "
                "units within %.2g (<= cond %.3g x that)" % (
                    path.split("/")[-1], t["solver"], l2, shrink, err, bound, err_o, cond_m))
        good = (t["converged"] and t["l2"] == l2 and bound <= 1e-8 and shrink > 1e-2 and
                err <= bound + 1e-13 and err_o <= cond_m * (bound + 1e-13))
        report(desc, good, "converged %s, stopped_by %s" % (t["converged"], t["stopped_by"]))


def huber_reference(Z, y, w, delta):
    """HuberRegressor, then its own objective polished to the rounding level (scipy L-BFGS-B
    from its answer with a tiny gradient tolerance): scikit-learn stops at tol on its own
    terms, which leaves about 1e-6 in small coefficients."""
    from scipy.optimize import minimize
    from sklearn.linear_model import HuberRegressor
    from sklearn.linear_model._huber import _huber_loss_and_gradient
    h = HuberRegressor(alpha=0.0, epsilon=delta, tol=1e-12, max_iter=100000).fit(Z, y, sample_weight=w)
    p0 = np.r_[h.coef_, h.intercept_, h.scale_]
    bounds = [(None, None)] * (len(p0) - 1) + [(np.finfo(float).eps * 10, None)]
    r = minimize(_huber_loss_and_gradient, p0, args=(Z, y, delta, 0.0, w), jac=True,
                 method="L-BFGS-B", bounds=bounds,
                 options={"maxiter": 100000, "ftol": 0, "gtol": 1e-13})
    return p0, r.x


def huber(csv, wcol, delta, models):
    _, Z, y, w = load(csv, wcol)
    sk, tight = huber_reference(Z, y, w, delta)
    for path in models:
        c, b, mj = scaled(path)
        got = np.r_[c, b, mj["training"]["huber_scale"]]
        e_sk = np.linalg.norm(got - sk) / np.linalg.norm(sk)
        e_tight = np.linalg.norm(got - tight) / np.linalg.norm(tight)
        desc = ("%s: HuberRegressor(alpha=0, epsilon=%g) coefficients, intercept and scale "
                "within %.2g (<= 1e-5); its objective minimised tightly: %.2g (<= 1e-8)" %
                (path.split("/")[-1], delta, e_sk, e_tight))
        report(desc, e_sk <= 1e-5 and e_tight <= 1e-8 and mj["training"]["converged"],
               "converged %s" % mj["training"]["converged"])


def wls(csv, wcol, tol, models):
    from sklearn.linear_model import LinearRegression
    X, _, y, w = load(csv, wcol)
    ref = LinearRegression().fit(X, y, sample_weight=w)
    refv = np.r_[ref.intercept_, ref.coef_]
    for path in models:
        mj = json.load(open(path))
        got = np.r_[mj["intercept"], mj["coefficients"]]
        rel = np.max(np.abs(got - refv) / np.abs(refv))
        from sklearn.metrics import r2_score, mean_squared_error
        yhat = X @ ref.coef_ + ref.intercept_
        r2 = r2_score(y, yhat, sample_weight=w)
        mse = mean_squared_error(y, yhat, sample_weight=w)
        mt = mj["metrics"]["train"]
        rel_m = max(abs(mt["r2"] - r2) / abs(r2), abs(mt["mse"] - mse) / mse)
        if "test" in mj["metrics"]:  # --test on the training file: the same weighted metrics
            te = mj["metrics"]["test"]
            rel_m = max(rel_m, abs(te["mse"] - mse) / mse, abs(te["r2"] - r2) / abs(r2))
        desc = ("%s: LinearRegression(sample_weight) within %.2g (<= %g); weighted R^2 and "
                "MSE (r2_score, mean_squared_error with sample_weight) within %.2g" %
                (path.split("/")[-1], rel, tol, rel_m))
        report(desc, rel <= tol and rel_m <= 1e-9)


def wlsinf(csv, wcol, model):
    """The exact solver's inference table under weights against statsmodels' WLS on the rows
    of positive weight (R's lm(weights=) leaves zero-weight rows out of n; statsmodels'
    log-likelihood includes ½Σ log ω, as R's; AIC and BIC count the variance, as R)."""
    import statsmodels.api as sm
    X, _, y, w = load(csv, wcol)
    keep = w > 0
    r = sm.WLS(y[keep], sm.add_constant(X[keep]), weights=w[keep]).fit()
    inf = json.load(open(model))["inference"]
    k = X.shape[1] + 1
    pairs = [("std_error %d" % j, t["std_error"], r.bse[j]) for j, t in enumerate(inf["terms"])]
    pairs += [("residual_std_error", inf["residual_std_error"], np.sqrt(r.scale)),
              ("df_residual", inf["df_residual"], r.df_resid), ("r2", inf["r2"], r.rsquared),
              ("f_statistic", inf["f_statistic"], r.fvalue),
              ("log_likelihood", inf["log_likelihood"], r.llf),
              ("aic", inf["aic"], -2 * r.llf + 2 * (k + 1)),
              ("bic", inf["bic"], -2 * r.llf + np.log(keep.sum()) * (k + 1))]
    worst = max(abs(a - b) / abs(b) for _, a, b in pairs)
    bad = [n for n, a, b in pairs if abs(a - b) > 1e-8 * abs(b)]
    report("%s: weighted inference table (standard errors, residual std error, df, R^2, F, "
           "log-likelihood, AIC, BIC) = statsmodels WLS on the rows of weight > 0, within %.2g"
           % (model.split("/")[-1], worst), not bad, " ".join(bad))


def dup(weighted, repeated):
    """Integer weights are rows written that many times: the same scaled weights, σ, loss
    and metrics (every sum weighted, the scaling statistics included)."""
    a, b = json.load(open(weighted)), json.load(open(repeated))
    va = np.r_[a["scaled"]["intercept"], a["scaled"]["coefficients"]]
    vb = np.r_[b["scaled"]["intercept"], b["scaled"]["coefficients"]]
    rel = np.max(np.abs(va - vb)) / np.max(np.abs(vb))
    others = [(a["training"][k], b["training"][k]) for k in ("huber_scale", "final_loss")]
    others += [(a["metrics"]["train"][k], b["metrics"]["train"][k]) for k in ("mse", "mae", "r2")]
    others += [(a["scaling"][k][j], b["scaling"][k][j]) for k in ("mean", "std")
               for j in range(len(a["scaling"]["mean"]))]
    rel = max([rel] + [abs(x - y) / abs(y) for x, y in others])
    report("integer weights = rows repeated: scaling, weights, scale, final loss, MSE, MAE, R^2 "
           "agree to %.2g (<= 1e-9)" % rel, rel <= 1e-9)


def same(tol, models):
    """Every model's scaled weights (and Huber's scale) equal the first's to tol, relative."""
    c0, b0, m0 = scaled(models[0])
    v0 = np.r_[b0, c0, m0["training"].get("huber_scale") or 0]
    worst = 0.0
    for path in models[1:]:
        c, b, mj = scaled(path)
        v = np.r_[b, c, mj["training"].get("huber_scale") or 0]
        worst = max(worst, np.max(np.abs(v - v0)) / np.max(np.abs(v0)))
    report("%d runs agree to %.2g relative (<= %g)" % (len(models), worst, tol), worst <= tol)


def outliers(truth, squared, robust):
    t = json.load(open(truth))
    tv = np.r_[t["intercept"], t["coefficients"]]
    err = {}
    for name, path in (("squared", squared), ("huber", robust)):
        mj = json.load(open(path))
        err[name] = np.linalg.norm(np.r_[mj["intercept"], mj["coefficients"]] - tv)
    desc = ("10%% gross outliers in y: distance of the coefficients to the clean truth: huber "
            "%.4f, squared %.4f (huber at most half)" % (err["huber"], err["squared"]))
    report(desc, err["huber"] <= 0.5 * err["squared"])


def run(cmd, a):
    if cmd == "gen":
        gen(a[0])
    elif cmd == "enet":
        enet(a[0], a[1], float(a[2]), float(a[3]), a[4:])
    elif cmd == "huber":
        huber(a[0], a[1], float(a[2]), a[3:])
    elif cmd == "ridge":
        ridge(a[0], float(a[1]), a[2:])
    elif cmd == "wls":
        wls(a[0], a[1], float(a[2]), a[3:])
    elif cmd == "wlsinf":
        wlsinf(a[0], a[1], a[2])
    elif cmd == "dup":
        dup(a[0], a[1])
    elif cmd == "same":
        same(float(a[0]), a[1:])
    elif cmd == "outliers":
        outliers(a[0], a[1], a[2])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    if sys.argv[1] == "batch":  # one command a line of the file: one start of Python for all
        for line in open(sys.argv[2]):
            if line.split():
                run(line.split()[0], line.split()[1:])
    else:
        run(sys.argv[1], sys.argv[2:])
