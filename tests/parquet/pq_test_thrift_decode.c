/* tests/parquet/pq_test_thrift_decode.c: the test-only compact protocol decoder. */
#include "pq_test_thrift_decode.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"

typedef struct {
    const uint8_t *p, *end;
    int bad;
} rd;

static uint64_t varint(rd *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t zigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void add_kid(tn *t, const tn *kid, rd *r) {
    tn *k = kn_realloc(t->kids, (t->nkids + 1) * sizeof *k);
    if (!k) {
        r->bad = 1;
        return;
    }
    t->kids = k;
    t->kids[t->nkids++] = *kid;
}

static void parse_struct(rd *r, tn *out);

static void parse_value(rd *r, uint8_t type, tn *v) {
    v->type = type;
    switch (type) {
    case KN_TC_BYTE:
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        v->i = (int8_t)*r->p++;
        return;
    case KN_TC_I16:
    case KN_TC_I32:
    case KN_TC_I64: v->i = zigzag(varint(r)); return;
    case KN_TC_DOUBLE:
        if (r->end - r->p < 8) {
            r->bad = 1;
            return;
        }
        memcpy(&v->d, r->p, 8);
        r->p += 8;
        return;
    case KN_TC_BINARY: {
        uint64_t n = varint(r);
        if (r->bad || n > (uint64_t)(r->end - r->p)) {
            r->bad = 1;
            return;
        }
        v->bin = r->p, v->len = (size_t)n;
        r->p += n;
        return;
    }
    case KN_TC_LIST:
    case KN_TC_SET: {
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        uint8_t h = *r->p++;
        uint64_t n = h >> 4;
        uint8_t et = h & 0x0F;
        if (n == 15) n = varint(r);
        for (uint64_t k = 0; k < n && !r->bad; k++) {
            tn e = {0};
            e.id = (int16_t)k;
            if (et == KN_TC_BOOL_TRUE || et == KN_TC_BOOL_FALSE) {
                if (r->p >= r->end) {
                    r->bad = 1;
                    return;
                }
                e.type = KN_TC_BOOL_TRUE;
                e.i = *r->p++ == 1;
            } else {
                parse_value(r, et, &e);
            }
            add_kid(v, &e, r);
        }
        return;
    }
    case KN_TC_STRUCT: parse_struct(r, v); return;
    default: r->bad = 1; return;
    }
}

static void parse_struct(rd *r, tn *out) {
    out->type = KN_TC_STRUCT;
    int16_t last = 0;
    while (!r->bad) {
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        uint8_t b = *r->p++;
        if (b == KN_TC_STOP) return;
        uint8_t type = b & 0x0F;
        int16_t id = (b >> 4) ? (int16_t)(last + (b >> 4)) : (int16_t)zigzag(varint(r));
        tn kid = {0};
        kid.id = id;
        if (type == KN_TC_BOOL_TRUE || type == KN_TC_BOOL_FALSE) {
            kid.type = KN_TC_BOOL_TRUE;
            kid.i = type == KN_TC_BOOL_TRUE;
        } else {
            parse_value(r, type, &kid);
        }
        add_kid(out, &kid, r);
        last = id;
    }
}

size_t tn_parse(const uint8_t *p, size_t len, tn *out) {
    memset(out, 0, sizeof *out);
    rd r = {p, p + len, 0};
    parse_struct(&r, out);
    if (r.bad) {
        tn_free(out);
        return 0;
    }
    return (size_t)(r.p - p);
}

void tn_free(tn *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nkids; i++) tn_free(&t->kids[i]);
    kn_free(t->kids);
    t->kids = NULL;
    t->nkids = 0;
}

const tn *tn_get(const tn *t, int16_t id) {
    if (!t) return NULL;
    for (size_t i = 0; i < t->nkids; i++)
        if (t->kids[i].id == id) return &t->kids[i];
    return NULL;
}
