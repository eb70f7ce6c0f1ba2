/* engine/exec/kn_col_copy.c: row copies between batches and the byte measures (kn_col_copy.h). */
#include "kn_col_copy.h"

#include <string.h>

#include "kn_alloc.h"

kn_status kn__col_copy_value(kn_column *dst, const kn_column *src, size_t row, kn_error *err) {
    if (!kn_column_is_valid(src, row)) return kn_column_append_null(dst, err);
    size_t i = dst->length;
    if (src->type.id == KN_TYPE_STRING) {
        size_t len;
        const uint8_t *s = kn_column_str(src, row, &len);
        return kn_column_append_str(dst, s, len, err);
    }
    if (i == dst->capacity) KN_TRY(kn_column_reserve(dst, 1, 0, err));
    size_t width = kn_type_width(dst->type);
    const uint8_t *from = (const uint8_t *)src->values + row * width;
    uint8_t *to = (uint8_t *)dst->values + i * width;
    switch (width) {
    case 1: *to = *from; break;
    case 4: memcpy(to, from, 4); break;
    case 8: memcpy(to, from, 8); break;
    default: memcpy(to, from, width); break;
    }
    /* A bitmap that exists must say "valid" for this slot; a missing one means all valid. */
    if (dst->validity) dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    dst->length = i + 1;
    return KN_OK;
}

kn_status kn__batch_copy_row(kn_batch *dst, const kn_batch *src, size_t row, const size_t *map,
                             kn_error *err) {
    size_t n = dst->schema->num_fields;
    for (size_t c = 0; c < n; c++)
        KN_TRY(kn__col_copy_value(&dst->columns[c], &src->columns[map ? map[c] : c], row, err));
    dst->num_rows++;
    return KN_OK;
}

size_t kn__batch_mem_bytes(const kn_batch *b) {
    size_t total = sizeof *b + b->schema->num_fields * sizeof *b->columns;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        total += width ? col->capacity * width : (col->capacity + 1) * sizeof(uint32_t);
        total += col->bytes.cap;
        if (col->validity) total += (col->capacity + 7) / 8;
    }
    return total;
}

uint64_t kn__row_plain_bytes(const kn_batch *b, size_t row) {
    uint64_t total = 0;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        total += width ? width : 4u + (uint64_t)(col->offsets[row + 1] - col->offsets[row]);
    }
    return total;
}

size_t kn__col_max_string(const kn_column *col) {
    if (col->type.id != KN_TYPE_STRING) return 0;
    size_t best = 0;
    for (size_t i = 0; i < col->length; i++) {
        size_t len = col->offsets[i + 1] - col->offsets[i];
        if (len > best) best = len;
    }
    return best;
}

kn_status kn__keyed_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err) {
    if (n + 1 <= kb->cap_offs) return KN_OK;
    size_t cap = kb->cap_offs ? kb->cap_offs : 256;
    while (cap < n + 1) cap *= 2;
    uint32_t *o = kn_realloc(kb->key_offs, cap * sizeof *o);
    if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
    kb->key_offs = o;
    kb->cap_offs = cap;
    return KN_OK;
}

void kn__keyed_release(kn_keyed_batch *kb) {
    kn_batch_free(kb->batch);
    kn_buf_free(&kb->keys);
    kn_free(kb->key_offs);
    memset(kb, 0, sizeof *kb);
}

size_t kn__keyed_mem_bytes(const kn_keyed_batch *kb) {
    return (kb->batch ? kn__batch_mem_bytes(kb->batch) : 0) + kb->keys.cap + kb->cap_offs * sizeof(uint32_t);
}
