/* tests/kernels/test_kernels.c: the parsing kernels: numbers (integers at their limits,
 * decimals kept as written, doubles correctly rounded against strtod), ISO-8601 and formatted
 * times, and UTF-8 validation (scalar and AVX2 twins agree). */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_cast.h"
#include "kn_cpu.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"
#include "kn_utf8.h"

static uint64_t rng = 12345;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static kn_num_status pint(const char *s, int64_t min, int64_t max, int64_t *v) {
    return kn_parse_int(s, strlen(s), min, max, v);
}

START_TEST(json_number_grammar_is_exact)
{
    const char *good[] = {"0", "-0", "1", "-1", "10", "1.5", "0.0", "1e5", "1E+5", "1e-5", "-0.5e10", "123456789012345678901234567890"};
    const char *bad[] = {"", "-", "01", "-01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1.5.5", "NaN", "Infinity", " 1", "1 ", "--1", "1ee5", "٣"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) ck_assert_msg(kn_num_is_json(good[i], strlen(good[i])), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) ck_assert_msg(!kn_num_is_json(bad[i], strlen(bad[i])), "%s", bad[i]);
}
END_TEST

START_TEST(integers_hold_their_limits_and_refuse_one_past)
{
    int64_t v;
    ck_assert_int_eq(pint("9223372036854775807", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == INT64_MAX);
    ck_assert_int_eq(pint("-9223372036854775808", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == INT64_MIN);
    ck_assert_int_eq(pint("9223372036854775808", INT64_MIN, INT64_MAX, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pint("-9223372036854775809", INT64_MIN, INT64_MAX, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pint("99999999999999999999999", INT64_MIN, INT64_MAX, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pint("2147483647", INT32_MIN, INT32_MAX, &v), KN_NUM_OK);
    ck_assert_int_eq(pint("2147483648", INT32_MIN, INT32_MAX, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pint("-2147483648", INT32_MIN, INT32_MAX, &v), KN_NUM_OK);
    ck_assert_int_eq(pint("-2147483649", INT32_MIN, INT32_MAX, &v), KN_NUM_RANGE);
    /* Integral decimals are integers; anything with a real fraction is not. */
    ck_assert_int_eq(pint("1.0", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == 1);
    ck_assert_int_eq(pint("25e2", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == 2500);
    ck_assert_int_eq(pint("1.5e1", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == 15);
    ck_assert_int_eq(pint("1.5", INT64_MIN, INT64_MAX, &v), KN_NUM_FRACTION);
    ck_assert_int_eq(pint("1e-1", INT64_MIN, INT64_MAX, &v), KN_NUM_FRACTION);
    ck_assert_int_eq(pint("1e400", INT64_MIN, INT64_MAX, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pint("0e400", INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
    ck_assert(v == 0);
    ck_assert_int_eq(pint("012", INT64_MIN, INT64_MAX, &v), KN_NUM_SYNTAX);
    ck_assert_int_eq(pint("abc", INT64_MIN, INT64_MAX, &v), KN_NUM_SYNTAX);
    /* Random values round-trip through their decimal text. */
    for (int i = 0; i < 100000; i++) {
        int64_t x = (int64_t)rnd() >> (rnd() % 64);
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)x);
        ck_assert_int_eq(pint(buf, INT64_MIN, INT64_MAX, &v), KN_NUM_OK);
        ck_assert(v == x);
    }
}
END_TEST

static kn_num_status pdec(const char *s, int p, int sc, int64_t *v) { return kn_parse_decimal64(s, strlen(s), p, sc, v); }

START_TEST(decimals_keep_the_digits_as_written)
{
    int64_t v;
    ck_assert_int_eq(pdec("12.3", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 1230);
    ck_assert_int_eq(pdec("-12.34", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == -1234);
    ck_assert_int_eq(pdec("12", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 1200);
    ck_assert_int_eq(pdec("0.01", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 1);
    /* More fraction digits than the scale: refused, never rounded; trailing zeros lose nothing. */
    ck_assert_int_eq(pdec("12.345", 12, 2, &v), KN_NUM_FRACTION);
    ck_assert_int_eq(pdec("12.340", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 1234);
    ck_assert_int_eq(pdec("1.5e1", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 1500);
    ck_assert_int_eq(pdec("1234e-3", 12, 2, &v), KN_NUM_FRACTION);
    ck_assert_int_eq(pdec("1230e-3", 12, 2, &v), KN_NUM_OK);
    ck_assert(v == 123);
    /* Precision: decimal(4,2) holds up to 99.99. */
    ck_assert_int_eq(pdec("99.99", 4, 2, &v), KN_NUM_OK);
    ck_assert_int_eq(pdec("100", 4, 2, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pdec("-100.00", 4, 2, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pdec("999999999999999999", 18, 0, &v), KN_NUM_OK);
    ck_assert(v == 999999999999999999LL);
    ck_assert_int_eq(pdec("1e18", 18, 0, &v), KN_NUM_RANGE);
    ck_assert_int_eq(pdec("1.", 12, 2, &v), KN_NUM_SYNTAX);
    ck_assert_int_eq(pdec("x", 12, 2, &v), KN_NUM_SYNTAX);
    /* 128-bit decimals. */
    kn_i128 w;
    const char *big = "12345678901234567890123456.7890123456";
    ck_assert_int_eq(kn_parse_decimal128(big, strlen(big), 38, 10, &w), KN_NUM_OK);
    /* unscaled: 123456789012345678901234567890123456 = 123456789012345678 * 10^18 + 901234567890123456 */
    __extension__ unsigned __int128 expect = (unsigned __int128)123456789012345678ull * 1000000000000000000ull + 901234567890123456ull;
    ck_assert(w.lo == (uint64_t)expect && w.hi == (int64_t)(uint64_t)(expect >> 64));
    ck_assert_int_eq(kn_parse_decimal128("-1.5", 4, 38, 10, &w), KN_NUM_OK);
    ck_assert(w.hi == -1 && w.lo == (uint64_t)-15000000000LL);
    ck_assert_int_eq(kn_parse_decimal128("1e28", 4, 38, 10, &w), KN_NUM_RANGE);
    ck_assert_int_eq(kn_parse_decimal128("99999999999999999999999999999999999999", 38, 38, 0, &w), KN_NUM_OK);
    ck_assert_int_eq(kn_parse_decimal128("100000000000000000000000000000000000000", 39, 38, 0, &w), KN_NUM_RANGE);
    /* Random decimals round-trip. */
    for (int i = 0; i < 50000; i++) {
        int64_t x = (int64_t)(rnd() % 2000000000000ull) - 1000000000000LL;
        char buf[48];
        snprintf(buf, sizeof buf, "%s%lld.%02lld", x < 0 ? "-" : "", llabs(x) / 100, llabs(x) % 100);
        ck_assert_int_eq(pdec(buf, 14, 2, &v), KN_NUM_OK);
        ck_assert_msg(v == x, "%s", buf);
    }
}
END_TEST

static void check_double(const char *s) {
    double got = 0, want = strtod(s, NULL);
    kn_num_status st = kn_parse_double(s, strlen(s), &got);
    if (isinf(want)) {
        ck_assert_msg(st == KN_NUM_RANGE, "%s should be out of range", s);
        return;
    }
    ck_assert_msg(st == KN_NUM_OK, "%s: status %d", s, st);
    ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "%s: got %.17g want %.17g", s, got, want);
}

START_TEST(doubles_round_like_strtod)
{
    /* The process stays in the C locale here; kn_parse_double never consults it anyway. */
    char buf[800];
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        snprintf(buf, sizeof buf, "%.17g", d);
        /* %.17g may print "1e+100"-style text, which is JSON. */
        check_double(buf);
        double back;
        kn_parse_double(buf, strlen(buf), &back);
        ck_assert_msg(memcmp(&back, &d, sizeof d) == 0, "%s did not round-trip", buf);
    }
    /* Values with few digits and small exponents (the fast path) and random digit strings of
     * every length, including > 19 digits and halfway cases. */
    for (int i = 0; i < 200000; i++) {
        int nd = 1 + (int)(rnd() % (i % 4 == 0 ? 40 : 17));
        size_t n = 0;
        if (rnd() & 1) buf[n++] = '-';
        buf[n++] = (char)('1' + rnd() % 9);
        int point = (int)(rnd() % (unsigned)nd);
        for (int k = 1; k < nd; k++) {
            if (k == point) buf[n++] = '.';
            buf[n++] = (char)('0' + rnd() % 10);
        }
        if (rnd() % 3 == 0) n += (size_t)snprintf(buf + n, sizeof buf - n, "e%d", (int)(rnd() % 700) - 350);
        buf[n] = '\0';
        check_double(buf);
    }
    const char *edge[] = {"0", "-0", "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "2e308",
                          "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
                          "9007199254740993", "9007199254740992.5", "0.1", "0.30000000000000004",
                          "2.2250738585072011e-308", "123456789012345678901234567890e-10", "1e23", "8.41e21", "5e-324",
                          "0.000000000000000000000000000000000000000000000000001e50"};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) check_double(edge[i]);
    /* A long mantissa (over 780 digits) keeps correct rounding through the sticky digit. */
    size_t n = 0;
    buf[n++] = '1';
    for (int k = 0; k < 790; k++) buf[n++] = k == 700 ? '1' : '0';
    memcpy(buf + n, "e-790", 6);
    check_double(buf);
    double v;
    ck_assert_int_eq(kn_parse_double("1.", 2, &v), KN_NUM_SYNTAX);
    ck_assert_int_eq(kn_parse_double("nan", 3, &v), KN_NUM_SYNTAX);
}
END_TEST

START_TEST(doubles_ignore_the_process_locale)
{
    /* In a locale with a decimal comma, strtod would stop at the '.'; kn_parse_double must not. */
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    const char *set = NULL;
    for (size_t i = 0; i < 4 && !set; i++) set = setlocale(LC_NUMERIC, names[i]);
    double v;
    ck_assert_int_eq(kn_parse_double("1234567890.12345678901234567890", 31, &v), KN_NUM_OK);
    ck_assert(v == 1234567890.1234567);
    ck_assert_int_eq(kn_parse_double("1.5e-320", 8, &v), KN_NUM_OK);
    ck_assert(v > 0 && v < 1e-319);
    setlocale(LC_NUMERIC, "C");
}
END_TEST

START_TEST(inline_fast_paths_agree_with_the_general_parsers)
{
    /* The header-inlined fast paths must give the same status and value as the out-of-line
     * parsers on every input, including the ones they hand off. */
    static const char alphabet[] = "0123456789.-e+0";
    char buf[32];
    for (int i = 0; i < 300000; i++) {
        size_t n = 1 + rnd() % 20;
        for (size_t k = 0; k < n; k++) buf[k] = alphabet[rnd() % (i % 2 ? 10 : sizeof alphabet - 1)];
        if (i % 3 == 0) buf[rnd() % n] = '.';
        int64_t a = 0, b = 0;
        ck_assert_int_eq(kn_parse_int_inline(buf, n, INT64_MIN, INT64_MAX, &a), kn_parse_int(buf, n, INT64_MIN, INT64_MAX, &b));
        ck_assert(a == b);
        int sc = (int)(rnd() % 6);
        kn_num_status s1 = kn_parse_decimal64_inline(buf, n, 18, sc, &a), s2 = kn_parse_decimal64(buf, n, 18, sc, &b);
        ck_assert_int_eq(s1, s2);
        if (s1 == KN_NUM_OK) ck_assert(a == b);
        double x = 0, y = 0;
        s1 = kn_parse_double_inline(buf, n, &x);
        s2 = kn_parse_double(buf, n, &y);
        ck_assert_int_eq(s1, s2);
        if (s1 == KN_NUM_OK) ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "%.*s", (int)n, buf);
    }
}
END_TEST

START_TEST(word_at_a_time_parsers_agree_with_the_general_parsers)
{
    /* The _wide parsers read the number as one word, with whatever bytes follow it; they must
     * give the same status and value as the out-of-line parsers, whatever those bytes are,
     * for every length around their 8-byte limit, leading zeros, lone dots, signs, limits. */
    static const char alphabet[] = "0123456789.-e+0";
    static const char *const edge[] = {"0", "-0", "00", "01", "-01", "1.", ".5", "-", "-.", "1..2", "12345678", "123456789",
                                       "100000000002", "-100000000002", "9999999999999999", "10000000000000000",
                                       "0123456789", "1234567890123456", "-1234567890123456", "123456789a", "12345678901.5",
                                       "1234567.8", "-1234567", "-12345678", "0.0000001", "99999999", "9.9999999",
                                       "2147483647", "2147483648", "-2147483648", "0.5", "10.25", "1.000", "7e2", "-0.0"};
    char buf[64];
    for (int i = 0; i < 600000; i++) {
        size_t n;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            n = strlen(edge[i]);
            memcpy(buf, edge[i], n);
        } else {
            n = 1 + rnd() % (i % 7 == 0 ? 19 : 11);
            for (size_t k = 0; k < n; k++) buf[k] = alphabet[rnd() % (i % 2 ? 10 : sizeof alphabet - 1)];
            if (i % 3 == 0) buf[rnd() % n] = '.';
            if (i % 5 == 0) buf[0] = '-';
        }
        /* The bytes after the number: digits, dots or anything, which must not matter. */
        for (size_t k = n; k < n + 8; k++) buf[k] = (char)(i % 4 == 0 ? alphabet[rnd() % 11] : (char)rnd());
        int64_t a = 0, b = 0;
        ck_assert_int_eq(kn_parse_int_wide(buf, n, INT64_MIN, INT64_MAX, &a), kn_parse_int(buf, n, INT64_MIN, INT64_MAX, &b));
        ck_assert(a == b);
        kn_num_status s1 = kn_parse_int_wide(buf, n, -99999, 99999, &a), s2 = kn_parse_int(buf, n, -99999, 99999, &b);
        ck_assert_msg(s1 == s2 && (s1 != KN_NUM_OK || a == b), "%.*s", (int)n, buf);
        int prec = 1 + (int)(rnd() % 18), sc = (int)(rnd() % 12);
        if (sc > prec) sc = prec;
        s1 = kn_parse_decimal64_wide(buf, n, prec, sc, &a);
        s2 = kn_parse_decimal64(buf, n, prec, sc, &b);
        ck_assert_msg(s1 == s2 && (s1 != KN_NUM_OK || a == b), "%.*s decimal(%d,%d): %d vs %d", (int)n, buf, prec, sc, s1, s2);
        double x = 0, y = 0;
        s1 = kn_parse_double_wide(buf, n, &x);
        s2 = kn_parse_double(buf, n, &y);
        ck_assert_int_eq(s1, s2);
        if (s1 == KN_NUM_OK) ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "%.*s", (int)n, buf);
    }
    /* The word arithmetic itself, on every length. */
    for (int i = 0; i < 100000; i++) {
        uint64_t v = rnd() % 100000000;
        size_t len = (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        uint64_t w;
        memcpy(&w, buf, 8);
        ck_assert(kn__swar_digits_value(w, len) == v);
    }
}
END_TEST

static int64_t ts(const char *s, bool utc) {
    kn_time_value tv;
    kn_time_status st = kn_parse_iso_timestamp(s, strlen(s), true, &tv);
    ck_assert_msg(st == KN_TIME_OK, "%s: %d", s, st);
    return utc && tv.has_offset ? tv.wall_micros - (int64_t)tv.offset_seconds * 1000000 : tv.wall_micros;
}

START_TEST(iso_timestamps_and_dates)
{
    ck_assert_int_eq(kn_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(kn_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(kn_days_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(kn_days_from_civil(1, 1, 1), -719162);
    int32_t d;
    ck_assert_int_eq(kn_parse_iso_date("2024-02-29", 10, &d), KN_TIME_OK);
    ck_assert_int_eq(d, 19782);
    ck_assert_int_eq(kn_parse_iso_date("2023-02-29", 10, &d), KN_TIME_RANGE);
    ck_assert_int_eq(kn_parse_iso_date("2024-13-01", 10, &d), KN_TIME_RANGE);
    ck_assert_int_eq(kn_parse_iso_date("2024-1-01", 9, &d), KN_TIME_SYNTAX);
    ck_assert_int_eq(kn_parse_iso_date("2024-01-01T00:00", 16, &d), KN_TIME_SYNTAX);

    int64_t base = 1709642096LL * 1000000; /* 2024-03-05T12:34:56Z */
    ck_assert(ts("2024-03-05T12:34:56Z", true) == base);
    ck_assert(ts("2024-03-05 12:34:56Z", true) == base);
    ck_assert(ts("2024-03-05T12:34:56.123456Z", true) == base + 123456);
    ck_assert(ts("2024-03-05T12:34:56.123456789Z", true) == base + 123456); /* truncated */
    ck_assert(ts("2024-03-05T12:34:56.1Z", true) == base + 100000);
    ck_assert(ts("2024-03-05T12:34:56,5Z", true) == base + 500000);
    ck_assert(ts("2024-03-05T14:34:56+02:00", true) == base);
    ck_assert(ts("2024-03-05T07:04:56-0530", true) == base);
    ck_assert(ts("2024-03-05T13:34:56+01", true) == base);
    ck_assert(ts("2024-03-05T14:34:56+02:00", false) == base + 2 * 3600 * 1000000LL); /* wall clock kept */
    ck_assert(ts("2024-03-05T12:34:56", true) == base);
    ck_assert(ts("2024-03-05T12:34", true) == base - 56 * 1000000LL);
    ck_assert(ts("2024-03-05", true) == base - (12 * 3600 + 34 * 60 + 56) * 1000000LL);
    ck_assert(ts("1969-12-31T23:59:59.999999Z", true) == -1);
    kn_time_value tv;
    const char *bad[] = {"2024-03-05T24:00:00", "2024-03-05T12:60:00", "2024-03-05T12:00:60", "2024-03-05X12:00:00",
                         "2024-03-05T12:00:00.", "2024-03-05T12:00:00.1234567890", "2024-03-05T12:00:00+25:00",
                         "2024-03-05T12:00:00Zjunk", "2024-03-05T1:00:00", "2024-03-05T12:00:00 ", "", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(kn_parse_iso_timestamp(bad[i], strlen(bad[i]), true, &tv) != KN_TIME_OK, "%s", bad[i]);
    ck_assert_int_eq(kn_parse_iso_timestamp("2024-03-05", 10, false, &tv), KN_TIME_NO_TIME);
}
END_TEST

/* Writes a timestamp-like string built from random parts, mostly valid, often near a limit,
 * sometimes damaged; returns its length. */
static size_t random_timestamp(char *buf, size_t cap) {
    static const char *const seps[] = {"T", "T", "t", " ", "X", ""};
    static const char *const tails[] = {"", "Z", "Z", "z", "+01:00", "-0530", "+05", "+25:00", "Zjunk", " ", "ZZ", "-", "+"};
    unsigned y = rnd() % 4 == 0 ? (unsigned)(rnd() % 10000) : 1896 + (unsigned)(rnd() % 210);
    unsigned mo = (unsigned)(rnd() % 14), d = (unsigned)(rnd() % 33), h = (unsigned)(rnd() % 26);
    unsigned mi = (unsigned)(rnd() % 62), sec = (unsigned)(rnd() % 62);
    if (rnd() % 3) mo = 1 + mo % 12, h %= 24, mi %= 60, sec %= 60;
    if (rnd() % 4 == 0) mo = 2, d = 28 + (unsigned)(rnd() % 3); /* leap days, and Feb 30 */
    int n = snprintf(buf, cap, "%04u-%02u-%02u%s%02u:%02u:%02u", y, mo, d, seps[rnd() % 6], h, mi, sec);
    if (rnd() % 2) {
        buf[n++] = rnd() % 4 ? '.' : ',';
        for (unsigned k = (unsigned)(rnd() % 12); k > 0; k--) buf[n++] = (char)('0' + rnd() % 10);
    }
    n += snprintf(buf + n, cap - (size_t)n, "%s", tails[rnd() % 13]);
    if (rnd() % 5 == 0) buf[rnd() % (unsigned)n] = "0123456789-:T.Z +a"[rnd() % 18];
    if (rnd() % 6 == 0) n = (int)(rnd() % ((unsigned)n + 1));
    return (size_t)n;
}

START_TEST(iso_fast_paths_agree_with_the_general_parsers)
{
    /* The word-at-a-time shapes must give the same status and value as the field-by-field
     * parser on every input: valid ones, leap days (2024-02-29, 2000-02-29 exist; 2023-02-29,
     * 1900-02-29 do not), hour 24, minute and second 60, ten fraction digits, offsets, junk. */
    const char *edge[] = {"2024-02-29T00:00:00Z", "2000-02-29T00:00:00", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00",
                          "2024-03-05T24:00:00Z", "2024-03-05T23:60:00", "2024-03-05T23:59:60", "2024-12-31T23:59:59.999999999Z",
                          "2024-03-05T12:34:56.1234567891Z", "2024-03-05T12:34:56.Z", "2024-03-05T12:34:56,5z",
                          "0000-01-01T00:00:00", "9999-12-31T23:59:59Z", "2024-00-10T00:00:00", "2024-04-31T00:00:00",
                          "2024-03-05T12:34:56+00:00", "2024-03-05T12:34", "2024-03-05", "2024-02-29", "2023-02-29",
                          "2024-3-05T12:34:56", "2024-03-05T12:34:5", "2024-03-05T12:34:56ZZ", "2024-03-05T12:34:56 ",
                          "\377024-03-05T12:34:56Z", "2024-03-05T12:34:56\xa0", "2024-03-05T12:34:56.123456Z",
                          "2024-03-05t12:34:56.123456z", "2024-03-05 12:34:56.123456", "0000-02-29T00:00:00.000000Z",
                          "2100-02-29T00:00:00.000000Z", "2024-02-30T00:00:00.000000Z", "2024-03-05T12:34:56.12345/Z",
                          "2024-03-05T12:34:56:123456Z", "2024-03-05T12:34:56.123456+", "9999-12-31T23:59:59.999999Z"};
    char buf[96];
    for (int i = 0; i < 400000; i++) {
        size_t n;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            n = strlen(edge[i]);
            memcpy(buf, edge[i], n);
        } else {
            n = random_timestamp(buf, sizeof buf);
        }
        kn_time_value a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        bool allow_date = i % 2;
        kn_time_status s1 = kn_parse_iso_timestamp(buf, n, allow_date, &a);
        kn_time_status s2 = kn__parse_iso_timestamp_general(buf, n, allow_date, &b);
        ck_assert_msg(s1 == s2, "%.*s: %d vs %d", (int)n, buf, s1, s2);
        /* The inline shape: the general parser's wall clock with a zero offset, or no answer; its
         * AVX2 twin the same (the bytes past n, up to 27, are whatever is left in buf). */
        int64_t wall = 0, wall2 = 0;
        bool took = kn_parse_iso_timestamp_us(buf, n, &wall);
        if (took)
            ck_assert_msg(s2 == KN_TIME_OK && b.wall_micros == wall && b.offset_seconds == 0 && b.has_time, "%.*s", (int)n, buf);
        if (kn_cpu()->avx2) {
            ck_assert_msg(kn_parse_iso_timestamp_us_avx2(buf, n, &wall2) == took && wall2 == wall, "%.*s", (int)n, buf);
        }
        if (s1 == KN_TIME_OK)
            ck_assert_msg(a.wall_micros == b.wall_micros && a.offset_seconds == b.offset_seconds &&
                              a.has_offset == b.has_offset && a.has_time == b.has_time,
                          "%.*s", (int)n, buf);
        /* The date parser on the first 10 bytes (a date, or a damaged one) and on all of it. */
        for (size_t len = n < 10 ? n : 10; len <= n; len += n > 10 ? n - 10 : 1) {
            int32_t d1 = 0, d2 = 0;
            s1 = kn_parse_iso_date(buf, len, &d1);
            s2 = kn__parse_iso_date_general(buf, len, &d2);
            ck_assert_msg(s1 == s2 && (s1 != KN_TIME_OK || d1 == d2), "%.*s", (int)len, buf);
            if (len == n) break;
        }
    }
    /* The common shape itself, every field drawn over its whole range and a little past it,
     * one byte sometimes damaged: the inline parser, its AVX2 twin and the general parser. */
    int taken = 0;
    for (int i = 0; i < 300000; i++) {
        unsigned y = (unsigned)(rnd() % 10000), mo = (unsigned)(rnd() % 14), d = (unsigned)(rnd() % 33);
        unsigned h = (unsigned)(rnd() % 25), mi = (unsigned)(rnd() % 61), sec = (unsigned)(rnd() % 61);
        if (rnd() % 4) mo = 1 + mo % 12, d = 1 + d % 28, h %= 24, mi %= 60, sec %= 60;
        int n = snprintf(buf, sizeof buf, "%04u-%02u-%02u%c%02u:%02u:%02u.%06u%s", y, mo, d, "Tt  "[rnd() % 4], h, mi, sec,
                         (unsigned)(rnd() % 1000000), rnd() % 3 ? "Z" : rnd() % 2 ? "z" : "");
        if (rnd() % 8 == 0) buf[rnd() % (unsigned)n] = "0123456789-:T.Z +/"[rnd() % 18];
        kn_time_value b;
        memset(&b, 0, sizeof b);
        kn_time_status s2 = kn__parse_iso_timestamp_general(buf, (size_t)n, true, &b);
        int64_t wall = 0, wall2 = 0;
        bool took = kn_parse_iso_timestamp_us(buf, (size_t)n, &wall);
        taken += took;
        if (took) ck_assert_msg(s2 == KN_TIME_OK && wall == b.wall_micros && b.offset_seconds == 0, "%.*s", n, buf);
        if (kn_cpu()->avx2) ck_assert_msg(kn_parse_iso_timestamp_us_avx2(buf, (size_t)n, &wall2) == took && wall2 == wall, "%.*s", n, buf);
    }
    ck_assert_int_gt(taken, 100000);

    /* Leap-year rules, spelled out. */
    int32_t d;
    ck_assert_int_eq(kn_parse_iso_date("2000-02-29", 10, &d), KN_TIME_OK);
    ck_assert_int_eq(kn_parse_iso_date("1900-02-29", 10, &d), KN_TIME_RANGE);
    ck_assert_int_eq(kn_parse_iso_date("2023-02-29", 10, &d), KN_TIME_RANGE);
    kn_time_value tv;
    ck_assert_int_eq(kn_parse_iso_timestamp("2023-02-29T10:00:00Z", 20, true, &tv), KN_TIME_RANGE);
    ck_assert_int_eq(kn_parse_iso_timestamp("2024-03-05T24:00:00Z", 20, true, &tv), KN_TIME_RANGE);
    ck_assert_int_eq(kn_parse_iso_timestamp("2024-02-29T23:59:59.5Z", 22, true, &tv), KN_TIME_OK);
    ck_assert(tv.wall_micros == (19782LL * 86400 + 86399) * 1000000 + 500000 && tv.has_offset);
}
END_TEST

START_TEST(formatted_times_follow_their_format)
{
    kn_time_value tv;
    int64_t base = 1709642096LL * 1000000;
#define FMT(f, s) kn_parse_time_format(f, s, strlen(s), &tv)
    ck_assert_int_eq(FMT("%d/%m/%Y %H:%M:%S", "05/03/2024 12:34:56"), KN_TIME_OK);
    ck_assert(tv.wall_micros == base && !tv.has_offset);
    ck_assert_int_eq(FMT("%Y%m%d%H%M%S", "20240305123456"), KN_TIME_OK);
    ck_assert(tv.wall_micros == base);
    ck_assert_int_eq(FMT("%F %T.%f%z", "2024-03-05 14:34:56.25+02:00"), KN_TIME_OK);
    ck_assert(tv.wall_micros == base + 2 * 3600000000LL + 250000 && tv.has_offset && tv.offset_seconds == 7200);
    ck_assert_int_eq(FMT("%s", "1709642096"), KN_TIME_OK);
    ck_assert(tv.wall_micros == base && tv.has_offset);
    ck_assert_int_eq(FMT("%s", "-1"), KN_TIME_OK);
    ck_assert(tv.wall_micros == -1000000);
    ck_assert_int_eq(FMT("%d %b %y", "5 Mar 24"), KN_TIME_OK);
    ck_assert(tv.wall_micros == base - (12 * 3600 + 34 * 60 + 56) * 1000000LL);
    ck_assert_int_eq(FMT("%Y-%m-%d %%", "2024-03-05 %"), KN_TIME_OK);
    ck_assert_int_eq(FMT("%d/%m/%Y", "31/02/2024"), KN_TIME_RANGE);
    ck_assert_int_eq(FMT("%d/%m/%Y", "05-03-2024"), KN_TIME_SYNTAX);
    ck_assert_int_eq(FMT("%d/%m/%Y", "05/03/2024x"), KN_TIME_SYNTAX);
#undef FMT
    char why[200];
    ck_assert(kn_time_format_check("%Y-%m-%d", why, sizeof why));
    ck_assert(!kn_time_format_check("%Q", why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "%Q"));
    ck_assert(!kn_time_format_check("%Y%", why, sizeof why));
    ck_assert(!kn_time_format_check("", why, sizeof why));
}
END_TEST

START_TEST(utf8_validation_finds_the_first_bad_byte)
{
    struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"plain ascii", 11},
        {"caf\xC3\xA9", 5},
        {"\xE2\x82\xAC euro", 8},
        {"\xF0\x9F\x98\x80", 4},
        {"a\xC0\xAF", 1},           /* overlong '/' */
        {"ab\xE0\x80\xAF", 2},      /* overlong 3-byte */
        {"\xED\xA0\x80", 0},        /* UTF-16 surrogate encoded in UTF-8 */
        {"x\xF4\x90\x80\x80", 1},   /* past U+10FFFF */
        {"xy\xF5\x80\x80\x80", 2},
        {"\x80", 0},                /* stray continuation */
        {"ok\xC3", 2},              /* truncated */
        {"ok\xE2\x82", 2},
        {"\xFF", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *s = (const uint8_t *)cases[i].s;
        size_t n = strlen(cases[i].s);
        ck_assert_msg(kn_utf8_validate_scalar(s, n) == cases[i].bad, "case %zu", i);
        ck_assert_msg(kn_utf8_validate(s, n) == cases[i].bad, "case %zu", i);
    }
}
END_TEST

START_TEST(utf8_twins_agree_on_random_text)
{
    if (!kn_cpu()->avx2) {
        fprintf(stderr, "SKIP utf8_twins_agree_on_random_text: no AVX2 on this CPU (or KILN_NO_SIMD set)\n");
        return;
    }
    /* Valid pieces first (the limits of each length: U+0080, U+07FF, U+0800, U+D7FF, U+E000,
     * U+FFFF, U+10000, U+10FFFF), then invalid ones: stray and extra continuations, cut-short
     * sequences, overlongs, surrogates, past U+10FFFF, bytes never valid. */
    static const char *pieces[] = {"a", "hello world ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xC2\x80",
                                   "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
                                   "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                                   "\x80", "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                   "\xC0\xAF", "\xC1\xBF", "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF", "\xF5\x80\x80\x80",
                                   "\xFF", "\xBF\xBF", "\xC3\xA9\xA9"};
    const size_t nvalid = 13, npieces = sizeof pieces / sizeof pieces[0];
    uint8_t buf[4096];
    for (int iter = 0; iter < 40000; iter++) {
        size_t n = 0;
        int bad_allowed = iter % 3 == 0;
        if (iter % 7 == 0) {
            /* Raw random bytes, mostly high ones. */
            n = rnd() % 200;
            for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)(rnd() % 3 ? 0x80 + rnd() % 128 : rnd() % 128);
        } else {
            while (n < sizeof buf - 8) {
                size_t k = rnd() % (bad_allowed ? npieces : nvalid);
                if (rnd() % 4 == 0) k = rnd() % 2; /* runs of ASCII too, so both vector paths run */
                size_t l = strlen(pieces[k]);
                memcpy(buf + n, pieces[k], l);
                n += l;
                if (rnd() % 64 == 0) break;
            }
        }
        ck_assert_uint_eq(kn_utf8_validate_avx2(buf, n), kn_utf8_validate_scalar(buf, n));
    }
    /* Every lead byte with every second byte, and with a sample of third and fourth bytes (each
     * boundary of the continuation range, ASCII, leads), placed across the 32-byte block
     * boundary inside ASCII, ending the text or not. */
    static const uint8_t later[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xF0, 0xFF};
    memset(buf, 'x', 80);
    for (uint32_t a = 0x80; a < 0x100; a++)
        for (uint32_t b = 0; b < 0x100; b++)
            for (size_t c = 0; c < (a >= 0xE0 ? sizeof later : 1); c++) {
                for (size_t d = 0; d < (a >= 0xF0 ? sizeof later : 1); d++) {
                    size_t at = 28 + (a + b + c + d) % 5, len = a >= 0xF0 ? 4 : a >= 0xE0 ? 3 : 2;
                    buf[at] = (uint8_t)a, buf[at + 1] = (uint8_t)b, buf[at + 2] = later[c], buf[at + 3] = later[d];
                    size_t n = at + len + (a & 1 ? 0 : 7);
                    if (n > at + len) memset(buf + at + len, 'x', n - at - len);
                    ck_assert_msg(kn_utf8_validate_avx2(buf, n) == kn_utf8_validate_scalar(buf, n), "%02x %02x %02x %02x at %zu",
                                  a, b, later[c], later[d], at);
                    memset(buf + at, 'x', 4);
                }
            }
}
END_TEST

/* ---- casts from text ---------------------------------------------------------------------- */

START_TEST(casts_from_text_like_a_database)
{
    kn_cast_value v;
    kn_type i64 = kn_type_make(KN_TYPE_INT64), i32 = kn_type_make(KN_TYPE_INT32), f64 = kn_type_make(KN_TYPE_FLOAT64);
    kn_type dec = kn_type_decimal(10, 2), b = kn_type_make(KN_TYPE_BOOL), d = kn_type_make(KN_TYPE_DATE);
    ck_assert_int_eq(kn_cast_text(i64, NULL, " +007 ", 6, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 7);
    ck_assert_int_eq(kn_cast_text(i64, NULL, "-007", 4, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, -7);
    ck_assert_int_eq(kn_cast_text(i64, NULL, "2e3", 3, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 2000);
    ck_assert_int_eq(kn_cast_text(i64, NULL, "1.5", 3, &v), KN_CAST_FRACTION);
    ck_assert_int_eq(kn_cast_text(i32, NULL, "3000000000", 10, &v), KN_CAST_RANGE);
    ck_assert_int_eq(kn_cast_text(i64, NULL, "12a", 3, &v), KN_CAST_SYNTAX);
    ck_assert_int_eq(kn_cast_text(i64, NULL, " \t", 2, &v), KN_CAST_EMPTY);
    ck_assert_int_eq(kn_cast_text(dec, NULL, "012.30", 6, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 1230);
    ck_assert_int_eq(kn_cast_text(dec, NULL, "1.234", 5, &v), KN_CAST_FRACTION);
    ck_assert_int_eq(kn_cast_text(f64, NULL, "-Infinity", 9, &v), KN_CAST_OK);
    ck_assert(isinf(v.f64) && v.f64 < 0);
    ck_assert_int_eq(kn_cast_text(f64, NULL, "NaN", 3, &v), KN_CAST_OK);
    ck_assert(isnan(v.f64));
    ck_assert_int_eq(kn_cast_text(f64, NULL, "-nan", 4, &v), KN_CAST_SYNTAX);
    static const char *const yes[] = {"true", "T", "Yes", "y", "1"}, *const no[] = {"FALSE", "f", "no", "N", "0"};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(kn_cast_text(b, NULL, yes[i], strlen(yes[i]), &v), KN_CAST_OK);
        ck_assert(v.b);
        ck_assert_int_eq(kn_cast_text(b, NULL, no[i], strlen(no[i]), &v), KN_CAST_OK);
        ck_assert(!v.b);
    }
    ck_assert_int_eq(kn_cast_text(b, NULL, "2", 1, &v), KN_CAST_SYNTAX);
    ck_assert_int_eq(kn_cast_text(d, NULL, "2024-02-29", 10, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i32, 19782);
    ck_assert_int_eq(kn_cast_text(d, NULL, "2023-02-29", 10, &v), KN_CAST_RANGE);
    /* A timestamptz converts the written offset; a timestamp keeps the wall clock. */
    ck_assert_int_eq(kn_cast_text(kn_type_timestamp(true), NULL, "1970-01-01T01:00:00+01:00", 25, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 0);
    ck_assert_int_eq(kn_cast_text(kn_type_timestamp(false), NULL, "1970-01-01T01:00:00+01:00", 25, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 3600000000LL);
    ck_assert_int_eq(kn_cast_text(kn_type_timestamp(false), "%d/%m/%Y", "02/01/1970", 10, &v), KN_CAST_OK);
    ck_assert_int_eq(v.i64, 86400000000LL);
    char why[256];
    kn_cast_explain(KN_CAST_FRACTION, dec, NULL, "1.234", 5, why, sizeof why);
    ck_assert_msg(strstr(why, "\"1.234\"") && strstr(why, "scale 2"), "%s", why);
}
END_TEST

START_TEST(text_is_classified_for_inference)
{
    int id, fd;
    ck_assert_int_eq(kn_text_classify("42", 2, &id, &fd), KN_TEXT_INT);
    ck_assert_int_eq(kn_text_classify("-237.34", 7, &id, &fd), KN_TEXT_DECIMAL);
    ck_assert(id == 3 && fd == 2);
    ck_assert_int_eq(kn_text_classify("123456789012345678901234", 24, &id, &fd), KN_TEXT_DECIMAL);
    ck_assert_int_eq(kn_text_classify("1e5", 3, &id, &fd), KN_TEXT_FLOAT);
    ck_assert_int_eq(kn_text_classify("nan", 3, &id, &fd), KN_TEXT_FLOAT);
    ck_assert_int_eq(kn_text_classify("True", 4, &id, &fd), KN_TEXT_BOOL);
    ck_assert_int_eq(kn_text_classify("2024-03-05", 10, &id, &fd), KN_TEXT_DATE);
    ck_assert_int_eq(kn_text_classify("2024-03-05 01:02:03", 19, &id, &fd), KN_TEXT_TIMESTAMP);
    ck_assert_int_eq(kn_text_classify("2024-03-05T01:02:03Z", 20, &id, &fd), KN_TEXT_TIMESTAMPTZ);
    ck_assert_int_eq(kn_text_classify("  ", 2, &id, &fd), KN_TEXT_EMPTY);
    ck_assert_int_eq(kn_text_classify("nancy", 5, &id, &fd), KN_TEXT_STRING);
    ck_assert_int_eq(kn_text_classify("1.2.3", 5, &id, &fd), KN_TEXT_STRING);
}
END_TEST

int main(void) {
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, json_number_grammar_is_exact);
    tcase_add_test(tc, integers_hold_their_limits_and_refuse_one_past);
    tcase_add_test(tc, decimals_keep_the_digits_as_written);
    tcase_add_test(tc, doubles_round_like_strtod);
    tcase_add_test(tc, doubles_ignore_the_process_locale);
    tcase_add_test(tc, inline_fast_paths_agree_with_the_general_parsers);
    tcase_add_test(tc, word_at_a_time_parsers_agree_with_the_general_parsers);
    tcase_add_test(tc, iso_timestamps_and_dates);
    tcase_add_test(tc, iso_fast_paths_agree_with_the_general_parsers);
    tcase_add_test(tc, formatted_times_follow_their_format);
    tcase_add_test(tc, utf8_validation_finds_the_first_bad_byte);
    tcase_add_test(tc, utf8_twins_agree_on_random_text);
    tcase_add_test(tc, casts_from_text_like_a_database);
    tcase_add_test(tc, text_is_classified_for_inference);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
