/* tests/parquet_read/test_pqr_layout.c: the physical layout of files kiln's writer writes, read
 * back through kn_parquet_read (an independent decoder: it shares no code with the writer).
 *
 * check_layout() (pqr_test_layout.c) asserts what tests/parquet_read/parquet-checklist.md asks of every
 * file (the numbers in comments are its items); the tests here write files that exercise each
 * case (types, statistics, row groups, dictionary fallback, codecs, zero rows, page bodies) and
 * check the specifics. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_file.h"
#include "kn_pq_column.h"
#include "kn_pq_format.h"
#include "kn_pq_writer.h"
#include "kn_pqr.h"
#include "kn_schema.h"
#include "kn_stream.h"
#include "pqr_test_layout.h"

/* --- data -------------------------------------------------------------------------------- */

enum { F_STR, F_BOOL, F_I32, F_I64, F_F64, F_DEC9, F_DEC18, F_DEC38, F_DATE, F_TS_UTC, F_TS_LOCAL, F_COUNT };

static kn_schema *all_types_schema(bool nullable) {
    static const char *const names[F_COUNT] = {"s", "b", "i32", "i64", "f64", "d9", "d18", "d38", "day", "ts_utc", "ts_local"};
    kn_type types[F_COUNT] = {kn_type_make(KN_TYPE_STRING), kn_type_make(KN_TYPE_BOOL), kn_type_make(KN_TYPE_INT32),
                              kn_type_make(KN_TYPE_INT64), kn_type_make(KN_TYPE_FLOAT64), kn_type_decimal(9, 2),
                              kn_type_decimal(18, 4), kn_type_decimal(38, 10), kn_type_make(KN_TYPE_DATE),
                              kn_type_timestamp(true), kn_type_timestamp(false)};
    bool nulls[F_COUNT];
    for (int i = 0; i < F_COUNT; i++) nulls[i] = nullable;
    return schema_of(names, types, nulls, F_COUNT);
}

/* Row r: every third row null (when nullable), values spread over signs. */
static void fill_all_types(kn_batch *b, size_t first, size_t n, void *ctx) {
    bool nullable = *(bool *)ctx;
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i;
        bool null = nullable && r % 3 == 1;
        int64_t v = (int64_t)r * 7 - 50;
        for (int f = 0; f < F_COUNT; f++) {
            kn_column *c = &b->columns[f];
            if (null) {
                ck_assert_int_eq(kn_column_append_null(c, NULL), KN_OK);
                continue;
            }
            char text[32];
            switch (f) {
            case F_STR:
                snprintf(text, sizeof text, "v%05lld", (long long)(r % 500));
                kn_column_append_str(c, text, strlen(text), NULL);
                break;
            case F_BOOL: kn_column_append_bool(c, r % 2 == 0, NULL); break;
            case F_I32:
            case F_DATE: kn_column_append_i32(c, (int32_t)v, NULL); break;
            case F_F64: kn_column_append_f64(c, (double)v / 4.0, NULL); break;
            case F_DEC38: kn_column_append_i128(c, (kn_i128){(uint64_t)v, v < 0 ? -1 : 0}, NULL); break;
            default: kn_column_append_i64(c, v, NULL); break;
            }
        }
    }
}

static int64_t le_value(const kn_pqr_bytes *b) {
    ck_assert_ptr_nonnull(b->data);
    uint64_t v = 0;
    for (size_t i = b->len; i > 0; i--) v = v << 8 | b->data[i - 1];
    if (b->len < 8 && (v >> (8 * b->len - 1)) & 1) v |= ~(uint64_t)0 << (8 * b->len);
    return (int64_t)v;
}

/* The smallest byte width whose two's complement holds every decimal of `precision` digits. */
static int32_t decimal_width(int precision) {
    double bits = (double)precision * log2(10.0) + 1.0;
    return (int32_t)ceil(bits / 8.0);
}

/* --- tests ------------------------------------------------------------------------------- */

START_TEST(every_type_has_its_physical_logical_and_converted_type)
{
    /* 24-27: both annotations; MICROS timestamps; DECIMAL widths by precision. */
    bool nullable = true;
    kn_schema *s = all_types_schema(true);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 300, 128, fill_all_types, &nullable, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    const kn_pqr_schema_element *el = m->schema + 1;
    ck_assert_int_eq(el[F_STR].type, KN_PQ_BYTE_ARRAY);
    ck_assert_int_eq(el[F_STR].logical.kind, KN_PQR_LT_STRING);
    ck_assert_int_eq(el[F_STR].converted_type, KN_PQ_CT_UTF8);
    ck_assert_int_eq(el[F_BOOL].type, KN_PQ_BOOLEAN);
    ck_assert_int_eq(el[F_I32].type, KN_PQ_INT32);
    ck_assert_int_eq(el[F_I32].logical.kind, KN_PQR_LT_INTEGER);
    ck_assert_int_eq(el[F_I32].logical.bit_width, 32);
    ck_assert(el[F_I32].logical.is_signed);
    ck_assert_int_eq(el[F_I32].converted_type, KN_PQ_CT_INT_32);
    ck_assert_int_eq(el[F_I64].type, KN_PQ_INT64);
    ck_assert_int_eq(el[F_I64].logical.bit_width, 64);
    ck_assert_int_eq(el[F_I64].converted_type, KN_PQ_CT_INT_64);
    ck_assert_int_eq(el[F_F64].type, KN_PQ_DOUBLE);
    static const int dec[3] = {F_DEC9, F_DEC18, F_DEC38};
    static const int prec[3] = {9, 18, 38}, scale[3] = {2, 4, 10};
    static const int32_t phys[3] = {KN_PQ_INT32, KN_PQ_INT64, KN_PQ_FIXED_LEN_BYTE_ARRAY};
    for (int i = 0; i < 3; i++) {
        const kn_pqr_schema_element *d = &el[dec[i]];
        ck_assert_int_eq(d->type, phys[i]);
        ck_assert_int_eq(d->logical.kind, KN_PQR_LT_DECIMAL);
        ck_assert_int_eq(d->logical.precision, prec[i]);
        ck_assert_int_eq(d->logical.scale, scale[i]);
        ck_assert_int_eq(d->converted_type, KN_PQ_CT_DECIMAL);
        ck_assert(d->has_precision && d->precision == prec[i]);
        ck_assert(d->has_scale && d->scale == scale[i]);
    }
    ck_assert(el[F_DEC38].has_type_length);
    ck_assert_int_eq(el[F_DEC38].type_length, decimal_width(38));
    ck_assert_int_eq(el[F_DATE].type, KN_PQ_INT32);
    ck_assert_int_eq(el[F_DATE].logical.kind, KN_PQR_LT_DATE);
    ck_assert_int_eq(el[F_DATE].converted_type, KN_PQ_CT_DATE);
    for (int f = F_TS_UTC; f <= F_TS_LOCAL; f++) {
        ck_assert_int_eq(el[f].type, KN_PQ_INT64);
        ck_assert_int_eq(el[f].logical.kind, KN_PQR_LT_TIMESTAMP);
        ck_assert_int_eq(el[f].logical.unit, KN_PQR_UNIT_MICROS);
        ck_assert_int_eq(el[f].converted_type, KN_PQ_CT_TIMESTAMP_MICROS);
    }
    ck_assert(el[F_TS_UTC].logical.utc);
    ck_assert(!el[F_TS_LOCAL].logical.utc);
    for (int f = 0; f < F_COUNT; f++) ck_assert(el[f].has_converted_type || f == F_BOOL || f == F_F64);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(decimal_widths_are_minimal_above_18_digits)
{
    /* 27: Redshift checks FIXED_LEN_BYTE_ARRAY widths against the precision. */
    for (int p = 19; p <= 38; p++) {
        kn_schema *s = kn_schema_create();
        ck_assert_int_eq(kn_schema_add(s, "d", kn_type_decimal((uint8_t)p, 2), true, NULL), KN_OK);
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        kn_buf file = KN_BUF_INIT;
        kn_sink *sink = kn_mem_sink_create(&file);
        kn_pq_writer *w = NULL;
        ck_assert_int_eq(kn_pq_writer_create(s, sink, &opt, &w, NULL), KN_OK);
        ck_assert_int_eq(kn_pq_writer_close(w, NULL, NULL), KN_OK);
        kn_pqr_meta *m = read_meta(&file);
        ck_assert_int_eq(m->schema[1].type, KN_PQ_FIXED_LEN_BYTE_ARRAY);
        ck_assert_msg(m->schema[1].type_length == decimal_width(p), "precision %d: width %d, want %d", p,
                      (int)m->schema[1].type_length, (int)decimal_width(p));
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
        kn_schema_free(s);
    }
}
END_TEST

START_TEST(statistics_hold_exact_min_max_and_null_count)
{
    /* 19, 20, 23: min/max of exactly the chunk's values, nulls counted; decimals by signed
     * value (FLBA big-endian two's complement). Rows r = 0..299, value 7r - 50, every third
     * (r % 3 == 1) null: min -50 (r=0), max 7*299-50 = 2043 (r=299, 299 % 3 == 2). */
    bool nullable = true;
    kn_schema *s = all_types_schema(true);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 300, 64, fill_all_types, &nullable, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    ck_assert_uint_eq(m->num_row_groups, 1);
    const kn_pqr_column_chunk *cc = m->row_groups[0].columns;
    for (int f = 0; f < F_COUNT; f++) ck_assert_int_eq(cc[f].meta_data.statistics.null_count, 100);
    ck_assert_int_eq(le_value(&cc[F_I32].meta_data.statistics.min_value), -50);
    ck_assert_int_eq(le_value(&cc[F_I32].meta_data.statistics.max_value), 2043);
    ck_assert_int_eq(le_value(&cc[F_I64].meta_data.statistics.min_value), -50);
    ck_assert_int_eq(le_value(&cc[F_I64].meta_data.statistics.max_value), 2043);
    ck_assert_int_eq(le_value(&cc[F_DEC9].meta_data.statistics.min_value), -50);
    ck_assert_int_eq(le_value(&cc[F_DEC18].meta_data.statistics.max_value), 2043);
    ck_assert_int_eq(le_value(&cc[F_DATE].meta_data.statistics.min_value), -50);
    ck_assert_int_eq(le_value(&cc[F_TS_UTC].meta_data.statistics.max_value), 2043);
    /* Booleans: rows 0 and 2 are present, even and odd. */
    ck_assert_uint_eq(cc[F_BOOL].meta_data.statistics.min_value.len, 1);
    ck_assert_int_eq(cc[F_BOOL].meta_data.statistics.min_value.data[0], 0);
    ck_assert_int_eq(cc[F_BOOL].meta_data.statistics.max_value.data[0], 1);
    double dmin, dmax;
    ck_assert_uint_eq(cc[F_F64].meta_data.statistics.min_value.len, 8);
    memcpy(&dmin, cc[F_F64].meta_data.statistics.min_value.data, 8);
    memcpy(&dmax, cc[F_F64].meta_data.statistics.max_value.data, 8);
    ck_assert(dmin == -12.5 && dmax == 2043 / 4.0);
    /* DECIMAL(38,10): 16 big-endian bytes; -50 is ff..ce, 2043 is 00..07fb. */
    const kn_pqr_stats *d38 = &cc[F_DEC38].meta_data.statistics;
    ck_assert_uint_eq(d38->min_value.len, (size_t)decimal_width(38));
    ck_assert_uint_eq(d38->min_value.data[0], 0xff);
    ck_assert_uint_eq(d38->min_value.data[d38->min_value.len - 1], 0xce);
    ck_assert_uint_eq(d38->max_value.data[0], 0x00);
    ck_assert_uint_eq(d38->max_value.data[d38->max_value.len - 2], 0x07);
    ck_assert_uint_eq(d38->max_value.data[d38->max_value.len - 1], 0xfb);
    /* Strings: "v00000" .. "v00499" present. */
    const kn_pqr_stats *ss = &cc[F_STR].meta_data.statistics;
    ck_assert_uint_eq(ss->min_value.len, 6);
    ck_assert(!memcmp(ss->min_value.data, "v00000", 6));
    ck_assert(!memcmp(ss->max_value.data, "v00299", 6));
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

typedef struct {
    const char *const *strings;
    size_t n;
} strings_ctx;

static void fill_strings(kn_batch *b, size_t first, size_t n, void *ctx) {
    const strings_ctx *sc = ctx;
    for (size_t i = 0; i < n; i++) {
        const char *v = sc->strings[(first + i) % sc->n];
        if (v) kn_column_append_str(&b->columns[0], v, strlen(v), NULL);
        else kn_column_append_null(&b->columns[0], NULL);
    }
}

START_TEST(string_statistics_compare_as_unsigned_bytes)
{
    /* 20: "\xc3\xa9" (é) sorts after "z" as unsigned bytes; a signed comparison would make it
     * the minimum. parquet-java and Trino drop or misuse such statistics otherwise. */
    static const char *const values[] = {"b", "\xc3\xa9", "a", NULL, "\x7f", "z", ""};
    strings_ctx sc = {values, 7};
    static const char *const names[] = {"s"};
    kn_type types[] = {kn_type_make(KN_TYPE_STRING)};
    bool nulls[] = {true};
    kn_schema *s = schema_of(names, types, nulls, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 7, 7, fill_strings, &sc, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    const kn_pqr_stats *st = &m->row_groups[0].columns[0].meta_data.statistics;
    ck_assert_int_eq(st->null_count, 1);
    ck_assert_ptr_nonnull(st->min_value.data);
    ck_assert_uint_eq(st->min_value.len, 0); /* the empty string */
    ck_assert_uint_eq(st->max_value.len, 2);
    ck_assert(!memcmp(st->max_value.data, "\xc3\xa9", 2));
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

typedef struct {
    const double *values; /* NAN for NaN; use has_null for nulls */
    const bool *nulls;
    size_t n;
} doubles_ctx;

static void fill_doubles(kn_batch *b, size_t first, size_t n, void *ctx) {
    const doubles_ctx *dc = ctx;
    for (size_t i = 0; i < n; i++) {
        size_t r = (first + i) % dc->n;
        if (dc->nulls && dc->nulls[r]) kn_column_append_null(&b->columns[0], NULL);
        else kn_column_append_f64(&b->columns[0], dc->values[r], NULL);
    }
}

/* Writes one DOUBLE column of `n` values and returns its chunk statistics' bounds. */
static void double_stats(const double *values, const bool *nulls, size_t n, bool *has_min, double *min, bool *has_max,
                         double *max, int64_t *null_count) {
    doubles_ctx dc = {values, nulls, n};
    static const char *const names[] = {"x"};
    kn_type types[] = {kn_type_make(KN_TYPE_FLOAT64)};
    bool nullable[] = {true};
    kn_schema *s = schema_of(names, types, nullable, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, n, n, fill_doubles, &dc, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    const kn_pqr_stats *st = &m->row_groups[0].columns[0].meta_data.statistics;
    *has_min = st->min_value.data != NULL;
    *has_max = st->max_value.data != NULL;
    if (*has_min) {
        ck_assert_uint_eq(st->min_value.len, 8);
        memcpy(min, st->min_value.data, 8);
    }
    if (*has_max) {
        ck_assert_uint_eq(st->max_value.len, 8);
        memcpy(max, st->max_value.data, 8);
    }
    /* The deprecated fields, if written, must agree (doubles are a signed type). */
    if (st->min.data) ck_assert(!memcmp(st->min.data, st->min_value.data, 8));
    *null_count = st->null_count;
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}

START_TEST(nan_is_never_a_bound_and_zeros_are_signed)
{
    /* 21: NaN never a bound; a zero minimum is written -0.0 and a zero maximum +0.0, so a
     * reader comparing with either sign of zero keeps the row group. */
    bool hmin, hmax;
    double min, max;
    int64_t nc;
    const double a[] = {NAN, 2.5, -1.0, NAN};
    double_stats(a, NULL, 4, &hmin, &min, &hmax, &max, &nc);
    ck_assert(hmin && hmax && min == -1.0 && max == 2.5);
    ck_assert_int_eq(nc, 0);
    const double zeros[] = {0.0, NAN, 0.0};
    double_stats(zeros, NULL, 3, &hmin, &min, &hmax, &max, &nc);
    ck_assert(hmin && hmax && min == 0.0 && max == 0.0);
    ck_assert_msg(signbit(min) && !signbit(max), "zero bounds: min %s0, max %s0", signbit(min) ? "-" : "+",
                  signbit(max) ? "-" : "+");
    const double neg_zero[] = {-0.0, 5.0};
    double_stats(neg_zero, NULL, 2, &hmin, &min, &hmax, &max, &nc);
    ck_assert(min == 0.0 && signbit(min) && max == 5.0);
    const double pos_zero[] = {-3.0, 0.0};
    double_stats(pos_zero, NULL, 2, &hmin, &min, &hmax, &max, &nc);
    ck_assert(min == -3.0 && max == 0.0 && !signbit(max));
    const double all_nan[] = {NAN, NAN};
    double_stats(all_nan, NULL, 2, &hmin, &min, &hmax, &max, &nc);
    ck_assert_msg(!hmin && !hmax, "an all-NaN chunk has no bounds");
    const double some[] = {1.0, 2.0, 3.0};
    const bool all_null[] = {true, true, true};
    double_stats(some, all_null, 3, &hmin, &min, &hmax, &max, &nc);
    ck_assert(!hmin && !hmax);
    ck_assert_int_eq(nc, 3);
}
END_TEST

START_TEST(long_strings_get_bounds_that_still_hold_and_small_headers)
{
    /* 18, 22: a 300 KB string must not put 300 KB into the footer or page headers; a cut
     * maximum must still be >= every value (the last byte rounded up), a cut minimum <= . */
    size_t big = 300000;
    char *lo = malloc(big + 1), *hi = malloc(big + 1);
    memset(lo, 'm', big);
    memset(hi, 'y', big);
    lo[big] = hi[big] = '\0';
    const char *const values[] = {lo, hi};
    strings_ctx sc = {values, 2};
    static const char *const names[] = {"s"};
    kn_type types[] = {kn_type_make(KN_TYPE_STRING)};
    bool nulls[] = {false};
    kn_schema *s = schema_of(names, types, nulls, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 2, 2, fill_strings, &sc, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    ck_assert_uint_lt(m->footer_len, 64 * 1024);
    const kn_pqr_stats *st = &m->row_groups[0].columns[0].meta_data.statistics;
    if (st->max_value.data) {
        size_t n = st->max_value.len < big ? st->max_value.len : big;
        int c = memcmp(st->max_value.data, hi, n);
        ck_assert_msg(c > 0 || (c == 0 && st->max_value.len >= big), "a cut maximum below the real one");
        if (st->max_value.len < big) ck_assert(st->has_is_max_value_exact && !st->is_max_value_exact);
    }
    if (st->min_value.data) {
        size_t n = st->min_value.len < big ? st->min_value.len : big;
        ck_assert(memcmp(st->min_value.data, lo, n) <= 0);
    }
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
    free(lo);
    free(hi);
}
END_TEST

static void fill_i64_seq(kn_batch *b, size_t first, size_t n, void *ctx) {
    for (size_t i = 0; i < n; i++) {
        kn_column_append_i64(&b->columns[0], (int64_t)(first + i), NULL);
        char text[32];
        snprintf(text, sizeof text, "row-%zu", (first + i) % 1000);
        kn_column_append_str(&b->columns[1], text, strlen(text), NULL);
    }
}

static kn_schema *seq_schema(void) {
    static const char *const names[] = {"id", "label"};
    kn_type types[] = {kn_type_make(KN_TYPE_INT64), kn_type_make(KN_TYPE_STRING)};
    bool nulls[] = {false, true};
    return schema_of(names, types, nulls, 2);
}

START_TEST(small_row_group_bytes_give_several_row_groups)
{
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.row_group_bytes = 64 * 1024;
    kn_buf file = KN_BUF_INIT;
    kn_pq_file_info info;
    write_file(s, &opt, 100000, 7000, fill_i64_seq, NULL, &file, &info);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    ck_assert_uint_ge(m->num_row_groups, 3);
    ck_assert_uint_eq(info.num_row_groups, m->num_row_groups);
    ck_assert_int_eq(m->num_rows, 100000);
    /* The rows go in order: each row group's id statistics continue the previous one's. */
    int64_t next = 0;
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        const kn_pqr_stats *st = &rg->columns[0].meta_data.statistics;
        ck_assert_int_eq(le_value(&st->min_value), next);
        ck_assert_int_eq(le_value(&st->max_value), next + rg->num_rows - 1);
        next += rg->num_rows;
        if (rg->has_ordinal) ck_assert_int_eq(rg->ordinal, (int16_t)g);
    }
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

static void fill_distinct_strings(kn_batch *b, size_t first, size_t n, void *ctx) {
    for (size_t i = 0; i < n; i++) {
        char text[48];
        snprintf(text, sizeof text, "distinct-value-%08zu", first + i);
        kn_column_append_str(&b->columns[0], text, strlen(text), NULL);
    }
}

START_TEST(sorting_columns_reach_every_row_group_and_bad_ones_are_refused)
{
    /* kn_pq_options.sorting_columns becomes RowGroup.sorting_columns (every SortingColumn field
     * is required) in every row group; none by default; a column listed twice or past the
     * schema is a usage error at create, before anything is written. */
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.row_group_bytes = 64 * 1024;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 30000, 7000, fill_i64_seq, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    for (size_t g = 0; g < m->num_row_groups; g++) ck_assert(!m->row_groups[g].has_sorting_columns);
    kn_pqr_meta_free(m);
    opt.sorting_columns[0] = (kn_pq_sorting_column){0, false, true};
    opt.sorting_columns[1] = (kn_pq_sorting_column){1, true, false};
    opt.num_sorting_columns = 2;
    write_file(s, &opt, 30000, 7000, fill_i64_seq, NULL, &file, NULL);
    m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL); /* SortingColumn's required fields too */
    ck_assert_uint_ge(m->num_row_groups, 2);
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        ck_assert(rg->has_sorting_columns);
        ck_assert_uint_eq(rg->num_sorting_columns, 2);
        ck_assert_int_eq(rg->sorting_columns[0].column_idx, 0);
        ck_assert(!rg->sorting_columns[0].descending && rg->sorting_columns[0].nulls_first);
        ck_assert_int_eq(rg->sorting_columns[1].column_idx, 1);
        ck_assert(rg->sorting_columns[1].descending && !rg->sorting_columns[1].nulls_first);
        ck_assert(rg->has_file_offset && rg->has_ordinal); /* the fields after it still follow */
    }
    kn_pqr_meta_free(m);
    static const struct {
        size_t a, b;
        const char *what;
    } bad[] = {{1, 1, "listed twice"}, {0, 2, "past the file's 2 columns"}};
    for (size_t k = 0; k < 2; k++) {
        opt.sorting_columns[0].column = bad[k].a;
        opt.sorting_columns[1].column = bad[k].b;
        kn_buf out = KN_BUF_INIT;
        kn_pq_writer *w = NULL;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(&out), &opt, &w, &e), KN_E_USAGE);
        ck_assert_ptr_null(w);
        ck_assert_msg(strstr(e.what, bad[k].what), "%s", e.what);
        kn_buf_free(&out);
    }
    opt.num_sorting_columns = KN_PQ_MAX_SORTING_COLUMNS + 1;
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w = NULL;
    ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(&out), &opt, &w, NULL), KN_E_USAGE);
    kn_buf_free(&out);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(dictionary_falls_back_to_plain_past_its_bound)
{
    /* 15: 50k distinct strings overflow a 16 KiB dictionary: one dictionary page, then
     * RLE_DICTIONARY pages, then PLAIN pages only, and encodings and encoding_stats say so, or
     * Spark's dictionary filter drops rows. */
    static const char *const names[] = {"s"};
    kn_type types[] = {kn_type_make(KN_TYPE_STRING)};
    bool nulls[] = {false};
    kn_schema *s = schema_of(names, types, nulls, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.dictionary_page_bytes = 16 * 1024;
    opt.page_bytes = 8 * 1024;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 50000, 10000, fill_distinct_strings, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    layout_counts counts;
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, &counts);
    ck_assert_uint_eq(m->num_row_groups, 1);
    ck_assert_uint_eq(counts.dictionary_pages, 1);
    ck_assert_uint_ge(counts.dict_data_pages, 1);
    ck_assert_uint_ge(counts.plain_pages, 1);
    const kn_pqr_column_meta *cm = &m->row_groups[0].columns[0].meta_data;
    ck_assert(has_encoding(cm, KN_PQ_ENC_PLAIN));
    ck_assert(has_encoding(cm, KN_PQ_ENC_RLE_DICTIONARY));
    ck_assert_int_eq(encoding_stats_count(cm, KN_PQ_PAGE_DATA, KN_PQ_ENC_PLAIN), (int32_t)counts.plain_pages);
    ck_assert_int_eq(encoding_stats_count(cm, KN_PQ_PAGE_DATA, KN_PQ_ENC_RLE_DICTIONARY), (int32_t)counts.dict_data_pages);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

/* Rows [0, lead) null, then the values r % 10 (as int64), or nulls only when ctx says so. */
typedef struct {
    size_t lead;
    bool all_null;
} lead_nulls;

static void fill_leading_nulls(kn_batch *b, size_t first, size_t n, void *ctx) {
    const lead_nulls *ln = ctx;
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i;
        if (ln->all_null || r < ln->lead) kn_column_append_null(&b->columns[0], NULL);
        else kn_column_append_i64(&b->columns[0], (int64_t)(r % 10), NULL);
    }
}

START_TEST(leading_nulls_keep_the_dictionary)
{
    /* The dictionary's probe after 32768 rows once compared an empty dictionary with empty PLAIN
     * bytes and gave up on columns whose first rows are null (sparse columns, nulls sorted
     * first), writing the whole chunk PLAIN. Ten repeated values after 40,000 nulls must be
     * dictionary-encoded; after 1.1 million nulls too. The first pages (cut every
     * KN_PQ_PAGE_MAX_ROWS rows) hold nulls only and are dictionary pages of no indices, so no
     * PLAIN page comes before the dictionary ones (15). */
    static const char *const names[] = {"v"};
    kn_type types[] = {kn_type_make(KN_TYPE_INT64)};
    bool nulls[] = {true};
    kn_schema *s = schema_of(names, types, nulls, 1);
    static const size_t leads[] = {40000, 1100000};
    for (size_t k = 0; k < 2; k++) {
        lead_nulls ln = {leads[k], false};
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        kn_buf file = KN_BUF_INIT;
        write_file(s, &opt, leads[k] + 60000, 50000, fill_leading_nulls, &ln, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        layout_counts counts;
        check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, &counts);
        ck_assert_uint_eq(m->num_row_groups, 1);
        const kn_pqr_column_meta *cm = &m->row_groups[0].columns[0].meta_data;
        ck_assert_uint_eq(counts.dictionary_pages, 1);
        ck_assert_uint_eq(counts.plain_pages, 0);
        size_t rows = leads[k] + 60000;
        ck_assert_uint_eq(counts.dict_data_pages, (rows + KN_PQ_PAGE_MAX_ROWS - 1) / KN_PQ_PAGE_MAX_ROWS);
        ck_assert(!has_encoding(cm, KN_PQ_ENC_PLAIN) || encoding_stats_count(cm, KN_PQ_PAGE_DATA, KN_PQ_ENC_PLAIN) == 0);
        ck_assert_int_eq(cm->statistics.null_count, (int64_t)leads[k]);
        ck_assert_int_eq(le_value(&cm->statistics.min_value), 0);
        ck_assert_int_eq(le_value(&cm->statistics.max_value), 9);
        chunk_pages pg;
        walk_chunk(&file, cm, &pg);
        ck_assert_int_eq(pg.pages[0].h.dictionary_page_header.num_values, 10);
        free(pg.pages);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
    }
    kn_schema_free(s);
}
END_TEST

START_TEST(null_chunks_stay_plain_or_get_an_empty_dictionary)
{
    /* A chunk of nulls only in one page stays PLAIN with no dictionary page, as before; one of
     * 1.1 million nulls (pages cut every KN_PQ_PAGE_MAX_ROWS rows while the dictionary was still
     * open) has dictionary pages of no indices and an empty dictionary page, as arrow-rs
     * writes. */
    static const char *const names[] = {"v"};
    kn_type types[] = {kn_type_make(KN_TYPE_INT64)};
    bool nulls[] = {true};
    kn_schema *s = schema_of(names, types, nulls, 1);
    static const size_t rows[] = {KN_PQ_PAGE_MAX_ROWS / 2, 1100000};
    for (size_t k = 0; k < 2; k++) {
        lead_nulls ln = {0, true};
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        kn_buf file = KN_BUF_INIT;
        write_file(s, &opt, rows[k], 50000, fill_leading_nulls, &ln, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        layout_counts counts;
        check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, &counts);
        const kn_pqr_column_meta *cm = &m->row_groups[0].columns[0].meta_data;
        ck_assert_int_eq(cm->statistics.null_count, (int64_t)rows[k]);
        ck_assert_ptr_null(cm->statistics.min_value.data);
        if (k == 0) {
            ck_assert_uint_eq(counts.dictionary_pages, 0);
            ck_assert_uint_eq(counts.plain_pages, 1);
        } else {
            ck_assert_uint_eq(counts.dictionary_pages, 1);
            ck_assert_uint_eq(counts.dict_data_pages, (rows[k] + KN_PQ_PAGE_MAX_ROWS - 1) / KN_PQ_PAGE_MAX_ROWS);
            chunk_pages pg;
            walk_chunk(&file, cm, &pg);
            ck_assert_int_eq(pg.pages[0].h.dictionary_page_header.num_values, 0);
            free(pg.pages);
        }
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
    }
    kn_schema_free(s);
}
END_TEST

START_TEST(no_dictionary_means_no_dictionary_page_offset)
{
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.dictionary = false;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 5000, 5000, fill_i64_seq, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    layout_counts counts;
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, &counts);
    ck_assert_uint_eq(counts.dictionary_pages, 0);
    ck_assert_uint_eq(counts.dict_data_pages, 0);
    for (size_t c = 0; c < 2; c++) {
        const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[c];
        ck_assert(!cc->meta_data.has_dictionary_page_offset);
        ck_assert_int_eq(cc->file_offset, cc->meta_data.data_page_offset);
        ck_assert(!has_encoding(&cc->meta_data, KN_PQ_ENC_RLE_DICTIONARY));
    }
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(a_dictionary_chunk_starts_with_its_dictionary_page)
{
    /* 6: data_page_offset past the dictionary page and its header; file_offset at the
     * dictionary page. 1000 distinct labels fit the default dictionary. */
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 20000, 20000, fill_i64_seq, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    layout_counts counts;
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, &counts);
    const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[1];
    ck_assert(cc->meta_data.has_dictionary_page_offset);
    ck_assert_int_eq(cc->file_offset, cc->meta_data.dictionary_page_offset);
    ck_assert_int_gt(cc->meta_data.data_page_offset, cc->meta_data.dictionary_page_offset);
    ck_assert(has_encoding(&cc->meta_data, KN_PQ_ENC_RLE_DICTIONARY));
    ck_assert(!has_encoding(&cc->meta_data, KN_PQ_ENC_PLAIN_DICTIONARY));
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(every_codec_writes_a_valid_layout)
{
    /* 17: SNAPPY, GZIP, ZSTD, LZ4_RAW (7, never 5), none. Written through a file sink, so the
     * published file is what gets read. */
    static const kn_codec codecs[] = {KN_CODEC_NONE, KN_CODEC_SNAPPY, KN_CODEC_GZIP, KN_CODEC_ZSTD, KN_CODEC_LZ4_RAW};
    static const int32_t numbers[] = {KN_PQ_CODEC_UNCOMPRESSED, KN_PQ_CODEC_SNAPPY, KN_PQ_CODEC_GZIP, KN_PQ_CODEC_ZSTD,
                                      KN_PQ_CODEC_LZ4_RAW};
    char dir[] = "/tmp/kn_pqr_layout_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    kn_schema *s = seq_schema();
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s.parquet", dir, kn_codec_name(codecs[i]));
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        opt.codec = codecs[i];
        opt.page_bytes = 16 * 1024;
        kn_sink *sink = NULL;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_file_sink_create(path, NULL, &sink, &e), KN_OK);
        kn_pq_writer *w = NULL;
        ck_assert_int_eq(kn_pq_writer_create(s, sink, &opt, &w, &e), KN_OK);
        kn_batch *b = NULL;
        ck_assert_int_eq(kn_batch_create(s, 30000, &b, &e), KN_OK);
        fill_i64_seq(b, 0, 30000, NULL);
        ck_assert_int_eq(kn_batch_seal(b, &e), KN_OK);
        ck_assert_int_eq(kn_pq_writer_write(w, b, &e), KN_OK);
        kn_batch_free(b);
        ck_assert_msg(kn_pq_writer_close(w, NULL, &e) == KN_OK, "%s: %s", kn_codec_name(codecs[i]), e.what);
        kn_buf file = KN_BUF_INIT;
        uint8_t *data;
        size_t len;
        ck_assert_int_eq(kn_file_read_all(path, &data, &len, &e), KN_OK);
        kn_buf_append(&file, data, len);
        kn_free(data);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, numbers[i], NULL);
        const kn_pqr_column_meta *cm = &m->row_groups[0].columns[0].meta_data;
        if (codecs[i] == KN_CODEC_NONE) ck_assert_int_eq(cm->total_compressed_size, cm->total_uncompressed_size);
        else ck_assert_int_lt(cm->total_compressed_size, cm->total_uncompressed_size);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
        unlink(path);
    }
    rmdir(dir);
    kn_schema_free(s);
}
END_TEST

START_TEST(zero_rows_still_make_a_valid_file)
{
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_buf file = KN_BUF_INIT;
    kn_sink *sink = kn_mem_sink_create(&file);
    kn_pq_writer *w = NULL;
    ck_assert_int_eq(kn_pq_writer_create(s, sink, &opt, &w, NULL), KN_OK);
    kn_pq_file_info info;
    ck_assert_int_eq(kn_pq_writer_close(w, &info, NULL), KN_OK);
    ck_assert_uint_eq(info.num_rows, 0);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    ck_assert_int_eq(m->num_rows, 0);
    ck_assert_uint_eq(m->num_row_groups, 0);
    ck_assert_uint_eq(m->num_leaves, 2);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(created_by_and_key_value_metadata_reach_the_footer)
{
    kn_schema *s = seq_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    kn_pq_kv kv[] = {{"origin", "orders/part-0001.ndjson"}, {"flag", NULL}};
    opt.metadata = kv;
    opt.metadata_count = 2;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 10, 10, fill_i64_seq, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    ck_assert_str_eq(m->created_by, kn_pq_created_by());
    ck_assert_ptr_nonnull(strstr(m->created_by, " (build "));
    ck_assert_uint_eq(m->num_key_value_metadata, 2);
    ck_assert_str_eq(m->key_value_metadata[0].key, "origin");
    ck_assert_str_eq(m->key_value_metadata[0].value, "orders/part-0001.ndjson");
    ck_assert_str_eq(m->key_value_metadata[1].key, "flag");
    ck_assert_ptr_null(m->key_value_metadata[1].value);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

START_TEST(required_columns_and_many_batches_keep_the_layout)
{
    /* Non-nullable columns (REQUIRED, no levels), small pages, batches that straddle pages. */
    bool nullable = false;
    kn_schema *s = all_types_schema(false);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.page_bytes = 4096;
    opt.codec = KN_CODEC_ZSTD;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 20000, 3001, fill_all_types, &nullable, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    layout_counts counts;
    check_layout(&file, m, s, KN_PQ_CODEC_ZSTD, &counts);
    ck_assert_uint_gt(counts.data_pages, F_COUNT);
    for (int f = 0; f < F_COUNT; f++) ck_assert_int_eq(m->row_groups[0].columns[f].meta_data.statistics.null_count, 0);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

static void fill_same_string(kn_batch *b, size_t first, size_t n, void *ctx) {
    bool nullable = *(bool *)ctx;
    for (size_t i = 0; i < n; i++) {
        if (nullable && (first + i) % 4 == 3) kn_column_append_null(&b->columns[0], NULL);
        else kn_column_append_str(&b->columns[0], "x", 1, NULL);
    }
}

START_TEST(dictionary_pages_start_with_the_bit_width_after_length_prefixed_levels)
{
    /* 12, 14: with no codec the page bodies can be read as they are. A one-value dictionary
     * has bit width 0 and still an RLE run header; OPTIONAL columns put their definition
     * levels first, behind a 4-byte little-endian length. */
    for (int nullable = 0; nullable < 2; nullable++) {
        bool nb = nullable;
        static const char *const names[] = {"s"};
        kn_type types[] = {kn_type_make(KN_TYPE_STRING)};
        kn_schema *s = schema_of(names, types, &nb, 1);
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        opt.codec = KN_CODEC_NONE;
        kn_buf file = KN_BUF_INIT;
        write_file(s, &opt, 100, 100, fill_same_string, &nb, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, KN_PQ_CODEC_UNCOMPRESSED, NULL);
        chunk_pages pg;
        walk_chunk(&file, &m->row_groups[0].columns[0].meta_data, &pg);
        ck_assert_uint_eq(pg.n, 2);
        ck_assert_int_eq(pg.pages[0].h.type, KN_PQ_PAGE_DICTIONARY);
        ck_assert_int_eq(pg.pages[0].h.dictionary_page_header.num_values, 1);
        const kn_pqr_page_header *h = &pg.pages[1].h;
        ck_assert_int_eq(h->data_page_header.encoding, KN_PQ_ENC_RLE_DICTIONARY);
        ck_assert_int_eq(h->data_page_header.num_values, 100);
        const uint8_t *body = file.data + pg.pages[1].offset + pg.pages[1].header_len;
        size_t len = (size_t)h->compressed_page_size, at = 0;
        if (nullable) {
            ck_assert_uint_ge(len, 4);
            uint32_t levels = (uint32_t)body[0] | (uint32_t)body[1] << 8 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
            ck_assert_uint_gt(levels, 0);
            ck_assert_uint_le(4 + (size_t)levels, len);
            at = 4 + levels;
        }
        ck_assert_uint_ge(len - at, 2);
        ck_assert_uint_eq(body[at], 0); /* bit width 0 */
        /* An RLE run header (low bit 0) covering the present values: 100, or 75 with nulls. */
        uint64_t run = 0;
        int shift = 0;
        size_t k = at + 1;
        do {
            run |= (uint64_t)(body[k] & 0x7f) << shift;
            shift += 7;
        } while (body[k++] & 0x80 && k < len);
        ck_assert_uint_eq(run & 1, 0);
        ck_assert_uint_eq(run >> 1, nullable ? 75 : 100);
        free(pg.pages);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
        kn_schema_free(s);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("parquet_layout");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_type_has_its_physical_logical_and_converted_type);
    tcase_add_test(tc, decimal_widths_are_minimal_above_18_digits);
    tcase_add_test(tc, statistics_hold_exact_min_max_and_null_count);
    tcase_add_test(tc, string_statistics_compare_as_unsigned_bytes);
    tcase_add_test(tc, nan_is_never_a_bound_and_zeros_are_signed);
    tcase_add_test(tc, long_strings_get_bounds_that_still_hold_and_small_headers);
    tcase_add_test(tc, small_row_group_bytes_give_several_row_groups);
    tcase_add_test(tc, sorting_columns_reach_every_row_group_and_bad_ones_are_refused);
    tcase_add_test(tc, dictionary_falls_back_to_plain_past_its_bound);
    tcase_add_test(tc, leading_nulls_keep_the_dictionary);
    tcase_add_test(tc, null_chunks_stay_plain_or_get_an_empty_dictionary);
    tcase_add_test(tc, no_dictionary_means_no_dictionary_page_offset);
    tcase_add_test(tc, a_dictionary_chunk_starts_with_its_dictionary_page);
    tcase_add_test(tc, every_codec_writes_a_valid_layout);
    tcase_add_test(tc, zero_rows_still_make_a_valid_file);
    tcase_add_test(tc, created_by_and_key_value_metadata_reach_the_footer);
    tcase_add_test(tc, required_columns_and_many_batches_keep_the_layout);
    tcase_add_test(tc, dictionary_pages_start_with_the_bit_width_after_length_prefixed_levels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
