/* formats/parquet/kn_pq_rle.h: Parquet's RLE / bit-packed hybrid encoding, both ways.
 *
 * Used for definition levels (bit width 1 here, behind a 4-byte length in data page V1) and for
 * dictionary indices (behind one bit-width byte, no length). A stream is a sequence of runs:
 *   RLE run:        varint(count << 1),        then the value in ceil(width / 8) bytes LE
 *   bit-packed run: varint(groups << 1 | 1),   then groups * 8 values, `width` bits each, LSB first
 * The encoders write RLE runs for repeats of 8 or more (and for a short trailing repeat when
 * nothing is pending, so bit width 0 always gets a run header), bit-packed runs otherwise, at most
 * 63 groups a header as parquet-java and Arrow do. No allocation: callers size `out` with the
 * _bound helpers. The decoder is for tests and for `kiln inspect`-style checks. */
#ifndef KN_PQ_RLE_H
#define KN_PQ_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

/* Bytes that encoding `n` values of `bit_width` (0..32) bits can take at most. */
size_t kn_pq_rle_bound(size_t n, int bit_width);

/* Encodes values[0..n) (each < 2^bit_width) into `out` (at least kn_pq_rle_bound bytes).
 * Returns the bytes written. */
size_t kn_pq_rle_encode(const uint32_t *values, size_t n, int bit_width, uint8_t *out);

/* Encodes `n` one-bit values taken from `bits` (LSB first, starting at bit 0; bits past `n` are
 * ignored) with bit width 1: what definition levels of an OPTIONAL column are, straight from a
 * validity bitmap. `out` needs kn_pq_rle_bound(n, 1) bytes. Returns the bytes written. */
size_t kn_pq_rle_encode_bits(const uint8_t *bits, size_t n, uint8_t *out);

/* One RLE run of `n` copies of `value`: the levels of a page with no nulls. `out` needs 15
 * bytes. Returns the bytes written (0 when n == 0). */
size_t kn_pq_rle_encode_repeat(size_t n, uint32_t value, int bit_width, uint8_t *out);

/* Bits needed for the values 0..max_value (0 for max_value 0). */
int kn_pq_bit_width(uint32_t max_value);

/* Decodes exactly `n` values from in[0..len) into out[0..n). *used (may be NULL) gets the bytes
 * consumed. Fails with KN_E_FORMAT on a truncated or malformed stream. */
kn_status kn_pq_rle_decode(const uint8_t *in, size_t len, int bit_width, uint32_t *out, size_t n,
                           size_t *used, kn_error *err);

#endif
