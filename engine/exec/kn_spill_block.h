/* engine/exec/kn_spill_block.h: the on-disk form of a block of rows in a spill file (the sort's
 * runs, with their keys; the partitioned write's folder segments, without).
 *
 * A spill file is blocks back to back, each a 16-byte header ("KNSB", row count u32, payload
 * length u64, little-endian) and a raw columnar payload: per column a flag byte (1 when a
 * validity bitmap follows: the column has a null in the block), the bitmap (ceil(rows/8)
 * bytes), then the values (rows x width) or, for strings, rows+1 u32 offsets from 0 and the
 * bytes; then a flag byte (1 when keys follow) and the keys as rows+1 u32 offsets and the key
 * bytes. Nothing is compressed: spill files live only for the run, in its temporary folder, and
 * raw blocks decode with a few memcpy calls. */
#ifndef KN_SPILL_BLOCK_H
#define KN_SPILL_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_sort_key.h"
#include "kn_status.h"

#define KN_SPILL_HEADER_BYTES 16

/* Rows [row, row + n) of `batch` (borrowed). */
typedef struct kn_row_range {
    const kn_batch *batch;
    size_t row, n;
} kn_row_range;

/* Appends the header and payload of every row of `kb` (borrowed) to `out`. */
kn_status kn__spill_block_encode(const kn_keyed_batch *kb, kn_buf *out, kn_error *err);
/* The same for the rows of `count` (at least 1) ranges, one after another, of batches of one
 * schema, without keys (the block has empty ones): a folder's pieces of several morsels go to
 * the spill without being copied into one batch first. */
kn_status kn__spill_block_encode_ranges(const kn_row_range *ranges, size_t count, kn_buf *out, kn_error *err);

/* Reads a header. Fails with KN_E_IO when it is not one (a damaged spill file). */
kn_status kn__spill_block_header(const uint8_t header[KN_SPILL_HEADER_BYTES], uint32_t *rows,
                                 uint64_t *payload_len, kn_error *err);

/* Replaces the rows of `kb` (whose batch exists, with the spill file's schema) with the `rows`
 * rows of `payload` (`len` bytes, borrowed; copied). Fails with KN_E_IO when the payload is
 * inconsistent. */
kn_status kn__spill_block_decode(const uint8_t *payload, size_t len, uint32_t rows,
                                 kn_keyed_batch *kb, kn_error *err);

/* Appends the `rows` rows of a block without keys to `b` (the spill file's schema): a regroup
 * gathers many blocks into one batch without decoding each into a batch of its own first.
 * Fails with KN_E_IO when the payload is inconsistent or has keys; `b` may then hold some of
 * the rows' columns (the caller drops it). */
kn_status kn__spill_block_decode_append(const uint8_t *payload, size_t len, uint32_t rows, kn_batch *b,
                                        kn_error *err);

#endif
