/* engine/exec/kn_col_copy.h: moving single rows between batches of one schema, and the byte
 * measures the clustered write uses (memory held by a batch; a row's PLAIN-encoded size).
 *
 * The sort gathers rows from many batches (memory runs, spill blocks); batches of a run are
 * never concatenated, which keeps memory exact. Rows move one at a time (kn__batch_copy_row), as
 * ranges when the merge hands back rows that sit together in one batch (kn__batch_copy_rows),
 * or gathered column by column in sorted order or by partition folder (kn__batch_gather). */
#ifndef KN_COL_COPY_H
#define KN_COL_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_status.h"

/* Appends value `row` of `src` (borrowed) to `dst`; both columns have the same type. */
kn_status kn__col_copy_value(kn_column *dst, const kn_column *src, size_t row, kn_error *err);

/* Appends row `row` of `src` to `dst`, column `map[i]` of `src` into column i of `dst`
 * (`map` NULL: the same column). Every column of `dst` gets one value. */
kn_status kn__batch_copy_row(kn_batch *dst, const kn_batch *src, size_t row, const size_t *map,
                             kn_error *err);

/* Appends rows [row, row + n) of `src` to `dst` at once, column `map[i]` of `src` into column i
 * of `dst` (`map` NULL: the same column): arrays copied as ranges, not value by value. The
 * clustered write's merge hands back runs of rows that sit together in one batch. */
kn_status kn__batch_copy_rows(kn_batch *dst, const kn_batch *src, size_t row, size_t n, const size_t *map,
                              kn_error *err);
/* Appends rows rows[0], rows[1], ... rows[n - 1] of `src` (`rows` borrowed) to `dst`, column by
 * column: one pass over each column's arrays instead of a call per value. Column `map[i]` of
 * `src` goes into column i of `dst` (`map` NULL: the same column), so `dst` may have fewer
 * columns than `src` (a partitioned write that drops the partition columns); mapped columns have
 * the same type. For putting a batch in sorted order, and for cutting a batch into the rows of
 * each partition folder. */
kn_status kn__batch_gather(kn_batch *dst, const kn_batch *src, const uint32_t *rows, size_t n, const size_t *map,
                           kn_error *err);
/* One column's part of kn__batch_gather: appends values rows[0 .. n) of `src` to `dst` (same
 * type); the caller sets the batch's num_rows. For splitting one batch into many column by
 * column, so each source column stays in cache while every group takes its values. */
kn_status kn__col_gather(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, kn_error *err);

/* kn__col_gather with the string bytes measured beforehand: `nbytes` must be
 * kn__col_gather_bytes(src, rows, n) (0 for fixed-width columns). A string column needs room for
 * nbytes + KN_GATHER_PAD more bytes (short strings move as fixed-size blocks that may write past
 * their end), so that much room sized up front (kn_batch_create_packed) is never outgrown. */
#define KN_GATHER_PAD 32
kn_status kn__col_gather_sized(kn_column *dst, const kn_column *src, const uint32_t *rows, size_t n, size_t nbytes,
                               kn_error *err);
/* The total length of the strings rows[0 .. n) of `src` (0 for a fixed-width column). */
size_t kn__col_gather_bytes(const kn_column *src, const uint32_t *rows, size_t n);

/* The PLAIN size of rows [row, row + n) (the sum of kn__row_plain_bytes over them), in
 * O(columns). */
uint64_t kn__rows_plain_bytes(const kn_batch *b, size_t row, size_t n);

/* Bytes the batch's arrays hold (capacities, not lengths): what it costs in memory. */
size_t kn__batch_mem_bytes(const kn_batch *b);

/* The PLAIN size of row `row` (fixed-width values at their width, strings as 4 + length): the
 * "raw bytes" that file sizing scales by the observed compression ratio. */
uint64_t kn__row_plain_bytes(const kn_batch *b, size_t row);

/* The longest string of column `col` in `b`, in bytes (0 for other types). */
size_t kn__col_max_string(const kn_column *col);

/* A batch together with one memcmp-able sort key per row (kn_sort_key.h). The keys of row i are
 * keys.data[key_offs[i] .. key_offs[i+1]). */
typedef struct kn_keyed_batch {
    kn_batch *batch;    /* owned */
    kn_buf keys;        /* owned */
    uint32_t *key_offs; /* owned; room for cap_offs entries */
    size_t cap_offs;
} kn_keyed_batch;

/* Makes room for `n` + 1 key offsets. */
kn_status kn__keyed_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err);
/* Frees what `kb` owns and zeroes it. Accepts a zeroed struct. */
void kn__keyed_release(kn_keyed_batch *kb);
/* Memory held by the batch, its keys and offsets. */
size_t kn__keyed_mem_bytes(const kn_keyed_batch *kb);

#endif
