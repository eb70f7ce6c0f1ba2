/* formats/xml/kn_xml_scan_avx2.c: the AVX2 twin of the text scan (kn_xml_internal.h): 32 bytes
 * a step, each byte classified by its two nibbles (two table lookups, as simdjson classifies
 * its structural characters); the tail goes to the scalar twin. */
#include <immintrin.h>

#include "kn_xml_internal.h"

/* A byte stops the scan when lo[its low nibble] & hi[its high nibble] is not 0. Bit 0: 0x00 to
 * 0x0f but tab and LF; bit 1: 0x10 to 0x1f; bit 2: '&' (0x26); bit 3: '<' (0x3c); bit 4: ']'
 * (0x5d). Bytes from 0x80 have a high nibble whose entry is 0. */
#define LO_TABLE 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x03, 0x03, 0x02, 0x02, 0x03, 0x0B, 0x13, 0x03, 0x03
#define HI_TABLE 0x01, 0x02, 0x04, 0x08, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00

size_t kn__xml_text_stop_avx2(const uint8_t *s, size_t n) {
    const __m256i lo = _mm256_setr_epi8(LO_TABLE, LO_TABLE), hi = _mm256_setr_epi8(HI_TABLE, HI_TABLE);
    const __m256i nib = _mm256_set1_epi8(0x0F);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib));
        __m256i h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
        __m256i hit = _mm256_and_si256(l, h);
        uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
        if (m) return i + (size_t)__builtin_ctz(m);
    }
    return i + kn__xml_text_stop_scalar(s + i, n - i);
}
