/* engine/exec/kn_commit.c: the output folder's lock, cleanup, modes and publishing
 * (kn_commit.h). */
#include "kn_commit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_file.h"
#include "kn_rs_artifacts.h"

#define LOCK_NAME "_kiln.lock"
#define REJECTS_NAME "_rejects"

struct kn_commit {
    char *out_dir;
    char *tmp_dir;
    int lock_fd;
    kn_write_mode mode;
    uint64_t first_number;
};

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kn_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void kn__remove_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *ent;
        while (d && (ent = readdir(d))) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
            char *child = join(path, ent->d_name);
            if (child) kn__remove_tree(child);
            kn_free(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- what counts as kiln output ------------------------------------------------------------ */

/* part-<digits>.parquet gives its number; other part-*.parquet names are kiln's too. */
static bool is_part_file(const char *name, uint64_t *number, bool *numbered) {
    size_t n = strlen(name);
    if (strncmp(name, "part-", 5) != 0 || n <= 13 || strcmp(name + n - 8, ".parquet") != 0) return false;
    uint64_t v = 0;
    *numbered = true;
    for (size_t i = 5; i < n - 8; i++) {
        if (name[i] < '0' || name[i] > '9' || v > UINT64_MAX / 10 - 10) {
            *numbered = false;
            break;
        }
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *number = v;
    return true;
}

static bool is_artifact(const char *name) {
    return !strcmp(name, KN_RS_MANIFEST_FILE) || !strcmp(name, KN_RS_TABLE_FILE) ||
           !strcmp(name, KN_RS_COPY_FILE) || !strcmp(name, KN_RS_SPECTRUM_FILE) ||
           !strcmp(name, KN_RS_UPSERT_FILE);
}

static bool is_partition_dir_name(const char *name) {
    return name[0] != '_' && name[0] != '.' && strchr(name, '=') != NULL;
}

static bool is_sink_leftover(const char *name) {
    return name[0] == '.' && strstr(name, ".kiln-tmp-") != NULL;
}

static bool is_dir(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

typedef struct scan {
    bool found;
    char first[256];   /* the first kiln output seen, for the message */
    bool any_number;
    uint64_t max_number;
    bool remove;       /* delete part files (and empty partition folders) while scanning */
} scan;

static void scan_note(scan *sc, const char *rel) {
    if (!sc->found) snprintf(sc->first, sizeof sc->first, "%s", rel);
    sc->found = true;
}

/* Walks a partition folder (`rel` its relative name, for messages): part files count; with
 * `remove` they go, with sink leftovers, and the folder too once empty. */
static void scan_partition_dir(scan *sc, const char *path, const char *rel) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        char *child = join(path, name), *child_rel = join(rel, name);
        if (!child || !child_rel) {
            kn_free(child);
            kn_free(child_rel);
            continue;
        }
        uint64_t num;
        bool numbered;
        if (is_partition_dir_name(name) && is_dir(child)) {
            scan_partition_dir(sc, child, child_rel);
        } else if (is_part_file(name, &num, &numbered) && !is_dir(child)) {
            scan_note(sc, child_rel);
            if (numbered && (!sc->any_number || num > sc->max_number)) sc->max_number = num;
            sc->any_number |= numbered;
            if (sc->remove) unlink(child);
        } else if (sc->remove && is_sink_leftover(name)) {
            unlink(child);
        }
        kn_free(child);
        kn_free(child_rel);
    }
    closedir(d);
    if (sc->remove) rmdir(path); /* fails, as it should, while anything else is inside */
}

/* Walks OUTDIR. With `remove`: overwrite's clearing of the data files and partition folders. */
static void scan_root(scan *sc, const char *out_dir) {
    DIR *d = opendir(out_dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        char *child = join(out_dir, name);
        if (!child) continue;
        uint64_t num;
        bool numbered;
        if (is_partition_dir_name(name) && is_dir(child)) {
            scan_partition_dir(sc, child, name);
        } else if (is_part_file(name, &num, &numbered) && !is_dir(child)) {
            scan_note(sc, name);
            if (numbered && (!sc->any_number || num > sc->max_number)) sc->max_number = num;
            sc->any_number |= numbered;
            if (sc->remove) unlink(child);
        } else if (is_artifact(name) || !strcmp(name, REJECTS_NAME)) {
            scan_note(sc, name);
        }
        kn_free(child);
    }
    closedir(d);
}

/* Removes _tmp-* folders and sink leftovers at the root: only killed runs leave them, and no
 * other run can be using them while this run holds the lock. */
static void remove_stale(const char *out_dir) {
    DIR *d = opendir(out_dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        bool tmp = strncmp(name, "_tmp-", 5) == 0;
        if (!tmp && !is_sink_leftover(name)) continue;
        char *child = join(out_dir, name);
        if (child) kn__remove_tree(child);
        kn_free(child);
    }
    closedir(d);
}

/* ---- the API ------------------------------------------------------------------------------- */

kn_status kn_commit_begin(const char *out_dir, kn_write_mode mode, kn_commit **out, kn_error *err) {
    *out = NULL;
    KN_TRY(kn_make_dirs(out_dir, 0, err));
    kn_commit *c = kn_calloc(1, sizeof *c);
    if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    c->lock_fd = -1;
    c->mode = mode;
    c->out_dir = kn_strdup(out_dir);
    char *lock = c->out_dir ? join(out_dir, LOCK_NAME) : NULL;
    kn_status st = lock ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) {
        c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (c->lock_fd < 0) {
            kn_error_locate(err, lock, -1, -1, -1);
            st = kn_error_set(err, KN_E_IO, "cannot open the output folder's lock file: %s", strerror(errno));
        } else if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            kn_error_locate(err, out_dir, -1, -1, -1);
            st = errno == EWOULDBLOCK
                     ? kn_error_set(err, KN_E_IO, "another kiln run is writing to this output folder (it holds %s); "
                                    "wait for it or pick another folder", LOCK_NAME)
                     : kn_error_set(err, KN_E_IO, "cannot lock the output folder: %s", strerror(errno));
        }
    }
    kn_free(lock);
    if (st == KN_OK) {
        remove_stale(out_dir);
        scan sc;
        memset(&sc, 0, sizeof sc);
        scan_root(&sc, out_dir);
        if (mode == KN_MODE_ERROR_IF_EXISTS && sc.found) {
            kn_error_locate(err, out_dir, -1, -1, -1);
            st = kn_error_set(err, KN_E_USAGE, "the output folder already holds kiln output (%s); "
                              "use --mode overwrite to replace it or --mode append to add to it", sc.first);
        }
        if (mode == KN_MODE_APPEND && sc.any_number) c->first_number = sc.max_number + 1;
    }
    if (st == KN_OK) {
        char name[96];
        snprintf(name, sizeof name, "_tmp-%ld-%lld", (long)getpid(), (long long)time(NULL));
        c->tmp_dir = join(out_dir, name);
        if (!c->tmp_dir) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        else if (mkdir(c->tmp_dir, 0755) != 0) {
            kn_error_locate(err, c->tmp_dir, -1, -1, -1);
            st = kn_error_set(err, KN_E_IO, "cannot create the run's temporary folder: %s", strerror(errno));
            kn_free(c->tmp_dir);
            c->tmp_dir = NULL;
        }
    }
    if (st != KN_OK) {
        kn_commit_end(c);
        return st;
    }
    *out = c;
    return KN_OK;
}

const char *kn_commit_tmp_dir(const kn_commit *c) { return c->tmp_dir; }
uint64_t kn_commit_first_number(const kn_commit *c) { return c->first_number; }

static kn_status remove_root_file(kn_commit *c, const char *name, kn_error *err) {
    char *p = join(c->out_dir, name);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_status st = KN_OK;
    if (is_dir(p) && strcmp(name, REJECTS_NAME) == 0) {
        kn__remove_tree(p);
    } else if (unlink(p) != 0 && errno != ENOENT) {
        kn_error_locate(err, p, -1, -1, -1);
        st = kn_error_set(err, KN_E_IO, "cannot remove the earlier output: %s", strerror(errno));
    }
    kn_free(p);
    return st;
}

/* Creates the folders of `rel` (up to its last '/') under `root`, which exists. */
static kn_status make_parents(const char *root, const char *rel, kn_error *err) {
    const char *last = strrchr(rel, '/');
    if (!last) return KN_OK;
    char *p = join(root, rel);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    p[strlen(root) + 1 + (size_t)(last - rel)] = '\0';
    kn_status st = kn_make_dirs(p, strlen(root) + 1, err);
    kn_free(p);
    return st;
}

kn_status kn_commit_publish(kn_commit *c, const char *const *names, size_t count, kn_error *err) {
    KN_TRY(remove_root_file(c, KN_RS_MANIFEST_FILE, err));
    if (c->mode == KN_MODE_OVERWRITE) {
        scan sc;
        memset(&sc, 0, sizeof sc);
        sc.remove = true;
        scan_root(&sc, c->out_dir);
    }
    static const char *const replaced[] = {KN_RS_TABLE_FILE, KN_RS_COPY_FILE, KN_RS_SPECTRUM_FILE,
                                           KN_RS_UPSERT_FILE, REJECTS_NAME};
    for (size_t i = 0; i < sizeof replaced / sizeof *replaced; i++) KN_TRY(remove_root_file(c, replaced[i], err));
    for (size_t i = 0; i < count; i++) {
        KN_TRY(make_parents(c->out_dir, names[i], err));
        char *src = join(c->tmp_dir, names[i]), *dst = join(c->out_dir, names[i]);
        kn_status st = src && dst ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
        if (st == KN_OK && rename(src, dst) != 0) {
            kn_error_locate(err, dst, -1, -1, -1);
            st = kn_error_set(err, KN_E_IO, "cannot move the finished file into place: %s", strerror(errno));
        }
        kn_free(src);
        kn_free(dst);
        KN_TRY(st);
    }
    char *rej = join(c->tmp_dir, REJECTS_NAME), *rej_dst = join(c->out_dir, REJECTS_NAME);
    kn_status st = rej && rej_dst ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK && is_dir(rej) && rename(rej, rej_dst) != 0) {
        kn_error_locate(err, rej_dst, -1, -1, -1);
        st = kn_error_set(err, KN_E_IO, "cannot move the rejects into place: %s", strerror(errno));
    }
    kn_free(rej);
    kn_free(rej_dst);
    return st;
}

kn_status kn_commit_write_file(kn_commit *c, const char *name, const void *data, size_t len,
                               kn_error *err) {
    char *p = join(c->out_dir, name);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_sink *sink;
    kn_status st = kn_file_sink_create(p, NULL, &sink, err);
    kn_free(p);
    KN_TRY(st);
    st = kn_sink_write(sink, data, len, err);
    if (st != KN_OK) {
        kn_sink_abort(sink);
        return st;
    }
    return kn_sink_close(sink, err);
}

void kn_commit_end(kn_commit *c) {
    if (!c) return;
    if (c->tmp_dir) kn__remove_tree(c->tmp_dir);
    if (c->lock_fd >= 0) close(c->lock_fd); /* closing the last descriptor releases the flock */
    kn_free(c->tmp_dir);
    kn_free(c->out_dir);
    kn_free(c);
}
