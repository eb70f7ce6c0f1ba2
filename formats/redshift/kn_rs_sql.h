/* formats/redshift/kn_rs_sql.h: writing Redshift SQL safely: identifiers, string literals, and
 * the `--table [database.][schema.]name` argument.
 *
 * Identifiers: Redshift folds ASCII letters to lowercase in both bare and quoted identifiers
 * (unless enable_case_sensitive_identifier is on), so kiln writes every name lowercased: what
 * it writes is what the catalog shows. A name stays bare when it matches [a-z_][a-z0-9_$]* and
 * is not a Redshift reserved word; otherwise it is written "..." with '"' doubled. Names must be
 * 1..127 bytes of valid UTF-8 without control characters (Redshift's rule).
 *
 * String literals: '...' with ' doubled and \ doubled. Redshift string literals treat a
 * backslash as an escape (it follows PostgreSQL 8 without standard_conforming_strings), so a
 * single backslash in a path or value would otherwise vanish or swallow the next character. */
#ifndef KN_RS_SQL_H
#define KN_RS_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "kn_buf.h"
#include "kn_status.h"

#define KN_RS_IDENT_MAX 127

/* True when `lower` (`len` bytes, already lowercase) is a Redshift reserved word. */
bool kn_rs_is_reserved(const char *lower, size_t len);

/* Appends `name` (`len` bytes, borrowed) as an identifier. Fails with KN_E_USAGE (naming the
 * identifier) when it is empty, longer than 127 bytes, not valid UTF-8 or holds a control
 * character; KN_E_NOMEM when `out` cannot grow. On failure `out` is unchanged. */
kn_status kn_rs_append_ident(kn_buf *out, const char *name, size_t len, kn_error *err);

/* Appends `s` (`len` bytes) as a SQL string literal. Returns false when memory runs out. */
bool kn_rs_append_literal(kn_buf *out, const char *s, size_t len);

/* A parsed `--table` value: 1 to 3 dot-separated parts, each bare or "quoted" ("" for a quote),
 * kept unquoted and with their case; kn_rs_append_name lowercases them when writing. */
typedef struct kn_rs_name {
    size_t num_parts;                   /* 1: table, 2: schema.table, 3: database.schema.table */
    char parts[3][KN_RS_IDENT_MAX + 1]; /* NUL-terminated */
    size_t part_len[3];
} kn_rs_name;

/* Parses `text`. Fails with KN_E_USAGE on an empty part, more than 3 parts, an unclosed quote,
 * or a part longer than 127 bytes. */
kn_status kn_rs_name_parse(const char *text, kn_rs_name *out, kn_error *err);
/* Appends the qualified name ("analytics.events", "\"my schema\".events"). */
kn_status kn_rs_append_name(kn_buf *out, const kn_rs_name *name, kn_error *err);
/* The last part (the table itself), unquoted. */
static inline const char *kn_rs_name_table(const kn_rs_name *name) {
    return name->parts[name->num_parts - 1];
}

#endif
