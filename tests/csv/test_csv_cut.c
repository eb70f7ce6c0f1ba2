/* tests/csv/test_csv_cut.c: kn_csv_complete_prefix, where whole records end in a stream's
 * bytes, against a byte-at-a-time reference written from the reader's contract (kn_csv.h), for
 * every twin of the break scan, on random byte soup and on hand-picked edges. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kn_cpu.h"
#include "kn_csv.h"

static uint64_t rng = 777;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bool is_break(uint8_t c) { return c == '\n' || c == '\r'; }

/* The reference, one record at a time as the reader goes: a record starting with the comment
 * byte runs raw to the first line break; any other runs to the first line break outside quotes,
 * where each unescaped quote flips "inside" and an escape byte makes the next byte literal. The
 * break ends the record; a CR with a LF after it ends it past the LF; a CR as the last byte is
 * not known to end it before the end of the input. */
static size_t reference(const kn_csv_options *o, const uint8_t *d, size_t len, bool at_eof) {
    if (at_eof) return len;
    size_t cut = 0, i = 0;
    while (i < len) {
        size_t j = i;
        if (o->comment && d[i] == o->comment) {
            while (j < len && !is_break(d[j])) j++;
        } else {
            bool inside = false;
            while (j < len) {
                if (o->escape && d[j] == o->escape) {
                    j += 2;
                    continue;
                }
                if (o->quote && d[j] == o->quote) inside = !inside;
                else if (!inside && is_break(d[j])) break;
                j++;
            }
        }
        if (j >= len) break;
        if (d[j] == '\r') {
            if (j + 1 == len) break;
            if (d[j + 1] == '\n') j++;
        }
        cut = i = j + 1;
    }
    return cut;
}

typedef struct option_set {
    const char *name;
    uint8_t quote, escape, comment;
    const char *alphabet;
} option_set;

static const option_set sets[] = {
    {"rfc4180", '"', 0, 0, "a,\"\\\r\n"},
    {"backslash escape", '"', '\\', 0, "a,\"\\\r\n"},
    {"no quoting", 0, 0, 0, "a,\"\\\r\n"},
    {"no quoting, escape", 0, '\\', 0, "a,\"\\\r\n"},
    {"single quote", '\'', 0, 0, "a,\"'\\\r\n"},
    {"comments", '"', 0, '#', "a,\"\\\r\n#"},
    {"comments and escape", '"', '\\', '#', "a,\"\\\r\n#"},
};

static void options_for(const option_set *s, kn_csv_simd simd, kn_csv_options *o) {
    kn_csv_options_init(o);
    o->quote = s->quote;
    o->escape = s->escape;
    o->comment = s->comment;
    o->simd = simd;
    ck_assert_int_eq(kn_csv_options_check(o, NULL), KN_OK);
}

/* The twins this CPU runs. */
static size_t twins(kn_csv_simd *out) {
    size_t n = 0;
    out[n++] = KN_CSV_SIMD_SCALAR;
    if (kn_cpu()->avx2) out[n++] = KN_CSV_SIMD_AVX2;
    if (kn_cpu()->avx512) out[n++] = KN_CSV_SIMD_AVX512;
    return n;
}

static void check_one(const option_set *s, kn_csv_simd simd, const uint8_t *d, size_t len) {
    kn_csv_options o;
    options_for(s, simd, &o);
    for (int eof = 0; eof < 2; eof++) {
        size_t want = reference(&o, d, len, eof), got = kn_csv_complete_prefix(&o, d, len, eof);
        if (want != got) {
            char shown[600];
            size_t k = 0;
            for (size_t i = 0; i < len && k + 5 < sizeof shown; i++)
                k += (size_t)snprintf(shown + k, sizeof shown - k, d[i] == '\n' ? "\\n" : d[i] == '\r' ? "\\r" : "%c", d[i]);
            ck_abort_msg("%s, twin %d, at_eof %d: complete prefix %zu, reference %zu, of [%s]", s->name, (int)simd, eof,
                         got, want, shown);
        }
    }
}

START_TEST(the_break_scan_equals_the_reference_on_byte_soup)
{
    /* Soup over the bytes that matter puts quotes, escapes, CRs and comment bytes at every
     * place against the 64-byte blocks, runs of escapes across block edges included. */
    kn_csv_simd tw[3];
    size_t ntw = twins(tw);
    static uint8_t d[1100];
    for (size_t si = 0; si < sizeof sets / sizeof sets[0]; si++) {
        const option_set *s = &sets[si];
        size_t na = strlen(s->alphabet);
        for (int round = 0; round < 3000; round++) {
            size_t len = round < 200 ? (size_t)round % 20 : (size_t)(rnd() % (round % 7 == 0 ? 1100 : 200));
            /* Some rounds lean on a few bytes, so long quoted runs and long records come up. */
            size_t lean = rnd() % 4;
            for (size_t i = 0; i < len; i++) {
                uint64_t r = rnd();
                d[i] = lean == 0 && r % 3 ? 'a' : (uint8_t)s->alphabet[(r >> 8) % na];
            }
            for (size_t t = 0; t < ntw; t++) check_one(s, tw[t], d, len);
        }
    }
}
END_TEST

START_TEST(edges_of_records_cut_where_the_reader_ends_them)
{
    static const struct {
        const char *text;
        size_t want; /* not at the end of the input */
        int set;     /* index into sets */
    } cases[] = {
        {"", 0, 0},
        {"a,b", 0, 0},                         /* no line end yet */
        {"a,b\n", 4, 0},
        {"a,b\r", 0, 0},                       /* maybe half a CRLF */
        {"a,b\r\n", 5, 0},
        {"a\rb", 2, 0},                        /* a lone CR ends a record */
        {"a\r\rb", 3, 0},
        {"a\r\r", 2, 0},
        {"\n\n\r\n", 4, 0},                    /* blank lines are records */
        {"\"x\ny\",1\n2", 8, 0},               /* a line feed inside quotes */
        {"\"x\ny\",1", 0, 0},
        {"\"a\"\"b\n\"\nc", 8, 0},             /* a doubled quote stays inside */
        {"a\\\nb\nc", 5, 1},                   /* an escaped line feed */
        {"a\\\\\nb", 4, 1},                    /* an escaped escape escapes nothing */
        {"\"a\\\"\nb\"\nc", 8, 1},             /* an escaped quote inside quotes */
        {"a\\\nb\nc", 5, 0},                   /* no escape byte: the backslash is text */
        {"#\"x\na\n\"", 6, 5},                 /* a comment's quote does not count */
        {"a\n#\"\r\nb\"\n", 6, 5},             /* a comment line ended by CRLF */
        {"a\n#x", 2, 5},                       /* a comment not ended yet */
        {"a,#\"\nb\n", 0, 5},                  /* a comment byte inside a record is text */
    };
    kn_csv_simd tw[3];
    size_t ntw = twins(tw);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *d = (const uint8_t *)cases[i].text;
        size_t len = strlen(cases[i].text);
        for (size_t t = 0; t < ntw; t++) {
            kn_csv_options o;
            options_for(&sets[cases[i].set], tw[t], &o);
            ck_assert_msg(kn_csv_complete_prefix(&o, d, len, false) == cases[i].want, "case %zu, twin %d: %zu, want %zu", i,
                          (int)tw[t], kn_csv_complete_prefix(&o, d, len, false), cases[i].want);
            ck_assert_uint_eq(kn_csv_complete_prefix(&o, d, len, true), len);
            check_one(&sets[cases[i].set], tw[t], d, len);
        }
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("csv_cut");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_break_scan_equals_the_reference_on_byte_soup);
    tcase_add_test(tc, edges_of_records_cut_where_the_reader_ends_them);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
