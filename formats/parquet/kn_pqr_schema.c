/* formats/parquet/kn_pqr_schema.c: the schema tree's leaves, paths and levels. */
#include "kn_pqr_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"

/* Nesting past this is no real schema; the limit keeps levels small numbers. */
#define KN_PQR_MAX_SCHEMA_DEPTH 1000

typedef struct {
    size_t parent;     /* index of the parent element; the root's is itself */
    int depth;         /* 0 for the root */
    int def, rep;      /* max levels down to here */
    size_t path_chars; /* bytes of "a.b.c" down to here, without the NUL */
} node_info;

static kn_status schema_fail(const kn_pqr_meta *m, const char *name, kn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static kn_status schema_fail(const kn_pqr_meta *m, const char *name, kn_error *err, const char *fmt, ...) {
    char what[KN_ERROR_WHAT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    kn_error_set(err, KN_E_FORMAT, "bad schema in the footer: %s", what);
    kn_error_locate(err, name, -1, -1, (int64_t)m->footer_offset);
    return KN_E_FORMAT;
}

static void *arena_array(kn_arena *a, size_t count, size_t size) {
    if (size && count > (SIZE_MAX - 16) / size) return NULL;
    return kn_arena_alloc(a, count * size > 0 ? count * size : 1);
}

kn_status kn__pqr_schema_build(kn_pqr_meta *m, const char *name, kn_error *err) {
    size_t n = m->num_schema;
    kn_arena *a = m->arena_;
    node_info *info = arena_array(a, n, sizeof *info);
    size_t *stack = arena_array(a, n, sizeof *stack);
    int32_t *left = arena_array(a, n, sizeof *left); /* children still to come, per element */
    if (!info || !stack || !left) return kn_error_set(err, KN_E_NOMEM, "out of memory reading the schema");

    const kn_pqr_schema_element *root = &m->schema[0];
    if (root->has_type && (!root->has_num_children || root->num_children == 0))
        return schema_fail(m, name, err, "the root element '%s' is a primitive column, not a group", root->name);
    memset(&info[0], 0, sizeof info[0]);
    left[0] = root->has_num_children ? root->num_children : 0;
    size_t top = 0, next = 1, leaves = 0;
    uint64_t path_bytes = 0;
    stack[top++] = 0;
    while (top) {
        size_t parent = stack[top - 1];
        if (left[parent] == 0) {
            top--;
            continue;
        }
        left[parent]--;
        if (next >= n)
            return schema_fail(m, name, err, "element %zu '%s' has %d more child(ren) than the %zu elements hold", parent,
                               m->schema[parent].name, left[parent] + 1, n);
        size_t i = next++;
        const kn_pqr_schema_element *e = &m->schema[i];
        node_info *ni = &info[i];
        ni->parent = parent;
        ni->depth = info[parent].depth + 1;
        if (ni->depth > KN_PQR_MAX_SCHEMA_DEPTH)
            return schema_fail(m, name, err, "element %zu '%s' is nested deeper than %d levels", i, e->name,
                               KN_PQR_MAX_SCHEMA_DEPTH);
        /* A missing repetition is read as REQUIRED, as parquet-java does. */
        int rep = e->has_repetition ? e->repetition : KN_PQ_REQUIRED;
        ni->def = info[parent].def + (rep != KN_PQ_REQUIRED);
        ni->rep = info[parent].rep + (rep == KN_PQ_REPEATED);
        ni->path_chars = (ni->depth > 1 ? info[parent].path_chars + 1 : 0) + strlen(e->name);
        bool has_children = e->has_num_children && e->num_children > 0;
        if (e->has_type && has_children)
            return schema_fail(m, name, err, "element %zu '%s' has a physical type and %d children", i, e->name,
                               e->num_children);
        if (has_children) {
            left[i] = e->num_children;
            stack[top++] = i;
        } else if (e->has_type) {
            leaves++;
            path_bytes += ni->path_chars + 1 + (uint64_t)ni->depth * sizeof(char *) + sizeof(kn_pqr_leaf);
        }
        /* An element with neither type nor children is an empty group: no column. */
    }
    if (next != n)
        return schema_fail(m, name, err, "the root's tree holds %zu element(s) but the footer lists %zu", next, n);
    /* Paths repeat their parents' names, so a deep schema could cost far more than the footer
     * that describes it; a generous bound keeps memory tied to the footer's size. */
    uint64_t budget = (uint64_t)64 * m->footer_len + ((uint64_t)16 << 20);
    if (path_bytes > budget)
        return schema_fail(m, name, err, "column paths would take %llu bytes (over %llu)", (unsigned long long)path_bytes,
                           (unsigned long long)budget);

    kn_pqr_leaf *out = arena_array(a, leaves, sizeof *out);
    if (!out) return kn_error_set(err, KN_E_NOMEM, "out of memory reading the schema");
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        const kn_pqr_schema_element *e = &m->schema[i];
        if (!e->has_type) continue;
        const node_info *ni = &info[i];
        kn_pqr_leaf *lf = &out[k++];
        lf->element = i;
        lf->num_parts = (size_t)ni->depth;
        lf->max_definition_level = ni->def;
        lf->max_repetition_level = ni->rep;
        const char **parts = arena_array(a, lf->num_parts, sizeof *parts);
        char *path = arena_array(a, ni->path_chars + 1, 1);
        if (!parts || !path) return kn_error_set(err, KN_E_NOMEM, "out of memory reading the schema");
        size_t end = ni->path_chars;
        path[end] = '\0';
        for (size_t j = i, d = lf->num_parts; d > 0; j = info[j].parent, d--) {
            const char *part = m->schema[j].name;
            size_t len = strlen(part);
            parts[d - 1] = part;
            end -= len;
            memcpy(path + end, part, len);
            if (d > 1) path[--end] = '.';
        }
        lf->parts = parts;
        lf->path = path;
    }
    m->leaves = out;
    m->num_leaves = leaves;
    return KN_OK;
}
