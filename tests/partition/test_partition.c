/* tests/partition/test_partition.c: `kiln convert` with --partition-by, --sort-by, --slices,
 * --memory-limit, the Redshift artifacts and the commit modes, run as the real binary on
 * generated data and checked through the files' footers (kn_pqr) and the folder tree. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kn_partition.h"
#include "kn_pq_format.h"
#include "part_test_units.h"
#include "part_test_util.h"

#ifdef KN_PT_SMALL
/* Under the sanitizers kiln runs several times slower: smaller inputs, the same checks. */
#define ORDERS_ROWS 40000
#define KEYED_ROWS 120000
#else
#define ORDERS_ROWS 200000
#define KEYED_ROWS 200000
#endif
#define KEYS 5000

static char work[4096];
static char orders_dir[4096];   /* two shards of generated orders */
static char orders_shard0[4096];
static char orders_shard1[4096];
static char orders_schema[4096];
static char keyed_input[4096];
static char keyed_schema[4096];

static const char *out_dir(const char *name) {
    static char buf[8][4096];
    static int next;
    char *s = buf[next++ & 7];
    snprintf(s, 4096, "%s/out-%s", work, name);
    return s;
}

/* Runs kiln convert and expects exit `code`; returns the run (caller frees). */
static pt_run convert(int code, const char *const *args) {
    pt_run r;
    pt_kiln(&r, args);
    ck_assert_msg(r.code == code, "kiln exited %d, expected %d; stderr: %.2000s", r.code, code, r.err);
    return r;
}

static uint64_t result_u64(const pt_run *r, const char *key) {
    uint64_t v = 0;
    ck_assert_msg(pt_json_u64(pt_last_line(r), key, &v), "no \"%s\" in the result: %.500s", key, pt_last_line(r));
    return v;
}

/* The folder part of a relative file name ("region=eu/year=2024/"), into `out`. */
static void folder_of(const char *rel, char *out, size_t cap) {
    const char *slash = strrchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) + 1 : 0;
    snprintf(out, cap, "%.*s", (int)n, rel);
}

/* The value of `key` in a folder path, unescaped; false when absent. */
static bool folder_value(const char *folder, const char *key, char *out, size_t cap) {
    char pat[160];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = folder;
    while (p && *p) {
        if (!strncmp(p, pat, strlen(pat))) {
            p += strlen(pat);
            const char *end = strchr(p, '/');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            if (n >= cap) return false;
            out[kn_hive_unescape(p, n, out)] = '\0';
            return true;
        }
        p = strchr(p, '/');
        if (p) p++;
    }
    return false;
}

static bool skip_root_artifacts(const char *rel) {
    /* manifest.json, copy.sql and spectrum.sql name the output folder itself, and table.sql its
     * name: equal data in two folders differs there by design. */
    return !strchr(rel, '/') && (strstr(rel, ".sql") || !strcmp(rel, "manifest.json"));
}

/* The JSON result's "write_path". */
static bool write_path_is(const pt_run *r, const char *path) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"write_path\":\"%s\"", path);
    return strstr(pt_last_line(r), pat) != NULL;
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(partition_folders_hold_only_their_values)
{
    /* A file under region=X/year=Y/month=M/ must hold only region X and timestamps of that
     * month: its footer's min and max say so for every row group. */
    const char *out = out_dir("folders");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by",
                          "region,year(ts),month(ts)", "--row-group-size", "256KiB", "--target-file-size", "1MiB", "-q", NULL};
    pt_run r = convert(0, args);
    ck_assert_uint_eq(result_u64(&r, "rows_written"), ORDERS_ROWS);
    pt_files files;
    pt_data_files(out, &files);
    ck_assert_uint_eq(files.n, result_u64(&r, "files_out"));
    uint64_t rows = 0, folders = 0;
    char prev[512] = "";
    for (size_t i = 0; i < files.n; i++) {
        char folder[512], region[128], year[16], month[16];
        folder_of(files.rel[i], folder, sizeof folder);
        ck_assert_msg(folder_value(folder, "region", region, sizeof region) && folder_value(folder, "year", year, sizeof year) &&
                          folder_value(folder, "month", month, sizeof month),
                      "%s is not in a region=/year=/month= folder", files.rel[i]);
        if (strcmp(folder, prev)) folders++;
        snprintf(prev, sizeof prev, "%s", folder);
        kn_pqr_meta *m = pt_footer(pt_join(out, files.rel[i]));
        ck_assert_msg(m, "%s: unreadable footer", files.rel[i]);
        long rc = pt_leaf(m, "region"), tc = pt_leaf(m, "ts");
        ck_assert(rc >= 0 && tc >= 0);
        for (size_t g = 0; g < m->num_row_groups; g++) {
            kn_pqr_bytes lo, hi;
            ck_assert(pt_stats(m, g, (size_t)rc, &lo, &hi));
            ck_assert_msg(lo.len == strlen(region) && !memcmp(lo.data, region, lo.len) && hi.len == lo.len &&
                              !memcmp(hi.data, region, hi.len),
                          "%s row group %zu: region stats are not '%s'", files.rel[i], g, region);
            ck_assert(pt_stats(m, g, (size_t)tc, &lo, &hi));
            int64_t bounds[2] = {pt_le_i64(lo), pt_le_i64(hi)};
            for (int b = 0; b < 2; b++) {
                int64_t days, us, y;
                unsigned mo, d;
                kn_part_split_micros(bounds[b], &days, &us);
                kn_part_civil_from_days(days, &y, &mo, &d);
                ck_assert_msg(y == atoll(year) && (long)mo == atol(month),
                              "%s row group %zu: ts %s %" PRId64 " is in %" PRId64 "-%u, not %s-%s", files.rel[i], g,
                              b ? "max" : "min", bounds[b], y, mo, year, month);
            }
        }
        rows += (uint64_t)m->num_rows;
        kn_pqr_meta_free(m);
    }
    ck_assert_uint_eq(rows, ORDERS_ROWS);
    ck_assert_uint_eq(folders, result_u64(&r, "partitions"));
    ck_assert_uint_gt(folders, 100); /* 12 regions x 3 years x 12 months, most of them present */
    pt_files_free(&files);
    pt_run_free(&r);
}
END_TEST

START_TEST(thousands_of_partitions_stay_within_the_memory_bound_through_spill_files)
{
    /* 5,000 partitions through the external sort (--max-open-partitions 0, as --sort-by and
     * --slices go) with a 1 MiB run budget: rows must go through sorted spill files (more of
     * them than one merge takes, so groups are merged first), and the allocator's peak must stay
     * under the bound kiln states (kn_convert.h), which does not grow with the number of
     * partitions. The same rows with room for everything in memory must give the same files
     * byte for byte, and so must the partitioned write, spilling in the same 1 MiB. */
    const char *out = out_dir("keys"), *ref = out_dir("keys-ref");
    pt_rm_rf(out);
    pt_rm_rf(ref);
    const uint64_t limit = 1u << 20, row_group = 1u << 20, page = 64u << 10, morsel = 1u << 20, dict = 1u << 20;
    const uint64_t threads = 2, columns = 5;
    const char *common[] = {"--schema", keyed_schema, "--partition-by", "k", "--row-group-size", "1MiB", "--page-size",
                            "64KiB", "--morsel-size", "1MiB", "--threads", "2", "--max-open-partitions", "0", "-q"};
    const char *args[32] = {"convert", keyed_input, "-o", out, "--memory-limit", "1MiB"};
    size_t n = 6;
    for (size_t i = 0; i < sizeof common / sizeof *common; i++) args[n++] = common[i];
    args[n] = NULL;
    pt_run r = convert(0, args);
    uint64_t peak = result_u64(&r, "peak_memory_bytes"), parts = result_u64(&r, "partitions");
    uint64_t files = result_u64(&r, "files_out");
    ck_assert_uint_eq(parts, KEYS);
    ck_assert_uint_eq(result_u64(&r, "rows_written"), KEYED_ROWS);
    ck_assert_msg(result_u64(&r, "spill_runs") > 10, "too few spills: %s", pt_last_line(&r));
    ck_assert_uint_gt(result_u64(&r, "spill_bytes"), 0);
    uint64_t bound = limit + limit / 4 + row_group + columns * (page + 2 * dict) + threads * 3 * morsel + 256 * (parts + files);
    ck_assert_msg(peak < bound, "peak %" PRIu64 " bytes is over the stated bound %" PRIu64, peak, bound);

    const char *args2[32] = {"convert", keyed_input, "-o", ref, "--memory-limit", "1GiB"};
    n = 6;
    for (size_t i = 0; i < sizeof common / sizeof *common; i++) args2[n++] = common[i];
    args2[n] = NULL;
    pt_run r2 = convert(0, args2);
    ck_assert_uint_eq(result_u64(&r2, "spill_runs"), 0);
#ifndef KN_PT_SMALL
    /* Held in memory whole, the same rows take more than the bound: the bound is not slack. */
    ck_assert_uint_gt(result_u64(&r2, "peak_memory_bytes"), bound);
#endif
    char *a = pt_tree_digest(out, skip_root_artifacts), *b = pt_tree_digest(ref, skip_root_artifacts);
    ck_assert_msg(!strcmp(a, b), "spilled and in-memory runs wrote different files");

    /* The partitioned write (no --max-open-partitions 0) in the same 1 MiB: it spills its queued
     * rows, holds far less than it would with room for everything, and writes the same files. */
    const char *pw = out_dir("keys-pw");
    pt_rm_rf(pw);
    const char *args3[32] = {"convert", keyed_input, "-o", pw, "--memory-limit", "1MiB"};
    n = 6;
    for (size_t i = 0; i < sizeof common / sizeof *common - 3; i++) args3[n++] = common[i];
    args3[n++] = "-q";
    args3[n] = NULL;
    pt_run r3 = convert(0, args3);
    ck_assert_msg(write_path_is(&r3, "partition-stream"), "%s", pt_last_line(&r3));
    ck_assert_uint_gt(result_u64(&r3, "spill_runs"), 0);
    char *c = pt_tree_digest(pw, skip_root_artifacts);
    ck_assert_msg(!strcmp(a, c), "the partitioned write and the sort wrote different files");
    free(c);
    /* With room for everything it spills nothing and holds more. */
    pt_rm_rf(pw);
    args3[5] = "1GiB";
    pt_run r4 = convert(0, args3);
    ck_assert_uint_eq(result_u64(&r4, "spill_runs"), 0);
    ck_assert_uint_lt(result_u64(&r3, "peak_memory_bytes"), result_u64(&r4, "peak_memory_bytes"));
    pt_run_free(&r3);
    pt_run_free(&r4);
    free(a);
    free(b);
    pt_run_free(&r);
    pt_run_free(&r2);
}
END_TEST

START_TEST(any_folder_count_gives_the_same_files_for_any_threads_and_memory)
{
    /* 1, 127, 129 and 5,000 folders (either side of the old 128-folder switch): 1 thread with
     * memory to spare and 2 threads with 1 MiB and small morsels write the same files, through
     * the folder queues, without starting over or reading a morsel twice; and by buckets. */
    static const long counts[] = {1, 127, 129, 5000};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        char name[64];
        snprintf(name, sizeof name, "folders-%ld.ndjson", counts[k]);
        const char *in = pt_join(work, name);
        pt_write_keyed(in, 20000, counts[k]);
        snprintf(name, sizeof name, "folders-%ld-a", counts[k]);
        const char *a = out_dir(name);
        snprintf(name, sizeof name, "folders-%ld-b", counts[k]);
        const char *b = out_dir(name);
        pt_rm_rf(a);
        pt_rm_rf(b);
        const char *args1[] = {"convert", in, "-o", a, "--schema", keyed_schema, "--partition-by", "k", "--threads", "1",
                               "--memory-limit", "1GiB", "-q", NULL};
        const char *args2[] = {"convert", in, "-o", b, "--schema", keyed_schema, "--partition-by", "k", "--threads", "2",
                               "--memory-limit", "1MiB", "--morsel-size", "64KiB", "-q", NULL};
        snprintf(name, sizeof name, "folders-%ld-c", counts[k]);
        const char *c = out_dir(name);
        pt_rm_rf(c);
        const char *args3[] = {"convert", in, "-o", c, "--schema", keyed_schema, "--partition-by", "k", "--threads", "2",
                               "--memory-limit", "1MiB", "--morsel-size", "64KiB", "--partition-write", "buckets", "-q", NULL};
        pt_run r1 = convert(0, args1), r2 = convert(0, args2), r3 = convert(0, args3);
        ck_assert_msg(write_path_is(&r1, "partition-stream") && write_path_is(&r2, "partition-stream"), "%s",
                      pt_last_line(&r2));
        ck_assert_msg(write_path_is(&r3, "partition-buckets"), "%s", pt_last_line(&r3));
        ck_assert_uint_eq(result_u64(&r1, "partitions"), (uint64_t)counts[k]);
        ck_assert_uint_eq(result_u64(&r2, "rows_written"), 20000);
        ck_assert_uint_eq(result_u64(&r3, "rows_written"), 20000);
        ck_assert_uint_eq(result_u64(&r2, "morsels_reread"), 0);
        ck_assert_msg(!strstr(r2.err, "instead"), "the run started over: %s", r2.err);
        char *da = pt_tree_digest(a, skip_root_artifacts), *db = pt_tree_digest(b, skip_root_artifacts),
             *dc = pt_tree_digest(c, skip_root_artifacts);
        ck_assert_msg(!strcmp(da, db), "%ld folders: 1 thread and 2 threads in 1 MiB wrote different files", counts[k]);
        ck_assert_msg(!strcmp(da, dc), "%ld folders: the folder queues and the buckets wrote different files", counts[k]);
        free(da);
        free(db);
        free(dc);
        pt_run_free(&r1);
        pt_run_free(&r2);
        pt_run_free(&r3);
        pt_rm_rf(a);
        pt_rm_rf(b);
        pt_rm_rf(c);
    }
}
END_TEST

START_TEST(sort_by_gives_sorted_non_overlapping_row_groups)
{
    /* With --sort-by ts, row groups of a partition (files in number order, row groups in file
     * order) must have nondecreasing, non-overlapping ts ranges: what makes zone maps work. */
    const char *out = out_dir("sorted");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                          "--sort-by", "ts", "--row-group-size", "32KiB", "--target-file-size", "128KiB",
                          "--memory-limit", "4MiB", "-q", NULL};
    pt_run r = convert(0, args);
    pt_files files;
    pt_data_files(out, &files);
    char prev_folder[512] = "";
    int64_t prev_max = INT64_MIN;
    size_t groups = 0, multi = 0;
    for (size_t i = 0; i < files.n; i++) {
        char folder[512];
        folder_of(files.rel[i], folder, sizeof folder);
        if (strcmp(folder, prev_folder)) prev_max = INT64_MIN;
        else multi++;
        snprintf(prev_folder, sizeof prev_folder, "%s", folder);
        kn_pqr_meta *m = pt_footer(pt_join(out, files.rel[i]));
        ck_assert(m);
        long tc = pt_leaf(m, "ts");
        for (size_t g = 0; g < m->num_row_groups; g++) {
            kn_pqr_bytes lo, hi;
            ck_assert(pt_stats(m, g, (size_t)tc, &lo, &hi));
            int64_t mn = pt_le_i64(lo), mx = pt_le_i64(hi);
            ck_assert_msg(mn >= prev_max, "%s row group %zu starts at %" PRId64 ", before the previous end %" PRId64,
                          files.rel[i], g, mn, prev_max);
            ck_assert(mx >= mn);
            prev_max = mx;
            groups++;
        }
        kn_pqr_meta_free(m);
    }
    ck_assert_uint_gt(groups, 2 * files.n - 1); /* several row groups per file on average */
    ck_assert_uint_gt(multi, 0);                /* and partitions of several files */
    pt_files_free(&files);
    pt_run_free(&r);
}
END_TEST

/* Every row group of every file of `out` lists exactly the sorting columns `names` (leaves of
 * its own schema), ascending with nulls first, or none when `n` is 0. Returns the row groups. */
static size_t check_sorting_columns(const char *out, const char *const *names, size_t n) {
    pt_files files;
    pt_data_files(out, &files);
    ck_assert_uint_gt(files.n, 0);
    size_t groups = 0;
    for (size_t i = 0; i < files.n; i++) {
        kn_pqr_meta *m = pt_footer(pt_join(out, files.rel[i]));
        ck_assert(m);
        for (size_t g = 0; g < m->num_row_groups; g++, groups++) {
            const kn_pqr_row_group *rg = &m->row_groups[g];
            ck_assert_msg(rg->has_sorting_columns == (n > 0), "%s row group %zu: sorting_columns %s", files.rel[i], g,
                          rg->has_sorting_columns ? "present" : "absent");
            ck_assert_uint_eq(rg->num_sorting_columns, n);
            for (size_t k = 0; k < n; k++) {
                const kn_pqr_sorting_column *sc = &rg->sorting_columns[k];
                ck_assert_int_eq(sc->column_idx, pt_leaf(m, names[k]));
                ck_assert(!sc->descending && sc->nulls_first);
            }
        }
        kn_pqr_meta_free(m);
    }
    pt_files_free(&files);
    return groups;
}

START_TEST(sorted_files_list_their_sort_order_in_every_row_group)
{
    /* RowGroup.sorting_columns is what lets engines merge or skip without sorting again; it is
     * set only where the rows are sorted by those columns within each row group: --sort-by
     * (the sorted write, files of one folder each, rows in key order), ascending, nulls first,
     * as leaves of the files' own schema. Without --sort-by nothing is claimed; with
     * --drop-partition-columns the list stops before the first column the files leave out.
     * That the rows really are in that order is checked by sort_by_gives_sorted_non_overlapping_
     * row_groups (statistics), the page index tests (boundary orders) and the three readers of
     * tests/interop/partition_check.mjs (values). */
    const char *out = out_dir("sortmeta");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                          "--sort-by", "customer_id, ts", "--row-group-size", "32KiB", "-q", NULL};
    pt_run r = convert(0, args);
    static const char *const two[] = {"customer_id", "ts"};
    ck_assert_uint_gt(check_sorting_columns(out, two, 2), 20);
    pt_run_free(&r);

    static const char *const by_id[] = {"order_id"};
    const char *dropped = out_dir("sortmeta-drop");
    pt_rm_rf(dropped);
    const char *args2[] = {"convert", orders_shard0, "-o", dropped, "--schema", orders_schema, "--partition-by", "region",
                           "--drop-partition-columns", "--sort-by", "order_id", "--slices", "2", "-q", NULL};
    r = convert(0, args2);
    check_sorting_columns(dropped, by_id, 1); /* order_id's index in files without region */
    pt_run_free(&r);
    const char *args3[] = {"convert", orders_shard0, "-o", dropped, "--schema", orders_schema, "--partition-by", "region",
                           "--drop-partition-columns", "--sort-by", "region,order_id", "--mode", "overwrite", "-q", NULL};
    r = convert(0, args3);
    check_sorting_columns(dropped, NULL, 0);
    pt_run_free(&r);

    const char *plain = out_dir("sortmeta-none");
    pt_rm_rf(plain);
    const char *args4[] = {"convert", orders_shard0, "-o", plain, "--schema", orders_schema, "--partition-by", "region", "-q", NULL};
    r = convert(0, args4);
    check_sorting_columns(plain, NULL, 0);
    pt_run_free(&r);
    const char *args5[] = {"convert", orders_shard0, "-o", plain, "--schema", orders_schema, "--mode", "overwrite", "-q", NULL};
    r = convert(0, args5);
    check_sorting_columns(plain, NULL, 0);
    pt_run_free(&r);
}
END_TEST

START_TEST(slices_give_file_counts_in_multiples_with_even_sizes)
{
    const char *out = out_dir("slices");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                          "--slices", "4", "--target-file-size", "128KiB", "--row-group-size", "64KiB", "-q", NULL};
    pt_run r = convert(0, args);
    pt_files files;
    pt_data_files(out, &files);
    size_t i = 0, partitions = 0;
    while (i < files.n) {
        char folder[512], other[512];
        folder_of(files.rel[i], folder, sizeof folder);
        uint64_t lo = UINT64_MAX, hi = 0;
        size_t count = 0;
        for (; i < files.n; i++) {
            folder_of(files.rel[i], other, sizeof other);
            if (strcmp(other, folder)) break;
            uint64_t size = pt_file_size(pt_join(out, files.rel[i]));
            lo = size < lo ? size : lo;
            hi = size > hi ? size : hi;
            count++;
        }
        partitions++;
        ck_assert_msg(count % 4 == 0 && count >= 4, "%s holds %zu files, not a multiple of 4", folder, count);
        ck_assert_msg(hi * 4 <= lo * 5, "%s: file sizes %" PRIu64 "..%" PRIu64 " differ by more than 25%%", folder, lo, hi);
    }
    ck_assert_uint_eq(partitions, result_u64(&r, "partitions"));
    ck_assert_uint_gt(files.n, partitions * 4 - 1);
    pt_files_free(&files);
    pt_run_free(&r);
}
END_TEST

/* Reads the manifest's entries: url and content_length, in order. */
static size_t manifest_entries(const char *text, char urls[][512], uint64_t *sizes, size_t cap) {
    size_t n = 0;
    const char *p = text;
    while ((p = strstr(p, "\"url\": \"")) && n < cap) {
        p += 8;
        const char *end = strchr(p, '"');
        snprintf(urls[n], 512, "%.*s", (int)(end - p), p);
        const char *cl = strstr(end, "\"content_length\": ");
        sizes[n] = strtoull(cl + 18, NULL, 10);
        n++;
        p = end;
    }
    return n;
}

START_TEST(manifest_lists_every_data_file_once_with_its_exact_size)
{
    const char *out = out_dir("manifest");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                          "--target-file-size", "256KiB", "--url-prefix", "s3://bucket/pre/", "--iam-role",
                          "arn:aws:iam::123:role/load", "--merge-key", "order_id", "--table", "analytics.orders", "-q", NULL};
    pt_run r = convert(0, args);
    pt_files files;
    pt_data_files(out, &files);
    char *text = pt_read_text(pt_join(out, "manifest.json"), NULL);
    ck_assert(text);
    static char urls[4096][512];
    static uint64_t sizes[4096];
    size_t n = manifest_entries(text, urls, sizes, 4096);
    ck_assert_uint_eq(n, files.n);
    for (size_t i = 0; i < files.n; i++) {
        size_t hits = 0;
        char want[600];
        snprintf(want, sizeof want, "s3://bucket/pre/%s", files.rel[i]);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(urls[k], want)) continue;
            hits++;
            ck_assert_uint_eq(sizes[k], pt_file_size(pt_join(out, files.rel[i])));
        }
        ck_assert_msg(hits == 1, "%s is listed %zu times", files.rel[i], hits);
    }
    free(text);
    char *copy = pt_read_text(pt_join(out, "copy.sql"), NULL), *table = pt_read_text(pt_join(out, "table.sql"), NULL);
    char *spectrum = pt_read_text(pt_join(out, "spectrum.sql"), NULL), *upsert = pt_read_text(pt_join(out, "upsert.sql"), NULL);
    ck_assert(copy && table && spectrum && upsert);
    ck_assert(strstr(copy, "'s3://bucket/pre/manifest.json'") && strstr(copy, "arn:aws:iam::123:role/load"));
    ck_assert(strstr(table, "analytics.orders") && strstr(table, "VARCHAR("));
    size_t adds = 0;
    for (const char *p = spectrum; (p = strstr(p, "PARTITION (region=")); p++) adds++;
    ck_assert_uint_eq(adds, result_u64(&r, "partitions"));
    ck_assert(strstr(upsert, "order_id"));
    free(copy);
    free(table);
    free(spectrum);
    free(upsert);
    pt_files_free(&files);
    pt_run_free(&r);

    /* Without --merge-key there is no upsert.sql. */
    const char *out2 = out_dir("manifest-nokey");
    pt_rm_rf(out2);
    const char *args2[] = {"convert", orders_shard0, "-o", out2, "--schema", orders_schema, "-q", NULL};
    pt_run r2 = convert(0, args2);
    ck_assert(pt_exists(pt_join(out2, "manifest.json")) && !pt_exists(pt_join(out2, "upsert.sql")));
    pt_run_free(&r2);
}
END_TEST

static bool no_leftovers(const char *dir, char *what, size_t cap) {
    pt_files all;
    pt_walk(dir, &all);
    bool ok = true;
    for (size_t i = 0; i < all.n && ok; i++) {
        const char *base = strrchr(all.rel[i], '/');
        base = base ? base + 1 : all.rel[i];
        if (!strncmp(all.rel[i], "_tmp-", 5) || base[0] == '.') {
            snprintf(what, cap, "%s", all.rel[i]);
            ok = false;
        }
    }
    pt_files_free(&all);
    return ok;
}

START_TEST(overwrite_twice_gives_byte_identical_trees_and_no_leftovers)
{
    const char *out = out_dir("overwrite");
    pt_rm_rf(out);
    /* First a different layout, so the overwrite has old partition folders to remove. */
    const char *first[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by", "year(ts)", "-q", NULL};
    pt_run r0 = convert(0, first);
    ck_assert(pt_exists(pt_join(out, "year=2024")));
    const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                          "--sort-by", "order_id", "--mode", "overwrite", "--target-file-size", "512KiB", "--memory-limit",
                          "4MiB", "-q", NULL};
    pt_run r1 = convert(0, args);
    char *a = pt_tree_digest(out, NULL);
    ck_assert_msg(!pt_exists(pt_join(out, "year=2024")), "the earlier partition folders are still there");
    pt_run r2 = convert(0, args);
    char *b = pt_tree_digest(out, NULL);
    ck_assert_msg(!strcmp(a, b), "a second overwrite changed the tree:\n%s\nvs\n%s", a, b);
    char what[512];
    ck_assert_msg(no_leftovers(out, what, sizeof what), "left over: %s", what);
    /* Every file is in the manifest or is an artifact or the lock: nothing stale. */
    pt_files all, data;
    pt_walk(out, &all);
    pt_data_files(out, &data);
    ck_assert_uint_eq(all.n, data.n + 5); /* manifest.json, table.sql, copy.sql, spectrum.sql, _kiln.lock */
    ck_assert_uint_eq(data.n, result_u64(&r2, "files_out"));
    pt_files_free(&all);
    pt_files_free(&data);
    free(a);
    free(b);
    pt_run_free(&r0);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

static long part_number(const char *rel) {
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    return strncmp(base, "part-", 5) ? -1 : atol(base + 5);
}

START_TEST(append_adds_new_names_and_a_manifest_of_only_them)
{
    const char *out = out_dir("append");
    pt_rm_rf(out);
    const char *first[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by", "region", "-q", NULL};
    pt_run r1 = convert(0, first);
    pt_files before;
    pt_data_files(out, &before);
    char *digest_before = pt_tree_digest(out, NULL);
    long max_before = -1;
    for (size_t i = 0; i < before.n; i++) max_before = part_number(before.rel[i]) > max_before ? part_number(before.rel[i]) : max_before;

    const char *second[] = {"convert", orders_shard1, "-o", out, "--schema", orders_schema, "--partition-by", "region",
                            "--mode", "append", "-q", NULL};
    pt_run r2 = convert(0, second);
    pt_files after;
    pt_data_files(out, &after);
    ck_assert_uint_eq(after.n, before.n + result_u64(&r2, "files_out"));
    /* The earlier files are untouched. */
    char *digest_after = pt_tree_digest(out, NULL);
    for (size_t i = 0; i < before.n; i++) {
        char line[600];
        snprintf(line, sizeof line, "%s=%016llx\n", before.rel[i], (unsigned long long)pt_file_hash(pt_join(out, before.rel[i])));
        ck_assert_msg(strstr(digest_before, line) && strstr(digest_after, line), "%s changed", before.rel[i]);
    }
    /* New files have numbers past the highest earlier one, and the manifest lists only them. */
    char *text = pt_read_text(pt_join(out, "manifest.json"), NULL);
    static char urls[4096][512];
    static uint64_t sizes[4096];
    size_t n = manifest_entries(text, urls, sizes, 4096);
    ck_assert_uint_eq(n, result_u64(&r2, "files_out"));
    for (size_t k = 0; k < n; k++) {
        const char *rel = strstr(urls[k], "/out-append/") + strlen("/out-append/");
        ck_assert_msg(part_number(rel) > max_before, "%s is not numbered past %ld", rel, max_before);
        ck_assert_uint_eq(sizes[k], pt_file_size(pt_join(out, rel)));
    }
    uint64_t rows = 0;
    for (size_t i = 0; i < after.n; i++) {
        kn_pqr_meta *m = pt_footer(pt_join(out, after.rel[i]));
        ck_assert(m);
        rows += (uint64_t)m->num_rows;
        kn_pqr_meta_free(m);
    }
    ck_assert_uint_eq(rows, result_u64(&r1, "rows_written") + result_u64(&r2, "rows_written"));
    free(text);
    free(digest_before);
    free(digest_after);
    pt_files_free(&before);
    pt_files_free(&after);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

START_TEST(error_if_exists_refuses_kiln_output_and_leaves_it_whole)
{
    const char *out = out_dir("exists");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by", "region", "-q", NULL};
    pt_run r1 = convert(0, args);
    char *before = pt_tree_digest(out, NULL);
    pt_run r2 = convert(1, args);
    ck_assert_msg(strstr(r2.err, "already holds kiln output"), "%s", r2.err);
    char *after = pt_tree_digest(out, NULL);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

/* Waits until `pred(dir)` holds or kiln exits; returns true when it held while kiln ran. */
static bool wait_for(pid_t pid, const char *dir, bool (*pred)(const char *dir)) {
    for (;;) {
        if (pred(dir)) return true;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return false;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
}

static bool has_tmp_entry(const char *dir, const char *needle) {
    pt_files all;
    pt_walk(dir, &all);
    bool found = false;
    for (size_t i = 0; i < all.n && !found; i++) found = !strncmp(all.rel[i], "_tmp-", 5) && strstr(all.rel[i], needle);
    pt_files_free(&all);
    return found;
}

/* The sort's runs (spill-N) or the partitioned write's (part-spill-N). */
static bool spilling(const char *dir) { return has_tmp_entry(dir, "spill-"); }
static bool writing_parts(const char *dir) { return has_tmp_entry(dir, "/region="); }

/* After a kill: no readable name holds anything but a complete Parquet file. */
static void check_no_partial_readable_file(const char *dir) {
    pt_files all;
    pt_walk(dir, &all);
    for (size_t i = 0; i < all.n; i++) {
        if (!pt_is_readable_name(all.rel[i])) continue;
        size_t n = strlen(all.rel[i]);
        ck_assert_msg(n > 8 && !strcmp(all.rel[i] + n - 8, ".parquet"), "a killed run left %s under a readable name",
                      all.rel[i]);
        ck_assert_msg(pt_par1_both_ends(pt_join(dir, all.rel[i])), "%s is not a complete Parquet file", all.rel[i]);
    }
    pt_files_free(&all);
}

/* Starts `args` (its output folder `out`), kills it once `point` holds, checks that no readable
 * name holds a partial file, then runs it again and expects the files of a clean run (`want`,
 * pt_tree_digest). `what` names the moment in messages. */
static void kill_then_retry(const char *const *args, const char *out, bool (*point)(const char *),
                            const char *what, const char *want) {
    pid_t pid = pt_kiln_start(args);
    bool reached = wait_for(pid, out, point);
    ck_assert_msg(reached, "kiln finished before it could be killed %s; the input is too small", what);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFSIGNALED(status));
    check_no_partial_readable_file(out);
    /* The next run, with the same options, cleans up and writes the same files as a clean run. */
    pt_run r = convert(0, args);
    char left[512];
    ck_assert_msg(no_leftovers(out, left, sizeof left), "left over after the retry (%s): %s", what, left);
    char *got = pt_tree_digest(out, skip_root_artifacts);
    ck_assert_msg(!strcmp(got, want), "the retry after a kill %s wrote other files", what);
    free(got);
    pt_run_free(&r);
}

START_TEST(sigkill_leaves_no_partial_readable_file_and_the_next_run_succeeds)
{
    const char *out = out_dir("killed"), *ref = out_dir("killed-ref");
    pt_rm_rf(ref);
    const char *ref_args[] = {"convert", orders_dir, "-o", ref, "--schema", orders_schema, "--partition-by",
                              "region,year(ts),month(ts)", "--morsel-size", "64KiB", "--memory-limit", "2MiB", "--threads",
                              "1", "-q", NULL};
    pt_run rr = convert(0, ref_args);
    char *want = pt_tree_digest(ref, skip_root_artifacts);
    bool (*points[2])(const char *) = {spilling, writing_parts};
    const char *names[2] = {"while spilling", "while writing partition files"};
    for (int k = 0; k < 2; k++) {
        pt_rm_rf(out);
        const char *args[] = {"convert", orders_dir, "-o", out, "--schema", orders_schema, "--partition-by",
                              "region,year(ts),month(ts)", "--morsel-size", "64KiB", "--memory-limit", "2MiB", "--threads",
                              "1", "-q", NULL};
        kill_then_retry(args, out, points[k], names[k], want);
    }
    free(want);
    pt_run_free(&rr);
}
END_TEST

START_TEST(sigkill_during_a_streamed_partitioned_write_leaves_no_partial_file)
{
    /* The streamed write keeps one file open per folder, under temporary names until the end:
     * killed while those are being written, no readable name may hold a partial file, and the
     * retry must write what a clean run writes. */
    const char *out = out_dir("killed-stream"), *ref = out_dir("killed-stream-ref");
    pt_rm_rf(ref);
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_dir, "-o", NULL, "--schema", orders_schema, "--partition-by", "region",
                          "--row-group-size", "64KiB", "--target-file-size", "256KiB", "--morsel-size", "64KiB",
                          "--threads", "1", "-q", NULL};
    args[3] = ref;
    pt_run rr = convert(0, args);
    ck_assert_msg(write_path_is(&rr, "partition-stream"), "%s", pt_last_line(&rr));
    char *want = pt_tree_digest(ref, skip_root_artifacts);
    args[3] = out;
    kill_then_retry(args, out, writing_parts, "while writing the open folders' files", want);
    free(want);
    pt_run_free(&rr);
}
END_TEST

START_TEST(drop_partition_columns_leaves_identity_columns_out_of_the_files)
{
    const char *out = out_dir("drop");
    pt_rm_rf(out);
    const char *args[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by",
                          "region,year(ts)", "--drop-partition-columns", "-q", NULL};
    pt_run r = convert(0, args);
    pt_files files;
    pt_data_files(out, &files);
    ck_assert_uint_gt(files.n, 0);
    for (size_t i = 0; i < files.n; i++) {
        kn_pqr_meta *m = pt_footer(pt_join(out, files.rel[i]));
        ck_assert(m);
        ck_assert_msg(pt_leaf(m, "region") < 0, "%s still holds region", files.rel[i]);
        ck_assert_msg(pt_leaf(m, "ts") >= 0, "%s lost ts, the source of a derived key", files.rel[i]);
        ck_assert_uint_eq(m->num_leaves, 14);
        kn_pqr_meta_free(m);
    }
    char *spectrum = pt_read_text(pt_join(out, "spectrum.sql"), NULL);
    ck_assert(spectrum && strstr(spectrum, "PARTITIONED BY (region VARCHAR"));
    free(spectrum);
    /* Without the option the partition column stays in the files (Redshift COPY needs it). */
    const char *out2 = out_dir("keep");
    pt_rm_rf(out2);
    const char *args2[] = {"convert", orders_shard0, "-o", out2, "--schema", orders_schema, "--partition-by", "region", "-q", NULL};
    pt_run r2 = convert(0, args2);
    pt_files kept;
    pt_data_files(out2, &kept);
    kn_pqr_meta *m = pt_footer(pt_join(out2, kept.rel[0]));
    ck_assert(m && pt_leaf(m, "region") >= 0);
    kn_pqr_meta_free(m);
    pt_files_free(&kept);
    pt_files_free(&files);
    pt_run_free(&r);
    pt_run_free(&r2);
}
END_TEST

START_TEST(a_locked_output_folder_is_refused_with_exit_3)
{
    const char *out = out_dir("locked");
    pt_rm_rf(out);
    mkdir(out, 0755);
    int fd = open(pt_join(out, "_kiln.lock"), O_RDWR | O_CREAT, 0644);
    ck_assert(fd >= 0 && flock(fd, LOCK_EX) == 0);
    const char *args[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "-q", NULL};
    pt_run r = convert(3, args);
    ck_assert_msg(strstr(r.err, "another kiln run"), "%s", r.err);
    close(fd);
    pt_run r2 = convert(0, args);
    pt_run_free(&r);
    pt_run_free(&r2);
}
END_TEST

START_TEST(stale_temporary_folders_of_killed_runs_are_removed)
{
    const char *out = out_dir("stale");
    pt_rm_rf(out);
    mkdir(out, 0755);
    mkdir(pt_join(out, "_tmp-1-2"), 0755);
    FILE *f = fopen(pt_join(out, "_tmp-1-2/spill-0"), "w");
    fputs("junk", f);
    fclose(f);
    f = fopen(pt_join(out, ".manifest.json.kiln-tmp-1-0"), "w");
    fputs("{", f);
    fclose(f);
    f = fopen(pt_join(out, "notes.txt"), "w"); /* not kiln's: left alone */
    fputs("mine", f);
    fclose(f);
    const char *args[] = {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "-q", NULL};
    pt_run r = convert(0, args);
    char what[512];
    ck_assert_msg(no_leftovers(out, what, sizeof what), "left over: %s", what);
    ck_assert(pt_exists(pt_join(out, "notes.txt")));
    pt_run_free(&r);
}
END_TEST

START_TEST(output_is_the_same_whatever_the_threads_and_morsel_size)
{
    const char *a = out_dir("t1"), *b = out_dir("t2");
    pt_rm_rf(a);
    pt_rm_rf(b);
    const char *args1[] = {"convert", orders_dir, "-o", a, "--schema", orders_schema, "--partition-by", "region",
                           "--sort-by", "amount,order_id", "--slices", "2", "--target-file-size", "256KiB",
                           "--threads", "1", "--morsel-size", "256KiB", "-q", NULL};
    const char *args2[] = {"convert", orders_dir, "-o", b, "--schema", orders_schema, "--partition-by", "region",
                           "--sort-by", "amount,order_id", "--slices", "2", "--target-file-size", "256KiB",
                           "--threads", "2", "--morsel-size", "1MiB", "--memory-limit", "3MiB", "-q", NULL};
    pt_run r1 = convert(0, args1), r2 = convert(0, args2);
    char *da = pt_tree_digest(a, skip_root_artifacts), *db = pt_tree_digest(b, skip_root_artifacts);
    ck_assert_msg(!strcmp(da, db), "1 thread and 2 threads wrote different files");
    free(da);
    free(db);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

START_TEST(streamed_partitions_write_the_same_files_as_the_sort_when_nothing_splits)
{
    /* With --partition-by alone and few folders, rows stream into one open file per folder; the
     * external sort (--max-open-partitions 0) puts each folder's rows in input order too. With
     * one row group per file and one file per folder both must write the same bytes under the
     * same names: the same rows, in the same order, through the same column writer calls. */
    const char *a = out_dir("pstream"), *b = out_dir("pstream-sort");
    pt_rm_rf(a);
    pt_rm_rf(b);
    const char *args1[] = {"convert", orders_dir, "-o", a, "--schema", orders_schema, "--partition-by", "region",
                           "--threads", "2", "-q", NULL};
    const char *args2[] = {"convert", orders_dir, "-o", b, "--schema", orders_schema, "--partition-by", "region",
                           "--threads", "2", "--max-open-partitions", "0", "-q", NULL};
    pt_run r1 = convert(0, args1), r2 = convert(0, args2);
    ck_assert_msg(write_path_is(&r1, "partition-stream"), "%s", pt_last_line(&r1));
    ck_assert_msg(write_path_is(&r2, "sort"), "%s", pt_last_line(&r2));
    ck_assert_uint_eq(result_u64(&r1, "rows_written"), ORDERS_ROWS);
    ck_assert_uint_eq(result_u64(&r1, "spill_runs"), 0);
    ck_assert_uint_eq(result_u64(&r1, "partitions"), result_u64(&r2, "partitions"));
    ck_assert_uint_ge(result_u64(&r1, "partitions"), 12);
    char *da = pt_tree_digest(a, skip_root_artifacts), *db = pt_tree_digest(b, skip_root_artifacts);
    ck_assert_msg(!strcmp(da, db), "streamed and sorted partitions differ:\n%s\nvs\n%s", da, db);
    free(da);
    free(db);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

START_TEST(streamed_partitions_are_the_same_whatever_the_threads_morsels_and_memory)
{
    /* Row groups of 8 MiB, files rolled at 256 KiB, some 7 folders; one run with memory to spare,
     * one with 1 MiB, less than the folders' rows, so queued rows go to spill runs. A folder's row groups are cut
     * from its rows in input order, spilled or not, so 1 thread with small morsels and 2 threads
     * with large ones and little memory write the same bytes. */
    const char *a = out_dir("ps1"), *b = out_dir("ps2");
    pt_rm_rf(a);
    pt_rm_rf(b);
    const char *args1[] = {"convert", orders_dir, "-o", a, "--schema", orders_schema, "--partition-by", "channel",
                           "--row-group-size", "8MiB", "--target-file-size", "256KiB",
                           "--threads", "1", "--morsel-size", "256KiB", "-q", NULL};
    const char *args2[] = {"convert", orders_dir, "-o", b, "--schema", orders_schema, "--partition-by", "channel",
                           "--memory-limit", "1MiB", "--row-group-size", "8MiB", "--target-file-size", "256KiB",
                           "--threads", "2", "--morsel-size", "1MiB", "-q", NULL};
    pt_run r1 = convert(0, args1), r2 = convert(0, args2);
    ck_assert_msg(write_path_is(&r1, "partition-stream") && write_path_is(&r2, "partition-stream"), "%s", pt_last_line(&r1));
    ck_assert_uint_eq(result_u64(&r2, "rows_written"), ORDERS_ROWS);
    ck_assert_uint_eq(result_u64(&r1, "spill_runs"), 0);
    ck_assert_uint_gt(result_u64(&r2, "spill_runs"), 0);
    char *da = pt_tree_digest(a, skip_root_artifacts), *db = pt_tree_digest(b, skip_root_artifacts);
    ck_assert_msg(!strcmp(da, db), "1 thread and 2 threads with little memory wrote different files");
    free(da);
    free(db);
    /* Every file holds only its folder's value, and the rows add up. */
    pt_files files;
    pt_data_files(b, &files);
    ck_assert_uint_eq(files.n, result_u64(&r2, "files_out"));
    ck_assert_uint_gt(files.n, 3);
    uint64_t rows = 0, groups = 0;
    for (size_t i = 0; i < files.n; i++) {
        kn_pqr_meta *m = pt_footer(pt_join(b, files.rel[i]));
        ck_assert_msg(m, "%s: unreadable footer", files.rel[i]);
        rows += (uint64_t)m->num_rows;
        groups += m->num_row_groups;
        kn_pqr_meta_free(m);
    }
    ck_assert_uint_eq(rows, ORDERS_ROWS);
    ck_assert_uint_ge(groups, files.n);
    pt_files_free(&files);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

START_TEST(a_thousand_folders_stream_without_starting_over)
{
    /* date(ts): some 1,100 folders, in 1 MiB of memory, with a bad record quarantined. The
     * partitioned write takes any number of folders (no run starts over), spills what it cannot
     * hold, and writes the sort's own files, byte for byte; the bad record is counted and kept
     * once. */
    const char *in = pt_join(work, "orders-bad.ndjson");
    size_t len;
    char *text = pt_read_text(orders_shard0, &len);
    ck_assert(text);
    FILE *f = fopen(in, "wb");
    ck_assert(f);
    fputs("{\"order_id\": not json}\n", f);
    fwrite(text, 1, len, f);
    fclose(f);
    free(text);
    const char *a = out_dir("many"), *b = out_dir("many-sort");
    pt_rm_rf(a);
    pt_rm_rf(b);
    const char *args1[] = {"convert", in, "-o", a, "--schema", orders_schema, "--partition-by", "date(ts)",
                           "--memory-limit", "1MiB", "--on-error", "quarantine", "--threads", "2", NULL};
    const char *args2[] = {"convert", in, "-o", b, "--schema", orders_schema, "--partition-by", "date(ts)",
                           "--max-open-partitions", "0", "--on-error", "quarantine", "--threads", "2", "-q", NULL};
    pt_run r1 = convert(0, args1), r2 = convert(0, args2);
    ck_assert_msg(write_path_is(&r1, "partition-stream"), "%s", pt_last_line(&r1));
    ck_assert_msg(!strstr(r1.err, "instead"), "the run started over: %s", r1.err);
    ck_assert_uint_gt(result_u64(&r1, "partitions"), 1000);
    ck_assert_uint_gt(result_u64(&r1, "spill_runs"), 0);
    ck_assert_uint_eq(result_u64(&r1, "rows_rejected"), 1);
    ck_assert_uint_eq(result_u64(&r1, "rows_read"), result_u64(&r1, "rows_written") + 1);
    ck_assert_uint_eq(result_u64(&r1, "rows_written"), result_u64(&r2, "rows_written"));
    char *rej = pt_read_text(pt_join(a, "_rejects/rejects.ndjson"), &len);
    ck_assert_msg(rej, "no rejects file");
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += rej[i] == '\n';
    ck_assert_uint_eq(lines, 1);
    free(rej);
    char *da = pt_tree_digest(a, skip_root_artifacts), *db = pt_tree_digest(b, skip_root_artifacts);
    ck_assert_msg(!strcmp(da, db), "the partitioned write and the sort differ");
    free(da);
    free(db);
    pt_run_free(&r1);
    pt_run_free(&r2);
}
END_TEST

START_TEST(interleaved_hourly_folders_go_by_buckets_from_the_start)
{
    /* By hour over random times the first morsel already spreads over thousands of folders at
     * a row or two each: the write by buckets is chosen up front (no run started over), every
     * row lands, one file per folder, and the files are the sort's, byte for byte, also on one
     * thread with 1 MiB of memory; by date it stays the folder queues. (The first 20,000 orders
     * of a shard: some 12,000 folders, which file systems take seconds to make and remove.) */
    const char *in = pt_join(work, "orders-20k.ndjson");
    size_t len, lines = 0, cut = 0;
    char *text = pt_read_text(orders_shard0, &len);
    ck_assert(text);
    while (cut < len && lines < 20000) lines += text[cut++] == '\n';
    FILE *f = fopen(in, "wb");
    ck_assert(f && fwrite(text, 1, cut, f) == cut);
    fclose(f);
    free(text);
    const char *a = out_dir("hourly"), *b = out_dir("daily"), *c = out_dir("hourly-sort"), *d = out_dir("hourly-1");
    pt_rm_rf(a);
    pt_rm_rf(b);
    pt_rm_rf(c);
    pt_rm_rf(d);
    const char *hours = "year(ts),month(ts),day(ts),hour(ts)";
    const char *args1[] = {"convert", in, "-o", a, "--schema", orders_schema, "--partition-by", hours,
                           "--threads", "2", "-q", NULL};
    const char *args2[] = {"convert", in, "-o", b, "--schema", orders_schema, "--partition-by", "date(ts)",
                           "--threads", "2", "-q", NULL};
    const char *args3[] = {"convert", in, "-o", c, "--schema", orders_schema, "--partition-by", hours,
                           "--partition-write", "sort", "--threads", "2", "-q", NULL};
    const char *args4[] = {"convert", in, "-o", d, "--schema", orders_schema, "--partition-by", hours,
                           "--threads", "1", "--memory-limit", "1MiB", "--morsel-size", "256KiB", "--partition-write",
                           "buckets", "-q", NULL};
    pt_run r1 = convert(0, args1), r2 = convert(0, args2), r3 = convert(0, args3), r4 = convert(0, args4);
    ck_assert_msg(write_path_is(&r1, "partition-buckets"), "%s", pt_last_line(&r1));
    ck_assert_msg(write_path_is(&r2, "partition-stream"), "%s", pt_last_line(&r2));
    ck_assert_msg(write_path_is(&r3, "sort"), "%s", pt_last_line(&r3));
    ck_assert_msg(write_path_is(&r4, "partition-buckets"), "by buckets on 1 thread: another write");
    ck_assert_uint_eq(result_u64(&r1, "rows_written"), result_u64(&r2, "rows_written"));
    ck_assert_uint_gt(result_u64(&r1, "partitions"), 4 * result_u64(&r2, "partitions"));
    ck_assert_uint_eq(result_u64(&r1, "files_out"), result_u64(&r1, "partitions"));
    ck_assert_uint_gt(result_u64(&r1, "spill_bytes"), 0);
    char *da = pt_tree_digest(a, skip_root_artifacts), *dc = pt_tree_digest(c, skip_root_artifacts),
         *dd = pt_tree_digest(d, skip_root_artifacts);
    ck_assert_msg(!strcmp(da, dc), "by buckets and by the sort: different files");
    ck_assert_msg(!strcmp(da, dd), "by buckets on 2 threads and on 1 in 1 MiB: different files");
    free(da);
    free(dc);
    free(dd);
    pt_run_free(&r1);
    pt_run_free(&r2);
    pt_run_free(&r3);
    pt_run_free(&r4);
    pt_rm_rf(a);
    pt_rm_rf(c);
    pt_rm_rf(d);
}
END_TEST

START_TEST(bad_layout_options_exit_1_before_anything_is_created)
{
    const char *out = out_dir("bad");
    pt_rm_rf(out);
    const char *cases[][12] = {
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by", "nope", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-by", "hour(region)", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--drop-partition-columns", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--sort-by", "nope", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--merge-key", "nope", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--mode", "sometimes", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--memory-limit", "10KiB", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--slices", "0", NULL},
        {"convert", orders_shard0, "-o", out, "--schema", orders_schema, "--partition-write", "fast", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pt_run r = convert(1, cases[i]);
        ck_assert_msg(strstr(r.err, "kiln: error:"), "case %zu: %s", i, r.err);
        ck_assert_msg(!pt_exists(out), "case %zu created the output folder", i);
        pt_run_free(&r);
    }
}
END_TEST

START_TEST(nested_fields_become_super_in_table_sql_and_json_text_in_the_files)
{
    /* Inferred without --schema: attrs (objects) and tags (arrays, once a string) are json, so
     * table.sql declares them SUPER, which COPY fills by parsing each value's JSON text; Spectrum
     * cannot declare SUPER over a Parquet string and keeps VARCHAR(65535). The files hold the
     * values as plain UTF-8 strings, a JSON string with its quotes. */
    const char *in = pt_join(work, "nested.ndjson");
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"id\":1,\"name\":\"a\",\"attrs\":{\"k\":[1,2],\"q\":\"x\\\"y\"},\"tags\":[\"p\",\"q\"]}\n"
          "{\"id\":2,\"name\":\"b\",\"attrs\":{\"k\":null},\"tags\":\"solo\"}\n"
          "{\"id\":3,\"name\":\"c\",\"attrs\":null,\"tags\":[]}\n",
          f);
    fclose(f);
    const char *out = out_dir("nested");
    pt_rm_rf(out);
    const char *args[] = {"convert", in, "-o", out, "-q", NULL};
    pt_run r = convert(0, args);
    char *table = pt_read_text(pt_join(out, "table.sql"), NULL);
    char *spectrum = pt_read_text(pt_join(out, "spectrum.sql"), NULL);
    ck_assert(table && spectrum);
    ck_assert_msg(strstr(table, "attrs SUPER") && strstr(table, "tags SUPER"), "%s", table);
    ck_assert_msg(strstr(table, "name VARCHAR(16)") && strstr(table, "id BIGINT"), "%s", table);
    ck_assert_msg(strstr(spectrum, "attrs VARCHAR(65535)") && strstr(spectrum, "tags VARCHAR(65535)"), "%s", spectrum);
    ck_assert_msg(!strstr(spectrum, "SUPER"), "%s", spectrum);
    pt_files files;
    pt_data_files(out, &files);
    ck_assert_uint_eq(files.n, 1);
    kn_pqr_meta *m = pt_footer(pt_join(out, files.rel[0]));
    ck_assert(m);
    long tags = pt_leaf(m, "tags");
    ck_assert(tags >= 0);
    const kn_pqr_schema_element *e = &m->schema[m->leaves[tags].element];
    ck_assert(e->has_type && e->type == KN_PQ_BYTE_ARRAY && e->has_converted_type && e->converted_type == KN_PQ_CT_UTF8);
    /* min and max (unsigned bytes) over "solo" (quoted), [] and ["p","q"]: '"' sorts before
     * '[', so the minimum shows the string kept its quotes. */
    kn_pqr_bytes min, max;
    ck_assert(pt_stats(m, 0, (size_t)tags, &min, &max));
    ck_assert_msg(min.len == 6 && memcmp(min.data, "\"solo\"", 6) == 0, "min %.*s", (int)min.len, (const char *)min.data);
    ck_assert_msg(max.len == 2 && memcmp(max.data, "[]", 2) == 0, "max %.*s", (int)max.len, (const char *)max.data);
    kn_pqr_meta_free(m);
    pt_files_free(&files);
    /* A SUPER column cannot be a Redshift sort key: refused before anything is written. */
    const char *out2 = out_dir("nested-sort");
    pt_rm_rf(out2);
    const char *args2[] = {"convert", in, "-o", out2, "--sort-by", "attrs", "-q", NULL};
    pt_run r2 = convert(1, args2);
    ck_assert_msg(strstr(r2.err, "sort key"), "%s", r2.err);
    ck_assert(!pt_exists(out2));
    free(table);
    free(spectrum);
    pt_run_free(&r);
    pt_run_free(&r2);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */

static void setup_inputs(void) {
    snprintf(work, sizeof work, "%s/tests/partition/work", KN_TEST_BINARY_DIR);
    pt_rm_rf(work);
    mkdir(work, 0755);
    snprintf(orders_dir, sizeof orders_dir, "%s/orders", work);
    snprintf(orders_schema, sizeof orders_schema, "%s/bench/orders.schema.yaml", KN_TEST_SOURCE_DIR);
    snprintf(keyed_input, sizeof keyed_input, "%s/keyed.ndjson", work);
    snprintf(keyed_schema, sizeof keyed_schema, "%s/keyed.schema.yaml", work);
    if (!pt_gen_orders(orders_dir, ORDERS_ROWS, 5, 2)) {
        fprintf(stderr, "test_partition: FAIL: cannot run the generator %s\n", KN_TEST_GEN);
        exit(1);
    }
    pt_files shards;
    pt_walk(orders_dir, &shards);
    if (shards.n != 2) {
        fprintf(stderr, "test_partition: FAIL: expected 2 generated shards in %s\n", orders_dir);
        exit(1);
    }
    snprintf(orders_shard0, sizeof orders_shard0, "%s/%s", orders_dir, shards.rel[0]);
    snprintf(orders_shard1, sizeof orders_shard1, "%s/%s", orders_dir, shards.rel[1]);
    pt_files_free(&shards);
    pt_write_keyed(keyed_input, KEYED_ROWS, KEYS);
    pt_write_keyed_schema(keyed_schema);
}

int main(void) {
    setup_inputs();
    Suite *s = suite_create("partition");
    TCase *tc = tcase_create("convert");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, partition_folders_hold_only_their_values);
    tcase_add_test(tc, thousands_of_partitions_stay_within_the_memory_bound_through_spill_files);
    tcase_add_test(tc, any_folder_count_gives_the_same_files_for_any_threads_and_memory);
    tcase_add_test(tc, sort_by_gives_sorted_non_overlapping_row_groups);
    tcase_add_test(tc, sorted_files_list_their_sort_order_in_every_row_group);
    tcase_add_test(tc, slices_give_file_counts_in_multiples_with_even_sizes);
    tcase_add_test(tc, manifest_lists_every_data_file_once_with_its_exact_size);
    tcase_add_test(tc, overwrite_twice_gives_byte_identical_trees_and_no_leftovers);
    tcase_add_test(tc, append_adds_new_names_and_a_manifest_of_only_them);
    tcase_add_test(tc, error_if_exists_refuses_kiln_output_and_leaves_it_whole);
    tcase_add_test(tc, sigkill_leaves_no_partial_readable_file_and_the_next_run_succeeds);
    tcase_add_test(tc, sigkill_during_a_streamed_partitioned_write_leaves_no_partial_file);
    tcase_add_test(tc, drop_partition_columns_leaves_identity_columns_out_of_the_files);
    tcase_add_test(tc, a_locked_output_folder_is_refused_with_exit_3);
    tcase_add_test(tc, stale_temporary_folders_of_killed_runs_are_removed);
    tcase_add_test(tc, output_is_the_same_whatever_the_threads_and_morsel_size);
    tcase_add_test(tc, streamed_partitions_write_the_same_files_as_the_sort_when_nothing_splits);
    tcase_add_test(tc, streamed_partitions_are_the_same_whatever_the_threads_morsels_and_memory);
    tcase_add_test(tc, a_thousand_folders_stream_without_starting_over);
    tcase_add_test(tc, interleaved_hourly_folders_go_by_buckets_from_the_start);
    tcase_add_test(tc, bad_layout_options_exit_1_before_anything_is_created);
    tcase_add_test(tc, nested_fields_become_super_in_table_sql_and_json_text_in_the_files);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, pt_units_tcase());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
