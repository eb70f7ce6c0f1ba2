/* engine/exec/kn_convert.c: the convert pipeline: plan, parse on every core, then either stream
 * the batches in input order into the files or cluster them (keys, external sort, one partition
 * file at a time), then commit. See kn_convert.h for the shape and the guarantees. */
#include "kn_convert.h"

#include <errno.h>
#include <inttypes.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_artifacts.h"
#include "kn_buf.h"
#include "kn_col_copy.h"
#include "kn_commit.h"
#include "kn_exec_reader.h"
#include "kn_file.h"
#include "kn_json_out.h"
#include "kn_list.h"
#include "kn_log.h"
#include "kn_part_pipeline.h"
#include "kn_part_route.h"
#include "kn_part_sink.h"
#include "kn_part_stats.h"
#include "kn_pipeline.h"
#include "kn_pq_rowgroup.h"
#include "kn_profile.h"
#include "kn_partition.h"
#include "kn_progress.h"
#include "kn_sort_key.h"
#include "kn_sort_rows.h"
#include "kn_sort_spill.h"

void kn_convert_options_init(kn_convert_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->infer_records = 10000;
    opt->infer_files = 4;
    kn_pq_options_init(&opt->parquet);
    opt->target_file_bytes = 256ull << 20;
    opt->threads = 0;
    opt->morsel_bytes = 8u << 20;
    opt->on_error = KN_ON_ERROR_FAIL;
    opt->max_errors = -1;
    opt->mode = KN_MODE_ERROR_IF_EXISTS;
    opt->progress = true;
    opt->memory_limit = 512ull << 20;
    opt->max_open_partitions = 128;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- plan: inputs and morsels ------------------------------------------------------------ */

typedef struct input {
    const char *path; /* borrowed from the input list */
    kn_file_map map;
    kn_format_file *file; /* the format's view of it (its prologue) */
    size_t data_start;    /* the first record's first byte */
    size_t verified_end;  /* GUESS formats: where the last morsel accepted really ended */
    size_t first_morsel, num_morsels;
    /* Line counting for messages, advanced in input order only (so O(file) in total). */
    size_t line_cursor;
    int64_t line_at_cursor;
} input;

typedef struct morsel {
    uint32_t input;
    uint32_t index_in_file;
} morsel;

/* A morsel's bytes: the records whose first byte lies in [k*M, (k+1)*M), so the cut depends
 * only on the bytes and M. An EXACT format finds both ends (the reader gets [start, end)); a
 * GUESS format guesses the start (or is given `forced`, where the previous morsel really
 * ended) and its reader gets the rest of the file with a stop at (k+1)*M (kn_format.h). */
static void morsel_range(const kn_format *fmt, const kn_format_opts *fo, const input *in, size_t k, size_t m,
                         size_t forced, size_t *start, size_t *end, size_t *stop) {
    size_t len = in->map.len;
    size_t nominal = k * m, next = (k + 1) * m < len ? (k + 1) * m : len;
    if (forced != SIZE_MAX) *start = forced;
    else if (k == 0 || nominal <= in->data_start) *start = in->data_start < len ? in->data_start : len;
    else *start = nominal < len ? fmt->record_start(fo, in->file, in->map.data, len, nominal) : len;
    if (fmt->split == KN_SPLIT_EXACT) {
        *end = next < len ? fmt->record_start(fo, in->file, in->map.data, len, next) : len;
        if (*end < *start) *end = *start;
        *stop = *end;
    } else {
        *end = len;
        *stop = next > *start ? next : *start;
    }
}

/* 1-based line and column of absolute offset `off` in `in`; offsets must not go backwards. */
static void locate_line(input *in, size_t off, int64_t *line, int64_t *col) {
    if (in->line_at_cursor == 0) in->line_at_cursor = 1;
    const uint8_t *d = in->map.data;
    while (in->line_cursor < off) {
        const uint8_t *nl = memchr(d + in->line_cursor, '\n', off - in->line_cursor);
        if (!nl) {
            in->line_cursor = off;
            break;
        }
        in->line_cursor = (size_t)(nl - d) + 1;
        in->line_at_cursor++;
    }
    *line = in->line_at_cursor;
    if (col) {
        size_t ls = off;
        while (ls > 0 && d[ls - 1] != '\n') ls--;
        *col = (int64_t)(off - ls) + 1;
    }
}

/* Hands a parsed morsel's input pages back (kn_file_map_release), widened by RELEASE_MARGIN on
 * both sides: finding a morsel's edges reads a few bytes of its neighbours, and a fault maps the
 * whole page-cache folio it lands in (large folios reach megabytes), so pages of a neighbour
 * already released come back; without the margin they would stay resident for good and the
 * resident set would grow with the input. Releasing pages a neighbour still reads only costs it
 * a fault. */
#define RELEASE_MARGIN ((size_t)4 << 20)
static void release_input(input *in, size_t start, size_t end) {
    size_t lo = start > RELEASE_MARGIN ? start - RELEASE_MARGIN : 0;
    kn_file_map_release(&in->map, lo, end + RELEASE_MARGIN - lo);
}

/* ---- per-morsel results, handed from the parse phase to the ordered write phase ---------- */

typedef struct reject {
    uint64_t offset;   /* the record's first byte in its file */
    uint8_t *record;   /* a copy of the record, owned */
    size_t len;
    kn_error error;    /* what is wrong, with the absolute byte offset of the fault */
} reject;

/* What parsing one morsel gave besides its rows: its bad records and counts. */
typedef struct morsel_out {
    reject *rejects;
    size_t num_rejects, cap_rejects;
    uint64_t records;
    kn_op_counts dropped; /* rows the steps dropped */
    size_t end;        /* where reading really ended (absolute): the next morsel's start */
    kn_status fatal;   /* a non-data failure while parsing (or, streaming, a value the Parquet
                          column cannot hold) */
    kn_error fatal_error;
} morsel_out;

/* The clustered path's per-thread state. */
typedef struct worker {
    kn_format_reader *reader;
    kn_keyed_batch kb; /* the morsel's rows (kb.batch) and, when clustering, their keys */
    kn_batch *batch;   /* == kb.batch */
    kn_keyed_batch spare; /* clustering: the other half of the sort's double buffer */
    morsel_out out;
} worker;

static void out_clear_rejects(morsel_out *o) {
    for (size_t i = 0; i < o->num_rejects; i++) kn_free(o->rejects[i].record);
    o->num_rejects = 0;
}

static void out_release(morsel_out *o) {
    out_clear_rejects(o);
    kn_free(o->rejects);
    o->rejects = NULL;
    o->cap_rejects = 0;
}

static kn_status out_add_reject(morsel_out *o, uint64_t offset, const uint8_t *data, size_t len,
                                const kn_error *e) {
    if (o->num_rejects == o->cap_rejects) {
        size_t cap = o->cap_rejects ? o->cap_rejects * 2 : 16;
        reject *r = kn_realloc(o->rejects, cap * sizeof *r);
        if (!r) return KN_E_NOMEM;
        o->rejects = r;
        o->cap_rejects = cap;
    }
    reject *r = &o->rejects[o->num_rejects];
    r->record = kn_malloc(len ? len : 1);
    if (!r->record) return KN_E_NOMEM;
    if (len) memcpy(r->record, data, len);
    r->len = len;
    r->offset = offset;
    r->error = *e;
    o->num_rejects++;
    return KN_OK;
}

/* Parses the records of bytes [start, end) of `in` that start before `stop` into `batch`
 * (emptied first) and `o`. `keep_going` is false in fail mode: the first bad record ends the
 * morsel. */
static void parse_range(const kn_format *fmt, kn_format_reader *reader, kn_batch *batch, morsel_out *o,
                        const input *in, size_t start, size_t end, size_t stop, bool keep_going) {
    out_clear_rejects(o);
    o->records = 0;
    o->fatal = KN_OK;
    kn_batch_clear(batch);
    fmt->reader_reset(reader, in->file, in->map.data + start, end - start, stop - start, in->path, start);
    for (;;) {
        bool done = false;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = fmt->reader_next(reader, batch, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *rec;
            size_t len;
            fmt->reader_bad_record(reader, &off, &rec, &len);
            if (out_add_reject(o, off, rec, len, &e) != KN_OK) {
                o->fatal = kn_error_set(&o->fatal_error, KN_E_NOMEM, "out of memory keeping a rejected record");
                break;
            }
            if (!keep_going) break;
            continue;
        }
        if (st != KN_OK) {
            o->fatal = st;
            o->fatal_error = e;
            break;
        }
        if (done) break;
    }
    o->records = fmt->reader_records(reader);
    o->end = start + fmt->reader_end(reader);
    kn_status st = kn_batch_seal(batch, &o->fatal_error);
    if (st != KN_OK && o->fatal == KN_OK) o->fatal = st;
}

/* The clustered path: parses one morsel into w->batch and w->out. The batch is created here
 * when the last one was handed to the sorter. */
static void parse_morsel(const kn_format *fmt, const kn_schema *schema, worker *w,
                         const input *in, size_t start, size_t end, size_t stop, bool keep_going) {
    if (!w->kb.batch && w->spare.batch) {
        w->kb = w->spare; /* the unsorted batch of the last morsel, emptied below */
        memset(&w->spare, 0, sizeof w->spare);
    }
    w->out.fatal = KN_OK;
    if (!w->kb.batch) w->out.fatal = kn_batch_create(schema, 1024, &w->kb.batch, &w->out.fatal_error);
    w->batch = w->kb.batch;
    if (w->out.fatal != KN_OK) {
        out_clear_rejects(&w->out);
        w->out.records = 0;
        return;
    }
    parse_range(fmt, w->reader, w->batch, &w->out, in, start, end, stop, keep_going);
}

/* ---- the ordered write phase ------------------------------------------------------------- */

typedef struct run {
    const kn_convert_options *opt;
    const kn_format *fmt;
    const kn_format_opts *fopts; /* the format's options (NULL: its defaults) */
    const kn_schema *schema;
    kn_commit *commit;
    const char *tmp_dir;    /* OUTDIR/_tmp-<run>/ (the commit's) */
    kn_part_sink *files;    /* the Parquet files */
    bool clustered;         /* partition / sort / slices: keys, sort, planned files */
    kn_sort_key_spec key_spec;
    kn_sorter *sorter;
    kn_part_stats *stats;
    kn_sink *rejects;       /* _rejects/rejects.<format>, opened at the first reject */
    kn_sink *reasons;       /* _rejects/reasons.ndjson */
    kn_convert_result *result;
    kn_status status;       /* the first failure; stops the run */
    kn_error error;
    kn_progress progress;
    kn_profile *profile;    /* stage times (--profile), or NULL */
    kn_pq_options pq;       /* the files' options: opt->parquet, and for the clustered write's
                               one writer, the run's threads to encode its columns */
    kn_op_thread **op_threads; /* [thread * num_steps + step]: each step's state per thread, for
                                  threads + 1 threads (the last: the acceptor's second reads) */
} run;

/* The run's steps on a parsed batch, with thread `thread`'s states; what they drop is counted
 * in o->dropped, a failure kept in o->fatal. */
static void apply_steps(const run *r, int thread, kn_batch *batch, morsel_out *o) {
    const kn_convert_options *opt = r->opt;
    memset(&o->dropped, 0, sizeof o->dropped);
    for (size_t i = 0; o->fatal == KN_OK && i < opt->num_steps && batch->num_rows; i++) {
        const kn_operator *op = opt->steps[i];
        kn_error_reset(&o->fatal_error);
        o->fatal = op->map(op, r->op_threads[(size_t)thread * opt->num_steps + i], batch, &o->dropped, &o->fatal_error);
        if (o->fatal != KN_OK) kn_error_field(&o->fatal_error, op->name);
    }
}

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kn_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Opens the rejects files; the rejects file starts like the input `in` did (a CSV header), so
 * it reads back with the same options. */
static kn_status open_rejects(run *r, const input *in, kn_error *err) {
    char *dir = path_join(r->tmp_dir, "_rejects");
    if (!dir) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        kn_error_locate(err, dir, -1, -1, -1);
        kn_free(dir);
        return kn_error_set(err, KN_E_IO, "cannot create the folder: %s", strerror(errno));
    }
    char name[64];
    snprintf(name, sizeof name, "rejects.%s", r->fmt->reject_extension);
    char *a = path_join(dir, name), *b = path_join(dir, "reasons.ndjson");
    kn_free(dir);
    kn_status st = a && b ? kn_file_sink_create(a, NULL, &r->rejects, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) st = kn_file_sink_create(b, NULL, &r->reasons, err);
    kn_free(a);
    kn_free(b);
    size_t off, len;
    r->fmt->file_reject_prologue(in->file, &off, &len);
    if (st == KN_OK && len) {
        st = kn_sink_write(r->rejects, in->map.data + off, len, err);
        if (st == KN_OK) st = kn_sink_write(r->rejects, "\n", 1, err);
    }
    return st;
}

/* Quarantine: the record verbatim in rejects.<format> (its exact bytes, then a line feed; a
 * CSV record may span lines), and on line N of reasons.ndjson, for the Nth record, a JSON
 * object with its file, line, column, byte offset and reason. */
static kn_status quarantine(run *r, const reject *rj, const input *in, int64_t line, kn_error *err) {
    const char *path = in->path;
    if (!r->rejects) KN_TRY(open_rejects(r, in, err));
    KN_TRY(kn_sink_write(r->rejects, rj->record, rj->len, err));
    KN_TRY(kn_sink_write(r->rejects, "\n", 1, err));
    kn_buf b = KN_BUF_INIT;
    char num[160];
    bool ok = kn_buf_append(&b, "{\"file\":", 8) && kn_json_append_string(&b, path, strlen(path));
    snprintf(num, sizeof num, ",\"line\":%" PRId64 ",\"column\":%" PRId64 ",\"byte_offset\":%" PRIu64 ",\"field\":",
             line, rj->error.column, rj->offset);
    ok = ok && kn_buf_append(&b, num, strlen(num));
    ok = ok && (rj->error.field[0] ? kn_json_append_string(&b, rj->error.field, strlen(rj->error.field))
                                   : kn_buf_append(&b, "null", 4));
    ok = ok && kn_buf_append(&b, ",\"reason\":", 10) &&
         kn_json_append_string(&b, rj->error.what, strlen(rj->error.what)) && kn_buf_append(&b, "}\n", 2);
    kn_status st = ok ? kn_sink_write(r->reasons, b.data, b.len, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_buf_free(&b);
    return st;
}

/* Counts the morsel's rows per partition folder (consecutive rows of one folder at once). */
static kn_status count_partitions(run *r, const kn_keyed_batch *kb, kn_error *err) {
    const kn_batch *b = kb->batch;
    size_t n = b->num_rows, r0 = 0;
    uint64_t raw = 0;
    const uint8_t *path = NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *key = kb->keys.data + kb->key_offs[i];
        size_t plen = kn_sort_key_path_len(key, kb->key_offs[i + 1] - kb->key_offs[i]);
        if (i > r0 && (plen != len || memcmp(key, path, plen) != 0)) {
            KN_TRY(kn_part_stats_add(r->stats, path, len, i - r0, raw, err));
            r0 = i;
            raw = 0;
        }
        path = key;
        len = plen;
        raw += kn__row_plain_bytes(b, i);
    }
    if (n > r0) KN_TRY(kn_part_stats_add(r->stats, path, len, n - r0, raw, err));
    return KN_OK;
}

/* Checks the morsel's bad records against --on-error and --max-errors, counting them as
 * rejected (and quarantining them). On failure the records counted so far are added to
 * rows_read, so the counts still add up in a failed run's result. */
static kn_status account_rejects(run *r, morsel_out *w, input *in, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_convert_result *res = r->result;
    kn_status st = KN_OK;
    size_t counted = 0;
    for (size_t i = 0; st == KN_OK && i < w->num_rejects; i++) {
        reject *rj = &w->rejects[i];
        int64_t line, col;
        uint64_t fault = rj->error.byte_offset >= 0 ? (uint64_t)rj->error.byte_offset : rj->offset;
        locate_line(in, (size_t)rj->offset, &line, NULL);
        /* The column is that of the fault itself, which may sit past the record's start. */
        int64_t fault_line;
        locate_line(in, (size_t)fault, &fault_line, &col);
        rj->error.line = fault_line;
        rj->error.column = col;
        snprintf(rj->error.where, sizeof rj->error.where, "%s", in->path);
        if (opt->on_error == KN_ON_ERROR_FAIL) {
            /* The record that stops the run is neither written nor rejected, nor counted read. */
            *err = rj->error;
            st = KN_E_DATA;
            break;
        }
        res->rows_rejected++;
        counted++;
        if (opt->on_error == KN_ON_ERROR_QUARANTINE) st = quarantine(r, rj, in, fault_line, err);
        if (st == KN_OK && opt->max_errors >= 0 && res->rows_rejected > (uint64_t)opt->max_errors) {
            *err = rj->error;
            char first[KN_ERROR_WHAT_MAX];
            snprintf(first, sizeof first, "%s", rj->error.what);
            st = kn_error_set(err, KN_E_DATA, "more than %" PRId64 " bad records (--max-errors); the last: %s",
                              opt->max_errors, first);
        }
    }
    if (st != KN_OK) res->rows_read += counted;
    return st;
}

/* Called for each morsel in input order (clustered path). */
static kn_status write_morsel(run *r, worker *w, input *in, kn_error *err) {
    kn_convert_result *res = r->result;
    if (w->out.fatal != KN_OK) {
        *err = w->out.fatal_error;
        return w->out.fatal;
    }
    KN_TRY(account_rejects(r, &w->out, in, err));
    in->verified_end = w->out.end;
    res->rows_filtered += w->out.dropped.filtered;
    res->rows_deduplicated += w->out.dropped.deduplicated;
    if (!w->batch->num_rows) {
        res->rows_read += w->out.records;
        return KN_OK;
    }
    KN_TRY(count_partitions(r, &w->kb, err));
    /* The batch and its keys move into the sorter; the worker makes a new batch next time. */
    size_t rows = w->batch->num_rows;
    w->batch = NULL;
    KN_TRY(kn_sorter_add(r->sorter, &w->kb, err));
    /* Rows the sort holds count as written: every one of them reaches a file, or the run
     * fails as a whole. */
    res->rows_written += rows;
    res->rows_read += w->out.records;
    return KN_OK;
}

/* The clustered write: every row in key order into the planned files. */
static kn_status write_clustered(run *r, kn_error *err) {
    KN_TRY(kn_sorter_finish(r->sorter, err));
    /* Runs of rows that sit together in one sorted batch (morsels sorted by partition merge
     * into long runs) are copied as ranges, not value by value. */
    for (;;) {
        kn_sorter_run rows;
        bool done;
        KN_TRY(kn_sorter_next_run(r->sorter, (size_t)1 << 20, &rows, &done, err));
        if (done) break;
        KN_TRY(kn_part_sink_write_run(r->files, rows.batch, rows.row, rows.n, rows.keys, rows.key_offs, err));
    }
    KN_RETURN_ERROR_IF(kn_part_sink_rows(r->files) != r->result->rows_written, err, KN_E_INTERNAL,
                       "the sort gave back %" PRIu64 " rows of %" PRIu64, kn_part_sink_rows(r->files),
                       r->result->rows_written);
    return KN_OK;
}

/* ---- the streaming write: parse, encode and compress on every thread ---------------------- */

/* One morsel's results between its parse and its turn (kn_pipeline.h's slots). */
typedef struct stream_slot {
    morsel_out out;
    kn_status check;    /* the rows against the Parquet columns (kn_pq_layout_check) */
    kn_error check_error;
    size_t *max_string; /* per column: the longest string */
    size_t input, start, end;
} stream_slot;

typedef struct stream {
    run *r;
    input *inputs;
    const morsel *morsels;
    const kn_pq_layout *layout;
    kn_format_reader **readers; /* one per thread, and one for the acceptor's second reads */
    int threads;
    stream_slot *slots;
    bool keep_going;
    kn_profile *prof;
} stream;

/* `window` slots, each with room for the longest string of `ncols` columns. */
static kn_status slots_create(size_t window, size_t ncols, stream_slot **out, kn_error *err) {
    stream_slot *slots = kn_calloc(window, sizeof *slots);
    if (!slots) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    *out = slots;
    for (size_t i = 0; i < window; i++) {
        slots[i].max_string = kn_calloc(ncols ? ncols : 1, sizeof *slots[i].max_string);
        if (!slots[i].max_string) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    return KN_OK;
}

/* Accepts NULL. */
static void slots_free(stream_slot *slots, size_t window) {
    for (size_t i = 0; slots && i < window; i++) {
        out_release(&slots[i].out);
        kn_free(slots[i].max_string);
    }
    kn_free(slots);
}

/* Parses morsel `m` into `batch` and the slot: rows, rejects, the check of the values against
 * the Parquet columns, the longest strings. `forced` (SIZE_MAX: none) is where the morsel
 * starts when the format's guess was found wrong. The input's pages are the caller's to
 * release. */
static void slot_parse(run *r, int thread, stream_slot *sl, const kn_pq_layout *layout, kn_format_reader *reader,
                       kn_batch *batch, input *in, const morsel *mo, size_t forced, bool keep_going, kn_profile *prof) {
    size_t start, end, stop;
    morsel_range(r->fmt, r->fopts, in, mo->index_in_file, r->opt->morsel_bytes, forced, &start, &end, &stop);
    sl->input = mo->input;
    sl->start = start;
    sl->check = KN_OK;
    /* The parser reads the mapped input directly, so the page faults that bring it in count as
     * parse time (prefaulting with MADV_POPULATE_READ measured no faster). */
    uint64_t t = kn_profile_start(prof);
    parse_range(r->fmt, reader, batch, &sl->out, in, start, end, stop, keep_going);
    sl->end = sl->out.end;
    t = kn_profile_lap(prof, KN_STAGE_PARSE, t);
    apply_steps(r, thread, batch, &sl->out);
    size_t ncols = r->schema->num_fields;
    memset(sl->max_string, 0, ncols * sizeof *sl->max_string);
    if (sl->out.fatal == KN_OK && batch->num_rows) {
        kn_error_reset(&sl->check_error);
        sl->check = kn_pq_layout_check(layout, batch, &sl->check_error);
        for (size_t c = 0; c < ncols; c++) sl->max_string[c] = kn__col_max_string(&batch->columns[c]);
    }
    kn_profile_lap(prof, KN_STAGE_TRANSFORM, t);
}

static void stream_parse(void *ctx, int thread, size_t m, size_t si, kn_batch *batch) {
    stream *s = ctx;
    stream_slot *sl = &s->slots[si];
    input *in = &s->inputs[s->morsels[m].input];
    slot_parse(s->r, thread, sl, s->layout, s->readers[thread], batch, in, &s->morsels[m], SIZE_MAX, s->keep_going,
               s->prof);
    /* The batch holds copies of the values, so the input's pages can go now. */
    uint64_t t = kn_profile_start(s->prof);
    release_input(in, sl->start, sl->end);
    kn_profile_lap(s->prof, KN_STAGE_READ, t);
}

/* A GUESS format's morsel starts where the format guessed; in input order, that must be where
 * the previous morsel of the file really ended (the first starts at the file's data). When it
 * is not, the morsel is read again from there (`start` is then where). */
static bool start_wrong(const run *r, const input *in, size_t start) {
    return r->fmt->split == KN_SPLIT_GUESS && start != in->verified_end;
}

static void note_reread(run *r, const input *in, size_t guessed) {
    r->result->morsels_reread++;
    kn_log(KN_LOG_DEBUG, "%s: a morsel guessed to start at byte %zu starts at %zu; read again", in->path, guessed,
           in->verified_end);
}

/* A parsed morsel's turn, in input order: its failures, rejects and counts; `rows` of it go on
 * to the files. */
static kn_status slot_accept(run *r, stream_slot *sl, input *in, size_t rows, kn_error *err) {
    kn_convert_result *res = r->result;
    kn_status st = KN_OK;
    if (sl->out.fatal != KN_OK) {
        *err = sl->out.fatal_error;
        st = sl->out.fatal;
    }
    if (st == KN_OK) st = account_rejects(r, &sl->out, in, err);
    if (st == KN_OK && sl->check != KN_OK) {
        *err = sl->check_error;
        st = sl->check;
    }
    if (st == KN_OK) {
        in->verified_end = sl->end;
        res->rows_read += sl->out.records;
        res->rows_filtered += sl->out.dropped.filtered;
        res->rows_deduplicated += sl->out.dropped.deduplicated;
        /* Rows handed to the row groups count as written: every one reaches a file, or the run
         * fails as a whole. */
        res->rows_written += rows;
        if (rows) kn_part_sink_note_max_string(r->files, sl->max_string);
    }
    kn_progress_update(&r->progress, sl->end - sl->start);
    return st;
}

static kn_status stream_accept(void *ctx, size_t m, size_t si, kn_batch *batch, kn_error *err) {
    stream *s = ctx;
    stream_slot *sl = &s->slots[si];
    input *in = &s->inputs[s->morsels[m].input];
    if (start_wrong(s->r, in, sl->start)) {
        /* One acceptor at a time: the spare reader past the threads' is this step's. */
        note_reread(s->r, in, sl->start);
        slot_parse(s->r, s->threads, sl, s->layout, s->readers[s->threads], batch, in, &s->morsels[m],
                   in->verified_end, s->keep_going, s->prof);
        release_input(in, sl->start, sl->end);
    }
    return slot_accept(s->r, sl, in, batch->num_rows, err);
}

static kn_status stream_write(void *ctx, const kn_pq_rowgroup *rg, kn_error *err) {
    stream *s = ctx;
    return kn_part_sink_write_rowgroup(s->r->files, rg, err);
}

/* Parsed morsels waiting for their turn, at most: enough that a slow morsel does not stall the
 * other threads, few enough to keep memory small. */
static size_t stream_window(int threads) { return 2 * (size_t)threads + 2; }

/* The streaming write's row group size: the option, but at most half the target file size,
 * since files roll only between row groups (see kn_convert.h). */
static size_t stream_row_group_bytes(const kn_convert_options *opt) {
    uint64_t half = opt->target_file_bytes / 2;
    if (half == 0) half = 1;
    return opt->parquet.row_group_bytes < half ? opt->parquet.row_group_bytes : (size_t)half;
}

static kn_status write_streaming(run *r, input *inputs, const morsel *morsels, size_t num_morsels,
                                 int threads, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_pq_options po = opt->parquet;
    po.row_group_bytes = stream_row_group_bytes(opt);
    stream s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.inputs = inputs;
    s.morsels = morsels;
    s.keep_going = opt->on_error != KN_ON_ERROR_FAIL;
    s.prof = r->profile;
    s.threads = threads;
    size_t window = stream_window(threads), ncols = r->schema->num_fields;
    kn_pq_layout *layout = NULL;
    kn_status st = kn_pq_layout_create(kn_part_sink_schema(r->files), &po, &layout, err);
    s.layout = layout;
    if (st == KN_OK) {
        s.readers = kn_calloc((size_t)threads + 1, sizeof *s.readers);
        st = s.readers ? slots_create(window, ncols, &s.slots, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    for (int t = 0; st == KN_OK && t <= threads; t++) st = r->fmt->reader_create(r->fopts, r->schema, &s.readers[t], err);
    if (st == KN_OK) {
        kn_pipeline_options pl = {
            .num_morsels = num_morsels,
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
    slots_free(s.slots, window);
    kn_free(s.readers);
    kn_pq_layout_free(layout);
    return st;
}

/* ---- the streaming partitioned write: few partitions, no sort (kn_part_pipeline.h) --------- */

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
    run *r;
    input *inputs;
    const morsel *morsels;
    const kn_pq_layout *check_layout; /* the rows' schema: their values against Parquet's types */
    const kn_schema *file_schema;     /* borrowed from the sink */
    const size_t *map;                /* file column -> row column */
    pstream_thread *threads; /* one per thread, and one for the acceptor's second reads */
    int num_threads;
    stream_slot *slots;
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
            th->sizes[c * groups + g] = kn__col_gather_bytes(src, rows, n);
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
            KN_TRY(kn__col_gather_sized(&out->groups[first + g].batch->columns[c], src, rows, n,
                                        th->sizes[c * groups + g], err));
        }
    }
    return KN_OK;
}

static void pstream_parse_from(pstream *s, int thread, size_t m, size_t si, size_t forced, kn_part_morsel *out) {
    pstream_thread *th = &s->threads[thread];
    stream_slot *sl = &s->slots[si];
    input *in = &s->inputs[s->morsels[m].input];
    slot_parse(s->r, thread, sl, s->check_layout, th->reader, th->batch, in, &s->morsels[m], forced, s->keep_going,
               s->prof);
    uint64_t t = kn_profile_start(s->prof);
    if (sl->out.fatal == KN_OK && sl->check == KN_OK && th->batch->num_rows) {
        kn_status st = split_by_folder(s, th, th->batch, out, &sl->out.fatal_error);
        if (st != KN_OK) sl->out.fatal = st;
    }
    t = kn_profile_lap(s->prof, KN_STAGE_TRANSFORM, t);
    release_input(in, sl->start, sl->end);
    kn_profile_lap(s->prof, KN_STAGE_READ, t);
}

static void pstream_parse(void *ctx, int thread, size_t m, size_t si, kn_part_morsel *out) {
    pstream *s = ctx;
    pstream_parse_from(s, thread, m, si, SIZE_MAX, out);
}

static kn_status pstream_accept(void *ctx, size_t m, size_t si, kn_part_morsel *pm, kn_error *err) {
    pstream *s = ctx;
    input *in = &s->inputs[s->morsels[m].input];
    if (start_wrong(s->r, in, s->slots[si].start)) {
        note_reread(s->r, in, s->slots[si].start);
        kn_part_morsel_clear(pm);
        pstream_parse_from(s, s->num_threads, m, si, in->verified_end, pm);
    }
    size_t rows = 0;
    for (size_t i = 0; i < pm->num_groups; i++) rows += pm->groups[i].batch->num_rows;
    return slot_accept(s->r, &s->slots[si], &s->inputs[s->morsels[m].input], rows, err);
}

static kn_status pstream_write(void *ctx, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                               kn_error *err) {
    pstream *s = ctx;
    return kn_part_sink_write_part_rowgroup(s->r->files, part, path, len, rg, err);
}

/* Distinct folders the partitioned streaming write keeps open at most: the option, and no more
 * than one per MiB of --memory-limit, so each open row group can still grow to some size
 * before the open-bytes rule seals it; past that the sort writes better files. */
static size_t pstream_max_partitions(const kn_convert_options *opt) {
    uint64_t by_memory = opt->memory_limit / ((uint64_t)1 << 20);
    if (by_memory < 1) by_memory = 1;
    return opt->max_open_partitions < by_memory ? opt->max_open_partitions : (size_t)by_memory;
}

static kn_status write_part_streaming(run *r, const kn_part_spec *spec, input *inputs, const morsel *morsels,
                                      size_t num_morsels, int threads, bool *overflow, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_pq_options po = opt->parquet;
    po.row_group_bytes = stream_row_group_bytes(opt);
    po.threads = 1;
    pstream s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.inputs = inputs;
    s.morsels = morsels;
    s.keep_going = opt->on_error != KN_ON_ERROR_FAIL;
    s.prof = r->profile;
    s.file_schema = kn_part_sink_schema(r->files);
    s.max_partitions = pstream_max_partitions(opt);
    size_t window = stream_window(threads), ncols = r->schema->num_fields;
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
        st = s.threads ? slots_create(window, ncols, &s.slots, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
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
            .num_morsels = num_morsels,
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
    slots_free(s.slots, window);
    kn_free(s.threads);
    kn_free(map);
    kn_schema_free(file_schema);
    kn_pq_layout_free(check);
    kn_pq_layout_free(layout);
    return st;
}

/* Parses morsel `mo` (number m; from `forced` when not SIZE_MAX), makes its rows' keys and sorts
 * them; failures stay in w->out. Returns where the morsel starts. */
static size_t parse_and_sort(run *r, worker *w, const input *in, const morsel *mo, size_t m, size_t forced,
                             bool keep_going) {
    size_t start, end, stop;
    morsel_range(r->fmt, r->fopts, in, mo->index_in_file, r->opt->morsel_bytes, forced, &start, &end, &stop);
    uint64_t t = kn_profile_start(r->profile);
    parse_morsel(r->fmt, r->schema, w, in, start, end, stop, keep_going);
    t = kn_profile_lap(r->profile, KN_STAGE_PARSE, t);
    if (w->out.fatal == KN_OK) apply_steps(r, omp_get_thread_num(), w->batch, &w->out);
    /* Keys are made and the morsel's rows sorted here, on every core; the ordered part only
     * counts and hands the sorted batch to the merge. */
    if (w->out.fatal == KN_OK) {
        w->out.fatal = kn_sort_keys_build(&r->key_spec, &w->kb, m, &w->out.fatal_error);
        if (w->out.fatal == KN_OK) w->out.fatal = kn_sort_rows(&w->kb, &w->spare, &w->out.fatal_error);
        if (w->out.fatal == KN_OK) {
            kn_keyed_batch t2 = w->kb;
            w->kb = w->spare;
            w->spare = t2;
            w->batch = w->kb.batch;
        }
    }
    kn_profile_lap(r->profile, KN_STAGE_TRANSFORM, t);
    return start;
}

/* The clustered path's first phase: parse on every core, make each row's key and sort each
 * morsel's rows there too, then hand the sorted batches to the sorter in input order (an
 * OpenMP ordered section: counting and the sorter's own bookkeeping, plus any spill). */
static kn_status parse_clustered(run *r, input *inputs, const morsel *morsels, size_t num_morsels, int threads,
                                 kn_error *err) {
    const kn_convert_options *opt = r->opt;
    const kn_format *fmt = r->fmt;
    const kn_schema *schema = r->schema;
    _Atomic int stop = 0;
    bool keep_going = opt->on_error != KN_ON_ERROR_FAIL;
    kn_profile *prof = r->profile;
#pragma omp parallel num_threads(threads)
    {
        worker w;
        memset(&w, 0, sizeof w);
        kn_error werr;
        kn_status wst = fmt->reader_create(r->fopts, schema, &w.reader, &werr);
#pragma omp for ordered schedule(dynamic, 1)
        for (size_t m = 0; m < num_morsels; m++) {
            input *in = &inputs[morsels[m].input];
            size_t start = 0;
            if (!atomic_load(&stop) && wst == KN_OK)
                start = parse_and_sort(r, &w, in, &morsels[m], m, SIZE_MAX, keep_going);
#pragma omp ordered
            {
                if (!atomic_load(&stop)) {
                    uint64_t t = kn_profile_start(prof);
                    kn_error e;
                    kn_error_reset(&e);
                    if (wst == KN_OK && start_wrong(r, in, start)) {
                        /* This thread parsed the morsel, so it holds its worker: read it again. */
                        note_reread(r, in, start);
                        start = parse_and_sort(r, &w, in, &morsels[m], m, in->verified_end, keep_going);
                    }
                    kn_status s = wst != KN_OK ? wst : write_morsel(r, &w, in, &e);
                    if (wst != KN_OK) e = werr;
                    if (s != KN_OK) {
                        r->status = s;
                        r->error = e;
                        atomic_store(&stop, 1);
                    }
                    t = kn_profile_lap(prof, KN_STAGE_MERGE, t);
                    release_input(in, start, w.out.end);
                    kn_progress_update(&r->progress, w.out.end - start);
                    kn_profile_lap(prof, KN_STAGE_READ, t);
                }
            }
        }
        out_release(&w.out);
        kn__keyed_release(&w.kb);
        kn__keyed_release(&w.spare);
        fmt->reader_free(w.reader);
    }
    if (r->status != KN_OK) *err = r->error;
    return r->status;
}

/* ---- the job ----------------------------------------------------------------------------- */

static kn_status pick_format(const kn_convert_options *opt, const kn_input_list *list,
                             const kn_format **out, kn_error *err) {
    if (opt->format) {
        *out = kn_exec_format_find(opt->format);
        KN_RETURN_ERROR_IF(!*out, err, KN_E_USAGE, "unknown or not yet supported --format '%s' (supported: ndjson, csv)", opt->format);
        return KN_OK;
    }
    *out = NULL;
    for (size_t i = 0; i < list->count; i++) {
        const kn_format *f = kn_exec_format_for_path(list->files[i].path);
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
    uint64_t r = stream_row_group_bytes(opt), p = opt->parquet.page_bytes, d = opt->parquet.dictionary_page_bytes;
    uint64_t batches = (stream_window(threads) + t) * 2 * m;
    uint64_t readers = t * m;
    uint64_t chunks = 3 * (r + r / 5 + c * d);
    uint64_t writers = c * (4 * p + 16 * d + ((uint64_t)8 << 20));
    return batches + readers + chunks + writers + ((uint64_t)16 << 20);
}

/* Each step's state for each of `threads` + 1 threads (the last serves the acceptor's second
 * reads). Blocking steps have no place in the pipeline yet. */
static kn_status create_op_threads(run *r, int threads, kn_error *err) {
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

static void free_op_threads(run *r, int threads) {
    const kn_convert_options *opt = r->opt;
    for (size_t k = 0; r->op_threads && k < ((size_t)threads + 1) * opt->num_steps; k++) {
        const kn_operator *op = opt->steps[k % opt->num_steps];
        if (op->thread_free) op->thread_free(op, r->op_threads[k]);
    }
    kn_free(r->op_threads);
    r->op_threads = NULL;
}

/* The clustered write's sorter and partition counts. */
static kn_status start_clustered(run *r, kn_error *err) {
    kn_sorter_options so = {r->schema, r->opt->memory_limit, r->tmp_dir};
    KN_TRY(kn_sorter_create(&so, &r->sorter, err));
    return kn_part_stats_create(&r->stats, err);
}

/* The streaming partitioned write met more folders than it keeps open: forget what it did
 * (files, rejects, counts) and start over with the external sort, which gives the output a
 * sorted run always gives. The decision fell on a morsel in input order, so it is the same for
 * any thread count. */
static kn_status restart_clustered(run *r, input *inputs, size_t num_inputs, const kn_part_sink_options *po,
                                   kn_error *err) {
    kn_convert_result *res = r->result;
    res->write_path = "sort";
    kn_log(KN_LOG_INFO, "more than %zu partition folders: sorting the rows instead (--max-open-partitions)",
                pstream_max_partitions(r->opt));
    kn_part_sink_free(r->files);
    r->files = NULL;
    kn_sink_abort(r->rejects);
    kn_sink_abort(r->reasons);
    r->rejects = r->reasons = NULL;
    res->rows_read = res->rows_written = res->rows_rejected = res->morsels_reread = 0;
    res->rows_filtered = res->rows_deduplicated = 0;
    for (size_t i = 0; i < num_inputs; i++) {
        inputs[i].line_cursor = 0;
        inputs[i].line_at_cursor = 0;
        inputs[i].verified_end = inputs[i].data_start;
    }
    kn_progress_init(&r->progress, r->opt->progress, res->bytes_in);
    KN_TRY(start_clustered(r, err));
    kn_part_sink_options o = *po;
    o.stats = r->stats;
    return kn_part_sink_create(&o, &r->files, err);
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
        for (size_t i = 0; st == KN_OK && i < n; i++) paths[i] = list.files[i].path;
        kn_infer_options io = {fmt, fopts, opt->infer_records, opt->on_error != KN_ON_ERROR_FAIL};
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

    /* Plan: map every input and number its morsels. */
    input *inputs = st == KN_OK ? kn_calloc(list.count ? list.count : 1, sizeof *inputs) : NULL;
    morsel *morsels = NULL;
    size_t num_morsels = 0;
    bool warned_ignored = false;
    if (st == KN_OK && !inputs) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < list.count; i++) {
        inputs[i].path = list.files[i].path;
        st = kn_file_map_open(list.files[i].path, &inputs[i].map, err);
        if (st == KN_OK)
            st = fmt->file_open(fopts, schema, inputs[i].map.data, inputs[i].map.len, inputs[i].path, &inputs[i].file, err);
        if (st != KN_OK) break;
        inputs[i].data_start = fmt->file_data_start(inputs[i].file);
        inputs[i].verified_end = inputs[i].data_start;
        const char *ignored;
        size_t num_ignored = fmt->file_ignored(inputs[i].file, &ignored);
        if (num_ignored && !warned_ignored) {
            kn_log(KN_LOG_INFO, "%s: input column '%s'%s not in the schema: ignored", inputs[i].path, ignored,
                   num_ignored > 1 ? " and others are" : " is");
            warned_ignored = true;
        }
        inputs[i].first_morsel = num_morsels;
        inputs[i].num_morsels = inputs[i].map.len ? (inputs[i].map.len + opt->morsel_bytes - 1) / opt->morsel_bytes : 0;
        num_morsels += inputs[i].num_morsels;
    }
    if (st == KN_OK) {
        morsels = kn_calloc(num_morsels ? num_morsels : 1, sizeof *morsels);
        if (!morsels) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; st == KN_OK && i < list.count; i++)
            for (size_t k = 0; k < inputs[i].num_morsels; k++)
                morsels[inputs[i].first_morsel + k] = (morsel){(uint32_t)i, (uint32_t)k};
    }

    run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.fmt = fmt;
    r.fopts = fopts;
    r.schema = schema;
    r.result = result;
    r.commit = commit;
    r.clustered = lo.partitioned || lo.num_sort_cols > 0 || opt->slices > 1;
    /* Partitioned without a sort or slices: streamed into one open file per folder while the
     * folders are few; the external sort takes over past that (kn_convert.h). */
    bool part_streaming = lo.partitioned && lo.num_sort_cols == 0 && opt->slices <= 1 && opt->max_open_partitions > 0;
    r.pq = opt->parquet;
    /* The clustered write merges on one thread into one writer at a time; the other threads
     * encode and compress that writer's columns (the bytes do not change). The streaming write
     * schedules its columns itself. */
    r.pq.threads = r.clustered ? threads : 1;
    kn_profile prof;
    kn_profile_init(&prof, opt->profile);
    r.profile = opt->profile ? &prof : NULL;
    if (st == KN_OK) st = create_op_threads(&r, threads, err);
    r.key_spec = (kn_sort_key_spec){lo.partitioned ? &lo.part : NULL, lo.sort_cols, lo.num_sort_cols};
    kn_error_reset(&r.error);
    if (st == KN_OK) {
        r.tmp_dir = kn_commit_tmp_dir(commit);
        if (r.clustered && !part_streaming) st = start_clustered(&r, err);
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
            .first_number = kn_commit_first_number(commit),
        };
        st = kn_part_sink_create(&po, &r.files, err);
    }

    if (st == KN_OK) {
        kn_progress_init(&r.progress, opt->progress, list.total_bytes);
        result->write_path = !r.clustered ? "stream" : part_streaming ? "partition-stream" : "sort";
        if (!r.clustered) {
            st = write_streaming(&r, inputs, morsels, num_morsels, threads, err);
        } else {
            bool sort = !part_streaming;
            if (part_streaming) {
                bool overflow = false;
                st = write_part_streaming(&r, &lo.part, inputs, morsels, num_morsels, threads, &overflow, err);
                if (st == KN_OK && overflow) {
                    st = restart_clustered(&r, inputs, list.count, &po, err);
                    sort = true;
                }
            }
            if (st == KN_OK && sort) st = parse_clustered(&r, inputs, morsels, num_morsels, threads, err);
        }
        kn_progress_finish(&r.progress);
    }

    if (st == KN_OK && r.sorter) {
        /* The writer's helper threads encode beside the merging thread, and nothing else runs
         * now: the process's CPU time is this phase's. */
        uint64_t t = r.profile ? kn_process_ns() : 0;
        st = write_clustered(&r, err);
        if (r.profile) kn_profile_add(r.profile, KN_STAGE_WRITE, kn_process_ns() - t);
        result->spill_runs = kn_sorter_spill_runs(r.sorter);
        result->spill_bytes = kn_sorter_spill_bytes(r.sorter);
        /* The sort's memory and spill files go before the commit. */
        kn_sorter_free(r.sorter);
        r.sorter = NULL;
    }
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
    for (size_t i = 0; inputs && i < list.count; i++) {
        if (fmt) fmt->file_free(inputs[i].file);
        kn_file_map_close(&inputs[i].map);
    }
    if (fmt) fmt->options_free(fopts);
    kn_free(inputs);
    kn_free(morsels);
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
