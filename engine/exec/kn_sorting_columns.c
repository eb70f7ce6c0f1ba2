/* engine/exec/kn_sorting_columns.c: the sorted write's RowGroup.sorting_columns (kn_sorting_columns.h). */
#include "kn_sorting_columns.h"

#include <string.h>

void kn_sorting_columns_set(kn_pq_options *opt, const kn_schema *schema, const kn_schema *file_schema,
                            const size_t *cols, size_t n) {
    opt->num_sorting_columns = 0;
    if (!schema || !file_schema) return;
    for (size_t i = 0; i < n && opt->num_sorting_columns < KN_PQ_MAX_SORTING_COLUMNS; i++) {
        const char *name = schema->fields[cols[i]].name;
        long leaf = kn_schema_find(file_schema, name, strlen(name));
        if (leaf < 0) return;
        opt->sorting_columns[opt->num_sorting_columns++] = (kn_pq_sorting_column){(size_t)leaf, false, true};
    }
}
