# failures.sh — one rank fails at one phase (LINREG_TEST_FAIL in the test build): every rank
# must leave together, with the right code, in seconds, and leave nothing half-written (the
# report comes after the model, so a failed report leaves a complete model behind).

"$GEN" --rows 30000 --features 4 --seed 41 "$TMP/f.csv" 2>/dev/null
lr 3 1 --quiet --tol 0 --epochs 20 --checkpoint "$TMP/f_ck.bin" --model-out "$TMP/f_ok.json" "$TMP/f.csv"
lr 3 1 --quiet --model-out "$TMP/f_model.json" "$TMP/f.csv"

# one_fails PHASE RANK CODE PATTERN ARGS...: 3 ranks, RANK fails at PHASE
one_fails() {
    local phase=$1 rank=$2 code=$3 pattern=$4 start=$SECONDS rc=0
    shift 4
    rm -f "$TMP/f_out.json" "$TMP/f_pred.csv"
    timeout 20 mpirun --oversubscribe --bind-to none -n 3 -x OMP_NUM_THREADS=1 \
        -x LINREG_TEST_FAIL="$phase:$rank" "$HOOKS_BIN" "$@" </dev/null >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
    local took=$((SECONDS - start))
    if [ "$rc" -ne "$code" ]; then
        not_ok "rank $rank fails at $phase: exit $rc, expected $code" "$(head -2 "$TMP/f.err")"
    elif ! grep -q -- "$pattern" "$TMP/f.err"; then
        not_ok "rank $rank fails at $phase: message" "$(head -2 "$TMP/f.err")"
    elif [ "$took" -gt "$DEADLINE" ]; then
        not_ok "rank $rank fails at $phase: took ${took}s"
    elif { [ -e "$TMP/f_out.json" ] && [ "$phase" != report ]; } || [ -e "$TMP/f_pred.csv" ] ||
        ls "$TMP"/f_pred.csv.tmp.* "$TMP"/f_out.json.tmp.* >/dev/null 2>&1; then
        not_ok "rank $rank fails at $phase: an output was left behind"
    else
        ok "rank $rank of 3 fails at $phase: all exit $code in ${took}s, nothing half-written"
    fi
}
T=(--quiet --model-out "$TMP/f_out.json")
one_fails open 1 66 "f.csv: cannot open: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails open 0 66 "f.csv: cannot open: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails alloc 1 71 "out of memory allocating [0-9]* bytes; use more ranks or nodes" "${T[@]}" "$TMP/f.csv"
one_fails parse 2 65 "f.csv:[0-9]*:1: injected parse failure" "${T[@]}" "$TMP/f.csv"
one_fails parse 0 65 "f.csv:2:1: injected parse failure" "${T[@]}" "$TMP/f.csv"
one_fails resume 0 66 "f_ck.bin: injected failure" "${T[@]}" --resume "$TMP/f_ck.bin" --checkpoint "$TMP/f_ck.bin" --tol 0 --epochs 40 "$TMP/f.csv"
one_fails checkpoint 0 74 "f_ck2.bin: injected failure" "${T[@]}" --tol 0 --epochs 200 --checkpoint "$TMP/f_ck2.bin" --checkpoint-every 5 "$TMP/f.csv"
one_fails model 0 74 "f_out.json: injected failure" "${T[@]}" "$TMP/f.csv"
one_fails report 0 74 "f_rep.json: injected failure" "${T[@]}" --report "$TMP/f_rep.json" "$TMP/f.csv"
one_fails predict-write 1 74 "f_pred.csv: write failed" predict --model "$TMP/f_model.json" --output "$TMP/f_pred.csv" "$TMP/f.csv"
one_fails open 2 66 "f.csv: cannot open: injected failure" predict --model "$TMP/f_model.json" --output "$TMP/f_pred.csv" "$TMP/f.csv"
one_fails open 1 66 "f.csv: cannot open: injected failure" describe "$TMP/f.csv"
# the one-hot design wider than the node's memory allows, though the rows as read fit
awk 'BEGIN { print "c,x,y"; for (i = 0; i < 4000; i++) print "L" (i % 500) "," i "," 2 * i }' >"$TMP/wide.csv"
rc=0
timeout 20 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=1 -x LINREG_TEST_MEM_AVAILABLE=2000000 \
    "$HOOKS_BIN" --quiet --categorical c --model-out "$TMP/f_out.json" "$TMP/wide.csv" </dev/null >/dev/null 2>"$TMP/f.err" || rc=$?
[ "$rc" = 71 ] && grep -q "wide.csv: the 2 ranks on this node need about 0.02 GB for the one-hot design (this rank: [0-9]* rows of 500 numbers), but 0.00 GB are available" "$TMP/f.err" &&
    [ ! -e "$TMP/f_out.json" ] && ok "a one-hot design too wide for the node: exit 71 before it is allocated" ||
    not_ok "one-hot memory check" "rc=$rc $(head -1 "$TMP/f.err")"
# a compressed input's text that does not fit in memory (its memfd write fails), one rank
mkdir -p "$TMP/fgz"
for k in a b c; do gzip -c "$TMP/f.csv" >"$TMP/fgz/$k.csv.gz"; done
one_fails text-memory 1 71 "fgz/[abc].csv.gz: cannot hold its decompressed text in memory: No space left on device (rank 1 on host" describe "$TMP/fgz"

# a node without the memory for its ranks' rows: exit 71 before allocating, naming the need
rc=0
timeout 20 mpirun --oversubscribe --bind-to none -n 3 -x OMP_NUM_THREADS=1 -x LINREG_TEST_MEM_AVAILABLE=1000000 \
    "$HOOKS_BIN" --quiet --model-out "$TMP/f_out.json" "$TMP/f.csv" </dev/null >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
[ "$rc" = 71 ] && grep -q "f.csv: the 3 ranks on this node need about .* GB for their rows (this rank: about [0-9]* rows of 5 numbers), but 0.00 GB are available; spread the job over at least [0-9]* nodes" "$TMP/f.err" &&
    [ ! -e "$TMP/f_out.json" ] && ok "shards too big for the node's memory: exit 71, the nodes needed" ||
    not_ok "memory check" "rc=$rc $(head -1 "$TMP/f.err")"

# --- which error wins when several ranks fail, and every rank leaves with its code
# all_ranks NP ARGS...: the test build under NP ranks; RANK_RCS: each rank's own exit status,
# in rank order (a wrapper around each rank writes it to $TMP/rc.RANK and exits 0, lest
# mpirun kill the ranks still running when the first one exits with an error)
all_ranks() {
    local np=$1 r
    shift
    rm -f "$TMP"/rc.*
    timeout 20 mpirun --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS=1 -x TMP \
        -x LINREG_TEST_FAIL="${LINREG_TEST_FAIL:-none}" -x LINREG_TEST_HOOK="${LINREG_TEST_HOOK:-none}" bash -c '"$@"; rc=$?; echo $rc >"$TMP/rc.$OMPI_COMM_WORLD_RANK"' \
        rank "$HOOKS_BIN" "$@" </dev/null >"$TMP/f.out" 2>"$TMP/f.err"
    RANK_RCS=$(for ((r = 0; r < np; r++)); do cat "$TMP/rc.$r" 2>/dev/null || echo none; done | tr '\n' ' ')
}
# bad rows at lines 1301 and 2801 of 3001: under 3 ranks in rank 1's and rank 2's byte ranges
# (rank 0's is clean), under 2 ranks in rank 0's and rank 1's; the two kinds of error swapped
# in the second file. The lower line is reported, once, and every rank exits 65.
two_bad() {  # two_bad TEXT1301 TEXT2801
    awk -v A="$1" -v B="$2" 'BEGIN { print "a,b,y"
        for (i = 2; i <= 3001; i++) print (i == 1301 ? A : i == 2801 ? B : i "," i * 2 "," i * 3) }'
}
two_bad "1301,oops,7" "2801,4" >"$TMP/two_a.csv"
two_bad "1301,4" "2801,oops,7" >"$TMP/two_b.csv"
for np in 2 3; do
    for f in two_a two_b; do
        all_ranks $np --quiet --model-out "$TMP/f_out.json" "$TMP/$f.csv"
        case $f in
        two_a) want="$f.csv:1301:6: column 'b': 'oops' is not a number" ;;
        two_b) want="$f.csv:1301:7: too few fields: expected 3" ;;
        esac
        [ "$RANK_RCS" = "$(printf '65 %.0s' $(seq $np))" ] && grep -q -- "$want" "$TMP/f.err" &&
            [ "$(grep -c "$f.csv:" "$TMP/f.err")" = 1 ] && [ ! -e "$TMP/f_out.json" ] &&
            ok "bad rows at lines 1301 and 2801 under $np ranks ($f): line 1301 reported, once; every rank exits 65" ||
            not_ok "bad rows in two ranks' ranges under $np ranks ($f)" \
                "rank exits: $RANK_RCS; $(grep "$f.csv:" "$TMP/f.err" | head -3)"
    done
done
# a rank that fails without a line (its compressed part's text does not fit: text-memory)
# beside a line error on a lower rank. gzip parts a, b, c, one a rank; in gzbad/ a.csv.gz
# has 'oops' at its line 500 (rank 0's). With clean parts, rank 1 or 2 failing is the error
# (71, naming its part: the failure does happen); beside rank 0's line, the error earliest
# in the input wins: the line (65). On every rank.
mkdir -p "$TMP/gzok" "$TMP/gzbad"
for k in a b c; do
    for d in gzok gzbad; do
        awk -v bad=$([ $d$k = gzbada ] && echo 1 || echo 0) 'BEGIN { print "a,b,y"
            for (i = 2; i <= 1001; i++) print (bad && i == 500 ? "500,oops,7" : i "," i * 2 "," i * 3) }' |
            gzip -c >"$TMP/$d/$k.csv.gz"
    done
done
for rank in 1 2; do
    part=$([ $rank = 1 ] && echo b || echo c)
    for d in gzok gzbad; do
        if [ $d = gzok ]; then
            code=71 want="$d/$part.csv.gz: cannot hold its decompressed text in memory: No space left on device (rank $rank on host"
        else
            code=65 want="$d/a.csv.gz:500:5: column 'b': 'oops' is not a number"
        fi
        LINREG_TEST_FAIL=text-memory:$rank all_ranks 3 --quiet --model-out "$TMP/f_out.json" "$TMP/$d"
        [ "$RANK_RCS" = "$code $code $code " ] && grep -q -- "$want" "$TMP/f.err" &&
            [ "$(grep -c "$d/" "$TMP/f.err")" = 1 ] && [ ! -e "$TMP/f_out.json" ] &&
            ok "rank $rank fails without a line on $part.csv.gz, $([ $d = gzok ] && echo "no bad line: its failure" || echo "rank 0's bad line in a.csv.gz: the line") is reported; every rank exits $code" ||
            not_ok "rank $rank fails without a line ($d)" "rank exits: $RANK_RCS; $(grep "$d/" "$TMP/f.err" | head -3)"
    done
done

# stream mode: a block of rank 1's scratch file that cannot be read back (its 30th read, in
# an epoch after the first). Every rank stops in that epoch with the read error (66), no
# model; that epoch's sums lack the block, so it logs no line and writes no checkpoint: the
# last epoch logged is the last checkpointed, whole, and resumed, the run ends with the
# model of the run that never failed (f_ok.json, the same options in resident mode), bit
# for bit.
ST=(--tol 0 --epochs 20 --memory stream --block-rows 4096 --checkpoint "$TMP/f_st.bin" --checkpoint-every 1)
LINREG_TEST_FAIL=scratch-read:1 LINREG_TEST_HOOK=scratch-read:30 all_ranks 3 "${ST[@]}" --log-every 1 \
    --model-out "$TMP/f_out.json" "$TMP/f.csv"
last=$(awk '$1 == "epoch" { e = $2 } END { print e + 0 }' "$TMP/f.err")  # before the failure
lr 3 1 "${ST[@]}" --resume "$TMP/f_st.bin" --model-out "$TMP/f_res.json" "$TMP/f.csv" \
    >/dev/null 2>"$TMP/f_res.err"
[ "$RANK_RCS" = "66 66 66 " ] && [ "$last" -ge 1 ] &&
    [ "$(grep -c "scratch file: .*: Input/output error; the file system under --scratch (or \$TMPDIR) failed: check it, then run again (with --resume where --checkpoint wrote one)" "$TMP/f.err")" = 1 ] &&
    [ ! -e "$TMP/f_out.json" ] &&
    grep -q "resuming from .*f_st.bin after epoch $last\$" "$TMP/f_res.err" &&
    /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for m in (a, b):  # what differs: the timing, the mode, why a resumed run keeps its scaling
    t = m["training"]
    t.pop("seconds"), t.pop("memory"), t["precondition"].pop("why"), t["precondition"].pop("seconds", 0)
sys.exit(a != b)' "$TMP/f_ok.json" "$TMP/f_res.json" &&
    ok "a scratch block unreadable on rank 1 in epoch $((last + 1)): every rank exits 66 in it, no epoch line or model, the checkpoint of epoch $last resumes to the unfailed model" ||
    not_ok "a scratch block that cannot be read back" \
        "rank exits: $RANK_RCS; last epoch logged $last; $(grep -h "scratch file\|resuming" "$TMP/f.err" "$TMP/f_res.err" | head -3)"
