/* engine/exec/kn_schema_file.h: the `--schema FILE` format (YAML), read and written.
 *
 *   columns:
 *     - name: order_id
 *       type: int64          # string, bool, int32, int64, float64, decimal(p,s), date,
 *                            # timestamp, timestamptz (aliases: int, bigint, double, ...)
 *       nullable: false      # default true
 *     - name: ts
 *       type: timestamptz
 *     - name: day
 *       type: date
 *       format: "%d/%m/%Y"   # optional, dates and timestamps only: strptime-like text
 *                            # (kernels/kn_parse_time.h); default/"iso8601" is ISO-8601
 *
 * `kiln infer` prints this format, so an inferred schema can be saved, edited and given back. */
#ifndef KN_SCHEMA_FILE_H
#define KN_SCHEMA_FILE_H

#include <stdio.h>

#include "kn_schema.h"
#include "kn_status.h"

/* Parses `path`. On success *out is a new schema the caller frees with kn_schema_free. Errors
 * are KN_E_USAGE naming the file, line and column of the offending YAML node. */
kn_status kn_schema_file_load(const char *path, kn_schema **out, kn_error *err);
/* The same from bytes in memory; `name` (borrowed) is used in messages. */
kn_status kn_schema_file_parse(const char *text, size_t len, const char *name, kn_schema **out,
                               kn_error *err);
/* Writes `schema` in the format above. */
void kn_schema_file_write(const kn_schema *schema, FILE *out);

#endif
