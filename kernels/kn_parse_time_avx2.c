/* kernels/kn_parse_time_avx2.c: the AVX2 twin of kn_parse_iso_timestamp_us (kn_parse_time.h).
 *
 * The 27 bytes of YYYY-MM-DDTHH:MM:SS.ffffffZ are two 16-byte loads side by side in one
 * register (bytes 0..15, and 11..26), so one subtract, one minimum and two compares check every
 * digit and every fixed byte at once; one shuffle lines the 20 digits up in pairs and one
 * multiply-add makes each pair's value. What is left (ranges, the day count) is the scalar
 * twin's own arithmetic, so the two agree by construction on what they take; test_kernels
 * compares them on random and edge timestamps. */
#include <immintrin.h>

#include "kn_parse_time.h"

bool kn_parse_iso_timestamp_us_avx2(const char *s, size_t n, int64_t *wall) {
    if (n != 26 && (n != 27 || (s[26] | 0x20) != 'z')) return false;
    char sep = s[10];
    if ((sep | 0x20) != 't' && sep != ' ') return false;
    __m256i x = _mm256_loadu2_m128i((const __m128i *)(s + 11), (const __m128i *)s);
    __m256i t = _mm256_sub_epi8(x, _mm256_set1_epi8('0'));
    uint32_t digit = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(9)), t));
    /* The fixed bytes: '-' at 4 and 7, ':' at 13; then, from byte 11 on, ':' at 16 and '.' at
     * 19 (16 + 5 and 16 + 8 in the register). The rest of the pattern never matches a digit's
     * place that matters. */
    const __m256i pattern = _mm256_setr_epi8(0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 0, 0, 0, ':', 0, 0,
                                             0, 0, 0, 0, 0, ':', 0, 0, '.', 0, 0, 0, 0, 0, 0, 0);
    uint32_t fixed = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, pattern));
    /* Digits: 0-3, 5-6, 8-9, 11-12, 14-15 of the first half; SS (17-18) and the fraction
     * (20-25) at 6-7 and 9-14 of the second. */
    const uint32_t digits = 0xDB6Fu | 0x7EC0u << 16, fixeds = 0x2090u | 0x0120u << 16;
    if (((digit & digits) | (fixed & fixeds)) != (digits | fixeds)) return false;
    /* Pairs: YY YY MM DD HH MM from the first half, SS ff ff ff from the second. */
    const __m256i pairs_at = _mm256_setr_epi8(0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, -1, -1, -1, -1,
                                              6, 7, 9, 10, 11, 12, 13, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i pairs = _mm256_maddubs_epi16(_mm256_shuffle_epi8(t, pairs_at), _mm256_set1_epi16(0x010A));
    uint16_t p[16];
    _mm256_storeu_si256((__m256i *)p, pairs);
    unsigned y = p[0] * 100u + p[1], mo = p[2], d = p[3], hh = p[4], mi = p[5], ss = p[8];
    unsigned micros = p[9] * 10000u + p[10] * 100u + p[11];
    if (mo - 1 > 11 || hh > 23 || mi > 59 || ss > 59 || !kn__day_exists(y, mo, d)) return false;
    *wall = kn__days_from_civil_0_9999(y, mo, d) * 86400000000LL + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000000LL +
            micros;
    return true;
}
