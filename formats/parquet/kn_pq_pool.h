/* formats/parquet/kn_pq_pool.h: a few helper threads that run one function over the indexes
 * 0..n-1 together with the calling thread: how the file writer encodes a batch's columns on
 * several threads (kn_pq_options.threads).
 *
 * Plain threads that sleep on a condition variable between jobs, not an OpenMP team: OpenMP's
 * default is to spin between parallel regions, and the writer's jobs come every few hundred
 * microseconds from a serial caller (the clustered merge), so spinning helpers would take a
 * core from the caller on a busy machine. A job returns only when every index has run, so what
 * the function wrote is visible to the caller afterwards. One caller at a time. */
#ifndef KN_PQ_POOL_H
#define KN_PQ_POOL_H

#include <stddef.h>

#include "kn_status.h"

typedef struct kn_pq_pool kn_pq_pool;

/* `helpers` threads besides the caller (>= 1). */
kn_status kn_pq_pool_create(int helpers, kn_pq_pool **out, kn_error *err);
/* Stops and joins the helpers. Accepts NULL. */
void kn_pq_pool_free(kn_pq_pool *p);
/* Runs fn(ctx, i) once for every i in [0, n), on the caller and the helpers, and returns when
 * all have returned. */
void kn_pq_pool_run(kn_pq_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

#endif
