/* engine/exec/kn_pipeline.h: the streaming write's row groups: morsels parsed on every thread
 * go, strictly in morsel order, into row groups whose column chunks are encoded on any thread
 * and appended to the files strictly in order. An output on the run's scheduler (kn_sched.h),
 * whose loop gives every thread the first of:
 *   drain:  write the next row group in file order if all its columns are finished (one writer
 *           at a time; the I/O runs outside the lock);
 *   accept: the next morsel in input order, if it is parsed: the caller's accept callback
 *           (rejects, counts, progress), then the batch's rows go to the open row group as
 *           slices, and the row group is sealed when it reaches row_group_bytes;
 *   work:   encode: feed a column the slices it has not read yet, or, once its row group is
 *           sealed and read, finish its chunk into the row group. Each column has one chunk
 *           writer (kn_pq_colenc) that goes from row group to row group, used by one thread at
 *           a time; the column furthest behind goes first, so batches are let go soon;
 *   parse:  the next morsel, if it is within `window` morsels of the next to accept and a
 *           batch is free.
 *
 * Why this gives the same bytes whatever the thread count: morsels are accepted in input order
 * and row groups are cut on a row estimate that ignores batch boundaries (kn_pq_rowgroup.h), so
 * each row group holds the same rows; each column's writer sees those rows in the same order, in
 * whatever slices; and row groups reach the files in order. Only the moment each step happens
 * depends on the threads.
 *
 * Memory is bounded: there are at most window + threads batches, each parsed ahead and waiting
 * for its turn (at most `window` of them) or handed over and kept until every column has read
 * its slices (columns are encoded as rows arrive, so usually only a few); when every batch is
 * in use, parsing waits for the columns to catch up. Beside them: one chunk writer per column
 * (pages, dictionary, the chunk's compressed bytes so far) and the finished chunks of at most
 * `row_groups` row groups. Batches are pooled: one whose rows every column has read is cleared
 * and parsed into again, so memory is reused instead of allocated per morsel (fresh pages cost a
 * page fault and a clear each, which shows on a virtual machine).
 *
 * Rows of one column are encoded in order by one thread at a time; different columns on
 * different threads at once. */
#ifndef KN_PIPELINE_H
#define KN_PIPELINE_H

#include <stddef.h>

#include "kn_column.h"
#include "kn_profile.h"
#include "kn_pq_rowgroup.h"
#include "kn_sched.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef struct kn_pipeline_ops {
    void *ctx;
    /* Any thread; `thread` in [0, threads), `slot` in [0, window) (morsel m uses slot
     * m % window, so the caller can keep per-morsel results there). Parses morsel `m` into
     * `batch` (empty; owned by the pipeline). Failures are kept in the slot and reported by
     * accept, so they surface in input order. Returns false when there is no morsel m (an
     * open count: the input ended before it). */
    bool (*parse)(void *ctx, int thread, size_t m, size_t slot, kn_batch *batch);
    /* One call at a time, morsels in order. Returns KN_OK to send every row of `batch` to the
     * files, or a failure (with `err` filled) that stops the run. It may parse the morsel
     * into `batch` again first (a format whose morsel start was a wrong guess). */
    kn_status (*accept)(void *ctx, size_t m, size_t slot, kn_batch *batch, kn_error *err);
    /* One call at a time, row groups in order: appends the encoded row group to the files. */
    kn_status (*write)(void *ctx, const kn_pq_rowgroup *rg, kn_error *err);
} kn_pipeline_ops;

typedef struct kn_pipeline_options {
    size_t num_morsels;            /* KN_SCHED_OPEN: parse finds the end */
    int threads;                   /* >= 1 */
    size_t window;                 /* morsels parsed ahead of the next to accept, at most; >= 1;
                                      batches number window + threads at most */
    size_t row_groups;             /* row groups open, sealed or waiting to be written; >= 2 */
    const kn_schema *batch_schema; /* borrowed: the schema of the batches parse fills */
    const kn_pq_layout *layout;    /* borrowed: the files' columns and row group size */
    kn_profile *profile;           /* borrowed; may be NULL: encode, compress, write, idle */
    kn_pipeline_ops ops;
} kn_pipeline_options;

/* Runs to the end of the input or the first failure (whose status and `err` it returns; the
 * other threads finish what they hold and stop). */
kn_status kn_pipeline_run(const kn_pipeline_options *opt, kn_error *err);

#endif
