/* formats/csv/kn_csv_prologue.c: options, a file's prologue (BOM, skipped rows, header, the
 * column map), transcoding, and the guess of where a morsel's first record starts. */
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_encoding.h"
#include "kn_csv_internal.h"

void kn_csv_options_init(kn_csv_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->delimiter = ',';
    opt->quote = '"';
    opt->header = true;
}

static const char *byte_name(uint8_t c, char *buf, size_t cap) {
    if (c == '\t') snprintf(buf, cap, "tab");
    else if (c > 0x20 && c < 0x7f) snprintf(buf, cap, "'%c'", c);
    else snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

kn_status kn_csv_options_check(const kn_csv_options *opt, kn_error *err) {
    const struct {
        const char *name;
        uint8_t c;
    } set[] = {{"--delimiter", opt->delimiter}, {"--quote", opt->quote}, {"--escape", opt->escape}, {"--comment", opt->comment}};
    char b[32];
    KN_RETURN_ERROR_IF(opt->delimiter == 0, err, KN_E_USAGE, "--delimiter cannot be the NUL byte");
    for (size_t i = 0; i < 4; i++) {
        if (!set[i].c) continue;
        KN_RETURN_ERROR_IF(set[i].c == '\n' || set[i].c == '\r', err, KN_E_USAGE, "%s cannot be a line break", set[i].name);
        for (size_t j = i + 1; j < 4; j++)
            KN_RETURN_ERROR_IF(set[i].c == set[j].c, err, KN_E_USAGE, "%s and %s are both %s; they must differ",
                               set[i].name, set[j].name, byte_name(set[i].c, b, sizeof b));
    }
    KN_RETURN_ERROR_IF(opt->escape && !opt->quote && opt->escape == '"', err, KN_E_USAGE, "--escape needs a quote");
    KN_RETURN_ERROR_IF(opt->num_null_tokens > KN_CSV_MAX_NULL_TOKENS, err, KN_E_USAGE,
                       "at most %d --null-token values", KN_CSV_MAX_NULL_TOKENS);
    return KN_OK;
}

/* ---- a byte walk over one record ------------------------------------------------------------ */

void kn__csv_walk_record(const kn_csv_options *opt, const uint8_t *data, size_t len, size_t pos, bool inside,
                         kn__csv_span *out) {
    size_t fields = 1, i = pos;
    uint8_t q = opt->quote, e = opt->escape, d = opt->delimiter;
    out->start = pos;
    for (; i < len; i++) {
        uint8_t c = data[i];
        if (e && c == e) {
            i++; /* the next byte is literal */
            continue;
        }
        if (q && c == q) {
            inside = !inside;
            continue;
        }
        if (inside) continue;
        if (c == d) fields++;
        else if (c == '\n' || c == '\r') break;
    }
    out->end = i < len ? i : len;
    out->next = i >= len ? len : (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') ? i + 2 : i + 1;
    out->fields = fields;
    out->open = inside;
}

/* ---- transcoding ---------------------------------------------------------------------------- */

size_t kn__csv_transcode_byte(kn_csv_encoding enc, uint8_t c, uint8_t out[3]) {
    return kn_encoding_byte_to_utf8(enc == KN_CSV_WINDOWS1252 ? KN_TEXT_WINDOWS1252 : KN_TEXT_LATIN1, c, out);
}

/* ---- the prologue --------------------------------------------------------------------------- */

void kn_csv_file_release(kn_csv_file *f) {
    for (size_t i = 0; f->names && i < f->num_columns; i++) kn_free(f->names[i]);
    kn_free(f->names);
    kn_free(f->map);
    memset(f, 0, sizeof *f);
}

static size_t skip_line(const uint8_t *data, size_t len, size_t pos) {
    while (pos < len && data[pos] != '\n' && data[pos] != '\r') pos++;
    if (pos < len && data[pos] == '\r' && pos + 1 < len && data[pos + 1] == '\n') return pos + 2;
    return pos < len ? pos + 1 : len;
}

/* Skips blank and comment lines. */
static size_t skip_blank(const kn_csv_options *opt, const uint8_t *data, size_t len, size_t pos) {
    while (pos < len && (data[pos] == '\n' || data[pos] == '\r' || (opt->comment && data[pos] == opt->comment)))
        pos = skip_line(data, len, pos);
    return pos;
}

/* One field of the header record, unquoted, into a new string. */
static char *field_text(const kn_csv_options *opt, const uint8_t *s, size_t n) {
    char *t = kn_malloc(n * 3 + 1);
    if (!t) return NULL;
    size_t o = 0;
    bool quoted = opt->quote && n && s[0] == opt->quote;
    for (size_t i = quoted; i < n; i++) {
        uint8_t c = s[i];
        if (opt->escape && c == opt->escape && i + 1 < n) c = s[++i];
        else if (quoted && c == opt->quote) {
            if (i + 1 < n && s[i + 1] == opt->quote) i++;
            else continue; /* the closing quote */
        }
        if (c >= 0x80 && opt->encoding != KN_CSV_UTF8) o += kn__csv_transcode_byte(opt->encoding, c, (uint8_t *)t + o);
        else t[o++] = (char)c;
    }
    t[o] = 0;
    return t;
}

static bool name_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return *a == *b;
}

static kn_status map_columns(const kn_schema *schema, bool by_name, const char *name, kn_csv_file *f, kn_error *err) {
    for (size_t i = 0; i < f->num_columns; i++) {
        long m = -1;
        if (!by_name) {
            m = i < schema->num_fields ? (long)i : -1;
        } else {
            m = kn_schema_find(schema, f->names[i], strlen(f->names[i]));
            for (size_t k = 0; m < 0 && k < schema->num_fields; k++)
                if (name_ieq(schema->fields[k].name, f->names[i])) m = (long)k;
            for (size_t j = 0; m >= 0 && j < i; j++)
                if (f->map[j] == m) m = -1; /* a second column of the same name: the first wins */
        }
        f->map[i] = m;
        if (m < 0) f->num_ignored++;
    }
    for (size_t k = 0; k < schema->num_fields; k++) {
        bool mapped = false;
        for (size_t i = 0; i < f->num_columns && !mapped; i++) mapped = f->map[i] == (long)k;
        if (!mapped && !schema->fields[k].nullable) {
            kn_error_locate(err, name, by_name ? 1 : -1, -1, -1);
            kn_error_field(err, schema->fields[k].name);
            return kn_error_set(err, KN_E_DATA,
                                by_name ? "the header has no column for the non-nullable field '%s'"
                                        : "the records have too few columns for the non-nullable field '%s'",
                                schema->fields[k].name);
        }
    }
    return KN_OK;
}

kn_status kn_csv_prologue(const kn_csv_options *opt, const kn_schema *schema, const uint8_t *data, size_t len,
                          const char *name, kn_csv_file *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    out->delimiter = opt->delimiter;
    size_t pos = 0;
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) pos = 3;
    for (size_t i = 0; i < opt->skip_rows && pos < len; i++) pos = skip_line(data, len, pos);
    pos = skip_blank(opt, data, len, pos);
    kn__csv_span sp = {pos, pos, pos, 0, false};
    if (pos < len) kn__csv_walk_record(opt, data, len, pos, false, &sp);
    if (sp.open) {
        kn_error_locate(err, name, -1, -1, (int64_t)pos);
        return kn_error_set(err, KN_E_DATA, "the %s has a quote that is never closed",
                            opt->header ? "header" : "first record");
    }
    if (pos >= len) {
        /* Nothing but blank lines, comments or skipped rows: a file of no records, whatever the
         * schema asks of records. */
        out->data_start = len;
        out->names = kn_calloc(1, sizeof *out->names);
        out->map = kn_calloc(1, sizeof *out->map);
        if (!out->names || !out->map) {
            kn_csv_file_release(out);
            return kn_error_set(err, KN_E_NOMEM, "out of memory reading a CSV header");
        }
        return KN_OK;
    }
    out->num_columns = sp.fields;
    out->data_start = opt->header ? sp.next : pos;
    if (opt->header) {
        out->header_start = sp.start;
        out->header_len = sp.end - sp.start;
    }
    size_t n = out->num_columns ? out->num_columns : 1;
    out->names = kn_calloc(n, sizeof *out->names);
    out->map = kn_calloc(n, sizeof *out->map);
    if (!out->names || !out->map) {
        kn_csv_file_release(out);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading a CSV header");
    }
    /* Names: the header's fields, split where the walk splits them. */
    size_t at = pos;
    for (size_t i = 0; i < out->num_columns; i++) {
        if (opt->header) {
            size_t e = at;
            bool inside = false;
            for (; e < sp.end; e++) {
                uint8_t c = data[e];
                if (opt->escape && c == opt->escape) {
                    e++;
                    continue;
                }
                if (opt->quote && c == opt->quote) inside = !inside;
                else if (!inside && c == opt->delimiter) break;
            }
            if (e > sp.end) e = sp.end;
            out->names[i] = field_text(opt, data + at, e - at);
            at = e + 1;
        } else {
            char b[32];
            snprintf(b, sizeof b, "column%zu", i);
            out->names[i] = kn_strdup(b);
        }
        if (!out->names[i]) {
            kn_csv_file_release(out);
            return kn_error_set(err, KN_E_NOMEM, "out of memory reading a CSV header");
        }
    }
    if (!schema) return KN_OK;
    kn_status st = map_columns(schema, opt->header, name, out, err);
    if (st != KN_OK) kn_csv_file_release(out);
    return st;
}

/* ---- morsel starts -------------------------------------------------------------------------- */

/* Do the few records from `pos` on have the file's field count, read starting `inside`? */
static int agreeing_records(const kn_csv_options *opt, const kn_csv_file *file, const uint8_t *data, size_t len,
                            size_t pos, bool inside, size_t *first) {
    kn__csv_span sp;
    /* The rest of the line `pos` stands in, read from the chosen state, ends somewhere: the
     * next record starts there. */
    kn__csv_walk_record(opt, data, len, pos, inside, &sp);
    if (sp.open) return -1;
    *first = sp.next;
    int good = 0;
    size_t p = sp.next;
    for (int k = 0; k < 8 && p < len; k++) {
        if (data[p] == '\n' || data[p] == '\r' || (opt->comment && data[p] == opt->comment)) {
            p = sp.next = p + 1;
            k--;
            continue;
        }
        kn__csv_walk_record(opt, data, len, p, false, &sp);
        if (sp.open || (sp.next < len && sp.fields != file->num_columns && !opt->fill_missing)) return good;
        good++;
        p = sp.next;
    }
    return good + 8; /* ran out of data or records, all agreeing */
}

size_t kn_csv_record_start_guess(const kn_csv_options *opt, const kn_csv_file *file, const uint8_t *data,
                                 size_t len, size_t pos) {
    if (pos >= len) return len;
    if (pos == 0) return 0;
    if ( (data[pos - 1] == '\n' || data[pos - 1] == '\r') && !opt->quote) return pos;
    /* Read on from the byte before pos (so a record starting exactly at pos is found). */
    size_t from = pos - 1, a_first = len, b_first = len;
    int a = agreeing_records(opt, file, data, len, from, false, &a_first);
    if (!opt->quote) return a_first;
    if (a >= 8) return a_first;
    int b = agreeing_records(opt, file, data, len, from, true, &b_first);
    return b > a ? b_first : a_first;
}
