/* engine/exec/kn_convert.c: the convert pipeline (plan, parse on every core, write in order,
 * commit). See kn_convert.h for the shape and the guarantees. */
#include "kn_convert.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_exec_reader.h"
#include "kn_file.h"
#include "kn_json_out.h"
#include "kn_list.h"
#include "kn_log.h"
#include "kn_progress.h"

void kn_convert_options_init(kn_convert_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->infer_records = 10000;
    opt->infer_files = 4;
    kn_pq_options_init(&opt->parquet);
    opt->target_file_bytes = 256ull << 20;
    opt->threads = 0;
    opt->morsel_bytes = 8u << 20;
    opt->on_error = KN_ON_ERROR_FAIL;
    opt->max_errors = -1;
    opt->mode = KN_MODE_ERROR_IF_EXISTS;
    opt->progress = true;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- plan: inputs and morsels ------------------------------------------------------------ */

typedef struct input {
    const char *path; /* borrowed from the input list */
    kn_file_map map;
    size_t first_morsel, num_morsels;
    /* Line counting for messages, advanced in input order only (so O(file) in total). */
    size_t line_cursor;
    int64_t line_at_cursor;
} input;

typedef struct morsel {
    uint32_t input;
    uint32_t index_in_file;
} morsel;

/* A morsel's byte range: records whose first byte lies in [k*M, (k+1)*M), found with the
 * format's record_end, so the cut depends only on the bytes and M. */
static void morsel_range(const kn_exec_format *fmt, const input *in, size_t k, size_t m,
                         size_t *start, size_t *end) {
    size_t len = in->map.len;
    size_t nominal = k * m, next = (k + 1) * m;
    *start = k == 0 ? 0 : (nominal - 1 < len ? fmt->record_end(in->map.data, len, nominal - 1) : len);
    *end = next - 1 < len ? fmt->record_end(in->map.data, len, next - 1) : len;
    if (*end < *start) *end = *start;
}

/* 1-based line and column of absolute offset `off` in `in`; offsets must not go backwards. */
static void locate_line(input *in, size_t off, int64_t *line, int64_t *col) {
    if (in->line_at_cursor == 0) in->line_at_cursor = 1;
    const uint8_t *d = in->map.data;
    while (in->line_cursor < off) {
        const uint8_t *nl = memchr(d + in->line_cursor, '\n', off - in->line_cursor);
        if (!nl) {
            in->line_cursor = off;
            break;
        }
        in->line_cursor = (size_t)(nl - d) + 1;
        in->line_at_cursor++;
    }
    *line = in->line_at_cursor;
    if (col) {
        size_t ls = off;
        while (ls > 0 && d[ls - 1] != '\n') ls--;
        *col = (int64_t)(off - ls) + 1;
    }
}

/* ---- per-morsel results, handed from the parse phase to the ordered write phase ---------- */

typedef struct reject {
    uint64_t offset;   /* the record's first byte in its file */
    uint8_t *record;   /* a copy of the record, owned */
    size_t len;
    kn_error error;    /* what is wrong, with the absolute byte offset of the fault */
} reject;

typedef struct worker {
    kn_exec_reader *reader;
    kn_batch *batch;
    reject *rejects;
    size_t num_rejects, cap_rejects;
    uint64_t records;
    kn_status fatal;   /* a non-data failure while parsing */
    kn_error fatal_error;
} worker;

static void worker_clear_rejects(worker *w) {
    for (size_t i = 0; i < w->num_rejects; i++) kn_free(w->rejects[i].record);
    w->num_rejects = 0;
}

static kn_status worker_add_reject(worker *w, uint64_t offset, const uint8_t *data, size_t len,
                                   const kn_error *e) {
    if (w->num_rejects == w->cap_rejects) {
        size_t cap = w->cap_rejects ? w->cap_rejects * 2 : 16;
        reject *r = kn_realloc(w->rejects, cap * sizeof *r);
        if (!r) return KN_E_NOMEM;
        w->rejects = r;
        w->cap_rejects = cap;
    }
    reject *r = &w->rejects[w->num_rejects];
    r->record = kn_malloc(len ? len : 1);
    if (!r->record) return KN_E_NOMEM;
    if (len) memcpy(r->record, data, len);
    r->len = len;
    r->offset = offset;
    r->error = *e;
    w->num_rejects++;
    return KN_OK;
}

/* Parses one morsel into w->batch and w->rejects. `keep_going` is false in fail mode: the first
 * bad record ends the morsel. */
static void parse_morsel(const kn_exec_format *fmt, worker *w, const input *in, size_t start,
                         size_t end, bool keep_going) {
    kn_batch_clear(w->batch);
    worker_clear_rejects(w);
    w->records = 0;
    w->fatal = KN_OK;
    fmt->reset(w->reader, in->map.data + start, end - start, in->path, start, start == 0);
    for (;;) {
        bool done = false;
        kn_error e;
        kn_error_reset(&e);
        kn_status st = fmt->next(w->reader, w->batch, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *rec;
            size_t len;
            fmt->bad_record(w->reader, &off, &rec, &len);
            if (worker_add_reject(w, off, rec, len, &e) != KN_OK) {
                w->fatal = kn_error_set(&w->fatal_error, KN_E_NOMEM, "out of memory keeping a rejected record");
                break;
            }
            if (!keep_going) break;
            continue;
        }
        if (st != KN_OK) {
            w->fatal = st;
            w->fatal_error = e;
            break;
        }
        if (done) break;
    }
    w->records = fmt->records(w->reader);
    kn_status st = kn_batch_seal(w->batch, &w->fatal_error);
    if (st != KN_OK && w->fatal == KN_OK) w->fatal = st;
}

/* ---- the ordered write phase ------------------------------------------------------------- */

typedef struct run {
    const kn_convert_options *opt;
    const kn_exec_format *fmt;
    const kn_schema *schema;
    char *tmp_dir;          /* OUTDIR/_tmp-<run>/ */
    kn_pq_writer *writer;   /* the open part file, or NULL */
    char *writer_path;
    char **parts;           /* finished part files under tmp_dir */
    size_t num_parts, cap_parts;
    kn_sink *rejects;       /* _rejects/rejects.ndjson, opened at the first reject */
    kn_sink *reasons;       /* _rejects/reasons.ndjson */
    kn_convert_result *result;
    kn_status status;       /* the first failure; stops the run */
    kn_error error;
    kn_progress progress;
} run;

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kn_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static kn_status open_part(run *r, kn_error *err) {
    char name[64];
    snprintf(name, sizeof name, "part-%05zu.parquet", r->num_parts);
    r->writer_path = path_join(r->tmp_dir, name);
    if (!r->writer_path) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_sink *sink;
    KN_TRY(kn_file_sink_create(r->writer_path, NULL, &sink, err));
    return kn_pq_writer_create(r->schema, sink, &r->opt->parquet, &r->writer, err);
}

static kn_status close_part(run *r, kn_error *err) {
    kn_pq_file_info info;
    kn_pq_writer *w = r->writer;
    r->writer = NULL;
    kn_status st = kn_pq_writer_close(w, &info, err);
    if (st != KN_OK) {
        kn_free(r->writer_path);
        r->writer_path = NULL;
        return st;
    }
    if (r->num_parts == r->cap_parts) {
        size_t cap = r->cap_parts ? r->cap_parts * 2 : 16;
        char **p = kn_realloc(r->parts, cap * sizeof *p);
        if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        r->parts = p;
        r->cap_parts = cap;
    }
    r->parts[r->num_parts++] = r->writer_path;
    r->writer_path = NULL;
    r->result->bytes_out += info.file_bytes;
    return KN_OK;
}

static kn_status open_rejects(run *r, kn_error *err) {
    char *dir = path_join(r->tmp_dir, "_rejects");
    if (!dir) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        kn_error_locate(err, dir, -1, -1, -1);
        kn_free(dir);
        return kn_error_set(err, KN_E_IO, "cannot create the folder: %s", strerror(errno));
    }
    char *a = path_join(dir, "rejects.ndjson"), *b = path_join(dir, "reasons.ndjson");
    kn_free(dir);
    kn_status st = a && b ? kn_file_sink_create(a, NULL, &r->rejects, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (st == KN_OK) st = kn_file_sink_create(b, NULL, &r->reasons, err);
    kn_free(a);
    kn_free(b);
    return st;
}

/* Quarantine: the record verbatim on one line of rejects.ndjson, and on the same line of
 * reasons.ndjson a JSON object with its file, line, column, byte offset and reason. */
static kn_status quarantine(run *r, const reject *rj, const char *path, int64_t line, kn_error *err) {
    if (!r->rejects) KN_TRY(open_rejects(r, err));
    KN_TRY(kn_sink_write(r->rejects, rj->record, rj->len, err));
    KN_TRY(kn_sink_write(r->rejects, "\n", 1, err));
    kn_buf b = KN_BUF_INIT;
    char num[160];
    bool ok = kn_buf_append(&b, "{\"file\":", 8) && kn_json_append_string(&b, path, strlen(path));
    snprintf(num, sizeof num, ",\"line\":%" PRId64 ",\"column\":%" PRId64 ",\"byte_offset\":%" PRIu64 ",\"field\":",
             line, rj->error.column, rj->offset);
    ok = ok && kn_buf_append(&b, num, strlen(num));
    ok = ok && (rj->error.field[0] ? kn_json_append_string(&b, rj->error.field, strlen(rj->error.field))
                                   : kn_buf_append(&b, "null", 4));
    ok = ok && kn_buf_append(&b, ",\"reason\":", 10) &&
         kn_json_append_string(&b, rj->error.what, strlen(rj->error.what)) && kn_buf_append(&b, "}\n", 2);
    kn_status st = ok ? kn_sink_write(r->reasons, b.data, b.len, err) : kn_error_set(err, KN_E_NOMEM, "out of memory");
    kn_buf_free(&b);
    return st;
}

/* Called for each morsel in input order. */
static kn_status write_morsel(run *r, worker *w, input *in, kn_error *err) {
    const kn_convert_options *opt = r->opt;
    kn_convert_result *res = r->result;
    if (w->fatal != KN_OK) {
        *err = w->fatal_error;
        return w->fatal;
    }
    for (size_t i = 0; i < w->num_rejects; i++) {
        reject *rj = &w->rejects[i];
        int64_t line, col;
        uint64_t fault = rj->error.byte_offset >= 0 ? (uint64_t)rj->error.byte_offset : rj->offset;
        locate_line(in, (size_t)rj->offset, &line, NULL);
        /* The column is that of the fault itself, which may sit past the record's start. */
        int64_t fault_line;
        locate_line(in, (size_t)fault, &fault_line, &col);
        rj->error.line = fault_line;
        rj->error.column = col;
        snprintf(rj->error.where, sizeof rj->error.where, "%s", in->path);
        if (opt->on_error == KN_ON_ERROR_FAIL) {
            *err = rj->error;
            return KN_E_DATA;
        }
        res->rows_rejected++;
        if (opt->on_error == KN_ON_ERROR_QUARANTINE) KN_TRY(quarantine(r, rj, in->path, fault_line, err));
        if (opt->max_errors >= 0 && res->rows_rejected > (uint64_t)opt->max_errors) {
            *err = rj->error;
            char first[KN_ERROR_WHAT_MAX];
            snprintf(first, sizeof first, "%s", rj->error.what);
            return kn_error_set(err, KN_E_DATA, "more than %" PRId64 " bad records (--max-errors); the last: %s",
                                opt->max_errors, first);
        }
    }
    res->rows_read += w->records;
    if (w->batch->num_rows) {
        if (!r->writer) KN_TRY(open_part(r, err));
        KN_TRY(kn_pq_writer_write(r->writer, w->batch, err));
        res->rows_written += w->batch->num_rows;
        if (kn_pq_writer_bytes(r->writer) >= opt->target_file_bytes) KN_TRY(close_part(r, err));
    }
    return KN_OK;
}

/* ---- commit ------------------------------------------------------------------------------ */

static void remove_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *ent;
        while (d && (ent = readdir(d))) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
            char *child = path_join(path, ent->d_name);
            if (child) remove_tree(child);
            kn_free(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* kiln's own output names in a folder: part-*.parquet and _rejects/. */
static bool is_kiln_output(const char *name) {
    size_t n = strlen(name);
    return (strncmp(name, "part-", 5) == 0 && n > 8 && strcmp(name + n - 8, ".parquet") == 0) ||
           strcmp(name, "_rejects") == 0;
}

static kn_status check_or_clear_output(const char *dir, kn_write_mode mode, bool clear, kn_error *err) {
    DIR *d = opendir(dir);
    if (!d) return KN_OK;
    kn_status st = KN_OK;
    struct dirent *ent;
    while (st == KN_OK && (ent = readdir(d))) {
        if (!is_kiln_output(ent->d_name)) continue;
        if (mode == KN_MODE_ERROR_IF_EXISTS) {
            kn_error_locate(err, dir, -1, -1, -1);
            st = kn_error_set(err, KN_E_USAGE, "the output folder already holds kiln output (%s); "
                              "use --mode overwrite to replace it", ent->d_name);
        } else if (clear) {
            char *p = path_join(dir, ent->d_name);
            if (p) remove_tree(p);
            kn_free(p);
        }
    }
    closedir(d);
    return st;
}

static kn_status publish(run *r, kn_error *err) {
    const char *out = r->opt->output_dir;
    KN_TRY(check_or_clear_output(out, r->opt->mode, true, err));
    kn_convert_result *res = r->result;
    res->outputs = kn_calloc(r->num_parts ? r->num_parts : 1, sizeof *res->outputs);
    if (!res->outputs) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < r->num_parts; i++) {
        const char *base = strrchr(r->parts[i], '/') + 1;
        char *dst = path_join(out, base);
        if (!dst) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        if (rename(r->parts[i], dst) != 0) {
            kn_error_locate(err, dst, -1, -1, -1);
            kn_free(dst);
            return kn_error_set(err, KN_E_IO, "cannot move the finished file into place: %s", strerror(errno));
        }
        res->outputs[res->files_out++] = dst;
    }
    char *rej = path_join(r->tmp_dir, "_rejects");
    char *rej_dst = path_join(out, "_rejects");
    struct stat sb;
    kn_status st = KN_OK;
    if (rej && rej_dst && stat(rej, &sb) == 0 && rename(rej, rej_dst) != 0) {
        kn_error_locate(err, rej_dst, -1, -1, -1);
        st = kn_error_set(err, KN_E_IO, "cannot move the rejects into place: %s", strerror(errno));
    }
    kn_free(rej);
    kn_free(rej_dst);
    return st;
}

/* ---- the job ----------------------------------------------------------------------------- */

static kn_status make_dirs(const char *path, kn_error *err) {
    char *p = kn_strdup(path);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) break;
        *s = '/';
    }
    kn_status st = KN_OK;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        kn_error_locate(err, path, -1, -1, -1);
        st = kn_error_set(err, KN_E_IO, "cannot create the output folder: %s", strerror(errno));
    }
    kn_free(p);
    return st;
}

static kn_status pick_format(const kn_convert_options *opt, const kn_input_list *list,
                             const kn_exec_format **out, kn_error *err) {
    if (opt->format) {
        *out = kn_exec_format_find(opt->format);
        KN_RETURN_ERROR_IF(!*out, err, KN_E_USAGE, "unknown or not yet supported --format '%s' (supported: ndjson)", opt->format);
        return KN_OK;
    }
    *out = NULL;
    for (size_t i = 0; i < list->count; i++) {
        const kn_exec_format *f = kn_exec_format_for_path(list->files[i].path);
        if (!f) {
            kn_error_locate(err, list->files[i].path, -1, -1, -1);
            return kn_error_set(err, KN_E_USAGE, "cannot tell the format from the name; say --format ndjson");
        }
        if (*out && f != *out)
            return kn_error_set(err, KN_E_USAGE, "the inputs mix formats (%s and %s); convert them separately", (*out)->name, f->name);
        *out = f;
    }
    KN_RETURN_ERROR_IF(!*out, err, KN_E_USAGE, "no input files");
    return KN_OK;
}

kn_status kn_convert_run(const kn_convert_options *opt, kn_convert_result *result, kn_error *err) {
    memset(result, 0, sizeof *result);
    double t0 = now_seconds();
    kn_mem_reset_peak();
    KN_RETURN_ERROR_IF(!opt->output_dir || !opt->output_dir[0], err, KN_E_USAGE, "no output folder (-o OUTDIR)");
    KN_RETURN_ERROR_IF(opt->num_inputs == 0, err, KN_E_USAGE, "no inputs");
    KN_RETURN_ERROR_IF(opt->morsel_bytes < 1024, err, KN_E_USAGE, "the morsel size must be at least 1 KiB");

    static const char *const all_extensions[] = {".ndjson", ".jsonl", ".json", ".ldjson", NULL};
    const kn_exec_format *fmt = opt->format ? kn_exec_format_find(opt->format) : NULL;
    kn_input_list list;
    KN_TRY(kn_input_list_build(opt->inputs, opt->num_inputs, fmt ? fmt->extensions : all_extensions, &list, err));
    kn_status st = pick_format(opt, &list, &fmt, err);
    if (st == KN_OK) st = check_or_clear_output(opt->output_dir, opt->mode, false, err);

    kn_schema *inferred = NULL;
    const kn_schema *schema = opt->schema;
    if (st == KN_OK && !schema) {
        size_t n = list.count < opt->infer_files ? list.count : opt->infer_files;
        const char **paths = kn_calloc(n ? n : 1, sizeof *paths);
        if (!paths) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; st == KN_OK && i < n; i++) paths[i] = list.files[i].path;
        if (st == KN_OK) st = kn_exec_infer_schema(fmt, paths, n, opt->infer_records, &inferred, err);
        kn_free((void *)paths);
        schema = inferred;
    }

    int threads = opt->threads > 0 ? opt->threads : omp_get_num_procs();
    result->threads = threads;
    result->files_in = list.count;
    result->bytes_in = list.total_bytes;

    /* Plan: map every input and number its morsels. */
    input *inputs = st == KN_OK ? kn_calloc(list.count ? list.count : 1, sizeof *inputs) : NULL;
    morsel *morsels = NULL;
    size_t num_morsels = 0;
    if (st == KN_OK && !inputs) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < list.count; i++) {
        inputs[i].path = list.files[i].path;
        st = kn_file_map_open(list.files[i].path, &inputs[i].map, err);
        if (st != KN_OK) break;
        inputs[i].first_morsel = num_morsels;
        inputs[i].num_morsels = inputs[i].map.len ? (inputs[i].map.len + opt->morsel_bytes - 1) / opt->morsel_bytes : 0;
        num_morsels += inputs[i].num_morsels;
    }
    if (st == KN_OK) {
        morsels = kn_calloc(num_morsels ? num_morsels : 1, sizeof *morsels);
        if (!morsels) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        for (size_t i = 0; st == KN_OK && i < list.count; i++)
            for (size_t k = 0; k < inputs[i].num_morsels; k++)
                morsels[inputs[i].first_morsel + k] = (morsel){(uint32_t)i, (uint32_t)k};
    }

    run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.fmt = fmt;
    r.schema = schema;
    r.result = result;
    kn_error_reset(&r.error);
    if (st == KN_OK) st = make_dirs(opt->output_dir, err);
    if (st == KN_OK) {
        char name[96];
        snprintf(name, sizeof name, "_tmp-%ld-%lld", (long)getpid(), (long long)time(NULL));
        r.tmp_dir = path_join(opt->output_dir, name);
        if (!r.tmp_dir) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
        else if (mkdir(r.tmp_dir, 0755) != 0) {
            kn_error_locate(err, r.tmp_dir, -1, -1, -1);
            st = kn_error_set(err, KN_E_IO, "cannot create the run's temporary folder: %s", strerror(errno));
        }
    }

    if (st == KN_OK) {
        kn_progress_init(&r.progress, opt->progress, list.total_bytes);
        _Atomic int stop = 0;
        bool keep_going = opt->on_error != KN_ON_ERROR_FAIL;
#pragma omp parallel num_threads(threads)
        {
            worker w;
            memset(&w, 0, sizeof w);
            kn_error werr;
            kn_status wst = fmt->create(schema, &w.reader, &werr);
            if (wst == KN_OK) wst = kn_batch_create(schema, 1024, &w.batch, &werr);
#pragma omp for ordered schedule(dynamic, 1)
            for (size_t m = 0; m < num_morsels; m++) {
                input *in = &inputs[morsels[m].input];
                size_t start = 0, end = 0;
                if (!atomic_load(&stop) && wst == KN_OK) {
                    morsel_range(fmt, in, morsels[m].index_in_file, opt->morsel_bytes, &start, &end);
                    parse_morsel(fmt, &w, in, start, end, keep_going);
                }
#pragma omp ordered
                {
                    if (!atomic_load(&stop)) {
                        kn_error e;
                        kn_error_reset(&e);
                        kn_status s = wst != KN_OK ? wst : write_morsel(&r, &w, in, &e);
                        if (wst != KN_OK) e = werr;
                        if (s != KN_OK) {
                            r.status = s;
                            r.error = e;
                            atomic_store(&stop, 1);
                        }
                        kn_file_map_release(&in->map, start, end - start);
                        kn_progress_update(&r.progress, end - start);
                    }
                }
            }
            worker_clear_rejects(&w);
            kn_free(w.rejects);
            kn_batch_free(w.batch);
            if (w.reader) fmt->free(w.reader);
        }
        kn_progress_finish(&r.progress);
        st = r.status;
        if (st != KN_OK) *err = r.error;
    }

    /* A run with no rows still leaves one valid, empty file, so downstream steps see the schema. */
    if (st == KN_OK && !r.writer && r.num_parts == 0) st = open_part(&r, err);
    if (st == KN_OK && r.writer) st = close_part(&r, err);
    if (st == KN_OK && r.rejects) {
        kn_sink *a = r.rejects, *b = r.reasons;
        r.rejects = r.reasons = NULL;
        st = kn_sink_close(a, err);
        kn_status st2 = kn_sink_close(b, st == KN_OK ? err : NULL);
        if (st == KN_OK) st = st2;
    }
    if (st == KN_OK && result->rows_read != result->rows_written + result->rows_rejected)
        st = kn_error_set(err, KN_E_INTERNAL, "row counts do not add up: %" PRIu64 " read, %" PRIu64 " written, %" PRIu64 " rejected",
                          result->rows_read, result->rows_written, result->rows_rejected);
    if (st == KN_OK) st = publish(&r, err);

    /* Clean up whatever did not get published. */
    kn_pq_writer_abort(r.writer);
    kn_free(r.writer_path);
    kn_sink_abort(r.rejects);
    kn_sink_abort(r.reasons);
    if (r.tmp_dir) remove_tree(r.tmp_dir);
    kn_free(r.tmp_dir);
    for (size_t i = 0; i < r.num_parts; i++) kn_free(r.parts[i]);
    kn_free(r.parts);
    for (size_t i = 0; inputs && i < list.count; i++) kn_file_map_close(&inputs[i].map);
    kn_free(inputs);
    kn_free(morsels);
    kn_schema_free(inferred);
    kn_input_list_free(&list);

    kn_mem_stats ms;
    kn_mem_get_stats(&ms);
    result->peak_memory_bytes = ms.peak_bytes;
    result->seconds = now_seconds() - t0;
    return st;
}

void kn_convert_result_free(kn_convert_result *result) {
    for (uint64_t i = 0; result->outputs && i < result->files_out; i++) kn_free(result->outputs[i]);
    kn_free(result->outputs);
    result->outputs = NULL;
}

void kn_convert_result_write_json(const kn_convert_result *r, kn_status status, const kn_error *err,
                                  FILE *out) {
    fprintf(out, "{\"status\":\"%s\",\"exit_code\":%d", status == KN_OK ? "ok" : "error",
            kn_status_exit_code(status));
    if (status != KN_OK && err) {
        char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 256];
        size_t n = kn_error_format(err, msg, sizeof msg);
        fputs(",\"error\":", out);
        kn_json_write_string(out, msg, n);
    }
    fprintf(out,
            ",\"files_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"files_out\":%" PRIu64 ",\"bytes_out\":%" PRIu64
            ",\"rows_read\":%" PRIu64 ",\"rows_written\":%" PRIu64 ",\"rows_rejected\":%" PRIu64
            ",\"seconds\":%.3f,\"threads\":%d,\"peak_memory_bytes\":%" PRId64 ",\"outputs\":[",
            r->files_in, r->bytes_in, r->files_out, r->bytes_out, r->rows_read, r->rows_written,
            r->rows_rejected, r->seconds, r->threads, r->peak_memory_bytes);
    for (uint64_t i = 0; r->outputs && i < r->files_out; i++) {
        if (i) fputc(',', out);
        kn_json_write_string(out, r->outputs[i], strlen(r->outputs[i]));
    }
    fputs("]}\n", out);
}
