/* engine/exec/kn_part_route.h: groups the rows of one batch by Hive partition folder, for the
 * streaming partitioned write (its scheduler hands each group to that folder's writer).
 *
 * Formatting a folder path as text for every row is the slow part of partitioning, so the router
 * reads each row's partition values as a compact binary "value key", finds it in a hash table,
 * and formats a path only the first time a value key shows up in the batch. Distinct value keys
 * that print the same folder (0.0 and -0.0, a null and an empty string, NaN payloads) are merged
 * by path, so every group has its own folder. Tables are kept between calls, so a router costs no
 * allocation once it has seen its largest batch.
 *
 * Not thread-safe: one router per thread. */
#ifndef KN_PART_ROUTE_H
#define KN_PART_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_partition.h"
#include "kn_status.h"

typedef struct kn_part_router kn_part_router;

/* `spec` borrowed; must outlive the router. One router per thread. Fails with KN_E_NOMEM. */
kn_status kn_part_router_create(const kn_part_spec *spec, kn_part_router **out, kn_error *err);
void kn_part_router_free(kn_part_router *rt); /* accepts NULL */

/* Groups the rows of `b` (borrowed for the call) by folder path. Replaces the last grouping.
 * Fails with KN_E_INTERNAL when a key's column is missing from `b`, has another type than the
 * spec's source type, or is shorter than b->num_rows, or when `b` has 2^32 rows or more; with
 * KN_E_NOMEM when memory runs out. After a failure the router holds no groups. */
kn_status kn_part_route(kn_part_router *rt, const kn_batch *b, kn_error *err);

/* Groups of the last kn_part_route: 0 for 0 rows; 1 for an empty spec. */
size_t kn_part_route_groups(const kn_part_router *rt);

/* Group g, groups numbered in the order of each group's first row: its folder path exactly as
 * kn_part_path_append(spec, b, row, 0, ...) makes it for any of its rows ("year=2024/month=3/"),
 * and its row indexes in increasing (input) order. Pointers valid until the next kn_part_route
 * or free. */
void kn_part_route_group(const kn_part_router *rt, size_t g, const uint8_t **path, size_t *len,
                         const uint32_t **rows, size_t *n);

#endif
