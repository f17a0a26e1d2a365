#!/usr/bin/env bash
# netns-cluster.sh -- a two-node Slurm cluster on this one machine, for testing jobs that
# cross a network: two "nodes", node1 and node2, each a network namespace with a hostname
# of its own (UTS namespace) and a mount namespace, joined by a veth pair.
#
# Usage: scripts/netns-cluster.sh up              make the nodes and the link, start munged,
#                                                 slurmctld (on node1) and one slurmd per
#                                                 node; wait until both nodes are idle
#        scripts/netns-cluster.sh down            cancel every job, stop the daemons, kill
#                                                 what still runs in the nodes, remove them
#        scripts/netns-cluster.sh env             print `export SLURM_CONF=...` (use with eval)
#        scripts/netns-cluster.sh exec NODE CMD...  run CMD on NODE (its network, hostname
#                                                 and mounts; the current directory kept)
#        scripts/netns-cluster.sh pids NODE [NAME]  the processes running on NODE (named NAME)
#
# Then, for example:
#     eval "$(scripts/netns-cluster.sh env)"
#     scripts/netns-cluster.sh exec node1 sbatch --nodes=2 --ntasks-per-node=1 \
#         slurm/train.sbatch datasets/trees.csv
#     scripts/netns-cluster.sh exec node1 mpirun --hostfile H --mca plm_rsh_agent \
#         scripts/netns-rsh.sh -n 2 bin/linreg_mpi datasets/trees.csv    (H: node1, node2)
# Client commands (sbatch, squeue, scontrol) run inside a node: the cluster's addresses
# exist on its link only, so this machine's own network cannot reach them.
#
# The network: node1 is 10.250.0.1/24 and node2 10.250.0.2/24 (LINREG_NETNS_NET=10.250.0
# changes the first three numbers), on the two ends of one veth pair and nowhere else;
# nothing is routed, and no other host is ever addressed. Each node has its own loopback,
# so the daemons use Slurm's usual ports (LINREG_SLURMCTLD_PORT, LINREG_SLURMD_PORT: 6817,
# 6818) without meeting a Slurm of this machine's own, or scripts/slurm-local.sh's.
# The file system is this machine's, shared by both nodes as on a cluster, except for
# /etc/hosts (each node's names both nodes; the machine's own file is not touched) and
# DIR/local, node-local scratch (PMIx's per-job files, which a real cluster keeps in each
# node's /tmp). A test hides a path from one node by mounting over it there
# (`exec node2 mount -t tmpfs none PATH`): the mount exists in that node only.
# One munged, one munge key (/etc/munge/munge.key) for both nodes.
#
# Needs root, iproute2, util-linux (unshare, nsenter) and what scripts/slurm-local.sh needs
# (it is sourced here for its pieces: the package check, munged, slurm.conf, stopping).
# Exit status 77 means this machine cannot run the cluster; callers treat that as "skip".
# Everything lives under LINREG_NETNS_DIR (default /tmp/linreg-netns): slurm.conf, state,
# logs (log/slurmctld.log, log/slurmd-node1.log, ...), pid files (run/node1.ns.pid holds
# the process that keeps node1's namespaces). `up` runs `down` first; `up` that fails
# brings down what it made.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LINREG_SLURM_DIR=${LINREG_NETNS_DIR:-/tmp/linreg-netns}
# shellcheck source=scripts/slurm-local.sh
source "$HERE/slurm-local.sh"
UP_TIMEOUT=${LINREG_NETNS_UP_TIMEOUT:-60}
NET=${LINREG_NETNS_NET:-10.250.0}
NODES=(node1 node2)
# the veth ends' names while they are still in this machine's namespace: one pair per DIR
TAG=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
VETH=(lr$((TAG % 100000))a lr$((TAG % 100000))b)

say() { echo "netns-cluster: $*"; }
die() { echo "netns-cluster: $1" >&2; exit "${2:-1}"; }

# node_pid NODE: the process that holds NODE's namespaces, when it runs and is NODE's
# (a stale pid file, or a pid taken by another process, gives nothing)
node_pid() {
    local pid
    pid=$(cat "$DIR/run/$1.ns.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" != "$(readlink /proc/$$/ns/net)" ] &&
        [ "$(nsenter -t "$pid" -u hostname 2>/dev/null)" = "$1" ] && echo "$pid"
}

# in_node NODE CMD...: CMD in NODE's namespaces, in the current directory
in_node() {
    local node=$1 pid
    shift
    pid=$(node_pid "$node") || die "no node '$node' (scripts/netns-cluster.sh up)"
    nsenter -t "$pid" -n -u -m --wd="$PWD" -- env SLURM_CONF="$CONF" "$@"
}

# the Slurm clients of slurm-local.sh's functions reach slurmctld from node1 (none without it)
client() { if node_pid node1 >/dev/null; then in_node node1 "$@"; fi; }

# start_node NODE: a process in new network, UTS and mount namespaces, with NODE's
# hostname, /etc/hosts and scratch directory, and its loopback up; it sleeps until `down`
start_node() {
    local node=$1 home=$DIR/nodes/$1
    mkdir -p "$home/local/pmix"
    {
        echo "127.0.0.1 localhost"
        echo "$NET.1 node1"
        echo "$NET.2 node2"
    } >"$home/hosts"
    rm -f "$home/ready"
    # (setsid from a background job does not fork: $! is the process in the namespaces)
    # shellcheck disable=SC2016  # the inner shell expands its own arguments
    setsid unshare --net --uts --mount --propagation private -- /bin/sh -c '
        hostname "$1" && mount --bind "$2/hosts" /etc/hosts && mount --bind "$2/local" "$3" &&
            ip link set lo up && echo ready >"$2/ready" && exec sleep infinity' \
        sh "$node" "$home" "$DIR/local" </dev/null >"$DIR/log/$node.ns.log" 2>&1 &
    echo $! >"$DIR/run/$node.ns.pid"
    for _ in $(seq 50); do
        [ -s "$home/ready" ] && node_pid "$node" >/dev/null && return 0
        sleep 0.1
    done
    die "node $node did not come up: $(cat "$DIR/log/$node.ns.log")"
}

# link_nodes: the veth pair, one end in each node, NET.N/24 on node N's end
link_nodes() {
    ip link add "${VETH[0]}" type veth peer name "${VETH[1]}"
    local k
    for k in 0 1; do
        ip link set "${VETH[$k]}" netns "$(node_pid "${NODES[$k]}")"
        in_node "${NODES[$k]}" ip addr add "$NET.$((k + 1))/24" dev "${VETH[$k]}"
        in_node "${NODES[$k]}" ip link set "${VETH[$k]}" up
    done
}

# remove_nodes: kill whatever still runs in each node (job steps, ranks, the holder), so
# that its namespaces and its end of the link go; then the link, if it never moved
remove_nodes() {
    local node pid pids
    for node in "${NODES[@]}"; do
        if pid=$(node_pid "$node"); then
            pids=$(pgrep --ns "$pid" --nslist net,uts || true)
            # shellcheck disable=SC2086  # a list of pids
            [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            say "removed $node"
        fi
        rm -f "$DIR/run/$node.ns.pid"
    done
    ip link del "${VETH[0]}" 2>/dev/null || true
}

up() {
    local why
    why=$(cannot_run | paste -sd ';' | sed 's/;/; /g')
    for c in unshare nsenter ip pgrep; do
        command -v "$c" >/dev/null 2>&1 || why="${why:+$why; }missing command: $c"
    done
    # a root without the capability (an unprivileged container) cannot make namespaces
    [ -n "$why" ] || unshare --net --uts --mount true 2>/dev/null ||
        why="cannot make network namespaces here (unshare --net --uts --mount fails)"
    [ -z "$why" ] || die "cannot run a local Slurm here: $why" 77
    export PATH=$PATH:/usr/sbin:/sbin
    down quiet
    rm -rf "$DIR/state" "$DIR/run" "$DIR/log" "$DIR/nodes"
    mkdir -p "$DIR/state/ctld" "$DIR/run" "$DIR/log" "$DIR/local"
    trap 'say "up failed; bringing down what it made" >&2; down quiet' EXIT
    # PMIx's per-job files on node-local scratch (a directory of the same name on both
    # nodes, as /tmp is on a cluster; slurmstepd on each node writes the same names there)
    echo "PMIxCliTmpDirBase=$DIR/local/pmix" >"$DIR/mpi.conf"
    local hw lines="" k
    hw=$(node_hardware)
    for k in 0 1; do
        lines+="NodeName=${NODES[$k]} NodeAddr=$NET.$((k + 1)) $hw State=UNKNOWN"$'\n'
    done
    slurm_conf "two nodes in network namespaces of this machine" "node1($NET.1)" "-%n" \
        "${lines%$'\n'}" "node1,node2" >"$CONF"
    start_munge
    for k in 0 1; do
        start_node "${NODES[$k]}"
        mkdir -p "$DIR/state/slurmd-${NODES[$k]}"
    done
    link_nodes
    in_node node1 slurmctld -f "$CONF" || die "slurmctld did not start; see $DIR/log/slurmctld.log"
    for k in 0 1; do
        in_node "${NODES[$k]}" slurmd -f "$CONF" -N "${NODES[$k]}" ||
            die "slurmd did not start on ${NODES[$k]}; see $DIR/log/slurmd-${NODES[$k]}.log"
    done
    local start=$SECONDS
    wait_idle
    trap - EXIT
    say "up: node1 ($NET.1) and node2 ($NET.2), $(client sinfo -h -N -o %c | head -n 1) CPUs each, idle after $((SECONDS - start))s"
    echo "export SLURM_CONF=$CONF"
}

# down [quiet]: the daemons (slurm-local.sh's stop_daemons, clients run on node1), then
# the nodes
down() {
    [ "$(id -u)" -eq 0 ] || die "needs root" 77
    export PATH=$PATH:/usr/sbin:/sbin
    stop_daemons quiet
    remove_nodes
    [ "${1:-}" = quiet ] || say "down"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    exec)
        [ $# -ge 3 ] || die "usage: $0 exec NODE CMD..." 2
        node=$2
        shift 2
        in_node "$node" "$@" ;;
    pids)
        [ $# -ge 2 ] || die "usage: $0 pids NODE [NAME]" 2
        pid=$(node_pid "$2") || die "no node '$2'"
        pgrep --ns "$pid" --nslist net,uts ${3:+-x "$3"} || true ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
