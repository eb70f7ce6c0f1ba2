/* kernels/kn_cast.h: text into every kiln type, the way a database casts a string: shared by the
 * readers whose values arrive as text (CSV fields, JSON strings into typed columns, XML) and by
 * the cast steps to come.
 *
 * Rules (the contract users rely on):
 *   - ASCII spaces and tabs around the text are ignored. Empty text (after trimming) is
 *     KN_CAST_EMPTY: whether that is a NULL or an error is the caller's rule.
 *   - Integers and decimals: the JSON number grammar (kernels/kn_parse_number.h: exact, no
 *     rounding; an integer column takes "1.0" and "2e3", not "1.5"), plus what exports write: a
 *     leading '+', and leading zeros ("007" is 7).
 *   - float64: the same grammar, correctly rounded, plus nan, inf, infinity (any case, inf and
 *     infinity with a sign).
 *   - bool: true/false, t/f, yes/no, y/n, 1/0, in any case.
 *   - date: YYYY-MM-DD (a timestamp's text is refused: that would drop its time of day);
 *     timestamp: ISO-8601 (kernels/kn_parse_time.h), a bare date being midnight. With a
 *     `format` (the schema's strptime-like one) the text must match it instead. A timestamp
 *     column with `utc` converts a written offset to UTC (no offset: already UTC); a plain one
 *     keeps the wall clock written and drops the offset, as PostgreSQL and Redshift do.
 *   - STRING is no cast: the caller stores the text as it is.
 *
 * Pure (kn_cast_append aside, which grows the column it appends to): no I/O, no allocation, no
 * locale. */
#ifndef KN_CAST_H
#define KN_CAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_types.h"

typedef enum kn_cast_status {
    KN_CAST_OK = 0,
    KN_CAST_EMPTY,    /* nothing but spaces */
    KN_CAST_SYNTAX,   /* not a value of the type */
    KN_CAST_RANGE,    /* a value of the type's kind that does not fit (too large, month 13) */
    KN_CAST_FRACTION  /* fraction digits the type cannot keep (an integer, a decimal's scale) */
} kn_cast_status;

typedef union kn_cast_value {
    bool b;         /* BOOL */
    int32_t i32;    /* INT32, DATE */
    int64_t i64;    /* INT64, DECIMAL p <= 18, TIMESTAMP */
    double f64;     /* FLOAT64 */
    kn_i128 i128;   /* DECIMAL p > 18 */
} kn_cast_value;

/* Casts s[0..n) to `type` (not STRING) into *out, the member named above. `format` may be NULL
 * (ISO-8601); it applies to DATE and TIMESTAMP only and must have passed kn_time_format_check. */
kn_cast_status kn_cast_text(kn_type type, const char *format, const char *s, size_t n, kn_cast_value *out);

/* Appends `v`, what kn_cast_text gave for `type`, to column c (of that type): the readers'
 * general way into a column. Fails only as the column's append does (KN_E_NOMEM). */
kn_status kn_cast_append(kn_column *c, kn_type type, const kn_cast_value *v, kn_error *err);

/* Explains a failed cast in words a user can act on, into buf[0..cap) (NUL-terminated; the
 * text is quoted and shortened to 40 bytes). Returns buf. */
const char *kn_cast_explain(kn_cast_status st, kn_type type, const char *format, const char *s, size_t n,
                            char *buf, size_t cap);

/* What text looks like, for schema inference: the narrowest kind that reads all of it. */
typedef enum kn_text_kind {
    KN_TEXT_EMPTY = 0,
    KN_TEXT_BOOL,      /* true/false in any case (not 1/0 or t/f: those stay numbers or text) */
    KN_TEXT_INT,       /* an integer in int64, no fraction or exponent */
    KN_TEXT_DECIMAL,   /* digits with a '.', at most 38 digits in all, no exponent */
    KN_TEXT_FLOAT,     /* any other number, nan or inf */
    KN_TEXT_DATE,      /* YYYY-MM-DD */
    KN_TEXT_TIMESTAMP, /* ISO-8601 without an offset */
    KN_TEXT_TIMESTAMPTZ, /* ISO-8601 with Z or an offset */
    KN_TEXT_STRING
} kn_text_kind;

/* The kind of s[0..n) (spaces around it ignored); for KN_TEXT_INT and KN_TEXT_DECIMAL also the
 * digits before the point and after it (either pointer may be NULL). */
kn_text_kind kn_text_classify(const char *s, size_t n, int *int_digits, int *frac_digits);

#endif
