/* formats/parquet/kn_pq_thrift.h: a Thrift compact protocol encoder writing into a kn_buf.
 *
 * Parquet's page headers and footer are Thrift structs in the compact protocol: field headers
 * carry the id as a delta from the previous field of the same struct (a full zigzag i16 when
 * the delta is not 1..15), integers are zigzag varints, bools live in the field header's type
 * nibble, and lists carry their size and element type in one byte when short.
 *
 * The encoder keeps one "last field id" per open struct. Errors (out of memory, nesting deeper
 * than KN_TC_MAX_DEPTH) are sticky in `failed` so that a long run of field calls needs one check
 * at the end instead of one per call. */
#ifndef KN_PQ_THRIFT_H
#define KN_PQ_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_status.h"

#define KN_TC_MAX_DEPTH 16

typedef struct kn_tc {
    kn_buf *out; /* borrowed; bytes are appended */
    int16_t last[KN_TC_MAX_DEPTH + 1];
    int depth;   /* open structs; 0 outside any */
    bool failed; /* sticky: memory ran out or structs nested too deep */
} kn_tc;

/* Starts encoding onto the end of `out` (borrowed; must outlive the encoder). */
void kn_tc_init(kn_tc *t, kn_buf *out);
/* KN_OK, or KN_E_NOMEM/KN_E_INTERNAL into `err` when an earlier call failed. */
kn_status kn_tc_status(const kn_tc *t, kn_error *err);

/* Opens a struct whose fields follow (a top-level struct, or a list element of struct type).
 * Closes it with the STOP byte. */
void kn_tc_struct_begin(kn_tc *t);
void kn_tc_struct_end(kn_tc *t);
/* Opens a struct whose fields up to `last_id` were encoded elsewhere and whose remaining fields
 * (and STOP) follow here: the file writer splices a ColumnChunk's page index fields in once the
 * index's place in the file is known. */
void kn_tc_struct_resume(kn_tc *t, int16_t last_id);

/* Fields of the struct that is open. Ids must be positive. */
void kn_tc_field_begin(kn_tc *t, int16_t id, uint8_t type);
void kn_tc_field_bool(kn_tc *t, int16_t id, bool v);
void kn_tc_field_byte(kn_tc *t, int16_t id, int8_t v);
void kn_tc_field_i16(kn_tc *t, int16_t id, int16_t v);
void kn_tc_field_i32(kn_tc *t, int16_t id, int32_t v);
void kn_tc_field_i64(kn_tc *t, int16_t id, int64_t v);
void kn_tc_field_double(kn_tc *t, int16_t id, double v);
void kn_tc_field_binary(kn_tc *t, int16_t id, const void *p, size_t len); /* p borrowed */
void kn_tc_field_string(kn_tc *t, int16_t id, const char *s);             /* NUL-terminated */
/* A struct-typed field: the header, then an open struct (close it with kn_tc_struct_end). */
void kn_tc_field_struct_begin(kn_tc *t, int16_t id);
/* An empty struct field (Parquet's unions use them: StringType, MicroSeconds, TypeDefinedOrder). */
void kn_tc_field_empty_struct(kn_tc *t, int16_t id);
/* A list-typed field: the header and the list header; `count` elements must follow. */
void kn_tc_field_list_begin(kn_tc *t, int16_t id, uint8_t elem_type, size_t count);

/* Bare values, for list elements. */
void kn_tc_list_begin(kn_tc *t, uint8_t elem_type, size_t count);
void kn_tc_i32(kn_tc *t, int32_t v);
void kn_tc_i64(kn_tc *t, int64_t v);
/* A bool list element: one byte, 1 for true and 2 for false (the compact protocol's type codes,
 * as Thrift's own Java and C++ encoders write; list headers name them KN_TC_BOOL_TRUE). */
void kn_tc_bool(kn_tc *t, bool v);
void kn_tc_binary(kn_tc *t, const void *p, size_t len);

/* Raw helpers, shared with the other encoders. Each writes at `p` and returns the end. */
static inline uint8_t *kn_tc_put_varint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}
static inline uint64_t kn_tc_zigzag64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline uint32_t kn_tc_zigzag32(int32_t v) {
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

#endif
