/* engine/io/kn_transcode.h: text in UTF-16 (either byte order), ISO-8859-1 or windows-1252 read
 * as UTF-8: a sequential source stacked on another, for readers that take UTF-8 only (XML; CSV
 * transcodes in place instead). A UTF-16 byte-order mark is dropped. Invalid UTF-16 (an
 * unpaired surrogate, an odd byte at the end) is KN_E_FORMAT naming the source and the byte.
 * Offsets past the transcoder count the UTF-8 bytes it hands out. */
#ifndef KN_TRANSCODE_H
#define KN_TRANSCODE_H

#include "kn_encoding.h"
#include "kn_status.h"
#include "kn_stream.h"

/* *out reads `src` (taken: freed with *out, or by this call when it fails) as UTF-8. For
 * KN_TEXT_UTF8 *out is `src` itself. */
kn_status kn_transcode_open(kn_seq_source *src, kn_text_encoding enc, kn_seq_source **out, kn_error *err);

#endif
