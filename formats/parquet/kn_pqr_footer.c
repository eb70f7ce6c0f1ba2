/* formats/parquet/kn_pqr_footer.c: finds and reads a Parquet file's footer from a kn_source:
 * PAR1 ... FileMetaData, 4-byte little-endian length, PAR1. */
#include <stdarg.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pqr.h"

/* A file holds at least the leading magic, the footer length and the trailing magic. */
#define KN_PQR_MIN_FILE 12u

static kn_status fail_at(kn_error *err, kn_status st, const char *name, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static kn_status fail_at(kn_error *err, kn_status st, const char *name, uint64_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    kn_error_setv(err, st, fmt, ap);
    va_end(ap);
    kn_error_locate(err, name, -1, -1, (int64_t)offset);
    return st;
}

/* Spells 4 magic bytes for a message: printable ones as they are, others as \xNN. */
static void magic_text(const uint8_t *b, char out[17]) {
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f) out[k++] = (char)b[i];
        else {
            out[k++] = '\\';
            out[k++] = 'x';
            out[k++] = hex[b[i] >> 4];
            out[k++] = hex[b[i] & 15];
        }
    }
    out[k] = '\0';
}

kn_status kn_pqr_meta_read(kn_source *src, kn_pqr_meta **out, kn_error *err) {
    *out = NULL;
    const char *name = src->name;
    uint64_t size = src->size;
    if (size < KN_PQR_MIN_FILE)
        return fail_at(err, KN_E_FORMAT, name, 0,
                       "not a Parquet file: %llu bytes is too short (at least 12: PAR1, a 4-byte footer length, PAR1)",
                       (unsigned long long)size);
    uint8_t head[4], tail[8];
    KN_TRY(kn_source_read_at(src, 0, head, sizeof head, err));
    KN_TRY(kn_source_read_at(src, size - 8, tail, sizeof tail, err));
    char text[17];
    /* Parquet modular encryption with an encrypted footer swaps both magics for "PARE". */
    if (!memcmp(tail + 4, "PARE", 4) || !memcmp(head, "PARE", 4))
        return fail_at(err, KN_E_UNSUPPORTED, name, memcmp(tail + 4, "PARE", 4) ? 0 : size - 4,
                       "encrypted Parquet footer is not supported (the file uses Parquet modular encryption)");
    if (memcmp(tail + 4, "PAR1", 4)) {
        magic_text(tail + 4, text);
        return fail_at(err, KN_E_FORMAT, name, size - 4, "not a Parquet file: it ends with \"%s\", not \"PAR1\"", text);
    }
    if (memcmp(head, "PAR1", 4)) {
        magic_text(head, text);
        return fail_at(err, KN_E_FORMAT, name, 0, "not a Parquet file: it starts with \"%s\", not \"PAR1\"", text);
    }
    uint32_t len = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    if (len > size - KN_PQR_MIN_FILE)
        return fail_at(err, KN_E_FORMAT, name, size - 8,
                       "footer length %u runs past the start of the file (%llu bytes: at most %llu fit)", len,
                       (unsigned long long)size, (unsigned long long)(size - KN_PQR_MIN_FILE));
    if (len == 0) return fail_at(err, KN_E_FORMAT, name, size - 8, "footer length is 0: the file has no metadata");
    uint64_t off = size - 8 - len;
    uint8_t *footer = kn_malloc(len);
    if (!footer) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a %u-byte Parquet footer", len);
    kn_status st = kn_source_read_at(src, off, footer, len, err);
    kn_pqr_meta *m = NULL;
    if (st == KN_OK) st = kn_pqr_meta_decode(footer, len, off, name, &m, err);
    kn_free(footer);
    if (st != KN_OK) return st;
    m->file_size = size;
    *out = m;
    return KN_OK;
}
