// bench/check_gen.mjs: checks that bench/kn_gen_orders makes what data/ and the benchmark rely
// on: byte-identical output for a seed whatever the run, thread count or sharding; the same
// records in NDJSON, CSV and XML; exact amounts; the dirty mode's duplicates, nulls and messy
// strings at the stated rates; notes that exercise escapes; and DuckDB reading the same values.
//
//   node bench/check_gen.mjs [--gen PATH] [--rows N] [--dir DIR]
//
// PATH defaults to $KN_GEN, then build/bench/kn_gen_orders under the repository. Ends with a
// line "N passed, M failed" and exits 1 when any check failed.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const gen = path.resolve(opt('--gen', process.env.KN_GEN || path.join(repo, 'build/bench/kn_gen_orders')));
const rows = Number(opt('--rows', '30000'));
const dir = fs.mkdtempSync(opt('--dir', path.join(os.tmpdir(), 'kn-check-gen-')));
if (!fs.existsSync(gen)) {
  console.error(`check_gen: no generator at ${gen}; build the kn_gen_orders target or pass --gen PATH`);
  process.exit(1);
}

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

function run(...a) {
  execFileSync(gen, ['-q', ...a], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const sha = (p) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');
const read = (p) => fs.readFileSync(p, 'utf8');

// ---- parsers for the three formats, into {field: string|null} records (text as written) ----

const FIELDS = ['order_id', 'ts', 'customer_id', 'category', 'region', 'product_id', 'quantity', 'unit_price',
  'amount', 'currency', 'status', 'channel', 'discount', 'is_prime', 'note'];

function parseNdjson(text) {
  return text.split('\n').filter((l) => l.length).map((l) => {
    const o = JSON.parse(l);
    const r = {};
    for (const f of FIELDS) r[f] = o[f] === null || o[f] === undefined ? null : String(o[f]);
    r._keys = Object.keys(o).join(',');
    return r;
  });
}

// RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; an unquoted empty
// field is null (the generator never writes an empty string).
function parseCsv(text) {
  const out = [];
  let row = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let val;
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted CSV field');
        s += text.slice(i, q);
        if (text[q + 1] === '"') {
          s += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      val = s;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      val = j === i ? null : text.slice(i, j);
      i = j;
    }
    row.push(val);
    if (text[i] === ',') {
      i++;
    } else {
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      out.push(row);
      row = [];
    }
  }
  const header = out.shift();
  return { header, records: out.map((r) => Object.fromEntries(FIELDS.map((f, k) => [f, r[k]]))) };
}

function xmlDecode(s) {
  if (s.startsWith('<![CDATA[')) return s.slice(9, -3);
  return s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e];
  });
}

function parseXml(text) {
  const out = [];
  const stats = { missing: 0, empty: 0 };
  for (const m of text.matchAll(/<order>([\s\S]*?)<\/order>/g)) {
    const r = Object.fromEntries(FIELDS.map((f) => [f, null]));
    let seen = 0;
    for (const c of m[1].matchAll(/<(\w+)\/>|<(\w+)>([\s\S]*?)<\/\2>/g)) {
      seen++;
      if (c[1]) {
        stats.empty++;
        r[c[1]] = null;
      } else {
        r[c[2]] = xmlDecode(c[3]);
      }
    }
    stats.missing += FIELDS.length - seen;
    out.push(r);
  }
  return { records: out, stats };
}

// Values compared by meaning: numbers as numbers ("12.0" == "12"), everything else as text.
const NUMERIC = new Set(['order_id', 'customer_id', 'quantity', 'unit_price', 'amount', 'discount']);
function sameRecords(a, b) {
  if (a.length !== b.length) return `row counts ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    for (const f of FIELDS) {
      const x = a[i][f];
      const y = b[i][f];
      const eq = x === null || y === null ? x === y : NUMERIC.has(f) ? Number(x) === Number(y) : x === y;
      if (!eq) return `row ${i} field ${f}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
    }
  }
  return '';
}

const cents = (s) => Math.round(Number(s) * 100);

// ---- the checks ----------------------------------------------------------------------------

const A = path.join(dir, 'a.ndjson');
const B = path.join(dir, 'b.ndjson');
run('--rows', String(rows), '--seed', '7', '-o', A);
run('--rows', String(rows), '--seed', '7', '-o', B);
check('the same seed gives the same bytes run after run', sha(A) === sha(B));

const T1 = path.join(dir, 't1.ndjson');
run('--rows', String(rows), '--seed', '7', '--threads', '1', '-o', T1);
check('the thread count does not change a byte', sha(A) === sha(T1));

run('--rows', String(rows), '--seed', '8', '-o', B);
check('another seed gives other records', sha(A) !== sha(B));

for (const dirty of [false, true]) {
  const d = dirty ? ['--dirty'] : [];
  const tag = dirty ? 'dirty' : 'clean';
  const files = {};
  for (const fmt of ['ndjson', 'csv', 'xml']) {
    files[fmt] = path.join(dir, `${tag}.${fmt}`);
    run('--rows', String(rows), '--seed', '7', '--format', fmt, ...d, '-o', files[fmt]);
    const sd = path.join(dir, `${tag}-${fmt}-shards`);
    run('--rows', String(rows), '--seed', '7', '--format', fmt, ...d, '--shards', '3', '-o', sd);
    const shardFiles = fs.readdirSync(sd).sort();
    const parts = shardFiles.map((f) => read(path.join(sd, f)));
    let joined;
    if (fmt === 'ndjson') joined = parts.join('');
    else if (fmt === 'csv') joined = parts[0] + parts.slice(1).map((p) => p.slice(p.indexOf('\n') + 1)).join('');
    else joined = parts.map((p, k) => p.slice(k ? p.indexOf('<orders>\n') + 9 : 0, k < parts.length - 1 ? p.lastIndexOf('</orders>') : p.length)).join('');
    check(`${tag} ${fmt}: 3 shards hold exactly the rows of one file, in order`,
      shardFiles.join() === `orders-00000.${fmt},orders-00001.${fmt},orders-00002.${fmt}` && joined === read(files[fmt]));
    const one = path.join(dir, `${tag}-${fmt}-one`);
    run('--rows', String(rows), '--seed', '7', '--format', fmt, ...d, '--shards', '3', '--shard-index', '1', '-o', one);
    check(`${tag} ${fmt}: --shard-index 1 alone writes the same shard 1`,
      fs.readdirSync(one).join() === `orders-00001.${fmt}` && sha(path.join(one, `orders-00001.${fmt}`)) === sha(path.join(sd, `orders-00001.${fmt}`)));
  }
  const nd = parseNdjson(read(files.ndjson));
  const csv = parseCsv(read(files.csv));
  const xml = parseXml(read(files.xml));
  check(`${tag}: NDJSON keys and CSV header are the schema's columns in order`,
    nd.every((r) => r._keys === FIELDS.join(',')) && csv.header.join(',') === FIELDS.join(','));
  check(`${tag}: CSV holds the same records as NDJSON`, sameRecords(nd, csv.records) === '', sameRecords(nd, csv.records));
  check(`${tag}: XML holds the same records as NDJSON`, sameRecords(nd, xml.records) === '', sameRecords(nd, xml.records));
  check(`${tag}: --rows N gives N records`, nd.length === rows);

  const tsRe = /^(\d{4})-(\d\d)-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
  const months = new Set();
  let tsOk = true;
  for (const r of nd) {
    const m = tsRe.exec(r.ts);
    if (!m || m[1] < '2023' || m[1] > '2025') tsOk = false;
    else months.add(`${m[1]}-${m[2]}`);
  }
  check(`${tag}: every ts is ISO-8601 with microseconds and Z in 2023-2025, all 36 months present`,
    tsOk && months.size === 36, `${months.size} months`);

  const amountBad = nd.filter((r) => r.amount !== null && r.quantity !== null && r.unit_price !== null && r.discount !== null &&
    cents(r.amount) !== Number(r.quantity) * cents(r.unit_price) - cents(r.discount));
  check(`${tag}: amount == quantity * unit_price - discount exactly`, amountBad.length === 0, `${amountBad.length} rows differ`);
  check(`${tag}: decimals have exactly two places (as CSV shows the text)`,
    csv.records.every((r) => [r.unit_price, r.amount].every((v) => v === null || /^\d+\.\d\d$/.test(v))));

  const ids = new Set(nd.map((r) => r.order_id));
  const dupShare = 1 - ids.size / nd.length;
  const nullShare = {};
  for (const f of FIELDS) nullShare[f] = nd.filter((r) => r[f] === null).length / nd.length;
  const vocab = ['category', 'region', 'currency', 'status', 'channel'];
  const padded = nd.filter((r) => vocab.some((f) => r[f] !== null && r[f] !== r[f].trim())).length;
  const upper = nd.filter((r) => r.category !== null && r.category.length > 3 && r.category === r.category.toUpperCase()).length;
  if (!dirty) {
    check('clean: order ids are unique and nothing is null', ids.size === nd.length && FIELDS.every((f) => nullShare[f] === 0));
    check('clean: vocabulary strings are trimmed and in their one spelling', padded === 0 && upper === 0);
  } else {
    check('dirty: 2-4% of rows repeat an earlier order id', dupShare >= 0.02 && dupShare <= 0.04, `${(dupShare * 100).toFixed(2)}%`);
    const nullable = FIELDS.filter((f) => f !== 'order_id' && f !== 'ts');
    check('dirty: order_id and ts are never null; every other column is null in 1-3% of rows',
      nullShare.order_id === 0 && nullShare.ts === 0 && nullable.every((f) => nullShare[f] >= 0.01 && nullShare[f] <= 0.03),
      nullable.map((f) => `${f} ${(nullShare[f] * 100).toFixed(1)}%`).join(' '));
    check('dirty: some vocabulary strings are padded and some upper-cased', padded > rows * 0.05 && upper > rows * 0.005,
      `${padded} padded rows, ${upper} upper-case categories`);
    check('dirty: XML writes nulls both as missing and as empty elements', xml.stats.missing > 0 && xml.stats.empty > 0,
      JSON.stringify(xml.stats));
    check('dirty: no empty strings (an empty CSV field or XML element always means null)',
      nd.every((r) => FIELDS.every((f) => r[f] !== '')));
  }

  const ndText = read(files.ndjson);
  const xmlText = read(files.xml);
  const csvText = read(files.csv);
  check(`${tag}: NDJSON notes hold \\" \\\\ \\n \\t and \\u escapes (with surrogate pairs) and raw UTF-8`,
    ['\\"', '\\\\', '\\n', '\\t', '\\u00e9', '\\ud83c'].every((s) => ndText.includes(s)) && /[\u0080-\uffff]/.test(ndText));
  check(`${tag}: XML notes hold &amp; &lt; character references and CDATA`,
    ['&amp;', '&lt;', '&#x', '<![CDATA['].every((s) => xmlText.includes(s)));
  check(`${tag}: CSV has quoted fields with commas, doubled quotes and line breaks`,
    /"[^"\n]*,[^"\n]*"/.test(csvText) && csvText.includes('""') && /"[^"]*\n[^"]*"/.test(csvText));
  const avgBytes = Buffer.byteLength(ndText) / rows;
  check(`${tag}: NDJSON records average 280-360 bytes`, avgBytes >= 280 && avgBytes <= 360, `${avgBytes.toFixed(1)} bytes`);

  // An independent reader: DuckDB with the schema reads the same values from NDJSON and CSV.
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const cols = "{order_id:'BIGINT',ts:'TIMESTAMPTZ',customer_id:'BIGINT',category:'VARCHAR',region:'VARCHAR'," +
    "product_id:'VARCHAR',quantity:'INTEGER',unit_price:'DECIMAL(10,2)',amount:'DECIMAL(12,2)',currency:'VARCHAR'," +
    "status:'VARCHAR',channel:'VARCHAR',discount:'DOUBLE',is_prime:'BOOLEAN',note:'VARCHAR'}";
  const agg = 'count(*)::VARCHAR, count(DISTINCT order_id)::VARCHAR, sum(amount)::VARCHAR, sum(length(note))::VARCHAR, ' +
    'count(note)::VARCHAR, count(is_prime) FILTER (WHERE is_prime)::VARCHAR, min(ts)::VARCHAR, max(ts)::VARCHAR';
  const q = async (src) => (await con.runAndReadAll(`SELECT ${agg} FROM ${src}`)).getRows()[0].join('|');
  const fromJson = await q(`read_json('${files.ndjson}', columns=${cols}, format='newline_delimited')`);
  const fromCsv = await q(`read_csv('${files.csv}', header=true, columns=${cols})`);
  const amountSum = nd.reduce((s, r) => s + (r.amount === null ? 0 : cents(r.amount)), 0);
  const noteLen = nd.reduce((s, r) => s + (r.note === null ? 0 : [...r.note].length), 0);
  const mine = [nd.length, ids.size, (amountSum / 100).toFixed(2), noteLen].join('|');
  check(`${tag}: DuckDB reads the same counts, sums and note lengths from NDJSON and CSV`,
    fromJson === fromCsv && fromJson.startsWith(mine + '|'), `json ${fromJson} / csv ${fromCsv} / mine ${mine}`);
  con.closeSync?.();
}

const schema = execFileSync(gen, ['--print-schema'], { encoding: 'utf8' });
const names = [...schema.matchAll(/- name: (\w+)/g)].map((m) => m[1]);
check('--print-schema lists the columns in record order', names.join(',') === FIELDS.join(','));
const committed = path.join(here, 'orders.schema.yaml');
check('bench/orders.schema.yaml is what --print-schema prints', fs.existsSync(committed) && read(committed) === schema);
const dataSchema = path.join(repo, 'data', 'orders.schema.yaml');
if (fs.existsSync(dataSchema)) check('data/orders.schema.yaml is what --print-schema prints', read(dataSchema) === schema);

// data/ holds what its README's command makes (seed 42, 2100 dirty rows, 3 shards per format).
if (fs.existsSync(path.join(repo, 'data', 'ndjson'))) {
  let same = true;
  for (const fmt of ['ndjson', 'csv', 'xml']) {
    const d = path.join(dir, `data-${fmt}`);
    run('--rows', '2100', '--seed', '42', '--dirty', '--shards', '3', '--format', fmt, '-o', d);
    for (const f of fs.readdirSync(d)) {
      const committedFile = path.join(repo, 'data', fmt, f);
      if (!fs.existsSync(committedFile) || sha(committedFile) !== sha(path.join(d, f))) same = false;
    }
    if (fs.readdirSync(path.join(repo, 'data', fmt)).length !== fs.readdirSync(d).length) same = false;
  }
  check('data/ndjson, data/csv and data/xml are exactly what data/README.md says made them', same);
}

// --years: the default span (3) is the data as it was before the option, and another span moves
// only ts (the same draws, so every other field is the same row for row), within its years.
{
  const f = (name) => path.join(dir, name);
  let same = true;
  for (const d of [[], ['--dirty']]) {
    run('--rows', String(rows), '--seed', '7', ...d, '-o', f('y-default.ndjson'));
    run('--rows', String(rows), '--seed', '7', ...d, '--years', '3', '-o', f('y3.ndjson'));
    if (sha(f('y-default.ndjson')) !== sha(f('y3.ndjson'))) same = false;
  }
  check('--years 3 writes the same bytes as no --years, clean and dirty', same);
  run('--rows', String(rows), '--seed', '7', '--dirty', '--years', '12', '-o', f('y12.ndjson'));
  const y3 = parseNdjson(read(f('y3.ndjson')));
  const y12 = parseNdjson(read(f('y12.ndjson')));
  const months = new Set();
  let inSpan = true;
  let otherFieldsSame = y3.length === y12.length;
  for (let i = 0; i < y12.length; i++) {
    const m = /^(\d{4})-(\d\d)-\d\dT/.exec(y12[i].ts);
    if (!m || m[1] < '2023' || m[1] > '2034') inSpan = false;
    else months.add(`${m[1]}-${m[2]}`);
    if (otherFieldsSame && FIELDS.some((k) => k !== 'ts' && y12[i][k] !== y3[i][k])) otherFieldsSame = false;
  }
  check('--years 12 --dirty: every ts in 2023-2034 (later updates clamped), all 144 months present',
    inSpan && months.size === 144, `${months.size} months`);
  check('--years 12 changes only ts: every other field is the 3-year data\'s, row for row', otherFieldsSame);
}

const bad = [['--format', 'ndjson', '-o', path.join(dir, 'x')], ['--rows', '5', '--format', 'yaml', '-o', path.join(dir, 'x')],
  ['--rows', '5', '--shards', '2', '--shard-index', '2', '-o', path.join(dir, 'x')], ['--rows', 'lots', '-o', path.join(dir, 'x')],
  ['--rows', '5', '--years', '0', '-o', path.join(dir, 'x')], ['--rows', '5', '--years', '101', '-o', path.join(dir, 'x')]];
check('bad usage exits 1 with a message', bad.every((a) => {
  const r = spawnSync(gen, a, { encoding: 'utf8' });
  return r.status === 1 && r.stderr.includes('kn_gen_orders:');
}));

// -o naming a device or FIFO (say /dev/null) must be written in place, never replaced by a
// renamed temporary file.
const fifo = path.join(dir, 'fifo');
if (spawnSync('mkfifo', [fifo]).status === 0) {
  const reader = spawnSync('sh', ['-c', `cat "${fifo}" | wc -c & "${gen}" -q --rows 100 -o "${fifo}"; wait`], { encoding: 'utf8' });
  check('-o a FIFO writes into it and leaves it a FIFO', fs.statSync(fifo).isFIFO() && Number(reader.stdout.trim()) > 100 * 280,
    `${reader.stdout.trim()} bytes`);
}

fs.rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
