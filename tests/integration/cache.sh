# cache.sh — --cache PATH and --cache-verify: the same models, predictions and statistics
# from the cache as from the CSV under any rank and thread count, and every way a cache
# goes stale or bad (a warning saying why, a re-parse, a rewrite).

# model_bits A B: the two model files are the same bytes but for "seconds" and "threads"
model_bits() { cmp -s <(grep -v -e '"seconds"' -e '"threads"' "$1") <(grep -v -e '"seconds"' -e '"threads"' "$2"); }

"$GEN" --rows 4000 --features 6 --kind hard --seed 41 "$TMP/c.csv" 2>/dev/null
C=$TMP/c.bin

# the reference: the CSV itself, under 1, 2 and 3 ranks (the rank count changes rounding)
for np in 1 2 3; do
    lr "$np" 1 --quiet --model-out "$TMP/ref$np.json" "$TMP/c.csv"
done
# written under 2 ranks x 2 threads; the run that writes it is the CSV's own run
lr 2 2 --cache "$C" --model-out "$TMP/w.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
[ -s "$C" ] && grep -q "wrote the cache '$C' (4000 rows" "$TMP/err" && model_bits "$TMP/w.json" "$TMP/ref2.json" &&
    ok "an absent cache: the CSV is parsed, the model is the CSV's, the cache is written" ||
    not_ok "cache written" "$(head -c 300 "$TMP/err")"
for np in 1 2 3; do
    for t in 1 2; do
        lr "$np" "$t" --cache "$C" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
        grep -q "read 4000 rows from the cache '$C' (quick check" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref$np.json" &&
            ok "model from the cache = model from the CSV, bit for bit (written 2x2, read np=$np threads=$t)" ||
            not_ok "model from the cache (np=$np threads=$t)" "$(head -c 300 "$TMP/err")"
    done
done
lr 3 1 --cache "$C" --cache-verify full --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "(full check" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref3.json" &&
    ok "--cache-verify full on an unchanged CSV: the cache is used" || not_ok "full check, unchanged" "$(head -c 300 "$TMP/err")"

# bad rows skipped: predict from the cache leaves the same empty lines, the same message
awk 'NR == 7 { print "oops,1,2,3,4,5,6"; next } NR == 1500 { print "1,2"; next } { print }' "$TMP/c.csv" >"$TMP/bad.csv"
lr 2 1 --quiet --on-bad-row skip --model-out "$TMP/pm.json" "$TMP/bad.csv"
lr 1 1 predict --model "$TMP/pm.json" --on-bad-row skip --output "$TMP/pref.csv" "$TMP/bad.csv" 2>"$TMP/eref"
lr 2 2 predict --model "$TMP/pm.json" --on-bad-row skip --cache "$TMP/p.bin" --output "$TMP/p0.csv" "$TMP/bad.csv" 2>/dev/null
for np in 1 3; do
    lr "$np" 1 predict --model "$TMP/pm.json" --on-bad-row skip --cache "$TMP/p.bin" --output "$TMP/p.csv" "$TMP/bad.csv" 2>"$TMP/err"
    grep -q "from the cache" "$TMP/err" && cmp -s "$TMP/p.csv" "$TMP/pref.csv" &&
        grep -q "skipped 2 bad rows (--on-bad-row skip); first at lines 7, 1500" "$TMP/err" &&
        [ "$(sed -n 7p "$TMP/p.csv")" = "," ] &&
        ok "predict --on-bad-row skip from the cache: the same file, empty lines 6 and 1499 kept, the same message (np=$np)" ||
        not_ok "predict with skipped rows from the cache (np=$np)" "$(head -c 300 "$TMP/err")"
done

# describe: text columns kept as describe keeps them; a train cache is not describe's
printf 'id,note,x\n1,a,2.5\n2,b,\n3,a,4\n' >"$TMP/t.csv"
lr 1 1 describe --json "$TMP/t.csv" >"$TMP/dref.json" 2>/dev/null
lr 2 1 describe --json --cache "$TMP/d.bin" "$TMP/t.csv" >/dev/null 2>&1
lr 3 1 describe --json --cache "$TMP/d.bin" "$TMP/t.csv" >"$TMP/d.json" 2>"$TMP/err"
grep -q "from the cache" "$TMP/err" && cmp -s "$TMP/d.json" "$TMP/dref.json" &&
    ok "describe --json from the cache (text and empty values included) = from the CSV" ||
    not_ok "describe from the cache" "$(head -c 300 "$TMP/err")"
lr 1 1 --quiet --cache "$TMP/d.bin" --drop note --model-out "$TMP/m.json" "$TMP/t.csv" 2>"$TMP/err" >/dev/null || true
grep -q "warning: the cache '$TMP/d.bin' is stale: it was written with other options (the columns): reading $TMP/t.csv and writing the cache again" "$TMP/err" &&
    ok "a cache written with other columns is stale, and says so (a warning, which --quiet keeps)" ||
    not_ok "other columns" "$(head -c 300 "$TMP/err")"
cp "$C" "$TMP/o.bin"
lr 1 1 --cache "$TMP/o.bin" --on-bad-row skip --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "stale: it was written with other options (--on-bad-row)" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref1.json" &&
    ok "another --on-bad-row: stale, re-parsed, the CSV's model" || not_ok "other --on-bad-row" "$(head -c 300 "$TMP/err")"

# one byte changed in place, size and modification time kept: quick misses it, full does not
cp "$TMP/c.csv" "$TMP/e.csv"
lr 2 1 --quiet --cache "$TMP/e.bin" --model-out "$TMP/m.json" "$TMP/e.csv"
stamp=$(stat -c %y "$TMP/e.csv")
line=$(sed -n 10p "$TMP/e.csv")
new=$(echo "$line" | sed 's/[0-8]/X/; s/X/9/')  # the first digit 0-8 becomes 9: same length
[ "$new" != "$line" ] || new=$(echo "$line" | sed 's/9/8/')
awk -v n="$new" 'NR == 10 { print n; next } { print }' "$TMP/c.csv" >"$TMP/e2.csv"
cat "$TMP/e2.csv" >"$TMP/e.csv"  # in place: the same inode
touch -d "$stamp" "$TMP/e.csv"
lr 1 1 --quiet --model-out "$TMP/eref.json" "$TMP/e.csv"
lr 1 1 --cache "$TMP/e.bin" --model-out "$TMP/m.json" "$TMP/e.csv" 2>"$TMP/err" >/dev/null
[ "$(stat -c %s "$TMP/e.csv")" = "$(stat -c %s "$TMP/c.csv")" ] && grep -q "from the cache" "$TMP/err" &&
    model_bits "$TMP/m.json" "$TMP/ref1.json" &&
    ok "one byte changed in place, same size and mtime: --cache-verify quick does not see it (the old rows)" ||
    not_ok "quick check on an in-place edit" "$(head -c 300 "$TMP/err")"
lr 1 2 --cache "$TMP/e.bin" --cache-verify full --model-out "$TMP/m.json" "$TMP/e.csv" 2>"$TMP/err" >/dev/null
grep -q "warning: the cache '$TMP/e.bin' is stale: the CSV's content changed (--cache-verify full): reading $TMP/e.csv and writing the cache again" "$TMP/err" &&
    grep -q "wrote the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/eref.json" &&
    ok "--cache-verify full sees it: a warning, the new rows, the cache rewritten" ||
    not_ok "full check on an in-place edit" "$(head -c 300 "$TMP/err")"
lr 2 1 --cache "$TMP/e.bin" --model-out "$TMP/m.json" "$TMP/e.csv" 2>"$TMP/err" >/dev/null
grep -q "from the cache" "$TMP/err" && ok "the rewritten cache is used by the next run" || not_ok "rewritten cache" "$(head -c 300 "$TMP/err")"
cp "$TMP/c.csv" "$TMP/e.csv"  # an edit keeping the size: back to the old bytes, a new mtime
touch -d "@$(($(date +%s) + 5))" "$TMP/e.csv"
lr 1 1 --cache "$TMP/e.bin" --model-out "$TMP/m.json" "$TMP/e.csv" 2>"$TMP/err" >/dev/null
grep -q "is stale: the CSV's modification time changed" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref1.json" &&
    ok "an edit keeping the size: stale (modification time) in the quick check, the new rows" ||
    not_ok "edit keeping the size" "$(head -c 300 "$TMP/err")"
echo "1,2,3,4,5,6,7" >>"$TMP/e.csv"  # an appended line: size and mtime change
lr 1 1 --cache "$TMP/e.bin" --model-out "$TMP/m.json" "$TMP/e.csv" 2>"$TMP/err" >/dev/null
grep -q "is stale: the CSV's size changed (368712 bytes, now 368726)" "$TMP/err" &&
    ok "an appended line: stale (size), quick check" || not_ok "appended line" "$(head -c 300 "$TMP/err")"

# damage: a flipped byte in the rows, in the header; a truncated file; not a cache
cp "$C" "$TMP/f.bin"
printf '\xff' | dd of="$TMP/f.bin" bs=1 seek=$((3 * 4096 + 1000)) conv=notrunc 2>/dev/null
lr 2 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
rc=$?
[ "$rc" = 0 ] && grep -q "warning: the cache '$TMP/f.bin' is corrupt or truncated: chunk 0 of its 'X' section fails its crc32" "$TMP/err" &&
    grep -q "wrote the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref2.json" &&
    ok "a flipped byte in the rows: the crc32 finds it, a warning, exit 0, the CSV's model, rewritten" ||
    not_ok "flipped byte in the rows (exit $rc)" "$(head -c 300 "$TMP/err")"
cp "$C" "$TMP/f.bin"
printf '\x01' | dd of="$TMP/f.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
lr 3 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "is corrupt: its header fails its crc32" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref3.json" &&
    ok "a flipped byte in the header: a warning, the CSV's model" || not_ok "flipped header byte" "$(head -c 300 "$TMP/err")"
head -c 100000 "$C" >"$TMP/f.bin"
lr 1 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "is truncated: 100000 bytes of $(stat -c %s "$C")" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref1.json" &&
    ok "a truncated cache: a warning naming both sizes, the CSV's model" || not_ok "truncated cache" "$(head -c 300 "$TMP/err")"
cp "$C" "$TMP/f.bin"  # a cache of the first format (version 1, before the "files" section)
printf '\x01\x00\x00\x00' | dd of="$TMP/f.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
lr 1 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "warning: the cache '$TMP/f.bin' was written by another version of linreg_mpi: reading $TMP/c.csv and writing the cache again" "$TMP/err" &&
    grep -q "wrote the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref1.json" &&
    ok "a cache of another format version: stale, said so, rewritten" || not_ok "another version" "$(head -c 300 "$TMP/err")"
cp "$TMP/c.csv" "$TMP/f.bin"
lr 1 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
grep -q "is not a linreg_mpi cache" "$TMP/err" && ok "a file that is not a cache: said so, replaced" || not_ok "not a cache" "$(head -c 300 "$TMP/err")"

# usage errors, and a cache that cannot be written
expect_fail "--cache equal to the input file is a usage error" 2 "--cache '$TMP/c.csv' is the input file: it would be overwritten" 2 --cache "$TMP/c.csv" "$TMP/c.csv"
expect_fail "--cache equal to --model-out" 2 "--model-out and --cache are the same file" 1 --model-out "$TMP/x.json" --cache "$TMP/x.json" "$TMP/c.csv"
expect_fail "--cache-verify without --cache" 2 "--cache-verify needs --cache PATH" 1 --cache-verify full "$TMP/c.csv"
expect_fail "--cache-verify with another word" 2 "--cache-verify: 'some' is not 'quick' or 'full'" 1 --cache "$C" --cache-verify some "$TMP/c.csv"
lr 2 1 --quiet --cache "$TMP/no/such/dir/c.bin" --model-out "$TMP/m.json" "$TMP/c.csv" 2>"$TMP/err" >/dev/null
rc=$?
[ "$rc" = 0 ] && grep -q "warning: cannot write the cache '$TMP/no/such/dir/c.bin'" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref2.json" &&
    ok "a cache that cannot be written: a warning (--quiet keeps it), the run goes on (exit 0)" ||
    not_ok "unwritable cache (exit $rc)" "$(head -c 300 "$TMP/err")"

# categorical levels, missing values filled with the mean, sample weights: all in the cache
awk -F, 'BEGIN { OFS = ","; split("red green blue", lv, " ") }
    NR == 1 { print $0, "colour", "wt"; next }
    { $2 = NR % 17 == 0 ? "" : $2; print $0, lv[NR % 3 + 1], (NR % 5) / 2 }' "$TMP/c.csv" >"$TMP/enc.csv"
E="--target y --categorical colour --missing mean --weights wt --solver exact"
for np in 1 3; do
    lr "$np" 1 $E --quiet --model-out "$TMP/eref$np.json" "$TMP/enc.csv"
done
lr 2 1 $E --cache "$TMP/enc.bin" --model-out "$TMP/m.json" "$TMP/enc.csv" 2>/dev/null >/dev/null
n_ok=0
for np in 1 3; do
    lr "$np" 2 $E --cache "$TMP/enc.bin" --model-out "$TMP/m.json" "$TMP/enc.csv" 2>"$TMP/err" >/dev/null
    grep -q "from the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/eref$np.json" && n_ok=$((n_ok + 1))
done
[ "$n_ok" = 2 ] && grep -q '"colour=red"' "$TMP/m.json" && grep -q '"fill"' "$TMP/m.json" &&
    ok "--categorical, --missing mean and --weights from the cache (written 2x1, read 1x2 and 3x2) = from the CSV, bit for bit" ||
    not_ok "encoded and weighted rows from the cache" "$(head -c 300 "$TMP/err")"
lr 1 1 --target y --categorical colour --missing skip --weights wt --cache "$TMP/enc.bin" --model-out "$TMP/m.json" "$TMP/enc.csv" 2>"$TMP/err" >/dev/null
grep -q "stale: it was written with other options (--missing)" "$TMP/err" &&
    ok "another --missing: stale, and says which option" || not_ok "other --missing" "$(head -c 300 "$TMP/err")"

# predict keeps a row whose target is missing, evaluate skips it: one cache path, two keys
printf 'x,y\n1,2.1\n2,\n3,6.2\n4,NA\n5,9.9\n' >"$TMP/mt.csv"
lr 1 1 --quiet --solver exact --target y --model-out "$TMP/mt.json" "$TMP/mt.csv" 2>/dev/null
lr 1 1 predict --model "$TMP/mt.json" --output "$TMP/pref.csv" "$TMP/mt.csv" 2>/dev/null
lr 1 1 evaluate --model "$TMP/mt.json" "$TMP/mt.csv" >"$TMP/eref.txt" 2>/dev/null
lr 2 1 evaluate --model "$TMP/mt.json" --cache "$TMP/mt.bin" "$TMP/mt.csv" >/dev/null 2>&1
lr 2 1 predict --model "$TMP/mt.json" --cache "$TMP/mt.bin" --output "$TMP/p.csv" "$TMP/mt.csv" 2>"$TMP/err"
lr 2 1 evaluate --model "$TMP/mt.json" --cache "$TMP/mt.bin" "$TMP/mt.csv" >"$TMP/e.txt" 2>"$TMP/err2"
cmp -s "$TMP/p.csv" "$TMP/pref.csv" && [ "$(grep -c ',$' "$TMP/p.csv")" = 0 ] &&
    grep -q "stale: it was written with other options (a missing target)" "$TMP/err" &&
    grep -q "stale: it was written with other options (a missing target)" "$TMP/err2" &&
    cmp -s "$TMP/e.txt" "$TMP/eref.txt" &&
    ok "predict and evaluate on one cache path: each sees the other's cache as stale (missing targets), both give the CSV's output" ||
    not_ok "predict/evaluate sharing a cache" "$(head -c 300 "$TMP/err") $(head -c 200 "$TMP/err2")"

# A data set of several parts (plain, gzip, zstd): each part's identity in the cache. The
# rows are the one stream of the parts' data records, so a cache written under 2 ranks
# gives every rank count the rows it would have parsed; the quick check names the first
# part that differs.
P=$TMP/mp
mkdir -p "$P"
awk -v dir="$P" 'NR == 1 { h = $0; for (k = 0; k < 4; k++) print h > sprintf("%s/part-%05d.csv", dir, k); next }
    { r = NR - 1; k = r <= 700 ? 0 : r <= 2000 ? 1 : r <= 3100 ? 2 : 3; print > sprintf("%s/part-%05d.csv", dir, k) }' "$TMP/c.csv"
gzip "$P/part-00001.csv"
zstd -q --rm "$P/part-00002.csv"
for np in 1 2 3; do
    lr "$np" 1 --quiet --model-out "$TMP/mref$np.json" "$P"
done
lr 2 1 --cache "$TMP/mp.bin" --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
grep -q "wrote the cache '$TMP/mp.bin' (4000 rows" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/mref2.json" &&
    ok "several parts (plain, gzip, zstd): no longer a usage error, the cache written under 2 ranks, the parts' model" ||
    not_ok "cache of several parts written" "$(head -c 300 "$TMP/err")"
for run in "1 1" "2 2" "3 1"; do
    set -- $run
    lr "$1" "$2" --cache "$TMP/mp.bin" --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
    grep -q "read 4000 rows from the cache '$TMP/mp.bin' (quick check" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/mref$1.json" &&
        ok "several parts from the cache = from the parts, bit for bit (written 2x1, read np=$1 threads=$2)" ||
        not_ok "several parts from the cache (np=$1 threads=$2)" "$(head -c 300 "$TMP/err")"
done
# the stream of the parts' data records is c.csv's data, byte for byte: a cache written
# under 1 rank gives 2 and 3 ranks the rows c.csv's byte split gives them, so the models
# are c.csv's own under 2 and 3 ranks, bit for bit
lr 1 1 --quiet --cache "$TMP/mp1.bin" --model-out "$TMP/m.json" "$P"
for np in 2 3; do
    lr "$np" 1 --cache "$TMP/mp1.bin" --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
    grep -q "read 4000 rows from the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/ref$np.json" &&
        ok "several parts cached under 1 rank, read under $np: c.csv's model under $np ranks, bit for bit (the stream's byte split)" ||
        not_ok "several parts from a 1-rank cache (np=$np)" "$(head -c 300 "$TMP/err")"
done
lr 3 1 --cache "$TMP/mp.bin" --cache-verify full --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
grep -q "(full check" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/mref3.json" &&
    ok "--cache-verify full on unchanged parts (4 files hashed by 3 ranks): the cache is used" ||
    not_ok "full check of unchanged parts" "$(head -c 300 "$TMP/err")"
cp "$TMP/mp.bin" "$TMP/f.bin"  # a flipped byte in the "files" section (in a part's path)
at=$(grep -obUaF "part-00002.csv.zst" "$TMP/f.bin" | head -1 | cut -d: -f1)
printf 'X' | dd of="$TMP/f.bin" bs=1 seek="${at:-0}" conv=notrunc 2>/dev/null
lr 1 1 --cache "$TMP/f.bin" --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
[ -n "$at" ] && grep -q "warning: the cache '$TMP/f.bin' is corrupt or truncated: chunk 0 of its 'files' section fails its crc32: reading the 4 input files and writing the cache again" "$TMP/err" &&
    model_bits "$TMP/m.json" "$TMP/mref1.json" &&
    ok "a flipped byte in the cache's list of files: the crc32 finds it, the parts' model" ||
    not_ok "flipped byte in the files section" "$(head -c 300 "$TMP/err")"
expect_fail "--cache equal to the second of several inputs is a usage error" 2 "--cache '$P/part-00003.csv' is input 2 of 2: it would be overwritten" 1 \
    --cache "$P/part-00003.csv" "$P/part-00000.csv" "$P/part-00003.csv"
# stale_parts WHAT MESSAGE REF ARGS...: under 1 rank, a warning with MESSAGE, the rows parsed
# again (REF's model) and the cache rewritten
stale_parts() {
    local what=$1 msg=$2 ref=$3
    shift 3
    lr 1 1 --cache "$TMP/mp.bin" --model-out "$TMP/m.json" "$@" 2>"$TMP/err" >/dev/null
    grep -qF "warning: the cache '$TMP/mp.bin' is stale: $msg: reading " "$TMP/err" &&
        grep -q "wrote the cache" "$TMP/err" && model_bits "$TMP/m.json" "$ref" &&
        ok "$what: stale, said so, parsed again, the cache rewritten" ||
        not_ok "$what" "$(head -c 300 "$TMP/err")"
}
touch -d "@$(($(date +%s) + 5))" "$P/part-00001.csv.gz"
stale_parts "one part touched (gzip)" "the modification time of '$P/part-00001.csv.gz' changed" "$TMP/mref1.json" "$P"
# part 3 replaced by other data of the same size (another file: mv), then a part added
awk -F, 'BEGIN { OFS = "," } NR == 5 { sub(/[0-8]/, "9", $1) } { print }' "$P/part-00003.csv" >"$TMP/new3.csv"
cmp -s "$TMP/new3.csv" "$P/part-00003.csv" || [ "$(stat -c %s "$TMP/new3.csv")" != "$(stat -c %s "$P/part-00003.csv")" ] &&
    not_ok "the replacement part: other bytes, the same size"
mv "$TMP/new3.csv" "$P/part-00003.csv"
lr 1 1 --quiet --model-out "$TMP/mref-r.json" "$P"
model_bits "$TMP/mref-r.json" "$TMP/mref1.json" && not_ok "the replacement part changes the model"
stale_parts "one part replaced by other data of the same size" "'$P/part-00003.csv' is another file (device or inode changed)" "$TMP/mref-r.json" "$P"
head -n 301 "$TMP/c.csv" >"$P/part-00004.csv"
lr 1 1 --quiet --model-out "$TMP/mref-a.json" "$P"
stale_parts "a part added" "the input files changed: '$P/part-00004.csv' was added (5 files, were 4)" "$TMP/mref-a.json" "$P"
mv "$P/part-00004.csv" "$P/part-00009.csv"
stale_parts "a part renamed" "the input files changed: file 5 is '$P/part-00009.csv', was '$P/part-00004.csv'" "$TMP/mref-a.json" "$P"
mv "$P/part-00009.csv" "$TMP/part-00004.csv"
stale_parts "a part removed" "the input files changed: '$P/part-00009.csv' was removed (4 files, were 5)" "$TMP/mref-r.json" "$P"
lr 1 1 --quiet --model-out "$TMP/mref-o.json" "$P/part-00003.csv" "$P/part-00000.csv" "$P/part-00001.csv.gz" "$P/part-00002.csv.zst"
stale_parts "the parts in another order" "the input files changed: file 1 is '$P/part-00003.csv', was '$P/part-00000.csv'" "$TMP/mref-o.json" \
    "$P/part-00003.csv" "$P/part-00000.csv" "$P/part-00001.csv.gz" "$P/part-00002.csv.zst"
lr 2 1 --quiet --cache "$TMP/mp.bin" --model-out "$TMP/m.json" "$P"  # written again, 2 ranks
# one part edited in place, size and modification time kept: quick misses it, full names it
stamp=$(stat -c %y "$P/part-00000.csv")
awk -F, 'BEGIN { OFS = "," } NR == 9 { sub(/[0-8]/, "9", $2) } { print }' "$P/part-00000.csv" >"$TMP/new0.csv"
cat "$TMP/new0.csv" >"$P/part-00000.csv"  # in place: the same inode
touch -d "$stamp" "$P/part-00000.csv"
lr 1 1 --quiet --model-out "$TMP/mref-e.json" "$P"
lr 1 1 --cache "$TMP/mp.bin" --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
! model_bits "$TMP/mref-e.json" "$TMP/mref-r.json" && grep -q "from the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/mref-r.json" &&
    ok "a part edited in place, same size and mtime: --cache-verify quick does not see it (the old rows)" ||
    not_ok "quick check on a part edited in place" "$(head -c 300 "$TMP/err")"
lr 3 1 --cache "$TMP/mp.bin" --cache-verify full --model-out "$TMP/m.json" "$P" 2>"$TMP/err" >/dev/null
lr 3 1 --quiet --model-out "$TMP/mref-e3.json" "$P"
grep -qF "warning: the cache '$TMP/mp.bin' is stale: the content of '$P/part-00000.csv' changed (--cache-verify full): reading the 4 input files and writing the cache again" "$TMP/err" &&
    grep -q "wrote the cache" "$TMP/err" && model_bits "$TMP/m.json" "$TMP/mref-e3.json" &&
    ok "--cache-verify full (3 ranks) names the part edited in place, parses the new rows, rewrites the cache" ||
    not_ok "full check on a part edited in place" "$(head -c 300 "$TMP/err")"
