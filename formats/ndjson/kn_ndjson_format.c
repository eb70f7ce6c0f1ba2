/* formats/ndjson/kn_ndjson_format.c: the NDJSON reader behind the format interface
 * (engine/batch/kn_format.h). NDJSON splits exactly: a raw line feed never sits inside a
 * valid record. */
#include "kn_ndjson_format.h"

#include <string.h>

#include "kn_alloc.h"
#include "kn_ndjson.h"

static kn_status options_create(const kn_format_option *opts, size_t n, kn_format_opts **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(n > 0, err, KN_E_USAGE, "--%s does not apply to NDJSON input", opts[0].key);
    return KN_OK;
}

static void options_free(kn_format_opts *o) { (void)o; }

/* NDJSON has no prologue beyond a BOM, which the reader skips at the file's start itself. */
static kn_status file_open(const kn_format_opts *o, const kn_schema *schema, const uint8_t *data, size_t len,
                           bool whole, const char *name, kn_format_file **out, kn_error *err) {
    (void)whole; /* the prologue is read from its own bytes either way */
    *out = NULL;
    return KN_OK;
}
static size_t file_data_start(const kn_format_file *f) { return 0; }
static void file_reject_prologue(const kn_format_file *f, size_t *offset, size_t *len) { *offset = *len = 0; }
static size_t file_ignored(const kn_format_file *f, const char **first) {
    *first = NULL;
    return 0;
}
static void file_free(kn_format_file *f) { (void)f; }

static size_t record_start(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                           size_t pos) {
    if (pos == 0) return 0;
    return pos - 1 < len ? kn_ndjson_record_end(data, len, pos - 1) : len;
}

/* A raw line feed never sits inside a valid record, so the last one ends the whole records;
 * the scan goes back from the end and reads only the last, unfinished record. */
static size_t complete_prefix(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                              bool at_eof) {
    if (at_eof) return len;
    const uint8_t *lf = len ? memrchr(data, '\n', len) : NULL;
    return lf ? (size_t)(lf - data) + 1 : 0;
}

static kn_status reader_create(const kn_format_opts *o, const kn_schema *schema, kn_format_reader **out,
                               kn_error *err) {
    return kn_ndjson_reader_create(schema, NULL, (kn_ndjson_reader **)out, err);
}

static void reader_reset(kn_format_reader *r, const kn_format_file *f, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset) {
    kn_ndjson_reader_reset((kn_ndjson_reader *)r, data, len, name, base_offset, base_offset == 0);
}

static kn_status reader_next(kn_format_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    return kn_ndjson_reader_next((kn_ndjson_reader *)r, batch, done, err);
}

static void reader_bad_record(const kn_format_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    kn_ndjson_reader_bad_record((const kn_ndjson_reader *)r, offset, data, len);
}

static uint64_t reader_records(const kn_format_reader *r) { return kn_ndjson_reader_records((const kn_ndjson_reader *)r); }

static size_t reader_end(const kn_format_reader *r) { return kn_ndjson_reader_range_len((const kn_ndjson_reader *)r); }

typedef struct scan_ctx {
    kn_scan_fn fn;
    void *ctx;
} scan_ctx;

static kn_status member(void *ctx, const kn_ndjson_member *m, kn_error *err) {
    const scan_ctx *s = ctx;
    static const kn_scan_kind kinds[] = {
        [KN_JSON_NULL] = KN_SCAN_NULL,     [KN_JSON_FALSE] = KN_SCAN_BOOL,    [KN_JSON_TRUE] = KN_SCAN_BOOL,
        [KN_JSON_NUMBER] = KN_SCAN_NUMBER, [KN_JSON_STRING] = KN_SCAN_STRING, [KN_JSON_OBJECT] = KN_SCAN_NESTED,
        [KN_JSON_ARRAY] = KN_SCAN_NESTED};
    kn_scan_value v = {m->key, m->key_len, kinds[m->kind], m->text, m->text_len};
    return s->fn(s->ctx, &v, err);
}

static kn_status reader_scan(kn_format_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err) {
    scan_ctx s = {fn, ctx};
    return kn_ndjson_reader_scan((kn_ndjson_reader *)r, member, &s, done, err);
}

static void reader_free(kn_format_reader *r) { kn_ndjson_reader_free((kn_ndjson_reader *)r); }

static const char *const extensions[] = {".ndjson", ".jsonl", ".json", ".ldjson", NULL};
static const char *const option_keys[] = {NULL};

const kn_format kn_ndjson_format = {
    .name = "ndjson",
    .extensions = extensions,
    .option_keys = option_keys,
    .split = KN_SPLIT_EXACT,
    .reject_extension = "ndjson",
    .options_create = options_create,
    .options_free = options_free,
    .file_open = file_open,
    .file_data_start = file_data_start,
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
