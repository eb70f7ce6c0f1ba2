/* formats/ndjson/kn_ndjson_index_simd.h (internal): the bit arithmetic both SIMD twins of stage 1
 * share (kn_ndjson_index_avx2.c, kn_ndjson_index_avx512.c): the in-string mask and the bytes a
 * backslash escapes, per 64-byte block. Static inline, for files built with -mpclmul. */
#ifndef KN_NDJSON_INDEX_SIMD_H
#define KN_NDJSON_INDEX_SIMD_H

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

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

/* From one block's class masks and the carries of the blocks before it, the block's tokens
 * (kn_ndjson_index.h), or false when a line feed lands inside a string (a bad line), which the
 * byte machine then redoes. On true the carries are updated for the next block. */
typedef struct kn__block_masks {
    uint64_t bs, quote, lf, ends, brackets, ctrl; /* backslash, '"', LF, atom enders, [ ] { }, < 0x20 */
} kn__block_masks;

typedef struct kn__block_carries {
    uint64_t esc, str, other;
} kn__block_carries;

static inline bool kn__block_tokens(const kn__block_masks *m, kn__block_carries *c, uint64_t *tokens, bool *had_bs) {
    uint64_t esc_carry = c->esc, esc = c->esc;
    *had_bs = m->bs != 0;
    if (__builtin_expect(m->bs != 0, 0)) esc = kn__escaped_bytes(m->bs, &esc_carry);
    else esc_carry = 0; /* a carried escape consumed byte 0; nothing carries on */
    uint64_t uq = m->quote & ~esc;
    uint64_t in_str = kn__prefix_xor(uq) ^ c->str;
    if (__builtin_expect((m->lf & in_str) != 0, 0)) return false;
    c->esc = esc_carry;
    c->str = (uint64_t)((int64_t)in_str >> 63);
    uint64_t outside = ~(in_str | uq);
    uint64_t other = outside & ~m->ends;
    uint64_t atom = other & ~((other << 1) | c->other);
    c->other = other >> 63;
    *tokens = uq | (m->brackets & outside) | atom | m->lf | (m->ctrl & in_str);
    return true;
}

#endif
