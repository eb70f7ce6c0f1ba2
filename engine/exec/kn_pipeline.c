/* engine/exec/kn_pipeline.c: the streaming write's row groups, an output on the run's scheduler
 * (kn_pipeline.h, kn_sched.h). */
#include "kn_pipeline.h"

#include <stdbool.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_sched.h"

/* A pooled batch and the number of holders still reading it: the morsel being handed over
 * (one), plus each slice of it that some column has not read yet. */
typedef struct held {
    kn_batch *batch;
    size_t refs;
    struct held *next; /* the free list */
    struct held *all;  /* every held, for freeing */
} held;

enum { RG_FREE = 0, RG_OPEN, RG_SEALED, RG_ENCODED };

typedef struct slot {
    held *h;          /* the morsel's batch, reserved before its parse */
    kn_status failed; /* no batch could be made for it */
    kn_error error;
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

    slot *slots;
    bool writing;
    rgslot *rgs;
    rgslot *open;
    uint64_t next_seq, next_write;
    colstate *cols;

    held *free_list, *all_held;
    size_t num_held;  /* batches made so far; never more than window + threads */
} pipe_t;

static void release(pipe_t *p, held *h) {
    if (--h->refs == 0) {
        h->next = p->free_list;
        p->free_list = h;
    }
}

/* A new pooled batch; the sched's lock is not held. */
static kn_status new_held(pipe_t *p, kn_sched *sc, held **out, kn_error *err) {
    held *h = kn_calloc(1, sizeof *h);
    if (!h) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_status st = kn_batch_create(p->opt->batch_schema, 1024, &h->batch, err);
    if (st != KN_OK) {
        kn_free(h);
        return st;
    }
    kn_sched_lock(sc);
    h->all = p->all_held;
    p->all_held = h;
    kn_sched_unlock(sc);
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

/* ---- the scheduler's callbacks (kn_sched.h) ---------------------------------------------- */

/* A batch for the slot: from the pool, or counted now and made by parse (outside the lock). */
static bool on_reserve(void *ctx, size_t si) {
    pipe_t *p = ctx;
    if (!p->free_list && p->num_held >= p->opt->window + (size_t)p->opt->threads) return false;
    slot *s = &p->slots[si];
    s->h = p->free_list;
    if (s->h) p->free_list = s->h->next;
    else p->num_held++;
    return true;
}

static bool on_parse(void *ctx, kn_sched *sc, int thread, size_t m, size_t si) {
    pipe_t *p = ctx;
    slot *s = &p->slots[si];
    kn_error e;
    kn_error_reset(&e);
    kn_status st = s->h ? KN_OK : new_held(p, sc, &s->h, &e);
    if (st != KN_OK) {
        /* No batch to parse into: accept reports it, in input order. */
        s->failed = st;
        s->error = e;
        return true;
    }
    s->failed = KN_OK;
    kn_batch_clear(s->h->batch);
    return p->opt->ops.parse(p->opt->ops.ctx, thread, m, si, s->h->batch);
}

/* Can the acceptor make progress on morsel m now? */
static bool on_can_accept(void *ctx, size_t m, size_t si) {
    (void)m;
    pipe_t *p = ctx;
    const slot *s = &p->slots[si];
    if (!s->accepted || p->open) return true;
    return free_rgslot(p) != NULL;
}

/* The morsel's rows into the open row group, sealing each that fills, as far as there are free
 * row groups. */
static kn_status on_accept(void *ctx, kn_sched *sc, size_t m, size_t si, bool *done, kn_error *err) {
    pipe_t *p = ctx;
    const kn_pipeline_options *o = p->opt;
    slot *s = &p->slots[si];
    if (s->failed != KN_OK) {
        *err = s->error;
        return s->failed;
    }
    kn_batch *b = s->h->batch;
    if (!s->accepted) {
        kn_sched_unlock(sc);
        kn_status st = o->ops.accept(o->ops.ctx, m, si, b, err);
        kn_sched_lock(sc);
        KN_TRY(st);
        s->accepted = true;
        s->row = 0;
        s->h->refs = 1;
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
        KN_TRY(kn_pq_rowgroup_add(p->open->rg, b, s->row, &taken, err));
        if (taken) KN_TRY(add_slice(p->open, s->h, p->ncols, err));
        s->row += taken;
        if (kn_pq_rowgroup_full(p->open->rg)) {
            p->open->state = RG_SEALED;
            p->open = NULL;
        }
    }
    *done = s->row >= b->num_rows;
    if (*done) {
        release(p, s->h);
        s->h = NULL;
        s->accepted = false;
    }
    return KN_OK;
}

/* The last morsel is in: the open row group is complete (it always holds rows: it is opened
 * only for rows to add). */
static kn_status on_input_end(void *ctx, kn_error *err) {
    (void)err;
    pipe_t *p = ctx;
    if (p->open) p->open->state = RG_SEALED;
    p->open = NULL;
    return KN_OK;
}

static bool on_finished(void *ctx) {
    pipe_t *p = ctx;
    return p->next_write == p->next_seq && !p->writing;
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
 * lock held; lets go of it while encoding. */
static kn_status encode_step(pipe_t *p, kn_sched *sc, colstate *cs, rgslot *r, bool finish, kn_error *e) {
    kn_profile *prof = p->opt->profile;
    bool on = prof && prof->on;
    size_t a = cs->slice, b = r->nslices;
    enum { BATCH = 64 };
    struct { const kn_batch *batch; size_t row, n; } sl[BATCH];
    if (b - a > BATCH) b = a + BATCH;
    for (size_t i = a; i < b; i++) kn_pq_rowgroup_slice(r->rg, i, &sl[i - a].batch, &sl[i - a].row, &sl[i - a].n);
    cs->busy = true;
    kn_sched_unlock(sc);

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

    kn_sched_lock(sc);
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
    return KN_OK;
}

static kn_status on_work(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    (void)thread;
    pipe_t *p = ctx;
    rgslot *r;
    bool finish = false;
    colstate *cs = encodable(p, &r, &finish);
    if (!cs) return KN_OK;
    *did = true;
    return encode_step(p, sc, cs, r, finish, err);
}

/* The next row group in file order, once every column is in it (one writer at a time; the I/O
 * runs outside the lock). */
static kn_status on_drain(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    (void)thread;
    pipe_t *p = ctx;
    if (p->writing) return KN_OK;
    rgslot *r = rg_by_seq(p, p->next_write);
    if (!r || r->state != RG_ENCODED) return KN_OK;
    *did = true;
    p->writing = true;
    kn_sched_unlock(sc);
    uint64_t t0 = kn_profile_start(p->opt->profile);
    kn_status st = p->opt->ops.write(p->opt->ops.ctx, r->rg, err);
    kn_profile_lap(p->opt->profile, KN_STAGE_WRITE, t0);
    kn_sched_lock(sc);
    p->writing = false;
    KN_TRY(st);
    kn_pq_rowgroup_reset(r->rg);
    r->state = RG_FREE;
    r->nslices = 0;
    p->next_write++;
    return KN_OK;
}

kn_status kn_pipeline_run(const kn_pipeline_options *opt, kn_error *err) {
    KN_RETURN_ERROR_IF(opt->threads < 1 || opt->window < 1 || opt->row_groups < 2, err, KN_E_USAGE,
                       "pipeline: threads %d, window %zu, row groups %zu", opt->threads, opt->window,
                       opt->row_groups);
    pipe_t p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.ncols = kn_pq_layout_columns(opt->layout);
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
        kn_sched_options so = {
            .num_morsels = opt->num_morsels,
            .threads = opt->threads,
            .window = opt->window,
            .profile = opt->profile,
            .ops = {.ctx = &p, .reserve = on_reserve, .parse = on_parse, .accept = on_accept,
                    .can_accept = on_can_accept, .drain = on_drain, .work = on_work, .input_end = on_input_end,
                    .finished = on_finished},
        };
        st = kn_sched_run(&so, err);
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
