/* formats/parquet/kn_pq_page_index.c: a chunk's ColumnIndex and OffsetIndex, page by page
 * (kn_pq_page_index.h). */
#include "kn_pq_page_index.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"
#include "kn_pq_thrift.h"

void kn_pq_page_index_reset(kn_pq_page_index *pi, kn_pq_order order, int width) {
    pi->order = order;
    pi->width = width;
    /* INT96 has no defined order under TYPE_ORDER: parquet.thrift forbids its ColumnIndex. */
    pi->column_index = order != KN_PQ_ORDER_NONE;
    pi->num_pages = 0;
    kn_buf_clear(&pi->bounds);
}

void kn_pq_page_index_release(kn_pq_page_index *pi) {
    kn_free(pi->pages);
    kn_buf_free(&pi->bounds);
    memset(pi, 0, sizeof *pi);
}

static kn_status nomem(kn_error *err) {
    return kn_error_set(err, KN_E_NOMEM, "out of memory building a Parquet page index");
}

kn_status kn_pq_page_index_add(kn_pq_page_index *pi, uint64_t offset, uint32_t size, uint64_t first_row,
                               uint64_t present, const kn_pq_stats *page, kn_error *err) {
    if (pi->num_pages == pi->cap_pages) {
        size_t cap = pi->cap_pages ? pi->cap_pages * 2 : 16;
        kn_pq_page_entry *p = kn_realloc(pi->pages, cap * sizeof *p);
        if (!p) return nomem(err);
        pi->pages = p;
        pi->cap_pages = cap;
    }
    kn_pq_page_entry *e = &pi->pages[pi->num_pages++];
    memset(e, 0, sizeof *e);
    e->offset = offset;
    e->first_row = first_row;
    e->null_count = page->null_count;
    e->nan_count = page->nan_count;
    e->size = size;
    e->null_page = present == 0;
    e->min_at = e->max_at = pi->bounds.len;
    if (e->null_page || !pi->column_index) return KN_OK;
    if (!page->has) {
        /* Values, but none that may be a bound: all NaN. */
        pi->column_index = false;
        return KN_OK;
    }
    kn_pq_stats_out o;
    kn_pq_stats_finish(page, &o);
    if (!o.has_min || !o.has_max) {
        pi->column_index = false;
        return KN_OK;
    }
    e->min_len = (uint32_t)o.min_len;
    e->max_at = pi->bounds.len + o.min_len;
    e->max_len = (uint32_t)o.max_len;
    if (!kn_buf_append(&pi->bounds, o.min, o.min_len) || !kn_buf_append(&pi->bounds, o.max, o.max_len)) return nomem(err);
    return KN_OK;
}

int kn_pq_page_index_boundary_order(const kn_pq_page_index *pi) {
    bool asc = true, desc = true;
    const kn_pq_page_entry *prev = NULL;
    const uint8_t *b = pi->bounds.data;
    for (size_t i = 0; i < pi->num_pages; i++) {
        const kn_pq_page_entry *e = &pi->pages[i];
        if (e->null_page) continue;
        if (prev) {
            int lo = kn_pq_value_cmp(pi->order, pi->width, b + prev->min_at, prev->min_len, b + e->min_at, e->min_len);
            int hi = kn_pq_value_cmp(pi->order, pi->width, b + prev->max_at, prev->max_len, b + e->max_at, e->max_len);
            if (lo > 0 || hi > 0) asc = false;
            if (lo < 0 || hi < 0) desc = false;
        }
        prev = e;
    }
    return asc ? KN_PQ_BOUNDARY_ASCENDING : desc ? KN_PQ_BOUNDARY_DESCENDING : KN_PQ_BOUNDARY_UNORDERED;
}

static void write_column_index(const kn_pq_page_index *pi, kn_tc *t) {
    size_t n = pi->num_pages;
    const uint8_t *b = pi->bounds.data ? pi->bounds.data : (const uint8_t *)"";
    kn_tc_struct_begin(t);
    kn_tc_field_list_begin(t, 1, KN_TC_BOOL_TRUE, n); /* null_pages */
    for (size_t i = 0; i < n; i++) kn_tc_bool(t, pi->pages[i].null_page);
    /* A null page's bounds are empty byte strings, so every list has one entry per page. */
    kn_tc_field_list_begin(t, 2, KN_TC_BINARY, n); /* min_values */
    for (size_t i = 0; i < n; i++) kn_tc_binary(t, b + pi->pages[i].min_at, pi->pages[i].min_len);
    kn_tc_field_list_begin(t, 3, KN_TC_BINARY, n); /* max_values */
    for (size_t i = 0; i < n; i++) kn_tc_binary(t, b + pi->pages[i].max_at, pi->pages[i].max_len);
    kn_tc_field_i32(t, 4, kn_pq_page_index_boundary_order(pi));
    kn_tc_field_list_begin(t, 5, KN_TC_I64, n); /* null_counts */
    for (size_t i = 0; i < n; i++) kn_tc_i64(t, (int64_t)pi->pages[i].null_count);
    if (pi->order == KN_PQ_ORDER_DOUBLE) {
        kn_tc_field_list_begin(t, 8, KN_TC_I64, n); /* nan_counts */
        for (size_t i = 0; i < n; i++) kn_tc_i64(t, (int64_t)pi->pages[i].nan_count);
    }
    kn_tc_struct_end(t);
}

static void write_offset_index(const kn_pq_page_index *pi, uint64_t data_start, kn_tc *t) {
    kn_tc_struct_begin(t);
    kn_tc_field_list_begin(t, 1, KN_TC_STRUCT, pi->num_pages); /* page_locations */
    for (size_t i = 0; i < pi->num_pages; i++) {
        const kn_pq_page_entry *e = &pi->pages[i];
        kn_tc_struct_begin(t);
        kn_tc_field_i64(t, 1, (int64_t)(data_start + e->offset));
        kn_tc_field_i32(t, 2, (int32_t)e->size);
        kn_tc_field_i64(t, 3, (int64_t)e->first_row);
        kn_tc_struct_end(t);
    }
    kn_tc_struct_end(t);
}

kn_status kn_pq_page_index_write(const kn_pq_page_index *pi, uint64_t data_start, kn_buf *column_index,
                                 kn_buf *offset_index, kn_error *err) {
    kn_tc t;
    if (pi->column_index) {
        kn_tc_init(&t, column_index);
        write_column_index(pi, &t);
        KN_TRY(kn_tc_status(&t, err));
    }
    kn_tc_init(&t, offset_index);
    write_offset_index(pi, data_start, &t);
    return kn_tc_status(&t, err);
}
