/* engine/batch/kn_schema.c */
#include "kn_schema.h"

#include <string.h>

#include "kn_alloc.h"

kn_schema *kn_schema_create(void) { return kn_calloc(1, sizeof(kn_schema)); }

long kn_schema_find(const kn_schema *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->num_fields; i++) {
        const char *f = s->fields[i].name;
        if (strncmp(f, name, len) == 0 && f[len] == '\0') return (long)i;
    }
    return -1;
}

kn_status kn_schema_add(kn_schema *s, const char *name, kn_type type, bool nullable,
                        kn_error *err) {
    size_t len = strlen(name);
    KN_RETURN_ERROR_IF(len == 0, err, KN_E_USAGE, "a column needs a name");
    KN_RETURN_ERROR_IF(kn_schema_find(s, name, len) >= 0, err, KN_E_USAGE,
                       "column '%s' is named twice", name);
    KN_RETURN_ERROR_IF((unsigned)type.id >= KN_TYPE_COUNT_, err, KN_E_UNSUPPORTED,
                       "column '%s' has an unsupported type (%d)", name, (int)type.id);
    KN_RETURN_ERROR_IF(type.id == KN_TYPE_DECIMAL &&
                           (type.precision < 1 || type.precision > KN_DECIMAL_MAX_PRECISION ||
                            type.scale > type.precision),
                       err, KN_E_USAGE,
                       "column '%s': decimal(%u,%u) needs 1 <= precision <= 38 and scale <= precision",
                       name, type.precision, type.scale);
    if (s->num_fields == s->cap_) {
        size_t cap = s->cap_ ? s->cap_ * 2 : 8;
        kn_field *f = kn_realloc(s->fields, cap * sizeof *f);
        if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory adding column '%s'", name);
        s->fields = f;
        s->cap_ = cap;
    }
    char *copy = kn_strndup(name, len);
    if (!copy) return kn_error_set(err, KN_E_NOMEM, "out of memory adding column '%s'", name);
    kn_field *f = &s->fields[s->num_fields++];
    f->name = copy;
    f->type = type;
    f->nullable = nullable;
    f->format = NULL;
    return KN_OK;
}

kn_status kn_schema_set_format(kn_schema *s, size_t index, const char *format, kn_error *err) {
    KN_RETURN_ERROR_IF(index >= s->num_fields, err, KN_E_USAGE, "no column %zu to give a format", index);
    char *copy = NULL;
    if (format) {
        copy = kn_strdup(format);
        if (!copy) return kn_error_set(err, KN_E_NOMEM, "out of memory setting a format");
    }
    kn_free(s->fields[index].format);
    s->fields[index].format = copy;
    return KN_OK;
}

kn_schema *kn_schema_copy(const kn_schema *s) {
    kn_schema *c = kn_schema_create();
    if (!c) return NULL;
    for (size_t i = 0; i < s->num_fields; i++) {
        if (kn_schema_add(c, s->fields[i].name, s->fields[i].type, s->fields[i].nullable, NULL) != KN_OK ||
            kn_schema_set_format(c, i, s->fields[i].format, NULL) != KN_OK) {
            kn_schema_free(c);
            return NULL;
        }
    }
    return c;
}

void kn_schema_free(kn_schema *s) {
    if (!s) return;
    for (size_t i = 0; i < s->num_fields; i++) {
        kn_free(s->fields[i].name);
        kn_free(s->fields[i].format);
    }
    kn_free(s->fields);
    kn_free(s);
}
