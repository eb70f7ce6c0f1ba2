/* engine/core/kn_json_out.c */
#include "kn_json_out.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not valid UTF-8. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

bool kn_json_append_string(kn_buf *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    if (!kn_buf_reserve(out, len + 2)) return false;
    kn_buf_push(out, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        char esc[7];
        size_t esc_len = 0;
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; esc_len = 2; }
        else if (c == '\n') { esc[0] = '\\'; esc[1] = 'n'; esc_len = 2; }
        else if (c == '\r') { esc[0] = '\\'; esc[1] = 'r'; esc_len = 2; }
        else if (c == '\t') { esc[0] = '\\'; esc[1] = 't'; esc_len = 2; }
        else if (c < 0x20 || c == 0x7F || (c >= 0x80 && utf8_seq(p + i, len - i) == 0)) {
            esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; esc_len = 6;
        }
        if (esc_len) {
            if (!kn_buf_append(out, esc, esc_len)) return false;
            i++;
            continue;
        }
        size_t run = c < 0x80 ? 1 : utf8_seq(p + i, len - i);
        if (!kn_buf_append(out, p + i, run)) return false;
        i += run;
    }
    return kn_buf_push(out, '"');
}

void kn_json_write_string(FILE *f, const char *s, size_t len) {
    kn_buf b = KN_BUF_INIT;
    if (kn_json_append_string(&b, s, len)) fwrite(b.data, 1, b.len, f);
    kn_buf_free(&b);
}
