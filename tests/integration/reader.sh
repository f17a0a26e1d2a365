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
    expect_fail "empty field" 65 "empty.csv:1700:6: column 'b': '' is empty" $np "$TMP/empty.csv"
    expect_fail "NA" 65 "na.csv:2999:6: column 'b': 'NA' is not a number" $np "$TMP/na.csv"
    expect_fail "nan" 65 "nan.csv:40:4: column 'b': 'nan' is not a number" $np "$TMP/nan.csv"
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
    expect_fail "a directory" 66 "a_directory: cannot read: Is a directory" $np "$TMP/a_directory"
done

# spaces around names in a list go, as around header names
lr 2 1 describe --json --features "x1, x2 " --drop " y" "$TMP/gen.csv" >"$TMP/spaced.json" 2>"$TMP/err" &&
    lr 2 1 describe --json --features x1,x2 --drop y "$TMP/gen.csv" >"$TMP/plain.json" 2>>"$TMP/err" &&
    cmp -s "$TMP/spaced.json" "$TMP/plain.json" && grep -q '"x2"' "$TMP/plain.json" &&
    ok "--features 'x1, x2 ' --drop ' y' is --features x1,x2 --drop y" ||
    not_ok "spaces around names in --features" "$(head -2 "$TMP/err")"

# --- --on-bad-row skip: counts the bad rows and names the first lines
for np in 1 3; do
    cat "$TMP/nonnum.csv" >"$TMP/skip.csv"
    printf '9,9\n1,x,3\n' >>"$TMP/skip.csv"
    lr "$np" 1 describe --on-bad-row skip "$TMP/skip.csv" >"$TMP/out" 2>"$TMP/err" &&
        grep -q "skipped 3 bad rows (--on-bad-row skip); first at lines 2500, 3002, 3003" "$TMP/err" &&
        grep -q "^rows: 2999$" "$TMP/out" &&
        ok "--on-bad-row skip reports 3 rows and their lines (np=$np)" ||
        not_ok "--on-bad-row skip (np=$np)" "$(cat "$TMP/err" "$TMP/out" | head -5)"
done
