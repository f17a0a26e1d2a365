# cv.sh — --cv: the cross-validated penalty path against R's cv.glmnet
# (datasets/r_cv_glmnet_reference.tsv, from datasets/r_cv_glmnet_reference.R, with glmnet's
# foldid given as a fold column): the lambda sequence, cvm and cvsd to 1e-6 relative, the
# same lambda.min and lambda.1se, the coefficients at the chosen one to 1e-6, for
# alpha 1, 0.5 and 0, weighted rows and a categorical column; a grid of alphas; the
# README's mapping to scikit-learn and to --l1/--l2; ranks 1-3 x threads 1-2 and the same
# bytes for any thread count; hash folds the same for any rank count and for the data as
# several inputs (one gzip); --folds files (three files, ranks 1-3); --cv alone against
# numpy; bad input.

PY=/usr/bin/python3  # Debian's, with scikit-learn (scripts/install-deps.sh)
CHK="$ROOT/tests/tools/check_cv.py"
REF="$ROOT/datasets/r_cv_glmnet_reference.tsv"
"$PY" "$CHK" data "$ROOT/datasets" "$TMP"  # mtcars_K4.csv ... with glmnet's foldid as 'fold'

: >"$TMP/checks"
check() { echo "$*" >>"$TMP/checks"; }

# fit NAME NP THREADS ARGS...: train into $TMP/NAME.json, the results into $TMP/NAME.out
fit() {
    local name=$1 np=$2 th=$3
    shift 3
    lr "$np" "$th" --model-out "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        not_ok "$name: exit $?" "$(head -c 300 "$TMP/$name.err")"
}

# --- against cv.glmnet, folds from the fold column
FC="--folds column:fold"
fit mt1 1 1 --cv 4 $FC --target mpg --l1-ratio 1 "$TMP/mtcars_K4.csv"
check glmnet "$REF" mtcars:alpha=1:K=4 "$TMP/mt1.json" min
check sklearn "$TMP/mtcars_K4.csv" mpg "$TMP/mt1.json"
fit mt1se 1 1 --cv 4 $FC --target mpg --l1-ratio 1 --select 1se "$TMP/mtcars_K4.csv"
check glmnet "$REF" mtcars:alpha=1:K=4 "$TMP/mt1se.json" 1se
fit mt05 1 1 --cv 5 $FC --target mpg --l1-ratio 0.5 "$TMP/mtcars_K5.csv"
check glmnet "$REF" mtcars:alpha=0.5:K=5 "$TMP/mt05.json" min
check sklearn "$TMP/mtcars_K5.csv" mpg "$TMP/mt05.json"
check path "$REF" mtcars:alpha=0.5:K=5 "$TMP/mt05.json"
fit mt0 1 1 --cv 4 $FC --target mpg --l1-ratio 0 "$TMP/mtcars_K4.csv"
check glmnet "$REF" mtcars:alpha=0:K=4 "$TMP/mt0.json" min
check sklearn "$TMP/mtcars_K4.csv" mpg "$TMP/mt0.json"
fit sw 1 1 --cv 5 $FC --target fertility --l1-ratio 1 "$TMP/swiss_K5.csv"
check glmnet "$REF" swiss:alpha=1:K=5 "$TMP/sw.json" min
fit ir 1 1 --cv 3 $FC --target Sepal.Length --categorical Species --l1-ratio 1 "$TMP/iris_K3.csv"
check glmnet "$REF" iris-species:alpha=1:K=3 "$TMP/ir.json" min
fit grid 1 1 --cv 4 $FC --target mpg --l1-ratio 1,0 "$TMP/mtcars_K4.csv"
check grid "$REF" "$TMP/grid.json" mtcars:alpha=1:K=4 mtcars:alpha=0:K=4

# --- weighted rows (--weights drat: not a feature), ranks 1-3 x threads 1-2
W="--cv 5 $FC --target mpg --weights drat --l1-ratio 0.5 $TMP/mtcars_K5.csv"
models=()
for np in 1 2 3; do
    for th in 1 2; do
        fit "w$np$th" "$np" "$th" $W
        models+=("$TMP/w$np$th.json")
    done
done
check glmnet "$REF" mtcars-weights-drat:alpha=0.5:K=5 "$TMP/w11.json" min
check same 1e-12 "${models[@]}"
strip() { grep -v '"seconds"\|"threads"' "$1"; }
cmp -s <(strip "$TMP/w31.json") <(strip "$TMP/w32.json") &&
    cmp -s <(sed 's/w3[12].json//' "$TMP/w31.out") <(sed 's/w3[12].json//' "$TMP/w32.out") &&
    ok "threads 1 and 2 (3 ranks): the same model bytes (but timings) and the same table" ||
    not_ok "threads 1 and 2 give other bytes" "$(diff <(strip "$TMP/w31.json") <(strip "$TMP/w32.json") | head -5)"

# --- the table on stdout, the model's cv block, predict with the chosen model
grep -q "^4-fold cross-validation of the penalty path (.* lambdas), l1_ratio 1:" "$TMP/mt1.out" &&
    grep -q "^min  *0.60570" "$TMP/mt1.out" && grep -q "^1se  *1.3992" "$TMP/mt1.out" &&
    grep -q "^chosen: lambda 0.6057028834 (min), l1_ratio 1; the same fit as --l1 " "$TMP/mt1.out" &&
    ! grep -q "lambda index" "$TMP/mt1.err" && grep -q "folds. factors in one pass" "$TMP/mt1.err" &&
    ok "stdout: cv.glmnet's table (lambda.min and .1se rows) and the chosen fit" ||
    not_ok "stdout table" "$(head -5 "$TMP/mt1.out")"
lr 1 1 predict --model "$TMP/mt05.json" --output "$TMP/pred.csv" "$TMP/mtcars_K5.csv" 2>/dev/null
"$PY" - "$TMP/mt05.json" "$TMP/mtcars_K5.csv" "$TMP/pred.csv" <<'PY' && ok "predict uses the chosen model" || not_ok "predict with a --cv model"
import json, sys, pandas as pd, numpy as np
m = json.load(open(sys.argv[1])); d = pd.read_csv(sys.argv[2]); p = pd.read_csv(sys.argv[3])
want = m["intercept"] + d[m["features"]].to_numpy() @ np.array(m["coefficients"])
sys.exit(0 if np.allclose(p.iloc[:, -1].to_numpy(), want, rtol=1e-12, atol=0) else 1)
PY

# --- --cv alone: least squares' own CV error, and the least-squares fit
fit ols 1 1 --cv 4 $FC --target mpg "$TMP/mtcars_K4.csv"
check ols "$TMP/mtcars_K4.csv" mpg "$TMP/ols.json"
lr 1 1 --quiet --solver exact --target mpg --drop fold --model-out "$TMP/exact.json" \
    "$TMP/mtcars_K4.csv" >/dev/null
model_values "$TMP/ols.json" >"$TMP/a" && model_values "$TMP/exact.json" >"$TMP/b"
values_close "$TMP/a" "$TMP/b" 1e-9 >"$TMP/why" &&
    grep -q "^4-fold cross-validation of least squares (no penalty): mean squared error 12.9103361" "$TMP/ols.out" &&
    ok "--cv alone: the model is --solver exact's (1e-9), stdout its CV error" ||
    not_ok "--cv alone" "$(cat "$TMP/why") $(head -2 "$TMP/ols.out")"

# --- the progress bar over the paths: on a terminal (script(1)'s pty), cleared by the next
# line; never with --quiet or when stderr is not a terminal (mt05.err above)
PTYRUN="$BIN --cv 5 $FC --target mpg --l1-ratio 0.5,1 --model-out $TMP/pty.json $TMP/mtcars_K5.csv"
script -qec "$PTYRUN" /dev/null >"$TMP/pty.out" 2>&1 </dev/null
script -qec "$PTYRUN --quiet" /dev/null >"$TMP/ptyq.out" 2>&1 </dev/null
grep -aq $'\r\[#*\.*\] cross-validation: paths [0-9]*/12\r\033\[Klinreg_mpi: cross-validation' "$TMP/pty.out" &&
    ! grep -aq "cross-validation: paths" "$TMP/ptyq.out" && ! grep -aq "\] cross-validation" "$TMP/mt05.err" &&
    ok "progress bar over the 2 x (5 + 1) paths on a terminal, cleared; none with --quiet or a pipe" ||
    not_ok "progress bar" "$(cat -v "$TMP/pty.out" | grep -a paths | head -c 300)"

# --- scripts/plot.sh --cv: plot.cv.glmnet's curve and plot.glmnet's paths, as PNGs
png_ok() {  # signature, then IHDR width and height (big-endian) both between 100 and 5000
    [ "$(head -c 8 "$1" | od -An -t x1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        od -An -t u1 -j 16 -N 8 "$1" | awk '{ w = $1 * 16777216 + $2 * 65536 + $3 * 256 + $4
            h = $5 * 16777216 + $6 * 65536 + $7 * 256 + $8; exit !(w >= 100 && w <= 5000 && h >= 100 && h <= 5000) }'
}
"$ROOT/scripts/plot.sh" --cv "$TMP/mt05.json" --out "$TMP/plots" >"$TMP/plot.out" 2>&1 &&
    png_ok "$TMP/plots/cv_curve.png" && png_ok "$TMP/plots/cv_path.png" &&
    grep -q "wrote .*cv_path.png" "$TMP/plot.out" &&
    ok "plot.sh --cv: cv_curve.png and cv_path.png are PNGs" ||
    not_ok "plot.sh --cv" "$(head -c 300 "$TMP/plot.out")"
rc=0 rc2=0
"$ROOT/scripts/plot.sh" --cv "$TMP/ols.json" --out "$TMP/plots" 2>"$TMP/err" || rc=$?
"$ROOT/scripts/plot.sh" --cv "$TMP/exact.json" --out "$TMP/plots" 2>"$TMP/err2" || rc2=$?
[ "$rc" = 1 ] && grep -q "there is no penalty path to draw" "$TMP/err" &&
    [ "$rc2" = 1 ] && grep -q "has no cv block" "$TMP/err2" &&
    ok "plot.sh --cv: a model of least squares' CV or without --cv is an error saying why" ||
    not_ok "plot.sh --cv on other models" "exit $rc: $(cat "$TMP/err" "$TMP/err2")"

# --- the ridge end of the mapping: --solver exact --l2 (the equivalent) is the same fit
l2=$(grep -o '"l2": [-0-9.eE+]*' "$TMP/mt0.json" | tail -1 | awk '{print $2}')
lr 1 1 --quiet --solver exact --target mpg --drop fold --l2 "$l2" --model-out "$TMP/ridge.json" \
    "$TMP/mtcars_K4.csv" >/dev/null
model_values "$TMP/mt0.json" >"$TMP/a" && model_values "$TMP/ridge.json" >"$TMP/b"
values_close "$TMP/a" "$TMP/b" 1e-9 >"$TMP/why" &&
    ok "alpha 0: --solver exact --l2 m*lambda/sd(y) gives the chosen model (1e-9)" ||
    not_ok "--l2 equivalent" "$(cat "$TMP/why")"

# --- a fold column of text: each value a fold, numbered as the values first appear
awk -F, -v OFS=, 'NR == 1 { $NF = "part" } NR > 1 { $NF = NR <= 11 ? "zeta" : NR <= 21 ? "alpha" : "mid" } 1' \
    "$TMP/mtcars_K4.csv" >"$TMP/text.csv"
fit text 2 1 --cv 3 --folds column:part --target mpg --l1-ratio 1 "$TMP/text.csv"
tr -d ' \n' <"$TMP/text.json" | grep -q '"fold_rows":\[10,10,12\]' &&
    ! grep -q '"part' "$TMP/text.json" &&
    ok "--folds column: text values, folds in order of appearance (10, 10, 12 rows), not a feature" ||
    not_ok "text fold column" "$(tr -d ' \n' <"$TMP/text.json" | grep -o '"fold_rows":[^]]*')"

# --- hash folds: the same rows for 1 and 3 ranks (and the same path)
fit h1 1 1 --cv 5 --seed 1 --l1-ratio 1 --target mpg --drop fold "$TMP/mtcars_K4.csv"
fit h3 3 2 --cv 5 --seed 1 --l1-ratio 1 --target mpg --drop fold "$TMP/mtcars_K4.csv"
# ... and as two inputs, one gzip-compressed: the positions, so the folds, are the same
mkdir -p "$TMP/parts"
head -17 "$TMP/mtcars_K4.csv" >"$TMP/parts/a.csv"
{ head -1 "$TMP/mtcars_K4.csv"; tail -n +18 "$TMP/mtcars_K4.csv"; } | gzip >"$TMP/parts/b.csv.gz"
fit hp 2 1 --cv 5 --seed 1 --l1-ratio 1 --target mpg --drop fold "$TMP/parts/a.csv" "$TMP/parts/b.csv.gz"
check fold_rows "$TMP/h1.json" "$TMP/h3.json" "$TMP/hp.json"
check same 1e-12 "$TMP/h1.json" "$TMP/h3.json" "$TMP/hp.json"

# --- --folds files: mtcars as three files, each a fold (cv.glmnet's foldid = the file), and
# the same under 1-3 ranks (the byte split puts a file's rows on several ranks)
mkdir -p "$TMP/files"
M="$ROOT/datasets/mtcars.csv"
head -11 "$M" >"$TMP/files/a.csv"
{ head -1 "$M"; sed -n 12,22p "$M"; } >"$TMP/files/b.csv"
{ head -1 "$M"; sed -n 23,33p "$M"; } >"$TMP/files/c.csv"
FILES=("$TMP/files/a.csv" "$TMP/files/b.csv" "$TMP/files/c.csv")
for np in 1 2 3; do
    fit "files$np" "$np" 1 --cv 3 --folds files --target mpg --l1-ratio 1 "${FILES[@]}"
done
check glmnet "$REF" mtcars-files:alpha=1:K=3 "$TMP/files1.json" min
check same 1e-12 "$TMP/files1.json" "$TMP/files2.json" "$TMP/files3.json"
tr -d ' \n' <"$TMP/files3.json" | grep -q '"fold_rows":\[10,11,11\]' &&
    ok "--folds files: fold k is file k's rows (10, 11, 11) under 3 ranks" ||
    not_ok "--folds files rows" "$(tr -d ' \n' <"$TMP/files3.json" | grep -o '"fold_rows":[^]]*')"
gzip -c "$TMP/files/c.csv" >"$TMP/files/c.csv.gz"
# files_fail DESC PATTERN ARGS...: exit 2 with PATTERN on stderr, no model written
files_fail() {
    local desc=$1 pattern=$2 rc=0
    shift 2
    "$BIN" --target mpg --folds files "$@" --model-out "$TMP/bad.json" >/dev/null \
        2>"$TMP/err" </dev/null || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -e "$TMP/bad.json" ] &&
        ok "$desc" || not_ok "$desc" "exit $rc: $(head -c 300 "$TMP/err")"
}
files_fail "--folds files: --cv K other than the number of files" \
    "3 input files are 3 folds, not --cv 4; use --cv 3" --cv 4 "${FILES[@]}"
files_fail "--folds files: one input file" "one input file is one fold" --cv 3 "$TMP/files/a.csv"
files_fail "--folds files: a compressed part" "known only for uncompressed inputs" \
    --cv 3 "$TMP/files/a.csv" "$TMP/files/b.csv" "$TMP/files/c.csv.gz"
files_fail "--folds files: not in stream mode" "--folds files needs every row in memory" \
    --cv 3 --memory stream "${FILES[@]}"
files_fail "--folds files: not with the cache" "does not keep which file a row came from" \
    --cv 3 --cache "$TMP/files.cache" "${FILES[@]}"

# --- bad input: exit 65, no model written; every rank alike under mpirun once (whose
# clean-up after a failing run costs seconds), the others in one process
rm -f "$TMP/bad.json"
expect_fail "--cv K with fewer rows than K: a fold has no rows" 65 "fold .* has no rows" 3 \
    --cv 40 --target mpg --model-out "$TMP/bad.json" "$TMP/mtcars_K4.csv"
[ ! -e "$TMP/bad.json" ] && ok "no model written after it" || not_ok "a model was written"
# data_fail DESC PATTERN ARGS...: exit 65 with PATTERN on stderr, no model written
data_fail() {
    local desc=$1 pattern=$2 rc=0
    shift 2
    "$BIN" "$@" --model-out "$TMP/bad.json" >/dev/null 2>"$TMP/err" </dev/null || rc=$?
    [ "$rc" -eq 65 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -e "$TMP/bad.json" ] &&
        ok "$desc" || not_ok "$desc" "exit $rc: $(head -c 300 "$TMP/err")"
}
head -1 "$TMP/files/a.csv" >"$TMP/files/header_only.csv"
data_fail "--folds files: a file of no data rows names it" \
    "header_only.csv: --folds files: fold 3 of 4 is this file, which has no data rows" \
    --cv 4 --folds files --target mpg "$TMP/files/a.csv" "$TMP/files/b.csv" \
    "$TMP/files/header_only.csv" "$TMP/files/c.csv"
awk -F, 'NR == 1 || $NF != 2' "$TMP/mtcars_K4.csv" >"$TMP/three.csv"
data_fail "--folds column with 3 values for --cv 4: a fold with no rows" \
    "has 3 distinct values but --cv asks for 4 folds; use --cv 3" \
    --cv 4 $FC --target mpg "$TMP/three.csv"
awk -F, -v OFS=, 'NR > 1 { $NF = 1 } 1' "$TMP/mtcars_K4.csv" >"$TMP/one.csv"
data_fail "a fold column with one value" "the column has one value" \
    --cv 2 $FC --target mpg "$TMP/one.csv"
awk -F, -v OFS=, 'NR == 5 { $1 = -1 } 1' "$TMP/mtcars_K4.csv" >"$TMP/neg.csv"
data_fail "a negative weight: FILE:LINE:COLUMN" "neg.csv:5:1: " \
    --cv 4 $FC --target mpg --weights cyl "$TMP/neg.csv"
awk -F, -v OFS=, 'NR > 1 { $11 = 1234.5678 } 1' "$TMP/mtcars_K4.csv" >"$TMP/yconst.csv"
data_fail "a constant target" "the target is constant (1234.57): there is no penalty path" \
    --cv 4 $FC --target mpg "$TMP/yconst.csv"
awk -F, -v OFS=, 'NR > 1 && $NF == 3 { $4 = 0 } 1' "$TMP/mtcars_K4.csv" >"$TMP/w0.csv"
data_fail "a fold whose weights are all 0" "fold 3 of 4 has 8 rows but all their weights are 0" \
    --cv 4 $FC --target mpg --weights drat "$TMP/w0.csv"

rc=0
LINREG_TEST_MEM_AVAILABLE=10000 "$HOOKS_BIN" --cv 4 $FC --target mpg --model-out "$TMP/bad.json" \
    "$TMP/mtcars_K4.csv" >/dev/null 2>"$TMP/err" </dev/null || rc=$?
[ "$rc" -eq 71 ] && grep -q "the 4 folds' triangles of 12 columns need about .* use fewer folds (--cv) or fewer features" "$TMP/err" &&
    [ ! -e "$TMP/bad.json" ] && ok "folds' triangles beyond the node's memory: exit 71, how to need less" ||
    not_ok "memory check" "exit $rc: $(head -c 300 "$TMP/err")"

# usage errors: decided alike on every rank from the options, so one process says it
usage_fail() {
    local desc=$1 pattern=$2 rc=0
    shift 2
    "$BIN" "$@" --target mpg --model-out "$TMP/bad.json" "$TMP/mtcars_K4.csv" >/dev/null \
        2>"$TMP/err" </dev/null || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -e "$TMP/bad.json" ] &&
        ok "$desc" || not_ok "$desc" "exit $rc: $(head -c 300 "$TMP/err")"
}
usage_fail "--lambda-path not decreasing" "not strictly decreasing (2 after 1)" \
    --cv 4 --lambda-path 3,1,2
usage_fail "--cv with --loss huber says why" "--loss huber with --cv: the path is that of squared" \
    --cv 4 --loss huber
usage_fail "--cv with a gradient option (--epochs)" "--epochs does not apply to --cv" --cv 4 --epochs 9
usage_fail "--folds column: the target" "--folds column: 'mpg' is the target column" \
    --cv 4 --folds column:mpg
# (the other usage errors: tests/unit/test_cli.c)

# --- a given --lambda-path is used whole
fit lp 2 1 --cv 4 $FC --target mpg --lambda-path 3,1,0.5,0.2 "$TMP/mtcars_K4.csv"
[ "$(json_numbers "$TMP/lp.json" lambda_min | sort -u)" = 0.5 ] &&
    tr -d ' \n' <"$TMP/lp.json" | grep -q '"lambda":\[3.0,1.0,0.5,0.20000000000000001\]' &&
    ok "--lambda-path: the given penalties, and lambda.min among them" ||
    not_ok "--lambda-path" "$(grep -A5 '"lambda": \[' "$TMP/lp.json" | head -6 | tr -d '\n')"

# --- the queued comparisons, in one Python
"$PY" "$CHK" --batch "$TMP/checks" >"$TMP/checked"
while IFS= read -r line; do
    case "$line" in
    "ok "*) ok "${line#ok }" ;;
    *) not_ok "${line#FAIL }" ;;
    esac
done <"$TMP/checked"
[ "$(wc -l <"$TMP/checked")" -ge "$(wc -l <"$TMP/checks")" ] ||  # a check prints 1 or more
    not_ok "every queued check ran" "$(tail -3 "$TMP/checked")"

# --- names holding a newline, a carriage return, a tab, a comma or a quote (legal inside
# quotes): the cross-validation's results and log show them as describe does ('x\x0aq'),
# one line per line, and so does an error naming the fold column (tests/tools/check_names.py)
NM="$ROOT/tests/tools/check_names.py"
"$PY" "$NM" data "$TMP/names.csv"
lr 2 1 --cv 3 --categorical auto --model-out "$TMP/names.json" "$TMP/names.csv" \
    >"$TMP/out" 2>"$TMP/err"
"$PY" "$NM" train "$TMP/out" "$TMP/err" "$TMP/names.json" >"$TMP/check"
grep -q "^ok " "$TMP/check" && grep -q "^3-fold cross-validation of least squares" "$TMP/out" &&
    ok "--cv: $(cut -c4- "$TMP/check")" ||
    not_ok "--cv: names with control bytes" "$(cat "$TMP/check")"
rc=0
"$BIN" --quiet --cv 3 --categorical auto --folds "column:$(printf 'x\nq')" "$TMP/names.csv" \
    >/dev/null 2>"$TMP/err" </dev/null || rc=$?
[ "$rc" = 65 ] && [ "$(cat "$TMP/err")" = "$TMP/names.csv: --folds column:x\x0aq: the column has 12 distinct values but --cv asks for 3 folds; use --cv 12" ] &&
    ok "--folds column: an error naming a column that holds a newline: one line, escaped" ||
    not_ok "--folds column: a name holding a newline" "exit $rc: $(cat -A "$TMP/err" | head -3)"
