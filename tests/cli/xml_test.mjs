// tests/cli/xml_test.mjs: XML input (formats/xml/kn_xml.h) end to end, one group per ctest test
// (cli_xml_GROUP).
//
//   node xml_test.mjs GROUP --kiln PATH --work DIR --gen PATH [--rows N]
//
// Groups:
//   twins    dirty generated orders as XML and as NDJSON (4 shards each, the same records):
//            DuckDB reads the same values, column by column, in the same files and rows; the
//            XML run's part files are byte-identical at 1 and 2 threads and with 64 KiB morsels,
//            and from .gz, .zst and .tar.gz copies of the shards; kiln infer finds the
//            generator's columns, and a convert with the inferred schema writes every row
//   errors   a record that is not well-formed: exit 2 naming file, line and column with
//            nothing published; skipped or quarantined with the counts adding up, the record's
//            bytes in _rejects/rejects.xml; damage outside records, a billion-laughs entity and
//            an external entity (XXE) are clear errors, and so is a document cut short when
//            read as a stream (its end in the last of many morsels); an external DTD is never read; a
//            document with no fields converts to its _text column
//   encodings UTF-16 with either byte order (with a BOM, or without one), ISO-8859-1 and
//            windows-1252, plain and gzip'd: the same values as the UTF-8 document; an unpaired
//            surrogate is exit 2 naming the byte; an encoding kiln does not know is exit 2
//
// Prints "ok - ..." / "FAIL - ..." per check and closes with "N passed, N failed".

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Tally } from '../interop/check.mjs';
import { toJson } from '../interop/canon.mjs';
import { parquetList, sqlRows, exceptAllProblems } from './sql_compare.mjs';
import {
  testArgs, configure, kiln, where, expectExit, countsProblems, write, parts, partHashes, diffHashes,
  noOutputProblems,
} from './kiln_run.mjs';

const { group, opt, work: WORK } = testArgs('xml_test', 'GROUP --kiln PATH --work DIR --gen PATH [--rows N]',
  [['--kiln', 'kiln binary'], ['--gen', 'generator (kn_gen_orders)']]);
const KILN = path.resolve(opt('--kiln'));
const GEN = path.resolve(opt('--gen'));
const ROWS = Math.min(Number(opt('--rows', '50000')), 200000);
configure({ kiln: KILN });

const tally = new Tally();
const SCHEMA = write(path.join(WORK, 'orders.schema.yaml'), spawnSync(GEN, ['--print-schema'], { encoding: 'utf8' }).stdout);
const COLUMNS = [...fs.readFileSync(SCHEMA, 'utf8').matchAll(/^\s*-\s*name:\s*"?([^"\s#]+)"?/gm)].map((m) => m[1]);

function generate(format, dir) {
  const r = spawnSync(GEN, ['--rows', String(ROWS), '--seed', '11', '--dirty', '--format', format, '--shards', '4', '-o', dir, '-q'],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kn_gen_orders --format ${format}: exit ${r.status}: ${r.stderr}`);
  return fs.readdirSync(dir).sort().map((n) => path.join(dir, n));
}

function tool(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...opts });
  if (r.error || r.status !== 0) {
    throw new Error(`'${cmd} ${args.join(' ')}' failed (${r.error?.code ?? `exit ${r.status}`}): is it installed? tests/install-deps.sh installs it`);
  }
  return r.stdout;
}

const groups = {};

groups.twins = async () => {
  const xmlDir = path.join(WORK, 'xml'), ndDir = path.join(WORK, 'ndjson');
  const xmlFiles = generate('xml', xmlDir);
  generate('ndjson', ndDir);
  const outXml = path.join(WORK, 'out-xml'), outNd = path.join(WORK, 'out-ndjson');
  await tally.run(`kiln converts ${ROWS} dirty orders as XML and as NDJSON with the generator's schema, every row written`, () => {
    const p = [];
    for (const [dir, out] of [[xmlDir, outXml], [ndDir, outNd]]) {
      const r = kiln(['convert', dir, '-o', out, '--schema', SCHEMA, '--threads', '2', '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0));
      if (r.result) console.log(`# ${path.basename(dir)}: ${r.result.bytes_in} bytes in ${r.result.seconds} s`);
    }
    return p;
  });
  const all = COLUMNS.join(', ');
  const src = (out) => `SELECT ${all} FROM read_parquet(${parquetList(parts(out))})`;
  const srcAt = (out) => `SELECT parse_filename(filename) AS part, file_row_number, ${all} FROM read_parquet(${parquetList(parts(out))}, filename = true, file_row_number = true)`;
  await tally.run('DuckDB reads the same values, every column, from the XML and the NDJSON output', async () => {
    const p = [];
    const [[a]] = await sqlRows(`SELECT count(*) FROM (${src(outXml)})`);
    if (Number(a) !== ROWS) p.push(`${a} rows read back from the XML output, expected ${ROWS}`);
    for (const c of COLUMNS) {
      p.push(...await exceptAllProblems(`the XML output's ${c}`, `SELECT ${c} FROM read_parquet(${parquetList(parts(outXml))})`,
        `the NDJSON output's ${c}`, `SELECT ${c} FROM read_parquet(${parquetList(parts(outNd))})`));
    }
    return p;
  });
  await tally.run('... in the same files and rows (part file, row number in it)', async () =>
    exceptAllProblems('the XML output', srcAt(outXml), 'the NDJSON output', srcAt(outNd)));

  const want = partHashes(outXml);
  const same = (label, args) => tally.run(label, () => {
    const out = path.join(WORK, `out-${tally.passed + tally.failed}`);
    const r = kiln(['convert', ...args, '-o', out, '--schema', SCHEMA, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, ROWS, ROWS, 0)];
    if (!p.length) p.push(...diffHashes(want, partHashes(out)));
    fs.rmSync(out, { recursive: true, force: true });
    return p;
  });
  await same('1 thread: the same part files byte for byte', [xmlDir, '--threads', '1']);
  await same('2 threads and 64 KiB morsels (records cut at guessed starts): the same part files', [xmlDir, '--threads', '2', '--morsel-size', '64KiB']);
  await same('read front to back (--input-mode stream, 64 KiB morsels): the same part files', [xmlDir, '--input-mode', 'stream', '--morsel-size', '64KiB']);
  for (const [ext, cmd] of [['gz', ['gzip', '-c']], ['zst', ['zstd', '-c', '-q']]]) {
    const dir = path.join(WORK, `xml-${ext}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of xmlFiles) write(path.join(dir, `${path.basename(f)}.${ext}`), tool(cmd[0], cmd.slice(1), { input: fs.readFileSync(f) }));
    await same(`the shards as .xml.${ext}, 2 threads: the same part files`, [dir, '--threads', '2', '--morsel-size', '64KiB']);
  }
  const tgz = path.join(WORK, 'shards.tar.gz');
  tool('tar', ['-czf', tgz, '-C', xmlDir, ...xmlFiles.map((f) => path.basename(f))]);
  await same('the shards in a .tar.gz: the same part files', [tgz, '--threads', '2']);

  await tally.run('kiln infer on the XML shards finds the generator\'s columns; converting with that schema writes every row', () => {
    const r = kiln(['infer', xmlDir], { json: false });
    const p = [];
    if (r.code !== 0) return [`${where(r)}: exit ${r.code}: ${r.stderr}`];
    const got = [...r.stdout.matchAll(/^\s*-\s*name:\s*"?([^"\s#]+)"?/gm)].map((m) => m[1]);
    if (toJson([...got].sort()) !== toJson([...COLUMNS].sort())) p.push(`inferred columns ${toJson(got)}, expected ${toJson(COLUMNS)}`);
    const inferred = write(path.join(WORK, 'inferred.schema.yaml'), r.stdout);
    const c = kiln(['convert', xmlDir, '-o', path.join(WORK, 'out-inferred'), '--schema', inferred, '-q']);
    p.push(...expectExit(c, 0), ...countsProblems(c, ROWS, ROWS, 0));
    return p;
  });
};

groups.errors = async () => {
  const schema = write(path.join(WORK, 'small.schema.yaml'), 'columns:\n  - name: id\n    type: int64\n  - name: name\n    type: string\n');
  const doc = (body, head = '') => `<?xml version="1.0"?>\n${head}<rows>\n${body}</rows>\n`;
  const good = (i) => `  <row><id>${i}</id><name>n${i}</name></row>\n`;
  const bad = '  <row><id>3</id><name>broken</nam></row>\n';
  const file = write(path.join(WORK, 'in', 'rows.xml'), doc(good(1) + good(2) + bad + good(4)));

  await tally.run('a record that is not well-formed: exit 2 naming the file, line 5 and the reason, nothing published', () => {
    const out = path.join(WORK, 'out-fail');
    const r = kiln(['convert', file, '-o', out, '--schema', schema, '-q']);
    const p = [...expectExit(r, 2), ...noOutputProblems(out, r)];
    const msg = r.result?.error ?? '';
    if (!msg.includes('rows.xml:5:') || !msg.includes('does not match'))
      p.push(`the error should name rows.xml, line 5 and the mismatched end tag: ${msg} / ${r.stderr.trim()}`);
    return p;
  });
  await tally.run('--on-error quarantine: 3 rows written, 1 rejected, its bytes in _rejects/rejects.xml', () => {
    const out = path.join(WORK, 'out-q');
    const r = kiln(['convert', file, '-o', out, '--schema', schema, '--on-error', 'quarantine', '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 4, 3, 1)];
    const rej = path.join(out, '_rejects', 'rejects.xml');
    if (!fs.existsSync(rej)) p.push(`no ${rej}`);
    else if (!fs.readFileSync(rej, 'utf8').includes(bad.trim())) p.push(`${rej} does not hold the bad record: ${fs.readFileSync(rej, 'utf8')}`);
    return p;
  });
  await tally.run('--on-error skip: the same counts', () => {
    const r = kiln(['convert', file, '-o', path.join(WORK, 'out-s'), '--schema', schema, '--on-error', 'skip', '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, 4, 3, 1)];
  });

  const cases = [
    ['damage outside records (the document element never closed)', `<?xml version="1.0"?>\n<rows>\n${good(1)}`, 'is closed'],
    ['a second document element', doc(good(1)) + '<rows/>\n', 'second document element'],
    ['a billion laughs', doc(good(1) + '  <row><id>2</id><name>&l9;</name></row>\n',
      `<!DOCTYPE rows [<!ENTITY l0 "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('')}]>\n`),
    'limit on entity size'],
    ['an external entity (XXE)', doc('  <row><id>1</id><name>&x;</name></row>\n', '<!DOCTYPE rows [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'),
      'never opens external'],
  ];
  for (const [label, text, why] of cases) {
    await tally.run(`${label}: exit 2 with a clear message, nothing published`, () => {
      const f = write(path.join(WORK, 'cases', `${label.replace(/\W+/g, '-')}.xml`), text);
      const out = path.join(WORK, `out-${label.replace(/\W+/g, '-')}`);
      const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
      const p = [...expectExit(r, 2), ...noOutputProblems(out, r)];
      if (!(r.result?.error ?? '').includes(why)) p.push(`the error should say "${why}": ${r.result?.error}`);
      if ((r.result?.error ?? '').includes('root:')) p.push('the message shows /etc/passwd\'s content');
      return p;
    });
  }
  await tally.run('a document cut short, read as a stream in 1 KiB morsels (gzip\'d, or --input-mode stream): exit 2, the end found', () => {
    const rows = Array.from({ length: 300 }, (_, i) => good(i)).join('');
    const whole = write(path.join(WORK, 'cases', 'long.xml'), doc(rows));
    const cut = write(path.join(WORK, 'cases', 'long-cut.xml'), `<?xml version="1.0"?>\n<rows>\n${rows}`);
    const cutGz = write(path.join(WORK, 'cases', 'long-cut.xml.gz'), tool('gzip', ['-c'], { input: fs.readFileSync(cut) }));
    const p = [];
    for (const args of [[cutGz], [cut, '--input-mode', 'stream']]) {
      const out = path.join(WORK, 'out-cut');
      const r = kiln(['convert', ...args, '-o', out, '--schema', schema, '--morsel-size', '1KiB', '-q']);
      p.push(...expectExit(r, 2), ...noOutputProblems(out, r));
      if (!(r.result?.error ?? '').includes('is closed')) p.push(`${where(r)}: the error should say the document element is not closed: ${r.result?.error}`);
    }
    const r = kiln(['convert', whole, '-o', path.join(WORK, 'out-whole'), '--schema', schema, '--morsel-size', '1KiB', '--input-mode', 'stream', '-q']);
    p.push(...expectExit(r, 0), ...countsProblems(r, 300, 300, 0));
    return p;
  });
  await tally.run('--row-tag with wrapping elements over 1 KiB morsels: the same bytes at 1 and 2 threads; a wrapper closed wrong is exit 2', () => {
    const batch = (b, close = '</batch>') => `<batch n="${b}">${Array.from({ length: 40 }, (_, i) => `<row><id>${b * 100 + i}</id><name>n</name></row>`).join('')}${close}`;
    const good = write(path.join(WORK, 'cases', 'wrapped.xml'), `<feed>${[1, 2, 3, 4, 5].map((b) => batch(b)).join('')}</feed>`);
    const bad = write(path.join(WORK, 'cases', 'wrapped-bad.xml'), `<feed>${[1, 2].map((b) => batch(b)).join('')}${batch(3, '</batches>')}${batch(4)}</feed>`);
    const p = [];
    const outs = [1, 2].map((t) => {
      const out = path.join(WORK, `out-wrapped-${t}`);
      const r = kiln(['convert', good, '-o', out, '--schema', schema, '--row-tag', 'row', '--threads', String(t), '--morsel-size', '1KiB', '-q']);
      p.push(...expectExit(r, 0), ...countsProblems(r, 200, 200, 0));
      return out;
    });
    if (!p.length) p.push(...diffHashes(partHashes(outs[0]), partHashes(outs[1])));
    const out = path.join(WORK, 'out-wrapped-bad');
    const r = kiln(['convert', bad, '-o', out, '--schema', schema, '--row-tag', 'row', '--threads', '2', '--morsel-size', '1KiB', '-q']);
    p.push(...expectExit(r, 2), ...noOutputProblems(out, r));
    if (!(r.result?.error ?? '').includes('does not match')) p.push(`the error should name the end tag that does not match: ${r.result?.error}`);
    return p;
  });
  await tally.run('an external DTD is named, never read: the document converts', () => {
    const f = write(path.join(WORK, 'cases', 'dtd.xml'), doc(good(1), '<!DOCTYPE rows SYSTEM "/nonexistent/evil.dtd">\n'));
    const r = kiln(['convert', f, '-o', path.join(WORK, 'out-dtd'), '--schema', schema, '-q']);
    return [...expectExit(r, 0), ...countsProblems(r, 1, 1, 0)];
  });
  await tally.run('a document whose records have no fields converts to its _text column', async () => {
    const f = write(path.join(WORK, 'cases', 'text.xml'), '<log><line>first</line><line>second &amp; last</line><line/></log>');
    const out = path.join(WORK, 'out-text');
    const r = kiln(['convert', f, '-o', out, '-q']);
    const p = [...expectExit(r, 0), ...countsProblems(r, 3, 3, 0)];
    if (!p.length) {
      const rows = await sqlRows(`SELECT _text FROM read_parquet(${parquetList(parts(out))})`);
      if (toJson(rows) !== toJson([['first'], ['second & last'], [null]])) p.push(`read back ${toJson(rows)}`);
    }
    return p;
  });
};

groups.encodings = async () => {
  const text = '<?xml version="1.0" encoding="ENC"?>\n<rows>\n  <row><id>1</id><name>caf\u00e9 \u20ac</name></row>\n</rows>\n';
  const schema = write(path.join(WORK, 'small.schema.yaml'), 'columns:\n  - name: id\n    type: int64\n  - name: name\n    type: string\n');
  const latin = (t, cp1252) => Buffer.from([...t].map((c) => (c === '\u20ac' ? (cp1252 ? 0x80 : 0x3f) : c.charCodeAt(0))));
  const be = (t) => { const b = Buffer.from(t, 'utf16le'); for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]]; return b; };
  const cases = [
    ['utf-8', Buffer.from(text.replace('ENC', 'UTF-8')), 'caf\u00e9 \u20ac'],
    ['utf-16le with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace('ENC', 'UTF-16'), 'utf16le')]), 'caf\u00e9 \u20ac'],
    ['utf-16be with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), be(text.replace('ENC', 'UTF-16'))]), 'caf\u00e9 \u20ac'],
    ['utf-16le without a BOM', Buffer.from(text.replace('ENC', 'UTF-16'), 'utf16le'), 'caf\u00e9 \u20ac'],
    ['iso-8859-1', latin(text.replace('ENC', 'ISO-8859-1'), false), 'caf\u00e9 ?'],
    ['windows-1252', latin(text.replace('ENC', 'windows-1252'), true), 'caf\u00e9 \u20ac'],
  ];
  for (const [label, bytes, want] of cases) {
    for (const gz of [false, true]) {
      await tally.run(`${label}${gz ? ', gzip\'d' : ''}: the values read as UTF-8`, async () => {
        const name = `${label.replace(/\W+/g, '-')}${gz ? '.xml.gz' : '.xml'}`;
        const f = write(path.join(WORK, 'enc', name), gz ? tool('gzip', ['-c'], { input: bytes }) : bytes);
        const out = path.join(WORK, `out-${name}`);
        const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
        const p = [...expectExit(r, 0), ...countsProblems(r, 1, 1, 0)];
        if (!p.length) {
          const rows = await sqlRows(`SELECT id, name FROM read_parquet(${parquetList(parts(out))})`);
          if (toJson(rows) !== toJson([['1', want]])) p.push(`read back ${toJson(rows)}, expected ${toJson([['1', want]])}`);
        }
        return p;
      });
    }
  }
  await tally.run('UTF-16 with an unpaired surrogate: exit 2 naming the byte, nothing published', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<rows><row><id>1</id><name>', 'utf16le'),
      Buffer.from([0x00, 0xd8, 0x41, 0x00]), Buffer.from('</name></row></rows>', 'utf16le')]);
    const f = write(path.join(WORK, 'enc', 'surrogate.xml'), bytes);
    const out = path.join(WORK, 'out-surrogate');
    const r = kiln(['convert', f, '-o', out, '--schema', schema, '-q']);
    const p = [...expectExit(r, 2), ...noOutputProblems(out, r)];
    if (!/invalid utf-16le text at byte \d+/.test(r.result?.error ?? '')) p.push(`the error should name the byte: ${r.result?.error}`);
    return p;
  });
  await tally.run('an encoding kiln does not know: exit 2 saying which it reads', () => {
    const f = write(path.join(WORK, 'enc', 'sjis.xml'), text.replace('ENC', 'Shift_JIS'));
    const r = kiln(['convert', f, '-o', path.join(WORK, 'out-sjis'), '--schema', schema, '-q']);
    const p = expectExit(r, 2);
    if (!(r.result?.error ?? '').includes('not supported')) p.push(`the error should say the encoding is not supported: ${r.result?.error}`);
    return p;
  });
};

if (!groups[group]) {
  console.error(`xml_test: no group ${group} (${Object.keys(groups).join(', ')})`);
  process.exit(1);
}
await groups[group]();
tally.finish();
