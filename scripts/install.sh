#!/usr/bin/env bash
# install.sh -- install linreg_mpi under a prefix the way cluster software is installed, and
# remove it again; `make install` and `make uninstall` run it from the source tree, after
# the build (bin/linreg_mpi, bin/gen_data).
#
# Usage: scripts/install.sh install   [--prefix DIR] [--destdir DIR]
#        scripts/install.sh uninstall [--prefix DIR] [--destdir DIR]
#
#   --prefix DIR   where the files live once installed (default /usr/local); a versioned
#                  prefix such as /opt/linreg_mpi/0.1.0 keeps versions side by side
#   --destdir DIR  a staging directory put in front of every path written (a package
#                  build's DESTDIR); the installed files name PREFIX, never DESTDIR
#
# The layout under PREFIX:
#   bin/linreg_mpi                      the program
#   bin/linreg-plot, bin/linreg-scaling scripts/plot.sh and scripts/scaling.sh, renamed
#   libexec/linreg_mpi/gen_data         the data generator linreg-scaling runs
#   share/linreg_mpi/slurm/             train.sbatch and scaling.sbatch
#   share/linreg_mpi/datasets/          small real datasets for a first try, and their README
#   share/linreg_mpi/modulefiles/linreg_mpi/VERSION.lua
#                                       the Lmod module: `module use` the modulefiles
#                                       directory (or copy the file into the site's tree)
#   share/linreg_mpi/install-manifest   every file and directory install wrote
#   share/doc/linreg_mpi/               README.md and docs/
#   share/man/man1/linreg_mpi.1         the manual page
#
# install records in the manifest the files it writes and the directories it had to create;
# uninstall removes exactly those (a directory only once it is empty: anything else put
# there stays, and is named). Installing again over an installation first removes the
# files of the earlier one, so that none it no longer has are left behind.
#
# Environment: CC (default mpicc), asked which Open MPI the build compiled against, for the
# modulefile's comment.
set -euo pipefail

ME=install.sh
die() { echo "$ME: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }

ACTION="" PREFIX=/usr/local DESTDIR=""
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage 0 ;;
    install | uninstall) ACTION=$1; shift; continue ;;
    --prefix | --destdir) [ $# -ge 2 ] || die "$1 needs a value" 2 ;;
    *) echo "$ME: unknown argument '$1'" >&2; usage ;;
    esac
    case $1 in
    --prefix) PREFIX=$2 ;;
    --destdir) DESTDIR=$2 ;;
    esac
    shift 2
done
[ -n "$ACTION" ] || usage
case $PREFIX in
/*) ;;
*) die "--prefix must be an absolute path (got '$PREFIX')" 2 ;;
esac
[[ $PREFIX != *[\"\\]* ]] || die "--prefix: no quotes or backslashes, please (it goes into a Lua string)" 2
PREFIX=${PREFIX%/}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=$DESTDIR$PREFIX
MANIFEST=share/linreg_mpi/install-manifest

# uninstall_files MANIFEST_TEXT: remove the files it lists (not its directories)
uninstall_files() {
    local kind rel
    while read -r kind rel; do
        [ "$kind" != f ] || rm -f "$DEST/$rel"
    done <<<"$1"
}

uninstall() {
    [ -f "$DEST/$MANIFEST" ] || die "no $DEST/$MANIFEST: nothing was installed there by make install"
    local list kind rel left=()
    list=$(<"$DEST/$MANIFEST")
    uninstall_files "$list"
    # then the directories, deepest first (they were recorded parents first)
    while read -r kind rel; do
        [ "$kind" = d ] || continue
        rmdir "$(at "$rel")" 2>/dev/null || { [ ! -d "$(at "$rel")" ] || left+=("$(at "$rel")"); }
    done < <(tac <<<"$list")
    echo "$ME: removed linreg_mpi from $DEST"
    [ ${#left[@]} -eq 0 ] || echo "$ME: kept, not empty (files install did not write): ${left[*]}"
}

# What install writes goes into NEW (the manifest to be), one "f PATH" or "d PATH" a line,
# PATH relative to PREFIX.
NEW=""

# at REL: the path written for PREFIX/REL (REL . is PREFIX itself)
at() { if [ "$1" = . ]; then echo "$DEST"; else echo "$DEST/$1"; fi; }

# mkd REL: the directory PREFIX/REL, recording each one created (PREFIX's own parents are
# created too, not recorded: they are not linreg_mpi's)
mkd() {
    local rel=$1
    [ ! -d "$(at "$rel")" ] || return 0
    if [ "$rel" = . ]; then mkdir -p "$(dirname "$DEST")"; else mkd "$(dirname "$rel")"; fi
    mkdir "$(at "$rel")"
    grep -qxF "d $rel" "$NEW" || echo "d $rel" >>"$NEW"
}

# put MODE SRC REL: the file SRC as PREFIX/REL
put() {
    mkd "$(dirname "$3")"
    install -m "$1" "$2" "$DEST/$3"
    echo "f $3" >>"$NEW"
}

# put_text REL TEXT: TEXT as the file PREFIX/REL (mode 644)
put_text() {
    mkd "$(dirname "$1")"
    printf '%s' "$2" >"$DEST/$1"
    chmod 644 "$DEST/$1"
    echo "f $1" >>"$NEW"
}

install_all() {
    local f version ompi
    cd "$ROOT"
    for f in bin/linreg_mpi bin/gen_data; do
        [ -x "$f" ] || die "$ROOT/$f is not built: run make first (make install does)"
    done
    version=$(sed -n 's/^#define LINREG_VERSION "\(.*\)"$/\1/p' src/cli.c)
    [ -n "$version" ] || die "no LINREG_VERSION in src/cli.c"
    # the Open MPI the build compiled against, as mpi.h says
    ompi=$(printf '#include <mpi.h>\nOMPI_MAJOR_VERSION.OMPI_MINOR_VERSION.OMPI_RELEASE_VERSION\n' |
        "${CC:-mpicc}" -E -P -x c - 2>/dev/null | tail -n 1 | tr -d ' ') || ompi=""
    [[ $ompi =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || ompi="(unknown: ${CC:-mpicc} -E gave no OMPI_*_VERSION)"

    NEW=$(mktemp)
    trap 'rm -f "$NEW"' EXIT
    if [ -f "$DEST/$MANIFEST" ]; then
        # the earlier installation's files go; its directories stay recorded
        grep '^d ' "$DEST/$MANIFEST" >"$NEW" || true
        uninstall_files "$(<"$DEST/$MANIFEST")"
    fi
    mkd .

    put 755 bin/linreg_mpi bin/linreg_mpi
    put 755 scripts/plot.sh bin/linreg-plot
    put 755 scripts/scaling.sh bin/linreg-scaling
    put 755 bin/gen_data libexec/linreg_mpi/gen_data
    for f in slurm/*.sbatch; do put 755 "$f" "share/linreg_mpi/$f"; done
    # the datasets and their references, each directory with its files (datasets/r_exports)
    while IFS= read -r f; do put 644 "$f" "share/linreg_mpi/$f"; done < <(find datasets -type f | sort)
    put 644 README.md share/doc/linreg_mpi/README.md
    while IFS= read -r f; do put 644 "$f" "share/doc/linreg_mpi/$f"; done < <(find docs -type f | sort)

    local text
    text=$(<man/linreg_mpi.1)
    put_text share/man/man1/linreg_mpi.1 "${text//@VERSION@/$version}"$'\n'
    text=$(<modulefiles/linreg_mpi.lua.in)
    text=${text//@VERSION@/$version}
    text=${text//@PREFIX@/$PREFIX}
    text=${text//@OMPI_VERSION@/$ompi}
    put_text "share/linreg_mpi/modulefiles/linreg_mpi/$version.lua" "$text"$'\n'

    echo "f $MANIFEST" >>"$NEW"
    mkd "$(dirname "$MANIFEST")"
    install -m 644 "$NEW" "$DEST/$MANIFEST"
    echo "$ME: installed linreg_mpi $version under $DEST ($(grep -c '^f ' "$NEW") files)"
    echo "$ME: to use it: module use $PREFIX/share/linreg_mpi/modulefiles; module load linreg_mpi/$version"
}

case $ACTION in
install) install_all ;;
uninstall) uninstall ;;
esac
