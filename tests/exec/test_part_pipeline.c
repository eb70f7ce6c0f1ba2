/* tests/exec/test_part_pipeline.c: the partitioned write's row groups, through folder queues
 * (kn_part_pipeline.h) and by buckets (kn_part_buckets.h), on made-up morsels: every row
 * reaches its folder once and in input order; row groups come to each folder in order, cut only
 * by size, the same bytes whatever the way, the thread count, the memory (a small budget spills,
 * a large one does not) and the bucket count; each folder's file is closed once, after its last
 * row group; thousands of folders work the same; and a failing accept or write stops the run
 * with that failure (and, under the sanitizers, without leaks). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_part_buckets.h"
#include "kn_part_pipeline.h"
#include "kn_pq_rowgroup.h"
#include "kn_pqr.h"
#include "kn_stream.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_store_local.h"

#define MORSELS 40
#define PARTS 3
#define MAX_WRITES 4096
#define MAX_PARTS 100000

static kn_schema *schema;
static kn_pq_layout *layout;     /* row groups of 8 KiB */
static kn_pq_layout *big_layout; /* of 256 KiB: folders' encoders hold pages long */
static const kn_pq_layout *run_layout; /* the one run() uses */
static uint64_t column_bytes;          /* run()'s: 0, the pipeline's default */
static size_t buckets;                 /* run()'s: 0 for the folder queues, else by buckets */
static uint64_t passes;                /* the last run by buckets: its regroups */

/* The morsels' rows are numbered 0, 1, 2, ... in order; row v goes to folder v % folders
 * (morsel 7 has none at all). */
static size_t scale = 1; /* more rows per morsel, for many folders */
static size_t fixed_rows;  /* when not 0: every morsel has this many rows */
static size_t morsel_rows(size_t m) {
    if (fixed_rows) return fixed_rows;
    return m == 7 ? 0 : (200 + (m * 37) % 300) * scale;
}
/* Row i of morsel m: the rows of all morsels numbered one after another from 0. */
static int64_t row_value(size_t m, size_t i) {
    size_t first = 0;
    for (size_t j = 0; j < m; j++) first += morsel_rows(j);
    return (int64_t)(first + i);
}
static uint64_t all_rows(void) {
    uint64_t n = 0;
    for (size_t m = 0; m < MORSELS; m++) n += morsel_rows(m);
    return n;
}

static char paths[MAX_PARTS][32]; /* "k=000042/", made in main */
static const char *part_path(size_t p) { return paths[p]; }
static char spill_dir[64];

typedef struct written {
    size_t part;         /* the folder */
    size_t ordinal;      /* its place in the partition's file */
    uint64_t rows;
    int64_t first, last; /* the row group's first and last value, from the file's statistics */
} written;

typedef struct ctx {
    size_t parts;          /* distinct folders the morsels use */
    size_t fail_accept_at; /* SIZE_MAX: never */
    size_t fail_write_at;
    bool no_files;         /* many folders: count rows and closes only */
    bool keep_files;       /* read_back leaves the files for the caller to compare */
    bool end_after_writes; /* the input ends only once every row was written (or 10 s passed) */
    pthread_mutex_t mu;
    uint64_t rows[MAX_PARTS];   /* rows written per folder */
    size_t closes[MAX_PARTS];   /* close calls per folder */
    size_t part_folder[MAX_PARTS]; /* the pipeline's number of a folder -> the folder */
    size_t rank[MAX_PARTS];     /* a folder's place in a morsel: its own, or by bucket */
    size_t ranked[MAX_PARTS];   /* the folder at each place */
    bool closed_early;          /* a row group came after its folder's close */
    kn_buf files[4];        /* each partition's row groups, appended to one Parquet file */
    kn_pq_writer *writers[4];
    size_t file_rgs[4];
    written log[MAX_WRITES];
    size_t nlog;
    size_t accepted;
} ctx;

/* Morsel m's rows grouped by folder: folder p's values (v % parts == p), in order (a counting
 * sort by folder). */
static bool parse(void *c_, int thread, size_t m, size_t slot, kn_part_morsel *out) {
    (void)thread;
    (void)slot;
    ctx *c = c_;
    if (m >= MORSELS) {
        for (int i = 0; c->end_after_writes && i < 1000; i++) {
            pthread_mutex_lock(&c->mu);
            bool all = c->rows[0] == all_rows();
            pthread_mutex_unlock(&c->mu);
            if (all) break;
            usleep(10 * 1000);
        }
        return false;
    }
    size_t n = morsel_rows(m);
    if (!n) return true;
    /* Folders in the order of c->rank (by bucket, for the write by buckets). */
    size_t *start = calloc(c->parts + 1, sizeof *start);
    int64_t *sorted = malloc(n * sizeof *sorted);
    ck_assert(start && sorted);
    for (size_t i = 0; i < n; i++) start[c->rank[(size_t)row_value(m, i) % c->parts] + 1]++;
    for (size_t r = 0; r < c->parts; r++) start[r + 1] += start[r];
    for (size_t i = 0; i < n; i++) sorted[start[c->rank[(size_t)row_value(m, i) % c->parts]]++] = row_value(m, i);
    ck_assert_int_eq(kn_batch_create(schema, n, &out->batch, NULL), KN_OK);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(kn_column_append_i64(&out->batch->columns[0], sorted[i], NULL), KN_OK);
    ck_assert_int_eq(kn_batch_seal(out->batch, NULL), KN_OK);
    /* start[r] is now where the rows of the folder ranked r end. */
    for (size_t r = 0, first = 0; r < c->parts; first = start[r], r++) {
        size_t p = c->ranked[r];
        if (start[r] > first)
            ck_assert_int_eq(kn_part_morsel_add(out, (const uint8_t *)part_path(p), strlen(part_path(p)), first,
                                                start[r] - first, NULL), KN_OK);
    }
    free(start);
    free(sorted);
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
    ck_assert(len == 9 && memcmp(path, "k=", 2) == 0);
    size_t folder = (size_t)strtoul((const char *)path + 2, NULL, 10);
    /* Folders are numbered in order of first sight: with a few, that is their own order (by
     * buckets, a morsel's folders are seen in bucket order). */
    if (c->parts <= 4 && !buckets) ck_assert_uint_eq(folder, part);
    ck_assert(kn_pq_rowgroup_encoded(rg));
    pthread_mutex_lock(&c->mu);
    c->rows[folder] += kn_pq_rowgroup_rows(rg);
    if (c->closes[folder]) c->closed_early = true;
    c->part_folder[part] = folder;
    if (c->no_files) {
        pthread_mutex_unlock(&c->mu);
        return KN_OK;
    }
    size_t k = c->nlog;
    if (k == c->fail_write_at) {
        pthread_mutex_unlock(&c->mu);
        return kn_error_set(err, KN_E_IO, "disk full at write %zu", k);
    }
    ck_assert_uint_lt(k, MAX_WRITES);
    c->nlog++;
    pthread_mutex_unlock(&c->mu);
    if (!c->writers[folder]) {
        kn_pq_options o;
        kn_pq_options_init(&o);
        ck_assert_int_eq(kn_pq_writer_create(schema, kn_mem_sink_create(&c->files[folder]), &o, &c->writers[folder], err),
                         KN_OK);
    }
    c->log[k] = (written){folder, c->file_rgs[folder]++, kn_pq_rowgroup_rows(rg), 0, 0};
    return kn_pq_writer_write_rowgroup(c->writers[folder], rg, err);
}

static kn_status close_part(void *c_, size_t part, kn_error *err) {
    (void)err;
    ctx *c = c_;
    pthread_mutex_lock(&c->mu);
    c->closes[c->part_folder[part]]++;
    pthread_mutex_unlock(&c->mu);
    return KN_OK;
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
        if (!c->keep_files) kn_buf_free(&c->files[p]);
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

static size_t bucket_sort_buckets; /* for by_bucket */
static int by_bucket(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    size_t bx = kn_part_bucket_of((const uint8_t *)part_path(x), strlen(part_path(x)), bucket_sort_buckets);
    size_t by = kn_part_bucket_of((const uint8_t *)part_path(y), strlen(part_path(y)), bucket_sort_buckets);
    return bx != by ? (bx < by ? -1 : 1) : (x > y) - (x < y);
}

/* A fresh context for `parts` folders, each morsel's folders in the order the write in use
 * needs (set `buckets` first). */
static void ctx_init(ctx *c, size_t parts) {
    memset(c, 0, sizeof *c);
    c->parts = parts;
    c->fail_accept_at = c->fail_write_at = SIZE_MAX;
    pthread_mutex_init(&c->mu, NULL);
    for (size_t p = 0; p < parts; p++) c->ranked[p] = p;
    if (buckets) {
        bucket_sort_buckets = buckets;
        qsort(c->ranked, parts, sizeof *c->ranked, by_bucket);
    }
    for (size_t r = 0; r < parts; r++) c->rank[c->ranked[r]] = r;
}

/* Runs the pipeline with `memory` bytes (small: it spills); the spill's runs in *stats. */
static kn_status run(ctx *c, int threads, uint64_t memory, kn_part_pipeline_stats *stats, kn_error *e) {
    kn_part_pipeline_options o = {
        .num_morsels = threads == 2 ? KN_SCHED_OPEN : MORSELS, /* an open count, as when streaming */
        .threads = threads,
        .window = 2 * (size_t)threads + 2,
        .schema = schema,
        .layout = run_layout,
        .memory_bytes = memory,
        .column_bytes = column_bytes,
        .spill_store = kn_store_local(),
        .spill_dir = spill_dir,
        .profile = NULL,
        .ops = {c, parse, accept, write_rg, close_part},
    };
    kn_error_reset(e);
    kn_part_pipeline_stats st;
    kn_status s;
    if (buckets) {
        kn_part_buckets_options bo = {buckets, o};
        kn_part_buckets_stats bs;
        s = kn_part_buckets_run(&bo, &bs, e);
        passes = bs.passes;
        st = (kn_part_pipeline_stats){.spill_runs = bs.spill_runs, .spill_bytes = bs.spill_bytes};
        if (stats) *stats = st;
    } else {
        s = kn_part_pipeline_run(&o, stats ? stats : &st, e);
    }
    /* The spill's files are gone, whatever happened. */
    kn_store_listing l = {0};
    ck_assert_int_eq(kn_store_list(kn_store_local(), spill_dir, 0, &l, NULL), KN_OK);
    ck_assert_msg(l.count == 0, "%zu files left in the spill folder", l.count);
    kn_store_listing_free(&l);
    return s;
}

/* Each folder with rows was closed exactly once, after its last row group. */
static void check_closes(const ctx *c) {
    ck_assert(!c->closed_early);
    for (size_t p = 0; p < c->parts; p++) ck_assert_uint_eq(c->closes[p], c->rows[p] ? 1 : 0);
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

START_TEST(every_row_reaches_its_folder_in_order_and_the_cuts_depend_on_neither_threads_nor_memory)
{
    static ctx a, b, c;
    ctx_init(&a, PARTS);
    ctx_init(&b, PARTS);
    ctx_init(&c, PARTS);
    kn_error e;
    kn_part_pipeline_stats sa, sb, sc;
    ck_assert_msg(run(&a, 1, (uint64_t)1 << 30, &sa, &e) == KN_OK, "%s", e.what);
    ck_assert_msg(run(&b, 2, (uint64_t)1 << 30, &sb, &e) == KN_OK, "%s", e.what);
    /* 16 KiB: queued rows go to spill runs, again and again. */
    ck_assert_msg(run(&c, 2, 16 * 1024, &sc, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_eq(sa.spill_runs, 0);
    ck_assert_uint_gt(sc.spill_runs, 3);
    ck_assert_uint_gt(sc.spill_bytes, 0);
    ctx *all[] = {&a, &b, &c};
    for (size_t k = 0; k < 3; k++) {
        read_back(all[k]);
        ck_assert_uint_eq(check_partitions(all[k]), all_rows());
        check_closes(all[k]);
        qsort(all[k]->log, all[k]->nlog, sizeof *all[k]->log, by_part_then_first);
    }
    ck_assert_uint_gt(a.nlog, 3 * PARTS); /* several row groups per folder */
    for (size_t k = 1; k < 3; k++) {
        ck_assert_uint_eq(all[k]->nlog, a.nlog);
        for (size_t i = 0; i < a.nlog; i++)
            ck_assert_msg(all[k]->log[i].part == a.log[i].part && all[k]->log[i].rows == a.log[i].rows &&
                              all[k]->log[i].first == a.log[i].first,
                          "run %zu: row group %zu differs from the one-thread run's", k, i);
    }
}
END_TEST

START_TEST(row_groups_are_cut_only_by_size)
{
    static ctx a;
    ctx_init(&a, PARTS);
    kn_error e;
    ck_assert_int_eq(run(&a, 2, 16 * 1024, NULL, &e), KN_OK);
    read_back(&a);
    ck_assert_uint_eq(check_partitions(&a), all_rows());
    /* Every row group but each folder's last reaches the layout's row group size (8 KiB of
     * 8-byte values, some 1,000 rows), spilled or not. */
    for (size_t p = 0; p < PARTS; p++) {
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < a.nlog; i++)
            if (a.log[i].part == p) last = i;
        for (size_t i = 0; i < a.nlog; i++)
            if (a.log[i].part == p && i != last) ck_assert_uint_ge(a.log[i].rows, 900);
    }
}
END_TEST

/* `folders` folders of a handful of rows each, with 2 threads and plenty of memory, and with
 * 1 thread and 64 KiB (spilling): every row reaches its folder, each folder is closed once. */
static void many_folders(size_t folders, size_t row_scale) {
    static ctx a, b;
    scale = row_scale;
    for (int k = 0; k < 2; k++) {
        ctx *c = k ? &b : &a;
        ctx_init(c, folders);
        c->no_files = true;
        kn_error e;
        kn_part_pipeline_stats st;
        ck_assert_msg(run(c, k ? 1 : 2, k ? 64 * 1024 : (uint64_t)1 << 30, &st, &e) == KN_OK, "%s", e.what);
        if (k) ck_assert_uint_gt(st.spill_runs, 0);
        /* Each folder's rows, counted from the values themselves. */
        static uint64_t want[MAX_PARTS];
        memset(want, 0, sizeof want);
        for (size_t m = 0; m < MORSELS; m++)
            for (size_t i = 0; i < morsel_rows(m); i++) want[(size_t)row_value(m, i) % folders]++;
        uint64_t total = 0;
        for (size_t p = 0; p < c->parts; p++) {
            ck_assert_uint_eq(c->rows[p], want[p]);
            total += c->rows[p];
        }
        ck_assert_uint_eq(total, all_rows());
        check_closes(c);
    }
    for (size_t p = 0; p < folders; p++) ck_assert_uint_eq(a.rows[p], b.rows[p]);
    scale = 1;
}

START_TEST(thousands_of_folders_each_get_every_row_and_one_close)
{
    many_folders(127, 1);
    many_folders(129, 1);
    many_folders(5000, 1);
}
END_TEST

START_TEST(a_hundred_thousand_folders_each_get_every_row_and_one_close)
{
    many_folders(100000, 10);
}
END_TEST

START_TEST(folders_encoded_as_they_come_moved_or_queued_write_the_same_bytes)
{
    /* Row groups of 256 KiB (some 32,000 rows), about 93,000 rows per folder. With memory to
     * spare every folder is encoded as its rows come and nothing spills; in 1 MiB every folder
     * is too, close to the encoders' share (whether one falls asleep depends on the timing);
     * in 600 KiB one folder is, and the others' rows queue and spill; and when the encoders pass
     * their share, promoted folders fall asleep (their dictionaries' tables and pages let go)
     * with their rows queued, and the one left moves its finished pages to the spill, to come
     * back for its row groups. Each folder's file is the same bytes every time. */
    static ctx runs[4];
    static const uint64_t memory[] = {(uint64_t)1 << 30, (uint64_t)1 << 20, 600 * 1024, 64 * 1024};
    scale = 20;
    run_layout = big_layout;
    kn_part_pipeline_stats st[4];
    for (int k = 0; k < 4; k++) {
        /* The last run assumes a folder's encoder takes 1 KiB until measured: every folder is
         * promoted, then the encoders pass their 32 KiB and all but the first wait. */
        column_bytes = k == 3 ? 1024 : 0;
        ctx_init(&runs[k], PARTS);
        runs[k].keep_files = true;
        kn_error e;
        ck_assert_msg(run(&runs[k], k ? 2 : 1, memory[k], &st[k], &e) == KN_OK, "%s", e.what);
        read_back(&runs[k]);
        ck_assert_uint_eq(check_partitions(&runs[k]), all_rows());
        check_closes(&runs[k]);
    }
    ck_assert_uint_eq(st[0].folders_promoted, PARTS);
    ck_assert_uint_eq(st[0].spill_runs, 0);
    ck_assert_uint_eq(st[1].folders_promoted, PARTS);
    ck_assert_uint_gt(st[2].folders_promoted, 0);
    ck_assert_uint_lt(st[2].folders_promoted, PARTS);
    ck_assert_uint_gt(st[2].spill_bytes, st[2].pages_moved_bytes); /* queued rows spilled */
    ck_assert_uint_eq(st[3].folders_promoted, PARTS);
    ck_assert_uint_eq(st[3].folders_waited, PARTS - 1);
    ck_assert_uint_gt(st[3].pages_moved_bytes, 0);
    column_bytes = 0;
    ck_assert_uint_gt(runs[0].nlog, 2 * PARTS);                     /* several row groups a folder */
    for (size_t p = 0; p < PARTS; p++) {
        const kn_buf *want = &runs[0].files[p];
        ck_assert_uint_gt(want->len, 0);
        for (int k = 1; k < 4; k++)
            ck_assert_msg(runs[k].files[p].len == want->len && !memcmp(runs[k].files[p].data, want->data, want->len),
                          "folder %zu: run %d wrote other bytes than the one with memory to spare", p, k);
        for (int k = 0; k < 4; k++) kn_buf_free(&runs[k].files[p]);
    }
    scale = 1;
    run_layout = layout;
}
END_TEST

START_TEST(row_groups_that_end_where_pieces_end_lose_no_row)
{
    /* One folder, morsels of exactly a row group (1,024 rows of 8 bytes = 8 KiB), 16 KiB of
     * memory, never promoted: every fill ends exactly where a piece ends, and the pieces behind
     * it stay queued. */
    static ctx a;
    fixed_rows = 1024;
    column_bytes = (uint64_t)1 << 40; /* never promoted: every row group is filled from the queue */
    for (int k = 0; k < 2; k++) {
        /* And once more with the input ending only after the last row group was written: the
         * folder's file still closes (after it, with nothing more to write). */
        ctx_init(&a, 1);
        a.no_files = true;
        a.end_after_writes = k == 1;
        kn_error e;
        kn_part_pipeline_stats st;
        ck_assert_msg(run(&a, 2, 16 * 1024, &st, &e) == KN_OK, "%s", e.what);
        ck_assert_uint_eq(st.folders_promoted, 0);
        ck_assert_uint_eq(a.rows[0], (uint64_t)MORSELS * 1024);
        check_closes(&a);
    }
    fixed_rows = 0;
    column_bytes = 0;
}
END_TEST

/* The files of `parts` folders (scale 20, row groups of 256 KiB: several a folder) written by
 * the folder queues with memory to spare, for the runs by buckets to match. */
static void reference_files(ctx *ref, size_t parts) {
    size_t keep = buckets;
    buckets = 0;
    ctx_init(ref, parts);
    ref->keep_files = true;
    kn_error e;
    ck_assert_msg(run(ref, 1, (uint64_t)1 << 30, NULL, &e) == KN_OK, "%s", e.what);
    read_back(ref);
    ck_assert_uint_gt(ref->nlog, 2 * parts); /* several row groups a folder */
    buckets = keep;
}

/* A run by `b` buckets on `threads` threads in `memory` writes each folder's file as `ref`;
 * returns its regroups. */
static uint64_t same_files_by_buckets(const ctx *ref, size_t b, int threads, uint64_t memory) {
    static ctx c;
    buckets = b;
    ctx_init(&c, ref->parts);
    c.keep_files = true;
    kn_error e;
    kn_part_pipeline_stats st;
    ck_assert_msg(run(&c, threads, memory, &st, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_gt(st.spill_bytes, 0); /* every row goes through the spill */
    read_back(&c);
    ck_assert_uint_eq(check_partitions(&c), all_rows());
    check_closes(&c);
    for (size_t p = 0; p < ref->parts; p++) {
        const kn_buf *want = &ref->files[p];
        ck_assert_msg(c.files[p].len == want->len && !memcmp(c.files[p].data, want->data, want->len),
                      "folder %zu: %zu buckets, %d threads, %llu bytes of memory: other bytes than the queues'", p, b,
                      threads, (unsigned long long)memory);
        kn_buf_free(&c.files[p]);
    }
    buckets = 0;
    return passes;
}

START_TEST(buckets_write_the_bytes_of_the_folder_queues)
{
    /* Three folders of some 93,000 rows (750 KB) each: by 1 bucket or 64, on 1 thread or 2,
     * with memory to spare (one regroup a bucket) or 64 KiB (a regroup may hold 64 KiB: a pass
     * per folder, each cut into row groups as its rows are read back). */
    static ctx ref;
    scale = 20;
    run_layout = big_layout;
    reference_files(&ref, PARTS);
    ck_assert_uint_eq(same_files_by_buckets(&ref, 1, 1, (uint64_t)1 << 30), 1);
    ck_assert_uint_le(same_files_by_buckets(&ref, 64, 2, (uint64_t)1 << 30), PARTS);
    ck_assert_uint_eq(same_files_by_buckets(&ref, 1, 2, 64 * 1024), PARTS);
    ck_assert_uint_ge(same_files_by_buckets(&ref, 2, 2, 64 * 1024), PARTS);
    for (size_t p = 0; p < PARTS; p++) kn_buf_free(&ref.files[p]);
    /* One folder with every row: the same, cut as it is read back. */
    reference_files(&ref, 1);
    ck_assert_uint_eq(same_files_by_buckets(&ref, 3, 2, 64 * 1024), 1);
    kn_buf_free(&ref.files[0]);
    scale = 1;
    run_layout = layout;
}
END_TEST

START_TEST(by_buckets_thousands_of_folders_each_get_every_row_and_one_close)
{
    buckets = 16;
    many_folders(1, 1);
    many_folders(127, 1);
    many_folders(129, 1);
    many_folders(5000, 1);
    buckets = 256;
    many_folders(100000, 10);
    buckets = 0;
}
END_TEST

/* A failing accept at morsel 11 stops the run after 12 accepts; a failing write at `write_at`
 * stops it after that many writes. By buckets nothing is written before the input ends. */
static void failures_stop_the_run(size_t by_buckets, size_t write_at) {
    static ctx a, b;
    buckets = by_buckets;
    ctx_init(&a, PARTS);
    a.fail_accept_at = 11;
    kn_error e;
    ck_assert_int_eq(run(&a, 2, 16 * 1024, NULL, &e), KN_E_DATA);
    ck_assert_msg(strstr(e.what, "morsel 11 is bad"), "%s", e.what);
    ck_assert_uint_eq(a.accepted, 12);
    if (by_buckets) ck_assert_uint_eq(a.nlog, 0);
    drop_files(&a);
    ctx_init(&b, PARTS);
    b.fail_write_at = write_at;
    ck_assert_int_eq(run(&b, 2, 16 * 1024, NULL, &e), KN_E_IO);
    char want[64];
    snprintf(want, sizeof want, "disk full at write %zu", write_at);
    ck_assert_msg(strstr(e.what, want), "%s", e.what);
    ck_assert_uint_eq(b.nlog, write_at);
    drop_files(&b);
    buckets = 0;
}

START_TEST(by_buckets_a_failing_accept_or_write_stops_the_run_with_its_error)
{
    failures_stop_the_run(8, 2);
}
END_TEST

START_TEST(a_failing_accept_or_write_stops_the_run_with_its_error)
{
    failures_stop_the_run(0, 4);
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
    o.row_group_bytes = 256 * 1024;
    o.page_bytes = 4096;
    if (kn_pq_layout_create(schema, &o, &big_layout, &e) != KN_OK) return 1;
    run_layout = layout;
    for (size_t p = 0; p < MAX_PARTS; p++) snprintf(paths[p], sizeof paths[p], "k=%06zu/", p);
    snprintf(spill_dir, sizeof spill_dir, "/tmp/kn-part-spill-XXXXXX");
    if (!mkdtemp(spill_dir)) return 1;
    Suite *s = suite_create("part_pipeline");
    TCase *tc = tcase_create("scheduler");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_row_reaches_its_folder_in_order_and_the_cuts_depend_on_neither_threads_nor_memory);
    tcase_add_test(tc, row_groups_are_cut_only_by_size);
    tcase_add_test(tc, thousands_of_folders_each_get_every_row_and_one_close);
    tcase_add_test(tc, a_hundred_thousand_folders_each_get_every_row_and_one_close);
    tcase_add_test(tc, folders_encoded_as_they_come_moved_or_queued_write_the_same_bytes);
    tcase_add_test(tc, row_groups_that_end_where_pieces_end_lose_no_row);
    tcase_add_test(tc, a_failing_accept_or_write_stops_the_run_with_its_error);
    tcase_add_test(tc, buckets_write_the_bytes_of_the_folder_queues);
    tcase_add_test(tc, by_buckets_thousands_of_folders_each_get_every_row_and_one_close);
    tcase_add_test(tc, by_buckets_a_failing_accept_or_write_stops_the_run_with_its_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    kn_pq_layout_free(layout);
    kn_pq_layout_free(big_layout);
    kn_schema_free(schema);
    rmdir(spill_dir);
    return failed ? 1 : 0;
}
