/* tests/ndjson/test_ndjson.c: the NDJSON reader (values, escapes, UTF-8, numbers, times,
 * keys, nesting, line ends, bad-record rollback), the scalar and AVX2 scanners agreeing,
 * schema inference, schema formats, and the JSONTestSuite conformance files. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_cpu.h"
#include "kn_exec_reader.h"
#include "kn_ndjson.h"
#include "kn_ndjson_fast.h"
#include "kn_ndjson_index.h"
#include "kn_schema_file.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static uint64_t rng = 777;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* "name:type[!];..." where '!' makes the column NOT NULL. */
static kn_schema *schema_of(const char *spec) {
    kn_schema *s = kn_schema_create();
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *colon = strchr(tok, ':');
        ck_assert_ptr_nonnull(colon);
        *colon = '\0';
        char *type = colon + 1;
        bool nullable = true;
        size_t tl = strlen(type);
        if (tl && type[tl - 1] == '!') {
            nullable = false;
            type[tl - 1] = '\0';
        }
        kn_type t;
        ck_assert_msg(kn_type_parse(type, &t), "type %s", type);
        ck_assert_int_eq(kn_schema_add(s, tok, t, nullable, NULL), KN_OK);
    }
    return s;
}

#define MAX_BAD 256
typedef struct result {
    kn_batch *batch;
    size_t nbad;
    kn_error err[MAX_BAD];
    uint64_t bad_off[MAX_BAD];
    char bad_text[MAX_BAD][128];
    uint64_t records;
} result;

/* Whether read_with leaves the reader's fast paths on (the default) or sends everything through
 * the general path. */
static bool fast_paths = true;

static void read_with(kn_ndjson_simd simd, const kn_schema *s, const void *data, size_t len, uint64_t base,
                      bool at_start, result *out) {
    memset(out, 0, sizeof *out);
    kn_ndjson_options opt;
    kn_ndjson_options_init(&opt);
    opt.simd = simd;
    kn_ndjson_reader *r;
    kn_error e;
    ck_assert_int_eq(kn_ndjson_reader_create(s, &opt, &r, &e), KN_OK);
    kn__ndjson_reader_set_fast_paths(r, fast_paths);
    ck_assert_int_eq(kn_batch_create(s, 4, &out->batch, &e), KN_OK);
    kn_ndjson_reader_reset(r, data, len, "in.ndjson", base, at_start);
    for (int guard = 0; guard < 1000000; guard++) {
        bool done = false;
        kn_error_reset(&e);
        kn_status st = kn_ndjson_reader_next(r, out->batch, &done, &e);
        if (st == KN_E_DATA) {
            ck_assert_msg(e.what[0], "a bad record needs a message");
            ck_assert_msg(e.byte_offset >= (int64_t)base && e.byte_offset <= (int64_t)(base + len),
                          "fault offset %lld outside the input", (long long)e.byte_offset);
            if (out->nbad < MAX_BAD) {
                const uint8_t *d;
                size_t l;
                out->err[out->nbad] = e;
                kn_ndjson_reader_bad_record(r, &out->bad_off[out->nbad], &d, &l);
                snprintf(out->bad_text[out->nbad], sizeof out->bad_text[0], "%.*s", (int)(l < 120 ? l : 120), d);
            }
            out->nbad++;
            continue;
        }
        ck_assert_int_eq(st, KN_OK);
        if (done) break;
    }
    ck_assert_int_eq(kn_batch_seal(out->batch, &e), KN_OK);
    out->records = kn_ndjson_reader_records(r);
    kn_ndjson_reader_free(r);
}

static void read_text(const kn_schema *s, const char *text, result *out) {
    read_with(KN_NDJSON_SIMD_AUTO, s, text, strlen(text), 0, true, out);
}

static void result_free(result *r) { kn_batch_free(r->batch); }

static bool str_is(const kn_column *c, size_t i, const char *want, size_t want_len) {
    size_t l;
    const uint8_t *p = kn_column_str(c, i, &l);
    return kn_column_is_valid(c, i) && l == want_len && memcmp(p, want, l) == 0;
}
#define STR_IS(c, i, lit) str_is((c), (i), (lit), sizeof(lit) - 1)

/* Every row of every column equal (values, validity, null counts). */
static void assert_batches_equal(const kn_batch *a, const kn_batch *b, const char *what) {
    ck_assert_msg(a->num_rows == b->num_rows, "%s: %zu rows vs %zu", what, a->num_rows, b->num_rows);
    for (size_t f = 0; f < a->schema->num_fields; f++) {
        const kn_column *x = &a->columns[f], *y = &b->columns[f];
        ck_assert_msg(x->length == y->length && x->null_count == y->null_count, "%s: column %zu", what, f);
        size_t w = kn_type_width(x->type);
        for (size_t i = 0; i < x->length; i++) {
            ck_assert_msg(kn_column_is_valid(x, i) == kn_column_is_valid(y, i), "%s: validity %zu/%zu", what, f, i);
            if (w) {
                ck_assert_msg(memcmp((const uint8_t *)x->values + i * w, (const uint8_t *)y->values + i * w, w) == 0,
                              "%s: value %zu/%zu", what, f, i);
            } else {
                size_t lx, ly;
                const uint8_t *px = kn_column_str(x, i, &lx), *py = kn_column_str(y, i, &ly);
                ck_assert_msg(lx == ly && memcmp(px, py, lx) == 0, "%s: string %zu/%zu", what, f, i);
            }
        }
    }
}

static void assert_results_equal(const result *a, const result *b, const char *what) {
    assert_batches_equal(a->batch, b->batch, what);
    ck_assert_msg(a->nbad == b->nbad, "%s: %zu bad vs %zu", what, a->nbad, b->nbad);
    ck_assert_uint_eq(a->records, b->records);
    for (size_t i = 0; i < a->nbad && i < MAX_BAD; i++) {
        ck_assert_msg(a->bad_off[i] == b->bad_off[i], "%s: bad record %zu offset", what, i);
        ck_assert_msg(a->err[i].byte_offset == b->err[i].byte_offset, "%s: bad record %zu fault offset", what, i);
        ck_assert_msg(strcmp(a->err[i].what, b->err[i].what) == 0, "%s: '%s' vs '%s'", what, a->err[i].what, b->err[i].what);
        ck_assert_str_eq(a->err[i].field, b->err[i].field);
    }
}

/* ---- escapes and UTF-8 -------------------------------------------------------------------- */

START_TEST(escapes_decode_including_surrogate_pairs)
{
    kn_schema *s = schema_of("s:string");
    result r;
    read_text(s,
              "{\"s\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"}\n"
              "{\"s\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}\n"
              "{\"s\":\"\\u0000x\"}\n"
              "{\"s\":\"\\uDBFF\\uDFFF\"}\n"
              "{\"\\u0073\":\"key was escaped\"}\n",
              &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.batch->num_rows, 5);
    const kn_column *c = &r.batch->columns[0];
    ck_assert(STR_IS(c, 0, "a\"b\\c/d\be\ff\ng\rh\ti"));
    ck_assert(STR_IS(c, 1, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
    ck_assert(STR_IS(c, 2, "\0x"));
    ck_assert(STR_IS(c, 3, "\xF4\x8F\xBF\xBF"));
    ck_assert(STR_IS(c, 4, "key was escaped"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(bad_escapes_and_lone_surrogates_are_bad_records)
{
    kn_schema *s = schema_of("s:string");
    const char *bad[] = {
        "{\"s\":\"\\ud800\"}",          "{\"s\":\"\\udc00\"}",        "{\"s\":\"\\ud800\\u0041\"}",
        "{\"s\":\"\\ud800\\ud800\"}",   "{\"s\":\"\\x41\"}",          "{\"s\":\"\\u12\"}",
        "{\"s\":\"\\u12G4\"}",          "{\"s\":\"\\U0041\"}",        "{\"s\":\"tab\there\"}",
        "{\"s\":\"ctrl\x01\"}",         "{\"s\":\"open}",             "{\"s\":\"\\\"}",
        "{\"other\":\"\\ud800\"}",      "{\"\\ud800\":1}",            "{\"s\":\"\\\x01\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        result r;
        read_text(s, bad[i], &r);
        ck_assert_msg(r.nbad == 1 && r.batch->num_rows == 0, "%s: %zu bad, %zu rows", bad[i], r.nbad, r.batch->num_rows);
        ck_assert_uint_eq(r.records, 1);
        result_free(&r);
    }
    result r;
    read_text(s, "{\"s\":\"\\ud800\"}", &r);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "surrogate"));
    ck_assert_int_eq(r.err[0].byte_offset, 6); /* the backslash */
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(invalid_utf8_is_a_bad_record_and_valid_utf8_passes)
{
    kn_schema *s = schema_of("s:string");
    const char *bad[] = {"{\"s\":\"\xC0\xAF\"}", "{\"s\":\"\xED\xA0\x80\"}", "{\"s\":\"\xF4\x90\x80\x80\"}",
                         "{\"s\":\"\x80\"}",     "{\"s\":\"ab\xC3\"}",        "{\"s\":\"\xFF\"}",
                         "{\"x\xC3\":1}",        "{\"s\":1,\"t\":\"\xE2\x82\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        result r;
        read_text(s, bad[i], &r);
        ck_assert_msg(r.nbad == 1 && r.batch->num_rows == 0, "case %zu", i);
        ck_assert_ptr_nonnull(strstr(r.err[0].what, "UTF-8"));
        result_free(&r);
    }
    /* The fault offset is the bad byte; the good lines around it load. */
    result r;
    read_text(s, "{\"s\":\"caf\xC3\xA9\"}\n{\"s\":\"ab\xFF\"}\n{\"s\":\"\xF0\x9F\x98\x80\"}\n", &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_int_eq(r.err[0].byte_offset, 14 + 8);
    ck_assert_uint_eq(r.batch->num_rows, 2);
    ck_assert(STR_IS(&r.batch->columns[0], 0, "caf\xC3\xA9"));
    ck_assert(STR_IS(&r.batch->columns[0], 1, "\xF0\x9F\x98\x80"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

/* ---- numbers ------------------------------------------------------------------------------ */

START_TEST(integers_load_exactly_to_their_limits)
{
    kn_schema *s = schema_of("a:int64;b:int32");
    result r;
    read_text(s,
              "{\"a\":9223372036854775807,\"b\":2147483647}\n"
              "{\"a\":-9223372036854775808,\"b\":-2147483648}\n"
              "{\"a\":1.0,\"b\":2e3}\n"
              "{\"a\":9223372036854775808}\n"
              "{\"b\":2147483648}\n"
              "{\"a\":1.5}\n"
              "{\"a\":\"12\",\"b\":\" -7 \"}\n"
              "{\"a\":\"abc\"}\n"
              "{\"a\":012}\n",
              &r);
    ck_assert_uint_eq(r.batch->num_rows, 4);
    const int64_t *a = kn_column_i64(&r.batch->columns[0]);
    const int32_t *b = kn_column_i32(&r.batch->columns[1]);
    ck_assert(a[0] == INT64_MAX && b[0] == INT32_MAX);
    ck_assert(a[1] == INT64_MIN && b[1] == INT32_MIN);
    ck_assert(a[2] == 1 && b[2] == 2000);
    ck_assert(a[3] == 12 && b[3] == -7);
    ck_assert_uint_eq(r.nbad, 5);
    ck_assert_str_eq(r.err[0].field, "a");
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "out of range"));
    ck_assert_str_eq(r.err[1].field, "b");
    ck_assert_ptr_nonnull(strstr(r.err[1].what, "out of range for int32"));
    ck_assert_ptr_nonnull(strstr(r.err[2].what, "fraction"));
    ck_assert_ptr_nonnull(strstr(r.err[3].what, "\"abc\" is not a number"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(decimals_keep_the_digits_and_refuse_rounding)
{
    kn_schema *s = schema_of("p:decimal(12,2);w:decimal(38,4)");
    result r;
    read_text(s,
              "{\"p\":12.3,\"w\":-12345678901234567890123456789012.1234}\n"
              "{\"p\":\"-0.05\",\"w\":1}\n"
              "{\"p\":12.345}\n"
              "{\"p\":10000000000}\n"
              "{\"p\":1.230}\n",
              &r);
    ck_assert_uint_eq(r.batch->num_rows, 3);
    const int64_t *p = kn_column_i64(&r.batch->columns[0]);
    ck_assert(p[0] == 1230 && p[1] == -5 && p[2] == 123);
    const kn_i128 *w = kn_column_i128(&r.batch->columns[1]);
    ck_assert(w[1].lo == 10000 && w[1].hi == 0);
    ck_assert(w[0].hi < 0);
    ck_assert_uint_eq(r.nbad, 2);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "more fraction digits than decimal(12,2)"));
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "round"));
    ck_assert_ptr_nonnull(strstr(r.err[1].what, "out of range for decimal(12,2)"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(doubles_load_exactly_like_strtod)
{
    kn_schema *s = schema_of("d:float64");
    size_t n = 20000, cap = n * 40, len = 0;
    char *text = malloc(cap);
    double *want = malloc(n * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) d = (double)i * 0.1;
        char num[40];
        snprintf(num, sizeof num, "%.17g", d);
        want[i] = strtod(num, NULL);
        len += (size_t)snprintf(text + len, cap - len, i % 2 ? "{\"d\":%s}\n" : "{\"d\":\"%s\"}\n", num);
    }
    result r;
    read_with(KN_NDJSON_SIMD_AUTO, s, text, len, 0, true, &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.batch->num_rows, n);
    const double *got = kn_column_f64(&r.batch->columns[0]);
    for (size_t i = 0; i < n; i++) ck_assert_msg(memcmp(&got[i], &want[i], sizeof(double)) == 0, "row %zu", i);
    result_free(&r);
    read_text(s, "{\"d\":1e400}\n{\"d\":\"nan\"}\n{\"d\":\"-Infinity\"}\n{\"d\":-0.0}\n", &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "out of range"));
    got = kn_column_f64(&r.batch->columns[0]);
    ck_assert(isnan(got[0]) && isinf(got[1]) && got[1] < 0 && got[2] == 0 && signbit(got[2]));
    result_free(&r);
    free(text);
    free(want);
    kn_schema_free(s);
}
END_TEST

/* ---- times -------------------------------------------------------------------------------- */

START_TEST(timestamps_and_dates_from_strings)
{
    kn_schema *s = schema_of("tz:timestamptz;t:timestamp;d:date");
    result r;
    int64_t base = 1709642096LL * 1000000; /* 2024-03-05T12:34:56Z */
    read_text(s,
              "{\"tz\":\"2024-03-05T12:34:56.123456Z\",\"t\":\"2024-03-05 12:34:56\",\"d\":\"2024-03-05\"}\n"
              "{\"tz\":\"2024-03-05T14:34:56+02:00\",\"t\":\"2024-03-05T14:34:56+02:00\",\"d\":\"1969-12-31\"}\n"
              "{\"tz\":\"2024-03-05T12:34:56.123456789Z\",\"t\":\"2024-03-05\"}\n"
              "{\"tz\":\"2024-03-05T12:34:56-0100\"}\n"
              "{\"tz\":\"2024-02-30T00:00:00Z\"}\n"
              "{\"d\":\"2024-03-05T00:00:00\"}\n"
              "{\"t\":1709642096}\n"
              "{\"tz\":\"yesterday\"}\n",
              &r);
    ck_assert_uint_eq(r.batch->num_rows, 4);
    const int64_t *tz = kn_column_i64(&r.batch->columns[0]), *t = kn_column_i64(&r.batch->columns[1]);
    const int32_t *d = kn_column_i32(&r.batch->columns[2]);
    ck_assert(tz[0] == base + 123456);
    ck_assert(t[0] == base);
    ck_assert_int_eq(d[0], 19787);
    ck_assert(tz[1] == base);
    ck_assert(t[1] == base + 2 * 3600 * 1000000LL); /* the wall clock, offset dropped */
    ck_assert_int_eq(d[1], -1);
    ck_assert(tz[2] == base + 123456); /* nanoseconds truncated */
    ck_assert(t[2] == base - (12 * 3600 + 34 * 60 + 56) * 1000000LL);
    ck_assert(tz[3] == base + 3600 * 1000000LL);
    ck_assert_uint_eq(r.nbad, 4);
    ck_assert_str_eq(r.err[0].field, "tz");
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "out of range"));
    ck_assert_str_eq(r.err[1].field, "d");
    ck_assert_str_eq(r.err[2].field, "t");
    ck_assert_ptr_nonnull(strstr(r.err[2].what, "expects a string"));
    ck_assert_ptr_nonnull(strstr(r.err[3].what, "ISO-8601"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(columns_with_a_format_parse_it)
{
    kn_schema *s = schema_of("t:timestamp;d:date;e:timestamptz");
    ck_assert_int_eq(kn_schema_set_format(s, 0, "%d/%m/%Y %H:%M", NULL), KN_OK);
    ck_assert_int_eq(kn_schema_set_format(s, 1, "%Y%m%d", NULL), KN_OK);
    ck_assert_int_eq(kn_schema_set_format(s, 2, "%s", NULL), KN_OK);
    kn_schema *copy = kn_schema_copy(s);
    ck_assert_str_eq(copy->fields[0].format, "%d/%m/%Y %H:%M");
    result r;
    read_text(copy, "{\"t\":\"05/03/2024 12:34\",\"d\":\"20240305\",\"e\":1709642096}\n{\"t\":\"2024-03-05T12:34:00\"}\n", &r);
    ck_assert_uint_eq(r.batch->num_rows, 1);
    ck_assert(kn_column_i64(&r.batch->columns[0])[0] == (1709642096LL - 56) * 1000000);
    ck_assert_int_eq(kn_column_i32(&r.batch->columns[1])[0], 19787);
    ck_assert(kn_column_i64(&r.batch->columns[2])[0] == 1709642096LL * 1000000);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "%d/%m/%Y %H:%M"));
    result_free(&r);
    kn_schema_free(copy);
    kn_schema_free(s);
}
END_TEST

START_TEST(schema_files_read_and_write_formats)
{
    const char *text = "columns:\n"
                       "  - name: t\n    type: timestamp\n    format: \"%d/%m/%Y %H:%M:%S\"\n"
                       "  - name: d\n    type: date\n    format: iso8601\n";
    kn_schema *s;
    kn_error e;
    ck_assert_int_eq(kn_schema_file_parse(text, strlen(text), "s.yaml", &s, &e), KN_OK);
    ck_assert_str_eq(s->fields[0].format, "%d/%m/%Y %H:%M:%S");
    ck_assert_ptr_null(s->fields[1].format);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kn_schema_file_write(s, f);
    fclose(f);
    kn_schema *back;
    ck_assert_int_eq(kn_schema_file_parse(buf, len, "w.yaml", &back, &e), KN_OK);
    ck_assert_str_eq(back->fields[0].format, "%d/%m/%Y %H:%M:%S");
    ck_assert_ptr_null(back->fields[1].format);
    free(buf);
    kn_schema_free(back);
    kn_schema_free(s);
    const char *bad1 = "columns:\n  - name: t\n    type: timestamp\n    format: \"%Q\"\n";
    kn_error_reset(&e);
    ck_assert_int_eq(kn_schema_file_parse(bad1, strlen(bad1), "s.yaml", &s, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "%Q"));
    ck_assert_int_eq(e.line, 4);
    const char *bad2 = "columns:\n  - name: n\n    type: int64\n    format: \"%Y\"\n";
    ck_assert_int_eq(kn_schema_file_parse(bad2, strlen(bad2), "s.yaml", &s, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "date and timestamp"));
}
END_TEST

/* ---- keys, nesting, text ------------------------------------------------------------------ */

START_TEST(missing_keys_are_null_and_unknown_keys_are_ignored_but_validated)
{
    kn_schema *s = schema_of("a:int64;b:string");
    result r;
    read_text(s,
              "{\"b\":\"x\"}\n"
              "{\"zz\":{\"deep\":[1,2,{\"q\":null}]},\"a\":1,\"yy\":\"\\u00e9\"}\n"
              "{}\n"
              "{\"a\":2,\"zz\":[1,}]}\n"
              "{\"a\":3,\"zz\":tru}\n"
              "{\"a\":4,\"zz\":\"\\q\"}\n"
              "{\"a\":5,\"zz\":01}\n",
              &r);
    ck_assert_uint_eq(r.batch->num_rows, 3);
    const kn_column *a = &r.batch->columns[0], *b = &r.batch->columns[1];
    ck_assert(!kn_column_is_valid(a, 0) && STR_IS(b, 0, "x"));
    ck_assert(kn_column_is_valid(a, 1) && kn_column_i64(a)[1] == 1 && !kn_column_is_valid(b, 1));
    ck_assert(!kn_column_is_valid(a, 2) && !kn_column_is_valid(b, 2));
    ck_assert_uint_eq(a->null_count, 2);
    ck_assert_uint_eq(b->null_count, 2);
    ck_assert_uint_eq(r.nbad, 4);
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(nested_values_become_their_exact_text)
{
    kn_schema *s = schema_of("j:string;n:string;b:string;x:string");
    result r;
    read_text(s,
              "{\"j\":{ \"a\" : [1, 2.5e3, \"s\\\"t\", {}, []] , \"b\":null},\"n\":-12.50e+3,\"b\":true,\"x\":[]}\n"
              "{\"j\":[ ],\"n\":0,\"b\":false,\"x\":null}\n",
              &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert(STR_IS(&r.batch->columns[0], 0, "{ \"a\" : [1, 2.5e3, \"s\\\"t\", {}, []] , \"b\":null}"));
    ck_assert(STR_IS(&r.batch->columns[1], 0, "-12.50e+3"));
    ck_assert(STR_IS(&r.batch->columns[2], 0, "true"));
    ck_assert(STR_IS(&r.batch->columns[3], 0, "[]"));
    ck_assert(STR_IS(&r.batch->columns[0], 1, "[ ]"));
    ck_assert(STR_IS(&r.batch->columns[1], 1, "0"));
    ck_assert(STR_IS(&r.batch->columns[2], 1, "false"));
    ck_assert(!kn_column_is_valid(&r.batch->columns[3], 1));
    result_free(&r);
    /* A nested value into a typed column is refused; so is deep nesting. */
    kn_schema *t = schema_of("i:int64");
    read_text(t, "{\"i\":[1]}\n", &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "nested array"));
    result_free(&r);
    size_t depth = 5000;
    char *deep = malloc(depth * 2 + 16);
    size_t n = (size_t)sprintf(deep, "{\"j\":");
    for (size_t i = 0; i < depth; i++) deep[n++] = '[';
    for (size_t i = 0; i < depth; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    read_text(s, deep, &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "nesting"));
    result_free(&r);
    free(deep);
    kn_schema_free(t);
    kn_schema_free(s);
}
END_TEST

START_TEST(json_columns_keep_every_value_as_its_written_json_text)
{
    /* A json column (Redshift SUPER) stores each value exactly as the input wrote it, so each
     * stored value is itself JSON: a string keeps its quotes and escapes (a string column would
     * unescape it and drop the quotes), numbers and true/false keep their text, null is SQL
     * null. Fast and general paths must agree on every value. */
    kn_schema *s = schema_of("j:json;s:string");
    const char *text =
        "{\"j\":{\"a\":[1,{\"b\":\"x\\\"y\"}],\"c\":null},\"s\":\"a\\\"b\\u00e9\"}\n"
        "{\"j\":[1, \"two\" ,[3]],\"s\":[1]}\n"
        "{\"j\":\"a\\\"b\\u00e9\\n\",\"s\":\"plain\"}\n"
        "{\"j\":\"plain\",\"s\":\"x\"}\n"
        "{\"j\":-12.50e+3,\"s\":-12.50e+3}\n"
        "{\"j\":true,\"s\":false}\n"
        "{\"j\":null,\"s\":null}\n"
        "{\"j\":\"\",\"s\":\"\"}\n"
        "{\"s\":\"missing j\"}\n"
        "{\"j\" : \"spaced \\/ key\", \"s\":\"y\"}\n"
        "{\"j\":\"\\ud800\",\"s\":\"lone surrogate: bad\"}\n";
    result r[2];
    for (int k = 0; k < 2; k++) {
        fast_paths = k == 0;
        read_text(s, text, &r[k]);
        fast_paths = true;
        ck_assert_uint_eq(r[k].nbad, 1);
        ck_assert_ptr_nonnull(strstr(r[k].err[0].what, "surrogate"));
        ck_assert_str_eq(r[k].err[0].field, "j");
        const kn_column *j = &r[k].batch->columns[0], *st = &r[k].batch->columns[1];
        ck_assert_uint_eq(r[k].batch->num_rows, 10);
        ck_assert(STR_IS(j, 0, "{\"a\":[1,{\"b\":\"x\\\"y\"}],\"c\":null}"));
        ck_assert(STR_IS(j, 1, "[1, \"two\" ,[3]]"));
        ck_assert(STR_IS(j, 2, "\"a\\\"b\\u00e9\\n\""));
        ck_assert(STR_IS(j, 3, "\"plain\""));
        ck_assert(STR_IS(j, 4, "-12.50e+3"));
        ck_assert(STR_IS(j, 5, "true"));
        ck_assert(!kn_column_is_valid(j, 6));
        ck_assert(STR_IS(j, 7, "\"\""));
        ck_assert(!kn_column_is_valid(j, 8));
        ck_assert(STR_IS(j, 9, "\"spaced \\/ key\""));
        ck_assert_uint_eq(j->null_count, 2);
        /* The string column beside it keeps today's behaviour. */
        ck_assert(STR_IS(st, 0, "a\"b\xC3\xA9"));
        ck_assert(STR_IS(st, 1, "[1]"));
        ck_assert(STR_IS(st, 2, "plain"));
        ck_assert(STR_IS(st, 4, "-12.50e+3"));
        ck_assert(STR_IS(st, 5, "false"));
        ck_assert(STR_IS(st, 7, ""));
    }
    assert_results_equal(&r[0], &r[1], "json fast vs general");
    result_free(&r[0]);
    result_free(&r[1]);
    kn_schema_free(s);
}
END_TEST

START_TEST(strings_cast_into_typed_columns_like_a_database)
{
    kn_schema *s = schema_of("b:bool;i:int32;d:decimal(6,2);f:float64");
    result r;
    read_text(s,
              "{\"b\":\"TRUE\",\"i\":\"42\",\"d\":\"1.5\",\"f\":\"2.5\"}\n"
              "{\"b\":\"f\",\"i\":\"-1\",\"d\":\"-0.01\",\"f\":\"-inf\"}\n"
              "{\"b\":1,\"i\":0,\"d\":0,\"f\":0}\n"
              "{\"b\":\"maybe\"}\n"
              "{\"i\":\"\"}\n"
              "{\"b\":2}\n"
              "{\"i\":true}\n",
              &r);
    ck_assert_uint_eq(r.batch->num_rows, 3);
    const uint8_t *b = kn_column_bool(&r.batch->columns[0]);
    ck_assert(b[0] == 1 && b[1] == 0 && b[2] == 1);
    ck_assert_int_eq(kn_column_i32(&r.batch->columns[1])[0], 42);
    ck_assert(kn_column_i64(&r.batch->columns[2])[0] == 150 && kn_column_i64(&r.batch->columns[2])[1] == -1);
    ck_assert(kn_column_f64(&r.batch->columns[3])[0] == 2.5);
    ck_assert_uint_eq(r.nbad, 4);
    ck_assert_str_eq(r.err[0].field, "b");
    ck_assert_str_eq(r.err[1].field, "i");
    ck_assert_str_eq(r.err[3].field, "i");
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(duplicate_keys_keep_the_last_value)
{
    kn_schema *s = schema_of("a:int64;s:string");
    result r;
    read_text(s, "{\"a\":1,\"s\":\"first\",\"a\":null,\"s\":\"second\"}\n{\"a\":null,\"a\":7}\n", &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.batch->num_rows, 2);
    const kn_column *a = &r.batch->columns[0];
    ck_assert(!kn_column_is_valid(a, 0));
    ck_assert(kn_column_is_valid(a, 1) && kn_column_i64(a)[1] == 7);
    ck_assert_uint_eq(a->null_count, 1);
    ck_assert(STR_IS(&r.batch->columns[1], 0, "second"));
    ck_assert_uint_eq(r.batch->columns[1].bytes.len, 6);
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(schemas_past_64_fields_track_every_field)
{
    /* The reader tracks the first 64 fields of a record with a bit each and the rest another
     * way: duplicates, missing keys and non-nullable columns must behave the same on both
     * sides of that line, and the same with the fast paths on and off. */
    char spec[2048] = "", *o = spec;
    for (int f = 0; f < 70; f++) o += sprintf(o, "%sf%d:int64%s", f ? ";" : "", f, f == 66 ? "!" : "");
    kn_schema *s = schema_of(spec);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    /* Record 0: every field, f65 twice (the last wins). Record 1: f67 missing (null). Record
     * 2: f66 missing (bad). Then records in random orders, with repeats and gaps. */
    for (int rec = 0; rec < 60; rec++) {
        buf[n++] = '{';
        for (int m = 0; m < 72; m++) {
            int f = rec >= 3 && rnd() % 4 == 0 ? (int)(rnd() % 70) : m;
            if (m >= 70) f = rec == 0 && m == 70 ? 65 : rec >= 3 ? (int)(rnd() % 70) : -1;
            if (f < 0 || (rec == 1 && f == 67) || (rec == 2 && f == 66)) continue;
            n += (size_t)snprintf(buf + n, cap - n, "%s\"f%d\":%d", buf[n - 1] == '{' ? "" : ",", f, rec * 1000 + m);
        }
        n += (size_t)snprintf(buf + n, cap - n, "}\n");
    }
    result fast, general;
    read_with(KN_NDJSON_SIMD_AUTO, s, buf, n, 0, true, &fast);
    fast_paths = false;
    read_with(KN_NDJSON_SIMD_AUTO, s, buf, n, 0, true, &general);
    fast_paths = true;
    assert_results_equal(&fast, &general, "past 64 fields");
    const kn_batch *b = fast.batch;
    ck_assert(kn_column_i64(&b->columns[65])[0] == 70);  /* the repeat, written last */
    ck_assert(kn_column_i64(&b->columns[69])[0] == 69);
    ck_assert(!kn_column_is_valid(&b->columns[67], 1));  /* missing: null */
    ck_assert(kn_column_i64(&b->columns[68])[1] == 1068);
    ck_assert(fast.nbad >= 1 && strstr(fast.err[0].what, "missing") && strcmp(fast.err[0].field, "f66") == 0);
    ck_assert_uint_eq(fast.bad_off[0], (uint64_t)(strchr(strchr(buf, '\n') + 1, '\n') + 1 - buf));
    result_free(&fast);
    result_free(&general);
    free(buf);
    kn_schema_free(s);
}
END_TEST

START_TEST(each_line_must_be_one_object)
{
    kn_schema *s = schema_of("a:int64");
    const char *bad[] = {"[1,2]", "1", "\"a\"", "null", "{\"a\":1}{\"a\":2}", "{\"a\":1} x", "{\"a\":1,}", "{,}",
                         "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1", "}", "{\"a\":1]", "{\"a\":[1}",
                         "{\"a\":1 2}", "{\"a\":NaN}", "{\"a\":-}", "\x01", "{\"a\":1}\x0b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        result r;
        read_text(s, bad[i], &r);
        ck_assert_msg(r.nbad == 1 && r.batch->num_rows == 0, "'%s': %zu bad, %zu rows", bad[i], r.nbad, r.batch->num_rows);
        result_free(&r);
    }
    result r;
    read_text(s, "[1]\n", &r);
    ck_assert_ptr_nonnull(strstr(r.err[0].what, "JSON object"));
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(crlf_bom_and_blank_lines_are_accepted)
{
    kn_schema *s = schema_of("a:int64;s:string");
    result r;
    const char *text = "\xEF\xBB\xBF{\"a\":1,\"s\":\"x\"}\r\n\r\n   \n\t\r\n{\"a\":2,\"s\":\"y\"}\r\n\n{\"a\":3}  \r\n{\"a\":4}";
    read_text(s, text, &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.records, 4);
    ck_assert_uint_eq(r.batch->num_rows, 4);
    for (int i = 0; i < 4; i++) ck_assert(kn_column_i64(&r.batch->columns[0])[i] == i + 1);
    ck_assert(STR_IS(&r.batch->columns[1], 1, "y"));
    result_free(&r);
    /* A BOM only counts at the start of a file. */
    read_with(KN_NDJSON_SIMD_AUTO, s, text, strlen(text), 100, false, &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_uint_eq(r.batch->num_rows, 3);
    result_free(&r);
    read_text(s, "", &r);
    ck_assert_uint_eq(r.records, 0);
    result_free(&r);
    read_text(s, "\xEF\xBB\xBF", &r);
    ck_assert_uint_eq(r.records, 0);
    ck_assert_uint_eq(r.nbad, 0);
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(a_bad_record_mid_batch_leaves_no_trace)
{
    kn_schema *s = schema_of("a:int64!;s:string;n:int32;j:string");
    /* The bad record appends a, s and j before failing on n; none of it may stay. */
    const char *text = "{\"a\":1,\"s\":\"one\",\"n\":1,\"j\":[1]}\n"
                       "{\"a\":2,\"s\":null,\"n\":2}\n"
                       "{\"a\":3,\"s\":\"three\",\"j\":{\"k\":1},\"n\":\"x\"}\n"
                       "{\"s\":\"no a\"}\n"
                       "{\"a\":5,\"s\":\"five\",\"n\":5,\"j\":\"j\"}\n";
    result r;
    read_with(KN_NDJSON_SIMD_AUTO, s, text, strlen(text), 1000, true, &r);
    ck_assert_uint_eq(r.records, 5);
    ck_assert_uint_eq(r.nbad, 2);
    ck_assert_uint_eq(r.batch->num_rows, 3);
    const kn_column *a = &r.batch->columns[0], *str = &r.batch->columns[1], *n = &r.batch->columns[2], *j = &r.batch->columns[3];
    ck_assert(kn_column_i64(a)[0] == 1 && kn_column_i64(a)[1] == 2 && kn_column_i64(a)[2] == 5);
    ck_assert(STR_IS(str, 0, "one") && !kn_column_is_valid(str, 1) && STR_IS(str, 2, "five"));
    ck_assert_uint_eq(str->bytes.len, 7);
    ck_assert_uint_eq(str->null_count, 1);
    ck_assert(STR_IS(j, 0, "[1]") && !kn_column_is_valid(j, 1) && STR_IS(j, 2, "j"));
    ck_assert_uint_eq(j->null_count, 1);
    ck_assert(kn_column_i32(n)[2] == 5);
    /* Where: record offsets and fault offsets are absolute. */
    size_t line3 = strlen("{\"a\":1,\"s\":\"one\",\"n\":1,\"j\":[1]}\n{\"a\":2,\"s\":null,\"n\":2}\n");
    ck_assert_uint_eq(r.bad_off[0], 1000 + line3);
    ck_assert_str_eq(r.bad_text[0], "{\"a\":3,\"s\":\"three\",\"j\":{\"k\":1},\"n\":\"x\"}");
    ck_assert_int_eq(r.err[0].byte_offset, (int64_t)(1000 + line3 + strlen("{\"a\":3,\"s\":\"three\",\"j\":{\"k\":1},\"n\":")));
    ck_assert_str_eq(r.err[0].field, "n");
    ck_assert_str_eq(r.err[1].field, "a");
    ck_assert_ptr_nonnull(strstr(r.err[1].what, "not nullable"));
    ck_assert_str_eq(r.bad_text[1], "{\"s\":\"no a\"}");
    result_free(&r);
    /* An explicit null into a NOT NULL column too. */
    read_text(s, "{\"a\":null}\n", &r);
    ck_assert_uint_eq(r.nbad, 1);
    ck_assert_str_eq(r.err[0].field, "a");
    result_free(&r);
    kn_schema_free(s);
}
END_TEST

START_TEST(long_lines_and_unterminated_last_lines_cross_windows)
{
    kn_schema *s = schema_of("a:int64;s:string");
    size_t big = 300000;
    char *text = malloc(big * 3 + 5000 * 40 + 1000);
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        n += (size_t)sprintf(text + n, "{\"a\":%d,\"s\":\"", i);
        for (size_t k = 0; k < big; k++) text[n++] = (char)('a' + k % 26);
        n += (size_t)sprintf(text + n, "\"}\n");
    }
    for (int i = 0; i < 5000; i++) n += (size_t)sprintf(text + n, "{\"a\":%d,\"s\":\"short\"}\n", 3 + i);
    n += (size_t)sprintf(text + n, "{\"a\":-1,\"s\":\"last, no LF\"}");
    result r;
    read_with(KN_NDJSON_SIMD_AUTO, s, text, n, 0, true, &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.batch->num_rows, 5004);
    size_t l;
    kn_column_str(&r.batch->columns[1], 2, &l);
    ck_assert_uint_eq(l, big);
    ck_assert(kn_column_i64(&r.batch->columns[0])[5003] == -1);
    ck_assert(STR_IS(&r.batch->columns[1], 5003, "last, no LF"));
    /* The same bytes cut into morsels at record ends give the same rows. */
    kn_batch *all = r.batch;
    kn_ndjson_reader *rd;
    kn_error e;
    kn_batch *b;
    ck_assert_int_eq(kn_ndjson_reader_create(s, NULL, &rd, &e), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 16, &b, &e), KN_OK);
    size_t row = 0;
    for (size_t start = 0; start < n;) {
        size_t end = kn_ndjson_record_end((const uint8_t *)text, n, start + 7777 < n ? start + 7777 : n - 1);
        kn_batch_clear(b);
        kn_ndjson_reader_reset(rd, (const uint8_t *)text + start, end - start, "x", start, start == 0);
        bool done = false;
        while (!done) ck_assert_int_eq(kn_ndjson_reader_next(rd, b, &done, &e), KN_OK);
        kn_batch_seal(b, &e);
        for (size_t i = 0; i < b->num_rows; i++, row++) {
            ck_assert(kn_column_i64(&b->columns[0])[i] == kn_column_i64(&all->columns[0])[row]);
            size_t l1, l2;
            const uint8_t *p1 = kn_column_str(&b->columns[1], i, &l1), *p2 = kn_column_str(&all->columns[1], row, &l2);
            ck_assert(l1 == l2 && memcmp(p1, p2, l1) == 0);
        }
        start = end;
    }
    ck_assert_uint_eq(row, 5004);
    kn_batch_free(b);
    kn_ndjson_reader_free(rd);
    result_free(&r);
    free(text);
    kn_schema_free(s);
}
END_TEST

/* ---- scalar vs AVX2 ----------------------------------------------------------------------- */

static bool have_avx2(const char *test) {
    if (kn_cpu()->avx2) return true;
    fprintf(stderr, "SKIP %s: no AVX2 on this CPU (or KILN_NO_SIMD is set); only the scalar twin ran\n", test);
    return false;
}

/* Random lines built from JSON pieces with random damage. */
static size_t random_ndjson(char *buf, size_t cap, int damage_per_mille) {
    static const char *const keys[] = {"\"a\"", "\"s\"", "\"n\"", "\"d\"", "\"j\"", "\"unknown\"", "\"s\\u0041\"", "\"\""};
    static const char *const vals[] = {"1", "-12", "3.25", "1e5", "true", "false", "null", "\"str\"", "\"e\\\"sc\\\\\"",
                                       "\"\\ud83d\\ude00\"", "[1,[2,{}]]", "{\"x\":[\"y\"]}", "\"2024-03-05T12:34:56Z\"",
                                       "\"caf\xC3\xA9\"", "12345678901234567890", "\"\\\\\"", "[]", "\"a\\\\\\\"b\""};
    static const char noise[] = "\"\\{}[]:,\n\r\t \x01\x80\xC3\xFFxe-0";
    size_t n = 0;
    while (n + 400 < cap) {
        int members = (int)(rnd() % 6);
        if (rnd() % 10 == 0) {
            n += (size_t)snprintf(buf + n, cap - n, rnd() % 2 ? "\n" : "   \r\n");
            continue;
        }
        buf[n++] = '{';
        for (int m = 0; m < members; m++) {
            if (m) buf[n++] = ',';
            if (rnd() % 4 == 0) buf[n++] = ' ';
            n += (size_t)snprintf(buf + n, cap - n, "%s:%s", keys[rnd() % 8], vals[rnd() % 18]);
        }
        buf[n++] = '}';
        if (rnd() % 5 == 0) buf[n++] = '\r';
        buf[n++] = '\n';
        /* Damage: replace or insert random structural bytes, quotes, backslashes, LFs. */
        if ((int)(rnd() % 1000) < damage_per_mille) {
            size_t at = n - 1 - rnd() % 20 % n;
            buf[at] = noise[rnd() % (sizeof noise - 1)];
        }
    }
    return n;
}

/* The SIMD twins this CPU can run, after the scalar one (index 0); says loudly what it skips. */
static size_t index_twins(kn__ndjson_index_fn fns[3], const char *test) {
    size_t k = 0;
    fns[k++] = kn__ndjson_index_scalar;
    if (have_avx2(test)) fns[k++] = kn__ndjson_index_avx2;
    if (kn_cpu()->avx512 && kn_cpu()->avx2) fns[k++] = kn__ndjson_index_avx512;
    else fprintf(stderr, "note: %s: this CPU lacks AVX-512 F+BW (or KILN_NO_SIMD is set), so the AVX-512 twin was not run here\n", test);
    return k;
}

START_TEST(scanner_twins_build_identical_indexes)
{
    kn__ndjson_index_fn fns[3];
    size_t twins = index_twins(fns, "scanner_twins_build_identical_indexes");
    if (twins < 2) return;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    uint32_t *p1 = malloc(kn__ndjson_index_bound(cap) * 4), *p2 = malloc(kn__ndjson_index_bound(cap) * 4);
    uint64_t *b1 = malloc(kn__ndjson_bs_words(cap) * 8), *b2 = malloc(kn__ndjson_bs_words(cap) * 8);
    for (int iter = 0; iter < 900; iter++) {
        size_t n;
        if (iter % 3 == 0) {
            /* Pure noise: every class of byte, runs of backslashes and quotes across blocks. */
            n = 1 + rnd() % (cap - 1);
            static const char alphabet[] = "\"\\\\\\\"{}[]:,\n \tab1\x01\x80";
            for (size_t i = 0; i < n; i++) buf[i] = alphabet[rnd() % (sizeof alphabet - 1)];
        } else {
            n = random_ndjson(buf, 1 + rnd() % cap, iter % 3 == 1 ? 300 : 0);
        }
        bool a1, a2;
        size_t k1 = kn__ndjson_index_scalar((const uint8_t *)buf, n, p1, b1, &a1);
        size_t k2 = fns[1 + (size_t)iter % (twins - 1)]((const uint8_t *)buf, n, p2, b2, &a2);
        ck_assert_uint_eq(k1, k2);
        ck_assert(a1 == a2);
        bool ascii = true;
        for (size_t i = 0; i < n; i++) ascii &= (uint8_t)buf[i] < 0x80;
        ck_assert(a1 == ascii);
        ck_assert(memcmp(p1, p2, k1 * 4) == 0);
        ck_assert(memcmp(b1, b2, kn__ndjson_bs_words(n) * 8) == 0);
    }
    free(buf);
    free(p1);
    free(p2);
    free(b1);
    free(b2);
}
END_TEST

/* Records shaped like real ones (the same keys in the same order, mostly) with every kind of
 * deviation the fast paths must hand to the general path: keys reordered, missing, repeated,
 * unknown, escaped or spaced; values of every shape and of the wrong type; nulls; timestamps
 * and dates of every form, valid or not (2023-02-29, 24:00, offsets, long fractions); numbers
 * short and long, with exponents and leading zeros; strings with escapes; nested values. */
static size_t random_records(char *buf, size_t cap) {
    static const char *const keys[] = {"id", "q", "ts", "tz", "day", "price", "big", "x", "ok", "s", "n", "longer_key_name_here_x"};
    static const char *const vals[][12] = {
        {"10000001", "-7", "0", "-0", "123456789012", "9223372036854775807", "9223372036854775808", "1.0", "1e3", "01", "\"42\"", "1.5"},
        {"3", "-2147483648", "2147483648", "12", "0", "7.0", "\" 5 \"", "-", "1.", "true", "null", "99999999"},
        {"\"2024-05-30T03:10:13.495Z\"", "\"2024-02-29T00:00:00Z\"", "\"2023-02-29T00:00:00Z\"", "\"2024-03-05T24:00:00Z\"",
         "\"2024-03-05T12:34:56.1234567891Z\"", "\"2024-03-05T12:34:56+02:00\"", "\"2024-03-05 12:34:56\"", "\"2024-03-05\"",
         "\"2024-03-05T12:34\"", "\"2024-03-05T12:34:56\\u005A\"", "12", "\"2024-12-31T23:59:59.999999z\""},
        {"\"2024-05-30T03:10:13Z\"", "\"2024-05-30T03:10:13-05:30\"", "\"1969-12-31T23:59:59.5Z\"", "\"2024-05-30T03:10:13,25Z\"",
         "null", "\"x\"", "\"\"", "\"2024-05-30T03:60:13Z\"", "\"0000-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"",
         "\" 2024-05-30T03:10:13Z \"", "\"2024-05-30T03:10:13.Z\""},
        {"\"2024-02-29\"", "\"2023-02-29\"", "\"2024-13-01\"", "\"2024-1-01\"", "\"1900-02-29\"", "\"2000-02-29\"",
         "\"2024-03-05T10:00:00Z\"", "null", "20240305", "\"2024-03-05 \"", "\"2024-04-31\"", "\"2024-04-30\""},
        {"33.57", "833.64", "0.5", "-12.3", "12.345", "12.340", "99999999.99", "100000000.00", "1e2", "0.004", "\"7.25\"", "00.5"},
        {"1.5", "-0.0001", "123456789012345678901234.5678", "1e30", "0.00005", "7", "\"-3\"", "null", "1.23456", "12.", ".1", "5"},
        {"0.04", "-1.5", "1e308", "1e309", "0.1", "3", "12345678.9", "-0", "\"nan\"", "\"-inf\"", "2.2250738585072014e-308", "0.30000000000000004"},
        {"true", "false", "0", "1", "fAlse", "\"T\"", "\"false\"", "null", "tru", "falsey", "\" 1 \"", "nulL"},
        {"\"beauty\"", "\"\"", "\"a \\\"quoted\\\" one\"", "\"caf\xC3\xA9\"", "\"\\u00e9\\ud83d\\ude00\"", "12",
         "true", "[1,{\"a\":[]}]", "{\"k\":\"v\"}", "null", "\"0123456789012345678901234567890123456789\"", "\"tab\\tx\""},
        {"\"x\"", "null", "\"\"", "5", "\"leave at door\"", "\"y\"", "\"z\"", "\"w\"", "false", "\"v\"", "\"u\"", "\"t\""},
        {"1", "\"k\"", "null", "[]", "{}", "2", "3", "4", "5", "6", "7", "8"},
    };
    size_t nkeys = sizeof keys / sizeof keys[0];
    size_t n = 0;
    while (n + 2000 < cap) {
        buf[n++] = '{';
        size_t members = rnd() % 8 == 0 ? rnd() % (nkeys + 3) : nkeys - rnd() % 2;
        for (size_t m = 0; m < members; m++) {
            size_t k = m % nkeys;
            if (rnd() % 16 == 0) k = rnd() % nkeys;             /* out of order, or repeated */
            if (m) n += (size_t)snprintf(buf + n, cap - n, rnd() % 25 == 0 ? " , " : ",");
            unsigned how = (unsigned)(rnd() % 40);
            if (how == 0) n += (size_t)snprintf(buf + n, cap - n, "\"%s\" : ", keys[k]);      /* spaced */
            else if (how == 1) n += (size_t)snprintf(buf + n, cap - n, "\"%s_\":", keys[k]);  /* unknown */
            else if (how == 2) n += (size_t)snprintf(buf + n, cap - n, "\"\\u00%02x%s\":", keys[k][0], keys[k] + 1);
            else if (how == 3) n += (size_t)snprintf(buf + n, cap - n, "\"%.*s\":", (int)(strlen(keys[k]) - 1), keys[k]);
            else if (how == 4) n += (size_t)snprintf(buf + n, cap - n, "\"%s\":\t", keys[k]);
            else if (how == 5) n += (size_t)snprintf(buf + n, cap - n, "\"%s\":%s", keys[k], rnd() % 2 ? "," : ":");
            else n += (size_t)snprintf(buf + n, cap - n, "\"%s\":", keys[k]);
            n += (size_t)snprintf(buf + n, cap - n, "%s", rnd() % 3 ? vals[k][0] : vals[k][rnd() % 12]);
        }
        n += (size_t)snprintf(buf + n, cap - n, rnd() % 30 == 0 ? "} \r\n" : "}\n");
        if (rnd() % 200 == 0) buf[n - 1 - rnd() % 30] = "\"\\{}[]:,\n x0."[rnd() % 14]; /* damage */
    }
    return n;
}

START_TEST(fast_paths_store_what_the_general_path_stores)
{
    /* The key-pattern check and the value fast paths (short strings, ISO times, word-at-a-time
     * numbers, bools, nulls) must leave batches, bad records, messages and offsets exactly as
     * the general path does, for both scanners. */
    kn_schema *plain = schema_of("id:int64;q:int32;ts:timestamp;tz:timestamptz;day:date;price:decimal(10,2);big:decimal(30,4);"
                                 "x:float64;ok:bool;s:string;n:string!;longer_key_name_here_x:int64");
    /* The same records with the string-like columns as json: values kept as written, strings
     * with their quotes, short ones through the 32-byte copy and long ones (40 bytes) not. */
    kn_schema *json = schema_of("id:int64;q:int32;ts:timestamp;tz:timestamptz;day:date;price:decimal(10,2);big:decimal(30,4);"
                                "x:float64;ok:bool;s:json;n:json!;longer_key_name_here_x:json");
    size_t cap = 1 << 18;
    char *buf = malloc(cap);
    for (int iter = 0; iter < 24; iter++) {
        const kn_schema *s = iter % 4 < 2 ? plain : json;
        size_t n = random_records(buf, cap);
        kn_ndjson_simd simd = iter % 2 || !kn_cpu()->avx2 ? KN_NDJSON_SIMD_SCALAR
                              : iter % 4 == 2 && kn_cpu()->avx512 ? KN_NDJSON_SIMD_AVX512
                                                                 : KN_NDJSON_SIMD_AVX2;
        result fast, general;
        fast_paths = true;
        read_with(simd, s, buf, n, 7, true, &fast);
        fast_paths = false;
        read_with(simd, s, buf, n, 7, true, &general);
        fast_paths = true;
        assert_results_equal(&fast, &general, "fast vs general");
        ck_assert(fast.batch->num_rows > 100 && fast.nbad > 10);
        result_free(&fast);
        result_free(&general);
    }
    free(buf);
    kn_schema_free(plain);
    kn_schema_free(json);
}
END_TEST

START_TEST(reader_twins_agree_on_random_input)
{
    if (!have_avx2("reader_twins_agree_on_random_input")) return;
    kn_schema *s = schema_of("a:int64;s:string;n:float64;d:decimal(20,3);j:string;sA:string");
    size_t cap = 1 << 18;
    char *buf = malloc(cap);
    for (int iter = 0; iter < 40; iter++) {
        size_t n = random_ndjson(buf, cap, iter % 2 ? 200 : 5);
        result r1, r2;
        read_with(KN_NDJSON_SIMD_SCALAR, s, buf, n, 50, true, &r1);
        read_with(KN_NDJSON_SIMD_AVX2, s, buf, n, 50, true, &r2);
        assert_results_equal(&r1, &r2, "random");
        ck_assert(r1.batch->num_rows > 0);
        result_free(&r1);
        result_free(&r2);
    }
    free(buf);
    kn_schema_free(s);
}
END_TEST

/* ---- inference ---------------------------------------------------------------------------- */

static char tmpdir[64];

static const char *write_file(const char *name, const char *text) {
    static char path[8][256];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return p;
}

START_TEST(inference_types_widening_and_order)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kn-ndjson-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    const char *p1 = write_file("a.ndjson",
                                "{\"id\":1,\"price\":1,\"ok\":true,\"day\":\"2024-01-01\",\"ts\":\"2024-01-01T00:00:00\",\"nul\":null,"
                                "\"tz\":\"2024-01-01T00:00:00Z\",\"mix\":1,\"obj\":{\"a\":1}}\n"
                                "{\"id\":2,\"price\":2.5,\"ok\":false,\"day\":\"2024-01-02\",\"ts\":\"2024-01-02\",\"mix\":\"x\","
                                "\"arr\":[1],\"tz\":\"2024-01-01T00:00:00\",\"late\":\"s\"}\n"
                                "{\"mixj\":\"s\",\"mixn\":{\"k\":[]}}\n{\"mixj\":[2],\"mixn\":7}\n");
    const char *p2 = write_file("b.ndjson", "\n{\"id\":3,\"new\":1e3,\"big\":123456789012345678901}\n");
    const char *paths[] = {p1, p2};
    kn_schema *s;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_exec_infer_schema(kn_exec_format_find("ndjson"), paths, 2, 100, &s, &e), KN_OK);
    /* Nested fields infer as json; so do fields mixing nested values with strings or numbers
     * (mixj, mixn), since a json column keeps every value as JSON text. */
    const char *names[] = {"id",  "price", "ok",   "day",  "ts",   "nul",  "tz", "mix",
                           "obj", "arr",   "late", "mixj", "mixn", "new",  "big"};
    kn_type types[] = {kn_type_make(KN_TYPE_INT64), kn_type_make(KN_TYPE_FLOAT64), kn_type_make(KN_TYPE_BOOL),
                       kn_type_make(KN_TYPE_DATE),  kn_type_timestamp(false),       kn_type_make(KN_TYPE_STRING),
                       kn_type_timestamp(true),     kn_type_make(KN_TYPE_STRING),  kn_type_json(),
                       kn_type_json(),              kn_type_make(KN_TYPE_STRING), kn_type_json(),
                       kn_type_json(),              kn_type_make(KN_TYPE_FLOAT64), kn_type_make(KN_TYPE_FLOAT64)};
    ck_assert_uint_eq(s->num_fields, 15);
    for (size_t i = 0; i < 15; i++) {
        ck_assert_str_eq(s->fields[i].name, names[i]);
        char t1[32], t2[32];
        kn_type_format(s->fields[i].type, t1, sizeof t1);
        kn_type_format(types[i], t2, sizeof t2);
        ck_assert_msg(kn_type_equal(s->fields[i].type, types[i]), "%s: %s, expected %s", names[i], t1, t2);
        ck_assert(s->fields[i].nullable);
    }
    /* The inferred schema reads its own sample. */
    result r;
    FILE *f = fopen(p1, "rb");
    char text[2048];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    read_with(KN_NDJSON_SIMD_AUTO, s, text, n, 0, true, &r);
    ck_assert_uint_eq(r.nbad, 0);
    ck_assert_uint_eq(r.batch->num_rows, 4);
    ck_assert(STR_IS(&r.batch->columns[8], 0, "{\"a\":1}"));
    ck_assert(STR_IS(&r.batch->columns[11], 2, "\"s\""));
    ck_assert(STR_IS(&r.batch->columns[11], 3, "[2]"));
    ck_assert(STR_IS(&r.batch->columns[12], 2, "{\"k\":[]}"));
    ck_assert(STR_IS(&r.batch->columns[12], 3, "7"));
    ck_assert(STR_IS(&r.batch->columns[10], 1, "s"));
    result_free(&r);
    kn_schema_free(s);

    /* max_records limits the sample: the bad third line is never read. */
    const char *p3 = write_file("c.ndjson", "{\"a\":1}\n{\"b\":2}\n{oops\n");
    ck_assert_int_eq(kn_exec_infer_schema(kn_exec_format_find("ndjson"), &p3, 1, 2, &s, &e), KN_OK);
    ck_assert_uint_eq(s->num_fields, 2);
    kn_schema_free(s);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_exec_infer_schema(kn_exec_format_find("ndjson"), &p3, 1, 10, &s, &e), KN_E_DATA);
    ck_assert_ptr_null(s);
    char msg[1500];
    kn_error_format(&e, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "c.ndjson:3:2"), "%s", msg);
    const char *p4 = write_file("d.ndjson", "{}\n\n");
    kn_error_reset(&e);
    ck_assert_int_eq(kn_exec_infer_schema(kn_exec_format_find("ndjson"), &p4, 1, 10, &s, &e), KN_E_DATA);
    ck_assert_ptr_nonnull(strstr(e.what, "no columns found"));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(format_table_finds_ndjson)
{
    const kn_format *f = kn_exec_format_find("ndjson");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_eq(kn_exec_format_for_path("x/y.jsonl"), f);
    ck_assert_ptr_eq(kn_exec_format_for_path("y.ndjson"), f);
    ck_assert_ptr_eq(kn_exec_format_for_path("y.csv"), kn_exec_format_find("csv"));
    ck_assert_ptr_eq(kn_exec_format_for_path("y.xml.gz"), kn_exec_format_find("xml"));
    ck_assert_ptr_null(kn_exec_format_for_path("y.parquet"));
    ck_assert_ptr_null(kn_exec_format_find("yaml"));
    ck_assert_int_eq(f->split, KN_SPLIT_EXACT);
    /* The first record starting at or after a byte. */
    const uint8_t d[] = "ab\ncd\nef";
    ck_assert_uint_eq(f->record_start(NULL, NULL, d, 8, 0), 0);
    ck_assert_uint_eq(f->record_start(NULL, NULL, d, 8, 1), 3);
    ck_assert_uint_eq(f->record_start(NULL, NULL, d, 8, 3), 3);
    ck_assert_uint_eq(f->record_start(NULL, NULL, d, 8, 4), 6);
    ck_assert_uint_eq(f->record_start(NULL, NULL, d, 8, 8), 8);
}
END_TEST

/* ---- conformance -------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static bool only_whitespace(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i])) return false;
    return true;
}

START_TEST(jsontestsuite_conformance)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/json", KN_TEST_CONFORMANCE_DIR);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s is absent: the JSONTestSuite files must be in the project (tests/conformance/json)", dir);
    const kn_format *fmt = kn_exec_format_find("ndjson");
    kn_schema *fixed = schema_of("a:string");
    size_t y_rows = 0, y_refused = 0, n_rejected = 0, n_empty = 0, i_files = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *nm = ent->d_name;
        if (strlen(nm) < 6 || strcmp(nm + strlen(nm) - 5, ".json")) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        size_t len;
        char *text = slurp(path, &len);
        ck_assert_ptr_nonnull(text);
        const char *paths[] = {path};
        kn_schema *s = NULL;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = kn_exec_infer_schema(fmt, paths, 1, 100, &s, &e);
        result r1, r2;
        if (nm[0] == 'y') {
            size_t body = len;
            while (body && strchr(" \t\r\n", text[body - 1])) body--;
            size_t lead = 0;
            while (lead < body && strchr(" \t\r", text[lead])) lead++;
            bool one_object_line = body > lead && text[lead] == '{' && !memchr(text, '\n', body);
            if (!one_object_line) {
                kn_schema_free(s);
                free(text);
                continue;
            }
            if (st != KN_OK) {
                /* Allowed for objects without a usable column name: {} or {"":0}. */
                ck_assert_msg(st == KN_E_DATA && e.what[0], "%s: %s", nm, e.what);
                y_refused++;
                read_with(KN_NDJSON_SIMD_AUTO, fixed, text, len, 0, true, &r1);
                ck_assert_msg(r1.nbad == 0 && r1.batch->num_rows == 1, "%s: the fixed schema must read it", nm);
                result_free(&r1);
            } else {
                read_with(KN_NDJSON_SIMD_AUTO, s, text, len, 0, true, &r1);
                ck_assert_msg(r1.nbad == 0, "%s: %s", nm, r1.nbad ? r1.err[0].what : "");
                ck_assert_msg(r1.batch->num_rows == 1, "%s: %zu rows", nm, r1.batch->num_rows);
                result_free(&r1);
                y_rows++;
            }
        } else if (nm[0] == 'n') {
            ck_assert_msg(st != KN_OK, "%s: inference accepted it", nm);
            ck_assert_msg(st == KN_E_DATA, "%s: status %d", nm, st);
            read_with(KN_NDJSON_SIMD_AUTO, fixed, text, len, 0, true, &r1);
            ck_assert_msg(r1.batch->num_rows == 0, "%s: made a row", nm);
            bool empty = only_whitespace(text, len) || (len == 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0);
            if (empty) {
                ck_assert_msg(r1.nbad == 0 && r1.records == 0, "%s: an empty shard", nm);
                n_empty++;
            } else {
                ck_assert_msg(r1.nbad >= 1, "%s: no error", nm);
                n_rejected++;
            }
            result_free(&r1);
        } else {
            read_with(KN_NDJSON_SIMD_AUTO, fixed, text, len, 0, true, &r1);
            result_free(&r1);
            if (s) {
                read_with(KN_NDJSON_SIMD_AUTO, s, text, len, 0, true, &r1);
                result_free(&r1);
            }
            i_files++;
        }
        /* Both scanners give the same answer on every file. */
        if (kn_cpu()->avx2) {
            read_with(KN_NDJSON_SIMD_SCALAR, fixed, text, len, 0, true, &r1);
            read_with(KN_NDJSON_SIMD_AVX2, fixed, text, len, 0, true, &r2);
            assert_results_equal(&r1, &r2, nm);
            result_free(&r1);
            result_free(&r2);
        }
        kn_schema_free(s);
        free(text);
    }
    closedir(d);
    fprintf(stderr, "conformance: %zu y_ objects read as one row, %zu refused for no usable name, %zu n_ rejected, "
                    "%zu n_ empty shards, %zu i_ survived\n",
            y_rows, y_refused, n_rejected, n_empty, i_files);
    ck_assert(y_rows >= 8);
    ck_assert(n_rejected >= 150);
    kn_schema_free(fixed);
}
END_TEST

int main(void) {
    Suite *s = suite_create("ndjson");
    TCase *tc = tcase_create("ndjson");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, escapes_decode_including_surrogate_pairs);
    tcase_add_test(tc, bad_escapes_and_lone_surrogates_are_bad_records);
    tcase_add_test(tc, invalid_utf8_is_a_bad_record_and_valid_utf8_passes);
    tcase_add_test(tc, integers_load_exactly_to_their_limits);
    tcase_add_test(tc, decimals_keep_the_digits_and_refuse_rounding);
    tcase_add_test(tc, doubles_load_exactly_like_strtod);
    tcase_add_test(tc, timestamps_and_dates_from_strings);
    tcase_add_test(tc, columns_with_a_format_parse_it);
    tcase_add_test(tc, schema_files_read_and_write_formats);
    tcase_add_test(tc, missing_keys_are_null_and_unknown_keys_are_ignored_but_validated);
    tcase_add_test(tc, nested_values_become_their_exact_text);
    tcase_add_test(tc, json_columns_keep_every_value_as_its_written_json_text);
    tcase_add_test(tc, strings_cast_into_typed_columns_like_a_database);
    tcase_add_test(tc, duplicate_keys_keep_the_last_value);
    tcase_add_test(tc, schemas_past_64_fields_track_every_field);
    tcase_add_test(tc, each_line_must_be_one_object);
    tcase_add_test(tc, crlf_bom_and_blank_lines_are_accepted);
    tcase_add_test(tc, a_bad_record_mid_batch_leaves_no_trace);
    tcase_add_test(tc, long_lines_and_unterminated_last_lines_cross_windows);
    tcase_add_test(tc, scanner_twins_build_identical_indexes);
    tcase_add_test(tc, reader_twins_agree_on_random_input);
    tcase_add_test(tc, fast_paths_store_what_the_general_path_stores);
    tcase_add_test(tc, inference_types_widening_and_order);
    tcase_add_test(tc, format_table_finds_ndjson);
    tcase_add_test(tc, jsontestsuite_conformance);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
