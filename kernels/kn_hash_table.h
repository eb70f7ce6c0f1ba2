/* kernels/kn_hash_table.h: a hash table that numbers byte-string keys: each distinct key gets a
 * dense index 0, 1, 2, ... in the order keys were first inserted.
 *
 * The dense index is what callers keep their own data by (a partition's counts, a group's
 * aggregate state, a join build row): plain arrays indexed by it, no pointer per entry. The table
 * owns a copy of every key, one after another in one buffer, so key i can be read back (a
 * partition's folder path, a group's key to write out) without the caller keeping it.
 *
 * Layout: open addressing with linear probing over a power-of-two array of 16-byte slots, each
 * holding the key's full 64-bit hash, its index, and a generation stamp. Probes compare the hash
 * before the bytes, so a lookup touches key bytes only on a real match (or a 64-bit collision).
 * The load stays at most 1/2 and the slot array doubles as keys arrive; growing moves slots by
 * their stored hash without reading a key. Clearing bumps the generation instead of zeroing the
 * slots, so a table reused per batch costs O(1) to empty however large it once grew.
 *
 * Hash: kn_hash_bytes (XXH3) for the plain calls. The _hashed calls take the caller's hash,
 * so a caller can hash a column of keys at once or use a cheaper hash for short keys; every call
 * on one table must then use the same function (equal keys, equal hashes), and its low bits must
 * depend on every key byte, since they pick the slot.
 *
 * Memory goes through kn_alloc and is the table's; the table never shrinks until freed. Not
 * thread-safe: one table per thread, or one writer and no readers at a time. */
#ifndef KN_HASH_TABLE_H
#define KN_HASH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

typedef struct kn_hash_table kn_hash_table; /* opaque */

/* Indexes are kept in 32 bits (slots stay 16 bytes); a caller that may see more distinct keys
 * partitions its input first, as the blocking steps do when they spill by hash partition. */
#define KN_HASH_TABLE_MAX_KEYS ((size_t)UINT32_MAX)

/* The hash the plain calls use: XXH3, 64 bits, seed 0. */
uint64_t kn_hash_bytes(const void *key, size_t len);

/* Creates an empty table with room for about `expected_keys` keys before it first grows (0: a
 * small default). Fails with KN_E_NOMEM, leaving *out NULL. */
kn_status kn_hash_table_create(size_t expected_keys, kn_hash_table **out, kn_error *err);

/* Frees the table and every key it holds. Accepts NULL. */
void kn_hash_table_free(kn_hash_table *ht);

/* Finds `key` (`len` bytes, borrowed for the call; may hold NUL bytes; may be NULL when `len` is
 * 0), or adds a copy of it with the next index. Sets *index to its index and *inserted to whether
 * it was new. Fails with KN_E_NOMEM, or KN_E_INTERNAL past KN_HASH_TABLE_MAX_KEYS keys; the
 * table is then as it was. Adding a key may move every key's bytes (see kn_hash_table_key). */
kn_status kn_hash_table_insert(kn_hash_table *ht, const void *key, size_t len, size_t *index,
                               bool *inserted, kn_error *err);
/* The same with the caller's `hash` of the key (see the header comment). */
kn_status kn_hash_table_insert_hashed(kn_hash_table *ht, const void *key, size_t len, uint64_t hash,
                                      size_t *index, bool *inserted, kn_error *err);

/* True, with *index set, when `key` (borrowed for the call) is in the table. */
bool kn_hash_table_find(const kn_hash_table *ht, const void *key, size_t len, size_t *index);
/* The same with the caller's `hash` of the key. */
bool kn_hash_table_find_hashed(const kn_hash_table *ht, const void *key, size_t len, uint64_t hash,
                               size_t *index);

/* The bytes of the key with index `index` (< kn_hash_table_count) and their length. The pointer
 * is the table's (never NULL, even for the empty key) and stays valid until a key is added, or
 * the table is cleared or freed. */
const uint8_t *kn_hash_table_key(const kn_hash_table *ht, size_t index, size_t *len);

/* The number of distinct keys: the next index to be handed out. */
size_t kn_hash_table_count(const kn_hash_table *ht);

/* Removes every key, keeping the memory, so indexes start again at 0. O(1) (once in 2^32 clears,
 * O(slots)). */
void kn_hash_table_clear(kn_hash_table *ht);

/* Bytes the table holds (slots, key bytes and offsets, at capacity): for memory limits. */
size_t kn_hash_table_mem_bytes(const kn_hash_table *ht);

#endif
