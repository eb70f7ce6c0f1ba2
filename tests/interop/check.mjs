// tests/interop/check.mjs: comparisons shared by the interop and CLI tests, and a tiny
// test-result tally that prints one line per check and the closing "N passed, N failed" line.

import { canonDate, canonDouble, compareCanon, expectedStats, toJson } from './canon.mjs';
import { duckStatToCanon } from './readers.mjs';

const MAX_REPORTED = 5;

// Compares what a reader read (`got`: { columns, data }) with the expected columns. Returns a
// list of problems in words (empty when every name, type and value is equal).
export function diffColumns(expected, got, { checkTypes = true } = {}) {
  const problems = [];
  const en = expected.columns.map((c) => c.name), gn = got.columns.map((c) => c.name);
  if (toJson(en) !== toJson(gn)) {
    problems.push(`column names differ: expected ${toJson(en)}, read ${toJson(gn)}`);
    return problems;
  }
  for (let c = 0; c < expected.columns.length; c++) {
    const name = expected.columns[c].name;
    const et = expected.columns[c].type, gt = got.columns[c].type;
    if (checkTypes && et !== gt) problems.push(`column ${name}: type ${gt}, expected ${et}`);
    const ev = expected.data[c], gv = got.data[c];
    if (ev.length !== gv.length) {
      problems.push(`column ${name}: ${gv.length} values, expected ${ev.length}`);
      continue;
    }
    let bad = 0;
    for (let r = 0; r < ev.length; r++) {
      if (ev[r] === gv[r]) continue;
      if (toJson(ev[r]) === toJson(gv[r])) continue;
      if (bad < MAX_REPORTED) problems.push(`column ${name} row ${r}: read ${short(gv[r])}, expected ${short(ev[r])}`);
      bad++;
    }
    if (bad > MAX_REPORTED) problems.push(`column ${name}: ${bad - MAX_REPORTED} more rows differ`);
  }
  return problems;
}

function short(v) {
  const s = toJson(v);
  return s.length > 120 ? `${s.slice(0, 100)}... (${s.length} chars)` : s;
}

// Checks DuckDB's parquet_metadata statistics for every column chunk against the statistics
// the chunk's values call for (computed from the expected values and the row-group sizes in the
// footer). A string bound may be truncated (the checklist allows it for long values): then the
// minimum must not exceed the real minimum and the maximum must not fall below the real maximum.
export function diffStats(expected, meta) {
  const problems = [];
  const types = expected.columns.map((c) => c.type);
  let start = 0;
  meta.row_groups.forEach((g, gi) => {
    const end = start + g.num_rows;
    types.forEach((type, c) => {
      const chunk = g.columns[c];
      const name = expected.columns[c].name;
      const where = `row group ${gi} column ${name}`;
      if (!chunk) { problems.push(`${where}: no column chunk`); return; }
      const want = expectedStats(type, expected.data[c].slice(start, end));
      const nulls = chunk.stats_null_count === null ? null : Number(chunk.stats_null_count);
      if (nulls !== want.null_count) problems.push(`${where}: null_count ${nulls}, expected ${want.null_count}`);
      let min, max;
      try {
        min = duckStatToCanon(type, chunk.stats_min_value);
        max = duckStatToCanon(type, chunk.stats_max_value);
      } catch (e) {
        problems.push(`${where}: unreadable statistics (${e.message})`);
        return;
      }
      for (const [which, have, need, dir] of [['min', min, want.min, -1], ['max', max, want.max, 1]]) {
        // DuckDB's parquet_metadata leaves out a double bound that is infinite (seen with its
        // own files and kiln's); hyStatsProblems checks those bounds in hyparquet's footer.
        if (have === null && type === 'float64' && /Infinity$/.test(need ?? '')) continue;
        const p = boundProblem(type, which, have, need, dir);
        if (p) problems.push(`${where}: ${p}`);
      }
    });
    start = end;
  });
  return problems;
}

// The same check on hyparquet's own decoding of the footer statistics (a second, independent
// Thrift decoder). Decimal bounds are skipped here: hyparquet turns them into floating point;
// DuckDB's check above covers them exactly.
export function hyStatsProblems(expected, footer) {
  const problems = [];
  const canon = (type, v) => {
    if (v === undefined || v === null) return null;
    switch (type) {
      case 'string': case 'bool': case 'int32': return v;
      case 'int64': case 'timestamp': case 'timestamptz': return BigInt(v).toString();
      case 'float64': return canonDouble(v);
      case 'date': return canonDate(v);
      default: return undefined;
    }
  };
  let start = 0;
  footer.row_groups.forEach((g, gi) => {
    const end = start + Number(g.num_rows);
    expected.columns.forEach((col, c) => {
      const where = `row group ${gi} column ${col.name}`;
      const st = g.columns[c]?.meta_data?.statistics;
      const want = expectedStats(col.type, expected.data[c].slice(start, end));
      if (!st) { problems.push(`${where}: no statistics in the footer`); return; }
      const nulls = st.null_count === undefined ? null : Number(st.null_count);
      if (nulls !== want.null_count) problems.push(`${where}: null_count ${nulls}, expected ${want.null_count}`);
      for (const [which, raw, need, dir] of [['min', st.min_value, want.min, -1], ['max', st.max_value, want.max, 1]]) {
        const have = canon(col.type, raw);
        if (have === undefined) continue;
        const p = boundProblem(col.type, which, have, need, dir);
        if (p) problems.push(`${where}: ${p}`);
      }
    });
    start = end;
  });
  return problems;
}

// Whether a statistics bound `have` may stand for the real bound `need` (canonical values; null
// when there is none). Returns a problem in words, or null. `dir` is -1 for a minimum and +1
// for a maximum. A string bound of a long value may be truncated: a minimum no greater and a
// maximum no smaller than the real one.
export function boundProblem(type, which, have, need, dir) {
  if (have === need) return null;
  if (need === null) return `${which}_value ${short(have)}, expected none (no non-null, non-NaN value)`;
  if (have === null) return `no ${which}_value, expected ${short(need)}`;
  const truncatedOk = type === 'string' && Buffer.byteLength(need) > 16 && compareCanon(type, have, need) * dir > 0;
  return truncatedOk ? null : `${which}_value ${short(have)}, expected ${short(need)}`;
}

// Overall (file-level) statistics from the per-chunk ones, for comparing with what the corpus
// writer computed: min of the minimums, max of the maximums, sum of the null counts.
export function fileStatsFromMeta(expected, meta) {
  return expected.columns.map((col, c) => {
    let min = null, max = null, nulls = 0;
    for (const g of meta.row_groups) {
      const ch = g.columns[c];
      nulls += Number(ch?.stats_null_count ?? NaN);
      const lo = duckStatToCanon(col.type, ch?.stats_min_value);
      const hi = duckStatToCanon(col.type, ch?.stats_max_value);
      if (lo !== null && (min === null || compareCanon(col.type, lo, min) < 0)) min = lo;
      if (hi !== null && (max === null || compareCanon(col.type, hi, max) > 0)) max = hi;
    }
    return { name: col.name, min, max, null_count: nulls };
  });
}

// A tally of named checks. Each check prints "ok - NAME" or "FAIL - NAME" with its problems.
export class Tally {
  constructor() { this.passed = 0; this.failed = 0; this.failures = []; }
  record(name, problems) {
    if (!problems.length) {
      this.passed++;
      console.log(`ok - ${name}`);
    } else {
      this.failed++;
      this.failures.push(name);
      console.log(`FAIL - ${name}`);
      for (const p of problems.slice(0, 20)) console.log(`    ${p}`);
      if (problems.length > 20) console.log(`    ... ${problems.length - 20} more`);
    }
  }
  async run(name, fn) {
    let problems;
    try {
      problems = (await fn()) ?? [];
    } catch (e) {
      problems = [`threw: ${e?.stack ?? e}`];
    }
    this.record(name, problems);
  }
  // Prints the closing line and sets the exit code (non-zero when anything failed, or when
  // nothing ran at all: a test that checked nothing proves nothing).
  finish() {
    if (this.failed) console.log(`failed: ${this.failures.join(', ')}`);
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed || !this.passed ? 1 : 0;
  }
}
