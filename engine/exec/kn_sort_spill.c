/* engine/exec/kn_sort_spill.c: in-memory runs of sorted batches, spill files, and the k-way merge
 * (kn_sort_spill.h). */
#include "kn_sort_spill.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_gather.h"
#include "kn_spill_block.h"
#include "kn_store_local.h"

typedef struct spill_file {
    char *path;
    uint64_t size;
} spill_file;

enum { CURSOR_MEMORY, CURSOR_FILE };

typedef struct cursor {
    int kind;
    const struct kn_sorter *owner;
    /* memory: one sorted batch of the run */
    const kn_keyed_batch *chunk;
    size_t pos;
    /* file */
    kn_source *src;
    uint64_t offset;
    kn_keyed_batch block;
    kn_buf buf;
    size_t block_row;
    /* the current row */
    kn_sorter_row cur;
} cursor;

typedef struct heap {
    cursor **items;
    size_t n;
} heap;

struct kn_sorter {
    kn_sorter_options opt;
    size_t block_bytes; /* a spill block's target size */
    size_t fan_in;      /* spill files merged at once */

    /* The in-memory run: batches each sorted by key. */
    kn_keyed_batch *chunks;
    size_t num_chunks, cap_chunks;
    uint64_t run_rows;
    size_t run_bytes;

    spill_file *files;
    size_t num_files, cap_files;
    uint64_t next_file_id;
    uint64_t spill_runs, spill_bytes;
    uint64_t total_rows;

    /* The final merge. */
    cursor *cursors;
    size_t num_cursors;
    heap heap;
    size_t pending; /* rows of the heap's top handed out, to advance past on the next call */
    bool finished;
};

/* ---- keys ------------------------------------------------------------------------------------ */

static inline int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static void free_run(kn_sorter *s) {
    for (size_t c = 0; c < s->num_chunks; c++) kn_keyed_batch_release(&s->chunks[c]);
    s->num_chunks = 0;
    s->run_rows = 0;
    s->run_bytes = 0;
}

/* ---- writing spill files ------------------------------------------------------------------- */

typedef struct block_writer {
    kn_sorter *s;
    kn_sink *sink;
    kn_keyed_batch block;
    size_t block_bytes;
    kn_buf enc;
    spill_file file;
} block_writer;

static kn_status bw_open(kn_sorter *s, block_writer *bw, kn_error *err) {
    memset(bw, 0, sizeof *bw);
    bw->s = s;
    char name[64];
    snprintf(name, sizeof name, "/spill-%" PRIu64, s->next_file_id++);
    size_t n = strlen(s->opt.spill_dir) + strlen(name) + 1;
    bw->file.path = kn_malloc(n);
    if (!bw->file.path) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    snprintf(bw->file.path, n, "%s%s", s->opt.spill_dir, name);
    KN_TRY(kn_batch_create(s->opt.schema, 256, &bw->block.batch, err));
    return kn_store_open_sink(s->opt.store, bw->file.path, KN_SINK_PRIVATE, &bw->sink, err);
}

static kn_status bw_flush(block_writer *bw, kn_error *err) {
    if (!bw->block.batch->num_rows) return KN_OK;
    kn_buf_clear(&bw->enc);
    KN_TRY(kn__spill_block_encode(&bw->block, &bw->enc, err));
    KN_TRY(kn_sink_write(bw->sink, bw->enc.data, bw->enc.len, err));
    bw->file.size += bw->enc.len;
    bw->s->spill_bytes += bw->enc.len;
    kn_batch_clear(bw->block.batch);
    kn_buf_clear(&bw->block.keys);
    bw->block_bytes = 0;
    return KN_OK;
}

/* Adds rows [first, first + n) of `src` (sorted, and next in key order) to the block, as
 * ranges; the block is flushed when it reaches its row or byte size, possibly in between. */
static kn_status bw_add_run(block_writer *bw, const kn_keyed_batch *src, size_t first, size_t n, kn_error *err) {
    while (n) {
        kn_keyed_batch *kb = &bw->block;
        size_t have = kb->batch->num_rows, k = n;
        if (k > KN_SPILL_BLOCK_ROWS - have) k = KN_SPILL_BLOCK_ROWS - have;
        size_t bytes = (size_t)kn_rows_plain_bytes(src->batch, first, k) + (src->key_offs[first + k] - src->key_offs[first]);
        if (bw->block_bytes + bytes >= bw->s->block_bytes) {
            /* The block reaches its byte size inside the range: stop at the row that fills it,
             * as row by row, so blocks (and the merge's buffers) keep their size. */
            size_t i = 0;
            bytes = 0;
            while (i < k && bw->block_bytes + bytes < bw->s->block_bytes) {
                bytes += (size_t)kn_row_plain_bytes(src->batch, first + i) + (src->key_offs[first + i + 1] - src->key_offs[first + i]);
                i++;
            }
            k = i;
        }
        KN_TRY(kn_keyed_batch_reserve_offs(kb, have + k, err));
        if (have == 0) kb->key_offs[0] = 0;
        KN_TRY(kn_batch_copy_rows(kb->batch, src->batch, first, k, NULL, err));
        uint32_t k0 = src->key_offs[first], klen = src->key_offs[first + k] - k0;
        KN_RETURN_ERROR_IF(kb->keys.len + klen > UINT32_MAX, err, KN_E_INTERNAL, "a spill block's keys pass 4 GiB");
        uint32_t base = (uint32_t)kb->keys.len;
        if (!kn_buf_append(&kb->keys, src->keys.data + k0, klen)) return kn_error_set(err, KN_E_NOMEM, "out of memory for a spill block");
        for (size_t i = 0; i < k; i++) kb->key_offs[have + 1 + i] = base + (src->key_offs[first + 1 + i] - k0);
        bw->block_bytes += bytes;
        if (kb->batch->num_rows >= KN_SPILL_BLOCK_ROWS || bw->block_bytes >= bw->s->block_bytes) KN_TRY(bw_flush(bw, err));
        first += k;
        n -= k;
    }
    return KN_OK;
}

/* Closes the file and records it (ownership of the path moves to the sorter). */
static kn_status bw_close(block_writer *bw, kn_error *err) {
    kn_status st = bw_flush(bw, err);
    kn_sink *sink = bw->sink;
    bw->sink = NULL;
    if (st == KN_OK) st = kn_sink_close(sink, err);
    else kn_sink_abort(sink);
    kn_sorter *s = bw->s;
    if (st == KN_OK && s->num_files == s->cap_files) {
        size_t cap = s->cap_files ? s->cap_files * 2 : 16;
        spill_file *f = kn_realloc(s->files, cap * sizeof *f);
        if (!f) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        else {
            s->files = f;
            s->cap_files = cap;
        }
    }
    if (st == KN_OK) {
        s->files[s->num_files++] = bw->file;
        bw->file.path = NULL;
    }
    return st;
}

static void bw_release(block_writer *bw) {
    kn_sink_abort(bw->sink);
    kn_keyed_batch_release(&bw->block);
    kn_buf_free(&bw->enc);
    if (bw->file.path) kn_store_remove(bw->s->opt.store, bw->file.path, NULL);
    kn_free(bw->file.path);
}

/* ---- cursors and the heap ------------------------------------------------------------------ */

static void cursor_set_memory_row(cursor *c) {
    const kn_keyed_batch *kb = c->chunk;
    size_t r = c->pos;
    c->cur.batch = kb->batch;
    c->cur.row = r;
    c->cur.key = kb->keys.data + kb->key_offs[r];
    c->cur.key_len = kb->key_offs[r + 1] - kb->key_offs[r];
}

static void cursor_set_file_row(cursor *c) {
    kn_keyed_batch *kb = &c->block;
    size_t r = c->block_row;
    c->cur.batch = kb->batch;
    c->cur.row = r;
    c->cur.key = kb->keys.data + kb->key_offs[r];
    c->cur.key_len = kb->key_offs[r + 1] - kb->key_offs[r];
}

/* Loads the next block; *ok false at the end of the file. */
static kn_status cursor_load_block(cursor *c, bool *ok, kn_error *err) {
    *ok = false;
    if (c->offset >= c->src->size) return KN_OK;
    uint8_t header[KN_SPILL_HEADER_BYTES];
    KN_TRY(kn_source_read_at(c->src, c->offset, header, sizeof header, err));
    uint32_t rows;
    uint64_t len;
    KN_TRY(kn__spill_block_header(header, &rows, &len, err));
    KN_RETURN_ERROR_IF(rows == 0 || len > c->src->size - c->offset - sizeof header, err, KN_E_IO,
                       "a spill block is damaged (its size is past the file)");
    kn_buf_clear(&c->buf);
    if (!kn_buf_reserve(&c->buf, (size_t)len)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a spill block");
    KN_TRY(kn_source_read_at(c->src, c->offset + sizeof header, c->buf.data, (size_t)len, err));
    c->offset += sizeof header + len;
    KN_TRY(kn__spill_block_decode(c->buf.data, (size_t)len, rows, &c->block, err));
    c->block_row = 0;
    *ok = true;
    return KN_OK;
}

/* Moves to the first (first = true) or next row; *ok false when the cursor is used up. */
static kn_status cursor_advance(cursor *c, bool first, bool *ok, kn_error *err) {
    if (c->kind == CURSOR_MEMORY) {
        if (!first) c->pos++;
        *ok = c->pos < c->chunk->batch->num_rows;
        if (*ok) cursor_set_memory_row(c);
        return KN_OK;
    }
    if (!first) c->block_row++;
    if (first || c->block_row >= c->block.batch->num_rows) KN_TRY(cursor_load_block(c, ok, err));
    else *ok = true;
    if (*ok) cursor_set_file_row(c);
    return KN_OK;
}

static kn_status cursor_open_file(kn_sorter *s, cursor *c, const spill_file *f, kn_error *err) {
    memset(c, 0, sizeof *c);
    c->kind = CURSOR_FILE;
    c->owner = s;
    KN_TRY(kn_batch_create(s->opt.schema, 256, &c->block.batch, err));
    return kn_store_open_source(s->opt.store, f->path, &c->src, err);
}

static void cursor_release(cursor *c) {
    if (c->kind != CURSOR_FILE) return;
    kn_source_free(c->src);
    c->src = NULL;
    kn_keyed_batch_release(&c->block);
    kn_buf_free(&c->buf);
}

static inline bool cursor_less(const cursor *a, const cursor *b) {
    return key_cmp(a->cur.key, a->cur.key_len, b->cur.key, b->cur.key_len) < 0;
}

static void heap_sift_down(heap *h, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && cursor_less(h->items[l], h->items[m])) m = l;
        if (r < h->n && cursor_less(h->items[r], h->items[m])) m = r;
        if (m == i) return;
        cursor *t = h->items[i];
        h->items[i] = h->items[m];
        h->items[m] = t;
        i = m;
    }
}

static void heap_build(heap *h) {
    for (size_t i = h->n / 2; i-- > 0;) heap_sift_down(h, i);
}

/* Advances the top cursor and restores the heap. */
static kn_status heap_advance_top(heap *h, kn_error *err) {
    bool ok;
    KN_TRY(cursor_advance(h->items[0], false, &ok, err));
    if (!ok) h->items[0] = h->items[--h->n];
    if (h->n) heap_sift_down(h, 0);
    return KN_OK;
}

/* Moves the top cursor past the `n` rows handed out from it (all in its current batch) and
 * restores the heap. */
static kn_status heap_advance_top_by(heap *h, size_t n, kn_error *err) {
    cursor *c = h->items[0];
    if (n > 1) {
        if (c->kind == CURSOR_MEMORY)
            c->pos += n - 1;
        else
            c->block_row += n - 1;
    }
    return heap_advance_top(h, err);
}

/* The run at the heap's top: rows [*first, *first + n) of the top cursor's current batch that
 * come next in key order, at most `max` (>= 1): they do as long as each sorts before the
 * smallest other cursor (the smaller of the top's children). Returns the keyed batch. */
static const kn_keyed_batch *top_run(const heap *h, size_t max, size_t *first, size_t *n_out) {
    const cursor *c = h->items[0];
    const cursor *second = NULL;
    if (h->n > 1) second = h->items[1];
    if (h->n > 2 && cursor_less(h->items[2], h->items[1])) second = h->items[2];
    const kn_keyed_batch *kb = c->kind == CURSOR_MEMORY ? c->chunk : &c->block;
    size_t r0 = c->cur.row, left = kb->batch->num_rows - r0, n = 1;
    if (max == 0) max = 1;
    while (n < max && n < left) {
        const uint8_t *k = kb->keys.data + kb->key_offs[r0 + n];
        size_t klen = kb->key_offs[r0 + n + 1] - kb->key_offs[r0 + n];
        if (second && key_cmp(k, klen, second->cur.key, second->cur.key_len) >= 0) break;
        n++;
    }
    *first = r0;
    *n_out = n;
    return kb;
}

/* Opens cursors on `files` (and on every batch of the memory run when `with_memory`), primes
 * them, builds the heap. */
static kn_status merge_open(kn_sorter *s, const spill_file *files, size_t nfiles, bool with_memory,
                            cursor **out_cursors, size_t *out_n, heap *h, kn_error *err) {
    size_t n = nfiles + (with_memory ? s->num_chunks : 0);
    cursor *cs = kn_calloc(n ? n : 1, sizeof *cs);
    h->items = kn_calloc(n ? n : 1, sizeof *h->items);
    h->n = 0;
    *out_cursors = cs;
    *out_n = 0;
    if (!cs || !h->items) return kn_error_set(err, KN_E_NOMEM, "out of memory opening the merge");
    for (size_t i = 0; i < nfiles; i++) {
        (*out_n)++;
        KN_TRY(cursor_open_file(s, &cs[i], &files[i], err));
    }
    for (size_t i = 0; with_memory && i < s->num_chunks; i++) {
        cs[nfiles + i].kind = CURSOR_MEMORY;
        cs[nfiles + i].owner = s;
        cs[nfiles + i].chunk = &s->chunks[i];
        (*out_n)++;
    }
    for (size_t i = 0; i < n; i++) {
        bool ok;
        KN_TRY(cursor_advance(&cs[i], true, &ok, err));
        if (ok) h->items[h->n++] = &cs[i];
    }
    heap_build(h);
    return KN_OK;
}

static void merge_close(cursor *cs, size_t n, heap *h) {
    for (size_t i = 0; cs && i < n; i++) cursor_release(&cs[i]);
    kn_free(cs);
    kn_free(h->items);
    h->items = NULL;
    h->n = 0;
}

/* Merges the first `k` spill files into one new spill file at the end of the list. */
static kn_status merge_pass(kn_sorter *s, size_t k, kn_error *err) {
    cursor *cs = NULL;
    size_t ncs = 0;
    heap h = {NULL, 0};
    block_writer bw;
    kn_status st = bw_open(s, &bw, err);
    if (st == KN_OK) st = merge_open(s, s->files, k, false, &cs, &ncs, &h, err);
    while (st == KN_OK && h.n) {
        /* Rows that sit together in one sorted batch go over as ranges (kn_sorter_next_run). */
        size_t first, n;
        const kn_keyed_batch *kb = top_run(&h, KN_SPILL_BLOCK_ROWS, &first, &n);
        st = bw_add_run(&bw, kb, first, n, err);
        if (st == KN_OK) st = heap_advance_top_by(&h, n, err);
    }
    merge_close(cs, ncs, &h);
    if (st == KN_OK) st = bw_close(&bw, err);
    bw_release(&bw);
    if (st != KN_OK) return st;
    for (size_t i = 0; i < k; i++) {
        kn_store_remove(s->opt.store, s->files[i].path, NULL);
        kn_free(s->files[i].path);
    }
    memmove(s->files, s->files + k, (s->num_files - k) * sizeof *s->files);
    s->num_files -= k;
    return KN_OK;
}

/* Merges the batches of the memory run into a new spill file and frees them. */
static kn_status spill_run(kn_sorter *s, kn_error *err) {
    cursor *cs = NULL;
    size_t ncs = 0;
    heap h = {NULL, 0};
    block_writer bw;
    kn_status st = bw_open(s, &bw, err);
    if (st == KN_OK) st = merge_open(s, NULL, 0, true, &cs, &ncs, &h, err);
    while (st == KN_OK && h.n) {
        /* Rows that sit together in one sorted batch go over as ranges (kn_sorter_next_run). */
        size_t first, n;
        const kn_keyed_batch *kb = top_run(&h, KN_SPILL_BLOCK_ROWS, &first, &n);
        st = bw_add_run(&bw, kb, first, n, err);
        if (st == KN_OK) st = heap_advance_top_by(&h, n, err);
    }
    merge_close(cs, ncs, &h);
    if (st == KN_OK) st = bw_close(&bw, err);
    bw_release(&bw);
    if (st == KN_OK) {
        s->spill_runs++;
        free_run(s);
    }
    return st;
}

/* ---- the API ------------------------------------------------------------------------------- */

kn_status kn_sorter_create(const kn_sorter_options *opt, kn_sorter **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(!opt->schema || !opt->spill_dir, err, KN_E_INTERNAL, "the sorter needs a schema and a folder");
    KN_RETURN_ERROR_IF(opt->memory_limit < (1u << 20), err, KN_E_USAGE, "the memory limit must be at least 1 MiB");
    kn_sorter *s = kn_calloc(1, sizeof *s);
    if (!s) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    s->opt = *opt;
    s->opt.store = kn_store_or_local(opt->store);
    /* Blocks of memory_limit/128 (16 KiB to 4 MiB); a cursor holds about three blocks (read
     * buffer, decoded batch, growth slack), so memory_limit/4 of cursors merge this many files. */
    uint64_t bb = opt->memory_limit / 128;
    if (bb < (16u << 10)) bb = 16u << 10;
    if (bb > (4u << 20)) bb = 4u << 20;
    s->block_bytes = (size_t)bb;
    uint64_t fan = (opt->memory_limit / 4) / (3 * bb);
    s->fan_in = fan < 2 ? 2 : fan > 256 ? 256 : (size_t)fan;
    *out = s;
    return KN_OK;
}

kn_status kn_sorter_add(kn_sorter *s, kn_keyed_batch *kb, kn_error *err) {
    KN_RETURN_ERROR_IF(s->finished, err, KN_E_INTERNAL, "rows added to a finished sort");
    if (!kb->batch || kb->batch->num_rows == 0) {
        kn_keyed_batch_release(kb);
        return KN_OK;
    }
    KN_RETURN_ERROR_IF(s->num_chunks >= UINT32_MAX, err, KN_E_INTERNAL, "too many batches in one run");
    if (s->num_chunks == s->cap_chunks) {
        size_t cap = s->cap_chunks ? s->cap_chunks * 2 : 64;
        kn_keyed_batch *c = kn_realloc(s->chunks, cap * sizeof *c);
        if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        s->chunks = c;
        s->cap_chunks = cap;
    }
    size_t rows = kb->batch->num_rows;
    s->chunks[s->num_chunks++] = *kb;
    memset(kb, 0, sizeof *kb);
    s->run_rows += rows;
    s->total_rows += rows;
    /* The batch, and the merge's cursor and heap slot for it. */
    s->run_bytes += kn_keyed_batch_mem_bytes(&s->chunks[s->num_chunks - 1]) + sizeof(kn_keyed_batch) + sizeof(cursor) + sizeof(cursor *);
    if (s->run_bytes >= s->opt.memory_limit) return spill_run(s, err);
    return KN_OK;
}

kn_status kn_sorter_finish(kn_sorter *s, kn_error *err) {
    KN_RETURN_ERROR_IF(s->finished, err, KN_E_INTERNAL, "the sort was finished twice");
    s->finished = true;
    while (s->num_files > s->fan_in) KN_TRY(merge_pass(s, s->fan_in, err));
    return merge_open(s, s->files, s->num_files, s->run_rows > 0, &s->cursors, &s->num_cursors, &s->heap, err);
}

static kn_status advance_pending(kn_sorter *s, kn_error *err) {
    if (s->pending && s->heap.n) KN_TRY(heap_advance_top_by(&s->heap, s->pending, err));
    s->pending = 0;
    return KN_OK;
}

kn_status kn_sorter_next(kn_sorter *s, kn_sorter_row *out, bool *done, kn_error *err) {
    KN_RETURN_ERROR_IF(!s->finished, err, KN_E_INTERNAL, "the sort was read before it was finished");
    KN_TRY(advance_pending(s, err));
    *done = s->heap.n == 0;
    if (!*done) {
        *out = s->heap.items[0]->cur;
        s->pending = 1;
    }
    return KN_OK;
}

kn_status kn_sorter_next_run(kn_sorter *s, size_t max, kn_sorter_run *out, bool *done, kn_error *err) {
    KN_RETURN_ERROR_IF(!s->finished, err, KN_E_INTERNAL, "the sort was read before it was finished");
    KN_TRY(advance_pending(s, err));
    *done = s->heap.n == 0;
    if (*done) return KN_OK;
    size_t first, n;
    const kn_keyed_batch *kb = top_run(&s->heap, max, &first, &n);
    out->batch = kb->batch;
    out->row = first;
    out->n = n;
    out->keys = kb->keys.data;
    out->key_offs = kb->key_offs;
    s->pending = n;
    return KN_OK;
}

uint64_t kn_sorter_rows(const kn_sorter *s) { return s->total_rows; }
uint64_t kn_sorter_spill_runs(const kn_sorter *s) { return s->spill_runs; }
uint64_t kn_sorter_spill_bytes(const kn_sorter *s) { return s->spill_bytes; }

void kn_sorter_free(kn_sorter *s) {
    if (!s) return;
    merge_close(s->cursors, s->num_cursors, &s->heap);
    free_run(s);
    kn_free(s->chunks);
    for (size_t i = 0; i < s->num_files; i++) {
        kn_store_remove(s->opt.store, s->files[i].path, NULL);
        kn_free(s->files[i].path);
    }
    kn_free(s->files);
    kn_free(s);
}
