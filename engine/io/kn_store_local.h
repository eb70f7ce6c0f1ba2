/* engine/io/kn_store_local.h: the local file system as a kn_store (kn_store.h), and sequential
 * sources over local files.
 *
 * The store is built on kn_file.h: sinks write a hidden ".NAME.kiln-tmp-PID-N" file beside the
 * target and rename it into place on close; whole files map with mmap (the fast path for plain
 * local inputs); random-access sources read with pread. Listing follows symbolic links (a link
 * to a folder lists as a folder), removing never does (a link is removed, not what it points
 * to). Locks are flock(2) locks on a file, which the system drops when the holder dies, so a
 * killed run never blocks the next one. */
#ifndef KN_STORE_LOCAL_H
#define KN_STORE_LOCAL_H

#include "kn_status.h"
#include "kn_store.h"
#include "kn_stream.h"

/* The local file system store. One per process, stateless, usable from every thread; it is
 * never freed (kn_store_free ignores it). */
kn_store *kn_store_local(void);

/* `store` when it is not NULL, else the local store: for options whose store may be left NULL. */
static inline kn_store *kn_store_or_local(kn_store *store) { return store ? store : kn_store_local(); }

/* A sequential source reading `path` (copied) front to back with read(2) straight into the
 * caller's buffer; *out is the caller's (kn_seq_source_free). Its size is the file's for a
 * regular file and -1 for a pipe or a device, which it reads as well: a named pipe (FIFO) is
 * opened as a file is, which waits until a writer opens it too, and is read until every
 * writer has closed it. "/dev/stdin" reads the process's standard input, whatever it is (a
 * pipe, a socket, a redirected file, from where it stands); "-" is a file name here, which a
 * command line maps to "/dev/stdin". (kn_store_stat says KN_ENTRY_OTHER for a pipe: there is
 * no kind yet for data that can only be read once, which a caller asks for by name.) A missing
 * file is KN_E_USAGE, a folder and other failures KN_E_IO (as kn_file_source_open); both name
 * the path. */
kn_status kn_file_seq_open(const char *path, kn_seq_source **out, kn_error *err);

#endif
