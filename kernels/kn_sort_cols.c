/* kernels/kn_sort_cols.c: column lists parsed against a schema (kn_sort_cols.h). */
#include "kn_sort_cols.h"

#include <stdbool.h>
#include <string.h>

#include "kn_alloc.h"

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static bool same_name_nocase(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    if (alen != blen) return false;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

static kn_status find_column(const kn_schema *schema, const char *name, size_t len,
                             const char *option, size_t *index, kn_error *err) {
    long exact = kn_schema_find(schema, name, len);
    if (exact >= 0) {
        *index = (size_t)exact;
        return KN_OK;
    }
    long found = -1;
    for (size_t i = 0; i < schema->num_fields; i++) {
        if (!same_name_nocase(name, len, schema->fields[i].name)) continue;
        KN_RETURN_ERROR_IF(found >= 0, err, KN_E_USAGE,
                           "%s: '%.*s' matches both '%s' and '%s'; write the name exactly", option,
                           (int)len, name, schema->fields[found].name, schema->fields[i].name);
        found = (long)i;
    }
    KN_RETURN_ERROR_IF(found < 0, err, KN_E_USAGE, "%s: there is no column '%.*s'", option,
                       (int)len, name);
    *index = (size_t)found;
    return KN_OK;
}

kn_status kn_sort_cols_parse(const char *text, const kn_schema *schema, const char *option,
                             size_t **out, size_t *num, kn_error *err) {
    *out = NULL;
    *num = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    size_t *cols = kn_malloc(cap * sizeof *cols);
    char *name = kn_malloc(strlen(text) + 1);
    kn_status st = cols && name ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    size_t n = 0, pos = 0;
    while (st == KN_OK) {
        while (text[pos] == ' ' || text[pos] == '\t') pos++;
        size_t len = 0;
        if (text[pos] == '"') {
            pos++;
            for (;;) {
                if (!text[pos]) {
                    st = kn_error_set(err, KN_E_USAGE, "%s: a quoted name is not closed", option);
                    break;
                }
                if (text[pos] == '"' && text[pos + 1] == '"') {
                    name[len++] = '"';
                    pos += 2;
                } else if (text[pos] == '"') {
                    pos++;
                    break;
                } else {
                    name[len++] = text[pos++];
                }
            }
            while (st == KN_OK && (text[pos] == ' ' || text[pos] == '\t')) pos++;
        } else {
            while (text[pos] && text[pos] != ',') name[len++] = text[pos++];
            while (len && (name[len - 1] == ' ' || name[len - 1] == '\t')) len--;
        }
        if (st != KN_OK) break;
        if (len == 0) {
            st = kn_error_set(err, KN_E_USAGE, "%s: an empty column name in '%s'", option, text);
            break;
        }
        if (text[pos] && text[pos] != ',') {
            st = kn_error_set(err, KN_E_USAGE, "%s: unexpected '%c' after a quoted name", option, text[pos]);
            break;
        }
        size_t idx = 0;
        st = find_column(schema, name, len, option, &idx, err);
        for (size_t i = 0; st == KN_OK && i < n; i++)
            if (cols[i] == idx)
                st = kn_error_set(err, KN_E_USAGE, "%s: column '%s' is named twice", option,
                                  schema->fields[idx].name);
        if (st != KN_OK) break;
        cols[n++] = idx;
        if (!text[pos]) break;
        pos++; /* the ',' */
    }
    kn_free(name);
    if (st != KN_OK) {
        kn_free(cols);
        return st;
    }
    *out = cols;
    *num = n;
    return KN_OK;
}
