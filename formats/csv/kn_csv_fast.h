/* formats/csv/kn_csv_fast.h (internal): the fast kinds' parsers: one unquoted, non-empty field's
 * text into its typed slot without kn_cast. Each stores exactly what kn_cast_text gives for the
 * text it takes, and says no, storing nothing, to any other text, which then goes the general
 * way (faults and their words included). They read whole words: s[0..n + KN__CSV_SLACK) must be
 * readable, whatever the bytes after the field are. */
#ifndef KN_CSV_FAST_H
#define KN_CSV_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_csv_stage2.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"
#include "kn_types.h"

/* Bytes past a value's end the parsers may read. */
#define KN__CSV_SLACK 32

/* The timestamp shape's parser: the AVX2 runs define it as the AVX2 twin before including this. */
#ifndef KN__CSV_TS_SHAPE
#define KN__CSV_TS_SHAPE kn_parse_iso_timestamp_us
#endif

static inline uint64_t kn__csv_word(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

/* Per byte of t (text XOR '0', so digits are 0..9): a nonzero high nibble unless the byte was
 * an ASCII digit. Adding 6 carries out of a byte only when it is 0xFA or more, which fails
 * already, so a carry never hides a non-digit. */
static inline uint64_t kn__csv_nondigits(uint64_t t) {
    return (t | (t + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull;
}

/* The value of eight digit bytes (0..9 each, the first the most significant): pairs, quads and
 * the octet by three multiplies (no byte, lane or half overflows on the way). */
static inline uint64_t kn__csv_digits8(uint64_t t) {
    t = (t * 2561) >> 8;
    t = ((t & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
    return ((t & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

static const uint64_t kn__csv_p10[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                                         10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
                                         100000000000ull, 1000000000000ull, 10000000000000ull,
                                         100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                         100000000000000000ull, 1000000000000000000ull};

/* [-]digits, 1 to 16 of them, into [min, max]. Leading zeros are taken: kn_cast drops them too,
 * so "007" is 7 either way. */
static inline bool kn__csv_int(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    const uint64_t zeros = 0x3030303030303030ull;
    size_t neg = s[0] == '-', m = n - neg;
    if (m - 1 > 15) return false;
    uint64_t lo = kn__csv_word(s + neg) ^ zeros, v;
    if (m <= 8) {
        /* Shifted up so the digits end at the top: the bytes shifted in read as leading zeros. */
        lo <<= 64 - 8 * m;
        if (kn__csv_nondigits(lo)) return false;
        v = kn__csv_digits8(lo);
    } else {
        uint64_t hi = (kn__csv_word(s + neg + 8) ^ zeros) << (128 - 8 * m);
        if (kn__csv_nondigits(lo) | kn__csv_nondigits(hi)) return false;
        v = kn__csv_digits8(lo) * kn__csv_p10[m - 8] + kn__csv_digits8(hi);
    }
    int64_t x = neg ? -(int64_t)v : (int64_t)v;
    if (x < min || x > max) return false;
    *out = x;
    return true;
}

/* [-]digits[.digits], at most 8 bytes without the sign and a digit on each side of a dot: the
 * digits' value with the dot left out (*digits of them, *frac after the dot). */
static inline bool kn__csv_short_decimal(const char *s, size_t n, bool *neg, uint64_t *value, size_t *frac) {
    size_t g = s[0] == '-', m = n - g;
    if (m - 1 > 7) return false;
    uint64_t x = kn__csv_word(s + g) ^ 0x3030303030303030ull;
    uint64_t nd = kn__csv_nondigits(x) & (~0ull >> (64 - 8 * m));
    size_t d = m, f = 0;
    if (nd) {
        /* The first non-digit must be the only one, a dot, with digits on both sides. */
        unsigned i = (unsigned)__builtin_ctzll(nd) >> 3;
        if (i == 0 || i + 1 >= m || ((x >> (8 * i)) & 0xFF) != ('.' ^ '0') || (nd & ~(0xF0ull << (8 * i))))
            return false;
        uint64_t low = (1ull << (8 * i)) - 1;
        x = (x & low) | ((x >> 8) & ~low);
        d = m - 1;
        f = d - i;
    }
    *neg = g;
    *value = kn__csv_digits8(x << (64 - 8 * d));
    *frac = f;
    return true;
}

/* A decimal(precision <= 18, scale) as its unscaled value. More fraction digits than the scale
 * (even zeros, which kn_cast drops) and values past 10^18 go the general way. */
static inline bool kn__csv_decimal(const char *s, size_t n, unsigned scale, uint64_t limit, int64_t *out) {
    bool neg;
    uint64_t v;
    size_t f;
    if (!kn__csv_short_decimal(s, n, &neg, &v, &f) || f > scale || scale - f > 10) return false;
    v *= kn__csv_p10[scale - f];
    if (v >= limit) return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* A double from at most 8 digits: exact, and so is 10^f, so one division rounds correctly, as
 * kn_parse_double does. */
static inline bool kn__csv_double(const char *s, size_t n, double *out) {
    static const double p10[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    bool neg;
    uint64_t v;
    size_t f;
    if (!kn__csv_short_decimal(s, n, &neg, &v, &f)) return false;
    double d = (double)v / p10[f];
    *out = neg ? -d : d;
    return true;
}

/* Stores the value of s[0..n) (n >= 1) for kind k (a fixed-width kind) of a column of type t at
 * values[at]. `limit` is 10^precision for decimals. Inline with k constant, each column loop
 * compiles to one parser. */
static inline __attribute__((always_inline)) bool kn__csv_take(kn__csv_fast k, kn_type t, uint64_t limit, const char *s,
                                                              size_t n, void *values, size_t at) {
    switch (k) {
    case KN__CSV_I64: return kn__csv_int(s, n, INT64_MIN, INT64_MAX, (int64_t *)values + at);
    case KN__CSV_I32: {
        int64_t v;
        if (!kn__csv_int(s, n, INT32_MIN, INT32_MAX, &v)) return false;
        ((int32_t *)values)[at] = (int32_t)v;
        return true;
    }
    case KN__CSV_DEC64: return kn__csv_decimal(s, n, t.scale, limit, (int64_t *)values + at);
    case KN__CSV_F64: return kn__csv_double(s, n, (double *)values + at);
    case KN__CSV_TS: {
        int64_t v;
        if (!KN__CSV_TS_SHAPE(s, n, &v)) {
            kn_time_value tv;
            if (kn_parse_iso_timestamp(s, n, true, &tv) != KN_TIME_OK) return false;
            v = tv.wall_micros;
            if (t.utc && tv.has_offset) v -= (int64_t)tv.offset_seconds * 1000000;
        }
        ((int64_t *)values)[at] = v;
        return true;
    }
    case KN__CSV_BOOL: {
        /* The spellings exports use most; the others go the general way. */
        uint32_t w;
        memcpy(&w, s, 4);
        uint8_t v;
        if (n == 4 && w == ('t' | 'r' << 8 | 'u' << 16 | (uint32_t)'e' << 24)) v = 1;
        else if (n == 5 && w == ('f' | 'a' << 8 | 'l' << 16 | (uint32_t)'s' << 24) && s[4] == 'e') v = 0;
        else return false;
        ((uint8_t *)values)[at] = v;
        return true;
    }
    default: return false;
    }
}

/* Whether byte c occurs in p[0..n), n <= 32 (32 bytes readable): the zero-byte test on each
 * word XOR c. Its false positives only sit above a true zero byte, so masking to the first n
 * bytes keeps it exact. */
static inline bool kn__csv_has_byte(const uint8_t *p, size_t n, uint8_t c) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull, cc = ones * c;
    uint64_t hit = 0;
    for (size_t k = 0; k < n; k += 8) {
        uint64_t v = kn__csv_word((const char *)p + k) ^ cc;
        uint64_t z = (v - ones) & ~v & highs;
        if (n - k < 8) z &= (1ull << (8 * (n - k))) - 1;
        hit |= z;
    }
    return hit != 0;
}

#endif
