/* tests/parquet_read/test_pqr_index.c: the page index reader (kn_pqr_index.h) on hand-made
 * OffsetIndex and ColumnIndex bytes (every field, unknown ones, damage), and on the page indexes
 * of the parquet-testing corpus, whose OffsetIndexes must point at the very page headers the
 * page walk finds. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kn_file.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_pqr_index.h"
#include "kn_stream.h"
#include "pqr_test_tc.h"
#include "test_pqr.h"

/* An OffsetIndex of 3 pages and a ColumnIndex of 3 pages (the second a null page), with
 * nan_counts, level histograms and unknown fields, back to back after 4 filler bytes. */
static void index_bytes(kn_buf *file, size_t *oi_len, size_t *ci_len, bool unknown) {
    tw w;
    tw_init(&w);
    for (int i = 0; i < 4; i++) tw_byte(&w, 'x');
    tw_struct_begin(&w, -1); /* OffsetIndex */
    tw_list(&w, 1, KN_TC_STRUCT, 3);
    for (int k = 0; k < 3; k++) {
        tw_struct_begin(&w, -1);
        tw_i64(&w, 1, 1000 + 100 * k);
        tw_i32(&w, 2, 90 + k);
        tw_i64(&w, 3, 500 * k);
        if (unknown) tw_unknown_fields(&w, 10);
        tw_struct_end(&w);
    }
    tw_list(&w, 2, KN_TC_I64, 3);
    for (int k = 0; k < 3; k++) tw_zigzag(&w, 7 * k);
    if (unknown) tw_unknown_fields(&w, 20);
    tw_struct_end(&w);
    *oi_len = w.b.len - 4;
    tw_struct_begin(&w, -1); /* ColumnIndex */
    tw_list(&w, 1, KN_TC_BOOL_TRUE, 3);
    tw_byte(&w, 2); /* false */
    tw_byte(&w, 1); /* true */
    tw_byte(&w, 0); /* false, as some writers spell it */
    static const char *const mins[3] = {"a", "", "m"}, *const maxs[3] = {"f", "", "zz"};
    tw_list(&w, 2, KN_TC_BINARY, 3);
    for (int k = 0; k < 3; k++) {
        tw_varint(&w, strlen(mins[k]));
        for (const char *c = mins[k]; *c; c++) tw_byte(&w, (uint8_t)*c);
    }
    tw_list(&w, 3, KN_TC_BINARY, 3);
    for (int k = 0; k < 3; k++) {
        tw_varint(&w, strlen(maxs[k]));
        for (const char *c = maxs[k]; *c; c++) tw_byte(&w, (uint8_t)*c);
    }
    tw_i32(&w, 4, KN_PQR_BOUNDARY_ASCENDING);
    tw_list(&w, 5, KN_TC_I64, 3);
    tw_zigzag(&w, 0);
    tw_zigzag(&w, 500);
    tw_zigzag(&w, 3);
    tw_list(&w, 6, KN_TC_I64, 2);
    tw_zigzag(&w, 1);
    tw_zigzag(&w, 2);
    tw_list(&w, 7, KN_TC_I64, 6);
    for (int k = 0; k < 6; k++) tw_zigzag(&w, k);
    tw_list(&w, 8, KN_TC_I64, 3);
    tw_zigzag(&w, 4);
    tw_zigzag(&w, 0);
    tw_zigzag(&w, 1);
    if (unknown) tw_unknown_fields(&w, 30);
    tw_struct_end(&w);
    *ci_len = w.b.len - 4 - *oi_len;
    kn_buf_clear(file);
    kn_buf_append(file, w.b.data, w.b.len);
    tw_free(&w);
}

static kn_pqr_column_chunk chunk_at(int64_t oi_off, int32_t oi_len, int64_t ci_off, int32_t ci_len) {
    kn_pqr_column_chunk cc;
    memset(&cc, 0, sizeof cc);
    cc.has_offset_index_offset = cc.has_offset_index_length = oi_off >= 0;
    cc.offset_index_offset = oi_off;
    cc.offset_index_length = oi_len;
    cc.has_column_index_offset = cc.has_column_index_length = ci_off >= 0;
    cc.column_index_offset = ci_off;
    cc.column_index_length = ci_len;
    return cc;
}

static kn_status read_index(const kn_buf *file, const kn_pqr_column_chunk *cc, kn_pqr_page_index **pi, kn_error *e) {
    kn_source *src = kn_mem_source_create(file->data, file->len, "idx.parquet");
    kn_error_reset(e);
    kn_status st = kn_pqr_page_index_read(src, cc, pi, e);
    kn_source_free(src);
    return st;
}

START_TEST(every_page_index_field_decodes_and_unknown_ones_are_skipped)
{
    for (int unknown = 0; unknown < 2; unknown++) {
        kn_buf file = KN_BUF_INIT;
        size_t oi_len, ci_len;
        index_bytes(&file, &oi_len, &ci_len, unknown);
        kn_pqr_column_chunk cc = chunk_at(4, (int32_t)oi_len, 4 + (int64_t)oi_len, (int32_t)ci_len);
        kn_pqr_page_index *pi = NULL;
        kn_error e;
        ck_assert_msg(read_index(&file, &cc, &pi, &e) == KN_OK, "%s", e.what);
        ck_assert(pi->has_offset_index && pi->has_column_index);
        const kn_pqr_offset_index *oi = &pi->offset_index;
        ck_assert_uint_eq(oi->num_page_locations, 3);
        for (int k = 0; k < 3; k++) {
            ck_assert_int_eq(oi->page_locations[k].offset, 1000 + 100 * k);
            ck_assert_int_eq(oi->page_locations[k].compressed_page_size, 90 + k);
            ck_assert_int_eq(oi->page_locations[k].first_row_index, 500 * k);
            ck_assert_int_eq(oi->unencoded_byte_array_data_bytes[k], 7 * k);
        }
        ck_assert_uint_eq(oi->num_unencoded_byte_array_data_bytes, 3);
        const kn_pqr_column_index *ci = &pi->column_index;
        ck_assert_uint_eq(ci->num_pages, 3);
        ck_assert(!ci->null_pages[0] && ci->null_pages[1] && !ci->null_pages[2]);
        ck_assert_uint_eq(ci->min_values[0].len, 1);
        ck_assert_int_eq(ci->min_values[0].data[0], 'a');
        ck_assert_uint_eq(ci->min_values[1].len, 0);
        ck_assert_ptr_nonnull(ci->min_values[1].data); /* present but empty */
        ck_assert_uint_eq(ci->max_values[2].len, 2);
        ck_assert_int_eq(ci->boundary_order, KN_PQR_BOUNDARY_ASCENDING);
        ck_assert_int_eq(ci->null_counts[1], 500);
        ck_assert_int_eq(ci->nan_counts[0], 4);
        ck_assert(ci->has_repetition_level_histograms && ci->has_definition_level_histograms);
        ck_assert_str_eq(kn_pqr_boundary_order_name(ci->boundary_order), "ASCENDING");
        ck_assert_ptr_null(kn_pqr_boundary_order_name(7));
        kn_pqr_page_index_free(pi);
        kn_buf_free(&file);
    }
}
END_TEST

START_TEST(absent_indexes_read_as_absent)
{
    kn_buf file = KN_BUF_INIT;
    size_t oi_len, ci_len;
    index_bytes(&file, &oi_len, &ci_len, false);
    kn_pqr_page_index *pi = NULL;
    kn_error e;
    kn_pqr_column_chunk none = chunk_at(-1, 0, -1, 0);
    ck_assert_int_eq(read_index(&file, &none, &pi, &e), KN_OK);
    ck_assert(!pi->has_offset_index && !pi->has_column_index);
    kn_pqr_page_index_free(pi);
    /* An OffsetIndex without a ColumnIndex is allowed (parquet.thrift), and kiln writes one
     * for columns whose bounds cannot be written. */
    kn_pqr_column_chunk oi_only = chunk_at(4, (int32_t)oi_len, -1, 0);
    ck_assert_int_eq(read_index(&file, &oi_only, &pi, &e), KN_OK);
    ck_assert(pi->has_offset_index && !pi->has_column_index);
    kn_pqr_page_index_free(pi);
    kn_buf_free(&file);
    kn_pqr_page_index_free(NULL);
}
END_TEST

START_TEST(every_prefix_and_every_bad_place_fails_cleanly)
{
    kn_buf file = KN_BUF_INIT;
    size_t oi_len, ci_len;
    index_bytes(&file, &oi_len, &ci_len, true);
    kn_pqr_page_index *pi = NULL;
    kn_error e;
    /* Cut short anywhere: KN_E_FORMAT, nothing returned, nothing leaked (sanitizer builds). */
    for (size_t n = 1; n < oi_len; n++) {
        kn_pqr_column_chunk cc = chunk_at(4, (int32_t)n, -1, 0);
        ck_assert_msg(read_index(&file, &cc, &pi, &e) == KN_E_FORMAT, "OffsetIndex cut at %zu", n);
        ck_assert_ptr_null(pi);
    }
    for (size_t n = 1; n < ci_len; n++) {
        kn_pqr_column_chunk cc = chunk_at(4, (int32_t)oi_len, 4 + (int64_t)oi_len, (int32_t)n);
        ck_assert_msg(read_index(&file, &cc, &pi, &e) == KN_E_FORMAT, "ColumnIndex cut at %zu", n);
        ck_assert_ptr_null(pi);
    }
    /* Outside the file, negative, or empty. */
    static const int64_t offs[] = {-1, 4, 4, 1 << 20};
    static const int32_t lens[] = {10, 0, 1 << 20, 10};
    for (size_t k = 0; k < 4; k++) {
        kn_pqr_column_chunk cc = chunk_at(0, 1, -1, 0);
        cc.offset_index_offset = offs[k];
        cc.offset_index_length = lens[k];
        ck_assert_int_eq(read_index(&file, &cc, &pi, &e), KN_E_FORMAT);
        ck_assert_msg(strstr(e.what, "does not lie within the file"), "%s", e.what);
    }
    /* A ColumnIndex of 3 pages against an OffsetIndex of 2. */
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_list(&w, 1, KN_TC_STRUCT, 2);
    for (int k = 0; k < 2; k++) {
        tw_struct_begin(&w, -1);
        tw_i64(&w, 1, 100);
        tw_i32(&w, 2, 10);
        tw_i64(&w, 3, k);
        tw_struct_end(&w);
    }
    tw_struct_end(&w);
    size_t two_len = w.b.len;
    kn_buf_append(&w.b, file.data + 4 + oi_len, ci_len);
    kn_pqr_column_chunk cc = chunk_at(0, (int32_t)two_len, (int64_t)two_len, (int32_t)ci_len);
    kn_buf other = KN_BUF_INIT;
    kn_buf_append(&other, w.b.data, w.b.len);
    ck_assert_int_eq(read_index(&other, &cc, &pi, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "describes 3 pages but the OffsetIndex locates 2"), "%s", e.what);
    /* ColumnIndex lists of different lengths. */
    tw_free(&w);
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_list(&w, 1, KN_TC_BOOL_TRUE, 2);
    tw_byte(&w, 2);
    tw_byte(&w, 2);
    tw_list(&w, 2, KN_TC_BINARY, 1);
    tw_varint(&w, 0);
    tw_struct_end(&w);
    kn_buf_clear(&other);
    kn_buf_append(&other, w.b.data, w.b.len);
    cc = chunk_at(-1, 0, 0, (int32_t)w.b.len);
    ck_assert_int_eq(read_index(&other, &cc, &pi, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "min_values has 1 entries"), "%s", e.what);
    tw_free(&w);
    kn_buf_free(&other);
    kn_buf_free(&file);
}
END_TEST

/* The corpus files with page indexes: every OffsetIndex location is a data page header the
 * page walk reaches, its size is that header plus its compressed body, first rows grow from
 * 0, and a ColumnIndex lists as many pages. */
static void collect(const char *dir, char **out, size_t *n, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        size_t len = strlen(path);
        if (S_ISDIR(st.st_mode)) collect(path, out, n, cap);
        else if (len > 8 && !strcmp(path + len - 8, ".parquet") && *n < cap) out[(*n)++] = strdup(path);
    }
    closedir(d);
}

START_TEST(corpus_offset_indexes_point_at_their_pages)
{
    char *paths[512];
    size_t n = 0, with_index = 0, pages = 0;
    collect(KN_TEST_CONFORMANCE_DIR "/parquet/data", paths, &n, 512);
    ck_assert_uint_gt(n, 40);
    kn_buf scratch = KN_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        kn_source *src = NULL;
        kn_pqr_meta *m = NULL;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_file_source_open(paths[i], &src, &e), KN_OK);
        if (kn_pqr_meta_read(src, &m, &e) != KN_OK) { /* the footer tests cover these */
            kn_source_free(src);
            free(paths[i]);
            continue;
        }
        bool counted = false;
        for (size_t g = 0; g < m->num_row_groups; g++) {
            for (size_t c = 0; c < m->row_groups[g].num_columns; c++) {
                const kn_pqr_column_chunk *cc = &m->row_groups[g].columns[c];
                if (!cc->has_offset_index_offset) continue;
                kn_pqr_page_index *pi = NULL;
                ck_assert_msg(kn_pqr_page_index_read(src, cc, &pi, &e) == KN_OK, "%s: %s", paths[i], e.what);
                if (!counted) with_index++;
                counted = true;
                const kn_pqr_offset_index *oi = &pi->offset_index;
                uint64_t start, len;
                ck_assert_int_eq(kn_pqr_chunk_range(&cc->meta_data, &start, &len, &e), KN_OK);
                for (size_t k = 0; k < oi->num_page_locations; k++) {
                    const kn_pqr_page_location *l = &oi->page_locations[k];
                    kn_pqr_page_header h;
                    size_t hlen;
                    ck_assert_msg(l->offset >= (int64_t)start && (uint64_t)l->offset < start + len, "%s: page %zu outside its chunk",
                                  paths[i], k);
                    ck_assert_msg(kn_pqr_page_header_read(src, (uint64_t)l->offset, start + len, &scratch, &h, &hlen, &e) == KN_OK,
                                  "%s: %s", paths[i], e.what);
                    ck_assert(h.type == KN_PQ_PAGE_DATA || h.type == KN_PQ_PAGE_DATA_V2);
                    ck_assert_int_eq(l->compressed_page_size, (int32_t)(hlen + (size_t)h.compressed_page_size));
                    if (k == 0) ck_assert_int_eq(l->first_row_index, 0);
                    else ck_assert_int_gt(l->first_row_index, oi->page_locations[k - 1].first_row_index);
                    pages++;
                }
                if (pi->has_column_index) ck_assert_uint_eq(pi->column_index.num_pages, oi->num_page_locations);
                kn_pqr_page_index_free(pi);
            }
        }
        kn_pqr_meta_free(m);
        kn_source_free(src);
        free(paths[i]);
    }
    kn_buf_free(&scratch);
    fprintf(stderr, "parquet_read page indexes: %zu corpus files with one, %zu pages located\n", with_index, pages);
    ck_assert_uint_ge(with_index, 10);
}
END_TEST

void pqr_add_index_tests(Suite *s) {
    TCase *tc = tcase_create("page_index");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_page_index_field_decodes_and_unknown_ones_are_skipped);
    tcase_add_test(tc, absent_indexes_read_as_absent);
    tcase_add_test(tc, every_prefix_and_every_bad_place_fails_cleanly);
    tcase_add_test(tc, corpus_offset_indexes_point_at_their_pages);
    suite_add_tcase(s, tc);
}
