/* formats/parquet/kn_pq_rowgroup.h: row groups encoded apart from their file, one column chunk
 * at a time on any thread, then appended to a file strictly in order
 * (kn_pq_writer_write_rowgroup in kn_pq_writer.h).
 *
 * Three objects:
 *   - kn_pq_layout: the Parquet leaves and options for a schema. Immutable once made, so every
 *     thread may use one layout at once.
 *   - kn_pq_encoder: one thread's encoding state, a column chunk writer (pages, dictionary,
 *     statistics) and its codec context, pointed at whichever column it encodes next. So the
 *     encoding state in memory is one column's per thread, whatever the number of columns.
 *   - kn_pq_rowgroup: the rows of one row group as references to slices of batches (batch, first
 *     row, row count), and once encoded one finished chunk (bytes and metadata) per column.
 *
 * A row group is cut exactly where kn_pq_writer_write cuts one: at the first row where the
 * PLAIN-size estimate reaches row_group_bytes. The estimate depends only on the rows, so a row
 * group holds the same rows whatever the batch (or morsel) boundaries; and a chunk encoded from
 * its slices makes the same column writer calls, in the same order, as kn_pq_writer_write would,
 * so the bytes are the same too. Which thread encodes which column, and when, changes nothing.
 *
 * Two ways to encode: a whole column of a filled row group at once (kn_pq_rowgroup_encode, with
 * the calling thread's kn_pq_encoder), or a column at a time as its rows arrive
 * (kn_pq_colenc, one per column, finished into the row group when it is full).
 *
 * Threads: kn_pq_rowgroup_add, _reset and the slice getters from one thread at a time, never
 * during an encode of that row group's columns unless the caller's lock orders them;
 * kn_pq_rowgroup_encode and kn_pq_colenc_finish for distinct columns of one row group from
 * several threads at once. The caller orders these (a lock), which also makes each column's
 * chunk visible to the thread that appends the row group to its file. */
#ifndef KN_PQ_ROWGROUP_H
#define KN_PQ_ROWGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef struct kn_pq_layout kn_pq_layout;

/* `schema` and `opt` are copied (created_by and metadata are not kept: they belong to files).
 * Fails like kn_pq_writer_create for a type or an option it cannot write. */
kn_status kn_pq_layout_create(const kn_schema *schema, const kn_pq_options *opt, kn_pq_layout **out,
                              kn_error *err);
/* Accepts NULL. */
void kn_pq_layout_free(kn_pq_layout *l);
size_t kn_pq_layout_columns(const kn_pq_layout *l);

/* Checks that `batch` (borrowed) has the layout's column types in order and that every value
 * fits its column (no null in a non-nullable column, no decimal with more digits than its
 * precision, no string over 2 GiB): KN_E_USAGE for a schema mismatch, KN_E_DATA naming the
 * column and the batch row. Read-only: any thread, at any time. */
kn_status kn_pq_layout_check(const kn_pq_layout *l, const kn_batch *batch, kn_error *err);

typedef struct kn_pq_encoder kn_pq_encoder;

kn_status kn_pq_encoder_create(const kn_pq_layout *l, kn_pq_encoder **out, kn_error *err);
/* Accepts NULL. */
void kn_pq_encoder_free(kn_pq_encoder *e);
/* Profiling: when on, the encoder adds up the thread CPU time spent in the codec. */
void kn_pq_encoder_set_profile(kn_pq_encoder *e, bool on);
uint64_t kn_pq_encoder_compress_ns(const kn_pq_encoder *e);

typedef struct kn_pq_rowgroup kn_pq_rowgroup;

/* An empty row group of layout `l` (borrowed; must outlive it). */
kn_status kn_pq_rowgroup_create(const kn_pq_layout *l, kn_pq_rowgroup **out, kn_error *err);
/* Accepts NULL. */
void kn_pq_rowgroup_free(kn_pq_rowgroup *rg);
/* Empties the row group (forgetting its slices and chunks), keeping memory. */
void kn_pq_rowgroup_reset(kn_pq_rowgroup *rg);
/* Empties it and lets go of its chunks' buffers (for row groups that may wait idle long). */
void kn_pq_rowgroup_trim(kn_pq_rowgroup *rg);

/* Adds rows of `batch` from `row` on, up to the end of the batch or the first row where the row
 * group reaches row_group_bytes; *taken says how many (0 when full already or row is the end).
 * The batch is borrowed until the row group is encoded and must have passed
 * kn_pq_layout_check. KN_E_NOMEM only. */
kn_status kn_pq_rowgroup_add(kn_pq_rowgroup *rg, const kn_batch *batch, size_t row, size_t *taken,
                             kn_error *err);
/* The same for rows [row, end) of `batch` only: the rows of one partition folder in a batch
 * that holds several, one range after another. */
kn_status kn_pq_rowgroup_add_range(kn_pq_rowgroup *rg, const kn_batch *batch, size_t row, size_t end,
                                   size_t *taken, kn_error *err);
/* What rows [row, end) of `batch` count toward the row group size, and the size itself: a row
 * group is full once its rows' estimate reaches the target, so a caller holding rows back can
 * tell when they fill one without adding them. */
uint64_t kn_pq_layout_estimate_bits(const kn_pq_layout *l, const kn_batch *batch, size_t row, size_t end);
uint64_t kn_pq_layout_target_bits(const kn_pq_layout *l);
/* The row group reached row_group_bytes: nothing more goes in. */
bool kn_pq_rowgroup_full(const kn_pq_rowgroup *rg);
uint64_t kn_pq_rowgroup_rows(const kn_pq_rowgroup *rg);
/* The estimate of column `col` alone, in bits: to start the biggest chunks first. */
uint64_t kn_pq_rowgroup_column_bits(const kn_pq_rowgroup *rg, size_t col);

/* The row group's slices so far, in order: slice i is rows [*row, *row + *n) of *batch. */
size_t kn_pq_rowgroup_num_slices(const kn_pq_rowgroup *rg);
void kn_pq_rowgroup_slice(const kn_pq_rowgroup *rg, size_t i, const kn_batch **batch, size_t *row, size_t *n);

/* Encodes column `col` of the row group's rows into its finished chunk, with `enc` (the calling
 * thread's). On failure the row group cannot be written (reset it). */
kn_status kn_pq_rowgroup_encode(kn_pq_rowgroup *rg, size_t col, kn_pq_encoder *enc, kn_error *err);
/* A column's chunk writer that stays with one column from row group to row group, fed slice by
 * slice while the row group is still filling (so a batch can go back to its pool as soon as
 * every column has read it), then finished into the row group. Its dictionary and page
 * buffers stay warm from one row group to the next. Calls on one column encoder come one at a
 * time; encoders of different columns are independent. */
typedef struct kn_pq_colenc kn_pq_colenc;

kn_status kn_pq_colenc_create(const kn_pq_layout *l, size_t col, kn_pq_colenc **out, kn_error *err);
/* Accepts NULL. */
void kn_pq_colenc_free(kn_pq_colenc *ce);
/* Appends rows [row, row + n) of the encoder's column of `batch` (borrowed for the call). */
kn_status kn_pq_colenc_write(kn_pq_colenc *ce, const kn_batch *batch, size_t row, size_t n, kn_error *err);
/* Ends the chunk and moves it into `rg` as the encoder's column; the encoder starts the next
 * chunk. The chunk must hold exactly the row group's rows. */
kn_status kn_pq_colenc_finish(kn_pq_colenc *ce, kn_pq_rowgroup *rg, kn_error *err);
void kn_pq_colenc_set_profile(kn_pq_colenc *ce, bool on);

/* Column encoders that wait between calls, many at once (one per folder and column of a
 * partitioned write; kn_pq_column.h says what each call does to the writer):
 *   - made by kn_pq_colenc_create_lean, with no codec context of their own: before each
 *     kn_pq_colenc_write or finish, kn_pq_colenc_lend them the calling thread's encoder's
 *     (NULL after, if the encoder may go first);
 *   - kn_pq_colenc_trim after a call lets go of the page scratch; kn_pq_colenc_sleep, before
 *     a long wait, of its dictionary's hash table too;
 *   - kn_pq_colenc_pages / _pages_moved move the finished pages so far out (to a spill), and
 *     kn_pq_colenc_finish_restored takes every byte moved out back, in order, to end the chunk;
 *   - kn_pq_colenc_mem: the bytes the encoder holds.
 * The bytes of the chunk are those kn_pq_colenc_create's encoder would write. */
kn_status kn_pq_colenc_create_lean(const kn_pq_layout *l, size_t col, kn_pq_colenc **out, kn_error *err);
void kn_pq_colenc_lend(kn_pq_colenc *ce, kn_pq_encoder *enc);
void kn_pq_colenc_trim(kn_pq_colenc *ce);
void kn_pq_colenc_sleep(kn_pq_colenc *ce);
uint64_t kn_pq_colenc_mem(const kn_pq_colenc *ce);
void kn_pq_colenc_pages(const kn_pq_colenc *ce, const uint8_t **data, size_t *len);
void kn_pq_colenc_pages_moved(kn_pq_colenc *ce);
kn_status kn_pq_colenc_finish_restored(kn_pq_colenc *ce, const uint8_t *moved, size_t len, kn_pq_rowgroup *rg,
                                       kn_error *err);
uint64_t kn_pq_colenc_compress_ns(const kn_pq_colenc *ce);

/* Every column encoded. */
bool kn_pq_rowgroup_encoded(const kn_pq_rowgroup *rg);
/* The encoded chunks' bytes (page headers included): what the row group adds to a file. */
uint64_t kn_pq_rowgroup_compressed_bytes(const kn_pq_rowgroup *rg);

#endif
