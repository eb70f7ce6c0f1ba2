/* formats/ndjson/kn_ndjson_string.c: decoding JSON string escapes (RFC 8259 section 7). */
#include "kn_ndjson_string.h"

#include <string.h>

static int hex4(const uint8_t *s, size_t avail) {
    if (avail < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = s[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

bool kn__json_unescape(const uint8_t *src, size_t n, uint8_t *dst, size_t *out_len, size_t *bad,
                       const char **why) {
    size_t i = 0, o = 0;
    while (i < n) {
        const uint8_t *b = memchr(src + i, '\\', n - i);
        size_t run = b ? (size_t)(b - (src + i)) : n - i;
        if (dst && run) memcpy(dst + o, src + i, run);
        o += run;
        i += run;
        if (!b) break;
        size_t at = i;
        if (i + 1 >= n) {
            *bad = at;
            *why = "a string ends with a lone backslash";
            return false;
        }
        uint8_t e = src[i + 1];
        uint8_t out;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            int cp = hex4(src + i + 2, n - i - 2);
            if (cp < 0) {
                *bad = at;
                *why = "\\u must be followed by four hex digits";
                return false;
            }
            i += 6;
            uint32_t c = (uint32_t)cp;
            if (c >= 0xDC00 && c <= 0xDFFF) {
                *bad = at;
                *why = "a lone low surrogate (\\uDC00-\\uDFFF) without a high one before it";
                return false;
            }
            if (c >= 0xD800 && c <= 0xDBFF) {
                int lo = n - i >= 6 && src[i] == '\\' && src[i + 1] == 'u' ? hex4(src + i + 2, n - i - 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    *bad = at;
                    *why = "a lone high surrogate (\\uD800-\\uDBFF) not followed by a low one";
                    return false;
                }
                c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                i += 6;
            }
            /* UTF-8 is never longer than the escape text it replaces (6 or 12 bytes). */
            if (dst) {
                if (c < 0x80) {
                    dst[o] = (uint8_t)c;
                } else if (c < 0x800) {
                    dst[o] = (uint8_t)(0xC0 | c >> 6);
                    dst[o + 1] = (uint8_t)(0x80 | (c & 0x3F));
                } else if (c < 0x10000) {
                    dst[o] = (uint8_t)(0xE0 | c >> 12);
                    dst[o + 1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
                    dst[o + 2] = (uint8_t)(0x80 | (c & 0x3F));
                } else {
                    dst[o] = (uint8_t)(0xF0 | c >> 18);
                    dst[o + 1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
                    dst[o + 2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
                    dst[o + 3] = (uint8_t)(0x80 | (c & 0x3F));
                }
            }
            o += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
            continue;
        }
        default:
            *bad = at;
            *why = "an invalid escape (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
            return false;
        }
        if (dst) dst[o] = out;
        o++;
        i += 2;
    }
    *out_len = o;
    return true;
}
