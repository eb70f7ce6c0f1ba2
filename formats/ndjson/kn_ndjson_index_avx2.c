/* formats/ndjson/kn_ndjson_index_avx2.c: the AVX2 twin of stage 1 (see kn_ndjson_index.h).
 *
 * Per 64-byte block: byte-class masks from vector compares; which bytes a backslash escapes,
 * from the runs of backslashes (an odd run escapes the byte after it), with a carry into the
 * next block; the in-string mask as the prefix XOR of the unescaped quotes (one carry-less
 * multiply by all-ones) with the in-string state carried from the previous block. A block
 * where a line feed lands inside a string (only a bad line: raw LF cannot be in a valid
 * string) is redone by the scalar byte machine, which resets at every LF, so the index always
 * equals the scalar twin's. */
#include "kn_ndjson_index.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

static inline uint64_t mask64(__m256i lo, __m256i hi) {
    return (uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

static inline uint64_t prefix_xor(uint64_t x) {
    __m128i v = _mm_set_epi64x(0, (long long)x);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}

/* Bytes escaped by a backslash. `carry` (0 or 1) says byte 0 is escaped by the previous
 * block's trailing run, and is set for the next block. Runs are split by the parity of their
 * first position: adding a run's start bit ripples a carry to just past the run's end; that
 * end is escaped when the run's length is odd, i.e. when its parity differs from the start's. */
static inline uint64_t escaped_bytes(uint64_t bs, uint64_t *carry) {
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

/* GCC's SLP vectorizer turns the four scalar stores into lane inserts and shuffles that cost
 * more than the stores; keep them scalar. */
#if defined(__GNUC__) && !defined(__clang__)
#define KN_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define KN_NO_SLP
#endif

static inline KN_NO_SLP size_t flatten(uint32_t *pos, size_t n, uint32_t base, uint64_t bits) {
    /* Four stores per step whatever the count: fewer branches than one store per bit; the
     * extra stores (of junk) land in the slack kn__ndjson_index_bound leaves. */
    size_t count = (size_t)__builtin_popcountll(bits);
    uint32_t *o = pos + n;
    while (bits) {
        o[0] = base + (uint32_t)__builtin_ctzll(bits);
        bits &= bits - 1;
        o[1] = base + (uint32_t)__builtin_ctzll(bits | (1ull << 63));
        bits &= bits - 1;
        o[2] = base + (uint32_t)__builtin_ctzll(bits | (1ull << 63));
        bits &= bits - 1;
        o[3] = base + (uint32_t)__builtin_ctzll(bits | (1ull << 63));
        bits &= bits - 1;
        o += 4;
    }
    return n + count;
}

KN_NO_SLP size_t kn__ndjson_index_avx2(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs_words) {
    memset(bs_words, 0, kn__ndjson_bs_words(len) * sizeof *bs_words);
    size_t n = 0;
    uint64_t esc_carry = 0, str_carry = 0, other_carry = 0;
    /* Class bits: 0 '[' ']' '{' '}'; 1 ':'; 2 ','; 3 ' '; 4 '\t' '\r'; 5 '\n'; 6 '"'; 7 '\\'.
     * A byte is in a class when both its low-nibble and high-nibble entries have the bit. */
    const __m256i lo_table = _mm256_setr_epi8(8, 0, 64, 0, 0, 0, 0, 0, 0, 16, 2 | 32, 1, (char)0x84, 1 | 16, 0, 0,
                                              8, 0, 64, 0, 0, 0, 0, 0, 0, 16, 2 | 32, 1, (char)0x84, 1 | 16, 0, 0);
    const __m256i hi_table = _mm256_setr_epi8(16 | 32, 0, 4 | 8 | 64, 2, 0, (char)0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                              16 | 32, 0, 4 | 8 | 64, 2, 0, (char)0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i x0f = _mm256_set1_epi8(0x0F), x1e = _mm256_set1_epi8(0x1E), x1f = _mm256_set1_epi8(0x1F);
    const __m256i zero = _mm256_setzero_si256();
    uint8_t tail[64];
    for (size_t off = 0; off < len; off += 64) {
        const uint8_t *p = buf + off;
        if (len - off < 64) {
            /* Spaces pad the last block: whitespace makes no tokens. */
            memset(tail, ' ', sizeof tail);
            memcpy(tail, p, len - off);
            p = tail;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)p);
        __m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
        /* Classify by nibbles: class = LO[low nibble] & HI[high nibble], one bit per class
         * (see the tables), so two shuffles replace a dozen compares. */
        __m256i lo_n = _mm256_and_si256(lo, x0f), hi_n = _mm256_and_si256(hi, x0f);
        __m256i lo_h = _mm256_and_si256(_mm256_srli_epi16(lo, 4), x0f), hi_h = _mm256_and_si256(_mm256_srli_epi16(hi, 4), x0f);
        __m256i cl = _mm256_and_si256(_mm256_shuffle_epi8(lo_table, lo_n), _mm256_shuffle_epi8(hi_table, lo_h));
        __m256i ch = _mm256_and_si256(_mm256_shuffle_epi8(lo_table, hi_n), _mm256_shuffle_epi8(hi_table, hi_h));
        uint64_t bs = mask64(cl, ch); /* bit 7 */
        uint64_t q = mask64(_mm256_slli_epi16(cl, 1), _mm256_slli_epi16(ch, 1));  /* bit 6 */
        uint64_t nl = mask64(_mm256_slli_epi16(cl, 2), _mm256_slli_epi16(ch, 2)); /* bit 5 */
        /* Whitespace and the separators ':' ',' (bits 1-4) end atoms but are no tokens. */
        uint64_t ws = ~mask64(_mm256_cmpeq_epi8(_mm256_and_si256(cl, x1e), zero),
                              _mm256_cmpeq_epi8(_mm256_and_si256(ch, x1e), zero));
        uint64_t op = mask64(_mm256_slli_epi16(cl, 7), _mm256_slli_epi16(ch, 7)); /* bit 0: brackets */
        uint64_t ctrl = mask64(_mm256_cmpeq_epi8(_mm256_max_epu8(lo, x1f), x1f),
                               _mm256_cmpeq_epi8(_mm256_max_epu8(hi, x1f), x1f));
        if (bs) bs_words[(off >> 6) >> 6] |= 1ull << ((off >> 6) & 63);

        uint64_t esc_in = esc_carry;
        uint64_t esc = escaped_bytes(bs, &esc_carry);
        uint64_t uq = q & ~esc;
        uint64_t in_str = prefix_xor(uq) ^ str_carry;
        if (nl & in_str) {
            /* A bad line left a string open: redo this block byte by byte from the carried
             * state, then pick the carries up from the machine. */
            kn__ndjson_scan_state st = {str_carry != 0, esc_in != 0, other_carry != 0};
            size_t end = len - off < 64 ? len - off : 64;
            n = kn__ndjson_index_bytes(buf, off, off + end, &st, pos, n);
            str_carry = st.in_string ? ~0ull : 0;
            esc_carry = st.escaped;
            other_carry = st.prev_other;
            continue;
        }
        str_carry = (uint64_t)((int64_t)in_str >> 63);
        uint64_t outside = ~(in_str | uq);
        uint64_t other = outside & ~(op | ws | nl);
        uint64_t atom = other & ~((other << 1) | other_carry);
        other_carry = other >> 63;
        uint64_t tokens = uq | (op & outside) | atom | nl | (ctrl & in_str);
        if (len - off < 64) tokens &= (1ull << (len - off)) - 1;
        n = flatten(pos, n, (uint32_t)off, tokens);
    }
    return n;
}
#else
size_t kn__ndjson_index_avx2(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs) {
    return kn__ndjson_index_scalar(buf, len, pos, bs);
}
#endif
