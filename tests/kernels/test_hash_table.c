/* tests/kernels/test_hash_table.c: the byte-string key table (kn_hash_table.h). Every distinct
 * key gets the next dense index and keeps it through growth; equal bytes find it again whatever
 * the hash's collisions; the empty key, keys with NUL bytes and long keys are keys like any other;
 * absent keys are not found; a cleared table starts over at index 0 and keeps its memory. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_hash_table.h"

/* Check records every passing ck_assert (a write per call), which hundreds of thousands of checks
 * in a loop turn into seconds: loops check with this, which only reports a failure. */
#define EXPECT(cond)                                                                            \
    do {                                                                                        \
        if (!(cond)) ck_abort_msg("%s:%d: expected %s", __FILE__, __LINE__, #cond);              \
    } while (0)

/* ---- Keys ---------------------------------------------------------------------------------- */

#define LONG_KEY 3000

/* Key `id`: the id's bytes in little-endian order without trailing zero bytes (so 0 has none and
 * 256 is 00 01: a NUL inside), then id % 23 zero bytes, or LONG_KEY of them for one id in 997.
 * Distinct ids give distinct keys: strip the trailing zeros and the id's bytes remain, ending on
 * a non-zero byte. Id 0 is the empty key. Returns the length; `buf` has LONG_KEY + 8 bytes. */
static size_t key_of(uint32_t id, uint8_t *buf) {
    size_t n = 0;
    for (uint32_t v = id; v; v >>= 8) buf[n++] = (uint8_t)v;
    size_t tail = id % 997 == 5 ? LONG_KEY : id % 23;
    memset(buf + n, 0, tail);
    return n + tail;
}

static uint64_t rng = 0x1234567;
static uint32_t rnd(uint32_t below) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % below);
}

static size_t insert_new(kn_hash_table *ht, const void *key, size_t len) {
    size_t index = SIZE_MAX;
    bool inserted = false;
    EXPECT(kn_hash_table_insert(ht, key, len, &index, &inserted, NULL) == KN_OK);
    EXPECT(inserted);
    return index;
}

static void assert_key(const kn_hash_table *ht, size_t index, const void *key, size_t len) {
    size_t got_len = SIZE_MAX;
    const uint8_t *got = kn_hash_table_key(ht, index, &got_len);
    EXPECT(got != NULL);
    EXPECT(got_len == len);
    EXPECT(len == 0 || memcmp(got, key, len) == 0);
}

/* ---- Tests --------------------------------------------------------------------------------- */

START_TEST(keys_get_dense_indexes_in_first_insert_order_through_growth)
{
    /* 60k distinct keys among 200k inserts in random order, from a table sized for none: it
     * doubles a dozen times, and every key keeps the index of its first insert. */
    enum { IDS = 60000, INSERTS = 200000 };
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(0, &ht, NULL), KN_OK);
    size_t *index_of = kn_malloc(IDS * sizeof *index_of);
    uint32_t *id_at = kn_malloc(IDS * sizeof *id_at);
    for (size_t i = 0; i < IDS; i++) index_of[i] = SIZE_MAX;
    uint8_t *buf = kn_malloc(LONG_KEY + 8);
    size_t distinct = 0;
    for (size_t k = 0; k < INSERTS; k++) {
        uint32_t id = rnd(IDS);
        size_t len = key_of(id, buf), index;
        bool inserted;
        EXPECT(kn_hash_table_insert(ht, buf, len, &index, &inserted, NULL) == KN_OK);
        if (index_of[id] == SIZE_MAX) {
            EXPECT(inserted);
            EXPECT(index == distinct);
            index_of[id] = index;
            id_at[distinct++] = id;
        } else {
            EXPECT(!inserted);
            EXPECT(index == index_of[id]);
        }
        EXPECT(kn_hash_table_count(ht) == distinct);
    }
    ck_assert_uint_gt(distinct, IDS / 2);
    /* Every key reads back as inserted and is found at its index; every other id is absent. */
    for (size_t i = 0; i < distinct; i++) {
        size_t len = key_of(id_at[i], buf);
        assert_key(ht, i, buf, len);
    }
    for (uint32_t id = 0; id < IDS; id++) {
        size_t len = key_of(id, buf), index = SIZE_MAX;
        bool found = kn_hash_table_find(ht, buf, len, &index);
        EXPECT(found == (index_of[id] != SIZE_MAX));
        if (found) EXPECT(index == index_of[id]);
    }
    for (uint32_t id = IDS; id < IDS + 5000; id++) {
        size_t len = key_of(id, buf), index;
        EXPECT(!kn_hash_table_find(ht, buf, len, &index));
    }
    kn_free(buf);
    kn_free(id_at);
    kn_free(index_of);
    kn_hash_table_free(ht);
}
END_TEST

START_TEST(empty_nul_and_long_keys_are_distinct_keys)
{
    /* Keys that a C-string table would confuse: the empty key, NULs, one key a prefix of the next;
     * and long keys that differ only in their last byte. */
    static const char *const keys[] = {"", "\0", "\0\0", "a", "a\0", "a\0\0", "\0a", "ab", "a\0b"};
    static const size_t lens[] = {0, 1, 2, 1, 2, 3, 2, 2, 3};
    enum { N = sizeof lens / sizeof lens[0] };
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(4, &ht, NULL), KN_OK);
    /* The empty key of an empty table reads back as a real pointer. */
    ck_assert_uint_eq(insert_new(ht, NULL, 0), 0);
    assert_key(ht, 0, "", 0);
    for (size_t i = 1; i < N; i++) ck_assert_uint_eq(insert_new(ht, keys[i], lens[i]), i);
    static uint8_t long_a[100000], long_b[100000];
    memset(long_a, 'x', sizeof long_a);
    memset(long_b, 'x', sizeof long_b);
    long_b[sizeof long_b - 1] = 'y';
    ck_assert_uint_eq(insert_new(ht, long_a, sizeof long_a), N);
    ck_assert_uint_eq(insert_new(ht, long_b, sizeof long_b), N + 1);
    ck_assert_uint_eq(insert_new(ht, long_a, sizeof long_a - 1), N + 2);
    for (size_t i = 0; i < N; i++) {
        size_t index = SIZE_MAX;
        bool inserted = true;
        ck_assert_int_eq(kn_hash_table_insert(ht, keys[i], lens[i], &index, &inserted, NULL), KN_OK);
        ck_assert(!inserted);
        ck_assert_uint_eq(index, i);
        assert_key(ht, i, keys[i], lens[i]);
    }
    size_t index;
    ck_assert(kn_hash_table_find(ht, long_b, sizeof long_b, &index));
    ck_assert_uint_eq(index, N + 1);
    assert_key(ht, N + 1, long_b, sizeof long_b);
    ck_assert(!kn_hash_table_find(ht, "b", 1, &index));
    ck_assert(!kn_hash_table_find(ht, "\0\0\0", 3, &index));
    ck_assert(!kn_hash_table_find(ht, long_a, sizeof long_a - 2, &index));
    ck_assert_uint_eq(kn_hash_table_count(ht), N + 3);
    kn_hash_table_free(ht);
}
END_TEST

START_TEST(colliding_hashes_are_told_apart_by_the_bytes)
{
    /* The caller's hash may collide: here only 4 values, so long probe runs of equal hashes,
     * growth that moves them, and lookups that must compare bytes to find the right key. */
    enum { IDS = 3000 };
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(0, &ht, NULL), KN_OK);
    uint8_t *buf = kn_malloc(LONG_KEY + 8);
    for (uint32_t id = 0; id < IDS; id++) {
        size_t len = key_of(id, buf), index;
        bool inserted;
        EXPECT(kn_hash_table_insert_hashed(ht, buf, len, id % 4, &index, &inserted, NULL) == KN_OK);
        EXPECT(inserted);
        EXPECT(index == id);
    }
    for (uint32_t id = 0; id < IDS + 100; id++) {
        size_t len = key_of(id, buf), index = SIZE_MAX;
        bool found = kn_hash_table_find_hashed(ht, buf, len, id % 4, &index);
        EXPECT(found == (id < IDS));
        if (found) EXPECT(index == id);
        /* The right bytes under another hash are not found: the hash is compared first. */
        if (id < IDS) EXPECT(!kn_hash_table_find_hashed(ht, buf, len, 4 + id % 4, &index));
    }
    kn_free(buf);
    kn_hash_table_free(ht);
}
END_TEST

START_TEST(plain_calls_are_the_hashed_calls_with_kn_hash_bytes)
{
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(0, &ht, NULL), KN_OK);
    uint8_t buf[LONG_KEY + 8];
    for (uint32_t id = 0; id < 500; id++) {
        size_t len = key_of(id, buf), index;
        bool inserted;
        if (id % 2) insert_new(ht, buf, len);
        else EXPECT(kn_hash_table_insert_hashed(ht, buf, len, kn_hash_bytes(buf, len), &index, &inserted, NULL) == KN_OK);
    }
    for (uint32_t id = 0; id < 500; id++) {
        size_t len = key_of(id, buf), a = SIZE_MAX, b = SIZE_MAX;
        EXPECT(kn_hash_table_find(ht, buf, len, &a));
        EXPECT(kn_hash_table_find_hashed(ht, buf, len, kn_hash_bytes(buf, len), &b));
        EXPECT(a == id);
        EXPECT(b == id);
    }
    kn_hash_table_free(ht);
}
END_TEST

START_TEST(clear_starts_over_at_zero_and_keeps_the_memory)
{
    /* A table reused per batch: after a clear old keys are gone, indexes restart at 0, and a
     * batch no larger than the largest one so far allocates nothing. */
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(0, &ht, NULL), KN_OK);
    uint8_t buf[LONG_KEY + 8];
    for (uint32_t id = 0; id < 20000; id++) {
        size_t len = key_of(id, buf);
        insert_new(ht, buf, len);
    }
    size_t mem = kn_hash_table_mem_bytes(ht);
    ck_assert_uint_gt(mem, 20000 * 16);
    uint32_t prev_first = 7; /* a key of the first fill */
    for (uint32_t round = 0; round < 1000; round++) {
        kn_hash_table_clear(ht);
        EXPECT(kn_hash_table_count(ht) == 0);
        size_t index;
        /* The round before's first key is gone. */
        size_t len = key_of(prev_first, buf);
        EXPECT(!kn_hash_table_find(ht, buf, len, &index));
        kn_mem_stats before, after;
        kn_mem_get_stats(&before);
        /* Keys of this round only, the empty key among them in some rounds. */
        uint32_t first = round % 3 ? 100000 + round : 0, n = 1 + round % 50;
        for (uint32_t k = 0; k < n; k++) {
            len = key_of(first + k * 7919u, buf);
            EXPECT(insert_new(ht, buf, len) == k);
        }
        kn_mem_get_stats(&after);
        EXPECT(after.allocations == before.allocations);
        EXPECT(kn_hash_table_count(ht) == n);
        len = key_of(first, buf);
        EXPECT(kn_hash_table_find(ht, buf, len, &index));
        EXPECT(index == 0);
        assert_key(ht, 0, buf, len);
        prev_first = first;
    }
    ck_assert_uint_eq(kn_hash_table_mem_bytes(ht), mem);
    /* Refilled past its old size, it grows again from where it was. */
    kn_hash_table_clear(ht);
    for (uint32_t id = 0; id < 50000; id++) {
        size_t len = key_of(id, buf);
        EXPECT(insert_new(ht, buf, len) == id);
    }
    ck_assert_uint_gt(kn_hash_table_mem_bytes(ht), mem);
    kn_hash_table_free(ht);
}
END_TEST

START_TEST(create_sizes_for_the_expected_keys_and_free_accepts_null)
{
    /* A table created for n keys takes n keys without allocating again. */
    kn_hash_table *ht;
    ck_assert_int_eq(kn_hash_table_create(1000, &ht, NULL), KN_OK);
    kn_mem_stats before, after;
    kn_mem_get_stats(&before);
    uint8_t buf[8];
    for (uint32_t id = 1; id <= 1000; id++) {
        memcpy(buf, &id, 4);
        insert_new(ht, buf, 4);
    }
    kn_mem_get_stats(&after);
    /* Only the key bytes' buffer: it is sized by bytes, which create cannot know. */
    ck_assert_int_le(after.allocations - before.allocations, 12);
    kn_hash_table_free(ht);
    kn_hash_table_free(NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("hash_table");
    TCase *tc = tcase_create("hash_table");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, keys_get_dense_indexes_in_first_insert_order_through_growth);
    tcase_add_test(tc, empty_nul_and_long_keys_are_distinct_keys);
    tcase_add_test(tc, colliding_hashes_are_told_apart_by_the_bytes);
    tcase_add_test(tc, plain_calls_are_the_hashed_calls_with_kn_hash_bytes);
    tcase_add_test(tc, clear_starts_over_at_zero_and_keeps_the_memory);
    tcase_add_test(tc, create_sizes_for_the_expected_keys_and_free_accepts_null);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
