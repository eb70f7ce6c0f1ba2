/* engine/core/kn_store.h: the store interface: where bytes live.
 *
 * A store lists folders, opens sources (random access, sequential, or mapped whole for reading
 * in place), opens sinks that become visible only when closed, makes folders, renames, removes
 * and locks. The local file system is one implementation (engine/io/kn_store_local.h); S3 is
 * the next. Commit, the writers, spill and the artifacts use nothing else, so no POSIX file call
 * sits outside engine/io.
 *
 * Paths are the store's own names: local paths ("out/a=1/part-00000.parquet") for the local
 * store, "s3://bucket/key" for S3. They are NUL-terminated, borrowed for the call, and copied
 * when a result keeps them. Folders are separated by '/'. On a store without real folders (S3)
 * a folder is a prefix: making one does nothing and an empty one does not exist.
 *
 * Errors name the path in kn_error.where and say why in words: KN_E_IO when the store failed
 * (worth a retry: exit 3), KN_E_USAGE when the user named something that is not there (a
 * missing input) or not what was asked (a file listed as a folder), KN_E_UNSUPPORTED when the
 * store cannot do it at all (mapping an S3 object).
 *
 * Threads: a store is shared; every call may come from any thread at once. What it returns (a
 * source, a sink, a listing, a lock) is used by one thread at a time. */
#ifndef KN_STORE_H
#define KN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_status.h"
#include "kn_stream.h"

typedef struct kn_store kn_store;

/* An exclusive lock a store hands out; opaque, one per implementation. */
typedef struct kn_lock kn_lock;

typedef enum kn_entry_kind {
    KN_ENTRY_NONE = 0, /* nothing there (kn_store_stat) */
    KN_ENTRY_FILE,     /* a file or an object */
    KN_ENTRY_DIR,      /* a folder, or a prefix with something under it */
    KN_ENTRY_OTHER     /* anything else (a device, a socket, a dangling link): never data */
} kn_entry_kind;

typedef struct kn_store_info {
    kn_entry_kind kind;
    uint64_t size; /* bytes of a file; 0 otherwise */
} kn_store_info;

typedef struct kn_store_entry {
    char *name;    /* owned by the listing; relative to the listed folder, '/' between folders */
    uint64_t size; /* bytes of a file; 0 otherwise */
    kn_entry_kind kind;
} kn_store_entry;

/* The entries of a folder, sorted bytewise by name (so a listing gives the same order every
 * time, whatever the store). Free with kn_store_listing_free. */
typedef struct kn_store_listing {
    kn_store_entry *entries; /* owned */
    size_t count;
    size_t cap_;
} kn_store_listing;

enum {
    /* Every file below the folder, names relative to it ("a=1/part-0.parquet"); folders are
     * not listed themselves (as on S3, they are the prefixes of the names). Without it: the
     * folder's own files and folders. */
    KN_LIST_RECURSIVE = 1u << 0,
    /* Leaves out names starting with '_' or '.' (and everything below such a folder): kiln's
     * and Spark's bookkeeping (_rejects/, _SUCCESS, _kiln.lock, hidden temporary files). */
    KN_LIST_SKIP_HIDDEN = 1u << 1
};

enum {
    /* Close makes the bytes durable (fsync of the file and its folder) before they show. */
    KN_SINK_DURABLE = 1u << 0,
    /* Close fails with KN_E_IO rather than replace a file already under the name. */
    KN_SINK_KEEP_EXISTING = 1u << 1,
    /* `path` is in a folder only this run writes and publishes whole later (the run's
     * temporary folder): the bytes may go straight to `path`, without a temporary name and its
     * rename. Abort and a failed close still remove it; a killed process may leave it partial
     * there. Not with KN_SINK_KEEP_EXISTING. */
    KN_SINK_PRIVATE = 1u << 2
};

/* A whole object mapped for reading in place: data[0..len), NULL for an empty one. */
typedef struct kn_store_mapping {
    const uint8_t *data;
    size_t len;
} kn_store_mapping;

typedef struct kn_store_vtable {
    /* Lists the folder `dir` as KN_LIST_* `flags` say into *out (the caller's; reset first, and
     * left empty on failure). A folder that does not exist lists empty; a file named as the
     * folder is KN_E_USAGE. */
    kn_status (*list)(kn_store *s, const char *dir, unsigned flags, kn_store_listing *out, kn_error *err);
    /* What is at `path`: KN_OK with kind KN_ENTRY_NONE when nothing is. */
    kn_status (*stat)(kn_store *s, const char *path, kn_store_info *out, kn_error *err);
    /* A random-access source over the file `path`; *out is the caller's (kn_source_free). A
     * missing file is KN_E_USAGE; a folder, or a file that cannot be read, KN_E_IO. */
    kn_status (*open_source)(kn_store *s, const char *path, kn_source **out, kn_error *err);
    /* A sequential source over the file `path`; *out is the caller's (kn_seq_source_free).
     * Errors as open_source. NULL in a store without a streaming read: kn_store_open_seq then
     * reads open_source front to back. */
    kn_status (*open_seq)(kn_store *s, const char *path, kn_seq_source **out, kn_error *err);
    /* Maps the file `path` whole into *out for zero-copy reads, until unmap. NULL (or
     * KN_E_UNSUPPORTED) in a store that cannot: callers then read a source. */
    kn_status (*map)(kn_store *s, const char *path, kn_store_mapping *out, kn_error *err);
    /* Hands [offset, offset+len) of a mapping back: resident memory drops, a later read of the
     * range still works (it faults the bytes back in). */
    void (*map_release)(kn_store *s, const kn_store_mapping *m, size_t offset, size_t len);
    /* Ends a mapping made by map; resets *m. */
    void (*unmap)(kn_store *s, kn_store_mapping *m);
    /* A sink whose bytes become visible under `path` only when it closes (KN_SINK_* `flags`);
     * abort, a failed close or a killed process leave nothing under `path` (a local store may
     * leave a hidden ".NAME.kiln-tmp-*" file beside it, which listings with
     * KN_LIST_SKIP_HIDDEN skip). The folder must exist. *out is the caller's (close or abort). */
    kn_status (*open_sink)(kn_store *s, const char *path, unsigned flags, kn_sink **out, kn_error *err);
    /* Makes the folder `path` and every missing folder on the way (mkdir -p); existing ones are
     * fine. */
    kn_status (*make_dirs)(kn_store *s, const char *path, kn_error *err);
    /* Publishes: moves the file or folder `from` to `to` in one step where the store can (local:
     * rename(2), atomic; a file already at `to` is replaced). The folder of `to` must exist.
     * Errors name `to` and say "cannot rename". */
    kn_status (*rename)(kn_store *s, const char *from, const char *to, kn_error *err);
    /* Removes the file `path`, or the folder `path` if it is empty (a folder with anything in it
     * fails with KN_E_IO). Nothing there is fine. */
    kn_status (*remove)(kn_store *s, const char *path, kn_error *err);
    /* Removes `path` and, for a folder, everything below it; links are removed, never followed.
     * Nothing there is fine. Goes on past a failure and returns the first. */
    kn_status (*remove_tree)(kn_store *s, const char *path, kn_error *err);
    /* Takes the exclusive lock named `path` without waiting (local: flock on a file made if
     * missing and left in place). *out is the handle, released by unlock, or NULL when another
     * holder has the lock, another process or another handle in this one: KN_OK either way,
     * since being busy is an answer the caller words. A lock a process holds goes when it dies.
     * Failing to take it at all (no such folder, no permission) is KN_E_IO naming `path`. */
    kn_status (*lock)(kn_store *s, const char *path, kn_lock **out, kn_error *err);
    /* Releases and frees a handle from lock. Accepts NULL. */
    void (*unlock)(kn_store *s, kn_lock *lock);
    /* Appends to `out` the absolute name of `path`, for manifests and URLs (local: the current
     * folder joined with a relative path, "." and ".." segments and repeated slashes resolved by
     * name, links kept as written as a shell does; no trailing '/' except for the root), with a
     * NUL after it that out->len does not count, so out->data + start reads as a string. */
    kn_status (*absolute)(kn_store *s, const char *path, kn_buf *out, kn_error *err);
    /* Frees the store; NULL for a store that lives as long as the process. */
    void (*free)(kn_store *s);
} kn_store_vtable;

/* Implementations embed this as their first member. */
struct kn_store {
    const kn_store_vtable *vt;
    const char *name; /* "local", "s3"; for messages; borrowed from the implementation */
};

/* The calls, in the order of the vtable; `s` is borrowed and every pointer parameter is as the
 * vtable says. */
static inline kn_status kn_store_list(kn_store *s, const char *dir, unsigned flags, kn_store_listing *out,
                                          kn_error *err) {
    return s->vt->list(s, dir, flags, out, err);
}
static inline kn_status kn_store_stat(kn_store *s, const char *path, kn_store_info *out, kn_error *err) {
    return s->vt->stat(s, path, out, err);
}
static inline kn_status kn_store_open_source(kn_store *s, const char *path, kn_source **out, kn_error *err) {
    return s->vt->open_source(s, path, out, err);
}
kn_status kn_store_open_seq(kn_store *s, const char *path, kn_seq_source **out, kn_error *err);
/* KN_E_UNSUPPORTED (naming the path) when the store cannot map. */
kn_status kn_store_map(kn_store *s, const char *path, kn_store_mapping *out, kn_error *err);
static inline void kn_store_map_release(kn_store *s, const kn_store_mapping *m, size_t offset, size_t len) {
    if (s->vt->map_release) s->vt->map_release(s, m, offset, len);
}
static inline void kn_store_unmap(kn_store *s, kn_store_mapping *m) {
    if (s->vt->unmap) s->vt->unmap(s, m);
}
static inline kn_status kn_store_open_sink(kn_store *s, const char *path, unsigned flags, kn_sink **out,
                                           kn_error *err) {
    return s->vt->open_sink(s, path, flags, out, err);
}
static inline kn_status kn_store_make_dirs(kn_store *s, const char *path, kn_error *err) {
    return s->vt->make_dirs(s, path, err);
}
static inline kn_status kn_store_rename(kn_store *s, const char *from, const char *to, kn_error *err) {
    return s->vt->rename(s, from, to, err);
}
static inline kn_status kn_store_remove(kn_store *s, const char *path, kn_error *err) {
    return s->vt->remove(s, path, err);
}
static inline kn_status kn_store_remove_tree(kn_store *s, const char *path, kn_error *err) {
    return s->vt->remove_tree(s, path, err);
}
static inline kn_status kn_store_lock(kn_store *s, const char *path, kn_lock **out, kn_error *err) {
    return s->vt->lock(s, path, out, err);
}
static inline void kn_store_unlock(kn_store *s, kn_lock *lock) {
    if (lock) s->vt->unlock(s, lock);
}
static inline kn_status kn_store_absolute(kn_store *s, const char *path, kn_buf *out, kn_error *err) {
    return s->vt->absolute(s, path, out, err);
}
/* Accepts NULL, and stores that live as long as the process. */
void kn_store_free(kn_store *s);

/* Writes `len` bytes of `data` (borrowed) to `path` through a sink: all of them visible at once
 * on success, nothing on failure. */
kn_status kn_store_write_file(kn_store *s, const char *path, const void *data, size_t len, unsigned flags,
                              kn_error *err);

/* "dir/name" in a kn_malloc'd string (the caller's), or NULL when out of memory. A '/' ending
 * `dir` is not doubled. */
char *kn_store_join(const char *dir, const char *name);

/* Frees the names and the array and resets *l. Accepts an empty list. */
void kn_store_listing_free(kn_store_listing *l);
/* Appends an entry (`name`, `len` bytes, copied), for implementations; KN_E_NOMEM naming the
 * folder when out of memory. */
kn_status kn_store_listing_add(kn_store_listing *l, const char *name, size_t len, uint64_t size, kn_entry_kind kind,
                            kn_error *err);
/* Sorts the entries bytewise by name, for implementations. */
void kn_store_listing_sort(kn_store_listing *l);

#endif
