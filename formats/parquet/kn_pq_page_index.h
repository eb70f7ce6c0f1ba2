/* formats/parquet/kn_pq_page_index.h: a column chunk's page index (parquet-format's PageIndex.md):
 * per data page its place (OffsetIndex: offset, size with its header, first row) and its bounds
 * and counts (ColumnIndex: null page, min, max, null count, NaN count).
 *
 * Who does what: the column writer (kn_pq_column.c) adds one entry as each data page ends, with
 * the page's statistics; the index travels inside the finished chunk (kn_pq_chunk) to whichever
 * thread appends the row group to a file; the file writer (kn_pq_writer.c) serializes it once the
 * chunk's place in the file is known and writes every ColumnIndex, then every OffsetIndex, after
 * the last row group and before the footer (arrow-rs's and parquet-java's layout).
 *
 * Bounds follow the chunk statistics' rules (kn_pq_stats.h): NaN never a bound, a zero bound
 * written as -0.0 (min) or +0.0 (max), strings compared as unsigned bytes and cut to 64 bytes
 * (the min to a prefix, the max rounded up). A page of nulls only is a null page with empty
 * bounds. Where some page's bound cannot be written, the chunk gets no ColumnIndex, only its
 * OffsetIndex (the format allows one without the other): INT96 (its order is undefined under
 * TYPE_ORDER), a DOUBLE page whose values are all NaN (parquet.thrift's rule for TYPE_ORDER: NaN
 * may not be a bound and min_values/max_values are required), and a string maximum that no
 * 64-byte string bounds (a run of U+10FFFF or 0xFF bytes). DOUBLE chunks also carry nan_counts
 * (ColumnIndex field 8).
 *
 * boundary_order is computed from the bounds as written: ASCENDING when, from one non-null page
 * to the next, neither min nor max ever decreases; else DESCENDING when neither ever increases;
 * else UNORDERED. Null pages are passed over; no or one non-null page is ASCENDING.
 *
 * Not thread-safe; an index is owned by one column writer or one chunk at a time. */
#ifndef KN_PQ_PAGE_INDEX_H
#define KN_PQ_PAGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_pq_stats.h"
#include "kn_status.h"

/* parquet.thrift: BoundaryOrder */
enum { KN_PQ_BOUNDARY_UNORDERED = 0, KN_PQ_BOUNDARY_ASCENDING = 1, KN_PQ_BOUNDARY_DESCENDING = 2 };

typedef struct kn_pq_page_entry {
    uint64_t offset;    /* the page header's first byte, counted from the chunk's first data page */
    uint64_t first_row; /* the page's first row within the chunk */
    uint64_t null_count;
    uint64_t nan_count;
    uint32_t size;      /* page header plus compressed body */
    bool null_page;
    size_t min_at, max_at; /* bounds as written, in `bounds` */
    uint32_t min_len, max_len;
} kn_pq_page_entry;

/* Zero-initialise; owns its arrays. */
typedef struct kn_pq_page_index {
    kn_pq_order order;
    int width;             /* bytes per bound for the fixed-width orders */
    bool column_index;     /* false once a bound cannot be written (see above) */
    kn_pq_page_entry *pages;
    size_t num_pages, cap_pages;
    kn_buf bounds;
} kn_pq_page_index;

/* Starts the index of a chunk of `order` / `width`, forgetting any pages and keeping memory. */
void kn_pq_page_index_reset(kn_pq_page_index *pi, kn_pq_order order, int width);
void kn_pq_page_index_release(kn_pq_page_index *pi);

/* Adds the data page that starts `offset` bytes into the chunk's data pages, is `size` bytes with
 * its header, starts at chunk row `first_row`, and holds `present` non-null values whose
 * statistics (the page's alone) are `page`. KN_E_NOMEM only. */
kn_status kn_pq_page_index_add(kn_pq_page_index *pi, uint64_t offset, uint32_t size, uint64_t first_row,
                               uint64_t present, const kn_pq_stats *page, kn_error *err);

/* The boundary order of the bounds so far (KN_PQ_BOUNDARY_*). */
int kn_pq_page_index_boundary_order(const kn_pq_page_index *pi);

/* Appends the chunk's ColumnIndex struct to `column_index` (nothing when the chunk has none) and
 * its OffsetIndex struct to `offset_index`, for data pages that start at file offset
 * `data_start`. KN_E_NOMEM only. */
kn_status kn_pq_page_index_write(const kn_pq_page_index *pi, uint64_t data_start, kn_buf *column_index,
                                 kn_buf *offset_index, kn_error *err);

#endif
