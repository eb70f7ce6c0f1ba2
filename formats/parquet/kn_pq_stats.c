/* formats/parquet/kn_pq_stats.c: chunk statistics in Parquet's sort orders (kn_pq_stats.h). */
#include "kn_pq_stats.h"

#include <math.h>
#include <string.h>

void kn_pq_stats_init(kn_pq_stats *s, kn_pq_order order, int width) {
    memset(s, 0, sizeof *s);
    s->order = order;
    s->width = width;
}

void kn_pq_stats_reset(kn_pq_stats *s) {
    s->has = false;
    s->null_count = 0;
    s->nan_count = 0;
    kn_buf_clear(&s->min_bytes);
    kn_buf_clear(&s->max_bytes);
}

void kn_pq_stats_release(kn_pq_stats *s) {
    kn_buf_free(&s->min_bytes);
    kn_buf_free(&s->max_bytes);
}

int kn_pq_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static inline bool present(const uint8_t *validity, size_t bit) {
    return !validity || ((validity[bit >> 3] >> (bit & 7)) & 1u);
}

/* Big-endian two's complement compares like unsigned bytes once the sign bit is flipped. */
static int flba_signed_cmp(const uint8_t *a, const uint8_t *b, int width) {
    uint8_t a0 = a[0] ^ 0x80, b0 = b[0] ^ 0x80;
    if (a0 != b0) return a0 < b0 ? -1 : 1;
    return width > 1 ? memcmp(a + 1, b + 1, (size_t)width - 1) : 0;
}

/* One typed pass per order keeps the loops tight (the compiler vectorises the all-present
 * ones) and folds the slice's bounds into the chunk's once at the end. */
#define KN_MINMAX_LOOP(ctype)                                                                 \
    do {                                                                                      \
        const ctype *v = (const ctype *)(const void *)values;                                 \
        ctype lo, hi;                                                                         \
        size_t i = 0;                                                                         \
        while (i < n && !present(validity, bit_offset + i)) i++;                              \
        if (i == n) return;                                                                   \
        lo = hi = v[i];                                                                       \
        if (!validity) {                                                                      \
            for (; i < n; i++) {                                                              \
                lo = v[i] < lo ? v[i] : lo;                                                   \
                hi = v[i] > hi ? v[i] : hi;                                                   \
            }                                                                                 \
        } else {                                                                              \
            for (; i < n; i++) {                                                              \
                if (!present(validity, bit_offset + i)) continue;                             \
                lo = v[i] < lo ? v[i] : lo;                                                   \
                hi = v[i] > hi ? v[i] : hi;                                                   \
            }                                                                                 \
        }                                                                                     \
        if (!s->has) {                                                                        \
            memcpy(s->min, &lo, sizeof lo);                                                   \
            memcpy(s->max, &hi, sizeof hi);                                                   \
            s->has = true;                                                                    \
        } else {                                                                              \
            ctype cur_lo, cur_hi;                                                             \
            memcpy(&cur_lo, s->min, sizeof lo);                                               \
            memcpy(&cur_hi, s->max, sizeof hi);                                               \
            if (lo < cur_lo) memcpy(s->min, &lo, sizeof lo);                                  \
            if (hi > cur_hi) memcpy(s->max, &hi, sizeof hi);                                  \
        }                                                                                     \
    } while (0)

static void update_double(kn_pq_stats *s, const uint8_t *values, const uint8_t *validity,
                          size_t bit_offset, size_t n) {
    const double *v = (const double *)(const void *)values;
    double lo = INFINITY, hi = -INFINITY;
    bool any = false;
    uint64_t nans = 0;
    for (size_t i = 0; i < n; i++) {
        if (!present(validity, bit_offset + i)) continue;
        if (isnan(v[i])) {
            nans++;
            continue;
        }
        /* -0.0 == +0.0, so whichever came first stays; finish() writes the signs the spec asks. */
        if (!any || v[i] < lo) lo = v[i];
        if (!any || v[i] > hi) hi = v[i];
        any = true;
    }
    s->nan_count += nans;
    if (!any) return;
    if (!s->has) {
        memcpy(s->min, &lo, 8);
        memcpy(s->max, &hi, 8);
        s->has = true;
        return;
    }
    double cur_lo, cur_hi;
    memcpy(&cur_lo, s->min, 8);
    memcpy(&cur_hi, s->max, 8);
    if (lo < cur_lo) memcpy(s->min, &lo, 8);
    if (hi > cur_hi) memcpy(s->max, &hi, 8);
}

static void update_flba(kn_pq_stats *s, const uint8_t *values, const uint8_t *validity,
                        size_t bit_offset, size_t n) {
    int w = s->width;
    for (size_t i = 0; i < n; i++) {
        if (!present(validity, bit_offset + i)) continue;
        const uint8_t *p = values + i * (size_t)w;
        if (!s->has) {
            memcpy(s->min, p, (size_t)w);
            memcpy(s->max, p, (size_t)w);
            s->has = true;
            continue;
        }
        if (flba_signed_cmp(p, s->min, w) < 0) memcpy(s->min, p, (size_t)w);
        if (flba_signed_cmp(p, s->max, w) > 0) memcpy(s->max, p, (size_t)w);
    }
}

void kn_pq_stats_update_fixed(kn_pq_stats *s, const uint8_t *values, const uint8_t *validity,
                              size_t bit_offset, size_t n) {
    switch (s->order) {
    case KN_PQ_ORDER_BOOL: KN_MINMAX_LOOP(uint8_t); break;
    case KN_PQ_ORDER_I32: KN_MINMAX_LOOP(int32_t); break;
    case KN_PQ_ORDER_I64: KN_MINMAX_LOOP(int64_t); break;
    case KN_PQ_ORDER_DOUBLE: update_double(s, values, validity, bit_offset, n); break;
    case KN_PQ_ORDER_FLBA_SIGNED: update_flba(s, values, validity, bit_offset, n); break;
    case KN_PQ_ORDER_NONE:
    case KN_PQ_ORDER_BYTES: break;
    }
}

static kn_status set_bytes(kn_buf *b, const uint8_t *p, size_t len, kn_error *err) {
    kn_buf_clear(b);
    return kn_buf_append_or_fail(b, p, len, err);
}

kn_status kn_pq_stats_update_bytes(kn_pq_stats *s, const uint32_t *offsets, const uint8_t *bytes,
                                   const uint8_t *validity, size_t bit_offset, size_t n,
                                   kn_error *err) {
    /* Track the slice's bounds as positions in the caller's bytes and copy only at the end. */
    size_t lo = SIZE_MAX, hi = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!present(validity, bit_offset + i)) continue;
        const uint8_t *p = bytes + offsets[i];
        size_t len = offsets[i + 1] - offsets[i];
        if (lo == SIZE_MAX) {
            lo = hi = i;
            continue;
        }
        if (kn_pq_bytes_cmp(p, len, bytes + offsets[lo], offsets[lo + 1] - offsets[lo]) < 0)
            lo = i;
        else if (kn_pq_bytes_cmp(p, len, bytes + offsets[hi], offsets[hi + 1] - offsets[hi]) > 0)
            hi = i;
    }
    if (lo == SIZE_MAX) return KN_OK;
    KN_TRY(kn_pq_stats_update_one(s, bytes + offsets[lo], offsets[lo + 1] - offsets[lo], err));
    return kn_pq_stats_update_one(s, bytes + offsets[hi], offsets[hi + 1] - offsets[hi], err);
}

kn_status kn_pq_stats_update_one(kn_pq_stats *s, const uint8_t *p, size_t len, kn_error *err) {
    if (s->order != KN_PQ_ORDER_BYTES) {
        kn_pq_stats_update_fixed(s, p, NULL, 0, 1);
        return KN_OK;
    }
    if (!s->has) {
        KN_TRY(set_bytes(&s->min_bytes, p, len, err));
        KN_TRY(set_bytes(&s->max_bytes, p, len, err));
        s->has = true;
        return KN_OK;
    }
    if (kn_pq_bytes_cmp(p, len, s->min_bytes.data, s->min_bytes.len) < 0)
        KN_TRY(set_bytes(&s->min_bytes, p, len, err));
    if (kn_pq_bytes_cmp(p, len, s->max_bytes.data, s->max_bytes.len) > 0)
        KN_TRY(set_bytes(&s->max_bytes, p, len, err));
    return KN_OK;
}

kn_status kn_pq_stats_merge(kn_pq_stats *dst, const kn_pq_stats *src, kn_error *err) {
    dst->null_count += src->null_count;
    dst->nan_count += src->nan_count;
    if (!src->has) return KN_OK;
    if (src->order == KN_PQ_ORDER_BYTES) {
        KN_TRY(kn_pq_stats_update_one(dst, src->min_bytes.data ? src->min_bytes.data : (const uint8_t *)"", src->min_bytes.len, err));
        return kn_pq_stats_update_one(dst, src->max_bytes.data ? src->max_bytes.data : (const uint8_t *)"", src->max_bytes.len, err);
    }
    /* Bounds are never NaN, so these count none. */
    kn_pq_stats_update_fixed(dst, src->min, NULL, 0, 1);
    kn_pq_stats_update_fixed(dst, src->max, NULL, 0, 1);
    return KN_OK;
}

static int64_t le_signed(const uint8_t *p, size_t len) {
    uint64_t v = 0;
    for (size_t i = len; i > 0; i--) v = v << 8 | p[i - 1];
    if (len && len < 8 && (p[len - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * len);
    return (int64_t)v;
}

int kn_pq_value_cmp(kn_pq_order order, int width, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    switch (order) {
    case KN_PQ_ORDER_BOOL: return (a[0] > b[0]) - (a[0] < b[0]);
    case KN_PQ_ORDER_I32:
    case KN_PQ_ORDER_I64: {
        int64_t x = le_signed(a, alen), y = le_signed(b, blen);
        return (x > y) - (x < y);
    }
    case KN_PQ_ORDER_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case KN_PQ_ORDER_FLBA_SIGNED: return flba_signed_cmp(a, b, width);
    case KN_PQ_ORDER_BYTES: return kn_pq_bytes_cmp(a, alen, b, blen);
    case KN_PQ_ORDER_NONE: break;
    }
    return 0;
}

/* ---- truncation of long string bounds ---------------------------------------------------- */

/* Where to cut `s` (longer than `limit`) at most `limit` bytes in without splitting a UTF-8
 * character; at `limit` itself when the bytes there are not UTF-8. */
static size_t utf8_cut(const uint8_t *s, size_t limit) {
    size_t k = limit;
    for (int back = 0; back < 3 && k > 0 && (s[k] & 0xC0) == 0x80; back++) k--;
    return (s[k] & 0xC0) == 0x80 ? limit : k;
}

/* Decodes one UTF-8 character at s[0..len); returns its length (0 if invalid). */
static size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp) {
    uint8_t b = s[0];
    size_t n;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if ((b & 0xE0) == 0xC0) {
        n = 2, c = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3, c = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4, c = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

static size_t utf8_encode(uint32_t c, uint8_t *out) {
    if (c < 0x80) {
        out[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (uint8_t)(0xC0 | (c >> 6));
        out[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (c >> 12));
        out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (c >> 18));
    out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

/* A string of at most KN_PQ_STATS_MAX_BYTES bytes that sorts above every string starting with
 * prefix p[0..len): the prefix with its last character that can be incremented incremented and
 * the rest dropped. Characters are incremented as code points while the prefix is valid UTF-8
 * (so the bound stays readable text); bytes otherwise. Returns 0 when nothing can be. */
static size_t round_up(const uint8_t *p, size_t len, uint8_t *out) {
    /* Where each character starts, or give up on characters if the prefix is not UTF-8. */
    size_t starts[KN_PQ_STATS_MAX_BYTES];
    size_t nchars = 0, pos = 0;
    bool utf8 = true;
    while (pos < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + pos, len - pos, &cp);
        if (!n) {
            utf8 = false;
            break;
        }
        starts[nchars++] = pos;
        pos += n;
    }
    if (utf8) {
        for (size_t k = nchars; k-- > 0;) {
            uint32_t cp;
            utf8_decode(p + starts[k], len - starts[k], &cp);
            if (cp == 0x10FFFF) continue;
            uint32_t next = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
            uint8_t enc[4];
            size_t n = utf8_encode(next, enc);
            if (starts[k] + n > KN_PQ_STATS_MAX_BYTES) continue;
            memcpy(out, p, starts[k]);
            memcpy(out + starts[k], enc, n);
            return starts[k] + n;
        }
    }
    for (size_t k = len; k-- > 0;) {
        if (p[k] == 0xFF) continue;
        memcpy(out, p, k);
        out[k] = (uint8_t)(p[k] + 1);
        return k + 1;
    }
    return 0;
}

void kn_pq_stats_finish(const kn_pq_stats *s, kn_pq_stats_out *o) {
    memset(o, 0, offsetof(kn_pq_stats_out, min_buf));
    o->null_count = s->null_count;
    o->has_nan_count = s->order == KN_PQ_ORDER_DOUBLE;
    o->nan_count = s->nan_count;
    if (!s->has || s->order == KN_PQ_ORDER_NONE) return;
    o->has_min = o->has_max = true;
    o->min_exact = o->max_exact = true;
    o->deprecated = s->order == KN_PQ_ORDER_I32 || s->order == KN_PQ_ORDER_I64 ||
                    s->order == KN_PQ_ORDER_DOUBLE;
    switch (s->order) {
    case KN_PQ_ORDER_BOOL:
        o->min = s->min, o->max = s->max, o->min_len = o->max_len = 1;
        break;
    case KN_PQ_ORDER_I32:
        o->min = s->min, o->max = s->max, o->min_len = o->max_len = 4;
        break;
    case KN_PQ_ORDER_I64:
        o->min = s->min, o->max = s->max, o->min_len = o->max_len = 8;
        break;
    case KN_PQ_ORDER_DOUBLE: {
        double lo, hi;
        memcpy(&lo, s->min, 8);
        memcpy(&hi, s->max, 8);
        if (lo == 0.0) lo = -0.0;
        if (hi == 0.0) hi = 0.0;
        memcpy(o->min_buf, &lo, 8);
        memcpy(o->max_buf, &hi, 8);
        o->min = o->min_buf, o->max = o->max_buf, o->min_len = o->max_len = 8;
        break;
    }
    case KN_PQ_ORDER_FLBA_SIGNED:
        o->min = s->min, o->max = s->max, o->min_len = o->max_len = (size_t)s->width;
        break;
    case KN_PQ_ORDER_BYTES: {
        const uint8_t *lo = s->min_bytes.data ? s->min_bytes.data : (const uint8_t *)"";
        const uint8_t *hi = s->max_bytes.data ? s->max_bytes.data : (const uint8_t *)"";
        size_t lo_len = s->min_bytes.len, hi_len = s->max_bytes.len;
        if (lo_len > KN_PQ_STATS_MAX_BYTES) {
            /* A prefix sorts at or below the string, so it stays a valid lower bound. */
            lo_len = utf8_cut(lo, KN_PQ_STATS_MAX_BYTES);
            memcpy(o->min_buf, lo, lo_len);
            lo = o->min_buf;
            o->min_exact = false;
        }
        if (hi_len > KN_PQ_STATS_MAX_BYTES) {
            size_t cut = utf8_cut(hi, KN_PQ_STATS_MAX_BYTES);
            hi_len = round_up(hi, cut, o->max_buf);
            hi = o->max_buf;
            o->max_exact = false;
            if (hi_len == 0) o->has_max = false; /* no short string sorts above it */
        }
        o->min = lo, o->min_len = lo_len;
        o->max = hi, o->max_len = hi_len;
        break;
    }
    case KN_PQ_ORDER_NONE: break;
    }
}

void kn_pq_stats_write(kn_tc *t, int16_t id, const kn_pq_stats_out *o) {
    kn_tc_field_struct_begin(t, id);
    if (o->deprecated && o->has_max && o->has_min) {
        kn_tc_field_binary(t, 1, o->max, o->max_len);
        kn_tc_field_binary(t, 2, o->min, o->min_len);
    }
    kn_tc_field_i64(t, 3, (int64_t)o->null_count);
    if (o->has_max) kn_tc_field_binary(t, 5, o->max, o->max_len);
    if (o->has_min) kn_tc_field_binary(t, 6, o->min, o->min_len);
    if (o->has_max) kn_tc_field_bool(t, 7, o->max_exact);
    if (o->has_min) kn_tc_field_bool(t, 8, o->min_exact);
    if (o->has_nan_count) kn_tc_field_i64(t, 9, (int64_t)o->nan_count);
    kn_tc_struct_end(t);
}
