/* formats/ndjson/kn_ndjson_reader.c: stage 2 of the NDJSON reader: walks the structural index
 * (kn_ndjson_index.h) record by record, validates the JSON, and appends each member's value to
 * its column (or, in scan mode, reports it to a callback).
 *
 * The morsel is processed in windows of whole lines (about 16 KiB, so bytes and index stay in
 * the L1/L2 caches); a last line without a line feed is copied with one added, so every window ends
 * with LF and every token position is a real byte.
 *
 * Tokens come from the index; the bytes between two tokens (whitespace and the ':' or ','
 * separators, which the index leaves out) are checked here by `gap`, with a one-byte fast
 * path for compact JSON.
 *
 * Each record appends at most one value to each column, so a bad record is rolled back by
 * truncating every column to the row count it had when the record began (and a repeated key
 * by truncating its one column). Values are written straight into the column arrays after one
 * capacity check per record; strings without escapes are copied from the input as they are.
 *
 * Two paths. Records of one file nearly always list the same keys in the same order, in
 * compact JSON, with values of a few plain shapes; the fast path (fast_members) checks each
 * key against the one its position had in the last record with a single 16-byte compare and
 * stores the common value shapes with the fewest checks (store_fast). Anything else, from a
 * space after a colon to an escape, a new key order or a value that does not parse, goes to
 * the general path from that member on, which alone reports faults. The fast path never
 * accepts what the general path would refuse, nor stores a different value: tests run both
 * on the same random inputs and compare everything (kn_ndjson_fast.h turns it off). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kn_alloc.h"
#include "kn_cast.h"
#include "kn_cpu.h"
#include "kn_ndjson.h"
#include "kn_ndjson_fast.h"
#include "kn_ndjson_index.h"
#include "kn_ndjson_string.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"
#include "kn_utf8.h"

#define KN_WINDOW_BYTES (16u << 10)
#define KN_GUESS_MAX 64
#define KN_NO_BAD ((size_t)-1)
#define KN_ROOM_ROWS 256

typedef enum fkind { F_STRING, F_BOOL, F_I32, F_I64, F_F64, F_DEC64, F_DEC128, F_DATE, F_TS } fkind;

typedef struct field_info {
    const char *name;
    size_t name_len;
    fkind kind;
    uint8_t precision, scale;
    bool utc;
    bool json;     /* F_STRING whose values stay JSON texts: strings keep their quotes and escapes */
    bool nullable;
    const char *format; /* borrowed from the schema; NULL = ISO-8601 */
    uint64_t name8[2];  /* the first 16 bytes of the name, zero-padded, and which of them count */
    uint64_t mask8[2];
    /* The key as compact JSON writes it, '"' name '"' ':', so one compare checks the name, the
     * closing quote and the colon at once (see key_matches_guess). pat_len is 0 when the name
     * holds a byte that JSON must escape (then only the general path can match it). */
    const uint8_t *pat; /* in the reader's pat_bytes */
    size_t pat_len;
    uint64_t pat8[2], patmask8[2]; /* its first 16 bytes, zero-padded, and which of them count */
} field_info;

/* The field the k-th member of the last record matched (-1: none), with a copy of that
 * field's key pattern beside it, so the fast key check costs no second dependent load. */
typedef struct key_guess {
    int32_t field;
    uint32_t pat_len; /* 0: never matches raw */
    const field_info *fi; /* &fields[field], or NULL */
    uint64_t bit;         /* 1 << field for the first 64 fields (see claim_field), else 0 */
    uint64_t pat8[2], patmask8[2];
    const uint8_t *pat;
} key_guess;

/* What the member loop reads for every field, copied out of the reader once per record. Every
 * byte the loop stores into a column might alias the reader as far as the compiler knows, so
 * anything read through the reader would be loaded again after every value. */
typedef struct hot_view {
    const uint8_t *w;
    const uint32_t *ix;
    size_t win_len;
    bool has_bs; /* the window holds a backslash */
    kn_column *cols;
} hot_view;

struct kn_ndjson_reader {
    const kn_schema *schema;
    size_t nfields;
    field_info *fields;
    uint8_t *pat_bytes; /* every field's key pattern, back to back */
    uint32_t *htab; /* field index + 1, 0 = empty; open addressing */
    uint32_t hmask;
    key_guess guess[KN_GUESS_MAX]; /* what the k-th member of the last record matched */
    uint32_t *seen;              /* == gen when the field got a value in this record */
    uint32_t gen;
    kn__ndjson_index_fn index_fn;
    const char *simd_name;
    bool fast; /* the fast paths are on (tests turn them off) */

    /* the morsel */
    const uint8_t *data;
    size_t len;
    const char *name;
    uint64_t base;
    size_t pos; /* first byte of data not yet in a window */

    /* the window */
    const uint8_t *win;
    size_t win_len, win_off; /* win[0] is data[win_off] */
    uint32_t *idx;
    size_t idx_cap, ntok, ti;
    uint64_t *bs;
    size_t bs_cap;
    size_t line_start; /* in the window */
    bool win_has_bs;   /* any backslash in the window at all */
    size_t utf8_bad;   /* first invalid UTF-8 byte in the window at or after utf8_from */
    size_t utf8_from;
    uint8_t *tail;
    size_t tail_cap;

    /* scratch */
    uint8_t *key_scratch, *val_scratch;
    size_t key_cap, val_cap;
    uint64_t stack[KN_NDJSON_MAX_DEPTH / 64 + 1]; /* bit set: that nesting level is an object */

    /* the batch being filled, and scan mode */
    kn_column *cols;
    size_t row0; /* rows when the current record began */
    size_t room; /* rows every column can take without growing */
    kn_ndjson_member_fn scan_fn;
    void *scan_ctx;

    uint64_t records;
    uint64_t bad_off;
    const uint8_t *bad_ptr;
    size_t bad_len;
};

void kn_ndjson_options_init(kn_ndjson_options *opt) { opt->simd = KN_NDJSON_SIMD_AUTO; }

/* ---- set-up ------------------------------------------------------------------------------ */

static uint32_t hash_key(const uint8_t *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static kn_status grow(void **p, size_t *cap, size_t need, size_t elem, kn_error *err) {
    if (need <= *cap) return KN_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = kn_realloc(*p, c * elem);
    if (!q) return kn_error_set(err, KN_E_NOMEM, "out of memory in the NDJSON reader (%zu bytes)", c * elem);
    *p = q;
    *cap = c;
    return KN_OK;
}

/* Writes '"' name '"' ':' at `at` (name_len + 3 bytes) and fills fi's pattern fields. */
static void set_key_pattern(field_info *fi, uint8_t *at) {
    size_t n = fi->name_len;
    at[0] = '"';
    memcpy(at + 1, fi->name, n);
    at[n + 1] = '"';
    at[n + 2] = ':';
    fi->pat = at;
    fi->pat_len = n + 3;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)fi->name[i];
        if (c == '"' || c == '\\' || c < 0x20) fi->pat_len = 0; /* written escaped, never raw */
    }
    uint8_t padded[16] = {0};
    size_t k = fi->pat_len < 16 ? fi->pat_len : 16;
    memcpy(padded, at, k);
    memcpy(fi->pat8, padded, 16);
    size_t k0 = k < 8 ? k : 8, k1 = k - k0;
    fi->patmask8[0] = k0 == 8 ? ~0ull : (1ull << (8 * k0)) - 1;
    fi->patmask8[1] = k1 == 8 ? ~0ull : (1ull << (8 * k1)) - 1;
}

/* Points guess slot kg at field f (fi; -1 and NULL for none), copying its key pattern. */
static void set_guess(key_guess *kg, long f, const field_info *fi) {
    *kg = (key_guess){.field = (int32_t)f, .fi = fi, .bit = f >= 0 && f < 64 ? 1ull << f : 0};
    if (fi && fi->pat_len) {
        kg->pat_len = (uint32_t)fi->pat_len;
        memcpy(kg->pat8, fi->pat8, sizeof kg->pat8);
        memcpy(kg->patmask8, fi->patmask8, sizeof kg->patmask8);
        kg->pat = fi->pat;
    }
}

kn_status kn_ndjson_reader_create(const kn_schema *schema, const kn_ndjson_options *opt,
                                  kn_ndjson_reader **out, kn_error *err) {
    *out = NULL;
    kn_ndjson_options defaults;
    if (!opt) {
        kn_ndjson_options_init(&defaults);
        opt = &defaults;
    }
    const kn_cpu_features *cpu = kn_cpu();
    if (opt->simd == KN_NDJSON_SIMD_AVX2 && !cpu->avx2)
        return kn_error_set(err, KN_E_UNSUPPORTED, "this CPU has no AVX2 for the NDJSON scanner");
    if (opt->simd == KN_NDJSON_SIMD_AVX512 && !(cpu->avx512 && cpu->avx2))
        return kn_error_set(err, KN_E_UNSUPPORTED, "this CPU has no AVX-512 (F and BW) for the NDJSON scanner");
    kn_ndjson_reader *r = kn_calloc(1, sizeof *r);
    if (!r) return kn_error_set(err, KN_E_NOMEM, "out of memory creating an NDJSON reader");
    bool automatic = opt->simd == KN_NDJSON_SIMD_AUTO;
    bool avx512 = opt->simd == KN_NDJSON_SIMD_AVX512 || (automatic && cpu->avx512 && cpu->avx2);
    bool avx2 = !avx512 && (opt->simd == KN_NDJSON_SIMD_AVX2 || (automatic && cpu->avx2));
    r->index_fn = avx512 ? kn__ndjson_index_avx512 : avx2 ? kn__ndjson_index_avx2 : kn__ndjson_index_scalar;
    r->simd_name = avx512 ? "avx512" : avx2 ? "avx2" : "scalar";
    r->fast = true;
    r->schema = schema;
    r->nfields = schema ? schema->num_fields : 0;
    for (size_t k = 0; k < KN_GUESS_MAX; k++) set_guess(&r->guess[k], -1, NULL);
    size_t hsize = 16;
    while (hsize < 2 * r->nfields) hsize *= 2;
    size_t pat_total = 1;
    for (size_t i = 0; i < r->nfields; i++) pat_total += strlen(schema->fields[i].name) + 3;
    r->fields = kn_calloc(r->nfields ? r->nfields : 1, sizeof *r->fields);
    r->seen = kn_calloc(r->nfields ? r->nfields : 1, sizeof *r->seen);
    r->htab = kn_calloc(hsize, sizeof *r->htab);
    r->pat_bytes = kn_malloc(pat_total);
    if (!r->fields || !r->seen || !r->htab || !r->pat_bytes) {
        kn_ndjson_reader_free(r);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating an NDJSON reader");
    }
    r->hmask = (uint32_t)hsize - 1;
    uint8_t *pat_next = r->pat_bytes;
    for (size_t i = 0; i < r->nfields; i++) {
        const kn_field *f = &schema->fields[i];
        field_info *fi = &r->fields[i];
        fi->name = f->name;
        fi->name_len = strlen(f->name);
        fi->nullable = f->nullable;
        fi->format = f->format;
        fi->precision = f->type.precision;
        fi->scale = f->type.scale;
        fi->utc = f->type.utc;
        fi->json = f->type.id == KN_TYPE_STRING && f->type.json;
        uint8_t padded[16] = {0};
        memcpy(padded, fi->name, fi->name_len < 16 ? fi->name_len : 16);
        memcpy(fi->name8, padded, 16);
        size_t n0 = fi->name_len < 8 ? fi->name_len : 8, n1 = fi->name_len < 8 ? 0 : fi->name_len - 8 < 8 ? fi->name_len - 8 : 8;
        fi->mask8[0] = n0 == 8 ? ~0ull : (1ull << (8 * n0)) - 1;
        fi->mask8[1] = n1 == 8 ? ~0ull : (1ull << (8 * n1)) - 1;
        set_key_pattern(fi, pat_next);
        pat_next += fi->name_len + 3;
        switch (f->type.id) {
        case KN_TYPE_STRING: fi->kind = F_STRING; break;
        case KN_TYPE_BOOL: fi->kind = F_BOOL; break;
        case KN_TYPE_INT32: fi->kind = F_I32; break;
        case KN_TYPE_INT64: fi->kind = F_I64; break;
        case KN_TYPE_FLOAT64: fi->kind = F_F64; break;
        case KN_TYPE_DECIMAL: fi->kind = f->type.precision <= 18 ? F_DEC64 : F_DEC128; break;
        case KN_TYPE_DATE: fi->kind = F_DATE; break;
        case KN_TYPE_TIMESTAMP: fi->kind = F_TS; break;
        default:
            kn_ndjson_reader_free(r);
            return kn_error_set(err, KN_E_UNSUPPORTED, "column '%s' has a type the NDJSON reader cannot fill", f->name);
        }
        uint32_t h = hash_key((const uint8_t *)fi->name, fi->name_len) & r->hmask;
        while (r->htab[h]) h = (h + 1) & r->hmask;
        r->htab[h] = (uint32_t)i + 1;
    }
    *out = r;
    return KN_OK;
}

void kn_ndjson_reader_free(kn_ndjson_reader *r) {
    if (!r) return;
    kn_free(r->fields);
    kn_free(r->pat_bytes);
    kn_free(r->seen);
    kn_free(r->htab);
    kn_free(r->idx);
    kn_free(r->bs);
    kn_free(r->tail);
    kn_free(r->key_scratch);
    kn_free(r->val_scratch);
    kn_free(r);
}

const char *kn_ndjson_reader_simd_name(const kn_ndjson_reader *r) { return r->simd_name; }

void kn__ndjson_reader_set_fast_paths(kn_ndjson_reader *r, bool on) { r->fast = on; }

void kn_ndjson_reader_reset(kn_ndjson_reader *r, const uint8_t *data, size_t len, const char *name,
                            uint64_t base_offset, bool at_file_start) {
    r->data = data;
    r->len = data ? len : 0;
    r->name = name;
    r->base = base_offset;
    r->pos = 0;
    if (at_file_start && r->len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) r->pos = 3;
    r->win = NULL;
    r->win_len = r->win_off = r->ntok = r->ti = r->line_start = 0;
    r->records = 0;
    r->bad_off = 0;
    r->bad_ptr = NULL;
    r->bad_len = 0;
}

uint64_t kn_ndjson_reader_records(const kn_ndjson_reader *r) { return r->records; }
size_t kn_ndjson_reader_range_len(const kn_ndjson_reader *r) { return r->len; }

void kn_ndjson_reader_bad_record(const kn_ndjson_reader *r, uint64_t *offset, const uint8_t **data,
                                 size_t *len) {
    *offset = r->bad_off;
    *data = r->bad_ptr;
    *len = r->bad_len;
}

size_t kn_ndjson_record_end(const uint8_t *data, size_t len, size_t pos) {
    if (pos >= len) return len;
    const uint8_t *nl = memchr(data + pos, '\n', len - pos);
    return nl ? (size_t)(nl - data) + 1 : len;
}

/* ---- windows ----------------------------------------------------------------------------- */

/* Indexes r->win[0..r->win_len) (window start s in the morsel, for the message). */
static kn_status index_window(kn_ndjson_reader *r, size_t s, bool *ascii, kn_error *err) {
    if (r->win_len >= (size_t)UINT32_MAX - 256) {
        kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + s));
        return kn_error_set(err, KN_E_UNSUPPORTED, "a line longer than 4 GiB");
    }
    KN_TRY(grow((void **)&r->idx, &r->idx_cap, kn__ndjson_index_bound(r->win_len), sizeof *r->idx, err));
    KN_TRY(grow((void **)&r->bs, &r->bs_cap, kn__ndjson_bs_words(r->win_len), sizeof *r->bs, err));
    r->ntok = r->index_fn(r->win, r->win_len, r->idx, r->bs, ascii);
    return KN_OK;
}

/* The next window: the whole lines within KN_WINDOW_BYTES from r->pos (or one longer line),
 * indexed. It indexes first and cuts after, at the last line-feed token: that reads the bytes
 * once, front to back (finding the cut with a backward search first touched the far end of
 * every window before its start, a cache miss each time). The tokens kept are the ones a
 * window cut first would give, since a line's tokens never depend on the bytes after it. */
static kn_status build_window(kn_ndjson_reader *r, kn_error *err) {
    const uint8_t *d = r->data;
    size_t s = r->pos, rem = r->len - s;
    bool ascii;
    r->win_off = s;
    r->win = d + s;
    r->win_len = rem < KN_WINDOW_BYTES ? rem : KN_WINDOW_BYTES;
    KN_TRY(index_window(r, s, &ascii, err));
    size_t k = r->ntok;
    while (k > 0 && r->win[r->idx[k - 1]] != '\n') k--;
    if (k > 0) {
        r->ntok = k;
        r->win_len = r->idx[k - 1] + 1;
        r->pos = s + r->win_len;
    } else {
        /* No line end in the first KN_WINDOW_BYTES: a longer line gets a window of its own, and a
         * last line without a line feed is copied with one added. */
        const uint8_t *nl = r->win_len < rem ? memchr(d + s + r->win_len, '\n', rem - r->win_len) : NULL;
        if (nl) {
            r->win_len = (size_t)(nl - d) + 1 - s;
            r->pos = s + r->win_len;
        } else {
            KN_TRY(grow((void **)&r->tail, &r->tail_cap, rem + 1, 1, err));
            memcpy(r->tail, d + s, rem);
            r->tail[rem] = '\n';
            r->win = r->tail;
            r->win_len = rem + 1;
            r->pos = r->len;
        }
        KN_TRY(index_window(r, s, &ascii, err));
    }
    r->win_has_bs = false;
    for (size_t i = 0; i < kn__ndjson_bs_words(r->win_len); i++) r->win_has_bs |= r->bs[i] != 0;
    r->ti = 0;
    r->line_start = 0;
    r->utf8_from = 0;
    size_t u = ascii ? r->win_len : kn_utf8_validate(r->win, r->win_len);
    r->utf8_bad = u == r->win_len ? KN_NO_BAD : u;
    return KN_OK;
}

/* ---- errors and rollback ----------------------------------------------------------------- */

/* A short, printable rendering of a value for messages. */
static const char *show(char *buf, size_t cap, const uint8_t *s, size_t n) {
    size_t o = 0, max = cap - 5;
    for (size_t i = 0; i < n && o < max; i++) buf[o++] = s[i] >= 0x20 && s[i] < 0x7F ? (char)s[i] : '?';
    if (o < n && o >= max) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* Fills `err` for a fault at window position `at` in column `f` (-1 for none). */
__attribute__((format(printf, 5, 6))) static kn_status fault(kn_ndjson_reader *r, kn_error *err, size_t at,
                                                             long f, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(err, KN_E_DATA, fmt, ap);
        va_end(ap);
        if (f >= 0) kn_error_field(err, r->fields[f].name);
        kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + r->win_off + at));
    }
    return KN_E_DATA;
}

/* ---- lookups ----------------------------------------------------------------------------- */

static inline bool block_has_backslash(const kn_ndjson_reader *r, size_t x) { return (r->bs[x >> 6] >> (x & 63)) & 1; }

static inline bool span_has_backslash(const kn_ndjson_reader *r, size_t a, size_t b) {
    if (!r->win_has_bs || b <= a) return false;
    size_t x = a >> 6, last = (b - 1) >> 6;
    /* Most strings lie in one or two blocks: two bit tests, no loop. */
    bool maybe = block_has_backslash(r, x) || block_has_backslash(r, last);
    for (x++; !maybe && x < last; x++) maybe = block_has_backslash(r, x);
    return maybe && memchr(r->win + a, '\\', b - a) != NULL;
}

/* Whether the key at window bytes key[0..n) is field fi's name. Names up to 16 bytes compare
 * as two masked 64-bit words (a libc memcmp call costs more than the whole compare). */
static inline bool key_is(const kn_ndjson_reader *r, const field_info *fi, const uint8_t *key, size_t n) {
    if (fi->name_len != n) return false;
    if (n <= 16 && key >= r->win && key + 16 <= r->win + r->win_len) {
        uint64_t a, b;
        memcpy(&a, key, 8);
        memcpy(&b, key + 8, 8);
        return (((a ^ fi->name8[0]) & fi->mask8[0]) | ((b ^ fi->name8[1]) & fi->mask8[1])) == 0;
    }
    return memcmp(fi->name, key, n) == 0;
}

static long hash_lookup(const kn_ndjson_reader *r, const uint8_t *key, size_t n) {
    uint32_t h = hash_key(key, n) & r->hmask;
    for (uint32_t slot; (slot = r->htab[h]) != 0; h = (h + 1) & r->hmask)
        if (key_is(r, &r->fields[slot - 1], key, n)) return (long)slot - 1;
    return -1;
}

/* The column for the k-th member's key; records usually list keys in the same order, so the
 * column the k-th key matched last time is tried first. */
static inline long lookup(kn_ndjson_reader *r, const uint8_t *key, size_t n, size_t k) {
    if (k < KN_GUESS_MAX) {
        long g = r->guess[k].field;
        if (g >= 0 && key_is(r, &r->fields[g], key, n)) return g;
        long f = hash_lookup(r, key, n);
        set_guess(&r->guess[k], f, f >= 0 ? &r->fields[f] : NULL);
        return f;
    }
    return hash_lookup(r, key, n);
}

/* The fast way to a member's column: kg is what the member at its position had in the last
 * record. When the key at token ti is, byte for byte, '"' name '"' ':' of that field, and the
 * value's token starts right after the colon, that field is the answer: no hashing, and no
 * separate checks of the closing quote, escapes or colon. This is sound because such a name
 * holds no byte JSON must escape, so no token can sit inside it and the index ends the key
 * where the pattern does (tokens ti, ti + 1 are its quotes; ti + 2 is the value). False when
 * anything differs: the general path then decides, with its own messages. */
static inline bool key_matches_guess(const key_guess *kg, const hot_view *v, size_t ti) {
    const uint8_t *w = v->w;
    const uint32_t *ix = v->ix;
    size_t p = ix[ti], n = kg->pat_len;
    if (n == 0 || p + 16 > v->win_len) return false;
    uint64_t a, b;
    memcpy(&a, w + p, 8);
    memcpy(&b, w + p + 8, 8);
    if ((((a ^ kg->pat8[0]) & kg->patmask8[0]) | ((b ^ kg->pat8[1]) & kg->patmask8[1])) != 0) return false;
    if (n > 16 && (p + n > v->win_len || memcmp(w + p + 16, kg->pat + 16, n - 16) != 0)) return false;
    /* Only now is token ti + 2 known to exist (the closing quote was a token before it). */
    return ix[ti + 2] == p + n;
}

/* ---- value checks shared by every mode --------------------------------------------------- */

/* The string whose opening quote is token ti: checks its closing token. */
static inline kn_status string_end(kn_ndjson_reader *r, size_t ti, size_t *close, kn_error *err) {
    uint32_t p = r->idx[ti], q = r->idx[ti + 1];
    uint8_t c = r->win[q];
    if (c == '"') {
        *close = q;
        return KN_OK;
    }
    if (c == '\n') return fault(r, err, p, -1, "a string is not closed before the line ends");
    return fault(r, err, q, -1, "a control character (0x%02x) in a string must be escaped", c);
}

/* Decodes (or, with dst NULL, checks) the escapes of window bytes [a, b). */
static kn_status unescape(kn_ndjson_reader *r, size_t a, size_t b, uint8_t *dst, size_t *out_len,
                          long f, kn_error *err) {
    size_t bad;
    const char *why;
    if (kn__json_unescape(r->win + a, b - a, dst, out_len, &bad, &why)) return KN_OK;
    return fault(r, err, a + bad, f, "%s", why);
}

/* Bytes that end an atom (number or literal): whitespace, LF, brackets, separators, quotes. */
static const uint8_t ends_atom[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
    [':'] = 1, [','] = 1, ['"'] = 1,
};

/* The end of the atom that starts at window position p. The window ends with LF, so the scan
 * stops inside it. */
static inline size_t atom_end(const kn_ndjson_reader *r, size_t p) {
    size_t e = p + 1;
    while (!ends_atom[r->win[e]]) e++;
    return e;
}

/* The bytes between two tokens, window [a, b): whitespace and at most one separator. Returns
 * the separator (':' or ','), 0 for whitespace only, or -1 for anything else (a second
 * separator, or a stray byte after an atom); *at is where the separator or the fault is. */
static inline int gap(const uint8_t *w, size_t a, size_t b, size_t *at) {
    if (b == a) return 0;
    if (b == a + 1 && (w[a] == ',' || w[a] == ':')) {
        *at = a;
        return w[a];
    }
    int sep = 0;
    for (size_t i = a; i < b; i++) {
        uint8_t c = w[i];
        if (c == ' ' || c == '\t' || c == '\r') continue;
        *at = i;
        if ((c == ',' || c == ':') && !sep) {
            sep = c;
            continue;
        }
        return -1;
    }
    return sep;
}

static kn_status check_atom(kn_ndjson_reader *r, size_t p, size_t e, kn_json_kind *kind, kn_error *err) {
    const uint8_t *s = r->win + p;
    size_t n = e - p;
    if (n == 4 && memcmp(s, "null", 4) == 0) *kind = KN_JSON_NULL;
    else if (n == 4 && memcmp(s, "true", 4) == 0) *kind = KN_JSON_TRUE;
    else if (n == 5 && memcmp(s, "false", 5) == 0) *kind = KN_JSON_FALSE;
    else if (kn_num_is_json((const char *)s, n)) *kind = KN_JSON_NUMBER;
    else {
        char b[64];
        return fault(r, err, p, -1, "'%s' is not a JSON value", show(b, sizeof b, s, n));
    }
    return KN_OK;
}

static inline void push_level(kn_ndjson_reader *r, size_t depth, bool object) {
    if (object) r->stack[depth >> 6] |= 1ull << (depth & 63);
    else r->stack[depth >> 6] &= ~(1ull << (depth & 63));
}
static inline bool level_is_object(const kn_ndjson_reader *r, size_t depth) {
    return (r->stack[depth >> 6] >> (depth & 63)) & 1;
}

/* Validates the value at token *ti (nested or not) and moves *ti past it; *end is the window
 * position just past it. */
static kn_status skip_nested(kn_ndjson_reader *r, size_t *pti, size_t *end, kn_error *err) {
    const uint8_t *w = r->win;
    const uint32_t *ix = r->idx;
    size_t ti = *pti, depth = 0, close = 0, vend = 0, at = 0;
    uint32_t p;
    uint8_t c;
    int g;
value:
    p = ix[ti];
    c = w[p];
    if (c == '{' || c == '[') {
        if (depth == KN_NDJSON_MAX_DEPTH)
            return fault(r, err, p, -1, "nesting deeper than %d levels", KN_NDJSON_MAX_DEPTH);
        push_level(r, depth++, c == '{');
        ti++;
        uint32_t q = ix[ti];
        g = gap(w, p + 1, q, &at);
        if (g == 0 && w[q] == (c == '{' ? '}' : ']')) {
            ti++;
            depth--;
            vend = q + 1;
            goto after_value;
        }
        if (g != 0) return fault(r, err, at, -1, c == '{' ? "expected a key (a string) in an object" : "expected a value in an array");
        if (c == '{') goto key;
        goto value;
    }
    if (c == '"') {
        KN_TRY(string_end(r, ti, &close, err));
        if (span_has_backslash(r, p + 1, close)) KN_TRY(unescape(r, p + 1, close, NULL, &(size_t){0}, -1, err));
        ti += 2;
        vend = close + 1;
        goto after_value;
    }
    if (c == '}' || c == ']' || c == '\n')
        return fault(r, err, p, -1, c == '\n' ? "the line ends where a value was expected" : "expected a value, found '%c'", c);
    {
        kn_json_kind kind;
        vend = atom_end(r, p);
        KN_TRY(check_atom(r, p, vend, &kind, err));
        ti++;
        goto after_value;
    }
key:
    p = ix[ti];
    if (w[p] != '"') return fault(r, err, p, -1, "expected a key (a string) in an object");
    KN_TRY(string_end(r, ti, &close, err));
    if (span_has_backslash(r, p + 1, close)) KN_TRY(unescape(r, p + 1, close, NULL, &(size_t){0}, -1, err));
    ti += 2;
    g = gap(w, close + 1, ix[ti], &at);
    if (g != ':') return fault(r, err, g ? at : ix[ti], -1, "expected ':' after a key");
    goto value;
after_value:
    if (depth == 0) {
        *end = vend;
        *pti = ti;
        return KN_OK;
    }
    p = ix[ti];
    c = w[p];
    bool obj = level_is_object(r, depth - 1);
    g = gap(w, vend, p, &at);
    if (g == ',') {
        if (obj) goto key;
        goto value;
    }
    if (g == 0 && c == (obj ? '}' : ']')) {
        ti++;
        depth--;
        vend = p + 1;
        goto after_value;
    }
    return fault(r, err, g ? at : p, -1, obj ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
}

/* ---- storing values ---------------------------------------------------------------------- */

static const char *type_text(const field_info *fi, char *buf, size_t cap) {
    kn_type t = kn_type_make(KN_TYPE_STRING);
    t.precision = fi->precision;
    t.scale = fi->scale;
    t.utc = fi->utc;
    t.json = fi->json;
    static const kn_type_id ids[] = {KN_TYPE_STRING, KN_TYPE_BOOL, KN_TYPE_INT32, KN_TYPE_INT64, KN_TYPE_FLOAT64,
                                     KN_TYPE_DECIMAL, KN_TYPE_DECIMAL, KN_TYPE_DATE, KN_TYPE_TIMESTAMP};
    t.id = ids[fi->kind];
    kn_type_format(t, buf, cap);
    return buf;
}

static inline void mark_valid(kn_column *c) {
    if (c->validity) c->validity[c->length >> 3] |= (uint8_t)(1u << (c->length & 7));
}
static inline void put_i64(kn_column *c, int64_t v) {
    ((int64_t *)c->values)[c->length] = v;
    mark_valid(c);
    c->length++;
}
static inline void put_i32(kn_column *c, int32_t v) {
    ((int32_t *)c->values)[c->length] = v;
    mark_valid(c);
    c->length++;
}
static inline void put_f64(kn_column *c, double v) {
    ((double *)c->values)[c->length] = v;
    mark_valid(c);
    c->length++;
}
static inline void put_bool(kn_column *c, bool v) {
    ((uint8_t *)c->values)[c->length] = v;
    mark_valid(c);
    c->length++;
}
static inline void put_i128(kn_column *c, kn_i128 v) {
    ((kn_i128 *)c->values)[c->length] = v;
    mark_valid(c);
    c->length++;
}

/* Makes room for n string bytes; returns where to write them. */
static inline uint8_t *str_room(kn_column *c, size_t n, kn_error *err, kn_status *st) {
    if (n > UINT32_MAX - c->bytes.len) {
        *st = kn_error_set(err, KN_E_DATA, "the strings of one batch exceed 4 GiB; use smaller morsels");
        return NULL;
    }
    if (!kn_buf_reserve(&c->bytes, n ? n : 1)) {
        *st = kn_error_set(err, KN_E_NOMEM, "out of memory appending a %zu-byte string", n);
        return NULL;
    }
    return c->bytes.data + c->bytes.len;
}
static inline void str_done(kn_column *c, size_t n) {
    c->bytes.len += n;
    c->offsets[c->length + 1] = (uint32_t)c->bytes.len;
    mark_valid(c);
    c->length++;
}
static inline kn_status put_str(kn_column *c, const uint8_t *s, size_t n, kn_error *err) {
    kn_status st = KN_OK;
    uint8_t *d = str_room(c, n, err, &st);
    if (!d) return st;
    if (n) memcpy(d, s, n);
    str_done(c, n);
    return KN_OK;
}

static kn_status put_null(kn_ndjson_reader *r, long f, size_t at, kn_error *err) {
    if (!r->fields[f].nullable) return fault(r, err, at, f, "null in a column that is not nullable");
    return kn_column_append_null(&r->cols[f], err);
}

static kn_status num_fault(kn_ndjson_reader *r, long f, size_t at, kn_num_status ns, const uint8_t *s,
                           size_t n, bool quoted, kn_error *err) {
    char b[64], t[48];
    const field_info *fi = &r->fields[f];
    const char *q = quoted ? "\"" : "";
    show(b, sizeof b, s, n);
    type_text(fi, t, sizeof t);
    switch (ns) {
    case KN_NUM_SYNTAX: return fault(r, err, at, f, "%s%s%s is not a number (column type %s)", q, b, q, t);
    case KN_NUM_RANGE: return fault(r, err, at, f, "%s%s%s is out of range for %s", q, b, q, t);
    default:
        if (fi->kind == F_DEC64 || fi->kind == F_DEC128)
            return fault(r, err, at, f, "%s%s%s has more fraction digits than %s keeps (scale %u); kiln does not round",
                         q, b, q, t, fi->scale);
        return fault(r, err, at, f, "%s%s%s has a fraction; %s holds whole numbers only", q, b, q, t);
    }
}

/* A number's text s[0..n) (from a JSON number, or a string's content) into column f. */
static inline __attribute__((always_inline)) kn_status store_number(kn_ndjson_reader *r, long f, size_t at,
                                                                    const uint8_t *s, size_t n, bool quoted,
                                                                    kn_error *err) {
    const field_info *fi = &r->fields[f];
    kn_column *c = &r->cols[f];
    const char *cs = (const char *)s;
    kn_num_status ns;
    switch (fi->kind) {
    case F_I64: {
        int64_t v;
        if ((ns = kn_parse_int_inline(cs, n, INT64_MIN, INT64_MAX, &v)) != KN_NUM_OK) break;
        put_i64(c, v);
        return KN_OK;
    }
    case F_I32: {
        int64_t v;
        if ((ns = kn_parse_int_inline(cs, n, INT32_MIN, INT32_MAX, &v)) != KN_NUM_OK) break;
        put_i32(c, (int32_t)v);
        return KN_OK;
    }
    case F_F64: {
        double v;
        if ((ns = kn_parse_double_inline(cs, n, &v)) != KN_NUM_OK) break;
        put_f64(c, v);
        return KN_OK;
    }
    case F_DEC64: {
        int64_t v;
        if ((ns = kn_parse_decimal64_inline(cs, n, fi->precision, fi->scale, &v)) != KN_NUM_OK) break;
        put_i64(c, v);
        return KN_OK;
    }
    case F_DEC128: {
        kn_i128 v;
        if ((ns = kn_parse_decimal128(cs, n, fi->precision, fi->scale, &v)) != KN_NUM_OK) break;
        put_i128(c, v);
        return KN_OK;
    }
    default: return KN_E_INTERNAL;
    }
    return num_fault(r, f, at, ns, s, n, quoted, err);
}

static kn_status store_time(kn_ndjson_reader *r, long f, size_t at, const uint8_t *s, size_t n, bool quoted,
                            kn_error *err) {
    const field_info *fi = &r->fields[f];
    kn_time_value tv;
    kn_time_status ts;
    if (fi->format) {
        ts = kn_parse_time_format(fi->format, (const char *)s, n, &tv);
    } else if (fi->kind == F_DATE) {
        int32_t days;
        ts = kn_parse_iso_date((const char *)s, n, &days);
        if (ts == KN_TIME_OK) {
            put_i32(&r->cols[f], days);
            return KN_OK;
        }
    } else {
        ts = kn_parse_iso_timestamp((const char *)s, n, true, &tv);
    }
    if (ts == KN_TIME_OK) {
        int64_t v = tv.wall_micros;
        if (fi->kind == F_TS && fi->utc && tv.has_offset) v -= (int64_t)tv.offset_seconds * 1000000;
        if (fi->kind == F_DATE) put_i32(&r->cols[f], kn_micros_to_days(v));
        else put_i64(&r->cols[f], v);
        return KN_OK;
    }
    char b[64], t[48];
    const char *q = quoted ? "\"" : "";
    show(b, sizeof b, s, n);
    type_text(fi, t, sizeof t);
    if (fi->format)
        return fault(r, err, at, f, "%s%s%s does not match the %s format \"%s\"%s", q, b, q, t, fi->format,
                     ts == KN_TIME_RANGE ? " (a field is out of range)" : "");
    if (ts == KN_TIME_RANGE) return fault(r, err, at, f, "%s%s%s is not a valid %s: a field is out of range", q, b, q, t);
    return fault(r, err, at, f, "%s%s%s is not a %s (expected %s)", q, b, q, t,
                 fi->kind == F_DATE ? "YYYY-MM-DD" : "ISO-8601 such as 2024-03-05T12:34:56.123456Z");
}

/* A JSON string's content (decoded) into column f, cast as every reader casts text
 * (kernels/kn_cast.h). */
static kn_status store_string_as(kn_ndjson_reader *r, long f, size_t at, const uint8_t *s, size_t n, kn_error *err) {
    const kn_field *fd = &r->schema->fields[f];
    kn_column *c = &r->cols[f];
    kn_cast_value v;
    kn_cast_status cs = kn_cast_text(fd->type, fd->format, (const char *)s, n, &v);
    if (cs != KN_CAST_OK) {
        char why[KN_ERROR_WHAT_MAX];
        return fault(r, err, at, f, "%s", kn_cast_explain(cs, fd->type, fd->format, (const char *)s, n, why, sizeof why));
    }
    switch (r->fields[f].kind) {
    case F_BOOL: put_bool(c, v.b); return KN_OK;
    case F_I32:
    case F_DATE: put_i32(c, v.i32); return KN_OK;
    case F_F64: put_f64(c, v.f64); return KN_OK;
    case F_DEC128: put_i128(c, v.i128); return KN_OK;
    case F_I64:
    case F_DEC64:
    case F_TS: put_i64(c, v.i64); return KN_OK;
    default: return KN_E_INTERNAL;
    }
}

/* Field f gets a value in this record; when its key came before, the last value wins, so the
 * earlier one is dropped (each record adds at most one row to a column). The set of claimed
 * fields lives in locals of parse_record that stay in registers: a bit per field in
 * seen->low for the first 64, generation numbers in r->seen for the rest, and a count. */
typedef struct claimed_set {
    uint64_t low;
    size_t count;
} claimed_set;

static inline void claim_field(kn_ndjson_reader *r, claimed_set *seen, long f) {
    bool again;
    if (f < 64) {
        uint64_t bit = 1ull << f;
        again = (seen->low & bit) != 0;
        seen->low |= bit;
    } else {
        again = r->seen[f] == r->gen;
        r->seen[f] = r->gen;
    }
    seen->count += !again;
    if (again) kn_column_truncate(&r->cols[f], r->row0);
}

static inline bool was_claimed(const kn_ndjson_reader *r, const claimed_set *seen, size_t f) {
    return f < 64 ? (seen->low >> f) & 1 : r->seen[f] == r->gen;
}

/* The value at token *ti into column f (claimed); moves *ti past it and sets *vend just past
 * its text. The general path: every shape, every cast, every message. */
static kn_status store_value(kn_ndjson_reader *r, long f, size_t *pti, size_t *vend, kn_error *err) {
    const field_info *fi = &r->fields[f];
    kn_column *c = &r->cols[f];
    size_t ti = *pti;
    uint32_t p = r->idx[ti];
    const uint8_t *w = r->win;
    uint8_t ch = w[p];
    kn_status st = KN_OK;
    if (ch == '"') {
        size_t close = 0;
        KN_TRY(string_end(r, ti, &close, err));
        *pti = ti + 2;
        *vend = close + 1;
        size_t a = p + 1, n = close - a;
        bool esc = span_has_backslash(r, a, close);
        if (fi->json) {
            /* A json column keeps the string as written, quotes and escapes included, so the
             * value is still a JSON text that SUPER can load; the escapes are checked all the
             * same, so a json column accepts exactly what a string column does. */
            if (esc) KN_TRY(unescape(r, a, close, NULL, &(size_t){0}, f, err));
            return put_str(c, w + p, close + 1 - p, err);
        }
        if (fi->kind == F_STRING) {
            if (!esc) return put_str(c, w + a, n, err);
            uint8_t *d = str_room(c, n, err, &st);
            if (!d) return st;
            size_t out;
            KN_TRY(unescape(r, a, close, d, &out, f, err));
            str_done(c, out);
            return KN_OK;
        }
        if (!esc) return store_string_as(r, f, p, w + a, n, err);
        KN_TRY(grow((void **)&r->val_scratch, &r->val_cap, n + 1, 1, err));
        size_t out;
        KN_TRY(unescape(r, a, close, r->val_scratch, &out, f, err));
        return store_string_as(r, f, p, r->val_scratch, out, err);
    }
    if (ch == '{' || ch == '[') {
        size_t end;
        KN_TRY(skip_nested(r, pti, &end, err));
        *vend = end;
        if (fi->kind != F_STRING) {
            char t[48];
            return fault(r, err, p, f, "a nested %s cannot go into a %s column (only a string column keeps JSON text)",
                         ch == '{' ? "object" : "array", type_text(fi, t, sizeof t));
        }
        return put_str(c, w + p, end - p, err);
    }
    if (ch == '}' || ch == ']' || ch == '\n')
        return fault(r, err, p, f, ch == '\n' ? "the line ends where a value was expected" : "expected a value, found '%c'", ch);
    size_t e = atom_end(r, p);
    *pti = ti + 1;
    *vend = e;
    const uint8_t *s = w + p;
    size_t n = e - p;
    /* The common case first: a plain number into a number column. */
    if ((ch == '-' || (unsigned)(ch - '0') < 10) && fi->kind >= F_I32 && fi->kind <= F_DEC128)
        return store_number(r, f, p, s, n, false, err);
    kn_json_kind kind;
    KN_TRY(check_atom(r, p, e, &kind, err));
    char t[48];
    switch (kind) {
    case KN_JSON_NULL: return put_null(r, f, p, err);
    case KN_JSON_TRUE:
    case KN_JSON_FALSE:
        if (fi->kind == F_BOOL) {
            put_bool(c, kind == KN_JSON_TRUE);
            return KN_OK;
        }
        if (fi->kind == F_STRING) return put_str(c, s, n, err);
        return fault(r, err, p, f, "%s is not a %s", kind == KN_JSON_TRUE ? "true" : "false", type_text(fi, t, sizeof t));
    default: /* a number */
        if (fi->kind == F_STRING) return put_str(c, s, n, err);
        if (fi->kind == F_BOOL) {
            if (n == 1 && (*s == '0' || *s == '1')) {
                put_bool(c, *s == '1');
                return KN_OK;
            }
            char b[64];
            return fault(r, err, p, f, "%s is not a bool (numbers 0 and 1 are)", show(b, sizeof b, s, n));
        }
        if ((fi->kind == F_DATE || fi->kind == F_TS) && fi->format) return store_time(r, f, p, s, n, false, err);
        {
            char b[64];
            return fault(r, err, p, f, "%s is a number; a %s column expects a string", show(b, sizeof b, s, n),
                         type_text(fi, t, sizeof t));
        }
    }
}

/* ---- the fast path ----------------------------------------------------------------------- */

/* Bytes that may stand between an atom and the next token: whitespace and separators. */
static const uint8_t gap_byte[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1, [':'] = 1, [','] = 1};

/* The end of the atom at window position p, from the next token's position: outside strings an
 * atom runs until a byte that ends it, and the only such bytes that make no token are
 * whitespace and separators. This equals atom_end for every atom the number parsers accept
 * (atom_end also stops at an escaped quote, which no valid atom holds), and costs a byte or
 * two instead of a scan of the whole atom. */
static inline size_t atom_end_indexed(const uint8_t *w, size_t p, size_t next) {
    while (next > p + 1 && gap_byte[w[next - 1]]) next--;
    return next;
}

/* put_str for a short string whose source may be read 32 bytes long: a fixed-size copy is a
 * pair of vector moves, where a memcpy call costs more than the copy itself. False (nothing
 * changed) when it does not apply. */
static inline bool put_short_str(kn_column *c, const uint8_t *s, size_t n) {
    if (n > 32 || n > UINT32_MAX - c->bytes.len || !kn_buf_reserve(&c->bytes, 32)) return false;
    memcpy(c->bytes.data + c->bytes.len, s, 32);
    str_done(c, n);
    return true;
}

/* An ISO date or timestamp string (no format in the schema) into its column, as store_time
 * stores it; false when it does not parse (store_value then reports why). */
static inline bool put_iso_time(const field_info *fi, kn_column *c, const uint8_t *s, size_t n) {
    if (fi->kind == F_DATE) {
        int32_t days;
        if (kn_parse_iso_date((const char *)s, n, &days) != KN_TIME_OK) return false;
        put_i32(c, days);
        return true;
    }
    kn_time_value tv;
    if (kn_parse_iso_timestamp((const char *)s, n, true, &tv) != KN_TIME_OK) return false;
    int64_t v = tv.wall_micros;
    if (fi->utc && tv.has_offset) v -= (int64_t)tv.offset_seconds * 1000000;
    put_i64(c, v);
    return true;
}

/* A JSON number's text into a number column, as store_number stores it; false when the
 * column is no number column or the text does not fit it. `wide` says 8 bytes past the text
 * may be read, for the word-at-a-time parsers. */
static inline bool put_plain_number(const field_info *fi, kn_column *c, const char *s, size_t n, bool wide) {
    kn_num_status ns;
    switch (fi->kind) {
    case F_I64:
    case F_I32: {
        int64_t v, lo = fi->kind == F_I64 ? INT64_MIN : INT32_MIN, hi = fi->kind == F_I64 ? INT64_MAX : INT32_MAX;
        ns = wide ? kn_parse_int_wide(s, n, lo, hi, &v) : kn_parse_int_inline(s, n, lo, hi, &v);
        if (ns != KN_NUM_OK) return false;
        if (fi->kind == F_I64) put_i64(c, v);
        else put_i32(c, (int32_t)v);
        return true;
    }
    case F_F64: {
        double v;
        ns = wide ? kn_parse_double_wide(s, n, &v) : kn_parse_double_inline(s, n, &v);
        if (ns != KN_NUM_OK) return false;
        put_f64(c, v);
        return true;
    }
    case F_DEC64: {
        int64_t v;
        ns = wide ? kn_parse_decimal64_wide(s, n, fi->precision, fi->scale, &v)
                  : kn_parse_decimal64_inline(s, n, fi->precision, fi->scale, &v);
        if (ns != KN_NUM_OK) return false;
        put_i64(c, v);
        return true;
    }
    case F_DEC128: {
        kn_i128 v;
        if (kn_parse_decimal128(s, n, fi->precision, fi->scale, &v) != KN_NUM_OK) return false;
        put_i128(c, v);
        return true;
    }
    default: return false;
    }
}

/* The value at token *pti into column f (claimed) when it has one of the shapes records are
 * made of: a string without escapes into a string, timestamp or date column, a number into a
 * number column, true/false into a bool column, null into a nullable column. Stores exactly
 * what store_value would, with the fewest checks, and moves *pti and *pvend the same way.
 * Returns false, having changed nothing, for anything else, including anything wrong: then
 * store_value does it the general way, faults and messages included. */
static inline __attribute__((always_inline)) bool store_fast(const kn_ndjson_reader *r, const hot_view *v, long f,
                                                             const field_info *fi, size_t *pti, size_t *pvend) {
    kn_column *c = &v->cols[f];
    const uint8_t *w = v->w;
    const uint32_t *ix = v->ix;
    size_t ti = *pti, p = ix[ti];
    uint8_t ch = w[p];
    if (ch == '"') {
        size_t close = ix[ti + 1], a = p + 1;
        if (w[close] != '"' || (v->has_bs && span_has_backslash(r, a, close))) return false;
        if (fi->kind == F_STRING) {
            /* A json column keeps the quotes, as store_value does: start one byte earlier and
             * end one later. */
            size_t q = fi->json, s0 = a - q, n = close - a + 2 * q;
            if (n <= 32 && s0 + 32 <= v->win_len ? !put_short_str(c, w + s0, n) : put_str(c, w + s0, n, NULL) != KN_OK)
                return false;
        } else if (fi->kind == F_TS || fi->kind == F_DATE) {
            if (fi->format || !put_iso_time(fi, c, w + a, close - a)) return false;
        } else {
            return false;
        }
        *pti = ti + 2;
        *pvend = close + 1;
        return true;
    }
    if (ch == '{' || ch == '[' || ch == '}' || ch == ']' || ch == '\n') return false;
    size_t e = atom_end_indexed(w, p, ix[ti + 1]), n = e - p;
    if (ch == '-' || (unsigned)(ch - '0') < 10) {
        if (!put_plain_number(fi, c, (const char *)w + p, n, e + 8 <= v->win_len)) return false;
    } else if (fi->kind == F_BOOL && n == 4 && memcmp(w + p, "true", 4) == 0) {
        put_bool(c, true);
    } else if (fi->kind == F_BOOL && n == 5 && memcmp(w + p, "false", 5) == 0) {
        put_bool(c, false);
    } else if (n == 4 && memcmp(w + p, "null", 4) == 0 && fi->nullable) {
        if (kn_column_append_null(c, NULL) != KN_OK) return false;
    } else {
        return false;
    }
    *pti = ti + 1;
    *pvend = e;
    return true;
}

/* ---- scan mode --------------------------------------------------------------------------- */

static kn_status scan_value(kn_ndjson_reader *r, const uint8_t *key, size_t key_len, size_t *pti, size_t *vend,
                           kn_error *err) {
    size_t ti = *pti;
    uint32_t p = r->idx[ti];
    const uint8_t *w = r->win;
    uint8_t ch = w[p];
    kn_ndjson_member m = {(const char *)key, key_len, KN_JSON_NULL, NULL, 0};
    if (ch == '"') {
        size_t close = 0;
        KN_TRY(string_end(r, ti, &close, err));
        *pti = ti + 2;
        *vend = close + 1;
        size_t a = p + 1, n = close - a;
        m.kind = KN_JSON_STRING;
        if (span_has_backslash(r, a, close)) {
            KN_TRY(grow((void **)&r->val_scratch, &r->val_cap, n + 1, 1, err));
            KN_TRY(unescape(r, a, close, r->val_scratch, &n, -1, err));
            m.text = (const char *)r->val_scratch;
        } else {
            m.text = (const char *)w + a;
        }
        m.text_len = n;
    } else if (ch == '{' || ch == '[') {
        size_t end;
        KN_TRY(skip_nested(r, pti, &end, err));
        *vend = end;
        m.kind = ch == '{' ? KN_JSON_OBJECT : KN_JSON_ARRAY;
        m.text = (const char *)w + p;
        m.text_len = end - p;
    } else if (ch == '}' || ch == ']' || ch == '\n') {
        return fault(r, err, p, -1, ch == '\n' ? "the line ends where a value was expected" : "expected a value, found '%c'", ch);
    } else {
        size_t e = atom_end(r, p);
        KN_TRY(check_atom(r, p, e, &m.kind, err));
        *pti = ti + 1;
        *vend = e;
        m.text = (const char *)w + p;
        m.text_len = e - p;
    }
    kn_status st = r->scan_fn(r->scan_ctx, &m, err);
    if (st != KN_OK && err) kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + r->win_off + p));
    return st;
}

/* ---- records ----------------------------------------------------------------------------- */

/* Where parse_record is among the members of a record. */
typedef struct member_cursor {
    size_t k;          /* the member's index in the record */
    size_t ti;         /* the token the next step starts at */
    size_t vend;       /* window position just past the last value */
    claimed_set seen;  /* the fields the record has set */
    long f;            /* FAST_VALUE: the member's field, claimed */
} member_cursor;

/* Where fast_members stopped, and what m->ti is then. */
typedef enum fast_stop {
    FAST_KEY,    /* member k's key needs the general path; ti is its opening quote */
    FAST_VALUE,  /* member k's key matched field f, but its value needs store_value; ti is the value */
    FAST_AFTER,  /* member k's value is stored, but what follows needs the full check; ti is the next token */
    FAST_CLOSED  /* member k was the last: ti is the record's '}', right after its value */
} fast_stop;

/* Runs members k, k + 1, ... through the fast paths for as long as each has the key its
 * position had in the last record, a value of a common shape, and a ',' right after it. A
 * function of its own, with the cursor in locals, so that the general path's many variables
 * do not crowd the registers of this loop, which runs for nearly every member of every
 * record. */
static fast_stop fast_members(kn_ndjson_reader *r, const hot_view *v, member_cursor *m) {
    size_t k = m->k, ti = m->ti, vend = m->vend;
    claimed_set seen = m->seen;
    fast_stop stop;
    const key_guess *kg = &r->guess[k < KN_GUESS_MAX ? k : KN_GUESS_MAX], *end = &r->guess[KN_GUESS_MAX];
    for (;; k++, kg++) {
        if (kg == end || !key_matches_guess(kg, v, ti)) {
            stop = FAST_KEY;
            break;
        }
        /* claim_field, with the common case (a first value for one of the first 64 fields)
         * done here from the precomputed bit. */
        if (kg->bit && !(seen.low & kg->bit)) {
            seen.low |= kg->bit;
            seen.count++;
        } else {
            claim_field(r, &seen, kg->field);
        }
        ti += 2; /* past the key's quotes, to the value */
        if (!store_fast(r, v, kg->field, kg->fi, &ti, &vend)) {
            m->f = kg->field;
            stop = FAST_VALUE;
            break;
        }
        size_t p = v->ix[ti];
        if (p == vend + 1 && v->w[vend] == ',') continue;
        stop = p == vend && v->w[p] == '}' ? FAST_CLOSED : FAST_AFTER;
        break;
    }
    m->k = k;
    m->ti = ti;
    m->vend = vend;
    m->seen = seen;
    return stop;
}

/* Member m->k (its key's opening quote at m->ti) the general way: any key (escaped, spaced,
 * unknown), then its value into its column, to the callback in scan mode, or validated and
 * dropped for an unknown key. Leaves m->ti at the token after the value. */
static kn_status general_member(kn_ndjson_reader *r, member_cursor *m, kn_error *err) {
    const uint8_t *w = r->win;
    const uint32_t *ix = r->idx;
    size_t ti = m->ti, p = ix[ti], at = 0;
    if (w[p] != '"')
        return fault(r, err, p, -1, w[p] == '}' ? "a comma before '}' (trailing commas are not JSON)"
                                                : "expected a key (a string) in the object");
    size_t close = 0;
    KN_TRY(string_end(r, ti, &close, err));
    const uint8_t *key = w + p + 1;
    size_t key_len = close - p - 1;
    bool esc = span_has_backslash(r, p + 1, close);
    if (esc) {
        KN_TRY(grow((void **)&r->key_scratch, &r->key_cap, key_len + 1, 1, err));
        KN_TRY(unescape(r, p + 1, close, r->key_scratch, &key_len, -1, err));
        key = r->key_scratch;
    }
    m->ti = ti + 2;
    p = ix[m->ti];
    /* Compact JSON puts the ':' right after the key; anything else takes the full check. */
    int g = 0;
    if (!(p == close + 2 && w[close + 1] == ':') && (g = gap(w, close + 1, p, &at)) != ':')
        return fault(r, err, g == 0 ? p : at, -1, "expected ':' after a key");
    if (r->scan_fn) return scan_value(r, key, key_len, &m->ti, &m->vend, err);
    long f = esc ? hash_lookup(r, key, key_len) : lookup(r, key, key_len, m->k);
    if (f < 0) return skip_nested(r, &m->ti, &m->vend, err); /* unknown: validated, then dropped */
    claim_field(r, &m->seen, f);
    return store_value(r, f, &m->ti, &m->vend, err);
}

/* Parses the record whose first token is r->ti. Returns KN_OK (also for a blank line, which
 * is no record), KN_E_DATA for a bad record (rolled back, skipped, and remembered for
 * bad_record) or a fatal status. */
static kn_status parse_record(kn_ndjson_reader *r, kn_error *err) {
    const uint8_t *w = r->win;
    const uint32_t *ix = r->idx;
    size_t t0 = r->ti, ti = t0, ls = r->line_start, at = 0;
    uint32_t p = ix[ti];
    int g = gap(w, ls, p, &at);
    if (w[p] == '\n' && g == 0) {
        r->ti = ti + 1;
        r->line_start = p + 1;
        return KN_OK;
    }
    kn_status st = KN_OK;
    r->row0 = r->nfields && r->cols ? r->cols[0].length : 0; /* before any 'goto bad' */
    if (r->utf8_bad != KN_NO_BAD) {
        if (r->utf8_bad < ls) {
            size_t u = kn_utf8_validate(w + ls, r->win_len - ls);
            r->utf8_bad = ls + u == r->win_len ? KN_NO_BAD : ls + u;
        }
        if (r->utf8_bad != KN_NO_BAD) {
            const uint8_t *nl = memchr(w + ls, '\n', r->win_len - ls);
            if (r->utf8_bad < (size_t)(nl - w)) {
                st = fault(r, err, r->utf8_bad, -1, "invalid UTF-8 (byte 0x%02x)", w[r->utf8_bad]);
                goto bad;
            }
        }
    }
    if (++r->gen == 0) {
        memset(r->seen, 0, r->nfields * sizeof *r->seen);
        r->gen = 1;
    }
    claimed_set seen = {0, 0};
    const hot_view hv = {w, ix, r->win_len, r->win_has_bs, r->cols};
    const bool fast = r->fast && !r->scan_fn;
    if (w[p] != '{' || g != 0) {
        st = fault(r, err, g ? at : p, -1, g == 0 && w[p] == '[' ? "a record must be a JSON object, not an array"
                                          : g == 0 && w[p] == '"' ? "a record must be a JSON object, not a string"
                                                                  : "a record must be a JSON object");
        goto bad;
    }
    size_t record_open = p, vend = p + 1;
    ti++;
    p = ix[ti];
    g = gap(w, vend, p, &at);
    if (g == 0 && w[p] == '}') {
        ti++;
        vend = p + 1;
    } else if (g != 0) {
        st = fault(r, err, at, -1, "expected a key (a string) in the object");
        goto bad;
    } else {
        member_cursor m = {.k = 0, .ti = ti, .vend = vend, .seen = {0, 0}, .f = -1};
        for (;; m.k++) {
            /* The fast path first; where it stops, the general path takes the member over. */
            fast_stop stop = fast ? fast_members(r, &hv, &m) : FAST_KEY;
            if (stop == FAST_CLOSED) break;
            if (stop == FAST_KEY) st = general_member(r, &m, err);
            else if (stop == FAST_VALUE) st = store_value(r, m.f, &m.ti, &m.vend, err);
            if (st != KN_OK) goto bad;
            p = ix[m.ti];
            g = p == m.vend + 1 && w[m.vend] == ',' ? ',' : gap(w, m.vend, p, &at);
            if (g == ',') continue;
            if (g == 0 && w[p] == '}') break;
            st = fault(r, err, g ? at : p, -1, g == 0 && w[p] == '\n' ? "the object is not closed before the line ends"
                                                                      : "expected ',' or '}' after a value");
            goto bad;
        }
        /* m.ti is the closing '}'. */
        vend = ix[m.ti] + 1;
        ti = m.ti + 1;
        seen = m.seen;
    }
    p = ix[ti];
    g = gap(w, vend, p, &at);
    if (w[p] != '\n' || g != 0) {
        st = fault(r, err, g ? at : p, -1, "unexpected text after the record's closing '}'");
        goto bad;
    }
    if (!r->scan_fn && seen.count != r->nfields) {
        for (size_t f = 0; f < r->nfields; f++) {
            if (was_claimed(r, &seen, f)) continue;
            if (!r->fields[f].nullable) {
                st = fault(r, err, record_open, (long)f, "the key is missing and the column is not nullable");
                goto bad;
            }
            if ((st = kn_column_append_null(&r->cols[f], err)) != KN_OK) goto bad;
        }
    }
    r->ti = ti + 1;
    r->line_start = p + 1;
    r->records++;
    if (r->room) r->room--;
    return KN_OK;

bad:
    if (!r->scan_fn)
        for (size_t f = 0; f < r->nfields; f++) kn_column_truncate(&r->cols[f], r->row0);
    /* The record ends at its line feed: no LF token sits inside a record. */
    ti = t0;
    while (w[ix[ti]] != '\n') ti++;
    size_t nl = ix[ti];
    r->ti = ti + 1;
    r->line_start = nl + 1;
    r->records++;
    size_t end = nl;
    if (end > ls && w[end - 1] == '\r') end--;
    r->bad_off = r->base + r->win_off + ls;
    r->bad_ptr = r->data + r->win_off + ls;
    r->bad_len = end - ls;
    return st;
}

/* Makes sure every column has room for KN_ROOM_ROWS more rows. */
static kn_status ensure_room(kn_ndjson_reader *r, kn_error *err) {
    for (size_t f = 0; f < r->nfields; f++) {
        kn_column *c = &r->cols[f];
        if (c->capacity - c->length < KN_ROOM_ROWS) KN_TRY(kn_column_reserve(c, KN_ROOM_ROWS, 0, err));
    }
    r->room = KN_ROOM_ROWS;
    return KN_OK;
}

kn_status kn_ndjson_reader_next(kn_ndjson_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    *done = false;
    if (!r->schema) return kn_error_set(err, KN_E_INTERNAL, "a scan-only NDJSON reader cannot fill batches");
    r->cols = batch->columns;
    r->scan_fn = NULL;
    r->room = 0;
    for (;;) {
        if (r->ti >= r->ntok) {
            if (r->pos >= r->len) {
                *done = true;
                return KN_OK;
            }
            KN_TRY(build_window(r, err));
            continue;
        }
        if (!r->room) KN_TRY(ensure_room(r, err));
        KN_TRY(parse_record(r, err));
    }
}

kn_status kn_ndjson_reader_scan(kn_ndjson_reader *r, kn_ndjson_member_fn fn, void *ctx, bool *done,
                                kn_error *err) {
    *done = false;
    r->scan_fn = fn;
    r->scan_ctx = ctx;
    r->cols = NULL;
    for (;;) {
        if (r->ti >= r->ntok) {
            if (r->pos >= r->len) {
                *done = true;
                return KN_OK;
            }
            KN_TRY(build_window(r, err));
            continue;
        }
        uint64_t before = r->records;
        KN_TRY(parse_record(r, err));
        if (r->records != before) return KN_OK;
    }
}
