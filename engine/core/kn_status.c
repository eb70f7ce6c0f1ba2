/* engine/core/kn_status.c: error detail filling and formatting. */
#include "kn_status.h"

#include <stdio.h>
#include <string.h>

void kn_error_reset(kn_error *err) {
    if (!err) return;
    err->status = KN_OK;
    err->where[0] = '\0';
    err->line = -1;
    err->column = -1;
    err->byte_offset = -1;
    err->field[0] = '\0';
    err->what[0] = '\0';
}

kn_status kn_error_setv(kn_error *err, kn_status status, const char *fmt, va_list ap) {
    if (!err) return status;
    err->status = status;
    vsnprintf(err->what, sizeof err->what, fmt, ap);
    return status;
}

kn_status kn_error_set(kn_error *err, kn_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    kn_error_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void kn_error_locate(kn_error *err, const char *where, int64_t line, int64_t column,
                     int64_t byte_offset) {
    if (!err) return;
    if (where && !err->where[0]) snprintf(err->where, sizeof err->where, "%s", where);
    if (line >= 0 && err->line < 0) err->line = line;
    if (column >= 0 && err->column < 0) err->column = column;
    if (byte_offset >= 0 && err->byte_offset < 0) err->byte_offset = byte_offset;
}

void kn_error_field(kn_error *err, const char *field) {
    if (!err || !field || err->field[0]) return;
    snprintf(err->field, sizeof err->field, "%s", field);
}

size_t kn_error_format(const kn_error *err, char *buf, size_t cap) {
    if (!buf || cap == 0) return 0;
    buf[0] = '\0';
    if (!err) return 0;
    size_t n = 0;
#define KN_APPEND(...)                                                                        \
    do {                                                                                      \
        if (n < cap) {                                                                        \
            int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                                 \
            if (w_ > 0) n += (size_t)w_;                                                      \
        }                                                                                     \
    } while (0)
    if (err->where[0]) {
        KN_APPEND("%s", err->where);
        if (err->line >= 0) {
            KN_APPEND(":%lld", (long long)err->line);
            if (err->column >= 0) KN_APPEND(":%lld", (long long)err->column);
        } else if (err->byte_offset >= 0) {
            KN_APPEND(": byte %lld", (long long)err->byte_offset);
        }
        KN_APPEND(": ");
    }
    if (err->field[0]) KN_APPEND("column '%s': ", err->field);
    KN_APPEND("%s", err->what[0] ? err->what : kn_status_name(err->status));
#undef KN_APPEND
    return n < cap ? n : cap - 1;
}

const char *kn_status_name(kn_status status) {
    switch (status) {
    case KN_OK: return "ok";
    case KN_E_USAGE: return "bad usage";
    case KN_E_UNSUPPORTED: return "unsupported";
    case KN_E_DATA: return "bad input data";
    case KN_E_FORMAT: return "damaged file";
    case KN_E_IO: return "I/O error";
    case KN_E_NOMEM: return "out of memory";
    case KN_E_INTERNAL: return "internal error";
    }
    return "unknown status";
}

int kn_status_exit_code(kn_status status) {
    switch (status) {
    case KN_OK: return KN_EXIT_OK;
    case KN_E_USAGE:
    case KN_E_UNSUPPORTED: return KN_EXIT_USAGE;
    case KN_E_DATA:
    case KN_E_FORMAT: return KN_EXIT_DATA;
    case KN_E_IO: return KN_EXIT_IO;
    case KN_E_NOMEM:
    case KN_E_INTERNAL: return KN_EXIT_INTERNAL;
    }
    return KN_EXIT_INTERNAL;
}
