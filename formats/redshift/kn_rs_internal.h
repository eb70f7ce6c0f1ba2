/* formats/redshift/kn_rs_internal.h: helpers shared by the artifact generators (not installed,
 * not for other layers). A kn__rs_w collects text into a caller buffer and remembers where it
 * started, so a generator that fails halfway leaves the buffer as it found it. */
#ifndef KN_RS_INTERNAL_H
#define KN_RS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "kn_buf.h"
#include "kn_rs_artifacts.h"
#include "kn_rs_sql.h"
#include "kn_rs_types.h"
#include "kn_status.h"

typedef struct kn__rs_w {
    kn_buf *out;
    size_t start;
    bool nomem;
} kn__rs_w;

void kn__rs_begin(kn__rs_w *w, kn_buf *out);
void kn__rs_putn(kn__rs_w *w, const char *s, size_t n);
void kn__rs_puts(kn__rs_w *w, const char *s);
void kn__rs_printf(kn__rs_w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kn__rs_literal(kn__rs_w *w, const char *s, size_t n);
/* `base` joined with `rel` by one '/' (added when `base` lacks it, also when `rel` is empty so
 * that a folder URL ends with '/'), as a SQL literal. */
void kn__rs_url_literal(kn__rs_w *w, const char *base, const char *rel, size_t rel_len);
/* Identifier / qualified name; errors pass through. */
kn_status kn__rs_ident(kn__rs_w *w, const char *name, kn_error *err);
kn_status kn__rs_name(kn__rs_w *w, const kn_rs_name *name, kn_error *err);
/* Ends a generator: on failure (status or lost memory) restores the buffer and returns the
 * status, else KN_OK. */
kn_status kn__rs_end(kn__rs_w *w, kn_status st, kn_error *err);

/* The checks every generator needs: a base URL, no control characters in the URL, role or
 * external schema, no two columns with one Redshift name; and, when `name` is not NULL (the SQL
 * generators), a schema and a table name, parsed into *name. */
kn_status kn__rs_check_job(const kn_rs_job *job, kn_rs_name *name, kn_error *err);
/* Finds a user-given column name (exact, else unique ASCII-case-insensitive match). `option`
 * names the flag in messages ("--sort-by"). */
kn_status kn__rs_find_column(const kn_schema *schema, const char *name, const char *option,
                             size_t *index, kn_error *err);
/* The Redshift type of schema column `i`. */
kn_status kn__rs_column_type(const kn_rs_job *job, size_t i, kn_rs_target target,
                             char out[KN_RS_TYPE_TEXT_MAX], kn_error *err);
/* "FROM '<base>manifest.json'\nIAM_ROLE '...'\nFORMAT AS PARQUET\nMANIFEST;\n" */
void kn__rs_copy_from(kn__rs_w *w, const kn_rs_job *job);
/* Checks a data file's relative path: not empty, no leading '/', no empty, "." or ".."
 * segment, no control character, and a file name not starting with '_' or '.'. KN_E_INTERNAL
 * otherwise (kiln names its own files). */
kn_status kn__rs_check_file(const kn_rs_file *file, kn_error *err);
/* True when the ASCII-lowercased `a` equals the ASCII-lowercased `b`. */
bool kn__rs_same_name(const char *a, const char *b);

#endif
