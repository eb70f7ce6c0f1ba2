/* kernels/kn_parse_words.h: the number shapes data files hold most, read a word at a time: at
 * most 16 digits as an integer, and short decimals ([-]digits[.digits], 8 bytes at most without
 * the sign) as a decimal or a double. Each gives exactly what kn_cast_text gives for the text it
 * takes, and says no, writing nothing, to any other text, which then goes the general way.
 * They read whole words: s[0..n + KN_PARSE_WORDS_SLACK) must be readable, whatever the bytes
 * after the value are. Readers call them where the data goes on far enough (CSV fields, XML
 * leaves). */
#ifndef KN_PARSE_WORDS_H
#define KN_PARSE_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes past a value's end the parsers may read. */
#define KN_PARSE_WORDS_SLACK 16

static inline uint64_t kn_word_load(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

/* Per byte of t (text XOR '0', so digits are 0..9): a nonzero high nibble unless the byte was
 * an ASCII digit. Adding 6 carries out of a byte only when it is 0xFA or more, which fails
 * already, so a carry never hides a non-digit. */
static inline uint64_t kn_word_nondigits(uint64_t t) {
    return (t | (t + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull;
}

/* The value of eight digit bytes (0..9 each, the first the most significant): pairs, quads and
 * the octet by three multiplies (no byte, lane or half overflows on the way). */
static inline uint64_t kn_word_digits8(uint64_t t) {
    t = (t * 2561) >> 8;
    t = ((t & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
    return ((t & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

static const uint64_t kn_pow10_u64[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                                         10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
                                         100000000000ull, 1000000000000ull, 10000000000000ull,
                                         100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                         100000000000000000ull, 1000000000000000000ull};

/* [-]digits, 1 to 16 of them, into [min, max]. Leading zeros are taken: kn_cast drops them too,
 * so "007" is 7 either way. */
static inline bool kn_parse_int_words(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    const uint64_t zeros = 0x3030303030303030ull;
    size_t neg = s[0] == '-', m = n - neg;
    if (m - 1 > 15) return false;
    uint64_t lo = kn_word_load(s + neg) ^ zeros, v;
    if (m <= 8) {
        /* Shifted up so the digits end at the top: the bytes shifted in read as leading zeros. */
        lo <<= 64 - 8 * m;
        if (kn_word_nondigits(lo)) return false;
        v = kn_word_digits8(lo);
    } else {
        uint64_t hi = (kn_word_load(s + neg + 8) ^ zeros) << (128 - 8 * m);
        if (kn_word_nondigits(lo) | kn_word_nondigits(hi)) return false;
        v = kn_word_digits8(lo) * kn_pow10_u64[m - 8] + kn_word_digits8(hi);
    }
    int64_t x = neg ? -(int64_t)v : (int64_t)v;
    if (x < min || x > max) return false;
    *out = x;
    return true;
}

/* [-]digits[.digits], at most 8 bytes without the sign and a digit on each side of a dot: the
 * digits' value with the dot left out (*digits of them, *frac after the dot). */
static inline bool kn_parse_short_decimal_words(const char *s, size_t n, bool *neg, uint64_t *value, size_t *frac) {
    size_t g = s[0] == '-', m = n - g;
    if (m - 1 > 7) return false;
    uint64_t x = kn_word_load(s + g) ^ 0x3030303030303030ull;
    uint64_t nd = kn_word_nondigits(x) & (~0ull >> (64 - 8 * m));
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
    *value = kn_word_digits8(x << (64 - 8 * d));
    *frac = f;
    return true;
}

/* A decimal(precision <= 18, scale) as its unscaled value. More fraction digits than the scale
 * (even zeros, which kn_cast drops) and values past 10^18 go the general way. */
static inline bool kn_parse_decimal_words(const char *s, size_t n, unsigned scale, uint64_t limit, int64_t *out) {
    bool neg;
    uint64_t v;
    size_t f;
    if (!kn_parse_short_decimal_words(s, n, &neg, &v, &f) || f > scale || scale - f > 10) return false;
    v *= kn_pow10_u64[scale - f];
    if (v >= limit) return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* A double from at most 8 digits: exact, and so is 10^f, so one division rounds correctly, as
 * kn_parse_double does. */
static inline bool kn_parse_double_words(const char *s, size_t n, double *out) {
    static const double p10[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    bool neg;
    uint64_t v;
    size_t f;
    if (!kn_parse_short_decimal_words(s, n, &neg, &v, &f)) return false;
    double d = (double)v / p10[f];
    *out = neg ? -d : d;
    return true;
}

#endif
