# inputs.sh — a data set as several files, a directory, gzip and zstd parts: the same
# models and predictions as the one CSV they were cut from, under 1, 2 and 3 ranks; every
# bad input (a zero-byte part, a truncated stream, a directory without parts, a header
# that differs, a part that is not compressed as named) with its message and exit code on
# every rank count.

# model_bits A B: the two model files are the same bytes but for "seconds" and "threads"
model_bits() { cmp -s <(grep -v -e '"seconds"' -e '"threads"' "$1") <(grep -v -e '"seconds"' -e '"threads"' "$2"); }

"$GEN" --rows 3000 --features 4 --seed 20 "$TMP/all.csv" 2>/dev/null
# 7 parts of uneven sizes, each with the header; part 2 has the header only, part 5 one row
mkdir -p "$TMP/parts" "$TMP/gz" "$TMP/zst" "$TMP/mixed"
awk -v dir="$TMP/parts" 'NR == 1 { h = $0; for (k = 0; k < 7; k++) print h > sprintf("%s/part-%05d.csv", dir, k); next }
    { r = NR - 1; k = r <= 100 ? 0 : r <= 900 ? 1 : r <= 1500 ? 3 : r <= 2600 ? 4 : r <= 2601 ? 5 : 6;
      print > sprintf("%s/part-%05d.csv", dir, k) }' "$TMP/all.csv"
for f in "$TMP"/parts/*.csv; do
    b=$(basename "$f")
    gzip -c "$f" >"$TMP/gz/$b.gz"
    zstd -q -c "$f" >"$TMP/zst/$b.zst"
done
# a mix: a gzip file of two members (part 0, then part 1's rows), plain, gzip and zstd
# parts in one directory, and files the default pattern leaves out
gzip -c "$TMP/parts/part-00000.csv" >"$TMP/mixed/part-00000.csv.gz"
tail -n +2 "$TMP/parts/part-00001.csv" | gzip -c >>"$TMP/mixed/part-00000.csv.gz"
cp "$TMP/parts/part-00002.csv" "$TMP/parts/part-00003.csv" "$TMP/gz/part-00004.csv.gz" "$TMP/mixed/"
cp "$TMP/zst/part-00005.csv.zst" "$TMP/zst/part-00006.csv.zst" "$TMP/mixed/"
echo "not,a,part" >"$TMP/mixed/notes.txt"
echo "hidden,file" >"$TMP/mixed/.hidden.csv"
[ "$(cat "$TMP"/parts/*.csv | grep -vc '^x1,')" = 3000 ] && [ "$(wc -l <"$TMP/parts/part-00002.csv")" = 1 ] &&
    ok "7 parts of uneven sizes hold the 3000 rows, one part a header only" || not_ok "parts"

for np in 1 2 3 4; do
    lr "$np" 1 --quiet --model-out "$TMP/ref$np.json" "$TMP/all.csv"
    model_values "$TMP/ref$np.json" >"$TMP/ref$np.txt"
done
# the same data set given five ways, under 1 to 4 ranks: the one CSV's model bit for bit
# under the same ranks (the same rows on each rank), within 1e-12 of one rank's
for np in 1 2 3 4; do
    ways="files dir gz zst mixed"
    [ "$np" = 2 ] && ways="dir gz mixed"
    [ "$np" = 4 ] && ways="files zst mixed"
    for way in $ways; do
        case $way in
        files) args=("$TMP"/parts/part-*.csv) ;;  # the shell's glob
        dir) args=("$TMP/parts") ;;
        gz) args=("$TMP/gz/") ;;
        zst) args=("$TMP"/zst/*.zst) ;;
        mixed) args=("$TMP/mixed") ;;
        esac
        lr "$np" 1 --quiet --model-out "$TMP/m-$way-$np.json" "${args[@]}" 2>"$TMP/err"
        model_values "$TMP/m-$way-$np.json" >"$TMP/m.txt"
        model_bits "$TMP/m-$way-$np.json" "$TMP/ref$np.json" &&
            values_close "$TMP/m.txt" "$TMP/ref1.txt" 1e-12 >/dev/null &&
            ok "$way: the model equals the one CSV's bit for bit, within 1e-12 of one rank's (np=$np)" ||
            not_ok "$way bitwise (np=$np)" "$(head -c 300 "$TMP/err"; values_close "$TMP/m.txt" "$TMP/ref$np.txt" 0)"
    done
done
grep -q '"rows": 3000' "$TMP/m-mixed-3.json" && ok "the mixed directory (two gzip members in one file): 3000 rows, notes.txt and .hidden.csv left out" ||
    not_ok "mixed rows" "$(grep '"rows"' "$TMP/m-mixed-3.json")"
# threads: on rows enough for several parts of PAR_CHUNK_ROWS (4096) per rank, 7 gzip and
# 7 plain parts under 2 ranks x 2 threads = the one CSV under 2 x 2, and = 2 x 1
"$GEN" --rows 40000 --features 4 --seed 21 "$TMP/big.csv" 2>/dev/null
mkdir -p "$TMP/bigp" "$TMP/bigz"
awk -v dir="$TMP/bigp" 'NR == 1 { h = $0; for (k = 0; k < 7; k++) print h > sprintf("%s/p%d.csv", dir, k); next }
    { r = NR - 1; k = r <= 900 ? 0 : r <= 9000 ? 1 : r <= 15000 ? 2 : r <= 26000 ? 4 : r <= 26001 ? 5 : 6;
      print > sprintf("%s/p%d.csv", dir, k) }' "$TMP/big.csv"
for f in "$TMP"/bigp/*.csv; do gzip -c "$f" >"$TMP/bigz/$(basename "$f").gz"; done
lr 2 2 --quiet --model-out "$TMP/t-ref.json" "$TMP/big.csv"
lr 2 1 --quiet --model-out "$TMP/t-ref1.json" "$TMP/big.csv"
for way in bigp bigz; do
    lr 2 2 --quiet --model-out "$TMP/t-$way.json" "$TMP/$way" 2>"$TMP/err"
    model_bits "$TMP/t-$way.json" "$TMP/t-ref.json" && model_bits "$TMP/t-$way.json" "$TMP/t-ref1.json" &&
        ok "$way: 40000 rows in 7 parts, 2 ranks x 2 threads = the one CSV's bits = 2 x 1" ||
        not_ok "threads bitwise ($way)" "$(head -c 300 "$TMP/err")"
done

# predict --output: the input order across all parts, whatever the ranks
lr 1 1 predict --model "$TMP/ref1.json" --output "$TMP/p-ref.csv" "$TMP/all.csv" 2>/dev/null
for np in 2 3; do
    for way in mixed parts; do
        rm -f "$TMP/p.csv"
        lr "$np" 1 predict --model "$TMP/ref1.json" --output "$TMP/p.csv" "$TMP/$way" 2>"$TMP/err"
        [ "$(wc -l <"$TMP/p-ref.csv")" = 3001 ] && cmp -s "$TMP/p.csv" "$TMP/p-ref.csv" &&
            ok "predict on the $way parts: the one CSV's output, line for line (np=$np)" ||
            not_ok "predict order ($way, np=$np)" "$(head -c 300 "$TMP/err")"
    done
done
lr 3 1 evaluate --model "$TMP/ref1.json" --json "$TMP/zst" >"$TMP/ev3.json" 2>/dev/null
lr 1 1 evaluate --model "$TMP/ref1.json" --json "$TMP/all.csv" >"$TMP/ev-ref1.json" 2>/dev/null
for k in rows mse mae r2; do json_numbers "$TMP/ev3.json" $k; done >"$TMP/a.txt"
for k in rows mse mae r2; do json_numbers "$TMP/ev-ref1.json" $k; done >"$TMP/b.txt"
[ "$(wc -l <"$TMP/a.txt")" -ge 3 ] && values_close "$TMP/a.txt" "$TMP/b.txt" 1e-12 >/dev/null &&
    ok "evaluate on zstd parts (np=3) = on the one CSV (np=1): rows, mse, mae, r2 within 1e-12" ||
    not_ok "evaluate" "$(paste "$TMP/a.txt" "$TMP/b.txt" | head -5)"
lr 2 1 describe "$TMP/gz" >"$TMP/d.txt" 2>/dev/null
lr 2 1 describe "$TMP/all.csv" >"$TMP/d-ref.txt" 2>/dev/null
[ -s "$TMP/d.txt" ] && cmp -s <(grep -v -e "$TMP" -e seconds "$TMP/d.txt") <(grep -v -e "$TMP" -e seconds "$TMP/d-ref.txt") &&
    ok "describe on gzip parts = on the one CSV (np=2)" || not_ok "describe" "$(diff "$TMP/d.txt" "$TMP/d-ref.txt" | head -5)"

# bad inputs, under 1, 2 and 3 ranks
: >"$TMP/empty.csv"
head -c 20000 "$TMP/gz/part-00004.csv.gz" >"$TMP/trunc.csv.gz"
head -c 20000 "$TMP/zst/part-00004.csv.zst" >"$TMP/trunc.csv.zst"
sed '1s/x3/z3/' "$TMP/parts/part-00003.csv" >"$TMP/diffhdr.csv"
sed '1s/,/;/g; 2,$s/,/;/g' "$TMP/parts/part-00003.csv" >"$TMP/semi.csv"
mkdir -p "$TMP/nodata"
echo "x1,x2" >"$TMP/nodata/readme.txt"
cp "$TMP/parts/part-00001.csv" "$TMP/plain.csv.gz"
mkdir -p "$TMP/badval"
cp "$TMP"/parts/*.csv "$TMP/badval/"
sed -i '10s/^[^,]*,/oops,/' "$TMP/badval/part-00004.csv"
gzip "$TMP/badval/part-00004.csv"
P0=$TMP/parts/part-00000.csv
for np in 1 2 3; do
    expect_fail "a zero-byte part: a data error naming it" 65 "empty.csv: empty file (0 bytes)" "$np" "$P0" "$TMP/empty.csv" "$TMP/gz"
    expect_fail "a truncated gzip part: its name and offset" 65 "trunc.csv.gz: broken gzip stream at compressed byte 20000 (after [0-9]* bytes of text)" "$np" "$P0" "$TMP/trunc.csv.gz" "$TMP/gz"
    expect_fail "a truncated zstd part: its name and offset" 65 "trunc.csv.zst: broken zstd stream at compressed byte 20000" "$np" "$TMP/zst" "$TMP/trunc.csv.zst"
    expect_fail "a directory without parts" 66 "nodata: the directory holds no file named \*.csv, \*.csv.gz or \*.csv.zst (--glob PATTERN" "$np" "$TMP/nodata"
    expect_fail "a header that differs: both files and the column" 65 "diffhdr.csv:1:1: the header differs from $P0's: column 3 is 'z3' here and 'x3' there: every file needs the same columns in the same order; reorder this file's columns, or correct its header" "$np" "$P0" "$TMP/diffhdr.csv"
    expect_fail "a part with another delimiter: the header check" 65 "semi.csv:1:1: the header differs from $P0's: column 1 is 'x1;x2;x3;x4;y' here and 'x1' there (1 columns here, 5 there: another --delimiter?)" "$np" "$P0" "$TMP/semi.csv"
done
# A stream that breaks near its end, mid-line, after the reader has parsed most of it (the
# producer kept at most 16 KiB ahead of 4 KiB blocks): the stream's error, not a parse
# error about the cut line, on every rank count
"$GEN" --rows 40000 --features 4 --seed 21 "$TMP/big.csv" 2>/dev/null
mkdir -p "$TMP/late"
cp "$TMP/parts/part-00000.csv" "$TMP/parts/part-00001.csv" "$TMP/late/"
gzip -c "$TMP/big.csv" >"$TMP/big.csv.gz"
cut=$(($(stat -c %s "$TMP/big.csv.gz") - 2000))
head -c "$cut" "$TMP/big.csv.gz" >"$TMP/late/part-00002.csv.gz"
[ "$(gzip -dc "$TMP/late/part-00002.csv.gz" 2>/dev/null | tail -c 1 | od -An -c | tr -d ' ')" != '\n' ] &&
    [ "$(gzip -dc "$TMP/late/part-00002.csv.gz" 2>/dev/null | wc -c)" -gt 2000000 ] &&
    ok "a gzip part of 2.6 MB of text, cut 2000 bytes before its end: its text ends mid-line" ||
    not_ok "the late-broken part"
for np in 1 2; do
    LINREG_TEST_BLOCK_BYTES=4096 LINREG_TEST_AHEAD_BYTES=16384 BIN=$HOOKS_BIN \
        expect_fail "a gzip part broken after most of it was parsed: the stream's error" 65 \
        "^[^ ]*late/part-00002.csv.gz: broken gzip stream at compressed byte $cut (after [0-9]* bytes of text)" \
        "$np" "$TMP/late"  # local ranks inherit the environment
done
# Memory: the text a rank has parsed is given back while the producer reads on, at most
# LINREG_TEST_AHEAD_BYTES (here 64 KiB) plus one 1 MiB chunk of its reading ahead of the
# reader: two 2.6 MB gzip parts (5.2 MB of text) never hold more than 1.5 MB at a time
mkdir -p "$TMP/twice"
cp "$TMP/big.csv.gz" "$TMP/twice/a.csv.gz"
cp "$TMP/big.csv.gz" "$TMP/twice/b.csv.gz"
read -r samples peak text < <(LINREG_TEST_BLOCK_BYTES=16384 LINREG_TEST_AHEAD_BYTES=65536 \
    /usr/bin/python3 "$ROOT/tests/tools/memfd_peak.py" timeout 30 mpirun --bind-to none -n 1 \
    -x OMP_NUM_THREADS=1 "$HOOKS_BIN" describe "$TMP/twice")
[ "$samples" -gt 0 ] && [ "$text" -gt 2500000 ] && [ "$peak" -le 1500000 ] &&
    ok "5.2 MB of gzip text streamed through one rank: at most $peak bytes held at a time (seen up to $text)" ||
    not_ok "text given back" "samples $samples, peak $peak bytes, size $text"
expect_fail "--glob that matches nothing" 66 "parts: the directory holds no file named \*.txt" 3 --glob '*.txt' "$TMP/parts"
expect_fail "a .gz name on a plain file" 65 "plain.csv.gz: not compressed as named: the name says gzip" 3 "$P0" "$TMP/plain.csv.gz"
expect_fail "a bad value in a gzip part: its own FILE:LINE:COLUMN" 65 "badval/part-00004.csv.gz:10:1: column 'x1': 'oops' is not a number" 3 "$TMP/badval"
# --on-bad-row skip across parts: predict leaves the same empty line as for the one CSV
sed '1510s/^[^,]*,/oops,/' "$TMP/all.csv" >"$TMP/all-bad.csv"
lr 1 1 predict --model "$TMP/ref1.json" --on-bad-row skip --output "$TMP/pb-ref.csv" "$TMP/all-bad.csv" 2>/dev/null
lr 3 1 predict --model "$TMP/ref1.json" --on-bad-row skip --output "$TMP/pb.csv" "$TMP/badval" 2>"$TMP/err"
[ "$(sed -n 1510p "$TMP/pb-ref.csv")" = "," ] && cmp -s "$TMP/pb.csv" "$TMP/pb-ref.csv" &&
    grep -q "skipped 1 bad row (--on-bad-row skip); first at line $TMP/badval/part-00004.csv.gz:10$" "$TMP/err" &&
    ok "--on-bad-row skip in a gzip part: predict's output as for the one CSV, the part's name and own line (np=3)" ||
    not_ok "skip across parts" "$(head -c 300 "$TMP/err")"
# the same in plain parts (read in place as one stream), and their errors
mkdir -p "$TMP/badplain"
cp "$TMP"/parts/*.csv "$TMP/badplain/"
sed -i '10s/^[^,]*,/oops,/' "$TMP/badplain/part-00004.csv"
for np in 2 3; do
    lr "$np" 1 predict --model "$TMP/ref1.json" --on-bad-row skip --output "$TMP/pb.csv" "$TMP/badplain" 2>"$TMP/err"
    cmp -s "$TMP/pb.csv" "$TMP/pb-ref.csv" &&
        grep -q "first at line $TMP/badplain/part-00004.csv:10$" "$TMP/err" &&
        ok "--on-bad-row skip in a plain part: the one CSV's output, the part's name and line (np=$np)" ||
        not_ok "skip in plain parts (np=$np)" "$(head -c 300 "$TMP/err")"
done
# from a cache of those parts (written, then read): the same output and report
for pass in write read; do
    lr 2 1 predict --model "$TMP/ref1.json" --on-bad-row skip --cache "$TMP/pb.cache" --output "$TMP/pb.csv" "$TMP/badval" 2>"$TMP/err"
    cmp -s "$TMP/pb.csv" "$TMP/pb-ref.csv" &&
        grep -q "first at line $TMP/badval/part-00004.csv.gz:10$" "$TMP/err" &&
        ok "--on-bad-row skip in parts with --cache ($pass): the same output, the part named" ||
        not_ok "skip in parts with --cache ($pass)" "$(head -c 300 "$TMP/err")"
done
printf 'x1,x2,x3,x4,y\n1,2,3,4,5\n"6,7,8,9,10\n' >"$TMP/openquote.csv"
for np in 1 2 3; do
    expect_fail "a bad value in a plain part: its own FILE:LINE:COLUMN" 65 "badplain/part-00004.csv:10:1: column 'x1': 'oops' is not a number" "$np" "$TMP/badplain"
    expect_fail "a plain part whose quoted field is not closed" 65 "openquote.csv: a quoted field is not closed" "$np" "$TMP/openquote.csv" "$P0"
done

# the stream's edges: CRLF lines, quoted fields holding newlines, doubled quotes and
# commas, a middle part without a final newline, a part with the header only, and two
# parts of equal size (under 2 ranks the byte split falls exactly on the second's start):
# plain and gzip parts give the bits of the one CSV of the stream under 1–4 ranks
mkdir -p "$TMP/edge" "$TMP/edgez" "$TMP/twin" "$TMP/twinz"
/usr/bin/python3 - "$TMP" <<'PY'
import random, sys
t = sys.argv[1]
random.seed(5)
def rows(n):
    out = []
    for _ in range(n):
        a, b = random.uniform(-1, 1), random.uniform(-1, 1)
        note = random.choice(['x', '"multi\r\nline"', '"two\nlines"', '"q""uote"', '"a,b"'])
        out.append('%.6f,%s,%.6f,%.6f' % (a, note, b, 2 * a - b + 0.1 * random.uniform(-1, 1)))
    return out
h = 'a,note,b,y'
p0, p1, p3 = rows(60), rows(45), rows(50)
parts = [('e0.csv', '\r\n'.join([h] + p0) + '\r\n'), ('e1.csv', '\n'.join([h] + p1)),
         ('e2.csv', h + '\n'), ('e3.csv', '\n'.join([h] + p3) + '\n')]
for name, text in parts:
    open('%s/edge/%s' % (t, name), 'w', newline='').write(text)
# the one CSV of the stream: each part's data, a newline after e1's last line
one = h + '\n' + '\r\n'.join(p0) + '\r\n' + '\n'.join(p1) + '\n' + '\n'.join(p3) + '\n'
open('%s/edge.csv' % t, 'w', newline='').write(one)
for k in (0, 1):
    open('%s/twin/t%d.csv' % (t, k), 'w', newline='').write('\n'.join([h] + p3) + '\n')
open('%s/twin.csv' % t, 'w', newline='').write(h + '\n' + ('\n'.join(p3) + '\n') * 2)
PY
for f in "$TMP"/edge/*.csv; do gzip -c "$f" >"$TMP/edgez/$(basename "$f").gz"; done
for f in "$TMP"/twin/*.csv; do gzip -c "$f" >"$TMP/twinz/$(basename "$f").gz"; done
for np in 1 2 3 4; do
    lr "$np" 1 --quiet --drop note --model-out "$TMP/edge-ref.json" "$TMP/edge.csv" 2>"$TMP/err"
    lr "$np" 1 --quiet --drop note --model-out "$TMP/edge-p.json" "$TMP/edge" 2>>"$TMP/err"
    lr "$np" 1 --quiet --drop note --model-out "$TMP/edge-z.json" "$TMP/edgez" 2>>"$TMP/err"
    lr "$np" 1 --quiet --drop note --memory stream --model-out "$TMP/edge-s.json" "$TMP/edgez" \
        2>>"$TMP/err"
    grep -q '"rows": 155' "$TMP/edge-ref.json" && model_bits "$TMP/edge-p.json" "$TMP/edge-ref.json" &&
        model_bits "$TMP/edge-z.json" "$TMP/edge-ref.json" &&
        model_bits <(grep -v '"memory"' "$TMP/edge-s.json") <(grep -v '"memory"' "$TMP/edge-ref.json") &&
        ok "CRLF, quoted newlines, a part without a final newline, a header-only part: plain and gzip parts (gzip also streamed) = the one CSV's bits, 155 rows (np=$np)" ||
        not_ok "stream edges (np=$np)" "$(head -c 300 "$TMP/err"; grep '"rows"' "$TMP"/edge-*.json)"
done
lr 2 1 --quiet --drop note --model-out "$TMP/twin-ref.json" "$TMP/twin.csv"
lr 2 1 --quiet --drop note --model-out "$TMP/twin-p.json" "$TMP/twin" 2>"$TMP/err"
lr 2 1 --quiet --drop note --model-out "$TMP/twin-z.json" "$TMP/twinz" 2>>"$TMP/err"
[ "$(stat -c %s "$TMP/twin/t0.csv")" = "$(stat -c %s "$TMP/twin/t1.csv")" ] &&
    grep -q '"rows": 100' "$TMP/twin-ref.json" && model_bits "$TMP/twin-p.json" "$TMP/twin-ref.json" &&
    model_bits "$TMP/twin-z.json" "$TMP/twin-ref.json" &&
    ok "two parts of equal size under 2 ranks (the split on the second's first byte): the one CSV's bits" ||
    not_ok "split at a file's start" "$(head -c 300 "$TMP/err")"

# compressed parts: a quoted field left open at a part's end, and the first of two bad
# rows in input order, the same under every rank count (the ranks read the parts in
# another order)
mkdir -p "$TMP/oq" "$TMP/two"
printf 'a,note,y\n1,x,2\n2,"open,3\n' | gzip -c >"$TMP/oq/p0.csv.gz"
printf 'a,note,y\n3,close",4\n4,y,5\n5,z,6\n6,z,7\n7,z,8\n8,z,9\n9,z,1\n' | gzip -c >"$TMP/oq/p1.csv.gz"
printf 'a,note,y\n10,w,11\n11,z,12\n' | gzip -c >"$TMP/oq/p2.csv.gz"
{ echo "x1,x2,y"; echo "1,2,3"; echo "first,2,3"; echo "4,5,6"; } | gzip -c >"$TMP/two/p0.csv.gz"
{ echo "x1,x2,y"; seq 1 200 | awk '{ print $1 "," $1 * 2 "," $1 * 3 }' | sed '99s/^[0-9]*/later/'; } | gzip -c >"$TMP/two/p1.csv.gz"
for np in 1 2 3; do
    expect_fail "a gzip part whose quoted field is not closed" 65 "oq/p0.csv.gz: a quoted field is not closed" "$np" describe --drop note "$TMP/oq"
    expect_fail "two bad gzip parts: the first in input order" 65 "two/p0.csv.gz:3:1: column 'x1': 'first'" "$np" "$TMP/two"
done

# the memory check: compressed parts' rows move between ranks, so they count twice
for way in bigz bigp; do
    rc=0
    timeout 20 mpirun --oversubscribe --bind-to none -n 2 -x OMP_NUM_THREADS=1 -x LINREG_TEST_MEM_AVAILABLE=100000 \
        "$HOOKS_BIN" --quiet --model-out "$TMP/mem.json" "$TMP/$way" </dev/null >/dev/null 2>"$TMP/err" || rc=$?
    twice=$(grep -c "rows of 5 numbers, held twice while they move between ranks)" "$TMP/err")
    [ "$rc" = 71 ] && [ "$twice" = "$([ $way = bigz ] && echo 1 || echo 0)" ] && [ ! -e "$TMP/mem.json" ] &&
        ok "$way: short of memory, exit 71; the rows counted twice only where they move" ||
        not_ok "memory check ($way)" "rc=$rc $(head -c 300 "$TMP/err")"
done

# A directory holding one plain CSV is that file: the same model, description and
# predictions, and messages name the file (its lines and columns), not the directory
mkdir -p "$TMP/one" "$TMP/onebad"
MT=$ROOT/datasets/mtcars.csv
cp "$MT" "$TMP/one/cars.csv"
sed '5s/^[^,]*,/oops,/' "$MT" >"$TMP/onebad/cars.csv"
"$BIN" --quiet --solver exact --target mpg --model-out "$TMP/one-ref.json" "$MT" >/dev/null 2>&1
"$BIN" --quiet --solver exact --target mpg --model-out "$TMP/one1.json" "$TMP/one" >/dev/null 2>"$TMP/err1"
lr 2 1 --quiet --solver exact --target mpg --model-out "$TMP/one2-ref.json" "$MT" >/dev/null 2>&1
lr 2 1 --quiet --solver exact --target mpg --model-out "$TMP/one2.json" "$TMP/one/" >/dev/null 2>"$TMP/err2"
"$BIN" describe "$MT" >"$TMP/one-d-ref.txt" 2>&1
"$BIN" describe "$TMP/one" >"$TMP/one-d.txt" 2>&1
"$BIN" predict --model "$TMP/one-ref.json" --output "$TMP/one-p-ref.csv" "$MT" 2>/dev/null
"$BIN" predict --model "$TMP/one-ref.json" --output "$TMP/one-p.csv" "$TMP/one" 2>/dev/null
grep -q '"rows": 32' "$TMP/one1.json" && model_bits "$TMP/one1.json" "$TMP/one-ref.json" &&
    model_bits "$TMP/one2.json" "$TMP/one2-ref.json" &&
    ok "a directory of one plain CSV: that file's model, bit for bit (one process, and np=2)" ||
    not_ok "a one-file directory" "$(head -c 300 "$TMP/err1") $(head -c 300 "$TMP/err2")"
[ -s "$TMP/one-p.csv" ] && cmp -s "$TMP/one-p.csv" "$TMP/one-p-ref.csv" && grep -q mpg "$TMP/one-d.txt" &&
    cmp -s <(grep -v '^read ' "$TMP/one-d.txt") <(grep -v '^read ' "$TMP/one-d-ref.txt") &&
    ok "describe and predict on a one-file directory: the file's" ||
    not_ok "describe/predict a one-file directory" "$(head -c 300 "$TMP/one-d.txt")"
one_fail 65 "a bad value in a one-file directory: the file's LINE:COLUMN" \
    "onebad/cars.csv:5:1: column 'cyl': 'oops' is not a number" --target mpg --model-out "$TMP/x.json" "$TMP/onebad"
one_fail 65 "an unknown column in a one-file directory: the file named" \
    "one/cars.csv:1:1: --features: no column named 'nope'" --features nope --target mpg --model-out "$TMP/x.json" "$TMP/one"

# The same file twice would have its rows read twice: refused (a usage error) however it
# is named twice, with both names as given
ln -sf "$MT" "$TMP/sym.csv"
ln -f "$TMP/one/cars.csv" "$TMP/hard.csv"
mkdir -p "$TMP/mtd"
cp "$MT" "$TMP/mtd/a.csv"
usage_fail "a file given twice" "the inputs '$MT' and '$MT' are the same file, whose rows would be read twice: name each file once" \
    --model-out "$TMP/x.json" "$MT" "$MT"
cd "$ROOT/datasets"
usage_fail "./x and x" "the inputs 'mtcars.csv' and './mtcars.csv' are the same file" \
    --model-out "$TMP/x.json" mtcars.csv ./mtcars.csv
cd - >/dev/null
usage_fail "a file and a symbolic link to it" "the inputs '$TMP/sym.csv' and '$MT' are the same file" \
    --model-out "$TMP/x.json" "$TMP/sym.csv" "$TMP/one" "$MT"
usage_fail "a file of a directory and a hard link to it" \
    "the inputs '$TMP/one/cars.csv' (in '$TMP/one') and '$TMP/hard.csv' are the same file" \
    --model-out "$TMP/x.json" "$TMP/one" "$TMP/hard.csv"
usage_fail "a directory and a file in it (describe)" \
    "the inputs '$TMP/mtd/a.csv' (in '$TMP/mtd') and '$TMP/mtd/a.csv' are the same file" \
    describe "$TMP/mtd" "$TMP/mtd/a.csv"
usage_fail "predict: a file given twice" "the inputs '$MT' and '$MT' are the same file" \
    predict --model "$TMP/one-ref.json" --output "$TMP/x.csv" "$MT" "$MT"
[ ! -e "$TMP/x.json" ] && [ ! -e "$TMP/x.csv" ] && ok "the refused runs wrote nothing" ||
    not_ok "a refused run wrote an output"

# Compressed data the reader does not read, under a name read as plain text: refused with
# what it is and what to do, not parsed as text
bzip2 -c "$MT" >"$TMP/cars.csv.bz2"
xz -c "$MT" >"$TMP/cars.csv.xz"
lz4 -q -c "$MT" >"$TMP/cars.csv.lz4"
(cd "$TMP" && zip -q cars.zip one/cars.csv)
gzip -c "$MT" >"$TMP/cars-gz.csv"
mkdir -p "$TMP/bzdir"
cp "$MT" "$TMP/cars.csv.bz2" "$TMP/bzdir/"
printf 'BZh9,y\n1,2\n2,3\n3,5\n' >"$TMP/bzh.csv"
for f in "cars.csv.bz2 bzip2" "cars.csv.xz xz" "cars.csv.lz4 lz4" "cars.zip zip"; do
    set -- $f
    one_fail 65 "$2 data under a name read as text: named, not parsed" \
        "^[^ ]*$1: $2-compressed data, which is not read: decompress it, or recompress it with gzip or zstd$" \
        --model-out "$TMP/x.json" "$TMP/$1"
done
one_fail 65 "gzip data under a .csv name: rename it" \
    "cars-gz.csv: gzip-compressed data, but its name does not end in .gz: rename it so" describe "$TMP/cars-gz.csv"
one_fail 65 "a bzip2 file that --glob takes from a directory" "bzdir/cars.csv.bz2: bzip2-compressed data" \
    describe --glob '*' "$TMP/bzdir"
"$BIN" describe "$TMP/bzh.csv" >"$TMP/out" 2>"$TMP/err" && grep -q BZh9 "$TMP/out" &&
    ok "a CSV whose header starts 'BZh9' is text" || not_ok "BZh header" "$(head -c 300 "$TMP/err")"
# a gzip stream whose checksum is wrong: zlib's reason, without its name for the descriptor
gzip -c "$MT" >"$TMP/crc.csv.gz"
size=$(stat -c %s "$TMP/crc.csv.gz")
printf '\xff' | dd of="$TMP/crc.csv.gz" bs=1 seek=$((size - 6)) conv=notrunc 2>/dev/null
one_fail 65 "a gzip part with a bad checksum: zlib's reason, the file's name" \
    "^[^ ]*crc.csv.gz: broken gzip stream at compressed byte [0-9]* (after [0-9]* bytes of text): incorrect data check$" \
    describe "$TMP/crc.csv.gz"
