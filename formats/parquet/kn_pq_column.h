/* formats/parquet/kn_pq_column.h: the writer of one column's chunk within a row group.
 *
 * It turns slices of a kiln column into data pages V1: definition levels (OPTIONAL columns:
 * RLE/bit-packed behind a 4-byte length; REQUIRED columns have none), then the values, either
 * dictionary indices (RLE_DICTIONARY: a bit-width byte, then RLE/bit-packed) or PLAIN. Pages are
 * cut when their encoded values reach `page_bytes`, compressed, and buffered with their headers
 * until the row group ends; the dictionary page (PLAIN) is built last but placed first. When the
 * dictionary would pass `dictionary_page_bytes`, the page in progress is cut there and the rest
 * of the chunk is PLAIN; the chunk still has exactly one dictionary page, and `encodings` and
 * `encoding_stats` say which pages are which. The same fallback happens after the chunk's first
 * 32768 rows when the dictionary does not pay (its indices plus its own bytes not smaller than
 * the values PLAIN: parquet-java's rule), so columns of mostly distinct values stop paying for a
 * hash table early. Statistics cover exactly the chunk's values, and each data page's its own:
 * the chunk's page index (kn_pq_page_index.h) is built page by page and goes with the chunk.
 *
 * Each column writer owns all of its state (buffers, dictionary, codec context): writers of
 * different columns share nothing, so they may run on different threads. One writer is not
 * thread-safe. A writer can also be pointed at another leaf between chunks
 * (kn_pq_column_retarget) and hand its finished chunk over (kn_pq_column_take): that is how one
 * writer per thread encodes any column's chunks in turn (kn_pq_rowgroup.h), so the encoding
 * state in memory is one column's per thread, not one per column. */
#ifndef KN_PQ_COLUMN_H
#define KN_PQ_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_buf.h"
#include "kn_pq_codec.h"
#include "kn_pq_dict.h"
#include "kn_pq_page_index.h"
#include "kn_pq_schema.h"
#include "kn_pq_stats.h"
#include "kn_pq_thrift.h"
#include "kn_pq_writer.h"
#include "kn_status.h"

/* A string longer than this cannot be a Parquet value: its page (and the Thrift i32 sizes) would
 * pass 2 GiB. */
#define KN_PQ_MAX_VALUE_BYTES ((size_t)INT32_MAX - 4096)

/* Rows in one data page at most, whatever page_bytes says: arrow-rs's and parquet-java's
 * default (data_page_row_count_limit, parquet.page.row.count.limit), so a page index can skip
 * in steps of that many rows even where dictionary indices make pages small, and a writer's
 * page in progress stays small (a partitioned write holds one per folder and column). */
#define KN_PQ_PAGE_MAX_ROWS ((size_t)20000)

typedef struct kn_pq_column kn_pq_column;

/* `leaf` is copied (its name stays borrowed); `opt` is read during the call (already checked). */
kn_status kn_pq_column_create(const kn_pq_leaf *leaf, const kn_pq_options *opt,
                              kn_pq_column **out, kn_error *err);
/* Accepts NULL. */
void kn_pq_column_free(kn_pq_column *c);

/* Points the writer at `leaf` (copied; its name stays borrowed) for the next chunk, forgetting
 * any chunk in progress and keeping the buffers the new leaf can use. */
kn_status kn_pq_column_retarget(kn_pq_column *c, const kn_pq_leaf *leaf, kn_error *err);
/* Exchanges the writer's dictionary with *parked (either may be a zeroed, never-initialised
 * dictionary; both stay owned by whoever holds them after the call). A per-thread encoder keeps
 * each column's dictionary between that column's chunks this way, so the table keeps the size
 * the column needs instead of growing again from its first size every chunk. Call it between
 * chunks only (the writer clears a dictionary before its next chunk uses it). */
void kn_pq_column_swap_dict(kn_pq_column *c, kn_pq_dict *parked);

/* Profiling: when on, the thread CPU time spent in the codec is added up (read it with
 * kn_pq_column_compress_ns). Off by default: it costs two clock reads a page. */
void kn_pq_column_set_profile(kn_pq_column *c, bool on);
uint64_t kn_pq_column_compress_ns(const kn_pq_column *c);

/* Checks that rows [0, n) of `col` fit the leaf: no null in a REQUIRED column, no decimal with
 * more digits than its precision, no string over KN_PQ_MAX_VALUE_BYTES. KN_E_DATA naming the
 * column (err->field and the message) and the row of the batch. */
kn_status kn_pq_column_check(const kn_pq_leaf *leaf, const kn_column *col, size_t n,
                             kn_error *err);

/* Appends rows [row, row + n) of `col` (borrowed for the call; checked already). */
kn_status kn_pq_column_write(kn_pq_column *c, const kn_column *col, size_t row, size_t n,
                             kn_error *err);

/* Ends the chunk: flushes the last page, builds the dictionary page and the statistics. */
kn_status kn_pq_column_finish(kn_pq_column *c, kn_error *err);

/* The finished chunk's bytes, in file order: the dictionary page (dict_len 0 when none) and then
 * the data pages, each page with its header. Borrowed until the next reset. */
typedef struct kn_pq_chunk_bytes {
    const uint8_t *dict;
    size_t dict_len;
    const uint8_t *data;
    size_t data_len;
    uint64_t total_uncompressed; /* page headers included */
    uint64_t total_compressed;   /* page headers included; equals dict_len + data_len */
} kn_pq_chunk_bytes;

void kn_pq_column_bytes(const kn_pq_column *c, kn_pq_chunk_bytes *out);

/* Writes the finished chunk's ColumnChunk struct, as a list element, for a chunk whose first
 * byte is at `file_offset`. Its last field is ColumnMetaData (3): the file writer splices the
 * page index fields (4-7) in before its STOP byte. */
void kn_pq_column_write_meta(const kn_pq_column *c, uint64_t file_offset, kn_tc *t);
/* The finished chunk's page index (borrowed until the next reset). */
const kn_pq_page_index *kn_pq_column_page_index(const kn_pq_column *c);

/* Starts the next chunk, keeping every buffer for reuse. */
void kn_pq_column_reset(kn_pq_column *c);

/* Compressed bytes buffered for the open chunk plus its dictionary so far. */
uint64_t kn_pq_column_buffered(const kn_pq_column *c);

/* A writer that waits between calls (one per folder and column of a partitioned write, most of
 * them idle at any time) can hold less:
 *   - kn_pq_column_borrow_codec: use `codec` (the caller's, e.g. its thread's) instead of a
 *     context of its own, which is freed; the caller lends one before every write or finish and
 *     keeps it alive until then. NULL is allowed in between.
 *   - kn_pq_column_trim: let go of the page scratch (and the page buffers when no page is in
 *     progress); they grow again when needed. The bytes written do not change.
 *   - kn_pq_column_sleep: trim, and let go of the dictionary's hash table too, for a writer
 *     that will wait long; the next write builds it again from the entries.
 *   - kn_pq_column_pages / _pages_moved: the chunk's finished data pages so far, which the
 *     caller copies elsewhere (a spill file) before telling the writer it may forget them;
 *     kn_pq_column_pages_restore puts every byte moved out back in front, after
 *     kn_pq_column_finish and before kn_pq_column_take or _bytes (which need them all).
 *   - kn_pq_column_mem: the bytes it holds (buffers' capacities, dictionary, page index). */
kn_pq_codec_ctx *kn_pq_column_codec(kn_pq_column *c);
void kn_pq_column_borrow_codec(kn_pq_column *c, kn_pq_codec_ctx *codec);
void kn_pq_column_trim(kn_pq_column *c);
void kn_pq_column_sleep(kn_pq_column *c);
uint64_t kn_pq_column_mem(const kn_pq_column *c);
void kn_pq_column_pages(const kn_pq_column *c, const uint8_t **data, size_t *len);
void kn_pq_column_pages_moved(kn_pq_column *c);
/* `len` must be every byte moved out (KN_E_INTERNAL otherwise). */
kn_status kn_pq_column_pages_restore(kn_pq_column *c, const uint8_t *moved, size_t len, kn_error *err);

/* A finished chunk taken out of its writer: its bytes and what its ColumnChunk struct says.
 * Owns its buffers; zero-initialise before the first use. */
typedef struct kn_pq_chunk {
    kn_buf dict;             /* the dictionary page with its header, or empty */
    kn_buf data;             /* the data pages with their headers */
    const char *name;        /* borrowed: the leaf's name */
    int physical;
    kn_codec codec;
    uint64_t rows;
    uint64_t unc_dict, unc_data; /* uncompressed sizes, page headers included */
    uint32_t pages_dict, pages_plain;
    kn_pq_stats_out stats;   /* self-contained (bounds copied into its own buffers) */
    kn_pq_page_index index;  /* its data pages' index; owned */
} kn_pq_chunk;

/* Moves the finished chunk (after kn_pq_column_finish) into `out`, whose old buffers the
 * writer keeps for reuse, and starts the next chunk (as kn_pq_column_reset). */
void kn_pq_column_take(kn_pq_column *c, kn_pq_chunk *out);
void kn_pq_chunk_release(kn_pq_chunk *ch);
static inline uint64_t kn_pq_chunk_compressed(const kn_pq_chunk *ch) { return ch->dict.len + ch->data.len; }
static inline uint64_t kn_pq_chunk_uncompressed(const kn_pq_chunk *ch) { return ch->unc_dict + ch->unc_data; }
/* Writes the chunk's ColumnChunk struct, as a list element, for a chunk whose first byte is at
 * `file_offset`. */
void kn_pq_chunk_write_meta(const kn_pq_chunk *ch, uint64_t file_offset, kn_tc *t);

/* The row-group size estimate of rows [a, b) of `batch`, in bits, for `n` leaves: the PLAIN
 * size of the values (string bytes plus their 4-byte lengths; booleans and definition levels
 * one bit). Known before encoding and independent of how rows are cut into batches, so row
 * groups cut on it do not depend on batch or morsel boundaries. */
uint64_t kn__pq_estimate_bits(const kn_pq_leaf *leaves, size_t n, const kn_batch *batch, size_t a,
                              size_t b);
/* Checks that `batch` has the leaves' column types in order and that every value fits its
 * leaf (kn_pq_column_check): KN_E_USAGE for a schema mismatch, KN_E_DATA for a value. */
kn_status kn__pq_check_batch(const kn_pq_leaf *leaves, size_t n, const kn_batch *batch, kn_error *err);

/* Checks writer options (codec and level, page, row group and dictionary sizes, metadata,
 * sorting columns listed once each). */
kn_status kn__pq_check_options(const kn_pq_options *o, kn_error *err);
/* Checks that the sorting columns are leaves of a schema of `ncols` columns. */
kn_status kn__pq_check_sorting(const kn_pq_options *o, size_t ncols, kn_error *err);

/* For the file writer: an encoded row group's chunks, one per column (borrowed), or NULL while a
 * column is not encoded. */
struct kn_pq_rowgroup;
const kn_pq_chunk *kn__pq_rowgroup_chunks(const struct kn_pq_rowgroup *rg, size_t *n);

#endif
