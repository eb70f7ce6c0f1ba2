/* engine/core/kn_alloc.c: malloc with a size header and process-wide counters. */
#include "kn_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* 16 bytes keeps the user pointer aligned for any scalar type and for SSE loads. */
#define KN_ALLOC_HEADER 16

static _Atomic int64_t g_current;
static _Atomic int64_t g_peak;
static _Atomic int64_t g_allocations;

static void account(int64_t delta) {
    int64_t now = atomic_fetch_add_explicit(&g_current, delta, memory_order_relaxed) + delta;
    if (delta > 0) {
        atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
        int64_t peak = atomic_load_explicit(&g_peak, memory_order_relaxed);
        while (now > peak &&
               !atomic_compare_exchange_weak_explicit(&g_peak, &peak, now, memory_order_relaxed,
                                                      memory_order_relaxed)) {
        }
    }
}

void *kn_malloc(size_t size) {
    if (size > SIZE_MAX - KN_ALLOC_HEADER) return NULL;
    unsigned char *raw = malloc(size + KN_ALLOC_HEADER);
    if (!raw) return NULL;
    memcpy(raw, &size, sizeof size);
    account((int64_t)size);
    return raw + KN_ALLOC_HEADER;
}

void *kn_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    size_t total = count * size;
    if (total > SIZE_MAX - KN_ALLOC_HEADER) return NULL;
    unsigned char *raw = calloc(1, total + KN_ALLOC_HEADER);
    if (!raw) return NULL;
    memcpy(raw, &total, sizeof total);
    account((int64_t)total);
    return raw + KN_ALLOC_HEADER;
}

void *kn_realloc(void *p, size_t size) {
    if (!p) return kn_malloc(size);
    if (size > SIZE_MAX - KN_ALLOC_HEADER) return NULL;
    unsigned char *raw = (unsigned char *)p - KN_ALLOC_HEADER;
    size_t old;
    memcpy(&old, raw, sizeof old);
    unsigned char *grown = realloc(raw, size + KN_ALLOC_HEADER);
    if (!grown) return NULL;
    memcpy(grown, &size, sizeof size);
    account((int64_t)size - (int64_t)old);
    return grown + KN_ALLOC_HEADER;
}

void kn_free(void *p) {
    if (!p) return;
    unsigned char *raw = (unsigned char *)p - KN_ALLOC_HEADER;
    size_t size;
    memcpy(&size, raw, sizeof size);
    account(-(int64_t)size);
    free(raw);
}

char *kn_strndup(const char *s, size_t len) {
    char *d = kn_malloc(len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *kn_strdup(const char *s) { return kn_strndup(s, strlen(s)); }

void kn_mem_get_stats(kn_mem_stats *out) {
    out->current_bytes = atomic_load_explicit(&g_current, memory_order_relaxed);
    out->peak_bytes = atomic_load_explicit(&g_peak, memory_order_relaxed);
    out->allocations = atomic_load_explicit(&g_allocations, memory_order_relaxed);
}

void kn_mem_reset_peak(void) {
    atomic_store_explicit(&g_peak, atomic_load_explicit(&g_current, memory_order_relaxed),
                          memory_order_relaxed);
}
