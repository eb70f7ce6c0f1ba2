/* tests/exec/test_part_route.c: the partition router (kn_part_route.h) groups rows exactly as the
 * per-row folder paths do: every row in one group, in input order, under the path
 * kn_part_path_append gives that row; distinct paths per group; groups in first-row order. Value
 * keys that print one folder (-0.0 and 0.0, a null and "", NaN payloads) share a group. (The
 * gathers that cut a batch by folder are kernels: tests/kernels/test_gather.c.) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_part_route.h"
#include "kn_partition.h"

/* ---- Data ---------------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

enum { C_TS, C_DT, C_N, C_REGION, C_F, C_FLAG, C_D, C_W, C_ID };

static kn_schema *wide_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "ts", kn_type_make(KN_TYPE_TIMESTAMP), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "dt", kn_type_make(KN_TYPE_DATE), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "n", kn_type_make(KN_TYPE_INT32), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "f", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "flag", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "d", kn_type_decimal(10, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "w", kn_type_decimal(30, 3), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    return s;
}

static double nan_with_payload(uint64_t payload) {
    uint64_t bits = 0x7FF8000000000000ull | (payload & 0xFFFFFull);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

/* `n` random rows over few distinct values per column, with nulls, "" and -0.0, and runs of
 * repeated rows (a quarter of rows copy the row before) so both the same-as-previous shortcut
 * and the hash table are used. Timestamps span 1969..1972 so some are negative. */
static kn_batch *random_batch(const kn_schema *s, size_t n, uint64_t seed) {
    static const char *regions[] = {"eu", "us", "", "eu/west", "\xC3\xA9t\xC3\xA9", "a=b", "x%"};
    static const double floats[] = {0.0, -0.0, 1.5, -2.25, 1e300, 0.1};
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 16, &b, NULL), KN_OK);
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
    int64_t ts = 0;
    int32_t dt = 0, nn = 0;
    size_t reg = 0, fi = 0;
    int flag = 0;
    int64_t d = 0;
    int64_t w = 0;
    unsigned nulls = 0; /* bit c: column c is null in this row */
    for (size_t i = 0; i < n; i++) {
        bool repeat = i > 0 && rng_next(&st) % 4 == 0;
        if (!repeat) {
            uint64_t r = rng_next(&st);
            nulls = 0;
            for (unsigned c = 0; c < C_ID; c++)
                if (rng_next(&st) % 13 == 0) nulls |= 1u << c;
            ts = (int64_t)(r % (4ull * 365 * 86400)) * 1000000 - INT64_C(365) * 86400 * 1000000 +
                 (int64_t)(rng_next(&st) % 1000000);
            dt = (int32_t)(rng_next(&st) % 2000) - 1000;
            /* Now and then a far date or time: negative and five-digit years, and the ends of
             * the types (years in the millions). */
            static const int32_t far_dates[] = {-740000, 3000000, INT32_MIN, INT32_MAX, -719528};
            static const int64_t far_times[] = {INT64_MIN, INT64_MAX, -INT64_C(62135596800000001)};
            if (rng_next(&st) % 40 == 0) dt = far_dates[rng_next(&st) % 5];
            if (rng_next(&st) % 40 == 0) ts = far_times[rng_next(&st) % 3];
            nn = (int32_t)(rng_next(&st) % 5) - 2;
            reg = rng_next(&st) % (sizeof regions / sizeof regions[0]);
            fi = rng_next(&st) % 8; /* 6, 7: NaNs */
            flag = (int)(rng_next(&st) % 2);
            d = (int64_t)(rng_next(&st) % 7) - 3;
            w = (int64_t)(rng_next(&st) % 5) - 2;
        }
        kn_column *col = b->columns;
#define NUL(c) (nulls & (1u << (c)))
        if (NUL(C_TS)) kn_column_append_null(&col[C_TS], NULL); else kn_column_append_i64(&col[C_TS], ts, NULL);
        if (NUL(C_DT)) kn_column_append_null(&col[C_DT], NULL); else kn_column_append_i32(&col[C_DT], dt, NULL);
        if (NUL(C_N)) kn_column_append_null(&col[C_N], NULL); else kn_column_append_i32(&col[C_N], nn, NULL);
        if (NUL(C_REGION)) kn_column_append_null(&col[C_REGION], NULL);
        else kn_column_append_str(&col[C_REGION], regions[reg], strlen(regions[reg]), NULL);
        if (NUL(C_F)) kn_column_append_null(&col[C_F], NULL);
        else kn_column_append_f64(&col[C_F], fi < 6 ? floats[fi] : nan_with_payload(fi * 977 + i % 3), NULL);
        if (NUL(C_FLAG)) kn_column_append_null(&col[C_FLAG], NULL); else kn_column_append_bool(&col[C_FLAG], flag, NULL);
        if (NUL(C_D)) kn_column_append_null(&col[C_D], NULL); else kn_column_append_i64(&col[C_D], d * 101, NULL);
        if (NUL(C_W)) kn_column_append_null(&col[C_W], NULL);
        else {
            /* A wide value (above 2^64 in magnitude for some) and small ones. */
            kn_i128 v = {(uint64_t)w * 12345u, w < 0 ? -1 : (w > 1 ? 7 : 0)};
            kn_column_append_i128(&col[C_W], v, NULL);
        }
#undef NUL
        kn_column_append_i64(&col[C_ID], (int64_t)i, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

static void parse_spec(const char *text, const kn_schema *s, kn_part_spec *spec) {
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_part_spec_parse(text, s, spec, &e) == KN_OK, "%s: %s", text, e.what);
}

/* ---- The check ----------------------------------------------------------------------------- */

typedef struct path_ref {
    const uint8_t *p;
    size_t len;
} path_ref;

static int cmp_path(const void *a, const void *b) {
    const path_ref *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Asserts everything the router promises about the grouping of `b`; returns the group count. */
static size_t check_grouping(const kn_part_router *rt, const kn_part_spec *spec, const kn_batch *b) {
    size_t n = b->num_rows, ng = kn_part_route_groups(rt);
    if (n == 0) {
        ck_assert_uint_eq(ng, 0);
        return 0;
    }
    ck_assert_uint_ge(ng, 1);
    uint8_t *seen = kn_calloc(n, 1);
    path_ref *refs = kn_malloc(ng * sizeof *refs);
    kn_buf want = KN_BUF_INIT;
    size_t total = 0, prev_first = 0;
    for (size_t g = 0; g < ng; g++) {
        const uint8_t *path;
        const uint32_t *rows;
        size_t len, cnt;
        kn_part_route_group(rt, g, &path, &len, &rows, &cnt);
        ck_assert_msg(cnt > 0, "group %zu is empty", g);
        if (g > 0) ck_assert_msg(rows[0] > prev_first, "group %zu starts before group %zu", g, g - 1);
        prev_first = rows[0];
        for (size_t i = 0; i < cnt; i++) {
            ck_assert_uint_lt(rows[i], n);
            if (i) ck_assert_msg(rows[i - 1] < rows[i], "group %zu rows out of order", g);
            ck_assert_msg(!seen[rows[i]], "row %u in two groups", rows[i]);
            seen[rows[i]] = 1;
            kn_buf_clear(&want);
            ck_assert_int_eq(kn_part_path_append(spec, b, rows[i], 0, &want, NULL), KN_OK);
            ck_assert_msg(want.len == len && (len == 0 || memcmp(want.data, path, len) == 0),
                          "row %u: path '%.*s', its group's '%.*s'", rows[i], (int)want.len,
                          (const char *)want.data, (int)len, (const char *)path);
        }
        total += cnt;
        refs[g] = (path_ref){path, len};
    }
    ck_assert_uint_eq(total, n);
    qsort(refs, ng, sizeof *refs, cmp_path);
    for (size_t g = 1; g < ng; g++) ck_assert_msg(cmp_path(&refs[g - 1], &refs[g]) != 0, "two groups share a path");
    kn_buf_free(&want);
    kn_free(refs);
    kn_free(seen);
    return ng;
}

static void route_ok(kn_part_router *rt, const kn_batch *b) {
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_part_route(rt, b, &e) == KN_OK, "%s", e.what);
}

/* ---- Tests --------------------------------------------------------------------------------- */

static const char *const k_specs[] = {
    "year(ts),month(ts)", "region", "date(ts),flag", "f", "d", "hour(ts)",
    /* every other kind of key: a wide decimal, an int, identity dates and timestamps, date
     * parts of a date column, several keys mixing strings and derived values */
    "w", "n", "dt", "month(dt),day(dt),year(dt)", "date(dt)", "day(ts),region,flag,n",
    "region,f,d,w,hour(ts)", "ts",
};

START_TEST(random_batches_group_like_per_row_paths)
{
    kn_schema *s = wide_schema();
    for (size_t si = 0; si < sizeof k_specs / sizeof k_specs[0]; si++) {
        kn_part_spec spec;
        parse_spec(k_specs[si], s, &spec);
        kn_part_router *rt;
        ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
        /* One router over several batches of several sizes: tables carry over between calls. */
        for (uint64_t seed = 1; seed <= 6; seed++) {
            size_t n = seed == 3 ? 1 : 500 * seed;
            kn_batch *b = random_batch(s, n, seed * 31 + si);
            route_ok(rt, b);
            size_t ng = check_grouping(rt, &spec, b);
            if (n > 1000) ck_assert_msg(ng > 1, "%s: %zu groups for %zu rows", k_specs[si], ng, n);
            kn_batch_free(b);
        }
        kn_part_router_free(rt);
    }
    kn_schema_free(s);
}
END_TEST

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

static void assert_group(const kn_part_router *rt, size_t g, const char *path, const uint32_t *rows, size_t n) {
    const uint8_t *p;
    const uint32_t *r;
    size_t len, cnt;
    kn_part_route_group(rt, g, &p, &len, &r, &cnt);
    ck_assert_msg(len == strlen(path) && memcmp(p, path, len) == 0, "group %zu: '%.*s', want '%s'", g,
                  (int)len, (const char *)p, path);
    ck_assert_uint_eq(cnt, n);
    for (size_t i = 0; i < n; i++) ck_assert_uint_eq(r[i], rows[i]);
}

START_TEST(values_that_print_one_folder_share_a_group)
{
    kn_schema *s = small_schema();
    /* -0.0 and 0.0 differ in bits but both print "0"; NaNs with different payloads print "NaN".
     * Alternating them defeats the same-as-previous shortcut, so the path table must merge. */
    double f[] = {0.0, -0.0, nan_with_payload(1), -0.0, 0.0, nan_with_payload(2), 1.0, nan_with_payload(3)};
    const char *region[] = {NULL, "", "a", NULL, "", "", "a", NULL};
    kn_batch *b = small_batch(s, 8, f, NULL, region);
    kn_part_spec spec;
    kn_part_router *rt;

    parse_spec("f", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_eq(kn_part_route_groups(rt), 3);
    assert_group(rt, 0, "f=0/", (const uint32_t[]){0, 1, 3, 4}, 4);
    assert_group(rt, 1, "f=NaN/", (const uint32_t[]){2, 5, 7}, 3);
    assert_group(rt, 2, "f=1/", (const uint32_t[]){6}, 1);
    check_grouping(rt, &spec, b);
    kn_part_router_free(rt);

    /* A null and an empty string are both the default partition. */
    parse_spec("region", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_eq(kn_part_route_groups(rt), 2);
    assert_group(rt, 0, "region=__HIVE_DEFAULT_PARTITION__/", (const uint32_t[]){0, 1, 3, 4, 5, 7}, 6);
    assert_group(rt, 1, "region=a/", (const uint32_t[]){2, 6}, 2);
    kn_part_router_free(rt);

    /* Both keys together: (0, null), (-0, "") and (0, "") are one folder. */
    parse_spec("f,region", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_eq(kn_part_route_groups(rt), 4);
    assert_group(rt, 0, "f=0/region=__HIVE_DEFAULT_PARTITION__/", (const uint32_t[]){0, 1, 3, 4}, 4);
    check_grouping(rt, &spec, b);
    kn_part_router_free(rt);

    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(values_that_share_bytes_stay_apart)
{
    /* Value keys must be injective: strings that differ only by trailing NULs (which padding
     * could hide), and ("ab", "c") against ("a", "bc") (which only a length prefix tells
     * apart). Each pair prints two folders, so it must make two groups. */
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "s1", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "s2", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    static const struct {
        const char *a;
        size_t alen;
        const char *b;
        size_t blen;
    } rows[] = {{"a", 1, "x", 1}, {"a\0", 2, "x", 1}, {"a\0\0\0\0\0\0\0\0", 9, "x", 1},
                {"\0", 1, "x", 1}, {"ab", 2, "c", 1}, {"a", 1, "bc", 2}, {"", 0, "abc", 3},
                {"abc", 3, "", 0}, {"a", 1, "x", 1}, {"ab", 2, "c", 1}};
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_int_eq(kn_column_append_str(&b->columns[0], rows[i].a, rows[i].alen, NULL), KN_OK);
        ck_assert_int_eq(kn_column_append_str(&b->columns[1], rows[i].b, rows[i].blen, NULL), KN_OK);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    kn_part_spec spec;
    kn_part_router *rt;
    parse_spec("s1,s2", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_eq(check_grouping(rt, &spec, b), 8);
    assert_group(rt, 0, "s1=a/s2=x/", (const uint32_t[]){0, 8}, 2);
    assert_group(rt, 4, "s1=ab/s2=c/", (const uint32_t[]){4, 9}, 2);
    kn_part_router_free(rt);
    parse_spec("s1", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_eq(check_grouping(rt, &spec, b), 7);
    kn_part_router_free(rt);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(empty_spec_is_one_group_and_no_rows_no_groups)
{
    kn_schema *s = wide_schema();
    kn_part_spec spec;
    memset(&spec, 0, sizeof spec);
    kn_part_router *rt;
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    kn_batch *b = random_batch(s, 777, 5);
    route_ok(rt, b);
    ck_assert_uint_eq(kn_part_route_groups(rt), 1);
    const uint8_t *p;
    const uint32_t *r;
    size_t len, cnt;
    kn_part_route_group(rt, 0, &p, &len, &r, &cnt);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(cnt, 777);
    for (uint32_t i = 0; i < 777; i++) ck_assert_uint_eq(r[i], i);
    check_grouping(rt, &spec, b);

    kn_batch *none = random_batch(s, 0, 5);
    route_ok(rt, none);
    ck_assert_uint_eq(kn_part_route_groups(rt), 0);
    kn_part_router_free(rt);

    /* No rows under a real spec: no groups either. */
    parse_spec("year(ts),region", s, &spec);
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    route_ok(rt, b);
    ck_assert_uint_gt(kn_part_route_groups(rt), 1);
    route_ok(rt, none);
    ck_assert_uint_eq(kn_part_route_groups(rt), 0);
    kn_part_router_free(rt);

    kn_batch_free(none);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

/* Copies of a grouping, to compare two routings of one batch. */
typedef struct snapshot {
    size_t groups;
    kn_buf bytes; /* per group: path, then its rows */
} snapshot;

static void take_snapshot(const kn_part_router *rt, snapshot *out) {
    out->groups = kn_part_route_groups(rt);
    out->bytes = (kn_buf)KN_BUF_INIT;
    for (size_t g = 0; g < out->groups; g++) {
        const uint8_t *p;
        const uint32_t *r;
        size_t len, cnt;
        kn_part_route_group(rt, g, &p, &len, &r, &cnt);
        ck_assert(kn_buf_append(&out->bytes, &len, sizeof len) && kn_buf_append(&out->bytes, p, len));
        ck_assert(kn_buf_append(&out->bytes, &cnt, sizeof cnt) && kn_buf_append(&out->bytes, r, cnt * 4));
    }
}

START_TEST(every_row_its_own_group_grows_the_tables)
{
    /* 50,000 distinct ids: one group per row, so both tables and the group arrays grow many
     * times within one call. */
    kn_schema *s = wide_schema();
    kn_part_spec spec;
    parse_spec("id", s, &spec);
    kn_part_router *rt;
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    kn_batch *big = random_batch(s, 50000, 9);
    route_ok(rt, big);
    ck_assert_uint_eq(check_grouping(rt, &spec, big), 50000);
    char want[32];
    for (size_t g = 0; g < 50000; g += 4999) {
        const uint8_t *p;
        const uint32_t *r;
        size_t len, cnt;
        kn_part_route_group(rt, g, &p, &len, &r, &cnt);
        ck_assert_uint_eq(cnt, 1);
        ck_assert_uint_eq(r[0], g);
        int wl = snprintf(want, sizeof want, "id=%zu/", g);
        ck_assert(len == (size_t)wl && memcmp(p, want, len) == 0);
    }
    snapshot first;
    take_snapshot(rt, &first);

    /* The same router on a small batch of other values, then the big one again: each result
     * is complete and alone (no group or row left from the call before). */
    kn_batch *small = random_batch(s, 300, 10);
    route_ok(rt, small);
    ck_assert_uint_eq(check_grouping(rt, &spec, small), 300);
    route_ok(rt, big);
    snapshot again;
    take_snapshot(rt, &again);
    ck_assert_uint_eq(first.groups, again.groups);
    ck_assert(first.bytes.len == again.bytes.len && memcmp(first.bytes.data, again.bytes.data, first.bytes.len) == 0);
    kn_buf_free(&first.bytes);
    kn_buf_free(&again.bytes);
    kn_batch_free(small);
    kn_batch_free(big);
    kn_part_router_free(rt);
    kn_schema_free(s);
}
END_TEST

START_TEST(consecutive_batches_are_grouped_independently)
{
    kn_schema *s = wide_schema();
    kn_part_spec spec;
    parse_spec("year(ts),month(ts),region", s, &spec);
    kn_part_router *rt;
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    kn_batch *a = random_batch(s, 4000, 21), *b = random_batch(s, 3000, 22);
    route_ok(rt, a);
    snapshot sa;
    take_snapshot(rt, &sa);
    route_ok(rt, b);
    check_grouping(rt, &spec, b);
    /* A fresh router on `b` gives the same grouping as the reused one. */
    snapshot sb, fresh_b;
    take_snapshot(rt, &sb);
    kn_part_router *rt2;
    ck_assert_int_eq(kn_part_router_create(&spec, &rt2, NULL), KN_OK);
    route_ok(rt2, b);
    take_snapshot(rt2, &fresh_b);
    ck_assert(sb.bytes.len == fresh_b.bytes.len && memcmp(sb.bytes.data, fresh_b.bytes.data, sb.bytes.len) == 0);
    route_ok(rt, a);
    snapshot sa2;
    take_snapshot(rt, &sa2);
    ck_assert(sa.bytes.len == sa2.bytes.len && memcmp(sa.bytes.data, sa2.bytes.data, sa.bytes.len) == 0);
    kn_buf_free(&sa.bytes);
    kn_buf_free(&sa2.bytes);
    kn_buf_free(&sb.bytes);
    kn_buf_free(&fresh_b.bytes);
    kn_part_router_free(rt2);
    kn_part_router_free(rt);
    kn_batch_free(a);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(a_batch_of_another_schema_is_an_internal_error)
{
    kn_schema *s = wide_schema(), *other = small_schema();
    kn_part_spec spec;
    parse_spec("year(ts)", s, &spec); /* column 0: a timestamp; in `other` a float64 */
    kn_part_router *rt;
    ck_assert_int_eq(kn_part_router_create(&spec, &rt, NULL), KN_OK);
    kn_batch *good = random_batch(s, 100, 3);
    route_ok(rt, good);
    double f[] = {1.0};
    const char *region[] = {"x"};
    kn_batch *bad = small_batch(other, 1, f, NULL, region);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_route(rt, bad, &e), KN_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(e.what, "year"));
    ck_assert_uint_eq(kn_part_route_groups(rt), 0);
    /* A key column past the batch's columns. */
    kn_part_spec spec_id;
    parse_spec("id", s, &spec_id);
    kn_part_router *rt2;
    ck_assert_int_eq(kn_part_router_create(&spec_id, &rt2, NULL), KN_OK);
    ck_assert_int_eq(kn_part_route(rt2, bad, &e), KN_E_INTERNAL);
    /* The router still works after a failure. */
    route_ok(rt, good);
    check_grouping(rt, &spec, good);
    kn_part_router_free(rt2);
    kn_part_router_free(rt);
    kn_batch_free(bad);
    kn_batch_free(good);
    kn_schema_free(other);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("part_route");
    TCase *tc = tcase_create("part_route");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, random_batches_group_like_per_row_paths);
    tcase_add_test(tc, values_that_print_one_folder_share_a_group);
    tcase_add_test(tc, values_that_share_bytes_stay_apart);
    tcase_add_test(tc, empty_spec_is_one_group_and_no_rows_no_groups);
    tcase_add_test(tc, every_row_its_own_group_grows_the_tables);
    tcase_add_test(tc, consecutive_batches_are_grouped_independently);
    tcase_add_test(tc, a_batch_of_another_schema_is_an_internal_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
