// tests/interop/inspect_check.mjs: `node inspect_check.mjs KILN WORKDIR` checks `kiln inspect
// --json` on Parquet files kiln did not write: DuckDB writes one table with every type kiln
// knows (duck_files.mjs) once per codec, and for each file what inspect says (rows, row groups,
// column chunks with codec, encodings, sizes, offsets and statistics; the schema's columns with
// physical, converted and logical types, repetition, precision and scale; key/value metadata)
// must agree with DuckDB's parquet_file_metadata(), parquet_metadata() and parquet_schema().
// Damaged, foreign and missing files must give the documented exit codes and no stdout.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { duckdbMetadata, duckStatToCanon } from './readers.mjs';
import { Tally } from './check.mjs';
import { toJson } from './canon.mjs';
import { writeDuckFiles } from './duck_files.mjs';

const [kiln, work] = process.argv.slice(2);
if (!kiln || !work) {
  console.error('usage: node inspect_check.mjs KILN WORKDIR');
  process.exit(1);
}

function inspect(...args) {
  const r = spawnSync(kiln, ['inspect', ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const num = (v) => (v === null || v === undefined ? null : Number(v));

// The kiln column type that a schema leaf (DuckDB's parquet_schema row) stands for, so that
// statistics can be read back in canonical form.
function leafType(el) {
  const dt = el.duckdb_type ?? '';
  if (dt === 'VARCHAR') return 'string';
  if (dt === 'BOOLEAN') return 'bool';
  if (dt === 'INTEGER') return 'int32';
  if (dt === 'BIGINT') return 'int64';
  if (dt === 'DOUBLE') return 'float64';
  if (dt === 'DATE') return 'date';
  if (dt === 'TIMESTAMP') return 'timestamp';
  if (dt === 'TIMESTAMP WITH TIME ZONE') return 'timestamptz';
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(dt);
  if (m) return `decimal(${m[1]},${m[2]})`;
  return null;
}

function canonOrText(type, text) {
  if (text === null || text === undefined || !type) return text ?? null;
  try { return duckStatToCanon(type, text); } catch { return `unparsed:${text}`; }
}

function compareFile(file, meta, j) {
  const problems = [];
  const want = (what, a, b) => { if (toJson(a) !== toJson(b)) problems.push(`${what}: inspect says ${toJson(a)}, DuckDB ${toJson(b)}`); };
  const f = meta.file;
  want('num_rows', num(j.num_rows), num(f.num_rows));
  want('file_size', num(j.file_size), num(f.file_size_bytes));
  want('version', num(j.version), num(f.format_version));
  want('created_by', j.created_by, f.created_by);
  want('row group count', j.row_groups?.length, num(f.num_row_groups));
  want('key_value_metadata', (j.key_value_metadata ?? []).map((e) => [e.key, e.value]), meta.kv.map((e) => [e.key, e.value]));

  const leaves = meta.schema.filter((el) => el.num_children === null || el.num_children === undefined);
  want('column count', j.columns?.length, leaves.length);
  leaves.forEach((el, c) => {
    const jc = j.columns?.[c] ?? {};
    const w = `column ${el.name}`;
    want(`${w} name`, jc.name, el.name);
    want(`${w} physical_type`, jc.physical_type, el.type);
    // inspect's columns[] spell a converted type with its parameters ("DECIMAL(9,2)").
    want(`${w} converted_type`, (jc.converted_type ?? '').replace(/\(.*\)$/, '') || null, el.converted_type ?? null);
    want(`${w} repetition`, jc.repetition, el.repetition_type);
    want(`${w} type_length`, num(jc.type_length), num(el.type_length));
    if (el.converted_type === 'DECIMAL') {
      want(`${w} precision`, num(jc.precision), num(el.precision));
      want(`${w} scale`, num(jc.scale), num(el.scale));
    }
  });
  const types = leaves.map(leafType);

  meta.row_groups.forEach((g, gi) => {
    const jg = j.row_groups?.[gi];
    if (!jg) return;
    want(`row group ${gi} num_rows`, num(jg.num_rows), g.num_rows);
    want(`row group ${gi} column chunks`, jg.columns?.length, g.columns.length);
    g.columns.forEach((ch, c) => {
      const jc = jg.columns?.[c];
      if (!jc) return;
      const w = `row group ${gi} column ${ch.path_in_schema}`;
      want(`${w} path_in_schema`, (jc.path_in_schema ?? []).join('.'), ch.path_in_schema);
      want(`${w} type`, jc.type, ch.type);
      want(`${w} codec`, jc.codec, ch.compression);
      want(`${w} encodings`, [...(jc.encodings ?? [])].sort(), String(ch.encodings).split(/,\s*/).sort());
      want(`${w} num_values`, num(jc.num_values), num(ch.num_values));
      want(`${w} total_compressed_size`, num(jc.total_compressed_size), num(ch.total_compressed_size));
      want(`${w} total_uncompressed_size`, num(jc.total_uncompressed_size), num(ch.total_uncompressed_size));
      want(`${w} data_page_offset`, num(jc.data_page_offset), num(ch.data_page_offset));
      want(`${w} dictionary_page_offset`, num(jc.dictionary_page_offset), num(ch.dictionary_page_offset));
      const st = jc.statistics ?? {};
      want(`${w} null_count`, num(st.null_count), num(ch.stats_null_count));
      want(`${w} min`, canonOrText(types[c], st.min ?? null), canonOrText(types[c], ch.stats_min_value ?? ch.stats_min ?? null));
      want(`${w} max`, canonOrText(types[c], st.max ?? null), canonOrText(types[c], ch.stats_max_value ?? ch.stats_max ?? null));
    });
  });
  return problems;
}

const tally = new Tally();
fs.mkdirSync(work, { recursive: true });
const { files } = await writeDuckFiles(work);

for (const { codec, path: file } of files) {
  await tally.run(`kiln inspect --json agrees with DuckDB's footer view of a DuckDB-written ${codec} file`, async () => {
    const r = inspect('--json', file);
    if (r.code !== 0 || r.signal) return [`exit ${r.code} signal ${r.signal}: ${r.stderr.trim()}`];
    let j;
    try { j = JSON.parse(r.stdout); } catch (e) { return [`stdout is not one JSON object: ${e.message}`]; }
    return compareFile(file, await duckdbMetadata(file), j);
  });
}

await tally.run('kiln inspect prints text and lists pages of a DuckDB-written file (exit 0)', () => {
  const problems = [];
  const text = inspect(files[0].path);
  if (text.code !== 0 || !/rows/i.test(text.stdout)) problems.push(`text: exit ${text.code}: ${text.stderr.trim()}`);
  const pages = inspect('--json', '--pages', files[0].path);
  if (pages.code !== 0) problems.push(`--pages: exit ${pages.code}: ${pages.stderr.trim()}`);
  else {
    const j = JSON.parse(pages.stdout);
    const chunks = j.row_groups.flatMap((g) => g.columns);
    if (!chunks.every((c) => Array.isArray(c.pages) && c.pages.length > 0 && c.pages_error === null))
      problems.push('--pages: some column chunk lists no pages or a page error');
  }
  return problems;
});

// Damaged and foreign files: a clear error on stderr, nothing on stdout, never a crash.
const bytes = fs.readFileSync(files[0].path);
const bad = [
  ['truncated to half', bytes.subarray(0, bytes.length >> 1), 2],
  ['with its footer length overwritten', Buffer.concat([bytes.subarray(0, bytes.length - 8), Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.from('PAR1')]), 2],
  ['that is an NDJSON file', Buffer.from('{"a":1}\n'), 2],
  ['that is empty', Buffer.alloc(0), 2],
];
for (const [what, content, code] of bad) {
  await tally.run(`kiln inspect answers a file ${what} with exit ${code} and an error, not a crash`, () => {
    const p = path.join(work, `bad-${what.replace(/\W+/g, '_')}.parquet`);
    fs.writeFileSync(p, content);
    const r = inspect('--json', p);
    const problems = [];
    if (r.code !== code) problems.push(`exit ${r.code} (signal ${r.signal}), expected ${code}: ${r.stderr.trim()}`);
    if (r.stdout !== '') problems.push(`printed on stdout: ${r.stdout.slice(0, 200)}`);
    if (!/error/i.test(r.stderr)) problems.push(`no error on stderr: ${toJson(r.stderr)}`);
    return problems;
  });
}
await tally.run('kiln inspect takes its options after FILE too, as its usage line shows', () => {
  const a = inspect('--json', files[0].path), b = inspect(files[0].path, '--json');
  return b.code === 0 && b.stdout === a.stdout ? [] : [`kiln inspect FILE --json: exit ${b.code}: ${b.stderr.trim()}`];
});
// A missing input is bad usage for convert (exit 1); 3 (I/O) would be defensible too.
await tally.run('kiln inspect answers a missing file with exit 1 or 3, a message naming it, and no stdout', () => {
  const r = inspect(path.join(work, 'no-such-file.parquet'));
  return [1, 3].includes(r.code) && /no-such-file\.parquet/.test(r.stderr) && r.stdout === '' ? [] : [`exit ${r.code}: ${r.stderr.trim()}`];
});
await tally.run('kiln inspect without a file is bad usage (exit 1)', () => {
  const r = inspect();
  return r.code === 1 ? [] : [`exit ${r.code}: ${r.stderr.trim()}`];
});

tally.finish();
