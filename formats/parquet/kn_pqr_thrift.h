/* formats/parquet/kn_pqr_thrift.h: a bounds-checked Thrift compact protocol decoder (internal to
 * kn_parquet_read).
 *
 * Parquet footers and page headers come from any writer, damaged or not, so every read here is
 * checked against the end of the buffer, every varint against its 10-byte limit, every list size
 * against the bytes that remain, and nesting against KN__TC_MAX_DEPTH. The first failure sets
 * KN_E_FORMAT in the caller's kn_error with the file offset of the byte that was bad, and every
 * later call fails at once, so decoders can chain calls without checking each one's status.
 *
 * The decoder never allocates: binary values are returned as pointers into the borrowed input. */
#ifndef KN_PQR_THRIFT_H
#define KN_PQR_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

/* Deeper than any parquet.thrift structure (a LogicalType inside a SchemaElement inside the
 * FileMetaData is 3; statistics in a page header 3), with room for future nested fields, and
 * low enough that a crafted footer of nested lists cannot exhaust the C stack. */
#define KN__TC_MAX_DEPTH 32

typedef struct kn__tc {
    const uint8_t *begin; /* borrowed input */
    const uint8_t *p;     /* next byte to read */
    const uint8_t *end;
    uint64_t base;        /* file offset of `begin`, for messages */
    const char *name;     /* the source's name for messages (borrowed), or NULL */
    kn_error *err;        /* may be NULL */
    kn_status status;     /* KN_OK until the first failure; sticky after that */
    bool ran_out;         /* the failure was a read past `end` (the caller may retry with more) */
    int depth;            /* structs and containers open now */
    const char *strct;    /* the struct being decoded, for messages */
    int16_t field;        /* the field being decoded, for messages */
} kn__tc;

/* Starts decoding `len` bytes at `data` (borrowed), which sit at file offset `base` of the
 * source named `name` (borrowed; may be NULL). */
void kn__tc_init(kn__tc *r, const uint8_t *data, size_t len, uint64_t base, const char *name,
                 kn_error *err);

/* The file offset of the next byte. */
static inline uint64_t kn__tc_offset(const kn__tc *r) {
    return r->base + (uint64_t)(r->p - r->begin);
}
static inline size_t kn__tc_remaining(const kn__tc *r) { return (size_t)(r->end - r->p); }

/* Fails with KN_E_FORMAT at the current offset: "<what> (in <struct> field <n>)". Returns the
 * status; later calls keep failing with it. Only the first failure's message is kept. */
kn_status kn__tc_fail(kn__tc *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Structs. begin saves the enclosing struct's name and last field id in *saved_*, and fails
 * past KN__TC_MAX_DEPTH; end restores them. */
typedef struct kn__tc_frame {
    const char *strct;
    int16_t field;
    int16_t last_id;
} kn__tc_frame;
kn_status kn__tc_struct_begin(kn__tc *r, const char *name, kn__tc_frame *frame);
void kn__tc_struct_end(kn__tc *r, const kn__tc_frame *frame);

/* Reads the next field header of the open struct. At the struct's end sets *type = KN_TC_STOP.
 * A boolean field's value is in its type (KN_TC_BOOL_TRUE / KN_TC_BOOL_FALSE). */
kn_status kn__tc_field(kn__tc *r, kn__tc_frame *frame, int16_t *id, uint8_t *type);

/* Value readers, given the wire type from the field or list header. Integers accept any of
 * BYTE, I16, I32, I64 and fail when the value is outside [min, max]. */
kn_status kn__tc_int(kn__tc *r, uint8_t type, int64_t min, int64_t max, int64_t *out);
kn_status kn__tc_i32(kn__tc *r, uint8_t type, int32_t *out);
kn_status kn__tc_i64(kn__tc *r, uint8_t type, int64_t *out);
/* A field's boolean (from its type) or a list element's (one byte). */
kn_status kn__tc_bool_field(kn__tc *r, uint8_t type, bool *out);
kn_status kn__tc_bool_elem(kn__tc *r, bool *out);
kn_status kn__tc_double(kn__tc *r, uint8_t type, double *out);
/* Binary and string: *data points into the input (borrowed). */
kn_status kn__tc_binary(kn__tc *r, uint8_t type, const uint8_t **data, size_t *len);

/* A list or set header: element type and count. Fails when `type` is not LIST/SET, or when
 * `count` elements cannot fit in the bytes that remain (each element takes at least one byte,
 * or more for fixed-size types), so callers may size arrays by *count without trusting it. */
kn_status kn__tc_list(kn__tc *r, uint8_t type, uint8_t *elem_type, size_t *count);
/* Fails unless the wire type is `want` (for lists whose elements must be structs, etc). */
kn_status kn__tc_expect(kn__tc *r, uint8_t got, uint8_t want);

/* Whether a value of wire type `got` can be read as `want`: integers of any width as each
 * other, either boolean type as a boolean, a set as a list; otherwise the same type. */
bool kn__tc_compatible(uint8_t got, uint8_t want);

/* Skips one value of any type, containers and structs included (bounded by depth). */
kn_status kn__tc_skip(kn__tc *r, uint8_t type);

/* A wire type's name for messages ("i32", "struct", ...). */
const char *kn__tc_type_name(uint8_t type);

#endif
