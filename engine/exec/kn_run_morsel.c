/* engine/exec/kn_run_morsel.c: morsels: where each starts and stops, parsing one (the format's
 * reader, then the steps), letting its bytes go, the check of a guessed start in input order, and the slots the
 * streaming writes keep between a morsel's parse and its turn (kn_run.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_store_local.h"
#include "kn_batch_bytes.h"

/* A mapped input's morsel k: the records whose first byte lies in [k*M, (k+1)*M). An EXACT
 * format finds both ends (the reader gets [start, end)); a GUESS format guesses the start (or
 * is given `forced`) and its reader gets the rest of the file with a stop at (k+1)*M. */
static void morsel_range(const kn_format *fmt, const kn_format_opts *fo, const kn_run_input *in, size_t k, size_t m,
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
void kn__locate_line(kn_run_input *in, size_t off, int64_t *line, int64_t *col) {
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

/* Hands a parsed morsel's input pages back (kn_store_map_release), widened by RELEASE_MARGIN on
 * both sides: finding a morsel's edges reads a few bytes of its neighbours, and a fault maps the
 * whole page-cache folio it lands in (large folios reach megabytes), so pages of a neighbour
 * already released come back; without the margin they would stay resident for good and the
 * resident set would grow with the input. Releasing pages a neighbour still reads only costs it
 * a fault. */
#define RELEASE_MARGIN ((size_t)4 << 20)
static void release_input(kn_run_input *in, size_t start, size_t end) {
    size_t lo = start > RELEASE_MARGIN ? start - RELEASE_MARGIN : 0;
    kn_store_map_release(kn_store_local(), &in->map, lo, end + RELEASE_MARGIN - lo);
}

void kn__out_clear_rejects(kn_morsel_out *o) {
    for (size_t i = 0; i < o->num_rejects; i++) kn_free(o->rejects[i].record);
    o->num_rejects = 0;
}

void kn__out_release(kn_morsel_out *o) {
    kn__out_clear_rejects(o);
    kn_free(o->rejects);
    o->rejects = NULL;
    o->cap_rejects = 0;
}

static kn_status out_add_reject(kn_morsel_out *o, uint64_t offset, const uint8_t *data, size_t len,
                                const kn_error *e) {
    if (o->num_rejects == o->cap_rejects) {
        size_t cap = o->cap_rejects ? o->cap_rejects * 2 : 16;
        kn_run_reject *r = kn_realloc(o->rejects, cap * sizeof *r);
        if (!r) return KN_E_NOMEM;
        o->rejects = r;
        o->cap_rejects = cap;
    }
    kn_run_reject *r = &o->rejects[o->num_rejects];
    r->located = false;
    r->record = kn_malloc(len ? len : 1);
    if (!r->record) return KN_E_NOMEM;
    if (len) memcpy(r->record, data, len);
    r->len = len;
    r->offset = offset;
    r->error = *e;
    o->num_rejects++;
    return KN_OK;
}

/* Parses the records of data[0, len) (the file's bytes from `base` on) that start before
 * `stop` into `batch` (emptied first) and `o`. */
static void parse_bytes(const kn_format *fmt, kn_format_reader *reader, kn_batch *batch, kn_morsel_out *o,
                        const kn_run_input *in, const uint8_t *data, size_t len, size_t stop, uint64_t base,
                        bool keep_going) {
    kn__out_clear_rejects(o);
    o->records = 0;
    o->fatal = KN_OK;
    kn_batch_clear(batch);
    fmt->reader_reset(reader, in->file, data, len, stop, in->path, base);
    for (;;) {
        bool done = false;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = fmt->reader_next(reader, batch, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *rec;
            size_t rlen;
            fmt->reader_bad_record(reader, &off, &rec, &rlen);
            if (out_add_reject(o, off, rec, rlen, &e) != KN_OK) {
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
    o->end = (size_t)base + fmt->reader_end(reader);
    kn_status st = kn_batch_seal(batch, &o->fatal_error);
    if (st != KN_OK && o->fatal == KN_OK) o->fatal = st;
}

/* A cut morsel's bad records get their line and column now, while its bytes are here: its first
 * line, plus the line feeds before the fault. */
static void locate_in_morsel(kn_morsel_out *o, const kn_run_morsel *mo) {
    for (size_t i = 0; i < o->num_rejects; i++) {
        kn_run_reject *rj = &o->rejects[i];
        uint64_t fault = rj->error.byte_offset >= 0 ? (uint64_t)rj->error.byte_offset : rj->offset;
        size_t at = fault > mo->offset ? (size_t)(fault - mo->offset) : 0;
        if (at > mo->len) at = mo->len;
        int64_t line = mo->first_line > 0 ? mo->first_line : 1;
        size_t line_start = 0;
        for (const uint8_t *p = mo->data, *end = mo->data + at; (p = memchr(p, '\n', (size_t)(end - p))) != NULL;) {
            line++;
            line_start = (size_t)(++p - mo->data);
        }
        rj->error.line = line;
        rj->error.column = (int64_t)(at - line_start) + 1;
        rj->located = true;
    }
}

size_t kn__parse_morsel(const kn_run *r, kn_format_reader *reader, kn_batch *batch, kn_morsel_out *o,
                        const kn_run_input *in, const kn_run_morsel *mo, size_t forced, bool keep_going) {
    const kn_format *fmt = r->fmt;
    if (mo->fatal != KN_OK) {
        kn__out_clear_rejects(o);
        kn_batch_clear(batch);
        o->records = 0;
        o->end = (size_t)mo->offset;
        o->fatal = mo->fatal;
        o->fatal_error = *kn__plan_error(r->plan);
        return (size_t)mo->offset;
    }
    if (mo->data) {
        parse_bytes(fmt, reader, batch, o, in, mo->data, mo->len, mo->len, mo->offset, keep_going);
        locate_in_morsel(o, mo);
        return (size_t)mo->offset;
    }
    size_t start, end, stop;
    morsel_range(fmt, r->fopts, in, mo->index_in_file, r->opt->morsel_bytes, forced, &start, &end, &stop);
    parse_bytes(fmt, reader, batch, o, in, in->map.data + start, end - start, stop - start, start, keep_going);
    return start;
}

void kn__morsel_done(kn_run_input *in, kn_run_morsel *mo, size_t start, size_t end) {
    if (mo->data) {
        kn_free(mo->data);
        mo->data = NULL;
    } else if (!in->streamed) {
        release_input(in, start, end);
    }
}

kn_run_input *kn__input(kn_run *r, const kn_run_morsel *mo) {
    size_t n;
    return mo->member ? mo->member : &kn__plan_inputs(r->plan, &n)[mo->input];
}

/* The run's steps on a parsed batch, with thread `thread`'s states; what they drop is counted
 * in o->dropped, a failure kept in o->fatal. */
void kn__apply_steps(const kn_run *r, int thread, kn_batch *batch, kn_morsel_out *o) {
    const kn_convert_options *opt = r->opt;
    memset(&o->dropped, 0, sizeof o->dropped);
    for (size_t i = 0; o->fatal == KN_OK && i < opt->num_steps && batch->num_rows; i++) {
        const kn_operator *op = opt->steps[i];
        kn_error_reset(&o->fatal_error);
        o->fatal = op->map(op, r->op_threads[(size_t)thread * opt->num_steps + i], batch, &o->dropped, &o->fatal_error);
        if (o->fatal != KN_OK) kn_error_field(&o->fatal_error, op->name);
    }
}

/* A GUESS format's morsel starts where the format guessed; in input order, that must be where
 * the previous morsel of the file really ended (the first starts at the file's data). When it
 * is not, the morsel is read again from there (`start` is then where). */
bool kn__start_wrong(const kn_run *r, const kn_run_input *in, size_t start) {
    return r->fmt->split == KN_SPLIT_GUESS && !in->streamed && start != in->verified_end;
}

void kn__note_reread(kn_run *r, const kn_run_input *in, size_t guessed) {
    r->result->morsels_reread++;
    kn_log(KN_LOG_DEBUG, "%s: a morsel guessed to start at byte %zu starts at %zu; read again", in->path, guessed,
           in->verified_end);
}

/* `window` slots, each with room for the longest string of `ncols` columns. */
kn_status kn__slots_create(size_t window, size_t ncols, kn_run_slot **out, kn_error *err) {
    kn_run_slot *slots = kn_calloc(window, sizeof *slots);
    if (!slots) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    *out = slots;
    for (size_t i = 0; i < window; i++) {
        slots[i].max_string = kn_calloc(ncols ? ncols : 1, sizeof *slots[i].max_string);
        if (!slots[i].max_string) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    return KN_OK;
}

/* Accepts NULL. */
void kn__slots_free(kn_run_slot *slots, size_t window) {
    for (size_t i = 0; slots && i < window; i++) {
        kn__out_release(&slots[i].out);
        kn_free(slots[i].max_string);
    }
    kn_free(slots);
}

/* Parses the slot's morsel into `batch` and the slot: rows, rejects, the check of the values
 * against the Parquet columns, the longest strings; then lets its bytes go. */
void kn__slot_parse(kn_run *r, int thread, kn_run_slot *sl, const kn_pq_layout *layout, kn_format_reader *reader,
                    kn_batch *batch, size_t forced, bool keep_going, kn_profile *prof) {
    kn_run_input *in = kn__input(r, &sl->mo);
    sl->input = sl->mo.input;
    sl->check = KN_OK;
    /* The parser reads the mapped input directly, so the page faults that bring it in count as
     * parse time (prefaulting with MADV_POPULATE_READ measured no faster). */
    uint64_t t = kn_profile_start(prof);
    sl->start = kn__parse_morsel(r, reader, batch, &sl->out, in, &sl->mo, forced, keep_going);
    sl->end = sl->out.end;
    t = kn_profile_lap(prof, KN_STAGE_PARSE, t);
    kn__apply_steps(r, thread, batch, &sl->out);
    size_t ncols = r->schema->num_fields;
    memset(sl->max_string, 0, ncols * sizeof *sl->max_string);
    if (sl->out.fatal == KN_OK && batch->num_rows) {
        kn_error_reset(&sl->check_error);
        sl->check = kn_pq_layout_check(layout, batch, &sl->check_error);
        for (size_t c = 0; c < ncols; c++) sl->max_string[c] = kn_col_max_string(&batch->columns[c]);
    }
    t = kn_profile_lap(prof, KN_STAGE_TRANSFORM, t);
    kn__morsel_done(in, &sl->mo, sl->start, sl->end);
    kn_profile_lap(prof, KN_STAGE_READ, t);
}

/* A parsed morsel's turn, in input order: its failures, rejects and counts; `rows` of it go on
 * to the files. */
kn_status kn__slot_accept(kn_run *r, kn_run_slot *sl, size_t rows, kn_error *err) {
    kn_convert_result *res = r->result;
    kn_run_input *in = kn__input(r, &sl->mo);
    kn_status st = KN_OK;
    if (sl->out.fatal != KN_OK) {
        *err = sl->out.fatal_error;
        st = sl->out.fatal;
    }
    if (st == KN_OK) st = kn__account_rejects(r, &sl->out, in, err);
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

/* Parsed morsels waiting for their turn, at most: enough that a slow morsel does not stall the
 * other threads, few enough to keep memory small. */
size_t kn__stream_window(int threads) { return 2 * (size_t)threads + 2; }

/* The streaming write's row group size: the option, but at most half the target file size,
 * since files roll only between row groups (see kn_convert.h). */
size_t kn__stream_row_group_bytes(const kn_convert_options *opt) {
    uint64_t half = opt->target_file_bytes / 2;
    if (half == 0) half = 1;
    return opt->parquet.row_group_bytes < half ? opt->parquet.row_group_bytes : (size_t)half;
}
