/* formats/xml/kn_xml_record.c: the keys (names met in records) and a record's content read into
 * entries under them. Records mostly repeat their names in order, so each next name is
 * predicted, and a predicted leaf written the usual way (<name>text</name>) is matched byte for
 * byte and its text goes straight into its column, the quick way for the column's type. */
#include <string.h>

#include "kn_alloc.h"
#include "kn_parse_time.h"
#include "kn_parse_words.h"
#include "kn_xml_reader_impl.h"

/* ---- keys: column names met in records ------------------------------------------------------ */

static uint64_t hash_bytes(const uint8_t *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

bool kn__xml_rehash(kn_xml_reader *r, size_t cap) {
    uint32_t *h = kn_calloc(cap, sizeof *h);
    if (!h) return false;
    for (size_t k = 0; k < r->num_keys; k++) {
        size_t i = hash_bytes(r->key_names.data + r->keys[k].off, r->keys[k].len) & (cap - 1);
        while (h[i]) i = (i + 1) & (cap - 1);
        h[i] = (uint32_t)k + 1;
    }
    kn_free(r->hash);
    r->hash = h;
    r->hash_cap = cap;
    return true;
}

/* The key for name s[0..n): found, or added (with field -1, or `field` when adding the schema's).
 * UINT32_MAX when out of memory or past MAX_UNKNOWN_KEYS (the name is then ignored, as an
 * unknown name is; inference stops with an error instead). */
uint32_t kn__xml_key_of(kn_xml_reader *r, const uint8_t *s, size_t n, long field) {
    size_t i = hash_bytes(s, n) & (r->hash_cap - 1);
    for (; r->hash[i]; i = (i + 1) & (r->hash_cap - 1)) {
        key *k = &r->keys[r->hash[i] - 1];
        if (k->len == n && memcmp(r->key_names.data + k->off, s, n) == 0) return r->hash[i] - 1;
    }
    if (r->num_keys >= MAX_UNKNOWN_KEYS + (r->schema ? r->schema->num_fields : 0) || n > UINT32_MAX) return UINT32_MAX;
    if (r->num_keys == r->keys_cap) {
        size_t cap = r->keys_cap ? r->keys_cap * 2 : 64;
        key *k = kn_realloc(r->keys, cap * sizeof *k);
        if (!k) return UINT32_MAX;
        r->keys = k;
        r->keys_cap = cap;
    }
    if (r->key_names.len > UINT32_MAX - 2 * n - 5 || !kn_buf_push(&r->key_names, '<') || !kn_buf_append(&r->key_names, s, n) ||
        !kn_buf_append(&r->key_names, "></", 3) || !kn_buf_append(&r->key_names, s, n) || !kn_buf_push(&r->key_names, '>'))
        return UINT32_MAX;
    uint32_t id = (uint32_t)r->num_keys++;
    r->keys[id] = (key){.off = (uint32_t)(r->key_names.len - 2 * n - 4), .len = (uint32_t)n, .field = field, .next = UINT32_MAX};
    if (r->num_keys * 2 > r->hash_cap) {
        if (!kn__xml_rehash(r, r->hash_cap * 2)) {
            r->num_keys--;
            return UINT32_MAX;
        }
    } else {
        r->hash[i] = id + 1;
    }
    return id;
}

bool kn__xml_column_name(kn_xml_reader *r, const uint8_t *s, size_t n, bool attr, const uint8_t **out, size_t *out_len) {
    if (attr && n >= 5 && memcmp(s, "xmlns", 5) == 0 && (n == 5 || s[5] == ':')) return false;
    if (r->opt.strip_namespaces) {
        const uint8_t *c = memchr(s, ':', n);
        if (c) {
            n -= (size_t)(c + 1 - s);
            s = c + 1;
        }
    }
    if (!attr || !r->prefix_len) {
        *out = s;
        *out_len = n;
        return true;
    }
    kn_buf_clear(&r->keybuf);
    if (!kn_buf_append(&r->keybuf, r->opt.attribute_prefix, r->prefix_len) || !kn_buf_append(&r->keybuf, s, n)) {
        *out = s; /* out of memory: the name without its prefix, at worst a clash */
        *out_len = n;
        return true;
    }
    *out = r->keybuf.data;
    *out_len = r->keybuf.len;
    return true;
}

/* Whether s[0..n) lies in the data (not in the scratch a decoded value is built in): the quick
 * ways read past a value's end. */
static inline bool readable(const kn_xml_reader *r, const uint8_t *s, size_t n) {
    uintptr_t at = (uintptr_t)s, lo = (uintptr_t)r->d, hi = lo + r->len;
    return at >= lo && at <= hi && hi - at >= n;
}

/* A leaf's text s[0..n) into the column of key ky, the quick way for its column's type when the
 * text has that shape, the data goes on past it and the column has room (each parser writes
 * only when it takes the text); else store_text. A string of up to 32 bytes is copied as a
 * fixed 32 bytes (two vector moves; the bytes past n are the next value's to overwrite). */
static kn_status store_leaf(kn_xml_reader *r, const key *ky, const uint8_t *s, size_t n, size_t at, kn_error *err) {
    kn_column *c = &r->cols[ky->field];
    const char *t = (const char *)s;
    size_t row = c->length;
    if (ky->quick == QUICK_NONE || row >= c->capacity || !readable(r, s, n + 32)) goto general;
    switch (ky->quick) {
    case QUICK_STRING:
        if (n > 32 || c->bytes.cap - c->bytes.len < 32 || c->bytes.len + 32 > UINT32_MAX) goto general;
        memcpy(c->bytes.data + c->bytes.len, s, 32);
        c->bytes.len += n;
        c->offsets[row + 1] = (uint32_t)c->bytes.len;
        break;
    case QUICK_INT64:
        if (!kn_parse_int_words(t, n, INT64_MIN, INT64_MAX, (int64_t *)c->values + row)) goto general;
        break;
    case QUICK_INT32: {
        int64_t v;
        if (!kn_parse_int_words(t, n, INT32_MIN, INT32_MAX, &v)) goto general;
        ((int32_t *)c->values)[row] = (int32_t)v;
        break;
    }
    case QUICK_DECIMAL: {
        const kn_type ty = r->schema->fields[ky->field].type;
        if (!kn_parse_decimal_words(t, n, ty.scale, kn_pow10_u64[ty.precision], (int64_t *)c->values + row)) goto general;
        break;
    }
    case QUICK_FLOAT64:
        if (!kn_parse_double_words(t, n, (double *)c->values + row)) goto general;
        break;
    case QUICK_BOOL:
        if (n == 4 && memcmp(s, "true", 4) == 0) ((uint8_t *)c->values)[row] = 1;
        else if (n == 5 && memcmp(s, "false", 5) == 0) ((uint8_t *)c->values)[row] = 0;
        else goto general;
        break;
    case QUICK_TIMESTAMP: /* UTC or no offset: the wall clock is the value */
        if (!kn_parse_iso_timestamp_us(t, n, (int64_t *)c->values + row)) goto general;
        break;
    default: goto general;
    }
    if (c->validity) c->validity[row >> 3] |= (uint8_t)(1u << (row & 7));
    c->length = row + 1;
    return KN_OK;
general:
    return kn__xml_store_text(r, ky->field, s, n, at, err);
}

/* ---- a record's content ------------------------------------------------------------------------ */

/* Key k's value into the record: the first in the key itself, more chained in entries (a key
 * no column takes is passed over). Inference also lists the keys in first-appearance order. */
static kn_status push_entry(kn_xml_reader *r, uint32_t k, uint8_t kind, kn__xml_ref text, node *nd, size_t at,
                            kn_error *err) {
    key *ky = &r->keys[k];
    if (ky->gen != r->gen) {
        if (r->schema) {
            if (ky->field < 0) return KN_OK;
        } else {
            if (r->num_used == r->used_cap) {
                size_t cap = r->used_cap ? r->used_cap * 2 : 64;
                uint32_t *u = kn_realloc(r->used, cap * sizeof *u);
                if (!u) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
                r->used = u;
                r->used_cap = cap;
            }
            r->used[r->num_used++] = k;
        }
        ky->gen = r->gen;
        ky->stored_gen = 0;
        ky->count = 1;
        ky->last = UINT32_MAX;
        ky->one = (entry){k, UINT32_MAX, kind, text, nd, at};
        return KN_OK;
    }
    if (r->num_entries == r->entries_cap) {
        size_t cap = r->entries_cap ? r->entries_cap * 2 : 64;
        entry *e = kn_realloc(r->entries, cap * sizeof *e);
        if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        r->entries = e;
        r->entries_cap = cap;
    }
    uint32_t id = (uint32_t)r->num_entries++;
    r->entries[id] = (entry){k, UINT32_MAX, kind, text, nd, at};
    if (ky->last == UINT32_MAX) ky->one.next = id;
    else r->entries[ky->last].next = id;
    ky->last = id;
    ky->count++;
    return KN_OK;
}


static inline uint32_t predicted_key(const kn_xml_reader *r) {
    return r->prev_key == UINT32_MAX ? r->first_key : r->keys[r->prev_key].next;
}

static inline void follows(kn_xml_reader *r, uint32_t k) {
    if (r->prev_key == UINT32_MAX) r->first_key = k;
    else r->keys[r->prev_key].next = k;
    r->prev_key = k;
}

/* The key of the record's next name: the predicted one when it is, else found (or added). */
static uint32_t next_key(kn_xml_reader *r, const uint8_t *cn, size_t cl) {
    uint32_t k = predicted_key(r);
    if (k == UINT32_MAX || r->keys[k].len != cl || memcmp(r->key_names.data + r->keys[k].off, cn, cl) != 0) {
        k = kn__xml_key_of(r, cn, cl, -1);
        if (k == UINT32_MAX) return k;
    }
    follows(r, k);
    return k;
}

static kn_status add_entry(kn_xml_reader *r, const uint8_t *name, size_t n, bool attr, uint8_t kind, kn__xml_ref text,
                           node *nd, size_t at, kn_error *err) {
    const uint8_t *cn;
    size_t cl;
    if (!kn__xml_column_name(r, name, n, attr, &cn, &cl)) return KN_OK;
    uint32_t k = next_key(r, cn, cl);
    if (k != UINT32_MAX && !attr) {
        r->keys[k].element = true;
        r->keys[k].leaf = !r->opt.strip_namespaces;
    }
    if (k == UINT32_MAX) {
        if (!r->schema) return kn_error_set(err, KN_E_DATA, "more than %d distinct element and attribute names", MAX_UNKNOWN_KEYS);
        return KN_OK; /* an unknown name: ignored as any unknown name is */
    }
    return push_entry(r, k, kind, text, nd, at, err);
}


/* a[0..n) == b[0..n), for names: two overlapping words when n is 4 to 16 bytes. */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t x0, x1, y0, y1;
        memcpy(&x0, a, 8), memcpy(&y0, b, 8), memcpy(&x1, a + n - 8, 8), memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t x0, x1, y0, y1;
        memcpy(&x0, a, 4), memcpy(&y0, b, 4), memcpy(&x1, a + n - 4, 4), memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* The record's next child at d[p] when it is the leaf the last record had here, <name>text</name>
 * with plain text (no references, CR or markup): its entry, and *end past it. False, having
 * done nothing, otherwise (record_child then reads it the full way). */
static bool predicted_leaf(kn_xml_reader *r, size_t p, size_t *end, kn_status *st, kn_error *err) {
    uint32_t k = predicted_key(r);
    if (k == UINT32_MAX || !r->keys[k].leaf) return false;
    const uint8_t *d = r->d, *open = r->key_names.data + r->keys[k].off - 1;
    size_t nl = r->keys[k].len, q = p + 2 + nl;
    if (q + nl + 3 > r->len || !same_bytes(d + p, open, nl + 2)) return false;
    size_t s = q + kn__xml_text_stop_head(d + q, r->len - q, r->lx.text_stop);
    if (s + nl + 3 > r->len || !same_bytes(d + s, open + nl + 2, nl + 3)) return false;
    follows(r, k);
    *end = s + 3 + nl;
    key *ky = &r->keys[k];
    if (ky->direct && ky->gen != r->gen && !r->scan_fn) {
        /* The record's first value of a plain column: straight into it (undone with the record) */
        ky->gen = ky->stored_gen = r->gen;
        ky->count = 1;
        ky->last = UINT32_MAX;
        ky->one.next = UINT32_MAX; /* a repeat chains from here, and is refused by store_field */
        ky->one.at = p;
        r->num_direct++;
        *st = store_leaf(r, ky, d + q, s - q, p, err);
        return true;
    }
    *st = push_entry(r, k, E_TEXT, (kn__xml_ref){d + q, 0, s - q}, NULL, p, err);
    return true;
}

/* The end tag at d[at] ("</"), which must close the element `name`: *end past it. */
static kn_status close_tag(kn_xml_reader *r, size_t at, const uint8_t *name, size_t nl, size_t *end, kn_error *err) {
    kn__xml_fault f;
    const uint8_t *en;
    size_t el;
    size_t q = kn__xml_end_tag(&r->lx, at, &en, &el, &f);
    if (!q) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
    if (el != nl || memcmp(en, name, el) != 0)
        return kn__xml_error(r, err, KN_E_DATA, at, -1, "end tag </%.*s> does not match <%.*s>", (int)el, en, (int)nl,
                             name);
    *end = q;
    return KN_OK;
}

static node *new_node(kn_xml_reader *r, const uint8_t *name, size_t n) {
    node *nd = kn_arena_alloc(r->arena, sizeof *nd);
    if (!nd) return NULL;
    memset(nd, 0, sizeof *nd);
    nd->name = name;
    nd->name_len = n;
    if (r->lx.num_attrs) {
        nd->attrs = kn_arena_alloc(r->arena, r->lx.num_attrs * sizeof *nd->attrs);
        if (!nd->attrs) return NULL;
        memcpy(nd->attrs, r->lx.attrs, r->lx.num_attrs * sizeof *nd->attrs);
        nd->num_attrs = r->lx.num_attrs;
    }
    return nd;
}

/* The content of element `nd` from d[p] to its end tag; returns past the end tag in *end. */
static kn_status element_content(kn_xml_reader *r, node *nd, size_t p, int depth, size_t *end, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    for (;;) {
        if (p < r->len && r->d[p] != '<') p = kn__xml_text_run(lx, p, &nd->text, &f);
        if (p == KN__XML_FAILED) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
        if (p == r->len) {
            r->truncated = true;
            return kn__xml_error(r, err, KN_E_DATA, p, -1, "the data ends inside element <%.*s>", (int)nd->name_len, nd->name);
        }
        const uint8_t c = p + 1 < r->len ? r->d[p + 1] : 0;
        if (c == '/') return close_tag(r, p, nd->name, nd->name_len, end, err);
        if (c == '!' || c == '?') {
            bool cdata;
            p = kn__xml_misc(lx, p, &nd->text, &cdata, &f);
            if (!p) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
            continue;
        }
        if (depth >= MAX_DEPTH)
            return kn__xml_error(r, err, KN_E_DATA, p, -1, "elements nest more than %d deep inside a record", MAX_DEPTH);
        const uint8_t *cn;
        size_t cl;
        bool empty;
        size_t q = kn__xml_start_tag(lx, p, &cn, &cl, &empty, &f);
        if (!q) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
        node *ch = new_node(r, cn, cl);
        if (!ch) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        if (nd->last) nd->last->next = ch;
        else nd->child = ch;
        nd->last = ch;
        if (!empty) KN_TRY(element_content(r, ch, q, depth + 1, &q, err));
        p = q;
    }
}

/* A child of the record at d[p] ('<' of its start tag) into an entry. */
static kn_status record_child(kn_xml_reader *r, size_t p, size_t *end, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    const uint8_t *cn;
    size_t cl;
    bool empty;
    size_t q = kn__xml_start_tag(lx, p, &cn, &cl, &empty, &f);
    if (!q) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
    if (empty && !lx->num_attrs) {
        *end = q;
        return add_entry(r, cn, cl, false, E_TEXT, (kn__xml_ref){r->d + q, 0, 0}, NULL, p, err);
    }
    kn__xml_text t = {{r->d + q, 0, 0}, false};
    if (!empty && !lx->num_attrs) { /* the common leaf: <name>text</name> */
        size_t s = kn__xml_text_run(lx, q, &t, &f);
        if (s == KN__XML_FAILED) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
        if (s + 3 + cl <= r->len && r->d[s + 1] == '/' && r->d[s + 2 + cl] == '>' && memcmp(r->d + s + 2, cn, cl) == 0) {
            *end = s + 3 + cl; /* </name>, the usual end tag, without a second look at the name */
            if (!t.any) t.x = (kn__xml_ref){r->d + q, 0, 0};
            return add_entry(r, cn, cl, false, E_TEXT, t.x, NULL, p, err);
        }
        if (s + 1 < r->len && r->d[s + 1] == '/') {
            KN_TRY(close_tag(r, s, cn, cl, end, err));
            if (!t.any) t.x = (kn__xml_ref){r->d + q, 0, 0};
            return add_entry(r, cn, cl, false, E_TEXT, t.x, NULL, p, err);
        }
        q = s;
    }
    node *nd = new_node(r, cn, cl);
    if (!nd) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    nd->text = t;
    if (!empty) KN_TRY(element_content(r, nd, q, 1, &q, err));
    *end = q;
    if (!nd->num_attrs && !nd->child) {
        if (!nd->text.any) nd->text.x = (kn__xml_ref){r->d + q, 0, 0};
        return add_entry(r, cn, cl, false, E_TEXT, nd->text.x, NULL, p, err);
    }
    return add_entry(r, cn, cl, false, E_NODE, (kn__xml_ref){0}, nd, p, err);
}

/* The record whose start tag is at d[at]: its entries; *end past its end tag. */
kn_status kn__xml_read_record(kn_xml_reader *r, size_t at, size_t *end, const uint8_t **rname, size_t *rlen,
                             bool *start_ok, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    r->gen++;
    if (r->gen == 0) { /* wrapped: forget every key's last record */
        for (size_t k = 0; k < r->num_keys; k++) r->keys[k].gen = r->keys[k].stored_gen = 0;
        r->gen = 1;
    }
    r->num_entries = r->num_used = r->num_direct = 0;
    r->prev_key = UINT32_MAX;
    if (r->schema && !r->scan_fn) r->row0 = r->cols[0].length;
    kn_buf_clear(&r->scratch);
    kn_arena_reset(r->arena);
    lx->expansion_budget = r->opt.max_expansion ? r->opt.max_expansion * (at + 4096) + r->opt.max_entity_bytes : 0;
    bool empty = false;
    *rname = NULL;
    size_t p, rt = r->record_tag.len;
    if (rt && at + rt <= r->len && same_bytes(r->d + at, r->record_tag.data, rt)) { /* the last record's tag again */
        p = at + rt;
        *rname = r->d + at + 1;
        *rlen = rt - 2;
        lx->num_attrs = 0;
    } else {
        p = kn__xml_start_tag(lx, at, rname, rlen, &empty, &f);
        if (!p) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
        kn_buf_clear(&r->record_tag);
        if (!empty && p == at + *rlen + 2 && !kn_buf_append(&r->record_tag, r->d + at, p - at))
            kn_buf_clear(&r->record_tag); /* out of memory: only the fast way is lost */
    }
    *start_ok = true;
    const uint8_t *name = *rname;
    size_t nl = *rlen;
    /* Copied out: the children's start tags reuse the lexer's list. */
    size_t na = lx->num_attrs;
    for (size_t i = 0; i < na; i++) {
        kn__xml_attr a = lx->attrs[i];
        KN_TRY(add_entry(r, a.name, a.name_len, true, E_TEXT, a.value, NULL, (size_t)(a.name - r->d), err));
    }
    kn__xml_text own = {{r->d + p, 0, 0}, false};
    while (!empty) {
        if (p < r->len && r->d[p] != '<') p = kn__xml_text_run(lx, p, &own, &f);
        if (p == KN__XML_FAILED) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
        if (p == r->len) {
            r->truncated = true;
            return kn__xml_error(r, err, KN_E_DATA, at, -1, "the record <%.*s> is never closed", (int)nl, name);
        }
        uint8_t c = p + 1 < r->len ? r->d[p + 1] : 0;
        if (c == '/') {
            if (p + nl + 3 <= r->len && r->d[p + nl + 2] == '>' && same_bytes(r->d + p + 2, name, nl)) {
                p += nl + 3; /* </name>, written as it usually is */
                break;
            }
            KN_TRY(close_tag(r, p, name, nl, &p, err));
            break;
        }
        if (c == '!' || c == '?') {
            bool cdata;
            p = kn__xml_misc(lx, p, &own, &cdata, &f);
            if (!p) return kn__xml_lex_fault(r, err, KN_E_DATA, &f);
            continue;
        }
        kn_status st;
        if (predicted_leaf(r, p, &p, &st, err)) KN_TRY(st);
        else KN_TRY(record_child(r, p, &p, err));
    }
    const char *why;
    size_t bad = kn__xml_invalid_char(r->d + at, p - at, &why);
    if (bad < p - at) return kn__xml_error(r, err, KN_E_DATA, at + bad, -1, "%s", why);
    if (own.any && !kn__xml_all_space(kn__xml_ref_bytes(&r->scratch, own.x), own.x.len))
        KN_TRY(add_entry(r, (const uint8_t *)"_text", 5, false, E_TEXT, own.x, NULL, at, err));
    *end = p;
    return KN_OK;
}
