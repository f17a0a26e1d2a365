# threads.sh — the thread count never changes a result: every row is read and summed under
# any team OpenMP gives (OMP_THREAD_LIMIT, OMP_DYNAMIC, more threads than cores), and the
# same command gives the same bytes, run after run, for 1 to 8 threads; under those teams
# also the exact solver (HC3, diagnostics), --cv and stream mode.
#
# 60,000 rows: 15 parts of 4,096 rows (par.h) and 8 MB-blocks split 1–8 ways, so every
# thread of 8 has rows in every kernel.

unset OMP_WAIT_POLICY  # how threads wait, as users run: OpenMP's default

"$GEN" --rows 60000 --features 6 --seed 14 --noise 0.3 "$TMP/t.csv" 2>/dev/null
rows=60000
T_OPTS=(--quiet --validation-split 0.2 --seed 3)

# lr_env NP ENV ARGS...: lr with an OpenMP setting (ENV "NAME=VALUE") passed to every rank
lr_env() {
    local np=$1 env=$2
    shift 2
    env "$env" timeout 30 mpirun --oversubscribe --bind-to none -n "$np" -x "${env%%=*}" \
        "$BIN" "$@" </dev/null
}

# sans_run MODEL: the model without the fields that name the run (time, thread count)
sans_run() { grep -v -e '"seconds"' -e '"threads"' "$1"; }

lr 1 1 "${T_OPTS[@]}" --threads 1 --model-out "$TMP/ref.json" "$TMP/t.csv"
train_rows=$(json_numbers "$TMP/ref.json" rows | head -1)
val_rows=$(json_numbers "$TMP/ref.json" rows | sed -n 3p)
[ $((train_rows + val_rows)) = $rows ] && ok "reference run: $train_rows + $val_rows rows = $rows" ||
    not_ok "reference run rows" "$train_rows + $val_rows"

same=0 differ=""
for th in 1 2 3 4 5 6 7 8; do
    lr 1 "$th" "${T_OPTS[@]}" --threads "$th" --model-out "$TMP/m$th.json" "$TMP/t.csv"
    if diff <(sans_run "$TMP/ref.json") <(sans_run "$TMP/m$th.json") >/dev/null; then
        same=$((same + 1))
    else
        differ="$differ $th"
    fi
done
[ -z "$differ" ] && ok "threads 1-8 (2 cores): the model file is the same bytes as 1 thread's" ||
    not_ok "thread counts whose model differs from 1 thread's:$differ"

differ=""
for k in 1 2 3 4 5; do
    lr 1 4 "${T_OPTS[@]}" --threads 4 --model-out "$TMP/r$k.json" "$TMP/t.csv"
    cmp -s <(sans_run "$TMP/m4.json") <(sans_run "$TMP/r$k.json") || differ="$differ $k"
done
[ -z "$differ" ] && ok "--threads 4 with a validation split, five runs: byte-identical models" ||
    not_ok "--threads 4, repeated runs differ:$differ"

# the other paths under the same teams: the exact solver with HC3 and the diagnostics, the
# cross-validated lasso path, stream mode in blocks of 4 parts (4 blocks, so both the blocks
# and the parts within one are split); each against its --threads 1 run, model and stdout
X_RUNS=("--solver exact --cov hc3 --diagnostics" "--cv 5 --l1-ratio 1" "--memory stream --block-rows 16384")
X_KEYS=('"covariance_type": "HC3"' '"lambda_min":' '"memory": "stream"')  # it ran that path
for k in 0 1 2; do
    rm -f "$TMP/x.json"
    lr 1 1 --quiet ${X_RUNS[k]} --threads 1 --model-out "$TMP/x.json" "$TMP/t.csv" >"$TMP/x$k.out"
    grep -q "${X_KEYS[k]}" "$TMP/x.json" && grep -q "model written to $TMP/x.json" "$TMP/x$k.out" ||
        not_ok "--threads 1 ${X_RUNS[k]}" "$(head -c 300 "$TMP/x$k.out")"
    sans_run "$TMP/x.json" >"$TMP/x$k.ref"
done

# teams smaller than asked: every row, the very same model
for cfg in "OMP_THREAD_LIMIT=1 4" "OMP_THREAD_LIMIT=2 4" "OMP_THREAD_LIMIT=2 8" "OMP_DYNAMIC=true 8"; do
    read -r env th <<<"$cfg"
    lr_env 1 "$env" "${T_OPTS[@]}" --threads "$th" --model-out "$TMP/lim.json" "$TMP/t.csv"
    n=$(lr_env 1 "$env" describe --threads "$th" --json "$TMP/t.csv" | grep -o '"rows": [0-9]*' | awk '{print $2}')
    [ "$n" = $rows ] && diff <(sans_run "$TMP/ref.json") <(sans_run "$TMP/lim.json") >/dev/null &&
        ok "$env --threads $th: describe counts $rows rows; the model is the plain run's, bit for bit" ||
        not_ok "$env --threads $th" "describe rows $n; $(diff <(sans_run "$TMP/ref.json") <(sans_run "$TMP/lim.json") | head -4)"
    differ=""
    for k in 0 1 2; do
        rm -f "$TMP/x.json"
        lr_env 1 "$env" --quiet ${X_RUNS[k]} --threads "$th" --model-out "$TMP/x.json" "$TMP/t.csv" >"$TMP/x.out"
        [ -s "$TMP/x.json" ] && cmp -s "$TMP/x$k.out" "$TMP/x.out" && cmp -s "$TMP/x$k.ref" <(sans_run "$TMP/x.json") ||
            differ="$differ; ${X_RUNS[k]}: $(diff "$TMP/x$k.ref" <(sans_run "$TMP/x.json") | head -3 | tr '\n' ' ')"
    done
    [ -z "$differ" ] &&
        ok "$env --threads $th: --solver exact --cov hc3 --diagnostics, --cv 5 --l1-ratio 1 and --memory stream: model and stdout those of --threads 1, bit for bit" ||
        not_ok "$env --threads $th, the other paths" "${differ#; }"
done

# several ranks: thread counts still change nothing within a rank count, and ranks agree
# with one rank to rounding (their partial sums are added in another order)
lr 3 1 "${T_OPTS[@]}" --threads 1 --model-out "$TMP/p1.json" "$TMP/t.csv"
lr_env 3 OMP_THREAD_LIMIT=2 "${T_OPTS[@]}" --threads 3 --model-out "$TMP/p3.json" "$TMP/t.csv"
model_values "$TMP/ref.json" >"$TMP/want.txt"
model_values "$TMP/p3.json" >"$TMP/got.txt"
why=""
diff <(sans_run "$TMP/p1.json") <(sans_run "$TMP/p3.json") >/dev/null &&
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-12) &&
    ok "3 ranks: --threads 3 under OMP_THREAD_LIMIT=2 is --threads 1 bit for bit, and 1 rank's model to 1e-12" ||
    not_ok "3 ranks x threads" "$why"

# the default team, neither --threads nor OMP_NUM_THREADS: the cores a rank may run on,
# shared with the ranks of its node that may run on them too (unbound ranks: all of them)
unset OMP_NUM_THREADS
cores=$(nproc)
team() {  # team NP [MPIRUN OPTIONS]: the threads the model says each rank used
    local np=$1
    shift
    timeout 30 mpirun --oversubscribe "$@" -n "$np" "$BIN" --quiet \
        --epochs 2 --model-out "$TMP/team.json" "$TMP/t.csv" </dev/null >/dev/null 2>&1 &&
        json_numbers "$TMP/team.json" threads | head -1
}
share() { local t=$((cores / $1)); echo $((t < 1 ? 1 : t)); }
got="$(team 1 --bind-to none) $(team 2 --bind-to none) $(team 3 --bind-to none) $(team 2 --bind-to core)"
want="$cores $(share 2) $(share 3) 1"
[ "$got" = "$want" ] &&
    ok "default team on $cores cores: $want threads for 1, 2, 3 unbound ranks and 2 bound to a core each" ||
    not_ok "default team for 1, 2, 3 unbound ranks and 2 bound ones" "got $got, want $want"
# OpenMP's own binding pins the first thread before the program starts: its places count
export OMP_PROC_BIND=close OMP_PLACES=cores
got="$(team 1 --bind-to none -x OMP_PROC_BIND -x OMP_PLACES) $(team 2 --bind-to none -x OMP_PROC_BIND -x OMP_PLACES)"
unset OMP_PROC_BIND OMP_PLACES
[ "$got" = "$cores $(share 2)" ] &&
    ok "OMP_PROC_BIND=close OMP_PLACES=cores: $got threads for 1 and 2 unbound ranks, as without them" ||
    not_ok "default team under OMP_PROC_BIND" "got $got, want $cores $(share 2)"
got=$(OMP_NUM_THREADS=3 team 2 --bind-to none -x OMP_NUM_THREADS)
[ "$got" = 3 ] && ok "OMP_NUM_THREADS=3 with 2 unbound ranks: 3 threads each, as asked" ||
    not_ok "OMP_NUM_THREADS=3, 2 ranks" "got $got threads"
