#!/usr/bin/env bash
# install-deps.sh -- install the Debian packages linreg_mpi needs to build,
# test and plot (idempotent).
#
# For each package in LINREG_DEPS (with --tests also LINREG_DEPS_TESTS, the
# local Slurm the tests run jobs on, iproute2 for the link of the two-node one, and Lmod
# and man, which the installation test loads the module and renders the manual page
# with; plus any names in the
# LINREG_DEPS_EXTRA environment variable, space separated) it asks dpkg
# whether the package is installed.  If all of them are, it prints one short line and exits 0
# without touching apt.  Otherwise it installs only the missing ones:
#   - as root:            apt-get update -qq && apt-get install ...
#   - not root, sudo ok:  the same through `sudo -n` (or plain `sudo` when a
#                         terminal is attached and a password may be asked)
#   - otherwise:          prints the missing packages and the exact command
#                         to run, and exits 1.
#
# Usage: scripts/install-deps.sh [--tests]
#        LINREG_DEPS_EXTRA="pkg1 pkg2" scripts/install-deps.sh
set -euo pipefail

# The project's Debian dependencies; add new ones here.
LINREG_DEPS="openmpi-bin libopenmpi-dev libcsv-dev libcunit1-dev libjansson-dev zlib1g-dev libzstd-dev libxxhash-dev g++ libfast-float-dev gnuplot-nox liblapacke-dev libopenblas-dev libgsl-dev"
LINREG_DEPS_TESTS="slurmctld slurmd slurm-client munge libpmix-dev lmod man-db python3-statsmodels python3-sklearn iproute2"

case "${1:-}" in
'') ;;
--tests) LINREG_DEPS="$LINREG_DEPS $LINREG_DEPS_TESTS" ;;
-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "install-deps: unknown argument '$1' (usage: scripts/install-deps.sh [--tests])" >&2; exit 2 ;;
esac

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing_packages() {
    local pkg
    for pkg in $LINREG_DEPS ${LINREG_DEPS_EXTRA:-}; do
        is_installed "$pkg" || printf '%s\n' "$pkg"
    done
}

# Prints the privilege prefix to use ("" for root, "sudo -n", "sudo"),
# or returns 1 when there is no way to become root.
root_prefix() {
    if [ "$(id -u)" -eq 0 ]; then
        printf '%s' ""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        printf '%s' "sudo -n"
    elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
        printf '%s' "sudo"
    else
        return 1
    fi
}

main() {
    local missing prefix
    missing="$(missing_packages | tr '\n' ' ' | sed 's/ *$//')"
    if [ -z "$missing" ]; then
        echo "install-deps: all dependencies already installed"
        exit 0
    fi
    local cmd="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing"
    if ! prefix="$(root_prefix)"; then
        echo "install-deps: missing packages: $missing" >&2
        echo "install-deps: cannot become root; run as root:" >&2
        echo "  $cmd" >&2
        exit 1
    fi
    echo "install-deps: installing: $missing"
    # $prefix and $missing are intentionally word-split.
    # shellcheck disable=SC2086
    $prefix apt-get update -qq
    # shellcheck disable=SC2086
    $prefix env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends $missing
}

main
