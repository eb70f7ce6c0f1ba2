/* formats/xml/kn_xml_internal.h (internal): what the XML reader's files share: the lexical
 * pieces of XML 1.0 (names, characters, comments, PIs, references) used by the prologue, the
 * reader and the morsel guess, and the scan twins. */
#ifndef KN_XML_INTERNAL_H
#define KN_XML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kn_buf.h"
#include "kn_encoding.h"
#include "kn_xml.h"

/* An internal general entity, fully expanded (character and entity references inside it
 * resolved when it was declared, as XML 1.0's "included" rule has it). */
struct kn_xml_entity {
    char *name;       /* owned */
    size_t name_len;
    uint8_t *raw;     /* owned: the literal value as declared (NULL for an external entity) */
    size_t raw_len;
    uint8_t *text;    /* owned: the replacement text, expanded; NULL when `why` says why not */
    size_t len;
    bool external;    /* SYSTEM or PUBLIC: never opened */
    bool markup;      /* the replacement holds markup ('<'): not expanded in content */
    const char *why;  /* a static reason a reference to it is an error, or NULL */
};

/* ---- the scan twins: the first byte text content must stop at -------------------------------- */

/* The offset of the first byte of s[0..n) that is '<', '&', ']', '\r' or a C0 control other
 * than tab and LF (or n). */
typedef size_t (*kn__xml_text_fn)(const uint8_t *s, size_t n);
size_t kn__xml_text_stop_scalar(const uint8_t *s, size_t n);
size_t kn__xml_text_stop_avx2(const uint8_t *s, size_t n);

/* The same scan for the short texts most leaves hold: the first 16 bytes looked at inline
 * (SSE2, which every x86-64 has), the rest by the twin `fn`. A call and the twin's set-up cost
 * more than the scan of a 10-byte value. */
static inline size_t kn__xml_text_stop_head(const uint8_t *s, size_t n, kn__xml_text_fn fn) {
#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)s);
        const __m128i c0 = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v); /* v <= 0x1F */
        const __m128i tab_lf = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
        const __m128i marks = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')), _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8(']')));
        unsigned hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(marks, _mm_andnot_si128(tab_lf, c0)));
        if (hit) return (size_t)__builtin_ctz(hit);
        return 16 + fn(s + 16, n - 16);
    }
#endif
    return fn(s, n);
}

/* ---- characters and names ------------------------------------------------------------------- */

extern const uint8_t kn__xml_name_class[256]; /* 2: NameStartChar, 1: NameChar only, 0: neither
                                                 (bytes >= 0x80 are 2: checked by code point) */

static inline bool kn__xml_is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The length of the Name at s[0..n) (0 when s does not start with one). Non-ASCII characters
 * are decoded and checked against the Name ranges of XML 1.0 5th edition. */
size_t kn__xml_name_len(const uint8_t *s, size_t n);

/* The offset of the first byte of s[0..n) that is not valid UTF-8 or starts U+FFFE or U+FFFF
 * (*why says which), or n. */
size_t kn__xml_invalid_char(const uint8_t *s, size_t n, const char **why);

/* True when cp is a legal XML Char. */
static inline bool kn__xml_is_char(uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* ---- references ------------------------------------------------------------------------------ */

typedef enum kn__xml_ref_kind {
    KN__XML_REF_CHAR = 0, /* a character reference or a predefined entity: out/out_len */
    KN__XML_REF_ENTITY,   /* a declared entity: *entity */
    KN__XML_REF_BAD       /* *why says what is wrong */
} kn__xml_ref_kind;

/* Reads the reference at s[0] == '&' within s[0..n): its length (through ';') into *len.
 * `entities` (may be NULL) are searched for a name that is not predefined. */
kn__xml_ref_kind kn__xml_reference(const uint8_t *s, size_t n, const kn_xml_entity *entities, size_t num_entities,
                             size_t *len, uint8_t out[4], size_t *out_len, const kn_xml_entity **entity,
                             const char **why);

/* ---- markup that is not elements ------------------------------------------------------------- */

/* Each reads the construct that starts at s[0] ("<!--", "<?", "<![CDATA[") in s[0..n) and
 * returns its length through its terminator, or 0 with *why (and *at, the offset of the
 * fault) when it is not well-formed or does not end within n (*eof then). */
size_t kn__xml_comment(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof);
size_t kn__xml_pi(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof);
size_t kn__xml_cdata(const uint8_t *s, size_t n, const char **why, size_t *at, bool *eof);

/* The encoding an XML declaration names in s[0..n) (any case): UTF-8 and ASCII, UTF-16, and
 * latin-1 and windows-1252 by their usual names. False for a name kiln does not read. One
 * table for the format's sniff (what to transcode) and the prologue (what to accept). */
bool kn__xml_encoding_named(const uint8_t *s, size_t n, kn_text_encoding *out);

#endif
