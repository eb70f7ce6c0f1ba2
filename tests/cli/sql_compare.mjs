// tests/cli/sql_compare.mjs: reading kiln's output back with DuckDB and comparing query
// results as multisets, for the end-to-end tests (csv_test, xml_test).
import { duckdbConnection, sqlString } from '../interop/readers.mjs';
import { toJson } from '../interop/canon.mjs';

// A DuckDB list literal of Parquet paths.
export function parquetList(files) {
  return `[${files.map(sqlString).join(', ')}]`;
}

// The rows of a query, as DuckDB's JSON values.
export async function sqlRows(sql) {
  const con = await duckdbConnection();
  return (await con.runAndReadAll(sql)).getRowsJson();
}

// Rows of query a not in query b and the other way round (as multisets: EXCEPT ALL), with a
// few examples of each.
export async function exceptAllProblems(labelA, a, labelB, b) {
  const p = [];
  for (const [la, qa, lb, qb] of [[labelA, a, labelB, b], [labelB, b, labelA, a]]) {
    const n = Number((await sqlRows(`SELECT count(*) FROM (${qa} EXCEPT ALL ${qb})`))[0][0]);
    if (n) {
      p.push(`${n} rows of ${la} are not in ${lb}, e.g.:`);
      for (const row of await sqlRows(`SELECT * FROM (${qa} EXCEPT ALL ${qb}) LIMIT 3`)) p.push(`    ${toJson(row).slice(0, 400)}`);
    }
  }
  return p;
}
