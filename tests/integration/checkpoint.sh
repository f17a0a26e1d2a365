# checkpoint.sh — kill -9, crashes mid-write, signals and damaged files: a resumed run must
# end with the very model of an uninterrupted one.
#
# The runs stop at epoch EPOCHS, long before the iterates reach a fixed point (the weights
# still change in their last bits at every epoch there, which the first check below
# confirms), so that a resumed run that loses or repeats an epoch ends with other bits.
# They use column scaling (--precondition scale): the default sample preconditioner
# reaches the fixed point of this data in a few dozen epochs; its own resume is checked
# once, below, at an epoch before that point.

"$GEN" --rows 800000 --features 8 --kind hard --seed 9 "$TMP/ck.csv" 2>/dev/null
EPOCHS=300
CK_BASE=(--quiet --tol 0 --checkpoint-every 25 --precondition scale)
CK_OPTS=("${CK_BASE[@]}" --epochs $EPOCHS)
CK_LOUD=("${CK_BASE[@]/--quiet/--log-every=25}" --epochs $EPOCHS)  # for wait_for_epoch

# model_sans_timing MODEL: the model JSON without its timing field
model_sans_timing() { grep -v '"seconds"' "$1"; }

# start_bg NP THREADS BIN ARGS...: the job in a session of its own; sets BG to its id
# (mpirun's pid)
start_bg() {
    local np=$1 th=$2 bin=$3
    shift 3
    : >"$TMP/bg.out" && : >"$TMP/bg.err"  # now, not when the job starts: wait_for_epoch reads them
    setsid mpirun --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS="$th" -x LINREG_TEST_HOOK \
        "$bin" "$@" >"$TMP/bg.out" 2>"$TMP/bg.err" &
    BG=$!
}

# kill_job: kill -9 every process of the job. Open MPI puts each rank in a process group of
# its own, so killing mpirun's group leaves the ranks running on (they can finish the run
# and write more checkpoints); they stay in the session, so kill the session.
kill_job() {
    pkill -9 -s "$BG" 2>/dev/null
    wait "$BG" 2>/dev/null
    local k
    for ((k = 0; k < 100; k++)); do
        pgrep -s "$BG" >/dev/null || return 0
        sleep 0.05
    done
}

# resume_to_end NP THREADS CKPT MODEL: resume until the run completes (at most 5 tries);
# RESUMED_AT is the epoch the first try resumed after (its note on stderr)
resume_to_end() {
    local k
    RESUMED_AT=
    for k in 1 2 3 4 5; do
        lr "$1" "$2" "${CK_OPTS[@]/--quiet/--log-every=1000000}" --checkpoint "$3" --resume "$3" \
            --model-out "$4" "$TMP/ck.csv" >/dev/null 2>"$TMP/resume.err"
        local rc=$?
        [ -z "$RESUMED_AT" ] &&
            RESUMED_AT=$(sed -n 's/.*resuming from .* after epoch \([0-9]*\)$/\1/p' "$TMP/resume.err")
        [ "$rc" = 0 ] && return 0
    done
    return 1
}

# wait_for_epoch EPOCH: until the job started by start_bg with CK_LOUD has logged EPOCH
# (its log line comes just before that epoch's checkpoint), at most 30 s; fails if the job
# ended first. So a kill lands at an epoch, on a fast machine or a loaded one alike.
wait_for_epoch() {
    local k
    for ((k = 0; k < 1500; k++)); do
        cat "$TMP/bg.err" "$TMP/bg.out" 2>/dev/null |
            awk -v t="$1" '$1 == "epoch" && $2 + 0 >= t { f = 1 } END { exit !f }' && return 0
        kill -0 "$BG" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

# The premise: one epoch more or less changes the model's bits at EPOCHS.
lr 2 1 "${CK_OPTS[@]}" --model-out "$TMP/full21.json" "$TMP/ck.csv"
lr 2 1 "${CK_BASE[@]}" --epochs $((EPOCHS - 1)) --model-out "$TMP/less.json" "$TMP/ck.csv"
if [ "$(json_numbers "$TMP/less.json" epochs)" = $((EPOCHS - 1)) ] &&
    ! diff <(model_values "$TMP/full21.json") <(model_values "$TMP/less.json") >/dev/null; then
    ok "$((EPOCHS - 1)) and $EPOCHS epochs give other weights: the resume checks can see an epoch lost or repeated"
else
    not_ok "$((EPOCHS - 1)) and $EPOCHS epochs give the same weights: the resume checks below prove little"
fi

# Stopped by --epochs at a checkpoint, then resumed to EPOCHS: the uninterrupted model.
rm -f "$TMP/ck.bin"
lr 2 1 "${CK_BASE[@]}" --epochs 250 --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
lr 2 1 "${CK_OPTS[@]}" --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv" &&
    diff <(model_sans_timing "$TMP/full21.json") <(model_sans_timing "$TMP/part.json") >/dev/null &&
    ok "--epochs 250 with a checkpoint, resumed to $EPOCHS: bitwise the uninterrupted model" ||
    not_ok "--epochs 250 with a checkpoint, resumed to $EPOCHS: the models differ"

# The sample preconditioner (its factor stored in the checkpoint): stopped at epoch 8,
# resumed to 12, the uninterrupted model; 11 and 12 epochs differ, so a lost or repeated
# epoch would show.
PC=(--quiet --tol 0 --checkpoint-every 4)
lr 2 1 "${PC[@]}" --epochs 12 --model-out "$TMP/pc12.json" "$TMP/ck.csv"
lr 2 1 "${PC[@]}" --epochs 11 --model-out "$TMP/pc11.json" "$TMP/ck.csv"
rm -f "$TMP/pc.bin"
lr 2 1 "${PC[@]}" --epochs 8 --checkpoint "$TMP/pc.bin" --model-out "$TMP/pc8.json" "$TMP/ck.csv"
lr 2 1 "${PC[@]}" --epochs 12 --checkpoint "$TMP/pc.bin" --resume "$TMP/pc.bin" \
    --model-out "$TMP/pcr.json" "$TMP/ck.csv"
grep -q '"method": "sample"' "$TMP/pc12.json" &&
    ! diff <(model_values "$TMP/pc11.json") <(model_values "$TMP/pc12.json") >/dev/null &&
    diff <(model_sans_timing "$TMP/pc12.json") <(model_sans_timing "$TMP/pcr.json") >/dev/null &&
    ok "sample preconditioner: --epochs 8 with a checkpoint, resumed to 12: bitwise the uninterrupted model" ||
    not_ok "sample preconditioner resume" "$(diff <(model_sans_timing "$TMP/pc12.json") <(model_sans_timing "$TMP/pcr.json") | head -4)"

# Kill -9 the whole job once it has logged epoch 50, 150 or 250 (of 300: the last one after
# the checkpoint at 250 or 225), resume, compare bitwise; the checkpoint resumed from must
# be from before the end, or the test proves nothing.
# Three threads per rank run the threaded kernel (400,000 rows a rank: 98 parts).
for cfg in "1 1" "2 1" "2 3"; do
    read -r np th <<<"$cfg"
    [ -s "$TMP/full$np$th.json" ] ||  # 2 x 1: the premise's run
        lr "$np" "$th" "${CK_OPTS[@]}" --model-out "$TMP/full$np$th.json" "$TMP/ck.csv"
    for at in 50 150 250; do
        rm -f "$TMP/ck.bin"
        start_bg "$np" "$th" "$BIN" "${CK_LOUD[@]}" --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
        wait_for_epoch $at
        kill_job
        what="kill -9 after epoch $at of $EPOCHS, resume (np=$np, threads=$th)"
        if [ ! -s "$TMP/ck.bin" ]; then
            not_ok "$what" "no checkpoint was written yet"
            continue
        fi
        rm -f "$TMP/part.json"
        resume_to_end "$np" "$th" "$TMP/ck.bin" "$TMP/part.json"
        rc=$?
        if [ "$rc" != 0 ] || [ -z "$RESUMED_AT" ] || [ "$RESUMED_AT" -ge $EPOCHS ]; then
            not_ok "$what" "rc=$rc, resumed after epoch '${RESUMED_AT}' (the kill must land before epoch $EPOCHS) $(head -3 "$TMP/resume.err")"
        elif diff <(model_sans_timing "$TMP/full$np$th.json" | grep -v '"threads"') \
            <(model_sans_timing "$TMP/part.json" | grep -v '"threads"') >/dev/null; then
            ok "$what from epoch $RESUMED_AT: bitwise the uninterrupted model"
        else
            not_ok "$what from epoch $RESUMED_AT" "the models differ"
        fi
    done
done
# the threaded run is the single-threaded run, bit for bit
diff <(model_sans_timing "$TMP/full21.json" | grep -v '"threads"') \
    <(model_sans_timing "$TMP/full23.json" | grep -v '"threads"') >/dev/null &&
    ok "1 and 3 threads per rank: the same model bit for bit" ||
    not_ok "1 and 3 threads per rank give different models"

# Stream mode (--memory stream: each epoch reads the rows back from the scratch file, 7
# blocks a rank): kill -9 after epoch 150, resumed in stream mode: the resident model.
rm -f "$TMP/ck.bin" "$TMP/part.json"
STREAM=(--memory stream --block-rows 65536)
start_bg 2 1 "$BIN" "${CK_LOUD[@]}" "${STREAM[@]}" --checkpoint "$TMP/ck.bin" \
    --model-out "$TMP/part.json" "$TMP/ck.csv"
wait_for_epoch 150
kill_job
at=
for k in 1 2 3 4 5; do
    lr 2 1 "${CK_OPTS[@]/--quiet/--log-every=1000000}" "${STREAM[@]}" --checkpoint "$TMP/ck.bin" \
        --resume "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv" >/dev/null 2>"$TMP/resume.err" &&
        break
done
at=$(sed -n 's/.*resuming from .* after epoch \([0-9]*\)$/\1/p' "$TMP/resume.err")
if [ -n "$at" ] && [ "$at" -lt $EPOCHS ] && grep -q '"memory": "stream"' "$TMP/part.json" &&
    diff <(model_sans_timing "$TMP/full21.json" | grep -v '"memory"') \
        <(model_sans_timing "$TMP/part.json" | grep -v '"memory"') >/dev/null; then
    ok "--memory stream: kill -9 after epoch 150, resumed from epoch $at: bitwise the resident model"
else
    not_ok "--memory stream kill -9 and resume" "resumed after epoch '$at' $(head -3 "$TMP/resume.err")"
fi

# a crash in the middle of the 3rd checkpoint write leaves the 2nd one, valid
rm -f "$TMP/ck.bin"
LINREG_TEST_HOOK=crash-mid-write:3 start_bg 2 1 "$HOOKS_BIN" "${CK_OPTS[@]}" --checkpoint "$TMP/ck.bin" \
    --model-out "$TMP/part.json" "$TMP/ck.csv"
wait "$BG" 2>/dev/null
rc=$?
rm -f "$TMP/part.json"
# (the half-written temporary file next to it shows the crash came mid-write)
[ "$rc" -ne 0 ] && [ -s "$TMP/ck.bin" ] && ls "$TMP"/ck.bin.tmp.* >/dev/null 2>&1 &&
    resume_to_end 2 1 "$TMP/ck.bin" "$TMP/part.json" &&
    diff <(model_sans_timing "$TMP/full21.json") <(model_sans_timing "$TMP/part.json") >/dev/null &&
    ! ls "$TMP"/ck.bin.tmp.* >/dev/null 2>&1 &&
    ok "crash mid-write of a checkpoint: the previous one is intact, resumes bitwise, debris removed" ||
    not_ok "crash mid-write of a checkpoint" "rc=$rc $(ls "$TMP" | grep ck.bin | tr '\n' ' ')"

# resumed with another rank or thread count: equal to 1e-10
rm -f "$TMP/ck.bin"
start_bg 2 1 "$BIN" "${CK_LOUD[@]}" --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
wait_for_epoch 150
kill_job
cp "$TMP/ck.bin" "$TMP/ck_saved.bin"
model_values "$TMP/full21.json" >"$TMP/want.txt"
for cfg in "1 1" "3 1" "2 3"; do
    read -r np th <<<"$cfg"
    cp "$TMP/ck_saved.bin" "$TMP/ck.bin"
    resume_to_end "$np" "$th" "$TMP/ck.bin" "$TMP/part.json"
    model_values "$TMP/part.json" >"$TMP/got.txt"
    why=$(values_close "$TMP/got.txt" "$TMP/want.txt" 1e-10) &&
        [ "$(json_numbers "$TMP/part.json" epochs)" = $EPOCHS ] && [ "${RESUMED_AT:-$EPOCHS}" -lt $EPOCHS ] &&
        ok "resumed under $np ranks x $th threads from epoch $RESUMED_AT: the model to 1e-10" ||
        not_ok "resumed under $np ranks x $th threads" "$why (resumed after epoch '${RESUMED_AT}')"
done

# signals: stop at the end of the epoch, write a checkpoint, exit 75, print the resume command
for sig in TERM USR1; do
    rm -f "$TMP/ck.bin"
    start_bg 2 1 "$BIN" "${CK_LOUD[@]}" --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
    wait_for_epoch 100
    if [ $sig = TERM ]; then
        pkill -TERM -f "^$BIN .*$TMP/ck.csv"  # the ranks, as srun and Slurm signal them
    else
        kill -USR1 "$BG"                     # mpirun forwards SIGUSR1 to the ranks
    fi
    wait "$BG"
    rc=$?
    rm -f "$TMP/part.json"
    [ "$rc" = 75 ] && grep -q "stopped by SIG$sig after epoch [0-9]*; checkpoint written to $TMP/ck.bin" "$TMP/bg.err" &&
        grep -q "resume with: mpirun -n 2 .* --resume $TMP/ck.bin" "$TMP/bg.err" &&
        resume_to_end 2 1 "$TMP/ck.bin" "$TMP/part.json" &&
        diff <(model_sans_timing "$TMP/full21.json") <(model_sans_timing "$TMP/part.json") >/dev/null &&
        ok "SIG$sig: exit 75, checkpoint, resume command; the resumed model is bitwise the same" ||
        not_ok "SIG$sig" "rc=$rc $(head -3 "$TMP/bg.err")"
done

# the auto stopping rule's state survives a stop: same epochs, same model
lr 2 1 --quiet --model-out "$TMP/auto_full.json" "$TMP/ck.csv"
rm -f "$TMP/ck.bin"
lr 2 1 --quiet --epochs 60 --checkpoint "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
lr 2 1 --quiet --checkpoint "$TMP/ck.bin" --resume "$TMP/ck.bin" --model-out "$TMP/part.json" "$TMP/ck.csv"
diff <(model_sans_timing "$TMP/auto_full.json") <(model_sans_timing "$TMP/part.json") >/dev/null &&
    ok "default stopping: stop at epoch 60, resume without --epochs, same model bitwise" ||
    not_ok "default stopping rule across a resume"

# damaged or foreign checkpoints: exit 65 (66 if missing) naming what is wrong. Refusing
# one needs no large data and no long run: 20,000 rows and a checkpoint after 10 epochs.
"$GEN" --rows 20000 --features 8 --kind hard --seed 9 "$TMP/sm.csv" 2>/dev/null
R=(--quiet --tol 0 --epochs $EPOCHS --precondition scale --model-out "$TMP/x.json")
lr 2 1 --quiet --tol 0 --epochs 10 --precondition scale --checkpoint "$TMP/good.bin" --model-out "$TMP/x.json" "$TMP/sm.csv"
size=$(stat -c %s "$TMP/good.bin")
head -c $((size - 9)) "$TMP/good.bin" >"$TMP/truncated.bin"
flip() {  # flip FILE OFFSET: invert one byte
    local b
    b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
cp "$TMP/good.bin" "$TMP/flipped.bin" && flip "$TMP/flipped.bin" $((size / 2))
cp "$TMP/good.bin" "$TMP/magic.bin" && flip "$TMP/magic.bin" 0
cp "$TMP/good.bin" "$TMP/version.bin" && printf '\x63' | dd of="$TMP/version.bin" bs=1 seek=8 conv=notrunc status=none
"$GEN" --rows 10001 --features 8 --kind hard --seed 9 "$TMP/other_rows.csv" 2>/dev/null
"$GEN" --rows 20000 --features 8 --kind hard --seed 10 "$TMP/other_values.csv" 2>/dev/null
expect_fail "checkpoint truncated" 65 "checkpoint is truncated" 2 "${R[@]}" --resume "$TMP/truncated.bin" "$TMP/sm.csv"
expect_fail "checkpoint with a flipped byte" 65 "checkpoint is corrupt: checksum [0-9a-f]*, expected [0-9a-f]*; train afresh without --resume, or resume from an intact copy" 2 "${R[@]}" --resume "$TMP/flipped.bin" "$TMP/sm.csv"
expect_fail "checkpoint with a bad magic number" 65 "not a linreg_mpi checkpoint" 2 "${R[@]}" --resume "$TMP/magic.bin" "$TMP/sm.csv"
expect_fail "checkpoint of another format version" 65 "checkpoint format version 99; this linreg_mpi reads version 6; resume with the linreg_mpi that wrote it, or train afresh without --resume" 2 "${R[@]}" --resume "$TMP/version.bin" "$TMP/sm.csv"
expect_fail "checkpoint of other data (rows)" 65 "made from other data: 20000 rows, this data has 10001" 2 "${R[@]}" --resume "$TMP/good.bin" "$TMP/other_rows.csv"
expect_fail "checkpoint of other data (values)" 65 "made from other data: the values of column 'y' differ (same rows and columns); resume on the data it was made from, or train afresh without --resume" 2 "${R[@]}" --resume "$TMP/good.bin" "$TMP/other_values.csv"
expect_fail "checkpoint of other data (columns)" 65 "made from other data: 8 features, this data has 7" 2 "${R[@]}" --drop x8 --resume "$TMP/good.bin" "$TMP/sm.csv"
lr 2 1 --quiet --tol 0 --epochs 5 --validation-split 0.2 --checkpoint "$TMP/vs.bin" --model-out "$TMP/x.json" "$TMP/sm.csv"
lr 2 1 --quiet --tol 0 --epochs 5 --checkpoint "$TMP/e5.bin" --model-out "$TMP/x.json" "$TMP/sm.csv"
lr 2 1 --tol 0 --epochs 3 --seed 5 --resume "$TMP/e5.bin" --model-out "$TMP/x.json" "$TMP/sm.csv" 2>"$TMP/err" &&
    grep -q "warning: the checkpoint is past --epochs 3: no epoch left to run" "$TMP/err" &&
    ok "resume: --seed without a split is accepted; --epochs below the checkpoint's epoch warns" ||
    not_ok "resume with --seed and no split, or --epochs below" "$(head -2 "$TMP/err")"
{ head -1 "$TMP/sm.csv"; tail -n +2 "$TMP/sm.csv" | tac; } >"$TMP/reversed.csv"
expect_fail "checkpoint of the same rows in another order" 65 "made from other data: the same rows in another order" 2 "${R[@]}" --resume "$TMP/good.bin" "$TMP/reversed.csv"
expect_fail "checkpoint made with other options (--lr)" 65 "made with other options: --lr auto, now 0.1; resume with the options it was made with, or train afresh without --resume" 2 "${R[@]}" --lr 0.1 --resume "$TMP/good.bin" "$TMP/sm.csv"
expect_fail "checkpoint made with other options (--seed, with a split)" 65 "made with other options: --seed 1, now 5" 2 "${R[@]}" --validation-split 0.2 --seed 5 --resume "$TMP/vs.bin" "$TMP/sm.csv"
expect_fail "checkpoint made with other options" 65 "made with other options: --l2 0, now 0.5" 2 "${R[@]}" --l2 0.5 --resume "$TMP/good.bin" "$TMP/sm.csv"
expect_fail "checkpoint made with other options (scaling)" 65 "made with other options: scaling, now --no-scale" 2 "${R[@]}" --no-scale --resume "$TMP/good.bin" "$TMP/sm.csv"
expect_fail "missing checkpoint" 66 "cannot read the checkpoint: No such file" 2 "${R[@]}" --resume "$TMP/nope.bin" "$TMP/sm.csv"
expect_fail "unwritable checkpoint directory" 74 "cannot write the checkpoint here" 2 "${R[@]}" --checkpoint "$TMP/no/dir/ck.bin" "$TMP/sm.csv"
