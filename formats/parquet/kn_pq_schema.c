/* formats/parquet/kn_pq_schema.c: kiln types to Parquet leaves and SchemaElements
 * (kn_pq_schema.h). */
#include "kn_pq_schema.h"

#include "kn_pq_format.h"
#include "kn_pq_plain.h"

kn_status kn_pq_leaf_init(const kn_field *f, bool timestamp_int96, kn_pq_leaf *out,
                          kn_error *err) {
    kn_pq_leaf l = {0};
    l.name = f->name;
    l.type = f->type;
    l.nullable = f->nullable;
    l.dictionary = true;
    switch (f->type.id) {
    case KN_TYPE_STRING:
        l.physical = KN_PQ_BYTE_ARRAY, l.width = 0, l.order = KN_PQ_ORDER_BYTES;
        break;
    case KN_TYPE_BOOL:
        /* Two values a chunk at most: a dictionary would cost more than the bits it saves. */
        l.physical = KN_PQ_BOOLEAN, l.width = 1, l.order = KN_PQ_ORDER_BOOL, l.dictionary = false;
        break;
    case KN_TYPE_INT32:
    case KN_TYPE_DATE:
        l.physical = KN_PQ_INT32, l.width = 4, l.order = KN_PQ_ORDER_I32;
        break;
    case KN_TYPE_INT64:
        l.physical = KN_PQ_INT64, l.width = 8, l.order = KN_PQ_ORDER_I64;
        break;
    case KN_TYPE_FLOAT64:
        l.physical = KN_PQ_DOUBLE, l.width = 8, l.order = KN_PQ_ORDER_DOUBLE;
        break;
    case KN_TYPE_TIMESTAMP:
        if (timestamp_int96) {
            /* INT96 has no defined sort order, so readers ignore its min/max: none written. */
            l.physical = KN_PQ_INT96, l.width = 12, l.order = KN_PQ_ORDER_NONE, l.convert = true;
        } else {
            l.physical = KN_PQ_INT64, l.width = 8, l.order = KN_PQ_ORDER_I64;
        }
        break;
    case KN_TYPE_DECIMAL: {
        int p = f->type.precision;
        if (p < 1 || p > KN_DECIMAL_MAX_PRECISION || f->type.scale > p)
            return kn_error_set(err, KN_E_UNSUPPORTED, "column '%s': decimal(%d,%d) cannot be written",
                                f->name, p, f->type.scale);
        if (p <= 9) {
            l.physical = KN_PQ_INT32, l.width = 4, l.order = KN_PQ_ORDER_I32, l.convert = true;
        } else if (p <= 18) {
            l.physical = KN_PQ_INT64, l.width = 8, l.order = KN_PQ_ORDER_I64;
        } else {
            l.physical = KN_PQ_FIXED_LEN_BYTE_ARRAY, l.width = kn_pq_decimal_width(p);
            l.order = KN_PQ_ORDER_FLBA_SIGNED, l.convert = true;
        }
        break;
    }
    default:
        return kn_error_set(err, KN_E_UNSUPPORTED, "column '%s': type %d cannot be written to Parquet",
                            f->name, (int)f->type.id);
    }
    *out = l;
    return KN_OK;
}

static void write_leaf(kn_tc *t, const kn_pq_leaf *l) {
    kn_tc_struct_begin(t);
    kn_tc_field_i32(t, 1, l->physical);
    if (l->physical == KN_PQ_FIXED_LEN_BYTE_ARRAY) kn_tc_field_i32(t, 2, l->width);
    kn_tc_field_i32(t, 3, l->nullable ? KN_PQ_OPTIONAL : KN_PQ_REQUIRED);
    kn_tc_field_string(t, 4, l->name);
    /* Both annotations: the converted type for readers that predate logical types (Redshift,
     * older Hive and Spark), the logical type for the rest. */
    switch (l->type.id) {
    case KN_TYPE_STRING:
        kn_tc_field_i32(t, 6, KN_PQ_CT_UTF8);
        kn_tc_field_struct_begin(t, 10);
        kn_tc_field_empty_struct(t, 1); /* STRING */
        kn_tc_struct_end(t);
        break;
    case KN_TYPE_INT32:
    case KN_TYPE_INT64: {
        bool wide = l->type.id == KN_TYPE_INT64;
        kn_tc_field_i32(t, 6, wide ? KN_PQ_CT_INT_64 : KN_PQ_CT_INT_32);
        kn_tc_field_struct_begin(t, 10);
        kn_tc_field_struct_begin(t, 10); /* INTEGER */
        kn_tc_field_byte(t, 1, wide ? 64 : 32);
        kn_tc_field_bool(t, 2, true);
        kn_tc_struct_end(t);
        kn_tc_struct_end(t);
        break;
    }
    case KN_TYPE_DECIMAL:
        kn_tc_field_i32(t, 6, KN_PQ_CT_DECIMAL);
        kn_tc_field_i32(t, 7, l->type.scale);
        kn_tc_field_i32(t, 8, l->type.precision);
        kn_tc_field_struct_begin(t, 10);
        kn_tc_field_struct_begin(t, 5); /* DECIMAL */
        kn_tc_field_i32(t, 1, l->type.scale);
        kn_tc_field_i32(t, 2, l->type.precision);
        kn_tc_struct_end(t);
        kn_tc_struct_end(t);
        break;
    case KN_TYPE_DATE:
        kn_tc_field_i32(t, 6, KN_PQ_CT_DATE);
        kn_tc_field_struct_begin(t, 10);
        kn_tc_field_empty_struct(t, 6); /* DATE */
        kn_tc_struct_end(t);
        break;
    case KN_TYPE_TIMESTAMP:
        if (l->physical == KN_PQ_INT96) break; /* INT96 carries no annotation */
        kn_tc_field_i32(t, 6, KN_PQ_CT_TIMESTAMP_MICROS);
        kn_tc_field_struct_begin(t, 10);
        kn_tc_field_struct_begin(t, 8); /* TIMESTAMP */
        kn_tc_field_bool(t, 1, l->type.utc);
        kn_tc_field_struct_begin(t, 2); /* unit */
        kn_tc_field_empty_struct(t, 2); /* MICROS */
        kn_tc_struct_end(t);
        kn_tc_struct_end(t);
        kn_tc_struct_end(t);
        break;
    default: break;
    }
    kn_tc_struct_end(t);
}

void kn_pq_schema_write(kn_tc *t, int16_t id, const kn_pq_leaf *leaves, size_t n) {
    kn_tc_field_list_begin(t, id, KN_TC_STRUCT, n + 1);
    kn_tc_struct_begin(t);
    kn_tc_field_string(t, 4, "schema");
    kn_tc_field_i32(t, 5, (int32_t)n);
    kn_tc_struct_end(t);
    for (size_t i = 0; i < n; i++) write_leaf(t, &leaves[i]);
}
