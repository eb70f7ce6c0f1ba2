/* engine/exec/kn_part_pipeline.h: the streaming partitioned write's row groups: parse morsels on
 * every thread into one batch per partition folder, hand those to each partition's open row
 * group strictly in morsel order, encode sealed row groups' columns on any thread, and append
 * each partition's row groups to its own file in order.
 *
 * This is how `--partition-by` runs when the partitions are few (kn_convert.h): no sort and no
 * spill, every row read once and copied once (into its partition's batch, on the parse thread).
 * Past `max_partitions` distinct folders the run reports an overflow and the caller falls back
 * to the external sort, which holds one file open at a time whatever the partition count.
 *
 * An output on the run's scheduler (kn_sched.h), whose loop gives every thread the first of:
 *   drain:  write an encoded row group if it is the next of its partition (one writer at a
 *           time; the I/O runs outside the lock);
 *   accept: the next morsel in input order, if it is parsed: the caller's accept callback
 *           (rejects, counts, progress), then each of the morsel's partition batches goes to
 *           its partition's open row group, which is sealed when it reaches row_group_bytes;
 *           then, while the open row groups together hold more than `open_bytes` (their rows'
 *           PLAIN size), the largest is sealed early;
 *   work:   encode a column of the oldest sealed row group (kn_pq_rowgroup_encode, with the
 *           thread's own encoder); once every column is done its batches are freed;
 *   parse:  the next morsel, if it is within `window` morsels of the next to accept.
 *
 * Why the bytes do not depend on the thread count: partitions are numbered, row groups filled
 * and sealed (by size or by the open-bytes rule) only in the accept step, in input order, from
 * the rows alone; each row group is encoded whole from the same rows; a partition's row groups
 * reach its file in order. Only when each step happens depends on the threads.
 *
 * Memory: the open row groups' rows (at most open_bytes of PLAIN size, plus one morsel),
 * sealed row groups not yet written (accepting waits while they hold more than open_bytes / 2
 * or number more than 2 x threads + 2, so at least one is always allowed), the parsed morsels
 * in the window, one column encoder per thread, and per partition its open file's footer
 * metadata. */
#ifndef KN_PART_PIPELINE_H
#define KN_PART_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_profile.h"
#include "kn_pq_rowgroup.h"
#include "kn_sched.h"
#include "kn_status.h"

/* One morsel's rows, split by partition folder. Filled by the parse callback through
 * kn_part_morsel_add; the pipeline takes the batches at accept and frees them once encoded. */
typedef struct kn_part_morsel_group {
    size_t path_off, path_len; /* the folder, in `paths` */
    kn_batch *batch;           /* owned: the folder's rows, in the files' schema */
} kn_part_morsel_group;

typedef struct kn_part_morsel {
    kn_part_morsel_group *groups;
    size_t num_groups, cap_groups;
    kn_buf paths;
    bool too_many; /* set by parse instead of groups when the morsel alone has more folders
                      than max_partitions: the run stops at it, as routing would, without the
                      cost of splitting it */
} kn_part_morsel;

/* Adds a group: `path` is copied; `batch` is taken (freed by the pipeline, also on failure). */
kn_status kn_part_morsel_add(kn_part_morsel *pm, const uint8_t *path, size_t len, kn_batch *batch,
                             kn_error *err);

/* Frees the groups' batches and empties `pm`, keeping its memory. */
void kn_part_morsel_clear(kn_part_morsel *pm);

typedef struct kn_part_pipeline_ops {
    void *ctx;
    /* Any thread; `thread` in [0, threads), `slot` in [0, window) (morsel m uses slot
     * m % window). Parses morsel `m` into `out` (empty). Failures are kept in the slot by the
     * caller and reported by accept, so they surface in input order. Returns false when there
     * is no morsel m (an open count: the input ended before it). */
    bool (*parse)(void *ctx, int thread, size_t m, size_t slot, kn_part_morsel *out);
    /* One call at a time, morsels in order. Returns KN_OK to send the morsel's rows to the
     * files, or a failure (with `err` filled) that stops the run. It may empty `pm`
     * (kn_part_morsel_clear) and parse the morsel into it again first (a format whose morsel
     * start was a wrong guess). */
    kn_status (*accept)(void *ctx, size_t m, size_t slot, kn_part_morsel *pm, kn_error *err);
    /* One call at a time; each partition's row groups in order. `part` numbers folders in the
     * order they first appear in the input; `path` is borrowed. */
    kn_status (*write)(void *ctx, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                       kn_error *err);
} kn_part_pipeline_ops;

typedef struct kn_part_pipeline_options {
    size_t num_morsels;         /* KN_SCHED_OPEN: parse finds the end */
    int threads;                /* >= 1 */
    size_t window;              /* morsels parsed ahead of the next to accept, at most; >= 1 */
    const kn_pq_layout *layout; /* borrowed: the files' columns and row group size */
    size_t max_partitions;      /* more distinct folders than this: stop with *overflow */
    uint64_t open_bytes;        /* PLAIN bytes the open row groups may hold together */
    kn_profile *profile;        /* borrowed; may be NULL: encode, compress, write, idle */
    kn_part_pipeline_ops ops;
} kn_part_pipeline_options;

/* Runs to the end of the input, the first failure (whose status and `err` it returns; the
 * other threads finish what they hold and stop), or the first morsel whose folders would pass
 * max_partitions: then it stops the same way, sets *overflow and returns KN_OK, and what was
 * written is for the caller to discard. */
kn_status kn_part_pipeline_run(const kn_part_pipeline_options *opt, bool *overflow, kn_error *err);

#endif
