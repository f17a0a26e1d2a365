# slurm.sh — slurm/train.sbatch against a real single-node Slurm (slurmctld + slurmd brought up
# by scripts/slurm-local.sh): a job completes with the model mpirun gives; the time-limit
# warning (#SBATCH --signal) stops a job with a checkpoint and exit 75; a job stopped by
# `scancel --signal=TERM` exits 75 and a resubmitted one resumes to the uninterrupted model;
# a requeueable job stopped the way the warning stops it requeues itself and resumes;
# slurm/scaling.sbatch runs the scaling sweep in one allocation.
# Where no local Slurm can run (not root, packages missing) the tests are skipped, loudly;
# with LINREG_REQUIRE_SLURM=1 or CI set, that is a failure instead.
#
# Everything runs in a subshell whose EXIT trap brings Slurm down, whatever happens on the
# way (a failed check, an error, a signal); the caller's own traps are not touched. The
# subshell hands its counts back in $TMP/sl_counts.

# shellcheck disable=SC2015,SC2030,SC2031  # `checks && ok || not_ok` (ok always succeeds); counts from the subshell
rm -f "$TMP/sl_counts"
(
    PASS=0 FAIL=0
    trap 'sl_down' EXIT
    trap 'exit 130' INT TERM HUP
    # config, state, logs and pid files of this test's Slurm: outside TMP, so that the
    # caller's own cleanup (rm -rf TMP on a signal) cannot take the pid files before we stop
    # the daemons; removed after they are down
    SL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/linreg-slurm.XXXXXX")
    SL_RUNS=$TMP/sl_runs                    # LINREG_OUT of the jobs
    SL_LOCAL=$ROOT/scripts/slurm-local.sh
    SL_SBATCH=$ROOT/slurm/train.sbatch
    # two free ports, so that a Slurm already running here (a user's, another test run's) is
    # left alone; munged is slurm-local.sh's own for this directory anyway
    sl_port=16817
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sl_try=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$sl_try") 2>/dev/null &&
            ! (exec 3<>"/dev/tcp/127.0.0.1/$((sl_try + 1))") 2>/dev/null; then
            sl_port=$sl_try
            break
        fi
    done
    SL_ENV=(LINREG_SLURM_DIR="$SL_DIR" LINREG_SLURMCTLD_PORT="$sl_port" LINREG_SLURMD_PORT=$((sl_port + 1))
        SLURM_CONF="$SL_DIR/slurm.conf" LINREG_OUT="$SL_RUNS")

    # sl CMD...: a command with this test's Slurm environment (sbatch hands it on to the job);
    # the jobs' binary is $BIN, or SL_BIN
    sl() { env "${SL_ENV[@]}" LINREG_BIN="${SL_BIN:-$BIN}" "$@"; }

    # sl_down: stop this test's Slurm (again: harmless) and remove its directory
    sl_down() {
        [ -d "$SL_DIR" ] || return 0
        if [ -e "$SL_DIR/slurm.conf" ] && ! sl "$SL_LOCAL" down >"$SL_DIR/down.log" 2>&1; then
            echo "  (slurm-local.sh down failed, $SL_DIR kept: $(tail -n 2 "$SL_DIR/down.log"))"
            return 1
        fi
        rm -rf "$SL_DIR"
    }

    # sl_submit SBATCH_OPTIONS... -- SCRIPT_ARGUMENTS...: submit train.sbatch; prints the job id
    sl_submit() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        sl timeout 30 sbatch --parsable --chdir="$TMP" --output="$TMP/sl-%j.out" --nodes=1 \
            --cpus-per-task=1 "${opts[@]}" "$SL_SBATCH" "$@"
    }

    # sl_field JOB FIELD: a field of `scontrol show job` (JobState, ExitCode, Restarts, ...)
    sl_field() { sl scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }

    # sl_wait JOB SECONDS: wait until the job has ended (not requeued); prints "STATE EXITCODE"
    # ("TIMEOUT-WAITING ..." and the job cancelled after SECONDS)
    sl_wait() {
        local job=$1 limit=$2 start=$SECONDS state
        while :; do
            state=$(sl_field "$job" JobState)
            case $state in
                COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
                    echo "$state $(sl_field "$job" ExitCode)"
                    return 0 ;;
            esac
            if [ $((SECONDS - start)) -ge "$limit" ]; then
                echo "TIMEOUT-WAITING ${state:-unknown} after ${limit}s"
                sl scancel "$job" 2>/dev/null
                return 1
            fi
            sleep 0.3
        done
    }

    # sl_wait_file JOB FILE SECONDS: wait until FILE exists and is not empty, while JOB runs
    sl_wait_file() {
        local start=$SECONDS
        until [ -s "$2" ]; do
            [ $((SECONDS - start)) -lt "$3" ] || return 1
            case $(sl_field "$1" JobState) in PENDING | CONFIGURING | RUNNING) ;; *) return 1 ;; esac
            sleep 0.1
        done
    }

    # sl_tail JOB: the last lines of the job's output, on one line, for a failure message
    sl_tail() { tail -n 4 "$TMP/sl-$1.out" 2>/dev/null | tr '\n' '|'; }

    # sl_same_model MODEL REFERENCE: the intercept and coefficients agree to 1e-10
    sl_same_model() {
        [ -s "$1" ] || { echo "no $1"; return 1; }
        model_values "$1" >"$TMP/sl_got.txt"
        model_values "$2" >"$TMP/sl_want.txt"
        values_close "$TMP/sl_got.txt" "$TMP/sl_want.txt" 1e-10
    }

    sl_start=$SECONDS
    sl_up_rc=0
    sl "$SL_LOCAL" up >"$TMP/sl_up.log" 2>&1 || sl_up_rc=$?
    if [ "$sl_up_rc" = 77 ]; then
        slurm_unavailable "$TMP/sl_up.log" "Slurm tests"
    elif [ "$sl_up_rc" != 0 ]; then
        not_ok "local Slurm comes up" "$(tail -n 5 "$TMP/sl_up.log" | tr '\n' '|')"
    else
        ok "local Slurm up (slurmctld + slurmd, node idle) in $((SECONDS - sl_start))s"
        "$GEN" --rows 50000 --features 8 --kind hard --seed 11 "$TMP/sl.csv" 2>/dev/null
        SL_OPTS=(--quiet --tol 0 --epochs 6000)
        # the uninterrupted runs under mpirun, the references
        lr 2 1 --quiet --model-out "$TMP/sl_ref_trees.json" "$ROOT/datasets/trees.csv"
        lr 2 1 "${SL_OPTS[@]}" --model-out "$TMP/sl_ref.json" "$TMP/sl.csv"

        # the time-limit warning: a 1-minute job asks for SIGUSR1 50 s before its end (slurmctld
        # checks limits every 30 s, so it comes 10-40 s in); training that would go on for ever
        # stops with a checkpoint and exit 75, well before the limit
        # (at the lowest CPU priority: it only has to be running when the warning comes, and the
        # suite runs other files beside this one)
        printf '#!/bin/sh\nexec nice -n 19 "%s" "$@"\n' "$BIN" >"$TMP/sl_nice.sh"
        chmod +x "$TMP/sl_nice.sh"
        sl_tl=$(SL_BIN=$TMP/sl_nice.sh LINREG_CHECKPOINT_EVERY=1000 sl_submit --ntasks-per-node=1 --time=1 \
            --signal=B:USR1@50 --no-requeue -- "$TMP/sl.csv" --quiet --tol 0 --epochs 1000000000)
        sl_tl_start=$SECONDS
        # the scaling sweep in one allocation, a small one beside it (one task: it only has to
        # run through scripts/scaling.sh's srun steps and write its table)
        sl_s=""
        if [ -x "$ROOT/scripts/scaling.sh" ]; then
            sl_s=$(LINREG_ROOT=$ROOT sl timeout 30 sbatch --parsable --chdir="$TMP" --output="$TMP/sl-%j.out" \
                --nodes=1 --ntasks-per-node=1 --no-requeue --time=5 "$ROOT/slurm/scaling.sbatch" \
                --rows 4000 --features 3 --reps 1 --epochs 5)
        fi
        if [ -n "$sl_s" ]; then
            sl_res=$(sl_wait "$sl_s" 90)
            [ "$sl_res" = "COMPLETED 0:0" ] && [ -s "$SL_RUNS/scaling-$sl_s/scaling.csv" ] &&
                ok "scaling.sbatch: scripts/scaling.sh ran its steps in one allocation, scaling.csv written" ||
                not_ok "scaling.sbatch" "job $sl_s: $sl_res; $(sl_tail "$sl_s")"
        fi
        sl_res=$(sl_wait "$sl_tl" 80)
        sl_took=$((SECONDS - sl_tl_start))
        [ "$sl_res" = "FAILED 75:0" ] && [ -s "$SL_RUNS/$sl_tl/checkpoint.bin" ] &&
            [ "$(cat "$SL_RUNS/$sl_tl/status")" = stopped ] &&
            grep -q "got SIGUSR1" "$TMP/sl-$sl_tl.out" &&
            grep -q "stopped by SIGUSR1 after epoch [0-9]*; checkpoint written" "$TMP/sl-$sl_tl.out" &&
            ok "time-limit warning (--signal=B:USR1@50): checkpoint, exit 75 after ${sl_took}s of a 60 s limit" ||
            not_ok "time-limit warning" "job $sl_tl: $sl_res; $(sl_tail "$sl_tl")"

        # a job with 2 tasks on a shipped dataset: COMPLETED, exit 0, the model mpirun gives
        sl_a=$(sl_submit --ntasks-per-node=2 --time=5 -- "$ROOT/datasets/trees.csv" --quiet)
        sl_res=$(sl_wait "$sl_a" 60)
        sl_why=$(sl_same_model "$SL_RUNS/$sl_a/model.json" "$TMP/sl_ref_trees.json" 2>&1) &&
            [ "$sl_res" = "COMPLETED 0:0" ] && [ -s "$SL_RUNS/$sl_a/log.csv" ] &&
            [ "$(cat "$SL_RUNS/$sl_a/status")" = completed ] &&
            ok "train.sbatch, 2 tasks, trees.csv: COMPLETED 0:0, the model of mpirun -n 2 (1e-10)" ||
            not_ok "train.sbatch on trees.csv" "job $sl_a: $sl_res; $sl_why; $(sl_tail "$sl_a")"

        # the same job launched by mpirun inside the allocation instead of srun
        sl_m=$(LINREG_LAUNCHER=mpirun sl_submit --ntasks-per-node=2 --time=5 -- "$ROOT/datasets/trees.csv" --quiet)
        sl_res=$(sl_wait "$sl_m" 60)
        sl_why=$(sl_same_model "$SL_RUNS/$sl_m/model.json" "$TMP/sl_ref_trees.json" 2>&1) &&
            [ "$sl_res" = "COMPLETED 0:0" ] && grep -q "^command mpirun " "$SL_RUNS/$sl_m/job.txt" &&
            ok "train.sbatch with LINREG_LAUNCHER=mpirun: COMPLETED 0:0, the same model (1e-10)" ||
            not_ok "train.sbatch with mpirun" "job $sl_m: $sl_res; $sl_why; $(sl_tail "$sl_m")"

        # scancel --signal=TERM reaches the ranks: checkpoint, exit 75; the same job submitted
        # again with the same run directory resumes and ends with the uninterrupted model
        sl_b=$(LINREG_CHECKPOINT_EVERY=20 sl_submit --ntasks-per-node=2 --time=5 --no-requeue -- \
            "$TMP/sl.csv" "${SL_OPTS[@]}")
        sl_wait_file "$sl_b" "$SL_RUNS/$sl_b/checkpoint.bin" 60 && sl scancel --signal=TERM "$sl_b"
        sl_res=$(sl_wait "$sl_b" 60)
        if [ "$sl_res" = "FAILED 75:0" ] && [ -s "$SL_RUNS/$sl_b/checkpoint.bin" ] &&
            grep -q "stopped by SIGTERM after epoch [0-9]*; checkpoint written" "$TMP/sl-$sl_b.out"; then
            ok "scancel --signal=TERM: the job wrote its checkpoint and exited 75"
            sl_epoch=$(grep -o 'stopped by SIGTERM after epoch [0-9]*' "$TMP/sl-$sl_b.out" | awk '{print $NF}')
            sl_b2=$(LINREG_CHECKPOINT_EVERY=20 LINREG_RUN_DIR="$SL_RUNS/$sl_b" sl_submit --ntasks-per-node=2 \
                --time=5 --no-requeue -- "$TMP/sl.csv" "${SL_OPTS[@]}")
            sl_res=$(sl_wait "$sl_b2" 60)
            sl_why=$(sl_same_model "$SL_RUNS/$sl_b/model.json" "$TMP/sl_ref.json" 2>&1) &&
                [ "$sl_res" = "COMPLETED 0:0" ] &&
                grep -q -- "--resume $SL_RUNS/$sl_b/checkpoint.bin" "$TMP/sl-$sl_b2.out" &&
                [ "$(json_numbers "$SL_RUNS/$sl_b/model.json" epochs)" = 6000 ] &&
                ok "resubmitted with LINREG_RUN_DIR: resumed after epoch $sl_epoch, the uninterrupted model (1e-10)" ||
                not_ok "resubmitted job resumes" "job $sl_b2: $sl_res; $sl_why; $(sl_tail "$sl_b2")"
            # the per-epoch log of both runs joined: epochs 1..6000, each once
            awk -F, 'NR > 1 && $1 != NR - 1 { bad = 1 } END { exit bad || NR != 6001 }' "$SL_RUNS/$sl_b/log.csv" &&
                ok "log.csv of the stopped and the resumed run joined: epochs 1-6000 once each" ||
                not_ok "joined log.csv" "$(wc -l <"$SL_RUNS/$sl_b/log.csv") lines"
        else
            not_ok "scancel --signal=TERM: checkpoint and exit 75" "job $sl_b: $sl_res; $(sl_tail "$sl_b")"
        fi

        # the warning's own delivery (SIGUSR1 to the batch shell) to a requeueable job: it
        # checkpoints, requeues itself, and the next run resumes to the uninterrupted model
        sl_c=$(LINREG_CHECKPOINT_EVERY=20 sl_submit --ntasks-per-node=2 --time=5 --requeue -- \
            "$TMP/sl.csv" "${SL_OPTS[@]}")
        sl_wait_file "$sl_c" "$SL_RUNS/$sl_c/checkpoint.bin" 60 && sl scancel --batch --signal=USR1 "$sl_c"
        sl_res=$(sl_wait "$sl_c" 90)
        sl_why=$(sl_same_model "$SL_RUNS/$sl_c/model.json" "$TMP/sl_ref.json" 2>&1) &&
            [ "$sl_res" = "COMPLETED 0:0" ] && [ "$(sl_field "$sl_c" Restarts)" = 1 ] &&
            grep -q "stopped by SIGUSR1 after epoch [0-9]*; checkpoint written" "$TMP/sl-$sl_c.out" &&
            grep -q "requeued job $sl_c" "$TMP/sl-$sl_c.out" &&
            grep -q "restart 1 " "$SL_RUNS/$sl_c/job.txt" &&
            ok "SIGUSR1 to the batch shell: checkpoint, exit 75, requeued, resumed: the uninterrupted model (1e-10)" ||
            not_ok "requeue after a stop" "job $sl_c: $sl_res, restarts $(sl_field "$sl_c" Restarts); $sl_why; $(sl_tail "$sl_c")"
    fi

    # down, and nothing left running
    if [ "$sl_up_rc" = 0 ]; then
        sl "$SL_LOCAL" down >"$TMP/sl_down.log" 2>&1
        sl_left=""
        for sl_pf in "$SL_DIR"/run/*.pid; do
            [ -e "$sl_pf" ] && sl_left="$sl_left $(basename "$sl_pf")"
        done
        [ -z "$sl_left" ] && ! pgrep -f "$SL_DIR/slurm.conf" >/dev/null &&
            ok "Slurm torn down: no daemon left, pid files removed (all Slurm tests: $((SECONDS - sl_start))s)" ||
            not_ok "Slurm torn down" "left:$sl_left $(pgrep -af "$SL_DIR/slurm.conf" | head -2)"
    fi
    sl_down
    echo "$PASS $FAIL" >"$TMP/sl_counts"
)
add_counts "$TMP/sl_counts" "slurm: the tests stopped before their end (Slurm was brought down)"
