/* engine/exec/kn_artifacts.h: the run's Redshift artifacts at the output root, written after
 * every data file is in place and manifest.json last (kn_rs_artifacts.h makes the text):
 *
 *   table.sql     CREATE TABLE --table (default public.<OUTDIR's folder name, lowercased, any
 *                 character outside [a-z0-9_] as '_'>), VARCHAR(n) from the longest value
 *                 written per string column, SORTKEY from --sort-by;
 *   copy.sql      COPY ... FROM '<base>manifest.json' with --iam-role or a placeholder;
 *   spectrum.sql  CREATE EXTERNAL TABLE plus ADD PARTITION for every partition folder written;
 *   upsert.sql    only with --merge-key (a merge needs a key; without one there is nothing
 *                 sound to write);
 *   manifest.json one entry per data file of this run, exact sizes, URLs = --url-prefix (or the
 *                 absolute output folder) joined with the relative path.
 *
 * kn_artifacts_check runs every generator once on a stand-in file before any input is read, so
 * a bad --table, --merge-key or a Spectrum name clash fails in a second (exit 1), not after the
 * conversion. */
#ifndef KN_ARTIFACTS_H
#define KN_ARTIFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_commit.h"
#include "kn_part_sink.h"
#include "kn_partition.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_store.h"

typedef struct kn_artifacts_spec {
    const kn_schema *schema;      /* borrowed; the files' columns */
    const kn_schema *in_schema;   /* borrowed; the input's columns (partition sources) */
    const kn_part_spec *part;     /* borrowed; NULL: not partitioned */
    bool partition_columns_dropped;
    const size_t *sort_cols;      /* borrowed; --sort-by as in_schema indexes */
    size_t num_sort_cols;
    const char *merge_key;        /* borrowed; the --merge-key text or NULL */
    const char *table;            /* borrowed; --table or NULL for the default */
    const char *out_dir;          /* borrowed; for the default table name and URL */
    kn_store *store;              /* borrowed; where out_dir is (its absolute name makes the
                                     default URL); NULL: the local file system */
    const char *url_prefix;       /* borrowed; NULL: the absolute output folder */
    const char *iam_role;         /* borrowed; NULL: placeholder */
    const char *external_schema;  /* borrowed; NULL: "spectrum" */
} kn_artifacts_spec;

/* Fails with KN_E_USAGE on anything the generators would refuse. */
kn_status kn_artifacts_check(const kn_artifacts_spec *spec, kn_error *err);

/* Writes the artifacts for `files` (borrowed) with the longest strings `max_string` (per column
 * of spec->schema) into OUTDIR through `commit`, manifest.json last. */
kn_status kn_artifacts_write(const kn_artifacts_spec *spec, kn_commit *commit,
                             const kn_part_file *files, size_t num_files, const size_t *max_string,
                             kn_error *err);

#endif
