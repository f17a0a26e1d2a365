# lib.sh — shared by the integration tests: run the real binary under mpirun, count results.
# Sourced by tests/run.sh; each tests/integration/*.sh adds to PASS and FAIL.

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # tests run as root here
export OMPI_MCA_rmaps_base_oversubscribe=1                       # more ranks than cores
# When a rank exits with an error, mpirun signals the job's processes and then sleeps this
# long before SIGKILL, even when every rank has already exited: 1 s by default, which made
# each failing run (most of the checks) take 1-2 s more than the program did (2.3 s instead
# of 0.35 with one rank). The ranks leave together after comm_agree, so nothing is left to
# kill; and a rank that did hang is still caught, by the timeout or by the took-time checks.
export OMPI_MCA_odls_base_sigkill_timeout=0
export LC_ALL=C                                                  # bytes, not characters
# The suite runs several files at once, each with more ranks × threads than this machine
# has cores: threads that spin while they wait for one that is not running made a
# 2-second run take over 30 now and then. Results do not depend on how threads wait;
# threads.sh checks them under OpenMP's own default.
export OMP_WAIT_POLICY=passive
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${LINREG_BIN:-$ROOT/bin/linreg_mpi}                          # make asan swaps in its build
HOOKS_BIN=${LINREG_HOOKS_BIN:-$ROOT/build/hooks/linreg_mpi}       # with fault injection
GEN=$ROOT/bin/gen_data
DEADLINE=${LINREG_DEADLINE:-10}  # seconds a failing run may take (slower sanitizer builds: more)
PASS=${PASS:-0}
FAIL=${FAIL:-0}

ok() { PASS=$((PASS + 1)); echo "  ok    $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "  FAIL  $1"; [ -n "${2:-}" ] && echo "        $2"; return 0; }

# lr NP THREADS ARGS...: the binary under mpirun, unbound so OMP_NUM_THREADS is honoured,
# killed after 30 s so a hang fails the test instead of the suite.
lr() {
    local np=$1 threads=$2
    shift 2
    timeout 30 mpirun --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS="$threads" \
        "$BIN" "$@" </dev/null
}

# add_counts FILE WHAT: add the "PASS FAIL" a subshell left in FILE to the counts, or fail
# WHAT when the subshell stopped before writing it
add_counts() {
    if [ -s "$1" ]; then
        local p f
        read -r p f <"$1"
        PASS=$((PASS + p))
        FAIL=$((FAIL + f))
    else
        not_ok "$2"
    fi
}

# slurm_unavailable UP_LOG WHAT [VARIABLE]: scripts/slurm-local.sh (or netns-cluster.sh) up
# said (exit 77) that no Slurm can run here: a failure where one is required (VARIABLE,
# default LINREG_REQUIRE_SLURM, or CI set), else WHAT is reported as skipped, with the
# reason from UP_LOG
slurm_unavailable() {
    local why var=${3:-LINREG_REQUIRE_SLURM}
    why=$(grep -o 'cannot run a local Slurm here: .*' "$1")
    if [ -n "${!var:-}${CI:-}" ]; then
        not_ok "$2 required here ($var or CI set)" "$why"
    else
        echo "  ****************************************************************"
        echo "  SKIPPED  $2: $why"
        echo "           (scripts/install-deps.sh --tests installs the packages; run as root)"
        echo "  ****************************************************************"
    fi
}

# close A B TOL: |A − B| ≤ TOL·max(1, |A|, |B|)
close() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
        d = a - b; if (d < 0) d = -d; m = 1;
        if (a > m) m = a; if (-a > m) m = -a; if (b > m) m = b; if (-b > m) m = -b;
        exit !(d <= t * m) }'
}

# json_numbers FILE KEY: the values of "KEY": number, one per line, in document order
json_numbers() { grep -o "\"$2\": [-0-9.eE+]*" "$1" | awk '{print $2}'; }

# expect_fail DESC CODE PATTERN NP ARGS...: exits CODE within the timeout and stderr has PATTERN
expect_fail() {
    local desc=$1 code=$2 pattern=$3 np=$4
    shift 4
    local start=$SECONDS rc=0
    lr "$np" 1 "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    local took=$((SECONDS - start))
    if [ "$rc" -ne "$code" ]; then
        not_ok "$desc (np=$np)" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"
    elif ! grep -q -- "$pattern" "$TMP/err"; then
        not_ok "$desc (np=$np)" "stderr lacks '$pattern': $(head -c 300 "$TMP/err")"
    elif [ "$took" -gt "$DEADLINE" ]; then
        not_ok "$desc (np=$np)" "took ${took}s"
    else
        ok "$desc (np=$np)"
    fi
}

# model_values MODEL.json: the intercept then each coefficient (original units), one a line
model_values() {
    awk '/^  "intercept":/ { gsub(/[ ,]/, "", $2); print $2 }
         /^  "coefficients": \[/ { inarr = 1; next }
         inarr && /\]/ { inarr = 0 }
         inarr { gsub(/[ ,]/, ""); print }' "$1"
}

# same_model A B: the two model files hold the same bits but for the run's seconds and memory
# mode (stream against resident)
same_model() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for m in (a, b):
    m["training"].pop("seconds", None)
    m["training"].pop("memory", None)
    m["training"].get("precondition", {}).pop("seconds", None)
sys.exit(0 if a == b else 1)
PY
}

# stream_case NAME SHAPES ARGS...: resident, then stream (4096-row blocks), at each shape ("ranks
# threads"): model and stdout
stream_case() {
    local name=$1 shapes=$2 bad="" np th
    shift 2
    for shape in $shapes; do
        np=${shape%x*} th=${shape#*x}
        lr "$np" "$th" --memory resident --model-out "$TMP/r.json" "$@" >"$TMP/r.out" 2>"$TMP/r.err" ||
            { bad="$bad resident np=$np th=$th: exit $?"; continue; }
        lr "$np" "$th" --memory stream --block-rows 4096 --model-out "$TMP/s.json" "$@" \
            >"$TMP/s.out" 2>"$TMP/s.err" || { bad="$bad stream np=$np th=$th: exit $? $(tail -c 300 "$TMP/s.err")"; continue; }
        grep -q '"memory": "stream"' "$TMP/s.json" || bad="$bad np=$np: model not marked stream"
        grep -q "memory: stream (--memory), blocks of 4096 rows" "$TMP/s.err" ||
            bad="$bad np=$np: no summary line"
        same_model "$TMP/r.json" "$TMP/s.json" || bad="$bad np=$np th=$th: models differ"
        diff <(sed 's/model written to .*//' "$TMP/r.out") \
             <(sed 's/model written to .*//' "$TMP/s.out") >/dev/null ||
            bad="$bad np=$np th=$th: stdout differs"
    done
    [ -z "$bad" ] && ok "stream = resident bit for bit: $name (ranks x threads: $shapes)" ||
        not_ok "stream = resident bit for bit: $name" "$bad"
}

# peak_flat WHAT SMALL BIG [RESIDENT]: a streamed run's peak memory (MB, from the summary
# line) does not grow with the rows: BIG, at the larger row count, is at most 1.15 times
# SMALL, at the smaller; given RESIDENT (a resident run's peak at the larger count), that one
# is more than 15 MB above BIG, so the measure does see rows that are held. WHAT names the
# runs and their row counts. Under the sanitizers, whose own memory grows with the work
# done, the figures are only printed.
peak_flat() {
    local what=$1 small=$2 big=$3 resident=${4-} figures
    figures="$small MB, then $big MB${4+; resident $resident MB}"
    if [[ "$BIN" == *asan* ]]; then
        echo "  ($what: peak memory not measured under the sanitizers: $figures)"
    elif awk -v s="$small" -v b="$big" -v r="$resident" -v has_r=$(($# > 3)) 'BEGIN {
            exit !(b + 0 > 0 && b + 0 <= 1.15 * s && (!has_r || r + 0 > b + 15)) }'; then
        ok "$what: peak memory flat in the rows: $figures"
    else
        not_ok "$what: peak memory $figures"
    fi
}

# lstsq_values CSV: the same from the exact least-squares solver of tests/tools/lstsq.c
lstsq_values() { "$ROOT/build/lstsq" "$1" | awk '$1 == "intercept" { print $2 } $1 == "coef" { print $3 }'; }

# values_close FILE_A FILE_B TOL: same count and every pair close (relative); prints misfits
values_close() {
    [ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] && [ -s "$1" ] || { echo "lengths differ"; return 1; }
    local bad
    bad=$(paste "$1" "$2" | while read -r a b; do
        awk -v a="$a" -v b="$b" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
            if (m < 1e-300) m = 1e-300; exit !(d <= t * m) }' || echo "$a vs $b"; done)
    [ -z "$bad" ] || { echo "$bad" | head -3; return 1; }
}

# one_fail CODE DESC PATTERN ARGS...: one process without mpirun (0.5 s where mpirun takes
# 2-3 s to wind down after an error) exits CODE with PATTERN on stderr
one_fail() {
    local code=$1 desc=$2 pattern=$3 rc=0
    shift 3
    timeout 30 "$BIN" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" = "$code" ] && grep -q -- "$pattern" "$TMP/err" && ok "$desc (one process)" ||
        not_ok "$desc" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"
}
usage_fail() { one_fail 2 "$@"; }
