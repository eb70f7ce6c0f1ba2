/* tests/io/test_store.c: the store interface (engine/core/kn_store.h) on the local file system
 * (engine/io/kn_store_local.h), the sequential sources, and the commit going through a store. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_commit.h"
#include "kn_status.h"
#include "kn_store.h"
#include "kn_store_local.h"
#include "kn_stream.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static char *make_tmp_dir(void) {
    char *d = kn_strdup("/tmp/kn-test-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

/* dir/name in a static ring of buffers (a test holds a handful at a time); `dir` may be an
 * earlier result. */
static const char *at(const char *dir, const char *name) {
    static char bufs[16][1024];
    static int next;
    char tmp[1024];
    int n = snprintf(tmp, sizeof tmp, "%s/%s", dir, name);
    ck_assert(n > 0 && (size_t)n < sizeof tmp);
    char *b = bufs[next++ % 16];
    memcpy(b, tmp, sizeof tmp);
    return b;
}

static void put_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static bool exists(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* Entries of `dir` as the system sees them, "." and ".." left out. */
static size_t count_entries(const char *dir) {
    kn_store_listing l;
    ck_assert_int_eq(kn_store_list(kn_store_local(), dir, 0, &l, NULL), KN_OK);
    size_t n = l.count;
    kn_store_listing_free(&l);
    return n;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed) {
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* Reads `s` to its end with reads of at most `cap` bytes; returns the bytes (kn_buf the caller
 * frees) and checks that the end stays the end. */
static kn_buf drain(kn_seq_source *s, size_t cap) {
    kn_buf out = KN_BUF_INIT;
    uint8_t *buf = kn_malloc(cap);
    ck_assert_ptr_nonnull(buf);
    kn_error e;
    kn_error_reset(&e);
    for (;;) {
        size_t got = 12345;
        ck_assert_msg(kn_seq_source_read(s, buf, cap, &got, &e) == KN_OK, "%s", e.what);
        ck_assert_uint_le(got, cap);
        if (got == 0) break;
        ck_assert(kn_buf_append(&out, buf, got));
    }
    size_t got = 1;
    ck_assert_int_eq(kn_seq_source_read(s, buf, cap, &got, &e), KN_OK);
    ck_assert_uint_eq(got, 0);
    kn_free(buf);
    return out;
}

/* ---- sinks ------------------------------------------------------------------------------------ */

START_TEST(a_sink_is_invisible_until_it_closes)
{
    /* Readers (Spectrum, COPY, the next kiln step) must never see part of a file under its real
     * name: until close, the name is absent and only a hidden temporary file exists. */
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "part-00000.parquet");
    kn_error e;
    kn_error_reset(&e);
    kn_sink *sink;
    ck_assert_msg(kn_store_open_sink(st, path, 0, &sink, &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(kn_sink_write(sink, "hello, ", 7, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(sink, "world", 5, &e), KN_OK);
    ck_assert_uint_eq(kn_sink_offset(sink), 12);

    kn_store_info info;
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_NONE);
    kn_store_listing l;
    ck_assert_int_eq(kn_store_list(st, dir, KN_LIST_SKIP_HIDDEN, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 0);
    kn_store_listing_free(&l);
    ck_assert_int_eq(kn_store_list(st, dir, 0, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_msg(l.entries[0].name[0] == '.' && strstr(l.entries[0].name, ".kiln-tmp-"), "%s", l.entries[0].name);
    kn_store_listing_free(&l);

    ck_assert_msg(kn_sink_close(sink, &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_FILE);
    ck_assert_uint_eq(info.size, 12);
    ck_assert_uint_eq(count_entries(dir), 1); /* the temporary file became the file */
    kn_source *src;
    ck_assert_int_eq(kn_store_open_source(st, path, &src, &e), KN_OK);
    char back[12];
    ck_assert_uint_eq(src->size, 12);
    ck_assert_int_eq(kn_source_read_at(src, 0, back, 12, &e), KN_OK);
    ck_assert(memcmp(back, "hello, world", 12) == 0);
    kn_source_free(src);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    ck_assert(!exists(dir));
    kn_free(dir);
}
END_TEST

/* The file `path` of store `st` holds exactly the bytes of `want`. */
static void assert_file_holds(kn_store *st, const char *path, const kn_buf *want) {
    kn_error e;
    kn_source *src;
    ck_assert_int_eq(kn_store_open_source(st, path, &src, &e), KN_OK);
    ck_assert_uint_eq(src->size, want->len);
    uint8_t *back = kn_malloc(want->len ? want->len : 1);
    ck_assert_int_eq(kn_source_read_at(src, 0, back, want->len, &e), KN_OK);
    ck_assert(memcmp(back, want->data, want->len) == 0);
    kn_free(back);
    kn_source_free(src);
}

START_TEST(a_gathered_write_puts_every_piece_in_order)
{
    /* 300 pieces (more than one writev takes), some empty, some large: the file holds them back
     * to back, the offset counts them, and a plain write after them follows. */
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "gathered.bin");
    kn_error e;
    kn_sink *sink;
    ck_assert_msg(kn_store_open_sink(st, path, 0, &sink, &e) == KN_OK, "%s", e.what);
    enum { PIECES = 300 };
    static uint8_t data[PIECES][200000 / PIECES + 700];
    kn_iovec v[PIECES];
    kn_buf want = KN_BUF_INIT;
    for (size_t i = 0; i < PIECES; i++) {
        size_t len = i % 7 == 3 ? 0 : i % 50 == 1 ? sizeof data[i] : 1 + i % 13;
        for (size_t j = 0; j < len; j++) data[i][j] = (uint8_t)(i * 31 + j);
        v[i] = (kn_iovec){data[i], len};
        ck_assert(kn_buf_append(&want, data[i], len));
    }
    ck_assert_msg(kn_sink_writev(sink, v, PIECES, &e) == KN_OK, "%s", e.what);
    ck_assert_uint_eq(kn_sink_offset(sink), want.len);
    ck_assert_int_eq(kn_sink_write(sink, "end", 3, &e), KN_OK);
    ck_assert(kn_buf_append(&want, "end", 3));
    ck_assert_msg(kn_sink_close(sink, &e) == KN_OK, "%s", e.what);
    assert_file_holds(st, path, &want);
    kn_buf_free(&want);
    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

START_TEST(an_aborted_sink_leaves_nothing)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "manifest.json");
    kn_error e;
    kn_error_reset(&e);
    kn_sink *sink;
    ck_assert_int_eq(kn_store_open_sink(st, path, 0, &sink, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(sink, "{\"entries\":", 11, &e), KN_OK);
    kn_sink_abort(sink);
    ck_assert_uint_eq(count_entries(dir), 0);

    /* An earlier file stays whole when a replacement is aborted. */
    put_file(path, "old");
    ck_assert_int_eq(kn_store_open_sink(st, path, 0, &sink, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(sink, "new bytes", 9, &e), KN_OK);
    kn_sink_abort(sink);
    kn_store_info info;
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 3);
    ck_assert_uint_eq(count_entries(dir), 1);

    /* KN_SINK_KEEP_EXISTING: close refuses to replace, names the path, and leaves no
     * temporary file either. */
    ck_assert_int_eq(kn_store_open_sink(st, path, KN_SINK_KEEP_EXISTING | KN_SINK_DURABLE, &sink, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(sink, "new", 3, &e), KN_OK);
    ck_assert_int_eq(kn_sink_close(sink, &e), KN_E_IO);
    ck_assert_str_eq(e.where, path);
    ck_assert_uint_eq(count_entries(dir), 1);

    /* kn_store_write_file: all or nothing, through the same sink. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_write_file(st, at(dir, "table.sql"), "CREATE", 6, 0, &e), KN_OK);
    ck_assert_int_eq(kn_store_stat(st, at(dir, "table.sql"), &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 6);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

/* KN_SINK_PRIVATE (the run's own folder): the bytes go straight to the name, with no temporary
 * file beside it; small writes wait until more bytes come or the sink closes, and go first then;
 * abort removes the file. */
START_TEST(a_private_sink_writes_in_place_and_small_writes_wait)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "part-00000.parquet");
    kn_error e;
    kn_error_reset(&e);
    kn_sink *sink;
    kn_store_info info;
    ck_assert_msg(kn_store_open_sink(st, path, KN_SINK_PRIVATE, &sink, &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_FILE);
    ck_assert_uint_eq(count_entries(dir), 1);
    kn_buf want = KN_BUF_INIT;
    static uint8_t big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(kn_sink_write(sink, "PAR1", 4, &e), KN_OK);
    ck_assert(kn_buf_append(&want, "PAR1", 4));
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(kn_sink_write(sink, big + i, 100, &e), KN_OK);
        ck_assert(kn_buf_append(&want, big + i, 100));
    }
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 0); /* 10,004 bytes wait */
    const kn_iovec pieces[] = {{"x", 1}, {big, sizeof big}, {"", 0}, {"yz", 2}};
    ck_assert_int_eq(kn_sink_writev(sink, pieces, 4, &e), KN_OK);
    for (size_t i = 0; i < 4; i++) ck_assert(kn_buf_append(&want, pieces[i].data, pieces[i].len));
    ck_assert_int_eq(kn_store_stat(st, path, &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, want.len); /* past the buffer: what waited went first */
    ck_assert_int_eq(kn_sink_write(sink, "tail", 4, &e), KN_OK);
    ck_assert(kn_buf_append(&want, "tail", 4));
    ck_assert_uint_eq(kn_sink_offset(sink), want.len);
    ck_assert_msg(kn_sink_close(sink, &e) == KN_OK, "%s", e.what);
    assert_file_holds(st, path, &want);
    ck_assert_uint_eq(count_entries(dir), 1);

    /* Abort removes the file, written in place or not. */
    ck_assert_int_eq(kn_store_open_sink(st, at(dir, "spill-0"), KN_SINK_PRIVATE, &sink, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(sink, big, sizeof big, &e), KN_OK);
    ck_assert_uint_eq(count_entries(dir), 2);
    kn_sink_abort(sink);
    ck_assert_uint_eq(count_entries(dir), 1);

    /* A folder under the name: a clear error naming it. */
    ck_assert_int_eq(kn_store_make_dirs(st, at(dir, "a/b/c/d"), &e), KN_OK);
    ck_assert_int_eq(kn_store_stat(st, at(dir, "a/b/c/d"), &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_DIR);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_sink(st, at(dir, "a/b"), KN_SINK_PRIVATE, &sink, &e), KN_E_IO);
    ck_assert_str_eq(e.where, at(dir, "a/b"));
    kn_buf_free(&want);
    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

/* ---- listing ---------------------------------------------------------------------------------- */

START_TEST(listing_sorts_and_skips_underscore_and_dot_names)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    put_file(at(dir, "b.ndjson"), "{}\n");
    put_file(at(dir, "a.ndjson"), "{\"x\":1}\n");
    put_file(at(dir, "_SUCCESS"), "");
    put_file(at(dir, ".a.ndjson.kiln-tmp-1-0"), "{");
    ck_assert_int_eq(mkdir(at(dir, "year=2024"), 0755), 0);
    put_file(at(dir, "year=2024/part-00000.parquet"), "PAR1....PAR1");
    ck_assert_int_eq(mkdir(at(dir, "year=2024/_tmp"), 0755), 0);
    put_file(at(dir, "year=2024/_tmp/x"), "x");
    ck_assert_int_eq(mkdir(at(dir, "_rejects"), 0755), 0);
    put_file(at(dir, "_rejects/rejects.ndjson"), "bad\n");
    ck_assert_int_eq(mkdir(at(dir, "empty"), 0755), 0);

    kn_error e;
    kn_error_reset(&e);
    kn_store_listing l;
    /* One level, bookkeeping skipped: files with sizes and folders, bytewise order. */
    ck_assert_int_eq(kn_store_list(st, dir, KN_LIST_SKIP_HIDDEN, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 4);
    ck_assert_str_eq(l.entries[0].name, "a.ndjson");
    ck_assert_int_eq(l.entries[0].kind, KN_ENTRY_FILE);
    ck_assert_uint_eq(l.entries[0].size, 8);
    ck_assert_str_eq(l.entries[1].name, "b.ndjson");
    ck_assert_uint_eq(l.entries[1].size, 3);
    ck_assert_str_eq(l.entries[2].name, "empty");
    ck_assert_int_eq(l.entries[2].kind, KN_ENTRY_DIR);
    ck_assert_str_eq(l.entries[3].name, "year=2024");
    ck_assert_int_eq(l.entries[3].kind, KN_ENTRY_DIR);
    kn_store_listing_free(&l);
    ck_assert_uint_eq(l.count, 0);

    /* One level, everything. */
    ck_assert_int_eq(kn_store_list(st, dir, 0, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 7);
    ck_assert_str_eq(l.entries[0].name, ".a.ndjson.kiln-tmp-1-0");
    ck_assert_str_eq(l.entries[1].name, "_SUCCESS");
    ck_assert_str_eq(l.entries[2].name, "_rejects");
    kn_store_listing_free(&l);

    /* Recursive, skipped: only the data files, relative names, no folders; a skipped folder's
     * files are skipped with it. */
    ck_assert_int_eq(kn_store_list(st, dir, KN_LIST_RECURSIVE | KN_LIST_SKIP_HIDDEN, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_str_eq(l.entries[0].name, "a.ndjson");
    ck_assert_str_eq(l.entries[1].name, "b.ndjson");
    ck_assert_str_eq(l.entries[2].name, "year=2024/part-00000.parquet");
    ck_assert_uint_eq(l.entries[2].size, 12);
    kn_store_listing_free(&l);

    /* Recursive, everything (a trailing '/' on the folder changes nothing). */
    char slash[1100];
    snprintf(slash, sizeof slash, "%s/", dir);
    ck_assert_int_eq(kn_store_list(st, slash, KN_LIST_RECURSIVE, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 7);
    ck_assert_str_eq(l.entries[2].name, "_rejects/rejects.ndjson");
    ck_assert_str_eq(l.entries[6].name, "year=2024/part-00000.parquet");
    ck_assert_str_eq(l.entries[5].name, "year=2024/_tmp/x");
    kn_store_listing_free(&l);

    /* A folder that is not there lists empty (as an S3 prefix does); a file is not a folder. */
    ck_assert_int_eq(kn_store_list(st, at(dir, "missing"), 0, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(kn_store_list(st, at(dir, "a.ndjson"), 0, &l, &e), KN_E_USAGE);
    ck_assert_str_eq(e.where, at(dir, "a.ndjson"));
    ck_assert_uint_eq(l.count, 0);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

/* ---- locks ------------------------------------------------------------------------------------ */

/* In a child process: 0 when the lock was busy, 1 when it was taken (and is held until exit),
 * 2 on an error. */
static int child_try_lock(const char *path, bool release) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        kn_lock *l = NULL;
        kn_status s = kn_store_lock(kn_store_local(), path, &l, NULL);
        int code = s != KN_OK ? 2 : l ? 1 : 0;
        if (l && release) kn_store_unlock(kn_store_local(), l);
        _exit(code); /* a holder that dies without unlocking: the system drops its lock */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(the_lock_is_exclusive_across_processes_and_handles)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "_kiln.lock");
    kn_error e;
    kn_error_reset(&e);
    kn_lock *a = NULL, *b = NULL;
    ck_assert_int_eq(kn_store_lock(st, path, &a, &e), KN_OK);
    ck_assert_ptr_nonnull(a);
    /* Busy is an answer, not a failure: KN_OK and no handle, at once (no waiting). */
    ck_assert_int_eq(child_try_lock(path, true), 0);
    ck_assert_int_eq(kn_store_lock(st, path, &b, &e), KN_OK);
    ck_assert_ptr_null(b);
    kn_store_unlock(st, a);
    /* Released: another process takes it; the lock file stays for the next one. */
    ck_assert_int_eq(child_try_lock(path, true), 1);
    ck_assert(exists(path));
    /* A holder killed while holding it does not block the next run. */
    ck_assert_int_eq(child_try_lock(path, false), 1);
    ck_assert_int_eq(kn_store_lock(st, path, &a, &e), KN_OK);
    ck_assert_ptr_nonnull(a);
    kn_store_unlock(st, a);
    kn_store_unlock(st, NULL);

    /* Cannot take it at all: KN_E_IO (worth a retry) naming the path. */
    const char *nowhere = at(dir, "missing/_kiln.lock");
    ck_assert_int_eq(kn_store_lock(st, nowhere, &a, &e), KN_E_IO);
    ck_assert_ptr_null(a);
    ck_assert_str_eq(e.where, nowhere);
    ck_assert_ptr_nonnull(strstr(e.what, "lock"));

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

/* ---- sequential sources ----------------------------------------------------------------------- */

START_TEST(sequential_reads_return_the_exact_bytes_in_small_and_large_buffers)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "big.ndjson");
    size_t n = (3u << 20) + 777; /* not a multiple of any buffer below */
    uint8_t *data = kn_malloc(n);
    ck_assert_ptr_nonnull(data);
    fill_pattern(data, n, 7);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_write_file(st, path, data, n, 0, &e), KN_OK);

    static const size_t caps[] = {1, 7, 4096, 65537, 1u << 20, 8u << 20};
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        if (caps[i] == 1 && n > (1u << 20)) {
            /* A byte at a time over 3 MiB is slow; the first 100 KiB prove the same. */
            kn_seq_source *s;
            ck_assert_int_eq(kn_store_open_seq(st, path, &s, &e), KN_OK);
            uint8_t b;
            for (size_t k = 0; k < 100000; k++) {
                size_t got;
                ck_assert_int_eq(kn_seq_source_read(s, &b, 1, &got, &e), KN_OK);
                ck_assert_uint_eq(got, 1);
                ck_assert_msg(b == data[k], "byte %zu", k);
            }
            ck_assert_uint_eq(s->offset, 100000);
            kn_seq_source_free(s);
            continue;
        }
        kn_seq_source *s;
        ck_assert_msg(kn_store_open_seq(st, path, &s, &e) == KN_OK, "%s", e.what);
        ck_assert_int_eq(s->size, (int64_t)n);
        ck_assert_str_eq(s->name, path);
        kn_buf got = drain(s, caps[i]);
        ck_assert_uint_eq(got.len, n);
        ck_assert_msg(memcmp(got.data, data, n) == 0, "buffer %zu", caps[i]);
        ck_assert_uint_eq(s->offset, n);
        kn_buf_free(&got);
        kn_seq_source_free(s);
    }

    /* read_full fills the buffer but at the end. */
    kn_seq_source *s;
    ck_assert_int_eq(kn_store_open_seq(st, path, &s, &e), KN_OK);
    uint8_t *buf = kn_malloc(n + 100);
    size_t got;
    ck_assert_int_eq(kn_seq_source_read_full(s, buf, 1000, &got, &e), KN_OK);
    ck_assert_uint_eq(got, 1000);
    ck_assert_int_eq(kn_seq_source_read_full(s, buf + 1000, n + 100 - 1000, &got, &e), KN_OK);
    ck_assert_uint_eq(got, n - 1000);
    ck_assert(memcmp(buf, data, n) == 0);
    kn_seq_source_free(s);
    kn_free(buf);

    /* An empty file ends at once. */
    ck_assert_int_eq(kn_store_write_file(st, at(dir, "empty"), "", 0, 0, &e), KN_OK);
    ck_assert_int_eq(kn_store_open_seq(st, at(dir, "empty"), &s, &e), KN_OK);
    ck_assert_int_eq(s->size, 0);
    kn_buf none = drain(s, 64);
    ck_assert_uint_eq(none.len, 0);
    kn_buf_free(&none);
    kn_seq_source_free(s);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(data);
    kn_free(dir);
}
END_TEST

START_TEST(memory_and_adapted_sequential_sources_give_the_same_bytes)
{
    /* The memory source hands out short reads (as a socket or a decompressor does); the adapter
     * reads a random-access source front to back. Both must give every byte once, in order. */
    size_t n = 100003;
    uint8_t *data = kn_malloc(n);
    fill_pattern(data, n, 11);
    static const size_t chunks[] = {0, 1, 3, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        kn_seq_source *s = kn_mem_seq_source_create(data, n, chunks[c], "mem");
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(s->size, (int64_t)n);
        size_t got;
        uint8_t buf[10];
        ck_assert_int_eq(kn_seq_source_read(s, buf, sizeof buf, &got, NULL), KN_OK);
        ck_assert_uint_eq(got, chunks[c] && chunks[c] < sizeof buf ? chunks[c] : sizeof buf);
        ck_assert(memcmp(buf, data, got) == 0);
        kn_buf rest = drain(s, 8191);
        ck_assert_uint_eq(got + rest.len, n);
        ck_assert(memcmp(rest.data, data + got, rest.len) == 0);
        kn_buf_free(&rest);
        kn_seq_source_free(s);
    }
    kn_source *src = kn_mem_source_create(data, n, "mem");
    kn_seq_source *s = kn_source_seq_create(src, true);
    ck_assert_ptr_nonnull(s);
    kn_buf all = drain(s, 777);
    ck_assert_uint_eq(all.len, n);
    ck_assert(memcmp(all.data, data, n) == 0);
    kn_buf_free(&all);
    kn_seq_source_free(s); /* frees the taken source too (the leak check is the allocator's) */
    kn_seq_source_free(NULL);
    kn_free(data);
}
END_TEST

/* ---- mapping ---------------------------------------------------------------------------------- */

/* The local store without its mapping and streaming read: what a store like S3 looks like. */
static kn_store_vtable plain_vt;
static kn_store plain_store = {&plain_vt, "plain"};

static kn_store *plain(void) {
    plain_vt = *kn_store_local()->vt;
    plain_vt.map = NULL;
    plain_vt.map_release = NULL;
    plain_vt.unmap = NULL;
    plain_vt.open_seq = NULL;
    return &plain_store;
}

START_TEST(mapping_is_zero_copy_where_the_store_can_and_unsupported_elsewhere)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    const char *path = at(dir, "in.ndjson");
    size_t n = 5 * 4096 + 17;
    uint8_t *data = kn_malloc(n);
    fill_pattern(data, n, 3);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_write_file(st, path, data, n, 0, &e), KN_OK);
    kn_store_mapping m;
    ck_assert_int_eq(kn_store_map(st, path, &m, &e), KN_OK);
    ck_assert_uint_eq(m.len, n);
    ck_assert(memcmp(m.data, data, n) == 0);
    /* Released pages read back the same (the page cache keeps them). */
    kn_store_map_release(st, &m, 0, 3 * 4096);
    ck_assert(memcmp(m.data, data, n) == 0);
    kn_store_unmap(st, &m);
    ck_assert_ptr_null(m.data);
    ck_assert_uint_eq(m.len, 0);

    /* An empty file maps to nothing, without failing. */
    ck_assert_int_eq(kn_store_write_file(st, at(dir, "empty"), "", 0, 0, &e), KN_OK);
    ck_assert_int_eq(kn_store_map(st, at(dir, "empty"), &m, &e), KN_OK);
    ck_assert_ptr_null(m.data);
    kn_store_unmap(st, &m);

    /* A store that cannot map says so, naming the path; its sequential reads fall back to the
     * random-access source and give the same bytes. */
    kn_store *p = plain();
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_map(p, path, &m, &e), KN_E_UNSUPPORTED);
    ck_assert_str_eq(e.where, path);
    ck_assert_ptr_null(m.data);
    kn_seq_source *s;
    ck_assert_int_eq(kn_store_open_seq(p, path, &s, &e), KN_OK);
    kn_buf all = drain(s, 1000);
    ck_assert_uint_eq(all.len, n);
    ck_assert(memcmp(all.data, data, n) == 0);
    kn_buf_free(&all);
    kn_seq_source_free(s);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(data);
    kn_free(dir);
}
END_TEST

/* ---- folders, renames, removal ----------------------------------------------------------------- */

START_TEST(folders_renames_and_removal)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    kn_error e;
    kn_error_reset(&e);
    const char *deep = at(dir, "a=1/b=2/c=3/");
    ck_assert_int_eq(kn_store_make_dirs(st, deep, &e), KN_OK);
    ck_assert_int_eq(kn_store_make_dirs(st, deep, &e), KN_OK); /* made already: fine */
    kn_store_info info;
    ck_assert_int_eq(kn_store_stat(st, at(dir, "a=1/b=2/c=3"), &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_DIR);

    /* Publish: a rename replaces what is at the name. */
    put_file(at(dir, "a=1/b=2/c=3/part-0.parquet"), "old");
    put_file(at(dir, "new"), "newer");
    ck_assert_int_eq(kn_store_rename(st, at(dir, "new"), at(dir, "a=1/b=2/c=3/part-0.parquet"), &e), KN_OK);
    ck_assert_int_eq(kn_store_stat(st, at(dir, "a=1/b=2/c=3/part-0.parquet"), &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 5);
    ck_assert_int_eq(kn_store_stat(st, at(dir, "new"), &info, &e), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_NONE);

    /* remove: a file, an empty folder, nothing; never a folder with something in it. */
    ck_assert_int_eq(kn_store_remove(st, at(dir, "a=1/b=2"), &e), KN_E_IO);
    ck_assert_str_eq(e.where, at(dir, "a=1/b=2"));
    ck_assert(exists(at(dir, "a=1/b=2/c=3/part-0.parquet")));
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_remove(st, at(dir, "a=1/b=2/c=3/part-0.parquet"), &e), KN_OK);
    ck_assert_int_eq(kn_store_remove(st, at(dir, "a=1/b=2/c=3"), &e), KN_OK);
    ck_assert(!exists(at(dir, "a=1/b=2/c=3")));
    ck_assert_int_eq(kn_store_remove(st, at(dir, "a=1/b=2/c=3"), &e), KN_OK);

    /* remove_tree: everything below, a link removed but not followed. */
    char *outside = make_tmp_dir();
    put_file(at(outside, "keep.txt"), "mine");
    ck_assert_int_eq(kn_store_make_dirs(st, at(dir, "t/u/v"), &e), KN_OK);
    put_file(at(dir, "t/f1"), "1");
    put_file(at(dir, "t/u/.hidden"), "2");
    put_file(at(dir, "t/u/v/f3"), "3");
    ck_assert_int_eq(symlink(outside, at(dir, "t/u/link")), 0);
    ck_assert_int_eq(kn_store_remove_tree(st, at(dir, "t"), &e), KN_OK);
    ck_assert(!exists(at(dir, "t")));
    ck_assert(exists(at(outside, "keep.txt")));
    ck_assert_int_eq(kn_store_remove_tree(st, at(dir, "t"), &e), KN_OK); /* gone: fine */
    ck_assert_int_eq(kn_store_remove_tree(st, outside, &e), KN_OK);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    ck_assert(!exists(dir));
    kn_free(outside);
    kn_free(dir);
}
END_TEST

START_TEST(errors_name_the_path_and_why)
{
    kn_store *st = kn_store_local();
    char *dir = make_tmp_dir();
    put_file(at(dir, "file"), "x");
    kn_error e;
    kn_source *src;
    kn_seq_source *seq;
    kn_sink *sink;

    const char *missing = at(dir, "missing.ndjson");
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_source(st, missing, &src, &e), KN_E_USAGE);
    ck_assert_str_eq(e.where, missing);
    ck_assert_ptr_nonnull(strstr(e.what, "No such file"));
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_seq(st, missing, &seq, &e), KN_E_USAGE);
    ck_assert_ptr_null(seq);
    ck_assert_str_eq(e.where, missing);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_seq(st, dir, &seq, &e), KN_E_IO);
    ck_assert_str_eq(e.where, dir);
    ck_assert_ptr_nonnull(strstr(e.what, "folder"));

    /* A sink into a folder that is not there: KN_E_IO, the path, the system's reason. */
    const char *nowhere = at(dir, "no/such/folder/part-0.parquet");
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_sink(st, nowhere, 0, &sink, &e), KN_E_IO);
    ck_assert_str_eq(e.where, nowhere);
    ck_assert_ptr_nonnull(strstr(e.what, "No such file"));

    /* A rename names where it was going and where from. */
    const char *to = at(dir, "to");
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_rename(st, missing, to, &e), KN_E_IO);
    ck_assert_str_eq(e.where, to);
    ck_assert_ptr_nonnull(strstr(e.what, "cannot rename"));
    ck_assert_ptr_nonnull(strstr(e.what, missing));

    /* A file in the way of a folder. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_make_dirs(st, at(dir, "file/sub/subsub"), &e), KN_E_IO);
    ck_assert_str_eq(e.where, at(dir, "file"));
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_make_dirs(st, at(dir, "file"), &e), KN_E_IO);
    ck_assert_str_eq(e.where, at(dir, "file"));

    /* The formatted message a user reads starts with the path. */
    char line[2048];
    kn_error_format(&e, line, sizeof line);
    ck_assert_msg(strncmp(line, at(dir, "file"), strlen(at(dir, "file"))) == 0, "%s", line);

    ck_assert_int_eq(kn_store_remove_tree(st, dir, &e), KN_OK);
    kn_free(dir);
}
END_TEST

START_TEST(absolute_names_resolve_dots_by_name)
{
    kn_store *st = kn_store_local();
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_store_absolute(st, "x/./y/../z//", &b, NULL), KN_OK);
    char want[4200];
    snprintf(want, sizeof want, "%s/x/z", strcmp(cwd, "/") ? cwd : "");
    ck_assert_str_eq((const char *)b.data, want);
    ck_assert_uint_eq(b.len, strlen(want));
    static const char *const cases[][2] = {
        {"/", "/"}, {"/..", "/"}, {"/a//b/", "/a/b"}, {"/a/b/../../..", "/"}, {"/a/./b/.", "/a/b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kn_buf_clear(&b);
        ck_assert_int_eq(kn_store_absolute(st, cases[i][0], &b, NULL), KN_OK);
        ck_assert_msg(b.len == strlen(cases[i][1]) && memcmp(b.data, cases[i][1], b.len) == 0, "%s gave %.*s",
                      cases[i][0], (int)b.len, (const char *)b.data);
    }
    kn_buf_free(&b);
    char *j = kn_store_join("out/", "a=1");
    ck_assert_str_eq(j, "out/a=1");
    kn_free(j);
    j = kn_store_join("out", "a=1");
    ck_assert_str_eq(j, "out/a=1");
    kn_free(j);
}
END_TEST

/* ---- the commit goes through its store ---------------------------------------------------------- */

/* The local store, counting the calls that change things. */
static kn_store_vtable counting_vt;
static kn_store counting_store = {&counting_vt, "counting"};
static int n_lock, n_unlock, n_rename, n_sink, n_dirs;

static kn_status count_lock(kn_store *s, const char *path, kn_lock **out, kn_error *err) {
    n_lock++;
    return kn_store_local()->vt->lock(kn_store_local(), path, out, err);
}
static void count_unlock(kn_store *s, kn_lock *l) {
    n_unlock++;
    kn_store_local()->vt->unlock(kn_store_local(), l);
}
static kn_status count_rename(kn_store *s, const char *from, const char *to, kn_error *err) {
    n_rename++;
    return kn_store_local()->vt->rename(kn_store_local(), from, to, err);
}
static kn_status count_sink(kn_store *s, const char *path, unsigned flags, kn_sink **out, kn_error *err) {
    n_sink++;
    return kn_store_local()->vt->open_sink(kn_store_local(), path, flags, out, err);
}
static kn_status count_dirs(kn_store *s, const char *path, kn_error *err) {
    n_dirs++;
    return kn_store_local()->vt->make_dirs(kn_store_local(), path, err);
}

static kn_store *counting(void) {
    counting_vt = *kn_store_local()->vt;
    counting_vt.lock = count_lock;
    counting_vt.unlock = count_unlock;
    counting_vt.rename = count_rename;
    counting_vt.open_sink = count_sink;
    counting_vt.make_dirs = count_dirs;
    n_lock = n_unlock = n_rename = n_sink = n_dirs = 0;
    return &counting_store;
}

START_TEST(the_commit_locks_writes_and_publishes_through_its_store)
{
    kn_store *st = counting();
    char *dir = make_tmp_dir();
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    kn_error e;
    kn_error_reset(&e);
    kn_commit *c;
    ck_assert_msg(kn_commit_begin_in(st, out, KN_MODE_OVERWRITE, &c, &e) == KN_OK, "%s", e.what);
    ck_assert_ptr_eq(kn_commit_store(c), st);
    ck_assert_int_eq(n_lock, 1);
    ck_assert_int_ge(n_dirs, 2); /* OUTDIR and the run's temporary folder */

    /* A second run on the folder is refused at once, with the words the CLI test looks for. */
    kn_commit *c2 = NULL;
    kn_error e2;
    kn_error_reset(&e2);
    ck_assert_int_eq(kn_commit_begin_in(st, out, KN_MODE_OVERWRITE, &c2, &e2), KN_E_IO);
    ck_assert_ptr_null(c2);
    ck_assert_ptr_nonnull(strstr(e2.what, "another kiln run"));
    ck_assert_str_eq(e2.where, out);

    /* A data file written in the temporary folder, then published. */
    char tmp_file[1100];
    snprintf(tmp_file, sizeof tmp_file, "%s/year=2024", kn_commit_tmp_dir(c));
    ck_assert_int_eq(kn_store_make_dirs(st, tmp_file, &e), KN_OK);
    snprintf(tmp_file, sizeof tmp_file, "%s/year=2024/part-00000.parquet", kn_commit_tmp_dir(c));
    ck_assert_int_eq(kn_store_write_file(st, tmp_file, "PAR1", 4, 0, &e), KN_OK);
    const char *names[] = {"year=2024/part-00000.parquet"};
    int renames = n_rename;
    ck_assert_msg(kn_commit_publish(c, names, 1, &e) == KN_OK, "%s", e.what);
    ck_assert_int_eq(n_rename - renames, 1);
    int sinks = n_sink;
    ck_assert_int_eq(kn_commit_write_file(c, "manifest.json", "{}", 2, &e), KN_OK);
    ck_assert_int_eq(n_sink - sinks, 1);
    kn_commit_end(c);
    ck_assert_int_eq(n_unlock, 1);

    kn_store_info info;
    ck_assert_int_eq(kn_store_stat(st, at(out, "year=2024/part-00000.parquet"), &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 4);
    ck_assert_int_eq(kn_store_stat(st, at(out, "manifest.json"), &info, &e), KN_OK);
    ck_assert_uint_eq(info.size, 2);
    /* Nothing of the run is left but the lock file; the data is all a skipping listing sees. */
    kn_store_listing l;
    ck_assert_int_eq(kn_store_list(st, out, 0, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_str_eq(l.entries[0].name, "_kiln.lock");
    ck_assert_str_eq(l.entries[1].name, "manifest.json");
    ck_assert_str_eq(l.entries[2].name, "year=2024");
    kn_store_listing_free(&l);

    /* Append continues past the highest part number, found through the store's listing. */
    ck_assert_int_eq(kn_commit_begin_in(st, out, KN_MODE_APPEND, &c, &e), KN_OK);
    ck_assert_uint_eq(kn_commit_first_number(c), 1);
    kn_commit_end(c);
    /* error-if-exists refuses, naming what is there. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_commit_begin_in(st, out, KN_MODE_ERROR_IF_EXISTS, &c, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "manifest.json"));
    ck_assert_int_eq(n_lock, 4);
    ck_assert_int_eq(n_unlock, 3); /* the busy attempt got no handle to release */

    kn__remove_tree(dir);
    ck_assert(!exists(dir));
    kn_free(dir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("local");
    tcase_add_test(tc, a_sink_is_invisible_until_it_closes);
    tcase_add_test(tc, a_gathered_write_puts_every_piece_in_order);
    tcase_add_test(tc, an_aborted_sink_leaves_nothing);
    tcase_add_test(tc, a_private_sink_writes_in_place_and_small_writes_wait);
    tcase_add_test(tc, listing_sorts_and_skips_underscore_and_dot_names);
    tcase_add_test(tc, the_lock_is_exclusive_across_processes_and_handles);
    tcase_add_test(tc, sequential_reads_return_the_exact_bytes_in_small_and_large_buffers);
    tcase_add_test(tc, memory_and_adapted_sequential_sources_give_the_same_bytes);
    tcase_add_test(tc, mapping_is_zero_copy_where_the_store_can_and_unsupported_elsewhere);
    tcase_add_test(tc, folders_renames_and_removal);
    tcase_add_test(tc, errors_name_the_path_and_why);
    tcase_add_test(tc, absolute_names_resolve_dots_by_name);
    tcase_add_test(tc, the_commit_locks_writes_and_publishes_through_its_store);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
