/* engine/io/kn_store_local.c: the local file system store and the local sequential source
 * (kn_store_local.h). */
#include "kn_store_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_file.h"

/* Deeper than any real layout; a symbolic link loop stops here instead of running forever. */
#define MAX_DEPTH 64

static kn_status io_error(kn_error *err, const char *path, int e, const char *what) {
    kn_error_locate(err, path, -1, -1, -1);
    return kn_error_set(err, KN_E_IO, "%s: %s", what, strerror(e));
}

/* ---- sequential source over a file ---------------------------------------------------------- */

typedef struct {
    kn_seq_source base;
    int fd;
    char *path;
} file_seq;

static kn_status file_seq_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    file_seq *f = (file_seq *)s;
    for (;;) {
        ssize_t r = read(f->fd, buf, cap);
        if (r >= 0) {
            *got = (size_t)r;
            return KN_OK;
        }
        if (errno == EINTR) continue;
        int e = errno;
        kn_error_locate(err, f->path, -1, -1, (int64_t)s->offset);
        return kn_error_set(err, KN_E_IO, "cannot read: %s", strerror(e));
    }
}

static void file_seq_free(kn_seq_source *s) {
    file_seq *f = (file_seq *)s;
    close(f->fd);
    kn_free(f->path);
    kn_free(f);
}

static const kn_seq_source_vtable file_seq_vt = {file_seq_read, file_seq_free};

/* A pipe holds 64 KiB by default, so its writer (zcat, a network client) and the reader take
 * turns every 64 KiB; 1 MiB (the most an unprivileged process may ask by default) lets each
 * run longer. A refusal changes nothing but speed. */
#define PIPE_BYTES (1 << 20)

/* Standard input: its own descriptor, duplicated. Opening /dev/stdin anew fails when it is a
 * socket (ENXIO) and would start a redirected file over from its beginning. */
static int open_stdin(void) { return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0); }

kn_status kn_file_seq_open(const char *path, kn_seq_source **out, kn_error *err) {
    *out = NULL;
    bool is_stdin = strcmp(path, "/dev/stdin") == 0;
    int fd = is_stdin ? open_stdin() : open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, e == ENOENT ? KN_E_USAGE : KN_E_IO, "cannot open: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        kn_error_locate(err, path, -1, -1, -1);
        return kn_error_set(err, KN_E_IO, "cannot read: is a folder, not a file");
    }
    file_seq *f = kn_calloc(1, sizeof *f);
    char *copy = kn_strdup(path);
    if (!f || !copy) {
        close(fd);
        kn_free(f);
        kn_free(copy);
        return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", path);
    }
    /* The kernel's read-ahead then doubles its window: the whole point of a sequential read. */
    if (S_ISREG(st.st_mode)) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (S_ISFIFO(st.st_mode)) (void)fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES);
    int64_t size = -1;
    if (S_ISREG(st.st_mode)) {
        /* Standard input may have been read some way already: what is left is the size. */
        off_t at = is_stdin ? lseek(fd, 0, SEEK_CUR) : 0;
        size = at >= 0 && at <= st.st_size ? (int64_t)(st.st_size - at) : -1;
    }
    f->base.vt = &file_seq_vt;
    f->base.size = size;
    f->base.name = copy;
    f->fd = fd;
    f->path = copy;
    *out = &f->base;
    return KN_OK;
}

/* ---- listing -------------------------------------------------------------------------------- */

static bool hidden(const char *name) { return name[0] == '_' || name[0] == '.'; }

/* Lists `dir` (the full path) into `l`, names prefixed with `rel` ("" at the top). */
static kn_status list_into(const char *dir, const char *rel, unsigned flags, int depth, kn_store_listing *l,
                           kn_error *err) {
    if (depth > MAX_DEPTH) {
        kn_error_locate(err, dir, -1, -1, -1);
        return kn_error_set(err, KN_E_USAGE, "folders nest more than %d deep (a link loop?)", MAX_DEPTH);
    }
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        if (e == ENOENT) return KN_OK; /* not there (or removed since its parent was read) */
        kn_error_locate(err, dir, -1, -1, -1);
        if (e == ENOTDIR) return kn_error_set(err, KN_E_USAGE, "is a file, not a folder");
        return kn_error_set(err, KN_E_IO, "cannot list the folder: %s", strerror(e));
    }
    kn_status st = KN_OK;
    struct dirent *ent;
    size_t rl = strlen(rel);
    while (st == KN_OK && (errno = 0, ent = readdir(d))) {
        const char *name = ent->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        if ((flags & KN_LIST_SKIP_HIDDEN) && hidden(name)) continue;
        char *path = kn_store_join(dir, name);
        size_t nl = strlen(name);
        char *sub = kn_malloc(rl + nl + 2);
        if (!path || !sub) {
            kn_free(path);
            kn_free(sub);
            st = kn_error_set(err, KN_E_NOMEM, "out of memory listing '%s'", dir);
            break;
        }
        snprintf(sub, rl + nl + 2, "%s%s%s", rel, rl ? "/" : "", name);
        struct stat sb;
        kn_entry_kind kind = KN_ENTRY_OTHER;
        uint64_t size = 0;
        if (stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) kind = KN_ENTRY_DIR;
            else if (S_ISREG(sb.st_mode)) {
                kind = KN_ENTRY_FILE;
                size = (uint64_t)sb.st_size;
            }
        } else if (lstat(path, &sb) != 0) {
            kind = KN_ENTRY_NONE; /* gone since readdir: not listed */
        }
        if (kind == KN_ENTRY_DIR && (flags & KN_LIST_RECURSIVE))
            st = list_into(path, sub, flags, depth + 1, l, err);
        else if (kind != KN_ENTRY_NONE)
            st = kn_store_listing_add(l, sub, strlen(sub), size, kind, err);
        kn_free(path);
        kn_free(sub);
    }
    if (st == KN_OK && errno != 0) st = io_error(err, dir, errno, "cannot list the folder");
    closedir(d);
    return st;
}

static kn_status local_list(kn_store *s, const char *dir, unsigned flags, kn_store_listing *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    kn_status st = list_into(dir, "", flags, 0, out, err);
    if (st != KN_OK) {
        kn_store_listing_free(out);
        return st;
    }
    kn_store_listing_sort(out);
    return KN_OK;
}

static kn_status local_stat(kn_store *s, const char *path, kn_store_info *out, kn_error *err) {
    out->kind = KN_ENTRY_NONE;
    out->size = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return KN_OK;
        return io_error(err, path, errno, "cannot look at");
    }
    if (S_ISREG(sb.st_mode)) {
        out->kind = KN_ENTRY_FILE;
        out->size = (uint64_t)sb.st_size;
    } else {
        out->kind = S_ISDIR(sb.st_mode) ? KN_ENTRY_DIR : KN_ENTRY_OTHER;
    }
    return KN_OK;
}

/* ---- sources, mappings, sinks: kn_file.h ------------------------------------------------------ */

static kn_status local_open_source(kn_store *s, const char *path, kn_source **out, kn_error *err) {
    return kn_file_source_open(path, out, err);
}

static kn_status local_open_seq(kn_store *s, const char *path, kn_seq_source **out, kn_error *err) {
    return kn_file_seq_open(path, out, err);
}

static kn_status local_map(kn_store *s, const char *path, kn_store_mapping *out, kn_error *err) {
    return kn_file_map_open(path, out, err);
}

static void local_map_release(kn_store *s, const kn_store_mapping *m, size_t offset, size_t len) {
    kn_file_map_release(m, offset, len);
}

static void local_unmap(kn_store *s, kn_store_mapping *m) { kn_file_map_close(m); }

static kn_status local_open_sink(kn_store *s, const char *path, unsigned flags, kn_sink **out, kn_error *err) {
    kn_file_sink_options o;
    kn_file_sink_options_init(&o);
    o.fsync = (flags & KN_SINK_DURABLE) != 0;
    o.overwrite = (flags & KN_SINK_KEEP_EXISTING) == 0;
    o.in_place = (flags & KN_SINK_PRIVATE) != 0;
    return kn_file_sink_create(path, &o, out, err);
}

/* ---- folders, renames, removal ----------------------------------------------------------------- */

static bool is_dir_at(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* One mkdir: 0 when `path` is a folder now (made, or made before), else mkdir's errno (EEXIST:
 * a file has the name). */
static int mkdir_one(const char *path) {
    if (mkdir(path, 0755) == 0) return 0;
    int e = errno;
    return e == EEXIST && is_dir_at(path) ? 0 : e;
}

static kn_status mkdir_failed(kn_error *err, const char *path, int e) {
    if (e != EEXIST) return io_error(err, path, e, "cannot create the folder");
    kn_error_locate(err, path, -1, -1, -1);
    return kn_error_set(err, KN_E_IO, "cannot create the folder: a file has this name");
}

/* mkdir of p (len bytes, no trailing '/'), making a missing parent first the same way: a walk
 * goes up only to the first folder that exists, not down from '/'. */
static kn_status make_dirs_at(char *p, size_t len, kn_error *err) {
    int e = mkdir_one(p);
    if (!e) return KN_OK;
    /* ENOENT: the parent is missing; ENOTDIR: a file is on the way (going up names it). */
    size_t plen = len;
    while (plen > 0 && p[plen - 1] != '/') plen--;
    while (plen > 1 && p[plen - 1] == '/') plen--; /* the parent, without its '/' (but "/") */
    if ((e != ENOENT && e != ENOTDIR) || plen == 0) return mkdir_failed(err, p, e);
    char saved = p[plen];
    p[plen] = '\0';
    kn_status st = make_dirs_at(p, plen, err);
    p[plen] = saved;
    if (st != KN_OK) return st;
    e = mkdir_one(p); /* EEXIST and a folder: made meanwhile, by another thread */
    return e ? mkdir_failed(err, p, e) : KN_OK;
}

static kn_status local_make_dirs(kn_store *s, const char *path, kn_error *err) {
    /* Most calls make one folder in one that exists (a partition folder, the run's temporary
     * folder), or find it made: one mkdir then. */
    int e = mkdir_one(path);
    if (!e) return KN_OK;
    if (e != ENOENT && e != ENOTDIR) return mkdir_failed(err, path, e);
    char *p = kn_strdup(path);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
    kn_status st = make_dirs_at(p, len, err);
    kn_free(p);
    return st;
}

static kn_status local_rename(kn_store *s, const char *from, const char *to, kn_error *err) {
    if (rename(from, to) == 0) return KN_OK;
    int e = errno;
    kn_error_locate(err, to, -1, -1, -1);
    return kn_error_set(err, KN_E_IO, "cannot rename '%s' to this name: %s", from, strerror(e));
}

static kn_status local_remove(kn_store *s, const char *path, kn_error *err) {
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return KN_OK;
        return io_error(err, path, errno, "cannot remove");
    }
    bool dir = S_ISDIR(sb.st_mode);
    if ((dir ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT) return KN_OK;
    return io_error(err, path, errno, dir ? "cannot remove the folder" : "cannot remove");
}

static kn_status remove_tree_at(const char *path, kn_error *err) {
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return KN_OK;
        return io_error(err, path, errno, "cannot remove");
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) == 0 || errno == ENOENT) return KN_OK;
        return io_error(err, path, errno, "cannot remove");
    }
    kn_status first = KN_OK;
    DIR *d = opendir(path);
    if (!d) {
        first = io_error(err, path, errno, "cannot list the folder to remove it");
    } else {
        struct dirent *ent;
        while ((ent = readdir(d))) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
            char *child = kn_store_join(path, ent->d_name);
            /* Go on past a failure (remove what can be), and report the first. */
            kn_status st = child ? remove_tree_at(child, first == KN_OK ? err : NULL)
                                 : kn_error_set(first == KN_OK ? err : NULL, KN_E_NOMEM, "out of memory");
            if (first == KN_OK) first = st;
            kn_free(child);
        }
        closedir(d);
    }
    if (rmdir(path) != 0 && errno != ENOENT && first == KN_OK) first = io_error(err, path, errno, "cannot remove the folder");
    return first;
}

static kn_status local_remove_tree(kn_store *s, const char *path, kn_error *err) {
    return remove_tree_at(path, err);
}

/* ---- locks ----------------------------------------------------------------------------------- */

struct kn_lock {
    int fd;
};

static kn_status local_lock(kn_store *s, const char *path, kn_lock **out, kn_error *err) {
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(err, path, errno, "cannot open the lock file");
    /* flock, not fcntl locks: an fcntl lock belongs to the process, so a second handle in the
     * same process would get it too, and closing any descriptor of the file would drop it. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) return KN_OK;
        return io_error(err, path, e, "cannot lock");
    }
    kn_lock *l = kn_malloc(sizeof *l);
    if (!l) {
        close(fd);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    l->fd = fd;
    *out = l;
    return KN_OK;
}

static void local_unlock(kn_store *s, kn_lock *l) {
    if (!l) return;
    close(l->fd); /* closing the last descriptor of the open file releases the flock */
    kn_free(l);
}

/* ---- names ------------------------------------------------------------------------------------ */

static kn_status local_absolute(kn_store *s, const char *path, kn_buf *out, kn_error *err) {
    char cwd[PATH_MAX];
    const char *prefix = "";
    /* Without a current folder (deleted under the process) the path is taken from the root, as
     * before: the manifest still gets a name, if not the right one. */
    if (path[0] != '/') prefix = getcwd(cwd, sizeof cwd) ? cwd : "";
    size_t start = out->len;
    bool ok = true;
    for (int part = 0; part < 2 && ok; part++) {
        for (const char *seg = part ? path : prefix; *seg;) {
            const char *end = strchr(seg, '/');
            size_t len = end ? (size_t)(end - seg) : strlen(seg);
            if (len == 0 || (len == 1 && seg[0] == '.')) {
                /* nothing */
            } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
                while (out->len > start && out->data[out->len - 1] != '/') out->len--;
                if (out->len > start) out->len--; /* the '/' before the dropped segment */
            } else {
                ok = kn_buf_push(out, '/') && kn_buf_append(out, seg, len);
            }
            seg += len + (end ? 1 : 0);
            if (!ok) break;
        }
    }
    if (ok && out->len == start) ok = kn_buf_push(out, '/');
    ok = ok && kn_buf_push(out, '\0');
    if (!ok) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    out->len--;
    return KN_OK;
}

static const kn_store_vtable local_vt = {
    .list = local_list,
    .stat = local_stat,
    .open_source = local_open_source,
    .open_seq = local_open_seq,
    .map = local_map,
    .map_release = local_map_release,
    .unmap = local_unmap,
    .open_sink = local_open_sink,
    .make_dirs = local_make_dirs,
    .rename = local_rename,
    .remove = local_remove,
    .remove_tree = local_remove_tree,
    .lock = local_lock,
    .unlock = local_unlock,
    .absolute = local_absolute,
    .free = NULL,
};

static kn_store local_store = {&local_vt, "local"};

kn_store *kn_store_local(void) { return &local_store; }
