/* formats/parquet/kn_pq_stats.h: a column chunk's statistics (min, max, null count), kept in
 * Parquet's sort order for each type, and their encoding into a Thrift Statistics struct.
 *
 * Orders (parquet-format's LogicalTypes.md, "Sort order"):
 *   INT32 / INT64 (ints, dates, timestamps, decimals up to 18 digits)   signed
 *   DOUBLE           numeric; NaN is never a bound, -0.0 and +0.0 are equal and written as a
 *                    min of -0.0 and a max of +0.0, so a reader that filters `x = 0` keeps both
 *   FLBA decimals    signed, big-endian two's complement
 *   BYTE_ARRAY       unsigned bytes (memcmp); bounds longer than 64 bytes are truncated: the
 *                    min to a prefix, the max to a prefix rounded up (never below the real max)
 *   BOOLEAN          false < true
 *   INT96            undefined: only the null count is written
 * The deprecated `min`/`max` fields are written only for the signed numeric types, whose old
 * signed byte-wise meaning agrees with the new order. DOUBLE statistics also count NaN values
 * (Statistics.nan_count, field 9): parquet.thrift asks writers using TYPE_ORDER for floating point
 * to set it, even when it is 0, so readers know the bounds were taken over the non-NaN values.
 *
 * The same struct serves a chunk and each of its pages: the column writer keeps a page's values
 * in one (for the page index) and folds it into the chunk's when the page ends. */
#ifndef KN_PQ_STATS_H
#define KN_PQ_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_pq_thrift.h"
#include "kn_status.h"

typedef enum kn_pq_order {
    KN_PQ_ORDER_NONE = 0,
    KN_PQ_ORDER_BOOL,
    KN_PQ_ORDER_I32,
    KN_PQ_ORDER_I64,
    KN_PQ_ORDER_DOUBLE,
    KN_PQ_ORDER_FLBA_SIGNED,
    KN_PQ_ORDER_BYTES
} kn_pq_order;

/* The longest string bound written; longer ones are truncated. */
#define KN_PQ_STATS_MAX_BYTES 64

typedef struct kn_pq_stats {
    kn_pq_order order;
    int width;           /* bytes per value for the fixed-width orders */
    bool has;            /* a present, non-NaN value was seen */
    uint64_t null_count;
    uint64_t nan_count;  /* DOUBLE only */
    uint8_t min[16], max[16]; /* fixed-width bounds, in the physical (PLAIN) layout */
    kn_buf min_bytes, max_bytes; /* BYTES bounds, full length (owned) */
} kn_pq_stats;

void kn_pq_stats_init(kn_pq_stats *s, kn_pq_order order, int width);
/* Forgets the values, keeping memory: the next chunk starts. */
void kn_pq_stats_reset(kn_pq_stats *s);
void kn_pq_stats_release(kn_pq_stats *s);

/* Folds in the present values among rows [0, n) of a fixed-width array of physical values
 * (`validity` may be NULL: all present; read from bit `bit_offset`). Counts no nulls. */
void kn_pq_stats_update_fixed(kn_pq_stats *s, const uint8_t *values, const uint8_t *validity,
                              size_t bit_offset, size_t n);
/* The same for byte arrays: value i is bytes[offsets[i] .. offsets[i+1]). Copies a new bound
 * (KN_E_NOMEM when that fails). */
kn_status kn_pq_stats_update_bytes(kn_pq_stats *s, const uint32_t *offsets, const uint8_t *bytes,
                                   const uint8_t *validity, size_t bit_offset, size_t n,
                                   kn_error *err);
/* One value of any order (`len` == width for the fixed ones). */
kn_status kn_pq_stats_update_one(kn_pq_stats *s, const uint8_t *p, size_t len, kn_error *err);
static inline void kn_pq_stats_add_nulls(kn_pq_stats *s, uint64_t n) { s->null_count += n; }
/* Folds `src` (same order) into `dst`: bounds, null and NaN counts. */
kn_status kn_pq_stats_merge(kn_pq_stats *dst, const kn_pq_stats *src, kn_error *err);

/* The bounds as written: PLAIN bytes of the value (no length prefix for strings). */
typedef struct kn_pq_stats_out {
    bool has_min, has_max;
    bool min_exact, max_exact;
    bool deprecated; /* also write the old min/max fields */
    bool has_nan_count; /* DOUBLE: write nan_count */
    uint64_t nan_count;
    const uint8_t *min, *max; /* point into the stats or into the bufs below */
    size_t min_len, max_len;
    uint64_t null_count;
    uint8_t min_buf[KN_PQ_STATS_MAX_BYTES + 16], max_buf[KN_PQ_STATS_MAX_BYTES + 16];
} kn_pq_stats_out;

/* Prepares the bounds of `s` for writing (truncating long strings). `out` borrows from `s`
 * until `s` changes. */
void kn_pq_stats_finish(const kn_pq_stats *s, kn_pq_stats_out *out);

/* Writes field `id` of the open struct as a Statistics struct. */
void kn_pq_stats_write(kn_tc *t, int16_t id, const kn_pq_stats_out *o);

/* Compares byte strings as unsigned bytes, a prefix before a longer string. */
int kn_pq_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Compares two bounds as written (kn_pq_stats_out: PLAIN bytes, `width` bytes for the fixed
 * orders) in `order`: <0, 0, >0. -0.0 and +0.0 are equal; KN_PQ_ORDER_NONE compares equal. */
int kn_pq_value_cmp(kn_pq_order order, int width, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
