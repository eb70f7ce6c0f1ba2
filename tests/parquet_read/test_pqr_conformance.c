/* tests/parquet_read/test_pqr_conformance.c: every file of tests/conformance/parquet (the
 * parquet-testing corpus: many writers, every codec, nested types, page indexes, encrypted and
 * known-bad files) through the footer reader, a walk of every page header, and `kiln inspect`
 * itself (text, --json, --pages). Valid files must read; encrypted ones are refused as
 * unsupported; damaged ones fail with KN_E_FORMAT; nothing crashes.
 *
 * bad_data/ outcomes (see its README.md):
 *   PARQUET-1481 (a schema Thrift value corrupted: physical type -7): the footer fails, exit 2.
 *   ARROW-RS-GH-6229-DICTHEADER (a dictionary page of -26 values) and ARROW-GH-41321 (garbage
 *     where a page header should be): the footer reads, the page walk fails (--pages exit 2).
 *   ARROW-GH-41317, ARROW-GH-43605, ARROW-GH-45185, ARROW-GH-47662, ARROW-RS-GH-6229-LEVELS:
 *     the damage is inside page data (levels, values), which inspect does not decode: the
 *     footer and every page header read, and inspect succeeds. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_cli.h"
#include "kn_file.h"
#include "kn_pqr.h"
#include "test_pqr.h"

#define MAX_FILES 512

typedef struct {
    char *paths[MAX_FILES];
    size_t n;
} file_list;

static void collect(const char *dir, file_list *out) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) collect(path, out);
        else if (S_ISREG(st.st_mode) && out->n < MAX_FILES) out->paths[out->n++] = strdup(path);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The corpus, sorted. A missing folder fails the test: the files are part of the project. */
static void corpus(file_list *out) {
    static const char root[] = KN_TEST_CONFORMANCE_DIR "/parquet";
    memset(out, 0, sizeof *out);
    struct stat st;
    ck_assert_msg(stat(root, &st) == 0 && S_ISDIR(st.st_mode),
                  "%s is absent: the Parquet conformance files must be in the project (tests/conformance/parquet)", root);
    collect(root, out);
    qsort(out->paths, out->n, sizeof out->paths[0], cmp_str);
}

static void list_free(file_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}
static bool is_parquet(const char *p) { return ends_with(p, ".parquet") || ends_with(p, ".parquet.encrypted"); }
static bool in_bad_data(const char *p) { return strstr(p, "/bad_data/") != NULL; }
static bool encrypted(const char *p) { return ends_with(p, ".encrypted"); }
static bool named(const char *p, const char *base) {
    const char *slash = strrchr(p, '/');
    return !strcmp(slash ? slash + 1 : p, base);
}

/* Walks every page header of every chunk. Returns KN_OK, or the first failure. Sets *mismatch
 * when a chunk's headers plus pages do not add up to its total_compressed_size. */
static kn_status walk_all_pages(kn_source *src, const kn_pqr_meta *m, bool *mismatch, size_t *pages, kn_error *e) {
    kn_buf scratch = KN_BUF_INIT;
    kn_status st = KN_OK;
    *mismatch = false;
    for (size_t g = 0; g < m->num_row_groups && st == KN_OK; g++) {
        for (size_t c = 0; c < m->row_groups[g].num_columns && st == KN_OK; c++) {
            const kn_pqr_column_meta *cm = &m->row_groups[g].columns[c].meta_data;
            uint64_t start, len, sum = 0;
            st = kn_pqr_chunk_range(cm, &start, &len, e);
            for (uint64_t off = start; st == KN_OK && off < start + len;) {
                kn_pqr_page_header h;
                size_t hlen;
                st = kn_pqr_page_header_read(src, off, start + len, &scratch, &h, &hlen, e);
                if (st != KN_OK) break;
                off += hlen + (uint64_t)h.compressed_page_size;
                sum += hlen + (uint64_t)h.compressed_page_size;
                (*pages)++;
            }
            if (st == KN_OK && sum != len) *mismatch = true;
        }
    }
    kn_buf_free(&scratch);
    return st;
}

START_TEST(every_corpus_file_reads_or_fails_cleanly)
{
    file_list files;
    corpus(&files);
    size_t parquet = 0, valid = 0, refused = 0, pages = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *p = files.paths[i];
        kn_source *src = NULL;
        kn_pqr_meta *m = NULL;
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_file_source_open(p, &src, &e), KN_OK);
        kn_status st = kn_pqr_meta_read(src, &m, &e);
        if (!is_parquet(p)) {
            /* READMEs, CSVs, bloom filter dumps: not Parquet, and said so. */
            ck_assert_msg(st == KN_E_FORMAT, "%s: status %d", p, st);
        } else if (encrypted(p)) {
            parquet++;
            if (strstr(p, "plaintext_footer")) {
                ck_assert_msg(st == KN_OK, "%s: %s", p, e.what);
                ck_assert_msg(m->encryption_algorithm != 0, "%s: no encryption algorithm", p);
            } else {
                ck_assert_msg(st == KN_E_UNSUPPORTED, "%s: status %d (%s)", p, st, e.what);
                ck_assert_msg(strstr(e.what, "encrypted Parquet footer is not supported"), "%s", e.what);
            }
            refused++;
        } else if (named(p, "PARQUET-1481.parquet")) {
            parquet++;
            ck_assert_msg(st == KN_E_FORMAT, "%s: status %d", p, st);
            ck_assert_msg(strstr(e.what, "physical type -7"), "%s", e.what);
            ck_assert_int_gt(e.byte_offset, 0);
        } else {
            parquet++;
            ck_assert_msg(st == KN_OK, "%s: %s (byte %lld)", p, e.what, (long long)e.byte_offset);
            ck_assert_uint_gt(m->num_schema, 0);
            bool mismatch;
            kn_error_reset(&e);
            st = walk_all_pages(src, m, &mismatch, &pages, &e);
            if (named(p, "ARROW-GH-41321.parquet") || named(p, "ARROW-RS-GH-6229-DICTHEADER.parquet")) {
                ck_assert_msg(st == KN_E_FORMAT, "%s: the damaged page header read (%d)", p, st);
            } else {
                ck_assert_msg(st == KN_OK, "%s: %s (byte %lld)", p, e.what, (long long)e.byte_offset);
                /* nation.dict-malformed.parquet's sizes leave out its dictionary page headers. */
                if (!named(p, "nation.dict-malformed.parquet"))
                    ck_assert_msg(!mismatch, "%s: page sizes do not add up to total_compressed_size", p);
            }
            if (!in_bad_data(p)) valid++;
        }
        kn_pqr_meta_free(m);
        kn_source_free(src);
    }
    fprintf(stderr, "parquet_read conformance: %zu Parquet files, %zu valid read, %zu encrypted refused, %zu pages walked\n",
            parquet, valid, refused, pages);
    ck_assert_uint_ge(valid, 60);
    ck_assert_uint_ge(refused, 10);
    list_free(&files);
}
END_TEST

/* Runs `kiln inspect [A1 [A2]] [PATH]` in this process with stdout and stderr sent to /dev/null, and
 * returns its exit code. */
static int run_inspect(const char *path, const char *a1, const char *a2) {
    char *argv[5];
    int argc = 0;
    argv[argc++] = (char *)"inspect";
    if (a1) argv[argc++] = (char *)a1;
    if (a2) argv[argc++] = (char *)a2;
    if (path) argv[argc++] = (char *)path;
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    int rc = kn_cli_inspect(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    return rc;
}

START_TEST(inspect_answers_every_corpus_file_with_the_documented_exit_code)
{
    file_list files;
    corpus(&files);
    size_t ran = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *p = files.paths[i];
        if (!is_parquet(p)) continue;
        int want = 0, want_pages = 0;
        if (encrypted(p)) want = want_pages = 1;
        else if (named(p, "PARQUET-1481.parquet")) want = want_pages = 2;
        else if (named(p, "ARROW-GH-41321.parquet") || named(p, "ARROW-RS-GH-6229-DICTHEADER.parquet")) want_pages = 2;
        ck_assert_msg(run_inspect(p, NULL, NULL) == want, "%s: text", p);
        ck_assert_msg(run_inspect(p, "--json", NULL) == want, "%s: --json", p);
        ck_assert_msg(run_inspect(p, "--pages", "--json") == want_pages, "%s: --pages --json", p);
        ck_assert_msg(run_inspect(p, "--pages", NULL) == want_pages, "%s: --pages", p);
        ran++;
    }
    ck_assert_uint_ge(ran, 80);
    list_free(&files);
}
END_TEST

START_TEST(inspect_rejects_bad_usage_and_missing_files)
{
    ck_assert_int_eq(run_inspect("/nonexistent/x.parquet", NULL, NULL), 1);
    ck_assert_int_eq(run_inspect("x.parquet", "--frobnicate", NULL), 1);
    ck_assert_int_eq(run_inspect(NULL, NULL, NULL), 1);
    ck_assert_int_eq(run_inspect("a.parquet", "b.parquet", NULL), 1);
    ck_assert_int_eq(run_inspect(NULL, "--help", NULL), 0);
}
END_TEST

void pqr_add_conformance_tests(Suite *s) {
    TCase *tc = tcase_create("conformance");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_corpus_file_reads_or_fails_cleanly);
    tcase_add_test(tc, inspect_answers_every_corpus_file_with_the_documented_exit_code);
    tcase_add_test(tc, inspect_rejects_bad_usage_and_missing_files);
    suite_add_tcase(s, tc);
}
