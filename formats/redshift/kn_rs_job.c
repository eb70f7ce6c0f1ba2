/* formats/redshift/kn_rs_job.c: the job defaults, its checks, and the text helpers every
 * artifact generator shares. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kn_rs_internal.h"

void kn_rs_job_init(kn_rs_job *job) { memset(job, 0, sizeof *job); }

void kn__rs_begin(kn__rs_w *w, kn_buf *out) {
    w->out = out;
    w->start = out->len;
    w->nomem = false;
}

void kn__rs_putn(kn__rs_w *w, const char *s, size_t n) {
    if (!w->nomem && !kn_buf_append(w->out, s, n)) w->nomem = true;
}

void kn__rs_puts(kn__rs_w *w, const char *s) { kn__rs_putn(w, s, strlen(s)); }

void kn__rs_printf(kn__rs_w *w, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* Only short, kiln-made text goes through here (numbers, keywords); user text never does. */
    if (n < 0 || (size_t)n >= sizeof tmp) {
        w->nomem = true;
        return;
    }
    kn__rs_putn(w, tmp, (size_t)n);
}

void kn__rs_literal(kn__rs_w *w, const char *s, size_t n) {
    if (!w->nomem && !kn_rs_append_literal(w->out, s, n)) w->nomem = true;
}

/* The inside of a literal: ' and \ doubled (see kn_rs_sql.h). */
static void literal_body(kn__rs_w *w, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\') {
            kn__rs_putn(w, s + run, i + 1 - run); /* the character once here ... */
            run = i;                              /* ... and again with the next run */
        }
    }
    kn__rs_putn(w, s + run, n - run);
}

void kn__rs_url_literal(kn__rs_w *w, const char *base, const char *rel, size_t rel_len) {
    size_t bl = strlen(base);
    kn__rs_putn(w, "'", 1);
    literal_body(w, base, bl);
    if (bl > 0 && base[bl - 1] != '/') kn__rs_putn(w, "/", 1);
    literal_body(w, rel, rel_len);
    kn__rs_putn(w, "'", 1);
}

kn_status kn__rs_ident(kn__rs_w *w, const char *name, kn_error *err) {
    if (w->nomem) return KN_OK; /* reported once, by kn__rs_end */
    kn_status st = kn_rs_append_ident(w->out, name, strlen(name), err);
    if (st == KN_E_NOMEM) {
        w->nomem = true;
        return KN_OK;
    }
    return st;
}

kn_status kn__rs_name(kn__rs_w *w, const kn_rs_name *name, kn_error *err) {
    if (w->nomem) return KN_OK;
    kn_status st = kn_rs_append_name(w->out, name, err);
    if (st == KN_E_NOMEM) {
        w->nomem = true;
        return KN_OK;
    }
    return st;
}

kn_status kn__rs_end(kn__rs_w *w, kn_status st, kn_error *err) {
    if (st == KN_OK && !w->nomem) return KN_OK;
    w->out->len = w->start;
    if (st != KN_OK) return st;
    return kn_error_set(err, KN_E_NOMEM, "out of memory writing Redshift SQL");
}

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

bool kn__rs_same_name(const char *a, const char *b) {
    while (*a && ascii_lower(*a) == ascii_lower(*b)) {
        a++;
        b++;
    }
    return ascii_lower(*a) == ascii_lower(*b);
}

static bool has_control(const char *s) {
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F) return true;
    return false;
}

kn_status kn__rs_check_job(const kn_rs_job *job, kn_rs_name *name, kn_error *err) {
    if (name) {
        KN_RETURN_ERROR_IF(!job->schema, err, KN_E_USAGE, "the Redshift SQL needs a schema");
        KN_RETURN_ERROR_IF(!job->table || !*job->table, err, KN_E_USAGE,
                           "the Redshift SQL needs --table SCHEMA.NAME");
        KN_TRY(kn_rs_name_parse(job->table, name, err));
    }
    KN_RETURN_ERROR_IF(!job->base_url || !*job->base_url, err, KN_E_USAGE,
                       "the Redshift artifacts need an output location or --url-prefix");
    /* Every SQL line and comment stays one line: a newline in a URL or role would break both. */
    KN_RETURN_ERROR_IF(has_control(job->base_url), err, KN_E_USAGE,
                       "the output URL holds a control character");
    KN_RETURN_ERROR_IF(has_control(job->iam_role), err, KN_E_USAGE,
                       "--iam-role holds a control character");
    KN_RETURN_ERROR_IF(has_control(job->external_schema), err, KN_E_USAGE,
                       "the external schema name holds a control character");
    const kn_schema *s = job->schema;
    if (!s) return KN_OK;
    for (size_t i = 0; i < s->num_fields; i++)
        for (size_t j = i + 1; j < s->num_fields; j++)
            KN_RETURN_ERROR_IF(kn__rs_same_name(s->fields[i].name, s->fields[j].name), err,
                               KN_E_USAGE,
                               "columns '%s' and '%s' are one name in Redshift, which folds names "
                               "to lowercase; rename one",
                               s->fields[i].name, s->fields[j].name);
    return KN_OK;
}

kn_status kn__rs_find_column(const kn_schema *schema, const char *name, const char *option,
                             size_t *index, kn_error *err) {
    KN_RETURN_ERROR_IF(!name || !*name, err, KN_E_USAGE, "%s: an empty column name", option);
    long exact = kn_schema_find(schema, name, strlen(name));
    if (exact >= 0) {
        *index = (size_t)exact;
        return KN_OK;
    }
    /* Column names are unique once lowercased (kn__rs_check_job), so this match is unique. */
    for (size_t i = 0; i < schema->num_fields; i++) {
        if (kn__rs_same_name(schema->fields[i].name, name)) {
            *index = i;
            return KN_OK;
        }
    }
    return kn_error_set(err, KN_E_USAGE, "%s '%s': there is no column of that name", option,
                        name);
}

kn_status kn__rs_column_type(const kn_rs_job *job, size_t i, kn_rs_target target,
                             char out[KN_RS_TYPE_TEXT_MAX], kn_error *err) {
    const kn_field *f = &job->schema->fields[i];
    size_t max_bytes = job->max_bytes ? job->max_bytes[i] : KN_RS_LEN_UNKNOWN;
    bool json = job->is_json ? job->is_json[i] : false;
    kn_status st = kn_rs_type_text(f->type, max_bytes, json, target, out, err);
    if (st != KN_OK) kn_error_field(err, f->name);
    return st;
}

void kn__rs_copy_from(kn__rs_w *w, const kn_rs_job *job) {
    const char *role = job->iam_role && *job->iam_role ? job->iam_role : KN_RS_IAM_ROLE_PLACEHOLDER;
    kn__rs_puts(w, "FROM ");
    kn__rs_url_literal(w, job->base_url, KN_RS_MANIFEST_FILE, strlen(KN_RS_MANIFEST_FILE));
    kn__rs_puts(w, "\nIAM_ROLE ");
    kn__rs_literal(w, role, strlen(role));
    kn__rs_puts(w, "\nFORMAT AS PARQUET\nMANIFEST;\n");
}

kn_status kn__rs_check_file(const kn_rs_file *file, kn_error *err) {
    const char *p = file->path;
    KN_RETURN_ERROR_IF(!p || !*p, err, KN_E_INTERNAL, "a data file has an empty path");
    KN_RETURN_ERROR_IF(has_control(p), err, KN_E_INTERNAL,
                       "data file path '%s' holds a control character", p);
    const char *seg = p;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        KN_RETURN_ERROR_IF(n == 0, err, KN_E_INTERNAL,
                           "data file path '%s' has an empty segment or a leading '/'", p);
        KN_RETURN_ERROR_IF((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'),
                           err, KN_E_INTERNAL, "data file path '%s' has a '.' or '..' segment", p);
        if (!end) {
            /* Hive, Spark, Athena and Spectrum skip files named _* and .*: such a file in the
             * manifest would load into Redshift but vanish from every other reader. */
            KN_RETURN_ERROR_IF(seg[0] == '_' || seg[0] == '.', err, KN_E_INTERNAL,
                               "data file '%s' has a name starting with '_' or '.', which readers "
                               "skip",
                               p);
            return KN_OK;
        }
        seg = end + 1;
    }
}
