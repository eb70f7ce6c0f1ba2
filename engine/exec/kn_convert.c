/* engine/exec/kn_convert.c: the convert job: the format and its options, the schema (given or
 * inferred), the layout, the plan of inputs and morsels, which write path runs (kn_run.h lists
 * the files of each), then the commit and the result. See kn_convert.h for the shape and the
 * guarantees. */
#include "kn_convert.h"

#include "kn_cpu.h"

#include <inttypes.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kn_alloc.h"
#include "kn_artifacts.h"
#include "kn_exec_reader.h"
#include "kn_json_out.h"
#include "kn_list.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_sort_cols.h"
#include "kn_sorting_columns.h"
#include "kn_store_local.h"

uint64_t kn_convert_default_memory(void) {
    /* A quarter of the machine, between 256 MiB and 1 GiB. More did not make the partitioned
     * write faster at 36 to 26,304 folders (bench/README.md, "A 1 GiB default"): what it holds
     * past that only waits longer before it spills, and a fleet's machines run other work. */
    uint64_t quarter = kn_machine_memory() / 4, lo = 256ull << 20, hi = 1ull << 30;
    return quarter < lo ? lo : quarter > hi ? hi : quarter;
}

#define DEFAULT_MORSEL_BYTES ((size_t)8 << 20)

void kn_convert_options_init(kn_convert_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->infer_records = 10000;
    opt->infer_files = 4;
    kn_pq_options_init(&opt->parquet);
    opt->target_file_bytes = 256ull << 20;
    opt->threads = 0;
    opt->morsel_bytes = DEFAULT_MORSEL_BYTES;
    opt->on_error = KN_ON_ERROR_FAIL;
    opt->max_errors = -1;
    opt->mode = KN_MODE_ERROR_IF_EXISTS;
    opt->progress = true;
    opt->memory_limit = kn_convert_default_memory();
    kn_decompress_options dec;
    kn_decompress_options_init(&dec);
    opt->max_input_expansion = dec.max_expansion;
    opt->max_open_partitions = 128;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the job ----------------------------------------------------------------------------- */

/* "dir/name", as the result has always spelled its outputs (a '/' ending dir is kept). */
static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kn_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static kn_status pick_format(const kn_convert_options *opt, const kn_input_list *list,
                             const kn_format **out, kn_error *err) {
    if (opt->format) {
        *out = kn_exec_format_find(opt->format);
        KN_RETURN_ERROR_IF(!*out, err, KN_E_USAGE, "unknown or not yet supported --format '%s' (supported: ndjson, csv)", opt->format);
        return KN_OK;
    }
    *out = NULL;
    for (size_t i = 0; i < list->count; i++) {
        const kn_format *f;
        KN_TRY(kn_exec_input_format(list->files[i].path, &f, err));
        if (!f) {
            kn_error_locate(err, list->files[i].path, -1, -1, -1);
            return kn_error_set(err, KN_E_USAGE, "cannot tell the format from the name; say --format ndjson or --format csv");
        }
        if (*out && f != *out)
            return kn_error_set(err, KN_E_USAGE, "the inputs mix formats (%s and %s); convert them separately", (*out)->name, f->name);
        *out = f;
    }
    KN_RETURN_ERROR_IF(!*out, err, KN_E_USAGE, "no input files");
    return KN_OK;
}

/* The layout options against the schema: the partition spec, the sort columns, and the
 * artifacts' own checks, all before any input is read or any folder is made. */
typedef struct layout {
    kn_part_spec part;
    bool partitioned;
    size_t *sort_cols;
    size_t num_sort_cols;
    kn_artifacts_spec art;
    kn_schema *file_schema;
} layout;

static kn_status plan_layout(const kn_convert_options *opt, const kn_schema *schema, layout *lo, kn_error *err) {
    if (opt->partition_by) {
        KN_TRY(kn_part_spec_parse(opt->partition_by, schema, &lo->part, err));
        lo->partitioned = lo->part.num_keys > 0;
    }
    KN_RETURN_ERROR_IF(opt->drop_partition_columns && !lo->partitioned, err, KN_E_USAGE,
                       "--drop-partition-columns needs --partition-by");
    if (opt->sort_by) KN_TRY(kn_sort_cols_parse(opt->sort_by, schema, "--sort-by", &lo->sort_cols, &lo->num_sort_cols, err));
    KN_TRY(kn_part_file_schema(schema, lo->partitioned ? &lo->part : NULL, opt->drop_partition_columns,
                               &lo->file_schema, NULL, err));
    kn_artifacts_spec *a = &lo->art;
    a->schema = lo->file_schema;
    a->in_schema = schema;
    a->part = lo->partitioned ? &lo->part : NULL;
    a->partition_columns_dropped = opt->drop_partition_columns;
    a->sort_cols = lo->sort_cols;
    a->num_sort_cols = lo->num_sort_cols;
    a->merge_key = opt->merge_key;
    a->table = opt->table;
    a->out_dir = opt->output_dir;
    a->url_prefix = opt->url_prefix;
    a->iam_role = opt->iam_role;
    a->external_schema = opt->external_schema;
    return kn_artifacts_check(a, err);
}

static kn_status fill_outputs(const kn_convert_options *opt, const kn_part_sink *ps, kn_convert_result *res,
                              kn_error *err) {
    size_t n;
    const kn_part_file *files = kn_part_sink_files(ps, &n);
    size_t cap = n ? n : 1;
    res->outputs = kn_calloc(cap, sizeof *res->outputs);
    res->output_names = kn_calloc(cap, sizeof *res->output_names);
    res->output_bytes = kn_calloc(cap, sizeof *res->output_bytes);
    res->output_rows = kn_calloc(cap, sizeof *res->output_rows);
    if (!res->outputs || !res->output_names || !res->output_bytes || !res->output_rows)
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    res->bytes_out = 0;
    for (size_t i = 0; i < n; i++) {
        res->outputs[i] = path_join(opt->output_dir, files[i].name);
        res->output_names[i] = kn_strdup(files[i].name);
        if (!res->outputs[i] || !res->output_names[i]) {
            kn_free(res->outputs[i]);
            kn_free(res->output_names[i]);
            return kn_error_set(err, KN_E_NOMEM, "out of memory");
        }
        res->output_bytes[i] = files[i].bytes;
        res->output_rows[i] = files[i].rows;
        res->bytes_out += files[i].bytes;
        res->files_out++;
    }
    return KN_OK;
}

uint64_t kn_convert_memory_bound(const kn_convert_options *opt, size_t columns, int threads) {
    if (threads <= 0) threads = opt->threads > 0 ? opt->threads : omp_get_num_procs();
    uint64_t t = (uint64_t)threads, c = columns, m = opt->morsel_bytes;
    uint64_t r = kn__stream_row_group_bytes(opt), p = opt->parquet.page_bytes, d = opt->parquet.dictionary_page_bytes;
    uint64_t batches = (kn__stream_window(threads) + t) * 2 * m;
    uint64_t readers = t * m;
    uint64_t chunks = 3 * (r + r / 5 + c * d);
    uint64_t writers = c * (4 * p + 16 * d + ((uint64_t)8 << 20));
    return batches + readers + chunks + writers + ((uint64_t)16 << 20);
}

/* Each step's state for each of `threads` + 1 threads (the last serves the acceptor's second
 * reads). Blocking steps have no place in the pipeline yet. */
static kn_status create_op_threads(kn_run *r, int threads, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    if (!opt->num_steps) return KN_OK;
    for (size_t i = 0; i < opt->num_steps; i++)
        KN_RETURN_ERROR_IF(opt->steps[i]->kind != KN_OP_STREAMING, err, KN_E_UNSUPPORTED,
                           "the step '%s' is a blocking step; the pipeline runs streaming steps only so far",
                           opt->steps[i]->name);
    size_t n = ((size_t)threads + 1) * opt->num_steps;
    r->op_threads = kn_calloc(n, sizeof *r->op_threads);
    if (!r->op_threads) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const kn_operator *op = opt->steps[k % opt->num_steps];
        if (op->thread_create) KN_TRY(op->thread_create(op, &r->op_threads[k], err));
    }
    return KN_OK;
}

static void free_op_threads(kn_run *r, int threads) {
    const kn_convert_options *opt = r->opt;
    for (size_t k = 0; r->op_threads && k < ((size_t)threads + 1) * opt->num_steps; k++) {
        const kn_operator *op = opt->steps[k % opt->num_steps];
        if (op->thread_free) op->thread_free(op, r->op_threads[k]);
    }
    kn_free(r->op_threads);
    r->op_threads = NULL;
}

kn_status kn_convert_run(const kn_convert_options *opt, kn_convert_result *result, kn_error *err) {
    memset(result, 0, sizeof *result);
    double t0 = now_seconds();
    kn_mem_reset_peak();
    result->memory_limit = opt->memory_limit;
    KN_RETURN_ERROR_IF(!opt->output_dir || !opt->output_dir[0], err, KN_E_USAGE, "no output folder (-o OUTDIR)");
    KN_RETURN_ERROR_IF(opt->num_inputs == 0, err, KN_E_USAGE, "no inputs");
    KN_RETURN_ERROR_IF(opt->morsel_bytes < 1024, err, KN_E_USAGE, "the morsel size must be at least 1 KiB");
    KN_RETURN_ERROR_IF(opt->memory_limit < (1u << 20), err, KN_E_USAGE, "--memory-limit must be at least 1MiB");
    KN_RETURN_ERROR_IF(opt->target_file_bytes == 0, err, KN_E_USAGE, "--target-file-size must be above 0");

    const kn_format *fmt = opt->format ? kn_exec_format_find(opt->format) : NULL;
    kn_input_list list;
    KN_TRY(kn_input_list_build(opt->inputs, opt->num_inputs, fmt ? fmt->extensions : kn_exec_all_extensions(), &list, err));
    kn_status st = pick_format(opt, &list, &fmt, err);
    kn_format_opts *fopts = NULL;
    if (st == KN_OK) st = fmt->options_create(opt->format_options, opt->num_format_options, &fopts, err);

    kn_schema *inferred = NULL;
    const kn_schema *schema = opt->schema;
    if (st == KN_OK && !schema) {
        size_t n = list.count < opt->infer_files ? list.count : opt->infer_files;
        const char **paths = kn_calloc(n ? n : 1, sizeof *paths);
        if (!paths) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; st == KN_OK && i < n; i++) {
            paths[i] = list.files[i].path;
            kn_store_info info;
            st = kn_store_stat(kn_store_local(), paths[i], &info, err);
            if (st == KN_OK && info.kind != KN_ENTRY_FILE) {
                /* Sampling would use up what only comes once. */
                kn_error_locate(err, paths[i], -1, -1, -1);
                st = kn_error_set(err, KN_E_USAGE, "a pipe is read once, so its schema cannot be inferred; give --schema");
            }
        }
        kn_infer_options io = {fmt, fopts, opt->infer_records, opt->on_error != KN_ON_ERROR_FAIL,
                               {opt->max_input_expansion}, opt->format != NULL};
        uint64_t bad = 0;
        if (st == KN_OK) st = kn_exec_infer(&io, paths, n, &inferred, &bad, err);
        if (st == KN_OK && bad)
            kn_log(KN_LOG_INFO, "inference left out %" PRIu64 " bad record%s of the sample (--on-error %s)", bad,
                   bad == 1 ? "" : "s", opt->on_error == KN_ON_ERROR_SKIP ? "skip" : "quarantine");
        kn_free((void *)paths);
        schema = inferred;
    }
    layout lo;
    memset(&lo, 0, sizeof lo);
    if (st == KN_OK) st = plan_layout(opt, schema, &lo, err);

    int threads = opt->threads > 0 ? opt->threads : omp_get_num_procs();
    result->threads = threads;
    result->files_in = list.count;
    result->bytes_in = list.total_bytes;

    /* The output folder: locked, cleaned of killed runs, checked against the mode. */
    kn_commit *commit = NULL;
    if (st == KN_OK) st = kn_commit_begin(opt->output_dir, opt->mode, &commit, err);

    kn_run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.fmt = fmt;
    r.fopts = fopts;
    r.schema = schema;
    r.result = result;
    r.commit = commit;
    r.clustered = lo.partitioned || lo.num_sort_cols > 0 || opt->slices > 1;
    /* Partitioned without a sort or slices: each folder's rows into its own row groups, whatever
     * the number of folders (kn_part_pipeline.h, kn_part_buckets.h); --max-open-partitions 0
     * asks for the sort. */
    kn_part_write part_write = opt->max_open_partitions == 0 ? KN_PART_WRITE_SORT : opt->part_write;
    bool part_streaming = lo.partitioned && lo.num_sort_cols == 0 && opt->slices <= 1 && part_write != KN_PART_WRITE_SORT;
    r.pq = opt->parquet;
    kn_sorting_columns_set(&r.pq, schema, lo.file_schema, lo.sort_cols, lo.num_sort_cols);
    /* The clustered write merges on one thread into one writer at a time; the other threads
     * encode and compress that writer's columns (the bytes do not change). The streaming write
     * schedules its columns itself. */
    r.pq.threads = r.clustered ? threads : 1;
    kn_profile prof;
    kn_profile_init(&prof, opt->profile);
    r.profile = opt->profile ? &prof : NULL;
    if (st == KN_OK) st = create_op_threads(&r, threads, err);
    r.key_spec = (kn_sort_key_spec){lo.partitioned ? &lo.part : NULL, lo.sort_cols, lo.num_sort_cols};
    /* The plan: every input opened (mapped, or cut as it is read) and its morsels. */
    const char **paths = st == KN_OK ? kn_calloc(list.count ? list.count : 1, sizeof *paths) : NULL;
    if (st == KN_OK && !paths) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < list.count; i++) paths[i] = list.files[i].path;
    if (st == KN_OK) st = kn__plan_open(&r, paths, list.count, opt->stream_inputs, &r.plan, err);
    /* Which write: input order into rolling files; each folder into its own files, through
     * queues or, when the folders are many and interleaved, buckets; or the external sort. */
    if (st == KN_OK && part_streaming && part_write == KN_PART_WRITE_AUTO)
        part_write = kn__partitioned_suits(&r) ? KN_PART_WRITE_QUEUES : KN_PART_WRITE_BUCKETS;
    /* By buckets, a morsel meets most folders a row or two at a time: at the default size,
     * morsels four times larger make fewer, larger groups to route, number and copy (the bytes
     * do not depend on it). An input read as it comes keeps its morsels. */
    kn_convert_options bucket_opt;
    if (st == KN_OK && part_streaming && part_write == KN_PART_WRITE_BUCKETS && opt->morsel_bytes == DEFAULT_MORSEL_BYTES &&
        kn__plan_num_morsels(r.plan) != KN_SCHED_OPEN) {
        bucket_opt = *opt;
        bucket_opt.morsel_bytes = 4 * DEFAULT_MORSEL_BYTES;
        r.opt = &bucket_opt;
        kn__plan_free(r.plan, fmt);
        r.plan = NULL;
        st = kn__plan_open(&r, paths, list.count, opt->stream_inputs, &r.plan, err);
    }
    const kn_output *out = !r.clustered       ? &kn__output_stream
                           : !part_streaming  ? &kn__output_sorted
                           : part_write == KN_PART_WRITE_BUCKETS ? &kn__output_bucketed
                                                                 : &kn__output_partitioned;
    if (st == KN_OK) {
        r.tmp_dir = kn_commit_tmp_dir(commit);
        if (out->start) st = out->start(&r, err);
    }
    kn_part_sink_options po;
    if (st == KN_OK) {
        po = (kn_part_sink_options){
            .schema = schema,
            .part = lo.partitioned ? &lo.part : NULL,
            .drop_partition_columns = opt->drop_partition_columns,
            .parquet = &r.pq,
            .target_file_bytes = opt->target_file_bytes,
            .slices = opt->slices,
            .stats = r.stats,
            .dir = r.tmp_dir,
            .store = kn_commit_store(commit),
            .first_number = kn_commit_first_number(commit),
        };
        r.sink_opts = &po;
        st = kn_part_sink_create(&po, &r.files, err);
    }

    if (st == KN_OK) {
        kn_progress_init(&r.progress, opt->progress, list.total_bytes);
        result->write_path = out->write_path;
        st = out->run(&r, threads, err);
        kn_progress_finish(&r.progress);
    }
    if (st == KN_OK && out->finish) st = out->finish(&r, err);
    /* A run with no rows still leaves one valid, empty file (unpartitioned), so downstream steps
     * see the schema. */
    if (st == KN_OK) st = kn_part_sink_finish(r.files, err);
    if (st == KN_OK && r.rejects) {
        kn_sink *a = r.rejects, *b = r.reasons;
        r.rejects = r.reasons = NULL;
        st = kn_sink_close(a, err);
        kn_status st2 = kn_sink_close(b, st == KN_OK ? err : NULL);
        if (st == KN_OK) st = st2;
    }
    if (st == KN_OK && result->rows_read != result->rows_written + result->rows_rejected + result->rows_filtered +
                                                result->rows_deduplicated)
        st = kn_error_set(err, KN_E_INTERNAL,
                          "row counts do not add up: %" PRIu64 " read, %" PRIu64 " written, %" PRIu64 " rejected, %" PRIu64
                          " filtered, %" PRIu64 " deduplicated",
                          result->rows_read, result->rows_written, result->rows_rejected, result->rows_filtered,
                          result->rows_deduplicated);
    if (st == KN_OK) {
        result->partitions = lo.partitioned ? kn_part_sink_partitions(r.files) : 0;
        size_t n;
        const kn_part_file *files = kn_part_sink_files(r.files, &n);
        const char **names = kn_calloc(n ? n : 1, sizeof *names);
        if (!names) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; st == KN_OK && i < n; i++) names[i] = files[i].name;
        if (st == KN_OK) st = kn_commit_publish(commit, names, n, err);
        kn_free((void *)names);
        /* Published: the result lists the files even if an artifact fails below. */
        if (st == KN_OK) st = fill_outputs(opt, r.files, result, err);
        if (st == KN_OK)
            st = kn_artifacts_write(&lo.art, commit, files, n, kn_part_sink_max_string(r.files), err);
    }

    /* Clean up whatever did not get published. */
    kn_sorter_free(r.sorter);
    kn_part_stats_free(r.stats);
    free_op_threads(&r, threads);
    kn_part_sink_free(r.files);
    kn_sink_abort(r.rejects);
    kn_sink_abort(r.reasons);
    kn_commit_end(commit);
    kn__plan_free(r.plan, fmt);
    kn_free((void *)paths);
    if (fmt) fmt->options_free(fopts);
    kn_free(lo.sort_cols);
    kn_schema_free(lo.file_schema);
    kn_schema_free(inferred);
    kn_input_list_free(&list);

    kn_mem_stats ms;
    kn_mem_get_stats(&ms);
    result->peak_memory_bytes = ms.peak_bytes;
    result->seconds = now_seconds() - t0;
    result->profiled = opt->profile;
    for (int i = 0; i < KN_STAGE_COUNT; i++) result->stage_seconds[i] = (double)atomic_load(&prof.ns[i]) / 1e9;
    return st;
}

void kn_convert_result_free(kn_convert_result *result) {
    for (uint64_t i = 0; result->outputs && i < result->files_out; i++) kn_free(result->outputs[i]);
    for (uint64_t i = 0; result->output_names && i < result->files_out; i++) kn_free(result->output_names[i]);
    kn_free(result->outputs);
    kn_free(result->output_names);
    kn_free(result->output_bytes);
    kn_free(result->output_rows);
    result->outputs = NULL;
    result->output_names = NULL;
    result->output_bytes = NULL;
    result->output_rows = NULL;
}

void kn_convert_result_write_json(const kn_convert_result *r, kn_status status, const kn_error *err,
                                  FILE *out) {
    fprintf(out, "{\"status\":\"%s\",\"exit_code\":%d", status == KN_OK ? "ok" : "error",
            kn_status_exit_code(status));
    if (status != KN_OK && err) {
        char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 256];
        size_t n = kn_error_format(err, msg, sizeof msg);
        fputs(",\"error\":", out);
        kn_json_write_string(out, msg, n);
    }
    fprintf(out,
            ",\"files_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"files_out\":%" PRIu64 ",\"bytes_out\":%" PRIu64
            ",\"rows_read\":%" PRIu64 ",\"rows_written\":%" PRIu64 ",\"rows_rejected\":%" PRIu64
            ",\"rows_filtered\":%" PRIu64 ",\"rows_deduplicated\":%" PRIu64
            ",\"seconds\":%.3f,\"threads\":%d,\"peak_memory_bytes\":%" PRId64 ",\"partitions\":%" PRIu64
            ",\"spill_runs\":%" PRIu64 ",\"spill_bytes\":%" PRIu64 ",\"memory_limit_bytes\":%" PRIu64
            ",\"write_path\":\"%s\",\"morsels_reread\":%" PRIu64 ",\"outputs\":[",
            r->files_in, r->bytes_in, r->files_out, r->bytes_out, r->rows_read, r->rows_written,
            r->rows_rejected, r->rows_filtered, r->rows_deduplicated, r->seconds, r->threads, r->peak_memory_bytes, r->partitions, r->spill_runs,
            r->spill_bytes, r->memory_limit, r->write_path ? r->write_path : "stream", r->morsels_reread);
    for (uint64_t i = 0; r->outputs && i < r->files_out; i++) {
        if (i) fputc(',', out);
        kn_json_write_string(out, r->outputs[i], strlen(r->outputs[i]));
    }
    fputs("],\"files\":[", out);
    for (uint64_t i = 0; r->output_names && i < r->files_out; i++) {
        fputs(i ? ",{\"path\":" : "{\"path\":", out);
        kn_json_write_string(out, r->output_names[i], strlen(r->output_names[i]));
        fprintf(out, ",\"bytes\":%" PRIu64 ",\"rows\":%" PRIu64 "}", r->output_bytes[i], r->output_rows[i]);
    }
    fputs("]", out);
    if (r->profiled) {
        /* Thread CPU seconds per stage, summed over threads (idle: wall seconds waiting). */
        fprintf(out, ",\"profile\":{\"wall\":%.3f", r->seconds);
        for (int i = 0; i < KN_STAGE_COUNT; i++) fprintf(out, ",\"%s\":%.3f", kn_stage_name((kn_stage)i), r->stage_seconds[i]);
        fputc('}', out);
    }
    fputs("}\n", out);
}
