// tests/interop/compare.mjs: `node compare.mjs DIR` checks every DIR/NAME.parquet that has a
// DIR/NAME.expected.json (written by kn_interop_corpus) with three independent readers:
//
//   - DuckDB, arrow-rs (parquet-wasm) and hyparquet each read every value, and each value, column
//     name and column type must equal the expected one (canonical JSON, canon.mjs);
//   - DuckDB's parquet_metadata() statistics of every column chunk must be the min, max and null
//     count of the values in that chunk (row-group boundaries from the footer), and over the
//     whole file they must equal the statistics the corpus writer computed;
//   - the footer (DuckDB's parquet_file_metadata / parquet_schema / parquet_kv_metadata, and
//     hyparquet's own decoding of it) must show the row count, row groups, codec, created_by,
//     REQUIRED/OPTIONAL, key/value metadata, and the pages and encodings the file asks for.
//   - the page index (page_index.mjs): hyparquet decodes every chunk's OffsetIndex and
//     ColumnIndex, and each page's location, first row, null and NaN counts, min and max must
//     be those of the rows it holds; arrow-rs (parquet-wasm's async reader, which loads the page
//     index) reads row windows through it and must return the expected rows.
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed"; exits 1 when
// any check failed or when DIR held no corpus file at all.

import fs from 'node:fs';
import path from 'node:path';
import { READERS, readWith, duckdbMetadata } from './readers.mjs';
import { diffColumns, diffStats, fileStatsFromMeta, hyStatsProblems, Tally, boundProblem } from './check.mjs';
import { compareCanon, toJson } from './canon.mjs';
import { arrowWindowProblems, hyPageIndexProblems } from './page_index.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node compare.mjs DIR');
  process.exit(1);
}

const CREATED_BY = /^kiln version \d+\.\d+\.\d+ \(build [0-9A-Za-z._-]+\)$/;

// The annotations kiln writes for each type (checklist 24: logical and converted both).
function wantSchema(type) {
  if (type === 'string') return { physical: 'BYTE_ARRAY', converted: 'UTF8' };
  if (type === 'bool') return { physical: 'BOOLEAN', converted: null };
  if (type === 'int32') return { physical: 'INT32', converted: 'INT_32' };
  if (type === 'int64') return { physical: 'INT64', converted: 'INT_64' };
  if (type === 'float64') return { physical: 'DOUBLE', converted: null };
  if (type === 'date') return { physical: 'INT32', converted: 'DATE' };
  if (type === 'timestamp' || type === 'timestamptz') return { physical: 'INT64', converted: 'TIMESTAMP_MICROS' };
  const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
  const p = Number(m[1]);
  // Checklist 27: INT32 up to 9 digits, INT64 up to 18, else the minimal FIXED_LEN_BYTE_ARRAY.
  let width = 1;
  while (2n ** BigInt(8 * width - 1) - 1n < 10n ** BigInt(p) - 1n) width++;
  return {
    physical: p <= 9 ? 'INT32' : p <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY',
    converted: 'DECIMAL',
    precision: p,
    scale: Number(m[2]),
    type_length: p > 18 ? width : null,
  };
}

function footerProblems(exp, meta, hy) {
  const problems = [];
  const f = meta.file;
  if (Number(f.num_rows) !== exp.num_rows) problems.push(`footer num_rows ${f.num_rows}, expected ${exp.num_rows}`);
  if (Number(f.num_row_groups) !== exp.num_row_groups)
    problems.push(`footer has ${f.num_row_groups} row groups, the writer reported ${exp.num_row_groups}`);
  if (exp.min_row_groups && Number(f.num_row_groups) < exp.min_row_groups)
    problems.push(`${f.num_row_groups} row groups, expected at least ${exp.min_row_groups}`);
  const sum = meta.row_groups.reduce((a, g) => a + g.num_rows, 0);
  if (sum !== exp.num_rows) problems.push(`row groups hold ${sum} rows, expected ${exp.num_rows}`);
  if (Number(f.format_version) !== 1) problems.push(`format version ${f.format_version}, expected 1`);
  if (!CREATED_BY.test(f.created_by ?? '')) problems.push(`created_by ${toJson(f.created_by)} is not "kiln version X.Y.Z (build H)"`);
  if (Number(f.file_size_bytes) !== exp.file_bytes) problems.push(`file is ${f.file_size_bytes} bytes, the writer reported ${exp.file_bytes}`);
  const orders = f.column_orders ?? [];
  if (orders.length !== exp.columns.length || orders.some((o) => !/TYPE_ORDER/.test(o)))
    problems.push(`column_orders ${toJson(orders)}: expected one TYPE_ORDER per column`);
  meta.row_groups.forEach((g, gi) => g.columns.forEach((ch, c) => {
    if (ch.compression !== exp.codec) problems.push(`row group ${gi} column ${exp.columns[c].name}: codec ${ch.compression}, expected ${exp.codec}`);
    if (Number(ch.num_values) !== g.num_rows) problems.push(`row group ${gi} column ${exp.columns[c].name}: num_values ${ch.num_values}, row group has ${g.num_rows} rows`);
  }));
  // Schema: the root, then one leaf per column with kiln's annotations and repetition.
  const leaves = meta.schema.slice(1);
  if (leaves.length !== exp.columns.length) problems.push(`schema has ${leaves.length} leaves, expected ${exp.columns.length}`);
  exp.columns.forEach((col, c) => {
    const el = leaves[c];
    if (!el) return;
    const want = wantSchema(col.type);
    const rep = col.nullable ? 'OPTIONAL' : 'REQUIRED';
    const where = `schema column ${col.name}`;
    if (el.name !== col.name) problems.push(`${where}: named ${toJson(el.name)}`);
    if (el.repetition_type !== rep) problems.push(`${where}: ${el.repetition_type}, expected ${rep}`);
    if (el.type !== want.physical) problems.push(`${where}: physical type ${el.type}, expected ${want.physical}`);
    if ((el.converted_type ?? null) !== want.converted) problems.push(`${where}: converted type ${el.converted_type}, expected ${want.converted}`);
    if (want.precision !== undefined) {
      if (Number(el.precision) !== want.precision || Number(el.scale) !== want.scale)
        problems.push(`${where}: decimal(${el.precision},${el.scale}), expected decimal(${want.precision},${want.scale})`);
      if (want.type_length !== null && Number(el.type_length) !== want.type_length)
        problems.push(`${where}: fixed length ${el.type_length}, expected the minimal ${want.type_length}`);
    }
  });
  // hyparquet decodes the logical types itself: every annotated column must carry one.
  hy.footer.schema.slice(1).forEach((el, c) => {
    const type = exp.columns[c]?.type;
    if (!type || type === 'bool' || type === 'float64') return;
    if (!el.logical_type) problems.push(`column ${el.name}: no logical type (checklist 24: logical and converted both)`);
    if ((type === 'timestamp' || type === 'timestamptz') && el.logical_type &&
        (el.logical_type.unit !== 'MICROS' || Boolean(el.logical_type.isAdjustedToUTC) !== (type === 'timestamptz')))
      problems.push(`column ${el.name}: logical type ${toJson(el.logical_type)}, expected TIMESTAMP(MICROS, utc=${type === 'timestamptz'})`);
  });
  // Key/value metadata, in order (DuckDB spells an absent value as null).
  // DuckDB reads an absent value as an empty one; hyparquet tells them apart.
  const kv = meta.kv.map((e) => ({ key: e.key, value: e.value ?? '' }));
  const wantKv = exp.kv.map((e) => ({ key: e.key, value: e.value }));
  const hyKv = (hy.footer.key_value_metadata ?? []).map((e) => ({ key: e.key, value: e.value ?? null }));
  const wantDuckKv = wantKv.map((e) => ({ key: e.key, value: e.value ?? '' }));
  if (toJson(kv) !== toJson(wantDuckKv)) problems.push(`DuckDB reads key/value metadata ${toJson(kv)}, expected ${toJson(wantDuckKv)}`);
  if (toJson(hyKv) !== toJson(wantKv)) problems.push(`hyparquet reads key/value metadata ${toJson(hyKv)}, expected ${toJson(wantKv)}`);
  return problems;
}

function layoutProblems(exp, hy) {
  const problems = [];
  const names = exp.columns.map((c) => c.name);
  const groups = hy.footer.row_groups;
  // Every chunk: page headers fill exactly total_compressed_size; at most one dictionary page,
  // and it comes first; the data pages' num_values add up to the chunk's; their encodings are
  // listed in the chunk's `encodings`; once a chunk falls back to PLAIN it stays PLAIN.
  groups.forEach((g, gi) => g.columns.forEach((cc, c) => {
    const md = cc.meta_data;
    const where = `row group ${gi} column ${names[c]}`;
    const pages = hy.pages[gi][c];
    if (pages.some((p) => p.type === 'OVERRUN')) problems.push(`${where}: page headers run past total_compressed_size`);
    const dict = pages.filter((p) => p.type === 'DICTIONARY_PAGE');
    if (dict.length > 1 || (dict.length === 1 && pages[0].type !== 'DICTIONARY_PAGE')) problems.push(`${where}: dictionary pages at ${toJson(pages.map((p) => p.type))}`);
    if (dict.length !== (md.dictionary_page_offset === undefined ? 0 : 1)) problems.push(`${where}: dictionary_page_offset ${md.dictionary_page_offset} with ${dict.length} dictionary page(s)`);
    const data = pages.filter((p) => p.type === 'DATA_PAGE');
    if (data.length + dict.length !== pages.length) problems.push(`${where}: pages other than V1 data and dictionary pages: ${toJson(pages.map((p) => p.type))}`);
    const values = data.reduce((a, p) => a + Number(p.num_values), 0);
    if (values !== Number(md.num_values)) problems.push(`${where}: data pages hold ${values} values, the chunk says ${md.num_values}`);
    for (const p of data) if (!md.encodings.includes(p.encoding)) problems.push(`${where}: a ${p.encoding} page, but encodings lists ${toJson(md.encodings)}`);
    const firstPlain = data.findIndex((p) => p.encoding === 'PLAIN');
    if (firstPlain >= 0 && data.slice(firstPlain).some((p) => p.encoding !== 'PLAIN')) problems.push(`${where}: dictionary pages after a PLAIN page`);
  }));
  if (exp.pages_column && exp.min_pages) {
    const c = names.indexOf(exp.pages_column);
    groups.slice(0, Math.max(1, groups.length - 1)).forEach((g, gi) => {
      const n = hy.pages[gi][c].filter((p) => p.type === 'DATA_PAGE').length;
      if (n < exp.min_pages) problems.push(`row group ${gi} column ${exp.pages_column}: ${n} data page(s), expected at least ${exp.min_pages}`);
    });
  }
  const statsOf = (name) => groups.map((g) => g.columns[names.indexOf(name)].meta_data);
  if (exp.dict_fallback_column) {
    const c = names.indexOf(exp.dict_fallback_column);
    statsOf(exp.dict_fallback_column).forEach((md, gi) => {
      const es = md.encoding_stats;
      const where = `row group ${gi} column ${exp.dict_fallback_column}`;
      if (!es) { problems.push(`${where}: no encoding_stats (checklist 15)`); return; }
      const count = (pt, enc) => es.filter((e) => e.page_type === pt && e.encoding === enc).reduce((a, e) => a + e.count, 0);
      const dictPages = es.filter((e) => e.page_type === 'DICTIONARY_PAGE').reduce((a, e) => a + e.count, 0);
      if (dictPages !== 1) problems.push(`${where}: encoding_stats count ${dictPages} dictionary pages, expected exactly 1`);
      if (!count('DATA_PAGE', 'RLE_DICTIONARY')) problems.push(`${where}: no RLE_DICTIONARY data page before the fallback (${toJson(es)})`);
      if (!count('DATA_PAGE', 'PLAIN')) problems.push(`${where}: no PLAIN data page after the dictionary overflowed (${toJson(es)})`);
      const pages = hy.pages[gi][c].filter((p) => p.type === 'DATA_PAGE');
      for (const enc of ['PLAIN', 'RLE_DICTIONARY']) {
        const real = pages.filter((p) => p.encoding === enc).length;
        if (real !== count('DATA_PAGE', enc)) problems.push(`${where}: encoding_stats count ${count('DATA_PAGE', enc)} ${enc} data pages, the chunk holds ${real}`);
      }
      if (!md.encodings.includes('PLAIN') || !md.encodings.includes('RLE_DICTIONARY'))
        problems.push(`${where}: encodings ${toJson(md.encodings)} must list PLAIN and RLE_DICTIONARY`);
    });
  }
  // A footer that lists sorting_columns must be right about every row group's rows.
  let start = 0;
  groups.forEach((g, gi) => {
    const n = Number(g.num_rows);
    for (const sc of g.sorting_columns ?? []) {
      const col = exp.columns[sc.column_idx];
      if (!col) { problems.push(`row group ${gi}: sorting column ${sc.column_idx} is not a column`); continue; }
      const vals = exp.rows.slice(start, start + n).map((r) => r[sc.column_idx]);
      for (let i = 1; i < vals.length; i++) {
        const a = vals[i - 1], b = vals[i];
        const c = a === null || b === null ? (a === null) - (b === null) : compareCanon(col.type, a, b);
        const bad = a === null || b === null ? (sc.nulls_first ? c < 0 : c > 0) : sc.descending ? c < 0 : c > 0;
        if (bad) { problems.push(`row group ${gi}: sorting_columns says ${col.name} ${sc.descending ? 'descending' : 'ascending'}, but row ${start + i} breaks it`); break; }
      }
    }
    start += n;
  });
  groups.forEach((g, gi) => {
    const n = (g.sorting_columns ?? []).length;
    if (n !== (exp.sorting_columns ?? 0)) problems.push(`row group ${gi}: ${n} sorting columns, the writer was given ${exp.sorting_columns}`);
  });
  if (exp.dict_only_column) {
    const c = names.indexOf(exp.dict_only_column);
    groups.forEach((g, gi) => {
      const data = hy.pages[gi][c].filter((p) => p.type === 'DATA_PAGE');
      if (!data.length || data.some((p) => p.encoding !== 'RLE_DICTIONARY'))
        problems.push(`row group ${gi} column ${exp.dict_only_column}: data page encodings ${toJson(data.map((p) => p.encoding))}, expected RLE_DICTIONARY only`);
    });
  }
  return problems;
}

function fileStatsProblems(exp, meta) {
  const problems = [];
  const got = fileStatsFromMeta(exp, meta);
  exp.stats.forEach((want, c) => {
    const type = exp.columns[c].type;
    const have = got[c];
    if (have.null_count !== want.null_count) problems.push(`column ${want.name}: ${have.null_count} nulls in the statistics, the writer's input had ${want.null_count}`);
    for (const [which, dir] of [['min', -1], ['max', 1]]) {
      // DuckDB leaves infinite double bounds out (see diffStats); hyparquet's check covers them.
      if (have[which] === null && type === 'float64' && /Infinity$/.test(want[which] ?? '')) continue;
      const p = boundProblem(type, which, have[which], want[which], dir);
      if (p) problems.push(`column ${want.name} (whole file): ${p}`);
    }
  });
  return problems;
}

const tally = new Tally();
const indexSeen = { pages: 0, column_indexes: 0, null_pages: 0, nan_pages: 0 };
const files = fs.readdirSync(dir).filter((n) => n.endsWith('.expected.json')).sort();
for (const name of files) {
  const exp = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  const file = path.join(dir, exp.file);
  const base = exp.file;
  const expected = {
    columns: exp.columns,
    data: exp.columns.map((_, c) => exp.rows.map((r) => r[c])),
  };
  let hy = null;
  for (const reader of READERS) {
    await tally.run(`${reader} reads every value of ${base}`, async () => {
      const got = await readWith(reader, file);
      if (reader === 'hyparquet') hy = got;
      const problems = diffColumns(expected, got);
      if (got.num_rows !== exp.num_rows) problems.unshift(`${got.num_rows} rows, expected ${exp.num_rows}`);
      return problems;
    });
  }
  let meta = null;
  await tally.run(`DuckDB reads the footer of ${base}: rows, row groups, codec, schema, created_by, key/value metadata`, async () => {
    meta = await duckdbMetadata(file);
    if (!hy) return ['hyparquet could not read the file, so its footer cannot be checked'];
    return footerProblems(exp, meta, hy);
  });
  if (!meta) continue;
  await tally.run(`DuckDB's statistics of every chunk of ${base} are the min, max and null count of its values`,
    () => diffStats(expected, meta));
  await tally.run(`DuckDB's statistics over ${base} equal the corpus writer's own min, max and null counts`,
    () => fileStatsProblems(exp, meta));
  if (hy) {
    await tally.run(`hyparquet's decoding of the statistics of every chunk of ${base} agrees`, () => hyStatsProblems(expected, hy.footer));
  }
  if (hy) {
    await tally.run(`hyparquet walks the page headers of ${base}: page sizes, counts and encodings hold (${exp.what})`,
      () => layoutProblems(exp, hy));
  }
  await tally.run(`hyparquet reads the page index of every chunk of ${base}: each page's location, first row, null and NaN counts, min and max are its rows', and the boundary order holds`,
    () => hyPageIndexProblems(file, expected, indexSeen));
  if (exp.num_rows > 0) {
    const n = exp.num_rows;
    const windows = [[0, 7], [Math.floor(n * 0.37), 1000], [Math.floor(n / 2) - 3, 11], [Math.max(0, n - 5), 5]];
    await tally.run(`arrow-rs reads row windows of ${base} through the page index (its async reader loads it and fetches only the pages that hold them): the rows are the expected ones`,
      () => arrowWindowProblems(file, expected, windows));
  }
}
console.log(`page index: ${indexSeen.pages} pages located, ${indexSeen.column_indexes} ColumnIndexes, ${indexSeen.null_pages} null pages, ${indexSeen.nan_pages} pages with NaN`);
if (!files.length) console.log(`no *.expected.json in ${dir}: the corpus writer wrote nothing`);
tally.finish();
