/* formats/xml/kn_xml_tag.h (internal): start tags, end tags and text runs, read and checked,
 * shared by the reader and the prologue. Text that must change (references, CR) is decoded
 * into the caller's scratch buffer; text that need not is referred to where it lies. */
#ifndef KN_XML_TAG_H
#define KN_XML_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_xml_internal.h"

/* Text that lies in the input (p != NULL) or in scratch at [off, off + len). */
typedef struct kn__xml_ref {
    const uint8_t *p;
    size_t off, len;
} kn__xml_ref;

static inline const uint8_t *kn__xml_ref_bytes(const kn_buf *scratch, kn__xml_ref x) {
    if (x.p) return x.p;
    /* An empty scratch has no bytes yet (data NULL): an empty text, no arithmetic on NULL. */
    return scratch->data ? scratch->data + x.off : (const uint8_t *)"";
}

/* Where a lexing step failed. */
typedef struct kn__xml_fault {
    const char *why;
    size_t at;   /* offset in the data */
    bool eof;    /* the data ended too early (more bytes may make it whole) */
    bool nomem;
} kn__xml_fault;

typedef struct kn__xml_attr {
    const uint8_t *name;
    size_t name_len;
    kn__xml_ref value;
} kn__xml_attr;

/* What the lexer needs from its user. */
typedef struct kn__xml_lexer {
    const uint8_t *d;                /* the data */
    size_t len;
    kn_buf *scratch;                 /* decoded text goes here */
    const kn_xml_entity *entities;
    size_t num_entities;
    kn__xml_text_fn text_stop;
    uint64_t expanded;               /* entity bytes expanded so far */
    uint64_t expansion_budget;       /* the most `expanded` may reach; 0: none */
    kn__xml_attr *attrs;             /* the last start tag's attributes (owned, grown) */
    size_t num_attrs, attrs_cap;
} kn__xml_lexer;

/* The start tag at d[at] == '<': its name, its attributes (into lx->attrs, values decoded and
 * normalized, duplicates refused) and whether it closes itself. Returns the offset past '>'
 * or 0 with *f. */
size_t kn__xml_start_tag(kn__xml_lexer *lx, size_t at, const uint8_t **name, size_t *name_len, bool *empty,
                         kn__xml_fault *f);

/* The end tag at d[at] == '<', d[at+1] == '/': its name. Returns the offset past '>' or 0. */
size_t kn__xml_end_tag(kn__xml_lexer *lx, size_t at, const uint8_t **name, size_t *name_len, kn__xml_fault *f);

/* Text runs and attribute values are checked for markup, references and control characters;
 * that the bytes are UTF-8 without U+FFFE and U+FFFF is the caller's to check, once over a
 * whole record or span (kn__xml_invalid_char): one long check costs less than many short ones. */

/* Text content from d[at] to the next '<' (or the end): checked, and, when `acc` is not NULL,
 * appended to it (see kn__xml_text_append). Returns the offset of the '<' (or len), or
 * KN__XML_FAILED with *f. */
#define KN__XML_FAILED SIZE_MAX
typedef struct kn__xml_text {
    kn__xml_ref x;
    bool any;
} kn__xml_text;
size_t kn__xml_text_run(kn__xml_lexer *lx, size_t at, kn__xml_text *acc, kn__xml_fault *f);

/* Appends bytes to a text being gathered: the first piece is referred to where it lies (`raw`),
 * later ones make the whole a contiguous copy at the end of scratch. False when out of memory. */
bool kn__xml_text_append(kn__xml_lexer *lx, kn__xml_text *t, const uint8_t *p, size_t n, bool raw);

/* Comments, PIs, CDATA (appended to `acc` when not NULL) at d[at] == '<', '!' or '?': returns the
 * offset past them, or 0 with *f. `*cdata` says a CDATA section was read. */
size_t kn__xml_misc(kn__xml_lexer *lx, size_t at, kn__xml_text *acc, bool *cdata, kn__xml_fault *f);

/* True when the bytes are all XML whitespace. */
bool kn__xml_all_space(const uint8_t *s, size_t n);

#endif
