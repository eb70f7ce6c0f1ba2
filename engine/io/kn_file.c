/* engine/io/kn_file.c: local file sinks (temporary name, rename on close; or in place, in a folder
 * of the run's own) and sources. */
#include "kn_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_buf.h"

void kn_file_sink_options_init(kn_file_sink_options *opt) {
    opt->fsync = false;
    opt->overwrite = true;
    opt->in_place = false;
}

/* Writes under this many bytes wait in the sink's buffer until more come or the file closes: a
 * small folder's file then takes one write call, not one each for its magic, row group and
 * footer. The buffer grows only as far as what waits. */
#define PENDING_MAX (64 * 1024)

typedef struct {
    kn_sink base;
    int fd;
    char *path;     /* the final name */
    char *tmp_path; /* where the bytes go until close (in place: the final name too) */
    kn_buf pending; /* bytes written by the caller, not yet to the file */
    kn_file_sink_options opt;
} file_sink;

static void file_sink_destroy(file_sink *f) {
    kn_free(f->path);
    kn_free(f->tmp_path);
    kn_buf_free(&f->pending);
    kn_free(f);
}

/* writev takes at most this many pieces a call (POSIX guarantees 16; Linux takes 1024). */
#define IOV_PIECES 64

/* Writes the pieces to the file, in as few writev calls as they allow. */
static kn_status write_pieces(file_sink *f, const kn_iovec *v, size_t n, kn_error *err) {
    struct iovec io[IOV_PIECES];
    size_t i = 0, skip = 0; /* the next piece, and how much of it is written */
    while (i < n) {
        int k = 0;
        for (size_t j = i; j < n && k < IOV_PIECES; j++) {
            size_t off = j == i ? skip : 0;
            if (v[j].len == off) continue;
            io[k].iov_base = (void *)((const uint8_t *)v[j].data + off);
            io[k].iov_len = v[j].len - off;
            k++;
        }
        if (k == 0) break;
        ssize_t w = writev(f->fd, io, k);
        if (w < 0) {
            if (errno == EINTR) continue;
            kn_error_locate(err, f->path, -1, -1, -1);
            return kn_error_set(err, KN_E_IO, "cannot write: %s", strerror(errno));
        }
        /* Past the pieces written whole, into the one written in part. */
        size_t left = (size_t)w;
        while (i < n && left >= v[i].len - skip) {
            left -= v[i].len - skip;
            skip = 0;
            i++;
        }
        skip += left;
    }
    return KN_OK;
}

static kn_status file_writev(kn_sink *s, const kn_iovec *v, size_t n, kn_error *err) {
    file_sink *f = (file_sink *)s;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += v[i].len;
    if (f->pending.len + total < PENDING_MAX) {
        if (!kn_buf_reserve(&f->pending, total)) return kn_error_set(err, KN_E_NOMEM, "out of memory writing a file");
        for (size_t i = 0; i < n; i++)
            if (v[i].len) kn_buf_append(&f->pending, v[i].data, v[i].len);
        return KN_OK;
    }
    if (!f->pending.len) return write_pieces(f, v, n, err);
    /* What waits goes first, in the same calls. */
    kn_iovec few[IOV_PIECES], *all = n < IOV_PIECES ? few : kn_malloc((n + 1) * sizeof *all);
    if (!all) return kn_error_set(err, KN_E_NOMEM, "out of memory writing a file");
    all[0] = (kn_iovec){f->pending.data, f->pending.len};
    memcpy(all + 1, v, n * sizeof *v);
    kn_status st = write_pieces(f, all, n + 1, err);
    if (all != few) kn_free(all);
    kn_buf_clear(&f->pending);
    return st;
}

static kn_status file_write(kn_sink *s, const void *data, size_t len, kn_error *err) {
    kn_iovec one = {data, len};
    return file_writev(s, &one, 1, err);
}

static void file_abort(kn_sink *s) {
    file_sink *f = (file_sink *)s;
    if (f->fd >= 0) close(f->fd);
    unlink(f->tmp_path);
    file_sink_destroy(f);
}

static kn_status fsync_dir_of(const char *path) {
    char *copy = kn_strdup(path);
    if (!copy) return KN_E_NOMEM;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    kn_free(copy);
    if (dfd < 0) return KN_E_IO;
    int rc = fsync(dfd);
    close(dfd);
    return rc == 0 ? KN_OK : KN_E_IO;
}

static kn_status file_close(kn_sink *s, kn_error *err) {
    file_sink *f = (file_sink *)s;
    kn_iovec rest = {f->pending.data, f->pending.len};
    kn_status st = rest.len ? write_pieces(f, &rest, 1, err) : KN_OK;
    if (st == KN_OK && f->opt.fsync && fsync(f->fd) != 0) {
        st = kn_error_set(err, KN_E_IO, "cannot sync: %s", strerror(errno));
    }
    if (close(f->fd) != 0 && st == KN_OK) st = kn_error_set(err, KN_E_IO, "cannot close: %s", strerror(errno));
    f->fd = -1;
    if (st == KN_OK && !f->opt.in_place && !f->opt.overwrite && access(f->path, F_OK) == 0)
        st = kn_error_set(err, KN_E_IO, "already exists");
    if (st == KN_OK && !f->opt.in_place && rename(f->tmp_path, f->path) != 0)
        st = kn_error_set(err, KN_E_IO, "cannot rename the finished file into place: %s", strerror(errno));
    if (st == KN_OK && f->opt.fsync && fsync_dir_of(f->path) != KN_OK)
        st = kn_error_set(err, KN_E_IO, "cannot sync the folder: %s", strerror(errno));
    if (st != KN_OK) {
        kn_error_locate(err, f->path, -1, -1, -1);
        unlink(f->tmp_path);
    }
    file_sink_destroy(f);
    return st;
}

static const kn_sink_vtable file_sink_vt = {file_write, file_close, file_abort, file_writev};

kn_status kn_file_sink_create(const char *path, const kn_file_sink_options *opt, kn_sink **out,
                              kn_error *err) {
    static _Atomic unsigned counter;
    *out = NULL;
    file_sink *f = kn_calloc(1, sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", path);
    if (opt)
        f->opt = *opt;
    else
        kn_file_sink_options_init(&f->opt);
    f->fd = -1;
    f->path = kn_strdup(path);
    size_t cap = strlen(path) + 64;
    f->tmp_path = kn_malloc(cap);
    if (!f->path || !f->tmp_path) {
        file_sink_destroy(f);
        return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", path);
    }
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    if (f->opt.in_place)
        memcpy(f->tmp_path, path, strlen(path) + 1); /* open fails on a folder (EISDIR) */
    else
        snprintf(f->tmp_path, cap, "%.*s.%s.kiln-tmp-%ld-%u", (int)dir_len, path, path + dir_len,
                 (long)getpid(), atomic_fetch_add(&counter, 1u));
    struct stat st;
    if (!f->opt.in_place && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        file_sink_destroy(f);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, KN_E_IO, "is a folder, not a file");
    }
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int e = errno;
        file_sink_destroy(f);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, KN_E_IO, "cannot create: %s", strerror(e));
    }
    f->base.vt = &file_sink_vt;
    f->base.name = f->path;
    *out = &f->base;
    return KN_OK;
}

/* Opens `path` to read a regular file in place. O_NONBLOCK because opening a named pipe
 * otherwise waits for a writer, forever when there is none, before fstat can say it is not a
 * file; reads of a regular file ignore the flag. */
static int open_regular(const char *path) { return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); }

typedef struct {
    kn_source base;
    int fd;
    char *path;
} file_source;

static kn_status file_read_at(kn_source *s, uint64_t offset, void *dst, size_t len, kn_error *err) {
    file_source *f = (file_source *)s;
    if (offset > s->size || len > s->size - offset) {
        kn_error_locate(err, f->path, -1, -1, (int64_t)offset);
        return kn_error_set(err, KN_E_FORMAT, "needs %zu bytes at offset %llu but the file has %llu",
                            len, (unsigned long long)offset, (unsigned long long)s->size);
    }
    uint8_t *p = dst;
    while (len) {
        ssize_t r = pread(f->fd, p, len, (off_t)offset);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            kn_error_locate(err, f->path, -1, -1, (int64_t)offset);
            return kn_error_set(err, KN_E_IO, "cannot read: %s", r < 0 ? strerror(errno) : "file shrank while reading");
        }
        p += r;
        offset += (uint64_t)r;
        len -= (size_t)r;
    }
    return KN_OK;
}

static void file_source_free(kn_source *s) {
    file_source *f = (file_source *)s;
    close(f->fd);
    kn_free(f->path);
    kn_free(f);
}

static const kn_source_vtable file_source_vt = {file_read_at, file_source_free};

kn_status kn_file_source_open(const char *path, kn_source **out, kn_error *err) {
    *out = NULL;
    int fd = open_regular(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : EISDIR;
        if (fd >= 0) close(fd);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, e == ENOENT ? KN_E_USAGE : KN_E_IO, "cannot open: %s",
                            e == EISDIR ? "not a regular file" : strerror(e));
    }
    file_source *f = kn_calloc(1, sizeof *f);
    char *copy = kn_strdup(path);
    if (!f || !copy) {
        close(fd);
        kn_free(f);
        kn_free(copy);
        return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", path);
    }
    f->base.vt = &file_source_vt;
    f->base.size = (uint64_t)st.st_size;
    f->base.name = copy;
    f->fd = fd;
    f->path = copy;
    *out = &f->base;
    return KN_OK;
}

kn_status kn_file_read_all(const char *path, uint8_t **data, size_t *len, kn_error *err) {
    *data = NULL;
    *len = 0;
    kn_source *src;
    KN_TRY(kn_file_source_open(path, &src, err));
    size_t n = (size_t)src->size;
    uint8_t *buf = kn_malloc(n ? n : 1);
    if (!buf) {
        kn_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    kn_status st = kn_source_read_at(src, 0, buf, n, err);
    kn_source_free(src);
    if (st != KN_OK) {
        kn_free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return KN_OK;
}

kn_status kn_file_map_open(const char *path, kn_file_map *out, kn_error *err) {
    out->data = NULL;
    out->len = 0;
    int fd = open_regular(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, e == ENOENT ? KN_E_USAGE : KN_E_IO, "cannot open: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, KN_E_USAGE, "not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return KN_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, KN_E_IO, "cannot map: %s", strerror(e));
    }
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    out->data = p;
    out->len = (size_t)st.st_size;
    return KN_OK;
}

void kn_file_map_release(const kn_file_map *m, size_t offset, size_t len) {
    if (!m->data || offset >= m->len) return;
    if (len > m->len - offset) len = m->len - offset;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)m->data + offset + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t end = ((uintptr_t)m->data + offset + len) & ~((uintptr_t)page - 1);
    if (end > start) madvise((void *)start, end - start, MADV_DONTNEED);
}

void kn_file_map_close(kn_file_map *m) {
    if (m->data) munmap((void *)m->data, m->len);
    m->data = NULL;
    m->len = 0;
}

kn_status kn_make_dirs(const char *path, size_t from, kn_error *err) {
    char *p = kn_strdup(path);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
    kn_status st = KN_OK;
    /* Each '/' past the start ends one folder of the way; the whole path is the last one. */
    for (size_t i = from > 0 ? from : 1; i <= len && st == KN_OK; i++) {
        if (i < len && p[i] != '/') continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            kn_error_locate(err, p, -1, -1, -1);
            st = kn_error_set(err, KN_E_IO, "cannot create the folder: %s", strerror(errno));
        }
        p[i] = saved;
    }
    kn_free(p);
    return st;
}
