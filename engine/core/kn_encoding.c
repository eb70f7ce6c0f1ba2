/* engine/core/kn_encoding.c: text encodings' characters as UTF-8 (kn_encoding.h). */
#include "kn_encoding.h"

const char *kn_encoding_name(kn_text_encoding e) {
    switch (e) {
    case KN_TEXT_UTF16LE: return "utf-16le";
    case KN_TEXT_UTF16BE: return "utf-16be";
    case KN_TEXT_LATIN1: return "iso-8859-1";
    case KN_TEXT_WINDOWS1252: return "windows-1252";
    default: return "utf-8";
    }
}

size_t kn_utf8_put(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* windows-1252's 0x80..0x9f; 0 where it leaves the byte undefined (taken as latin-1's C1). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

size_t kn_encoding_byte_to_utf8(kn_text_encoding e, uint8_t c, uint8_t out[3]) {
    uint32_t cp = c;
    if (e == KN_TEXT_WINDOWS1252 && c >= 0x80 && c < 0xa0 && cp1252_high[c - 0x80]) cp = cp1252_high[c - 0x80];
    uint8_t four[4];
    size_t n = kn_utf8_put(cp, four);
    for (size_t i = 0; i < n; i++) out[i] = four[i];
    return n;
}
