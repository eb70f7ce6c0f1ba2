/* engine/io/kn_transcode.c: UTF-16, latin-1 and windows-1252 read as UTF-8 (kn_transcode.h). */
#include "kn_transcode.h"

#include <string.h>

#include "kn_alloc.h"

#define IN_BYTES ((size_t)64 << 10)

typedef struct tc {
    kn_seq_source base;
    kn_seq_source *in;
    kn_text_encoding enc;
    uint8_t *buf; /* IN_BYTES of input; [pos, len) not yet transcoded */
    size_t pos, len;
    uint64_t in_offset; /* input bytes consumed before buf[pos] */
    bool eof, started;
    uint8_t pend[4]; /* a character that did not fit the caller's buffer */
    size_t pend_pos, pend_len;
} tc;

static kn_status invalid(tc *t, const char *why, kn_error *err) {
    kn_error_locate(err, t->base.name, -1, -1, (int64_t)t->in_offset);
    return kn_error_set(err, KN_E_FORMAT, "invalid %s text at byte %llu: %s", kn_encoding_name(t->enc),
                        (unsigned long long)t->in_offset, why);
}

static kn_status refill(tc *t, kn_error *err) {
    memmove(t->buf, t->buf + t->pos, t->len - t->pos);
    t->len -= t->pos;
    t->pos = 0;
    while (!t->eof && t->len < IN_BYTES) {
        size_t got;
        KN_TRY(kn_seq_source_read(t->in, t->buf + t->len, IN_BYTES - t->len, &got, err));
        if (!got) t->eof = true;
        t->len += got;
        if (t->len >= 4) break;
    }
    return KN_OK;
}

static inline uint32_t unit(const tc *t, size_t i) {
    const uint8_t *p = t->buf + i;
    return t->enc == KN_TEXT_UTF16LE ? (uint32_t)(p[0] | p[1] << 8) : (uint32_t)(p[0] << 8 | p[1]);
}

/* Transcodes into out[0..cap) (cap >= 4): as many whole characters as fit. */
static kn_status tc_read_some(tc *t, uint8_t *o, size_t cap, size_t *got, kn_error *err) {
    size_t n = 0;
    bool utf16 = t->enc == KN_TEXT_UTF16LE || t->enc == KN_TEXT_UTF16BE;
    while (n + 4 <= cap) {
        size_t need = utf16 ? 4 : 1; /* a surrogate pair is the most one character takes */
        if (t->len - t->pos < need && !t->eof) KN_TRY(refill(t, err));
        size_t left = t->len - t->pos;
        if (!left) break;
        if (!utf16) {
            n += kn_encoding_byte_to_utf8(t->enc, t->buf[t->pos++], o + n);
            t->in_offset++;
            continue;
        }
        if (left < 2) return invalid(t, "the text ends in the middle of a character", err);
        uint32_t u = unit(t, t->pos), cp = u;
        size_t used = 2;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (left < 4) return invalid(t, "the text ends in the middle of a surrogate pair", err);
            uint32_t lo = unit(t, t->pos + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) return invalid(t, "a high surrogate without its low half", err);
            cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            used = 4;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return invalid(t, "a low surrogate without its high half", err);
        }
        t->pos += used;
        t->in_offset += used;
        if (!t->started && cp == 0xFEFF) { /* the byte-order mark is not text */
            t->started = true;
            continue;
        }
        t->started = true;
        n += kn_utf8_put(cp, o + n);
    }
    *got = n;
    return KN_OK;
}

static kn_status tc_read(kn_seq_source *s, void *out, size_t cap, size_t *got, kn_error *err) {
    tc *t = (tc *)s;
    uint8_t *o = out;
    size_t n = 0;
    while (t->pend_pos < t->pend_len && n < cap) o[n++] = t->pend[t->pend_pos++];
    while (n < cap) {
        if (cap - n < 4) { /* one character through pend, so a small buffer still gets bytes */
            size_t k;
            t->pend_pos = t->pend_len = 0;
            KN_TRY(tc_read_some(t, t->pend, 4, &k, err));
            if (!k) break;
            t->pend_len = k;
            while (t->pend_pos < t->pend_len && n < cap) o[n++] = t->pend[t->pend_pos++];
            continue;
        }
        size_t k;
        KN_TRY(tc_read_some(t, o + n, cap - n, &k, err));
        if (!k) break;
        n += k;
    }
    *got = n;
    return KN_OK;
}

static void tc_free(kn_seq_source *s) {
    tc *t = (tc *)s;
    kn_seq_source_free(t->in);
    kn_free(t->buf);
    kn_free(t);
}

static const kn_seq_source_vtable tc_vt = {tc_read, tc_free};

kn_status kn_transcode_open(kn_seq_source *src, kn_text_encoding enc, kn_seq_source **out, kn_error *err) {
    *out = NULL;
    if (enc == KN_TEXT_UTF8) {
        *out = src;
        return KN_OK;
    }
    tc *t = kn_calloc(1, sizeof *t);
    uint8_t *buf = kn_malloc(IN_BYTES);
    if (!t || !buf) {
        kn_free(t);
        kn_free(buf);
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", src->name ? src->name : "");
    }
    t->base.vt = &tc_vt;
    t->base.size = -1;
    t->base.name = src->name;
    t->in = src;
    t->enc = enc;
    t->buf = buf;
    *out = &t->base;
    return KN_OK;
}
