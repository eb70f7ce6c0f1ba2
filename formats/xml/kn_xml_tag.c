/* formats/xml/kn_xml_tag.c: start tags, end tags, text runs and the markup between them, read
 * and checked as XML 1.0 says (kn_xml_tag.h). */
#include "kn_xml_tag.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_utf8.h"

static size_t fail(kn__xml_fault *f, const char *why, size_t at, bool eof) {
    f->why = why;
    f->at = at;
    f->eof = eof;
    f->nomem = false;
    return 0;
}

static size_t nomem(kn__xml_fault *f, size_t at) {
    fail(f, "out of memory", at, false);
    f->nomem = true;
    return 0;
}

bool kn__xml_all_space(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!kn__xml_is_space(s[i])) return false;
    return true;
}

bool kn__xml_text_append(kn__xml_lexer *lx, kn__xml_text *t, const uint8_t *p, size_t n, bool raw) {
    kn_buf *b = lx->scratch;
    if (!t->any) {
        t->any = true;
        if (raw) {
            t->x = (kn__xml_ref){p, 0, n};
            return true;
        }
        if (!kn_buf_reserve(b, n + 1)) return false;
        t->x = (kn__xml_ref){NULL, b->len, n};
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return true;
    }
    if (!n) return true;
    if (t->x.p || t->x.off + t->x.len != b->len) { /* make the text so far the tail of scratch */
        if (!kn_buf_reserve(b, t->x.len + n + 1)) return false;
        const uint8_t *old = t->x.p ? t->x.p : b->data + t->x.off;
        memmove(b->data + b->len, old, t->x.len);
        t->x = (kn__xml_ref){NULL, b->len, t->x.len};
        b->len += t->x.len;
    }
    if (!kn_buf_reserve(b, n + 1)) return false;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    t->x.len += n;
    return true;
}

/* A reference at d[at] == '&' within [at, end): its text appended to `t` (may be NULL: checked
 * only). In an attribute value (`attr`) whitespace characters of an entity become spaces and a
 * '<' in one is an error. Returns the offset past ';', or 0. */
static size_t reference(kn__xml_lexer *lx, size_t at, size_t end, kn__xml_text *t, bool attr, kn__xml_fault *f) {
    size_t rl, ol = 0;
    uint8_t buf[4];
    const kn_xml_entity *e = NULL;
    const char *why = NULL;
    kn__xml_ref_kind k = kn__xml_reference(lx->d + at, end - at, lx->entities, lx->num_entities, &rl, buf, &ol, &e, &why);
    if (k == KN__XML_REF_BAD) return fail(f, why, at, at + rl >= end && end == lx->len);
    if (k == KN__XML_REF_CHAR) {
        if (t && !kn__xml_text_append(lx, t, buf, ol, false)) return nomem(f, at);
        return at + rl;
    }
    if (e->external)
        return fail(f, "a reference to an external entity: kiln never opens external entities or DTDs", at, false);
    if (e->markup) return fail(f, "a reference to an entity whose replacement holds markup (elements), which kiln does not expand", at, false);
    if (!e->text) return fail(f, e->why ? e->why : "a reference to an entity that cannot be expanded", at, false);
    lx->expanded += e->len;
    if (lx->expansion_budget && lx->expanded > lx->expansion_budget)
        return fail(f, "entity references expand past the limit on entity expansion (an entity expansion attack?)", at, false);
    if (t) {
        size_t start = t->any ? t->x.len : 0;
        if (!kn__xml_text_append(lx, t, e->text, e->len, false)) return nomem(f, at);
        if (attr) {
            uint8_t *s = lx->scratch->data + t->x.off + start;
            for (size_t i = 0; i < e->len; i++)
                if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') s[i] = ' ';
        }
    }
    return at + rl;
}

size_t kn__xml_text_run(kn__xml_lexer *lx, size_t at, kn__xml_text *acc, kn__xml_fault *f) {
    const uint8_t *d = lx->d;
    size_t n = lx->len, i = at, chunk = at;
    for (;;) {
        i += lx->text_stop(d + i, n - i);
        if (i == n || d[i] == '<' || d[i] == '&' || d[i] == '\r' || d[i] < 0x20) {
            if (acc && i > chunk && !kn__xml_text_append(lx, acc, d + chunk, i - chunk, true)) return nomem(f, chunk), KN__XML_FAILED;
            if (i == n || d[i] == '<') break;
            if (d[i] == '&') {
                i = reference(lx, i, n, acc, false, f);
                if (!i) return KN__XML_FAILED;
            } else if (d[i] == '\r') { /* CRLF and a lone CR are both LF */
                static const uint8_t lf = '\n';
                if (acc && !kn__xml_text_append(lx, acc, &lf, 1, false)) return nomem(f, i), KN__XML_FAILED;
                i += i + 1 < n && d[i + 1] == '\n' ? 2 : 1;
            } else {
                return fail(f, "a control character XML does not allow", i, false), KN__XML_FAILED;
            }
            chunk = i;
            continue;
        }
        /* ']': only "]]>" is refused */
        if (i + 2 < n && d[i + 1] == ']' && d[i + 2] == '>') return fail(f, "\"]]>\" in text (write ]]&gt;)", i, false), KN__XML_FAILED;
        i++;
    }
    return i;
}

/* An attribute value at d[at] (the opening quote): decoded and normalized into a ref. */
static size_t attr_value(kn__xml_lexer *lx, size_t at, kn__xml_ref *out, kn__xml_fault *f) {
    const uint8_t *d = lx->d;
    size_t n = lx->len;
    uint8_t q = d[at];
    const uint8_t *close = memchr(d + at + 1, q, n - at - 1);
    if (!close) return fail(f, "an attribute value whose quote never closes", at, true);
    size_t end = (size_t)(close - d), i = at + 1, chunk = i;
    kn__xml_text t = {{d + i, 0, 0}, false};
    for (; i < end; i++) {
        uint8_t c = d[i];
        if (c == '<') return fail(f, "'<' in an attribute value (write &lt;)", i, false);
        if (c == '&' || c == '\t' || c == '\n' || c == '\r' || c < 0x20) {
            if (i > chunk && !kn__xml_text_append(lx, &t, d + chunk, i - chunk, true)) return nomem(f, i);
            if (c == '&') {
                size_t past = reference(lx, i, end, &t, true, f);
                if (!past) return 0;
                i = past - 1;
            } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return fail(f, "a control character XML does not allow", i, false);
            } else { /* whitespace is a space; CRLF one space */
                static const uint8_t sp = ' ';
                if (!kn__xml_text_append(lx, &t, &sp, 1, false)) return nomem(f, i);
                if (c == '\r' && i + 1 < end && d[i + 1] == '\n') i++;
            }
            chunk = i + 1;
        }
    }
    if (i > chunk && !kn__xml_text_append(lx, &t, d + chunk, i - chunk, true)) return nomem(f, i);
    if (!t.any) t.x = (kn__xml_ref){d + at + 1, 0, 0};
    *out = t.x;
    return end + 1;
}

static size_t skip_space(const uint8_t *d, size_t i, size_t n) {
    while (i < n && kn__xml_is_space(d[i])) i++;
    return i;
}

size_t kn__xml_start_tag(kn__xml_lexer *lx, size_t at, const uint8_t **name, size_t *name_len, bool *empty,
                         kn__xml_fault *f) {
    const uint8_t *d = lx->d;
    size_t n = lx->len, i = at + 1;
    size_t nl = kn__xml_name_len(d + i, n - i);
    if (!nl) return fail(f, i == n ? "the data ends inside a tag" : "'<' must start a tag, a comment, a PI or CDATA (write &lt; for the character)", i, i == n);
    *name = d + i;
    *name_len = nl;
    i += nl;
    lx->num_attrs = 0;
    for (;;) {
        size_t ws = i;
        i = skip_space(d, i, n);
        if (i == n) return fail(f, "the data ends inside a start tag", at, true);
        if (d[i] == '>') {
            *empty = false;
            return i + 1;
        }
        if (d[i] == '/') {
            if (i + 1 == n) return fail(f, "the data ends inside a start tag", at, true);
            if (d[i + 1] != '>') return fail(f, "'/' in a start tag must be followed by '>'", i, false);
            *empty = true;
            return i + 2;
        }
        if (i == ws) return fail(f, "attributes must be separated from the name and each other by whitespace", i, false);
        size_t al = kn__xml_name_len(d + i, n - i);
        if (!al) return fail(f, "an attribute name is not a legal XML name", i, false);
        size_t an = i;
        i = skip_space(d, i + al, n);
        if (i == n) return fail(f, "the data ends inside a start tag", at, true);
        if (d[i] != '=') return fail(f, "an attribute must have a value (name=\"value\")", i, false);
        i = skip_space(d, i + 1, n);
        if (i == n) return fail(f, "the data ends inside a start tag", at, true);
        if (d[i] != '"' && d[i] != '\'') return fail(f, "an attribute value must be quoted", i, false);
        for (size_t k = 0; k < lx->num_attrs; k++)
            if (lx->attrs[k].name_len == al && memcmp(lx->attrs[k].name, d + an, al) == 0)
                return fail(f, "an attribute appears twice in one tag", an, false);
        if (lx->num_attrs == lx->attrs_cap) {
            size_t cap = lx->attrs_cap ? lx->attrs_cap * 2 : 16;
            kn__xml_attr *a = kn_realloc(lx->attrs, cap * sizeof *a);
            if (!a) return nomem(f, i);
            lx->attrs = a;
            lx->attrs_cap = cap;
        }
        kn__xml_attr *a = &lx->attrs[lx->num_attrs];
        a->name = d + an;
        a->name_len = al;
        i = attr_value(lx, i, &a->value, f);
        if (!i) return 0;
        lx->num_attrs++;
    }
}

size_t kn__xml_end_tag(kn__xml_lexer *lx, size_t at, const uint8_t **name, size_t *name_len, kn__xml_fault *f) {
    const uint8_t *d = lx->d;
    size_t n = lx->len, i = at + 2;
    size_t nl = kn__xml_name_len(d + i, n - i);
    if (!nl) return fail(f, i == n ? "the data ends inside an end tag" : "an end tag's name is not a legal XML name", i, i == n);
    *name = d + i;
    *name_len = nl;
    i = skip_space(d, i + nl, n);
    if (i == n) return fail(f, "the data ends inside an end tag", at, true);
    if (d[i] != '>') return fail(f, "an end tag holds more than its name", i, false);
    return i + 1;
}

/* A CDATA section's text, verbatim but for line ends (CRLF and a lone CR are LF). */
static bool cdata_text(kn__xml_lexer *lx, kn__xml_text *acc, const uint8_t *s, size_t n) {
    static const uint8_t lf = '\n';
    size_t chunk = 0;
    for (const uint8_t *p = s; (p = memchr(p, '\r', n - (size_t)(p - s))) != NULL;) {
        size_t i = (size_t)(p - s);
        if (!kn__xml_text_append(lx, acc, s + chunk, i - chunk, chunk == 0) || !kn__xml_text_append(lx, acc, &lf, 1, false))
            return false;
        chunk = i + 1 < n && s[i + 1] == '\n' ? i + 2 : i + 1;
        p = s + chunk;
        if (chunk >= n) break;
    }
    return kn__xml_text_append(lx, acc, s + chunk, n - chunk, chunk == 0);
}

size_t kn__xml_misc(kn__xml_lexer *lx, size_t at, kn__xml_text *acc, bool *cdata, kn__xml_fault *f) {
    const uint8_t *d = lx->d + at;
    size_t n = lx->len - at, got, where;
    bool eof;
    *cdata = false;
    if (n >= 4 && memcmp(d, "<!--", 4) == 0) {
        got = kn__xml_comment(d, n, &f->why, &where, &eof);
    } else if (n >= 9 && memcmp(d, "<![CDATA[", 9) == 0) {
        got = kn__xml_cdata(d, n, &f->why, &where, &eof);
        *cdata = true;
        if (got && acc && !cdata_text(lx, acc, d + 9, got - 12)) return nomem(f, at);
    } else if (n >= 2 && d[1] == '?') {
        got = kn__xml_pi(d, n, &f->why, &where, &eof);
    } else {
        bool short_ = n < 9 && (memcmp(d, "<!--", n < 4 ? n : 4) == 0 || memcmp(d, "<![CDATA[", n) == 0);
        return fail(f, short_ ? "the data ends inside markup" : "\"<!\" must start a comment or a CDATA section here", at, short_);
    }
    if (!got) return fail(f, f->why, at + where, eof);
    return at + got;
}
