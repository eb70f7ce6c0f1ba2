/* engine/exec/kn_sort_key.h: the memcmp-able row keys of the clustered write.
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

#include "kn_col_copy.h"
#include "kn_partition.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef struct kn_sort_key_spec {
    const kn_part_spec *part;   /* borrowed; NULL or no keys: one unnamed partition */
    const size_t *sort_cols;    /* borrowed; schema column indexes in --sort-by order */
    size_t num_sort_cols;
} kn_sort_key_spec;

/* Parses a column list ("a, b", a name may be double-quoted with "" for a quote) against
 * `schema` (borrowed) into a kn_malloc'd array of column indexes (*out, *num; free with kn_free).
 * A name matches exactly, or else ignoring ASCII case when that is unique. Fails with
 * KN_E_USAGE naming `option` on an empty list or item, an unknown column, or a column twice. */
kn_status kn_sort_cols_parse(const char *text, const kn_schema *schema, const char *option,
                             size_t **out, size_t *num, kn_error *err);

/* Computes the key of every row of kb->batch into kb->keys / kb->key_offs (replacing what was
 * there). `morsel` is the morsel's index in input order. Fails with KN_E_NOMEM, or
 * KN_E_INTERNAL when the batch does not match the spec's schema. */
kn_status kn_sort_keys_build(const kn_sort_key_spec *spec, kn_keyed_batch *kb, uint64_t morsel,
                             kn_error *err);

/* The length of the folder path at the start of `key` (the bytes before the 0x00). */
static inline size_t kn_sort_key_path_len(const uint8_t *key, size_t len) {
    const uint8_t *z = memchr(key, 0, len);
    return z ? (size_t)(z - key) : len;
}

#endif
