#!/bin/sh
# netns-rsh.sh -- Open MPI's remote start (plm_rsh_agent) into scripts/netns-cluster.sh's
# nodes, in place of ssh: `mpirun --mca plm_rsh_agent scripts/netns-rsh.sh --hostfile H ...`
# Open MPI calls it as ssh: netns-rsh.sh HOST COMMAND-WORDS..., the words one shell
# command line; it runs there with mpirun's environment (LINREG_NETNS_DIR included).
host=$1
shift
exec "$(dirname "$0")/netns-cluster.sh" exec "$host" /bin/sh -c "$*"
