/* kernels/kn_partition.c: partition spec parsing, value text, Hive escaping, folder paths,
 * routing hash, civil dates and the --slices file plan (contract in kn_partition.h). */
#include "kn_partition.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "kn_utf8.h"

/* ---- Hive escaping ------------------------------------------------------------------------- */

/* Hive's FileUtils.escapePathName list (ASCII control bytes, DEL, and the characters that mean
 * something in a path, a URI or a glob). Spark's ExternalCatalogUtils uses the same list. */
static inline bool hive_special(unsigned c) {
    if (c < 0x20 || c == 0x7F) return true;
    switch (c) {
    case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=':
    case '?': case '\\': case '{': case '[': case ']': case '^':
        return true;
    default:
        return false;
    }
}

static const char k_hex_upper[] = "0123456789ABCDEF";

size_t kn_hive_escape(const void *s, size_t len, unsigned flags, char *out) {
    if (len == 0) {
        memcpy(out, KN_HIVE_DEFAULT_PARTITION, KN_HIVE_DEFAULT_PARTITION_LEN);
        return KN_HIVE_DEFAULT_PARTITION_LEN;
    }
    const uint8_t *p = s;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t keep;
        if (c < 0x80u)
            keep = hive_special(c) ? 0 : 1;
        else
            keep = (flags & KN_HIVE_ESCAPE_NON_ASCII) ? 0 : kn_utf8_sequence(p + i, len - i);
        if (keep == 0) {
            out[o++] = '%';
            out[o++] = k_hex_upper[c >> 4];
            out[o++] = k_hex_upper[c & 15u];
            i++;
        } else {
            memcpy(out + o, p + i, keep);
            o += keep;
            i += keep;
        }
    }
    return o;
}

bool kn_hive_escape_append(kn_buf *out, const void *s, size_t len, unsigned flags) {
    size_t bound = kn_hive_escape_bound(len);
    if (bound == SIZE_MAX || !kn_buf_reserve(out, bound)) return false;
    out->len += kn_hive_escape(s, len, flags, (char *)out->data + out->len);
    return true;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

size_t kn_hive_unescape(const char *s, size_t len, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && len - i >= 3) { /* two hex digits follow inside the input */
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out[o++] = s[i];
    }
    return o;
}

/* ---- Civil calendar ------------------------------------------------------------------------ */

/* The calendar repeats every 400 years (146097 days). Counting from 0000-03-01 puts the leap day
 * at the end of each counted year, so the day of the year maps to month and day with one linear
 * formula (153 days per 5 months from March). */
void kn_part_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day) {
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11, 0 = March */
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

int64_t kn_part_days_from_civil(int64_t year, unsigned month, unsigned day) {
    int64_t y = year - (month <= 2 ? 1 : 0);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define KN_MICROS_PER_DAY INT64_C(86400000000)
#define KN_MICROS_PER_HOUR INT64_C(3600000000)

void kn_part_split_micros(int64_t micros, int64_t *days, int64_t *micros_of_day) {
    int64_t q = micros / KN_MICROS_PER_DAY, r = micros % KN_MICROS_PER_DAY;
    if (r < 0) {
        r += KN_MICROS_PER_DAY;
        q -= 1;
    }
    *days = q;
    *micros_of_day = r;
}

size_t kn_part_format_date(int64_t days, char out[KN_PART_DATE_TEXT_MAX]) {
    int64_t y;
    unsigned m, d;
    kn_part_civil_from_days(days, &y, &m, &d);
    int n;
    if (y >= 0 && y <= 9999) { /* the common case, without snprintf (it runs once per row) */
        unsigned yy = (unsigned)y;
        char *o = out;
        o[0] = (char)('0' + yy / 1000);
        o[1] = (char)('0' + yy / 100 % 10);
        o[2] = (char)('0' + yy / 10 % 10);
        o[3] = (char)('0' + yy % 10);
        o[4] = '-';
        o[5] = (char)('0' + m / 10);
        o[6] = (char)('0' + m % 10);
        o[7] = '-';
        o[8] = (char)('0' + d / 10);
        o[9] = (char)('0' + d % 10);
        o[10] = '\0';
        return 10;
    }
    if (y < 0) /* ISO 8601 expanded years: at least four digits after the sign. */
        n = snprintf(out, KN_PART_DATE_TEXT_MAX, "-%04" PRIu64 "-%02u-%02u", (uint64_t)0 - (uint64_t)y, m, d);
    else
        n = snprintf(out, KN_PART_DATE_TEXT_MAX, "+%" PRId64 "-%02u-%02u", y, m, d);
    return n > 0 ? (size_t)n : 0;
}

size_t kn_part_format_timestamp(int64_t micros, char out[KN_PART_TIMESTAMP_TEXT_MAX]) {
    int64_t days, mod;
    kn_part_split_micros(micros, &days, &mod);
    size_t n = kn_part_format_date(days, out);
    unsigned h = (unsigned)(mod / KN_MICROS_PER_HOUR);
    unsigned mi = (unsigned)(mod / 60000000 % 60);
    unsigned s = (unsigned)(mod / 1000000 % 60);
    unsigned us = (unsigned)(mod % 1000000);
    int w = snprintf(out + n, KN_PART_TIMESTAMP_TEXT_MAX - n, " %02u:%02u:%02u", h, mi, s);
    if (w > 0) n += (size_t)w;
    if (us) {
        /* Six digits, then the trailing zeros dropped: .5, .25, .000001. */
        char frac[6];
        for (int i = 5; i >= 0; i--, us /= 10) frac[i] = (char)('0' + us % 10);
        size_t fl = 6;
        while (fl > 1 && frac[fl - 1] == '0') fl--;
        out[n++] = '.';
        memcpy(out + n, frac, fl);
        n += fl;
        out[n] = '\0';
    }
    return n;
}

/* ---- Value text ---------------------------------------------------------------------------- */

#define KN_PART_VALUE_TEXT_MAX 64

__extension__ typedef unsigned __int128 kn_u128;

/* Writes the decimal digits of `v` at the end of buf[0..cap) and returns the start index. */
static size_t u128_digits(kn_u128 v, char *buf, size_t cap) {
    size_t i = cap;
    do {
        buf[--i] = (char)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v);
    return i;
}

/* "-0.05" for unscaled -5 at scale 2: exactly `scale` fraction digits, a leading 0 when the
 * magnitude is below 1. */
static size_t format_decimal(bool negative, kn_u128 magnitude, unsigned scale, char *out) {
    char digits[48];
    size_t start = u128_digits(magnitude, digits, sizeof digits);
    size_t nd = sizeof digits - start;
    size_t o = 0;
    if (negative && magnitude != 0) out[o++] = '-';
    if (scale == 0) {
        memcpy(out + o, digits + start, nd);
        return o + nd;
    }
    if (nd <= scale) {
        out[o++] = '0';
        out[o++] = '.';
        for (size_t z = nd; z < scale; z++) out[o++] = '0';
        memcpy(out + o, digits + start, nd);
        return o + nd;
    }
    size_t int_digits = nd - scale;
    memcpy(out + o, digits + start, int_digits);
    o += int_digits;
    out[o++] = '.';
    memcpy(out + o, digits + start + int_digits, scale);
    return o + scale;
}

/* Decimal text of `v` without snprintf, which dominated the per-row cost of routing. */
static size_t format_i64(int64_t v, char *out) {
    char digits[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + (unsigned)(u % 10u));
        u /= 10u;
    } while (u);
    size_t o = 0;
    if (v < 0) out[o++] = '-';
    memcpy(out + o, digits + i, sizeof digits - i);
    return o + sizeof digits - i;
}

/* The shortest %g form that strtod reads back to the same double. -0.0 prints as "0": SQL
 * compares it equal to 0, so both belong in one partition. */
static size_t format_double(double v, char *out) {
    if (isnan(v)) { memcpy(out, "NaN", 3); return 3; }
    if (isinf(v)) {
        if (v > 0) { memcpy(out, "Infinity", 8); return 8; }
        memcpy(out, "-Infinity", 9);
        return 9;
    }
    if (v == 0) { out[0] = '0'; return 1; }
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(out, KN_PART_VALUE_TEXT_MAX, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    return n > 0 ? (size_t)n : 0;
}

static kn_status key_column(const kn_part_key *key, const kn_batch *batch, size_t row,
                            const kn_column **out, kn_error *err) {
    KN_RETURN_ERROR_IF(!batch || !batch->schema || key->column >= batch->schema->num_fields,
                       err, KN_E_INTERNAL,
                       "partition key '%s' refers to column %zu, which the batch does not have",
                       key->name, key->column);
    const kn_column *col = &batch->columns[key->column];
    KN_RETURN_ERROR_IF(!kn_type_equal(col->type, key->source_type), err, KN_E_INTERNAL,
                       "partition key '%s': the batch column is %s, the spec expected %s",
                       key->name, kn_type_name(col->type.id), kn_type_name(key->source_type.id));
    KN_RETURN_ERROR_IF(row >= col->length, err, KN_E_INTERNAL,
                       "partition key '%s': row %zu is past the column's %zu rows", key->name, row,
                       col->length);
    *out = col;
    return KN_OK;
}

/* The value text of one row: points *text at the column's own bytes for strings, or at `tmp`
 * (KN_PART_VALUE_TEXT_MAX bytes) for everything else. */
static kn_status value_text(const kn_part_key *key, const kn_batch *batch, size_t row, char *tmp,
                            const char **text, size_t *len, bool *is_null, kn_error *err) {
    const kn_column *col = NULL;
    KN_TRY(key_column(key, batch, row, &col, err));
    *is_null = !kn_column_is_valid(col, row);
    *text = tmp;
    *len = 0;
    if (*is_null) return KN_OK;

    if (key->fn != KN_PART_IDENTITY) {
        int64_t days, mod = 0;
        if (col->type.id == KN_TYPE_DATE)
            days = kn_column_i32(col)[row];
        else
            kn_part_split_micros(kn_column_i64(col)[row], &days, &mod);
        if (key->fn == KN_PART_DATE) {
            *len = kn_part_format_date(days, tmp);
            return KN_OK;
        }
        int64_t y;
        unsigned m, d;
        kn_part_civil_from_days(days, &y, &m, &d);
        int64_t v = key->fn == KN_PART_YEAR ? y
                    : key->fn == KN_PART_MONTH ? (int64_t)m
                    : key->fn == KN_PART_DAY ? (int64_t)d
                    : mod / KN_MICROS_PER_HOUR;
        *len = format_i64(v, tmp);
        return KN_OK;
    }

    switch (col->type.id) {
    case KN_TYPE_STRING: {
        size_t sl;
        *text = (const char *)kn_column_str(col, row, &sl);
        *len = sl;
        return KN_OK;
    }
    case KN_TYPE_BOOL:
        *text = kn_column_bool(col)[row] ? "true" : "false";
        *len = kn_column_bool(col)[row] ? 4 : 5;
        return KN_OK;
    case KN_TYPE_INT32:
        *len = format_i64(kn_column_i32(col)[row], tmp);
        return KN_OK;
    case KN_TYPE_INT64:
        *len = format_i64(kn_column_i64(col)[row], tmp);
        return KN_OK;
    case KN_TYPE_FLOAT64:
        *len = format_double(kn_column_f64(col)[row], tmp);
        return KN_OK;
    case KN_TYPE_DECIMAL:
        if (col->type.precision > 18) {
            kn_i128 v = kn_column_i128(col)[row];
            kn_u128 u = ((kn_u128)(uint64_t)v.hi << 64) | v.lo;
            bool neg = v.hi < 0;
            if (neg) u = (kn_u128)0 - u;
            *len = format_decimal(neg, u, col->type.scale, tmp);
        } else {
            int64_t v = kn_column_i64(col)[row];
            bool neg = v < 0;
            uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            *len = format_decimal(neg, u, col->type.scale, tmp);
        }
        return KN_OK;
    case KN_TYPE_DATE:
        *len = kn_part_format_date(kn_column_i32(col)[row], tmp);
        return KN_OK;
    case KN_TYPE_TIMESTAMP:
        *len = kn_part_format_timestamp(kn_column_i64(col)[row], tmp);
        return KN_OK;
    case KN_TYPE_COUNT_:
        break;
    }
    return kn_error_set(err, KN_E_INTERNAL, "partition key '%s': unsupported type %d", key->name,
                        (int)col->type.id);
}

kn_status kn_part_value_append(const kn_part_key *key, const kn_batch *batch, size_t row,
                               kn_buf *out, bool *is_null, kn_error *err) {
    char tmp[KN_PART_VALUE_TEXT_MAX];
    const char *text;
    size_t len;
    KN_TRY(value_text(key, batch, row, tmp, &text, &len, is_null, err));
    return kn_buf_append_or_fail(out, text, len, err);
}

kn_status kn_part_path_append(const kn_part_spec *spec, const kn_batch *batch, size_t row,
                              unsigned flags, kn_buf *out, kn_error *err) {
    size_t start = out->len;
    for (size_t k = 0; k < spec->num_keys; k++) {
        const kn_part_key *key = &spec->keys[k];
        char tmp[KN_PART_VALUE_TEXT_MAX];
        const char *text;
        size_t len;
        bool is_null;
        kn_status st = value_text(key, batch, row, tmp, &text, &len, &is_null, err);
        if (st != KN_OK) {
            out->len = start;
            return st;
        }
        /* A null and an empty value both escape to the default partition (len 0). */
        if (!kn_buf_append(out, key->dir_key, key->dir_key_len) ||
            !kn_hive_escape_append(out, text, is_null ? 0 : len, flags) || !kn_buf_push(out, '/')) {
            out->len = start;
            return kn_error_set(err, KN_E_NOMEM, "out of memory building a partition path");
        }
    }
    return KN_OK;
}

uint64_t kn_part_path_hash(const void *path, size_t len) { return XXH3_64bits(path, len); }

/* ---- Spec parsing -------------------------------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* Column names longer than this cannot be matched (Redshift allows 127 bytes). */
#define KN_PART_COLUMN_TEXT_MAX 1024

/* Reads one column name at text[*pos]: a double-quoted name ("" for a quote) or a bare run up
 * to one of `stops` (or the end), with surrounding spaces trimmed. */
static kn_status read_name(const char *text, size_t *pos, const char *stops, char *name,
                           size_t *name_len, kn_error *err) {
    size_t p = *pos, n = 0;
    while (is_space(text[p])) p++;
    if (text[p] == '"') {
        p++;
        for (;;) {
            char c = text[p];
            KN_RETURN_ERROR_IF(c == '\0', err, KN_E_USAGE,
                               "--partition-by: a quoted column name is missing its closing '\"'");
            if (c == '"') {
                if (text[p + 1] != '"') { p++; break; }
                p++;
            }
            KN_RETURN_ERROR_IF(n + 1 >= KN_PART_COLUMN_TEXT_MAX, err, KN_E_USAGE,
                               "--partition-by: a column name is longer than %d bytes",
                               KN_PART_COLUMN_TEXT_MAX - 1);
            name[n++] = c;
            p++;
        }
        while (is_space(text[p])) p++;
    } else {
        size_t start = p;
        while (text[p] && !strchr(stops, text[p])) p++;
        size_t end = p;
        while (end > start && is_space(text[end - 1])) end--;
        KN_RETURN_ERROR_IF(end - start >= KN_PART_COLUMN_TEXT_MAX, err, KN_E_USAGE,
                           "--partition-by: a column name is longer than %d bytes",
                           KN_PART_COLUMN_TEXT_MAX - 1);
        n = end - start;
        memcpy(name, text + start, n);
    }
    name[n] = '\0';
    *name_len = n;
    *pos = p;
    return KN_OK;
}

static kn_part_fn fn_from_name(const char *s, size_t len, bool *ok) {
    static const struct {
        const char *name;
        kn_part_fn fn;
    } fns[] = {{"year", KN_PART_YEAR}, {"month", KN_PART_MONTH}, {"day", KN_PART_DAY},
               {"hour", KN_PART_HOUR}, {"date", KN_PART_DATE}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (strlen(fns[i].name) != len) continue;
        size_t j = 0;
        while (j < len && ascii_lower(s[j]) == fns[i].name[j]) j++;
        if (j == len) {
            *ok = true;
            return fns[i].fn;
        }
    }
    *ok = false;
    return KN_PART_IDENTITY;
}

static const char *fn_name(kn_part_fn fn) {
    switch (fn) {
    case KN_PART_YEAR: return "year";
    case KN_PART_MONTH: return "month";
    case KN_PART_DAY: return "day";
    case KN_PART_HOUR: return "hour";
    case KN_PART_DATE: return "date";
    case KN_PART_IDENTITY: break;
    }
    return "";
}

/* Checks the column and fills the key; `item` names the item in messages. */
static kn_status make_key(kn_part_fn fn, const char *column, size_t column_len,
                          const kn_schema *schema, const kn_part_spec *spec, kn_part_key *key,
                          kn_error *err) {
    char item[KN_PART_COLUMN_TEXT_MAX + 16];
    if (fn == KN_PART_IDENTITY)
        snprintf(item, sizeof item, "%s", column);
    else
        snprintf(item, sizeof item, "%s(%s)", fn_name(fn), column);

    KN_RETURN_ERROR_IF(column_len == 0, err, KN_E_USAGE,
                       "--partition-by: '%s' has an empty column name", item);
    long idx = kn_schema_find(schema, column, column_len);
    KN_RETURN_ERROR_IF(idx < 0, err, KN_E_USAGE,
                       "--partition-by: '%s': there is no column named '%s'", item, column);
    const kn_field *f = &schema->fields[idx];
    kn_type_id t = f->type.id;
    if (fn != KN_PART_IDENTITY) {
        KN_RETURN_ERROR_IF(t != KN_TYPE_TIMESTAMP && t != KN_TYPE_DATE, err, KN_E_USAGE,
                           "--partition-by: '%s': %s() needs a timestamp or date column, and '%s' "
                           "is %s",
                           item, fn_name(fn), column, kn_type_name(t));
        KN_RETURN_ERROR_IF(fn == KN_PART_HOUR && t != KN_TYPE_TIMESTAMP, err, KN_E_USAGE,
                           "--partition-by: '%s': hour() needs a timestamp column; '%s' is a date "
                           "and has no hour",
                           item, column);
    }

    memset(key, 0, sizeof *key);
    key->fn = fn;
    key->column = (size_t)idx;
    key->source_type = f->type;
    if (fn == KN_PART_IDENTITY) {
        KN_RETURN_ERROR_IF(column_len >= KN_PART_NAME_MAX, err, KN_E_USAGE,
                           "--partition-by: column '%s' has a name longer than %d bytes, too long "
                           "for a partition key",
                           column, KN_PART_NAME_MAX - 1);
        for (size_t i = 0; i < column_len; i++) key->name[i] = ascii_lower(column[i]);
        key->name[column_len] = '\0';
        key->type = f->type;
    } else {
        snprintf(key->name, sizeof key->name, "%s", fn_name(fn));
        key->type = kn_type_make(fn == KN_PART_DATE ? KN_TYPE_DATE : KN_TYPE_INT32);
    }
    for (size_t k = 0; k < spec->num_keys; k++) {
        KN_RETURN_ERROR_IF(strcmp(spec->keys[k].name, key->name) == 0, err, KN_E_USAGE,
                           "--partition-by: '%s' makes a second key named '%s'; each folder key "
                           "must be unique (keys are lowercased)",
                           item, key->name);
    }
    size_t nl = strlen(key->name);
    key->dir_key_len = kn_hive_escape(key->name, nl, 0, key->dir_key);
    key->dir_key[key->dir_key_len++] = '=';
    return KN_OK;
}

kn_status kn_part_spec_parse(const char *text, const kn_schema *schema, kn_part_spec *out,
                             kn_error *err) {
    out->num_keys = 0;
    KN_RETURN_ERROR_IF(!text || !schema, err, KN_E_USAGE, "--partition-by needs a value");
    size_t p = 0;
    while (is_space(text[p])) p++;
    KN_RETURN_ERROR_IF(text[p] == '\0', err, KN_E_USAGE,
                       "--partition-by is empty; give KEY[,KEY...] such as year(ts),region");
    char name[KN_PART_COLUMN_TEXT_MAX];
    for (;;) {
        size_t item_start = p, name_len;
        while (is_space(text[p])) p++;
        KN_RETURN_ERROR_IF(text[p] == ',' || text[p] == '\0', err, KN_E_USAGE,
                           "--partition-by: an empty key at byte %zu of '%s'", item_start + 1, text);
        KN_RETURN_ERROR_IF(out->num_keys == KN_PART_MAX_KEYS, err, KN_E_USAGE,
                           "--partition-by: more than %d keys", KN_PART_MAX_KEYS);
        kn_part_fn fn = KN_PART_IDENTITY;
        KN_TRY(read_name(text, &p, ",(", name, &name_len, err));
        if (text[p] == '(') {
            bool ok;
            fn = fn_from_name(name, name_len, &ok);
            KN_RETURN_ERROR_IF(!ok, err, KN_E_USAGE,
                               "--partition-by: unknown function '%s'; use year, month, day, hour "
                               "or date",
                               name);
            p++;
            KN_TRY(read_name(text, &p, ")", name, &name_len, err));
            KN_RETURN_ERROR_IF(text[p] != ')', err, KN_E_USAGE,
                               "--partition-by: '%s(%s' is missing its ')'", fn_name(fn), name);
            p++;
            while (is_space(text[p])) p++;
        }
        KN_TRY(make_key(fn, name, name_len, schema, out, &out->keys[out->num_keys], err));
        out->num_keys++;
        if (text[p] == '\0') break;
        KN_RETURN_ERROR_IF(text[p] != ',', err, KN_E_USAGE,
                           "--partition-by: expected ',' after key '%s' at byte %zu of '%s'",
                           out->keys[out->num_keys - 1].name, p + 1, text);
        p++;
        while (is_space(text[p])) p++;
        KN_RETURN_ERROR_IF(text[p] == '\0', err, KN_E_USAGE,
                           "--partition-by: '%s' ends with ','", text);
    }
    return KN_OK;
}

bool kn_part_spec_has_key(const kn_part_spec *spec, const char *name) {
    for (size_t k = 0; k < spec->num_keys; k++)
        if (strcmp(spec->keys[k].name, name) == 0) return true;
    return false;
}

bool kn_part_spec_is_partition_column(const kn_part_spec *spec, size_t column) {
    for (size_t k = 0; k < spec->num_keys; k++)
        if (spec->keys[k].fn == KN_PART_IDENTITY && spec->keys[k].column == column) return true;
    return false;
}

/* ---- File plan ----------------------------------------------------------------------------- */

kn_status kn_part_plan_files(uint64_t total_bytes, uint64_t total_rows, uint64_t target_file_bytes,
                             uint32_t slices, kn_part_file_plan *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    KN_RETURN_ERROR_IF(target_file_bytes == 0, err, KN_E_USAGE,
                       "the target file size must be at least one byte");
    uint64_t n = slices ? slices : 1;
    out->slices_met = true;
    if (total_rows == 0) return KN_OK;

    uint64_t by_size = total_bytes / target_file_bytes + (total_bytes % target_file_bytes != 0);
    if (by_size == 0) by_size = 1;
    /* Round up to a multiple of the slice count, so files stay at or under the target. */
    uint64_t files = by_size > UINT64_MAX - (n - 1) ? by_size / n * n : (by_size + n - 1) / n * n;
    if (files > total_rows) /* never an empty file */
        files = total_rows >= n ? total_rows / n * n : total_rows;

    out->num_files = files;
    out->rows_per_file = total_rows / files;
    out->files_with_extra_row = total_rows % files;
    out->bytes_per_file = total_bytes / files + (total_bytes % files != 0);
    out->slices_met = files % n == 0;
    return KN_OK;
}
