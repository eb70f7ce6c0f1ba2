/* engine/exec/kn_commit.h: owning an output folder for one run, and publishing into it.
 *
 *   begin    creates OUTDIR, takes the store's exclusive lock on OUTDIR/_kiln.lock (local: a
 *            flock) for the whole run (a second run on the same folder fails at once with
 *            KN_E_IO: worth a retry), then,
 *            safe under the lock, removes what killed runs left: OUTDIR/_tmp-* folders and the
 *            hidden ".NAME.kiln-tmp-*" files of interrupted file sinks. It applies the mode
 *            (error-if-exists refuses a folder holding kiln output with KN_E_USAGE; append finds
 *            the highest part number already there) and creates this run's OUTDIR/_tmp-<run>/.
 *   publish  with every data file complete under _tmp-<run>/: deletes manifest.json first (so
 *            no manifest names files that are about to change), removes the earlier kiln output
 *            (overwrite: part files, partition folders left empty, the SQL, _rejects/; append:
 *            the SQL and _rejects/, which describe the latest run), then renames each new file
 *            into place (a rename is atomic: no reader sees a partial file under a real name),
 *            a partition folder that OUTDIR lacks moved whole (every file under it must be one
 *            of `names`), and moves _rejects/ in. The caller then writes the SQL and manifest.json last
 *            (kn_commit_write_file).
 *   end      removes _tmp-<run>/ and releases the lock. The lock file stays: deleting it would
 *            let a waiting run lock a file that a third run has already replaced.
 *
 * kiln output in a folder: part-*.parquet at the root or under partition folders (names with
 * '=' that do not start with '_' or '.'), manifest.json, table.sql, copy.sql, spectrum.sql,
 * upsert.sql, _rejects/. Anything else is left alone.
 *
 * Every file operation goes through a kn_store (kn_store.h): the commit itself makes no POSIX
 * call, so an S3 store slots in here unchanged. */
#ifndef KN_COMMIT_H
#define KN_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "kn_convert.h"
#include "kn_status.h"
#include "kn_store.h"

typedef struct kn_commit kn_commit;

/* Begins on the local file system (kn_commit_begin_in with no store). */
kn_status kn_commit_begin(const char *out_dir, kn_write_mode mode, kn_commit **out, kn_error *err);

/* Begins in `store` (borrowed; it must outlive the commit; NULL: the local file system), where
 * every folder listing, rename, removal and the lock go. `out_dir` is copied. On failure *out is
 * NULL and nothing is held. */
kn_status kn_commit_begin_in(kn_store *store, const char *out_dir, kn_write_mode mode, kn_commit **out,
                             kn_error *err);

/* The store the commit works in (borrowed from the commit): the run's writers, spill and
 * rejects write there too, so the temporary folder and the output are in one store. */
kn_store *kn_commit_store(const kn_commit *c);

/* OUTDIR/_tmp-<run>: where the run writes its files (borrowed from the commit). */
const char *kn_commit_tmp_dir(const kn_commit *c);
/* The number of the run's first part file: 0, or in append mode one past the highest there. */
uint64_t kn_commit_first_number(const kn_commit *c);

/* Publishes the files `names` (relative to the temporary folder and to OUTDIR; borrowed) as
 * described above. */
kn_status kn_commit_publish(kn_commit *c, const char *const *names, size_t count, kn_error *err);

/* Writes OUTDIR/`name` atomically (temporary name, rename). */
kn_status kn_commit_write_file(kn_commit *c, const char *name, const void *data, size_t len,
                               kn_error *err);

/* Removes the temporary folder, unlocks, frees. Accepts NULL. */
void kn_commit_end(kn_commit *c);

/* Deletes a local file or folder tree (best effort; for cleanup and tests). */
void kn__remove_tree(const char *path);

#endif
