/* formats/xml/kn_xml_scan_avx2.c: the AVX2 twin of the text scan (kn_xml_internal.h): 32 bytes
 * a step, the stop bytes found by compares; the tail goes to the scalar twin. */
#include <immintrin.h>

#include "kn_xml_internal.h"

size_t kn__xml_text_stop_avx2(const uint8_t *s, size_t n) {
    const __m256i lt = _mm256_set1_epi8('<'), amp = _mm256_set1_epi8('&'), rb = _mm256_set1_epi8(']');
    const __m256i cr = _mm256_set1_epi8('\r'), tab = _mm256_set1_epi8('\t'), lf = _mm256_set1_epi8('\n');
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(s + i));
        /* A control is a byte below 0x20 as unsigned: min(v, 0x1f) == v. */
        __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
        ctl = _mm256_andnot_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, tab), _mm256_cmpeq_epi8(v, lf)), ctl);
        __m256i hit = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, lt), _mm256_cmpeq_epi8(v, amp)),
                                      _mm256_or_si256(_mm256_cmpeq_epi8(v, rb), _mm256_cmpeq_epi8(v, cr)));
        hit = _mm256_or_si256(hit, ctl);
        uint32_t m = (uint32_t)_mm256_movemask_epi8(hit);
        if (m) return i + (size_t)__builtin_ctz(m);
    }
    return i + kn__xml_text_stop_scalar(s + i, n - i);
}
