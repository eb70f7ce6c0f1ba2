/* engine/exec/kn_part_stats.c: an open-addressing hash table keyed by folder path
 * (kn_part_stats.h). Paths live in one arena; slots hold pointers to the entries. */
#include "kn_part_stats.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_partition.h"

typedef struct slot {
    uint64_t hash;
    kn_part_stat *entry; /* NULL: empty */
} slot;

struct kn_part_stats {
    slot *slots;
    size_t cap; /* a power of two */
    size_t count;
    kn_arena *arena;
};

kn_status kn_part_stats_create(kn_part_stats **out, kn_error *err) {
    *out = NULL;
    kn_part_stats *ps = kn_calloc(1, sizeof *ps);
    if (ps) {
        ps->cap = 64;
        ps->slots = kn_calloc(ps->cap, sizeof *ps->slots);
        ps->arena = kn_arena_create();
    }
    if (!ps || !ps->slots || !ps->arena) {
        kn_part_stats_free(ps);
        return kn_error_set(err, KN_E_NOMEM, "out of memory for partition counts");
    }
    *out = ps;
    return KN_OK;
}

static slot *lookup(slot *slots, size_t cap, uint64_t hash, const uint8_t *path, size_t len) {
    size_t i = (size_t)hash & (cap - 1);
    for (;;) {
        slot *s = &slots[i];
        if (!s->entry) return s;
        if (s->hash == hash && s->entry->len == len && memcmp(s->entry->path, path, len) == 0) return s;
        i = (i + 1) & (cap - 1);
    }
}

static kn_status grow(kn_part_stats *ps, kn_error *err) {
    size_t cap = ps->cap * 2;
    slot *slots = kn_calloc(cap, sizeof *slots);
    if (!slots) return kn_error_set(err, KN_E_NOMEM, "out of memory for partition counts");
    for (size_t i = 0; i < ps->cap; i++) {
        if (!ps->slots[i].entry) continue;
        *lookup(slots, cap, ps->slots[i].hash, ps->slots[i].entry->path, ps->slots[i].entry->len) = ps->slots[i];
    }
    kn_free(ps->slots);
    ps->slots = slots;
    ps->cap = cap;
    return KN_OK;
}

kn_status kn_part_stats_add(kn_part_stats *ps, const uint8_t *path, size_t len, uint64_t rows,
                            uint64_t raw_bytes, kn_error *err) {
    uint64_t hash = kn_part_path_hash(path, len);
    slot *s = lookup(ps->slots, ps->cap, hash, path, len);
    if (!s->entry) {
        if ((ps->count + 1) * 4 > ps->cap * 3) {
            KN_TRY(grow(ps, err));
            s = lookup(ps->slots, ps->cap, hash, path, len);
        }
        kn_part_stat *e = kn_arena_alloc(ps->arena, sizeof *e);
        uint8_t *copy = e ? kn_arena_alloc(ps->arena, len ? len : 1) : NULL;
        if (!copy) return kn_error_set(err, KN_E_NOMEM, "out of memory for partition counts");
        if (len) memcpy(copy, path, len);
        *e = (kn_part_stat){copy, len, 0, 0};
        s->hash = hash;
        s->entry = e;
        ps->count++;
    }
    s->entry->rows += rows;
    s->entry->raw_bytes += raw_bytes;
    return KN_OK;
}

const kn_part_stat *kn_part_stats_find(const kn_part_stats *ps, const uint8_t *path, size_t len) {
    return lookup(ps->slots, ps->cap, kn_part_path_hash(path, len), path, len)->entry;
}

size_t kn_part_stats_count(const kn_part_stats *ps) { return ps->count; }

void kn_part_stats_free(kn_part_stats *ps) {
    if (!ps) return;
    kn_free(ps->slots);
    kn_arena_free(ps->arena);
    kn_free(ps);
}
