#!/usr/bin/env bash
# tests/interop/run_interop.sh: the ctest entry points of the interop suite.
#
#   run_interop.sh setup                      node >= 18 and npm present; node_modules installed
#                                             from package-lock.json (npm ci) when missing/stale
#   run_interop.sh selftest WORKDIR           the three readers read DuckDB-written files exactly
#   run_interop.sh corpus CORPUS_BIN WORKDIR  kiln's corpus, read by all three readers
#   run_interop.sh inspect KILN WORKDIR       `kiln inspect --json` agrees with DuckDB's footer view
#   run_interop.sh pageskip KILN GEN SCHEMA WORKDIR ROWS
#                                             a file sorted by ts: 1% of the range read through
#                                             at most 5% of the data pages (page_skip_check.mjs)
#
# A missing node, npm or node_modules is a FAILURE with a message saying what to install, never a
# skip: the interop tests are the only independent check of kiln's Parquet output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() {
  echo "run_interop.sh: FAIL: $*" >&2
  exit 1
}

need_node() {
  command -v node >/dev/null 2>&1 ||
    fail "node is not installed; the interop tests need Node.js >= 18 (Debian 12: apt-get install -y nodejs npm)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 18 ] || fail "node $(node --version) is too old; the interop tests need Node.js >= 18"
}

lock_stamp() {
  sha256sum "$here/package-lock.json" | cut -d' ' -f1
}

need_modules() {
  need_node
  [ -d "$here/node_modules" ] ||
    fail "$here/node_modules is missing: run 'npm ci' in tests/interop (ctest's interop_setup test does it)"
  [ "$(cat "$here/node_modules/.kiln-lock-stamp" 2>/dev/null || true)" = "$(lock_stamp)" ] ||
    fail "$here/node_modules does not match package-lock.json: run 'npm ci' in tests/interop"
}

cmd="${1:-}"
case "$cmd" in
  setup)
    need_node
    command -v npm >/dev/null 2>&1 ||
      fail "npm is not installed; the interop tests install their readers with it (Debian 12: apt-get install -y npm)"
    if [ "$(cat "$here/node_modules/.kiln-lock-stamp" 2>/dev/null || true)" != "$(lock_stamp)" ]; then
      echo "installing the interop readers from package-lock.json (npm ci) with node $(node --version), npm $(npm --version)"
      npm_log="$(mktemp)"
      if ! (cd "$here" && npm ci --no-audit --no-fund) >"$npm_log" 2>&1; then
        if ! grep -q 'package.json and package-lock.json or npm-shrinkwrap.json are in sync' "$npm_log"; then
          cat "$npm_log" >&2
          rm -f "$npm_log"
          fail "npm ci in $here failed"
        fi
        # npm >= 10 refuses this lock file: @duckdb/node-bindings 1.5.6-r.1 lists optional
        # platform packages (darwin, win32, linux-arm64) that the registry does not have, so no
        # lock file can hold them. npm 9 (Debian 12's) accepts it. Install the same locked
        # versions without rewriting the lock, then prove below that they are the locked ones.
        echo "npm $(npm --version) ci refuses the lock file (optional @duckdb/node-bindings platform packages missing from the registry); installing the locked versions with npm install --no-save"
        before="$(lock_stamp)"
        (cd "$here" && npm install --no-save --no-audit --no-fund) || fail "npm install in $here failed"
        [ "$(lock_stamp)" = "$before" ] || fail "npm install changed package-lock.json"
      else
        cat "$npm_log"
      fi
      rm -f "$npm_log"
      (cd "$here" && node --input-type=module -e "
        import fs from 'node:fs';
        const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')).packages;
        let bad = 0, seen = 0;
        for (const [p, e] of Object.entries(lock)) {
          if (!p) continue;
          const file = p + '/package.json';
          if (!fs.existsSync(file)) { if (!e.optional) { console.error('missing ' + p); bad++; } continue; }
          seen++;
          const v = JSON.parse(fs.readFileSync(file, 'utf8')).version;
          if (v !== e.version) { console.error(p + ' is ' + v + ', the lock says ' + e.version); bad++; }
        }
        if (bad || !seen) process.exit(1);
        console.log(seen + ' packages installed at the versions package-lock.json pins');
      ") || fail "node_modules does not hold the versions package-lock.json pins"
      lock_stamp >"$here/node_modules/.kiln-lock-stamp"
    fi
    # Prove each reader loads, so a broken install fails here and not as a data mismatch.
    (cd "$here" && node --input-type=module -e "
      await import('@duckdb/node-api'); await import('parquet-wasm'); await import('apache-arrow');
      await import('hyparquet'); await import('hyparquet-compressors');
      console.log('interop readers load: @duckdb/node-api, parquet-wasm, apache-arrow, hyparquet (node ' + process.version + ')');
    ") || fail "the interop readers do not load; run 'npm ci' in tests/interop"
    ;;
  selftest)
    need_modules
    rm -rf "$2" && mkdir -p "$2"
    exec node "$here/selftest.mjs" "$2"
    ;;
  corpus)
    need_modules
    [ -x "$2" ] || fail "the corpus writer $2 was not built"
    rm -rf "$3" && mkdir -p "$3"
    "$2" "$3" || fail "the corpus writer failed (exit $?)"
    exec node "$here/compare.mjs" "$3"
    ;;
  inspect)
    need_modules
    [ -x "$2" ] || fail "the kiln binary $2 was not built"
    rm -rf "$3" && mkdir -p "$3"
    exec node "$here/inspect_check.mjs" "$2" "$3"
    ;;
  pageskip)
    need_modules
    [ -x "$2" ] || fail "the kiln binary $2 was not built"
    [ -x "$3" ] || fail "the generator $3 was not built"
    exec node "$here/page_skip_check.mjs" --kiln "$2" --gen "$3" --schema "$4" --work "$5" --rows "${6:-300000}"
    ;;
  *)
    echo "usage: run_interop.sh setup | selftest WORKDIR | corpus CORPUS_BIN WORKDIR | inspect KILN WORKDIR | pageskip KILN GEN SCHEMA WORKDIR [ROWS]" >&2
    exit 1
    ;;
esac
