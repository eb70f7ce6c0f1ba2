/* formats/ndjson/kn_ndjson.h: the NDJSON reader: bytes (one JSON object per line) into column
 * batches against a schema, or, with no schema, a walk over each record's top-level members
 * (schema inference uses that).
 *
 * Not thread-safe: one reader per thread. No allocation per value: a reader keeps its scratch
 * buffers (structural index, unescape space) across records and morsels.
 *
 * What the reader accepts and how values land (the contract users rely on):
 *   - Lines end with LF or CRLF; blank or whitespace-only lines are skipped (no record); a
 *     UTF-8 byte-order mark may lead the input when `at_file_start`.
 *   - Each line is exactly one JSON object (RFC 8259: all escapes, \uXXXX surrogate pairs;
 *     lone surrogates, control characters in strings and invalid UTF-8 are errors). A top-level
 *     array or scalar is a bad record. Nesting deeper than KN_NDJSON_MAX_DEPTH is refused.
 *   - Keys match column names exactly (byte for byte, after unescaping). Unknown keys are
 *     ignored but their values are still fully validated. A missing key is null. When a key
 *     appears twice the last value wins.
 *   - A nested object or array becomes its JSON text, exactly as written, in a string column;
 *     numbers and true/false into a string column keep their text; a JSON string is stored
 *     unescaped (its content, without quotes).
 *   - A json column (kn_type.json, what Redshift SUPER loads) stores every non-null value as
 *     its JSON text exactly as written in the input, so every stored value is itself valid
 *     JSON: objects and arrays as in a string column, a string WITH its quotes and escapes as
 *     written ("a\"b" stays the 6 bytes "a\"b"), numbers and true/false as their text. Escapes
 *     are still checked (a lone surrogate is a bad record, as in a string column). JSON null is
 *     a SQL null, not the text null.
 *   - Numbers load exactly (see kernels/kn_parse_number.h): integers must be integral and in
 *     range (1.0 and 2e3 are integral, 1.5 is refused); a decimal(p,s) keeps the digits as
 *     written and refuses more nonzero fraction digits than s ("12.345" into decimal(12,2) is a
 *     bad record, never rounded; "12.340" fits); float64 is correctly rounded and must be
 *     finite. Into a bool column, 0 and 1 are accepted; true/false into a number column are
 *     not.
 *   - A JSON string into a number, bool, date or timestamp column is cast as every reader
 *     casts text (kernels/kn_cast.h: spaces around it trimmed; numbers exactly, a leading '+'
 *     and leading zeros allowed, float64 also nan/inf/infinity; bool true/false, t/f, yes/no,
 *     y/n, 1/0 in any case). An empty string is an error, not a null.
 *   - Dates are YYYY-MM-DD; timestamps ISO-8601 (kernels/kn_parse_time.h), or the column's
 *     `format` when the schema gives one. A date alone into a timestamp column is midnight.
 *     Offsets: a timestamptz column (utc) converts to UTC (no offset = already UTC); a plain
 *     timestamp column keeps the wall clock as written and drops the offset, as PostgreSQL and
 *     Redshift do for TIMESTAMP.
 *   - A value that does not fit its column, or a null (or missing key) in a non-nullable
 *     column, makes the record bad: kn_ndjson_reader_next returns KN_E_DATA with err->what
 *     saying what is wrong, err->field naming the column, and err->byte_offset the absolute
 *     offset of the fault; no part of the record stays in the batch. */
#ifndef KN_NDJSON_H
#define KN_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_schema.h"
#include "kn_status.h"

#define KN_NDJSON_MAX_DEPTH 1024

typedef enum kn_ndjson_simd {
    KN_NDJSON_SIMD_AUTO = 0, /* AVX-512, else AVX2, as kn_cpu() has them (KILN_NO_SIMD=1: scalar) */
    KN_NDJSON_SIMD_SCALAR,   /* the scalar twin */
    KN_NDJSON_SIMD_AVX2,     /* AVX2; create fails with KN_E_UNSUPPORTED without it */
    KN_NDJSON_SIMD_AVX512    /* AVX-512 stage 1 (AVX2 for the rest); KN_E_UNSUPPORTED without it */
} kn_ndjson_simd;

typedef struct kn_ndjson_options {
    kn_ndjson_simd simd; /* default AUTO */
} kn_ndjson_options;

void kn_ndjson_options_init(kn_ndjson_options *opt);

typedef struct kn_ndjson_reader kn_ndjson_reader;

/* Creates a reader for `schema` (borrowed; must outlive the reader). A NULL schema makes a
 * scan-only reader for kn_ndjson_reader_scan. `opt` may be NULL for defaults. */
kn_status kn_ndjson_reader_create(const kn_schema *schema, const kn_ndjson_options *opt,
                                  kn_ndjson_reader **out, kn_error *err);

/* Points the reader at `data[0..len)` (borrowed until the next reset), which starts at byte
 * `base_offset` of input `name` (borrowed) and at a record boundary. A leading byte-order mark
 * is skipped when `at_file_start`. */
void kn_ndjson_reader_reset(kn_ndjson_reader *r, const uint8_t *data, size_t len, const char *name,
                            uint64_t base_offset, bool at_file_start);

/* Appends records to `batch` (whose columns match the reader's schema) until the range is used
 * up (KN_OK, *done true) or a record is bad (KN_E_DATA, see above; call again to go on after
 * it). Other statuses (KN_E_NOMEM) are fatal. */
kn_status kn_ndjson_reader_next(kn_ndjson_reader *r, kn_batch *batch, bool *done, kn_error *err);

/* The last bad record: the absolute offset of its first byte and its bytes (borrowed from the
 * data given to reset; the line without its line end). */
void kn_ndjson_reader_bad_record(const kn_ndjson_reader *r, uint64_t *offset, const uint8_t **data,
                                 size_t *len);

/* The length of the range given to the last reset (the reader reads all of it). */
size_t kn_ndjson_reader_range_len(const kn_ndjson_reader *r);

/* Records completed since the last reset, good and bad (blank lines are not records). */
uint64_t kn_ndjson_reader_records(const kn_ndjson_reader *r);

/* Which structural scanner the reader uses: "avx512", "avx2" or "scalar". */
const char *kn_ndjson_reader_simd_name(const kn_ndjson_reader *r);

/* Accepts NULL. */
void kn_ndjson_reader_free(kn_ndjson_reader *r);

/* ---- scan mode: one record's top-level members, for inference ---------------------------- */

typedef enum kn_json_kind {
    KN_JSON_NULL = 0,
    KN_JSON_FALSE,
    KN_JSON_TRUE,
    KN_JSON_NUMBER,
    KN_JSON_STRING,
    KN_JSON_OBJECT,
    KN_JSON_ARRAY
} kn_json_kind;

typedef struct kn_ndjson_member {
    const char *key; /* unescaped key bytes (may hold NUL), borrowed until the callback returns */
    size_t key_len;
    kn_json_kind kind;
    const char *text; /* STRING: the unescaped content; others: the JSON text as written */
    size_t text_len;
} kn_ndjson_member;

/* Returns KN_OK to go on; any other status stops the scan and is passed up. */
typedef kn_status (*kn_ndjson_member_fn)(void *ctx, const kn_ndjson_member *m, kn_error *err);

/* Parses the next record and calls `fn` for each of its top-level members, in the order
 * written (duplicates included). KN_OK with *done true when the range is used up (no call was
 * made); KN_E_DATA for a bad record as in kn_ndjson_reader_next (some members of it may have
 * been reported before the fault was found). */
kn_status kn_ndjson_reader_scan(kn_ndjson_reader *r, kn_ndjson_member_fn fn, void *ctx, bool *done,
                                kn_error *err);

/* Index just past the line end of the record holding byte `pos` (the next record's start), or
 * `len`. Morsels are cut with it. */
size_t kn_ndjson_record_end(const uint8_t *data, size_t len, size_t pos);

#endif
