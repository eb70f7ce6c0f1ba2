// tests/cli/kiln_run.mjs: running the kiln binary from the end-to-end tests and judging what it
// did: exit codes, the JSON result's counts, crashes and sanitizer reports, output files and
// their hashes; and the command line the test scripts share (testArgs). configure({ kiln })
// first.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { toJson } from '../interop/canon.mjs';

let KILN = null;
export function configure({ kiln }) {
  KILN = kiln;
}

// The command line of a test script `script` ("stream_test"): GROUP, then `--name value`
// options. Exits 1 with `usage` when GROUP or an option of `need` is missing, or when a file
// it names is not there. Returns { group, opt(name, dflt), work }: `work` is --work (default:
// a new temporary folder), emptied.
export function testArgs(script, usage, need) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  if (!argv[0] || need.some(([name]) => !opt(name))) {
    console.error(`usage: node ${script}.mjs ${usage}`);
    process.exit(1);
  }
  for (const [name, what] of need) {
    if (!fs.existsSync(opt(name))) {
      console.error(`${script}: FAIL: no ${what} at ${opt(name)}`);
      process.exit(1);
    }
  }
  const work = opt('--work') ?? fs.mkdtempSync(path.join(os.tmpdir(), `kiln-${script}-`));
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  return { group: argv[0], opt, work };
}

// A sanitizer report must not pass for an ordinary exit code: give it one of its own.
export const SAN_EXIT = 86;
export const env = {
  ...process.env,
  ASAN_OPTIONS: `exitcode=${SAN_EXIT}:detect_leaks=1:abort_on_error=0`,
  UBSAN_OPTIONS: `halt_on_error=1:exitcode=${SAN_EXIT}:print_stacktrace=1`,
  LSAN_OPTIONS: `exitcode=${SAN_EXIT}`,
};

export function kiln(args, { input } = {}) {
  const r = spawnSync(KILN, args, {
    encoding: 'utf8', env, maxBuffer: 1 << 28, input: input ?? '', timeout: 600_000,
  });
  const stdout = r.stdout ?? '', stderr = r.stderr ?? '';
  const lines = stdout.trimEnd().split('\n');
  let result = null;
  try { result = JSON.parse(lines[lines.length - 1]); } catch { /* not a JSON line */ }
  return { args, code: r.status, signal: r.signal, stdout, stderr, result, lastLine: lines[lines.length - 1] };
}

export function where(r) {
  return `kiln ${r.args.map((a) => (/\s/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')}`;
}

export function crashProblems(r) {
  const p = [];
  if (r.signal) p.push(`${where(r)}: killed by ${r.signal}`);
  if (r.code === SAN_EXIT || /AddressSanitizer|LeakSanitizer|runtime error:/.test(r.stderr))
    p.push(`${where(r)}: sanitizer report: ${r.stderr.slice(0, 2000)}`);
  if (r.code === 4) p.push(`${where(r)}: internal error (exit 4): ${r.stderr.trim().slice(0, 500)}`);
  if (r.code !== null && ![0, 1, 2, 3, 4, SAN_EXIT].includes(r.code)) p.push(`${where(r)}: undocumented exit code ${r.code}`);
  return p;
}

export function expectExit(r, code, { json = true } = {}) {
  const p = crashProblems(r);
  if (r.code !== code) p.push(`${where(r)}: exit ${r.code}, expected ${code}; stderr: ${r.stderr.trim().slice(0, 600)}`);
  if (code !== 0 && !/kiln: error:/.test(r.stderr)) p.push(`${where(r)}: no "kiln: error:" message on stderr: ${toJson(r.stderr.slice(0, 300))}`);
  if (json) p.push(...countProblems(r));
  return p;
}

export function countProblems(r) {
  const res = r.result;
  if (!res) return [`${where(r)}: the last stdout line is not a JSON object: ${toJson(r.lastLine?.slice(0, 300))}`];
  const p = [];
  if (res.exit_code !== r.code) p.push(`${where(r)}: result says exit_code ${res.exit_code}, the process exited ${r.code}`);
  if (res.status !== (r.code === 0 ? 'ok' : 'error')) p.push(`${where(r)}: result status ${res.status} with exit ${r.code}`);
  if (res.rows_read !== res.rows_written + res.rows_rejected)
    p.push(`${where(r)}: rows_read ${res.rows_read} != rows_written ${res.rows_written} + rows_rejected ${res.rows_rejected}`);
  return p;
}

// rows_read / rows_written / rows_rejected as expected.
export function countsProblems(r, read, written, rejected) {
  const res = r.result ?? {};
  if (res.rows_read === read && res.rows_written === written && res.rows_rejected === rejected) return [];
  return [`${where(r)}: rows read/written/rejected ${res.rows_read}/${res.rows_written}/${res.rows_rejected}, expected ${read}/${written}/${rejected}`];
}

export function write(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export function listDir(dir) {
  try { return fs.readdirSync(dir).sort(); } catch { return []; }
}

// Every part file under `dir` (partition folders included), by path relative to `dir`, sorted.
export function partPaths(dir, rel = '') {
  const out = [];
  for (const n of listDir(path.join(dir, rel))) {
    if (n.startsWith('_') || n.startsWith('.')) continue;
    const r = rel ? `${rel}/${n}` : n;
    if (fs.statSync(path.join(dir, r)).isDirectory()) out.push(...partPaths(dir, r));
    else if (/^part-.*\.parquet$/.test(n)) out.push(r);
  }
  return out.sort();
}

export function parts(dir) {
  return partPaths(dir).map((r) => path.join(dir, r));
}

export function noOutputProblems(dir, r) {
  const left = listDir(dir).filter((n) => n !== '_kiln.lock');
  return left.length ? [`${where(r)}: a failed run left ${toJson(left)} in ${dir}`] : [];
}

export function sha(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// { relative part path: sha256 } for every part file under `dir`.
export function partHashes(dir) {
  return Object.fromEntries(partPaths(dir).map((r) => [r, sha(path.join(dir, r))]));
}

export function diffHashes(want, got) {
  const p = [];
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
  for (const k of keys) {
    if (!(k in got)) p.push(`${k} is missing`);
    else if (!(k in want)) p.push(`${k} is extra`);
    else if (want[k] !== got[k]) p.push(`${k} differs (sha256 ${got[k].slice(0, 16)}..., expected ${want[k].slice(0, 16)}...)`);
  }
  return p;
}

