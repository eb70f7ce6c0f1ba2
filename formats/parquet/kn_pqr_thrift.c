/* formats/parquet/kn_pqr_thrift.c: the bounds-checked Thrift compact protocol decoder. */
#include "kn_pqr_thrift.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kn_pq_format.h"

void kn__tc_init(kn__tc *r, const uint8_t *data, size_t len, uint64_t base, const char *name,
                 kn_error *err) {
    memset(r, 0, sizeof *r);
    r->begin = r->p = data;
    r->end = data + len;
    r->base = base;
    r->name = name;
    r->err = err;
    r->status = KN_OK;
    r->field = -1;
}

const char *kn__tc_type_name(uint8_t type) {
    switch (type) {
    case KN_TC_STOP: return "stop";
    case KN_TC_BOOL_TRUE:
    case KN_TC_BOOL_FALSE: return "bool";
    case KN_TC_BYTE: return "i8";
    case KN_TC_I16: return "i16";
    case KN_TC_I32: return "i32";
    case KN_TC_I64: return "i64";
    case KN_TC_DOUBLE: return "double";
    case KN_TC_BINARY: return "binary";
    case KN_TC_LIST: return "list";
    case KN_TC_SET: return "set";
    case KN_TC_MAP: return "map";
    case KN_TC_STRUCT: return "struct";
    default: return "an unknown type";
    }
}

kn_status kn__tc_fail(kn__tc *r, const char *fmt, ...) {
    if (r->status != KN_OK) return r->status;
    r->status = KN_E_FORMAT;
    if (r->err) {
        char what[KN_ERROR_WHAT_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        if (r->strct && r->field >= 0)
            kn_error_set(r->err, KN_E_FORMAT, "bad Thrift in %s field %d: %s", r->strct, (int)r->field, what);
        else if (r->strct)
            kn_error_set(r->err, KN_E_FORMAT, "bad Thrift in %s: %s", r->strct, what);
        else
            kn_error_set(r->err, KN_E_FORMAT, "bad Thrift: %s", what);
        kn_error_locate(r->err, r->name, -1, -1, (int64_t)kn__tc_offset(r));
    }
    return r->status;
}

/* Fails (with ran_out set) unless `n` more bytes are there. */
static kn_status need(kn__tc *r, size_t n) {
    if (r->status != KN_OK) return r->status;
    if (kn__tc_remaining(r) >= n) return KN_OK;
    kn__tc_fail(r, "truncated: %zu byte(s) needed but the data ends at byte %llu", n,
                (unsigned long long)(r->base + (uint64_t)(r->end - r->begin)));
    r->ran_out = true;
    return r->status;
}

static kn_status read_varint(kn__tc *r, uint64_t *out) {
    uint64_t v = 0;
    *out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        KN_TRY(need(r, 1));
        uint8_t b = *r->p;
        /* The tenth byte may carry only the 64th bit; more would overflow. */
        if (shift == 63 && (b & 0x7E))
            return kn__tc_fail(r, "varint overflows 64 bits");
        v |= (uint64_t)(b & 0x7F) << shift;
        r->p++;
        if (!(b & 0x80)) {
            *out = v;
            return KN_OK;
        }
    }
    return kn__tc_fail(r, "varint longer than 10 bytes");
}

static int64_t zigzag(uint64_t n) { return (int64_t)(n >> 1) ^ -(int64_t)(n & 1); }

kn_status kn__tc_struct_begin(kn__tc *r, const char *name, kn__tc_frame *frame) {
    frame->strct = r->strct;
    frame->field = r->field;
    frame->last_id = 0;
    if (r->status != KN_OK) return r->status;
    if (r->depth >= KN__TC_MAX_DEPTH)
        return kn__tc_fail(r, "nesting deeper than %d levels", KN__TC_MAX_DEPTH);
    r->depth++;
    r->strct = name;
    r->field = -1;
    return KN_OK;
}

void kn__tc_struct_end(kn__tc *r, const kn__tc_frame *frame) {
    /* On failure the innermost names stay, so the message (already written) and a caller's
     * later look at r->strct agree on where it broke. */
    if (r->status != KN_OK) return;
    r->depth--;
    r->strct = frame->strct;
    r->field = frame->field;
}

kn_status kn__tc_field(kn__tc *r, kn__tc_frame *frame, int16_t *id, uint8_t *type) {
    *type = KN_TC_STOP;
    *id = 0;
    KN_TRY(need(r, 1));
    uint8_t b = *r->p++;
    if (b == 0) return KN_OK;
    uint8_t t = b & 0x0F;
    int delta = b >> 4;
    int64_t fid;
    if (delta) {
        fid = (int64_t)frame->last_id + delta;
    } else {
        uint64_t n;
        KN_TRY(read_varint(r, &n));
        fid = zigzag(n);
    }
    if (fid < 0 || fid > INT16_MAX) return kn__tc_fail(r, "field id %lld out of range", (long long)fid);
    if (t == KN_TC_STOP || t > KN_TC_STRUCT) return kn__tc_fail(r, "field %lld has unknown type %u", (long long)fid, t);
    frame->last_id = (int16_t)fid;
    r->field = (int16_t)fid;
    *id = (int16_t)fid;
    *type = t;
    return KN_OK;
}

static bool is_int(uint8_t t) { return t == KN_TC_BYTE || t == KN_TC_I16 || t == KN_TC_I32 || t == KN_TC_I64; }
static bool is_bool(uint8_t t) { return t == KN_TC_BOOL_TRUE || t == KN_TC_BOOL_FALSE; }

bool kn__tc_compatible(uint8_t got, uint8_t want) {
    if (is_int(want)) return is_int(got);
    if (is_bool(want)) return is_bool(got);
    if (want == KN_TC_LIST) return got == KN_TC_LIST || got == KN_TC_SET;
    return got == want;
}

kn_status kn__tc_expect(kn__tc *r, uint8_t got, uint8_t want) {
    if (r->status != KN_OK) return r->status;
    bool ok = got == want || ((want == KN_TC_BOOL_TRUE || want == KN_TC_BOOL_FALSE) &&
                              (got == KN_TC_BOOL_TRUE || got == KN_TC_BOOL_FALSE));
    if (!ok) return kn__tc_fail(r, "has type %s, expected %s", kn__tc_type_name(got), kn__tc_type_name(want));
    return KN_OK;
}

kn_status kn__tc_int(kn__tc *r, uint8_t type, int64_t min, int64_t max, int64_t *out) {
    *out = 0;
    if (r->status != KN_OK) return r->status;
    int64_t v;
    if (type == KN_TC_BYTE) {
        KN_TRY(need(r, 1));
        v = (int8_t)*r->p++;
    } else if (type == KN_TC_I16 || type == KN_TC_I32 || type == KN_TC_I64) {
        uint64_t n;
        KN_TRY(read_varint(r, &n));
        v = zigzag(n);
    } else {
        return kn__tc_fail(r, "has type %s, expected an integer", kn__tc_type_name(type));
    }
    if (v < min || v > max)
        return kn__tc_fail(r, "value %lld is outside [%lld, %lld]", (long long)v, (long long)min, (long long)max);
    *out = v;
    return KN_OK;
}

kn_status kn__tc_i32(kn__tc *r, uint8_t type, int32_t *out) {
    int64_t v;
    kn_status st = kn__tc_int(r, type, INT32_MIN, INT32_MAX, &v);
    *out = (int32_t)v;
    return st;
}

kn_status kn__tc_i64(kn__tc *r, uint8_t type, int64_t *out) {
    return kn__tc_int(r, type, INT64_MIN, INT64_MAX, out);
}

kn_status kn__tc_bool_field(kn__tc *r, uint8_t type, bool *out) {
    *out = false;
    KN_TRY(kn__tc_expect(r, type, KN_TC_BOOL_TRUE));
    *out = type == KN_TC_BOOL_TRUE;
    return KN_OK;
}

kn_status kn__tc_bool_elem(kn__tc *r, bool *out) {
    *out = false;
    KN_TRY(need(r, 1));
    /* Thrift writes 1 for true and 2 for false; some writers write 0 for false. */
    *out = *r->p++ == 1;
    return KN_OK;
}

kn_status kn__tc_double(kn__tc *r, uint8_t type, double *out) {
    *out = 0;
    KN_TRY(kn__tc_expect(r, type, KN_TC_DOUBLE));
    KN_TRY(need(r, 8));
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--) bits = bits << 8 | r->p[i];
    r->p += 8;
    memcpy(out, &bits, sizeof *out);
    return KN_OK;
}

kn_status kn__tc_binary(kn__tc *r, uint8_t type, const uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    KN_TRY(kn__tc_expect(r, type, KN_TC_BINARY));
    uint64_t n;
    KN_TRY(read_varint(r, &n));
    if (n > kn__tc_remaining(r)) {
        kn__tc_fail(r, "binary of %llu bytes runs past the end of the data (%zu bytes left)",
                    (unsigned long long)n, kn__tc_remaining(r));
        r->ran_out = true;
        return r->status;
    }
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return KN_OK;
}

/* The fewest bytes one element of `type` can take on the wire. */
static size_t min_elem_bytes(uint8_t type) { return type == KN_TC_DOUBLE ? 8 : 1; }

kn_status kn__tc_list(kn__tc *r, uint8_t type, uint8_t *elem_type, size_t *count) {
    *elem_type = KN_TC_STOP;
    *count = 0;
    if (r->status != KN_OK) return r->status;
    if (type != KN_TC_LIST && type != KN_TC_SET)
        return kn__tc_fail(r, "has type %s, expected list", kn__tc_type_name(type));
    KN_TRY(need(r, 1));
    const uint8_t *header = r->p;
    uint8_t b = *r->p++;
    uint64_t n = b >> 4;
    uint8_t et = b & 0x0F;
    if (n == 15) KN_TRY(read_varint(r, &n));
    if (n == 0) return KN_OK; /* some writers leave the element type of an empty list 0 */
    if (et == KN_TC_STOP || et > KN_TC_STRUCT) {
        r->p = header; /* report the list's own offset */
        return kn__tc_fail(r, "list of unknown element type %u", et);
    }
    if (n > kn__tc_remaining(r) / min_elem_bytes(et)) {
        size_t left = kn__tc_remaining(r);
        r->p = header;
        kn__tc_fail(r, "list claims %llu elements but only %zu bytes are left", (unsigned long long)n, left);
        r->ran_out = true;
        return r->status;
    }
    *elem_type = et;
    *count = (size_t)n;
    return KN_OK;
}

/* Skips one value. `elem` says whether it is a container element (a boolean then takes a byte)
 * rather than a field (its boolean is in the field header). */
static kn_status skip_value(kn__tc *r, uint8_t type, bool elem) {
    int64_t i64;
    const uint8_t *data;
    size_t len;
    switch (type) {
    case KN_TC_BOOL_TRUE:
    case KN_TC_BOOL_FALSE:
        if (elem) {
            KN_TRY(need(r, 1));
            r->p++;
        }
        return KN_OK;
    case KN_TC_BYTE:
    case KN_TC_I16:
    case KN_TC_I32:
    case KN_TC_I64: return kn__tc_int(r, type, INT64_MIN, INT64_MAX, &i64);
    case KN_TC_DOUBLE:
        KN_TRY(need(r, 8));
        r->p += 8;
        return KN_OK;
    case KN_TC_BINARY: return kn__tc_binary(r, type, &data, &len);
    case KN_TC_LIST:
    case KN_TC_SET: {
        uint8_t et;
        size_t n;
        KN_TRY(kn__tc_list(r, type, &et, &n));
        if (r->depth >= KN__TC_MAX_DEPTH) return kn__tc_fail(r, "nesting deeper than %d levels", KN__TC_MAX_DEPTH);
        r->depth++;
        for (size_t i = 0; i < n; i++) KN_TRY(skip_value(r, et, true));
        r->depth--;
        return KN_OK;
    }
    case KN_TC_MAP: {
        uint64_t n;
        KN_TRY(read_varint(r, &n));
        if (n == 0) return KN_OK;
        KN_TRY(need(r, 1));
        uint8_t kv = *r->p++;
        uint8_t kt = kv >> 4, vt = kv & 0x0F;
        if (kt == KN_TC_STOP || kt > KN_TC_STRUCT || vt == KN_TC_STOP || vt > KN_TC_STRUCT)
            return kn__tc_fail(r, "map of unknown key or value type %u/%u", kt, vt);
        if (n > kn__tc_remaining(r) / (min_elem_bytes(kt) + min_elem_bytes(vt))) {
            kn__tc_fail(r, "map claims %llu entries but only %zu bytes are left", (unsigned long long)n,
                        kn__tc_remaining(r));
            r->ran_out = true;
            return r->status;
        }
        if (r->depth >= KN__TC_MAX_DEPTH) return kn__tc_fail(r, "nesting deeper than %d levels", KN__TC_MAX_DEPTH);
        r->depth++;
        for (uint64_t i = 0; i < n; i++) {
            KN_TRY(skip_value(r, kt, true));
            KN_TRY(skip_value(r, vt, true));
        }
        r->depth--;
        return KN_OK;
    }
    case KN_TC_STRUCT: {
        kn__tc_frame frame;
        KN_TRY(kn__tc_struct_begin(r, r->strct ? r->strct : "struct", &frame));
        for (;;) {
            int16_t id;
            uint8_t t;
            KN_TRY(kn__tc_field(r, &frame, &id, &t));
            if (t == KN_TC_STOP) break;
            KN_TRY(skip_value(r, t, false));
        }
        kn__tc_struct_end(r, &frame);
        return KN_OK;
    }
    default: return kn__tc_fail(r, "cannot skip a value of unknown type %u", type);
    }
}

kn_status kn__tc_skip(kn__tc *r, uint8_t type) {
    if (r->status != KN_OK) return r->status;
    return skip_value(r, type, false);
}
