/* formats/csv/kn_csv_index_scalar.c: the scalar twin of stage 1 (the index and the break
 * scan): the same masks, a byte at a time. The reference the SIMD twins are tested against. */
#include <string.h>

#include "kn_csv_index.h"

static void masks_of(const uint8_t *b, size_t n, const kn__csv_chars *ch, kn__csv_masks *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = b[i];
        uint64_t bit = 1ull << i;
        if (c == ch->quote && ch->quote) m->quote |= bit;
        if (c == ch->delimiter) m->delim |= bit;
        if (c == '\n' || c == '\r') m->nl |= bit;
        if (c == ch->escape && ch->escape) m->esc |= bit;
        if (c >= 0x80) m->high |= bit;
    }
}

size_t kn__csv_index_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint32_t *pos,
                            kn__csv_carry *carry, bool *ascii) {
    kn__csv_carry c = {0, 0};
    uint64_t high = 0;
    size_t n = 0;
    for (size_t at = 0; at < len; at += 64) {
        kn__csv_masks m;
        masks_of(buf + at, len - at < 64 ? len - at : 64, ch, &m);
        high |= m.high;
        n = kn__csv_flatten(kn__csv_block(&m, &c), (uint32_t)at, pos, n);
    }
    *carry = c;
    *ascii = high == 0;
    return n;
}

size_t kn__csv_breaks_scalar(const uint8_t *buf, size_t len, const kn__csv_chars *ch, uint8_t comment, size_t *stop) {
    kn__csv_carry c = {0, 0};
    uint64_t at_start = 1;
    size_t last = 0;
    for (size_t at = 0; at < len; at += 64) {
        size_t n = len - at < 64 ? len - at : 64;
        kn__csv_masks m;
        masks_of(buf + at, n, ch, &m);
        uint64_t cm = 0;
        for (size_t i = 0; comment && i < n; i++)
            if (buf[at + i] == comment) cm |= 1ull << i;
        unsigned sb;
        uint64_t s = kn__csv_breaks_block(&m, cm, &c, &at_start, &sb);
        if (s) last = kn__csv_past_last(s, at);
        if (sb < 64) {
            *stop = at + sb;
            return last;
        }
    }
    *stop = len;
    return last;
}
