/* engine/batch/kn_schema.h: an ordered list of named, typed, nullable fields.
 *
 * The struct is visible so readers and writers can walk fields directly; build and change it
 * only through these calls, which keep names owned and unique. */
#ifndef KN_SCHEMA_H
#define KN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "kn_status.h"
#include "kn_types.h"

typedef struct kn_field {
    char *name; /* owned by the schema; UTF-8, not empty */
    kn_type type;
    bool nullable;
    char *format; /* owned; DATE/TIMESTAMP text format (strptime-like, see kernels/kn_parse_time.h),
                     NULL for ISO-8601. Set with kn_schema_set_format. */
} kn_field;

typedef struct kn_schema {
    kn_field *fields; /* owned */
    size_t num_fields;
    size_t cap_;
} kn_schema;

kn_schema *kn_schema_create(void);
/* Appends a field; `name` is copied. Fails with KN_E_USAGE on an empty or duplicate name, or
 * an invalid decimal precision/scale. */
kn_status kn_schema_add(kn_schema *s, const char *name, kn_type type, bool nullable,
                        kn_error *err);
/* Sets (a copy of `format`) or clears (NULL) field `index`'s text format. The schema layer
 * does not interpret it; the kernels check it (kn_time_format_check) where it is read.
 * Fails with KN_E_USAGE on a bad index, KN_E_NOMEM when memory runs out. */
kn_status kn_schema_set_format(kn_schema *s, size_t index, const char *format, kn_error *err);
/* Index of the field named `name` (length `len`), or -1. */
long kn_schema_find(const kn_schema *s, const char *name, size_t len);
/* A deep copy, or NULL when memory runs out. */
kn_schema *kn_schema_copy(const kn_schema *s);
/* Accepts NULL. */
void kn_schema_free(kn_schema *s);

#endif
