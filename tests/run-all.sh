#!/usr/bin/env bash
# tests/run-all.sh: builds kiln and runs every test suite twice, as CI does (.ci/run calls this):
#
#   1. Release, -DKN_WERROR=ON           in build-release/, then ctest (all suites: Check unit
#                                        tests, interop, CLI end-to-end with 1M rows)
#   2. Debug, -DKN_SANITIZE=ON (ASan +   in build-sanitize/, then ctest again (the big CLI data
#      UBSan), -DKN_WERROR=ON            set shrinks to 200k rows there)
#
# Installs missing Debian packages and the npm readers first (tests/install-deps.sh). Prints
# each ctest summary and a closing "N passed, N failed" over both runs; exits non-zero when any
# build or test failed. KN_JOBS sets the parallelism (default 2, the machine's core count);
# KN_BUILD_PREFIX the build folders' prefix (default "build": build-release, build-sanitize).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${KN_JOBS:-2}"
prefix="${KN_BUILD_PREFIX:-build}" # build folders: ${prefix}-release, ${prefix}-sanitize

bash tests/install-deps.sh

total_pass=0
total_fail=0
status=0

# run_suite NAME BUILD_DIR CMAKE_ARGS...
run_suite() {
  local name="$1" dir="$2"
  shift 2
  echo "=== $name: configure and build ($dir) ==="
  if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j "$jobs"; then
    echo "=== $name: BUILD FAILED ==="
    total_fail=$((total_fail + 1))
    status=1
    return
  fi
  echo "=== $name: ctest ==="
  local log="$dir/ctest-output.log" rc
  set +e
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 3000 2>&1 | tee "$log"
  rc="${PIPESTATUS[0]}"
  set -e
  # "100% tests passed, 0 tests failed out of 42"
  local line
  line="$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)"
  if [ -z "$line" ]; then
    echo "=== $name: ctest printed no summary ==="
    total_fail=$((total_fail + 1))
    status=1
    return
  fi
  local failed all
  failed="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
  all="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
  total_pass=$((total_pass + all - failed))
  total_fail=$((total_fail + failed))
  echo "=== $name: $line ==="
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$all" -eq 0 ]; then status=1; fi
}

run_suite "release (-Werror)" "${prefix}-release" -DCMAKE_BUILD_TYPE=Release -DKN_WERROR=ON -DKN_SANITIZE=OFF
run_suite "sanitize (ASan+UBSan, Debug)" "${prefix}-sanitize" -DCMAKE_BUILD_TYPE=Debug -DKN_WERROR=ON -DKN_SANITIZE=ON

echo "ctest: $total_pass passed, $total_fail failed"
exit "$status"
