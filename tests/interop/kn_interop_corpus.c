/* tests/interop/kn_interop_corpus.c: writes the interop corpus, Parquet files made by kiln's
 * writer (kn_pq_writer onto a kn_file sink), and beside each NAME.parquet the values it must
 * hold as NAME.expected.json, in the canonical JSON of tests/interop/canon.mjs.
 *
 *   kn_interop_corpus OUTDIR
 *
 * compare.mjs then reads every file with DuckDB, arrow-rs (parquet-wasm) and hyparquet and
 * checks each value, the footer statistics, row groups, pages and encodings against these
 * files. The expected values are printed from the very column vectors handed to the writer, so
 * they do not depend on the writer; the expected statistics (min, max, null count per column
 * over the whole file) are computed here too, with the Parquet rules: strings compare as
 * unsigned bytes, NaN is never a bound, a zero minimum is -0 and a zero maximum +0.
 *
 * The corpus covers every kiln type with edge values, all-null / no-null / mixed and REQUIRED
 * columns, empty and multi-byte strings (4-byte emoji too), strings over 64 KiB, a dictionary
 * that overflows into PLAIN pages, every codec, several row groups and pages, zero rows, and
 * key/value metadata, leading nulls that keep their dictionary, and sorting_columns.
 *
 * A test program, not library code: it prints its own errors and exits 1 on failure. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_file.h"
#include "kn_json_out.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_status.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define MAX_COLS 32
#define MAX_BATCHES 512

/* ------------------------------------------------------------------------------ failing loudly */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("kn_interop_corpus: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void check(kn_status st, const kn_error *err, const char *doing) {
    if (st == KN_OK) return;
    char msg[2048];
    kn_error_format(err, msg, sizeof msg);
    die("%s: %s (%s)", doing, msg, kn_status_name(st));
}

/* ---------------------------------------------------------------------- canonical value text */

/* JavaScript's Number.prototype.toString for a finite, non-zero double: the shortest digits
 * that read back to the same double, laid out by ECMAScript's rules (plain notation for
 * exponents in [-7, 21), else d.ddde+X). So the expected text equals what the readers print. */
static void fmt_double(double x, char *out, size_t cap) {
    if (isnan(x)) { snprintf(out, cap, "NaN"); return; }
    if (isinf(x)) { snprintf(out, cap, x < 0 ? "-Infinity" : "Infinity"); return; }
    if (x == 0) { snprintf(out, cap, signbit(x) ? "-0" : "0"); return; }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    const char *p = buf;
    bool neg = *p == '-';
    if (neg) p++;
    char digits[32];
    int k = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    int e10 = atoi(p + 1);
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = '\0';
    int n = e10 + 1; /* the decimal point sits after n digits */
    char *o = out;
    size_t left = cap;
#define PUT(...)                                                                             \
    do {                                                                                      \
        int w_ = snprintf(o, left, __VA_ARGS__);                                              \
        if (w_ < 0 || (size_t)w_ >= left) die("number text too long");                        \
        o += w_;                                                                              \
        left -= (size_t)w_;                                                                   \
    } while (0)
    if (neg) PUT("-");
    if (k <= n && n <= 21) {
        PUT("%s", digits);
        for (int i = 0; i < n - k; i++) PUT("0");
    } else if (0 < n && n <= 21) {
        PUT("%.*s.%s", n, digits, digits + n);
    } else if (-6 < n && n <= 0) {
        PUT("0.");
        for (int i = 0; i < -n; i++) PUT("0");
        PUT("%s", digits);
    } else {
        PUT("%c", digits[0]);
        if (k > 1) PUT(".%s", digits + 1);
        PUT("e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
#undef PUT
}

/* An unscaled decimal with `scale` fraction digits: "-12.30". */
static void fmt_decimal(i128 v, int scale, char *out, size_t cap) {
    bool neg = v < 0;
    u128 u = neg ? (u128)0 - (u128)v : (u128)v;
    char rev[64];
    int n = 0;
    do {
        rev[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n < scale + 1) rev[n++] = '0';
    size_t o = 0;
    if (neg) out[o++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[o++] = rev[i];
        if (i == scale && scale > 0) out[o++] = '.';
    }
    if (o >= cap) die("decimal text too long");
    out[o] = '\0';
}

/* Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian; the days-to-civil conversion by
 * 400-year eras, 146097 days each). */
static void fmt_date(int32_t days, char *out, size_t cap) {
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    snprintf(out, cap, "%04" PRId64 "-%02" PRId64 "-%02" PRId64, y, m, d);
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static i128 col_i128(const kn_column *c, size_t i) {
    kn_i128 v = kn_column_i128(c)[i];
    return (i128)(((u128)(uint64_t)v.hi << 64) | v.lo);
}

static kn_i128 to_kn_i128(i128 v) {
    kn_i128 r;
    r.lo = (uint64_t)(u128)v;
    r.hi = (int64_t)(v >> 64);
    return r;
}

/* Writes value `i` of `c` as canonical JSON. */
static void put_value(FILE *f, const kn_column *c, size_t i) {
    char buf[128];
    if (!kn_column_is_valid(c, i)) { fputs("null", f); return; }
    switch (c->type.id) {
    case KN_TYPE_STRING: {
        size_t len;
        const uint8_t *s = kn_column_str(c, i, &len);
        kn_json_write_string(f, (const char *)s, len);
        return;
    }
    case KN_TYPE_BOOL: fputs(kn_column_bool(c)[i] ? "true" : "false", f); return;
    case KN_TYPE_INT32: fprintf(f, "%" PRId32, kn_column_i32(c)[i]); return;
    case KN_TYPE_INT64:
    case KN_TYPE_TIMESTAMP: fprintf(f, "\"%" PRId64 "\"", kn_column_i64(c)[i]); return;
    case KN_TYPE_FLOAT64: fmt_double(kn_column_f64(c)[i], buf, sizeof buf); break;
    case KN_TYPE_DECIMAL:
        fmt_decimal(c->type.precision <= 18 ? (i128)kn_column_i64(c)[i] : col_i128(c, i), c->type.scale, buf, sizeof buf);
        break;
    case KN_TYPE_DATE: fmt_date(kn_column_i32(c)[i], buf, sizeof buf); break;
    default: die("unknown type %d", (int)c->type.id);
    }
    fprintf(f, "\"%s\"", buf);
}

/* Orders two present values of one type the way Parquet statistics order them. */
static int cmp_value(const kn_column *a, size_t i, const kn_column *b, size_t j) {
    switch (a->type.id) {
    case KN_TYPE_STRING: {
        size_t la, lb;
        const uint8_t *sa = kn_column_str(a, i, &la), *sb = kn_column_str(b, j, &lb);
        int r = memcmp(sa, sb, la < lb ? la : lb);
        return r ? r : (la > lb) - (la < lb);
    }
    case KN_TYPE_BOOL: return (int)kn_column_bool(a)[i] - (int)kn_column_bool(b)[j];
    case KN_TYPE_INT32:
    case KN_TYPE_DATE: {
        int32_t x = kn_column_i32(a)[i], y = kn_column_i32(b)[j];
        return (x > y) - (x < y);
    }
    case KN_TYPE_INT64:
    case KN_TYPE_TIMESTAMP: {
        int64_t x = kn_column_i64(a)[i], y = kn_column_i64(b)[j];
        return (x > y) - (x < y);
    }
    case KN_TYPE_FLOAT64: {
        double x = kn_column_f64(a)[i], y = kn_column_f64(b)[j];
        return (x > y) - (x < y); /* -0 == +0 here; the bound's sign is fixed when printed */
    }
    case KN_TYPE_DECIMAL: {
        i128 x = a->type.precision <= 18 ? kn_column_i64(a)[i] : col_i128(a, i);
        i128 y = b->type.precision <= 18 ? kn_column_i64(b)[j] : col_i128(b, j);
        return (x > y) - (x < y);
    }
    default: die("unknown type %d", (int)a->type.id);
    }
}

/* -------------------------------------------------------------------------------- corpus file */

typedef struct corpus_file {
    char name[96];
    const char *what;
    kn_schema *schema;
    kn_pq_options opt;
    kn_pq_kv kv[8];
    size_t num_kv;
    kn_batch *batches[MAX_BATCHES];
    size_t num_batches;
    size_t batch_rows; /* rows per batch before the next one starts */
    /* Layout the readers must see (0 / NULL: not checked). */
    int min_row_groups;
    int min_pages;              /* data pages per column chunk, at least, in column `pages_column` */
    const char *pages_column;
    const char *dict_fallback;  /* a column whose chunk must hold dictionary AND plain data pages */
    const char *dict_only;      /* a column whose data pages must all be dictionary-encoded */
} corpus_file;

static void cf_begin(corpus_file *cf, const char *name, const char *what) {
    memset(cf, 0, sizeof *cf);
    snprintf(cf->name, sizeof cf->name, "%s", name);
    cf->what = what;
    cf->schema = kn_schema_create();
    if (!cf->schema) die("out of memory");
    kn_pq_options_init(&cf->opt);
    cf->batch_rows = 1000;
}

static void cf_col(corpus_file *cf, const char *name, kn_type type, bool nullable) {
    kn_error err;
    kn_error_reset(&err);
    check(kn_schema_add(cf->schema, name, type, nullable, &err), &err, "adding a column");
}

/* The batch to append the next row to (a new one every batch_rows rows). */
static kn_batch *cf_row(corpus_file *cf) {
    kn_error err;
    kn_error_reset(&err);
    kn_batch *b = cf->num_batches ? cf->batches[cf->num_batches - 1] : NULL;
    if (b && b->columns[0].length < cf->batch_rows) return b;
    if (cf->num_batches == MAX_BATCHES) die("%s: too many batches", cf->name);
    check(kn_batch_create(cf->schema, cf->batch_rows, &b, &err), &err, "creating a batch");
    cf->batches[cf->num_batches++] = b;
    return b;
}

static void app_check(kn_status st, const kn_error *err) { check(st, err, "appending a value"); }

static void put_null(kn_column *c) {
    kn_error e;
    app_check(kn_column_append_null(c, &e), &e);
}
static void put_str(kn_column *c, const char *s, size_t len) {
    kn_error e;
    app_check(kn_column_append_str(c, s, len, &e), &e);
}
static void put_cstr(kn_column *c, const char *s) { put_str(c, s, strlen(s)); }
static void put_bool(kn_column *c, bool v) {
    kn_error e;
    app_check(kn_column_append_bool(c, v, &e), &e);
}
static void put_i32(kn_column *c, int32_t v) {
    kn_error e;
    app_check(kn_column_append_i32(c, v, &e), &e);
}
static void put_i64(kn_column *c, int64_t v) {
    kn_error e;
    app_check(kn_column_append_i64(c, v, &e), &e);
}
static void put_f64(kn_column *c, double v) {
    kn_error e;
    app_check(kn_column_append_f64(c, v, &e), &e);
}
static void put_dec(kn_column *c, i128 v) {
    kn_error e;
    if (c->type.precision <= 18) app_check(kn_column_append_i64(c, (int64_t)v, &e), &e);
    else app_check(kn_column_append_i128(c, to_kn_i128(v), &e), &e);
}

static const char *codec_footer_name(kn_codec c) {
    switch (c) {
    case KN_CODEC_NONE: return "UNCOMPRESSED";
    case KN_CODEC_SNAPPY: return "SNAPPY";
    case KN_CODEC_GZIP: return "GZIP";
    case KN_CODEC_ZSTD: return "ZSTD";
    case KN_CODEC_LZ4_RAW: return "LZ4_RAW";
    }
    return "?";
}

static char *path_in(const char *dir, const char *name, const char *ext) {
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = kn_malloc(n);
    if (!p) die("out of memory");
    snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static void put_json_field_str(FILE *f, const char *key, const char *value) {
    fprintf(f, ",\"%s\":", key);
    if (value) kn_json_write_string(f, value, strlen(value));
    else fputs("null", f);
}

/* Writes the Parquet file and its expected values, then frees the batches and schema. */
static void cf_finish(corpus_file *cf, const char *dir) {
    kn_error err;
    kn_error_reset(&err);
    for (size_t b = 0; b < cf->num_batches; b++) check(kn_batch_seal(cf->batches[b], &err), &err, "sealing a batch");
    cf->opt.metadata = cf->num_kv ? cf->kv : NULL;
    cf->opt.metadata_count = cf->num_kv;

    char *pq_path = path_in(dir, cf->name, ".parquet");
    kn_sink *sink = NULL;
    check(kn_file_sink_create(pq_path, NULL, &sink, &err), &err, pq_path);
    kn_pq_writer *w = NULL;
    check(kn_pq_writer_create(cf->schema, sink, &cf->opt, &w, &err), &err, "creating the writer");
    for (size_t b = 0; b < cf->num_batches; b++) {
        kn_status st = kn_pq_writer_write(w, cf->batches[b], &err);
        if (st != KN_OK) kn_pq_writer_abort(w);
        check(st, &err, "writing a batch");
    }
    kn_pq_file_info info;
    memset(&info, 0, sizeof info);
    check(kn_pq_writer_close(w, &info, &err), &err, "closing the writer");

    size_t rows = 0;
    for (size_t b = 0; b < cf->num_batches; b++) rows += cf->batches[b]->num_rows;
    if (info.num_rows != rows) die("%s: the writer reports %" PRIu64 " rows, %zu were written", cf->name, info.num_rows, rows);

    char *exp_path = path_in(dir, cf->name, ".expected.json");
    FILE *f = fopen(exp_path, "w");
    if (!f) die("cannot write %s: %s", exp_path, strerror(errno));
    fprintf(f, "{\"file\":");
    char *base = path_in("", cf->name, ".parquet");
    kn_json_write_string(f, base + 1, strlen(base + 1));
    kn_free(base);
    put_json_field_str(f, "what", cf->what);
    put_json_field_str(f, "codec", codec_footer_name(cf->opt.codec));
    fprintf(f, ",\"num_rows\":%zu,\"num_row_groups\":%zu,\"file_bytes\":%" PRIu64, rows, info.num_row_groups, info.file_bytes);
    fprintf(f, ",\"min_row_groups\":%d,\"min_pages\":%d", cf->min_row_groups, cf->min_pages);
    fprintf(f, ",\"sorting_columns\":%zu", cf->opt.num_sorting_columns);
    put_json_field_str(f, "pages_column", cf->pages_column);
    put_json_field_str(f, "dict_fallback_column", cf->dict_fallback);
    put_json_field_str(f, "dict_only_column", cf->dict_only);
    fputs(",\"kv\":[", f);
    for (size_t i = 0; i < cf->num_kv; i++) {
        fprintf(f, "%s{\"key\":", i ? "," : "");
        kn_json_write_string(f, cf->kv[i].key, strlen(cf->kv[i].key));
        put_json_field_str(f, "value", cf->kv[i].value);
        fputc('}', f);
    }
    fputs("],\"columns\":[", f);
    for (size_t c = 0; c < cf->schema->num_fields; c++) {
        const kn_field *fd = &cf->schema->fields[c];
        char tname[64];
        kn_type_format(fd->type, tname, sizeof tname);
        fprintf(f, "%s{\"name\":", c ? "," : "");
        kn_json_write_string(f, fd->name, strlen(fd->name));
        fprintf(f, ",\"type\":\"%s\",\"nullable\":%s}", tname, fd->nullable ? "true" : "false");
    }
    /* File-wide statistics per column. */
    fputs("],\"stats\":[", f);
    for (size_t c = 0; c < cf->schema->num_fields; c++) {
        const kn_column *minc = NULL, *maxc = NULL;
        size_t mini = 0, maxi = 0, nulls = 0;
        for (size_t b = 0; b < cf->num_batches; b++) {
            const kn_column *col = &cf->batches[b]->columns[c];
            for (size_t i = 0; i < col->length; i++) {
                if (!kn_column_is_valid(col, i)) { nulls++; continue; }
                if (col->type.id == KN_TYPE_FLOAT64 && isnan(kn_column_f64(col)[i])) continue;
                if (!minc || cmp_value(col, i, minc, mini) < 0) { minc = col; mini = i; }
                if (!maxc || cmp_value(col, i, maxc, maxi) > 0) { maxc = col; maxi = i; }
            }
        }
        fprintf(f, "%s{\"name\":", c ? "," : "");
        kn_json_write_string(f, cf->schema->fields[c].name, strlen(cf->schema->fields[c].name));
        fputs(",\"min\":", f);
        bool fzero_min = minc && minc->type.id == KN_TYPE_FLOAT64 && kn_column_f64(minc)[mini] == 0;
        bool fzero_max = maxc && maxc->type.id == KN_TYPE_FLOAT64 && kn_column_f64(maxc)[maxi] == 0;
        if (!minc) fputs("null", f);
        else if (fzero_min) fputs("\"-0\"", f);
        else put_value(f, minc, mini);
        fputs(",\"max\":", f);
        if (!maxc) fputs("null", f);
        else if (fzero_max) fputs("\"0\"", f);
        else put_value(f, maxc, maxi);
        fprintf(f, ",\"null_count\":%zu}", nulls);
    }
    fputs("],\"rows\":[", f);
    bool first = true;
    for (size_t b = 0; b < cf->num_batches; b++) {
        const kn_batch *bt = cf->batches[b];
        for (size_t r = 0; r < bt->num_rows; r++) {
            fputs(first ? "\n[" : ",\n[", f);
            first = false;
            for (size_t c = 0; c < cf->schema->num_fields; c++) {
                if (c) fputc(',', f);
                put_value(f, &bt->columns[c], r);
            }
            fputc(']', f);
        }
    }
    fputs("]}\n", f);
    if (fclose(f) != 0) die("cannot write %s: %s", exp_path, strerror(errno));

    printf("wrote %s: %zu rows, %zu row group(s), %" PRIu64 " bytes\n", pq_path, rows, info.num_row_groups, info.file_bytes);
    kn_free(exp_path);
    kn_free(pq_path);
    for (size_t b = 0; b < cf->num_batches; b++) kn_batch_free(cf->batches[b]);
    kn_schema_free(cf->schema);
}

/* ------------------------------------------------------------------------------- the values */

/* A deterministic hash of (row, column) so the data look random but never change. */
static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static uint64_t h(size_t row, size_t col) { return mix(((uint64_t)row << 8) ^ col); }

static i128 pow10_i128(int n) {
    i128 v = 1;
    while (n-- > 0) v *= 10;
    return v;
}

#define MICROS_PER_DAY INT64_C(86400000000)

static const char *const edge_strings[] = {
    "",
    "a",
    "plain ascii text",
    "\xc3\xa9t\xc3\xa9",                                 /* été: 2-byte UTF-8 */
    "\xe6\xbc\xa2\xe5\xad\x97",                          /* 漢字: 3-byte */
    "\xf0\x9f\x98\x80",                                  /* 😀: 4-byte */
    "mixed \xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80\xf0\x9f\x8e\x89 end",
    "quote \" backslash \\ slash /",
    "tab\tnewline\ncarriage\rreturn",
    "\x01\x02\x1f control bytes",
    "\xf4\x8f\xbf\xbf",                                  /* U+10FFFF, the highest code point */
    "\x7f delete",
    "zzzz",
    "    leading and trailing spaces    ",
};
#define NUM_EDGE_STRINGS (sizeof edge_strings / sizeof edge_strings[0])

/* The all-types schema, used by several files. */
static void types_schema(corpus_file *cf, bool nullable) {
    cf_col(cf, "s", kn_type_make(KN_TYPE_STRING), nullable);
    cf_col(cf, "b", kn_type_make(KN_TYPE_BOOL), nullable);
    cf_col(cf, "i32", kn_type_make(KN_TYPE_INT32), nullable);
    cf_col(cf, "i64", kn_type_make(KN_TYPE_INT64), nullable);
    cf_col(cf, "f64", kn_type_make(KN_TYPE_FLOAT64), nullable);
    cf_col(cf, "d9_2", kn_type_decimal(9, 2), nullable);
    cf_col(cf, "d18_4", kn_type_decimal(18, 4), nullable);
    cf_col(cf, "d38_10", kn_type_decimal(38, 10), nullable);
    cf_col(cf, "dt", kn_type_make(KN_TYPE_DATE), nullable);
    cf_col(cf, "ts", kn_type_timestamp(false), nullable);
    cf_col(cf, "tstz", kn_type_timestamp(true), nullable);
}

/* Row `r` of the all-types schema. The first rows walk the edge values of each type; later
 * rows are pseudo-random. `null_every` > 0 makes roughly one value in null_every null (per
 * column, at different rows); 0 means no nulls. `specials` allows NaN and infinities. */
static void types_row(corpus_file *cf, size_t r, int null_every, bool specials) {
    kn_batch *b = cf_row(cf);
    kn_column *col = b->columns;
    for (size_t c = 0; c < 11; c++) {
        uint64_t x = h(r, c);
        if (null_every > 0 && r >= 24 && x % (uint64_t)null_every == 0) { put_null(&col[c]); continue; }
        switch (c) {
        case 0:
            if (r < NUM_EDGE_STRINGS) put_cstr(&col[c], edge_strings[r]);
            else {
                char s[64];
                int n = snprintf(s, sizeof s, "v%" PRIu64 "-\xc3\xa9-%zu", x % 100000, r);
                put_str(&col[c], s, (size_t)n);
            }
            break;
        case 1: put_bool(&col[c], (x >> 7) & 1); break;
        case 2: {
            static const int32_t e[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
            put_i32(&col[c], r < 5 ? e[r] : (int32_t)(uint32_t)x);
            break;
        }
        case 3: {
            static const int64_t e[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_C(9007199254740993)};
            put_i64(&col[c], r < 6 ? e[r] : (int64_t)x);
            break;
        }
        case 4: {
            const double e[] = {-0.0, 0.0, DBL_MAX, -DBL_MAX, DBL_MIN, 4.9406564584124654e-324,
                                0.1, 1e21, 1e-7, 123456789.125, -2.5, 1.0 / 3.0, 5e-324 * 3,
                                NAN, INFINITY, -INFINITY};
            size_t ne = sizeof e / sizeof e[0] - (specials ? 0 : 3);
            if (r < ne) put_f64(&col[c], e[r]);
            else put_f64(&col[c], ((double)(int64_t)(x % 2000001) - 1000000.0) / 1024.0 + (double)(x >> 40) * 1e-9);
            break;
        }
        case 5: case 6: case 7: {
            int p = c == 5 ? 9 : c == 6 ? 18 : 38;
            i128 maxv = pow10_i128(p) - 1;
            i128 e[] = {maxv, -maxv, 0, -1, 1, -5};
            if (r < 6) put_dec(&col[c], e[r]);
            else {
                i128 v = (i128)(x >> 1) * (p == 38 ? (i128)(mix(x) >> 20) : 1);
                v %= maxv + 1;
                put_dec(&col[c], (x & 1) ? -v : v);
            }
            break;
        }
        case 8: {
            const int32_t e[] = {(int32_t)days_from_civil(1, 1, 1), (int32_t)days_from_civil(9999, 12, 31), 0, -1,
                                 (int32_t)days_from_civil(2000, 2, 29), (int32_t)days_from_civil(1900, 3, 1)};
            put_i32(&col[c], r < 6 ? e[r] : (int32_t)(x % 80000) - 20000);
            break;
        }
        default: {
            const int64_t e[] = {days_from_civil(1, 1, 1) * MICROS_PER_DAY,
                                 days_from_civil(10000, 1, 1) * MICROS_PER_DAY - 1, 0, -1, 1,
                                 days_from_civil(1900, 1, 1) * MICROS_PER_DAY + 123456};
            put_i64(&col[c], r < 6 ? e[r] : (int64_t)(x % (UINT64_C(200) * 365 * 86400000000)) - INT64_C(50) * 365 * 86400000000);
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------------------- the files */

static void file_types(const char *dir, const char *name, kn_codec codec) {
    corpus_file cf;
    cf_begin(&cf, name, "every kiln type with its edge values (NaN, +-Inf, -0, min/max integers, "
                        "widest decimals, year 1 and 9999), some nulls, in several batches");
    types_schema(&cf, true);
    cf.opt.codec = codec;
    cf.batch_rows = 64;
    for (size_t r = 0; r < 300; r++) types_row(&cf, r, 7, true);
    cf_finish(&cf, dir);
}

static void file_required(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "required_columns", "every type as a REQUIRED (non-nullable) column");
    types_schema(&cf, false);
    cf.batch_rows = 100;
    for (size_t r = 0; r < 500; r++) types_row(&cf, r, 0, true);
    cf_finish(&cf, dir);
}

static void file_nulls(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "nulls", "for each type an all-null, a no-null and a mixed column; "
                           "finite doubles only, so every statistic is a real bound");
    static const char *const tn[] = {"s", "b", "i32", "i64", "f64", "d9_2", "d18_4", "d38_10", "dt", "ts", "tstz"};
    kn_type types[11] = {kn_type_make(KN_TYPE_STRING), kn_type_make(KN_TYPE_BOOL), kn_type_make(KN_TYPE_INT32),
                         kn_type_make(KN_TYPE_INT64), kn_type_make(KN_TYPE_FLOAT64), kn_type_decimal(9, 2),
                         kn_type_decimal(18, 4), kn_type_decimal(38, 10), kn_type_make(KN_TYPE_DATE),
                         kn_type_timestamp(false), kn_type_timestamp(true)};
    static const char *const kind[] = {"all_null", "no_null", "mixed"};
    for (int k = 0; k < 3; k++)
        for (int t = 0; t < 11; t++) {
            char n[64];
            snprintf(n, sizeof n, "%s_%s", tn[t], kind[k]);
            cf_col(&cf, n, types[t], true);
        }
    cf.batch_rows = 250;
    /* Build each row from a one-row scratch of the all-types generator. */
    corpus_file src;
    cf_begin(&src, "scratch", "");
    types_schema(&src, true);
    src.batch_rows = 1000;
    for (size_t r = 0; r < 1000; r++) types_row(&src, r + 40, 0, false);
    kn_error err;
    kn_error_reset(&err);
    check(kn_batch_seal(src.batches[0], &err), &err, "sealing");
    const kn_batch *sb = src.batches[0];
    for (size_t r = 0; r < 1000; r++) {
        kn_batch *b = cf_row(&cf);
        for (int k = 0; k < 3; k++)
            for (int t = 0; t < 11; t++) {
                kn_column *dst = &b->columns[k * 11 + t];
                const kn_column *s = &sb->columns[t];
                bool null = k == 0 || (k == 2 && (r % 3 == 0 || h(r, (size_t)t) % 5 == 0));
                if (null) { put_null(dst); continue; }
                switch (s->type.id) {
                case KN_TYPE_STRING: {
                    size_t len;
                    const uint8_t *p = kn_column_str(s, r, &len);
                    put_str(dst, (const char *)p, len);
                    break;
                }
                case KN_TYPE_BOOL: put_bool(dst, kn_column_bool(s)[r]); break;
                case KN_TYPE_INT32: case KN_TYPE_DATE: put_i32(dst, kn_column_i32(s)[r]); break;
                case KN_TYPE_FLOAT64: put_f64(dst, kn_column_f64(s)[r]); break;
                case KN_TYPE_DECIMAL:
                    put_dec(dst, s->type.precision <= 18 ? (i128)kn_column_i64(s)[r] : col_i128(s, r));
                    break;
                default: put_i64(dst, kn_column_i64(s)[r]); break;
                }
            }
    }
    kn_batch_free(src.batches[0]);
    kn_schema_free(src.schema);
    cf_finish(&cf, dir);
}

static void file_long_strings(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "long_strings", "strings of 64 KiB - 1, 64 KiB, 64 KiB + 1, 100 KiB and 1 MiB beside short ones, "
                                  "multi-byte characters across the 64 KiB mark; long statistics may be truncated");
    cf_col(&cf, "id", kn_type_make(KN_TYPE_INT32), false);
    cf_col(&cf, "text", kn_type_make(KN_TYPE_STRING), true);
    static const size_t sizes[] = {0, 5, 65535, 65536, 65537, 102400, 1048576, 3, 70000};
    size_t cap = 1048576 + 16;
    char *buf = kn_malloc(cap);
    if (!buf) die("out of memory");
    for (size_t r = 0; r < 60; r++) {
        kn_batch *b = cf_row(&cf);
        put_i32(&b->columns[0], (int32_t)r);
        size_t n = sizes[r % (sizeof sizes / sizeof sizes[0])];
        if (r % 11 == 10) { put_null(&b->columns[1]); continue; }
        /* A repeating pattern of 1-, 2-, 3- and 4-byte characters, cut on a character
         * boundary, led by a letter that varies with the row so the bounds are not all one value. */
        static const char pat[] = "a\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80z";
        size_t len = 0;
        if (n) buf[len++] = (char)('A' + (int)(r % 26));
        while (len < n) {
            for (size_t i = 0; pat[i] && len < n;) {
                size_t clen = ((unsigned char)pat[i] < 0x80) ? 1 : ((unsigned char)pat[i] < 0xe0) ? 2 : ((unsigned char)pat[i] < 0xf0) ? 3 : 4;
                if (len + clen > n) { buf[len++] = 'x'; continue; }
                memcpy(buf + len, pat + i, clen);
                len += clen;
                i += clen;
            }
        }
        put_str(&b->columns[1], buf, len);
    }
    kn_free(buf);
    cf_finish(&cf, dir);
}

static void file_dictionary_overflow(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "dictionary_overflow", "30000 distinct strings overflow an 8 KiB dictionary: one dictionary page, then "
                                         "PLAIN pages; a 5-value column stays dictionary-encoded");
    cf_col(&cf, "id", kn_type_make(KN_TYPE_INT64), false);
    cf_col(&cf, "distinct", kn_type_make(KN_TYPE_STRING), true);
    cf_col(&cf, "status", kn_type_make(KN_TYPE_STRING), true);
    cf_col(&cf, "many_ints", kn_type_make(KN_TYPE_INT64), true);
    cf.opt.dictionary_page_bytes = 8 * 1024;
    cf.opt.page_bytes = 16 * 1024;
    cf.dict_fallback = "distinct";
    cf.dict_only = "status";
    cf.pages_column = "distinct";
    cf.min_pages = 10;
    static const char *const statuses[] = {"new", "paid", "shipped", "returned", "cancelled \xe2\x9c\x97"};
    for (size_t r = 0; r < 30000; r++) {
        kn_batch *b = cf_row(&cf);
        put_i64(&b->columns[0], (int64_t)r);
        char s[64];
        int n = snprintf(s, sizeof s, "customer-%08" PRIx64 "-%zu", h(r, 1) & 0xffffffff, r);
        if (r % 97 == 5) put_null(&b->columns[1]);
        else put_str(&b->columns[1], s, (size_t)n);
        if (r % 13 == 0) put_null(&b->columns[2]);
        else put_cstr(&b->columns[2], statuses[h(r, 2) % 5]);
        put_i64(&b->columns[3], (int64_t)(h(r, 3) >> 3));
    }
    cf_finish(&cf, dir);
}

static void file_leading_nulls(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "leading_nulls", "a column null for its first 40000 rows, then 7 repeated values, stays dictionary-"
                                   "encoded; rows sorted by ts (sorting_columns) over many pages, a falling column");
    cf_col(&cf, "ts", kn_type_timestamp(true), false);
    cf_col(&cf, "later", kn_type_make(KN_TYPE_INT64), true);
    cf_col(&cf, "falling", kn_type_make(KN_TYPE_INT32), false);
    cf.opt.page_bytes = 4 * 1024;
    cf.opt.sorting_columns[0] = (kn_pq_sorting_column){0, false, true};
    cf.opt.num_sorting_columns = 1;
    cf.dict_only = "later";
    cf.pages_column = "ts";
    cf.min_pages = 10;
    cf.batch_rows = 5000;
    for (size_t r = 0; r < 70000; r++) {
        kn_batch *b = cf_row(&cf);
        put_i64(&b->columns[0], INT64_C(1700000000000000) + (int64_t)(r * 1000 + h(r, 4) % 1000));
        if (r < 40000) put_null(&b->columns[1]);
        else put_i64(&b->columns[1], (int64_t)(h(r, 5) % 7) * 1000003);
        put_i32(&b->columns[2], (int32_t)(100000 - (int64_t)r));
    }
    cf_finish(&cf, dir);
}

static void file_row_groups(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "row_groups_and_pages", "60000 rows with 256 KiB row groups, 4 KiB pages and a 16 KiB dictionary "
                                          "bound: several row groups, several pages per chunk, statistics per row group");
    types_schema(&cf, true);
    cf.opt.row_group_bytes = 256 * 1024;
    cf.opt.page_bytes = 4 * 1024;
    cf.opt.dictionary_page_bytes = 16 * 1024;
    cf.opt.codec = KN_CODEC_ZSTD;
    cf.min_row_groups = 3;
    cf.min_pages = 2;
    cf.pages_column = "i64";
    cf.batch_rows = 4096;
    for (size_t r = 0; r < 60000; r++) types_row(&cf, r, 11, false);
    cf_finish(&cf, dir);
}

static void file_plain(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "no_dictionary", "every type with the dictionary turned off (PLAIN pages only), gzip");
    types_schema(&cf, true);
    cf.opt.dictionary = false;
    cf.opt.codec = KN_CODEC_GZIP;
    cf.opt.page_bytes = 2048;
    cf.pages_column = "i64";
    cf.min_pages = 4;
    for (size_t r = 0; r < 2000; r++) types_row(&cf, r, 5, true);
    cf_finish(&cf, dir);
}

static void file_zero_rows(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "zero_rows", "every type, no rows (one empty batch written)");
    types_schema(&cf, true);
    (void)cf_row(&cf); /* one empty batch */
    cf_finish(&cf, dir);
}

static void file_kv(const char *dir) {
    corpus_file cf;
    cf_begin(&cf, "key_value_metadata", "key/value metadata in the footer: ASCII, UTF-8, empty and absent values");
    cf_col(&cf, "id", kn_type_make(KN_TYPE_INT32), true);
    cf.kv[0] = (kn_pq_kv){"kiln.test", "interop corpus"};
    cf.kv[1] = (kn_pq_kv){"kiln.utf8", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"};
    cf.kv[2] = (kn_pq_kv){"kiln.empty", ""};
    cf.kv[3] = (kn_pq_kv){"kiln.no_value", NULL};
    cf.num_kv = 4;
    for (int r = 0; r < 10; r++) put_i32(&cf_row(&cf)->columns[0], r);
    cf_finish(&cf, dir);
}

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: kn_interop_corpus OUTDIR\n");
        return 1;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("cannot create %s: %s", dir, strerror(errno));
    file_types(dir, "types_snappy", KN_CODEC_SNAPPY);
    file_types(dir, "types_zstd", KN_CODEC_ZSTD);
    file_types(dir, "types_gzip", KN_CODEC_GZIP);
    file_types(dir, "types_lz4_raw", KN_CODEC_LZ4_RAW);
    file_types(dir, "types_none", KN_CODEC_NONE);
    file_required(dir);
    file_nulls(dir);
    file_long_strings(dir);
    file_dictionary_overflow(dir);
    file_leading_nulls(dir);
    file_row_groups(dir);
    file_plain(dir);
    file_zero_rows(dir);
    file_kv(dir);
    kn_mem_stats ms;
    kn_mem_get_stats(&ms);
    if (ms.current_bytes != 0) die("%" PRId64 " bytes still allocated at exit (a leak in the writer or here)", ms.current_bytes);
    return 0;
}
