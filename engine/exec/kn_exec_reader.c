/* engine/exec/kn_exec_reader.c: the format table behind kn_exec_reader.h (NDJSON today) and
 * schema inference from a sample of the inputs.
 *
 * Inference rules (NDJSON): columns in order of first appearance, all nullable. Per value:
 * integers that fit int64 -> int64; other numbers -> float64; true/false -> bool; strings ->
 * date (YYYY-MM-DD), timestamptz (ISO-8601 with Z or an offset), timestamp (ISO-8601 without),
 * else string; nested objects and arrays -> json (their JSON text; Redshift SUPER). A column
 * seen with two types widens: int64 + float64 -> float64; date + timestamp -> timestamp;
 * timestamp + timestamptz (or date + timestamptz) -> timestamptz (values without an offset are
 * then read as UTC); json + anything -> json; anything else -> string. A column only ever null
 * is a string.
 *
 * Why json wins over every scalar: a field that is sometimes nested cannot be typed by its
 * scalars, and a json column stores every value as the JSON text written in the input (a
 * string keeps its quotes, see kn_ndjson.h), so each value of such a mixed field is valid JSON
 * and the whole column loads into SUPER. Making it a plain string instead would mix unquoted
 * strings with JSON texts, which neither VARCHAR queries nor SUPER could read back reliably. */
#include "kn_exec_reader.h"

#include <inttypes.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_file.h"
#include "kn_ndjson.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"

/* ---- the NDJSON row of the table ---------------------------------------------------------- */

static size_t ndjson_record_end(const uint8_t *data, size_t len, size_t pos) {
    return kn_ndjson_record_end(data, len, pos);
}

static kn_status ndjson_create(const kn_schema *schema, kn_exec_reader **out, kn_error *err) {
    return kn_ndjson_reader_create(schema, NULL, (kn_ndjson_reader **)out, err);
}

static void ndjson_reset(kn_exec_reader *r, const uint8_t *data, size_t len, const char *name,
                         uint64_t base_offset, bool at_file_start) {
    kn_ndjson_reader_reset((kn_ndjson_reader *)r, data, len, name, base_offset, at_file_start);
}

static kn_status ndjson_next(kn_exec_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    return kn_ndjson_reader_next((kn_ndjson_reader *)r, batch, done, err);
}

static void ndjson_bad_record(kn_exec_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    kn_ndjson_reader_bad_record((const kn_ndjson_reader *)r, offset, data, len);
}

static uint64_t ndjson_records(kn_exec_reader *r) {
    return kn_ndjson_reader_records((const kn_ndjson_reader *)r);
}

static void ndjson_free(kn_exec_reader *r) { kn_ndjson_reader_free((kn_ndjson_reader *)r); }

static const char *const ndjson_extensions[] = {".ndjson", ".jsonl", ".json", ".ldjson", NULL};

static const kn_exec_format formats[] = {
    {"ndjson", ndjson_extensions, ndjson_record_end, ndjson_create, ndjson_reset, ndjson_next,
     ndjson_bad_record, ndjson_records, ndjson_free},
};

const kn_exec_format *kn_exec_format_find(const char *name) {
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, name) == 0) return &formats[i];
    return NULL;
}

const kn_exec_format *kn_exec_format_for_path(const char *path) {
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        for (const char *const *e = formats[i].extensions; *e; e++) {
            size_t k = strlen(*e);
            if (n > k && strcmp(path + n - k, *e) == 0) return &formats[i];
        }
    return NULL;
}

/* ---- inference ----------------------------------------------------------------------------- */

typedef enum guess {
    G_NONE = 0, /* only nulls so far */
    G_BOOL,
    G_INT,
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
} infer_col;

typedef struct infer_state {
    infer_col *cols;
    size_t n, cap;
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
    if (a == G_INT && b == G_DOUBLE) return G_DOUBLE;
    if (a >= G_DATE && b <= G_TSTZ) return b; /* date < ts < tstz */
    return G_STRING;
}

static guess classify(const kn_ndjson_member *m) {
    switch (m->kind) {
    case KN_JSON_NULL: return G_NONE;
    case KN_JSON_TRUE:
    case KN_JSON_FALSE: return G_BOOL;
    case KN_JSON_NUMBER: {
        int64_t v;
        return kn_parse_int(m->text, m->text_len, INT64_MIN, INT64_MAX, &v) == KN_NUM_OK &&
                       !memchr(m->text, '.', m->text_len) && !memchr(m->text, 'e', m->text_len) &&
                       !memchr(m->text, 'E', m->text_len)
                   ? G_INT
                   : G_DOUBLE;
    }
    case KN_JSON_STRING: {
        int32_t days;
        kn_time_value tv;
        if (kn_parse_iso_date(m->text, m->text_len, &days) == KN_TIME_OK) return G_DATE;
        if (kn_parse_iso_timestamp(m->text, m->text_len, false, &tv) == KN_TIME_OK) return tv.has_offset ? G_TSTZ : G_TS;
        return G_STRING;
    }
    case KN_JSON_OBJECT:
    case KN_JSON_ARRAY: return G_JSON;
    default: return G_STRING;
    }
}

static kn_status infer_member(void *ctx, const kn_ndjson_member *m, kn_error *err) {
    infer_state *s = ctx;
    guess g = classify(m);
    for (size_t i = 0; i < s->n; i++)
        if (s->cols[i].len == m->key_len && memcmp(s->cols[i].name, m->key, m->key_len) == 0) {
            s->cols[i].g = widen(s->cols[i].g, g);
            return KN_OK;
        }
    KN_RETURN_ERROR_IF(m->key_len == 0, err, KN_E_DATA, "a key is empty; an empty name cannot be a column");
    KN_RETURN_ERROR_IF(memchr(m->key, '\0', m->key_len) != NULL, err, KN_E_DATA,
                       "a key holds a NUL character (\\u0000); it cannot be a column name");
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        infer_col *c = kn_realloc(s->cols, cap * sizeof *c);
        if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
        s->cols = c;
        s->cap = cap;
    }
    char *name = kn_strndup(m->key, m->key_len);
    if (!name) return kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
    s->cols[s->n++] = (infer_col){name, m->key_len, g};
    return KN_OK;
}

/* 1-based line of byte `off` in data. */
static int64_t line_of(const uint8_t *data, size_t off) {
    int64_t line = 1;
    for (const uint8_t *p = data, *end = data + off; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) line++;
    return line;
}

static kn_status infer_file(kn_ndjson_reader *rd, const char *path, size_t max_records, infer_state *s,
                            kn_error *err) {
    kn_file_map map;
    KN_TRY(kn_file_map_open(path, &map, err));
    kn_ndjson_reader_reset(rd, map.data, map.len, path, 0, true);
    kn_status st = KN_OK;
    for (size_t rec = 0; rec < max_records; rec++) {
        bool done;
        kn_error e;
        kn_error_reset(&e);
        st = kn_ndjson_reader_scan(rd, infer_member, s, &done, &e);
        if (st != KN_OK) {
            if (err) {
                *err = e;
                if (e.byte_offset >= 0 && (uint64_t)e.byte_offset <= map.len) {
                    size_t off = (size_t)e.byte_offset, ls = off;
                    while (ls > 0 && map.data[ls - 1] != '\n') ls--;
                    err->line = line_of(map.data, off);
                    err->column = (int64_t)(off - ls) + 1;
                }
                kn_error_locate(err, path, -1, -1, -1);
            }
            break;
        }
        if (done) break;
    }
    kn_file_map_close(&map);
    return st;
}

kn_status kn_exec_infer_schema(const kn_exec_format *format, const char *const *paths, size_t nfiles,
                               size_t max_records, kn_schema **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(!format || strcmp(format->name, "ndjson") != 0, err, KN_E_UNSUPPORTED,
                       "schema inference reads NDJSON only; give --schema for this format");
    kn_ndjson_reader *rd;
    KN_TRY(kn_ndjson_reader_create(NULL, NULL, &rd, err));
    infer_state s = {NULL, 0, 0};
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < nfiles; i++) st = infer_file(rd, paths[i], max_records, &s, err);
    kn_ndjson_reader_free(rd);
    if (st == KN_OK && s.n == 0)
        st = kn_error_set(err, KN_E_DATA, "no keys found in the sampled records; nothing to make columns from "
                                          "(give --schema)");
    kn_schema *schema = st == KN_OK ? kn_schema_create() : NULL;
    if (st == KN_OK && !schema) st = kn_error_set(err, KN_E_NOMEM, "out of memory inferring a schema");
    for (size_t i = 0; st == KN_OK && i < s.n; i++) {
        kn_type t;
        switch (s.cols[i].g) {
        case G_BOOL: t = kn_type_make(KN_TYPE_BOOL); break;
        case G_INT: t = kn_type_make(KN_TYPE_INT64); break;
        case G_DOUBLE: t = kn_type_make(KN_TYPE_FLOAT64); break;
        case G_DATE: t = kn_type_make(KN_TYPE_DATE); break;
        case G_TS: t = kn_type_timestamp(false); break;
        case G_TSTZ: t = kn_type_timestamp(true); break;
        case G_JSON: t = kn_type_json(); break;
        default: t = kn_type_make(KN_TYPE_STRING); break;
        }
        st = kn_schema_add(schema, s.cols[i].name, t, true, err);
    }
    for (size_t i = 0; i < s.n; i++) kn_free(s.cols[i].name);
    kn_free(s.cols);
    if (st != KN_OK) {
        kn_schema_free(schema);
        return st;
    }
    *out = schema;
    return KN_OK;
}
