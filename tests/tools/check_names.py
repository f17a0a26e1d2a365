#!/usr/bin/env python3
"""check_names.py — column names holding a newline, a carriage return, a tab, a comma or a
quote (legal inside quotes, RFC 4180) through the program's output: the checks of train.sh,
terms.sh, cv.sh and predict.sh.

  check_names.py data FILE [K]            the data: 12 rows of x<LF>q (numbers), g<CR>h
                                          (levels a, b, c), "a,b", 'q"t' and the target
                                          y"<TAB>z,<LF>w; without column K (from 0) if given
  check_names.py train OUT ERR MODEL      the results (OUT) and the log (ERR) of a training
                                          run: each name as describe shows it (control bytes
                                          as \\xHH), no control byte left but the tab of R's
                                          "Multiple R-squared:  ...,<TAB>Adjusted" line; the
                                          coefficient rows (when printed), the model line,
                                          the stats table (its columns aligned) name the
                                          model's target and features
  check_names.py terms OUT MODEL          the table of whole-term tests: a row per term of the
                                          model's term_tests, its name shown, Df and F as there
  check_names.py csv CSV DATA MODEL       predict's CSV read back: the header is the target as
                                          read and "prediction", each row the target and
                                          b + w.x from the model's coefficients
The names are escaped here independently of the program. Each check prints "ok DESC" or
"FAIL DESC: why".
"""
import csv
import json
import re
import sys

NAMES = ["x\nq", "g\rh", "a,b", 'q"t', 'y"\tz,\nw']
ROWS = [(1, "a", 3, 1, 2.1), (2, "b", 1, 4, 3.9), (3, "c", 4, 1, 7.2), (4, "a", 1, 5, 6.0),
        (5, "b", 5, 9, 9.4), (6, "c", 9, 2, 12.9), (7, "a", 2, 6, 10.1), (8, "b", 6, 5, 13.8),
        (9, "c", 3, 3, 16.2), (10, "a", 7, 8, 14.9), (11, "b", 2, 7, 17.5), (12, "c", 8, 4, 20.3)]


def shown(name):
    """A name as messages and tables show it: each control byte as \\xHH."""
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7F else c for c in name)


def control_bytes(text, allow_tab_line=None):
    """The lines (1-based) holding a control byte, but for a tab in a line starting so."""
    bad = []
    for k, line in enumerate(text.split("\n"), 1):
        rest = line.replace("\t", "", 1) if allow_tab_line and line.startswith(allow_tab_line) else line
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in rest):
            bad.append(k)
    return bad


def read(path):
    with open(path, newline="") as f:
        return f.read()


def check_train(out_path, err_path, model_path):
    out, err = read(out_path), read(err_path)
    m = json.load(open(model_path))
    why = []
    bad = control_bytes(out, "Multiple R-squared:")
    if bad:
        why.append(f"stdout lines {bad} hold control bytes")
    bad = control_bytes(err)
    if bad:
        why.append(f"stderr lines {bad} hold control bytes")
    lines = out.split("\n")
    for f in m["features"] if "Coefficients:" in out else []:
        if not any(re.match(re.escape(shown(f)) + r" +-?[0-9]", ln) for ln in lines):
            why.append(f"no coefficient row for {shown(f)!r}")
    model_line = "model: " + re.escape(shown(m["target"])) + " = [-0-9.e+]+" + "".join(
        r" [-+] [0-9.e+-]+\*" + re.escape(shown(f)) for f in m["features"])
    if not any(re.fullmatch(model_line, ln) for ln in lines):
        why.append("no model line " + model_line)
    if f"target '{shown(m['target'])}'" not in err:
        why.append("the log does not name the target " + shown(m["target"]))
    cols = set()
    for name in m["features"] + [m["target"]]:
        row = [ln for ln in err.split("\n") if ln.startswith("linreg_mpi:   " + shown(name) + " ")]
        if len(row) != 1:
            why.append(f"{len(row)} stats rows for {shown(name)}")
        else:
            cols.add(row[0].index(" mean "))
    if len(cols) > 1:
        why.append(f"the stats table's mean column starts at {sorted(cols)}")
    report("training output names escaped, one line each, stats aligned", why)


def check_terms(out_path, model_path):
    out = read(out_path)
    tests = json.load(open(model_path))["inference"]["term_tests"]
    why = []
    lines = out.split("\n")
    try:
        at = next(k for k, ln in enumerate(lines) if ln.startswith("Tests of whole terms"))
    except StopIteration:
        report("whole-term table", ["no table"])
        return
    rows = lines[at + 2:at + 2 + len(tests)]
    width = len(max((shown(t["term"]) for t in tests), key=len))
    width = max(width, 11)
    for t, row in zip(tests, rows):
        name = shown(t["term"])
        f = row[width:].split()
        if not row.startswith(name.ljust(width) + " ") or int(f[0]) != t["df"] or \
                abs(float(f[1]) - t["F"]) > 1e-5 * abs(t["F"]):
            why.append(f"row {row!r} is not {name!r} df {t['df']} F {t['F']:.6g}")
    if control_bytes(out, "Multiple R-squared:"):
        why.append("control bytes in the output")
    report(f"whole-term table: {len(tests)} rows, names escaped and aligned, Df and F as in "
           "the model", why)


def check_csv(csv_path, data_path, model_path):
    m = json.load(open(model_path))
    with open(csv_path, newline="") as f:
        got = list(csv.reader(f))
    with open(data_path, newline="") as f:
        data = list(csv.reader(f))
    why = []
    if not got or got[0] != [m["target"], "prediction"]:
        report("predict's CSV read back by python's csv", [f"header {got[:1]!r}"])
        return
    head = data[0]
    x_of = {name: head.index(name) for name in m["features"] if name in head}
    enc = m["encoding"]
    if len(got) != len(data):
        why.append(f"{len(got) - 1} rows, the data has {len(data) - 1}")
    for row, rec in zip(got[1:], data[1:]):
        fit = m["intercept"]
        for name, w in zip(m["features"], m["coefficients"]):
            if name in x_of:
                fit += w * float(rec[x_of[name]])
            else:  # NAME=LEVEL of a categorical column
                col, level = next((c["name"], name[len(c["name"]) + 1:]) for c in enc["columns"]
                                  if name.startswith(c["name"] + "="))
                fit += w * (rec[head.index(col)] == level)
        if float(row[0]) != float(rec[head.index(m["target"])]) or \
                abs(float(row[1]) - fit) > 1e-9 * max(1, abs(fit)):
            why.append(f"row {row} against {fit}")
            break
    report("predict's CSV read back by python's csv: header [target, prediction], b + w.x", why)


def report(desc, why):
    print(f"FAIL {desc}: {'; '.join(why)}" if why else f"ok {desc}")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "data":
        keep = [k for k in range(len(NAMES)) if len(args) < 2 or k != int(args[1])]
        with open(args[0], "w", newline="") as f:
            csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(
                [[r[k] for k in keep] for r in [NAMES] + ROWS])
    elif cmd == "train":
        check_train(*args)
    elif cmd == "terms":
        check_terms(*args)
    elif cmd == "csv":
        check_csv(*args)
    else:
        sys.exit(f"check_names.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
