# multinode.sh — jobs across two nodes on this one machine (scripts/netns-cluster.sh: network
# namespaces node1 and node2 with hostnames of their own, joined by a veth pair on
# 10.250.0.1/.2; one slurmctld, a slurmd on each node, the file system shared). Open MPI
# talks between the nodes over TCP, as on a cluster without InfiniBand; the tests show it
# from the transport each rank picked (btl_base_verbose), and by running with shared memory
# excluded. Checked: slurm/train.sbatch with --nodes=2 (1 and 2 tasks a node, srun
# --mpi=pmix) and mpirun with a hostfile (remote start through scripts/netns-rsh.sh) give
# the one-node model; predict across both nodes writes the one-node file byte for byte; a
# node whose ranks are killed mid-training ends the job at once, non-zero, and its last
# checkpoint resumes on one node to the uninterrupted model; data missing on one node only,
# and one node short of memory, fail every rank with a message that names the host.
# Where the cluster cannot run (not root, packages missing) the tests are skipped, loudly;
# with LINREG_REQUIRE_MULTINODE=1 or CI set, that is a failure instead.
#
# Runs beside the other files (it is not in tests/run.sh's SERIAL list): the daemons live in
# the nodes' own network stacks (Slurm's ports there are not this machine's, so slurm.sh's
# and install.sh's local Slurm are never met), munged has a socket of its own and the state
# a directory of its own (mktemp), from which the veth names derive too. Its one timed check
# (a dead node ends the job within 30 s) has a wide margin, and the kill's moment is
# checked (a checkpoint written, the job still running), not guessed.
#
# Everything runs in a subshell whose EXIT trap brings the cluster down, whatever happens on
# the way; the subshell hands its counts back in $TMP/mn_counts.

# shellcheck disable=SC2015,SC2030,SC2031  # `checks && ok || not_ok` (ok always succeeds); counts from the subshell
rm -f "$TMP/mn_counts"
(
    PASS=0 FAIL=0
    trap 'mn_down' EXIT
    trap 'exit 130' INT TERM HUP
    MN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/linreg-netns.XXXXXX")  # outside TMP, as in slurm.sh
    MN_RUNS=$TMP/mn_runs
    MN_SBATCH=$ROOT/slurm/train.sbatch

    # nc ARGS...: scripts/netns-cluster.sh for this test's cluster
    nc() { LINREG_NETNS_DIR=$MN_DIR "$ROOT/scripts/netns-cluster.sh" "$@"; }
    # on1 CMD...: CMD on node1, where the Slurm clients reach slurmctld
    on1() { LINREG_OUT=$MN_RUNS LINREG_BIN=$BIN nc exec node1 "$@"; }

    mn_down() {
        [ -d "$MN_DIR" ] || return 0
        if [ -e "$MN_DIR/slurm.conf" ] && ! nc down >"$MN_DIR/down.log" 2>&1; then
            echo "  (netns-cluster.sh down failed, $MN_DIR kept: $(tail -n 2 "$MN_DIR/down.log"))"
            return 1
        fi
        rm -rf "$MN_DIR"
    }

    # mn_submit SBATCH_OPTIONS... -- SCRIPT_ARGUMENTS...: train.sbatch from node1; the job id
    mn_submit() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        on1 timeout 30 sbatch --parsable --chdir="$TMP" --output="$TMP/mn-%j.out" --cpus-per-task=1 \
            --time=5 --no-requeue "${opts[@]}" "$MN_SBATCH" "$@"
    }
    mn_field() { on1 scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }
    # mn_wait JOB SECONDS: wait until the job has ended; prints "STATE EXITCODE"
    mn_wait() {
        local start=$SECONDS state
        while :; do
            state=$(mn_field "$1" JobState)
            case $state in
                COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL)
                    echo "$state $(mn_field "$1" ExitCode)"
                    return 0 ;;
            esac
            if [ $((SECONDS - start)) -ge "$2" ]; then
                echo "TIMEOUT-WAITING ${state:-unknown} after ${2}s"
                on1 scancel "$1" 2>/dev/null
                return 1
            fi
            sleep 0.2
        done
    }
    # mn_srun OUT SRUN_ARGS...: 2 nodes x 2 tasks from node1, output in OUT; prints nothing,
    # returns srun's status. A step whose task died of a signal (Open MPI 4.1 under srun
    # crashed once or twice in a few hundred such steps on this loaded machine, a SIGSEGV
    # in its teardown) is run once more, and the rerun is said in the report
    mn_srun() {
        local out=$1 rc=0
        shift
        on1 timeout 60 srun --mpi=pmix --nodes=2 --ntasks-per-node=2 "$@" >"$out" 2>&1 || rc=$?
        if [ "$rc" -gt 128 ] || grep -q "Process received signal" "$out"; then
            echo "  note  srun step ended by a signal (exit $rc), run once more: $(grep -m1 'Signal:' "$out")"
            rc=0
            on1 timeout 60 srun --mpi=pmix --nodes=2 --ntasks-per-node=2 "$@" >"$out" 2>&1 || rc=$?
        fi
        return "$rc"
    }
    mn_tail() { tail -n 4 "$TMP/mn-$1.out" 2>/dev/null | tr '\n' '|'; }
    # mn_close MODEL REFERENCE: intercept and coefficients agree to 1e-10 (relative)
    mn_close() {
        [ -s "$1" ] || { echo "no $1"; return 1; }
        model_values "$1" >"$TMP/mn_got.txt"
        model_values "$2" >"$TMP/mn_want.txt"
        values_close "$TMP/mn_got.txt" "$TMP/mn_want.txt" 1e-10
    }
    # mn_bitwise MODEL REFERENCE: the same model JSON but for the timing
    mn_bitwise() { diff <(grep -v '"seconds"' "$1") <(grep -v '"seconds"' "$2") >/dev/null; }
    # mn_tcp FILE: each node's rank sent to the other node's over TCP (Open MPI's BML lines)
    mn_tcp() {
        grep -q '^\[node1:[0-9]*\] mca: bml: Using tcp btl for send to .* on node node2$' "$1" &&
            grep -q '^\[node2:[0-9]*\] mca: bml: Using tcp btl for send to .* on node node1$' "$1" &&
            ! grep -q 'Using \(vader\|sm\) btl for send to .* on node node2$' <(grep '^\[node1:' "$1")
    }

    mn_start=$SECONDS
    mn_up_rc=0
    nc up >"$TMP/mn_up.log" 2>&1 || mn_up_rc=$?
    if [ "$mn_up_rc" = 77 ]; then
        slurm_unavailable "$TMP/mn_up.log" "multinode tests" LINREG_REQUIRE_MULTINODE
    elif [ "$mn_up_rc" != 0 ]; then
        not_ok "two-node cluster comes up" "$(tail -n 5 "$TMP/mn_up.log" | tr '\n' '|')"
    else
        [ "$(nc exec node1 hostname)" = node1 ] && [ "$(nc exec node2 hostname)" = node2 ] &&
            on1 sinfo -h -N -o '%N %T' | paste -sd ' ' | grep -qx 'node1 idle node2 idle' &&
            ok "two nodes up in $((SECONDS - mn_start))s: hostnames node1 and node2, both slurmd idle" ||
            not_ok "two nodes up" "$(on1 sinfo -h -N -o '%N %T' 2>&1 | paste -sd ' ')"

        "$GEN" --rows 20000 --features 8 --kind hard --seed 11 "$TMP/mn.csv" 2>/dev/null
        MN_OPTS=(--quiet --tol 0 --epochs 1000)
        MN_LONG=(--quiet --tol 0 --epochs 2000)
        # the references on one node, then the 2x1 and 2x2 jobs (they queue one after the other)
        lr 2 1 "${MN_OPTS[@]}" --model-out "$TMP/mn_ref2.json" "$TMP/mn.csv"
        lr 4 1 "${MN_OPTS[@]}" --model-out "$TMP/mn_ref4.json" "$TMP/mn.csv"
        lr 2 1 "${MN_LONG[@]}" --model-out "$TMP/mn_long2.json" "$TMP/mn.csv"
        mn_a=$(OMPI_MCA_btl=tcp,self mn_submit --nodes=2 --ntasks-per-node=1 -- "$TMP/mn.csv" "${MN_OPTS[@]}")
        mn_b=$(OMPI_MCA_btl_base_verbose=100 mn_submit --nodes=2 --ntasks-per-node=2 -- "$TMP/mn.csv" "${MN_OPTS[@]}")

        # mpirun with a hostfile, one rank a node, started on node2 through netns-rsh.sh, shared
        # memory excluded (tcp,self): it runs, over TCP, to the model of mpirun -n 2 on one node
        printf 'node1 slots=2\nnode2 slots=2\n' >"$TMP/mn_hosts"
        mn_rc=0
        on1 timeout 60 mpirun --hostfile "$TMP/mn_hosts" --mca plm_rsh_agent "$ROOT/scripts/netns-rsh.sh" \
            --map-by node --bind-to none -n 2 -x OMP_NUM_THREADS=1 --mca btl tcp,self --mca btl_base_verbose 100 \
            "$BIN" "${MN_OPTS[@]}" --model-out "$TMP/mn_mpirun.json" "$TMP/mn.csv" >"$TMP/mn_mpirun.out" 2>&1 || mn_rc=$?
        mn_why=$(mn_close "$TMP/mn_mpirun.json" "$TMP/mn_ref2.json" 2>&1) && [ "$mn_rc" = 0 ] &&
            mn_tcp "$TMP/mn_mpirun.out" &&
            ok "mpirun --hostfile (node1, node2) through netns-rsh.sh, --mca btl tcp,self: TCP between the nodes, the model of mpirun -n 2 (1e-10)" ||
            not_ok "mpirun across the nodes" "rc=$mn_rc; $mn_why; $(grep -v 'mca:' "$TMP/mn_mpirun.out" | tail -n 3 | tr '\n' '|')"

        # train.sbatch --nodes=2 --ntasks-per-node=1 under srun --mpi=pmix, shared memory excluded
        mn_res=$(mn_wait "$mn_a" 90)
        mn_why=$(mn_close "$MN_RUNS/$mn_a/model.json" "$TMP/mn_ref2.json" 2>&1) &&
            [ "$mn_res" = "COMPLETED 0:0" ] && grep -q "^start .* on node1 node2$" "$MN_RUNS/$mn_a/job.txt" &&
            grep -q "^shape   2 nodes, 2 ranks x 1 threads, srun$" "$MN_RUNS/$mn_a/job.txt" &&
            ok "train.sbatch --nodes=2 --ntasks-per-node=1 (srun --mpi=pmix, btl tcp,self): COMPLETED, job.txt names node1 node2, the model of mpirun -n 2 (1e-10)" ||
            not_ok "train.sbatch on 2 nodes x 1 task" "job $mn_a: $mn_res; $mn_why; $(mn_tail "$mn_a")"

        # 2x2 with Open MPI's own choice of transport: shared memory within a node, TCP across
        mn_res=$(mn_wait "$mn_b" 90)
        mn_why=$(mn_close "$MN_RUNS/$mn_b/model.json" "$TMP/mn_ref4.json" 2>&1) &&
            [ "$mn_res" = "COMPLETED 0:0" ] && grep -q "^start .* on node1 node2$" "$MN_RUNS/$mn_b/job.txt" &&
            grep -q "^shape   2 nodes, 4 ranks x 1 threads, srun$" "$MN_RUNS/$mn_b/job.txt" &&
            mn_tcp "$TMP/mn-$mn_b.out" &&
            grep -q '^\[node1:[0-9]*\] mca: bml: Using vader btl for send to .* on node node1$' "$TMP/mn-$mn_b.out" &&
            ok "train.sbatch --nodes=2 --ntasks-per-node=2: COMPLETED, shared memory within a node and TCP across (btl_base_verbose), the model of mpirun -n 4 (1e-10)" ||
            not_ok "train.sbatch on 2 nodes x 2 tasks" "job $mn_b: $mn_res; $mn_why; $(grep -v 'mca:' "$TMP/mn-$mn_b.out" | tail -n 3 | tr '\n' '|')"

        # predict across both nodes (4 ranks) with the 2-node model: the 1-rank file, byte for byte
        mn_rc=0
        mn_srun "$TMP/mn_pred.out" "$BIN" predict --model "$MN_RUNS/$mn_a/model.json" \
            --output "$TMP/mn_pred2.csv" "$TMP/mn.csv" || mn_rc=$?
        lr 1 1 predict --model "$MN_RUNS/$mn_a/model.json" --output "$TMP/mn_pred1.csv" "$TMP/mn.csv" 2>/dev/null
        [ "$mn_rc" = 0 ] && [ "$(wc -l <"$TMP/mn_pred1.csv")" = 20001 ] && cmp -s "$TMP/mn_pred1.csv" "$TMP/mn_pred2.csv" &&
            ok "predict --output across 2 nodes x 2 ranks: the 1-rank output byte for byte" ||
            not_ok "predict across the nodes" "rc=$mn_rc; $(tail -n 2 "$TMP/mn_pred.out" | tr '\n' '|'); $(cmp "$TMP/mn_pred1.csv" "$TMP/mn_pred2.csv" 2>&1)"

        # node2's rank dies (SIGKILL) after the first checkpoint, the job still running: the job
        # ends within 30 s, non-zero; the checkpoint resumes on one node to the uninterrupted model
        mn_c=$(LINREG_CHECKPOINT_EVERY=50 mn_submit --nodes=2 --ntasks-per-node=1 -- "$TMP/mn.csv" "${MN_LONG[@]}")
        mn_ck=$MN_RUNS/$mn_c/checkpoint.bin
        mn_t=$SECONDS
        until [ -s "$mn_ck" ] || [ $((SECONDS - mn_t)) -ge 60 ]; do sleep 0.05; done
        mn_pids=$(nc pids node2 linreg_mpi)
        mn_last=$(tail -n 1 "$MN_RUNS/$mn_c/log.csv" 2>/dev/null | cut -d, -f1)
        mn_state=$(mn_field "$mn_c" JobState)
        if [ -s "$mn_ck" ] && [ -n "$mn_pids" ] && [ "$mn_state" = RUNNING ] &&
            [ "$(cat "$MN_RUNS/$mn_c/status")" = running ] && [ ! -e "$MN_RUNS/$mn_c/model.json" ] &&
            [ "${mn_last:-0}" -lt 2000 ]; then
            # shellcheck disable=SC2086  # a list of pids
            kill -KILL $mn_pids
            mn_t=$SECONDS
            mn_res=$(mn_wait "$mn_c" 60)
            mn_took=$((SECONDS - mn_t))
            mn_code=${mn_res#* }
            [ "${mn_res%% *}" = FAILED ] && [ "${mn_code%%:*}" != 0 ] && [ "$mn_took" -le 30 ] &&
                grep -q "^failed [1-9]" "$MN_RUNS/$mn_c/status" && [ ! -e "$MN_RUNS/$mn_c/model.json" ] &&
                grep -q "node2: task 1: Killed" "$TMP/mn-$mn_c.out" &&
                [ -z "$(nc pids node1 linreg_mpi)$(nc pids node2 linreg_mpi)" ] &&
                ok "node2's rank killed mid-run (a checkpoint written, the job running, its log at epoch ${mn_last:-?} of 2000): job $mn_res after ${mn_took}s, no model, no rank left" ||
                not_ok "a node dies mid-training" "job $mn_c: $mn_res after ${mn_took}s; $(mn_tail "$mn_c")"
            # the last checkpoint on one node: 2 ranks x 1 thread bit for bit, 1 x 2 to 1e-10
            lr 2 1 "${MN_LONG[@]/--quiet/--log-every=1000000}" --resume "$mn_ck" --model-out "$TMP/mn_res2.json" \
                "$TMP/mn.csv" >/dev/null 2>"$TMP/mn_res.err"
            mn_at=$(sed -n 's/.*resuming from .* after epoch \([0-9]*\)$/\1/p' "$TMP/mn_res.err")
            [ -n "$mn_at" ] && [ "$mn_at" -lt 2000 ] && mn_bitwise "$TMP/mn_res2.json" "$TMP/mn_long2.json" &&
                ok "its checkpoint (epoch $mn_at) resumed on one node, 2 ranks x 1 thread: the uninterrupted model bit for bit" ||
                not_ok "resume after the node died" "resumed after epoch '$mn_at'; $(head -n 3 "$TMP/mn_res.err" | tr '\n' '|')"
            lr 1 2 "${MN_LONG[@]}" --resume "$mn_ck" --model-out "$TMP/mn_res3.json" "$TMP/mn.csv" 2>/dev/null
            mn_why=$(mn_close "$TMP/mn_res3.json" "$TMP/mn_long2.json" 2>&1) &&
                ok "the same checkpoint resumed under 1 rank x 2 threads: the uninterrupted model to 1e-10" ||
                not_ok "resume under another shape" "$mn_why"
        else
            not_ok "a node dies mid-training: the kill must land mid-run" \
                "checkpoint $( [ -s "$mn_ck" ] && echo yes || echo no), node2 ranks '$mn_pids', job $mn_state, last epoch '$mn_last'; $(mn_tail "$mn_c")"
            on1 scancel "$mn_c" 2>/dev/null
        fi

        # the data file missing on node2 only (a mount over its directory there): every rank
        # exits 66 within seconds; the message names the host
        mkdir -p "$TMP/mn_hidden"
        cp "$ROOT/datasets/trees.csv" "$TMP/mn_hidden/trees.csv"
        nc exec node2 mount -t tmpfs -o size=1m none "$TMP/mn_hidden"
        mn_rc=0
        mn_t=$SECONDS
        mn_srun "$TMP/mn_hid.out" "$BIN" --quiet "$TMP/mn_hidden/trees.csv" || mn_rc=$?
        mn_took=$((SECONDS - mn_t))
        [ -s "$TMP/mn_hidden/trees.csv" ] && [ "$mn_rc" = 66 ] && [ "$mn_took" -le "$DEADLINE" ] &&
            grep -q "trees.csv: cannot open: No such file or directory (rank 2 on host node2)$" "$TMP/mn_hid.out" &&
            grep -q "node1: tasks 0-1: Exited with exit code 66$" "$TMP/mn_hid.out" &&
            grep -q "node2: tasks 2-3: Exited with exit code 66$" "$TMP/mn_hid.out" &&
            ok "data missing on node2 only: all 4 ranks exit 66 in ${mn_took}s, 'cannot open ... (rank 2 on host node2)'" ||
            not_ok "data missing on one node" "rc=$mn_rc after ${mn_took}s; $(tr '\n' '|' <"$TMP/mn_hid.out" | head -c 400)"
        nc exec node2 umount "$TMP/mn_hidden"

        # node2 short of memory (the test build's LINREG_TEST_MEM_AVAILABLE, set there only):
        # room for 1.5 of its 2 ranks' rows, so only a per-node count fails; the job as a whole
        # needs 4 ranks' worth, ceil(4 / 1.5) = 3 nodes of that size
        mn_need=$(awk -v b="$(stat -c %s "$TMP/mn.csv")" 'BEGIN { printf "%.0f", 20000 * 9 * 8 / 4 + 2 * b / 4 }')
        mn_mem=$(awk -v n="$mn_need" 'BEGIN { printf "%.0f", 1.5 * n / 0.9 }')
        # shellcheck disable=SC2016  # the wrapper's own expansions
        printf '#!/bin/sh\n[ "$(hostname)" != node2 ] || export LINREG_TEST_MEM_AVAILABLE=%s\nexec "%s" "$@"\n' \
            "$mn_mem" "$HOOKS_BIN" >"$TMP/mn_mem.sh"
        chmod +x "$TMP/mn_mem.sh"
        mn_rc=0
        mn_srun "$TMP/mn_mem.out" "$TMP/mn_mem.sh" --quiet "$TMP/mn.csv" || mn_rc=$?
        [ "$mn_rc" = 71 ] &&
            grep -q "mn.csv: the 2 ranks on this node need about .* GB .*; spread the job over at least 3 nodes (more ranks on one node do not help; rank 2 on host node2)$" "$TMP/mn_mem.out" &&
            grep -q "node1: tasks 0-1: Exited with exit code 71$" "$TMP/mn_mem.out" &&
            grep -q "node2: tasks 2-3: Exited with exit code 71$" "$TMP/mn_mem.out" &&
            ok "node2 with room for 1.5 ranks' rows, 2 ranks there: all ranks exit 71, 'at least 3 nodes', host node2" ||
            not_ok "memory counted per node" "rc=$mn_rc; $(tr '\n' '|' <"$TMP/mn_mem.out" | head -c 500)"
    fi

    # down, and nothing left: daemons, namespaces, the link
    if [ "$mn_up_rc" = 0 ]; then
        mn_holders=$(cat "$MN_DIR"/run/node*.ns.pid 2>/dev/null)
        nc down >"$TMP/mn_down.log" 2>&1
        mn_left=""
        for mn_pf in "$MN_DIR"/run/*.pid; do
            [ ! -e "$mn_pf" ] || mn_left="$mn_left $(basename "$mn_pf")"
        done
        for mn_p in $mn_holders; do
            ! kill -0 "$mn_p" 2>/dev/null || mn_left="$mn_left holder:$mn_p"
        done
        mn_tag=$(($(printf '%s' "$MN_DIR" | cksum | cut -d' ' -f1) % 100000))
        [ -n "$mn_holders" ] && [ -z "$mn_left" ] && ! pgrep -f "$MN_DIR/" >/dev/null &&
            ! ip -o link show | grep -q ": lr${mn_tag}[ab][@:]" &&
            ok "cluster torn down: no daemon, node or link left (all multinode tests: $((SECONDS - mn_start))s)" ||
            not_ok "cluster torn down" "left:$mn_left $(pgrep -af "$MN_DIR/" | head -2)"
    fi
    mn_down
    echo "$PASS $FAIL" >"$TMP/mn_counts"
)
add_counts "$TMP/mn_counts" "multinode: the tests stopped before their end (the cluster was brought down)"
