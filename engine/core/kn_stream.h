/* engine/core/kn_stream.h: the byte source and byte sink interfaces.
 *
 * Readers read from a kn_source (random access) or a kn_seq_source (front to back) and writers
 * write to a kn_sink; the implementations (local files, decompressing streams, later S3) live
 * in engine/io, behind the store interface (kn_store.h). Small vtables keep the seam open
 * for new stores without touching readers or writers. */
#ifndef KN_STREAM_H
#define KN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

typedef struct kn_sink kn_sink;

/* One piece of a gathered write: `len` bytes at `data` (borrowed). */
typedef struct kn_iovec {
    const void *data;
    size_t len;
} kn_iovec;

typedef struct kn_sink_vtable {
    /* Appends `len` bytes (borrowed). */
    kn_status (*write)(kn_sink *s, const void *data, size_t len, kn_error *err);
    /* Makes everything written durable and visible under the sink's final name, then frees
     * the sink. On failure nothing is visible and the sink is freed too. */
    kn_status (*close)(kn_sink *s, kn_error *err);
    /* Drops everything written (nothing becomes visible) and frees the sink. */
    void (*abort)(kn_sink *s);
    /* Appends the `n` pieces in order, as write would one by one, in as few calls to the store
     * as it can (a file: writev). NULL: kn_sink_writev calls write for each. */
    kn_status (*writev)(kn_sink *s, const kn_iovec *v, size_t n, kn_error *err);
} kn_sink_vtable;

/* Implementations embed this as their first member. */
struct kn_sink {
    const kn_sink_vtable *vt;
    uint64_t offset; /* bytes written so far; maintained by kn_sink_write */
    const char *name; /* for messages; borrowed from the implementation */
};

static inline kn_status kn_sink_write(kn_sink *s, const void *data, size_t len, kn_error *err) {
    kn_status st = s->vt->write(s, data, len, err);
    if (st == KN_OK) s->offset += len;
    return st;
}
/* Appends the `n` pieces of `v` (borrowed) in order: many small pieces (a row group's chunks, a
 * footer's parts) in one call to the store. */
kn_status kn_sink_writev(kn_sink *s, const kn_iovec *v, size_t n, kn_error *err);
static inline uint64_t kn_sink_offset(const kn_sink *s) { return s->offset; }
/* Both free the sink. Accept NULL. */
kn_status kn_sink_close(kn_sink *s, kn_error *err);
void kn_sink_abort(kn_sink *s);

typedef struct kn_source kn_source;

typedef struct kn_source_vtable {
    /* Reads exactly `len` bytes at `offset` into `dst`, or fails (a short file is KN_E_FORMAT
     * when the caller asked past the end, KN_E_IO when the store failed). */
    kn_status (*read_at)(kn_source *s, uint64_t offset, void *dst, size_t len, kn_error *err);
    void (*free)(kn_source *s);
} kn_source_vtable;

/* A random-access byte source of known size (a file, an object). */
struct kn_source {
    const kn_source_vtable *vt;
    uint64_t size;
    const char *name; /* for messages; borrowed from the implementation */
};

static inline kn_status kn_source_read_at(kn_source *s, uint64_t offset, void *dst, size_t len,
                                          kn_error *err) {
    return s->vt->read_at(s, offset, dst, len, err);
}
/* Accepts NULL. */
void kn_source_free(kn_source *s);

typedef struct kn_seq_source kn_seq_source;

typedef struct kn_seq_source_vtable {
    /* Reads the next bytes, at most `cap`, into `buf` (the caller's) and sets *got to how many.
     * *got is 0 only at the end (with KN_OK); before the end it may be anything from 1 to `cap`
     * (a socket or a decompressor hands out what it has), so callers loop. Failures are KN_E_IO
     * when the store failed (worth a retry), KN_E_FORMAT when the bytes are damaged (a bad
     * compressed stream); the error names the source. */
    kn_status (*read)(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err);
    void (*free)(kn_seq_source *s);
} kn_seq_source_vtable;

/* A sequential byte source: bytes front to back, once, size perhaps unknown (a decompressor, an
 * HTTP body, an archive member). Readers that need random access take a kn_source or a mapped
 * file instead; a plain local file is mapped, which stays the fast path. */
struct kn_seq_source {
    const kn_seq_source_vtable *vt;
    uint64_t offset; /* bytes handed out so far; maintained by kn_seq_source_read */
    int64_t size;    /* total bytes when known up front (a plain file), else -1 */
    const char *name; /* for messages; borrowed from the implementation */
};

static inline kn_status kn_seq_source_read(kn_seq_source *s, void *buf, size_t cap, size_t *got,
                                           kn_error *err) {
    *got = 0;
    kn_status st = cap ? s->vt->read(s, buf, cap, got, err) : KN_OK;
    if (st == KN_OK) s->offset += *got;
    return st;
}
/* Reads until `cap` bytes are in `buf` or the source ends (*got < cap only at the end). */
kn_status kn_seq_source_read_full(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err);
/* Accepts NULL. */
void kn_seq_source_free(kn_seq_source *s);

/* Reads the first `n` bytes of `src` (fewer when it is shorter) and makes *out, a source that
 * hands them out again and then the rest of `src`: a caller decides what a stream is from its
 * first bytes without losing them. `src` is taken (freed with *out, or by this call when it
 * fails). *head (borrowed from *out, `*len` bytes) shows the bytes read. */
kn_status kn_seq_peek(kn_seq_source *src, size_t n, kn_seq_source **out, const uint8_t **head, size_t *len,
                      kn_error *err);

/* A sequential source that reads `src` front to back (for stores that only have random access,
 * like a ranged GET). With `take` the source owns `src` and frees it; otherwise `src` is
 * borrowed and must outlive it. Returns NULL when out of memory (and frees `src` if taken). */
kn_seq_source *kn_source_seq_create(kn_source *src, bool take);

/* A sink that appends to `out` (borrowed; it must outlive the sink), for tests and for
 * building a file in memory. Close keeps the bytes in `out`; abort empties `out`. */
struct kn_buf;
kn_sink *kn_mem_sink_create(struct kn_buf *out);
/* A source over borrowed memory (it must outlive the source). */
kn_source *kn_mem_source_create(const void *data, size_t len, const char *name);
/* A sequential source over borrowed memory (it must outlive the source); `name` is borrowed too
 * (NULL: "<memory>"). Each read hands out at most `chunk` bytes (0: as many as asked), so tests
 * see the short reads a socket or a decompressor gives. */
kn_seq_source *kn_mem_seq_source_create(const void *data, size_t len, size_t chunk, const char *name);

#endif
