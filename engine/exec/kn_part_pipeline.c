/* engine/exec/kn_part_pipeline.c: the partitioned write's row groups, an output on the run's
 * scheduler (kn_part_pipeline.h, kn_sched.h). */
#include "kn_part_pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_gather.h"
#include "kn_hash_table.h"
#include "kn_part_spill.h"

/* `a` (n items used of *cap, each `size` bytes) with room for one more: itself, or grown to
 * twice (`first` from none), *cap updated; NULL when out of memory (`a` is then still valid). */
static void *room_for_one(void *a, size_t n, size_t *cap, size_t size, size_t first) {
    if (n < *cap) return a;
    size_t c = *cap ? 2 * *cap : first;
    void *b = kn_realloc(a, c * size);
    if (b) *cap = c;
    return b;
}

static kn_status nomem(kn_error *err) { return kn_error_set(err, KN_E_NOMEM, "out of memory"); }

kn_status kn_part_morsel_add(kn_part_morsel *pm, const uint8_t *path, size_t len, size_t row, size_t n,
                             kn_error *err) {
    kn_part_morsel_group *g = room_for_one(pm->groups, pm->num_groups, &pm->cap_groups, sizeof *g, 16);
    if (!g) return nomem(err);
    pm->groups = g;
    size_t off = pm->paths.len;
    if (len && !kn_buf_append(&pm->paths, path, len)) return nomem(err);
    pm->groups[pm->num_groups++] = (kn_part_morsel_group){off, len, row, n};
    return KN_OK;
}

void kn_part_morsel_clear(kn_part_morsel *pm) {
    kn_batch_free(pm->batch);
    pm->batch = NULL;
    pm->num_groups = 0;
    pm->spilled = false;
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
 * segment (sh NULL, row 0, end its row count) until a job reads it back. A piece whose rows
 * were all taken (row == end; a feed lets its batch go at once: sh NULL) leaves the queue in
 * drop_taken. */
typedef struct piece {
    shared *sh;
    size_t row, end;
    kn_part_segment seg;
    uint64_t bits; /* the row group estimate of what is left of it */
    struct piece *next;
} piece;

struct job;

/* Where a promoted folder's column put its finished pages when its encoders held too much:
 * segments of the spill, in order. */
typedef struct moved_pages {
    kn_part_segment *segs;
    size_t n, cap;
} moved_pages;

typedef struct folder {
    size_t index;
    uint8_t *path; /* owned; the writer reads it on another thread, so not the table's copy */
    size_t len;
    piece *head, *tail;
    uint64_t bits;       /* queued: the row group estimate of every piece's rows */
    bool busy;           /* a job is filling a row group from the front of the queue */
    uint64_t next_seq;   /* row groups made */
    uint64_t next_write; /* row groups written */
    /* Promoted: its rows are encoded as they come, by one lean encoder per column
     * (kn_pq_colenc_create_lean) into the row group `open` (a job in no list until sealed). */
    kn_pq_colenc **enc;
    struct job *open;
    moved_pages *moved;  /* per column */
    uint64_t mem;        /* its encoders' bytes when last measured, counted in enc_mem */
    uint64_t pages;      /* of those, finished pages that could move to the spill (enc_fixed: the rest) */
    bool finished;       /* its last row group made: its file closes after it */
    size_t rank;         /* promoted folders in order of promotion: 0, 1, ... */
    bool asleep;         /* promoted and past the memory's share: it waits until the input
                            ends, its encoders asleep (kn_pq_colenc_sleep) meanwhile */
    bool slept;          /* they are: its sleep job is done */
} folder;

typedef struct job {
    kn_pq_rowgroup *rg;
    bool feed;          /* a promoted folder's queue into its encoders (rg unused), not a fill */
    bool sleep;         /* a feed of no rows that puts the folder's encoders to sleep */
    bool empty;         /* nothing to write: only the folder's file to close (last) */
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
    size_t feeds;               /* feed jobs made and not yet done */
    bool writing;
    bool input_ended;

    /* Promoted folders (see kn_part_pipeline.h): their encoders' bytes, the share of memory
     * they may take, the queued estimate that makes a folder a candidate, and the bytes one
     * more is assumed to take at first. */
    _Atomic uint64_t enc_mem, enc_fixed;
    uint64_t enc_budget, promote_bits, promote_cost;
    uint64_t move_bytes; /* a folder's pages go to the spill only once this many: fewer runs */
    uint64_t promoted;                 /* folders promoted (lock held) */
    size_t active;                     /* promoted folders of lower rank keep being fed when
                                          enc_fixed is past the budget; the others are asleep */
    folder **ranked;                   /* promoted folders by rank */
    size_t cap_ranked;
    size_t sleeps;                     /* folders asleep whose sleep job is not yet done */
    _Atomic uint64_t pages_moved;      /* bytes of pages moved to the spill */
    kn_buf *page_buf;         /* one per thread: a column's moved pages read back */

    kn_pq_encoder **encoders; /* one per thread */
    kn_batch **scratch;       /* one per thread: a segment read back before it is shared */
    struct spill_job *spill_jobs; /* spill jobs not yet taken */
    size_t spills;                /* spill jobs made and not yet done */
    kn_part_spill *spill;
} pipe_t;

static kn_status shared_new(pipe_t *p, kn_batch *batch, shared **out, kn_error *err) {
    shared *sh = kn_calloc(1, sizeof *sh);
    if (!sh) return nomem(err);
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

/* A job from the pool, emptied, or a new one. Lock held. */
static kn_status job_get(pipe_t *p, folder *f, job **out, kn_error *err) {
    job *j = p->free_jobs;
    if (j) {
        p->free_jobs = j->next;
    } else {
        j = kn_calloc(1, sizeof *j);
        if (!j) return nomem(err);
        kn_status st = kn_pq_rowgroup_create(p->opt->layout, &j->rg, err);
        if (st != KN_OK) {
            kn_free(j);
            return st;
        }
        j->all = p->all_jobs;
        p->all_jobs = j;
    }
    kn_pq_rowgroup_reset(j->rg);
    j->f = f;
    j->feed = j->sleep = j->empty = j->last = false;
    j->seq = 0;
    j->until = NULL;
    j->next_col = j->cols_done = 0;
    j->nholds = 0;
    j->next = NULL;
    *out = j;
    return KN_OK;
}

/* Back to the pool. Lock held. */
static void job_put(pipe_t *p, job *j) {
    j->next = p->free_jobs;
    p->free_jobs = j;
}

static void fill_queue_push(pipe_t *p, job *j) {
    if (p->fill_tail) p->fill_tail->next = j;
    else p->fill_head = j;
    p->fill_tail = j;
}

/* A job filling folder f's next row group from the front of its queue. Lock held. */
static kn_status job_make(pipe_t *p, folder *f, kn_error *err) {
    job *j;
    KN_TRY(job_get(p, f, &j, err));
    j->seq = f->next_seq++;
    j->until = f->tail;
    f->busy = true;
    p->in_flight++;
    fill_queue_push(p, j);
    return KN_OK;
}

/* The input over and f's queue empty after row groups that were not marked last (the last
 * fill took the queue whole before the input ended): a job with nothing to write that closes
 * f's file after them. Lock held. */
static kn_status close_make(pipe_t *p, folder *f, kn_error *err) {
    job *j;
    KN_TRY(job_get(p, f, &j, err));
    j->empty = j->last = true;
    j->seq = f->next_seq++;
    f->finished = true;
    p->in_flight++;
    j->next = p->encoded;
    p->encoded = j;
    return KN_OK;
}

/* A job feeding f's queue (all of it) to its encoders, promoting it first if it is not yet;
 * once the input is over, also its last row group. Lock held. */
static kn_status feed_make(pipe_t *p, folder *f, kn_error *err) {
    if (!f->open) {
        folder **r = room_for_one(p->ranked, p->promoted, &p->cap_ranked, sizeof *r, 64);
        if (!r) return nomem(err);
        p->ranked = r;
    }
    job *j;
    KN_TRY(job_get(p, f, &j, err));
    if (!f->open) {
        kn_status st = job_get(p, f, &f->open, err);
        if (st != KN_OK) {
            job_put(p, j);
            return st;
        }
        p->ranked[p->promoted] = f;
        /* Counted before the encoders exist, so one accept does not promote every folder. */
        f->rank = p->promoted++;
        f->mem = p->promote_cost;
        f->pages = 0;
        atomic_fetch_add(&p->enc_mem, f->mem);
        atomic_fetch_add(&p->enc_fixed, f->mem);
    }
    j->feed = true;
    j->until = f->tail;
    j->last = p->input_ended;
    f->busy = true;
    p->feeds++;
    fill_queue_push(p, j);
    return KN_OK;
}

/* A job putting asleep f's encoders to sleep: its dictionaries' tables go until its next feed
 * (at the input's end), which builds them again. Lock held. */
static kn_status sleep_make(pipe_t *p, folder *f, kn_error *err) {
    job *j;
    KN_TRY(job_get(p, f, &j, err));
    j->feed = j->sleep = true;
    f->busy = true;
    p->feeds++;
    fill_queue_push(p, j);
    return KN_OK;
}

/* Promoted folders' encoders hold more than their share in what cannot move to the spill
 * (pages in progress, dictionaries): the asleep ones' rows, and those of folders promoted past
 * `active` while it lasts, wait in their queues (and spill with the rest) instead of being fed,
 * until the input ends, so that share stops growing. */
static bool must_wait(const pipe_t *p, const folder *f) {
    return f->rank >= p->active && (f->asleep || atomic_load(&p->enc_fixed) > p->enc_budget);
}

/* After a change to f's queue, the job it needs, if any: a promoted folder is fed whatever it
 * holds (unless it must wait); a queued one is promoted once it holds a 32nd of a row group and
 * the encoders have room, or else filled once it holds a row group's worth; the input over,
 * every folder's last rows go (or, none left, its file closes). Lock held. */
static kn_status consider(pipe_t *p, folder *f, kn_error *err) {
    if (f->busy || f->finished) return KN_OK;
    if (f->open) return (f->head && !must_wait(p, f)) || p->input_ended ? feed_make(p, f, err) : KN_OK;
    if (!f->head) return p->input_ended && f->next_seq ? close_make(p, f, err) : KN_OK;
    if (!p->input_ended && f->bits >= p->promote_bits && atomic_load(&p->enc_fixed) <= p->enc_budget &&
        atomic_load(&p->enc_mem) + p->promote_cost <= p->enc_budget)
        return feed_make(p, f, err);
    if (f->bits >= p->target_bits || p->input_ended) return job_make(p, f, err);
    return KN_OK;
}

static kn_status hold(job *j, shared *sh, kn_error *err) {
    shared **a = room_for_one(j->holds, j->nholds, &j->cap_holds, sizeof *a, 16);
    if (!a) return nomem(err);
    j->holds = a;
    atomic_fetch_add(&sh->refs, 1);
    j->holds[j->nholds++] = sh;
    return KN_OK;
}

/* A spilled piece's rows read back into the thread's scratch batch, which the piece then
 * keeps. The folder is busy, so the piece is the caller's alone. */
static kn_status piece_load(pipe_t *p, int thread, piece *pc, kn_error *err) {
    if (pc->sh) return KN_OK;
    KN_TRY(kn_part_spill_read(p->spill, thread, &pc->seg, p->scratch[thread], err));
    shared *sh;
    KN_TRY(shared_new(p, p->scratch[thread], &sh, err));
    atomic_store(&sh->refs, 1);
    p->scratch[thread] = NULL;
    KN_TRY(kn_batch_create(p->opt->schema, 1024, &p->scratch[thread], err));
    pc->sh = sh;
    pc->row = 0;
    pc->end = sh->batch->num_rows;
    return KN_OK;
}

/* Fills j's row group from the front of its folder's queue, reading spilled pieces back. Lock
 * not held: the folder is busy, so its pieces up to j->until are this job's alone. */
static kn_status fill(pipe_t *p, int thread, job *j, kn_error *err) {
    kn_pq_rowgroup_reset(j->rg);
    for (piece *pc = j->f->head; !kn_pq_rowgroup_full(j->rg); pc = pc->next) {
        KN_TRY(piece_load(p, thread, pc, err));
        size_t taken = 0;
        KN_TRY(kn_pq_rowgroup_add_range(j->rg, pc->sh->batch, pc->row, pc->end, &taken, err));
        if (taken) KN_TRY(hold(j, pc->sh, err));
        pc->row += taken;
        if (pc->row < pc->end || pc == j->until) break; /* full, or every row it may take */
    }
    return KN_OK;
}

/* The pieces at the front of f's queue whose rows were all taken leave it. (A spilled piece
 * not yet read back counts its rows in `end`, so it stays.) Lock held. */
static void drop_taken(pipe_t *p, folder *f) {
    while (f->head && f->head->row == f->head->end) {
        piece *pc = f->head;
        f->head = pc->next;
        if (!f->head) f->tail = NULL;
        f->bits -= pc->bits;
        piece_free(p, pc);
    }
}

/* After the fill: the pieces the row group took whole leave the queue, the one it cut keeps
 * its rest; the folder may have another row group's worth already. Lock held. */
static kn_status after_fill(pipe_t *p, job *j, kn_error *err) {
    folder *f = j->f;
    drop_taken(p, f);
    if (f->head) {
        piece *pc = f->head;
        uint64_t rest = kn_pq_layout_estimate_bits(p->opt->layout, pc->sh->batch, pc->row, pc->end);
        f->bits -= pc->bits - rest;
        pc->bits = rest;
    }
    f->busy = false;
    for (size_t i = 0; i < j->nholds; i++) p->held_mem += j->holds[i]->mem;
    j->last = f->finished = p->input_ended && !f->head;
    j->next = NULL;
    if (p->enc_tail) p->enc_tail->next = j;
    else p->enc_head = j;
    p->enc_tail = j;
    return consider(p, f, err);
}

/* ---- promoted folders: encoded as their rows come ------------------------------------------ */

/* Ends f's open row group: each column's pages moved to the spill are read back in front of
 * the rest, and the row group joins `sealed` (in order); a new open one is taken from the pool.
 * Folder busy; lock not held (taken briefly for the pool). */
static kn_status seal(pipe_t *p, kn_sched *sc, int thread, folder *f, bool last, job ***sealed_tail, kn_error *err) {
    job *j = f->open;
    if (kn_pq_rowgroup_rows(j->rg) == 0) {
        j->empty = true; /* the input ended right after a row group: only the file to close */
    } else {
        kn_buf *b = &p->page_buf[thread];
        for (size_t c = 0; c < p->ncols; c++) {
            moved_pages *mp = &f->moved[c];
            kn_buf_clear(b);
            for (size_t i = 0; i < mp->n; i++) KN_TRY(kn_part_spill_read_bytes(p->spill, thread, &mp->segs[i], b, err));
            mp->n = 0;
            KN_TRY(kn_pq_colenc_finish_restored(f->enc[c], b->data, b->len, j->rg, err));
        }
        if (b->cap > ((size_t)1 << 20)) kn_buf_free(b); /* a chunk's worth: not kept idle */
    }
    j->last = last;
    **sealed_tail = j;
    *sealed_tail = &j->next;
    f->open = NULL;
    if (last) return KN_OK;
    kn_sched_lock(sc);
    kn_status st = job_get(p, f, &f->open, err);
    kn_sched_unlock(sc);
    return st;
}

/* Ends the thread's spill run after `st`; a failed run's own error is the one reported. */
static kn_status end_run(pipe_t *p, int thread, kn_status st, kn_error *err) {
    kn_error ignored;
    kn_status end = kn_part_spill_end(p->spill, thread, st == KN_OK ? err : &ignored);
    return st != KN_OK ? st : end;
}

/* Moves every column's finished pages to the spill, one run. Folder busy. */
static kn_status move_pages(pipe_t *p, int thread, folder *f, kn_error *err) {
    kn_status st = kn_part_spill_begin(p->spill, thread, err);
    for (size_t c = 0; st == KN_OK && c < p->ncols; c++) {
        const uint8_t *d;
        size_t len;
        kn_pq_colenc_pages(f->enc[c], &d, &len);
        if (!len) continue;
        moved_pages *mp = &f->moved[c];
        kn_part_segment *segs = room_for_one(mp->segs, mp->n, &mp->cap, sizeof *segs, 8);
        if (!segs) {
            st = nomem(err);
            break;
        }
        mp->segs = segs;
        st = kn_part_spill_add_bytes(p->spill, thread, d, len, &mp->segs[mp->n], err);
        if (st == KN_OK) {
            atomic_fetch_add(&p->pages_moved, len);
            mp->n++;
            kn_pq_colenc_pages_moved(f->enc[c]);
        }
    }
    return end_run(p, thread, st, err);
}

static uint64_t folder_mem(const pipe_t *p, const folder *f, uint64_t *pages) {
    uint64_t m = 0;
    *pages = 0;
    for (size_t c = 0; c < p->ncols; c++) {
        const uint8_t *d;
        size_t len;
        kn_pq_colenc_pages(f->enc[c], &d, &len);
        *pages += len;
        m += kn_pq_colenc_mem(f->enc[c]);
    }
    return m;
}

/* Feeds the folder's queued rows up to j->until to its encoders, sealing each row group that
 * fills (and, the input over, the last), then moves its pages to the spill if promoted folders
 * hold more than their share. *mem: its encoders' bytes after. Folder busy; lock not held. */
static kn_status feed(pipe_t *p, kn_sched *sc, int thread, job *j, job **sealed, uint64_t *mem, uint64_t *mem_pages,
                      kn_error *err) {
    folder *f = j->f;
    size_t nc = p->ncols;
    job **tail = sealed;
    *sealed = NULL;
    *mem = *mem_pages = 0;
    if (!f->enc) {
        f->enc = kn_calloc(nc, sizeof *f->enc);
        f->moved = kn_calloc(nc, sizeof *f->moved);
        if (!f->enc || !f->moved) return nomem(err);
        for (size_t c = 0; c < nc; c++) KN_TRY(kn_pq_colenc_create_lean(p->opt->layout, c, &f->enc[c], err));
    }
    for (size_t c = 0; c < nc; c++) kn_pq_colenc_lend(f->enc[c], p->encoders[thread]);
    kn_status st = KN_OK;
    for (piece *pc = j->until ? f->head : NULL; pc && st == KN_OK; pc = pc->next) {
        st = piece_load(p, thread, pc, err);
        while (st == KN_OK && pc->row < pc->end) {
            size_t taken = 0;
            st = kn_pq_rowgroup_add_range(f->open->rg, pc->sh->batch, pc->row, pc->end, &taken, err);
            for (size_t c = 0; st == KN_OK && c < nc; c++)
                st = kn_pq_colenc_write(f->enc[c], pc->sh->batch, pc->row, taken, err);
            pc->row += taken;
            if (st == KN_OK && kn_pq_rowgroup_full(f->open->rg)) st = seal(p, sc, thread, f, false, &tail, err);
        }
        if (st == KN_OK && pc->sh) {
            /* Read: its rows can go now (a queue read back from the spill may be large); the
             * piece itself leaves the queue in after_feed. */
            shared_release(p, pc->sh);
            pc->sh = NULL;
        }
        if (pc == j->until) break;
    }
    if (st == KN_OK && j->last) st = seal(p, sc, thread, f, true, &tail, err);
    *tail = NULL;
    if (st == KN_OK && j->last) {
        for (size_t c = 0; c < nc; c++) kn_pq_colenc_free(f->enc[c]);
        memset(f->enc, 0, nc * sizeof *f->enc);
        return KN_OK;
    }
    for (size_t c = 0; c < nc; c++) {
        kn_pq_colenc_lend(f->enc[c], NULL);
        if (j->sleep) kn_pq_colenc_sleep(f->enc[c]);
        else kn_pq_colenc_trim(f->enc[c]);
    }
    KN_TRY(st);
    uint64_t pages, m = folder_mem(p, f, &pages);
    /* Over the share: this folder's pages go, once they are worth a run of their own; and a
     * folder falling asleep lets all of them go (nothing reads them until the input ends). */
    if (pages && (j->sleep || (atomic_load(&p->enc_mem) + m > p->enc_budget + f->mem && pages >= p->move_bytes))) {
        KN_TRY(move_pages(p, thread, f, err));
        m = folder_mem(p, f, &pages);
    }
    *mem = m;
    *mem_pages = pages;
    return KN_OK;
}

/* After a feed: the rows it took leave the queue, the row groups it sealed go to be written
 * in order. Lock held. */
static kn_status after_feed(pipe_t *p, job *j, job *sealed, uint64_t mem, uint64_t pages, kn_error *err) {
    folder *f = j->f;
    drop_taken(p, f);
    atomic_fetch_add(&p->enc_mem, mem);
    atomic_fetch_sub(&p->enc_mem, f->mem);
    atomic_fetch_add(&p->enc_fixed, mem - pages);
    atomic_fetch_sub(&p->enc_fixed, f->mem - f->pages);
    f->pages = pages;
    if (j->sleep) {
        f->slept = true;
        p->sleeps--;
    }
    /* Past the share: the active folder promoted last falls asleep. Not while others are
     * falling asleep: the memory they give back is not counted yet. */
    if (atomic_load(&p->enc_fixed) > p->enc_budget && f->rank < p->active && p->active > 1 && p->sleeps == 0) {
        p->active = (p->active < p->promoted ? p->active : p->promoted) - 1;
        folder *w = p->ranked[p->active];
        if (!w->finished) {
            w->asleep = true;
            p->sleeps++;
            if (!w->busy) KN_TRY(sleep_make(p, w, err)); /* or after the feed it is in, below */
        }
    }
    f->mem = mem;
    for (job *s = sealed, *next; s; s = next) {
        next = s->next;
        s->seq = f->next_seq++;
        s->next = p->encoded;
        p->encoded = s;
        p->in_flight++;
    }
    f->busy = false;
    f->finished = j->last;
    p->feeds--;
    job_put(p, j);
    if (f->asleep && !f->slept && !j->sleep) {
        if (!f->finished) return sleep_make(p, f, err);
        p->sleeps--; /* its last feed came first */
        f->slept = true;
    }
    return consider(p, f, err);
}

/* ---- the acceptor's side: folders, queues, spill ------------------------------------------ */

static kn_status find_folder(pipe_t *p, const uint8_t *path, size_t len, folder **out, kn_error *err) {
    size_t index;
    if (kn_hash_table_find(p->table, path, len, &index)) {
        *out = p->folders[index];
        return KN_OK;
    }
    folder **fs = room_for_one(p->folders, p->num_folders, &p->cap_folders, sizeof *fs, 64);
    if (!fs) return nomem(err);
    p->folders = fs;
    folder *f = kn_calloc(1, sizeof *f);
    if (f) f->path = kn_malloc(len ? len : 1);
    if (!f || !f->path) {
        kn_free(f);
        return nomem(err);
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

/* A spill job: runs of pieces of folders it keeps busy, written by one thread into one run. */
typedef struct spill_job {
    spill_item *items;
    size_t n;
    struct spill_job *next;
} spill_job;

static void spill_job_free(spill_job *sj) {
    kn_free(sj->items);
    kn_free(sj);
}

/* Plans the spill of every queued row in memory that no job is using: one segment per
 * folder's run of in-memory pieces, in up to `threads` jobs of about equal size (a folder's runs
 * in one job), their folders busy until the job is done. Acceptor; lock held. */
static kn_status spill_plan(pipe_t *p, kn_error *err) {
    spill_item *items = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < p->num_folders; i++) {
        folder *f = p->folders[i];
        if (f->busy) continue;
        piece *prev = NULL;
        for (piece *pc = f->head; pc && st == KN_OK;) {
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
            total += it.bits;
            spill_item *a = room_for_one(items, n, &cap, sizeof *a, 64);
            if (!a) {
                st = nomem(err);
                break;
            }
            items = a;
            items[n++] = it;
        }
    }
    size_t jobs = (size_t)p->opt->threads, at = 0;
    for (size_t k = 0; st == KN_OK && at < n; k++) {
        spill_job *sj = kn_calloc(1, sizeof *sj);
        if (!sj) {
            st = nomem(err);
            break;
        }
        /* Items up to this job's share of the bits, whole folders; the last job takes the rest. */
        uint64_t share = total / jobs + 1, bits = 0;
        size_t first = at;
        while (at < n && (k + 1 == jobs || bits < share || items[at].f == items[at - 1].f)) bits += items[at++].bits;
        sj->n = at - first;
        sj->items = kn_malloc(sj->n * sizeof *sj->items);
        if (!sj->items) {
            kn_free(sj);
            st = nomem(err);
            break;
        }
        memcpy(sj->items, items + first, sj->n * sizeof *sj->items);
        for (size_t i = 0; i < sj->n; i++) sj->items[i].f->busy = true;
        sj->next = p->spill_jobs;
        p->spill_jobs = sj;
        p->spills++;
    }
    kn_free(items);
    return st;
}

/* Writes a spill job's runs of pieces into one run of this thread's, each run of pieces encoded
 * straight from its morsels' batches into one segment. Lock not held: its folders are busy, so
 * their pieces up to each item's last are the job's alone. */
static kn_status spill_write(pipe_t *p, int thread, spill_job *sj, kn_part_segment *segs, kn_error *err) {
    size_t most = 0;
    for (size_t i = 0; i < sj->n; i++) {
        size_t k = 1;
        for (const piece *pc = sj->items[i].first; pc != sj->items[i].last; pc = pc->next) k++;
        if (k > most) most = k;
    }
    kn_row_range *ranges = kn_malloc(most * sizeof *ranges); /* a job has an item or more */
    if (!ranges) return nomem(err);
    kn_status st = kn_part_spill_begin(p->spill, thread, err);
    if (st != KN_OK) {
        kn_free(ranges);
        return st;
    }
    for (size_t i = 0; st == KN_OK && i < sj->n; i++) {
        size_t k = 0;
        for (const piece *pc = sj->items[i].first;; pc = pc->next) {
            ranges[k++] = (kn_row_range){pc->sh->batch, pc->row, pc->end - pc->row};
            if (pc == sj->items[i].last) break;
        }
        st = kn_part_spill_add_ranges(p->spill, thread, ranges, k, &segs[i], err);
    }
    kn_free(ranges);
    return end_run(p, thread, st, err);
}

/* Runs a spill job, then puts each run of pieces' one spilled piece in its place and lets its
 * folders go. Lock held; let go while writing. */
static kn_status spill_step(pipe_t *p, kn_sched *sc, int thread, kn_error *err) {
    spill_job *sj = p->spill_jobs;
    p->spill_jobs = sj->next;
    kn_sched_unlock(sc);
    uint64_t t = kn_profile_start(p->opt->profile);
    kn_part_segment *segs = kn_calloc(sj->n, sizeof *segs); /* a job has an item or more */
    kn_status st = segs ? spill_write(p, thread, sj, segs, err) : nomem(err);
    kn_profile_lap(p->opt->profile, KN_STAGE_MERGE, t);
    kn_sched_lock(sc);
    for (size_t i = 0; st == KN_OK && i < sj->n; i++) {
        spill_item *it = &sj->items[i];
        piece *sp = kn_calloc(1, sizeof *sp);
        if (!sp) {
            st = nomem(err);
            break;
        }
        sp->seg = segs[i];
        sp->end = segs[i].rows; /* rows left to take, until it is read back */
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
    for (size_t i = 0; i < sj->n; i++) sj->items[i].f->busy = false;
    for (size_t i = 0; st == KN_OK && i < sj->n; i++) st = consider(p, sj->items[i].f, err);
    if (--p->spills == 0) p->after_spill = atomic_load(&p->live_mem) - p->held_mem;
    kn_free(segs);
    spill_job_free(sj);
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
    if (p->in_flight && (p->in_flight >= p->max_in_flight || p->held_mem > p->opt->memory_bytes / 4)) return false;
    /* Queues of folders being fed or spilled cannot be spilled: past half, let them catch up. */
    return (p->feeds == 0 && p->spills == 0) || atomic_load(&p->live_mem) - p->held_mem <= p->opt->memory_bytes / 2;
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
        st = pieces && of ? shared_new(p, pm->batch, &sh, err) : nomem(err);
        if (st == KN_OK) {
            pm->batch = NULL;
            atomic_store(&sh->refs, 1); /* held while the pieces are made */
        }
    }
    for (size_t i = 0; st == KN_OK && i < ng; i++) {
        const kn_part_morsel_group *g = &pm->groups[i];
        st = find_folder(p, pm->paths.data + g->path_off, g->path_len, &of[i], err);
        if (st == KN_OK && !(pieces[i] = kn_calloc(1, sizeof *pieces[i])))
            st = nomem(err);
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
    /* Past a quarter of the memory, spill (on every thread, in jobs); but not while a spill is
     * under way, nor again until the queues grew by an eighth since the last one, since batches
     * whose other folders are being filled or fed stay in memory anyway. */
    uint64_t queued = atomic_load(&p->live_mem) - p->held_mem;
    if (p->spills == 0 && queued > p->opt->memory_bytes / 4 && queued > p->after_spill + p->opt->memory_bytes / 8)
        KN_TRY(spill_plan(p, err));
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
    return p->in_flight == 0 && p->feeds == 0 && p->spills == 0;
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
/* The first job of the fill queue that may run, taken out of it; or NULL. A feed may seal
 * row groups, so it waits while enough are on their way to the files. Lock held. */
static job *take_fill(pipe_t *p) {
    bool feeds_wait = p->in_flight >= p->max_in_flight;
    job *prev = NULL;
    for (job *j = p->fill_head; j; prev = j, j = j->next) {
        if (j->feed && !j->sleep && feeds_wait) continue; /* a sleep seals nothing */
        if (prev) prev->next = j->next;
        else p->fill_head = j->next;
        if (p->fill_tail == j) p->fill_tail = prev;
        j->next = NULL;
        return j;
    }
    return NULL;
}

static kn_status fill_step(pipe_t *p, kn_sched *sc, int thread, job *j, kn_error *e) {
    kn_sched_unlock(sc);
    uint64_t t = kn_profile_start(p->opt->profile);
    if (j->feed) {
        job *sealed;
        uint64_t mem, pages;
        kn_status st = feed(p, sc, thread, j, &sealed, &mem, &pages, e);
        kn_profile_lap(p->opt->profile, KN_STAGE_ENCODE, t);
        kn_sched_lock(sc);
        KN_TRY(st);
        return after_feed(p, j, sealed, mem, pages, e);
    }
    kn_status st = fill(p, thread, j, e);
    kn_profile_lap(p->opt->profile, KN_STAGE_TRANSFORM, t);
    kn_sched_lock(sc);
    KN_TRY(st);
    return after_fill(p, j, e);
}

static kn_status on_work(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    pipe_t *p = ctx;
    if (p->spill_jobs) { /* first: it frees memory the acceptor may be waiting for */
        *did = true;
        return spill_step(p, sc, thread, err);
    }
    if (p->enc_head) {
        *did = true;
        return encode_step(p, sc, thread, err);
    }
    job *j = take_fill(p);
    if (j) {
        *did = true;
        return fill_step(p, sc, thread, j, err);
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
    kn_status st = j->empty ? KN_OK : ops->write(ops->ctx, f->index, f->path, f->len, j->rg, err);
    if (st == KN_OK && j->last && ops->close) st = ops->close(ops->ctx, f->index, err);
    kn_profile_lap(p->opt->profile, KN_STAGE_WRITE, t0);
    kn_pq_rowgroup_trim(j->rg); /* pooled jobs wait long: their chunks' room goes */
    kn_sched_lock(sc);
    p->writing = false;
    f->next_write++;
    p->in_flight--;
    job_put(p, j);
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
    /* Promoted folders' encoders share half the memory; a folder is a candidate once it queued
     * a 32nd of a row group, and is assumed to take column_bytes a column until measured. */
    p.enc_budget = opt->memory_bytes / 2;
    p.active = SIZE_MAX;
    p.promote_bits = p.target_bits / 32;
    p.promote_cost = (uint64_t)p.ncols * (opt->column_bytes ? opt->column_bytes : (uint64_t)1 << 18);
    p.move_bytes = p.enc_budget / 16 < ((uint64_t)2 << 20) ? p.enc_budget / 16 : (uint64_t)2 << 20;
    p.page_buf = kn_calloc((size_t)opt->threads, sizeof *p.page_buf);
    p.slots = kn_calloc(opt->window, sizeof *p.slots);
    p.encoders = kn_calloc((size_t)opt->threads, sizeof *p.encoders);
    p.scratch = kn_calloc((size_t)opt->threads, sizeof *p.scratch);
    kn_status st = p.slots && p.encoders && p.scratch && p.page_buf ? KN_OK : nomem(err);
    const kn_schema *schema = opt->schema;
    if (st == KN_OK) st = kn_hash_table_create(64, &p.table, err);
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
    stats->folders_promoted = p.promoted;
    stats->folders_waited = p.active < p.promoted ? p.promoted - p.active : 0;
    stats->pages_moved_bytes = atomic_load(&p.pages_moved);
    /* Whatever is left after a failure: queued pieces, row groups' holds, parsed morsels. */
    for (size_t i = 0; i < p.num_folders; i++) {
        for (piece *pc = p.folders[i]->head, *next; pc; pc = next) {
            next = pc->next;
            piece_free(&p, pc);
        }
        folder *f = p.folders[i];
        for (size_t c = 0; f->enc && c < p.ncols; c++) kn_pq_colenc_free(f->enc[c]);
        for (size_t c = 0; f->moved && c < p.ncols; c++) kn_free(f->moved[c].segs);
        kn_free(f->enc);
        kn_free(f->moved);
        kn_free(f->path);
        kn_free(f);
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
    for (int t = 0; p.page_buf && t < opt->threads; t++) kn_buf_free(&p.page_buf[t]);
    kn_free(p.page_buf);
    for (struct spill_job *sj = p.spill_jobs, *next; sj; sj = next) {
        next = sj->next;
        spill_job_free(sj);
    }
    kn_part_spill_free(p.spill);
    kn_hash_table_free(p.table);
    kn_free(p.scratch);
    kn_free(p.encoders);
    kn_free(p.folders);
    kn_free(p.ranked);
    kn_free(p.slots);
    return st;
}
