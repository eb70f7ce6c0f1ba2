/* tests/exec/test_part_sink_stream.c: kn_part_sink's streaming partitioned way in
 * (kn_part_sink_write_part_rowgroup): interleaved row groups of several partitions, one open file
 * each, rolled at the target size, named at finish in folder order then writing order from
 * first_number on; the names and bytes do not depend on the interleaving; free without finish
 * (or after a failed rename) leaves no file, and finish can be retried; the misuses (mixing ways in, a part changing folder, two parts sharing one)
 * are KN_E_INTERNAL, not crashes; the writers start no thread pools. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_commit.h"
#include "kn_file.h"
#include "kn_part_sink.h"
#include "kn_pq_rowgroup.h"
#include "kn_pqr.h"

#define NPARTS 3
#define FIRST_NUMBER 7

/* Out of sorted order on purpose: part 0 sorts last, part 1 first, and part 1's path is a
 * prefix of part 2's. */
static const char *const part_paths[NPARTS] = {"b=2/", "a=1/", "a=1/c=x/"};
static const size_t part_rows[NPARTS] = {3000, 1700, 400};
/* The folders' order: part 1, part 2, part 0. */
static const size_t folder_order[NPARTS] = {1, 2, 0};

static kn_schema *schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "x", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    return s;
}

/* Ids of partition p are p * 1000000 + i, ascending, so a file's id statistics say which rows
 * (and so which of the partition's row groups) it holds. */
static int64_t id_of(size_t part, size_t i) { return (int64_t)(part * 1000000 + i); }

static kn_batch *make_batch(const kn_schema *s, size_t part, size_t first, size_t n) {
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, n ? n : 1, &b, NULL), KN_OK);
    char buf[64];
    for (size_t i = first; i < first + n; i++) {
        kn_column_append_i64(&b->columns[0], id_of(part, i), NULL);
        if (i % 7 == 3) kn_column_append_null(&b->columns[1], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "p%zu-name-%zu", part, (i * 7919) % 400);
            kn_column_append_str(&b->columns[1], buf, (size_t)l, NULL);
        }
        if (i % 5 == 1) kn_column_append_null(&b->columns[2], NULL);
        else kn_column_append_f64(&b->columns[2], (double)i / 3.0, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    return b;
}

/* One partition's rows as encoded row groups, in order (the batches stay alive with them). */
typedef struct part_groups {
    kn_batch **batches;
    size_t num_batches;
    kn_pq_rowgroup **rgs;
    size_t num_rgs, cap_rgs;
} part_groups;

/* Every row group's columns encoded, with one encoder, as kn_convert's write_streaming would. */
static void encode_all(kn_pq_rowgroup *rg, size_t ncols, kn_pq_encoder *enc) {
    kn_error e;
    kn_error_reset(&e);
    for (size_t c = 0; c < ncols; c++) ck_assert_msg(kn_pq_rowgroup_encode(rg, c, enc, &e) == KN_OK, "%s", e.what);
    ck_assert(kn_pq_rowgroup_encoded(rg));
}

static void push_group(part_groups *g, kn_pq_rowgroup *rg) {
    if (g->num_rgs == g->cap_rgs) {
        g->cap_rgs = g->cap_rgs ? g->cap_rgs * 2 : 8;
        g->rgs = kn_realloc(g->rgs, g->cap_rgs * sizeof *g->rgs);
        ck_assert_ptr_nonnull(g->rgs);
    }
    g->rgs[g->num_rgs++] = rg;
}

static void build_groups(const kn_pq_layout *l, kn_pq_encoder *enc, const kn_schema *s, size_t part,
                         size_t rows, size_t batch_rows, part_groups *g) {
    memset(g, 0, sizeof *g);
    kn_error e;
    kn_error_reset(&e);
    size_t ncols = kn_pq_layout_columns(l);
    g->num_batches = (rows + batch_rows - 1) / batch_rows;
    g->batches = kn_calloc(g->num_batches, sizeof *g->batches);
    ck_assert_ptr_nonnull(g->batches);
    kn_pq_rowgroup *rg;
    ck_assert_int_eq(kn_pq_rowgroup_create(l, &rg, &e), KN_OK);
    for (size_t i = 0; i < g->num_batches; i++) {
        size_t first = i * batch_rows, n = rows - first < batch_rows ? rows - first : batch_rows;
        kn_batch *b = g->batches[i] = make_batch(s, part, first, n);
        ck_assert_msg(kn_pq_layout_check(l, b, &e) == KN_OK, "%s", e.what);
        for (size_t row = 0; row < b->num_rows;) {
            size_t taken;
            ck_assert_int_eq(kn_pq_rowgroup_add(rg, b, row, &taken, &e), KN_OK);
            row += taken;
            if (kn_pq_rowgroup_full(rg)) {
                encode_all(rg, ncols, enc);
                push_group(g, rg);
                ck_assert_int_eq(kn_pq_rowgroup_create(l, &rg, &e), KN_OK);
            }
        }
    }
    if (kn_pq_rowgroup_rows(rg)) {
        encode_all(rg, ncols, enc);
        push_group(g, rg);
    } else kn_pq_rowgroup_free(rg);
}

static void free_groups(part_groups *g) {
    for (size_t i = 0; i < g->num_rgs; i++) kn_pq_rowgroup_free(g->rgs[i]);
    for (size_t i = 0; i < g->num_batches; i++) kn_batch_free(g->batches[i]);
    kn_free(g->rgs);
    kn_free(g->batches);
}

/* The row groups of every partition, shared by the tests' sinks. */
typedef struct fixture {
    kn_schema *schema;
    kn_pq_options po;
    kn_pq_layout *layout;
    kn_pq_encoder *enc;
    part_groups parts[NPARTS];
} fixture;

static void fixture_make(fixture *f) {
    memset(f, 0, sizeof *f);
    kn_error e;
    kn_error_reset(&e);
    f->schema = schema();
    kn_pq_options_init(&f->po);
    f->po.row_group_bytes = 8000; /* a few hundred rows a row group */
    f->po.page_bytes = 4000;
    ck_assert_msg(kn_pq_layout_create(f->schema, &f->po, &f->layout, &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(kn_pq_encoder_create(f->layout, &f->enc, &e), KN_OK);
    for (size_t p = 0; p < NPARTS; p++) build_groups(f->layout, f->enc, f->schema, p, part_rows[p], 333, &f->parts[p]);
    /* Several row groups per partition, so files can roll between them and interleave. */
    for (size_t p = 0; p < NPARTS; p++) ck_assert_uint_ge(f->parts[p].num_rgs, 2);
}

static void fixture_free(fixture *f) {
    for (size_t p = 0; p < NPARTS; p++) free_groups(&f->parts[p]);
    kn_pq_encoder_free(f->enc);
    kn_pq_layout_free(f->layout);
    kn_schema_free(f->schema);
}

static kn_part_sink *make_sink(const fixture *f, const kn_pq_options *po, const char *dir, uint64_t target) {
    kn_part_sink_options o;
    memset(&o, 0, sizeof o);
    o.schema = f->schema;
    o.parquet = po;
    o.target_file_bytes = target;
    o.dir = dir;
    o.first_number = FIRST_NUMBER;
    kn_part_sink *ps;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_create(&o, &ps, &e) == KN_OK, "%s", e.what);
    return ps;
}

/* Feeds the first `steps` entries of `schedule` (partition indexes; each takes that
 * partition's next row group). */
static void feed(kn_part_sink *ps, const fixture *f, const size_t *schedule, size_t steps) {
    size_t next[NPARTS] = {0};
    kn_error e;
    kn_error_reset(&e);
    for (size_t i = 0; i < steps; i++) {
        size_t p = schedule[i];
        ck_assert_uint_lt(next[p], f->parts[p].num_rgs);
        const kn_pq_rowgroup *rg = f->parts[p].rgs[next[p]++];
        ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, p, (const uint8_t *)part_paths[p], strlen(part_paths[p]),
                                                       rg, &e) == KN_OK,
                      "%s", e.what);
    }
}

/* Round robin over the partitions. Returns the steps (every row group once). */
static size_t schedule_round_robin(const fixture *f, size_t *out) {
    size_t n = 0;
    for (size_t r = 0;; r++) {
        size_t before = n;
        for (size_t p = 0; p < NPARTS; p++)
            if (r < f->parts[p].num_rgs) out[n++] = p;
        if (n == before) return n;
    }
}

/* Another interleaving: all of part 2 first, then part 1 and part 0 two row groups to one. */
static size_t schedule_other(const fixture *f, size_t *out) {
    size_t n = 0, left[NPARTS];
    for (size_t p = 0; p < NPARTS; p++) left[p] = f->parts[p].num_rgs;
    while (left[2]) out[n++] = 2, left[2]--;
    while (left[0] || left[1]) {
        for (int k = 0; k < 2 && left[1]; k++) out[n++] = 1, left[1]--;
        if (left[0]) out[n++] = 0, left[0]--;
    }
    return n;
}

static size_t total_groups(const fixture *f) {
    size_t n = 0;
    for (size_t p = 0; p < NPARTS; p++) n += f->parts[p].num_rgs;
    return n;
}

/* Every regular file under `root`/`rel`, relative to root ("a=1/part-00007.parquet"). */
typedef struct listing {
    char **names;
    size_t n, cap;
} listing;

static void list_files(const char *root, const char *rel, listing *out) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char child[1024], full[2048];
        snprintf(child, sizeof child, "%s%s", rel, de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, child);
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            size_t cl = strlen(child);
            child[cl] = '/';
            child[cl + 1] = '\0';
            list_files(root, child, out);
        } else {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->names = realloc(out->names, out->cap * sizeof *out->names);
                ck_assert_ptr_nonnull(out->names);
            }
            out->names[out->n++] = strdup(child);
        }
    }
    closedir(d);
}

static void listing_free(listing *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static bool listed(const listing *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) return true;
    return false;
}

static int64_t le64(const kn_pqr_bytes *b) {
    ck_assert_ptr_nonnull(b->data);
    ck_assert_uint_eq(b->len, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b->data[i];
    return (int64_t)v;
}

/* Reads the file's footer: its rows, and the min and max of the id column over its row groups. */
static void read_footer(const char *path, uint64_t *rows, int64_t *min_id, int64_t *max_id, size_t *row_groups) {
    kn_error e;
    kn_error_reset(&e);
    uint8_t *data;
    size_t len;
    ck_assert_msg(kn_file_read_all(path, &data, &len, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_ge(len, 12);
    ck_assert(memcmp(data, "PAR1", 4) == 0 && memcmp(data + len - 4, "PAR1", 4) == 0);
    kn_free(data);
    kn_source *src;
    ck_assert_msg(kn_file_source_open(path, &src, &e) == KN_OK, "%s", e.what);
    kn_pqr_meta *m;
    ck_assert_msg(kn_pqr_meta_read(src, &m, &e) == KN_OK, "%s: %s", path, e.what);
    ck_assert_msg(kn_pqr_meta_check_required(m, &e) == KN_OK, "%s: %s", path, e.what);
    ck_assert_int_gt(m->num_rows, 0);
    *rows = (uint64_t)m->num_rows;
    *row_groups = m->num_row_groups;
    *min_id = INT64_MAX;
    *max_id = INT64_MIN;
    int64_t sum = 0;
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        sum += rg->num_rows;
        ck_assert_uint_eq(rg->num_columns, 3);
        const kn_pqr_stats *st = &rg->columns[0].meta_data.statistics;
        int64_t lo = le64(&st->min_value), hi = le64(&st->max_value);
        if (lo < *min_id) *min_id = lo;
        if (hi > *max_id) *max_id = hi;
    }
    ck_assert_int_eq(sum, m->num_rows);
    kn_pqr_meta_free(m);
    kn_source_free(src);
}

/* The folder of a relative name ("a=1/c=x/" of "a=1/c=x/part-00009.parquet"). */
static size_t folder_len(const char *name) {
    const char *slash = strrchr(name, '/');
    return slash ? (size_t)(slash - name) + 1 : 0;
}

/* Checks the finished sink's files against the fixture: names, order, sizes, rows, contents. */
static void check_finished(const kn_part_sink *ps, const char *dir) {
    size_t nf;
    const kn_part_file *files = kn_part_sink_files(ps, &nf);
    ck_assert_uint_eq(kn_part_sink_partitions(ps), NPARTS);
    uint64_t total = 0;
    for (size_t p = 0; p < NPARTS; p++) total += part_rows[p];
    ck_assert_uint_eq(kn_part_sink_rows(ps), total);
    /* Small files: at least one partition rolled into several. */
    ck_assert_uint_gt(nf, NPARTS);

    uint64_t folder_rows[NPARTS] = {0};
    size_t files_in[NPARTS] = {0};
    size_t fi = 0;
    int64_t last_max = 0;
    for (size_t j = 0; j < nf; j++) {
        const kn_part_file *f = &files[j];
        /* Numbered from first_number in list order. */
        size_t fl = folder_len(f->name);
        char want[64];
        snprintf(want, sizeof want, "part-%05zu.parquet", (size_t)FIRST_NUMBER + j);
        ck_assert_str_eq(f->name + fl, want);
        /* Folders in path order: the folder index never goes back. */
        while (fi < NPARTS && (strlen(part_paths[folder_order[fi]]) != fl ||
                               strncmp(f->name, part_paths[folder_order[fi]], fl) != 0))
            fi++;
        ck_assert_msg(fi < NPARTS, "%s: folder out of order", f->name);
        size_t p = folder_order[fi];
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", dir, f->name);
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        ck_assert_uint_eq((uint64_t)st.st_size, f->bytes);
        uint64_t rows;
        int64_t lo, hi;
        size_t groups;
        read_footer(full, &rows, &lo, &hi, &groups);
        ck_assert_uint_eq(rows, f->rows);
        /* Writing order within a folder: each file starts right after the previous one ends
         * (ids are consecutive within a partition), and the first at the partition's first row. */
        if (files_in[p] == 0) ck_assert_int_eq(lo, id_of(p, 0));
        else ck_assert_int_eq(lo, last_max + 1);
        ck_assert_int_eq(hi - lo + 1, (int64_t)rows);
        last_max = hi;
        folder_rows[p] += rows;
        files_in[p]++;
    }
    for (size_t p = 0; p < NPARTS; p++) {
        ck_assert_uint_eq(folder_rows[p], part_rows[p]);
        ck_assert_uint_ge(files_in[p], 1);
    }
    /* The biggest partition rolled. */
    ck_assert_uint_ge(files_in[0], 2);

    /* Exactly those files under dir: no temporaries left, hidden or not. */
    listing l = {0};
    list_files(dir, "", &l);
    ck_assert_uint_eq(l.n, nf);
    for (size_t j = 0; j < nf; j++) ck_assert_msg(listed(&l, files[j].name), "%s missing", files[j].name);
    listing_free(&l);
}

START_TEST(interleaved_partitions_get_final_names_in_folder_then_writing_order)
{
    fixture f;
    fixture_make(&f);
    char dir[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t *sched = kn_malloc(total_groups(&f) * sizeof *sched);
    size_t n = schedule_round_robin(&f, sched);
    ck_assert_uint_eq(n, total_groups(&f));

    kn_part_sink *ps = make_sink(&f, &f.po, dir, 12000);
    feed(ps, &f, sched, n);
    /* Before finish the closed files carry temporary names: no part-NNNNN file exists yet. */
    size_t nf;
    const kn_part_file *files = kn_part_sink_files(ps, &nf);
    ck_assert_uint_ge(nf, 1);
    for (size_t j = 0; j < nf; j++) ck_assert_msg(strstr(files[j].name, "part-") == NULL, "%s", files[j].name);
    listing l = {0};
    list_files(dir, "", &l);
    for (size_t j = 0; j < l.n; j++) ck_assert_msg(strstr(l.names[j], "part-") == NULL, "%s", l.names[j]);
    listing_free(&l);

    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_finish(ps, &e) == KN_OK, "%s", e.what);
    check_finished(ps, dir);
    /* Finish again changes nothing. */
    ck_assert_msg(kn_part_sink_finish(ps, &e) == KN_OK, "%s", e.what);
    check_finished(ps, dir);
    kn_part_sink_free(ps);
    /* Free after finish keeps the files. */
    l = (listing){0};
    list_files(dir, "", &l);
    ck_assert_uint_gt(l.n, NPARTS);
    listing_free(&l);

    kn__remove_tree(dir);
    kn_free(sched);
    fixture_free(&f);
}
END_TEST

START_TEST(another_interleaving_gives_the_same_names_and_bytes)
{
    fixture f;
    fixture_make(&f);
    char dir_a[] = "/tmp/kn-test-pss-XXXXXX", dir_b[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir_a));
    ck_assert_ptr_nonnull(mkdtemp(dir_b));
    size_t *sa = kn_malloc(total_groups(&f) * sizeof *sa), *sb = kn_malloc(total_groups(&f) * sizeof *sb);
    size_t na = schedule_round_robin(&f, sa), nb = schedule_other(&f, sb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(sa, sb, na * sizeof *sa) != 0);

    kn_error e;
    kn_error_reset(&e);
    kn_part_sink *a = make_sink(&f, &f.po, dir_a, 12000), *b = make_sink(&f, &f.po, dir_b, 12000);
    feed(a, &f, sa, na);
    feed(b, &f, sb, nb);
    ck_assert_msg(kn_part_sink_finish(a, &e) == KN_OK, "%s", e.what);
    ck_assert_msg(kn_part_sink_finish(b, &e) == KN_OK, "%s", e.what);
    check_finished(a, dir_a);
    check_finished(b, dir_b);
    size_t nfa, nfb;
    const kn_part_file *fa = kn_part_sink_files(a, &nfa), *fb = kn_part_sink_files(b, &nfb);
    ck_assert_uint_eq(nfa, nfb);
    for (size_t j = 0; j < nfa; j++) {
        ck_assert_str_eq(fa[j].name, fb[j].name);
        ck_assert_uint_eq(fa[j].bytes, fb[j].bytes);
        ck_assert_uint_eq(fa[j].rows, fb[j].rows);
        char pa[1024], pb[1024];
        snprintf(pa, sizeof pa, "%s/%s", dir_a, fa[j].name);
        snprintf(pb, sizeof pb, "%s/%s", dir_b, fb[j].name);
        uint8_t *da, *db;
        size_t la, lb;
        ck_assert_int_eq(kn_file_read_all(pa, &da, &la, &e), KN_OK);
        ck_assert_int_eq(kn_file_read_all(pb, &db, &lb, &e), KN_OK);
        ck_assert_uint_eq(la, lb);
        ck_assert_msg(memcmp(da, db, la) == 0, "%s differs", fa[j].name);
        kn_free(da);
        kn_free(db);
    }
    kn_part_sink_free(a);
    kn_part_sink_free(b);
    kn__remove_tree(dir_a);
    kn__remove_tree(dir_b);
    kn_free(sa);
    kn_free(sb);
    fixture_free(&f);
}
END_TEST

START_TEST(free_without_finish_leaves_no_file)
{
    fixture f;
    fixture_make(&f);
    char dir[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t *sched = kn_malloc(total_groups(&f) * sizeof *sched);
    size_t n = schedule_round_robin(&f, sched);
    kn_part_sink *ps = make_sink(&f, &f.po, dir, 12000);
    /* Most of the row groups: some files closed (under temporary names), some open. */
    feed(ps, &f, sched, n - 2);
    size_t nf;
    kn_part_sink_files(ps, &nf);
    ck_assert_uint_ge(nf, 1);
    listing l = {0};
    list_files(dir, "", &l);
    ck_assert_uint_ge(l.n, nf);
    listing_free(&l);
    kn_part_sink_free(ps);
    l = (listing){0};
    list_files(dir, "", &l);
    ck_assert_msg(l.n == 0, "%zu files left, the first %s", l.n, l.n ? l.names[0] : "");
    listing_free(&l);
    kn__remove_tree(dir);
    kn_free(sched);
    fixture_free(&f);
}
END_TEST

START_TEST(a_failed_rename_is_an_io_error_and_finish_can_be_retried)
{
    fixture f;
    fixture_make(&f);
    char dir[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t *sched = kn_malloc(total_groups(&f) * sizeof *sched);
    size_t n = schedule_round_robin(&f, sched);
    kn_part_sink *ps = make_sink(&f, &f.po, dir, 12000);
    feed(ps, &f, sched, n);
    /* A folder where the second final name goes: the first file is renamed, the second is not. */
    char block[1024];
    snprintf(block, sizeof block, "%s/a=1/part-%05d.parquet", dir, FIRST_NUMBER + 1);
    ck_assert_int_eq(mkdir(block, 0755), 0);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_finish(ps, &e), KN_E_IO);
    ck_assert_str_eq(e.where, block);
    ck_assert_ptr_nonnull(strstr(e.what, "cannot rename"));
    /* Again, once the way is clear: every file gets the name it would have had. */
    ck_assert_int_eq(rmdir(block), 0);
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_finish(ps, &e) == KN_OK, "%s", e.what);
    check_finished(ps, dir);
    kn_part_sink_free(ps);

    /* Failed and freed: nothing is left, under a final name or a temporary one. */
    kn__remove_tree(dir);
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/kn-test-pss-XXXXXX")));
    ps = make_sink(&f, &f.po, dir, 12000);
    feed(ps, &f, sched, n);
    snprintf(block, sizeof block, "%s/a=1/part-%05d.parquet", dir, FIRST_NUMBER + 1);
    ck_assert_int_eq(mkdir(block, 0755), 0);
    ck_assert_int_eq(kn_part_sink_finish(ps, &e), KN_E_IO);
    kn_part_sink_free(ps);
    listing l = {0};
    list_files(dir, "", &l);
    ck_assert_msg(l.n == 0, "%zu files left, the first %s", l.n, l.n ? l.names[0] : "");
    listing_free(&l);
    kn__remove_tree(dir);
    kn_free(sched);
    fixture_free(&f);
}
END_TEST

START_TEST(mixing_ways_in_is_an_internal_error)
{
    fixture f;
    fixture_make(&f);
    char dir[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const kn_pq_rowgroup *rg = f.parts[1].rgs[0];
    const uint8_t *path = (const uint8_t *)part_paths[1];
    size_t len = strlen(part_paths[1]);
    kn_error e;

    /* Unpartitioned row groups first, then a partition's. */
    kn_part_sink *ps = make_sink(&f, &f.po, dir, 1 << 20);
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_write_rowgroup(ps, f.parts[0].rgs[0], &e) == KN_OK, "%s", e.what);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_write_part_rowgroup(ps, 1, path, len, rg, &e), KN_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(e.what, "already used"));
    kn_part_sink_free(ps);

    /* A partition's row groups first, then the other ways in. */
    ps = make_sink(&f, &f.po, dir, 1 << 20);
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, 1, path, len, rg, &e) == KN_OK, "%s", e.what);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_write_rowgroup(ps, rg, &e), KN_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(e.what, "already used"));
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_write_batch(ps, f.parts[1].batches[0], &e), KN_E_INTERNAL);
    /* The same part under another folder. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_write_part_rowgroup(ps, 1, (const uint8_t *)"z=9/", 4, f.parts[1].rgs[1], &e),
                     KN_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(e.what, "z=9/"));
    kn_part_sink_free(ps);

    /* Two parts with one folder: finish refuses to guess their order, and nothing stays. */
    ps = make_sink(&f, &f.po, dir, 1 << 20);
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, 0, path, len, f.parts[1].rgs[0], &e) == KN_OK, "%s", e.what);
    ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, 1, path, len, f.parts[1].rgs[1], &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(kn_part_sink_finish(ps, &e), KN_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(e.what, "both have the folder"));
    kn_part_sink_free(ps);

    /* After finish. */
    ps = make_sink(&f, &f.po, dir, 1 << 20);
    kn_error_reset(&e);
    ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, 2, path, len, rg, &e) == KN_OK, "%s", e.what);
    ck_assert_msg(kn_part_sink_finish(ps, &e) == KN_OK, "%s", e.what);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_part_sink_write_part_rowgroup(ps, 2, path, len, f.parts[1].rgs[1], &e), KN_E_INTERNAL);
    /* A sparse part index is fine: one partition, one file. */
    ck_assert_uint_eq(kn_part_sink_partitions(ps), 1);
    size_t nf;
    const kn_part_file *files = kn_part_sink_files(ps, &nf);
    ck_assert_uint_eq(nf, 1);
    ck_assert_str_eq(files[0].name, "a=1/part-00007.parquet");
    kn_part_sink_free(ps);

    kn__remove_tree(dir);
    fixture_free(&f);
}
END_TEST

static int thread_count(void) {
    FILE *fp = fopen("/proc/self/status", "r");
    ck_assert_ptr_nonnull(fp);
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    fclose(fp);
    return n;
}

START_TEST(open_partition_files_start_no_thread_pools)
{
    fixture f;
    fixture_make(&f);
    char dir[] = "/tmp/kn-test-pss-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    kn_pq_options po = f.po;
    po.threads = 4; /* a writer with this would start 2 helpers (3 columns) per open file */
    int before = thread_count();
    ck_assert_int_gt(before, 0);
    kn_part_sink *ps = make_sink(&f, &po, dir, 1 << 30);
    kn_error e;
    kn_error_reset(&e);
    for (size_t p = 0; p < NPARTS; p++)
        ck_assert_msg(kn_part_sink_write_part_rowgroup(ps, p, (const uint8_t *)part_paths[p], strlen(part_paths[p]),
                                                       f.parts[p].rgs[0], &e) == KN_OK,
                      "%s", e.what);
    ck_assert_int_eq(thread_count(), before);
    ck_assert_msg(kn_part_sink_finish(ps, &e) == KN_OK, "%s", e.what);
    size_t nf;
    const kn_part_file *files = kn_part_sink_files(ps, &nf);
    ck_assert_uint_eq(nf, NPARTS);
    ck_assert_str_eq(files[0].name, "a=1/part-00007.parquet");
    ck_assert_str_eq(files[1].name, "a=1/c=x/part-00008.parquet");
    ck_assert_str_eq(files[2].name, "b=2/part-00009.parquet");
    kn_part_sink_free(ps);
    kn__remove_tree(dir);
    fixture_free(&f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("part_sink_stream");
    TCase *tc = tcase_create("part_sink_stream");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, interleaved_partitions_get_final_names_in_folder_then_writing_order);
    tcase_add_test(tc, another_interleaving_gives_the_same_names_and_bytes);
    tcase_add_test(tc, free_without_finish_leaves_no_file);
    tcase_add_test(tc, a_failed_rename_is_an_io_error_and_finish_can_be_retried);
    tcase_add_test(tc, mixing_ways_in_is_an_internal_error);
    tcase_add_test(tc, open_partition_files_start_no_thread_pools);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
