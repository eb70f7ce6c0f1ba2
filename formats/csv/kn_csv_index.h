/* formats/csv/kn_csv_index.h (internal): stage 1 of the CSV reader, the structural index.
 *
 * One pass over a window records the position of every delimiter, LF and CR that stands
 * outside quotes and is not escaped: the ends of fields and records. Stage 2
 * (kn_csv_reader.c) then jumps from field end to field end.
 *
 * The reference semantics, which every twin implements exactly: each quote byte that is not
 * escaped toggles "inside quotes" (so a doubled quote inside a quoted field toggles twice and
 * changes nothing); with an escape byte set, a byte preceded by an odd run of escape bytes is
 * escaped (no toggle, no structural). The twins differ only in how they find the class of 64
 * bytes at once (kn__csv_masks); the bit logic after that is shared (kn__csv_block). */
#ifndef KN_CSV_INDEX_H
#define KN_CSV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes that matter; escape 0 = none (quote 0 = no quoting). */
typedef struct kn__csv_chars {
    uint8_t delimiter, quote, escape;
} kn__csv_chars;

/* Carried from block to block: inside quotes (all ones or 0), the first byte is escaped. */
typedef struct kn__csv_carry {
    uint64_t inside;
    uint64_t escaped;
} kn__csv_carry;

/* The classes of 64 bytes, bit i for byte i. */
typedef struct kn__csv_masks {
    uint64_t quote, delim, nl, esc, high; /* nl: LF or CR; high: bytes >= 0x80 */
} kn__csv_masks;

/* Entries the index of a `len`-byte window may need. */
static inline size_t kn__csv_index_bound(size_t len) { return len + 64; }

/* Indexes buf[0..len) (len < 2^32) into pos[] (capacity kn__csv_index_bound(len)), starting
 * outside quotes and not escaped; returns the count, and in *carry the state after the last
 * byte (inside quotes at the end: the last record is unterminated or goes on past len). Sets
 * *ascii when no byte is 0x80 or above. */
typedef size_t (*kn__csv_index_fn)(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                                   kn__csv_carry *carry, bool *ascii);

size_t kn__csv_index_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                            kn__csv_carry *carry, bool *ascii);
/* Need kn_cpu()->avx2, and ->avx512 (AVX512F + AVX512BW). */
size_t kn__csv_index_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                          kn__csv_carry *carry, bool *ascii);
size_t kn__csv_index_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                            kn__csv_carry *carry, bool *ascii);

/* Bits of bytes escaped by an odd run of escape bytes before them. Escape bytes are rare, so
 * the runs are walked one escape at a time. */
static inline uint64_t kn__csv_escaped(uint64_t esc, kn__csv_carry *c) {
    uint64_t escaped = c->escaped, bits = esc & ~c->escaped;
    c->escaped = 0;
    while (bits) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        bits &= bits - 1;
        if (i == 63) {
            c->escaped = 1;
        } else {
            escaped |= 1ull << (i + 1);
            bits &= ~(1ull << (i + 1)); /* an escaped escape byte escapes nothing */
        }
    }
    return escaped;
}

/* Each bit set in x and every bit above it, up to the next set bit, toggled: the inclusive
 * prefix XOR, so a byte is inside quotes when an odd number of quotes stand at or before it. */
static inline uint64_t kn__csv_prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The structural bits of one block from its masks, advancing the carry. */
static inline uint64_t kn__csv_block(const kn__csv_masks *m, kn__csv_carry *c) {
    uint64_t quote = m->quote, cand = m->delim | m->nl;
    if (m->esc | c->escaped) {
        uint64_t e = kn__csv_escaped(m->esc, c);
        quote &= ~e;
        cand &= ~e;
    }
    uint64_t inside = kn__csv_prefix_xor(quote) ^ c->inside;
    c->inside = (uint64_t)((int64_t)inside >> 63);
    return cand & ~inside;
}

/* Appends the positions of the set bits of `s` (block at `base`) to pos[n..]. */
static inline size_t kn__csv_flatten(uint64_t s, uint32_t base, uint32_t *pos, size_t n) {
    while (s) {
        pos[n++] = base + (uint32_t)__builtin_ctzll(s);
        s &= s - 1;
    }
    return n;
}

/* ---- the break scan: where whole records end, for cutting a stream (kn_csv_cut.c) ------- */

/* Scans buf[0..len), which starts on a record boundary (outside quotes, not escaped), for the
 * line breaks the index would give (LF or CR outside quotes, not escaped) and returns one past
 * the last, 0 for none. The reader skips a line that starts with the comment byte raw, its
 * quotes and escapes not counting, so with a `comment` byte (0: none) the scan stops at the
 * first record that starts with it: *stop is its offset (len when there is none), and only the
 * breaks before it count. It writes no positions, so it runs faster than the index. */
typedef size_t (*kn__csv_breaks_fn)(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment,
                                    size_t *stop);

size_t kn__csv_breaks_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);
/* Need kn_cpu()->avx2, and ->avx512. */
size_t kn__csv_breaks_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);
size_t kn__csv_breaks_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);

/* One block of the break scan from its masks (m->delim is left out) and the bits of the
 * comment byte (0 without one), advancing the carry; *at_start is 1 when the block's first
 * byte starts a record, and is set for the next block. Returns the breaks before the first
 * record that starts with the comment byte, and that record's bit in *stop (64: none). */
static inline uint64_t kn__csv_breaks_block(const kn__csv_masks *m, uint64_t comment, kn__csv_carry *c,
                                            uint64_t *at_start, unsigned *stop) {
    kn__csv_masks only_nl = *m;
    only_nl.delim = 0;
    uint64_t s = kn__csv_block(&only_nl, c);
    *stop = 64;
    if (comment) {
        /* A record starts at the block's start or just past a break. */
        uint64_t hit = ((s << 1) | *at_start) & comment;
        *at_start = s >> 63;
        if (hit) {
            *stop = (unsigned)__builtin_ctzll(hit);
            s &= (1ull << *stop) - 1;
        }
    }
    return s;
}

/* One past the highest set bit of a non-zero `s`, as an offset from `base`. */
static inline size_t kn__csv_past_last(uint64_t s, size_t base) { return base + 64 - (size_t)__builtin_clzll(s); }

#endif
