#!/usr/bin/env bash
# bench.sh — linreg_mpi end to end against pandas + scikit-learn on the same CSV.
#
#   scripts/bench.sh [ROWS] [FEATURES]      (default 1000000 x 20, about 275 MB)
#   make bench
#
# Generates a synthetic CSV (not kept), warms the page cache, then measures in the same
# run, best of REPS (default 3) runs each, so the ratios are fair on a shared machine:
#   linreg_mpi      the whole `mpirun -n P bin/linreg_mpi FILE` command (start-up, read,
#                   train to convergence with the defaults, model written), 1 and 2 ranks,
#                   one thread per rank; its --report gives the in-process time, ingest
#                   MB/s per core and epoch GB/s
#   pandas+sklearn  where Debian's python3-pandas and python3-sklearn are installed (this
#                   script installs nothing): pandas.read_csv + LinearRegression().fit
#                   in /usr/bin/python3 (set PYTHON to use another), the whole command
#                   (interpreter start and imports included) and the two calls alone
# and prints:
#   - each model's R² minus the exact least-squares R² (build/lstsq, else sklearn's)
#   - the time ratio pandas+sklearn / linreg_mpi, whole commands and in-process
#   - ingest MB/s per core and epoch GB/s against bin/bench_epoch's memory-read probe
#   - peak RSS per process (an extra untimed run under /usr/bin/time, or a wait4() in
#     Python without it) against the bytes of the rank's matrix, rows/ranks x (features+1) x 8
# Prints figures; a time never makes it fail.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 1000000 20 "$@"
REPS=${REPS:-3}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_setup all bin/linreg_mpi bin/gen_data bin/bench_epoch
CSV=$DIR/bench.csv
CORES=$(nproc)
OVER=()
[ "$CORES" -ge 2 ] || OVER=(--oversubscribe)
# peak RSS of each rank: GNU time, else a wait4() in Python, else none
RSSW=()
if [ -x /usr/bin/time ]; then
    RSSW=(/usr/bin/time -f 'peak_rss_kb %M')
elif [ -x "$PY" ]; then
    RSSW=("$PY" -c 'import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
sys.stderr.write("peak_rss_kb %d\n" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))')
fi

bin/gen_data --rows "$ROWS" --features "$FEATURES" --seed 7 "$CSV"
BYTES=$(stat -c %s "$CSV")
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$CSV" >/dev/null  # page cache: measure parsing, not the disk

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
echo "benchmark: $MB MB CSV, $ROWS rows x $((FEATURES + 1)) columns; $CORES cores (${cpu:-unknown CPU}), $mem;" \
    "$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null); $(date -u +%F); best of $REPS"

# the exact R²: build/lstsq (built here if missing: no install), else sklearn's below
exact=""
if [ -x build/lstsq ] || make --no-print-directory -s build/lstsq >/dev/null 2>&1; then
    exact=$(build/lstsq "$CSV" | awk '$1 == "r2" { print $2 }')
fi

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
jnum() { grep -o "\"$2\": [-0-9.eE+]*" "$1" | head -1 | awk '{ print $2 }'; }
phase() { awk -v k="\"$2\": {" 'index($0, k) { on = 1; next } on && /"max"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"; }

# linreg NP: REPS timed runs, then one under the RSS wrapper (so it cannot slow a timed
# one); prints "wall in_process r2 rss_kb ingest_mb_s epoch_gb_s epochs" of the fastest
# run, rss_kb the largest rank's (NA when there is no wrapper)
linreg() {
    local np=$1 best="" r t0 t1 rss=NA line
    local -a run=(mpirun "${OVER[@]}" --bind-to core -n "$np" -x OMP_NUM_THREADS=1)
    local -a args=(--quiet --threads 1 --report "$DIR/report.json" --model-out "$DIR/model.json" "$CSV")
    for ((r = 1; r <= REPS; r++)); do
        t0=$(now)
        "${run[@]}" bin/linreg_mpi "${args[@]}" 2>"$DIR/err" ||
            { echo "bench.sh: linreg_mpi failed:" >&2; cat "$DIR/err" >&2; exit 1; }
        t1=$(now)
        line="$(elapsed "$t0" "$t1") $(phase "$DIR/report.json" total) $(jnum "$DIR/model.json" r2)"
        line+=" RSS $(jnum "$DIR/report.json" ingest_mb_per_s) $(jnum "$DIR/report.json" epoch_gb_per_s)"
        line+=" $(jnum "$DIR/report.json" epochs)"
        best=$(printf '%s\n%s\n' "$best" "$line" | grep . | sort -g | head -1)
    done
    if [ ${#RSSW[@]} -gt 0 ] && "${run[@]}" "${RSSW[@]}" bin/linreg_mpi "${args[@]}" 2>"$DIR/err"; then
        rss=$(awk '/^peak_rss_kb/ { print $2 }' "$DIR/err" | sort -n | tail -1)
    fi
    echo "${best/RSS/${rss:-NA}}"
}
L1=$(linreg 1)
L2=$(linreg 2)

# pandas + scikit-learn
PD=""
if "$PY" -c 'import pandas, sklearn' 2>/dev/null; then
    for ((r = 1; r <= REPS; r++)); do
        t0=$(now)
        out=$("$PY" - "$CSV" <<'PY'
import resource, sys, time
import pandas as pd
from sklearn.linear_model import LinearRegression
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
t1 = time.perf_counter()
X, y = df.iloc[:, :-1].to_numpy(), df.iloc[:, -1].to_numpy()
model = LinearRegression().fit(X, y)
t2 = time.perf_counter()
r2 = model.score(X, y)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("%.3f %.3f %.3f %.17g %d %s %s" % (t2 - t0, t1 - t0, t2 - t1, r2, rss, pd.__version__,
                                          __import__("sklearn").__version__))
PY
)
        t1=$(now)
        PD=$(printf '%s\n%s\n' "$PD" "$(elapsed "$t0" "$t1") $out" | grep . | sort -g -k2 | head -1)
    done
    [ -n "$exact" ] || exact=$(awk '{ print $5 }' <<<"$PD")
fi

probe=$(bin/bench_epoch --rows "$ROWS" --features "$FEATURES" --reps 5 --threads 1,2 |
    awk '/^threads/ { p = 0; for (i = 1; i <= NF && !p; i++) if ($i == "probe")
        for (j = i + 1; j <= NF; j++) if ($j == "GB/s") { p = $(j - 1); break }
        printf "%s ", p }')

awk -v mb="$MB" -v rows="$ROWS" -v d="$FEATURES" -v exact="$exact" -v l1="$L1" -v l2="$L2" \
    -v pd="$PD" -v probe="$probe" -v py="$PY" 'BEGIN {
    split(l1, a); split(l2, b); split(pd, p); split(probe, q)
    hdr = "  %-33s %8s %11s %12s %11s %9s\n"
    printf hdr, "", "wall s", "in-proc s", "R2 - exact", "peak RSS", "/ matrix"
    row("linreg_mpi, 1 rank", a, 1)
    row("linreg_mpi, 2 ranks", b, 2)
    if (pd != "") {
        mat = rows * (d + 1) * 8
        printf "  %-33s %8.3f %11.3f %12s %8.1f MB %8.2fx\n", "pandas read_csv + sklearn fit", p[1], p[2],
            diff(p[5]), p[6] / 1024, p[6] * 1024 / mat
        printf "    (read_csv %.3f s, fit %.3f s; pandas %s, scikit-learn %s, %s)\n", p[3], p[4], p[7], p[8], py
        printf "  pandas+sklearn / linreg_mpi:  1 rank %.2fx (whole commands), %.2fx (in-process);" \
            "  2 ranks %.2fx, %.2fx\n", p[1] / a[1], p[2] / a[2], p[1] / b[1], p[2] / b[2]
    } else
        printf "  pandas + scikit-learn: not installed for %s (apt-get install python3-pandas python3-sklearn to compare)\n", py
    if (exact != "")
        printf "  exact least-squares R2 %.15f; within 1e-6: 1 rank %s, 2 ranks %s\n", exact,
            ok(a[3]), ok(b[3])
    printf "  ingest: 1 rank %.0f MB/s per core; 2 ranks %.0f MB/s, %.0f MB/s per core (%.2fx)\n",
        a[5], b[5], b[5] / 2, b[5] / a[5]
    printf "  epoch: 1 rank %.1f GB/s, read probe 1 thread %.1f GB/s (%.0f%%);" \
        " 2 ranks %.1f GB/s, probe 2 threads %.1f GB/s (%.0f%%)\n", a[6], q[1], 100 * a[6] / q[1],
        b[6], q[2], 100 * b[6] / q[2]
    printf "  epochs to convergence: %d (1 rank), %d (2 ranks)\n", a[7], b[7]
}
function diff(r) { return exact == "" ? "n/a" : sprintf("%.1e", r - exact) }
function ok(r) { if (exact == "") return "n/a"; e = r - exact; if (e < 0) e = -e; return e <= 1e-6 ? "yes" : "NO" }
function row(name, v, np,   mat) {
    mat = int((rows + np - 1) / np) * (d + 1) * 8
    if (v[4] == "NA")
        printf "  %-33s %8.3f %11.3f %12s %11s %9s\n", name, v[1], v[2], diff(v[3]), "n/a", "n/a"
    else
        printf "  %-33s %8.3f %11.3f %12s %8.1f MB %8.2fx\n", name, v[1], v[2], diff(v[3]), v[4] / 1024,
            v[4] * 1024 / mat
}'
[ ${#RSSW[@]} -gt 0 ] || echo "  peak RSS of linreg_mpi: n/a (neither /usr/bin/time nor $PY)"
echo "  wall s: the whole command (mpirun start-up; python start and imports); in-proc s: the"
echo "  report's total (slowest rank) and read_csv + fit; RSS per process, matrix = rows/ranks x $((FEATURES + 1)) x 8 B"
