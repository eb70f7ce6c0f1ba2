/* kernels/kn_utf8_avx2.c: the AVX2 twin of kn_utf8_validate_scalar.
 *
 * Blocks of 32 bytes that are all ASCII (and follow a block that was) cost one load and one
 * mask test. Any other block is checked whole with vector operations, in the manner of
 * Keiser and Lemire ("Validating UTF-8 in less than one instruction per byte", 2021): every
 * error of RFC 3629 shows in the pair (previous byte, byte) as a combination of three nibbles
 * (the previous byte's high and low nibble, the byte's high nibble), so three 16-entry table
 * lookups, ANDed, flag each kind of error with a bit; and the third and fourth bytes of a
 * sequence, which no pair can judge, are checked against the lead two or three bytes back.
 * Text with non-ASCII letters on every line (names, addresses) thus costs no byte-by-byte
 * walk.
 *
 * The vector check only says whether a block holds an error. To return what the scalar twin
 * returns (the first byte of the first bad sequence), the scalar twin then runs from the
 * start of the sequence that the first flagged block begins in: everything before it has
 * passed, so the answers are the same by construction. */
#include "kn_utf8.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

/* The error bits of the pair tables. */
enum {
    TOO_SHORT = 0x01,  /* a lead byte followed by no continuation byte */
    TOO_LONG = 0x02,   /* an ASCII byte followed by a continuation byte */
    OVERLONG_3 = 0x04, /* E0 followed by 80..9F */
    TOO_LARGE = 0x08,  /* F4 followed by 90..BF, or F5..FF followed by 90..BF: past U+10FFFF */
    SURROGATE = 0x10,  /* ED followed by A0..BF */
    OVERLONG_2 = 0x20, /* C0 or C1 followed by a continuation byte */
    TOO_LARGE_1000 = 0x40, /* F5..FF followed by 80..8F */
    OVERLONG_4 = 0x40, /* F0 followed by 80..8F (shares a bit: both need an F lead) */
    TWO_CONTS = 0x80,  /* a continuation after a continuation: an error unless it is a third or
                        * fourth byte, which the lead check below expects */
    CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS /* errors the previous byte's low nibble cannot rule out */
};

static inline __m256i table(const uint8_t t[16]) {
    __m128i x = _mm_loadu_si128((const __m128i *)t);
    return _mm256_broadcastsi128_si256(x);
}

/* The bytes of `in` shifted back by k (1..3) positions, the gap filled from the end of `prev`. */
#define SHIFTED(in, prev, k) _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21), 16 - (k))

/* Nonzero bytes where block `in` (after block `prev`) holds an error. */
static inline __m256i block_errors(__m256i in, __m256i prev) {
    static const uint8_t prev_high[16] = {TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
                                       TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
                                       TOO_SHORT | OVERLONG_2,
                                       TOO_SHORT,
                                       TOO_SHORT | OVERLONG_3 | SURROGATE,
                                       TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4};
    static const uint8_t prev_low[16] = {(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4),
                                      (CARRY | OVERLONG_2),
                                      CARRY,
                                      CARRY,
                                      (CARRY | TOO_LARGE),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000),
                                      (CARRY | TOO_LARGE | TOO_LARGE_1000)};
    static const uint8_t cur_high[16] = {TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
                                      (TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
                                      (TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
                                      (TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
                                      (TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
                                      TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT};
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i prev1 = SHIFTED(in, prev, 1);
    __m256i pairs = _mm256_and_si256(
        _mm256_and_si256(_mm256_shuffle_epi8(table(prev_high), _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4)),
                         _mm256_shuffle_epi8(table(prev_low), _mm256_and_si256(prev1, low4))),
        _mm256_shuffle_epi8(table(cur_high), _mm256_and_si256(_mm256_srli_epi16(in, 4), low4)));
    /* A byte two after a 3- or 4-byte lead (E0..FF), or three after a 4-byte lead (F0..FF),
     * must be a continuation: exactly where TWO_CONTS is expected. Saturating subtraction sets
     * the top bit just for leads at or above the bound. */
    __m256i third = _mm256_subs_epu8(SHIFTED(in, prev, 2), _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i fourth = _mm256_subs_epu8(SHIFTED(in, prev, 3), _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i expected = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(pairs, expected);
}

/* The scalar twin's answer, run from the start of the sequence holding byte `at` (at most 3
 * bytes back: everything before that start has passed the vector check). */
static size_t first_error_near(const uint8_t *s, size_t n, size_t at) {
    size_t j = at >= 3 ? at - 3 : 0;
    while (j < at && j < n && (s[j] & 0xC0) == 0x80) j++;
    return j + kn_utf8_validate_scalar(s + j, n - j);
}

size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) {
    __m256i prev = _mm256_setzero_si256();
    bool prev_ascii = true;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i in = _mm256_loadu_si256((const __m256i *)(s + i));
        bool ascii = _mm256_movemask_epi8(in) == 0;
        /* After a block with non-ASCII bytes, even an ASCII block is checked: it may cut short
         * a sequence that the block before began. */
        if (!(ascii && prev_ascii)) {
            __m256i errors = block_errors(in, prev);
            if (!_mm256_testz_si256(errors, errors)) return first_error_near(s, n, i);
        }
        prev = in;
        prev_ascii = ascii;
    }
    /* The rest, zero-padded: a zero after an unfinished sequence is an error, so this also
     * catches a sequence cut short by the end of the text (with n a multiple of 32 it is a
     * block of zeros after the last one). */
    uint8_t tail[32] = {0};
    if (n > i) memcpy(tail, s + i, n - i);
    __m256i errors = block_errors(_mm256_loadu_si256((const __m256i *)tail), prev);
    if (!_mm256_testz_si256(errors, errors)) return first_error_near(s, n, i);
    return n;
}
#else
size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) { return kn_utf8_validate_scalar(s, n); }
#endif
