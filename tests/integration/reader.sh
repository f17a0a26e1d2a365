# reader.sh — describe across ranks and threads; every bad input fails cleanly everywhere.

# --- the same statistics under every rank and thread count, and the right ones
"$GEN" --rows 20000 --features 4 --kind hard --seed 5 "$TMP/gen.csv" 2>/dev/null
lr 1 1 describe --json "$TMP/gen.csv" >"$TMP/ref.json" 2>/dev/null
# an independent computation: two-pass mean and population std per column, in awk
awk -F, 'NR > 1 { n++; for (j = 1; j <= NF; j++) s[j] += $j; nf = NF; row[n] = $0 }
    END { for (j = 1; j <= nf; j++) mean[j] = s[j] / n;
          for (i = 1; i <= n; i++) { split(row[i], v, ","); for (j = 1; j <= nf; j++) m2[j] += (v[j] - mean[j])^2 }
          for (j = 1; j <= nf; j++) printf "%.17g %.17g\n", mean[j], sqrt(m2[j] / n) }' \
    "$TMP/gen.csv" >"$TMP/awk.txt"
paste <(json_numbers "$TMP/ref.json" mean) <(json_numbers "$TMP/ref.json" std) >"$TMP/ref.txt"
bad=$(paste "$TMP/ref.txt" "$TMP/awk.txt" | while read -r m s am as; do
    close "$m" "$am" 1e-9 && close "$s" "$as" 1e-9 || echo "$m/$s vs $am/$as"; done)
[ "$(json_numbers "$TMP/ref.json" rows)" = 20000 ] && [ -z "$bad" ] &&
    [ "$(wc -l <"$TMP/ref.txt")" = 5 ] &&
    ok "describe matches an independent awk computation (20000 rows, 5 columns)" ||
    not_ok "describe vs awk" "$bad"

# a text column is left out of the statistics and named
printf 'name,a,y\nx,1,2\nz,3,5\n' >"$TMP/text_col.csv"
lr 2 1 describe --json "$TMP/text_col.csv" >"$TMP/tc.json" 2>/dev/null
tr -d ' \n' <"$TMP/tc.json" | grep -q '"left_out":\["name"\]' &&
    [ "$(json_numbers "$TMP/tc.json" mean | tr '\n' ' ')" = "2.0 3.5 " ] &&
    ok "describe --json: a text column is listed under left_out, the others described" ||
    not_ok "describe left_out" "$(tr -d ' \n' <"$TMP/tc.json")"

for np in 1 2 3 4 8; do
    for th in 1 2 3; do
        lr "$np" "$th" describe --json "$TMP/gen.csv" >"$TMP/d.json" 2>/dev/null
        bad=""
        for key in mean std min max count; do
            bad+=$(paste <(json_numbers "$TMP/ref.json" $key) <(json_numbers "$TMP/d.json" $key) |
                while read -r a b; do close "$a" "$b" 1e-12 || echo "$key $a != $b; "; done)
        done
        [ "$(json_numbers "$TMP/d.json" rows)" = 20000 ] && [ -z "$bad" ] &&
            [ "$(json_numbers "$TMP/d.json" mean | wc -l)" = 5 ] &&
            ok "describe: same stats under $np ranks x $th threads" ||
            not_ok "describe under $np ranks x $th threads" "$bad"
    done
done

# --- bad inputs: the exit code and FILE:LINE:COLUMN, under 1, 2 and 3 ranks, in seconds
big_with() {  # big_with LINE TEXT: 3000 good rows with line LINE replaced by TEXT
    awk -v L="$1" -v T="$2" 'BEGIN { print "a,b,y"; for (i = 2; i <= 3001; i++) print (i == L ? T : i "," i*2 "," i*3) }'
}
big_with 2500 "2500,oops,7" >"$TMP/nonnum.csv"
big_with 1700 "1700,,7" >"$TMP/empty.csv"
big_with 2999 "2999,NA,7" >"$TMP/na.csv"
big_with 40 "40,nan,7" >"$TMP/nan.csv"
big_with 3001 "3001,4,inf" >"$TMP/inf.csv"
big_with 1200 "1200,4" >"$TMP/few.csv"
big_with 2222 "2222,4,5,6" >"$TMP/many.csv"
big_with 2000 '2000,"4' >"$TMP/quote.csv"
# bad rows in every rank's range: the first one is reported, whatever the rank count
awk 'BEGIN { print "a,b,y"; for (i = 2; i <= 3001; i++) print (i % 500 == 11 ? "x" i : i) "," i*2 "," i*3 }' >"$TMP/many_bad.csv"
printf 'a,b,y\n' >"$TMP/header_only.csv"
: >"$TMP/empty_file.csv"
printf 'a,b,a\n1,2,3\n' >"$TMP/dup.csv"
mkdir -p "$TMP/a_directory"
for np in 1 2 3; do
    expect_fail "non-numeric field" 65 "nonnum.csv:2500:6: column 'b': 'oops' is not a number" $np "$TMP/nonnum.csv"
    expect_fail "empty field" 65 "empty.csv:1700:6: column 'b': '' is a missing value; --missing skip skips such rows, --missing mean" $np "$TMP/empty.csv"
    expect_fail "NA" 65 "na.csv:2999:6: column 'b': 'NA' is a missing value" $np "$TMP/na.csv"
    expect_fail "nan" 65 "nan.csv:40:4: column 'b': 'nan' is a missing value" $np "$TMP/nan.csv"
    expect_fail "inf" 65 "inf.csv:3001:8: column 'y': 'inf' is not a number" $np "$TMP/inf.csv"
    expect_fail "too few fields" 65 "few.csv:1200:7: too few fields: expected 3" $np "$TMP/few.csv"
    expect_fail "too many fields" 65 "many.csv:2222:10: too many fields" $np "$TMP/many.csv"
    expect_fail "newline in quoted field" 65 "quote.csv:2000:6: quoted field not closed" $np "$TMP/quote.csv"
    expect_fail "bad rows in every range" 65 "many_bad.csv:11:1: column 'a': 'x11' is not a number" $np "$TMP/many_bad.csv"
    expect_fail "header only" 65 "header_only.csv: no data rows after the header" $np "$TMP/header_only.csv"
    expect_fail "empty file" 65 "empty_file.csv: the file is empty" $np "$TMP/empty_file.csv"
    expect_fail "duplicate column names" 65 "dup.csv:1:5: duplicate column name 'a'" $np "$TMP/dup.csv"
    expect_fail "unknown target" 65 "nonnum.csv:1:1: --target: no column named 'z'" $np --target z "$TMP/nonnum.csv"
    expect_fail "target number out of range" 2 "nonnum.csv: --target: no column named '4', and column numbers go from 1 to 3" $np --target 4 "$TMP/nonnum.csv"
    expect_fail "a column in --features and --drop" 2 "--drop: 'b' is also in --features" $np --features a,b --drop b "$TMP/nonnum.csv"
    expect_fail "unknown feature" 65 "nonnum.csv:1:1: --features: no column named 'q'" $np --features a,q "$TMP/nonnum.csv"
    expect_fail "missing file" 66 "no_such.csv: cannot open: No such file" $np "$TMP/no_such.csv"
    expect_fail "a directory without CSV files (directories are inputs: inputs.sh)" 66 "a_directory: the directory holds no file named" $np "$TMP/a_directory"
done

# spaces around names in a list go, as around header names
lr 2 1 describe --json --features "x1, x2 " --drop " y" "$TMP/gen.csv" >"$TMP/spaced.json" 2>"$TMP/err" &&
    lr 2 1 describe --json --features x1,x2 --drop y "$TMP/gen.csv" >"$TMP/plain.json" 2>>"$TMP/err" &&
    cmp -s "$TMP/spaced.json" "$TMP/plain.json" && grep -q '"x2"' "$TMP/plain.json" &&
    ok "--features 'x1, x2 ' --drop ' y' is --features x1,x2 --drop y" ||
    not_ok "spaces around names in --features" "$(head -2 "$TMP/err")"

# --- --on-bad-row skip: counts the bad rows and names the first lines (a record of
# several lines by its line range)
for np in 1 3; do
    cat "$TMP/nonnum.csv" >"$TMP/skip.csv"
    printf '9,9\n1,x,3\n"4\n5",6,7\n' >>"$TMP/skip.csv"
    lr "$np" 1 --on-bad-row skip --model-out "$TMP/skip.json" "$TMP/skip.csv" >"$TMP/out" 2>"$TMP/err" &&
        grep -q "skipped 4 bad rows (--on-bad-row skip); first at lines 2500, 3002, 3003, 3004-3005$" "$TMP/err" &&
        [ "$(json_numbers "$TMP/skip.json" rows | head -1)" = 2999 ] &&
        ok "--on-bad-row skip reports 4 records and their lines (np=$np)" ||
        not_ok "--on-bad-row skip (np=$np)" "$(cat "$TMP/err" "$TMP/out" | head -5)"
done

# --- messages that say what would let the value through
for np in 1 2; do
    expect_fail "a text value: the --drop that leaves its column out" 65 \
        "nonnum.csv:2500:6: column 'b': 'oops' is not a number; one-hot encode it with --categorical b (or --categorical auto: every text column), leave the column out with --drop b, or skip such rows with --on-bad-row skip" $np "$TMP/nonnum.csv"
    expect_fail "a text value with --features: leave it out of them" 65 \
        "nonnum.csv:2500:6: column 'b': 'oops' is not a number; one-hot encode it with --categorical b (or --categorical auto: every text column), leave the column out of --features, or skip" $np --features a,b "$TMP/nonnum.csv"
    expect_fail "an empty value: --missing skip or mean" 65 \
        "empty.csv:1700:6: column 'b': '' is a missing value; --missing skip skips such rows, --missing mean fills in the column's training mean" $np --features a,b "$TMP/empty.csv"
    expect_fail "a text target: --drop does not apply" 65 \
        "column 'y': 'inf' is not a number; it is the target (--drop does not apply): choose another with --target" $np "$TMP/inf.csv"
done

# --- RFC 4180: newlines (LF, CRLF) inside quoted fields, doubled quotes, delimiters; the
# cases of the public corpora (csv-spectrum, csv-test-data, the csv-parser fixtures) in
# files of our own, read under 1, 2, 3 and 8 ranks x 1-3 threads with blocks of a few bytes
# (LINREG_TEST_BLOCK_BYTES, which only the test build reads), so that quoted newlines fall
# on rank, block and piece boundaries; Python's csv module is the reference.
# The release binary reads no test variable: their names are not in it (make's release
# build, whatever $BIN is: make asan runs a build with the hooks).
REL=$ROOT/bin/linreg_mpi
if grep -a -q LINREG_TEST "$REL"; then
    not_ok "the release binary reads no LINREG_TEST_* variable" \
        "$(grep -a -o 'LINREG_TEST[A-Z_]*' "$REL" | sort -u | tr '\n' ' ')"
elif ! grep -a -q LINREG_TEST "$HOOKS_BIN"; then
    not_ok "the release binary reads no LINREG_TEST_* variable" \
        "the hooks build has no such name either: the check cannot tell"
else
    ok "the release binary reads no LINREG_TEST_* variable"
fi
printf 'a,note,c\n1,x,3\n4,"multi\n5,6,7\n8",6\n9,y,9\n' >"$TMP/m.csv"
for np in 1 2 3 8; do
    for skip in error skip; do
        lr "$np" 2 describe --json --drop note --on-bad-row $skip "$TMP/m.csv" >"$TMP/m.json" 2>"$TMP/err"
        mean=$(json_numbers "$TMP/m.json" mean | head -1)
        [ "$(json_numbers "$TMP/m.json" rows)" = 3 ] && close "$mean" 4.6666666666666667 1e-15 &&
            ok "m.csv: mean(a) = 4.667 over 3 records (np=$np, --on-bad-row $skip)" ||
            not_ok "m.csv (np=$np, $skip)" "mean $mean: $(head -2 "$TMP/err")"
    done
done
python3 - "$TMP" <<'PY'
import random, sys
d = sys.argv[1]
def write(name, text):
    open(f"{d}/{name}", "w", newline="", encoding="utf-8").write(text)
# csv-spectrum style cases, with numbers next to them
write("comma_in_quotes.csv", 'first,last,address,city,zip\r\nJohn,Doe,120 any st.,"Anytown, WW",08123\r\n')
write("escaped_quotes.csv", 'a,b\r\n1,"ha ""ha"" ha"\r\n3,4\r\n')
write("newlines.csv", 'a,b,c\r\n1,2,3\r\n"Once upon \r\na time",5,6\r\n7,8,9\r\n')
write("newlines_lf.csv", 'a,b,c\n1,2,3\n"Once upon \na time",5,6\n7,8,9\n')
write("quotes_and_newlines.csv", 'a,b\n1,"ha \n""ha"" \nha"\n3,4\n')
write("quoted_numbers_escaped.csv", 'x,y\n"1","2"\n"""3""",4\n5,""\n')
write("empty_fields.csv", 'a,b,c\n1,"",""\n2,3,\n')
write("utf8.csv", 'a,b,c\n1,2,3\n4,5,\u02a4\n')
# a multi-line free-text column among numbers, many records, CRLF and LF mixed
random.seed(11)
rows = ["id,note,x,y"]
for i in range(3000):
    note = random.choice(['plain', '"two\nlines"', '"crlf\r\ninside"', '"a, ""quoted"" word"',
                          '"\n\n"', '""', 'x'])
    rows.append(f"{i},{note},{random.uniform(-9, 9):.6f},{random.randint(0, 99)}")
write("free_text.csv", "".join(r + random.choice(["\n", "\r\n"]) for r in rows))
PY
# describe's figures from Python's csv module: rows; per column count, distinct text or
# mean/min/max, in file order
reference() {
    python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head, data = rows[0], [r for r in rows[1:] if len(r) > 1 or (r and r[0].strip(" \t\r"))]
print("rows", len(data))
for j, name in enumerate(head):
    vals = [r[j] for r in data if r[j].strip(" \t") != ""]
    if not vals:
        print(name, 0, "text", 0)
        continue
    try:
        nums = [float(v) for v in vals]
        print(name, len(vals), "%.17g %.17g %.17g" % (sum(nums) / len(nums), min(nums), max(nums)))
    except ValueError:
        distinct = set()
        for v in vals:
            try:
                distinct.add(float(v))
            except ValueError:
                distinct.add(v)
        print(name, len(vals), "text", len(distinct))
PY
}
# same_figures REF JSON...: each describe --json output against REF's figures (the same
# lines, numbers within 1e-12), in one Python for all of them; prints "np=N th=T block=B; "
# (from the names, FILE.N.T.B.json) for each that differs, then the first one's figures
same_figures() {
    python3 - "$@" <<'PY'
import json, sys
def table(lines):
    return {l.split()[0]: l.split()[1:] for l in lines if l.strip()}
def figures(path):  # the reference's lines, from describe --json
    j = json.load(open(path))
    cols = {c["name"]: "%d %.17g %.17g %.17g" % (c["count"], c["mean"], c["min"], c["max"]) for c in j["columns"]}
    cols.update({c["name"]: "%d text %d" % (c["count"], c["distinct"]) for c in j["text"]})
    return ["rows %d" % j["rows"]] + ["%s %s" % (name, cols[name]) for name in cols]
def same(x, y):
    try:
        a, b = float(x), float(y)
    except ValueError:
        return x == y
    return abs(a - b) <= 1e-12 * max(1, abs(a))
a = table(open(sys.argv[1]))
first = None
for path in sys.argv[2:]:
    try:
        got = figures(path)
    except (OSError, ValueError, KeyError, TypeError) as e:
        got = ["unreadable: %s" % e]
    b = table(got)
    if not (a.keys() == b.keys() and all(
            len(a[k]) == len(b[k]) and all(same(x, y) for x, y in zip(a[k], b[k])) for k in a)):
        np_, th, block = path.rsplit(".", 4)[1:4]
        print("np=%s th=%s block=%s; " % (np_, th, block), end="")
        first = first or got
if first:
    print("| got: " + " ".join(first[:3]))
    sys.exit(1)
PY
}
# every rank, thread and block combination on the largest file; a spread of them elsewhere
for f in comma_in_quotes escaped_quotes newlines newlines_lf quotes_and_newlines \
         quoted_numbers_escaped empty_fields utf8 free_text; do
    reference "$TMP/$f.csv" >"$TMP/$f.ref"
    ranks="1 3 8" threads="1 3" blocks="1 7"
    [ $f = free_text ] && ranks="1 2 3 8" threads="1 2 3" blocks="1 7 64"
    rm -f "$TMP/$f".*.json
    : >"$TMP/err"
    for np in $ranks; do
        for th in $threads; do
            for block in $blocks; do
                LINREG_TEST_BLOCK_BYTES=$block timeout 30 mpirun --oversubscribe --bind-to none -n $np \
                    -x LINREG_TEST_BLOCK_BYTES "$HOOKS_BIN" describe --json --threads $th "$TMP/$f.csv" \
                    >"$TMP/$f.$np.$th.$block.json" 2>>"$TMP/err" </dev/null
            done
        done
    done
    bad=$(same_figures "$TMP/$f.ref" "$TMP/$f".*.json) && [ -z "$bad" ] &&
        ok "RFC 4180 $f.csv: describe = Python's csv module under ranks $ranks x threads $threads x blocks of $blocks bytes" ||
        not_ok "RFC 4180 $f.csv" "$bad $(head -c 300 "$TMP/err") | want: $(head -3 "$TMP/$f.ref" | tr '\n' ' ')"
done
# train and predict read the same records: the free-text column dropped
lr 3 2 --quiet --drop note,id --target y --model-out "$TMP/ft.json" "$TMP/free_text.csv" &&
    [ "$(json_numbers "$TMP/ft.json" rows | head -1)" = 3000 ] &&
    ok "train --drop note: 3000 records from a file with multi-line notes" ||
    not_ok "train on free_text.csv" "rows $(json_numbers "$TMP/ft.json" rows | head -1)"

# --- describe judges a column by its values, and a bad first row as train does
{ printf 'a,b,c\n1,2\n'; for i in $(seq 2 50); do echo "$i,x$((i % 7)),$i"; done; } >"$TMP/bad_first.csv"
for np in 1 3; do
    expect_fail "describe: a short first data row is located, not 'no numeric columns'" 65 \
        "bad_first.csv:2:4: too few fields: expected 3" $np describe "$TMP/bad_first.csv"
    lr $np 1 describe --json --on-bad-row skip "$TMP/bad_first.csv" >"$TMP/bf.json" 2>/dev/null
    tr -d ' \n' <"$TMP/bf.json" | grep -q '"text":\[{"name":"b","count":49,"missing":0,"distinct":7,' &&
        [ "$(json_numbers "$TMP/bf.json" rows)" = 49 ] &&
        ok "describe --on-bad-row skip: the first row skipped, b is text with 7 distinct values (np=$np)" ||
        not_ok "describe skip first row (np=$np)" "$(tr -d ' \n' <"$TMP/bf.json" | head -c 300)"
done
{ printf 'a,b\n'; head -c 70000 /dev/zero | tr '\0' '\n'; printf '1,2\n3,4\n'; } >"$TMP/blank_start.csv"
lr 2 1 describe --json "$TMP/blank_start.csv" >"$TMP/bs.json" 2>"$TMP/err" &&
    [ "$(json_numbers "$TMP/bs.json" mean | tr '\n' ' ')" = "2.0 3.0 " ] &&
    ok "describe: 70,000 blank lines before the first row" || not_ok "blank start" "$(head -2 "$TMP/err")"
printf 'a,b\n1,\n,4\n5,6\n' >"$TMP/missing.csv"
lr 2 1 describe --json "$TMP/missing.csv" >"$TMP/mi.json" 2>"$TMP/err" &&
    [ "$(json_numbers "$TMP/mi.json" count | tr '\n' ' ')" = "2 2 " ] &&
    [ "$(json_numbers "$TMP/mi.json" mean | tr '\n' ' ')" = "3.0 5.0 " ] &&
    ok "describe: empty values are missing, counted out" || not_ok "describe missing" "$(cat "$TMP/mi.json" "$TMP/err" | head -5)"
# CR-only line endings and UTF-16: the same message from describe and train
printf 'a,b\r1,2\r3,4\r' >"$TMP/cr_only.csv"
printf '\xff\xfea\0,\0b\0\n\0001\0,\0002\0\n\0' >"$TMP/utf16.csv"
for cmd in describe train; do
    expect_fail "$cmd: CR-only line endings named" 65 "cr_only.csv:1:4: carriage return without a line feed: CR-only line endings are not supported" 2 $cmd "$TMP/cr_only.csv"
    expect_fail "$cmd: UTF-16 named" 65 "utf16.csv:1:1: the file is UTF-16 (byte order mark FF FE)" 2 $cmd "$TMP/utf16.csv"
done

# --- issue 14: every piece parsed whatever team OpenMP gives (fewer threads than asked).
# predict writes every row's prediction, computed serially from the row read: the same
# output as a one-thread run means the same rows, in the same order, to the bit.
"$GEN" --rows 200000 --features 3 --seed 9 "$TMP/big.csv" 2>/dev/null
lr 1 1 --quiet --model-out "$TMP/big_model.json" "$TMP/big.csv"
teams() {  # teams ENV... -- ARGS: predict under the given OpenMP environment, 20 KB blocks
    local envs=()
    while [ "$1" != -- ]; do envs+=(-x "$1"); shift; done
    shift
    env LINREG_TEST_BLOCK_BYTES=20000 timeout 60 mpirun --oversubscribe --bind-to none -n 1 \
        -x LINREG_TEST_BLOCK_BYTES "${envs[@]}" "$HOOKS_BIN" predict --model "$TMP/big_model.json" \
        --output "$TMP/team.csv" "$@" "$TMP/big.csv" 2>/dev/null </dev/null
}
teams OMP_NUM_THREADS=1 -- --threads 1 && mv "$TMP/team.csv" "$TMP/plain.csv"
for run in "OMP_THREAD_LIMIT=1 -- --threads 4" "OMP_THREAD_LIMIT=2 -- --threads 4" \
           "OMP_THREAD_LIMIT=2 -- --threads 8" "OMP_DYNAMIC=true -- --threads 8"; do
    rm -f "$TMP/team.csv"
    # shellcheck disable=SC2086
    teams $run
    [ "$(wc -l <"$TMP/team.csv")" = 200001 ] && cmp -s "$TMP/team.csv" "$TMP/plain.csv" &&
        ok "$run: all 200000 rows, bit for bit those of one thread" ||
        not_ok "$run" "$(wc -l <"$TMP/team.csv") lines"
done

# --- a stray quote flips the parity of every later record: skip mode must not swallow the
# lines after it in silence, so it is an error there too, at its line, on every rank count
{ echo "a,b,y"; for i in $(seq 1 100); do if [ "$i" = 22 ]; then echo '5,6"x,7'; else echo "$i,$((i * 2)),$((i * 3))"; fi; done; } >"$TMP/stray.csv"
for np in 1 2 3; do
    expect_fail "skip mode with a stray quote: an error, not 79 lines lost" 65 \
        "stray.csv:23:3: misplaced quote: .*--on-bad-row skip cannot skip it" "$np" \
        describe --on-bad-row skip "$TMP/stray.csv"
done
printf 'a,y\n1,2\n"3,4\n5,6\n' >"$TMP/open.csv"
expect_fail "skip mode with a quote never closed: an error" 65 \
    "open.csv:3:1: quoted field not closed: its quote runs to the end of the file (2 lines); --on-bad-row skip cannot skip it" 2 \
    --on-bad-row skip --model-out "$TMP/o.json" "$TMP/open.csv"

# --- a rank's share read in blocks of 4096 rows (LINREG_TEST_MAX_ROWS, test build), then
# put together: the model the one block gives (exact solver, a categorical column, skipped
# records), the same skipped lines, a cache written from the blocks and read back in
# blocks, and the same first error: here a later rank's first block fails, and the earlier
# rank's error in a later block is the one reported, as in the one block. The first
# records' long notes leave rank 0 fewer rows: it gets empty blocks while the others read.
python3 - "$TMP" <<'PY'
import random, sys
random.seed(3)
def write(name, bad):  # and where its bad records are: first-last line, or the line
    rows, where = ["id,note,cat,x1,x2,y"], []
    for i in range(30000):
        note = random.choice(['plain', '"two\nlines"', '"crlf\r\ninside"', '"a, ""q"" w"', 'x'])
        if i < 3000:
            note = '"' + "a long note, " * 20 + '"'
        cat = random.choice(["red", "green", "blue", "teal"])
        x1, x2 = random.uniform(-5, 5), random.uniform(0, 3)
        y = 1 + 2 * x1 - x2 + {"red": 0, "green": 1, "blue": -1, "teal": .5}[cat]
        y += random.gauss(0, .1)
        rows.append(f"{i},{note},{cat},{x1:.6f},{'oops' if bad(i) else f'{x2:.6f}'},{y:.6f}")
        if bad(i):
            first = sum(r.count("\n") + 1 for r in rows[:-1]) + 1
            last = first + note.count("\n")
            where.append(f"{first}-{last}" if last > first else f"{first}")
        if i % 811 == 5:
            rows.append("")
    open(f"{sys.argv[1]}/{name}", "w", newline="").write(
        "".join(r + ("\r\n" if i % 3 == 0 else "\n") for i, r in enumerate(rows)))
    open(f"{sys.argv[1]}/{name}.bad", "w").write(", ".join(where[:5]) + "\n")
write("blocks.csv", lambda i: i % 4999 == 17)
write("blocks_err.csv", lambda i: i in (12000, 20500))
PY
err_line=$(cut -d, -f1 "$TMP/blocks_err.csv.bad")
blocks_run() {  # blocks_run NP MAX_ROWS ARGS...: the hooks build, 2 threads, 64 KB pieces
    local np=$1 rows=$2
    shift 2
    LINREG_TEST_MAX_ROWS=$rows LINREG_TEST_BLOCK_BYTES=65536 timeout 30 mpirun --oversubscribe \
        --bind-to none -n "$np" -x LINREG_TEST_MAX_ROWS -x LINREG_TEST_BLOCK_BYTES "$HOOKS_BIN" \
        --threads 2 "$@" </dev/null
}
for np in 1 2 3; do
    bad=""
    for rows in 0 4096; do
        rm -f "$TMP/blk_$rows.cache"
        for pass in files cache; do
            blocks_run $np $rows --solver exact --drop note,id --categorical cat \
                --on-bad-row skip --cache "$TMP/blk_$rows.cache" \
                --model-out "$TMP/blk_${rows}_$pass.json" "$TMP/blocks.csv" >/dev/null \
                2>"$TMP/blk_${rows}_$pass.err" || bad+="$rows $pass: exit $?; "
            grep -v '"seconds"' "$TMP/blk_${rows}_$pass.json" >"$TMP/blk_${rows}_$pass.model"
            grep 'skipped' "$TMP/blk_${rows}_$pass.err" >"$TMP/blk_${rows}_$pass.skipped"
        done
        blocks_run $np $rows --drop note,id --categorical cat --model-out "$TMP/blk_e.json" \
            "$TMP/blocks_err.csv" >/dev/null 2>"$TMP/err"
        echo "exit $? $(head -1 "$TMP/err")" >"$TMP/blk_${rows}_e.err"
    done
    for f in files.model files.skipped cache.model cache.skipped e.err; do
        cmp -s "$TMP/blk_0_$f" "$TMP/blk_4096_$f" || bad+="$f differs; "
    done
    cmp -s "$TMP/blk_0_files.model" "$TMP/blk_0_cache.model" || bad+="the cache's model differs; "
    grep -q "first at lines $(cat "$TMP/blocks.csv.bad")\$" "$TMP/blk_4096_files.skipped" ||
        bad+="skipped: $(cat "$TMP/blk_4096_files.skipped"); "
    grep -q "^exit 65 [^ ]*blocks_err.csv:$err_line:[0-9]*: column 'x2': 'oops' is not a number" \
        "$TMP/blk_4096_e.err" ||
        bad+="error: $(head -c 200 "$TMP/blk_4096_e.err"); "
    [ -z "$bad" ] &&
        ok "blocks of 4096 rows put together: the one block's model, skipped lines, cache and error at line $err_line (np=$np)" ||
        not_ok "blocks of 4096 rows (np=$np)" "$bad"
done
