/* formats/redshift/kn_rs_manifest.c: manifest.json, the list of data files COPY loads (and
 * Spectrum reads for unpartitioned output). */
#include <inttypes.h>
#include <string.h>

#include "kn_json_out.h"
#include "kn_rs_internal.h"

kn_status kn_rs_manifest_json(const kn_rs_job *job, kn_buf *out, kn_error *err) {
    KN_TRY(kn__rs_check_job(job, NULL, err)); /* the manifest needs no table name */
    for (size_t i = 0; i < job->num_files; i++) KN_TRY(kn__rs_check_file(&job->files[i], err));

    kn__rs_w w;
    kn__rs_begin(&w, out);
    kn_buf url = KN_BUF_INIT;
    size_t bl = strlen(job->base_url);
    bool slash = job->base_url[bl - 1] != '/';
    kn__rs_puts(&w, job->num_files ? "{\n  \"entries\": [\n" : "{\n  \"entries\": [");
    for (size_t i = 0; i < job->num_files && !w.nomem; i++) {
        const kn_rs_file *f = &job->files[i];
        kn_buf_clear(&url);
        if (!kn_buf_append(&url, job->base_url, bl) || (slash && !kn_buf_push(&url, '/')) ||
            !kn_buf_append(&url, f->path, strlen(f->path))) {
            w.nomem = true;
            break;
        }
        kn__rs_puts(&w, "    {\"url\": ");
        if (!w.nomem && !kn_json_append_string(out, (const char *)url.data, url.len)) w.nomem = true;
        kn__rs_printf(&w, ", \"mandatory\": true, \"meta\": {\"content_length\": %" PRIu64 "}}%s\n",
                      f->size, i + 1 < job->num_files ? "," : "");
    }
    kn__rs_puts(&w, job->num_files ? "  ]\n}\n" : "]\n}\n");
    kn_buf_free(&url);
    return kn__rs_end(&w, KN_OK, err);
}
