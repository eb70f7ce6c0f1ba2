/* formats/redshift/kn_rs_types.h: kiln types -> Redshift column types, for the local table
 * (CREATE TABLE, what COPY loads into) and for Redshift Spectrum external tables.
 *
 * | kiln type          | Redshift table (table.sql)  | Spectrum (spectrum.sql) | Parquet written     |
 * |--------------------|-----------------------------|-------------------------|---------------------|
 * | string             | VARCHAR(n), n see below     | VARCHAR(n)              | BYTE_ARRAY UTF8     |
 * | string, JSON text  | SUPER                       | VARCHAR(65535)          | BYTE_ARRAY UTF8     |
 * | bool               | BOOLEAN                     | BOOLEAN                 | BOOLEAN             |
 * | int32              | INTEGER                     | INTEGER                 | INT32               |
 * | int64              | BIGINT                      | BIGINT                  | INT64               |
 * | float64            | DOUBLE PRECISION            | DOUBLE PRECISION        | DOUBLE              |
 * | decimal(p,s)       | DECIMAL(p,s)                | DECIMAL(p,s)            | INT32/INT64/FLBA    |
 * | date               | DATE                        | DATE                    | INT32 DATE          |
 * | timestamp          | TIMESTAMP                   | TIMESTAMP               | INT64 MICROS        |
 * | timestamptz (utc)  | TIMESTAMPTZ                 | TIMESTAMP               | INT64 MICROS, UTC   |
 *
 * VARCHAR length: Redshift counts VARCHAR(n) in bytes, not characters, and COPY fails the whole
 * load on a longer value, while the declared width sizes query memory. kiln takes the longest
 * value seen (bytes), rounds it up to the next power of two with a floor of 16, and caps it at
 * 65535 (Redshift's limit): 0..16 -> 16, 17 -> 32, 100 -> 128, 1000 -> 1024, 40000 -> 65535.
 * The power of two leaves headroom for later loads into the same table (at most 2x) without
 * declaring every column 65535 wide. An unknown length (KN_RS_LEN_UNKNOWN) gives 65535. Values
 * longer than 65535 bytes do not fit any Redshift VARCHAR; the caller should reject or truncate
 * them before writing.
 *
 * JSON text: a column kiln keeps as the text of nested JSON becomes SUPER in the table. Spectrum
 * cannot declare SUPER over a Parquet string, so there it stays VARCHAR(65535) and queries use
 * JSON_PARSE / JSON_EXTRACT_PATH_TEXT on it. Spectrum has no TIMESTAMPTZ column type; Parquet
 * UTC timestamps read as TIMESTAMP (UTC) there. int32 never maps to SMALLINT: kiln has no 16-bit
 * type, and widening on load is never needed. */
#ifndef KN_RS_TYPES_H
#define KN_RS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"
#include "kn_types.h"

typedef enum kn_rs_target {
    KN_RS_TABLE = 0, /* a Redshift table: CREATE TABLE, COPY target */
    KN_RS_SPECTRUM   /* a Spectrum external table */
} kn_rs_target;

#define KN_RS_VARCHAR_MIN 16u
#define KN_RS_VARCHAR_MAX 65535u
#define KN_RS_LEN_UNKNOWN SIZE_MAX

/* The declared VARCHAR length for a column whose longest value is `max_bytes` bytes. */
uint32_t kn_rs_varchar_length(size_t max_bytes);

#define KN_RS_TYPE_TEXT_MAX 32

/* Writes the Redshift type of a column (e.g. "VARCHAR(128)", "DECIMAL(12,2)", "SUPER") to `out`
 * (NUL-terminated) and returns KN_OK. `max_bytes` matters for strings only; `is_json` for
 * strings only. Fails with KN_E_UNSUPPORTED for an unknown type id or a decimal precision
 * outside 1..38. */
kn_status kn_rs_type_text(kn_type type, size_t max_bytes, bool is_json, kn_rs_target target,
                          char out[KN_RS_TYPE_TEXT_MAX], kn_error *err);

#endif
