/* formats/parquet/kn_pq_dict.c: the chunk dictionary (kn_pq_dict.h). */
#include "kn_pq_dict.h"

#include <string.h>
/* Inlined, so hashing a short string costs no library call. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "kn_alloc.h"

#define INITIAL_SLOTS 1024

/* The widths whose values sit in the table (kn_pq_dict_vslot). */
static inline bool inline_width(int width) { return width == 4 || width == 8; }

kn_status kn_pq_dict_init(kn_pq_dict *d, int width, size_t limit, kn_error *err) {
    memset(d, 0, sizeof *d);
    d->width = width;
    d->limit = limit;
    if (inline_width(width)) d->vslots = kn_calloc(INITIAL_SLOTS, sizeof *d->vslots);
    else d->slots = kn_calloc(INITIAL_SLOTS, sizeof *d->slots);
    if (!d->slots && !d->vslots) return kn_error_set(err, KN_E_NOMEM, "out of memory for a dictionary");
    d->mask = INITIAL_SLOTS - 1;
    return KN_OK;
}

void kn_pq_dict_clear(kn_pq_dict *d) {
    if (d->count && d->vslots) memset(d->vslots, 0, (d->mask + 1) * sizeof *d->vslots);
    else if (d->count && d->slots) memset(d->slots, 0, (d->mask + 1) * sizeof *d->slots);
    d->count = 0;
    d->full = false;
    kn_buf_clear(&d->values);
}

kn_status kn_pq_dict_shrink(kn_pq_dict *d, kn_error *err) {
    kn_buf values = d->values;
    uint32_t count = d->count;
    bool full = d->full;
    int width = d->width;
    size_t limit = d->limit;
    d->values = (kn_buf)KN_BUF_INIT;
    kn_pq_dict_release(d);
    kn_status st = kn_pq_dict_init(d, width, limit, err);
    d->values = values;
    d->count = count;
    d->full = full;
    return st;
}

void kn_pq_dict_release(kn_pq_dict *d) {
    kn_free(d->slots);
    kn_free(d->vslots);
    kn_free(d->hashes);
    kn_free(d->starts);
    kn_buf_free(&d->values);
    memset(d, 0, sizeof *d);
}

static inline uint64_t slot_of(uint64_t hash, uint32_t idx) {
    return (hash & 0xFFFFFFFF00000000ull) | ((uint64_t)idx + 1);
}

/* The hash of a fixed-width value: 4- and 8-byte values (most columns) through a 64-bit
 * finalizer (splitmix64's), which spreads every input bit over the slot index and the tag alike
 * at a fraction of a hash call's cost; other widths through XXH3. Only the table's layout
 * depends on the hash: entry indices follow first appearance, so the bytes written do not. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t hash_fixed(const uint8_t *p, size_t w) {
    if (w == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return mix64(v);
    }
    if (w == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return mix64((uint64_t)v | 0x100000000ull);
    }
    return XXH3_64bits(p, w);
}

/* The hash of a byte array: strings of up to 16 bytes (most dictionary strings: codes, names,
 * statuses) as one or two overlapping words through the same finalizer, inline; longer ones
 * through XXH3. As for hash_fixed, only the table's layout depends on it. */
static inline uint64_t hash_bytes(const uint8_t *p, size_t len) {
    if (len > 16) return XXH3_64bits(p, len);
    uint64_t a, b;
    if (len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + len - 4, 4);
        a = x;
        b = y;
    } else {
        a = len ? (uint64_t)p[0] | (uint64_t)p[len >> 1] << 8 | (uint64_t)p[len - 1] << 16 : 0;
        b = 0;
    }
    return mix64(a ^ (b * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)len << 56));
}

/* Tables of 4- and 8-byte values hold them inline (one cache line a probe) up to this many
 * slots (1 MiB): past it, a table misses the cache either way, and a folder's encoders (many
 * at once in a partitioned write) would hold 16 bytes a slot; the dictionary moves to the
 * compact table (8 bytes a slot, the value read from `values`), filled up to 3/4. */
#define VTABLE_MAX_SLOTS ((size_t)1 << 16)

/* Whether the compact table should grow: at half full while it is small (short probes in the
 * cache), at 3/4 once it is past VTABLE_MAX_SLOTS (its tags spare most lookups a compare). */
static inline bool table_full(const kn_pq_dict *d) {
    size_t size = d->mask + 1;
    return size >= VTABLE_MAX_SLOTS ? (size_t)d->count * 4 > size * 3 : (size_t)d->count * 2 > size;
}

/* Entry i's hash: kept for byte arrays, computed again for fixed widths (cheap, and no 8 bytes
 * an entry). */
static inline uint64_t entry_hash(const kn_pq_dict *d, uint32_t i) {
    return d->width ? hash_fixed(d->values.data + (size_t)i * (size_t)d->width, (size_t)d->width) : d->hashes[i];
}

/* The compact table at `size` slots, every entry placed again. */
static bool rebuild_table(kn_pq_dict *d, size_t size) {
    uint64_t *slots = kn_calloc(size, sizeof *slots);
    if (!slots) return false;
    size_t mask = size - 1;
    for (uint32_t i = 0; i < d->count; i++) {
        uint64_t h = entry_hash(d, i);
        size_t s = (size_t)h & mask;
        while (slots[s]) s = (s + 1) & mask;
        slots[s] = slot_of(h, i);
    }
    kn_free(d->slots);
    kn_free(d->vslots);
    d->vslots = NULL;
    d->slots = slots;
    d->mask = mask;
    return true;
}

/* Byte arrays keep each entry's hash and start. */
static bool grow_entries(kn_pq_dict *d) {
    size_t cap = d->entry_cap ? d->entry_cap * 2 : 1024;
    uint64_t *h = kn_realloc(d->hashes, cap * sizeof *h);
    if (!h) return false;
    d->hashes = h;
    size_t *s = kn_realloc(d->starts, cap * sizeof *s);
    if (!s) return false;
    d->starts = s;
    d->entry_cap = cap;
    return true;
}

/* Equality without a library call for the common short values. */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, size_t len) {
    if (len == 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x == y;
    }
    if (len == 4) {
        uint32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x == y;
    }
    if (len > 8 && len <= 16) { /* two overlapping words cover it */
        uint64_t x, y, u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + len - 8, 8);
        memcpy(&v, b + len - 8, 8);
        return x == y && u == v;
    }
    if (len > 4 && len < 8) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + len - 4, 4);
        memcpy(&v, b + len - 4, 4);
        return x == y && u == v;
    }
    if (len < 4) {
        for (size_t i = 0; i < len; i++)
            if (a[i] != b[i]) return false;
        return true;
    }
    if (len <= 32) { /* the first and the last 16 bytes, overlapping */
        uint64_t x[4], y[4];
        memcpy(&x[0], a, 8);
        memcpy(&x[1], a + 8, 8);
        memcpy(&x[2], a + len - 16, 8);
        memcpy(&x[3], a + len - 8, 8);
        memcpy(&y[0], b, 8);
        memcpy(&y[1], b + 8, 8);
        memcpy(&y[2], b + len - 16, 8);
        memcpy(&y[3], b + len - 8, 8);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
    }
    return memcmp(a, b, len) == 0;
}

/* Finds `p` or inserts it. Returns the index, UINT32_MAX when the bound stops it (d->full),
 * UINT32_MAX - 1 when memory runs out. Inlined by force: as a call (GCC's choice) its prologue
 * and spills cost about as much as the probe of a small table. */
static inline __attribute__((always_inline)) uint32_t lookup(kn_pq_dict *d, const uint8_t *p, size_t len,
                                                             uint64_t h) {
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    size_t s = (size_t)h & d->mask;
    for (;;) {
        uint64_t slot = d->slots[s];
        if (!slot) break;
        if ((slot & 0xFFFFFFFF00000000ull) == tag) {
            uint32_t e = (uint32_t)slot - 1;
            size_t elen;
            const uint8_t *ep = kn_pq_dict_entry(d, e, &elen);
            if (elen == len && same_bytes(ep, p, len)) return e;
        }
        s = (s + 1) & d->mask;
    }
    size_t need = d->width ? len : len + 4;
    if (need > d->limit - d->values.len || d->count >= UINT32_MAX - 2) {
        d->full = true;
        return UINT32_MAX;
    }
    if (!d->width && d->count == d->entry_cap && !grow_entries(d)) return UINT32_MAX - 1;
    if (!kn_buf_reserve(&d->values, need)) return UINT32_MAX - 1;
    uint32_t idx = d->count++;
    if (d->width) {
        memcpy(d->values.data + d->values.len, p, len);
    } else {
        d->hashes[idx] = h;
        uint32_t l = (uint32_t)len;
        memcpy(d->values.data + d->values.len, &l, 4);
        if (len) memcpy(d->values.data + d->values.len + 4, p, len);
        d->starts[idx] = d->values.len + 4;
    }
    d->values.len += need;
    d->slots[s] = slot_of(h, idx);
    if (table_full(d) && !rebuild_table(d, (d->mask + 1) * 2)) {
        /* The entry is in; the table is merely fuller than we like. Report memory now so the
         * caller stops cleanly rather than filling the table to the brim later. */
        return UINT32_MAX - 1;
    }
    return idx;
}

/* ---- 4- and 8-byte values: the table holds them (kn_pq_dict.h) ---------------------------- */

static inline uint64_t load_value(const uint8_t *p, size_t w) {
    if (w == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The inline table at `size` slots, every entry placed again. */
static bool rebuild_vtable(kn_pq_dict *d, size_t size) {
    size_t mask = size - 1, w = (size_t)d->width;
    kn_pq_dict_vslot *slots = kn_calloc(size, sizeof *slots);
    if (!slots) return false;
    for (uint32_t i = 0; i < d->count; i++) {
        const uint8_t *p = d->values.data + (size_t)i * w;
        size_t s = (size_t)hash_fixed(p, w) & mask;
        while (slots[s].entry) s = (s + 1) & mask;
        slots[s].value = load_value(p, w);
        slots[s].entry = (uint64_t)i + 1;
    }
    kn_free(d->vslots);
    d->vslots = slots;
    d->mask = mask;
    return true;
}

/* lookup() for a 4- or 8-byte value `v` (its bytes at `p`, hashed to `h`). */
static inline uint32_t lookup_value(kn_pq_dict *d, uint64_t v, const uint8_t *p, uint64_t h) {
    size_t s = (size_t)h & d->mask;
    kn_pq_dict_vslot *sl;
    for (;;) {
        sl = &d->vslots[s];
        if (!sl->entry) break;
        if (sl->value == v) return (uint32_t)(sl->entry - 1);
        s = (s + 1) & d->mask;
    }
    size_t w = (size_t)d->width;
    if (w > d->limit - d->values.len || d->count >= UINT32_MAX - 2) {
        d->full = true;
        return UINT32_MAX;
    }
    if (!kn_buf_reserve(&d->values, w)) return UINT32_MAX - 1;
    uint32_t idx = d->count++;
    memcpy(d->values.data + d->values.len, p, w);
    d->values.len += w;
    sl->value = v;
    sl->entry = (uint64_t)idx + 1;
    if ((size_t)d->count * 2 > d->mask + 1) { /* as lookup(): the entry is in either way */
        /* Past the inline table's size: the compact one, as many slots (half the bytes). */
        bool ok = d->mask + 1 >= VTABLE_MAX_SLOTS ? rebuild_table(d, d->mask + 1) : rebuild_vtable(d, (d->mask + 1) * 2);
        if (!ok) return UINT32_MAX - 1;
    }
    return idx;
}

void kn_pq_dict_sleep(kn_pq_dict *d) {
    if (!d->slots && !d->vslots) return;
    kn_free(d->slots);
    kn_free(d->vslots);
    d->slots = NULL;
    d->vslots = NULL;
    d->mask = 0;
    d->asleep = true;
}

/* The table again after kn_pq_dict_sleep, as large as the entries need: inline for 4- and
 * 8-byte values while they fit its half-full rule, compact otherwise. */
static bool wake(kn_pq_dict *d) {
    size_t size = INITIAL_SLOTS;
    if (inline_width(d->width) && (size_t)d->count * 2 <= VTABLE_MAX_SLOTS) {
        while ((size_t)d->count * 2 > size) size *= 2;
        if (!rebuild_vtable(d, size)) return false;
    } else {
        for (;;) {
            d->mask = size - 1;
            if (!table_full(d)) break;
            size *= 2;
        }
        if (!rebuild_table(d, size)) return false;
    }
    d->asleep = false;
    return true;
}

/* A put's first step: the table, built again if the dictionary sleeps. */
static bool awake(kn_pq_dict *d, kn_error *err) {
    if (!d->asleep || wake(d)) return true;
    kn_error_set(err, KN_E_NOMEM, "out of memory for a dictionary");
    return false;
}

static inline bool present(const uint8_t *validity, size_t bit) {
    return !validity || ((validity[bit >> 3] >> (bit & 7)) & 1u);
}

/* A table of at most 32 KiB stays in the first-level cache. */
static inline bool small_table(const kn_pq_dict *d) {
    return d->vslots ? d->mask < 2048 : d->mask < 4096;
}

/* Where a put call stops when lookup refused row i's value (UINT32_MAX: the bound; UINT32_MAX - 1:
 * no memory): the rows taken, or (size_t)-1 with the error in `err`. */
static size_t refused(uint32_t e, size_t i, size_t k, size_t *nidx, kn_error *err) {
    *nidx = k;
    if (e == UINT32_MAX) return i;
    kn_error_set(err, KN_E_NOMEM, "out of memory growing a dictionary");
    return (size_t)-1;
}

/* Tables past the first-level cache miss on nearly every value, so their loops prefetch: value
 * i + AHEAD is hashed and its slot requested as value i is looked up, and each lookup finds its
 * line on the way. Small tables take no prefetch (nothing to hide). */
#define AHEAD 16

/* put_inline's stop after row i, whose value moved the dictionary to the compact table: the
 * rest goes through put_compact. */
static size_t moved_to_compact(size_t i, size_t k, size_t *nidx) {
    *nidx = k;
    return i + 1;
}

/* kn_pq_dict_put_fixed for the widths whose values sit in the table. */
static size_t put_inline(kn_pq_dict *d, const uint8_t *values, const uint8_t *validity, size_t bit_offset, size_t n,
                         uint32_t *idx, size_t *nidx, kn_error *err) {
    size_t w = (size_t)d->width, k = *nidx;
    if (small_table(d)) {
        for (size_t i = 0; i < n; i++) {
            if (!present(validity, bit_offset + i)) continue;
            const uint8_t *p = values + i * w;
            uint32_t e = lookup_value(d, load_value(p, w), p, hash_fixed(p, w));
            if (e >= UINT32_MAX - 1) return refused(e, i, k, nidx, err);
            idx[k++] = e;
            if (!d->vslots) return moved_to_compact(i, k, nidx);
        }
        *nidx = k;
        return n;
    }
    uint64_t hs[AHEAD];
    for (size_t j = 0; j < n && j < AHEAD; j++) {
        hs[j] = hash_fixed(values + j * w, w);
        __builtin_prefetch(&d->vslots[(size_t)hs[j] & d->mask]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hs[i % AHEAD];
        if (i + AHEAD < n) {
            hs[i % AHEAD] = hash_fixed(values + (i + AHEAD) * w, w);
            __builtin_prefetch(&d->vslots[(size_t)hs[i % AHEAD] & d->mask]);
        }
        if (!present(validity, bit_offset + i)) continue;
        const uint8_t *p = values + i * w;
        uint32_t e = lookup_value(d, load_value(p, w), p, h);
        if (e >= UINT32_MAX - 1) return refused(e, i, k, nidx, err);
        idx[k++] = e;
        if (!d->vslots) return moved_to_compact(i, k, nidx);
    }
    *nidx = k;
    return n;
}

/* kn_pq_dict_put_fixed on the compact table. */
static size_t put_compact(kn_pq_dict *d, const uint8_t *values, const uint8_t *validity, size_t bit_offset, size_t n,
                          uint32_t *idx, size_t *nidx, kn_error *err) {
    size_t w = (size_t)d->width, k = *nidx;
    bool prefetch = !small_table(d);
    uint64_t hs[AHEAD];
    for (size_t j = 0; prefetch && j < n && j < AHEAD; j++) {
        hs[j] = hash_fixed(values + j * w, w);
        __builtin_prefetch(&d->slots[(size_t)hs[j] & d->mask]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = 0;
        if (prefetch) {
            h = hs[i % AHEAD];
            if (i + AHEAD < n) {
                hs[i % AHEAD] = hash_fixed(values + (i + AHEAD) * w, w);
                __builtin_prefetch(&d->slots[(size_t)hs[i % AHEAD] & d->mask]);
            }
        }
        if (!present(validity, bit_offset + i)) continue;
        if (!prefetch) h = hash_fixed(values + i * w, w);
        uint32_t e = lookup(d, values + i * w, w, h);
        if (e >= UINT32_MAX - 1) return refused(e, i, k, nidx, err);
        idx[k++] = e;
    }
    *nidx = k;
    return n;
}

size_t kn_pq_dict_put_fixed(kn_pq_dict *d, const uint8_t *values, const uint8_t *validity,
                            size_t bit_offset, size_t n, uint32_t *idx, size_t *nidx,
                            kn_error *err) {
    if (!awake(d, err)) return (size_t)-1;
    size_t done = 0;
    if (d->vslots) {
        done = put_inline(d, values, validity, bit_offset, n, idx, nidx, err);
        if (done == (size_t)-1 || done == n || d->vslots || d->full) return done;
    }
    size_t w = (size_t)d->width;
    size_t took = put_compact(d, values + done * w, validity, bit_offset + done, n - done, idx, nidx, err);
    return took == (size_t)-1 ? took : done + took;
}

size_t kn_pq_dict_put_bytes(kn_pq_dict *d, const uint32_t *offsets, const uint8_t *bytes,
                            const uint8_t *validity, size_t bit_offset, size_t n, uint32_t *idx,
                            size_t *nidx, kn_error *err) {
    if (!awake(d, err)) return (size_t)-1;
    size_t k = *nidx;
    if (small_table(d)) {
        for (size_t i = 0; i < n; i++) {
            if (!present(validity, bit_offset + i)) continue;
            const uint8_t *p = bytes + offsets[i];
            size_t len = offsets[i + 1] - offsets[i];
            uint32_t e = lookup(d, p, len, hash_bytes(p, len));
            if (e >= UINT32_MAX - 1) return refused(e, i, k, nidx, err);
            idx[k++] = e;
        }
        *nidx = k;
        return n;
    }
    uint64_t hs[AHEAD];
    for (size_t j = 0; j < n && j < AHEAD; j++) {
        hs[j] = hash_bytes(bytes + offsets[j], offsets[j + 1] - offsets[j]);
        __builtin_prefetch(&d->slots[(size_t)hs[j] & d->mask]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hs[i % AHEAD];
        if (i + AHEAD < n) {
            size_t a = i + AHEAD;
            hs[i % AHEAD] = hash_bytes(bytes + offsets[a], offsets[a + 1] - offsets[a]);
            __builtin_prefetch(&d->slots[(size_t)hs[i % AHEAD] & d->mask]);
        }
        if (!present(validity, bit_offset + i)) continue;
        uint32_t e = lookup(d, bytes + offsets[i], offsets[i + 1] - offsets[i], h);
        if (e >= UINT32_MAX - 1) return refused(e, i, k, nidx, err);
        idx[k++] = e;
    }
    *nidx = k;
    return n;
}
