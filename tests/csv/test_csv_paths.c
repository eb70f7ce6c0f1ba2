/* tests/csv/test_csv_paths.c: the CSV reader's quick ways (the block path, the fast kinds, the
 * structural twins) read exactly what its general way reads.
 *
 * The general way is the one every value takes when the options ask for a null token: each
 * field through kn_cast, record by record. A null token that never occurs in the data changes
 * no value, so the same bytes read with and without it must give the same rows, the same bad
 * records (offset, bytes, field, reason) and the same end. The data are random CSV whose values
 * sit on and around the shapes the quick ways take (digits of every length, signs, leading
 * zeros, dots, exponents, spaces, quotes, timestamps with every part bent, invalid UTF-8),
 * with short and long records, blank and comment lines, every line end, and texts long
 * enough to cross the reader's index windows. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cpu.h"
#include "kn_csv.h"

static uint64_t rng = 0x5EEDull;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        ck_assert_ptr_nonnull(t->p);
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = 0;
}
static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }
static void putc_(text *t, char c) { put(t, &c, 1); }
static void digits(text *t, unsigned k) {
    for (unsigned i = 0; i < k; i++) putc_(t, (char)('0' + below(10)));
}

/* The columns, one of each kind the reader treats apart, and the general ones beside them. */
#define SCHEMA                                                                                     \
    "i:int64;j:int32;d:decimal(10,2);e:decimal(18,4);w:decimal(30,3);f:float64;t:timestamptz;"   \
    "u:timestamp;b:bool;s:string;n:int64!;dt:date;s2:string"
enum { C_I64, C_I32, C_D10, C_D18, C_D30, C_F64, C_TSZ, C_TS, C_BOOL, C_STR, C_I64NN, C_DATE, C_STR2, NCOLS };

static kn_schema *schema_of(const char *spec) {
    kn_schema *s = kn_schema_create();
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *colon = strchr(tok, ':');
        *colon = 0;
        bool nn = colon[strlen(colon + 1)] == '!';
        if (nn) colon[strlen(colon + 1)] = 0;
        kn_type ty;
        ck_assert(kn_type_parse(colon + 1, &ty));
        ck_assert_int_eq(kn_schema_add(s, tok, ty, !nn, NULL), KN_OK);
    }
    return s;
}

/* A number near the shapes the word-at-a-time parsers take. */
static void number(text *t) {
    unsigned r = below(40);
    if (r == 0) puts_(t, below(2) ? "-" : "+");
    else if (r == 1) puts_(t, " ");
    if (below(12) == 0) putc_(t, '0');
    digits(t, below(6) == 0 ? below(22) : 1 + below(9));
    if (below(3) == 0) {
        putc_(t, '.');
        digits(t, below(5) == 0 ? below(12) : below(4));
    }
    if (below(30) == 0) {
        putc_(t, below(2) ? 'e' : 'E');
        if (below(2)) putc_(t, below(2) ? '-' : '+');
        digits(t, below(3));
    }
    if (below(40) == 0) puts_(t, below(2) ? " " : "x");
}

static void two(text *t, unsigned lo, unsigned span) {
    char b[8];
    snprintf(b, sizeof b, "%02u", lo + below(span));
    puts_(t, b);
}

/* A timestamp of the common shape with each part sometimes bent out of it. */
static void timestamp(text *t) {
    char b[16];
    snprintf(b, sizeof b, "%04u", below(8) == 0 ? below(10000) : 1990 + below(60));
    puts_(t, b);
    putc_(t, below(60) ? '-' : '/');
    two(t, below(20) ? 1 : 0, below(20) ? 12 : 14);
    putc_(t, '-');
    two(t, below(20) ? 1 : 0, below(10) ? 28 : 32);
    if (below(25) == 0) return; /* a bare date */
    const char seps[] = "TTTTTTt x";
    putc_(t, seps[below(9)]);
    two(t, 0, below(20) ? 24 : 26);
    putc_(t, ':');
    two(t, 0, below(20) ? 60 : 62);
    if (below(20)) {
        putc_(t, ':');
        two(t, 0, below(20) ? 60 : 62);
        if (below(4)) {
            putc_(t, below(20) ? '.' : ',');
            digits(t, below(4) ? 6 : below(11));
        }
    }
    unsigned z = below(12);
    if (z < 8) putc_(t, 'Z');
    else if (z == 8) putc_(t, 'z');
    else if (z == 9) puts_(t, below(2) ? "+01:00" : "-0530");
    else if (z == 10) puts_(t, "+2");
}

static void string(text *t) {
    static const char *const bits[] = {"a", "b", "xyz", " ", ",", "|", "\t", "\"", "\"\"", "\n", "\r\n",
                                       "\xC3\xA9", "\xE2\x82\xAC", "\xFF", "\xC3", "#", "\\", "0", "1.5"};
    unsigned k = below(6) == 0 ? below(80) : below(12);
    for (unsigned i = 0; i < k; i++) puts_(t, bits[below(i % 7 == 0 ? 19 : 4)]);
}

static void bool_(text *t) {
    static const char *const b[] = {"true", "false", "true", "false", "TRUE", "False", "t", "f", "yes", "n", "1", "0", "maybe", " true"};
    puts_(t, b[below(14)]);
}

/* One field of column c (quoted sometimes; the bytes between quotes are left as they come, so
 * some quoted fields are bad on purpose). */
static void field(text *t, int c, char delim) {
    unsigned r = below(100);
    if (r < 3) return; /* empty: NULL, or bad in the non-nullable column */
    bool quoted = r < 9;
    if (quoted) putc_(t, '"');
    if (r == 9) puts_(t, "\\N");
    else switch (c) {
    case C_TSZ:
    case C_TS: timestamp(t); break;
    case C_DATE:
        if (below(2)) timestamp(t);
        else number(t);
        break;
    case C_BOOL: bool_(t); break;
    case C_STR:
    case C_STR2:
        if (quoted || below(3)) string(t);
        else puts_(t, below(2) ? "plain" : "caf\xC3\xA9" "");
        break;
    default:
        if (below(30) == 0) string(t);
        else number(t);
        break;
    }
    if (quoted) putc_(t, '"');
    (void)delim;
}

/* A valid timestamp in any form kn_cast reads (offsets, no seconds, fractions of 1 to 9
 * digits, a bare date), mostly the common shape. */
static void valid_timestamp(text *t) {
    char b[64];
    unsigned y = below(10) ? 1990 + below(60) : below(10000), m = 1 + below(12), d = 1 + below(28), form = below(10);
    if (below(20) == 0) m = 2, d = 29, y = 2000 + 4 * below(20);
    int n = snprintf(b, sizeof b, "%04u-%02u-%02u", y, m, d);
    if (form != 9) {
        n += snprintf(b + n, sizeof b - (size_t)n, "%c%02u:%02u", below(10) ? 'T' : ' ', below(24), below(60));
        if (form != 8) n += snprintf(b + n, sizeof b - (size_t)n, ":%02u", below(60));
        if (form < 6) n += snprintf(b + n, sizeof b - (size_t)n, ".%06u", below(1000000));
        else if (form == 6) n += snprintf(b + n, sizeof b - (size_t)n, ".%u", below(1000));
        static const char *const zones[] = {"Z", "Z", "Z", "", "z", "+01:00", "-0530", "+02"};
        n += snprintf(b + n, sizeof b - (size_t)n, "%s", zones[below(8)]);
    }
    put(t, b, (size_t)n);
}

/* A valid value of column c, in one of the forms exports write (signs, leading zeros, spaces,
 * exponents, every bool spelling, quotes), so that blocks run long and every branch of the
 * quick loops is taken. */
static void valid_value(text *t, int c, char delim) {
    char b[96];
    unsigned r = below(100);
    if (r < 3 && c != C_I64NN) return; /* NULL */
    bool quoted = r < 6;
    switch (c) {
    case C_I64:
    case C_I64NN:
    case C_I32: {
        unsigned digs = 1 + below(c == C_I32 ? 9 : 18);
        snprintf(b, sizeof b, "%s%s%s", quoted ? "\"" : "", below(8) == 0 ? "-" : below(40) == 0 ? "+" : "",
                 below(20) == 0 ? "00" : "");
        puts_(t, b);
        digits(t, digs);
        if (below(50) == 0) puts_(t, below(2) ? ".0" : "e2");
        break;
    }
    case C_D10:
    case C_D18:
    case C_D30:
    case C_F64: {
        unsigned idig = 1 + below(c == C_D10 ? 8 : 12), fdig = below(c == C_D10 ? 3 : 4);
        if (quoted) putc_(t, '"');
        if (below(30) == 0) puts_(t, " ");
        if (below(8) == 0) putc_(t, '-');
        digits(t, idig);
        if (fdig) {
            putc_(t, '.');
            digits(t, fdig);
        }
        if (c == C_F64 && below(20) == 0) puts_(t, below(2) ? "e-3" : "E5");
        if (c == C_D10 && below(20) == 0) puts_(t, fdig ? "0" : ".00");
        break;
    }
    case C_TSZ:
    case C_TS:
        if (quoted) putc_(t, '"');
        valid_timestamp(t);
        break;
    case C_DATE:
        if (quoted) putc_(t, '"');
        snprintf(b, sizeof b, "%04u-%02u-%02u", 1900 + below(200), 1 + below(12), 1 + below(28));
        puts_(t, b);
        break;
    case C_BOOL: {
        static const char *const sp[] = {"true", "false", "true", "false", "true", "false", "TRUE", "False", "t", "F", "yes", "no", "Y", "n", "1", "0"};
        if (quoted) putc_(t, '"');
        puts_(t, sp[below(16)]);
        break;
    }
    default: {
        /* A string: quoted when it must be (delimiter, quote, line break) or at random, inner
         * quotes doubled; sometimes longer than the 32-byte moves. */
        static const char *const bits[] = {"ab", "c", "xyz ", "\xC3\xA9", "\xE2\x82\xAC", "0", "#", "\\", ",", "|", "\t", "\"", "\n", "\r\n"};
        char v[256];
        size_t n = 0;
        unsigned k = below(10) == 0 ? 10 + below(30) : below(8);
        bool special = false;
        for (unsigned i = 0; i < k; i++) {
            const char *bit = bits[below(below(4) ? 8 : 14)];
            size_t bl = strlen(bit);
            if (bit[0] == delim || bit[0] == '"' || bit[0] == '\n' || bit[0] == '\r') special = true;
            memcpy(v + n, bit, bl);
            n += bl;
        }
        if (r == 6) n = 0; /* "" : an empty string */
        if (special || quoted || r == 6) {
            putc_(t, '"');
            for (size_t i = 0; i < n; i++) {
                if (v[i] == '"') putc_(t, '"');
                putc_(t, v[i]);
            }
            putc_(t, '"');
            return;
        }
        put(t, v, n);
        return;
    }
    }
    if (quoted) putc_(t, '"');
}

static void line_end(text *t) {
    unsigned r = below(40);
    puts_(t, r == 0 ? "\r" : r < 6 ? "\r\n" : "\n");
}

/* A random CSV text with a header; roughly `records` records. */
static void make_text(text *t, size_t records, char delim, bool comments) {
    t->n = 0;
    static const char *const names[NCOLS] = {"i", "j", "d", "e", "w", "f", "t", "u", "b", "s", "n", "dt", "s2"};
    for (int c = 0; c < NCOLS; c++) {
        if (c) putc_(t, delim);
        puts_(t, names[c]);
    }
    putc_(t, '\n');
    /* Some texts are valid throughout (every value castable, in every form), some mostly of the
     * common shape, the rest as random as it comes. */
    unsigned kind = below(3);
    bool clean = kind == 1, valid = kind == 2;
    for (size_t k = 0; k < records; k++) {
        unsigned r = below(clean || valid ? 2000 : 200);
        if (valid && r >= 2 && r <= 3) r = 4;
        if (r == 0) {
            line_end(t); /* a blank line */
            continue;
        }
        if (r == 1 && comments) {
            puts_(t, "# a comment, with \"a quote");
            line_end(t);
            continue;
        }
        int n = NCOLS;
        if (r == 2) n = NCOLS - 1 - (int)below(3);
        else if (r == 3) n = NCOLS + 1;
        for (int c = 0; c < n; c++) {
            if (c) putc_(t, delim);
            if (valid) {
                valid_value(t, c % NCOLS, delim);
            } else if (clean && below(10)) {
                /* A value of the common shape, so blocks run long. */
                char b[64];
                switch (c % NCOLS) {
                case C_TSZ:
                case C_TS: timestamp(t); break;
                case C_BOOL: puts_(t, below(2) ? "true" : "false"); break;
                case C_STR:
                case C_STR2: puts_(t, below(2) ? "abc" : "d\xC3\xA9" "f"); break;
                case C_DATE: puts_(t, "2024-02-29"); break;
                case C_I64:
                case C_I64NN: snprintf(b, sizeof b, "%llu", (unsigned long long)(rnd() % 10000000000000ull)); puts_(t, b); break;
                case C_I32: snprintf(b, sizeof b, "%u", below(100)); puts_(t, b); break;
                default: snprintf(b, sizeof b, "%u.%02u", below(100000), below(100)); puts_(t, b); break;
                }
            } else {
                field(t, c % NCOLS, delim);
            }
        }
        if (k + 1 < records || below(2)) line_end(t);
    }
    if (!valid && below(20) == 0) puts_(t, "1,\"never closed");
    t->p[t->n] = 0;
}

/* Everything a read shows: each batch's rows (values as bits), each bad record (offset, length,
 * field, reason, where), the record count and the end. */
static void trace(const kn_csv_options *opt, const kn_schema *s, const char *p, size_t len, size_t morsel, text *out) {
    out->n = 0;
    kn_csv_file f;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_csv_prologue(opt, s, (const uint8_t *)p, len, "p.csv", &f, &e), KN_OK);
    kn_csv_reader *r;
    ck_assert_int_eq(kn_csv_reader_create(s, opt, &r, NULL), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 16, &b, NULL), KN_OK);
    size_t start = f.data_start;
    char line[2048];
    while (start < len) {
        size_t stop = start + morsel < len ? start + morsel : len;
        kn_batch_clear(b);
        kn_csv_reader_reset(r, &f, (const uint8_t *)p + start, len - start, stop - start, "p.csv", start);
        for (bool done = false; !done;) {
            kn_error_reset(&e);
            kn_status st = kn_csv_reader_next(r, b, &done, &e);
            if (st == KN_E_DATA) {
                uint64_t off;
                const uint8_t *d;
                size_t n;
                kn_csv_reader_bad_record(r, &off, &d, &n);
                ck_assert_ptr_eq(d, p + off);
                snprintf(line, sizeof line, "bad %llu+%zu [%s] at %lld: %s\n", (unsigned long long)off, n, e.field,
                         (long long)e.byte_offset, e.what);
                puts_(out, line);
                continue;
            }
            ck_assert_int_eq(st, KN_OK);
        }
        ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
        for (size_t row = 0; row < b->num_rows; row++) {
            for (size_t c = 0; c < s->num_fields; c++) {
                const kn_column *col = &b->columns[c];
                size_t w = kn_type_width(col->type), n;
                /* A NULL's slot is part of the contract too: zeros, or an empty string. */
                if (!kn_column_is_valid(col, row)) puts_(out, "|N");
                if (w) {
                    putc_(out, '|');
                    const uint8_t *v = (const uint8_t *)col->values + row * w;
                    for (size_t k = 0; k < w; k++) {
                        snprintf(line, sizeof line, "%02x", v[k]);
                        puts_(out, line);
                    }
                } else {
                    const uint8_t *v = kn_column_str(col, row, &n);
                    snprintf(line, sizeof line, "|%zu:", n);
                    puts_(out, line);
                    put(out, (const char *)v, n);
                }
            }
            putc_(out, '\n');
        }
        size_t end = start + kn_csv_reader_end(r);
        snprintf(line, sizeof line, "morsel %zu..%zu records %llu\n", start, end,
                 (unsigned long long)kn_csv_reader_records(r));
        puts_(out, line);
        ck_assert_uint_gt(end, start);
        start = end;
    }
    kn_batch_free(b);
    kn_csv_reader_free(r);
    kn_csv_file_release(&f);
}

/* The first line where two traces part, for the failure message. */
static void first_difference(const text *a, const text *b, char *out, size_t cap) {
    size_t i = 0, line_start = 0;
    while (i < a->n && i < b->n && a->p[i] == b->p[i]) {
        if (a->p[i] == '\n') line_start = i + 1;
        i++;
    }
    snprintf(out, cap, "general: %.300s\nquick:   %.300s", a->p + line_start, b->p + line_start);
}

START_TEST(quick_ways_read_as_the_general_way)
{
    const kn_cpu_features *cpu = kn_cpu();
    kn_schema *s = schema_of(SCHEMA);
    text t = {0}, general = {0}, quick = {0};
    const kn_csv_simd simds[] = {KN_CSV_SIMD_SCALAR, KN_CSV_SIMD_AVX2, KN_CSV_SIMD_AVX512};
    size_t checked = 0;
    for (int iter = 0; iter < 160; iter++) {
        char delim = iter % 5 == 3 ? '|' : iter % 7 == 4 ? '\t' : ',';
        bool comments = iter % 4 == 1;
        /* Most texts are small; some cross several 128 KiB index windows. */
        size_t records = iter % 16 == 0 ? 3000 + below(3000) : 1 + below(400);
        make_text(&t, records, delim, comments);
        kn_csv_options opt;
        kn_csv_options_init(&opt);
        opt.delimiter = (uint8_t)delim;
        if (comments) opt.comment = '#';
        size_t morsel = iter % 3 == 0 ? t.n : 1 + below((unsigned)t.n);
        kn_csv_options g = opt;
        g.null_tokens[0] = "\x01never\x01";
        g.num_null_tokens = 1;
        trace(&g, s, t.p, t.n, morsel, &general);
        for (int m = 0; m < 3; m++) {
            if ((m == 1 && !cpu->avx2) || (m == 2 && !cpu->avx512)) continue;
            kn_csv_options q = opt;
            q.simd = simds[m];
            trace(&q, s, t.p, t.n, morsel, &quick);
            char diff[800];
            if (general.n != quick.n || memcmp(general.p, quick.p, general.n) != 0) {
                first_difference(&general, &quick, diff, sizeof diff);
                ck_abort_msg("iteration %d, scanner %d, morsel %zu: the quick way reads differently\n%s", iter, m,
                             morsel, diff);
            }
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 300);
    free(t.p);
    free(general.p);
    free(quick.p);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("csv_paths");
    TCase *tc = tcase_create("paths");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, quick_ways_read_as_the_general_way);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
