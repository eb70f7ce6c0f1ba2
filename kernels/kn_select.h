/* kernels/kn_select.h: keeping some rows of a column in place (what a filter step leaves).
 * Pure: no I/O, no allocation; the column keeps its memory. */
#ifndef KN_SELECT_H
#define KN_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"

/* Keeps rows keep[0] < keep[1] < ... < keep[n - 1] of `c`, in that order, as rows 0..n-1:
 * values, string bytes and validity move down; null_count is recounted. */
void kn_column_select(kn_column *c, const uint32_t *keep, size_t n);

/* kn_column_select on every column of `b`, and num_rows set to n. */
void kn_batch_select(kn_batch *b, const uint32_t *keep, size_t n);

#endif
