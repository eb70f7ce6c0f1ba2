// tests/interop/readers.mjs: reads one Parquet file with each of three independent readers and
// returns its columns in the canonical form of canon.mjs, plus DuckDB's view of the footer.
//
//   DuckDB     @duckdb/node-api: DuckDB's own C++ Parquet reader
//   arrow-rs   parquet-wasm: the Rust `parquet` crate compiled to WebAssembly; its Arrow IPC
//              output is decoded with apache-arrow (JS), reading the raw value buffers so no
//              value passes through a lossy JavaScript conversion
//   hyparquet  a pure JavaScript reader; its decimal conversion goes through floating point, so
//              the DECIMAL annotation is taken off its copy of the schema and the raw integers /
//              big-endian bytes are scaled here instead (the page decoding is still its own)
//
// Every reader returns { reader, num_rows, columns: [{ name, type }], data: [column arrays] }
// (hyparquet adds its decoding of the footer and a count of data pages per column).
// A type a reader reports that kiln never writes is spelled "other:<what the reader said>".

import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import * as parquetWasm from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { compressors as hyCompressors } from 'hyparquet-compressors';
import {
  canonDate, canonDecimal, canonDecimalText, canonDouble, canonDoubleText, canonTimestamp,
  timestampTextToCanon,
} from './canon.mjs';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

export const READERS = ['duckdb', 'arrow-rs', 'hyparquet'];

/* ------------------------------------------------------------------------------------ DuckDB */

let duck = null;
async function duckdb() {
  if (!duck) {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    // Statistics and TIMESTAMPTZ values are spelled in the session's time zone; pin it.
    try { await con.run("SET TimeZone = 'UTC'"); } catch { /* without ICU, UTC is all there is */ }
    duck = { inst, con };
  }
  return duck.con;
}

export function sqlString(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

function duckTypeName(t) {
  const s = t.toString();
  if (s === 'VARCHAR') return 'string';
  if (s === 'BOOLEAN') return 'bool';
  if (s === 'INTEGER') return 'int32';
  if (s === 'BIGINT') return 'int64';
  if (s === 'DOUBLE') return 'float64';
  if (s === 'DATE') return 'date';
  if (s === 'TIMESTAMP') return 'timestamp';
  if (s === 'TIMESTAMP WITH TIME ZONE') return 'timestamptz';
  const m = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(s);
  if (m) return `decimal(${m[1]},${m[2]})`;
  return `other:${s}`;
}

function duckValue(type, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string': return v;
    case 'bool': return v;
    case 'int32': return v;
    case 'int64': return BigInt(v).toString();
    case 'float64': return canonDouble(v);
    case 'date': return canonDate(v.days);
    case 'timestamp':
    case 'timestamptz': return canonTimestamp(v.micros);
    default:
      if (type.startsWith('decimal(')) return canonDecimal(BigInt(v.value), v.scale);
      return typeof v === 'bigint' ? v.toString() : String(v);
  }
}

// Reads `path` with DuckDB's Parquet reader (all columns, or the named ones).
export async function readDuckdb(path, columns) {
  const list = columns ? columns.map(sqlIdent).join(', ') : '*';
  return readDuckdbSql(await duckdb(), `SELECT ${list} FROM read_parquet(${sqlString(path)})`);
}

// The harness's DuckDB connection, for queries of a test's own (e.g. read_json references).
export async function duckdbConnection() {
  return duckdb();
}

export function sqlIdent(name) {
  return `"${String(name).replaceAll('"', '""')}"`;
}

// Runs `sql` on the DuckDB connection `con` (any query: read_json, a table) and returns its
// result in the same canonical form.
export async function readDuckdbSql(con, sql) {
  const reader = await con.runAndReadAll(sql);
  const names = reader.columnNames();
  const types = reader.columnTypes().map(duckTypeName);
  const data = names.map(() => []);
  const rows = reader.getRows();
  for (const row of rows) {
    for (let c = 0; c < names.length; c++) data[c].push(duckValue(types[c], row[c]));
  }
  return {
    reader: 'duckdb',
    num_rows: rows.length,
    columns: names.map((name, c) => ({ name, type: types[c] })),
    data,
  };
}

// DuckDB's view of the footer: parquet_file_metadata, parquet_schema, parquet_metadata (one
// entry per row group, each with one entry per column chunk) and parquet_kv_metadata.
export async function duckdbMetadata(path) {
  const con = await duckdb();
  const q = async (fn) => (await con.runAndReadAll(`SELECT * FROM ${fn}(${sqlString(path)})`)).getRowObjectsJson();
  const file = (await q('parquet_file_metadata'))[0];
  const schema = await q('parquet_schema');
  const chunks = await q('parquet_metadata');
  const kvRows = await q('parquet_kv_metadata');
  const rowGroups = [];
  for (const ch of chunks) {
    const g = Number(ch.row_group_id);
    rowGroups[g] ??= { num_rows: Number(ch.row_group_num_rows), columns: [] };
    rowGroups[g].columns[Number(ch.column_id)] = ch;
  }
  // parquet_kv_metadata returns keys and values as BLOBs, spelled with \xHH escapes for bytes
  // outside printable ASCII; an absent value reads as an empty one.
  const kv = kvRows.map((r) => ({ key: blobText(r.key), value: r.value === null ? null : blobText(r.value) }));
  return { file, schema, row_groups: rowGroups, kv };
}

function blobText(blob) {
  const bytes = [];
  const s = String(blob);
  for (let i = 0; i < s.length; i++) {
    const m = s[i] === '\\' && /^\\x([0-9A-Fa-f]{2})/.exec(s.slice(i, i + 4));
    if (m) { bytes.push(parseInt(m[1], 16)); i += 3; } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/* ---------------------------------------------------------------------- arrow-rs (parquet-wasm) */

function arrowTypeName(t) {
  const name = t.constructor.name;
  switch (t.typeId) {
    case 5: /* Utf8 */
    case 20: /* LargeUtf8 */
      return 'string';
    case 6: return 'bool';
    case 2: /* Int */
      if (t.isSigned && t.bitWidth === 32) return 'int32';
      if (t.isSigned && t.bitWidth === 64) return 'int64';
      return `other:${t}`;
    case 3: /* Float */
      return t.precision === 2 ? 'float64' : `other:${t}`;
    case 7: return `decimal(${t.precision},${t.scale})`;
    case 8: return t.unit === 0 ? 'date' : `other:${t}`; /* Date32 (days) only */
    case 10: /* Timestamp */
      if (t.unit !== 2) return `other:${t}`; /* kiln writes microseconds */
      return t.timezone ? (['UTC', '+00:00', 'Etc/UTC'].includes(t.timezone) ? 'timestamptz' : `other:${t}`) : 'timestamp';
    default:
      return `other:${name}:${t}`;
  }
}

function bitSet(bytes, i) {
  return (bytes[i >> 3] >> (i & 7)) & 1;
}

// One value of an Arrow Data chunk at index `i` (already offset), from the raw buffers.
export function arrowRaw(type, data, i) {
  if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length && !bitSet(data.nullBitmap, i)) return null;
  const t = data.type;
  switch (type) {
    case 'string': {
      const start = Number(data.valueOffsets[i]), end = Number(data.valueOffsets[i + 1]);
      return utf8.decode(data.values.subarray(start, end));
    }
    case 'bool': return bitSet(data.values, i) === 1;
    case 'int32': return data.values[i];
    case 'int64': return BigInt(data.values[i]).toString();
    case 'float64': return canonDouble(data.values[i]);
    case 'date': return canonDate(data.values[i]);
    case 'timestamp':
    case 'timestamptz': return canonTimestamp(data.values[i]);
    default:
      if (type.startsWith('decimal(')) {
        const words = t.bitWidth / 32;
        let v = 0n;
        for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(data.values[i * words + w]);
        if (v >= 1n << BigInt(t.bitWidth - 1)) v -= 1n << BigInt(t.bitWidth);
        return canonDecimal(v, t.scale);
      }
      return `unsupported:${t}`;
  }
}

export async function readArrow(path, only) {
  const bytes = new Uint8Array(fs.readFileSync(path));
  // parquet-wasm 0.8.0's synchronous readParquet ignores its `columns` option, so the columns
  // are picked from the decoded table instead.
  const wasmTable = parquetWasm.readParquet(bytes, { batchSize: 65536 });
  const table = tableFromIPC(wasmTable.intoIPCStream());
  const picked = table.schema.fields.map((f, i) => ({ f, i })).filter(({ f }) => !only || only.includes(f.name));
  const columns = picked.map(({ f }) => ({ name: f.name, type: arrowTypeName(f.type) }));
  const data = picked.map(({ i }, c) => {
    const out = new Array(table.numRows);
    let row = 0;
    for (const chunk of table.getChildAt(i).data) {
      for (let k = 0; k < chunk.length; k++) out[row++] = arrowRaw(columns[c].type, chunk, chunk.offset + k);
    }
    return out;
  });
  return { reader: 'arrow-rs', num_rows: table.numRows, columns, data };
}

/* ----------------------------------------------------------------------------------- hyparquet */

function hyTypeName(el) {
  const lt = el.logical_type;
  const ct = el.converted_type;
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') return `decimal(${el.precision ?? lt.precision},${el.scale ?? lt.scale ?? 0})`;
  if (el.type === 'BYTE_ARRAY' && (ct === 'UTF8' || lt?.type === 'STRING')) return 'string';
  if (el.type === 'BOOLEAN') return 'bool';
  if (el.type === 'INT32' && (ct === 'DATE' || lt?.type === 'DATE')) return 'date';
  if (el.type === 'INT32' && !ct && !lt) return 'int32';
  if (el.type === 'INT32' && (ct === 'INT_32' || (lt?.type === 'INTEGER' && lt.bitWidth === 32 && lt.isSigned))) return 'int32';
  if (el.type === 'INT64' && lt?.type === 'TIMESTAMP') {
    if (lt.unit !== 'MICROS') return `other:timestamp(${lt.unit})`;
    return lt.isAdjustedToUTC ? 'timestamptz' : 'timestamp';
  }
  if (el.type === 'INT64' && ct === 'TIMESTAMP_MICROS') return 'timestamptz'; /* legacy: UTC-adjusted */
  if (el.type === 'INT64' && !ct && !lt) return 'int64';
  if (el.type === 'INT64' && (ct === 'INT_64' || (lt?.type === 'INTEGER' && lt.bitWidth === 64 && lt.isSigned))) return 'int64';
  if (el.type === 'DOUBLE') return 'float64';
  return `other:${el.type}/${ct ?? ''}/${lt?.type ?? ''}`;
}

// A big-endian two's complement integer (FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals).
function beSigned(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

function hyValue(type, scale, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string': return v;
    case 'bool': return v;
    case 'int32': return v;
    case 'int64': return BigInt(v).toString();
    case 'float64': return canonDouble(v);
    case 'date': return canonDate(v);
    case 'timestamp':
    case 'timestamptz': return canonTimestamp(v);
    default:
      if (type.startsWith('decimal(')) {
        const unscaled = v instanceof Uint8Array ? beSigned(v) : BigInt(v);
        return canonDecimal(unscaled, scale);
      }
      return String(v);
  }
}

// hyparquet's own snappy decoder is used (its compressors package would swap in a WebAssembly
// one); the others come from hyparquet-compressors since hyparquet itself only has snappy.
const hyCodecs = { ...hyCompressors };
delete hyCodecs.SNAPPY;

const hyParsers = {
  timestampFromMilliseconds: (v) => BigInt(v) * 1000n,
  timestampFromMicroseconds: (v) => BigInt(v),
  timestampFromNanoseconds: (v) => BigInt(v) / 1000n,
  dateFromDays: (v) => v,
  stringFromBytes: (b) => (b === undefined || b === null ? b : utf8.decode(b)),
};

// Walks the page headers of every column chunk: from the dictionary page (or the first data page)
// through total_compressed_size bytes. Returns [rowGroup][column] = [{ type, encoding,
// num_values, compressed_page_size, uncompressed_page_size }].
function pageHeaders(file, metadata) {
  const view = new DataView(file);
  return metadata.row_groups.map((g) => g.columns.map((cc) => {
    const md = cc.meta_data;
    const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
    const end = start + Number(md.total_compressed_size);
    const reader = { view, offset: start };
    const pages = [];
    while (reader.offset < end) {
      const h = parquetHeader(reader);
      const sub = h.data_page_header ?? h.dictionary_page_header ?? h.data_page_header_v2 ?? {};
      pages.push({
        type: h.type, encoding: sub.encoding, num_values: sub.num_values,
        compressed_page_size: h.compressed_page_size, uncompressed_page_size: h.uncompressed_page_size,
      });
      reader.offset += h.compressed_page_size;
    }
    if (reader.offset !== end) pages.push({ type: 'OVERRUN', offset: reader.offset, end });
    return pages;
  }));
}

export async function readHyparquet(path, only) {
  const buf = fs.readFileSync(path);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  // Statistics are decoded while the footer is parsed; a truncated string bound may end inside a
  // character, so they are decoded leniently (values, below, strictly).
  const metadata = parquetMetadata(file, { parsers: { ...hyParsers, stringFromBytes: (b) => (b == null ? b : lenient.decode(b)) } });
  /* kiln writes flat schemas: every child of the root is a leaf */
  const leaves = metadata.schema.slice(1).filter((el) => !only || only.includes(el.name));
  const columns = leaves.map((el) => ({ name: el.name, type: hyTypeName(el) }));
  const scales = leaves.map((el) => el.scale ?? el.logical_type?.scale ?? 0);
  // Take the decimal annotation off a copy of the schema so hyparquet hands over raw values.
  const raw = structuredClone({ ...metadata, schema: metadata.schema });
  for (const el of raw.schema) {
    if (el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL') {
      delete el.converted_type;
      delete el.logical_type;
    }
  }
  const numRows = Number(metadata.num_rows);
  const data = columns.map(() => new Array(numRows).fill(undefined));
  const index = new Map(columns.map((c, i) => [c.name, i]));
  await parquetRead({
    file,
    metadata: raw,
    columns: only,
    compressors: hyCodecs,
    parsers: hyParsers,
    onChunk: ({ columnName, columnData, rowStart }) => {
      const c = index.get(columnName);
      for (let i = 0; i < columnData.length; i++) {
        data[c][rowStart + i] = hyValue(columns[c].type, scales[c], columnData[i]);
      }
    },
  });
  for (let c = 0; c < columns.length; c++) {
    const missing = data[c].indexOf(undefined);
    if (missing >= 0) throw new Error(`hyparquet returned no value for column ${columns[c].name} row ${missing}`);
  }
  // `footer` is hyparquet's own decoding of the footer; `pages[rowGroup][column]` lists the
  // page headers of each column chunk, as hyparquet's page-header decoder reads them.
  return { reader: 'hyparquet', num_rows: numRows, columns, data, footer: metadata, pages: pageHeaders(file, metadata) };
}

// Reads all columns of `path`, or only those named in `columns` (in the file's order).
export async function readWith(reader, path, columns) {
  if (reader === 'duckdb') return readDuckdb(path, columns);
  if (reader === 'arrow-rs') return readArrow(path, columns);
  if (reader === 'hyparquet') return readHyparquet(path, columns);
  throw new Error(`unknown reader ${reader}`);
}

/* ------------------------------------------------------------------ DuckDB statistics spelling */

// DuckDB's parquet_metadata spells statistics as text in the column's logical type; this turns
// one into the canonical value of `type` (null stays null).
export function duckStatToCanon(type, text) {
  if (text === null || text === undefined) return null;
  switch (type) {
    case 'string': return String(text);
    case 'bool': return text === 'true' || text === true;
    case 'int32': return Number(text);
    case 'int64': return BigInt(text).toString();
    case 'float64': return canonDoubleText(text);
    case 'date': return String(text);
    case 'timestamp':
    case 'timestamptz': return timestampTextToCanon(text);
    default: {
      const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
      if (m) return canonDecimalText(text, Number(m[2]));
      return String(text);
    }
  }
}
