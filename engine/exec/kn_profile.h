/* engine/exec/kn_profile.h: where a run's time goes, stage by stage (`kiln convert --profile`).
 *
 * Each stage adds the thread CPU time (CLOCK_THREAD_CPUTIME_ID) its work took, on whichever
 * thread did it, into one relaxed atomic counter per stage; so the stages sum to the CPU time
 * spent in them, which may exceed the wall time on several cores. The one exception is "idle":
 * wall time threads spent waiting for work (a sign of a serial bottleneck). Counting costs two
 * clock reads per unit of work (a morsel, a column chunk, a page compressed, a row group written),
 * and nothing when profiling is off. */
#ifndef KN_PROFILE_H
#define KN_PROFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum kn_stage {
    KN_STAGE_READ = 0,  /* mapped inputs: pages handed back after parsing (MADV_DONTNEED); the
                           parser reads the mapping directly, so the page faults that bring the
                           input in are counted in parse. Streamed inputs: reading, decoding and
                           cutting their morsels */
    KN_STAGE_PARSE,     /* records to column batches (the format reader) */
    KN_STAGE_TRANSFORM, /* per-batch work between parse and encode: value checks against the
                           Parquet types, string lengths, partition/sort keys and the morsel sort */
    KN_STAGE_MERGE,     /* clustered runs: handing sorted batches to the sorter in input order,
                           counting partitions, spilling runs */
    KN_STAGE_ENCODE,    /* Parquet pages: levels, dictionaries, PLAIN values, statistics */
    KN_STAGE_COMPRESS,  /* the page codec */
    KN_STAGE_WRITE,     /* encoded row groups to the file sinks, in order, and closing files.
                           Clustered runs: the whole final phase (the k-way merge, copying rows
                           into the writer's batches, and the writer's encoding and compression
                           on every thread), as the process's CPU time while it runs */
    KN_STAGE_IDLE,      /* wall time a thread waited for work, or for its turn to take a
                           streamed input's next morsel */
    KN_STAGE_COUNT
} kn_stage;

typedef struct kn_profile {
    bool on;
    _Atomic uint64_t ns[KN_STAGE_COUNT];
} kn_profile;

/* All counters zero; `on` as given. */
void kn_profile_init(kn_profile *p, bool on);
/* "read", "parse", ... */
const char *kn_stage_name(kn_stage s);
/* The calling thread's CPU time, in nanoseconds. */
uint64_t kn_thread_ns(void);
/* The whole process's CPU time, in nanoseconds: for a phase when only it runs. */
uint64_t kn_process_ns(void);
/* Monotonic wall time, in nanoseconds. */
uint64_t kn_wall_ns(void);

/* Starts timing a unit of work: 0 when `p` is NULL or off. */
static inline uint64_t kn_profile_start(const kn_profile *p) { return p && p->on ? kn_thread_ns() : 0; }
/* Adds the thread CPU time since `t0` (from kn_profile_start) to `stage`; returns now, so stages
 * can be timed back to back. Does nothing when off. */
uint64_t kn_profile_lap(kn_profile *p, kn_stage stage, uint64_t t0);
static inline void kn_profile_add(kn_profile *p, kn_stage stage, uint64_t ns) {
    if (p && p->on) atomic_fetch_add_explicit(&p->ns[stage], ns, memory_order_relaxed);
}

#endif
