/* kernels/kn_batch_bytes.c: byte measures of batches (kn_batch_bytes.h). */
#include "kn_batch_bytes.h"

uint64_t kn_rows_plain_bytes(const kn_batch *b, size_t row, size_t n) {
    uint64_t total = 0;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        total += width ? (uint64_t)width * n : 4u * (uint64_t)n + (uint64_t)(col->offsets[row + n] - col->offsets[row]);
    }
    return total;
}

size_t kn_batch_mem_bytes(const kn_batch *b) {
    size_t total = sizeof *b + b->schema->num_fields * sizeof *b->columns;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        total += width ? col->capacity * width : (col->capacity + 1) * sizeof(uint32_t);
        total += col->bytes.cap;
        if (col->validity) total += (col->capacity + 7) / 8;
    }
    return total;
}

uint64_t kn_row_plain_bytes(const kn_batch *b, size_t row) {
    uint64_t total = 0;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        const kn_column *col = &b->columns[c];
        size_t width = kn_type_width(col->type);
        total += width ? width : 4u + (uint64_t)(col->offsets[row + 1] - col->offsets[row]);
    }
    return total;
}

size_t kn_col_max_string(const kn_column *col) {
    if (col->type.id != KN_TYPE_STRING) return 0;
    /* Four independent maxima (the loop runs over every string of every batch): no chain of
     * compares waiting on each other. */
    const uint32_t *o = col->offsets;
    uint32_t m[4] = {0, 0, 0, 0};
    size_t i = 0, n = col->length;
    for (; i + 4 <= n; i += 4)
        for (size_t k = 0; k < 4; k++) {
            uint32_t len = o[i + k + 1] - o[i + k];
            m[k] = len > m[k] ? len : m[k];
        }
    for (; i < n; i++) {
        uint32_t len = o[i + 1] - o[i];
        m[0] = len > m[0] ? len : m[0];
    }
    uint32_t best = m[0] > m[1] ? m[0] : m[1], best2 = m[2] > m[3] ? m[2] : m[3];
    return best > best2 ? best : best2;
}
