/* formats/redshift/kn_rs_artifacts.h: the Redshift artifacts kiln writes at the output root,
 * generated as text into caller buffers (the caller writes the files, manifest last):
 *
 *   manifest.json  {"entries":[{"url":..., "mandatory":true, "meta":{"content_length":N}}]}:
 *                  one entry per data file in the order given, N its exact size. COPY needs
 *                  content_length for Parquet.
 *   table.sql      CREATE TABLE IF NOT EXISTS with the file's columns in file order (COPY maps
 *                  Parquet columns by position), NOT NULL for non-nullable columns, and
 *                  SORTKEY (...) from --sort-by.
 *   copy.sql       COPY table FROM '<base>manifest.json' IAM_ROLE '...' FORMAT AS PARQUET
 *                  MANIFEST;
 *   spectrum.sql   CREATE EXTERNAL TABLE over the same files (partition keys in PARTITIONED BY,
 *                  not in the column list, since Spectrum rejects a column and a partition key
 *                  of one name), then ALTER TABLE ... ADD IF NOT EXISTS PARTITION (k='v', ...)
 *                  LOCATION '...' for every partition folder, at most 100 a statement (Redshift's
 *                  limit). Unpartitioned output points LOCATION at manifest.json, because
 *                  Spectrum would otherwise read manifest.json and the .sql files at the root
 *                  as data; Spectrum accepts a COPY-style manifest as a LOCATION.
 *   upsert.sql     BEGIN; CREATE TEMP TABLE stage (LIKE target); COPY stage ...; DELETE FROM
 *                  target USING stage WHERE target.k = stage.k [AND ...]; INSERT INTO target
 *                  SELECT * FROM stage; END; DROP TABLE stage;  (rows with a NULL merge key never
 *                  match, as with SQL equality.)
 *
 * URLs are `base_url` joined with each relative path ('/' added between when missing): the
 * --url-prefix (s3://bucket/prefix/) when given, else the output location itself.
 * Every generator appends to `out` and leaves it unchanged on failure. Output is a pure function
 * of the job, so the same job gives byte-identical files. */
#ifndef KN_RS_ARTIFACTS_H
#define KN_RS_ARTIFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_types.h"

#define KN_RS_MANIFEST_FILE "manifest.json"
#define KN_RS_TABLE_FILE "table.sql"
#define KN_RS_COPY_FILE "copy.sql"
#define KN_RS_SPECTRUM_FILE "spectrum.sql"
#define KN_RS_UPSERT_FILE "upsert.sql"

#define KN_RS_IAM_ROLE_PLACEHOLDER "<IAM_ROLE_ARN>"
#define KN_RS_DEFAULT_EXTERNAL_SCHEMA "spectrum"
/* Redshift adds at most 100 partitions in one ALTER TABLE ... ADD PARTITION statement. */
#define KN_RS_PARTITIONS_PER_ALTER 100

/* One data file. */
typedef struct kn_rs_file {
    const char *path; /* borrowed; relative to the output root, '/'-separated, e.g.
                         "year=2024/month=3/part-00000.parquet"; no "." or ".." segments, and the
                         file name must not start with '_' or '.' (readers skip such files) */
    uint64_t size;    /* exact bytes */
} kn_rs_file;

/* One partition key, in --partition-by order (from kn_part_spec: key.name, key.type, and the
 * schema name of the source column for identity keys). */
typedef struct kn_rs_part_col {
    const char *name;   /* borrowed; the folder key ("year", "region"): lowercase */
    kn_type type;       /* the key value's type (INT32 for year/month/day/hour, DATE for date) */
    const char *column; /* borrowed; for an identity key, the source column's name; NULL for a
                           derived key such as year(ts) */
} kn_rs_part_col;

typedef struct kn_rs_job {
    const kn_schema *schema;    /* borrowed; the columns of the data files, in file order */
    const size_t *max_bytes;    /* borrowed, schema->num_fields entries or NULL: the longest
                                   string value of each column in bytes (KN_RS_LEN_UNKNOWN or
                                   NULL: unknown, VARCHAR(65535)) */
    const bool *is_json;        /* borrowed, schema->num_fields entries or NULL: string columns
                                   that hold nested JSON text (SUPER) */
    const char *table;          /* borrowed; --table [database.][schema.]name (required) */
    const char *const *sort_keys;  /* borrowed; --sort-by column names */
    size_t num_sort_keys;
    const char *const *merge_keys; /* borrowed; --merge-key column names (upsert.sql needs one) */
    size_t num_merge_keys;
    const kn_rs_part_col *part_cols; /* borrowed; empty when the output is not partitioned */
    size_t num_part_cols;
    bool partition_columns_dropped; /* --drop-partition-columns: identity partition columns are
                                       not in `schema` (else they must be) */
    const kn_rs_file *files;    /* borrowed; the data files, sorted for byte-identical output */
    size_t num_files;
    const char *base_url;       /* borrowed; --url-prefix or the output location (required) */
    const char *iam_role;       /* borrowed; NULL: '<IAM_ROLE_ARN>' for the user to fill */
    const char *external_schema; /* borrowed; NULL: "spectrum" */
} kn_rs_job;

/* Zeroes the job; the NULL defaults above apply. */
void kn_rs_job_init(kn_rs_job *job);

/* Column names given by the user (--sort-by, --merge-key) match a schema field exactly, or else
 * ignoring ASCII case when that is unique. Unknown names fail with KN_E_USAGE. Two schema
 * columns that are the same name once lowercased fail with KN_E_USAGE (Redshift folds names).
 * A missing table (SQL only), base URL, or a control character in the URL, role or schema fails with
 * KN_E_USAGE; a malformed file path or partition folder (a kiln bug) with KN_E_INTERNAL. */
kn_status kn_rs_manifest_json(const kn_rs_job *job, kn_buf *out, kn_error *err);
kn_status kn_rs_table_sql(const kn_rs_job *job, kn_buf *out, kn_error *err);
kn_status kn_rs_copy_sql(const kn_rs_job *job, kn_buf *out, kn_error *err);
kn_status kn_rs_spectrum_sql(const kn_rs_job *job, kn_buf *out, kn_error *err);
/* Fails with KN_E_USAGE when the job has no merge keys. */
kn_status kn_rs_upsert_sql(const kn_rs_job *job, kn_buf *out, kn_error *err);

#endif
