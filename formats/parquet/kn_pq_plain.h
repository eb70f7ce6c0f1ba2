/* formats/parquet/kn_pq_plain.h: PLAIN encoding of each Parquet physical type, and the
 * conversions from kiln's in-memory values to Parquet's physical values.
 *
 *   BOOLEAN              bit-packed, LSB first, one bit a value
 *   INT32, INT64, DOUBLE little-endian, 4 / 8 / 8 bytes
 *   INT96                12 bytes: nanoseconds within the day (int64 LE), Julian day (int32 LE)
 *   FIXED_LEN_BYTE_ARRAY the bytes as they are (decimals: big-endian two's complement)
 *   BYTE_ARRAY           4-byte LE length, then the bytes
 * Only present values are encoded (nulls live in the definition levels). No allocation: the
 * caller sizes `out`. kiln only builds for little-endian hosts (checked at compile time), so
 * fixed-width values are copied as they lie in memory. */
#ifndef KN_PQ_PLAIN_H
#define KN_PQ_PLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_types.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kiln's Parquet writer assumes a little-endian host"
#endif

/* Packs bools[0..n) (each 0 or 1) into (n + 7) / 8 bytes at `out`. Returns the bytes written. */
size_t kn_pq_plain_bool(const uint8_t *bools, size_t n, uint8_t *out);

/* Copies the present values among rows [0, n) of `values` (`width` bytes each) to `out`.
 * `validity` (may be NULL: all present) is read from bit `bit_offset` on, LSB first. Returns the
 * bytes written (width times the present values). */
size_t kn_pq_plain_fixed(const uint8_t *values, size_t width, const uint8_t *validity,
                         size_t bit_offset, size_t n, uint8_t *out);

/* One BYTE_ARRAY value: 4-byte LE length, then the bytes. Returns the end. `len` < 2^31. */
static inline uint8_t *kn_pq_plain_put_bytes(uint8_t *out, const void *p, size_t len) {
    uint32_t l = (uint32_t)len;
    memcpy(out, &l, 4);
    if (len) memcpy(out + 4, p, len);
    return out + 4 + len;
}

/* INT96 for a timestamp in microseconds since the epoch (what Impala and old Spark wrote; some
 * Redshift Spectrum and Hive setups still want it). */
void kn_pq_int96_from_micros(int64_t micros, uint8_t out[12]);

/* The FIXED_LEN_BYTE_ARRAY width for a decimal of `precision` digits: the fewest bytes whose
 * two's complement range holds every value of that precision (Redshift checks this width). 0
 * for a precision outside 1..38. */
int kn_pq_decimal_width(int precision);

/* The low `width` (1..16) bytes of `v`, big-endian two's complement. */
void kn_pq_decimal_be(kn_i128 v, int width, uint8_t *out);

#endif
