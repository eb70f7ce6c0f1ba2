// tests/interop/duck_files.mjs: Parquet files that DuckDB writes, for testing the readers of this
// harness (selftest.mjs) and `kiln inspect` (inspect_check.mjs) on files kiln did not write.
//
// One table holds every type kiln writes, with nulls, NaN, infinities, -0, empty and multi-byte
// strings and one string over 64 KiB; it is written once per codec with small row groups.

import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readDuckdbSql } from './readers.mjs';

export const DUCK_CODECS = ['snappy', 'zstd', 'gzip', 'lz4_raw', 'uncompressed'];
export const DUCK_ROWS = 5000;
export const DUCK_ROW_GROUP = 1024;

const TABLE_SQL = `
CREATE OR REPLACE TABLE kiln_all_types AS
SELECT
  i::INTEGER AS i32,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 1234567891011)::BIGINT * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) END AS i64,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 3 = 0 THEN '' WHEN i % 11 = 0 THEN 'é漢字😀' || i::VARCHAR
       WHEN i = 4999 THEN repeat('x', 70000) ELSE 'str' || i::VARCHAR END AS s,
  CASE WHEN i % 13 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE i % 6 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
             WHEN 3 THEN '-0'::DOUBLE WHEN 4 THEN NULL ELSE i / 3.0 END AS f,
  CASE WHEN i % 4 = 0 THEN NULL ELSE (i * -0.37)::DECIMAL(9,2) END AS d9,
  (i * 123456.7891 - 300000000)::DECIMAL(18,4) AS d18,
  ((CASE WHEN i % 2 = 0 THEN '-' ELSE '' END) || (i * 7919)::VARCHAR || '1234567890123456789.0123456789')::DECIMAL(38,10) AS d38,
  CASE WHEN i % 9 = 0 THEN NULL ELSE DATE '1900-01-01' + (i * 37)::INTEGER END AS dt,
  TIMESTAMP '1960-01-01 00:00:00' + to_microseconds(i * 123456789012) AS ts,
  CASE WHEN i % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-02-29 12:34:56.789012+00' + to_microseconds(i * 1000003) END AS tz
FROM range(${DUCK_ROWS}) t(i)`;

// Writes one file per codec into `dir`. Returns { files: [{ codec, path }], expected, con }:
// `expected` is DuckDB's read of the table itself (not of a file), `con` the connection.
export async function writeDuckFiles(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try { await con.run("SET TimeZone = 'UTC'"); } catch { /* no ICU: UTC already */ }
  await con.run(TABLE_SQL);
  const files = [];
  for (const codec of DUCK_CODECS) {
    const p = path.join(dir, `duckdb_${codec}.parquet`);
    await con.run(`COPY kiln_all_types TO '${p}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${DUCK_ROW_GROUP})`);
    files.push({ codec, path: p });
  }
  const expected = await readDuckdbSql(con, 'SELECT * FROM kiln_all_types');
  return { files, expected, con };
}
