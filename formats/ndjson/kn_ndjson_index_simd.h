/* formats/ndjson/kn_ndjson_index_simd.h (internal): the bit arithmetic both SIMD twins of stage 1
 * share (kn_ndjson_index_avx2.c, kn_ndjson_index_avx512.c): the in-string mask and the bytes a
 * backslash escapes, per 64-byte block. Static inline, for files built with -mpclmul. */
#ifndef KN_NDJSON_INDEX_SIMD_H
#define KN_NDJSON_INDEX_SIMD_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_ndjson_index.h"

/* Bit i of the result is the XOR of bits 0..i of x: one carry-less multiply by all-ones. */
static inline uint64_t kn__prefix_xor(uint64_t x) {
    __m128i v = _mm_set_epi64x(0, (long long)x);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}

/* Bytes escaped by a backslash. `carry` (0 or 1) says byte 0 is escaped by the previous
 * block's trailing run, and is set for the next block. Runs are split by the parity of their
 * first position: adding a run's start bit ripples a carry to just past the run's end; that
 * end is escaped when the run's length is odd, i.e. when its parity differs from the start's. */
static inline uint64_t kn__escaped_bytes(uint64_t bs, uint64_t *carry) {
    const uint64_t even = 0x5555555555555555ull, odd = ~even;
    uint64_t b = bs & ~*carry; /* a backslash that is itself escaped starts nothing */
    uint64_t starts = b & ~(b << 1);
    uint64_t ends_even = (b + (starts & even)) & ~b & odd;
    uint64_t ends_odd = (b + (starts & odd)) & ~b & even;
    uint64_t esc = ends_even | ends_odd | *carry;
    /* The run touching bit 63 escapes the next block's first byte when its length is odd. */
    unsigned top = b == ~0ull ? 64u : (unsigned)__builtin_clzll(~b);
    *carry = top & 1u;
    return esc;
}

/* The class bits stage 1 gives each byte: 0 '[' ']' '{' '}'; 1 ':'; 2 ','; 3 ' '; 4 '\t' '\r';
 * 5 '\n'; 6 '"'; 7 '\\'. A byte is in a class when both its low-nibble entry (KN__CLASS_LO) and
 * its high-nibble entry (KN__CLASS_HI) have the bit, so two table shuffles classify a vector. */
#define KN__CLASS_LO 8, 0, 64, 0, 0, 0, 0, 0, 0, 16, 2 | 32, 1, (char)0x84, 1 | 16, 0, 0
#define KN__CLASS_HI 16 | 32, 0, 4 | 8 | 64, 2, 0, (char)0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0

/* One 64-byte block's class masks, from the twin's vector compares. */
typedef struct kn__block_masks {
    uint64_t bs, quote, lf, ends, brackets, ctrl; /* backslash, '"', LF, atom enders, [ ] { }, < 0x20 */
} kn__block_masks;

/* What carries from one block to the next. */
typedef struct kn__block_carries {
    uint64_t esc, str, other;
} kn__block_carries;

/* The block at `off` (`avail` bytes of it in the window, at most 64 counted): sets its bit in
 * bs_words when it holds a backslash, then either returns true with its token mask in *tokens
 * for the twin to flatten, or, when a line feed lands inside a string (only a bad line does
 * that), has the byte machine index the block into pos[*n..] from the carried state and returns
 * false. Either way the carries are left for the next block. */
static inline bool kn__block_step(const kn__block_masks *m, kn__block_carries *c, const uint8_t *buf, size_t off,
                                  size_t avail, uint64_t *bs_words, uint32_t *pos, size_t *n, uint64_t *tokens) {
    uint64_t esc_carry = c->esc, esc = c->esc;
    if (__builtin_expect(m->bs != 0, 0)) {
        bs_words[(off >> 6) >> 6] |= 1ull << ((off >> 6) & 63);
        esc = kn__escaped_bytes(m->bs, &esc_carry);
    } else {
        esc_carry = 0; /* a carried escape consumed byte 0; nothing carries on */
    }
    uint64_t uq = m->quote & ~esc;
    uint64_t in_str = kn__prefix_xor(uq) ^ c->str;
    if (__builtin_expect((m->lf & in_str) != 0, 0)) {
        kn__ndjson_scan_state st = {c->str != 0, c->esc != 0, c->other != 0};
        *n = kn__ndjson_index_bytes(buf, off, off + (avail < 64 ? avail : 64), &st, pos, *n);
        c->str = st.in_string ? ~0ull : 0;
        c->esc = st.escaped;
        c->other = st.prev_other;
        return false;
    }
    c->esc = esc_carry;
    c->str = (uint64_t)((int64_t)in_str >> 63);
    uint64_t outside = ~(in_str | uq);
    uint64_t other = outside & ~m->ends;
    uint64_t atom = other & ~((other << 1) | c->other);
    c->other = other >> 63;
    *tokens = uq | (m->brackets & outside) | atom | m->lf | (m->ctrl & in_str);
    if (__builtin_expect(avail < 64, 0)) *tokens &= (1ull << avail) - 1;
    return true;
}

#endif
