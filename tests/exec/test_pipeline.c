/* tests/exec/test_pipeline.c: the streaming write's scheduler (kn_pipeline.h) gives the bytes of
 * the one-thread Parquet writer whatever the thread count, window and row groups in flight;
 * accepts morsels strictly in order; stops cleanly on the first failure; and keeps its batch
 * pool small. The morsels are made up here, so only the scheduler is under test. */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_column.h"
#include "kn_pipeline.h"
#include "kn_pq_rowgroup.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_stream.h"

#define MORSELS 60

static kn_schema *test_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "tag", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "amount", kn_type_decimal(12, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "text", kn_type_make(KN_TYPE_STRING), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    return s;
}

/* Morsel m's rows: a count that varies (some morsels have none) and values that depend only on
 * the global row number. */
static size_t morsel_rows(size_t m) { return m % 11 == 5 ? 0 : 300 + (m * 137) % 900; }
static size_t morsel_first(size_t m) {
    size_t first = 0;
    for (size_t i = 0; i < m; i++) first += morsel_rows(i);
    return first;
}

static void fill(kn_batch *b, size_t m) {
    char buf[96];
    size_t first = morsel_first(m), n = morsel_rows(m);
    for (size_t i = first; i < first + n; i++) {
        kn_column_append_i64(&b->columns[0], (int64_t)i, NULL);
        if (i % 13 == 3) kn_column_append_null(&b->columns[1], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "tag-%zu", i % 17);
            kn_column_append_str(&b->columns[1], buf, (size_t)l, NULL);
        }
        if (i % 6 == 0) kn_column_append_null(&b->columns[2], NULL);
        else kn_column_append_i64(&b->columns[2], (int64_t)((i * 7919) % 1000000), NULL);
        int l = snprintf(buf, sizeof buf, "row %zu says %zu", i, (i * 2654435761u) % 100000);
        kn_column_append_str(&b->columns[3], buf, (size_t)l, NULL);
        if (i % 5 == 2) kn_column_append_null(&b->columns[4], NULL);
        else kn_column_append_bool(&b->columns[4], i % 3 == 0, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
}

static void options(kn_pq_options *o) {
    kn_pq_options_init(o);
    o->codec = KN_CODEC_ZSTD;
    o->row_group_bytes = 96 * 1024; /* several row groups, cut inside morsels */
    o->page_bytes = 8192;
    o->dictionary_page_bytes = 8192;
}

/* The one-thread reference: every morsel's rows through kn_pq_writer_write, in order. */
static void reference(kn_buf *out) {
    kn_schema *s = test_schema();
    kn_pq_options o;
    options(&o);
    kn_pq_writer *w;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(out), &o, &w, &e), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 16, &b, NULL), KN_OK);
    for (size_t m = 0; m < MORSELS; m++) {
        kn_batch_clear(b);
        fill(b, m);
        ck_assert_msg(kn_pq_writer_write(w, b, &e) == KN_OK, "%s", e.what);
    }
    ck_assert_msg(kn_pq_writer_close(w, NULL, &e) == KN_OK, "%s", e.what);
    kn_batch_free(b);
    kn_schema_free(s);
}

typedef struct ctx {
    kn_pq_writer *w;
    _Atomic size_t next;  /* the morsel accept expects next */
    bool out_of_order;
    size_t fail_at;       /* accept fails at this morsel; MORSELS = never */
    size_t rows;
    _Atomic int parsed;
} ctx;

/* The morsel count is open: parse finds where the input ends, as with a sequential input. */
static bool open_count;

static bool cb_parse(void *c, int thread, size_t m, size_t slot, kn_batch *batch) {
    (void)thread;
    (void)slot;
    ctx *x = c;
    if (m >= MORSELS) return false;
    fill(batch, m);
    atomic_fetch_add(&x->parsed, 1);
    return true;
}

static kn_status cb_accept(void *c, size_t m, size_t slot, kn_batch *batch, kn_error *err) {
    (void)slot;
    ctx *x = c;
    if (atomic_load(&x->next) != m) x->out_of_order = true;
    atomic_store(&x->next, m + 1);
    if (batch->num_rows != morsel_rows(m)) x->out_of_order = true;
    if (m == x->fail_at) return kn_error_set(err, KN_E_DATA, "morsel %zu is bad", m);
    x->rows += batch->num_rows;
    return KN_OK;
}

static kn_status cb_write(void *c, const kn_pq_rowgroup *rg, kn_error *err) {
    ctx *x = c;
    return kn_pq_writer_write_rowgroup(x->w, rg, err);
}

/* Runs the pipeline into a file in memory; returns the run's status. */
static kn_status run(int threads, size_t window, size_t row_groups, size_t fail_at, kn_buf *out, kn_error *e,
                     kn_profile *prof, ctx *x) {
    kn_schema *s = test_schema();
    kn_pq_options o;
    options(&o);
    kn_pq_layout *l;
    ck_assert_int_eq(kn_pq_layout_create(s, &o, &l, e), KN_OK);
    memset(x, 0, sizeof *x);
    x->fail_at = fail_at;
    ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(out), &o, &x->w, e), KN_OK);
    kn_pipeline_options po = {
        .num_morsels = open_count ? KN_SCHED_OPEN : MORSELS,
        .threads = threads,
        .window = window,
        .row_groups = row_groups,
        .batch_schema = s,
        .layout = l,
        .profile = prof,
        .ops = {x, cb_parse, cb_accept, cb_write},
    };
    kn_status st = kn_pipeline_run(&po, e);
    if (st == KN_OK) ck_assert_int_eq(kn_pq_writer_close(x->w, NULL, e), KN_OK);
    else kn_pq_writer_abort(x->w);
    kn_pq_layout_free(l);
    kn_schema_free(s);
    return st;
}

START_TEST(output_is_the_one_thread_writers_bytes_for_any_threads_and_window)
{
    kn_buf ref = KN_BUF_INIT;
    reference(&ref);
    static const struct { int threads; size_t window, row_groups; } cases[] = {
        {1, 1, 2}, {1, 4, 2}, {2, 1, 2}, {2, 6, 2}, {3, 8, 3}, {4, 2, 2}, {4, 10, 4},
    };
    for (size_t k = 0; k < 2 * sizeof cases / sizeof cases[0]; k++) {
        open_count = k % 2;
        kn_buf out = KN_BUF_INIT;
        kn_error e;
        kn_error_reset(&e);
        ctx x;
        int threads = cases[k / 2].threads;
        size_t window = cases[k / 2].window, row_groups = cases[k / 2].row_groups;
        kn_status st = run(threads, window, row_groups, MORSELS, &out, &e, NULL, &x);
        ck_assert_msg(st == KN_OK, "threads %d: %s", threads, e.what);
        ck_assert_msg(!x.out_of_order, "threads %d window %zu: a morsel was accepted out of order", threads, window);
        ck_assert_uint_eq(x.rows, morsel_first(MORSELS));
        ck_assert_msg(out.len == ref.len && memcmp(out.data, ref.data, ref.len) == 0,
                      "threads %d window %zu row groups %zu open count %d: %zu bytes differ from the %zu-byte "
                      "reference",
                      threads, window, row_groups, open_count, out.len, ref.len);
        kn_buf_free(&out);
    }
    open_count = false;
    kn_buf_free(&ref);
}
END_TEST

START_TEST(a_failed_accept_stops_the_run_with_its_error)
{
    /* The error of the morsel that failed comes back, whatever the threads, and nothing after it
     * is accepted: rejects and counts stay in input order. */
    for (int threads = 1; threads <= 3; threads++) {
        kn_buf out = KN_BUF_INIT;
        kn_error e;
        kn_error_reset(&e);
        ctx x;
        kn_status st = run(threads, 4, 2, 23, &out, &e, NULL, &x);
        ck_assert_int_eq(st, KN_E_DATA);
        ck_assert_ptr_nonnull(strstr(e.what, "morsel 23 is bad"));
        ck_assert_uint_eq(atomic_load(&x.next), 24);
        ck_assert(!x.out_of_order);
        kn_buf_free(&out);
    }
}
END_TEST

START_TEST(profile_counts_encode_compress_and_write)
{
    kn_profile prof;
    kn_profile_init(&prof, true);
    kn_buf out = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    ctx x;
    ck_assert_int_eq(run(2, 4, 2, MORSELS, &out, &e, &prof, &x), KN_OK);
    ck_assert_uint_gt(atomic_load(&prof.ns[KN_STAGE_ENCODE]), 0);
    ck_assert_uint_gt(atomic_load(&prof.ns[KN_STAGE_COMPRESS]), 0);
    ck_assert_uint_gt(atomic_load(&prof.ns[KN_STAGE_WRITE]), 0);
    ck_assert_str_eq(kn_stage_name(KN_STAGE_COMPRESS), "compress");
    /* Off: nothing is counted. */
    kn_profile off;
    kn_profile_init(&off, false);
    kn_buf out2 = KN_BUF_INIT;
    ck_assert_int_eq(run(2, 4, 2, MORSELS, &out2, &e, &off, &x), KN_OK);
    for (int i = 0; i < KN_STAGE_COUNT; i++) ck_assert_uint_eq(atomic_load(&off.ns[i]), 0);
    kn_buf_free(&out);
    kn_buf_free(&out2);
}
END_TEST

START_TEST(bad_options_are_usage_errors)
{
    kn_pipeline_options po;
    memset(&po, 0, sizeof po);
    po.threads = 2;
    po.window = 0;
    po.row_groups = 2;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pipeline_run(&po, &e), KN_E_USAGE);
    po.window = 2;
    po.row_groups = 1;
    ck_assert_int_eq(kn_pipeline_run(&po, &e), KN_E_USAGE);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, output_is_the_one_thread_writers_bytes_for_any_threads_and_window);
    tcase_add_test(tc, a_failed_accept_stops_the_run_with_its_error);
    tcase_add_test(tc, profile_counts_encode_compress_and_write);
    tcase_add_test(tc, bad_options_are_usage_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
