/* engine/batch/kn_column.c: column vectors and batches. */
#include "kn_column.h"

#include <assert.h>
#include <string.h>

#include "kn_alloc.h"

static kn_status grow_rows(kn_column *c, size_t need, kn_error *err) {
    if (need <= c->capacity) return KN_OK;
    size_t cap = c->capacity ? c->capacity : 64;
    while (cap < need) cap *= 2;
    size_t width = kn_type_width(c->type);
    if (width) {
        void *v = kn_realloc(c->values, cap * width);
        if (!v) return kn_error_set(err, KN_E_NOMEM, "out of memory growing a column to %zu values", cap);
        c->values = v;
    } else {
        uint32_t *o = kn_realloc(c->offsets, (cap + 1) * sizeof *o);
        if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory growing a column to %zu values", cap);
        c->offsets = o;
    }
    if (c->validity) {
        size_t old_bytes = (c->capacity + 7) / 8, new_bytes = (cap + 7) / 8;
        uint8_t *m = kn_realloc(c->validity, new_bytes);
        if (!m) return kn_error_set(err, KN_E_NOMEM, "out of memory growing a column to %zu values", cap);
        memset(m + old_bytes, 0, new_bytes - old_bytes);
        c->validity = m;
    }
    c->capacity = cap;
    return KN_OK;
}

kn_status kn_column_init(kn_column *c, kn_type type, size_t capacity, kn_error *err) {
    memset(c, 0, sizeof *c);
    c->type = type;
    if (type.id == KN_TYPE_STRING) {
        c->offsets = kn_malloc(sizeof *c->offsets);
        if (!c->offsets) return kn_error_set(err, KN_E_NOMEM, "out of memory creating a column");
        c->offsets[0] = 0;
    }
    return grow_rows(c, capacity, err);
}

void kn_column_release(kn_column *c) {
    kn_free(c->validity);
    kn_free(c->values);
    kn_free(c->offsets);
    kn_buf_free(&c->bytes);
    memset(c, 0, sizeof *c);
}

void kn_column_clear(kn_column *c) {
    /* "No bitmap" means all valid, so the bitmap goes; the first null brings it back. */
    kn_free(c->validity);
    c->validity = NULL;
    c->length = 0;
    c->null_count = 0;
    kn_buf_clear(&c->bytes);
}

kn_status kn_column_reserve(kn_column *c, size_t n, size_t bytes, kn_error *err) {
    KN_TRY(grow_rows(c, c->length + n, err));
    if (bytes && !kn_buf_reserve(&c->bytes, bytes))
        return kn_error_set(err, KN_E_NOMEM, "out of memory reserving %zu string bytes", bytes);
    return KN_OK;
}

/* Marks slot `i` valid in a bitmap that exists. */
static inline void set_valid(kn_column *c, size_t i) {
    if (c->validity) c->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
}

kn_status kn_column_append_null(kn_column *c, kn_error *err) {
    KN_TRY(grow_rows(c, c->length + 1, err));
    if (!c->validity) {
        /* First null: materialise the bitmap with every earlier value valid. */
        size_t bytes = (c->capacity + 7) / 8;
        c->validity = kn_calloc(bytes, 1);
        if (!c->validity) return kn_error_set(err, KN_E_NOMEM, "out of memory for a validity bitmap");
        for (size_t i = 0; i < c->length; i++) c->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    size_t i = c->length;
    c->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
    size_t width = kn_type_width(c->type);
    if (width)
        memset((uint8_t *)c->values + i * width, 0, width);
    else
        c->offsets[i + 1] = c->offsets[i];
    c->length++;
    c->null_count++;
    return KN_OK;
}

#define KN_DEFINE_APPEND(fn, ctype)                                                           \
    kn_status fn(kn_column *c, ctype v, kn_error *err) {                                      \
        assert(kn_type_width(c->type) == sizeof(ctype));                                      \
        if (c->length == c->capacity) KN_TRY(grow_rows(c, c->length + 1, err));               \
        ((ctype *)c->values)[c->length] = v;                                                  \
        set_valid(c, c->length);                                                              \
        c->length++;                                                                          \
        return KN_OK;                                                                         \
    }

KN_DEFINE_APPEND(kn_column_append_i32, int32_t)
KN_DEFINE_APPEND(kn_column_append_i64, int64_t)
KN_DEFINE_APPEND(kn_column_append_f64, double)
KN_DEFINE_APPEND(kn_column_append_i128, kn_i128)

kn_status kn_column_append_bool(kn_column *c, bool v, kn_error *err) {
    assert(c->type.id == KN_TYPE_BOOL);
    if (c->length == c->capacity) KN_TRY(grow_rows(c, c->length + 1, err));
    ((uint8_t *)c->values)[c->length] = v ? 1 : 0;
    set_valid(c, c->length);
    c->length++;
    return KN_OK;
}

kn_status kn_column_append_str(kn_column *c, const void *data, size_t len, kn_error *err) {
    assert(c->type.id == KN_TYPE_STRING);
    if (c->length == c->capacity) KN_TRY(grow_rows(c, c->length + 1, err));
    if (len > UINT32_MAX - c->bytes.len)
        return kn_error_set(err, KN_E_DATA, "a batch's strings exceed 4 GiB");
    if (!kn_buf_append(&c->bytes, data, len))
        return kn_error_set(err, KN_E_NOMEM, "out of memory appending a %zu-byte string", len);
    c->offsets[c->length + 1] = (uint32_t)c->bytes.len;
    set_valid(c, c->length);
    c->length++;
    return KN_OK;
}

kn_status kn_batch_create(const kn_schema *schema, size_t capacity, kn_batch **out,
                          kn_error *err) {
    *out = NULL;
    kn_batch *b = kn_calloc(1, sizeof *b);
    if (!b) return kn_error_set(err, KN_E_NOMEM, "out of memory creating a batch");
    b->schema = schema;
    b->columns = kn_calloc(schema->num_fields ? schema->num_fields : 1, sizeof *b->columns);
    if (!b->columns) {
        kn_free(b);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating a batch");
    }
    for (size_t i = 0; i < schema->num_fields; i++) {
        kn_status st = kn_column_init(&b->columns[i], schema->fields[i].type, capacity, err);
        if (st != KN_OK) {
            kn_batch_free(b);
            return st;
        }
    }
    *out = b;
    return KN_OK;
}

/* Arrays inside a packed batch start on cache-line boundaries. */
#define PACK_ALIGN 64
static size_t pack_round(size_t n) { return (n + PACK_ALIGN - 1) & ~(size_t)(PACK_ALIGN - 1); }

kn_status kn_batch_create_packed(const kn_schema *schema, size_t rows, const size_t *string_bytes,
                                 const bool *bitmap, kn_batch **out, kn_error *err) {
    *out = NULL;
    size_t nf = schema->num_fields;
    /* One pass sizes the block, the next carves it: the batch, its columns, then per field its
     * values or offsets, its bytes and its bitmap. */
    size_t head = pack_round(sizeof(kn_batch) + (nf ? nf : 1) * sizeof(kn_column)), total = head;
    for (size_t i = 0; i < nf; i++) {
        size_t width = kn_type_width(schema->fields[i].type);
        total += width ? pack_round(rows * width) : pack_round((rows + 1) * sizeof(uint32_t)) + pack_round(string_bytes[i]);
        if (bitmap && bitmap[i]) total += pack_round((rows + 7) / 8);
    }
    uint8_t *block = kn_malloc(total);
    if (!block) return kn_error_set(err, KN_E_NOMEM, "out of memory creating a %zu-row batch", rows);
    memset(block, 0, head);
    kn_batch *b = (kn_batch *)block;
    b->schema = schema;
    b->columns = (kn_column *)(block + sizeof(kn_batch));
    b->packed = true;
    uint8_t *at = block + head;
    for (size_t i = 0; i < nf; i++) {
        kn_column *c = &b->columns[i];
        c->type = schema->fields[i].type;
        c->capacity = rows;
        size_t width = kn_type_width(c->type);
        if (width) {
            c->values = at;
            at += pack_round(rows * width);
        } else {
            c->offsets = (uint32_t *)at;
            c->offsets[0] = 0;
            at += pack_round((rows + 1) * sizeof(uint32_t));
            c->bytes.data = string_bytes[i] ? at : NULL;
            c->bytes.cap = string_bytes[i];
            at += pack_round(string_bytes[i]);
        }
        if (bitmap && bitmap[i]) {
            c->validity = at;
            memset(at, 0, (rows + 7) / 8);
            at += pack_round((rows + 7) / 8);
        }
    }
    *out = b;
    return KN_OK;
}

void kn_batch_clear(kn_batch *b) {
    for (size_t i = 0; i < b->schema->num_fields; i++) kn_column_clear(&b->columns[i]);
    b->num_rows = 0;
}

kn_status kn_batch_seal(kn_batch *b, kn_error *err) {
    size_t n = b->schema->num_fields ? b->columns[0].length : 0;
    for (size_t i = 1; i < b->schema->num_fields; i++)
        KN_RETURN_ERROR_IF(b->columns[i].length != n, err, KN_E_INTERNAL,
                           "column '%s' has %zu values but column '%s' has %zu",
                           b->schema->fields[i].name, b->columns[i].length,
                           b->schema->fields[0].name, n);
    b->num_rows = n;
    return KN_OK;
}

void kn_batch_free(kn_batch *b) {
    if (!b) return;
    if (b->packed) { /* everything is in the one block that starts with the batch */
        kn_free(b);
        return;
    }
    if (b->columns)
        for (size_t i = 0; i < b->schema->num_fields; i++) kn_column_release(&b->columns[i]);
    kn_free(b->columns);
    kn_free(b);
}

size_t kn_bits_count_set(const uint8_t *bits, size_t off, size_t n) {
    size_t count = 0, i = 0;
    while (i < n && ((off + i) & 7)) {
        count += (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1u;
        i++;
    }
    for (; i + 64 <= n; i += 64) {
        uint64_t w;
        memcpy(&w, bits + ((off + i) >> 3), 8);
        count += (size_t)__builtin_popcountll(w);
    }
    for (; i + 8 <= n; i += 8) count += (size_t)__builtin_popcount(bits[(off + i) >> 3]);
    for (; i < n; i++) count += (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1u;
    return count;
}

/* ---- bit ranges, a word at a time ----------------------------------------------------------- */

/* Up to 56 bits at a time: a span's first bit offset (< 8) plus its bits fit one 64-bit word.
 * Loads and stores touch only the bytes the span covers, so nothing past a bitmap is read. */
#define SPAN_BITS 56

static inline uint64_t load_bits(const uint8_t *bits, size_t from, size_t k) {
    size_t nb = ((from & 7) + k + 7) / 8;
    uint64_t w = 0;
    memcpy(&w, bits + (from >> 3), nb); /* little-endian: bit i of the bitmap is bit i of w */
    return (w >> (from & 7)) & (((uint64_t)1 << k) - 1);
}

static inline void store_bits(uint8_t *bits, size_t at, size_t k, uint64_t v) {
    size_t nb = ((at & 7) + k + 7) / 8, sh = at & 7;
    uint64_t w = 0, mask = (((uint64_t)1 << k) - 1) << sh;
    memcpy(&w, bits + (at >> 3), nb);
    w = (w & ~mask) | (v << sh);
    memcpy(bits + (at >> 3), &w, nb);
}

size_t kn_bits_copy(uint8_t *dst, size_t at, const uint8_t *src, size_t from, size_t n) {
    size_t zeros = 0;
    for (size_t i = 0; i < n; i += SPAN_BITS) {
        size_t k = n - i < SPAN_BITS ? n - i : SPAN_BITS;
        uint64_t v = load_bits(src, from + i, k);
        zeros += k - (size_t)__builtin_popcountll(v);
        store_bits(dst, at + i, k, v);
    }
    return zeros;
}

void kn_bits_set(uint8_t *dst, size_t at, size_t n) {
    for (size_t i = 0; i < n; i += SPAN_BITS) {
        size_t k = n - i < SPAN_BITS ? n - i : SPAN_BITS;
        store_bits(dst, at + i, k, ((uint64_t)1 << k) - 1);
    }
}

void kn_column_truncate(kn_column *c, size_t rows) {
    if (c->length <= rows) return;
    for (size_t i = rows; i < c->length; i++)
        if (!kn_column_is_valid(c, i)) c->null_count--;
    if (c->type.id == KN_TYPE_STRING) c->bytes.len = c->offsets[rows];
    c->length = rows;
}
