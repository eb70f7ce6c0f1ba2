/* formats/redshift/kn_rs_types.c: the kiln -> Redshift type mapping (table in kn_rs_types.h). */
#include "kn_rs_types.h"

#include <stdio.h>

uint32_t kn_rs_varchar_length(size_t max_bytes) {
    if (max_bytes >= KN_RS_VARCHAR_MAX) return KN_RS_VARCHAR_MAX;
    uint32_t n = KN_RS_VARCHAR_MIN;
    while (n < max_bytes) n <<= 1; /* max_bytes < 65535, so n stops at 65536 at most */
    return n > KN_RS_VARCHAR_MAX ? KN_RS_VARCHAR_MAX : n;
}

kn_status kn_rs_type_text(kn_type type, size_t max_bytes, bool is_json, kn_rs_target target,
                          char out[KN_RS_TYPE_TEXT_MAX], kn_error *err) {
    const char *fixed = NULL;
    out[0] = '\0';
    switch (type.id) {
    case KN_TYPE_STRING:
        if (is_json) {
            if (target == KN_RS_TABLE) {
                fixed = "SUPER";
                break;
            }
            max_bytes = KN_RS_VARCHAR_MAX;
        }
        snprintf(out, KN_RS_TYPE_TEXT_MAX, "VARCHAR(%u)", (unsigned)kn_rs_varchar_length(max_bytes));
        return KN_OK;
    case KN_TYPE_BOOL: fixed = "BOOLEAN"; break;
    case KN_TYPE_INT32: fixed = "INTEGER"; break;
    case KN_TYPE_INT64: fixed = "BIGINT"; break;
    case KN_TYPE_FLOAT64: fixed = "DOUBLE PRECISION"; break;
    case KN_TYPE_DATE: fixed = "DATE"; break;
    case KN_TYPE_TIMESTAMP:
        fixed = type.utc && target == KN_RS_TABLE ? "TIMESTAMPTZ" : "TIMESTAMP";
        break;
    case KN_TYPE_DECIMAL:
        KN_RETURN_ERROR_IF(type.precision < 1 || type.precision > KN_DECIMAL_MAX_PRECISION ||
                               type.scale > type.precision,
                           err, KN_E_UNSUPPORTED,
                           "decimal(%u,%u) has no Redshift type (precision 1..38, scale <= "
                           "precision)",
                           type.precision, type.scale);
        snprintf(out, KN_RS_TYPE_TEXT_MAX, "DECIMAL(%u,%u)", type.precision, type.scale);
        return KN_OK;
    case KN_TYPE_COUNT_: break;
    }
    KN_RETURN_ERROR_IF(!fixed, err, KN_E_UNSUPPORTED, "kiln type %d has no Redshift type",
                       (int)type.id);
    snprintf(out, KN_RS_TYPE_TEXT_MAX, "%s", fixed);
    return KN_OK;
}
