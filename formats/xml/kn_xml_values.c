/* formats/xml/kn_xml_values.c: a record's entries into columns the general way (any text a
 * column's type reads, with kn_cast's words for what it does not), or to inference's scan, and
 * nested values (repeated children, children with attributes or children) as JSON text. */
#include <string.h>

#include "kn_alloc.h"
#include "kn_cast.h"
#include "kn_parse_number.h"
#include "kn_xml_reader_impl.h"

uint8_t kn__xml_quick_of(const kn_field *fd) {
    switch (fd->type.id) {
    case KN_TYPE_STRING: return fd->type.json ? QUICK_NONE : QUICK_STRING;
    case KN_TYPE_INT64: return QUICK_INT64;
    case KN_TYPE_INT32: return QUICK_INT32;
    case KN_TYPE_DECIMAL: return fd->type.precision <= 18 ? QUICK_DECIMAL : QUICK_NONE;
    case KN_TYPE_FLOAT64: return QUICK_FLOAT64;
    case KN_TYPE_BOOL: return QUICK_BOOL;
    case KN_TYPE_TIMESTAMP: return fd->format ? QUICK_NONE : QUICK_TIMESTAMP;
    default: return QUICK_NONE;
    }
}

/* ---- JSON text of nested values ------------------------------------------------------------- */

static bool json_string(kn_buf *b, const uint8_t *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (!kn_buf_reserve(b, n + 2)) return false;
    b->data[b->len++] = '"';
    size_t chunk = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (!kn_buf_append(b, s + chunk, i - chunk)) return false;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t el = 2;
        if (c == '\n') e[1] = 'n';
        else if (c == '\t') e[1] = 't';
        else if (c == '\r') e[1] = 'r';
        else if (c < 0x20) e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15], el = 6;
        if (!kn_buf_append(b, e, el)) return false;
        chunk = i + 1;
    }
    /* s may be NULL when n is 0 (an empty value): no pointer arithmetic on it then. */
    return (chunk == n || kn_buf_append(b, s + chunk, n - chunk)) && kn_buf_push(b, '"');
}

static bool json_key(kn_xml_reader *r, kn_buf *b, const uint8_t *s, size_t n, bool attr) {
    const uint8_t *cn;
    size_t cl;
    if (!kn__xml_column_name(r, s, n, attr, &cn, &cl)) return true;
    /* kn__xml_column_name may return keybuf, which json_string does not touch */
    return json_string(b, cn, cl) && kn_buf_push(b, ':');
}

static bool json_node(kn_xml_reader *r, kn_buf *b, node *nd) {
    const uint8_t *text = kn__xml_ref_bytes(&r->scratch, nd->text.x);
    if (!nd->num_attrs && !nd->child) return json_string(b, nd->text.any ? text : NULL, nd->text.any ? nd->text.x.len : 0);
    if (!kn_buf_push(b, '{')) return false;
    bool first = true;
    for (size_t i = 0; i < nd->num_attrs; i++) {
        const kn__xml_attr *a = &nd->attrs[i];
        const uint8_t *cn;
        size_t cl;
        if (!kn__xml_column_name(r, a->name, a->name_len, true, &cn, &cl)) continue;
        if ((!first && !kn_buf_push(b, ',')) || !json_key(r, b, a->name, a->name_len, true) ||
            !json_string(b, kn__xml_ref_bytes(&r->scratch, a->value), a->value.len))
            return false;
        first = false;
    }
    for (node *c = nd->child; c; c = c->next) {
        if (c->done) continue;
        size_t same = 0;
        for (node *o = c; o; o = o->next) same += o->name_len == c->name_len && memcmp(o->name, c->name, c->name_len) == 0;
        if ((!first && !kn_buf_push(b, ',')) || !json_key(r, b, c->name, c->name_len, false)) return false;
        first = false;
        if (same > 1 && !kn_buf_push(b, '[')) return false;
        size_t k = 0;
        for (node *o = c; o; o = o->next) {
            if (o->name_len != c->name_len || memcmp(o->name, c->name, c->name_len) != 0) continue;
            if ((k++ && !kn_buf_push(b, ',')) || !json_node(r, b, o)) return false;
            o->done = true;
        }
        if (same > 1 && !kn_buf_push(b, ']')) return false;
    }
    if (nd->text.any && !kn__xml_all_space(text, nd->text.x.len)) {
        if ((!first && !kn_buf_push(b, ',')) || !json_string(b, (const uint8_t *)"_text", 5) || !kn_buf_push(b, ':') ||
            !json_string(b, kn__xml_ref_bytes(&r->scratch, nd->text.x), nd->text.x.len))
            return false;
    }
    return kn_buf_push(b, '}');
}

static bool json_entry(kn_xml_reader *r, kn_buf *b, const entry *e) {
    if (e->kind == E_NODE) return json_node(r, b, e->nd);
    return json_string(b, kn__xml_ref_bytes(&r->scratch, e->text), e->text.len);
}

/* The JSON text of key k's values in this record into r->json. */
static kn_status json_of_key(kn_xml_reader *r, const key *k, kn_error *err) {
    kn_buf *b = &r->json;
    kn_buf_clear(b);
    bool ok = true;
    if (k->count > 1) ok = kn_buf_push(b, '[');
    size_t n = 0;
    for (const entry *e = &k->one; ok && e; e = next_value(r, e), n++) ok = (!n || kn_buf_push(b, ',')) && json_entry(r, b, e);
    if (ok && k->count > 1) ok = kn_buf_push(b, ']');
    return ok ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
}

/* ---- values into columns -------------------------------------------------------------------- */

/* Text s[0..n) of the value at `at` into column f. */
kn_status kn__xml_store_text(kn_xml_reader *r, long f, const uint8_t *s, size_t n, size_t at, kn_error *err) {
    kn_column *c = &r->cols[f];
    const kn_field *fd = &r->schema->fields[f];
    if (fd->type.id == KN_TYPE_STRING) return kn_column_append_str(c, s, n, err);
    while (n && kn__xml_is_space(s[0])) s++, n--;
    while (n && kn__xml_is_space(s[n - 1])) n--;
    /* Numbers in the JSON grammar (nearly all of them) straight to their parsers; the rest (a
     * '+', leading zeros, an empty value, a fault) through kn_cast_text, which reads the same. */
    int64_t i;
    double x;
    const char *t = (const char *)s;
    switch (fd->type.id) {
    case KN_TYPE_INT64:
        if (kn_parse_int_inline(t, n, INT64_MIN, INT64_MAX, &i) == KN_NUM_OK) return kn_column_append_i64(c, i, err);
        break;
    case KN_TYPE_INT32:
        if (kn_parse_int_inline(t, n, INT32_MIN, INT32_MAX, &i) == KN_NUM_OK) return kn_column_append_i32(c, (int32_t)i, err);
        break;
    case KN_TYPE_DECIMAL:
        if (fd->type.precision <= 18 && kn_parse_decimal64_inline(t, n, fd->type.precision, fd->type.scale, &i) == KN_NUM_OK)
            return kn_column_append_i64(c, i, err);
        break;
    case KN_TYPE_FLOAT64:
        if (kn_parse_double_inline(t, n, &x) == KN_NUM_OK) return kn_column_append_f64(c, x, err);
        break;
    default: break;
    }
    kn_cast_value v;
    kn_cast_status cs = kn_cast_text(fd->type, fd->format, (const char *)s, n, &v);
    if (cs == KN_CAST_EMPTY) {
        if (!fd->nullable) return kn__xml_error(r, err, KN_E_DATA, at, f, "an empty value in a column that is not nullable");
        return kn_column_append_null(c, err);
    }
    if (cs != KN_CAST_OK) {
        char why[KN_ERROR_WHAT_MAX];
        return kn__xml_error(r, err, KN_E_DATA, at, f, "%s", kn_cast_explain(cs, fd->type, fd->format, (const char *)s, n, why, sizeof why));
    }
    return kn_cast_append(c, fd->type, &v, err);
}

static kn_status store_field(kn_xml_reader *r, long f, size_t rec_at, kn_error *err) {
    const kn_field *fd = &r->schema->fields[f];
    const key *ky = &r->keys[r->field_key[f]];
    if (ky->gen != r->gen) {
        if (!fd->nullable) return kn__xml_error(r, err, KN_E_DATA, rec_at, f, "the record has no value for a column that is not nullable");
        return kn_column_append_null(&r->cols[f], err);
    }
    const entry *e = &ky->one;
    if (ky->stored_gen == r->gen && ky->count == 1) return KN_OK; /* stored as it was read */
    if (fd->type.json) {
        KN_TRY(json_of_key(r, ky, err));
        return kn_column_append_str(&r->cols[f], r->json.data, r->json.len, err);
    }
    if (ky->count > 1)
        return kn__xml_error(r, err, KN_E_DATA, next_value(r, e)->at, f,
                     "the column has %u values in one record (a repeated element, or an attribute and an element of "
                     "one name: make the column json, or give --attribute-prefix)", ky->count);
    if (e->kind == E_NODE)
        return kn__xml_error(r, err, KN_E_DATA, e->at, f, "the element has attributes or child elements: its column must be json");
    return kn__xml_store_text(r, f, kn__xml_ref_bytes(&r->scratch, e->text), e->text.len, e->at, err);
}

kn_status kn__xml_store_record(kn_xml_reader *r, size_t rec_at, kn_error *err) {
    /* Every column's value went straight in, and nothing repeated: nothing is left to store. */
    if (r->num_direct == r->schema->num_fields && r->num_entries == 0) return KN_OK;
    size_t row0 = r->row0;
    for (size_t f = 0; f < r->schema->num_fields; f++) {
        kn_column *c = &r->cols[f];
        kn_status st = c->capacity - c->length < 1 ? kn_column_reserve(c, 1024, 0, err) : KN_OK;
        if (st == KN_OK) st = store_field(r, (long)f, rec_at, err);
        if (st != KN_OK) {
            for (size_t g = 0; g < r->schema->num_fields; g++) kn_column_truncate(&r->cols[g], row0);
            return st;
        }
    }
    return KN_OK;
}

kn_status kn__xml_scan_record(kn_xml_reader *r, kn_error *err) {
    for (size_t u = 0; u < r->num_used; u++) {
        const key *k = &r->keys[r->used[u]];
        const entry *e = &k->one;
        kn_scan_value v = {(const char *)r->key_names.data + k->off, k->len, KN_SCAN_TEXT, NULL, 0};
        if (k->count == 1 && e->kind == E_TEXT) {
            v.text = (const char *)kn__xml_ref_bytes(&r->scratch, e->text);
            v.text_len = e->text.len;
        } else {
            KN_TRY(json_of_key(r, k, err));
            v.kind = KN_SCAN_NESTED;
            v.text = (const char *)r->json.data;
            v.text_len = r->json.len;
        }
        KN_TRY(r->scan_fn(r->scan_ctx, &v, err));
    }
    return KN_OK;
}
