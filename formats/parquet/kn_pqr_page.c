/* formats/parquet/kn_pqr_page.c: decodes page headers (PageHeader and its data, dictionary and
 * V2 parts), from memory or from a source at an offset, and finds a column chunk's pages. */
#include <string.h>

#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_pqr_decode.h"

/* The first read of a header; most are far smaller. A header that does not fit is read again
 * with twice the window, up to KN_PQR_MAX_PAGE_HEADER. */
#define KN_PQR_PAGE_WINDOW (16u * 1024u)
/* pyarrow refuses headers past 16 MiB; 64 MiB leaves room for any real writer. */
#define KN_PQR_MAX_PAGE_HEADER (64u * 1024u * 1024u)

/* The wire type of each known field, by field id (parquet.thrift). */
static const uint8_t data_header_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT, [4] = KN__W_INT,
                                           [5] = KN__W_STRUCT};
static const uint8_t dict_header_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_BOOL};
static const uint8_t v2_header_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT, [4] = KN__W_INT,
                                         [5] = KN__W_INT, [6] = KN__W_INT, [7] = KN__W_BOOL,
                                         [8] = KN__W_STRUCT};
static const uint8_t page_header_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT, [4] = KN__W_INT,
                                           [5] = KN__W_STRUCT, [6] = KN__W_STRUCT, [7] = KN__W_STRUCT,
                                           [8] = KN__W_STRUCT};

static kn_status decode_data_header(kn__pqr_dec *d, uint8_t type, kn_pqr_data_page_header *h) {
    KN__PQR_FIELDS(d, type, "DataPageHeader", data_header_want, &h->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->num_values, "num_values")); break;
        case 2: KN_TRY(kn__tc_i32(&d->r, t, &h->encoding)); break;
        case 3: KN_TRY(kn__tc_i32(&d->r, t, &h->definition_level_encoding)); break;
        case 4: KN_TRY(kn__tc_i32(&d->r, t, &h->repetition_level_encoding)); break;
        case 5: KN_TRY(kn__pqr_stats(d, t, &h->statistics)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_dict_header(kn__pqr_dec *d, uint8_t type, kn_pqr_dictionary_page_header *h) {
    KN__PQR_FIELDS(d, type, "DictionaryPageHeader", dict_header_want, &h->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->num_values, "num_values")); break;
        case 2: KN_TRY(kn__tc_i32(&d->r, t, &h->encoding)); break;
        case 3:
            KN_TRY(kn__tc_bool_field(&d->r, t, &h->is_sorted));
            h->has_is_sorted = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_v2_header(kn__pqr_dec *d, uint8_t type, kn_pqr_data_page_header_v2 *h) {
    KN__PQR_FIELDS(d, type, "DataPageHeaderV2", v2_header_want, &h->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->num_values, "num_values")); break;
        case 2: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->num_nulls, "num_nulls")); break;
        case 3: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->num_rows, "num_rows")); break;
        case 4: KN_TRY(kn__tc_i32(&d->r, t, &h->encoding)); break;
        case 5: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->definition_levels_byte_length, "definition_levels_byte_length")); break;
        case 6: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->repetition_levels_byte_length, "repetition_levels_byte_length")); break;
        case 7: KN_TRY(kn__tc_bool_field(&d->r, t, &h->is_compressed)); break;
        case 8: KN_TRY(kn__pqr_stats(d, t, &h->statistics)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_page_header(kn__pqr_dec *d, kn_pqr_page_header *h) {
    memset(h, 0, sizeof *h);
    h->data_page_header_v2.is_compressed = true;
    KN__PQR_FIELDS(d, KN_TC_STRUCT, "PageHeader", page_header_want, &h->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i32(&d->r, t, &h->type)); break;
        case 2: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->uncompressed_page_size, "uncompressed_page_size")); break;
        case 3: KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &h->compressed_page_size, "compressed_page_size")); break;
        case 4:
            KN_TRY(kn__tc_i32(&d->r, t, &h->crc));
            h->has_crc = true;
            break;
        case 5:
            KN_TRY(decode_data_header(d, t, &h->data_page_header));
            h->has_data_page_header = true;
            break;
        case 6:
            KN_TRY(kn__tc_skip(&d->r, t));
            h->has_index_page_header = true;
            break;
        case 7:
            KN_TRY(decode_dict_header(d, t, &h->dictionary_page_header));
            h->has_dictionary_page_header = true;
            break;
        case 8:
            KN_TRY(decode_v2_header(d, t, &h->data_page_header_v2));
            h->has_data_page_header_v2 = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

kn_status kn_pqr_page_header_decode(const uint8_t *data, size_t len, uint64_t base, const char *name,
                                    kn_pqr_page_header *out, size_t *header_len, kn_error *err) {
    kn__pqr_dec d;
    kn__tc_init(&d.r, data, len, base, name, err);
    d.arena = NULL;
    d.budget = d.used = 0;
    *header_len = 0;
    KN_TRY(decode_page_header(&d, out));
    *header_len = (size_t)(d.r.p - d.r.begin);
    return KN_OK;
}

kn_status kn_pqr_page_header_read(kn_source *src, uint64_t offset, uint64_t end, kn_buf *scratch,
                                  kn_pqr_page_header *out, size_t *header_len, kn_error *err) {
    *header_len = 0;
    memset(out, 0, sizeof *out);
    if (end > src->size) end = src->size;
    if (offset >= end) {
        kn_error_set(err, KN_E_FORMAT, "no page header fits here: the chunk or the file ends at byte %llu",
                     (unsigned long long)end);
        kn_error_locate(err, src->name, -1, -1, (int64_t)offset);
        return KN_E_FORMAT;
    }
    uint64_t avail = end - offset;
    size_t window = KN_PQR_PAGE_WINDOW;
    for (;;) {
        size_t n = avail < window ? (size_t)avail : window;
        kn_buf_clear(scratch);
        if (!kn_buf_reserve(scratch, n)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a page header");
        KN_TRY(kn_source_read_at(src, offset, scratch->data, n, err));
        scratch->len = n;
        /* Decode into a local error first: a header cut by the window is retried, and only
         * the final answer reaches the caller. */
        kn_error local;
        kn_error_reset(&local);
        kn__pqr_dec d;
        kn__tc_init(&d.r, scratch->data, n, offset, src->name, &local);
        d.arena = NULL;
        d.budget = d.used = 0;
        kn_status st = decode_page_header(&d, out);
        if (st == KN_OK) {
            *header_len = (size_t)(d.r.p - d.r.begin);
            return KN_OK;
        }
        bool more = d.r.ran_out && n == window && n < avail && window < KN_PQR_MAX_PAGE_HEADER;
        if (!more) {
            if (err) *err = local;
            return st;
        }
        window *= 2;
    }
}

kn_status kn_pqr_chunk_range(const kn_pqr_column_meta *cm, uint64_t *start, uint64_t *len, kn_error *err) {
    /* No page can start inside the leading "PAR1", so offsets below 4 mean "not set": some
     * writers wrote dictionary_page_offset 0 for "no dictionary", and data_page_offset 0 for a
     * chunk that holds only a dictionary page. A real dictionary page comes first. */
    int64_t s = -1;
    if (cm->data_page_offset >= 4) s = cm->data_page_offset;
    if (cm->has_dictionary_page_offset && cm->dictionary_page_offset >= 4 && (s < 0 || cm->dictionary_page_offset < s))
        s = cm->dictionary_page_offset;
    const char *path = cm->path_len ? cm->path_in_schema[cm->path_len - 1] : "?";
    if (s < 0)
        return kn_error_set(err, KN_E_FORMAT, "column chunk '%s' has no page offset past the file's magic (data page %lld)",
                            path, (long long)cm->data_page_offset);
    if (cm->total_compressed_size < 0)
        return kn_error_set(err, KN_E_FORMAT, "column chunk '%s' has a negative total_compressed_size (%lld)", path,
                            (long long)cm->total_compressed_size);
    *start = (uint64_t)s;
    *len = (uint64_t)cm->total_compressed_size;
    return KN_OK;
}
