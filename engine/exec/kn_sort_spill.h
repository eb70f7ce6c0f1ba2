/* engine/exec/kn_sort_spill.h: the external sort of the clustered write ("spill and cluster").
 *
 * Rows arrive as keyed batches (kn_sort_key.h, which also builds the keys), each already sorted
 * by key (kn_sort_rows.h, done by the parse workers in parallel). The sorter keeps them as they
 * came, a list of batches (the run), until they would hold `memory_limit` bytes (the batches'
 * arrays and keys); then it merges the run's batches into `spill_dir`/spill-N as blocks of at
 * most KN_SPILL_BLOCK_ROWS rows (kn_spill_block.h), and frees them. At the end a k-way merge
 * over the last run's batches (with no spill at all when everything fit) and the spill files
 * hands the rows back one at a time in key order, reading every source front to back. When
 * there are more spill files than the merge may hold open at once, groups of them are first
 * merged into longer spill files, so the merge's block buffers stay within memory_limit / 4.
 *
 * Memory: at most memory_limit for the run (+ one incoming batch, + one block being written),
 * and during the merge the last run plus about memory_limit / 4 of block buffers.
 * Not thread-safe; one thread adds, then the same or another iterates. */
#ifndef KN_SORT_SPILL_H
#define KN_SORT_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_schema.h"
#include "kn_sort_key.h"
#include "kn_status.h"
#include "kn_store.h"

#define KN_SPILL_BLOCK_ROWS 4096

typedef struct kn_sorter_options {
    const kn_schema *schema; /* borrowed; must outlive the sorter; the batches' schema */
    uint64_t memory_limit;   /* bytes of rows held in memory before a run spills (>= 1 MiB) */
    const char *spill_dir;   /* borrowed; an existing folder of the run's own for spill-N files */
    kn_store *store;         /* borrowed; must outlive the sorter; where spill_dir is; NULL: the
                                local file system */
} kn_sorter_options;

typedef struct kn_sorter kn_sorter;

/* One row handed back by kn_sorter_next: borrowed until the next call. */
typedef struct kn_sorter_row {
    const kn_batch *batch;
    size_t row;
    const uint8_t *key;
    size_t key_len;
} kn_sorter_row;

kn_status kn_sorter_create(const kn_sorter_options *opt, kn_sorter **out, kn_error *err);

/* Takes the batch, keys and offsets of `kb`, whose rows must be sorted by key (`kb` is left
 * zeroed; give the producer a new batch). Spills the run when it is full. */
kn_status kn_sorter_add(kn_sorter *s, kn_keyed_batch *kb, kn_error *err);

/* Ends the input: sorts the last run and opens the merge. */
kn_status kn_sorter_finish(kn_sorter *s, kn_error *err);

/* The next row in key order; *done (and no row) after the last. */
kn_status kn_sorter_next(kn_sorter *s, kn_sorter_row *out, bool *done, kn_error *err);

/* The next rows in key order that sit back to back in one batch: rows [row, row + n) of
 * `batch`, 1 <= n <= max, the key of row i being keys[key_offs[i] .. key_offs[i + 1]). Borrowed
 * until the next call. The same sequence of rows as kn_sorter_next gives one at a time, with a
 * key compare per row instead of a heap step and a copy per value: merging morsels sorted by
 * partition gives long runs. The two calls may be mixed. */
typedef struct kn_sorter_run {
    const kn_batch *batch;
    size_t row, n;
    const uint8_t *keys;
    const uint32_t *key_offs;
} kn_sorter_run;
kn_status kn_sorter_next_run(kn_sorter *s, size_t max, kn_sorter_run *out, bool *done, kn_error *err);

uint64_t kn_sorter_rows(const kn_sorter *s);
/* Runs written to spill files during input (0: everything fit in memory), and spill bytes
 * written in all (merge passes included). */
uint64_t kn_sorter_spill_runs(const kn_sorter *s);
uint64_t kn_sorter_spill_bytes(const kn_sorter *s);

/* Frees everything and deletes the spill files. Accepts NULL. */
void kn_sorter_free(kn_sorter *s);

#endif
