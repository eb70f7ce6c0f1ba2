/* tests/fuzz/kn_fuzz_xml.c: libFuzzer target for the XML reader (formats/xml/kn_xml.h) and the
 * transcoder ahead of it (engine/io/kn_transcode.h).
 *
 * The first byte picks the options (a row tag or none, an attribute prefix, namespaces
 * stripped) and where the document is cut in two; the rest is the document. It is read as the
 * pipeline reads it: the prologue, then a schema reader (a column of each type, json included)
 * over a morsel that stops at the cut and one that starts at the guessed record start after
 * it; a scan-only reader (inference) over the whole; complete_prefix over a prefix, as a
 * stream cutter asks; and the transcoder in each encoding, read to its end. The readers must
 * answer KN_OK, KN_E_DATA (a bad record or prologue) or KN_E_FORMAT (damage outside records,
 * invalid UTF-16); any other status aborts. Memory errors and leaks are the sanitizers'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kn_transcode.h"
#include "kn_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(kn_status st) {
    if (st != KN_OK && st != KN_E_DATA && st != KN_E_FORMAT) abort();
}

static kn_status ignore(void *ctx, const kn_scan_value *v, kn_error *err) {
    (void)ctx, (void)v, (void)err;
    return KN_OK;
}

static void read_range(const kn_schema *schema, const kn_xml_options *o, const kn_xml_file *f, const uint8_t *d,
                       size_t len, size_t start, size_t stop) {
    kn_xml_reader *r;
    kn_batch *b;
    if (kn_xml_reader_create(schema, o, &r, NULL) != KN_OK) abort();
    if (kn_batch_create(schema, 8, &b, NULL) != KN_OK) abort();
    kn_xml_reader_reset(r, f, d + start, len - start, stop - start, "fuzz", start);
    for (int i = 0; i < 100000; i++) {
        bool done = false;
        kn_status st = kn_xml_reader_next(r, b, &done, NULL);
        expect(st);
        if (st == KN_E_FORMAT || done) break;
    }
    if (kn_batch_seal(b, NULL) != KN_OK) abort();
    if (kn_xml_reader_end(r) > len - start) abort();
    kn_batch_free(b);
    kn_xml_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t sel = data[0];
    const uint8_t *d = data + 1;
    size_t len = size - 1;
    kn_xml_options o;
    kn_xml_options_init(&o);
    o.row_tag = sel & 1 ? "x" : NULL;
    o.attribute_prefix = sel & 2 ? "_" : "";
    o.strip_namespaces = sel & 4;
    o.max_entity_bytes = 4096;
    o.simd = sel & 8 ? KN_XML_SIMD_SCALAR : KN_XML_SIMD_AUTO;

    for (kn_text_encoding e = KN_TEXT_UTF16LE; e <= KN_TEXT_WINDOWS1252; e++) {
        kn_seq_source *t;
        if (kn_transcode_open(kn_mem_seq_source_create(d, len, 0, "fuzz"), e, &t, NULL) != KN_OK) abort();
        static uint8_t buf[3000];
        size_t got, cap = 1;
        kn_status st;
        while ((st = kn_seq_source_read(t, buf, cap, &got, NULL)) == KN_OK && got) cap = cap * 7 % sizeof buf + 1;
        expect(st);
        kn_seq_source_free(t);
    }

    kn_xml_file f;
    kn_status st = kn_xml_prologue(&o, d, len, true, "fuzz", &f, NULL);
    expect(st);
    if (st != KN_OK) return 0;
    /* A column of each type, so every quick way a leaf goes into its column is taken (they
     * read past the value: the sanitizer checks that they stay inside the data). */
    static const char *const columns[][2] = {{"a", "string"}, {"b", "int64"},         {"c", "json"},
                                             {"d", "int32"},  {"e", "decimal(10,2)"}, {"f", "float64"},
                                             {"g", "bool"},   {"h", "timestamptz"},   {"i", "timestamp"}};
    kn_schema *schema = kn_schema_create();
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        kn_type t;
        if (!kn_type_parse(columns[i][1], &t) || kn_schema_add(schema, columns[i][0], t, true, NULL) != KN_OK) abort();
    }
    size_t start = f.data_start < len ? f.data_start : len;
    size_t cut = start + (len - start) * (sel >> 4) / 16;
    read_range(schema, &o, &f, d, len, start, cut);
    size_t next = cut > start ? kn_xml_record_start_guess(&o, &f, d, len, cut) : start;
    if (next < start || next > len) abort();
    read_range(schema, &o, &f, d, len, next, len);

    kn_xml_reader *r;
    if (kn_xml_reader_create(NULL, &o, &r, NULL) != KN_OK) abort();
    kn_xml_reader_reset(r, &f, d + start, len - start, len - start, "fuzz", start);
    for (int i = 0; i < 100000; i++) {
        bool done = false;
        st = kn_xml_reader_scan(r, ignore, NULL, &done, NULL);
        expect(st);
        if (st == KN_E_FORMAT || done) break;
    }
    kn_xml_reader_free(r);
    size_t whole = kn_xml_complete_prefix(&o, &f, d + start, cut - start, false);
    if (whole > cut - start) abort();
    kn_schema_free(schema);
    kn_xml_file_release(&f);
    return 0;
}
