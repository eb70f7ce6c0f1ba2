/* engine/exec/kn_part_buckets.h: the partitioned write when folders are many and their rows
 * interleaved (an hourly key over random times: each morsel holds a row or two of thousands of
 * folders), where queueing every folder's rows morsel by morsel (kn_part_pipeline.h) costs more
 * than the rows themselves. The rows are spilled once by bucket, then regrouped by folder.
 *
 * Two phases, each on every thread, on the run's scheduler (kn_sched.h):
 *   1. spill: a morsel's parse groups its rows by bucket (kn_part_bucket_of: a hash of the
 *      folder path), then by folder; its parse thread writes each bucket's rows as one spill
 *      block, beside it the block's folder list (folder, rows), to its own spill run. Accept,
 *      in input order, numbers new folders and appends the blocks to their buckets.
 *   2. regroup, once the input has ended: each bucket is taken by one thread. Its blocks are
 *      read back in input order into one batch, its rows put in folder order by a column-wise
 *      gather, and each folder's rows cut into row groups, encoded and written; its file is
 *      closed after its last.
 *
 * Why the bytes are those of kn_part_pipeline.h: each folder's row groups are cut greedily from
 * its rows in input order by the same estimate (kn_pq_rowgroup.h), each chunk made by the same
 * column writer calls on the same rows, and a folder's row groups reach its files in order; the
 * files are named at the end in folder order (kn_part_sink.h). Threads, morsel size, memory and
 * the bucket count change only when and where that happens.
 *
 * Memory: phase 1 holds the window's parsed morsels and a write buffer per spill run. Phase 2
 * holds per thread one bucket twice (read back, then in folder order) and one row group's
 * chunks. Each regroup takes `memory_bytes` / (4 x threads) at most: a bucket that holds more
 * (a skewed hash, or a folder with most of the rows) is taken in passes over ranges of its
 * folders, and a folder larger than that on its own is cut into row groups as its rows are
 * read back, keeping at most a row group's rows and one block. kn_part_buckets_count picks the
 * bucket count so that one pass is the rule. Beside that: per folder a few words, and its path. */
#ifndef KN_PART_BUCKETS_H
#define KN_PART_BUCKETS_H

#include <stdint.h>

#include "kn_part_pipeline.h"

/* The bucket of a folder path, in [0, buckets). */
size_t kn_part_bucket_of(const uint8_t *path, size_t len, size_t buckets);

/* Buckets for `input_bytes` of input (0: unknown), so that a bucket's rows fit one regroup. */
size_t kn_part_buckets_count(uint64_t input_bytes, uint64_t memory_bytes, int threads);

typedef struct kn_part_buckets_options {
    size_t buckets; /* >= 1 */
    /* As for kn_part_pipeline_run (column_bytes unused); parse must put the groups of one
     * bucket together, buckets in increasing order (kn_part_bucket_of with `buckets`), and
     * within a bucket each folder's rows together in input order. ops.write and ops.close are
     * called one at a time, from any thread, once the input has ended; `part` numbers folders
     * in the order accept first sees them (a morsel's in bucket order). */
    kn_part_pipeline_options run;
} kn_part_buckets_options;

typedef struct kn_part_buckets_stats {
    uint64_t spill_runs, spill_bytes;
    uint64_t passes; /* regroups: one per bucket, more for a bucket past its share */
} kn_part_buckets_stats;

/* Runs to the end of the input or the first failure (whose status and `err` it returns). The
 * spill's files are gone when it returns. */
kn_status kn_part_buckets_run(const kn_part_buckets_options *opt, kn_part_buckets_stats *stats, kn_error *err);

#endif
