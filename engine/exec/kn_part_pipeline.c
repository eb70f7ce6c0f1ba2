/* engine/exec/kn_part_pipeline.c: the streaming partitioned write's row groups, an output on
 * the run's scheduler (kn_part_pipeline.h, kn_sched.h). */
#include "kn_part_pipeline.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_hash_table.h"
#include "kn_batch_bytes.h"
#include "kn_sched.h"

kn_status kn_part_morsel_add(kn_part_morsel *pm, const uint8_t *path, size_t len, kn_batch *batch,
                             kn_error *err) {
    if (pm->num_groups == pm->cap_groups) {
        size_t cap = pm->cap_groups ? 2 * pm->cap_groups : 16;
        kn_part_morsel_group *g = kn_realloc(pm->groups, cap * sizeof *g);
        if (!g) {
            kn_batch_free(batch);
            return kn_error_set(err, KN_E_NOMEM, "out of memory");
        }
        pm->groups = g;
        pm->cap_groups = cap;
    }
    size_t off = pm->paths.len;
    if (len && !kn_buf_append(&pm->paths, path, len)) {
        kn_batch_free(batch);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    pm->groups[pm->num_groups++] = (kn_part_morsel_group){off, len, batch};
    return KN_OK;
}

/* Frees the batches still in `pm` and empties it, keeping its arrays. */
void kn_part_morsel_clear(kn_part_morsel *pm) {
    for (size_t i = 0; i < pm->num_groups; i++) kn_batch_free(pm->groups[i].batch);
    pm->num_groups = 0;
    pm->too_many = false;
    kn_buf_clear(&pm->paths);
}

static void morsel_release(kn_part_morsel *pm) {
    kn_part_morsel_clear(pm);
    kn_free(pm->groups);
    kn_buf_free(&pm->paths);
    memset(pm, 0, sizeof *pm);
}

/* A partition batch taken from a morsel, and the row groups that still read it (a batch cut by
 * a row group boundary belongs to two). */
typedef struct sub {
    kn_batch *batch;
    size_t refs;
} sub;

struct part;

typedef struct rgjob {
    kn_pq_rowgroup *rg;
    struct part *part;
    uint64_t seq;           /* the row group's place in its partition's file */
    uint64_t plain;         /* its rows' PLAIN size */
    size_t next_col;        /* columns handed to encoders */
    size_t cols_done;       /* columns encoded */
    sub **subs;
    size_t nsubs, cap_subs;
    struct rgjob *next;     /* the queue it is in: to encode, encoded, or free */
    struct rgjob *all;      /* every job, for freeing */
} rgjob;

typedef struct part {
    size_t index;
    uint8_t *path; /* owned */
    size_t len;
    rgjob *open;   /* the row group being filled (acceptor only) */
    uint64_t next_seq, next_write;
} part;


typedef struct pipe {
    const kn_part_pipeline_options *opt;
    size_t ncols;
    size_t max_in_flight;

    kn_part_morsel *slots; /* per slot: its morsel's rows by folder */
    bool writing;

    /* Partitions: touched by the acceptor only (a part's next_write under the lock). */
    part **parts;
    size_t num_parts, cap_parts;
    kn_hash_table *table; /* folder path -> part index */
    uint64_t open_plain;

    rgjob *enc_head, *enc_tail; /* sealed, columns left to hand out, in seal order */
    rgjob *encoded;             /* every column done, waiting for their turn to be written */
    rgjob *free_jobs, *all_jobs;
    size_t in_flight;           /* sealed and not yet written */
    uint64_t in_flight_plain;

    kn_pq_encoder **encoders; /* one per thread */

    bool overflow;
} pipe_t;

static void sub_release(sub *s) {
    if (--s->refs == 0) {
        kn_batch_free(s->batch);
        kn_free(s);
    }
}

/* ---- the acceptor's side: partitions and open row groups ---------------------------------- */

/* The partition of folder `path`, numbered on first sight; NULL with p->overflow set when it
 * would be one too many. */
static kn_status find_part(pipe_t *p, const uint8_t *path, size_t len, part **out, kn_error *err) {
    *out = NULL;
    size_t index;
    if (kn_hash_table_find(p->table, path, len, &index)) {
        *out = p->parts[index];
        return KN_OK;
    }
    if (p->num_parts >= p->opt->max_partitions) {
        p->overflow = true;
        return KN_OK;
    }
    if (p->num_parts == p->cap_parts) {
        size_t cap = p->cap_parts ? 2 * p->cap_parts : 16;
        part **a = kn_realloc(p->parts, cap * sizeof *a);
        if (!a) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        p->parts = a;
        p->cap_parts = cap;
    }
    /* The part keeps its own copy of the path: the writer reads it on another thread while the
     * acceptor adds keys, which may move the table's. */
    part *q = kn_calloc(1, sizeof *q);
    if (q) q->path = kn_malloc(len ? len : 1);
    if (!q || !q->path) {
        kn_free(q);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    if (len) memcpy(q->path, path, len);
    q->len = len;
    bool inserted;
    kn_status st = kn_hash_table_insert(p->table, path, len, &index, &inserted, err);
    if (st != KN_OK) {
        kn_free(q->path);
        kn_free(q);
        return st;
    }
    q->index = index;
    p->parts[p->num_parts++] = q;
    *out = q;
    return KN_OK;
}

/* A row group job for `q`, from the free list or new; the sched's lock is not held. */
static kn_status open_job(pipe_t *p, kn_sched *sc, part *q, kn_error *err) {
    kn_sched_lock(sc);
    rgjob *j = p->free_jobs;
    if (j) p->free_jobs = j->next;
    kn_sched_unlock(sc);
    if (!j) {
        j = kn_calloc(1, sizeof *j);
        if (!j) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        kn_status st = kn_pq_rowgroup_create(p->opt->layout, &j->rg, err);
        if (st != KN_OK) {
            kn_free(j);
            return st;
        }
        kn_sched_lock(sc);
        j->all = p->all_jobs;
        p->all_jobs = j;
        kn_sched_unlock(sc);
    }
    kn_pq_rowgroup_reset(j->rg);
    j->part = q;
    j->seq = q->next_seq++;
    j->plain = 0;
    j->next_col = j->cols_done = 0;
    j->nsubs = 0;
    j->next = NULL;
    q->open = j;
    return KN_OK;
}

static kn_status job_add_sub(rgjob *j, sub *s, kn_error *err) {
    if (j->nsubs == j->cap_subs) {
        size_t cap = j->cap_subs ? 2 * j->cap_subs : 16;
        sub **a = kn_realloc(j->subs, cap * sizeof *a);
        if (!a) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        j->subs = a;
        j->cap_subs = cap;
    }
    j->subs[j->nsubs++] = s;
    s->refs++;
    return KN_OK;
}

/* Sealed row groups of one accept step, in seal order, published together at its end. */
typedef struct sealed_list {
    rgjob *head, *tail;
} sealed_list;

static void seal(pipe_t *p, part *q, sealed_list *out) {
    rgjob *j = q->open;
    q->open = NULL;
    p->open_plain -= j->plain;
    j->next = NULL;
    if (out->tail) out->tail->next = j;
    else out->head = j;
    out->tail = j;
}

/* Sends one partition batch to its partition's open row groups, sealing each that fills. */
static kn_status route_group(pipe_t *p, kn_sched *sc, part *q, sub *s, sealed_list *sealed, kn_error *err) {
    const kn_batch *b = s->batch;
    size_t row = 0;
    while (row < b->num_rows) {
        if (!q->open) KN_TRY(open_job(p, sc, q, err));
        rgjob *j = q->open;
        size_t taken = 0;
        KN_TRY(kn_pq_rowgroup_add(j->rg, b, row, &taken, err));
        KN_RETURN_ERROR_IF(taken == 0, err, KN_E_INTERNAL, "an open row group took no rows");
        KN_TRY(job_add_sub(j, s, err));
        uint64_t plain = kn_rows_plain_bytes(b, row, taken);
        j->plain += plain;
        p->open_plain += plain;
        row += taken;
        if (kn_pq_rowgroup_full(j->rg)) seal(p, q, sealed);
    }
    return KN_OK;
}

/* The open-bytes rule: while the open row groups hold too much, seal the largest (the lowest
 * partition number among equals). Runs in the accept step only, so it is deterministic. */
static void seal_to_budget(pipe_t *p, sealed_list *sealed) {
    while (p->open_plain > p->opt->open_bytes) {
        part *best = NULL;
        for (size_t i = 0; i < p->num_parts; i++) {
            part *q = p->parts[i];
            if (q->open && (!best || q->open->plain > best->open->plain)) best = q;
        }
        if (!best) break;
        seal(p, best, sealed);
    }
}

/* The morsel's groups into the open row groups. Batches move out of `pm` as they are taken. */
static kn_status route_morsel(pipe_t *p, kn_sched *sc, kn_part_morsel *pm, sealed_list *sealed, kn_error *err) {
    if (pm->too_many) {
        p->overflow = true;
        return KN_OK;
    }
    for (size_t i = 0; i < pm->num_groups; i++) {
        kn_part_morsel_group *g = &pm->groups[i];
        part *q;
        KN_TRY(find_part(p, pm->paths.data + g->path_off, g->path_len, &q, err));
        if (!q) return KN_OK; /* overflow */
        sub *s = kn_calloc(1, sizeof *s);
        if (!s) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        s->batch = g->batch;
        g->batch = NULL;
        /* The sub is held while it is routed, so a failure part way frees it exactly once. */
        s->refs = 1;
        kn_status st = route_group(p, sc, q, s, sealed, err);
        sub_release(s);
        KN_TRY(st);
    }
    seal_to_budget(p, sealed);
    return KN_OK;
}

static void publish(pipe_t *p, sealed_list *sealed) {
    for (rgjob *j = sealed->head; j; j = j->next) {
        p->in_flight++;
        p->in_flight_plain += j->plain;
    }
    if (!sealed->head) return;
    if (p->enc_tail) p->enc_tail->next = sealed->head;
    else p->enc_head = sealed->head;
    p->enc_tail = sealed->tail;
}

/* ---- the scheduler's callbacks (kn_sched.h) ---------------------------------------------- */

static bool on_parse(void *ctx, kn_sched *sc, int thread, size_t m, size_t si) {
    (void)sc;
    pipe_t *p = ctx;
    return p->opt->ops.parse(p->opt->ops.ctx, thread, m, si, &p->slots[si]);
}

static bool on_can_accept(void *ctx, size_t m, size_t si) {
    (void)m;
    (void)si;
    const pipe_t *p = ctx;
    /* Row groups waiting to be encoded or written hold their rows: let them drain first. */
    return p->in_flight == 0 || (p->in_flight < p->max_in_flight && p->in_flight_plain <= p->opt->open_bytes / 2);
}

/* The caller's accept, then the morsel's folders into their open row groups, outside the lock
 * (the partitions are the acceptor's alone); what that sealed is published under it. */
static kn_status on_accept(void *ctx, kn_sched *sc, size_t m, size_t si, bool *done, kn_error *err) {
    pipe_t *p = ctx;
    kn_part_morsel *pm = &p->slots[si];
    sealed_list sealed = {NULL, NULL};
    kn_sched_unlock(sc);
    kn_status st = p->opt->ops.accept(p->opt->ops.ctx, m, si, pm, err);
    if (st == KN_OK) st = route_morsel(p, sc, pm, &sealed, err);
    kn_part_morsel_clear(pm);
    kn_sched_lock(sc);
    publish(p, &sealed);
    *done = true;
    if (st == KN_OK && p->overflow) kn_sched_stop(sc);
    return st;
}

/* The last morsel is in: every open row group is complete. */
static kn_status on_input_end(void *ctx, kn_error *err) {
    (void)err;
    pipe_t *p = ctx;
    sealed_list sealed = {NULL, NULL};
    for (size_t i = 0; i < p->num_parts; i++)
        if (p->parts[i]->open) seal(p, p->parts[i], &sealed);
    publish(p, &sealed);
    return KN_OK;
}

static bool on_finished(void *ctx) {
    const pipe_t *p = ctx;
    return p->in_flight == 0;
}

/* ---- encoding and writing ---------------------------------------------------------------- */

/* Encodes one column of the oldest sealed row group. Called with the lock held and enc_head
 * set; lets go of it while encoding. */
static kn_status encode_step(pipe_t *p, kn_sched *sc, int thread, kn_error *e) {
    kn_profile *prof = p->opt->profile;
    bool on = prof && prof->on;
    rgjob *j = p->enc_head;
    size_t col = j->next_col++;
    if (j->next_col == p->ncols) {
        p->enc_head = j->next;
        if (!p->enc_head) p->enc_tail = NULL;
        j->next = NULL;
    }
    kn_sched_unlock(sc);
    kn_pq_encoder *enc = p->encoders[thread];
    uint64_t t0 = kn_profile_start(prof);
    uint64_t c0 = on ? kn_pq_encoder_compress_ns(enc) : 0;
    kn_status st = kn_pq_rowgroup_encode(j->rg, col, enc, e);
    if (on) {
        uint64_t c = kn_pq_encoder_compress_ns(enc) - c0, all = kn_thread_ns() - t0;
        kn_profile_add(prof, KN_STAGE_COMPRESS, c);
        kn_profile_add(prof, KN_STAGE_ENCODE, all > c ? all - c : 0);
    }
    kn_sched_lock(sc);
    if (st != KN_OK || ++j->cols_done < p->ncols) return st;
    /* Every column is encoded: the rows are no longer needed. This thread alone holds the job
     * now (it is in no queue). */
    kn_sched_unlock(sc);
    for (size_t i = 0; i < j->nsubs; i++) sub_release(j->subs[i]);
    j->nsubs = 0;
    kn_sched_lock(sc);
    j->next = p->encoded;
    p->encoded = j;
    return KN_OK;
}

static kn_status on_work(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    pipe_t *p = ctx;
    if (!p->enc_head) return KN_OK;
    *did = true;
    return encode_step(p, sc, thread, err);
}

/* An encoded row group that is next in its partition's file, taken out of the list; or NULL. */
static rgjob *take_writable(pipe_t *p) {
    if (p->writing) return NULL;
    for (rgjob **pp = &p->encoded; *pp; pp = &(*pp)->next) {
        rgjob *j = *pp;
        if (j->seq == j->part->next_write) {
            *pp = j->next;
            j->next = NULL;
            return j;
        }
    }
    return NULL;
}

/* Writes a row group that is next in its partition's file (one writer at a time; the I/O runs
 * outside the lock). */
static kn_status on_drain(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    (void)thread;
    pipe_t *p = ctx;
    rgjob *j = take_writable(p);
    if (!j) return KN_OK;
    *did = true;
    p->writing = true;
    kn_sched_unlock(sc);
    uint64_t t0 = kn_profile_start(p->opt->profile);
    part *q = j->part;
    kn_status st = p->opt->ops.write(p->opt->ops.ctx, q->index, q->path, q->len, j->rg, err);
    kn_profile_lap(p->opt->profile, KN_STAGE_WRITE, t0);
    kn_pq_rowgroup_reset(j->rg);
    kn_sched_lock(sc);
    p->writing = false;
    q->next_write++;
    p->in_flight--;
    p->in_flight_plain -= j->plain;
    j->next = p->free_jobs;
    p->free_jobs = j;
    return st;
}

kn_status kn_part_pipeline_run(const kn_part_pipeline_options *opt, bool *overflow, kn_error *err) {
    *overflow = false;
    KN_RETURN_ERROR_IF(opt->threads < 1 || opt->window < 1 || opt->max_partitions < 1, err, KN_E_USAGE,
                       "partitioned pipeline: threads %d, window %zu, partitions %zu", opt->threads,
                       opt->window, opt->max_partitions);
    pipe_t p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.ncols = kn_pq_layout_columns(opt->layout);
    p.max_in_flight = 2 * (size_t)opt->threads + 2;
    p.slots = kn_calloc(opt->window, sizeof *p.slots);
    p.encoders = kn_calloc((size_t)opt->threads, sizeof *p.encoders);
    kn_status st = p.slots && p.encoders ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) st = kn_hash_table_create(64, &p.table, err);
    for (int t = 0; st == KN_OK && t < opt->threads; t++) {
        st = kn_pq_encoder_create(opt->layout, &p.encoders[t], err);
        if (st == KN_OK && opt->profile && opt->profile->on) kn_pq_encoder_set_profile(p.encoders[t], true);
    }
    if (st == KN_OK) {
        kn_sched_options so = {
            .num_morsels = opt->num_morsels,
            .threads = opt->threads,
            .window = opt->window,
            .profile = opt->profile,
            .ops = {.ctx = &p, .parse = on_parse, .accept = on_accept, .can_accept = on_can_accept,
                    .drain = on_drain, .work = on_work, .input_end = on_input_end, .finished = on_finished},
        };
        st = kn_sched_run(&so, err);
        *overflow = p.overflow && st == KN_OK;
    }
    /* Whatever is left after a failure or an overflow: open and sealed row groups' rows, parsed
     * morsels. */
    for (size_t i = 0; i < p.num_parts; i++) {
        kn_free(p.parts[i]->path);
        kn_free(p.parts[i]);
    }
    for (rgjob *j = p.all_jobs, *next; j; j = next) {
        next = j->all;
        for (size_t i = 0; i < j->nsubs; i++) sub_release(j->subs[i]);
        kn_free(j->subs);
        kn_pq_rowgroup_free(j->rg);
        kn_free(j);
    }
    for (size_t i = 0; p.slots && i < opt->window; i++) morsel_release(&p.slots[i]);
    for (int t = 0; p.encoders && t < opt->threads; t++) kn_pq_encoder_free(p.encoders[t]);
    kn_free(p.encoders);
    kn_free(p.parts);
    kn_hash_table_free(p.table);
    kn_free(p.slots);
    return st;
}
