/* formats/xml/kn_xml_format.c: the XML reader behind the format interface. */
#include "kn_xml_format.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_xml.h"
#include "kn_xml_internal.h"

struct kn_format_opts {
    kn_xml_options xml;
};

struct kn_format_file {
    kn_xml_file xml;
};

static kn_status options_create(const kn_format_option *opts, size_t n, kn_format_opts **out, kn_error *err) {
    *out = NULL;
    kn_format_opts *f = kn_calloc(1, sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_xml_options_init(&f->xml);
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        const char *k = opts[i].key, *v = opts[i].value ? opts[i].value : "";
        if (strcmp(k, "row-tag") == 0) f->xml.row_tag = v;
        else if (strcmp(k, "attribute-prefix") == 0) f->xml.attribute_prefix = v;
        else if (strcmp(k, "strip-namespaces") == 0) f->xml.strip_namespaces = true;
        else st = kn_error_set(err, KN_E_USAGE, "--%s does not apply to XML input", k);
    }
    if (st == KN_OK) st = kn_xml_options_check(&f->xml, err);
    if (st != KN_OK) {
        kn_free(f);
        return st;
    }
    *out = f;
    return KN_OK;
}

static void options_free(kn_format_opts *o) { kn_free(o); }

/* A UTF-16 byte-order mark (or "<?" in UTF-16 without one), else the XML declaration's
 * encoding: latin-1 and windows-1252 are transcoded; UTF-8, ASCII and names not known here are
 * read as UTF-8 (the prologue then refuses an encoding it does not know). */
static kn_text_encoding encoding(const uint8_t *h, size_t n) {
    if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE) return KN_TEXT_UTF16LE;
    if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF) return KN_TEXT_UTF16BE;
    if (n >= 4 && memcmp(h, "<\0?\0", 4) == 0) return KN_TEXT_UTF16LE;
    if (n >= 4 && memcmp(h, "\0<\0?", 4) == 0) return KN_TEXT_UTF16BE;
    if (n < 6 || memcmp(h, "<?xml", 5) != 0) return KN_TEXT_UTF8;
    const uint8_t *end = memmem(h, n, "?>", 2), *e = memmem(h, n, "encoding", 8);
    if (!end || !e || e > end) return KN_TEXT_UTF8;
    const uint8_t *p = e + 8;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '=')) p++;
    if (p >= end || (*p != '"' && *p != '\'')) return KN_TEXT_UTF8;
    const uint8_t *q = memchr(p + 1, *p, (size_t)(end - p - 1));
    if (!q) return KN_TEXT_UTF8;
    kn_text_encoding named; /* UTF-16 declared without a BOM or "<?" in UTF-16 is 8-bit text: as UTF-8 */
    if (kn__xml_encoding_named(p + 1, (size_t)(q - p - 1), &named) &&
        (named == KN_TEXT_LATIN1 || named == KN_TEXT_WINDOWS1252))
        return named;
    return KN_TEXT_UTF8;
}

static const kn_xml_options *xml_options(const kn_format_opts *o, kn_xml_options *defaults) {
    if (o) return &o->xml;
    kn_xml_options_init(defaults);
    return defaults;
}

static kn_status file_open(const kn_format_opts *o, const kn_schema *schema, const uint8_t *data, size_t len,
                           bool whole, const char *name, kn_format_file **out, kn_error *err) {
    (void)schema; /* columns map by name, record by record */
    *out = NULL;
    kn_format_file *f = kn_calloc(1, sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_xml_options d;
    kn_status st = kn_xml_prologue(xml_options(o, &d), data, len, whole, name, &f->xml, err);
    if (st != KN_OK) {
        kn_free(f);
        return st;
    }
    *out = f;
    return KN_OK;
}

static size_t file_data_start(const kn_format_file *f) { return f->xml.data_start; }

static void file_end(kn_format_file *f, uint64_t len) { kn_xml_file_end(&f->xml, len); }

static void file_reject_prologue(const kn_format_file *f, size_t *offset, size_t *len) {
    (void)f;
    *offset = 0;
    *len = 0;
}

static size_t file_ignored(const kn_format_file *f, const char **first) {
    (void)f;
    *first = NULL;
    return 0;
}

static void file_free(kn_format_file *f) {
    if (!f) return;
    kn_xml_file_release(&f->xml);
    kn_free(f);
}

static size_t record_start(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                           size_t pos) {
    if (pos <= f->xml.data_start) return f->xml.data_start;
    kn_xml_options d;
    return kn_xml_record_start_guess(xml_options(o, &d), &f->xml, data, len, pos);
}

static size_t complete_prefix(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                              bool at_eof) {
    kn_xml_options d;
    return kn_xml_complete_prefix(xml_options(o, &d), f ? &f->xml : NULL, data, len, at_eof);
}

static kn_status reader_create(const kn_format_opts *o, const kn_schema *schema, kn_format_reader **out,
                               kn_error *err) {
    return kn_xml_reader_create(schema, o ? &o->xml : NULL, (kn_xml_reader **)out, err);
}

static void reader_reset(kn_format_reader *r, const kn_format_file *f, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset) {
    kn_xml_reader_reset((kn_xml_reader *)r, &f->xml, data, len, stop, name, base_offset);
}

static kn_status reader_next(kn_format_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    return kn_xml_reader_next((kn_xml_reader *)r, batch, done, err);
}

static void reader_bad_record(const kn_format_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    kn_xml_reader_bad_record((const kn_xml_reader *)r, offset, data, len);
}

static uint64_t reader_records(const kn_format_reader *r) { return kn_xml_reader_records((const kn_xml_reader *)r); }
static size_t reader_end(const kn_format_reader *r) { return kn_xml_reader_end((const kn_xml_reader *)r); }

static kn_status reader_scan(kn_format_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err) {
    return kn_xml_reader_scan((kn_xml_reader *)r, fn, ctx, done, err);
}

static void reader_free(kn_format_reader *r) { kn_xml_reader_free((kn_xml_reader *)r); }

static const char *const extensions[] = {".xml", NULL};
static const char *const option_keys[] = {"row-tag", "attribute-prefix", "strip-namespaces", NULL};

const kn_format kn_xml_format = {
    .name = "xml",
    .extensions = extensions,
    .option_keys = option_keys,
    .split = KN_SPLIT_GUESS,
    .reject_extension = "xml",
    .fallback_column = "_text",
    .encoding = encoding,
    .options_create = options_create,
    .options_free = options_free,
    .file_open = file_open,
    .file_data_start = file_data_start,
    .file_end = file_end,
    .file_reject_prologue = file_reject_prologue,
    .file_ignored = file_ignored,
    .file_free = file_free,
    .record_start = record_start,
    .complete_prefix = complete_prefix,
    .reader_create = reader_create,
    .reader_reset = reader_reset,
    .reader_next = reader_next,
    .reader_bad_record = reader_bad_record,
    .reader_records = reader_records,
    .reader_end = reader_end,
    .reader_scan = reader_scan,
    .reader_free = reader_free,
};
