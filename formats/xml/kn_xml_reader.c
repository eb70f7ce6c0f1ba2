/* formats/xml/kn_xml_reader.c: the XML reader: records found between the markup that wraps them
 * (row tags, wrappers and their seams across morsels), each read, then stored into columns or
 * handed to inference, a bad one skipped whole. The contract is in kn_xml.h; the files of the
 * reader are listed in kn_xml_reader_impl.h. */
#include <stdarg.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cpu.h"
#include "kn_xml_reader_impl.h"

void kn_xml_options_init(kn_xml_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->attribute_prefix = "";
    opt->max_entity_bytes = (size_t)1 << 20;
    opt->max_expansion = 1000;
}

kn_status kn_xml_options_check(const kn_xml_options *opt, kn_error *err) {
    if (opt->row_tag) {
        size_t n = strlen(opt->row_tag);
        KN_RETURN_ERROR_IF(!n || kn__xml_name_len((const uint8_t *)opt->row_tag, n) != n, err, KN_E_USAGE,
                           "--row-tag takes an XML element name, not \"%s\"", opt->row_tag);
    }
    const char *p = opt->attribute_prefix ? opt->attribute_prefix : "";
    for (const char *c = p; *c; c++)
        KN_RETURN_ERROR_IF((unsigned char)*c < 0x20 || *c == '"', err, KN_E_USAGE,
                           "--attribute-prefix holds a character a column name cannot: \"%s\"", p);
    return KN_OK;
}

/* ---- create, reset, free ---------------------------------------------------------------------- */

kn_status kn_xml_reader_create(const kn_schema *schema, const kn_xml_options *opt, kn_xml_reader **out,
                               kn_error *err) {
    *out = NULL;
    kn_xml_options o;
    if (opt) o = *opt;
    else kn_xml_options_init(&o);
    if (!o.attribute_prefix) o.attribute_prefix = "";
    KN_TRY(kn_xml_options_check(&o, err));
    const kn_cpu_features *cpu = kn_cpu();
    kn__xml_text_fn fn = kn__xml_text_stop_scalar;
    const char *nm = "scalar";
    if (o.simd == KN_XML_SIMD_AVX2) {
        KN_RETURN_ERROR_IF(!cpu->avx2, err, KN_E_UNSUPPORTED, "this CPU has no AVX2");
        fn = kn__xml_text_stop_avx2, nm = "avx2";
    } else if (o.simd == KN_XML_SIMD_AUTO && cpu->avx2) {
        fn = kn__xml_text_stop_avx2, nm = "avx2";
    }
    kn_xml_reader *r = kn_calloc(1, sizeof *r);
    if (!r) return kn_error_set(err, KN_E_NOMEM, "out of memory creating an XML reader");
    r->schema = schema;
    r->opt = o;
    r->prefix_len = strlen(o.attribute_prefix);
    r->row_tag_len = o.row_tag ? strlen(o.row_tag) : 0;
    r->simd_name = nm;
    r->lx.scratch = &r->scratch;
    r->lx.text_stop = fn;
    r->arena = kn_arena_create();
    r->first_key = r->prev_key = UINT32_MAX;
    if (!r->arena || !kn__xml_rehash(r, 256)) {
        kn_xml_reader_free(r);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating an XML reader");
    }
    size_t nf = schema ? schema->num_fields : 0;
    r->field_key = kn_calloc(nf ? nf : 1, sizeof *r->field_key);
    for (size_t f = 0; r->field_key && f < nf; f++) {
        const char *fn_ = schema->fields[f].name;
        r->field_key[f] = kn__xml_key_of(r, (const uint8_t *)fn_, strlen(fn_), (long)f);
        if (r->field_key[f] == UINT32_MAX) break;
        r->keys[r->field_key[f]].direct = !schema->fields[f].type.json;
        r->keys[r->field_key[f]].quick = kn__xml_quick_of(&schema->fields[f]);
    }
    if (!r->field_key || (nf && r->field_key[nf - 1] == UINT32_MAX)) {
        kn_xml_reader_free(r);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating an XML reader");
    }
    *out = r;
    return KN_OK;
}

void kn_xml_reader_free(kn_xml_reader *r) {
    if (!r) return;
    kn_free(r->lx.attrs);
    kn_buf_free(&r->scratch);
    kn_buf_free(&r->json);
    kn_buf_free(&r->keybuf);
    kn_buf_free(&r->key_names);
    kn_buf_free(&r->record_tag);
    kn_arena_free(r->arena);
    kn_free(r->stack);
    kn_free(r->closes);
    kn_free(r->keys);
    kn_free(r->hash);
    kn_free(r->entries);
    kn_free(r->used);
    kn_free(r->field_key);
    kn_free(r);
}

const char *kn_xml_reader_simd_name(const kn_xml_reader *r) { return r->simd_name; }
uint64_t kn_xml_reader_records(const kn_xml_reader *r) { return r->records; }
size_t kn_xml_reader_end(const kn_xml_reader *r) { return r->cur; }

void kn_xml_reader_bad_record(const kn_xml_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    *offset = r->base + r->bad_start;
    *data = r->d + r->bad_start;
    *len = r->bad_len;
}

static bool push(kn_xml_reader *r, const uint8_t *p, size_t n) {
    if (r->depth == r->stack_cap) {
        size_t cap = r->stack_cap ? r->stack_cap * 2 : 16;
        void *s = kn_realloc(r->stack, cap * sizeof *r->stack);
        if (!s) return false;
        r->stack = s;
        r->stack_cap = cap;
    }
    r->stack[r->depth].p = p;
    r->stack[r->depth].n = n;
    r->depth++;
    return true;
}

void kn_xml_reader_reset(kn_xml_reader *r, const kn_xml_file *file, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset) {
    r->file = file;
    r->d = data;
    r->len = len;
    r->stop = stop < len ? stop : len;
    r->cur = 0;
    r->name = name;
    r->base = base_offset;
    r->records = 0;
    r->bad_start = r->bad_len = 0;
    r->lx.d = data;
    r->lx.len = len;
    r->lx.entities = file->entities;
    r->lx.num_entities = file->num_entities;
    r->lx.expanded = 0;
    uint64_t file_len = file->file_len;
    r->at_file_end = file_len != UINT64_MAX && base_offset + len == file_len;
    r->epilogue = file->root_closed_early;
    r->truncated = r->partial = false;
    r->depth = r->num_closes = 0;
    r->content_after = false;
    /* At the file's first record the elements around it are known: the document element. */
    r->depth_known = base_offset == file->data_start;
    if (r->depth_known && !file->root_is_record && !file->root_closed_early && r->opt.row_tag)
        push(r, (const uint8_t *)file->root, strlen(file->root));
}

/* ---- faults ----------------------------------------------------------------------------------- */

kn_status kn__xml_error(kn_xml_reader *r, kn_error *err, kn_status st, size_t at, long field, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(err, st, fmt, ap);
        va_end(ap);
        if (field >= 0 && r->schema) kn_error_field(err, r->schema->fields[field].name);
        kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + at));
    }
    return st;
}

kn_status kn__xml_lex_fault(kn_xml_reader *r, kn_error *err, kn_status st, const kn__xml_fault *f) {
    if (f->nomem) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    if (f->eof) r->truncated = true;
    return kn__xml_error(r, err, st, f->at, -1, "%s", f->why);
}

/* ---- between records -------------------------------------------------------------------------- */

static bool is_row_tag(const kn_xml_reader *r, const uint8_t *name, size_t n) {
    return n == r->row_tag_len && memcmp(name, r->opt.row_tag, n) == 0;
}

/* The characters of d[from, to), outside any record: damage when not UTF-8 or not XML's. */
static kn_status span_chars(kn_xml_reader *r, size_t from, size_t to, kn_error *err) {
    const char *why;
    size_t bad = kn__xml_invalid_char(r->d + from, to - from, &why);
    return bad < to - from ? kn__xml_error(r, err, KN_E_FORMAT, from + bad, -1, "%s", why) : KN_OK;
}

/* Reads on from r->cur over what lies between records, to the next record's start tag (*found,
 * *at) or the end of the data. Damage is KN_E_FORMAT. */
kn_status kn__xml_seek_record(kn_xml_reader *r, size_t *at, bool *found, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    size_t p = r->cur, from = p;
    *found = false;
    lx->expansion_budget = r->opt.max_expansion ? r->opt.max_expansion * (p + 4096) + r->opt.max_entity_bytes : 0;
    for (;;) {
        size_t t = p;
        p = kn__xml_text_run(lx, p, NULL, &f);
        if (p == KN__XML_FAILED) return kn__xml_lex_fault(r, err, KN_E_FORMAT, &f);
        if ((r->epilogue || r->opt.row_tag) && p > t && !kn__xml_all_space(r->d + t, p - t)) {
            if (r->epilogue) return kn__xml_error(r, err, KN_E_FORMAT, t, -1, "text after the end of the document element");
            r->content_after = true;
        }
        if (p == r->len) break;
        if (p + 1 == r->len) { /* a '<' and nothing after: what it starts is not known */
            r->truncated = true;
            return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "the data ends inside markup");
        }
        uint8_t c = r->d[p + 1];
        if (c == '!' || c == '?') {
            bool cdata;
            size_t q = kn__xml_misc(lx, p, NULL, &cdata, &f);
            if (!q) return kn__xml_lex_fault(r, err, KN_E_FORMAT, &f);
            if (cdata && r->epilogue) return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "a CDATA section after the end of the document element");
            p = q;
            continue;
        }
        const uint8_t *nm;
        size_t nl;
        if (c == '/') {
            size_t q = kn__xml_end_tag(lx, p, &nm, &nl, &f);
            if (!q) return kn__xml_lex_fault(r, err, KN_E_FORMAT, &f);
            if (r->epilogue) return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "an end tag after the end of the document element");
            if (!r->opt.row_tag) { /* the only end tag between records is the document element's */
                const char *root = r->file->root;
                if (nl != strlen(root) || memcmp(nm, root, nl) != 0)
                    return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> does not match <%s>", (int)nl, nm, root);
                r->epilogue = true;
            } else if (r->depth) {
                if (r->stack[r->depth - 1].n != nl || memcmp(r->stack[r->depth - 1].p, nm, nl) != 0)
                    return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> does not match <%.*s>", (int)nl, nm,
                                 (int)r->stack[r->depth - 1].n, r->stack[r->depth - 1].p);
                if (--r->depth == 0 && r->depth_known) r->epilogue = true;
            } else if (r->depth_known) {
                return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> with no start tag", (int)nl, nm);
            } else { /* opened before this morsel: the seams check it */
                if (r->num_closes == r->closes_cap) {
                    size_t cap = r->closes_cap ? r->closes_cap * 2 : 16;
                    kn__xml_seam_name *v = kn_realloc(r->closes, cap * sizeof *v);
                    if (!v) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
                    r->closes = v;
                    r->closes_cap = cap;
                }
                r->closes[r->num_closes++] = (kn__xml_seam_name){nm, nl, r->base + p};
                r->content_after = false;
            }
            p = q;
            continue;
        }
        if (r->epilogue) return kn__xml_error(r, err, KN_E_FORMAT, p, -1, "a second document element (only one may be at the top)");
        r->content_after = true;
        if (!r->opt.row_tag || is_row_tag(r, r->d + p + 1, kn__xml_name_len(r->d + p + 1, r->len - p - 1))) {
            KN_TRY(span_chars(r, from, p, err));
            *found = true;
            *at = p;
            r->cur = p;
            return KN_OK;
        }
        bool empty;
        size_t q = kn__xml_start_tag(lx, p, &nm, &nl, &empty, &f);
        if (!q) return kn__xml_lex_fault(r, err, KN_E_FORMAT, &f);
        if (!empty && !push(r, nm, nl)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        p = q;
    }
    KN_TRY(span_chars(r, from, r->len, err));
    r->cur = r->len;
    if (r->at_file_end && !r->epilogue && (!r->opt.row_tag || r->depth_known))
        return kn__xml_error(r, err, KN_E_FORMAT, r->len, -1, "the data ends before the document element <%s> is closed",
                     r->file->root);
    return KN_OK;
}

/* After a bad record at `at`: where reading picks up again. Past the end tag that closes an
 * element of the record's name; for a broken start tag that closes itself ("/>"), past it; else
 * at the next record's start. */
static size_t resync(kn_xml_reader *r, size_t at, const uint8_t *name, size_t nl, bool start_ok) {
    if (r->truncated) return r->len;
    if (!start_ok) {
        const uint8_t *gt = memchr(r->d + at, '>', r->len - at);
        if (gt && gt[-1] == '/') return (size_t)(gt - r->d) + 1;
    }
    if (name) {
        for (size_t i = at + 1; i + nl + 2 < r->len;) {
            const uint8_t *p = memchr(r->d + i, '<', r->len - i);
            if (!p) break;
            i = (size_t)(p - r->d);
            if (i + nl + 2 < r->len && p[1] == '/' && memcmp(p + 2, name, nl) == 0 &&
                (p[2 + nl] == '>' || kn__xml_is_space(p[2 + nl]))) {
                const uint8_t *gt = memchr(p, '>', r->len - i);
                return gt ? (size_t)(gt - r->d) + 1 : r->len;
            }
            i++;
        }
    }
    if (r->partial) { /* the end tag may be in the bytes still to come */
        r->truncated = true;
        return r->len;
    }
    size_t next = kn_xml_record_start_guess(&r->opt, r->file, r->d, r->len, at + 1);
    return next > at ? next : r->len;
}

/* One record: read, then stored or scanned. A bad one is captured and skipped. */
kn_status kn__xml_one_record(kn_xml_reader *r, size_t at, kn_error *err) {
    size_t end = at;
    const uint8_t *name = NULL;
    size_t nl = 0;
    bool start_ok = false;
    kn_status st = kn__xml_read_record(r, at, &end, &name, &nl, &start_ok, err);
    if (st == KN_OK) st = r->scan_fn ? kn__xml_scan_record(r, err) : kn__xml_store_record(r, at, err);
    r->records++;
    if (st == KN_E_DATA) {
        if (r->schema && !r->scan_fn) /* values stored as they were read go with the record */
            for (size_t g = 0; g < r->schema->num_fields; g++) kn_column_truncate(&r->cols[g], r->row0);
        if (end <= at) end = resync(r, at, name, nl, start_ok);
        r->bad_start = at;
        r->bad_len = end - at;
        r->cur = end;
        return st;
    }
    if (st != KN_OK) return st;
    r->cur = end;
    if (r->opt.row_tag && r->depth_known && r->depth == 0) r->epilogue = true; /* the record was the document element */
    return KN_OK;
}

/* The morsel's unmatched end tags and open elements to the file's seams, at its end. */
static kn_status hand_in_seam(kn_xml_reader *r, kn_error *err) {
    kn__xml_seam_name *opens = kn_malloc((r->depth ? r->depth : 1) * sizeof *opens);
    if (!opens) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    for (size_t i = 0; i < r->depth; i++) {
        const uint8_t *p = r->stack[i].p;
        bool in_data = p >= r->d && p < r->d + r->len; /* else the document element's name */
        opens[i] = (kn__xml_seam_name){p, r->stack[i].n, in_data ? r->base + (uint64_t)(p - r->d) : r->file->data_start};
    }
    kn__xml_seam m = {r->base, r->base + r->cur, r->closes, opens, r->num_closes, r->depth, r->content_after,
                      r->depth_known && r->epilogue};
    kn_status st = kn__xml_seams_add(r->file->seams, &m, r->file->file_len, r->name, err);
    kn_free(opens);
    return st;
}

kn_status kn_xml_reader_next(kn_xml_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    *done = false;
    if (!r->schema) return kn_error_set(err, KN_E_INTERNAL, "a scan-only XML reader cannot fill batches");
    r->cols = batch->columns;
    r->scan_fn = NULL;
    if (!r->schema->num_fields) return kn_error_set(err, KN_E_INTERNAL, "an XML reader needs at least one column");
    for (;;) {
        size_t at;
        bool found;
        KN_TRY(kn__xml_seek_record(r, &at, &found, err));
        if (!found || at >= r->stop) {
            *done = true;
            return r->file->seams && !r->partial ? hand_in_seam(r, err) : KN_OK;
        }
        KN_TRY(kn__xml_one_record(r, at, err));
    }
}

kn_status kn_xml_reader_scan(kn_xml_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err) {
    *done = false;
    size_t at;
    bool found;
    KN_TRY(kn__xml_seek_record(r, &at, &found, err));
    if (!found || at >= r->stop) {
        *done = true;
        return KN_OK;
    }
    r->scan_fn = fn;
    r->scan_ctx = ctx;
    kn_status st = kn__xml_one_record(r, at, err);
    r->scan_fn = NULL;
    return st;
}
