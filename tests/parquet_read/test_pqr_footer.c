/* tests/parquet_read/test_pqr_footer.c: finding the footer in a file (magic, length, encrypted
 * footers) and page headers read from a source at an offset. */
#include <check.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_stream.h"
#include "pqr_test_tc.h"
#include "test_pqr.h"

static kn_status read_meta(const kn_buf *file, kn_pqr_meta **m, kn_error *e) {
    kn_source *src = kn_mem_source_create(file->data, file->len, "f.parquet");
    ck_assert_ptr_nonnull(src);
    kn_error_reset(e);
    kn_status st = kn_pqr_meta_read(src, m, e);
    kn_source_free(src);
    return st;
}

static void standard_file(kn_buf *file, size_t body) {
    tw w;
    footer_spec spec = {0};
    footer_build(&w, &spec);
    file_build(file, w.b.data, w.b.len, body);
    tw_free(&w);
}

START_TEST(a_valid_file_reads_and_says_where_its_footer_is)
{
    kn_buf file = KN_BUF_INIT;
    standard_file(&file, 2000);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_OK);
    ck_assert_uint_eq(m->file_size, file.len);
    ck_assert_uint_eq(m->footer_offset, 4 + 2000);
    ck_assert_uint_eq(m->footer_len, file.len - 2000 - 12);
    ck_assert_int_eq(m->num_rows, 5);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
}
END_TEST

START_TEST(files_shorter_than_twelve_bytes_fail_at_byte_zero)
{
    static const uint8_t bytes[12] = {'P', 'A', 'R', '1', 0, 0, 0, 0, 'P', 'A', 'R', '1'};
    for (size_t n = 0; n < 12; n++) {
        kn_buf file = KN_BUF_INIT;
        kn_buf_append(&file, bytes, n);
        kn_pqr_meta *m = NULL;
        kn_error e;
        ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
        ck_assert_ptr_null(m);
        ck_assert_int_eq(e.byte_offset, 0);
        ck_assert_msg(strstr(e.what, "too short"), "%s", e.what);
        kn_buf_free(&file);
    }
}
END_TEST

START_TEST(wrong_magic_fails_naming_the_bytes_and_offset)
{
    kn_buf file = KN_BUF_INIT;
    standard_file(&file, 10);
    kn_pqr_meta *m = NULL;
    kn_error e;
    file.data[0] = 'X';
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    ck_assert_str_eq(e.what, "not a Parquet file: it starts with \"XAR1\", not \"PAR1\"");
    ck_assert_int_eq(e.byte_offset, 0);
    file.data[0] = 'P';
    file.data[file.len - 1] = 0x01;
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    ck_assert_str_eq(e.what, "not a Parquet file: it ends with \"PAR\\x01\", not \"PAR1\"");
    ck_assert_int_eq(e.byte_offset, (int64_t)file.len - 4);
    char buf[256];
    kn_error_format(&e, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "f.parquet: byte "));
    kn_buf_free(&file);
}
END_TEST

START_TEST(a_footer_length_past_the_file_fails_at_the_length)
{
    kn_buf file = KN_BUF_INIT;
    standard_file(&file, 0);
    size_t at = file.len - 8;
    kn_pqr_meta *m = NULL;
    kn_error e;
    /* One byte too long: the footer would start inside the leading magic. */
    uint32_t len = (uint32_t)(file.len - 12 + 1);
    memcpy(file.data + at, &len, 4);
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "footer length") && strstr(e.what, "runs past the start of the file"), "%s", e.what);
    ck_assert_int_eq(e.byte_offset, (int64_t)at);
    len = 0xffffffffu;
    memcpy(file.data + at, &len, 4);
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    len = 0;
    memcpy(file.data + at, &len, 4);
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "footer length is 0"), "%s", e.what);
    ck_assert_ptr_null(m);
    kn_buf_free(&file);
}
END_TEST

START_TEST(a_shorter_footer_length_fails_inside_the_thrift)
{
    /* The length says less than the footer holds: the decoder runs out, at a byte inside it. */
    kn_buf file = KN_BUF_INIT;
    standard_file(&file, 0);
    size_t at = file.len - 8;
    uint32_t len;
    memcpy(&len, file.data + at, 4);
    uint32_t shorter = len - 7;
    memcpy(file.data + at, &shorter, 4);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_FORMAT);
    ck_assert_int_ge(e.byte_offset, 4 + 7);
    ck_assert_int_le(e.byte_offset, (int64_t)at);
    kn_buf_free(&file);
}
END_TEST

START_TEST(an_encrypted_footer_is_unsupported)
{
    /* Parquet modular encryption with an encrypted footer writes "PARE" at both ends. */
    kn_buf file = KN_BUF_INIT;
    standard_file(&file, 10);
    memcpy(file.data, "PARE", 4);
    memcpy(file.data + file.len - 4, "PARE", 4);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(read_meta(&file, &m, &e), KN_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.what, "encrypted Parquet footer is not supported"));
    ck_assert_ptr_null(m);
    kn_buf_free(&file);
}
END_TEST

/* --- page headers ------------------------------------------------------------------------ */

/* A DATA_PAGE header with statistics whose min_value is `stat_len` bytes of 'a'. */
static void data_page_header(tw *w, int num_values, size_t stat_len, bool unknown) {
    tw_init(w);
    tw_struct_begin(w, -1);
    if (unknown) tw_unknown_fields(w, 30);
    tw_i32(w, 1, KN_PQ_PAGE_DATA);
    tw_i32(w, 2, 120);
    tw_i32(w, 3, 100);
    tw_i32(w, 4, (int32_t)0xdeadbeef);
    tw_struct_begin(w, 5);
    tw_i32(w, 1, num_values);
    tw_i32(w, 2, KN_PQ_ENC_RLE_DICTIONARY);
    tw_i32(w, 3, KN_PQ_ENC_RLE);
    tw_i32(w, 4, KN_PQ_ENC_RLE);
    tw_struct_begin(w, 5);
    tw_i64(w, 3, 2);
    uint8_t *v = kn_malloc(stat_len + 1);
    memset(v, 'a', stat_len);
    tw_bin(w, 5, "z", 1);
    tw_bin(w, 6, v, stat_len);
    kn_free(v);
    tw_struct_end(w);
    tw_struct_end(w);
    tw_struct_end(w);
}

START_TEST(a_data_page_header_decodes_with_its_statistics)
{
    tw w;
    data_page_header(&w, 7, 3, true);
    kn_buf_append(&w.b, "page bytes follow", 17);
    kn_pqr_page_header h;
    size_t hlen;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pqr_page_header_decode(w.b.data, w.b.len, 50, "p", &h, &hlen, &e), KN_OK);
    ck_assert_uint_eq(hlen, w.b.len - 17);
    ck_assert_int_eq(h.type, KN_PQ_PAGE_DATA);
    ck_assert_int_eq(h.uncompressed_page_size, 120);
    ck_assert_int_eq(h.compressed_page_size, 100);
    ck_assert(h.has_crc && (uint32_t)h.crc == 0xdeadbeefu);
    ck_assert(h.has_data_page_header && !h.has_dictionary_page_header && !h.has_data_page_header_v2);
    ck_assert_int_eq(h.data_page_header.num_values, 7);
    ck_assert_int_eq(h.data_page_header.encoding, KN_PQ_ENC_RLE_DICTIONARY);
    ck_assert_int_eq(h.data_page_header.definition_level_encoding, KN_PQ_ENC_RLE);
    ck_assert(h.data_page_header.statistics.seen);
    ck_assert_int_eq(h.data_page_header.statistics.null_count, 2);
    ck_assert_uint_eq(h.data_page_header.statistics.min_value.len, 3);
    /* Page statistics borrow the input: no allocation for page headers. */
    ck_assert(h.data_page_header.statistics.min_value.data >= w.b.data &&
              h.data_page_header.statistics.min_value.data < w.b.data + w.b.len);
    tw_free(&w);
}
END_TEST

START_TEST(dictionary_and_v2_page_headers_decode)
{
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_i32(&w, 1, KN_PQ_PAGE_DICTIONARY);
    tw_i32(&w, 2, 10);
    tw_i32(&w, 3, 8);
    tw_struct_begin(&w, 7);
    tw_i32(&w, 1, 3);
    tw_i32(&w, 2, KN_PQ_ENC_PLAIN);
    tw_bool(&w, 3, true);
    tw_struct_end(&w);
    tw_struct_end(&w);
    kn_pqr_page_header h;
    size_t hlen;
    ck_assert_int_eq(kn_pqr_page_header_decode(w.b.data, w.b.len, 0, NULL, &h, &hlen, NULL), KN_OK);
    ck_assert(h.has_dictionary_page_header);
    ck_assert_int_eq(h.dictionary_page_header.num_values, 3);
    ck_assert(h.dictionary_page_header.has_is_sorted && h.dictionary_page_header.is_sorted);
    ck_assert(!h.has_crc);
    tw_free(&w);

    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_i32(&w, 1, KN_PQ_PAGE_DATA_V2);
    tw_i32(&w, 2, 10);
    tw_i32(&w, 3, 8);
    tw_struct_begin(&w, 8);
    tw_i32(&w, 1, 5);
    tw_i32(&w, 2, 1);
    tw_i32(&w, 3, 4);
    tw_i32(&w, 4, KN_PQ_ENC_PLAIN);
    tw_i32(&w, 5, 2);
    tw_i32(&w, 6, 0);
    tw_bool(&w, 7, false);
    tw_struct_end(&w);
    tw_struct_end(&w);
    ck_assert_int_eq(kn_pqr_page_header_decode(w.b.data, w.b.len, 0, NULL, &h, &hlen, NULL), KN_OK);
    ck_assert(h.has_data_page_header_v2);
    ck_assert_int_eq(h.data_page_header_v2.num_values, 5);
    ck_assert_int_eq(h.data_page_header_v2.num_nulls, 1);
    ck_assert_int_eq(h.data_page_header_v2.num_rows, 4);
    ck_assert_int_eq(h.data_page_header_v2.definition_levels_byte_length, 2);
    ck_assert(!h.data_page_header_v2.is_compressed);
    tw_free(&w);
}
END_TEST

START_TEST(negative_page_sizes_and_counts_fail)
{
    /* parquet-testing's ARROW-RS-GH-6229-DICTHEADER.parquet: a dictionary of -26 values. */
    for (int which = 0; which < 3; which++) {
        tw w;
        tw_init(&w);
        tw_struct_begin(&w, -1);
        tw_i32(&w, 1, KN_PQ_PAGE_DICTIONARY);
        tw_i32(&w, 2, which == 0 ? -1 : 10);
        tw_i32(&w, 3, which == 1 ? -5 : 8);
        tw_struct_begin(&w, 7);
        tw_i32(&w, 1, which == 2 ? -26 : 3);
        tw_i32(&w, 2, KN_PQ_ENC_PLAIN);
        tw_struct_end(&w);
        tw_struct_end(&w);
        kn_pqr_page_header h;
        size_t hlen;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_pqr_page_header_decode(w.b.data, w.b.len, 0, "p", &h, &hlen, &e), KN_E_FORMAT);
        ck_assert_msg(strstr(e.what, "out of range"), "%s", e.what);
        tw_free(&w);
    }
}
END_TEST

START_TEST(every_prefix_of_a_page_header_fails_cleanly)
{
    tw w;
    data_page_header(&w, 7, 40, true);
    for (size_t n = 0; n < w.b.len; n++) {
        kn_pqr_page_header h;
        size_t hlen = 99;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_pqr_page_header_decode(w.b.data, n, 500, "p", &h, &hlen, &e), KN_E_FORMAT);
        ck_assert_uint_eq(hlen, 0);
        ck_assert_int_ge(e.byte_offset, 500);
        ck_assert_int_le(e.byte_offset, 500 + (int64_t)n);
    }
    tw_free(&w);
}
END_TEST

START_TEST(page_headers_read_from_a_source_at_an_offset)
{
    /* Two headers back to back after 100 bytes, the second with 200 KB statistics: the reader
     * reads a small window first and must grow it rather than fail. */
    tw a, b;
    data_page_header(&a, 1, 3, false);
    data_page_header(&b, 2, 200000, false);
    kn_buf file = KN_BUF_INIT;
    for (int i = 0; i < 100; i++) kn_buf_push(&file, 0xee);
    kn_buf_append(&file, a.b.data, a.b.len);
    kn_buf_append(&file, b.b.data, b.b.len);
    kn_source *src = kn_mem_source_create(file.data, file.len, "pages");
    kn_buf scratch = KN_BUF_INIT;
    kn_pqr_page_header h;
    size_t hlen;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pqr_page_header_read(src, 100, file.len, &scratch, &h, &hlen, &e), KN_OK);
    ck_assert_uint_eq(hlen, a.b.len);
    ck_assert_int_eq(h.data_page_header.num_values, 1);
    ck_assert_int_eq(kn_pqr_page_header_read(src, 100 + hlen, file.len, &scratch, &h, &hlen, &e), KN_OK);
    ck_assert_uint_eq(hlen, b.b.len);
    ck_assert_int_eq(h.data_page_header.num_values, 2);
    ck_assert_uint_eq(h.data_page_header.statistics.min_value.len, 200000);
    ck_assert_uint_eq(h.data_page_header.statistics.min_value.data[199999], 'a');

    /* A chunk end inside the second header: truncated, at a byte inside it. */
    uint64_t second = 100 + a.b.len;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pqr_page_header_read(src, second, second + 1000, &scratch, &h, &hlen, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "truncated") || strstr(e.what, "runs past"), "%s", e.what);
    ck_assert_str_eq(e.where, "pages");
    /* At or past the end: nothing to read. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pqr_page_header_read(src, file.len, file.len + 50, &scratch, &h, &hlen, &e), KN_E_FORMAT);
    ck_assert_int_eq(e.byte_offset, (int64_t)file.len);
    kn_buf_free(&scratch);
    kn_source_free(src);
    kn_buf_free(&file);
    tw_free(&a);
    tw_free(&b);
}
END_TEST

START_TEST(chunk_range_starts_at_a_real_dictionary_page)
{
    kn_pqr_column_meta cm;
    memset(&cm, 0, sizeof cm);
    uint64_t start, len;
    cm.data_page_offset = 500;
    cm.total_compressed_size = 77;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_OK);
    ck_assert_uint_eq(start, 500);
    ck_assert_uint_eq(len, 77);
    cm.has_dictionary_page_offset = true;
    cm.dictionary_page_offset = 400;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_OK);
    ck_assert_uint_eq(start, 400);
    /* parquet-testing's dict-page-offset-zero.parquet: 0 means "none". */
    cm.dictionary_page_offset = 0;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_OK);
    ck_assert_uint_eq(start, 500);
    /* column_chunk_key_value_metadata.parquet: a dictionary page only, data_page_offset 0. */
    cm.dictionary_page_offset = 4;
    cm.data_page_offset = 0;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_OK);
    ck_assert_uint_eq(start, 4);
    cm.has_dictionary_page_offset = false;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_E_FORMAT);
    cm.data_page_offset = 8;
    cm.total_compressed_size = -1;
    ck_assert_int_eq(kn_pqr_chunk_range(&cm, &start, &len, NULL), KN_E_FORMAT);
}
END_TEST

void pqr_add_footer_tests(Suite *s) {
    TCase *tc = tcase_create("footer");
    tcase_add_test(tc, a_valid_file_reads_and_says_where_its_footer_is);
    tcase_add_test(tc, files_shorter_than_twelve_bytes_fail_at_byte_zero);
    tcase_add_test(tc, wrong_magic_fails_naming_the_bytes_and_offset);
    tcase_add_test(tc, a_footer_length_past_the_file_fails_at_the_length);
    tcase_add_test(tc, a_shorter_footer_length_fails_inside_the_thrift);
    tcase_add_test(tc, an_encrypted_footer_is_unsupported);
    tcase_add_test(tc, a_data_page_header_decodes_with_its_statistics);
    tcase_add_test(tc, dictionary_and_v2_page_headers_decode);
    tcase_add_test(tc, negative_page_sizes_and_counts_fail);
    tcase_add_test(tc, every_prefix_of_a_page_header_fails_cleanly);
    tcase_add_test(tc, page_headers_read_from_a_source_at_an_offset);
    tcase_add_test(tc, chunk_range_starts_at_a_real_dictionary_page);
    suite_add_tcase(s, tc);
}
