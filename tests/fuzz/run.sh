#!/usr/bin/env bash
# run.sh — build and run the libFuzzer targets of the CSV reader and the number parser.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]        (from anywhere; `make fuzz`)
#   SECONDS  how long to fuzz each target (default 60); 0 only replays the corpus (a quick
#            regression check: the seeds and the regress_* reproducers must all pass)
#   TARGET   reader, numparse or both (default both, reader first); reader_fast: the
#            reader target built with -DFUZZ_FAST_PATH_ONLY, which checks only the fast path
#            for plain lines against libcsv alone (five to ten times the executions per second,
#            for long runs on that invariant; the reader target checks it too)
#   FUZZ_FLAGS="..."  extra libFuzzer options, e.g. FUZZ_FLAGS="-jobs=1 -workers=1" (each
#            job's log is then build/fuzz/fuzz-N.log)
#
# Targets (see the header of each for the input format and the invariants checked):
#   tests/fuzz/fuzz_reader.c    csv_read_head + csv_read_range: 1/2/3 threads, tiny blocks,
#                               a split into ranks, and the fast path against libcsv alone
#                               must agree bit for bit; an oracle
#   tests/fuzz/fuzz_numparse.c  num_parse against strtod and a grammar matcher
# Built with clang through mpicc (the project's compiler wrapper) with ASan, UBSan (aborting) and
# LeakSanitizer into build/fuzz/. Needs the Debian packages clang, libclang-rt-14-dev
# (libFuzzer and sanitizer runtimes) and libomp-14-dev (clang's OpenMP), plus libcsv-dev
# and libopenmpi-dev.
#
# The committed seeds (tests/fuzz/corpus/TARGET/) are copied into the working corpus
# build/fuzz/corpus/TARGET/, which keeps growing from run to run; the committed corpus is
# never written. A crash, leak, UB or failed invariant leaves its input in
# build/fuzz/artifacts/ and makes this script exit 1; reproduce it with
#   build/fuzz/fuzz_reader build/fuzz/artifacts/reader-crash-...
# and, once fixed, keep it as tests/fuzz/corpus/reader/regress_WHAT.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(reader numparse)
case $SECS in '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number" >&2; exit 2 ;; esac

OUT=build/fuzz
mkdir -p "$OUT/artifacts"
export OMPI_CC=clang  # mpicc's include and link flags, clang's sanitizers and libFuzzer
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fopenmp
        -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Wall -Wextra
        -Wno-unused-parameter)

echo "== building the fuzz targets into $OUT/"
# A second copy of csv_reader.c whose block size and first head read size are variables
# (fuzz_block_per_thread, fuzz_head_cap: chosen per input), with renamed entry points, so
# that small files span many blocks and many reads.
sed -e 's/^#define BLOCK_PER_THREAD .*/int fuzz_block_per_thread = 8 << 20, fuzz_head_cap = 1 << 16;\n#define BLOCK_PER_THREAD ((size_t)fuzz_block_per_thread)/' \
    -e 's/size_t cap = 1 << 16, len = 0;/size_t cap = (size_t)fuzz_head_cap, len = 0;/' \
    src/csv_reader.c >"$OUT/csv_reader_sb.c"
if ! grep -q '^#define BLOCK_PER_THREAD ((size_t)fuzz_block_per_thread)' "$OUT/csv_reader_sb.c" ||
   ! grep -q 'size_t cap = (size_t)fuzz_head_cap' "$OUT/csv_reader_sb.c"; then
    echo "run.sh: BLOCK_PER_THREAD or read_lines' 'size_t cap = 1 << 16' not found in" \
         "src/csv_reader.c: update the sed above" >&2
    exit 2
fi
mpicc "${CFLAGS[@]}" -Dcsv_read_range=csv_read_range_sb -Dcsv_shard_free=csv_shard_free_sb \
    -Dcsv_read_head=csv_read_head_sb -Dcsv_head_free=csv_head_free_sb \
    -c "$OUT/csv_reader_sb.c" -o "$OUT/csv_reader_sb.o"
# its other entry points (csv_reader_open, csv_shard_append, ...) weak: the targets link
# src/csv_reader.c's
objcopy --weaken "$OUT/csv_reader_sb.o"
mpicc "${CFLAGS[@]}" -DFUZZ_SMALL_BLOCKS tests/fuzz/fuzz_reader.c src/csv_reader.c \
    src/numparse.c src/scan.c src/shard.c src/error.c src/encode.c src/comm.c "$OUT/csv_reader_sb.o" \
    -o "$OUT/fuzz_reader" -lcsv -ljansson -lm
mpicc "${CFLAGS[@]}" -DFUZZ_SMALL_BLOCKS -DFUZZ_FAST_PATH_ONLY tests/fuzz/fuzz_reader.c \
    src/csv_reader.c src/numparse.c src/scan.c src/shard.c src/error.c src/encode.c src/comm.c \
    "$OUT/csv_reader_sb.o" \
    -o "$OUT/fuzz_reader_fast" -lcsv -ljansson -lm
mpicc "${CFLAGS[@]}" tests/fuzz/fuzz_numparse.c src/numparse.c -o "$OUT/fuzz_numparse" -lm

# libomp spins for 200 ms after each parallel region by default: not on a shared machine.
export KMP_BLOCKTIME=0 OMP_WAIT_POLICY=passive
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${TARGETS[@]}"; do
    case $t in
    reader | reader_fast) max_len=4096 ;;
    numparse) max_len=1024 ;;
    *) echo "run.sh: unknown target '$t' (reader, reader_fast, numparse)" >&2; exit 2 ;;
    esac
    work=$OUT/corpus/$t
    mkdir -p "$work"
    cp -f tests/fuzz/corpus/"${t%_fast}"/* "$work"/
    if [ "$SECS" -eq 0 ]; then
        limit=(-runs=0)
    else
        limit=(-max_total_time="$SECS")
    fi
    if [ "$t" = reader ]; then
        # the adversarial corpus (tests/adversarial/) as fuzz inputs: option bytes for the
        # header, ',' or ';', each --on-bad-row mode and layout (byte 1's bit 7, unused
        # now, with layouts 1 and 3), 11-byte blocks, then the file's first 4 KiB; the
        # replay checks every invariant on them (fast path against libcsv alone included)
        adv=$OUT/adversarial
        rm -rf "$adv" && mkdir -p "$adv"
        for f in tests/adversarial/*.csv; do
            b=$(basename "$f" .csv)
            delim=0 && case $b in semicolon*) delim=1 ;; esac
            for o in 0 8 16 40 56; do
                opts=$(printf '\\x%02x\\x%02x\\x05' $((o | 4 | delim)) $(((o & 16) ? 0xaa : 0x2a)))
                printf "$opts" >"$adv/$b-$o"
                head -c 4096 "$f" >>"$adv/$b-$o"
            done
        done
        echo "== fuzz_reader: replaying tests/adversarial/ ($(ls "$adv" | wc -l) inputs)"
        (cd "$OUT" && exec ./fuzz_reader -runs=0 -artifact_prefix=artifacts/adversarial- \
            adversarial) >"$OUT/adversarial.log" 2>&1 || {
            echo "   FAILED: the end of $OUT/adversarial.log:"
            tail -n 40 "$OUT/adversarial.log" | sed 's/^/   | /'
            status=1
        }
    fi
    log=$OUT/$t.log
    echo "== fuzz_$t: ${SECS}s, corpus $work (log $log)"
    rc=0
    # in $OUT, so that what libFuzzer writes to its working directory (fuzz-N.log of each
    # job under -jobs, crash-*, leak-*, timeout-* without -artifact_prefix) stays there too
    # shellcheck disable=SC2086
    (cd "$OUT" && exec "./fuzz_$t" "${limit[@]}" -max_len=$max_len -timeout=30 \
        -rss_limit_mb=4096 -dict="$ROOT/tests/fuzz/${t%_fast}.dict" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t-" ${FUZZ_FLAGS:-} "corpus/$t") >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    echo "   executions: ${runs:-?}   last status: ${last:-none}"
    if [ "$rc" -ne 0 ]; then
        echo "   FAILED (libFuzzer exit $rc): the end of $log:"
        tail -n 40 "$log" | sed 's/^/   | /'
        ls -1 "$OUT"/artifacts/"$t"-* 2>/dev/null | sed 's/^/   artifact: /' || true
        status=1
    fi
done
exit $status
