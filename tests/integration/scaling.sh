# scaling.sh — the --report JSON (keys, well-formed, phases add up to the total, the
# epoch rate of a resumed run from its own epochs) and scripts/scaling.sh on a tiny file (scaling.csv rows, three PNGs).
# Sourced by tests/run.sh: TMP, ROOT, BIN, GEN and the lib.sh helpers are set; no exit.
# `A && ok || not_ok` is safe here: ok always returns 0.
# shellcheck disable=SC2015

# sc_phases REPORT: "PHASE MIN MEAN MAX", one a line
sc_phases() {
    awk '/^    "[a-z_]+": \{/ { gsub(/[":{ ]/, "", $1); ph = $1 }
         ph && /"(min|mean|max)"/ { gsub(/[",:]/, ""); v[ph, $1] = $2; n[ph]++ }
         END { for (p in n) print p, v[p, "min"], v[p, "mean"], v[p, "max"] }' "$1"
}

# sc_sums REPORT: prints "SUM TOTAL" of the phase means; true when the sum is within 25%
# + 50 ms of the total
sc_sums() {
    sc_phases "$1" | awk '$1 == "total" { t = $3; next } { s += $3 }
        END { printf "%.6f %.6f", s, t; d = s - t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.25 * t + 0.05) }'
}

# sc_train ARGS...: lr 2 1 ARGS writing $TMP/sc_r.json; run once more when the phases do
# not add up (a rank descheduled between two phases on a busy machine)
sc_train() {
    rm -f "$TMP/sc_r.json"
    lr 2 1 --quiet --report "$TMP/sc_r.json" "$@" >/dev/null 2>"$TMP/sc_err" || return 1
    sc_sums "$TMP/sc_r.json" >/dev/null || lr 2 1 --quiet --report "$TMP/sc_r.json" "$@" >/dev/null 2>"$TMP/sc_err"
}

# sc_report_check DESC REPORT ROWS FEATURES BYTES: keys, structure, phase sums
sc_report_check() {
    local desc=$1 f=$2 rows=$3 feats=$4 bytes=$5 k bad=""
    if [ ! -s "$f" ]; then
        not_ok "$desc: report written" "no $f"
        return
    fi
    ok "$desc: report written"

    # well-formed: Python's parser where there is one, else balanced braces
    if command -v /usr/bin/python3 >/dev/null; then
        /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f" 2>"$TMP/sc_json.err" ||
            bad="not JSON: $(tail -1 "$TMP/sc_json.err")"
    elif [ "$(tr -cd '{' <"$f" | wc -c)" != "$(tr -cd '}' <"$f" | wc -c)" ]; then
        bad="unbalanced braces"
    fi
    [ -z "$bad" ] && ok "$desc: well-formed JSON" || not_ok "$desc: well-formed JSON" "$bad"

    bad=""
    for k in ranks threads rows features file_bytes epochs epochs_this_run phases ingest_mb_per_s epoch_gb_per_s \
        read stats learning_rate compute allreduce checkpoint metrics model_write total; do
        grep -q "^ *\"$k\": " "$f" || bad+=" $k"
    done
    [ -z "$bad" ] && ok "$desc: every key present" || not_ok "$desc: every key present" "missing:$bad"

    local got
    got="$(json_numbers "$f" ranks) $(json_numbers "$f" threads) $(json_numbers "$f" rows)"
    got+=" $(json_numbers "$f" features) $(json_numbers "$f" file_bytes)"
    [ "$got" = "2 1 $rows $feats $bytes" ] && ok "$desc: ranks, threads, rows, features, bytes" ||
        not_ok "$desc: ranks, threads, rows, features, bytes" "got '$got', want '2 1 $rows $feats $bytes'"

    sc_phases "$f" >"$TMP/sc_phases"
    bad=$(awk 'NF != 4 || $2 < 0 || $4 < 0 || $2 > $3 * (1 + 1e-9) + 1e-12 || $3 > $4 * (1 + 1e-9) + 1e-12 { print $1 }
               END { if (NR < 9) print "only " NR " phases" }' "$TMP/sc_phases" | tr '\n' ' ')
    [ -z "$bad" ] && ok "$desc: every phase 0 <= min <= mean <= max" ||
        not_ok "$desc: every phase 0 <= min <= mean <= max" "bad: $bad ($(tr '\n' ';' <"$TMP/sc_phases"))"

    local sums
    if sums=$(sc_sums "$f"); then
        ok "$desc: phase means add up to the total (sum, total: $sums s)"
    else
        not_ok "$desc: phase means add up to the total" "sum of phases, total: $sums s"
    fi
}

sc_swiss=$ROOT/datasets/swiss.csv
if sc_train --model-out "$TMP/sc_m.json" "$sc_swiss"; then
    sc_report_check "report, swiss" "$TMP/sc_r.json" \
        "$(($(grep -c . "$sc_swiss") - 1))" "$(($(head -1 "$sc_swiss" | tr -cd , | wc -c)))" "$(stat -c %s "$sc_swiss")"
    sc_ep=$(json_numbers "$TMP/sc_r.json" epochs)
    [ "$sc_ep" = "$(json_numbers "$TMP/sc_m.json" epochs)" ] && [ "${sc_ep:-0}" -gt 0 ] &&
        [ "$(json_numbers "$TMP/sc_r.json" epochs_this_run)" = "$sc_ep" ] &&
        ok "report, swiss: epochs agree with the model and, without --resume, epochs_this_run ($sc_ep)" ||
        not_ok "report, swiss: epochs agree with the model" "report $sc_ep, model $(json_numbers "$TMP/sc_m.json" epochs)"
else
    not_ok "report, swiss: training runs" "$(head -c 300 "$TMP/sc_err")"
fi

# a resumed run: epochs counts the model's (the checkpoint's 40 too), epochs_this_run the 23
# this run computed, and the epoch rate is this run's compute time over those 23
lr 2 1 --quiet --tol 0 --epochs 40 --checkpoint "$TMP/sc_40.ck" --model-out "$TMP/sc_m.json" "$sc_swiss" >/dev/null 2>&1
if lr 2 1 --quiet --tol 0 --epochs 63 --resume "$TMP/sc_40.ck" --report "$TMP/sc_r.json" \
    --model-out "$TMP/sc_m.json" "$sc_swiss" >/dev/null 2>"$TMP/sc_err"; then
    sc_why=$(/usr/bin/python3 - "$TMP/sc_r.json" "$TMP/sc_m.json" 2>&1 <<'PY'
import json, sys
r, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if (r["epochs"], r["epochs_this_run"], m["training"]["epochs"]) != (63, 23, 63):
    sys.exit("epochs %s, epochs_this_run %s, model %s" % (r["epochs"], r.get("epochs_this_run"), m["training"]["epochs"]))
per = r["phases"]["compute"]["max"] / 23
if not per > 0:
    sys.exit("compute max %r" % r["phases"]["compute"]["max"])
want = r["rows"] * (r["features"] + 1) * 8 / 1e9 / per
if abs(r["epoch_gb_per_s"] - want) > 1e-9 * want:
    sys.exit("epoch_gb_per_s %r, want %r (this run's 23 epochs)" % (r["epoch_gb_per_s"], want))
PY
)
    [ -z "$sc_why" ] && ok "report after --resume: epochs 63, epochs_this_run 23, epoch_gb_per_s from this run's 23" ||
        not_ok "report after --resume" "$sc_why"
else
    not_ok "report after --resume: training runs" "$(head -c 300 "$TMP/sc_err")"
fi
rm -f "$TMP/sc_40.ck"

# a generated file big enough for the phases to weigh something, with checkpoints
"$GEN" --rows 200000 --features 8 --seed 5 "$TMP/sc_gen.csv" 2>/dev/null
if sc_train --model-out "$TMP/sc_m.json" --checkpoint "$TMP/sc_ck" --checkpoint-every 5 "$TMP/sc_gen.csv"; then
    sc_report_check "report, generated" "$TMP/sc_r.json" 200000 8 "$(stat -c %s "$TMP/sc_gen.csv")"
    sc_ck=$(awk '/"checkpoint": \{/ { on = 1 } on && /"max"/ { gsub(/,/, "", $2); print $2; exit }' "$TMP/sc_r.json")
    awk -v c="$sc_ck" 'BEGIN { exit !(c > 0) }' && ok "report, generated: checkpoint phase timed ($sc_ck s)" ||
        not_ok "report, generated: checkpoint phase timed" "checkpoint max '$sc_ck'"
else
    not_ok "report, generated: training runs" "$(head -c 300 "$TMP/sc_err")"
fi
rm -f "$TMP/sc_gen.csv" "$TMP/sc_ck"

# scripts/scaling.sh: ranks 1 and 2, threads 1, one run per point, on a tiny generated file
sc_out=$TMP/sc_scaling
if LINREG_BIN=$BIN GEN_DATA_BIN=$GEN timeout 120 "$ROOT/scripts/scaling.sh" --max-ranks 2 --reps 1 --rows 20000 --features 4 --epochs 20 \
    --launcher mpirun --oversubscribe --out "$sc_out" >"$TMP/sc_log" 2>&1; then
    ok "scaling.sh runs (ranks 1,2)"
else
    not_ok "scaling.sh runs (ranks 1,2)" "$(tail -5 "$TMP/sc_log" | tr '\n' ' ' | head -c 400)"
fi
sc_csv=$sc_out/scaling.csv
if [ -s "$sc_csv" ] && head -1 "$sc_csv" | grep -q '^kind,ranks,threads,cores,rows,file_bytes,epochs,total_s,read_s,compute_s,allreduce_s,speedup,efficiency$'; then
    ok "scaling.csv: header"
else
    not_ok "scaling.csv: header" "$(head -1 "$sc_csv" 2>&1)"
fi
# rows: strong 1 and 2 ranks on 20000 rows, weak 10000 and 20000; times > 0; baseline 1.0
sc_rows=$(tail -n +2 "$sc_csv" 2>/dev/null | awk -F, '{ print $1, $2, $3, $5, $7 }' | sort | paste -sd';')
[ "$sc_rows" = "strong 1 1 20000 20;strong 2 1 20000 20;weak 1 1 10000 20;weak 2 1 20000 20" ] &&
    ok "scaling.csv: strong and weak rows for 1 and 2 ranks" ||
    not_ok "scaling.csv: strong and weak rows for 1 and 2 ranks" "got '$sc_rows'"
sc_bad=$(tail -n +2 "$sc_csv" 2>/dev/null | awk -F, 'NF != 13 || !($8 > 0) || $9 < 0 || $10 < 0 || $11 < 0 || !($12 > 0) || !($13 > 0) ||
    ($2 == 1 && ($12 != 1 || $13 != 1)) { print }')
[ -z "$sc_bad" ] && [ -s "$sc_csv" ] && ok "scaling.csv: times positive, 1-rank speedup and efficiency 1" ||
    not_ok "scaling.csv: times positive, 1-rank speedup and efficiency 1" "$sc_bad"
for sc_png in strong_speedup strong_efficiency weak_efficiency; do
    sc_f=$sc_out/$sc_png.png
    sc_sig=$(head -c 8 "$sc_f" 2>/dev/null | od -An -tx1 | tr -d ' \n')
    # IHDR width and height: big-endian 32-bit at bytes 16..23
    sc_wh=$(od -An -j16 -N8 -tu1 "$sc_f" 2>/dev/null | awk '{ printf "%d %d", (($1 * 256 + $2) * 256 + $3) * 256 + $4,
        (($5 * 256 + $6) * 256 + $7) * 256 + $8 }')
    if [ "$sc_sig" = 89504e470d0a1a0a ] && [ "${sc_wh%% *}" -gt 0 ] 2>/dev/null && [ "${sc_wh##* }" -gt 0 ]; then
        ok "scaling.sh: $sc_png.png is a PNG (${sc_wh/ /x})"
    else
        not_ok "scaling.sh: $sc_png.png is a PNG" "signature '$sc_sig', size '$sc_wh'"
    fi
done

# scripts/scaling.sh on a directory of gzip parts: one data set, its rows counted through
# the decompressed text, cached once (strong scaling only: weak scaling generates its data)
mkdir -p "$TMP/sc_gz"
"$GEN" --rows 6000 --features 3 --seed 7 "$TMP/sc_all.csv" 2>/dev/null
awk -v dir="$TMP/sc_gz" 'NR == 1 { h = $0; for (k = 0; k < 3; k++) print h > sprintf("%s/part-%d.csv", dir, k); next }
    { print > sprintf("%s/part-%d.csv", dir, NR <= 1001 ? 0 : NR <= 4001 ? 1 : 2) }' "$TMP/sc_all.csv"
gzip "$TMP"/sc_gz/part-*.csv
sc_out=$TMP/sc_scaling_gz
if LINREG_BIN=$BIN GEN_DATA_BIN=$GEN timeout 60 "$ROOT/scripts/scaling.sh" --mode strong --max-ranks 2 --reps 1 --epochs 5 \
    --launcher mpirun --oversubscribe --out "$sc_out" "$TMP/sc_gz" >"$TMP/sc_log" 2>&1; then
    sc_rows=$(tail -n +2 "$sc_out/scaling.csv" | awk -F, '{ print $1, $2, $5, $6 }' | sort | paste -sd';')
    sc_bytes=$(cat "$TMP"/sc_gz/*.gz | wc -c)
    [ "$sc_rows" = "strong 1 6000 $sc_bytes;strong 2 6000 $sc_bytes" ] && [ -s "$sc_out/data/sc_gz.cache" ] &&
        ok "scaling.sh on a directory of gzip parts: 6000 rows, the parts' bytes, read from one cache" ||
        not_ok "scaling.sh on gzip parts" "got '$sc_rows' (bytes $sc_bytes)"
else
    not_ok "scaling.sh on gzip parts runs" "$(tail -5 "$TMP/sc_log" | tr '\n' ' ' | head -c 400)"
fi

# the benchmark scripts explain themselves and refuse bad sizes; the epoch benchmark runs
rc=0
"$ROOT/scripts/bench_ingest.sh" 10x >/dev/null 2>"$TMP/err" || rc=$?
"$ROOT/scripts/bench.sh" --help >"$TMP/help.txt"
REPS=1 "$ROOT/scripts/bench_epoch.sh" 20000 4 >"$TMP/epoch.txt" 2>&1 || true
grep -q "pandas" "$TMP/help.txt" && [ "$rc" = 2 ] && grep -q "usage: bench_ingest.sh \[ROWS\]" "$TMP/err" &&
    grep -q "threads 2: read probe .* kernel/probe" "$TMP/epoch.txt" &&
    ok "bench scripts: --help, a bad size is a usage error, bench_epoch.sh runs" ||
    not_ok "bench scripts" "rc=$rc $(head -1 "$TMP/err")"
