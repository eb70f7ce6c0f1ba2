/* kernels/kn_sort_key.c: building the row keys, and the keyed batch that holds them (kn_sort_key.h). */
#include "kn_sort_key.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"

kn_status kn_keyed_batch_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err) {
    if (n + 1 <= kb->cap_offs) return KN_OK;
    size_t cap = kb->cap_offs ? kb->cap_offs : 256;
    while (cap < n + 1) cap *= 2;
    uint32_t *o = kn_realloc(kb->key_offs, cap * sizeof *o);
    if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
    kb->key_offs = o;
    kb->cap_offs = cap;
    return KN_OK;
}

void kn_keyed_batch_release(kn_keyed_batch *kb) {
    kn_batch_free(kb->batch);
    kn_buf_free(&kb->keys);
    kn_free(kb->key_offs);
    memset(kb, 0, sizeof *kb);
}

size_t kn_keyed_batch_mem_bytes(const kn_keyed_batch *kb) {
    return (kb->batch ? kn_batch_mem_bytes(kb->batch) : 0) + kb->keys.cap + kb->cap_offs * sizeof(uint32_t);
}

static inline void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Appends the order-preserving encoding of value `row` of `col` (room already reserved for
 * fixed-width types; strings reserve their own). */
static bool encode_value(kn_buf *out, const kn_column *col, size_t row) {
    if (!kn_column_is_valid(col, row)) return kn_buf_push(out, 0x00);
    if (!kn_buf_reserve(out, 17)) return false;
    uint8_t *p = out->data + out->len;
    *p++ = 0x01;
    switch (col->type.id) {
    case KN_TYPE_BOOL:
        *p++ = kn_column_bool(col)[row] ? 1 : 0;
        break;
    case KN_TYPE_INT32:
    case KN_TYPE_DATE:
        put_be32(p, (uint32_t)kn_column_i32(col)[row] ^ 0x80000000u);
        p += 4;
        break;
    case KN_TYPE_INT64:
    case KN_TYPE_TIMESTAMP:
        put_be64(p, (uint64_t)kn_column_i64(col)[row] ^ (1ull << 63));
        p += 8;
        break;
    case KN_TYPE_DECIMAL:
        if (col->type.precision > 18) {
            kn_i128 v = kn_column_i128(col)[row];
            put_be64(p, (uint64_t)v.hi ^ (1ull << 63));
            put_be64(p + 8, v.lo);
            p += 16;
        } else {
            put_be64(p, (uint64_t)kn_column_i64(col)[row] ^ (1ull << 63));
            p += 8;
        }
        break;
    case KN_TYPE_FLOAT64: {
        double d = kn_column_f64(col)[row];
        uint64_t bits;
        if (d != d) {
            bits = 0x7FF8000000000000ull; /* every NaN is one value, above +Infinity */
        } else {
            memcpy(&bits, &d, 8);
        }
        bits = (bits >> 63) ? ~bits : bits ^ (1ull << 63);
        put_be64(p, bits);
        p += 8;
        break;
    }
    case KN_TYPE_STRING: {
        out->len = (size_t)(p - out->data);
        size_t len;
        const uint8_t *s = kn_column_str(col, row, &len);
        if (!kn_buf_reserve(out, 2 * len + 2)) return false;
        uint8_t *q = out->data + out->len;
        for (size_t i = 0; i < len; i++) {
            *q++ = s[i];
            if (s[i] == 0) *q++ = 0xFF;
        }
        *q++ = 0x00;
        *q++ = 0x00;
        out->len = (size_t)(q - out->data);
        return true;
    }
    case KN_TYPE_COUNT_:
        break;
    }
    out->len = (size_t)(p - out->data);
    return true;
}

kn_status kn_sort_keys_build(const kn_sort_key_spec *spec, kn_keyed_batch *kb, uint64_t morsel,
                             kn_error *err) {
    const kn_batch *b = kb->batch;
    size_t n = b->num_rows;
    KN_RETURN_ERROR_IF(morsel > UINT32_MAX || n > UINT32_MAX, err, KN_E_USAGE,
                       "more than 2^32 morsels or rows in one morsel; use a larger --morsel-size");
    kn_buf_clear(&kb->keys);
    KN_TRY(kn_keyed_batch_reserve_offs(kb, n, err));
    kb->key_offs[0] = 0;
    bool partitioned = spec->part && spec->part->num_keys > 0;
    for (size_t r = 0; r < n; r++) {
        if (partitioned)
            KN_TRY(kn_part_path_append(spec->part, b, r, 0, &kb->keys, err));
        if (!kn_buf_push(&kb->keys, 0x00)) return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
        for (size_t k = 0; k < spec->num_sort_cols; k++)
            if (!encode_value(&kb->keys, &b->columns[spec->sort_cols[k]], r))
                return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
        if (!kn_buf_reserve(&kb->keys, 8)) return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
        put_be64(kb->keys.data + kb->keys.len, (morsel << 32) | (uint64_t)r);
        kb->keys.len += 8;
        KN_RETURN_ERROR_IF(kb->keys.len > UINT32_MAX, err, KN_E_USAGE,
                           "the sort keys of one morsel pass 4 GiB; use a smaller --morsel-size");
        kb->key_offs[r + 1] = (uint32_t)kb->keys.len;
    }
    return KN_OK;
}
