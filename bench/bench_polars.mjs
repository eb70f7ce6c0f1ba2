// bench/bench_polars.mjs: Polars' side of bench.sh (nodejs-polars), plain and partitioned.
//
//   POLARS_MAX_THREADS=T node bench_polars.mjs convert --input GLOB --out FILE --codec zstd|snappy [--level L]
//                                              [--format ndjson|csv --schema YAML]
//     Lazily scans the NDJSON shards (pl.scanJson on the glob), casts the columns to the types of
//     bench/orders.schema.yaml and streams the result into one Parquet file with sinkParquet.
//     With --format csv it scans the CSV twin of the shards instead, with pl.scanCSV and the
//     schema YAML given as the explicit schema (no inference, no casts; see below).
//
//   POLARS_MAX_THREADS=T node bench_polars.mjs partition --input GLOB --out DIR --codec C [--level L]
//                                              [--batch-bytes B] [--format ndjson|csv --schema YAML]
//                                              [--keys year,month|date|year,month,day,hour]
//     The same rows written Hive-style as DIR/year=Y/month=M/part-K.parquet (--keys, default
//     year,month; date gives DIR/date=2024-03-05/part-K.parquet), the keys taken from ts (UTC)
//     and left out of the files (as DuckDB's PARTITION_BY and kiln do).
//
// Prints one JSON line: rows, seconds (inside the process), what it ran.
//
// Why it looks like this (nodejs-polars 0.24.1, the newest whose native package installs on
// node 20):
// - scanJson takes no schema, so Polars infers one from the first 100 records (ints as Int64,
//   ts as String, unit_price and amount as Float64) and the plan casts to the kiln schema:
//   ts through str.strptime with an offset (%#z takes the trailing Z) giving datetime[us, UTC],
//   quantity to Int32, the prices to Decimal(10,2) and Decimal(12,2). DuckDB then reads the same
//   schema and the same values from Polars' file as from kiln's (bench.sh checks it).
// - CSV: scanCSV takes a complete schema, so the columns are read straight into the kiln
//   schema's types (int64 Int64, int32 Int32, decimal(p,s) Decimal(p,s), float64 Float64,
//   bool Bool, timestamptz Datetime('us', 'UTC'): Polars parses the generator's
//   2024-06-23T05:11:48.620305Z as is). hasHeader, ',' and '"' are said explicitly, and
//   ignoreErrors is set to false (nodejs-polars defaults it to true, which would turn a value
//   that does not parse into a NULL silently). An unquoted empty field is NULL (Polars'
//   default), as in kiln and DuckDB.
// - There is no partitioned sink in nodejs-polars (Python's PartitionByKey is not exposed), and
//   collecting 30M rows into one DataFrame takes ~20 GB. So `partition` collects the input in
//   batches of whole files of about --batch-bytes (default 1 GiB) of NDJSON or CSV, splits each
//   batch with DataFrame.partitionBy and sinks each piece: one file per partition per batch. So
//   files = folders x batches, and each is a sinkParquet call of its own: fine for 36 or 144
//   folders, heavy for 1,096 days, and for 26,304 hours (30M rows: 11 batches, ~100 rows a
//   piece, ~290k files) no longer a measure of Polars' writing speed; bench.sh leaves Polars out
//   of its hour mode for that reason.
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';

const [cmd, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i].startsWith('--') || i + 1 >= rest.length) {
    console.error(`bench_polars: bad argument ${rest[i]}`);
    process.exit(1);
  }
  opt[rest[i].slice(2)] = rest[i + 1];
}
if (!['convert', 'partition'].includes(cmd) || !opt.input || !opt.out) {
  console.error('usage: node bench_polars.mjs convert|partition --input GLOB --out PATH --codec zstd|snappy [--level L] (see the header comment)');
  process.exit(1);
}
const codec = (opt.codec || 'zstd').toLowerCase();
if (!['snappy', 'zstd'].includes(codec)) throw new Error(`--codec ${codec}: snappy or zstd`);
const format = (opt.format || 'ndjson').toLowerCase();
if (!['ndjson', 'csv'].includes(format)) throw new Error(`--format ${format}: ndjson or csv`);
if (format === 'csv' && !opt.schema) throw new Error('--format csv needs --schema YAML');
const sinkOptions = { compression: codec, ...(codec === 'zstd' ? { compressionLevel: Number(opt.level || 3) } : {}) };

// The shards the glob names (only a '*' in the file name part is supported, which is all
// bench.sh passes), sorted like the shell sorts them.
function expand(glob) {
  const dir = path.dirname(glob);
  const re = new RegExp(`^${path.basename(glob).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return fs.readdirSync(dir).filter((n) => re.test(n) && !n.startsWith('.')).sort().map((n) => path.join(dir, n));
}

// The kiln schema YAML ("columns: - name: x / type: t") as a Polars schema (CSV only).
function polarsSchema(yamlPath) {
  const text = fs.readFileSync(yamlPath, 'utf8');
  const schema = {};
  for (const m of text.matchAll(/-\s*name:\s*"?([^"\n]+?)"?\s*\n\s*type:\s*(\S+)/g)) {
    const t = m[2].toLowerCase();
    const dec = /^decimal\((\d+),(\d+)\)$/.exec(t);
    const map = {
      string: pl.Utf8, bool: pl.Bool, int32: pl.Int32, int64: pl.Int64, float64: pl.Float64, date: pl.Date,
      timestamp: pl.Datetime('us'), timestamptz: pl.Datetime('us', 'UTC'),
    };
    const dt = dec ? pl.Decimal(Number(dec[1]), Number(dec[2])) : map[t];
    if (!dt) throw new Error(`${yamlPath}: type ${t} has no Polars mapping here`);
    schema[m[1]] = dt;
  }
  if (!Object.keys(schema).length) throw new Error(`${yamlPath}: no columns found`);
  return schema;
}
const csvOptions = format === 'csv' ?
  { schema: polarsSchema(opt.schema), hasHeader: true, sep: ',', quoteChar: '"', ignoreErrors: false } : null;

// The scan of a file or glob with the kiln schema's types (see the header comment).
const typed = (lf) => lf.withColumns(
  pl.col('ts').str.strptime(pl.Datetime('ms'), '%Y-%m-%dT%H:%M:%S%.f%#z').alias('ts'),
  pl.col('quantity').cast(pl.Int32),
  pl.col('unit_price').cast(pl.Decimal(10, 2)),
  pl.col('amount').cast(pl.Decimal(12, 2)),
);
const scan = (p) => (format === 'csv' ? pl.scanCSV(p, csvOptions) : typed(pl.scanJson(p)));
const scanName = format === 'csv' ? 'scanCSV' : 'scanJson';
const castsName = format === 'csv' ? `{schema of ${path.basename(opt.schema)}, hasHeader, ',', '"', ignoreErrors: false}` : 'casts';

// The partition keys as Polars expressions on ts; a key's value as text is its folder's (integers
// unpadded, the date as ISO), the same text as kiln's and DuckDB's folders.
const KEY_EXPR = {
  year: () => pl.col('ts').date.year(), month: () => pl.col('ts').date.month(), day: () => pl.col('ts').date.day(),
  hour: () => pl.col('ts').date.hour(), date: () => pl.col('ts').date.strftime('%Y-%m-%d'),
};
const keys = (opt.keys || 'year,month').split(',').map((k) => k.trim());
for (const k of keys) if (!KEY_EXPR[k]) throw new Error(`--keys ${opt.keys}: each key is one of ${Object.keys(KEY_EXPR).join(', ')}`);

const threads = process.env.POLARS_MAX_THREADS || 'default';
const t0 = process.hrtime.bigint();
let rows = 0;
let files = 0;
let how;
if (cmd === 'convert') {
  how = `${scanName}(${opt.input}) + ${castsName} -> sinkParquet(${opt.out}, ${JSON.stringify(sinkOptions)})`;
  await scan(opt.input).sinkParquet(opt.out, sinkOptions).collect();
  files = 1;
} else {
  const inputs = expand(opt.input);
  if (!inputs.length) throw new Error(`no files match ${opt.input}`);
  const budget = Number(opt['batch-bytes'] || 2 ** 30);
  const batches = [];
  let cur = [];
  let curBytes = 0;
  for (const f of inputs) {
    const b = fs.statSync(f).size;
    if (cur.length && curBytes + b > budget) { batches.push(cur); cur = []; curBytes = 0; }
    cur.push(f);
    curBytes += b;
  }
  if (cur.length) batches.push(cur);
  how = `${batches.length} batches of <= ${budget} bytes: concat(${scanName} per file) + ${castsName} + ${keys.join('/')} -> collect -> ` +
    `partitionBy(${keys.join(', ')}) -> sinkParquet(DIR/${keys.map((k) => `${k}=..`).join('/')}/part-K.parquet, ${JSON.stringify(sinkOptions)})`;
  fs.mkdirSync(opt.out, { recursive: true });
  for (let k = 0; k < batches.length; k++) {
    const lf = (format === 'csv' ? pl.concat(batches[k].map(scan), { how: 'vertical' })
      : typed(pl.concat(batches[k].map((f) => pl.scanJson(f)), { how: 'vertical' })))
      .withColumns(...keys.map((key) => KEY_EXPR[key]().alias(key)));
    const df = await lf.collect();
    for (const part of df.partitionBy(keys, true, true)) {
      const dir = path.join(opt.out, ...keys.map((key) => `${key}=${part.getColumn(key).get(0)}`));
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `part-${String(k).padStart(5, '0')}.parquet`);
      await part.drop(keys).lazy().sinkParquet(file, sinkOptions).collect();
      rows += part.height;
      files++;
    }
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
// Rows of the plain output from the Parquet footer (not timed: after `seconds`).
if (cmd === 'convert') rows = Number((await pl.scanParquet(opt.out).select(pl.len().alias('n')).collect()).getColumn('n').get(0));
console.log(JSON.stringify({ engine: 'polars', version: pl.version, rows, files, seconds, threads, codec, how }));
