# big_file.sh — a CSV larger than 2^31 bytes, end to end: 64-bit offsets in the sharding and
# reading, 64-bit row counts and matrix indices; --memory stream's peak memory on it.
# `make test-big` (CI runs it too).

need=6000000  # KiB of free space for the 2.5 GB file and its neighbours
free_kb=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need" ]; then
    echo "  SKIPPED  big file test: only $((free_kb / 1024)) MiB free in $TMP, it needs $((need / 1024)) MiB"
else
    "$GEN" --rows 9000000 --features 20 --seed 77 --noise 0.1 --coef-out "$TMP/coef.json" "$TMP/big.csv" 2>/dev/null
    bytes=$(stat -c %s "$TMP/big.csv")
    [ "$bytes" -gt 2147483648 ] && ok "generated $bytes bytes (> 2^31)" || not_ok "big file size" "$bytes"
    lr 2 1 --quiet --model-out "$TMP/big.json" "$TMP/big.csv"
    rows=$(json_numbers "$TMP/big.json" rows | head -1)
    [ "$rows" = 9000000 ] && ok "every row read: 9000000 (file offsets past 2^31 on the second rank)" ||
        not_ok "big file rows" "$rows"
    # the true model: with 9M rows and noise 0.1 the estimate is within ~1e-4 of it
    { grep -o '"intercept":[-0-9.e+]*' "$TMP/coef.json" | cut -d: -f2
      grep -o '"coefficients":\[[^]]*\]' "$TMP/coef.json" | sed 's/.*\[//; s/\]//' | tr ',' '\n' | tr -d ' '
    } >"$TMP/true.txt"
    model_values "$TMP/big.json" >"$TMP/got.txt"
    bad=$(paste "$TMP/got.txt" "$TMP/true.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) print $1 " vs " $2 }')
    [ "$(wc -l <"$TMP/true.txt")" = 21 ] && [ -z "$bad" ] &&
        ok "big file: the 21 true coefficients recovered (within 1e-3)" || not_ok "big file coefficients" "$bad"
    # --memory stream: the peak memory of a rank does not grow with the rows (at most 256 MB
    # on the 2.5 GB file, within 15% of the same run on its first quarter); the exact
    # solver's coefficients the true ones
    peak() { sed -n 's/.*peak memory of a rank \([0-9.]*\) MB.*/\1/p' "$1"; }
    lr 2 1 --solver exact --memory stream --model-out "$TMP/bs.json" "$TMP/big.csv" \
        >/dev/null 2>"$TMP/bs.err"
    head -n 2250001 "$TMP/big.csv" >"$TMP/quarter.csv"
    lr 2 1 --solver exact --memory stream --model-out "$TMP/bq.json" "$TMP/quarter.csv" \
        >/dev/null 2>"$TMP/bq.err"
    big_peak=$(peak "$TMP/bs.err") quarter_peak=$(peak "$TMP/bq.err")
    model_values "$TMP/bs.json" >"$TMP/got.txt"
    bad=$(paste "$TMP/got.txt" "$TMP/true.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) print $1 " vs " $2 }')
    if [ -n "$big_peak" ] && [ -n "$quarter_peak" ] && [ -z "$bad" ] &&
        awk -v b="$big_peak" -v q="$quarter_peak" 'BEGIN { exit !(b <= 256 && b <= 1.15 * q) }'; then
        ok "--memory stream on 2.5 GB: peak $big_peak MB a rank (its first quarter: $quarter_peak MB), the true coefficients"
    else
        not_ok "--memory stream on the big file" "peaks '$big_peak' and '$quarter_peak' MB; $bad $(tail -c 300 "$TMP/bs.err")"
    fi
    rm -f "$TMP/big.csv" "$TMP/quarter.csv"
fi
