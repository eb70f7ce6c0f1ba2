/* kernels/kn_batch_bytes.h: byte measures of batches: the memory a batch holds, the PLAIN size
 * of its rows, its longest string.
 *
 * File sizing scales the PLAIN size ("raw bytes") of the rows by the compression ratio seen so
 * far; memory limits count what batches hold; the Redshift DDL sizes a VARCHAR by the longest
 * string written. Pure reads of the batch (borrowed for the call); no allocation. */
#ifndef KN_BATCH_BYTES_H
#define KN_BATCH_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"

/* The PLAIN size of row `row` (fixed-width values at their width, strings as 4 + length). */
uint64_t kn_row_plain_bytes(const kn_batch *b, size_t row);

/* The PLAIN size of rows [row, row + n) (the sum of kn_row_plain_bytes over them), in
 * O(columns). */
uint64_t kn_rows_plain_bytes(const kn_batch *b, size_t row, size_t n);

/* Bytes the batch's arrays hold (capacities, not lengths): what it costs in memory. */
size_t kn_batch_mem_bytes(const kn_batch *b);

/* The longest string of `col`, in bytes (0 for other types). */
size_t kn_col_max_string(const kn_column *col);

#endif
