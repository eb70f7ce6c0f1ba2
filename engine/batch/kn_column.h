/* engine/batch/kn_column.h: a column vector and the batch of them that flows between stages.
 *
 * A column holds `length` values of one kn_type (see kn_types.h for the layout of each):
 *   - validity: bit i (LSB first) set when value i is present; NULL while every value is
 *     present, so all-valid columns cost nothing. A null slot still occupies its place in
 *     `values` (zeroed) and has an empty string.
 *   - values:   fixed-width values, kn_type_width bytes each; NULL for strings.
 *   - offsets:  strings only, length + 1 entries; value i is bytes[offsets[i] .. offsets[i+1]).
 * All arrays are owned by the column and grow through the append calls. */
#ifndef KN_COLUMN_H
#define KN_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_types.h"

typedef struct kn_column {
    kn_type type;
    size_t length;
    size_t capacity;   /* values (or offsets - 1) allocated */
    size_t null_count;
    uint8_t *validity; /* NULL = all valid; else capacity bits */
    void *values;      /* fixed-width types */
    uint32_t *offsets; /* STRING: capacity + 1 entries; offsets[0] == 0 */
    kn_buf bytes;      /* STRING: the UTF-8 bytes */
} kn_column;

/* Sets up an empty column. Returns KN_E_NOMEM on failure. */
kn_status kn_column_init(kn_column *c, kn_type type, size_t capacity, kn_error *err);
/* Frees the arrays; the struct itself is the caller's. */
void kn_column_release(kn_column *c);
/* Empties the column, keeping its memory. */
void kn_column_clear(kn_column *c);
/* Drops every value from row `rows` on (a reader undoing a record it could not finish). */
void kn_column_truncate(kn_column *c, size_t rows);
/* Makes room for `n` more values (and, for strings, `bytes` more bytes). */
kn_status kn_column_reserve(kn_column *c, size_t n, size_t bytes, kn_error *err);

static inline bool kn_column_is_valid(const kn_column *c, size_t i) {
    return !c->validity || ((c->validity[i >> 3] >> (i & 7)) & 1u);
}

/* The set bits among bits [off, off + n) of a bitmap (bit i is bit i % 8 of byte i / 8, as in
 * a column's validity): the present values of a range, a word at a time. */
size_t kn_bits_count_set(const uint8_t *bits, size_t off, size_t n);
/* Bits [from, from + n) of `src` into bits [at, at + n) of `dst`, other bits of dst kept, a word
 * at a time; returns how many of them are 0. Touches only the bytes the bits cover. */
size_t kn_bits_copy(uint8_t *dst, size_t at, const uint8_t *src, size_t from, size_t n);
/* Sets bits [at, at + n) of `dst`. */
void kn_bits_set(uint8_t *dst, size_t at, size_t n);

/* Appends. Each checks the column's type only with assert; callers match types. A string
 * column's total bytes are limited to 4 GiB - 1 (a batch is far smaller). */
kn_status kn_column_append_null(kn_column *c, kn_error *err);
kn_status kn_column_append_bool(kn_column *c, bool v, kn_error *err);
kn_status kn_column_append_i32(kn_column *c, int32_t v, kn_error *err);  /* INT32, DATE */
kn_status kn_column_append_i64(kn_column *c, int64_t v, kn_error *err);  /* INT64, TIMESTAMP, DECIMAL p<=18 */
kn_status kn_column_append_f64(kn_column *c, double v, kn_error *err);
kn_status kn_column_append_i128(kn_column *c, kn_i128 v, kn_error *err); /* DECIMAL p>18 */
kn_status kn_column_append_str(kn_column *c, const void *data, size_t len, kn_error *err);

/* Typed views. */
static inline const int32_t *kn_column_i32(const kn_column *c) { return (const int32_t *)c->values; }
static inline const int64_t *kn_column_i64(const kn_column *c) { return (const int64_t *)c->values; }
static inline const double *kn_column_f64(const kn_column *c) { return (const double *)c->values; }
static inline const uint8_t *kn_column_bool(const kn_column *c) { return (const uint8_t *)c->values; }
static inline const kn_i128 *kn_column_i128(const kn_column *c) { return (const kn_i128 *)c->values; }
static inline const uint8_t *kn_column_str(const kn_column *c, size_t i, size_t *len) {
    *len = c->offsets[i + 1] - c->offsets[i];
    return c->bytes.data ? c->bytes.data + c->offsets[i] : (const uint8_t *)"";
}

/* A batch: one column per schema field, all of the same length. */
typedef struct kn_batch {
    const kn_schema *schema; /* borrowed; must outlive the batch */
    kn_column *columns;      /* owned; schema->num_fields of them */
    size_t num_rows;
    bool packed;             /* made by kn_batch_create_packed: one allocation, fixed room */
} kn_batch;

/* Creates an empty batch for `schema` with room for `capacity` rows. */
kn_status kn_batch_create(const kn_schema *schema, size_t capacity, kn_batch **out,
                          kn_error *err);
/* Creates an empty batch with room for exactly `rows` rows whose arrays all come from one
 * allocation, the batch itself included: the cheap shape for many small batches that are
 * filled once and then only read (the partitioned write's per-folder batches, dozens per
 * morsel, would otherwise cost some forty allocations each). `string_bytes[i]` (read for
 * string fields only) is the room for field i's bytes; `bitmap` (NULL: none) says which fields
 * get a validity bitmap, zeroed, up front. A packed batch never grows: whoever fills it stays
 * within that room (kn_column_reserve within it is a no-op; beyond it, or kn_batch_clear, or
 * kn_column_release of one of its columns, is a bug). kn_batch_free frees it. */
kn_status kn_batch_create_packed(const kn_schema *schema, size_t rows, const size_t *string_bytes,
                                 const bool *bitmap, kn_batch **out, kn_error *err);
/* Empties every column, keeping memory. Not for packed batches. */
void kn_batch_clear(kn_batch *b);
/* Sets num_rows from the columns after a reader filled them, and checks they agree. */
kn_status kn_batch_seal(kn_batch *b, kn_error *err);
/* Accepts NULL. */
void kn_batch_free(kn_batch *b);

#endif
