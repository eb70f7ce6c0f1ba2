/* tests/parquet/test_parquet_write.c: the Parquet writer's layers, from the bytes up: Thrift
 * compact encoding, RLE/bit-packed hybrid, PLAIN, statistics orders, codecs (checked by
 * decompressing with the libraries), and the file writer's errors, determinism and structure. */
#include <check.h>
#include <dirent.h>
#include <lz4.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_column.h"
#include "kn_file.h"
#include "kn_pq_codec.h"
#include "kn_pq_format.h"
#include "kn_pq_plain.h"
#include "kn_pq_rle.h"
#include "kn_pq_stats.h"
#include "kn_pq_thrift.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"
#include "kn_stream.h"
#include "pq_test_thrift_decode.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void assert_bytes(const kn_buf *b, const uint8_t *want, size_t n) {
    ck_assert_uint_eq(b->len, n);
    for (size_t i = 0; i < n; i++) {
        if (b->data[i] != want[i])
            ck_abort_msg("byte %zu: got 0x%02x, want 0x%02x", i, b->data[i], want[i]);
    }
}

/* A writer onto memory; the file's bytes land in `out` on close. */
static kn_pq_writer *mem_writer(const kn_schema *s, const kn_pq_options *o, kn_buf *out) {
    kn_error e;
    kn_error_reset(&e);
    kn_pq_writer *w = NULL;
    kn_status st = kn_pq_writer_create(s, kn_mem_sink_create(out), o, &w, &e);
    ck_assert_msg(st == KN_OK, "create: %s", e.what);
    return w;
}

static void close_ok(kn_pq_writer *w, kn_pq_file_info *info) {
    kn_error e;
    kn_error_reset(&e);
    kn_status st = kn_pq_writer_close(w, info, &e);
    ck_assert_msg(st == KN_OK, "close: %s", e.what);
}

/* Decodes the footer of a whole file in memory. */
static void parse_footer(const kn_buf *f, tn *fmd) {
    ck_assert_uint_ge(f->len, 12);
    ck_assert_int_eq(memcmp(f->data, "PAR1", 4), 0);
    ck_assert_int_eq(memcmp(f->data + f->len - 4, "PAR1", 4), 0);
    uint32_t len;
    memcpy(&len, f->data + f->len - 8, 4);
    ck_assert_uint_le((size_t)len + 12, f->len);
    size_t used = tn_parse(f->data + f->len - 8 - len, len, fmd);
    ck_assert_uint_eq(used, len); /* the footer is exactly one FileMetaData */
}

static const tn *chunk_meta(const tn *fmd, size_t rg, size_t col) {
    const tn *c = tn_elem(tn_get(tn_elem(tn_get(fmd, 4), rg), 1), col);
    ck_assert_ptr_nonnull(c);
    return tn_get(c, 3);
}

static bool list_has(const tn *list, int64_t v) {
    for (size_t i = 0; list && i < list->nkids; i++)
        if (list->kids[i].i == v) return true;
    return false;
}

/* ---- Thrift compact ---------------------------------------------------------------------- */

START_TEST(thrift_compact_bytes_match_the_spec)
{
    /* Hand-derived from the compact protocol spec: short and long field headers, zigzag
     * varints, bools in the type nibble, short and long list headers, a nested struct. */
    kn_buf b = KN_BUF_INIT;
    kn_tc t;
    kn_tc_init(&t, &b);
    kn_tc_struct_begin(&t);
    kn_tc_field_i32(&t, 1, -1);               /* 0x15 0x01 */
    kn_tc_field_i64(&t, 20, 300);             /* delta 19: 0x06, id zigzag 40, 600 = d8 04 */
    kn_tc_field_bool(&t, 21, true);           /* 0x11 */
    kn_tc_field_binary(&t, 22, "ab", 2);      /* 0x18 0x02 'a' 'b' */
    kn_tc_field_list_begin(&t, 23, KN_TC_I32, 3); /* 0x19 0x35 */
    kn_tc_i32(&t, 1);                         /* 0x02 */
    kn_tc_i32(&t, -2);                        /* 0x03 */
    kn_tc_i32(&t, 3);                         /* 0x06 */
    kn_tc_field_struct_begin(&t, 24);         /* 0x1c */
    kn_tc_field_i64(&t, 1, -129);             /* 0x16 0x81 0x02 */
    kn_tc_struct_end(&t);                     /* 0x00 */
    kn_tc_field_bool(&t, 25, false);          /* 0x12 */
    kn_tc_field_list_begin(&t, 26, KN_TC_BYTE, 15); /* 0x19 0xf3 0x0f */
    for (int i = 0; i < 15; i++) {
        uint8_t z = 0;
        kn_buf_append(&b, &z, 1);
    }
    kn_tc_field_i32(&t, 2, 2);                /* backwards: 0x05, id zigzag 4, value 0x04 */
    kn_tc_field_i64(&t, 3, INT64_MIN);        /* 0x16, ff x9 01 */
    kn_tc_struct_end(&t);                     /* 0x00 */
    ck_assert_int_eq(kn_tc_status(&t, NULL), KN_OK);
    static const uint8_t want[] = {
        0x15, 0x01, 0x06, 0x28, 0xd8, 0x04, 0x11, 0x18, 0x02, 'a', 'b', 0x19, 0x35, 0x02, 0x03,
        0x06, 0x1c, 0x16, 0x81, 0x02, 0x00, 0x12, 0x19, 0xf3, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0x05, 0x04, 0x04, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x01, 0x00};
    assert_bytes(&b, want, sizeof want);
    kn_buf_free(&b);
}
END_TEST

START_TEST(thrift_struct_nesting_too_deep_is_an_error_not_a_crash)
{
    kn_buf b = KN_BUF_INIT;
    kn_tc t;
    kn_tc_init(&t, &b);
    for (int i = 0; i < KN_TC_MAX_DEPTH + 3; i++) kn_tc_struct_begin(&t);
    kn_tc_field_i32(&t, 1, 1);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_ne(kn_tc_status(&t, &e), KN_OK);
    kn_buf_free(&b);
}
END_TEST

/* ---- RLE / bit-packed hybrid -------------------------------------------------------------- */

static void rle_round_trip(const uint32_t *v, size_t n, int w) {
    size_t bound = kn_pq_rle_bound(n, w);
    uint8_t *buf = kn_malloc(bound);
    uint32_t *back = kn_malloc((n ? n : 1) * sizeof *back);
    size_t len = kn_pq_rle_encode(v, n, w, buf);
    ck_assert_uint_le(len, bound);
    size_t used = 0;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_pq_rle_decode(buf, len, w, back, n, &used, &e) == KN_OK, "w=%d n=%zu: %s", w, n, e.what);
    ck_assert_uint_eq(used, len);
    for (size_t i = 0; i < n; i++)
        if (back[i] != v[i]) ck_abort_msg("w=%d n=%zu: value %zu: got %u want %u", w, n, i, back[i], v[i]);
    kn_free(buf);
    kn_free(back);
}

START_TEST(rle_known_bytes_from_the_spec)
{
    /* The spec's example: 0..7 with bit width 3 bit-pack to 10001000 11000110 11111010. */
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint8_t out[64];
    size_t n = kn_pq_rle_encode(v, 8, 3, out);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(out[0], 0x03); /* one group, bit-packed */
    ck_assert_uint_eq(out[1], 0x88);
    ck_assert_uint_eq(out[2], 0xC6);
    ck_assert_uint_eq(out[3], 0xFA);
    /* 100 ones, bit width 1: one RLE run, varint(200) = c8 01, value byte 01. */
    uint32_t ones[100];
    for (int i = 0; i < 100; i++) ones[i] = 1;
    n = kn_pq_rle_encode(ones, 100, 1, out);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(out[0], 0xC8);
    ck_assert_uint_eq(out[1], 0x01);
    ck_assert_uint_eq(out[2], 0x01);
    /* Bit width 0 (a one-entry dictionary) still gets a run header: varint(5 << 1). */
    uint32_t zeros[5] = {0};
    n = kn_pq_rle_encode(zeros, 5, 0, out);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(out[0], 0x0A);
    /* A run of 300 of value 0x1234 at width 13: varint(600) = d8 04, then 2 value bytes LE. */
    uint32_t rep[300];
    for (int i = 0; i < 300; i++) rep[i] = 0x1234;
    n = kn_pq_rle_encode(rep, 300, 13, out);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(out[0], 0xD8);
    ck_assert_uint_eq(out[1], 0x04);
    ck_assert_uint_eq(out[2], 0x34);
    ck_assert_uint_eq(out[3], 0x12);
}
END_TEST

START_TEST(rle_round_trips_every_bit_width_with_runs_and_literals)
{
    static const size_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 504, 505, 1000, 5003};
    uint32_t *v = kn_malloc(5003 * sizeof *v);
    for (int w = 0; w <= 32; w++) {
        uint64_t mask = w == 32 ? 0xFFFFFFFFull : ((1ull << w) - 1);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            for (int pattern = 0; pattern < 4; pattern++) {
                for (size_t i = 0; i < n; i++) {
                    uint64_t r = rnd();
                    switch (pattern) {
                    case 0: v[i] = (uint32_t)(r & mask); break;               /* all literals */
                    case 1: v[i] = (uint32_t)(mask & 0x5A5A5A5A); break;      /* one run */
                    case 2: /* runs of 1..40 mixed with literals */
                        if (i == 0 || r % 23 == 0) v[i] = (uint32_t)(rnd() & mask);
                        else v[i] = (r % 5) ? v[i - 1] : (uint32_t)(r & mask);
                        break;
                    default: v[i] = (uint32_t)((i / 9) & 1 ? mask : 0); break; /* runs of 9 */
                    }
                }
                rle_round_trip(v, n, w);
            }
        }
    }
    kn_free(v);
}
END_TEST

/* The reference choice of runs, value by value: at each repeat of 8 or more (or one that runs
 * to the end with nothing pending), pending literals borrow the repeat's first values to fill
 * their last group of 8, and the rest goes out as an RLE run if 8 or more remain. Written
 * plainly, with a bit-at-a-time packer, so the encoder's shortcuts can be checked against it
 * byte for byte (the files' bytes must not change with them). */
static uint8_t *ref_varint(uint8_t *p, uint64_t x) {
    while (x >= 0x80) {
        *p++ = (uint8_t)(x | 0x80);
        x >>= 7;
    }
    *p++ = (uint8_t)x;
    return p;
}

static uint8_t *ref_packed(uint8_t *p, const uint32_t *v, size_t n, int w) {
    size_t groups = (n + 7) / 8, at = 0;
    while (groups) {
        size_t g = groups < 63 ? groups : 63;
        p = ref_varint(p, ((uint64_t)g << 1) | 1);
        size_t bits = g * 8 * (size_t)w;
        memset(p, 0, (bits + 7) / 8);
        for (size_t k = 0; k < g * 8; k++) {
            uint32_t x = at + k < n ? v[at + k] : 0;
            for (int b = 0; b < w; b++) {
                size_t bit = k * (size_t)w + (size_t)b;
                if ((x >> b) & 1) p[bit / 8] |= (uint8_t)(1u << (bit % 8));
            }
        }
        p += (bits + 7) / 8;
        at += g * 8;
        groups -= g;
    }
    return p;
}

static size_t ref_rle_encode(const uint32_t *v, size_t n, int w, uint8_t *out) {
    uint8_t *p = out;
    size_t i = 0, lit = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i]) j++;
        size_t r = j - i;
        if (r >= 8 || (j == n && lit == i)) {
            size_t pending = i - lit, pad = pending % 8 ? 8 - pending % 8 : 0;
            if (!(pad && r < pad + 8)) {
                uint32_t x = v[i];
                i += pad;
                r -= pad;
                if (i > lit) p = ref_packed(p, v + lit, i - lit, w);
                p = ref_varint(p, (uint64_t)r << 1);
                for (int b = 0; b < (w + 7) / 8; b++) *p++ = (uint8_t)(x >> (8 * b));
                lit = j;
            }
        }
        i = j;
    }
    if (lit < n) p = ref_packed(p, v + lit, n - lit, w);
    return (size_t)(p - out);
}

START_TEST(rle_chooses_runs_as_the_reference_does)
{
    /* Two repeats of every length from 1 to 20 after every count of pending literals mod 8
     * (the first, too short to cover a whole group of 8 after its padding, leaves the second
     * starting at any offset from the groups), then random mixes: the encoder's bytes equal the
     * reference's. */
    enum { MAX = 4000 };
    uint32_t *v = kn_malloc(MAX * sizeof *v);
    uint8_t *a = kn_malloc(kn_pq_rle_bound(MAX, 9)), *b = kn_malloc(kn_pq_rle_bound(MAX, 9) * 2);
    for (size_t lits = 0; lits < 16; lits++)
        for (size_t len1 = 1; len1 <= 20; len1++)
            for (size_t len2 = 1; len2 <= 20; len2++)
                for (size_t tail = 0; tail < 3; tail++) {
                    size_t n = 0;
                    for (size_t k = 0; k < lits; k++) v[n++] = (uint32_t)k + 100; /* distinct neighbours */
                    for (size_t k = 0; k < len1; k++) v[n++] = 7;
                    v[n++] = 8;
                    for (size_t k = 0; k < len2; k++) v[n++] = 9;
                    for (size_t k = 0; k < tail; k++) v[n++] = (uint32_t)k + 400;
                    size_t la = kn_pq_rle_encode(v, n, 9, a), lb = ref_rle_encode(v, n, 9, b);
                    ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "lits %zu, repeats %zu and %zu, tail %zu", lits,
                                  len1, len2, tail);
                }
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd() % MAX;
        uint32_t spread = 1 + (uint32_t)(rnd() % 6); /* few values: long repeats; more: short */
        for (size_t i = 0; i < n; i++) v[i] = i && rnd() % 4 ? v[i - 1] : (uint32_t)(rnd() % spread) * 37;
        if (round % 2) /* runs at block edges: lengths 7, 8, 9 placed anywhere */
            for (size_t at = rnd() % 16; at + 9 < n; at += 9 + rnd() % 17)
                for (size_t k = 0, l = 7 + rnd() % 3; k < l; k++) v[at + k] = 300;
        size_t la = kn_pq_rle_encode(v, n, 9, a), lb = ref_rle_encode(v, n, 9, b);
        ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "round %d (n %zu)", round, n);
    }
    kn_free(b);
    kn_free(a);
    kn_free(v);
}
END_TEST

START_TEST(rle_bitmap_levels_round_trip)
{
    /* Definition levels straight from a validity bitmap, for every null density and length,
     * decoded back to the same bits. */
    static const size_t sizes[] = {1, 5, 8, 13, 16, 100, 511, 512, 513, 4099, 20000};
    uint8_t *bits = kn_calloc(20000 / 8 + 2, 1);
    uint32_t *back = kn_malloc(20000 * sizeof *back);
    uint8_t *out = kn_malloc(kn_pq_rle_bound(20000, 1));
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        for (int density = 0; density < 6; density++) {
            for (size_t i = 0; i < n; i++) {
                bool v;
                switch (density) {
                case 0: v = true; break;
                case 1: v = false; break;
                case 2: v = rnd() % 2; break;
                case 3: v = rnd() % 100 != 0; break;
                case 4: v = (i / 37) % 2; break;
                default: v = (i / 8) % 3 == 0 || i % 17 == 0; break;
                }
                if (v) bits[i / 8] |= (uint8_t)(1u << (i % 8));
                else bits[i / 8] &= (uint8_t)~(1u << (i % 8));
            }
            bits[n / 8] |= (uint8_t)(0xFF << (n % 8)); /* garbage past n must be ignored */
            size_t len = kn_pq_rle_encode_bits(bits, n, out);
            ck_assert_uint_le(len, kn_pq_rle_bound(n, 1));
            size_t used;
            ck_assert_int_eq(kn_pq_rle_decode(out, len, 1, back, n, &used, NULL), KN_OK);
            ck_assert_uint_eq(used, len);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(back[i], (bits[i / 8] >> (i % 8)) & 1u);
        }
    }
    kn_free(bits);
    kn_free(back);
    kn_free(out);
}
END_TEST

START_TEST(rle_decoder_rejects_truncated_streams)
{
    uint32_t v[64];
    for (int i = 0; i < 64; i++) v[i] = (uint32_t)(i * 7) & 31;
    uint8_t out[128];
    size_t len = kn_pq_rle_encode(v, 64, 5, out);
    uint32_t back[64];
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(kn_pq_rle_decode(out, cut, 5, back, 64, NULL, NULL), KN_E_FORMAT);
    uint8_t zero_run[] = {0x00}; /* an empty run would loop forever in a careless reader */
    ck_assert_int_eq(kn_pq_rle_decode(zero_run, 1, 5, back, 1, NULL, NULL), KN_E_FORMAT);
}
END_TEST

/* ---- PLAIN ------------------------------------------------------------------------------- */

START_TEST(plain_bytes_for_each_physical_type)
{
    uint8_t out[64];
    /* BOOLEAN: LSB first. 1,0,1,1,0,0,0,0 | 1 -> 0x0d 0x01 */
    uint8_t bools[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    ck_assert_uint_eq(kn_pq_plain_bool(bools, 9, out), 2);
    ck_assert_uint_eq(out[0], 0x0D);
    ck_assert_uint_eq(out[1], 0x01);
    /* INT32 little-endian, nulls skipped: rows {1, null, -1}. */
    int32_t i32[3] = {1, 0, -1};
    uint8_t valid = 0x05;
    ck_assert_uint_eq(kn_pq_plain_fixed((const uint8_t *)i32, 4, &valid, 0, 3, out), 8);
    static const uint8_t want32[] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    ck_assert_int_eq(memcmp(out, want32, 8), 0);
    /* INT64 and DOUBLE little-endian. */
    int64_t i64 = -2;
    ck_assert_uint_eq(kn_pq_plain_fixed((const uint8_t *)&i64, 8, NULL, 0, 1, out), 8);
    static const uint8_t want64[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ck_assert_int_eq(memcmp(out, want64, 8), 0);
    double d = 1.5;
    kn_pq_plain_fixed((const uint8_t *)&d, 8, NULL, 0, 1, out);
    static const uint8_t wantd[] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
    ck_assert_int_eq(memcmp(out, wantd, 8), 0);
    /* BYTE_ARRAY: 4-byte LE length, then the bytes. */
    uint8_t *end = kn_pq_plain_put_bytes(out, "hi", 2);
    ck_assert_int_eq((int)(end - out), 6);
    static const uint8_t wantb[] = {2, 0, 0, 0, 'h', 'i'};
    ck_assert_int_eq(memcmp(out, wantb, 6), 0);
    /* FIXED_LEN_BYTE_ARRAY decimals: big-endian two's complement at the minimal width. */
    ck_assert_int_eq(kn_pq_decimal_width(9), 4);
    ck_assert_int_eq(kn_pq_decimal_width(10), 5);
    ck_assert_int_eq(kn_pq_decimal_width(18), 8);
    ck_assert_int_eq(kn_pq_decimal_width(19), 9);
    ck_assert_int_eq(kn_pq_decimal_width(38), 16);
    ck_assert_int_eq(kn_pq_decimal_width(39), 0);
    kn_i128 minus_one = {UINT64_MAX, -1};
    kn_pq_decimal_be(minus_one, 9, out);
    for (int i = 0; i < 9; i++) ck_assert_uint_eq(out[i], 0xFF);
    kn_i128 big = {0x0102030405060708ull, 0x090A};
    kn_pq_decimal_be(big, 10, out);
    static const uint8_t wantf[] = {0x09, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_int_eq(memcmp(out, wantf, 10), 0);
    /* INT96: nanoseconds of the day (LE int64), then the Julian day (LE int32). */
    kn_pq_int96_from_micros(0, out);
    static const uint8_t epoch[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x8C, 0x3D, 0x25, 0x00};
    ck_assert_int_eq(memcmp(out, epoch, 12), 0);
    kn_pq_int96_from_micros(-1, out); /* the last microsecond of 1969-12-31 */
    int64_t nanos;
    int32_t day;
    memcpy(&nanos, out, 8);
    memcpy(&day, out + 8, 4);
    ck_assert_int_eq(nanos, INT64_C(86399999999000));
    ck_assert_int_eq(day, 2440587);
}
END_TEST

/* ---- statistics -------------------------------------------------------------------------- */

static void stats_str(kn_pq_stats *s, const char *const *v, const size_t *lens, size_t n) {
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(kn_pq_stats_update_one(s, (const uint8_t *)v[i], lens[i], NULL), KN_OK);
}

START_TEST(stats_compare_strings_as_unsigned_bytes)
{
    /* A signed-char compare would put 0x80 below 'a'; Parquet's order is unsigned. */
    kn_pq_stats s;
    kn_pq_stats_init(&s, KN_PQ_ORDER_BYTES, 0);
    static const char *const v[] = {"b", "\x80", "a", "ab", ""};
    static const size_t l[] = {1, 1, 1, 2, 0};
    stats_str(&s, v, l, 5);
    kn_pq_stats_out o;
    kn_pq_stats_finish(&s, &o);
    ck_assert(o.has_min && o.has_max);
    ck_assert_uint_eq(o.min_len, 0);
    ck_assert_uint_eq(o.max_len, 1);
    ck_assert_uint_eq(o.max[0], 0x80);
    ck_assert(!o.deprecated); /* the old min/max were signed: never for strings */
    /* The batch path finds the same bounds. */
    kn_pq_stats_reset(&s);
    uint32_t offs[] = {0, 1, 2, 3, 5, 5};
    ck_assert_int_eq(kn_pq_stats_update_bytes(&s, offs, (const uint8_t *)"b\x80" "aab", NULL, 0, 5, NULL), KN_OK);
    kn_pq_stats_finish(&s, &o);
    ck_assert_uint_eq(o.min_len, 0);
    ck_assert_uint_eq(o.max[0], 0x80);
    kn_pq_stats_release(&s);
}
END_TEST

START_TEST(stats_skip_nan_and_normalise_signed_zero)
{
    kn_pq_stats s;
    kn_pq_stats_init(&s, KN_PQ_ORDER_DOUBLE, 8);
    double v[] = {NAN, 1.0, NAN, -2.0};
    kn_pq_stats_update_fixed(&s, (const uint8_t *)v, NULL, 0, 4);
    kn_pq_stats_out o;
    kn_pq_stats_finish(&s, &o);
    double lo, hi;
    memcpy(&lo, o.min, 8);
    memcpy(&hi, o.max, 8);
    ck_assert(lo == -2.0 && hi == 1.0);
    ck_assert(o.deprecated);
    /* Only NaN: no bounds at all, but still a null count. */
    kn_pq_stats_reset(&s);
    double nans[] = {NAN, NAN};
    kn_pq_stats_update_fixed(&s, (const uint8_t *)nans, NULL, 0, 2);
    kn_pq_stats_add_nulls(&s, 3);
    kn_pq_stats_finish(&s, &o);
    ck_assert(!o.has_min && !o.has_max);
    ck_assert_uint_eq(o.null_count, 3);
    /* +0.0 alone: min written as -0.0, max as +0.0. */
    kn_pq_stats_reset(&s);
    double zero = 0.0;
    kn_pq_stats_update_fixed(&s, (const uint8_t *)&zero, NULL, 0, 1);
    kn_pq_stats_finish(&s, &o);
    memcpy(&lo, o.min, 8);
    memcpy(&hi, o.max, 8);
    ck_assert(lo == 0.0 && signbit(lo));
    ck_assert(hi == 0.0 && !signbit(hi));
    /* -5 .. -0.0: the max is +0.0. */
    kn_pq_stats_reset(&s);
    double neg[] = {-0.0, -5.0};
    kn_pq_stats_update_fixed(&s, (const uint8_t *)neg, NULL, 0, 2);
    kn_pq_stats_finish(&s, &o);
    memcpy(&hi, o.max, 8);
    ck_assert(hi == 0.0 && !signbit(hi));
    /* Nulls are not values: a null slot holding 99 does not become the max. */
    kn_pq_stats_reset(&s);
    double with_null[] = {1.0, 99.0};
    uint8_t valid = 0x01;
    kn_pq_stats_update_fixed(&s, (const uint8_t *)with_null, &valid, 0, 2);
    kn_pq_stats_finish(&s, &o);
    memcpy(&hi, o.max, 8);
    ck_assert(hi == 1.0);
    kn_pq_stats_release(&s);
}
END_TEST

START_TEST(stats_order_signed_ints_decimals_and_bools)
{
    kn_pq_stats s;
    kn_pq_stats_init(&s, KN_PQ_ORDER_I32, 4);
    int32_t v[] = {3, -5, 2};
    kn_pq_stats_update_fixed(&s, (const uint8_t *)v, NULL, 0, 3);
    kn_pq_stats_out o;
    kn_pq_stats_finish(&s, &o);
    int32_t lo, hi;
    memcpy(&lo, o.min, 4);
    memcpy(&hi, o.max, 4);
    ck_assert_int_eq(lo, -5);
    ck_assert_int_eq(hi, 3);
    ck_assert(o.deprecated);
    kn_pq_stats_release(&s);
    /* FLBA decimals: -1 (ff ff ff) sorts below 1 (00 00 01) although its bytes are larger. */
    kn_pq_stats_init(&s, KN_PQ_ORDER_FLBA_SIGNED, 3);
    uint8_t dec[] = {0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0x80, 0x00, 0x00};
    kn_pq_stats_update_fixed(&s, dec, NULL, 0, 4);
    kn_pq_stats_finish(&s, &o);
    ck_assert_uint_eq(o.min_len, 3);
    ck_assert_int_eq(memcmp(o.min, "\x80\x00\x00", 3), 0); /* the most negative */
    ck_assert_int_eq(memcmp(o.max, "\x7f\xff\xff", 3), 0);
    ck_assert(!o.deprecated);
    kn_pq_stats_release(&s);
    kn_pq_stats_init(&s, KN_PQ_ORDER_BOOL, 1);
    uint8_t b[] = {1, 1};
    kn_pq_stats_update_fixed(&s, b, NULL, 0, 2);
    kn_pq_stats_finish(&s, &o);
    ck_assert(o.min[0] == 1 && o.max[0] == 1);
    kn_pq_stats_release(&s);
    /* INT96 has no defined order: null count only. */
    kn_pq_stats_init(&s, KN_PQ_ORDER_NONE, 12);
    kn_pq_stats_update_fixed(&s, dec, NULL, 0, 1);
    kn_pq_stats_finish(&s, &o);
    ck_assert(!o.has_min && !o.has_max);
    kn_pq_stats_release(&s);
}
END_TEST

static void finish_one(const uint8_t *p, size_t len, kn_pq_stats_out *o, kn_pq_stats *s) {
    kn_pq_stats_init(s, KN_PQ_ORDER_BYTES, 0);
    ck_assert_int_eq(kn_pq_stats_update_one(s, p, len, NULL), KN_OK);
    kn_pq_stats_finish(s, o);
}

START_TEST(stats_truncate_long_strings_and_round_the_max_up)
{
    kn_pq_stats s;
    kn_pq_stats_out o;
    uint8_t v[128];
    /* 100 x 'a': min is a 64-byte prefix, max 63 x 'a' then 'b', both marked inexact. */
    memset(v, 'a', 100);
    finish_one(v, 100, &o, &s);
    ck_assert_uint_eq(o.min_len, 64);
    ck_assert_int_eq(memcmp(o.min, v, 64), 0);
    ck_assert_uint_eq(o.max_len, 64);
    ck_assert_int_eq(memcmp(o.max, v, 63), 0);
    ck_assert_uint_eq(o.max[63], 'b');
    ck_assert(!o.min_exact && !o.max_exact);
    ck_assert_int_gt(kn_pq_bytes_cmp(o.max, o.max_len, v, 100), 0);
    kn_pq_stats_release(&s);
    /* 64 bytes exactly: untouched and exact. */
    finish_one(v, 64, &o, &s);
    ck_assert(o.min_exact && o.max_exact && o.max_len == 64);
    kn_pq_stats_release(&s);
    /* 63 x 'a' then "é" (c3 a9): byte 64 is inside the character, so the cut backs up to 63. */
    memset(v, 'a', 63);
    memcpy(v + 63, "\xc3\xa9zzzz", 6);
    finish_one(v, 69, &o, &s);
    ck_assert_uint_eq(o.min_len, 63);
    ck_assert_uint_eq(o.max_len, 63);
    ck_assert_uint_eq(o.max[62], 'b');
    kn_pq_stats_release(&s);
    /* 40 x "é": the last whole character is incremented as a code point: é -> ê (c3 aa). */
    for (int i = 0; i < 40; i++) memcpy(v + 2 * i, "\xc3\xa9", 2);
    finish_one(v, 80, &o, &s);
    ck_assert_uint_eq(o.max_len, 64);
    ck_assert_uint_eq(o.max[62], 0xc3);
    ck_assert_uint_eq(o.max[63], 0xaa);
    ck_assert_int_gt(kn_pq_bytes_cmp(o.max, o.max_len, v, 80), 0);
    kn_pq_stats_release(&s);
    /* 'a' then U+10FFFF x 20: no character after U+10FFFF, so 'a' becomes 'b'. */
    v[0] = 'a';
    for (int i = 0; i < 20; i++) memcpy(v + 1 + 4 * i, "\xf4\x8f\xbf\xbf", 4);
    finish_one(v, 81, &o, &s);
    ck_assert_uint_eq(o.min_len, 61); /* a prefix that ends on a character boundary */
    ck_assert_uint_eq(o.max_len, 1);
    ck_assert_uint_eq(o.max[0], 'b');
    kn_pq_stats_release(&s);
    /* Not UTF-8: 'a' then 0xFF x 70. The 0xFF bytes cannot grow, so 'a' does: "b". */
    v[0] = 'a';
    memset(v + 1, 0xFF, 70);
    finish_one(v, 71, &o, &s);
    ck_assert_uint_eq(o.max_len, 1);
    ck_assert_uint_eq(o.max[0], 'b');
    ck_assert_int_gt(kn_pq_bytes_cmp(o.max, o.max_len, v, 71), 0);
    kn_pq_stats_release(&s);
    /* 0xFF x 70: nothing short sorts above it, so no max is written (the min still is). */
    memset(v, 0xFF, 70);
    finish_one(v, 70, &o, &s);
    ck_assert(o.has_min);
    ck_assert(!o.has_max);
    kn_pq_stats_release(&s);
}
END_TEST

/* ---- codecs ------------------------------------------------------------------------------ */

static size_t decompress(kn_codec codec, const uint8_t *src, size_t len, uint8_t *dst, size_t cap) {
    switch (codec) {
    case KN_CODEC_NONE:
        memcpy(dst, src, len);
        return len;
    case KN_CODEC_SNAPPY: {
        size_t n = cap;
        ck_assert_int_eq(snappy_uncompress((const char *)src, len, (char *)dst, &n), SNAPPY_OK);
        return n;
    }
    case KN_CODEC_ZSTD: {
        size_t n = ZSTD_decompress(dst, cap, src, len);
        ck_assert(!ZSTD_isError(n));
        return n;
    }
    case KN_CODEC_LZ4_RAW: {
        int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)len, (int)cap);
        ck_assert_int_ge(n, 0);
        return (size_t)n;
    }
    case KN_CODEC_GZIP: {
        /* Real RFC 1952 gzip: the magic bytes, and zlib's gzip-only inflate accepts it. */
        ck_assert(len >= 2 && src[0] == 0x1f && src[1] == 0x8b);
        z_stream z;
        memset(&z, 0, sizeof z);
        ck_assert_int_eq(inflateInit2(&z, 16 + 15), Z_OK);
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)len;
        z.next_out = dst;
        z.avail_out = (uInt)cap;
        ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
        size_t n = cap - z.avail_out;
        inflateEnd(&z);
        return n;
    }
    }
    return 0;
}

START_TEST(codecs_round_trip_through_the_libraries)
{
    size_t n = 300000;
    uint8_t *src = kn_malloc(n), *back = kn_malloc(n + 16);
    for (size_t i = 0; i < n; i++) src[i] = i < n / 2 ? (uint8_t)("kiln parquet "[i % 13]) : (uint8_t)rnd();
    static const size_t lens[] = {0, 1, 100, 300000};
    for (int c = KN_CODEC_NONE; c <= KN_CODEC_LZ4_RAW; c++) {
        int levels[] = {0, c == KN_CODEC_ZSTD ? 19 : c == KN_CODEC_GZIP ? 1 : 0};
        for (int lv = 0; lv < 2; lv++) {
            kn_pq_codec_ctx *ctx;
            ck_assert_int_eq(kn_pq_codec_ctx_create((kn_codec)c, levels[lv], &ctx, NULL), KN_OK);
            for (size_t k = 0; k < 4; k++) {
                for (int again = 0; again < 2; again++) { /* the context is reused page after page */
                    kn_buf out = KN_BUF_INIT;
                    kn_buf_append(&out, "hdr", 3); /* appends after what is there */
                    ck_assert_int_eq(kn_pq_compress(ctx, src, lens[k], &out, NULL), KN_OK);
                    ck_assert_int_eq(memcmp(out.data, "hdr", 3), 0);
                    size_t got = decompress((kn_codec)c, out.data + 3, out.len - 3, back, n + 16);
                    ck_assert_uint_eq(got, lens[k]);
                    ck_assert_int_eq(memcmp(back, src, lens[k]), 0);
                    if (c != KN_CODEC_NONE && lens[k] == n) ck_assert_uint_lt(out.len, n); /* it did compress */
                    kn_buf_free(&out);
                }
            }
            kn_pq_codec_ctx_free(ctx);
        }
    }
    ck_assert_int_eq(kn_pq_codec_thrift(KN_CODEC_LZ4_RAW), 7); /* never the old LZ4 (5) */
    ck_assert_int_eq(kn_pq_codec_thrift(KN_CODEC_GZIP), 2);
    kn_free(src);
    kn_free(back);
}
END_TEST

START_TEST(codec_names_parse_and_print)
{
    kn_codec c;
    ck_assert(kn_codec_parse("ZSTD", &c) && c == KN_CODEC_ZSTD);
    ck_assert(kn_codec_parse("uncompressed", &c) && c == KN_CODEC_NONE);
    ck_assert(kn_codec_parse("lz4", &c) && c == KN_CODEC_LZ4_RAW);
    ck_assert(kn_codec_parse("Snappy", &c) && c == KN_CODEC_SNAPPY);
    ck_assert(!kn_codec_parse("brotli", &c));
    ck_assert(!kn_codec_parse(NULL, &c));
    for (int i = KN_CODEC_NONE; i <= KN_CODEC_LZ4_RAW; i++) {
        ck_assert(kn_codec_parse(kn_codec_name((kn_codec)i), &c));
        ck_assert_int_eq(c, i);
    }
}
END_TEST

/* ---- the file writer --------------------------------------------------------------------- */

static kn_schema *schema_of(const char *name, kn_type t, bool nullable) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, name, t, nullable, NULL), KN_OK);
    return s;
}

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kn-pq-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Files in tmpdir, hidden temporaries included. */
static int count_files(void) {
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void remove_tmpdir(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[600];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(tmpdir);
}

START_TEST(null_in_required_column_fails_naming_column_and_row_and_leaves_no_file)
{
    make_tmpdir();
    kn_schema *s = schema_of("order_id", kn_type_make(KN_TYPE_INT64), false);
    char path[400];
    snprintf(path, sizeof path, "%s/out.parquet", tmpdir);
    kn_sink *sink;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_file_sink_create(path, NULL, &sink, &e), KN_OK);
    kn_pq_writer *w;
    ck_assert_int_eq(kn_pq_writer_create(s, sink, NULL, &w, &e), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    kn_column_append_i64(&b->columns[0], 1, NULL);
    kn_column_append_i64(&b->columns[0], 2, NULL);
    kn_column_append_null(&b->columns[0], NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    ck_assert_int_eq(kn_pq_writer_write(w, b, &e), KN_E_DATA);
    ck_assert_str_eq(e.field, "order_id");
    ck_assert_msg(strstr(e.what, "row 2") && strstr(e.what, "order_id"), "%s", e.what);
    /* The writer refuses to go on, and close publishes nothing. */
    kn_error e2;
    kn_error_reset(&e2);
    ck_assert_int_ne(kn_pq_writer_write(w, b, &e2), KN_OK);
    ck_assert_int_ne(kn_pq_writer_close(w, NULL, &e2), KN_OK);
    ck_assert_int_eq(count_files(), 0);
    kn_batch_free(b);
    kn_schema_free(s);
    remove_tmpdir();
}
END_TEST

START_TEST(decimal_with_too_many_digits_fails_naming_column_and_row)
{
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "price", kn_type_decimal(5, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "big", kn_type_decimal(20, 0), true, NULL), KN_OK);
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, NULL, &out);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    kn_i128 small = {5, 0};
    kn_column_append_i64(&b->columns[0], 99999, NULL); /* 999.99 fits */
    kn_column_append_i128(&b->columns[1], small, NULL);
    kn_column_append_i64(&b->columns[0], -100000, NULL); /* -1000.00 does not */
    kn_column_append_i128(&b->columns[1], small, NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_writer_write(w, b, &e), KN_E_DATA);
    ck_assert_str_eq(e.field, "price");
    ck_assert_msg(strstr(e.what, "row 1") && strstr(e.what, "-100000"), "%s", e.what);
    kn_pq_writer_abort(w);
    ck_assert_uint_eq(out.len, 0); /* the memory sink was aborted: nothing kept */
    /* 10^20 in decimal(20,0) has 21 digits. */
    w = mem_writer(s, NULL, &out);
    kn_batch_clear(b);
    kn_i128 too_big = {0x6BC75E2D63100000ull, 5}; /* 10^20 = 5 * 2^64 + 0x6BC75E2D63100000 */
    kn_column_append_i64(&b->columns[0], 1, NULL);
    kn_column_append_i128(&b->columns[1], too_big, NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_writer_write(w, b, &e), KN_E_DATA);
    ck_assert_str_eq(e.field, "big");
    ck_assert_msg(strstr(e.what, "row 0") && strstr(e.what, "100000000000000000000"), "%s", e.what);
    kn_pq_writer_abort(w);
    kn_buf_free(&out);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(unwritable_path_is_an_io_error_and_leaves_nothing)
{
    make_tmpdir();
    char path[400];
    snprintf(path, sizeof path, "%s/no-such-dir/out.parquet", tmpdir);
    kn_sink *sink = NULL;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_file_sink_create(path, NULL, &sink, &e), KN_E_IO);
    ck_assert_ptr_null(sink);
    ck_assert_msg(strstr(e.where, "no-such-dir"), "%s", e.where);
    ck_assert_int_eq(count_files(), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(bad_options_are_usage_errors_and_abort_the_sink)
{
    make_tmpdir();
    kn_schema *s = schema_of("x", kn_type_make(KN_TYPE_INT32), true);
    for (int k = 0; k < 6; k++) {
        kn_pq_options o;
        kn_pq_options_init(&o);
        switch (k) {
        case 0: o.page_bytes = 0; break;
        case 1: o.codec = (kn_codec)99; break;
        case 2: o.codec = KN_CODEC_ZSTD, o.compression_level = 1000; break;
        case 3: o.codec = KN_CODEC_GZIP, o.compression_level = 10; break;
        case 4: o.row_group_bytes = 0; break;
        default: o.dictionary_page_bytes = 0; break;
        }
        char path[400];
        snprintf(path, sizeof path, "%s/bad-%d.parquet", tmpdir, k);
        kn_sink *sink;
        ck_assert_int_eq(kn_file_sink_create(path, NULL, &sink, NULL), KN_OK);
        kn_pq_writer *w = (kn_pq_writer *)&o; /* must come back NULL */
        kn_error e;
        kn_error_reset(&e);
        ck_assert_int_eq(kn_pq_writer_create(s, sink, &o, &w, &e), KN_E_USAGE);
        ck_assert_ptr_null(w);
        ck_assert(e.what[0]);
        ck_assert_int_eq(count_files(), 0); /* the sink's temporary file is gone too */
    }
    /* A type the writer does not know. */
    kn_schema_free(s);
    s = schema_of("x", kn_type_make(KN_TYPE_INT32), true);
    s->fields[0].type.id = KN_TYPE_COUNT_;
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_writer_create(s, kn_mem_sink_create(&out), NULL, &w, &e), KN_E_UNSUPPORTED);
    ck_assert_msg(strstr(e.what, "'x'"), "%s", e.what);
    kn_buf_free(&out);
    kn_schema_free(s);
    remove_tmpdir();
}
END_TEST

START_TEST(batch_with_other_types_is_a_usage_error)
{
    kn_schema *s = schema_of("x", kn_type_make(KN_TYPE_INT32), true);
    kn_schema *other = schema_of("x", kn_type_make(KN_TYPE_INT64), true);
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, NULL, &out);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(other, 1, &b, NULL), KN_OK);
    kn_column_append_i64(&b->columns[0], 1, NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_pq_writer_write(w, b, &e), KN_E_USAGE);
    ck_assert_msg(strstr(e.what, "int64") && strstr(e.what, "int32"), "%s", e.what);
    kn_pq_writer_abort(w);
    kn_batch_free(b);
    kn_buf_free(&out);
    kn_schema_free(s);
    kn_schema_free(other);
}
END_TEST

/* Rows of a mixed table, generated from the row number alone. */
static kn_schema *mixed_schema(void) {
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "qty", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "price", kn_type_decimal(12, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ok", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "x", kn_type_make(KN_TYPE_FLOAT64), true, NULL), KN_OK);
    return s;
}

static void fill_mixed(kn_batch *b, size_t first, size_t n) {
    kn_batch_clear(b);
    char buf[64];
    for (size_t i = first; i < first + n; i++) {
        if (i % 9 == 4) kn_column_append_null(&b->columns[0], NULL);
        else {
            int l = snprintf(buf, sizeof buf, "name-%zu", (i * 7919) % 3000);
            kn_column_append_str(&b->columns[0], buf, (size_t)l, NULL);
        }
        kn_column_append_i64(&b->columns[1], (int64_t)(i * 31) - 500, NULL);
        if (i % 5 == 1) kn_column_append_null(&b->columns[2], NULL);
        else kn_column_append_i64(&b->columns[2], (int64_t)(i % 100000) * 3, NULL);
        if (i % 4 == 0) kn_column_append_null(&b->columns[3], NULL);
        else kn_column_append_bool(&b->columns[3], i % 3 == 0, NULL);
        kn_column_append_f64(&b->columns[4], (double)i / 7.0, NULL);
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
}

static void write_mixed(kn_buf *out, const kn_pq_options *o, size_t rows, size_t batch_rows) {
    kn_schema *s = mixed_schema();
    kn_pq_writer *w = mem_writer(s, o, out);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, batch_rows, &b, NULL), KN_OK);
    for (size_t done = 0; done < rows;) {
        size_t n = rows - done < batch_rows ? rows - done : batch_rows;
        fill_mixed(b, done, n);
        kn_error e;
        kn_error_reset(&e);
        ck_assert_msg(kn_pq_writer_write(w, b, &e) == KN_OK, "%s", e.what);
        done += n;
    }
    kn_pq_file_info info;
    close_ok(w, &info);
    ck_assert_uint_eq(info.num_rows, rows);
    ck_assert_uint_eq(info.file_bytes, out->len);
    kn_batch_free(b);
    kn_schema_free(s);
}

START_TEST(same_rows_give_the_same_bytes_whatever_the_batches)
{
    /* Row groups are cut by the rows' own sizes, not by batch boundaries: a retry with other
     * morsels must overwrite with identical bytes (DESIGN: byte-identical output). */
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.row_group_bytes = 300000;
    o.page_bytes = 20000;
    kn_buf a = KN_BUF_INIT, b = KN_BUF_INIT;
    write_mixed(&a, &o, 60000, 1000);
    write_mixed(&b, &o, 60000, 7777);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
    tn fmd;
    parse_footer(&a, &fmd);
    ck_assert_int_gt((int)tn_get(&fmd, 4)->nkids, 2); /* several row groups were cut */
    tn_free(&fmd);
    kn_buf_free(&a);
    kn_buf_free(&b);
}
END_TEST

START_TEST(footer_has_every_required_field_and_consistent_counts)
{
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.row_group_bytes = 200000;
    o.page_bytes = 8192;
    kn_pq_kv kv[] = {{"k1", "v1"}, {"k2", NULL}};
    o.metadata = kv;
    o.metadata_count = 2;
    kn_buf f = KN_BUF_INIT;
    write_mixed(&f, &o, 30000, 4096);
    tn fmd;
    parse_footer(&f, &fmd);
    ck_assert_int_eq(tn_int(tn_get(&fmd, 1), -1), 1); /* version 1 */
    /* Schema: the root has a name and num_children, no type, no repetition; leaves have no
     * num_children; logical and converted types both set. */
    const tn *schema = tn_get(&fmd, 2);
    ck_assert_uint_eq(schema->nkids, 6);
    const tn *root = tn_elem(schema, 0);
    ck_assert_ptr_null(tn_get(root, 1));
    ck_assert_ptr_null(tn_get(root, 3));
    ck_assert_int_eq(tn_int(tn_get(root, 5), -1), 5);
    ck_assert_int_eq((int)tn_get(root, 4)->len, 6);
    ck_assert_int_eq(memcmp(tn_get(root, 4)->bin, "schema", 6), 0);
    for (size_t i = 1; i < 6; i++) {
        ck_assert_ptr_null(tn_get(tn_elem(schema, i), 5));
        ck_assert_ptr_nonnull(tn_get(tn_elem(schema, i), 3));
    }
    const tn *price = tn_elem(schema, 3);
    ck_assert_int_eq(tn_int(tn_get(price, 1), -1), KN_PQ_INT64);
    ck_assert_int_eq(tn_int(tn_get(price, 6), -1), KN_PQ_CT_DECIMAL);
    ck_assert_int_eq(tn_int(tn_get(price, 7), -1), 2);
    ck_assert_int_eq(tn_int(tn_get(price, 8), -1), 12);
    ck_assert_int_eq(tn_int(tn_get(tn_get(tn_get(price, 10), 5), 2), -1), 12);
    ck_assert_int_eq(tn_int(tn_get(tn_elem(schema, 2), 3), -1), KN_PQ_REQUIRED);
    /* created_by, key/value metadata, one TYPE_ORDER per leaf. */
    const tn *cb = tn_get(&fmd, 6);
    ck_assert(cb->len > 14 && memcmp(cb->bin, "kiln version ", 13) == 0);
    ck_assert_uint_eq(tn_get(&fmd, 5)->nkids, 2);
    ck_assert_ptr_null(tn_get(tn_elem(tn_get(&fmd, 5), 1), 2));
    const tn *orders = tn_get(&fmd, 7);
    ck_assert_uint_eq(orders->nkids, 5);
    for (size_t i = 0; i < 5; i++) ck_assert_ptr_nonnull(tn_get(tn_elem(orders, i), 1));
    /* Row groups: rows add up; offsets and sizes agree with the bytes, headers included. */
    const tn *rgs = tn_get(&fmd, 4);
    int64_t rows = 0;
    uint64_t expect_offset = 4;
    for (size_t g = 0; g < rgs->nkids; g++) {
        const tn *rg = tn_elem(rgs, g);
        rows += tn_int(tn_get(rg, 3), 0);
        ck_assert_int_eq(tn_int(tn_get(rg, 5), -1), (int64_t)expect_offset);
        ck_assert_int_eq(tn_int(tn_get(rg, 7), -1), (int64_t)g);
        int64_t unc = 0, comp = 0;
        for (size_t c = 0; c < 5; c++) {
            const tn *cc = tn_elem(tn_get(rg, 1), c);
            const tn *m = tn_get(cc, 3);
            int64_t first = tn_int(tn_get(m, 11), tn_int(tn_get(m, 9), -1));
            ck_assert_int_eq(tn_int(tn_get(cc, 2), -1), first); /* file_offset: first byte */
            ck_assert_int_eq(first, (int64_t)expect_offset);
            ck_assert_int_eq(tn_int(tn_get(m, 5), -1), tn_int(tn_get(rg, 3), -2));
            ck_assert_ptr_nonnull(tn_get(tn_get(m, 12), 3)); /* null_count always */
            ck_assert_ptr_nonnull(tn_get(m, 13));            /* encoding_stats */
            /* Walk the pages: their headers plus bodies add up to the chunk's sizes. */
            uint64_t at = (uint64_t)first, end = at + (uint64_t)tn_int(tn_get(m, 7), 0);
            int64_t sum_unc = 0, values = 0;
            bool first_page = true;
            while (at < end) {
                tn ph;
                size_t hl = tn_parse(f.data + at, f.len - at, &ph);
                ck_assert_uint_gt(hl, 0);
                int64_t type = tn_int(tn_get(&ph, 1), -1);
                if (type == KN_PQ_PAGE_DICTIONARY) {
                    /* Only ever first; data_page_offset points past it and its header. */
                    ck_assert(first_page);
                    ck_assert_int_eq(tn_int(tn_get(m, 11), -1), (int64_t)at);
                    ck_assert_int_eq(tn_int(tn_get(m, 9), -1), (int64_t)(at + hl + (uint64_t)tn_int(tn_get(&ph, 3), 0)));
                } else {
                    const tn *dh = tn_get(&ph, 5);
                    ck_assert_int_eq(tn_int(tn_get(dh, 3), -1), KN_PQ_ENC_RLE);
                    ck_assert_int_eq(tn_int(tn_get(dh, 4), -1), KN_PQ_ENC_RLE);
                    values += tn_int(tn_get(dh, 1), 0);
                    if (first_page) { /* no dictionary: the chunk starts with data */
                        ck_assert_ptr_null(tn_get(m, 11));
                        ck_assert_int_eq(tn_int(tn_get(m, 9), -1), (int64_t)at);
                    }
                }
                sum_unc += (int64_t)hl + tn_int(tn_get(&ph, 2), 0);
                at += hl + (uint64_t)tn_int(tn_get(&ph, 3), 0);
                first_page = false;
                tn_free(&ph);
            }
            ck_assert_uint_eq(at, end);
            ck_assert_int_eq(values, tn_int(tn_get(m, 5), -1)); /* page num_values count nulls */
            ck_assert_int_eq(sum_unc, tn_int(tn_get(m, 6), -1));
            unc += tn_int(tn_get(m, 6), 0);
            comp += tn_int(tn_get(m, 7), 0);
            expect_offset = end;
        }
        ck_assert_int_eq(tn_int(tn_get(rg, 2), -1), unc);  /* total_byte_size: uncompressed */
        ck_assert_int_eq(tn_int(tn_get(rg, 6), -1), comp);
    }
    ck_assert_int_eq(rows, 30000);
    ck_assert_int_eq(tn_int(tn_get(&fmd, 3), -1), 30000);
    ck_assert_uint_gt(rgs->nkids, 1);
    tn_free(&fmd);
    kn_buf_free(&f);
}
END_TEST

START_TEST(dictionary_falls_back_to_plain_past_its_bound)
{
    /* 200k distinct strings overflow a 64 KiB dictionary: the chunk must hold one dictionary
     * page, then PLAIN pages, and list both encodings, or Spark's dictionary filter drops rows. */
    kn_schema *s = schema_of("id", kn_type_make(KN_TYPE_STRING), false);
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.codec = KN_CODEC_NONE;
    o.dictionary_page_bytes = 64 << 10;
    o.page_bytes = 64 << 10;
    kn_buf f = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, &o, &f);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 10000, &b, NULL), KN_OK);
    char buf[32];
    for (size_t done = 0; done < 200000; done += 10000) {
        kn_batch_clear(b);
        for (size_t i = done; i < done + 10000; i++) {
            int l = snprintf(buf, sizeof buf, "id-%08zu", i);
            kn_column_append_str(&b->columns[0], buf, (size_t)l, NULL);
        }
        ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
        ck_assert_int_eq(kn_pq_writer_write(w, b, NULL), KN_OK);
    }
    close_ok(w, NULL);
    tn fmd;
    parse_footer(&f, &fmd);
    const tn *m = chunk_meta(&fmd, 0, 0);
    ck_assert(list_has(tn_get(m, 2), KN_PQ_ENC_PLAIN));
    ck_assert(list_has(tn_get(m, 2), KN_PQ_ENC_RLE_DICTIONARY));
    ck_assert_int_eq(tn_int(tn_get(m, 11), -1), 4);
    /* Walk the pages: one dictionary page first, dictionary-encoded pages, then only PLAIN. */
    uint64_t at = 4, end = at + (uint64_t)tn_int(tn_get(m, 7), 0);
    int dict_pages = 0, rle_dict = 0, plain = 0, dict_entries = -1;
    while (at < end) {
        tn ph;
        size_t hl = tn_parse(f.data + at, f.len - at, &ph);
        ck_assert_uint_gt(hl, 0);
        if (tn_int(tn_get(&ph, 1), -1) == KN_PQ_PAGE_DICTIONARY) {
            ck_assert_int_eq(dict_pages + rle_dict + plain, 0);
            dict_pages++;
            dict_entries = (int)tn_int(tn_get(tn_get(&ph, 7), 1), -1);
            ck_assert_int_le(tn_int(tn_get(&ph, 2), 0), 64 << 10); /* within the bound */
            ck_assert_int_eq(tn_int(tn_get(m, 9), -1), (int64_t)(at + hl + (uint64_t)tn_int(tn_get(&ph, 3), 0)));
        } else if (tn_int(tn_get(tn_get(&ph, 5), 2), -1) == KN_PQ_ENC_RLE_DICTIONARY) {
            ck_assert_int_eq(plain, 0);
            rle_dict++;
            /* REQUIRED column, no codec: the page body starts with the bit-width byte. */
            ck_assert_uint_eq(f.data[at + hl], (unsigned)kn_pq_bit_width((uint32_t)dict_entries - 1));
        } else {
            plain++;
        }
        at += hl + (uint64_t)tn_int(tn_get(&ph, 3), 0);
        tn_free(&ph);
    }
    ck_assert_int_eq(dict_pages, 1);
    ck_assert_int_ge(rle_dict, 1);
    ck_assert_int_ge(plain, 1);
    /* encoding_stats agree with the pages. */
    const tn *es = tn_get(m, 13);
    int64_t es_plain = 0, es_dict = 0, es_dpage = 0;
    for (size_t i = 0; i < es->nkids; i++) {
        const tn *e = tn_elem(es, i);
        int64_t pt = tn_int(tn_get(e, 1), -1), enc = tn_int(tn_get(e, 2), -1), n = tn_int(tn_get(e, 3), 0);
        if (pt == KN_PQ_PAGE_DICTIONARY) es_dpage += n;
        else if (enc == KN_PQ_ENC_PLAIN) es_plain += n;
        else if (enc == KN_PQ_ENC_RLE_DICTIONARY) es_dict += n;
    }
    ck_assert_int_eq(es_dpage, 1);
    ck_assert_int_eq(es_dict, rle_dict);
    ck_assert_int_eq(es_plain, plain);
    /* Statistics cover every value, dictionary and PLAIN alike. */
    const tn *st = tn_get(m, 12);
    ck_assert_int_eq((int)tn_get(st, 6)->len, 11);
    ck_assert_int_eq(memcmp(tn_get(st, 6)->bin, "id-00000000", 11), 0);
    ck_assert_int_eq(memcmp(tn_get(st, 5)->bin, "id-00199999", 11), 0);
    ck_assert_ptr_null(tn_get(st, 1)); /* no deprecated max for strings */
    tn_free(&fmd);
    kn_buf_free(&f);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(single_value_dictionary_pages_use_bit_width_zero_with_a_run_header)
{
    kn_schema *s = schema_of("c", kn_type_make(KN_TYPE_INT32), true);
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.codec = KN_CODEC_NONE;
    kn_buf f = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, &o, &f);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 8, &b, NULL), KN_OK);
    for (int i = 0; i < 5; i++) kn_column_append_i32(&b->columns[0], 42, NULL);
    kn_column_append_null(&b->columns[0], NULL);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    ck_assert_int_eq(kn_pq_writer_write(w, b, NULL), KN_OK);
    close_ok(w, NULL);
    tn fmd;
    parse_footer(&f, &fmd);
    const tn *m = chunk_meta(&fmd, 0, 0);
    uint64_t at = (uint64_t)tn_int(tn_get(m, 9), -1);
    tn ph;
    size_t hl = tn_parse(f.data + at, f.len - at, &ph);
    ck_assert_uint_gt(hl, 0);
    ck_assert_int_eq(tn_int(tn_get(tn_get(&ph, 5), 1), -1), 6); /* num_values counts the null */
    const uint8_t *body = f.data + at + hl;
    /* Levels: a 4-byte length, then 5 ones and a zero (one bit-packed group: 0x03, 0x1f). */
    static const uint8_t want[] = {2, 0, 0, 0, 0x03, 0x1f, /* bit width */ 0, /* run of 5 */ 0x0a};
    ck_assert_int_eq(tn_int(tn_get(&ph, 2), -1), (int64_t)sizeof want);
    ck_assert_int_eq(memcmp(body, want, sizeof want), 0);
    /* Statistics: min = max = 42, one null, the deprecated pair too for a signed type. */
    const tn *st = tn_get(m, 12);
    ck_assert_int_eq(tn_int(tn_get(st, 3), -1), 1);
    int32_t v;
    memcpy(&v, tn_get(st, 6)->bin, 4);
    ck_assert_int_eq(v, 42);
    ck_assert_ptr_nonnull(tn_get(st, 2));
    tn_free(&ph);
    tn_free(&fmd);
    kn_buf_free(&f);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

START_TEST(zero_rows_make_a_file_with_no_row_groups)
{
    kn_schema *s = mixed_schema();
    kn_buf f = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, NULL, &f);
    kn_pq_file_info info;
    close_ok(w, &info);
    ck_assert_uint_eq(info.num_rows, 0);
    ck_assert_uint_eq(info.num_row_groups, 0);
    tn fmd;
    parse_footer(&f, &fmd);
    ck_assert_int_eq(tn_int(tn_get(&fmd, 3), -1), 0);
    ck_assert_uint_eq(tn_get(&fmd, 4)->nkids, 0);
    ck_assert_uint_eq(tn_get(&fmd, 2)->nkids, 6); /* the schema is still there */
    tn_free(&fmd);
    kn_buf_free(&f);
    kn_schema_free(s);
}
END_TEST

START_TEST(writer_bytes_grow_and_match_the_file_on_close)
{
    kn_pq_options o;
    kn_pq_options_init(&o);
    o.row_group_bytes = 100000;
    kn_schema *s = mixed_schema();
    kn_buf f = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, &o, &f);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 5000, &b, NULL), KN_OK);
    uint64_t last = kn_pq_writer_bytes(w);
    ck_assert_uint_eq(last, 4);
    for (int k = 0; k < 6; k++) {
        fill_mixed(b, (size_t)k * 5000, 5000);
        ck_assert_int_eq(kn_pq_writer_write(w, b, NULL), KN_OK);
        uint64_t now = kn_pq_writer_bytes(w);
        ck_assert_uint_gt(now, last);
        last = now;
    }
    kn_pq_file_info info;
    close_ok(w, &info);
    /* An estimate (dictionaries count uncompressed until their page is built), but close to
     * what the file weighs: within a quarter either way. */
    ck_assert_uint_lt(last, info.file_bytes + info.file_bytes / 4);
    ck_assert_uint_gt(last, info.file_bytes - info.file_bytes / 4);
    kn_batch_free(b);
    kn_buf_free(&f);
    kn_schema_free(s);
}
END_TEST

START_TEST(written_file_is_published_under_its_name_only_on_close)
{
    make_tmpdir();
    char path[400];
    snprintf(path, sizeof path, "%s/t.parquet", tmpdir);
    kn_schema *s = mixed_schema();
    kn_sink *sink;
    ck_assert_int_eq(kn_file_sink_create(path, NULL, &sink, NULL), KN_OK);
    kn_pq_writer *w;
    ck_assert_int_eq(kn_pq_writer_create(s, sink, NULL, &w, NULL), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 100, &b, NULL), KN_OK);
    fill_mixed(b, 0, 100);
    ck_assert_int_eq(kn_pq_writer_write(w, b, NULL), KN_OK);
    ck_assert_int_ne(access(path, F_OK), 0);
    kn_pq_file_info info;
    close_ok(w, &info);
    uint8_t *data;
    size_t len;
    ck_assert_int_eq(kn_file_read_all(path, &data, &len, NULL), KN_OK);
    ck_assert_uint_eq(len, info.file_bytes);
    ck_assert_int_eq(memcmp(data + len - 4, "PAR1", 4), 0);
    kn_free(data);
    ck_assert_int_eq(count_files(), 1);
    kn_batch_free(b);
    kn_schema_free(s);
    remove_tmpdir();
}
END_TEST

/* A sink that fails once `budget` bytes are written, and records whether it was closed or
 * aborted. */
typedef struct {
    kn_sink base;
    size_t budget;
    int *closed, *aborted;
} failing_sink;

static kn_status failing_write(kn_sink *s, const void *data, size_t len, kn_error *err) {
    failing_sink *f = (failing_sink *)s;
    (void)data;
    if (len > f->budget) return kn_error_set(err, KN_E_IO, "disk full (test)");
    f->budget -= len;
    return KN_OK;
}
static kn_status failing_close(kn_sink *s, kn_error *err) {
    failing_sink *f = (failing_sink *)s;
    (*f->closed)++;
    kn_free(f);
    (void)err;
    return KN_OK;
}
static void failing_abort(kn_sink *s) {
    failing_sink *f = (failing_sink *)s;
    (*f->aborted)++;
    kn_free(f);
}
static const kn_sink_vtable failing_vt = {failing_write, failing_close, failing_abort, NULL};

START_TEST(io_failure_mid_file_aborts_the_sink_instead_of_publishing)
{
    kn_schema *s = mixed_schema();
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 5000, &b, NULL), KN_OK);
    fill_mixed(b, 0, 5000);
    /* Fail in the header, in the row group data, and in the footer. */
    static const size_t budgets[] = {0, 1000, 60000};
    for (size_t k = 0; k < 3; k++) {
        int closed = 0, aborted = 0;
        failing_sink *f = kn_calloc(1, sizeof *f);
        f->base.vt = &failing_vt;
        f->budget = budgets[k];
        f->closed = &closed, f->aborted = &aborted;
        kn_pq_options o;
        kn_pq_options_init(&o);
        o.row_group_bytes = 50000; /* several row groups, so writes happen during write() too */
        kn_pq_writer *w = NULL;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = kn_pq_writer_create(s, &f->base, &o, &w, &e);
        for (int r = 0; st == KN_OK && r < 3; r++) st = kn_pq_writer_write(w, b, &e);
        if (st == KN_OK) {
            st = kn_pq_writer_close(w, NULL, &e);
        } else if (w) {
            kn_pq_writer_abort(w);
        }
        ck_assert_int_eq(st, KN_E_IO);
        ck_assert_msg(strstr(e.what, "disk full"), "%s", e.what);
        ck_assert_int_eq(closed, 0);
        ck_assert_int_eq(aborted, 1);
    }
    /* An empty batch is no error and adds nothing. */
    kn_buf out = KN_BUF_INIT;
    kn_pq_writer *w = mem_writer(s, NULL, &out);
    kn_batch_clear(b);
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    ck_assert_int_eq(kn_pq_writer_write(w, b, NULL), KN_OK);
    ck_assert_int_eq(kn_pq_writer_write(w, NULL, NULL), KN_E_USAGE);
    kn_pq_writer_abort(w);
    kn_buf_free(&out);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("parquet_write");
    TCase *tc = tcase_create("parquet_write");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, thrift_compact_bytes_match_the_spec);
    tcase_add_test(tc, thrift_struct_nesting_too_deep_is_an_error_not_a_crash);
    tcase_add_test(tc, rle_known_bytes_from_the_spec);
    tcase_add_test(tc, rle_round_trips_every_bit_width_with_runs_and_literals);
    tcase_add_test(tc, rle_chooses_runs_as_the_reference_does);
    tcase_add_test(tc, rle_bitmap_levels_round_trip);
    tcase_add_test(tc, rle_decoder_rejects_truncated_streams);
    tcase_add_test(tc, plain_bytes_for_each_physical_type);
    tcase_add_test(tc, stats_compare_strings_as_unsigned_bytes);
    tcase_add_test(tc, stats_skip_nan_and_normalise_signed_zero);
    tcase_add_test(tc, stats_order_signed_ints_decimals_and_bools);
    tcase_add_test(tc, stats_truncate_long_strings_and_round_the_max_up);
    tcase_add_test(tc, codecs_round_trip_through_the_libraries);
    tcase_add_test(tc, codec_names_parse_and_print);
    tcase_add_test(tc, null_in_required_column_fails_naming_column_and_row_and_leaves_no_file);
    tcase_add_test(tc, decimal_with_too_many_digits_fails_naming_column_and_row);
    tcase_add_test(tc, unwritable_path_is_an_io_error_and_leaves_nothing);
    tcase_add_test(tc, bad_options_are_usage_errors_and_abort_the_sink);
    tcase_add_test(tc, batch_with_other_types_is_a_usage_error);
    tcase_add_test(tc, same_rows_give_the_same_bytes_whatever_the_batches);
    tcase_add_test(tc, footer_has_every_required_field_and_consistent_counts);
    tcase_add_test(tc, dictionary_falls_back_to_plain_past_its_bound);
    tcase_add_test(tc, single_value_dictionary_pages_use_bit_width_zero_with_a_run_header);
    tcase_add_test(tc, zero_rows_make_a_file_with_no_row_groups);
    tcase_add_test(tc, writer_bytes_grow_and_match_the_file_on_close);
    tcase_add_test(tc, written_file_is_published_under_its_name_only_on_close);
    tcase_add_test(tc, io_failure_mid_file_aborts_the_sink_instead_of_publishing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
