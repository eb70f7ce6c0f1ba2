/* formats/csv/kn_csv_format.c: the CSV reader behind the format interface. */
#include "kn_csv_format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_csv.h"

struct kn_format_opts {
    kn_csv_options csv;
    bool delimiter_given; /* else each file's extension picks it: .tsv tab, .psv '|', ',' */
};

struct kn_format_file {
    kn_csv_options opt; /* the run's, with this file's delimiter */
    kn_csv_file csv;
};

static kn_status parse_byte(const kn_format_option *o, bool allow_none, uint8_t *out, kn_error *err) {
    const char *v = o->value ? o->value : "";
    static const struct {
        const char *name;
        uint8_t c;
    } names[] = {{"tab", '\t'}, {"\\t", '\t'}, {"comma", ','}, {"pipe", '|'}, {"semicolon", ';'}, {"space", ' '}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i].name) == 0) {
            *out = names[i].c;
            return KN_OK;
        }
    if (!v[0] && allow_none) {
        *out = 0;
        return KN_OK;
    }
    KN_RETURN_ERROR_IF(strlen(v) != 1, err, KN_E_USAGE,
                       "--%s takes one byte (or tab, comma, pipe, semicolon, space), not \"%s\"", o->key, v);
    *out = (uint8_t)v[0];
    return KN_OK;
}

static kn_status options_create(const kn_format_option *opts, size_t n, kn_format_opts **out, kn_error *err) {
    *out = NULL;
    kn_format_opts *f = kn_calloc(1, sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_csv_options *c = &f->csv;
    kn_csv_options_init(c);
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < n; i++) {
        const char *k = opts[i].key, *v = opts[i].value ? opts[i].value : "";
        if (strcmp(k, "delimiter") == 0) {
            st = parse_byte(&opts[i], false, &c->delimiter, err);
            f->delimiter_given = true;
        }
        else if (strcmp(k, "quote") == 0) st = parse_byte(&opts[i], true, &c->quote, err);
        else if (strcmp(k, "escape") == 0) st = parse_byte(&opts[i], true, &c->escape, err);
        else if (strcmp(k, "comment") == 0) st = parse_byte(&opts[i], true, &c->comment, err);
        else if (strcmp(k, "header") == 0) c->header = true;
        else if (strcmp(k, "no-header") == 0) c->header = false;
        else if (strcmp(k, "fill-missing") == 0) c->fill_missing = true;
        else if (strcmp(k, "skip-rows") == 0) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(v, &end, 10);
            if (!v[0] || *end || errno || v[0] == '-') st = kn_error_set(err, KN_E_USAGE, "--skip-rows takes a count, not \"%s\"", v);
            else c->skip_rows = (size_t)x;
        } else if (strcmp(k, "null-token") == 0) {
            if (c->num_null_tokens == KN_CSV_MAX_NULL_TOKENS)
                st = kn_error_set(err, KN_E_USAGE, "at most %d --null-token values", KN_CSV_MAX_NULL_TOKENS);
            else c->null_tokens[c->num_null_tokens++] = v;
        } else if (strcmp(k, "encoding") == 0) {
            if (strcmp(v, "utf-8") == 0 || strcmp(v, "utf8") == 0) c->encoding = KN_CSV_UTF8;
            else if (strcmp(v, "latin-1") == 0 || strcmp(v, "latin1") == 0 || strcmp(v, "iso-8859-1") == 0)
                c->encoding = KN_CSV_LATIN1;
            else if (strcmp(v, "windows-1252") == 0 || strcmp(v, "cp1252") == 0) c->encoding = KN_CSV_WINDOWS1252;
            else st = kn_error_set(err, KN_E_USAGE, "--encoding takes utf-8, latin-1 or windows-1252, not \"%s\"", v);
        } else {
            st = kn_error_set(err, KN_E_USAGE, "--%s does not apply to CSV input", k);
        }
    }
    if (st == KN_OK) st = kn_csv_options_check(c, err);
    if (st != KN_OK) {
        kn_free(f);
        return st;
    }
    *out = f;
    return KN_OK;
}

static void options_free(kn_format_opts *o) { kn_free(o); }


static kn_status file_open(const kn_format_opts *o, const kn_schema *schema, const uint8_t *data, size_t len,
                           bool whole, const char *name, kn_format_file **out, kn_error *err) {
    (void)whole; /* the prologue is read from its own bytes either way */
    *out = NULL;
    kn_format_file *f = kn_calloc(1, sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    f->opt = o->csv;
    const kn_csv_options *c = &f->opt;
    size_t nl = strlen(name);
    if (!o->delimiter_given && nl > 4) {
        if (strcmp(name + nl - 4, ".tsv") == 0) f->opt.delimiter = '\t';
        else if (strcmp(name + nl - 4, ".psv") == 0) f->opt.delimiter = '|';
    }
    kn_status st = kn_csv_options_check(c, err);
    if (st == KN_OK) st = kn_csv_prologue(c, schema, data, len, name, &f->csv, err);
    if (st != KN_OK) {
        kn_free(f);
        return st;
    }
    *out = f;
    return KN_OK;
}

static size_t file_data_start(const kn_format_file *f) { return f->csv.data_start; }

static void file_reject_prologue(const kn_format_file *f, size_t *offset, size_t *len) {
    *offset = f->csv.header_start;
    *len = f->csv.header_len;
}

static size_t file_ignored(const kn_format_file *f, const char **first) {
    *first = NULL;
    for (size_t i = 0; i < f->csv.num_columns && !*first; i++)
        if (f->csv.map[i] < 0) *first = f->csv.names[i];
    return f->csv.num_ignored;
}

static void file_free(kn_format_file *f) {
    if (!f) return;
    kn_csv_file_release(&f->csv);
    kn_free(f);
}

static size_t record_start(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                           size_t pos) {
    if (pos <= f->csv.data_start) return f->csv.data_start;
    return kn_csv_record_start_guess(&f->opt, &f->csv, data, len, pos);
}

/* The file's options when there is a file (its delimiter may differ from the run's, though
 * line breaks do not depend on it). */
static size_t complete_prefix(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                              bool at_eof) {
    if (f) return kn_csv_complete_prefix(&f->opt, data, len, at_eof);
    kn_csv_options defaults;
    if (!o) kn_csv_options_init(&defaults);
    return kn_csv_complete_prefix(o ? &o->csv : &defaults, data, len, at_eof);
}

static kn_status reader_create(const kn_format_opts *o, const kn_schema *schema, kn_format_reader **out,
                               kn_error *err) {
    return kn_csv_reader_create(schema, &o->csv, (kn_csv_reader **)out, err);
}

static void reader_reset(kn_format_reader *r, const kn_format_file *f, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset) {
    kn_csv_reader_reset((kn_csv_reader *)r, &f->csv, data, len, stop, name, base_offset);
}

static kn_status reader_next(kn_format_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    return kn_csv_reader_next((kn_csv_reader *)r, batch, done, err);
}

static void reader_bad_record(const kn_format_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    kn_csv_reader_bad_record((const kn_csv_reader *)r, offset, data, len);
}

static uint64_t reader_records(const kn_format_reader *r) { return kn_csv_reader_records((const kn_csv_reader *)r); }
static size_t reader_end(const kn_format_reader *r) { return kn_csv_reader_end((const kn_csv_reader *)r); }

typedef struct scan_ctx {
    const kn_csv_file *file;
    kn_scan_fn fn;
    void *ctx;
} scan_ctx;

static kn_status field(void *ctx, const kn_csv_field *fl, kn_error *err) {
    const scan_ctx *s = ctx;
    const char *name = s->file->names[fl->index];
    kn_scan_value v = {name, strlen(name), fl->null ? KN_SCAN_NULL : KN_SCAN_TEXT, fl->text, fl->len};
    return s->fn(s->ctx, &v, err);
}

/* The reader was reset with the file whose names the values take. */
static kn_status reader_scan(kn_format_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err) {
    scan_ctx s = {kn_csv_reader_file((const kn_csv_reader *)r), fn, ctx};
    return kn_csv_reader_scan((kn_csv_reader *)r, field, &s, done, err);
}

static void reader_free(kn_format_reader *r) { kn_csv_reader_free((kn_csv_reader *)r); }

static const char *const extensions[] = {".csv", ".tsv", ".psv", NULL};
static const char *const option_keys[] = {"delimiter", "quote", "escape", "comment", "header", "no-header",
                                          "skip-rows", "null-token", "fill-missing", "encoding", NULL};

const kn_format kn_csv_format = {
    .name = "csv",
    .extensions = extensions,
    .option_keys = option_keys,
    .split = KN_SPLIT_GUESS,
    .reject_extension = "csv",
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
