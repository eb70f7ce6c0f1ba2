/* formats/csv/kn_csv_index_scalar.c: the scalar twin of stage 1: the same masks, a byte at a
 * time. The reference the SIMD twins are tested against. */
#include <string.h>

#include "kn_csv_index.h"
#include "kn_utf8.h"

static void masks_of(const uint8_t *b, size_t n, const kn__csv_chars *ch, kn__csv_masks *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = b[i];
        uint64_t bit = 1ull << i;
        if (c == ch->quote && ch->quote) m->quote |= bit;
        if (c == ch->delimiter) m->delim |= bit;
        if (c == '\n' || c == '\r') m->nl |= bit;
        if (c == '\r') m->cr |= bit;
        if (c == ch->escape && ch->escape) m->esc |= bit;
        if (c >= 0x80) m->high |= bit;
    }
}

void kn__csv_index_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, kn__csv_index_out *out,
                          kn__csv_carry *carry, bool *ascii) {
    kn__csv_carry c = {0, 0, 0};
    uint64_t high = 0;
    size_t np = 0, nl = 0;
    for (size_t at = 0; at < len; at += 64) {
        kn__csv_masks m;
        masks_of(buf + at, len - at < 64 ? len - at : 64, ch, &m);
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
