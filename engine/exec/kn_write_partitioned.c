/* engine/exec/kn_write_partitioned.c: the partitioned writes without a sort: each morsel's rows
 * grouped by folder on its parse thread, each folder's rows into row groups of its own files,
 * through folder queues (kn_part_pipeline.h) or, when folders are many and interleaved, through
 * a spill by bucket (kn_part_buckets.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_gather.h"
#include "kn_part_buckets.h"
#include "kn_part_route.h"

/* The thread's scratch for the partitioned write: the reader, its batch, the router that
 * groups it by folder, the rows in folder order, and per column the grouped batch's room and
 * bitmap. */
typedef struct pstream_thread {
    kn_format_reader *reader;
    kn_batch *batch;
    kn_part_router *router;
    uint32_t *order;
    size_t cap_order;
    size_t *group_order; /* by bucket: the router's groups in bucket order */
    size_t *bucket_at;   /* per bucket, then its next place in group_order */
    size_t cap_groups;
    size_t *room;
    bool *bitmap;
} pstream_thread;

typedef struct pstream {
    kn_run *r;
    const kn_pq_layout *check_layout; /* the rows' schema: their values against Parquet's types */
    const kn_schema *file_schema;     /* borrowed from the sink */
    const size_t *map;                /* file column -> row column */
    pstream_thread *threads; /* one per thread, and one for the acceptor's second reads */
    int num_threads;
    kn_run_slot *slots;
    bool keep_going;
    kn_profile *prof;
    size_t buckets; /* by bucket: their number (kn_part_buckets.h); 0: folder queues */
} pstream;

/* Puts the router's groups in bucket order into th->group_order (a stable counting sort). */
static kn_status order_by_bucket(pstream *s, pstream_thread *th, size_t groups, kn_error *err) {
    if (groups > th->cap_groups || !th->bucket_at) {
        size_t *go = kn_realloc(th->group_order, 2 * (groups ? groups : 1) * sizeof *go);
        size_t *ba = go ? kn_realloc(th->bucket_at, (s->buckets + 1) * sizeof *ba) : NULL;
        if (go) th->group_order = go;
        if (!ba) return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by folder");
        th->bucket_at = ba;
        th->cap_groups = groups;
    }
    size_t *bucket = th->group_order + groups; /* the second half: each group's bucket */
    memset(th->bucket_at, 0, (s->buckets + 1) * sizeof *th->bucket_at);
    for (size_t g = 0; g < groups; g++) {
        const uint8_t *path;
        const uint32_t *rows;
        size_t len, n;
        kn_part_route_group(th->router, g, &path, &len, &rows, &n);
        bucket[g] = kn_part_bucket_of(path, len, s->buckets);
        th->bucket_at[bucket[g] + 1]++;
    }
    for (size_t b = 0; b < s->buckets; b++) th->bucket_at[b + 1] += th->bucket_at[b];
    for (size_t g = 0; g < groups; g++) th->group_order[th->bucket_at[bucket[g]]++] = g;
    return KN_OK;
}

/* Copies the batch's rows into one batch in the files' schema, each folder's rows together (in
 * input order; by bucket first when the write is), and lists the folders' ranges. The batch is
 * one allocation sized up front (kn_batch_create_packed), and each source column is read once. */
static kn_status group_by_folder(pstream *s, pstream_thread *th, const kn_batch *batch, kn_part_morsel *out,
                                 kn_error *err) {
    KN_TRY(kn_part_route(th->router, batch, err));
    size_t groups = kn_part_route_groups(th->router), ncols = s->file_schema->num_fields;
    if (batch->num_rows > th->cap_order) {
        uint32_t *o = kn_realloc(th->order, batch->num_rows * sizeof *o);
        if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by folder");
        th->order = o;
        th->cap_order = batch->num_rows;
    }
    if (s->buckets) KN_TRY(order_by_bucket(s, th, groups, err));
    size_t at = 0;
    for (size_t i = 0; i < groups; i++) {
        const uint8_t *path;
        const uint32_t *rows;
        size_t len, n, g = s->buckets ? th->group_order[i] : i;
        kn_part_route_group(th->router, g, &path, &len, &rows, &n);
        memcpy(th->order + at, rows, n * sizeof *rows);
        KN_TRY(kn_part_morsel_add(out, path, len, at, n, err));
        at += n;
    }
    for (size_t c = 0; c < ncols; c++) {
        const kn_column *src = &batch->columns[s->map[c]];
        th->bitmap[c] = src->validity && src->null_count;
        th->room[c] = kn_col_gather_bytes(src, th->order, at) + KN_GATHER_PAD;
    }
    KN_TRY(kn_batch_create_packed(s->file_schema, at, th->room, th->bitmap, &out->batch, err));
    for (size_t c = 0; c < ncols; c++) {
        const kn_column *src = &batch->columns[s->map[c]];
        KN_TRY(kn_col_gather_sized(&out->batch->columns[c], src, th->order, at, th->room[c] - KN_GATHER_PAD, err));
    }
    out->batch->num_rows = at;
    return KN_OK;
}

/* Parses the slot's morsel (from `forced` when not SIZE_MAX) and splits its rows by folder. */
static void pstream_parse_from(pstream *s, int thread, size_t si, size_t forced, kn_part_morsel *out) {
    pstream_thread *th = &s->threads[thread];
    kn_run_slot *sl = &s->slots[si];
    kn__slot_parse(s->r, thread, sl, s->check_layout, th->reader, th->batch, forced, s->keep_going, s->prof);
    uint64_t t = kn_profile_start(s->prof);
    if (sl->out.fatal == KN_OK && sl->check == KN_OK && th->batch->num_rows) {
        kn_status st = group_by_folder(s, th, th->batch, out, &sl->out.fatal_error);
        if (st != KN_OK) sl->out.fatal = st;
    }
    kn_profile_lap(s->prof, KN_STAGE_TRANSFORM, t);
}

static bool pstream_parse(void *ctx, int thread, size_t m, size_t si, kn_part_morsel *out) {
    pstream *s = ctx;
    if (!kn__plan_take(s->r->plan, m, &s->slots[si].mo)) return false;
    pstream_parse_from(s, thread, si, SIZE_MAX, out);
    return true;
}

static kn_status pstream_accept(void *ctx, size_t m, size_t si, kn_part_morsel *pm, kn_error *err) {
    (void)m;
    pstream *s = ctx;
    kn_run_slot *sl = &s->slots[si];
    kn_run_input *in = kn__input(s->r, &sl->mo);
    if (kn__start_wrong(s->r, in, sl->start)) {
        kn__note_reread(s->r, in, sl->start);
        kn_part_morsel_clear(pm);
        pstream_parse_from(s, s->num_threads, si, in->verified_end, pm);
    }
    return kn__slot_accept(s->r, sl, pm->batch ? pm->batch->num_rows : 0, err);
}

static kn_status pstream_write(void *ctx, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                               kn_error *err) {
    pstream *s = ctx;
    return kn_part_sink_write_part_rowgroup(s->r->files, part, path, len, rg, err);
}

static kn_status pstream_close(void *ctx, size_t part, kn_error *err) {
    pstream *s = ctx;
    return kn_part_sink_close_part(s->r->files, part, err);
}

/* What both partitioned writes take (kn_part_pipeline.h, kn_part_buckets.h). */
static kn_part_pipeline_options run_options(pstream *s, const kn_pq_layout *layout, int threads, size_t window) {
    kn_run *r = s->r;
    return (kn_part_pipeline_options){
        .num_morsels = kn__plan_num_morsels(r->plan),
        .threads = threads,
        .window = window,
        .schema = s->file_schema,
        .layout = layout,
        .memory_bytes = r->opt->memory_limit,
        .spill_store = kn_commit_store(r->commit),
        .spill_dir = r->tmp_dir,
        .profile = r->profile,
        .ops = {s, pstream_parse, pstream_accept, pstream_write, pstream_close},
    };
}

/* Each folder's rows through its queue (kn_part_pipeline.h). */
static kn_status run_queues(pstream *s, const kn_pq_layout *layout, int threads, size_t window, kn_error *err) {
    kn_run *r = s->r;
    kn_part_pipeline_options pl = run_options(s, layout, threads, window);
    kn_part_pipeline_stats stats;
    kn_status st = kn_part_pipeline_run(&pl, &stats, err);
    r->result->spill_runs = stats.spill_runs;
    r->result->spill_bytes = stats.spill_bytes;
    if (st == KN_OK)
        kn_log(KN_LOG_INFO,
               "partitioned write: %" PRIu64 " of %" PRIu64 " folders encoded as their rows came (%" PRIu64
               " of them waited for memory), %" PRIu64 " MiB of their pages moved to the spill",
               stats.folders_promoted, kn_part_sink_partitions(r->files), stats.folders_waited,
               stats.pages_moved_bytes >> 20);
    return st;
}

/* The input's bytes, or 0 when some are not known up front (read as they come). */
static uint64_t input_bytes(kn_run *r) {
    size_t n;
    kn_run_input *in = kn__plan_inputs(r->plan, &n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].streamed) return 0;
        total += in[i].map.len;
    }
    return total;
}

/* Every row spilled once by bucket, then each bucket regrouped by folder (kn_part_buckets.h). */
static kn_status run_buckets(pstream *s, const kn_pq_layout *layout, int threads, size_t window, kn_error *err) {
    kn_run *r = s->r;
    s->buckets = kn_part_buckets_count(input_bytes(r), r->opt->memory_limit, threads);
    kn_part_buckets_options bo = {s->buckets, run_options(s, layout, threads, window)};
    kn_part_buckets_stats stats;
    kn_status st = kn_part_buckets_run(&bo, &stats, err);
    r->result->spill_runs = stats.spill_runs;
    r->result->spill_bytes = stats.spill_bytes;
    if (st == KN_OK)
        kn_log(KN_LOG_INFO, "partitioned write by %zu buckets: %" PRIu64 " folders, %" PRIu64 " MiB spilled, %" PRIu64 " regroups",
               s->buckets, kn_part_sink_partitions(r->files), stats.spill_bytes >> 20, stats.passes);
    return st;
}

static kn_status write_partitioned(kn_run *r, int threads, bool by_bucket, kn_error *err) {
    const kn_part_spec *spec = r->key_spec.part;
    const kn_convert_options *opt = r->opt;
    kn_pq_options po = opt->parquet;
    po.row_group_bytes = kn__stream_row_group_bytes(opt);
    po.threads = 1;
    pstream s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.keep_going = opt->on_error != KN_ON_ERROR_FAIL;
    s.prof = r->profile;
    s.file_schema = kn_part_sink_schema(r->files);
    size_t window = kn__stream_window(threads), ncols = r->schema->num_fields;
    kn_pq_layout *layout = NULL, *check = NULL;
    kn_schema *file_schema = NULL;
    size_t *map = NULL;
    kn_status st = kn_pq_layout_create(s.file_schema, &po, &layout, err);
    if (st == KN_OK) st = kn_pq_layout_create(r->schema, &po, &check, err);
    if (st == KN_OK) st = kn_part_file_schema(r->schema, spec, opt->drop_partition_columns, &file_schema, &map, err);
    s.check_layout = check;
    s.map = map;
    if (st == KN_OK) {
        s.threads = kn_calloc((size_t)threads + 1, sizeof *s.threads);
        s.num_threads = threads;
        st = s.threads ? kn__slots_create(window, ncols, &s.slots, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    for (int t = 0; st == KN_OK && t <= threads; t++) {
        st = r->fmt->reader_create(r->fopts, r->schema, &s.threads[t].reader, err);
        if (st == KN_OK) st = kn_batch_create(r->schema, 1024, &s.threads[t].batch, err);
        if (st == KN_OK) st = kn_part_router_create(spec, &s.threads[t].router, err);
        if (st == KN_OK) {
            s.threads[t].room = kn_calloc(ncols ? ncols : 1, sizeof *s.threads[t].room);
            s.threads[t].bitmap = kn_calloc(ncols ? ncols : 1, sizeof *s.threads[t].bitmap);
            if (!s.threads[t].room || !s.threads[t].bitmap) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        }
    }
    if (st == KN_OK && by_bucket) st = run_buckets(&s, layout, threads, window, err);
    else if (st == KN_OK) st = run_queues(&s, layout, threads, window, err);
    if (st == KN_OK && kn_part_sink_rows(r->files) != r->result->rows_written)
        st = kn_error_set(err, KN_E_INTERNAL, "%" PRIu64 " rows reached the files of %" PRIu64 " handed over",
                          kn_part_sink_rows(r->files), r->result->rows_written);
    for (int t = 0; s.threads && t <= threads; t++) {
        r->fmt->reader_free(s.threads[t].reader);
        kn_batch_free(s.threads[t].batch);
        kn_part_router_free(s.threads[t].router);
        kn_free(s.threads[t].order);
        kn_free(s.threads[t].group_order);
        kn_free(s.threads[t].bucket_at);
        kn_free(s.threads[t].room);
        kn_free(s.threads[t].bitmap);
    }
    kn__slots_free(s.slots, window);
    kn_free(s.threads);
    kn_free(map);
    kn_schema_free(file_schema);
    kn_pq_layout_free(check);
    kn_pq_layout_free(layout);
    return st;
}

/* The first morsel has at least this many folders, with fewer than PROBE_ROWS_PER_FOLDER rows
 * each on average: the folders are many and interleaved (an hourly key over random times), so
 * every folder's rows come a row or two per morsel and queueing them costs more per row than
 * sorting. */
#define PROBE_MIN_FOLDERS 8192
#define PROBE_ROWS_PER_FOLDER 4

bool kn__partitioned_suits(kn_run *r) {
    size_t morsels = kn__plan_num_morsels(r->plan);
    kn_run_morsel mo;
    /* A feed is read once: its first morsel cannot be looked at twice. */
    if (morsels == KN_SCHED_OPEN || morsels == 0 || !kn__plan_take(r->plan, 0, &mo)) return true;
    kn_format_reader *reader = NULL;
    kn_batch *batch = NULL;
    kn_part_router *router = NULL;
    kn_morsel_out out;
    memset(&out, 0, sizeof out);
    kn_error e;
    bool suits = true;
    if (r->fmt->reader_create(r->fopts, r->schema, &reader, &e) == KN_OK &&
        kn_batch_create(r->schema, 1024, &batch, &e) == KN_OK &&
        kn_part_router_create(r->key_spec.part, &router, &e) == KN_OK) {
        (void)kn__parse_morsel(r, reader, batch, &out, kn__input(r, &mo), &mo, SIZE_MAX, true);
        if (out.fatal == KN_OK && batch->num_rows && kn_part_route(router, batch, &e) == KN_OK) {
            size_t folders = kn_part_route_groups(router);
            suits = folders < PROBE_MIN_FOLDERS || folders * PROBE_ROWS_PER_FOLDER <= batch->num_rows;
        }
    }
    kn__out_release(&out);
    kn_part_router_free(router);
    kn_batch_free(batch);
    if (reader) r->fmt->reader_free(reader);
    return suits;
}

static kn_status write_queued(kn_run *r, int threads, kn_error *err) { return write_partitioned(r, threads, false, err); }
static kn_status write_bucketed(kn_run *r, int threads, kn_error *err) { return write_partitioned(r, threads, true, err); }

const kn_output kn__output_partitioned = {"partition-stream", NULL, write_queued, NULL};
const kn_output kn__output_bucketed = {"partition-buckets", NULL, write_bucketed, NULL};
