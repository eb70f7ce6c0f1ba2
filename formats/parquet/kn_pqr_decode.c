/* formats/parquet/kn_pqr_decode.c: allocation, bytes, strings and Statistics for the decoders. */
#include "kn_pqr_decode.h"

#include <string.h>

#include "kn_pq_format.h"

void *kn__pqr_alloc(kn__pqr_dec *d, size_t count, size_t size) {
    if (d->r.status != KN_OK) return NULL;
    if (!d->arena) {
        /* Page headers decode without an arena and never allocate; reaching here is a bug. */
        d->r.status = KN_E_INTERNAL;
        kn_error_set(d->r.err, KN_E_INTERNAL, "Parquet metadata decoder allocated without an arena");
        return NULL;
    }
    /* The arena rounds each block to 16 bytes: count that too. */
    if (size && count > ((d->budget - d->used) & ~(size_t)15) / size) {
        kn__tc_fail(&d->r, "the footer's counts call for more than %zu bytes of metadata, far out of proportion to its size",
                    d->budget);
        return NULL;
    }
    d->used += (count * size + 15) & ~(size_t)15;
    void *p = kn_arena_alloc(d->arena, count * size > 0 ? count * size : 1);
    if (!p) {
        d->r.status = KN_E_NOMEM;
        kn_error_set(d->r.err, KN_E_NOMEM, "out of memory decoding Parquet metadata (%zu x %zu bytes)", count, size);
        return NULL;
    }
    memset(p, 0, count * size);
    return p;
}

kn_status kn__pqr_bytes(kn__pqr_dec *d, uint8_t type, kn_pqr_bytes *out) {
    const uint8_t *p;
    size_t n;
    out->data = NULL;
    out->len = 0;
    KN_TRY(kn__tc_binary(&d->r, type, &p, &n));
    if (d->arena) {
        uint8_t *copy = kn__pqr_alloc(d, n + 1, 1);
        if (!copy) return d->r.status;
        memcpy(copy, p, n);
        p = copy;
    }
    out->data = p;
    out->len = n;
    return KN_OK;
}

kn_status kn__pqr_string(kn__pqr_dec *d, uint8_t type, const char **out, size_t *len) {
    kn_pqr_bytes b;
    KN_TRY(kn__pqr_bytes(d, type, &b));
    /* Only called with an arena, so the copy is NUL-terminated. */
    *out = (const char *)b.data;
    if (len) *len = b.len;
    return KN_OK;
}

kn_status kn__pqr_int32_in(kn__pqr_dec *d, uint8_t type, int32_t min, int32_t max, int32_t *out,
                           const char *what) {
    int64_t v;
    KN_TRY(kn__tc_int(&d->r, type, INT32_MIN, INT32_MAX, &v));
    if (v < min || v > max) return kn__tc_fail(&d->r, "%s %lld is out of range [%d, %d]", what, (long long)v, min, max);
    *out = (int32_t)v;
    return KN_OK;
}

/* The wire type of each Statistics field, by field id. */
static const uint8_t stats_want[] = {[1] = KN__W_BIN, [2] = KN__W_BIN, [3] = KN__W_INT, [4] = KN__W_INT,
                                     [5] = KN__W_BIN, [6] = KN__W_BIN, [7] = KN__W_BOOL, [8] = KN__W_BOOL,
                                     [9] = KN__W_INT};

kn_status kn__pqr_stats(kn__pqr_dec *d, uint8_t type, kn_pqr_stats *s) {
    kn__tc *r = &d->r;
    memset(s, 0, sizeof *s);
    /* Bit 0 marks the struct itself as present, even when it holds no field. */
    s->seen = 1;
    KN__PQR_FIELDS(d, type, "Statistics", stats_want, &s->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_bytes(d, t, &s->max)); break;
        case 2: KN_TRY(kn__pqr_bytes(d, t, &s->min)); break;
        case 3:
            KN_TRY(kn__tc_i64(r, t, &s->null_count));
            s->has_null_count = true;
            break;
        case 4:
            KN_TRY(kn__tc_i64(r, t, &s->distinct_count));
            s->has_distinct_count = true;
            break;
        case 5: KN_TRY(kn__pqr_bytes(d, t, &s->max_value)); break;
        case 6: KN_TRY(kn__pqr_bytes(d, t, &s->min_value)); break;
        case 7:
            KN_TRY(kn__tc_bool_field(r, t, &s->is_max_value_exact));
            s->has_is_max_value_exact = true;
            break;
        case 8:
            KN_TRY(kn__tc_bool_field(r, t, &s->is_min_value_exact));
            s->has_is_min_value_exact = true;
            break;
        case 9:
            KN_TRY(kn__tc_i64(r, t, &s->nan_count));
            s->has_nan_count = true;
            break;
        default: KN_TRY(kn__tc_skip(r, t)); break;
        }
    });
    return KN_OK;
}
