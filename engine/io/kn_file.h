/* engine/io/kn_file.h: local files as kiln byte sinks and sources.
 *
 * A file sink writes to a hidden temporary file beside the target (".NAME.kiln-tmp-PID-N",
 * which Spectrum, Athena and kiln's own listings skip because it starts with '.') and renames
 * it onto the target only in close, so a reader never sees a partial file under a real name
 * and a failed or killed write leaves no file under that name.
 *
 * These are the local store's fast paths (kn_store_local.h); code outside engine/io reaches
 * files through a kn_store. */
#ifndef KN_FILE_H
#define KN_FILE_H

#include <stdbool.h>

#include "kn_status.h"
#include "kn_store.h"
#include "kn_stream.h"

typedef struct kn_file_sink_options {
    bool fsync;     /* fsync the file and its folder on close; default false */
    bool overwrite; /* replace an existing target; default true */
    bool in_place;  /* write the target itself, no temporary name and rename (KN_SINK_PRIVATE: a
                       folder of the run's own); overwrite then does not apply; default false */
} kn_file_sink_options;

void kn_file_sink_options_init(kn_file_sink_options *opt);

/* Opens a sink that will publish `path` (copied) on close. `opt` may be NULL for defaults.
 * Fails with KN_E_IO naming the path and the system's reason when the folder is missing or not
 * writable. */
kn_status kn_file_sink_create(const char *path, const kn_file_sink_options *opt, kn_sink **out,
                              kn_error *err);

/* Opens `path` (copied) for random-access reads. */
kn_status kn_file_source_open(const char *path, kn_source **out, kn_error *err);

/* Creates the folder `path` (borrowed) and every missing folder on the way, like `mkdir -p`,
 * looking only at the '/' at or after byte `from` (the caller knows the folders before it
 * exist). Existing folders are fine. Fails with KN_E_IO naming the folder that cannot be made. */
kn_status kn_make_dirs(const char *path, size_t from, kn_error *err);

/* Reads a whole file into a kn_malloc'd buffer (*data, *len); the caller frees with kn_free. */
kn_status kn_file_read_all(const char *path, uint8_t **data, size_t *len, kn_error *err);

/* A read-only memory map of a whole file. Readers parse straight from it (no copies); the
 * pipeline hands consumed ranges back with kn_file_map_release so resident memory stays bounded
 * whatever the file's size. */
typedef kn_store_mapping kn_file_map; /* data NULL for an empty file */

kn_status kn_file_map_open(const char *path, kn_file_map *out, kn_error *err);
/* Drops [offset, offset+len) from this process's resident pages (the page cache keeps them, and
 * a later read faults them back in), so this is safe for bytes another thread may still read. */
void kn_file_map_release(const kn_file_map *m, size_t offset, size_t len);
void kn_file_map_close(kn_file_map *m);

#endif
