/* formats/ndjson/kn_ndjson_index_avx2.c: the AVX2 twin of stage 1 (see kn_ndjson_index.h).
 *
 * Per 64-byte block: byte-class masks from vector compares; which bytes a backslash escapes,
 * from the runs of backslashes (an odd run escapes the byte after it), with a carry into the
 * next block; the in-string mask as the prefix XOR of the unescaped quotes (one carry-less
 * multiply by all-ones) with the in-string state carried from the previous block. A block
 * where a line feed lands inside a string (only a bad line: raw LF cannot be in a valid
 * string) is redone by the scalar byte machine, which resets at every LF, so the index always
 * equals the scalar twin's.
 *
 * Where the time went (orders bench, ~0.19 tokens per byte, one token per 5 bytes): turning
 * each block's token mask into positions cost as much as all the rest, because a loop over the
 * set bits ends at a different count every block and mispredicts about once per block. So
 * flatten writes eight candidate positions per mask byte from a 256-row table, with no branch
 * at all; and the backslash-run arithmetic is skipped for the blocks (nearly all) that hold no
 * backslash. Together they made stage 1 about 1.7x faster. */
#include "kn_ndjson_index.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <pthread.h>
#include <string.h>

#include "kn_ndjson_index_simd.h"

static inline uint64_t mask64(__m256i lo, __m256i hi) {
    return (uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

/* bit_rows[m] lists the positions (0..7) of the set bits of byte m, in order, zero-padded. */
static uint8_t bit_rows[256][8];
static pthread_once_t bit_rows_once = PTHREAD_ONCE_INIT;

static void make_bit_rows(void) {
    for (unsigned m = 0; m < 256; m++)
        for (unsigned b = 0, k = 0; b < 8; b++)
            if ((m >> b) & 1) bit_rows[m][k++] = (uint8_t)b;
}

/* Appends base + the position of every set bit of `bits` to pos[n..]. Each mask byte stores
 * eight positions (its row widened to 32 bits) and moves on by its popcount, so the extra
 * stores are junk that the next byte overwrites or that lands in the slack
 * kn__ndjson_index_bound leaves; no branch depends on the data. */
static inline size_t flatten(uint32_t *pos, size_t n, uint32_t base, uint64_t bits) {
    uint32_t *o = pos + n;
    __m256i at = _mm256_set1_epi32((int)base);
    __m256i eight = _mm256_set1_epi32(8);
    /* Left visible, GCC folds base + 8k into a fresh constant per byte (three more instructions
     * each); an empty asm makes the step opaque, so it stays one add. */
    __asm__("" : "+x"(eight));
#pragma GCC unroll 8
    for (unsigned k = 0; k < 8; k++) {
        unsigned m = (unsigned)(bits >> (8 * k)) & 0xFF;
        __m256i row = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)bit_rows[m]));
        _mm256_storeu_si256((__m256i *)o, _mm256_add_epi32(row, at));
        o += __builtin_popcount(m);
        at = _mm256_add_epi32(at, eight);
    }
    return (size_t)(o - pos);
}

size_t kn__ndjson_index_avx2(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs_words, bool *ascii) {
    memset(bs_words, 0, kn__ndjson_bs_words(len) * sizeof *bs_words);
    pthread_once(&bit_rows_once, make_bit_rows);
    size_t n = 0;
    kn__block_carries carry = {0, 0, 0};
    __m256i high = _mm256_setzero_si256(); /* the OR of every byte: its top bits say non-ASCII */
    const __m256i lo_table = _mm256_setr_epi8(KN__CLASS_LO, KN__CLASS_LO);
    const __m256i hi_table = _mm256_setr_epi8(KN__CLASS_HI, KN__CLASS_HI);
    const __m256i x0f = _mm256_set1_epi8(0x0F), x1f = _mm256_set1_epi8(0x1F), x3f = _mm256_set1_epi8(0x3F);
    const __m256i zero = _mm256_setzero_si256();
    uint8_t tail[64];
    for (size_t off = 0; off < len; off += 64) {
        const uint8_t *p = buf + off;
        size_t avail = len - off;
        if (__builtin_expect(avail < 64, 0)) {
            /* Spaces pad the last block: whitespace makes no tokens. */
            memset(tail, ' ', sizeof tail);
            memcpy(tail, p, avail);
            p = tail;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)p);
        __m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
        high = _mm256_or_si256(high, _mm256_or_si256(lo, hi));
        /* Classify by nibbles (kn_ndjson_index_simd.h): two shuffles replace a dozen compares. */
        __m256i lo_n = _mm256_and_si256(lo, x0f), hi_n = _mm256_and_si256(hi, x0f);
        __m256i lo_h = _mm256_and_si256(_mm256_srli_epi16(lo, 4), x0f), hi_h = _mm256_and_si256(_mm256_srli_epi16(hi, 4), x0f);
        __m256i cl = _mm256_and_si256(_mm256_shuffle_epi8(lo_table, lo_n), _mm256_shuffle_epi8(hi_table, lo_h));
        __m256i ch = _mm256_and_si256(_mm256_shuffle_epi8(lo_table, hi_n), _mm256_shuffle_epi8(hi_table, hi_h));
        kn__block_masks m = {
            .bs = mask64(cl, ch), /* bit 7 */
            .quote = mask64(_mm256_slli_epi16(cl, 1), _mm256_slli_epi16(ch, 1)), /* bit 6 */
            .lf = mask64(_mm256_slli_epi16(cl, 2), _mm256_slli_epi16(ch, 2)),    /* bit 5 */
            /* Brackets, separators, whitespace and LF (bits 0-5) end an atom outside strings. */
            .ends = ~mask64(_mm256_cmpeq_epi8(_mm256_and_si256(cl, x3f), zero),
                            _mm256_cmpeq_epi8(_mm256_and_si256(ch, x3f), zero)),
            .brackets = mask64(_mm256_slli_epi16(cl, 7), _mm256_slli_epi16(ch, 7)), /* bit 0 */
            .ctrl = mask64(_mm256_cmpeq_epi8(_mm256_max_epu8(lo, x1f), x1f),
                           _mm256_cmpeq_epi8(_mm256_max_epu8(hi, x1f), x1f)),
        };
        uint64_t tokens;
        if (kn__block_step(&m, &carry, buf, off, avail, bs_words, pos, &n, &tokens))
            n = flatten(pos, n, (uint32_t)off, tokens);
    }
    *ascii = _mm256_movemask_epi8(high) == 0;
    return n;
}
#else
size_t kn__ndjson_index_avx2(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii) {
    return kn__ndjson_index_scalar(buf, len, pos, bs, ascii);
}
#endif
