/* engine/exec/kn_spill_block.c: encoding and decoding spill blocks (kn_spill_block.h). */
#include "kn_spill_block.h"

#include <string.h>

#include "kn_alloc.h"

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Whether column c has a null among the ranges' rows: its block carries a bitmap only then. */
static bool ranges_have_nulls(const kn_row_range *r, size_t count, size_t c) {
    for (size_t i = 0; i < count; i++) {
        const kn_column *col = &r[i].batch->columns[c];
        if (col->validity && kn_bits_count_set(col->validity, r[i].row, r[i].n) != r[i].n) return true;
    }
    return false;
}

/* The block of the ranges' rows, one range after another, with keys key_offs/keys (rows 0 ..
 * n, only for one range) or with no keys when key_offs is NULL. Bitmaps and offsets start at 0
 * in the block. */
static kn_status encode(const kn_row_range *r, size_t count, const uint32_t *key_offs, const uint8_t *keys,
                        kn_buf *out, kn_error *err) {
    KN_RETURN_ERROR_IF(count == 0, err, KN_E_INTERNAL, "a spill block of no row range");
    const kn_schema *schema = r[0].batch->schema;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) n += r[i].n;
    KN_RETURN_ERROR_IF(n > UINT32_MAX, err, KN_E_INTERNAL, "a spill block of %zu rows", n);
    size_t key_bytes = key_offs ? key_offs[n] : 0;
    size_t payload = 1 + (key_offs ? (n + 1) * 4 + key_bytes : 0);
    for (size_t c = 0; c < schema->num_fields; c++) {
        size_t width = kn_type_width(r[0].batch->columns[c].type);
        payload += 1 + (ranges_have_nulls(r, count, c) ? (n + 7) / 8 : 0);
        if (width) {
            payload += n * width;
            continue;
        }
        payload += (n + 1) * 4;
        for (size_t i = 0; i < count; i++) {
            const uint32_t *o = r[i].batch->columns[c].offsets;
            payload += o[r[i].row + r[i].n] - o[r[i].row];
        }
    }
    size_t start = out->len;
    if (!kn_buf_reserve(out, KN_SPILL_HEADER_BYTES + payload))
        return kn_error_set(err, KN_E_NOMEM, "out of memory encoding a spill block");
    uint8_t *p = out->data + start;
    memcpy(p, "KNSB", 4);
    put_u32(p + 4, (uint32_t)n);
    put_u64(p + 8, payload);
    p += KN_SPILL_HEADER_BYTES;
    for (size_t c = 0; c < schema->num_fields; c++) {
        size_t width = kn_type_width(r[0].batch->columns[c].type);
        bool bitmap = ranges_have_nulls(r, count, c);
        *p++ = bitmap;
        if (bitmap) {
            size_t nb = (n + 7) / 8, at = 0;
            memset(p, 0, nb);
            for (size_t i = 0; i < count; i++) {
                const kn_column *col = &r[i].batch->columns[c];
                if (col->validity) (void)kn_bits_copy(p, at, col->validity, r[i].row, r[i].n);
                else kn_bits_set(p, at, r[i].n);
                at += r[i].n;
            }
            p += nb;
        }
        if (width) {
            for (size_t i = 0; i < count; i++) {
                size_t bytes = r[i].n * width;
                if (bytes) memcpy(p, (const uint8_t *)r[i].batch->columns[c].values + r[i].row * width, bytes);
                p += bytes;
            }
            continue;
        }
        /* Offsets from 0 over the ranges, then every range's bytes. */
        uint8_t *offs = p;
        uint32_t to = 0;
        put_u32(offs, 0);
        for (size_t i = 0; i < count; i++) {
            const uint32_t *o = r[i].batch->columns[c].offsets + r[i].row;
            uint32_t base = o[0];
            for (size_t k = 1; k <= r[i].n; k++) put_u32(offs + 4 * k, to + (o[k] - base));
            offs += 4 * r[i].n;
            to += o[r[i].n] - base;
        }
        p += (n + 1) * 4;
        for (size_t i = 0; i < count; i++) {
            const kn_column *col = &r[i].batch->columns[c];
            uint32_t base = col->offsets[r[i].row], bytes = col->offsets[r[i].row + r[i].n] - base;
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
    kn_row_range whole = {kb->batch, 0, kb->batch->num_rows};
    return encode(&whole, 1, kb->key_offs, kb->keys.data, out, err);
}

kn_status kn__spill_block_encode_ranges(const kn_row_range *ranges, size_t count, kn_buf *out, kn_error *err) {
    return encode(ranges, count, NULL, NULL, out, err);
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

/* Appends the `n` rows of the payload's columns, from *pp on, to b's; advances *pp. */
static kn_status append_columns(const uint8_t **pp, const uint8_t *end, size_t n, kn_batch *b, kn_error *err) {
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type), at = col->length;
        const uint8_t *at_p;
        if (!(at_p = take(pp, end, 1))) return damaged(err);
        const uint8_t *validity = NULL;
        if (*at_p && !(validity = take(pp, end, (n + 7) / 8))) return damaged(err);
        if (width) {
            const uint8_t *values = take(pp, end, n * width);
            if (!values) return damaged(err);
            KN_TRY(kn_column_reserve(col, n, 0, err));
            if (n) memcpy((uint8_t *)col->values + at * width, values, n * width);
        } else {
            const uint8_t *offs = take(pp, end, (n + 1) * 4);
            size_t bytes = offs ? check_offsets(offs, n) : SIZE_MAX;
            const uint8_t *data = bytes != SIZE_MAX ? take(pp, end, bytes) : NULL;
            if (!data) return damaged(err);
            KN_RETURN_ERROR_IF(bytes > UINT32_MAX - col->bytes.len, err, KN_E_DATA, "a batch's strings exceed 4 GiB");
            KN_TRY(kn_column_reserve(col, n, bytes, err));
            uint32_t base = (uint32_t)col->bytes.len;
            if (at == 0) {
                memcpy(col->offsets, offs, (n + 1) * 4); /* from 0, as the block's */
            } else {
                for (size_t i = 1; i <= n; i++) {
                    uint32_t v;
                    memcpy(&v, offs + 4 * i, 4);
                    col->offsets[at + i] = base + v;
                }
            }
            if (bytes) memcpy(col->bytes.data + base, data, bytes);
            col->bytes.len += bytes;
        }
        if (validity) {
            if (!col->validity) {
                /* The first null: the bitmap appears with every earlier value valid. */
                col->validity = kn_calloc((col->capacity + 7) / 8, 1);
                if (!col->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory decoding a spill block");
                kn_bits_set(col->validity, 0, at);
            }
            col->null_count += kn_bits_copy(col->validity, at, validity, 0, n);
        } else if (col->validity) {
            kn_bits_set(col->validity, at, n);
        }
        col->length = at + n;
    }
    b->num_rows += n;
    return KN_OK;
}

kn_status kn__spill_block_decode(const uint8_t *payload, size_t len, uint32_t rows,
                                 kn_keyed_batch *kb, kn_error *err) {
    kn_batch_clear(kb->batch);
    const uint8_t *p = payload, *end = payload + len, *at;
    size_t n = rows;
    KN_TRY(append_columns(&p, end, n, kb->batch, err));
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

kn_status kn__spill_block_decode_append(const uint8_t *payload, size_t len, uint32_t rows, kn_batch *b,
                                        kn_error *err) {
    const uint8_t *p = payload, *end = payload + len, *at;
    KN_TRY(append_columns(&p, end, rows, b, err));
    if (!(at = take(&p, end, 1))) return damaged(err);
    KN_RETURN_ERROR_IF(*at, err, KN_E_IO, "a spill block has keys where none were written");
    return p == end ? KN_OK : damaged(err);
}
