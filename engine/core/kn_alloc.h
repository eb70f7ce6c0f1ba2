/* engine/core/kn_alloc.h: the allocator every layer uses, with byte accounting.
 *
 * All of kiln's heap memory goes through these calls, so the run report and the memory-bound
 * tests can say how many bytes kiln holds now and at most. Counters are process-wide and
 * thread-safe (relaxed atomics); the cost is a 16-byte header per block. */
#ifndef KN_ALLOC_H
#define KN_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Returns NULL on failure (callers turn that into KN_E_NOMEM). kn_malloc(0) returns a valid
 * unique pointer. */
void *kn_malloc(size_t size);
void *kn_calloc(size_t count, size_t size);
/* Like realloc: on failure returns NULL and leaves `p` valid. */
void *kn_realloc(void *p, size_t size);
/* Accepts NULL. */
void kn_free(void *p);
/* A kn_malloc'd copy of `s` (length `len`, then a NUL), or NULL. */
char *kn_strndup(const char *s, size_t len);
char *kn_strdup(const char *s);

typedef struct kn_mem_stats {
    int64_t current_bytes; /* held now */
    int64_t peak_bytes;    /* the most held at once since start or the last reset */
    int64_t allocations;   /* calls that allocated */
} kn_mem_stats;

void kn_mem_get_stats(kn_mem_stats *out);
/* Sets the peak to the current value (for measuring one phase). */
void kn_mem_reset_peak(void);

#endif
