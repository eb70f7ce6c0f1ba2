/* engine/exec/kn_write_partitioned.c: the streaming partitioned write: each morsel split by
 * folder on its parse thread, each folder's rows into its own open file (kn_part_pipeline.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_gather.h"
#include "kn_part_route.h"

/* The thread's scratch for the partitioned write: the reader, its batch, the router that
 * splits it by folder, and the split's sizes (string bytes per column and folder, then one
 * folder's room and bitmaps per column). */
typedef struct pstream_thread {
    kn_format_reader *reader;
    kn_batch *batch;
    kn_part_router *router;
    size_t *sizes, cap_sizes;
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
    size_t max_partitions;
    bool keep_going;
    kn_profile *prof;
} pstream;

/* Copies the batch's rows into one batch per folder (in the files' schema). Each folder's
 * batch is one allocation sized from its rows up front (kn_batch_create_packed). */
static kn_status split_by_folder(pstream *s, pstream_thread *th, const kn_batch *batch, kn_part_morsel *out,
                                 kn_error *err) {
    KN_TRY(kn_part_route(th->router, batch, err));
    size_t groups = kn_part_route_groups(th->router), ncols = s->file_schema->num_fields;
    if (groups > s->max_partitions) {
        /* The run will give way to the sort at this morsel: no need to copy its rows. */
        out->too_many = true;
        return KN_OK;
    }
    if (groups * ncols > th->cap_sizes) {
        size_t *p = kn_realloc(th->sizes, groups * ncols * sizeof *p);
        if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory splitting rows by folder");
        th->sizes = p;
        th->cap_sizes = groups * ncols;
    }
    /* The string bytes of every column and folder, then the folders' batches, then the copies
     * column by column: each source column is read once, from cache, by every folder in turn. */
    for (size_t c = 0; c < ncols; c++) {
        const kn_column *src = &batch->columns[s->map[c]];
        th->bitmap[c] = src->validity && src->null_count;
        for (size_t g = 0; g < groups; g++) {
            const uint8_t *path;
            const uint32_t *rows;
            size_t len, n;
            kn_part_route_group(th->router, g, &path, &len, &rows, &n);
            th->sizes[c * groups + g] = kn_col_gather_bytes(src, rows, n);
        }
    }
    size_t first = out->num_groups;
    for (size_t g = 0; g < groups; g++) {
        const uint8_t *path;
        const uint32_t *rows;
        size_t len, n;
        kn_part_route_group(th->router, g, &path, &len, &rows, &n);
        for (size_t c = 0; c < ncols; c++) th->room[c] = th->sizes[c * groups + g] + KN_GATHER_PAD;
        kn_batch *b;
        KN_TRY(kn_batch_create_packed(s->file_schema, n, th->room, th->bitmap, &b, err));
        KN_TRY(kn_part_morsel_add(out, path, len, b, err));
        b->num_rows = n;
    }
    for (size_t c = 0; c < ncols; c++) {
        const kn_column *src = &batch->columns[s->map[c]];
        for (size_t g = 0; g < groups; g++) {
            const uint8_t *path;
            const uint32_t *rows;
            size_t len, n;
            kn_part_route_group(th->router, g, &path, &len, &rows, &n);
            KN_TRY(kn_col_gather_sized(&out->groups[first + g].batch->columns[c], src, rows, n,
                                        th->sizes[c * groups + g], err));
        }
    }
    return KN_OK;
}

/* Parses the slot's morsel (from `forced` when not SIZE_MAX) and splits its rows by folder. */
static void pstream_parse_from(pstream *s, int thread, size_t si, size_t forced, kn_part_morsel *out) {
    pstream_thread *th = &s->threads[thread];
    kn_run_slot *sl = &s->slots[si];
    kn__slot_parse(s->r, thread, sl, s->check_layout, th->reader, th->batch, forced, s->keep_going, s->prof);
    uint64_t t = kn_profile_start(s->prof);
    if (sl->out.fatal == KN_OK && sl->check == KN_OK && th->batch->num_rows) {
        kn_status st = split_by_folder(s, th, th->batch, out, &sl->out.fatal_error);
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
    size_t rows = 0;
    for (size_t i = 0; i < pm->num_groups; i++) rows += pm->groups[i].batch->num_rows;
    return kn__slot_accept(s->r, sl, rows, err);
}

static kn_status pstream_write(void *ctx, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                               kn_error *err) {
    pstream *s = ctx;
    return kn_part_sink_write_part_rowgroup(s->r->files, part, path, len, rg, err);
}

/* Distinct folders the partitioned streaming write keeps open at most: the option, and no more
 * than one per MiB of --memory-limit, so each open row group can still grow to some size
 * before the open-bytes rule seals it; past that the sort writes better files. */
size_t kn__pstream_max_partitions(const kn_convert_options *opt) {
    uint64_t by_memory = opt->memory_limit / ((uint64_t)1 << 20);
    if (by_memory < 1) by_memory = 1;
    return opt->max_open_partitions < by_memory ? opt->max_open_partitions : (size_t)by_memory;
}

static kn_status write_part_streaming(kn_run *r, int threads, bool *overflow, kn_error *err) {
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
    s.max_partitions = kn__pstream_max_partitions(opt);
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
    if (st == KN_OK) {
        kn_part_pipeline_options pl = {
            .num_morsels = kn__plan_num_morsels(r->plan),
            .threads = threads,
            .window = window,
            .layout = layout,
            .max_partitions = s.max_partitions,
            /* Half the budget for rows being filled, a quarter for sealed row groups waiting
             * (kn_part_pipeline.h): measured, a bigger share only adds page faults. */
            .open_bytes = opt->memory_limit / 2,
            .profile = r->profile,
            .ops = {&s, pstream_parse, pstream_accept, pstream_write},
        };
        st = kn_part_pipeline_run(&pl, overflow, err);
    }
    if (st == KN_OK && !*overflow && kn_part_sink_rows(r->files) != r->result->rows_written)
        st = kn_error_set(err, KN_E_INTERNAL, "%" PRIu64 " rows reached the files of %" PRIu64 " handed over",
                          kn_part_sink_rows(r->files), r->result->rows_written);
    for (int t = 0; s.threads && t <= threads; t++) {
        r->fmt->reader_free(s.threads[t].reader);
        kn_batch_free(s.threads[t].batch);
        kn_part_router_free(s.threads[t].router);
        kn_free(s.threads[t].sizes);
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

const kn_output kn__output_partitioned = {"partition-stream", NULL, write_part_streaming, NULL};
