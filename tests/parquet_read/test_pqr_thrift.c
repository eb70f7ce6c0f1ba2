/* tests/parquet_read/test_pqr_thrift.c: the Thrift compact decoder and FileMetaData decoding on
 * hand-made bytes: every field lands where it belongs, unknown fields of every type are
 * skipped, and malformed or truncated input fails with KN_E_FORMAT at a byte offset — never a
 * crash, a leak or an allocation sized by an untrusted count. */
#include <check.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "pqr_test_tc.h"
#include "test_pqr.h"

#define BASE 1000 /* where the test footers pretend to sit in their file */

static kn_status decode_bytes(const uint8_t *p, size_t n, kn_pqr_meta **m, kn_error *e) {
    kn_error_reset(e);
    return kn_pqr_meta_decode(p, n, BASE, "t.parquet", m, e);
}

static kn_pqr_meta *decode_ok(tw *w) {
    kn_pqr_meta *m = NULL;
    kn_error e;
    kn_status st = decode_bytes(w->b.data, w->b.len, &m, &e);
    ck_assert_msg(st == KN_OK, "decode failed: %s", e.what);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* Asserts what footer_build writes (see pqr_test_tc.h). */
static void check_standard(const kn_pqr_meta *m) {
    ck_assert_int_eq(m->version, 1);
    ck_assert_int_eq(m->num_rows, 5);
    ck_assert_str_eq(m->created_by, "kiln version 0.1.0 (build test)");
    ck_assert_uint_eq(m->num_schema, 7);
    const kn_pqr_schema_element *root = &m->schema[0];
    ck_assert_str_eq(root->name, "schema");
    ck_assert(!root->has_type && !root->has_repetition && root->has_num_children);
    ck_assert_int_eq(root->num_children, 4);

    const kn_pqr_schema_element *id = &m->schema[1];
    ck_assert_str_eq(id->name, "id");
    ck_assert(id->has_type && id->type == KN_PQ_INT64);
    ck_assert(id->has_repetition && id->repetition == KN_PQ_REQUIRED);
    ck_assert(!id->has_num_children);
    ck_assert(id->has_converted_type && id->converted_type == KN_PQ_CT_INT_64);
    ck_assert(id->has_field_id && id->field_id == 1);
    ck_assert_int_eq(id->logical.kind, KN_PQR_LT_INTEGER);
    ck_assert_int_eq(id->logical.bit_width, 64);
    ck_assert(id->logical.is_signed);
    ck_assert(!id->has_type_length);

    ck_assert_int_eq(m->schema[2].logical.kind, KN_PQR_LT_STRING);
    ck_assert_int_eq(m->schema[3].logical.kind, KN_PQR_LT_LIST);
    ck_assert_int_eq(m->schema[3].converted_type, KN_PQ_CT_LIST);
    ck_assert_int_eq(m->schema[4].repetition, KN_PQ_REPEATED);
    const kn_pqr_schema_element *ts = &m->schema[6];
    ck_assert_int_eq(ts->logical.kind, KN_PQR_LT_TIMESTAMP);
    ck_assert_int_eq(ts->logical.unit, KN_PQR_UNIT_MICROS);
    ck_assert(ts->logical.utc);

    ck_assert(m->has_key_value_metadata);
    ck_assert_uint_eq(m->num_key_value_metadata, 2);
    ck_assert_str_eq(m->key_value_metadata[0].key, "k1");
    ck_assert_str_eq(m->key_value_metadata[0].value, "v1");
    ck_assert_uint_eq(m->key_value_metadata[0].value_len, 2);
    ck_assert_str_eq(m->key_value_metadata[1].key, "k2");
    ck_assert_ptr_null(m->key_value_metadata[1].value);

    ck_assert(m->has_column_orders);
    ck_assert_uint_eq(m->num_column_orders, 4);
    for (size_t i = 0; i < 4; i++) ck_assert_int_eq(m->column_orders[i], KN_PQR_ORDER_TYPE_DEFINED);
    ck_assert_int_eq(m->encryption_algorithm, 0);

    ck_assert_uint_eq(m->num_row_groups, 2);
    for (size_t g = 0; g < 2; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        ck_assert_int_eq(rg->num_rows, g == 0 ? 3 : 2);
        ck_assert_int_eq(rg->total_byte_size, 400 + (int64_t)g);
        ck_assert(rg->has_file_offset && rg->file_offset == 4 + 1000 * (int64_t)g);
        ck_assert(rg->has_total_compressed_size && rg->total_compressed_size == 300 + (int64_t)g);
        ck_assert(rg->has_ordinal && rg->ordinal == (int16_t)g);
        ck_assert_uint_eq(rg->num_columns, 4);
        for (size_t c = 0; c < 4; c++) {
            const kn_pqr_column_chunk *cc = &rg->columns[c];
            int64_t start = 4 + 1000 * (int64_t)g + 100 * (int64_t)c;
            ck_assert_int_eq(cc->file_offset, start);
            ck_assert(cc->has_meta_data);
            ck_assert_ptr_null(cc->file_path);
            const kn_pqr_column_meta *cm = &cc->meta_data;
            ck_assert_int_eq(cm->type, c == 0 || c == 3 ? KN_PQ_INT64 : KN_PQ_BYTE_ARRAY);
            ck_assert_uint_eq(cm->num_encodings, 3);
            ck_assert_int_eq(cm->encodings[2], KN_PQ_ENC_RLE_DICTIONARY);
            ck_assert_uint_eq(cm->path_len, c == 2 ? 3 : 1);
            ck_assert_str_eq(cm->path_in_schema[cm->path_len - 1], c == 2 ? "element" : m->leaves[c].parts[0]);
            ck_assert_int_eq(cm->codec, KN_PQ_CODEC_SNAPPY);
            ck_assert_int_eq(cm->num_values, g == 0 ? 3 : 2);
            ck_assert_int_eq(cm->total_uncompressed_size, 80 + (int64_t)c);
            ck_assert_int_eq(cm->total_compressed_size, 60 + (int64_t)c);
            ck_assert_int_eq(cm->data_page_offset, c == 1 ? start + 20 : start);
            ck_assert(cm->has_dictionary_page_offset == (c == 1));
            if (c == 1) {
                ck_assert_int_eq(cm->dictionary_page_offset, start);
                ck_assert_uint_eq(cm->num_key_value_metadata, 1);
                ck_assert_str_eq(cm->key_value_metadata[0].key, "chunk-key");
                ck_assert_str_eq(cm->key_value_metadata[0].value, "chunk-value");
            }
            const kn_pqr_stats *s = &cm->statistics;
            ck_assert(s->seen);
            ck_assert_uint_eq(s->min_value.len, 8);
            ck_assert_uint_eq(s->min_value.data[0], 1);
            ck_assert_uint_eq(s->max_value.data[7], 0x7f);
            ck_assert_uint_eq(s->min.len, 8);
            ck_assert(s->has_null_count && s->null_count == (int64_t)c);
            ck_assert(!s->has_distinct_count);
            ck_assert(s->has_is_max_value_exact && s->is_max_value_exact);
            ck_assert(s->has_is_min_value_exact && !s->is_min_value_exact);
            ck_assert(cm->has_encoding_stats);
            ck_assert_uint_eq(cm->num_encoding_stats, 2);
            ck_assert_int_eq(cm->encoding_stats[0].page_type, KN_PQ_PAGE_DICTIONARY);
            ck_assert_int_eq(cm->encoding_stats[1].encoding, KN_PQ_ENC_RLE_DICTIONARY);
            ck_assert_int_eq(cm->encoding_stats[1].count, 2);
        }
    }
}

START_TEST(footer_fields_decode_to_what_was_written)
{
    tw w;
    footer_spec spec = {0};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    check_standard(m);
    ck_assert_int_eq(m->footer_offset, BASE);
    ck_assert_uint_eq(m->footer_len, w.b.len);
    ck_assert_int_eq(kn_pqr_meta_check_required(m, NULL), KN_OK);
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(schema_leaves_have_paths_and_levels)
{
    /* Row groups hold one chunk per leaf in this order, and inspect shows these paths. */
    tw w;
    footer_spec spec = {0};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    ck_assert_uint_eq(m->num_leaves, 4);
    static const char *const paths[] = {"id", "name", "tags.list.element", "ts"};
    static const size_t elements[] = {1, 2, 5, 6};
    static const int def[] = {0, 1, 3, 1}, rep[] = {0, 0, 1, 0};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(m->leaves[i].path, paths[i]);
        ck_assert_uint_eq(m->leaves[i].element, elements[i]);
        ck_assert_int_eq(m->leaves[i].max_definition_level, def[i]);
        ck_assert_int_eq(m->leaves[i].max_repetition_level, rep[i]);
    }
    ck_assert_uint_eq(m->leaves[2].num_parts, 3);
    ck_assert_str_eq(m->leaves[2].parts[0], "tags");
    ck_assert_str_eq(m->leaves[2].parts[1], "list");
    ck_assert_str_eq(m->leaves[2].parts[2], "element");
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(unknown_fields_of_every_type_are_skipped)
{
    /* A newer writer adds fields; a reader that cannot skip them cannot read its files. */
    tw w;
    footer_spec spec = {.unknown_fields = true};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    check_standard(m);
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(long_form_field_ids_decode_the_same)
{
    tw w;
    footer_spec spec = {.long_ids = true, .unknown_fields = true};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    check_standard(m);
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(known_fields_with_the_wrong_wire_type_are_skipped)
{
    /* Thrift's own readers skip a known id that arrives with another type; old writers reused
     * ids (parquet-testing's dict-page-offset-zero.parquet has a list in ColumnMetaData 15). */
    tw w;
    footer_spec spec = {.wrong_types = true};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    check_standard(m);
    ck_assert(!m->schema[1].has_type_length);
    ck_assert(!KN_PQR_SEEN(&m->schema[1], 2));
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(every_prefix_of_a_valid_footer_fails_cleanly)
{
    /* A footer cut anywhere (a short read, a truncated upload) is KN_E_FORMAT with the byte
     * where it ran out, and frees everything it had decoded. */
    for (int variant = 0; variant < 2; variant++) {
        tw w;
        footer_spec spec = {.unknown_fields = variant == 1};
        footer_build(&w, &spec);
        kn_mem_stats before, after;
        kn_mem_get_stats(&before);
        for (size_t n = 0; n < w.b.len; n++) {
            kn_pqr_meta *m = (kn_pqr_meta *)1;
            kn_error e;
            kn_status st = decode_bytes(w.b.data, n, &m, &e);
            ck_assert_msg(st == KN_E_FORMAT, "prefix %zu of %zu: status %d", n, w.b.len, st);
            ck_assert_ptr_null(m);
            ck_assert_msg(e.what[0] != '\0', "prefix %zu: no message", n);
            ck_assert_str_eq(e.where, "t.parquet");
            ck_assert_msg(e.byte_offset >= BASE && e.byte_offset <= BASE + (int64_t)n, "prefix %zu: offset %lld", n,
                          (long long)e.byte_offset);
        }
        kn_mem_get_stats(&after);
        ck_assert_int_eq(after.current_bytes, before.current_bytes);
        tw_free(&w);
    }
}
END_TEST

START_TEST(every_damaged_byte_decodes_or_fails_cleanly)
{
    /* A small fuzz: each byte of a valid footer replaced by values that break lengths, types
     * and varints. Each decode either works or is KN_E_FORMAT; none crashes or leaks (the
     * sanitizer build checks the memory). */
    static const uint8_t subst[] = {0x00, 0xff, 0x80, 0x7f, 0x0f, 0x19, 0x1c, 0xf9};
    tw w;
    footer_spec spec = {.unknown_fields = true};
    footer_build(&w, &spec);
    uint8_t *copy = kn_malloc(w.b.len);
    kn_mem_stats before, after;
    kn_mem_get_stats(&before);
    size_t ok = 0, failed = 0;
    for (size_t i = 0; i < w.b.len; i++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, w.b.data, w.b.len);
            if (copy[i] == subst[k]) continue;
            copy[i] = subst[k];
            kn_pqr_meta *m = NULL;
            kn_error e;
            kn_status st = decode_bytes(copy, w.b.len, &m, &e);
            ck_assert_msg(st == KN_OK || st == KN_E_FORMAT, "byte %zu = %02x: status %d (%s)", i, subst[k], st, e.what);
            if (st == KN_OK) {
                ok++;
                ck_assert_int_eq(kn_pqr_meta_check_required(m, &e) == KN_OK || e.status == KN_E_FORMAT, 1);
            } else {
                failed++;
            }
            kn_pqr_meta_free(m);
        }
    }
    kn_mem_get_stats(&after);
    ck_assert_int_eq(after.current_bytes, before.current_bytes);
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(failed, 0);
    kn_free(copy);
    tw_free(&w);
}
END_TEST

START_TEST(list_claiming_more_elements_than_bytes_fails_before_allocating)
{
    /* An absurd count must not size an allocation: 2^40 row groups in a 20-byte footer. */
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_list(&w, 4, KN_TC_STRUCT, (size_t)1 << 40);
    for (int i = 0; i < 16; i++) tw_byte(&w, 0);
    kn_mem_stats before, after;
    kn_mem_reset_peak();
    kn_mem_get_stats(&before);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    kn_mem_get_stats(&after);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(e.what, "claims 1099511627776 elements"));
    ck_assert_int_eq(e.byte_offset, BASE + 1);
    ck_assert_int_lt(after.peak_bytes - before.current_bytes, 1 << 20);
    tw_free(&w);
}
END_TEST

START_TEST(nesting_past_the_limit_fails)
{
    /* Crafted nesting must not exhaust the stack: structs and lists, 40 deep. */
    for (int kind = 0; kind < 2; kind++) {
        tw w;
        tw_init(&w);
        tw_struct_begin(&w, -1);
        tw_i32(&w, 1, 1);
        if (kind == 0) {
            for (int i = 0; i < 40; i++) tw_struct_begin(&w, 50);
            for (int i = 0; i < 40; i++) tw_struct_end(&w);
        } else {
            tw_list(&w, 50, KN_TC_LIST, 1);
            for (int i = 0; i < 40; i++) tw_list(&w, -1, KN_TC_LIST, 1);
            tw_list(&w, -1, KN_TC_I32, 0);
        }
        tw_struct_end(&w);
        kn_pqr_meta *m = NULL;
        kn_error e;
        ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
        ck_assert_msg(strstr(e.what, "nesting deeper than") != NULL, "%s", e.what);
        tw_free(&w);
    }
}
END_TEST

START_TEST(varints_too_long_or_too_large_fail)
{
    static const uint8_t eleven[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    static const uint8_t overflow[] = {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    static const uint8_t i32_range[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(eleven, sizeof eleven, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "overflows") || strstr(e.what, "longer than"), "%s", e.what);
    ck_assert_int_eq(decode_bytes(overflow, sizeof overflow, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "overflows 64 bits"), "%s", e.what);
    /* FileMetaData.version is an i32: a 35-bit value does not fit. */
    ck_assert_int_eq(decode_bytes(i32_range, sizeof i32_range, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "outside"), "%s", e.what);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(binary_longer_than_the_footer_fails)
{
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_field(&w, 6, KN_TC_BINARY);
    tw_varint(&w, 1000);
    kn_buf_append(&w.b, "kiln", 4);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "binary of 1000 bytes runs past the end"), "%s", e.what);
    ck_assert_msg(strstr(e.what, "FileMetaData field 6"), "%s", e.what);
    ck_assert_int_eq(e.byte_offset, BASE + 3);
    tw_free(&w);
}
END_TEST

/* A footer with a root and `n` leaves described by `leaf` (called for each), no row groups. */
static void small_footer(tw *w, int n, void (*leaf)(tw *w, int i)) {
    tw_init(w);
    tw_struct_begin(w, -1);
    tw_i32(w, 1, 1);
    tw_list(w, 2, KN_TC_STRUCT, (size_t)n + 1);
    tw_struct_begin(w, -1);
    tw_str(w, 4, "root");
    tw_i32(w, 5, n);
    tw_struct_end(w);
    for (int i = 0; i < n; i++) leaf(w, i);
    tw_i64(w, 3, 0);
    tw_list(w, 4, KN_TC_STRUCT, 0);
    tw_struct_end(w);
}

static void logical_leaf(tw *w, int i) {
    static const int member[] = {5, 6, 7, 7, 8, 8, 10, 14, 15, 12, 11, 999, 16, 17};
    tw_struct_begin(w, -1);
    tw_i32(w, 1, i == 7 || i == 8 ? KN_PQ_FIXED_LEN_BYTE_ARRAY : KN_PQ_INT64);
    tw_i32(w, 3, KN_PQ_OPTIONAL);
    char name[8] = {'c', (char)('a' + i), 0};
    tw_str(w, 4, name);
    tw_struct_begin(w, 10);
    tw_struct_begin(w, (int16_t)member[i]);
    switch (i) {
    case 0: tw_i32(w, 1, 3); tw_i32(w, 2, 18); break;             /* DECIMAL(18,3) */
    case 2: tw_bool(w, 1, false); tw_struct_begin(w, 2); tw_struct_begin(w, 1); tw_struct_end(w); tw_struct_end(w); break;
    case 3: tw_bool(w, 1, true); tw_struct_begin(w, 2); tw_struct_begin(w, 3); tw_struct_end(w); tw_struct_end(w); break;
    case 4: tw_bool(w, 1, false); tw_struct_begin(w, 2); tw_struct_begin(w, 3); tw_struct_end(w); tw_struct_end(w); break;
    case 5: tw_bool(w, 1, true); tw_struct_begin(w, 2); tw_struct_begin(w, 1); tw_struct_end(w); tw_struct_end(w); break;
    case 6: tw_int(w, 1, KN_TC_BYTE, 8); tw_bool(w, 2, false); break; /* INTEGER(8,false) */
    case 11: tw_str(w, 1, "a future member's field"); break;
    case 12: tw_int(w, 1, KN_TC_BYTE, 1); break;
    case 13: tw_str(w, 1, "OGC:CRS84"); break;
    default: break;
    }
    tw_struct_end(w);
    tw_struct_end(w);
    tw_struct_end(w);
}

START_TEST(logical_types_decode_with_their_parameters)
{
    tw w;
    small_footer(&w, 14, logical_leaf);
    kn_pqr_meta *m = decode_ok(&w);
    ck_assert_uint_eq(m->num_leaves, 14);
    const kn_pqr_logical *lt[14];
    for (int i = 0; i < 14; i++) lt[i] = &m->schema[i + 1].logical;
    ck_assert_int_eq(lt[0]->kind, KN_PQR_LT_DECIMAL);
    ck_assert_int_eq(lt[0]->scale, 3);
    ck_assert_int_eq(lt[0]->precision, 18);
    ck_assert_int_eq(lt[1]->kind, KN_PQR_LT_DATE);
    ck_assert_int_eq(lt[2]->kind, KN_PQR_LT_TIME);
    ck_assert_int_eq(lt[2]->unit, KN_PQR_UNIT_MILLIS);
    ck_assert(!lt[2]->utc);
    ck_assert_int_eq(lt[3]->unit, KN_PQR_UNIT_NANOS);
    ck_assert(lt[3]->utc);
    ck_assert_int_eq(lt[4]->kind, KN_PQR_LT_TIMESTAMP);
    ck_assert_int_eq(lt[4]->unit, KN_PQR_UNIT_NANOS);
    ck_assert(!lt[4]->utc);
    ck_assert_int_eq(lt[5]->unit, KN_PQR_UNIT_MILLIS);
    ck_assert(lt[5]->utc);
    ck_assert_int_eq(lt[6]->kind, KN_PQR_LT_INTEGER);
    ck_assert_int_eq(lt[6]->bit_width, 8);
    ck_assert(!lt[6]->is_signed);
    ck_assert_int_eq(lt[7]->kind, KN_PQR_LT_UUID);
    ck_assert_int_eq(lt[8]->kind, KN_PQR_LT_FLOAT16);
    ck_assert_int_eq(lt[9]->kind, KN_PQR_LT_JSON);
    ck_assert_int_eq(lt[10]->kind, KN_PQR_LT_UNKNOWN);
    ck_assert_int_eq(lt[11]->kind, 999); /* a member from the future is kept by id */
    ck_assert_int_eq(lt[12]->kind, KN_PQR_LT_VARIANT);
    ck_assert_int_eq(lt[12]->spec_version, 1);
    ck_assert_int_eq(lt[13]->kind, KN_PQR_LT_GEOMETRY);
    ck_assert_str_eq(lt[13]->crs, "OGC:CRS84");
    ck_assert_int_eq(kn_pqr_meta_check_required(m, NULL), KN_OK);
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

static void bad_type_leaf(tw *w, int i) {
    tw_struct_begin(w, -1);
    tw_i32(w, 1, i == 0 ? 9 : -7);
    tw_str(w, 4, "x");
    tw_struct_end(w);
}

static void negative_children_leaf(tw *w, int i) {
    tw_struct_begin(w, -1);
    tw_str(w, 4, "g");
    tw_i32(w, 5, -1);
    tw_struct_end(w);
}

START_TEST(enum_values_outside_parquet_fail)
{
    /* parquet-testing's PARQUET-1481.parquet has physical type -7: say so, with the byte. */
    tw w;
    small_footer(&w, 1, bad_type_leaf);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "SchemaElement field 1: physical type 9 is out of range"), "%s", e.what);
    ck_assert_int_gt(e.byte_offset, BASE);
    tw_free(&w);
    small_footer(&w, 1, negative_children_leaf);
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "num_children -1"), "%s", e.what);
    tw_free(&w);
}
END_TEST

START_TEST(a_footer_without_a_schema_fails)
{
    static const uint8_t none[] = {0x15, 0x02, 0x00};                  /* version 1 only */
    static const uint8_t empty[] = {0x15, 0x02, 0x19, 0x0c, 0x00};     /* schema: [] */
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(none, sizeof none, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "no schema (FileMetaData.schema is missing)"), "%s", e.what);
    ck_assert_int_eq(decode_bytes(empty, sizeof empty, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "is empty"), "%s", e.what);
}
END_TEST

START_TEST(schema_counts_that_do_not_make_one_tree_fail)
{
    kn_pqr_meta *m = NULL;
    kn_error e;
    tw w;
    footer_spec more = {.root_children = 5};
    footer_build(&w, &more);
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "more child(ren) than the 7 elements hold"), "%s", e.what);
    tw_free(&w);
    footer_spec fewer = {.root_children = 3};
    footer_build(&w, &fewer);
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "tree holds 6 element(s) but the footer lists 7"), "%s", e.what);
    tw_free(&w);
}
END_TEST

static void typed_group_leaf(tw *w, int i) {
    tw_struct_begin(w, -1);
    tw_i32(w, 1, KN_PQ_INT32);
    tw_str(w, 4, "both");
    tw_i32(w, 5, 1);
    tw_struct_end(w);
    (void)i;
}

START_TEST(an_element_with_a_type_and_children_fails)
{
    tw w;
    small_footer(&w, 1, typed_group_leaf);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_msg(strstr(e.what, "'both' has a physical type and 1 children"), "%s", e.what);
    tw_free(&w);
}
END_TEST

START_TEST(a_row_group_without_one_chunk_per_leaf_fails)
{
    tw w;
    footer_spec spec = {.chunks_in_rg1 = 3};
    footer_build(&w, &spec);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    ck_assert_str_eq(e.what, "row group 1 has 3 column chunk(s) but the schema has 4 leaf column(s)");
    tw_free(&w);
}
END_TEST

START_TEST(check_required_names_the_missing_field)
{
    /* The reader takes a footer without ColumnChunk.file_offset (lenient), but the writer's
     * tests must catch it: velox and pinot fail on it. */
    tw w;
    footer_spec spec = {.omit_file_offset = true};
    footer_build(&w, &spec);
    kn_pqr_meta *m = decode_ok(&w);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pqr_meta_check_required(m, &e), KN_E_FORMAT);
    ck_assert_str_eq(e.what, "row group 0 column 0: required field 2 of ColumnChunk is missing");
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(sets_and_empty_untyped_lists_are_accepted)
{
    /* Some writers send a set where parquet.thrift says list, or leave an empty list's
     * element type 0. */
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_i32(&w, 1, 2);
    tw_list(&w, 2, KN_TC_STRUCT, 1);
    tw_struct_begin(&w, -1);
    tw_str(&w, 4, "root");
    tw_struct_end(&w);
    tw_i64(&w, 3, 0);
    tw_field(&w, 4, KN_TC_SET);
    tw_byte(&w, 0x00); /* 0 elements, element type 0 */
    tw_field(&w, 5, KN_TC_SET);
    tw_byte(&w, 0x1c); /* 1 struct */
    tw_struct_begin(&w, -1);
    tw_str(&w, 1, "k");
    tw_struct_end(&w);
    tw_struct_end(&w);
    kn_pqr_meta *m = decode_ok(&w);
    ck_assert_int_eq(m->version, 2);
    ck_assert_uint_eq(m->num_row_groups, 0);
    ck_assert_uint_eq(m->num_leaves, 0);
    ck_assert_uint_eq(m->num_key_value_metadata, 1);
    ck_assert_str_eq(m->key_value_metadata[0].key, "k");
    kn_pqr_meta_free(m);
    tw_free(&w);
}
END_TEST

START_TEST(counts_of_empty_structs_past_the_memory_budget_fail)
{
    /* 300k ColumnChunks of one byte each (a STOP) pass the bytes-left check but would take
     * ~120 MB decoded from a 300 KB footer: refused, with memory staying near the budget. */
    size_t n = 300000;
    tw w;
    tw_init(&w);
    tw_struct_begin(&w, -1);
    tw_list(&w, 4, KN_TC_STRUCT, 1);
    tw_struct_begin(&w, -1);
    tw_list(&w, 1, KN_TC_STRUCT, n);
    for (size_t i = 0; i < n; i++) tw_byte(&w, 0);
    tw_struct_end(&w);
    tw_struct_end(&w);
    kn_mem_stats before, after;
    kn_mem_reset_peak();
    kn_mem_get_stats(&before);
    kn_pqr_meta *m = NULL;
    kn_error e;
    ck_assert_int_eq(decode_bytes(w.b.data, w.b.len, &m, &e), KN_E_FORMAT);
    kn_mem_get_stats(&after);
    ck_assert_msg(strstr(e.what, "out of proportion"), "%s", e.what);
    ck_assert_int_lt(after.peak_bytes - before.current_bytes, (int64_t)(64 * w.b.len + (24u << 20)));
    tw_free(&w);
}
END_TEST

void pqr_add_thrift_tests(Suite *s) {
    TCase *tc = tcase_create("thrift");
    tcase_set_timeout(tc, 120); /* the damaged-byte sweep decodes ~12k footers; slow under sanitizers */
    tcase_add_test(tc, footer_fields_decode_to_what_was_written);
    tcase_add_test(tc, schema_leaves_have_paths_and_levels);
    tcase_add_test(tc, unknown_fields_of_every_type_are_skipped);
    tcase_add_test(tc, long_form_field_ids_decode_the_same);
    tcase_add_test(tc, known_fields_with_the_wrong_wire_type_are_skipped);
    tcase_add_test(tc, every_prefix_of_a_valid_footer_fails_cleanly);
    tcase_add_test(tc, every_damaged_byte_decodes_or_fails_cleanly);
    tcase_add_test(tc, list_claiming_more_elements_than_bytes_fails_before_allocating);
    tcase_add_test(tc, counts_of_empty_structs_past_the_memory_budget_fail);
    tcase_add_test(tc, nesting_past_the_limit_fails);
    tcase_add_test(tc, varints_too_long_or_too_large_fail);
    tcase_add_test(tc, binary_longer_than_the_footer_fails);
    tcase_add_test(tc, logical_types_decode_with_their_parameters);
    tcase_add_test(tc, enum_values_outside_parquet_fail);
    tcase_add_test(tc, a_footer_without_a_schema_fails);
    tcase_add_test(tc, schema_counts_that_do_not_make_one_tree_fail);
    tcase_add_test(tc, an_element_with_a_type_and_children_fails);
    tcase_add_test(tc, a_row_group_without_one_chunk_per_leaf_fails);
    tcase_add_test(tc, check_required_names_the_missing_field);
    tcase_add_test(tc, sets_and_empty_untyped_lists_are_accepted);
    suite_add_tcase(s, tc);
}
