/* formats/xml/kn_xml_cut.c: where a morsel of XML may start (the next start tag of a record
 * that is not inside a comment, CDATA section or PI), and where a stream's prefix of whole
 * records ends (a scan-only reader run over it). */
#include <string.h>

#include "kn_xml_reader_impl.h"

/* True when d[p] lies inside markup that runs from `open` to `close` (a comment, CDATA, a PI):
 * the next `close` comes before the next `open`. */
static bool inside(const uint8_t *d, size_t len, size_t p, const char *open, const char *close) {
    const uint8_t *c = memmem(d + p, len - p, close, strlen(close));
    if (!c) return false;
    const uint8_t *o = memmem(d + p, (size_t)(c - d) - p, open, strlen(open));
    return o == NULL;
}

size_t kn_xml_record_start_guess(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data,
                                 size_t len, size_t pos) {
    const char *tag = opt->row_tag ? opt->row_tag : file->first_record;
    if (!tag) return len;
    size_t tl = strlen(tag);
    /* A look ahead this far settles almost every candidate; beyond it, a wrong guess costs a reread. */
    size_t horizon = (size_t)64 << 10;
    for (size_t i = pos; i + tl + 1 < len;) {
        const uint8_t *p = memchr(data + i, '<', len - i);
        if (!p) break;
        i = (size_t)(p - data);
        if (i + tl + 1 < len && memcmp(p + 1, tag, tl) == 0) {
            uint8_t c = p[1 + tl];
            if (c == '>' || c == '/' || kn__xml_is_space(c)) {
                size_t lim = len - i > horizon ? i + horizon : len;
                if (!inside(data, lim, i, "<!--", "-->") && !inside(data, lim, i, "<![CDATA[", "]]>") &&
                    !inside(data, lim, i, "<?", "?>"))
                    return i;
            }
        }
        i++;
    }
    return len;
}

static kn_status prefix_scan(void *ctx, const kn_scan_value *v, kn_error *err) {
    (void)ctx, (void)v, (void)err;
    return KN_OK;
}

size_t kn_xml_complete_prefix(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data, size_t len,
                              bool at_eof) {
    if (at_eof) return len;
    kn_xml_reader *r;
    if (kn_xml_reader_create(NULL, opt, &r, NULL) != KN_OK) return 0;
    kn_xml_file none = {0};
    none.file_len = UINT64_MAX;
    none.data_start = 1; /* not this data's start: nothing about the elements around it is assumed */
    kn_xml_reader_reset(r, file ? file : &none, data, len, len, "", UINT64_MAX / 2);
    r->at_file_end = false;
    r->partial = true;
    r->depth_known = false;
    r->depth = 0;
    size_t last = 0;
    for (;;) {
        size_t at;
        bool found;
        if (kn__xml_seek_record(r, &at, &found, NULL) != KN_OK || !found) break;
        last = at;
        r->scan_fn = prefix_scan;
        kn_status st = kn__xml_one_record(r, at, NULL);
        r->scan_fn = NULL;
        if (st == KN_E_DATA && r->truncated) break;
        if (st != KN_OK && st != KN_E_DATA) break;
    }
    kn_xml_reader_free(r);
    return last;
}
