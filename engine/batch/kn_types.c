/* engine/batch/kn_types.c */
#include "kn_types.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t kn_type_width(kn_type t) {
    switch (t.id) {
    case KN_TYPE_STRING: return 0;
    case KN_TYPE_BOOL: return 1;
    case KN_TYPE_INT32:
    case KN_TYPE_DATE: return 4;
    case KN_TYPE_INT64:
    case KN_TYPE_FLOAT64:
    case KN_TYPE_TIMESTAMP: return 8;
    case KN_TYPE_DECIMAL: return t.precision > 18 ? sizeof(kn_i128) : 8;
    case KN_TYPE_COUNT_: break;
    }
    return 0;
}

const char *kn_type_name(kn_type_id id) {
    static const char *const names[KN_TYPE_COUNT_] = {"string", "bool", "int32", "int64",
                                                      "float64", "decimal", "date", "timestamp"};
    return (unsigned)id < KN_TYPE_COUNT_ ? names[id] : "unknown";
}

void kn_type_format(kn_type t, char *buf, size_t cap) {
    if (t.id == KN_TYPE_DECIMAL)
        snprintf(buf, cap, "decimal(%u,%u)", t.precision, t.scale);
    else if (t.id == KN_TYPE_TIMESTAMP && t.utc)
        snprintf(buf, cap, "timestamptz");
    else if (t.id == KN_TYPE_STRING && t.json)
        snprintf(buf, cap, "json");
    else
        snprintf(buf, cap, "%s", kn_type_name(t.id));
}

bool kn_type_equal(kn_type a, kn_type b) {
    if (a.id != b.id) return false;
    if (a.id == KN_TYPE_DECIMAL) return a.precision == b.precision && a.scale == b.scale;
    if (a.id == KN_TYPE_TIMESTAMP) return a.utc == b.utc;
    if (a.id == KN_TYPE_STRING) return a.json == b.json;
    return true;
}

static bool parse_decimal_args(const char *p, kn_type *out) {
    /* "(p,s)" or "(p)" with optional spaces. */
    char *end;
    while (isspace((unsigned char)*p)) p++;
    if (*p != '(') return false;
    long prec = strtol(p + 1, &end, 10);
    long scale = 0;
    p = end;
    while (isspace((unsigned char)*p)) p++;
    if (*p == ',') {
        scale = strtol(p + 1, &end, 10);
        p = end;
        while (isspace((unsigned char)*p)) p++;
    }
    if (*p != ')' || p[1] != '\0') return false;
    if (prec < 1 || prec > KN_DECIMAL_MAX_PRECISION || scale < 0 || scale > prec) return false;
    *out = kn_type_decimal((uint8_t)prec, (uint8_t)scale);
    return true;
}

bool kn_type_parse(const char *text, kn_type *out) {
    static const struct {
        const char *name;
        kn_type_id id;
        bool utc;
        bool json;
    } names[] = {
        {"string", KN_TYPE_STRING, false, false},    {"varchar", KN_TYPE_STRING, false, false},
        {"text", KN_TYPE_STRING, false, false},      {"bool", KN_TYPE_BOOL, false, false},
        {"boolean", KN_TYPE_BOOL, false, false},     {"int32", KN_TYPE_INT32, false, false},
        {"int", KN_TYPE_INT32, false, false},        {"integer", KN_TYPE_INT32, false, false},
        {"int64", KN_TYPE_INT64, false, false},      {"bigint", KN_TYPE_INT64, false, false},
        {"long", KN_TYPE_INT64, false, false},       {"float64", KN_TYPE_FLOAT64, false, false},
        {"double", KN_TYPE_FLOAT64, false, false},   {"date", KN_TYPE_DATE, false, false},
        {"timestamp", KN_TYPE_TIMESTAMP, false, false}, {"timestamptz", KN_TYPE_TIMESTAMP, true, false},
        {"timestamp_utc", KN_TYPE_TIMESTAMP, true, false},
        /* SUPER is what Redshift calls a column of JSON values. */
        {"json", KN_TYPE_STRING, false, true},      {"super", KN_TYPE_STRING, false, true},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *out = kn_type_make(names[i].id);
            out->utc = names[i].utc;
            out->json = names[i].json;
            return true;
        }
    }
    if (strncasecmp(text, "decimal", 7) == 0) return parse_decimal_args(text + 7, out);
    if (strncasecmp(text, "numeric", 7) == 0) return parse_decimal_args(text + 7, out);
    return false;
}
