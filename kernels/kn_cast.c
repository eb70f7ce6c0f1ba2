/* kernels/kn_cast.c: text into kiln types (kn_cast.h). */
#include "kn_cast.h"

#include <stdio.h>
#include <string.h>

#include "kn_parse_number.h"
#include "kn_parse_time.h"

static inline bool is_space(char c) { return c == ' ' || c == '\t'; }

static void trim(const char **s, size_t *n) {
    const char *p = *s;
    size_t k = *n;
    while (k && is_space(*p)) p++, k--;
    while (k && is_space(p[k - 1])) k--;
    *s = p;
    *n = k;
}

static bool ieq(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    if (n != k) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

/* Numbers as exports write them, in the JSON grammar the parsers take: a leading '+' goes, and
 * so do leading zeros before another digit ("-007.5" becomes "-7.5", in `buf` when a sign has
 * to move). Returns the text to parse. */
static const char *normalize_number(const char *s, size_t n, char *buf, size_t cap, size_t *out_n) {
    bool neg = false;
    size_t i = 0;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    size_t z = i;
    while (z + 1 < n && s[z] == '0' && s[z + 1] >= '0' && s[z + 1] <= '9') z++;
    if (!neg) {
        *out_n = n - z;
        return s + z;
    }
    if (z == i) {
        *out_n = n;
        return s;
    }
    if (n - z + 1 > cap) { /* too long to be a number anyway: let the parser refuse it */
        *out_n = n;
        return s;
    }
    buf[0] = '-';
    memcpy(buf + 1, s + z, n - z);
    *out_n = n - z + 1;
    return buf;
}

static kn_cast_status from_num(kn_num_status ns) {
    switch (ns) {
    case KN_NUM_OK: return KN_CAST_OK;
    case KN_NUM_RANGE: return KN_CAST_RANGE;
    case KN_NUM_FRACTION: return KN_CAST_FRACTION;
    default: return KN_CAST_SYNTAX;
    }
}

static kn_cast_status from_time(kn_time_status ts) {
    return ts == KN_TIME_OK ? KN_CAST_OK : ts == KN_TIME_RANGE ? KN_CAST_RANGE : KN_CAST_SYNTAX;
}

static kn_cast_status cast_float(const char *s, size_t n, double *out) {
    bool neg = n && s[0] == '-', sign = n && (s[0] == '-' || s[0] == '+');
    const char *m = s + sign;
    size_t mn = n - sign;
    if (ieq(m, mn, "inf") || ieq(m, mn, "infinity")) {
        *out = neg ? -__builtin_inf() : __builtin_inf();
        return KN_CAST_OK;
    }
    if (!sign && ieq(m, mn, "nan")) {
        *out = __builtin_nan("");
        return KN_CAST_OK;
    }
    char buf[128];
    size_t k;
    const char *t = normalize_number(s, n, buf, sizeof buf, &k);
    return from_num(kn_parse_double_inline(t, k, out));
}

static kn_cast_status cast_time(kn_type type, const char *format, const char *s, size_t n, kn_cast_value *out) {
    kn_time_value tv;
    if (format) {
        kn_cast_status st = from_time(kn_parse_time_format(format, s, n, &tv));
        if (st != KN_CAST_OK) return st;
    } else if (type.id == KN_TYPE_DATE) {
        return from_time(kn_parse_iso_date(s, n, &out->i32));
    } else {
        kn_cast_status st = from_time(kn_parse_iso_timestamp(s, n, true, &tv));
        if (st != KN_CAST_OK) return st;
    }
    int64_t v = tv.wall_micros;
    if (type.id == KN_TYPE_TIMESTAMP && type.utc && tv.has_offset) v -= (int64_t)tv.offset_seconds * 1000000;
    if (type.id == KN_TYPE_DATE) out->i32 = kn_micros_to_days(v);
    else out->i64 = v;
    return KN_CAST_OK;
}

kn_cast_status kn_cast_text(kn_type type, const char *format, const char *s, size_t n, kn_cast_value *out) {
    trim(&s, &n);
    if (n == 0) return KN_CAST_EMPTY;
    char buf[128];
    size_t k;
    const char *t;
    switch (type.id) {
    case KN_TYPE_BOOL:
        if (ieq(s, n, "true") || ieq(s, n, "t") || ieq(s, n, "yes") || ieq(s, n, "y") || ieq(s, n, "1")) out->b = true;
        else if (ieq(s, n, "false") || ieq(s, n, "f") || ieq(s, n, "no") || ieq(s, n, "n") || ieq(s, n, "0"))
            out->b = false;
        else return KN_CAST_SYNTAX;
        return KN_CAST_OK;
    case KN_TYPE_INT32:
    case KN_TYPE_INT64: {
        bool wide = type.id == KN_TYPE_INT64;
        int64_t v;
        t = normalize_number(s, n, buf, sizeof buf, &k);
        kn_cast_status st = from_num(kn_parse_int_inline(t, k, wide ? INT64_MIN : INT32_MIN, wide ? INT64_MAX : INT32_MAX, &v));
        if (st != KN_CAST_OK) return st;
        if (wide) out->i64 = v;
        else out->i32 = (int32_t)v;
        return KN_CAST_OK;
    }
    case KN_TYPE_FLOAT64: return cast_float(s, n, &out->f64);
    case KN_TYPE_DECIMAL:
        t = normalize_number(s, n, buf, sizeof buf, &k);
        if (type.precision <= 18) return from_num(kn_parse_decimal64_inline(t, k, type.precision, type.scale, &out->i64));
        return from_num(kn_parse_decimal128(t, k, type.precision, type.scale, &out->i128));
    case KN_TYPE_DATE:
    case KN_TYPE_TIMESTAMP: return cast_time(type, format, s, n, out);
    default: return KN_CAST_SYNTAX;
    }
}

kn_status kn_cast_append(kn_column *c, kn_type type, const kn_cast_value *v, kn_error *err) {
    switch (type.id) {
    case KN_TYPE_BOOL: return kn_column_append_bool(c, v->b, err);
    case KN_TYPE_INT32:
    case KN_TYPE_DATE: return kn_column_append_i32(c, v->i32, err);
    case KN_TYPE_FLOAT64: return kn_column_append_f64(c, v->f64, err);
    case KN_TYPE_DECIMAL:
        if (type.precision > 18) return kn_column_append_i128(c, v->i128, err);
        return kn_column_append_i64(c, v->i64, err);
    default: return kn_column_append_i64(c, v->i64, err);
    }
}

/* s[0..n) as a quoted, shortened, printable snippet. */
static void snippet(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0, lim = n > 40 ? 37 : n;
    if (cap < 8) {
        if (cap) out[0] = 0;
        return;
    }
    out[o++] = '"';
    for (size_t i = 0; i < lim && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    if (lim < n && o + 5 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = 0;
}

const char *kn_cast_explain(kn_cast_status st, kn_type type, const char *format, const char *s, size_t n,
                            char *buf, size_t cap) {
    char v[64], t[48];
    trim(&s, &n);
    snippet(s, n, v, sizeof v);
    kn_type_format(type, t, sizeof t);
    bool time = type.id == KN_TYPE_DATE || type.id == KN_TYPE_TIMESTAMP;
    if (st == KN_CAST_EMPTY) snprintf(buf, cap, "an empty string is no %s value", t);
    else if (time && format)
        snprintf(buf, cap, "%s does not match the %s format \"%s\"%s", v, t, format,
                 st == KN_CAST_RANGE ? " (a field is out of range)" : "");
    else if (time && st == KN_CAST_RANGE) snprintf(buf, cap, "%s is not a valid %s: a field is out of range", v, t);
    else if (time)
        snprintf(buf, cap, "%s is not a %s (expected %s)", v, t,
                 type.id == KN_TYPE_DATE ? "YYYY-MM-DD" : "ISO-8601 such as 2024-03-05T12:34:56.123456Z");
    else if (type.id == KN_TYPE_BOOL) snprintf(buf, cap, "%s is not a bool (true/false, t/f, yes/no, y/n, 1/0)", v);
    else if (st == KN_CAST_RANGE) snprintf(buf, cap, "%s is out of range for %s", v, t);
    else if (st == KN_CAST_FRACTION && type.id == KN_TYPE_DECIMAL)
        snprintf(buf, cap, "%s has more fraction digits than %s keeps (scale %u); kiln does not round", v, t, type.scale);
    else if (st == KN_CAST_FRACTION) snprintf(buf, cap, "%s has a fraction; %s holds whole numbers only", v, t);
    else snprintf(buf, cap, "%s is not a number (column type %s)", v, t);
    return buf;
}

kn_text_kind kn_text_classify(const char *s, size_t n, int *int_digits, int *frac_digits) {
    trim(&s, &n);
    if (n == 0) return KN_TEXT_EMPTY;
    if (ieq(s, n, "true") || ieq(s, n, "false")) return KN_TEXT_BOOL;
    char c = s[0];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'n' || c == 'N' || c == 'i' || c == 'I') {
        char buf[128];
        size_t k;
        const char *t = normalize_number(s, n, buf, sizeof buf, &k);
        kn_num_parts p;
        if (kn_num_split(t, k, &p) == KN_NUM_OK) {
            int id = (int)p.int_len, fd = p.frac_digits ? (int)p.frac_len : 0;
            if (int_digits) *int_digits = id;
            if (frac_digits) *frac_digits = fd;
            if (p.has_exp) return KN_TEXT_FLOAT;
            if (!p.frac_digits) {
                int64_t v;
                if (kn_parse_int(t, k, INT64_MIN, INT64_MAX, &v) == KN_NUM_OK) return KN_TEXT_INT;
                return id <= KN_DECIMAL_MAX_PRECISION ? KN_TEXT_DECIMAL : KN_TEXT_FLOAT;
            }
            return id + fd <= KN_DECIMAL_MAX_PRECISION ? KN_TEXT_DECIMAL : KN_TEXT_FLOAT;
        }
        double d;
        if (cast_float(s, n, &d) == KN_CAST_OK) return KN_TEXT_FLOAT;
    }
    int32_t days;
    if (kn_parse_iso_date(s, n, &days) == KN_TIME_OK) return KN_TEXT_DATE;
    kn_time_value tv;
    if (kn_parse_iso_timestamp(s, n, false, &tv) == KN_TIME_OK) return tv.has_offset ? KN_TEXT_TIMESTAMPTZ : KN_TEXT_TIMESTAMP;
    return KN_TEXT_STRING;
}
