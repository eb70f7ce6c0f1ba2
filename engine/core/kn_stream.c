/* engine/core/kn_stream.c: sink/source helpers and the in-memory implementations. */
#include "kn_stream.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"

kn_status kn_sink_close(kn_sink *s, kn_error *err) {
    if (!s) return KN_OK;
    return s->vt->close(s, err);
}

kn_status kn_sink_writev(kn_sink *s, const kn_iovec *v, size_t n, kn_error *err) {
    if (!s->vt->writev) {
        for (size_t i = 0; i < n; i++)
            if (v[i].len) KN_TRY(kn_sink_write(s, v[i].data, v[i].len, err));
        return KN_OK;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += v[i].len;
    KN_TRY(s->vt->writev(s, v, n, err));
    s->offset += total;
    return KN_OK;
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
static const kn_sink_vtable mem_sink_vt = {mem_write, mem_close, mem_abort, NULL};

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

/* ---- sequential sources -------------------------------------------------------------------- */

kn_status kn_seq_source_read_full(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    uint8_t *p = buf;
    size_t have = 0;
    while (have < cap) {
        size_t n;
        kn_status st = kn_seq_source_read(s, p + have, cap - have, &n, err);
        if (st != KN_OK) {
            *got = have;
            return st;
        }
        if (n == 0) break;
        have += n;
    }
    *got = have;
    return KN_OK;
}

void kn_seq_source_free(kn_seq_source *s) {
    if (s) s->vt->free(s);
}

typedef struct {
    kn_seq_source base;
    const uint8_t *data;
    size_t len, pos, chunk;
} mem_seq;

static kn_status mem_seq_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    mem_seq *m = (mem_seq *)s;
    size_t n = m->len - m->pos;
    if (n > cap) n = cap;
    if (m->chunk && n > m->chunk) n = m->chunk;
    if (n) memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *got = n;
    return KN_OK;
}
static void mem_seq_free(kn_seq_source *s) { kn_free(s); }
static const kn_seq_source_vtable mem_seq_vt = {mem_seq_read, mem_seq_free};

kn_seq_source *kn_mem_seq_source_create(const void *data, size_t len, size_t chunk, const char *name) {
    mem_seq *m = kn_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.vt = &mem_seq_vt;
    m->base.size = (int64_t)len;
    m->base.name = name ? name : "<memory>";
    m->data = data;
    m->len = len;
    m->chunk = chunk;
    return &m->base;
}

/* A random-access source read front to back. */
typedef struct {
    kn_seq_source base;
    kn_source *src;
    uint64_t pos;
    bool owned;
} source_seq;

static kn_status source_seq_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    source_seq *q = (source_seq *)s;
    uint64_t left = q->src->size - q->pos;
    size_t n = left < cap ? (size_t)left : cap;
    *got = 0;
    if (n) KN_TRY(kn_source_read_at(q->src, q->pos, buf, n, err));
    q->pos += n;
    *got = n;
    return KN_OK;
}
static void source_seq_free(kn_seq_source *s) {
    source_seq *q = (source_seq *)s;
    if (q->owned) kn_source_free(q->src);
    kn_free(q);
}
static const kn_seq_source_vtable source_seq_vt = {source_seq_read, source_seq_free};

kn_seq_source *kn_source_seq_create(kn_source *src, bool take) {
    source_seq *q = kn_calloc(1, sizeof *q);
    if (!q) {
        if (take) kn_source_free(src);
        return NULL;
    }
    q->base.vt = &source_seq_vt;
    q->base.size = (int64_t)src->size;
    q->base.name = src->name;
    q->src = src;
    q->owned = take;
    return &q->base;
}

/* ---- a source that looked at its first bytes --------------------------------------------- */

typedef struct {
    kn_seq_source base;
    kn_seq_source *src;
    size_t head_len, head_pos;
    uint8_t head[]; /* the bytes read from src first */
} peeked;

static kn_status peeked_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    peeked *q = (peeked *)s;
    if (q->head_pos == q->head_len) return kn_seq_source_read(q->src, buf, cap, got, err);
    size_t n = q->head_len - q->head_pos;
    if (n > cap) n = cap;
    memcpy(buf, q->head + q->head_pos, n);
    q->head_pos += n;
    *got = n;
    return KN_OK;
}

static void peeked_free(kn_seq_source *s) {
    peeked *q = (peeked *)s;
    kn_seq_source_free(q->src);
    kn_free(q);
}

static const kn_seq_source_vtable peeked_vt = {peeked_read, peeked_free};

kn_status kn_seq_peek(kn_seq_source *src, size_t n, kn_seq_source **out, const uint8_t **head, size_t *len,
                      kn_error *err) {
    *out = NULL;
    peeked *q = kn_calloc(1, sizeof *q + n);
    if (!q) {
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    kn_status st = kn_seq_source_read_full(src, q->head, n, &q->head_len, err);
    if (st != KN_OK) {
        kn_seq_source_free(src);
        kn_free(q);
        return st;
    }
    q->base.vt = &peeked_vt;
    q->base.size = src->size;
    q->base.name = src->name;
    q->src = src;
    *head = q->head;
    *len = q->head_len;
    *out = &q->base;
    return KN_OK;
}
