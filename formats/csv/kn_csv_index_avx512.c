/* formats/csv/kn_csv_index_avx512.c: the AVX-512 twin of stage 1 (the index and the break
 * scan): one 64-byte load per block (masked for the tail), each class straight into a mask
 * register, the prefix XOR by one carry-less multiply. */
#include <immintrin.h>

#include "kn_csv_index.h"
#include "kn_utf8.h"

/* TZCNT: 64 for 0. */
static inline unsigned tzcnt64(uint64_t x) { return (unsigned)_tzcnt_u64(x); }

static inline uint64_t clmul_prefix_xor(uint64_t x) {
    __m128i v = _mm_set_epi64x(0, (long long)x);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}

void kn__csv_index_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                          kn__csv_carry *carry, bool *ascii) {
    const __m512i q = _mm512_set1_epi8((char)ch->quote), d = _mm512_set1_epi8((char)ch->delimiter);
    const __m512i e = _mm512_set1_epi8((char)ch->escape), lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0, 0};
    uint64_t high = 0;
    size_t np = 0, nl = 0;
    for (size_t at = 0; at < len; at += 64) {
        __mmask64 valid = len - at >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (len - at)) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(valid, buf + at);
        kn__csv_masks m;
        m.quote = quoting ? _mm512_mask_cmpeq_epi8_mask(valid, v, q) : 0;
        m.delim = _mm512_mask_cmpeq_epi8_mask(valid, v, d);
        m.cr = _mm512_mask_cmpeq_epi8_mask(valid, v, cr);
        m.nl = _mm512_mask_cmpeq_epi8_mask(valid, v, lf) | m.cr;
        m.esc = escaping ? _mm512_mask_cmpeq_epi8_mask(valid, v, e) : 0;
        m.high = 0;
        high |= _mm512_movepi8_mask(v);
        uint64_t lines, s = kn__csv_block(&m, &c, clmul_prefix_xor, &lines);
        kn__csv_flatten(s, lines, (uint32_t)at, tzcnt64, out->pos, out->lines, &np, &nl);
    }
    out->npos = np;
    out->nlines = nl;
    out->utf8_valid = out->check_utf8 && high ? kn_utf8_validate(buf, len) : len;
    *carry = c;
    *ascii = high == 0;
}

size_t kn__csv_breaks_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop) {
    const __m512i q = _mm512_set1_epi8((char)ch->quote), e = _mm512_set1_epi8((char)ch->escape);
    const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r'), k = _mm512_set1_epi8((char)comment);
    const bool quoting = ch->quote != 0, escaping = ch->escape != 0;
    kn__csv_carry c = {0, 0, 0};
    uint64_t at_start = 1;
    size_t last = 0;
    for (size_t at = 0; at < len; at += 64) {
        /* The load zeroes the bytes past the end, and zero bytes class as nothing (quote,
         * escape and comment 0 are none), so the compares need no mask. */
        __mmask64 valid = len - at >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (len - at)) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(valid, buf + at);
        kn__csv_masks m = {.quote = quoting ? _mm512_cmpeq_epi8_mask(v, q) : 0,
                           .nl = _mm512_cmpeq_epi8_mask(v, lf) | _mm512_cmpeq_epi8_mask(v, cr),
                           .esc = escaping ? _mm512_cmpeq_epi8_mask(v, e) : 0};
        uint64_t cm = comment ? _mm512_cmpeq_epi8_mask(v, k) : 0;
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
