/* engine/exec/kn_spill_block.c: encoding and decoding spill blocks (kn_spill_block.h). */
#include "kn_spill_block.h"

#include <string.h>

#include "kn_alloc.h"

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* The block of rows [row, row + n) of batch `b` with keys key_offs/keys (rows 0 .. n), or with
 * no keys when key_offs is NULL. The rows' bitmaps and offsets start at 0 in the block. */
static kn_status encode(const kn_batch *b, size_t row, size_t n, const uint32_t *key_offs, const uint8_t *keys,
                        kn_buf *out, kn_error *err) {
    size_t start = out->len;
    size_t key_bytes = key_offs ? key_offs[n] : 0;
    size_t payload = 1 + (key_offs ? (n + 1) * 4 + key_bytes : 0);
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        payload += 1 + (col->validity ? (n + 7) / 8 : 0);
        payload += width ? n * width : (n + 1) * 4 + (col->offsets[row + n] - col->offsets[row]);
    }
    if (!kn_buf_reserve(out, KN_SPILL_HEADER_BYTES + payload))
        return kn_error_set(err, KN_E_NOMEM, "out of memory encoding a spill block");
    uint8_t *p = out->data + start;
    memcpy(p, "KNSB", 4);
    put_u32(p + 4, (uint32_t)n);
    put_u64(p + 8, payload);
    p += KN_SPILL_HEADER_BYTES;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        *p++ = col->validity ? 1 : 0;
        if (col->validity) {
            size_t nb = (n + 7) / 8;
            if (row % 8 == 0) {
                memcpy(p, col->validity + row / 8, nb);
            } else {
                memset(p, 0, nb);
                (void)kn_bits_copy(p, 0, col->validity, row, n);
            }
            if (n % 8) p[nb - 1] &= (uint8_t)((1u << (n % 8)) - 1); /* no bits of rows past the block */
            p += nb;
        }
        if (width) {
            if (n) memcpy(p, (const uint8_t *)col->values + row * width, n * width);
            p += n * width;
        } else {
            uint32_t base = col->offsets[row], bytes = col->offsets[row + n] - base;
            if (base == 0) {
                memcpy(p, col->offsets, (n + 1) * 4);
            } else {
                for (size_t i = 0; i <= n; i++) put_u32(p + 4 * i, col->offsets[row + i] - base);
            }
            p += (n + 1) * 4;
            if (bytes) memcpy(p, col->bytes.data + base, bytes);
            p += bytes;
        }
    }
    *p++ = key_offs ? 1 : 0;
    if (key_offs) {
        memcpy(p, key_offs, (n + 1) * 4);
        p += (n + 1) * 4;
        if (key_bytes) memcpy(p, keys, key_bytes);
        p += key_bytes;
    }
    out->len = (size_t)(p - out->data);
    return KN_OK;
}

kn_status kn__spill_block_encode(const kn_keyed_batch *kb, kn_buf *out, kn_error *err) {
    return encode(kb->batch, 0, kb->batch->num_rows, kb->key_offs, kb->keys.data, out, err);
}

kn_status kn__spill_block_encode_rows(const kn_batch *b, size_t row, size_t n, kn_buf *out, kn_error *err) {
    return encode(b, row, n, NULL, NULL, out, err);
}

kn_status kn__spill_block_header(const uint8_t header[KN_SPILL_HEADER_BYTES], uint32_t *rows,
                                 uint64_t *payload_len, kn_error *err) {
    KN_RETURN_ERROR_IF(memcmp(header, "KNSB", 4) != 0, err, KN_E_IO,
                       "a spill file is damaged (no block header); was the temporary folder changed?");
    memcpy(rows, header + 4, 4);
    memcpy(payload_len, header + 8, 8);
    return KN_OK;
}

/* Takes `need` bytes from the payload cursor, or fails. */
static const uint8_t *take(const uint8_t **p, const uint8_t *end, size_t need) {
    if ((size_t)(end - *p) < need) return NULL;
    const uint8_t *at = *p;
    *p += need;
    return at;
}

/* rows+1 offsets from 0, never decreasing; returns the last one, or SIZE_MAX when bad. */
static size_t check_offsets(const uint8_t *raw, size_t rows) {
    uint32_t prev = 0, v;
    memcpy(&v, raw, 4);
    if (v != 0) return SIZE_MAX;
    for (size_t i = 1; i <= rows; i++) {
        memcpy(&v, raw + 4 * i, 4);
        if (v < prev) return SIZE_MAX;
        prev = v;
    }
    return prev;
}

static kn_status damaged(kn_error *err) {
    return kn_error_set(err, KN_E_IO, "a spill block is damaged (sizes do not add up)");
}

kn_status kn__spill_block_decode(const uint8_t *payload, size_t len, uint32_t rows,
                                 kn_keyed_batch *kb, kn_error *err) {
    kn_batch *b = kb->batch;
    kn_batch_clear(b);
    const uint8_t *p = payload, *end = payload + len, *at;
    size_t n = rows;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        if (!(at = take(&p, end, 1))) return damaged(err);
        bool has_validity = *at != 0;
        const uint8_t *validity = NULL;
        if (has_validity && !(validity = take(&p, end, (n + 7) / 8))) return damaged(err);
        if (width) {
            if (!(at = take(&p, end, n * width))) return damaged(err);
            KN_TRY(kn_column_reserve(col, n, 0, err));
            if (n) memcpy(col->values, at, n * width);
        } else {
            if (!(at = take(&p, end, (n + 1) * 4))) return damaged(err);
            size_t bytes = check_offsets(at, n);
            if (bytes == SIZE_MAX) return damaged(err);
            const uint8_t *data = take(&p, end, bytes);
            if (!data) return damaged(err);
            KN_TRY(kn_column_reserve(col, n, bytes, err));
            memcpy(col->offsets, at, (n + 1) * 4);
            if (bytes) memcpy(col->bytes.data, data, bytes);
            col->bytes.len = bytes;
        }
        if (has_validity) {
            size_t vb = (col->capacity + 7) / 8;
            col->validity = kn_calloc(vb, 1);
            if (!col->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory decoding a spill block");
            memcpy(col->validity, validity, (n + 7) / 8);
            col->null_count = n - kn_bits_count_set(col->validity, 0, n);
        }
        col->length = n;
    }
    b->num_rows = n;
    if (!(at = take(&p, end, 1))) return damaged(err);
    KN_TRY(kn_keyed_batch_reserve_offs(kb, n, err));
    kn_buf_clear(&kb->keys);
    if (!*at) { /* no keys: every row's is empty */
        memset(kb->key_offs, 0, (n + 1) * 4);
        return p == end ? KN_OK : damaged(err);
    }
    if (!(at = take(&p, end, (n + 1) * 4))) return damaged(err);
    size_t key_bytes = check_offsets(at, n);
    if (key_bytes == SIZE_MAX) return damaged(err);
    const uint8_t *keys = take(&p, end, key_bytes);
    if (!keys || p != end) return damaged(err);
    memcpy(kb->key_offs, at, (n + 1) * 4);
    if (!kn_buf_append(&kb->keys, keys, key_bytes))
        return kn_error_set(err, KN_E_NOMEM, "out of memory decoding a spill block");
    return KN_OK;
}
