// tests/interop/page_skip_check.mjs: the point of the page index (issue 12): a file sorted by a
// timestamp, asked for 1% of its time range, is read through a small share of its data pages.
//
//   node page_skip_check.mjs --kiln KILN --gen KN_GEN_ORDERS --schema SCHEMA --work DIR [--rows N]
//
// kn_gen_orders writes N orders; kiln converts them with --sort-by ts and 16 KiB pages (so each
// column has a hundred-odd pages). hyparquet, with usePageIndex, plans a query on
// ts in [t0, t1) from the ColumnIndex of ts and the OffsetIndex of every column and fetches only
// the pages that hold those rows; a counting file handle records every byte range it asks for,
// and the pages it touched are counted from the OffsetIndexes. The query must touch at most 5%
// of the data pages for 1% of the time range (start, middle and end of the range), and return
// exactly the rows DuckDB returns for the same predicate. The same query without the page index
// touches every page (the control). Two checks say which readers use the index at all: DuckDB
// answers the same on a copy whose index bytes are scrambled (it does not read the page index),
// while arrow-rs's async reader refuses that copy (it does).

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as parquetWasm from 'parquet-wasm';
import { parquetMetadata, parquetRead, readOffsetIndex } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { Tally } from './check.mjs';
import { duckdbConnection } from './readers.mjs';
import { fileBuffer, scrambleIndexes } from './page_index.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['kiln', 'gen', 'schema', 'work']) {
  if (!args[k]) {
    console.error('usage: node page_skip_check.mjs --kiln KILN --gen KN_GEN_ORDERS --schema SCHEMA --work DIR [--rows N]');
    process.exit(1);
  }
}
const rows = Number(args.rows ?? 300000);
const work = args.work;
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(path.join(work, 'in'), { recursive: true });
execFileSync(args.gen, ['--rows', String(rows), '--threads', '2', '-o', path.join(work, 'in')], { stdio: 'inherit' });
execFileSync(args.kiln, ['convert', path.join(work, 'in'), '-o', path.join(work, 'out'), '--schema', args.schema, '--sort-by', 'ts',
  '--page-size', '16KiB', '--threads', '2', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
const files = fs.readdirSync(path.join(work, 'out')).filter((n) => n.endsWith('.parquet'));
if (files.length !== 1) throw new Error(`expected one file, got ${files}`);
const file = path.join(work, 'out', files[0]);
const parsers = { timestampFromMicroseconds: (v) => BigInt(v), timestampFromMilliseconds: (v) => BigInt(v) * 1000n };
const ab = fileBuffer(file);
const md = parquetMetadata(ab, { parsers });
const names = md.schema.slice(1).map((e) => e.name);
const tsCol = names.indexOf('ts');

// Every data page of every column, from the OffsetIndexes.
const pages = [];
for (const g of md.row_groups) {
  for (const cc of g.columns) {
    const oi = readOffsetIndex({ view: new DataView(ab, Number(cc.offset_index_offset), cc.offset_index_length), offset: 0 });
    for (const p of oi.page_locations) pages.push([Number(p.offset), Number(p.offset) + p.compressed_page_size]);
  }
}
const dataBytes = pages.reduce((a, [s, e]) => a + e - s, 0);

// The time range from the chunk statistics of ts (microseconds, as parsers below give them).
let lo = null, hi = null;
for (const g of md.row_groups) {
  const st = g.columns[tsCol].meta_data.statistics;
  const a = BigInt(st.min_value), b = BigInt(st.max_value);
  lo = lo === null || a < lo ? a : lo;
  hi = hi === null || b > hi ? b : hi;
}
const span = hi - lo;

// Runs the query with hyparquet through a file handle that records what is fetched.
async function hyQuery(t0, t1, usePageIndex) {
  const fetched = [];
  const handle = { byteLength: ab.byteLength, slice(s, e) { fetched.push([s, e ?? ab.byteLength]); return ab.slice(s, e); } };
  let out = [];
  await parquetRead({
    file: handle, metadata: md, compressors, parsers, rowFormat: 'object', usePageIndex, useOffsetIndex: true,
    filter: { ts: { $gte: t0, $lt: t1 } }, onComplete: (r) => { out = r; },
  });
  const touched = pages.filter(([s, e]) => fetched.some(([fs_, fe]) => fs_ < e && fe > s));
  return {
    rows: out,
    pages: touched.length,
    pageBytes: touched.reduce((a, [s, e]) => a + e - s, 0),
    fetchedBytes: fetched.reduce((a, [s, e]) => a + e - s, 0),
  };
}

async function duckIds(f, t0, t1) {
  const con = await duckdbConnection();
  const r = await con.runAndReadAll(`SELECT order_id FROM read_parquet('${f.replaceAll("'", "''")}') WHERE epoch_us(ts) >= ${t0} AND epoch_us(ts) < ${t1} ORDER BY order_id`);
  return r.getRows().map((x) => BigInt(x[0]).toString());
}

const tally = new Tally();
await tally.run(`the file (${rows} rows sorted by ts, 16 KiB pages) lists ts as its sort order, and ts's ColumnIndex is ASCENDING in every row group`, () => {
  const problems = [];
  md.row_groups.forEach((g, gi) => {
    const sc = g.sorting_columns ?? [];
    if (sc.length !== 1 || sc[0].column_idx !== tsCol || sc[0].descending || !sc[0].nulls_first)
      problems.push(`row group ${gi}: sorting_columns ${JSON.stringify(sc)}`);
    const cc = g.columns[tsCol];
    const ci = deserializeTCompactProtocol({ view: new DataView(ab, Number(cc.column_index_offset), cc.column_index_length), offset: 0 });
    if (ci.field_4 !== 1) problems.push(`row group ${gi}: ts boundary_order ${ci.field_4}, expected ASCENDING (1)`);
  });
  if (pages.length < 20 * names.length) problems.push(`only ${pages.length} data pages: too few to show skipping`);
  return problems;
});

for (const [label, from] of [['start', 0], ['middle', 0.5], ['end', 0.99]]) {
  const t0 = lo + (span * BigInt(Math.round(from * 1e6))) / 1000000n;
  const t1 = t0 + span / 100n;
  await tally.run(`hyparquet reads 1% of the time range (${label}) through the page index: at most 5% of the data pages, and DuckDB's rows`, async () => {
    const problems = [];
    const q = await hyQuery(t0, t1, true);
    const share = q.pages / pages.length;
    console.log(`    ${label}: ${q.rows.length} rows of ${rows}; ${q.pages} of ${pages.length} data pages (${(100 * share).toFixed(2)}%), ` +
      `${(100 * q.pageBytes / dataBytes).toFixed(2)}% of the data page bytes; ${q.fetchedBytes} of ${ab.byteLength} file bytes fetched in all ` +
      '(dictionary pages, page indexes and footer included)');
    if (share > 0.05) problems.push(`read ${q.pages} of ${pages.length} data pages (${(100 * share).toFixed(2)}%), more than 5%`);
    const hyIds = q.rows.map((r) => BigInt(r.order_id).toString()).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const want = await duckIds(file, t0, t1);
    if (!want.length) problems.push('the range holds no rows: the check would prove nothing');
    if (JSON.stringify(hyIds) !== JSON.stringify(want)) problems.push(`hyparquet returned ${hyIds.length} rows, DuckDB ${want.length} (or other ids)`);
    return problems;
  });
}

await tally.run('without the page index the same query reads every data page (the control)', async () => {
  const q = await hyQuery(lo + span / 2n, lo + span / 2n + span / 100n, false);
  console.log(`    no page index: ${q.pages} of ${pages.length} data pages`);
  return q.pages === pages.length ? [] : [`read ${q.pages} of ${pages.length} data pages without the index`];
});

await tally.run('DuckDB does not read the page index (a copy with its index bytes scrambled answers the same); arrow-rs does (its async reader refuses that copy, its sync reader, which skips the index, does not)', async () => {
  const problems = [];
  const bad = path.join(work, 'scrambled.parquet');
  const n = scrambleIndexes(file, bad);
  const t0 = lo + span / 2n, t1 = t0 + span / 100n;
  const a = await duckIds(file, t0, t1), b = await duckIds(bad, t0, t1);
  if (JSON.stringify(a) !== JSON.stringify(b)) problems.push('DuckDB answered differently with the index scrambled: it reads the index after all');
  let refused = false;
  try {
    const f = await parquetWasm.ParquetFile.fromFile(new Blob([fs.readFileSync(bad)]));
    await f.read({ offset: 10, limit: 10 });
  } catch {
    refused = true;
  }
  if (!refused) problems.push('arrow-rs read the scrambled copy: it does not load the page index here, so its window checks prove less');
  try {
    parquetWasm.readParquet(new Uint8Array(fs.readFileSync(bad)));
  } catch (e) {
    problems.push(`arrow-rs's sync reader failed on the scrambled copy too (${e}): the scrambling hit more than the index`);
  }
  console.log(`    ${n} index bytes scrambled`);
  return problems;
});

tally.finish();
