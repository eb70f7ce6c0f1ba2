/* engine/exec/kn_part_sink.c: naming, folders, sizing and writing of the run's Parquet files
 * (kn_part_sink.h). */
#include "kn_part_sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_batch_bytes.h"
#include "kn_buf.h"
#include "kn_gather.h"
#include "kn_pq_rowgroup.h"
#include "kn_store_local.h"

/* Rows gathered before they go to the writer in one batch (the writer cuts row groups by bytes,
 * whatever the batch boundaries, so this changes nothing in the files). */
#define OUT_BATCH_ROWS 4096
#define OUT_BATCH_BYTES ((uint64_t)4 << 20)

/* Which way in the sink is used (kn_part_sink.h): the streaming partitioned way keeps its files
 * apart and names them only at finish, so it must not mix with the other two. */
typedef enum sink_mode { MODE_NONE, MODE_ONE_OPEN, MODE_PARTS } sink_mode;

/* Streaming partitioned mode: one partition (kn_part_sink_write_part_rowgroup's `part`). */
typedef struct stream_part {
    bool seen;            /* a row group with rows came; its folder exists */
    uint8_t *path;        /* owned; its folder, as first given */
    size_t len;
    kn_pq_writer *writer; /* its open file, or NULL */
    char *rel;            /* owned; the open file's temporary relative name */
    uint64_t file_rows;   /* rows in the open file */
    uint64_t open_seq;    /* the open file's place among the partition's files */
    uint64_t next_seq;
} stream_part;

/* Streaming partitioned mode: where a closed file came from, to order the files at finish. */
typedef struct file_origin {
    size_t part;
    uint64_t seq;
} file_origin;

struct kn_part_sink {
    kn_part_sink_options opt;
    sink_mode mode;
    bool finished;         /* kn_part_sink_finish succeeded */
    kn_schema *out_schema; /* owned */
    size_t *map;           /* owned; output column -> input column */
    size_t *max_string;    /* owned; per output column */
    kn_batch *out;         /* owned; rows waiting for the writer (planned mode) */
    uint64_t out_raw;

    kn_pq_writer *writer;  /* the open file, or NULL */
    char *writer_rel;      /* owned; its relative name */
    uint64_t file_rows, file_raw;

    kn_part_file *files;
    file_origin *origins;  /* owned; parallel to files (streaming partitioned mode) */
    size_t num_files, cap_files;
    uint64_t next_number;
    uint64_t rows;
    uint64_t partitions;

    /* Planned mode: the partition being written. */
    kn_buf cur_path;
    bool have_path;
    uint64_t part_rows_left, part_raw_left;
    kn_part_file_plan plan;
    uint64_t plan_file;      /* index of the next file of the plan */
    uint64_t file_rows_left; /* rows the open file still takes */
    uint64_t closed_bytes, closed_raw; /* for the observed compression ratio */

    /* Streaming partitioned mode. */
    kn_pq_options part_po; /* opt->parquet with threads = 1 */
    stream_part *parts;    /* owned; indexed by part, [0, num_parts) */
    size_t num_parts, cap_parts;
};

kn_status kn_part_file_schema(const kn_schema *in, const kn_part_spec *part, bool drop,
                              kn_schema **out, size_t **map, kn_error *err) {
    *out = NULL;
    if (map) *map = NULL;
    kn_schema *s = kn_schema_create();
    size_t *m = kn_calloc(in->num_fields ? in->num_fields : 1, sizeof *m);
    kn_status st = s && m ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    drop = drop && part && part->num_keys;
    for (size_t i = 0; st == KN_OK && i < in->num_fields; i++) {
        /* Redshift COPY maps Parquet columns by position and never reads folder names, so
         * partition columns stay inside the files unless the Spectrum/Athena layout is asked. */
        if (drop && kn_part_spec_is_partition_column(part, i)) continue;
        size_t k = s->num_fields;
        st = kn_schema_add(s, in->fields[i].name, in->fields[i].type, in->fields[i].nullable, err);
        if (st == KN_OK && in->fields[i].format) st = kn_schema_set_format(s, k, in->fields[i].format, err);
        m[k] = i;
    }
    if (st == KN_OK && s->num_fields == 0)
        st = kn_error_set(err, KN_E_USAGE, "--drop-partition-columns would leave the files without columns");
    if (st != KN_OK) {
        kn_schema_free(s);
        kn_free(m);
        return st;
    }
    *out = s;
    if (map) *map = m;
    else kn_free(m);
    return KN_OK;
}

kn_status kn_part_sink_create(const kn_part_sink_options *opt, kn_part_sink **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(opt->target_file_bytes == 0, err, KN_E_USAGE, "the target file size must be above 0");
    kn_part_sink *ps = kn_calloc(1, sizeof *ps);
    if (!ps) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    ps->opt = *opt;
    ps->opt.store = kn_store_or_local(opt->store);
    ps->next_number = opt->first_number;
    ps->part_po = *opt->parquet;
    ps->part_po.threads = 1;
    kn_status st = kn_part_file_schema(opt->schema, opt->part, opt->drop_partition_columns, &ps->out_schema, &ps->map, err);
    if (st == KN_OK) {
        ps->max_string = kn_calloc(ps->out_schema->num_fields, sizeof *ps->max_string);
        if (!ps->max_string) st = kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    if (st == KN_OK && opt->stats) st = kn_batch_create(ps->out_schema, OUT_BATCH_ROWS, &ps->out, err);
    if (st != KN_OK) {
        kn_part_sink_free(ps);
        return st;
    }
    *out = ps;
    return KN_OK;
}

const kn_schema *kn_part_sink_schema(const kn_part_sink *ps) { return ps->out_schema; }

/* Creates `dir`/`rel` folder by folder (`rel` ends with '/'; `dir` exists). */
static kn_status make_folders(kn_store *store, const char *dir, const uint8_t *rel, size_t len, kn_error *err) {
    size_t dl = strlen(dir);
    char *p = kn_malloc(dl + len + 2);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, rel, len);
    p[dl + 1 + len] = '\0';
    kn_status st = kn_store_make_dirs(store, p, err);
    kn_free(p);
    return st;
}

/* *rel = `path` + `name` (the relative name) and, when `full` is not NULL, *full = dir/rel; both
 * kn_malloc'd (the caller's, also on failure: NULL then). */
static kn_status make_names(const kn_part_sink *ps, const uint8_t *path, size_t len, const char *name,
                            char **rel, char **full, kn_error *err) {
    size_t nl = strlen(name), dl = strlen(ps->opt.dir);
    *rel = kn_malloc(len + nl + 1);
    if (full) *full = kn_malloc(dl + 1 + len + nl + 1);
    if (!*rel || (full && !*full)) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (len) memcpy(*rel, path, len);
    memcpy(*rel + len, name, nl + 1);
    if (full) snprintf(*full, dl + 1 + len + nl + 1, "%s/%s", ps->opt.dir, *rel);
    return KN_OK;
}

/* dir/rel, kn_malloc'd, or NULL. */
static char *full_name(const kn_part_sink *ps, const char *rel) {
    size_t dl = strlen(ps->opt.dir), rl = strlen(rel);
    char *full = kn_malloc(dl + 1 + rl + 1);
    if (full) snprintf(full, dl + 1 + rl + 1, "%s/%s", ps->opt.dir, rel);
    return full;
}

/* The final name of the next file: "part-NNNNN.parquet". */
static void next_final_name(kn_part_sink *ps, char *name, size_t cap) {
    snprintf(name, cap, "part-%05" PRIu64 ".parquet", ps->next_number++);
}

static kn_status open_file(kn_part_sink *ps, const uint8_t *path, size_t len, kn_error *err) {
    char name[48];
    next_final_name(ps, name, sizeof name);
    char *full = NULL;
    kn_status st = make_names(ps, path, len, name, &ps->writer_rel, &full, err);
    kn_sink *sink;
    if (st == KN_OK) st = kn_store_open_sink(ps->opt.store, full, KN_SINK_PRIVATE, &sink, err);
    kn_free(full);
    if (st == KN_OK) st = kn_pq_writer_create(ps->out_schema, sink, ps->opt.parquet, &ps->writer, err);
    ps->file_rows = 0;
    ps->file_raw = 0;
    return st;
}

/* Room for one more closed file (in files and origins alike). */
static kn_status grow_files(kn_part_sink *ps, kn_error *err) {
    if (ps->num_files < ps->cap_files) return KN_OK;
    size_t cap = ps->cap_files ? ps->cap_files * 2 : 16;
    kn_part_file *f = kn_realloc(ps->files, cap * sizeof *f);
    if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    ps->files = f;
    file_origin *o = kn_realloc(ps->origins, cap * sizeof *o);
    if (!o) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    ps->origins = o;
    ps->cap_files = cap;
    return KN_OK;
}

static void note_strings(kn_part_sink *ps, const kn_batch *b, const size_t *map) {
    for (size_t c = 0; c < ps->out_schema->num_fields; c++) {
        size_t m = kn_col_max_string(&b->columns[map ? map[c] : c]);
        if (m > ps->max_string[c]) ps->max_string[c] = m;
    }
}

/* Hands the waiting rows to the writer. */
static kn_status flush_out(kn_part_sink *ps, kn_error *err) {
    if (!ps->out || ps->out->num_rows == 0) return KN_OK;
    note_strings(ps, ps->out, NULL);
    kn_status st = kn_pq_writer_write(ps->writer, ps->out, err);
    kn_batch_clear(ps->out);
    ps->out_raw = 0;
    return st;
}

static kn_status close_file(kn_part_sink *ps, kn_error *err) {
    if (!ps->writer) return KN_OK;
    KN_TRY(flush_out(ps, err));
    kn_pq_file_info info;
    kn_pq_writer *w = ps->writer;
    ps->writer = NULL;
    kn_status st = kn_pq_writer_close(w, &info, err);
    if (st == KN_OK) st = grow_files(ps, err);
    if (st != KN_OK) {
        kn_free(ps->writer_rel);
        ps->writer_rel = NULL;
        return st;
    }
    ps->origins[ps->num_files] = (file_origin){0, 0};
    ps->files[ps->num_files++] = (kn_part_file){ps->writer_rel, info.file_bytes, ps->file_rows};
    ps->writer_rel = NULL;
    ps->closed_bytes += info.file_bytes;
    ps->closed_raw += ps->file_raw;
    return KN_OK;
}

/* The unpartitioned and planned ways in: refused on a sink of the streaming partitioned mode. */
static kn_status enter_one_open(kn_part_sink *ps, kn_error *err) {
    KN_RETURN_ERROR_IF(ps->mode == MODE_PARTS, err, KN_E_INTERNAL,
                       "rows written to a sink already used for partitions' row groups (kn_part_sink_write_part_rowgroup)");
    ps->mode = MODE_ONE_OPEN;
    return KN_OK;
}

kn_status kn_part_sink_write_batch(kn_part_sink *ps, const kn_batch *batch, kn_error *err) {
    KN_TRY(enter_one_open(ps, err));
    if (batch->num_rows == 0) return KN_OK;
    if (!ps->writer) KN_TRY(open_file(ps, (const uint8_t *)"", 0, err));
    note_strings(ps, batch, ps->map);
    KN_TRY(kn_pq_writer_write(ps->writer, batch, err));
    ps->file_rows += batch->num_rows;
    ps->rows += batch->num_rows;
    if (kn_pq_writer_bytes(ps->writer) >= ps->opt.target_file_bytes) KN_TRY(close_file(ps, err));
    return KN_OK;
}

kn_status kn_part_sink_write_rowgroup(kn_part_sink *ps, const struct kn_pq_rowgroup *rg, kn_error *err) {
    KN_TRY(enter_one_open(ps, err));
    uint64_t rows = kn_pq_rowgroup_rows(rg);
    if (rows == 0) return KN_OK;
    if (!ps->writer) KN_TRY(open_file(ps, (const uint8_t *)"", 0, err));
    KN_TRY(kn_pq_writer_write_rowgroup(ps->writer, rg, err));
    ps->file_rows += rows;
    ps->rows += rows;
    if (kn_pq_writer_bytes(ps->writer) >= ps->opt.target_file_bytes) KN_TRY(close_file(ps, err));
    return KN_OK;
}

void kn_part_sink_note_max_string(kn_part_sink *ps, const size_t *per_column) {
    for (size_t c = 0; c < ps->out_schema->num_fields; c++) {
        size_t m = per_column[ps->map ? ps->map[c] : c];
        if (m > ps->max_string[c]) ps->max_string[c] = m;
    }
}

/* Plans the rest of the current partition: its remaining rows over files sized by the ratio
 * observed so far. */
static kn_status plan_rest(kn_part_sink *ps, kn_error *err) {
    double ratio = ps->closed_raw ? (double)ps->closed_bytes / (double)ps->closed_raw : KN_PART_SINK_PRIOR_RATIO;
    uint64_t est = (uint64_t)((double)ps->part_raw_left * ratio);
    if (est == 0) est = 1;
    KN_TRY(kn_part_plan_files(est, ps->part_rows_left, ps->opt.target_file_bytes, ps->opt.slices, &ps->plan, err));
    ps->plan_file = 0;
    return KN_OK;
}

static kn_status start_partition(kn_part_sink *ps, const uint8_t *path, size_t len, kn_error *err) {
    KN_TRY(close_file(ps, err));
    const kn_part_stat *stat = ps->opt.stats ? kn_part_stats_find(ps->opt.stats, path, len) : NULL;
    KN_RETURN_ERROR_IF(!stat, err, KN_E_INTERNAL, "partition '%.*s' was not counted while reading",
                       (int)len, (const char *)path);
    kn_buf_clear(&ps->cur_path);
    if (!kn_buf_append(&ps->cur_path, path, len)) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    ps->have_path = true;
    ps->partitions++;
    if (len) KN_TRY(make_folders(ps->opt.store, ps->opt.dir, path, len, err));
    ps->part_rows_left = stat->rows;
    ps->part_raw_left = stat->raw_bytes;
    return plan_rest(ps, err);
}

kn_status kn_part_sink_write_row(kn_part_sink *ps, const kn_batch *batch, size_t row,
                                 const uint8_t *path, size_t len, kn_error *err) {
    KN_TRY(enter_one_open(ps, err));
    KN_RETURN_ERROR_IF(!ps->out, err, KN_E_INTERNAL, "rows written one by one to a streaming sink");
    if (!ps->have_path || len != ps->cur_path.len || (len && memcmp(path, ps->cur_path.data, len) != 0))
        KN_TRY(start_partition(ps, path, len, err));
    KN_RETURN_ERROR_IF(ps->part_rows_left == 0, err, KN_E_INTERNAL,
                       "partition '%.*s' has more rows than were counted", (int)len, (const char *)path);
    if (!ps->writer) {
        KN_TRY(open_file(ps, path, len, err));
        ps->file_rows_left = ps->plan_file < ps->plan.num_files ? kn_part_plan_rows_in_file(&ps->plan, ps->plan_file) : ps->part_rows_left;
        ps->plan_file++;
    }
    KN_TRY(kn_batch_copy_row(ps->out, batch, row, ps->map, err));
    uint64_t raw = kn_row_plain_bytes(batch, row);
    ps->out_raw += raw;
    ps->file_raw += raw;
    ps->part_raw_left -= raw < ps->part_raw_left ? raw : ps->part_raw_left;
    ps->part_rows_left--;
    ps->file_rows++;
    ps->rows++;
    if (--ps->file_rows_left == 0) return close_file(ps, err);
    if (ps->out->num_rows >= OUT_BATCH_ROWS || ps->out_raw >= OUT_BATCH_BYTES) {
        KN_TRY(flush_out(ps, err));
        /* The estimate was low: roll now and plan the rest again with what this file showed.
         * With --slices the planned count wins, since the multiple is what was asked. */
        if (ps->opt.slices <= 1 && kn_pq_writer_bytes(ps->writer) >= ps->opt.target_file_bytes) {
            KN_TRY(close_file(ps, err));
            KN_TRY(plan_rest(ps, err));
        }
    }
    return KN_OK;
}

/* Does `key` belong to the partition being written? (Its folder path, then the 0x00.) */
static inline bool in_current(const kn_part_sink *ps, const uint8_t *key, size_t key_len) {
    size_t plen = ps->cur_path.len;
    return key_len > plen && key[plen] == 0 && (plen == 0 || memcmp(key, ps->cur_path.data, plen) == 0);
}

kn_status kn_part_sink_write_run(kn_part_sink *ps, const kn_batch *batch, size_t row, size_t n,
                                 const uint8_t *keys, const uint32_t *key_offs, kn_error *err) {
    KN_TRY(enter_one_open(ps, err));
    KN_RETURN_ERROR_IF(!ps->out, err, KN_E_INTERNAL, "rows written one by one to a streaming sink");
    while (n) {
        const uint8_t *key = keys + key_offs[row];
        size_t key_len = key_offs[row + 1] - key_offs[row];
        if (!ps->have_path || !in_current(ps, key, key_len)) {
            const uint8_t *z = memchr(key, 0, key_len);
            size_t len = z ? (size_t)(z - key) : key_len;
            KN_TRY(start_partition(ps, key, len, err));
        }
        KN_RETURN_ERROR_IF(ps->part_rows_left == 0, err, KN_E_INTERNAL,
                           "partition '%.*s' has more rows than were counted", (int)ps->cur_path.len,
                           (const char *)ps->cur_path.data);
        if (!ps->writer) {
            KN_TRY(open_file(ps, ps->cur_path.data ? ps->cur_path.data : (const uint8_t *)"", ps->cur_path.len, err));
            ps->file_rows_left = ps->plan_file < ps->plan.num_files ? kn_part_plan_rows_in_file(&ps->plan, ps->plan_file) : ps->part_rows_left;
            ps->plan_file++;
        }
        /* The longest stretch that stays in this partition and file and stops where the row-by-row
         * path (kn_part_sink_write_row) would stop: the file's planned end, the partition's
         * counted rows, or the writer's batch filling up (rows or PLAIN bytes). */
        size_t room = OUT_BATCH_ROWS - ps->out->num_rows, k = 1;
        uint64_t limit = n;
        if (limit > ps->file_rows_left) limit = ps->file_rows_left;
        if (limit > ps->part_rows_left) limit = ps->part_rows_left;
        if (limit > room) limit = room;
        while (k < limit && in_current(ps, keys + key_offs[row + k], key_offs[row + k + 1] - key_offs[row + k])) k++;
        uint64_t raw = kn_rows_plain_bytes(batch, row, k);
        if (ps->out_raw + raw >= OUT_BATCH_BYTES) {
            /* The batch fills up inside the stretch: stop at the row that fills it. */
            raw = 0;
            size_t i = 0;
            while (i < k) {
                raw += kn_row_plain_bytes(batch, row + i);
                i++;
                if (ps->out_raw + raw >= OUT_BATCH_BYTES) break;
            }
            k = i;
        }
        KN_TRY(kn_batch_copy_rows(ps->out, batch, row, k, ps->map, err));
        ps->out_raw += raw;
        ps->file_raw += raw;
        ps->part_raw_left -= raw < ps->part_raw_left ? raw : ps->part_raw_left;
        ps->part_rows_left -= k;
        ps->file_rows += k;
        ps->rows += k;
        ps->file_rows_left -= k;
        row += k;
        n -= k;
        if (ps->file_rows_left == 0) {
            KN_TRY(close_file(ps, err));
            continue;
        }
        if (ps->out->num_rows >= OUT_BATCH_ROWS || ps->out_raw >= OUT_BATCH_BYTES) {
            KN_TRY(flush_out(ps, err));
            /* The estimate was low: roll now and plan the rest again with what this file showed.
             * With --slices the planned count wins, since the multiple is what was asked. */
            if (ps->opt.slices <= 1 && kn_pq_writer_bytes(ps->writer) >= ps->opt.target_file_bytes) {
                KN_TRY(close_file(ps, err));
                KN_TRY(plan_rest(ps, err));
            }
        }
    }
    return KN_OK;
}

/* ---- streaming partitioned: one open file per partition, named at finish ------------------- */

/* Makes `part` known (its slot, its path, its folder) on its first row group with rows, and
 * checks the path on the later ones. */
static kn_status see_part(kn_part_sink *ps, size_t part, const uint8_t *path, size_t len, kn_error *err) {
    if (part >= ps->cap_parts) {
        if (part >= SIZE_MAX / (2 * sizeof *ps->parts)) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        size_t cap = ps->cap_parts ? ps->cap_parts * 2 : 16;
        if (cap <= part) cap = part + 1;
        stream_part *p = kn_realloc(ps->parts, cap * sizeof *p);
        if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
        memset(p + ps->cap_parts, 0, (cap - ps->cap_parts) * sizeof *p);
        ps->parts = p;
        ps->cap_parts = cap;
    }
    stream_part *sp = &ps->parts[part];
    if (sp->seen) {
        /* A partition's files sort by its first path; another path would put them in the
         * wrong folder order (and the wrong folder). */
        KN_RETURN_ERROR_IF(len != sp->len || (len && memcmp(path, sp->path, len) != 0), err, KN_E_INTERNAL,
                           "partition %zu written as '%.*s' and as '%.*s'", part, (int)sp->len,
                           (const char *)sp->path, (int)len, (const char *)path);
        return KN_OK;
    }
    sp->path = kn_malloc(len ? len : 1);
    if (!sp->path) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    if (len) memcpy(sp->path, path, len);
    sp->len = len;
    kn_status st = len ? make_folders(ps->opt.store, ps->opt.dir, path, len, err) : KN_OK;
    if (st != KN_OK) {
        kn_free(sp->path);
        sp->path = NULL;
        return st;
    }
    sp->seen = true;
    if (part >= ps->num_parts) ps->num_parts = part + 1;
    ps->partitions++;
    return KN_OK;
}

static kn_status open_part_file(kn_part_sink *ps, size_t part, kn_error *err) {
    stream_part *sp = &ps->parts[part];
    /* Temporary until finish numbers the files: unique per partition and file, never of the
     * final "part-NNNNN.parquet" form (so no rename lands on another file), and hidden by its
     * leading '.' from listings should the run die before the commit removes its folder. */
    char name[80];
    snprintf(name, sizeof name, ".stream-p%zu-f%" PRIu64 ".parquet", part, sp->next_seq);
    char *full = NULL;
    kn_status st = make_names(ps, sp->path, sp->len, name, &sp->rel, &full, err);
    kn_sink *sink;
    if (st == KN_OK) st = kn_store_open_sink(ps->opt.store, full, KN_SINK_PRIVATE, &sink, err);
    kn_free(full);
    if (st == KN_OK) st = kn_pq_writer_create(ps->out_schema, sink, &ps->part_po, &sp->writer, err);
    if (st != KN_OK) {
        kn_free(sp->rel);
        sp->rel = NULL;
        return st;
    }
    sp->file_rows = 0;
    sp->open_seq = sp->next_seq++;
    return KN_OK;
}

static kn_status close_part_file(kn_part_sink *ps, size_t part, kn_error *err) {
    stream_part *sp = &ps->parts[part];
    if (!sp->writer) return KN_OK;
    kn_pq_writer *w = sp->writer;
    char *rel = sp->rel;
    sp->writer = NULL;
    sp->rel = NULL;
    /* Room first: once closed, the file exists and must be on the list (free deletes it). */
    kn_status st = grow_files(ps, err);
    if (st != KN_OK) {
        kn_pq_writer_abort(w);
        kn_free(rel);
        return st;
    }
    kn_pq_file_info info;
    st = kn_pq_writer_close(w, &info, err);
    if (st != KN_OK) {
        kn_free(rel);
        return st;
    }
    ps->origins[ps->num_files] = (file_origin){part, sp->open_seq};
    ps->files[ps->num_files++] = (kn_part_file){rel, info.file_bytes, sp->file_rows};
    return KN_OK;
}

kn_status kn_part_sink_write_part_rowgroup(kn_part_sink *ps, size_t part, const uint8_t *path, size_t len,
                                           const struct kn_pq_rowgroup *rg, kn_error *err) {
    KN_RETURN_ERROR_IF(ps->mode == MODE_ONE_OPEN, err, KN_E_INTERNAL,
                       "a partition's row group written to a sink already used for unpartitioned or planned rows");
    KN_RETURN_ERROR_IF(ps->finished, err, KN_E_INTERNAL, "a partition's row group written after kn_part_sink_finish");
    ps->mode = MODE_PARTS;
    uint64_t rows = kn_pq_rowgroup_rows(rg);
    if (rows == 0) return KN_OK;
    KN_TRY(see_part(ps, part, path, len, err));
    stream_part *sp = &ps->parts[part];
    if (!sp->writer) KN_TRY(open_part_file(ps, part, err));
    KN_TRY(kn_pq_writer_write_rowgroup(sp->writer, rg, err));
    sp->file_rows += rows;
    ps->rows += rows;
    if (kn_pq_writer_bytes(sp->writer) >= ps->opt.target_file_bytes) KN_TRY(close_part_file(ps, part, err));
    return KN_OK;
}

kn_status kn_part_sink_close_part(kn_part_sink *ps, size_t part, kn_error *err) {
    KN_RETURN_ERROR_IF(ps->mode != MODE_PARTS || part >= ps->num_parts, err, KN_E_INTERNAL,
                       "a partition's file closed that was never opened");
    return close_part_file(ps, part, err);
}

/* Folder order: the path bytes, a prefix first; equal paths (a caller's bug, refused after the
 * sort) by part, so the sort is deterministic anyway. */
static int cmp_parts(const void *a, const void *b) {
    const stream_part *x = *(const stream_part *const *)a, *y = *(const stream_part *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->path, y->path, n) : 0;
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x < y ? -1 : x > y;
}

typedef struct file_key {
    size_t rank; /* the folder's place in folder order */
    uint64_t seq;
    size_t file; /* index into files */
} file_key;

static int cmp_file_keys(const void *a, const void *b) {
    const file_key *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Gives each closed file its final name, in folder order then writing order, renaming it within
 * opt->dir; the list then follows that order. Each entry's name follows its file as it moves,
 * so after a failure free still finds (and deletes) every file. */
static kn_status rename_part_files(kn_part_sink *ps, kn_error *err) {
    size_t np = ps->num_parts, nf = ps->num_files, seen = 0;
    const stream_part **order = kn_malloc((np ? np : 1) * sizeof *order);
    size_t *rank = kn_malloc((np ? np : 1) * sizeof *rank);
    file_key *keys = kn_malloc((nf ? nf : 1) * sizeof *keys);
    kn_part_file *sorted = kn_malloc((nf ? nf : 1) * sizeof *sorted);
    file_origin *sorted_o = kn_malloc((nf ? nf : 1) * sizeof *sorted_o);
    kn_status st = order && rank && keys && sorted && sorted_o ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory");
    /* Nothing else numbers files in this mode; starting over makes a retry after a failed
     * rename give each file the name it already has (rename onto itself succeeds). */
    ps->next_number = ps->opt.first_number;
    for (size_t p = 0; st == KN_OK && p < np; p++)
        if (ps->parts[p].seen) order[seen++] = &ps->parts[p];
    if (st == KN_OK) qsort(order, seen, sizeof *order, cmp_parts);
    for (size_t i = 0; st == KN_OK && i < seen; i++) {
        if (i && order[i]->len == order[i - 1]->len &&
            (order[i]->len == 0 || memcmp(order[i]->path, order[i - 1]->path, order[i]->len) == 0))
            st = kn_error_set(err, KN_E_INTERNAL, "partitions %zu and %zu both have the folder '%.*s'",
                              (size_t)(order[i - 1] - ps->parts), (size_t)(order[i] - ps->parts),
                              (int)order[i]->len, (const char *)order[i]->path);
        rank[order[i] - ps->parts] = i;
    }
    for (size_t i = 0; st == KN_OK && i < nf; i++)
        keys[i] = (file_key){rank[ps->origins[i].part], ps->origins[i].seq, i};
    if (st == KN_OK) qsort(keys, nf, sizeof *keys, cmp_file_keys);
    for (size_t j = 0; st == KN_OK && j < nf; j++) {
        kn_part_file *f = &ps->files[keys[j].file];
        const stream_part *sp = &ps->parts[ps->origins[keys[j].file].part];
        char name[48];
        next_final_name(ps, name, sizeof name);
        char *rel = NULL, *to = NULL, *from = full_name(ps, f->name);
        st = from ? make_names(ps, sp->path, sp->len, name, &rel, &to, err)
                  : kn_error_set(err, KN_E_NOMEM, "out of memory");
        if (st == KN_OK) st = kn_store_rename(ps->opt.store, from, to, err);
        if (st == KN_OK) {
            kn_free(f->name);
            f->name = rel;
            rel = NULL;
        }
        kn_free(rel);
        kn_free(from);
        kn_free(to);
    }
    if (st == KN_OK) {
        for (size_t j = 0; j < nf; j++) {
            sorted[j] = ps->files[keys[j].file];
            sorted_o[j] = ps->origins[keys[j].file];
        }
        memcpy(ps->files, sorted, nf * sizeof *sorted);
        memcpy(ps->origins, sorted_o, nf * sizeof *sorted_o);
    }
    kn_free(order);
    kn_free(rank);
    kn_free(keys);
    kn_free(sorted);
    kn_free(sorted_o);
    return st;
}

static kn_status finish_parts(kn_part_sink *ps, kn_error *err) {
    for (size_t p = 0; p < ps->num_parts; p++) KN_TRY(close_part_file(ps, p, err));
    return rename_part_files(ps, err);
}

kn_status kn_part_sink_finish(kn_part_sink *ps, kn_error *err) {
    if (ps->finished) return KN_OK;
    KN_TRY(close_file(ps, err));
    if (ps->mode == MODE_PARTS) KN_TRY(finish_parts(ps, err));
    bool partitioned = ps->opt.part && ps->opt.part->num_keys;
    if (ps->num_files == 0 && !partitioned) {
        KN_TRY(open_file(ps, (const uint8_t *)"", 0, err));
        KN_TRY(close_file(ps, err));
    }
    ps->finished = true;
    return KN_OK;
}

const kn_part_file *kn_part_sink_files(const kn_part_sink *ps, size_t *count) {
    *count = ps->num_files;
    return ps->files;
}

const size_t *kn_part_sink_max_string(const kn_part_sink *ps) { return ps->max_string; }
uint64_t kn_part_sink_rows(const kn_part_sink *ps) { return ps->rows; }
uint64_t kn_part_sink_partitions(const kn_part_sink *ps) { return ps->partitions; }

void kn_part_sink_free(kn_part_sink *ps) {
    if (!ps) return;
    kn_pq_writer_abort(ps->writer);
    kn_free(ps->writer_rel);
    for (size_t p = 0; p < ps->num_parts; p++) {
        kn_pq_writer_abort(ps->parts[p].writer);
        kn_free(ps->parts[p].rel);
        kn_free(ps->parts[p].path);
    }
    kn_free(ps->parts);
    /* Unfinished, the mode's closed files are of a failed run: none may stay under a final name
     * (a failed rename leaves some there), and the rest would only wait for the commit. */
    bool drop = ps->mode == MODE_PARTS && !ps->finished;
    for (size_t i = 0; i < ps->num_files; i++) {
        char *full = drop ? full_name(ps, ps->files[i].name) : NULL;
        if (full) kn_store_remove(ps->opt.store, full, NULL);
        kn_free(full);
        kn_free(ps->files[i].name);
    }
    kn_free(ps->files);
    kn_free(ps->origins);
    kn_batch_free(ps->out);
    kn_schema_free(ps->out_schema);
    kn_free(ps->map);
    kn_free(ps->max_string);
    kn_buf_free(&ps->cur_path);
    kn_free(ps);
}
