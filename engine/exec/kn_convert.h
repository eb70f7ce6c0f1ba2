/* engine/exec/kn_convert.h: the `kiln convert` job: input shards in, Parquet files out.
 *
 * The way the data goes (DESIGN.md): list and sort the inputs; cut each into morsels (byte
 * ranges that start on a record boundary, cut at fixed nominal offsets so the cut does not
 * depend on the thread count); parse morsels into column batches on every core (OpenMP); hand
 * the batches to the Parquet writer strictly in input order, rolling to the next file at the
 * target size; publish the files atomically at the end. Because the order and the cut points
 * never depend on the number of threads, the output is byte-identical with 1 thread and with N.
 *
 * With --partition-by, --sort-by or --slices the write phase clusters instead of streaming
 * (kn_sort_spill.h): every row gets a memcmp-able key (partition folder, sort columns, input
 * ordinal; kn_sort_key.h), each parse worker sorts its morsel's rows by key, the sorted batches
 * gather in memory up to `memory_limit` and are merged into a spill file in the run's temporary
 * folder when that is full, and a k-way merge then streams the rows in key order into one open
 * Parquet file at a time (kn_part_sink.h), each partition's files planned from the row and byte
 * counts taken while reading. Memory therefore does not grow with the number of partitions.
 * The stated bound on kiln's allocator peak (the result's peak_memory_bytes):
 *
 *   peak <= 1.25 x memory_limit                 (the in-memory run, then the merge's block
 *                                                buffers, at most memory_limit / 4)
 *         + row_group_bytes + columns x (page_bytes + 2 x dictionary_page_bytes)
 *                                               (the one open Parquet writer)
 *         + threads x 3 x morsel_bytes          (batches being parsed and sorted)
 *         + 256 bytes x (partitions + files)    (counts, names, the manifest's list)
 *
 * The streaming path needs the same but the first term. The output never depends on the
 * thread count, the morsel size or memory_limit: keys are unique (the input ordinal breaks
 * ties), and file sizing is planned from per-partition counts, not from when runs spilled.
 *
 * Commit (kn_commit.h): an exclusive lock on OUTDIR/_kiln.lock for the whole run; data files
 * are written under OUTDIR/_tmp-<run>/ and renamed into place only when complete; then the
 * Redshift artifacts (kn_artifacts.h), manifest.json last.
 *
 * Every record read ends written or rejected, and the result's counts add up:
 * rows_read == rows_written + rows_rejected. */
#ifndef KN_CONVERT_H
#define KN_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef enum kn_on_error {
    KN_ON_ERROR_FAIL = 0,   /* the first bad record stops the run (exit 2) */
    KN_ON_ERROR_SKIP,       /* bad records are counted and dropped */
    KN_ON_ERROR_QUARANTINE  /* ... and written verbatim to OUTDIR/_rejects/ with file, line, reason */
} kn_on_error;

typedef enum kn_write_mode {
    KN_MODE_ERROR_IF_EXISTS = 0, /* refuse an output folder that already holds kiln output */
    KN_MODE_OVERWRITE,           /* replace the earlier output once the new output is complete */
    KN_MODE_APPEND               /* add files with new names (numbers past the highest there);
                                    manifest.json and the SQL then list only the new files */
} kn_write_mode;

typedef struct kn_convert_options {
    const char *const *inputs; /* borrowed: files, folders, globs */
    size_t num_inputs;
    const char *output_dir;    /* borrowed */
    const char *format;        /* "ndjson"; NULL = from the file extensions */
    const kn_schema *schema;   /* borrowed; NULL = infer from a sample */
    size_t infer_records;      /* records sampled per file when inferring; default 10,000 */
    size_t infer_files;        /* files sampled when inferring; default 4 */
    kn_pq_options parquet;     /* codec, row group and page sizes (defaults: kn_pq_options_init) */
    uint64_t target_file_bytes;/* roll to the next part file past this size; default 256 MiB */
    int threads;               /* 0 = every core */
    size_t morsel_bytes;       /* default 8 MiB */
    kn_on_error on_error;      /* default fail */
    int64_t max_errors;        /* with skip/quarantine: more rejects than this fail the run; -1 = no limit */
    kn_write_mode mode;        /* default error-if-exists */
    bool progress;             /* progress on stderr; default true */

    /* Layout (any of the first three turns on the clustered write, see above). */
    const char *partition_by;  /* borrowed; "year(ts),region" (kn_part_spec_parse); NULL = none */
    const char *sort_by;       /* borrowed; "col[,col...]": rows sorted within each file; NULL = none */
    uint32_t slices;           /* file count per partition a multiple of this; 0 = any */
    bool drop_partition_columns; /* identity partition columns left out of the files */
    uint64_t memory_limit;     /* bytes for in-memory runs before spilling; default 512 MiB */

    /* Redshift artifacts (manifest.json, table.sql, copy.sql, spectrum.sql, upsert.sql). */
    const char *url_prefix;    /* borrowed; "s3://bucket/prefix/"; NULL = the absolute OUTDIR */
    const char *table;         /* borrowed; [db.][schema.]name; NULL = public.<OUTDIR's name> */
    const char *iam_role;      /* borrowed; NULL = a placeholder in copy.sql and upsert.sql */
    const char *merge_key;     /* borrowed; "col[,col...]"; upsert.sql is written only with it */
    const char *external_schema; /* borrowed; Spectrum schema; NULL = "spectrum" */
} kn_convert_options;

void kn_convert_options_init(kn_convert_options *opt);

typedef struct kn_convert_result {
    uint64_t files_in;
    uint64_t bytes_in;
    uint64_t files_out;
    uint64_t bytes_out;
    uint64_t rows_read;
    uint64_t rows_written;
    uint64_t rows_rejected;
    double seconds;
    int threads;
    int64_t peak_memory_bytes; /* the most kiln's allocator held at once */
    char **outputs;            /* owned: the published file paths, files_out of them */
    char **output_names;       /* owned: the same files relative to OUTDIR ("k=v/part-N.parquet") */
    uint64_t *output_bytes;    /* owned: each file's exact size */
    uint64_t *output_rows;     /* owned: each file's rows */
    uint64_t partitions;       /* distinct partition folders written (0 when not partitioned) */
    uint64_t spill_runs;       /* sorted runs spilled to disk (0 when everything fit) */
    uint64_t spill_bytes;      /* bytes written to spill files */
    uint64_t memory_limit;     /* the run budget in force */
} kn_convert_result;

/* Runs the job. On failure nothing is published under OUTDIR (files already written go away
 * with the run's temporary folder), and the result still holds the counts so far. */
kn_status kn_convert_run(const kn_convert_options *opt, kn_convert_result *result, kn_error *err);
void kn_convert_result_free(kn_convert_result *result);

/* Writes the one-line JSON result: {"status":"ok"|"error", "exit_code":N, "error":"...",
 * "files_in":..., ..., "partitions":N, "spill_runs":N, "spill_bytes":N, "memory_limit_bytes":N,
 * "outputs":[absolute paths], "files":[{"path":relative,"bytes":N,"rows":N}]}. `err` may be
 * NULL when status is KN_OK. */
void kn_convert_result_write_json(const kn_convert_result *result, kn_status status,
                                  const kn_error *err, FILE *out);

#endif
