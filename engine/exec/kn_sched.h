/* engine/exec/kn_sched.h: the run's one scheduler: morsels parsed on every thread, taken in
 * input order, and the output's own work (encoding, writing) on any thread in between.
 *
 * Every write path is an output on this loop (kn_pipeline.h: row groups in input order;
 * kn_part_pipeline.h: one row group per folder; kn_write_sorted.c: sorted morsels into an
 * external sort). The scheduler owns what they share: the threads, one lock and condition, a
 * window of morsel slots, the in-order hand-over, the first failure, and idle time. An output
 * owns what it puts in the slots (batches, keys, split folders) and its own work queue.
 *
 * Every thread runs the same loop under the lock, taking the first of these it can:
 *   1. drain: the output's work that must follow order or gives memory back (writing the next
 *      row group to its file), so earlier work never waits behind new input;
 *   2. accept the next morsel in input order, if it is parsed and the output can take it now
 *      (one acceptor at a time; an output may take a morsel in several goes, *done false,
 *      when it runs out of room part way);
 *   3. work: the output's other work on accepted rows (encoding a column);
 *   4. parse the next morsel, if it is within `window` of the next to accept and the output
 *      has room for it (reserve);
 *   otherwise wait. A morsel parsed early is parked in its slot, never waited for.
 * The callbacks marked "lock held" may let go of it around work that takes time
 * (kn_sched_unlock, then kn_sched_lock before returning); the others run without it.
 *
 * Why output does not depend on the thread count: morsels are accepted strictly in input order,
 * and what an output decides (which rows go in which row group or file) it decides in accept,
 * from the rows alone. Threads only change when each step happens.
 *
 * The number of morsels may be open (KN_SCHED_OPEN) when inputs are read front to back and cut
 * as they come: parse then says, by returning false, that morsel m does not exist, and the run
 * ends after morsel m - 1. Morsels are handed to parse in order, so the one that finds the end
 * is the first past it. */
#ifndef KN_SCHED_H
#define KN_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_profile.h"
#include "kn_status.h"

typedef struct kn_sched kn_sched;

#define KN_SCHED_OPEN SIZE_MAX

typedef struct kn_sched_ops {
    void *ctx;
    /* Lock held. Takes what parsing one more morsel into slot `slot` needs (a pooled batch),
     * or returns false to hold parsing back until some of it is given back. NULL: always room. */
    bool (*reserve)(void *ctx, size_t slot);
    /* Any thread, lock not held; `thread` in [0, threads), `slot` = m % window. Parses morsel
     * m into the slot. Failures are the output's to keep in the slot and report in accept, so
     * they surface in input order. Returns false when there is no morsel m (open count only):
     * the input ended before it. */
    bool (*parse)(void *ctx, kn_sched *s, int thread, size_t m, size_t slot);
    /* Lock held; one call at a time, morsels in order. Takes morsel m's rows, all of them
     * (*done) or as many as there is room for (*done false: called again once can_accept says
     * so). A failure stops the run. */
    kn_status (*accept)(void *ctx, kn_sched *s, size_t m, size_t slot, bool *done, kn_error *err);
    /* Lock held: can accept make progress on morsel m now? NULL: yes. */
    bool (*can_accept)(void *ctx, size_t m, size_t slot);
    /* Lock held: the output's ordered or memory-freeing work (NULL: none). Sets *did when it
     * did some; a failure stops the run. */
    kn_status (*drain)(void *ctx, kn_sched *s, int thread, bool *did, kn_error *err);
    /* Lock held: the output's other work (NULL: none), as drain. */
    kn_status (*work)(void *ctx, kn_sched *s, int thread, bool *did, kn_error *err);
    /* Lock held, once, when every morsel is accepted: what the input's end means to the output
     * (the last row groups are complete). NULL: nothing. */
    kn_status (*input_end)(void *ctx, kn_error *err);
    /* Lock held, after input_end: has the output nothing left to do? NULL: yes. */
    bool (*finished)(void *ctx);
} kn_sched_ops;

typedef struct kn_sched_options {
    size_t num_morsels;  /* KN_SCHED_OPEN: parse finds the end */
    int threads;         /* >= 1 */
    size_t window;       /* morsels parsed ahead of the next to accept, at most; >= 1 */
    kn_profile *profile; /* borrowed; may be NULL: the wait time of each thread (idle) */
    kn_sched_ops ops;
} kn_sched_options;

/* Runs to the end of the input and the output's work, the first failure (whose status and
 * `err` it returns; the other threads finish the step they are in and stop), or
 * kn_sched_stop. */
kn_status kn_sched_run(const kn_sched_options *opt, kn_error *err);

/* From a callback that was called with the lock held: let go of it, and take it again. */
void kn_sched_unlock(kn_sched *s);
void kn_sched_lock(kn_sched *s);

/* Lock held: ends the run early without a failure (an output that cannot go on and leaves the
 * decision to its caller). */
void kn_sched_stop(kn_sched *s);

#endif
