/* tests/parquet/test_pq_rowgroup.c: row groups encoded apart from their file (kn_pq_rowgroup.h)
 * give byte for byte the file kn_pq_writer_write gives, whatever the batches, the order the
 * columns are encoded in, and the encoders used; and the misuses are errors, not crashes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_column.h"
#include "kn_pq_rowgroup.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_stream.h"

static kn_schema *mixed_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "qty", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "price", kn_type_decimal(9, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "x", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "big", kn_type_decimal(30, 4), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "uniq", kn_type_make(KN_TYPE_STRING), false, NULL), KN_OK);
    return s;
}

/* Rows first .. first + n of a made-up table: low- and high-cardinality strings (so one column
 * keeps its dictionary and one falls back to PLAIN), nulls, decimals that need converting. */
static kn_batch *mixed_batch(const kn_schema *s, size_t first, size_t n) {
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, n ? n : 1, &b, NULL), KN_OK);
    char buf[64];
    for (size_t i = first; i < first + n; i++) {
        if (i % 9 == 4) kn_column_append_null(&b->columns[0], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "name-%zu", (i * 7919) % 300);
            kn_column_append_str(&b->columns[0], buf, (size_t)l, NULL);
        }
        kn_column_append_i64(&b->columns[1], (int64_t)(i * 31) - 500, NULL);
        if (i % 5 == 1) kn_column_append_null(&b->columns[2], NULL);
        else kn_column_append_i64(&b->columns[2], (int64_t)(i % 100000) * 3, NULL);
        if (i % 4 == 0) kn_column_append_null(&b->columns[3], NULL);
        else kn_column_append_bool(&b->columns[3], i % 3 == 0, NULL);
        kn_column_append_f64(&b->columns[4], (double)(i % 1000) / 7.0, NULL);
        if (i % 7 == 2) kn_column_append_null(&b->columns[5], NULL);
        else kn_column_append_i128(&b->columns[5], (kn_i128){(uint64_t)i * 1000003u, i % 2 ? -1 : 0}, NULL);
        int l = snprintf(buf, sizeof buf, "unique value number %zu", i);
        kn_column_append_str(&b->columns[6], buf, (size_t)l, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

static void options(kn_pq_options *o, kn_codec codec) {
    kn_pq_options_init(o);
    o->codec = codec;
    o->row_group_bytes = 300000;
    o->page_bytes = 20000;
    o->dictionary_page_bytes = 16384; /* the unique strings fall back to PLAIN */
}

/* The reference: every row through kn_pq_writer_write in batches of `batch_rows`. */
static void write_streaming(const kn_pq_options *o, size_t rows, size_t batch_rows, kn_buf *out) {
    kn_schema *s = mixed_schema();
    kn_pq_writer *w;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_pq_writer_create(s, kn_mem_sink_create(out), o, &w, &e) == KN_OK, "%s", e.what);
    for (size_t done = 0; done < rows;) {
        size_t n = rows - done < batch_rows ? rows - done : batch_rows;
        kn_batch *b = mixed_batch(s, done, n);
        ck_assert_msg(kn_pq_writer_write(w, b, &e) == KN_OK, "%s", e.what);
        kn_batch_free(b);
        done += n;
    }
    ck_assert_msg(kn_pq_writer_close(w, NULL, &e) == KN_OK, "%s", e.what);
    kn_schema_free(s);
}

enum how { WHOLE_REVERSED, COLUMN_BY_SLICE, LEAN_ASLEEP };

/* The same rows cut into batches of `batch_rows`, gathered into row groups, encoded apart and
 * appended in order. WHOLE_REVERSED encodes each row group's columns last to first with two
 * encoders taking turns (so an encoder moves between types); COLUMN_BY_SLICE feeds one column
 * encoder per column slice by slice as the row group fills; LEAN_ASLEEP does the same with
 * lean encoders (kn_pq_colenc_create_lean) lent a codec for each call, trimmed and put to
 * sleep after each slice, as a partitioned write's idle folders are. Returns the row groups
 * made. */
static size_t write_apart(const kn_pq_options *o, size_t rows, size_t batch_rows, enum how how, kn_buf *out) {
    kn_schema *s = mixed_schema();
    kn_error e;
    kn_error_reset(&e);
    kn_pq_layout *l;
    ck_assert_msg(kn_pq_layout_create(s, o, &l, &e) == KN_OK, "%s", e.what);
    size_t ncols = kn_pq_layout_columns(l);
    ck_assert_uint_eq(ncols, s->num_fields);
    kn_pq_writer *w;
    ck_assert_msg(kn_pq_writer_create(s, kn_mem_sink_create(out), o, &w, &e) == KN_OK, "%s", e.what);
    kn_pq_encoder *enc[2];
    ck_assert_int_eq(kn_pq_encoder_create(l, &enc[0], &e), KN_OK);
    ck_assert_int_eq(kn_pq_encoder_create(l, &enc[1], &e), KN_OK);
    kn_pq_colenc **ce = kn_calloc(ncols, sizeof *ce);
    for (size_t c = 0; c < ncols; c++)
        ck_assert_int_eq(how == LEAN_ASLEEP ? kn_pq_colenc_create_lean(l, c, &ce[c], &e)
                                            : kn_pq_colenc_create(l, c, &ce[c], &e),
                         KN_OK);
    kn_pq_rowgroup *rg;
    ck_assert_int_eq(kn_pq_rowgroup_create(l, &rg, &e), KN_OK);

    /* Batches stay alive until their row group is written. */
    size_t nb = (rows + batch_rows - 1) / batch_rows, groups = 0, fed = 0;
    kn_batch **batches = kn_calloc(nb ? nb : 1, sizeof *batches);
    for (size_t i = 0; i < nb; i++) {
        size_t first = i * batch_rows, n = rows - first < batch_rows ? rows - first : batch_rows;
        batches[i] = mixed_batch(s, first, n);
    }
    for (size_t i = 0; i <= nb; i++) {
        size_t row = 0;
        for (;;) {
            bool last = i == nb;
            if (!last) {
                size_t taken;
                ck_assert_int_eq(kn_pq_rowgroup_add(rg, batches[i], row, &taken, &e), KN_OK);
                row += taken;
            }
            if (how != WHOLE_REVERSED) { /* feed the slices added so far */
                for (; fed < kn_pq_rowgroup_num_slices(rg); fed++) {
                    const kn_batch *b;
                    size_t r0, n;
                    kn_pq_rowgroup_slice(rg, fed, &b, &r0, &n);
                    for (size_t c = 0; c < ncols; c++) {
                        if (how == LEAN_ASLEEP) kn_pq_colenc_lend(ce[c], enc[fed % 2]);
                        ck_assert_msg(kn_pq_colenc_write(ce[c], b, r0, n, &e) == KN_OK, "%s", e.what);
                        if (how == LEAN_ASLEEP) {
                            kn_pq_colenc_lend(ce[c], NULL);
                            kn_pq_colenc_sleep(ce[c]);
                        }
                    }
                }
            }
            bool full = kn_pq_rowgroup_full(rg);
            if ((full || last) && kn_pq_rowgroup_rows(rg) > 0) {
                for (size_t k = 0; k < ncols; k++) {
                    size_t c = ncols - 1 - k;
                    if (how == LEAN_ASLEEP) kn_pq_colenc_lend(ce[c], enc[k % 2]);
                    kn_status st = how == WHOLE_REVERSED ? kn_pq_rowgroup_encode(rg, c, enc[k % 2], &e)
                                                         : kn_pq_colenc_finish(ce[c], rg, &e);
                    ck_assert_msg(st == KN_OK, "%s", e.what);
                }
                ck_assert(kn_pq_rowgroup_encoded(rg));
                ck_assert_msg(kn_pq_writer_write_rowgroup(w, rg, &e) == KN_OK, "%s", e.what);
                kn_pq_rowgroup_reset(rg);
                fed = 0;
                groups++;
            }
            if (last || row >= batches[i]->num_rows) break;
        }
    }
    kn_pq_file_info info;
    ck_assert_msg(kn_pq_writer_close(w, &info, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_eq(info.num_rows, rows);
    ck_assert_uint_eq(info.num_row_groups, groups);
    for (size_t i = 0; i < nb; i++) kn_batch_free(batches[i]);
    kn_free(batches);
    kn_pq_rowgroup_free(rg);
    for (size_t c = 0; c < ncols; c++) kn_pq_colenc_free(ce[c]);
    kn_free(ce);
    kn_pq_encoder_free(enc[0]);
    kn_pq_encoder_free(enc[1]);
    kn_pq_layout_free(l);
    kn_schema_free(s);
    return groups;
}

static void assert_same(const kn_buf *a, const kn_buf *b, const char *what) {
    ck_assert_msg(a->len == b->len, "%s: %zu bytes, the streaming writer %zu", what, b->len, a->len);
    ck_assert_msg(memcmp(a->data, b->data, a->len) == 0, "%s: the bytes differ", what);
}

START_TEST(row_groups_encoded_apart_give_the_streaming_writers_bytes)
{
    /* The convert pipeline encodes columns on any thread in any order and appends row groups
     * later; DESIGN asks for the same bytes whatever the thread count, so the bytes must be
     * those of the one-thread writer, codec by codec. */
    static const kn_codec codecs[] = {KN_CODEC_ZSTD, KN_CODEC_SNAPPY, KN_CODEC_NONE};
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
        kn_pq_options o;
        options(&o, codecs[k]);
        kn_buf ref = KN_BUF_INIT, whole = KN_BUF_INIT, sliced = KN_BUF_INIT;
        write_streaming(&o, 40000, 1000, &ref);
        size_t g1 = write_apart(&o, 40000, 7777, WHOLE_REVERSED, &whole);
        size_t g2 = write_apart(&o, 40000, 333, COLUMN_BY_SLICE, &sliced);
        kn_buf asleep = KN_BUF_INIT;
        size_t g3 = write_apart(&o, 40000, 333, LEAN_ASLEEP, &asleep);
        ck_assert_uint_gt(g1, 2); /* several row groups, cut inside batches */
        ck_assert_uint_eq(g1, g2);
        ck_assert_uint_eq(g1, g3);
        assert_same(&ref, &whole, "whole columns, reversed, two encoders");
        assert_same(&ref, &sliced, "column encoders fed slice by slice");
        assert_same(&ref, &asleep, "lean encoders asleep between slices");
        kn_buf_free(&asleep);
        kn_buf_free(&ref);
        kn_buf_free(&whole);
        kn_buf_free(&sliced);
    }
}
END_TEST

START_TEST(a_row_group_not_fully_encoded_is_refused)
{
    kn_schema *s = mixed_schema();
    kn_pq_options o;
    options(&o, KN_CODEC_SNAPPY);
    kn_error e;
    kn_error_reset(&e);
    kn_pq_layout *l;
    ck_assert_int_eq(kn_pq_layout_create(s, &o, &l, &e), KN_OK);
    kn_pq_rowgroup *rg;
    kn_pq_encoder *enc;
    ck_assert_int_eq(kn_pq_rowgroup_create(l, &rg, &e), KN_OK);
    ck_assert_int_eq(kn_pq_encoder_create(l, &enc, &e), KN_OK);
    kn_batch *b = mixed_batch(s, 0, 100);
    size_t taken;
    ck_assert_int_eq(kn_pq_rowgroup_add(rg, b, 0, &taken, &e), KN_OK);
    ck_assert_uint_eq(taken, 100);
    ck_assert_int_eq(kn_pq_rowgroup_encode(rg, 0, enc, &e), KN_OK);
    ck_assert(!kn_pq_rowgroup_encoded(rg));
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w;
    ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(&out), &o, &w, &e), KN_OK);
    ck_assert_int_eq(kn_pq_writer_write_rowgroup(w, rg, &e), KN_E_USAGE);
    kn_pq_writer_abort(w);

    /* A column encoder that saw other rows than the row group's cannot finish into it. */
    kn_pq_colenc *ce;
    ck_assert_int_eq(kn_pq_colenc_create(l, 1, &ce, &e), KN_OK);
    ck_assert_int_eq(kn_pq_colenc_write(ce, b, 0, 50, &e), KN_OK);
    ck_assert_int_eq(kn_pq_colenc_finish(ce, rg, &e), KN_E_INTERNAL);
    ck_assert_int_eq(kn_pq_colenc_create(l, 99, &(kn_pq_colenc *){NULL}, &e), KN_E_USAGE);

    kn_pq_colenc_free(ce);
    kn_batch_free(b);
    kn_buf_free(&out);
    kn_pq_encoder_free(enc);
    kn_pq_rowgroup_free(rg);
    kn_pq_layout_free(l);
    kn_schema_free(s);
}
END_TEST

START_TEST(layout_check_names_a_null_in_a_required_column)
{
    kn_schema *s = mixed_schema();
    kn_error e;
    kn_error_reset(&e);
    kn_pq_layout *l;
    ck_assert_int_eq(kn_pq_layout_create(s, NULL, &l, &e), KN_OK);
    kn_batch *b = mixed_batch(s, 0, 10);
    ck_assert_int_eq(kn_pq_layout_check(l, b, &e), KN_OK);
    kn_batch_clear(b);
    kn_batch *good = mixed_batch(s, 0, 3);
    /* Rebuild with a null in "qty" (not nullable) at row 2. */
    for (size_t i = 0; i < 3; i++) {
        kn_column_append_null(&b->columns[0], NULL);
        if (i == 2) kn_column_append_null(&b->columns[1], NULL);
        else kn_column_append_i64(&b->columns[1], 1, NULL);
        kn_column_append_null(&b->columns[2], NULL);
        kn_column_append_null(&b->columns[3], NULL);
        kn_column_append_null(&b->columns[4], NULL);
        kn_column_append_null(&b->columns[5], NULL);
        kn_column_append_str(&b->columns[6], "u", 1, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_layout_check(l, b, &e), KN_E_DATA);
    ck_assert_ptr_nonnull(strstr(e.what, "qty"));
    ck_assert_ptr_nonnull(strstr(e.what, "row 2"));
    /* Bad options fail like the file writer's. */
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.page_bytes = 0;
    kn_pq_layout *bad = NULL;
    ck_assert_int_eq(kn_pq_layout_create(s, &o, &bad, &e), KN_E_USAGE);
    ck_assert_ptr_null(bad);
    kn_batch_free(good);
    kn_batch_free(b);
    kn_pq_layout_free(l);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pq_rowgroup");
    TCase *tc = tcase_create("pq_rowgroup");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, row_groups_encoded_apart_give_the_streaming_writers_bytes);
    tcase_add_test(tc, a_row_group_not_fully_encoded_is_refused);
    tcase_add_test(tc, layout_check_names_a_null_in_a_required_column);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
