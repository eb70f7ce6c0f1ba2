/* formats/parquet/kn_pq_codec.h: page compression with the codecs kiln writes.
 *
 *   SNAPPY   snappy's raw format (its C API)           Parquet codec 1
 *   GZIP     real RFC 1952 gzip members (zlib, windowBits 31), as parquet-java expects   2
 *   ZSTD     one zstd frame per page                    6
 *   LZ4_RAW  one LZ4 block, no framing                  7
 *   NONE     the bytes as they are                      0
 * The old framed LZ4 (codec 5) is never written: Arrow and parquet-java disagree on its framing.
 *
 * A codec context holds the codec's reusable state (zstd and zlib contexts), so each column
 * writer owns one and columns can be compressed on different threads. */
#ifndef KN_PQ_CODEC_H
#define KN_PQ_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_pq_writer.h"
#include "kn_status.h"

typedef struct kn_pq_codec_ctx kn_pq_codec_ctx;

/* Checks `codec` and `level` (0 = the codec's default; zstd takes its own range, gzip 1..9; the
 * other codecs have no levels and ignore it). KN_E_USAGE when either is out of range. */
kn_status kn_pq_codec_check(kn_codec codec, int level, kn_error *err);

kn_status kn_pq_codec_ctx_create(kn_codec codec, int level, kn_pq_codec_ctx **out,
                                 kn_error *err);
/* Accepts NULL. */
void kn_pq_codec_ctx_free(kn_pq_codec_ctx *ctx);

/* Appends the compressed form of src[0..len) to `out`. For KN_CODEC_NONE appends the bytes. */
kn_status kn_pq_compress(kn_pq_codec_ctx *ctx, const uint8_t *src, size_t len, kn_buf *out,
                         kn_error *err);

/* The CompressionCodec number written in ColumnMetaData. */
int kn_pq_codec_thrift(kn_codec codec);

#endif
