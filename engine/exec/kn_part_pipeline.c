/* engine/exec/kn_part_pipeline.c: the partitioned write's row groups, an output on the run's
 * scheduler (kn_part_pipeline.h, kn_sched.h). */
#include "kn_part_pipeline.h"

#include <stdatomic.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_gather.h"
#include "kn_hash_table.h"
#include "kn_part_spill.h"

kn_status kn_part_morsel_add(kn_part_morsel *pm, const uint8_t *path, size_t len, size_t row, size_t n,
                             kn_error *err) {
    if (pm->num_groups == pm->cap_groups) {
        size_t cap = pm->cap_groups ? 2 * pm->cap_groups : 16;
        kn_part_morsel_group *g = kn_realloc(pm->groups, cap * sizeof *g);
        if (!g) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        pm->groups = g;
        pm->cap_groups = cap;
    }
    size_t off = pm->paths.len;
    if (len && !kn_buf_append(&pm->paths, path, len)) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    pm->groups[pm->num_groups++] = (kn_part_morsel_group){off, len, row, n};
    return KN_OK;
}

void kn_part_morsel_clear(kn_part_morsel *pm) {
    kn_batch_free(pm->batch);
    pm->batch = NULL;
    pm->num_groups = 0;
    kn_buf_clear(&pm->paths);
}

static void morsel_release(kn_part_morsel *pm) {
    kn_part_morsel_clear(pm);
    kn_free(pm->groups);
    kn_buf_free(&pm->paths);
    memset(pm, 0, sizeof *pm);
}

/* ---- the pieces of a folder's queue ------------------------------------------------------ */

/* A batch whose rows sit in several folders' queues (a morsel's), or one read back from a
 * spill segment: freed when the last piece and row group reading it let go. */
typedef struct shared {
    kn_batch *batch;
    _Atomic size_t refs;
    size_t mem; /* kn_batch_mem_bytes, counted in the pipeline's live memory while it lives */
} shared;

/* Rows of one folder, in input order: rows [row, end) of a shared batch in memory, or a spill
 * segment (sh NULL) until a job reads it back. */
typedef struct piece {
    shared *sh;
    size_t row, end;
    kn_part_segment seg;
    uint64_t bits; /* the row group estimate of what is left of it */
    struct piece *next;
} piece;

struct job;

typedef struct folder {
    size_t index;
    uint8_t *path; /* owned; the writer reads it on another thread, so not the table's copy */
    size_t len;
    piece *head, *tail;
    uint64_t bits;       /* queued: the row group estimate of every piece's rows */
    bool busy;           /* a job is filling a row group from the front of the queue */
    uint64_t next_seq;   /* row groups made */
    uint64_t next_write; /* row groups written */
} folder;

enum { JOB_FILL = 0, JOB_ENCODE, JOB_ENCODED };

typedef struct job {
    kn_pq_rowgroup *rg;
    folder *f;
    uint64_t seq;
    piece *until;       /* the last piece this job may take: the queue's tail when it was made */
    bool last;          /* the folder's last row group: its file closes after it */
    size_t next_col, cols_done;
    shared **holds;     /* what the row group's slices read: let go once encoded */
    size_t nholds, cap_holds;
    struct job *next;   /* the queue it is in */
    struct job *all;    /* every job, for freeing */
} job;

typedef struct pipe {
    const kn_part_pipeline_options *opt;
    size_t ncols;
    uint64_t target_bits;
    size_t max_in_flight;
    kn_part_morsel *slots;

    /* Folders: numbered by the acceptor; their queues change under the lock. */
    kn_hash_table *table;
    folder **folders;
    size_t num_folders, cap_folders;

    _Atomic uint64_t live_mem; /* bytes of the shared batches alive */
    uint64_t held_mem;         /* of those, held by jobs (in flight) */
    uint64_t after_spill;      /* live_mem - held_mem when the last spill ended */

    job *fill_head, *fill_tail; /* jobs to fill, in the order made */
    job *enc_head, *enc_tail;   /* filled, columns left to hand out */
    job *encoded;               /* every column done, waiting for their turn to be written */
    job *free_jobs, *all_jobs;
    size_t in_flight;           /* made and not yet written */
    bool writing;
    bool input_ended;

    kn_pq_encoder **encoders; /* one per thread */
    kn_batch **scratch;       /* one per thread: a segment read back before it is shared */
    kn_batch *spill_batch;    /* the acceptor's: one folder's rows gathered for a segment */
    kn_part_spill *spill;
} pipe_t;

static kn_status shared_new(pipe_t *p, kn_batch *batch, shared **out, kn_error *err) {
    shared *sh = kn_calloc(1, sizeof *sh);
    if (!sh) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    sh->batch = batch;
    sh->mem = kn_batch_mem_bytes(batch);
    atomic_fetch_add(&p->live_mem, sh->mem);
    *out = sh;
    return KN_OK;
}

static void shared_release(pipe_t *p, shared *sh) {
    if (atomic_fetch_sub(&sh->refs, 1) != 1) return;
    atomic_fetch_sub(&p->live_mem, sh->mem);
    kn_batch_free(sh->batch);
    kn_free(sh);
}

static void piece_free(pipe_t *p, piece *pc) {
    if (pc->sh) shared_release(p, pc->sh);
    kn_free(pc);
}

/* ---- jobs ---------------------------------------------------------------------------------- */

/* A job filling folder f's next row group from the front of its queue. Lock held. */
static kn_status job_make(pipe_t *p, folder *f, kn_error *err) {
    job *j = p->free_jobs;
    if (j) {
        p->free_jobs = j->next;
    } else {
        j = kn_calloc(1, sizeof *j);
        if (!j) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        kn_status st = kn_pq_rowgroup_create(p->opt->layout, &j->rg, err);
        if (st != KN_OK) {
            kn_free(j);
            return st;
        }
        j->all = p->all_jobs;
        p->all_jobs = j;
    }
    j->f = f;
    j->seq = f->next_seq++;
    j->until = f->tail;
    j->last = false;
    j->next_col = j->cols_done = 0;
    j->nholds = 0;
    j->next = NULL;
    f->busy = true;
    p->in_flight++;
    if (p->fill_tail) p->fill_tail->next = j;
    else p->fill_head = j;
    p->fill_tail = j;
    return KN_OK;
}

/* After a change to f's queue: a job when it holds a row group's worth, or, the input over,
 * whatever it holds. Lock held. */
static kn_status consider(pipe_t *p, folder *f, kn_error *err) {
    if (f->busy || !f->head) return KN_OK;
    if (f->bits >= p->target_bits || p->input_ended) return job_make(p, f, err);
    return KN_OK;
}

static kn_status hold(job *j, shared *sh, kn_error *err) {
    if (j->nholds == j->cap_holds) {
        size_t cap = j->cap_holds ? 2 * j->cap_holds : 16;
        shared **a = kn_realloc(j->holds, cap * sizeof *a);
        if (!a) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        j->holds = a;
        j->cap_holds = cap;
    }
    atomic_fetch_add(&sh->refs, 1);
    j->holds[j->nholds++] = sh;
    return KN_OK;
}

/* Fills j's row group from the front of its folder's queue, reading spilled pieces back. Lock
 * not held: the folder is busy, so its pieces up to j->until are this job's alone. */
static kn_status fill(pipe_t *p, int thread, job *j, kn_error *err) {
    kn_pq_rowgroup_reset(j->rg);
    for (piece *pc = j->f->head; !kn_pq_rowgroup_full(j->rg); pc = pc->next) {
        if (!pc->sh) {
            /* Read back into the thread's scratch batch, which the piece then keeps. */
            KN_TRY(kn_part_spill_read(p->spill, thread, &pc->seg, p->scratch[thread], err));
            shared *sh;
            KN_TRY(shared_new(p, p->scratch[thread], &sh, err));
            atomic_store(&sh->refs, 1);
            p->scratch[thread] = NULL;
            KN_TRY(kn_batch_create(p->opt->schema, 1024, &p->scratch[thread], err));
            pc->sh = sh;
            pc->row = 0;
            pc->end = sh->batch->num_rows;
        }
        size_t taken = 0;
        KN_TRY(kn_pq_rowgroup_add_range(j->rg, pc->sh->batch, pc->row, pc->end, &taken, err));
        if (taken) KN_TRY(hold(j, pc->sh, err));
        pc->row += taken;
        if (pc->row < pc->end || pc == j->until) break; /* full, or every row it may take */
    }
    return KN_OK;
}

/* After the fill: the pieces the row group took whole leave the queue, the one it cut keeps
 * its rest; the folder may have another row group's worth already. Lock held. */
static kn_status after_fill(pipe_t *p, job *j, kn_error *err) {
    folder *f = j->f;
    while (f->head && f->head->row == f->head->end) {
        piece *pc = f->head;
        f->head = pc->next;
        if (!f->head) f->tail = NULL;
        f->bits -= pc->bits;
        piece_free(p, pc);
    }
    if (f->head) {
        piece *pc = f->head;
        uint64_t rest = kn_pq_layout_estimate_bits(p->opt->layout, pc->sh->batch, pc->row, pc->end);
        f->bits -= pc->bits - rest;
        pc->bits = rest;
    }
    f->busy = false;
    for (size_t i = 0; i < j->nholds; i++) p->held_mem += j->holds[i]->mem;
    j->last = p->input_ended && !f->head;
    j->next = NULL;
    if (p->enc_tail) p->enc_tail->next = j;
    else p->enc_head = j;
    p->enc_tail = j;
    return consider(p, f, err);
}

/* ---- the acceptor's side: folders, queues, spill ------------------------------------------ */

static kn_status find_folder(pipe_t *p, const uint8_t *path, size_t len, folder **out, kn_error *err) {
    size_t index;
    if (kn_hash_table_find(p->table, path, len, &index)) {
        *out = p->folders[index];
        return KN_OK;
    }
    if (p->num_folders == p->cap_folders) {
        size_t cap = p->cap_folders ? 2 * p->cap_folders : 64;
        folder **a = kn_realloc(p->folders, cap * sizeof *a);
        if (!a) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        p->folders = a;
        p->cap_folders = cap;
    }
    folder *f = kn_calloc(1, sizeof *f);
    if (f) f->path = kn_malloc(len ? len : 1);
    if (!f || !f->path) {
        kn_free(f);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    if (len) memcpy(f->path, path, len);
    f->len = len;
    bool inserted;
    kn_status st = kn_hash_table_insert(p->table, path, len, &index, &inserted, err);
    if (st != KN_OK) {
        kn_free(f->path);
        kn_free(f);
        return st;
    }
    f->index = index;
    p->folders[p->num_folders++] = f;
    *out = f;
    return KN_OK;
}

/* A folder's run of pieces held in memory, to go into a spill segment. */
typedef struct spill_item {
    folder *f;
    piece *before; /* the piece before the run (NULL: the run starts the queue) */
    piece *first, *last;
    uint64_t bits;
} spill_item;

/* Writes every queued row in memory that no job is filling to a new run: one segment per
 * folder's run of in-memory pieces. Called by the acceptor with the lock held; lets go of it
 * while writing (no one else changes the queues of folders that are not busy). */
static kn_status spill_queues(pipe_t *p, kn_sched *sc, kn_error *err) {
    spill_item *items = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < p->num_folders; i++) {
        folder *f = p->folders[i];
        if (f->busy) continue;
        piece *prev = NULL;
        for (piece *pc = f->head; pc;) {
            if (!pc->sh) {
                prev = pc;
                pc = pc->next;
                continue;
            }
            spill_item it = {f, prev, pc, pc, 0};
            while (pc && pc->sh) {
                it.last = pc;
                it.bits += pc->bits;
                prev = pc;
                pc = pc->next;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                spill_item *a = kn_realloc(items, cap * sizeof *a);
                if (!a) {
                    kn_free(items);
                    return kn_error_set(err, KN_E_NOMEM, "out of memory");
                }
                items = a;
            }
            items[n++] = it;
        }
    }
    if (!n) {
        kn_free(items);
        return KN_OK;
    }
    kn_sched_unlock(sc);
    uint64_t t = kn_profile_start(p->opt->profile);
    kn_status st = kn_part_spill_begin(p->spill, err);
    kn_part_segment *segs = st == KN_OK ? kn_calloc(n, sizeof *segs) : NULL;
    if (st == KN_OK && !segs) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        kn_batch_clear(p->spill_batch);
        for (piece *pc = items[i].first; st == KN_OK; pc = pc->next) {
            st = kn_batch_copy_rows(p->spill_batch, pc->sh->batch, pc->row, pc->end - pc->row, NULL, err);
            if (pc == items[i].last) break;
        }
        if (st == KN_OK) st = kn_part_spill_add(p->spill, p->spill_batch, &segs[i], err);
    }
    if (st == KN_OK) st = kn_part_spill_end(p->spill, err);
    kn_profile_lap(p->opt->profile, KN_STAGE_MERGE, t);
    kn_sched_lock(sc);
    /* Each run of pieces becomes one spilled piece in its place. */
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        spill_item *it = &items[i];
        piece *sp = kn_calloc(1, sizeof *sp);
        if (!sp) {
            st = kn_error_set(err, KN_E_NOMEM, "out of memory");
            break;
        }
        sp->seg = segs[i];
        sp->bits = it->bits;
        sp->next = it->last->next;
        if (it->before) it->before->next = sp;
        else it->f->head = sp;
        if (it->f->tail == it->last) it->f->tail = sp;
        for (piece *pc = it->first, *next;; pc = next) {
            next = pc->next;
            bool end = pc == it->last;
            piece_free(p, pc);
            if (end) break;
        }
    }
    kn_free(segs);
    kn_free(items);
    return st;
}

/* ---- the scheduler's callbacks (kn_sched.h) ------------------------------------------------ */

static bool on_parse(void *ctx, kn_sched *sc, int thread, size_t m, size_t si) {
    (void)sc;
    pipe_t *p = ctx;
    return p->opt->ops.parse(p->opt->ops.ctx, thread, m, si, &p->slots[si]);
}

static bool on_can_accept(void *ctx, size_t m, size_t si) {
    (void)m;
    (void)si;
    const pipe_t *p = ctx;
    /* Row groups being filled, encoded or waiting to be written hold their rows: let them
     * drain first. */
    return p->in_flight == 0 || (p->in_flight < p->max_in_flight && p->held_mem <= p->opt->memory_bytes / 4);
}

/* The caller's accept, then the morsel's folders onto their queues (pieces made outside the
 * lock, linked in under it), jobs for the queues that reached a row group, and a spill run
 * when the batches held for queued rows pass their share. */
static kn_status on_accept(void *ctx, kn_sched *sc, size_t m, size_t si, bool *done, kn_error *err) {
    pipe_t *p = ctx;
    kn_part_morsel *pm = &p->slots[si];
    *done = true;
    kn_sched_unlock(sc);
    kn_status st = p->opt->ops.accept(p->opt->ops.ctx, m, si, pm, err);
    shared *sh = NULL;
    piece **pieces = NULL;
    folder **of = NULL;
    size_t ng = st == KN_OK && pm->batch && pm->batch->num_rows ? pm->num_groups : 0;
    if (ng) {
        pieces = kn_calloc(ng, sizeof *pieces);
        of = kn_calloc(ng, sizeof *of);
        st = pieces && of ? shared_new(p, pm->batch, &sh, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
        if (st == KN_OK) {
            pm->batch = NULL;
            atomic_store(&sh->refs, 1); /* held while the pieces are made */
        }
    }
    for (size_t i = 0; st == KN_OK && i < ng; i++) {
        const kn_part_morsel_group *g = &pm->groups[i];
        st = find_folder(p, pm->paths.data + g->path_off, g->path_len, &of[i], err);
        if (st == KN_OK && !(pieces[i] = kn_calloc(1, sizeof *pieces[i])))
            st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        if (st != KN_OK) break;
        atomic_fetch_add(&sh->refs, 1);
        *pieces[i] = (piece){.sh = sh, .row = g->row, .end = g->row + g->n,
                             .bits = kn_pq_layout_estimate_bits(p->opt->layout, sh->batch, g->row, g->row + g->n)};
    }
    kn_part_morsel_clear(pm);
    kn_sched_lock(sc);
    for (size_t i = 0; i < ng; i++) {
        if (!pieces[i]) continue;
        if (st != KN_OK) {
            piece_free(p, pieces[i]);
            continue;
        }
        folder *f = of[i];
        if (f->tail) f->tail->next = pieces[i];
        else f->head = pieces[i];
        f->tail = pieces[i];
        f->bits += pieces[i]->bits;
        st = consider(p, f, err);
    }
    if (sh) shared_release(p, sh);
    kn_free(pieces);
    kn_free(of);
    KN_TRY(st);
    /* Past half the memory, spill; but not again until the queues grew by a quarter since the
     * last spill, since batches whose other folders are being filled stay in memory anyway. */
    uint64_t queued = atomic_load(&p->live_mem) - p->held_mem;
    if (queued > p->opt->memory_bytes / 2 && queued > p->after_spill + p->opt->memory_bytes / 4) {
        KN_TRY(spill_queues(p, sc, err));
        p->after_spill = atomic_load(&p->live_mem) - p->held_mem;
    }
    return KN_OK;
}

/* The last morsel is in: every folder's queue makes its last row groups. */
static kn_status on_input_end(void *ctx, kn_error *err) {
    pipe_t *p = ctx;
    p->input_ended = true;
    for (size_t i = 0; i < p->num_folders; i++) KN_TRY(consider(p, p->folders[i], err));
    return KN_OK;
}

static bool on_finished(void *ctx) {
    const pipe_t *p = ctx;
    return p->in_flight == 0;
}

/* Encodes one column of the oldest filled row group. Lock held; let go while encoding. */
static kn_status encode_step(pipe_t *p, kn_sched *sc, int thread, kn_error *e) {
    kn_profile *prof = p->opt->profile;
    bool on = prof && prof->on;
    job *j = p->enc_head;
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
    /* Every column is encoded: the rows are no longer needed. */
    for (size_t i = 0; i < j->nholds; i++) {
        p->held_mem -= j->holds[i]->mem;
        shared_release(p, j->holds[i]);
    }
    j->nholds = 0;
    j->next = p->encoded;
    p->encoded = j;
    return KN_OK;
}

/* Fills the oldest job's row group. Lock held; let go while filling. */
static kn_status fill_step(pipe_t *p, kn_sched *sc, int thread, kn_error *e) {
    job *j = p->fill_head;
    p->fill_head = j->next;
    if (!p->fill_head) p->fill_tail = NULL;
    kn_sched_unlock(sc);
    uint64_t t = kn_profile_start(p->opt->profile);
    kn_status st = fill(p, thread, j, e);
    kn_profile_lap(p->opt->profile, KN_STAGE_TRANSFORM, t);
    kn_sched_lock(sc);
    KN_TRY(st);
    return after_fill(p, j, e);
}

static kn_status on_work(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    pipe_t *p = ctx;
    if (p->enc_head) {
        *did = true;
        return encode_step(p, sc, thread, err);
    }
    if (p->fill_head) {
        *did = true;
        return fill_step(p, sc, thread, err);
    }
    return KN_OK;
}

/* An encoded row group that is next in its folder's files, taken out of the list; or NULL. */
static job *take_writable(pipe_t *p) {
    if (p->writing) return NULL;
    for (job **pp = &p->encoded; *pp; pp = &(*pp)->next) {
        job *j = *pp;
        if (j->seq == j->f->next_write) {
            *pp = j->next;
            j->next = NULL;
            return j;
        }
    }
    return NULL;
}

/* Writes a row group that is next in its folder's files, and closes the folder's file after
 * its last (one writer at a time; the I/O runs outside the lock). */
static kn_status on_drain(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    (void)thread;
    pipe_t *p = ctx;
    job *j = take_writable(p);
    if (!j) return KN_OK;
    *did = true;
    p->writing = true;
    kn_sched_unlock(sc);
    uint64_t t0 = kn_profile_start(p->opt->profile);
    folder *f = j->f;
    const kn_part_pipeline_ops *ops = &p->opt->ops;
    kn_status st = ops->write(ops->ctx, f->index, f->path, f->len, j->rg, err);
    if (st == KN_OK && j->last && ops->close) st = ops->close(ops->ctx, f->index, err);
    kn_profile_lap(p->opt->profile, KN_STAGE_WRITE, t0);
    kn_pq_rowgroup_reset(j->rg);
    kn_sched_lock(sc);
    p->writing = false;
    f->next_write++;
    p->in_flight--;
    j->next = p->free_jobs;
    p->free_jobs = j;
    return st;
}

kn_status kn_part_pipeline_run(const kn_part_pipeline_options *opt, kn_part_pipeline_stats *stats, kn_error *err) {
    memset(stats, 0, sizeof *stats);
    KN_RETURN_ERROR_IF(opt->threads < 1 || opt->window < 1, err, KN_E_USAGE,
                       "partitioned pipeline: threads %d, window %zu", opt->threads, opt->window);
    pipe_t p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.ncols = kn_pq_layout_columns(opt->layout);
    p.target_bits = kn_pq_layout_target_bits(opt->layout);
    p.max_in_flight = 2 * (size_t)opt->threads + 2;
    p.slots = kn_calloc(opt->window, sizeof *p.slots);
    p.encoders = kn_calloc((size_t)opt->threads, sizeof *p.encoders);
    p.scratch = kn_calloc((size_t)opt->threads, sizeof *p.scratch);
    kn_status st = p.slots && p.encoders && p.scratch ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    const kn_schema *schema = opt->schema;
    if (st == KN_OK) st = kn_hash_table_create(64, &p.table, err);
    if (st == KN_OK) st = kn_batch_create(schema, 1024, &p.spill_batch, err);
    if (st == KN_OK) st = kn_part_spill_create(opt->spill_store, opt->spill_dir, schema, opt->threads, &p.spill, err);
    for (int t = 0; st == KN_OK && t < opt->threads; t++) {
        st = kn_pq_encoder_create(opt->layout, &p.encoders[t], err);
        if (st == KN_OK && opt->profile && opt->profile->on) kn_pq_encoder_set_profile(p.encoders[t], true);
        if (st == KN_OK) st = kn_batch_create(schema, 1024, &p.scratch[t], err);
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
    }
    if (p.spill) {
        stats->spill_runs = kn_part_spill_runs(p.spill);
        stats->spill_bytes = kn_part_spill_bytes(p.spill);
    }
    /* Whatever is left after a failure: queued pieces, row groups' holds, parsed morsels. */
    for (size_t i = 0; i < p.num_folders; i++) {
        for (piece *pc = p.folders[i]->head, *next; pc; pc = next) {
            next = pc->next;
            piece_free(&p, pc);
        }
        kn_free(p.folders[i]->path);
        kn_free(p.folders[i]);
    }
    for (job *j = p.all_jobs, *next; j; j = next) {
        next = j->all;
        for (size_t i = 0; i < j->nholds; i++) shared_release(&p, j->holds[i]);
        kn_free(j->holds);
        kn_pq_rowgroup_free(j->rg);
        kn_free(j);
    }
    for (size_t i = 0; p.slots && i < opt->window; i++) morsel_release(&p.slots[i]);
    for (int t = 0; p.encoders && t < opt->threads; t++) kn_pq_encoder_free(p.encoders[t]);
    for (int t = 0; p.scratch && t < opt->threads; t++) kn_batch_free(p.scratch[t]);
    kn_part_spill_free(p.spill);
    kn_batch_free(p.spill_batch);
    kn_hash_table_free(p.table);
    kn_free(p.scratch);
    kn_free(p.encoders);
    kn_free(p.folders);
    kn_free(p.slots);
    return st;
}
