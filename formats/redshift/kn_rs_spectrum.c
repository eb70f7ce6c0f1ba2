/* formats/redshift/kn_rs_spectrum.c: spectrum.sql, the external table over the output and one
 * ADD PARTITION per partition folder. The partitions are read back from the data files' own
 * folders ("year=2024/region=eu%2Fwest/"), so the SQL names exactly the folders that exist. */
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_rs_internal.h"

typedef struct folder {
    const char *dir; /* into a file path; ends with '/' */
    size_t len;
} folder;

static int cmp_folder(const void *pa, const void *pb) {
    const folder *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->dir, b->dir, n);
    if (c) return c;
    return (a->len > b->len) - (a->len < b->len);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Hive's unescapePathName: %XX to the byte, anything else as is. `out` holds `len` bytes. */
static size_t unescape(const char *s, size_t len, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && len - i >= 3) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out[o++] = s[i];
    }
    return o;
}

/* One "key=value" level of a partition folder, both halves still escaped. */
typedef struct segment {
    const char *key, *value;
    size_t key_len, value_len;
} segment;

/* Splits a folder into exactly `n` segments, checking each key against the partition columns. */
static kn_status split_folder(const folder *f, const kn_rs_job *job, segment *segs, char *scratch,
                              kn_error *err) {
    const char *p = f->dir, *end = f->dir + f->len;
    for (size_t k = 0; k < job->num_part_cols; k++) {
        const char *slash = p < end ? memchr(p, '/', (size_t)(end - p)) : NULL;
        KN_RETURN_ERROR_IF(!slash, err, KN_E_INTERNAL,
                           "partition folder '%.*s' has fewer than %zu key=value levels",
                           (int)f->len, f->dir, job->num_part_cols);
        const char *eq = memchr(p, '=', (size_t)(slash - p));
        KN_RETURN_ERROR_IF(!eq, err, KN_E_INTERNAL,
                           "partition folder '%.*s': level %zu is not key=value", (int)f->len,
                           f->dir, k + 1);
        segs[k].key = p;
        segs[k].key_len = (size_t)(eq - p);
        segs[k].value = eq + 1;
        segs[k].value_len = (size_t)(slash - eq - 1);
        size_t kl = unescape(segs[k].key, segs[k].key_len, scratch);
        const char *want = job->part_cols[k].name;
        KN_RETURN_ERROR_IF(kl != strlen(want) || memcmp(scratch, want, kl) != 0, err,
                           KN_E_INTERNAL,
                           "partition folder '%.*s': level %zu is key '%.*s', expected '%s'",
                           (int)f->len, f->dir, k + 1, (int)kl, scratch, want);
        p = slash + 1;
    }
    KN_RETURN_ERROR_IF(p != end, err, KN_E_INTERNAL,
                       "partition folder '%.*s' has more than %zu key=value levels", (int)f->len,
                       f->dir, job->num_part_cols);
    return KN_OK;
}

/* Which schema columns the external table lists: all but the identity partition columns still
 * inside the files (Spectrum takes their values from the folders instead). */
static kn_status pick_columns(const kn_rs_job *job, bool *listed, size_t *num_listed,
                              kn_error *err) {
    const kn_schema *s = job->schema;
    for (size_t i = 0; i < s->num_fields; i++) listed[i] = true;
    for (size_t k = 0; k < job->num_part_cols; k++) {
        const kn_rs_part_col *pc = &job->part_cols[k];
        KN_RETURN_ERROR_IF(!pc->name || !*pc->name, err, KN_E_INTERNAL,
                           "partition key %zu has no name", k + 1);
        for (size_t j = 0; j < k; j++)
            KN_RETURN_ERROR_IF(kn__rs_same_name(job->part_cols[j].name, pc->name), err,
                               KN_E_USAGE, "two partition keys are named '%s'", pc->name);
        if (!pc->column) continue;
        long idx = kn_schema_find(s, pc->column, strlen(pc->column));
        KN_RETURN_ERROR_IF(idx >= 0 && job->partition_columns_dropped, err, KN_E_INTERNAL,
                           "partition column '%s' is in the file schema although partition "
                           "columns are dropped",
                           pc->column);
        KN_RETURN_ERROR_IF(idx < 0 && !job->partition_columns_dropped, err, KN_E_INTERNAL,
                           "partition column '%s' is missing from the file schema although "
                           "partition columns are kept",
                           pc->column);
        if (idx >= 0) listed[idx] = false;
    }
    *num_listed = 0;
    for (size_t i = 0; i < s->num_fields; i++) {
        if (!listed[i]) continue;
        for (size_t k = 0; k < job->num_part_cols; k++)
            KN_RETURN_ERROR_IF(kn__rs_same_name(s->fields[i].name, job->part_cols[k].name), err,
                               KN_E_USAGE,
                               "column '%s' has the name of partition key '%s', and a Spectrum "
                               "table cannot hold both; rename the column",
                               s->fields[i].name, job->part_cols[k].name);
        (*num_listed)++;
    }
    KN_RETURN_ERROR_IF(*num_listed == 0, err, KN_E_USAGE,
                       "a Spectrum table needs at least one column besides the partition keys");
    return KN_OK;
}

/* The distinct partition folders of the files, sorted bytewise (so the SQL does not depend on
 * the order files were written in), and the longest unescaped value of each key. */
static kn_status collect_folders(const kn_rs_job *job, folder **out, size_t *num,
                                 size_t *max_value, char *scratch, kn_error *err) {
    *out = NULL;
    *num = 0;
    if (job->num_part_cols == 0 || job->num_files == 0) return KN_OK;
    folder *fs = kn_malloc(job->num_files * sizeof *fs);
    KN_RETURN_ERROR_IF(!fs, err, KN_E_NOMEM, "out of memory listing partition folders");
    for (size_t i = 0; i < job->num_files; i++) {
        const char *path = job->files[i].path;
        const char *slash = strrchr(path, '/');
        if (!slash) {
            kn_free(fs);
            return kn_error_set(err, KN_E_INTERNAL,
                                "data file '%s' is not inside a partition folder", path);
        }
        fs[i].dir = path;
        fs[i].len = (size_t)(slash - path) + 1;
    }
    qsort(fs, job->num_files, sizeof *fs, cmp_folder);
    size_t n = 0;
    segment segs[64];
    for (size_t i = 0; i < job->num_files; i++) {
        if (n > 0 && cmp_folder(&fs[n - 1], &fs[i]) == 0) continue;
        fs[n] = fs[i];
        kn_status st = split_folder(&fs[n], job, segs, scratch, err);
        if (st != KN_OK) {
            kn_free(fs);
            return st;
        }
        for (size_t k = 0; k < job->num_part_cols; k++) {
            size_t vl = unescape(segs[k].value, segs[k].value_len, scratch);
            if (vl > max_value[k]) max_value[k] = vl;
        }
        n++;
    }
    *out = fs;
    *num = n;
    return KN_OK;
}

static void external_name(kn__rs_w *w, const kn_rs_job *job, const kn_rs_name *name,
                          kn_status *st, kn_error *err) {
    const char *schema = job->external_schema && *job->external_schema
                             ? job->external_schema
                             : KN_RS_DEFAULT_EXTERNAL_SCHEMA;
    if (*st == KN_OK) *st = kn__rs_ident(w, schema, err);
    kn__rs_puts(w, ".");
    if (*st == KN_OK) *st = kn__rs_ident(w, kn_rs_name_table(name), err);
}

static kn_status write_sql(kn__rs_w *w, const kn_rs_job *job, const kn_rs_name *name,
                           const bool *listed, const folder *fs, size_t num_folders,
                           const size_t *max_value, char *scratch, kn_error *err) {
    const kn_schema *s = job->schema;
    const char *schema = job->external_schema && *job->external_schema
                             ? job->external_schema
                             : KN_RS_DEFAULT_EXTERNAL_SCHEMA;
    const char *role = job->iam_role && *job->iam_role ? job->iam_role : KN_RS_IAM_ROLE_PLACEHOLDER;
    kn_status st = KN_OK;

    kn__rs_puts(w, "-- Generated by kiln. A Redshift Spectrum external table over the data "
                   "files. It needs an external\n-- schema first, for example:\n--   CREATE "
                   "EXTERNAL SCHEMA ");
    st = kn__rs_ident(w, schema, err);
    kn__rs_puts(w, " FROM DATA CATALOG DATABASE ");
    kn__rs_literal(w, schema, strlen(schema));
    kn__rs_puts(w, "\n--   IAM_ROLE ");
    kn__rs_literal(w, role, strlen(role));
    kn__rs_puts(w, " CREATE EXTERNAL DATABASE IF NOT EXISTS;\n-- CREATE EXTERNAL TABLE cannot "
                   "run inside a transaction block.\nCREATE EXTERNAL TABLE ");
    external_name(w, job, name, &st, err);
    kn__rs_puts(w, " (\n");
    size_t written = 0, total = 0;
    for (size_t i = 0; i < s->num_fields; i++) total += listed[i];
    for (size_t i = 0; i < s->num_fields && st == KN_OK; i++) {
        if (!listed[i]) continue;
        char type[KN_RS_TYPE_TEXT_MAX];
        st = kn__rs_column_type(job, i, KN_RS_SPECTRUM, type, err);
        if (st != KN_OK) break;
        kn__rs_puts(w, "    ");
        st = kn__rs_ident(w, s->fields[i].name, err);
        kn__rs_puts(w, " ");
        kn__rs_puts(w, type);
        kn__rs_puts(w, ++written < total ? ",\n" : "\n");
    }
    kn__rs_puts(w, ")\n");
    if (job->num_part_cols) {
        kn__rs_puts(w, "PARTITIONED BY (");
        for (size_t k = 0; k < job->num_part_cols && st == KN_OK; k++) {
            char type[KN_RS_TYPE_TEXT_MAX];
            st = kn_rs_type_text(job->part_cols[k].type, max_value[k], false, KN_RS_SPECTRUM, type,
                                 err);
            if (st != KN_OK) break;
            if (k) kn__rs_puts(w, ", ");
            st = kn__rs_ident(w, job->part_cols[k].name, err);
            kn__rs_puts(w, " ");
            kn__rs_puts(w, type);
        }
        kn__rs_puts(w, ")\n");
    }
    kn__rs_puts(w, "STORED AS PARQUET\nLOCATION ");
    if (job->num_part_cols) {
        kn__rs_url_literal(w, job->base_url, "", 0);
    } else {
        /* The root also holds manifest.json and the .sql files, which Spectrum would read as
         * data; a manifest LOCATION names exactly the data files. */
        kn__rs_url_literal(w, job->base_url, KN_RS_MANIFEST_FILE, strlen(KN_RS_MANIFEST_FILE));
    }
    kn__rs_puts(w, ";\n");

    segment segs[64];
    for (size_t i = 0; i < num_folders && st == KN_OK; i++) {
        if (i % KN_RS_PARTITIONS_PER_ALTER == 0) {
            kn__rs_puts(w, "\nALTER TABLE ");
            external_name(w, job, name, &st, err);
            kn__rs_puts(w, " ADD IF NOT EXISTS");
        }
        st = split_folder(&fs[i], job, segs, scratch, err);
        if (st != KN_OK) break;
        kn__rs_puts(w, "\nPARTITION (");
        for (size_t k = 0; k < job->num_part_cols && st == KN_OK; k++) {
            if (k) kn__rs_puts(w, ", ");
            st = kn__rs_ident(w, job->part_cols[k].name, err);
            kn__rs_puts(w, "=");
            /* Spectrum takes every partition value as a string literal and casts it to the
             * key's type; the default partition's name is kept, as Hive and Glue register it. */
            size_t vl = unescape(segs[k].value, segs[k].value_len, scratch);
            kn__rs_literal(w, scratch, vl);
        }
        kn__rs_puts(w, ") LOCATION ");
        kn__rs_url_literal(w, job->base_url, fs[i].dir, fs[i].len);
        if (i + 1 == num_folders || (i + 1) % KN_RS_PARTITIONS_PER_ALTER == 0) kn__rs_puts(w, ";\n");
    }
    return st;
}

kn_status kn_rs_spectrum_sql(const kn_rs_job *job, kn_buf *out, kn_error *err) {
    kn_rs_name name;
    KN_TRY(kn__rs_check_job(job, &name, err));
    KN_RETURN_ERROR_IF(job->num_part_cols > 64, err, KN_E_USAGE,
                       "a Spectrum table takes at most 64 partition keys here");
    for (size_t i = 0; i < job->num_files; i++) KN_TRY(kn__rs_check_file(&job->files[i], err));

    const kn_schema *s = job->schema;
    size_t longest = 0;
    for (size_t i = 0; i < job->num_files; i++) {
        size_t l = strlen(job->files[i].path);
        if (l > longest) longest = l;
    }
    bool *listed = kn_malloc(s->num_fields ? s->num_fields * sizeof *listed : 1);
    char *scratch = kn_malloc(longest + 1);
    size_t max_value[64] = {0};
    folder *fs = NULL;
    size_t num_folders = 0;
    kn_status st = (!listed || !scratch)
                       ? kn_error_set(err, KN_E_NOMEM, "out of memory writing spectrum.sql")
                       : KN_OK;
    size_t num_listed = 0;
    if (st == KN_OK) st = pick_columns(job, listed, &num_listed, err);
    if (st == KN_OK) st = collect_folders(job, &fs, &num_folders, max_value, scratch, err);
    if (st == KN_OK) {
        kn__rs_w w;
        kn__rs_begin(&w, out);
        st = write_sql(&w, job, &name, listed, fs, num_folders, max_value, scratch, err);
        st = kn__rs_end(&w, st, err);
    }
    kn_free(fs);
    kn_free(scratch);
    kn_free(listed);
    return st;
}
