#!/usr/bin/env bash
# valgrind.sh — `make valgrind`: the unit tests and the main commands under valgrind's
# memcheck (2 ranks each), failing on any invalid access, use of uninitialised memory or
# definite leak in linreg_mpi (tests/valgrind.supp names what Open MPI itself does).
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
export OMPI_MCA_mca_base_component_disable_dlclose=1  # keep plugin names in stacks
TMP=$(mktemp -d /tmp/linreg_vg.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --suppressions="$ROOT/tests/valgrind.supp")

# vg DESC CODE ARGS...: 2 ranks under memcheck; the run must exit CODE, memcheck silent
vg() {
    local desc=$1 code=$2 rc=0
    shift 2
    timeout 300 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=2 "${VG[@]}" "$BIN" "$@" \
        </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
    if [ "$rc" = "$code" ] && ! grep -q "^==[0-9]*== " "$TMP/err"; then
        ok "valgrind: $desc"
    else
        not_ok "valgrind: $desc (exit $rc)" "$(grep -m 12 "^==[0-9]*== " "$TMP/err")"
    fi
}

echo "== unit tests under valgrind"
if "${VG[@]}" build/unit_tests >"$TMP/unit.log" 2>&1; then ok "valgrind: unit tests"; else
    grep -m 20 "^==" "$TMP/unit.log"; not_ok "valgrind: unit tests"; fi
echo "== commands under valgrind"
"$GEN" --rows 20000 --features 5 --kind hard --seed 3 "$TMP/g.csv" 2>/dev/null
vg "train (defaults, log, report)" 0 --quiet --log "$TMP/log.csv" --report "$TMP/r.json" --model-out "$TMP/m.json" "$TMP/g.csv"
vg "train with validation, early stopping, test set" 0 --quiet --validation-split 0.2 --patience 5 --test "$ROOT/datasets/trees.csv" --features Girth,Height --target Volume --model-out "$TMP/t.json" "$ROOT/datasets/trees.csv"
vg "checkpoint and resume" 0 --quiet --tol 0 --epochs 30 --checkpoint "$TMP/ck.bin" --checkpoint-every 7 --model-out "$TMP/c.json" "$TMP/g.csv"
vg "resume" 0 --quiet --tol 0 --epochs 60 --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" --model-out "$TMP/c.json" "$TMP/g.csv"
vg "describe --json" 0 describe --json "$TMP/g.csv"
vg "predict --output" 0 predict --model "$TMP/m.json" --output "$TMP/p.csv" "$TMP/g.csv"
vg "predict to stdout" 0 predict --model "$TMP/m.json" "$TMP/g.csv"
vg "evaluate" 0 evaluate --model "$TMP/m.json" "$TMP/g.csv"
vg "a bad field (exit 65)" 65 --quiet "$ROOT/tests/adversarial/nul_bytes.csv"
vg "skipping bad rows" 0 --quiet --on-bad-row skip --model-out "$TMP/s.json" "$ROOT/tests/adversarial/ragged_short.csv"
F='log(y) ~ g * x1 + poly(x2, 2) + factor(n) + relevel(h, ref = "lo"):x3'
vg "train --formula, --test" 0 --quiet --solver exact --formula "$F" --test "$ROOT/datasets/formula_new.csv" --model-out "$TMP/f.json" "$ROOT/datasets/formula_gen.csv"
vg "predict with a formula model" 0 predict --model "$TMP/f.json" "$ROOT/datasets/formula_new.csv"
vg "--formula: a row log cannot take (exit 65)" 65 --quiet --formula 'y ~ log(x3)' "$ROOT/datasets/formula_gen.csv"
awk -F, -v OFS=, 'NR == 5 { $4 = "0" } { print }' "$ROOT/datasets/formula_gen.csv" >"$TMP/fbad.csv"
vg "--formula: a fixed design made in place, a row skipped" 0 --quiet --solver exact \
    --formula 'log(y) ~ g * x1 + log(x2)' --on-bad-row skip --model-out "$TMP/ff.json" "$TMP/fbad.csv"
vg "--formula --memory stream: poly() by passes, a row skipped" 0 --quiet --solver exact \
    --formula 'log(y) ~ g * x1 + poly(x3, 2) + log(x2)' --on-bad-row skip --memory stream \
    --model-out "$TMP/fs.json" "$TMP/fbad.csv"
vg "predict --memory stream with a formula model" 0 predict --memory stream --on-bad-row skip \
    --model "$TMP/fs.json" "$TMP/fbad.csv"
vg "a damaged checkpoint (exit 65)" 65 --quiet --resume "$ROOT/tests/adversarial/binary_garbage.csv" "$TMP/g.csv"
echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
