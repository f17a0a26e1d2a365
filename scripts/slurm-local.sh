#!/usr/bin/env bash
# slurm-local.sh -- a single-node Slurm cluster on this machine, for the tests and for
# trying slurm/*.sbatch on a workstation before submitting them to a real cluster.
#
# Usage: scripts/slurm-local.sh up       start munged, slurmctld and slurmd;
#                                        wait until the node is idle; print the SLURM_CONF line
#        scripts/slurm-local.sh down     cancel every job, stop the daemons this script
#                                        started (by their pid files), remove the pid files
#        scripts/slurm-local.sh status   is it up? sinfo and squeue when it is
#        scripts/slurm-local.sh env      print `export SLURM_CONF=...` (use with eval)
#
# Then, in the shell that submits:
#     eval "$(scripts/slurm-local.sh env)"
#     sbatch --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 slurm/train.sbatch datasets/trees.csv
#
# Needs root (the Slurm daemons run as root; munged, one of its own on a socket of its own
# in /run/munge, as the munge user) and the Debian packages
# slurmctld slurmd slurm-client munge, plus libpmix-dev for `srun --mpi=pmix`
# (scripts/install-deps.sh installs them). Exit status 77 means this machine cannot run
# a local Slurm (not root, or packages missing); callers treat that as "skip".
#
# Everything lives under LINREG_SLURM_DIR (default /tmp/linreg-slurm): slurm.conf,
# state, spool, logs (log/slurmctld.log, log/slurmd.log) and pid files. Each `up` empties
# the state first (a node left drained would stay drained across restarts); job ids start
# at a random number, so they do not repeat those of an earlier `up`. The partition is `local`,
# one node with this machine's CPUs; a job asking for more is refused at once.
# Ports: LINREG_SLURMCTLD_PORT (6817), LINREG_SLURMD_PORT (6818).
# The system's own Slurm configuration (/etc/slurm) is not touched.
set -euo pipefail

DIR=${LINREG_SLURM_DIR:-/tmp/linreg-slurm}
CONF=$DIR/slurm.conf
CTLD_PORT=${LINREG_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${LINREG_SLURMD_PORT:-6818}
UP_TIMEOUT=${LINREG_SLURM_UP_TIMEOUT:-60}   # seconds to wait for the node to become idle
# a munged of its own on a socket of its own: a system munged, or another local cluster
# (the tests bring one up beside a user's), is left alone
MUNGE_ID=linreg-slurm-$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
MUNGE_SOCK=/run/munge/$MUNGE_ID.socket
MUNGE_PID=/run/munge/$MUNGE_ID.pid
export SLURM_CONF=$CONF

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: $1" >&2; exit "${2:-1}"; }

# The reasons this machine cannot run a local Slurm, or nothing.
cannot_run() {
    [ "$(id -u)" -eq 0 ] || echo "needs root (the daemons run as root)"
    local c missing=()
    for c in slurmctld slurmd sbatch srun sinfo squeue scontrol scancel munged munge unmunge; do
        PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    [ ${#missing[@]} -eq 0 ] ||
        echo "missing commands: ${missing[*]} (apt-get install slurmctld slurmd slurm-client munge)"
    # Slurm's pmix plugin dlopens the unversioned libpmix.so, which libpmix-dev ships
    local libs plugin
    libs=$(ldconfig -p 2>/dev/null || true)
    plugin=$(compgen -G '/usr/lib/*/slurm-wlm/mpi_pmix.so' || true)
    if [ -n "$plugin" ] && ! grep -q 'libpmix\.so ' <<<"$libs"; then
        echo "srun --mpi=pmix needs libpmix.so (apt-get install libpmix-dev)"
    fi
    return 0
}

# alive PIDFILE: the process named in PIDFILE runs
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfiles NAME=PIDFILE...: SIGTERM to each (they take a second or two to shut down,
# so all at once), up to 10 s, then SIGKILL; remove the pid files
stop_pidfiles() {
    local arg name file pid
    local -a names=() pids=()
    for arg in "$@"; do
        name=${arg%%=*} file=${arg#*=}
        [ -e "$file" ] || continue
        pid=$(cat "$file" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
            names+=("$name") pids+=("$pid")
        fi
        rm -f "$file"
    done
    local k
    for k in "${!pids[@]}"; do
        for _ in $(seq 100); do
            kill -0 "${pids[$k]}" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "${pids[$k]}" 2>/dev/null; then
            say "${names[$k]} (${pids[$k]}) did not stop in 10 s; killing it"
            kill -KILL "${pids[$k]}" 2>/dev/null || true
        fi
        say "stopped ${names[$k]} (${pids[$k]})"
    done
}

munge_works() { munge -S "$MUNGE_SOCK" -n </dev/null 2>/dev/null | unmunge -S "$MUNGE_SOCK" >/dev/null 2>&1; }

start_munge() {
    [ -s /etc/munge/munge.key ] || {
        say "creating /etc/munge/munge.key"
        /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 0600 /etc/munge/munge.key
    }
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    rm -f "$MUNGE_PID" "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
    runuser -u munge -- /usr/sbin/munged --socket="$MUNGE_SOCK" --pid-file="$MUNGE_PID" \
        --seed-file="/var/lib/munge/$MUNGE_ID.seed" --log-file="/var/log/munge/$MUNGE_ID.log"
    for _ in $(seq 50); do
        munge_works && { say "started munged ($(cat "$MUNGE_PID"))"; return 0; }
        sleep 0.1
    done
    die "munged does not answer; see /var/log/munge/$MUNGE_ID.log"
}

# node_hardware: this machine as slurmd sees it (CPUs, sockets, cores, threads), for a
# NodeName line; memory is not scheduled
node_hardware() {
    local node
    node=$(slurmd -C | sed -n "s/^NodeName=[^ ]* //p" | sed 's/ RealMemory=[0-9]*//')
    echo "${node:-CPUs=$(nproc)}"
}

write_conf() {
    local host
    host=$(hostname -s)
    # PMIx's per-job files under DIR, not /tmp
    echo "PMIxCliTmpDirBase=$DIR/state/pmix" >"$DIR/mpi.conf"
    mkdir -p "$DIR/state/pmix"
    slurm_conf "one node, this machine" "$host(127.0.0.1)" "" \
        "NodeName=$host NodeAddr=127.0.0.1 $(node_hardware) State=UNKNOWN" "$host" >"$CONF"
}

# slurm_conf WHAT CTLD_HOST SLURMD_TAG NODE_LINES NODES: slurm.conf for a cluster of this
# script's kind (scripts/netns-cluster.sh writes its two-node one with it too); SLURMD_TAG
# goes into slurmd's pid file, log and spool names (-%n: one slurmd per node)
slurm_conf() {
    cat <<EOF
# Written by $(basename "$0") up: $1. Not for production.
ClusterName=linreg-local
SlurmctldHost=$2
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# munged's socket; a requeued job waits cred_expire seconds before it starts again (120)
AuthInfo=socket=$MUNGE_SOCK,cred_expire=5
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/slurmd$3
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd$3.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd$3.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: processes are tracked by parent pid, tasks bound with sched_setaffinity
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
SwitchType=switch/none
# no accounting (no slurmdbd): job states come from scontrol while the record is kept
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=900
# job ids start at a random number, not at 1: they do not repeat those of an earlier bring-up
# (runs/<id>) or of another local cluster running beside this one (PMIx's files use them)
FirstJobId=$(( (RANDOM << 15 | RANDOM) % 60000000 + 1000 ))
# reject a job that can never run instead of leaving it pending for ever
EnforcePartLimits=ALL
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
ReturnToService=2
KillWait=10
InactiveLimit=0
$4
PartitionName=local Nodes=$5 Default=YES MaxTime=INFINITE State=UP
EOF
}

# client CMD...: a Slurm client command (sinfo, squeue, scancel) that reaches slurmctld;
# scripts/netns-cluster.sh runs them inside a node
client() { "$@"; }

# node_state: the state of the nodes, "idle" when every one is
node_state() { client sinfo -h -N -o '%T' 2>/dev/null | sort -u | paste -sd , || true; }

# wait_idle: wait up to UP_TIMEOUT s for every node to become idle; else show the logs,
# stop the daemons and fail
wait_idle() {
    local start=$SECONDS state=""
    while [ $((SECONDS - start)) -lt "$UP_TIMEOUT" ]; do
        state=$(node_state)
        [ "$state" = idle ] && break
        sleep 0.2
    done
    if [ "$state" != idle ]; then
        say "the nodes are '${state:-not reported}' after ${UP_TIMEOUT}s; last log lines:" >&2
        tail -n 5 "$DIR/log/slurmctld.log" "$DIR"/log/slurmd*.log >&2 || true
        stop_daemons
        exit 1
    fi
}

up() {
    local why
    why=$(cannot_run | paste -sd ';' | sed 's/;/; /g')
    [ -z "$why" ] || die "cannot run a local Slurm here: $why" 77
    export PATH=$PATH:/usr/sbin:/sbin
    stop_daemons quiet
    rm -rf "$DIR/state" "$DIR/run" "$DIR/log"
    mkdir -p "$DIR/state/ctld" "$DIR/state/slurmd" "$DIR/run" "$DIR/log"
    write_conf
    start_munge
    slurmctld -f "$CONF" || die "slurmctld did not start; see $DIR/log/slurmctld.log"
    slurmd -f "$CONF" || die "slurmd did not start; see $DIR/log/slurmd.log"
    local start=$SECONDS
    wait_idle
    say "up: node $(hostname -s), $(sinfo -h -N -o %c | head -n 1) CPUs, idle after $((SECONDS - start))s"
    echo "export SLURM_CONF=$CONF"
}

# stop_daemons [quiet]: cancel the jobs, stop slurmd, slurmctld and munged
stop_daemons() {
    if alive "$DIR/run/slurmctld.pid"; then
        # running jobs would outlive slurmd (their slurmstepd is a daemon of its own)
        if [ -n "$(client squeue -h -o %i 2>/dev/null)" ]; then
            client scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
            for _ in $(seq 100); do
                [ -z "$(client squeue -h -o %i 2>/dev/null)" ] && break
                sleep 0.1
            done
        fi
    fi
    local f slurmds=()
    for f in "$DIR"/run/slurmd*.pid; do
        [ ! -e "$f" ] || slurmds+=("$(basename "$f" .pid)=$f")
    done
    stop_pidfiles ${slurmds[@]+"${slurmds[@]}"} slurmctld="$DIR/run/slurmctld.pid" munged="$MUNGE_PID"
    # munged's log joins the others; its seed goes
    if [ -e "/var/log/munge/$MUNGE_ID.log" ]; then
        [ ! -d "$DIR/log" ] || cp "/var/log/munge/$MUNGE_ID.log" "$DIR/log/munged.log" 2>/dev/null || true
        rm -f "/var/log/munge/$MUNGE_ID.log"
    fi
    rm -f "/var/lib/munge/$MUNGE_ID.seed"
    [ "${1:-}" = quiet ] || say "down"
}

down() {
    [ "$(id -u)" -eq 0 ] || die "needs root" 77
    export PATH=$PATH:/usr/sbin:/sbin
    stop_daemons
}

status() {
    if alive "$DIR/run/slurmctld.pid" && alive "$DIR/run/slurmd.pid"; then
        say "up (SLURM_CONF=$CONF)"
        sinfo
        squeue
    else
        say "down"
        return 1
    fi
}

# sourced (scripts/netns-cluster.sh): the functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
