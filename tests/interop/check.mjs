// tests/interop/check.mjs: comparisons shared by the interop and CLI tests, and a tiny
// test-result tally that prints one line per check and the closing "N passed, N failed" line.

import { compareCanon, expectedStats, toJson } from './canon.mjs';
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
        if (have === need) continue;
        if (need === null) { problems.push(`${where}: ${which}_value ${short(have)}, expected none (no non-null, non-NaN value)`); continue; }
        if (have === null) { problems.push(`${where}: no ${which}_value, expected ${short(need)}`); continue; }
        const truncatedOk = type === 'string' && Buffer.byteLength(need) > 16 && compareCanon(type, have, need) * dir > 0;
        if (!truncatedOk) problems.push(`${where}: ${which}_value ${short(have)}, expected ${short(need)}`);
      }
    });
    start = end;
  });
  return problems;
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
