/* kernels/kn_select.c: keeping some rows of a column in place (kn_select.h). */
#include "kn_select.h"

#include <string.h>

void kn_column_select(kn_column *c, const uint32_t *keep, size_t n) {
    size_t w = kn_type_width(c->type);
    if (w) {
        uint8_t *v = c->values;
        for (size_t i = 0; i < n; i++)
            if (keep[i] != i) memcpy(v + i * w, v + (size_t)keep[i] * w, w);
    } else {
        /* Rows only move down, so each string's bytes move to where earlier ones ended. */
        uint32_t out = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = c->offsets[keep[i]], b = c->offsets[keep[i] + 1];
            if (a != out) memmove(c->bytes.data + out, c->bytes.data + a, b - a);
            c->offsets[i] = out;
            out += b - a;
        }
        c->offsets[n] = out;
        c->bytes.len = out;
    }
    if (c->validity) {
        size_t nulls = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = keep[i];
            bool valid = (c->validity[k >> 3] >> (k & 7)) & 1u;
            if (valid) c->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
            else c->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
            nulls += !valid;
        }
        c->null_count = nulls;
    }
    c->length = n;
}

void kn_batch_select(kn_batch *b, const uint32_t *keep, size_t n) {
    for (size_t f = 0; f < b->schema->num_fields; f++) kn_column_select(&b->columns[f], keep, n);
    b->num_rows = n;
}
