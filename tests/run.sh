#!/usr/bin/env bash
# run.sh — the whole test suite: CUnit unit tests, then the integration tests that run the
# real binary under mpirun. Called by `make test` after the build.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
TMP=$(mktemp -d /tmp/linreg_test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export TMP

echo "== unit tests (CUnit)"
if build/unit_tests >"$TMP/unit.log" 2>&1; then
    ok "unit tests: $(grep -E '^ +tests' "$TMP/unit.log" | awk '{print $4 " of " $2 " passed"}')"
else
    cat "$TMP/unit.log"
    not_ok "unit tests"
fi

for t in tests/integration/*.sh; do
    echo "== $(basename "$t" .sh)"
    source "$t"
done

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
