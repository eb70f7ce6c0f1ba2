/* engine/exec/kn_sorting_columns.h: what a sorted write tells Parquet readers about its order
 * (RowGroup.sorting_columns), from the --sort-by columns. */
#ifndef KN_SORTING_COLUMNS_H
#define KN_SORTING_COLUMNS_H

#include <stddef.h>

#include "kn_pq_writer.h"
#include "kn_schema.h"

/* Sets opt's sorting columns to the --sort-by columns `cols` (`n` indexes into `schema`, the
 * run's input schema; borrowed) as leaves of `file_schema` (the files' columns; borrowed; NULL:
 * none set), ascending with nulls first, the order kn_sort_key.h gives rows. The sorted write
 * orders rows by folder, then by these columns, then by input order, and each file holds one
 * folder's rows in that order, so every row group is sorted by them. The list stops before the
 * first column the files leave out (--drop-partition-columns): it is constant within a folder
 * only as far as folder names are (a value spelled like the null folder shares its files), so
 * the columns after it are not known to be sorted. At most KN_PQ_MAX_SORTING_COLUMNS. */
void kn_sorting_columns_set(kn_pq_options *opt, const kn_schema *schema, const kn_schema *file_schema,
                            const size_t *cols, size_t n);

#endif
