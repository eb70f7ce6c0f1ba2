#!/usr/bin/env bash
# bench/bench_convert.sh: the earlier kiln-vs-DuckDB benchmark, now a front for bench.sh
# (which adds Polars and partitioned output). It keeps this script's old defaults and options:
#
#   bench/bench_convert.sh [--rows N] [--codec zstd|snappy] [--threads-list "1 2"] [--runs 3]
#                          [--dir DIR] [--kiln PATH] [--gen PATH] [--seed S] [--shards K]
#                          [--engines "kiln duckdb"] [--cold]
#
# = bench.sh --modes plain --engines "kiln duckdb" --rows 3000000 --shards 8 --threads "1 NPROC"
#   --kiln-threads "" [the options above, --threads-list passed as --threads]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
args=(--modes plain --engines "kiln duckdb" --rows 3000000 --shards 8 --threads "1 $(nproc)" --kiln-threads "")
while [ $# -gt 0 ]; do
  case "$1" in
    --threads-list) args+=(--threads "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$here/bench.sh" "${args[@]}"
