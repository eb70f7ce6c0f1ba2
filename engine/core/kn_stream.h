/* engine/core/kn_stream.h: the byte source and byte sink interfaces.
 *
 * Readers read from a kn_source and writers write to a kn_sink; the implementations (local
 * files, decompressing streams, later S3) live in engine/io. Small vtables keep the seam open
 * for new stores without touching readers or writers. */
#ifndef KN_STREAM_H
#define KN_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

typedef struct kn_sink kn_sink;

typedef struct kn_sink_vtable {
    /* Appends `len` bytes (borrowed). */
    kn_status (*write)(kn_sink *s, const void *data, size_t len, kn_error *err);
    /* Makes everything written durable and visible under the sink's final name, then frees
     * the sink. On failure nothing is visible and the sink is freed too. */
    kn_status (*close)(kn_sink *s, kn_error *err);
    /* Drops everything written (nothing becomes visible) and frees the sink. */
    void (*abort)(kn_sink *s);
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

/* A sink that appends to `out` (borrowed; it must outlive the sink), for tests and for
 * building a file in memory. Close keeps the bytes in `out`; abort empties `out`. */
struct kn_buf;
kn_sink *kn_mem_sink_create(struct kn_buf *out);
/* A source over borrowed memory (it must outlive the source). */
kn_source *kn_mem_source_create(const void *data, size_t len, const char *name);

#endif
