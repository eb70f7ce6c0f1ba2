/* tests/xml/test_xml.c: the XML reader (formats/xml/kn_xml.h) through its format interface:
 * how values land, each well-formedness rule, entities and their bounds, row tags, inference's
 * view, the morsel guess, and the scan twins. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_test_format.h"
#include "kn_buf.h"
#include "kn_cpu.h"
#include "kn_xml.h"
#include "kn_xml_format.h"
#include "kn_xml_internal.h"

/* "name:type name:type" */
static kn_schema *schema_of(const char *spec) {
    kn_schema *s = kn_schema_create();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
        char *colon = strrchr(f, ':');
        ck_assert_ptr_nonnull(colon);
        *colon = 0;
        kn_type t;
        ck_assert_msg(kn_type_parse(colon + 1, &t), "type %s", colon + 1);
        ck_assert_int_eq(kn_schema_add(s, f, t, true, NULL), KN_OK);
    }
    return s;
}

static kn_format_opts *options_of(const char *spec) { return kn_test_format_options(&kn_xml_format, spec); }

/* What reading a whole document gave: rows as "v|v|v\n" (\N for NULL), bad records as
 * "why [bytes]\n", and a fatal status with its message. */
typedef struct result {
    kn_buf rows, bad;
    kn_status fatal;
    char what[512];
} result;

static void result_free(result *r) {
    kn_buf_free(&r->rows);
    kn_buf_free(&r->bad);
}

static void put(kn_buf *b, const void *s, size_t n) {
    if (!kn_buf_append(b, s, n)) ck_abort_msg("out of memory");
}

static void read_doc(const char *opts, const char *schema_spec, const char *doc, size_t len, result *out) {
    memset(out, 0, sizeof *out);
    if (!len) len = strlen(doc);
    kn_format_opts *fo = options_of(opts);
    kn_schema *schema = schema_of(schema_spec);
    kn_format_file *file = NULL;
    kn_error e;
    kn_error_reset(&e);
    const kn_format *fmt = &kn_xml_format;
    out->fatal = fmt->file_open(fo, schema, (const uint8_t *)doc, len, true, "t.xml", &file, &e);
    if (out->fatal != KN_OK) {
        snprintf(out->what, sizeof out->what, "%s", e.what);
        kn_schema_free(schema);
        fmt->options_free(fo);
        return;
    }
    size_t start = fmt->file_data_start(file);
    kn_format_reader *r;
    kn_batch *b;
    ck_assert_int_eq(fmt->reader_create(fo, schema, &r, NULL), KN_OK);
    ck_assert_int_eq(kn_batch_create(schema, 16, &b, NULL), KN_OK);
    fmt->reader_reset(r, file, (const uint8_t *)doc + start, len - start, len - start, "t.xml", start);
    for (;;) {
        bool done = false;
        kn_error_reset(&e);
        kn_status st = fmt->reader_next(r, b, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *rec;
            size_t n;
            fmt->reader_bad_record(r, &off, &rec, &n);
            char line[700];
            int k = snprintf(line, sizeof line, "%s [%.*s]\n", e.what, (int)(n < 80 ? n : 80), (const char *)rec);
            put(&out->bad, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
            continue;
        }
        if (st != KN_OK) {
            out->fatal = st;
            snprintf(out->what, sizeof out->what, "%s", e.what);
            break;
        }
        if (done) break;
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    for (size_t row = 0; row < b->num_rows; row++) {
        for (size_t c = 0; c < schema->num_fields; c++) {
            const kn_column *col = &b->columns[c];
            if (c) put(&out->rows, "|", 1);
            if (!kn_column_is_valid(col, row)) {
                put(&out->rows, "\\N", 2);
            } else if (col->type.id == KN_TYPE_STRING) {
                size_t n;
                const uint8_t *s = kn_column_str(col, row, &n);
                put(&out->rows, s, n);
            } else {
                char v[64];
                int k = col->type.id == KN_TYPE_INT32 ? snprintf(v, sizeof v, "%d", kn_column_i32(col)[row])
                        : col->type.id == KN_TYPE_FLOAT64 ? snprintf(v, sizeof v, "%.17g", kn_column_f64(col)[row])
                        : col->type.id == KN_TYPE_BOOL ? snprintf(v, sizeof v, "%d", kn_column_bool(col)[row])
                        : snprintf(v, sizeof v, "%lld", (long long)kn_column_i64(col)[row]);
                put(&out->rows, v, (size_t)k);
            }
        }
        put(&out->rows, "\n", 1);
    }
    put(&out->rows, "", 0);
    kn_batch_free(b);
    fmt->reader_free(r);
    fmt->file_free(file);
    kn_schema_free(schema);
    fmt->options_free(fo);
}

static const char *rows_of(result *r) {
    put(&r->rows, "\0", 1);
    r->rows.len--;
    return (const char *)r->rows.data;
}
static const char *bad_of(result *r) {
    put(&r->bad, "\0", 1);
    r->bad.len--;
    return (const char *)r->bad.data;
}

/* ---- values ------------------------------------------------------------------------------------ */

START_TEST(values_land_as_the_contract_says)
{
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<orders>\n"
        "  <order id=\"1\"><amount> 12.50 </amount><note>a &amp; b &#x263A; &lt;i&gt;</note>"
        "<items><item sku=\"a\">1</item><item sku=\"b\"/></items></order>\n"
        "  <order id=\"2\"><note/><tag>x</tag><tag>y</tag></order>\n"
        "  <order id=\"3\">own <![CDATA[<raw> & ]]>text<!-- gone --><?pi gone?></order>\n"
        "  <order id=\"4\"><note>line\r\nbreak\rhere</note><amount/></order>\n"
        "  <order/>\n"
        "</orders>\n";
    result r;
    read_doc("", "id:int64 amount:decimal(10,2) note:string items:json tag:json _text:string", doc, 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(bad_of(&r), "");
    ck_assert_str_eq(rows_of(&r),
                     "1|1250|a & b \xE2\x98\xBA <i>|{\"item\":[{\"sku\":\"a\",\"_text\":\"1\"},{\"sku\":\"b\"}]}|\\N|\\N\n"
                     "2|\\N||\\N|[\"x\",\"y\"]|\\N\n"
                     "3|\\N|\\N|\\N|\\N|own <raw> & text\n"
                     "4|\\N|line\nbreak\nhere|\\N|\\N|\\N\n"
                     "\\N|\\N|\\N|\\N|\\N|\\N\n");
    result_free(&r);
}
END_TEST

/* A leaf's value is read the quick way (a word at a time, a fixed 32-byte string copy) only where
 * the data goes on past it; a document that ends right after it is read the general way. Both
 * must give the same rows and the same bad records, for every shape each quick path takes or
 * turns down. */
START_TEST(the_quick_value_paths_read_as_the_general_way)
{
    static const struct {
        const char *type;
        const char *values[24];
    } cases[] = {
        {"int64", {"0", "007", "-5", "+5", "8", "12345678", "123456789", "1234567890123456", "12345678901234567",
                   "9223372036854775807", "9223372036854775808", "-9223372036854775808", " 42 ", "4 2", "", "-",
                   "1e3", "0x10", "--1", "12a", "\xc3\xa9", NULL}},
        {"int32", {"2147483647", "2147483648", "-2147483648", "-2147483649", "0000000000000001", "3", NULL}},
        {"decimal(10,2)", {"12.5", "12.50", "12.505", "12.500", "-0.01", "1.", ".5", "99999999.99", "100000000.00",
                           "-99999999.99", "0", "12345678", "1.2.3", "1-2", " 7.25", NULL}},
        {"decimal(18,4)", {"12345678901234.5678", "1.5", "-0.0001", "99999999999999.9999", NULL}},
        {"double", {"71.2", "0.0", "-3.25", "1e5", "12345678.9", "1234567.8", "0.1", "nan", "1.7976931348623157e308",
                    "12345678", "123456789", "-0", ".5", "5.", NULL}},
        {"bool", {"true", "false", "TRUE", "False", " true ", "yes", "t", "1", "0", "maybe", "truE", "falsey", NULL}},
        {"timestamp", {"2025-07-04T21:25:46.501329Z", "2025-07-04T21:25:46.501329", "2025-07-04 21:25:46.501329z",
                       "2025-07-04T21:25:46.501329+02:00", "2025-02-29T00:00:00.000000Z", "2024-02-29T23:59:59.999999Z",
                       "2025-07-04T24:00:00.000000Z", "2025-07-04T21:25:46Z", "2025-13-04T21:25:46.501329Z",
                       "0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999", "2025-07-04", NULL}},
        {"timestamptz", {"2025-07-04T21:25:46.501329Z", "2025-07-04T21:25:46.501329+02:00", "2025-07-04T21:25:46.501329", NULL}},
        {"string", {"", "a", "abc", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef",
                    "0123456789abcdef0123456789abcdef0", "a &amp; b", "S\xc3\xa3o Paulo", " padded ", NULL}},
    };
    char spec[64], doc[512];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(spec, sizeof spec, "v:%s", cases[c].type);
        for (size_t i = 0; cases[c].values[i]; i++) {
            /* The test's "\xHH" is the byte 0xHH. */
            char value[128];
            size_t n = 0;
            for (const char *v = cases[c].values[i]; *v && n + 1 < sizeof value;) {
                if (v[0] == '\\' && v[1] == 'x') {
                    value[n++] = (char)strtol((char[3]){v[2], v[3], 0}, NULL, 16);
                    v += 4;
                } else {
                    value[n++] = *v++;
                }
            }
            value[n] = 0;
            result general, quick;
            snprintf(doc, sizeof doc, "<r><x><v>%s</v></x></r>", value);
            read_doc("", spec, doc, 0, &general);
            snprintf(doc, sizeof doc, "<r><x><v>%s</v></x><x><v>%s</v></x></r>%64s", value, value, "");
            read_doc("", spec, doc, 0, &quick);
            ck_assert_int_eq(general.fatal, KN_OK);
            ck_assert_int_eq(quick.fatal, KN_OK);
            /* The quick document holds the record twice: the first is read the quick way. */
            const char *g = rows_of(&general), *q = rows_of(&quick), *gb = bad_of(&general), *qb = bad_of(&quick);
            size_t gl = strlen(g), gbl = strlen(gb);
            ck_assert_msg(strlen(q) == 2 * gl && memcmp(q, g, gl) == 0 && memcmp(q + gl, g, gl) == 0,
                          "%s '%s': general gave \"%s\", the quick path \"%s\"", cases[c].type, value, g, q);
            ck_assert_msg(strlen(qb) == 2 * gbl && memcmp(qb, gb, gbl) == 0,
                          "%s '%s': general gave bad \"%s\", the quick path \"%s\"", cases[c].type, value, gb, qb);
            result_free(&general);
            result_free(&quick);
        }
    }
}
END_TEST

START_TEST(a_repeated_element_in_a_column_that_is_not_json_is_a_bad_record)
{
    result r;
    read_doc("", "id:string tag:string", "<r><x id=\"1\"><tag>a</tag><tag>b</tag></x><x><tag>c</tag></x>"
             "<x><tag k=\"1\">d</tag></x><x id=\"9\"><id>8</id></x></r>", 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(rows_of(&r), "\\N|c\n");
    const char *bad = bad_of(&r);
    ck_assert_msg(strstr(bad, "2 values in one record") && strstr(bad, "must be json") && strstr(bad, "--attribute-prefix"),
                  "%s", bad);
    result_free(&r);
    /* With a prefix, the attribute and the element are two columns. */
    read_doc("attribute-prefix=_", "_id:string id:string", "<r><x id=\"9\"><id>8</id></x></r>", 0, &r);
    ck_assert_str_eq(rows_of(&r), "9|8\n");
    result_free(&r);
}
END_TEST

START_TEST(row_tags_wrappers_namespaces_and_the_document_as_one_record)
{
    result r;
    const char *doc = "<feed xmlns=\"urn:a\" xmlns:p=\"urn:p\"><meta><n>skip</n></meta>"
                      "<batch><p:order p:id=\"1\" xmlns:q=\"urn:q\"><p:total>5</p:total></p:order></batch>"
                      "<batch n=\"2\"><p:order p:id=\"2\"/><other/></batch></feed>";
    read_doc("row-tag=p:order", "p:id:string p:total:int64", doc, 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(rows_of(&r), "1|5\n2|\\N\n");
    result_free(&r);
    read_doc("row-tag=p:order;strip-namespaces", "id:string total:int64 xmlns:string q:string", doc, 0, &r);
    ck_assert_str_eq(rows_of(&r), "1|5|\\N|\\N\n2|\\N|\\N|\\N\n");
    result_free(&r);
    read_doc("row-tag=feed", "meta:json", doc, 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(rows_of(&r), "{\"n\":\"skip\"}\n");
    result_free(&r);
    /* Nesting around records is checked too. */
    read_doc("row-tag=order", "id:string", "<r><g><order id=\"1\"/></h></r>", 0, &r);
    ck_assert_int_eq(r.fatal, KN_E_FORMAT);
    ck_assert_msg(strstr(r.what, "does not match"), "%s", r.what);
    result_free(&r);
}
END_TEST

/* Reads `doc` in morsels of `m` bytes as the pipeline does (each starts where the one before
 * really ended, and stops at the next multiple of m), first in order, then again on a fresh file
 * view in reverse order (as threads may finish them); returns the first fatal status of each
 * reading and its message in what[0], what[1]. */
static void read_in_morsels(const char *opts, const char *doc, size_t m, kn_status st[2], char what[2][KN_ERROR_WHAT_MAX]) {
    size_t len = strlen(doc), starts[4096], stops[4096], n = 0;
    kn_format_opts *fo = options_of(opts);
    kn_schema *schema = schema_of("id:string");
    for (int pass = 0; pass < 2; pass++) {
        kn_format_file *file;
        ck_assert_int_eq(kn_xml_format.file_open(fo, schema, (const uint8_t *)doc, len, true, "t.xml", &file, NULL), KN_OK);
        kn_format_reader *r;
        kn_batch *b;
        ck_assert_int_eq(kn_xml_format.reader_create(fo, schema, &r, NULL), KN_OK);
        ck_assert_int_eq(kn_batch_create(schema, 16, &b, NULL), KN_OK);
        st[pass] = KN_OK;
        what[pass][0] = 0;
        size_t start = kn_xml_format.file_data_start(file);
        for (size_t k = 0; pass == 0 ? start < len : k < n; k++) {
            size_t i = pass == 0 ? k : n - 1 - k, stop;
            if (pass == 0) {
                stop = (start / m + 1) * m;
                starts[n] = start;
                stops[n++] = stop < len ? stop : len;
                ck_assert_uint_lt(n, 4096);
            }
            kn_xml_format.reader_reset(r, file, (const uint8_t *)doc + starts[i], len - starts[i], stops[i] - starts[i], "t.xml", starts[i]);
            for (bool done = false; !done;) {
                kn_error e;
                kn_error_reset(&e);
                kn_status s = kn_xml_format.reader_next(r, b, &done, &e);
                if (s == KN_E_DATA) continue;
                if (s != KN_OK) {
                    if (st[pass] == KN_OK) st[pass] = s, memcpy(what[pass], e.what, sizeof e.what);
                    break;
                }
            }
            if (pass == 0) start += kn_xml_format.reader_end(r);
        }
        kn_batch_free(b);
        kn_xml_format.reader_free(r);
        kn_xml_format.file_free(file);
    }
    kn_schema_free(schema);
    kn_xml_format.options_free(fo);
}

START_TEST(wrappers_nest_across_morsels_whatever_order_they_finish_in)
{
    char doc[20000];
    static const struct {
        const char *close_g, *tail, *why;
    } cases[] = {
        {"</g>", "</root>", NULL},                 /* well-formed */
        {"</h>", "</root>", "does not match"},     /* a wrapper closed by the wrong name */
        {"</g>", "</root><x/>", "document element"}, /* a record after the document element */
        {"</g></g>", "</root>", "does not match"}, /* one end tag too many */
        {"</g>", "", "is closed"},                 /* the document element never closed */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t o = (size_t)snprintf(doc, sizeof doc, "<root><g n=\"1\">");
        for (int i = 0; i < 300; i++) o += (size_t)snprintf(doc + o, sizeof doc - o, "<x id=\"%d\"/>", i);
        o += (size_t)snprintf(doc + o, sizeof doc - o, "%s<g n=\"2\"><x id=\"a\"/></g>%s", cases[c].close_g, cases[c].tail);
        for (size_t m = 64; m <= 4096; m *= 4) {
            kn_status st[2];
            char what[2][KN_ERROR_WHAT_MAX];
            read_in_morsels("row-tag=x", doc, m, st, what);
            for (int pass = 0; pass < 2; pass++) {
                if (!cases[c].why) ck_assert_msg(st[pass] == KN_OK, "case %zu, morsel %zu, pass %d: %s", c, m, pass, what[pass]);
                else ck_assert_msg(st[pass] == KN_E_FORMAT && strstr(what[pass], cases[c].why), "case %zu, morsel %zu, pass %d: %d %s",
                                   c, m, pass, (int)st[pass], what[pass]);
            }
        }
    }
}
END_TEST

/* ---- well-formedness: one case per rule ----------------------------------------------------- */

typedef struct wf_case {
    const char *doc;
    int where; /* 0: a bad record, 1: fatal while reading, 2: the prologue fails, 3: a bad
                  record, then fatal (the document is cut short) */
    const char *why;
} wf_case;

static const wf_case wf_cases[] = {
    {"<r><x><a>1</b></x></r>", 0, "does not match"},
    {"<r><x><a>1</a></x><x><a>2</a>", 3, "never closed"},
    {"<r><x a=1/></r>", 0, "must be quoted"},
    {"<r><x a=\"<\"/></r>", 0, "'<' in an attribute value"},
    {"<r><x a=\"1\" a=\"2\"/></r>", 0, "appears twice"},
    {"<r><x a=\"1\"b=\"2\"/></r>", 0, "separated"},
    {"<r><x><1a>2</1a></x></r>", 0, "must start a tag"},
    {"<r><x><a>\x01</a></x></r>", 0, "control character"},
    {"<r><x><a>\xff</a></x></r>", 0, "invalid UTF-8"},
    {"<r><x><a>\xEF\xBF\xBE</a></x></r>", 0, "does not allow"},
    {"<r><x><a>&foo;</a></x></r>", 0, "not declared"},
    {"<r><x><a>&#0;</a></x></r>", 0, "does not allow"},
    {"<r><x><a>&#xZZ;</a></x></r>", 0, "not a digit"},
    {"<r><x><a>a & b</a></x></r>", 0, "must start a reference"},
    {"<r><x><a>a ]]> b</a></x></r>", 0, "\"]]>\" in text"},
    {"<r><x><!-- a -- b --></x></r>", 0, "\"--\" inside a comment"},
    {"<r><x><?xml version=\"1.0\"?></x></r>", 0, "XML declaration"},
    {"<r><x></x y></r>", 0, "more than its name"},
    {"<r><x><![CDATA[never closed</x></r>", 3, "does not end"},
    {"<r><x/></r><r2/>", 1, "a second document element"},
    {"<r><x/></r>junk", 1, "text after the end of the document element"},
    {"<r><x/>", 1, "is closed"},
    {"<r><x/></q>", 1, "does not match"},
    {"<r><x/><!-- -- --></r>", 1, "\"--\" inside a comment"},
    {"<r>&bad;<x/></r>", 1, "not declared"},
    {"junk<r/>", 2, "text before the document element"},
    {"", 2, "empty"},
    {"<!-- only a comment -->", 2, "no document element"},
    {"<?xml version=\"2.0\"?><r/>", 2, "not 1.x"},
    {"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><r/>", 2, "not supported"},
    {"<?xml encoding=\"UTF-8\"?><r/>", 2, "version"},
    {"<!DOCTYPE r [ <!ENTITY a \"x\"> %pe; ]><r/>", 2, "parameter-entity"},
    {"<!DOCTYPE r><!DOCTYPE r><r/>", 2, "second <!DOCTYPE"},
    {" <?xml version=\"1.0\"?><r/>", 2, "XML declaration"},
};

START_TEST(each_well_formedness_rule_is_checked)
{
    for (size_t i = 0; i < sizeof wf_cases / sizeof wf_cases[0]; i++) {
        const wf_case *c = &wf_cases[i];
        result r;
        read_doc("", "a:string", c->doc, 0, &r);
        const char *got = c->where == 0 || c->where == 3 ? bad_of(&r) : r.what;
        bool where_ok = c->where == 0 ? r.fatal == KN_OK : c->where == 2 ? r.fatal == KN_E_DATA : r.fatal == KN_E_FORMAT;
        ck_assert_msg(where_ok && strstr(got, c->why), "case %zu (%s): fatal %d, \"%s\" (bad: %s); want \"%s\"", i,
                      c->doc, (int)r.fatal, r.what, bad_of(&r), c->why);
        result_free(&r);
    }
}
END_TEST

START_TEST(a_bad_record_is_skipped_whole_and_the_next_is_read)
{
    result r;
    read_doc("", "a:string", "<r><x><a>1</a></x><x><a>2</b><c/></x><x><a>3</a></x></r>", 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(rows_of(&r), "1\n3\n");
    ck_assert_str_eq(bad_of(&r), "end tag </b> does not match <a> [<x><a>2</b><c/></x>]\n");
    result_free(&r);
}
END_TEST

/* ---- entities -------------------------------------------------------------------------------- */

START_TEST(internal_entities_expand_and_bounds_hold)
{
    result r;
    read_doc("", "a:string b:string",
             "<!DOCTYPE r [\n<!ELEMENT r ANY>\n<!ATTLIST x b CDATA \"d>\">\n<!ENTITY co \"Acme &amp; &sub;\">"
             "<!ENTITY sub 'S&#33;'><!ENTITY co \"ignored: the first binds\"><!-- c --><?pi x?>]>"
             "<r><x b=\"&co;\tz\"><a>&co;</a></x></r>", 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(bad_of(&r), "");
    ck_assert_str_eq(rows_of(&r), "Acme & S!|Acme & S! z\n");
    result_free(&r);

    /* A billion laughs: each level ten of the one before. */
    char lol[2048];
    size_t o = (size_t)snprintf(lol, sizeof lol, "<!DOCTYPE r [<!ENTITY l0 \"lol\">");
    for (int i = 1; i < 10; i++)
        o += (size_t)snprintf(lol + o, sizeof lol - o, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;\">",
                              i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    snprintf(lol + o, sizeof lol - o, "]><r><x><a>&l2;</a></x><x><a>&l9;</a></x></r>");
    read_doc("", "a:string", lol, 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_uint_eq(strlen(rows_of(&r)), 301); /* &l2; is 300 bytes */
    ck_assert_msg(strstr(bad_of(&r), "limit on entity size"), "%s", bad_of(&r));
    result_free(&r);

    /* Many references to one large entity: the total is bounded too, before it is built. */
    size_t big = (1 << 20) - 16, refs = 6000;
    char *doc = malloc(big + refs * 4 + 256);
    o = (size_t)sprintf(doc, "<!DOCTYPE r [<!ENTITY e \"");
    memset(doc + o, 'x', big);
    o += big;
    o += (size_t)sprintf(doc + o, "\">]><r><x><a>");
    for (size_t i = 0; i < refs; i++) memcpy(doc + o, "&e;", 3), o += 3;
    o += (size_t)sprintf(doc + o, "</a></x></r>");
    read_doc("", "a:string", doc, o, &r);
    ck_assert_msg(strstr(bad_of(&r), "limit on entity expansion"), "%s", bad_of(&r));
    result_free(&r);
    free(doc);

    static const struct {
        const char *doc, *why;
    } refused[] = {
        {"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r><x><a>&x;</a></x></r>", "never opens external"},
        {"<!DOCTYPE r [<!ENTITY x PUBLIC \"-//X\" \"http://example.com/x\">]><r><x><a>&x;</a></x></r>", "never opens external"},
        {"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\"><!ENTITY y \"&x;\">]><r><x><a>&y;</a></x></r>", "external"},
        {"<!DOCTYPE r [<!ENTITY m \"<b>bold</b>\">]><r><x><a>&m;</a></x></r>", "markup"},
        {"<!DOCTYPE r [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]><r><x><a>&a;</a></x></r>", "refers to itself"},
        {"<!DOCTYPE r [<!ENTITY a \"&nope;\">]><r><x><a>&a;</a></x></r>", "not declared"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        read_doc("", "a:string", refused[i].doc, 0, &r);
        ck_assert_int_eq(r.fatal, KN_OK);
        ck_assert_msg(strstr(bad_of(&r), refused[i].why), "case %zu: %s", i, bad_of(&r));
        result_free(&r);
    }
    /* An external DTD is named, never read: the document reads as if it had none. */
    read_doc("", "a:string", "<!DOCTYPE r SYSTEM \"http://example.com/evil.dtd\"><r><x><a>1</a></x></r>", 0, &r);
    ck_assert_int_eq(r.fatal, KN_OK);
    ck_assert_str_eq(rows_of(&r), "1\n");
    result_free(&r);
}
END_TEST

/* ---- inference's view ------------------------------------------------------------------------ */

typedef struct seen {
    kn_buf b;
} seen;

static kn_status see(void *ctx, const kn_scan_value *v, kn_error *err) {
    (void)err;
    seen *s = ctx;
    char line[256];
    int k = snprintf(line, sizeof line, "%.*s=%s:%.*s;", (int)v->key_len, v->key,
                     v->kind == KN_SCAN_NESTED ? "nested" : "text", (int)v->text_len, v->text);
    put(&s->b, line, (size_t)k);
    return KN_OK;
}

START_TEST(inference_sees_leaves_as_text_and_the_rest_as_json)
{
    const char *doc = "<r><x id=\"1\"><a>2</a><b><c>3</c></b><d>4</d><d>5</d>tail</x><x/></r>";
    kn_format_opts *fo = options_of("attribute-prefix=@");
    kn_format_file *file;
    ck_assert_int_eq(kn_xml_format.file_open(fo, NULL, (const uint8_t *)doc, strlen(doc), true, "t", &file, NULL), KN_OK);
    kn_format_reader *r;
    ck_assert_int_eq(kn_xml_format.reader_create(fo, NULL, &r, NULL), KN_OK);
    size_t s0 = kn_xml_format.file_data_start(file);
    kn_xml_format.reader_reset(r, file, (const uint8_t *)doc + s0, strlen(doc) - s0, strlen(doc) - s0, "t", s0);
    seen s = {KN_BUF_INIT};
    bool done = false;
    int records = 0;
    while (!done) {
        ck_assert_int_eq(kn_xml_format.reader_scan(r, see, &s, &done, NULL), KN_OK);
        if (!done) put(&s.b, "|", 1), records++;
    }
    put(&s.b, "", 1);
    ck_assert_int_eq(records, 2);
    ck_assert_str_eq((const char *)s.b.data,
                     "@id=text:1;a=text:2;b=nested:{\"c\":\"3\"};d=nested:[\"4\",\"5\"];_text=text:tail;||");
    kn_buf_free(&s.b);
    kn_xml_format.reader_free(r);
    kn_xml_format.file_free(file);
    kn_xml_format.options_free(fo);
}
END_TEST

/* ---- morsels ------------------------------------------------------------------------------------ */

START_TEST(the_guess_passes_over_comments_cdata_and_pis)
{
    const char *doc = "<r><x/><!-- <x> --><![CDATA[ <x> ]]><?pi <x> ?><x a=\"1\"/></r>";
    kn_format_opts *fo = options_of("");
    kn_format_file *file;
    size_t n = strlen(doc);
    ck_assert_int_eq(kn_xml_format.file_open(fo, NULL, (const uint8_t *)doc, n, true, "t", &file, NULL), KN_OK);
    size_t want = (size_t)(strstr(doc, "<x a") - doc);
    ck_assert_uint_eq(kn_xml_format.record_start(fo, file, (const uint8_t *)doc, n, 5), want);
    ck_assert_uint_eq(kn_xml_format.record_start(fo, file, (const uint8_t *)doc, n, want + 1), n);
    kn_xml_format.file_free(file);
    kn_xml_format.options_free(fo);
}
END_TEST

START_TEST(the_text_scan_twins_agree)
{
    /* The inline head against the scalar twin: every byte value at every place of its 16. */
    uint8_t block[40];
    for (int c = 0; c < 256; c++)
        for (size_t at = 0; at < 20; at++) {
            memset(block, 'a', sizeof block);
            block[at] = (uint8_t)c;
            for (size_t n = 15; n <= 17; n++)
                ck_assert_uint_eq(kn__xml_text_stop_head(block, n, kn__xml_text_stop_scalar),
                                  kn__xml_text_stop_scalar(block, n));
        }
    bool avx2 = kn_cpu()->avx2;
    if (!avx2) fprintf(stderr, "test_xml: NOTE: no AVX2 on this CPU; only the scalar twin and the head run\n");
    static const uint8_t alphabet[] = "ab <&]\r\n\t\x01\x1f\x80\xff xyz";
    uint8_t buf[300];
    uint64_t x = 7;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 300);
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            /* mostly plain letters, so stops land anywhere in a 32-byte block */
            buf[i] = (x >> 60) ? (uint8_t)('a' + (x >> 40) % 26) : alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        size_t want = kn__xml_text_stop_scalar(buf, n);
        if (avx2) ck_assert_uint_eq(kn__xml_text_stop_avx2(buf, n), want);
        ck_assert_uint_eq(kn__xml_text_stop_head(buf, n, kn__xml_text_stop_scalar), want);
        if (avx2) ck_assert_uint_eq(kn__xml_text_stop_head(buf, n, kn__xml_text_stop_avx2), want);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("xml");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, values_land_as_the_contract_says);
    tcase_add_test(tc, the_quick_value_paths_read_as_the_general_way);
    tcase_add_test(tc, a_repeated_element_in_a_column_that_is_not_json_is_a_bad_record);
    tcase_add_test(tc, row_tags_wrappers_namespaces_and_the_document_as_one_record);
    tcase_add_test(tc, each_well_formedness_rule_is_checked);
    tcase_add_test(tc, wrappers_nest_across_morsels_whatever_order_they_finish_in);
    tcase_add_test(tc, a_bad_record_is_skipped_whole_and_the_next_is_read);
    tcase_add_test(tc, internal_entities_expand_and_bounds_hold);
    tcase_add_test(tc, inference_sees_leaves_as_text_and_the_rest_as_json);
    tcase_add_test(tc, the_guess_passes_over_comments_cdata_and_pis);
    tcase_add_test(tc, the_text_scan_twins_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
