# bench_args.sh — sourced by the bench scripts: their --help and their two arguments, the
# check that what they run is built, and their scratch directory.
#
# bench_args DEFAULT_ROWS DEFAULT_FEATURES "$@": sets ROWS and FEATURES; --help prints the
# calling script's header comment and exits 0; anything else than two whole numbers >= 1
# is a usage error (exit 2).
bench_args() {
    local rows=$1 features=$2 me
    me=$(basename "$0")
    shift 2
    case "${1:-}" in
    -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0 ;;
    esac
    ROWS=${1:-$rows} FEATURES=${2:-$features}
    if [ $# -gt 2 ] || [[ ! $ROWS =~ ^[1-9][0-9]*$ ]] || [[ ! $FEATURES =~ ^[1-9][0-9]*$ ]]; then
        echo "$me: usage: $me [ROWS] [FEATURES] (whole numbers >= 1); $me --help" >&2
        exit 2
    fi
}

# bench_setup "MAKE TARGETS" FILE...: exit 2 unless every FILE is built (naming the make
# command that builds them); sets DIR to a scratch directory removed on exit
bench_setup() {
    local targets=$1 f
    shift
    for f in "$@"; do
        [ -x "$f" ] || { echo "$(basename "$0"): $f not built: run make $targets" >&2; exit 2; }
    done
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/linreg_bench.XXXXXX")
    trap 'rm -rf "$DIR"' EXIT
}
