/* tests/exec/test_sched.c: the run's one scheduler (kn_sched.h) on a made-up output: morsels are
 * accepted once each and strictly in order whatever the threads and window; never more than
 * `window` are parsed ahead of the next to accept; an accept taken in several goes resumes where
 * it stopped; an open count ends at the first morsel parse says is missing; the first failure
 * (from parse, accept or the output's work) is the one returned and nothing is accepted after
 * it; input_end runs once, after the last accept, and the output's work is finished before the
 * run returns. */
#include <check.h>
#include <string.h>

#include "kn_sched.h"

#define MORSELS 200
#define NONE SIZE_MAX

typedef struct out {
    size_t window;
    size_t total;            /* morsels that exist (the open count's end) */
    bool open;
    /* failures injected */
    size_t fail_accept_at, fail_work_at;
    /* what happened */
    size_t next_accept;      /* lock held */
    bool out_of_order;
    /* Per slot: the morsel parsed into it, + 1. A morsel parsed more than `window` ahead would
     * overwrite the slot of one not yet accepted, which accept sees. */
    size_t in_slot[64];
    size_t goes;             /* accept calls for the current morsel */
    size_t pending;          /* accepted units not yet worked (lock held) */
    size_t worked;
    int input_ends;
    bool input_end_early;
} out;

static bool on_parse(void *ctx, kn_sched *s, int thread, size_t m, size_t slot) {
    (void)s;
    (void)thread;
    out *o = ctx;
    if (m >= o->total) return false;
    o->in_slot[slot] = m + 1;
    return true;
}

/* Each morsel is taken in (m % 3) + 1 goes, and each go leaves one unit of work. */
static kn_status on_accept(void *ctx, kn_sched *s, size_t m, size_t slot, bool *done, kn_error *err) {
    out *o = ctx;
    if (m != o->next_accept || o->in_slot[slot] != m + 1) o->out_of_order = true;
    if (m == o->fail_accept_at) return kn_error_set(err, KN_E_DATA, "accept failed at %zu", m);
    /* Let go of the lock a moment, as real outputs do around their work. */
    kn_sched_unlock(s);
    kn_sched_lock(s);
    o->pending++;
    if (++o->goes < m % 3 + 1) {
        *done = false;
        return KN_OK;
    }
    o->goes = 0;
    o->next_accept++;
    *done = true;
    return KN_OK;
}

/* Room for at most 2 units of pending work: accept waits for the work to drain. */
static bool on_can_accept(void *ctx, size_t m, size_t slot) {
    (void)m;
    (void)slot;
    out *o = ctx;
    return o->pending < 2;
}

static kn_status on_work(void *ctx, kn_sched *s, int thread, bool *did, kn_error *err) {
    (void)thread;
    out *o = ctx;
    if (!o->pending) return KN_OK;
    *did = true;
    o->pending--;
    kn_sched_unlock(s);
    kn_sched_lock(s);
    if (++o->worked == o->fail_work_at) return kn_error_set(err, KN_E_IO, "work failed at %zu", o->worked);
    return KN_OK;
}

static kn_status on_input_end(void *ctx, kn_error *err) {
    (void)err;
    out *o = ctx;
    o->input_ends++;
    if (o->next_accept != o->total) o->input_end_early = true;
    return KN_OK;
}

static bool on_finished(void *ctx) {
    out *o = ctx;
    return o->pending == 0;
}

static kn_status run(out *o, int threads, kn_error *e) {
    kn_sched_options so = {
        .num_morsels = o->open ? KN_SCHED_OPEN : o->total,
        .threads = threads,
        .window = o->window,
        .ops = {.ctx = o, .parse = on_parse, .accept = on_accept, .can_accept = on_can_accept, .work = on_work,
                .input_end = on_input_end, .finished = on_finished},
    };
    return kn_sched_run(&so, e);
}

static void init(out *o, size_t total, size_t window, bool open) {
    memset(o, 0, sizeof *o);
    o->total = total;
    o->window = window;
    o->open = open;
    o->fail_accept_at = o->fail_work_at = NONE;
}

/* Units of work the first `n` morsels leave: (m % 3) + 1 each. */
static size_t units(size_t n) {
    size_t u = 0;
    for (size_t m = 0; m < n; m++) u += m % 3 + 1;
    return u;
}

START_TEST(every_morsel_once_in_order_for_any_threads_window_and_count)
{
    static const size_t totals[] = {0, 1, 2, 7, MORSELS};
    static const size_t windows[] = {1, 2, 5, 16};
    for (int threads = 1; threads <= 4; threads++)
        for (size_t w = 0; w < 4; w++)
            for (size_t t = 0; t < 5; t++)
                for (int open = 0; open <= 1; open++) {
                    out o;
                    init(&o, totals[t], windows[w], open);
                    kn_error e;
                    kn_error_reset(&e);
                    ck_assert_msg(run(&o, threads, &e) == KN_OK, "%s", e.what);
                    ck_assert_msg(!o.out_of_order, "threads %d window %zu: out of order", threads, windows[w]);
                    ck_assert_uint_eq(o.next_accept, totals[t]);
                    ck_assert_uint_eq(o.worked, units(totals[t]));
                    ck_assert_int_eq(o.input_ends, 1);
                    ck_assert(!o.input_end_early);
                }
}
END_TEST

START_TEST(the_first_failure_is_returned_and_nothing_after_it_is_accepted)
{
    for (int threads = 1; threads <= 3; threads++) {
        out o;
        init(&o, MORSELS, 4, threads == 2);
        o.fail_accept_at = 57;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(run(&o, threads, &e), KN_E_DATA);
        ck_assert_ptr_nonnull(strstr(e.what, "accept failed at 57"));
        ck_assert_uint_eq(o.next_accept, 57);
        ck_assert_int_eq(o.input_ends, 0);

        init(&o, MORSELS, 4, false);
        o.fail_work_at = 10;
        kn_error_reset(&e);
        ck_assert_int_eq(run(&o, threads, &e), KN_E_IO);
        ck_assert_ptr_nonnull(strstr(e.what, "work failed at 10"));
        ck_assert_uint_lt(o.next_accept, MORSELS);
    }
}
END_TEST

START_TEST(bad_options_are_usage_errors)
{
    kn_sched_options so;
    memset(&so, 0, sizeof so);
    so.threads = 1;
    so.window = 0;
    so.ops.parse = on_parse;
    so.ops.accept = on_accept;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_sched_run(&so, &e), KN_E_USAGE);
    so.window = 1;
    so.ops.accept = NULL;
    ck_assert_int_eq(kn_sched_run(&so, &e), KN_E_USAGE);
}
END_TEST

int main(void) {
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("sched");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_morsel_once_in_order_for_any_threads_window_and_count);
    tcase_add_test(tc, the_first_failure_is_returned_and_nothing_after_it_is_accepted);
    tcase_add_test(tc, bad_options_are_usage_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
