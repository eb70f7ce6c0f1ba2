// tests/interop/dump.mjs: `node dump.mjs FILE.parquet [READER]` prints what each reader (or one:
// duckdb, arrow-rs, hyparquet) reads from a Parquet file, in canonical JSON (canon.mjs), one
// object per reader with rows as arrays, then DuckDB's footer metadata. For looking at a file by
// hand and for debugging a failed comparison.
import { READERS, readWith, duckdbMetadata } from './readers.mjs';
import { toJson } from './canon.mjs';

const [path, only] = process.argv.slice(2);
if (!path) {
  console.error('usage: node dump.mjs FILE.parquet [duckdb|arrow-rs|hyparquet]');
  process.exit(1);
}
for (const reader of only ? [only] : READERS) {
  const got = await readWith(reader, path);
  const rows = [];
  for (let r = 0; r < got.num_rows; r++) rows.push(got.data.map((col) => col[r]));
  console.log(toJson({ reader, columns: got.columns, num_rows: got.num_rows, rows }));
}
if (!only) console.log(toJson({ duckdb_metadata: await duckdbMetadata(path) }));
