/* engine/cli/kn_cli_inspect.c: `kiln inspect FILE.parquet [--json] [--pages]`: prints a Parquet
 * file's footer (and, with --pages, every page header) as text or as one JSON object.
 *
 * The whole answer is built in memory and written at the end, so a damaged file gives an error
 * on stderr and nothing half-printed on stdout (with --pages, a damaged page is reported in the
 * output and the exit code is 2). Encrypted files (an encrypted "PARE" footer, or a plaintext
 * footer over encrypted columns) are refused with exit 1: kiln holds no keys. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kn_buf.h"
#include "kn_cli.h"
#include "kn_cli_args.h"
#include "kn_cli_inspect_index.h"
#include "kn_cli_out.h"
#include "kn_file.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_pqr_show.h"

static const char inspect_usage[] =
    "usage: kiln inspect FILE.parquet [--json] [--pages]\n"
    "\n"
    "Prints what a Parquet file's footer says: size, created_by, rows, key/value metadata, the\n"
    "schema (physical, logical and converted types, repetition), and per row group its sort\n"
    "order (sorting_columns) and per column chunk: codec, encodings, value count, sizes, page\n"
    "offsets, statistics (min/max shown by the column's type, null and NaN counts) and whether\n"
    "it has a page index (OffsetIndex, ColumnIndex and its boundary order). Reads metadata\n"
    "only; values are not decompressed.\n"
    "\n"
    "      --json     print one JSON object instead of text\n"
    "      --pages    also list every page header of every column chunk, and every page of its\n"
    "                 page index (first row, offset, size, null and NaN counts, min, max)\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit codes: 0 read, 1 bad usage or an encrypted file, 2 a damaged file (with --pages, a\n"
    "damaged page header or page index too), 3 I/O error.\n";

/* Statistics strings longer than this are cut in the text output (JSON gets them whole). */
#define KN_INSPECT_TEXT_MAX 200

typedef struct {
    bool json;
    bool pages;
    const char *path;
} inspect_opts;

/* --- names ------------------------------------------------------------------------------- */

typedef struct {
    char s[48];
} name_buf;

static const char *type_text(int32_t type, name_buf *nb) {
    return kn_pqr_name_or_number(kn_pqr_type_name(type), type, nb->s, sizeof nb->s);
}
static const char *codec_text(int32_t codec, name_buf *nb) {
    return kn_pqr_name_or_number(kn_pqr_codec_name(codec), codec, nb->s, sizeof nb->s);
}
static const char *encoding_text(int32_t enc, name_buf *nb) {
    return kn_pqr_name_or_number(kn_pqr_encoding_name(enc), enc, nb->s, sizeof nb->s);
}
static const char *page_type_text(int32_t t, name_buf *nb) {
    return kn_pqr_name_or_number(kn_pqr_page_type_name(t), t, nb->s, sizeof nb->s);
}
/* The converted type with its parameters, "" when absent. */
static const char *converted_text(const kn_pqr_schema_element *e, char *buf, size_t cap) {
    if (!e->has_converted_type) {
        buf[0] = '\0';
        return buf;
    }
    const char *name = kn_pqr_converted_name(e->converted_type);
    if (e->converted_type == KN_PQ_CT_DECIMAL)
        snprintf(buf, cap, "DECIMAL(%d,%d)", e->has_precision ? (int)e->precision : 0, e->has_scale ? (int)e->scale : 0);
    else
        kn_pqr_name_or_number(name, e->converted_type, buf, cap);
    return buf;
}

/* --- schema ------------------------------------------------------------------------------ */

/* The schema as parquet-java prints it ("message m { optional int32 id; }"), with the
 * converted type after the logical one when both are set. */
static void text_schema(kn_cli_out *o, const kn_pqr_meta *m) {
    /* Children left per open group, to close braces at the right depth. */
    int32_t left[1001];
    int depth = 0;
    const kn_pqr_schema_element *root = &m->schema[0];
    kn_cli_outf(o, "schema (%zu column%s):\n  message %s {\n", m->num_leaves, m->num_leaves == 1 ? "" : "s", root->name);
    left[0] = root->has_num_children ? root->num_children : 0;
    for (size_t i = 1; i < m->num_schema; i++) {
        while (depth > 0 && left[depth] == 0) {
            depth--;
            kn_cli_outf(o, "%*s}\n", 4 + 2 * depth, "");
        }
        left[depth]--;
        const kn_pqr_schema_element *e = &m->schema[i];
        const char *rep = e->has_repetition ? kn_pqr_repetition_name(e->repetition) : "required";
        char rep_l[16];
        snprintf(rep_l, sizeof rep_l, "%s", rep);
        for (char *c = rep_l; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        char lt[96], ct[64], type[64];
        kn_pqr_logical_format(&e->logical, lt, sizeof lt);
        converted_text(e, ct, sizeof ct);
        bool group = !e->has_type;
        if (group) snprintf(type, sizeof type, "group");
        else if (e->type == KN_PQ_FIXED_LEN_BYTE_ARRAY) snprintf(type, sizeof type, "fixed_len_byte_array(%d)", (int)e->type_length);
        else {
            snprintf(type, sizeof type, "%s", kn_pqr_type_name(e->type));
            for (char *c = type; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        }
        kn_cli_outf(o, "%*s%s %s %s", 4 + 2 * depth, "", rep_l, type, e->name);
        if (lt[0]) kn_cli_outf(o, " (%s)", lt);
        if (ct[0] && lt[0]) kn_cli_outf(o, " [converted %s]", ct);
        else if (ct[0]) kn_cli_outf(o, " (%s)", ct);
        if (e->has_field_id) kn_cli_outf(o, " = %d", (int)e->field_id);
        if (group && e->has_num_children && e->num_children > 0 && depth + 1 < (int)(sizeof left / sizeof left[0])) {
            kn_cli_outf(o, " {\n");
            left[++depth] = e->num_children;
        } else {
            kn_cli_outf(o, ";\n");
        }
    }
    while (depth > 0) {
        depth--;
        kn_cli_outf(o, "%*s}\n", 4 + 2 * depth, "");
    }
    kn_cli_outf(o, "  }\n");
}

static void json_logical(kn_cli_out *o, const char *key, const kn_pqr_schema_element *e) {
    char lt[96];
    kn_pqr_logical_format(&e->logical, lt, sizeof lt);
    kn_cli_j_str(o, key, lt[0] ? lt : NULL);
}

static void json_schema(kn_cli_out *o, const kn_pqr_meta *m) {
    name_buf nb;
    char ct[64];
    kn_cli_j_open(o, "columns", '[');
    for (size_t i = 0; i < m->num_leaves; i++) {
        const kn_pqr_leaf *lf = &m->leaves[i];
        const kn_pqr_schema_element *e = &m->schema[lf->element];
        kn_cli_j_open(o, NULL, '{');
        kn_cli_j_str(o, "name", e->name);
        kn_cli_j_str(o, "path", lf->path);
        kn_cli_j_str(o, "physical_type", type_text(e->type, &nb));
        kn_cli_j_opt_int(o, "type_length", e->has_type_length, e->type_length);
        json_logical(o, "logical_type", e);
        kn_cli_j_str(o, "converted_type", e->has_converted_type ? converted_text(e, ct, sizeof ct) : NULL);
        kn_cli_j_str(o, "repetition", e->has_repetition ? kn_pqr_repetition_name(e->repetition) : NULL);
        kn_cli_j_opt_int(o, "precision", e->logical.kind == KN_PQR_LT_DECIMAL || e->has_precision,
                  e->logical.kind == KN_PQR_LT_DECIMAL ? e->logical.precision : e->precision);
        kn_cli_j_opt_int(o, "scale", e->logical.kind == KN_PQR_LT_DECIMAL || e->has_scale,
                  e->logical.kind == KN_PQR_LT_DECIMAL ? e->logical.scale : e->scale);
        kn_cli_j_opt_int(o, "field_id", e->has_field_id, e->field_id);
        kn_cli_j_int(o, "max_definition_level", lf->max_definition_level);
        kn_cli_j_int(o, "max_repetition_level", lf->max_repetition_level);
        kn_cli_j_close(o, '}');
    }
    kn_cli_j_close(o, ']');
    /* The footer's own flat list, for readers that check the writer's tree. */
    kn_cli_j_open(o, "schema", '[');
    for (size_t i = 0; i < m->num_schema; i++) {
        const kn_pqr_schema_element *e = &m->schema[i];
        kn_cli_j_open(o, NULL, '{');
        kn_cli_j_str(o, "name", e->name);
        kn_cli_j_str(o, "type", e->has_type ? type_text(e->type, &nb) : NULL);
        kn_cli_j_opt_int(o, "type_length", e->has_type_length, e->type_length);
        kn_cli_j_str(o, "repetition_type", e->has_repetition ? kn_pqr_repetition_name(e->repetition) : NULL);
        kn_cli_j_opt_int(o, "num_children", e->has_num_children, e->num_children);
        const char *ct_name = kn_pqr_converted_name(e->converted_type);
        kn_cli_j_str(o, "converted_type",
              e->has_converted_type ? kn_pqr_name_or_number(ct_name, e->converted_type, ct, sizeof ct) : NULL);
        kn_cli_j_opt_int(o, "scale", e->has_scale, e->scale);
        kn_cli_j_opt_int(o, "precision", e->has_precision, e->precision);
        kn_cli_j_opt_int(o, "field_id", e->has_field_id, e->field_id);
        json_logical(o, "logical_type", e);
        kn_cli_j_close(o, '}');
    }
    kn_cli_j_close(o, ']');
}

/* --- statistics -------------------------------------------------------------------------- */

/* The bounds to show: min_value/max_value, or else the deprecated min/max. */
static void stats_bounds(const kn_pqr_stats *s, const kn_pqr_bytes **min, const kn_pqr_bytes **max, bool *deprecated) {
    *deprecated = false;
    *min = s->min_value.data ? &s->min_value : NULL;
    *max = s->max_value.data ? &s->max_value : NULL;
    if (!*min && !*max && (s->min.data || s->max.data)) {
        *deprecated = true;
        *min = s->min.data ? &s->min : NULL;
        *max = s->max.data ? &s->max : NULL;
    }
}

static bool value_text(const kn_pqr_schema_element *e, const kn_pqr_bytes *v, size_t max, kn_buf *tmp) {
    kn_buf_clear(tmp);
    return kn_pqr_value_format(e, v->data, v->len, max, tmp) && kn_buf_push(tmp, '\0');
}

static void text_stats(kn_cli_out *o, const kn_pqr_schema_element *e, const kn_pqr_stats *s, kn_buf *tmp, const char *indent) {
    if (!s->seen) {
        kn_cli_outf(o, "%sstatistics: none\n", indent);
        return;
    }
    const kn_pqr_bytes *min, *max;
    bool deprecated;
    stats_bounds(s, &min, &max, &deprecated);
    kn_cli_outf(o, "%sstatistics:", indent);
    /* Text is quoted so that leading and trailing spaces show. */
    const char *q = kn_pqr_value_is_text(e) ? "\"" : "";
    if (min) {
        if (!value_text(e, min, KN_INSPECT_TEXT_MAX, tmp)) o->ok = false;
        else kn_cli_outf(o, " min %s%s%s%s", q, (char *)tmp->data, q,
                  s->has_is_min_value_exact && !s->is_min_value_exact ? " (inexact)" : "");
    }
    if (max) {
        if (!value_text(e, max, KN_INSPECT_TEXT_MAX, tmp)) o->ok = false;
        else kn_cli_outf(o, "%s max %s%s%s%s", min ? "," : "", q, (char *)tmp->data, q,
                  s->has_is_max_value_exact && !s->is_max_value_exact ? " (inexact)" : "");
    }
    if (!min && !max) kn_cli_outf(o, " no min/max");
    if (deprecated) kn_cli_outf(o, " (deprecated min/max fields)");
    if (s->has_null_count) kn_cli_outf(o, ", null_count %" PRId64, s->null_count);
    if (s->has_nan_count) kn_cli_outf(o, ", nan_count %" PRId64, s->nan_count);
    if (s->has_distinct_count) kn_cli_outf(o, ", distinct_count %" PRId64, s->distinct_count);
    kn_cli_outf(o, "\n");
}

static void json_stats(kn_cli_out *o, const kn_pqr_schema_element *e, const kn_pqr_stats *s, kn_buf *tmp) {
    if (!s->seen) {
        kn_cli_j_str(o, "statistics", NULL);
        return;
    }
    const kn_pqr_bytes *min, *max;
    bool deprecated;
    stats_bounds(s, &min, &max, &deprecated);
    kn_cli_j_open(o, "statistics", '{');
    if (min && value_text(e, min, 0, tmp)) kn_cli_j_str_n(o, "min", (char *)tmp->data, tmp->len - 1);
    else kn_cli_j_str(o, "min", NULL);
    if (max && value_text(e, max, 0, tmp)) kn_cli_j_str_n(o, "max", (char *)tmp->data, tmp->len - 1);
    else kn_cli_j_str(o, "max", NULL);
    kn_cli_j_opt_int(o, "null_count", s->has_null_count, s->null_count);
    kn_cli_j_opt_int(o, "distinct_count", s->has_distinct_count, s->distinct_count);
    kn_cli_j_opt_int(o, "nan_count", s->has_nan_count, s->nan_count);
    kn_cli_j_bool(o, "deprecated_min_max", deprecated);
    if (s->has_is_min_value_exact) kn_cli_j_bool(o, "is_min_value_exact", s->is_min_value_exact);
    else kn_cli_j_str(o, "is_min_value_exact", NULL);
    if (s->has_is_max_value_exact) kn_cli_j_bool(o, "is_max_value_exact", s->is_max_value_exact);
    else kn_cli_j_str(o, "is_max_value_exact", NULL);
    kn_cli_j_close(o, '}');
}

/* --- pages ------------------------------------------------------------------------------- */

typedef struct {
    uint64_t pages;
    uint64_t bytes; /* headers plus compressed bodies */
    bool failed;
} page_walk;

/* Lists each page header of one chunk. A damaged page ends the walk with its error shown. */
static void walk_pages(kn_cli_out *o, kn_source *src, const kn_pqr_schema_element *e, const kn_pqr_column_meta *cm,
                       kn_buf *scratch, kn_buf *tmp, bool json, page_walk *w) {
    name_buf nb, nb2, nb3;
    kn_error err;
    kn_error_reset(&err);
    uint64_t start, len;
    memset(w, 0, sizeof *w);
    if (json) kn_cli_j_open(o, "pages", '[');
    else kn_cli_outf(o, "      pages:\n");
    kn_status st = kn_pqr_chunk_range(cm, &start, &len, &err);
    uint64_t off = start, end = start + len;
    while (st == KN_OK && off < end) {
        kn_pqr_page_header h;
        size_t hlen;
        st = kn_pqr_page_header_read(src, off, end, scratch, &h, &hlen, &err);
        if (st != KN_OK) break;
        int32_t num_values = h.has_data_page_header ? h.data_page_header.num_values
                             : h.has_dictionary_page_header ? h.dictionary_page_header.num_values
                             : h.has_data_page_header_v2 ? h.data_page_header_v2.num_values : 0;
        int32_t enc = h.has_data_page_header ? h.data_page_header.encoding
                      : h.has_dictionary_page_header ? h.dictionary_page_header.encoding
                      : h.has_data_page_header_v2 ? h.data_page_header_v2.encoding : -1;
        const kn_pqr_stats *ps = h.has_data_page_header ? &h.data_page_header.statistics
                                 : h.has_data_page_header_v2 ? &h.data_page_header_v2.statistics : NULL;
        if (json) {
            kn_cli_j_open(o, NULL, '{');
            kn_cli_j_int(o, "offset", (int64_t)off);
            kn_cli_j_str(o, "type", page_type_text(h.type, &nb));
            kn_cli_j_int(o, "header_size", (int64_t)hlen);
            kn_cli_j_int(o, "compressed_page_size", h.compressed_page_size);
            kn_cli_j_int(o, "uncompressed_page_size", h.uncompressed_page_size);
            kn_cli_j_int(o, "num_values", num_values);
            kn_cli_j_str(o, "encoding", enc >= 0 ? encoding_text(enc, &nb2) : NULL);
            if (h.has_data_page_header) {
                kn_cli_j_str(o, "definition_level_encoding", encoding_text(h.data_page_header.definition_level_encoding, &nb2));
                kn_cli_j_str(o, "repetition_level_encoding", encoding_text(h.data_page_header.repetition_level_encoding, &nb3));
            }
            if (h.has_data_page_header_v2) {
                kn_cli_j_int(o, "num_nulls", h.data_page_header_v2.num_nulls);
                kn_cli_j_int(o, "num_rows", h.data_page_header_v2.num_rows);
                kn_cli_j_bool(o, "is_compressed", h.data_page_header_v2.is_compressed);
            }
            kn_cli_j_opt_int(o, "crc", h.has_crc, (int64_t)(uint32_t)h.crc);
            if (ps) json_stats(o, e, ps, tmp);
            kn_cli_j_close(o, '}');
        } else {
            kn_cli_outf(o, "        at %" PRIu64 ": %s, %d values, %s, header %zu bytes, compressed %d, uncompressed %d",
                 off, page_type_text(h.type, &nb), (int)num_values, enc >= 0 ? encoding_text(enc, &nb2) : "no encoding",
                 hlen, (int)h.compressed_page_size, (int)h.uncompressed_page_size);
            if (h.has_data_page_header)
                kn_cli_outf(o, ", levels def %s rep %s", encoding_text(h.data_page_header.definition_level_encoding, &nb2),
                     encoding_text(h.data_page_header.repetition_level_encoding, &nb3));
            if (h.has_data_page_header_v2)
                kn_cli_outf(o, ", %d nulls, %d rows%s", (int)h.data_page_header_v2.num_nulls, (int)h.data_page_header_v2.num_rows,
                     h.data_page_header_v2.is_compressed ? "" : ", not compressed");
            if (h.has_crc) kn_cli_outf(o, ", crc %08x", (unsigned)h.crc);
            kn_cli_outf(o, "\n");
            if (ps && ps->seen) text_stats(o, e, ps, tmp, "          ");
        }
        w->pages++;
        w->bytes += hlen + (uint64_t)h.compressed_page_size;
        off += hlen + (uint64_t)h.compressed_page_size;
    }
    char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 64];
    if (st != KN_OK) {
        w->failed = true;
        kn_error_format(&err, msg, sizeof msg);
    }
    if (json) {
        kn_cli_j_close(o, ']');
        kn_cli_j_int(o, "pages_bytes", (int64_t)w->bytes);
        kn_cli_j_str(o, "pages_error", st != KN_OK ? msg : NULL);
    } else {
        if (st != KN_OK) kn_cli_outf(o, "        error: %s\n", msg);
        kn_cli_outf(o, "        %" PRIu64 " page(s), %" PRIu64 " bytes with headers (total_compressed_size %" PRId64 "%s)\n",
             w->pages, w->bytes, cm->total_compressed_size,
             st == KN_OK && w->bytes == (uint64_t)cm->total_compressed_size ? ", matches" : ", differs");
    }
}

/* Bytes shown as escaped text (keys, values, created_by), cut at `max` bytes (0: whole). */
static void text_bytes(kn_cli_out *o, const char *s, size_t len, size_t max, kn_buf *tmp) {
    kn_pqr_schema_element text;
    memset(&text, 0, sizeof text);
    text.has_type = true;
    text.type = KN_PQ_BYTE_ARRAY;
    kn_buf_clear(tmp);
    if (!kn_pqr_value_format(&text, (const uint8_t *)s, len, max, tmp)) o->ok = false;
    else kn_cli_out_bytes(o, tmp->data, tmp->len);
}

static void text_kv(kn_cli_out *o, const char *indent, const kn_pqr_kv *kv, kn_buf *tmp) {
    kn_cli_outf(o, "%s", indent);
    text_bytes(o, kv->key, kv->key_len, KN_INSPECT_TEXT_MAX, tmp);
    if (kv->value) {
        kn_cli_outf(o, " = ");
        text_bytes(o, kv->value, kv->value_len, KN_INSPECT_TEXT_MAX, tmp);
        kn_cli_outf(o, "\n");
    } else {
        kn_cli_outf(o, " (no value)\n");
    }
}

static const char *order_text(int order, name_buf *nb) {
    return kn_pqr_name_or_number(kn_pqr_order_name(order), order, nb->s, sizeof nb->s);
}

/* --- column chunks ----------------------------------------------------------------------- */

static void text_chunk(kn_cli_out *o, const kn_pqr_meta *m, size_t c, const kn_pqr_column_chunk *cc, kn_buf *tmp) {
    name_buf nb, nb2;
    const kn_pqr_leaf *lf = &m->leaves[c];
    const kn_pqr_schema_element *e = &m->schema[lf->element];
    const kn_pqr_column_meta *cm = &cc->meta_data;
    kn_cli_outf(o, "  column %zu %s: %s %s\n", c, lf->path, type_text(cm->type, &nb), codec_text(cm->codec, &nb2));
    kn_cli_outf(o, "      encodings:");
    for (size_t k = 0; k < cm->num_encodings; k++) kn_cli_outf(o, "%s %s", k ? "," : "", encoding_text(cm->encodings[k], &nb));
    kn_cli_outf(o, "\n      values %" PRId64 ", compressed %" PRId64 " bytes, uncompressed %" PRId64 " bytes\n", cm->num_values,
         cm->total_compressed_size, cm->total_uncompressed_size);
    kn_cli_outf(o, "      offsets: file_offset %" PRId64, cc->file_offset);
    if (cm->has_dictionary_page_offset) kn_cli_outf(o, ", dictionary page %" PRId64, cm->dictionary_page_offset);
    kn_cli_outf(o, ", data page %" PRId64, cm->data_page_offset);
    if (cm->has_index_page_offset) kn_cli_outf(o, ", index page %" PRId64, cm->index_page_offset);
    if (cc->file_path) kn_cli_outf(o, ", in file %s", cc->file_path);
    kn_cli_outf(o, "\n");
    text_stats(o, e, &cm->statistics, tmp, "      ");
    if (cm->has_encoding_stats) {
        kn_cli_outf(o, "      encoding stats:");
        for (size_t k = 0; k < cm->num_encoding_stats; k++) {
            const kn_pqr_encoding_stats *es = &cm->encoding_stats[k];
            kn_cli_outf(o, "%s %s %s x%d", k ? "," : "", page_type_text(es->page_type, &nb), encoding_text(es->encoding, &nb2),
                 (int)es->count);
        }
        kn_cli_outf(o, "\n");
    }
    if (cm->has_bloom_filter_offset)
        kn_cli_outf(o, "      bloom filter at %" PRId64 " (%d bytes)\n", cm->bloom_filter_offset,
             cm->has_bloom_filter_length ? (int)cm->bloom_filter_length : -1);
    for (size_t k = 0; k < cm->num_key_value_metadata; k++) text_kv(o, "      metadata ", &cm->key_value_metadata[k], tmp);
}

static void json_chunk(kn_cli_out *o, const kn_pqr_meta *m, size_t c, const kn_pqr_column_chunk *cc, kn_buf *tmp) {
    name_buf nb, nb2;
    const kn_pqr_leaf *lf = &m->leaves[c];
    const kn_pqr_schema_element *e = &m->schema[lf->element];
    const kn_pqr_column_meta *cm = &cc->meta_data;
    kn_cli_j_str(o, "path", lf->path);
    kn_cli_j_open(o, "path_in_schema", '[');
    for (size_t k = 0; k < cm->path_len; k++) kn_cli_j_str(o, NULL, cm->path_in_schema[k]);
    kn_cli_j_close(o, ']');
    kn_cli_j_str(o, "type", type_text(cm->type, &nb));
    kn_cli_j_str(o, "codec", codec_text(cm->codec, &nb));
    kn_cli_j_open(o, "encodings", '[');
    for (size_t k = 0; k < cm->num_encodings; k++) kn_cli_j_str(o, NULL, encoding_text(cm->encodings[k], &nb));
    kn_cli_j_close(o, ']');
    kn_cli_j_int(o, "num_values", cm->num_values);
    kn_cli_j_int(o, "total_compressed_size", cm->total_compressed_size);
    kn_cli_j_int(o, "total_uncompressed_size", cm->total_uncompressed_size);
    kn_cli_j_int(o, "file_offset", cc->file_offset);
    kn_cli_j_str(o, "file_path", cc->file_path);
    kn_cli_j_int(o, "data_page_offset", cm->data_page_offset);
    kn_cli_j_opt_int(o, "dictionary_page_offset", cm->has_dictionary_page_offset, cm->dictionary_page_offset);
    kn_cli_j_opt_int(o, "index_page_offset", cm->has_index_page_offset, cm->index_page_offset);
    json_stats(o, e, &cm->statistics, tmp);
    if (cm->has_encoding_stats) {
        kn_cli_j_open(o, "encoding_stats", '[');
        for (size_t k = 0; k < cm->num_encoding_stats; k++) {
            const kn_pqr_encoding_stats *es = &cm->encoding_stats[k];
            kn_cli_j_open(o, NULL, '{');
            kn_cli_j_str(o, "page_type", page_type_text(es->page_type, &nb));
            kn_cli_j_str(o, "encoding", encoding_text(es->encoding, &nb2));
            kn_cli_j_int(o, "count", es->count);
            kn_cli_j_close(o, '}');
        }
        kn_cli_j_close(o, ']');
    } else {
        kn_cli_j_str(o, "encoding_stats", NULL);
    }
    kn_cli_j_opt_int(o, "offset_index_offset", cc->has_offset_index_offset, cc->offset_index_offset);
    kn_cli_j_opt_int(o, "offset_index_length", cc->has_offset_index_length, cc->offset_index_length);
    kn_cli_j_opt_int(o, "column_index_offset", cc->has_column_index_offset, cc->column_index_offset);
    kn_cli_j_opt_int(o, "column_index_length", cc->has_column_index_length, cc->column_index_length);
    kn_cli_j_opt_int(o, "bloom_filter_offset", cm->has_bloom_filter_offset, cm->bloom_filter_offset);
    kn_cli_j_opt_int(o, "bloom_filter_length", cm->has_bloom_filter_length, cm->bloom_filter_length);
    if (cm->num_key_value_metadata) {
        kn_cli_j_open(o, "key_value_metadata", '[');
        for (size_t k = 0; k < cm->num_key_value_metadata; k++) {
            kn_cli_j_open(o, NULL, '{');
            kn_cli_j_str_n(o, "key", cm->key_value_metadata[k].key, cm->key_value_metadata[k].key_len);
            kn_cli_j_str_n(o, "value", cm->key_value_metadata[k].value, cm->key_value_metadata[k].value_len);
            kn_cli_j_close(o, '}');
        }
        kn_cli_j_close(o, ']');
    }
}

/* --- the whole file ---------------------------------------------------------------------- */

/* kiln holds no keys: a plaintext footer over encrypted columns is refused like an encrypted
 * footer, naming how many columns are encrypted. */
static kn_status refuse_encrypted(const kn_pqr_meta *m, const char *path, kn_error *err) {
    size_t enc = 0, total = 0;
    for (size_t g = 0; g < m->num_row_groups; g++)
        for (size_t c = 0; c < m->row_groups[g].num_columns; c++) {
            const kn_pqr_column_chunk *cc = &m->row_groups[g].columns[c];
            total++;
            if (cc->has_crypto_metadata || cc->has_encrypted_column_metadata || !cc->has_meta_data) enc++;
        }
    if (!m->encryption_algorithm && !enc) return KN_OK;
    kn_error_locate(err, path, -1, -1, -1);
    if (m->encryption_algorithm && enc)
        return kn_error_set(err, KN_E_UNSUPPORTED,
                            "encrypted Parquet is not supported (plaintext footer, %zu of %zu column chunks encrypted)", enc, total);
    if (m->encryption_algorithm)
        return kn_error_set(err, KN_E_UNSUPPORTED,
                            "encrypted Parquet is not supported (plaintext footer with an encryption algorithm)");
    return kn_error_set(err, KN_E_UNSUPPORTED,
                        "%zu of %zu column chunks have no readable metadata (encrypted columns are not supported)", enc, total);
}

static void text_file(kn_cli_out *o, const kn_pqr_meta *m, kn_source *src, const inspect_opts *opt, kn_buf *scratch,
                      kn_buf *tmp, bool *page_failed) {
    kn_cli_outf(o, "file: %s\n", opt->path);
    kn_cli_outf(o, "size: %" PRIu64 " bytes (footer %u bytes at byte %" PRIu64 ")\n", m->file_size, m->footer_len, m->footer_offset);
    kn_cli_outf(o, "format version: %d\n", (int)m->version);
    kn_cli_outf(o, "created_by: ");
    if (m->created_by) text_bytes(o, m->created_by, strlen(m->created_by), 0, tmp);
    else kn_cli_outf(o, "(none)");
    kn_cli_outf(o, "\n");
    kn_cli_outf(o, "num_rows: %" PRId64 "\n", m->num_rows);
    kn_cli_outf(o, "row groups: %zu\n", m->num_row_groups);
    kn_cli_outf(o, "key/value metadata: %zu\n", m->num_key_value_metadata);
    for (size_t k = 0; k < m->num_key_value_metadata; k++) text_kv(o, "  ", &m->key_value_metadata[k], tmp);
    text_schema(o, m);
    if (m->has_column_orders) {
        kn_cli_outf(o, "column orders:");
        name_buf nb;
        bool same = m->num_column_orders > 1;
        for (size_t k = 1; k < m->num_column_orders; k++) same = same && m->column_orders[k] == m->column_orders[0];
        if (same)
            kn_cli_outf(o, " %s for all %zu", order_text(m->column_orders[0], &nb), m->num_column_orders);
        else
            for (size_t k = 0; k < m->num_column_orders; k++)
                kn_cli_outf(o, "%s %s", k ? "," : "", order_text(m->column_orders[k], &nb));
        kn_cli_outf(o, "\n");
    } else {
        kn_cli_outf(o, "column orders: none\n");
    }
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        kn_cli_outf(o, "row group %zu: %" PRId64 " rows, total_byte_size %" PRId64, g, rg->num_rows, rg->total_byte_size);
        if (rg->has_total_compressed_size) kn_cli_outf(o, ", total_compressed_size %" PRId64, rg->total_compressed_size);
        if (rg->has_file_offset) kn_cli_outf(o, ", file_offset %" PRId64, rg->file_offset);
        if (rg->has_ordinal) kn_cli_outf(o, ", ordinal %d", (int)rg->ordinal);
        kn_cli_outf(o, "\n");
        for (size_t s = 0; s < rg->num_sorting_columns; s++) {
            const kn_pqr_sorting_column *sc = &rg->sorting_columns[s];
            bool known = sc->column_idx >= 0 && (size_t)sc->column_idx < m->num_leaves;
            kn_cli_outf(o, "  sorted by column %d%s%s%s %s, nulls %s\n", (int)sc->column_idx, known ? " (" : "",
                        known ? m->leaves[sc->column_idx].path : "", known ? ")" : "",
                        sc->descending ? "descending" : "ascending", sc->nulls_first ? "first" : "last");
        }
        for (size_t c = 0; c < rg->num_columns; c++) {
            text_chunk(o, m, c, &rg->columns[c], tmp);
            kn_cli_show_page_index(o, src, &m->schema[m->leaves[c].element], &rg->columns[c], false, opt->pages, tmp,
                                   page_failed);
            if (opt->pages) {
                page_walk w;
                walk_pages(o, src, &m->schema[m->leaves[c].element], &rg->columns[c].meta_data, scratch, tmp, false, &w);
                if (w.failed) *page_failed = true;
            }
        }
    }
}

static void json_file(kn_cli_out *o, const kn_pqr_meta *m, kn_source *src, const inspect_opts *opt, kn_buf *scratch,
                      kn_buf *tmp, bool *page_failed) {
    name_buf nb;
    kn_cli_j_open(o, NULL, '{');
    kn_cli_j_str(o, "file", opt->path);
    kn_cli_j_int(o, "file_size", (int64_t)m->file_size);
    kn_cli_j_int(o, "footer_offset", (int64_t)m->footer_offset);
    kn_cli_j_int(o, "footer_length", m->footer_len);
    kn_cli_j_int(o, "version", m->version);
    kn_cli_j_str(o, "created_by", m->created_by);
    kn_cli_j_int(o, "num_rows", m->num_rows);
    kn_cli_j_open(o, "key_value_metadata", '[');
    for (size_t k = 0; k < m->num_key_value_metadata; k++) {
        const kn_pqr_kv *kv = &m->key_value_metadata[k];
        kn_cli_j_open(o, NULL, '{');
        kn_cli_j_str_n(o, "key", kv->key, kv->key_len);
        kn_cli_j_str_n(o, "value", kv->value, kv->value_len);
        kn_cli_j_close(o, '}');
    }
    kn_cli_j_close(o, ']');
    json_schema(o, m);
    if (m->has_column_orders) {
        kn_cli_j_open(o, "column_orders", '[');
        for (size_t k = 0; k < m->num_column_orders; k++)
            kn_cli_j_str(o, NULL, order_text(m->column_orders[k], &nb));
        kn_cli_j_close(o, ']');
    } else {
        kn_cli_j_str(o, "column_orders", NULL);
    }
    kn_cli_j_open(o, "row_groups", '[');
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        kn_cli_j_open(o, NULL, '{');
        kn_cli_j_int(o, "num_rows", rg->num_rows);
        kn_cli_j_int(o, "total_byte_size", rg->total_byte_size);
        kn_cli_j_opt_int(o, "total_compressed_size", rg->has_total_compressed_size, rg->total_compressed_size);
        kn_cli_j_opt_int(o, "file_offset", rg->has_file_offset, rg->file_offset);
        kn_cli_j_opt_int(o, "ordinal", rg->has_ordinal, rg->ordinal);
        if (rg->has_sorting_columns) {
            kn_cli_j_open(o, "sorting_columns", '[');
            for (size_t s = 0; s < rg->num_sorting_columns; s++) {
                kn_cli_j_open(o, NULL, '{');
                int32_t idx = rg->sorting_columns[s].column_idx;
                kn_cli_j_int(o, "column_idx", idx);
                kn_cli_j_str(o, "column", idx >= 0 && (size_t)idx < m->num_leaves ? m->leaves[idx].path : NULL);
                kn_cli_j_bool(o, "descending", rg->sorting_columns[s].descending);
                kn_cli_j_bool(o, "nulls_first", rg->sorting_columns[s].nulls_first);
                kn_cli_j_close(o, '}');
            }
            kn_cli_j_close(o, ']');
        }
        kn_cli_j_open(o, "columns", '[');
        for (size_t c = 0; c < rg->num_columns; c++) {
            kn_cli_j_open(o, NULL, '{');
            json_chunk(o, m, c, &rg->columns[c], tmp);
            kn_cli_show_page_index(o, src, &m->schema[m->leaves[c].element], &rg->columns[c], true, opt->pages, tmp,
                                   page_failed);
            if (opt->pages) {
                page_walk w;
                walk_pages(o, src, &m->schema[m->leaves[c].element], &rg->columns[c].meta_data, scratch, tmp, true, &w);
                if (w.failed) *page_failed = true;
            }
            kn_cli_j_close(o, '}');
        }
        kn_cli_j_close(o, ']');
        kn_cli_j_close(o, '}');
    }
    kn_cli_j_close(o, ']');
    kn_cli_j_close(o, '}');
    kn_cli_out_bytes(o, "\n", 1);
}

static kn_status parse_options(int argc, char **argv, inspect_opts *opt, bool *help, kn_error *err) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"pages", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0; /* GNU getopt: start over, argv[0] is the command name */
    opterr = 0;
    /* Options may follow FILE too ("kiln inspect f.parquet --json"): GNU getopt permutes. */
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': opt->json = true; break;
        case 'p': opt->pages = true; break;
        case 'h': *help = true; return KN_OK;
        default:
            if (optopt && optopt < 256)
                return kn_error_set(err, KN_E_USAGE, "unknown option '-%c' (see kiln inspect --help)", optopt);
            return kn_error_set(err, KN_E_USAGE, "unknown option '%s' (see kiln inspect --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc) return kn_error_set(err, KN_E_USAGE, "no FILE given (see kiln inspect --help)");
    if (argc - optind > 1) return kn_error_set(err, KN_E_USAGE, "one FILE at a time (got %d)", argc - optind);
    opt->path = argv[optind];
    return KN_OK;
}

int kn_cli_inspect(int argc, char **argv) {
    inspect_opts opt = {false, false, NULL};
    bool help = false;
    kn_error err;
    kn_error_reset(&err);
    kn_status st = parse_options(argc, argv, &opt, &help, &err);
    if (st != KN_OK) return kn_cli_fail(st, &err);
    if (help) {
        fputs(inspect_usage, stdout);
        return 0;
    }
    kn_source *src = NULL;
    kn_pqr_meta *m = NULL;
    st = kn_file_source_open(opt.path, &src, &err);
    if (st == KN_OK) st = kn_pqr_meta_read(src, &m, &err);
    if (st == KN_OK) st = refuse_encrypted(m, opt.path, &err);
    kn_cli_out o;
    kn_cli_out_init(&o);
    kn_buf scratch = KN_BUF_INIT, tmp = KN_BUF_INIT;
    bool page_failed = false;
    if (st == KN_OK) {
        if (opt.json) json_file(&o, m, src, &opt, &scratch, &tmp, &page_failed);
        else text_file(&o, m, src, &opt, &scratch, &tmp, &page_failed);
        if (!o.ok) st = kn_error_set(&err, KN_E_NOMEM, "out of memory formatting the output");
    }
    if (st == KN_OK) {
        fwrite(o.b.data, 1, o.b.len, stdout);
        if (fflush(stdout) != 0) st = kn_error_set(&err, KN_E_IO, "cannot write to stdout");
    }
    kn_buf_free(&o.b);
    kn_buf_free(&scratch);
    kn_buf_free(&tmp);
    kn_pqr_meta_free(m);
    kn_source_free(src);
    if (st != KN_OK) return kn_cli_fail(st, &err);
    if (page_failed) {
        fprintf(stderr, "kiln: error: %s: a page header is damaged (see the output)\n", opt.path);
        return kn_status_exit_code(KN_E_FORMAT);
    }
    return 0;
}
