/* formats/parquet/kn_pqr.h: reads a Parquet file's footer (FileMetaData) and page headers.
 *
 * This is the reading half that `kiln inspect` and the writer's layout tests use. It reads only
 * metadata (no values are decoded or decompressed) from any writer: fields it does not know
 * are skipped whatever their type, so footers from newer writers read too. A damaged file
 * (too short, bad magic, a footer length past the file, truncated or malformed Thrift, counts
 * larger than the bytes that hold them) fails with KN_E_FORMAT and an error that names the byte
 * offset; an encrypted footer ("PARE") fails with KN_E_UNSUPPORTED. Memory is bounded by the
 * footer's size: every count is checked against the bytes left before anything is sized by it,
 * and a footer whose counts would decode to more than 64 times its size (plus 16 MiB) is
 * refused as damaged; page headers are limited to 64 MiB.
 *
 * Ownership: kn_pqr_meta_read returns one kn_pqr_meta that owns every string, array and byte
 * it points to (all in one arena); kn_pqr_meta_free releases all of it. Page headers own
 * nothing: their statistics point into the bytes they were decoded from.
 *
 * Field names follow parquet.thrift. Each decoded struct has `seen`: bit N is set when the
 * struct's field N was present (fields 1..63), so tests can check that a writer wrote every
 * required field; `has_*` flags say the same for optional fields in words. */
#ifndef KN_PQR_H
#define KN_PQR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_status.h"
#include "kn_stream.h"

/* True when field `id` of a decoded struct `s` (a pointer) was present. */
#define KN_PQR_SEEN(s, id) ((((s)->seen) >> (id)) & 1u)

/* Bytes from the file: `data` is NULL when the field was absent (an empty value that was
 * present has a non-NULL `data` and len 0). */
typedef struct kn_pqr_bytes {
    const uint8_t *data;
    size_t len;
} kn_pqr_bytes;

/* LogicalType: `kind` is the union member's field id in parquet.thrift (0 when absent). */
enum {
    KN_PQR_LT_NONE = 0,
    KN_PQR_LT_STRING = 1,
    KN_PQR_LT_MAP = 2,
    KN_PQR_LT_LIST = 3,
    KN_PQR_LT_ENUM = 4,
    KN_PQR_LT_DECIMAL = 5,
    KN_PQR_LT_DATE = 6,
    KN_PQR_LT_TIME = 7,
    KN_PQR_LT_TIMESTAMP = 8,
    KN_PQR_LT_INTEGER = 10,
    KN_PQR_LT_UNKNOWN = 11, /* "NullType": always null */
    KN_PQR_LT_JSON = 12,
    KN_PQR_LT_BSON = 13,
    KN_PQR_LT_UUID = 14,
    KN_PQR_LT_FLOAT16 = 15,
    KN_PQR_LT_VARIANT = 16,
    KN_PQR_LT_GEOMETRY = 17,
    KN_PQR_LT_GEOGRAPHY = 18
    /* any other value: a member kiln does not know (a newer writer's) */
};

/* TimeUnit of TIME and TIMESTAMP (the TimeUnit union's field id; 0 when absent or unknown). */
enum { KN_PQR_UNIT_MILLIS = 1, KN_PQR_UNIT_MICROS = 2, KN_PQR_UNIT_NANOS = 3 };

typedef struct kn_pqr_logical {
    int kind;            /* KN_PQR_LT_* */
    uint64_t seen;       /* fields of the member struct (DecimalType, IntType, ...) */
    int32_t scale;       /* DECIMAL */
    int32_t precision;   /* DECIMAL */
    int bit_width;       /* INTEGER: 8, 16, 32, 64 */
    bool is_signed;      /* INTEGER */
    bool utc;            /* TIME, TIMESTAMP: isAdjustedToUTC */
    int unit;            /* TIME, TIMESTAMP: KN_PQR_UNIT_* */
    const char *crs;     /* GEOMETRY, GEOGRAPHY; NULL when absent */
    int32_t algorithm;   /* GEOGRAPHY; -1 when absent */
    int spec_version;    /* VARIANT; -1 when absent */
} kn_pqr_logical;

typedef struct kn_pqr_schema_element {
    uint64_t seen;
    const char *name; /* NUL-terminated ("" when absent) */
    bool has_type;
    int32_t type; /* KN_PQ_BOOLEAN .. KN_PQ_FIXED_LEN_BYTE_ARRAY (checked) */
    bool has_type_length;
    int32_t type_length;
    bool has_repetition;
    int32_t repetition; /* KN_PQ_REQUIRED, _OPTIONAL, _REPEATED (checked) */
    bool has_num_children;
    int32_t num_children;
    bool has_converted_type;
    int32_t converted_type; /* KN_PQ_CT_* (a value kiln does not know is kept as is) */
    bool has_scale;
    int32_t scale;
    bool has_precision;
    int32_t precision;
    bool has_field_id;
    int32_t field_id;
    kn_pqr_logical logical; /* logicalType; kind 0 when absent */
} kn_pqr_schema_element;

typedef struct kn_pqr_kv {
    uint64_t seen;
    const char *key;   /* NUL-terminated; "" when absent */
    size_t key_len;    /* keys and values may hold NUL bytes: use the lengths */
    const char *value; /* NUL-terminated; NULL when absent */
    size_t value_len;
} kn_pqr_kv;

typedef struct kn_pqr_stats {
    uint64_t seen;         /* 0 when the Statistics struct was absent */
    kn_pqr_bytes max;      /* deprecated: signed order only */
    kn_pqr_bytes min;      /* deprecated */
    bool has_null_count;
    int64_t null_count;
    bool has_distinct_count;
    int64_t distinct_count;
    kn_pqr_bytes max_value; /* by the column's sort order */
    kn_pqr_bytes min_value;
    bool has_is_max_value_exact;
    bool is_max_value_exact;
    bool has_is_min_value_exact;
    bool is_min_value_exact;
    bool has_nan_count;    /* field 9: FLOAT/DOUBLE (and FLOAT16) only */
    int64_t nan_count;
} kn_pqr_stats;

typedef struct kn_pqr_encoding_stats {
    uint64_t seen;
    int32_t page_type; /* KN_PQ_PAGE_* */
    int32_t encoding;  /* KN_PQ_ENC_* */
    int32_t count;
} kn_pqr_encoding_stats;

typedef struct kn_pqr_column_meta {
    uint64_t seen;
    int32_t type;
    int32_t *encodings;
    size_t num_encodings;
    const char **path_in_schema; /* NUL-terminated parts */
    size_t path_len;
    int32_t codec; /* KN_PQ_CODEC_* (unknown values kept) */
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    kn_pqr_kv *key_value_metadata;
    size_t num_key_value_metadata;
    int64_t data_page_offset;
    bool has_index_page_offset;
    int64_t index_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    kn_pqr_stats statistics; /* statistics.seen == 0 when absent */
    bool has_encoding_stats;
    kn_pqr_encoding_stats *encoding_stats;
    size_t num_encoding_stats;
    bool has_bloom_filter_offset;
    int64_t bloom_filter_offset;
    bool has_bloom_filter_length;
    int32_t bloom_filter_length;
    bool has_size_statistics;       /* present; its contents are not decoded */
    bool has_geospatial_statistics; /* present; its contents are not decoded */
} kn_pqr_column_meta;

typedef struct kn_pqr_column_chunk {
    uint64_t seen;
    const char *file_path; /* NULL when the chunk is in this file */
    int64_t file_offset;   /* deprecated but required */
    bool has_meta_data;    /* false when the column's metadata is encrypted */
    kn_pqr_column_meta meta_data;
    bool has_offset_index_offset;
    int64_t offset_index_offset;
    bool has_offset_index_length;
    int32_t offset_index_length;
    bool has_column_index_offset;
    int64_t column_index_offset;
    bool has_column_index_length;
    int32_t column_index_length;
    bool has_crypto_metadata;          /* the column is encrypted (not decoded further) */
    bool has_encrypted_column_metadata;
} kn_pqr_column_chunk;

typedef struct kn_pqr_sorting_column {
    uint64_t seen;
    int32_t column_idx;
    bool descending;
    bool nulls_first;
} kn_pqr_sorting_column;

typedef struct kn_pqr_row_group {
    uint64_t seen;
    kn_pqr_column_chunk *columns;
    size_t num_columns;
    int64_t total_byte_size;
    int64_t num_rows;
    bool has_sorting_columns;
    kn_pqr_sorting_column *sorting_columns;
    size_t num_sorting_columns;
    bool has_file_offset;
    int64_t file_offset;
    bool has_total_compressed_size;
    int64_t total_compressed_size;
    bool has_ordinal;
    int16_t ordinal;
} kn_pqr_row_group;

/* ColumnOrder: the union member's field id. */
enum { KN_PQR_ORDER_UNKNOWN = 0, KN_PQR_ORDER_TYPE_DEFINED = 1, KN_PQR_ORDER_IEEE754_TOTAL = 2 };

/* A leaf of the schema tree (a column), derived while reading: row groups hold one column
 * chunk per leaf, in this order. */
typedef struct kn_pqr_leaf {
    size_t element;             /* index into kn_pqr_meta.schema */
    const char *path;           /* the parts joined by '.', NUL-terminated */
    const char **parts;         /* the names from below the root down to the leaf */
    size_t num_parts;
    int max_definition_level;
    int max_repetition_level;
} kn_pqr_leaf;

typedef struct kn_pqr_meta {
    uint64_t seen;
    int32_t version;
    kn_pqr_schema_element *schema; /* depth-first, the root first; never empty */
    size_t num_schema;
    int64_t num_rows;
    kn_pqr_row_group *row_groups;
    size_t num_row_groups;
    bool has_key_value_metadata;
    kn_pqr_kv *key_value_metadata;
    size_t num_key_value_metadata;
    const char *created_by; /* NULL when absent */
    bool has_column_orders;
    int *column_orders; /* KN_PQR_ORDER_* */
    size_t num_column_orders;
    int encryption_algorithm; /* 0 none, 1 AES_GCM_V1, 2 AES_GCM_CTR_V1 (plaintext footer) */
    bool has_footer_signing_key_metadata;

    /* Derived. */
    kn_pqr_leaf *leaves;
    size_t num_leaves;
    uint64_t file_size;     /* the source's size (0 for kn_pqr_meta_decode) */
    uint64_t footer_offset; /* where the Thrift FileMetaData starts */
    uint32_t footer_len;

    struct kn_arena *arena_; /* private: owns everything above */
} kn_pqr_meta;

/* Reads and decodes the footer of the Parquet file in `src` (borrowed; only used during the
 * call). On success *out is a new kn_pqr_meta the caller frees with kn_pqr_meta_free; on
 * failure *out is NULL and `err` (may be NULL) says what and at which byte. Row groups must
 * have one column chunk per schema leaf, or the file is KN_E_FORMAT. */
kn_status kn_pqr_meta_read(kn_source *src, kn_pqr_meta **out, kn_error *err);

/* Decodes a Thrift FileMetaData held in `data` (`len` bytes, borrowed; copied where kept) that
 * sits at file offset `base` of a source named `name` (borrowed, for messages; may be NULL). */
kn_status kn_pqr_meta_decode(const uint8_t *data, size_t len, uint64_t base, const char *name,
                             kn_pqr_meta **out, kn_error *err);

/* Frees `m` and everything it points to. Accepts NULL. */
void kn_pqr_meta_free(kn_pqr_meta *m);

/* Fails with KN_E_FORMAT naming the first field that parquet.thrift marks `required` and the
 * footer left out (FileMetaData, SchemaElement, RowGroup, ColumnChunk, ColumnMetaData,
 * KeyValue, PageEncodingStats, SortingColumn, logical type parameters). The reader itself is
 * lenient about these; this is for checking a writer. */
kn_status kn_pqr_meta_check_required(const kn_pqr_meta *m, kn_error *err);

/* --- Page headers ---------------------------------------------------------------------- */

typedef struct kn_pqr_data_page_header {
    uint64_t seen;
    int32_t num_values;
    int32_t encoding;
    int32_t definition_level_encoding;
    int32_t repetition_level_encoding;
    kn_pqr_stats statistics;
} kn_pqr_data_page_header;

typedef struct kn_pqr_dictionary_page_header {
    uint64_t seen;
    int32_t num_values;
    int32_t encoding;
    bool has_is_sorted;
    bool is_sorted;
} kn_pqr_dictionary_page_header;

typedef struct kn_pqr_data_page_header_v2 {
    uint64_t seen;
    int32_t num_values;
    int32_t num_nulls;
    int32_t num_rows;
    int32_t encoding;
    int32_t definition_levels_byte_length;
    int32_t repetition_levels_byte_length;
    bool is_compressed; /* true when absent, as parquet.thrift says */
    kn_pqr_stats statistics;
} kn_pqr_data_page_header_v2;

typedef struct kn_pqr_page_header {
    uint64_t seen;
    int32_t type; /* KN_PQ_PAGE_* */
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    bool has_crc;
    int32_t crc;
    bool has_data_page_header;
    kn_pqr_data_page_header data_page_header;
    bool has_index_page_header;
    bool has_dictionary_page_header;
    kn_pqr_dictionary_page_header dictionary_page_header;
    bool has_data_page_header_v2;
    kn_pqr_data_page_header_v2 data_page_header_v2;
} kn_pqr_page_header;

/* Decodes one PageHeader from the start of `data` (`len` bytes, borrowed: the statistics
 * point into it) that sits at file offset `base` of `name` (may be NULL). Sets *header_len to
 * the header's size in bytes. Sizes and value, null and row counts must be >= 0
 * (KN_E_FORMAT otherwise). */
kn_status kn_pqr_page_header_decode(const uint8_t *data, size_t len, uint64_t base, const char *name,
                                    kn_pqr_page_header *out, size_t *header_len, kn_error *err);

/* Reads and decodes the page header at `offset` of `src` (borrowed), reading no further than
 * `end` (a chunk's end; clamped to the source's size). The bytes are read into `scratch`
 * (caller-owned, reused across calls; free it with kn_buf_free) and `out`'s statistics point
 * into it until the next call with the same scratch. Headers over 64 MiB are KN_E_FORMAT. */
kn_status kn_pqr_page_header_read(kn_source *src, uint64_t offset, uint64_t end, kn_buf *scratch,
                                  kn_pqr_page_header *out, size_t *header_len, kn_error *err);

/* Where a column chunk's pages lie: from the dictionary page (when one is set and not 0 —
 * some writers wrote 0 for "none") or else the first data page, for total_compressed_size
 * bytes. Fails with KN_E_FORMAT when those are negative. */
kn_status kn_pqr_chunk_range(const kn_pqr_column_meta *cm, uint64_t *start, uint64_t *len, kn_error *err);

#endif
