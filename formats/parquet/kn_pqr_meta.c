/* formats/parquet/kn_pqr_meta.c: decodes the Thrift FileMetaData into kn_pqr_meta, and checks
 * that a footer holds every field parquet.thrift marks required. Reading the footer bytes from
 * a file lives in kn_pqr_footer.c, the schema tree in kn_pqr_schema.c. */
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_pqr_decode.h"
#include "kn_pqr_schema.h"

/* Decodes one element of a list into `out`; `type` is the list's element type. */
typedef kn_status (*elem_fn)(kn__pqr_dec *d, uint8_t type, void *out);

/* A list of `elem_size`-byte elements. The count was checked against the bytes left, so the
 * array is at most a constant times the footer's size. */
static kn_status decode_list(kn__pqr_dec *d, uint8_t type, size_t elem_size, elem_fn fn, void **items,
                             size_t *count) {
    uint8_t et;
    size_t n;
    *items = NULL;
    *count = 0;
    KN_TRY(kn__tc_list(&d->r, type, &et, &n));
    char *arr = kn__pqr_alloc(d, n, elem_size);
    if (!arr) return d->r.status;
    for (size_t i = 0; i < n; i++) KN_TRY(fn(d, et, arr + i * elem_size));
    *items = arr;
    *count = n;
    return KN_OK;
}

/* The wire type of each known field, by field id (parquet.thrift). */
static const uint8_t any_want[1] = {0};
static const uint8_t kv_want[] = {[1] = KN__W_BIN, [2] = KN__W_BIN};
static const uint8_t decimal_want[] = {[1] = KN__W_INT, [2] = KN__W_INT};
static const uint8_t int_want[] = {[1] = KN__W_INT, [2] = KN__W_BOOL};
static const uint8_t variant_want[] = {[1] = KN__W_INT};
static const uint8_t logical_want[] = {[1] = KN__W_STRUCT, [2] = KN__W_STRUCT, [3] = KN__W_STRUCT,
                                       [4] = KN__W_STRUCT, [5] = KN__W_STRUCT, [6] = KN__W_STRUCT,
                                       [7] = KN__W_STRUCT, [8] = KN__W_STRUCT, [10] = KN__W_STRUCT,
                                       [11] = KN__W_STRUCT, [12] = KN__W_STRUCT, [13] = KN__W_STRUCT,
                                       [14] = KN__W_STRUCT, [15] = KN__W_STRUCT, [16] = KN__W_STRUCT,
                                       [17] = KN__W_STRUCT, [18] = KN__W_STRUCT};
static const uint8_t schema_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT, [4] = KN__W_BIN,
                                      [5] = KN__W_INT, [6] = KN__W_INT, [7] = KN__W_INT, [8] = KN__W_INT,
                                      [9] = KN__W_INT, [10] = KN__W_STRUCT};
static const uint8_t encoding_stats_want[] = {[1] = KN__W_INT, [2] = KN__W_INT, [3] = KN__W_INT};
static const uint8_t column_meta_want[] = {[1] = KN__W_INT, [2] = KN__W_LIST, [3] = KN__W_LIST,
                                           [4] = KN__W_INT, [5] = KN__W_INT, [6] = KN__W_INT, [7] = KN__W_INT,
                                           [8] = KN__W_LIST, [9] = KN__W_INT, [10] = KN__W_INT,
                                           [11] = KN__W_INT, [12] = KN__W_STRUCT, [13] = KN__W_LIST,
                                           [14] = KN__W_INT, [15] = KN__W_INT, [16] = KN__W_STRUCT,
                                           [17] = KN__W_STRUCT};
static const uint8_t column_chunk_want[] = {[1] = KN__W_BIN, [2] = KN__W_INT, [3] = KN__W_STRUCT,
                                            [4] = KN__W_INT, [5] = KN__W_INT, [6] = KN__W_INT,
                                            [7] = KN__W_INT, [8] = KN__W_STRUCT, [9] = KN__W_BIN};
static const uint8_t sorting_want[] = {[1] = KN__W_INT, [2] = KN__W_BOOL, [3] = KN__W_BOOL};
static const uint8_t row_group_want[] = {[1] = KN__W_LIST, [2] = KN__W_INT, [3] = KN__W_INT, [4] = KN__W_LIST,
                                         [5] = KN__W_INT, [6] = KN__W_INT, [7] = KN__W_INT};
static const uint8_t file_meta_want[] = {[1] = KN__W_INT, [2] = KN__W_LIST, [3] = KN__W_INT, [4] = KN__W_LIST,
                                         [5] = KN__W_LIST, [6] = KN__W_BIN, [7] = KN__W_LIST,
                                         [8] = KN__W_STRUCT, [9] = KN__W_BIN};
static const uint8_t time_want[] = {[1] = KN__W_BOOL, [2] = KN__W_STRUCT};
static const uint8_t geo_want[] = {[1] = KN__W_BIN, [2] = KN__W_INT};

static kn_status elem_i32(kn__pqr_dec *d, uint8_t type, void *out) { return kn__tc_i32(&d->r, type, out); }

static kn_status elem_string(kn__pqr_dec *d, uint8_t type, void *out) {
    return kn__pqr_string(d, type, (const char **)out, NULL);
}

static kn_status elem_kv(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_kv *kv = out;
    kv->key = "";
    KN__PQR_FIELDS(d, type, "KeyValue", kv_want, &kv->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_string(d, t, &kv->key, &kv->key_len)); break;
        case 2: KN_TRY(kn__pqr_string(d, t, &kv->value, &kv->value_len)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

/* A union member that is an empty struct (TimeUnit, ColumnOrder, EncryptionAlgorithm): its
 * field id says which; its contents are skipped. */
static kn_status union_kind(kn__pqr_dec *d, uint8_t type, const char *name, int *kind) {
    *kind = 0;
    KN__PQR_FIELDS(d, type, name, any_want, &(uint64_t){0}, {
        *kind = id;
        KN_TRY(kn__tc_skip(&d->r, t));
    });
    return KN_OK;
}

static kn_status decode_decimal(kn__pqr_dec *d, uint8_t type, kn_pqr_logical *lt) {
    KN__PQR_FIELDS(d, type, "DecimalType", decimal_want, &lt->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i32(&d->r, t, &lt->scale)); break;
        case 2: KN_TRY(kn__tc_i32(&d->r, t, &lt->precision)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_time(kn__pqr_dec *d, uint8_t type, const char *name, kn_pqr_logical *lt) {
    KN__PQR_FIELDS(d, type, name, time_want, &lt->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_bool_field(&d->r, t, &lt->utc)); break;
        case 2: KN_TRY(union_kind(d, t, "TimeUnit", &lt->unit)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_int_type(kn__pqr_dec *d, uint8_t type, kn_pqr_logical *lt) {
    KN__PQR_FIELDS(d, type, "IntType", int_want, &lt->seen, {
        int64_t v;
        switch (id) {
        case 1:
            KN_TRY(kn__tc_int(&d->r, t, 0, 64, &v));
            lt->bit_width = (int)v;
            break;
        case 2: KN_TRY(kn__tc_bool_field(&d->r, t, &lt->is_signed)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_variant(kn__pqr_dec *d, uint8_t type, kn_pqr_logical *lt) {
    KN__PQR_FIELDS(d, type, "VariantType", variant_want, &lt->seen, {
        int64_t v;
        switch (id) {
        case 1:
            KN_TRY(kn__tc_int(&d->r, t, INT8_MIN, INT8_MAX, &v));
            lt->spec_version = (int)v;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_geo(kn__pqr_dec *d, uint8_t type, const char *name, kn_pqr_logical *lt) {
    KN__PQR_FIELDS(d, type, name, geo_want, &lt->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_string(d, t, &lt->crs, NULL)); break;
        case 2: KN_TRY(kn__tc_i32(&d->r, t, &lt->algorithm)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_logical(kn__pqr_dec *d, uint8_t type, kn_pqr_logical *lt) {
    uint64_t union_seen = 0;
    lt->algorithm = -1;
    lt->spec_version = -1;
    KN__PQR_FIELDS(d, type, "LogicalType", logical_want, &union_seen, {
        /* A union holds one member; should a writer send more, the last one wins. */
        lt->kind = id;
        lt->seen = 0;
        switch (id) {
        case KN_PQR_LT_DECIMAL: KN_TRY(decode_decimal(d, t, lt)); break;
        case KN_PQR_LT_TIME: KN_TRY(decode_time(d, t, "TimeType", lt)); break;
        case KN_PQR_LT_TIMESTAMP: KN_TRY(decode_time(d, t, "TimestampType", lt)); break;
        case KN_PQR_LT_INTEGER: KN_TRY(decode_int_type(d, t, lt)); break;
        case KN_PQR_LT_VARIANT: KN_TRY(decode_variant(d, t, lt)); break;
        case KN_PQR_LT_GEOMETRY: KN_TRY(decode_geo(d, t, "GeometryType", lt)); break;
        case KN_PQR_LT_GEOGRAPHY: KN_TRY(decode_geo(d, t, "GeographyType", lt)); break;
        default:
            /* STRING, MAP, LIST, ... are empty structs; members kiln does not know are kept
             * by id and skipped whatever their type. */
            KN_TRY(kn__tc_skip(&d->r, t));
            break;
        }
    });
    return KN_OK;
}

static kn_status elem_schema(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_schema_element *e = out;
    e->name = "";
    KN__PQR_FIELDS(d, type, "SchemaElement", schema_want, &e->seen, {
        switch (id) {
        case 1:
            KN_TRY(kn__pqr_int32_in(d, t, KN_PQ_BOOLEAN, KN_PQ_FIXED_LEN_BYTE_ARRAY, &e->type, "physical type"));
            e->has_type = true;
            break;
        case 2:
            KN_TRY(kn__tc_i32(&d->r, t, &e->type_length));
            e->has_type_length = true;
            break;
        case 3:
            KN_TRY(kn__pqr_int32_in(d, t, KN_PQ_REQUIRED, KN_PQ_REPEATED, &e->repetition, "repetition type"));
            e->has_repetition = true;
            break;
        case 4: KN_TRY(kn__pqr_string(d, t, &e->name, NULL)); break;
        case 5:
            KN_TRY(kn__pqr_int32_in(d, t, 0, INT32_MAX, &e->num_children, "num_children"));
            e->has_num_children = true;
            break;
        case 6:
            KN_TRY(kn__tc_i32(&d->r, t, &e->converted_type));
            e->has_converted_type = true;
            break;
        case 7:
            KN_TRY(kn__tc_i32(&d->r, t, &e->scale));
            e->has_scale = true;
            break;
        case 8:
            KN_TRY(kn__tc_i32(&d->r, t, &e->precision));
            e->has_precision = true;
            break;
        case 9:
            KN_TRY(kn__tc_i32(&d->r, t, &e->field_id));
            e->has_field_id = true;
            break;
        case 10: KN_TRY(decode_logical(d, t, &e->logical)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status elem_encoding_stats(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_encoding_stats *es = out;
    KN__PQR_FIELDS(d, type, "PageEncodingStats", encoding_stats_want, &es->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i32(&d->r, t, &es->page_type)); break;
        case 2: KN_TRY(kn__tc_i32(&d->r, t, &es->encoding)); break;
        case 3: KN_TRY(kn__tc_i32(&d->r, t, &es->count)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status decode_column_meta(kn__pqr_dec *d, uint8_t type, kn_pqr_column_meta *cm) {
    void *items;
    KN__PQR_FIELDS(d, type, "ColumnMetaData", column_meta_want, &cm->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_int32_in(d, t, KN_PQ_BOOLEAN, KN_PQ_FIXED_LEN_BYTE_ARRAY, &cm->type, "physical type")); break;
        case 2:
            KN_TRY(decode_list(d, t, sizeof(int32_t), elem_i32, &items, &cm->num_encodings));
            cm->encodings = items;
            break;
        case 3:
            KN_TRY(decode_list(d, t, sizeof(char *), elem_string, &items, &cm->path_len));
            cm->path_in_schema = items;
            break;
        case 4: KN_TRY(kn__tc_i32(&d->r, t, &cm->codec)); break;
        case 5: KN_TRY(kn__tc_i64(&d->r, t, &cm->num_values)); break;
        case 6: KN_TRY(kn__tc_i64(&d->r, t, &cm->total_uncompressed_size)); break;
        case 7: KN_TRY(kn__tc_i64(&d->r, t, &cm->total_compressed_size)); break;
        case 8:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_kv), elem_kv, &items, &cm->num_key_value_metadata));
            cm->key_value_metadata = items;
            break;
        case 9: KN_TRY(kn__tc_i64(&d->r, t, &cm->data_page_offset)); break;
        case 10:
            KN_TRY(kn__tc_i64(&d->r, t, &cm->index_page_offset));
            cm->has_index_page_offset = true;
            break;
        case 11:
            KN_TRY(kn__tc_i64(&d->r, t, &cm->dictionary_page_offset));
            cm->has_dictionary_page_offset = true;
            break;
        case 12: KN_TRY(kn__pqr_stats(d, t, &cm->statistics)); break;
        case 13:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_encoding_stats), elem_encoding_stats, &items, &cm->num_encoding_stats));
            cm->encoding_stats = items;
            cm->has_encoding_stats = true;
            break;
        case 14:
            KN_TRY(kn__tc_i64(&d->r, t, &cm->bloom_filter_offset));
            cm->has_bloom_filter_offset = true;
            break;
        case 15:
            KN_TRY(kn__tc_i32(&d->r, t, &cm->bloom_filter_length));
            cm->has_bloom_filter_length = true;
            break;
        case 16:
            KN_TRY(kn__tc_skip(&d->r, t));
            cm->has_size_statistics = true;
            break;
        case 17:
            KN_TRY(kn__tc_skip(&d->r, t));
            cm->has_geospatial_statistics = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status elem_column_chunk(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_column_chunk *cc = out;
    KN__PQR_FIELDS(d, type, "ColumnChunk", column_chunk_want, &cc->seen, {
        switch (id) {
        case 1: KN_TRY(kn__pqr_string(d, t, &cc->file_path, NULL)); break;
        case 2: KN_TRY(kn__tc_i64(&d->r, t, &cc->file_offset)); break;
        case 3:
            KN_TRY(decode_column_meta(d, t, &cc->meta_data));
            cc->has_meta_data = true;
            break;
        case 4:
            KN_TRY(kn__tc_i64(&d->r, t, &cc->offset_index_offset));
            cc->has_offset_index_offset = true;
            break;
        case 5:
            KN_TRY(kn__tc_i32(&d->r, t, &cc->offset_index_length));
            cc->has_offset_index_length = true;
            break;
        case 6:
            KN_TRY(kn__tc_i64(&d->r, t, &cc->column_index_offset));
            cc->has_column_index_offset = true;
            break;
        case 7:
            KN_TRY(kn__tc_i32(&d->r, t, &cc->column_index_length));
            cc->has_column_index_length = true;
            break;
        case 8:
            KN_TRY(kn__tc_skip(&d->r, t));
            cc->has_crypto_metadata = true;
            break;
        case 9:
            KN_TRY(kn__tc_skip(&d->r, t));
            cc->has_encrypted_column_metadata = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status elem_sorting_column(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_sorting_column *sc = out;
    KN__PQR_FIELDS(d, type, "SortingColumn", sorting_want, &sc->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i32(&d->r, t, &sc->column_idx)); break;
        case 2: KN_TRY(kn__tc_bool_field(&d->r, t, &sc->descending)); break;
        case 3: KN_TRY(kn__tc_bool_field(&d->r, t, &sc->nulls_first)); break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status elem_row_group(kn__pqr_dec *d, uint8_t type, void *out) {
    kn_pqr_row_group *rg = out;
    void *items;
    KN__PQR_FIELDS(d, type, "RowGroup", row_group_want, &rg->seen, {
        int64_t v;
        switch (id) {
        case 1:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_column_chunk), elem_column_chunk, &items, &rg->num_columns));
            rg->columns = items;
            break;
        case 2: KN_TRY(kn__tc_i64(&d->r, t, &rg->total_byte_size)); break;
        case 3: KN_TRY(kn__tc_i64(&d->r, t, &rg->num_rows)); break;
        case 4:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_sorting_column), elem_sorting_column, &items, &rg->num_sorting_columns));
            rg->sorting_columns = items;
            rg->has_sorting_columns = true;
            break;
        case 5:
            KN_TRY(kn__tc_i64(&d->r, t, &rg->file_offset));
            rg->has_file_offset = true;
            break;
        case 6:
            KN_TRY(kn__tc_i64(&d->r, t, &rg->total_compressed_size));
            rg->has_total_compressed_size = true;
            break;
        case 7:
            KN_TRY(kn__tc_int(&d->r, t, INT16_MIN, INT16_MAX, &v));
            rg->ordinal = (int16_t)v;
            rg->has_ordinal = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

static kn_status elem_column_order(kn__pqr_dec *d, uint8_t type, void *out) {
    return union_kind(d, type, "ColumnOrder", out);
}

static kn_status decode_file_meta(kn__pqr_dec *d, kn_pqr_meta *m) {
    void *items;
    uint8_t type = KN_TC_STRUCT;
    KN__PQR_FIELDS(d, type, "FileMetaData", file_meta_want, &m->seen, {
        switch (id) {
        case 1: KN_TRY(kn__tc_i32(&d->r, t, &m->version)); break;
        case 2:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_schema_element), elem_schema, &items, &m->num_schema));
            m->schema = items;
            break;
        case 3: KN_TRY(kn__tc_i64(&d->r, t, &m->num_rows)); break;
        case 4:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_row_group), elem_row_group, &items, &m->num_row_groups));
            m->row_groups = items;
            break;
        case 5:
            KN_TRY(decode_list(d, t, sizeof(kn_pqr_kv), elem_kv, &items, &m->num_key_value_metadata));
            m->key_value_metadata = items;
            m->has_key_value_metadata = true;
            break;
        case 6: KN_TRY(kn__pqr_string(d, t, &m->created_by, NULL)); break;
        case 7:
            KN_TRY(decode_list(d, t, sizeof(int), elem_column_order, &items, &m->num_column_orders));
            m->column_orders = items;
            m->has_column_orders = true;
            break;
        case 8: KN_TRY(union_kind(d, t, "EncryptionAlgorithm", &m->encryption_algorithm)); break;
        case 9:
            KN_TRY(kn__tc_skip(&d->r, t));
            m->has_footer_signing_key_metadata = true;
            break;
        default: KN_TRY(kn__tc_skip(&d->r, t)); break;
        }
    });
    return KN_OK;
}

/* Each row group must hold one chunk per leaf, or no column chunk can be matched to its type. */
static kn_status check_row_groups(const kn_pqr_meta *m, const char *name, kn_error *err) {
    for (size_t i = 0; i < m->num_row_groups; i++) {
        const kn_pqr_row_group *rg = &m->row_groups[i];
        if (rg->num_columns != m->num_leaves) {
            kn_error_set(err, KN_E_FORMAT, "row group %zu has %zu column chunk(s) but the schema has %zu leaf column(s)",
                         i, rg->num_columns, m->num_leaves);
            kn_error_locate(err, name, -1, -1, (int64_t)m->footer_offset);
            return KN_E_FORMAT;
        }
    }
    return KN_OK;
}

kn_status kn_pqr_meta_decode(const uint8_t *data, size_t len, uint64_t base, const char *name,
                             kn_pqr_meta **out, kn_error *err) {
    *out = NULL;
    kn_arena *arena = kn_arena_create();
    kn_pqr_meta *m = arena ? kn_arena_alloc(arena, sizeof *m) : NULL;
    if (!m) {
        kn_arena_free(arena);
        return kn_error_set(err, KN_E_NOMEM, "out of memory decoding Parquet metadata");
    }
    memset(m, 0, sizeof *m);
    m->arena_ = arena;
    m->footer_offset = base;
    m->footer_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

    kn__pqr_dec d;
    kn__tc_init(&d.r, data, len, base, name, err);
    d.arena = arena;
    d.budget = len > (SIZE_MAX - ((size_t)16 << 20)) / 64 ? SIZE_MAX : KN__PQR_BUDGET(len);
    d.used = 0;
    kn_status st = decode_file_meta(&d, m);
    if (st == KN_OK && m->num_schema == 0) {
        st = kn_error_set(err, KN_E_FORMAT, "the footer has no schema (FileMetaData.schema is %s)",
                          KN_PQR_SEEN(m, 2) ? "empty" : "missing");
        kn_error_locate(err, name, -1, -1, (int64_t)base);
    }
    if (st == KN_OK) st = kn__pqr_schema_build(m, name, err);
    if (st == KN_OK) st = check_row_groups(m, name, err);
    if (st != KN_OK) {
        kn_arena_free(arena);
        return st;
    }
    *out = m;
    return KN_OK;
}

void kn_pqr_meta_free(kn_pqr_meta *m) {
    if (m) kn_arena_free(m->arena_);
}

/* --- required fields ------------------------------------------------------------------- */

/* Fails naming `strct` and the first id in `ids` missing from `seen`. */
static kn_status need_fields(uint64_t seen, const int *ids, size_t n, const char *strct, const char *where,
                             kn_error *err) {
    for (size_t i = 0; i < n; i++)
        if (!((seen >> ids[i]) & 1u))
            return kn_error_set(err, KN_E_FORMAT, "%s: required field %d of %s is missing", where, ids[i], strct);
    return KN_OK;
}
#define KN__NEED(seen, strct, where, ...)                                                     \
    do {                                                                                      \
        static const int ids_[] = {__VA_ARGS__};                                              \
        KN_TRY(need_fields(seen, ids_, sizeof ids_ / sizeof ids_[0], strct, where, err));     \
    } while (0)

kn_status kn_pqr_meta_check_required(const kn_pqr_meta *m, kn_error *err) {
    char where[160];
    KN__NEED(m->seen, "FileMetaData", "footer", 1, 2, 3, 4);
    for (size_t i = 0; i < m->num_schema; i++) {
        const kn_pqr_schema_element *e = &m->schema[i];
        snprintf(where, sizeof where, "schema element %zu '%s'", i, e->name);
        KN__NEED(e->seen, "SchemaElement", where, 4);
        const kn_pqr_logical *lt = &e->logical;
        if (lt->kind == KN_PQR_LT_DECIMAL) KN__NEED(lt->seen, "DecimalType", where, 1, 2);
        if (lt->kind == KN_PQR_LT_INTEGER) KN__NEED(lt->seen, "IntType", where, 1, 2);
        if (lt->kind == KN_PQR_LT_TIME) KN__NEED(lt->seen, "TimeType", where, 1, 2);
        if (lt->kind == KN_PQR_LT_TIMESTAMP) KN__NEED(lt->seen, "TimestampType", where, 1, 2);
    }
    for (size_t i = 0; i < m->num_key_value_metadata; i++) {
        snprintf(where, sizeof where, "key/value metadata %zu", i);
        KN__NEED(m->key_value_metadata[i].seen, "KeyValue", where, 1);
    }
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        snprintf(where, sizeof where, "row group %zu", g);
        KN__NEED(rg->seen, "RowGroup", where, 1, 2, 3);
        for (size_t s = 0; s < rg->num_sorting_columns; s++) KN__NEED(rg->sorting_columns[s].seen, "SortingColumn", where, 1, 2, 3);
        for (size_t c = 0; c < rg->num_columns; c++) {
            const kn_pqr_column_chunk *cc = &rg->columns[c];
            snprintf(where, sizeof where, "row group %zu column %zu", g, c);
            KN__NEED(cc->seen, "ColumnChunk", where, 2);
            if (!cc->has_meta_data) continue;
            const kn_pqr_column_meta *cm = &cc->meta_data;
            KN__NEED(cm->seen, "ColumnMetaData", where, 1, 2, 3, 4, 5, 6, 7, 9);
            for (size_t k = 0; k < cm->num_key_value_metadata; k++) KN__NEED(cm->key_value_metadata[k].seen, "KeyValue", where, 1);
            for (size_t k = 0; k < cm->num_encoding_stats; k++) KN__NEED(cm->encoding_stats[k].seen, "PageEncodingStats", where, 1, 2, 3);
        }
    }
    return KN_OK;
}
