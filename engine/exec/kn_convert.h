/* engine/exec/kn_convert.h: the `kiln convert` job: input shards in, Parquet files out.
 *
 * The way the data goes (DESIGN.md): list and sort the inputs; cut each into morsels (byte
 * ranges that start on a record boundary, cut at fixed nominal offsets so the cut does not
 * depend on the thread count); parse morsels into column batches on every core (OpenMP); hand
 * the batches to the Parquet writer strictly in input order, rolling to the next file at the
 * target size; publish the files atomically at the end. Because the order and the cut points
 * never depend on the number of threads, the output is byte-identical with 1 thread and with N.
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
    KN_MODE_OVERWRITE            /* replace the earlier output once the new output is complete */
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
} kn_convert_result;

/* Runs the job. On failure nothing is published under OUTDIR (files already written go away
 * with the run's temporary folder), and the result still holds the counts so far. */
kn_status kn_convert_run(const kn_convert_options *opt, kn_convert_result *result, kn_error *err);
void kn_convert_result_free(kn_convert_result *result);

/* Writes the one-line JSON result: {"status":"ok"|"error", "exit_code":N, "error":"...",
 * "files_in":..., ...}. `err` may be NULL when status is KN_OK. */
void kn_convert_result_write_json(const kn_convert_result *result, kn_status status,
                                  const kn_error *err, FILE *out);

#endif
