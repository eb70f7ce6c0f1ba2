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
#include "kn_parse_words.h"
#include "kn_parse_time.h"
#include "kn_types.h"

/* Bytes past a value's end the parsers may read. */
#define KN__CSV_SLACK 32

/* The timestamp shape's parser: the AVX2 runs define it as the AVX2 twin before including this. */
#ifndef KN__CSV_TS_SHAPE
#define KN__CSV_TS_SHAPE kn_parse_iso_timestamp_us
#endif

/* Stores the value of s[0..n) (n >= 1) for kind k (a fixed-width kind) of a column of type t at
 * values[at]. `limit` is 10^precision for decimals. Inline with k constant, each column loop
 * compiles to one parser. */
static inline __attribute__((always_inline)) bool kn__csv_take(kn__csv_fast k, kn_type t, uint64_t limit, const char *s,
                                                              size_t n, void *values, size_t at) {
    switch (k) {
    case KN__CSV_I64: return kn_parse_int_words(s, n, INT64_MIN, INT64_MAX, (int64_t *)values + at);
    case KN__CSV_I32: {
        int64_t v;
        if (!kn_parse_int_words(s, n, INT32_MIN, INT32_MAX, &v)) return false;
        ((int32_t *)values)[at] = (int32_t)v;
        return true;
    }
    case KN__CSV_DEC64: return kn_parse_decimal_words(s, n, t.scale, limit, (int64_t *)values + at);
    case KN__CSV_F64: return kn_parse_double_words(s, n, (double *)values + at);
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
        uint64_t v = kn_word_load((const char *)p + k) ^ cc;
        uint64_t z = (v - ones) & ~v & highs;
        if (n - k < 8) z &= (1ull << (8 * (n - k))) - 1;
        hit |= z;
    }
    return hit != 0;
}

#endif
