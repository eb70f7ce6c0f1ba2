/* tests/parquet_read/pqr_test_tc.c: the tests' Thrift compact encoder and footer builder. */
#include "pqr_test_tc.h"

#include <string.h>

#include "kn_pq_format.h"

void tw_init(tw *w) { memset(w, 0, sizeof *w); }
void tw_free(tw *w) { kn_buf_free(&w->b); }

void tw_byte(tw *w, uint8_t v) { kn_buf_push(&w->b, v); }

void tw_varint(tw *w, uint64_t v) {
    while (v >= 0x80) {
        tw_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    tw_byte(w, (uint8_t)v);
}

void tw_zigzag(tw *w, int64_t v) { tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

void tw_field_hdr(tw *w, int16_t id, uint8_t type, bool long_form) {
    int16_t delta = (int16_t)(id - w->last[w->depth]);
    if (!long_form && !w->long_ids && delta > 0 && delta <= 15) {
        tw_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        tw_byte(w, type);
        tw_zigzag(w, id);
    }
    w->last[w->depth] = id;
}

void tw_field(tw *w, int16_t id, uint8_t type) { tw_field_hdr(w, id, type, false); }

void tw_struct_begin(tw *w, int16_t id) {
    if (id >= 0) tw_field(w, id, KN_TC_STRUCT);
    w->depth++;
    w->last[w->depth] = 0;
}

void tw_struct_end(tw *w) {
    tw_byte(w, 0);
    w->depth--;
}

void tw_int(tw *w, int16_t id, uint8_t type, int64_t v) {
    tw_field(w, id, type);
    if (type == KN_TC_BYTE) tw_byte(w, (uint8_t)(int8_t)v);
    else tw_zigzag(w, v);
}
void tw_i32(tw *w, int16_t id, int64_t v) { tw_int(w, id, KN_TC_I32, v); }
void tw_i64(tw *w, int16_t id, int64_t v) { tw_int(w, id, KN_TC_I64, v); }
void tw_bool(tw *w, int16_t id, bool v) { tw_field(w, id, v ? KN_TC_BOOL_TRUE : KN_TC_BOOL_FALSE); }

void tw_double(tw *w, int16_t id, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    tw_field(w, id, KN_TC_DOUBLE);
    for (int i = 0; i < 8; i++) tw_byte(w, (uint8_t)(bits >> (8 * i)));
}

void tw_bin(tw *w, int16_t id, const void *p, size_t n) {
    tw_field(w, id, KN_TC_BINARY);
    tw_varint(w, n);
    kn_buf_append(&w->b, p, n);
}
void tw_str(tw *w, int16_t id, const char *s) { tw_bin(w, id, s, strlen(s)); }

void tw_list(tw *w, int16_t id, uint8_t elem_type, size_t n) {
    if (id >= 0) tw_field(w, id, KN_TC_LIST);
    if (n < 15) {
        tw_byte(w, (uint8_t)(n << 4 | elem_type));
    } else {
        tw_byte(w, (uint8_t)(0xF0 | elem_type));
        tw_varint(w, n);
    }
}

void tw_unknown_fields(tw *w, int16_t first) {
    int16_t id = first;
    tw_bool(w, id++, true);
    tw_bool(w, id++, false);
    tw_int(w, id++, KN_TC_BYTE, -5);
    tw_int(w, id++, KN_TC_I16, -300);
    tw_int(w, id++, KN_TC_I32, 70000);
    tw_int(w, id++, KN_TC_I64, INT64_MIN);
    tw_double(w, id++, 3.25);
    tw_str(w, id++, "unknown binary");
    tw_list(w, id++, KN_TC_I32, 3);
    for (int i = 0; i < 3; i++) tw_zigzag(w, i * 1000);
    tw_field(w, id++, KN_TC_SET);
    tw_byte(w, 2 << 4 | KN_TC_BINARY);
    tw_varint(w, 1);
    tw_byte(w, 'a');
    tw_varint(w, 0);
    tw_field(w, id++, KN_TC_MAP); /* map<binary, i32> of 2 */
    tw_varint(w, 2);
    tw_byte(w, KN_TC_BINARY << 4 | KN_TC_I32);
    for (int i = 0; i < 2; i++) {
        tw_varint(w, 1);
        tw_byte(w, (uint8_t)('x' + i));
        tw_zigzag(w, i);
    }
    tw_field(w, id++, KN_TC_MAP); /* an empty map has no type byte */
    tw_varint(w, 0);
    tw_list(w, id++, KN_TC_BOOL_TRUE, 3); /* list<bool>: a byte each */
    tw_byte(w, 1);
    tw_byte(w, 2);
    tw_byte(w, 0);
    tw_list(w, id++, KN_TC_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        tw_struct_begin(w, -1);
        tw_i32(w, 1, i);
        tw_str(w, 2, "inner");
        tw_struct_end(w);
    }
    tw_struct_begin(w, id++); /* a struct holding a list of lists and a long list */
    tw_list(w, 1, KN_TC_LIST, 2);
    for (int i = 0; i < 2; i++) {
        tw_list(w, -1, KN_TC_DOUBLE, 1);
        for (int k = 0; k < 8; k++) tw_byte(w, 0);
    }
    tw_list(w, 2, KN_TC_BYTE, 20);
    for (int i = 0; i < 20; i++) tw_byte(w, (uint8_t)i);
    tw_struct_end(w);
}

static void schema_leaf(tw *w, const footer_spec *s, const char *name, int type, int rep, int ct, int lt_kind) {
    tw_struct_begin(w, -1);
    if (s->unknown_fields) tw_unknown_fields(w, 200);
    /* Long-form ids may come in any order, so the unknown ones may sit before known ones. */
    tw_i32(w, 1, type);
    if (s->wrong_types) tw_str(w, 2, "not an i32");
    tw_i32(w, 3, rep);
    tw_str(w, 4, name);
    if (ct >= 0) tw_i32(w, 6, ct);
    if (!strcmp(name, "id")) tw_i32(w, 9, 1);
    if (lt_kind) {
        tw_struct_begin(w, 10);
        tw_struct_begin(w, (int16_t)lt_kind);
        if (lt_kind == 10) {
            tw_int(w, 1, KN_TC_BYTE, 64);
            tw_bool(w, 2, true);
        } else if (lt_kind == 8) {
            tw_bool(w, 1, true);
            tw_struct_begin(w, 2);
            tw_struct_begin(w, 2); /* MICROS */
            tw_struct_end(w);
            tw_struct_end(w);
        }
        tw_struct_end(w);
        tw_struct_end(w);
    }
    if (s->unknown_fields) tw_unknown_fields(w, 300);
    tw_struct_end(w);
}

static void schema_group(tw *w, const char *name, int rep, int children, int ct, int lt_kind) {
    tw_struct_begin(w, -1);
    if (rep >= 0) tw_i32(w, 3, rep);
    tw_str(w, 4, name);
    tw_i32(w, 5, children);
    if (ct >= 0) tw_i32(w, 6, ct);
    if (lt_kind) {
        tw_struct_begin(w, 10);
        tw_struct_begin(w, (int16_t)lt_kind);
        tw_struct_end(w);
        tw_struct_end(w);
    }
    tw_struct_end(w);
}

static void column_chunk(tw *w, const footer_spec *s, int g, int c) {
    static const char *const paths[4][3] = {{"id"}, {"name"}, {"tags", "list", "element"}, {"ts"}};
    static const int types[4] = {KN_PQ_INT64, KN_PQ_BYTE_ARRAY, KN_PQ_BYTE_ARRAY, KN_PQ_INT64};
    int64_t start = 4 + 1000 * g + 100 * c;
    tw_struct_begin(w, -1);
    if (s->unknown_fields) tw_unknown_fields(w, 100);
    if (!s->omit_file_offset) tw_i64(w, 2, start);
    tw_struct_begin(w, 3);
    if (s->unknown_fields) tw_unknown_fields(w, 400);
    tw_i32(w, 1, types[c]);
    tw_list(w, 2, KN_TC_I32, 3);
    tw_zigzag(w, KN_PQ_ENC_PLAIN);
    tw_zigzag(w, KN_PQ_ENC_RLE);
    tw_zigzag(w, KN_PQ_ENC_RLE_DICTIONARY);
    int parts = c == 2 ? 3 : 1;
    tw_list(w, 3, KN_TC_BINARY, (size_t)parts);
    for (int k = 0; k < parts; k++) {
        tw_varint(w, strlen(paths[c][k]));
        kn_buf_append(&w->b, paths[c][k], strlen(paths[c][k]));
    }
    tw_i32(w, 4, KN_PQ_CODEC_SNAPPY);
    tw_i64(w, 5, g == 0 ? 3 : 2);
    tw_i64(w, 6, 80 + c);
    tw_i64(w, 7, 60 + c);
    if (c == 1) {
        tw_list(w, 8, KN_TC_STRUCT, 1);
        tw_struct_begin(w, -1);
        tw_str(w, 1, "chunk-key");
        tw_str(w, 2, "chunk-value");
        tw_struct_end(w);
    }
    tw_i64(w, 9, c == 1 ? start + 20 : start);
    if (c == 1) tw_i64(w, 11, start);
    if (s->wrong_types) tw_str(w, 11, "not an offset");
    tw_struct_begin(w, 12);
    uint8_t lo[8] = {1, 0, 0, 0, 0, 0, 0, 0}, hi[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    tw_bin(w, 1, hi, 8);
    tw_bin(w, 2, lo, 8);
    tw_i64(w, 3, c);
    tw_bin(w, 5, hi, 8);
    tw_bin(w, 6, lo, 8);
    tw_bool(w, 7, true);
    tw_bool(w, 8, false);
    tw_struct_end(w);
    tw_list(w, 13, KN_TC_STRUCT, 2);
    for (int k = 0; k < 2; k++) {
        tw_struct_begin(w, -1);
        tw_i32(w, 1, k == 0 ? KN_PQ_PAGE_DICTIONARY : KN_PQ_PAGE_DATA);
        tw_i32(w, 2, k == 0 ? KN_PQ_ENC_PLAIN : KN_PQ_ENC_RLE_DICTIONARY);
        tw_i32(w, 3, k + 1);
        tw_struct_end(w);
    }
    tw_struct_end(w);
    tw_struct_end(w);
}

void footer_build(tw *w, const footer_spec *s) {
    tw_init(w);
    w->long_ids = s->long_ids;
    tw_struct_begin(w, -1);
    if (s->unknown_fields) tw_unknown_fields(w, 20);
    tw_i32(w, 1, 1);
    tw_list(w, 2, KN_TC_STRUCT, 7);
    schema_group(w, "schema", -1, s->root_children ? s->root_children : 4, -1, 0);
    schema_leaf(w, s, "id", KN_PQ_INT64, KN_PQ_REQUIRED, KN_PQ_CT_INT_64, 10);
    schema_leaf(w, s, "name", KN_PQ_BYTE_ARRAY, KN_PQ_OPTIONAL, KN_PQ_CT_UTF8, 1);
    schema_group(w, "tags", KN_PQ_OPTIONAL, 1, KN_PQ_CT_LIST, 3);
    schema_group(w, "list", KN_PQ_REPEATED, 1, -1, 0);
    schema_leaf(w, s, "element", KN_PQ_BYTE_ARRAY, KN_PQ_OPTIONAL, KN_PQ_CT_UTF8, 1);
    schema_leaf(w, s, "ts", KN_PQ_INT64, KN_PQ_OPTIONAL, KN_PQ_CT_TIMESTAMP_MICROS, 8);
    tw_i64(w, 3, 5);
    tw_list(w, 4, KN_TC_STRUCT, 2);
    for (int g = 0; g < 2; g++) {
        tw_struct_begin(w, -1);
        if (s->unknown_fields) tw_unknown_fields(w, 50);
        int chunks = g == 1 && s->chunks_in_rg1 ? s->chunks_in_rg1 : 4;
        tw_list(w, 1, KN_TC_STRUCT, (size_t)chunks);
        for (int c = 0; c < chunks; c++) column_chunk(w, s, g, c % 4);
        tw_i64(w, 2, 400 + g);
        tw_i64(w, 3, g == 0 ? 3 : 2);
        tw_i64(w, 5, 4 + 1000 * g);
        tw_i64(w, 6, 300 + g);
        tw_int(w, 7, KN_TC_I16, g);
        tw_struct_end(w);
    }
    tw_list(w, 5, KN_TC_STRUCT, 2);
    tw_struct_begin(w, -1);
    tw_str(w, 1, "k1");
    tw_str(w, 2, "v1");
    tw_struct_end(w);
    tw_struct_begin(w, -1);
    tw_str(w, 1, "k2");
    tw_struct_end(w);
    tw_str(w, 6, "kiln version 0.1.0 (build test)");
    tw_list(w, 7, KN_TC_STRUCT, 4);
    for (int c = 0; c < 4; c++) {
        tw_struct_begin(w, -1);
        tw_struct_begin(w, 1);
        tw_struct_end(w);
        tw_struct_end(w);
    }
    if (s->unknown_fields) tw_unknown_fields(w, 1000);
    tw_struct_end(w);
}

void file_build(kn_buf *out, const uint8_t *footer, size_t footer_len, size_t body_len) {
    kn_buf_clear(out);
    kn_buf_append(out, "PAR1", 4);
    for (size_t i = 0; i < body_len; i++) kn_buf_push(out, (uint8_t)i);
    kn_buf_append(out, footer, footer_len);
    uint8_t len[4] = {(uint8_t)footer_len, (uint8_t)(footer_len >> 8), (uint8_t)(footer_len >> 16), (uint8_t)(footer_len >> 24)};
    kn_buf_append(out, len, 4);
    kn_buf_append(out, "PAR1", 4);
}
