/* engine/exec/kn_part_buckets.c: the partitioned write by buckets: rows spilled once by bucket,
 * then regrouped by folder (kn_part_buckets.h). */
#include "kn_part_buckets.h"

#include <pthread.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_gather.h"
#include "kn_hash_table.h"
#include "kn_part_spill.h"

#define NOT_IN_PASS UINT32_MAX

/* A folder list entry beside each block: the folder's id and its rows there, little-endian. */
#define GROUP_BYTES 8

static kn_status nomem(kn_error *err) { return kn_error_set(err, KN_E_NOMEM, "out of memory"); }

/* `a` (n items used of *cap, each `size` bytes) with room for `more` more: itself or grown,
 * *cap updated; NULL when out of memory (`a` is then still valid). */
static void *room_for(void *a, size_t n, size_t more, size_t *cap, size_t size) {
    if (n + more <= *cap) return a;
    size_t c = *cap ? *cap : 16;
    while (c < n + more) c *= 2;
    void *b = kn_realloc(a, c * size);
    if (b) *cap = c;
    return b;
}

size_t kn_part_bucket_of(const uint8_t *path, size_t len, size_t buckets) {
    return (size_t)(kn_hash_bytes(path, len) % buckets);
}

/* What one regroup may hold: a quarter of the memory over the threads. */
static uint64_t regroup_share(uint64_t memory_bytes, int threads) {
    uint64_t share = memory_bytes / (4 * (uint64_t)threads);
    return share > ((uint64_t)64 << 10) ? share : (uint64_t)64 << 10;
}

size_t kn_part_buckets_count(uint64_t input_bytes, uint64_t memory_bytes, int threads) {
    /* Enough buckets for every thread to have some to take until the end (16 each), and so that
     * a bucket's rows, which take about as many bytes in memory as their input, fit one
     * regroup; not so many that a morsel's share of a bucket is a handful of rows. */
    if (!input_bytes) return 256;
    uint64_t n = input_bytes / regroup_share(memory_bytes, threads) + 1, least = 16 * (uint64_t)threads;
    if (n < least) n = least;
    return n > 4096 ? 4096 : (size_t)n;
}

/* A block of one bucket's rows from one morsel, and its folder list. */
typedef struct block_ref {
    kn_part_segment rows, groups;
} block_ref;

typedef struct bucket {
    block_ref *blocks; /* in input order */
    size_t nblocks, cap_blocks;
    uint32_t *folders; /* folder ids, in folder order */
    size_t nfolders, cap_folders;
} bucket;

typedef struct folder_info {
    size_t index;   /* the folder's number (first appearance in the input), SIZE_MAX until accepted */
    uint64_t bytes; /* its rows' share of their blocks' bytes: for planning passes */
    uint32_t slot;  /* in a regroup: its place in the pass, or NOT_IN_PASS */
} folder_info;

/* A group of a morsel (a folder's rows there), as its spill found it. */
typedef struct group_info {
    uint32_t id;     /* the folder's id */
    uint32_t bucket;
    uint64_t bytes;  /* the group's share of its block's bytes */
} group_info;

/* One morsel: its rows grouped by the caller, then the spill its parse (or accept) made. */
typedef struct mslot {
    kn_part_morsel pm;
    group_info *groups; /* per group of pm */
    size_t cap_groups;
    uint32_t *bucket_of; /* per block: its bucket */
    block_ref *blocks;
    size_t nblocks, cap_blocks;
} mslot;

/* A thread's scratch for spilling and regrouping. */
typedef struct run_of_rows {
    uint32_t slot;
    uint32_t n;
    size_t row; /* in the pass's batch */
} run_of_rows;

typedef struct worker {
    kn_buf groups;         /* a block's folder list */
    kn_batch *block;       /* a block read back */
    kn_batch *rows;        /* the pass's rows in input order */
    kn_batch *rest;        /* a large folder's rows left after its full row groups, or the
                              pass's rows in folder order */
    run_of_rows *runs;
    size_t nruns, cap_runs;
    size_t *start;         /* per folder of the pass: its first row, then the next to place */
    size_t *count;
    size_t cap_pass;
    uint32_t *order;
    size_t cap_order;
    kn_pq_rowgroup *rg;
    kn_pq_encoder *enc;
    uint64_t staged_ns; /* profiling: of this regroup, the time counted as encode, compress, write */
} worker;

typedef struct parts {
    const kn_part_buckets_options *opt;
    size_t ncols;
    uint64_t share;
    mslot *slots;

    pthread_mutex_t ids_mu; /* the parse threads number folders in `ids` */
    kn_hash_table *ids;
    folder_info *folders;   /* by id; grown by accept */
    size_t cap_folders, num_folders;

    bucket *buckets;
    kn_part_spill *spill;
    bool *run_open;         /* per spill writer: threads, then the acceptor's */

    bool input_ended;
    size_t next_bucket, busy;
    pthread_mutex_t write_mu; /* ops.write and ops.close, one at a time */
    worker *workers;
    kn_buf accept_groups; /* the acceptor's scratch for spill_morsel */
    uint64_t passes;
} parts;

/* ---- phase 1: spill ------------------------------------------------------------------------ */

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The folders of the morsel's groups, numbered by the run's table. */
static kn_status number_groups(parts *p, mslot *sl, kn_error *err) {
    kn_part_morsel *pm = &sl->pm;
    if (pm->num_groups > sl->cap_groups) {
        group_info *gi = kn_realloc(sl->groups, pm->num_groups * sizeof *gi);
        if (!gi) return nomem(err);
        sl->groups = gi;
        sl->cap_groups = pm->num_groups;
    }
    kn_status st = KN_OK;
    pthread_mutex_lock(&p->ids_mu);
    for (size_t g = 0; st == KN_OK && g < pm->num_groups; g++) {
        size_t id;
        bool inserted;
        const kn_part_morsel_group *gr = &pm->groups[g];
        st = kn_hash_table_insert(p->ids, pm->paths.data + gr->path_off, gr->path_len, &id, &inserted, err);
        sl->groups[g].id = (uint32_t)id;
    }
    pthread_mutex_unlock(&p->ids_mu);
    return st;
}

/* Writes the morsel's rows with spill writer `w`: one block and one folder list per bucket. */
static kn_status spill_morsel(parts *p, int w, mslot *sl, kn_buf *groups, kn_error *err) {
    kn_part_morsel *pm = &sl->pm;
    sl->nblocks = 0;
    if (!pm->batch || !pm->num_groups) {
        pm->spilled = true;
        return KN_OK;
    }
    KN_TRY(number_groups(p, sl, err));
    if (!p->run_open[w]) {
        KN_TRY(kn_part_spill_begin(p->spill, w, err));
        p->run_open[w] = true;
    }
    for (size_t g = 0; g < pm->num_groups; g++) {
        const kn_part_morsel_group *gr = &pm->groups[g];
        sl->groups[g].bucket = (uint32_t)kn_part_bucket_of(pm->paths.data + gr->path_off, gr->path_len, p->opt->buckets);
    }
    size_t next_row = 0;
    for (size_t g = 0; g < pm->num_groups;) {
        size_t b = sl->groups[g].bucket;
        KN_RETURN_ERROR_IF((g && b <= sl->groups[g - 1].bucket) || pm->groups[g].row != next_row, err, KN_E_INTERNAL,
                           "a morsel's folders are not grouped by bucket");
        size_t end = g, rows = 0;
        kn_buf_clear(groups);
        for (; end < pm->num_groups && sl->groups[end].bucket == b; end++) {
            const kn_part_morsel_group *gr = &pm->groups[end];
            KN_RETURN_ERROR_IF(gr->row != next_row + rows || gr->n > UINT32_MAX, err, KN_E_INTERNAL,
                               "a morsel's folders are not grouped by bucket");
            uint8_t e[GROUP_BYTES];
            put_u32(e, sl->groups[end].id);
            put_u32(e + 4, (uint32_t)gr->n);
            if (!kn_buf_append(groups, e, sizeof e)) return nomem(err);
            rows += gr->n;
        }
        block_ref ref;
        KN_TRY(kn_part_spill_add_rows(p->spill, w, pm->batch, next_row, rows, &ref.rows, err));
        KN_TRY(kn_part_spill_add_bytes(p->spill, w, groups->data, groups->len, &ref.groups, err));
        for (size_t i = g; i < end; i++) sl->groups[i].bytes = rows ? ref.rows.len * pm->groups[i].n / rows : 0;
        block_ref *blocks = room_for(sl->blocks, sl->nblocks, 1, &sl->cap_blocks, sizeof *blocks);
        uint32_t *bo = blocks ? kn_realloc(sl->bucket_of, sl->cap_blocks * sizeof *bo) : NULL;
        if (blocks) sl->blocks = blocks;
        if (!bo) return nomem(err);
        sl->bucket_of = bo;
        sl->bucket_of[sl->nblocks] = (uint32_t)b;
        sl->blocks[sl->nblocks++] = ref;
        next_row += rows;
        g = end;
    }
    pm->spilled = true;
    return KN_OK;
}

static bool on_parse(void *ctx, kn_sched *sc, int thread, size_t m, size_t si) {
    (void)sc;
    parts *p = ctx;
    mslot *sl = &p->slots[si];
    if (!p->opt->run.ops.parse(p->opt->run.ops.ctx, thread, m, si, &sl->pm)) return false;
    uint64_t t = kn_profile_start(p->opt->run.profile);
    kn_error ignored;
    /* A failure here is met again by accept, which spills what parse could not. */
    (void)spill_morsel(p, thread, sl, &p->workers[thread].groups, &ignored);
    kn_profile_lap(p->opt->run.profile, KN_STAGE_MERGE, t);
    return true;
}

/* Folder `id` known to the folder table, numbered on its first appearance. */
static kn_status take_folder(parts *p, uint32_t id, size_t b, uint64_t bytes, kn_error *err) {
    if (id >= p->cap_folders) {
        size_t cap = p->cap_folders ? p->cap_folders : 1024;
        while (cap <= id) cap *= 2;
        folder_info *f = kn_realloc(p->folders, cap * sizeof *f);
        if (!f) return nomem(err);
        for (size_t i = p->cap_folders; i < cap; i++) f[i] = (folder_info){.index = SIZE_MAX, .slot = NOT_IN_PASS};
        p->folders = f;
        p->cap_folders = cap;
    }
    folder_info *f = &p->folders[id];
    if (f->index == SIZE_MAX) {
        bucket *bk = &p->buckets[b];
        uint32_t *fs = room_for(bk->folders, bk->nfolders, 1, &bk->cap_folders, sizeof *fs);
        if (!fs) return nomem(err);
        bk->folders = fs;
        bk->folders[bk->nfolders++] = id;
        f->index = p->num_folders++;
    }
    f->bytes += bytes;
    return KN_OK;
}

/* The caller's accept; the spill again if parse's failed or accept parsed the morsel again;
 * then new folders numbered and the blocks appended to their buckets. */
static kn_status on_accept(void *ctx, kn_sched *sc, size_t m, size_t si, bool *done, kn_error *err) {
    parts *p = ctx;
    mslot *sl = &p->slots[si];
    kn_part_morsel *pm = &sl->pm;
    *done = true;
    kn_sched_unlock(sc);
    kn_status st = p->opt->run.ops.accept(p->opt->run.ops.ctx, m, si, pm, err);
    if (st == KN_OK && !pm->spilled) st = spill_morsel(p, p->opt->run.threads, sl, &p->accept_groups, err);
    kn_sched_lock(sc);
    for (size_t g = 0; st == KN_OK && pm->batch && g < pm->num_groups; g++)
        st = take_folder(p, sl->groups[g].id, sl->groups[g].bucket, sl->groups[g].bytes, err);
    for (size_t i = 0; st == KN_OK && pm->batch && i < sl->nblocks; i++) {
        bucket *bk = &p->buckets[sl->bucket_of[i]];
        block_ref *blocks = room_for(bk->blocks, bk->nblocks, 1, &bk->cap_blocks, sizeof *blocks);
        if (!blocks) st = nomem(err);
        else {
            bk->blocks = blocks;
            bk->blocks[bk->nblocks++] = sl->blocks[i];
        }
    }
    kn_part_morsel_clear(pm);
    return st;
}

/* Every run ends: its blocks can be read back. */
static kn_status on_input_end(void *ctx, kn_error *err) {
    parts *p = ctx;
    p->input_ended = true;
    for (int w = 0; w <= p->opt->run.threads; w++) {
        if (!p->run_open[w]) continue;
        p->run_open[w] = false;
        KN_TRY(kn_part_spill_end(p->spill, w, err));
    }
    return KN_OK;
}

/* ---- phase 2: regroup ---------------------------------------------------------------------- */

static kn_status write_locked(parts *p, worker *wk, const folder_info *f, uint32_t id, const kn_pq_rowgroup *rg,
                              bool close, kn_error *err) {
    const kn_part_pipeline_ops *ops = &p->opt->run.ops;
    size_t len;
    const uint8_t *path = kn_hash_table_key(p->ids, id, &len);
    uint64_t t = kn_profile_start(p->opt->run.profile);
    pthread_mutex_lock(&p->write_mu);
    kn_status st = rg ? ops->write(ops->ctx, f->index, path, len, rg, err) : KN_OK;
    if (st == KN_OK && close && ops->close) st = ops->close(ops->ctx, f->index, err);
    pthread_mutex_unlock(&p->write_mu);
    if (t) wk->staged_ns += kn_profile_lap(p->opt->run.profile, KN_STAGE_WRITE, t) - t;
    return st;
}

/* Cuts rows [row, end) of `b`, folder `id`'s next rows, into row groups, encodes and writes
 * them; when not `last`, a row group that is not full stays unwritten. Returns the row after the
 * last one written in *upto; closes the folder's file when `last`. */
static kn_status cut(parts *p, worker *wk, uint32_t id, const kn_batch *b, size_t row, size_t end, bool last,
                     size_t *upto, kn_error *err) {
    const folder_info *f = &p->folders[id];
    kn_profile *prof = p->opt->run.profile;
    bool on = prof && prof->on;
    while (row < end) {
        kn_pq_rowgroup_reset(wk->rg);
        size_t taken = 0;
        KN_TRY(kn_pq_rowgroup_add_range(wk->rg, b, row, end, &taken, err));
        if (!kn_pq_rowgroup_full(wk->rg) && !last) break;
        KN_RETURN_ERROR_IF(taken == 0, err, KN_E_INTERNAL, "a row group took no rows");
        uint64_t t0 = kn_profile_start(prof);
        uint64_t c0 = on ? kn_pq_encoder_compress_ns(wk->enc) : 0;
        for (size_t c = 0; c < p->ncols; c++) KN_TRY(kn_pq_rowgroup_encode(wk->rg, c, wk->enc, err));
        if (on) {
            uint64_t cns = kn_pq_encoder_compress_ns(wk->enc) - c0, all = kn_thread_ns() - t0;
            kn_profile_add(prof, KN_STAGE_COMPRESS, cns);
            kn_profile_add(prof, KN_STAGE_ENCODE, all > cns ? all - cns : 0);
            wk->staged_ns += all;
        }
        KN_TRY(write_locked(p, wk, f, id, wk->rg, false, err));
        row += taken;
    }
    kn_pq_rowgroup_reset(wk->rg);
    if (upto) *upto = row;
    return last ? write_locked(p, wk, f, id, NULL, true, err) : KN_OK;
}

/* A pass with one folder whose rows passed the share: its full row groups go now, and the rest
 * moves to a batch of its own. */
static kn_status cut_front(parts *p, worker *wk, uint32_t id, kn_error *err) {
    size_t upto;
    KN_TRY(cut(p, wk, id, wk->rows, 0, wk->rows->num_rows, false, &upto, err));
    if (upto == 0) return KN_OK;
    kn_batch_clear(wk->rest);
    KN_TRY(kn_batch_copy_rows(wk->rest, wk->rows, upto, wk->rows->num_rows - upto, NULL, err));
    kn_batch *t = wk->rows;
    wk->rows = wk->rest;
    wk->rest = t;
    return KN_OK;
}

/* The pass's rows in folder order (a stable counting sort of its runs), gathered column by
 * column into one batch; then each folder's rows into row groups. */
static kn_status gather_and_cut(parts *p, worker *wk, const bucket *bk, size_t first, size_t npass, kn_error *err) {
    size_t total = wk->rows->num_rows;
    if (total > wk->cap_order) {
        uint32_t *o = kn_realloc(wk->order, total * sizeof *o);
        if (!o) return nomem(err);
        wk->order = o;
        wk->cap_order = total;
    }
    for (size_t k = 0, at = 0; k < npass; k++) {
        size_t c = wk->count[k];
        wk->start[k] = at;
        at += c;
    }
    for (size_t i = 0; i < wk->nruns; i++) {
        const run_of_rows *r = &wk->runs[i];
        size_t *at = &wk->start[r->slot];
        for (uint32_t j = 0; j < r->n; j++) wk->order[(*at)++] = (uint32_t)(r->row + j);
    }
    /* Into the worker's batch of the last pass: its memory is used again, not faulted in anew. */
    kn_batch *sorted = wk->rest;
    kn_batch_clear(sorted);
    kn_status st = kn_batch_gather(sorted, wk->rows, wk->order, total, NULL, err);
    kn_batch_clear(wk->rows); /* its rows are in `sorted` now */
    for (size_t k = 0, at = 0; st == KN_OK && k < npass; k++) {
        st = cut(p, wk, bk->folders[first + k], sorted, at, at + wk->count[k], true, NULL, err);
        at += wk->count[k];
    }
    kn_batch_clear(sorted);
    return st;
}

/* Reads block `ref`'s folder list into wk->groups; its entries in *n. */
static kn_status read_groups(parts *p, int thread, worker *wk, const block_ref *ref, size_t *n, kn_error *err) {
    kn_buf_clear(&wk->groups);
    KN_TRY(kn_part_spill_read_bytes(p->spill, thread, &ref->groups, &wk->groups, err));
    KN_RETURN_ERROR_IF(wk->groups.len % GROUP_BYTES, err, KN_E_IO, "a spill block's folder list is damaged");
    *n = wk->groups.len / GROUP_BYTES;
    return KN_OK;
}

/* One regroup of the bucket's folders [first, first + npass): every block read back in input
 * order, the rows of those folders kept (all of a block's when the pass is the whole bucket). */
static kn_status regroup_pass(parts *p, int thread, const bucket *bk, size_t first, size_t npass, kn_error *err) {
    worker *wk = &p->workers[thread];
    bool whole = npass == bk->nfolders;
    if (npass > wk->cap_pass) {
        size_t *start = kn_realloc(wk->start, npass * sizeof *start);
        if (start) wk->start = start;
        size_t *count = start ? kn_realloc(wk->count, npass * sizeof *count) : NULL;
        if (!count) return nomem(err);
        wk->count = count;
        wk->cap_pass = npass;
    }
    for (size_t k = 0; k < npass; k++) {
        p->folders[bk->folders[first + k]].slot = (uint32_t)k;
        wk->count[k] = 0;
    }
    kn_batch_clear(wk->rows);
    wk->nruns = 0;
    uint64_t next_try = p->share;
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < bk->nblocks; i++) {
        const block_ref *ref = &bk->blocks[i];
        size_t ng = 0;
        st = read_groups(p, thread, wk, ref, &ng, err);
        bool any = whole;
        for (size_t g = 0; st == KN_OK && !any && g < ng; g++)
            any = p->folders[get_u32(wk->groups.data + g * GROUP_BYTES)].slot != NOT_IN_PASS;
        if (st != KN_OK || !any) continue;
        /* A whole bucket's blocks go straight into the pass's batch; a part of one is read
         * into the worker's block batch first and its folders' rows copied. */
        size_t base = wk->rows->num_rows, row = 0, block_rows = ref->rows.rows;
        st = whole ? kn_part_spill_read_append(p->spill, thread, &ref->rows, wk->rows, err)
                   : kn_part_spill_read(p->spill, thread, &ref->rows, wk->block, err);
        run_of_rows *runs = st == KN_OK ? room_for(wk->runs, wk->nruns, ng, &wk->cap_runs, sizeof *runs) : NULL;
        if (st == KN_OK && !runs) st = nomem(err);
        if (st != KN_OK) break;
        wk->runs = runs;
        for (size_t g = 0; st == KN_OK && g < ng; g++) {
            const uint8_t *e = wk->groups.data + g * GROUP_BYTES;
            uint32_t id = get_u32(e), n = get_u32(e + 4);
            if (id >= p->cap_folders || n > block_rows - row) {
                st = kn_error_set(err, KN_E_IO, "a spill block's folder list is damaged");
                break;
            }
            uint32_t k = p->folders[id].slot;
            if (k != NOT_IN_PASS) {
                size_t at = whole ? base + row : wk->rows->num_rows;
                if (!whole) st = kn_batch_copy_rows(wk->rows, wk->block, row, n, NULL, err);
                wk->runs[wk->nruns++] = (run_of_rows){k, n, at};
                wk->count[k] += n;
            } else if (whole) {
                st = kn_error_set(err, KN_E_IO, "a spill block's folder list is damaged");
            }
            row += n;
        }
        if (st == KN_OK && row != block_rows) st = kn_error_set(err, KN_E_IO, "a spill block's folder list is damaged");
        if (st == KN_OK && npass == 1 && kn_batch_mem_bytes(wk->rows) > next_try) {
            st = cut_front(p, wk, bk->folders[first], err);
            next_try = kn_batch_mem_bytes(wk->rows) + p->share / 4;
        }
    }
    if (st == KN_OK) {
        if (npass == 1)
            st = cut(p, wk, bk->folders[first], wk->rows, 0, wk->rows->num_rows, true, NULL, err);
        else
            st = gather_and_cut(p, wk, bk, first, npass, err);
    }
    for (size_t k = 0; k < npass; k++) p->folders[bk->folders[first + k]].slot = NOT_IN_PASS;
    kn_batch_clear(wk->rows);
    return st;
}

/* The bucket's folders, in folder order, in passes that each fit the share. */
static kn_status regroup(parts *p, int thread, const bucket *bk, uint64_t *passes, kn_error *err) {
    for (size_t first = 0; first < bk->nfolders;) {
        size_t last = first;
        uint64_t sum = 0;
        do sum += p->folders[bk->folders[last++]].bytes;
        while (last < bk->nfolders && sum + p->folders[bk->folders[last]].bytes <= p->share);
        KN_TRY(regroup_pass(p, thread, bk, first, last - first, err));
        (*passes)++;
        first = last;
    }
    return KN_OK;
}

static kn_status on_work(void *ctx, kn_sched *sc, int thread, bool *did, kn_error *err) {
    parts *p = ctx;
    if (!p->input_ended || p->next_bucket == p->opt->buckets) return KN_OK;
    *did = true;
    const bucket *bk = &p->buckets[p->next_bucket++];
    p->busy++;
    kn_sched_unlock(sc);
    worker *wk = &p->workers[thread];
    uint64_t t = kn_profile_start(p->opt->run.profile), passes = 0;
    wk->staged_ns = 0;
    kn_status st = regroup(p, thread, bk, &passes, err);
    if (t) { /* merge: the regroup but for the encoding and writing counted in their stages */
        uint64_t all = kn_thread_ns() - t;
        kn_profile_add(p->opt->run.profile, KN_STAGE_MERGE, all > wk->staged_ns ? all - wk->staged_ns : 0);
    }
    kn_sched_lock(sc);
    p->busy--;
    p->passes += passes;
    return st;
}

static bool on_finished(void *ctx) {
    const parts *p = ctx;
    return p->next_bucket == p->opt->buckets && p->busy == 0;
}

/* ---- the run ------------------------------------------------------------------------------- */

static kn_status worker_init(parts *p, worker *wk, kn_error *err) {
    const kn_schema *schema = p->opt->run.schema;
    KN_TRY(kn_batch_create(schema, 1024, &wk->block, err));
    KN_TRY(kn_batch_create(schema, 1024, &wk->rows, err));
    KN_TRY(kn_batch_create(schema, 1024, &wk->rest, err));
    KN_TRY(kn_pq_rowgroup_create(p->opt->run.layout, &wk->rg, err));
    KN_TRY(kn_pq_encoder_create(p->opt->run.layout, &wk->enc, err));
    if (p->opt->run.profile && p->opt->run.profile->on) kn_pq_encoder_set_profile(wk->enc, true);
    return KN_OK;
}

static void worker_free(worker *wk) {
    kn_buf_free(&wk->groups);
    kn_batch_free(wk->block);
    kn_batch_free(wk->rows);
    kn_batch_free(wk->rest);
    kn_free(wk->runs);
    kn_free(wk->start);
    kn_free(wk->count);
    kn_free(wk->order);
    kn_pq_rowgroup_free(wk->rg);
    kn_pq_encoder_free(wk->enc);
}

kn_status kn_part_buckets_run(const kn_part_buckets_options *opt, kn_part_buckets_stats *stats, kn_error *err) {
    memset(stats, 0, sizeof *stats);
    KN_RETURN_ERROR_IF(opt->run.threads < 1 || opt->run.window < 1 || opt->buckets < 1, err, KN_E_USAGE,
                       "partitioned write by buckets: threads %d, window %zu, buckets %zu", opt->run.threads,
                       opt->run.window, opt->buckets);
    parts p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.ncols = kn_pq_layout_columns(opt->run.layout);
    p.share = regroup_share(opt->run.memory_bytes, opt->run.threads);
    pthread_mutex_init(&p.ids_mu, NULL);
    pthread_mutex_init(&p.write_mu, NULL);
    p.slots = kn_calloc(opt->run.window, sizeof *p.slots);
    p.buckets = kn_calloc(opt->buckets, sizeof *p.buckets);
    p.run_open = kn_calloc((size_t)opt->run.threads + 1, sizeof *p.run_open);
    p.workers = kn_calloc((size_t)opt->run.threads, sizeof *p.workers);
    kn_status st = p.slots && p.buckets && p.run_open && p.workers ? KN_OK : nomem(err);
    if (st == KN_OK) st = kn_hash_table_create(1024, &p.ids, err);
    /* A writer per thread, and one for the acceptor when it parses a morsel again. */
    if (st == KN_OK)
        st = kn_part_spill_create(opt->run.spill_store, opt->run.spill_dir, opt->run.schema, opt->run.threads + 1,
                                  &p.spill, err);
    for (int t = 0; st == KN_OK && t < opt->run.threads; t++) st = worker_init(&p, &p.workers[t], err);
    if (st == KN_OK) {
        kn_sched_options so = {
            .num_morsels = opt->run.num_morsels,
            .threads = opt->run.threads,
            .window = opt->run.window,
            .profile = opt->run.profile,
            .ops = {.ctx = &p, .parse = on_parse, .accept = on_accept, .work = on_work,
                    .input_end = on_input_end, .finished = on_finished},
        };
        st = kn_sched_run(&so, err);
    }
    if (p.spill) {
        stats->spill_runs = kn_part_spill_runs(p.spill);
        stats->spill_bytes = kn_part_spill_bytes(p.spill);
    }
    stats->passes = p.passes;
    for (size_t i = 0; p.slots && i < opt->run.window; i++) {
        mslot *sl = &p.slots[i];
        kn_part_morsel_clear(&sl->pm);
        kn_free(sl->pm.groups);
        kn_buf_free(&sl->pm.paths);
        kn_free(sl->groups);
        kn_free(sl->bucket_of);
        kn_free(sl->blocks);
    }
    for (size_t b = 0; p.buckets && b < opt->buckets; b++) {
        kn_free(p.buckets[b].blocks);
        kn_free(p.buckets[b].folders);
    }
    for (int t = 0; p.workers && t < opt->run.threads; t++) worker_free(&p.workers[t]);
    kn_part_spill_free(p.spill);
    kn_hash_table_free(p.ids);
    kn_buf_free(&p.accept_groups);
    kn_free(p.folders);
    kn_free(p.workers);
    kn_free(p.run_open);
    kn_free(p.buckets);
    kn_free(p.slots);
    pthread_mutex_destroy(&p.write_mu);
    pthread_mutex_destroy(&p.ids_mu);
    return st;
}
