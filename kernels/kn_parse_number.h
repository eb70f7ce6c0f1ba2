/* kernels/kn_parse_number.h: numbers written as text (the JSON grammar of RFC 8259) parsed into
 * int32/int64, decimals and float64, exactly.
 *
 * Pure functions: no I/O, no allocation, no locale. Inputs are (pointer, length) and need not
 * be NUL-terminated; every function reads only the bytes it is given.
 *
 * Exactness rules (the reader's contract with its users):
 *   - integers: a value with a fraction or exponent is accepted only when it is integral
 *     ("1.0", "2e3"); anything else is KN_NUM_FRACTION.
 *   - decimals keep the digits as written: "12.3" in decimal(12,2) is unscaled 1230. More
 *     fraction digits than the scale are refused (KN_NUM_FRACTION) rather than rounded, except
 *     trailing zeros, which lose nothing ("1.230" fits scale 2).
 *   - float64 is correctly rounded (round-half-even), like strtod in the C locale. */
#ifndef KN_PARSE_NUMBER_H
#define KN_PARSE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_types.h"

typedef enum kn_num_status {
    KN_NUM_OK = 0,
    KN_NUM_SYNTAX,   /* not a number in the JSON grammar */
    KN_NUM_RANGE,    /* a number, but too large (or too precise) for the target */
    KN_NUM_FRACTION  /* has fraction digits the target cannot keep (integer or decimal scale) */
} kn_num_status;

/* A number split into its parts; the pointers point into the parsed text. */
typedef struct kn_num_parts {
    bool negative;
    const char *int_digits;  /* at least one digit */
    size_t int_len;
    const char *frac_digits; /* NULL when there is no '.' */
    size_t frac_len;
    int64_t exp;             /* the written exponent, clamped to +-1e9; 0 when absent */
    bool has_exp;
} kn_num_parts;

/* Checks the JSON number grammar -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? over all of
 * s[0..n) and fills `out`. */
kn_num_status kn_num_split(const char *s, size_t n, kn_num_parts *out);

/* True when s[0..n) is exactly one JSON number. */
static inline bool kn_num_is_json(const char *s, size_t n) {
    kn_num_parts p;
    return kn_num_split(s, n, &p) == KN_NUM_OK;
}

/* An integer in [min, max]. Fast for plain digit strings; integral decimals are accepted. */
kn_num_status kn_parse_int(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* A decimal(precision, scale) value as its unscaled integer. `precision` 1..38, `scale` <=
 * precision. The 64-bit form needs precision <= 18. */
kn_num_status kn_parse_decimal64(const char *s, size_t n, int precision, int scale, int64_t *out);
kn_num_status kn_parse_decimal128(const char *s, size_t n, int precision, int scale, kn_i128 *out);

/* Header-inlined fast paths for the common shapes (plain digits; [-]digits[.digits] within the
 * scale), falling back to the functions above for everything else. Same results. */
static inline kn_num_status kn_parse_int_inline(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    size_t i = n && s[0] == '-';
    if (n > i && n - i <= 18 && (s[i] != '0' || n - i == 1)) {
        uint64_t v = 0;
        size_t j = i;
        for (; j < n; j++) {
            unsigned d = (unsigned)(s[j] - '0');
            if (d > 9) break;
            v = v * 10 + d;
        }
        if (j == n) {
            int64_t x = i ? -(int64_t)v : (int64_t)v;
            if (x < min || x > max) return KN_NUM_RANGE;
            *out = x;
            return KN_NUM_OK;
        }
    }
    return kn_parse_int(s, n, min, max, out);
}

static inline kn_num_status kn_parse_decimal64_inline(const char *s, size_t n, int precision, int scale, int64_t *out) {
    static const uint64_t p10[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                     100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
                                     10000000000000ull, 100000000000000ull, 1000000000000000ull,
                                     10000000000000000ull, 100000000000000000ull, 1000000000000000000ull};
    size_t i = n && s[0] == '-', start = i;
    uint64_t v = 0;
    while (i < n && (unsigned)(s[i] - '0') < 10) v = v * 10 + (unsigned)(s[i++] - '0');
    size_t ilen = i - start;
    if (ilen && ilen + (size_t)scale <= 18 && (ilen == 1 || s[start] != '0') && precision <= 18) {
        size_t flen = 0;
        if (i < n && s[i] == '.') {
            size_t fs = ++i;
            while (i < n && (unsigned)(s[i] - '0') < 10) v = v * 10 + (unsigned)(s[i++] - '0');
            flen = i - fs;
        }
        if (i == n && (flen || s[n - 1] != '.') && flen <= (size_t)scale) {
            v *= p10[scale - (int)flen];
            if (v >= p10[precision]) return KN_NUM_RANGE;
            *out = start ? -(int64_t)v : (int64_t)v;
            return KN_NUM_OK;
        }
    }
    return kn_parse_decimal64(s, n, precision, scale, out);
}

/* A correctly rounded double. */
kn_num_status kn_parse_double(const char *s, size_t n, double *out);

/* Inline fast path for [-]digits[.digits] with at most 15 digits in all (exact in a double, and
 * one correctly rounded division by an exact power of ten); everything else goes to
 * kn_parse_double. */
static inline kn_num_status kn_parse_double_inline(const char *s, size_t n, double *out) {
    static const double p10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = n && s[0] == '-', start = i;
    uint64_t v = 0;
    while (i < n && (unsigned)(s[i] - '0') < 10) v = v * 10 + (unsigned)(s[i++] - '0');
    size_t ilen = i - start, flen = 0;
    if (ilen && (ilen == 1 || s[start] != '0') && i < n && s[i] == '.') {
        size_t fs = ++i;
        while (i < n && (unsigned)(s[i] - '0') < 10) v = v * 10 + (unsigned)(s[i++] - '0');
        flen = i - fs;
        if (i == n && flen && ilen + flen <= 15) {
            double d = (double)v / p10[flen];
            *out = start ? -d : d;
            return KN_NUM_OK;
        }
    }
    return kn_parse_double(s, n, out);
}

/* ---- word-at-a-time forms for short numbers ------------------------------------------------
 * Prices and quantities are mostly 1 to 8 characters, ids up to 16 digits. A loop over their
 * digits ends at a different count from one value to the next, and the mispredicted exit
 * costs more than the parse; these read the number as one 8-byte word (an integer of 9 to 16
 * digits as two) instead. They need s[0..n + 8) readable (the bytes past n are ignored) and
 * give exactly the results of the functions above, to which they hand everything but these
 * shapes. */

/* Per byte of x: zero when it is an ASCII digit, nonzero (in the high nibble) otherwise. Adding
 * 6 to a byte of 0xFA or more carries into the next byte, but such a byte is nonzero here
 * already, and only the first nonzero byte is ever used. */
static inline uint64_t kn__swar_nondigits(uint64_t x) {
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull;
    return ((x & hi) ^ threes) | (((x + 0x0606060606060606ull) & hi) ^ threes);
}

/* The value of the first `len` (1..8) bytes of x, all ASCII digits, first byte most
 * significant: shifted up so missing digits read as leading zeros, then pairs, quads and
 * octets are combined by three multiplies. */
static inline uint64_t kn__swar_digits_value(uint64_t x, size_t len) {
    x <<= 8 * (8 - len);
    x = ((x & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;
    x = ((x & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
    return ((x & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

/* s[0..m), m 1..8 (8 bytes readable), as digits[.digits] in the JSON grammar (no leading zero
 * in a longer integer part, a digit on each side of a dot): its digits' value with the dot
 * left out, and how many follow the dot. False for any other text. */
static inline bool kn__swar_short_number(const char *s, size_t m, uint64_t *value, size_t *frac_len) {
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t keep = m == 8 ? ~0ull : (1ull << (8 * m)) - 1;
    uint64_t nd = kn__swar_nondigits(x) & keep;
    size_t i = nd ? (size_t)__builtin_ctzll(nd) / 8 : m; /* length of the integer part */
    if (i == 0 || (i > 1 && s[0] == '0')) return false;
    if (i == m) {
        *value = kn__swar_digits_value(x, m);
        *frac_len = 0;
        return true;
    }
    /* One dot, then at least one digit and nothing else. */
    if (s[i] != '.' || i + 1 == m || (nd & ~(0xFFull << (8 * i))) != 0) return false;
    uint64_t low = (1ull << (8 * i)) - 1;
    *value = kn__swar_digits_value((x & low) | ((x >> 8) & ~low), m - 1);
    *frac_len = m - 1 - i;
    return true;
}

/* s[0..m), m 9..16 (16 bytes readable), as 9 to 16 digits with no leading zero (ids, mostly):
 * the first 8 and the rest as two words. */
static inline bool kn__swar_long_digits(const char *s, size_t m, uint64_t *value) {
    static const uint64_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    uint64_t hi, lo;
    memcpy(&hi, s, 8);
    memcpy(&lo, s + 8, 8);
    size_t rest = m - 8;
    uint64_t keep = rest == 8 ? ~0ull : (1ull << (8 * rest)) - 1;
    if (s[0] == '0' || kn__swar_nondigits(hi) != 0 || (kn__swar_nondigits(lo) & keep) != 0) return false;
    *value = kn__swar_digits_value(hi, 8) * p10[rest] + kn__swar_digits_value(lo, rest);
    return true;
}

static inline kn_num_status kn_parse_int_wide(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    size_t neg = n && s[0] == '-', m = n - neg;
    uint64_t v;
    size_t f;
    /* Up to 16 digits stay below 2^63, so the sign and the range check cannot overflow; for 9
     * or more, the 16 bytes read from s + neg lie within s[0..n + 8). */
    if (m >= 1 && ((m <= 8 && kn__swar_short_number(s + neg, m, &v, &f) && f == 0) ||
                   (m > 8 && m <= 16 && kn__swar_long_digits(s + neg, m, &v)))) {
        int64_t x = neg ? -(int64_t)v : (int64_t)v;
        if (x >= min && x <= max) {
            *out = x;
            return KN_NUM_OK;
        }
    }
    return kn_parse_int_inline(s, n, min, max, out);
}

static inline kn_num_status kn_parse_decimal64_wide(const char *s, size_t n, int precision, int scale, int64_t *out) {
    static const uint64_t p10[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                     100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
                                     10000000000000ull, 100000000000000ull, 1000000000000000ull,
                                     10000000000000000ull, 100000000000000000ull, 1000000000000000000ull};
    size_t neg = n && s[0] == '-';
    uint64_t v;
    size_t f;
    /* At most 8 digits times 10^(scale - f) stays below 10^18 when scale <= 10. */
    if (n - neg >= 1 && n - neg <= 8 && precision >= 1 && precision <= 18 && scale >= 0 && scale <= 10 &&
        scale <= precision &&
        kn__swar_short_number(s + neg, n - neg, &v, &f) && f <= (size_t)scale) {
        v *= p10[scale - (int)f];
        if (v < p10[precision]) {
            *out = neg ? -(int64_t)v : (int64_t)v;
            return KN_NUM_OK;
        }
    }
    return kn_parse_decimal64_inline(s, n, precision, scale, out);
}

static inline kn_num_status kn_parse_double_wide(const char *s, size_t n, double *out) {
    static const double p10[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    size_t neg = n && s[0] == '-';
    uint64_t v;
    size_t f;
    /* At most 8 digits are exact in a double, and so is 10^f: one division rounds correctly,
     * as in kn_parse_double_inline. */
    if (n - neg >= 1 && n - neg <= 8 && kn__swar_short_number(s + neg, n - neg, &v, &f)) {
        double d = (double)v / p10[f];
        *out = neg ? -d : d;
        return KN_NUM_OK;
    }
    return kn_parse_double_inline(s, n, out);
}

/* kn_parse_double: finite results only: a value beyond the float64 range is KN_NUM_RANGE; one
 * below the smallest subnormal becomes (signed) zero. */

#endif
