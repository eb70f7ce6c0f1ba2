/* tests/exec/test_seq_cut.c: sequential sources cut into morsels (kn_seq_cut.h), for NDJSON and
 * CSV. For many inputs, read in chunks of 1 to 4096 bytes and cut at morsel sizes from 1 byte
 * to 1 MiB: the prologue and the morsels together are exactly the input; every morsel but the
 * last ends where the format's own reader, reading the whole file, ends a record; and each
 * morsel parsed alone gives the rows and bad records the whole file gives. Also: failures of
 * the source pass up with its name, limits on runaway records, morsels parsed on other threads
 * while the cut goes on, and a real named pipe. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_test_format.h"
#include "kn_buf.h"
#include "kn_csv_format.h"
#include "kn_ndjson_format.h"
#include "kn_seq_cut.h"
#include "kn_store_local.h"
#include "kn_xml_format.h"

static uint64_t rng = 4242;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- inputs ---------------------------------------------------------------------------------- */

typedef struct input {
    const kn_format *fmt;
    const char *options; /* "key=value;flag;..." or "" */
    const char *text;
    size_t len;          /* 0: strlen(text) */
} input;

static kn_schema *schema_abc(void) {
    kn_schema *s = kn_schema_create();
    kn_type t;
    ck_assert(kn_type_parse("string", &t));
    ck_assert_int_eq(kn_schema_add(s, "a", t, true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "b", t, true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "c", t, true, NULL), KN_OK);
    return s;
}

static kn_format_opts *options_of(const kn_format *fmt, const char *spec) { return kn_test_format_options(fmt, spec); }

/* ---- parsing, as the run parses a morsel ----------------------------------------------------- */

/* Rows as "a|b|c\n" ("\N" for NULL); bad records as "offset what [bytes]\n". */
typedef struct parsed {
    kn_buf rows, bad;
} parsed;

static void parsed_free(parsed *p) {
    kn_buf_free(&p->rows);
    kn_buf_free(&p->bad);
}

/* Check writes a message per passing assertion, so the loops over every value check quietly
 * and abort only on failure. */
static void put(kn_buf *b, const char *s, size_t n) {
    if (!kn_buf_append(b, s, n)) ck_abort_msg("out of memory");
}

static void parse_range(const kn_format *fmt, const kn_format_opts *fo, const kn_schema *schema,
                        const kn_format_file *file, const uint8_t *data, size_t len, uint64_t base, parsed *out) {
    kn_format_reader *r;
    kn_batch *b;
    ck_assert_int_eq(fmt->reader_create(fo, schema, &r, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(schema, 16, &b, NULL), KN_OK);
    fmt->reader_reset(r, file, data, len, len, "in", base);
    for (;;) {
        bool done = false;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = fmt->reader_next(r, b, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *rec;
            size_t n;
            fmt->reader_bad_record(r, &off, &rec, &n);
            char line[700];
            int k = snprintf(line, sizeof line, "%llu@%lld %s [%.*s]\n", (unsigned long long)off, (long long)e.byte_offset,
                             e.what, (int)(n < 100 ? n : 100), (const char *)rec);
            put(&out->bad, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
            continue;
        }
        ck_assert_int_eq(st, KN_OK);
        if (done) break;
    }
    ck_assert_uint_eq(fmt->reader_end(r), len); /* a morsel of whole records is read to its end */
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    for (size_t row = 0; row < b->num_rows; row++) {
        for (size_t c = 0; c < schema->num_fields; c++) {
            const kn_column *col = &b->columns[c];
            if (c) put(&out->rows, "|", 1);
            if (!kn_column_is_valid(col, row)) {
                put(&out->rows, "\\N", 2);
            } else {
                size_t n;
                const uint8_t *s = kn_column_str(col, row, &n);
                put(&out->rows, (const char *)s, n);
            }
        }
        put(&out->rows, "\n", 1);
    }
    kn_batch_free(b);
    fmt->reader_free(r);
}

static kn_status noop_value(void *ctx, const kn_scan_value *v, kn_error *err) { return KN_OK; }

/* Is `at` (relative to the data start) where the reader, reading the whole data from the data
 * start with a stop at `at`, ends? It reads the records that start before the stop however far
 * they run, so it ends elsewhere when `at` is inside a record, or between a CR and its LF. */
static bool reader_ends_at(const kn_format *fmt, const kn_format_opts *fo, const kn_format_file *file,
                           const uint8_t *data, size_t len, size_t at) {
    if (fmt->split == KN_SPLIT_EXACT) return at == 0 || data[at - 1] == '\n'; /* NDJSON reads to len */
    kn_format_reader *r;
    ck_assert_int_eq(fmt->reader_create(fo, NULL, &r, NULL), KN_OK);
    fmt->reader_reset(r, file, data, len, at, "in", 0);
    for (;;) {
        bool done = false;
        kn_status st = fmt->reader_scan(r, noop_value, NULL, &done, NULL);
        if (st != KN_OK && st != KN_E_DATA) ck_abort_msg("scanning failed: %d", (int)st);
        if (done) break;
    }
    size_t end = fmt->reader_end(r);
    fmt->reader_free(r);
    return end == at;
}

/* ---- cutting --------------------------------------------------------------------------------- */

static void cut_and_check(const input *in, size_t chunk, size_t morsel) {
    const kn_format *fmt = in->fmt;
    const uint8_t *text = (const uint8_t *)in->text;
    size_t len = in->len ? in->len : strlen(in->text);
    kn_schema *schema = schema_abc();
    kn_format_opts *fo = options_of(fmt, in->options);

    /* The whole file at once, as a mapped file is read. */
    kn_format_file *whole_file = NULL;
    ck_assert_int_eq(fmt->file_open(fo, schema, text, len, true, "in.csv", &whole_file, NULL), KN_OK);
    size_t start = fmt->file_data_start(whole_file);
    parsed want = {KN_BUF_INIT, KN_BUF_INIT};
    parse_range(fmt, fo, schema, whole_file, text + start, len - start, start, &want);

    kn_seq_cut_options opt;
    kn_seq_cut_options_init(&opt);
    opt.morsel_bytes = morsel;
    opt.count_lines = true;
    kn_seq_cut *c = NULL;
    kn_error e;
    kn_error_reset(&e);
    kn_seq_source *src = kn_mem_seq_source_create(text, len, chunk, "in.csv");
    ck_assert_msg(kn_seq_cut_create(fmt, fo, schema, src, "in.csv", &opt, &c, &e) == KN_OK, "%s", e.what);

    size_t plen;
    const uint8_t *pro = kn_seq_cut_prologue(c, &plen);
    ck_assert_uint_eq(plen, start);
    ck_assert(plen == 0 || memcmp(pro, text, plen) == 0);
    size_t roff, rlen, got_rlen;
    fmt->file_reject_prologue(whole_file, &roff, &rlen);
    const uint8_t *rp = kn_seq_cut_reject_prologue(c, &got_rlen);
    ck_assert_uint_eq(got_rlen, rlen);
    ck_assert(rlen == 0 || memcmp(rp, text + roff, rlen) == 0);

    parsed got = {KN_BUF_INIT, KN_BUF_INIT};
    size_t at = start, count = 0;
    int64_t line = 1;
    for (size_t i = 0; i < start; i++) line += text[i] == '\n';
    for (;;) {
        kn_seq_morsel m;
        bool done;
        ck_assert_int_eq(kn_seq_cut_next(c, &m, &done, &e), KN_OK);
        if (done) {
            ck_assert_ptr_null(m.data);
            break;
        }
        count++;
        ck_assert_uint_gt(m.len, 0);
        ck_assert_uint_eq(m.offset, at);
        ck_assert_int_eq(m.first_line, line);
        ck_assert_uint_le(at + m.len, len);
        ck_assert_msg(memcmp(m.data, text + at, m.len) == 0, "morsel %zu differs from the input at %zu", count, at);
        at += m.len;
        for (size_t i = 0; i < m.len; i++) line += m.data[i] == '\n';
        if (at < len) {
            ck_assert_uint_ge(m.len, morsel);
            ck_assert_msg(reader_ends_at(fmt, fo, whole_file, text + start, len - start, at - start),
                          "a morsel ends at %zu, inside a record (chunk %zu, morsel %zu)", at, chunk, morsel);
        }
        parse_range(fmt, fo, schema, kn_seq_cut_file(c), m.data, m.len, m.offset, &got);
        kn_free(m.data);
    }
    ck_assert_uint_eq(at, len);
    ck_assert_msg(got.rows.len == want.rows.len && (!got.rows.len || memcmp(got.rows.data, want.rows.data, got.rows.len) == 0),
                  "rows differ (chunk %zu, morsel %zu):\n%.*s\nwant:\n%.*s", chunk, morsel, (int)got.rows.len,
                  (const char *)got.rows.data, (int)want.rows.len, (const char *)want.rows.data);
    ck_assert_msg(got.bad.len == want.bad.len && (!got.bad.len || memcmp(got.bad.data, want.bad.data, got.bad.len) == 0),
                  "bad records differ (chunk %zu, morsel %zu):\n%.*s\nwant:\n%.*s", chunk, morsel, (int)got.bad.len,
                  (const char *)got.bad.data, (int)want.bad.len, (const char *)want.bad.data);
    parsed_free(&got);
    parsed_free(&want);
    kn_seq_cut_free(c);
    fmt->file_free(whole_file);
    fmt->options_free(fo);
    kn_schema_free(schema);
}

static const size_t chunk_sizes[] = {1, 2, 3, 7, 64, 4096};
static const size_t morsel_sizes[] = {1, 5, 100, (size_t)1 << 20};

static void cut_every_way(const input *in) {
    for (size_t i = 0; i < sizeof chunk_sizes / sizeof chunk_sizes[0]; i++)
        for (size_t j = 0; j < sizeof morsel_sizes / sizeof morsel_sizes[0]; j++) cut_and_check(in, chunk_sizes[i], morsel_sizes[j]);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static const input csv_inputs[] = {
    {&kn_csv_format, "", "a,b,c\n1,\"x\ny\",3\n4,5,6\n", 0},                      /* a line feed inside quotes */
    {&kn_csv_format, "", "a,b,c\n\"he said \"\"hi\"\"\",2,3\n\"\"\"\",\"\",x\n", 0}, /* doubled quotes */
    {&kn_csv_format, "escape=\\", "a,b,c\n1,x\\,y,3\n\"q\\\"r\",2,3\n1,line\\\nbreak,3\n\\\\,\\\"open,5\n", 0},
    {&kn_csv_format, "", "a,b,c\r\n1,2,3\r\n\"x\r\ny\",5,6\r\n\r\n7,8,9\r\n", 0},  /* CRLF */
    {&kn_csv_format, "", "a,b,c\r1,2,3\r\"x\ry\",5,6\r7,8,9\r", 0},                /* lone CR */
    {&kn_csv_format, "", "a,b,c\r\r\n1,2,3\r\r4,5,6", 0},                          /* CR, then CRLF */
    {&kn_csv_format, "", "a,b,c\n1,2,3\n4,5,6", 0},                                /* no line end at the end */
    {&kn_csv_format, "", "a,b,c\n1,2,3\n\"4\n", 0},                                /* a quote never closed */
    {&kn_csv_format, "", "a,b,c\n\n1,2,3\n\n\n4,5,6\n\r\n\n", 0},                  /* blank lines */
    {&kn_csv_format, "", "\xEF\xBB\xBF" "a,b,c\n1,2,3\n4,5,6\n", 0},              /* a BOM */
    {&kn_csv_format, "skip-rows=2", "junk \"with a quote\nmore\r\na,b,c\n1,2,3\n", 0},
    {&kn_csv_format, "skip-rows=3", "x\ny\n", 0},                                  /* rows all skipped */
    {&kn_csv_format, "", "\"a\nA\",\"b\r\n\",c\n1,2,3\n", 0},                      /* a header with line breaks */
    {&kn_csv_format, "no-header", "1,2,3\n4,5,6\n7,8\n", 0},
    {&kn_csv_format, "no-header", "1,\"a very long first record, longer than a small morsel, which gives the "
                                  "column count\",3\n4,5,6\n", 0},
    {&kn_csv_format, "comment=#", "# \"a comment\na,b,c\n1,2,3\n# \"\n4,5,6\n#\r\n7,8,9\n", 0},
    {&kn_csv_format, "", "a,b,c\n1,2\n3,4,5,6\n7,8,9\n\"x\"y,1,2\n", 0},          /* bad records */
    {&kn_csv_format, "quote=", "a,b,c\n\"1,2,3\n4,\"5,6\n", 0},                    /* no quoting */
    {&kn_csv_format, "delimiter=semicolon", "a;b;c\n1;\"x;\ny\";3\n", 0},
    {&kn_csv_format, "", "", 0},
    {&kn_csv_format, "", "a,b,c", 0},
    {&kn_csv_format, "", "a,b,c\n", 0},
};

START_TEST(csv_morsels_are_whole_records_for_every_chunk_and_morsel_size)
{
    for (size_t i = 0; i < sizeof csv_inputs / sizeof csv_inputs[0]; i++) cut_every_way(&csv_inputs[i]);
}
END_TEST

/* Random CSV: fields plain or quoted (with delimiters, doubled quotes, CR, LF and CRLF inside),
 * records ended by LF, CRLF or a lone CR, blank lines, and records of the wrong width. */
static size_t random_csv(char *out, size_t cap, bool escape) {
    size_t o = (size_t)snprintf(out, cap, "a,b,c\n");
    static const char *const ends[] = {"\n", "\r\n", "\r"};
    while (o + 200 < cap) {
        size_t nf = rnd() % 8 ? 3 : 1 + rnd() % 5;
        for (size_t f = 0; f < nf; f++) {
            if (f) out[o++] = ',';
            if (rnd() % 3 == 0) {
                out[o++] = '"';
                size_t n = rnd() % (rnd() % 16 ? 8 : 300);
                for (size_t i = 0; i < n; i++) {
                    uint64_t r = rnd() % 12;
                    if (r == 0) out[o++] = '"', out[o++] = '"';
                    else if (r == 1) out[o++] = '\n';
                    else if (r == 2) out[o++] = '\r';
                    else if (r == 3) out[o++] = ',';
                    else if (r == 4 && escape) out[o++] = '\\', out[o++] = '"';
                    else out[o++] = (char)('a' + r);
                }
                out[o++] = '"';
            } else {
                size_t n = rnd() % 6;
                for (size_t i = 0; i < n; i++) out[o++] = (char)('0' + rnd() % 10);
                if (escape && rnd() % 8 == 0) out[o++] = '\\', out[o++] = "\n,\"\\"[rnd() % 4];
            }
        }
        const char *end = rnd() % 10 ? ends[rnd() % 3] : "\n\n";
        o += (size_t)snprintf(out + o, cap - o, "%s", end);
        if (rnd() % 4 == 0 && o > cap / 2) break;
    }
    out[o] = 0;
    return o;
}

START_TEST(random_csv_cuts_as_the_whole_file_reads)
{
    static char text[6000];
    for (int round = 0; round < 12; round++) {
        bool escape = round % 3 == 2;
        size_t len = random_csv(text, sizeof text, escape);
        input in = {&kn_csv_format, escape ? "escape=\\" : "", text, len};
        cut_every_way(&in);
    }
}
END_TEST

START_TEST(a_record_longer_than_the_morsel_makes_a_longer_morsel)
{
    /* 20 KB of one quoted field full of line breaks, among short records: the morsel holding it
     * is that long, and the cut still falls after it. */
    static char text[30000];
    size_t o = (size_t)snprintf(text, sizeof text, "a,b,c\n1,2,3\n4,\"");
    for (int i = 0; i < 4000; i++) o += (size_t)snprintf(text + o, sizeof text - o, "%s", i % 3 ? "ab\n " : "c\r\n\"\"");
    o += (size_t)snprintf(text + o, sizeof text - o, "\",6\n7,8,9\n");
    input in = {&kn_csv_format, "", text, o};
    cut_every_way(&in);
}
END_TEST

/* ---- NDJSON ---------------------------------------------------------------------------------- */

static const input ndjson_inputs[] = {
    {&kn_ndjson_format, "", "{\"a\":\"x\",\"b\":\"1\"}\n{\"a\":\"y\\nz\",\"c\":\"2\"}\n", 0},
    {&kn_ndjson_format, "", "\xEF\xBB\xBF{\"a\":\"x\"}\n{\"a\":\"y\"}\n", 0}, /* a BOM */
    {&kn_ndjson_format, "", "{\"a\":\"x\"}\r\n{\"a\":\"y\"}\r\n\r\n", 0},     /* CRLF */
    {&kn_ndjson_format, "", "\n{\"a\":\"x\"}\n   \n\n{\"a\":\"y\"}", 0},      /* blank lines, no line end */
    {&kn_ndjson_format, "", "{\"a\":1,}\n[1]\n{\"a\":\"ok\"}\n{\n", 0},       /* bad records */
    {&kn_ndjson_format, "", "", 0},
    {&kn_ndjson_format, "", "{\"b\":\"no line end\"}", 0},
};

START_TEST(ndjson_morsels_are_whole_lines_for_every_chunk_and_morsel_size)
{
    for (size_t i = 0; i < sizeof ndjson_inputs / sizeof ndjson_inputs[0]; i++) cut_every_way(&ndjson_inputs[i]);
    static char text[12000];
    for (int round = 0; round < 6; round++) {
        size_t o = 0;
        while (o < sizeof text - 3000) {
            size_t n = rnd() % (rnd() % 20 ? 20 : 2500);
            o += (size_t)snprintf(text + o, sizeof text - o, "{\"a\":\"");
            for (size_t i = 0; i < n; i++) text[o++] = (char)('a' + rnd() % 26);
            o += (size_t)snprintf(text + o, sizeof text - o, "\",\"b\":\"%llu\"}%s", (unsigned long long)rnd() % 1000,
                                  rnd() % 5 ? "\n" : rnd() % 2 ? "\r\n" : "\n\n");
        }
        input in = {&kn_ndjson_format, "", text, o};
        cut_every_way(&in);
    }
}
END_TEST

/* ---- XML ------------------------------------------------------------------------------------- */

static const input xml_inputs[] = {
    {&kn_xml_format, "", "<?xml version=\"1.0\"?>\n<r>\n<x a=\"1\"><b>2</b><c>3</c></x>\n<!-- <x> --><x><b><![CDATA[</x><x>]]></b>"
                         "</x><?pi <x>?>\n<x c=\"&lt;x&gt;\"/>\n</r>\n", 0},
    {&kn_xml_format, "row-tag=x", "<root><g><x><a>1</a></x></g>\n<g n=\"2\"><x><b>2</b></x><x/><other><a/></other></g></root>", 0},
    {&kn_xml_format, "", "<r><x><a>1</a></x><x><a>2</b></x><x a=1/><x><a>3</a></x>\r\n</r>", 0},      /* bad records */
    {&kn_xml_format, "", "<!DOCTYPE r [<!ENTITY e \"E&#33;\">]><r><x><a>&e;&e;</a></x><x>t</x></r>", 0}, /* entities */
    {&kn_xml_format, "", "<r><x><a>line\r\nbreak</a></x><x><b>a very long record, longer than a small morsel, "
                         "which must not be cut</b></x></r>", 0},
    {&kn_xml_format, "", "<r/>", 0},
    {&kn_xml_format, "", "<r></r>", 0},
    {&kn_xml_format, "row-tag=r", "<r><a>1</a></r>", 0},
};

/* Random XML: records of a, b and c in any order, as elements or attributes, with references,
 * CDATA, comments and PIs that hold what looks like a record's start tag, and some bad records. */
static size_t random_xml(char *out, size_t cap) {
    size_t o = (size_t)snprintf(out, cap, "<?xml version=\"1.0\"?>\n<r>\n");
    static const char *const pieces[] = {"text", "&amp;", "&#x263A;", "<![CDATA[<x>]]>", "<!-- <x> -->", "<?p <x>?>", "\r\n", " "};
    while (o + 400 < cap) {
        bool attr = rnd() % 4 == 0;
        o += (size_t)snprintf(out + o, cap - o, attr ? "<x a=\"%llu\">" : "<x>", (unsigned long long)(rnd() % 100));
        for (int f = 0; f < 3; f++) {
            if (rnd() % 3 == 0 || (f == 0 && attr)) continue;
            char name = (char)('a' + f);
            o += (size_t)snprintf(out + o, cap - o, "<%c>", name);
            for (size_t k = rnd() % (rnd() % 16 ? 4 : 40); k > 0; k--) o += (size_t)snprintf(out + o, cap - o, "%s", pieces[rnd() % 8]);
            o += (size_t)snprintf(out + o, cap - o, rnd() % 40 ? "</%c>" : "</q%c>", name);
        }
        o += (size_t)snprintf(out + o, cap - o, "</x>%s", rnd() % 3 ? "\n" : rnd() % 2 ? "<!-- between -->" : "");
    }
    o += (size_t)snprintf(out + o, cap - o, "</r>\n");
    return o;
}

START_TEST(xml_morsels_are_whole_records_for_every_chunk_and_morsel_size)
{
    for (size_t i = 0; i < sizeof xml_inputs / sizeof xml_inputs[0]; i++) cut_every_way(&xml_inputs[i]);
    static char text[8000];
    for (int round = 0; round < 12; round++) {
        input in = {&kn_xml_format, "", text, random_xml(text, sizeof text)};
        cut_every_way(&in);
    }
}
END_TEST

/* ---- failures and limits --------------------------------------------------------------------- */

/* Gives `ok` bytes of `data`, then fails as a broken connection does. */
typedef struct failing_source {
    kn_seq_source base;
    const char *data;
    size_t ok, pos;
} failing_source;

static kn_status failing_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    failing_source *f = (failing_source *)s;
    if (f->pos >= f->ok) {
        kn_error_locate(err, s->name, -1, -1, (int64_t)s->offset);
        return kn_error_set(err, KN_E_IO, "connection reset");
    }
    size_t n = f->ok - f->pos < cap ? f->ok - f->pos : cap;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    *got = n;
    return KN_OK;
}
static void failing_free(kn_seq_source *s) { kn_free(s); }
static const kn_seq_source_vtable failing_vt = {failing_read, failing_free};

static kn_seq_source *failing_create(const char *data, size_t ok) {
    failing_source *f = kn_calloc(1, sizeof *f);
    f->base.vt = &failing_vt;
    f->base.size = -1;
    f->base.name = "s3://bucket/orders.csv";
    f->data = data;
    f->ok = ok;
    return &f->base;
}

START_TEST(a_failing_source_fails_the_cut_with_its_name)
{
    const char *text = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n";
    kn_schema *schema = schema_abc();
    kn_format_opts *fo = options_of(&kn_csv_format, "");
    kn_seq_cut_options opt;
    kn_seq_cut_options_init(&opt);
    opt.morsel_bytes = 4;
    kn_error e;
    kn_seq_cut *c;

    /* In the prologue: the cutter is not made, and the source is freed with it. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, fo, schema, failing_create(text, 3), "orders.csv", &opt, &c, &e),
                     KN_E_IO);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(e.where, "s3://bucket/orders.csv");
    ck_assert_int_eq(e.byte_offset, 3);

    /* Later: a morsel or two, then the failure, then nothing more. */
    kn_error_reset(&e);
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, fo, schema, failing_create(text, 20), "orders.csv", &opt, &c, &e),
                     KN_OK);
    kn_status st;
    size_t morsels = 0;
    for (;;) {
        kn_seq_morsel m;
        bool done;
        kn_error_reset(&e);
        st = kn_seq_cut_next(c, &m, &done, &e);
        if (st != KN_OK || done) break;
        morsels++;
        kn_free(m.data);
    }
    ck_assert_int_eq(st, KN_E_IO);
    ck_assert_uint_ge(morsels, 1);
    ck_assert_str_eq(e.where, "s3://bucket/orders.csv");
    ck_assert(strstr(e.what, "connection reset"));
    kn_seq_morsel m;
    bool done;
    ck_assert_int_ne(kn_seq_cut_next(c, &m, &done, NULL), KN_OK);
    kn_seq_cut_free(c);
    kn_csv_format.options_free(fo);
    kn_schema_free(schema);
}
END_TEST

START_TEST(runaway_records_and_prologues_are_bad_data_not_memory)
{
    kn_schema *schema = schema_abc();
    kn_format_opts *fo = options_of(&kn_csv_format, "");
    kn_seq_cut_options opt;
    kn_seq_cut_options_init(&opt);
    opt.morsel_bytes = 16;
    opt.max_record_bytes = 1000;
    opt.max_prologue_bytes = 500;
    static char text[20000];
    kn_error e;
    kn_seq_cut *c;

    /* A quote that never closes: the record would run to the end of the stream. */
    size_t o = (size_t)snprintf(text, sizeof text, "a,b,c\n1,2,3\n\"");
    memset(text + o, 'x', 10000);
    o += 10000;
    text[o++] = '\n';
    kn_error_reset(&e);
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, fo, schema, kn_mem_seq_source_create(text, o, 0, NULL), "big.csv",
                                       &opt, &c, &e), KN_OK);
    kn_status st;
    for (;;) {
        kn_seq_morsel m;
        bool done;
        st = kn_seq_cut_next(c, &m, &done, &e);
        if (st != KN_OK || done) break;
        kn_free(m.data);
    }
    ck_assert_int_eq(st, KN_E_DATA);
    ck_assert_str_eq(e.where, "big.csv");
    ck_assert_int_eq(e.byte_offset, 12); /* where the record starts */
    kn_seq_cut_free(c);

    /* A header whose quote never closes is bad once the limit is read, not the whole stream. */
    o = (size_t)snprintf(text, sizeof text, "\"a,b,c\n");
    memset(text + o, 'x', 10000);
    o += 10000;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, fo, schema, kn_mem_seq_source_create(text, o, 0, NULL), "big.csv",
                                       &opt, &c, &e), KN_E_DATA);
    ck_assert(strstr(e.what, "never closed"));

    /* Skipped rows longer than the limit. */
    kn_format_opts *skip = options_of(&kn_csv_format, "skip-rows=1");
    memset(text, 'y', 10000);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, skip, schema, kn_mem_seq_source_create(text, 10000, 0, NULL),
                                       "big.csv", &opt, &c, &e), KN_E_DATA);
    ck_assert(strstr(e.what, "prologue"));
    kn_csv_format.options_free(skip);
    kn_csv_format.options_free(fo);
    kn_schema_free(schema);
}
END_TEST

/* ---- threads and pipes ----------------------------------------------------------------------- */

typedef struct parse_job {
    const kn_format_file *file;
    const kn_schema *schema;
    const kn_format_opts *fo;
    kn_seq_morsel m;
    parsed out;
    pthread_t thread;
} parse_job;

static void *parse_job_run(void *arg) {
    parse_job *j = arg;
    parse_range(&kn_csv_format, j->fo, j->schema, j->file, j->m.data, j->m.len, j->m.offset, &j->out);
    kn_free(j->m.data);
    return NULL;
}

/* Writes `len` bytes of `data` to a named pipe in uneven pieces, as a decompressor would. */
typedef struct pipe_writer {
    const char *path;
    const char *data;
    size_t len;
} pipe_writer;

static void *pipe_writer_run(void *arg) {
    pipe_writer *w = arg;
    FILE *f = fopen(w->path, "wb");
    if (!f) return (void *)1;
    uint32_t r = 1; /* its own numbers: rnd() is the test thread's */
    for (size_t at = 0; at < w->len;) {
        r = r * 1103515245u + 12345u;
        size_t n = 1 + (r >> 8) % 5000;
        if (n > w->len - at) n = w->len - at;
        fwrite(w->data + at, 1, n, f);
        fflush(f);
        at += n;
    }
    fclose(f);
    return NULL;
}

START_TEST(morsels_from_a_named_pipe_parse_on_other_threads_while_the_cut_goes_on)
{
    /* The cut reads a FIFO through the local store; each morsel is parsed on its own thread as
     * soon as it is out, sharing the cutter's file view; together they read as the whole. */
    static char text[400000];
    size_t len = 0;
    /* Each piece starts with a header line, which later on is a plain record of width 3. */
    while (len < sizeof text - 7000) len += random_csv(text + len, 6000, false);
    char dir[] = "/tmp/kn-seq-cut-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    pipe_writer w = {path, text, len};
    pthread_t writer;
    ck_assert_int_eq(pthread_create(&writer, NULL, pipe_writer_run, &w), 0);

    kn_schema *schema = schema_abc();
    kn_format_opts *fo = options_of(&kn_csv_format, "");
    kn_seq_source *src;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_store_open_seq(kn_store_local(), path, &src, &e), KN_OK);
    ck_assert_int_eq(src->size, -1);
    kn_seq_cut_options opt;
    kn_seq_cut_options_init(&opt);
    opt.morsel_bytes = 16 << 10;
    kn_seq_cut *c;
    ck_assert_int_eq(kn_seq_cut_create(&kn_csv_format, fo, schema, src, path, &opt, &c, &e), KN_OK);
    parse_job jobs[200];
    size_t n = 0;
    for (;;) {
        bool done;
        ck_assert_uint_lt(n, 200);
        parse_job *j = &jobs[n];
        memset(j, 0, sizeof *j);
        ck_assert_int_eq(kn_seq_cut_next(c, &j->m, &done, &e), KN_OK);
        if (done) break;
        j->file = kn_seq_cut_file(c);
        j->schema = schema;
        j->fo = fo;
        ck_assert_int_eq(pthread_create(&j->thread, NULL, parse_job_run, j), 0);
        n++;
    }
    void *wrc;
    pthread_join(writer, &wrc);
    ck_assert_ptr_null(wrc);
    ck_assert_uint_gt(n, 10);
    parsed got = {KN_BUF_INIT, KN_BUF_INIT};
    for (size_t i = 0; i < n; i++) {
        pthread_join(jobs[i].thread, NULL);
        put(&got.rows, (const char *)jobs[i].out.rows.data, jobs[i].out.rows.len);
        put(&got.bad, (const char *)jobs[i].out.bad.data, jobs[i].out.bad.len);
        parsed_free(&jobs[i].out);
    }
    kn_seq_cut_free(c);

    kn_format_file *whole = NULL;
    ck_assert_int_eq(kn_csv_format.file_open(fo, schema, (const uint8_t *)text, len, true, path, &whole, NULL), KN_OK);
    size_t start = kn_csv_format.file_data_start(whole);
    parsed want = {KN_BUF_INIT, KN_BUF_INIT};
    parse_range(&kn_csv_format, fo, schema, whole, (const uint8_t *)text + start, len - start, start, &want);
    ck_assert_uint_eq(got.rows.len, want.rows.len);
    ck_assert(memcmp(got.rows.data, want.rows.data, got.rows.len) == 0);
    ck_assert_uint_eq(got.bad.len, want.bad.len);
    ck_assert(!got.bad.len || memcmp(got.bad.data, want.bad.data, got.bad.len) == 0);
    parsed_free(&got);
    parsed_free(&want);
    kn_csv_format.file_free(whole);
    kn_csv_format.options_free(fo);
    kn_schema_free(schema);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("seq_cut");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, csv_morsels_are_whole_records_for_every_chunk_and_morsel_size);
    tcase_add_test(tc, random_csv_cuts_as_the_whole_file_reads);
    tcase_add_test(tc, a_record_longer_than_the_morsel_makes_a_longer_morsel);
    tcase_add_test(tc, ndjson_morsels_are_whole_lines_for_every_chunk_and_morsel_size);
    tcase_add_test(tc, xml_morsels_are_whole_records_for_every_chunk_and_morsel_size);
    tcase_add_test(tc, a_failing_source_fails_the_cut_with_its_name);
    tcase_add_test(tc, runaway_records_and_prologues_are_bad_data_not_memory);
    tcase_add_test(tc, morsels_from_a_named_pipe_parse_on_other_threads_while_the_cut_goes_on);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
