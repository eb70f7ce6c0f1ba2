/* engine/exec/kn_part_stats.h: rows and raw bytes per partition folder, counted while the input
 * is read, so the write phase can plan each partition's files (kn_part_plan_files) before its
 * first row arrives. One entry per distinct folder: memory grows with the number of partitions
 * (a few dozen bytes plus the path each), not with rows. */
#ifndef KN_PART_STATS_H
#define KN_PART_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

/* The counts of one folder path ("" when not partitioned). */
typedef struct kn_part_stat {
    uint64_t rows;
    uint64_t raw_bytes;  /* PLAIN size of its rows (kn_row_plain_bytes) */
} kn_part_stat;

typedef struct kn_part_stats kn_part_stats;

kn_status kn_part_stats_create(kn_part_stats **out, kn_error *err);
/* Adds `rows` and `raw_bytes` to the folder `path` (`len` bytes, copied on first sight). Fails
 * with KN_E_NOMEM, counting nothing. */
kn_status kn_part_stats_add(kn_part_stats *ps, const uint8_t *path, size_t len, uint64_t rows,
                            uint64_t raw_bytes, kn_error *err);
/* The counts of `path` (borrowed for the call), or NULL. The pointer is the table's, valid until
 * the next kn_part_stats_add or free. */
const kn_part_stat *kn_part_stats_find(const kn_part_stats *ps, const uint8_t *path, size_t len);
size_t kn_part_stats_count(const kn_part_stats *ps);
/* Accepts NULL. */
void kn_part_stats_free(kn_part_stats *ps);

#endif
