// tests/interop/selftest.mjs: `node selftest.mjs WORKDIR` proves this harness's three readers
// decode Parquet correctly before they are trusted to judge kiln: DuckDB writes one table with
// every type kiln writes (nulls, NaN, +-Inf, -0, empty, multi-byte and >64 KiB strings, negative
// decimals of every width, pre-1970 dates and timestamps) once per codec with several row groups,
// and each reader must read back exactly the table's values in canonical form.
import { READERS, readWith, duckdbMetadata } from './readers.mjs';
import { diffColumns, Tally } from './check.mjs';
import { writeDuckFiles, DUCK_ROWS } from './duck_files.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node selftest.mjs WORKDIR');
  process.exit(1);
}
const tally = new Tally();
const { files, expected } = await writeDuckFiles(dir);
await tally.run('duckdb table holds the rows the harness expects', () =>
  expected.num_rows === DUCK_ROWS ? [] : [`${expected.num_rows} rows, expected ${DUCK_ROWS}`]);
for (const { codec, path } of files) {
  const groups = (await duckdbMetadata(path)).row_groups.length;
  await tally.run(`DuckDB wrote its ${codec} file in several row groups`, () =>
    groups > 1 ? [] : [`${groups} row group(s)`]);
  for (const reader of READERS) {
    await tally.run(`${reader} reads every value of a DuckDB-written ${codec} file`,
      async () => diffColumns(expected, await readWith(reader, path)));
  }
}
// The comparison itself must notice a difference: change one value, one type, drop one row.
await tally.run('the value comparison reports a single changed value, type or missing row', async () => {
  const got = await readWith('hyparquet', files[0].path);
  const problems = [];
  const changed = structuredClone(got);
  changed.data[7][4321] = changed.data[7][4321].replace(/.$/, (d) => String((Number(d) + 1) % 10));
  if (diffColumns(expected, changed).length !== 1) problems.push('a changed decimal digit went unnoticed');
  const retyped = structuredClone(got);
  retyped.columns[10].type = 'timestamp';
  if (!diffColumns(expected, retyped).length) problems.push('timestamp vs timestamptz went unnoticed');
  const shorter = structuredClone(got);
  shorter.data[2].pop();
  if (!diffColumns(expected, shorter).length) problems.push('a missing row went unnoticed');
  return problems;
});
tally.finish();
