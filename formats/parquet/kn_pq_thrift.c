/* formats/parquet/kn_pq_thrift.c: the Thrift compact protocol encoder (see kn_pq_thrift.h). */
#include "kn_pq_thrift.h"

#include <string.h>

#include "kn_pq_format.h"

void kn_tc_init(kn_tc *t, kn_buf *out) {
    t->out = out;
    t->depth = 0;
    t->last[0] = 0;
    t->failed = false;
}

kn_status kn_tc_status(const kn_tc *t, kn_error *err) {
    if (!t->failed) return KN_OK;
    if (t->depth > KN_TC_MAX_DEPTH || t->depth < 0)
        return kn_error_set(err, KN_E_INTERNAL, "Thrift structs nested too deep");
    return kn_error_set(err, KN_E_NOMEM, "out of memory encoding Parquet metadata");
}

/* Room for the largest single item the encoder writes at once apart from binary payloads: a
 * field header (1 + 3 bytes) plus a 10-byte varint. */
static inline uint8_t *room(kn_tc *t, size_t n) {
    if (t->failed || !kn_buf_reserve(t->out, n)) {
        t->failed = true;
        return NULL;
    }
    return t->out->data + t->out->len;
}

static inline void commit(kn_tc *t, const uint8_t *end) {
    t->out->len = (size_t)(end - t->out->data);
}

static void put_varint(kn_tc *t, uint64_t v) {
    uint8_t *p = room(t, 10);
    if (p) commit(t, kn_tc_put_varint(p, v));
}

void kn_tc_struct_begin(kn_tc *t) {
    if (t->depth >= KN_TC_MAX_DEPTH) {
        t->failed = true;
        t->depth++;
        return;
    }
    t->last[++t->depth] = 0;
}

void kn_tc_struct_end(kn_tc *t) {
    uint8_t *p = room(t, 1);
    if (p) {
        *p++ = KN_TC_STOP;
        commit(t, p);
    }
    if (t->depth > 0) t->depth--;
}

void kn_tc_struct_resume(kn_tc *t, int16_t last_id) {
    kn_tc_struct_begin(t);
    if (!t->failed) t->last[t->depth] = last_id;
}

void kn_tc_field_begin(kn_tc *t, int16_t id, uint8_t type) {
    uint8_t *p = room(t, 4);
    if (!p || t->depth <= 0 || t->depth > KN_TC_MAX_DEPTH) {
        t->failed = true;
        return;
    }
    int delta = (int)id - (int)t->last[t->depth];
    if (delta > 0 && delta <= 15) {
        *p++ = (uint8_t)((delta << 4) | type);
    } else {
        /* The long form: the type alone, then the id as a zigzag i16 varint. */
        *p++ = type;
        p = kn_tc_put_varint(p, kn_tc_zigzag32(id));
    }
    commit(t, p);
    t->last[t->depth] = id;
}

void kn_tc_field_bool(kn_tc *t, int16_t id, bool v) {
    /* Compact protocol bool fields carry the value in the type nibble and have no body. */
    kn_tc_field_begin(t, id, v ? KN_TC_BOOL_TRUE : KN_TC_BOOL_FALSE);
}

void kn_tc_field_byte(kn_tc *t, int16_t id, int8_t v) {
    kn_tc_field_begin(t, id, KN_TC_BYTE);
    uint8_t *p = room(t, 1);
    if (p) {
        *p++ = (uint8_t)v;
        commit(t, p);
    }
}

void kn_tc_field_i16(kn_tc *t, int16_t id, int16_t v) {
    kn_tc_field_begin(t, id, KN_TC_I16);
    put_varint(t, kn_tc_zigzag32(v));
}

void kn_tc_field_i32(kn_tc *t, int16_t id, int32_t v) {
    kn_tc_field_begin(t, id, KN_TC_I32);
    put_varint(t, kn_tc_zigzag32(v));
}

void kn_tc_field_i64(kn_tc *t, int16_t id, int64_t v) {
    kn_tc_field_begin(t, id, KN_TC_I64);
    put_varint(t, kn_tc_zigzag64(v));
}

void kn_tc_field_double(kn_tc *t, int16_t id, double v) {
    kn_tc_field_begin(t, id, KN_TC_DOUBLE);
    uint8_t *p = room(t, 8);
    if (!p) return;
    uint64_t bits;
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++) *p++ = (uint8_t)(bits >> (8 * i)); /* little-endian */
    commit(t, p);
}

void kn_tc_binary(kn_tc *t, const void *data, size_t len) {
    put_varint(t, len);
    if (t->failed) return;
    if (!kn_buf_append(t->out, data, len)) t->failed = true;
}

void kn_tc_field_binary(kn_tc *t, int16_t id, const void *data, size_t len) {
    kn_tc_field_begin(t, id, KN_TC_BINARY);
    kn_tc_binary(t, data, len);
}

void kn_tc_field_string(kn_tc *t, int16_t id, const char *s) {
    kn_tc_field_binary(t, id, s, strlen(s));
}

void kn_tc_field_struct_begin(kn_tc *t, int16_t id) {
    kn_tc_field_begin(t, id, KN_TC_STRUCT);
    kn_tc_struct_begin(t);
}

void kn_tc_field_empty_struct(kn_tc *t, int16_t id) {
    kn_tc_field_struct_begin(t, id);
    kn_tc_struct_end(t);
}

void kn_tc_list_begin(kn_tc *t, uint8_t elem_type, size_t count) {
    uint8_t *p = room(t, 11);
    if (!p) return;
    if (count < 15) {
        *p++ = (uint8_t)((count << 4) | elem_type);
    } else {
        *p++ = (uint8_t)(0xF0 | elem_type);
        p = kn_tc_put_varint(p, count);
    }
    commit(t, p);
}

void kn_tc_field_list_begin(kn_tc *t, int16_t id, uint8_t elem_type, size_t count) {
    kn_tc_field_begin(t, id, KN_TC_LIST);
    kn_tc_list_begin(t, elem_type, count);
}

void kn_tc_i32(kn_tc *t, int32_t v) { put_varint(t, kn_tc_zigzag32(v)); }

void kn_tc_i64(kn_tc *t, int64_t v) { put_varint(t, kn_tc_zigzag64(v)); }

void kn_tc_bool(kn_tc *t, bool v) {
    uint8_t *p = room(t, 1);
    if (p) {
        *p++ = v ? KN_TC_BOOL_TRUE : KN_TC_BOOL_FALSE;
        commit(t, p);
    }
}
