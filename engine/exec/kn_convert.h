/* engine/exec/kn_convert.h: the `kiln convert` job: input shards in, Parquet files out.
 *
 * The way the data goes (DESIGN.md): list and sort the inputs; cut each into morsels (byte
 * ranges that start on a record boundary, cut at fixed nominal offsets so the cut does not
 * depend on the thread count); then one of two writes, and the commit.
 *
 * Streaming (no --partition-by, --sort-by or --slices; kn_pipeline.h): every thread parses
 * morsels into column batches, and the batches go to row groups strictly in input order
 * through a reorder window (a morsel parsed early waits in its slot); rejects, counts and
 * progress are taken at that hand-over, in input order. Each column has one chunk writer that
 * any thread may feed (one at a time), so encoding, dictionaries and page compression run on
 * every core while the row group fills; finished row groups are appended to the files strictly
 * in order, and a file rolls, between row groups, once it reaches the target size. Row groups
 * are cut on the rows' PLAIN size (kn_pq_rowgroup.h), never on batch or morsel boundaries, and
 * each is at most half the target file size (so a file of whole row groups still lands near its
 * target). The output therefore depends neither on the thread count nor on the morsel size.
 *
 * Partitioned (--partition-by without --sort-by or --slices; kn_part_pipeline.h): each parse
 * worker groups its morsel's rows by folder (kn_part_route.h: the folder path is formatted once
 * per distinct value, not per row); in input order each folder's rows join its queue. Folders
 * with enough rows are encoded as their rows come, by encoders of their own, on any thread,
 * while those encoders fit half of memory_limit (their finished pages go to the spill past
 * that); the others' rows wait in their queues, and once a queue holds a row group's worth any
 * thread fills and encodes that row group from its front. Each folder has its own files
 * (kn_part_sink names them all at the end, in folder order, so names do not depend on timing).
 * Queued rows past a quarter of memory_limit go to spill runs and are read back when their row
 * group is made, so the number of folders does not matter: one or 100,000, every folder gets
 * row groups as large as its rows allow and its files roll only at the target size. The write
 * is chosen up front and no run starts over: when the input's first morsel already spreads over
 * thousands of folders at a few rows each (an hourly key over random times), every row goes
 * instead to a spill by bucket from its parse thread, and once the input has ended each bucket
 * is regrouped by folder and written, on every thread (kn_part_buckets.h; kn__partitioned_suits
 * decides), since queueing rows a row or two at a time costs more than the rows. Both write the
 * same files (and so does the sort, with --partition-write sort). The result's write_path is
 * "partition-stream", "partition-buckets" or "sort". Deterministic like the streaming write: a
 * folder's row groups are cut from its rows in input order, whatever is in memory, so the bytes
 * depend neither on the threads, the morsel size nor memory_limit.
 *
 * Clustered (--sort-by or --slices, or --partition-write sort; kn_sort_spill.h): every row gets a
 * memcmp-able key (partition folder, sort columns, input ordinal; kn_sort_key.h), each parse
 * worker sorts its morsel's rows by key, the sorted batches gather in memory up to
 * `memory_limit` and are merged into a spill file in the run's temporary folder when that is
 * full, and a k-way merge then streams the rows in key order into one open Parquet file at a
 * time (kn_part_sink.h), each partition's files planned from the row and byte counts taken while
 * reading. Rows move as ranges wherever the merge finds them together in one sorted batch
 * (kn_sorter_next_run), and the one open writer encodes and compresses each batch's columns on
 * every thread (kn_pq_options.threads), the merging thread among them. Memory therefore does not
 * grow with the number of partitions. The output never depends on the thread count, the morsel
 * size or memory_limit: keys are unique (the input ordinal breaks ties), and file sizing is
 * planned from per-partition counts, not from when runs spilled.
 *
 * Memory: the bound on kiln's allocator peak (the result's peak_memory_bytes), with C columns,
 * T threads, M = morsel_bytes, R = the row group size in force, P = page_bytes,
 * D = dictionary_page_bytes, and a batch taking at most 2 x its morsel's bytes:
 *
 *   streaming (kn_convert_memory_bound computes it):
 *   peak <= (3T + 2) x 2M             batches: parsed ahead (window 2T + 2) or not yet read by
 *                                     every column's writer (parsing waits when all are in use)
 *         + T x M                      each thread's reader state
 *         + 3 x (1.2 R + C x D)        compressed chunks: the ones being written, and those of
 *                                     the two row groups being finished or appended
 *         + C x (4P + 16D + 8 MiB)     each column's writer: page buffers, dictionary (values,
 *                                     hash table, hashes, offsets: 16D when every entry is the
 *                                     smallest possible), a page's dictionary indices
 *         + 16 MiB + 256 bytes x files (plan, names, rejects in flight, the manifest's list)
 *
 *   partitioned: the streaming bound's batches, readers and writers terms with T column
 *   writers instead of C, plus
 *         + memory_limit                      rows queued in memory (spilled past a quarter of
 *                                             the limit, again once they grew by an eighth),
 *                                             those of row groups being filled, encoded or
 *                                             written (accepting waits past a quarter), and the
 *                                             promoted folders' encoders (half)
 *         + promoted x C x (P + 5D)           what those encoders may grow by once promoted
 *                                             (pages in progress and dictionaries)
 *         + T x the largest spill segment     a folder's rows read back, per filling thread
 *         + (2T + 2) x 1.2 R                  encoded chunks waiting to be written
 *         + 1 MiB + the largest segment       the spill's write buffer
 *         + folders x (64 + C x 100 bytes)    each folder's queue and, while its file is open,
 *                                             its footer so far (a file opens with its folder's
 *                                             first row group and closes after its last)
 *
 *   partitioned by buckets (kn_part_buckets.h; M is 4 x the default when left at it):
 *   peak <= (2T + 2) x 2 x 2M           morsels parsed ahead, each grouped into a copy
 *         + (T + 1) x (1 MiB + 2M)      each spill writer's buffer
 *         + T x 2 x memory_limit / 4T   each regroup: a bucket's rows read back and in folder
 *                                       order (a bucket past its share goes in passes, a
 *                                       folder past it is cut as it is read back)
 *         + T x (1.2 R + C x (P + 2D))  each thread's row group being encoded
 *         + folders x (48 bytes + path) + blocks x 48 bytes   (the folder table, the buckets'
 *                                       lists of blocks)
 *
 *   clustered:
 *   peak <= 1.25 x memory_limit                 (the in-memory run, then the merge's block
 *                                                buffers, at most memory_limit / 4)
 *         + row_group_bytes + columns x (page_bytes + 2 x dictionary_page_bytes)
 *                                               (the one open Parquet writer)
 *         + threads x 3 x morsel_bytes          (batches being parsed and sorted)
 *         + 256 bytes x (partitions + files)    (counts, names, the manifest's list)
 *
 * Neither grows with the input's size. The streaming bound is a worst case (incompressible
 * pages, dictionaries of the smallest entries, a column left far behind); measured with 3M
 * order rows (15 columns, default sizes, 2 threads) the peak is about 250 MB against a bound of
 * about 1.1 GB, since the columns keep up with the parsers and most dictionaries stay small.
 *
 * Commit (kn_commit.h): an exclusive lock on OUTDIR/_kiln.lock for the whole run; data files
 * are written under OUTDIR/_tmp-<run>/ and renamed into place only when complete; then the
 * Redshift artifacts (kn_artifacts.h), manifest.json last.
 *
 * Steps (kn_operator.h) run on each batch right after the reader, on the parsing thread.
 *
 * Every record read ends written, rejected, filtered or deduplicated, and the result's counts
 * add up, which every run checks: rows_read == rows_written + rows_rejected + rows_filtered +
 * rows_deduplicated. */
#ifndef KN_CONVERT_H
#define KN_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kn_format.h"
#include "kn_operator.h"
#include "kn_profile.h"
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

/* The partitioned write without --sort-by or --slices: each way writes the same files. */
typedef enum kn_part_write {
    KN_PART_WRITE_AUTO = 0, /* buckets when the first morsel spreads over thousands of folders at
                               a few rows each, queues otherwise */
    KN_PART_WRITE_QUEUES,   /* each folder's rows queued, or encoded as they come (kn_part_pipeline.h) */
    KN_PART_WRITE_BUCKETS,  /* every row spilled by bucket, then regrouped (kn_part_buckets.h) */
    KN_PART_WRITE_SORT,     /* the external sort (as --max-open-partitions 0) */
} kn_part_write;

typedef struct kn_convert_options {
    const char *const *inputs; /* borrowed: files, folders, globs */
    size_t num_inputs;
    const char *output_dir;    /* borrowed */
    const char *format;        /* "ndjson", "csv"; NULL = from the file extensions */
    const kn_format_option *format_options; /* borrowed: the format's options (kn_format.h),
                                  e.g. {"delimiter", ";"}; checked by the format */
    size_t num_format_options;
    const kn_schema *schema;   /* borrowed; NULL = infer from a sample */
    const kn_operator *const *steps; /* borrowed: streaming steps applied to every batch, in
                                  order (kn_operator.h); none from the CLI yet (job files will) */
    size_t num_steps;
    size_t infer_records;      /* records sampled per file when inferring; default 10,000 */
    size_t infer_files;        /* files sampled when inferring; default 4 */
    kn_pq_options parquet;     /* codec, row group and page sizes (defaults: kn_pq_options_init) */
    uint64_t target_file_bytes;/* roll to the next part file past this size; default 256 MiB */
    int threads;               /* 0 = every core */
    size_t morsel_bytes;       /* default 8 MiB */
    bool stream_inputs;        /* read every input front to back and cut it as it comes
                                  (kn_seq_cut.h) instead of mapping it; inputs that can only be
                                  read once (pipes, /dev/stdin) always are; default false */
    double max_input_expansion;/* a compressed input may decode to at most this many times its
                                  size (kn_decompress.h); 0 = no bound; default 1000 */
    kn_on_error on_error;      /* default fail */
    int64_t max_errors;        /* with skip/quarantine: more rejects than this fail the run; -1 = no limit */
    kn_write_mode mode;        /* default error-if-exists */
    bool progress;             /* progress on stderr; default true */
    bool profile;              /* time each stage (kn_profile.h) into the result; default false */

    /* Layout (any of the first three turns on the clustered write, see above). */
    const char *partition_by;  /* borrowed; "year(ts),region" (kn_part_spec_parse); NULL = none */
    const char *sort_by;       /* borrowed; "col[,col...]": rows sorted within each file; NULL = none */
    uint32_t slices;           /* file count per partition a multiple of this; 0 = any */
    bool drop_partition_columns; /* identity partition columns left out of the files */
    uint64_t memory_limit;     /* bytes for in-memory runs before spilling, and for what a
                                  partitioned write holds (queued rows, its folders' encoders);
                                  default kn_convert_default_memory() */
    size_t max_open_partitions;/* 0: partitioned writes go through the external sort (the same
                                  files; for comparison); any other value: unused. Default 128 */
    kn_part_write part_write;  /* which partitioned write without --sort-by or --slices (the
                                  same files whichever); default KN_PART_WRITE_AUTO */

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
    uint64_t rows_filtered;     /* dropped by a step's condition */
    uint64_t rows_deduplicated; /* dropped as duplicates by a step */
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
    uint64_t morsels_reread;   /* morsels read twice because the format's guess of their start
                                  was wrong (CSV with line breaks in quotes; see kn_format.h) */
    const char *write_path;    /* static: how rows went to the files: "stream" (input order),
                                  "partition-stream" (each folder into its own files) or "sort" */
    bool profiled;             /* opt->profile was set: stage_seconds holds the stage times */
    double stage_seconds[KN_STAGE_COUNT]; /* thread CPU seconds per kn_stage, summed over threads
                                             (KN_STAGE_IDLE: wall seconds threads waited) */
} kn_convert_result;

/* The streaming write's bound on kiln's allocator peak for these options, `columns` columns and
 * `threads` threads (0 = opt->threads, or every core): the formula above. */
/* --memory-limit's default: a quarter of the machine's memory, at least 256 MiB, at most 1 GiB. */
uint64_t kn_convert_default_memory(void);

uint64_t kn_convert_memory_bound(const kn_convert_options *opt, size_t columns, int threads);

/* Runs the job. On failure nothing is published under OUTDIR (files already written go away
 * with the run's temporary folder), and the result still holds the counts so far. */
kn_status kn_convert_run(const kn_convert_options *opt, kn_convert_result *result, kn_error *err);
void kn_convert_result_free(kn_convert_result *result);

/* Writes the one-line JSON result: {"status":"ok"|"error", "exit_code":N, "error":"...",
 * "files_in":..., ..., "partitions":N, "spill_runs":N, "spill_bytes":N, "memory_limit_bytes":N,
 * "write_path":"stream"|"partition-stream"|"sort", "morsels_reread":N, "outputs":[absolute paths], "files":[{"path":relative,"bytes":N,"rows":N}]} and, when the
 * run was profiled, "profile":{"wall":S,"read":S,"parse":S,...,"idle":S} (kn_profile.h: thread
 * CPU seconds per stage summed over threads; wall and idle in wall seconds). `err` may be NULL
 * when status is KN_OK. */
void kn_convert_result_write_json(const kn_convert_result *result, kn_status status,
                                  const kn_error *err, FILE *out);

#endif
