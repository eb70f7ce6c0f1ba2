/* kernels/kn_sort_rows.h: sorting the rows of one keyed batch by key (kn_sort_key.h).
 *
 * Each parse worker sorts its own morsel's rows before handing them to the external sort, so
 * the O(n log n) part runs on every core and in cache-sized pieces; the sorter then only merges
 * sorted batches (exec's kn_sort_spill.h), reading each one front to back. */
#ifndef KN_SORT_ROWS_H
#define KN_SORT_ROWS_H

#include "kn_sort_key.h"
#include "kn_status.h"

/* Writes the rows of `in` (borrowed) in key order into `out`: its batch is created with
 * in's schema when NULL, else emptied first; its keys and offsets are replaced. Keys are unique
 * (they end with the input ordinal), so the order is fully determined. */
kn_status kn_sort_rows(const kn_keyed_batch *in, kn_keyed_batch *out, kn_error *err);

#endif
