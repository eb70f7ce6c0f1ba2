/* kernels/kn_partition.h: Hive-style partition keys: parsing `--partition-by`, the value text of
 * a row, Hive path escaping, the relative folder path ("year=2024/month=3/"), a routing hash,
 * civil-calendar helpers, and the per-partition file-count plan for `--slices`.
 *
 * Pure functions: no I/O, no globals. Outputs go to caller-owned kn_buf (which grow through
 * kn_alloc) or to caller-sized arrays with a _bound/_MAX helper.
 *
 * Folder layout (what Hive, Spark, Athena and Redshift Spectrum expect):
 *   - one "key=value/" segment per key, in the order of the spec;
 *   - the key is the column name lowercased (ASCII), as Hive's makePartName does, because
 *     Athena/Glue partition discovery only matches lowercase keys;
 *   - key and value are escaped with Hive's FileUtils.escapePathName list: bytes 0x00-0x1F,
 *     0x7F and  " # % ' * / : = ? \ { [ ] ^  become %XX (uppercase hex);
 *   - valid multi-byte UTF-8 passes through unchanged, as in Hive. Hive, Spark and Trino decode
 *     each %XX to ONE character, so escaping the bytes of "é" would read back as "Ã©"; bytes that
 *     are not valid UTF-8 cannot live in an S3 key and are escaped. KN_HIVE_ESCAPE_NON_ASCII
 *     escapes every byte >= 0x80 instead, for stores that want pure-ASCII keys;
 *   - a null or empty value is __HIVE_DEFAULT_PARTITION__.
 *
 * Value text by type: strings as is; bools true/false; integers in decimal; decimals with
 * exactly `scale` fraction digits ("-0.05"); float64 in the shortest form that reads back to
 * the same double ("NaN", "Infinity", "-Infinity"); dates ISO YYYY-MM-DD; timestamps
 * "YYYY-MM-DD HH:MM:SS" plus ".f" with trailing zeros dropped when there are microseconds
 * (the wall-clock or UTC time as stored; no zone suffix). Years outside 0000..9999 use the
 * ISO 8601 expanded form (-0044-03-15, +10000-01-01). year/month/day/hour are integers without
 * padding (month=3), date(col) is the ISO date. */
#ifndef KN_PARTITION_H
#define KN_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_types.h"

/* ---- Partition spec ------------------------------------------------------------------------ */

typedef enum kn_part_fn {
    KN_PART_IDENTITY = 0, /* the column's own value */
    KN_PART_YEAR,         /* year(col): timestamp or date -> int32 */
    KN_PART_MONTH,        /* month(col): 1..12 */
    KN_PART_DAY,          /* day(col): day of the month, 1..31 */
    KN_PART_HOUR,         /* hour(col): 0..23; timestamps only */
    KN_PART_DATE          /* date(col): timestamp or date -> date */
} kn_part_fn;

#define KN_PART_MAX_KEYS 16
/* Redshift and Glue identifiers are at most 127 bytes; a longer key could not be a column. */
#define KN_PART_NAME_MAX 128
/* The escaped key plus '=': at most 3 bytes per name byte. */
#define KN_PART_DIR_KEY_MAX (3 * (KN_PART_NAME_MAX - 1) + 2)

typedef struct kn_part_key {
    kn_part_fn fn;
    size_t column;                      /* index of the source column in the schema */
    kn_type source_type;                /* that column's type */
    kn_type type;                       /* the key value's type: source type (identity),
                                           INT32 (year/month/day/hour) or DATE (date) */
    char name[KN_PART_NAME_MAX];        /* the folder key: lowercased column name, or
                                           "year", "month", "day", "hour", "date" */
    char dir_key[KN_PART_DIR_KEY_MAX];  /* Hive-escaped name followed by '=' */
    size_t dir_key_len;
} kn_part_key;

typedef struct kn_part_spec {
    size_t num_keys;
    kn_part_key keys[KN_PART_MAX_KEYS];
} kn_part_spec;

/* Parses `text` ("year(ts),region", "date(ts), \"Odd,Name\"") against `schema` (borrowed;
 * only read during the call) into *out. Items are separated by ','; an item is a column name
 * or fn(column) with fn one of year, month, day, hour, date (any case); a column name may be
 * double-quoted ("" for a quote) to hold ',', '(' or spaces. Column names match exactly.
 * Fails with KN_E_USAGE and a message naming the item on: an empty spec or item, an unknown
 * column or function, a function on a column that is not a timestamp or date (hour() needs a
 * timestamp), two keys with the same folder name (year(a),year(b); or region,REGION), a name
 * longer than 127 bytes, or more than KN_PART_MAX_KEYS keys. */
kn_status kn_part_spec_parse(const char *text, const kn_schema *schema, kn_part_spec *out,
                             kn_error *err);

/* True when the key's folder name is `name` (the spec's lowercased name, compared exactly). */
bool kn_part_spec_has_key(const kn_part_spec *spec, const char *name);
/* True when schema column `column` is the source of an identity key: the column that
 * --drop-partition-columns leaves out of the files (derived keys such as year(ts) never drop
 * their source column). */
bool kn_part_spec_is_partition_column(const kn_part_spec *spec, size_t column);

/* ---- Values and paths ---------------------------------------------------------------------- */

/* Appends the raw (unescaped) value text of `key` for row `row` of `batch` (borrowed) to `out`.
 * For a null value appends nothing and sets *is_null; an empty string appends nothing with
 * *is_null false (both become __HIVE_DEFAULT_PARTITION__ in a path). Fails with KN_E_INTERNAL
 * when the batch column's type is not the key's source type or the row is out of range, and
 * KN_E_NOMEM when `out` cannot grow. */
kn_status kn_part_value_append(const kn_part_key *key, const kn_batch *batch, size_t row,
                               kn_buf *out, bool *is_null, kn_error *err);

#define KN_HIVE_DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"
#define KN_HIVE_DEFAULT_PARTITION_LEN 26

enum {
    KN_HIVE_ESCAPE_NON_ASCII = 1u /* escape every byte >= 0x80, not only invalid UTF-8 */
};

/* Bytes kn_hive_escape may write for `len` input bytes. */
static inline size_t kn_hive_escape_bound(size_t len) {
    return len == 0 ? KN_HIVE_DEFAULT_PARTITION_LEN
                    : (len > SIZE_MAX / 3 ? SIZE_MAX : 3 * len);
}
/* Writes the Hive-escaped form of `s` (`len` bytes) to `out` (kn_hive_escape_bound(len) bytes)
 * and returns its length. An empty input gives __HIVE_DEFAULT_PARTITION__. */
size_t kn_hive_escape(const void *s, size_t len, unsigned flags, char *out);
/* The same, appended to a buffer. Returns false when memory runs out. */
bool kn_hive_escape_append(kn_buf *out, const void *s, size_t len, unsigned flags);
/* Decodes %XX escapes (either case of hex) into `out` (at most `len` bytes) and returns the
 * length; a '%' not followed by two hex digits is kept, as Hive's unescapePathName does. */
size_t kn_hive_unescape(const char *s, size_t len, char *out);

/* Appends the relative folder path of row `row` ("year=2024/month=3/region=eu%2Fwest/") to
 * `out`. An empty spec appends nothing. `flags` are the kn_hive_escape flags for the values (key
 * names were escaped once, by kn_part_spec_parse, with Hive's list). On failure `out` is as it
 * was. Errors as kn_part_value_append. */
kn_status kn_part_path_append(const kn_part_spec *spec, const kn_batch *batch, size_t row,
                              unsigned flags, kn_buf *out, kn_error *err);

/* A 64-bit routing hash of a folder path (XXH3, seed 0): equal paths, equal hashes. */
uint64_t kn_part_path_hash(const void *path, size_t len);

/* ---- Civil calendar (proleptic Gregorian, any int64 day count from timestamps) -------------- */

/* Days since 1970-01-01 -> year, month (1..12), day (1..31). Exact for |days| < 2^61. */
void kn_part_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* The inverse. month 1..12, day 1..31 (not checked against the month's length). */
int64_t kn_part_days_from_civil(int64_t year, unsigned month, unsigned day);
/* Floor division and modulo of timestamp micros into whole days and micros of the day, so
 * that times before 1970 fall on the right day (-1 us is 1969-12-31 23:59:59.999999). */
void kn_part_split_micros(int64_t micros, int64_t *days, int64_t *micros_of_day);

/* Writes the text of a date (days since 1970-01-01) or a timestamp (micros since 1970-01-01
 * 00:00:00) followed by a NUL, and returns its length without the NUL. */
#define KN_PART_DATE_TEXT_MAX 32
#define KN_PART_TIMESTAMP_TEXT_MAX 48
size_t kn_part_format_date(int64_t days, char out[KN_PART_DATE_TEXT_MAX]);
size_t kn_part_format_timestamp(int64_t micros, char out[KN_PART_TIMESTAMP_TEXT_MAX]);

/* ---- File-count plan for --slices ---------------------------------------------------------- */

typedef struct kn_part_file_plan {
    uint64_t num_files;      /* 0 when the partition has no rows */
    uint64_t rows_per_file;  /* every file gets this many rows ... */
    uint64_t files_with_extra_row; /* ... and the first this-many files one more */
    uint64_t bytes_per_file; /* estimate: total_bytes / num_files, rounded up */
    bool slices_met;         /* num_files is a multiple of `slices` (false only when the
                                partition has fewer rows than slices) */
} kn_part_file_plan;

/* Plans the files of one partition of `total_rows` rows and about `total_bytes` bytes (0 when
 * unknown) for files of at most about `target_file_bytes`, with a file count that is a multiple
 * of `slices` (0 or 1: any count) so every Redshift slice loads the same number of files.
 * The count is the smallest multiple of `slices` that keeps files at or under the target,
 * at least `slices`, and never more than the rows (one row per file at most): when rows are
 * fewer than the smallest multiple, the largest multiple that fits is used, or one file per
 * row when rows < slices. Rows are dealt evenly, so file sizes differ by at most one row: within
 * 25% of each other whenever each file has 4 rows or more.
 * Fails with KN_E_USAGE when target_file_bytes is 0. */
kn_status kn_part_plan_files(uint64_t total_bytes, uint64_t total_rows, uint64_t target_file_bytes,
                             uint32_t slices, kn_part_file_plan *out, kn_error *err);

/* Rows of file `i` (0-based) under `plan`. */
static inline uint64_t kn_part_plan_rows_in_file(const kn_part_file_plan *plan, uint64_t i) {
    return plan->rows_per_file + (i < plan->files_with_extra_row ? 1u : 0u);
}

#endif
