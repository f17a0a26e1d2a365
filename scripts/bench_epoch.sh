#!/usr/bin/env bash
# bench_epoch.sh — one training epoch: the fused kernel against a memory-read probe and numpy.
#
#   scripts/bench_epoch.sh [ROWS] [FEATURES]       (default 2000000 x 20)
#
# bin/bench_epoch times, on the same in-memory matrix, a plain read of every number (the
# bandwidth the epoch cannot beat) and gd_partials (the epoch kernel), with 1 and 2 threads.
# Where Debian's python3-numpy is installed, the same epoch in numpy (e = Xw + b − y,
# g = Xᵀe, e·e) on the same shape is timed too. Best of REPS runs. Prints figures; never fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench_args.sh
bench_args 2000000 20 "$@"
REPS=${REPS:-10}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "epoch benchmark: $(nproc) cores, $(date -u +%F)"
out=$(bin/bench_epoch --rows "$ROWS" --features "$FEATURES" --reps "$REPS" --threads 1,2)
echo "$out"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    np_ms=$(/usr/bin/python3 - "$ROWS" "$FEATURES" "$REPS" <<'PY'
import sys, time
import numpy as np
n, d, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
X = rng.random((n, d)) - 0.5
y = X[:, 0].copy()
w = 0.01 * np.arange(d)
best = 1e30
for _ in range(reps):
    t0 = time.perf_counter()
    e = X @ w + 0.5 - y
    g = X.T @ e
    s = (e.sum(), e @ e)
    best = min(best, time.perf_counter() - t0)
print("%.3f" % (1e3 * best))
PY
)
    echo "numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)') epoch (e = Xw + b - y, g = X'e, e.e): $np_ms ms"
    echo "$out" | awk -v np="$np_ms" '/^threads/ { for (i = 1; i <= NF; i++) if ($i == "kernel") k = $(i + 1);
        printf "  threads %s: kernel %.2fx faster than numpy\n", $2, np / k }'
else
    echo "numpy: not installed (apt-get install python3-numpy to compare)"
fi
