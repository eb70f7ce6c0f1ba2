/* formats/parquet/kn_pqr_index.h: reads a column chunk's page index, its OffsetIndex and
 * ColumnIndex (parquet-format's PageIndex.md), where the chunk's ColumnChunk struct says they
 * are. For `kiln inspect` and the writer's tests; like the footer reader (kn_pqr.h) it reads
 * any writer's, skips fields it does not know, and checks every count and offset before it
 * trusts it: an index outside the file, malformed Thrift, or lists whose lengths disagree with
 * each other or with the OffsetIndex's page count fail with KN_E_FORMAT naming the byte.
 *
 * Ownership: kn_pqr_page_index_read returns one kn_pqr_page_index that owns everything it points
 * to (one arena); kn_pqr_page_index_free releases it. */
#ifndef KN_PQR_INDEX_H
#define KN_PQR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_pqr.h"
#include "kn_status.h"
#include "kn_stream.h"

typedef struct kn_pqr_page_location {
    uint64_t seen;
    int64_t offset;               /* the page header's first byte in the file */
    int32_t compressed_page_size; /* the page header included */
    int64_t first_row_index;      /* within the row group */
} kn_pqr_page_location;

typedef struct kn_pqr_offset_index {
    uint64_t seen;
    kn_pqr_page_location *page_locations;
    size_t num_page_locations;
    int64_t *unencoded_byte_array_data_bytes; /* NULL when absent */
    size_t num_unencoded_byte_array_data_bytes;
} kn_pqr_offset_index;

/* parquet.thrift: BoundaryOrder */
enum { KN_PQR_BOUNDARY_UNORDERED = 0, KN_PQR_BOUNDARY_ASCENDING = 1, KN_PQR_BOUNDARY_DESCENDING = 2 };

typedef struct kn_pqr_column_index {
    uint64_t seen;
    bool *null_pages;
    size_t num_pages;          /* the length of null_pages, min_values and max_values */
    kn_pqr_bytes *min_values;  /* empty (len 0) for null pages */
    kn_pqr_bytes *max_values;
    int32_t boundary_order;    /* KN_PQR_BOUNDARY_* (another value is kept as is) */
    int64_t *null_counts;      /* NULL when absent; else num_pages entries */
    int64_t *nan_counts;       /* NULL when absent; else num_pages entries */
    bool has_repetition_level_histograms; /* present; not decoded */
    bool has_definition_level_histograms;
} kn_pqr_column_index;

typedef struct kn_pqr_page_index {
    bool has_offset_index;
    kn_pqr_offset_index offset_index;
    bool has_column_index;
    kn_pqr_column_index column_index;
    struct kn_arena *arena_; /* private: owns everything above */
} kn_pqr_page_index;

/* Reads the page index of the chunk `cc` (borrowed) from `src` (borrowed; used during the call).
 * An index the chunk does not point at (offset or length absent) is left out (has_* false); a
 * chunk with neither gives an empty kn_pqr_page_index. On failure *out is NULL. */
kn_status kn_pqr_page_index_read(kn_source *src, const kn_pqr_column_chunk *cc, kn_pqr_page_index **out,
                                 kn_error *err);

/* Frees `pi` and everything it points to. Accepts NULL. */
void kn_pqr_page_index_free(kn_pqr_page_index *pi);

/* The BoundaryOrder's name ("UNORDERED", "ASCENDING", "DESCENDING"), or NULL. */
const char *kn_pqr_boundary_order_name(int32_t order);

#endif
