/* formats/parquet/kn_pqr_index.c: decodes a chunk's OffsetIndex and ColumnIndex (kn_pqr_index.h). */
#include "kn_pqr_index.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"
#include "kn_pqr_decode.h"

/* The wire type of each known field, by field id (parquet.thrift). */
static const uint8_t location_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT};
static const uint8_t offset_index_want[] = {[1] = KN__W_LIST, [2] = KN__W_LIST};
static const uint8_t column_index_want[] = {[1] = KN__W_LIST, [2] = KN__W_LIST, [3] = KN__W_LIST, [4] = KN__W_INT,
                                            [5] = KN__W_LIST, [6] = KN__W_LIST, [7] = KN__W_LIST, [8] = KN__W_LIST};

const char *kn_pqr_boundary_order_name(int32_t order) {
    switch (order) {
    case KN_PQR_BOUNDARY_UNORDERED: return "UNORDERED";
    case KN_PQR_BOUNDARY_ASCENDING: return "ASCENDING";
    case KN_PQR_BOUNDARY_DESCENDING: return "DESCENDING";
    default: return NULL;
    }
}

/* A list header, and an array of its `count` zeroed elements of `size` bytes. The count was
 * checked against the bytes left, so the array is at most a constant times the input. */
static kn_status list_of(kn__pqr_dec *d, uint8_t type, size_t size, uint8_t *elem_type, size_t *count, void **items) {
    *items = NULL;
    KN_TRY(kn__tc_list(&d->r, type, elem_type, count));
    *items = kn__pqr_alloc(d, *count, size);
    return *items ? KN_OK : d->r.status;
}

static kn_status i64_list(kn__pqr_dec *d, uint8_t type, int64_t **out, size_t *count) {
    uint8_t et;
    void *items;
    KN_TRY(list_of(d, type, sizeof(int64_t), &et, count, &items));
    *out = items;
    for (size_t i = 0; i < *count; i++) KN_TRY(kn__tc_i64(&d->r, et, &(*out)[i]));
    return KN_OK;
}

static kn_status decode_location(kn__pqr_dec *d, uint8_t type, kn_pqr_page_location *l) {
    KN__PQR_FIELDS(d, type, "PageLocation", location_want, &l->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i64(&d->r, t, &l->offset)); break;
        case 2: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &l->compressed_page_size, "compressed_page_size")); break;
        case 3: KN_TRY(kn__tc_i64(&d->r, t, &l->first_row_index)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_offset_index(kn__pqr_dec *d, kn_pqr_offset_index *oi) {
    KN__PQR_FIELDS(d, KN_TC_STRUCT, "OffsetIndex", offset_index_want, &oi->seen, {
        uint8_t et;
        void *items;
        switch (id) {
        case 1:
            KN_TRY(list_of(d, t, sizeof(kn_pqr_page_location), &et, &oi->num_page_locations, &items));
            oi->page_locations = items;
            for (size_t i = 0; i < oi->num_page_locations; i++) KN_TRY(decode_location(d, et, &oi->page_locations[i]));
            break;
        case 2:
            KN_TRY(i64_list(d, t, &oi->unencoded_byte_array_data_bytes, &oi->num_unencoded_byte_array_data_bytes));
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

/* Each list of the ColumnIndex must have one entry per page; `n` is the first one's length. */
static kn_status same_length(kn__pqr_dec *d, size_t *n, bool *have, size_t count, const char *what) {
    if (!*have) {
        *have = true;
        *n = count;
        return KN_OK;
    }
    if (count != *n) return kn__tc_fail(&d->r, "%s has %zu entries, the other page lists %zu", what, count, *n);
    return KN_OK;
}

static kn_status decode_column_index(kn__pqr_dec *d, kn_pqr_column_index *ci) {
    size_t n = 0;
    bool have = false;
    KN__PQR_FIELDS(d, KN_TC_STRUCT, "ColumnIndex", column_index_want, &ci->seen, {
        uint8_t et;
        size_t count;
        void *items;
        switch (id) {
        case 1:
            KN_TRY(list_of(d, t, sizeof(bool), &et, &count, &items));
            KN_TRY(same_length(d, &n, &have, count, "null_pages"));
            ci->null_pages = items;
            for (size_t i = 0; i < count; i++) KN_TRY(kn__tc_bool_elem(&d->r, &ci->null_pages[i]));
            break;
        case 2:
        case 3:
            KN_TRY(list_of(d, t, sizeof(kn_pqr_bytes), &et, &count, &items));
            KN_TRY(same_length(d, &n, &have, count, id == 2 ? "min_values" : "max_values"));
            for (size_t i = 0; i < count; i++) KN_TRY(kn__pqr_bytes(d, et, &((kn_pqr_bytes *)items)[i]));
            if (id == 2) ci->min_values = items;
            else ci->max_values = items;
            break;
        case 4: KN_TRY(kn__tc_i32(&d->r, t, &ci->boundary_order)); break;
        case 5:
        case 8: {
            int64_t *v;
            KN_TRY(i64_list(d, t, &v, &count));
            KN_TRY(same_length(d, &n, &have, count, id == 5 ? "null_counts" : "nan_counts"));
            if (id == 5) ci->null_counts = v;
            else ci->nan_counts = v;
            break;
        }
        case 6:
            KN_TRY(kn__tc_skip(&d->r, t));
            ci->has_repetition_level_histograms = true;
            break;
        case 7:
            KN_TRY(kn__tc_skip(&d->r, t));
            ci->has_definition_level_histograms = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    ci->num_pages = n;
    /* Every page list must be there for per-page reading: missing required ones read as empty. */
    if (n && (!ci->null_pages || !ci->min_values || !ci->max_values))
        return kn__tc_fail(&d->r, "a ColumnIndex of %zu pages lacks null_pages, min_values or max_values", n);
    return KN_OK;
}

/* Reads `len` bytes at `offset` (checked against the file) and decodes them with `fn`. */
static kn_status read_struct(kn_source *src, int64_t offset, int32_t len, const char *what, kn_arena *arena,
                             kn_status (*fn)(kn__pqr_dec *, void *), void *out, kn_error *err) {
    if (offset < 0 || len <= 0 || (uint64_t)offset > src->size || (uint64_t)len > src->size - (uint64_t)offset) {
        kn_error_set(err, KN_E_FORMAT, "the %s (%d bytes at byte %lld) does not lie within the file's %llu bytes", what,
                     (int)len, (long long)offset, (unsigned long long)src->size);
        kn_error_locate(err, src->name, -1, -1, offset < 0 ? -1 : offset);
        return KN_E_FORMAT;
    }
    uint8_t *buf = kn_malloc((size_t)len);
    if (!buf) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a %d-byte %s", (int)len, what);
    kn_status st = kn_source_read_at(src, (uint64_t)offset, buf, (size_t)len, err);
    if (st == KN_OK) {
        kn__pqr_dec d;
        kn__tc_init(&d.r, buf, (size_t)len, (uint64_t)offset, src->name, err);
        d.arena = arena;
        d.budget = KN__PQR_BUDGET((size_t)len);
        d.used = 0;
        st = fn(&d, out);
    }
    kn_free(buf);
    return st;
}

static kn_status offset_index_fn(kn__pqr_dec *d, void *out) { return decode_offset_index(d, out); }
static kn_status column_index_fn(kn__pqr_dec *d, void *out) { return decode_column_index(d, out); }

kn_status kn_pqr_page_index_read(kn_source *src, const kn_pqr_column_chunk *cc, kn_pqr_page_index **out,
                                 kn_error *err) {
    *out = NULL;
    kn_arena *arena = kn_arena_create();
    kn_pqr_page_index *pi = arena ? kn_arena_alloc(arena, sizeof *pi) : NULL;
    if (!pi) {
        kn_arena_free(arena);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading a page index");
    }
    memset(pi, 0, sizeof *pi);
    pi->arena_ = arena;
    kn_status st = KN_OK;
    if (cc->has_offset_index_offset && cc->has_offset_index_length) {
        st = read_struct(src, cc->offset_index_offset, cc->offset_index_length, "OffsetIndex", arena, offset_index_fn,
                         &pi->offset_index, err);
        pi->has_offset_index = st == KN_OK;
    }
    if (st == KN_OK && cc->has_column_index_offset && cc->has_column_index_length) {
        st = read_struct(src, cc->column_index_offset, cc->column_index_length, "ColumnIndex", arena, column_index_fn,
                         &pi->column_index, err);
        pi->has_column_index = st == KN_OK;
        if (st == KN_OK && pi->has_offset_index && pi->column_index.num_pages != pi->offset_index.num_page_locations) {
            kn_error_set(err, KN_E_FORMAT, "the ColumnIndex describes %zu pages but the OffsetIndex locates %zu",
                         pi->column_index.num_pages, pi->offset_index.num_page_locations);
            kn_error_locate(err, src->name, -1, -1, cc->column_index_offset);
            st = KN_E_FORMAT;
        }
    }
    if (st != KN_OK) {
        kn_arena_free(arena);
        return st;
    }
    *out = pi;
    return KN_OK;
}

void kn_pqr_page_index_free(kn_pqr_page_index *pi) {
    if (pi) kn_arena_free(pi->arena_);
}
