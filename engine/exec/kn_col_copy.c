/* engine/exec/kn_col_copy.c: a keyed batch's offsets and memory (kn_col_copy.h). */
#include "kn_col_copy.h"

#include <string.h>

#include "kn_alloc.h"

kn_status kn__keyed_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err) {
    if (n + 1 <= kb->cap_offs) return KN_OK;
    size_t cap = kb->cap_offs ? kb->cap_offs : 256;
    while (cap < n + 1) cap *= 2;
    uint32_t *o = kn_realloc(kb->key_offs, cap * sizeof *o);
    if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory for sort keys");
    kb->key_offs = o;
    kb->cap_offs = cap;
    return KN_OK;
}

void kn__keyed_release(kn_keyed_batch *kb) {
    kn_batch_free(kb->batch);
    kn_buf_free(&kb->keys);
    kn_free(kb->key_offs);
    memset(kb, 0, sizeof *kb);
}

size_t kn__keyed_mem_bytes(const kn_keyed_batch *kb) {
    return (kb->batch ? kn_batch_mem_bytes(kb->batch) : 0) + kb->keys.cap + kb->cap_offs * sizeof(uint32_t);
}
