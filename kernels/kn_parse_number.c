/* kernels/kn_parse_number.c: the JSON number grammar, integers and decimals (exact, through a
 * 128-bit path when the fast 64-bit one does not apply). Doubles live in kn_parse_double.c. */
#include "kn_parse_number.h"

#include <string.h>

__extension__ typedef unsigned __int128 kn_u128;

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

kn_num_status kn_num_split(const char *s, size_t n, kn_num_parts *o) {
    size_t i = 0;
    o->negative = false;
    o->frac_digits = NULL;
    o->frac_len = 0;
    o->exp = 0;
    o->has_exp = false;
    if (i < n && s[i] == '-') {
        o->negative = true;
        i++;
    }
    if (i >= n || !is_digit(s[i])) return KN_NUM_SYNTAX;
    o->int_digits = s + i;
    if (s[i] == '0') {
        i++; /* JSON forbids leading zeros: "012" fails on the '1' below */
    } else {
        while (i < n && is_digit(s[i])) i++;
    }
    o->int_len = (size_t)(s + i - o->int_digits);
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && is_digit(s[i])) i++;
        if (i == start) return KN_NUM_SYNTAX;
        o->frac_digits = s + start;
        o->frac_len = i - start;
    }
    if (i < n && (s[i] | 0x20) == 'e') {
        i++;
        bool neg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
        size_t start = i;
        int64_t e = 0;
        while (i < n && is_digit(s[i])) {
            /* Clamped: any exponent past 1e9 already means overflow or zero. */
            if (e < 1000000000) e = e * 10 + (s[i] - '0');
            i++;
        }
        if (i == start) return KN_NUM_SYNTAX;
        if (e > 1000000000) e = 1000000000;
        o->exp = neg ? -e : e;
        o->has_exp = true;
    }
    return i == n ? KN_NUM_OK : KN_NUM_SYNTAX;
}

static const kn_u128 *pow10_u128(void) {
    /* Built once per call site's first use; a constant table written out would be 39 lines of
     * 128-bit literals C cannot spell. Computing it is cheap and thread-safe (idempotent). */
    static kn_u128 table[39];
    static _Atomic int ready;
    if (!ready) {
        kn_u128 v = 1;
        for (int i = 0; i < 39; i++) {
            table[i] = v;
            v *= 10;
        }
        ready = 1;
    }
    return table;
}

/* The value of `p` times 10^scale as an unsigned integer below 10^max_digits (max_digits <= 38),
 * exactly, or the reason it is not one. */
static kn_num_status parts_to_u128(const kn_num_parts *p, int scale, int max_digits, kn_u128 *out) {
    const kn_u128 *p10 = pow10_u128();
    kn_u128 m = 0;
    int nd = 0;        /* significant digits kept in m */
    int64_t e = 0;     /* value = m * 10^e */
    bool lost = false; /* a nonzero digit did not fit in 38 */
    for (size_t i = 0; i < p->int_len; i++) {
        unsigned d = (unsigned)(p->int_digits[i] - '0');
        if (nd < 38) {
            m = m * 10 + d;
            if (m) nd++;
        } else {
            e++;
            lost |= d != 0;
        }
    }
    for (size_t i = 0; i < p->frac_len; i++) {
        unsigned d = (unsigned)(p->frac_digits[i] - '0');
        if (nd < 38) {
            m = m * 10 + d;
            if (m) nd++;
            e--;
        } else {
            lost |= d != 0;
        }
    }
    *out = 0;
    if (m == 0 && !lost) return KN_NUM_OK;
    int64_t t = e + p->exp + scale;
    if (lost) return t > 0 ? KN_NUM_RANGE : KN_NUM_FRACTION;
    if (t >= 0) {
        if (t > max_digits) return KN_NUM_RANGE;
        if (m >= p10[max_digits - t]) return KN_NUM_RANGE;
        m *= p10[t];
    } else {
        if (-t > 38) return KN_NUM_FRACTION;
        kn_u128 f = p10[-t];
        if (m % f != 0) return KN_NUM_FRACTION;
        m /= f;
    }
    if (m >= p10[max_digits]) return KN_NUM_RANGE;
    *out = m;
    return KN_NUM_OK;
}

kn_num_status kn_parse_int(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') {
        neg = true;
        i = 1;
    }
    /* Fast path: up to 18 plain digits cannot overflow a uint64 nor an int64. */
    if (n > i && n - i <= 18 && (s[i] != '0' || n - i == 1)) {
        uint64_t v = 0;
        size_t j = i;
        for (; j < n; j++) {
            unsigned d = (unsigned)(s[j] - '0');
            if (d > 9) break;
            v = v * 10 + d;
        }
        if (j == n) {
            int64_t x = neg ? -(int64_t)v : (int64_t)v;
            if (x < min || x > max) return KN_NUM_RANGE;
            *out = x;
            return KN_NUM_OK;
        }
    }
    kn_num_parts p;
    kn_num_status st = kn_num_split(s, n, &p);
    if (st != KN_NUM_OK) return st;
    kn_u128 m;
    st = parts_to_u128(&p, 0, 20, &m);
    if (st != KN_NUM_OK) return st;
    int64_t x;
    if (p.negative) {
        if (m > (kn_u128)1 << 63) return KN_NUM_RANGE;
        x = m == 0 ? 0 : -(int64_t)(m - 1) - 1;
    } else {
        if (m > (kn_u128)INT64_MAX) return KN_NUM_RANGE;
        x = (int64_t)m;
    }
    if (x < min || x > max) return KN_NUM_RANGE;
    *out = x;
    return KN_NUM_OK;
}

static const int64_t pow10_i64[19] = {1LL,
                                      10LL,
                                      100LL,
                                      1000LL,
                                      10000LL,
                                      100000LL,
                                      1000000LL,
                                      10000000LL,
                                      100000000LL,
                                      1000000000LL,
                                      10000000000LL,
                                      100000000000LL,
                                      1000000000000LL,
                                      10000000000000LL,
                                      100000000000000LL,
                                      1000000000000000LL,
                                      10000000000000000LL,
                                      100000000000000000LL,
                                      1000000000000000000LL};

kn_num_status kn_parse_decimal64(const char *s, size_t n, int precision, int scale, int64_t *out) {
    if (precision < 1 || precision > 18 || scale < 0 || scale > precision) return KN_NUM_RANGE;
    /* Fast path: [-]digits[.digits] with no more fraction digits than the scale, so the result
     * is digits * 10^(scale - frac) with at most 18 digits. */
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t int_start = i;
    uint64_t v = 0;
    while (i < n && is_digit(s[i])) v = v * 10 + (unsigned)(s[i++] - '0');
    size_t ilen = i - int_start;
    if (ilen > 0 && ilen + (size_t)scale <= 18 && (ilen == 1 || s[int_start] != '0')) {
        size_t flen = 0;
        bool ok = true;
        if (i < n && s[i] == '.') {
            size_t fs = ++i;
            while (i < n && is_digit(s[i]) && i - fs < (size_t)scale) v = v * 10 + (unsigned)(s[i++] - '0');
            flen = i - fs;
            ok = flen > 0;
        }
        if (ok && i == n) {
            v *= (uint64_t)pow10_i64[scale - (int)flen];
            if (v >= (uint64_t)pow10_i64[precision]) return KN_NUM_RANGE;
            *out = neg ? -(int64_t)v : (int64_t)v;
            return KN_NUM_OK;
        }
    }
    kn_num_parts p;
    kn_num_status st = kn_num_split(s, n, &p);
    if (st != KN_NUM_OK) return st;
    kn_u128 m;
    st = parts_to_u128(&p, scale, precision, &m);
    if (st != KN_NUM_OK) return st;
    *out = p.negative ? -(int64_t)m : (int64_t)m;
    return KN_NUM_OK;
}

kn_num_status kn_parse_decimal128(const char *s, size_t n, int precision, int scale, kn_i128 *out) {
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return KN_NUM_RANGE;
    kn_num_parts p;
    kn_num_status st = kn_num_split(s, n, &p);
    if (st != KN_NUM_OK) return st;
    kn_u128 m;
    st = parts_to_u128(&p, scale, precision, &m);
    if (st != KN_NUM_OK) return st;
    if (p.negative) m = (kn_u128)0 - m; /* two's complement */
    out->lo = (uint64_t)m;
    out->hi = (int64_t)(uint64_t)(m >> 64);
    return KN_NUM_OK;
}
