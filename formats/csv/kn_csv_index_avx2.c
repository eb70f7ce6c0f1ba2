/* formats/csv/kn_csv_index_avx2.c: the AVX2 twin of stage 1 (the index and the break scan):
 * the masks of 64 bytes from two 32-byte compares per class, the prefix XOR by one carry-less
 * multiply, and the UTF-8 check of kernels/kn_utf8_avx2.h on the same registers (blocks of
 * ASCII after ASCII cost one mask test); the tail is copied into a padded block. */
#include <immintrin.h>
#include <string.h>

#include "kn_csv_index.h"
#include "kn_utf8_avx2.h"

static inline uint64_t eq64(__m256i lo, __m256i hi, __m256i c) {
    uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c));
    uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c));
    return (uint64_t)a | (uint64_t)b << 32;
}

/* TZCNT: 64 for 0. */
static inline unsigned tzcnt64(uint64_t x) { return (unsigned)_tzcnt_u64(x); }

/* x times all ones, carry-less: bit i is the XOR of bits 0..i. */
static inline uint64_t clmul_prefix_xor(uint64_t x) {
    __m128i v = _mm_set_epi64x(0, (long long)x);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}

void kn__csv_index_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                        kn__csv_carry *carry, bool *ascii) {
    const __m256i q = _mm256_set1_epi8((char)ch->quote), d = _mm256_set1_epi8((char)ch->delimiter);
    const __m256i e = _mm256_set1_epi8((char)ch->escape), lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0, 0};
    __m256i high = _mm256_setzero_si256();
    size_t np = 0, nl = 0;
    /* The UTF-8 check: the block before (its upper half) and whether it was ASCII; `bad` is
     * where the first invalid sequence starts, once one is found. */
    const bool check = out->check_utf8;
    __m256i uprev = _mm256_setzero_si256();
    bool uprev_ascii = true, found = false;
    size_t bad = len;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        if (len - at < 64) {
            /* Zero bytes class as nothing (a NUL delimiter is refused by the options check, and
             * quote and escape 0 are none), so the padding needs no mask. */
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)b), hi = _mm256_loadu_si256((const __m256i *)(b + 32));
        high = _mm256_or_si256(high, _mm256_or_si256(lo, hi));
        if (check && !found) {
            /* 32 bytes at a time as kn_utf8_validate_avx2 takes them, so that the first block
             * flagged, and the answer, are its own. */
            bool lo_ascii = _mm256_movemask_epi8(lo) == 0, hi_ascii = _mm256_movemask_epi8(hi) == 0;
            if (!(lo_ascii && hi_ascii && uprev_ascii)) {
                __m256i e0 = kn__utf8_errors_avx2(lo, uprev), e1 = kn__utf8_errors_avx2(hi, lo);
                if (!_mm256_testz_si256(e0, e0)) bad = kn__utf8_first_error_near(buf, len, at), found = true;
                else if (!_mm256_testz_si256(e1, e1)) bad = kn__utf8_first_error_near(buf, len, at + 32), found = true;
            }
            uprev = hi;
            uprev_ascii = hi_ascii;
        }
        kn__csv_masks m;
        m.quote = quoting ? eq64(lo, hi, q) : 0;
        m.delim = eq64(lo, hi, d);
        /* Line ends as one class; the CRs apart only in blocks that have one (none, in files
         * with LF line ends). */
        __m256i cr_lo = _mm256_cmpeq_epi8(lo, cr), cr_hi = _mm256_cmpeq_epi8(hi, cr);
        m.nl = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(lo, lf), cr_lo)) |
               (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(hi, lf), cr_hi)) << 32;
        __m256i any_cr = _mm256_or_si256(cr_lo, cr_hi);
        m.cr = _mm256_testz_si256(any_cr, any_cr)
                   ? 0
                   : (uint64_t)(uint32_t)_mm256_movemask_epi8(cr_lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(cr_hi) << 32;
        m.esc = escaping ? eq64(lo, hi, e) : 0;
        m.high = 0;
        uint64_t lines, s = kn__csv_block(&m, &c, clmul_prefix_xor, &lines);
        kn__csv_flatten(s, lines, (uint32_t)at, tzcnt64, out->pos, out->lines, &np, &nl);
    }
    /* A sequence cut short by the end: zeros after a last block that was whole. */
    if (check && !found && len % 64 == 0 && !uprev_ascii) {
        __m256i cut = kn__utf8_errors_avx2(_mm256_setzero_si256(), uprev);
        if (!_mm256_testz_si256(cut, cut)) bad = kn__utf8_first_error_near(buf, len, len);
    }
    out->npos = np;
    out->nlines = nl;
    out->utf8_valid = bad;
    *carry = c;
    *ascii = _mm256_movemask_epi8(high) == 0;
}

size_t kn__csv_breaks_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop) {
    const __m256i q = _mm256_set1_epi8((char)ch->quote), e = _mm256_set1_epi8((char)ch->escape);
    const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r'), k = _mm256_set1_epi8((char)comment);
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0, 0};
    uint64_t at_start = 1;
    size_t last = 0;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        if (len - at < 64) {
            /* Zero bytes class as nothing (quote, escape and comment 0 are none), so the padding
             * needs no mask. */
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)b), hi = _mm256_loadu_si256((const __m256i *)(b + 32));
        kn__csv_masks m = {.quote = quoting ? eq64(lo, hi, q) : 0, .esc = escaping ? eq64(lo, hi, e) : 0};
        /* LF and CR as one class: the scan needs no CR apart (kn__csv_breaks_block). */
        __m256i nl_lo = _mm256_or_si256(_mm256_cmpeq_epi8(lo, lf), _mm256_cmpeq_epi8(lo, cr));
        __m256i nl_hi = _mm256_or_si256(_mm256_cmpeq_epi8(hi, lf), _mm256_cmpeq_epi8(hi, cr));
        m.nl = (uint64_t)(uint32_t)_mm256_movemask_epi8(nl_lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(nl_hi) << 32;
        uint64_t cm = comment ? eq64(lo, hi, k) : 0;
        unsigned sb;
        uint64_t s = kn__csv_breaks_block(&m, cm, &c, clmul_prefix_xor, &at_start, &sb);
        if (s) last = kn__csv_past_last(s, at);
        if (sb < 64) {
            *stop = at + sb;
            return last;
        }
    }
    *stop = len;
    return last;
}
