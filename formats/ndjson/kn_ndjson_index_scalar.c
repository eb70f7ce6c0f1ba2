/* formats/ndjson/kn_ndjson_index_scalar.c: the scalar twin of stage 1, a byte-at-a-time state
 * machine that is also the reference semantics (see kn_ndjson_index.h). */
#include <string.h>

#include "kn_ndjson_index.h"

/* Byte classes outside strings. Separators (':' ','), like whitespace, end an atom but make no
 * token: stage 2 checks the few bytes between two tokens itself. */
enum { C_OTHER = 0, C_OP, C_WS, C_QUOTE, C_BS, C_LF };

static const uint8_t byte_class[256] = {
    ['{'] = C_OP, ['}'] = C_OP, ['['] = C_OP, [']'] = C_OP, [':'] = C_WS, [','] = C_WS,
    [' '] = C_WS, ['\t'] = C_WS, ['\r'] = C_WS, ['"'] = C_QUOTE, ['\\'] = C_BS, ['\n'] = C_LF,
};

size_t kn__ndjson_index_bytes(const uint8_t *buf, size_t start, size_t end, kn__ndjson_scan_state *st,
                              uint32_t *pos, size_t n) {
    bool in_str = st->in_string, esc = st->escaped, prev_other = st->prev_other;
    for (size_t i = start; i < end; i++) {
        uint8_t c = buf[i];
        if (c == '\n') {
            pos[n++] = (uint32_t)i;
            in_str = esc = prev_other = false;
            continue;
        }
        bool is_escaped = esc;
        esc = !is_escaped && c == '\\';
        if (in_str) {
            if (c == '"' && !is_escaped) {
                pos[n++] = (uint32_t)i;
                in_str = false;
            } else if (c < 0x20) {
                pos[n++] = (uint32_t)i;
            }
            prev_other = false;
            continue;
        }
        int k = byte_class[c];
        if (k == C_QUOTE && is_escaped) k = C_OTHER; /* an escaped quote outside a string is garbage */
        if (k == C_BS) k = C_OTHER;
        switch (k) {
        case C_QUOTE:
            pos[n++] = (uint32_t)i;
            in_str = true;
            prev_other = false;
            break;
        case C_OP:
            pos[n++] = (uint32_t)i;
            prev_other = false;
            break;
        case C_WS: prev_other = false; break;
        default:
            if (!prev_other) pos[n++] = (uint32_t)i;
            prev_other = true;
        }
    }
    st->in_string = in_str;
    st->escaped = esc;
    st->prev_other = prev_other;
    return n;
}

size_t kn__ndjson_index_scalar(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii) {
    memset(bs, 0, kn__ndjson_bs_words(len) * sizeof *bs);
    /* ASCII: the OR of every byte, eight at a time, has no top bit set. */
    uint64_t high = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        high |= w;
    }
    for (; i < len; i++) high |= buf[i];
    *ascii = (high & 0x8080808080808080ull) == 0;
    for (const uint8_t *p = memchr(buf, '\\', len); p; p = memchr(p + 1, '\\', len - (size_t)(p + 1 - buf))) {
        size_t b = (size_t)(p - buf) >> 6;
        bs[b >> 6] |= 1ull << (b & 63);
        if ((size_t)(p + 1 - buf) >= len) break;
    }
    kn__ndjson_scan_state st = {false, false, false};
    return kn__ndjson_index_bytes(buf, 0, len, &st, pos, 0);
}
