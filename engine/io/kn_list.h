/* engine/io/kn_list.h: turns the INPUT arguments (files, folders, globs) into a sorted list of
 * files to read.
 *
 * A folder is walked recursively; inside it, names starting with '_' or '.' are skipped (they
 * are kiln's and Spark's bookkeeping: _rejects/, _SUCCESS, temporary files) and only files whose
 * extension is one of `extensions` or an archive's (.tar .tgz .zip, kn_archive.h), alone or
 * followed by a compression's ("orders.ndjson.gz", kn_decompress.h), are taken. A file named directly is always taken. A glob
 * pattern (containing * ? or [) is expanded with glob(3); one that matches nothing is an error.
 * The list is sorted bytewise and has no duplicates, so the same inputs always give the same
 * order, and so the same output. */
#ifndef KN_LIST_H
#define KN_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

typedef struct kn_input_file {
    char *path;    /* owned by the list */
    uint64_t size; /* bytes */
} kn_input_file;

typedef struct kn_input_list {
    kn_input_file *files; /* owned */
    size_t count;
    uint64_t total_bytes;
    size_t cap_;
} kn_input_list;

/* `args` (borrowed) are the user's INPUT arguments; `extensions` a NULL-terminated list like
 * {".ndjson", ".jsonl", ".json", NULL} used inside folders. Fails with KN_E_USAGE naming the
 * argument when a path does not exist or a glob matches nothing. */
kn_status kn_input_list_build(const char *const *args, size_t nargs, const char *const *extensions,
                              kn_input_list *out, kn_error *err);
void kn_input_list_free(kn_input_list *list);

#endif
