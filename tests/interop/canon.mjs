// tests/interop/canon.mjs: the canonical spelling of every value kiln writes, shared by the
// three readers, the expected files the corpus writer (kn_interop_corpus.c) writes, and the
// statistics checks. Two values are equal exactly when their canonical JSON texts are equal.
//
//   type          canonical value
//   string        the string itself (JSON escapes it)
//   bool          true / false
//   int32         a JSON number
//   int64         a decimal string ("-9223372036854775808"), because JSON numbers lose digits
//   float64       a string: JavaScript's shortest round-trip spelling (String(x)), with "NaN",
//                 "Infinity", "-Infinity", and "-0" for negative zero
//   decimal(p,s)  an exact decimal string with exactly s fraction digits ("-0.05", "12.30")
//   date          "YYYY-MM-DD"
//   timestamp     microseconds since 1970-01-01 00:00:00 as a decimal string; whether the
//   timestamptz   column is adjusted to UTC is part of the column's type, not of each value
//   null          null
//
// Column types are spelled as kiln spells them (kn_type_format): "string", "bool", "int32",
// "int64", "float64", "decimal(p,s)", "date", "timestamp" (wall clock), "timestamptz" (UTC).

export function canonDouble(x) {
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

// Parses a double as some reader or DuckDB's statistics spell it ("inf", "-inf", "nan",
// "1.5e+300", "-0.0") and returns its canonical spelling.
export function canonDoubleText(text) {
  const t = String(text).trim().toLowerCase();
  if (t === 'nan' || t === '-nan') return 'NaN';
  if (t === 'inf' || t === 'infinity' || t === '+inf' || t === '+infinity') return 'Infinity';
  if (t === '-inf' || t === '-infinity') return '-Infinity';
  const x = Number(t);
  if (Number.isNaN(x)) throw new Error(`not a number: ${JSON.stringify(text)}`);
  return canonDouble(x);
}

// An unscaled decimal (a BigInt) with `scale` fraction digits.
export function canonDecimal(unscaled, scale) {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return (neg ? '-' : '') + digits;
}

// Parses a decimal text ("-1.5", "12", "0.050") into its unscaled value at `scale`; throws when
// the text has more fraction digits than the scale allows (which would be a different value).
export function decimalTextToUnscaled(text, scale) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  let frac = m[3] ?? '';
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale))) throw new Error(`decimal ${text} has more than ${scale} fraction digits`);
    frac = frac.slice(0, scale);
  }
  const v = BigInt((m[2] || '0') + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -v : v;
}

export function canonDecimalText(text, scale) {
  return canonDecimal(decimalTextToUnscaled(text, scale), scale);
}

// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian, years 0000..9999).
export function canonDate(days) {
  const d = new Date(Number(days) * 86400000);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) return d.toISOString().slice(0, -14);
  return `${String(y).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function canonTimestamp(micros) {
  return BigInt(micros).toString();
}

// "YYYY-MM-DD HH:MM:SS[.ffffff][+00[:00]]" (DuckDB's spelling in its statistics, in UTC) ->
// canonical microseconds.
export function timestampTextToCanon(text) {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(String(text).trim());
  if (!m) throw new Error(`not a timestamp: ${JSON.stringify(text)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Date.UTC maps years 0..99 to 1900..1999; set the year again to get the real one.
  const d = new Date(ms);
  if (Number(m[1]) < 100) d.setUTCFullYear(Number(m[1]));
  let micros = BigInt(d.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  if (m[8] && m[8] !== 'Z') {
    const z = /^([+-])(\d\d):?(\d\d)?$/.exec(m[8]);
    const off = (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000_000;
    micros -= BigInt(z[1] === '-' ? -off : off);
  }
  return micros.toString();
}

// Compares two canonical values of one column type: negative, zero or positive. NaN is
// handled by the caller (it is never a statistics bound); -0 sorts before 0 so a minimum of
// zero is spelled "-0" and a maximum "0", as the Parquet spec asks of writers.
export function compareCanon(type, a, b) {
  if (type === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (type === 'bool') return Number(a) - Number(b);
  if (type === 'int32') return a - b;
  if (type === 'int64' || type === 'timestamp' || type === 'timestamptz') {
    const x = BigInt(a), y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (type === 'float64') {
    const x = Number(a), y = Number(b);
    if (x !== y) return x < y ? -1 : 1;
    if (x === 0) return (Object.is(x, -0) ? 0 : 1) - (Object.is(y, -0) ? 0 : 1);
    return 0;
  }
  if (type === 'date') return a < b ? -1 : a > b ? 1 : 0;
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (dec) {
    const s = Number(dec[2]);
    const x = decimalTextToUnscaled(a, s), y = decimalTextToUnscaled(b, s);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw new Error(`no ordering for type ${type}`);
}

// The statistics a writer should put on a chunk holding `values` (canonical, null for null):
// min and max over the non-null, non-NaN values (null when there are none), with a zero
// minimum spelled "-0" and a zero maximum "0", and the null count.
export function expectedStats(type, values) {
  let min = null, max = null, nulls = 0;
  for (const v of values) {
    if (v === null) { nulls++; continue; }
    if (type === 'float64' && v === 'NaN') continue;
    if (min === null || compareCanon(type, v, min) < 0) min = v;
    if (max === null || compareCanon(type, v, max) > 0) max = v;
  }
  if (type === 'float64') {
    if (min === '0') min = '-0';
    if (max === '-0') max = '0';
  }
  return { min, max, null_count: nulls };
}

// JSON with BigInt support (BigInts are not expected in canonical values; this is for dumps).
export function toJson(value, space) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), space);
}
