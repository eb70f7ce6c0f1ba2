/* formats/csv/kn_csv_reader.c: stage 2 of the CSV reader, record by record: records and fields
 * from the structural index (kn_csv_index.h), values into columns (kernels/kn_cast.h), bad
 * records captured whole. Runs of regular records go by blocks (kn_csv_block.c). The contract
 * is in kn_csv.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cast.h"
#include "kn_cpu.h"
#include "kn_csv_fast.h"
#include "kn_csv_index.h"
#include "kn_csv_internal.h"
#include "kn_csv_runs.h"
#include "kn_csv_stage2.h"
#include "kn_utf8.h"

/* Bytes indexed at once: the positions and the bytes stay in L2 between the two stages. A
 * record longer than this doubles the window for as long as it lasts. */
#define WINDOW_BYTES ((size_t)128 << 10)

kn_status kn_csv_reader_create(const kn_schema *schema, const kn_csv_options *opt, kn_csv_reader **out,
                               kn_error *err) {
    *out = NULL;
    kn_csv_options o;
    if (opt) o = *opt;
    else kn_csv_options_init(&o);
    KN_TRY(kn_csv_options_check(&o, err));
    const kn_cpu_features *cpu = kn_cpu();
    kn__csv_index_fn fn = kn__csv_index_scalar;
    const char *nm = "scalar";
    switch (o.simd) {
    case KN_CSV_SIMD_AUTO:
        if (cpu->avx512) fn = kn__csv_index_avx512, nm = "avx512";
        else if (cpu->avx2) fn = kn__csv_index_avx2, nm = "avx2";
        break;
    case KN_CSV_SIMD_AVX2:
        KN_RETURN_ERROR_IF(!cpu->avx2, err, KN_E_UNSUPPORTED, "this CPU has no AVX2");
        fn = kn__csv_index_avx2, nm = "avx2";
        break;
    case KN_CSV_SIMD_AVX512:
        KN_RETURN_ERROR_IF(!cpu->avx512, err, KN_E_UNSUPPORTED, "this CPU has no AVX-512 (F and BW)");
        fn = kn__csv_index_avx512, nm = "avx512";
        break;
    default: break;
    }
    kn_csv_reader *r = kn_calloc(1, sizeof *r);
    if (!r) return kn_error_set(err, KN_E_NOMEM, "out of memory creating a CSV reader");
    r->schema = schema;
    r->opt = o;
    r->ch = (kn__csv_chars){o.delimiter, o.quote, o.escape};
    r->index = fn;
    /* The runs go with the structural twin (so a test of one twin tests both), AVX2 for either
     * SIMD one: every AVX-512 CPU has AVX2 and BMI2. */
    r->runs = fn != kn__csv_index_scalar && cpu->bmi2 ? &kn__csv_runs_avx2 : &kn__csv_runs_scalar;
    r->simd_name = nm;
    for (size_t i = 0; i < o.num_null_tokens; i++) r->null_len[i] = strlen(o.null_tokens[i]);
    size_t nf = schema ? schema->num_fields : 0;
    r->unmapped = kn_calloc(nf ? nf : 1, sizeof *r->unmapped);
    if (!r->unmapped) {
        kn_free(r);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating a CSV reader");
    }
    *out = r;
    return KN_OK;
}

void kn_csv_reader_free(kn_csv_reader *r) {
    if (!r) return;
    kn_free(r->unmapped);
    kn_free(r->fast);
    kn_free(r->lines);
    kn_free(r->idx_mem);
    kn_free(r->scratch);
    kn_free(r);
}

const char *kn_csv_reader_simd_name(const kn_csv_reader *r) { return r->simd_name; }
const kn_csv_file *kn_csv_reader_file(const kn_csv_reader *r) { return r->file; }
uint64_t kn_csv_reader_records(const kn_csv_reader *r) { return r->records; }
size_t kn_csv_reader_end(const kn_csv_reader *r) { return r->cur; }

void kn_csv_reader_bad_record(const kn_csv_reader *r, uint64_t *offset, const uint8_t **data, size_t *len) {
    *offset = r->base + r->bad_start;
    *data = r->data + r->bad_start;
    *len = r->bad_len;
}

/* Each input column's fast path, from its schema field's type. */
static void plan_fast_paths(kn_csv_reader *r, const kn_csv_file *file) {
    for (size_t i = 0; i < file->num_columns; i++) {
        long f = file->map[i];
        kn__csv_fast k = KN__CSV_NONE;
        if (f >= 0) {
            const kn_field *fd = &r->schema->fields[f];
            k = KN__CSV_GENERAL;
            if (r->opt.escape || r->opt.encoding != KN_CSV_UTF8 || r->opt.num_null_tokens) {
                /* every value needs a look the fast path does not take */
            } else if (fd->type.id == KN_TYPE_STRING) k = KN__CSV_STRING;
            else if (fd->type.id == KN_TYPE_INT64) k = KN__CSV_I64;
            else if (fd->type.id == KN_TYPE_INT32) k = KN__CSV_I32;
            else if (fd->type.id == KN_TYPE_DECIMAL && fd->type.precision <= 18) k = KN__CSV_DEC64;
            else if (fd->type.id == KN_TYPE_FLOAT64) k = KN__CSV_F64;
            else if (fd->type.id == KN_TYPE_TIMESTAMP && !fd->format) k = KN__CSV_TS;
            else if (fd->type.id == KN_TYPE_BOOL) k = KN__CSV_BOOL;
        }
        r->fast[i] = (uint8_t)k;
    }
}

void kn_csv_reader_reset(kn_csv_reader *r, const kn_csv_file *file, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset) {
    if (r->schema && file != r->file) {
        if (file->num_columns > r->fast_cap) {
            uint8_t *p = kn_realloc(r->fast, file->num_columns);
            if (p) {
                r->fast = p;
                r->fast_cap = file->num_columns;
            }
        }
        /* Out of memory here leaves no fast paths: slower, not wrong. */
        if (file->num_columns <= r->fast_cap) plan_fast_paths(r, file);
        r->num_unmapped = 0;
        for (size_t f = 0; f < r->schema->num_fields; f++) {
            bool mapped = false;
            for (size_t i = 0; i < file->num_columns && !mapped; i++) mapped = file->map[i] == (long)f;
            if (!mapped) r->unmapped[r->num_unmapped++] = (long)f;
        }
    }
    r->file = file;
    if (file->delimiter) r->ch.delimiter = r->opt.delimiter = file->delimiter;
    r->data = data;
    r->len = len;
    r->stop = stop < len ? stop : len;
    r->name = name;
    r->base = base_offset;
    r->cur = 0;
    r->records = 0;
    r->ws = r->we = 0;
    r->nidx = r->ti = r->nlines = r->li = 0;
    r->last_nl = SIZE_MAX;
    r->window = WINDOW_BYTES;
    r->bad_start = r->bad_len = 0;
    r->room = 0;
    r->slow_left = 0;
}

/* ---- the window ------------------------------------------------------------------------------- */

static kn_status grow(void **p, size_t *cap, size_t need, size_t elem, kn_error *err) {
    if (need <= *cap) return KN_OK;
    size_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    void *q = kn_realloc(*p, n * elem);
    if (!q) return kn_error_set(err, KN_E_NOMEM, "out of memory reading CSV");
    *p = q;
    *cap = n;
    return KN_OK;
}

/* Indexes the window starting at `at` (a record start, so outside quotes). */
static kn_status index_window(kn_csv_reader *r, size_t at, kn_error *err) {
    size_t n = r->len - at < r->window ? r->len - at : r->window;
    if (n > UINT32_MAX - 64) n = UINT32_MAX - 64;
    /* One slot before the first entry stands for the line end before the window's first
     * record (its start minus one), as the entry before any other record is its line end:
     * the block path reads every field's start the same way. */
    KN_TRY(grow((void **)&r->idx_mem, &r->idx_cap, kn__csv_index_bound(n) + 1, sizeof *r->idx_mem, err));
    r->idx = r->idx_mem + 1;
    r->idx_mem[0] = UINT32_MAX;
    KN_TRY(grow((void **)&r->lines, &r->lines_cap, kn__csv_index_bound(n), sizeof *r->lines, err));
    kn__csv_carry carry;
    kn__csv_index_out out = {r->idx, r->lines, 0, 0, r->opt.encoding == KN_CSV_UTF8, 0};
    r->index(r->data + at, n, &r->ch, &out, &carry, &r->ascii);
    r->nidx = out.npos;
    r->nlines = out.nlines;
    r->ws = at;
    r->we = at + n;
    r->ti = r->li = 0;
    r->open_end = carry.inside != 0;
    r->last_nl = out.nlines ? r->idx[r->lines[out.nlines - 1]] : SIZE_MAX;
    /* One check of the whole window is far cheaper than one per field; past a fault, fields
     * are checked one by one (to find the record to blame). */
    r->utf8_ok_until = r->ascii || r->opt.encoding != KN_CSV_UTF8 ? r->we : at + out.utf8_valid;
    return KN_OK;
}

/* Makes sure the record starting at r->cur lies whole in the window (or runs to the data's
 * end): re-indexes from it otherwise, with a doubled window when it alone fills one. */
static kn_status window_for_record(kn_csv_reader *r, kn_error *err) {
    for (;;) {
        bool in_window = r->cur >= r->ws && r->cur < r->we && r->we > r->ws;
        if (in_window && (r->we == r->len || (r->last_nl != SIZE_MAX && r->cur <= r->ws + r->last_nl))) return KN_OK;
        if (in_window && r->cur == r->ws) r->window *= 2;
        else if (!in_window) r->window = WINDOW_BYTES;
        KN_TRY(index_window(r, r->cur, err));
    }
}

/* ---- faults ------------------------------------------------------------------------------------ */

static kn_status fault(kn_csv_reader *r, kn_error *err, size_t at, long f, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static kn_status fault(kn_csv_reader *r, kn_error *err, size_t at, long f, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(err, KN_E_DATA, fmt, ap);
        va_end(ap);
        if (f >= 0 && r->schema) kn_error_field(err, r->schema->fields[f].name);
        kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + at));
    }
    return KN_E_DATA;
}

/* ---- one field --------------------------------------------------------------------------------- */

/* The field's text: unquoted and unescaped (into scratch when it must change), transcoded to
 * UTF-8 for latin-1 and windows-1252. `at` is the field's first byte. */
static kn_status field_value(kn_csv_reader *r, size_t at, size_t end, long f, const uint8_t **text, size_t *len,
                             bool *quoted, kn_error *err) {
    const uint8_t *s = r->data + at;
    size_t n = end - at;
    uint8_t q = r->opt.quote, e = r->opt.escape;
    *quoted = q && n && s[0] == q;
    bool plain;
    if (*quoted) {
        plain = n >= 2 && s[n - 1] == q && !memchr(s + 1, q, n - 2) && !(e && memchr(s + 1, e, n - 2));
        if (plain) {
            s++;
            n -= 2;
        }
    } else {
        plain = !(e && memchr(s, e, n)); /* quotes inside an unquoted field are kept as they are */
    }
    bool transcode = r->opt.encoding != KN_CSV_UTF8 && !r->ascii;
    if (plain && !transcode) {
        *text = s;
        *len = n;
        return KN_OK;
    }
    KN_TRY(grow((void **)&r->scratch, &r->scratch_cap, n * 3 + 1, 1, err));
    uint8_t *d = r->scratch;
    size_t o = 0;
    for (size_t i = plain ? 0 : *quoted; i < n; i++) {
        uint8_t c = s[i];
        if (!plain && e && c == e && i + 1 < n) {
            c = s[++i];
        } else if (!plain && *quoted && c == q) {
            if (i + 1 < n && s[i + 1] == q) {
                i++;
            } else if (i + 1 == n) {
                break; /* the closing quote */
            } else {
                return fault(r, err, at + i + 1, f, "text after the closing quote of a quoted field");
            }
        } else if (!plain && *quoted && i + 1 == n) {
            return fault(r, err, at + i, f, "a quoted field must end with its closing quote");
        }
        if (c >= 0x80 && transcode) o += kn__csv_transcode_byte(r->opt.encoding, c, d + o);
        else d[o++] = c;
    }
    *text = d;
    *len = o;
    return KN_OK;
}

static bool is_null_token(const kn_csv_reader *r, const uint8_t *s, size_t n) {
    for (size_t i = 0; i < r->opt.num_null_tokens; i++)
        if (r->null_len[i] == n && memcmp(r->opt.null_tokens[i], s, n) == 0) return true;
    return false;
}

kn_status kn__csv_put_null(kn_csv_reader *r, long f, size_t at, kn_error *err) {
    if (!r->schema->fields[f].nullable) return fault(r, err, at, f, "null in a column that is not nullable");
    return kn_column_append_null(&r->cols[f], err);
}

/* Field [at, end) of the record into schema field f. */
kn_status kn__csv_store_field(kn_csv_reader *r, long f, size_t at, size_t end, kn_error *err) {
    kn_column *c = &r->cols[f];
    const kn_field *fd = &r->schema->fields[f];
    const uint8_t *s;
    size_t n;
    bool quoted;
    KN_TRY(field_value(r, at, end, f, &s, &n, &quoted, err));
    if (!quoted && (n == 0 || (r->opt.num_null_tokens && is_null_token(r, s, n)))) return kn__csv_put_null(r, f, at, err);
    if (fd->type.id == KN_TYPE_STRING) {
        if (r->opt.encoding == KN_CSV_UTF8 && end > r->utf8_ok_until) {
            size_t bad = kn_utf8_validate(s, n);
            if (bad < n) return fault(r, err, at + quoted + bad, f, "invalid UTF-8 (byte 0x%02x); give --encoding if the file is not UTF-8", s[bad]);
        }
        return kn_column_append_str(c, s, n, err);
    }
    kn_cast_value v;
    kn_cast_status cs = kn_cast_text(fd->type, fd->format, (const char *)s, n, &v);
    if (cs == KN_CAST_EMPTY && quoted) return kn__csv_put_null(r, f, at, err);
    if (cs != KN_CAST_OK) {
        char why[KN_ERROR_WHAT_MAX];
        return fault(r, err, at, f, "%s", kn_cast_explain(cs, fd->type, fd->format, (const char *)s, n, why, sizeof why));
    }
    return kn_cast_append(c, fd->type, &v, err);
}

static inline void mark_valid(kn_column *c) {
    if (c->validity) c->validity[c->length >> 3] |= (uint8_t)(1u << (c->length & 7));
}

/* An unquoted, non-empty field [at, end) into its column the quick way, as kn__csv_store_field
 * would store it; false, having changed nothing, when the quick way does not apply (then
 * kn__csv_store_field does it, faults and messages included). Room for the row is made. */
static inline bool store_fast(kn_csv_reader *r, kn__csv_fast k, kn_column *c, size_t at, size_t end) {
    const char *s = (const char *)r->data + at;
    size_t n = end - at;
    /* The parsers read whole words past the value: not near the data's end. */
    if (end + KN__CSV_SLACK > r->len) return false;
    if (k == KN__CSV_STRING) {
        if (end > r->utf8_ok_until || n > UINT32_MAX - c->bytes.len || !kn_buf_reserve(&c->bytes, n + 32)) return false;
        uint8_t *d = c->bytes.data + c->bytes.len;
        if (n <= 32) memcpy(d, s, 32); /* a fixed copy: two vector moves */
        else memcpy(d, s, n);
        c->bytes.len += n;
        c->offsets[c->length + 1] = (uint32_t)c->bytes.len;
    } else if (!kn__csv_take(k, c->type, k == KN__CSV_DEC64 ? kn_pow10_u64[c->type.precision] : 0, s, n, c->values,
                             c->length)) {
        return false;
    }
    mark_valid(c);
    c->length++;
    return true;
}

kn_status kn__csv_make_room(kn_csv_reader *r, kn_error *err) {
    for (size_t f = 0; f < r->schema->num_fields; f++) {
        kn_column *c = &r->cols[f];
        if (c->capacity - c->length < KN__CSV_ROOM_ROWS) KN_TRY(kn_column_reserve(c, KN__CSV_ROOM_ROWS, 0, err));
    }
    r->room = KN__CSV_ROOM_ROWS;
    return KN_OK;
}

/* The same field for a scan: its text to the callback. */
static kn_status scan_field(kn_csv_reader *r, size_t i, size_t at, size_t end, kn_error *err) {
    const uint8_t *s;
    size_t n;
    bool quoted;
    KN_TRY(field_value(r, at, end, -1, &s, &n, &quoted, err));
    if (r->opt.encoding == KN_CSV_UTF8 && end > r->utf8_ok_until) {
        size_t bad = kn_utf8_validate(s, n);
        if (bad < n) return fault(r, err, at + quoted + bad, -1, "invalid UTF-8 (byte 0x%02x); give --encoding if the file is not UTF-8", s[bad]);
    }
    kn_csv_field fl = {i, (const char *)s, n, quoted, !quoted && (n == 0 || is_null_token(r, s, n))};
    kn_status st = r->scan_fn(r->scan_ctx, &fl, err);
    if (st != KN_OK && err && err->byte_offset < 0) kn_error_locate(err, r->name, -1, -1, (int64_t)(r->base + at));
    return st;
}

/* ---- one record -------------------------------------------------------------------------------- */

/* Moves r->cur past the line end at `p` (a structural LF or CR; the LF of a CRLF is no index
 * entry). */
static void past_line_end(kn_csv_reader *r, size_t p) {
    r->cur = p + 1;
    if (r->data[p] == '\r' && p + 1 < r->len && r->data[p + 1] == '\n') r->cur = p + 2;
}

kn_status kn__csv_read_record(kn_csv_reader *r, kn_error *err) {
    const kn_csv_file *file = r->file;
    if (!r->scan_fn) {
        if (!r->room) KN_TRY(kn__csv_make_room(r, err));
        r->room--;
    }
    size_t start = r->cur, fs = start, i = 0, p = 0;
    size_t ncols = file->num_columns;
    kn_status st = KN_OK;
    r->row0 = r->cols && r->schema->num_fields ? r->cols[0].length : 0;
    /* Locals, so that stores into the columns (which may alias anything) do not make the
     * compiler reload them field after field. */
    const uint8_t *data = r->data, *fast = r->fast;
    const uint32_t *idx = r->idx;
    const long *map = file->map;
    kn_column *cols = r->cols;
    size_t ws = r->ws, nidx = r->nidx, ti = r->ti, len = r->len;
    const uint8_t delim = r->opt.delimiter, quote = r->opt.quote;
    const bool scan = r->scan_fn != NULL;
    for (;;) {
        bool last = ti >= nidx;
        if (last && r->open_end) {
            /* The window runs to the data's end inside quotes. */
            r->cur = len;
            st = fault(r, err, start, -1, "a quoted field is never closed (the record runs to the end of the input)");
            p = len;
            break;
        }
        p = last ? len : ws + idx[ti++];
        if (i < ncols && st == KN_OK) {
            if (scan) {
                st = scan_field(r, i, fs, p, err);
            } else if (fast[i] != KN__CSV_NONE) {
                long f = map[i];
                if (!(fs < p && data[fs] != quote && store_fast(r, (kn__csv_fast)fast[i], &cols[f], fs, p)))
                    st = kn__csv_store_field(r, f, fs, p, err);
            }
        }
        i++;
        if (last || data[p] != delim) break;
        fs = p + 1;
    }
    r->ti = ti;
    if (p < r->len) past_line_end(r, p);
    else r->cur = r->len;
    size_t end = p < r->len ? p : r->len;
    if (st == KN_OK && i != ncols && !(i < ncols && r->opt.fill_missing))
        st = fault(r, err, start, -1, "expected %zu fields, found %zu", ncols, i);
    if (st == KN_OK && !r->scan_fn) {
        for (size_t k = i; k < ncols && st == KN_OK; k++)
            if (file->map[k] >= 0) st = kn__csv_put_null(r, file->map[k], start, err);
        for (size_t k = 0; k < r->num_unmapped && st == KN_OK; k++) st = kn__csv_put_null(r, r->unmapped[k], start, err);
    }
    r->records++;
    if (st != KN_OK) {
        if (r->cols)
            for (size_t f = 0; f < r->schema->num_fields; f++) kn_column_truncate(&r->cols[f], r->row0);
        r->bad_start = start;
        r->bad_len = end - start;
    }
    return st;
}

kn_status kn__csv_next_record_start(kn_csv_reader *r, bool *more, kn_error *err) {
    for (;;) {
        if (r->cur >= r->len || r->cur >= r->stop) {
            *more = false;
            return KN_OK;
        }
        KN_TRY(window_for_record(r, err));
        /* The index entries before cur are spent. */
        while (r->ti < r->nidx && r->ws + r->idx[r->ti] < r->cur) r->ti++;
        uint8_t c = r->data[r->cur];
        if (c == '\n' || c == '\r') {
            if (r->ti < r->nidx && r->ws + r->idx[r->ti] == r->cur) r->ti++;
            past_line_end(r, r->cur);
            continue;
        }
        if (r->opt.comment && c == r->opt.comment) {
            /* Quotes in a comment do not count, but stage 1 counted them: index again after it. */
            size_t p = r->cur;
            while (p < r->len && r->data[p] != '\n' && r->data[p] != '\r') p++;
            bool quotes = r->opt.quote && memchr(r->data + r->cur, r->opt.quote, p - r->cur);
            if (p >= r->len) r->cur = r->len;
            else {
                r->cur = p + (r->data[p] == '\r' && p + 1 < r->len && r->data[p + 1] == '\n' ? 2 : 1);
            }
            if (quotes) r->we = r->ws; /* forces a new window at cur */
            continue;
        }
        *more = true;
        return KN_OK;
    }
}

/* Can records go by blocks? Only the options whose fields need no per-field decision beyond the
 * fast kinds (no escapes, transcoding or null tokens: those go one by one). */
static bool block_path(const kn_csv_reader *r) {
    const kn_csv_file *f = r->file;
    return r->fast && f->num_columns && f->num_columns <= r->fast_cap && !r->opt.escape &&
           r->opt.encoding == KN_CSV_UTF8 && !r->opt.num_null_tokens && !r->opt.fill_missing;
}

kn_status kn_csv_reader_next(kn_csv_reader *r, kn_batch *batch, bool *done, kn_error *err) {
    *done = false;
    if (!r->schema) return kn_error_set(err, KN_E_INTERNAL, "a scan-only CSV reader cannot fill batches");
    r->cols = batch->columns;
    r->scan_fn = NULL;
    bool blocks = block_path(r);
    for (;;) {
        bool more;
        if (blocks && !r->slow_left) {
            KN_TRY(kn__csv_read_block(r, &more, err));
            if (!more) {
                *done = true;
                return KN_OK;
            }
            continue;
        }
        KN_TRY(kn__csv_next_record_start(r, &more, err));
        if (!more) {
            *done = true;
            return KN_OK;
        }
        if (r->slow_left) r->slow_left--;
        KN_TRY(kn__csv_read_record(r, err));
    }
}

kn_status kn_csv_reader_scan(kn_csv_reader *r, kn_csv_field_fn fn, void *ctx, bool *done, kn_error *err) {
    *done = false;
    r->scan_fn = fn;
    r->scan_ctx = ctx;
    r->cols = NULL;
    bool more;
    KN_TRY(kn__csv_next_record_start(r, &more, err));
    if (!more) {
        *done = true;
        return KN_OK;
    }
    kn_status st = kn__csv_read_record(r, err);
    r->scan_fn = NULL;
    return st;
}
