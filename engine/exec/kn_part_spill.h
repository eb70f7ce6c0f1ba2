/* engine/exec/kn_part_spill.h: where the partitioned write puts the rows it cannot keep in
 * memory until their row group is complete.
 *
 * A spill is a number of runs, each one file in the run's temporary folder written front to
 * back: one segment per folder (that folder's rows held in memory when the run was made, in
 * input order), one folder after another. A segment is read back whole, by any thread, when
 * its folder's next row group is put together. Nothing is compressed (kn_spill_block.h):
 * segments live only for the run and decode with a few memcpy calls.
 *
 * The write also moves a folder's encoded pages here when its encoders hold too much: such a
 * segment is bytes as they are, read back into a buffer (kn_part_spill_add_bytes / _read_bytes).
 *
 * Threads: each thread (`thread` in [0, threads)) writes its own runs, one at a time (begin,
 * add, end), and reads through its own readers; a run's segments are read only after its end. */
#ifndef KN_PART_SPILL_H
#define KN_PART_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_schema.h"
#include "kn_spill_block.h"
#include "kn_status.h"
#include "kn_store.h"

typedef struct kn_part_spill kn_part_spill;

/* One folder's rows in one run. */
typedef struct kn_part_segment {
    uint32_t run;
    uint32_t rows;
    uint64_t offset, len; /* the block's bytes in the run's file */
} kn_part_segment;

/* A spill of rows of `schema` (borrowed; outlives the spill) into files under `dir` of `store`
 * (both borrowed; `dir` a folder of the run's own, where files are written in place), read back
 * by `threads` threads. */
kn_status kn_part_spill_create(kn_store *store, const char *dir, const kn_schema *schema, int threads,
                               kn_part_spill **out, kn_error *err);

/* Starts the thread's next run. */
kn_status kn_part_spill_begin(kn_part_spill *sp, int thread, kn_error *err);
/* Appends the rows of `count` (at least 1) ranges (kn_spill_block.h; their batches borrowed,
 * in the spill's schema), one after another, as one segment of the run being written; *seg
 * says where. */
kn_status kn_part_spill_add_ranges(kn_part_spill *sp, int thread, const kn_row_range *ranges, size_t count,
                                   kn_part_segment *seg, kn_error *err);
/* The same for rows [row, row + n) of `batch`. */
kn_status kn_part_spill_add_rows(kn_part_spill *sp, int thread, const kn_batch *batch, size_t row, size_t n,
                                 kn_part_segment *seg, kn_error *err);
/* Appends `len` bytes as they are (encoded Parquet pages) as one segment of the run being
 * written; *seg says where (rows 0). */
kn_status kn_part_spill_add_bytes(kn_part_spill *sp, int thread, const uint8_t *data, size_t len,
                                  kn_part_segment *seg, kn_error *err);
/* Finishes the run: its segments can be read from now on. */
kn_status kn_part_spill_end(kn_part_spill *sp, int thread, kn_error *err);

/* Reads segment `seg` into `batch` (emptied first; the spill's schema), with thread `thread`'s
 * readers. KN_E_IO when the store fails or the bytes are not what was written. */
kn_status kn_part_spill_read(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_batch *batch,
                             kn_error *err);

/* The same, appending the segment's rows to those of `batch`. After a failure `batch` holds
 * part of them: the caller drops it. */
kn_status kn_part_spill_read_append(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_batch *batch,
                                    kn_error *err);

/* Appends the bytes of a segment made by kn_part_spill_add_bytes to `out`. */
kn_status kn_part_spill_read_bytes(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_buf *out,
                                   kn_error *err);

uint64_t kn_part_spill_runs(const kn_part_spill *sp);
uint64_t kn_part_spill_bytes(const kn_part_spill *sp);

/* Closes the readers and removes the run files (best effort). Accepts NULL. */
void kn_part_spill_free(kn_part_spill *sp);

#endif
