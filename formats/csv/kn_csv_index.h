/* formats/csv/kn_csv_index.h (internal): stage 1 of the CSV reader, the structural index.
 *
 * One pass over a window records the position of every delimiter, LF and CR that stands
 * outside quotes and is not escaped: the ends of fields and records. Stage 2
 * (kn_csv_reader.c, kn_csv_block.c) then jumps from field end to field end.
 *
 * The reference semantics, which every twin implements exactly: each quote byte that is not
 * escaped toggles "inside quotes" (so a doubled quote inside a quoted field toggles twice and
 * changes nothing); with an escape byte set, a byte preceded by an odd run of escape bytes is
 * escaped (no toggle, no structural). An LF right after a structural CR is no entry: CRLF ends
 * a record once, so a run of regular records has exactly the file's field count of entries
 * each. Besides the positions, the index lists which entries are line ends (LF or CR): a
 * record is regular when the next line end is its last field's end, one comparison instead of
 * a look at every field's end byte. The twins differ only in how they find the class of 64
 * bytes at once (kn__csv_masks) and in how they take a prefix XOR; the bit logic after that is
 * shared (kn__csv_block). Each twin also holds a break scan (below), the same logic on fewer
 * classes, for cutting a stream where whole records end. */
#ifndef KN_CSV_INDEX_H
#define KN_CSV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes that matter; escape 0 = none (quote 0 = no quoting). */
typedef struct kn__csv_chars {
    uint8_t delimiter, quote, escape;
} kn__csv_chars;

/* Carried from block to block: inside quotes (all ones or 0), the first byte is escaped, the
 * last byte was a structural CR (1 or 0). */
typedef struct kn__csv_carry {
    uint64_t inside;
    uint64_t escaped;
    uint64_t cr;
} kn__csv_carry;

/* The classes of 64 bytes, bit i for byte i. */
typedef struct kn__csv_masks {
    uint64_t quote, delim, nl, cr, esc, high; /* nl: LF or CR; high: bytes >= 0x80 */
} kn__csv_masks;

/* The index of a window: entry k is a structural byte at pos[k]; lines[0..nlines) are the
 * entries (indices into pos) that are line ends, in order. With check_utf8 set, utf8_valid is
 * what kn_utf8_validate says of the window (the first byte of the first invalid sequence, or
 * the length): the AVX2 twin finds it as it scans, while the bytes are in registers. */
typedef struct kn__csv_index_out {
    uint32_t *pos;
    uint32_t *lines;
    size_t npos, nlines;
    bool check_utf8;
    size_t utf8_valid;
} kn__csv_index_out;

/* Entries the index of a `len`-byte window may need, in each array (whole groups of eight are
 * written at a time, so up to 64 past the last entry). */
static inline size_t kn__csv_index_bound(size_t len) { return len + 64; }

/* Indexes buf[0..len) (len < 2^32) into out->pos and out->lines (capacity
 * kn__csv_index_bound(len) each), starting outside quotes and not escaped; sets the counts,
 * and *carry to the state after the last byte (inside quotes at the end: the last record is
 * unterminated or goes on past len). Sets *ascii when no byte is 0x80 or above. */
typedef void (*kn__csv_index_fn)(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                                 kn__csv_carry *carry, bool *ascii);

void kn__csv_index_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                          kn__csv_carry *carry, bool *ascii);
/* Need kn_cpu()->avx2, and ->avx512 (AVX512F + AVX512BW); both use PCLMULQDQ and POPCNT, which
 * every CPU with AVX2 has. */
void kn__csv_index_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                        kn__csv_carry *carry, bool *ascii);
void kn__csv_index_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
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
 * prefix XOR, so a byte is inside quotes when an odd number of quotes stand at or before it.
 * The SIMD twins take it with one carry-less multiply instead. */
static inline uint64_t kn__csv_prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The structural bits of one block from its masks, advancing the carry; *lines gets the line
 * ends among them. `pxor` is the twin's prefix XOR (inlined: it is a constant), taken whether
 * or not the block has a quote: a branch on that would be mispredicted where quoted fields
 * come and go. */
static inline __attribute__((always_inline)) uint64_t kn__csv_block(const kn__csv_masks *m, kn__csv_carry *c,
                                                                    uint64_t (*pxor)(uint64_t), uint64_t *lines) {
    uint64_t quote = m->quote, cand = m->delim | m->nl;
    /* Most blocks: outside quotes, none in them, no CR, no escape: every candidate stands. */
    if (!(quote | m->cr | m->esc | c->inside | c->escaped | c->cr)) {
        *lines = m->nl;
        return cand;
    }
    if (m->esc | c->escaped) {
        uint64_t e = kn__csv_escaped(m->esc, c);
        quote &= ~e;
        cand &= ~e;
    }
    uint64_t inside = c->inside ^ pxor(quote);
    c->inside = (uint64_t)((int64_t)inside >> 63);
    uint64_t s = cand & ~inside;
    /* An LF right after a structural CR (in this block or ending the last) is no entry. */
    uint64_t cr = s & m->cr;
    s &= ~((cr << 1 | c->cr) & m->nl & ~m->cr);
    c->cr = cr >> 63;
    *lines = s & m->nl;
    return s;
}

/* Trailing zeros of x, any value for 0 (the scalar twin's: bit 63 ORed in, since C leaves the
 * count of 0 undefined; the SIMD twins have TZCNT, which defines it). */
static inline unsigned kn__csv_tz(uint64_t x) { return (unsigned)__builtin_ctzll(x | 0x8000000000000000ull); }

/* Appends the positions of the set bits of `s` (block at `base`) to pos[*np..], and the
 * entries of the bits of `lines` (a subset of s) to lines_out[*nl..]. Eight positions are
 * written at a time whatever the count (the slots past it are overwritten later), so that the
 * usual block, with fewer than eight, costs no mispredicted loop exit. `tz` is the twin's count
 * of trailing zeros (inlined). The counts are the caller's locals: stores into pos[] could
 * alias a struct's fields and force reloads. */
static inline __attribute__((always_inline)) void kn__csv_flatten(uint64_t s, uint64_t lines, uint32_t base,
                                                                  unsigned (*tz)(uint64_t), uint32_t *pos,
                                                                  uint32_t *lines_out, size_t *np, size_t *nl) {
    if (!s) return;
    uint32_t *p = pos + *np;
    size_t n0 = *np;
    /* A block holds at most one line end when records are longer than it, but which blocks do
     * is no pattern: the first is written whether there is one or not (the slot is taken only
     * when there is), and only a second one loops. */
    lines_out[*nl] = (uint32_t)(n0 + (size_t)__builtin_popcountll(s & ((lines & -lines) - 1)));
    *nl += lines != 0;
    lines &= lines - 1;
    while (lines) {
        uint64_t below = (lines & -lines) - 1;
        lines_out[(*nl)++] = (uint32_t)(n0 + (size_t)__builtin_popcountll(s & below));
        lines &= lines - 1;
    }
    *np = n0 + (size_t)__builtin_popcountll(s);
    for (;;) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            p[k] = base + tz(s);
            s &= s - 1;
        }
        if (!s) break;
        p += 8;
    }
}

/* ---- the break scan: where whole records end, for cutting a stream (kn_csv_cut.c) ------- */

/* Scans buf[0..len), which starts on a record boundary (outside quotes, not escaped), for its
 * line breaks (LF or CR outside quotes, not escaped; unlike the index, the LF of a CRLF counts
 * too, so the cut falls past it) and returns one past the last, 0 for none. The reader skips a
 * line that starts with the comment byte raw, its quotes and escapes not counting, so with a
 * `comment` byte (0: none) the scan stops at the first record that starts with it: *stop is its
 * offset (len when there is none), and only the breaks before it count. It writes no positions
 * and classes no delimiter, CR apart or byte >= 0x80, so it runs faster than the index. */
typedef size_t (*kn__csv_breaks_fn)(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment,
                                    size_t *stop);

size_t kn__csv_breaks_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);
/* Need kn_cpu()->avx2, and ->avx512 (as the index twins: PCLMULQDQ too). */
size_t kn__csv_breaks_avx2(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);
size_t kn__csv_breaks_avx512(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop);

/* One block of the break scan from its masks and the bits of the comment byte (0 without one),
 * advancing the carry (which starts all zeros); `pxor` is the twin's prefix XOR, as for
 * kn__csv_block. m->delim, m->cr and m->high are left out: with no CR class, kn__csv_block
 * keeps the LF of a CRLF, so the byte after it is seen to start a record, and blocks without a
 * quote or escape take its quick way even in files with CRLF line ends. *at_start is 1 when the
 * block's first byte starts a record, and is set for the next block. Returns the breaks before
 * the first record that starts with the comment byte, and that record's bit in *stop (64:
 * none). */
static inline __attribute__((always_inline)) uint64_t kn__csv_breaks_block(const kn__csv_masks *m, uint64_t comment,
                                                                           kn__csv_carry *c,
                                                                           uint64_t (*pxor)(uint64_t),
                                                                           uint64_t *at_start, unsigned *stop) {
    const kn__csv_masks only_nl = {.quote = m->quote, .nl = m->nl, .esc = m->esc};
    uint64_t lines, s = kn__csv_block(&only_nl, c, pxor, &lines);
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
