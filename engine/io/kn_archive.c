/* engine/io/kn_archive.c: tar and zip members as sequential sources, through libarchive
 * (kn_archive.h).
 *
 * libarchive reads the archive's bytes through a callback pulling from the source it was
 * given (already decoded when the tar was compressed: kn_decompress.h checks that stream), with
 * no filter of its own, and hands out each member's bytes in blocks it owns. */
#include "kn_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_decompress.h"

#define READ_BYTES ((size_t)256 << 10)

/* A tar header: "ustar" at 257 and the header's checksum right (the octal sum of its bytes,
 * the checksum field counted as spaces), so a text file that happens to hold "ustar" there is
 * not taken for one. */
static bool is_tar_header(const uint8_t *h) {
    if (memcmp(h + 257, "ustar", 5) != 0) return false;
    unsigned long want = 0, sum = 0;
    size_t i = 148;
    while (i < 156 && h[i] == ' ') i++;
    if (i == 156 || h[i] < '0' || h[i] > '7') return false;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++) want = want * 8 + (unsigned long)(h[i] - '0');
    for (i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? ' ' : h[i];
    return sum == want;
}

bool kn_archive_sniff(const uint8_t *h, size_t n) {
    if (n >= 512 && is_tar_header(h)) return true;
    return n >= 4 && (memcmp(h, "PK\x03\x04", 4) == 0 || memcmp(h, "PK\x05\x06", 4) == 0);
}

static const char *const extensions[] = {".tar", ".tgz", ".zip", NULL};

const char *const *kn_archive_extensions(void) { return extensions; }

struct kn_archive {
    struct archive *a;
    kn_seq_source *src;
    const char *name;
    uint8_t *in;
    char *member_name; /* "ARCHIVE[MEMBER]" of the member being read, for messages */
    double max_expansion;
    uint64_t in_bytes;  /* bytes read from src so far */
    uint64_t out_bytes; /* bytes every member handed out so far */
    kn_status src_status; /* a failure of src inside libarchive's callback ... */
    kn_error src_err;     /* ... and its detail */
};

static la_ssize_t on_read(struct archive *la, void *ctx, const void **buf) {
    kn_archive *a = ctx;
    size_t got;
    kn_status st = kn_seq_source_read(a->src, a->in, READ_BYTES, &got, &a->src_err);
    if (st != KN_OK) {
        a->src_status = st;
        archive_set_error(la, EIO, "the archive could not be read");
        return -1;
    }
    a->in_bytes += got;
    *buf = a->in;
    return (la_ssize_t)got;
}

/* A failure of libarchive: the source's own when that is what failed, else damage. */
static kn_status archive_failed(kn_archive *a, kn_error *err) {
    if (a->src_status != KN_OK) {
        if (err) *err = a->src_err;
        return a->src_status;
    }
    const char *why = archive_error_string(a->a);
    kn_error_locate(err, a->member_name ? a->member_name : a->name, -1, -1, -1);
    return kn_error_set(err, KN_E_FORMAT, "damaged or truncated archive (%s)", why ? why : "libarchive failed");
}

kn_status kn_archive_open(kn_seq_source *src, const char *name, double max_expansion, kn_archive **out,
                          kn_error *err) {
    *out = NULL;
    kn_archive *a = kn_calloc(1, sizeof *a);
    if (!a) {
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    a->src = src;
    a->name = name;
    a->max_expansion = max_expansion;
    a->in = kn_malloc(READ_BYTES);
    a->a = archive_read_new();
    if (!a->in || !a->a) {
        kn_archive_free(a);
        return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", name);
    }
    archive_read_support_format_tar(a->a);
    archive_read_support_format_zip(a->a);
    if (archive_read_open2(a->a, a, NULL, on_read, NULL, NULL) != ARCHIVE_OK) {
        kn_status st = archive_failed(a, err);
        kn_archive_free(a);
        return st;
    }
    *out = a;
    return KN_OK;
}

void kn_archive_free(kn_archive *a) {
    if (!a) return;
    if (a->a) archive_read_free(a->a);
    kn_seq_source_free(a->src);
    kn_free(a->in);
    kn_free(a->member_name);
    kn_free(a);
}

/* ---- a member ------------------------------------------------------------------------------- */

typedef struct {
    kn_seq_source base;
    kn_archive *a;
    const uint8_t *block; /* what is left of the block read last (libarchive's) */
    size_t block_len;
    int64_t next;         /* the member offset the next block must start at */
    bool ended;
} member;

static kn_status member_read(kn_seq_source *s, void *buf, size_t cap, size_t *got, kn_error *err) {
    member *m = (member *)s;
    while (m->block_len == 0) {
        if (m->ended) {
            *got = 0;
            return KN_OK;
        }
        const void *b;
        size_t n;
        la_int64_t at;
        int r = archive_read_data_block(m->a->a, &b, &n, &at);
        if (r == ARCHIVE_EOF) {
            m->ended = true;
            continue;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_failed(m->a, err);
        if (at != m->next) {
            kn_error_locate(err, s->name, -1, -1, -1);
            return kn_error_set(err, KN_E_UNSUPPORTED, "a sparse archive member (a hole at byte %lld) is not read",
                                (long long)m->next);
        }
        kn_archive *a = m->a;
        a->out_bytes += n;
        KN_TRY(kn_expansion_check(a->max_expansion, a->src->size, a->in_bytes, a->out_bytes, "the archive's members",
                                  s->name, err));
        m->block = b;
        m->block_len = n;
        m->next += (int64_t)n;
    }
    size_t n = m->block_len < cap ? m->block_len : cap;
    memcpy(buf, m->block, n);
    m->block += n;
    m->block_len -= n;
    *got = n;
    return KN_OK;
}

static void member_free(kn_seq_source *s) { kn_free(s); }

static const kn_seq_source_vtable member_vt = {member_read, member_free};

kn_status kn_archive_next(kn_archive *a, kn_seq_source **out, const char **member_name, bool *done, kn_error *err) {
    *out = NULL;
    *member_name = NULL;
    *done = false;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a->a, &e);
        if (r == ARCHIVE_EOF) {
            *done = true;
            return KN_OK;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_failed(a, err);
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        const char *name = archive_entry_pathname(e);
        if (!name) name = "?";
        size_t len = strlen(a->name) + strlen(name) + 3;
        char *full = kn_malloc(len);
        member *m = kn_calloc(1, sizeof *m);
        if (!full || !m) {
            kn_free(full);
            kn_free(m);
            return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s'", a->name);
        }
        snprintf(full, len, "%s[%s]", a->name, name);
        kn_free(a->member_name);
        a->member_name = full;
        m->base.vt = &member_vt;
        m->base.size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
        m->base.name = a->member_name;
        m->a = a;
        *out = &m->base;
        *member_name = name;
        return KN_OK;
    }
}
