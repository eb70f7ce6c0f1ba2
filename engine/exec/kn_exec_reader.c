/* engine/exec/kn_exec_reader.c: the format table behind kn_exec_reader.h and schema inference
 * from a sample of the inputs.
 *
 * Inference rules: columns in order of first appearance, all nullable. Per value: a typed JSON
 * number is int64 when integral and in range, else float64; true/false -> bool; a JSON string
 * -> date (YYYY-MM-DD), timestamptz (ISO-8601 with Z or an offset), timestamp (ISO-8601
 * without), else string; nested objects and arrays -> json (their JSON text; Redshift SUPER).
 * Untyped text (CSV) is looked at whole (kernels/kn_cast.h's kn_text_classify): bool
 * (true/false), int64, decimal(p,s) (digits with a point: p and s the most seen, up to 38
 * digits), float64 (exponents, nan, inf, more than 38 digits), date, timestamp(tz), else string.
 * A column seen with two types widens: int64 + decimal -> decimal; int64 or decimal + float64
 * -> float64; date + timestamp -> timestamp; timestamp + timestamptz (or date + timestamptz) ->
 * timestamptz (values without an offset are then read as UTC); json + anything -> json;
 * anything else -> string. A column only ever null is a string.
 *
 * Why json wins over every scalar: a field that is sometimes nested cannot be typed by its
 * scalars, and a json column stores every value as the JSON text written in the input (a
 * string keeps its quotes, see kn_ndjson.h), so each value of such a mixed field is valid JSON
 * and the whole column loads into SUPER. Making it a plain string instead would mix unquoted
 * strings with JSON texts, which neither VARCHAR queries nor SUPER could read back reliably.
 *
 * A bad record in the sample fails inference, or, when the run skips or quarantines bad
 * records, is left out whole (its values are undone) and counted: the run itself then meets
 * it again and rejects it. */
#include "kn_exec_reader.h"

#include <inttypes.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cast.h"
#include "kn_csv_format.h"
#include "kn_decompress.h"
#include "kn_file.h"
#include "kn_log.h"
#include "kn_ndjson_format.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"
#include "kn_seq_cut.h"
#include "kn_store_local.h"
#include "kn_transcode.h"
#include "kn_xml_format.h"

/* ---- the table ------------------------------------------------------------------------------- */

static const kn_format *const formats[] = {&kn_ndjson_format, &kn_csv_format, &kn_xml_format};
#define NUM_FORMATS (sizeof formats / sizeof formats[0])

const kn_format *kn_exec_format_find(const char *name) {
    for (size_t i = 0; name && i < NUM_FORMATS; i++)
        if (strcmp(formats[i]->name, name) == 0) return formats[i];
    return NULL;
}

const kn_format *kn_exec_format_for_path(const char *path) {
    size_t n = path ? kn_compression_strip(path) : 0;
    for (size_t i = 0; i < NUM_FORMATS; i++)
        for (const char *const *e = formats[i]->extensions; *e; e++) {
            size_t k = strlen(*e);
            if (n > k && memcmp(path + n - k, *e, k) == 0) return formats[i];
        }
    return NULL;
}

const char *const *kn_exec_all_extensions(void) {
    static const char *all[24];
    static _Atomic int ready;
    if (!ready) {
        size_t k = 0;
        for (size_t i = 0; i < NUM_FORMATS; i++)
            for (const char *const *e = formats[i]->extensions; *e && k + 1 < 24; e++) all[k++] = *e;
        for (const char *const *e = kn_archive_extensions(); *e && k + 1 < 24; e++) all[k++] = *e;
        all[k] = NULL;
        ready = 1;
    }
    return all;
}

/* ---- compressed and archived inputs --------------------------------------------------------- */

bool kn_exec_is_packed(const kn_format *fmt, const uint8_t *head, size_t n) {
    return kn_compression_sniff(head, n) != KN_COMPRESSION_NONE || kn_archive_sniff(head, n) ||
           (fmt && fmt->encoding && fmt->encoding(head, n < KN_FORMAT_HEAD_BYTES ? n : KN_FORMAT_HEAD_BYTES) != KN_TEXT_UTF8);
}

/* `src` (taken) as the text `fmt` reads: transcoded to UTF-8 when its first bytes declare
 * another encoding and the format asks. */
static kn_status as_text(const kn_format *fmt, kn_seq_source *src, kn_seq_source **out, kn_error *err) {
    if (!fmt || !fmt->encoding) {
        *out = src;
        return KN_OK;
    }
    const uint8_t *head;
    size_t len;
    kn_seq_source *peeked;
    KN_TRY(kn_seq_peek(src, KN_FORMAT_HEAD_BYTES, &peeked, &head, &len, err));
    return kn_transcode_open(peeked, fmt->encoding(head, len), out, err);
}

kn_status kn_exec_open_stream(const char *path, const kn_format *fmt, const kn_decompress_options *dopt,
                              kn_seq_source **src, kn_archive **archive, kn_error *err) {
    *src = NULL;
    *archive = NULL;
    kn_decompress_options defaults;
    if (!dopt) {
        kn_decompress_options_init(&defaults);
        dopt = &defaults;
    }
    kn_seq_source *raw, *decoded, *peeked;
    KN_TRY(kn_file_seq_open(path, &raw, err));
    KN_TRY(kn_decompress_open(raw, dopt, &decoded, NULL, err));
    const uint8_t *head;
    size_t len;
    KN_TRY(kn_seq_peek(decoded, KN_ARCHIVE_SNIFF_BYTES, &peeked, &head, &len, err));
    if (!kn_archive_sniff(head, len)) return as_text(fmt, peeked, src, err);
    return kn_archive_open(peeked, path, dopt->max_expansion, archive, err);
}

kn_status kn_exec_archive_next(kn_archive *a, const kn_format *fmt, bool any_name, const kn_decompress_options *dopt,
                               kn_seq_source **src, bool *done, kn_error *err) {
    *src = NULL;
    for (;;) {
        kn_seq_source *m;
        const char *name;
        KN_TRY(kn_archive_next(a, &m, &name, done, err));
        if (*done) return KN_OK;
        const kn_format *f = kn_exec_format_for_path(name);
        if (f == fmt || (!f && any_name)) {
            kn_seq_source *decoded;
            KN_TRY(kn_decompress_open(m, dopt, &decoded, NULL, err));
            return as_text(fmt, decoded, src, err);
        }
        if (f) {
            kn_error_locate(err, m->name, -1, -1, -1);
            kn_status st = kn_error_set(err, KN_E_USAGE, "a %s member in a run that reads %s; convert them separately",
                                        f->name, fmt->name);
            kn_seq_source_free(m);
            return st;
        }
        kn_log(KN_LOG_INFO, "%s: not named as a %s shard: passed over", m->name, fmt->name);
        kn_seq_source_free(m);
    }
}

kn_status kn_exec_input_format(const char *path, const kn_format **out, kn_error *err) {
    *out = kn_exec_format_for_path(path);
    if (*out) return KN_OK;
    kn_seq_source *src;
    kn_archive *a;
    KN_TRY(kn_exec_open_stream(path, NULL, NULL, &src, &a, err));
    kn_seq_source_free(src);
    kn_status st = KN_OK;
    for (bool done = false; a && st == KN_OK && !done && !*out;) {
        kn_seq_source *m;
        const char *name;
        st = kn_archive_next(a, &m, &name, &done, err);
        if (st == KN_OK && !done) *out = kn_exec_format_for_path(name);
        kn_seq_source_free(m);
    }
    kn_archive_free(a);
    return st;
}

/* ---- inference ----------------------------------------------------------------------------- */

typedef enum guess {
    G_NONE = 0, /* only nulls so far */
    G_BOOL,
    G_INT,
    G_DECIMAL,
    G_DOUBLE,
    G_DATE,
    G_TS,
    G_TSTZ,
    G_STRING,
    G_JSON /* nested values seen: wins over everything */
} guess;

typedef struct infer_col {
    char *name; /* owned */
    size_t len;
    guess g;
    int int_digits, scale; /* the most seen, for decimals */
} infer_col;

typedef struct infer_state {
    infer_col *cols;
    size_t n, cap;
    infer_col *saved; /* the columns before the current record, to undo a bad one */
    size_t saved_n, saved_cap;
} infer_state;

static guess widen(guess a, guess b) {
    if (a == G_NONE || a == b) return b;
    if (b == G_NONE) return a;
    if (a == G_JSON || b == G_JSON) return G_JSON;
    if (a > b) {
        guess t = a;
        a = b;
        b = t;
    }
    if (a == G_INT && (b == G_DECIMAL || b == G_DOUBLE)) return b;
    if (a == G_DECIMAL && b == G_DOUBLE) return G_DOUBLE;
    if (a >= G_DATE && b <= G_TSTZ) return b; /* date < ts < tstz */
    return G_STRING;
}

static guess classify(const kn_scan_value *v, int *int_digits, int *scale) {
    *int_digits = *scale = 0;
    switch (v->kind) {
    case KN_SCAN_NULL: return G_NONE;
    case KN_SCAN_BOOL: return G_BOOL;
    case KN_SCAN_NUMBER: {
        int64_t x;
        return kn_parse_int(v->text, v->text_len, INT64_MIN, INT64_MAX, &x) == KN_NUM_OK &&
                       !memchr(v->text, '.', v->text_len) && !memchr(v->text, 'e', v->text_len) &&
                       !memchr(v->text, 'E', v->text_len)
                   ? G_INT
                   : G_DOUBLE;
    }
    case KN_SCAN_STRING: {
        int32_t days;
        kn_time_value tv;
        if (kn_parse_iso_date(v->text, v->text_len, &days) == KN_TIME_OK) return G_DATE;
        if (kn_parse_iso_timestamp(v->text, v->text_len, false, &tv) == KN_TIME_OK) return tv.has_offset ? G_TSTZ : G_TS;
        return G_STRING;
    }
    case KN_SCAN_TEXT:
        switch (kn_text_classify(v->text, v->text_len, int_digits, scale)) {
        case KN_TEXT_EMPTY: return G_NONE;
        case KN_TEXT_BOOL: return G_BOOL;
        case KN_TEXT_INT: return G_INT;
        case KN_TEXT_DECIMAL: return G_DECIMAL;
        case KN_TEXT_FLOAT: return G_DOUBLE;
        case KN_TEXT_DATE: return G_DATE;
        case KN_TEXT_TIMESTAMP: return G_TS;
        case KN_TEXT_TIMESTAMPTZ: return G_TSTZ;
        default: return G_STRING;
        }
    case KN_SCAN_NESTED: return G_JSON;
    default: return G_STRING;
    }
}

static kn_status infer_value(void *ctx, const kn_scan_value *v, kn_error *err) {
    infer_state *s = ctx;
    int id, sc;
    guess g = classify(v, &id, &sc);
    for (size_t i = 0; i < s->n; i++)
        if (s->cols[i].len == v->key_len && memcmp(s->cols[i].name, v->key, v->key_len) == 0) {
            infer_col *c = &s->cols[i];
            c->g = widen(c->g, g);
            if (id > c->int_digits) c->int_digits = id;
            if (sc > c->scale) c->scale = sc;
            return KN_OK;
        }
    KN_RETURN_ERROR_IF(v->key_len == 0, err, KN_E_DATA, "a key is empty; an empty name cannot be a column");
    KN_RETURN_ERROR_IF(memchr(v->key, '\0', v->key_len) != NULL, err, KN_E_DATA,
                       "a key holds a NUL character (\\u0000); it cannot be a column name");
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        infer_col *c = kn_realloc(s->cols, cap * sizeof *c);
        if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
        s->cols = c;
        s->cap = cap;
    }
    char *name = kn_strndup(v->key, v->key_len);
    if (!name) return kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
    s->cols[s->n++] = (infer_col){name, v->key_len, g, id, sc};
    return KN_OK;
}

/* Keeps the columns as they are before a record, so a bad one can be undone. */
static kn_status save_state(infer_state *s, kn_error *err) {
    if (s->saved_cap < s->n) {
        infer_col *c = kn_realloc(s->saved, s->cap * sizeof *c);
        if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
        s->saved = c;
        s->saved_cap = s->cap;
    }
    if (s->n) memcpy(s->saved, s->cols, s->n * sizeof *s->cols);
    s->saved_n = s->n;
    return KN_OK;
}

static void undo_record(infer_state *s) {
    for (size_t i = s->saved_n; i < s->n; i++) kn_free(s->cols[i].name);
    if (s->saved_n) memcpy(s->cols, s->saved, s->saved_n * sizeof *s->cols);
    s->n = s->saved_n;
}

/* 1-based line of byte `off` in data. */
static int64_t line_of(const uint8_t *data, size_t off) {
    int64_t line = 1;
    if (off == 0) return line; /* an empty file maps to no data at all */
    for (const uint8_t *p = data, *end = data + off; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) line++;
    return line;
}

/* Scans records of data[0..len) (the file's bytes from `base_offset`, whose first line is
 * `first_line`) until `*left` records are seen or the bytes end. A bad record's error gets its
 * line and column from the bytes. */
static kn_status infer_records(const kn_infer_options *opt, kn_format_reader *rd, const kn_format_file *file,
                               const uint8_t *data, size_t len, uint64_t base_offset, int64_t first_line,
                               const char *path, infer_state *s, size_t *left, uint64_t *bad, kn_error *err) {
    opt->format->reader_reset(rd, file, data, len, len, path, base_offset);
    for (; *left > 0; --*left) {
        bool done;
        kn_error e;
        kn_error_reset(&e);
        KN_TRY(save_state(s, err));
        kn_status st = opt->format->reader_scan(rd, infer_value, s, &done, &e);
        if (st == KN_E_DATA && opt->skip_bad) {
            undo_record(s);
            ++*bad;
            continue;
        }
        if (st != KN_OK) {
            if (err) {
                *err = e;
                if (e.byte_offset >= 0 && (uint64_t)e.byte_offset >= base_offset &&
                    (uint64_t)e.byte_offset - base_offset <= len) {
                    size_t off = (size_t)((uint64_t)e.byte_offset - base_offset), ls = off;
                    while (ls > 0 && data[ls - 1] != '\n') ls--;
                    err->line = first_line + line_of(data, off) - 1;
                    err->column = (int64_t)(off - ls) + 1;
                }
                kn_error_locate(err, path, -1, -1, -1);
            }
            return st;
        }
        if (done) break;
    }
    return KN_OK;
}

/* Scans records of `src` (taken), named `name` (borrowed), in morsels of whole records
 * (kn_seq_cut.h), decoded only as far as the sample reaches. */
static kn_status infer_cut(const kn_infer_options *opt, kn_format_reader *rd, kn_seq_source *src, const char *name,
                           infer_state *s, size_t *left, uint64_t *bad, kn_error *err) {
    kn_seq_cut_options co;
    kn_seq_cut_options_init(&co);
    co.count_lines = true;
    kn_seq_cut *cut;
    KN_TRY(kn_seq_cut_create(opt->format, opt->format_opts, NULL, src, name, &co, &cut, err));
    kn_status st = KN_OK;
    while (st == KN_OK && *left > 0) {
        kn_seq_morsel m;
        bool done;
        st = kn_seq_cut_next(cut, &m, &done, err);
        if (st != KN_OK || done) break;
        st = infer_records(opt, rd, kn_seq_cut_file(cut), m.data, m.len, m.offset, m.first_line, name, s, left, bad,
                           err);
        kn_free(m.data);
    }
    kn_seq_cut_free(cut);
    return st;
}

/* A compressed or archived file: read front to back, an archive member after member, until
 * the sample is taken. */
static kn_status infer_stream(const kn_infer_options *opt, kn_format_reader *rd, const char *path, infer_state *s,
                              uint64_t *bad, kn_error *err) {
    kn_seq_source *src;
    kn_archive *a;
    KN_TRY(kn_exec_open_stream(path, opt->format, &opt->decompress, &src, &a, err));
    size_t left = opt->max_records;
    if (!a) return infer_cut(opt, rd, src, path, s, &left, bad, err);
    kn_status st = KN_OK;
    bool done = false;
    while (st == KN_OK && !done && left > 0) {
        st = kn_exec_archive_next(a, opt->format, opt->format_named, &opt->decompress, &src, &done, err);
        if (st == KN_OK && !done) st = infer_cut(opt, rd, src, src->name, s, &left, bad, err);
    }
    kn_archive_free(a);
    return st;
}

static kn_status infer_file(const kn_infer_options *opt, kn_format_reader *rd, const char *path, infer_state *s,
                            uint64_t *bad, kn_error *err) {
    const kn_format *f = opt->format;
    kn_file_map map;
    KN_TRY(kn_file_map_open(path, &map, err));
    if (kn_exec_is_packed(f, map.data, map.len)) {
        kn_file_map_close(&map);
        return infer_stream(opt, rd, path, s, bad, err);
    }
    kn_format_file *file = NULL;
    kn_status st = f->file_open(opt->format_opts, NULL, map.data, map.len, true, path, &file, err);
    if (st == KN_OK) {
        size_t ds = f->file_data_start(file), left = opt->max_records;
        st = infer_records(opt, rd, file, map.data + ds, map.len - ds, ds, line_of(map.data, ds), path, s, &left, bad,
                           err);
    }
    f->file_free(file);
    kn_file_map_close(&map);
    return st;
}

kn_status kn_exec_infer(const kn_infer_options *opt, const char *const *paths, size_t nfiles, kn_schema **out,
                        uint64_t *bad_records, kn_error *err) {
    *out = NULL;
    uint64_t bad = 0;
    if (bad_records) *bad_records = 0;
    KN_RETURN_ERROR_IF(!opt->format, err, KN_E_USAGE, "no input format to infer a schema from (give --format)");
    kn_format_reader *rd;
    KN_TRY(opt->format->reader_create(opt->format_opts, NULL, &rd, err));
    infer_state s;
    memset(&s, 0, sizeof s);
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < nfiles; i++) st = infer_file(opt, rd, paths[i], &s, &bad, err);
    opt->format->reader_free(rd);
    if (bad_records) *bad_records = bad;
    if (st == KN_OK && s.n == 0 && opt->format->fallback_column) {
        const char *fc = opt->format->fallback_column;
        kn_scan_value v = {fc, strlen(fc), KN_SCAN_TEXT, "", 0};
        st = infer_value(&s, &v, err);
        if (st == KN_OK) s.cols[0].g = G_STRING;
    }
    if (st == KN_OK && s.n == 0)
        st = kn_error_set(err, KN_E_DATA, "no columns found in the sampled records; nothing to make columns from "
                                          "(give --schema)");
    kn_schema *schema = st == KN_OK ? kn_schema_create() : NULL;
    if (st == KN_OK && !schema) st = kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
    for (size_t i = 0; st == KN_OK && i < s.n; i++) {
        kn_type t;
        const infer_col *c = &s.cols[i];
        switch (c->g) {
        case G_BOOL: t = kn_type_make(KN_TYPE_BOOL); break;
        case G_INT: t = kn_type_make(KN_TYPE_INT64); break;
        case G_DECIMAL: {
            int p = c->int_digits + c->scale;
            if (p < 1) p = 1;
            t = p <= KN_DECIMAL_MAX_PRECISION ? kn_type_decimal((uint8_t)p, (uint8_t)c->scale) : kn_type_make(KN_TYPE_FLOAT64);
            break;
        }
        case G_DOUBLE: t = kn_type_make(KN_TYPE_FLOAT64); break;
        case G_DATE: t = kn_type_make(KN_TYPE_DATE); break;
        case G_TS: t = kn_type_timestamp(false); break;
        case G_TSTZ: t = kn_type_timestamp(true); break;
        case G_JSON: t = kn_type_json(); break;
        default: t = kn_type_make(KN_TYPE_STRING); break;
        }
        st = kn_schema_add(schema, c->name, t, true, err);
    }
    for (size_t i = 0; i < s.n; i++) kn_free(s.cols[i].name);
    kn_free(s.cols);
    kn_free(s.saved);
    if (st != KN_OK) {
        kn_schema_free(schema);
        return st;
    }
    *out = schema;
    return KN_OK;
}

kn_status kn_exec_infer_schema(const kn_format *format, const char *const *paths, size_t nfiles,
                               size_t max_records, kn_schema **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(!format, err, KN_E_USAGE, "no input format to infer a schema from (give --format)");
    kn_format_opts *defaults = NULL;
    KN_TRY(format->options_create(NULL, 0, &defaults, err));
    kn_infer_options o = {format, defaults, max_records, false, {0}, false};
    kn_decompress_options_init(&o.decompress);
    kn_status st = kn_exec_infer(&o, paths, nfiles, out, NULL, err);
    format->options_free(defaults);
    return st;
}
