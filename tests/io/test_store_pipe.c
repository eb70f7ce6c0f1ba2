/* tests/io/test_store_pipe.c: the local store's sequential sources over what can only be read
 * once: a named pipe (FIFO) written by another thread, and standard input as a pipe, a socket
 * and a redirected file read through "/dev/stdin". */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_store_local.h"

#define DATA_LEN (3u << 20) /* past any pipe's buffer, so writer and reader take turns */

static uint8_t *make_data(void) {
    uint8_t *d = kn_malloc(DATA_LEN);
    uint32_t r = 7;
    for (size_t i = 0; i < DATA_LEN; i++) {
        r = r * 1103515245u + 12345u;
        d[i] = (uint8_t)(r >> 16);
    }
    return d;
}

/* Reads `src` to its end in reads of uneven sizes; true when it gave exactly `want`. */
static bool reads_exactly(kn_seq_source *src, const uint8_t *want, size_t len) {
    static uint8_t buf[70000];
    size_t at = 0, cap = 1;
    for (;;) {
        size_t got;
        if (kn_seq_source_read(src, buf, cap, &got, NULL) != KN_OK) return false;
        if (got == 0) break;
        if (at + got > len || memcmp(buf, want + at, got) != 0) return false;
        at += got;
        cap = cap * 3 % sizeof buf + 1;
    }
    return at == len && src->offset == len;
}

typedef struct writer {
    const char *path;
    int fd; /* or -1: open path */
    const uint8_t *data;
    size_t len;
} writer;

static void *write_all(void *arg) {
    writer *w = arg;
    int fd = w->fd >= 0 ? w->fd : open(w->path, O_WRONLY);
    if (fd < 0) return (void *)1;
    for (size_t at = 0; at < w->len;) {
        size_t n = w->len - at < 10007 ? w->len - at : 10007;
        ssize_t k = write(fd, w->data + at, n);
        if (k <= 0) return (void *)1;
        at += (size_t)k;
    }
    close(fd);
    return NULL;
}

START_TEST(a_named_pipe_reads_as_a_sequential_source)
{
    /* The open waits for the writer; the source has no size; the bytes come through whole. */
    uint8_t *data = make_data();
    char dir[] = "/tmp/kn-pipe-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/orders.ndjson", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    kn_store *store = kn_store_local();
    kn_store_info info;
    ck_assert_int_eq(kn_store_stat(store, path, &info, NULL), KN_OK);
    ck_assert_int_eq(info.kind, KN_ENTRY_OTHER); /* no size, not a file to map */
    kn_store_mapping m;
    ck_assert_int_ne(kn_store_map(store, path, &m, NULL), KN_OK);

    writer w = {path, -1, data, DATA_LEN};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, write_all, &w), 0);
    kn_seq_source *src;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_seq(store, path, &src, &e), KN_OK);
    ck_assert_int_eq(src->size, -1);
    ck_assert_str_eq(src->name, path);
    ck_assert(reads_exactly(src, data, DATA_LEN));
    kn_seq_source_free(src);
    void *rc;
    pthread_join(t, &rc);
    ck_assert_ptr_null(rc);
    unlink(path);
    rmdir(dir);
    kn_free(data);
}
END_TEST

/* In a child whose standard input is `fd`: reads "/dev/stdin" and exits 0 when it gave exactly
 * `want` (`size` is what the source should say it holds). The child closes `other` (the
 * writing end, or it would never see the end). */
static pid_t child_reads_stdin(int fd, int other, const uint8_t *want, size_t len, int64_t size) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (other >= 0) close(other);
        if (dup2(fd, STDIN_FILENO) < 0) _exit(2);
        close(fd);
        kn_seq_source *src;
        if (kn_store_open_seq(kn_store_local(), "/dev/stdin", &src, NULL) != KN_OK) _exit(3);
        if (src->size != size) _exit(4);
        bool ok = reads_exactly(src, want, len);
        kn_seq_source_free(src);
        _exit(ok ? 0 : 5);
    }
    close(fd);
    return pid;
}

static int exit_code(pid_t pid) {
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

START_TEST(standard_input_reads_through_dev_stdin_whatever_it_is)
{
    uint8_t *data = make_data();
    /* A pipe: `zcat x.gz | kiln convert /dev/stdin`. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = child_reads_stdin(p[0], p[1], data, DATA_LEN, -1);
    writer w = {NULL, p[1], data, DATA_LEN};
    ck_assert_ptr_null(write_all(&w));
    ck_assert_int_eq(exit_code(pid), 0);

    /* A socket, which opening /dev/stdin anew cannot do (ENXIO). */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = child_reads_stdin(sv[0], sv[1], data, DATA_LEN, -1);
    w.fd = sv[1];
    ck_assert_ptr_null(write_all(&w));
    ck_assert_int_eq(exit_code(pid), 0);

    /* A redirected file, read from where it stands: its size is what is left. */
    char path[] = "/tmp/kn-stdin-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    w.fd = dup(fd);
    ck_assert_ptr_null(write_all(&w));
    ck_assert_int_eq(lseek(fd, 1000, SEEK_SET), 1000);
    pid = child_reads_stdin(fd, -1, data + 1000, DATA_LEN - 1000, DATA_LEN - 1000);
    ck_assert_int_eq(exit_code(pid), 0);
    unlink(path);
    kn_free(data);
}
END_TEST

int main(void) {
    Suite *s = suite_create("store_pipe");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, a_named_pipe_reads_as_a_sequential_source);
    tcase_add_test(tc, standard_input_reads_through_dev_stdin_whatever_it_is);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
