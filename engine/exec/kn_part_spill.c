/* engine/exec/kn_part_spill.c: the partitioned write's spill runs (kn_part_spill.h). */
#include "kn_part_spill.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_sort_key.h"
#include "kn_spill_block.h"
#include "kn_stream.h"

/* Encoded segments are written to the run's sink in pieces of about this size. */
#define WRITE_BYTES ((size_t)1 << 20)

/* Runs a reader keeps open at once (a write that moves pages may make thousands of runs). */
#define MAX_OPEN_SOURCES 64

/* One thread's way back in: a source per run, opened on its first read, and the bytes read. */
typedef struct reader {
    kn_source **sources; /* per run, or NULL */
    size_t cap;
    size_t open;         /* sources open: past MAX_OPEN_SOURCES all are closed, then reopened when read */
    kn_buf buf;
    kn_keyed_batch kb; /* wraps the caller's batch while decoding */
} reader;

/* One thread's run being written. */
typedef struct writer {
    kn_sink *sink;      /* or NULL between runs */
    uint32_t run;
    uint64_t run_bytes; /* bytes of the run so far */
    kn_buf enc;         /* encoded segments not yet written */
} writer;

struct kn_part_spill {
    kn_store *store;
    const char *dir;
    const kn_schema *schema;
    pthread_mutex_t mu;   /* the run table: readers open runs while writers add them */
    char **paths;         /* per run, owned */
    uint32_t num_runs;
    _Atomic uint64_t bytes;
    reader *readers;
    writer *writers;
    int threads;
};

kn_status kn_part_spill_create(kn_store *store, const char *dir, const kn_schema *schema, int threads,
                               kn_part_spill **out, kn_error *err) {
    *out = NULL;
    kn_part_spill *sp = kn_calloc(1, sizeof *sp);
    if (sp) sp->readers = kn_calloc((size_t)threads, sizeof *sp->readers);
    if (sp) sp->writers = kn_calloc((size_t)threads, sizeof *sp->writers);
    if (!sp || !sp->readers || !sp->writers) {
        if (sp) kn_free(sp->readers);
        kn_free(sp);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    sp->store = store;
    sp->dir = dir;
    sp->schema = schema;
    sp->threads = threads;
    pthread_mutex_init(&sp->mu, NULL);
    *out = sp;
    return KN_OK;
}

kn_status kn_part_spill_begin(kn_part_spill *sp, int thread, kn_error *err) {
    writer *w = &sp->writers[thread];
    KN_RETURN_ERROR_IF(w->sink, err, KN_E_INTERNAL, "a spill run began before the thread's last one ended");
    pthread_mutex_lock(&sp->mu);
    uint32_t run = sp->num_runs;
    char name[64];
    snprintf(name, sizeof name, "part-spill-%" PRIu32, run);
    char *path = kn_store_join(sp->dir, name);
    char **paths = path ? kn_realloc(sp->paths, ((size_t)run + 1) * sizeof *paths) : NULL;
    if (paths) {
        sp->paths = paths;
        sp->paths[sp->num_runs++] = path; /* counted before its file may exist, so free removes it */
    }
    pthread_mutex_unlock(&sp->mu);
    if (!paths) {
        kn_free(path);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    KN_TRY(kn_store_open_sink(sp->store, path, KN_SINK_PRIVATE, &w->sink, err));
    w->run = run;
    w->run_bytes = 0;
    kn_buf_clear(&w->enc);
    return KN_OK;
}

static kn_status write_out(writer *w, kn_error *err) {
    if (!w->enc.len) return KN_OK;
    KN_TRY(kn_sink_write(w->sink, w->enc.data, w->enc.len, err));
    kn_buf_clear(&w->enc);
    return KN_OK;
}

kn_status kn_part_spill_add_ranges(kn_part_spill *sp, int thread, const kn_row_range *ranges, size_t count,
                                   kn_part_segment *seg, kn_error *err) {
    writer *w = &sp->writers[thread];
    KN_RETURN_ERROR_IF(!w->sink, err, KN_E_INTERNAL, "a spill segment added outside a run");
    size_t before = w->enc.len, n = 0;
    for (size_t i = 0; i < count; i++) n += ranges[i].n;
    KN_TRY(kn__spill_block_encode_ranges(ranges, count, &w->enc, err)); /* refuses 2^32 rows */
    uint64_t len = w->enc.len - before;
    *seg = (kn_part_segment){.run = w->run, .rows = (uint32_t)n, .offset = w->run_bytes, .len = len};
    w->run_bytes += len;
    atomic_fetch_add(&sp->bytes, len);
    if (w->enc.len >= WRITE_BYTES) KN_TRY(write_out(w, err));
    return KN_OK;
}

kn_status kn_part_spill_add_rows(kn_part_spill *sp, int thread, const kn_batch *batch, size_t row, size_t n,
                                 kn_part_segment *seg, kn_error *err) {
    kn_row_range one = {batch, row, n};
    return kn_part_spill_add_ranges(sp, thread, &one, 1, seg, err);
}

kn_status kn_part_spill_add_bytes(kn_part_spill *sp, int thread, const uint8_t *data, size_t len, kn_part_segment *seg,
                                  kn_error *err) {
    writer *w = &sp->writers[thread];
    KN_RETURN_ERROR_IF(!w->sink, err, KN_E_INTERNAL, "a spill segment added outside a run");
    *seg = (kn_part_segment){.run = w->run, .rows = 0, .offset = w->run_bytes, .len = len};
    w->run_bytes += len;
    atomic_fetch_add(&sp->bytes, len);
    if (w->enc.len + len < WRITE_BYTES) {
        if (!kn_buf_append(&w->enc, data, len)) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        return KN_OK;
    }
    KN_TRY(write_out(w, err));
    return kn_sink_write(w->sink, data, len, err);
}

kn_status kn_part_spill_end(kn_part_spill *sp, int thread, kn_error *err) {
    writer *w = &sp->writers[thread];
    kn_status st = write_out(w, err);
    kn_sink *s = w->sink;
    w->sink = NULL;
    if (st != KN_OK) {
        kn_sink_abort(s);
        return st;
    }
    return kn_sink_close(s, err);
}

/* The thread's source for the segment's run, opened on first use. */
static kn_status run_source(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_source **out, kn_error *err) {
    reader *rd = &sp->readers[thread];
    if (seg->run >= rd->cap) {
        size_t cap = (size_t)seg->run + 1;
        kn_source **s = kn_realloc(rd->sources, cap * sizeof *s);
        if (!s) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        memset(s + rd->cap, 0, (cap - rd->cap) * sizeof *s);
        rd->sources = s;
        rd->cap = cap;
    }
    if (!rd->sources[seg->run]) {
        if (rd->open >= MAX_OPEN_SOURCES) {
            for (size_t i = 0; i < rd->cap; i++) {
                kn_source_free(rd->sources[i]);
                rd->sources[i] = NULL;
            }
            rd->open = 0;
        }
        pthread_mutex_lock(&sp->mu);
        const char *path = seg->run < sp->num_runs ? sp->paths[seg->run] : NULL;
        pthread_mutex_unlock(&sp->mu);
        KN_RETURN_ERROR_IF(!path, err, KN_E_INTERNAL, "a spill segment of a run that is not there");
        KN_TRY(kn_store_open_source(sp->store, path, &rd->sources[seg->run], err));
        rd->open++;
    }
    *out = rd->sources[seg->run];
    return KN_OK;
}

kn_status kn_part_spill_read_bytes(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_buf *out,
                                   kn_error *err) {
    kn_source *src;
    KN_TRY(run_source(sp, thread, seg, &src, err));
    if (!kn_buf_reserve(out, (size_t)seg->len)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a spill run");
    KN_TRY(kn_source_read_at(src, seg->offset, out->data + out->len, (size_t)seg->len, err));
    out->len += (size_t)seg->len;
    return KN_OK;
}

/* Reads segment `seg` of rows into the thread's buffer and checks its header; *payload is the
 * block's payload there. */
static kn_status read_block(kn_part_spill *sp, int thread, const kn_part_segment *seg, const uint8_t **payload,
                            kn_error *err) {
    reader *rd = &sp->readers[thread];
    kn_source *src;
    KN_TRY(run_source(sp, thread, seg, &src, err));
    kn_buf_clear(&rd->buf);
    if (!kn_buf_reserve(&rd->buf, (size_t)seg->len)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a spill run");
    KN_TRY(kn_source_read_at(src, seg->offset, rd->buf.data, (size_t)seg->len, err));
    uint32_t rows;
    uint64_t len;
    KN_RETURN_ERROR_IF(seg->len < KN_SPILL_HEADER_BYTES, err, KN_E_IO, "a spill segment is damaged (too short)");
    KN_TRY(kn__spill_block_header(rd->buf.data, &rows, &len, err));
    KN_RETURN_ERROR_IF(rows != seg->rows || len != seg->len - KN_SPILL_HEADER_BYTES, err, KN_E_IO,
                       "a spill segment is damaged (%" PRIu32 " rows of %" PRIu32 ")", rows, seg->rows);
    *payload = rd->buf.data + KN_SPILL_HEADER_BYTES;
    return KN_OK;
}

kn_status kn_part_spill_read(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_batch *batch,
                             kn_error *err) {
    reader *rd = &sp->readers[thread];
    const uint8_t *payload;
    KN_TRY(read_block(sp, thread, seg, &payload, err));
    rd->kb.batch = batch;
    kn_status st = kn__spill_block_decode(payload, (size_t)seg->len - KN_SPILL_HEADER_BYTES, seg->rows, &rd->kb, err);
    rd->kb.batch = NULL;
    return st;
}

kn_status kn_part_spill_read_append(kn_part_spill *sp, int thread, const kn_part_segment *seg, kn_batch *batch,
                                    kn_error *err) {
    const uint8_t *payload;
    KN_TRY(read_block(sp, thread, seg, &payload, err));
    return kn__spill_block_decode_append(payload, (size_t)seg->len - KN_SPILL_HEADER_BYTES, seg->rows, batch, err);
}

uint64_t kn_part_spill_runs(const kn_part_spill *sp) { return sp->num_runs; }
uint64_t kn_part_spill_bytes(const kn_part_spill *sp) { return atomic_load(&sp->bytes); }

void kn_part_spill_free(kn_part_spill *sp) {
    if (!sp) return;
    for (int t = 0; t < sp->threads; t++) {
        kn_sink_abort(sp->writers[t].sink);
        kn_buf_free(&sp->writers[t].enc);
    }
    for (int t = 0; t < sp->threads; t++) {
        reader *rd = &sp->readers[t];
        for (size_t i = 0; i < rd->cap; i++) kn_source_free(rd->sources[i]);
        kn_free(rd->sources);
        kn_buf_free(&rd->buf);
        kn_keyed_batch_release(&rd->kb);
    }
    for (uint32_t i = 0; i < sp->num_runs; i++) {
        (void)kn_store_remove(sp->store, sp->paths[i], NULL);
        kn_free(sp->paths[i]);
    }
    kn_free(sp->paths);
    kn_free(sp->readers);
    kn_free(sp->writers);
    pthread_mutex_destroy(&sp->mu);
    kn_free(sp);
}
