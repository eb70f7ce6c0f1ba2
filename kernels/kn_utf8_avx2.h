/* kernels/kn_utf8_avx2.h (internal): the AVX2 validator's check of one 32-byte block, for
 * kn_utf8_avx2.c and for scanners that validate as they go (the CSV structural index), so that
 * both give kn_utf8_validate's answer by the same steps. Include only from files compiled with
 * -mavx2. */
#ifndef KN_UTF8_AVX2_H
#define KN_UTF8_AVX2_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_utf8.h"

/* The error bits of the pair tables. */
enum {
    KN__UTF8_TOO_SHORT = 0x01,  /* a lead byte followed by no continuation byte */
    KN__UTF8_TOO_LONG = 0x02,   /* an ASCII byte followed by a continuation byte */
    KN__UTF8_OVERLONG_3 = 0x04, /* E0 followed by 80..9F */
    KN__UTF8_TOO_LARGE = 0x08,  /* F4 followed by 90..BF, or F5..FF followed by 90..BF: past U+10FFFF */
    KN__UTF8_SURROGATE = 0x10,  /* ED followed by A0..BF */
    KN__UTF8_OVERLONG_2 = 0x20, /* C0 or C1 followed by a continuation byte */
    KN__UTF8_TOO_LARGE_1000 = 0x40, /* F5..FF followed by 80..8F */
    KN__UTF8_OVERLONG_4 = 0x40, /* F0 followed by 80..8F (shares a bit: both need an F lead) */
    KN__UTF8_TWO_CONTS = 0x80,  /* a continuation after a continuation: an error unless it is a third or
                        * fourth byte, which the lead check below expects */
    KN__UTF8_CARRY = KN__UTF8_TOO_SHORT | KN__UTF8_TOO_LONG | KN__UTF8_TWO_CONTS /* errors the previous byte's low nibble cannot rule out */
};

static inline __m256i kn__utf8_table(const uint8_t t[16]) {
    __m128i x = _mm_loadu_si128((const __m128i *)t);
    return _mm256_broadcastsi128_si256(x);
}

/* The bytes of `in` shifted back by k (1..3) positions, the gap filled from the end of `prev`. */
#define KN__UTF8_SHIFTED(in, prev, k) _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21), 16 - (k))

/* Nonzero bytes where block `in` (after block `prev`) holds an error. */
static inline __m256i kn__utf8_errors_avx2(__m256i in, __m256i prev) {
    static const uint8_t prev_high[16] = {KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG, KN__UTF8_TOO_LONG,
                                       KN__UTF8_TWO_CONTS, KN__UTF8_TWO_CONTS, KN__UTF8_TWO_CONTS, KN__UTF8_TWO_CONTS,
                                       KN__UTF8_TOO_SHORT | KN__UTF8_OVERLONG_2,
                                       KN__UTF8_TOO_SHORT,
                                       KN__UTF8_TOO_SHORT | KN__UTF8_OVERLONG_3 | KN__UTF8_SURROGATE,
                                       KN__UTF8_TOO_SHORT | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000 | KN__UTF8_OVERLONG_4};
    static const uint8_t prev_low[16] = {(KN__UTF8_CARRY | KN__UTF8_OVERLONG_3 | KN__UTF8_OVERLONG_2 | KN__UTF8_OVERLONG_4),
                                      (KN__UTF8_CARRY | KN__UTF8_OVERLONG_2),
                                      KN__UTF8_CARRY,
                                      KN__UTF8_CARRY,
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000 | KN__UTF8_SURROGATE),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000),
                                      (KN__UTF8_CARRY | KN__UTF8_TOO_LARGE | KN__UTF8_TOO_LARGE_1000)};
    static const uint8_t cur_high[16] = {KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT,
                                      (KN__UTF8_TOO_LONG | KN__UTF8_OVERLONG_2 | KN__UTF8_TWO_CONTS | KN__UTF8_OVERLONG_3 | KN__UTF8_TOO_LARGE_1000 | KN__UTF8_OVERLONG_4),
                                      (KN__UTF8_TOO_LONG | KN__UTF8_OVERLONG_2 | KN__UTF8_TWO_CONTS | KN__UTF8_OVERLONG_3 | KN__UTF8_TOO_LARGE),
                                      (KN__UTF8_TOO_LONG | KN__UTF8_OVERLONG_2 | KN__UTF8_TWO_CONTS | KN__UTF8_SURROGATE | KN__UTF8_TOO_LARGE),
                                      (KN__UTF8_TOO_LONG | KN__UTF8_OVERLONG_2 | KN__UTF8_TWO_CONTS | KN__UTF8_SURROGATE | KN__UTF8_TOO_LARGE),
                                      KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT, KN__UTF8_TOO_SHORT};
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i prev1 = KN__UTF8_SHIFTED(in, prev, 1);
    __m256i pairs = _mm256_and_si256(
        _mm256_and_si256(_mm256_shuffle_epi8(kn__utf8_table(prev_high), _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4)),
                         _mm256_shuffle_epi8(kn__utf8_table(prev_low), _mm256_and_si256(prev1, low4))),
        _mm256_shuffle_epi8(kn__utf8_table(cur_high), _mm256_and_si256(_mm256_srli_epi16(in, 4), low4)));
    /* A byte two after a 3- or 4-byte lead (E0..FF), or three after a 4-byte lead (F0..FF),
     * must be a continuation: exactly where KN__UTF8_TWO_CONTS is expected. Saturating subtraction sets
     * the top bit just for leads at or above the bound. */
    __m256i third = _mm256_subs_epu8(KN__UTF8_SHIFTED(in, prev, 2), _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i fourth = _mm256_subs_epu8(KN__UTF8_SHIFTED(in, prev, 3), _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i expected = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(pairs, expected);
}

/* The scalar twin's answer, run from the start of the sequence holding byte `at` (at most 3
 * bytes back: everything before that start has passed the vector check). */
static inline size_t kn__utf8_first_error_near(const uint8_t *s, size_t n, size_t at) {
    size_t j = at >= 3 ? at - 3 : 0;
    while (j < at && j < n && (s[j] & 0xC0) == 0x80) j++;
    return j + kn_utf8_validate_scalar(s + j, n - j);
}

#endif
