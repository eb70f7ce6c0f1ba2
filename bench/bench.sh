#!/usr/bin/env bash
# bench/bench.sh: kiln, DuckDB (@duckdb/node-api) and Polars (nodejs-polars) side by side on the
# same order files (NDJSON, or with --format csv their CSV twin), the same schema and the same
# codec, for plain conversion to Parquet and conversion partitioned by functions of ts. Prints one
# table per mode: median wall seconds, input MB/s, rows/s, peak RSS, output MB, Parquet files and
# folders written, kiln's time as a ratio of each peer's and of its own plain convert.
#
#   bench/bench.sh [--format ndjson|csv|xml] [--rows N] [--runs 3] [--threads "T..."] [--kiln-threads "1"]
#                  [--engines "kiln duckdb polars"] [--modes "plain partitioned"] [--years 3]
#                  [--codec zstd|snappy] [--level 3] [--cold] [--dir DIR] [--kiln PATH]
#                  [--gen PATH] [--seed S] [--shards K] [--polars-batch-bytes B] [--no-check]
#                  [--compression-in gz|zst]
#
# --format xml runs bench/bench_xml.sh instead (no peer reads XML: kiln's XML convert against its
# own NDJSON convert of the same records and xmllint --stream; see its header).
# Modes: plain; partitioned and month (both year(ts),month(ts): 36 folders over the default 3
# years, 144 with --years 12); day (date(ts): folders date=2023-01-01, 1,096 over 3 years);
# hour (year(ts),month(ts),day(ts),hour(ts): 26,304 folders over 3 years; without Polars).
# --years Y: the span of ts in the generated data, Y whole years from 2023-01-01.
# --compression-in gz|zst: every engine reads the shards gzip'd (gzip -6) or zstd'd (zstd -3),
# copies made once beside the input (INPUT-gz/, INPUT-zst/); MB/s still counts the plain bytes.
# Polars sits these runs out: nodejs-polars' scans read plain files only.
#
# Defaults: NDJSON, 30,000,000 rows (~9.8 GB, ~4.6 GB as CSV; --rows 3000000 for a quick check),
# 3 runs, every engine at `nproc` threads plus kiln alone at 1 thread, modes plain and
# partitioned, 3 years, zstd level 3, warm page cache, /tmp/kiln-bench, build/engine/cli/kiln,
# build/bench/kn_gen_orders, seed 42, 32 shards. See bench/README.md.
#
# The input (kn_gen_orders --dirty) is made once under DIR/input-N-sS-dirty-kK/ (CSV:
# DIR/input-csv-N-sS-dirty-kK/; another span than 3 years: input[-csv]-N-sS-yY-dirty-kK/) and
# reused while the generator command is unchanged. Every run is one process timed from outside
# under /usr/bin/time -v (peak RSS), after `sync` and with its output folder removed beforehand.
# Each round runs the engines in a rotated order, so each takes each place in turn. Outputs go to
# DIR/run-TAG/out-ENGINE-tTHREADS-MODE/, the raw runs to DIR/results-TAG.tsv, the table to
# DIR/report-TAG.txt, TAG being N-CODEC for NDJSON and csv-N-CODEC for CSV, plus -yY for another
# span than 3 years and -MODE+MODE... for other --modes than the default; DIR/.bench.lock keeps a
# second bench.sh waiting.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

format=ndjson
rows=30000000
runs=3
threads_list=$(nproc)
kiln_threads=1
engines="kiln duckdb polars"
modes="plain partitioned"
default_modes=$modes
years=3
codec=zstd
level=3
cold=0
dir=/tmp/kiln-bench
kiln="$repo/build/engine/cli/kiln"
gen="$repo/build/bench/kn_gen_orders"
seed=42
shards=32
polars_batch=$((1 << 30))
check=1
compression_in=""

usage() { sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for ((i = 1; i < $#; i++)); do
  if [ "${!i}" = --format ] && j=$((i + 1)) && [ "${!j}" = xml ]; then exec "$here/bench_xml.sh" "$@"; fi
done
while [ $# -gt 0 ]; do
  case "$1" in
    --format) format=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    --kiln-threads) kiln_threads=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --years) years=$2; shift 2 ;;
    --codec) codec=$2; shift 2 ;;
    --level) level=$2; shift 2 ;;
    --cold) cold=1; shift ;;
    --dir) dir=$2; shift 2 ;;
    --kiln) kiln=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --polars-batch-bytes) polars_batch=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    --compression-in) compression_in=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }
case "$codec" in zstd|snappy) ;; *) die "--codec is zstd or snappy" ;; esac
case "$format" in ndjson) fmt_name=NDJSON ;; csv) fmt_name=CSV ;; *) die "--format is ndjson or csv" ;; esac
case "$compression_in" in "") ;; gz) compress_cmd="gzip -6" ;; zst) compress_cmd="zstd -3 -q" ;; *) die "--compression-in is gz or zst" ;; esac
for v in "$rows" "$runs" "$shards" "$level" "$seed" "$polars_batch" "$years"; do
  [[ "$v" =~ ^[0-9]+$ ]] || die "--rows, --runs, --shards, --level, --seed, --years and --polars-batch-bytes take whole numbers"
done
[ "$years" -ge 1 ] && [ "$years" -le 100 ] || die "--years is 1..100"
[ "$runs" -ge 1 ] && [ "$shards" -ge 1 ] && [ "$rows" -ge 1 ] || die "--rows, --runs and --shards must be at least 1"
for t in $threads_list $kiln_threads; do [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "thread counts are whole numbers from 1"; done
for e in $engines; do case "$e" in kiln|duckdb|polars) ;; *) die "--engines: kiln, duckdb, polars" ;; esac; done
for m in $modes; do case "$m" in plain|partitioned|month|day|hour) ;; *) die "--modes: plain, partitioned, month, day, hour" ;; esac; done
modes=$(echo $modes)  # one space between words, for the file names below
[ -n "$modes" ] || die "--modes: name at least one"
has() { [[ " $1 " == *" $2 "* ]]; }

# What each mode partitions by. kiln's --partition-by, and the same keys as DuckDB's and Polars'
# computed columns and as the check's folder names (bench_duckdb.mjs, bench_polars.mjs --keys):
# every engine writes the same folders, year=2024/month=3/, date=2024-03-05/, ...
mode_kiln_keys() {
  case "$1" in
    partitioned|month) echo 'year(ts),month(ts)' ;;
    day) echo 'date(ts)' ;;
    hour) echo 'year(ts),month(ts),day(ts),hour(ts)' ;;
  esac
}
mode_keys() { mode_kiln_keys "$1" | sed 's/([a-z_]*)//g'; }
mode_title() {
  case "$1" in
    plain) echo "(a) plain conversion" ;;
    partitioned) echo "(b) partitioned by year(ts),month(ts)" ;;
    month) echo "(c) month: partitioned by year(ts),month(ts)" ;;
    day) echo "(d) day: partitioned by date(ts), folders date=YYYY-MM-DD" ;;
    hour) echo "(e) hour: partitioned by year(ts),month(ts),day(ts),hour(ts)" ;;
  esac
}
# Why an engine sits a mode out (empty: it runs). Polars has no partitioned sink in node: it
# writes one file per folder per input batch, each its own sinkParquet call (bench_polars.mjs),
# so 26,304 hour folders make ~26k calls per batch (~290k files of ~100 rows at 30M rows, 11 batches): a
# measure of that workaround, not of Polars.
mode_skip() {
  if [ "$1" = polars ] && [ -n "$compression_in" ]; then
    echo "nodejs-polars' scanJson and scanCSV read plain files only"
  elif [ "$1" = polars ] && [ "$2" = hour ]; then
    echo "no partitioned sink in nodejs-polars; its workaround would write one file per hour folder per batch (~290k files at 30M rows)"
  fi
}

# ---- tools ---------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time (for peak RSS)"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
  fi
  [ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if has "$engines" polars && [ "$node_major" -lt 20 ]; then
  say "nodejs-polars needs node >= 20 (this is node $node_major); running without Polars"
  engines=$(echo "$engines" | tr ' ' '\n' | grep -vx polars | tr '\n' ' ')
fi
if { has "$engines" duckdb || has "$engines" polars || [ "$check" = 1 ]; } &&
   { [ ! -d "$here/node_modules/@duckdb/node-api" ] || [ ! -d "$here/node_modules/nodejs-polars" ]; }; then
  say "installing @duckdb/node-api and nodejs-polars (npm ci in bench/)"
  # npm ci refuses a lock file that lacks some platform's optional binaries (a registry mirror
  # may not carry them all); npm install --no-save then installs the same locked versions.
  (cd "$here" && { npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-save --no-audit --no-fund --silent; })
fi
[ -x "$gen" ] || die "no generator at $gen: cmake --build build --target kn_gen_orders, or --gen PATH"
if has "$engines" kiln && [ ! -x "$kiln" ]; then
  die "no kiln at $kiln: cmake --build build --target kiln, or --kiln PATH (or leave kiln out of --engines)"
fi
read -r -a engine_words <<< "$engines"
[ "${#engine_words[@]}" -gt 0 ] || die "no engine left to run"

# ---- input ---------------------------------------------------------------------------------
mkdir -p "$dir"
# One bench.sh at a time per DIR: two would share the input, the output folders and, worse, the
# cores, and both would report the other's load as their own time.
exec 9> "$dir/.bench.lock"
if ! flock -n 9; then
  say "another bench.sh is running in $dir; waiting for it to finish"
  flock 9
fi
# NDJSON keeps the folder and file names it always had; CSV has its own, named with the format.
# The default span (3 years) keeps the name and generator command it had before --years (the
# generator's default is the same data), so inputs made before are reused; another span is in
# the name, so 3- and 12-year inputs never overwrite each other.
span_name=""
span_args=()
if [ "$years" != 3 ]; then span_name="-y$years"; span_args=(--years "$years"); fi
if [ "$format" = ndjson ]; then
  input="$dir/input-$rows-s$seed$span_name-dirty-k$shards"
else
  input="$dir/input-$format-$rows-s$seed$span_name-dirty-k$shards"
fi
schema="$here/orders.schema.yaml"
gen_cmd="kn_gen_orders --rows $rows --seed $seed${span_args[*]:+ ${span_args[*]}} --dirty --shards $shards --format $format ($("$gen" --help | grep -o 'format version [0-9]*'))"
if [ "$years" != 3 ] && ! "$gen" --help | grep -q -- '--years'; then
  die "$gen has no --years: rebuild it (cmake --build build --target kn_gen_orders)"
fi
if [ -f "$input/.generated" ] && [ "$(cat "$input/.generated")" = "$gen_cmd" ]; then
  say "reusing $input ($gen_cmd)"
else
  rm -rf "$input"
  say "generating $input: $gen_cmd"
  "$gen" --rows "$rows" --seed "$seed" "${span_args[@]}" --dirty --shards "$shards" --format "$format" -o "$input"
  echo "$gen_cmd" > "$input/.generated"
fi
span_text="ts 2023-01-01..$((2022 + years))-12-31"
in_glob="$input/orders-*.$format"
in_files=("$input"/orders-*."$format")
in_bytes=$(cat "${in_files[@]}" | wc -c)
in_mb=$(awk -v b="$in_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
in_note=""
if [ -n "$compression_in" ]; then
  # The compressed copies, made once (on every core) and reused while their source and the
  # command are the same.
  cinput="$input-$compression_in"
  cmarker="$gen_cmd | $compress_cmd"
  if [ -f "$cinput/.generated" ] && [ "$(cat "$cinput/.generated")" = "$cmarker" ]; then
    say "reusing $cinput ($compress_cmd)"
  else
    rm -rf "$cinput"
    mkdir -p "$cinput"
    say "compressing the shards into $cinput ($compress_cmd)"
    printf '%s\0' "${in_files[@]}" | xargs -0 -P "$(nproc)" -I{} sh -c "$compress_cmd -c < \"\$1\" > \"\$2/\$(basename \"\$1\").$compression_in\"" sh {} "$cinput"
    echo "$cmarker" > "$cinput/.generated"
  fi
  input=$cinput
  in_glob="$input/orders-*.$format.$compression_in"
  in_files=("$input"/orders-*."$format.$compression_in")
  in_note=" ($(cat "${in_files[@]}" | wc -c | awk '{ printf "%.1f", $1 / 1e6 }') MB as .$compression_in)"
fi
# What the runs read, as stored: the page cache check compares against it.
stored_bytes=$(cat "${in_files[@]}" | wc -c)

# Bytes of the input now in the page cache (fincore, util-linux).
cached_bytes() {
  if command -v fincore > /dev/null; then
    fincore --bytes --noheadings --output RES "${in_files[@]}" | awk '{ s += $1 } END { printf "%.0f\n", s }'
  else
    echo 0
  fi
}
warm() {
  local t0 t1
  t0=$(date +%s.%N)
  cat "${in_files[@]}" > /dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v sb="$stored_bytes" 'BEGIN { printf "%.1f MB read in %.2f s", sb / 1e6, b - a }'
}
drop_caches() {
  sync
  { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null
}
if [ "$cold" = 1 ]; then
  if drop_caches; then
    say "--cold: the page cache is dropped before every run (input, node and libraries come from disk each time)"
  else
    say "--cold: could not drop the page cache (needs root and a writable /proc/sys/vm/drop_caches); runs are warm"
    cold=0
  fi
fi
if [ "$cold" = 0 ]; then
  say "warm runs: the input is read once into the page cache ($(warm)) and read again before a run if any of it left"
fi

# ---- runs ----------------------------------------------------------------------------------
tag="$rows-$codec$span_name${compression_in:+-in-$compression_in}"
[ "$format" = ndjson ] || tag="$format-$tag"
# Other modes than the default get their own files, so `--modes "day hour"` does not overwrite
# the report of a default run (or of another mode set) in the same DIR.
[ "$modes" = "$default_modes" ] || tag="$tag-${modes// /+}"
work="$dir/run-$tag"
rm -rf "$work"
mkdir -p "$work"
results="$dir/results-$tag.tsv"
: > "$results"
log="$work/bench.log"
: > "$log"
# Failed runs: MODE ENGINE THREADS ROUND SECONDS PEAK_RSS_KB REASON (the engine's first error line).
failures="$work/failures.tsv"
: > "$failures"
declare -A last_failed=()
declare -A cmd_shown=()

# out_dir ENGINE THREADS MODE
out_dir() { echo "$work/out-$1-t$2-$3"; }
# data_glob MODE: the Parquet files of an output folder, relative to it: one folder level per key.
data_glob() {
  local g='*.parquet' k
  [ "$1" = plain ] || for k in $(mode_keys "$1" | tr ',' ' '); do g="*/$g"; done
  echo "$g"
}

# run_one ENGINE THREADS MODE ROUND: one timed process; appends a line to $results.
run_one() {
  local engine=$1 t=$2 mode=$3 r=$4 tf="$work/time.txt" out json="$work/last.json" t0 t1 rss secs cpu nrows obytes load shown
  local nfiles nfolders
  out=$(out_dir "$engine" "$t" "$mode")
  # The last run's output moves aside, deleted only after every run: an ext4 without a journal
  # (this machine's) keeps a deleted inode from reuse for 60 s (300 s while its table block is
  # dirty), so creating files right after deleting 50,000 (hour) scans past all of them, and the
  # time of the next run would be the file system's, not the engine's.
  if [ -e "$out" ]; then
    mkdir -p "$work/old"
    mv "$out" "$(mktemp -d "$work/old/XXXXXX")/"
  fi
  if [ "$cold" = 1 ]; then
    drop_caches
  else
    sync
    local cached
    cached=$(cached_bytes)
    if [ "$cached" -lt "$stored_bytes" ] && command -v fincore > /dev/null; then
      say "$(awk -v c="$cached" 'BEGIN { printf "%.1f", c / 1e6 }') of $(awk -v b="$stored_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB of input in the page cache; reading it again ($(warm))"
    fi
  fi
  local -a cmd env_cmd=()
  case "$engine" in
    kiln)
      cmd=("$kiln" convert -o "$out" --schema "$schema" --compression "$codec" --threads "$t" --mode overwrite -q)
      [ "$format" = ndjson ] || cmd+=(--format "$format")
      [ "$codec" = zstd ] && cmd+=(--compression-level "$level")
      [ "$mode" = plain ] || cmd+=(--partition-by "$(mode_kiln_keys "$mode")")
      cmd+=("$input") ;;
    duckdb)
      local sub=convert target="$out/data.parquet"
      [ "$mode" = plain ] || { sub=partition; target=$out; }
      [ "$mode" = plain ] && mkdir -p "$out"
      cmd=(node "$here/bench_duckdb.mjs" "$sub" --input "$in_glob" --schema "$schema"
           --out "$target" --codec "$codec" --level "$level" --threads "$t")
      [ "$mode" = plain ] || cmd+=(--keys "$(mode_keys "$mode")")
      [ "$format" = ndjson ] || cmd+=(--format "$format") ;;
    polars)
      local sub=convert target="$out/data.parquet"
      [ "$mode" = plain ] || { sub=partition; target=$out; }
      [ "$mode" = plain ] && mkdir -p "$out"
      env_cmd=(env "POLARS_MAX_THREADS=$t")
      cmd=(node "$here/bench_polars.mjs" "$sub" --input "$in_glob" --out "$target"
           --codec "$codec" --level "$level" --batch-bytes "$polars_batch")
      [ "$mode" = plain ] || cmd+=(--keys "$(mode_keys "$mode")")
      [ "$format" = ndjson ] || cmd+=(--format "$format" --schema "$schema") ;;
  esac
  load=$(cut -d' ' -f1 /proc/loadavg)
  local log_at reason
  log_at=$(stat -c %s "$log")
  t0=$(date +%s%N)
  if ! "${env_cmd[@]}" /usr/bin/time -v -o "$tf" "${cmd[@]}" > "$json" 2>> "$log"; then
    t1=$(date +%s%N)
    # The run's own stderr: its first line naming an error (DuckDB's "Out of Memory Error: ..."),
    # else its last line.
    reason=$(tail -c +$((log_at + 1)) "$log" | grep -m 1 -i 'error' || tail -c +$((log_at + 1)) "$log" | tail -n 1)
    reason=$(echo "$reason" | tr '\t' ' ' | sed 's/^\[*Error: //' | cut -c1-160)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf" 2>/dev/null)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$engine" "$t" "$r" "$secs" "${rss:-0}" "$reason" >> "$failures"
    last_failed[$mode-$engine-$t]=1
    say "$engine ($mode, threads $t, run $r) FAILED after ${secs}s (peak RSS $((${rss:-0} / 1024)) MB): $reason (full stderr: $log)"
    return 1
  fi
  unset "last_failed[$mode-$engine-$t]"
  t1=$(date +%s%N)
  shown="$engine-$mode"
  if [ -z "${cmd_shown[$shown]:-}" ]; then
    cmd_shown[$shown]=1
    say "$engine $mode: $(printf '%q ' "${env_cmd[@]}" "${cmd[@]}")"
    [ "$engine" = duckdb ] && say "  DuckDB: SET threads = $t; $(grep -o '"query":".*"' "$json" | sed 's/^"query":"//; s/"$//')"
    [ "$engine" = polars ] && say "  Polars: $(grep -o '"how":".*"' "$json" | sed 's/^"how":"//; s/"$//; s/\\"/"/g')"
  fi
  if [ "$engine" = kiln ]; then
    nrows=$(tail -n 1 "$json" | grep -o '"rows_written": *[0-9]*' | grep -o '[0-9]*$' || echo 0)
  else
    nrows=$(tail -n 1 "$json" | grep -o '"rows":[0-9]*' | grep -o '[0-9]*$' || echo 0)
    grep -o '"version":"[^"]*"' "$json" | head -n 1 | sed "s/^\"version\":\"/$engine /; s/\"$//" > "$work/version-$engine.txt"
  fi
  # Data files only: names starting with '_' or '.' (kiln's _kiln.lock, temporaries) are not data.
  obytes=$(cd "$out" && find . -name '*.parquet' -not -path '*/_*' -not -path '*/.*' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
  nfiles=$(cd "$out" && find . -name '*.parquet' -not -path '*/_*' -not -path '*/.*' | wc -l)
  nfolders=$(cd "$out" && find . -name '*.parquet' -not -path '*/_*' -not -path '*/.*' -printf '%h\n' | sort -u | wc -l)
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
  cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$tf")
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  [ "$nrows" = "$rows" ] || say "WARNING: $engine ($mode) wrote $nrows rows, expected $rows"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$engine" "$t" "$r" "$secs" "$rss" "$nrows" "$obytes" "$load" "$cpu" \
    "$nfiles" "$nfolders" >> "$results"
  say "$mode $engine threads=$t run=$r: ${secs}s (CPU ${cpu}s), peak RSS $((rss / 1024)) MB, $nrows rows, $((obytes / 1000000)) MB out in $nfiles files, $nfolders folders (load $load)"
}

# The entries of a round: every engine at every --threads count, then kiln alone at each
# --kiln-threads count not already there.
entries=()
for t in $threads_list; do for e in "${engine_words[@]}"; do entries+=("$e:$t"); done; done
if has "$engines" kiln; then
  for t in $kiln_threads; do has "$threads_list" "$t" || entries+=("kiln:$t"); done
fi
n_entries=${#entries[@]}

start_load=$(cut -d' ' -f1-3 /proc/loadavg)
start_time=$(date -u '+%Y-%m-%d %H:%M UTC')
say "$rows rows ($span_text), $in_mb MB of $fmt_name$in_note in ${#in_files[@]} files; $codec$([ "$codec" = zstd ] && echo " level $level"); modes: $modes; $runs rounds of: ${entries[*]}"
say "load average at start: $start_load"
for mode in $modes; do
  for e in "${engine_words[@]}"; do
    why=$(mode_skip "$e" "$mode")
    [ -z "$why" ] || say "$mode: $e sits this mode out ($why)"
  done
  for r in $(seq 1 "$runs"); do
    for i in $(seq 0 $((n_entries - 1))); do
      ent=${entries[$(((i + r - 1) % n_entries))]}
      [ -z "$(mode_skip "${ent%%:*}" "$mode")" ] || continue
      run_one "${ent%%:*}" "${ent##*:}" "$mode" "$r" || true
    done
  done
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf "$work/old"

# ---- checks --------------------------------------------------------------------------------
# Every peer's last output must hold the same data as kiln's (same schema, counts, min/max and
# value hashes per column; for partitioned output also the same rows per folder and no row in a
# folder other than its ts's). Without kiln in --engines, the first engine's output is the one
# the others are held to.
declare -A verdict=()
first_t=$(echo $threads_list | tr ' ' '\n' | sort -n | tail -n 1)  # ratios and checks at the most threads
ref=kiln
has "$engines" kiln || ref=${engine_words[0]}
if [ "$check" = 1 ]; then
  for mode in $modes; do
    a="$(out_dir "$ref" "$first_t" "$mode")"
    [ -d "$a" ] && [ -z "${last_failed[$mode-$ref-$first_t]:-}" ] || continue
    compared=0
    for e in "${engine_words[@]}"; do
      [ "$e" = "$ref" ] && continue
      b="$(out_dir "$e" "$first_t" "$mode")"
      [ -d "$b" ] || continue
      # A failed last run leaves a partial folder: nothing to hold against the reference.
      [ -z "${last_failed[$mode-$e-$first_t]:-}" ] || continue
      keys_arg=()
      [ "$mode" = plain ] || keys_arg=(--keys "$(mode_keys "$mode")")
      if res=$(node "$here/bench_duckdb.mjs" compare --a "$a/$(data_glob "$mode")" --b "$b/$(data_glob "$mode")" \
               "${keys_arg[@]}" 2>&1); then
        verdict[$mode-$e]="same data as $ref's"
        say "$mode: $e's output holds the same data as $ref's: $res"
      else
        verdict[$mode-$e]="DIFFERS from $ref's"
        say "$mode: $e's output DIFFERS from $ref's: $res"
      fi
      compared=1
    done
    # No peer to hold it against (all failed or sat the mode out): the reference's folders are
    # still checked on their own, every row in the folder its ts names and N rows in all.
    if [ "$compared" = 0 ] && [ "$mode" != plain ]; then
      if res=$(node "$here/bench_duckdb.mjs" compare --a "$a/$(data_glob "$mode")" --keys "$(mode_keys "$mode")" 2>&1) &&
         [[ "$res" == *"\"rows\":$rows,"* ]]; then
        verdict[$mode-$ref]="no peer output; every row in its ts's folder"
        say "$mode: no peer output to compare with; $ref's $rows rows each sit in their ts's folder: $res"
      else
        verdict[$mode-$ref]="no peer output; ROWS MISPLACED or missing"
        say "$mode: no peer output to compare with; $ref's output has rows in the wrong folder or not $rows rows: $res"
      fi
    fi
  done
fi

# ---- table ---------------------------------------------------------------------------------
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$repo" status --porcelain 2>/dev/null | head -n 1)" ] && commit="$commit plus uncommitted work"
versions="node $(node --version 2>/dev/null)$({ cat "$work"/version-*.txt 2>/dev/null || true; } | sed 's/^/, /' | tr -d '\n')"
report="$dir/report-$tag.txt"
{
  echo "kiln vs DuckDB vs Polars: $rows rows ($span_text), $in_mb MB of dirty $fmt_name$in_note in ${#in_files[@]} files -> Parquet $codec$([ "$codec" = zstd ] && echo " level $level")"
  echo "$([ "$cold" = 1 ] && echo 'cold page cache (dropped before every run)' || echo 'warm page cache (input read into the page cache once before the runs)'); $runs runs each, engines in rotated order; median wall seconds of one process each"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
  echo "kiln $kiln (tree at $commit); $versions"
  echo "started $start_time; load average at start $start_load, at end $end_load"
  for mode in $modes; do
    echo
    mode_title "$mode"
    # The whole results file goes in: this mode's rows make the table, kiln's plain rows (when
    # plain ran in this invocation) give the kiln/plain column.
    awk -F'\t' -v M="$mode" -v mb="$in_mb" -v ROWS="$rows" -v T="$first_t" \
      -v checks="$(for k in "${!verdict[@]}"; do [[ "$k" == "$mode-"* ]] && printf '%s=%s\037' "${k#"$mode"-}" "${verdict[$k]}"; done)" \
      -v skips="$(for e in "${engine_words[@]}"; do why=$(mode_skip "$e" "$mode"); [ -z "$why" ] || printf '%s=%s\037' "$e" "$why"; done)" \
      -v fails="$(awk -F'\t' -v M="$mode" '$1 == M { printf "%s\t%s\t%s\t%s\t%s\037", $2, $3, $5, $6, $7 }' "$failures")" '
      $1 == "plain" && $2 == "kiln" { pn[$3]++; ps[$3, pn[$3]] = $5 }
      $1 != M { next }
      { key = $2 "\t" $3; n[key]++; s[key, n[key]] = $5; c[key, n[key]] = $10; if ($6 > rss[key]) rss[key] = $6; out[key] = $8
        files[key] = $11; folders[key] = $12
        if (n[key] == 1 || $9 < lmin[key]) lmin[key] = $9; if ($9 > lmax[key]) lmax[key] = $9
        if (!(key in seen)) { seen[key] = 1; if (!($3 in tseen)) { tseen[$3] = 1; ts[++nt] = $3 } } }
      # The median of v[1..m]; sets lo and hi.
      function vmedian(v, m,   i, j, tmp) {
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
        lo = v[1]; hi = v[m]
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
      function median(key,   i, a) { for (i = 1; i <= n[key]; i++) a[i] = s[key, i] + 0; return vmedian(a, n[key]) }
      function cmedian(key,   i, a) { for (i = 1; i <= n[key]; i++) a[i] = c[key, i] + 0; return vmedian(a, n[key]) }
      function pmedian(t,   i, a) { for (i = 1; i <= pn[t]; i++) a[i] = ps[t, i] + 0; return vmedian(a, pn[t]) }
      END {
        # Lists from the shell, items split by \037 (the verdicts and reasons hold ; and =).
        nc = split(checks, cs, "\037"); for (i = 1; i <= nc; i++) if (cs[i] != "") { j = index(cs[i], "="); chk[substr(cs[i], 1, j - 1)] = substr(cs[i], j + 1) }
        ns = split(skips, ss, "\037"); for (i = 1; i <= ns; i++) if (ss[i] != "") { j = index(ss[i], "="); skip[substr(ss[i], 1, j - 1)] = substr(ss[i], j + 1) }
        # Rows: most threads first; kiln, duckdb, polars within a thread count.
        for (i = 1; i <= nt; i++) for (j = i + 1; j <= nt; j++) if (ts[j] + 0 > ts[i] + 0) { tmp = ts[i]; ts[i] = ts[j]; ts[j] = tmp }
        split("kiln duckdb polars", en, " ")
        for (i = 1; i <= nt; i++) for (j = 1; j <= 3; j++) if ((en[j] "\t" ts[i]) in seen) order[++k] = en[j] "\t" ts[i]
        for (i = 1; i <= k; i++) { med[order[i]] = median(order[i]); lo_[order[i]] = lo; hi_[order[i]] = hi }
        printf "%-7s %7s %9s %15s %6s %8s %10s %9s %7s %7s %7s %10s  %s\n", "engine", "threads", "median s", "(min-max)", "CPU s",
          "MB/s", "rows/s", "peak RSS", "out MB", "files", "folders", "kiln/plain", "kiln time / this"
        for (i = 1; i <= k; i++) {
          key = order[i]; split(key, p, "\t"); m = med[key]; ratio = ""; own = ""
          kk = "kiln\t" p[2]
          if (p[1] != "kiln" && (kk in med)) ratio = sprintf("%.2fx", med[kk] / m)
          else if (p[1] == "kiln" && p[2] == T) ratio = "1.00x"
          else if (p[1] == "kiln" && (("kiln\t" T) in med)) ratio = sprintf("(speed-up of %d threads over %d: %.2fx)", T, p[2], m / med["kiln\t" T])
          if ((p[1] in chk) && p[2] == T) ratio = ratio "  " chk[p[1]]
          if (p[1] == "kiln" && M != "plain" && (p[2] in pn)) own = sprintf("%.2fx", m / pmedian(p[2]))
          printf "%-7s %7s %9.2f %15s %6.1f %8.1f %10.0f %6.0f MB %7.1f %7d %7d %10s  %s\n", p[1], p[2], m,
            sprintf("(%.2f-%.2f)", lo_[key], hi_[key]), cmedian(key), mb / m, ROWS / m, rss[key] / 1024, out[key] / 1e6,
            files[key], folders[key], own, ratio
        }
        for (e in skip) printf "%-7s %7s %9s  %s\n", e, T, "n/a", skip[e]
        # Failed runs: one line per engine and thread count, with the first failed run time,
        # peak RSS and error (an engine may fail some rounds and pass others: both show).
        nf = split(fails, fs, "\037")
        for (i = 1; i <= nf; i++) if (fs[i] != "") {
          split(fs[i], f, "\t"); fk = f[1] "\t" f[2]; nfail[fk]++
          if (nfail[fk] == 1) { forder[++nfo] = fk; fsecs[fk] = f[3]; frss[fk] = f[4]; fwhy[fk] = f[5] }
        }
        for (i = 1; i <= nfo; i++) {
          fk = forder[i]; split(fk, p, "\t")
          printf "%-7s %7s %9s  %d of %d runs failed; the first after %.2f s, peak RSS %.0f MB: %s\n", p[1], p[2], "FAILED",
            nfail[fk], nfail[fk] + n[fk], fsecs[fk], frss[fk] / 1024, fwhy[fk]
        }
      }' "$results"
  done
  echo
  echo "kiln time / this: kiln's median at the same thread count over this engine's (below 1: kiln is faster)."
  echo "kiln/plain: kiln's median in this mode over its median plain convert of the same input at the same thread count"
  echo "(when plain ran in this invocation). files: Parquet files written (last run); folders: folders holding them."
  echo "CPU s: median user + system seconds of the process; peak RSS: the highest of the runs (/usr/bin/time -v);"
  echo "DuckDB's and Polars' include node. MB/s and rows/s: input MB (10^6 bytes of $fmt_name) and rows over the median."
} | tee "$report"
echo "raw runs: $results; engine logs: $log; this table: $report" >&2
