/* tests/parquet_read/test_pqr_show.c: statistics values as inspect shows them, by physical and
 * logical type, and the names and logical type spellings. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "kn_pq_format.h"
#include "kn_pqr_show.h"
#include "test_pqr.h"

static kn_pqr_schema_element leaf(int32_t type) {
    kn_pqr_schema_element e;
    memset(&e, 0, sizeof e);
    e.name = "c";
    e.has_type = true;
    e.type = type;
    return e;
}

/* Formats `len` bytes and returns the text (static buffer). */
static const char *show(const kn_pqr_schema_element *e, const void *v, size_t len, size_t max) {
    static char text[512];
    kn_buf b = KN_BUF_INIT;
    ck_assert(kn_pqr_value_format(e, v, len, max, &b));
    ck_assert_uint_lt(b.len, sizeof text);
    if (b.len) memcpy(text, b.data, b.len);
    text[b.len] = '\0';
    kn_buf_free(&b);
    return text;
}

static const char *show_i32(const kn_pqr_schema_element *e, int32_t v) { return show(e, &v, 4, 0); }
static const char *show_i64(const kn_pqr_schema_element *e, int64_t v) { return show(e, &v, 8, 0); }

START_TEST(integers_show_signed_or_unsigned)
{
    kn_pqr_schema_element e = leaf(KN_PQ_INT32);
    ck_assert_str_eq(show_i32(&e, -42), "-42");
    ck_assert_str_eq(show_i32(&e, INT32_MIN), "-2147483648");
    e.logical.kind = KN_PQR_LT_INTEGER;
    e.logical.bit_width = 32;
    ck_assert_str_eq(show_i32(&e, -1), "4294967295");
    e.logical.is_signed = true;
    ck_assert_str_eq(show_i32(&e, -1), "-1");
    kn_pqr_schema_element u = leaf(KN_PQ_INT64);
    u.has_converted_type = true;
    u.converted_type = KN_PQ_CT_UINT_64;
    ck_assert_str_eq(show_i64(&u, -1), "18446744073709551615");
    kn_pqr_schema_element b = leaf(KN_PQ_BOOLEAN);
    ck_assert_str_eq(show(&b, "\x01", 1, 0), "true");
    ck_assert_str_eq(show(&b, "\x00", 1, 0), "false");
}
END_TEST

START_TEST(decimals_show_as_scaled_numbers)
{
    kn_pqr_schema_element e = leaf(KN_PQ_INT32);
    e.logical.kind = KN_PQR_LT_DECIMAL;
    e.logical.precision = 9;
    e.logical.scale = 2;
    ck_assert_str_eq(show_i32(&e, 1234), "12.34");
    ck_assert_str_eq(show_i32(&e, -5), "-0.05");
    ck_assert_str_eq(show_i32(&e, 0), "0.00");
    kn_pqr_schema_element l = leaf(KN_PQ_INT64);
    l.has_converted_type = true; /* converted only, scale from the element */
    l.converted_type = KN_PQ_CT_DECIMAL;
    l.has_scale = true;
    l.scale = 0;
    ck_assert_str_eq(show_i64(&l, INT64_MIN), "-9223372036854775808");
    kn_pqr_schema_element f = leaf(KN_PQ_FIXED_LEN_BYTE_ARRAY);
    f.logical.kind = KN_PQR_LT_DECIMAL;
    f.logical.precision = 38;
    f.logical.scale = 10;
    /* -1 as 16 big-endian bytes; then 10^38 - 1, the largest DECIMAL(38) */
    uint8_t minus_one[16];
    memset(minus_one, 0xff, 16);
    ck_assert_str_eq(show(&f, minus_one, 16, 0), "-0.0000000001");
    static const uint8_t max38[16] = {0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a,
                                      0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff};
    ck_assert_str_eq(show(&f, max38, 16, 0), "9999999999999999999999999999.9999999999");
    kn_pqr_schema_element ba = leaf(KN_PQ_BYTE_ARRAY);
    ba.logical.kind = KN_PQR_LT_DECIMAL;
    ba.logical.scale = 2;
    ck_assert_str_eq(show(&ba, "\x80", 1, 0), "-1.28");
}
END_TEST

START_TEST(dates_and_timestamps_show_as_iso_8601)
{
    kn_pqr_schema_element d = leaf(KN_PQ_INT32);
    d.logical.kind = KN_PQR_LT_DATE;
    ck_assert_str_eq(show_i32(&d, 0), "1970-01-01");
    ck_assert_str_eq(show_i32(&d, -1), "1969-12-31");
    ck_assert_str_eq(show_i32(&d, 19782), "2024-02-29");
    ck_assert_str_eq(show_i32(&d, -719528), "0000-01-01");
    kn_pqr_schema_element t = leaf(KN_PQ_INT64);
    t.logical.kind = KN_PQR_LT_TIMESTAMP;
    t.logical.unit = KN_PQR_UNIT_MICROS;
    t.logical.utc = true;
    ck_assert_str_eq(show_i64(&t, 1709164800123456), "2024-02-29T00:00:00.123456Z");
    ck_assert_str_eq(show_i64(&t, -1), "1969-12-31T23:59:59.999999Z");
    t.logical.utc = false;
    t.logical.unit = KN_PQR_UNIT_MILLIS;
    ck_assert_str_eq(show_i64(&t, 1000), "1970-01-01T00:00:01.000");
    t.logical.unit = KN_PQR_UNIT_NANOS;
    ck_assert_str_eq(show_i64(&t, INT64_MAX), "2262-04-11T23:47:16.854775807");
    kn_pqr_schema_element c = leaf(KN_PQ_INT64);
    c.has_converted_type = true;
    c.converted_type = KN_PQ_CT_TIMESTAMP_MILLIS;
    ck_assert_str_eq(show_i64(&c, 86400000), "1970-01-02T00:00:00.000Z");
    kn_pqr_schema_element tm = leaf(KN_PQ_INT32);
    tm.has_converted_type = true;
    tm.converted_type = KN_PQ_CT_TIME_MILLIS;
    ck_assert_str_eq(show_i32(&tm, 3723004), "01:02:03.004");
    /* INT96: nanoseconds of the day, then the Julian day (2440588 is 1970-01-01). */
    kn_pqr_schema_element i96 = leaf(KN_PQ_INT96);
    uint8_t v[12] = {0};
    uint64_t nanos = 3600ull * 1000000000ull + 5;
    uint32_t julian = 2440589;
    memcpy(v, &nanos, 8);
    memcpy(v + 8, &julian, 4);
    ck_assert_str_eq(show(&i96, v, 12, 0), "1970-01-02T01:00:00.000000005");
}
END_TEST

START_TEST(floats_show_shortest_and_name_nan_and_negative_zero)
{
    kn_pqr_schema_element d = leaf(KN_PQ_DOUBLE);
    double x = 0.1;
    ck_assert_str_eq(show(&d, &x, 8, 0), "0.1");
    x = -0.0;
    ck_assert_str_eq(show(&d, &x, 8, 0), "-0");
    x = NAN;
    ck_assert_str_eq(show(&d, &x, 8, 0), "NaN");
    x = -INFINITY;
    ck_assert_str_eq(show(&d, &x, 8, 0), "-Infinity");
    x = 1e300;
    ck_assert_str_eq(show(&d, &x, 8, 0), "1e+300");
    kn_pqr_schema_element f = leaf(KN_PQ_FLOAT);
    float y = 0.1f;
    ck_assert_str_eq(show(&f, &y, 4, 0), "0.1");
    kn_pqr_schema_element h = leaf(KN_PQ_FIXED_LEN_BYTE_ARRAY);
    h.logical.kind = KN_PQR_LT_FLOAT16;
    ck_assert_str_eq(show(&h, "\x00\x3c", 2, 0), "1");
    ck_assert_str_eq(show(&h, "\x00\xc0", 2, 0), "-2");
    ck_assert_str_eq(show(&h, "\x01\x7c", 2, 0), "NaN");
}
END_TEST

START_TEST(strings_escape_what_is_not_printable)
{
    kn_pqr_schema_element s = leaf(KN_PQ_BYTE_ARRAY);
    s.logical.kind = KN_PQR_LT_STRING;
    ck_assert_str_eq(show(&s, "caf\xc3\xa9", 5, 0), "caf\xc3\xa9");
    ck_assert_str_eq(show(&s, "a\nb\\c\x01\xff", 7, 0), "a\\nb\\\\c\\x01\\xff");
    ck_assert_str_eq(show(&s, "", 0, 0), "");
    ck_assert_str_eq(show(&s, "abcdefgh", 8, 3), "abc... (8 bytes)");
    kn_pqr_schema_element u = leaf(KN_PQ_FIXED_LEN_BYTE_ARRAY);
    u.logical.kind = KN_PQR_LT_UUID;
    ck_assert_str_eq(show(&u, "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef", 16, 0),
                     "12345678-9abc-def0-0123-456789abcdef");
}
END_TEST

START_TEST(values_of_the_wrong_size_show_as_hex)
{
    /* A damaged statistic must not be read past its length. */
    kn_pqr_schema_element e = leaf(KN_PQ_INT64);
    ck_assert_str_eq(show(&e, "\x01\x02\x03", 3, 0), "0x010203");
    kn_pqr_schema_element b = leaf(KN_PQ_BOOLEAN);
    ck_assert_str_eq(show(&b, "", 0, 0), "0x");
    kn_pqr_schema_element u = leaf(KN_PQ_FIXED_LEN_BYTE_ARRAY);
    u.logical.kind = KN_PQR_LT_UUID;
    ck_assert_str_eq(show(&u, "\xab", 1, 0), "0xab");
}
END_TEST

START_TEST(names_and_logical_types_spell_like_parquet_java)
{
    char buf[64];
    ck_assert_str_eq(kn_pqr_type_name(KN_PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
    ck_assert_ptr_null(kn_pqr_type_name(8));
    ck_assert_str_eq(kn_pqr_codec_name(KN_PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    ck_assert_str_eq(kn_pqr_encoding_name(KN_PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY");
    ck_assert_ptr_null(kn_pqr_encoding_name(1));
    ck_assert_str_eq(kn_pqr_converted_name(KN_PQ_CT_TIMESTAMP_MICROS), "TIMESTAMP_MICROS");
    ck_assert_str_eq(kn_pqr_name_or_number(kn_pqr_codec_name(42), 42, buf, sizeof buf), "UNKNOWN(42)");
    kn_pqr_logical lt;
    memset(&lt, 0, sizeof lt);
    kn_pqr_logical_format(&lt, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    lt.kind = KN_PQR_LT_TIMESTAMP;
    lt.unit = KN_PQR_UNIT_MICROS;
    lt.utc = true;
    kn_pqr_logical_format(&lt, buf, sizeof buf);
    ck_assert_str_eq(buf, "TIMESTAMP(MICROS,true)");
    lt.kind = KN_PQR_LT_DECIMAL;
    lt.precision = 12;
    lt.scale = 2;
    kn_pqr_logical_format(&lt, buf, sizeof buf);
    ck_assert_str_eq(buf, "DECIMAL(12,2)");
    lt.kind = KN_PQR_LT_INTEGER;
    lt.bit_width = 16;
    lt.is_signed = false;
    kn_pqr_logical_format(&lt, buf, sizeof buf);
    ck_assert_str_eq(buf, "INTEGER(16,false)");
    lt.kind = 2555;
    kn_pqr_logical_format(&lt, buf, sizeof buf);
    ck_assert_str_eq(buf, "UNKNOWN_LOGICAL(2555)");
}
END_TEST

void pqr_add_show_tests(Suite *s) {
    TCase *tc = tcase_create("show");
    tcase_add_test(tc, integers_show_signed_or_unsigned);
    tcase_add_test(tc, decimals_show_as_scaled_numbers);
    tcase_add_test(tc, dates_and_timestamps_show_as_iso_8601);
    tcase_add_test(tc, floats_show_shortest_and_name_nan_and_negative_zero);
    tcase_add_test(tc, strings_escape_what_is_not_printable);
    tcase_add_test(tc, values_of_the_wrong_size_show_as_hex);
    tcase_add_test(tc, names_and_logical_types_spell_like_parquet_java);
    suite_add_tcase(s, tc);
}
