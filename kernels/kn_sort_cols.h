/* kernels/kn_sort_cols.h: a list of column names, as `--sort-by` and `--merge-key` take them,
 * resolved against a schema. The option's name is the caller's, so the same parser serves any
 * option that names columns, and its errors say which option was wrong. */
#ifndef KN_SORT_COLS_H
#define KN_SORT_COLS_H

#include <stddef.h>

#include "kn_schema.h"
#include "kn_status.h"

/* Parses a column list ("a, b", a name may be double-quoted with "" for a quote) against
 * `schema` (borrowed for the call) into a kn_malloc'd array of column indexes (*out, *num; the
 * caller owns it and frees it with kn_free). A name matches exactly, or else ignoring ASCII case
 * when that is unique. Fails with KN_E_USAGE naming `option` (borrowed) on an empty list or item,
 * an unknown column, or a column twice, and with KN_E_NOMEM; *out is NULL after a failure. */
kn_status kn_sort_cols_parse(const char *text, const kn_schema *schema, const char *option,
                             size_t **out, size_t *num, kn_error *err);

#endif
