/* engine/io/kn_decompress.h: compressed inputs (.gz .bz2 .xz .zst .lz4) read as the bytes they
 * hold: a sequential source stacked on the file's own, decoding through libarchive's filters.
 *
 * What a file is comes from its first bytes (the codecs' magic numbers), not from its name: a
 * gzip'd file named `orders.ndjson` is read decompressed, a plain one named `orders.ndjson.gz`
 * as it is. The name only says the format of what is inside (`orders.ndjson.gz` holds NDJSON:
 * kn_compression_strip).
 *
 * Concatenated streams (pigz, bgzip, `cat a.gz b.gz`, multi-frame zstd) are read whole. Damage
 * (a bad checksum, a stream cut short, bytes that are not the codec's) is KN_E_FORMAT naming the
 * file and the compressed byte reached. A stream that expands past `max_expansion` times its
 * compressed size is KN_E_DATA (a decompression bomb), found as the bytes come out, before
 * they fill memory or disk. */
#ifndef KN_DECOMPRESS_H
#define KN_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"
#include "kn_stream.h"

typedef enum kn_compression {
    KN_COMPRESSION_NONE = 0,
    KN_COMPRESSION_GZIP,
    KN_COMPRESSION_BZIP2,
    KN_COMPRESSION_XZ,
    KN_COMPRESSION_ZSTD,
    KN_COMPRESSION_LZ4
} kn_compression;

/* The most leading bytes kn_compression_sniff looks at. */
#define KN_COMPRESSION_SNIFF_BYTES 10

/* What the first `n` bytes of a file (borrowed; the whole file will do: it looks at no more than
 * KN_COMPRESSION_SNIFF_BYTES) say it is. */
kn_compression kn_compression_sniff(const uint8_t *head, size_t n);

/* "gzip", "bzip2", "xz", "zstd", "lz4", or "none" (static). */
const char *kn_compression_name(kn_compression c);

/* The length of `name` (borrowed) without its last extension when that is a compression's
 * (".gz", ".bz2", ".xz", ".zst", ".lz4"; "orders.ndjson.gz" gives the length of
 * "orders.ndjson"); strlen(name) otherwise. */
size_t kn_compression_strip(const char *name);

/* The compression extensions, NULL-terminated (static). */
const char *const *kn_compression_extensions(void);

typedef struct kn_decompress_options {
    /* Decompressed bytes allowed per compressed byte; the compressed size counts as at least
     * 1 MiB, so a small file may still hold up to max_expansion MiB. 0: no bound. Default
     * 1000 (--max-input-expansion). */
    double max_expansion;
} kn_decompress_options;

void kn_decompress_options_init(kn_decompress_options *opt);

/* That bound, for any reader handing out more bytes than it reads (a decoder, a zip's members):
 * KN_E_DATA naming `name` (borrowed) when `out_bytes` pass `max_expansion` times `size`, the
 * compressed size (-1 when unknown: then `in_bytes`, the bytes read so far), counted as 1 MiB
 * at least. `what` ("gzip data", "the archive's members") begins the message. 0: no bound. */
kn_status kn_expansion_check(double max_expansion, int64_t size, uint64_t in_bytes, uint64_t out_bytes,
                             const char *what, const char *name, kn_error *err);

/* A sequential source of what `raw` holds: its bytes decoded when its first bytes are a
 * compressed stream, else its bytes as they are (read through, with no copy beyond the few
 * bytes looked at). `raw` is taken (freed with the new source, or by this call when it
 * fails). `opt` may be NULL for defaults. *compression (may be NULL) says what was found.
 *
 * The new source's name is raw's; its size is unknown (-1) when decoding. Its reads fail as
 * raw's do, or with KN_E_FORMAT / KN_E_DATA as the header says. */
kn_status kn_decompress_open(kn_seq_source *raw, const kn_decompress_options *opt, kn_seq_source **out,
                             kn_compression *compression, kn_error *err);

#endif
