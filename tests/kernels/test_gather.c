/* tests/kernels/test_gather.c: the row copies and gathers (kn_gather.h) and the byte measures
 * (kn_batch_bytes.h). A range copy and a gather build the same columns (values, nulls, strings)
 * as one row at a time; a column map moves the mapped columns; a gather sized up front stays in
 * a packed batch's room; the measures add up row by row. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_gather.h"

/* ---- Data ---------------------------------------------------------------------------------- */

static kn_schema *schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    return s;
}

/* `n` rows with ids 0, 1, ...: nulls in the strings and the bools at different rows. */
static kn_batch *make_batch(const kn_schema *s, size_t n) {
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    char buf[32];
    for (uint64_t id = 0; id < n; id++) {
        kn_column_append_i64(&b->columns[0], (int64_t)id, NULL);
        if (id % 7 == 3) kn_column_append_null(&b->columns[1], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "n%llu", (unsigned long long)(id * 31 % 1000));
            kn_column_append_str(&b->columns[1], buf, (size_t)l, NULL);
        }
        if (id % 5 == 0) kn_column_append_null(&b->columns[2], NULL);
        else kn_column_append_bool(&b->columns[2], id % 2, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

/* A batch of one float64 column `f` and one string column `region` from explicit values. */
static kn_batch *small_batch(const kn_schema *s, size_t n, const double *f, const bool *f_null,
                             const char *const *region) {
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    for (size_t i = 0; i < n; i++) {
        if (f_null && f_null[i]) kn_column_append_null(&b->columns[0], NULL);
        else kn_column_append_f64(&b->columns[0], f[i], NULL);
        if (!region[i]) kn_column_append_null(&b->columns[1], NULL);
        else kn_column_append_str(&b->columns[1], region[i], strlen(region[i]), NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

static kn_schema *small_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "f", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    return s;
}

static void assert_same_batches(const kn_batch *a, const kn_batch *b) {
    ck_assert_uint_eq(a->num_rows, b->num_rows);
    for (size_t c = 0; c < a->schema->num_fields; c++) {
        const kn_column *x = &a->columns[c], *y = &b->columns[c];
        ck_assert_uint_eq(x->length, y->length);
        ck_assert_uint_eq(x->null_count, y->null_count);
        for (size_t i = 0; i < x->length; i++) {
            ck_assert_msg(kn_column_is_valid(x, i) == kn_column_is_valid(y, i), "column %zu row %zu validity", c, i);
            if (!kn_column_is_valid(x, i)) continue;
            if (x->type.id == KN_TYPE_STRING) {
                size_t la, lb;
                const uint8_t *pa = kn_column_str(x, i, &la), *pb = kn_column_str(y, i, &lb);
                ck_assert_msg(la == lb && memcmp(pa, pb, la) == 0, "column %zu row %zu string", c, i);
            } else {
                size_t w = kn_type_width(x->type);
                ck_assert_msg(memcmp((const uint8_t *)x->values + i * w, (const uint8_t *)y->values + i * w, w) == 0,
                              "column %zu row %zu value", c, i);
            }
        }
    }
}

/* ---- Copies and gathers -------------------------------------------------------------------- */

START_TEST(gather_and_range_copy_match_row_copies)
{
    kn_schema *s = schema();
    kn_batch *src = make_batch(s, 3000);
    uint32_t *order = kn_malloc(3000 * sizeof *order);
    for (uint32_t i = 0; i < 3000; i++) order[i] = (i * 1237u) % 3000u; /* a permutation */
    kn_batch *a, *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &a, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    /* A destination that starts with rows of its own, without nulls, then gets nulls. */
    for (uint32_t i = 0; i < 40; i++) ck_assert_int_eq(kn_batch_copy_row(a, src, 1, NULL, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_copy_rows(b, src, 1, 1, NULL, NULL), KN_OK);
    for (uint32_t i = 1; i < 40; i++) ck_assert_int_eq(kn_batch_copy_rows(b, src, 1, 1, NULL, NULL), KN_OK);
    for (uint32_t i = 0; i < 3000; i++) ck_assert_int_eq(kn_batch_copy_row(a, src, order[i], NULL, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_gather(b, src, order, 3000, NULL, NULL), KN_OK);
    for (uint32_t i = 100; i < 2100; i++) ck_assert_int_eq(kn_batch_copy_row(a, src, i, NULL, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_copy_rows(b, src, 100, 2000, NULL, NULL), KN_OK);
    assert_same_batches(a, b);
    uint64_t rowwise = 0;
    for (size_t i = 100; i < 2100; i++) rowwise += kn_row_plain_bytes(src, i);
    ck_assert_uint_eq(kn_rows_plain_bytes(src, 100, 2000), rowwise);
    kn_free(order);
    kn_batch_free(a);
    kn_batch_free(b);
    kn_batch_free(src);
    kn_schema_free(s);
}
END_TEST

START_TEST(range_copies_at_every_bit_offset_match_row_copies)
{
    /* Ranges of 1 to 200 rows from every bit offset of the source's bitmaps to every offset of
     * the destination's (their validity moves in word-sized spans), starting with ranges too
     * short to hold a null, so the destination's bitmap appears midway. */
    kn_schema *s = schema();
    kn_batch *src = make_batch(s, 5000);
    kn_batch *a, *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &a, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int k = 0; k < 400; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = k < 3 ? 1 : 1 + (size_t)(x % 200), row = (size_t)((x >> 20) % (5000 - n));
        if (k < 3) row = 1; /* row 1: no null in any column */
        for (size_t i = row; i < row + n; i++) ck_assert_int_eq(kn_batch_copy_row(a, src, i, NULL, NULL), KN_OK);
        ck_assert_int_eq(kn_batch_copy_rows(b, src, row, n, NULL, NULL), KN_OK);
    }
    assert_same_batches(a, b);
    kn_batch_free(a);
    kn_batch_free(b);
    kn_batch_free(src);
    kn_schema_free(s);
}
END_TEST

START_TEST(gather_with_a_map_moves_the_mapped_columns)
{
    /* dst holds (region, f) out of src's (f, region): a map that reorders and, with a one-column
     * dst, drops columns, as the write that leaves partition columns out of the files does. */
    kn_schema *s = small_schema();
    kn_schema *swapped = kn_schema_create(), *one = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(swapped, "region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(swapped, "f", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(one, "region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    double f[] = {1, 2, 3, 4, 5, 6};
    bool f_null[] = {false, true, false, false, true, false};
    const char *region[] = {"a", NULL, "ccc", "", "e", "ff"};
    kn_batch *src = small_batch(s, 6, f, f_null, region);
    const uint32_t rows[] = {5, 1, 3, 4};
    const size_t map2[] = {1, 0}, map1[] = {1};
    kn_batch *want2, *got2, *want1, *got1;
    ck_assert_int_eq(kn_batch_create(swapped, 2, &want2, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(swapped, 2, &got2, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(one, 2, &want1, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(one, 2, &got1, NULL), KN_OK);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(kn_batch_copy_row(want2, src, rows[i], map2, NULL), KN_OK);
        ck_assert_int_eq(kn_batch_copy_row(want1, src, rows[i], map1, NULL), KN_OK);
    }
    ck_assert_int_eq(kn_batch_gather(got2, src, rows, 4, map2, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_gather(got1, src, rows, 4, map1, NULL), KN_OK);
    ck_assert_uint_eq(got2->num_rows, 4);
    ck_assert_uint_eq(got1->num_rows, 4);
    const kn_batch *pairs[2][2] = {{want2, got2}, {want1, got1}};
    for (int p = 0; p < 2; p++) {
        const kn_batch *w = pairs[p][0], *g = pairs[p][1];
        for (size_t c = 0; c < w->schema->num_fields; c++) {
            const kn_column *x = &w->columns[c], *y = &g->columns[c];
            ck_assert_uint_eq(x->length, y->length);
            ck_assert_uint_eq(x->null_count, y->null_count);
            for (size_t i = 0; i < x->length; i++) {
                ck_assert(kn_column_is_valid(x, i) == kn_column_is_valid(y, i));
                if (!kn_column_is_valid(x, i)) continue;
                if (x->type.id == KN_TYPE_STRING) {
                    size_t la, lb;
                    const uint8_t *pa = kn_column_str(x, i, &la), *pb = kn_column_str(y, i, &lb);
                    ck_assert(la == lb && memcmp(pa, pb, la) == 0);
                } else {
                    ck_assert(kn_column_f64(x)[i] == kn_column_f64(y)[i]);
                }
            }
        }
    }
    /* And the values are the mapped ones: row 5's region "ff" first, then row 1's null. */
    size_t l;
    const uint8_t *v = kn_column_str(&got2->columns[0], 0, &l);
    ck_assert(l == 2 && memcmp(v, "ff", 2) == 0);
    ck_assert(!kn_column_is_valid(&got2->columns[0], 1));
    ck_assert(!kn_column_is_valid(&got2->columns[1], 1));
    ck_assert(kn_column_f64(&got2->columns[1])[0] == 6.0);
    kn_batch_free(want2);
    kn_batch_free(got2);
    kn_batch_free(want1);
    kn_batch_free(got1);
    kn_batch_free(src);
    kn_schema_free(one);
    kn_schema_free(swapped);
    kn_schema_free(s);
}
END_TEST

START_TEST(packed_batches_take_a_gather_within_their_room)
{
    /* The streamed partitioned write's per-folder batches: one allocation sized from the rows
     * (kn_batch_create_packed), filled by kn_col_gather_sized. They must hold what an ordinary
     * gathered batch holds, and the gather must stay inside the room (no array moves: growing
     * an array inside the block would corrupt the heap, which the sanitizer build would see). */
    kn_schema *s = small_schema();
    enum { N = 300 };
    double f[N];
    bool f_null[N];
    const char *region[N];
    static const char *const words[] = {"a", "", "a string longer than thirty-two bytes, copied whole", "ccc"};
    for (size_t i = 0; i < N; i++) {
        f[i] = (double)i * 0.5;
        f_null[i] = i % 7 == 3;
        region[i] = i % 11 == 5 ? NULL : words[i % 4];
    }
    kn_batch *src = small_batch(s, N, f, f_null, region);
    uint32_t rows[N];
    size_t n = 0;
    for (uint32_t i = 0; i < N; i += 3) rows[n++] = i; /* a folder's rows: every third */
    kn_batch *want, *got;
    ck_assert_int_eq(kn_batch_create(s, 1, &want, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_gather(want, src, rows, n, NULL, NULL), KN_OK);
    size_t bytes = kn_col_gather_bytes(&src->columns[1], rows, n);
    ck_assert_uint_eq(bytes, want->columns[1].bytes.len);
    size_t room[2] = {0, bytes + KN_GATHER_PAD};
    bool bitmap[2] = {true, true};
    ck_assert_int_eq(kn_batch_create_packed(s, n, room, bitmap, &got, NULL), KN_OK);
    ck_assert(got->packed);
    void *values = got->columns[0].values, *offsets = got->columns[1].offsets, *data = got->columns[1].bytes.data;
    ck_assert_int_eq(kn_col_gather_sized(&got->columns[0], &src->columns[0], rows, n, 0, NULL), KN_OK);
    ck_assert_int_eq(kn_col_gather_sized(&got->columns[1], &src->columns[1], rows, n, bytes, NULL), KN_OK);
    got->num_rows = n;
    ck_assert_ptr_eq(got->columns[0].values, values);
    ck_assert_ptr_eq(got->columns[1].offsets, offsets);
    ck_assert_ptr_eq(got->columns[1].bytes.data, data);
    for (size_t c = 0; c < 2; c++) {
        const kn_column *x = &want->columns[c], *y = &got->columns[c];
        ck_assert_uint_eq(y->length, n);
        ck_assert_uint_eq(x->null_count, y->null_count);
        ck_assert_uint_gt(y->null_count, 0);
        for (size_t i = 0; i < n; i++) {
            ck_assert(kn_column_is_valid(x, i) == kn_column_is_valid(y, i));
            if (!kn_column_is_valid(x, i)) continue;
            if (c == 1) {
                size_t la, lb;
                const uint8_t *pa = kn_column_str(x, i, &la), *pb = kn_column_str(y, i, &lb);
                ck_assert(la == lb && memcmp(pa, pb, la) == 0);
            } else {
                ck_assert(kn_column_f64(x)[i] == kn_column_f64(y)[i]);
            }
        }
    }
    kn_batch_free(got);
    /* No bitmap asked for, none made; zero rows make a valid empty batch. */
    ck_assert_int_eq(kn_batch_create_packed(s, 0, room, NULL, &got, NULL), KN_OK);
    ck_assert_ptr_null(got->columns[0].validity);
    ck_assert_uint_eq(got->columns[1].offsets[0], 0);
    kn_batch_free(got);
    kn_batch_free(want);
    kn_batch_free(src);
    kn_schema_free(s);
}
END_TEST

/* ---- Measures ------------------------------------------------------------------------------ */

START_TEST(measures_match_the_columns)
{
    /* The longest string and the memory held, against what the columns say directly. */
    kn_schema *s = schema();
    kn_batch *b = make_batch(s, 500);
    size_t longest = 0;
    for (size_t i = 0; i < b->num_rows; i++) {
        size_t len = 0;
        if (kn_column_is_valid(&b->columns[1], i)) kn_column_str(&b->columns[1], i, &len);
        if (len > longest) longest = len;
    }
    ck_assert_uint_eq(kn_col_max_string(&b->columns[1]), longest);
    ck_assert_uint_eq(kn_col_max_string(&b->columns[0]), 0);
    ck_assert_uint_ge(kn_batch_mem_bytes(b), b->columns[0].capacity * 8 + b->columns[1].bytes.cap);
    /* A row's PLAIN size: 8 for the id, 4 + length for the string (nulls have length 0), 1 for the bool. */
    size_t len = 0;
    kn_column_str(&b->columns[1], 1, &len);
    ck_assert_uint_eq(kn_row_plain_bytes(b, 1), 8 + 4 + len + 1);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gather");
    TCase *tc = tcase_create("gather");
    tcase_add_test(tc, gather_and_range_copy_match_row_copies);
    tcase_add_test(tc, range_copies_at_every_bit_offset_match_row_copies);
    tcase_add_test(tc, gather_with_a_map_moves_the_mapped_columns);
    tcase_add_test(tc, packed_batches_take_a_gather_within_their_room);
    tcase_add_test(tc, measures_match_the_columns);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
