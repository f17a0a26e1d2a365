# robust.sh — --cov: heteroskedasticity-robust (HC0-HC3) and clustered (one- and two-way)
# covariances against statsmodels (OLS/WLS fit(cov_type=, use_t=True), fitted here) and R's
# sandwich::vcovHC / vcovCL (datasets/r_sandwich_reference.tsv, from
# datasets/r_sandwich_reference.R): standard errors, t, intervals and the covariance to
# 1e-8 relative, p to 1e-6, for 1-3 ranks x 1-2 threads; bad input.

PY=/usr/bin/python3  # Debian's, where python3-statsmodels is installed (scripts/install-deps.sh)
CHECK="$ROOT/tests/tools/check_robust.py"
REF="$ROOT/datasets/r_sandwich_reference.tsv"

# 600 rows; firm (text, 31 clusters) cycles with the row number, so every rank's third of
# the file holds rows of every firm and each cluster's sum crosses ranks; year (numbers, 9
# clusters); errors heteroskedastic and correlated within firms
"$PY" - "$TMP/cl.csv" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(31)
n = 600
firm = np.arange(n) % 31
year = 2000 + rng.integers(0, 9, n)
x1 = rng.normal(size=n) + 0.1 * firm
x2 = rng.normal(size=n)
x3 = rng.uniform(0, 3, n)
w = rng.uniform(0.5, 2.0, n)
y = 1 + 2 * x1 - x2 + 0.5 * x3 + rng.normal(size=n) * (1 + np.abs(x1)) + rng.normal(size=31)[firm]
with open(sys.argv[1], "w") as f:
    f.write("firm,year,x1,x2,x3,w,y\n")
    for i in range(n):
        f.write("firm %d,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n" % (firm[i], year[i], x1[i], x2[i], x3[i], w[i], y[i]))
PY
F=x1,x2,x3

# check NAME MODEL CSV COV ARGS...: queue a comparison of the model's table with
# statsmodels' (CSV, COV given) or, with CSV = COV = - and --r REF CASE, with R's; the queue
# runs at the end in one Python process (each start costs a second of imports)
: >"$TMP/checks"
check() {
    local name=$1
    shift
    printf '%s\t%s\n' "$name" "$(printf '%q ' "$@")" >>"$TMP/checks"
}

# --- statsmodels, every covariance, with and without weights, 1-3 ranks x 1-2 threads
for cfg in "1 1 hc0 - cluster:firm -" "1 2 hc1 w cluster:firm w" "2 1 hc2 - cluster:firm,year w" \
           "2 2 hc3 w cluster:firm,year w" "3 1 hc3 - cluster:firm -" "3 2 hc2 w cluster:firm -"; do
    read -r np th hc hw cl cw <<<"$cfg"
    wa=()
    [ "$hw" = w ] && wa=(--weights w)
    lr "$np" "$th" --quiet --solver exact --features $F "${wa[@]}" --cov "$hc" \
        --model-out "$TMP/hc_${np}_$th.json" "$TMP/cl.csv"
    check "--cov $hc${wa[*]:+ ${wa[*]}} = statsmodels' $(echo "$hc" | tr a-z A-Z) ($np ranks x $th threads)" \
        "$TMP/hc_${np}_$th.json" "$TMP/cl.csv" "$hc" --features $F "${wa[@]}"
    wa=()
    [ "$cw" = w ] && wa=(--weights w)
    lr "$np" "$th" --quiet --solver exact --features $F "${wa[@]}" --cov "$cl" \
        --model-out "$TMP/cl_${np}_$th.json" "$TMP/cl.csv"
    check "--cov $cl${wa[*]:+ ${wa[*]}} = statsmodels' cluster ($np ranks x $th threads)" \
        "$TMP/cl_${np}_$th.json" "$TMP/cl.csv" "$cl" --features $F "${wa[@]}"
done
for np in 2 3; do  # the same run under 1 and 2 threads: the same bytes
    cmp -s <(grep -v '"seconds"\|"threads"' "$TMP/cl_${np}_1.json") \
        <(grep -v '"seconds"\|"threads"' "$TMP/cl_${np}_2.json") &&
        ok "--cov cluster: the same covariance, bit for bit, under 1 and 2 threads ($np ranks)" ||
        not_ok "--cov cluster thread invariance ($np ranks)"
done
# the classical covariance is recorded too, and after gd --inference the robust one
lr 2 1 --quiet --solver exact --features $F --model-out "$TMP/classical.json" "$TMP/cl.csv"
check "--cov classical (the default): the model's covariance = statsmodels' nonrobust" \
    "$TMP/classical.json" "$TMP/cl.csv" classical --features $F
lr 2 2 --quiet --solver nesterov --tol 1e-12 --inference --features $F --cov hc3 \
    --model-out "$TMP/gd.json" "$TMP/cl.csv"
check "--solver nesterov --inference --cov hc3 = statsmodels' HC3 (to 1e-6: the gradient solver's digits)" \
    "$TMP/gd.json" "$TMP/cl.csv" hc3 --features $F --tol 1e-6
# a number is a cluster id by its value: 2003 and 2003.0 are one cluster
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 2 { $2 = $2 ".0" } 1' "$TMP/cl.csv" >"$TMP/cl_float.csv"
lr 2 1 --quiet --solver exact --features $F --weights w --cov cluster:firm,year \
    --model-out "$TMP/float.json" "$TMP/cl_float.csv"
cmp -s <(grep -v '"seconds"' "$TMP/cl_2_1.json") <(grep -v '"seconds"' "$TMP/float.json") &&
    ok "numeric cluster ids by value: 2003 and 2003.0 are one cluster" ||
    not_ok "numeric cluster ids" "$(diff <(grep -v '"seconds"' "$TMP/cl_2_1.json") <(grep -v '"seconds"' "$TMP/float.json") | head -5)"
# several inputs, plain and compressed, their rows shared out among the ranks
mkdir -p "$TMP/parts"
{ head -1 "$TMP/cl.csv"; sed -n 2,200p "$TMP/cl.csv"; } >"$TMP/parts/a.csv"
{ head -1 "$TMP/cl.csv"; sed -n 201,450p "$TMP/cl.csv"; } | gzip >"$TMP/parts/b.csv.gz"
{ head -1 "$TMP/cl.csv"; sed -n '451,$p' "$TMP/cl.csv"; } | zstd -q >"$TMP/parts/c.csv.zst"
lr 3 1 --quiet --solver exact --features $F --weights w --cov cluster:firm,year \
    --model-out "$TMP/parts.json" "$TMP/parts"
check "--cov cluster over three parts (plain, gzip, zstd) under 3 ranks = statsmodels' on the one CSV" \
    "$TMP/parts.json" "$TMP/cl.csv" cluster:firm,year --features $F --weights w
lr 2 1 --quiet --solver exact --features $F --no-intercept --cov hc3 --model-out "$TMP/ni.json" "$TMP/cl.csv"
check "--no-intercept --cov hc3 = statsmodels' HC3 without a constant (the Wald F of every term)" \
    "$TMP/ni.json" "$TMP/cl.csv" hc3 --features $F --no-intercept
# rows of weight 0 count in no cluster: firm 30's rows all weigh 0 = statsmodels without them
awk -F, 'BEGIN { OFS = "," } NR > 1 && $1 == "firm 30" { $6 = 0 } 1' "$TMP/cl.csv" >"$TMP/w0.csv"
grep -v '^firm 30,' "$TMP/cl.csv" >"$TMP/w0_ref.csv"
lr 2 1 --quiet --solver exact --features $F --weights w --cov cluster:firm --model-out "$TMP/w0.json" "$TMP/w0.csv"
check "rows of weight 0 count in no cluster (30 clusters = statsmodels' WLS without those rows)" \
    "$TMP/w0.json" "$TMP/w0_ref.csv" cluster:firm --features $F --weights w
# ... nor in HC1's n/(n - k) and the n - k degrees of freedom (statsmodels would count them)
lr 2 1 --quiet --solver exact --features $F --weights w --cov hc1 --model-out "$TMP/w0_hc1.json" "$TMP/w0.csv"
check "rows of weight 0 count in no n: HC1's n/(n-k) and n-k DF = statsmodels' WLS without those rows" \
    "$TMP/w0_hc1.json" "$TMP/w0_ref.csv" hc1 --features $F --weights w
# a cluster column that is a feature too when --features names it
lr 3 1 --quiet --solver exact --features x1,x2,year --cov cluster:year --model-out "$TMP/yf.json" "$TMP/cl.csv"
check "--cov cluster:year with year among --features: a feature and the clusters" \
    "$TMP/yf.json" "$TMP/cl.csv" cluster:year --features x1,x2,year
grep -q '"covariance_type": "cluster"' "$TMP/cl_1_1.json" && grep -q '"clusters": \[' "$TMP/cl_1_1.json" &&
    grep -q '"covariance_type": "HC0"' "$TMP/hc_1_1.json" && grep -q '"clusters": null' "$TMP/hc_1_1.json" &&
    ok "the model records covariance_type and clusters" || not_ok "covariance_type in the model"
# the printed table names the covariance and its tests
lr 1 1 --solver exact --features $F --cov hc3 --model-out "$TMP/p.json" "$TMP/cl.csv" >"$TMP/out" 2>&1
lr 1 1 --solver exact --features $F --cov cluster:firm,year --model-out "$TMP/p.json" "$TMP/cl.csv" >>"$TMP/out" 2>&1
lr 1 1 --solver exact --features $F --cov cluster:firm --model-out "$TMP/p.json" "$TMP/cl.csv" >>"$TMP/out" 2>&1
grep -q "^Covariance: heteroskedasticity-robust (HC3)" "$TMP/out" &&
    grep -q "^Wald F-statistic (robust): .* on 3 and 596 DF" "$TMP/out" &&
    grep -q "^Covariance: cluster-robust, two-way (31 and 9 clusters)" "$TMP/out" &&
    grep -q "^Wald F-statistic (robust): .* on 3 and 8 DF" "$TMP/out" &&
    grep -q "^Covariance: cluster-robust (31 clusters)" "$TMP/out" &&
    ok "the table's header names the covariance; the Wald F has statsmodels' degrees of freedom" ||
    not_ok "printed robust table" "$(grep -i 'covariance\|F-stat' "$TMP/out")"

# --- R's sandwich on shipped data (the reference script and its output are in datasets/)
for c in "swiss.csv hc0 swiss:HC0" "swiss.csv hc1 swiss:HC1" "swiss.csv hc2 swiss:HC2" \
         "swiss.csv hc3 swiss:HC3" "mtcars.csv hc3 mtcars:HC3" \
         "mtcars.csv cluster:cyl mtcars:cluster:cyl" "mtcars.csv cluster:cyl,gear mtcars:cluster:cyl,gear" \
         "mtcars.csv hc2 mtcars-weights-drat:HC2 --weights drat" \
         "mtcars.csv cluster:cyl,gear mtcars-weights-drat:cluster:cyl,gear --weights drat"; do
    read -r f cov case extra <<<"$c"
    fa=()
    [ "$f" = mtcars.csv ] && fa=(--features wt,hp,qsec)
    lr 2 1 --quiet --solver exact "${fa[@]}" $extra --cov "$cov" --model-out "$TMP/r_$case.json" \
        "$ROOT/datasets/$f"
    check "$f --cov $cov${extra:+ $extra} = R's sandwich ($case)" "$TMP/r_$case.json" - - --r "$REF" "$case"
done
# an aliased column: NA in R's coefficients, left out of sandwich's covariance
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "agriculture,examination,education,catholic,infant_mortality,education2,fertility"; next }
    { print $1, $2, $3, $4, $5, 2 * $3, $6 }' "$ROOT/datasets/swiss.csv" >"$TMP/swa.csv"
lr 2 2 --quiet --solver exact --cov hc3 --model-out "$TMP/r_aliased.json" "$TMP/swa.csv" 2>/dev/null
check "an aliased column: null in the covariance, the rest = R's vcovHC(type = 'HC3')" \
    "$TMP/r_aliased.json" - - --r "$REF" swiss-aliased:HC3
# fewer clusters than coefficients: statsmodels warns; so does linreg_mpi, then goes on
# (with an overall F of 3 coefficients on rank 2 at most: NA)
lr 3 1 --solver exact --features wt,hp,qsec --cov cluster:cyl --model-out "$TMP/few.json" \
    "$ROOT/datasets/mtcars.csv" >"$TMP/out" 2>&1
grep -q "warning: --cov: 3 clusters for 4 coefficients" "$TMP/out" && grep -q '"clusters": \[' "$TMP/few.json" &&
    ok "fewer clusters than coefficients: a warning on stderr, and the table (as statsmodels)" ||
    not_ok "few clusters warning" "$(head -c 300 "$TMP/out")"

# --- tests the covariance cannot give (datasets/r_robust_na_reference.R): NA in the table,
# null in the model, the same under 1-3 ranks, and a warning that --quiet keeps. Fewer
# clusters than tested coefficients (its rank is G - 1 at most), levels that are clusters
# (their scores sum to 0 in each), HC2/HC3 with rows of leverage 1 (R's vcovHC: NaN), and
# HC1 there, whose covariance lacks the two one-row levels' directions
NA_REF="$ROOT/datasets/r_robust_na_reference.tsv"
MT="$ROOT/datasets/mtcars.csv"
: >"$TMP/na_checks"
na_n=0
na_run() {  # na_run NP CASE FORMULA COV WARNING ARGS...: train, queue the comparison
    local np=$1 case=$2 formula=$3 cov=$4 warning=$5 out="$TMP/na_$((++na_n))"
    shift 5
    lr "$np" 1 --quiet --solver exact --formula "$formula" --cov "$cov" "$@" \
        --model-out "$out.json" "$MT" >"$out.out" 2>"$out.err"
    printf '%s\t%s\n' "--cov $cov NA where R's covariance is singular: $case ($np ranks)" \
        "$(printf '%q ' "$out.json" "$out.out" "$NA_REF" "$case")" >>"$TMP/na_checks"
    grep -q "^linreg_mpi: warning: $warning" "$out.err" &&
        ok "--quiet keeps the warning: $case ($np ranks)" ||
        not_ok "--quiet keeps the warning: $case ($np ranks)" "$(head -c 300 "$out.err")"
}
for np in 1 2 3; do
    na_run "$np" cyl+wt:cluster:am 'mpg ~ factor(cyl) + wt' cluster:am \
        "--cov: 2 clusters for 4 coefficients: the cluster-robust covariance has rank 1 at most"
    na_run "$np" gear*wt:weights-carb:cluster:cyl 'mpg ~ factor(gear)*wt + poly(hp,2) + log(disp)' \
        cluster:cyl "--cov: 3 clusters for 9 coefficients" --weights carb
    na_run "$np" carb+wt:HC3 'mpg ~ factor(carb) + wt' hc3 "--cov HC3: 2 rows have leverage 1"
done
na_run 2 carb+wt:HC2 'mpg ~ factor(carb) + wt' hc2 "--cov HC2: 2 rows have leverage 1"
na_run 3 carb+wt:HC1 'mpg ~ factor(carb) + wt' hc1 \
    "--cov HC1: the covariance is singular on the coefficients of 1 Wald F test,"
na_run 2 cyl+wt:cluster:cyl 'mpg ~ factor(cyl) + wt' cluster:cyl \
    "--cov cluster: the covariance is singular on the coefficients of 2 Wald F tests,"
"$PY" "$ROOT/tests/tools/check_robust_na.py" --batch "$TMP/na_checks" >"$TMP/na_checked"
while IFS=$'\t' read -r res name why; do
    [ "$res" = ok ] && ok "$name" || not_ok "$name" "$why"
done <"$TMP/na_checked"
[ "$(wc -l <"$TMP/na_checked")" -eq 12 ] || not_ok "every NA check ran" "$(tail -3 "$TMP/na_checked")"
rc=0  # the HC3 model of 1 rank (the third run): no interval, and what would give one
"$BIN" predict --model "$TMP/na_3.json" --interval confidence "$MT" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 65 ] && grep -q "covariance has entries that are not finite (null), as HC2 and HC3 give it where a row has leverage 1: train with --cov hc1" "$TMP/err" &&
    ok "predict --interval with an HC3 covariance of NaN: exit 65 naming --cov hc1" ||
    not_ok "predict --interval with an NaN HC3 covariance" "exit $rc: $(head -c 300 "$TMP/err")"

# --- 200,000 clusters of two rows each, the two rows far apart (on different ranks)
"$PY" - "$TMP/many.csv" <<'PY'
import numpy as np, sys
rng = np.random.default_rng(7)
n, G = 400000, 200000
g = np.arange(n) % G
x = rng.normal(size=(n, 2))
y = x @ [1.5, -2.0] + rng.normal(size=G)[g] + rng.normal(size=n)
ids = np.char.add("c", g.astype(str)).astype(object)
np.savetxt(sys.argv[1], np.column_stack([ids, x, y]), fmt=["%s", "%.6f", "%.6f", "%.6f"],
           delimiter=",", header="id,x1,x2,y", comments="")
PY
lr 2 2 --quiet --solver exact --features x1,x2 --cov cluster:id --model-out "$TMP/many.json" "$TMP/many.csv"
check "200,000 text clusters, each split over two ranks = statsmodels' cluster" \
    "$TMP/many.json" "$TMP/many.csv" cluster:id --features x1,x2
for th in 1 2; do  # 200,000 rows a rank: the leverage pass in many parts
    lr 2 "$th" --quiet --solver exact --features x1,x2 --cov hc3 --model-out "$TMP/many_hc3_$th.json" "$TMP/many.csv"
done
cmp -s <(grep -v '"seconds"\|"threads"' "$TMP/many_hc3_1.json") <(grep -v '"seconds"\|"threads"' "$TMP/many_hc3_2.json") &&
    ok "--cov hc3: the same covariance, bit for bit, under 1 and 2 threads (400,000 rows, 2 ranks)" ||
    not_ok "--cov hc3 thread invariance"
check "--cov hc3 on 400,000 rows = statsmodels' HC3" "$TMP/many_hc3_2.json" "$TMP/many.csv" hc3 --features x1,x2

# --- bad input
expect_fail "--cov cluster: a missing column: FILE-level error naming it and the columns" 65 \
    "cl.csv:1:1: --cov cluster: no column named 'nope' (columns: firm, year, x1" 2 \
    --solver exact --cov cluster:nope "$TMP/cl.csv"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $1 = "same" } 1' "$TMP/cl.csv" >"$TMP/one.csv"
expect_fail "--cov cluster: every row in one cluster is an error" 65 "every row is in one cluster" 3 \
    --solver exact --features $F --cov cluster:firm "$TMP/one.csv"
awk -F, 'BEGIN { OFS = "," } NR == 301 { $1 = "" } NR == 402 { $1 = "NA" } 1' "$TMP/cl.csv" >"$TMP/miss.csv"
expect_fail "--cov cluster: a missing cluster id is FILE:LINE:COLUMN (exit 65)" 65 \
    "miss.csv:301:1: column 'firm': '' is a missing cluster id" 2 \
    --solver exact --features $F --cov cluster:firm "$TMP/miss.csv"
lr 3 1 --quiet --solver exact --features $F --missing skip --cov cluster:firm \
    --model-out "$TMP/skip.json" "$TMP/miss.csv" 2>/dev/null
sed '301d;402d' "$TMP/cl.csv" >"$TMP/cl_skip.csv"
check "--missing skip drops the rows whose cluster id is missing (= statsmodels without them)" \
    "$TMP/skip.json" "$TMP/cl_skip.csv" cluster:firm --features $F
# usage errors: decided alike on every rank from the options, so one process without mpirun
# (whose clean-up after a failing rank takes seconds) says it
usage_fail() {
    local desc=$1 pattern=$2 rc=0
    shift 2
    "$BIN" "$@" >/dev/null 2>"$TMP/err" </dev/null || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$TMP/err" && ok "$desc" ||
        not_ok "$desc" "exit $rc: $(head -c 300 "$TMP/err")"
}
usage_fail "--cov with gd but no --inference: usage error naming --inference" \
    "add --inference (gd, nesterov) or use --solver exact" --solver gd --cov hc1 "$TMP/cl.csv"
usage_fail "--cov: an unknown type is a usage error" "'hc4' is not classical, hc0" \
    --solver exact --cov hc4 "$TMP/cl.csv"
usage_fail "--cov with --l2: usage error" "unpenalised least squares; drop --l2" \
    --solver exact --l2 1 --cov hc0 "$TMP/cl.csv"
usage_fail "--cov with --l1 --inference: usage error naming --l1" \
    "unpenalised least squares; drop --l1 or --inference" --l1 1 --inference --cov hc1 "$TMP/cl.csv"
usage_fail "--cov with --loss huber --inference: usage error naming --loss huber" \
    "unpenalised least squares; drop --loss huber or --inference" --loss huber --inference --cov hc1 "$TMP/cl.csv"
usage_fail "--cov with --cache: usage error (the cache keeps no cluster ids)" \
    "the cache does not keep cluster ids" --solver exact --cache "$TMP/c.bin" --cov cluster:firm "$TMP/cl.csv"
usage_fail "--cov cluster:A,B,C: at most two columns" "one or two columns" \
    --solver exact --cov cluster:firm,year,x3 "$TMP/cl.csv"

# --- the queued comparisons
"$PY" "$CHECK" --batch "$TMP/checks" >"$TMP/checked"
while IFS=$'\t' read -r res name why; do
    [ "$res" = ok ] && ok "$name" || not_ok "$name" "$why"
done <"$TMP/checked"
[ "$(wc -l <"$TMP/checked")" -eq "$(wc -l <"$TMP/checks")" ] || not_ok "every queued check ran" "$(tail -3 "$TMP/checked")"
