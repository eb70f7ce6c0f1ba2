/* engine/exec/kn_part_stats.c: rows and raw bytes per folder path (kn_part_stats.h). The paths
 * live in a kernel hash table, which numbers them; the counts sit in an array by that number. */
#include "kn_part_stats.h"

#include "kn_alloc.h"
#include "kn_hash_table.h"

struct kn_part_stats {
    kn_hash_table *paths;
    kn_part_stat *stats; /* by the path's index in `paths` */
    size_t cap;
};

kn_status kn_part_stats_create(kn_part_stats **out, kn_error *err) {
    *out = NULL;
    kn_part_stats *ps = kn_calloc(1, sizeof *ps);
    if (!ps) return kn_error_set(err, KN_E_NOMEM, "out of memory for partition counts");
    kn_status st = kn_hash_table_create(32, &ps->paths, err);
    if (st != KN_OK) {
        kn_free(ps);
        return st;
    }
    *out = ps;
    return KN_OK;
}

kn_status kn_part_stats_add(kn_part_stats *ps, const uint8_t *path, size_t len, uint64_t rows,
                            uint64_t raw_bytes, kn_error *err) {
    /* Room for one more path's counts first, so a failure leaves no path without counts. */
    if (kn_hash_table_count(ps->paths) == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 32;
        kn_part_stat *s = kn_realloc(ps->stats, cap * sizeof *s);
        if (!s) return kn_error_set(err, KN_E_NOMEM, "out of memory for partition counts");
        ps->stats = s;
        ps->cap = cap;
    }
    size_t i;
    bool inserted;
    KN_TRY(kn_hash_table_insert(ps->paths, path, len, &i, &inserted, err));
    if (inserted) ps->stats[i] = (kn_part_stat){0, 0};
    ps->stats[i].rows += rows;
    ps->stats[i].raw_bytes += raw_bytes;
    return KN_OK;
}

const kn_part_stat *kn_part_stats_find(const kn_part_stats *ps, const uint8_t *path, size_t len) {
    size_t i;
    return kn_hash_table_find(ps->paths, path, len, &i) ? &ps->stats[i] : NULL;
}

size_t kn_part_stats_count(const kn_part_stats *ps) { return kn_hash_table_count(ps->paths); }

void kn_part_stats_free(kn_part_stats *ps) {
    if (!ps) return;
    kn_hash_table_free(ps->paths);
    kn_free(ps->stats);
    kn_free(ps);
}
