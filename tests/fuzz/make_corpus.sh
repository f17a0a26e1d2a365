#!/usr/bin/env bash
# make_corpus.sh — (re)write the seed corpus of tests/fuzz/ (seed_* files only: the
# regress_* reproducers are kept as they are). Run from anywhere; the files are committed.
#
# A reader seed is 3 option bytes (see fuzz_reader.c) followed by the CSV text:
#   byte 0 = delimiter index (0 ',' 1 ';' 2 tab 3 '|') | 4 has_header | 8 skip_bad_rows
#            | 16*layout (0 last=target, 1 no target, 2 first=target, 3 masked)
#            | 64 three ranks | 128 two threads per rank
#   byte 1 = small-block bytes per thread - 1 (0..31) | 32*(threads-1) | 128 (unused)
#   byte 2 = column mask for layout 3
set -euo pipefail
cd "$(dirname "$0")"
R=corpus/reader N=corpus/numparse
mkdir -p "$R" "$N"
rm -f "$R"/seed_* "$N"/seed_*

# seed NAME B0 B1 B2 TEXT  (TEXT in printf %b syntax)
seed() { printf "\\x$2\\x$3\\x$4%b" "$5" >"$R/seed_$1"; }

seed basic           04 23 00 'a,b,y\n1,2,3\n4,5,6\n'
seed crlf            04 03 00 'a,b,y\r\n1,2,3\r\n4,5,6\r\n'
seed bom             04 43 00 '\xef\xbb\xbfa,b,y\n1,2,3\n'
seed bom_no_header   00 00 00 '\xef\xbb\xbf1,2,3\n4,5,6\n'
seed quotes          04 21 00 'a,b,y\n"1"," 2 ",3\n"4",5,"6"\n'
seed quoted_delim    04 22 00 'a,y\n"1,5",2\n'
seed blank_lines     04 25 00 'a,b,y\n\n1,2,3\n   \n\t\n4,5,6\n\n'
seed ragged          04 23 00 'a,b,y\n1,2\n1,2,3,4\n'
seed ragged_skip     0c 23 00 'a,b,y\n1,2\n1,2,3,4\n5,6,7\n'
seed na              04 23 00 'a,b,y\n1,NA,3\n'
seed nan_inf_hex     0c 23 00 'a,b,y\n0x10,1,2\nnan,1,2\n1,inf,2\n1,2,-Infinity\n3,4,5\n'
seed huge            0c 23 00 'a,b,y\n1e308,1e400,3\n-1e-400,4.9e-324,2\n1.7976931348623157e308,0,1\n'
seed no_final_nl     04 23 00 'a,b,y\n1,2,3\n4,5,6'
seed tabs            06 23 00 'a\tb\ty\n1\t2\t3\n 4 \t 5\t6 \n'
seed semicolon       05 23 00 'a;b;y\n1,5;2;3\n1;2;3\n'
seed pipe_no_header  03 23 00 '1|2|3\n4|5|6\n'
seed skip_mixed      0c 23 00 'a,b,y\n1,2,3\nx,2,3\n4,5,6\n,,\n7,8,9\n1,2\n"3,4\n5,6,7\n'
seed open_quote      04 23 00 'a,b,y\n1,"2\n3",4\n'
seed misplaced_quote 04 23 00 'a,b,y\n1,2"x",3\n'
seed lone_cr         04 23 00 'a,b,y\n1,2,3\r4,5,6\n7,8,9\r'
seed mixed_endings   04 23 00 'a,b,y\n1,2,3\r\n4,5,6\n\r\n7,8,9'
seed empty_names     04 23 00 'a,,y\n1,2,3\n'
seed header_only     04 23 00 'a,b,y\n'
seed header_no_nl    04 23 00 'a,b,y'
seed signs           04 23 00 'a,b,y\n-0,+0,-.5\n1.,.5e1,5E-3\n'
seed long_digits     04 23 00 'a,y\n0.1000000000000000055511151231257827,123456789012345678901234567890\n'
seed denormals       04 23 00 'a,y\n4.9e-324,2.2250738585072011e-308\n2.4703282292062327e-324,1\n'
seed one_column      04 23 00 'y\n1\n2\n'
seed masked          34 23 02 'a,b,c,d,e,y\n1,x,3,4,5,6\n7,,9,10,11,12\n'
seed target_first    24 23 00 'y,a\n1,2\n3,4\n'
seed no_target       14 23 00 'a,b\n1,2\n3,4\n'
seed nul_bytes       0c 23 00 'a,y\n1\x00,2\n3,4\n'
seed only_delims     0c 23 00 'a,b,y\n,,\n,,,\n'
seed spaces_around   04 23 00 'a , b , y\n 1 , 2 , 3 \n'
seed first_blank     04 23 00 '\na,b\n1,2\n'
seed ranks3_threads2 c4 41 00 "a,b,y\n$(for i in $(seq 1 40); do printf '%d,%d.5,-%de-3\\n' $i $((i * 7)) $i; done)"
seed ranks_error     c4 41 00 "a,b,y\n$(for i in $(seq 1 30); do printf '%d,%d,%d\\n' $i $i $i; done)\n31,x,31\n32,32,32\n"
# RFC 4180: newlines (LF, CRLF) and doubled quotes inside quoted fields, on tiny blocks
seed quoted_newlines    04 23 00 'a,b,y\n1,"2\n",3\n"4\r\n5",6,7\n8,9,10\n"1""1",2,3\n'
seed multiline_skip     cc 22 00 'a,note,y\n1,"x\ny",3\n4,"multi\n5,6,7\n8",6\n9,z,9\n"a\nb",1,2\n'
seed multiline_text     44 81 00 'id,note,x\n1,"two\nlines",2.5\n2,"crlf\r\ninside",3\n3,,4\n4,"a, ""q"" w",5\r\n5,plain,6\n'
seed multiline_open     0c 41 00 'a,b\n1,2\n3,"4\n5,6\n7,8\n'
seed multiline_header   84 20 00 '"a\nb",c\n1,2\n"3\n",4\n'
seed multiline_dropped  34 62 02 'a,note,c\n1,x,3\n4,"multi\n5,6,7\n8",6\n9,y,9\n'

# numbers, as is (no newline)
num() { printf '%b' "$2" >"$N/seed_$1"; }
num zero        '0'
num negzero     '-0'
num int         '42'
num plus_frac   '+1.5'
num dot_first   '-.5'
num dot_last    '1.'
num exp         '1e10'
num exp_neg     '1E-10'
num trimmed     '  3.14\t'
num long_int    '123456789012345678901234567890'
num long_frac   '0.1000000000000000055511151231257827021181583404541015625'
num max         '1.7976931348623157e308'
num overflow    '1e309'
num min_denorm  '4.9e-324'
num half_denorm '2.4703282292062327e-324'
num min_normal  '2.2250738585072011e-308'
num two53p1     '9007199254740993'
num underflow   '1e-400'
num nan         'nan'
num inf         'inf'
num hex         '0x1p3'
num exp_only    '1e'
num empty       ''
num blank       ' '
num comma       '1,5'
num zeros       '00000000000000000000001.5e3'
num nines19     '9999999999999999999'
num u64_e22     '18446744073709551616e-22'
