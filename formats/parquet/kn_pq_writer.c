/* formats/parquet/kn_pq_writer.c: the file writer (kn_pq_writer.h): "PAR1", row groups of column
 * chunks, the Thrift-compact footer, its length, "PAR1".
 *
 * Row groups are cut by an estimate that is known before encoding and does not depend on how the
 * rows arrive in batches: the PLAIN size of the rows' values (fixed width, or string bytes plus
 * their 4-byte lengths; booleans and definition levels count one bit). The row group ends at the
 * first row where the estimate reaches row_group_bytes, inside a batch if need be, so the same
 * rows give the same file whatever the batch boundaries. PLAIN size bounds the encoded size from
 * above, so total_byte_size stays at or under the target.
 *
 * Every chunk gets a page index (kn_pq_page_index.h): its ColumnIndex and OffsetIndex are
 * serialized as its row group is appended (the chunk's place is known then), kept until the file
 * closes, and written after the last row group and before the footer, all ColumnIndexes first,
 * then all OffsetIndexes, in row group and column order (arrow-rs's and parquet-java's layout).
 * Where they land is known only then, so each ColumnChunk struct is kept without its page index
 * fields and they are spliced in as the footer is written.
 *
 * Memory: one row group's compressed pages and dictionaries, plus the serialized RowGroup structs
 * for the footer (a few hundred bytes per column per row group) and the page indexes (some tens
 * of bytes per page). */
#include "kn_pq_writer.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_codec.h"
#include "kn_pq_column.h"
#include "kn_pq_format.h"
#include "kn_pq_page_index.h"
#include "kn_pq_pool.h"
#include "kn_pq_rowgroup.h"
#include "kn_pq_schema.h"
#include "kn_pq_thrift.h"

#ifndef KN_VERSION
#define KN_VERSION "0.0.0"
#endif
#ifndef KN_BUILD_HASH
#define KN_BUILD_HASH "unknown"
#endif

/* Page and dictionary sizes must keep Thrift's i32 page sizes valid with room to spare. */
#define MAX_PAGE_OPTION ((size_t)1 << 30)

/* Where a chunk's page index fields go: its ColumnChunk struct's STOP byte in rg_meta, and its
 * ColumnIndex (ci_len 0: none) and OffsetIndex in col_index and off_index. */
typedef struct index_ref {
    size_t meta_end;
    size_t ci_at, oi_at;
    uint32_t ci_len, oi_len;
} index_ref;

struct kn_pq_writer {
    kn_schema *schema; /* owned copy; leaves borrow its names */
    kn_sink *sink;     /* taken */
    kn_pq_options opt;
    char *created_by;  /* owned */
    kn_pq_kv *kv;      /* owned copies */
    size_t kv_count;
    kn_pq_leaf *leaves;
    kn_pq_column **cols; /* made on the first kn_pq_writer_write: a file fed only encoded row
                            groups (kn_pq_writer_write_rowgroup) never needs them, and a
                            partitioned write keeps many such files open (zlib's state alone is
                            about 256 KiB a column) */
    size_t ncols;

    uint64_t rg_bits;  /* the open row group's estimate, in bits */
    uint64_t rg_rows;
    uint64_t num_rows;
    size_t num_row_groups;
    kn_buf rg_meta;    /* the finished row groups' RowGroup structs, back to back */
    kn_buf scratch;
    kn_buf col_index;  /* every chunk's ColumnIndex so far, back to back, in file order */
    kn_buf off_index;  /* ... and every chunk's OffsetIndex */
    struct index_ref *refs; /* per chunk, in file order */
    size_t num_refs, cap_refs;
    bool failed;
    kn_pq_pool *pool;  /* threads > 1: helpers encoding columns beside the caller */
    kn_status *col_st; /* ... and each column's status and error in a step */
    kn_error *col_err;
};

const char *kn_pq_created_by(void) { return "kiln version " KN_VERSION " (build " KN_BUILD_HASH ")"; }

void kn_pq_options_init(kn_pq_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->codec = KN_CODEC_SNAPPY;
    opt->compression_level = 0;
    opt->row_group_bytes = (size_t)128 << 20;
    opt->page_bytes = (size_t)1 << 20;
    opt->dictionary = true;
    opt->dictionary_page_bytes = (size_t)1 << 20;
    opt->timestamp_int96 = false;
    opt->created_by = NULL;
    opt->metadata = NULL;
    opt->metadata_count = 0;
    opt->threads = 1;
}

kn_status kn__pq_check_sorting(const kn_pq_options *o, size_t ncols, kn_error *err) {
    for (size_t i = 0; i < o->num_sorting_columns; i++)
        KN_RETURN_ERROR_IF(o->sorting_columns[i].column >= ncols, err, KN_E_USAGE,
                           "sorting column %zu is past the file's %zu columns", o->sorting_columns[i].column, ncols);
    return KN_OK;
}

kn_status kn__pq_check_options(const kn_pq_options *o, kn_error *err) {
    KN_TRY(kn_pq_codec_check(o->codec, o->compression_level, err));
    KN_RETURN_ERROR_IF(o->page_bytes == 0 || o->page_bytes > MAX_PAGE_OPTION, err, KN_E_USAGE,
                       "page size %zu is out of range (1 byte .. 1 GiB)", o->page_bytes);
    KN_RETURN_ERROR_IF(o->row_group_bytes == 0, err, KN_E_USAGE, "row group size must be above 0");
    KN_RETURN_ERROR_IF(o->dictionary && (o->dictionary_page_bytes == 0 ||
                                         o->dictionary_page_bytes > MAX_PAGE_OPTION),
                       err, KN_E_USAGE, "dictionary page size %zu is out of range (1 byte .. 1 GiB)",
                       o->dictionary_page_bytes);
    KN_RETURN_ERROR_IF(o->num_sorting_columns > KN_PQ_MAX_SORTING_COLUMNS, err, KN_E_USAGE,
                       "%zu sorting columns; at most %d are written", o->num_sorting_columns, KN_PQ_MAX_SORTING_COLUMNS);
    for (size_t i = 0; i < o->num_sorting_columns; i++)
        for (size_t j = 0; j < i; j++)
            KN_RETURN_ERROR_IF(o->sorting_columns[i].column == o->sorting_columns[j].column, err, KN_E_USAGE,
                               "column %zu is listed twice among the sorting columns", o->sorting_columns[i].column);
    KN_RETURN_ERROR_IF(o->metadata_count && !o->metadata, err, KN_E_USAGE,
                       "%zu metadata entries but no array", o->metadata_count);
    for (size_t i = 0; i < o->metadata_count; i++)
        KN_RETURN_ERROR_IF(!o->metadata[i].key, err, KN_E_USAGE, "metadata entry %zu has no key", i);
    return KN_OK;
}

static void writer_free(kn_pq_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->ncols; i++) kn_pq_column_free(w->cols[i]);
    kn_free(w->cols);
    kn_free(w->leaves);
    for (size_t i = 0; i < w->kv_count; i++) {
        kn_free((char *)w->kv[i].key);
        kn_free((char *)w->kv[i].value);
    }
    kn_free(w->kv);
    kn_free(w->created_by);
    kn_schema_free(w->schema);
    kn_buf_free(&w->rg_meta);
    kn_buf_free(&w->scratch);
    kn_buf_free(&w->col_index);
    kn_buf_free(&w->off_index);
    kn_free(w->refs);
    kn_pq_pool_free(w->pool);
    kn_free(w->col_st);
    kn_free(w->col_err);
    kn_free(w);
}

void kn_pq_writer_abort(kn_pq_writer *w) {
    if (!w) return;
    kn_sink_abort(w->sink);
    writer_free(w);
}

static kn_status create(kn_pq_writer *w, const kn_schema *schema, const kn_pq_options *opt,
                        kn_error *err) {
    KN_TRY(kn__pq_check_options(opt, err));
    KN_RETURN_ERROR_IF(!schema || schema->num_fields == 0, err, KN_E_USAGE,
                       "a Parquet file needs at least one column");
    KN_TRY(kn__pq_check_sorting(opt, schema->num_fields, err));
    /* Types first, on the caller's schema: a copy would fail on an unknown type as if memory
     * had run out. */
    for (size_t i = 0; i < schema->num_fields; i++) {
        kn_pq_leaf probe;
        KN_TRY(kn_pq_leaf_init(&schema->fields[i], opt->timestamp_int96, &probe, err));
    }
    w->opt = *opt;
    w->schema = kn_schema_copy(schema);
    w->created_by = kn_strdup(opt->created_by ? opt->created_by : kn_pq_created_by());
    if (!w->schema || !w->created_by) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    w->opt.created_by = w->created_by;
    if (opt->metadata_count) {
        w->kv = kn_calloc(opt->metadata_count, sizeof *w->kv);
        if (!w->kv) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; i < opt->metadata_count; i++) {
            w->kv_count++;
            w->kv[i].key = kn_strdup(opt->metadata[i].key);
            w->kv[i].value = opt->metadata[i].value ? kn_strdup(opt->metadata[i].value) : NULL;
            if (!w->kv[i].key || (opt->metadata[i].value && !w->kv[i].value))
                return kn_error_set(err, KN_E_NOMEM, "out of memory");
        }
    }
    w->opt.metadata = w->kv;
    size_t n = w->schema->num_fields;
    w->leaves = kn_calloc(n, sizeof *w->leaves);
    w->cols = kn_calloc(n, sizeof *w->cols);
    if (!w->leaves || !w->cols) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (opt->threads > 1 && n > 1) {
        w->col_st = kn_calloc(n, sizeof *w->col_st);
        w->col_err = kn_calloc(n, sizeof *w->col_err);
        if (!w->col_st || !w->col_err) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        int helpers = opt->threads - 1 < (int)n - 1 ? opt->threads - 1 : (int)n - 1;
        KN_TRY(kn_pq_pool_create(helpers, &w->pool, err));
    }
    for (size_t i = 0; i < n; i++) {
        KN_TRY(kn_pq_leaf_init(&w->schema->fields[i], opt->timestamp_int96, &w->leaves[i], err));
        w->ncols++;
    }
    /* A column writer made and dropped, so options the codec refuses fail here, not later. */
    kn_pq_column *probe;
    KN_TRY(kn_pq_column_create(&w->leaves[0], &w->opt, &probe, err));
    kn_pq_column_free(probe);
    return kn_sink_write(w->sink, "PAR1", 4, err);
}

kn_status kn_pq_writer_create(const kn_schema *schema, kn_sink *sink, const kn_pq_options *opt,
                              kn_pq_writer **out, kn_error *err) {
    *out = NULL;
    kn_pq_options defaults;
    if (!opt) {
        kn_pq_options_init(&defaults);
        opt = &defaults;
    }
    kn_pq_writer *w = kn_calloc(1, sizeof *w);
    if (!w) {
        kn_sink_abort(sink);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating a Parquet writer");
    }
    w->sink = sink;
    kn_status st = create(w, schema, opt, err);
    if (st != KN_OK) {
        kn_pq_writer_abort(w);
        return st;
    }
    *out = w;
    return KN_OK;
}

/* ---- row groups -------------------------------------------------------------------------- */

/* Runs `step` on every column: on the calling thread, or with threads > 1 on the pool's helpers
 * too (columns share nothing: kn_pq_column.h). The error reported is that of the first failing
 * column, so it does not depend on which thread was quicker. */
typedef enum { STEP_WRITE, STEP_FINISH } col_step;

typedef struct col_job {
    kn_pq_writer *w;
    col_step step;
    const kn_batch *batch;
    size_t row, n;
} col_job;

static void run_column(void *ctx, size_t i) {
    col_job *j = ctx;
    kn_pq_writer *w = j->w;
    kn_error_reset(&w->col_err[i]);
    w->col_st[i] = j->step == STEP_WRITE ? kn_pq_column_write(w->cols[i], &j->batch->columns[i], j->row, j->n, &w->col_err[i])
                                         : kn_pq_column_finish(w->cols[i], &w->col_err[i]);
}

static kn_status each_column(kn_pq_writer *w, col_step step, const kn_batch *batch, size_t row, size_t n,
                             kn_error *err) {
    if (!w->pool) {
        for (size_t i = 0; i < w->ncols; i++)
            KN_TRY(step == STEP_WRITE ? kn_pq_column_write(w->cols[i], &batch->columns[i], row, n, err)
                                      : kn_pq_column_finish(w->cols[i], err));
        return KN_OK;
    }
    col_job j = {w, step, batch, row, n};
    kn_pq_pool_run(w->pool, w->ncols, run_column, &j);
    for (size_t i = 0; i < w->ncols; i++) {
        if (w->col_st[i] != KN_OK) {
            if (err) *err = w->col_err[i];
            return w->col_st[i];
        }
    }
    return KN_OK;
}

/* Serializes the page index of the chunk whose ColumnChunk struct `t` (onto w->scratch) has just
 * ended, for data pages at file offset `data_start`. */
static kn_status add_page_index(kn_pq_writer *w, const kn_pq_page_index *pi, uint64_t data_start, const kn_tc *t,
                                kn_error *err) {
    if (t->failed) return kn_tc_status(t, err);
    if (w->num_refs == w->cap_refs) {
        size_t cap = w->cap_refs ? w->cap_refs * 2 : 64;
        index_ref *r = kn_realloc(w->refs, cap * sizeof *r);
        if (!r) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        w->refs = r;
        w->cap_refs = cap;
    }
    index_ref *r = &w->refs[w->num_refs];
    r->meta_end = w->scratch.len - 1; /* in scratch until end_row_group moves it to rg_meta */
    r->ci_at = w->col_index.len;
    r->oi_at = w->off_index.len;
    KN_TRY(kn_pq_page_index_write(pi, data_start, &w->col_index, &w->off_index, err));
    KN_RETURN_ERROR_IF(w->col_index.len - r->ci_at > INT32_MAX || w->off_index.len - r->oi_at > INT32_MAX, err, KN_E_DATA,
                       "a column chunk's page index passes 2 GiB");
    r->ci_len = (uint32_t)(w->col_index.len - r->ci_at);
    r->oi_len = (uint32_t)(w->off_index.len - r->oi_at);
    w->num_refs++;
    return KN_OK;
}

/* Ends the RowGroup struct opened in `t` (after its columns list) and keeps it for the footer;
 * its chunks' index_refs start at `first_ref`. */
static kn_status end_row_group(kn_pq_writer *w, kn_tc *t, size_t first_ref, uint64_t rows, uint64_t start,
                               uint64_t total_unc, uint64_t total_comp, kn_error *err) {
    kn_tc_field_i64(t, 2, (int64_t)total_unc); /* total_byte_size: the uncompressed sum */
    kn_tc_field_i64(t, 3, (int64_t)rows);
    if (w->opt.num_sorting_columns) {
        kn_tc_field_list_begin(t, 4, KN_TC_STRUCT, w->opt.num_sorting_columns);
        for (size_t i = 0; i < w->opt.num_sorting_columns; i++) {
            const kn_pq_sorting_column *sc = &w->opt.sorting_columns[i];
            kn_tc_struct_begin(t); /* SortingColumn: every field required */
            kn_tc_field_i32(t, 1, (int32_t)sc->column);
            kn_tc_field_bool(t, 2, sc->descending);
            kn_tc_field_bool(t, 3, sc->nulls_first);
            kn_tc_struct_end(t);
        }
    }
    kn_tc_field_i64(t, 5, (int64_t)start); /* file_offset: the first chunk's first byte */
    kn_tc_field_i64(t, 6, (int64_t)total_comp);
    if (w->num_row_groups <= INT16_MAX) kn_tc_field_i16(t, 7, (int16_t)w->num_row_groups);
    kn_tc_struct_end(t);
    KN_TRY(kn_tc_status(t, err));
    for (size_t i = first_ref; i < w->num_refs; i++) w->refs[i].meta_end += w->rg_meta.len;
    KN_TRY(kn_buf_append_or_fail(&w->rg_meta, w->scratch.data, w->scratch.len, err));
    w->num_row_groups++;
    w->num_rows += rows;
    return KN_OK;
}

static kn_status flush_row_group(kn_pq_writer *w, kn_error *err) {
    if (w->rg_rows == 0) return KN_OK;
    uint64_t start = kn_sink_offset(w->sink), at = start;
    uint64_t total_unc = 0, total_comp = 0;
    size_t first_ref = w->num_refs;
    kn_buf_clear(&w->scratch);
    kn_tc t;
    kn_tc_init(&t, &w->scratch);
    kn_tc_struct_begin(&t); /* RowGroup */
    kn_tc_field_list_begin(&t, 1, KN_TC_STRUCT, w->ncols);
    KN_TRY(each_column(w, STEP_FINISH, NULL, 0, 0, err));
    for (size_t i = 0; i < w->ncols; i++) {
        kn_pq_column *c = w->cols[i];
        kn_pq_chunk_bytes b;
        kn_pq_column_bytes(c, &b);
        kn_pq_column_write_meta(c, at, &t);
        KN_TRY(add_page_index(w, kn_pq_column_page_index(c), at + b.dict_len, &t, err));
        if (b.dict_len) KN_TRY(kn_sink_write(w->sink, b.dict, b.dict_len, err));
        KN_TRY(kn_sink_write(w->sink, b.data, b.data_len, err));
        at += b.total_compressed;
        total_unc += b.total_uncompressed;
        total_comp += b.total_compressed;
        kn_pq_column_reset(c);
    }
    KN_TRY(end_row_group(w, &t, first_ref, w->rg_rows, start, total_unc, total_comp, err));
    w->rg_rows = 0;
    w->rg_bits = 0;
    return KN_OK;
}

static kn_status write_rowgroup(kn_pq_writer *w, const kn_pq_rowgroup *rg, kn_error *err) {
    KN_RETURN_ERROR_IF(w->rg_rows != 0, err, KN_E_USAGE,
                       "an encoded row group cannot follow rows buffered by kn_pq_writer_write");
    size_t n;
    const kn_pq_chunk *chunks = kn__pq_rowgroup_chunks(rg, &n);
    KN_RETURN_ERROR_IF(!chunks, err, KN_E_USAGE, "the row group is not encoded yet");
    KN_RETURN_ERROR_IF(n != w->ncols, err, KN_E_USAGE, "the row group has %zu columns but the Parquet file has %zu",
                       n, w->ncols);
    for (size_t i = 0; i < n; i++)
        KN_RETURN_ERROR_IF(chunks[i].physical != w->leaves[i].physical || strcmp(chunks[i].name, w->leaves[i].name) != 0,
                           err, KN_E_USAGE, "column %zu of the row group ('%s') is not the file's ('%s')", i,
                           chunks[i].name, w->leaves[i].name);
    uint64_t rows = kn_pq_rowgroup_rows(rg);
    if (rows == 0) return KN_OK;
    uint64_t start = kn_sink_offset(w->sink), at = start;
    uint64_t total_unc = 0, total_comp = 0;
    size_t first_ref = w->num_refs;
    /* Every chunk's pages in one gathered write: a file per small folder would otherwise take
     * two write calls a column. */
    kn_iovec *pieces = kn_malloc(2 * n * sizeof *pieces);
    if (!pieces) return kn_error_set(err, KN_E_NOMEM, "out of memory writing a row group");
    kn_buf_clear(&w->scratch);
    kn_tc t;
    kn_tc_init(&t, &w->scratch);
    kn_tc_struct_begin(&t); /* RowGroup */
    kn_tc_field_list_begin(&t, 1, KN_TC_STRUCT, n);
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        const kn_pq_chunk *ch = &chunks[i];
        kn_pq_chunk_write_meta(ch, at, &t);
        st = add_page_index(w, &ch->index, at + ch->dict.len, &t, err);
        pieces[2 * i] = (kn_iovec){ch->dict.data, ch->dict.len};
        pieces[2 * i + 1] = (kn_iovec){ch->data.data, ch->data.len};
        at += kn_pq_chunk_compressed(ch);
        total_unc += kn_pq_chunk_uncompressed(ch);
        total_comp += kn_pq_chunk_compressed(ch);
    }
    if (st == KN_OK) st = kn_sink_writev(w->sink, pieces, 2 * n, err);
    kn_free(pieces);
    KN_TRY(st);
    return end_row_group(w, &t, first_ref, rows, start, total_unc, total_comp, err);
}

kn_status kn_pq_writer_write_rowgroup(kn_pq_writer *w, const kn_pq_rowgroup *rg, kn_error *err) {
    KN_RETURN_ERROR_IF(w->failed, err, KN_E_USAGE, "the Parquet writer failed earlier; abort it");
    kn_status st = write_rowgroup(w, rg, err);
    if (st != KN_OK) w->failed = true;
    return st;
}

static uint64_t estimate_bits(const kn_pq_writer *w, const kn_batch *batch, size_t a, size_t b) {
    return kn__pq_estimate_bits(w->leaves, w->ncols, batch, a, b);
}

/* The column writers, made on first use (see cols). */
static kn_status ensure_columns(kn_pq_writer *w, kn_error *err) {
    for (size_t i = 0; i < w->ncols; i++)
        if (!w->cols[i]) KN_TRY(kn_pq_column_create(&w->leaves[i], &w->opt, &w->cols[i], err));
    return KN_OK;
}

static kn_status write_batch(kn_pq_writer *w, const kn_batch *batch, kn_error *err) {
    KN_TRY(kn__pq_check_batch(w->leaves, w->ncols, batch, err));
    KN_TRY(ensure_columns(w, err));
    const uint64_t target = (uint64_t)w->opt.row_group_bytes * 8;
    size_t row = 0, n = batch->num_rows;
    while (row < n) {
        /* The fewest rows that bring the row group to its target, or all that are left. */
        size_t take = n - row;
        uint64_t room = target - w->rg_bits;
        if (estimate_bits(w, batch, row, n) >= room) {
            size_t lo = 1, hi = n - row; /* estimate(row, row + hi) reaches the target */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (estimate_bits(w, batch, row, row + mid) >= room)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            take = lo;
        }
        uint64_t bits = estimate_bits(w, batch, row, row + take);
        KN_TRY(each_column(w, STEP_WRITE, batch, row, take, err));
        w->rg_rows += take;
        w->rg_bits += bits;
        row += take;
        if (w->rg_bits >= target) KN_TRY(flush_row_group(w, err));
    }
    return KN_OK;
}

kn_status kn_pq_writer_write(kn_pq_writer *w, const kn_batch *batch, kn_error *err) {
    KN_RETURN_ERROR_IF(w->failed, err, KN_E_USAGE, "the Parquet writer failed earlier; abort it");
    kn_status st = write_batch(w, batch, err);
    if (st != KN_OK) w->failed = true;
    return st;
}

uint64_t kn_pq_writer_bytes(const kn_pq_writer *w) {
    uint64_t n = kn_sink_offset(w->sink);
    for (size_t i = 0; i < w->ncols; i++)
        if (w->cols[i]) n += kn_pq_column_buffered(w->cols[i]);
    return n;
}

/* ---- footer ------------------------------------------------------------------------------ */

/* Appends the RowGroup structs to the footer in `t`, each ColumnChunk with its page index's place
 * (ColumnIndexes from `ci_start`, OffsetIndexes from `oi_start`) spliced in before its STOP byte:
 * its last field is ColumnMetaData (3), so the spliced fields continue from id 3. */
static kn_status splice_row_groups(kn_pq_writer *w, uint64_t ci_start, uint64_t oi_start, kn_tc *t, kn_error *err) {
    size_t pos = 0;
    for (size_t i = 0; i < w->num_refs; i++) {
        const index_ref *r = &w->refs[i];
        KN_RETURN_ERROR_IF(r->meta_end < pos || r->meta_end >= w->rg_meta.len || w->rg_meta.data[r->meta_end] != KN_TC_STOP,
                           err, KN_E_INTERNAL, "a column chunk's footer entry is not where the writer left it");
        KN_TRY(kn_buf_append_or_fail(&w->scratch, w->rg_meta.data + pos, r->meta_end - pos, err));
        kn_tc_struct_resume(t, 3);
        kn_tc_field_i64(t, 4, (int64_t)(oi_start + r->oi_at));
        kn_tc_field_i32(t, 5, (int32_t)r->oi_len);
        if (r->ci_len) {
            kn_tc_field_i64(t, 6, (int64_t)(ci_start + r->ci_at));
            kn_tc_field_i32(t, 7, (int32_t)r->ci_len);
        }
        kn_tc_struct_end(t);
        KN_TRY(kn_tc_status(t, err));
        pos = r->meta_end + 1;
    }
    return kn_buf_append_or_fail(&w->scratch, w->rg_meta.data + pos, w->rg_meta.len - pos, err);
}

/* The page indexes, then the footer. */
static kn_status write_footer(kn_pq_writer *w, kn_error *err) {
    uint64_t ci_start = kn_sink_offset(w->sink);
    uint64_t oi_start = ci_start + w->col_index.len;
    kn_buf_clear(&w->scratch);
    kn_tc t;
    kn_tc_init(&t, &w->scratch);
    kn_tc_struct_begin(&t); /* FileMetaData */
    kn_tc_field_i32(&t, 1, 1);
    kn_pq_schema_write(&t, 2, w->leaves, w->ncols);
    kn_tc_field_i64(&t, 3, (int64_t)w->num_rows);
    kn_tc_field_list_begin(&t, 4, KN_TC_STRUCT, w->num_row_groups);
    /* Each RowGroup struct was encoded when its row group ended; list elements carry no field ids,
     * so they splice in as they are, but for their chunks' page index fields. */
    KN_TRY(kn_tc_status(&t, err));
    if (w->rg_meta.len) KN_TRY(splice_row_groups(w, ci_start, oi_start, &t, err));
    if (w->kv_count) {
        kn_tc_field_list_begin(&t, 5, KN_TC_STRUCT, w->kv_count);
        for (size_t i = 0; i < w->kv_count; i++) {
            kn_tc_struct_begin(&t);
            kn_tc_field_string(&t, 1, w->kv[i].key);
            if (w->kv[i].value) kn_tc_field_string(&t, 2, w->kv[i].value);
            kn_tc_struct_end(&t);
        }
    }
    kn_tc_field_string(&t, 6, w->created_by);
    kn_tc_field_list_begin(&t, 7, KN_TC_STRUCT, w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        kn_tc_struct_begin(&t); /* ColumnOrder union */
        kn_tc_field_empty_struct(&t, 1); /* TYPE_ORDER */
        kn_tc_struct_end(&t);
    }
    kn_tc_struct_end(&t);
    KN_TRY(kn_tc_status(&t, err));
    KN_RETURN_ERROR_IF(w->scratch.len > UINT32_MAX, err, KN_E_DATA,
                       "the Parquet footer would be %zu bytes, past its 4 GiB limit", w->scratch.len);
    uint8_t tail[8];
    uint32_t len = (uint32_t)w->scratch.len;
    memcpy(tail, &len, 4);
    memcpy(tail + 4, "PAR1", 4);
    const kn_iovec pieces[] = {{w->col_index.data, w->col_index.len}, {w->off_index.data, w->off_index.len},
                               {w->scratch.data, w->scratch.len}, {tail, 8}};
    return kn_sink_writev(w->sink, pieces, 4, err);
}

kn_status kn_pq_writer_close(kn_pq_writer *w, kn_pq_file_info *info, kn_error *err) {
    if (w->failed) {
        kn_pq_writer_abort(w);
        return kn_error_set(err, KN_E_USAGE, "the Parquet writer failed earlier; nothing was published");
    }
    kn_status st = flush_row_group(w, err);
    if (st == KN_OK) st = write_footer(w, err);
    if (st != KN_OK) {
        kn_pq_writer_abort(w);
        return st;
    }
    kn_pq_file_info fi = {w->num_rows, kn_sink_offset(w->sink), w->num_row_groups};
    kn_sink *sink = w->sink;
    w->sink = NULL;
    writer_free(w);
    st = kn_sink_close(sink, err);
    if (st == KN_OK && info) *info = fi;
    return st;
}
