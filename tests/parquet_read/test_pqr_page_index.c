/* tests/parquet_read/test_pqr_page_index.c: the page index kiln's writer writes, read back through
 * kn_parquet_read and checked against the rows themselves. Each column's value is a function
 * of its row (model()), so for every page of every chunk the test knows which rows the page
 * holds (from the OffsetIndex's first rows) and computes their null count, NaN count, least
 * and greatest value in Parquet's order, and whether the page holds nulls only, independently
 * of the writer; the ColumnIndex must say exactly that. check_layout() (pqr_test_layout.c)
 * checks the rest on every file: page locations against the page headers, the order of the
 * indexes after the last row group, boundary orders against the bounds.
 *
 * Cases: every type kiln writes over many pages and row groups with every codec, dictionary
 * and PLAIN pages (and the fallback between them) in one chunk; NaN, -0.0 and +0.0; pages of
 * nulls only; each boundary order; long strings; the chunks that get no ColumnIndex. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_column.h"
#include "kn_pq_column.h"
#include "kn_pq_format.h"
#include "kn_pq_writer.h"
#include "kn_pqr.h"
#include "kn_pqr_index.h"
#include "kn_schema.h"
#include "pqr_test_layout.h"

/* --- the model: column c's value at row r --------------------------------------------------- */

enum {
    C_ASC,      /* int64: r, ascending */
    C_DESC,     /* timestamp: 10^15 - r * 1000, descending */
    C_HASH,     /* int32: scattered, unordered, every 5th null */
    C_F64,      /* double: NaN every 7th, zeros of both signs, infinities, every 11th null */
    C_LABEL,    /* string: 40 labels with multibyte UTF-8 (stays on its dictionary) */
    C_UNIQ,     /* string: distinct values (the dictionary falls back to PLAIN) */
    C_DEC9,     /* decimal(9,2), signed */
    C_DEC18,    /* decimal(18,4), signed */
    C_DEC38,    /* decimal(38,10): FIXED_LEN_BYTE_ARRAY, signed, big-endian */
    C_DATE,     /* date: r / 50 - 1000, ascending with repeats */
    C_BOOL,     /* bool: runs, every 3rd null */
    C_SPARSE,   /* int64: null but for rows r % 3000 < 5 */
    C_COUNT
};

static const char *const col_names[C_COUNT] = {"asc", "desc", "hash", "f64", "label", "uniq",
                                               "d9", "d18", "d38", "day", "flag", "sparse"};

static kn_schema *model_schema(void) {
    kn_type t[C_COUNT] = {kn_type_make(KN_TYPE_INT64), kn_type_timestamp(true), kn_type_make(KN_TYPE_INT32),
                          kn_type_make(KN_TYPE_FLOAT64), kn_type_make(KN_TYPE_STRING), kn_type_make(KN_TYPE_STRING),
                          kn_type_decimal(9, 2), kn_type_decimal(18, 4), kn_type_decimal(38, 10),
                          kn_type_make(KN_TYPE_DATE), kn_type_make(KN_TYPE_BOOL), kn_type_make(KN_TYPE_INT64)};
    bool n[C_COUNT];
    for (int i = 0; i < C_COUNT; i++) n[i] = i != C_ASC && i != C_DESC;
    return schema_of(col_names, t, n, C_COUNT);
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static const char *const labels[8] = {"alpha", "Ärger", "zeta", "中文", "bäck", "a", "Z", "émoji 🎉"};

/* One model value: false for a null; else its kiln form in *v (the union below). */
typedef struct {
    int64_t i;
    double d;
    kn_i128 w;
    bool b;
    char s[64];
    size_t slen;
} mval;

static bool model(int c, size_t r, mval *v) {
    memset(v, 0, sizeof *v);
    uint64_t h = mix(r * 31 + (uint64_t)c);
    switch (c) {
    case C_ASC: v->i = (int64_t)r; return true;
    case C_DESC: v->i = 1000000000000000LL - (int64_t)r * 1000; return true;
    case C_HASH:
        if (r % 5 == 0) return false;
        v->i = (int32_t)(uint32_t)h;
        return true;
    case C_F64:
        if (r % 11 == 0) return false;
        if (r % 7 == 0) v->d = NAN;
        else if (r % 13 == 0) v->d = (r % 2) ? -0.0 : 0.0;
        else if (r % 997 == 0) v->d = (r % 2) ? INFINITY : -INFINITY;
        else v->d = ((double)(h % 20001) - 10000.0) / 8.0;
        return true;
    case C_LABEL:
        if (r % 17 == 0) return false;
        v->slen = (size_t)snprintf(v->s, sizeof v->s, "%s-%zu", labels[h % 8], (size_t)(h >> 8) % 5);
        return true;
    case C_UNIQ: v->slen = (size_t)snprintf(v->s, sizeof v->s, "u%08llx", (unsigned long long)(h & 0xffffffffu)); return true;
    case C_DEC9:
        if (r % 6 == 0) return false;
        v->i = (int64_t)(h % 1999999999ULL) - 999999999;
        return true;
    case C_DEC18:
        v->i = (int64_t)(h % 1999999999999999999ULL) - 999999999999999999LL;
        return true;
    case C_DEC38: {
        if (r % 4 == 0) return false;
        int64_t hi = (int64_t)(mix(h) % 100000000000ULL) - 50000000000LL; /* well inside 38 digits */
        v->w = (kn_i128){h, hi};
        return true;
    }
    case C_DATE: v->i = (int64_t)(r / 50) - 1000; return true;
    case C_BOOL:
        if (r % 3 == 0) return false;
        v->b = (r / 1000) % 2 == 0 || r % 5 == 1;
        return true;
    case C_SPARSE:
        if (r % 3000 >= 5) return false;
        v->i = (int64_t)(r / 3000);
        return true;
    }
    return false;
}

/* The value as written: its PLAIN bytes (strings without their length). */
static void physical(int c, const mval *v, uint8_t *out, size_t *len) {
    switch (c) {
    case C_HASH:
    case C_DEC9:
    case C_DATE: {
        int32_t x = (int32_t)v->i;
        memcpy(out, &x, 4);
        *len = 4;
        return;
    }
    case C_F64: memcpy(out, &v->d, 8), *len = 8; return;
    case C_LABEL:
    case C_UNIQ: memcpy(out, v->s, v->slen), *len = v->slen; return;
    case C_DEC38: {
        /* decimal(38) is 16 bytes, big-endian two's complement. */
        uint64_t hi = (uint64_t)v->w.hi, lo = v->w.lo;
        for (int k = 0; k < 8; k++) out[k] = (uint8_t)(hi >> (56 - 8 * k));
        for (int k = 0; k < 8; k++) out[8 + k] = (uint8_t)(lo >> (56 - 8 * k));
        *len = 16;
        return;
    }
    case C_BOOL: out[0] = v->b, *len = 1; return;
    default: memcpy(out, &v->i, 8), *len = 8; return;
    }
}

static void fill_model(kn_batch *b, size_t first, size_t n, void *ctx) {
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < C_COUNT; c++) {
            mval v;
            kn_column *col = &b->columns[c];
            if (!model(c, first + i, &v)) {
                kn_column_append_null(col, NULL);
                continue;
            }
            switch (c) {
            case C_HASH:
            case C_DATE: kn_column_append_i32(col, (int32_t)v.i, NULL); break;
            case C_F64: kn_column_append_f64(col, v.d, NULL); break;
            case C_LABEL:
            case C_UNIQ: kn_column_append_str(col, v.s, v.slen, NULL); break;
            case C_DEC38: kn_column_append_i128(col, v.w, NULL); break;
            case C_BOOL: kn_column_append_bool(col, v.b, NULL); break;
            default: kn_column_append_i64(col, v.i, NULL); break;
            }
        }
    }
}

/* What a page of rows [a, b) of column c must say. */
typedef struct {
    int64_t nulls, nans;
    bool any;
    uint8_t lo[64], hi[64];
    size_t lo_len, hi_len;
} expect_t;

static void expect_rows(int c, int32_t physical_type, size_t a, size_t b, expect_t *x) {
    memset(x, 0, sizeof *x);
    for (size_t r = a; r < b; r++) {
        mval v;
        if (!model(c, r, &v)) {
            x->nulls++;
            continue;
        }
        if (c == C_F64 && isnan(v.d)) {
            x->nans++;
            continue;
        }
        uint8_t p[64];
        size_t len;
        physical(c, &v, p, &len);
        kn_pqr_bytes cur = {p, len}, lo = {x->lo, x->lo_len}, hi = {x->hi, x->hi_len};
        if (!x->any || bound_cmp(physical_type, &cur, &lo) < 0) memcpy(x->lo, p, len), x->lo_len = len;
        if (!x->any || bound_cmp(physical_type, &cur, &hi) > 0) memcpy(x->hi, p, len), x->hi_len = len;
        x->any = true;
    }
}

/* Every page of every chunk of a model file against the rows it holds. Returns the pages seen
 * per encoding so callers can ask for both kinds. */
static void check_against_model(const kn_buf *file, const kn_pqr_meta *m, size_t *dict_pages, size_t *plain_pages) {
    size_t base = 0;
    *dict_pages = *plain_pages = 0;
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        for (int c = 0; c < C_COUNT; c++) {
            const kn_pqr_column_chunk *cc = &rg->columns[c];
            int32_t type = cc->meta_data.type;
            kn_pqr_page_index *pi;
            read_page_index(file, cc, &pi);
            chunk_pages pg;
            walk_chunk(file, &cc->meta_data, &pg);
            size_t first_data = pg.pages[0].h.type == KN_PQ_PAGE_DICTIONARY ? 1 : 0;
            ck_assert_msg(pi->has_column_index, "row group %zu column %s has no ColumnIndex", g, col_names[c]);
            const kn_pqr_column_index *ci = &pi->column_index;
            size_t n = pi->offset_index.num_page_locations;
            for (size_t k = 0; k < n; k++) {
                int enc = pg.pages[first_data + k].h.data_page_header.encoding;
                if (enc == KN_PQ_ENC_RLE_DICTIONARY) (*dict_pages)++;
                else (*plain_pages)++;
                size_t a = base + (size_t)pi->offset_index.page_locations[k].first_row_index;
                size_t b = k + 1 < n ? base + (size_t)pi->offset_index.page_locations[k + 1].first_row_index
                                     : base + (size_t)rg->num_rows;
                expect_t x;
                expect_rows(c, type, a, b, &x);
                ck_assert_msg(ci->null_counts[k] == x.nulls, "%s rg %zu page %zu: %lld nulls, the rows hold %lld", col_names[c],
                              g, k, (long long)ci->null_counts[k], (long long)x.nulls);
                if (c == C_F64) ck_assert_int_eq(ci->nan_counts[k], x.nans);
                ck_assert(ci->null_pages[k] == (x.nulls == (int64_t)(b - a)));
                if (ci->null_pages[k]) continue;
                ck_assert(x.any);
                kn_pqr_bytes lo = {x.lo, x.lo_len}, hi = {x.hi, x.hi_len};
                ck_assert_msg(bound_cmp(type, &ci->min_values[k], &lo) == 0 && ci->min_values[k].len == x.lo_len,
                              "%s rg %zu page %zu: min differs from the rows' least value", col_names[c], g, k);
                ck_assert_msg(bound_cmp(type, &ci->max_values[k], &hi) == 0 && ci->max_values[k].len == x.hi_len,
                              "%s rg %zu page %zu: max differs from the rows' greatest value", col_names[c], g, k);
            }
            if (c == C_ASC || c == C_DATE) ck_assert_int_eq(ci->boundary_order, KN_PQR_BOUNDARY_ASCENDING);
            if (c == C_DESC && n > 1) ck_assert_int_eq(ci->boundary_order, KN_PQR_BOUNDARY_DESCENDING);
            if (c == C_HASH && n > 2) ck_assert_int_eq(ci->boundary_order, KN_PQR_BOUNDARY_UNORDERED);
            free(pg.pages);
            kn_pqr_page_index_free(pi);
        }
        base += (size_t)rg->num_rows;
    }
}

START_TEST(every_type_every_codec_pages_say_what_their_rows_hold)
{
    static const kn_codec codecs[] = {KN_CODEC_SNAPPY, KN_CODEC_NONE, KN_CODEC_ZSTD, KN_CODEC_GZIP, KN_CODEC_LZ4_RAW};
    static const int32_t thrift_codec[] = {KN_PQ_CODEC_SNAPPY, KN_PQ_CODEC_UNCOMPRESSED, KN_PQ_CODEC_ZSTD, KN_PQ_CODEC_GZIP,
                                           KN_PQ_CODEC_LZ4_RAW};
    kn_schema *s = model_schema();
    for (size_t k = 0; k < 5; k++) {
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        opt.codec = codecs[k];
        opt.page_bytes = 2048;
        opt.row_group_bytes = 600 * 1024;
        opt.dictionary_page_bytes = 8 * 1024; /* the uniq column falls back to PLAIN mid-chunk */
        kn_buf file = KN_BUF_INIT;
        write_file(s, &opt, 40000, 3000, fill_model, NULL, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, thrift_codec[k], NULL);
        ck_assert_uint_ge(m->num_row_groups, 2);
        size_t dict, plain;
        check_against_model(&file, m, &dict, &plain);
        fprintf(stderr, "codec %zu: %zu row groups, %zu dictionary and %zu PLAIN data pages\n", k, m->num_row_groups, dict, plain);
        ck_assert_uint_gt(dict, 20);
        ck_assert_uint_gt(plain, 20);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
    }
    kn_schema_free(s);
}
END_TEST

START_TEST(column_writer_threads_do_not_change_the_page_index)
{
    /* Columns encoded on several threads (kn_pq_options.threads) give the same file, indexes
     * included (tests/parquet/test_pq_rowgroup.c shows the same for row groups encoded apart). */
    kn_schema *s = model_schema();
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.page_bytes = 4096;
    opt.row_group_bytes = 400 * 1024;
    kn_buf one = KN_BUF_INIT, three = KN_BUF_INIT;
    write_file(s, &opt, 20000, 1500, fill_model, NULL, &one, NULL);
    opt.threads = 3;
    write_file(s, &opt, 20000, 1500, fill_model, NULL, &three, NULL);
    ck_assert_uint_eq(one.len, three.len);
    ck_assert(!memcmp(one.data, three.data, one.len));
    kn_buf_free(&one);
    kn_buf_free(&three);
    kn_schema_free(s);
}
END_TEST

/* --- one int64 column in patterns ------------------------------------------------------------ */

typedef struct {
    int pattern;
} pattern_ctx;

enum { P_ASC, P_DESC, P_CONST, P_SAWTOOTH, P_ASC_NULL_RUNS, P_DESC_STR, P_ZEROS };

static void fill_pattern(kn_batch *b, size_t first, size_t n, void *ctx) {
    int p = ((pattern_ctx *)ctx)->pattern;
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i;
        kn_column *col = &b->columns[0];
        switch (p) {
        case P_ASC: kn_column_append_i64(col, (int64_t)r * 3 - 100000, NULL); break;
        case P_DESC: kn_column_append_i64(col, -(int64_t)r, NULL); break;
        case P_CONST: kn_column_append_i64(col, 42, NULL); break;
        case P_SAWTOOTH: kn_column_append_i64(col, (int64_t)(r % 5000), NULL); break;
        case P_ASC_NULL_RUNS:
            /* A million nulls (a page of nulls only: pages hold at most 2^20 rows), then rising values. */
            if (r < 1100000) kn_column_append_null(col, NULL);
            else kn_column_append_i64(col, (int64_t)r, NULL);
            break;
        case P_DESC_STR: {
            char t[32];
            int l = snprintf(t, sizeof t, "k%07zu", 9999999 - r);
            kn_column_append_str(col, t, (size_t)l, NULL);
            break;
        }
        case P_ZEROS: /* -0.0 and +0.0 mixed, then rising: each page's min and max still compare in order */
            kn_column_append_f64(col, r < 3000 ? (r % 2 ? -0.0 : 0.0) : (double)r, NULL);
            break;
        }
    }
}

START_TEST(boundary_order_says_how_the_pages_run)
{
    static const struct {
        int pattern;
        int type;
        bool nullable;
        size_t rows;
        int32_t order;
    } cases[] = {
        {P_ASC, KN_TYPE_INT64, false, 50000, KN_PQR_BOUNDARY_ASCENDING},
        {P_DESC, KN_TYPE_INT64, false, 50000, KN_PQR_BOUNDARY_DESCENDING},
        {P_CONST, KN_TYPE_INT64, false, 50000, KN_PQR_BOUNDARY_ASCENDING}, /* equal bounds: both hold, ASCENDING first */
        {P_SAWTOOTH, KN_TYPE_INT64, false, 50000, KN_PQR_BOUNDARY_UNORDERED},
        {P_ASC_NULL_RUNS, KN_TYPE_INT64, true, 1200000, KN_PQR_BOUNDARY_ASCENDING}, /* null pages are passed over */
        {P_DESC_STR, KN_TYPE_STRING, false, 50000, KN_PQR_BOUNDARY_DESCENDING},
        {P_ZEROS, KN_TYPE_FLOAT64, false, 50000, KN_PQR_BOUNDARY_ASCENDING},
        {P_ASC, KN_TYPE_INT64, false, 10, KN_PQR_BOUNDARY_ASCENDING}, /* one page */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        static const char *const names[] = {"v"};
        kn_type t = kn_type_make((kn_type_id)cases[k].type);
        bool nullable = cases[k].nullable;
        kn_schema *s = schema_of(names, &t, &nullable, 1);
        kn_pq_options opt;
        kn_pq_options_init(&opt);
        opt.page_bytes = 4096;
        opt.dictionary = false;
        kn_buf file = KN_BUF_INIT;
        pattern_ctx ctx = {cases[k].pattern};
        write_file(s, &opt, cases[k].rows, 50000, fill_pattern, &ctx, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
        const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[0];
        kn_pqr_page_index *pi;
        read_page_index(&file, cc, &pi);
        ck_assert(pi->has_column_index);
        ck_assert_msg(pi->column_index.boundary_order == cases[k].order, "case %zu: boundary order %d, expected %d", k,
                      (int)pi->column_index.boundary_order, (int)cases[k].order);
        if (cases[k].rows > 10) ck_assert_uint_gt(pi->column_index.num_pages, 2);
        if (cases[k].pattern == P_ASC_NULL_RUNS) {
            /* The first page: KN_PQ_PAGE_MAX_ROWS rows of nulls only. */
            ck_assert(pi->column_index.null_pages[0]);
            ck_assert_int_eq(pi->column_index.null_counts[0], KN_PQ_PAGE_MAX_ROWS);
            ck_assert_uint_eq(pi->column_index.min_values[0].len, 0);
            ck_assert_int_eq(pi->offset_index.page_locations[1].first_row_index, KN_PQ_PAGE_MAX_ROWS);
        }
        kn_pqr_page_index_free(pi);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
        kn_schema_free(s);
    }
}
END_TEST

/* --- chunks whose bounds cannot all be written ----------------------------------------------- */

static void fill_nan_page(kn_batch *b, size_t first, size_t n, void *ctx) {
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i;
        /* Rows 10000..20000 are NaN only: with 4 KiB pages, whole pages of NaN. */
        kn_column_append_f64(&b->columns[0], r >= 10000 && r < 20000 ? NAN : (double)r, NULL);
    }
}

START_TEST(a_page_of_nan_only_leaves_the_chunk_without_a_column_index)
{
    /* parquet.thrift, ColumnIndex, TYPE_ORDER: NaN may not be a bound and min/max_values are
     * required, so a chunk with a page whose values are all NaN gets no ColumnIndex; its
     * OffsetIndex is still written, and its statistics count the NaN values. */
    static const char *const names[] = {"x"};
    kn_type t = kn_type_make(KN_TYPE_FLOAT64);
    bool nullable = false;
    kn_schema *s = schema_of(names, &t, &nullable, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.page_bytes = 4096;
    for (int dict = 0; dict < 2; dict++) {
        opt.dictionary = dict;
        kn_buf file = KN_BUF_INIT;
        write_file(s, &opt, 30000, 7000, fill_nan_page, NULL, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
        const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[0];
        ck_assert(cc->has_offset_index_offset && !cc->has_column_index_offset);
        ck_assert(cc->meta_data.statistics.has_nan_count);
        ck_assert_int_eq(cc->meta_data.statistics.nan_count, 10000);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
    }
    kn_schema_free(s);
}
END_TEST

static void fill_int96(kn_batch *b, size_t first, size_t n, void *ctx) {
    (void)ctx;
    for (size_t i = 0; i < n; i++) kn_column_append_i64(&b->columns[0], (int64_t)(first + i) * 1000000, NULL);
}

START_TEST(int96_timestamps_get_an_offset_index_only)
{
    /* INT96's order is undefined under TYPE_ORDER: parquet.thrift forbids its ColumnIndex. */
    static const char *const names[] = {"ts"};
    kn_type t = kn_type_timestamp(true);
    bool nullable = false;
    kn_schema *s = schema_of(names, &t, &nullable, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.timestamp_int96 = true;
    opt.page_bytes = 4096;
    opt.dictionary = false;
    kn_buf file = KN_BUF_INIT;
    write_file(s, &opt, 5000, 5000, fill_int96, NULL, &file, NULL);
    kn_pqr_meta *m = read_meta(&file);
    check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
    const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[0];
    ck_assert_int_eq(cc->meta_data.type, KN_PQ_INT96);
    ck_assert(cc->has_offset_index_offset && !cc->has_column_index_offset);
    kn_pqr_page_index *pi;
    read_page_index(&file, cc, &pi);
    ck_assert_uint_gt(pi->offset_index.num_page_locations, 5);
    kn_pqr_page_index_free(pi);
    kn_pqr_meta_free(m);
    kn_buf_free(&file);
    kn_schema_free(s);
}
END_TEST

static void fill_long_strings(kn_batch *b, size_t first, size_t n, void *ctx) {
    bool ff = *(bool *)ctx;
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i;
        char t[200];
        memset(t, ff && r == 777 ? 0xFF : 'a' + (int)(mix(r) % 26), sizeof t);
        int l = snprintf(t + 100, 20, "%06zu", r); /* distinct values past the 64th byte */
        t[100 + l] = (char)('a' + (int)(r % 26));
        kn_column_append_str(&b->columns[0], t, ff && r == 777 ? 150 : 100 + (size_t)l + 1, NULL);
    }
}

START_TEST(long_string_bounds_are_cut_to_64_bytes_and_still_bound_the_page)
{
    /* 22: a page's min is a prefix of its least value, its max a 64-byte string above its
     * greatest; a max no 64-byte string bounds (0xFF bytes) leaves the chunk without a
     * ColumnIndex rather than with a wrong one. */
    static const char *const names[] = {"s"};
    kn_type t = kn_type_make(KN_TYPE_STRING);
    bool nullable = false;
    kn_schema *s = schema_of(names, &t, &nullable, 1);
    kn_pq_options opt;
    kn_pq_options_init(&opt);
    opt.page_bytes = 8192;
    opt.dictionary = false;
    for (int ff = 0; ff < 2; ff++) {
        bool ctx = ff;
        kn_buf file = KN_BUF_INIT;
        kn_batch *all;
        ck_assert_int_eq(kn_batch_create(s, 3000, &all, NULL), KN_OK);
        fill_long_strings(all, 0, 3000, &ctx);
        write_file(s, &opt, 3000, 1000, fill_long_strings, &ctx, &file, NULL);
        kn_pqr_meta *m = read_meta(&file);
        check_layout(&file, m, s, KN_PQ_CODEC_SNAPPY, NULL);
        const kn_pqr_column_chunk *cc = &m->row_groups[0].columns[0];
        if (ff) {
            ck_assert(cc->has_offset_index_offset && !cc->has_column_index_offset);
        } else {
            kn_pqr_page_index *pi;
            read_page_index(&file, cc, &pi);
            ck_assert(pi->has_column_index);
            const kn_pqr_offset_index *oi = &pi->offset_index;
            ck_assert_uint_gt(oi->num_page_locations, 5);
            for (size_t k = 0; k < oi->num_page_locations; k++) {
                const kn_pqr_bytes *mn = &pi->column_index.min_values[k], *mx = &pi->column_index.max_values[k];
                ck_assert_uint_le(mn->len, 64);
                ck_assert_uint_le(mx->len, 64);
                size_t a = (size_t)oi->page_locations[k].first_row_index;
                size_t b = k + 1 < oi->num_page_locations ? (size_t)oi->page_locations[k + 1].first_row_index : 3000;
                bool min_is_prefix = false;
                for (size_t r = a; r < b; r++) {
                    kn_pqr_bytes v = {all->columns[0].bytes.data + all->columns[0].offsets[r],
                                      all->columns[0].offsets[r + 1] - all->columns[0].offsets[r]};
                    ck_assert_int_le(bound_cmp(KN_PQ_BYTE_ARRAY, mn, &v), 0);
                    ck_assert_int_ge(bound_cmp(KN_PQ_BYTE_ARRAY, mx, &v), 0);
                    if (v.len >= mn->len && !memcmp(v.data, mn->data, mn->len)) min_is_prefix = true;
                }
                ck_assert(min_is_prefix);
            }
            kn_pqr_page_index_free(pi);
        }
        kn_batch_free(all);
        kn_pqr_meta_free(m);
        kn_buf_free(&file);
    }
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("parquet_page_index");
    TCase *tc = tcase_create("page_index");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_type_every_codec_pages_say_what_their_rows_hold);
    tcase_add_test(tc, column_writer_threads_do_not_change_the_page_index);
    tcase_add_test(tc, boundary_order_says_how_the_pages_run);
    tcase_add_test(tc, a_page_of_nan_only_leaves_the_chunk_without_a_column_index);
    tcase_add_test(tc, int96_timestamps_get_an_offset_index_only);
    tcase_add_test(tc, long_string_bounds_are_cut_to_64_bytes_and_still_bound_the_page);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
