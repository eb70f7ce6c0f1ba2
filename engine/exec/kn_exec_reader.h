/* engine/exec/kn_exec_reader.h: the one face the pipeline sees of every input format.
 *
 * A format reader parses one morsel (a byte range that starts on a record boundary) into a
 * batch. The pipeline never looks inside a format; adding CSV or XML means one more
 * implementation of this interface and a row in kn_exec_reader.c. */
#ifndef KN_EXEC_READER_H
#define KN_EXEC_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef struct kn_exec_reader kn_exec_reader;

typedef struct kn_exec_format {
    const char *name;              /* "ndjson" */
    const char *const *extensions; /* NULL-terminated: the file names this format claims */
    /* Index just past the end of the record that holds byte `pos` (so the start of the next
     * record), or `len`. Morsels are cut with it. */
    size_t (*record_end)(const uint8_t *data, size_t len, size_t pos);
    kn_status (*create)(const kn_schema *schema, kn_exec_reader **out, kn_error *err);
    /* Points the reader at a morsel: `data` (borrowed until the next reset) is the byte range
     * starting at `base_offset` of the input `name` (borrowed). `at_file_start` says whether a
     * byte-order mark may lead it. */
    void (*reset)(kn_exec_reader *r, const uint8_t *data, size_t len, const char *name,
                  uint64_t base_offset, bool at_file_start);
    /* Appends the morsel's records to `batch`. Returns KN_OK with *done set when the range is
     * used up. On a bad record returns KN_E_DATA with `err` filled (byte_offset absolute) and
     * the record's bytes available through bad_record; the batch holds no part of that record,
     * and the next call goes on after it. Other statuses are fatal. */
    kn_status (*next)(kn_exec_reader *r, kn_batch *batch, bool *done, kn_error *err);
    /* The last bad record: its absolute offset and bytes (borrowed from the morsel). */
    void (*bad_record)(kn_exec_reader *r, uint64_t *offset, const uint8_t **data, size_t *len);
    /* Records completed so far in this morsel, good and bad (blank lines are no records). */
    uint64_t (*records)(kn_exec_reader *r);
    void (*free)(kn_exec_reader *r);
} kn_exec_format;

/* The format named `name`, or NULL. */
const kn_exec_format *kn_exec_format_find(const char *name);
/* The format whose extensions match `path` (a trailing .gz etc. is not handled yet), or NULL. */
const kn_exec_format *kn_exec_format_for_path(const char *path);

/* Infers a schema from the first `max_records` records of each of `nfiles` inputs
 * (borrowed paths). *out is the caller's to free. */
kn_status kn_exec_infer_schema(const kn_exec_format *format, const char *const *paths,
                               size_t nfiles, size_t max_records, kn_schema **out, kn_error *err);

#endif
