/* engine/batch/kn_types.h: kiln's logical types and how each is held in a column vector.
 *
 *   type        values array         meaning
 *   STRING      offsets + bytes      UTF-8 text (nested JSON is kept as its text here); with
 *                                    `json` set, every value is itself a JSON text (the
 *                                    type spelled "json": Redshift SUPER, Parquet UTF8)
 *   BOOL        uint8_t (0 or 1)     one byte a value, so kernels can index it directly
 *   INT32       int32_t
 *   INT64       int64_t
 *   FLOAT64     double
 *   DECIMAL     int64_t if p <= 18,  the unscaled value: 12.34 in decimal(12,2) is 1234
 *               kn_i128 if p > 18
 *   DATE        int32_t              days since 1970-01-01
 *   TIMESTAMP   int64_t              microseconds since 1970-01-01 00:00:00 (UTC when
 *                                    `utc` is set, a wall-clock time otherwise) */
#ifndef KN_TYPES_H
#define KN_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kn_type_id {
    KN_TYPE_STRING = 0,
    KN_TYPE_BOOL,
    KN_TYPE_INT32,
    KN_TYPE_INT64,
    KN_TYPE_FLOAT64,
    KN_TYPE_DECIMAL,
    KN_TYPE_DATE,
    KN_TYPE_TIMESTAMP,
    KN_TYPE_COUNT_
} kn_type_id;

#define KN_DECIMAL_MAX_PRECISION 38

typedef struct kn_type {
    kn_type_id id;
    uint8_t precision; /* DECIMAL: 1..38 */
    uint8_t scale;     /* DECIMAL: 0..precision */
    bool utc;          /* TIMESTAMP: adjusted to UTC (Redshift TIMESTAMPTZ) */
    bool json;         /* STRING: every value is a JSON text (Redshift SUPER); the column is
                          still held and written as plain UTF-8 strings */
} kn_type;

/* A 128-bit two's complement integer, for decimals wider than 18 digits. */
typedef struct kn_i128 {
    uint64_t lo;
    int64_t hi;
} kn_i128;

static inline kn_type kn_type_make(kn_type_id id) {
    kn_type t = {id, 0, 0, false, false};
    return t;
}
static inline kn_type kn_type_decimal(uint8_t precision, uint8_t scale) {
    kn_type t = {KN_TYPE_DECIMAL, precision, scale, false, false};
    return t;
}
/* A STRING whose values are JSON texts (spelled "json"). */
static inline kn_type kn_type_json(void) {
    kn_type t = {KN_TYPE_STRING, 0, 0, false, true};
    return t;
}
static inline kn_type kn_type_timestamp(bool utc) {
    kn_type t = {KN_TYPE_TIMESTAMP, 0, 0, utc, false};
    return t;
}

/* Bytes per value in the values array; 0 for STRING (offsets + bytes instead). */
size_t kn_type_width(kn_type t);
/* "string", "bool", "int32", "int64", "float64", "decimal", "date", "timestamp". */
const char *kn_type_name(kn_type_id id);
/* Writes the full spelling ("decimal(12,2)", "timestamptz" for utc timestamps, "json" for a
 * json string) into `buf`. */
void kn_type_format(kn_type t, char *buf, size_t cap);
/* Parses a spelling that kn_type_format writes, plus aliases (int, integer, bigint, double,
 * boolean, varchar, text, timestamp_utc, timestamptz, super for json). Returns false when
 * unknown or when the decimal precision/scale are out of range. */
bool kn_type_parse(const char *text, kn_type *out);
bool kn_type_equal(kn_type a, kn_type b);

#endif
