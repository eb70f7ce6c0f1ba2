/* engine/exec/kn_run_rejects.c: bad records: located, counted against --on-error and
 * --max-errors, quarantined in the input's format with their reasons beside them (kn_run.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_log.h"
#include "kn_buf.h"
#include "kn_json_out.h"
#include "kn_run.h"
#include "kn_store.h"

/* Opens the rejects files; the rejects file starts like the input `in` did (a CSV header), so
 * it reads back with the same options. */
static kn_status open_rejects(kn_run *r, const kn_run_input *in, kn_error *err) {
    char *dir = kn_store_join(r->tmp_dir, "_rejects");
    if (!dir) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_store *store = kn_commit_store(r->commit);
    kn_status made = kn_store_make_dirs(store, dir, err);
    if (made != KN_OK) {
        kn_free(dir);
        return made;
    }
    char name[64];
    snprintf(name, sizeof name, "rejects.%s", r->fmt->reject_extension);
    char *a = kn_store_join(dir, name), *b = kn_store_join(dir, "reasons.ndjson");
    kn_free(dir);
    kn_status st = a && b ? kn_store_open_sink(store, a, 0, &r->rejects, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) st = kn_store_open_sink(store, b, 0, &r->reasons, err);
    kn_free(a);
    kn_free(b);
    size_t off = 0, len;
    const uint8_t *prologue;
    if (in->streamed) {
        prologue = kn_seq_cut_reject_prologue(in->cut, &len);
    } else {
        r->fmt->file_reject_prologue(in->file, &off, &len);
        prologue = in->map.data + off;
    }
    if (st == KN_OK && len) {
        st = kn_sink_write(r->rejects, prologue, len, err);
        if (st == KN_OK) st = kn_sink_write(r->rejects, "\n", 1, err);
    }
    return st;
}

/* Quarantine: the record verbatim in rejects.<format> (its exact bytes, then a line feed; a
 * CSV record may span lines), and on line N of reasons.ndjson, for the Nth record, a JSON
 * object with its file, line, column, byte offset and reason. */
static kn_status quarantine(kn_run *r, const kn_run_reject *rj, const kn_run_input *in, int64_t line, kn_error *err) {
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

/* Checks the morsel's bad records against --on-error and --max-errors, counting them as
 * rejected (and quarantining them). On failure the records counted so far are added to
 * rows_read, so the counts still add up in a failed run's result. */
kn_status kn__account_rejects(kn_run *r, kn_morsel_out *w, kn_run_input *in, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_convert_result *res = r->result;
    kn_status st = KN_OK;
    size_t counted = 0;
    for (size_t i = 0; st == KN_OK && i < w->num_rejects; i++) {
        kn_run_reject *rj = &w->rejects[i];
        if (!rj->located) {
            /* The line and column are those of the fault itself, which may sit past the
             * record's start; the record's start moves the cursor first, as lines are counted
             * in input order. */
            int64_t line, col;
            uint64_t fault = rj->error.byte_offset >= 0 ? (uint64_t)rj->error.byte_offset : rj->offset;
            kn__locate_line(in, (size_t)rj->offset, &line, NULL);
            kn__locate_line(in, (size_t)fault, &line, &col);
            rj->error.line = line;
            rj->error.column = col;
        }
        int64_t fault_line = rj->error.line;
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
