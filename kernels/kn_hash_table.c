/* kernels/kn_hash_table.c: the byte-string key table (kn_hash_table.h). */
#include "kn_hash_table.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"

/* XXH3 compiled into this file, as formats/parquet/kn_pq_dict.c does: no call through the shared
 * library's PLT for every key. */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* A slot is in use only when its stamp is the table's current generation; a fresh (zeroed) slot
 * array is empty because the generation is never 0. */
typedef struct slot {
    uint64_t hash;
    uint32_t index;
    uint32_t gen;
} slot;

struct kn_hash_table {
    slot *slots;
    size_t mask; /* slots - 1; the slot count is a power of two */
    uint32_t gen;
    size_t count;
    /* Key i is keys.data[offs[i] .. offs[i + 1]); offs[0] is 0 and has room for cap_offs. */
    uint64_t *offs;
    size_t cap_offs;
    kn_buf keys;
};

#define MIN_SLOTS 16

uint64_t kn_hash_bytes(const void *key, size_t len) { return XXH3_64bits(key, len); }

kn_status kn_hash_table_create(size_t expected_keys, kn_hash_table **out, kn_error *err) {
    *out = NULL;
    size_t slots = MIN_SLOTS;
    while (slots / 2 < expected_keys && slots <= SIZE_MAX / 4) slots *= 2;
    kn_hash_table *ht = kn_calloc(1, sizeof *ht);
    if (ht) {
        ht->slots = kn_calloc(slots, sizeof *ht->slots);
        ht->cap_offs = slots / 2 + 1;
        ht->offs = kn_malloc(ht->cap_offs * sizeof *ht->offs);
    }
    if (!ht || !ht->slots || !ht->offs) {
        kn_hash_table_free(ht);
        return kn_error_set(err, KN_E_NOMEM, "out of memory for a hash table");
    }
    ht->mask = slots - 1;
    ht->gen = 1;
    ht->offs[0] = 0;
    *out = ht;
    return KN_OK;
}

void kn_hash_table_free(kn_hash_table *ht) {
    if (!ht) return;
    kn_free(ht->slots);
    kn_free(ht->offs);
    kn_buf_free(&ht->keys);
    kn_free(ht);
}

static inline bool key_is(const kn_hash_table *ht, uint32_t index, const void *key, size_t len) {
    uint64_t at = ht->offs[index];
    return ht->offs[index + 1] - at == len && (len == 0 || memcmp(ht->keys.data + at, key, len) == 0);
}

/* The slot that holds `key`, or the empty slot where it would go. */
static inline size_t probe(const kn_hash_table *ht, const void *key, size_t len, uint64_t hash) {
    size_t i = (size_t)hash & ht->mask;
    for (;;) {
        const slot *s = &ht->slots[i];
        if (s->gen != ht->gen || (s->hash == hash && key_is(ht, s->index, key, len))) return i;
        i = (i + 1) & ht->mask;
    }
}

/* Doubles the slot array, moving each live slot by its stored hash. */
static bool grow_slots(kn_hash_table *ht) {
    size_t cap = 2 * (ht->mask + 1), mask = cap - 1;
    slot *t = kn_calloc(cap, sizeof *t);
    if (!t) return false;
    for (size_t i = 0; i <= ht->mask; i++) {
        const slot *s = &ht->slots[i];
        if (s->gen != ht->gen) continue;
        size_t j = (size_t)s->hash & mask;
        while (t[j].gen == ht->gen) j = (j + 1) & mask;
        t[j] = *s;
    }
    kn_free(ht->slots);
    ht->slots = t;
    ht->mask = mask;
    return true;
}

kn_status kn_hash_table_insert_hashed(kn_hash_table *ht, const void *key, size_t len, uint64_t hash,
                                      size_t *index, bool *inserted, kn_error *err) {
    size_t i = probe(ht, key, len, hash);
    if (ht->slots[i].gen == ht->gen) {
        *index = ht->slots[i].index;
        *inserted = false;
        return KN_OK;
    }
    /* A new key. Everything that can fail comes first, so a failure leaves the keys as they were
     * (only capacities grow). */
    KN_RETURN_ERROR_IF(ht->count >= KN_HASH_TABLE_MAX_KEYS, err, KN_E_INTERNAL,
                       "a hash table past %zu keys; its caller should have partitioned the input",
                       KN_HASH_TABLE_MAX_KEYS);
    if (ht->count + 2 > ht->cap_offs) {
        size_t cap = 2 * ht->cap_offs;
        uint64_t *o = kn_realloc(ht->offs, cap * sizeof *o);
        if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory for a hash table");
        ht->offs = o;
        ht->cap_offs = cap;
    }
    if (!kn_buf_reserve(&ht->keys, len)) return kn_error_set(err, KN_E_NOMEM, "out of memory for hash table keys");
    if ((ht->count + 1) * 2 > ht->mask + 1) {
        if (!grow_slots(ht)) return kn_error_set(err, KN_E_NOMEM, "out of memory for a hash table");
        i = (size_t)hash & ht->mask; /* the key is absent: the first free slot is its place */
        while (ht->slots[i].gen == ht->gen) i = (i + 1) & ht->mask;
    }
    if (len) memcpy(ht->keys.data + ht->keys.len, key, len);
    ht->keys.len += len;
    uint32_t n = (uint32_t)ht->count++;
    ht->offs[n + 1] = ht->keys.len;
    ht->slots[i] = (slot){hash, n, ht->gen};
    *index = n;
    *inserted = true;
    return KN_OK;
}

kn_status kn_hash_table_insert(kn_hash_table *ht, const void *key, size_t len, size_t *index,
                               bool *inserted, kn_error *err) {
    return kn_hash_table_insert_hashed(ht, key, len, kn_hash_bytes(key, len), index, inserted, err);
}

bool kn_hash_table_find_hashed(const kn_hash_table *ht, const void *key, size_t len, uint64_t hash,
                               size_t *index) {
    const slot *s = &ht->slots[probe(ht, key, len, hash)];
    if (s->gen != ht->gen) return false;
    *index = s->index;
    return true;
}

bool kn_hash_table_find(const kn_hash_table *ht, const void *key, size_t len, size_t *index) {
    return kn_hash_table_find_hashed(ht, key, len, kn_hash_bytes(key, len), index);
}

const uint8_t *kn_hash_table_key(const kn_hash_table *ht, size_t index, size_t *len) {
    *len = (size_t)(ht->offs[index + 1] - ht->offs[index]);
    return ht->keys.data ? ht->keys.data + ht->offs[index] : (const uint8_t *)"";
}

size_t kn_hash_table_count(const kn_hash_table *ht) { return ht->count; }

void kn_hash_table_clear(kn_hash_table *ht) {
    ht->count = 0;
    kn_buf_clear(&ht->keys);
    /* After 2^32 - 1 clears the stamp would come back to values old slots still hold. */
    if (++ht->gen == 0) {
        memset(ht->slots, 0, (ht->mask + 1) * sizeof *ht->slots);
        ht->gen = 1;
    }
}

size_t kn_hash_table_mem_bytes(const kn_hash_table *ht) {
    return sizeof *ht + (ht->mask + 1) * sizeof *ht->slots + ht->cap_offs * sizeof *ht->offs + ht->keys.cap;
}
