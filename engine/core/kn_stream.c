/* engine/core/kn_stream.c: sink/source helpers and the in-memory implementations. */
#include "kn_stream.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"

kn_status kn_sink_close(kn_sink *s, kn_error *err) {
    if (!s) return KN_OK;
    return s->vt->close(s, err);
}

void kn_sink_abort(kn_sink *s) {
    if (s) s->vt->abort(s);
}

void kn_source_free(kn_source *s) {
    if (s) s->vt->free(s);
}

typedef struct {
    kn_sink base;
    kn_buf *out;
} mem_sink;

static kn_status mem_write(kn_sink *s, const void *data, size_t len, kn_error *err) {
    return kn_buf_append_or_fail(((mem_sink *)s)->out, data, len, err);
}
static void mem_abort(kn_sink *s) {
    kn_buf_clear(((mem_sink *)s)->out);
    kn_free(s);
}
static kn_status mem_close(kn_sink *s, kn_error *err) {
    kn_free(s);
    return KN_OK;
}
static const kn_sink_vtable mem_sink_vt = {mem_write, mem_close, mem_abort};

kn_sink *kn_mem_sink_create(kn_buf *out) {
    mem_sink *m = kn_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.vt = &mem_sink_vt;
    m->base.name = "<memory>";
    m->out = out;
    return &m->base;
}

typedef struct {
    kn_source base;
    const uint8_t *data;
} mem_source;

static kn_status mem_read_at(kn_source *s, uint64_t offset, void *dst, size_t len, kn_error *err) {
    mem_source *m = (mem_source *)s;
    if (offset > s->size || len > s->size - offset)
        return kn_error_set(err, KN_E_FORMAT, "read of %zu bytes at %llu runs past the end (%llu bytes)", len,
                            (unsigned long long)offset, (unsigned long long)s->size);
    if (len) memcpy(dst, m->data + offset, len);
    return KN_OK;
}
static void mem_source_free(kn_source *s) { kn_free(s); }
static const kn_source_vtable mem_source_vt = {mem_read_at, mem_source_free};

kn_source *kn_mem_source_create(const void *data, size_t len, const char *name) {
    mem_source *m = kn_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.vt = &mem_source_vt;
    m->base.size = len;
    m->base.name = name ? name : "<memory>";
    m->data = data;
    return &m->base;
}
