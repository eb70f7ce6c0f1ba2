/* engine/exec/kn_exec_reader.h: the executor's table of input formats (engine/batch/kn_format.h)
 * and schema inference through them.
 *
 * The pipeline never looks inside a format: adding one means a kn_format implementation in
 * formats/<name>/ and a row in kn_exec_reader.c's table. */
#ifndef KN_EXEC_READER_H
#define KN_EXEC_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_decompress.h"
#include "kn_format.h"
#include "kn_schema.h"
#include "kn_status.h"

/* The format named `name`, or NULL. */
const kn_format *kn_exec_format_find(const char *name);
/* The format whose extensions match `path` (a trailing compression extension, .gz etc., is
 * looked past), or NULL. */
const kn_format *kn_exec_format_for_path(const char *path);
/* Every format's extensions, NULL-terminated (static). */
const char *const *kn_exec_all_extensions(void);

typedef struct kn_infer_options {
    const kn_format *format;
    const kn_format_opts *format_opts; /* borrowed: what format->options_create made */
    size_t max_records;                /* records read from the start of each file */
    bool skip_bad;                     /* leave bad records out of the sample (--on-error skip or
                                          quarantine) instead of failing */
    kn_decompress_options decompress;  /* for compressed inputs (kn_decompress.h) */
} kn_infer_options;

/* Infers a schema from the first records of each of `nfiles` inputs (borrowed paths).
 * *out is the caller's to free; *bad_records (may be NULL) counts the records left out. */
kn_status kn_exec_infer(const kn_infer_options *opt, const char *const *paths, size_t nfiles, kn_schema **out,
                        uint64_t *bad_records, kn_error *err);

/* kn_exec_infer with the format's default options, failing on the first bad record. */
kn_status kn_exec_infer_schema(const kn_format *format, const char *const *paths, size_t nfiles,
                               size_t max_records, kn_schema **out, kn_error *err);

#endif
