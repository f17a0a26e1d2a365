#!/usr/bin/env python3
"""check_robust_na.py --batch FILE: one check per line, NAME<TAB>MODEL.json TABLE REF.tsv CASE
(shell words), TABLE the run's stdout; prints "ok<TAB>NAME" or "FAIL<TAB>NAME<TAB>why" per line.

Compares a linreg_mpi model trained with a robust --cov, and its printed table, with the rows
of CASE in REF, written by datasets/r_robust_na_reference.R (sandwich's covariances, car's
linearHypothesis): each standard error (in coefficient order) to 1e-8 relative, null in the
model and NA in the table where R's is NaN; each Wald F test (the terms' term_tests, and
f_statistic for "(all)") null in the model and NA in the table where the covariance R made
has rank below the test's coefficients (or R's solve() refused), else R's F to 1e-6.
"""
import json, math, re, shlex, sys


def check(model, table, ref, case):
    inf = json.load(open(model))["inference"]
    out = open(table).read()
    rows = [l.rstrip("\n").split("\t") for l in open(ref) if l.startswith(case + "\t")]
    bad = []
    se = [r[3] for r in rows if r[1] == "se"]
    terms = inf["terms"]
    if len(se) != len(terms):
        return ["%d coefficients, R has %d" % (len(terms), len(se))]
    coef_lines = out.split("Coefficients:\n", 1)[1].split("---\n", 1)[0].splitlines()[2:]
    for i, (t, r) in enumerate(zip(terms, se)):
        got, cells = t["std_error"], coef_lines[i].split()
        if r == "NA":
            if got is not None or t["t_value"] is not None or t["p_value"] is not None:
                bad.append("%s: std_error %r, R NaN" % (t["term"], got))
            if cells[-6:] != ["NA"] * 6 and cells[-5:] != ["NA"] * 5:
                bad.append("%s: printed %r, not NA" % (t["term"], coef_lines[i]))
        elif got is None or abs(got - float(r)) > 1e-8 * float(r):
            bad.append("%s: std_error %r vs R's %s" % (t["term"], got, r))
    tests = {x["term"]: x for x in inf["term_tests"]}
    printed = dict((m.group(1).strip(), m.group(2)) for m in
                   re.finditer(r"^(.+?)\s+\d+\s+(\S+)\s+\S+ ?\S*$",
                               out.split("Tests of whole terms", 1)[1].split("\n", 2)[2], re.M))
    overall = re.search(r"^Wald F-statistic \(robust\): (\S+) on (\d+) and", out, re.M)
    for _, _, name, q, rank, f in (r for r in rows if r[1] == "test"):
        na = int(rank) < int(q) or f == "NA"
        if name == "(all)":
            got, df, shown = inf["f_statistic"], inf["f_df1"], overall and overall.group(1)
        else:
            x = tests.get(name)
            if x is None:
                bad.append("no term test for %s" % name)
                continue
            got, df, shown = x["F"], x["df"], printed.get(name)
        if df != int(q):
            bad.append("%s: %d coefficients, R %s" % (name, df, q))
        if na:
            if got is not None or shown != "NA":
                bad.append("%s: F %r (printed %r), R's covariance has rank %s < %s" %
                           (name, got, shown, rank, q))
        elif got is None or abs(got - float(f)) > 1e-6 * float(f) or shown in (None, "NA"):
            bad.append("%s: F %r (printed %r) vs R's %s" % (name, got, shown, f))
    return bad


failed = 0
for line in open(sys.argv[2]):
    name, rest = line.rstrip("\n").split("\t", 1)
    try:
        bad = check(*shlex.split(rest))
    except Exception as e:  # a missing file or key fails the check, not the batch
        bad = ["%s: %s" % (type(e).__name__, e)]
    print("ok\t%s" % name if not bad else "FAIL\t%s\t%s" % (name, "; ".join(bad[:3])))
    failed += bool(bad)
sys.exit(1 if failed else 0)
