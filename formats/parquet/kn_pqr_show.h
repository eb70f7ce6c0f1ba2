/* formats/parquet/kn_pqr_show.h: names and display text for what kn_pqr reads: enum names
 * (types, codecs, encodings, ...), logical types as parquet-java spells them, and statistics
 * values decoded by the column's physical and logical type (integers, floats, strings with
 * non-printable bytes escaped, decimals as scaled numbers, dates and timestamps as ISO 8601). */
#ifndef KN_PQR_SHOW_H
#define KN_PQR_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_pqr.h"

/* Each returns the parquet.thrift name ("INT32", "SNAPPY", "RLE_DICTIONARY", "UTF8",
 * "OPTIONAL", "DICTIONARY_PAGE", "TYPE_ORDER"), or NULL for a value kiln does not know. */
const char *kn_pqr_type_name(int32_t type);
const char *kn_pqr_codec_name(int32_t codec);
const char *kn_pqr_encoding_name(int32_t encoding);
const char *kn_pqr_converted_name(int32_t converted);
const char *kn_pqr_repetition_name(int32_t repetition);
const char *kn_pqr_page_type_name(int32_t page_type);
const char *kn_pqr_order_name(int order);

/* Writes `name` or, when it is NULL, "UNKNOWN(<value>)" into `buf`; returns buf. */
const char *kn_pqr_name_or_number(const char *name, int64_t value, char *buf, size_t cap);

/* Writes the logical type into `buf`: "STRING", "INTEGER(32,true)", "DECIMAL(10,2)" (precision,
 * scale), "TIMESTAMP(MICROS,true)" (unit, isAdjustedToUTC), "TIME(MILLIS,false)", "LIST", ...,
 * "UNKNOWN_LOGICAL(<id>)" for a member kiln does not know, or "" when there is none. */
void kn_pqr_logical_format(const kn_pqr_logical *lt, char *buf, size_t cap);

/* Appends the display text of one plain-encoded value (a statistics bound) of the leaf column
 * `e` (borrowed) to `out`. Values whose size does not fit the type are shown as "0x<hex>".
 * Strings longer than `max_bytes` (0 = no limit) are cut there with "..." and their size.
 * Returns false when memory runs out. */
bool kn_pqr_value_format(const kn_pqr_schema_element *e, const uint8_t *v, size_t len, size_t max_bytes,
                         kn_buf *out);

/* True when kn_pqr_value_format shows values of `e` as (escaped) text, so a display can quote
 * them: strings and unannotated binary, not decimals, UUIDs, float16 or hex. */
bool kn_pqr_value_is_text(const kn_pqr_schema_element *e);

#endif
