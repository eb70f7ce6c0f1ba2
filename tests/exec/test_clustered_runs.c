/* tests/exec/test_clustered_runs.c: the clustered write's range copies give what the row-by-row
 * path gives: kn_sorter_next_run hands back the rows kn_sorter_next does, in the same order
 * (with and without spill files). (The row copies themselves are kernels:
 * tests/kernels/test_gather.c.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_gather.h"
#include "kn_sort_spill.h"

static kn_schema *schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    return s;
}

/* A batch of `n` rows whose ids are first, first + step, ...; keys are the ids big-endian, so a
 * batch is sorted and several batches interleave. */
static void make_keyed(const kn_schema *s, uint64_t first, uint64_t step, size_t n, kn_keyed_batch *kb) {
    memset(kb, 0, sizeof *kb);
    ck_assert_int_eq(kn_batch_create(s, 4, &kb->batch, NULL), KN_OK);
    ck_assert_int_eq(kn_keyed_batch_reserve_offs(kb, n, NULL), KN_OK);
    kb->key_offs[0] = 0;
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        uint64_t id = first + i * step;
        kn_column_append_i64(&kb->batch->columns[0], (int64_t)id, NULL);
        if (id % 7 == 3) kn_column_append_null(&kb->batch->columns[1], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "n%llu", (unsigned long long)(id * 31 % 1000));
            kn_column_append_str(&kb->batch->columns[1], buf, (size_t)l, NULL);
        }
        if (id % 5 == 0) kn_column_append_null(&kb->batch->columns[2], NULL);
        else kn_column_append_bool(&kb->batch->columns[2], id % 2, NULL);
        uint8_t key[8];
        for (int b = 0; b < 8; b++) key[b] = (uint8_t)(id >> (56 - 8 * b));
        ck_assert(kn_buf_append(&kb->keys, key, 8));
        kb->key_offs[i + 1] = (uint32_t)kb->keys.len;
    }
    ck_assert_int_eq(kn_batch_seal(kb->batch, NULL), KN_OK);
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

/* Drains a sorter into `out`, by runs or one row at a time. */
static void drain(kn_sorter *s, bool runs, kn_batch *out) {
    kn_error e;
    kn_error_reset(&e);
    for (;;) {
        bool done;
        if (runs) {
            kn_sorter_run r;
            ck_assert_msg(kn_sorter_next_run(s, 1000, &r, &done, &e) == KN_OK, "%s", e.what);
            if (done) break;
            ck_assert_uint_ge(r.n, 1);
            ck_assert_uint_le(r.n, 1000);
            ck_assert_int_eq(kn_batch_copy_rows(out, r.batch, r.row, r.n, NULL, &e), KN_OK);
        } else {
            kn_sorter_row r;
            ck_assert_msg(kn_sorter_next(s, &r, &done, &e) == KN_OK, "%s", e.what);
            if (done) break;
            ck_assert_int_eq(kn_batch_copy_row(out, r.batch, r.row, NULL, &e), KN_OK);
        }
    }
}

static kn_sorter *filled_sorter(const kn_schema *s, uint64_t memory_limit, const char *dir) {
    kn_sorter_options o = {s, memory_limit, dir, NULL};
    kn_sorter *so;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_sorter_create(&o, &so, &e), KN_OK);
    /* Eleven interleaved streams and one batch of a long stretch of its own: runs of 1 and of
     * thousands. */
    for (int i = 0; i < 12; i++) {
        kn_keyed_batch kb;
        if (i == 11) make_keyed(s, 1000000, 1, 5000, &kb);
        else make_keyed(s, (uint64_t)i, 11, 4000 + (size_t)i * 10, &kb);
        ck_assert_msg(kn_sorter_add(so, &kb, &e) == KN_OK, "%s", e.what);
    }
    ck_assert_msg(kn_sorter_finish(so, &e) == KN_OK, "%s", e.what);
    return so;
}

START_TEST(runs_from_the_merge_are_the_rows_one_at_a_time)
{
    kn_schema *s = schema();
    char dir[] = "/tmp/kn-test-runs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* 1 MiB spills several runs (spill files and their merge); 512 MiB keeps all in memory. */
    static const uint64_t limits[] = {1u << 20, 512u << 20};
    for (size_t k = 0; k < 2; k++) {
        kn_sorter *a = filled_sorter(s, limits[k], dir), *b = filled_sorter(s, limits[k], dir);
        kn_batch *one, *ranges;
        ck_assert_int_eq(kn_batch_create(s, 16, &one, NULL), KN_OK);
        ck_assert_int_eq(kn_batch_create(s, 16, &ranges, NULL), KN_OK);
        drain(a, false, one);
        drain(b, true, ranges);
        ck_assert_uint_eq(one->num_rows, kn_sorter_rows(a));
        if (k == 0) ck_assert_uint_ge(kn_sorter_spill_runs(a), 1); /* a spill file and the memory run */
        assert_same_batches(one, ranges);
        /* In key order: ids ascending. */
        const int64_t *id = kn_column_i64(&one->columns[0]);
        for (size_t i = 1; i < one->num_rows; i++) ck_assert_int_lt(id[i - 1], id[i]);
        kn_batch_free(one);
        kn_batch_free(ranges);
        kn_sorter_free(a);
        kn_sorter_free(b);
    }
    rmdir(dir);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("clustered_runs");
    TCase *tc = tcase_create("clustered_runs");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, runs_from_the_merge_are_the_rows_one_at_a_time);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
