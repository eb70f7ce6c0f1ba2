#!/usr/bin/env bash
# bench/bench_xml.sh: kiln on XML shards (bench.sh --format xml comes here). DuckDB and Polars read
# no XML, so kiln's XML convert is held to kiln's own NDJSON convert of the same records (the
# generator's NDJSON twin), and to libxml2's `xmllint --stream --noout` over the same shards (a
# parse with nothing built or written: the floor of a well-known C parser), all at the same
# thread count; and the XML reader alone (bench/kn_bench_xml, one thread) in MB/s.
#
#   bench/bench_xml.sh [--rows N] [--runs 3] [--threads T] [--codec zstd|snappy] [--level 3]
#                      [--dir DIR] [--kiln PATH] [--gen PATH] [--seed S] [--shards K]
#
# Defaults as bench.sh's: 30,000,000 rows, 3 runs, `nproc` threads, zstd level 3, /tmp/kiln-bench,
# build/engine/cli/kiln, build/bench/kn_gen_orders, seed 42, 32 shards. The XML input is made once
# under DIR/input-xml-N-sS-dirty-kK/, the NDJSON twin is bench.sh's DIR/input-N-sS-dirty-kK/ (made
# when missing). Warm page cache; each run one process under /usr/bin/time -v after `sync`, in a
# rotated order; medians. The table goes to DIR/report-xml-N-CODEC.txt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rows=30000000 runs=3 threads=$(nproc) codec=zstd level=3 dir=/tmp/kiln-bench seed=42 shards=32
kiln="$repo/build/engine/cli/kiln"
gen="$repo/build/bench/kn_gen_orders"
die() { echo "bench_xml: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --format) [ "$2" = xml ] || die "--format is xml here (bench.sh takes the others)"; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --codec) codec=$2; shift 2 ;;
    --level) level=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --kiln) kiln=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    *) die "unknown option $1 (see the header of bench/bench_xml.sh)" ;;
  esac
done
bench_xml="$(dirname "$gen")/kn_bench_xml"
for f in "$kiln" "$gen" "$bench_xml"; do [ -x "$f" ] || die "no $f: build kiln, kn_gen_orders and kn_bench_xml"; done
command -v xmllint > /dev/null || die "no xmllint: apt-get install libxml2-utils (tests/install-deps.sh does)"
mkdir -p "$dir"
say() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$log"; }

xml_in="$dir/input-xml-$rows-s$seed-dirty-k$shards"
nd_in="$dir/input-$rows-s$seed-dirty-k$shards"
schema="$dir/orders.schema.yaml"
"$gen" --print-schema > "$schema"
work="$dir/run-xml-$rows-$codec"
rm -rf "$work"
mkdir -p "$work"
log="$work/bench.log"
report="$dir/report-xml-$rows-$codec.txt"
for pair in "xml:$xml_in" "ndjson:$nd_in"; do
  fmt=${pair%%:*} in=${pair#*:}
  n=$( (ls "$in"/orders-*."$fmt" 2>/dev/null || true) | wc -l)
  if [ "$n" != "$shards" ]; then
    say "generating $rows rows of $fmt into $in"
    rm -rf "$in"
    "$gen" --rows "$rows" --seed "$seed" --dirty --shards "$shards" --format "$fmt" -o "$in" -q
  fi
done
xml_bytes=$(cat "$xml_in"/orders-*.xml | wc -c)
nd_bytes=$(cat "$nd_in"/orders-*.ndjson | wc -c)
cat "$xml_in"/orders-*.xml "$nd_in"/orders-*.ndjson > /dev/null # warm

results="$work/results.tsv"
: > "$results"
# run NAME CMD...: one timed process; appends NAME SECONDS RSS_KB CPU_S to $results.
run() {
  local name=$1 tf="$work/time.txt" t0 t1
  shift
  sync
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$tf" "$@" > "$work/last.out" 2>> "$log" || die "$name failed: see $log"
  t1=$(date +%s%N)
  local secs rss cpu
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
  cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$tf")
  printf '%s\t%s\t%s\t%s\n' "$name" "$secs" "$rss" "$cpu" >> "$results"
  say "$name: ${secs}s (CPU ${cpu}s), peak RSS $((rss / 1024)) MB"
}
kiln_cmd() {
  local out="$work/out-$1"
  rm -rf "$out"
  local -a c=("$kiln" convert "$2" -o "$out" --schema "$schema" --compression "$codec" --threads "$threads" --mode overwrite -q)
  [ "$codec" = zstd ] && c+=(--compression-level "$level")
  echo "${c[@]}"
}
entries=(kiln-xml kiln-ndjson xmllint)
say "$rows rows: $((xml_bytes / 1000000)) MB of XML, $((nd_bytes / 1000000)) MB of NDJSON in $shards shards each; $threads threads; $runs rounds"
for r in $(seq 1 "$runs"); do
  for i in 0 1 2; do
    e=${entries[$(((i + r - 1) % 3))]}
    case $e in
      kiln-xml) run "$e" $(kiln_cmd xml "$xml_in") ;;
      kiln-ndjson) run "$e" $(kiln_cmd ndjson "$nd_in") ;;
      xmllint) run "$e" bash -c "ls '$xml_in'/orders-*.xml | xargs -P '$threads' -n 1 xmllint --stream --noout" ;;
    esac
  done
done
say "XML reader alone, one thread (kn_bench_xml on $(basename "$xml_in"/orders-00000.xml)):"
"$bench_xml" --file "$xml_in/orders-00000.xml" --schema "$schema" --runs 5 | tee -a "$log" > "$work/reader.txt"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo "kiln on XML: $rows rows, $((xml_bytes / 1000000)) MB XML / $((nd_bytes / 1000000)) MB NDJSON, $threads threads, $codec, median of $runs, $(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '%-12s %10s %10s %10s %12s\n' run seconds 'XML MB/s' 'RSS MB' 'x NDJSON'
  nd=$(awk -F'\t' '$1 == "kiln-ndjson" { print $2 }' "$results" | median)
  for e in "${entries[@]}"; do
    s=$(awk -F'\t' -v e="$e" '$1 == e { print $2 }' "$results" | median)
    m=$(awk -F'\t' -v e="$e" '$1 == e { print $3 }' "$results" | median)
    printf '%-12s %10.2f %10.0f %10.0f %12.2f\n' "$e" "$s" "$(awk -v b="$xml_bytes" -v s="$s" 'BEGIN { print b / 1e6 / s }')" \
      "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$(awk -v s="$s" -v n="$nd" 'BEGIN { print s / n }')"
  done
  echo "the XML reader alone, one thread:"
  grep 'MB/s' "$work/reader.txt"
} | tee "$report"
