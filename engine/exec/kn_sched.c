/* engine/exec/kn_sched.c: the run's one scheduler (kn_sched.h). */
#include "kn_sched.h"

#include <omp.h>
#include <pthread.h>
#include <string.h>

#include "kn_alloc.h"

enum { SLOT_FREE = 0, SLOT_PARSING, SLOT_PARSED };

struct kn_sched {
    const kn_sched_options *opt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *slots; /* SLOT_* per slot */
    size_t end;           /* morsels: opt->num_morsels, or where parse found the end */
    size_t next_parse, next_accept;
    bool accepting;
    bool input_ended; /* every morsel accepted and input_end called */
    bool stop;
    kn_status status;
    kn_error error;
};

void kn_sched_unlock(kn_sched *s) { pthread_mutex_unlock(&s->mu); }
void kn_sched_lock(kn_sched *s) { pthread_mutex_lock(&s->mu); }

void kn_sched_stop(kn_sched *s) {
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
}

/* Keeps the first failure and stops the run. Lock held. */
static void fail(kn_sched *s, kn_status st, const kn_error *e) {
    if (!s->stop) {
        s->status = st;
        if (e) s->error = *e;
    }
    kn_sched_stop(s);
}

/* Every morsel is accepted: tell the output, once. Lock held. */
static void note_input_end(kn_sched *s) {
    if (s->stop || s->input_ended || s->next_accept < s->end) return;
    s->input_ended = true;
    kn_error e;
    kn_error_reset(&e);
    kn_status st = s->opt->ops.input_end ? s->opt->ops.input_end(s->opt->ops.ctx, &e) : KN_OK;
    if (st != KN_OK) fail(s, st, &e);
}

static bool can_accept(kn_sched *s) {
    const kn_sched_ops *ops = &s->opt->ops;
    if (s->accepting || s->next_accept >= s->end) return false;
    size_t slot = s->next_accept % s->opt->window;
    if (s->slots[slot] != SLOT_PARSED) return false;
    return !ops->can_accept || ops->can_accept(ops->ctx, s->next_accept, slot);
}

static void accept_step(kn_sched *s) {
    const kn_sched_ops *ops = &s->opt->ops;
    size_t m = s->next_accept, slot = m % s->opt->window;
    bool done = false;
    kn_error e;
    kn_error_reset(&e);
    s->accepting = true;
    kn_status st = ops->accept(ops->ctx, s, m, slot, &done, &e);
    s->accepting = false;
    if (st != KN_OK) {
        fail(s, st, &e);
        return;
    }
    if (done) {
        s->slots[slot] = SLOT_FREE;
        s->next_accept++;
        note_input_end(s);
    }
}

static bool can_parse(kn_sched *s) {
    const kn_sched_ops *ops = &s->opt->ops;
    if (s->next_parse >= s->end || s->next_parse >= s->next_accept + s->opt->window) return false;
    return !ops->reserve || ops->reserve(ops->ctx, s->next_parse % s->opt->window);
}

static void parse_step(kn_sched *s, int thread) {
    const kn_sched_ops *ops = &s->opt->ops;
    size_t m = s->next_parse++, slot = m % s->opt->window;
    s->slots[slot] = SLOT_PARSING;
    pthread_mutex_unlock(&s->mu);
    bool exists = ops->parse(ops->ctx, s, thread, m, slot);
    pthread_mutex_lock(&s->mu);
    s->slots[slot] = SLOT_PARSED;
    if (!exists && m < s->end) {
        /* Later morsels may have been handed out already; they find the end too and are
         * never accepted. */
        s->end = m;
        note_input_end(s);
    }
}

/* Runs an output callback (drain or work); true when it did something. */
static bool output_step(kn_sched *s, kn_status (*fn)(void *, kn_sched *, int, bool *, kn_error *), int thread) {
    if (!fn) return false;
    bool did = false;
    kn_error e;
    kn_error_reset(&e);
    kn_status st = fn(s->opt->ops.ctx, s, thread, &did, &e);
    if (st != KN_OK) {
        fail(s, st, &e);
        return true;
    }
    return did;
}

static bool finished(kn_sched *s) {
    const kn_sched_ops *ops = &s->opt->ops;
    return s->input_ended && (!ops->finished || ops->finished(ops->ctx));
}

static void worker(kn_sched *s, int thread) {
    const kn_sched_ops *ops = &s->opt->ops;
    kn_profile *prof = s->opt->profile;
    pthread_mutex_lock(&s->mu);
    while (!s->stop && !finished(s)) {
        if (output_step(s, ops->drain, thread)) {
        } else if (can_accept(s)) {
            accept_step(s);
        } else if (output_step(s, ops->work, thread)) {
        } else if (can_parse(s)) {
            parse_step(s, thread);
        } else {
            uint64_t w0 = prof && prof->on ? kn_wall_ns() : 0;
            pthread_cond_wait(&s->cv, &s->mu);
            if (w0) kn_profile_add(prof, KN_STAGE_IDLE, kn_wall_ns() - w0);
            continue;
        }
        /* Something moved: a slot parsed or freed, a row group sealed or written, a batch back
         * in a pool. Whoever waits may go on now. */
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

kn_status kn_sched_run(const kn_sched_options *opt, kn_error *err) {
    KN_RETURN_ERROR_IF(opt->threads < 1 || opt->window < 1 || !opt->ops.parse || !opt->ops.accept, err, KN_E_USAGE,
                       "scheduler: threads %d, window %zu", opt->threads, opt->window);
    kn_sched s;
    memset(&s, 0, sizeof s);
    s.opt = opt;
    s.end = opt->num_morsels;
    s.status = KN_OK;
    kn_error_reset(&s.error);
    s.slots = kn_calloc(opt->window, 1);
    KN_RETURN_ERROR_IF(!s.slots, err, KN_E_NOMEM, "out of memory");
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    pthread_mutex_lock(&s.mu);
    note_input_end(&s); /* no morsels at all */
    pthread_mutex_unlock(&s.mu);
#pragma omp parallel num_threads(opt->threads)
    worker(&s, omp_get_thread_num());
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    kn_free(s.slots);
    if (s.status != KN_OK && err) *err = s.error;
    return s.status;
}
