// tests/interop/partition_check.mjs: a partitioned, sorted, spilled `kiln convert` read back by
// all three readers (DuckDB, arrow-rs, hyparquet): the values in all files together equal
// DuckDB's read_json of the input, every file's rows belong to its folder, and rows are sorted
// within each file. Registered by tests/partition/CMakeLists.txt (it uses this folder's readers
// and node_modules, installed by the interop_setup fixture).
//
//   node partition_check.mjs --kiln PATH --gen PATH --schema FILE --work DIR [--rows N]
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { READERS, readWith, readDuckdbSql, duckdbConnection, sqlString, sqlIdent } from './readers.mjs';
import { diffColumns, Tally } from './check.mjs';
import { toJson } from './canon.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const KILN = opt('--kiln');
const GEN = opt('--gen');
const SCHEMA = opt('--schema');
const WORK = opt('--work');
const ROWS = Number(opt('--rows', '1000000'));
if (!KILN || !GEN || !SCHEMA || !WORK) {
  console.error('usage: node partition_check.mjs --kiln PATH --gen PATH --schema FILE --work DIR [--rows N]');
  process.exit(1);
}
for (const [what, p] of [['kiln', KILN], ['kn_gen_orders', GEN], ['schema', SCHEMA]]) {
  if (!fs.existsSync(p)) {
    console.error(`partition_check: FAIL: no ${what} at ${p}`);
    process.exit(1);
  }
}
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });

const tally = new Tally();
const inDir = path.join(WORK, 'in');
const outDir = path.join(WORK, 'out');

// The columns of the schema file (the block form `kiln infer` writes).
function schemaColumns(file) {
  const cols = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let m;
    if ((m = /^\s*-\s*name:\s*"?([^"#]+?)"?\s*$/.exec(line))) cols.push({ name: m[1], type: null });
    else if ((m = /^\s*type:\s*"?([^"#\s]+)"?/.exec(line)) && cols.length) cols[cols.length - 1].type = m[1];
  }
  return cols;
}

function duckType(t) {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return { string: 'VARCHAR', bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', date: 'DATE',
    timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' }[t];
}

// Every data file under `dir`: *.parquet whose path has no part starting with '_' or '.'.
function dataFiles(dir, rel = '') {
  const out = [];
  for (const n of fs.readdirSync(path.join(dir, rel)).sort()) {
    if (n.startsWith('_') || n.startsWith('.')) continue;
    const r = rel ? `${rel}/${n}` : n;
    const st = fs.statSync(path.join(dir, r));
    if (st.isDirectory()) out.push(...dataFiles(dir, r));
    else if (n.endsWith('.parquet')) out.push(r);
  }
  return out;
}

const cols = schemaColumns(SCHEMA);
let result = null;
let files = [];

await tally.run(`generate ${ROWS} order rows (NDJSON, 3 shards)`, () => {
  const r = spawnSync(GEN, ['--rows', String(ROWS), '--seed', '11', '--shards', '3', '--format', 'ndjson', '-o', inDir], { encoding: 'utf8' });
  return r.status === 0 ? [] : [`exit ${r.status}: ${r.stderr}`];
});

await tally.run('kiln converts them partitioned by year(ts),month(ts), sorted by ts, through spill files', () => {
  const r = spawnSync(KILN, ['convert', inDir, '-o', outDir, '--schema', SCHEMA, '--partition-by', 'year(ts),month(ts)',
    '--sort-by', 'ts', '--memory-limit', '24MiB', '--target-file-size', '4MiB', '--row-group-size', '1MiB',
    '--morsel-size', '4MiB', '-q'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const p = [];
  if (r.status !== 0) return [`exit ${r.status}: ${r.stderr.slice(0, 800)}`];
  const last = r.stdout.trim().split('\n').pop();
  try { result = JSON.parse(last); } catch { return [`the last stdout line is not JSON: ${last.slice(0, 300)}`]; }
  if (result.rows_written !== ROWS) p.push(`rows_written ${result.rows_written}, expected ${ROWS}`);
  if (result.rows_read !== result.rows_written + result.rows_rejected) p.push('rows_read != rows_written + rows_rejected');
  if (!(result.spill_runs > 0)) p.push(`spill_runs ${result.spill_runs}: the run was meant to spill`);
  if (!(result.partitions > 1)) p.push(`partitions ${result.partitions}`);
  return p;
});

await tally.run('manifest.json lists every data file once with its exact size', () => {
  files = dataFiles(outDir);
  const p = [];
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
  const base = fs.realpathSync(outDir) + '/';
  const listed = manifest.entries.map((e) => {
    if (!e.url.startsWith(base)) p.push(`url ${e.url} is not under ${base}`);
    const rel = e.url.slice(base.length);
    const size = fs.existsSync(path.join(outDir, rel)) ? fs.statSync(path.join(outDir, rel)).size : -1;
    if (e.meta.content_length !== size) p.push(`${rel}: content_length ${e.meta.content_length}, file size ${size}`);
    if (e.mandatory !== true) p.push(`${rel}: mandatory is not true`);
    return rel;
  }).sort();
  if (toJson(listed) !== toJson(files)) p.push(`manifest lists ${listed.length} files, the folder holds ${files.length}`);
  if (result && files.length !== result.files_out) p.push(`files_out ${result.files_out}, ${files.length} files`);
  return p;
});

const con = await duckdbConnection();
const abs = (f) => path.join(outDir, f);
const fileList = () => `[${files.map((f) => sqlString(abs(f))).join(', ')}]`;

await tally.run('DuckDB: every row sits in the folder of its year(ts) and month(ts)', async () => {
  const res = await readDuckdbSql(con, `SELECT count(*)::BIGINT AS bad FROM read_parquet(${fileList()}, filename = true)
    WHERE filename NOT LIKE '%/year=' || year(ts AT TIME ZONE 'UTC') || '/month=' || month(ts AT TIME ZONE 'UTC') || '/part-%'`);
  return res.data[0][0] === '0' ? [] : [`${res.data[0][0]} rows sit in another partition's folder`];
});

await tally.run('DuckDB: rows are sorted by ts within every file (and files of a partition in number order)', async () => {
  const res = await readDuckdbSql(con, `SELECT count(*)::BIGINT AS bad FROM (
      SELECT ts, lag(ts) OVER (PARTITION BY regexp_replace(filename, '/part-[0-9]+\\.parquet$', '')
                               ORDER BY filename, file_row_number) AS prev
      FROM read_parquet(${fileList()}, filename = true, file_row_number = true)) WHERE ts < prev`);
  return res.data[0][0] === '0' ? [] : [`${res.data[0][0]} rows come before an earlier ts`];
});

// The reference: DuckDB's own reading of the NDJSON, ordered by order_id (unique), against
// which every reader's rows of all files together, ordered the same way, are compared.
const inputs = fs.readdirSync(inDir).filter((n) => n.endsWith('.ndjson')).sort().map((n) => path.join(inDir, n));
const spec = cols.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ');
await con.run(`CREATE OR REPLACE TABLE part_ref AS SELECT * FROM read_json([${inputs.map(sqlString).join(', ')}],
  format = 'newline_delimited', columns = {${spec}})`);

function orderById(t) {
  const idx = t.columns.findIndex((c) => c.name === 'order_id');
  const order = t.data[idx].map((v, i) => [BigInt(v), i]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
  return { columns: t.columns, data: t.data.map((col) => order.map((i) => col[i])) };
}

for (const reader of READERS) {
  await tally.run(`${reader}: the values of all files together equal DuckDB's read_json of the input`, async () => {
    const problems = [];
    const names = cols.map((c) => c.name).filter((n) => n !== 'order_id');
    for (let i = 0; i < names.length; i += 3) {
      const group = ['order_id', ...names.slice(i, i + 3)];
      const want = await readDuckdbSql(con, `SELECT ${group.map(sqlIdent).join(', ')} FROM part_ref ORDER BY order_id`);
      const got = { columns: null, data: group.map(() => []) };
      for (const f of files) {
        const part = await readWith(reader, abs(f), group);
        got.columns ??= part.columns;
        part.data.forEach((col, k) => { for (const v of col) got.data[k].push(v); });
      }
      problems.push(...diffColumns(want, orderById(got)).map((s) => `${group.join(',')}: ${s}`));
      if (problems.length) break;
    }
    return problems;
  });
}

tally.finish();
