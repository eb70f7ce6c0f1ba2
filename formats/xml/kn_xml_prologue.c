/* formats/xml/kn_xml_prologue.c: what comes before the records: a BOM, the XML declaration,
 * comments and PIs, the document type declaration (its internal subset's entities declared and
 * expanded within bounds; nothing external opened) and the document element's start tag. */
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_xml_seams.h"
#include "kn_xml_tag.h"

typedef struct prologue {
    const kn_xml_options *opt;
    const uint8_t *d;
    size_t len;
    const char *name;
    kn_xml_file *out;
    size_t cap;            /* entities allocated */
    uint8_t *state;        /* expansion: 0 not yet, 1 in progress, 2 done */
} prologue;

static kn_status bad(const prologue *p, kn_error *err, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static kn_status bad(const prologue *p, kn_error *err, size_t at, const char *fmt, ...) {
    if (!err) return KN_E_DATA;
    va_list ap;
    va_start(ap, fmt);
    kn_error_setv(err, KN_E_DATA, fmt, ap);
    va_end(ap);
    int64_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->d[i] == '\n') line++, col = 1;
        else col++;
    }
    kn_error_locate(err, p->name, line, col, (int64_t)at);
    return KN_E_DATA;
}

static kn_status bad_at(const prologue *p, kn_error *err, size_t at, const char *why) {
    return bad(p, err, at, "%s", why);
}

static size_t space(const prologue *p, size_t i) {
    while (i < p->len && kn__xml_is_space(p->d[i])) i++;
    return i;
}

static bool at_word(const prologue *p, size_t i, const char *w) {
    size_t n = strlen(w);
    return i + n <= p->len && memcmp(p->d + i, w, n) == 0;
}

/* A quoted literal at d[i]: [*from, *to) its content; returns past the closing quote, or 0. */
static size_t literal(const prologue *p, size_t i, size_t *from, size_t *to) {
    if (i >= p->len || (p->d[i] != '"' && p->d[i] != '\'')) return 0;
    const uint8_t *q = memchr(p->d + i + 1, p->d[i], p->len - i - 1);
    if (!q) return 0;
    *from = i + 1;
    *to = (size_t)(q - p->d);
    return *to + 1;
}

/* ---- the XML declaration ---------------------------------------------------------------------- */

static kn_status xml_decl(prologue *p, size_t *pos, kn_error *err) {
    size_t i = *pos + 5, from, to;
    static const char *const keys[] = {"version", "encoding", "standalone"};
    bool seen_version = false;
    for (size_t k = 0; k < 3; k++) {
        size_t ws = i;
        i = space(p, i);
        if (!at_word(p, i, keys[k])) {
            if (k == 0) return bad(p, err, i, "the XML declaration must start with version=\"1.0\"");
            continue;
        }
        if (i == ws) return bad(p, err, i, "the XML declaration's fields must be separated by whitespace");
        i = space(p, i + strlen(keys[k]));
        if (i >= p->len || p->d[i] != '=') return bad(p, err, i, "'=' expected after %s in the XML declaration", keys[k]);
        i = literal(p, space(p, i + 1), &from, &to);
        if (!i) return bad(p, err, *pos, "the XML declaration's %s is not a quoted value", keys[k]);
        const uint8_t *v = p->d + from;
        size_t n = to - from;
        if (k == 0) {
            seen_version = true;
            if (n < 3 || v[0] != '1' || v[1] != '.' || strspn((const char *)v + 2, "0123456789") < n - 2)
                return bad(p, err, from, "XML version \"%.*s\" is not 1.x", (int)(n > 20 ? 20 : n), v);
        } else if (k == 1) {
            kn_text_encoding enc; /* the transcoding layer has turned any but UTF-8 into UTF-8 */
            if (!kn__xml_encoding_named(v, n, &enc))
                return bad(p, err, from, "encoding \"%.*s\" is not supported (UTF-8, UTF-16, ISO-8859-1, windows-1252)",
                           (int)(n > 40 ? 40 : n), v);
        } else if (!(n == 3 && memcmp(v, "yes", 3) == 0) && !(n == 2 && memcmp(v, "no", 2) == 0)) {
            return bad(p, err, from, "standalone must be \"yes\" or \"no\"");
        }
    }
    if (!seen_version) return bad(p, err, *pos, "the XML declaration has no version");
    i = space(p, i);
    if (!at_word(p, i, "?>")) return bad(p, err, i, "the XML declaration must end with \"?>\"");
    *pos = i + 2;
    return KN_OK;
}

/* ---- the DTD's internal subset ---------------------------------------------------------------- */

static kn_status add_entity(prologue *p, const uint8_t *name, size_t nl, bool external, size_t from, size_t to,
                            kn_error *err) {
    kn_xml_file *o = p->out;
    for (size_t i = 0; i < o->num_entities; i++) /* the first declaration binds */
        if (o->entities[i].name_len == nl && memcmp(o->entities[i].name, name, nl) == 0) return KN_OK;
    if (o->num_entities == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        kn_xml_entity *e = kn_realloc(o->entities, cap * sizeof *e);
        if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a DTD");
        o->entities = e;
        p->cap = cap;
    }
    kn_xml_entity *e = &o->entities[o->num_entities];
    memset(e, 0, sizeof *e);
    e->name = kn_strndup((const char *)name, nl);
    e->name_len = nl;
    e->external = external;
    if (!external) e->raw = kn_malloc(to - from + 1);
    if (!e->name || (!external && !e->raw)) {
        kn_free(e->name);
        kn_free(e->raw);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading a DTD");
    }
    if (!external) {
        memcpy(e->raw, p->d + from, to - from);
        e->raw_len = to - from;
    }
    o->num_entities++;
    return KN_OK;
}

/* An external ID at d[i] (SYSTEM "uri" or PUBLIC "id" "uri"): never opened; returns past it. */
static size_t external_id(const prologue *p, size_t i) {
    size_t from, to;
    if (at_word(p, i, "SYSTEM")) return literal(p, space(p, i + 6), &from, &to);
    if (at_word(p, i, "PUBLIC")) {
        size_t j = literal(p, space(p, i + 6), &from, &to);
        return j ? literal(p, space(p, j), &from, &to) : 0;
    }
    return 0;
}

static kn_status entity_decl(prologue *p, size_t *pos, kn_error *err) {
    size_t i = *pos + 8, ws = i;
    i = space(p, i);
    if (i == ws) return bad(p, err, i, "whitespace expected after <!ENTITY");
    bool pe = i < p->len && p->d[i] == '%';
    if (pe) i = space(p, i + 1);
    size_t nl = kn__xml_name_len(p->d + i, p->len - i);
    if (!nl) return bad(p, err, i, "an entity declaration needs a name");
    const uint8_t *name = p->d + i;
    ws = i + nl;
    i = space(p, ws);
    if (i == ws) return bad(p, err, i, "whitespace expected after the entity's name");
    size_t from = 0, to = 0;
    bool external = false;
    if (i < p->len && (p->d[i] == '"' || p->d[i] == '\'')) {
        i = literal(p, i, &from, &to);
        if (!i) return bad(p, err, ws, "an entity value whose quote never closes");
        const uint8_t *pc = memchr(p->d + from, '%', to - from);
        if (pc) return bad(p, err, (size_t)(pc - p->d), "a parameter-entity reference inside the internal subset's entity value");
    } else {
        size_t j = external_id(p, i);
        if (!j) return bad(p, err, i, "an entity needs a quoted value or SYSTEM/PUBLIC and a quoted identifier");
        external = true;
        i = space(p, j);
        if (at_word(p, i, "NDATA")) {
            if (pe) return bad(p, err, i, "a parameter entity cannot be unparsed (NDATA)");
            i = space(p, i + 5);
            size_t l = kn__xml_name_len(p->d + i, p->len - i);
            if (!l) return bad(p, err, i, "NDATA needs a notation name");
            i += l;
        }
    }
    i = space(p, i);
    if (i >= p->len || p->d[i] != '>') return bad(p, err, i, "'>' expected at the end of the entity declaration");
    *pos = i + 1;
    return pe ? KN_OK : add_entity(p, name, nl, external, from, to, err);
}

/* An element, attribute-list or notation declaration: passed over to its '>' (quotes respected). */
static kn_status skip_decl(prologue *p, size_t *pos, kn_error *err) {
    for (size_t i = *pos + 2; i < p->len; i++) {
        uint8_t c = p->d[i];
        if (c == '"' || c == '\'') {
            const uint8_t *q = memchr(p->d + i + 1, c, p->len - i - 1);
            if (!q) break;
            i = (size_t)(q - p->d);
        } else if (c == '>') {
            *pos = i + 1;
            return KN_OK;
        } else if (c == '<') {
            return bad(p, err, i, "'<' inside a markup declaration");
        }
    }
    return bad(p, err, *pos, "a markup declaration that does not end");
}

static kn_status misc(prologue *p, kn__xml_lexer *lx, size_t *pos, bool *done, kn_error *err) {
    kn__xml_fault f;
    bool cdata;
    if (at_word(p, *pos, "<!--") || at_word(p, *pos, "<?")) {
        size_t q = kn__xml_misc(lx, *pos, NULL, &cdata, &f);
        if (!q) return bad(p, err, f.at, "%s", f.why);
        *pos = q;
        *done = true;
    } else {
        *done = false;
    }
    return KN_OK;
}

static kn_status internal_subset(prologue *p, kn__xml_lexer *lx, size_t *pos, kn_error *err) {
    size_t i = *pos;
    for (;;) {
        i = space(p, i);
        if (i >= p->len) return bad(p, err, *pos, "the DTD's internal subset does not end (no ']')");
        if (p->d[i] == ']') {
            *pos = i + 1;
            return KN_OK;
        }
        bool done;
        KN_TRY(misc(p, lx, &i, &done, err));
        if (done) continue;
        if (at_word(p, i, "<!ENTITY")) KN_TRY(entity_decl(p, &i, err));
        else if (at_word(p, i, "<!ELEMENT") || at_word(p, i, "<!ATTLIST") || at_word(p, i, "<!NOTATION"))
            KN_TRY(skip_decl(p, &i, err));
        else if (p->d[i] == '%')
            return bad(p, err, i, "parameter-entity references in the DTD are not supported");
        else return bad(p, err, i, "a markup declaration expected in the DTD");
    }
}

static kn_status doctype(prologue *p, kn__xml_lexer *lx, size_t *pos, kn_error *err) {
    size_t i = *pos + 9, ws = i;
    i = space(p, i);
    size_t nl = i > ws ? kn__xml_name_len(p->d + i, p->len - i) : 0;
    if (!nl) return bad(p, err, i, "<!DOCTYPE must be followed by whitespace and the document element's name");
    ws = i += nl;
    i = space(p, i);
    if (i > ws && (at_word(p, i, "SYSTEM") || at_word(p, i, "PUBLIC"))) {
        i = external_id(p, i); /* an external DTD: never opened */
        if (!i) return bad(p, err, ws, "SYSTEM or PUBLIC needs quoted identifiers");
        i = space(p, i);
    }
    if (i < p->len && p->d[i] == '[') {
        i++;
        KN_TRY(internal_subset(p, lx, &i, err));
        i = space(p, i);
    }
    if (i >= p->len || p->d[i] != '>') return bad(p, err, i, "'>' expected at the end of <!DOCTYPE");
    *pos = i + 1;
    return KN_OK;
}

/* ---- entity expansion ------------------------------------------------------------------------- */

/* Entity k's replacement text, references inside it resolved, within max_entity_bytes. A fault
 * is kept in the entity (why), for the records that refer to it; only memory fails here. */
static kn_status expand(prologue *p, size_t k, kn_error *err) {
    kn_xml_entity *e = &p->out->entities[k];
    if (p->state[k] == 2) return KN_OK;
    p->state[k] = 2; /* a reference back to it finds it "done" with no text yet: see below */
    if (e->external) return KN_OK;
    kn_buf b = {0};
    const uint8_t *s = e->raw;
    size_t n = e->raw_len;
    e->markup = memchr(s, '<', n) != NULL;
    for (size_t i = 0; i < n && !e->why;) {
        if (s[i] != '&') {
            const uint8_t *amp = memchr(s + i, '&', n - i);
            size_t j = amp ? (size_t)(amp - s) : n;
            if (!kn_buf_append(&b, s + i, j - i)) goto nomem;
            i = j;
            continue;
        }
        size_t rl, ol = 0;
        uint8_t c[4];
        const kn_xml_entity *ref = NULL;
        const char *why = NULL;
        kn__xml_ref_kind kind = kn__xml_reference(s + i, n - i, p->out->entities, p->out->num_entities, &rl, c, &ol, &ref, &why);
        if (kind == KN__XML_REF_BAD) {
            e->why = why;
        } else if (kind == KN__XML_REF_CHAR) {
            if (s[i + 1] == '#' && (c[0] == '<' || c[0] == '&')) e->markup = true;
            if (!kn_buf_append(&b, c, ol)) goto nomem;
        } else {
            size_t rk = (size_t)(ref - p->out->entities);
            if (p->state[rk] == 2 && !ref->text && !ref->why && !ref->external) {
                e->why = "an entity that refers to itself (directly or through others)";
            } else {
                KN_TRY(expand(p, rk, err));
                if (ref->external) e->why = "an entity that refers to an external entity: kiln never opens those";
                else if (!ref->text) e->why = ref->why;
                else {
                    e->markup |= ref->markup;
                    if (b.len + ref->len > p->opt->max_entity_bytes) e->why = NULL, b.len = p->opt->max_entity_bytes + 1;
                    else if (!kn_buf_append(&b, ref->text, ref->len)) goto nomem;
                }
            }
        }
        i += rl;
        if (b.len > p->opt->max_entity_bytes && !e->why)
            e->why = "a reference to an entity that expands past the limit on entity size (an entity expansion attack?)";
    }
    if (e->why) {
        kn_buf_free(&b);
        return KN_OK;
    }
    e->text = b.data ? b.data : kn_malloc(1);
    if (!e->text) goto nomem;
    e->len = b.len;
    return KN_OK;
nomem:
    kn_buf_free(&b);
    return kn_error_set(err, KN_E_NOMEM, "out of memory expanding entities");
}

/* ---- the whole prologue ---------------------------------------------------------------------- */

void kn_xml_file_end(kn_xml_file *f, uint64_t len) { f->file_len = len; }

void kn_xml_file_release(kn_xml_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->num_entities; i++) {
        kn_free(f->entities[i].name);
        kn_free(f->entities[i].raw);
        kn_free(f->entities[i].text);
    }
    kn_free(f->entities);
    kn__xml_seams_free(f->seams);
    kn_free(f->root);
    kn_free(f->first_record);
    memset(f, 0, sizeof *f);
}

static kn_status document(prologue *p, kn__xml_lexer *lx, kn_error *err) {
    kn_xml_file *o = p->out;
    size_t i = 0;
    if (p->len >= 2 && ((p->d[0] == 0xFE && p->d[1] == 0xFF) || (p->d[0] == 0xFF && p->d[1] == 0xFE)))
        return bad(p, err, 0, "UTF-16 that was not transcoded (an internal error: the reader takes UTF-8)");
    if (p->len >= 3 && memcmp(p->d, "\xEF\xBB\xBF", 3) == 0) i = 3;
    if (at_word(p, i, "<?xml") && i + 5 < p->len && kn__xml_is_space(p->d[i + 5])) KN_TRY(xml_decl(p, &i, err));
    bool seen_doctype = false;
    for (;;) {
        size_t t = i;
        i = space(p, i);
        if (i >= p->len) return bad(p, err, t, p->len ? "no document element (the data ends before one)" : "the file is empty: no document element");
        bool done;
        KN_TRY(misc(p, lx, &i, &done, err));
        if (done) continue;
        if (at_word(p, i, "<!DOCTYPE")) {
            if (seen_doctype) return bad(p, err, i, "a second <!DOCTYPE");
            seen_doctype = true;
            KN_TRY(doctype(p, lx, &i, err));
            continue;
        }
        if (p->d[i] != '<') return bad(p, err, i, "text before the document element");
        break;
    }
    p->state = kn_calloc(o->num_entities ? o->num_entities : 1, 1);
    if (!p->state) return kn_error_set(err, KN_E_NOMEM, "out of memory expanding entities");
    for (size_t k = 0; k < o->num_entities; k++) KN_TRY(expand(p, k, err));
    lx->entities = o->entities;
    lx->num_entities = o->num_entities;
    kn__xml_fault f;
    const uint8_t *name;
    size_t nl;
    bool empty;
    size_t root_at = i;
    i = kn__xml_start_tag(lx, i, &name, &nl, &empty, &f);
    if (!i) return bad(p, err, f.at, "%s", f.why);
    o->root = kn_strndup((const char *)name, nl);
    if (!o->root) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a prologue");
    const char *tag = p->opt->row_tag;
    if (tag && strlen(tag) == nl && memcmp(tag, name, nl) == 0) {
        o->root_is_record = true;
        o->data_start = root_at;
        o->first_record = kn_strdup(tag);
        return o->first_record ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory reading a prologue");
    }
    o->data_start = i;
    o->root_closed_early = empty;
    if (tag) {
        o->first_record = kn_strdup(tag);
        if (!empty) o->seams = kn__xml_seams_create(o->data_start, o->root);
        return o->first_record && (empty || o->seams) ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory reading a prologue");
    }
    /* The first record's name, for guessing where later ones start. */
    for (;;) {
        i = space(p, i);
        bool done = false;
        if (i < p->len && misc(p, lx, &i, &done, NULL) == KN_OK && done) continue;
        break;
    }
    if (!empty && i + 1 < p->len && p->d[i] == '<') {
        size_t l = kn__xml_name_len(p->d + i + 1, p->len - i - 1);
        if (l) {
            o->first_record = kn_strndup((const char *)p->d + i + 1, l);
            if (!o->first_record) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a prologue");
        }
    }
    return KN_OK;
}

kn_status kn_xml_prologue(const kn_xml_options *opt, const uint8_t *data, size_t len, bool whole, const char *name,
                          kn_xml_file *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    out->file_len = whole ? len : UINT64_MAX;
    prologue p = {opt, data, len, name, out, 0, NULL};
    kn_buf scratch = {0};
    kn__xml_lexer lx = {0};
    lx.d = data;
    lx.len = len;
    lx.scratch = &scratch;
    lx.text_stop = kn__xml_text_stop_scalar;
    kn_status st = document(&p, &lx, err);
    const char *why;
    size_t bad = st == KN_OK ? kn__xml_invalid_char(data, out->data_start, &why) : out->data_start;
    if (bad < out->data_start) st = bad_at(&p, err, bad, why);
    kn_free(p.state);
    kn_free(lx.attrs);
    kn_buf_free(&scratch);
    if (st != KN_OK) kn_xml_file_release(out);
    return st;
}
