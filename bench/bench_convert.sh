#!/usr/bin/env bash
# bench/bench_convert.sh: kiln convert against DuckDB on the same NDJSON orders, same schema,
# same codec. Prints a table: median wall seconds, input MB/s, rows/s and peak RSS per engine
# and thread count, and kiln's time as a ratio of DuckDB's.
#
#   bench/bench_convert.sh [--rows N] [--codec zstd|snappy] [--threads-list "1 2"] [--runs 3]
#                          [--dir DIR] [--kiln PATH] [--gen PATH] [--seed S] [--shards K]
#                          [--engines "kiln duckdb"] [--cold]
#
# Input: N dirty order records (bench/kn_gen_orders --dirty) in K NDJSON shards under
# DIR/input-N-sS-kK/, made once and reused while the generator command is unchanged. Every
# run writes fresh output under DIR. Both engines run as one process each, timed from outside
# (so DuckDB's time includes starting node, as kiln's includes starting kiln), and measured with
# /usr/bin/time -v for peak RSS. Runs alternate which engine goes first, so neither always gets
# the warmer machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

rows=3000000
codec=zstd
threads_list="1 $(nproc)"
runs=3
dir=/tmp/kiln-bench
kiln="$repo/build/engine/cli/kiln"
gen="$repo/build/bench/kn_gen_orders"
seed=42
shards=8
engines="kiln duckdb"
cold=0

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --codec) codec=$2; shift 2 ;;
    --threads-list) threads_list=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --kiln) kiln=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    --cold) cold=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_convert: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
case "$codec" in zstd|snappy) ;; *) echo "bench_convert: --codec is zstd or snappy" >&2; exit 1 ;; esac
[[ "$rows" =~ ^[0-9]+$ && "$runs" =~ ^[1-9][0-9]*$ && "$shards" =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench_convert: --rows, --runs and --shards take whole numbers" >&2; exit 1; }

say() { echo "bench_convert: $*" >&2; }

# ---- tools ---------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time (for peak RSS)"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
  fi
  [ -x /usr/bin/time ] || { say "/usr/bin/time is missing: apt-get install time"; exit 1; }
fi
if [[ " $engines " == *" duckdb "* ]] && [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
  say "installing @duckdb/node-api (npm ci in bench/)"
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
[ -x "$gen" ] || { say "no generator at $gen: cmake --build build --target kn_gen_orders, or --gen PATH"; exit 1; }
if [[ " $engines " == *" kiln "* ]] && [ ! -x "$kiln" ]; then
  say "no kiln at $kiln (build the kiln target or pass --kiln PATH); running DuckDB only"
  engines=${engines//kiln/}
fi

# ---- input ---------------------------------------------------------------------------------
mkdir -p "$dir"
input="$dir/input-$rows-s$seed-k$shards"
schema="$here/orders.schema.yaml"
gen_cmd="kn_gen_orders --rows $rows --seed $seed --dirty --shards $shards --format ndjson ($("$gen" --help | grep -o 'format version [0-9]*'))"
if [ -f "$input/.generated" ] && [ "$(cat "$input/.generated")" = "$gen_cmd" ]; then
  say "reusing $input ($gen_cmd)"
else
  rm -rf "$input"
  say "generating $input: $gen_cmd"
  "$gen" --rows "$rows" --seed "$seed" --dirty --shards "$shards" --format ndjson -o "$input"
  echo "$gen_cmd" > "$input/.generated"
fi
in_bytes=$(cat "$input"/orders-*.ndjson | wc -c)
in_mb=$(awk -v b="$in_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

warm() {
  local t0 t1
  t0=$(date +%s.%N)
  cat "$input"/orders-*.ndjson > /dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v mb="$in_mb" 'BEGIN { printf "%s MB read in %.2f s", mb, b - a }'
}
drop_caches() {
  sync
  if { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then return 0; fi
  return 1
}
if [ "$cold" = 1 ]; then
  if drop_caches; then
    say "--cold: the page cache is dropped before every run (input is read from disk each time)"
  else
    say "--cold: could not drop the page cache (needs root and a writable /proc/sys/vm/drop_caches); runs are warm"
    cold=0
  fi
fi
if [ "$cold" = 0 ]; then
  say "warm runs: input read once into the page cache ($(warm))"
fi

# ---- runs ----------------------------------------------------------------------------------
results="$dir/results-$rows-$codec.tsv"
: > "$results"
log="$dir/bench.log"
: > "$log"

# run_one ENGINE THREADS RUN: times one process; appends "engine threads run secs rss_kb rows out_bytes".
run_one() {
  local engine=$1 t=$2 r=$3 tf="$dir/time.txt" out t0 t1 rss secs nrows obytes
  [ "$cold" = 1 ] && drop_caches
  if [ "$engine" = kiln ]; then
    out="$dir/out-kiln"
    rm -rf "$out"
    t0=$(date +%s%N)
    # Options before the input: kiln's option parser stops at the first non-option argument.
    if ! /usr/bin/time -v -o "$tf" "$kiln" convert -o "$out" --schema "$schema" --compression "$codec" \
        --threads "$t" --mode overwrite -q "$input" > "$dir/kiln.json" 2>> "$log"; then
      say "kiln failed (threads $t, run $r): $(tail -n 3 "$log" | tr '\n' ' ')"
      return 1
    fi
    t1=$(date +%s%N)
    nrows=$(tail -n 1 "$dir/kiln.json" | grep -o '"rows_written": *[0-9]*' | grep -o '[0-9]*$' || echo 0)
    if [ "$r" = 1 ]; then say "kiln: $kiln convert -o $out --schema $schema --compression $codec --threads $t --mode overwrite -q $input"; fi
    obytes=$(cat "$out"/*.parquet 2>/dev/null | wc -c)
  else
    out="$dir/out-duckdb.parquet"
    rm -f "$out"
    t0=$(date +%s%N)
    if ! /usr/bin/time -v -o "$tf" node "$here/bench_duckdb.mjs" convert --input "$input/orders-*.ndjson" \
        --schema "$schema" --out "$out" --codec "$codec" --threads "$t" > "$dir/duckdb.json" 2>> "$log"; then
      say "duckdb failed (threads $t, run $r): $(tail -n 3 "$log" | tr '\n' ' ')"
      return 1
    fi
    t1=$(date +%s%N)
    nrows=$(grep -o '"rows":[0-9]*' "$dir/duckdb.json" | grep -o '[0-9]*$' || echo 0)
    if [ "$r" = 1 ]; then say "DuckDB: SET threads = $t; $(grep -o '"query":".*"' "$dir/duckdb.json" | sed 's/^"query":"//; s/"$//')"; fi
    obytes=$(wc -c < "$out")
  fi
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  [ "$nrows" = "$rows" ] || say "warning: $engine wrote $nrows rows, expected $rows"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$engine" "$t" "$r" "$secs" "$rss" "$nrows" "$obytes" >> "$results"
  say "$engine threads=$t run=$r: ${secs}s, peak RSS $((rss / 1024)) MB, $nrows rows, $((obytes / 1000000)) MB out"
}

read -r -a engine_words <<< "$engines"
engines="${engine_words[*]}"
say "$rows rows, $in_mb MB of NDJSON in $shards files; codec $codec; threads: $threads_list; $runs runs each; engines: $engines"
for t in $threads_list; do
  for r in $(seq 1 "$runs"); do
    order="$engines"
    if [ $((r % 2)) = 0 ]; then order=$(echo "$engines" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }'); fi
    for e in $order; do run_one "$e" "$t" "$r" || true; done
  done
done

# Both engines' last outputs should hold the same data (same schema, same values).
if [[ " $engines " == *" kiln "* && " $engines " == *" duckdb "* ]] && [ -d "$dir/out-kiln" ] && [ -f "$dir/out-duckdb.parquet" ]; then
  if cmp=$(node "$here/bench_duckdb.mjs" compare --a "$dir/out-kiln/*.parquet" --b "$dir/out-duckdb.parquet" 2>&1); then
    say "outputs agree (DuckDB reads the same schema, counts, min/max and value hashes from both): $cmp"
  else
    say "OUTPUTS DIFFER: $cmp"
  fi
fi

# ---- table ---------------------------------------------------------------------------------
echo
echo "kiln convert vs DuckDB COPY ... TO parquet: $rows rows, $in_mb MB NDJSON ($shards files), codec $codec, $runs runs, $([ "$cold" = 1 ] && echo 'cold page cache' || echo 'warm page cache')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
sort -t$'\t' -k2,2n -k1,1r "$results" | awk -F'\t' -v mb="$in_mb" -v ROWS="$rows" '
  { key = $1 "\t" $2; n[key]++; s[key, n[key]] = $4; if ($5 > rss[key]) rss[key] = $5; out[key] = $7
    if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
  function median(key,   i, j, m, a, tmp) {
    m = n[key]; for (i = 1; i <= m; i++) a[i] = s[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END {
    printf "%-8s %7s %10s %9s %12s %10s %9s %12s\n", "engine", "threads", "median s", "MB/s", "rows/s", "peak RSS", "out MB", "kiln/duckdb"
    for (i = 1; i <= k; i++) { split(order[i], p, "\t"); med[order[i]] = median(order[i]) }
    for (i = 1; i <= k; i++) {
      key = order[i]; split(key, p, "\t"); m = med[key]
      ratio = "-"
      if (p[1] == "kiln" && (("duckdb\t" p[2]) in med)) ratio = sprintf("%.2fx", m / med["duckdb\t" p[2]])
      printf "%-8s %7s %10.2f %9.1f %12.0f %7.0f MB %9.1f %12s\n", p[1], p[2], m, mb / m, ROWS / m, rss[key] / 1024, out[key] / 1e6, ratio
    }
  }'
echo "(kiln/duckdb: kiln's median wall time over DuckDB's at the same thread count; below 1 means kiln is faster)"
echo "raw runs: $results; engine logs: $log"
