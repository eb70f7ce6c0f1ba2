/* engine/exec/kn_col_copy.h: a batch with its sort keys (the row copies and byte measures that
 * lived here are kernels now: kn_gather.h, kn_batch_bytes.h). */
#ifndef KN_COL_COPY_H
#define KN_COL_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "kn_batch_bytes.h"
#include "kn_buf.h"
#include "kn_column.h"
#include "kn_gather.h"
#include "kn_status.h"

/* A batch together with one memcmp-able sort key per row (kn_sort_key.h). The keys of row i are
 * keys.data[key_offs[i] .. key_offs[i+1]). */
typedef struct kn_keyed_batch {
    kn_batch *batch;    /* owned */
    kn_buf keys;        /* owned */
    uint32_t *key_offs; /* owned; room for cap_offs entries */
    size_t cap_offs;
} kn_keyed_batch;

/* Makes room for `n` + 1 key offsets. */
kn_status kn__keyed_reserve_offs(kn_keyed_batch *kb, size_t n, kn_error *err);
/* Frees what `kb` owns and zeroes it. Accepts a zeroed struct. */
void kn__keyed_release(kn_keyed_batch *kb);
/* Memory held by the batch, its keys and offsets. */
size_t kn__keyed_mem_bytes(const kn_keyed_batch *kb);

#endif
