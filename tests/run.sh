#!/usr/bin/env bash
# run.sh — the whole test suite: CUnit unit tests, then the integration tests that run the
# real binary under mpirun. Called by `make test` after the build, and by `make asan` with
# other binaries (LINREG_BIN, LINREG_HOOKS_BIN, LINREG_UNIT) and a selection of integration
# files (LINREG_TESTS="reader predict ...").
#
# The integration files mostly wait on mpirun's start-up, so up to LINREG_JOBS (default 3)
# of them run at once, each in its own temporary directory (those that time the program run
# alone afterwards). Each says on one line how it went as soon as it ends ("== NAME: P
# passed, F failed (S s)"); their full reports follow in file order, and the last line
# sums them: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
TOP=$(mktemp -d /tmp/linreg_test.XXXXXX)
trap 'rm -rf "$TOP"' EXIT
JOBS=${LINREG_JOBS:-3}

UNIT=${LINREG_UNIT:-build/unit_tests}
echo "== unit tests (CUnit)"
if "$UNIT" >"$TOP/unit.log" 2>&1; then
    ok "unit tests: $(grep -E '^ +tests' "$TOP/unit.log" | awk '{print $4 " of " $2 " passed"}')"
else
    cat "$TOP/unit.log"
    not_ok "unit tests"
fi

# run_file NAME: one integration file in a subshell of its own; leaves NAME.log and
# NAME.counts ("PASS FAIL") in $TOP, and says on one line how it went as soon as it ends.
# (The sourced file shares the subshell's variables: the runner's own are named __run_* so
# that no test file can overwrite them.)
run_file() {
    __run_name=$1
    __run_t0=$SECONDS
    (
        PASS=0 FAIL=0
        TMP=$TOP/$__run_name
        mkdir -p "$TMP"
        export TMP
        echo "== $__run_name"
        source "$DIR/$__run_name.sh"
        echo "$PASS $FAIL" >"$TOP/$__run_name.counts"
        echo "   ($__run_name: $((SECONDS - __run_t0)) s wall)"
    ) >"$TOP/$__run_name.log" 2>&1
    if [ -f "$TOP/$__run_name.counts" ]; then
        read -r __run_p __run_f <"$TOP/$__run_name.counts"
        echo "== $__run_name: $__run_p passed, $__run_f failed ($((SECONDS - __run_t0)) s)"
    else
        echo "== $__run_name: stopped before its end ($((SECONDS - __run_t0)) s)"
    fi
}

# Files that time the program (kills at moments, signals) run alone, after the others; so
# does install, whose local Slurm once failed to come up beside slurm.sh's (slurmd could not
# register with its controller while both clusters started on a loaded machine).
# (adversarial.sh runs with the others: its limit of 60 s catches a hang, not a slow start.)
SERIAL=" checkpoint install "
# The longest files start first, so that the last one to start is not a long one (reader
# alone takes about 4.5 minutes); the reports still come in file order.
LONG=" adversarial train predict encode inputs reader "  # the last is started first
names=()
serial=()
parallel=()
DIR=${LINREG_TEST_DIR:-tests/integration}  # make test-big: tests/big
for t in "$DIR"/*.sh; do
    __run_each=$(basename "$t" .sh)
    if [ -n "${LINREG_TESTS:-}" ] && [[ " $LINREG_TESTS " != *" $__run_each "* ]]; then
        continue
    fi
    names+=("$__run_each")
    if [[ "$SERIAL" == *" $__run_each "* ]]; then
        serial+=("$__run_each")
    elif [[ "$LONG" != *" $__run_each "* ]]; then
        parallel+=("$__run_each")
    fi
done
for __run_each in $LONG; do  # each put first: reader, named last, starts first
    [[ " ${names[*]} " == *" $__run_each "* ]] && parallel=("$__run_each" "${parallel[@]}")
done
for __run_each in "${parallel[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n
    done
    run_file "$__run_each" &
done
wait
for __run_each in "${serial[@]}"; do
    run_file "$__run_each"
done
echo
echo "== the reports, in file order"
for __run_each in "${names[@]}"; do
    # a file that passed: its verdicts, not what the commands printed (results go to
    # stdout, and most runs leave them there); a file with a failure: all of it
    if [ -f "$TOP/$__run_each.counts" ] && read -r p f <"$TOP/$__run_each.counts" && [ "$f" = 0 ]; then
        grep -E '^(== |  ok |   \(|  \*|  SKIPPED)' "$TOP/$__run_each.log"
    else
        cat "$TOP/$__run_each.log"
    fi
    if [ -f "$TOP/$__run_each.counts" ]; then
        read -r p f <"$TOP/$__run_each.counts"
        PASS=$((PASS + p))
        FAIL=$((FAIL + f))
    else
        not_ok "$__run_each: the test file stopped before its end"
    fi
done

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
