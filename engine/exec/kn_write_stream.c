/* engine/exec/kn_write_stream.c: the streaming write: morsels parsed on every thread, their
 * rows into row groups in input order, columns encoded on any thread (kn_pipeline.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_pipeline.h"

typedef struct stream {
    kn_run *r;
    const kn_pq_layout *layout;
    kn_format_reader **readers; /* one per thread, and one for the acceptor's second reads */
    int threads;
    kn_run_slot *slots;
    bool keep_going;
    kn_profile *prof;
} stream;

static bool stream_parse(void *ctx, int thread, size_t m, size_t si, kn_batch *batch) {
    stream *s = ctx;
    kn_run_slot *sl = &s->slots[si];
    if (!kn__plan_take(s->r->plan, m, &sl->mo)) return false;
    kn__slot_parse(s->r, thread, sl, s->layout, s->readers[thread], batch, SIZE_MAX, s->keep_going, s->prof);
    return true;
}

static kn_status stream_accept(void *ctx, size_t m, size_t si, kn_batch *batch, kn_error *err) {
    (void)m;
    stream *s = ctx;
    kn_run_slot *sl = &s->slots[si];
    kn_run_input *in = kn__input(s->r, &sl->mo);
    if (kn__start_wrong(s->r, in, sl->start)) {
        /* One acceptor at a time: the spare reader past the threads' is this step's. */
        kn__note_reread(s->r, in, sl->start);
        kn__slot_parse(s->r, s->threads, sl, s->layout, s->readers[s->threads], batch, in->verified_end, s->keep_going,
                       s->prof);
    }
    return kn__slot_accept(s->r, sl, batch->num_rows, err);
}

static kn_status stream_write(void *ctx, const kn_pq_rowgroup *rg, kn_error *err) {
    stream *s = ctx;
    return kn_part_sink_write_rowgroup(s->r->files, rg, err);
}

static kn_status write_streaming(kn_run *r, int threads, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_pq_options po = opt->parquet;
    po.row_group_bytes = kn__stream_row_group_bytes(opt);
    stream s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.keep_going = opt->on_error != KN_ON_ERROR_FAIL;
    s.prof = r->profile;
    s.threads = threads;
    size_t window = kn__stream_window(threads), ncols = r->schema->num_fields;
    kn_pq_layout *layout = NULL;
    kn_status st = kn_pq_layout_create(kn_part_sink_schema(r->files), &po, &layout, err);
    s.layout = layout;
    if (st == KN_OK) {
        s.readers = kn_calloc((size_t)threads + 1, sizeof *s.readers);
        st = s.readers ? kn__slots_create(window, ncols, &s.slots, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    for (int t = 0; st == KN_OK && t <= threads; t++) st = r->fmt->reader_create(r->fopts, r->schema, &s.readers[t], err);
    if (st == KN_OK) {
        kn_pipeline_options pl = {
            .num_morsels = kn__plan_num_morsels(r->plan),
            .threads = threads,
            .window = window,
            .row_groups = 2,
            .batch_schema = r->schema,
            .layout = layout,
            .profile = r->profile,
            .ops = {&s, stream_parse, stream_accept, stream_write},
        };
        st = kn_pipeline_run(&pl, err);
    }
    if (st == KN_OK && kn_part_sink_rows(r->files) != r->result->rows_written)
        st = kn_error_set(err, KN_E_INTERNAL, "%" PRIu64 " rows reached the files of %" PRIu64 " handed over",
                          kn_part_sink_rows(r->files), r->result->rows_written);
    for (int t = 0; s.readers && t <= threads; t++) r->fmt->reader_free(s.readers[t]);
    kn__slots_free(s.slots, window);
    kn_free(s.readers);
    kn_pq_layout_free(layout);
    return st;
}

const kn_output kn__output_stream = {"stream", NULL, write_streaming, NULL};
