/* engine/core/kn_buf.c: growable buffers and arenas. */
#include "kn_buf.h"

#include "kn_alloc.h"

bool kn_buf_grow(kn_buf *b, size_t extra) { return kn_buf_grow_within(b, extra, SIZE_MAX); }

bool kn_buf_grow_within(kn_buf *b, size_t extra, size_t most) {
    if (extra > SIZE_MAX - b->len) return false;
    size_t need = b->len + extra;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > most) cap = most > need ? most : need;
    uint8_t *p = kn_realloc(b->data, cap);
    if (!p) return false;
    b->data = p;
    b->cap = cap;
    return true;
}

void kn_buf_free(kn_buf *b) {
    kn_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

kn_status kn_buf_append_or_fail(kn_buf *b, const void *p, size_t n, kn_error *err) {
    if (!kn_buf_append(b, p, n)) return kn_error_set(err, KN_E_NOMEM, "out of memory growing a buffer to %zu bytes", b->len + n);
    return KN_OK;
}

typedef struct kn_arena_block {
    struct kn_arena_block *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
} kn_arena_block;

struct kn_arena {
    kn_arena_block *head; /* the block being filled; older blocks follow */
    size_t handed_out;
};

#define KN_ARENA_BLOCK (64u * 1024u)

static kn_arena_block *block_new(size_t cap) {
    kn_arena_block *b = kn_malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

kn_arena *kn_arena_create(void) {
    kn_arena *a = kn_calloc(1, sizeof *a);
    return a;
}

void *kn_arena_alloc(kn_arena *a, size_t size) {
    size_t rounded = (size + 15u) & ~(size_t)15u;
    if (rounded < size) return NULL;
    kn_arena_block *b = a->head;
    if (!b || b->cap - b->used < rounded) {
        size_t cap = rounded > KN_ARENA_BLOCK ? rounded : KN_ARENA_BLOCK;
        kn_arena_block *nb = block_new(cap);
        if (!nb) return NULL;
        if (b && rounded > KN_ARENA_BLOCK) {
            /* A big block goes behind the head, so the head's free space is not wasted. */
            nb->next = b->next;
            b->next = nb;
            b = nb;
        } else {
            nb->next = b;
            a->head = nb;
            b = nb;
        }
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->handed_out += size;
    return p;
}

char *kn_arena_strndup(kn_arena *a, const char *s, size_t len) {
    char *d = kn_arena_alloc(a, len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void kn_arena_reset(kn_arena *a) {
    if (!a->head) return;
    kn_arena_block *keep = a->head, *b = keep->next;
    while (b) {
        kn_arena_block *next = b->next;
        kn_free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->handed_out = 0;
}

size_t kn_arena_used(const kn_arena *a) { return a->handed_out; }

void kn_arena_free(kn_arena *a) {
    if (!a) return;
    kn_arena_block *b = a->head;
    while (b) {
        kn_arena_block *next = b->next;
        kn_free(b);
        b = next;
    }
    kn_free(a);
}
