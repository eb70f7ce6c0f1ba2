/* formats/xml/kn_xml_lex.c: the lexical pieces of XML 1.0 (5th edition) the reader's files
 * share: names, characters, references, comments, PIs and CDATA sections. */
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kn_encoding.h"
#include "kn_utf8.h"
#include "kn_xml_internal.h"

#define S 2 /* NameStartChar */
#define C 1 /* NameChar only */
const uint8_t kn__xml_name_class[256] = {
    ['-'] = C, ['.'] = C, ['0'] = C, ['1'] = C, ['2'] = C, ['3'] = C, ['4'] = C, ['5'] = C, ['6'] = C, ['7'] = C,
    ['8'] = C, ['9'] = C, [':'] = S, ['_'] = S,
    ['A'] = S, ['B'] = S, ['C'] = S, ['D'] = S, ['E'] = S, ['F'] = S, ['G'] = S, ['H'] = S, ['I'] = S, ['J'] = S,
    ['K'] = S, ['L'] = S, ['M'] = S, ['N'] = S, ['O'] = S, ['P'] = S, ['Q'] = S, ['R'] = S, ['S'] = S, ['T'] = S,
    ['U'] = S, ['V'] = S, ['W'] = S, ['X'] = S, ['Y'] = S, ['Z'] = S,
    ['a'] = S, ['b'] = S, ['c'] = S, ['d'] = S, ['e'] = S, ['f'] = S, ['g'] = S, ['h'] = S, ['i'] = S, ['j'] = S,
    ['k'] = S, ['l'] = S, ['m'] = S, ['n'] = S, ['o'] = S, ['p'] = S, ['q'] = S, ['r'] = S, ['s'] = S, ['t'] = S,
    ['u'] = S, ['v'] = S, ['w'] = S, ['x'] = S, ['y'] = S, ['z'] = S,
#define HI16(b) [b] = S, [b + 1] = S, [b + 2] = S, [b + 3] = S, [b + 4] = S, [b + 5] = S, [b + 6] = S, [b + 7] = S, \
    [b + 8] = S, [b + 9] = S, [b + 10] = S, [b + 11] = S, [b + 12] = S, [b + 13] = S, [b + 14] = S, [b + 15] = S
    HI16(0x80), HI16(0x90), HI16(0xA0), HI16(0xB0), HI16(0xC0), HI16(0xD0), HI16(0xE0), HI16(0xF0),
#undef HI16
};
#undef S
#undef C

static uint32_t decode(const uint8_t *s, size_t len) {
    switch (len) {
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    case 4: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    default: return s[0];
    }
}

/* NameStartChar and NameChar beyond ASCII (XML 1.0 5th edition, productions [4] and [4a]). */
static bool name_start_cp(uint32_t c) {
    return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
           (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}
static bool name_cp(uint32_t c) {
    return name_start_cp(c) || c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

size_t kn__xml_name_len(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            uint8_t k = kn__xml_name_class[b];
            if (!k || (i == 0 && k != 2)) break;
            i++;
            continue;
        }
        size_t q = kn_utf8_sequence(s + i, n - i);
        if (!q) break;
        uint32_t cp = decode(s + i, q);
        if (i == 0 ? !name_start_cp(cp) : !name_cp(cp)) break;
        i += q;
    }
    return i;
}

/* The length of the ASCII run at the start of s[0..n). */
static size_t ascii_prefix(const uint8_t *s, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned high = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)));
        if (high) return i + (size_t)__builtin_ctz(high);
    }
#endif
    while (i < n && s[i] < 0x80) i++;
    return i;
}

size_t kn__xml_invalid_char(const uint8_t *s, size_t n, const char **why) {
    /* Most records and nearly all the bytes between them are ASCII up to a late non-ASCII
     * value (or to their end): the validator starts at the first byte with its high bit set,
     * which an ASCII byte before it cannot make valid or invalid. */
    size_t from = ascii_prefix(s, n);
    *why = "invalid UTF-8";
    if (from == n) return n;
    size_t bad = from + kn_utf8_validate(s + from, n - from);
    for (const uint8_t *p = s + from, *e = s + bad; (p = memchr(p, 0xEF, (size_t)(e - p))) != NULL; p++)
        if (p + 2 < e && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
            *why = "a character XML does not allow (U+FFFE or U+FFFF)";
            return (size_t)(p - s);
        }
    return bad;
}

static const struct {
    const char *name;
    size_t len;
    uint8_t c;
} predefined[] = {{"lt", 2, '<'}, {"gt", 2, '>'}, {"amp", 3, '&'}, {"apos", 4, '\''}, {"quot", 4, '"'}};

kn__xml_ref_kind kn__xml_reference(const uint8_t *s, size_t n, const kn_xml_entity *entities, size_t num_entities,
                             size_t *len, uint8_t out[4], size_t *out_len, const kn_xml_entity **entity,
                             const char **why) {
    *len = 1;
    if (n >= 2 && s[1] == '#') {
        bool hex = n >= 3 && s[2] == 'x';
        size_t i = hex ? 3 : 2, first = i;
        uint32_t cp = 0;
        for (; i < n && s[i] != ';'; i++) {
            uint8_t d = s[i];
            uint32_t v;
            if (d >= '0' && d <= '9') v = (uint32_t)(d - '0');
            else if (hex && d >= 'a' && d <= 'f') v = (uint32_t)(d - 'a' + 10);
            else if (hex && d >= 'A' && d <= 'F') v = (uint32_t)(d - 'A' + 10);
            else {
                *why = "a character reference holds a character that is not a digit";
                return KN__XML_REF_BAD;
            }
            cp = cp * (hex ? 16 : 10) + v;
            if (cp > 0x10FFFF) cp = 0x110000; /* stays out of range, never wraps */
        }
        if (i == n) {
            *why = "a character reference does not end with ';'";
            return KN__XML_REF_BAD;
        }
        if (i == first) {
            *why = "a character reference has no digits";
            return KN__XML_REF_BAD;
        }
        if (!kn__xml_is_char(cp)) {
            *why = "a character reference names a character XML does not allow";
            return KN__XML_REF_BAD;
        }
        *len = i + 1;
        *out_len = kn_utf8_put(cp, out);
        return KN__XML_REF_CHAR;
    }
    size_t nl = kn__xml_name_len(s + 1, n - 1);
    if (!nl) {
        *why = "'&' must start a reference (write &amp; for the character)";
        return KN__XML_REF_BAD;
    }
    if (1 + nl >= n || s[1 + nl] != ';') {
        *why = "an entity reference does not end with ';'";
        return KN__XML_REF_BAD;
    }
    *len = nl + 2;
    for (size_t i = 0; i < sizeof predefined / sizeof predefined[0]; i++)
        if (predefined[i].len == nl && memcmp(predefined[i].name, s + 1, nl) == 0) {
            out[0] = predefined[i].c;
            *out_len = 1;
            return KN__XML_REF_CHAR;
        }
    for (size_t i = 0; i < num_entities; i++)
        if (entities[i].name_len == nl && memcmp(entities[i].name, s + 1, nl) == 0) {
            *entity = &entities[i];
            return KN__XML_REF_ENTITY;
        }
    *why = "a reference to an entity that is not declared";
    return KN__XML_REF_BAD;
}

/* The offset of the first `pat` (plen bytes) in s[0..n), or n. */
static size_t find(const uint8_t *s, size_t n, const char *pat, size_t plen) {
    const uint8_t *p = memmem(s, n, pat, plen);
    return p ? (size_t)(p - s) : n;
}

static const struct {
    const char *name;
    kn_text_encoding enc;
} encodings[] = {{"UTF-8", KN_TEXT_UTF8},         {"UTF8", KN_TEXT_UTF8},         {"US-ASCII", KN_TEXT_UTF8},
                 {"ASCII", KN_TEXT_UTF8},         {"UTF-16", KN_TEXT_UTF16LE},    {"UTF-16LE", KN_TEXT_UTF16LE},
                 {"UTF-16BE", KN_TEXT_UTF16BE},   {"ISO-8859-1", KN_TEXT_LATIN1}, {"ISO_8859-1", KN_TEXT_LATIN1},
                 {"LATIN1", KN_TEXT_LATIN1},      {"LATIN-1", KN_TEXT_LATIN1},    {"WINDOWS-1252", KN_TEXT_WINDOWS1252},
                 {"CP1252", KN_TEXT_WINDOWS1252}};

bool kn__xml_encoding_named(const uint8_t *s, size_t n, kn_text_encoding *out) {
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++)
        if (strlen(encodings[i].name) == n && strncasecmp(encodings[i].name, (const char *)s, n) == 0) {
            *out = encodings[i].enc;
            return true;
        }
    return false;
}

/* The characters of s[from..to) must be legal: UTF-8, no C0 control but tab, LF and CR, no
 * U+FFFE or U+FFFF. */
static bool chars_ok(const uint8_t *s, size_t from, size_t to, const char **why, size_t *at) {
    size_t bad = kn__xml_invalid_char(s + from, to - from, why);
    for (size_t i = from; i < from + bad; i++)
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            *why = "a control character XML does not allow";
            *at = i;
            return false;
        }
    *at = from + bad;
    return bad == to - from;
}

size_t kn__xml_comment(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof) {
    *eof = false;
    size_t dd = find(s + 4, n - 4, "--", 2);
    if (dd == n - 4) {
        *why = "a comment that does not end (no \"-->\")";
        *at = 0;
        *eof = true;
        return 0;
    }
    dd += 4;
    if (dd + 2 >= n) {
        *why = "a comment that does not end (no \"-->\")";
        *at = 0;
        *eof = true;
        return 0;
    }
    if (s[dd + 2] != '>') {
        *why = "\"--\" inside a comment (a comment ends at the first \"--\", which must be followed by '>')";
        *at = dd;
        return 0;
    }
    if (!chars_ok(s, 4, dd, why, at)) return 0;
    return dd + 3;
}

size_t kn__xml_pi(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof) {
    *eof = false;
    size_t tl = kn__xml_name_len(s + 2, n - 2);
    if (!tl) {
        *why = "a processing instruction must start with a target name (\"<?name\")";
        *at = 2;
        *eof = n <= 2;
        return 0;
    }
    if (tl == 3 && (s[2] | 0x20) == 'x' && (s[3] | 0x20) == 'm' && (s[4] | 0x20) == 'l') {
        *why = "an XML declaration (or a PI named xml) anywhere but at the very start of the document";
        *at = 0;
        return 0;
    }
    size_t i = 2 + tl;
    size_t end = find(s + i, n - i, "?>", 2);
    if (i + end == n) {
        *why = "a processing instruction that does not end (no \"?>\")";
        *at = 0;
        *eof = true;
        return 0;
    }
    end += i;
    if (end > i && !kn__xml_is_space(s[i])) {
        *why = "a processing instruction's target must be followed by whitespace or \"?>\"";
        *at = i;
        return 0;
    }
    if (!chars_ok(s, i, end, why, at)) return 0;
    return end + 2;
}

size_t kn__xml_cdata(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof) {
    *eof = false;
    size_t e = find(s + 9, n - 9, "]]>", 3);
    if (e == n - 9) {
        *why = "a CDATA section that does not end (no \"]]>\")";
        *at = 0;
        *eof = true;
        return 0;
    }
    if (!chars_ok(s, 9, 9 + e, why, at)) return 0;
    return 9 + e + 3;
}
