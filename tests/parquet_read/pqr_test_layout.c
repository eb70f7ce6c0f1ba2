/* tests/parquet_read/pqr_test_layout.c: write a file with kiln's writer, read its footer and
 * pages back, and check the layout rules every file must follow. */
#include "pqr_test_layout.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kn_pq_format.h"
#include "kn_pqr_index.h"
#include "kn_stream.h"

/* --- writing ----------------------------------------------------------------------------- */

/* Writes `rows` rows, `batch_rows` at a time, into `out` (an in-memory file). */
void write_file(const kn_schema *schema, const kn_pq_options *opt, size_t rows, size_t batch_rows, fill_fn fill,
                void *ctx, kn_buf *out, kn_pq_file_info *info) {
    kn_error e;
    kn_error_reset(&e);
    kn_buf_clear(out);
    kn_sink *sink = kn_mem_sink_create(out);
    ck_assert_ptr_nonnull(sink);
    kn_pq_writer *w = NULL;
    ck_assert_msg(kn_pq_writer_create(schema, sink, opt, &w, &e) == KN_OK, "create: %s", e.what);
    kn_batch *b = NULL;
    ck_assert_int_eq(kn_batch_create(schema, batch_rows ? batch_rows : 1, &b, &e), KN_OK);
    for (size_t first = 0; first < rows; first += batch_rows) {
        size_t n = rows - first < batch_rows ? rows - first : batch_rows;
        kn_batch_clear(b);
        fill(b, first, n, ctx);
        ck_assert_int_eq(kn_batch_seal(b, &e), KN_OK);
        ck_assert_msg(kn_pq_writer_write(w, b, &e) == KN_OK, "write: %s", e.what);
    }
    kn_batch_free(b);
    kn_pq_file_info fi;
    ck_assert_msg(kn_pq_writer_close(w, &fi, &e) == KN_OK, "close: %s", e.what);
    ck_assert_uint_eq(fi.file_bytes, out->len);
    ck_assert_uint_eq(fi.num_rows, rows);
    if (info) *info = fi;
}

kn_pqr_meta *read_meta(const kn_buf *file) {
    kn_source *src = kn_mem_source_create(file->data, file->len, "kiln.parquet");
    kn_pqr_meta *m = NULL;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_pqr_meta_read(src, &m, &e) == KN_OK, "read back: %s (byte %lld)", e.what, (long long)e.byte_offset);
    kn_source_free(src);
    return m;
}

kn_schema *schema_of(const char *const *names, const kn_type *types, const bool *nullable, size_t n) {
    kn_schema *s = kn_schema_create();
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(kn_schema_add(s, names[i], types[i], nullable[i], NULL), KN_OK);
    return s;
}

/* --- pages ------------------------------------------------------------------------------- */

/* Every page of a chunk, from its first byte (dictionary page or first data page). */
void walk_chunk(const kn_buf *file, const kn_pqr_column_meta *cm, chunk_pages *out) {
    kn_source *src = kn_mem_source_create(file->data, file->len, "kiln.parquet");
    kn_buf scratch = KN_BUF_INIT;
    uint64_t start, len;
    kn_error e;
    kn_error_reset(&e);
    memset(out, 0, sizeof *out);
    ck_assert_int_eq(kn_pqr_chunk_range(cm, &start, &len, &e), KN_OK);
    size_t cap = 0;
    for (uint64_t off = start; off < start + len;) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->pages = realloc(out->pages, cap * sizeof *out->pages);
        }
        page_info *p = &out->pages[out->n++];
        p->offset = off;
        ck_assert_msg(kn_pqr_page_header_read(src, off, start + len, &scratch, &p->h, &p->header_len, &e) == KN_OK,
                      "page at %llu: %s", (unsigned long long)off, e.what);
        /* Statistics in the header point into scratch; the layout checks do not keep them. */
        memset(&p->h.data_page_header.statistics, 0, sizeof p->h.data_page_header.statistics);
        off += p->header_len + (uint64_t)p->h.compressed_page_size;
        out->compressed += p->header_len + (uint64_t)p->h.compressed_page_size;
        out->uncompressed += p->header_len + (uint64_t)p->h.uncompressed_page_size;
    }
    kn_buf_free(&scratch);
    kn_source_free(src);
}

bool has_encoding(const kn_pqr_column_meta *cm, int32_t enc) {
    for (size_t i = 0; i < cm->num_encodings; i++)
        if (cm->encodings[i] == enc) return true;
    return false;
}

int32_t encoding_stats_count(const kn_pqr_column_meta *cm, int32_t page_type, int32_t enc) {
    int32_t n = 0;
    for (size_t i = 0; i < cm->num_encoding_stats; i++)
        if (cm->encoding_stats[i].page_type == page_type && cm->encoding_stats[i].encoding == enc) n += cm->encoding_stats[i].count;
    return n;
}

/* --- page index ------------------------------------------------------------------------- */

static int64_t le_signed(const uint8_t *p, size_t len) {
    uint64_t v = 0;
    for (size_t i = len; i > 0; i--) v = v << 8 | p[i - 1];
    if (len && len < 8 && (p[len - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * len);
    return (int64_t)v;
}

/* Bounds as Parquet orders them for kiln's physical types, written apart from the writer's. */
int bound_cmp(int32_t physical, const kn_pqr_bytes *a, const kn_pqr_bytes *b) {
    switch (physical) {
    case KN_PQ_BOOLEAN:
    case KN_PQ_INT32:
    case KN_PQ_INT64: {
        int64_t x = le_signed(a->data, a->len), y = le_signed(b->data, b->len);
        return (x > y) - (x < y);
    }
    case KN_PQ_DOUBLE: {
        double x, y;
        ck_assert_uint_eq(a->len, 8);
        ck_assert_uint_eq(b->len, 8);
        memcpy(&x, a->data, 8);
        memcpy(&y, b->data, 8);
        return (x > y) - (x < y);
    }
    case KN_PQ_FIXED_LEN_BYTE_ARRAY: { /* kiln's only FLBA: big-endian two's complement decimals */
        ck_assert_uint_eq(a->len, b->len);
        if (a->len && (a->data[0] ^ 0x80) != (b->data[0] ^ 0x80)) return (a->data[0] ^ 0x80) < (b->data[0] ^ 0x80) ? -1 : 1;
        int c = a->len > 1 ? memcmp(a->data + 1, b->data + 1, a->len - 1) : 0;
        return (c > 0) - (c < 0);
    }
    default: { /* BYTE_ARRAY: unsigned bytes, a prefix first */
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->data, b->data, n) : 0;
        if (c) return (c > 0) - (c < 0);
        return (a->len > b->len) - (a->len < b->len);
    }
    }
}

void read_page_index(const kn_buf *file, const kn_pqr_column_chunk *cc, kn_pqr_page_index **out) {
    kn_source *src = kn_mem_source_create(file->data, file->len, "kiln.parquet");
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_pqr_page_index_read(src, cc, out, &e) == KN_OK, "page index: %s", e.what);
    kn_source_free(src);
}

/* 29: the chunk's OffsetIndex lists exactly its data pages (not the dictionary page), each at its
 * header's offset with its header in its size, first rows from 0 up; its ColumnIndex (unless its
 * bounds cannot be written) has one entry per page, null_pages exactly where a page holds only
 * nulls (with empty bounds there), null counts that add up to the chunk's, bounds whose least
 * and greatest are the chunk's statistics, and a boundary order the bounds bear out. */
static void check_page_index(const kn_buf *file, const kn_pqr_column_chunk *cc, const chunk_pages *pg, size_t first_data) {
    const kn_pqr_column_meta *cm = &cc->meta_data;
    ck_assert(cc->has_offset_index_offset && cc->has_offset_index_length);
    kn_pqr_page_index *pi;
    read_page_index(file, cc, &pi);
    ck_assert(pi->has_offset_index);
    const kn_pqr_offset_index *oi = &pi->offset_index;
    size_t n = pg->n - first_data;
    ck_assert_uint_eq(oi->num_page_locations, n);
    ck_assert(oi->unencoded_byte_array_data_bytes == NULL);
    int64_t row = 0;
    for (size_t k = 0; k < n; k++) {
        const page_info *p = &pg->pages[first_data + k];
        const kn_pqr_page_location *l = &oi->page_locations[k];
        ck_assert(KN_PQR_SEEN(l, 1) && KN_PQR_SEEN(l, 2) && KN_PQR_SEEN(l, 3));
        ck_assert_int_eq(l->offset, (int64_t)p->offset);
        ck_assert_int_eq(l->compressed_page_size, (int32_t)(p->header_len + (size_t)p->h.compressed_page_size));
        ck_assert_int_eq(l->first_row_index, row);
        row += p->h.data_page_header.num_values; /* flat columns: one value (or null) a row */
    }
    if (!cc->has_column_index_offset) {
        /* Only where a bound cannot be written: INT96, a DOUBLE page of NaN only, a string max
         * no 64-byte string bounds. */
        ck_assert(cm->type == KN_PQ_INT96 || cm->type == KN_PQ_DOUBLE || cm->type == KN_PQ_BYTE_ARRAY);
        ck_assert(!pi->has_column_index);
        kn_pqr_page_index_free(pi);
        return;
    }
    ck_assert(cc->has_column_index_length && pi->has_column_index);
    const kn_pqr_column_index *ci = &pi->column_index;
    ck_assert(KN_PQR_SEEN(ci, 1) && KN_PQR_SEEN(ci, 2) && KN_PQR_SEEN(ci, 3) && KN_PQR_SEEN(ci, 4));
    ck_assert_uint_eq(ci->num_pages, n);
    ck_assert_ptr_nonnull(ci->null_counts);
    ck_assert(cm->type == KN_PQ_DOUBLE ? ci->nan_counts != NULL : ci->nan_counts == NULL);
    int64_t nulls = 0, nans = 0;
    const kn_pqr_bytes *lo = NULL, *hi = NULL;
    bool asc = true, desc = true;
    const kn_pqr_bytes *prev_min = NULL, *prev_max = NULL;
    for (size_t k = 0; k < n; k++) {
        int32_t values = pg->pages[first_data + k].h.data_page_header.num_values;
        ck_assert_int_ge(ci->null_counts[k], 0);
        ck_assert_int_le(ci->null_counts[k], values);
        nulls += ci->null_counts[k];
        if (ci->nan_counts) nans += ci->nan_counts[k];
        ck_assert(ci->null_pages[k] == (ci->null_counts[k] == values));
        const kn_pqr_bytes *mn = &ci->min_values[k], *mx = &ci->max_values[k];
        if (ci->null_pages[k]) {
            ck_assert_uint_eq(mn->len, 0);
            ck_assert_uint_eq(mx->len, 0);
            continue;
        }
        ck_assert_int_le(bound_cmp(cm->type, mn, mx), 0);
        if (cm->type == KN_PQ_DOUBLE) { /* 21: never NaN; zeros signed */
            double a, b;
            memcpy(&a, mn->data, 8);
            memcpy(&b, mx->data, 8);
            ck_assert(a == a && b == b);
            ck_assert(a != 0 || signbit(a));
            ck_assert(b != 0 || !signbit(b));
        }
        if (!lo || bound_cmp(cm->type, mn, lo) < 0) lo = mn;
        if (!hi || bound_cmp(cm->type, mx, hi) > 0) hi = mx;
        if (prev_min) {
            int a = bound_cmp(cm->type, prev_min, mn), b = bound_cmp(cm->type, prev_max, mx);
            if (a > 0 || b > 0) asc = false;
            if (a < 0 || b < 0) desc = false;
        }
        prev_min = mn;
        prev_max = mx;
    }
    ck_assert_int_eq(nulls, cm->statistics.null_count);
    if (cm->type == KN_PQ_DOUBLE) {
        ck_assert(cm->statistics.has_nan_count);
        ck_assert_int_eq(nans, cm->statistics.nan_count);
    }
    if (lo) {
        ck_assert_int_eq(bound_cmp(cm->type, lo, &cm->statistics.min_value), 0);
        if (cm->statistics.max_value.data) ck_assert_int_eq(bound_cmp(cm->type, hi, &cm->statistics.max_value), 0);
    }
    int32_t want = asc ? KN_PQR_BOUNDARY_ASCENDING : desc ? KN_PQR_BOUNDARY_DESCENDING : KN_PQR_BOUNDARY_UNORDERED;
    ck_assert_int_eq(ci->boundary_order, want);
    kn_pqr_page_index_free(pi);
}

/* --- what every file must satisfy -------------------------------------------------------- */

void check_layout(const kn_buf *file, const kn_pqr_meta *m, const kn_schema *schema, int32_t codec,
                  layout_counts *counts) {
    layout_counts dummy;
    if (!counts) counts = &dummy;
    memset(counts, 0, sizeof *counts);
    kn_error e;
    kn_error_reset(&e);
    /* 3: every required field, deprecated ones included. */
    ck_assert_msg(kn_pqr_meta_check_required(m, &e) == KN_OK, "%s", e.what);
    /* 11: format version 1, the file's ends. */
    ck_assert_int_eq(m->version, 1);
    ck_assert(!memcmp(file->data, "PAR1", 4) && !memcmp(file->data + file->len - 4, "PAR1", 4));
    /* 10 */
    ck_assert_ptr_nonnull(m->created_by);
    ck_assert_msg(!strncmp(m->created_by, "kiln version ", 13), "created_by '%s'", m->created_by);
    /* 1, 2: the root has a name and num_children and no type or repetition; leaves have no
     * num_children. */
    const kn_pqr_schema_element *root = &m->schema[0];
    ck_assert(root->name[0] != '\0');
    ck_assert(root->has_num_children && !root->has_type && !root->has_repetition);
    ck_assert_int_eq(root->num_children, (int32_t)schema->num_fields);
    ck_assert_uint_eq(m->num_schema, schema->num_fields + 1);
    ck_assert_uint_eq(m->num_leaves, schema->num_fields);
    for (size_t i = 0; i < schema->num_fields; i++) {
        const kn_pqr_schema_element *el = &m->schema[i + 1];
        ck_assert_str_eq(el->name, schema->fields[i].name);
        ck_assert(el->has_type && el->has_repetition && !el->has_num_children);
        ck_assert_int_eq(el->repetition, schema->fields[i].nullable ? KN_PQ_OPTIONAL : KN_PQ_REQUIRED);
        /* 25, 26: no unsigned integers, no NANOS timestamps. */
        ck_assert(!(el->logical.kind == KN_PQR_LT_INTEGER && !el->logical.is_signed));
        ck_assert(!el->has_converted_type || el->converted_type < KN_PQ_CT_UINT_8 || el->converted_type > KN_PQ_CT_UINT_64);
        ck_assert(el->logical.kind != KN_PQR_LT_TIMESTAMP || el->logical.unit != KN_PQR_UNIT_NANOS);
    }
    /* 19: one TYPE_ORDER per leaf. */
    ck_assert(m->has_column_orders);
    ck_assert_uint_eq(m->num_column_orders, m->num_leaves);
    for (size_t i = 0; i < m->num_column_orders; i++) ck_assert_int_eq(m->column_orders[i], KN_PQR_ORDER_TYPE_DEFINED);

    /* 4: num_rows is the sum of the row groups'. Chunks tile the file from byte 4 to the footer. */
    int64_t rows = 0;
    uint64_t expect_start = 4;
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        rows += rg->num_rows;
        ck_assert_int_gt(rg->num_rows, 0);
        int64_t uncompressed = 0, compressed = 0;
        for (size_t c = 0; c < rg->num_columns; c++) {
            const kn_pqr_column_chunk *cc = &rg->columns[c];
            const kn_pqr_column_meta *cm = &cc->meta_data;
            const kn_pqr_leaf *lf = &m->leaves[c];
            ck_assert(cc->has_meta_data);
            ck_assert_ptr_null(cc->file_path);
            /* 29: no bloom filters (the page index is checked below). */
            ck_assert(!cc->meta_data.has_bloom_filter_offset);
            ck_assert_int_eq(cm->type, m->schema[lf->element].type);
            ck_assert_uint_eq(cm->path_len, 1);
            ck_assert_str_eq(cm->path_in_schema[0], lf->path);
            ck_assert_int_eq(cm->codec, codec);
            /* 4: each column's value count is the row group's rows (flat schema). */
            ck_assert_int_eq(cm->num_values, rg->num_rows);
            uint64_t start, len;
            ck_assert_int_eq(kn_pqr_chunk_range(cm, &start, &len, &e), KN_OK);
            ck_assert_uint_eq(start, expect_start);
            expect_start = start + len;
            /* 5: ColumnChunk.file_offset and RowGroup.file_offset point at the first byte. */
            ck_assert_int_eq(cc->file_offset, (int64_t)start);
            if (c == 0) {
                ck_assert(rg->has_file_offset);
                ck_assert_int_eq(rg->file_offset, (int64_t)start);
            }
            chunk_pages pg;
            walk_chunk(file, cm, &pg);
            ck_assert_uint_gt(pg.n, 0);
            /* 8: the totals include every page header, the dictionary's too. */
            ck_assert_uint_eq(pg.compressed, (uint64_t)cm->total_compressed_size);
            ck_assert_uint_eq(pg.uncompressed, (uint64_t)cm->total_uncompressed_size);
            uncompressed += cm->total_uncompressed_size;
            compressed += cm->total_compressed_size;
            size_t first_data = 0;
            int64_t values = 0;
            bool seen_plain = false;
            int32_t stats_dict = 0, stats_plain = 0, stats_rle_dict = 0;
            for (size_t k = 0; k < pg.n; k++) {
                const kn_pqr_page_header *h = &pg.pages[k].h;
                /* 18: headers stay small. */
                ck_assert_uint_lt(pg.pages[k].header_len, 1u << 20);
                if (h->type == KN_PQ_PAGE_DICTIONARY) {
                    /* 15: one dictionary page, first. */
                    ck_assert_uint_eq(k, 0);
                    ck_assert(h->has_dictionary_page_header);
                    ck_assert(h->dictionary_page_header.encoding == KN_PQ_ENC_PLAIN ||
                              h->dictionary_page_header.encoding == KN_PQ_ENC_PLAIN_DICTIONARY);
                    ck_assert(has_encoding(cm, h->dictionary_page_header.encoding));
                    counts->dictionary_pages++;
                    stats_dict++;
                    first_data = 1;
                    continue;
                }
                /* 12, 16: data page V1 only; RLE levels; PLAIN or RLE_DICTIONARY values. */
                ck_assert_int_eq(h->type, KN_PQ_PAGE_DATA);
                ck_assert(h->has_data_page_header && !h->has_data_page_header_v2);
                const kn_pqr_data_page_header *d = &h->data_page_header;
                ck_assert(KN_PQR_SEEN(d, 3) && KN_PQR_SEEN(d, 4));
                ck_assert_int_eq(d->definition_level_encoding, KN_PQ_ENC_RLE);
                ck_assert(d->encoding == KN_PQ_ENC_PLAIN || d->encoding == KN_PQ_ENC_RLE_DICTIONARY);
                ck_assert(has_encoding(cm, d->encoding));
                if (d->encoding == KN_PQ_ENC_RLE_DICTIONARY) {
                    /* 15: after a fallback every page is PLAIN; dictionary pages need the dictionary. */
                    ck_assert(!seen_plain);
                    ck_assert_uint_eq(first_data, 1);
                    stats_rle_dict++;
                    counts->dict_data_pages++;
                } else {
                    seen_plain = true;
                    stats_plain++;
                    counts->plain_pages++;
                }
                counts->data_pages++;
                values += d->num_values;
            }
            /* 13: page value counts (nulls included) add up to the chunk's. */
            ck_assert_int_eq(values, cm->num_values);
            /* 6, 7: data_page_offset is past the dictionary page and its header;
             * dictionary_page_offset only where a dictionary page exists, and never 0. */
            ck_assert_int_eq(cm->data_page_offset, (int64_t)pg.pages[first_data].offset);
            if (first_data) {
                ck_assert(cm->has_dictionary_page_offset);
                ck_assert_int_eq(cm->dictionary_page_offset, (int64_t)pg.pages[0].offset);
                ck_assert_int_gt(cm->dictionary_page_offset, 0);
            } else {
                ck_assert(!cm->has_dictionary_page_offset);
            }
            /* 15: encoding_stats say exactly which pages are which. */
            ck_assert(cm->has_encoding_stats);
            ck_assert_int_eq(encoding_stats_count(cm, KN_PQ_PAGE_DICTIONARY, KN_PQ_ENC_PLAIN) +
                                 encoding_stats_count(cm, KN_PQ_PAGE_DICTIONARY, KN_PQ_ENC_PLAIN_DICTIONARY),
                             stats_dict);
            ck_assert_int_eq(encoding_stats_count(cm, KN_PQ_PAGE_DATA, KN_PQ_ENC_PLAIN), stats_plain);
            ck_assert_int_eq(encoding_stats_count(cm, KN_PQ_PAGE_DATA, KN_PQ_ENC_RLE_DICTIONARY), stats_rle_dict);
            if (stats_plain) ck_assert(has_encoding(cm, KN_PQ_ENC_PLAIN));
            if (stats_rle_dict) ck_assert(has_encoding(cm, KN_PQ_ENC_RLE_DICTIONARY));
            /* 19: statistics with a null count on every chunk; 20: no deprecated min/max where
             * the order is not signed (strings compare as unsigned bytes). */
            const kn_pqr_stats *st = &cm->statistics;
            ck_assert(st->seen && st->has_null_count);
            ck_assert_int_ge(st->null_count, 0);
            ck_assert_int_le(st->null_count, cm->num_values);
            if (cm->type == KN_PQ_BYTE_ARRAY) ck_assert(!st->min.data && !st->max.data);
            /* nan_count exactly where parquet.thrift wants it (floating point, even when 0). */
            ck_assert(st->has_nan_count == (cm->type == KN_PQ_DOUBLE));
            if (st->has_nan_count) ck_assert_int_le(st->nan_count + st->null_count, cm->num_values);
            check_page_index(file, cc, &pg, first_data);
            free(pg.pages);
        }
        /* 9: total_byte_size is the uncompressed sum. */
        ck_assert_int_eq(rg->total_byte_size, uncompressed);
        if (rg->has_total_compressed_size) ck_assert_int_eq(rg->total_compressed_size, compressed);
    }
    ck_assert_int_eq(m->num_rows, rows);
    /* 29: after the last chunk, every ColumnIndex, then every OffsetIndex, back to back in row
     * group and column order, up to the footer (arrow-rs's and parquet-java's layout). */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t g = 0; g < m->num_row_groups; g++) {
            for (size_t c = 0; c < m->row_groups[g].num_columns; c++) {
                const kn_pqr_column_chunk *cc = &m->row_groups[g].columns[c];
                bool has = pass ? cc->has_offset_index_offset : cc->has_column_index_offset;
                if (!has) continue;
                int64_t off = pass ? cc->offset_index_offset : cc->column_index_offset;
                int32_t len = pass ? cc->offset_index_length : cc->column_index_length;
                ck_assert_int_eq(off, (int64_t)expect_start);
                ck_assert_int_gt(len, 0);
                expect_start += (uint64_t)len;
            }
        }
    }
    ck_assert_uint_eq(expect_start, m->footer_offset);
}

