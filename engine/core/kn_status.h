/* engine/core/kn_status.h: status codes, error detail, and the error-flow macros.
 *
 * Every fallible call returns a kn_status and, when it fails, fills a caller-owned kn_error
 * (which may be NULL when the caller does not want the words). Errors flow up; only the CLI
 * prints them, once, and maps the status to the exit code documented in `kiln --help`. */
#ifndef KN_STATUS_H
#define KN_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kn_status {
    KN_OK = 0,
    KN_E_USAGE,       /* bad option, bad schema or job file; exit 1 */
    KN_E_UNSUPPORTED, /* a type or feature kiln does not write or read; exit 1 */
    KN_E_DATA,        /* bad input data: a record or a value that does not fit; exit 2 */
    KN_E_FORMAT,      /* a damaged or unreadable file (e.g. a Parquet footer); exit 2 */
    KN_E_IO,          /* the file system or network failed; worth a retry; exit 3 */
    KN_E_NOMEM,       /* an allocation failed; exit 4 */
    KN_E_INTERNAL     /* a bug in kiln; exit 4 */
} kn_status;

/* The documented exit codes. 99 is never used. */
enum {
    KN_EXIT_OK = 0,
    KN_EXIT_USAGE = 1,
    KN_EXIT_DATA = 2,
    KN_EXIT_IO = 3,
    KN_EXIT_INTERNAL = 4
};

#define KN_ERROR_WHAT_MAX 512
#define KN_ERROR_WHERE_MAX 1024

/* Where and what. Fields that are unknown stay at their reset values (empty / -1). */
typedef struct kn_error {
    kn_status status;
    char where[KN_ERROR_WHERE_MAX]; /* a path, an input name, or "" */
    int64_t line;                   /* 1-based, or -1 */
    int64_t column;                 /* 1-based, or -1; a byte column within the line */
    int64_t byte_offset;            /* 0-based offset in `where`, or -1 */
    char field[128];                /* the schema column involved, or "" */
    char what[KN_ERROR_WHAT_MAX];   /* what is wrong, in words a user can act on */
} kn_error;

/* Clears `err` (may be NULL). */
void kn_error_reset(kn_error *err);

/* Sets status and message and returns `status`, so that `return kn_error_set(...)` reads well.
 * `err` may be NULL. The location fields are left as they are. */
kn_status kn_error_set(kn_error *err, kn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
kn_status kn_error_setv(kn_error *err, kn_status status, const char *fmt, va_list ap);

/* Fills the location, for callers that know it; each of `where` (copied), `line`, `column`,
 * `byte_offset` may be NULL / -1 to leave the field unchanged. Only fills fields still unset,
 * so the innermost caller that knew a detail wins. */
void kn_error_locate(kn_error *err, const char *where, int64_t line, int64_t column,
                     int64_t byte_offset);
/* Names the schema column (copied) unless one is already named. */
void kn_error_field(kn_error *err, const char *field);

/* Formats "where:line:col: column 'f': what" (parts that are unknown are left out) into `buf`.
 * Returns the length written (truncated to cap-1). */
size_t kn_error_format(const kn_error *err, char *buf, size_t cap);

/* A short stable name for a status ("bad data", "I/O error", ...). */
const char *kn_status_name(kn_status status);
/* The process exit code for a status. */
int kn_status_exit_code(kn_status status);

/* Returns on failure, passing the status up. The error detail was filled by the callee. */
#define KN_TRY(expr)                                                                          \
    do {                                                                                      \
        kn_status kn_try_s_ = (expr);                                                         \
        if (kn_try_s_ != KN_OK) return kn_try_s_;                                             \
    } while (0)

/* Fails with `status` and a formatted message when `cond` holds. */
#define KN_RETURN_ERROR_IF(cond, err, status, ...)                                            \
    do {                                                                                      \
        if (cond) return kn_error_set((err), (status), __VA_ARGS__);                          \
    } while (0)

#endif
