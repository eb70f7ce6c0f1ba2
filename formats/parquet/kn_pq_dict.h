/* formats/parquet/kn_pq_dict.h: the dictionary of one column chunk: distinct values in order of
 * first appearance, their PLAIN encoding (the dictionary page body), and value -> index lookup.
 *
 * An open-addressing hash table keyed by a hash of the value's PLAIN bytes (a 64-bit finalizer
 * for 4- and 8-byte values and strings of up to 16 bytes, XXH3 for the rest), values compared byte for byte (so DOUBLE compares bit for
 * bit: -0.0 and +0.0, or two NaN payloads, stay distinct values and round-trip exactly).
 * 4- and 8-byte values (most numeric columns) sit in the table itself, so a probe costs one
 * cache line, not a second miss on the entry, until the table passes 1 MiB (some 32,000
 * values): there it misses the cache either way, and the dictionary moves to the compact table
 * of the other widths (a tag and an index, 8 bytes a slot, filled up to 3/4), which a
 * partitioned write's many open encoders can afford.
 * The dictionary has a byte bound: a value whose entry would push the PLAIN dictionary past it is
 * not added, and the put calls stop there so the column writer can cut the page and fall back to
 * PLAIN for the rest of the chunk. One dictionary per column writer; no shared state. */
#ifndef KN_PQ_DICT_H
#define KN_PQ_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_status.h"

/* A table slot of a dictionary of 4- or 8-byte values: the value (zero-extended), and its entry
 * index + 1 (0 = empty). */
typedef struct kn_pq_dict_vslot {
    uint64_t value;
    uint64_t entry;
} kn_pq_dict_vslot;

typedef struct kn_pq_dict {
    int width;       /* bytes per value for fixed-width types; 0 for BYTE_ARRAY */
    size_t limit;    /* the most bytes `values` may hold */
    kn_buf values;   /* PLAIN encoding of the entries, in index order (owned) */
    uint32_t count;  /* entries */
    uint64_t *slots; /* the compact hash table: high 32 bits of the hash, entry index + 1
                      * (0 = empty), so a probe looks at an entry only when its hash likely
                      * matches (owned); NULL when vslots is used */
    kn_pq_dict_vslot *vslots; /* widths 4 and 8 while small: the table, values inline (owned) */
    size_t mask;     /* table size - 1 */
    uint64_t *hashes;   /* BYTE_ARRAY: per entry, for rehashing (owned) */
    size_t *starts;     /* BYTE_ARRAY: where each entry's bytes start in `values` (owned) */
    size_t entry_cap;
    bool full;          /* a value did not fit under `limit` */
    bool asleep;        /* kn_pq_dict_sleep let the table go: the next put builds it again */
} kn_pq_dict;

kn_status kn_pq_dict_init(kn_pq_dict *d, int width, size_t limit, kn_error *err);
/* True between a successful init and release. */
static inline bool kn_pq_dict_ready(const kn_pq_dict *d) { return d->slots || d->vslots || d->asleep; }
/* Forgets every entry, keeping memory: the next chunk starts. */
void kn_pq_dict_clear(kn_pq_dict *d);
void kn_pq_dict_release(kn_pq_dict *d);
/* For a chunk that stopped adding to its dictionary: keeps the entries' PLAIN bytes and count
 * (the dictionary page still to write) and lets go of the lookup (table, hashes, starts) for an
 * empty table of the first size. No entry may be looked up or put until kn_pq_dict_clear. On
 * failure (KN_E_NOMEM) the dictionary is not ready (kn_pq_dict_ready) but its values are kept. */
kn_status kn_pq_dict_shrink(kn_pq_dict *d, kn_error *err);
/* Lets go of the hash table, keeping every entry: a dictionary that waits long between puts
 * (an idle folder's, in a partitioned write) then holds only its entries. The next put builds
 * the table again from them (a cost in proportion to the entries), and the indices do not
 * change. */
void kn_pq_dict_sleep(kn_pq_dict *d);
/* Bytes the hash table itself takes (the entries aside). */
static inline size_t kn_pq_dict_table_bytes(const kn_pq_dict *d) {
    return d->vslots ? (d->mask + 1) * sizeof *d->vslots : d->slots ? (d->mask + 1) * sizeof *d->slots : 0;
}

/* Maps the present values among rows [0, n) of a fixed-width array (`validity` may be NULL; read
 * from bit `bit_offset`) to indices appended at idx[*nidx...] (room for n). Stops before the
 * first row whose new value would overflow the bound (setting d->full). Returns the rows taken,
 * or (size_t)-1 with KN_E_NOMEM in `err`. */
size_t kn_pq_dict_put_fixed(kn_pq_dict *d, const uint8_t *values, const uint8_t *validity,
                            size_t bit_offset, size_t n, uint32_t *idx, size_t *nidx,
                            kn_error *err);
/* The same for byte arrays: value i is bytes[offsets[i] .. offsets[i+1]). */
size_t kn_pq_dict_put_bytes(kn_pq_dict *d, const uint32_t *offsets, const uint8_t *bytes,
                            const uint8_t *validity, size_t bit_offset, size_t n, uint32_t *idx,
                            size_t *nidx, kn_error *err);

/* Entry i's value bytes (without the BYTE_ARRAY length prefix). */
static inline const uint8_t *kn_pq_dict_entry(const kn_pq_dict *d, uint32_t i, size_t *len) {
    if (d->width) {
        *len = (size_t)d->width;
        return d->values.data + (size_t)i * (size_t)d->width;
    }
    size_t s = d->starts[i];
    uint32_t l;
    memcpy(&l, d->values.data + s - 4, 4);
    *len = l;
    return d->values.data + s;
}

#endif
