// tests/cli/cli_test.mjs: end-to-end tests of the `kiln` binary, one group per ctest test.
//
//   node cli_test.mjs GROUP --kiln PATH --work DIR --repo DIR [--conformance DIR] [--gen PATH]
//                     [--rows N]
//
// Groups:
//   usage        exit codes and messages for bad usage (1), `kiln --help`, bad schema files
//   failures     bad data (2), unwritable output (3), no partial output on failure, the
//                earlier output left whole, empty and whitespace-only inputs
//   report       rows_read == rows_written + rows_rejected, --report FILE equals the stdout
//                line, skip / quarantine / --max-errors, _rejects/ holding the bad records verbatim
//   threads      byte-identical output with --threads 1, 2 and 3 and across repeated runs
//   conformance  JSONTestSuite: y_ one-line objects give one row, n_ files exit 2 (fail) or
//                quarantine their records, i_ files never crash
//   samples      the data/ shards converted (with the bundled schema and inferred), read back by
//                three readers equal to DuckDB's read_json of the same shards; infer; inspect
//   types        every kiln type through NDJSON -> kiln -> Parquet, read back by three readers
//                equal to the values the test wrote
//   million      N (default 1,000,000) generated order rows converted, read back by DuckDB,
//                arrow-rs and hyparquet equal column by column to DuckDB's read_json of the
//                same NDJSON with the same schema
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  READERS, readWith, readDuckdbSql, duckdbConnection, sqlString, sqlIdent,
} from '../interop/readers.mjs';
import { diffColumns, Tally } from '../interop/check.mjs';
import { canonDecimal, canonDouble, canonDate, toJson } from '../interop/canon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const group = argv[0];
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const KILN = opt('--kiln');
const WORK = opt('--work') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-cli-'));
const REPO = opt('--repo', path.resolve(here, '../..'));
const CONFORMANCE = opt('--conformance', path.resolve(REPO, 'tests/conformance'));
const GEN = opt('--gen');
const ROWS = Number(opt('--rows', '1000000'));
if (!group || !KILN) {
  console.error('usage: node cli_test.mjs GROUP --kiln PATH --work DIR [--repo DIR] [--conformance DIR] [--gen PATH] [--rows N]');
  process.exit(1);
}
if (!fs.existsSync(KILN)) {
  console.error(`cli_test: FAIL: no kiln binary at ${KILN}`);
  process.exit(1);
}
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });

// A sanitizer report must not pass for an ordinary exit code: give it one of its own.
const SAN_EXIT = 86;
const env = {
  ...process.env,
  ASAN_OPTIONS: `exitcode=${SAN_EXIT}:detect_leaks=1:abort_on_error=0`,
  UBSAN_OPTIONS: `halt_on_error=1:exitcode=${SAN_EXIT}:print_stacktrace=1`,
  LSAN_OPTIONS: `exitcode=${SAN_EXIT}`,
};

/* ------------------------------------------------------------------------------------ helpers */

function kiln(args, { input } = {}) {
  const r = spawnSync(KILN, args, {
    encoding: 'utf8', env, maxBuffer: 1 << 28, input: input ?? '', timeout: 600_000,
  });
  const stdout = r.stdout ?? '', stderr = r.stderr ?? '';
  const lines = stdout.trimEnd().split('\n');
  let result = null;
  try { result = JSON.parse(lines[lines.length - 1]); } catch { /* not a JSON line */ }
  return { args, code: r.status, signal: r.signal, stdout, stderr, result, lastLine: lines[lines.length - 1] };
}

function where(r) {
  return `kiln ${r.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
}

// A crash, a sanitizer report or an internal error is never acceptable, whatever the input.
function crashProblems(r) {
  const p = [];
  if (r.signal) p.push(`${where(r)}: killed by ${r.signal}`);
  if (r.code === SAN_EXIT || /AddressSanitizer|LeakSanitizer|runtime error:/.test(r.stderr))
    p.push(`${where(r)}: sanitizer report: ${r.stderr.slice(0, 2000)}`);
  if (r.code === 4) p.push(`${where(r)}: internal error (exit 4): ${r.stderr.trim().slice(0, 500)}`);
  if (r.code === 99) p.push(`${where(r)}: exit 99, which kiln never uses`);
  if (r.code !== null && ![0, 1, 2, 3, 4, SAN_EXIT].includes(r.code)) p.push(`${where(r)}: undocumented exit code ${r.code}`);
  return p;
}

// Exit code `code`, and for convert the last stdout line: a JSON result whose counts add up.
function expectExit(r, code, { json = true } = {}) {
  const p = crashProblems(r);
  if (r.code !== code) p.push(`${where(r)}: exit ${r.code}, expected ${code}; stderr: ${r.stderr.trim().slice(0, 600)}`);
  if (code !== 0 && !/kiln: error:/.test(r.stderr)) p.push(`${where(r)}: no "kiln: error:" message on stderr: ${toJson(r.stderr.slice(0, 300))}`);
  if (json) p.push(...countProblems(r));
  return p;
}

function countProblems(r) {
  const res = r.result;
  if (!res) return [`${where(r)}: the last stdout line is not a JSON object: ${toJson(r.lastLine?.slice(0, 300))}`];
  const p = [];
  if (res.exit_code !== r.code) p.push(`${where(r)}: result says exit_code ${res.exit_code}, the process exited ${r.code}`);
  if (res.status !== (r.code === 0 ? 'ok' : 'error')) p.push(`${where(r)}: result status ${res.status} with exit ${r.code}`);
  if (res.rows_read !== res.rows_written + res.rows_rejected)
    p.push(`${where(r)}: rows_read ${res.rows_read} != rows_written ${res.rows_written} + rows_rejected ${res.rows_rejected}`);
  return p;
}

function write(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function listDir(dir) {
  try { return fs.readdirSync(dir).sort(); } catch { return []; }
}

function parts(dir) {
  return listDir(dir).filter((n) => /^part-.*\.parquet$/.test(n)).map((n) => path.join(dir, n));
}

// After a failed run: nothing under OUTDIR (no data file, no temporary folder, no rejects, no
// manifest or SQL) but kiln's lock file.
function noOutputProblems(dir, r) {
  const left = listDir(dir).filter((n) => n !== '_kiln.lock');
  return left.length ? [`${where(r)}: a failed run left ${toJson(left)} in ${dir}`] : [];
}

function sha(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// The hash of every file under `dir`, by relative path. Text artifacts (manifest, SQL, rejects)
// name the output folder, so in files other than Parquet the folder's path is replaced by
// "OUTDIR" first: two runs into different folders compare equal when only that differs.
function treeHashes(dir, root = dir) {
  const out = {};
  for (const n of listDir(dir)) {
    const p = path.join(dir, n);
    if (fs.statSync(p).isDirectory()) {
      for (const [k, v] of Object.entries(treeHashes(p, root))) out[`${n}/${k}`] = v;
    } else if (n.endsWith('.parquet')) {
      out[n] = sha(p);
    } else {
      const text = fs.readFileSync(p).toString('latin1').replaceAll(path.resolve(root), 'OUTDIR');
      out[n] = crypto.createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
    }
  }
  return out;
}

async function duckCount(files) {
  const con = await duckdbConnection();
  if (!files.length) return 0;
  const list = `[${files.map(sqlString).join(', ')}]`;
  const res = await con.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${list})`);
  return Number(res.getRows()[0][0]);
}

function schemaYaml(cols) {
  return 'columns:\n' + cols.map(([name, type, nullable]) =>
    `  - name: ${JSON.stringify(name)}\n    type: ${JSON.stringify(type)}${nullable === false ? '\n    nullable: false' : ''}\n`).join('');
}

// kiln's type spelling -> DuckDB's, for read_json(columns = {...}).
function duckType(t) {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return { string: 'VARCHAR', bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', date: 'DATE',
    timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' }[t];
}

// The columns of a kiln schema file (the simple block form `kiln infer` writes).
function readSchemaFile(file) {
  const cols = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let m;
    if ((m = /^\s*-\s*name:\s*"?([^"#]+?)"?\s*$/.exec(line))) cols.push({ name: m[1], type: null, nullable: true });
    else if ((m = /^\s*type:\s*"?([^"#\s]+)"?/.exec(line)) && cols.length) cols[cols.length - 1].type = m[1];
    else if ((m = /^\s*nullable:\s*(\w+)/.exec(line)) && cols.length) cols[cols.length - 1].nullable = m[1] === 'true';
  }
  return cols;
}

// Reads kiln's output files with every reader and compares each column, a few at a time (to
// bound memory on big outputs), with `reference(columnNames)`: { columns, data }.
async function compareOutput(tally, label, files, reference, columnNames, perGroup = 4) {
  for (const reader of READERS) {
    await tally.run(`${reader} reads ${label} with the same values, column by column`, async () => {
      const problems = [];
      for (let i = 0; i < columnNames.length; i += perGroup) {
        const cols = columnNames.slice(i, i + perGroup);
        const want = await reference(cols);
        const got = { columns: want.columns.map((c) => ({ ...c })), data: want.columns.map(() => []) };
        for (const f of files) {
          const part = await readWith(reader, f, cols);
          const names = part.columns.map((c) => c.name);
          if (toJson(names) !== toJson(cols)) return [`${f}: columns ${toJson(names)}, expected ${toJson(cols)}`];
          part.columns.forEach((c, k) => {
            if (c.type !== want.columns[k].type) problems.push(`${f}: column ${c.name} is ${c.type}, expected ${want.columns[k].type}`);
            for (const v of part.data[k]) got.data[k].push(v);
          });
        }
        problems.push(...diffColumns(want, got, { checkTypes: false }));
        if (problems.length) break;
      }
      return problems;
    });
  }
}

// DuckDB's own read of NDJSON `inputs` with the schema `cols` ([{ name, type }]), loaded once
// into a table; returns (columnNames) => { columns, data } for compareOutput.
async function jsonReference(table, inputs, cols) {
  const con = await duckdbConnection();
  const spec = cols.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ');
  await con.run(`CREATE OR REPLACE TABLE ${sqlIdent(table)} AS SELECT * FROM read_json([${inputs.map(sqlString).join(', ')}],
    format = 'newline_delimited', columns = {${spec}})`);
  return (names) => readDuckdbSql(con, `SELECT ${names.map(sqlIdent).join(', ')} FROM ${sqlIdent(table)}`);
}

/* ------------------------------------------------------------------------------------- groups */

const tally = new Tally();
const groups = {};

groups.usage = async () => {
  const data = write(path.join(WORK, 'in', 'one.ndjson'), '{"a":1,"b":"x"}\n');
  await tally.run('kiln with no command prints usage and exits 1', () => {
    const r = kiln([]);
    const p = crashProblems(r);
    if (r.code !== 1 || !/usage/i.test(r.stderr)) p.push(`exit ${r.code}, stderr ${toJson(r.stderr.slice(0, 200))}`);
    return p;
  });
  await tally.run('kiln --help exits 0 and documents exit codes 0-4', () => {
    const r = kiln(['--help']);
    const p = crashProblems(r);
    if (r.code !== 0) p.push(`exit ${r.code}`);
    for (const c of ['0', '1', '2', '3', '4']) if (!new RegExp(`^\\s*${c}\\s`, 'm').test(r.stdout)) p.push(`--help does not document exit code ${c}`);
    return p;
  });
  await tally.run('kiln convert --help, infer --help and inspect --help exit 0', () =>
    ['convert', 'infer', 'inspect'].flatMap((c) => {
      const r = kiln([c, '--help']);
      return r.code === 0 && /usage/i.test(r.stdout) ? crashProblems(r) : [`${c} --help: exit ${r.code}`];
    }));
  const usageCases = [
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['convert', data, '-o', path.join(WORK, 'u1'), '--no-such-option']],
    ['an unknown codec', ['convert', data, '-o', path.join(WORK, 'u2'), '--compression', 'lzo']],
    ['--threads 0', ['convert', data, '-o', path.join(WORK, 'u3'), '--threads', '0']],
    ['a malformed size', ['convert', data, '-o', path.join(WORK, 'u4'), '--row-group-size', 'lots']],
    ['no output folder', ['convert', data]],
    ['no input', ['convert', '-o', path.join(WORK, 'u5')]],
    ['a missing input file', ['convert', path.join(WORK, 'no-such.ndjson'), '-o', path.join(WORK, 'u6')]],
    ['an unknown --on-error mode', ['convert', data, '-o', path.join(WORK, 'u7'), '--on-error', 'ignore']],
    ['an unknown --format', ['convert', data, '-o', path.join(WORK, 'u8'), '--format', 'parquet']],
  ];
  for (const [what, args] of usageCases) {
    await tally.run(`kiln answers ${what} with exit 1 and a message`, () => {
      const r = kiln(args);
      const p = expectExit(r, 1, { json: false });
      if (args[0] === 'convert' && r.result) p.push(...countProblems(r));
      return p;
    });
  }
  const badSchemas = [
    ['YAML that does not parse', 'columns: [\n  - name: a\n'],
    ['an unknown type', schemaYaml([['a', 'varchar2000']])],
    ['a decimal precision over 38', schemaYaml([['a', 'decimal(40,2)']])],
    ['a duplicate column', schemaYaml([['a', 'int64'], ['a', 'string']])],
  ];
  for (const [what, text] of badSchemas) {
    await tally.run(`kiln convert --schema with ${what} exits 1`, () => {
      const s = write(path.join(WORK, 'schemas', `${what.replace(/\W+/g, '_')}.yaml`), text);
      return expectExit(kiln(['convert', data, '-o', path.join(WORK, 'bs'), '--schema', s, '-q']), 1);
    });
  }
  await tally.run('kiln refuses an output folder that already holds kiln output (exit 1) and leaves it whole', () => {
    const out = path.join(WORK, 'exists');
    const first = kiln(['convert', data, '-o', out, '-q']);
    const p = expectExit(first, 0);
    const before = toJson(treeHashes(out));
    p.push(...expectExit(kiln(['convert', data, '-o', out, '-q']), 1));
    if (toJson(treeHashes(out)) !== before) p.push('the earlier output changed');
    return p;
  });
};

groups.failures = async () => {
  const schema = write(path.join(WORK, 's.yaml'), schemaYaml([['id', 'int64', false], ['name', 'string'], ['amount', 'decimal(12,2)']]));
  const good = (i) => `{"id":${i},"name":"name ${i} \\u00e9\\ud83d\\ude00","amount":${(i * 7) % 100000}.${String(i % 100).padStart(2, '0')}}\n`;
  // ~1.5 MiB of good records with one bad record near the end, so the failure comes after
  // several morsels (1 MiB morsels below) were parsed and written.
  const lines = [];
  for (let i = 0; i < 30000; i++) lines.push(good(i));
  const badAt = 29000;
  lines[badAt] = '{"id": 29000, "name": "broken", "amount": }\n';
  const big = write(path.join(WORK, 'in', 'late-error.ndjson'), lines.join(''));

  await tally.run('a bad record in fail mode exits 2, names file and line, and publishes nothing', () => {
    const out = path.join(WORK, 'fail-out');
    const r = kiln(['convert', big, '-o', out, '--schema', schema, '--morsel-size', '1MiB', '--row-group-size', '64KiB', '--target-file-size', '256KiB', '-q']);
    const p = expectExit(r, 2);
    if (!r.stderr.includes(`late-error.ndjson:${badAt + 1}`)) p.push(`the error does not name late-error.ndjson:${badAt + 1}: ${r.stderr.trim()}`);
    p.push(...noOutputProblems(out, r));
    if (r.result && r.result.files_out !== 0) p.push(`result says files_out ${r.result.files_out}`);
    return p;
  });
  await tally.run('a failed --mode overwrite run leaves the earlier output byte for byte', () => {
    const out = path.join(WORK, 'keep-out');
    const okIn = write(path.join(WORK, 'in', 'ok.ndjson'), lines.slice(0, 1000).join(''));
    const p = expectExit(kiln(['convert', okIn, '-o', out, '--schema', schema, '-q']), 0);
    const before = toJson(treeHashes(out));
    const r = kiln(['convert', big, '-o', out, '--schema', schema, '--mode', 'overwrite', '--morsel-size', '1MiB', '-q']);
    p.push(...expectExit(r, 2));
    const after = toJson(treeHashes(out));
    if (after !== before) p.push(`the earlier output changed: before ${before}, after ${after}`);
    return p;
  });
  await tally.run('--mode overwrite replaces the earlier output once the new one is complete', async () => {
    const out = path.join(WORK, 'keep-out');
    const r = kiln(['convert', big, '-o', out, '--schema', schema, '--mode', 'overwrite', '--on-error', 'skip', '-q']);
    const p = expectExit(r, 0);
    const n = await duckCount(parts(out));
    if (n !== 29999) p.push(`${n} rows in ${out}, expected 29999`);
    return p;
  });
  await tally.run('an output folder that cannot be created (its parent is a file) exits 3 (I/O)', () => {
    const file = write(path.join(WORK, 'plain-file'), 'x');
    const r = kiln(['convert', big, '-o', path.join(file, 'out'), '--schema', schema, '-q']);
    return expectExit(r, 3);
  });
  await tally.run('an output path that is an existing file exits 3 (I/O)', () => {
    const file = write(path.join(WORK, 'plain-file2'), 'x');
    return expectExit(kiln(['convert', big, '-o', file, '--schema', schema, '-q']), 3);
  });
  await tally.run('an output folder under /proc (not writable even for root) exits 3 (I/O)', () =>
    expectExit(kiln(['convert', big, '-o', '/proc/kiln-cli-test-out', '--schema', schema, '-q']), 3));
  for (const [what, content] of [['an empty file', ''], ['a whitespace-only file', ' \n\n\t \r\n   \n']]) {
    await tally.run(`${what} converts to zero rows in one valid Parquet file`, async () => {
      const f = write(path.join(WORK, 'in', `${what.replace(/\W+/g, '_')}.ndjson`), content);
      const out = path.join(WORK, `zero-${what.replace(/\W+/g, '_')}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
      const p = expectExit(r, 0);
      if (r.result && (r.result.rows_written !== 0 || r.result.rows_read !== 0)) p.push(`result: ${r.lastLine}`);
      const files = parts(out);
      if (!files.length) p.push('no Parquet file written');
      else if ((await duckCount(files)) !== 0) p.push('DuckDB reads rows from it');
      return p;
    });
    await tally.run(`${what} without a schema does not crash (zero rows or a clear error)`, () => {
      const f = path.join(WORK, 'in', `${what.replace(/\W+/g, '_')}.ndjson`);
      const r = kiln(['convert', f, '-o', path.join(WORK, `zero-inf-${what.replace(/\W+/g, '_')}`), '-q']);
      const p = crashProblems(r);
      if (r.code === 0 && r.result?.rows_written !== 0) p.push(`wrote ${r.result?.rows_written} rows`);
      if (r.code !== 0) p.push(...expectExit(r, r.code));
      return p;
    });
  }
};

groups.report = async () => {
  const schema = write(path.join(WORK, 's.yaml'), schemaYaml([['id', 'int64', false], ['name', 'string'], ['ok', 'bool'], ['ts', 'timestamptz']]));
  const lines = [];
  const bad = new Map();
  for (let i = 0; i < 2000; i++) lines.push(`{"id":${i},"name":"n${i}","ok":${i % 2 === 0},"ts":"2024-05-06T07:08:09.${String(i).padStart(6, '0')}Z"}`);
  const badLines = [
    [17, '{"id": 17, "name": "unterminated}'],
    [300, 'not json at all'],
    [301, '[1, 2, 3]'],
    [999, '{"id": "not a number", "name": "x"}'],
    [1500, '{"id": 1500, "ok": tru}'],
    [1998, '{"id": 1998} trailing'],
  ];
  for (const [i, text] of badLines) { lines[i] = text; bad.set(i + 1, text); }
  const input = write(path.join(WORK, 'in', 'mixed.ndjson'), lines.join('\n') + '\n');
  const goodIds = [...Array(2000).keys()].filter((i) => !bad.has(i + 1)).map(String);

  const run = (out, extra) => {
    const report = path.join(WORK, `${path.basename(out)}.report.json`);
    const r = kiln(['convert', input, '-o', out, '--schema', schema, '--report', report, '--morsel-size', '4KiB', ...extra, '-q']);
    r.report = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : null;
    return r;
  };
  const reportProblems = (r) => (r.report?.trimEnd() === r.lastLine ? [] : [`--report holds ${toJson(r.report?.slice(0, 300))}, stdout's last line is ${toJson(r.lastLine.slice(0, 300))}`]);

  await tally.run('fail mode: the first bad record stops the run with exit 2; --report equals the stdout JSON', () => {
    const out = path.join(WORK, 'r-fail');
    const r = run(out, []);
    const p = expectExit(r, 2);
    p.push(...reportProblems(r), ...noOutputProblems(out, r));
    if (!r.stderr.includes('mixed.ndjson:18')) p.push(`the error does not name mixed.ndjson:18: ${r.stderr.trim()}`);
    if (r.result && !String(r.result.error ?? '').includes('mixed.ndjson:18')) p.push(`the JSON error does not name mixed.ndjson:18: ${toJson(r.result.error)}`);
    return p;
  });
  await tally.run('skip mode: bad records are counted, good ones written in order, counts add up, no _rejects/', async () => {
    const out = path.join(WORK, 'r-skip');
    const r = run(out, ['--on-error', 'skip']);
    const p = expectExit(r, 0);
    p.push(...reportProblems(r));
    const res = r.result ?? {};
    if (res.rows_read !== 2000 || res.rows_written !== 2000 - bad.size || res.rows_rejected !== bad.size)
      p.push(`counts ${res.rows_read}/${res.rows_written}/${res.rows_rejected}, expected 2000/${2000 - bad.size}/${bad.size}`);
    if (fs.existsSync(path.join(out, '_rejects'))) p.push('skip mode wrote _rejects/');
    const ids = [];
    for (const f of parts(out)) ids.push(...(await readWith('duckdb', f, ['id'])).data[0]);
    if (toJson(ids) !== toJson(goodIds)) p.push(`the ids read back are not the good ids in input order (${ids.length} ids)`);
    return p;
  });
  await tally.run('quarantine mode: _rejects/ holds each bad record verbatim with its file, line and reason', () => {
    const out = path.join(WORK, 'r-quarantine');
    const r = run(out, ['--on-error', 'quarantine']);
    const p = expectExit(r, 0);
    p.push(...reportProblems(r));
    if (r.result?.rows_rejected !== bad.size) p.push(`rows_rejected ${r.result?.rows_rejected}, expected ${bad.size}`);
    const rej = path.join(out, '_rejects', 'rejects.ndjson');
    const why = path.join(out, '_rejects', 'reasons.ndjson');
    if (!fs.existsSync(rej) || !fs.existsSync(why)) return [...p, `missing ${rej} or ${why}: ${toJson(listDir(path.join(out, '_rejects')))}`];
    const got = fs.readFileSync(rej, 'utf8').split('\n').filter((l) => l !== '');
    const want = [...bad.values()];
    if (toJson(got) !== toJson(want)) p.push(`rejects.ndjson holds ${toJson(got)}, expected ${toJson(want)}`);
    const reasons = fs.readFileSync(why, 'utf8').split('\n').filter((l) => l !== '');
    if (reasons.length !== bad.size) p.push(`reasons.ndjson has ${reasons.length} lines, expected ${bad.size}`);
    [...bad.keys()].forEach((line, k) => {
      let j = null;
      try { j = JSON.parse(reasons[k]); } catch { p.push(`reasons.ndjson line ${k + 1} is not JSON: ${reasons[k]}`); return; }
      const text = toJson(j);
      if (!text.includes('mixed.ndjson') || !new RegExp(`\\b${line}\\b`).test(text)) p.push(`reason ${k + 1} does not name mixed.ndjson line ${line}: ${text}`);
    });
    return p;
  });
  await tally.run('--max-errors 3 with skip: the 4th bad record fails the run (exit 2), nothing published', () => {
    const out = path.join(WORK, 'r-max');
    const r = run(out, ['--on-error', 'skip', '--max-errors', '3']);
    return [...expectExit(r, 2), ...reportProblems(r), ...noOutputProblems(out, r)];
  });
  await tally.run('--max-errors 6 with quarantine: exactly at the budget still succeeds', () => {
    const r = run(path.join(WORK, 'r-max6'), ['--on-error', 'quarantine', '--max-errors', String(bad.size)]);
    return [...expectExit(r, 0), ...reportProblems(r)];
  });
};

groups.threads = async () => {
  // Several MiB of varied records, cut into many morsels, several row groups and files.
  const lines = [];
  for (let i = 0; i < 60000; i++) {
    lines.push(toJson({
      id: i, grp: `g${i % 17}`, text: `row ${i} ${'ünïcødé 😀 '.repeat(i % 5)}`, v: (i * 0.37) - 1000, n: i % 11 === 0 ? null : i * 3,
      ts: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000000).padStart(6, '0')}Z`, ok: i % 3 === 0,
    }));
  }
  const input = write(path.join(WORK, 'in', 'threads.ndjson'), lines.join('\n') + '\n');
  const common = ['--morsel-size', '64KiB', '--row-group-size', '256KiB', '--page-size', '16KiB', '--target-file-size', '1MiB', '-q'];
  const outs = {};
  for (const [name, threads] of [['t1', '1'], ['t2', '2'], ['t3', '3'], ['t2again', '2']]) {
    await tally.run(`convert with --threads ${threads} (${name}) succeeds`, () => {
      // The same folder name every time: the Redshift artifacts derive the table name from it.
      const out = path.join(WORK, `thr-${name}`, 'out');
      outs[name] = out;
      const r = kiln(['convert', input, '-o', out, '--threads', threads, ...common]);
      const p = expectExit(r, 0);
      if (r.result && r.result.rows_written !== 60000) p.push(`rows_written ${r.result.rows_written}`);
      return p;
    });
  }
  await tally.run('the output is byte-identical with 1, 2 and 3 threads and across runs, in several files', async () => {
    const h = Object.fromEntries(Object.entries(outs).map(([k, d]) => [k, toJson(treeHashes(d))]));
    const p = [];
    for (const k of ['t2', 't3', 't2again']) if (h[k] !== h.t1) p.push(`${k} differs from t1: ${h[k]} vs ${h.t1}`);
    const files = parts(outs.t1);
    if (files.length < 2) p.push(`only ${files.length} file(s): the test meant to roll several`);
    if ((await duckCount(files)) !== 60000) p.push('DuckDB does not read 60000 rows back');
    return p;
  });
  await tally.run('the same input in a different morsel size gives the same rows (only the cut differs)', async () => {
    const out = path.join(WORK, 'thr-morsel');
    const r = kiln(['convert', input, '-o', out, '--threads', '2', '--morsel-size', '1MiB', '-q']);
    const p = expectExit(r, 0);
    const a = [], b = [];
    for (const f of parts(outs.t1)) a.push(...(await readWith('duckdb', f, ['id', 'text'])).data[1]);
    for (const f of parts(out)) b.push(...(await readWith('duckdb', f, ['id', 'text'])).data[1]);
    if (toJson(a) !== toJson(b)) p.push('the rows differ');
    return p;
  });
};

groups.conformance = async () => {
  const dir = path.join(CONFORMANCE, 'json');
  if (!fs.existsSync(dir)) {
    console.error(`cli_test: FAIL: ${dir} is absent: the JSONTestSuite files must be in the project (tests/conformance/json)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const schema = write(path.join(WORK, 'conf-schema.yaml'), schemaYaml([['a', 'string']]));
  const files = fs.readdirSync(dir).filter((n) => /^[yni]_.*\.json$/.test(n)).sort();
  // Empty, or only JSON whitespace after an optional byte-order mark: an empty shard.
  const wsOnly = (t) => /^(\xef\xbb\xbf)?[ \t\r\n]*$/.test(t);
  let n = 0;
  const one = async (name) => {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'latin1');
    const utf = fs.readFileSync(file, 'utf8');
    const out = path.join(WORK, 'conf', name);
    const p = [];
    n++;
    if (name.startsWith('y_')) {
      let v;
      try { v = JSON.parse(utf); } catch { v = undefined; }
      const oneLine = !utf.replace(/\r?\n$/, '').includes('\n');
      const isObject = v !== null && typeof v === 'object' && !Array.isArray(v);
      const r = kiln(['convert', file, '--format', 'ndjson', '-o', out, '--threads', '1', '-q']);
      p.push(...crashProblems(r));
      if (isObject && oneLine) {
        const keys = Object.keys(v);
        const usable = keys.length > 0 && keys.every((k) => k !== '' && !k.includes('\u0000'));
        if (usable || r.code === 0) {
          p.push(...expectExit(r, 0));
          if (r.code === 0) {
            if (r.result?.rows_written !== 1) p.push(`rows_written ${r.result?.rows_written}, expected 1`);
            const got = await duckCount(parts(out));
            if (got !== 1) p.push(`DuckDB reads ${got} rows back, expected 1`);
          }
        } else if (![1, 2].includes(r.code) || !/kiln: error:/.test(r.stderr)) {
          p.push(`an object with no usable column name: exit ${r.code}, expected 0 or a clear error (1 or 2): ${r.stderr.trim()}`);
        }
      } else if (r.code === 0) {
        p.push(...countProblems(r));
      } else {
        p.push(...expectExit(r, r.code, { json: r.code !== 1 }));
      }
      return p;
    }
    if (name.startsWith('n_')) {
      if (wsOnly(text)) {
        const r = kiln(['convert', file, '--format', 'ndjson', '-o', out, '--schema', schema, '-q']);
        p.push(...expectExit(r, 0));
        if (r.result && r.result.rows_written !== 0) p.push(`an empty shard wrote ${r.result.rows_written} rows`);
        return p;
      }
      const fail = kiln(['convert', file, '--format', 'ndjson', '-o', out, '--schema', schema, '--threads', '1', '-q']);
      p.push(...expectExit(fail, 2).map((s) => `fail mode: ${s}`));
      p.push(...noOutputProblems(out, fail));
      const qout = `${out}-q`;
      const q = kiln(['convert', file, '--format', 'ndjson', '-o', qout, '--schema', schema, '--threads', '1', '--on-error', 'quarantine', '-q']);
      p.push(...expectExit(q, 0).map((s) => `quarantine mode: ${s}`));
      if (q.code === 0) {
        if (q.result?.rows_written !== 0) p.push(`quarantine mode wrote ${q.result?.rows_written} row(s) from an invalid file`);
        if (!(q.result?.rows_rejected >= 1)) p.push(`quarantine mode rejected ${q.result?.rows_rejected} records`);
        const rej = path.join(qout, '_rejects', 'rejects.ndjson');
        if (!fs.existsSync(rej)) p.push('no _rejects/rejects.ndjson');
        const got = await duckCount(parts(qout));
        if (got !== 0) p.push(`DuckDB reads ${got} rows from the quarantine run's output`);
      }
      return p;
    }
    // i_: either answer is allowed; a crash is not.
    const r = kiln(['convert', file, '--format', 'ndjson', '-o', out, '--schema', schema, '--threads', '1', '--on-error', 'quarantine', '-q']);
    p.push(...crashProblems(r));
    if (r.code === 0) p.push(...countProblems(r));
    else p.push(...expectExit(r, r.code));
    return p;
  };
  for (const kind of ['y', 'n', 'i']) {
    const mine = files.filter((f) => f.startsWith(`${kind}_`));
    const failures = [];
    for (const f of mine) {
      const p = await one(f);
      if (p.length) failures.push(`${f}: ${p.join('; ')}`);
    }
    const what = {
      y: 'every y_ file: a one-line object converts to one row read back by DuckDB (no usable column name: a clear error); others never crash',
      n: 'every n_ file: exit 2 with a message and nothing published in fail mode; quarantined, zero rows, in quarantine mode (whitespace-only: zero rows)',
      i: 'every i_ file: accepted or rejected, never a crash, counts add up',
    }[kind];
    tally.record(`${what} (${mine.length} files)`, failures);
  }
  if (!n) tally.record('the conformance folder holds JSONTestSuite files', ['no y_/n_/i_ files found']);
};

groups.samples = async () => {
  const dataDir = path.join(REPO, 'data', 'ndjson');
  const schemaFile = path.join(REPO, 'data', 'orders.schema.yaml');
  const inputs = listDir(dataDir).filter((n) => n.endsWith('.ndjson')).map((n) => path.join(dataDir, n));
  if (!inputs.length) {
    tally.record('data/ndjson holds sample shards', [`no *.ndjson in ${dataDir}`]);
    return;
  }
  const cols = readSchemaFile(schemaFile);
  const out = path.join(WORK, 'samples-out');
  let total = null;
  await tally.run(`kiln convert data/ndjson --schema data/orders.schema.yaml converts all ${inputs.length} shards`, async () => {
    const r = kiln(['convert', dataDir, '-o', out, '--schema', schemaFile, '-q']);
    const p = expectExit(r, 0);
    const con = await duckdbConnection();
    const res = await con.runAndReadAll(`SELECT count(*)::BIGINT FROM read_json([${inputs.map(sqlString).join(', ')}], format = 'newline_delimited')`);
    total = Number(res.getRows()[0][0]);
    if (r.result && (r.result.rows_written !== total || r.result.rows_rejected !== 0))
      p.push(`rows_written ${r.result.rows_written}, rejected ${r.result.rows_rejected}; DuckDB counts ${total} records`);
    return p;
  });
  const reference = await jsonReference('samples_ref', inputs, cols);
  await compareOutput(tally, 'the converted samples as DuckDB read_json reads the shards', parts(out), reference, cols.map((c) => c.name));
  await tally.run('manifest.json lists every part file with its exact size, mandatory, and nothing else', () => {
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const got = m.entries.map((e) => [e.url, e.mandatory, e.meta?.content_length]).sort();
    const want = parts(out).map((f) => [path.resolve(f), true, fs.statSync(f).size]).sort();
    return toJson(got) === toJson(want) ? [] : [`manifest ${toJson(got)}, files ${toJson(want)}`];
  });
  await tally.run('kiln infer data/ndjson prints a schema, and convert with it inferred succeeds', async () => {
    const inf = kiln(['infer', dataDir]);
    const p = crashProblems(inf);
    if (inf.code !== 0 || !/columns:/.test(inf.stdout)) p.push(`infer: exit ${inf.code}: ${inf.stderr.trim()}`);
    const out2 = path.join(WORK, 'samples-inferred');
    const r = kiln(['convert', dataDir, '-o', out2, '-q']);
    p.push(...expectExit(r, 0));
    const n = await duckCount(parts(out2));
    if (n !== total) p.push(`${n} rows read back, expected ${total}`);
    return p;
  });
  await tally.run('kiln inspect reads a converted sample file (text and --json)', () => {
    const f = parts(out)[0];
    const p = [];
    const t = kiln(['inspect', f]);
    p.push(...crashProblems(t));
    if (t.code !== 0) p.push(`inspect: exit ${t.code}: ${t.stderr.trim()}`);
    const j = kiln(['inspect', '--json', f]);
    if (j.code !== 0) return [...p, `inspect --json: exit ${j.code}: ${j.stderr.trim()}`];
    const meta = JSON.parse(j.stdout);
    if (!/^kiln version /.test(meta.created_by ?? '')) p.push(`created_by ${toJson(meta.created_by)}`);
    if (toJson(meta.columns.map((c) => c.name)) !== toJson(cols.map((c) => c.name))) p.push(`columns ${toJson(meta.columns.map((c) => c.name))}`);
    return p;
  });
};

groups.types = async () => {
  // Every kiln type, written as NDJSON the way producers write it, with the canonical value the
  // test expects computed here (not by any reader).
  const N = Math.min(ROWS, 100000);
  const cols = [['s', 'string'], ['b', 'bool'], ['i32', 'int32'], ['i64', 'int64'], ['f', 'float64'], ['d9', 'decimal(9,2)'],
    ['d18', 'decimal(18,4)'], ['d38', 'decimal(38,10)'], ['dt', 'date'], ['ts', 'timestamp'], ['tz', 'timestamptz'], ['req', 'int64', false]];
  const schema = write(path.join(WORK, 'types.yaml'), schemaYaml(cols));
  const expected = { columns: cols.map(([name, type]) => ({ name, type })), data: cols.map(() => []) };
  let seed = 12345n;
  const rnd = () => { seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return seed >> 11n; };
  const lines = [];
  const strings = ['', 'plain', 'ünïcødé', '漢字', '😀🎉', 'quote " and \\ backslash', 'tab\tnew\nline', '\u0001ctl', 'nul\u0000inside', '\u2028sep', 'x'.repeat(300)];
  for (let i = 0; i < N; i++) {
    const obj = {};
    const row = [];
    const nul = (k) => Number(rnd() % 10n) === k; // ~10% nulls per column
    // string
    if (nul(0)) { if (i % 2) obj.s = null; row.push(null); } else { const s = `${strings[i % strings.length]}#${i}`; obj.s = s; row.push(s); }
    if (nul(1)) { obj.b = null; row.push(null); } else { obj.b = i % 3 === 0; row.push(obj.b); }
    if (nul(2)) { obj.i32 = null; row.push(null); } else { const v = Number(rnd() % 4294967296n) - 2147483648; obj.i32 = v; row.push(v); }
    let i64raw = null;
    if (nul(3)) { obj.i64 = null; row.push(null); } else {
      const v = BigInt.asIntN(64, rnd() * 2048n + BigInt(i));
      i64raw = v.toString(); obj.i64 = '@@I64@@'; row.push(i64raw);
    }
    let fraw = null;
    if (nul(4)) { obj.f = null; row.push(null); } else {
      const kinds = [() => Number(rnd() % 2000001n - 1000000n) / 1000, () => Number(rnd()) * 1e-300, () => -Number(rnd()) * 1e250, () => 0.1 + i, () => -0.0];
      const v = kinds[i % kinds.length]();
      fraw = Object.is(v, -0) ? '-0.0' : String(v); obj.f = '@@F@@'; row.push(canonDouble(v));
    }
    const decs = [];
    for (const [p, s] of [[9, 2], [18, 4], [38, 10]]) {
      if (nul(5)) { decs.push(null); row.push(null); continue; }
      const max = 10n ** BigInt(p) - 1n;
      let u = (rnd() * rnd() * rnd()) % (max + 1n);
      if (rnd() % 2n) u = -u;
      const text = canonDecimal(u, s);
      decs.push(text); row.push(text);
    }
    obj.d9 = '@@D9@@'; obj.d18 = '@@D18@@'; obj.d38 = '@@D38@@';
    if (nul(6)) { obj.dt = null; row.push(null); } else { const d = Number(rnd() % 100000n) - 30000; obj.dt = canonDate(d); row.push(obj.dt); }
    if (nul(7)) { obj.ts = null; row.push(null); } else {
      const us = rnd() % 6000000000000000n - 2000000000000000n; /* 1906 .. 2160 */
      obj.ts = isoMicros(us, false); row.push(us.toString());
    }
    if (nul(8)) { obj.tz = null; row.push(null); } else {
      const us = rnd() % 6000000000000000n - 2000000000000000n;
      obj.tz = isoMicros(us, true); row.push(us.toString());
    }
    obj.req = i; row.push(String(i));
    let line = JSON.stringify(obj);
    line = line.replace('"@@I64@@"', i64raw).replace('"@@F@@"', fraw)
      .replace('"@@D9@@"', decs[0] ?? 'null').replace('"@@D18@@"', decs[1] ?? 'null').replace('"@@D38@@"', decs[2] ?? 'null');
    lines.push(line);
    row.forEach((v, c) => expected.data[c].push(v));
  }
  const input = write(path.join(WORK, 'in', 'types.ndjson'), lines.join('\n') + '\n');
  const out = path.join(WORK, 'types-out');
  await tally.run(`${N} rows of every type convert (NDJSON numbers for int64/decimals/doubles, ISO dates and timestamps)`, () => {
    const r = kiln(['convert', input, '-o', out, '--schema', schema, '--row-group-size', '1MiB', '-q']);
    const p = expectExit(r, 0);
    if (r.result && r.result.rows_written !== N) p.push(`rows_written ${r.result.rows_written}`);
    return p;
  });
  const files = parts(out);
  await compareOutput(tally, 'every type converted from NDJSON as the test wrote it', files, async (names) => ({
    columns: names.map((n) => expected.columns.find((c) => c.name === n)),
    data: names.map((n) => expected.data[expected.columns.findIndex((c) => c.name === n)]),
  }), cols.map((c) => c[0]));
};

// Microseconds since the epoch -> "YYYY-MM-DDTHH:MM:SS.ffffff" (+ "Z" when utc).
function isoMicros(us, utc) {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const frac = ((us % 1000000n) + 1000000n) % 1000000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${String(frac).padStart(6, '0')}${utc ? 'Z' : ''}`;
}

groups.million = async () => {
  const dir = path.join(WORK, 'orders');
  const schemaFile = path.join(REPO, 'data', 'orders.schema.yaml');
  await tally.run(`generate ${ROWS} order rows (NDJSON, 4 shards) with bench/kn_gen_orders`, () => {
    if (!GEN || !fs.existsSync(GEN)) return [`no generator at ${GEN}: build the kn_gen_orders target`];
    const r = spawnSync(GEN, ['--rows', String(ROWS), '--seed', '7', '--shards', '4', '--format', 'ndjson', '-o', dir], { encoding: 'utf8' });
    return r.status === 0 ? [] : [`exit ${r.status}: ${r.stderr}`];
  });
  const inputs = listDir(dir).filter((n) => n.endsWith('.ndjson')).map((n) => path.join(dir, n));
  const cols = readSchemaFile(schemaFile);
  const out = path.join(WORK, 'orders-out');
  await tally.run(`kiln converts the ${ROWS} rows with data/orders.schema.yaml into several 4 MiB files, all written`, () => {
    const r = kiln(['convert', dir, '-o', out, '--schema', schemaFile, '--target-file-size', '4MiB', '-q']);
    const p = expectExit(r, 0);
    if (r.result && (r.result.rows_written !== ROWS || r.result.rows_rejected !== 0))
      p.push(`rows_written ${r.result.rows_written}, rejected ${r.result.rows_rejected}`);
    if (r.result) console.log(`# kiln: ${ROWS} rows, ${r.result.bytes_in} bytes in ${r.result.seconds} s on ${r.result.threads} threads -> ${r.result.files_out} files, ${r.result.bytes_out} bytes, peak ${r.result.peak_memory_bytes} bytes`);
    return p;
  });
  await tally.run(`the ${ROWS}-row output is byte-identical with --threads 1`, () => {
    const out1 = path.join(WORK, 't1', 'orders-out'); /* same name: the artifacts use it */
    const p = expectExit(kiln(['convert', dir, '-o', out1, '--schema', schemaFile, '--target-file-size', '4MiB', '--threads', '1', '-q']), 0);
    if (toJson(treeHashes(out1)) !== toJson(treeHashes(out))) p.push('the files differ from the multi-threaded run');
    if (parts(out).length < 2) p.push(`${parts(out).length} file(s): expected the 4 MiB target to roll several`);
    fs.rmSync(out1, { recursive: true, force: true });
    return p;
  });
  const reference = await jsonReference('orders_ref', inputs, cols);
  await compareOutput(tally, `${ROWS} order rows as DuckDB read_json reads the NDJSON`, parts(out), reference, cols.map((c) => c.name), 3);
};

if (!groups[group]) {
  console.error(`cli_test: unknown group ${group} (${Object.keys(groups).join(', ')})`);
  process.exit(1);
}
await groups[group]();
tally.finish();
