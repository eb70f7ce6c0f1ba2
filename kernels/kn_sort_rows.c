/* kernels/kn_sort_rows.c: sorting one keyed batch (kn_sort_rows.h). */
#include "kn_sort_rows.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_gather.h"

/* A row and 8 bytes of its key taken just past the prefix every key of the batch shares (keys
 * of one batch often start alike: "region=eu-west/year=2024/"), big-endian, so most comparisons
 * end on one integer compare. */
typedef struct entry {
    uint64_t prefix;
    uint32_t row;
} entry;

typedef struct sort_ctx {
    const kn_keyed_batch *kb;
    size_t lcp; /* bytes every key shares with row 0's */
} sort_ctx;

static inline bool entry_less(const sort_ctx *c, const entry *a, const entry *b) {
    if (a->prefix != b->prefix) return a->prefix < b->prefix;
    const uint32_t *o = c->kb->key_offs;
    const uint8_t *k = c->kb->keys.data;
    size_t al = o[a->row + 1] - o[a->row] - c->lcp, bl = o[b->row + 1] - o[b->row] - c->lcp;
    int r = memcmp(k + o[a->row] + c->lcp, k + o[b->row] + c->lcp, al < bl ? al : bl);
    return r ? r < 0 : al < bl;
}

static kn_status sort_entries(const sort_ctx *c, entry *a, size_t n, kn_error *err) {
    const size_t small = 16;
    for (size_t lo = 0; lo < n; lo += small) {
        size_t hi = lo + small < n ? lo + small : n;
        for (size_t i = lo + 1; i < hi; i++) {
            entry x = a[i];
            size_t j = i;
            while (j > lo && entry_less(c, &x, &a[j - 1])) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
    }
    if (n <= small) return KN_OK;
    /* Bottom-up merge sort: O(n log n) whatever the input, its buffer counted by kn_alloc (the C
     * library's qsort may allocate behind the allocator's back). */
    entry *tmp = kn_malloc(n * sizeof *tmp);
    if (!tmp) return kn_error_set(err, KN_E_NOMEM, "out of memory sorting %zu rows", n);
    entry *from = a, *to = tmp;
    for (size_t width = small; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            if (mid < hi && !entry_less(c, &from[mid], &from[mid - 1])) {
                /* Already in order (common: input sorted by the key). */
                memcpy(to + lo, from + lo, (hi - lo) * sizeof *to);
                continue;
            }
            while (i < mid && j < hi) to[k++] = entry_less(c, &from[j], &from[i]) ? from[j++] : from[i++];
            while (i < mid) to[k++] = from[i++];
            while (j < hi) to[k++] = from[j++];
        }
        entry *t = from;
        from = to;
        to = t;
    }
    if (from != a) memcpy(a, from, n * sizeof *a);
    kn_free(tmp);
    return KN_OK;
}

kn_status kn_sort_rows(const kn_keyed_batch *in, kn_keyed_batch *out, kn_error *err) {
    const kn_batch *b = in->batch;
    size_t n = b->num_rows;
    if (!out->batch) KN_TRY(kn_batch_create(b->schema, n ? n : 1, &out->batch, err));
    kn_batch_clear(out->batch);
    kn_buf_clear(&out->keys);
    KN_TRY(kn_keyed_batch_reserve_offs(out, n, err));
    out->key_offs[0] = 0;
    if (n == 0) return KN_OK;

    sort_ctx c = {in, 0};
    const uint32_t *o = in->key_offs;
    const uint8_t *k = in->keys.data;
    c.lcp = o[1] - o[0];
    for (size_t r = 1; r < n && c.lcp; r++) {
        size_t len = o[r + 1] - o[r], i = 0, max = len < c.lcp ? len : c.lcp;
        while (i < max && k[o[r] + i] == k[o[0] + i]) i++;
        c.lcp = i;
    }
    entry *e = kn_malloc(n * sizeof *e);
    if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory sorting %zu rows", n);
    for (size_t r = 0; r < n; r++) {
        uint64_t v = 0;
        size_t len = o[r + 1] - o[r];
        for (size_t i = 0; i < 8; i++) v = (v << 8) | (c.lcp + i < len ? k[o[r] + c.lcp + i] : 0);
        e[r] = (entry){v, (uint32_t)r};
    }
    kn_status st = sort_entries(&c, e, n, err);
    /* The rows in order, gathered column by column (one pass per column, not a call per value). */
    uint32_t *order = st == KN_OK ? kn_malloc(n * sizeof *order) : NULL;
    if (st == KN_OK && !order) st = kn_error_set(err, KN_E_NOMEM, "out of memory sorting %zu rows", n);
    for (size_t i = 0; st == KN_OK && i < n; i++) order[i] = e[i].row;
    if (st == KN_OK) st = kn_batch_gather(out->batch, b, order, n, NULL, err);
    if (st == KN_OK && !kn_buf_reserve(&out->keys, in->keys.len)) st = kn_error_set(err, KN_E_NOMEM, "out of memory sorting rows");
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        uint32_t r = order[i];
        kn_buf_append(&out->keys, k + o[r], o[r + 1] - o[r]); /* reserved above */
        out->key_offs[i + 1] = (uint32_t)out->keys.len;
    }
    kn_free(order);
    kn_free(e);
    return st;
}
