/* formats/csv/kn_csv_index_scalar.c: the scalar twin of stage 1 (the index and the break scan):
 * the same masks, eight bytes at a time in a 64-bit word (no SIMD), for CPUs without AVX2. The
 * reference the SIMD twins are tested against. */
#include <string.h>

#include "kn_csv_index.h"
#include "kn_utf8.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Bit 7 of each byte of x that equals c (exactly: adding 0x7F to the low seven bits sets bit 7
 * of every byte but a zero one, and no carry leaves a byte). */
static inline uint64_t eq8(uint64_t x, uint64_t cc) {
    uint64_t t = x ^ cc;
    return ~(((t & ~HIGHS) + ~HIGHS) | t) & HIGHS;
}

/* The bits 7, 15, ..., 63 of m as bits 0..7: each lands on its own bit of the top byte of the
 * product, and no two partial products meet, so nothing carries. */
static inline uint64_t gather8(uint64_t m) { return ((m >> 7) * 0x0102040810204080ull) >> 56; }

static void masks_of(const uint8_t *b, const kn__csv_chars *ch, kn__csv_masks *m) {
    const uint64_t q = ONES * ch->quote, d = ONES * ch->delimiter, e = ONES * ch->escape, lf = ONES * '\n',
                   cr = ONES * '\r';
    memset(m, 0, sizeof *m);
    for (unsigned k = 0; k < 8; k++) {
        uint64_t x;
        memcpy(&x, b + 8 * k, 8);
        unsigned at = 8 * k;
        if (ch->quote) m->quote |= gather8(eq8(x, q)) << at;
        m->delim |= gather8(eq8(x, d)) << at;
        uint64_t c = gather8(eq8(x, cr));
        m->cr |= c << at;
        m->nl |= (gather8(eq8(x, lf)) | c) << at;
        if (ch->escape) m->esc |= gather8(eq8(x, e)) << at;
        m->high |= gather8(x & HIGHS) << at;
    }
}

void kn__csv_index_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                          kn__csv_carry *carry, bool *ascii) {
    kn__csv_carry c = {0, 0, 0};
    uint64_t high = 0;
    size_t np = 0, nl = 0;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        if (len - at < 64) {
            /* Zero bytes class as nothing (a NUL delimiter is refused by the options check). */
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
        }
        kn__csv_masks m;
        masks_of(b, ch, &m);
        high |= m.high;
        uint64_t lines, s = kn__csv_block(&m, &c, kn__csv_prefix_xor, &lines);
        kn__csv_flatten(s, lines, (uint32_t)at, kn__csv_tz, out->pos, out->lines, &np, &nl);
    }
    out->npos = np;
    out->nlines = nl;
    out->utf8_valid = out->check_utf8 && high ? kn_utf8_validate(buf, len) : len;
    *carry = c;
    *ascii = high == 0;
}

/* The break scan's classes of a 64-byte block: quotes, line breaks (LF or CR as one class),
 * escapes and the comment byte (into *cm; 0 = none); no delimiter, CR apart or high bytes. */
static void break_masks_of(const uint8_t *b, const kn__csv_chars *ch, uint8_t comment, kn__csv_masks *m,
                           uint64_t *cm) {
    const uint64_t q = ONES * ch->quote, e = ONES * ch->escape, k = ONES * comment, lf = ONES * '\n',
                   cr = ONES * '\r';
    memset(m, 0, sizeof *m);
    *cm = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint64_t x;
        memcpy(&x, b + 8 * i, 8);
        unsigned at = 8 * i;
        if (ch->quote) m->quote |= gather8(eq8(x, q)) << at;
        m->nl |= gather8(eq8(x, lf) | eq8(x, cr)) << at;
        if (ch->escape) m->esc |= gather8(eq8(x, e)) << at;
        if (comment) *cm |= gather8(eq8(x, k)) << at;
    }
}

size_t kn__csv_breaks_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop) {
    kn__csv_carry c = {0, 0, 0};
    uint64_t at_start = 1;
    size_t last = 0;
    uint8_t tail[64];
    for (size_t at = 0; at < len; at += 64) {
        const uint8_t *b = buf + at;
        if (len - at < 64) {
            /* Zero bytes class as nothing (quote, escape and comment 0 are none). */
            memset(tail, 0, sizeof tail);
            memcpy(tail, b, len - at);
            b = tail;
        }
        kn__csv_masks m;
        uint64_t cm;
        break_masks_of(b, ch, comment, &m, &cm);
        unsigned sb;
        uint64_t s = kn__csv_breaks_block(&m, cm, &c, kn__csv_prefix_xor, &at_start, &sb);
        if (s) last = kn__csv_past_last(s, at);
        if (sb < 64) {
            *stop = at + sb;
            return last;
        }
    }
    *stop = len;
    return last;
}
