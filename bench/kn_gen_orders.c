/* bench/kn_gen_orders.c: the seeded order-record generator behind data/ and the benchmarks.
 *
 *   kn_gen_orders --rows N [--seed S] [--format ndjson|csv|xml] [--dirty] [--years Y]
 *                 [--shards K] [--shard-index I] [--crlf] [--threads T] -o DIR_or_FILE
 *   kn_gen_orders --print-schema
 *
 * Every record is a pure function of (seed, global row index, dirty flag, years): the generator
 * never carries state from one row to the next. So shards can be made in parallel, by threads here or
 * by separate processes (--shard-index), and the output is byte-identical across runs, thread
 * counts and machines (no floating point and no libc locale is involved in any value).
 *
 * The three formats hold the same records: a record is drawn once into a struct and then
 * rendered as one NDJSON line, one RFC 4180 CSV row, or one XML <order> element.
 *
 * Record layout ("format version 1": changing any draw below changes the data, so bump the
 * version in --help and in data/README.md when you do):
 *   order_id     int64          100000000000 + row (unique unless --dirty duplicates it)
 *   ts           timestamptz    uniform over 2023-01-01 .. 2025-12-31, microseconds, "...Z";
 *                               --years Y makes it 2023-01-01 .. the last day of 2022 + Y
 *   customer_id  int64          10000001 .. 15000000, skewed toward low ids
 *   category     string         16 names (one with '&'), weighted
 *   region       string         12 codes, weighted; currency follows the region
 *   product_id   string         "ELE-004821": category code + product number
 *   quantity     int32          1 .. 50, mostly 1-3
 *   unit_price   decimal(10,2)  fixed per product (a hash of category and product number)
 *   amount       decimal(12,2)  quantity * unit_price - discount, exactly
 *   currency     string         ISO 4217 code of the region
 *   status       string         7 values, weighted
 *   channel      string         6 values, weighted
 *   discount     float64        money off, always a whole number of cents (printed "12.3")
 *   is_prime     bool
 *   note         string         1-6 phrases: quotes, backslashes, tabs, newlines, '<' '&',
 *                               2-, 3- and 4-byte UTF-8; some written with \u escapes (JSON)
 *                               or character references / CDATA (XML)
 *
 * --dirty adds, on top of the same base records: vocabulary strings in upper or lower case or
 * padded with spaces, nulls (~2% per nullable column: JSON null, an empty unquoted CSV field,
 * a missing XML element, or an empty one in a column that is not a string: an empty string
 * element is an empty string to XML readers), and ~3% duplicate order ids (half exact copies of an earlier
 * row, half later updates of it with a new status and a later ts, clamped to the span's last
 * microsecond). order_id and ts are never null. Empty strings never occur, so an empty CSV
 * field or XML element always means null.
 *
 * A program, not library code: it prints its own errors and exits 1 (usage) or 3 (I/O). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <omp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kn_alloc.h"

#define GEN_FORMAT_VERSION 1

/* ---- randomness ------------------------------------------------------------------------ */

/* SplitMix64's finaliser: a bijective mixer with good avalanche, cheap enough per value. */
static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct gen_rng {
    uint64_t s;
} gen_rng;

static inline uint64_t rng_next(gen_rng *r) {
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

/* A value in [0, n) by multiply-shift (Lemire), without a division. */
static inline uint32_t rng_below(gen_rng *r, uint32_t n) {
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline bool rng_per_mille(gen_rng *r, uint32_t p) { return rng_below(r, 1000) < p; }

/* Independent streams per row: the base record, the --dirty edits, the duplicate choice. Keeping
 * them apart means the dirty data set is the clean one plus edits, row for row. */
enum { STREAM_BASE = 1, STREAM_DIRTY = 2, STREAM_DUP = 3 };

static inline gen_rng row_rng(uint64_t seed, uint64_t row, uint64_t stream) {
    gen_rng r = {mix64(mix64(seed ^ (stream * 0xd6e8feb86659fd93ULL)) ^ (row * 0x9e3779b97f4a7c15ULL))};
    return r;
}

/* Picks an index by integer weights; `n` is small (<= 16), so a linear scan is fastest. */
static uint32_t pick_weighted(gen_rng *r, const uint16_t *w, uint32_t n, uint32_t total) {
    uint32_t x = rng_below(r, total);
    for (uint32_t i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---- vocabularies ---------------------------------------------------------------------- */

typedef struct category_def {
    const char *name;
    const char *code;
    uint16_t weight;
    uint32_t price_lo, price_hi; /* cents */
} category_def;

static const category_def categories[] = {
    {"Electronics", "ELE", 160, 999, 249999},     {"Books", "BOO", 120, 299, 8999},
    {"Home & Kitchen", "HOM", 110, 499, 59999},   {"Clothing", "CLO", 100, 799, 29999},
    {"Toys & Games", "TOY", 70, 399, 19999},      {"Grocery", "GRO", 90, 99, 4999},
    {"Sports & Outdoors", "SPO", 60, 599, 99999}, {"Beauty", "BEA", 55, 299, 14999},
    {"Automotive", "AUT", 35, 499, 79999},        {"Garden", "GAR", 30, 399, 49999},
    {"Health", "HEA", 45, 199, 9999},             {"Office Products", "OFF", 40, 149, 39999},
    {"Pet Supplies", "PET", 35, 199, 19999},      {"Music", "MUS", 20, 499, 199999},
    {"Video Games", "VID", 25, 999, 69999},       {"Jewelry", "JEW", 5, 1999, 249999},
};
#define N_CATEGORIES (sizeof categories / sizeof categories[0])

typedef struct region_def {
    const char *name;
    const char *currency;
    uint16_t weight;
} region_def;

static const region_def regions[] = {
    {"us-east", "USD", 220}, {"us-west", "USD", 160},      {"ca-central", "CAD", 50},
    {"eu-west", "EUR", 110}, {"eu-central", "EUR", 120},   {"eu-north", "EUR", 30},
    {"uk-south", "GBP", 80}, {"ap-south", "INR", 70},      {"ap-northeast", "JPY", 60},
    {"ap-southeast", "SGD", 35}, {"au-east", "AUD", 40}, {"sa-east", "BRL", 25},
};
#define N_REGIONS (sizeof regions / sizeof regions[0])

static const char *const statuses[] = {"pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded"};
static const uint16_t status_weights[] = {80, 120, 150, 450, 80, 75, 45};
#define N_STATUSES (sizeof statuses / sizeof statuses[0])

static const char *const channels[] = {"web", "mobile_app", "marketplace", "store", "phone", "partner"};
static const uint16_t channel_weights[] = {400, 350, 120, 80, 30, 20};
#define N_CHANNELS (sizeof channels / sizeof channels[0])

static const uint16_t discount_pcts[] = {0, 5, 10, 15, 20, 25, 50};
static const uint16_t discount_weights[] = {550, 120, 120, 80, 70, 40, 20};
#define N_DISCOUNTS (sizeof discount_pcts / sizeof discount_pcts[0])

/* Note phrases. Plain ASCII phrases are common; the rest each exercise one thing a reader must
 * get right: quotes, commas, backslashes, tab and newline, XML specials, and multi-byte UTF-8. */
static const char *const note_phrases[] = {
    "Leave at door",
    "Gift wrap",
    "Ring twice",
    "No signature needed",
    "Express shipping",
    "Second attempt",
    "Back-ordered",
    "Replacement unit",
    "Office order",
    "Price matched",
    "Call before delivery",
    "Fragile",
    "Left with neighbour",
    "Promo SPRING24",
    "Gate code 4471",
    "Invoice to AP",
    "Customer wrote: \"hurry, it's a gift\"",
    "After 6pm, ring twice",
    "Label C:\\labels\\0042.pdf",
    "Line 1: blue\nLine 2: red",
    "Size:\tXL\tColour:\tnavy",
    "Price < 100 & > 50",
    "Use code <SAVE10>",
    "50% off; 'limited' offer",
    "Caf\xc3\xa9 cr\xc3\xa8me, extra sugar",
    "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen",
    "na\xc3\xafve r\xc3\xa9sum\xc3\xa9 fa\xc3\xa7" "ade",
    "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe6\xb8\x8b\xe8\xb0\xb7\xe5\x8c\xba\xe3\x81\xb8\xe9\x85\x8d\xe9\x80\x81",
    "\xf0\x9f\x8e\x81 birthday present \xf0\x9f\x8e\x89",
    "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac \xce\xb3\xcf\x81\xce\xac\xce\xbc\xce\xbc\xce\xb1\xcf\x84\xce\xb1",
    "\xd0\x94\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xba\xd0\xb0 \xd0\xb4\xd0\xbe \xd0\xb4\xd0\xb2\xd0\xb5\xd1\x80\xd0\xb8",
    "S\xc3\xa3o Paulo \xe2\x80\x93 entrega r\xc3\xa1pida",
    "\xe2\x82\xac" "5 voucher enclosed",
    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xeb\xa9\x94\xeb\xaa\xa8",
    "Z\xc3\xbcrich HB, Gleis 7 \xe2\x9c\x93",
};
#define N_PLAIN_PHRASES 16u
#define N_NOTE_PHRASES (sizeof note_phrases / sizeof note_phrases[0])

/* ---- the record ------------------------------------------------------------------------ */

enum {
    F_ORDER_ID, F_TS, F_CUSTOMER_ID, F_CATEGORY, F_REGION, F_PRODUCT_ID, F_QUANTITY, F_UNIT_PRICE,
    F_AMOUNT, F_CURRENCY, F_STATUS, F_CHANNEL, F_DISCOUNT, F_IS_PRIME, F_NOTE, N_FIELDS
};

static const char *const field_names[N_FIELDS] = {
    "order_id", "ts", "customer_id", "category", "region", "product_id", "quantity", "unit_price",
    "amount", "currency", "status", "channel", "discount", "is_prime", "note"};

static const char *const field_types[N_FIELDS] = {
    "int64", "timestamptz", "int64", "string", "string", "string", "int32", "decimal(10,2)",
    "decimal(12,2)", "string", "string", "string", "float64", "bool", "string"};

#define NOTE_MAX 480       /* raw note bytes; phrases are cut at a phrase boundary below this */
#define VOCAB_MAX 40       /* a vocabulary string after padding */
#define RECORD_BOUND 8192  /* no rendered record is longer (checked at run time) */

typedef struct order_rec {
    int64_t order_id;
    int64_t ts_us; /* since 1970-01-01T00:00:00Z */
    int64_t customer_id;
    int64_t unit_price_cents;
    int64_t amount_cents;
    int64_t discount_cents;
    int32_t quantity;
    bool is_prime;
    uint32_t nulls;       /* bit per field */
    uint8_t note_style;   /* NOTE_RAW, NOTE_ESCAPED (\u / &#x;), NOTE_CDATA (XML only) */
    uint8_t xml_null_empty; /* XML nulls as <x/> rather than a missing element */
    char category[VOCAB_MAX];
    char region[VOCAB_MAX];
    char product_id[VOCAB_MAX];
    char currency[VOCAB_MAX];
    char status[VOCAB_MAX];
    char channel[VOCAB_MAX];
    char note[NOTE_MAX + 64];
    uint16_t note_len;
} order_rec;

enum { NOTE_RAW = 0, NOTE_ESCAPED, NOTE_CDATA };

static const int64_t TS_START_US = INT64_C(1672531200) * 1000000; /* 2023-01-01T00:00:00Z */
#define TS_FIRST_YEAR 2023
#define TS_DEFAULT_YEARS 3 /* 2023-2025, the span of format version 1 before --years existed */
#define TS_MAX_YEARS 100

/* Microseconds from 1970-01-01 to January 1st of `year` (>= 1970), UTC. With the default span
 * the end is 2026-01-01 = 1767225600 s, the constant the data was made with before --years, so
 * every ts draw (a remainder by end - start) is the same as before. */
static int64_t year_start_us(int year) {
    int64_t days = 0;
    for (int y = 1970; y < year; y++) days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
    return days * 86400 * 1000000;
}
static const int64_t ORDER_ID_BASE = INT64_C(100000000000);

static void copy_str(char *dst, const char *src) {
    size_t n = strlen(src);
    if (n >= VOCAB_MAX) n = VOCAB_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The smaller of two uniform draws: a cheap skew toward low values. */
static uint32_t skewed_below(gen_rng *r, uint32_t n) {
    uint32_t a = rng_below(r, n), b = rng_below(r, n);
    return a < b ? a : b;
}

/* A product's price is fixed by its identity, so aggregations per product look real. */
static int64_t product_price_cents(uint64_t seed, uint32_t cat, uint32_t product) {
    gen_rng r = row_rng(seed, ((uint64_t)cat << 32) | product, 0x5052494345ULL);
    const category_def *c = &categories[cat];
    uint32_t span = c->price_hi - c->price_lo + 1;
    int64_t p = (int64_t)c->price_lo + skewed_below(&r, span);
    if (rng_per_mille(&r, 650)) p = (p / 100) * 100 + 99; /* most prices end in .99 */
    if (p > (int64_t)c->price_hi) p = c->price_hi;
    return p;
}

static void make_note(gen_rng *r, order_rec *rec) {
    /* Most notes are one short phrase; a few are long. */
    uint32_t pick = rng_below(r, 1000);
    uint32_t n = pick < 700 ? 1 : pick < 930 ? 2 : 5;
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* Two in three phrases are plain; the rest come from the whole list. */
        uint32_t k = rng_per_mille(r, 660) ? rng_below(r, N_PLAIN_PHRASES) : rng_below(r, N_NOTE_PHRASES);
        const char *p = note_phrases[k];
        size_t pl = strlen(p);
        if (len + 2 + pl > NOTE_MAX) break;
        if (i) {
            memcpy(rec->note + len, ". ", 2);
            len += 2;
        }
        memcpy(rec->note + len, p, pl);
        len += pl;
    }
    rec->note[len] = '\0';
    rec->note_len = (uint16_t)len;
    uint32_t style = rng_below(r, 1000);
    rec->note_style = style < 100 ? NOTE_ESCAPED : style < 140 ? NOTE_CDATA : NOTE_RAW;
}

/* Weight tables in the shape pick_weighted wants; filled once by main before any thread starts. */
static uint16_t cat_w[N_CATEGORIES], region_w[N_REGIONS];
static uint32_t cat_total, region_total;

static void init_tables(void) {
    for (uint32_t i = 0; i < N_CATEGORIES; i++) cat_total += cat_w[i] = categories[i].weight;
    for (uint32_t i = 0; i < N_REGIONS; i++) region_total += region_w[i] = regions[i].weight;
}

/* `ts_end_us` is the first microsecond past the span (January 1st after its last year). */
static void gen_base(uint64_t seed, uint64_t row, int64_t ts_end_us, order_rec *rec) {
    gen_rng r = row_rng(seed, row, STREAM_BASE);
    memset(rec, 0, offsetof(order_rec, category));
    rec->order_id = ORDER_ID_BASE + (int64_t)row;
    rec->ts_us = TS_START_US + (int64_t)(rng_next(&r) % (uint64_t)(ts_end_us - TS_START_US));
    rec->customer_id = 10000001 + skewed_below(&r, 5000000);

    uint32_t cat = pick_weighted(&r, cat_w, N_CATEGORIES, cat_total);
    uint32_t reg = pick_weighted(&r, region_w, N_REGIONS, region_total);
    copy_str(rec->category, categories[cat].name);
    copy_str(rec->region, regions[reg].name);
    copy_str(rec->currency, regions[reg].currency);

    uint32_t product = skewed_below(&r, 20000);
    snprintf(rec->product_id, VOCAB_MAX, "%s-%06" PRIu32, categories[cat].code, product);

    uint32_t q = rng_below(&r, 1000);
    rec->quantity = q < 500 ? 1 : q < 720 ? 2 : q < 820 ? 3 : q < 970 ? 4 + (int32_t)rng_below(&r, 7)
                                                                        : 11 + (int32_t)rng_below(&r, 40);
    rec->unit_price_cents = product_price_cents(seed, cat, product);
    int64_t gross = rec->quantity * rec->unit_price_cents;
    uint32_t pct = discount_pcts[pick_weighted(&r, discount_weights, N_DISCOUNTS, 1000)];
    rec->discount_cents = (gross * pct + 50) / 100;
    rec->amount_cents = gross - rec->discount_cents;

    copy_str(rec->status, statuses[pick_weighted(&r, status_weights, N_STATUSES, 1000)]);
    copy_str(rec->channel, channels[pick_weighted(&r, channel_weights, N_CHANNELS, 1000)]);
    rec->is_prime = rng_per_mille(&r, 350);
    make_note(&r, rec);
}

/* Upper case, lower case, or padded with spaces: what hand-keyed or merged sources look like. */
static void dirty_vocab(gen_rng *r, char *s) {
    if (!rng_per_mille(r, 60)) return;
    uint32_t kind = rng_below(r, 4);
    if (kind == 0 || kind == 3)
        for (char *p = s; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    if (kind == 1)
        for (char *p = s; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    if (kind >= 2) {
        uint32_t lead = 1 + rng_below(r, 3), trail = rng_below(r, 3);
        size_t n = strlen(s);
        if (lead + n + trail >= VOCAB_MAX) return;
        memmove(s + lead, s, n);
        memset(s, ' ', lead);
        memset(s + lead + n, ' ', trail);
        s[lead + n + trail] = '\0';
    }
}

static void apply_dirty(uint64_t seed, uint64_t row, order_rec *rec) {
    gen_rng r = row_rng(seed, row, STREAM_DIRTY);
    dirty_vocab(&r, rec->category);
    dirty_vocab(&r, rec->region);
    dirty_vocab(&r, rec->currency);
    dirty_vocab(&r, rec->status);
    dirty_vocab(&r, rec->channel);
    if (rng_per_mille(&r, 30))
        for (char *p = rec->product_id; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    if (rng_per_mille(&r, 30) && rec->note_len + 4 <= NOTE_MAX) {
        memmove(rec->note + 2, rec->note, rec->note_len);
        rec->note[0] = rec->note[1] = ' ';
        rec->note[rec->note_len + 2] = ' ';
        rec->note_len = (uint16_t)(rec->note_len + 3);
        rec->note[rec->note_len] = '\0';
    }
    for (int f = F_CUSTOMER_ID; f < N_FIELDS; f++)
        if (rng_per_mille(&r, 20)) rec->nulls |= 1u << f;
    rec->xml_null_empty = (uint8_t)rng_below(&r, 2);
}

static bool is_duplicate_row(uint64_t seed, uint64_t row) {
    if (row == 0) return false;
    gen_rng r = row_rng(seed, row, STREAM_DUP);
    return rng_per_mille(&r, 30);
}

static void gen_plain(uint64_t seed, uint64_t row, bool dirty, int64_t ts_end_us, order_rec *rec) {
    gen_base(seed, row, ts_end_us, rec);
    if (dirty) apply_dirty(seed, row, rec);
}

/* The record at `row`: the base draw, the --dirty edits, and (dirty only) duplicates of an
 * earlier row within the previous 10,000, which is never itself a duplicate. Every ts is below
 * `ts_end_us`, later updates included. */
static void gen_record(uint64_t seed, uint64_t row, bool dirty, int64_t ts_end_us, order_rec *rec) {
    if (!dirty || !is_duplicate_row(seed, row)) {
        gen_plain(seed, row, dirty, ts_end_us, rec);
        return;
    }
    gen_rng r = row_rng(seed, row, STREAM_DUP);
    (void)rng_next(&r); /* the draw is_duplicate_row used */
    uint64_t back = 1 + rng_below(&r, (uint32_t)(row < 10000 ? row : 10000));
    uint64_t src = row - back;
    while (is_duplicate_row(seed, src)) src--;
    gen_plain(seed, src, dirty, ts_end_us, rec);
    if (rng_below(&r, 2)) {
        /* A later update of the same order: new status, later time. */
        int64_t later = rec->ts_us + 60000000 + (int64_t)(rng_next(&r) % UINT64_C(259200000000));
        /* Clamped to the span's end whatever --years is, so a benchmark partitioned by day or
         * hour never sees a folder past the span's last one; wrapping to the start instead
         * would put an update before the order it updates. */
        rec->ts_us = later < ts_end_us ? later : ts_end_us - 1;
        const char *now = statuses[rng_below(&r, N_STATUSES)];
        if (strcmp(now, rec->status) == 0) now = statuses[(rng_below(&r, N_STATUSES - 1) + 1) % N_STATUSES];
        copy_str(rec->status, now);
        rec->nulls &= ~(1u << F_STATUS);
    }
}

/* ---- rendering ------------------------------------------------------------------------- */

typedef struct out_buf {
    char *p; /* write cursor */
} out_buf;

static inline void put(out_buf *o, const char *s, size_t n) {
    memcpy(o->p, s, n);
    o->p += n;
}
#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)
static inline void put_c(out_buf *o, char c) { *o->p++ = c; }
static inline void put_s(out_buf *o, const char *s) { put(o, s, strlen(s)); }

static void put_u64(out_buf *o, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *o->p++ = tmp[--n];
}

static void put_i64(out_buf *o, int64_t v) {
    if (v < 0) {
        put_c(o, '-');
        put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

static void put_2d(out_buf *o, unsigned v) {
    o->p[0] = (char)('0' + v / 10);
    o->p[1] = (char)('0' + v % 10);
    o->p += 2;
}

/* Cents as a decimal with exactly two places: 12999 -> "129.99". */
static void put_decimal2(out_buf *o, int64_t cents) {
    put_i64(o, cents / 100);
    put_c(o, '.');
    put_2d(o, (unsigned)(cents % 100));
}

/* Cents as a float's shortest text: 1230 -> "12.3", 1200 -> "12.0", 1234 -> "12.34". */
static void put_float_cents(out_buf *o, int64_t cents) {
    put_i64(o, cents / 100);
    put_c(o, '.');
    unsigned frac = (unsigned)(cents % 100);
    if (frac % 10 == 0) put_c(o, (char)('0' + frac / 10));
    else put_2d(o, frac);
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* "2024-03-15T12:34:56.123456Z" (27 bytes). */
static void put_ts(out_buf *o, int64_t us) {
    int64_t secs = us / 1000000;
    unsigned frac = (unsigned)(us % 1000000);
    int64_t days = secs / 86400;
    unsigned sod = (unsigned)(secs % 86400);
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_2d(o, (unsigned)y / 100);
    put_2d(o, (unsigned)y % 100);
    put_c(o, '-');
    put_2d(o, m);
    put_c(o, '-');
    put_2d(o, d);
    put_c(o, 'T');
    put_2d(o, sod / 3600);
    put_c(o, ':');
    put_2d(o, sod / 60 % 60);
    put_c(o, ':');
    put_2d(o, sod % 60);
    put_c(o, '.');
    put_2d(o, frac / 10000);
    put_2d(o, frac / 100 % 100);
    put_2d(o, frac % 100);
    put_c(o, 'Z');
}

/* Decodes one UTF-8 sequence at `s` (the generator only holds valid UTF-8). */
static uint32_t utf8_decode(const unsigned char *s, size_t *used) {
    if (s[0] < 0x80) {
        *used = 1;
        return s[0];
    }
    if (s[0] < 0xe0) {
        *used = 2;
        return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if (s[0] < 0xf0) {
        *used = 3;
        return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
    *used = 4;
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
           ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

static const char hex_digits[] = "0123456789abcdef";

static void put_hex4(out_buf *o, uint32_t v) {
    for (int sh = 12; sh >= 0; sh -= 4) put_c(o, hex_digits[(v >> sh) & 15]);
}

/* A JSON string. `ascii_only` writes every non-ASCII code point as \uXXXX (surrogate pairs
 * above the BMP), as some exporters do, so readers must decode escapes into UTF-8. */
static void put_json_str(out_buf *o, const char *s, size_t n, bool ascii_only) {
    put_c(o, '"');
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !ascii_only)) {
            put_c(o, (char)c);
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t used;
            uint32_t cp = utf8_decode(u + i, &used);
            i += used;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                PUT_LIT(o, "\\u");
                put_hex4(o, 0xd800 + (cp >> 10));
                PUT_LIT(o, "\\u");
                put_hex4(o, 0xdc00 + (cp & 0x3ff));
            } else {
                PUT_LIT(o, "\\u");
                put_hex4(o, cp);
            }
            continue;
        }
        i++;
        switch (c) {
        case '"': PUT_LIT(o, "\\\""); break;
        case '\\': PUT_LIT(o, "\\\\"); break;
        case '\n': PUT_LIT(o, "\\n"); break;
        case '\t': PUT_LIT(o, "\\t"); break;
        case '\r': PUT_LIT(o, "\\r"); break;
        default:
            PUT_LIT(o, "\\u");
            put_hex4(o, c);
        }
    }
    put_c(o, '"');
}

static inline bool is_null(const order_rec *rec, int f) { return (rec->nulls >> f) & 1u; }

static void render_ndjson(const order_rec *rec, out_buf *o) {
    PUT_LIT(o, "{\"order_id\":");
    put_i64(o, rec->order_id);
    PUT_LIT(o, ",\"ts\":\"");
    put_ts(o, rec->ts_us);
    put_c(o, '"');
#define JSON_KEY(lit) PUT_LIT(o, ",\"" lit "\":")
#define JSON_NULL_OR(f, lit, stmt)          \
    do {                                    \
        JSON_KEY(lit);                      \
        if (is_null(rec, f)) PUT_LIT(o, "null"); \
        else { stmt; }                      \
    } while (0)
    JSON_NULL_OR(F_CUSTOMER_ID, "customer_id", put_i64(o, rec->customer_id));
    JSON_NULL_OR(F_CATEGORY, "category", put_json_str(o, rec->category, strlen(rec->category), false));
    JSON_NULL_OR(F_REGION, "region", put_json_str(o, rec->region, strlen(rec->region), false));
    JSON_NULL_OR(F_PRODUCT_ID, "product_id", put_json_str(o, rec->product_id, strlen(rec->product_id), false));
    JSON_NULL_OR(F_QUANTITY, "quantity", put_i64(o, rec->quantity));
    JSON_NULL_OR(F_UNIT_PRICE, "unit_price", put_decimal2(o, rec->unit_price_cents));
    JSON_NULL_OR(F_AMOUNT, "amount", put_decimal2(o, rec->amount_cents));
    JSON_NULL_OR(F_CURRENCY, "currency", put_json_str(o, rec->currency, strlen(rec->currency), false));
    JSON_NULL_OR(F_STATUS, "status", put_json_str(o, rec->status, strlen(rec->status), false));
    JSON_NULL_OR(F_CHANNEL, "channel", put_json_str(o, rec->channel, strlen(rec->channel), false));
    JSON_NULL_OR(F_DISCOUNT, "discount", put_float_cents(o, rec->discount_cents));
    JSON_NULL_OR(F_IS_PRIME, "is_prime", if (rec->is_prime) PUT_LIT(o, "true"); else PUT_LIT(o, "false"));
    JSON_NULL_OR(F_NOTE, "note", put_json_str(o, rec->note, rec->note_len, rec->note_style == NOTE_ESCAPED));
#undef JSON_NULL_OR
#undef JSON_KEY
    PUT_LIT(o, "}\n");
}

/* An RFC 4180 field: quoted when it holds a comma, quote, CR or LF, or starts or ends with a
 * space (some readers trim unquoted spaces); quotes doubled. Never empty (empty means null). */
static void put_csv_str(out_buf *o, const char *s, size_t n) {
    bool quote = n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' || s[n - 1] == '\t';
    for (size_t i = 0; i < n && !quote; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = true;
    if (!quote) {
        put(o, s, n);
        return;
    }
    put_c(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') put_c(o, '"');
        put_c(o, s[i]);
    }
    put_c(o, '"');
}

static void render_csv(const order_rec *rec, out_buf *o, bool crlf) {
    put_i64(o, rec->order_id);
    put_c(o, ',');
    put_ts(o, rec->ts_us);
#define CSV_FIELD(f, stmt)                  \
    do {                                    \
        put_c(o, ',');                      \
        if (!is_null(rec, f)) { stmt; }     \
    } while (0)
    CSV_FIELD(F_CUSTOMER_ID, put_i64(o, rec->customer_id));
    CSV_FIELD(F_CATEGORY, put_csv_str(o, rec->category, strlen(rec->category)));
    CSV_FIELD(F_REGION, put_csv_str(o, rec->region, strlen(rec->region)));
    CSV_FIELD(F_PRODUCT_ID, put_csv_str(o, rec->product_id, strlen(rec->product_id)));
    CSV_FIELD(F_QUANTITY, put_i64(o, rec->quantity));
    CSV_FIELD(F_UNIT_PRICE, put_decimal2(o, rec->unit_price_cents));
    CSV_FIELD(F_AMOUNT, put_decimal2(o, rec->amount_cents));
    CSV_FIELD(F_CURRENCY, put_csv_str(o, rec->currency, strlen(rec->currency)));
    CSV_FIELD(F_STATUS, put_csv_str(o, rec->status, strlen(rec->status)));
    CSV_FIELD(F_CHANNEL, put_csv_str(o, rec->channel, strlen(rec->channel)));
    CSV_FIELD(F_DISCOUNT, put_float_cents(o, rec->discount_cents));
    CSV_FIELD(F_IS_PRIME, if (rec->is_prime) PUT_LIT(o, "true"); else PUT_LIT(o, "false"));
    CSV_FIELD(F_NOTE, put_csv_str(o, rec->note, rec->note_len));
#undef CSV_FIELD
    if (crlf) put_c(o, '\r');
    put_c(o, '\n');
}

/* XML character data: &, < and > escaped (> so that "]]>" can never appear); `charrefs`
 * writes non-ASCII code points as &#x...; references. */
static void put_xml_text(out_buf *o, const char *s, size_t n, bool charrefs) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '&') PUT_LIT(o, "&amp;");
        else if (c == '<') PUT_LIT(o, "&lt;");
        else if (c == '>') PUT_LIT(o, "&gt;");
        else if (c >= 0x80 && charrefs) {
            size_t used;
            uint32_t cp = utf8_decode(u + i, &used);
            i += used;
            PUT_LIT(o, "&#x");
            int sh = 20;
            while (sh > 0 && ((cp >> sh) & 15) == 0) sh -= 4;
            for (; sh >= 0; sh -= 4) put_c(o, hex_digits[(cp >> sh) & 15]);
            put_c(o, ';');
            continue;
        } else put_c(o, (char)c);
        i++;
    }
}

static void render_xml(const order_rec *rec, out_buf *o) {
    PUT_LIT(o, "<order><order_id>");
    put_i64(o, rec->order_id);
    PUT_LIT(o, "</order_id><ts>");
    put_ts(o, rec->ts_us);
    PUT_LIT(o, "</ts>");
    /* A null is a missing element or, in a column that is not a string, an empty one, chosen
     * per record, so readers see both (an empty string element is an empty string). */
#define XML_FIELD(f, tag, stmt) XML_FIELD_(f, tag, stmt, true)
#define XML_STRING(f, tag, stmt) XML_FIELD_(f, tag, stmt, false)
#define XML_FIELD_(f, tag, stmt, may_be_empty)                         \
    do {                                                               \
        if (is_null(rec, f)) {                                         \
            if (may_be_empty && rec->xml_null_empty) PUT_LIT(o, "<" tag "/>"); \
        } else {                                                       \
            PUT_LIT(o, "<" tag ">");                                   \
            stmt;                                                      \
            PUT_LIT(o, "</" tag ">");                                  \
        }                                                              \
    } while (0)
    XML_FIELD(F_CUSTOMER_ID, "customer_id", put_i64(o, rec->customer_id));
    XML_STRING(F_CATEGORY, "category", put_xml_text(o, rec->category, strlen(rec->category), false));
    XML_STRING(F_REGION, "region", put_xml_text(o, rec->region, strlen(rec->region), false));
    XML_STRING(F_PRODUCT_ID, "product_id", put_xml_text(o, rec->product_id, strlen(rec->product_id), false));
    XML_FIELD(F_QUANTITY, "quantity", put_i64(o, rec->quantity));
    XML_FIELD(F_UNIT_PRICE, "unit_price", put_decimal2(o, rec->unit_price_cents));
    XML_FIELD(F_AMOUNT, "amount", put_decimal2(o, rec->amount_cents));
    XML_STRING(F_CURRENCY, "currency", put_xml_text(o, rec->currency, strlen(rec->currency), false));
    XML_STRING(F_STATUS, "status", put_xml_text(o, rec->status, strlen(rec->status), false));
    XML_STRING(F_CHANNEL, "channel", put_xml_text(o, rec->channel, strlen(rec->channel), false));
    XML_FIELD(F_DISCOUNT, "discount", put_float_cents(o, rec->discount_cents));
    XML_FIELD(F_IS_PRIME, "is_prime", if (rec->is_prime) PUT_LIT(o, "true"); else PUT_LIT(o, "false"));
    XML_STRING(F_NOTE, "note",
              if (rec->note_style == NOTE_CDATA) {
                  PUT_LIT(o, "<![CDATA[");
                  put(o, rec->note, rec->note_len);
                  PUT_LIT(o, "]]>");
              } else put_xml_text(o, rec->note, rec->note_len, rec->note_style == NOTE_ESCAPED));
#undef XML_FIELD
#undef XML_STRING
#undef XML_FIELD_
    PUT_LIT(o, "</order>\n");
}

/* ---- output ---------------------------------------------------------------------------- */

typedef enum gen_format { FMT_NDJSON, FMT_CSV, FMT_XML } gen_format;

static const char *const format_ext[] = {"ndjson", "csv", "xml"};

typedef struct gen_opts {
    uint64_t rows;
    uint64_t seed;
    gen_format format;
    bool dirty;
    bool crlf;
    bool dir_mode;
    bool quiet;
    int64_t shards;      /* files in DIR; 1 in file mode */
    int64_t shard_index; /* -1: all shards */
    int threads;
    int years;          /* ts spans 2023-01-01 up to January 1st of 2023 + years */
    int64_t ts_end_us;  /* year_start_us(2023 + years) */
    const char *out;
} gen_opts;

#define BLOCK_ROWS 2048u

static size_t render_header(const gen_opts *g, char *buf) {
    out_buf o = {buf};
    if (g->format == FMT_CSV) {
        for (int f = 0; f < N_FIELDS; f++) {
            if (f) put_c(&o, ',');
            put_s(&o, field_names[f]);
        }
        if (g->crlf) put_c(&o, '\r');
        put_c(&o, '\n');
    } else if (g->format == FMT_XML) {
        PUT_LIT(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orders>\n");
    }
    return (size_t)(o.p - buf);
}

/* Renders rows [first, end) into `buf` (BLOCK_ROWS * RECORD_BOUND bytes). Returns the length, or
 * (size_t)-1 if a record broke the bound, which would be a bug in the generator. */
static size_t render_block(const gen_opts *g, uint64_t first, uint64_t end, char *buf) {
    out_buf o = {buf};
    order_rec rec;
    for (uint64_t row = first; row < end; row++) {
        char *start = o.p;
        gen_record(g->seed, row, g->dirty, g->ts_end_us, &rec);
        if (g->format == FMT_NDJSON) render_ndjson(&rec, &o);
        else if (g->format == FMT_CSV) render_csv(&rec, &o, g->crlf);
        else render_xml(&rec, &o);
        if ((size_t)(o.p - start) > RECORD_BOUND) return (size_t)-1;
    }
    return (size_t)(o.p - buf);
}

/* Writes one file: rows [first, end) plus the format's header and footer. The bytes go to a
 * dot-named temporary beside the target and are renamed into place when complete, so a file
 * with the final name is always whole (the benchmark reuses existing files). */
static int write_file(const gen_opts *g, const char *path, uint64_t first, uint64_t end, uint64_t *bytes) {
    char tmp[4200];
    FILE *f;
    bool to_stdout = strcmp(path, "-") == 0;
    /* A device or pipe (-o /dev/null, a FIFO) is written in place: renaming a temporary over it
     * would replace the device node with a plain file. */
    struct stat st;
    bool in_place = !to_stdout && stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    if (to_stdout) {
        f = stdout;
    } else if (in_place) {
        f = fopen(path, "wb");
        if (!f) {
            fprintf(stderr, "kn_gen_orders: cannot open %s: %s\n", path, strerror(errno));
            return 3;
        }
    } else {
        const char *slash = strrchr(path, '/');
        int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp", (int)(slash - path), path, slash + 1)
                      : snprintf(tmp, sizeof tmp, ".%s.tmp", path);
        if (n < 0 || (size_t)n >= sizeof tmp) {
            fprintf(stderr, "kn_gen_orders: output path too long: %s\n", path);
            return 1;
        }
        f = fopen(tmp, "wb");
        if (!f) {
            fprintf(stderr, "kn_gen_orders: cannot create %s: %s\n", tmp, strerror(errno));
            return 3;
        }
    }
    char head[1024];
    size_t hl = render_header(g, head);
    bool ok = fwrite(head, 1, hl, f) == hl;
    uint64_t total = hl;
    bool bound_broken = false, no_memory = false;
    uint64_t nblocks = (end - first + BLOCK_ROWS - 1) / BLOCK_ROWS;

#pragma omp parallel num_threads(g->threads) reduction(+ : total)
    {
        char *buf = kn_malloc((size_t)BLOCK_ROWS * RECORD_BOUND);
#pragma omp for ordered schedule(dynamic, 1)
        for (uint64_t b = 0; b < nblocks; b++) {
            uint64_t lo = first + b * BLOCK_ROWS;
            uint64_t hi = lo + BLOCK_ROWS < end ? lo + BLOCK_ROWS : end;
            size_t len = buf ? render_block(g, lo, hi, buf) : 0;
#pragma omp ordered
            {
                if (!buf) {
                    no_memory = true;
                } else if (len == (size_t)-1) {
                    bound_broken = true;
                } else if (ok) {
                    if (fwrite(buf, 1, len, f) != len) ok = false;
                    total += len;
                }
            }
        }
        kn_free(buf);
    }
    if (g->format == FMT_XML) {
        ok = ok && fputs("</orders>\n", f) >= 0;
        total += 10;
    }
    bool via_tmp = !to_stdout && !in_place;
    if (to_stdout) ok = fflush(f) == 0 && ok;
    else ok = fclose(f) == 0 && ok;
    if (no_memory) {
        fprintf(stderr, "kn_gen_orders: out of memory for the block buffers\n");
        if (via_tmp) remove(tmp);
        return 4;
    }
    if (bound_broken) {
        fprintf(stderr, "kn_gen_orders: internal error: a record exceeded %d bytes\n", RECORD_BOUND);
        if (via_tmp) remove(tmp);
        return 4;
    }
    if (!ok) {
        fprintf(stderr, "kn_gen_orders: writing %s failed: %s\n", via_tmp ? tmp : path, strerror(errno));
        if (via_tmp) remove(tmp);
        return 3;
    }
    if (via_tmp && rename(tmp, path) != 0) {
        fprintf(stderr, "kn_gen_orders: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        remove(tmp);
        return 3;
    }
    *bytes += total;
    return 0;
}

static void print_schema(FILE *out) {
    fprintf(out, "# The order records of bench/kn_gen_orders (format version %d); `kn_gen_orders --print-schema`.\n",
            GEN_FORMAT_VERSION);
    fputs("columns:\n", out);
    for (int f = 0; f < N_FIELDS; f++) {
        fprintf(out, "  - name: %s\n    type: %s\n", field_names[f], field_types[f]);
        if (f == F_ORDER_ID || f == F_TS) fputs("    nullable: false\n", out);
    }
}

/* A printf format: %d is GEN_FORMAT_VERSION. */
static const char usage[] =
    "usage: kn_gen_orders --rows N [--seed S] [--format ndjson|csv|xml] [--dirty] [--years Y]\n"
    "                     [--shards K [--shard-index I]] [--crlf] [--threads T] -o DIR_or_FILE\n"
    "       kn_gen_orders --print-schema\n"
    "\n"
    "Writes N seeded order records (generator format version %d). Each record is a pure function\n"
    "of (seed, row index, --dirty, --years), so output is byte-identical across runs and thread\n"
    "counts, and the three formats hold the same records.\n"
    "\n"
    "  --rows N          records in all (over every shard)\n"
    "  --seed S          the seed (default 1)\n"
    "  --format F        ndjson (default), csv (header row, RFC 4180 quoting), xml\n"
    "  --dirty           mixed-case and padded strings, ~2%% nulls per column, ~3%% duplicate ids\n"
    "  --years Y         ts spans Y whole years from 2023-01-01 (default 3: 2023-2025; 1..100);\n"
    "                    the default gives the same bytes as before the option existed\n"
    "  --shards K        write K files DIR/orders-00000.EXT ...; shard k holds rows\n"
    "                    [k*N/K, (k+1)*N/K). Without it, -o is one file ('-' for stdout),\n"
    "                    unless -o names an existing folder (then one shard in it)\n"
    "  --shard-index I   write only shard I of K (for generating shards in separate processes)\n"
    "  --crlf            CSV rows end in CRLF (default LF)\n"
    "  --threads T       threads (default: every core)\n"
    "  -o PATH           the output folder or file\n"
    "  --print-schema    print the kiln schema YAML for these records and exit\n"
    "  -q, --quiet       no summary line on stderr\n";

static bool parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static int fail_usage(const char *msg, const char *arg) {
    fprintf(stderr, "kn_gen_orders: %s%s%s\n(see kn_gen_orders --help)\n", msg, arg ? ": " : "", arg ? arg : "");
    return 1;
}

int main(int argc, char **argv) {
    enum { O_ROWS = 256, O_SEED, O_FORMAT, O_DIRTY, O_SHARDS, O_SHARD_INDEX, O_CRLF, O_THREADS, O_SCHEMA, O_YEARS };
    static const struct option opts[] = {
        {"rows", required_argument, NULL, O_ROWS},       {"seed", required_argument, NULL, O_SEED},
        {"format", required_argument, NULL, O_FORMAT},   {"dirty", no_argument, NULL, O_DIRTY},
        {"shards", required_argument, NULL, O_SHARDS},   {"shard-index", required_argument, NULL, O_SHARD_INDEX},
        {"crlf", no_argument, NULL, O_CRLF},             {"threads", required_argument, NULL, O_THREADS},
        {"output", required_argument, NULL, 'o'},        {"print-schema", no_argument, NULL, O_SCHEMA},
        {"quiet", no_argument, NULL, 'q'},               {"help", no_argument, NULL, 'h'},
        {"years", required_argument, NULL, O_YEARS},
        {NULL, 0, NULL, 0},
    };
    gen_opts g = {.seed = 1, .format = FMT_NDJSON, .shards = 0, .shard_index = -1, .threads = 0,
                  .years = TS_DEFAULT_YEARS};
    bool have_rows = false;
    uint64_t v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_ROWS:
            if (!parse_u64(optarg, &g.rows) || g.rows > (UINT64_C(1) << 40)) return fail_usage("--rows wants a count", optarg);
            have_rows = true;
            break;
        case O_SEED:
            if (!parse_u64(optarg, &g.seed)) return fail_usage("--seed wants a non-negative integer", optarg);
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "ndjson") || !strcmp(optarg, "json")) g.format = FMT_NDJSON;
            else if (!strcmp(optarg, "csv")) g.format = FMT_CSV;
            else if (!strcmp(optarg, "xml")) g.format = FMT_XML;
            else return fail_usage("--format is ndjson, csv or xml", optarg);
            break;
        case O_DIRTY: g.dirty = true; break;
        case O_SHARDS:
            if (!parse_u64(optarg, &v) || v < 1 || v > 1000000) return fail_usage("--shards wants 1..1000000", optarg);
            g.shards = (int64_t)v;
            break;
        case O_SHARD_INDEX:
            if (!parse_u64(optarg, &v) || v > 1000000) return fail_usage("--shard-index wants a shard number", optarg);
            g.shard_index = (int64_t)v;
            break;
        case O_CRLF: g.crlf = true; break;
        case O_YEARS:
            if (!parse_u64(optarg, &v) || v < 1 || v > TS_MAX_YEARS) return fail_usage("--years wants 1..100", optarg);
            g.years = (int)v;
            break;
        case O_THREADS:
            if (!parse_u64(optarg, &v) || v < 1 || v > 1024) return fail_usage("--threads wants 1..1024", optarg);
            g.threads = (int)v;
            break;
        case 'o': g.out = optarg; break;
        case 'q': g.quiet = true; break;
        case O_SCHEMA: print_schema(stdout); return 0;
        case 'h': printf(usage, GEN_FORMAT_VERSION); return 0;
        default: return fail_usage("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) return fail_usage("unexpected argument", argv[optind]);
    if (!have_rows) return fail_usage("say how many records with --rows N", NULL);
    if (!g.out) return fail_usage("say where with -o DIR_or_FILE", NULL);
    if (g.threads == 0) g.threads = omp_get_max_threads();
    g.ts_end_us = year_start_us(TS_FIRST_YEAR + g.years);
    init_tables();
    if (g.crlf && g.format != FMT_CSV) return fail_usage("--crlf is for --format csv", NULL);

    struct stat st;
    bool out_is_dir = strcmp(g.out, "-") != 0 && stat(g.out, &st) == 0 && S_ISDIR(st.st_mode);
    g.dir_mode = g.shards > 0 || out_is_dir;
    if (!g.dir_mode) g.shards = 1;
    if (g.shards == 0) g.shards = 1;
    if (g.shard_index >= 0 && g.shard_index >= g.shards) return fail_usage("--shard-index must be below --shards", NULL);
    if (g.dir_mode && strcmp(g.out, "-") == 0) return fail_usage("--shards writes files into a folder, not '-'", NULL);
    if (g.dir_mode && !out_is_dir && mkdir(g.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "kn_gen_orders: cannot create folder %s: %s\n", g.out, strerror(errno));
        return 3;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t bytes = 0;
    int64_t files = 0;
    for (int64_t k = 0; k < g.shards; k++) {
        if (g.shard_index >= 0 && k != g.shard_index) continue;
        uint64_t first = (uint64_t)(g.rows * (uint64_t)k / (uint64_t)g.shards);
        uint64_t end = (uint64_t)(g.rows * (uint64_t)(k + 1) / (uint64_t)g.shards);
        char path[4096];
        if (g.dir_mode) {
            int n = snprintf(path, sizeof path, "%s/orders-%05" PRId64 ".%s", g.out, k, format_ext[g.format]);
            if (n < 0 || (size_t)n >= sizeof path) return fail_usage("output folder path too long", g.out);
        } else {
            snprintf(path, sizeof path, "%s", g.out);
        }
        int rc = write_file(&g, path, first, end, &bytes);
        if (rc) return rc;
        files++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t rows_written = g.rows;
    if (g.shard_index >= 0)
        rows_written = (uint64_t)(g.rows * (uint64_t)(g.shard_index + 1) / (uint64_t)g.shards) -
                       (uint64_t)(g.rows * (uint64_t)g.shard_index / (uint64_t)g.shards);
    if (!g.quiet)
        fprintf(stderr,
                "kn_gen_orders: %" PRIu64 " rows, %" PRId64 " file(s), %.1f MB (%.1f bytes/row) in %.2f s: "
                "%.1f MB/s, %.2f M rows/s on %d thread(s)\n",
                rows_written, files, (double)bytes / 1e6, rows_written ? (double)bytes / (double)rows_written : 0.0,
                secs, secs > 0 ? (double)bytes / 1e6 / secs : 0.0, secs > 0 ? (double)rows_written / 1e6 / secs : 0.0,
                g.threads);
    return 0;
}
