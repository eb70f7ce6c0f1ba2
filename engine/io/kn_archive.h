/* engine/io/kn_archive.h: archived inputs (.tar and .zip, and a tar under any compression of
 * kn_decompress.h: .tar.gz .tgz .tar.zst ...): their members read one after another, each as
 * a sequential source, through libarchive's tar and zip readers.
 *
 * What a file is comes from its first bytes (a tar header: "ustar" at byte 257 and its
 * checksum right; a zip's local header). Only regular files are members; folders, links and
 * devices are passed over. A member's name is only ever shown in messages and used to tell its
 * format: nothing is written under it, so a "../x" or "/etc/x" name is harmless. A damaged or
 * truncated archive is KN_E_FORMAT naming it and the member reached; zip members are checked
 * against their CRC-32 by libarchive, and a compressed tar's own stream by kn_decompress.h. */
#ifndef KN_ARCHIVE_H
#define KN_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"
#include "kn_stream.h"

/* The leading bytes kn_archive_sniff needs (a tar header). */
#define KN_ARCHIVE_SNIFF_BYTES 512

/* True when the first `n` bytes (borrowed) begin a tar or zip archive. */
bool kn_archive_sniff(const uint8_t *head, size_t n);

/* The archive extensions a folder listing takes (".tar", ".tgz", ".zip"; a compressed tar is
 * ".tar" and a compression's, kn_decompress.h), NULL-terminated (static). */
const char *const *kn_archive_extensions(void);

typedef struct kn_archive kn_archive; /* opaque */

/* Reads the archive `src` (taken: freed with the archive, or by this call when it fails) named
 * `name` (borrowed; it must outlive the archive). Fails with KN_E_FORMAT when it is not a tar
 * or zip archive libarchive can read. `max_expansion` bounds what all its members hand out
 * together, as kn_decompress_options does for a compressed stream (a zip's members are
 * deflated inside it): past that many times the archive's size (1 MiB at least; the bytes read
 * so far when the size is unknown), a member's read fails with KN_E_DATA. 0: no bound. */
kn_status kn_archive_open(kn_seq_source *src, const char *name, double max_expansion, kn_archive **out,
                          kn_error *err);

/* The next member into *member (the caller's: kn_seq_source_free it before the next call,
 * since it reads the archive's current place) and its name into *member_name (borrowed until
 * the next call), or *done at the end. A member's source names itself "ARCHIVE[MEMBER]". */
kn_status kn_archive_next(kn_archive *a, kn_seq_source **member, const char **member_name, bool *done,
                          kn_error *err);

/* Accepts NULL. */
void kn_archive_free(kn_archive *a);

#endif
