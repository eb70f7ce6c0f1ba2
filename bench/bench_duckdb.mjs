// bench/bench_duckdb.mjs: DuckDB's side of bench.sh, and the check that two Parquet outputs hold
// the same data.
//
//   node bench_duckdb.mjs convert --input GLOB --schema YAML --out FILE --codec zstd|snappy --threads N [--level L]
//                                 [--format ndjson|csv]
//     Runs COPY (SELECT * FROM read_json(GLOB, columns={...}, format='newline_delimited'))
//     TO FILE (FORMAT parquet, COMPRESSION codec[, COMPRESSION_LEVEL L (zstd, default 3)]) with
//     the columns taken from the kiln schema file, so both engines parse the same types.
//
//   node bench_duckdb.mjs partition --input GLOB --schema YAML --out DIR --codec C --threads N [--level L]
//                                   [--format ndjson|csv] [--keys year,month|date|year,month,day,hour]
//     The same rows written Hive-style under DIR, one computed column per key of --keys (default
//     year,month), each named as kiln names the folder key of the same function of ts:
//       year,month           SELECT *, year(ts) AS year, month(ts) AS month ... PARTITION_BY (year, month)
//       date                 SELECT *, ts::DATE AS "date" ... PARTITION_BY ("date")
//       year,month,day,hour  the same with day(ts) AS day, hour(ts) AS hour (day of the month)
//     COPY (SELECT ... FROM read_json(...)) TO DIR (FORMAT parquet, PARTITION_BY (...), ...).
//     The folders are the same text as kiln's: year=2024/month=3 (no padding), date=2024-03-05.
//     DuckDB leaves the partition columns out of the files (WRITE_PARTITION_COLUMNS is false by
//     default), so the files hold the 15 schema columns, like kiln's for keys derived from ts.
//     TimeZone is set to UTC so year()/month()/day()/hour() and ::DATE of a TIMESTAMPTZ are the
//     UTC ones, as in kiln. Everything else is DuckDB's default, partitioned_write_max_open_files
//     (100) included: past it DuckDB closes a folder's file and later opens another in it.
//
//   With --format csv (default ndjson) both read the CSV twin of the shards instead:
//     read_csv(GLOB, columns = {...}, header = true, delim = ',', quote = '"', escape = '"',
//              timestampformat = '%Y-%m-%dT%H:%M:%S.%f%z', auto_detect = false, ignore_errors = false)
//     The same typed columns (decimals as DECIMAL(p,s)), RFC 4180 quoting as kn_gen_orders
//     writes it (quotes doubled, line breaks inside quotes), the generator's one timestamp
//     format (six fractional digits, 'Z'), no sniffing, and any row DuckDB cannot read fails
//     the run instead of being dropped. Unquoted empty fields are NULL (DuckDB's default).
//
//   Both print one JSON line: rows, seconds (inside the process), the query.
//
//   node bench_duckdb.mjs compare --a GLOB --b GLOB [--keys KEYS]
//     Reads both Parquet sets and compares row count, column names and types, and per-column
//     aggregates (count, min, max, sums of value hashes). With --keys (as for partition; the
//     globs then name files in folders, like DIR/*/*/*.parquet) it also groups each set's rows
//     by the folder path of their file below the glob's fixed part: both sets must have the same
//     folders, by name, with the same rows in each, and no row may sit in a folder other than
//     the one its ts's UTC values name (year=2024/month=3, date=2024-03-05). Prints one JSON
//     line (with the folder count); exits 1 if they differ.
//
//   node bench_duckdb.mjs compare --a GLOB --keys KEYS
//     One partitioned set alone: its row count and folders, and no row in a folder other than
//     its ts's (one scan; for a mode with no peer output to compare). Exits 1 on a misplaced row.
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [cmd, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i].startsWith('--') || i + 1 >= rest.length) {
    console.error(`bench_duckdb: bad argument ${rest[i]}`);
    process.exit(1);
  }
  opt[rest[i].slice(2)] = rest[i + 1];
}
const sql = (s) => `'${String(s).replaceAll("'", "''")}'`;

// The partition keys (functions of ts) as DuckDB expressions of the folder key's value, in
// kiln's folder names. The value's text is the folder's: integers unpadded, a DATE as ISO.
const KEY_EXPR = { year: 'year(ts)', month: 'month(ts)', day: 'day(ts)', hour: 'hour(ts)', date: 'ts::DATE' };
const keys = (opt.keys || 'year,month').split(',').map((k) => k.trim());
for (const k of keys) if (!KEY_EXPR[k]) throw new Error(`--keys ${opt.keys}: each key is one of ${Object.keys(KEY_EXPR).join(', ')}`);
const ident = (k) => `"${k}"`;

// The kiln schema YAML ("columns: - name: x / type: t") as DuckDB column types.
function duckColumns(yamlPath) {
  const text = fs.readFileSync(yamlPath, 'utf8');
  const cols = [];
  for (const m of text.matchAll(/-\s*name:\s*"?([^"\n]+?)"?\s*\n\s*type:\s*(\S+)/g)) {
    const t = m[2].toLowerCase();
    const dec = /^decimal\((\d+),(\d+)\)$/.exec(t);
    const map = {
      string: 'VARCHAR', bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE',
      date: 'DATE', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ',
    };
    const duck = dec ? `DECIMAL(${dec[1]},${dec[2]})` : map[t];
    if (!duck) throw new Error(`${yamlPath}: type ${t} has no DuckDB mapping here`);
    cols.push(`${sql(m[1])}: ${sql(duck)}`);
  }
  if (!cols.length) throw new Error(`${yamlPath}: no columns found`);
  return `{${cols.join(', ')}}`;
}

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run("SET TimeZone = 'UTC'");

if (cmd === 'convert' || cmd === 'partition') {
  const codec = (opt.codec || 'snappy').toLowerCase();
  if (!['snappy', 'zstd'].includes(codec)) throw new Error(`--codec ${codec}: snappy or zstd`);
  const threads = Number(opt.threads || 1);
  await con.run(`SET threads = ${threads}`);
  const format = (opt.format || 'ndjson').toLowerCase();
  let scan;
  if (format === 'ndjson') {
    scan = `read_json(${sql(opt.input)}, columns = ${duckColumns(opt.schema)}, format = 'newline_delimited')`;
  } else if (format === 'csv') {
    scan = `read_csv(${sql(opt.input)}, columns = ${duckColumns(opt.schema)}, header = true, delim = ',', ` +
      `quote = '"', escape = '"', timestampformat = '%Y-%m-%dT%H:%M:%S.%f%z', auto_detect = false, ignore_errors = false)`;
  } else {
    throw new Error(`--format ${format}: ndjson or csv`);
  }
  const select = cmd === 'convert' ? `SELECT * FROM ${scan}`
    : `SELECT *, ${keys.map((k) => `${KEY_EXPR[k]} AS ${ident(k)}`).join(', ')} FROM ${scan}`;
  const q = `COPY (${select}) TO ${sql(opt.out)} (FORMAT parquet, ` +
    `${cmd === 'partition' ? `PARTITION_BY (${keys.map(ident).join(', ')}), ` : ''}COMPRESSION ${codec}` +
    // kiln's zstd level is 3 unless told otherwise; say the same to DuckDB rather than trust
    // that its default matches.
    `${codec === 'zstd' ? `, COMPRESSION_LEVEL ${Number(opt.level || 3)}` : ''})`;
  const t0 = process.hrtime.bigint();
  const res = await con.run(q);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = Number(res.rowsChanged);
  const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
  console.log(JSON.stringify({ engine: 'duckdb', version, rows, seconds, threads, codec, query: q }));
} else if (cmd === 'compare') {
  const partitioned = Boolean(opt.keys) || opt.partitioned === '1';
  if (!opt.a || (!opt.b && !partitioned)) throw new Error('compare: --a GLOB --b GLOB [--keys KEYS], or --a GLOB --keys KEYS');
  // Rows per folder (its path below the glob's fixed part, as text, so year=2024/month=3 and
  // year=2024/month=03 would differ), and rows whose folder is not the one their ts names.
  const want = keys.map((k) => `'${k}=' || (${KEY_EXPR[k]})::VARCHAR`).join(` || '/' || `);
  const parts = async (g) => {
    const root = g.slice(0, g.indexOf('*')).replace(/\/+$/, '');
    const folder = `substr(regexp_replace(filename, '/[^/]*$', ''), ${root.length + 2})`;
    const rows = (await con.runAndReadAll(
      `SELECT ${folder} AS folder, count(*) AS n, count(*) FILTER (WHERE ${folder} <> ${want}) AS bad ` +
      `FROM read_parquet(${sql(g)}, hive_partitioning = false, filename = true) GROUP BY ALL ORDER BY ALL`)).getRows();
    return rows.map((r) => [String(r[0]), Number(r[1]), Number(r[2])]);
  };
  const misplaced = (p) => p.reduce((s, r) => s + r[2], 0);
  const diffs = [];
  const out = { same: false, rows: 0 };
  if (!opt.b) {
    // One set alone (no peer output to hold it against): only its folders are checked, in one
    // scan; reading tens of thousands of small files is what costs here.
    const pa = await parts(opt.a);
    if (misplaced(pa)) diffs.push(`${misplaced(pa)} rows sit in a folder not of their ts`);
    out.rows = pa.reduce((s, r) => s + r[1], 0);
    out.folders = pa.length;
  } else {
    // hive_partitioning = false: compare the columns the files hold, not folder names.
    const src = (g) => `read_parquet(${sql(g)}, hive_partitioning = false)`;
    const desc = async (g) => (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src(g)}`)).getRows()
      .map((r) => `${r[0]}:${r[1]}`);
    const da = await desc(opt.a);
    const db2 = await desc(opt.b);
    // Aggregates that do not depend on row order or file split: counts, min/max, and a hash sum
    // per column (hash of the text form, so equal values give equal sums whatever the type).
    const names = da.map((d) => d.slice(0, d.lastIndexOf(':')));
    const aggs = ['count(*)::VARCHAR'];
    for (const n of names) {
      const c = `"${n.replaceAll('"', '""')}"`;
      aggs.push(`count(${c})::VARCHAR`, `min(${c})::VARCHAR`, `max(${c})::VARCHAR`,
        `sum(hash(${c}::VARCHAR) % 1000000007)::VARCHAR`);
    }
    const agg = async (g) => (await con.runAndReadAll(`SELECT ${aggs.join(', ')} FROM ${src(g)}`)).getRows()[0];
    const a = await agg(opt.a);
    const b = await agg(opt.b);
    if (da.join() !== db2.join()) diffs.push(`schema: ${da.join(' ')} vs ${db2.join(' ')}`);
    else for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(`${aggs[i]}: ${a[i]} vs ${b[i]}`);
    out.rows = Number(a[0]);
    if (partitioned) {
      const pa = await parts(opt.a);
      const pb = await parts(opt.b);
      if (misplaced(pa)) diffs.push(`a: ${misplaced(pa)} rows sit in a folder not of their ts`);
      if (misplaced(pb)) diffs.push(`b: ${misplaced(pb)} rows sit in a folder not of their ts`);
      const key = (p) => p.map((r) => `${r[0]}:${r[1]}`);
      const ka = key(pa);
      const kb = key(pb);
      if (ka.join(' ') !== kb.join(' ')) {
        const i = ka.findIndex((x, j) => x !== kb[j]);
        diffs.push(`rows per folder differ (${ka.length} vs ${kb.length} folders); first difference: ${ka[i] ?? '(none)'} vs ${kb[i] ?? '(none)'}`);
      }
      out.folders = pa.length;
    }
  }
  out.same = diffs.length === 0;
  out.diffs = diffs.slice(0, 10);
  console.log(JSON.stringify(out));
  process.exitCode = diffs.length ? 1 : 0;
} else {
  console.error('usage: node bench_duckdb.mjs convert|partition|compare --option value ... (see the header comment)');
  process.exit(1);
}
