/* kernels/kn_gather.h: copying rows from one batch into another of the same column types, one
 * row, a range of rows, or a list of rows (a gather).
 *
 * Readers, steps and writers move rows between batches: the clustered write merges sorted runs
 * (batches of a run are never concatenated, which keeps memory exact), the sort puts a batch in
 * key order, and the partitioned write cuts a batch into the rows of each folder. Rows move one
 * at a time (kn_batch_copy_row), as ranges when the rows sit together in one batch
 * (kn_batch_copy_rows), or gathered column by column (kn_batch_gather, kn_col_gather).
 *
 * Every function appends to `dst`, which it may grow (through kn_alloc) unless it is a packed
 * batch sized up front; `src` and the row lists are borrowed for the call and never changed.
 * A column map `map` (borrowed; NULL: the identity) sends column map[i] of `src` into column i of
 * `dst`, so `dst` may have fewer or reordered columns (a write that drops the partition
 * columns); mapped columns have the same type. Failures: KN_E_NOMEM, or KN_E_DATA when a string
 * column would pass 4 GiB of bytes; `dst` then holds a partial row and must be thrown away or
 * cleared. Not thread-safe on one `dst`; any number of threads may read one `src`. */
#ifndef KN_GATHER_H
#define KN_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_status.h"

/* Appends value `row` of `src` to `dst`; both columns have the same type. */
kn_status kn_col_copy_value(kn_column *dst, const kn_column *src, size_t row, kn_error *err);

/* Appends row `row` of `src` to `dst`, one value to every column of `dst`. */
kn_status kn_batch_copy_row(kn_batch *dst, const kn_batch *src, size_t row, const size_t *map,
                            kn_error *err);

/* Appends rows [row, row + n) of `src` to `dst` at once: arrays copied as ranges, not value by
 * value. The clustered write's merge hands back runs of rows that sit together in one batch. */
kn_status kn_batch_copy_rows(kn_batch *dst, const kn_batch *src, size_t row, size_t n, const size_t *map,
                             kn_error *err);

/* Appends rows rows[0], rows[1], ... rows[n - 1] of `src` to `dst`, column by column: one pass
 * over each column's arrays instead of a call per value. For putting a batch in sorted order,
 * and for cutting a batch into the rows of each partition folder. */
kn_status kn_batch_gather(kn_batch *dst, const kn_batch *src, const uint32_t *rows, size_t n, const size_t *map,
                          kn_error *err);

/* One column's part of kn_batch_gather: appends values rows[0 .. n) of `src` to `dst` (same
 * type); the caller sets the batch's num_rows. For splitting one batch into many column by
 * column, so each source column stays in cache while every group takes its values. */
kn_status kn_col_gather(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, kn_error *err);

/* kn_col_gather with the string bytes measured beforehand: `nbytes` must be
 * kn_col_gather_bytes(src, rows, n) (0 for fixed-width columns). A string column needs room for
 * nbytes + KN_GATHER_PAD more bytes (short strings move as fixed-size blocks that may write past
 * their end), so that much room sized up front (kn_batch_create_packed) is never outgrown. */
#define KN_GATHER_PAD 32
kn_status kn_col_gather_sized(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, size_t nbytes,
                              kn_error *err);

/* The total length of the strings rows[0 .. n) of `src` (0 for a fixed-width column). */
size_t kn_col_gather_bytes(const kn_column *src, const uint32_t *rows, size_t n);

#endif
