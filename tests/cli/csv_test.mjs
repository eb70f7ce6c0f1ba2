// tests/cli/csv_test.mjs: end-to-end tests of `kiln convert` and `kiln infer` on CSV input, one
// group per ctest test (cli_csv_GROUP).
//
//   node csv_test.mjs GROUP --kiln PATH --work DIR [--gen PATH] [--rows N] [--repo DIR]
//
// Groups:
//   twins       N (default 200,000) dirty generated orders as NDJSON and as CSV, both converted
//               with the generator's schema: DuckDB reads the same rows (every column, in the
//               same order) from both outputs, and the same as its own read_csv of the CSV
//   threads     the CSV convert gives byte-identical part files with --threads 1 and 2 and
//               --morsel-size 64KiB / 1MiB / 8MiB: plain, with 2 MiB files, partitioned by
//               year(ts),month(ts), sorted by order_id
//   quarantine  planted bad records (field counts, casts, a multi-line quoted record, invalid
//               UTF-8, a stray byte after a closing quote, an unterminated quote at the end):
//               counts, _rejects/rejects.csv byte for byte, reasons.ndjson, rejects.csv reading
//               back as CSV, the same with small morsels and one thread; fail and skip modes
//   options     --delimiter (';', tab, .tsv, .psv), --no-header, --null-token, --fill-missing,
//               --comment, --skip-rows, --quote, --escape, --encoding, a byte-order mark, CRLF,
//               headers in another order / other case / with extra or missing columns, and bad
//               option values (exit 1)
//   infer       `kiln infer` on generated CSV; a file whose last record is cut short fails
//               inference in fail mode and is left out of the sample in skip/quarantine mode
//   reread      quoted fields full of record-like lines, cut into 1 KiB morsels: wrong guesses
//               are read again (morsels_reread > 0) and the output is the same bytes (also
//               partitioned, by buckets and by queues); 200 KiB
//               fields in 64 KiB morsels; bad records among the stretches read twice
//   types       text into every kiln type as kernels/kn_cast.h says, and what it refuses
//   files       .csv, .tsv and .psv files with their own header orders in one run, a header-only
//               file, CSV and NDJSON mixed (exit 1), quoted header names, a BOM with --no-header,
//               quarantine with --partition-by and --sort-by
//   random      seeded random CSV (quotes, delimiters and LF / CRLF / CR inside fields, long fields,
//               UTF-8): values as written, the same bytes for every morsel size and thread count
//   empty       empty and blank-only CSV shards: zero rows, as an empty NDJSON shard gives
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { duckdbConnection, readDuckdbSql, sqlString } from '../interop/readers.mjs';
import { parquetList, sqlRows, exceptAllProblems } from './sql_compare.mjs';
import { Tally } from '../interop/check.mjs';
import { toJson } from '../interop/canon.mjs';
import {
  configure, kiln, where, crashProblems, expectExit, countProblems, countsProblems, write, listDir, parts,
  noOutputProblems, partHashes, diffHashes,
} from './kiln_run.mjs';

const argv = process.argv.slice(2);
const group = argv[0];
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const KILN = opt('--kiln');
const WORK = opt('--work') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-csv-'));
const GEN = opt('--gen');
const ROWS = Math.min(Number(opt('--rows', '200000')), 200000);
if (!group || !KILN) {
  console.error('usage: node csv_test.mjs GROUP --kiln PATH --work DIR [--gen PATH] [--rows N] [--repo DIR]');
  process.exit(1);
}
if (!fs.existsSync(KILN)) {
  console.error(`csv_test: FAIL: no kiln binary at ${KILN}`);
  process.exit(1);
}
configure({ kiln: KILN });
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });

/* ------------------------------------------------- helpers (the same as cli_test.mjs's) */

function schemaYaml(cols) {
  return 'columns:\n' + cols.map(([name, type, nullable]) =>
    `  - name: ${JSON.stringify(name)}\n    type: ${JSON.stringify(type)}${nullable === false ? '\n    nullable: false' : ''}\n`).join('');
}

// The columns of a kiln schema (the block form `kiln infer` and --print-schema write).
function parseSchema(text) {
  const cols = [];
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^\s*-\s*name:\s*"?([^"#]+?)"?\s*$/.exec(line))) cols.push({ name: m[1], type: null, nullable: true });
    else if ((m = /^\s*type:\s*"?([^"#\s]+)"?/.exec(line)) && cols.length) cols[cols.length - 1].type = m[1];
    else if ((m = /^\s*nullable:\s*(\w+)/.exec(line)) && cols.length) cols[cols.length - 1].nullable = m[1] === 'true';
  }
  return cols;
}

function duckType(t) {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return { string: 'VARCHAR', bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', date: 'DATE',
    timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' }[t];
}

// The rows of kiln's output files, in file order, as arrays of canonical values (int64 and
// decimals as strings, int32 as numbers, strings as they are, NULL as null).
async function readRows(files, names) {
  if (!files.length) return [];
  const con = await duckdbConnection();
  const t = await readDuckdbSql(con, `SELECT ${names.join(', ')} FROM read_parquet(${parquetList(files)})`);
  const rows = [];
  for (let i = 0; i < t.num_rows; i++) rows.push(t.data.map((col) => col[i]));
  return rows;
}

function diffRows(want, got, max = 5) {
  const p = [];
  if (want.length !== got.length) p.push(`${got.length} rows read back, expected ${want.length}`);
  let bad = 0;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (toJson(want[i]) === toJson(got[i])) continue;
    if (bad++ < max) p.push(`row ${i}: read ${toJson(got[i])}, expected ${toJson(want[i])}`);
  }
  if (bad > max) p.push(`... ${bad - max} more rows differ`);
  return p;
}


function generate(format, dir, rows, extra = []) {
  if (!GEN || !fs.existsSync(GEN)) return [`no generator at ${toJson(GEN)}: build the kn_gen_orders target`];
  const r = spawnSync(GEN, ['--rows', String(rows), '--seed', '7', '--dirty', '--shards', '4', '--format', format, '-o', dir, '-q', ...extra], { encoding: 'utf8' });
  if (r.status !== 0) return [`kn_gen_orders --format ${format}: exit ${r.status}: ${r.stderr}`];
  const n = listDir(dir).filter((f) => f.endsWith(`.${format}`)).length;
  return n === 4 ? [] : [`kn_gen_orders wrote ${n} .${format} files in ${dir}, expected 4`];
}

function genSchema() {
  const r = spawnSync(GEN, ['--print-schema'], { encoding: 'utf8' });
  return write(path.join(WORK, 'orders.schema.yaml'), r.stdout);
}

// A schema most small cases share.
const SMALL = [['id', 'int64', false], ['name', 'string'], ['n', 'int32']];
const smallSchema = () => write(path.join(WORK, 'small.schema.yaml'), schemaYaml(SMALL));

/* ------------------------------------------------------------------------------- groups */

const tally = new Tally();
const groups = {};

groups.twins = async () => {
  const csvDir = path.join(WORK, 'csv'), ndDir = path.join(WORK, 'ndjson');
  await tally.run(`generate ${ROWS} dirty order rows as NDJSON and as CSV (4 shards each)`, () =>
    [...generate('csv', csvDir, ROWS), ...generate('ndjson', ndDir, ROWS)]);
  const schema = genSchema();
  const cols = parseSchema(fs.readFileSync(schema, 'utf8'));
  const outCsv = path.join(WORK, 'out-csv'), outNd = path.join(WORK, 'out-ndjson');
  await tally.run('kiln converts the CSV and the NDJSON twin with the generator\'s schema, every row written', () => {
    const p = [];
    for (const [dir, out] of [[csvDir, outCsv], [ndDir, outNd]]) {
      const r = kiln(['convert', dir, '-o', out, '--schema', schema, '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0));
      if (r.result && r.result.files_in !== 4) p.push(`${where(r)}: files_in ${r.result.files_in}, expected 4`);
      if (r.result) console.log(`# ${path.basename(dir)}: ${r.result.bytes_in} bytes in ${r.result.seconds} s -> ${r.result.files_out} file(s), ${r.result.bytes_out} bytes`);
    }
    return p;
  });
  const all = cols.map((c) => c.name).join(', ');
  const src = (out) => `SELECT ${all} FROM read_parquet(${parquetList(parts(out))})`;
  // With the position of every row: the part file's name and the row's number in it.
  const srcAt = (out) => `SELECT parse_filename(filename) AS part, file_row_number, ${all} FROM read_parquet(${parquetList(parts(out))}, filename = true, file_row_number = true)`;
  await tally.run('DuckDB reads the same rows (every column) from the CSV and the NDJSON output', async () => {
    const p = [];
    const [a] = await sqlRows(`SELECT count(*) FROM (${src(outCsv)})`);
    const [b] = await sqlRows(`SELECT count(*) FROM (${src(outNd)})`);
    if (Number(a[0]) !== ROWS || Number(b[0]) !== ROWS) p.push(`rows read back: CSV output ${a[0]}, NDJSON output ${b[0]}, expected ${ROWS}`);
    p.push(...await exceptAllProblems('the CSV output', src(outCsv), 'the NDJSON output', src(outNd)));
    return p;
  });
  await tally.run('... in the same files and order (part file, row number in it)', async () =>
    exceptAllProblems('the CSV output', srcAt(outCsv), 'the NDJSON output', srcAt(outNd)));
  if (parts(outCsv).length && parts(outNd).length) {
    const same = toJson(partHashes(outCsv)) === toJson(partHashes(outNd));
    console.log(`# the CSV and NDJSON outputs are ${same ? '' : 'not '}byte-identical`);
  }
  await tally.run('the same rows with CRLF line ends (kn_gen_orders --crlf) cut into 64 KiB morsels: the same part files', () => {
    const crlfDir = path.join(WORK, 'csv-crlf');
    const p = generate('csv', crlfDir, ROWS, ['--crlf']);
    if (p.length) return p;
    const first = fs.readFileSync(path.join(crlfDir, 'orders-00000.csv')).subarray(0, 4096).toString('latin1');
    if (!/\r\n/.test(first)) return ['kn_gen_orders --crlf wrote no CRLF'];
    const out = path.join(WORK, 'crlf', 'out-csv'); /* the same folder name as the LF run's */
    const r = kiln(['convert', crlfDir, '-o', out, '--schema', schema, '--morsel-size', '64KiB', '-q']);
    p.push(...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0));
    if (r.code === 0) p.push(...diffHashes(partHashes(outCsv), partHashes(out)));
    fs.rmSync(crlfDir, { recursive: true, force: true });
    return p;
  });
  await tally.run('kiln\'s CSV output equals DuckDB\'s own read_csv of the shards (explicit types, every column)', async () => {
    const spec = cols.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ');
    const files = listDir(csvDir).filter((n) => n.endsWith('.csv')).map((n) => path.join(csvDir, n));
    const duck = `SELECT ${all} FROM read_csv(${parquetList(files)}, columns = {${spec}}, header = true, delim = ',', quote = '"', escape = '"', ` +
      `timestampformat = '%Y-%m-%dT%H:%M:%S.%f%z', auto_detect = false, ignore_errors = false, allow_quoted_nulls = false)`;
    const p = [];
    const [n] = await sqlRows(`SELECT count(*) FROM (${duck})`);
    if (Number(n[0]) !== ROWS) p.push(`DuckDB's read_csv reads ${n[0]} rows, expected ${ROWS}`);
    p.push(...await exceptAllProblems('kiln\'s output', src(outCsv), 'DuckDB\'s read_csv', duck));
    // A few columns once more, in input order, to name the first differing row if any.
    const k = await readRows(parts(outCsv), ['order_id', 'ts', 'unit_price', 'is_prime', 'note']);
    const d = (await readDuckdbSql(await duckdbConnection(), `SELECT order_id, ts, unit_price, is_prime, note FROM (${duck})`));
    const dr = [];
    for (let i = 0; i < d.num_rows; i++) dr.push(d.data.map((c) => c[i]));
    p.push(...diffRows(dr, k).map((s) => `order_id, ts, unit_price, is_prime, note in input order: ${s}`));
    return p;
  });
};

groups.threads = async () => {
  const csvDir = path.join(WORK, 'csv');
  await tally.run(`generate ${ROWS} dirty order rows as CSV (4 shards)`, () => generate('csv', csvDir, ROWS));
  const schema = genSchema();
  const layouts = [
    ['plain', []],
    ['plain, 2 MiB files', ['--target-file-size', '2MiB']],
    ['partitioned by year(ts),month(ts)', ['--partition-by', 'year(ts),month(ts)']],
    ['sorted by order_id', ['--sort-by', 'order_id']],
  ];
  const variants = [];
  for (const threads of ['2', '1']) for (const morsel of ['8MiB', '1MiB', '64KiB']) variants.push([threads, morsel]);
  for (const [label, extra] of layouts) {
    await tally.run(`CSV convert ${label}: byte-identical part files with --threads 2/1 x --morsel-size 8MiB/1MiB/64KiB`, () => {
      const p = [];
      let base = null;
      const t0 = Date.now();
      for (const [threads, morsel] of variants) {
        // The same folder name every time (the SQL artifacts name it); only part files compare.
        const out = path.join(WORK, 'runs', `t${threads}-${morsel}`, 'out');
        fs.rmSync(out, { recursive: true, force: true });
        const r = kiln(['convert', csvDir, '-o', out, '--schema', schema, '--threads', threads, '--morsel-size', morsel, ...extra, '-q']);
        const q = [...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0)];
        if (q.length) { p.push(...q); continue; }
        const h = partHashes(out);
        fs.rmSync(out, { recursive: true, force: true });
        if (!base) {
          base = h;
          const n = Object.keys(h).length;
          if (!n) p.push('no part files written');
          if (extra[0] === '--partition-by' && !Object.keys(h).every((k) => /^year=\d+\/month=\d+\/part-/.test(k)))
            p.push(`part files not in year=/month= folders: ${toJson(Object.keys(h).slice(0, 5))}`);
          if (extra[0] === '--partition-by' && n < 12) p.push(`${n} part files for ~3 years of months`);
          if (extra[0] === '--target-file-size' && n < 2) p.push(`${n} part file(s): the 2 MiB target should roll several`);
          continue;
        }
        p.push(...diffHashes(base, h).map((s) => `--threads ${threads} --morsel-size ${morsel} vs --threads 2 --morsel-size 8MiB: ${s}`));
      }
      console.log(`# ${label}: ${variants.length} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return p;
    });
  }
};

// The quarantine input: good records with bad ones planted among them. Returns the file's
// bytes, the header line, the bad records ({ bytes, offset, line, lastLine, kind }) and the
// good rows.
function quarantineInput({ crlf = false, goodRows = 1500 } = {}) {
  const eol = crlf ? '\r\n' : '\n';
  const header = 'id,name,n';
  const chunks = [Buffer.from(header + eol)];
  let offset = chunks[0].length, line = 2;
  const bad = [], good = [];
  const planted = [
    ['too many fields', (id) => `${id},four,4,extra`],
    ['too few fields', (id) => `${id},only two`],
    ['a bad int', (id) => `${id},bad int,12x`],
    ['an int32 overflow', (id) => `${id},overflow,2147483648`],
    ['a multi-line quoted bad record', (id) => `${id},"first line${eol}${id + 1},looks like,a record${eol}with ""quotes"", and a comma",not-a-number`],
    ['invalid UTF-8', (id) => Buffer.concat([Buffer.from(`${id},caf`), Buffer.from([0xe9, 0x20, 0xff]), Buffer.from(',5')])],
    ['a byte after a closing quote', (id) => `${id},"closed"junk,6`],
  ];
  const at = new Map(planted.map((b, k) => [Math.floor(((k + 1) * goodRows) / (planted.length + 1)), b]));
  const add = (bytes, isBad, kind) => {
    const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    const lines = b.toString('latin1').split(crlf ? '\r\n' : '\n').length - 1;
    if (isBad) bad.push({ bytes: b, offset, line, lastLine: line + lines, kind });
    chunks.push(b);
    offset += b.length;
    line += lines;
    if (!isBad || kind !== 'an unterminated quote at the end') {
      chunks.push(Buffer.from(eol));
      offset += eol.length;
      line += 1;
    }
  };
  let id = 0;
  for (let i = 0; i < goodRows; i++) {
    if (at.has(i)) { const [kind, f] = at.get(i); add(f(id), true, kind); id += 2; }
    const name = i % 3 === 0 ? `"quoted, ${i} ""x"""` : `name ${i}`;
    add(`${id},${name},${i % 1000}`, false);
    good.push([String(id), i % 3 === 0 ? `quoted, ${i} "x"` : `name ${i}`, i % 1000]);
    id++;
  }
  // Last: a quoted field that never closes, holding a line that looks like a record, and no
  // line end (the record runs to the end of the file).
  add(`${id},"never closed,7${eol}${id + 1},looks,8`, true, 'an unterminated quote at the end');
  return { bytes: Buffer.concat(chunks), header, bad, good };
}

groups.quarantine = async () => {
  const schema = smallSchema();
  const { bytes, header, bad, good } = quarantineInput();
  const input = write(path.join(WORK, 'in', 'planted.csv'), bytes);
  const total = good.length + bad.length;
  const want = Buffer.concat([Buffer.from(header + '\n'), ...bad.flatMap((b) => [b.bytes, Buffer.from('\n')])]);
  const rejectsProblems = (out, file = 'planted.csv', expect = bad, wantBytes = want) => {
    const p = [];
    const rej = path.join(out, '_rejects', 'rejects.csv'), why = path.join(out, '_rejects', 'reasons.ndjson');
    if (!fs.existsSync(rej) || !fs.existsSync(why)) return [`no ${rej} or ${why}: ${toJson(listDir(path.join(out, '_rejects')))}`];
    const got = fs.readFileSync(rej);
    if (!got.equals(wantBytes)) {
      const at = [...Array(Math.min(got.length, wantBytes.length) + 1).keys()].find((i) => got[i] !== wantBytes[i]);
      p.push(`rejects.csv (${got.length} bytes) differs from the header line and the bad records, each + "\\n" (${wantBytes.length} bytes) at byte ${at}: ` +
        `got ${toJson(got.subarray(Math.max(0, at - 40), at + 60).toString('latin1'))}, expected ${toJson(wantBytes.subarray(Math.max(0, at - 40), at + 60).toString('latin1'))}`);
    }
    const lines = fs.readFileSync(why, 'utf8').split('\n');
    if (lines.pop() !== '') p.push('reasons.ndjson does not end with a line feed');
    if (lines.length !== expect.length) p.push(`reasons.ndjson has ${lines.length} lines, expected ${expect.length}`);
    expect.forEach((b, k) => {
      let j;
      try { j = JSON.parse(lines[k]); } catch { p.push(`reasons.ndjson line ${k + 1} is not JSON: ${toJson(lines[k])}`); return; }
      const q = [];
      if (typeof j.file !== 'string' || path.basename(j.file) !== file) q.push(`file ${toJson(j.file)}`);
      if (!Number.isInteger(j.line) || j.line < b.line || j.line > b.lastLine) q.push(`line ${j.line} (the record spans lines ${b.line}-${b.lastLine})`);
      if (j.byte_offset !== b.offset) q.push(`byte_offset ${j.byte_offset}, expected the record's first byte, ${b.offset}`);
      if (typeof j.reason !== 'string' || !j.reason.trim()) q.push(`reason ${toJson(j.reason)}`);
      if (q.length) p.push(`reasons.ndjson line ${k + 1} (${b.kind}): ${q.join(', ')}: ${lines[k]}`);
    });
    return p;
  };

  const out = path.join(WORK, 'q', 'out');
  let qHashes = null;
  await tally.run(`quarantine: ${bad.length} planted bad records rejected, the ${good.length} good ones written in order`, async () => {
    const r = kiln(['convert', input, '-o', out, '--schema', schema, '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, total, good.length, bad.length)];
    if (r.code === 0) p.push(...diffRows(good, await readRows(parts(out), ['id', 'name', 'n'])));
    qHashes = partHashes(out);
    return p;
  });
  await tally.run('quarantine: rejects.csv is the header line, then each bad record\'s exact bytes (multi-line ones whole) + "\\n"; reasons.ndjson one line each', () =>
    rejectsProblems(out));
  await tally.run('quarantine: the reasons say what is wrong (field counts, the column, UTF-8, quotes)', () => {
    const why = path.join(out, '_rejects', 'reasons.ndjson');
    if (!fs.existsSync(why)) return [`no ${why}`];
    const lines = fs.readFileSync(why, 'utf8').trimEnd().split('\n');
    const p = [];
    const expect = {
      'too many fields': (j) => /field/i.test(j.reason),
      'too few fields': (j) => /field/i.test(j.reason),
      'a bad int': (j) => j.field === 'n',
      'an int32 overflow': (j) => j.field === 'n',
      'a multi-line quoted bad record': (j) => j.field === 'n',
      'invalid UTF-8': (j) => /utf-?8/i.test(j.reason),
      'a byte after a closing quote': (j) => /quot/i.test(j.reason),
      'an unterminated quote at the end': (j) => /quot/i.test(j.reason),
    };
    bad.forEach((b, k) => {
      let j = null;
      try { j = JSON.parse(lines[k]); } catch { /* reported by the check above */ }
      if (!j || !expect[b.kind](j)) p.push(`${b.kind}: ${lines[k]}`);
    });
    return p;
  });
  await tally.run('quarantine: rejects.csv reads back as CSV: kiln --on-error skip rejects every record again', () => {
    const rej = path.join(out, '_rejects', 'rejects.csv');
    if (!fs.existsSync(rej)) return [`no ${rej}`];
    const r = kiln(['convert', rej, '-o', path.join(WORK, 'q-reread'), '--schema', schema, '--on-error', 'skip', '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, bad.length, 0, bad.length)];
  });
  await tally.run('quarantine: the same part files, rejects.csv and reasons.ndjson with --morsel-size 1KiB (2 threads and 1)', () => {
    const p = [];
    const reasons = fs.readFileSync(path.join(out, '_rejects', 'reasons.ndjson'), 'utf8');
    for (const threads of ['2', '1']) {
      const o = path.join(WORK, `q-small-${threads}`, 'out');
      const r = kiln(['convert', input, '-o', o, '--schema', schema, '--on-error', 'quarantine', '--morsel-size', '1KiB', '--threads', threads, '-q']);
      const q = [...expectExit(r, 0), ...countsProblems(r, total, good.length, bad.length)];
      if (q.length) { p.push(...q); continue; }
      p.push(...diffHashes(qHashes, partHashes(o)).map((s) => `--threads ${threads}: ${s}`));
      p.push(...rejectsProblems(o).map((s) => `--threads ${threads}: ${s}`));
      const rs = path.join(o, '_rejects', 'reasons.ndjson');
      if (fs.existsSync(rs) && fs.readFileSync(rs, 'utf8') !== reasons) p.push(`--threads ${threads}: reasons.ndjson differs from the 8 MiB run's`);
    }
    return p;
  });
  await tally.run('fail mode: exit 2, the error names the file and the first bad record\'s line, nothing published', () => {
    const o = path.join(WORK, 'q-fail');
    const r = kiln(['convert', input, '-o', o, '--schema', schema, '-q']);
    const p = [...expectExit(r, 2), ...noOutputProblems(o, r)];
    const loc = `planted.csv:${bad[0].line}`;
    if (!r.stderr.includes(loc)) p.push(`stderr does not name ${loc}: ${r.stderr.trim()}`);
    if (r.result && !String(r.result.error ?? '').includes(loc)) p.push(`the JSON error does not name ${loc}: ${toJson(r.result.error)}`);
    return p;
  });
  await tally.run('skip mode: exit 0, the same counts and part files, no _rejects/', () => {
    const o = path.join(WORK, 'q-skip', 'out');
    const r = kiln(['convert', input, '-o', o, '--schema', schema, '--on-error', 'skip', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, total, good.length, bad.length)];
    if (fs.existsSync(path.join(o, '_rejects'))) p.push(`skip mode wrote _rejects/: ${toJson(listDir(path.join(o, '_rejects')))}`);
    p.push(...diffHashes(qHashes, partHashes(o)));
    return p;
  });
  await tally.run('--max-errors: at the planted count quarantine succeeds; one less fails with exit 2', () => {
    const p = [];
    let r = kiln(['convert', input, '-o', path.join(WORK, 'q-max-ok'), '--schema', schema, '--on-error', 'quarantine', '--max-errors', String(bad.length), '-q']);
    p.push(...expectExit(r, 0));
    const o = path.join(WORK, 'q-max-fail');
    r = kiln(['convert', input, '-o', o, '--schema', schema, '--on-error', 'quarantine', '--max-errors', String(bad.length - 1), '-q']);
    p.push(...expectExit(r, 2), ...noOutputProblems(o, r));
    return p;
  });
  await tally.run('quarantine with --skip-rows 2 and --comment: rejects.csv starts with the header line (not the skipped ones); reasons count physical lines', () => {
    const text = 'junk one\njunk "two\nid,name,n\n1,a,2\n# note\n2,b,bad\n3,c,4\n# "odd\n4,"d\ne",bad2\n';
    const f = write(path.join(WORK, 'in', 'skipped.csv'), text);
    const o = path.join(WORK, 'q-skipped');
    const r = kiln(['convert', f, '-o', o, '--schema', schema, '--skip-rows', '2', '--comment', '#', '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 4, 2, 2)];
    if (r.code !== 0) return p;
    p.push(...rejectsProblems(o, 'skipped.csv', [
      { bytes: Buffer.from('2,b,bad'), offset: text.indexOf('2,b,bad'), line: 6, lastLine: 6, kind: 'a bad int' },
      { bytes: Buffer.from('4,"d\ne",bad2'), offset: text.indexOf('4,"d'), line: 9, lastLine: 10, kind: 'a bad int' },
    ], Buffer.from('id,name,n\n2,b,bad\n4,"d\ne",bad2\n')));
    return p;
  });
  await tally.run('quarantine with --no-header: rejects.csv holds only the bad records (no header line to copy)', () => {
    const f = write(path.join(WORK, 'in', 'nohdr.csv'), '1,a,2\n2,b,bad\n3,c,4\n');
    const o = path.join(WORK, 'q-nohdr');
    const r = kiln(['convert', f, '-o', o, '--schema', schema, '--no-header', '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 3, 2, 1)];
    const rej = path.join(o, '_rejects', 'rejects.csv');
    if (r.code === 0 && (!fs.existsSync(rej) || fs.readFileSync(rej, 'latin1') !== '2,b,bad\n')) p.push(`rejects.csv holds ${toJson(fs.existsSync(rej) ? fs.readFileSync(rej, 'latin1') : null)}, expected "2,b,bad\\n"`);
    return p;
  });
  await tally.run('quarantine with --encoding latin-1: rejects.csv holds the input\'s bytes (0xE9), not the transcoding', () => {
    const f = write(path.join(WORK, 'in', 'latin1.csv'), Buffer.from('id,name,n\n1,caf\xe9,2\n2,caf\xe9,bad\n', 'latin1'));
    const o = path.join(WORK, 'q-latin1');
    const r = kiln(['convert', f, '-o', o, '--schema', schema, '--encoding', 'latin-1', '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 2, 1, 1)];
    const rej = path.join(o, '_rejects', 'rejects.csv');
    const want = Buffer.from('id,name,n\n2,caf\xe9,bad\n', 'latin1');
    if (r.code === 0 && (!fs.existsSync(rej) || !fs.readFileSync(rej).equals(want))) p.push(`rejects.csv holds ${toJson(fs.existsSync(rej) ? fs.readFileSync(rej, 'latin1') : null)}, expected ${toJson(want.toString('latin1'))}`);
    return p;
  });
  await tally.run('quarantine of a CRLF file: rejects.csv holds the header and the records without their CRLF, each + "\\n"', async () => {
    const crlf = quarantineInput({ crlf: true, goodRows: 200 });
    const f = write(path.join(WORK, 'in', 'crlf.csv'), crlf.bytes);
    const o = path.join(WORK, 'q-crlf');
    const r = kiln(['convert', f, '-o', o, '--schema', schema, '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, crlf.good.length + crlf.bad.length, crlf.good.length, crlf.bad.length)];
    if (r.code !== 0) return p;
    const w = Buffer.concat([Buffer.from(crlf.header + '\n'), ...crlf.bad.flatMap((b) => [b.bytes, Buffer.from('\n')])]);
    p.push(...rejectsProblems(o, 'crlf.csv', crlf.bad, w));
    p.push(...diffRows(crlf.good, await readRows(parts(o), ['id', 'name', 'n'])));
    return p;
  });
};

groups.options = async () => {
  const schema = smallSchema();
  let k = 0;
  // Converts `content` (written to a file named `name`) with `args`, expects exit 0 and the rows
  // `rows` ([id, name, n]) read back in order (and `rejected` bad records under skip).
  const check = async (what, name, content, args, rows, { rejected = 0, stderr = null, cols = ['id', 'name', 'n'], schemaFile = schema } = {}) => {
    await tally.run(what, async () => {
      const f = write(path.join(WORK, 'in', `${k}`, name), content);
      const out = path.join(WORK, 'opt', `${k++}`);
      const r = kiln(['convert', f, '-o', out, ...(schemaFile ? ['--schema', schemaFile] : []), ...args, ...(stderr ? [] : ['-q'])]);
      const p = [...expectExit(r, 0), ...countsProblems(r, rows.length + rejected, rows.length, rejected)];
      if (stderr && !stderr.test(r.stderr)) p.push(`stderr does not match ${stderr}: ${toJson(r.stderr)}`);
      if (r.code === 0) p.push(...diffRows(rows, await readRows(parts(out), cols)));
      return p;
    });
  };
  const fails = async (what, name, content, args, code, message) => {
    await tally.run(what, () => {
      const f = write(path.join(WORK, 'in', `${k}`, name), content);
      const out = path.join(WORK, 'opt', `${k++}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, ...args, '-q']);
      const p = [...expectExit(r, code, { json: !!r.result }), ...noOutputProblems(out, r)];
      if (message && !message.test(r.stderr)) p.push(`the message does not match ${message}: ${r.stderr.trim()}`);
      return p;
    });
  };

  await check('--delimiter \';\' (a comma is then data)', 'semi.csv', 'id;name;n\n1;a,b;2\n2;"c;d";3\n', ['--delimiter', ';'], [['1', 'a,b', 2], ['2', 'c;d', 3]]);
  await check('--delimiter semicolon (the name)', 'semi2.csv', 'id;name;n\n1;a,b;2\n', ['--delimiter', 'semicolon'], [['1', 'a,b', 2]]);
  await check('--delimiter tab', 'tab.csv', 'id\tname\tn\n1\ta,b\t2\n2\t"x\ty"\t3\n', ['--delimiter', 'tab'], [['1', 'a,b', 2], ['2', 'x\ty', 3]]);
  await check('--delimiter with a literal tab byte', 'tab2.csv', 'id\tname\tn\n1\ta,b\t2\n', ['--delimiter', '\t'], [['1', 'a,b', 2]]);
  await check('a .tsv file is read with tab by itself', 'auto.tsv', 'id\tname\tn\n1\ta,b\t2\n2\ta;b|c\t3\n', [], [['1', 'a,b', 2], ['2', 'a;b|c', 3]]);
  await check('a .psv file is read with \'|\' by itself', 'auto.psv', 'id|name|n\n1|a,b\t|2\n', [], [['1', 'a,b\t', 2]]);
  await check('--format csv on a .txt file', 'plain.txt', 'id,name,n\n1,a,2\n', ['--format', 'csv'], [['1', 'a', 2]]);
  await check('--no-header: columns by position, the first line is data', 'nohdr.csv', '5,first,6\n7,second,8\n', ['--no-header'], [['5', 'first', 6], ['7', 'second', 8]]);
  await check('--null-token NA --null-token - (repeatable; quoted tokens and "" are not NULL in a string column; "" is NULL in an int column)', 'nulls.csv',
    'id,name,n\n1,NA,-\n2,"NA",\n3,,7\n4,"",8\n5,"-",""\n6,na,9\n', ['--null-token', 'NA', '--null-token', '-'],
    [['1', null, null], ['2', 'NA', null], ['3', null, 7], ['4', '', 8], ['5', '-', null], ['6', 'na', 9]]);
  await check('a quoted null token in an int column is a bad record (skip)', 'qnull.csv', 'id,name,n\n1,a,"NA"\n2,b,3\n', ['--null-token', 'NA', '--on-error', 'skip'],
    [['2', 'b', 3]], { rejected: 1 });
  await check('--fill-missing: short records get NULLs for the missing fields; a long one is still bad (skip)', 'fill.csv',
    'id,name,n\n1,a\n2\n3,c,3\n4,d,4,extra\n5,,\n', ['--fill-missing', '--on-error', 'skip'],
    [['1', 'a', null], ['2', null, null], ['3', 'c', 3], ['5', null, null]], { rejected: 1 });
  await fails('without --fill-missing a short record is bad: exit 2 naming the line', 'nofill.csv', 'id,name,n\n1,a,1\n2,b\n', [], 2, /nofill\.csv:3/);
  await check('--comment \'#\': comment lines skipped (before the header too), \'#\' inside a field or a quoted line kept', 'comment.csv',
    '# exported by x\nid,name,n\n1,a#b,2\n#2,skipped,3\n3,"multi\n#not a comment",4\n  # not at line start,5,6\n', ['--comment', '#', '--on-error', 'skip'],
    [['1', 'a#b', 2], ['3', 'multi\n#not a comment', 4]], { rejected: 1 });
  await check('without --comment a \'#\' line is data', 'nocomment.csv', 'id,name,n\n1,a,2\n#2,x,3\n', ['--on-error', 'skip'], [['1', 'a', 2]], { rejected: 1 });
  await check('--skip-rows 2 skips two lines (one with an unbalanced quote) before the header', 'skip.csv',
    'report "generated today\nsecond, junk line\nid,name,n\n1,a,2\n2,b,3\n', ['--skip-rows', '2'], [['1', 'a', 2], ['2', 'b', 3]]);
  await check('--skip-rows 1 --no-header', 'skipnh.csv', 'junk\n1,a,2\n', ['--skip-rows', '1', '--no-header'], [['1', 'a', 2]]);
  await check('--quote "\'": single-quoted fields, doubled single quotes, double quotes as data', 'squote.csv',
    'id,name,n\n1,\'a,b\',2\n2,\'it\'\'s\',3\n3,"q",4\n', ['--quote', '\''], [['1', 'a,b', 2], ['2', 'it\'s', 3], ['3', '"q"', 4]]);
  await check('--quote \'\': no quoting, quotes are data', 'noquote.csv', 'id,name,n\n1,"ab",2\n2,x"y,3\n', ['--quote', ''], [['1', '"ab"', 2], ['2', 'x"y', 3]]);
  await check('--escape \'\\\': \\" \\, \\\\ and an escaped line break inside and outside quotes; "" still works', 'escape.csv',
    'id,name,n\n1,"a\\"b",2\n2,a\\,b,3\n3,"c\\\\d",4\n4,"e""f",5\n5,"line\\\nbreak",6\n6,g\\\\,7\n',
    ['--escape', '\\'], [['1', 'a"b', 2], ['2', 'a,b', 3], ['3', 'c\\d', 4], ['4', 'e"f', 5], ['5', 'line\nbreak', 6], ['6', 'g\\', 7]]);
  await check('without --escape a backslash is data', 'noescape.csv', 'id,name,n\n1,"a\\b",2\n2,c\\,3\n', [], [['1', 'a\\b', 2], ['2', 'c\\', 3]]);
  const legacy = Buffer.concat([Buffer.from('id,name,n\n1,caf'), Buffer.from([0xe9]), Buffer.from(',2\n2,'), Buffer.from([0x80]),
    Buffer.from('uro '), Buffer.from([0x81, 0x9f, 0xff]), Buffer.from(',3\n3,"'), Buffer.from([0xc3, 0xa9]), Buffer.from('",4\n')]);
  await check('--encoding latin-1: 0xE9, 0x80, 0x81, 0x9F, 0xFF transcoded to UTF-8 (U+00E9, U+0080, ...)', 'latin1.csv', legacy, ['--encoding', 'latin-1'],
    [['1', 'café', 2], ['2', '\u0080uro \u0081\u009f\u00ff', 3], ['3', '\u00c3\u00a9', 4]]);
  await check('--encoding windows-1252: 0x80 is €, 0x9F is Ÿ, the undefined 0x81 is U+0081', 'cp1252.csv', legacy, ['--encoding', 'windows-1252'],
    [['1', 'café', 2], ['2', '€uro \u0081Ÿÿ', 3], ['3', 'Ã©', 4]]);
  await fails('the same bytes as UTF-8 (the default): exit 2, the message says UTF-8', 'notutf8.csv', legacy, [], 2, /UTF-8/i);
  await check('a UTF-8 byte-order mark before the header is skipped', 'bom.csv', '\ufeffid,name,n\n1,ü,2\n', [], [['1', 'ü', 2]]);
  await check('CRLF and lone CR line ends; a line break inside quotes kept', 'crlf.csv', 'id,name,n\r\n1,a,2\r\n2,"x\r\ny",3\r3,c,4', [],
    [['1', 'a', 2], ['2', 'x\r\ny', 3], ['3', 'c', 4]]);
  await check('blank lines are no records', 'blank.csv', 'id,name,n\n\n1,a,2\n\n\n2,b,3\n\n', [], [['1', 'a', 2], ['2', 'b', 3]]);
  await check('a header in another order with an extra column: mapped by name, the extra ignored with a log line', 'order.csv',
    'n,extra,name,id\n2,zz,a,1\n3,yy,"b,c",4\n', [], [['1', 'a', 2], ['4', 'b,c', 3]], { stderr: /^kiln: .*'?extra'?/m });
  await check('header names match the schema ignoring ASCII case', 'case.csv', 'ID,Name,N\n1,a,2\n', [], [['1', 'a', 2]]);
  await check('a missing nullable column reads as NULL', 'nonull.csv', 'name,id\na,1\n', [], [['1', 'a', null]]);
  await fails('a missing non-nullable column: exit 2 naming the column', 'missing.csv', 'name,n\na,2\n', [], 2, /'?id'?/);
  await check('spaces around numbers are trimmed, strings kept byte for byte', 'spaces.csv', 'id,name,n\n 1 , a ,  2\n', [], [['1', ' a ', 2]]);

  // Bad option values: usage errors (exit 1).
  const ok = write(path.join(WORK, 'in', 'ok.csv'), 'id,name,n\n1,a,2\n');
  const nd = write(path.join(WORK, 'in', 'ok.ndjson'), '{"id":1,"name":"a","n":2}\n');
  const usage = [
    ['--delimiter with two bytes', ok, ['--delimiter', ';;'], /delimiter/],
    ['--delimiter \'\'', ok, ['--delimiter', ''], /delimiter/],
    ['--delimiter equal to the quote', ok, ['--delimiter', '"'], /delimiter|quote/],
    ['--delimiter as a line feed', ok, ['--delimiter', '\n'], /delimiter/],
    ['--escape equal to the delimiter', ok, ['--escape', ','], /escape|delimiter/],
    ['--quote with two bytes', ok, ['--quote', '""'], /quote/],
    ['--encoding foo', ok, ['--encoding', 'foo'], /encoding/],
    ['--skip-rows -1', ok, ['--skip-rows', '-1'], /skip-rows/],
    ['--delimiter for an NDJSON input', nd, ['--delimiter', ';'], /delimiter/],
    ['--null-token for an NDJSON input', nd, ['--null-token', 'NA'], /null-token/],
  ];
  for (const [what, f, args, message] of usage) {
    await tally.run(`kiln convert with ${what} exits 1 with a message naming the option`, () => {
      const out = path.join(WORK, 'opt', `${k++}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, ...args, '-q']);
      const p = expectExit(r, 1, { json: false });
      if (r.result) p.push(...countProblems(r));
      if (!message.test(r.stderr)) p.push(`the message does not match ${message}: ${r.stderr.trim()}`);
      if (parts(out).length) p.push('part files written');
      return p;
    });
  }
  await tally.run('kiln infer with --delimiter of two bytes exits 1', () => expectExit(kiln(['infer', ok, '--delimiter', ';;']), 1, { json: false }));
};

groups.infer = async () => {
  const dir = path.join(WORK, 'csv');
  const rows = Math.min(ROWS, 20000);
  await tally.run(`generate ${rows} dirty order rows as CSV (4 shards)`, () => generate('csv', dir, rows));
  await tally.run('kiln infer on the generated CSV: int64 order_id, timestamptz ts, decimal unit_price, bool is_prime, string note', () => {
    const r = kiln(['infer', dir]);
    const p = crashProblems(r);
    if (r.code !== 0) return [...p, `exit ${r.code}: ${r.stderr.trim()}`];
    const cols = Object.fromEntries(parseSchema(r.stdout).map((c) => [c.name, c.type]));
    const want = { order_id: /^int64$/, ts: /^timestamptz$/, unit_price: /^decimal\(\d+,2\)$/, amount: /^decimal\(\d+,2\)$/, is_prime: /^bool$/,
      note: /^string$/, category: /^string$/, customer_id: /^int64$/, quantity: /^int(32|64)$/ };
    for (const [name, re] of Object.entries(want)) if (!re.test(cols[name] ?? '')) p.push(`${name}: ${cols[name]}, expected ${re}`);
    if (Object.keys(cols).length !== 15) p.push(`${Object.keys(cols).length} columns: ${toJson(Object.keys(cols))}`);
    return p;
  });
  await tally.run('kiln convert of the generated CSV without --schema writes every row', async () => {
    const out = path.join(WORK, 'inferred');
    const r = kiln(['convert', dir, '-o', out, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, rows, rows, 0)];
    const [[n]] = await sqlRows(`SELECT count(DISTINCT order_id) FROM read_parquet(${parquetList(parts(out))})`);
    if (!(Number(n) > rows * 0.9)) p.push(`${n} distinct order_id values read back`);
    return p;
  });

  // One shard with its last record cut short inside a quoted note: an unterminated quote.
  const shard = fs.readFileSync(path.join(dir, 'orders-00000.csv'), 'utf8');
  const lines = shard.split('\n').filter((l) => l !== '');
  const quoted = lines.slice(1).find((l) => /^\d+,.*,"[^"]{5,}"$/.test(l) && !l.slice(0, -1).endsWith('"')) ?? `${lines[1].replace(/,[^,]*$/, '')},"a note cut short"`;
  const cut = quoted.slice(0, quoted.lastIndexOf(',"') + 6);
  const goodRows = Math.floor(rows / 4); // shard 0 holds rows [0, N/4)
  const cutFile = write(path.join(WORK, 'cut', 'cut.csv'), `${shard}${cut}`);
  await tally.run('a CSV whose last record is cut short (unterminated quote): convert without --schema, fail mode, exits 2', () => {
    const o = path.join(WORK, 'cut-fail');
    const r = kiln(['convert', cutFile, '-o', o, '-q']);
    const p = [...expectExit(r, 2, { json: !!r.result }), ...noOutputProblems(o, r)];
    if (!/cut\.csv/.test(r.stderr)) p.push(`the error does not name cut.csv: ${r.stderr.trim()}`);
    return p;
  });
  await tally.run('... kiln infer in fail mode exits 2; with --on-error skip it infers the same schema as without the cut record', () => {
    const p = [];
    const f = kiln(['infer', cutFile]);
    p.push(...expectExit(f, 2, { json: false }));
    const s = kiln(['infer', cutFile, '--on-error', 'skip']);
    const clean = kiln(['infer', path.join(dir, 'orders-00000.csv')]);
    p.push(...expectExit(s, 0, { json: false }));
    if (s.code === 0 && s.stdout !== clean.stdout) p.push(`infer --on-error skip printed ${toJson(s.stdout)}, the clean shard infers ${toJson(clean.stdout)}`);
    return p;
  });
  await tally.run('... convert without --schema under --on-error skip succeeds, the cut record counted in rows_rejected', () => {
    const r = kiln(['convert', cutFile, '-o', path.join(WORK, 'cut-skip'), '--on-error', 'skip', '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, goodRows + 1, goodRows, 1)];
  });
  await tally.run('... and under --on-error quarantine, rejects.csv holding the header and the cut record', () => {
    const o = path.join(WORK, 'cut-q');
    const r = kiln(['convert', cutFile, '-o', o, '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, goodRows + 1, goodRows, 1)];
    const rej = path.join(o, '_rejects', 'rejects.csv');
    const want = `${lines[0]}\n${cut}\n`;
    if (!fs.existsSync(rej)) p.push(`no ${rej}`);
    else if (fs.readFileSync(rej, 'utf8') !== want) p.push(`rejects.csv holds ${toJson(fs.readFileSync(rej, 'utf8'))}, expected ${toJson(want)}`);
    return p;
  });

  // CSV options apply to inference too.
  const nh = write(path.join(WORK, 'in', 'nohdr.csv'), '1,x,2024-01-02\n2,y,2024-01-03\n');
  await tally.run('kiln infer --no-header names the columns column0, column1, column2 (int64, string, date)', () => {
    const r = kiln(['infer', nh, '--no-header']);
    const p = crashProblems(r);
    if (r.code !== 0) return [...p, `exit ${r.code}: ${r.stderr.trim()}`];
    const got = parseSchema(r.stdout).map((c) => `${c.name}:${c.type}`);
    if (toJson(got) !== toJson(['column0:int64', 'column1:string', 'column2:date'])) p.push(`inferred ${toJson(got)}`);
    return p;
  });
  await tally.run('kiln infer --no-header then convert --no-header with that schema', async () => {
    const r = kiln(['infer', nh, '--no-header']);
    if (r.code !== 0) return [`infer: exit ${r.code}: ${r.stderr.trim()}`];
    const s = write(path.join(WORK, 'nohdr.schema.yaml'), r.stdout);
    const out = path.join(WORK, 'nohdr-out');
    const c = kiln(['convert', nh, '-o', out, '--schema', s, '--no-header', '-q']);
    const p = [...expectExit(c, 0), ...countsProblems(c, 2, 2, 0)];
    if (c.code === 0) p.push(...diffRows([['1', 'x'], ['2', 'y']], await readRows(parts(out), ['column0', 'column1'])));
    return p;
  });
  await tally.run('kiln infer with --delimiter \';\' and --null-token NA: names from the header, int64 despite the NA values', () => {
    const f = write(path.join(WORK, 'in', 'semi.csv'), 'a;b;c\n1;x,y;NA\nNA;z;2.5\n3;w;1.25\n');
    const r = kiln(['infer', f, '--delimiter', ';', '--null-token', 'NA']);
    const p = crashProblems(r);
    if (r.code !== 0) return [...p, `exit ${r.code}: ${r.stderr.trim()}`];
    const got = parseSchema(r.stdout).map((c) => `${c.name}:${c.type}`);
    if (!(got.length === 3 && got[0] === 'a:int64' && got[1] === 'b:string' && /^c:(decimal\(\d+,2\)|float64)$/.test(got[2]))) p.push(`inferred ${toJson(got)}`);
    return p;
  });
  await tally.run('kiln infer on a .tsv picks tab by itself', () => {
    const f = write(path.join(WORK, 'in', 'x.tsv'), 'k\tv,w\n1\ta,b\n');
    const r = kiln(['infer', f]);
    const got = parseSchema(r.stdout).map((c) => `${c.name}:${c.type}`);
    return [...crashProblems(r), ...(toJson(got) === toJson(['k:int64', 'v,w:string']) ? [] : [`exit ${r.code}, inferred ${toJson(got)}: ${r.stderr.trim()}`])];
  });
};

groups.reread = async () => {
  const schema = smallSchema();
  const N = 3000;
  const inner = Array(30).fill('1,x,1').join('\n');
  const records = [], rows = [];
  for (let i = 0; i < N; i++) {
    if (i % 2) { records.push(`${i},"${inner}",${i % 7}`); rows.push([String(i), inner, i % 7]); } else { records.push(`${i},plain ${i},${i % 5}`); rows.push([String(i), `plain ${i}`, i % 5]); }
  }
  const input = write(path.join(WORK, 'in', 'lookalike.csv'), `id,name,n\n${records.join('\n')}\n`);
  let base = null;
  await tally.run(`quoted fields of 30 record-like lines, every other record (${N} records), --morsel-size 1KiB: morsels_reread > 0, every row right`, async () => {
    const out = path.join(WORK, 'r-1k', 'out');
    const r = kiln(['convert', input, '-o', out, '--schema', schema, '--morsel-size', '1KiB', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, N, N, 0)];
    if (!(r.result?.morsels_reread > 0)) p.push(`morsels_reread ${r.result?.morsels_reread}, expected > 0`);
    else console.log(`# morsels_reread ${r.result.morsels_reread}`);
    if (r.code === 0) p.push(...diffRows(rows, await readRows(parts(out), ['id', 'name', 'n'])));
    base = partHashes(out);
    return p;
  });
  await tally.run('... the same bytes as --morsel-size 8MiB and as --threads 1 (1KiB)', () => {
    const p = [];
    for (const args of [['--morsel-size', '8MiB'], ['--morsel-size', '1KiB', '--threads', '1']]) {
      const out = path.join(WORK, `r-${args.join('')}`, 'out');
      const r = kiln(['convert', input, '-o', out, '--schema', schema, ...args, '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, N, N, 0));
      if (args[1] === '8MiB' && r.result && r.result.morsels_reread !== 0) p.push(`${where(r)}: morsels_reread ${r.result.morsels_reread} with one morsel`);
      p.push(...diffHashes(base, partHashes(out)).map((s) => `${args.join(' ')}: ${s}`));
    }
    return p;
  });
  await tally.run('... partitioned by n, 1KiB morsels: by buckets (a morsel read again is spilled again) the same bytes as by folder queues', () => {
    const p = [], hashes = [];
    for (const way of ['buckets', 'queues']) {
      const out = path.join(WORK, `r-part-${way}`, 'out');
      const r = kiln(['convert', input, '-o', out, '--schema', schema, '--morsel-size', '1KiB', '--partition-by', 'n',
        '--partition-write', way, '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, N, N, 0));
      if (!(r.result?.morsels_reread > 0)) p.push(`${way}: morsels_reread ${r.result?.morsels_reread}, expected > 0`);
      const want = way === 'buckets' ? 'partition-buckets' : 'partition-stream';
      if (r.result && r.result.write_path !== want) p.push(`${way}: write_path ${r.result.write_path}, expected ${want}`);
      hashes.push(partHashes(out));
    }
    if (Object.keys(hashes[1]).length < 7) p.push(`${Object.keys(hashes[1]).length} part files, expected one per n (7)`);
    p.push(...diffHashes(hashes[1], hashes[0]).map((x) => `buckets vs queues: ${x}`));
    return p;
  });
  await tally.run('quoted fields of 200 KiB (line breaks, record-like lines, doubled quotes) with --morsel-size 64KiB: the same bytes as 8MiB', async () => {
    const big = [], want = [];
    for (let i = 0; i < 40; i++) {
      const v = i % 4 === 1 ? `${'7,y,7\n'.repeat(30000 + i)}"end"` : i % 4 === 3 ? 'z'.repeat(200000 + i) : `small ${i}`;
      big.push(`${i},${/[\n"]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v},${i}`);
      want.push([String(i), v, i]);
    }
    const f = write(path.join(WORK, 'in', 'big-fields.csv'), `id,name,n\n${big.join('\n')}\n`);
    const p = [];
    const hashes = [];
    for (const args of [['--morsel-size', '64KiB'], ['--morsel-size', '64KiB', '--threads', '1'], ['--morsel-size', '8MiB']]) {
      const out = path.join(WORK, `big-${args.join('')}`, 'out');
      const r = kiln(['convert', f, '-o', out, '--schema', schema, ...args, '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, want.length, want.length, 0));
      hashes.push(partHashes(out));
      if (r.code === 0 && args[1] === '64KiB' && args.length === 2) {
        const got = await readRows(parts(out), ['id', 'name', 'n']);
        p.push(...diffRows(want, got).map((x) => x.slice(0, 300)));
      }
    }
    p.push(...diffHashes(hashes[2], hashes[0]).map((x) => `64KiB vs 8MiB: ${x}`), ...diffHashes(hashes[2], hashes[1]).map((x) => `64KiB, 1 thread vs 8MiB: ${x}`));
    return p;
  });
  // Escaped line breaks (--escape '\\') and comment lines with odd quotes (--comment '#') in
  // small morsels: the guesses must not take them for record starts or quotes.
  const escRecords = [], escRows = [];
  for (let i = 0; i < N; i++) {
    if (i % 2) { escRecords.push(`${i},${'1\\,x\\,1\\\n'.repeat(20)}end,${i % 7}`); escRows.push([String(i), `${'1,x,1\n'.repeat(20)}end`, i % 7]); }
    else { escRecords.push(`${i},"plain\\" ${i}\\\n1,x,1",${i % 5}`); escRows.push([String(i), `plain" ${i}\n1,x,1`, i % 5]); }
  }
  const comRecords = [], comRows = [];
  for (let i = 0; i < N; i++) {
    if (i % 3 === 0) comRecords.push(`# a comment with an odd quote " and a delimiter, ${i}`);
    comRecords.push(`${i},"n ${i}",${i % 5}`);
    comRows.push([String(i), `n ${i}`, i % 5]);
  }
  for (const [what, name, text, args, want] of [
    ['escaped line breaks and quotes (--escape \'\\\')', 'escaped.csv', `id,name,n\n${escRecords.join('\n')}\n`, ['--escape', '\\'], escRows],
    ['comment lines holding an odd quote (--comment \'#\')', 'comments.csv', `id,name,n\n${comRecords.join('\n')}\n`, ['--comment', '#'], comRows],
  ]) {
    await tally.run(`${what} in 1 KiB morsels: every row right, the same bytes as 8MiB`, async () => {
      const f = write(path.join(WORK, 'in', name), text);
      const p = [];
      const hashes = [];
      for (const m of ['1KiB', '8MiB']) {
        const out = path.join(WORK, `${name}-${m}`, 'out');
        const r = kiln(['convert', f, '-o', out, '--schema', schema, '--morsel-size', m, ...args, '-q']);
        p.push(...expectExit(r, 0), ...countsProblems(r, N, N, 0));
        if (r.code === 0 && m === '1KiB') p.push(...diffRows(want, await readRows(parts(out), ['id', 'name', 'n'])));
        hashes.push(partHashes(out));
      }
      return [...p, ...diffHashes(hashes[1], hashes[0])];
    });
  }

  // The same with bad records among them (some inside the stretches read twice): nothing is
  // rejected twice or lost.
  const badAt = new Set();
  for (let i = 5; i < N; i += 97) badAt.add(i);
  const mixed = records.map((rec, i) => (badAt.has(i) ? rec.replace(/,(\d+)$/, ',x$1') : rec));
  const input2 = write(path.join(WORK, 'in', 'lookalike-bad.csv'), `id,name,n\n${mixed.join('\n')}\n`);
  await tally.run(`... with ${badAt.size} bad records among them under quarantine: the same counts, part files, rejects.csv and reasons.ndjson for 1KiB and 8MiB morsels`, () => {
    const p = [];
    const got = [];
    for (const m of ['1KiB', '8MiB']) {
      const out = path.join(WORK, `rq-${m}`, 'out');
      const r = kiln(['convert', input2, '-o', out, '--schema', schema, '--morsel-size', m, '--on-error', 'quarantine', '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, N, N - badAt.size, badAt.size));
      const rd = (f) => { try { return fs.readFileSync(path.join(out, '_rejects', f), 'utf8'); } catch { return null; } };
      got.push({ parts: partHashes(out), rejects: rd('rejects.csv'), reasons: rd('reasons.ndjson') });
    }
    const want = `id,name,n\n${mixed.filter((_, i) => badAt.has(i)).join('\n')}\n`;
    if (got[0].rejects !== want) p.push(`1KiB: rejects.csv is not the header and the ${badAt.size} bad records: ${toJson(got[0].rejects?.slice(0, 300))}`);
    if (got[1].rejects !== want) p.push(`8MiB: rejects.csv is not the header and the ${badAt.size} bad records: ${toJson(got[1].rejects?.slice(0, 300))}`);
    if (got[0].reasons !== got[1].reasons) p.push('reasons.ndjson differs between 1KiB and 8MiB morsels');
    p.push(...diffHashes(got[1].parts, got[0].parts));
    return p;
  });
};

// Text into every kiln type, as kernels/kn_cast.h's contract says (values the test expects in
// the readers' canonical form; BAD: a bad record under --on-error quarantine).
const BAD = Symbol('bad');
const ts = (iso) => timestampMicros(iso);
const TYPE_CASES = {
  bool: [['true', true], ['FALSE', false], ['t', true], ['F', false], ['yes', true], ['No', false], ['y', true], ['N', false],
    ['1', true], ['0', false], [' true ', true], ['"true"', true], ['', null], ['""', null], ['maybe', BAD], ['2', BAD], ['tru', BAD]],
  int32: [['0', 0], ['-2147483648', -2147483648], ['2147483647', 2147483647], ['+7', 7], ['007', 7], ['1.0', 1], ['2e3', 2000],
    [' 12 ', 12], ['\t5\t', 5], ['"42"', 42], ['', null], ['""', null], ['1.5', BAD], ['2147483648', BAD], ['-2147483649', BAD],
    ['abc', BAD], ['0x10', BAD], ['1e10', BAD], ['12 3', BAD]],
  int64: [['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '-9223372036854775808'], ['1e18', '1000000000000000000'],
    ['-0', '0'], ['+0', '0'], ['9223372036854775808', BAD], ['-9223372036854775809', BAD], ['1.25e1', BAD]],
  float64: [['1.5', '1.5'], ['-0.0', '-0'], ['0.1', '0.1'], ['1e308', '1e+308'], ['5e-324', '5e-324'], ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['nan', 'NaN'], ['NaN', 'NaN'], ['inf', 'Infinity'], ['-Infinity', '-Infinity'], ['+INF', 'Infinity'], ['+12', '12'], ['007.5', '7.5'],
    ['0.30000000000000004', '0.30000000000000004'], ['abc', BAD], ['1.2.3', BAD], ['--1', BAD]],
  'decimal(9,2)': [['1.5', '1.50'], ['-0.05', '-0.05'], ['1234567.89', '1234567.89'], ['-1234567.89', '-1234567.89'], ['+3', '3.00'],
    ['007.10', '7.10'], ['1e2', '100.00'], ['0', '0.00'], ['12345678.9', BAD], ['1.234', BAD], ['1,5', BAD], ['x', BAD]],
  'decimal(38,10)': [['1234567890123456789012345678.1234567890', '1234567890123456789012345678.1234567890'],
    ['-0.0000000001', '-0.0000000001'], ['99999999999999999999999999999999999999e-10', '9999999999999999999999999999.9999999999'],
    ['12345678901234567890123456789', BAD], ['0.00000000001', BAD]],
  date: [['2024-02-29', '2024-02-29'], [' 1970-01-01 ', '1970-01-01'], ['0001-01-01', '0001-01-01'], ['9999-12-31', '9999-12-31'],
    ['2023-02-29', BAD], ['2024-13-01', BAD], ['2024-01-02T03:04:05', BAD], ['2024-1-2', BAD], ['20240102', BAD]],
  timestamp: [['2024-01-02T03:04:05', ts('2024-01-02T03:04:05Z')], ['2024-01-02 03:04:05.123456', ts('2024-01-02T03:04:05.123456Z')],
    ['2024-01-02', ts('2024-01-02T00:00:00Z')], ['2024-01-02T03:04:05+02:00', ts('2024-01-02T03:04:05Z')],
    ['2024-01-02T03:04:05Z', ts('2024-01-02T03:04:05Z')], ['2024-01-02T03:04', ts('2024-01-02T03:04:00Z')],
    ['2024-01-02T03:04:05.1234567', ts('2024-01-02T03:04:05.123456Z')], ['2024-01-02T24:00:00', BAD], ['yesterday', BAD]],
  timestamptz: [['2024-01-02T03:04:05+02:00', ts('2024-01-02T01:04:05Z')], ['2024-01-02T03:04:05-0130', ts('2024-01-02T04:34:05Z')],
    ['2024-01-02T03:04:05', ts('2024-01-02T03:04:05Z')], ['2024-01-02T03:04:05.5Z', ts('2024-01-02T03:04:05.500000Z')],
    ['1969-12-31T23:59:59.999999Z', '-1'], ['2024-01-02T03:04:05+25:00', BAD]],
  string: [['plain', 'plain'], [' padded ', ' padded '], ['"quoted, with a comma"', 'quoted, with a comma'], ['""', ''], ['', null],
    ['"a""b"', 'a"b'], ['é漢😀', 'é漢😀'], ['"two\nlines"', 'two\nlines'], ['tab\there', 'tab\there'], ['null', 'null'], ['NULL', 'NULL']],
};

// "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" -> microseconds since the epoch, as a string.
function timestampMicros(iso) {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso);
  const ms = BigInt(Date.parse(`${m[1]}Z`));
  return (ms * 1000n + BigInt((m[2] ?? '').padEnd(6, '0'))).toString();
}

groups.types = async () => {
  for (const [type, cases] of Object.entries(TYPE_CASES)) {
    await tally.run(`CSV text into ${type}: ${cases.filter((c) => c[1] !== BAD).length} values as kn_cast.h says, ${cases.filter((c) => c[1] === BAD).length} bad records quarantined`, async () => {
      const schema = write(path.join(WORK, `${type}.schema.yaml`), schemaYaml([['id', 'int64', false], ['v', type]]));
      const lines = cases.map(([text], i) => `${i},${text}`);
      const f = write(path.join(WORK, 'in', `${type}.csv`), `id,v\n${lines.join('\n')}\n`);
      const out = path.join(WORK, `out-${type}`);
      const good = cases.map(([, v], i) => [String(i), v]).filter((r) => r[1] !== BAD);
      const bad = lines.filter((_, i) => cases[i][1] === BAD);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, '--on-error', 'quarantine', '-q']);
      const p = [...expectExit(r, 0), ...countsProblems(r, cases.length, good.length, bad.length)];
      if (r.code !== 0) return p;
      const got = await readRows(parts(out), ['id', 'v']);
      p.push(...diffRows(good, got, 20).map((x) => {
        const m = /^row (\d+):/.exec(x);
        return m ? `${x} (text ${toJson(cases[Number(got[Number(m[1])]?.[0] ?? good[Number(m[1])][0])]?.[0])})` : x;
      }));
      const rej = path.join(out, '_rejects', 'rejects.csv');
      const rejected = fs.existsSync(rej) ? fs.readFileSync(rej, 'utf8').split('\n').slice(1, -1) : [];
      const want = bad.flatMap((b) => b.split('\n'));
      if (toJson(rejected) !== toJson(want)) p.push(`rejected ${toJson(rejected)}, expected ${toJson(want)}`);
      return p;
    });
  }
};

groups.files = async () => {
  const schema = smallSchema();
  const dir = path.join(WORK, 'mixed');
  write(path.join(dir, 'a.csv'), 'id,name,n\n1,a,2\n2,"b,c",3\n');
  write(path.join(dir, 'b.tsv'), 'n\tid\tname\n4\t3\tc,d\n');
  write(path.join(dir, 'c.psv'), 'name|id\nx,y|5\n');
  write(path.join(dir, 'd.csv'), 'id,name,n\n');
  write(path.join(dir, 'e.csv'), 'ID,N,Name,other\r\n6,7,e,zz\r\n');
  const want = [['1', 'a', 2], ['2', 'b,c', 3], ['3', 'c,d', 4], ['5', 'x,y', null], ['6', 'e', 7]];
  await tally.run('one run over .csv, .tsv and .psv files: each its own delimiter and header order (a header-only file adds nothing)', async () => {
    const out = path.join(WORK, 'mixed-out');
    const r = kiln(['convert', dir, '-o', out, '--schema', schema, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, want.length, want.length, 0)];
    if (r.result && r.result.files_in !== 5) p.push(`files_in ${r.result.files_in}, expected 5`);
    if (r.code === 0) {
      const got = await readRows(parts(out), ['id', 'name', 'n']);
      got.sort((x, y) => Number(x[0]) - Number(y[0]));
      p.push(...diffRows(want, got));
    }
    return p;
  });
  await tally.run('the same files with --threads 1 and --morsel-size 1KiB: the same part files', () => {
    const a = path.join(WORK, 'mx1', 'out'), b = path.join(WORK, 'mx2', 'out');
    const p = [...expectExit(kiln(['convert', dir, '-o', a, '--schema', schema, '-q']), 0),
      ...expectExit(kiln(['convert', dir, '-o', b, '--schema', schema, '--threads', '1', '--morsel-size', '1KiB', '-q']), 0)];
    return [...p, ...diffHashes(partHashes(a), partHashes(b))];
  });
  await tally.run('CSV and NDJSON inputs in one run: exit 1 with a message', () => {
    const d2 = path.join(WORK, 'mixed-formats');
    write(path.join(d2, 'a.csv'), 'id,name,n\n1,a,2\n');
    write(path.join(d2, 'b.ndjson'), '{"id":2,"name":"b","n":3}\n');
    const r = kiln(['convert', d2, '-o', path.join(WORK, 'mixed-formats-out'), '--schema', schema, '-q']);
    return expectExit(r, 1, { json: !!r.result });
  });
  await tally.run('a header-only CSV converts to zero rows in one valid Parquet file', async () => {
    const f = write(path.join(WORK, 'in', 'header-only.csv'), 'id,name,n\n');
    const out = path.join(WORK, 'header-only');
    const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 0, 0, 0)];
    if (!parts(out).length) p.push('no part file');
    else if ((await readRows(parts(out), ['id'])).length) p.push('rows read back');
    return p;
  });
  await tally.run('a UTF-8 byte-order mark before a --no-header file is not part of the first field', async () => {
    const f = write(path.join(WORK, 'in', 'bom-nh.csv'), '\ufeff1,a,2\n');
    const out = path.join(WORK, 'bom-nh');
    const r = kiln(['convert', f, '-o', out, '--schema', schema, '--no-header', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 1, 1, 0)];
    if (r.code === 0) p.push(...diffRows([['1', 'a', 2]], await readRows(parts(out), ['id', 'name', 'n'])));
    return p;
  });
  await tally.run('quoted header names map like bare ones', async () => {
    const f = write(path.join(WORK, 'in', 'qhdr.csv'), '"n","id","name"\n2,1,a\n');
    const out = path.join(WORK, 'qhdr');
    const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 1, 1, 0)];
    if (r.code === 0) p.push(...diffRows([['1', 'a', 2]], await readRows(parts(out), ['id', 'name', 'n'])));
    return p;
  });
  await tally.run('quarantine with --partition-by and --sort-by: the same rejects, the rows all written', async () => {
    const { bytes, bad, good } = quarantineInput({ goodRows: 600 });
    const f = write(path.join(WORK, 'in', 'planted-layout.csv'), bytes);
    const p = [];
    for (const extra of [['--partition-by', 'n'], ['--sort-by', 'n']]) {
      const out = path.join(WORK, `ql-${extra[0].slice(2)}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, '--on-error', 'quarantine', ...extra, '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, good.length + bad.length, good.length, bad.length));
      const rej = path.join(out, '_rejects', 'rejects.csv');
      const want = Buffer.concat([Buffer.from('id,name,n\n'), ...bad.flatMap((b) => [b.bytes, Buffer.from('\n')])]);
      if (!fs.existsSync(rej) || !fs.readFileSync(rej).equals(want)) p.push(`${extra.join(' ')}: rejects.csv is not the header and the bad records`);
      const n = (await readRows(parts(out), ['id'])).length;
      if (n !== good.length) p.push(`${extra.join(' ')}: ${n} rows read back, expected ${good.length}`);
    }
    return p;
  });
};

groups.empty = async () => {
  const schema = smallSchema();
  // An empty shard is what many producers write for an empty partition. NDJSON's empty file is
  // zero rows (cli_test.mjs, failures); a CSV one should be too, whatever the schema's
  // nullability.
  for (const [what, content] of [['an empty (0-byte) CSV shard', ''], ['a CSV shard of blank lines', '\n\r\n\n']]) {
    await tally.run(`${what} converts to zero rows (as an empty NDJSON shard does), with a non-nullable schema column`, async () => {
      const f = write(path.join(WORK, 'in', `${what.replace(/\W+/g, '_')}.csv`), content);
      const out = path.join(WORK, `empty-${what.replace(/\W+/g, '_')}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
      const p = [...expectExit(r, 0), ...countsProblems(r, 0, 0, 0)];
      if (r.code === 0 && !parts(out).length) p.push('no part file');
      return p;
    });
  }
  await tally.run('an empty CSV shard among others adds nothing (non-nullable schema column)', () => {
    const d3 = path.join(WORK, 'with-empty');
    write(path.join(d3, 'a.csv'), 'id,name,n\n1,a,2\n');
    write(path.join(d3, 'b.csv'), '');
    const r = kiln(['convert', d3, '-o', path.join(WORK, 'with-empty-out'), '--schema', schema, '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, 1, 1, 0)];
  });
  await tally.run('--skip-rows past the end of a file converts to zero rows (non-nullable schema column)', () => {
    const f = write(path.join(WORK, 'in', 'short.csv'), 'id,name,n\n1,a,2\n');
    const r = kiln(['convert', f, '-o', path.join(WORK, 'skip-all'), '--schema', schema, '--skip-rows', '5', '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, 0, 0, 0)];
  });
  // With every schema column nullable the same files pass; under the sanitizers they must also
  // leave no leak behind (the prologue names the columns of a file that has none).
  const nullable = write(path.join(WORK, 'nullable.schema.yaml'), schemaYaml([['id', 'int64'], ['name', 'string'], ['n', 'int32']]));
  for (const [what, content, extra] of [['an empty (0-byte) CSV shard', '', []], ['a CSV shard of blank lines', '\n\r\n\n', []],
    ['--skip-rows past the end of a file', 'id,name,n\n1,a,2\n', ['--skip-rows', '5']], ['a CSV shard of comment lines (--comment)', '# a\n# b\n', ['--comment', '#']]]) {
    await tally.run(`${what}, every schema column nullable: zero rows in one Parquet file, no sanitizer report`, async () => {
      const f = write(path.join(WORK, 'in', `n-${what.replace(/\W+/g, '_')}.csv`), content);
      const out = path.join(WORK, `empty-nullable-${what.replace(/\W+/g, '_')}`);
      const r = kiln(['convert', f, '-o', out, '--schema', nullable, ...extra, '-q']);
      const p = [...expectExit(r, 0), ...countsProblems(r, 0, 0, 0)];
      if (r.code === 0 && !parts(out).length) p.push('no part file');
      else if (r.code === 0 && (await readRows(parts(out), ['id'])).length) p.push('rows read back');
      return p;
    });
  }
  await tally.run('an empty CSV without a schema: a clear error (exit 2), no crash', () => {
    const f = write(path.join(WORK, 'in', 'empty-noschema.csv'), '');
    const r = kiln(['convert', f, '-o', path.join(WORK, 'empty-noschema'), '-q']);
    return expectExit(r, 2, { json: !!r.result });
  });
};

// Seeded random CSV: fields with delimiters, doubled quotes, LF / CRLF / CR inside quotes,
// empty and quoted-empty fields, multi-byte UTF-8, long fields; records ending in LF, CRLF or a
// lone CR. The values are known by construction.
function randomCsv(seed, records) {
  let x = BigInt(seed);
  const rnd = (n) => { x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return Number((x >> 33n) % BigInt(n)); };
  const alphabet = ['a', 'b', 'Z', '0', ' ', ',', '"', '\n', '\r\n', '\r', 'é', '漢', '😀', ';', '\t', '#', '\\'];
  const field = () => {
    const kind = rnd(10);
    if (kind === 0) return { text: '', value: null };
    if (kind === 1) return { text: '""', value: '' };
    let v = '';
    const len = kind === 2 ? 200 + rnd(3000) : rnd(12);
    for (let i = 0; i < len; i++) v += rnd(3) ? String.fromCharCode(97 + rnd(26)) : alphabet[rnd(alphabet.length)];
    const must = /[",\r\n]/.test(v) || v === '';
    const text = must || rnd(4) === 0 ? `"${v.replaceAll('"', '""')}"` : v;
    return { text, value: v };
  };
  const ends = ['\n', '\n', '\n', '\r\n', '\r\n', '\r'];
  const parts = ['id,a,b,c,n\n'], rows = [];
  for (let i = 0; i < records; i++) {
    const f = [field(), field(), field()];
    const n = rnd(2000) - 1000;
    const pad = rnd(5) === 0 ? ' ' : '';
    parts.push(`${i},${f.map((y) => y.text).join(',')},${pad}${n}${pad}`);
    rows.push([String(i), ...f.map((y) => y.value), n]);
    if (i < records - 1 || rnd(2)) parts.push(ends[rnd(ends.length)]);
  }
  return { text: parts.join(''), rows };
}

groups.random = async () => {
  const schema = write(path.join(WORK, 'random.schema.yaml'), schemaYaml([['id', 'int64', false], ['a', 'string'], ['b', 'string'], ['c', 'string'], ['n', 'int32']]));
  for (const seed of [1, 2, 3]) {
    const { text, rows } = randomCsv(seed, 6000);
    const f = write(path.join(WORK, 'in', `random-${seed}.csv`), text);
    await tally.run(`random CSV (seed ${seed}, ${rows.length} records, ${(text.length / 1048576).toFixed(1)} MiB): every value right; the same bytes with 2 threads x 8MiB, 64KiB, 4KiB morsels and 1 thread x 4KiB`, async () => {
      const p = [];
      const hashes = [];
      for (const args of [['--morsel-size', '8MiB'], ['--morsel-size', '64KiB'], ['--morsel-size', '4KiB'], ['--morsel-size', '4KiB', '--threads', '1']]) {
        const out = path.join(WORK, `random-${seed}-${args.join('')}`, 'out');
        const r = kiln(['convert', f, '-o', out, '--schema', schema, ...args, '-q']);
        p.push(...expectExit(r, 0), ...countsProblems(r, rows.length, rows.length, 0));
        if (r.code === 0 && hashes.length === 0) p.push(...diffRows(rows, await readRows(parts(out), ['id', 'a', 'b', 'c', 'n'])).map((x) => x.slice(0, 400)));
        hashes.push(partHashes(out));
        fs.rmSync(out, { recursive: true, force: true });
      }
      for (let i = 1; i < hashes.length; i++) p.push(...diffHashes(hashes[0], hashes[i]).map((x) => `run ${i + 1} vs 8MiB: ${x}`));
      return p;
    });
  }
};

if (!groups[group]) {
  console.error(`csv_test: unknown group ${group} (${Object.keys(groups).join(', ')})`);
  process.exit(1);
}
// Byte comparisons between runs mean nothing if the binary was rebuilt between them (its build
// hash is in every file's created_by): say so rather than report a difference.
const kilnStamp = () => { try { const st = fs.statSync(KILN); return `${st.size} bytes, modified ${st.mtime.toISOString()}`; } catch { return 'missing'; } };
const stamp = kilnStamp();
const t0 = Date.now();
await groups[group]();
console.log(`# ${group}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (kilnStamp() !== stamp) tally.record('the kiln binary stayed the same while the group ran', [`${KILN} was ${stamp}, is ${kilnStamp()}: rebuilt meanwhile? run again`]);
tally.finish();
