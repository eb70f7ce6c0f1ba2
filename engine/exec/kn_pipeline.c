/* engine/exec/kn_pipeline.c: the streaming write's scheduler (kn_pipeline.h). */
#include "kn_pipeline.h"

#include <omp.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "kn_alloc.h"

/* A pooled batch and the number of holders still reading it: the morsel being handed over
 * (one), plus each slice of it that some column has not read yet. */
typedef struct held {
    kn_batch *batch;
    size_t refs;
    struct held *next; /* the free list */
    struct held *all;  /* every held, for freeing */
} held;

enum { SLOT_FREE = 0, SLOT_PARSING, SLOT_PARSED };
enum { RG_FREE = 0, RG_OPEN, RG_SEALED, RG_ENCODED };

typedef struct slot {
    int state;
    held *h;
    bool accepted; /* the accept callback ran; rows [0, row) are handed over */
    size_t row;
} slot;

typedef struct rgslot {
    kn_pq_rowgroup *rg;
    int state;
    uint64_t seq;      /* position in file order */
    size_t cols_done;  /* columns finished into the row group */
    held **sl_held;    /* per slice: its batch */
    size_t *sl_left;   /* per slice: columns that have not read it */
    size_t nslices, cap_slices;
} rgslot;

/* One column's writer and where it is: row group `seq`, next slice `slice`. */
typedef struct colstate {
    kn_pq_colenc *ce;
    bool busy;
    uint64_t seq;
    size_t slice;
} colstate;

typedef struct pipe {
    const kn_pipeline_options *opt;
    size_t ncols;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    slot *slots;
    size_t next_parse, next_accept;
    bool accepting, writing;
    rgslot *rgs;
    rgslot *open;
    uint64_t next_seq, next_write;
    bool input_done; /* every morsel accepted and the last row group sealed */
    colstate *cols;

    held *free_list, *all_held;
    size_t num_held;  /* batches made so far; never more than window + threads */

    bool stop;
    kn_status status;
    kn_error error;
} pipe_t;

static void fail(pipe_t *p, kn_status st, const kn_error *e) {
    if (!p->stop) {
        p->stop = true;
        p->status = st;
        if (e) p->error = *e;
    }
    pthread_cond_broadcast(&p->cv);
}

static void release(pipe_t *p, held *h) {
    if (--h->refs == 0) {
        h->next = p->free_list;
        p->free_list = h;
    }
}

static kn_status new_held(pipe_t *p, held **out, kn_error *err) {
    held *h = kn_calloc(1, sizeof *h);
    if (!h) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_status st = kn_batch_create(p->opt->batch_schema, 1024, &h->batch, err);
    if (st != KN_OK) {
        kn_free(h);
        return st;
    }
    pthread_mutex_lock(&p->mu);
    h->all = p->all_held;
    p->all_held = h;
    pthread_mutex_unlock(&p->mu);
    *out = h;
    return KN_OK;
}

static rgslot *rg_by_seq(pipe_t *p, uint64_t seq) {
    for (size_t i = 0; i < p->opt->row_groups; i++)
        if (p->rgs[i].state != RG_FREE && p->rgs[i].seq == seq) return &p->rgs[i];
    return NULL;
}

static rgslot *free_rgslot(pipe_t *p) {
    for (size_t i = 0; i < p->opt->row_groups; i++)
        if (p->rgs[i].state == RG_FREE) return &p->rgs[i];
    return NULL;
}

static kn_status add_slice(rgslot *r, held *h, size_t ncols, kn_error *err) {
    if (r->nslices == r->cap_slices) {
        size_t cap = r->cap_slices ? r->cap_slices * 2 : 16;
        held **hs = kn_realloc(r->sl_held, cap * sizeof *hs);
        if (hs) r->sl_held = hs;
        size_t *ls = hs ? kn_realloc(r->sl_left, cap * sizeof *ls) : NULL;
        if (!ls) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        r->sl_left = ls;
        r->cap_slices = cap;
    }
    r->sl_held[r->nslices] = h;
    r->sl_left[r->nslices] = ncols;
    r->nslices++;
    h->refs++;
    return KN_OK;
}

/* Can the acceptor make progress on the next morsel now? */
static bool can_accept(const pipe_t *p) {
    if (p->accepting || p->next_accept >= p->opt->num_morsels) return false;
    const slot *s = &p->slots[p->next_accept % p->opt->window];
    if (s->state != SLOT_PARSED) return false;
    if (!s->accepted || p->open) return true;
    for (size_t i = 0; i < p->opt->row_groups; i++)
        if (p->rgs[i].state == RG_FREE) return true;
    return false;
}

/* Called with the lock held and can_accept true. */
static void accept_step(pipe_t *p) {
    const kn_pipeline_options *o = p->opt;
    size_t m = p->next_accept, si = m % o->window;
    slot *s = &p->slots[si];
    kn_batch *b = s->h->batch;
    kn_error e;
    p->accepting = true;
    if (!s->accepted) {
        pthread_mutex_unlock(&p->mu);
        kn_error_reset(&e);
        kn_status st = o->ops.accept(o->ops.ctx, m, si, b, &e);
        pthread_mutex_lock(&p->mu);
        s->accepted = true;
        s->row = 0;
        s->h->refs = 1;
        if (st != KN_OK) {
            p->accepting = false;
            fail(p, st, &e);
            return;
        }
    }
    while (s->row < b->num_rows) {
        if (!p->open) {
            rgslot *r = free_rgslot(p);
            if (!r) break; /* every row group is busy: go on when one is written */
            kn_pq_rowgroup_reset(r->rg);
            r->state = RG_OPEN;
            r->seq = p->next_seq++;
            r->nslices = 0;
            r->cols_done = 0;
            p->open = r;
        }
        size_t taken = 0;
        kn_error_reset(&e);
        kn_status st = kn_pq_rowgroup_add(p->open->rg, b, s->row, &taken, &e);
        if (st == KN_OK && taken) st = add_slice(p->open, s->h, p->ncols, &e);
        if (st != KN_OK) {
            p->accepting = false;
            fail(p, st, &e);
            return;
        }
        s->row += taken;
        if (kn_pq_rowgroup_full(p->open->rg)) {
            p->open->state = RG_SEALED;
            p->open = NULL;
        }
    }
    if (s->row >= b->num_rows) {
        release(p, s->h);
        s->h = NULL;
        s->state = SLOT_FREE;
        s->accepted = false;
        p->next_accept++;
        if (p->next_accept == o->num_morsels) {
            /* The open row group always holds rows: it is opened only for rows to add. */
            if (p->open) p->open->state = RG_SEALED;
            p->open = NULL;
            p->input_done = true;
        }
    }
    p->accepting = false;
    pthread_cond_broadcast(&p->cv);
}

static rgslot *writable(pipe_t *p) {
    if (p->writing) return NULL;
    rgslot *r = rg_by_seq(p, p->next_write);
    return r && r->state == RG_ENCODED ? r : NULL;
}

/* The column with work that is furthest behind (oldest row group, then fewest slices read), or
 * NULL. *finish says the work is finishing its chunk rather than reading slices. */
static colstate *encodable(pipe_t *p, rgslot **rg_out, bool *finish) {
    colstate *best = NULL;
    rgslot *best_rg = NULL;
    for (size_t c = 0; c < p->ncols; c++) {
        colstate *cs = &p->cols[c];
        if (cs->busy) continue;
        rgslot *r = rg_by_seq(p, cs->seq);
        if (!r) continue;
        bool more = cs->slice < r->nslices;
        bool fin = !more && r->state == RG_SEALED;
        if (!more && !fin) continue;
        if (!best || cs->seq < best->seq || (cs->seq == best->seq && cs->slice < best->slice)) {
            best = cs;
            best_rg = r;
            *finish = fin;
        }
    }
    *rg_out = best_rg;
    return best;
}

/* Runs one column task: the column's unread slices of `r`, or its chunk's end. Called with the
 * lock held; returns with it held. */
static kn_status encode_step(pipe_t *p, colstate *cs, rgslot *r, bool finish, kn_error *e) {
    kn_profile *prof = p->opt->profile;
    bool on = prof && prof->on;
    size_t a = cs->slice, b = r->nslices;
    enum { BATCH = 64 };
    struct { const kn_batch *batch; size_t row, n; } sl[BATCH];
    if (b - a > BATCH) b = a + BATCH;
    for (size_t i = a; i < b; i++) kn_pq_rowgroup_slice(r->rg, i, &sl[i - a].batch, &sl[i - a].row, &sl[i - a].n);
    cs->busy = true;
    pthread_mutex_unlock(&p->mu);

    uint64_t t0 = kn_profile_start(prof);
    uint64_t c0 = on ? kn_pq_colenc_compress_ns(cs->ce) : 0;
    kn_status st = KN_OK;
    for (size_t i = a; st == KN_OK && i < b; i++)
        st = kn_pq_colenc_write(cs->ce, sl[i - a].batch, sl[i - a].row, sl[i - a].n, e);
    if (st == KN_OK && finish) st = kn_pq_colenc_finish(cs->ce, r->rg, e);
    if (on) {
        uint64_t c = kn_pq_colenc_compress_ns(cs->ce) - c0, all = kn_thread_ns() - t0;
        kn_profile_add(prof, KN_STAGE_COMPRESS, c);
        kn_profile_add(prof, KN_STAGE_ENCODE, all > c ? all - c : 0);
    }

    pthread_mutex_lock(&p->mu);
    cs->busy = false;
    if (st != KN_OK) return st;
    for (size_t i = a; i < b; i++)
        if (--r->sl_left[i] == 0) release(p, r->sl_held[i]);
    cs->slice = b;
    if (finish) {
        cs->seq++;
        cs->slice = 0;
        if (++r->cols_done == p->ncols) r->state = RG_ENCODED;
    }
    /* A batch back in the pool, a row group ready, or this column free again: someone may be
     * waiting for any of them. */
    pthread_cond_broadcast(&p->cv);
    return KN_OK;
}

static void worker(pipe_t *p, int thread) {
    const kn_pipeline_options *o = p->opt;
    kn_profile *prof = o->profile;
    kn_error e;
    kn_status st;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->stop) break;
        if (p->input_done && p->next_write == p->next_seq && !p->writing) break;

        rgslot *r = writable(p);
        if (r) {
            p->writing = true;
            pthread_mutex_unlock(&p->mu);
            uint64_t t0 = kn_profile_start(prof);
            kn_error_reset(&e);
            st = o->ops.write(o->ops.ctx, r->rg, &e);
            kn_profile_lap(prof, KN_STAGE_WRITE, t0);
            pthread_mutex_lock(&p->mu);
            p->writing = false;
            if (st != KN_OK) {
                fail(p, st, &e);
                break;
            }
            kn_pq_rowgroup_reset(r->rg);
            r->state = RG_FREE;
            r->nslices = 0;
            p->next_write++;
            pthread_cond_broadcast(&p->cv);
            continue;
        }

        if (can_accept(p)) {
            accept_step(p);
            continue;
        }

        bool finish = false;
        colstate *cs = encodable(p, &r, &finish);
        if (cs) {
            kn_error_reset(&e);
            st = encode_step(p, cs, r, finish, &e);
            if (st != KN_OK) {
                fail(p, st, &e);
                break;
            }
            continue;
        }

        if (p->next_parse < o->num_morsels && p->next_parse < p->next_accept + o->window &&
            (p->free_list || p->num_held < o->window + (size_t)o->threads)) {
            size_t m = p->next_parse++, si = m % o->window;
            slot *s = &p->slots[si];
            s->state = SLOT_PARSING;
            held *h = p->free_list;
            if (h) p->free_list = h->next;
            else p->num_held++; /* counted now, made below outside the lock */
            pthread_mutex_unlock(&p->mu);
            st = KN_OK;
            if (!h) {
                kn_error_reset(&e);
                st = new_held(p, &h, &e);
            }
            if (st == KN_OK) {
                kn_batch_clear(h->batch);
                o->ops.parse(o->ops.ctx, thread, m, si, h->batch);
            }
            pthread_mutex_lock(&p->mu);
            if (st != KN_OK) {
                fail(p, st, &e);
                break;
            }
            s->h = h;
            s->state = SLOT_PARSED;
            pthread_cond_broadcast(&p->cv);
            continue;
        }

        uint64_t w0 = prof && prof->on ? kn_wall_ns() : 0;
        pthread_cond_wait(&p->cv, &p->mu);
        if (w0) kn_profile_add(prof, KN_STAGE_IDLE, kn_wall_ns() - w0);
    }
    pthread_mutex_unlock(&p->mu);
}

kn_status kn_pipeline_run(const kn_pipeline_options *opt, kn_error *err) {
    KN_RETURN_ERROR_IF(opt->threads < 1 || opt->window < 1 || opt->row_groups < 2, err, KN_E_USAGE,
                       "pipeline: threads %d, window %zu, row groups %zu", opt->threads, opt->window,
                       opt->row_groups);
    pipe_t p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.ncols = kn_pq_layout_columns(opt->layout);
    p.status = KN_OK;
    kn_error_reset(&p.error);
    p.input_done = opt->num_morsels == 0;
    p.slots = kn_calloc(opt->window, sizeof *p.slots);
    p.rgs = kn_calloc(opt->row_groups, sizeof *p.rgs);
    p.cols = kn_calloc(p.ncols, sizeof *p.cols);
    kn_status st = p.slots && p.rgs && p.cols ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < opt->row_groups; i++) st = kn_pq_rowgroup_create(opt->layout, &p.rgs[i].rg, err);
    for (size_t c = 0; st == KN_OK && c < p.ncols; c++) {
        st = kn_pq_colenc_create(opt->layout, c, &p.cols[c].ce, err);
        if (st == KN_OK && opt->profile && opt->profile->on) kn_pq_colenc_set_profile(p.cols[c].ce, true);
    }
    if (st == KN_OK) {
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.cv, NULL);
#pragma omp parallel num_threads(opt->threads)
        worker(&p, omp_get_thread_num());
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
        st = p.status;
        if (st != KN_OK && err) *err = p.error;
    }
    for (held *h = p.all_held, *next; h; h = next) {
        next = h->all;
        kn_batch_free(h->batch);
        kn_free(h);
    }
    for (size_t i = 0; p.rgs && i < opt->row_groups; i++) {
        kn_pq_rowgroup_free(p.rgs[i].rg);
        kn_free(p.rgs[i].sl_held);
        kn_free(p.rgs[i].sl_left);
    }
    for (size_t c = 0; p.cols && c < p.ncols; c++) kn_pq_colenc_free(p.cols[c].ce);
    kn_free(p.cols);
    kn_free(p.rgs);
    kn_free(p.slots);
    return st;
}
