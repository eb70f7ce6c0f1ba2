/* formats/parquet/kn_pq_writer.h: writes one Parquet file from a schema and column batches.
 *
 * The layers inside, from the bottom (arrow-rs's shape): encodings (PLAIN, RLE/bit-packed
 * hybrid, dictionary) -> column chunk writer (pages, statistics, dictionary fallback) -> page
 * writer (codec, page header) -> file writer (row groups, Thrift-compact footer). What it writes
 * follows ../shared/DESIGN.md and ../shared/parquet-checklist.md: format version 1, data page
 * V1, RLE definition levels, PLAIN and RLE_DICTIONARY, logical and converted types, chunk
 * statistics with column_orders (DOUBLE ones with nan_count), created_by "kiln version X.Y.Z
 * (build H)", and a page index for every column chunk (kn_pq_page_index.h: an OffsetIndex, and
 * a ColumnIndex wherever its bounds can be written), between the last row group and the footer
 * as arrow-rs and parquet-java write it, so engines can skip pages.
 *
 * Type mapping (kiln -> Parquet physical / logical):
 *   string    BYTE_ARRAY / STRING (converted UTF8)
 *   bool      BOOLEAN
 *   int32     INT32 / INTEGER(32, signed) (converted INT_32)
 *   int64     INT64 / INTEGER(64, signed) (converted INT_64)
 *   float64   DOUBLE
 *   decimal   INT32 (p <= 9), INT64 (p <= 18), FIXED_LEN_BYTE_ARRAY of the minimal width
 *             (p > 18) / DECIMAL(p, s) (converted DECIMAL, with scale and precision)
 *   date      INT32 / DATE (converted DATE)
 *   timestamp INT64 / TIMESTAMP(MICROS, isAdjustedToUTC = utc) (converted TIMESTAMP_MICROS),
 *             or INT96 when `timestamp_int96` is set
 * A nullable field is OPTIONAL (one definition level), a non-nullable one REQUIRED.
 *
 * Not thread-safe: one writer per thread; batches may come from any thread in turn. To encode on
 * several threads, build row groups with kn_pq_rowgroup.h and append them here in order. */
#ifndef KN_PQ_WRITER_H
#define KN_PQ_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_stream.h"

typedef enum kn_codec {
    KN_CODEC_NONE = 0,
    KN_CODEC_SNAPPY,
    KN_CODEC_GZIP,
    KN_CODEC_ZSTD,
    KN_CODEC_LZ4_RAW
} kn_codec;

/* "none", "snappy", "gzip", "zstd", "lz4_raw". */
const char *kn_codec_name(kn_codec codec);
/* Parses those names (case-insensitive; "uncompressed" and "lz4" mean none and lz4_raw).
 * Returns false for an unknown name. */
bool kn_codec_parse(const char *name, kn_codec *out);

typedef struct kn_pq_kv {
    const char *key;   /* borrowed for the create call; copied */
    const char *value; /* borrowed for the create call; copied; may be NULL */
} kn_pq_kv;

/* One column of a row group's sort order (parquet.thrift's SortingColumn). */
typedef struct kn_pq_sorting_column {
    size_t column;    /* the leaf's index in the file's schema */
    bool descending;
    bool nulls_first;
} kn_pq_sorting_column;

/* Sort orders longer than this are written as their first columns: rows sorted by a list are
 * sorted by any prefix of it. */
#define KN_PQ_MAX_SORTING_COLUMNS 8

typedef struct kn_pq_options {
    kn_codec codec;               /* default KN_CODEC_SNAPPY */
    int compression_level;        /* 0 = the codec's default (zstd 3, gzip 6) */
    size_t row_group_bytes;       /* default 128 MiB of uncompressed encoded data */
    size_t page_bytes;            /* default 1 MiB of uncompressed encoded values */
    bool dictionary;              /* default true: try RLE_DICTIONARY first */
    size_t dictionary_page_bytes; /* default 1 MiB: past this the chunk falls back to PLAIN */
    bool timestamp_int96;         /* default false: timestamps as INT64 MICROS */
    const char *created_by;       /* default "kiln version X.Y.Z (build H)"; copied */
    const kn_pq_kv *metadata;     /* key/value metadata for the footer; copied */
    size_t metadata_count;
    int threads;                  /* default 1. Above 1, kn_pq_writer_write and the row group's
                                     end encode and compress the columns on up to this many
                                     threads at once, the calling thread among them (the writer
                                     starts threads - 1 helpers); the bytes are the same. Ignored by kn_pq_rowgroup.h, whose
                                     callers schedule columns themselves. */
    /* Every row group's RowGroup.sorting_columns: the rows of each row group are sorted by
     * these columns, in this order, so readers may merge or skip without sorting. The writer
     * trusts the caller (it does not check the rows); set it only where that holds. Default
     * none; columns must be distinct leaves of the file's schema (KN_E_USAGE otherwise). */
    kn_pq_sorting_column sorting_columns[KN_PQ_MAX_SORTING_COLUMNS];
    size_t num_sorting_columns;
} kn_pq_options;

void kn_pq_options_init(kn_pq_options *opt);

/* What was written, filled by kn_pq_writer_close. */
typedef struct kn_pq_file_info {
    uint64_t num_rows;
    uint64_t file_bytes; /* the file's exact size */
    size_t num_row_groups;
} kn_pq_file_info;

typedef struct kn_pq_writer kn_pq_writer; /* opaque */

/* Creates a writer onto `sink`. `schema` is copied; `sink` is taken: the writer closes it on
 * kn_pq_writer_close and aborts it on failure or kn_pq_writer_abort. Fails with
 * KN_E_UNSUPPORTED for a type it cannot write and KN_E_USAGE for bad options. On failure the
 * sink is aborted, *out is NULL and `err` (may be NULL) says why. */
kn_status kn_pq_writer_create(const kn_schema *schema, kn_sink *sink, const kn_pq_options *opt,
                              kn_pq_writer **out, kn_error *err);

/* Appends every row of `batch` (borrowed; may be reused after return). The batch's schema must
 * have the writer's column types in order. A value that does not fit its column (a null in a
 * non-nullable column, a decimal with more digits than its precision, a string over 2 GiB)
 * fails with KN_E_DATA naming the column and the row within the batch; the writer is then
 * unusable and must be aborted. */
kn_status kn_pq_writer_write(kn_pq_writer *w, const kn_batch *batch, kn_error *err);

/* Appends a row group encoded apart from the file (kn_pq_rowgroup.h; borrowed, and may be reset
 * after return): its chunks go to the sink as they are, and its metadata into the footer at
 * their offsets in this file. Every column must be encoded, and the row group's layout made
 * from the writer's schema; the writer must hold no rows of its own from kn_pq_writer_write
 * (KN_E_USAGE otherwise). A row group of no rows adds nothing. */
struct kn_pq_rowgroup;
kn_status kn_pq_writer_write_rowgroup(kn_pq_writer *w, const struct kn_pq_rowgroup *rg, kn_error *err);

/* Bytes written to the sink so far plus those buffered for the open row group (compressed):
 * what the file would weigh if closed now, give or take the footer. For rolling files. */
uint64_t kn_pq_writer_bytes(const kn_pq_writer *w);

/* Flushes the last row group, writes the footer, and closes the sink, which publishes the
 * file. The writer is freed either way; on failure the sink is aborted (nothing published).
 * `info` may be NULL. */
kn_status kn_pq_writer_close(kn_pq_writer *w, kn_pq_file_info *info, kn_error *err);

/* Frees without finishing the file; the sink is aborted. Accepts NULL. */
void kn_pq_writer_abort(kn_pq_writer *w);

/* The default created_by string. */
const char *kn_pq_created_by(void);

#endif
