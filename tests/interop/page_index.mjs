// tests/interop/page_index.mjs: the page index kiln writes (ColumnIndex, OffsetIndex), checked by
// readers other than kiln's own against the values the file must hold.
//
//   hyparquet  its Thrift decoder reads every chunk's OffsetIndex and ColumnIndex, and its
//              metadata converter turns each page's bounds into values. Every page location
//              must be a page header of the chunk (walked with hyparquet's parquetHeader), its
//              size that header plus the compressed page, its first_row_index the rows before
//              it; every page's null count, null_page flag, NaN count, min and max must be those
//              of the rows it holds (from the expected values), boundary_order what the bounds
//              show; DOUBLE chunk statistics must carry nan_count (field 9).
//              hyparquet's own readColumnIndex converts the bounds of null pages too, which are
//              empty by the spec, and throws on those of DATE and TIMESTAMP columns; so the
//              ColumnIndex is decoded with its deserializeTCompactProtocol and only the bounds
//              of non-null pages go through its convertMetadata, as parquet.thrift tells
//              readers to do ("inspect null_pages before using min_values").
//   arrow-rs   parquet-wasm's async reader (ParquetFile) loads the page index (a file whose
//              index bytes are scrambled fails there) and, asked for a row window, fetches and
//              decodes only the pages whose OffsetIndex entries hold it: the rows must be the
//              expected ones.
//   DuckDB     does not read the page index (a file with scrambled index bytes reads the same):
//              its checks here are only that values and footers are unaffected.

import fs from 'node:fs';
import * as parquetWasm from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convertMetadata } from 'hyparquet/src/metadata.js';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { canonDate, canonDecimal, canonDouble, canonTimestamp, compareCanon, expectedStats, toJson } from './canon.mjs';
import { boundProblem } from './check.mjs';
import { arrowRaw } from './readers.mjs';

const lenient = new TextDecoder('utf-8');
const BOUNDARY = ['UNORDERED', 'ASCENDING', 'DESCENDING'];

export function fileBuffer(path) {
  const buf = fs.readFileSync(path);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

// A page bound as a canonical value of the column's type (canon.mjs), or undefined when the
// type is not one kiln writes.
function boundCanon(type, el, bytes) {
  const parsers = {
    timestampFromMilliseconds: (v) => BigInt(v) * 1000n,
    timestampFromMicroseconds: (v) => BigInt(v),
    timestampFromNanoseconds: (v) => BigInt(v) / 1000n,
    dateFromDays: (v) => v,
    stringFromBytes: (b) => lenient.decode(b),
  };
  // Raw integers and big-endian bytes for decimals (hyparquet would go through floating point).
  const raw = { ...el };
  if (raw.converted_type === 'DECIMAL' || raw.logical_type?.type === 'DECIMAL') {
    delete raw.converted_type;
    delete raw.logical_type;
  }
  const v = convertMetadata(bytes, raw, parsers);
  switch (type) {
    case 'string': return v;
    case 'bool': return v;
    case 'int32': return v;
    case 'int64': return BigInt(v).toString();
    case 'float64': return canonDouble(v);
    case 'date': return canonDate(v);
    case 'timestamp':
    case 'timestamptz': return canonTimestamp(v);
    default: {
      const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
      if (!m) return undefined;
      let unscaled;
      if (v instanceof Uint8Array) {
        unscaled = 0n;
        for (const b of v) unscaled = (unscaled << 8n) | BigInt(b);
        if (v.length && v[0] & 0x80) unscaled -= 1n << BigInt(v.length * 8);
      } else {
        unscaled = BigInt(v);
      }
      return canonDecimal(unscaled, Number(m[2]));
    }
  }
}

// The page headers of a chunk: [{ offset, size (header + compressed body), type, num_values }].
function walkPages(ab, md) {
  const view = new DataView(ab);
  const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
  const end = start + Number(md.total_compressed_size);
  const reader = { view, offset: start };
  const pages = [];
  while (reader.offset < end) {
    const at = reader.offset;
    const h = parquetHeader(reader);
    const sub = h.data_page_header ?? h.dictionary_page_header ?? h.data_page_header_v2 ?? {};
    reader.offset += h.compressed_page_size;
    pages.push({ offset: at, size: reader.offset - at, type: h.type, num_values: Number(sub.num_values) });
  }
  return pages;
}

// The footer decoded by hyparquet's Thrift decoder as it is on the wire (field ids), for the
// fields hyparquet's metadata object leaves out (Statistics.nan_count).
function rawFooter(ab) {
  const view = new DataView(ab);
  const len = view.getUint32(ab.byteLength - 8, true);
  return deserializeTCompactProtocol({ view: new DataView(ab, ab.byteLength - 8 - len, len), offset: 0 });
}

// hyparquet's view of every page index of the file at `path` against `expected` ({ columns,
// data }: canonical values per column). Returns problems in words and counts what it saw.
export function hyPageIndexProblems(path, expected, seen = { pages: 0, column_indexes: 0, null_pages: 0, nan_pages: 0 }) {
  const problems = [];
  const ab = fileBuffer(path);
  const md = parquetMetadata(ab, { parsers: { stringFromBytes: (b) => (b == null ? b : lenient.decode(b)) } });
  const raw = rawFooter(ab);
  const leaves = md.schema.slice(1);
  let base = 0;
  md.row_groups.forEach((g, gi) => {
    const rows = Number(g.num_rows);
    g.columns.forEach((cc, c) => {
      const col = expected.columns[c];
      const where = `row group ${gi} column ${col.name}`;
      const values = expected.data[c];
      const cm = cc.meta_data;
      if (cm.type === 'DOUBLE') {
        const st = raw.field_4[gi].field_1[c].field_3.field_12;
        const nans = values.slice(base, base + rows).filter((v) => v === 'NaN').length;
        if (st?.field_9 === undefined) problems.push(`${where}: DOUBLE statistics without nan_count`);
        else if (Number(st.field_9) !== nans) problems.push(`${where}: statistics nan_count ${st.field_9}, the rows hold ${nans}`);
      }
      if (cc.offset_index_offset === undefined || !cc.offset_index_length) {
        problems.push(`${where}: no OffsetIndex`);
        return;
      }
      const oiView = new DataView(ab, Number(cc.offset_index_offset), cc.offset_index_length);
      const oi = deserializeTCompactProtocol({ view: oiView, offset: 0 });
      const locs = (oi.field_1 ?? []).map((l) => ({ offset: Number(l.field_1), size: l.field_2, first: Number(l.field_3) }));
      const data = walkPages(ab, cm).filter((p) => p.type !== 'DICTIONARY_PAGE');
      if (locs.length !== data.length) problems.push(`${where}: OffsetIndex lists ${locs.length} pages, the chunk holds ${data.length} data pages`);
      let first = 0;
      data.forEach((p, k) => {
        const l = locs[k];
        if (!l) return;
        if (l.offset !== p.offset || l.size !== p.size || l.first !== first)
          problems.push(`${where} page ${k}: OffsetIndex says offset ${l.offset} size ${l.size} first row ${l.first}; the page is at ${p.offset}, ${p.size} bytes with its header, first row ${first}`);
        first += p.num_values;
      });
      seen.pages += locs.length;
      if (cc.column_index_offset === undefined) {
        // Only where no bound can be written: a DOUBLE page of NaN only, or a string max no
        // 64-byte string bounds (kn_pq_page_index.h).
        const ok = cm.type === 'DOUBLE' || cm.type === 'BYTE_ARRAY' || cm.type === 'INT96';
        if (!ok) problems.push(`${where}: no ColumnIndex`);
        return;
      }
      seen.column_indexes++;
      const ci = deserializeTCompactProtocol({ view: new DataView(ab, Number(cc.column_index_offset), cc.column_index_length), offset: 0 });
      const nullPages = ci.field_1, mins = ci.field_2, maxs = ci.field_3, order = BOUNDARY[ci.field_4];
      const nullCounts = ci.field_5, nanCounts = ci.field_8;
      if (!nullCounts) problems.push(`${where}: ColumnIndex without null_counts`);
      if ((cm.type === 'DOUBLE') !== Boolean(nanCounts)) problems.push(`${where}: nan_counts ${nanCounts ? 'present' : 'absent'} on a ${cm.type} column`);
      if (nullPages.length !== locs.length || mins.length !== locs.length || maxs.length !== locs.length)
        problems.push(`${where}: ColumnIndex lists of ${nullPages.length}/${mins.length}/${maxs.length} pages for ${locs.length} pages`);
      let asc = true, desc = true, prev = null;
      locs.forEach((l, k) => {
        const end = k + 1 < locs.length ? locs[k + 1].first : rows;
        const slice = values.slice(base + l.first, base + end);
        const want = expectedStats(col.type, slice);
        const nans = slice.filter((v) => v === 'NaN').length;
        const pw = `${where} page ${k} (rows ${l.first}..${end})`;
        if (Number(nullCounts?.[k]) !== want.null_count) problems.push(`${pw}: null count ${nullCounts?.[k]}, the rows hold ${want.null_count}`);
        if (nanCounts && Number(nanCounts[k]) !== nans) problems.push(`${pw}: NaN count ${nanCounts[k]}, the rows hold ${nans}`);
        const allNull = want.null_count === slice.length;
        if (nullPages[k] !== allNull) problems.push(`${pw}: null_page ${nullPages[k]}, the rows are ${allNull ? '' : 'not '}all null`);
        if (nullPages[k]) {
          seen.null_pages++;
          if (mins[k].length || maxs[k].length) problems.push(`${pw}: a null page with bounds`);
          return;
        }
        if (nans) seen.nan_pages++;
        const lo = boundCanon(col.type, leaves[c], mins[k]), hi = boundCanon(col.type, leaves[c], maxs[k]);
        for (const [which, have, need, dir] of [['min', lo, want.min, -1], ['max', hi, want.max, 1]]) {
          const p = boundProblem(col.type, which, have, need, dir);
          if (p) problems.push(`${pw}: ${p}`);
        }
        if (prev) {
          const a = compareCanon(col.type, prev.lo, lo), b = compareCanon(col.type, prev.hi, hi);
          if (a > 0 || b > 0) asc = false;
          if (a < 0 || b < 0) desc = false;
        }
        prev = { lo, hi };
      });
      const wantOrder = asc ? 'ASCENDING' : desc ? 'DESCENDING' : 'UNORDERED';
      if (order !== wantOrder) problems.push(`${where}: boundary_order ${order}, the bounds are ${wantOrder}`);
    });
    base += rows;
  });
  return problems;
}

// arrow-rs (parquet-wasm's async reader, which loads the page index) reads `windows` ([offset,
// limit] pairs) of the file; every row must be the expected one. Returns problems in words.
export async function arrowWindowProblems(path, expected, windows) {
  const problems = [];
  const file = await parquetWasm.ParquetFile.fromFile(new Blob([fs.readFileSync(path)]));
  for (const [offset, limit] of windows) {
    const table = tableFromIPC((await file.read({ offset, limit, batchSize: 4096 })).intoIPCStream());
    const n = Math.min(limit, expected.data[0].length - offset);
    if (table.numRows !== n) {
      problems.push(`rows [${offset}, ${offset + limit}): arrow-rs returned ${table.numRows} rows, expected ${n}`);
      continue;
    }
    expected.columns.forEach((col, c) => {
      let i = 0, reported = false;
      for (const chunk of table.getChild(col.name).data) {
        for (let k = 0; k < chunk.length && !reported; k++, i++) {
          const want = expected.data[c][offset + i];
          const have = arrowRaw(col.type, chunk, chunk.offset + k);
          if (have !== want && toJson(have) !== toJson(want)) {
            problems.push(`rows [${offset}, ${offset + limit}) column ${col.name} row ${offset + i}: arrow-rs read ${toJson(have)}, expected ${toJson(want)}`);
            reported = true;
          }
        }
      }
    });
  }
  return problems;
}

// A copy of the file at `path` with every byte between the last column chunk and the footer
// (where kiln puts the page index) replaced by 0xAA, written to `out`.
export function scrambleIndexes(path, out) {
  const ab = fileBuffer(path);
  const md = parquetMetadata(ab);
  let lo = Infinity;
  for (const g of md.row_groups) for (const c of g.columns) lo = Math.min(lo, Number(c.column_index_offset ?? Infinity), Number(c.offset_index_offset ?? Infinity));
  const view = new DataView(ab);
  const hi = ab.byteLength - 8 - view.getUint32(ab.byteLength - 8, true);
  const bytes = new Uint8Array(ab.slice(0));
  for (let i = lo; i < hi; i++) bytes[i] = 0xaa;
  fs.writeFileSync(out, bytes);
  return hi - lo;
}
