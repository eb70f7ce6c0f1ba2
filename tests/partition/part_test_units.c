/* tests/partition/part_test_units.c: the clustered write's building blocks on their own: key
 * encodings order like the values, spill blocks read back what was written, and the external
 * sort (with spills and merge passes) gives back every row once, in key order. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_gather.h"
#include "kn_sort_key.h"
#include "kn_sort_rows.h"
#include "kn_sort_spill.h"
#include "kn_spill_block.h"
#include "part_test_units.h"
#include "part_test_util.h"

static kn_schema *all_types_schema(void) {
    kn_schema *s = kn_schema_create();
    kn_error e;
    ck_assert_int_eq(kn_schema_add(s, "i32", kn_type_make(KN_TYPE_INT32), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "i64", kn_type_make(KN_TYPE_INT64), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "f64", kn_type_make(KN_TYPE_FLOAT64), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "d18", kn_type_decimal(12, 2), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "d38", kn_type_decimal(30, 2), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "day", kn_type_make(KN_TYPE_DATE), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ts", kn_type_timestamp(true), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "s", kn_type_make(KN_TYPE_STRING), true, &e), KN_OK);
    return s;
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Appends one row of values drawn from small pools, so ties are common; about 1 in 8 null. */
static void append_random_row(kn_batch *b) {
    static const double doubles[] = {-INFINITY, -1e300, -2.5, -0.0, 0.0, 1e-300, 3.25, 1e300, INFINITY, NAN};
    static const char *strings[] = {"", "a", "a\0b", "a\0", "ab", "b", "\xff", "zz", "\xc3\xa9t\xc3\xa9"};
    static const size_t string_lens[] = {0, 1, 3, 2, 2, 1, 1, 2, 5};
    kn_error e;
    for (size_t c = 0; c < b->schema->num_fields; c++) {
        kn_column *col = &b->columns[c];
        if (rnd() % 8 == 0) {
            ck_assert_int_eq(kn_column_append_null(col, &e), KN_OK);
            continue;
        }
        int64_t small = (int64_t)(rnd() % 11) - 5;
        switch (c) {
        case 0: kn_column_append_i32(col, small == 5 ? INT32_MAX : small == -5 ? INT32_MIN : (int32_t)small * 1000, &e); break;
        case 1: kn_column_append_i64(col, small == 5 ? INT64_MAX : small == -5 ? INT64_MIN : small * 1000000007, &e); break;
        case 2: kn_column_append_f64(col, doubles[rnd() % 10], &e); break;
        case 3: kn_column_append_i64(col, small * 12345, &e); break;
        case 4: {
            kn_i128 v = {(uint64_t)(rnd() % 3) << 62, small};
            kn_column_append_i128(col, v, &e);
            break;
        }
        case 5: kn_column_append_i32(col, (int32_t)small * 400, &e); break;
        case 6: kn_column_append_i64(col, small * 86400000000ll, &e); break;
        case 7: kn_column_append_bool(col, rnd() & 1, &e); break;
        default: {
            size_t k = rnd() % 9;
            kn_column_append_str(col, strings[k], string_lens[k], &e);
            break;
        }
        }
    }
    b->num_rows++;
}

static int sign(int v) { return (v > 0) - (v < 0); }

/* The order the key must give for column `c`: nulls first, then by value (NaN last among
 * doubles, -0 before +0 is allowed to differ: both orders are checked as "not reversed"). */
static int value_cmp(const kn_column *col, size_t a, size_t b) {
    bool va = kn_column_is_valid(col, a), vb = kn_column_is_valid(col, b);
    if (!va || !vb) return va == vb ? 0 : va ? 1 : -1;
    switch (col->type.id) {
    case KN_TYPE_INT32:
    case KN_TYPE_DATE: {
        int32_t x = kn_column_i32(col)[a], y = kn_column_i32(col)[b];
        return (x > y) - (x < y);
    }
    case KN_TYPE_INT64:
    case KN_TYPE_TIMESTAMP:
    case KN_TYPE_DECIMAL:
        if (col->type.id == KN_TYPE_DECIMAL && col->type.precision > 18) {
            kn_i128 x = kn_column_i128(col)[a], y = kn_column_i128(col)[b];
            if (x.hi != y.hi) return x.hi < y.hi ? -1 : 1;
            return (x.lo > y.lo) - (x.lo < y.lo);
        } else {
            int64_t x = kn_column_i64(col)[a], y = kn_column_i64(col)[b];
            return (x > y) - (x < y);
        }
    case KN_TYPE_FLOAT64: {
        double x = kn_column_f64(col)[a], y = kn_column_f64(col)[b];
        if (isnan(x) || isnan(y)) return isnan(x) == isnan(y) ? 0 : isnan(x) ? 1 : -1;
        if (x == 0 && y == 0) return signbit(x) == signbit(y) ? 0 : signbit(x) ? -1 : 1;
        return (x > y) - (x < y);
    }
    case KN_TYPE_BOOL: return kn_column_bool(col)[a] - kn_column_bool(col)[b];
    case KN_TYPE_STRING: {
        size_t la, lb;
        const uint8_t *sa = kn_column_str(col, a, &la), *sb = kn_column_str(col, b, &lb);
        int r = memcmp(sa, sb, la < lb ? la : lb);
        return r ? sign(r) : (la > lb) - (la < lb);
    }
    case KN_TYPE_COUNT_: break;
    }
    return 0;
}

START_TEST(sort_keys_order_rows_like_their_values_nulls_first_then_input_order)
{
    kn_schema *s = all_types_schema();
    kn_keyed_batch kb;
    memset(&kb, 0, sizeof kb);
    kn_error e;
    ck_assert_int_eq(kn_batch_create(s, 64, &kb.batch, &e), KN_OK);
    for (int i = 0; i < 300; i++) append_random_row(kb.batch);
    for (size_t c = 0; c < s->num_fields; c++) {
        size_t cols[2] = {c, (c + 1) % s->num_fields};
        kn_sort_key_spec spec = {NULL, cols, 2};
        ck_assert_int_eq(kn_sort_keys_build(&spec, &kb, 7, &e), KN_OK);
        for (size_t a = 0; a < kb.batch->num_rows; a++) {
            for (size_t b = 0; b < kb.batch->num_rows; b++) {
                int want = value_cmp(&kb.batch->columns[cols[0]], a, b);
                if (!want) want = value_cmp(&kb.batch->columns[cols[1]], a, b);
                if (!want) want = (a > b) - (a < b); /* the ordinal */
                size_t la = kb.key_offs[a + 1] - kb.key_offs[a], lb = kb.key_offs[b + 1] - kb.key_offs[b];
                int r = memcmp(kb.keys.data + kb.key_offs[a], kb.keys.data + kb.key_offs[b], la < lb ? la : lb);
                int got = r ? sign(r) : (la > lb) - (la < lb);
                ck_assert_msg(got == want, "column %s rows %zu, %zu: key order %d, value order %d",
                              s->fields[c].name, a, b, got, want);
            }
        }
    }
    kn_keyed_batch_release(&kb);
    kn_schema_free(s);
}
END_TEST

START_TEST(partition_keys_sort_by_escaped_folder_bytes_then_by_the_sort_columns)
{
    kn_schema *s = kn_schema_create();
    kn_error e;
    ck_assert_int_eq(kn_schema_add(s, "r", kn_type_make(KN_TYPE_STRING), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "n", kn_type_make(KN_TYPE_INT64), true, &e), KN_OK);
    kn_part_spec spec;
    ck_assert_int_eq(kn_part_spec_parse("r", s, &spec, &e), KN_OK);
    kn_keyed_batch kb;
    memset(&kb, 0, sizeof kb);
    ck_assert_int_eq(kn_batch_create(s, 8, &kb.batch, &e), KN_OK);
    const char *vals[] = {"ab", "a", "a/b", "b", "a"};
    int64_t nums[] = {1, 9, 3, -4, 2};
    for (int i = 0; i < 5; i++) {
        kn_column_append_str(&kb.batch->columns[0], vals[i], strlen(vals[i]), &e);
        kn_column_append_i64(&kb.batch->columns[1], nums[i], &e);
        kb.batch->num_rows++;
    }
    size_t col = 1;
    kn_sort_key_spec ks = {&spec, &col, 1};
    ck_assert_int_eq(kn_sort_keys_build(&ks, &kb, 0, &e), KN_OK);
    kn_keyed_batch sorted;
    memset(&sorted, 0, sizeof sorted);
    ck_assert_int_eq(kn_sort_rows(&kb, &sorted, &e), KN_OK);
    /* By folder bytes: r=a%2Fb/ ('%' < '/'), r=a/ (n 2, then 9), r=ab/, r=b/. */
    const char *want_r[] = {"a/b", "a", "a", "ab", "b"};
    int64_t want_n[] = {3, 2, 9, 1, -4};
    for (size_t i = 0; i < 5; i++) {
        size_t len;
        const uint8_t *v = kn_column_str(&sorted.batch->columns[0], i, &len);
        ck_assert_msg(len == strlen(want_r[i]) && !memcmp(v, want_r[i], len), "row %zu: %.*s", i, (int)len, v);
        ck_assert_int_eq(kn_column_i64(&sorted.batch->columns[1])[i], want_n[i]);
        const uint8_t *key = sorted.keys.data + sorted.key_offs[i];
        size_t plen = kn_sort_key_path_len(key, sorted.key_offs[i + 1] - sorted.key_offs[i]);
        ck_assert(plen > 2 && !memcmp(key, "r=", 2) && key[plen - 1] == '/');
    }
    kn_keyed_batch_release(&kb);
    kn_keyed_batch_release(&sorted);
    kn_schema_free(s);
}
END_TEST

static void assert_same_row(const kn_batch *a, size_t ra, const kn_batch *b, size_t rb) {
    for (size_t c = 0; c < a->schema->num_fields; c++) {
        const kn_column *x = &a->columns[c], *y = &b->columns[c];
        ck_assert_int_eq(kn_column_is_valid(x, ra), kn_column_is_valid(y, rb));
        if (!kn_column_is_valid(x, ra)) continue;
        size_t w = kn_type_width(x->type);
        if (w) {
            ck_assert(!memcmp((const uint8_t *)x->values + ra * w, (const uint8_t *)y->values + rb * w, w));
        } else {
            size_t lx, ly;
            const uint8_t *sx = kn_column_str(x, ra, &lx), *sy = kn_column_str(y, rb, &ly);
            ck_assert(lx == ly && !memcmp(sx, sy, lx));
        }
    }
}

/* A folder's pieces of several morsels go to the spill as one block of ranges: the same bytes
 * as the ranges copied into one batch and encoded whole, whether or not a range has a bitmap. */
START_TEST(a_spill_block_of_ranges_is_the_block_of_their_rows_copied_together)
{
    kn_schema *s = all_types_schema();
    kn_batch *a, *full, *copied;
    kn_error e;
    ck_assert_int_eq(kn_batch_create(s, 16, &a, &e), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 16, &full, &e), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 16, &copied, &e), KN_OK);
    for (int i = 0; i < 1000; i++) append_random_row(a);
    uint32_t valid_rows[1000];
    size_t nvalid = 0;
    for (size_t r = 0; r < 1000; r++) {
        bool all = true;
        for (size_t c = 0; c < s->num_fields; c++) all = all && kn_column_is_valid(&a->columns[c], r);
        if (all) valid_rows[nvalid++] = (uint32_t)r;
    }
    ck_assert_uint_ge(nvalid, 80);
    for (size_t i = 0; i < nvalid; i++) ck_assert_int_eq(kn_batch_copy_rows(full, a, valid_rows[i], 1, NULL, &e), KN_OK);
    for (size_t c = 0; c < s->num_fields; c++) ck_assert_ptr_null(full->columns[c].validity);
    const kn_row_range ranges[] = {{a, 3, 10}, {full, 0, 5}, {a, 500, 0}, {a, 17, 100}, {full, 7, 64}, {a, 999, 1}};
    size_t count = sizeof ranges / sizeof *ranges, total = 0;
    for (size_t i = 0; i < count; i++) {
        ck_assert_int_eq(kn_batch_copy_rows(copied, ranges[i].batch, ranges[i].row, ranges[i].n, NULL, &e), KN_OK);
        total += ranges[i].n;
    }
    kn_buf by_ranges = KN_BUF_INIT, by_copy = KN_BUF_INIT;
    ck_assert_int_eq(kn__spill_block_encode_ranges(ranges, count, &by_ranges, &e), KN_OK);
    const kn_row_range whole = {copied, 0, copied->num_rows};
    ck_assert_int_eq(kn__spill_block_encode_ranges(&whole, 1, &by_copy, &e), KN_OK);
    ck_assert_uint_eq(by_ranges.len, by_copy.len);
    ck_assert(!memcmp(by_ranges.data, by_copy.data, by_copy.len));
    kn_keyed_batch back;
    memset(&back, 0, sizeof back);
    ck_assert_int_eq(kn_batch_create(s, 16, &back.batch, &e), KN_OK);
    uint32_t rows;
    uint64_t len;
    ck_assert_int_eq(kn__spill_block_header(by_ranges.data, &rows, &len, &e), KN_OK);
    ck_assert_uint_eq(rows, total);
    ck_assert_int_eq(kn__spill_block_decode(by_ranges.data + KN_SPILL_HEADER_BYTES, len, rows, &back, &e), KN_OK);
    size_t at = 0;
    for (size_t i = 0; i < count; i++)
        for (size_t r = 0; r < ranges[i].n; r++) assert_same_row(ranges[i].batch, ranges[i].row + r, back.batch, at++);
    /* Ranges without a null carry no bitmap, and read back without one. */
    const kn_row_range clean[] = {{full, 1, 9}, {full, 20, 30}};
    kn_buf_clear(&by_ranges);
    ck_assert_int_eq(kn__spill_block_encode_ranges(clean, 2, &by_ranges, &e), KN_OK);
    ck_assert_int_eq(kn__spill_block_header(by_ranges.data, &rows, &len, &e), KN_OK);
    ck_assert_int_eq(kn__spill_block_decode(by_ranges.data + KN_SPILL_HEADER_BYTES, len, rows, &back, &e), KN_OK);
    ck_assert_uint_eq(back.batch->num_rows, 39);
    for (size_t c = 0; c < s->num_fields; c++) ck_assert_ptr_null(back.batch->columns[c].validity);
    for (size_t r = 0; r < 9; r++) assert_same_row(full, 1 + r, back.batch, r);
    for (size_t r = 0; r < 30; r++) assert_same_row(full, 20 + r, back.batch, 9 + r);
    /* Blocks appended one after another into one batch (a regroup of a whole bucket): a block
     * without a bitmap after one with, and the other way round. */
    kn_buf with_nulls = KN_BUF_INIT;
    ck_assert_int_eq(kn__spill_block_encode_ranges(ranges, count, &with_nulls, &e), KN_OK);
    kn_batch *acc;
    ck_assert_int_eq(kn_batch_create(s, 16, &acc, &e), KN_OK);
    const kn_buf *order[] = {&by_ranges, &with_nulls, &by_ranges};
    for (size_t k = 0; k < 3; k++) {
        ck_assert_int_eq(kn__spill_block_header(order[k]->data, &rows, &len, &e), KN_OK);
        ck_assert_int_eq(kn__spill_block_decode_append(order[k]->data + KN_SPILL_HEADER_BYTES, len, rows, acc, &e), KN_OK);
    }
    ck_assert_uint_eq(acc->num_rows, 39 + total + 39);
    at = 0;
    for (size_t r = 0; r < 9; r++) assert_same_row(full, 1 + r, acc, at++);
    for (size_t r = 0; r < 30; r++) assert_same_row(full, 20 + r, acc, at++);
    for (size_t i = 0; i < count; i++)
        for (size_t r = 0; r < ranges[i].n; r++) assert_same_row(ranges[i].batch, ranges[i].row + r, acc, at++);
    for (size_t r = 0; r < 9; r++) assert_same_row(full, 1 + r, acc, at++);
    for (size_t r = 0; r < 30; r++) assert_same_row(full, 20 + r, acc, at++);
    for (size_t c = 0; c < s->num_fields; c++) {
        size_t nulls = 0;
        for (size_t r = 0; r < acc->num_rows; r++) nulls += !kn_column_is_valid(&acc->columns[c], r);
        ck_assert_uint_eq(acc->columns[c].null_count, nulls);
    }
    /* A block cut short is refused. */
    ck_assert_int_eq(kn__spill_block_header(with_nulls.data, &rows, &len, &e), KN_OK);
    ck_assert_int_eq(kn__spill_block_decode_append(with_nulls.data + KN_SPILL_HEADER_BYTES, len - 1, rows, acc, &e), KN_E_IO);
    kn_batch_free(acc);
    kn_buf_free(&with_nulls);
    ck_assert_int_eq(kn__spill_block_encode_ranges(ranges, 0, &by_ranges, &e), KN_E_INTERNAL);
    kn_buf_free(&by_ranges);
    kn_buf_free(&by_copy);
    kn_keyed_batch_release(&back);
    kn_batch_free(a);
    kn_batch_free(full);
    kn_batch_free(copied);
    kn_schema_free(s);
}
END_TEST

START_TEST(spill_blocks_read_back_every_value_null_and_key)
{
    kn_schema *s = all_types_schema();
    kn_keyed_batch kb, back;
    memset(&kb, 0, sizeof kb);
    memset(&back, 0, sizeof back);
    kn_error e;
    ck_assert_int_eq(kn_batch_create(s, 16, &kb.batch, &e), KN_OK);
    ck_assert_int_eq(kn_batch_create(s, 16, &back.batch, &e), KN_OK);
    for (int i = 0; i < 1000; i++) append_random_row(kb.batch);
    size_t cols[] = {8, 2};
    kn_sort_key_spec spec = {NULL, cols, 2};
    ck_assert_int_eq(kn_sort_keys_build(&spec, &kb, 3, &e), KN_OK);
    kn_buf enc = KN_BUF_INIT;
    ck_assert_int_eq(kn__spill_block_encode(&kb, &enc, &e), KN_OK);
    uint32_t rows;
    uint64_t len;
    ck_assert_int_eq(kn__spill_block_header(enc.data, &rows, &len, &e), KN_OK);
    ck_assert_uint_eq(rows, 1000);
    ck_assert_uint_eq(len + KN_SPILL_HEADER_BYTES, enc.len);
    ck_assert_int_eq(kn__spill_block_decode(enc.data + KN_SPILL_HEADER_BYTES, len, rows, &back, &e), KN_OK);
    for (size_t r = 0; r < 1000; r++) {
        assert_same_row(kb.batch, r, back.batch, r);
        ck_assert_uint_eq(kb.key_offs[r + 1], back.key_offs[r + 1]);
    }
    ck_assert(!memcmp(kb.keys.data, back.keys.data, kb.keys.len));
    for (size_t c = 0; c < s->num_fields; c++) ck_assert_uint_eq(kb.batch->columns[c].null_count, back.batch->columns[c].null_count);
    /* Without keys (the partitioned write's blocks): the same rows, every key empty, and no
     * key offsets written. */
    kn_buf bare = KN_BUF_INIT;
    kn_row_range whole = {kb.batch, 0, kb.batch->num_rows};
    ck_assert_int_eq(kn__spill_block_encode_ranges(&whole, 1, &bare, &e), KN_OK);
    ck_assert_uint_eq(bare.len + 1001 * 4 + kb.keys.len, enc.len);
    uint64_t bare_len;
    ck_assert_int_eq(kn__spill_block_header(bare.data, &rows, &bare_len, &e), KN_OK);
    ck_assert_int_eq(kn__spill_block_decode(bare.data + KN_SPILL_HEADER_BYTES, bare_len, rows, &back, &e), KN_OK);
    for (size_t r = 0; r < 1000; r++) {
        assert_same_row(kb.batch, r, back.batch, r);
        ck_assert_uint_eq(back.key_offs[r + 1], 0);
    }
    ck_assert_int_eq(kn__spill_block_decode(bare.data + KN_SPILL_HEADER_BYTES, bare_len - 1, rows, &back, &e), KN_E_IO);
    /* A range of rows at any bit offset (the write by buckets spills each bucket's range of a
     * morsel): bitmaps and offsets start again at 0, and no bit of a row past the range is
     * carried. */
    static const size_t ranges[][2] = {{0, 1}, {3, 1}, {5, 61}, {8, 64}, {13, 500}, {999, 1}, {1000, 0}, {1, 999}};
    for (size_t k = 0; k < sizeof ranges / sizeof *ranges; k++) {
        size_t from = ranges[k][0], n = ranges[k][1];
        kn_buf_clear(&bare);
        kn_row_range one = {kb.batch, from, n};
        ck_assert_int_eq(kn__spill_block_encode_ranges(&one, 1, &bare, &e), KN_OK);
        uint32_t range_rows;
        ck_assert_int_eq(kn__spill_block_header(bare.data, &range_rows, &bare_len, &e), KN_OK);
        ck_assert_uint_eq(range_rows, n);
        ck_assert_int_eq(kn__spill_block_decode(bare.data + KN_SPILL_HEADER_BYTES, bare_len, range_rows, &back, &e), KN_OK);
        ck_assert_uint_eq(back.batch->num_rows, n);
        for (size_t r = 0; r < n; r++) assert_same_row(kb.batch, from + r, back.batch, r);
        for (size_t c = 0; c < s->num_fields; c++) {
            const kn_column *col = &back.batch->columns[c];
            size_t nulls = 0;
            for (size_t r = 0; r < n; r++) nulls += !kn_column_is_valid(&kb.batch->columns[c], from + r);
            ck_assert_uint_eq(col->null_count, nulls);
            if (col->validity && n % 8) ck_assert_uint_eq(col->validity[n / 8] >> (n % 8), 0);
        }
    }
    kn_buf_free(&bare);
    /* A damaged block is an error, never a crash. */
    ck_assert_uint_eq(rows, 1000);
    ck_assert_int_eq(kn__spill_block_decode(enc.data + KN_SPILL_HEADER_BYTES, len - 5, rows, &back, &e), KN_E_IO);
    ck_assert_int_eq(kn__spill_block_decode(enc.data + KN_SPILL_HEADER_BYTES, len, rows + 1, &back, &e), KN_E_IO);
    /* The partitioned write's blocks have no keys: appending one that has is refused. */
    ck_assert_int_eq(kn__spill_block_decode_append(enc.data + KN_SPILL_HEADER_BYTES, len, rows, back.batch, &e), KN_E_IO);
    enc.data[0] = 'X';
    ck_assert_int_eq(kn__spill_block_header(enc.data, &rows, &len, &e), KN_E_IO);
    kn_buf_free(&enc);
    kn_keyed_batch_release(&kb);
    kn_keyed_batch_release(&back);
    kn_schema_free(s);
}
END_TEST

START_TEST(the_external_sort_gives_every_row_once_in_key_order_through_spills_and_merge_passes)
{
    /* 60 batches of 2,000 rows with a 1 MiB budget: many spill files (more than one merge takes,
     * so merge passes run), then a final merge with a run still in memory. */
    char dir[] = "/tmp/kn-pt-sort-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    kn_schema *s = all_types_schema();
    kn_sorter *so;
    kn_error e;
    kn_sorter_options opt = {s, 1u << 20, dir, NULL};
    ck_assert_int_eq(kn_sorter_create(&opt, &so, &e), KN_OK);
    size_t cols[] = {8, 1, 2};
    kn_sort_key_spec spec = {NULL, cols, 3};
    kn_keyed_batch kb, sorted;
    memset(&kb, 0, sizeof kb);
    memset(&sorted, 0, sizeof sorted);
    const size_t batches = 60, per = 2000;
    for (size_t m = 0; m < batches; m++) {
        if (!kb.batch) ck_assert_int_eq(kn_batch_create(s, 64, &kb.batch, &e), KN_OK);
        kn_batch_clear(kb.batch);
        for (size_t i = 0; i < per; i++) append_random_row(kb.batch);
        ck_assert_int_eq(kn_sort_keys_build(&spec, &kb, m, &e), KN_OK);
        ck_assert_int_eq(kn_sort_rows(&kb, &sorted, &e), KN_OK);
        ck_assert_int_eq(kn_sorter_add(so, &sorted, &e), KN_OK);
        ck_assert_ptr_null(sorted.batch);
    }
    ck_assert_uint_gt(kn_sorter_spill_runs(so), 5);
    ck_assert_int_eq(kn_sorter_finish(so, &e), KN_OK);
    uint8_t *seen = calloc(batches * per, 1);
    kn_buf prev = KN_BUF_INIT;
    size_t n = 0;
    for (;;) {
        kn_sorter_row row;
        bool done;
        ck_assert_int_eq(kn_sorter_next(so, &row, &done, &e), KN_OK);
        if (done) break;
        if (n) {
            size_t l = prev.len < row.key_len ? prev.len : row.key_len;
            int r = memcmp(prev.data, row.key, l);
            ck_assert_msg(r < 0 || (r == 0 && prev.len < row.key_len), "row %zu is out of order", n);
        }
        kn_buf_clear(&prev);
        kn_buf_append(&prev, row.key, row.key_len);
        /* The ordinal (last 8 bytes) names the row: each must come exactly once. */
        uint64_t ord = 0;
        for (int i = 0; i < 8; i++) ord = (ord << 8) | row.key[row.key_len - 8 + i];
        size_t idx = (size_t)(ord >> 32) * per + (size_t)(ord & 0xffffffffu);
        ck_assert_uint_lt(idx, batches * per);
        ck_assert_uint_eq(seen[idx], 0);
        seen[idx] = 1;
        n++;
    }
    ck_assert_uint_eq(n, batches * per);
    ck_assert_uint_eq(kn_sorter_rows(so), batches * per);
    free(seen);
    kn_buf_free(&prev);
    kn_keyed_batch_release(&kb);
    kn_keyed_batch_release(&sorted);
    kn_sorter_free(so);
    kn_schema_free(s);
    /* The sorter deleted its spill files; the folder is empty again. */
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

TCase *pt_units_tcase(void) {
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, sort_keys_order_rows_like_their_values_nulls_first_then_input_order);
    tcase_add_test(tc, partition_keys_sort_by_escaped_folder_bytes_then_by_the_sort_columns);
    tcase_add_test(tc, spill_blocks_read_back_every_value_null_and_key);
    tcase_add_test(tc, a_spill_block_of_ranges_is_the_block_of_their_rows_copied_together);
    tcase_add_test(tc, the_external_sort_gives_every_row_once_in_key_order_through_spills_and_merge_passes);
    return tc;
}
