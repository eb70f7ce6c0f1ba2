/* engine/exec/kn_artifacts.c: building the Redshift job from the run and writing the artifact
 * files (kn_artifacts.h). */
#include "kn_artifacts.h"

#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_rs_artifacts.h"
#include "kn_sort_cols.h"
#include "kn_store_local.h"

typedef struct job_parts {
    kn_rs_job job;
    kn_rs_part_col part_cols[KN_PART_MAX_KEYS];
    const char **sort_names;
    size_t *merge_cols;
    const char **merge_names;
    bool *is_json; /* per column of spec->schema: a json column (SUPER in table.sql) */
    char table[160];
    char *base_url;
} job_parts;

/* The default table: public.<the output folder's name>, made a plain identifier so it never
 * needs quoting and is the same whatever the spelling of the path. */
static void default_table(const char *out_dir, char *buf, size_t cap) {
    size_t len = strlen(out_dir);
    while (len > 1 && out_dir[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && out_dir[start - 1] != '/') start--;
    char name[128];
    size_t n = 0;
    for (size_t i = start; i < len && n < sizeof name - 1; i++) {
        char ch = out_dir[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        name[n++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ? ch : '_';
    }
    name[n] = '\0';
    bool plain = n > 0 && strspn(name, "_") < n && strcmp(name, ".") && strcmp(name, "..");
    if (!plain) snprintf(name, sizeof name, "kiln_output");
    else if (name[0] >= '0' && name[0] <= '9') {
        memmove(name + 1, name, n < sizeof name - 1 ? n + 1 : sizeof name - 1);
        name[0] = '_';
        name[sizeof name - 1] = '\0';
    }
    snprintf(buf, cap, "public.%s", name);
}

/* The absolute output folder with a trailing '/' into *out (kn_malloc'd, the caller's), as the
 * URL base when there is no prefix: the store's absolute name (local: the current folder joined
 * with a relative OUTDIR, "." and ".." segments and repeated slashes resolved by name, symbolic
 * links kept as written, as a shell or Node's path.resolve does). */
static kn_status absolute_base(const kn_artifacts_spec *spec, char **out, kn_error *err) {
    *out = NULL;
    kn_buf b = KN_BUF_INIT;
    kn_status st = kn_store_absolute(kn_store_or_local(spec->store), spec->out_dir, &b, err);
    if (st == KN_OK) {
        bool slash = b.len && b.data[b.len - 1] == '/';
        if ((!slash && !kn_buf_push(&b, '/')) || !kn_buf_push(&b, '\0') || !(*out = kn_strdup((const char *)b.data)))
            st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    kn_buf_free(&b);
    return st;
}

static void job_parts_free(job_parts *jp) {
    kn_free((void *)jp->sort_names);
    kn_free(jp->merge_cols);
    kn_free((void *)jp->merge_names);
    kn_free(jp->is_json);
    kn_free(jp->base_url);
}

static kn_status job_build(const kn_artifacts_spec *spec, job_parts *jp, kn_error *err) {
    memset(jp, 0, sizeof *jp);
    kn_rs_job *job = &jp->job;
    kn_rs_job_init(job);
    job->schema = spec->schema;
    /* A json column holds JSON texts: the table declares it SUPER and Spectrum VARCHAR(65535)
     * (kn_rs_types.h); the files hold it as a plain UTF-8 string either way. */
    size_t nf = spec->schema->num_fields;
    jp->is_json = kn_calloc(nf ? nf : 1, sizeof *jp->is_json);
    if (!jp->is_json) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nf; i++)
        jp->is_json[i] = spec->schema->fields[i].type.id == KN_TYPE_STRING && spec->schema->fields[i].type.json;
    job->is_json = jp->is_json;
    char *abs;
    KN_TRY(absolute_base(spec, &abs, err));
    default_table(abs, jp->table, sizeof jp->table);
    kn_free(abs);
    job->table = spec->table ? spec->table : jp->table;
    /* SORTKEY names only columns that are in the files (a dropped partition column is not). */
    jp->sort_names = kn_calloc(spec->num_sort_cols ? spec->num_sort_cols : 1, sizeof *jp->sort_names);
    if (!jp->sort_names) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < spec->num_sort_cols; i++) {
        const char *name = spec->in_schema->fields[spec->sort_cols[i]].name;
        if (kn_schema_find(spec->schema, name, strlen(name)) >= 0) jp->sort_names[job->num_sort_keys++] = name;
    }
    job->sort_keys = jp->sort_names;
    if (spec->merge_key) {
        size_t n = 0;
        KN_TRY(kn_sort_cols_parse(spec->merge_key, spec->schema, "--merge-key", &jp->merge_cols, &n, err));
        jp->merge_names = kn_calloc(n, sizeof *jp->merge_names);
        if (!jp->merge_names) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) jp->merge_names[i] = spec->schema->fields[jp->merge_cols[i]].name;
        job->merge_keys = jp->merge_names;
        job->num_merge_keys = n;
    }
    if (spec->part) {
        for (size_t k = 0; k < spec->part->num_keys; k++) {
            const kn_part_key *key = &spec->part->keys[k];
            jp->part_cols[k].name = key->name;
            jp->part_cols[k].type = key->type;
            jp->part_cols[k].column = key->fn == KN_PART_IDENTITY ? spec->in_schema->fields[key->column].name : NULL;
        }
        job->part_cols = jp->part_cols;
        job->num_part_cols = spec->part->num_keys;
    }
    job->partition_columns_dropped = spec->partition_columns_dropped && spec->part && spec->part->num_keys;
    if (spec->url_prefix) {
        jp->base_url = kn_strdup(spec->url_prefix);
    } else {
        KN_TRY(absolute_base(spec, &jp->base_url, err));
    }
    if (!jp->base_url) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    job->base_url = jp->base_url;
    job->iam_role = spec->iam_role;
    job->external_schema = spec->external_schema;
    return KN_OK;
}

typedef kn_status (*generator)(const kn_rs_job *, kn_buf *, kn_error *);

static const struct {
    const char *name;
    generator gen;
} sql_files[] = {
    {KN_RS_TABLE_FILE, kn_rs_table_sql},
    {KN_RS_COPY_FILE, kn_rs_copy_sql},
    {KN_RS_SPECTRUM_FILE, kn_rs_spectrum_sql},
    {KN_RS_UPSERT_FILE, kn_rs_upsert_sql},
};

/* Runs every generator (upsert only with merge keys), writing each result through `commit`
 * when it is not NULL, then the manifest. */
static kn_status generate(const job_parts *jp, kn_commit *commit, kn_error *err) {
    kn_buf text = KN_BUF_INIT;
    kn_status st = KN_OK;
    for (size_t i = 0; st == KN_OK && i < sizeof sql_files / sizeof *sql_files; i++) {
        if (sql_files[i].gen == kn_rs_upsert_sql && jp->job.num_merge_keys == 0) continue;
        kn_buf_clear(&text);
        st = sql_files[i].gen(&jp->job, &text, err);
        if (st == KN_OK && commit) st = kn_commit_write_file(commit, sql_files[i].name, text.data, text.len, err);
    }
    if (st == KN_OK) {
        kn_buf_clear(&text);
        st = kn_rs_manifest_json(&jp->job, &text, err);
    }
    if (st == KN_OK && commit) st = kn_commit_write_file(commit, KN_RS_MANIFEST_FILE, text.data, text.len, err);
    kn_buf_free(&text);
    return st;
}

kn_status kn_artifacts_check(const kn_artifacts_spec *spec, kn_error *err) {
    job_parts jp;
    kn_status st = job_build(spec, &jp, err);
    /* A stand-in data file inside a folder of the right shape. */
    kn_buf path = KN_BUF_INIT;
    bool ok = true;
    for (size_t k = 0; spec->part && k < spec->part->num_keys; k++)
        ok = ok && kn_buf_append(&path, spec->part->keys[k].dir_key, spec->part->keys[k].dir_key_len) &&
             kn_buf_append(&path, "x/", 2);
    ok = ok && kn_buf_append(&path, "part-00000.parquet", 19);
    if (st == KN_OK && !ok) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_rs_file file = {(const char *)path.data, 1};
    jp.job.files = &file;
    jp.job.num_files = 1;
    if (st == KN_OK) st = generate(&jp, NULL, err);
    kn_buf_free(&path);
    job_parts_free(&jp);
    return st;
}

static int cmp_file(const void *a, const void *b) {
    return strcmp(((const kn_rs_file *)a)->path, ((const kn_rs_file *)b)->path);
}

kn_status kn_artifacts_write(const kn_artifacts_spec *spec, kn_commit *commit,
                             const kn_part_file *files, size_t num_files, const size_t *max_string,
                             kn_error *err) {
    job_parts jp;
    kn_status st = job_build(spec, &jp, err);
    kn_rs_file *list = kn_malloc((num_files ? num_files : 1) * sizeof *list);
    if (st == KN_OK && !list) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) {
        for (size_t i = 0; i < num_files; i++) list[i] = (kn_rs_file){files[i].name, files[i].bytes};
        /* By path, so the manifest and the SQL are the same text for the same files. */
        qsort(list, num_files, sizeof *list, cmp_file);
        jp.job.files = list;
        jp.job.num_files = num_files;
        jp.job.max_bytes = max_string;
        st = generate(&jp, commit, err);
    }
    kn_free(list);
    job_parts_free(&jp);
    return st;
}
