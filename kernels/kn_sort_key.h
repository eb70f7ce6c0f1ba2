/* kernels/kn_sort_key.h: the memcmp-able row keys of the clustered write, and the keyed batch
 * that carries a batch together with its keys.
 *
 * A key orders rows by partition folder, then by the --sort-by columns, then by input order:
 *
 *   folder path bytes ("year=2024/month=3/"), 0x00,
 *   per sort column: 0x00 for a null (nulls first), or 0x01 and the value encoded so that
 *     byte order is value order: integers, dates, timestamps and decimals as big-endian with
 *     the sign bit flipped (decimal(p>18) as the high then the low 64 bits), doubles by their
 *     IEEE bits (sign flipped for positives, all bits flipped for negatives; every NaN as one
 *     NaN, after +Infinity), bools as one byte, strings with 0x00 written 0x00 0xFF and closed by
 *     0x00 0x00 (so a prefix sorts first),
 *   the row's input ordinal, 8 bytes big-endian: morsel index (high 32 bits), row in the morsel.
 *
 * Hive escaping turns bytes below 0x20 into %XX, so a folder path never holds 0x00 and the
 * separator makes a path that is a prefix of another sort first, as plain string order would.
 * The ordinal makes every key unique, so ties keep input order and any correct sort, however
 * runs were cut, gives the same sequence: the output does not depend on threads or memory. */
#ifndef KN_SORT_KEY_H
#define KN_SORT_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_partition.h"
#include "kn_status.h"

/* A batch together with one memcmp-able sort key per row. The keys of row i are
 * keys.data[key_offs[i] .. key_offs[i+1]). A zeroed struct is an empty keyed batch. */
typedef struct kn_keyed_batch {
    kn_batch *batch;    /* owned */
    kn_buf keys;        /* owned */
    uint32_t *key_offs; /* owned; room for cap_offs entries */
    size_t cap_offs;
} kn_keyed_batch;

/* Makes room for `n` + 1 key offsets. Fails with KN_E_NOMEM, leaving `kb` as it was. */
kn_status kn_keyed_batch_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err);
/* Frees what `kb` owns and zeroes it. Accepts a zeroed struct. */
void kn_keyed_batch_release(kn_keyed_batch *kb);
/* Memory held by the batch, its keys and offsets (capacities: what it costs). */
size_t kn_keyed_batch_mem_bytes(const kn_keyed_batch *kb);

typedef struct kn_sort_key_spec {
    const kn_part_spec *part;   /* borrowed; NULL or no keys: one unnamed partition */
    const size_t *sort_cols;    /* borrowed; schema column indexes in --sort-by order */
    size_t num_sort_cols;
} kn_sort_key_spec;

/* Computes the key of every row of kb->batch into kb->keys / kb->key_offs (replacing what was
 * there). `spec` and what it points to are borrowed for the call; kb->batch is read, not
 * changed. `morsel` is the morsel's index in input order. Fails with KN_E_NOMEM, with KN_E_USAGE
 * past 2^32 morsels, rows in a morsel, or key bytes in a morsel, or with KN_E_INTERNAL when the
 * batch does not match the spec's schema. */
kn_status kn_sort_keys_build(const kn_sort_key_spec *spec, kn_keyed_batch *kb, uint64_t morsel,
                             kn_error *err);

/* The length of the folder path at the start of `key` (the bytes before the 0x00). */
static inline size_t kn_sort_key_path_len(const uint8_t *key, size_t len) {
    const uint8_t *z = memchr(key, 0, len);
    return z ? (size_t)(z - key) : len;
}

#endif
