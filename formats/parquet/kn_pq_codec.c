/* formats/parquet/kn_pq_codec.c: page compression (kn_pq_codec.h) and the codec names
 * (kn_codec_name / kn_codec_parse from kn_pq_writer.h). */
#include "kn_pq_codec.h"

#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "kn_alloc.h"
#include "kn_pq_format.h"

struct kn_pq_codec_ctx {
    kn_codec codec;
    int level;
    ZSTD_CCtx *zstd;
    z_stream gz;
    bool gz_ready;
};

const char *kn_codec_name(kn_codec codec) {
    switch (codec) {
    case KN_CODEC_NONE: return "none";
    case KN_CODEC_SNAPPY: return "snappy";
    case KN_CODEC_GZIP: return "gzip";
    case KN_CODEC_ZSTD: return "zstd";
    case KN_CODEC_LZ4_RAW: return "lz4_raw";
    }
    return "unknown";
}

bool kn_codec_parse(const char *name, kn_codec *out) {
    static const struct {
        const char *name;
        kn_codec codec;
    } names[] = {{"none", KN_CODEC_NONE},     {"uncompressed", KN_CODEC_NONE},
                 {"snappy", KN_CODEC_SNAPPY}, {"gzip", KN_CODEC_GZIP},
                 {"zstd", KN_CODEC_ZSTD},     {"lz4_raw", KN_CODEC_LZ4_RAW},
                 {"lz4", KN_CODEC_LZ4_RAW}};
    if (!name) return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].codec;
            return true;
        }
    }
    return false;
}

int kn_pq_codec_thrift(kn_codec codec) {
    switch (codec) {
    case KN_CODEC_NONE: return KN_PQ_CODEC_UNCOMPRESSED;
    case KN_CODEC_SNAPPY: return KN_PQ_CODEC_SNAPPY;
    case KN_CODEC_GZIP: return KN_PQ_CODEC_GZIP;
    case KN_CODEC_ZSTD: return KN_PQ_CODEC_ZSTD;
    case KN_CODEC_LZ4_RAW: return KN_PQ_CODEC_LZ4_RAW;
    }
    return KN_PQ_CODEC_UNCOMPRESSED;
}

kn_status kn_pq_codec_check(kn_codec codec, int level, kn_error *err) {
    switch (codec) {
    case KN_CODEC_NONE:
    case KN_CODEC_SNAPPY:
    case KN_CODEC_LZ4_RAW: return KN_OK;
    case KN_CODEC_GZIP:
        KN_RETURN_ERROR_IF(level < 0 || level > 9, err, KN_E_USAGE,
                           "gzip compression level %d is out of range (1..9, or 0 for 6)", level);
        return KN_OK;
    case KN_CODEC_ZSTD:
        KN_RETURN_ERROR_IF(level != 0 && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()),
                           err, KN_E_USAGE,
                           "zstd compression level %d is out of range (%d..%d, or 0 for 3)",
                           level, ZSTD_minCLevel(), ZSTD_maxCLevel());
        return KN_OK;
    }
    return kn_error_set(err, KN_E_USAGE, "unknown compression codec %d", (int)codec);
}

/* zlib's allocations go through kiln's allocator so they are counted like the rest. */
static voidpf gz_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    return kn_calloc(items, size);
}
static void gz_free(voidpf opaque, voidpf p) {
    (void)opaque;
    kn_free(p);
}

kn_status kn_pq_codec_ctx_create(kn_codec codec, int level, kn_pq_codec_ctx **out,
                                 kn_error *err) {
    *out = NULL;
    KN_TRY(kn_pq_codec_check(codec, level, err));
    kn_pq_codec_ctx *c = kn_calloc(1, sizeof *c);
    if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory for a codec");
    c->codec = codec;
    c->level = level;
    if (codec == KN_CODEC_ZSTD) {
        if (!c->level) c->level = 3;
        c->zstd = ZSTD_createCCtx();
        if (!c->zstd) {
            kn_free(c);
            return kn_error_set(err, KN_E_NOMEM, "out of memory for a zstd context");
        }
    } else if (codec == KN_CODEC_GZIP) {
        if (!c->level) c->level = 6;
        c->gz.zalloc = gz_alloc;
        c->gz.zfree = gz_free;
        /* windowBits 15 + 16 asks zlib for a gzip wrapper (RFC 1952), not zlib's own (1950). */
        if (deflateInit2(&c->gz, c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            kn_free(c);
            return kn_error_set(err, KN_E_NOMEM, "cannot set up gzip compression");
        }
        c->gz_ready = true;
    }
    *out = c;
    return KN_OK;
}

void kn_pq_codec_ctx_free(kn_pq_codec_ctx *c) {
    if (!c) return;
    if (c->zstd) ZSTD_freeCCtx(c->zstd);
    if (c->gz_ready) deflateEnd(&c->gz);
    kn_free(c);
}

kn_status kn_pq_compress(kn_pq_codec_ctx *c, const uint8_t *src, size_t len, kn_buf *out,
                         kn_error *err) {
    size_t bound;
    switch (c->codec) {
    case KN_CODEC_NONE:
        return kn_buf_append_or_fail(out, src, len, err);
    case KN_CODEC_SNAPPY: {
        bound = snappy_max_compressed_length(len);
        if (!kn_buf_reserve(out, bound)) break;
        size_t n = bound;
        if (snappy_compress((const char *)src, len, (char *)out->data + out->len, &n) != SNAPPY_OK)
            return kn_error_set(err, KN_E_INTERNAL, "snappy failed to compress a page");
        out->len += n;
        return KN_OK;
    }
    case KN_CODEC_ZSTD: {
        bound = ZSTD_compressBound(len);
        if (!kn_buf_reserve(out, bound)) break;
        size_t n = ZSTD_compressCCtx(c->zstd, out->data + out->len, bound, src, len, c->level);
        if (ZSTD_isError(n))
            return kn_error_set(err, KN_E_INTERNAL, "zstd failed to compress a page: %s",
                                ZSTD_getErrorName(n));
        out->len += n;
        return KN_OK;
    }
    case KN_CODEC_LZ4_RAW: {
        KN_RETURN_ERROR_IF(len > LZ4_MAX_INPUT_SIZE, err, KN_E_DATA,
                           "a page of %zu bytes is too large for LZ4", len);
        bound = (size_t)LZ4_compressBound((int)len);
        if (!kn_buf_reserve(out, bound)) break;
        int n = LZ4_compress_default((const char *)src, (char *)out->data + out->len, (int)len,
                                     (int)bound);
        if (n <= 0 && len > 0) return kn_error_set(err, KN_E_INTERNAL, "LZ4 failed to compress a page");
        out->len += (size_t)n;
        return KN_OK;
    }
    case KN_CODEC_GZIP: {
        KN_RETURN_ERROR_IF(len > UINT_MAX, err, KN_E_DATA, "a page of %zu bytes is too large for gzip", len);
        if (deflateReset(&c->gz) != Z_OK) return kn_error_set(err, KN_E_INTERNAL, "gzip reset failed");
        bound = deflateBound(&c->gz, (uLong)len);
        if (!kn_buf_reserve(out, bound)) break;
        c->gz.next_in = (Bytef *)(uintptr_t)src;
        c->gz.avail_in = (uInt)len;
        c->gz.next_out = out->data + out->len;
        c->gz.avail_out = (uInt)bound;
        int rc = deflate(&c->gz, Z_FINISH);
        if (rc != Z_STREAM_END) return kn_error_set(err, KN_E_INTERNAL, "gzip failed to compress a page (%d)", rc);
        out->len += bound - c->gz.avail_out;
        return KN_OK;
    }
    }
    return kn_error_set(err, KN_E_NOMEM, "out of memory compressing a page of %zu bytes", len);
}
