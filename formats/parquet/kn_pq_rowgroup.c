/* formats/parquet/kn_pq_rowgroup.c: layouts, per-thread encoders and row groups encoded a column
 * at a time (kn_pq_rowgroup.h). */
#include "kn_pq_rowgroup.h"

#include <inttypes.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_column.h"
#include "kn_pq_dict.h"
#include "kn_pq_format.h"
#include "kn_pq_schema.h"

struct kn_pq_layout {
    kn_schema *schema; /* owned copy; the leaves borrow its names */
    kn_pq_options opt;
    kn_pq_leaf *leaves;
    size_t ncols;
};

struct kn_pq_encoder {
    kn_pq_column *col;   /* retargeted to each column it encodes */
    kn_pq_dict *parked;  /* per column: its dictionary between its chunks (owned) */
    size_t nparked;
};

/* A column's dictionary stays parked in the encoder between its chunks only up to this table
 * size, so a thread holds at most this much per column for it. */
#define PARK_TABLE_MAX ((size_t)2 << 20)

typedef struct slice {
    const kn_batch *batch; /* borrowed until the row group is encoded */
    size_t row, n;
} slice;

struct kn_pq_rowgroup {
    const kn_pq_layout *layout;
    slice *slices;
    size_t num_slices, cap_slices;
    uint64_t rows;
    uint64_t bits;      /* the estimate so far */
    uint64_t *col_bits; /* per column */
    kn_pq_chunk *chunks;
    bool *encoded;      /* per column; each set by the thread that encoded it */
};

/* ---- layout ------------------------------------------------------------------------------ */

kn_status kn_pq_layout_create(const kn_schema *schema, const kn_pq_options *opt, kn_pq_layout **out,
                              kn_error *err) {
    *out = NULL;
    kn_pq_options defaults;
    if (!opt) {
        kn_pq_options_init(&defaults);
        opt = &defaults;
    }
    /* The same checks as kn_pq_writer_create. */
    KN_TRY(kn__pq_check_options(opt, err));
    KN_RETURN_ERROR_IF(!schema || schema->num_fields == 0, err, KN_E_USAGE, "a Parquet file needs at least one column");
    KN_TRY(kn__pq_check_sorting(opt, schema->num_fields, err));
    for (size_t i = 0; i < schema->num_fields; i++) {
        kn_pq_leaf probe;
        KN_TRY(kn_pq_leaf_init(&schema->fields[i], opt->timestamp_int96, &probe, err));
    }
    kn_pq_layout *l = kn_calloc(1, sizeof *l);
    if (!l) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    l->opt = *opt;
    l->opt.created_by = NULL;
    l->opt.metadata = NULL;
    l->opt.metadata_count = 0;
    l->schema = kn_schema_copy(schema);
    l->leaves = l->schema ? kn_calloc(schema->num_fields, sizeof *l->leaves) : NULL;
    if (!l->leaves) {
        kn_pq_layout_free(l);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    l->ncols = schema->num_fields;
    for (size_t i = 0; i < l->ncols; i++) {
        kn_status st = kn_pq_leaf_init(&l->schema->fields[i], opt->timestamp_int96, &l->leaves[i], err);
        if (st != KN_OK) {
            kn_pq_layout_free(l);
            return st;
        }
    }
    /* One encoder made now finds a codec that cannot start before any thread needs one. */
    kn_pq_encoder *probe;
    kn_status st = kn_pq_encoder_create(l, &probe, err);
    if (st != KN_OK) {
        kn_pq_layout_free(l);
        return st;
    }
    kn_pq_encoder_free(probe);
    *out = l;
    return KN_OK;
}

void kn_pq_layout_free(kn_pq_layout *l) {
    if (!l) return;
    kn_free(l->leaves);
    kn_schema_free(l->schema);
    kn_free(l);
}

size_t kn_pq_layout_columns(const kn_pq_layout *l) { return l->ncols; }

kn_status kn_pq_layout_check(const kn_pq_layout *l, const kn_batch *batch, kn_error *err) {
    return kn__pq_check_batch(l->leaves, l->ncols, batch, err);
}

/* ---- encoder ----------------------------------------------------------------------------- */

kn_status kn_pq_encoder_create(const kn_pq_layout *l, kn_pq_encoder **out, kn_error *err) {
    *out = NULL;
    kn_pq_encoder *e = kn_calloc(1, sizeof *e);
    if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_status st = kn_pq_column_create(&l->leaves[0], &l->opt, &e->col, err);
    if (st != KN_OK) {
        kn_free(e);
        return st;
    }
    *out = e;
    return KN_OK;
}

void kn_pq_encoder_free(kn_pq_encoder *e) {
    if (!e) return;
    for (size_t i = 0; i < e->nparked; i++) kn_pq_dict_release(&e->parked[i]);
    kn_free(e->parked);
    kn_pq_column_free(e->col);
    kn_free(e);
}

void kn_pq_encoder_set_profile(kn_pq_encoder *e, bool on) { kn_pq_column_set_profile(e->col, on); }
uint64_t kn_pq_encoder_compress_ns(const kn_pq_encoder *e) { return kn_pq_column_compress_ns(e->col); }

/* ---- row group --------------------------------------------------------------------------- */

kn_status kn_pq_rowgroup_create(const kn_pq_layout *l, kn_pq_rowgroup **out, kn_error *err) {
    *out = NULL;
    kn_pq_rowgroup *rg = kn_calloc(1, sizeof *rg);
    if (!rg) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    rg->layout = l;
    rg->col_bits = kn_calloc(l->ncols, sizeof *rg->col_bits);
    rg->chunks = kn_calloc(l->ncols, sizeof *rg->chunks);
    rg->encoded = kn_calloc(l->ncols, sizeof *rg->encoded);
    if (!rg->col_bits || !rg->chunks || !rg->encoded) {
        kn_pq_rowgroup_free(rg);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    *out = rg;
    return KN_OK;
}

void kn_pq_rowgroup_free(kn_pq_rowgroup *rg) {
    if (!rg) return;
    for (size_t i = 0; rg->chunks && i < rg->layout->ncols; i++) kn_pq_chunk_release(&rg->chunks[i]);
    kn_free(rg->chunks);
    kn_free(rg->encoded);
    kn_free(rg->col_bits);
    kn_free(rg->slices);
    kn_free(rg);
}

void kn_pq_rowgroup_reset(kn_pq_rowgroup *rg) {
    size_t n = rg->layout->ncols;
    rg->num_slices = 0;
    rg->rows = 0;
    rg->bits = 0;
    memset(rg->col_bits, 0, n * sizeof *rg->col_bits);
    memset(rg->encoded, 0, n * sizeof *rg->encoded);
    for (size_t i = 0; i < n; i++) {
        kn_buf_clear(&rg->chunks[i].dict);
        kn_buf_clear(&rg->chunks[i].data);
    }
}

void kn_pq_rowgroup_trim(kn_pq_rowgroup *rg) {
    kn_pq_rowgroup_reset(rg);
    for (size_t i = 0; i < rg->layout->ncols; i++) {
        kn_buf_free(&rg->chunks[i].dict);
        kn_buf_free(&rg->chunks[i].data);
    }
}

static uint64_t column_bits(const kn_pq_leaf *l, const kn_column *col, size_t a, size_t b) {
    uint64_t rows = b - a, bits;
    if (l->physical == KN_PQ_BYTE_ARRAY)
        bits = 8 * ((uint64_t)(col->offsets[b] - col->offsets[a]) + 4 * rows);
    else if (l->physical == KN_PQ_BOOLEAN)
        bits = rows;
    else
        bits = 8 * (uint64_t)l->width * rows;
    return bits + (l->nullable ? rows : 0);
}

kn_status kn_pq_rowgroup_add(kn_pq_rowgroup *rg, const kn_batch *batch, size_t row, size_t *taken,
                             kn_error *err) {
    return kn_pq_rowgroup_add_range(rg, batch, row, batch->num_rows, taken, err);
}

kn_status kn_pq_rowgroup_add_range(kn_pq_rowgroup *rg, const kn_batch *batch, size_t row, size_t n,
                                   size_t *taken, kn_error *err) {
    *taken = 0;
    const kn_pq_layout *l = rg->layout;
    const uint64_t target = (uint64_t)l->opt.row_group_bytes * 8;
    if (row >= n || rg->bits >= target) return KN_OK;
    /* The fewest rows that bring the row group to its target, or all that are left: the same
     * cut as kn_pq_writer_write makes. */
    size_t take = n - row;
    uint64_t room = target - rg->bits;
    if (kn__pq_estimate_bits(l->leaves, l->ncols, batch, row, n) >= room) {
        size_t lo = 1, hi = n - row;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (kn__pq_estimate_bits(l->leaves, l->ncols, batch, row, row + mid) >= room)
                hi = mid;
            else
                lo = mid + 1;
        }
        take = lo;
    }
    if (rg->num_slices == rg->cap_slices) {
        size_t cap = rg->cap_slices ? rg->cap_slices * 2 : 16;
        slice *s = kn_realloc(rg->slices, cap * sizeof *s);
        if (!s) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        rg->slices = s;
        rg->cap_slices = cap;
    }
    rg->slices[rg->num_slices++] = (slice){batch, row, take};
    for (size_t i = 0; i < l->ncols; i++) {
        uint64_t b = column_bits(&l->leaves[i], &batch->columns[i], row, row + take);
        rg->col_bits[i] += b;
        rg->bits += b;
    }
    rg->rows += take;
    *taken = take;
    return KN_OK;
}

uint64_t kn_pq_layout_estimate_bits(const kn_pq_layout *l, const kn_batch *batch, size_t row, size_t end) {
    return kn__pq_estimate_bits(l->leaves, l->ncols, batch, row, end);
}

uint64_t kn_pq_layout_target_bits(const kn_pq_layout *l) { return (uint64_t)l->opt.row_group_bytes * 8; }

bool kn_pq_rowgroup_full(const kn_pq_rowgroup *rg) {
    return rg->bits >= (uint64_t)rg->layout->opt.row_group_bytes * 8;
}

uint64_t kn_pq_rowgroup_rows(const kn_pq_rowgroup *rg) { return rg->rows; }

uint64_t kn_pq_rowgroup_column_bits(const kn_pq_rowgroup *rg, size_t col) { return rg->col_bits[col]; }

kn_status kn_pq_rowgroup_encode(kn_pq_rowgroup *rg, size_t col, kn_pq_encoder *enc, kn_error *err) {
    const kn_pq_layout *l = rg->layout;
    KN_RETURN_ERROR_IF(col >= l->ncols, err, KN_E_USAGE, "column %zu of a row group of %zu", col, l->ncols);
    kn_pq_column *c = enc->col;
    if (enc->nparked < l->ncols) {
        kn_pq_dict *p = kn_realloc(enc->parked, l->ncols * sizeof *p);
        if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        memset(p + enc->nparked, 0, (l->ncols - enc->nparked) * sizeof *p);
        enc->parked = p;
        enc->nparked = l->ncols;
    }
    /* The column's own dictionary in (the writer's, empty, parked meanwhile), and back out after. */
    kn_pq_column_swap_dict(c, &enc->parked[col]);
    KN_TRY(kn_pq_column_retarget(c, &l->leaves[col], err));
    for (size_t i = 0; i < rg->num_slices; i++) {
        const slice *s = &rg->slices[i];
        KN_TRY(kn_pq_column_write(c, &s->batch->columns[col], s->row, s->n, err));
    }
    KN_TRY(kn_pq_column_finish(c, err));
    kn_pq_column_take(c, &rg->chunks[col]);
    rg->encoded[col] = true;
    kn_pq_column_swap_dict(c, &enc->parked[col]);
    if (kn_pq_dict_table_bytes(&enc->parked[col]) > PARK_TABLE_MAX) kn_pq_dict_release(&enc->parked[col]);
    return KN_OK;
}

size_t kn_pq_rowgroup_num_slices(const kn_pq_rowgroup *rg) { return rg->num_slices; }

void kn_pq_rowgroup_slice(const kn_pq_rowgroup *rg, size_t i, const kn_batch **batch, size_t *row, size_t *n) {
    *batch = rg->slices[i].batch;
    *row = rg->slices[i].row;
    *n = rg->slices[i].n;
}

/* ---- column encoders --------------------------------------------------------------------- */

struct kn_pq_colenc {
    const kn_pq_layout *layout;
    size_t col;
    kn_pq_column *c;
    uint64_t rows; /* in the chunk so far */
};

kn_status kn_pq_colenc_create(const kn_pq_layout *l, size_t col, kn_pq_colenc **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(col >= l->ncols, err, KN_E_USAGE, "column %zu of %zu", col, l->ncols);
    kn_pq_colenc *ce = kn_calloc(1, sizeof *ce);
    if (!ce) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    ce->layout = l;
    ce->col = col;
    kn_status st = kn_pq_column_create(&l->leaves[col], &l->opt, &ce->c, err);
    if (st != KN_OK) {
        kn_free(ce);
        return st;
    }
    *out = ce;
    return KN_OK;
}

void kn_pq_colenc_free(kn_pq_colenc *ce) {
    if (!ce) return;
    kn_pq_column_free(ce->c);
    kn_free(ce);
}

kn_status kn_pq_colenc_write(kn_pq_colenc *ce, const kn_batch *batch, size_t row, size_t n, kn_error *err) {
    if (n == 0) return KN_OK;
    KN_TRY(kn_pq_column_write(ce->c, &batch->columns[ce->col], row, n, err));
    ce->rows += n;
    return KN_OK;
}

kn_status kn_pq_colenc_finish(kn_pq_colenc *ce, kn_pq_rowgroup *rg, kn_error *err) {
    return kn_pq_colenc_finish_restored(ce, NULL, 0, rg, err);
}

kn_status kn_pq_colenc_finish_restored(kn_pq_colenc *ce, const uint8_t *moved, size_t len, kn_pq_rowgroup *rg,
                                       kn_error *err) {
    KN_RETURN_ERROR_IF(rg->layout->ncols != ce->layout->ncols, err, KN_E_USAGE, "the row group is of another layout");
    KN_RETURN_ERROR_IF(ce->rows != rg->rows, err, KN_E_INTERNAL,
                       "column '%s' was given %" PRIu64 " rows of a row group of %" PRIu64,
                       ce->layout->leaves[ce->col].name, ce->rows, rg->rows);
    KN_TRY(kn_pq_column_finish(ce->c, err));
    KN_TRY(kn_pq_column_pages_restore(ce->c, moved, len, err));
    kn_pq_column_take(ce->c, &rg->chunks[ce->col]);
    rg->encoded[ce->col] = true;
    ce->rows = 0;
    return KN_OK;
}

kn_status kn_pq_colenc_create_lean(const kn_pq_layout *l, size_t col, kn_pq_colenc **out, kn_error *err) {
    KN_TRY(kn_pq_colenc_create(l, col, out, err));
    kn_pq_column_borrow_codec((*out)->c, NULL);
    kn_pq_column_trim((*out)->c);
    return KN_OK;
}

void kn_pq_colenc_lend(kn_pq_colenc *ce, kn_pq_encoder *enc) {
    kn_pq_column_borrow_codec(ce->c, enc ? kn_pq_column_codec(enc->col) : NULL);
}

void kn_pq_colenc_trim(kn_pq_colenc *ce) { kn_pq_column_trim(ce->c); }
void kn_pq_colenc_sleep(kn_pq_colenc *ce) { kn_pq_column_sleep(ce->c); }
uint64_t kn_pq_colenc_mem(const kn_pq_colenc *ce) { return sizeof *ce + kn_pq_column_mem(ce->c); }
void kn_pq_colenc_pages(const kn_pq_colenc *ce, const uint8_t **data, size_t *len) { kn_pq_column_pages(ce->c, data, len); }
void kn_pq_colenc_pages_moved(kn_pq_colenc *ce) { kn_pq_column_pages_moved(ce->c); }

void kn_pq_colenc_set_profile(kn_pq_colenc *ce, bool on) { kn_pq_column_set_profile(ce->c, on); }
uint64_t kn_pq_colenc_compress_ns(const kn_pq_colenc *ce) { return kn_pq_column_compress_ns(ce->c); }

bool kn_pq_rowgroup_encoded(const kn_pq_rowgroup *rg) {
    for (size_t i = 0; i < rg->layout->ncols; i++)
        if (!rg->encoded[i]) return false;
    return true;
}

uint64_t kn_pq_rowgroup_compressed_bytes(const kn_pq_rowgroup *rg) {
    uint64_t n = 0;
    for (size_t i = 0; i < rg->layout->ncols; i++) n += kn_pq_chunk_compressed(&rg->chunks[i]);
    return n;
}

const kn_pq_chunk *kn__pq_rowgroup_chunks(const kn_pq_rowgroup *rg, size_t *n) {
    *n = rg->layout->ncols;
    return kn_pq_rowgroup_encoded(rg) ? rg->chunks : NULL;
}
