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

#include "kn_archive.h"
#include "kn_decompress.h"
#include "kn_format.h"
#include "kn_schema.h"
#include "kn_status.h"

/* The format named `name`, or NULL. */
const kn_format *kn_exec_format_find(const char *name);
/* The format whose extensions match `path` (a trailing compression extension, .gz etc., is
 * looked past), or NULL. */
const kn_format *kn_exec_format_for_path(const char *path);
/* Every format's extensions, and the archives' (kn_archive.h), NULL-terminated (static). */
const char *const *kn_exec_all_extensions(void);

/* The next shard of `a` for a run reading `fmt` (borrowed): the next member whose name has
 * `fmt`'s extensions (with or without a compression's), or, when `any_name` (the user named
 * the format), any member whose name has no format's. Members named as another format fail
 * with KN_E_USAGE (one run reads one format); the rest are passed over. *src (the caller's)
 * reads the member decoded when it is itself compressed (kn_decompress.h); its name,
 * "ARCHIVE[MEMBER]", lives until the next call. *done at the end. */
kn_status kn_exec_archive_next(kn_archive *a, const kn_format *fmt, bool any_name, const kn_decompress_options *dopt,
                               kn_seq_source **src, bool *done, kn_error *err);

/* The format of the input `path`: from its name, or when that tells none and it is an archive,
 * from the name of its first member named as a shard (read as far as that). *out NULL when
 * neither tells. */
kn_status kn_exec_input_format(const char *path, const kn_format **out, kn_error *err);

/* True when a file of format `fmt` (NULL: any) starting with `head` (`n` bytes, borrowed; a
 * whole mapping will do) is compressed, an archive, or text `fmt` takes only transcoded, so it
 * is read front to back (kn_exec_open_stream), not in place. */
bool kn_exec_is_packed(const kn_format *fmt, const uint8_t *head, size_t n);

/* Opens `path` for reading front to back: decoded when compressed; *archive when it is a tar
 * or zip (and *src NULL), else *src (and *archive NULL), transcoded to UTF-8 when `fmt` (NULL:
 * none) asks. Both the caller's. `dopt` (NULL: defaults) bounds the expansion of the stream and
 * of an archive's members. */
kn_status kn_exec_open_stream(const char *path, const kn_format *fmt, const kn_decompress_options *dopt,
                              kn_seq_source **src, kn_archive **archive, kn_error *err);

typedef struct kn_infer_options {
    const kn_format *format;
    const kn_format_opts *format_opts; /* borrowed: what format->options_create made */
    size_t max_records;                /* records read from the start of each file */
    bool skip_bad;                     /* leave bad records out of the sample (--on-error skip or
                                          quarantine) instead of failing */
    kn_decompress_options decompress;  /* for compressed inputs (kn_decompress.h) */
    bool format_named;                 /* the user named the format: an archive's members of
                                          any name without a format's extension are sampled,
                                          as the run reads them (kn_exec_archive_next) */
} kn_infer_options;

/* Infers a schema from the first records of each of `nfiles` inputs (borrowed paths).
 * *out is the caller's to free; *bad_records (may be NULL) counts the records left out. */
kn_status kn_exec_infer(const kn_infer_options *opt, const char *const *paths, size_t nfiles, kn_schema **out,
                        uint64_t *bad_records, kn_error *err);

/* kn_exec_infer with the format's default options, failing on the first bad record. */
kn_status kn_exec_infer_schema(const kn_format *format, const char *const *paths, size_t nfiles,
                               size_t max_records, kn_schema **out, kn_error *err);

#endif
