/* formats/ndjson/kn_ndjson_index_avx512.c: the AVX-512 twin of stage 1 (see kn_ndjson_index.h).
 *
 * The AVX2 twin's method (kn_ndjson_index_avx2.c) on whole 64-byte vectors: one load per block
 * (a masked load for the last, padded with spaces, instead of a copy), class masks straight
 * from byte tests into mask registers instead of movemask pairs, and the token positions
 * written sixteen at a time by a compress (vpcompressd) instead of eight through a table: the
 * flattening of positions was half of the AVX2 twin's time. The per-block bit arithmetic is
 * shared (kn_ndjson_index_simd.h), and blocks with a line feed inside a string go to the same
 * byte machine, so the index is the scalar twin's, bit for bit. Needs AVX512F and AVX512BW. */
#include "kn_ndjson_index.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "kn_ndjson_index_simd.h"

/* Appends base + the position of every set bit of `bits` to pos[n..]: four compresses of 16
 * lanes, each stored whole (the junk past the count lands where the next store or the slack
 * of kn__ndjson_index_bound goes). */
static inline size_t flatten(uint32_t *pos, size_t n, uint32_t base, uint64_t bits) {
    __m512i at = _mm512_add_epi32(_mm512_set1_epi32((int)base),
                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i sixteen = _mm512_set1_epi32(16);
    for (unsigned k = 0; k < 4; k++) {
        __mmask16 m = (__mmask16)(bits >> (16 * k));
        _mm512_storeu_si512(pos + n, _mm512_maskz_compress_epi32(m, at));
        n += (size_t)__builtin_popcount(m);
        at = _mm512_add_epi32(at, sixteen);
    }
    return n;
}

size_t kn__ndjson_index_avx512(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs_words, bool *ascii) {
    memset(bs_words, 0, kn__ndjson_bs_words(len) * sizeof *bs_words);
    size_t n = 0;
    kn__block_carries carry = {0, 0, 0};
    __m512i high = _mm512_setzero_si512(); /* the OR of every byte: its top bits say non-ASCII */
    const __m512i lo_table = _mm512_broadcast_i32x4(_mm_setr_epi8(KN__CLASS_LO));
    const __m512i hi_table = _mm512_broadcast_i32x4(_mm_setr_epi8(KN__CLASS_HI));
    const __m512i x0f = _mm512_set1_epi8(0x0F), x1f = _mm512_set1_epi8(0x1F), spaces = _mm512_set1_epi8(' ');
    for (size_t off = 0; off < len; off += 64) {
        size_t avail = len - off;
        /* The last block: bytes past the end read as spaces (whitespace makes no tokens); a
         * masked load touches no byte outside the mask. */
        __m512i v = __builtin_expect(avail < 64, 0) ? _mm512_mask_loadu_epi8(spaces, (__mmask64)((1ull << avail) - 1), buf + off)
                                                     : _mm512_loadu_si512(buf + off);
        high = _mm512_or_si512(high, v);
        __m512i nib_lo = _mm512_and_si512(v, x0f), nib_hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), x0f);
        __m512i cl = _mm512_and_si512(_mm512_shuffle_epi8(lo_table, nib_lo), _mm512_shuffle_epi8(hi_table, nib_hi));
        kn__block_masks m = {
            .bs = _mm512_test_epi8_mask(cl, _mm512_set1_epi8((char)0x80)),
            .quote = _mm512_test_epi8_mask(cl, _mm512_set1_epi8(0x40)),
            .lf = _mm512_test_epi8_mask(cl, _mm512_set1_epi8(0x20)),
            /* Brackets, separators, whitespace and LF (bits 0-5) end an atom outside strings. */
            .ends = _mm512_test_epi8_mask(cl, _mm512_set1_epi8(0x3F)),
            .brackets = _mm512_test_epi8_mask(cl, _mm512_set1_epi8(0x01)),
            .ctrl = _mm512_cmple_epu8_mask(v, x1f),
        };
        uint64_t tokens;
        if (kn__block_step(&m, &carry, buf, off, avail, bs_words, pos, &n, &tokens))
            n = flatten(pos, n, (uint32_t)off, tokens);
    }
    *ascii = _mm512_movepi8_mask(high) == 0;
    return n;
}
#else
size_t kn__ndjson_index_avx512(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii) {
    return kn__ndjson_index_scalar(buf, len, pos, bs, ascii);
}
#endif
