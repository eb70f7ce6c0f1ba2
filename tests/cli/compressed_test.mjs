// tests/cli/compressed_test.mjs: compressed inputs (.gz .bz2 .xz .zst .lz4, kn_decompress.h) end
// to end, one group per ctest test (cli_compressed_GROUP).
//
//   node compressed_test.mjs GROUP --kiln PATH --work DIR --gen PATH [--rows N]
//
// Groups:
//   equal    dirty generated orders in 3 shards, NDJSON and CSV, each shard compressed by each
//            codec's own tool: the same part files byte for byte as the plain shards, plain and
//            partitioned by year(ts),month(ts), at 1 and 2 threads; a folder of compressed
//            shards is listed by their inner extension; the schema inferred from .gz shards is
//            the one from the plain ones; concatenated gzip members and zstd frames; a gzip'd
//            file named .ndjson and a plain one named .ndjson.gz (the first bytes decide);
//            gzip on standard input; quarantine gives the plain run's counts, rejects and
//            reasons (lines of the decompressed text)
//   archives the 3 shards as .tar, .tar.gz, .tgz, .tar.zst and .zip: the plain shards' part
//            files at 1 and 2 threads; kiln infer on a .tgz; a folder of archives; a member named
//            ../../x converted with nothing written outside; a README.txt member passed over; a
//            CSV member in an NDJSON run (exit 1); .txt members read with --format (inferred),
//            refused without it; a cut .tar.gz and .tar (exit 2)
//   damaged  a truncated .gz, a .zst with damaged bytes, and a gzip bomb and a zip bomb past
//            --max-input-expansion: exit 2, the file named with the compressed byte reached,
//            nothing published; the bomb converts with --max-input-expansion 0; a bad
//            --max-input-expansion is exit 1
//
// The tools (gzip bzip2 xz zstd lz4) come from tests/install-deps.sh; a missing one fails.
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Tally } from '../interop/check.mjs';
import { testArgs, configure, env, kiln, where, expectExit, countsProblems, write, partHashes, diffHashes, noOutputProblems } from './kiln_run.mjs';

const { group, opt, work: WORK } = testArgs('compressed_test', 'GROUP --kiln PATH --work DIR --gen PATH [--rows N]',
  [['--kiln', 'kiln binary'], ['--gen', 'generator (kn_gen_orders)']]);
const KILN = path.resolve(opt('--kiln'));
const GEN = path.resolve(opt('--gen'));
const ROWS = Math.min(Number(opt('--rows', '30000')), 30000);
configure({ kiln: KILN });

const tally = new Tally();
const SCHEMA = write(path.join(WORK, 'orders.schema.yaml'), spawnSync(GEN, ['--print-schema'], { encoding: 'utf8' }).stdout);

// Each codec: the extension and the command that compresses standard input to standard output.
const CODECS = [
  ['gz', ['gzip', '-c']],
  ['bz2', ['bzip2', '-c']],
  ['xz', ['xz', '-c', '-T1']],
  ['zst', ['zstd', '-c', '-q']],
  ['lz4', ['lz4', '-c', '-q']],
];

// `data` compressed by `cmd`; throws, naming the tool, when it is missing or fails.
function compress(cmd, data) {
  const r = spawnSync(cmd[0], cmd.slice(1), { input: data, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) {
    throw new Error(`'${cmd.join(' ')}' failed (${r.error?.code ?? `exit ${r.status}`}): is it installed? tests/install-deps.sh installs it`);
  }
  return r.stdout;
}

// A folder of 3 shards of `rows` dirty generated orders in `format`.
function generate(format, rows, dir) {
  const r = spawnSync(GEN, ['--rows', String(rows), '--seed', '5', '--dirty', '--format', format, '--shards', '3', '-o', dir, '-q'],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kn_gen_orders --format ${format}: exit ${r.status}: ${r.stderr}`);
  return fs.readdirSync(dir).sort().map((n) => path.join(dir, n));
}

// A copy of the shards `files` in `dir`, each compressed with `codec` and named NAME.EXT.CODEC.
function compressedCopy(files, dir, [ext, cmd]) {
  fs.mkdirSync(dir, { recursive: true });
  return files.map((f) => write(path.join(dir, `${path.basename(f)}.${ext}`), compress(cmd, fs.readFileSync(f))));
}

const LAYOUTS = [
  ['plain', []],
  ['partitioned', ['--partition-by', 'year(ts),month(ts)']],
];

const groups = {};

groups.equal = async () => {
  for (const format of ['ndjson', 'csv']) {
    const plainDir = path.join(WORK, `${format}-plain`);
    const shards = generate(format, ROWS, plainDir);
    const want = {};
    const plainRuns = {};
    for (const [layout, extra] of LAYOUTS) {
      const out = path.join(WORK, `${format}-${layout}-want`);
      plainRuns[layout] = kiln(['convert', plainDir, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB', ...extra]);
      want[layout] = partHashes(out);
    }
    for (const codec of CODECS) {
      let dir;
      try {
        dir = path.join(WORK, `${format}-${codec[0]}`);
        compressedCopy(shards, dir, codec);
      } catch (e) {
        tally.record(`${format}: .${codec[0]} shards`, [String(e.message)]);
        continue;
      }
      for (const [layout, extra] of LAYOUTS) {
        for (const threads of ['1', '2']) {
          const out = path.join(WORK, `${format}-${codec[0]}-${layout}-t${threads}`);
          const r = kiln(['convert', dir, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB', '--threads', threads, ...extra]);
          tally.record(`${format} ${layout}: a folder of .${format}.${codec[0]} shards at --threads ${threads} gives the plain shards' part files`, [
            ...expectExit(plainRuns[layout], 0), ...expectExit(r, 0),
            ...(Object.keys(want[layout]).length ? [] : ['the plain run wrote no part files']),
            ...diffHashes(want[layout], partHashes(out)),
            ...countsProblems(r, ROWS, plainRuns[layout].result?.rows_written, 0),
          ]);
          fs.rmSync(out, { recursive: true, force: true });
        }
      }
    }

    // Inference reads the start of each compressed shard as it reads a plain one.
    const inferPlain = kiln(['infer', plainDir]);
    const inferGz = kiln(['infer', path.join(WORK, `${format}-gz`)]);
    tally.record(`${format}: kiln infer on .gz shards gives the plain shards' schema`, [
      ...(inferPlain.code === 0 && inferGz.code === 0 ? [] : [`exit ${inferPlain.code} / ${inferGz.code}: ${inferGz.stderr.trim()}`]),
      ...(inferPlain.stdout && inferPlain.stdout === inferGz.stdout ? [] : [`schemas differ:\n${inferPlain.stdout}\n${inferGz.stdout}`]),
    ]);
  }

  // One file in several members or frames, and names that lie about what the bytes are.
  const nd = fs.readFileSync(generate('ndjson', ROWS, path.join(WORK, 'one'))[0]);
  const half = nd.indexOf(10, nd.length >> 1) + 1;
  const single = write(path.join(WORK, 'single', 'orders.ndjson'), nd);
  const base = path.join(WORK, 'single-out');
  const rb = kiln(['convert', single, '-o', base, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
  const wantOne = partHashes(base);
  const cases = [
    ['two gzip members back to back', 'orders.ndjson.gz', Buffer.concat([compress(['gzip', '-c'], nd.subarray(0, half)), compress(['gzip', '-c'], nd.subarray(half))])],
    ['two zstd frames back to back', 'orders.ndjson.zst', Buffer.concat([compress(['zstd', '-c', '-q'], nd.subarray(0, half)), compress(['zstd', '-c', '-q'], nd.subarray(half))])],
    ['gzip bytes named .ndjson', 'orders.ndjson', compress(['gzip', '-c'], nd)],
    ['plain bytes named .ndjson.gz', 'orders.ndjson.gz', nd],
  ];
  for (const [what, name, bytes] of cases) {
    const file = write(path.join(WORK, what.replace(/\W+/g, '-'), name), bytes);
    const out = path.join(WORK, `${what.replace(/\W+/g, '-')}-out`);
    const r = kiln(['convert', file, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
    tally.record(`${what}: the plain file's part files`, [...expectExit(rb, 0), ...expectExit(r, 0), ...diffHashes(wantOne, partHashes(out))]);
  }
  const stdinOut = path.join(WORK, 'stdin-gz-out');
  const rs = spawnSync(KILN, ['convert', '-', '--format', 'ndjson', '-o', stdinOut, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB'],
    { input: compress(['gzip', '-c'], nd), env, encoding: 'utf8', maxBuffer: 1 << 28 });
  tally.record('gzip on standard input: the plain file\'s part files', [
    ...(rs.status === 0 ? [] : [`exit ${rs.status}: ${rs.stderr}`]), ...diffHashes(wantOne, partHashes(stdinOut))]);

  // Bad records inside a compressed file: the plain file's lines, counts and rejects.
  const lines = nd.toString('utf8').split('\n');
  const badText = lines.map((l, i) => (l && i % 101 === 50 ? l.slice(0, 30) : l)).join('\n');
  const badPlain = write(path.join(WORK, 'bad', 'orders.ndjson'), badText);
  const badGz = write(path.join(WORK, 'badgz', 'orders.ndjson.gz'), compress(['gzip', '-c'], Buffer.from(badText)));
  const qp = path.join(WORK, 'q-plain'), qz = path.join(WORK, 'q-gz');
  const rqp = kiln(['convert', badPlain, '-o', qp, '--schema', SCHEMA, '-q', '--on-error', 'quarantine']);
  const rqz = kiln(['convert', badGz, '-o', qz, '--schema', SCHEMA, '-q', '--on-error', 'quarantine', '--morsel-size', '64KiB']);
  const p = [...expectExit(rqp, 0), ...expectExit(rqz, 0)];
  if ((rqp.result?.rows_rejected ?? 0) < 10) p.push(`the plain run rejected ${rqp.result?.rows_rejected} records; the planted ones are more`);
  p.push(...countsProblems(rqz, rqp.result?.rows_read, rqp.result?.rows_written, rqp.result?.rows_rejected));
  p.push(...diffHashes(partHashes(qp), partHashes(qz)));
  const reasons = (dir) => {
    try { return fs.readFileSync(path.join(dir, '_rejects', 'reasons.ndjson'), 'utf8').replaceAll('orders.ndjson.gz', 'orders.ndjson').replaceAll('/badgz/', '/bad/'); } catch { return null; }
  };
  if (reasons(qp) === null || reasons(qp) !== reasons(qz)) p.push(`_rejects/reasons.ndjson differs from the plain run's:\n${reasons(qz)?.slice(0, 400)}\n${reasons(qp)?.slice(0, 400)}`);
  tally.record('bad records in a .gz under quarantine: the plain file\'s counts, part files and reasons (same lines)', p);
};

groups.damaged = async () => {
  const nd = fs.readFileSync(generate('ndjson', ROWS, path.join(WORK, 'src'))[0]);
  const gz = compress(['gzip', '-c'], nd);
  const cases = [
    ['a .gz cut short', 'orders.ndjson.gz', gz.subarray(0, gz.length >> 1), /damaged or truncated gzip data at compressed byte \d+/],
    ['a .zst with damaged bytes', 'orders.ndjson.zst', (() => {
      const z = Buffer.from(compress(['zstd', '-c', '-q'], nd));
      for (let i = z.length >> 1; i < (z.length >> 1) + 64; i++) z[i] ^= 0xa5;
      return z;
    })(), /damaged or truncated zstd data/],
  ];
  for (const [what, name, bytes, words] of cases) {
    const file = write(path.join(WORK, what.replace(/\W+/g, '-'), name), bytes);
    const out = path.join(WORK, `${what.replace(/\W+/g, '-')}-out`);
    const r = kiln(['convert', file, '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
    tally.record(`${what}: exit 2 naming the file and the compressed byte, nothing published`, [
      ...expectExit(r, 2), ...noOutputProblems(out, r),
      ...(r.stderr.includes(file) && words.test(r.stderr) ? [] : [`${where(r)}: stderr: ${r.stderr.trim().slice(0, 400)}`]),
    ]);
  }

  // 40 MiB of one record repeated compresses ~300x: past 10x it is a bomb.
  const rec = nd.subarray(0, nd.indexOf(10) + 1);
  const bomb = write(path.join(WORK, 'bomb', 'orders.ndjson.gz'), compress(['gzip', '-c', '-9'], Buffer.concat(Array(Math.ceil((40 << 20) / rec.length)).fill(rec))));
  const out = path.join(WORK, 'bomb-out');
  const r = kiln(['convert', bomb, '-o', out, '--schema', SCHEMA, '-q', '--max-input-expansion', '10']);
  tally.record('a gzip bomb past --max-input-expansion 10: exit 2 naming the option, nothing published', [
    ...expectExit(r, 2), ...noOutputProblems(out, r),
    ...(/decompression bomb\? \(--max-input-expansion\)/.test(r.stderr) && r.stderr.includes(bomb) ? [] : [`stderr: ${r.stderr.trim().slice(0, 400)}`]),
  ]);
  // The same bytes as a zip member: deflated inside the archive, bounded all the same.
  const zipDir = path.join(WORK, 'zipbomb');
  fs.mkdirSync(zipDir, { recursive: true });
  write(path.join(zipDir, 'orders.ndjson'), Buffer.concat(Array(Math.ceil((40 << 20) / rec.length)).fill(rec)));
  const zipped = spawnSync('zip', ['-q', '-9', path.join(WORK, 'bomb.zip'), 'orders.ndjson'], { cwd: zipDir });
  const zout = path.join(WORK, 'zipbomb-out');
  const rz = kiln(['convert', path.join(WORK, 'bomb.zip'), '-o', zout, '--schema', SCHEMA, '-q', '--max-input-expansion', '10']);
  tally.record('a zip whose member inflates past --max-input-expansion 10: exit 2, nothing published', zipped.status !== 0
    ? [`zip failed (${zipped.error?.code ?? zipped.status}): tests/install-deps.sh installs it`]
    : [...expectExit(rz, 2), ...noOutputProblems(zout, rz),
      ...(/decompression bomb\? \(--max-input-expansion\)/.test(rz.stderr) && rz.stderr.includes('bomb.zip[orders.ndjson]') ? [] : [`stderr: ${rz.stderr.trim().slice(0, 400)}`])]);
  const ok = kiln(['convert', bomb, '-o', path.join(WORK, 'bomb-ok'), '--schema', SCHEMA, '-q', '--max-input-expansion', '0']);
  tally.record('the same file with --max-input-expansion 0 (no bound) converts', [...expectExit(ok, 0)]);
  const bad = kiln(['convert', bomb, '-o', path.join(WORK, 'x'), '--schema', SCHEMA, '--max-input-expansion', 'lots']);
  tally.record('--max-input-expansion lots: exit 1, naming the option', [
    ...expectExit(bad, 1, { json: false }), ...(/--max-input-expansion: 'lots'/.test(bad.stderr) ? [] : [`stderr: ${bad.stderr.trim()}`])]);
};

groups.archives = async () => {
  // The plain shards, and the part files and schema they give.
  const plainDir = path.join(WORK, 'plain');
  const shards = generate('ndjson', ROWS, plainDir);
  const names = shards.map((f) => path.basename(f));
  const want = path.join(WORK, 'want');
  const rw = kiln(['convert', plainDir, '-o', want, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB']);
  const wantHashes = partHashes(want);
  const tool = (cmd, args, cwd) => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`'${cmd} ${args.join(' ')}' failed: ${r.error?.code ?? r.stderr}`);
  };
  const made = {};
  const archives = [
    ['shards.tar', () => tool('tar', ['-cf', path.join(WORK, 'arc', 'shards.tar'), ...names], plainDir)],
    ['shards.tar.gz', () => tool('tar', ['-czf', path.join(WORK, 'arc', 'shards.tar.gz'), ...names], plainDir)],
    ['shards.tgz', () => tool('tar', ['-czf', path.join(WORK, 'arc', 'shards.tgz'), ...names], plainDir)],
    ['shards.tar.zst', () => tool('tar', ['-I', 'zstd -q', '-cf', path.join(WORK, 'arc', 'shards.tar.zst'), ...names], plainDir)],
    ['shards.zip', () => tool('zip', ['-q', path.join(WORK, 'arc', 'shards.zip'), ...names], plainDir)],
  ];
  fs.mkdirSync(path.join(WORK, 'arc'), { recursive: true });
  for (const [name, make] of archives) {
    try {
      make();
      made[name] = path.join(WORK, 'arc', name);
    } catch (e) {
      tally.record(`${name}: made by its tool`, [String(e.message), 'tests/install-deps.sh installs tar, zstd and zip']);
      continue;
    }
    for (const threads of ['1', '2']) {
      const out = path.join(WORK, `${name}-t${threads}`);
      const r = kiln(['convert', made[name], '-o', out, '--schema', SCHEMA, '-q', '--morsel-size', '64KiB', '--threads', threads]);
      tally.record(`${name} of 3 NDJSON shards at --threads ${threads}: the plain shards' part files`, [
        ...expectExit(rw, 0), ...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0), ...diffHashes(wantHashes, partHashes(out))]);
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  const inferPlain = kiln(['infer', plainDir]);
  const inferTgz = kiln(['infer', made['shards.tgz'] ?? 'missing.tgz']);
  tally.record('kiln infer on a .tgz (the format from its members\' names): the plain shards\' schema', [
    ...(inferPlain.code === 0 && inferTgz.code === 0 && inferPlain.stdout === inferTgz.stdout ? [] : [`exit ${inferTgz.code}: ${inferTgz.stderr.trim()}\n${inferTgz.stdout}`])]);
  const folderOut = path.join(WORK, 'folder-out');
  const rf = kiln(['convert', path.join(WORK, 'arc'), '-o', folderOut, '--schema', SCHEMA, '-q']);
  tally.record('a folder of archives is listed by their extensions: every member of each, 5 x the rows', [
    ...expectExit(rf, 0), ...countsProblems(rf, 5 * ROWS, 5 * ROWS, 0)]);

  // Member names that point outside: read as data, never used to write.
  const evilDir = path.join(WORK, 'evil', 'a', 'b');
  fs.mkdirSync(evilDir, { recursive: true });
  const evil = path.join(WORK, 'evil', 'evil.tar');
  let evilMade = true;
  try {
    tool('tar', ['-P', '-cf', evil, '--transform', 's,^,../../,', names[0]], plainDir);
  } catch (e) {
    evilMade = false;
    tally.record('a tar with a ../ member name: made', [String(e.message)]);
  }
  if (evilMade) {
    const out = path.join(evilDir, 'out');
    const re = spawnSync(KILN, ['convert', evil, '-o', out, '--schema', SCHEMA, '-q'], { cwd: evilDir, env, encoding: 'utf8' });
    const listed = spawnSync('tar', ['-tf', evil], { encoding: 'utf8' }).stdout.trim();
    const escaped = [path.join(evilDir, '..', '..', names[0]), path.join(out, '..', '..', names[0]), path.join(WORK, names[0])].filter((f) => fs.existsSync(f));
    tally.record(`a tar whose member is named ${listed}: converted, nothing written outside the output`, [
      ...(listed.startsWith('../../') ? [] : [`the member is named ${listed}`]),
      ...(re.status === 0 ? [] : [`exit ${re.status}: ${re.stderr}`]),
      ...(escaped.length ? [`files appeared at ${escaped.join(', ')}`] : []),
      ...(fs.existsSync(path.join(out, 'part-00000.parquet')) ? [] : ['no part file in the output'])]);
  }

  // Members of other names are passed over; a member of another format stops the run.
  const mixDir = path.join(WORK, 'mix');
  write(path.join(mixDir, 'README.txt'), 'not a shard\n');
  fs.copyFileSync(shards[0], path.join(mixDir, names[0]));
  tool('tar', ['-cf', path.join(WORK, 'with-readme.tar'), 'README.txt', names[0]], mixDir);
  const rr = kiln(['convert', path.join(WORK, 'with-readme.tar'), '-o', path.join(WORK, 'readme-out'), '--schema', SCHEMA]);
  const firstRows = fs.readFileSync(shards[0], 'utf8').split('\n').filter(Boolean).length;
  tally.record('a README.txt member is passed over (logged), the shard beside it converted', [
    ...expectExit(rr, 0), ...countsProblems(rr, firstRows, firstRows, 0),
    ...(/README\.txt\]: not named as a ndjson shard: passed over/.test(rr.stderr) ? [] : [`stderr: ${rr.stderr.trim().slice(0, 300)}`])]);
  write(path.join(mixDir, 'other.csv'), 'a,b\n1,2\n');
  tool('tar', ['-cf', path.join(WORK, 'mixed.tar'), names[0], 'other.csv'], mixDir);
  const rm = kiln(['convert', path.join(WORK, 'mixed.tar'), '-o', path.join(WORK, 'mixed-out'), '--schema', SCHEMA, '-q']);
  tally.record('a CSV member in an NDJSON run: exit 1 naming the member, nothing published', [
    ...expectExit(rm, 1), ...noOutputProblems(path.join(WORK, 'mixed-out'), rm),
    ...(/mixed\.tar\[other\.csv\].*a csv member in a run that reads ndjson/.test(rm.stderr) ? [] : [`stderr: ${rm.stderr.trim()}`])]);

  // Members named as no format: read when --format names it, inference included; without
  // --format the run cannot tell.
  const txtDir = path.join(WORK, 'txt');
  fs.mkdirSync(txtDir, { recursive: true });
  const txtNames = names.map((n) => n.replace(/\.ndjson$/, '.txt'));
  shards.forEach((f, i) => fs.copyFileSync(f, path.join(txtDir, txtNames[i])));
  tool('tar', ['-cf', path.join(WORK, 'txt.tar'), ...txtNames], txtDir);
  const rt = kiln(['convert', path.join(WORK, 'txt.tar'), '--format', 'ndjson', '-o', path.join(WORK, 'txt-out'), '-q']);
  tally.record('a tar of .txt members with --format ndjson and no --schema: inferred and converted', [
    ...expectExit(rt, 0), ...countsProblems(rt, ROWS, ROWS, 0)]);
  const rn = kiln(['convert', path.join(WORK, 'txt.tar'), '-o', path.join(WORK, 'txt-out2'), '--schema', SCHEMA, '-q']);
  tally.record('the same tar without --format: exit 1, the format cannot be told', [
    ...expectExit(rn, 1), ...(/cannot tell the format/.test(rn.stderr) ? [] : [`stderr: ${rn.stderr.trim()}`])]);

  // Damage: a compressed tar cut short, a plain tar cut inside a member's header.
  for (const [name, cut, words] of [['shards.tar.gz', 0.6, /damaged or truncated gzip data/], ['shards.tar', 0.5, /damaged or truncated archive|truncated/i]]) {
    if (!made[name]) continue;
    const bytes = fs.readFileSync(made[name]);
    const file = write(path.join(WORK, 'cut', name), bytes.subarray(0, Math.floor(bytes.length * cut)));
    const out = path.join(WORK, `cut-${name}-out`);
    const r = kiln(['convert', file, '-o', out, '--schema', SCHEMA, '-q']);
    tally.record(`${name} cut short: exit 2 naming it, nothing published`, [
      ...expectExit(r, 2), ...noOutputProblems(out, r), ...(words.test(r.stderr) && r.stderr.includes(name) ? [] : [`stderr: ${r.stderr.trim().slice(0, 300)}`])]);
  }
};

if (!groups[group]) {
  console.error(`compressed_test: unknown group ${group} (${Object.keys(groups).join(', ')})`);
  process.exit(1);
}
const t0 = Date.now();
await groups[group]();
console.log(`# ${group}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
tally.finish();
