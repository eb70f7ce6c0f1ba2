/* kernels/kn_gather.c: row copies and gathers between batches (kn_gather.h). */
#include "kn_gather.h"

#include <stdbool.h>
#include <string.h>

#include "kn_alloc.h"

kn_status kn_col_copy_value(kn_column *dst, const kn_column *src, size_t row, kn_error *err) {
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

kn_status kn_batch_copy_row(kn_batch *dst, const kn_batch *src, size_t row, const size_t *map,
                            kn_error *err) {
    size_t n = dst->schema->num_fields;
    for (size_t c = 0; c < n; c++)
        KN_TRY(kn_col_copy_value(&dst->columns[c], &src->columns[map ? map[c] : c], row, err));
    dst->num_rows++;
    return KN_OK;
}

static inline bool bit_is_set(const uint8_t *bits, size_t i) { return (bits[i >> 3] >> (i & 7)) & 1u; }

/* Source row i of a copy: rows[i] for a selection, row + i for a range. */
static inline size_t src_row(const uint32_t *rows, size_t row, size_t i) { return rows ? rows[i] : row + i; }

/* The validity of dst values [at, at + n) from the source rows (src_row), and dst's null count.
 * A range moves in bit spans a word at a time; a selection into a byte-aligned spot (a fresh
 * batch) packs its bits eight at a time in one pass; otherwise bits go one by one. The bitmap
 * appears only with the first null (kn_column.h). */
static kn_status append_validity(kn_column *dst, size_t at, const kn_column *src, size_t row, const uint32_t *rows,
                                 size_t n, kn_error *err) {
    if (!src->validity || !src->null_count) {
        if (dst->validity) kn_bits_set(dst->validity, at, n);
        return KN_OK;
    }
    const uint8_t *sv = src->validity;
    if (!rows) { /* a range: bit spans, a word at a time */
        if (!dst->validity) {
            if (kn_bits_count_set(sv, row, n) == n) return KN_OK;
            /* The first null: the bitmap appears with every earlier value valid (kn_column.h). */
            dst->validity = kn_calloc((dst->capacity + 7) / 8, 1);
            if (!dst->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory for a validity bitmap");
            kn_bits_set(dst->validity, 0, at);
        }
        dst->null_count += kn_bits_copy(dst->validity, at, sv, row, n);
        return KN_OK;
    }
    if (rows && at % 8 == 0) {
        if (!dst->validity) {
            dst->validity = kn_malloc((dst->capacity + 7) / 8);
            if (!dst->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory for a validity bitmap");
            memset(dst->validity, 0xFF, at / 8);
        }
        uint8_t *dv = dst->validity + at / 8;
        for (size_t i = 0; i < n; i += 8) {
            size_t m = n - i < 8 ? n - i : 8;
            unsigned b = 0;
            for (size_t k = 0; k < m; k++) b |= (unsigned)bit_is_set(sv, rows[i + k]) << k;
            dv[i / 8] = (uint8_t)b;
        }
        dst->null_count += n - kn_bits_count_set(dv, 0, n); /* afterwards, a word at a time */
        return KN_OK;
    }
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++) nulls += !bit_is_set(sv, src_row(rows, row, i));
    if (nulls && !dst->validity) {
        /* The first null: the bitmap appears with every earlier value valid (kn_column.h). */
        dst->validity = kn_calloc((dst->capacity + 7) / 8, 1);
        if (!dst->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory for a validity bitmap");
        for (size_t i = 0; i < at; i++) dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    if (dst->validity) {
        for (size_t i = 0; i < n; i++) {
            size_t d = at + i;
            if (!nulls || bit_is_set(sv, src_row(rows, row, i)))
                dst->validity[d >> 3] |= (uint8_t)(1u << (d & 7));
            else
                dst->validity[d >> 3] &= (uint8_t)~(1u << (d & 7));
        }
    }
    dst->null_count += nulls;
    return KN_OK;
}

static kn_status col_copy_values(kn_column *dst, const kn_column *src, size_t row, size_t n, kn_error *err) {
    size_t at = dst->length, width = kn_type_width(dst->type);
    size_t nbytes = width ? 0 : (size_t)(src->offsets[row + n] - src->offsets[row]);
    KN_RETURN_ERROR_IF(!width && nbytes > UINT32_MAX - dst->bytes.len, err, KN_E_DATA, "a batch's strings exceed 4 GiB");
    KN_TRY(kn_column_reserve(dst, n, nbytes, err));
    if (width) {
        memcpy((uint8_t *)dst->values + at * width, (const uint8_t *)src->values + row * width, n * width);
    } else {
        uint32_t base = src->offsets[row], to = (uint32_t)dst->bytes.len;
        if (nbytes) memcpy(dst->bytes.data + to, src->bytes.data + base, nbytes);
        for (size_t i = 0; i < n; i++) dst->offsets[at + 1 + i] = to + (src->offsets[row + 1 + i] - base);
        dst->bytes.len += nbytes;
    }
    KN_TRY(append_validity(dst, at, src, row, NULL, n, err));
    dst->length = at + n;
    return KN_OK;
}

kn_status kn_batch_copy_rows(kn_batch *dst, const kn_batch *src, size_t row, size_t n, const size_t *map,
                             kn_error *err) {
    if (n == 0) return KN_OK;
    size_t ncols = dst->schema->num_fields;
    for (size_t c = 0; c < ncols; c++)
        KN_TRY(col_copy_values(&dst->columns[c], &src->columns[map ? map[c] : c], row, n, err));
    dst->num_rows += n;
    return KN_OK;
}

/* Strings up to this long are copied as one fixed-size block. */
#define SHORT_COPY KN_GATHER_PAD

size_t kn_col_gather_bytes(const kn_column *src, const uint32_t *rows, size_t n) {
    if (kn_type_width(src->type)) return 0;
    size_t nbytes = 0;
    for (size_t i = 0; i < n; i++) nbytes += src->offsets[rows[i] + 1] - src->offsets[rows[i]];
    return nbytes;
}

kn_status kn_col_gather(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, kn_error *err) {
    return kn_col_gather_sized(dst, src, rows, n, kn_col_gather_bytes(src, rows, n), err);
}

kn_status kn_col_gather_sized(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, size_t nbytes,
                              kn_error *err) {
    size_t at = dst->length, width = kn_type_width(dst->type);
    KN_RETURN_ERROR_IF(!width && nbytes > UINT32_MAX - dst->bytes.len, err, KN_E_DATA, "a batch's strings exceed 4 GiB");
    /* Strings get SHORT_COPY bytes of room past their end: see below. */
    KN_TRY(kn_column_reserve(dst, n, width ? 0 : nbytes + SHORT_COPY, err));
    uint8_t *to = dst->values;
    const uint8_t *from = src->values;
    switch (width) {
    case 0: {
        /* Most strings are short: they move as one fixed SHORT_COPY-byte copy (a few vector
         * moves, no library call), which may read past the value but not past the source's
         * buffer and writes into the room reserved above, overwritten by the next value. */
        uint32_t pos = (uint32_t)dst->bytes.len;
        const uint8_t *sb = src->bytes.data;
        uint8_t *db = dst->bytes.data;
        size_t scap = src->bytes.cap;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = src->offsets[rows[i]], len = src->offsets[rows[i] + 1] - a;
            if (len <= SHORT_COPY && (size_t)a + SHORT_COPY <= scap) memcpy(db + pos, sb + a, SHORT_COPY);
            else if (len) memcpy(db + pos, sb + a, len);
            pos += len;
            dst->offsets[at + 1 + i] = pos;
        }
        dst->bytes.len = pos;
        break;
    }
    case 1:
        for (size_t i = 0; i < n; i++) to[at + i] = from[rows[i]];
        break;
    case 4:
        for (size_t i = 0; i < n; i++) memcpy(to + (at + i) * 4, from + (size_t)rows[i] * 4, 4);
        break;
    case 8:
        for (size_t i = 0; i < n; i++) memcpy(to + (at + i) * 8, from + (size_t)rows[i] * 8, 8);
        break;
    default:
        for (size_t i = 0; i < n; i++) memcpy(to + (at + i) * width, from + (size_t)rows[i] * width, width);
        break;
    }
    KN_TRY(append_validity(dst, at, src, 0, rows, n, err));
    dst->length = at + n;
    return KN_OK;
}

kn_status kn_batch_gather(kn_batch *dst, const kn_batch *src, const uint32_t *rows, size_t n, const size_t *map,
                          kn_error *err) {
    if (n == 0) return KN_OK;
    for (size_t c = 0; c < dst->schema->num_fields; c++)
        KN_TRY(kn_col_gather(&dst->columns[c], &src->columns[map ? map[c] : c], rows, n, err));
    dst->num_rows += n;
    return KN_OK;
}
