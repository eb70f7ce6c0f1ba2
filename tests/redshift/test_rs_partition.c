/* tests/redshift/test_rs_partition.c: kernels/kn_partition: spec parsing, value text, Hive
 * escaping, folder paths, civil dates and the --slices plan. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_partition.h"
#include "test_rs.h"

/* A schema with one column of every type, and a batch over it. */
static kn_schema *all_types_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(kn_schema_add(s, "ts", kn_type_timestamp(false), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "d", kn_type_make(KN_TYPE_DATE), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "Region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "n32", kn_type_make(KN_TYPE_INT32), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "n64", kn_type_make(KN_TYPE_INT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "f", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "b", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "dec", kn_type_decimal(12, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "wide", kn_type_decimal(38, 4), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "odd,name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "year", kn_type_make(KN_TYPE_INT32), true, NULL), KN_OK);
    return s;
}

static kn_status parse(const char *text, kn_part_spec *spec, kn_error *e) {
    kn_schema *s = all_types_schema();
    kn_error_reset(e);
    kn_status st = kn_part_spec_parse(text, s, spec, e);
    kn_schema_free(s);
    return st;
}

START_TEST(spec_parses_functions_columns_and_quoted_names)
{
    kn_part_spec spec;
    kn_error e;
    ck_assert_int_eq(parse(" year(ts) , MONTH( ts ),date(d),Region,\"odd,name\",hour(ts)", &spec, &e),
                     KN_OK);
    ck_assert_uint_eq(spec.num_keys, 6);
    ck_assert_str_eq(spec.keys[0].name, "year");
    ck_assert_int_eq(spec.keys[0].fn, KN_PART_YEAR);
    ck_assert_int_eq(spec.keys[0].type.id, KN_TYPE_INT32);
    ck_assert_uint_eq(spec.keys[0].column, 0);
    ck_assert_str_eq(spec.keys[1].name, "month");
    ck_assert_str_eq(spec.keys[2].name, "date");
    ck_assert_int_eq(spec.keys[2].type.id, KN_TYPE_DATE);
    ck_assert_uint_eq(spec.keys[2].column, 1);
    /* Identity keys are the lowercased column name, as Hive's makePartName writes them. */
    ck_assert_str_eq(spec.keys[3].name, "region");
    ck_assert_int_eq(spec.keys[3].type.id, KN_TYPE_STRING);
    ck_assert_uint_eq(spec.keys[3].column, 2);
    ck_assert_str_eq(spec.keys[4].name, "odd,name");
    ck_assert_str_eq(spec.keys[5].name, "hour");
    ck_assert_uint_eq(spec.keys[3].dir_key_len, 7);
    ck_assert(memcmp(spec.keys[3].dir_key, "region=", 7) == 0);
    ck_assert(kn_part_spec_has_key(&spec, "region"));
    ck_assert(!kn_part_spec_has_key(&spec, "Region"));
    /* Only identity keys name a column that --drop-partition-columns removes. */
    ck_assert(kn_part_spec_is_partition_column(&spec, 2));  /* Region */
    ck_assert(kn_part_spec_is_partition_column(&spec, 9));  /* "odd,name" */
    ck_assert(!kn_part_spec_is_partition_column(&spec, 0)); /* ts: only year(ts) etc. */
}
END_TEST

START_TEST(spec_rejects_bad_keys_with_usage_errors)
{
    /* Each of these is a user mistake: exit code 1 with a message that names the key. */
    static const struct {
        const char *spec;
        const char *says;
    } bad[] = {
        {"nosuch", "no column named 'nosuch'"},
        {"year(nosuch)", "no column named 'nosuch'"},
        {"year(Region)", "needs a timestamp or date column"},
        {"month(n64)", "needs a timestamp or date column"},
        {"hour(d)", "has no hour"},
        {"year(ts),year(d)", "second key named 'year'"},
        {"year(ts),year", "second key named 'year'"},
        {"region,Region", "no column named 'region'"},
        {"week(ts)", "unknown function 'week'"},
        {"", "empty"},
        {"ts,,d", "empty key"},
        {"ts,", "ends with ','"},
        {"year(ts", "missing its ')'"},
        {"year(ts) d", "expected ','"},
        {"\"Region", "closing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kn_part_spec spec;
        kn_error e;
        kn_status st = parse(bad[i].spec, &spec, &e);
        ck_assert_msg(st == KN_E_USAGE, "spec '%s' gave status %d", bad[i].spec, (int)st);
        ck_assert_msg(strstr(e.what, bad[i].says), "spec '%s': message '%s' lacks '%s'",
                      bad[i].spec, e.what, bad[i].says);
    }
    /* A second key that collides only after lowercasing is caught too. */
    kn_schema *s = kn_schema_create();
    kn_schema_add(s, "Zone", kn_type_make(KN_TYPE_STRING), true, NULL);
    kn_schema_add(s, "zone", kn_type_make(KN_TYPE_STRING), true, NULL);
    kn_part_spec spec;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_spec_parse("Zone,zone", s, &spec, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "second key named 'zone'"));
    kn_schema_free(s);
}
END_TEST

START_TEST(hive_escape_follows_hive_list_for_every_ascii_byte)
{
    /* Hive's FileUtils.escapePathName: 0x00-0x1F, 0x7F and  " # % ' * / : = ? \ { [ ] ^. */
    const char *specials = "\"#%'*/:=?\\{[]^";
    for (unsigned c = 0; c < 128; c++) {
        char in = (char)c, out[8];
        size_t n = kn_hive_escape(&in, 1, 0, out);
        bool special = c < 0x20 || c == 0x7F || (c != 0 && strchr(specials, (int)c));
        if (special) {
            char want[4];
            snprintf(want, sizeof want, "%%%02X", c);
            ck_assert_msg(n == 3 && memcmp(out, want, 3) == 0, "byte 0x%02X escaped wrong", c);
        } else {
            ck_assert_msg(n == 1 && out[0] == (char)c, "byte 0x%02X should stay", c);
        }
    }
    /* Uppercase hex, several in a row. */
    char out[64];
    size_t n = kn_hive_escape("a/b=c%d e", 9, 0, out);
    ck_assert_uint_eq(n, 15);
    ck_assert(memcmp(out, "a%2Fb%3Dc%25d e", 15) == 0);
    n = kn_hive_escape("\x1f\x7f", 2, 0, out);
    ck_assert(n == 6 && memcmp(out, "%1F%7F", 6) == 0);
}
END_TEST

START_TEST(hive_escape_keeps_utf8_and_escapes_invalid_bytes)
{
    char out[64];
    /* Valid UTF-8 passes through (Hive, Spark and Trino decode %XX to one char each). */
    const char *utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    size_t n = kn_hive_escape(utf8, strlen(utf8), 0, out);
    ck_assert_uint_eq(n, strlen(utf8));
    ck_assert(memcmp(out, utf8, n) == 0);
    /* The strict option escapes every non-ASCII byte. */
    n = kn_hive_escape("\xc3\xa9", 2, KN_HIVE_ESCAPE_NON_ASCII, out);
    ck_assert(n == 6 && memcmp(out, "%C3%A9", 6) == 0);
    /* Bytes that are not UTF-8 (a lone lead byte, 0xFF, an overlong '/', a surrogate) cannot
     * be in an S3 key and are escaped byte by byte. */
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } bad[] = {
        {"\xc3", 1, "%C3"},
        {"\xff", 1, "%FF"},
        {"\xc0\xaf", 2, "%C0%AF"},
        {"\xed\xa0\x80", 3, "%ED%A0%80"},
        {"a\xc3(", 3, "a%C3("},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = kn_hive_escape(bad[i].in, bad[i].len, 0, out);
        ck_assert_msg(n == strlen(bad[i].want) && memcmp(out, bad[i].want, n) == 0,
                      "case %zu: got '%.*s'", i, (int)n, out);
    }
    /* Empty becomes the default partition; the bound covers it. */
    n = kn_hive_escape("", 0, 0, out);
    ck_assert_uint_eq(n, KN_HIVE_DEFAULT_PARTITION_LEN);
    ck_assert(memcmp(out, "__HIVE_DEFAULT_PARTITION__", n) == 0);
    ck_assert_uint_ge(kn_hive_escape_bound(0), n);
}
END_TEST

START_TEST(hive_unescape_round_trips_every_byte_string)
{
    /* Pseudo-random byte strings (fixed seed) survive escape then unescape, and the escaped
     * form never holds '/', '=' or a control byte. */
    uint64_t x = 0x9E3779B97F4A7C15u;
    char in[40], esc[200], back[200];
    for (int round = 0; round < 5000; round++) {
        size_t len = 1 + (size_t)(round % 39);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            in[i] = (char)(x & 0xFF);
        }
        unsigned flags = round % 2 ? KN_HIVE_ESCAPE_NON_ASCII : 0;
        size_t n = kn_hive_escape(in, len, flags, esc);
        ck_assert_uint_le(n, kn_hive_escape_bound(len));
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)esc[i];
            ck_assert(c != '/' && c != '=' && c >= 0x20 && c != 0x7F);
            if (flags) ck_assert(c < 0x80);
        }
        size_t m = kn_hive_unescape(esc, n, back);
        ck_assert_uint_eq(m, len);
        ck_assert(memcmp(back, in, len) == 0);
    }
    /* A '%' without two hex digits is kept, as Hive does. */
    char out[8];
    ck_assert_uint_eq(kn_hive_unescape("%4", 2, out), 2);
    ck_assert(memcmp(out, "%4", 2) == 0);
    ck_assert_uint_eq(kn_hive_unescape("%zz%2f", 6, out), 4);
    ck_assert(memcmp(out, "%zz/", 4) == 0);
}
END_TEST

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

START_TEST(civil_dates_are_exact_across_the_int32_range)
{
    /* Fixed points from an independent source (MySQL TO_DAYS, Python's datetime). */
    static const struct {
        int64_t days, y;
        unsigned m, d;
    } known[] = {
        {0, 1970, 1, 1},         {-1, 1969, 12, 31},     {19782, 2024, 2, 29},
        {-25508, 1900, 3, 1},    {-719162, 1, 1, 1},     {2932896, 9999, 12, 31},
        {-135081, 1600, 2, 29},  {-719528, 0, 1, 1},     {11016, 2000, 2, 29},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int64_t y;
        unsigned m, d;
        kn_part_civil_from_days(known[i].days, &y, &m, &d);
        ck_assert_msg(y == known[i].y && m == known[i].m && d == known[i].d,
                      "day %" PRId64 " gave %" PRId64 "-%u-%u", known[i].days, y, m, d);
        ck_assert_int_eq(kn_part_days_from_civil(known[i].y, known[i].m, known[i].d),
                         known[i].days);
    }
    /* Every day from 2,200 BC to 4,100 AD follows the day before by the Gregorian rules. */
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t py;
    unsigned pm, pd;
    kn_part_civil_from_days(-1500000, &py, &pm, &pd);
    for (int64_t day = -1499999; day <= 800000; day++) {
        int64_t y;
        unsigned m, d;
        kn_part_civil_from_days(day, &y, &m, &d);
        unsigned len = mdays[pm - 1] + (pm == 2 && is_leap(py) ? 1 : 0);
        bool next = pd < len    ? (y == py && m == pm && d == pd + 1)
                    : pm < 12 ? (y == py && m == pm + 1 && d == 1)
                              : (y == py + 1 && m == 1 && d == 1);
        if (!next) /* one assertion per failure keeps the loop fast under sanitizers */
            ck_abort_msg("day %" PRId64 " is %" PRId64 "-%u-%u after %" PRId64 "-%u-%u", day, y, m,
                         d, py, pm, pd);
        py = y;
        pm = m;
        pd = d;
    }
    /* The ends of the int32 date range round-trip and print in ISO expanded form. */
    const int64_t ends[] = {INT32_MIN, INT32_MIN + 1, INT32_MAX - 1, INT32_MAX};
    for (size_t i = 0; i < 4; i++) {
        int64_t y;
        unsigned m, d;
        kn_part_civil_from_days(ends[i], &y, &m, &d);
        ck_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        ck_assert_int_eq(kn_part_days_from_civil(y, m, d), ends[i]);
    }
    char text[KN_PART_DATE_TEXT_MAX];
    kn_part_format_date(INT32_MAX, text);
    ck_assert_str_eq(text, "+5881580-07-11");
    kn_part_format_date(INT32_MIN, text);
    ck_assert_str_eq(text, "-5877641-06-23");
    kn_part_format_date(kn_part_days_from_civil(-44, 3, 15), text);
    ck_assert_str_eq(text, "-0044-03-15");
    kn_part_format_date(-719528, text);
    ck_assert_str_eq(text, "0000-01-01");
    kn_part_format_date(kn_part_days_from_civil(10000, 1, 1), text);
    ck_assert_str_eq(text, "+10000-01-01");
}
END_TEST

/* A batch with a timestamp, a date and a string column, one row per entry. */
typedef struct ts_row {
    int64_t ts;
    int32_t date;
    const char *region; /* NULL: null */
} ts_row;

static kn_batch *make_batch(const kn_schema *s, const ts_row *rows, size_t n) {
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, n, &b, NULL), KN_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(kn_column_append_i64(&b->columns[0], rows[i].ts, NULL), KN_OK);
        ck_assert_int_eq(kn_column_append_i32(&b->columns[1], rows[i].date, NULL), KN_OK);
        if (rows[i].region)
            ck_assert_int_eq(kn_column_append_str(&b->columns[2], rows[i].region,
                                                  strlen(rows[i].region), NULL),
                             KN_OK);
        else
            ck_assert_int_eq(kn_column_append_null(&b->columns[2], NULL), KN_OK);
    }
    for (size_t c = 3; c < s->num_fields; c++)
        for (size_t i = 0; i < n; i++) ck_assert_int_eq(kn_column_append_null(&b->columns[c], NULL), KN_OK);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

static void path_of(const kn_part_spec *spec, const kn_batch *b, size_t row, char *out, size_t cap) {
    kn_buf buf = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_part_path_append(spec, b, row, 0, &buf, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_lt(buf.len, cap);
    memcpy(out, buf.data, buf.len);
    out[buf.len] = '\0';
    kn_buf_free(&buf);
}

START_TEST(temporal_keys_handle_negative_timestamps_and_leap_days)
{
    kn_schema *s = all_types_schema();
    kn_part_spec spec;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_spec_parse("year(ts),month(ts),day(ts),hour(ts),date(ts)", s, &spec, &e),
                     KN_OK);
    static const struct {
        int64_t ts;
        const char *path;
    } cases[] = {
        {0, "year=1970/month=1/day=1/hour=0/date=1970-01-01/"},
        /* One microsecond before the epoch is the last hour of 1969, not of 1970-01-01. */
        {-1, "year=1969/month=12/day=31/hour=23/date=1969-12-31/"},
        {1709211900000000, "year=2024/month=2/day=29/hour=13/date=2024-02-29/"},
        {951782400000000, "year=2000/month=2/day=29/hour=0/date=2000-02-29/"},
        /* 1900 is not a leap year: 28 February is followed by 1 March. */
        {-2203894800000000, "year=1900/month=2/day=28/hour=23/date=1900-02-28/"},
        {-2203889400000000, "year=1900/month=3/day=1/hour=0/date=1900-03-01/"},
        {-11670955200000000, "year=1600/month=2/day=29/hour=12/date=1600-02-29/"},
        {-14182940000000, "year=1969/month=7/day=20/hour=20/date=1969-07-20/"},
        {-62135596800000000, "year=1/month=1/day=1/hour=0/date=0001-01-01/"},
        {-62135596800000001, "year=0/month=12/day=31/hour=23/date=0000-12-31/"},
        {253402300799500000, "year=9999/month=12/day=31/hour=23/date=9999-12-31/"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    ts_row rows[16];
    for (size_t i = 0; i < n; i++) rows[i] = (ts_row){cases[i].ts, 0, "x"};
    kn_batch *b = make_batch(s, rows, n);
    for (size_t i = 0; i < n; i++) {
        char path[256];
        path_of(&spec, b, i, path, sizeof path);
        ck_assert_msg(strcmp(path, cases[i].path) == 0, "ts %" PRId64 ": got %s", cases[i].ts, path);
    }
    kn_batch_free(b);

    /* The same functions on a date column, before 1970 too. */
    ck_assert_int_eq(kn_part_spec_parse("year(d),month(d),day(d),date(d)", s, &spec, &e), KN_OK);
    ts_row drows[] = {{0, -25508, "x"}, {0, -1, "x"}, {0, 19782, "x"}, {0, -719528, "x"}};
    b = make_batch(s, drows, 4);
    const char *want[] = {"year=1900/month=3/day=1/date=1900-03-01/",
                          "year=1969/month=12/day=31/date=1969-12-31/",
                          "year=2024/month=2/day=29/date=2024-02-29/",
                          "year=0/month=1/day=1/date=0000-01-01/"};
    for (size_t i = 0; i < 4; i++) {
        char path[256];
        path_of(&spec, b, i, path, sizeof path);
        ck_assert_str_eq(path, want[i]);
    }
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(paths_escape_values_and_send_null_and_empty_to_default)
{
    kn_schema *s = all_types_schema();
    kn_part_spec spec;
    ck_assert_int_eq(kn_part_spec_parse("date(ts),Region", s, &spec, NULL), KN_OK);
    ts_row rows[] = {
        {1709211900000000, 0, "eu/west"},
        {1709211900000000, 0, NULL},
        {1709211900000000, 0, ""},
        {1709211900000000, 0, "a=b%c:d\xc3\xa9"},
    };
    kn_batch *b = make_batch(s, rows, 4);
    char path[256];
    path_of(&spec, b, 0, path, sizeof path);
    ck_assert_str_eq(path, "date=2024-02-29/region=eu%2Fwest/");
    path_of(&spec, b, 1, path, sizeof path);
    ck_assert_str_eq(path, "date=2024-02-29/region=__HIVE_DEFAULT_PARTITION__/");
    path_of(&spec, b, 2, path, sizeof path);
    ck_assert_str_eq(path, "date=2024-02-29/region=__HIVE_DEFAULT_PARTITION__/");
    path_of(&spec, b, 3, path, sizeof path);
    ck_assert_str_eq(path, "date=2024-02-29/region=a%3Db%25c%3Ad\xc3\xa9/");

    /* The raw value: nothing appended for null (flagged) or empty (not flagged). */
    kn_buf v = KN_BUF_INIT;
    bool is_null;
    ck_assert_int_eq(kn_part_value_append(&spec.keys[1], b, 0, &v, &is_null, NULL), KN_OK);
    ck_assert(!is_null && v.len == 7 && memcmp(v.data, "eu/west", 7) == 0);
    kn_buf_clear(&v);
    ck_assert_int_eq(kn_part_value_append(&spec.keys[1], b, 1, &v, &is_null, NULL), KN_OK);
    ck_assert(is_null && v.len == 0);
    ck_assert_int_eq(kn_part_value_append(&spec.keys[1], b, 2, &v, &is_null, NULL), KN_OK);
    ck_assert(!is_null && v.len == 0);

    /* Routing: equal paths hash equal, different paths (almost surely) differ. */
    ck_assert_uint_eq(kn_part_path_hash("a=1/", 4), kn_part_path_hash("a=1/", 4));
    ck_assert_uint_ne(kn_part_path_hash("a=1/", 4), kn_part_path_hash("a=2/", 4));

    /* A batch whose column type does not match the spec is a kiln bug, not a crash. */
    kn_error e;
    kn_error_reset(&e);
    kn_part_key wrong = spec.keys[1];
    wrong.column = 0; /* the timestamp column, but claiming a string source */
    ck_assert_int_eq(kn_part_value_append(&wrong, b, 0, &v, &is_null, &e), KN_E_INTERNAL);
    ck_assert_int_eq(kn_part_value_append(&spec.keys[1], b, 99, &v, &is_null, &e), KN_E_INTERNAL);
    kn_buf_free(&v);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(identity_values_of_every_type_print_as_documented)
{
    kn_schema *s = all_types_schema();
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    /* Row 0 and row 1 of each column. */
    kn_column *c = b->columns;
    kn_column_append_i64(&c[0], 1709211900500000, NULL); /* .5 s */
    kn_column_append_i64(&c[0], -1, NULL);
    kn_column_append_i32(&c[1], 19782, NULL);
    kn_column_append_i32(&c[1], -1, NULL);
    kn_column_append_str(&c[2], "eu", 2, NULL);
    kn_column_append_str(&c[2], "x", 1, NULL);
    kn_column_append_i32(&c[3], INT32_MIN, NULL);
    kn_column_append_i32(&c[3], 7, NULL);
    kn_column_append_i64(&c[4], INT64_MIN, NULL);
    kn_column_append_i64(&c[4], 42, NULL);
    kn_column_append_f64(&c[5], 0.1, NULL);
    kn_column_append_f64(&c[5], -0.0, NULL);
    kn_column_append_bool(&c[6], true, NULL);
    kn_column_append_bool(&c[6], false, NULL);
    kn_column_append_i64(&c[7], -5, NULL);    /* decimal(12,2): -0.05 */
    kn_column_append_i64(&c[7], 12345, NULL); /* 123.45 */
    kn_i128 big_neg = {0, -1};                /* -2^64 */
    kn_column_append_i128(&c[8], big_neg, NULL);
    kn_i128 small = {7, 0};
    kn_column_append_i128(&c[8], small, NULL);
    kn_column_append_str(&c[9], "q", 1, NULL);
    kn_column_append_str(&c[9], "q", 1, NULL);
    kn_column_append_i32(&c[10], 1, NULL);
    kn_column_append_i32(&c[10], 2, NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);

    static const struct {
        const char *spec;
        const char *row0, *row1;
    } cases[] = {
        {"ts", "2024-02-29 13:05:00.5", "1969-12-31 23:59:59.999999"},
        {"d", "2024-02-29", "1969-12-31"},
        {"n32", "-2147483648", "7"},
        {"n64", "-9223372036854775808", "42"},
        {"f", "0.1", "0"},
        {"b", "true", "false"},
        {"dec", "-0.05", "123.45"},
        {"wide", "-1844674407370955.1616", "0.0007"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kn_part_spec spec;
        ck_assert_int_eq(kn_part_spec_parse(cases[i].spec, s, &spec, NULL), KN_OK);
        for (size_t row = 0; row < 2; row++) {
            kn_buf v = KN_BUF_INIT;
            bool is_null;
            ck_assert_int_eq(kn_part_value_append(&spec.keys[0], b, row, &v, &is_null, NULL), KN_OK);
            const char *want = row ? cases[i].row1 : cases[i].row0;
            ck_assert_msg(v.len == strlen(want) && memcmp(v.data, want, v.len) == 0,
                          "%s row %zu: got '%.*s', want '%s'", cases[i].spec, row, (int)v.len,
                          (const char *)v.data, want);
            kn_buf_free(&v);
        }
    }
    kn_batch_free(b);

    /* Doubles: shortest round-trip text, and the non-finite values by name. */
    kn_schema *fs = kn_schema_create();
    kn_schema_add(fs, "f", kn_type_make(KN_TYPE_FLOAT64), true, NULL);
    ck_assert_int_eq(kn_batch_create(fs, 5, &b, NULL), KN_OK);
    const double vals[] = {NAN, INFINITY, -INFINITY, 1e21, 1.0 / 3.0};
    const char *texts[] = {"NaN", "Infinity", "-Infinity", "1e+21", "0.3333333333333333"};
    for (size_t i = 0; i < 5; i++) kn_column_append_f64(&b->columns[0], vals[i], NULL);
    kn_batch_seal(b, NULL);
    kn_part_spec spec;
    ck_assert_int_eq(kn_part_spec_parse("f", fs, &spec, NULL), KN_OK);
    for (size_t i = 0; i < 5; i++) {
        kn_buf v = KN_BUF_INIT;
        bool is_null;
        ck_assert_int_eq(kn_part_value_append(&spec.keys[0], b, i, &v, &is_null, NULL), KN_OK);
        ck_assert_msg(v.len == strlen(texts[i]) && memcmp(v.data, texts[i], v.len) == 0,
                      "double %zu: got '%.*s'", i, (int)v.len, (const char *)v.data);
        kn_buf_free(&v);
    }
    kn_batch_free(b);
    kn_schema_free(fs);
    kn_schema_free(s);
}
END_TEST

START_TEST(slice_plans_are_multiples_of_slices_with_even_files)
{
    /* 10 GB at 1 GB a file on 4 slices: 10 files by size, rounded up to 12. */
    kn_part_file_plan plan;
    ck_assert_int_eq(kn_part_plan_files(10ull << 30, 12000000, 1ull << 30, 4, &plan, NULL), KN_OK);
    ck_assert_uint_eq(plan.num_files, 12);
    ck_assert_uint_eq(plan.rows_per_file, 1000000);
    ck_assert_uint_eq(plan.files_with_extra_row, 0);
    ck_assert(plan.slices_met);
    ck_assert_uint_le(plan.bytes_per_file, 1ull << 30);

    /* A small partition still gives every slice a file. */
    ck_assert_int_eq(kn_part_plan_files(1000, 1000, 1ull << 30, 16, &plan, NULL), KN_OK);
    ck_assert_uint_eq(plan.num_files, 16);
    /* Fewer rows than slices: one row a file, never an empty file. */
    ck_assert_int_eq(kn_part_plan_files(100, 3, 1ull << 30, 16, &plan, NULL), KN_OK);
    ck_assert_uint_eq(plan.num_files, 3);
    ck_assert(!plan.slices_met);
    /* No rows, no files. */
    ck_assert_int_eq(kn_part_plan_files(0, 0, 1ull << 30, 4, &plan, NULL), KN_OK);
    ck_assert_uint_eq(plan.num_files, 0);
    /* No slice count: sized by bytes alone. */
    ck_assert_int_eq(kn_part_plan_files(2500, 100, 1000, 0, &plan, NULL), KN_OK);
    ck_assert_uint_eq(plan.num_files, 3);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_plan_files(1, 1, 0, 4, &plan, &e), KN_E_USAGE);

    /* A sweep: counts are multiples of the slices, rows add up, and files are within 25% of each
     * other whenever each holds at least 4 rows. */
    const uint32_t slice_counts[] = {1, 2, 3, 4, 8, 16, 32, 128};
    for (size_t si = 0; si < sizeof slice_counts / sizeof slice_counts[0]; si++) {
        for (uint64_t rows = 1; rows < 5000; rows = rows * 3 + 1) {
            for (uint64_t bytes = 0; bytes < (1ull << 34); bytes = bytes * 7 + 1000) {
                uint32_t n = slice_counts[si];
                ck_assert_int_eq(kn_part_plan_files(bytes, rows, 64ull << 20, n, &plan, NULL), KN_OK);
                ck_assert_uint_ge(plan.num_files, 1);
                ck_assert_uint_le(plan.num_files, rows);
                if (rows >= n) ck_assert_uint_eq(plan.num_files % n, 0);
                uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
                for (uint64_t f = 0; f < plan.num_files; f++) {
                    uint64_t r = kn_part_plan_rows_in_file(&plan, f);
                    ck_assert_uint_ge(r, 1);
                    sum += r;
                    lo = r < lo ? r : lo;
                    hi = r > hi ? r : hi;
                }
                ck_assert_uint_eq(sum, rows);
                if (lo >= 4) ck_assert_msg(hi * 4 <= lo * 5, "rows %" PRIu64 " on %" PRIu64 " files",
                                           rows, plan.num_files);
            }
        }
    }
}
END_TEST

void kn_test_add_partition_tests(Suite *s) {
    TCase *tc = tcase_create("partition");
    tcase_add_test(tc, spec_parses_functions_columns_and_quoted_names);
    tcase_add_test(tc, spec_rejects_bad_keys_with_usage_errors);
    tcase_add_test(tc, hive_escape_follows_hive_list_for_every_ascii_byte);
    tcase_add_test(tc, hive_escape_keeps_utf8_and_escapes_invalid_bytes);
    tcase_add_test(tc, hive_unescape_round_trips_every_byte_string);
    tcase_add_test(tc, civil_dates_are_exact_across_the_int32_range);
    tcase_add_test(tc, temporal_keys_handle_negative_timestamps_and_leap_days);
    tcase_add_test(tc, paths_escape_values_and_send_null_and_empty_to_default);
    tcase_add_test(tc, identity_values_of_every_type_print_as_documented);
    tcase_add_test(tc, slice_plans_are_multiples_of_slices_with_even_files);
    suite_add_tcase(s, tc);
}
