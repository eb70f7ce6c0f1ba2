#!/bin/sh
# tests/parquet_read/test_pqr_cli.sh KILN CONFORMANCE_DIR: the `kiln` dispatcher and `kiln inspect`
# end to end: --help lists the commands and the exit codes, --version has the documented form,
# an unknown command is usage (exit 1), and inspect answers real files (CONFORMANCE_DIR/parquet,
# the project's tests/conformance) with the right codes and shows their page indexes.
kiln=$1
conformance=$2
fails=0
passes=0
check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: expected $2, got $3"; fails=$((fails + 1)); fi
}
out=$("$kiln" --help); check "--help exit" 0 $?
for word in convert infer inspect "exit codes" "0  success" "1  bad usage" "2  bad input data" "3  I/O" "4  internal error"; do
    case $out in *"$word"*) check "--help mentions $word" yes yes ;; *) check "--help mentions $word" yes no ;; esac
done
ver=$("$kiln" --version); check "--version exit" 0 $?
case $ver in "kiln "[0-9]*.[0-9]*.[0-9]*" (build "*")") check "--version form" yes yes ;; *) check "--version form ($ver)" yes no ;; esac
"$kiln" frobnicate >/dev/null 2>/tmp/kiln_cli_err.$$; check "unknown command exit" 1 $?
grep -q "unknown command 'frobnicate'" /tmp/kiln_cli_err.$$; check "unknown command message" 0 $?
grep -q "usage: kiln COMMAND" /tmp/kiln_cli_err.$$; check "unknown command usage on stderr" 0 $?
rm -f /tmp/kiln_cli_err.$$
"$kiln" >/dev/null 2>&1; check "no command exit" 1 $?
"$kiln" help inspect | grep -q "usage: kiln inspect"; check "help inspect" 0 $?
"$kiln" inspect --help | grep -q -- "--json"; check "inspect --help" 0 $?
data=$conformance/parquet
if [ ! -d "$data" ]; then
    echo "FAIL: $data is absent: the Parquet conformance files must be in the project (tests/conformance/parquet)"
    fails=$((fails + 1))
fi
"$kiln" inspect "$data/data/alltypes_plain.parquet" | grep -q "num_rows: 8"; check "inspect text" 0 $?
"$kiln" inspect --json "$data/data/alltypes_plain.parquet" | grep -q '"num_rows":8'; check "inspect json" 0 $?
"$kiln" inspect "$data/data/alltypes_plain.parquet" | grep -q "page index: none"; check "inspect says a chunk has no page index" 0 $?
"$kiln" inspect "$data/data/int32_with_null_pages.parquet" | grep -q "page index: 10 pages; offset index at 3456 (100 bytes); column index at 3332 (124 bytes), UNORDERED, null counts"
check "inspect page index summary" 0 $?
"$kiln" inspect --pages "$data/data/int32_with_null_pages.parquet" | grep -q "page 2: first row 200, at 639, 31 bytes with header, 100 nulls, null page"
check "inspect --pages lists the page index" 0 $?
"$kiln" inspect --pages --json "$data/data/int32_with_null_pages.parquet" | grep -q '"first_row_index":200,"offset":639,"compressed_page_size":31,"null_page":true,"null_count":100'
check "inspect --pages --json lists the page index" 0 $?
"$kiln" inspect "$data/bad_data/PARQUET-1481.parquet" >/dev/null 2>&1; check "inspect damaged exit" 2 $?
"$kiln" inspect "$data/data/uniform_encryption.parquet.encrypted" >/dev/null 2>&1; check "inspect encrypted exit" 1 $?
"$kiln" inspect /nonexistent/file.parquet >/dev/null 2>&1; check "inspect missing file exit" 1 $?
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
