/* engine/exec/kn_part_pipeline.c: the streaming partitioned write's scheduler
 * (kn_part_pipeline.h). */
#include "kn_part_pipeline.h"

#include <omp.h>
#include <pthread.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_partition.h"

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

enum { SLOT_FREE = 0, SLOT_PARSING, SLOT_PARSED };

typedef struct slot {
    int state;
    kn_part_morsel pm;
} slot;

typedef struct pipe {
    const kn_part_pipeline_options *opt;
    size_t ncols;
    size_t max_in_flight;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    slot *slots;
    size_t next_parse, next_accept;
    bool accepting, writing;

    /* Partitions: touched by the acceptor only (a part's next_write under the lock). */
    part **parts;
    size_t num_parts, cap_parts;
    size_t *table; /* open addressing: part index + 1, 0 = empty */
    size_t table_cap;
    uint64_t open_plain;

    rgjob *enc_head, *enc_tail; /* sealed, columns left to hand out, in seal order */
    rgjob *encoded;             /* every column done, waiting for their turn to be written */
    rgjob *free_jobs, *all_jobs;
    size_t in_flight;           /* sealed and not yet written */
    uint64_t in_flight_plain;
    bool input_done;

    kn_pq_encoder **encoders; /* one per thread */

    bool stop, overflow;
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

static void sub_release(sub *s) {
    if (--s->refs == 0) {
        kn_batch_free(s->batch);
        kn_free(s);
    }
}

/* ---- the acceptor's side: partitions and open row groups ---------------------------------- */

static kn_status table_grow(pipe_t *p, kn_error *err) {
    size_t cap = p->table_cap ? 2 * p->table_cap : 64;
    size_t *t = kn_calloc(cap, sizeof *t);
    if (!t) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < p->num_parts; i++) {
        size_t h = (size_t)kn_part_path_hash(p->parts[i]->path, p->parts[i]->len) & (cap - 1);
        while (t[h]) h = (h + 1) & (cap - 1);
        t[h] = i + 1;
    }
    kn_free(p->table);
    p->table = t;
    p->table_cap = cap;
    return KN_OK;
}

/* The partition of folder `path`, numbered on first sight; NULL with p->overflow set when it
 * would be one too many. */
static kn_status find_part(pipe_t *p, const uint8_t *path, size_t len, part **out, kn_error *err) {
    *out = NULL;
    if (2 * (p->num_parts + 1) > p->table_cap) KN_TRY(table_grow(p, err));
    size_t mask = p->table_cap - 1, h = (size_t)kn_part_path_hash(path, len) & mask;
    for (; p->table[h]; h = (h + 1) & mask) {
        part *q = p->parts[p->table[h] - 1];
        if (q->len == len && (len == 0 || memcmp(q->path, path, len) == 0)) {
            *out = q;
            return KN_OK;
        }
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
    part *q = kn_calloc(1, sizeof *q);
    if (q) q->path = kn_malloc(len ? len : 1);
    if (!q || !q->path) {
        kn_free(q);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    if (len) memcpy(q->path, path, len);
    q->len = len;
    q->index = p->num_parts;
    p->parts[p->num_parts++] = q;
    p->table[h] = p->num_parts;
    *out = q;
    return KN_OK;
}

/* A row group job for `q`, from the free list or new. */
static kn_status open_job(pipe_t *p, part *q, kn_error *err) {
    pthread_mutex_lock(&p->mu);
    rgjob *j = p->free_jobs;
    if (j) p->free_jobs = j->next;
    pthread_mutex_unlock(&p->mu);
    if (!j) {
        j = kn_calloc(1, sizeof *j);
        if (!j) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        kn_status st = kn_pq_rowgroup_create(p->opt->layout, &j->rg, err);
        if (st != KN_OK) {
            kn_free(j);
            return st;
        }
        pthread_mutex_lock(&p->mu);
        j->all = p->all_jobs;
        p->all_jobs = j;
        pthread_mutex_unlock(&p->mu);
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
static kn_status route_group(pipe_t *p, part *q, sub *s, sealed_list *sealed, kn_error *err) {
    const kn_batch *b = s->batch;
    size_t row = 0;
    while (row < b->num_rows) {
        if (!q->open) KN_TRY(open_job(p, q, err));
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
static kn_status route_morsel(pipe_t *p, kn_part_morsel *pm, sealed_list *sealed, kn_error *err) {
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
        kn_status st = route_group(p, q, s, sealed, err);
        sub_release(s);
        KN_TRY(st);
    }
    seal_to_budget(p, sealed);
    return KN_OK;
}

static bool can_accept(const pipe_t *p) {
    if (p->accepting || p->next_accept >= p->opt->num_morsels) return false;
    if (p->slots[p->next_accept % p->opt->window].state != SLOT_PARSED) return false;
    /* Row groups waiting to be encoded or written hold their rows: let them drain first. */
    if (p->in_flight > 0 && (p->in_flight >= p->max_in_flight || p->in_flight_plain > p->opt->open_bytes / 2))
        return false;
    return true;
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

/* Called with the lock held and can_accept true; returns with it held. */
static void accept_step(pipe_t *p) {
    const kn_part_pipeline_options *o = p->opt;
    size_t m = p->next_accept, si = m % o->window;
    slot *s = &p->slots[si];
    kn_error e;
    kn_error_reset(&e);
    sealed_list sealed = {NULL, NULL};
    p->accepting = true;
    pthread_mutex_unlock(&p->mu);
    kn_status st = o->ops.accept(o->ops.ctx, m, si, &s->pm, &e);
    if (st == KN_OK) st = route_morsel(p, &s->pm, &sealed, &e);
    if (st == KN_OK && !p->overflow && m + 1 == o->num_morsels) {
        /* The last morsel: every open row group is complete. */
        for (size_t i = 0; i < p->num_parts; i++)
            if (p->parts[i]->open) seal(p, p->parts[i], &sealed);
    }
    kn_part_morsel_clear(&s->pm);
    pthread_mutex_lock(&p->mu);
    publish(p, &sealed);
    p->accepting = false;
    s->state = SLOT_FREE;
    p->next_accept++;
    if (st != KN_OK) fail(p, st, &e);
    else if (p->overflow) fail(p, KN_OK, NULL);
    else if (p->next_accept == o->num_morsels) p->input_done = true;
    pthread_cond_broadcast(&p->cv);
}

/* ---- encoding and writing ---------------------------------------------------------------- */

/* Encodes one column of the oldest sealed row group. Called with the lock held and enc_head
 * set; returns with it held. */
static kn_status encode_step(pipe_t *p, int thread, kn_error *e) {
    kn_profile *prof = p->opt->profile;
    bool on = prof && prof->on;
    rgjob *j = p->enc_head;
    size_t col = j->next_col++;
    if (j->next_col == p->ncols) {
        p->enc_head = j->next;
        if (!p->enc_head) p->enc_tail = NULL;
        j->next = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    kn_pq_encoder *enc = p->encoders[thread];
    uint64_t t0 = kn_profile_start(prof);
    uint64_t c0 = on ? kn_pq_encoder_compress_ns(enc) : 0;
    kn_status st = kn_pq_rowgroup_encode(j->rg, col, enc, e);
    if (on) {
        uint64_t c = kn_pq_encoder_compress_ns(enc) - c0, all = kn_thread_ns() - t0;
        kn_profile_add(prof, KN_STAGE_COMPRESS, c);
        kn_profile_add(prof, KN_STAGE_ENCODE, all > c ? all - c : 0);
    }
    bool last = false;
    pthread_mutex_lock(&p->mu);
    if (st == KN_OK && ++j->cols_done == p->ncols) last = true;
    pthread_mutex_unlock(&p->mu);
    if (last) {
        /* Every column is encoded: the rows are no longer needed. This thread alone holds the
         * job now (it is in no queue). */
        for (size_t i = 0; i < j->nsubs; i++) sub_release(j->subs[i]);
        j->nsubs = 0;
    }
    pthread_mutex_lock(&p->mu);
    if (last) {
        j->next = p->encoded;
        p->encoded = j;
        pthread_cond_broadcast(&p->cv);
    }
    return st;
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

static void worker(pipe_t *p, int thread) {
    const kn_part_pipeline_options *o = p->opt;
    kn_profile *prof = o->profile;
    kn_error e;
    kn_status st;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->stop) break;
        if (p->input_done && p->in_flight == 0) break;

        rgjob *j = take_writable(p);
        if (j) {
            p->writing = true;
            pthread_mutex_unlock(&p->mu);
            uint64_t t0 = kn_profile_start(prof);
            kn_error_reset(&e);
            part *q = j->part;
            st = o->ops.write(o->ops.ctx, q->index, q->path, q->len, j->rg, &e);
            kn_profile_lap(prof, KN_STAGE_WRITE, t0);
            kn_pq_rowgroup_reset(j->rg);
            pthread_mutex_lock(&p->mu);
            p->writing = false;
            q->next_write++;
            p->in_flight--;
            p->in_flight_plain -= j->plain;
            j->next = p->free_jobs;
            p->free_jobs = j;
            if (st != KN_OK) {
                fail(p, st, &e);
                break;
            }
            pthread_cond_broadcast(&p->cv);
            continue;
        }

        if (can_accept(p)) {
            accept_step(p);
            continue;
        }

        if (p->enc_head) {
            kn_error_reset(&e);
            st = encode_step(p, thread, &e);
            if (st != KN_OK) {
                fail(p, st, &e);
                break;
            }
            continue;
        }

        if (p->next_parse < o->num_morsels && p->next_parse < p->next_accept + o->window) {
            size_t m = p->next_parse++, si = m % o->window;
            slot *s = &p->slots[si];
            s->state = SLOT_PARSING;
            pthread_mutex_unlock(&p->mu);
            o->ops.parse(o->ops.ctx, thread, m, si, &s->pm);
            pthread_mutex_lock(&p->mu);
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
    p.status = KN_OK;
    kn_error_reset(&p.error);
    p.input_done = opt->num_morsels == 0;
    p.slots = kn_calloc(opt->window, sizeof *p.slots);
    p.encoders = kn_calloc((size_t)opt->threads, sizeof *p.encoders);
    kn_status st = p.slots && p.encoders ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (int t = 0; st == KN_OK && t < opt->threads; t++) {
        st = kn_pq_encoder_create(opt->layout, &p.encoders[t], err);
        if (st == KN_OK && opt->profile && opt->profile->on) kn_pq_encoder_set_profile(p.encoders[t], true);
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
    for (size_t i = 0; p.slots && i < opt->window; i++) morsel_release(&p.slots[i].pm);
    for (int t = 0; p.encoders && t < opt->threads; t++) kn_pq_encoder_free(p.encoders[t]);
    kn_free(p.encoders);
    kn_free(p.parts);
    kn_free(p.table);
    kn_free(p.slots);
    return st;
}
