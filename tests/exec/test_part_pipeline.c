/* tests/exec/test_part_pipeline.c: the streaming partitioned write's scheduler
 * (kn_part_pipeline.h) on made-up morsels: every row reaches its partition once and in input
 * order, row groups come to each partition in order and are cut the same whatever the thread
 * count, the open-bytes budget cuts row groups early, more folders than allowed stop the run as
 * an overflow, and a failing accept or write stops it with that failure (and, under the
 * sanitizers, without leaks). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_part_pipeline.h"
#include "kn_pq_rowgroup.h"
#include "kn_pqr.h"
#include "kn_stream.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"

#define MORSELS 40
#define PARTS 3
#define MAX_WRITES 4096

static kn_schema *schema;
static kn_pq_layout *layout;

/* Morsel m holds rows m * 1000 .. m * 1000 + rows(m) - 1; row v goes to partition v % PARTS
 * (morsel 7 has none at all). */
static size_t morsel_rows(size_t m) { return m == 7 ? 0 : 200 + (m * 37) % 300; }
static const char *part_path(size_t p) {
    static const char *paths[] = {"k=a/", "k=b/", "k=c/", "k=d/"};
    return paths[p];
}

typedef struct written {
    size_t part;
    size_t ordinal;      /* its place in the partition's file */
    uint64_t rows;
    int64_t first, last; /* the row group's first and last value, from the file's statistics */
} written;

typedef struct ctx {
    size_t parts;          /* distinct folders the morsels use */
    size_t fail_accept_at; /* SIZE_MAX: never */
    size_t fail_write_at;
    bool too_many_at_5;    /* morsel 5 says it has too many folders */
    pthread_mutex_t mu;
    kn_buf files[4];        /* each partition's row groups, appended to one Parquet file */
    kn_pq_writer *writers[4];
    size_t file_rgs[4];
    written log[MAX_WRITES];
    size_t nlog;
    size_t accepted;
} ctx;

static bool parse(void *c_, int thread, size_t m, size_t slot, kn_part_morsel *out) {
    (void)thread;
    (void)slot;
    ctx *c = c_;
    if (c->too_many_at_5 && m == 5) {
        out->too_many = true;
        return true;
    }
    size_t n = morsel_rows(m);
    for (size_t p = 0; p < c->parts && n; p++) {
        kn_batch *b;
        ck_assert_int_eq(kn_batch_create(schema, 16, &b, NULL), KN_OK);
        for (size_t i = 0; i < n; i++) {
            int64_t v = (int64_t)(m * 1000 + i);
            if ((size_t)v % c->parts == p) ck_assert_int_eq(kn_column_append_i64(&b->columns[0], v, NULL), KN_OK);
        }
        ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
        if (b->num_rows == 0) {
            kn_batch_free(b);
            continue;
        }
        ck_assert_int_eq(kn_part_morsel_add(out, (const uint8_t *)part_path(p), strlen(part_path(p)), b, NULL), KN_OK);
    }
    return true;
}

static kn_status accept(void *c_, size_t m, size_t slot, kn_part_morsel *pm, kn_error *err) {
    (void)slot;
    (void)pm;
    ctx *c = c_;
    ck_assert_uint_eq(m, c->accepted); /* strictly in order */
    c->accepted++;
    if (m == c->fail_accept_at) return kn_error_set(err, KN_E_DATA, "morsel %zu is bad", m);
    return KN_OK;
}

/* Row groups reach the write callback encoded, their batches already let go: the values are
 * checked afterwards, through the statistics of the files they were appended to. */
static kn_status write_rg(void *c_, size_t part, const uint8_t *path, size_t len, const kn_pq_rowgroup *rg,
                          kn_error *err) {
    ctx *c = c_;
    ck_assert(len == 4 && memcmp(path, "k=", 2) == 0);
    ck_assert_uint_eq((size_t)(path[2] - 'a'), part); /* folders numbered in order of first sight */
    ck_assert(kn_pq_rowgroup_encoded(rg));
    pthread_mutex_lock(&c->mu);
    size_t k = c->nlog;
    if (k == c->fail_write_at) {
        pthread_mutex_unlock(&c->mu);
        return kn_error_set(err, KN_E_IO, "disk full at write %zu", k);
    }
    ck_assert_uint_lt(k, MAX_WRITES);
    c->nlog++;
    pthread_mutex_unlock(&c->mu);
    if (!c->writers[part]) {
        kn_pq_options o;
        kn_pq_options_init(&o);
        ck_assert_int_eq(kn_pq_writer_create(schema, kn_mem_sink_create(&c->files[part]), &o, &c->writers[part], err), KN_OK);
    }
    c->log[k] = (written){part, c->file_rgs[part]++, kn_pq_rowgroup_rows(rg), 0, 0};
    return kn_pq_writer_write_rowgroup(c->writers[part], rg, err);
}

static int64_t le64(const kn_pqr_bytes *b) {
    ck_assert_uint_eq(b->len, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b->data[i];
    return (int64_t)v;
}

/* Closes the files and fills each logged row group's first and last value from them. */
static void read_back(ctx *c) {
    for (size_t p = 0; p < 4; p++) {
        if (!c->writers[p]) continue;
        kn_pq_file_info info;
        kn_error e;
        ck_assert_int_eq(kn_pq_writer_close(c->writers[p], &info, &e), KN_OK);
        c->writers[p] = NULL;
        kn_source *src = kn_mem_source_create(c->files[p].data, c->files[p].len, "mem");
        kn_pqr_meta *m;
        ck_assert_msg(kn_pqr_meta_read(src, &m, &e) == KN_OK, "%s", e.what);
        ck_assert_uint_eq(m->num_row_groups, c->file_rgs[p]);
        for (size_t i = 0; i < c->nlog; i++) {
            written *w = &c->log[i];
            if (w->part != p) continue;
            const kn_pqr_row_group *g = &m->row_groups[w->ordinal];
            ck_assert_int_eq(g->num_rows, (int64_t)w->rows);
            w->first = le64(&g->columns[0].meta_data.statistics.min_value);
            w->last = le64(&g->columns[0].meta_data.statistics.max_value);
            /* Only this partition's values. */
            ck_assert_uint_eq((size_t)w->first % c->parts, p);
            ck_assert_uint_eq((size_t)w->last % c->parts, p);
        }
        kn_pqr_meta_free(m);
        kn_source_free(src);
        kn_buf_free(&c->files[p]);
    }
}

/* A failed run's files, dropped. */
static void drop_files(ctx *c) {
    for (size_t p = 0; p < 4; p++) {
        kn_pq_writer_abort(c->writers[p]);
        c->writers[p] = NULL;
        kn_buf_free(&c->files[p]);
    }
}

static void ctx_init(ctx *c, size_t parts) {
    memset(c, 0, sizeof *c);
    c->parts = parts;
    c->fail_accept_at = c->fail_write_at = SIZE_MAX;
    pthread_mutex_init(&c->mu, NULL);
}

static kn_status run(ctx *c, int threads, size_t max_partitions, uint64_t open_bytes, bool *overflow, kn_error *e) {
    kn_part_pipeline_options o = {
        .num_morsels = MORSELS,
        .threads = threads,
        .window = 2 * (size_t)threads + 2,
        .layout = layout,
        .max_partitions = max_partitions,
        .open_bytes = open_bytes,
        .profile = NULL,
        .ops = {c, parse, accept, write_rg},
    };
    kn_error_reset(e);
    return kn_part_pipeline_run(&o, overflow, e);
}

/* The log in a fixed order (partition, then first value): writes of different partitions may
 * interleave differently from run to run; those of one partition may not. */
static int by_part_then_first(const void *a, const void *b) {
    const written *x = a, *y = b;
    if (x->part != y->part) return x->part < y->part ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Each partition's row groups follow one another without gap or overlap, from its first row to
 * its last; returns the rows seen. */
static uint64_t check_partitions(ctx *c) {
    uint64_t total = 0;
    for (size_t p = 0; p < c->parts; p++) {
        int64_t next = -1;
        for (size_t i = 0; i < c->nlog; i++) {
            written *w = &c->log[i];
            if (w->part != p) continue;
            /* In write order: each row group starts past the previous one's end. */
            ck_assert_msg(w->first > next, "partition %zu: row group from %lld after %lld", p, (long long)w->first,
                          (long long)next);
            next = w->last;
            total += w->rows;
        }
    }
    return total;
}

static uint64_t all_rows(void) {
    uint64_t n = 0;
    for (size_t m = 0; m < MORSELS; m++) n += morsel_rows(m);
    return n;
}

START_TEST(every_row_reaches_its_partition_in_order_and_the_cuts_do_not_depend_on_threads)
{
    static ctx a, b;
    ctx_init(&a, PARTS);
    ctx_init(&b, PARTS);
    kn_error e;
    bool over = true;
    /* 20 KiB of open rows for three partitions of 8-byte values: cut early, again and again. */
    ck_assert_int_eq(run(&a, 1, 8, 20 * 1024, &over, &e), KN_OK);
    ck_assert(!over);
    ck_assert_int_eq(run(&b, 2, 8, 20 * 1024, &over, &e), KN_OK);
    ck_assert(!over);
    read_back(&a);
    read_back(&b);
    ck_assert_uint_eq(check_partitions(&a), all_rows());
    ck_assert_uint_eq(check_partitions(&b), all_rows());
    ck_assert_uint_eq(a.nlog, b.nlog);
    ck_assert_uint_gt(a.nlog, 3 * PARTS); /* several row groups per partition */
    qsort(a.log, a.nlog, sizeof *a.log, by_part_then_first);
    qsort(b.log, b.nlog, sizeof *b.log, by_part_then_first);
    for (size_t i = 0; i < a.nlog; i++)
        ck_assert_msg(a.log[i].part == b.log[i].part && a.log[i].rows == b.log[i].rows && a.log[i].first == b.log[i].first,
                      "row group %zu differs between 1 and 2 threads", i);
}
END_TEST

START_TEST(without_budget_pressure_row_groups_are_cut_only_by_size)
{
    static ctx a;
    ctx_init(&a, PARTS);
    kn_error e;
    bool over;
    ck_assert_int_eq(run(&a, 2, 8, (uint64_t)1 << 30, &over, &e), KN_OK);
    read_back(&a);
    ck_assert_uint_eq(check_partitions(&a), all_rows());
    /* Every row group but each partition's last reaches the layout's row group size (8 KiB of
     * 8-byte values, some 1,000 rows; the budget-cut ones of the first test are far smaller). */
    for (size_t p = 0; p < PARTS; p++) {
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < a.nlog; i++)
            if (a.log[i].part == p) last = i;
        for (size_t i = 0; i < a.nlog; i++)
            if (a.log[i].part == p && i != last) ck_assert_uint_ge(a.log[i].rows, 500);
    }
}
END_TEST

START_TEST(more_folders_than_allowed_stop_the_run_as_an_overflow)
{
    static ctx a, b;
    ctx_init(&a, 4);
    kn_error e;
    bool over = false;
    ck_assert_int_eq(run(&a, 2, 3, (uint64_t)1 << 20, &over, &e), KN_OK);
    ck_assert(over);
    drop_files(&a);
    /* A morsel that says it alone has too many: the same outcome. */
    ctx_init(&b, PARTS);
    b.too_many_at_5 = true;
    over = false;
    ck_assert_int_eq(run(&b, 2, 8, (uint64_t)1 << 20, &over, &e), KN_OK);
    ck_assert(over);
    ck_assert_uint_le(b.accepted, 6); /* nothing is accepted past morsel 5 */
    drop_files(&b);
}
END_TEST

START_TEST(a_failing_accept_or_write_stops_the_run_with_its_error)
{
    static ctx a, b;
    ctx_init(&a, PARTS);
    a.fail_accept_at = 11;
    kn_error e;
    bool over = true;
    ck_assert_int_eq(run(&a, 2, 8, 20 * 1024, &over, &e), KN_E_DATA);
    ck_assert_msg(strstr(e.what, "morsel 11 is bad"), "%s", e.what);
    ck_assert(!over);
    ck_assert_uint_eq(a.accepted, 12);
    drop_files(&a);
    ctx_init(&b, PARTS);
    b.fail_write_at = 4;
    ck_assert_int_eq(run(&b, 2, 8, 20 * 1024, &over, &e), KN_E_IO);
    ck_assert_msg(strstr(e.what, "disk full at write 4"), "%s", e.what);
    ck_assert_uint_eq(b.nlog, 4);
    drop_files(&b);
}
END_TEST

int main(void) {
    schema = kn_schema_create();
    if (kn_schema_add(schema, "v", kn_type_make(KN_TYPE_INT64), false, NULL) != KN_OK) return 1;
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.row_group_bytes = 8 * 1024;
    o.page_bytes = 2048;
    kn_error e;
    if (kn_pq_layout_create(schema, &o, &layout, &e) != KN_OK) return 1;
    Suite *s = suite_create("part_pipeline");
    TCase *tc = tcase_create("scheduler");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_row_reaches_its_partition_in_order_and_the_cuts_do_not_depend_on_threads);
    tcase_add_test(tc, without_budget_pressure_row_groups_are_cut_only_by_size);
    tcase_add_test(tc, more_folders_than_allowed_stop_the_run_as_an_overflow);
    tcase_add_test(tc, a_failing_accept_or_write_stops_the_run_with_its_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    kn_pq_layout_free(layout);
    kn_schema_free(schema);
    return failed ? 1 : 0;
}
