/* formats/parquet/kn_pqr_show.c: enum names, logical type spelling, and statistics values as
 * text. Dates use the proleptic Gregorian calendar (as Parquet's DATE does); the day-to-civil
 * conversion is the standard era/day-of-era arithmetic, exact for every 64-bit day count used
 * here. */
#include "kn_pqr_show.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_pq_format.h"

#define KN__NAME(table, v) ((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof(table[0]) ? (table)[v] : NULL)

const char *kn_pqr_type_name(int32_t type) {
    static const char *const names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return KN__NAME(names, type);
}

const char *kn_pqr_codec_name(int32_t codec) {
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    return KN__NAME(names, codec);
}

const char *kn_pqr_encoding_name(int32_t encoding) {
    static const char *const names[] = {"PLAIN", NULL, "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return KN__NAME(names, encoding);
}

const char *kn_pqr_converted_name(int32_t converted) {
    static const char *const names[] = {"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
                                        "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16",
                                        "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON",
                                        "INTERVAL"};
    return KN__NAME(names, converted);
}

const char *kn_pqr_repetition_name(int32_t repetition) {
    static const char *const names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
    return KN__NAME(names, repetition);
}

const char *kn_pqr_page_type_name(int32_t page_type) {
    static const char *const names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
    return KN__NAME(names, page_type);
}

const char *kn_pqr_order_name(int order) {
    static const char *const names[] = {NULL, "TYPE_ORDER", "IEEE_754_TOTAL_ORDER"};
    return KN__NAME(names, order);
}

const char *kn_pqr_name_or_number(const char *name, int64_t value, char *buf, size_t cap) {
    if (name) snprintf(buf, cap, "%s", name);
    else snprintf(buf, cap, "UNKNOWN(%lld)", (long long)value);
    return buf;
}

static const char *unit_name(int unit) {
    switch (unit) {
    case KN_PQR_UNIT_MILLIS: return "MILLIS";
    case KN_PQR_UNIT_MICROS: return "MICROS";
    case KN_PQR_UNIT_NANOS: return "NANOS";
    default: return "UNKNOWN_UNIT";
    }
}

void kn_pqr_logical_format(const kn_pqr_logical *lt, char *buf, size_t cap) {
    switch (lt->kind) {
    case KN_PQR_LT_NONE: snprintf(buf, cap, "%s", ""); break;
    case KN_PQR_LT_STRING: snprintf(buf, cap, "STRING"); break;
    case KN_PQR_LT_MAP: snprintf(buf, cap, "MAP"); break;
    case KN_PQR_LT_LIST: snprintf(buf, cap, "LIST"); break;
    case KN_PQR_LT_ENUM: snprintf(buf, cap, "ENUM"); break;
    case KN_PQR_LT_DECIMAL: snprintf(buf, cap, "DECIMAL(%d,%d)", (int)lt->precision, (int)lt->scale); break;
    case KN_PQR_LT_DATE: snprintf(buf, cap, "DATE"); break;
    case KN_PQR_LT_TIME: snprintf(buf, cap, "TIME(%s,%s)", unit_name(lt->unit), lt->utc ? "true" : "false"); break;
    case KN_PQR_LT_TIMESTAMP:
        snprintf(buf, cap, "TIMESTAMP(%s,%s)", unit_name(lt->unit), lt->utc ? "true" : "false");
        break;
    case KN_PQR_LT_INTEGER: snprintf(buf, cap, "INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "true" : "false"); break;
    case KN_PQR_LT_UNKNOWN: snprintf(buf, cap, "UNKNOWN"); break;
    case KN_PQR_LT_JSON: snprintf(buf, cap, "JSON"); break;
    case KN_PQR_LT_BSON: snprintf(buf, cap, "BSON"); break;
    case KN_PQR_LT_UUID: snprintf(buf, cap, "UUID"); break;
    case KN_PQR_LT_FLOAT16: snprintf(buf, cap, "FLOAT16"); break;
    case KN_PQR_LT_VARIANT: snprintf(buf, cap, "VARIANT"); break;
    case KN_PQR_LT_GEOMETRY: snprintf(buf, cap, "GEOMETRY"); break;
    case KN_PQR_LT_GEOGRAPHY: snprintf(buf, cap, "GEOGRAPHY"); break;
    default: snprintf(buf, cap, "UNKNOWN_LOGICAL(%d)", lt->kind); break;
    }
}

/* --- value text ------------------------------------------------------------------------ */

static bool put(kn_buf *out, const char *s) { return kn_buf_append(out, s, strlen(s)); }

static bool put_hex(kn_buf *out, const uint8_t *v, size_t len) {
    static const char hex[] = "0123456789abcdef";
    if (!put(out, "0x")) return false;
    for (size_t i = 0; i < len; i++) {
        char two[2] = {hex[v[i] >> 4], hex[v[i] & 15]};
        if (!kn_buf_append(out, two, 2)) return false;
    }
    return true;
}

static uint64_t le_u64(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) v = v << 8 | p[i - 1];
    return v;
}

/* Valid UTF-8 sequence length at p (1..4), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* Text as it is where it is printable UTF-8; backslash escapes for the rest, so that any
 * bytes show unambiguously on one line. */
static bool put_text(kn_buf *out, const uint8_t *v, size_t len, size_t max_bytes) {
    static const char hex[] = "0123456789abcdef";
    size_t shown = max_bytes && len > max_bytes ? max_bytes : len;
    size_t i = 0;
    while (i < shown) {
        uint8_t c = v[i];
        char esc[4];
        size_t n = 0;
        if (c == '\\') { esc[0] = '\\'; esc[1] = '\\'; n = 2; }
        else if (c == '\n') { esc[0] = '\\'; esc[1] = 'n'; n = 2; }
        else if (c == '\t') { esc[0] = '\\'; esc[1] = 't'; n = 2; }
        else if (c == '\r') { esc[0] = '\\'; esc[1] = 'r'; n = 2; }
        else if (c < 0x20 || c == 0x7F || (c >= 0x80 && utf8_len(v + i, shown - i) == 0)) {
            esc[0] = '\\'; esc[1] = 'x'; esc[2] = hex[c >> 4]; esc[3] = hex[c & 15]; n = 4;
        }
        if (n) {
            if (!kn_buf_append(out, esc, n)) return false;
            i++;
            continue;
        }
        size_t run = utf8_len(v + i, shown - i);
        if (!kn_buf_append(out, v + i, run)) return false;
        i += run;
    }
    if (shown < len) {
        char tail[64];
        snprintf(tail, sizeof tail, "... (%zu bytes)", len);
        return put(out, tail);
    }
    return true;
}

/* The shortest "%.*g" that reads back as the same value. */
static bool put_double(kn_buf *out, double d, bool single) {
    char buf[64];
    if (isnan(d)) return put(out, "NaN");
    if (isinf(d)) return put(out, d < 0 ? "-Infinity" : "Infinity");
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        double back = strtod(buf, NULL);
        if (single ? (float)back == (float)d : back == d) break;
    }
    return put(out, buf);
}

static float half_to_float(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = ldexpf((float)(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

static int64_t floor_div(int64_t a, int64_t b, int64_t *rem) {
    int64_t q = a / b, r = a % b;
    if (r < 0) {
        q--;
        r += b;
    }
    *rem = r;
    return q;
}

/* Days since 1970-01-01 to a civil date. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool put_date(kn_buf *out, int64_t days) {
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char buf[48];
    snprintf(buf, sizeof buf, y < 0 ? "%05" PRId64 "-%02d-%02d" : "%04" PRId64 "-%02d-%02d", y, m, d);
    return put(out, buf);
}

/* Units per second and digits of the fraction for a TimeUnit. */
static int64_t unit_per_second(int unit, int *digits) {
    switch (unit) {
    case KN_PQR_UNIT_MILLIS: *digits = 3; return 1000;
    case KN_PQR_UNIT_NANOS: *digits = 9; return 1000000000;
    default: *digits = 6; return 1000000;
    }
}

static bool put_clock(kn_buf *out, int64_t sec_of_day, int64_t frac, int digits) {
    char buf[64];
    snprintf(buf, sizeof buf, "%02d:%02d:%02d.%0*" PRId64, (int)(sec_of_day / 3600), (int)(sec_of_day / 60 % 60),
             (int)(sec_of_day % 60), digits, frac);
    return put(out, buf);
}

static bool put_timestamp(kn_buf *out, int64_t v, int unit, bool utc) {
    int digits;
    int64_t per = unit_per_second(unit, &digits), frac, sec_of_day;
    int64_t secs = floor_div(v, per, &frac);
    int64_t days = floor_div(secs, 86400, &sec_of_day);
    return put_date(out, days) && put(out, "T") && put_clock(out, sec_of_day, frac, digits) && (!utc || put(out, "Z"));
}

static bool put_time(kn_buf *out, int64_t v, int unit) {
    int digits;
    int64_t per = unit_per_second(unit, &digits), frac;
    int64_t secs = floor_div(v, per, &frac);
    if (secs < 0 || secs > 86400) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return put(out, buf);
    }
    return put_clock(out, secs, frac, digits);
}

/* INT96 timestamps: 8 bytes of nanoseconds in the day, then a 4-byte Julian day. */
static bool put_int96(kn_buf *out, const uint8_t *v) {
    uint64_t nanos = le_u64(v, 8);
    int64_t julian = (int32_t)(uint32_t)le_u64(v + 8, 4);
    int64_t days = julian - 2440588 + (int64_t)(nanos / 86400000000000ull);
    nanos %= 86400000000000ull;
    return put_date(out, days) && put(out, "T") &&
           put_clock(out, (int64_t)(nanos / 1000000000u), (int64_t)(nanos % 1000000000u), 9);
}

/* A big-endian two's complement integer of `len` bytes, scaled by 10^-scale. */
static bool put_decimal_be(kn_buf *out, const uint8_t *v, size_t len, int32_t scale) {
    uint8_t mag[64];
    char digits[160];
    if (len == 0 || len > sizeof mag || scale < 0 || scale > 100) return put_hex(out, v, len);
    bool neg = v[0] & 0x80;
    memcpy(mag, v, len);
    if (neg) { /* two's complement magnitude: invert and add one */
        int carry = 1;
        for (size_t i = len; i > 0; i--) {
            int x = (uint8_t)~mag[i - 1] + carry;
            mag[i - 1] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    size_t nd = 0;
    size_t start = 0;
    for (;;) { /* repeated division by 10 of the base-256 number */
        while (start < len && mag[start] == 0) start++;
        if (start == len) break;
        unsigned rem = 0;
        for (size_t i = start; i < len; i++) {
            unsigned cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
        }
        digits[nd++] = (char)('0' + rem);
    }
    while (nd <= (size_t)scale) digits[nd++] = '0';
    char text[200];
    size_t k = 0;
    if (neg) text[k++] = '-';
    for (size_t i = nd; i > 0; i--) {
        text[k++] = digits[i - 1];
        if (scale > 0 && i - 1 == (size_t)scale) text[k++] = '.';
    }
    text[k] = '\0';
    return put(out, text);
}

static bool put_decimal_int(kn_buf *out, int64_t v, int32_t scale) {
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    return put_decimal_be(out, be, 8, scale);
}

/* What a value means, from the logical type first and the converted type second. */
typedef enum { SHOW_PLAIN, SHOW_DECIMAL, SHOW_DATE, SHOW_TIMESTAMP, SHOW_TIME, SHOW_UNSIGNED, SHOW_UUID, SHOW_FLOAT16,
               SHOW_INTERVAL, SHOW_HEX } show_kind;

static show_kind classify(const kn_pqr_schema_element *e, int32_t *scale, int *unit, bool *utc) {
    const kn_pqr_logical *lt = &e->logical;
    *scale = e->has_scale ? e->scale : 0;
    *unit = KN_PQR_UNIT_MICROS;
    *utc = true;
    switch (lt->kind) {
    case KN_PQR_LT_DECIMAL: *scale = lt->scale; return SHOW_DECIMAL;
    case KN_PQR_LT_DATE: return SHOW_DATE;
    case KN_PQR_LT_TIMESTAMP: *unit = lt->unit; *utc = lt->utc; return SHOW_TIMESTAMP;
    case KN_PQR_LT_TIME: *unit = lt->unit; return SHOW_TIME;
    case KN_PQR_LT_INTEGER: return lt->is_signed ? SHOW_PLAIN : SHOW_UNSIGNED;
    case KN_PQR_LT_UUID: return SHOW_UUID;
    case KN_PQR_LT_FLOAT16: return SHOW_FLOAT16;
    case KN_PQR_LT_BSON: return SHOW_HEX;
    default: break;
    }
    if (!e->has_converted_type) return SHOW_PLAIN;
    switch (e->converted_type) {
    case KN_PQ_CT_DECIMAL: return SHOW_DECIMAL;
    case KN_PQ_CT_DATE: return SHOW_DATE;
    case KN_PQ_CT_TIMESTAMP_MILLIS: *unit = KN_PQR_UNIT_MILLIS; return SHOW_TIMESTAMP;
    case KN_PQ_CT_TIMESTAMP_MICROS: return SHOW_TIMESTAMP;
    case KN_PQ_CT_TIME_MILLIS: *unit = KN_PQR_UNIT_MILLIS; return SHOW_TIME;
    case KN_PQ_CT_TIME_MICROS: return SHOW_TIME;
    case KN_PQ_CT_UINT_8:
    case KN_PQ_CT_UINT_16:
    case KN_PQ_CT_UINT_32:
    case KN_PQ_CT_UINT_64: return SHOW_UNSIGNED;
    case KN_PQ_CT_INTERVAL: return SHOW_INTERVAL;
    case KN_PQ_CT_BSON: return SHOW_HEX;
    default: return SHOW_PLAIN;
    }
}

static bool put_int(kn_buf *out, int64_t v, bool is_unsigned, uint64_t u) {
    char buf[32];
    if (is_unsigned) snprintf(buf, sizeof buf, "%" PRIu64, u);
    else snprintf(buf, sizeof buf, "%" PRId64, v);
    return put(out, buf);
}

bool kn_pqr_value_is_text(const kn_pqr_schema_element *e) {
    int32_t scale;
    int unit;
    bool utc;
    if (!e->has_type || (e->type != KN_PQ_BYTE_ARRAY && e->type != KN_PQ_FIXED_LEN_BYTE_ARRAY)) return false;
    return classify(e, &scale, &unit, &utc) == SHOW_PLAIN;
}

bool kn_pqr_value_format(const kn_pqr_schema_element *e, const uint8_t *v, size_t len, size_t max_bytes,
                         kn_buf *out) {
    int32_t scale;
    int unit;
    bool utc;
    show_kind kind = classify(e, &scale, &unit, &utc);
    int32_t type = e->has_type ? e->type : -1;
    switch (type) {
    case KN_PQ_BOOLEAN:
        if (len != 1) break;
        return put(out, v[0] & 1 ? "true" : "false");
    case KN_PQ_INT32: {
        if (len != 4) break;
        uint32_t u = (uint32_t)le_u64(v, 4);
        int32_t i = (int32_t)u;
        if (kind == SHOW_DECIMAL) return put_decimal_int(out, i, scale);
        if (kind == SHOW_DATE) return put_date(out, i);
        if (kind == SHOW_TIME) return put_time(out, i, KN_PQR_UNIT_MILLIS);
        return put_int(out, i, kind == SHOW_UNSIGNED, u);
    }
    case KN_PQ_INT64: {
        if (len != 8) break;
        uint64_t u = le_u64(v, 8);
        int64_t i = (int64_t)u;
        if (kind == SHOW_DECIMAL) return put_decimal_int(out, i, scale);
        if (kind == SHOW_TIMESTAMP) return put_timestamp(out, i, unit, utc);
        if (kind == SHOW_TIME) return put_time(out, i, unit);
        return put_int(out, i, kind == SHOW_UNSIGNED, u);
    }
    case KN_PQ_INT96:
        if (len != 12) break;
        return put_int96(out, v);
    case KN_PQ_FLOAT: {
        if (len != 4) break;
        uint32_t bits = (uint32_t)le_u64(v, 4);
        float f;
        memcpy(&f, &bits, 4);
        return put_double(out, f, true);
    }
    case KN_PQ_DOUBLE: {
        if (len != 8) break;
        uint64_t bits = le_u64(v, 8);
        double d;
        memcpy(&d, &bits, 8);
        return put_double(out, d, false);
    }
    case KN_PQ_BYTE_ARRAY:
    case KN_PQ_FIXED_LEN_BYTE_ARRAY:
        if (kind == SHOW_DECIMAL) return put_decimal_be(out, v, len, scale);
        if (kind == SHOW_FLOAT16 && len == 2) return put_double(out, half_to_float((uint16_t)le_u64(v, 2)), true);
        if (kind == SHOW_UUID && len == 16) {
            static const char hex[] = "0123456789abcdef";
            char buf[40];
            size_t k = 0;
            for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10) buf[k++] = '-';
                buf[k++] = hex[v[i] >> 4];
                buf[k++] = hex[v[i] & 15];
            }
            buf[k] = '\0';
            return put(out, buf);
        }
        if (kind == SHOW_INTERVAL && len == 12) {
            char buf[96];
            snprintf(buf, sizeof buf, "%" PRIu64 " months %" PRIu64 " days %" PRIu64 " ms", le_u64(v, 4),
                     le_u64(v + 4, 4), le_u64(v + 8, 4));
            return put(out, buf);
        }
        if (kind == SHOW_HEX || kind == SHOW_UUID || kind == SHOW_FLOAT16 || kind == SHOW_INTERVAL) break;
        return put_text(out, v, len, max_bytes);
    default: break;
    }
    if (max_bytes && len > max_bytes) {
        char tail[64];
        snprintf(tail, sizeof tail, "... (%zu bytes)", len);
        return put_hex(out, v, max_bytes) && put(out, tail);
    }
    return put_hex(out, v, len);
}
