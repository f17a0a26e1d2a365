# bench_args.sh — sourced by the bench scripts: their --help and their two arguments.
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
