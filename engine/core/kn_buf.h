/* engine/core/kn_buf.h: a growable byte buffer, and an arena for many small blocks.
 *
 * kn_buf is a plain struct so hot loops can write into `data` directly after one
 * kn_buf_reserve. The buffer owns `data` (allocated with kn_malloc). */
#ifndef KN_BUF_H
#define KN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kn_status.h"

typedef struct kn_buf {
    uint8_t *data; /* owned; NULL while cap == 0 */
    size_t len;
    size_t cap;
} kn_buf;

#define KN_BUF_INIT {NULL, 0, 0}

/* Grows so that `extra` more bytes fit after `len`. Returns false when memory runs out (the
 * buffer is unchanged). */
bool kn_buf_grow(kn_buf *b, size_t extra);
static inline bool kn_buf_reserve(kn_buf *b, size_t extra) {
    return b->cap - b->len >= extra || kn_buf_grow(b, extra);
}
/* The same, for a buffer known to need at most `most` bytes (a page of bounded rows): it doubles
 * as usual but stops at `most`, rather than at the next power of two, unless more is asked. */
bool kn_buf_grow_within(kn_buf *b, size_t extra, size_t most);
static inline bool kn_buf_reserve_within(kn_buf *b, size_t extra, size_t most) {
    return b->cap - b->len >= extra || kn_buf_grow_within(b, extra, most);
}
static inline bool kn_buf_append(kn_buf *b, const void *p, size_t n) {
    if (!kn_buf_reserve(b, n)) return false;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}
static inline bool kn_buf_push(kn_buf *b, uint8_t byte) {
    if (!kn_buf_reserve(b, 1)) return false;
    b->data[b->len++] = byte;
    return true;
}
static inline void kn_buf_clear(kn_buf *b) { b->len = 0; }
/* Frees the bytes and resets to empty. Accepts a zeroed buffer. */
void kn_buf_free(kn_buf *b);
/* The same as kn_buf_append, but fails with KN_E_NOMEM into `err`. */
kn_status kn_buf_append_or_fail(kn_buf *b, const void *p, size_t n, kn_error *err);

/* An arena: many allocations freed at once. Blocks are at least 64 KiB; a request larger than a
 * block gets a block of its own. Pointers are 16-byte aligned and stay valid until
 * kn_arena_reset or kn_arena_free. */
typedef struct kn_arena kn_arena;

kn_arena *kn_arena_create(void);
void *kn_arena_alloc(kn_arena *a, size_t size);
/* A copy of `len` bytes followed by a NUL, in the arena. */
char *kn_arena_strndup(kn_arena *a, const char *s, size_t len);
/* Keeps the first block and drops the others; every pointer handed out becomes invalid. */
void kn_arena_reset(kn_arena *a);
/* Bytes handed out since the last reset. */
size_t kn_arena_used(const kn_arena *a);
/* Accepts NULL. */
void kn_arena_free(kn_arena *a);

#endif
