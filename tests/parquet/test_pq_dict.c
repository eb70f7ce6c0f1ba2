/* tests/parquet/test_pq_dict.c: the chunk dictionary (kn_pq_dict.h) against a naive reference:
 * indices in order of first appearance, entries that round-trip byte for byte, the byte bound
 * met exactly, across table growth, both table kinds (values inline for 4- and 8-byte widths
 * while small, tagged slots for the rest, and the move from one to the other), the
 * first-level-cache path and the prefetching path, nulls skipped, a dictionary that sleeps
 * between puts, and a cleared dictionary that starts over. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kn_pq_dict.h"

/* A tiny xorshift: the same values every run. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* The reference numbering: rows draw values from a pool; pool patterns with the same bytes
 * share a canonical pattern (the first of them), and canonical patterns are numbered in the
 * order rows first use them. Found by sorting the patterns (the pools reach 100,000). */
static const uint8_t *sort_pool;
static size_t sort_width;
static int by_bytes_then_index(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = memcmp(sort_pool + x * sort_width, sort_pool + y * sort_width, sort_width);
    return c ? c : (x > y) - (x < y);
}
static size_t *canonical_patterns(const uint8_t *pool, size_t count, size_t width) {
    size_t *canon = calloc(count, sizeof *canon), *order = calloc(count, sizeof *order);
    for (size_t i = 0; i < count; i++) order[i] = i;
    sort_pool = pool;
    sort_width = width;
    qsort(order, count, sizeof *order, by_bytes_then_index);
    for (size_t i = 0; i < count; i++)
        canon[order[i]] = i && !memcmp(pool + order[i] * width, pool + order[i - 1] * width, width) ? canon[order[i - 1]]
                                                                                                  : order[i];
    free(order);
    return canon;
}

/* The first round's dictionary, measured before its clear. */
static size_t last_count, last_table_bytes;
/* When set, the dictionary sleeps (kn_pq_dict_sleep) between some of the put calls. */
static bool sleepy;

/* n values of `width` bytes drawn from `distinct` patterns (with -0.0/+0.0-like pairs: patterns
 * that differ only in their top bit), every seventh row null. */
static void check_fixed(int width, size_t n, size_t distinct, size_t limit) {
    size_t w = (size_t)width;
    uint8_t *vals = calloc(n, w), *pool = calloc(distinct, w);
    uint8_t *validity = calloc((n + 7) / 8, 1);
    size_t *which = calloc(n, sizeof *which);
    for (size_t i = 0; i < distinct; i++) {
        for (size_t b = 0; b < w; b++) pool[i * w + b] = (uint8_t)rnd();
        if (i % 2 == 1) { /* the twin of the previous pattern but for the top bit */
            memcpy(pool + i * w, pool + (i - 1) * w, w);
            pool[i * w + w - 1] ^= 0x80;
        }
    }
    for (size_t i = 0; i < n; i++) {
        which[i] = rnd() % distinct;
        memcpy(vals + i * w, pool + which[i] * w, w);
        if (i % 7 != 3) validity[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    size_t *canon = canonical_patterns(pool, distinct, w);
    uint32_t *ref_idx = calloc(distinct, sizeof *ref_idx);
    kn_pq_dict d;
    ck_assert_int_eq(kn_pq_dict_init(&d, width, limit, NULL), KN_OK);
    for (int round = 0; round < 2; round++) { /* the second after a clear: the same again */
        for (size_t i = 0; i < distinct; i++) ref_idx[i] = UINT32_MAX;
        uint32_t ref_count = 0;
        uint32_t *idx = calloc(n, sizeof *idx);
        size_t nidx = 0, done = 0;
        /* Uneven calls, as pages and batches make them. */
        while (done < n && !d.full) {
            size_t want = 1 + rnd() % 700;
            if (want > n - done) want = n - done;
            if (sleepy && rnd() % 4 == 0) {
                kn_pq_dict_sleep(&d);
                ck_assert(kn_pq_dict_ready(&d));
                ck_assert_uint_eq(kn_pq_dict_table_bytes(&d), 0);
            }
            size_t took = kn_pq_dict_put_fixed(&d, vals + done * w, validity, done, want, idx, &nidx, NULL);
            ck_assert_uint_ne(took, (size_t)-1);
            ck_assert_uint_le(took, want);
            done += took;
            if (took < want) ck_assert(d.full);
        }
        /* Every present row taken got its reference index. */
        size_t k = 0;
        for (size_t i = 0; i < done; i++) {
            if (!((validity[i / 8] >> (i % 8)) & 1)) continue;
            size_t c = canon[which[i]];
            if (ref_idx[c] == UINT32_MAX) ref_idx[c] = ref_count++;
            ck_assert_uint_lt(k, nidx);
            ck_assert_uint_eq(idx[k], ref_idx[c]);
            k++;
        }
        ck_assert_uint_eq(k, nidx);
        ck_assert_uint_eq(d.count, ref_count);
        ck_assert_uint_eq(d.values.len, (size_t)ref_count * w);
        ck_assert_uint_le(d.values.len, limit);
        for (size_t i = 0; i < distinct; i++) {
            if (ref_idx[i] == UINT32_MAX) continue;
            size_t len;
            const uint8_t *p = kn_pq_dict_entry(&d, ref_idx[i], &len);
            ck_assert_uint_eq(len, w);
            ck_assert_int_eq(memcmp(p, pool + i * w, w), 0);
        }
        if (d.full) {
            /* The bound stopped at a present row with a new value that did not fit. */
            ck_assert_uint_lt(done, n);
            ck_assert((validity[done / 8] >> (done % 8)) & 1);
            ck_assert_uint_eq(ref_idx[canon[which[done]]], UINT32_MAX);
            ck_assert_uint_gt(d.values.len + w, limit);
        } else {
            ck_assert_uint_eq(done, n);
        }
        free(idx);
        if (round == 0) last_count = d.count, last_table_bytes = kn_pq_dict_table_bytes(&d);
        kn_pq_dict_clear(&d);
        ck_assert_uint_eq(d.count, 0);
        ck_assert(!d.full);
    }
    kn_pq_dict_release(&d);
    free(ref_idx);
    free(canon);
    free(which);
    free(validity);
    free(pool);
    free(vals);
}

START_TEST(fixed_width_values_get_first_appearance_indices)
{
    rng_state = 0x9E3779B97F4A7C15ull;
    static const int widths[] = {4, 8, 16, 12};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        check_fixed(widths[w], 3000, 37, 1 << 20);     /* few values: the small-table path */
        check_fixed(widths[w], 40000, 9000, 1 << 20);  /* many: growth and the prefetching path */
        check_fixed(widths[w], 12000, 6000, 1 << 20);  /* mostly distinct */
    }
}
END_TEST

START_TEST(large_dictionaries_of_4_and_8_byte_values_move_to_the_compact_table)
{
    /* Some 77,000 distinct values: past the 32,768 an inline table of 1 MiB holds at half
     * full, the dictionary moves (mid-call) to 8-byte slots filled up to 3/4: 131,072 slots
     * (1 MiB) where the inline table would take 262,144 of 16 bytes (4 MiB). */
    rng_state = 0x94D049BB133111EBull;
    static const int widths[] = {4, 8};
    for (size_t w = 0; w < 2; w++) {
        check_fixed(widths[w], 200000, 90000, 1 << 20);
        ck_assert_uint_gt(last_count, 70000);
        ck_assert_uint_le(last_table_bytes, 16 * last_count);
    }
}
END_TEST

START_TEST(a_dictionary_that_sleeps_between_puts_keeps_its_indices)
{
    /* Its table let go and built again from the entries, inline or compact, small or large,
     * before a clear or after, up to the bound: the same indices as a dictionary that never
     * slept. */
    rng_state = 0xA0761D6478BD642Full;
    sleepy = true;
    static const int widths[] = {4, 8, 16};
    for (size_t w = 0; w < 3; w++) {
        check_fixed(widths[w], 3000, 37, 1 << 20);
        check_fixed(widths[w], 200000, 90000, 1 << 20);
        check_fixed(widths[w], 30000, 10000, 4000);
    }
    sleepy = false;
}
END_TEST

START_TEST(the_byte_bound_stops_at_the_first_value_that_does_not_fit)
{
    rng_state = 0xD1B54A32D192ED03ull;
    static const int widths[] = {4, 8, 16};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        check_fixed(widths[w], 30000, 10000, 4000); /* full after 1000 / 500 / 250 entries */
        check_fixed(widths[w], 30000, 10000, (size_t)widths[w] * 3000 + 1);
    }
}
END_TEST

START_TEST(byte_arrays_get_first_appearance_indices)
{
    rng_state = 0x2545F4914F6CDD1Dull;
    enum { N = 30000, DISTINCT = 5000 };
    /* Strings of 0 to 60 bytes: every length class of the comparison, and prefixes of each
     * other ("ab" and "abc"), which must stay apart. */
    char pool[DISTINCT][64];
    size_t plen[DISTINCT];
    for (size_t i = 0; i < DISTINCT; i++) {
        plen[i] = i < 61 ? i : rnd() % 61;
        for (size_t b = 0; b < plen[i]; b++) pool[i][b] = (char)('a' + (i < 61 ? 0 : rnd() % 3));
    }
    uint32_t *offs = calloc(N + 1, sizeof *offs);
    uint8_t *bytes = calloc(N, 64);
    size_t *which = calloc(N, sizeof *which);
    for (size_t i = 0; i < N; i++) {
        which[i] = rnd() % DISTINCT;
        memcpy(bytes + offs[i], pool[which[i]], plen[which[i]]);
        offs[i + 1] = offs[i] + (uint32_t)plen[which[i]];
    }
    kn_pq_dict d;
    ck_assert_int_eq(kn_pq_dict_init(&d, 0, 1 << 20, NULL), KN_OK);
    uint32_t *idx = calloc(N, sizeof *idx);
    size_t nidx = 0;
    /* In three calls, the dictionary asleep before the second and the third. */
    for (size_t part = 0; part < 3; part++) {
        size_t from = part * N / 3, to = (part + 1) * N / 3;
        if (part) kn_pq_dict_sleep(&d);
        ck_assert_uint_eq(kn_pq_dict_put_bytes(&d, offs + from, bytes, NULL, 0, to - from, idx, &nidx, NULL),
                          to - from);
    }
    ck_assert_uint_eq(nidx, N);
    /* Reference: patterns with the same bytes share a canonical pattern (the first of them);
     * canonical patterns are numbered in the order rows first use them. */
    size_t *canon = calloc(DISTINCT, sizeof *canon);
    uint32_t *ref_idx = calloc(DISTINCT, sizeof *ref_idx);
    for (size_t i = 0; i < DISTINCT; i++) {
        canon[i] = i;
        for (size_t j = 0; j < i; j++)
            if (plen[j] == plen[i] && memcmp(pool[j], pool[i], plen[i]) == 0) {
                canon[i] = canon[j];
                break;
            }
        ref_idx[i] = UINT32_MAX;
    }
    uint32_t next = 0;
    for (size_t i = 0; i < N; i++) {
        size_t c = canon[which[i]];
        if (ref_idx[c] == UINT32_MAX) ref_idx[c] = next++;
        ck_assert_uint_eq(idx[i], ref_idx[c]);
        size_t len;
        const uint8_t *p = kn_pq_dict_entry(&d, idx[i], &len);
        ck_assert(len == plen[which[i]] && memcmp(p, pool[which[i]], len) == 0);
    }
    ck_assert_uint_eq(d.count, next);
    free(ref_idx);
    free(canon);
    kn_pq_dict_release(&d);
    free(idx);
    free(which);
    free(bytes);
    free(offs);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pq_dict");
    TCase *tc = tcase_create("pq_dict");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fixed_width_values_get_first_appearance_indices);
    tcase_add_test(tc, large_dictionaries_of_4_and_8_byte_values_move_to_the_compact_table);
    tcase_add_test(tc, a_dictionary_that_sleeps_between_puts_keeps_its_indices);
    tcase_add_test(tc, the_byte_bound_stops_at_the_first_value_that_does_not_fit);
    tcase_add_test(tc, byte_arrays_get_first_appearance_indices);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
