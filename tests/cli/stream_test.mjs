// tests/cli/stream_test.mjs: inputs read front to back and cut as they come (kn_seq_cut.h), end
// to end, one group per ctest test (cli_stream_GROUP).
//
//   node stream_test.mjs GROUP --kiln PATH --work DIR --gen PATH [--rows N]
//
// Groups:
//   equal  dirty generated orders, NDJSON and CSV: --input-mode stream gives the same part files
//          byte for byte as the mapped default, plain, partitioned by year(ts),month(ts) and sorted
//          (--partition-by region --sort-by order_id), for morsel sizes 64KiB and 1MiB and 1 or 2
//          threads; with planted bad records, the same counts, rejects and reasons (lines,
//          columns, byte offsets) under quarantine, and the same error in fail mode
//   pipes  standard input ('-') as a pipe and as a redirected file, and a named pipe (FIFO): the
//          same bytes as the file converted in place; two named pipes one writer fills in turn
//          (no hang); a pipe without --schema, '-' without
//          --format and a bad --input-mode fail with exit 1 and a message
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Tally } from '../interop/check.mjs';
import { testArgs, configure, env, kiln, where, expectExit, countsProblems, write, partHashes, diffHashes } from './kiln_run.mjs';

const { group, opt, work: WORK } = testArgs('stream_test', 'GROUP --kiln PATH --work DIR --gen PATH [--rows N]',
  [['--kiln', 'kiln binary'], ['--gen', 'generator (kn_gen_orders)']]);
const KILN = opt('--kiln');
const GEN = opt('--gen');
const ROWS = Math.min(Number(opt('--rows', '50000')), 50000);
configure({ kiln: KILN });

const tally = new Tally();
const SCHEMA = write(path.join(WORK, 'orders.schema.yaml'), spawnSync(GEN, ['--print-schema'], { encoding: 'utf8' }).stdout);

// One file of `rows` dirty generated orders in `format`.
function generate(format, rows) {
  const file = path.join(WORK, `orders.${format}`);
  const r = spawnSync(GEN, ['--rows', String(rows), '--seed', '11', '--dirty', '--format', format, '-o', file, '-q'],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kn_gen_orders --format ${format}: exit ${r.status}: ${r.stderr}`);
  return file;
}

// `file` with every 97th record cut short and every 131st replaced by a record of wrong types.
function plantBadRecords(file, format) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out = [];
  let n = 0;
  for (const line of lines) {
    n++;
    if (format === 'csv' && n === 1) out.push(line);
    else if (line && n % 97 === 0) out.push(line.slice(0, 40));
    else if (line && n % 131 === 0) out.push(format === 'csv' ? 'x,,,,,,,,,,,,,,' : '{"order_id":"x"}');
    else out.push(line);
  }
  return write(file.replace(/(\.\w+)$/, '-bad$1'), out.join('\n'));
}

function readIf(file) {
  try { return fs.readFileSync(file, 'latin1'); } catch { return null; }
}

const LAYOUTS = [
  ['plain', []],
  ['partitioned', ['--partition-by', 'year(ts),month(ts)']],
  ['sorted', ['--partition-by', 'region', '--sort-by', 'order_id']],
];

const groups = {};

groups.equal = async () => {
  for (const format of ['ndjson', 'csv']) {
    const file = generate(format, ROWS);
    for (const [layout, extra] of LAYOUTS) {
      const base = path.join(WORK, `${format}-${layout}-map`);
      const rm = kiln(['convert', file, '-o', base, '--schema', SCHEMA, '-q', ...extra]);
      const want = partHashes(base);
      for (const [morsel, threads] of [['64KiB', '2'], ['1MiB', '1'], ['1MiB', '2']]) {
        const out = path.join(WORK, `${format}-${layout}-stream-${morsel}-t${threads}`);
        const r = kiln(['convert', file, '-o', out, '--schema', SCHEMA, '-q', '--input-mode', 'stream',
          '--morsel-size', morsel, '--threads', threads, ...extra]);
        tally.record(`${format} ${layout}: --input-mode stream, --morsel-size ${morsel}, --threads ${threads} gives the mapped run's part files`, [
          ...expectExit(rm, 0), ...expectExit(r, 0),
          ...(Object.keys(want).length ? [] : ['the mapped run wrote no part files']),
          ...diffHashes(want, partHashes(out)),
          ...(r.result?.rows_read === rm.result?.rows_read ? [] : [`rows_read ${r.result?.rows_read}, mapped ${rm.result?.rows_read}`]),
        ]);
        fs.rmSync(out, { recursive: true, force: true });
      }
      fs.rmSync(base, { recursive: true, force: true });
    }

    const bad = plantBadRecords(file, format);
    const qm = path.join(WORK, `${format}-q-map`);
    const rqm = kiln(['convert', bad, '-o', qm, '--schema', SCHEMA, '-q', '--on-error', 'quarantine', '--morsel-size', '64KiB']);
    const rejected = rqm.result?.rows_rejected ?? 0;
    for (const morsel of ['16KiB', '1MiB']) {
      const qs = path.join(WORK, `${format}-q-stream-${morsel}`);
      const rqs = kiln(['convert', bad, '-o', qs, '--schema', SCHEMA, '-q', '--on-error', 'quarantine',
        '--input-mode', 'stream', '--morsel-size', morsel]);
      const p = [...expectExit(rqm, 0), ...expectExit(rqs, 0)];
      if (rejected < 10) p.push(`the mapped run rejected ${rejected} records; the planted ones are more`);
      p.push(...countsProblems(rqs, rqm.result?.rows_read, rqm.result?.rows_written, rejected));
      p.push(...diffHashes(partHashes(qm), partHashes(qs)));
      for (const f of ['reasons.ndjson', `rejects.${format}`]) {
        const a = readIf(path.join(qm, '_rejects', f)), b = readIf(path.join(qs, '_rejects', f));
        if (a === null) p.push(`the mapped run wrote no _rejects/${f}`);
        else if (a !== b) p.push(`_rejects/${f} differs from the mapped run's (${b?.length} bytes, expected ${a.length})`);
      }
      tally.record(`${format}: quarantine while streaming (--morsel-size ${morsel}): the same counts, rejects and reasons as mapped`, p);
    }
    const fm = kiln(['convert', bad, '-o', path.join(WORK, `${format}-f-map`), '--schema', SCHEMA, '-q']);
    const fs_ = kiln(['convert', bad, '-o', path.join(WORK, `${format}-f-stream`), '--schema', SCHEMA, '-q',
      '--input-mode', 'stream', '--morsel-size', '16KiB']);
    const msg = (r) => (r.stderr.match(/kiln: error: .*/) ?? [''])[0];
    tally.record(`${format}: fail mode while streaming stops at the first bad record with the mapped run's message`, [
      ...expectExit(fm, 2), ...expectExit(fs_, 2),
      ...(msg(fm) && msg(fm) === msg(fs_) ? [] : [`streamed: ${JSON.stringify(msg(fs_))}, mapped: ${JSON.stringify(msg(fm))}`]),
    ]);
  }
};

// Runs kiln with `stdin` as its standard input (a file descriptor, or 'pipe' fed with `input`).
function kilnWithStdin(args, { fd, input }) {
  const r = spawnSync(KILN, args, { encoding: 'utf8', env, maxBuffer: 1 << 28, timeout: 600_000,
    stdio: [fd ?? 'pipe', 'pipe', 'pipe'], input });
  const lines = (r.stdout ?? '').trimEnd().split('\n');
  let result = null;
  try { result = JSON.parse(lines[lines.length - 1]); } catch { /* not JSON */ }
  return { args, code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', result, lastLine: lines[lines.length - 1] };
}

groups.pipes = async () => {
  for (const format of ['ndjson', 'csv']) {
    const file = generate(format, Math.min(ROWS, 20000));
    const base = path.join(WORK, `${format}-file`);
    const rb = kiln(['convert', file, '-o', base, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
    const want = partHashes(base);
    const args = (out) => ['convert', '-', '--format', format, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB'];

    const piped = path.join(WORK, `${format}-stdin-pipe`);
    const rp = kilnWithStdin(args(piped), { input: fs.readFileSync(file) });
    tally.record(`${format}: '-' reads a pipe on standard input into the same part files as the file`, [
      ...expectExit(rb, 0), ...expectExit(rp, 0), ...diffHashes(want, partHashes(piped)),
      ...countsProblems(rp, rb.result?.rows_read, rb.result?.rows_written, 0)]);

    const redirected = path.join(WORK, `${format}-stdin-file`);
    const fd = fs.openSync(file, 'r');
    const rr = kilnWithStdin(args(redirected), { fd });
    fs.closeSync(fd);
    tally.record(`${format}: '-' reads a file redirected to standard input into the same part files`, [
      ...expectExit(rr, 0), ...diffHashes(want, partHashes(redirected))]);

    const fifo = path.join(WORK, `${format}-fifo.${format}`);
    const mk = spawnSync('mkfifo', [fifo]);
    const viaFifo = path.join(WORK, `${format}-fifo-out`);
    let rf = null;
    if (mk.status === 0) {
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
      rf = kiln(['convert', fifo, '-o', viaFifo, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
      await new Promise((resolve) => writer.on('exit', resolve));
    }
    tally.record(`${format}: a named pipe is read front to back into the same part files`, mk.status !== 0
      ? [`mkfifo failed: ${mk.stderr}`]
      : [...expectExit(rf, 0), ...diffHashes(want, partHashes(viaFifo))]);
  }

  // Two named pipes filled one after the other by one writer: the second is not read before
  // the first is spent (its writer is still writing the first), so the run neither hangs nor
  // changes its bytes.
  {
    const nd1 = path.join(WORK, 'orders.ndjson');
    const text = fs.readFileSync(nd1);
    const half = text.indexOf(10, text.length >> 1) + 1;
    const parts2 = [write(path.join(WORK, 'two', 'a.ndjson'), text.subarray(0, half)), write(path.join(WORK, 'two', 'b.ndjson'), text.subarray(half))];
    const base = path.join(WORK, 'two-files-out');
    const rb = kiln(['convert', ...parts2, '-o', base, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
    const fifos = [path.join(WORK, 'two', 'a-fifo.ndjson'), path.join(WORK, 'two', 'b-fifo.ndjson')];
    const mk = fifos.map((f) => spawnSync('mkfifo', [f]).status).every((c) => c === 0);
    const out = path.join(WORK, 'two-fifos-out');
    let r = null;
    if (mk) {
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"; cat "$3" > "$4"', 'sh', parts2[0], fifos[0], parts2[1], fifos[1]], { stdio: 'ignore' });
      const res = spawnSync(KILN, ['convert', ...fifos, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB', '--threads', '2'],
        { encoding: 'utf8', env, timeout: 120_000 });
      r = { args: ['convert', ...fifos], code: res.status, signal: res.signal, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
      if (res.signal) writer.kill();
      await new Promise((resolve) => writer.on('exit', resolve));
    }
    tally.record('two named pipes written one after the other: read in turn, the files\' part files (no hang)', !mk
      ? ['mkfifo failed']
      : [...expectExit(rb, 0), ...(r.code === 0 ? [] : [`exit ${r.code}${r.signal ? ` (${r.signal}: hung?)` : ''}: ${r.stderr.trim()}`]),
        ...diffHashes(partHashes(base), partHashes(out))]);
  }

  const nd = path.join(WORK, 'orders.ndjson');
  const noSchema = kilnWithStdin(['convert', '-', '--format', 'ndjson', '-o', path.join(WORK, 'x1'), '-q'],
    { input: fs.readFileSync(nd) });
  tally.record('a pipe without --schema: exit 1, the schema of a pipe cannot be inferred', [
    ...expectExit(noSchema, 1), ...(/schema cannot be inferred; give --schema/.test(noSchema.stderr) ? [] : [`stderr: ${noSchema.stderr.trim()}`])]);
  const noFormat = kilnWithStdin(['convert', '-', '-o', path.join(WORK, 'x2'), '--schema', SCHEMA, '-q'], { input: '' });
  tally.record("'-' without --format: exit 1, naming the format options", [
    ...expectExit(noFormat, 1), ...(/--format/.test(noFormat.stderr) ? [] : [`stderr: ${noFormat.stderr.trim()}`])]);
  const badMode = kiln(['convert', nd, '-o', path.join(WORK, 'x3'), '--schema', SCHEMA, '--input-mode', 'mmap']);
  tally.record('--input-mode mmap: exit 1, naming the modes', [
    ...expectExit(badMode, 1, { json: false }), ...(/not map or stream/.test(badMode.stderr) ? [] : [`${where(badMode)}: stderr: ${badMode.stderr.trim()}`])]);
};

if (!groups[group]) {
  console.error(`stream_test: unknown group ${group} (${Object.keys(groups).join(', ')})`);
  process.exit(1);
}
const t0 = Date.now();
await groups[group]();
console.log(`# ${group}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
tally.finish();
