#!/bin/sh
# tests/golden/check_golden.sh KILN: NDJSON output is the same bytes as before the format
# interface (the files under tests/golden/ndjson/ were written by kiln at 26f74a6, the commit
# before it, and written again when each column chunk got a page index and DOUBLE statistics a
# nan_count, and the sorted case's row groups their sorting_columns: `kiln inspect --pages` of
# the files before and after differs only there, in the file sizes and footer places, and in
# the build id). Each case reruns the command that wrote
# them, from the repository root, and compares every file: Parquet files with the build id in
# created_by masked, the rest exactly.
# A change that means to alter these bytes writes them again with the same commands (below)
# and says why in its commit.
set -u
kiln=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
check() {
  name=$1; shift
  "$kiln" convert "$@" -o "$work/$name" --schema data/orders.schema.yaml -q --url-prefix "s3://bucket/$name/" >"$work/$name.json" 2>&1
  rm -f "$work/$name/_kiln.lock"
  want=$(cd "tests/golden/ndjson/$name" && find . -type f | sort)
  got=$(cd "$work/$name" && find . -type f | sort)
  if [ "$want" != "$got" ]; then
    echo "FAIL $name: the files differ"; echo "want: $want"; echo "got:  $got"; fails=$((fails + 1)); return
  fi
  bad=$(echo "$want" | while IFS= read -r f; do
    a="tests/golden/ndjson/$name/$f" b="$work/$name/$f"
    case "$f" in
      *.parquet)
        ma=$(LC_ALL=C sed 's/(build [0-9a-f]\{12\})/(build XXXXXXXXXXXX)/g' "$a" | cksum)
        mb=$(LC_ALL=C sed 's/(build [0-9a-f]\{12\})/(build XXXXXXXXXXXX)/g' "$b" | cksum)
        [ "$ma" = "$mb" ] || echo "$f differs (build id masked)" ;;
      *) cmp -s "$a" "$b" || echo "$f differs" ;;
    esac
  done)
  if [ -n "$bad" ]; then echo "FAIL $name: $bad"; fails=$((fails + 1)); return; fi
  echo "ok $name ($(echo "$want" | wc -l) files)"
  passes=$((passes + 1))
}
check plain data/ndjson
check partitioned data/ndjson --partition-by 'year(ts),month(ts)'
check sorted data/ndjson --partition-by region --sort-by order_id
check rejects tests/golden/input/bad.ndjson --on-error quarantine --compression zstd
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
