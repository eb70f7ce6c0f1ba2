/* engine/exec/kn_commit.c: the output folder's lock, cleanup, modes and publishing
 * (kn_commit.h). */
#include "kn_commit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kn_alloc.h"
#include "kn_hash_table.h"
#include "kn_rs_artifacts.h"
#include "kn_store_local.h"

#define LOCK_NAME "_kiln.lock"
#define REJECTS_NAME "_rejects"

struct kn_commit {
    kn_store *store; /* borrowed */
    char *out_dir;
    char *tmp_dir;
    kn_lock *lock;
    kn_write_mode mode;
    uint64_t first_number;
};

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kn_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void kn__remove_tree(const char *path) { kn_store_remove_tree(kn_store_local(), path, NULL); }

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
 * `remove` they go, with sink leftovers, and the folder too once empty. Best effort: what cannot
 * be listed or removed is left (the rename onto a part file's name replaces it anyway). */
static void scan_partition_dir(kn_store *store, scan *sc, const char *path, const char *rel) {
    kn_store_listing l;
    if (kn_store_list(store, path, 0, &l, NULL) != KN_OK) return;
    for (size_t i = 0; i < l.count; i++) {
        const kn_store_entry *e = &l.entries[i];
        const char *name = e->name;
        char *child = join(path, name), *child_rel = join(rel, name);
        if (!child || !child_rel) {
            kn_free(child);
            kn_free(child_rel);
            continue;
        }
        uint64_t num;
        bool numbered;
        if (is_partition_dir_name(name) && e->kind == KN_ENTRY_DIR) {
            scan_partition_dir(store, sc, child, child_rel);
        } else if (is_part_file(name, &num, &numbered) && e->kind != KN_ENTRY_DIR) {
            scan_note(sc, child_rel);
            if (numbered && (!sc->any_number || num > sc->max_number)) sc->max_number = num;
            sc->any_number |= numbered;
            if (sc->remove) kn_store_remove(store, child, NULL);
        } else if (sc->remove && is_sink_leftover(name) && e->kind != KN_ENTRY_DIR) {
            kn_store_remove(store, child, NULL);
        }
        kn_free(child);
        kn_free(child_rel);
    }
    kn_store_listing_free(&l);
    if (sc->remove) kn_store_remove(store, path, NULL); /* fails, as it should, while anything else is inside */
}

/* Walks OUTDIR. With `remove`: overwrite's clearing of the data files and partition folders. */
static void scan_root(kn_store *store, scan *sc, const char *out_dir) {
    kn_store_listing l;
    if (kn_store_list(store, out_dir, 0, &l, NULL) != KN_OK) return;
    for (size_t i = 0; i < l.count; i++) {
        const kn_store_entry *e = &l.entries[i];
        const char *name = e->name;
        char *child = join(out_dir, name);
        if (!child) continue;
        uint64_t num;
        bool numbered;
        if (is_partition_dir_name(name) && e->kind == KN_ENTRY_DIR) {
            scan_partition_dir(store, sc, child, name);
        } else if (is_part_file(name, &num, &numbered) && e->kind != KN_ENTRY_DIR) {
            scan_note(sc, name);
            if (numbered && (!sc->any_number || num > sc->max_number)) sc->max_number = num;
            sc->any_number |= numbered;
            if (sc->remove) kn_store_remove(store, child, NULL);
        } else if (is_artifact(name) || !strcmp(name, REJECTS_NAME)) {
            scan_note(sc, name);
        }
        kn_free(child);
    }
    kn_store_listing_free(&l);
}

/* Removes _tmp-* folders and sink leftovers at the root: only killed runs leave them, and no
 * other run can be using them while this run holds the lock. */
static void remove_stale(kn_store *store, const char *out_dir) {
    kn_store_listing l;
    if (kn_store_list(store, out_dir, 0, &l, NULL) != KN_OK) return;
    for (size_t i = 0; i < l.count; i++) {
        const char *name = l.entries[i].name;
        bool tmp = strncmp(name, "_tmp-", 5) == 0;
        if (!tmp && !is_sink_leftover(name)) continue;
        char *child = join(out_dir, name);
        if (child) kn_store_remove_tree(store, child, NULL);
        kn_free(child);
    }
    kn_store_listing_free(&l);
}

/* ---- the API ------------------------------------------------------------------------------- */

kn_status kn_commit_begin(const char *out_dir, kn_write_mode mode, kn_commit **out, kn_error *err) {
    return kn_commit_begin_in(NULL, out_dir, mode, out, err);
}

kn_status kn_commit_begin_in(kn_store *store, const char *out_dir, kn_write_mode mode, kn_commit **out,
                             kn_error *err) {
    *out = NULL;
    store = kn_store_or_local(store);
    KN_TRY(kn_store_make_dirs(store, out_dir, err));
    kn_commit *c = kn_calloc(1, sizeof *c);
    if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    c->store = store;
    c->mode = mode;
    c->out_dir = kn_strdup(out_dir);
    char *lock = c->out_dir ? join(out_dir, LOCK_NAME) : NULL;
    kn_status st = lock ? kn_store_lock(store, lock, &c->lock, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_free(lock);
    if (st == KN_OK && !c->lock) {
        kn_error_locate(err, out_dir, -1, -1, -1);
        st = kn_error_set(err, KN_E_IO, "another kiln run is writing to this output folder (it holds %s); "
                          "wait for it or pick another folder", LOCK_NAME);
    }
    if (st == KN_OK) {
        remove_stale(store, out_dir);
        scan sc;
        memset(&sc, 0, sizeof sc);
        scan_root(store, &sc, out_dir);
        if (mode == KN_MODE_ERROR_IF_EXISTS && sc.found) {
            kn_error_locate(err, out_dir, -1, -1, -1);
            st = kn_error_set(err, KN_E_USAGE, "the output folder already holds kiln output (%s); "
                              "use --mode overwrite to replace it or --mode append to add to it", sc.first);
        }
        if (mode == KN_MODE_APPEND && sc.any_number) c->first_number = sc.max_number + 1;
    }
    if (st == KN_OK) {
        /* Unique for the run: under the lock, and with every earlier _tmp-* just removed, the
         * time is enough; the nanoseconds tell two runs of one second apart in the logs. */
        struct timespec ts;
        timespec_get(&ts, TIME_UTC);
        char name[96];
        snprintf(name, sizeof name, "_tmp-%lld-%09ld", (long long)ts.tv_sec, (long)ts.tv_nsec);
        c->tmp_dir = join(out_dir, name);
        if (!c->tmp_dir) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        else st = kn_store_make_dirs(store, c->tmp_dir, err);
        if (st != KN_OK) {
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
kn_store *kn_commit_store(const kn_commit *c) { return c->store; }

static kn_status remove_root_file(kn_commit *c, const char *name, kn_error *err) {
    char *p = join(c->out_dir, name);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_store_info info;
    kn_status st = kn_store_stat(c->store, p, &info, err);
    if (st == KN_OK && info.kind == KN_ENTRY_DIR && strcmp(name, REJECTS_NAME) == 0) {
        kn_store_remove_tree(c->store, p, NULL); /* best effort, as before: the rename below tells */
    } else if (st == KN_OK && info.kind != KN_ENTRY_NONE) {
        st = kn_store_remove(c->store, p, err);
    }
    kn_free(p);
    return st;
}

/* Creates the folders of `rel` (up to its last '/') under `root`, which exists. */
static kn_status make_parents(kn_store *store, const char *root, const char *rel, kn_error *err) {
    const char *last = strrchr(rel, '/');
    if (!last) return KN_OK;
    char *p = join(root, rel);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    p[strlen(root) + 1 + (size_t)(last - rel)] = '\0';
    kn_status st = kn_store_make_dirs(store, p, err);
    kn_free(p);
    return st;
}

/* The length of `rel`'s first folder when it is a partition folder ("year=2024/..."), else 0. */
static size_t top_partition_dir(const char *rel) {
    const char *slash = strchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) : 0;
    if (!n || rel[0] == '_' || rel[0] == '.' || !memchr(rel, '=', n)) return 0;
    return n;
}

/* Moves partition folder `top` (`n` bytes) from the temporary folder into OUTDIR whole, when
 * OUTDIR has no folder of that name: one rename instead of a folder made and a rename for each
 * of its files, and each of its subfolders made twice. *moved says whether it did. */
static kn_status move_whole(kn_commit *c, const char *top, size_t n, bool *moved, kn_error *err) {
    *moved = false;
    char name[4096];
    if (n >= sizeof name) return KN_OK;
    memcpy(name, top, n);
    name[n] = '\0';
    char *src = join(c->tmp_dir, name), *dst = join(c->out_dir, name);
    kn_store_info info = {KN_ENTRY_NONE, 0};
    kn_status st = src && dst ? kn_store_stat(c->store, dst, &info, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK && info.kind == KN_ENTRY_NONE) {
        st = kn_store_rename(c->store, src, dst, err);
        *moved = st == KN_OK;
    }
    kn_free(src);
    kn_free(dst);
    return st;
}

kn_status kn_commit_publish(kn_commit *c, const char *const *names, size_t count, kn_error *err) {
    KN_TRY(remove_root_file(c, KN_RS_MANIFEST_FILE, err));
    if (c->mode == KN_MODE_OVERWRITE) {
        scan sc;
        memset(&sc, 0, sizeof sc);
        sc.remove = true;
        scan_root(c->store, &sc, c->out_dir);
    }
    static const char *const replaced[] = {KN_RS_TABLE_FILE, KN_RS_COPY_FILE, KN_RS_SPECTRUM_FILE,
                                           KN_RS_UPSERT_FILE, REJECTS_NAME};
    for (size_t i = 0; i < sizeof replaced / sizeof *replaced; i++) KN_TRY(remove_root_file(c, replaced[i], err));
    /* Partition folders new to OUTDIR move whole (every file under them is one of `names`);
     * the others' files one by one. tops[i]: 1 moved whole, 2 not, by top folder index. */
    kn_hash_table *tops = NULL;
    uint8_t *top_state = NULL;
    size_t cap_state = 0;
    kn_status st = kn_hash_table_create(64, &tops, err);
    for (size_t i = 0; st == KN_OK && i < count; i++) {
        size_t n = top_partition_dir(names[i]), t;
        bool inserted = false;
        if (n) st = kn_hash_table_insert(tops, names[i], n, &t, &inserted, err);
        if (st == KN_OK && inserted) {
            if (t >= cap_state) {
                size_t cap = cap_state ? 2 * cap_state : 64;
                uint8_t *ts = kn_realloc(top_state, cap);
                if (!ts) {
                    st = kn_error_set(err, KN_E_NOMEM, "out of memory");
                    break;
                }
                top_state = ts;
                cap_state = cap;
            }
            bool moved;
            st = move_whole(c, names[i], n, &moved, err);
            top_state[t] = moved ? 1 : 2;
        }
        if (st != KN_OK || (n && top_state[t] == 1)) continue;
        st = make_parents(c->store, c->out_dir, names[i], err);
        char *src = join(c->tmp_dir, names[i]), *dst = join(c->out_dir, names[i]);
        /* A rename is atomic: no reader sees a partial file under a real name. */
        if (st == KN_OK)
            st = src && dst ? kn_store_rename(c->store, src, dst, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
        kn_free(src);
        kn_free(dst);
    }
    kn_hash_table_free(tops);
    kn_free(top_state);
    KN_TRY(st);
    char *rej = join(c->tmp_dir, REJECTS_NAME), *rej_dst = join(c->out_dir, REJECTS_NAME);
    st = rej && rej_dst ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_store_info info = {KN_ENTRY_NONE, 0};
    if (st == KN_OK) st = kn_store_stat(c->store, rej, &info, err);
    if (st == KN_OK && info.kind == KN_ENTRY_DIR) st = kn_store_rename(c->store, rej, rej_dst, err);
    kn_free(rej);
    kn_free(rej_dst);
    return st;
}

kn_status kn_commit_write_file(kn_commit *c, const char *name, const void *data, size_t len,
                               kn_error *err) {
    char *p = join(c->out_dir, name);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_status st = kn_store_write_file(c->store, p, data, len, 0, err);
    kn_free(p);
    return st;
}

void kn_commit_end(kn_commit *c) {
    if (!c) return;
    if (c->tmp_dir) kn_store_remove_tree(c->store, c->tmp_dir, NULL);
    /* The lock file stays: deleting it would let a waiting run lock a file that a third run has
     * already replaced. */
    kn_store_unlock(c->store, c->lock);
    kn_free(c->tmp_dir);
    kn_free(c->out_dir);
    kn_free(c);
}
