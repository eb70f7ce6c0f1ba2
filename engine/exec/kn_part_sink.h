/* engine/exec/kn_part_sink.h: the Parquet files of one run: naming, partition folders, sizing,
 * and the facts the commit and the Redshift artifacts need (names, exact sizes, rows, the
 * longest string of each column).
 *
 * Files are OUTDIR-relative "[k=v/...]part-NNNNN.parquet", numbered from `first_number` on (so
 * names never repeat across partitions, and an append run continues past the highest number
 * already there), written under `dir` in the options' store: a folder of the run's own, which
 * the commit publishes whole once every file is complete, so files are written in place there
 * (KN_SINK_PRIVATE) and removed when the sink fails.
 *
 * Three ways in, one per sink (the streaming partitioned way and the other two refuse each
 * other with KN_E_INTERNAL, a caller's bug):
 *   - streaming (kn_part_sink_write_batch, kn_part_sink_write_rowgroup): unpartitioned rows in
 *     input order; the file rolls when the writer reaches target_file_bytes (today's behaviour
 *     without clustering). Files are numbered in the order they are opened; one is open at a
 *     time.
 *   - planned (kn_part_sink_write_row, kn_part_sink_write_run): rows in key order, each
 *     partition's rows together. On a partition's first row its files are planned with
 *     kn_part_plan_files from its row count and an estimated size: its raw (PLAIN) bytes times
 *     the compression ratio of the files closed so far in this run (a fixed prior,
 *     KN_PART_SINK_PRIOR_RATIO, before the first), so the plan is deterministic. Rows are dealt
 *     into contiguous ranges, one per file, so files of a partition differ by at most one row.
 *     With slices the count is a multiple of `slices`. Without slices a file that still reaches
 *     target_file_bytes (the estimate was low) rolls early and the rest of the partition is
 *     planned again. Files are numbered in the order they are opened, which is partition key
 *     order; one is open at a time, so memory is one writer's row group whatever the number of
 *     partitions.
 *   - streaming partitioned (kn_part_sink_write_part_rowgroup, for kn_part_pipeline.h): encoded
 *     row groups of many partitions, interleaved; each partition keeps its own open file, which
 *     rolls between row groups at target_file_bytes. Files are written under temporary names
 *     and numbered only in kn_part_sink_finish, in the planned mode's order (folder path, then
 *     writing order within a folder), so the names depend neither on the thread count nor on
 *     which partition's row group came first. */
#ifndef KN_PART_SINK_H
#define KN_PART_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_part_stats.h"
#include "kn_partition.h"
#include "kn_pq_writer.h"
#include "kn_status.h"
#include "kn_store.h"

/* The compressed / raw ratio assumed before any file of the run has closed. */
#define KN_PART_SINK_PRIOR_RATIO 0.4

typedef struct kn_part_sink_options {
    const kn_schema *schema;      /* borrowed; the rows' schema */
    const kn_part_spec *part;     /* borrowed; NULL: not partitioned */
    bool drop_partition_columns;  /* leave identity partition columns out of the files */
    const kn_pq_options *parquet; /* borrowed */
    uint64_t target_file_bytes;
    uint32_t slices;              /* planned mode: file count a multiple of this; 0 = any */
    const kn_part_stats *stats;   /* borrowed; planned mode: rows and raw bytes per folder */
    const char *dir;              /* borrowed; the run's own folder files are written under */
    kn_store *store;              /* borrowed; where `dir` is; NULL: the local file system */
    uint64_t first_number;        /* the number of the first file */
} kn_part_sink_options;

typedef struct kn_part_file {
    char *name;     /* owned; relative, "year=2024/part-00003.parquet" */
    uint64_t bytes; /* exact size */
    uint64_t rows;
} kn_part_file;

typedef struct kn_part_sink kn_part_sink;

kn_status kn_part_sink_create(const kn_part_sink_options *opt, kn_part_sink **out, kn_error *err);

/* The files' schema for rows of `in` (borrowed): `in` without the identity partition columns
 * of `part` when `drop`. *out is the caller's (kn_schema_free); `map` (may be NULL) receives a
 * kn_malloc'd array of in-column indexes, one per column of *out. Fails with KN_E_USAGE when no
 * column would be left. */
kn_status kn_part_file_schema(const kn_schema *in, const kn_part_spec *part, bool drop,
                              kn_schema **out, size_t **map, kn_error *err);

/* The schema of the files (the rows' schema without dropped partition columns). */
const kn_schema *kn_part_sink_schema(const kn_part_sink *ps);

/* Streaming: appends every row of `batch` (borrowed). */
kn_status kn_part_sink_write_batch(kn_part_sink *ps, const kn_batch *batch, kn_error *err);

/* Streaming, encoded apart (kn_pq_rowgroup.h): appends a row group encoded with a layout of
 * kn_part_sink_schema (borrowed; may be reset after return). Files roll only between row
 * groups: once the open file reaches target_file_bytes it is closed, and the next row group
 * starts the next file. So the files depend only on the row groups, not on how the rows came
 * in batches. The caller folds the rows' string lengths in with kn_part_sink_note_max_string. */
struct kn_pq_rowgroup;
kn_status kn_part_sink_write_rowgroup(kn_part_sink *ps, const struct kn_pq_rowgroup *rg, kn_error *err);
/* Folds in the longest string of each column of the rows' schema (one entry per column of
 * opt->schema, borrowed), for kn_part_sink_max_string. */
void kn_part_sink_note_max_string(kn_part_sink *ps, const size_t *per_column);

/* Streaming, partitioned (kn_part_pipeline.h): appends the encoded row group `rg` (a layout of
 * kn_part_sink_schema; borrowed for the call) to the open file of partition `part`, a dense index
 * (0, 1, 2, ...) the caller gives each distinct folder; `path`/`len` is that folder
 * ("year=2024/month=3/", borrowed; the same on every call for one part). Calls come one at a
 * time; a partition's row groups in order. Each partition has one open file; it rolls between
 * row groups once it reaches target_file_bytes. The caller folds string lengths in with
 * kn_part_sink_note_max_string.
 *
 * The partition's folder is made on its first row group with rows; a row group of no rows adds
 * nothing (and does not count the partition). Until kn_part_sink_finish the files carry
 * temporary names ("[k=v/...].stream-pP-fK.parquet", hidden from listings by the leading '.');
 * finish closes every open file, then renames each within opt->dir to "part-NNNNN.parquet",
 * numbered from first_number in order of folder path (bytes compared, a path that is a prefix
 * of another first) and, within a folder, in writing order. Two parts with one path fail
 * finish with KN_E_INTERNAL (their relative order would be arbitrary).
 *
 * Memory: one kn_pq_writer per partition with an open file (its footer metadata, which grows
 * with its row groups; a writer fed only encoded row groups makes no column writers, so no
 * codec state) and a few names. The caller bounds the number of
 * partitions; the sink does not.
 * The writers are made with opt->parquet's options but threads = 1 whatever it says: a writer
 * with threads > 1 starts a thread pool, which per open file would be a pool per partition, and
 * encoded row groups need none (kn_pq_writer.h).
 *
 * KN_E_INTERNAL when the sink was used by another way in, after finish, or when `path` differs
 * from the part's first path. */
kn_status kn_part_sink_write_part_rowgroup(kn_part_sink *ps, size_t part, const uint8_t *path, size_t len,
                                           const struct kn_pq_rowgroup *rg, kn_error *err);

/* Streaming, partitioned: partition `part`'s rows are all written: its open file (if any) is
 * closed now rather than at finish, so the files open at once stay few however many folders
 * there are. A later row group of `part` would start a new file. */
kn_status kn_part_sink_close_part(kn_part_sink *ps, size_t part, kn_error *err);

/* Planned: appends row `row` of `batch` (borrowed) whose folder is `path` (`len` bytes,
 * borrowed; "" when not partitioned; it must be in `stats`). */
kn_status kn_part_sink_write_row(kn_part_sink *ps, const kn_batch *batch, size_t row,
                                 const uint8_t *path, size_t len, kn_error *err);

/* Planned, a run at a time: appends rows [row, row + n) of `batch` (borrowed), the key of row i
 * being keys[key_offs[i] .. key_offs[i + 1]) (kn_sort_key.h: its folder path comes first). The
 * same files, byte for byte, as kn_part_sink_write_row row by row, but the rows are copied as
 * ranges (kn_batch_copy_rows) between the points where the row-by-row path would stop. */
kn_status kn_part_sink_write_run(kn_part_sink *ps, const kn_batch *batch, size_t row, size_t n,
                                 const uint8_t *keys, const uint32_t *key_offs, kn_error *err);

/* Closes the open file (every open file in the streaming partitioned mode, whose files then get
 * their final names: see kn_part_sink_write_part_rowgroup). When no file was written and the
 * output is not partitioned, writes one empty file, so downstream steps still see the schema.
 * Calling it again does nothing more. */
kn_status kn_part_sink_finish(kn_part_sink *ps, kn_error *err);

/* The files closed so far: in the order written, except after finish in the streaming
 * partitioned mode, where they are in the order of their final names (and before finish carry
 * their temporary names). Borrowed from the sink. */
const kn_part_file *kn_part_sink_files(const kn_part_sink *ps, size_t *count);
/* Per column of kn_part_sink_schema: the longest string written, in bytes. */
const size_t *kn_part_sink_max_string(const kn_part_sink *ps);
uint64_t kn_part_sink_rows(const kn_part_sink *ps);
/* Distinct partition folders written. */
uint64_t kn_part_sink_partitions(const kn_part_sink *ps);

/* Aborts every open file and frees. In the streaming partitioned mode, when finish did not
 * complete, also deletes the files already closed (best effort), so no file is left under a
 * final name. Accepts NULL. */
void kn_part_sink_free(kn_part_sink *ps);

#endif
