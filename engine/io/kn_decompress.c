/* engine/io/kn_decompress.c: compressed inputs (kn_decompress.h).
 *
 * gzip, zstd and lz4 frames decode with their own libraries straight into the caller's buffer:
 * they check every member's or frame's checksum and length, which libarchive's gzip filter
 * does not (it hands out a damaged stream's bytes as if whole), and they tell the exact
 * compressed byte where damage sits. gzip goes through ISA-L's inflate (igzip), several times
 * zlib's speed on x86-64 and arm64 (bench/README.md, "Compressed and archived inputs").
 *
 * bzip2, xz and lz4's legacy frames go through libarchive's filters (libbz2 and liblzma check
 * their own CRCs): a callback feeds it the raw bytes, its "raw" format hands out the decoded
 * blocks, and the one copy is into the caller's buffer. Only those filters are enabled:
 * libarchive's others may run external programs. */
#include "kn_decompress.h"

#include <archive.h>
#include <isa-l/igzip_lib.h>
#include <errno.h>
#include <lz4frame.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "kn_alloc.h"

/* Compressed bytes asked of the raw source at a time: small enough that a damaged stream's
 * offset is told to within this much, large enough that the calls cost nothing. */
#define READ_BYTES ((size_t)256 << 10)
#define MIN_BASE ((uint64_t)1 << 20)

/* ---- what a file is ------------------------------------------------------------------------- */

kn_compression kn_compression_sniff(const uint8_t *h, size_t n) {
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) return KN_COMPRESSION_GZIP;
    if (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0) return KN_COMPRESSION_XZ;
    if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0) return KN_COMPRESSION_ZSTD;
    /* A zstd skippable frame (magic 0x184D2A50-5F) may come first (pzstd writes one). */
    if (n >= 4 && (h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18) return KN_COMPRESSION_ZSTD;
    if (n >= 4 && (memcmp(h, "\x04\x22\x4d\x18", 4) == 0 || memcmp(h, "\x02\x21\x4c\x18", 4) == 0))
        return KN_COMPRESSION_LZ4;
    /* "BZh1".."BZh9" could begin a CSV header too: the first block's magic (pi's digits) or,
     * for an empty stream, the end magic (sqrt(pi)'s) must follow. */
    if (n >= 10 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' && h[3] <= '9' &&
        (memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 || memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0))
        return KN_COMPRESSION_BZIP2;
    return KN_COMPRESSION_NONE;
}

const char *kn_compression_name(kn_compression c) {
    switch (c) {
    case KN_COMPRESSION_GZIP: return "gzip";
    case KN_COMPRESSION_BZIP2: return "bzip2";
    case KN_COMPRESSION_XZ: return "xz";
    case KN_COMPRESSION_ZSTD: return "zstd";
    case KN_COMPRESSION_LZ4: return "lz4";
    case KN_COMPRESSION_NONE: break;
    }
    return "none";
}

static const char *const extensions[] = {".gz", ".bz2", ".xz", ".zst", ".lz4", NULL};

const char *const *kn_compression_extensions(void) { return extensions; }

size_t kn_compression_strip(const char *name) {
    size_t n = strlen(name);
    for (const char *const *e = extensions; *e; e++) {
        size_t k = strlen(*e);
        if (n > k && strcmp(name + n - k, *e) == 0) return n - k;
    }
    return n;
}

void kn_decompress_options_init(kn_decompress_options *opt) { opt->max_expansion = 1000; }

/* ---- the source ----------------------------------------------------------------------------- */

typedef struct {
    kn_seq_source base;
    kn_seq_source *raw; /* the compressed bytes (the sniffed ones handed out again first) */
    kn_compression c;
    char what[16]; /* "gzip data", for messages */
    double max_expansion;
    uint8_t *in;            /* compressed bytes read from raw */
    size_t in_pos, in_len;  /* in[in_pos, in_len) not yet decoded */
    bool in_ended;          /* raw has no more */
    uint64_t in_bytes;      /* compressed bytes read from raw so far */
    bool ended;             /* the decoded stream has no more */
    /* The native decoders: one of these. */
    struct inflate_state *gz;
    struct isal_gzip_header gz_header; /* what the member's header says (read past; names not kept) */
    bool gz_in_header;                 /* reading a member's header */
    bool gz_member_done;
    ZSTD_DStream *zs;
    size_t zs_hint; /* ZSTD_decompressStream's last return: 0 at the end of a frame */
    LZ4F_dctx *lz;
    size_t lz_hint; /* LZ4F_decompress's last return: 0 at the end of a frame */
    /* libarchive (bzip2, xz, legacy lz4). */
    struct archive *a;
    const uint8_t *block;   /* what is left of the block decoded last (libarchive's) */
    size_t block_len;
    kn_status raw_status;   /* a failure of raw inside libarchive's callback ... */
    kn_error raw_err;       /* ... and its detail */
} dec;

/* ---- decoding ------------------------------------------------------------------------------ */

/* Damage at the compressed byte `at`: KN_E_FORMAT naming the file. */
static kn_status damaged(dec *d, uint64_t at, const char *why, kn_error *err) {
    kn_error_locate(err, d->base.name, -1, -1, -1);
    return kn_error_set(err, KN_E_FORMAT,
                        "damaged or truncated %s data at compressed byte %llu, after %llu bytes decompressed (%s)",
                        kn_compression_name(d->c), (unsigned long long)at, (unsigned long long)d->base.offset, why);
}

/* The compressed byte the native decoder has reached. */
static uint64_t in_at(const dec *d) { return d->in_bytes - (d->in_len - d->in_pos); }

/* Makes sure in[in_pos, in_len) holds bytes, unless raw has ended. */
static kn_status fill_in(dec *d, kn_error *err) {
    if (d->in_pos < d->in_len || d->in_ended) return KN_OK;
    size_t got;
    KN_TRY(kn_seq_source_read(d->raw, d->in, READ_BYTES, &got, err));
    d->in_ended = got == 0;
    d->in_pos = 0;
    d->in_len = got;
    d->in_bytes += got;
    return KN_OK;
}

kn_status kn_expansion_check(double max_expansion, int64_t size, uint64_t in_bytes, uint64_t out_bytes,
                             const char *what, const char *name, kn_error *err) {
    if (max_expansion <= 0) return KN_OK;
    uint64_t base = size >= 0 ? (uint64_t)size : in_bytes;
    if (base < MIN_BASE) base = MIN_BASE;
    if ((double)out_bytes <= max_expansion * (double)base) return KN_OK;
    kn_error_locate(err, name, -1, -1, -1);
    return kn_error_set(err, KN_E_DATA,
                        "%s grew to %llu bytes, past %g times %llu (the compressed size, 1 MiB at least): a "
                        "decompression bomb? (--max-input-expansion)",
                        what, (unsigned long long)out_bytes, max_expansion, (unsigned long long)base);
}

/* Points ISA-L at the compressed bytes left and `cap` bytes of `buf`. */
static void gz_window(dec *d, uint8_t *buf, size_t cap) {
    d->gz->next_in = d->in + d->in_pos;
    d->gz->avail_in = (uint32_t)(d->in_len - d->in_pos);
    d->gz->next_out = buf;
    d->gz->avail_out = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
}

/* Starts a member: its header is read first (ISA-L's own header parsing trips on a stored
 * file name), then its deflate data, whose CRC-32 and length are checked at its end. */
static void gz_member_start(dec *d) {
    isal_inflate_reset(d->gz);
    isal_gzip_header_init(&d->gz_header);
    d->gz_in_header = true;
    d->gz_member_done = false;
}

/* gzip: members back to back (pigz, bgzip, cat), each checked by ISA-L against its CRC-32 and
 * length; zero bytes between or after members (padding) are let be. */
static kn_status gzip_read(dec *d, uint8_t *buf, size_t cap, size_t *got, kn_error *err) {
    struct inflate_state *z = d->gz;
    *got = 0;
    while (!d->ended) {
        KN_TRY(fill_in(d, err));
        if (d->gz_member_done) {
            if (d->in_pos == d->in_len) { /* raw ended after a whole member */
                d->ended = true;
                break;
            }
            if (d->in[d->in_pos] == 0) { /* padding */
                d->in_pos++;
                continue;
            }
            if (d->in[d->in_pos] != 0x1f)
                return damaged(d, in_at(d), "bytes after a gzip member that start no other", err);
            gz_member_start(d);
        }
        if (d->in_pos == d->in_len) return damaged(d, in_at(d), "the file ends inside a gzip member", err);
        gz_window(d, buf, cap);
        uint32_t out_cap = z->avail_out;
        int r;
        if (d->gz_in_header) {
            r = isal_read_gzip_header(z, &d->gz_header);
            if (r == ISAL_DECOMP_OK) {
                d->gz_in_header = false;
                z->crc_flag = ISAL_GZIP_NO_HDR_VER;
            } else if (r == ISAL_END_INPUT) {
                r = ISAL_DECOMP_OK; /* the header goes on in the next bytes */
            }
        } else {
            r = isal_inflate(z);
            if (z->block_state == ISAL_BLOCK_FINISH && r == ISAL_DECOMP_OK) d->gz_member_done = true;
        }
        d->in_pos = d->in_len - z->avail_in;
        *got = out_cap - z->avail_out;
        if (r == ISAL_INCORRECT_CHECKSUM) return damaged(d, in_at(d), "its CRC-32 or length is not the data's", err);
        if (r != ISAL_DECOMP_OK) {
            bool header = r == ISAL_INVALID_WRAPPER || r == ISAL_UNSUPPORTED_METHOD;
            return damaged(d, in_at(d), header ? "not a gzip header" : "invalid deflate data", err);
        }
        if (*got) return KN_OK;
    }
    return KN_OK;
}

/* zstd: frames back to back (and skippable ones), each checked against its checksum when it
 * has one (the zstd tool writes one by default). */
static kn_status zstd_read(dec *d, uint8_t *buf, size_t cap, size_t *got, kn_error *err) {
    while (!d->ended) {
        KN_TRY(fill_in(d, err));
        if (d->in_pos == d->in_len) {
            if (d->zs_hint != 0) return damaged(d, in_at(d), "the file ends inside a zstd frame", err);
            d->ended = true;
            break;
        }
        ZSTD_inBuffer in = {d->in, d->in_len, d->in_pos};
        ZSTD_outBuffer out = {buf, cap, 0};
        size_t r = ZSTD_decompressStream(d->zs, &out, &in);
        d->in_pos = in.pos;
        if (ZSTD_isError(r)) return damaged(d, in_at(d), ZSTD_getErrorName(r), err);
        d->zs_hint = r;
        *got = out.pos;
        if (*got) return KN_OK;
    }
    *got = 0;
    return KN_OK;
}

/* lz4: frames back to back, each checked against its checksums when it has them. */
static kn_status lz4_read(dec *d, uint8_t *buf, size_t cap, size_t *got, kn_error *err) {
    while (!d->ended) {
        KN_TRY(fill_in(d, err));
        if (d->in_pos == d->in_len) {
            if (d->lz_hint != 0) return damaged(d, in_at(d), "the file ends inside an lz4 frame", err);
            d->ended = true;
            break;
        }
        size_t out_len = cap, in_len = d->in_len - d->in_pos;
        size_t r = LZ4F_decompress(d->lz, buf, &out_len, d->in + d->in_pos, &in_len, NULL);
        d->in_pos += in_len;
        if (LZ4F_isError(r)) return damaged(d, in_at(d), LZ4F_getErrorName(r), err);
        d->lz_hint = r;
        *got = out_len;
        if (*got) return KN_OK;
    }
    *got = 0;
    return KN_OK;
}

static la_ssize_t on_read(struct archive *a, void *ctx, const void **buf) {
    dec *d = ctx;
    if (fill_in(d, &d->raw_err) != KN_OK) {
        d->raw_status = d->raw_err.status;
        archive_set_error(a, EIO, "the compressed file could not be read");
        return -1;
    }
    *buf = d->in + d->in_pos;
    size_t n = d->in_len - d->in_pos;
    d->in_pos = d->in_len;
    return (la_ssize_t)n;
}

/* A failure of libarchive: the raw source's own when that is what failed, else damage (told
 * to within the bytes handed to it). */
static kn_status archive_failed(dec *d, kn_error *err) {
    if (d->raw_status != KN_OK) {
        if (err) *err = d->raw_err;
        return d->raw_status;
    }
    const char *why = archive_error_string(d->a);
    return damaged(d, d->in_bytes, why ? why : "libarchive failed", err);
}

static kn_status archive_read(dec *d, uint8_t *buf, size_t cap, size_t *got, kn_error *err) {
    while (d->block_len == 0) {
        if (d->ended) {
            *got = 0;
            return KN_OK;
        }
        const void *b;
        size_t n;
        la_int64_t at;
        int r = archive_read_data_block(d->a, &b, &n, &at);
        if (r == ARCHIVE_EOF) {
            d->ended = true;
            continue;
        }
        if (r != ARCHIVE_OK) return archive_failed(d, err);
        d->block = b;
        d->block_len = n;
    }
    size_t n = d->block_len < cap ? d->block_len : cap;
    memcpy(buf, d->block, n);
    d->block += n;
    d->block_len -= n;
    *got = n;
    return KN_OK;
}

static kn_status decode_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    dec *d = (dec *)s;
    kn_status st;
    if (d->zs) st = zstd_read(d, buf, cap, got, err);
    else if (d->gz) st = gzip_read(d, buf, cap, got, err);
    else if (d->lz) st = lz4_read(d, buf, cap, got, err);
    else st = archive_read(d, buf, cap, got, err);
    if (st != KN_OK) return st;
    return kn_expansion_check(d->max_expansion, d->raw->size, d->in_bytes, s->offset + *got, d->what, s->name, err);
}

static void dec_free(kn_seq_source *s) {
    dec *d = (dec *)s;
    if (d->a) archive_read_free(d->a);
    kn_free(d->gz);
    ZSTD_freeDStream(d->zs);
    if (d->lz) LZ4F_freeDecompressionContext(d->lz);
    kn_seq_source_free(d->raw);
    kn_free(d->in);
    kn_free(d);
}

static const kn_seq_source_vtable decode_vt = {decode_read, dec_free};

static kn_status start_archive(dec *d, kn_error *err) {
    struct archive *a = d->a = archive_read_new();
    if (!a) return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", d->base.name);
    int r = d->c == KN_COMPRESSION_BZIP2 ? archive_read_support_filter_bzip2(a)
            : d->c == KN_COMPRESSION_XZ  ? archive_read_support_filter_xz(a)
                                         : archive_read_support_filter_lz4(a);
    /* ARCHIVE_WARN: libarchive was built without the library and would run a program. */
    KN_RETURN_ERROR_IF(r != ARCHIVE_OK, err, KN_E_UNSUPPORTED, "%s: this libarchive cannot decode %s itself",
                       d->base.name, kn_compression_name(d->c));
    archive_read_support_format_raw(a);
    archive_read_support_format_empty(a);
    if (archive_read_open2(a, d, NULL, on_read, NULL, NULL) != ARCHIVE_OK) return archive_failed(d, err);
    struct archive_entry *entry;
    r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) d->ended = true; /* nothing inside */
    else if (r != ARCHIVE_OK) return archive_failed(d, err);
    return KN_OK;
}

/* `lz4_legacy`: an lz4 stream in the old framing, which only libarchive reads. */
static kn_status start_decoding(dec *d, bool lz4_legacy, kn_error *err) {
    d->in = kn_malloc(READ_BYTES);
    if (!d->in) return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", d->base.name);
    bool lz4_frame = d->c == KN_COMPRESSION_LZ4 && !lz4_legacy;
    if (d->c == KN_COMPRESSION_GZIP) {
        d->gz = kn_malloc(sizeof *d->gz);
        KN_RETURN_ERROR_IF(!d->gz, err, KN_E_NOMEM, "out of memory opening '%s'", d->base.name);
        isal_inflate_init(d->gz);
        gz_member_start(d);
    } else if (d->c == KN_COMPRESSION_ZSTD) {
        d->zs = ZSTD_createDStream();
        KN_RETURN_ERROR_IF(!d->zs, err, KN_E_NOMEM, "out of memory opening '%s'", d->base.name);
        d->zs_hint = 1; /* inside a frame until one ends */
    } else if (lz4_frame) {
        KN_RETURN_ERROR_IF(LZ4F_isError(LZ4F_createDecompressionContext(&d->lz, LZ4F_VERSION)), err, KN_E_NOMEM,
                           "out of memory opening '%s'", d->base.name);
        d->lz_hint = 1;
    } else {
        return start_archive(d, err);
    }
    return KN_OK;
}

kn_status kn_decompress_open(kn_seq_source *raw, const kn_decompress_options *opt, kn_seq_source **out,
                             kn_compression *compression, kn_error *err) {
    *out = NULL;
    if (compression) *compression = KN_COMPRESSION_NONE;
    kn_decompress_options defaults;
    if (!opt) {
        kn_decompress_options_init(&defaults);
        opt = &defaults;
    }
    kn_seq_source *src;
    const uint8_t *head;
    size_t head_len;
    KN_TRY(kn_seq_peek(raw, KN_COMPRESSION_SNIFF_BYTES, &src, &head, &head_len, err));
    kn_compression c = kn_compression_sniff(head, head_len);
    if (c == KN_COMPRESSION_NONE) { /* plain: its own bytes, the sniffed ones again first */
        *out = src;
        return KN_OK;
    }
    dec *d = kn_calloc(1, sizeof *d);
    if (!d) {
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    d->base.vt = &decode_vt;
    d->base.size = -1;
    d->base.name = src->name;
    d->raw = src;
    d->c = c;
    snprintf(d->what, sizeof d->what, "%s data", kn_compression_name(c));
    d->max_expansion = opt->max_expansion;
    kn_status st = start_decoding(d, c == KN_COMPRESSION_LZ4 && head[0] == 0x02, err);
    if (st != KN_OK) {
        dec_free(&d->base);
        return st;
    }
    if (compression) *compression = c;
    *out = &d->base;
    return KN_OK;
}
