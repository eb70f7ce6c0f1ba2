/* engine/exec/kn_write_sorted.c: the clustered write: each morsel keyed and sorted on its
 * parse thread, handed to the external sort in input order, then merged into the planned
 * files one at a time (kn_sort_spill.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_sched.h"
#include "kn_sort_rows.h"

/* One morsel between its parse and its turn: its rows sorted by key, and what else parsing
 * gave. */
typedef struct sorted_morsel {
    kn_keyed_batch kb;    /* the morsel's rows (kb.batch) and their keys */
    kn_batch *batch;      /* == kb.batch */
    kn_keyed_batch spare; /* the other half of the sort's double buffer */
    kn_morsel_out out;
    kn_run_morsel mo;     /* which morsel */
    size_t start;         /* where the morsel starts in its file */
} sorted_morsel;

/* The clustered write's output on the scheduler. */
typedef struct sorted {
    kn_run *r;
    kn_format_reader **readers; /* one per thread, and one for the acceptor's second reads */
    int threads;
    sorted_morsel *slots;
    bool keep_going;
} sorted;

/* Parses w's morsel (from `forced` when not SIZE_MAX) into w->batch and w->out. The batch is
 * created here when the last one was handed to the sorter. */
static void parse_morsel(kn_run *r, kn_format_reader *reader, sorted_morsel *w, size_t forced, bool keep_going) {
    if (!w->kb.batch && w->spare.batch) {
        w->kb = w->spare; /* the unsorted batch of the last morsel, emptied below */
        memset(&w->spare, 0, sizeof w->spare);
    }
    w->out.fatal = KN_OK;
    if (!w->kb.batch) w->out.fatal = kn_batch_create(r->schema, 1024, &w->kb.batch, &w->out.fatal_error);
    w->batch = w->kb.batch;
    if (w->out.fatal != KN_OK) {
        kn__out_clear_rejects(&w->out);
        w->out.records = 0;
        return;
    }
    kn_run_input *in = kn__input(r, &w->mo);
    w->start = kn__parse_morsel(r, reader, w->batch, &w->out, in, &w->mo, forced, keep_going);
    kn__morsel_done(in, &w->mo, w->start, w->out.end);
}

/* Counts the morsel's rows per partition folder (consecutive rows of one folder at once). */
static kn_status count_partitions(kn_run *r, const kn_keyed_batch *kb, kn_error *err) {
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
        raw += kn_row_plain_bytes(b, i);
    }
    if (n > r0) KN_TRY(kn_part_stats_add(r->stats, path, len, n - r0, raw, err));
    return KN_OK;
}

/* Called for each morsel in input order. */
static kn_status write_morsel(kn_run *r, sorted_morsel *w, kn_run_input *in, kn_error *err) {
    kn_convert_result *res = r->result;
    if (w->out.fatal != KN_OK) {
        *err = w->out.fatal_error;
        return w->out.fatal;
    }
    KN_TRY(kn__account_rejects(r, &w->out, in, err));
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
static kn_status merge_into_files(kn_run *r, kn_error *err) {
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

/* Parses w's morsel (number m; from `forced` when not SIZE_MAX) with the thread's reader,
 * makes its rows' keys and sorts them; failures stay in w->out. */
static void parse_and_sort(kn_run *r, int thread, kn_format_reader *reader, sorted_morsel *w, size_t m, size_t forced,
                           bool keep_going) {
    uint64_t t = kn_profile_start(r->profile);
    parse_morsel(r, reader, w, forced, keep_going);
    t = kn_profile_lap(r->profile, KN_STAGE_PARSE, t);
    if (w->out.fatal == KN_OK) kn__apply_steps(r, thread, w->batch, &w->out);
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
}

static bool on_parse(void *ctx, kn_sched *sc, int thread, size_t m, size_t si) {
    (void)sc;
    sorted *s = ctx;
    sorted_morsel *w = &s->slots[si];
    if (!kn__plan_take(s->r->plan, m, &w->mo)) return false;
    parse_and_sort(s->r, thread, s->readers[thread], w, m, SIZE_MAX, s->keep_going);
    return true;
}

/* The morsel's turn: its rejects and counts, its sorted rows into the sorter (and any spill
 * that makes), outside the lock. */
static kn_status on_accept(void *ctx, kn_sched *sc, size_t m, size_t si, bool *done, kn_error *err) {
    sorted *s = ctx;
    kn_run *r = s->r;
    sorted_morsel *w = &s->slots[si];
    kn_run_input *in = kn__input(r, &w->mo);
    kn_sched_unlock(sc);
    uint64_t t = kn_profile_start(r->profile);
    if (kn__start_wrong(r, in, w->start)) {
        /* One acceptor at a time: the spare reader past the threads' is this step's. */
        kn__note_reread(r, in, w->start);
        parse_and_sort(r, s->threads, s->readers[s->threads], w, m, in->verified_end, s->keep_going);
    }
    kn_status st = write_morsel(r, w, in, err);
    kn_progress_update(&r->progress, w->out.end - w->start);
    kn_profile_lap(r->profile, KN_STAGE_MERGE, t);
    kn_sched_lock(sc);
    *done = true;
    return st;
}

/* The clustered write's first phase: parse on every core, make each row's key and sort each
 * morsel's rows there too, then hand the sorted batches to the sorter in input order (counting
 * and the sorter's own bookkeeping, plus any spill). */
static kn_status parse_clustered(kn_run *r, int threads, kn_error *err) {
    /* A morsel waits in its slot sorted, and its slot keeps the spare half of the sort's buffer:
     * one slot past the threads lets a thread parse ahead while another's morsel has its turn. */
    size_t window = (size_t)threads + 1;
    sorted s = {.r = r, .threads = threads,
                .keep_going = r->opt->on_error != KN_ON_ERROR_FAIL};
    s.readers = kn_calloc((size_t)threads + 1, sizeof *s.readers);
    s.slots = kn_calloc(window, sizeof *s.slots);
    kn_status st = s.readers && s.slots ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (int t = 0; st == KN_OK && t <= threads; t++) st = r->fmt->reader_create(r->fopts, r->schema, &s.readers[t], err);
    if (st == KN_OK) {
        kn_sched_options so = {
            .num_morsels = kn__plan_num_morsels(r->plan),
            .threads = threads,
            .window = window,
            .profile = r->profile,
            .ops = {.ctx = &s, .parse = on_parse, .accept = on_accept},
        };
        st = kn_sched_run(&so, err);
    }
    for (size_t i = 0; s.slots && i < window; i++) {
        kn__out_release(&s.slots[i].out);
        kn_keyed_batch_release(&s.slots[i].kb);
        kn_keyed_batch_release(&s.slots[i].spare);
    }
    for (int t = 0; s.readers && t <= threads; t++) r->fmt->reader_free(s.readers[t]);
    kn_free(s.slots);
    kn_free(s.readers);
    return st;
}

/* The clustered write's sorter and partition counts. */
static kn_status start_sorted(kn_run *r, kn_error *err) {
    kn_sorter_options so = {.schema = r->schema, .memory_limit = r->opt->memory_limit, .spill_dir = r->tmp_dir,
                            .store = kn_commit_store(r->commit)};
    KN_TRY(kn_sorter_create(&so, &r->sorter, err));
    return kn_part_stats_create(&r->stats, err);
}

/* After the last morsel: the merge into the files, then the sort's memory and spill files go
 * (before the commit). */
static kn_status finish_sorted(kn_run *r, kn_error *err) {
    /* The writer's helper threads encode beside the merging thread, and nothing else runs now:
     * the process's CPU time is this phase's. */
    uint64_t t = r->profile ? kn_process_ns() : 0;
    kn_status st = merge_into_files(r, err);
    if (r->profile) kn_profile_add(r->profile, KN_STAGE_WRITE, kn_process_ns() - t);
    r->result->spill_runs = kn_sorter_spill_runs(r->sorter);
    r->result->spill_bytes = kn_sorter_spill_bytes(r->sorter);
    kn_sorter_free(r->sorter);
    r->sorter = NULL;
    return st;
}

const kn_output kn__output_sorted = {"sort", start_sorted, parse_clustered, finish_sorted};
