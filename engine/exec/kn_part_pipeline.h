/* engine/exec/kn_part_pipeline.h: the partitioned write's row groups, at any number of folders:
 * parse morsels on every thread into their rows grouped by folder; in morsel order, queue each
 * folder's rows; encode each folder's rows into row groups on any thread, and append each
 * folder's row groups to its own files in order.
 *
 * This is how `--partition-by` runs without `--sort-by` or `--slices` (kn_convert.h), from one
 * folder to hundreds of thousands: no sort, no run that starts over, every step on every core.
 *
 * A folder's rows are a queue of pieces in input order: ranges of the morsels' batches held in
 * memory, or segments of spill runs (kn_part_spill.h). A folder's rows take one of two ways
 * into its row groups, which give the same bytes:
 *   - promoted: once a folder has queued a 32nd of a row group, and the promoted folders'
 *     encoders hold less than half of `memory_bytes`, it gets one lean column encoder per
 *     column (kn_pq_colenc_create_lean) and from then on a feed job hands its queue to them as
 *     rows come, any thread, one job per folder at a time. A row group is sealed as it fills.
 *     While the encoders hold more than their half, finished pages of the folder being fed move
 *     to the spill and come back when its row group is sealed; while what cannot move (pages in
 *     progress, dictionaries) passes the half, the folders promoted last fall asleep one by one:
 *     their rows wait in their queues, and spill with the others, until the input ends, while
 *     their finished pages move to the spill and their dictionaries' hash tables go
 *     (kn_pq_colenc_sleep; built again from the entries at their next feed).
 *   - queued: a folder's rows wait in its queue until they reach the row group size (the PLAIN
 *     estimate kn_pq_rowgroup.h cuts on); then a job takes the front of the queue, reads back
 *     what was spilled, fills one row group exactly as a writer fed those rows would cut it and
 *     encodes its columns on any thread; what is left stays at the front.
 * Many small folders stay queued (an encoder per folder and column would not fit); a few large
 * ones are promoted, which keeps their rows out of the spill. When the input ends, every
 * folder's remaining rows make its last row groups, and a folder's file is closed after its last
 * one. So each folder gets row groups as large as its data allows, whatever the number of
 * folders, and its rows reach one file until it is full.
 *
 * Memory: when the morsels' batches held for queued rows pass `memory_bytes` / 4, the acceptor
 * spills every folder's queued rows that no job is using, one segment per folder, into a new
 * run; promoted folders' encoders hold about `memory_bytes` / 2 (each folder's, once promoted,
 * keeps growing to its largest even past that: the columns' pages in progress and dictionaries,
 * at most page_bytes + 5 x dictionary_page_bytes a column, until it falls asleep and keeps
 * only its dictionaries' entries and its pages in progress); row groups being filled, encoded or
 * waiting to be written hold their rows and chunks, and accepting waits while they number more
 * than 2 x threads + 2 or hold more than `memory_bytes` / 4 (so at least one always may), and
 * feeds wait while that many are on their way. Beside that: the parsed morsels in the window,
 * one column encoder per thread, per folder its queue's pieces (a few words each) and, while its
 * file is open, its footer so far.
 *
 * The scheduler (kn_sched.h) gives every thread the first of:
 *   drain:  write an encoded row group if it is the next of its folder (one writer at a time;
 *           the I/O runs outside the lock), and close the folder's file after its last;
 *   accept: the next morsel in input order: the caller's accept callback (rejects, counts,
 *           progress), then its folders' rows onto their queues, jobs for the folders to feed
 *           or whose queues reached a row group, and a spill run when memory is past its share;
 *   work:   encode a column of the oldest filled row group, or take the oldest job that may
 *           run: feed a promoted folder, or fill a queued folder's row group;
 *   parse:  the next morsel, within `window` of the next to accept.
 *
 * Why the bytes depend neither on the thread count, the morsel size nor the memory: a folder's
 * row groups are cut greedily from its rows in input order, whatever pieces they sit in, in
 * memory or spilled; each column's chunk is made by the same column writer calls on the same
 * rows, fed as they come or all at once, its pages kept or moved and brought back; a folder's
 * row groups reach its files in order; and the files are named at the end in folder order
 * (kn_part_sink.h). Only when each step happens, and which way a folder takes, depends on the
 * threads and the memory. */
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
#include "kn_store.h"

/* A folder's rows in a morsel: rows [row, row + n) of the morsel's batch. */
typedef struct kn_part_morsel_group {
    size_t path_off, path_len; /* the folder, in `paths` */
    size_t row, n;
} kn_part_morsel_group;

/* One morsel's rows grouped by folder. Filled by the parse callback; the pipeline takes the
 * batch at accept. */
typedef struct kn_part_morsel {
    kn_batch *batch; /* owned (NULL: no rows): the rows in the files' schema, each folder's
                        together, in input order within a folder */
    kn_part_morsel_group *groups;
    size_t num_groups, cap_groups;
    kn_buf paths;
    bool spilled; /* kn_part_buckets.h: its rows are in the spill already */
} kn_part_morsel;

/* Adds a group: `path` is copied. */
kn_status kn_part_morsel_add(kn_part_morsel *pm, const uint8_t *path, size_t len, size_t row, size_t n,
                             kn_error *err);

/* Frees the batch and empties `pm` (not spilled), keeping its arrays. */
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
    /* One call at a time; each folder's row groups in order. `part` numbers folders in the
     * order they first appear in the input; `path` is borrowed. */
    kn_status (*write)(void *ctx, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                       kn_error *err);
    /* One call at a time, after folder `part`'s last row group: its file is complete. */
    kn_status (*close)(void *ctx, size_t part, kn_error *err);
} kn_part_pipeline_ops;

typedef struct kn_part_pipeline_options {
    size_t num_morsels;         /* KN_SCHED_OPEN: parse finds the end */
    int threads;                /* >= 1 */
    size_t window;              /* morsels parsed ahead of the next to accept, at most; >= 1 */
    const kn_schema *schema;    /* borrowed: the files' schema (the batches parse makes) */
    const kn_pq_layout *layout; /* borrowed: the files' columns and row group size */
    uint64_t memory_bytes;      /* see above */
    uint64_t column_bytes;      /* what a folder's encoder of one column is assumed to hold
                                   until measured (0: 256 KiB) */
    kn_store *spill_store;      /* borrowed: where spill runs go */
    const char *spill_dir;      /* borrowed: the folder (the run's temporary folder) */
    kn_profile *profile;        /* borrowed; may be NULL: encode, compress, write, idle */
    kn_part_pipeline_ops ops;
} kn_part_pipeline_options;

typedef struct kn_part_pipeline_stats {
    uint64_t spill_runs, spill_bytes; /* rows queued and pages moved, together */
    uint64_t folders_promoted;        /* folders encoded as their rows came */
    uint64_t folders_waited;          /* of those, folders whose rows waited in their queues
                                         once the encoders held their share */
    uint64_t pages_moved_bytes;       /* of spill_bytes, promoted folders' encoded pages */
} kn_part_pipeline_stats;

/* Runs to the end of the input or the first failure (whose status and `err` it returns; the
 * other threads finish what they hold and stop). The spill's files are gone when it returns. */
kn_status kn_part_pipeline_run(const kn_part_pipeline_options *opt, kn_part_pipeline_stats *stats, kn_error *err);

#endif
