/* engine/cli/kn_cli_inspect_index.c: a column chunk's page index as `kiln inspect` shows it
 * (kn_cli_inspect_index.h). */
#include "kn_cli_inspect_index.h"

#include <inttypes.h>
#include <stdio.h>

#include "kn_pqr_index.h"
#include "kn_pqr_show.h"

/* Page bounds longer than this are cut in the text output (JSON gets them whole), as the chunk
 * statistics are. */
#define TEXT_MAX 200

/* The display text of one bound into tmp (NUL-terminated); false when memory ran out. */
static bool bound_text(const kn_pqr_schema_element *e, const kn_pqr_bytes *v, size_t max, kn_buf *tmp) {
    kn_buf_clear(tmp);
    return kn_pqr_value_format(e, v->data ? v->data : (const uint8_t *)"", v->len, max, tmp) && kn_buf_push(tmp, '\0');
}

static void text_page(kn_cli_out *o, const kn_pqr_page_index *pi, const kn_pqr_schema_element *e, size_t i, kn_buf *tmp) {
    const kn_pqr_column_index *ci = pi->has_column_index ? &pi->column_index : NULL;
    kn_cli_outf(o, "        page %zu:", i);
    if (pi->has_offset_index && i < pi->offset_index.num_page_locations) {
        const kn_pqr_page_location *l = &pi->offset_index.page_locations[i];
        kn_cli_outf(o, " first row %" PRId64 ", at %" PRId64 ", %d bytes with header", l->first_row_index, l->offset,
                    (int)l->compressed_page_size);
    }
    if (ci && i < ci->num_pages) {
        if (ci->null_counts) kn_cli_outf(o, ", %" PRId64 " null%s", ci->null_counts[i], ci->null_counts[i] == 1 ? "" : "s");
        if (ci->nan_counts) kn_cli_outf(o, ", %" PRId64 " NaN%s", ci->nan_counts[i], ci->nan_counts[i] == 1 ? "" : "s");
        if (ci->null_pages[i]) {
            kn_cli_outf(o, ", null page");
        } else {
            const char *q = kn_pqr_value_is_text(e) ? "\"" : "";
            if (!bound_text(e, &ci->min_values[i], TEXT_MAX, tmp)) o->ok = false;
            else kn_cli_outf(o, ", min %s%s%s", q, (char *)tmp->data, q);
            if (!bound_text(e, &ci->max_values[i], TEXT_MAX, tmp)) o->ok = false;
            else kn_cli_outf(o, ", max %s%s%s", q, (char *)tmp->data, q);
        }
    }
    kn_cli_outf(o, "\n");
}

static void json_page(kn_cli_out *o, const kn_pqr_page_index *pi, const kn_pqr_schema_element *e, size_t i, kn_buf *tmp) {
    const kn_pqr_column_index *ci = pi->has_column_index ? &pi->column_index : NULL;
    bool loc = pi->has_offset_index && i < pi->offset_index.num_page_locations;
    const kn_pqr_page_location *l = loc ? &pi->offset_index.page_locations[i] : NULL;
    bool stats = ci && i < ci->num_pages;
    kn_cli_j_open(o, NULL, '{');
    kn_cli_j_opt_int(o, "first_row_index", loc, loc ? l->first_row_index : 0);
    kn_cli_j_opt_int(o, "offset", loc, loc ? l->offset : 0);
    kn_cli_j_opt_int(o, "compressed_page_size", loc, loc ? l->compressed_page_size : 0);
    if (stats) kn_cli_j_bool(o, "null_page", ci->null_pages[i]);
    else kn_cli_j_str(o, "null_page", NULL);
    kn_cli_j_opt_int(o, "null_count", stats && ci->null_counts, stats && ci->null_counts ? ci->null_counts[i] : 0);
    kn_cli_j_opt_int(o, "nan_count", stats && ci->nan_counts, stats && ci->nan_counts ? ci->nan_counts[i] : 0);
    bool bounds = stats && !ci->null_pages[i];
    if (bounds && bound_text(e, &ci->min_values[i], 0, tmp)) kn_cli_j_str_n(o, "min", (char *)tmp->data, tmp->len - 1);
    else kn_cli_j_str(o, "min", NULL);
    if (bounds && bound_text(e, &ci->max_values[i], 0, tmp)) kn_cli_j_str_n(o, "max", (char *)tmp->data, tmp->len - 1);
    else kn_cli_j_str(o, "max", NULL);
    kn_cli_j_close(o, '}');
}

static size_t page_count(const kn_pqr_page_index *pi) {
    return pi->has_offset_index ? pi->offset_index.num_page_locations : pi->column_index.num_pages;
}

void kn_cli_show_page_index(kn_cli_out *o, kn_source *src, const kn_pqr_schema_element *e, const kn_pqr_column_chunk *cc,
                            bool json, bool pages, kn_buf *tmp, bool *failed) {
    bool has_oi = cc->has_offset_index_offset && cc->has_offset_index_length;
    bool has_ci = cc->has_column_index_offset && cc->has_column_index_length;
    if (!has_oi && !has_ci) {
        if (json) kn_cli_j_str(o, "page_index", NULL);
        else kn_cli_outf(o, "      page index: none\n");
        return;
    }
    kn_error err;
    kn_error_reset(&err);
    kn_pqr_page_index *pi = NULL;
    kn_status st = kn_pqr_page_index_read(src, cc, &pi, &err);
    char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 64];
    if (st != KN_OK) {
        kn_error_format(&err, msg, sizeof msg);
        if (pages) *failed = true;
    }
    const kn_pqr_column_index *ci = pi && pi->has_column_index ? &pi->column_index : NULL;
    if (json) {
        kn_cli_j_open(o, "page_index", '{');
        kn_cli_j_opt_int(o, "num_pages", pi != NULL, pi ? (int64_t)page_count(pi) : 0);
        kn_cli_j_bool(o, "offset_index", pi && pi->has_offset_index);
        kn_cli_j_bool(o, "column_index", ci != NULL);
        kn_cli_j_str(o, "boundary_order", ci ? kn_pqr_boundary_order_name(ci->boundary_order) : NULL);
        kn_cli_j_bool(o, "null_counts", ci && ci->null_counts);
        kn_cli_j_bool(o, "nan_counts", ci && ci->nan_counts);
        kn_cli_j_str(o, "error", st != KN_OK ? msg : NULL);
        if (pages && pi) {
            kn_cli_j_open(o, "pages", '[');
            for (size_t i = 0; i < page_count(pi); i++) json_page(o, pi, e, i, tmp);
            kn_cli_j_close(o, ']');
        }
        kn_cli_j_close(o, '}');
    } else if (st != KN_OK) {
        kn_cli_outf(o, "      page index: damaged: %s\n", msg);
    } else {
        size_t n = page_count(pi);
        kn_cli_outf(o, "      page index: %zu page%s", n, n == 1 ? "" : "s");
        if (pi->has_offset_index)
            kn_cli_outf(o, "; offset index at %" PRId64 " (%d bytes)", cc->offset_index_offset, (int)cc->offset_index_length);
        else
            kn_cli_outf(o, "; no offset index");
        if (ci) {
            const char *bo = kn_pqr_boundary_order_name(ci->boundary_order);
            kn_cli_outf(o, "; column index at %" PRId64 " (%d bytes), ", cc->column_index_offset, (int)cc->column_index_length);
            if (bo) kn_cli_outf(o, "%s", bo);
            else kn_cli_outf(o, "boundary order %d", (int)ci->boundary_order);
            kn_cli_outf(o, "%s%s", ci->null_counts ? ", null counts" : ", no null counts", ci->nan_counts ? ", NaN counts" : "");
        } else {
            kn_cli_outf(o, "; no column index");
        }
        kn_cli_outf(o, "\n");
        if (pages) {
            kn_cli_outf(o, "      page index pages:\n");
            for (size_t i = 0; i < n; i++) text_page(o, pi, e, i, tmp);
        }
    }
    kn_pqr_page_index_free(pi);
}
