/* engine/exec/kn_part_route.c: the per-batch partition router (contract in kn_part_route.h).
 *
 * One pass over the rows encodes each row's partition values as a "value key" and maps it to a
 * group through an open-addressing table; a second table, keyed by folder path (the kernel
 * kn_hash_table.h), numbers the groups and merges value keys that print the same folder. A stable
 * counting sort then lays out each group's rows. Both tables empty in O(1) per batch (generation
 * stamps per slot), however large they once grew.
 *
 * The value-key table stays a table of its own, in this file, because it runs once per row: its
 * keys are encoded in place at the end of rt->vk and kept by moving the end (the kernel would copy
 * each new key), compared as whole 8-byte words (the kernel calls memcmp), hashed inline, and
 * probed inline in the row loop (the kernel is a call per probe). The path table runs once per
 * new value key in a batch, where none of that counts. */
#include "kn_part_route.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_hash_table.h"

/* How one key's value is written into the value key, after a null flag byte (0: null, and
 * nothing follows; 1: the value follows). Every kind has a fixed width except strings, which
 * carry a 4-byte length first; with the key order fixed by the spec, that makes the encoding
 * injective. Derived keys store the derived value (the month, not the timestamp), so that all
 * rows of one month share one value key and one table entry. */
typedef enum vk_kind {
    VK_BOOL,  /* one byte, 0 or 1, read as kn_part_value_append reads it (any non-zero is true) */
    VK_FIX4,  /* INT32, DATE: the raw 4 bytes */
    VK_FIX8,  /* INT64, TIMESTAMP, FLOAT64, DECIMAL p <= 18: the raw 8 bytes */
    VK_FIX16, /* DECIMAL p > 18: the raw kn_i128 */
    VK_STR,   /* 4-byte length, then the bytes from the next word boundary, zero-padded */
    VK_YEAR,  /* int32 year */
    VK_MONTH, /* one byte, 1..12 */
    VK_DAY,   /* one byte, 1..31 */
    VK_HOUR,  /* one byte, 0..23 */
    VK_DATE   /* int32 days since 1970-01-01 (micros / a day fits in 31 bits) */
} vk_kind;

/* Bytes after the null flag, for the fixed-width kinds (strings: their length prefix). */
static size_t kind_width(vk_kind k) {
    switch (k) {
    case VK_BOOL: case VK_MONTH: case VK_DAY: case VK_HOUR: return 1;
    case VK_FIX4: case VK_STR: case VK_YEAR: case VK_DATE: return 4;
    case VK_FIX8: return 8;
    case VK_FIX16: return 16;
    }
    return 16;
}

/* A value-key table slot: the key's bytes live in rt->vk at [off, off + len). */
typedef struct vk_slot {
    uint64_t hash;
    uint64_t off;
    uint64_t len;
    uint32_t group;
    uint32_t gen; /* the slot is in use only when this is the router's current generation */
} vk_slot;

#define CIVIL_MEMO 1024

/* When every key derives from one column's day (year, month, day or date of one timestamp or
 * date column: the common year(ts),month(ts)), a row's folder follows from its day number
 * alone, so this batch's group of each recent day is kept, direct-mapped by the day's low bits,
 * and a hit skips the value key, its hash and its table probe. */
#define DAY_MEMO 1024
typedef struct day_slot {
    int64_t days;
    uint32_t group;
    uint32_t gen; /* valid only in the router's current generation (this batch) */
} day_slot;

struct kn_part_router {
    const kn_part_spec *spec; /* borrowed */
    vk_kind kind[KN_PART_MAX_KEYS];
    size_t fixed_bound; /* the most bytes a value key takes, strings' bytes and padding aside */
    uint32_t gen;
    /* Civil dates of recent day numbers, direct-mapped by the low bits of the day: a batch's
     * timestamps usually span few days (or a few years: about a thousand), and the calendar
     * arithmetic is the costliest part of a year/month/day key. Each entry packs
     * (days << 32) | (year << 9) | (month << 5) | day; month 0 marks an empty entry. */
    uint64_t civil[CIVIL_MEMO];
    bool by_day; /* every key derives from the day of spec->keys[0].column */
    day_slot day_memo[DAY_MEMO];

    vk_slot *vtab;
    size_t vcap, vcount; /* vcap a power of two */
    kn_buf vk; /* the distinct value keys of this batch, then the row being encoded */

    kn_hash_table *paths; /* this batch's folder paths; a path's index is its group */
    kn_buf path;          /* the path being formatted */
    size_t num_groups;    /* of the last grouping: 0 after a failure */
    uint32_t *offs; /* num_groups + 1: group g's rows are rows[offs[g] .. offs[g + 1]) */
    size_t cap_offs;
    uint32_t *row_group; /* the group of each row, before the sort */
    uint32_t *rows;
    size_t cap_rows;
};

#define INITIAL_SLOTS 64

kn_status kn_part_router_create(const kn_part_spec *spec, kn_part_router **out, kn_error *err) {
    *out = NULL;
    kn_part_router *rt = kn_calloc(1, sizeof *rt);
    if (!rt) return kn_error_set(err, KN_E_NOMEM, "out of memory for a partition router");
    rt->spec = spec;
    if (spec->num_keys > KN_PART_MAX_KEYS) {
        kn_free(rt);
        return kn_error_set(err, KN_E_INTERNAL, "a partition spec of %zu keys; at most %d fit",
                            spec->num_keys, KN_PART_MAX_KEYS);
    }
    for (size_t k = 0; k < spec->num_keys; k++) {
        const kn_part_key *key = &spec->keys[k];
        vk_kind kind;
        switch (key->fn) {
        case KN_PART_YEAR: kind = VK_YEAR; break;
        case KN_PART_MONTH: kind = VK_MONTH; break;
        case KN_PART_DAY: kind = VK_DAY; break;
        case KN_PART_HOUR: kind = VK_HOUR; break;
        case KN_PART_DATE: kind = VK_DATE; break;
        case KN_PART_IDENTITY:
        default:
            switch (key->source_type.id) {
            case KN_TYPE_STRING: kind = VK_STR; break;
            case KN_TYPE_BOOL: kind = VK_BOOL; break;
            case KN_TYPE_INT32: case KN_TYPE_DATE: kind = VK_FIX4; break;
            case KN_TYPE_DECIMAL: kind = key->source_type.precision > 18 ? VK_FIX16 : VK_FIX8; break;
            case KN_TYPE_INT64: case KN_TYPE_FLOAT64: case KN_TYPE_TIMESTAMP: kind = VK_FIX8; break;
            case KN_TYPE_COUNT_:
            default:
                kn_free(rt);
                return kn_error_set(err, KN_E_INTERNAL, "partition key '%s': unsupported type %d",
                                    key->name, (int)key->source_type.id);
            }
            break;
        }
        rt->kind[k] = kind;
        rt->fixed_bound += 1 + kind_width(kind);
    }
    rt->fixed_bound += 8; /* the zero padding to a multiple of 8 bytes */
    rt->by_day = spec->num_keys > 0;
    for (size_t k = 0; k < spec->num_keys; k++) {
        vk_kind kind = rt->kind[k];
        kn_type_id src = spec->keys[k].source_type.id;
        if ((kind != VK_YEAR && kind != VK_MONTH && kind != VK_DAY && kind != VK_DATE) ||
            spec->keys[k].column != spec->keys[0].column || (src != KN_TYPE_TIMESTAMP && src != KN_TYPE_DATE))
            rt->by_day = false;
    }
    rt->vtab = kn_calloc(INITIAL_SLOTS, sizeof *rt->vtab);
    if (!rt->vtab || kn_hash_table_create(INITIAL_SLOTS / 2, &rt->paths, NULL) != KN_OK) {
        kn_part_router_free(rt);
        return kn_error_set(err, KN_E_NOMEM, "out of memory for a partition router");
    }
    rt->vcap = INITIAL_SLOTS;
    *out = rt;
    return KN_OK;
}

void kn_part_router_free(kn_part_router *rt) {
    if (!rt) return;
    kn_free(rt->vtab);
    kn_buf_free(&rt->vk);
    kn_hash_table_free(rt->paths);
    kn_buf_free(&rt->path);
    kn_free(rt->offs);
    kn_free(rt->row_group);
    kn_free(rt->rows);
    kn_free(rt);
}

/* Makes room for `need` elements of `size` bytes in *p, growing by doubling. */
static bool grow_array(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = kn_realloc(*p, c * size);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

/* Doubles the value-key table, keeping only this generation's slots. Load stays at most 1/2, so
 * linear probing stays short even at one group per row. */
static bool grow_vtab(kn_part_router *rt) {
    size_t cap = rt->vcap * 2, mask = cap - 1;
    vk_slot *t = kn_calloc(cap, sizeof *t); /* generation 0: empty, as the current one is >= 1 */
    if (!t) return false;
    for (size_t i = 0; i < rt->vcap; i++) {
        const vk_slot *s = &rt->vtab[i];
        if (s->gen != rt->gen) continue;
        size_t j = s->hash & mask;
        while (t[j].gen == rt->gen) j = (j + 1) & mask;
        t[j] = *s;
    }
    kn_free(rt->vtab);
    rt->vtab = t;
    rt->vcap = cap;
    return true;
}

/* The group of a value key seen for the first time at row `r`: formats the row's path and finds
 * the group that already has that path, or starts a new one (numbered in first-row order, since
 * rows are visited in order). */
static kn_status group_for_path(kn_part_router *rt, const kn_batch *b, size_t r, uint32_t *group,
                                kn_error *err) {
    kn_buf_clear(&rt->path);
    KN_TRY(kn_part_path_append(rt->spec, b, r, 0, &rt->path, err));
    size_t g;
    bool inserted;
    KN_TRY(kn_hash_table_insert(rt->paths, rt->path.data, rt->path.len, &g, &inserted, err));
    *group = (uint32_t)g; /* groups are at most rows, and a batch has under 2^32 */
    return KN_OK;
}

/* Value keys are zero-padded to a multiple of 8 bytes (and string bytes start on a word), so
 * they compare and hash as whole words without a call or a byte loop. Padding keeps the encoding
 * injective: every pad sits where the bytes before it say (fixed widths and length prefixes in
 * spec order), so equal padded keys hold equal values. */
static inline uint64_t load64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline bool key_eq(const uint8_t *a, const uint8_t *b, size_t len) {
    for (size_t i = 0; i < len; i += 8)
        if (load64(a + i) != load64(b + i)) return false;
    return true;
}

/* Short keys (every key but long strings) hash inline: a multiply-xor per word, then
 * murmur3's finalizer so the low bits that index the table depend on every input bit. Longer
 * keys go to XXH3, which is faster per byte. Any good 64-bit hash works: the table is private. */
#define INLINE_HASH_MAX 64
static inline uint64_t key_hash(const uint8_t *key, size_t len) {
    if (len > INLINE_HASH_MAX) return kn_part_path_hash(key, len);
    uint64_t h = len * UINT64_C(0x9E3779B97F4A7C15);
    for (size_t i = 0; i < len; i += 8) {
        h ^= load64(key + i) * UINT64_C(0xC2B2AE3D27D4EB4F);
        h = (h << 31 | h >> 33) * UINT64_C(0x9E3779B97F4A7C15);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xFF51AFD7ED558CCD);
    h ^= h >> 33;
    h *= UINT64_C(0xC4CEB9FE1A85EC53);
    h ^= h >> 33;
    return h;
}

/* kn_part_civil_from_days through the memo. Days from timestamps fit in 28 bits and their years
 * in 20; dates far outside that (years beyond +-4 million) are computed and not kept. */
static inline void civil_of(kn_part_router *rt, int64_t days, int64_t *y, unsigned *m, unsigned *d) {
    uint64_t *e = &rt->civil[(uint64_t)days & (CIVIL_MEMO - 1)];
    uint64_t v = *e;
    if ((v & 0x1E0u) && (int32_t)(uint32_t)(v >> 32) == (int32_t)days && days == (int32_t)days) {
        *d = (unsigned)(v & 31u);
        *m = (unsigned)(v >> 5 & 15u);
        *y = (int32_t)((uint32_t)v) >> 9;
        return;
    }
    kn_part_civil_from_days(days, y, m, d);
    if (days == (int32_t)days && *y >= -(INT64_C(1) << 22) && *y < (INT64_C(1) << 22))
        *e = (uint64_t)(uint32_t)(int32_t)days << 32 | (uint32_t)((uint32_t)*y << 9 | *m << 5 | *d);
}

/* Writes a value key a word at a time: fields gather in a register and go to memory as whole
 * 8-byte stores. Byte-sized stores read back at once as words would stall the loads that compare
 * and hash the key (store forwarding works only from a store covering the load). The key is
 * private to the router, so its byte order is the machine's. */
typedef struct key_writer {
    uint8_t *o;   /* rt->vk.data */
    size_t p;     /* bytes stored so far, from o */
    uint64_t acc; /* the word being filled, low bytes first */
    unsigned fill;
} key_writer;

/* Appends the low `nbytes` (1 to 8) bytes of `v` (the bytes above them are zero). */
static inline void kw_put(key_writer *w, uint64_t v, unsigned nbytes) {
    if (w->fill + nbytes < 8) {
        w->acc |= v << (8 * w->fill);
        w->fill += nbytes;
        return;
    }
    unsigned room = 8 - w->fill; /* 1..8 */
    w->acc |= v << (8 * w->fill);
    memcpy(w->o + w->p, &w->acc, 8);
    w->p += 8;
    w->acc = room < nbytes ? v >> (8 * room) : 0;
    w->fill = nbytes - room;
}

/* Stores the partial word, zero-padded. */
static inline void kw_flush(key_writer *w) {
    if (!w->fill) return;
    memcpy(w->o + w->p, &w->acc, 8);
    w->p += 8;
    w->acc = 0;
    w->fill = 0;
}

/* Checks that every key's column is in `b` with the spec's type and enough rows, as
 * kn_part_value_append would, once per batch instead of once per row. */
static kn_status check_batch(const kn_part_router *rt, const kn_batch *b, const kn_column **cols,
                             kn_error *err) {
    KN_RETURN_ERROR_IF(!b || !b->schema, err, KN_E_INTERNAL, "partition routing got no batch");
    KN_RETURN_ERROR_IF(b->num_rows > UINT32_MAX, err, KN_E_INTERNAL,
                       "partition routing got a batch of %zu rows; at most 2^32 - 1 fit", b->num_rows);
    for (size_t k = 0; k < rt->spec->num_keys; k++) {
        const kn_part_key *key = &rt->spec->keys[k];
        KN_RETURN_ERROR_IF(key->column >= b->schema->num_fields, err, KN_E_INTERNAL,
                           "partition key '%s' refers to column %zu, which the batch does not have",
                           key->name, key->column);
        const kn_column *col = &b->columns[key->column];
        KN_RETURN_ERROR_IF(!kn_type_equal(col->type, key->source_type), err, KN_E_INTERNAL,
                           "partition key '%s': the batch column is %s, the spec expected %s",
                           key->name, kn_type_name(col->type.id), kn_type_name(key->source_type.id));
        KN_RETURN_ERROR_IF(col->length < b->num_rows, err, KN_E_INTERNAL,
                           "partition key '%s': the column has %zu rows, the batch %zu", key->name,
                           col->length, b->num_rows);
        cols[k] = col;
    }
    return KN_OK;
}

#define MICROS_PER_HOUR INT64_C(3600000000)

/* Row r's day number of a date or timestamp column, and for a timestamp its micros into the day
 * (0 for a date). */
static inline int64_t day_of(const kn_column *c, size_t r, int64_t *micros_of_day) {
    int64_t days;
    *micros_of_day = 0;
    if (c->type.id == KN_TYPE_DATE) return kn_column_i32(c)[r];
    kn_part_split_micros(kn_column_i64(c)[r], &days, micros_of_day);
    return days;
}

/* Encodes each row's value key and sets row_group[r]. */
static kn_status assign_groups(kn_part_router *rt, const kn_batch *b, const kn_column *const *cols,
                               kn_error *err) {
    const kn_part_spec *spec = rt->spec;
    size_t n = b->num_rows, nk = spec->num_keys;
    uint32_t *rg = rt->row_group;
    uint64_t prev_off = 0, prev_len = 0;
    uint32_t prev_group = 0;
    for (size_t r = 0; r < n; r++) {
        day_slot *memo = NULL;
        int64_t memo_days = 0;
        if (rt->by_day && kn_column_is_valid(cols[0], r)) {
            int64_t mod;
            memo_days = day_of(cols[0], r, &mod);
            memo = &rt->day_memo[(uint64_t)memo_days & (DAY_MEMO - 1)];
            if (memo->gen == rt->gen && memo->days == memo_days) {
                rg[r] = memo->group;
                continue;
            }
        }
        if (!kn_buf_reserve(&rt->vk, rt->fixed_bound))
            return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by partition");
        size_t start = rt->vk.len;
        key_writer w = {rt->vk.data, start, 0, 0};
        /* Derived keys on one column (year(ts),month(ts)) split the value and find its civil
         * date once per row. */
        size_t memo_col = SIZE_MAX;
        int64_t days = 0, mod = 0, y = 0;
        unsigned m = 0, d = 0;
        bool have_civil = false;
        for (size_t k = 0; k < nk; k++) {
            const kn_column *c = cols[k];
            if (!kn_column_is_valid(c, r)) {
                kw_put(&w, 0, 1);
                continue;
            }
            vk_kind kind = rt->kind[k];
            switch (kind) {
            case VK_BOOL:
                kw_put(&w, kn_column_bool(c)[r] ? 0x0101u : 0x0001u, 2); /* flag, value */
                break;
            case VK_FIX4: {
                uint32_t v;
                memcpy(&v, (const uint8_t *)c->values + r * 4, 4);
                kw_put(&w, 1, 1);
                kw_put(&w, v, 4);
                break;
            }
            case VK_FIX8: {
                uint64_t v;
                memcpy(&v, (const uint8_t *)c->values + r * 8, 8);
                kw_put(&w, 1, 1);
                kw_put(&w, v, 8);
                break;
            }
            case VK_FIX16: {
                uint64_t v[2];
                memcpy(v, (const uint8_t *)c->values + r * 16, 16);
                kw_put(&w, 1, 1);
                kw_put(&w, v[0], 8);
                kw_put(&w, v[1], 8);
                break;
            }
            case VK_STR: {
                size_t len;
                const uint8_t *s = kn_column_str(c, r, &len);
                /* Room for the pending word, this string padded to words, and whatever
                 * fixed-width keys follow it. */
                if (!kn_buf_reserve(&rt->vk, (w.p - start) + 16 + len + 8 + rt->fixed_bound))
                    return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by partition");
                w.o = rt->vk.data;
                kw_put(&w, 1, 1);
                kw_put(&w, (uint32_t)len, 4); /* a batch's strings are under 4 GiB */
                kw_flush(&w);
                size_t words = (len + 7) / 8;
                if (words) {
                    memset(w.o + w.p + 8 * (words - 1), 0, 8);
                    memcpy(w.o + w.p, s, len);
                    w.p += 8 * words;
                }
                break;
            }
            case VK_YEAR: case VK_MONTH: case VK_DAY: case VK_HOUR: case VK_DATE:
                if (spec->keys[k].column != memo_col) {
                    memo_col = spec->keys[k].column;
                    have_civil = false;
                    days = day_of(c, r, &mod);
                }
                if (kind == VK_DATE) {
                    kw_put(&w, 1, 1);
                    kw_put(&w, (uint32_t)(int32_t)days, 4);
                    break;
                }
                if (kind == VK_HOUR) {
                    kw_put(&w, 1u | (uint64_t)(mod / MICROS_PER_HOUR) << 8, 2);
                    break;
                }
                if (!have_civil) {
                    civil_of(rt, days, &y, &m, &d);
                    have_civil = true;
                }
                if (kind == VK_YEAR) {
                    kw_put(&w, 1, 1);
                    kw_put(&w, (uint32_t)(int32_t)y, 4);
                } else {
                    kw_put(&w, 1u | (uint64_t)(kind == VK_MONTH ? m : d) << 8, 2);
                }
                break;
            }
        }
        kw_flush(&w); /* fixed_bound has room for the padding */
        uint8_t *o = w.o;
        size_t p = w.p;
        const uint8_t *key = o + start;
        uint64_t len = p - start;
        /* Rows often come in runs of one partition (sorted or time-ordered input). */
        if (r > 0 && len == prev_len && key_eq(o + prev_off, key, len)) {
            rg[r] = prev_group;
            if (memo) *memo = (day_slot){memo_days, prev_group, rt->gen};
            continue;
        }
        uint64_t h = key_hash(key, len);
        size_t mask = rt->vcap - 1, i = h & mask;
        const vk_slot *found = NULL;
        while (rt->vtab[i].gen == rt->gen) {
            const vk_slot *s = &rt->vtab[i];
            if (s->hash == h && s->len == len && key_eq(o + s->off, key, len)) {
                found = s;
                break;
            }
            i = (i + 1) & mask;
        }
        if (found) {
            prev_off = found->off;
            prev_group = found->group;
        } else {
            uint32_t g = 0;
            KN_TRY(group_for_path(rt, b, r, &g, err));
            rt->vk.len = p; /* keep the key: it is the table's copy */
            rt->vtab[i] = (vk_slot){h, start, len, g, rt->gen};
            if (++rt->vcount * 2 > rt->vcap && !grow_vtab(rt))
                return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by partition");
            prev_off = start;
            prev_group = g;
        }
        prev_len = len;
        rg[r] = prev_group;
        if (memo) *memo = (day_slot){memo_days, prev_group, rt->gen};
    }
    return KN_OK;
}

/* Lays out each group's rows, in input order, by a counting sort of row_group. */
static kn_status sort_rows(kn_part_router *rt, size_t n, kn_error *err) {
    size_t ng = rt->num_groups;
    if (!grow_array((void **)&rt->offs, &rt->cap_offs, ng + 1, sizeof *rt->offs))
        return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by partition");
    uint32_t *offs = rt->offs, *rows = rt->rows;
    const uint32_t *rg = rt->row_group;
    if (ng == 1) {
        for (size_t r = 0; r < n; r++) rows[r] = (uint32_t)r;
        offs[0] = 0;
        offs[1] = (uint32_t)n;
        return KN_OK;
    }
    memset(offs, 0, (ng + 1) * sizeof *offs);
    for (size_t r = 0; r < n; r++) offs[rg[r]]++;
    uint32_t sum = 0;
    for (size_t g = 0; g < ng; g++) {
        uint32_t c = offs[g];
        offs[g] = sum;
        sum += c;
    }
    /* Placing moves each offs[g] from the start of g to its end, which is the start of g + 1. */
    for (size_t r = 0; r < n; r++) rows[offs[rg[r]]++] = (uint32_t)r;
    for (size_t g = ng; g > 0; g--) offs[g] = offs[g - 1];
    offs[0] = 0;
    return KN_OK;
}

static kn_status route(kn_part_router *rt, const kn_batch *b, kn_error *err) {
    const kn_column *cols[KN_PART_MAX_KEYS];
    KN_TRY(check_batch(rt, b, cols, err));
    size_t n = b->num_rows;
    if (n == 0) return KN_OK;
    if (n > rt->cap_rows) {
        /* row_group and rows always have the same capacity. */
        size_t cap = rt->cap_rows, cap2 = rt->cap_rows;
        if (!grow_array((void **)&rt->row_group, &cap, n, sizeof *rt->row_group) ||
            !grow_array((void **)&rt->rows, &cap2, n, sizeof *rt->rows))
            return kn_error_set(err, KN_E_NOMEM, "out of memory grouping rows by partition");
        rt->cap_rows = cap;
    }

    /* A new generation empties the value-key table and the day memo. When the stamp wraps, old
     * stamps could look current, so they are cleared for real (once in 2^32 batches). */
    if (++rt->gen == 0) {
        memset(rt->vtab, 0, rt->vcap * sizeof *rt->vtab);
        memset(rt->day_memo, 0, sizeof rt->day_memo);
        rt->gen = 1;
    }
    rt->vcount = 0;
    kn_buf_clear(&rt->vk);
    kn_hash_table_clear(rt->paths);

    if (rt->spec->num_keys == 0) {
        /* Every row has the empty path: one group, no keys to read. */
        size_t g;
        bool inserted;
        KN_TRY(kn_hash_table_insert(rt->paths, NULL, 0, &g, &inserted, err));
    } else {
        KN_TRY(assign_groups(rt, b, cols, err));
    }
    rt->num_groups = kn_hash_table_count(rt->paths);
    return sort_rows(rt, n, err);
}

kn_status kn_part_route(kn_part_router *rt, const kn_batch *b, kn_error *err) {
    rt->num_groups = 0;
    kn_status st = route(rt, b, err);
    if (st != KN_OK) rt->num_groups = 0;
    return st;
}

size_t kn_part_route_groups(const kn_part_router *rt) { return rt->num_groups; }

void kn_part_route_group(const kn_part_router *rt, size_t g, const uint8_t **path, size_t *len,
                         const uint32_t **rows, size_t *n) {
    *path = kn_hash_table_key(rt->paths, g, len);
    *rows = rt->rows + rt->offs[g];
    *n = rt->offs[g + 1] - rt->offs[g];
}
