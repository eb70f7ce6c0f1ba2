/* formats/csv/kn_csv_index_avx2.c: the AVX2 twin of stage 1 (the index and the break scan):
 * the masks of 64 bytes from two 32-byte compares per class; the tail is copied into a padded
 * block. */
#include <immintrin.h>
#include <string.h>

#include "kn_csv_index.h"

static inline uint64_t eq64(__m256i lo, __m256i hi, __m256i c) {
    uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c));
    uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c));
    return (uint64_t)a | (uint64_t)b << 32;
}

size_t kn__csv_index_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                          kn__csv_carry *carry, bool *ascii) {
    const __m256i q = _mm256_set1_epi8((char)ch->quote), d = _mm256_set1_epi8((char)ch->delimiter);
    const __m256i e = _mm256_set1_epi8((char)ch->escape), lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0};
    __m256i high = _mm256_setzero_si256();
    size_t n = 0;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        uint64_t valid = ~0ull;
        if (len - at < 64) {
            /* Zero bytes class as nothing (a NUL delimiter is refused by the options check). */
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
            valid = (1ull << (len - at)) - 1;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)b), hi = _mm256_loadu_si256((const __m256i *)(b + 32));
        high = _mm256_or_si256(high, _mm256_or_si256(lo, hi));
        kn__csv_masks m;
        m.quote = quoting ? eq64(lo, hi, q) & valid : 0;
        m.delim = eq64(lo, hi, d) & valid;
        m.nl = (eq64(lo, hi, lf) | eq64(lo, hi, cr)) & valid;
        m.esc = escaping ? eq64(lo, hi, e) & valid : 0;
        m.high = 0;
        n = kn__csv_flatten(kn__csv_block(&m, &c), (uint32_t)at, pos, n);
    }
    *carry = c;
    *ascii = _mm256_movemask_epi8(high) == 0;
    return n;
}

size_t kn__csv_breaks_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop) {
    const __m256i q = _mm256_set1_epi8((char)ch->quote), e = _mm256_set1_epi8((char)ch->escape);
    const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r'), k = _mm256_set1_epi8((char)comment);
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0};
    uint64_t at_start = 1;
    size_t last = 0;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        uint64_t valid = ~0ull;
        if (len - at < 64) {
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
            valid = (1ull << (len - at)) - 1;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)b), hi = _mm256_loadu_si256((const __m256i *)(b + 32));
        kn__csv_masks m;
        m.quote = quoting ? eq64(lo, hi, q) & valid : 0;
        m.delim = 0;
        m.nl = (eq64(lo, hi, lf) | eq64(lo, hi, cr)) & valid;
        m.esc = escaping ? eq64(lo, hi, e) & valid : 0;
        m.high = 0;
        uint64_t cm = comment ? eq64(lo, hi, k) & valid : 0;
        unsigned sb;
        uint64_t s = kn__csv_breaks_block(&m, cm, &c, &at_start, &sb);
        if (s) last = kn__csv_past_last(s, at);
        if (sb < 64) {
            *stop = at + sb;
            return last;
        }
    }
    *stop = len;
    return last;
}
