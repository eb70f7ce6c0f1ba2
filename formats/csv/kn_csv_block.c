/* formats/csv/kn_csv_block.c: the block path of stage 2. Up to KN__CSV_BLOCK_ROWS regular
 * records (the file's field count, whole in the index window) are found straight from the
 * structural index, then stored column by column, one loop per fast kind with its parser
 * inlined. A value a loop does not take goes the general way (kn__csv_store_field); a block
 * that meets a bad value is undone and its records read again one by one, so bad records are
 * reported exactly as the one-by-one path reports them, in order. */
#include <string.h>

#include "kn_csv_fast.h"
#include "kn_csv_runs.h"
#include "kn_csv_stage2.h"

/* The records of a block. They follow each other in the index with no entry between them, so
 * field i of record `row` ends at ends[row * ncols + i], and starts one byte past the entry
 * before it (ends[-1] is the line end before the first record: idx[-1] stands for one before
 * the window's first record) or, for the first field, `lead` bytes past it (one after LF, two
 * after CRLF: the same for every record of a block). Positions are relative to the window
 * (w = data + ws). */
typedef struct block {
    const uint8_t *w;
    const uint32_t *ends;
    size_t ncols, n;
    uint32_t lead;
    uint32_t start, end;   /* the first record's first byte, the last one's line end */
    uint8_t quote;
} block;

/* Column i's spans: field `row` is [at_end[row * ncols] + add, at_end[row * ncols + 1]). */
#define AT_END(b, i) ((b)->ends + (i) - 1)
#define ADD(b, i) ((i) ? 1u : (b)->lead)

/* Sets validity bits [from, to). */
static void set_valid_range(uint8_t *v, size_t from, size_t to) {
    for (; from < to && (from & 7); from++) v[from >> 3] |= (uint8_t)(1u << (from & 7));
    if (from + 8 <= to) {
        memset(v + (from >> 3), 0xFF, (to - from) >> 3);
        from += (to - from) & ~(size_t)7;
    }
    for (; from < to; from++) v[from >> 3] |= (uint8_t)(1u << (from & 7));
}

/* A column loop's state that its general way needs. */
typedef struct column_loop {
    kn_csv_reader *r;
    const block *b;
    kn_column *c;
    long f;
    size_t row0;
    bool bad;
} column_loop;

/* Value `row` of the column the general way. Rows before it are in the column (c->length is
 * set to row0 + row first; a string column's bytes are its caller's to set); a bitmap the
 * general way brings into being gets the rows after this one marked valid, as the fast loop
 * expects. x->bad when the value is bad (its words are not needed: the one-by-one path will
 * say them). Out of line: the loops stay small. */
static __attribute__((noinline)) kn_status general(column_loop *x, size_t row, uint32_t a, uint32_t e) {
    kn_column *c = x->c;
    c->length = x->row0 + row;
    uint8_t *had = c->validity;
    kn_status st = kn__csv_store_field(x->r, x->f, x->r->ws + a, x->r->ws + e, NULL);
    if (st == KN_E_DATA) {
        x->bad = true;
        return KN_OK;
    }
    KN_TRY(st);
    if (!had && c->validity) set_valid_range(c->validity, x->row0 + row + 1, x->row0 + x->b->n);
    return KN_OK;
}

/* Bytes of a kind's value. */
static inline __attribute__((always_inline)) size_t width_of(kn__csv_fast k) {
    return k == KN__CSV_I32 ? 4 : k == KN__CSV_BOOL ? 1 : 8;
}

/* A fixed-width column: each value parsed straight into its slot; an empty field into a NULL
 * (once the column has a bitmap: the first NULL of a batch makes it the general way).
 * Inline with k constant. */
static inline __attribute__((always_inline)) kn_status fixed_column(kn_csv_reader *r, const block *b, size_t i, long f,
                                                                    kn__csv_fast k, bool *bad) {
    kn_column *c = &r->cols[f];
    column_loop x = {r, b, c, f, c->length, false};
    const size_t row0 = c->length, n = b->n, width = width_of(k);
    const kn_type t = c->type;
    const bool nullable = r->schema->fields[f].nullable;
    uint8_t *values = c->values, *valid = c->validity;
    const uint32_t *at_end = AT_END(b, i), add = ADD(b, i);
    const size_t stride = b->ncols;
    const kn__csv_run_in in = {at_end, stride, n, add, b->w, b->quote, t, k == KN__CSV_DEC64 ? kn_pow10_u64[t.precision] : 0};
    const kn__csv_fixed_run_fn run = r->runs->fixed[k];
    /* Every row valid up front: NULLs clear their bits. */
    if (valid) set_valid_range(valid, row0, row0 + n);
    size_t row = 0;
    for (;;) {
        row = run(&in, row, values + row0 * width);
        if (row == n) break;
        uint32_t a = at_end[row * stride] + add, e = at_end[row * stride + 1];
        size_t at = row0 + row;
        if (e == a && nullable && valid) {
            valid[at >> 3] &= (uint8_t)~(1u << (at & 7));
            memset(values + at * width, 0, width);
            c->null_count++;
        } else {
            KN_TRY(general(&x, row, a, e));
            if (x.bad) {
                *bad = true;
                return KN_OK;
            }
            valid = c->validity;
        }
        row++;
    }
    c->length = row0 + n;
    return KN_OK;
}

/* One instance per kind: the slow path's stores have the kind's width as a constant. */
#define FIXED(name, kind)                                                                                   \
    static __attribute__((noinline)) kn_status name(kn_csv_reader *r, const block *b, size_t i, long f, bool *bad) { \
        return fixed_column(r, b, i, f, kind, bad);                                                         \
    }
FIXED(i64_column, KN__CSV_I64)
FIXED(i32_column, KN__CSV_I32)
FIXED(dec64_column, KN__CSV_DEC64)
FIXED(f64_column, KN__CSV_F64)
FIXED(ts_column, KN__CSV_TS)
FIXED(bool_column, KN__CSV_BOOL)

/* A column every value of which goes the general way. */
static kn_status general_column(kn_csv_reader *r, const block *b, size_t i, long f, bool *bad) {
    column_loop x = {r, b, &r->cols[f], f, r->cols[f].length, false};
    const uint32_t *at_end = AT_END(b, i), add = ADD(b, i);
    const size_t stride = b->ncols;
    for (size_t row = 0; row < b->n && !x.bad; row++) {
        KN_TRY(general(&x, row, at_end[row * stride] + add, at_end[row * stride + 1]));
    }
    *bad = x.bad;
    return KN_OK;
}

/* A string column: each value copied with a fixed 32-byte move when it is that short (the block
 * leaves that much readable past every record, and room for it is made once per block); a
 * quoted value with no quote inside the same way, without its quotes; an empty one into a
 * NULL. The window's UTF-8 was checked at once; a block past a fault goes the general way,
 * which finds it. */
static __attribute__((noinline)) kn_status string_column(kn_csv_reader *r, const block *b, size_t i, long f, bool *bad,
                                                         kn_error *err) {
    kn_column *c = &r->cols[f];
    const size_t row0 = c->length, n = b->n, span = b->end - b->start;
    if (!kn_buf_reserve(&c->bytes, span + 2 * KN__CSV_SLACK))
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading CSV");
    if (r->ws + b->end > r->utf8_ok_until || c->bytes.len + span > UINT32_MAX) return general_column(r, b, i, f, bad);
    column_loop x = {r, b, c, f, row0, false};
    const bool nullable = r->schema->fields[f].nullable;
    const uint8_t quote = b->quote, *w = b->w;
    const uint32_t *at_end = AT_END(b, i), add = ADD(b, i);
    const size_t stride = b->ncols;
    uint8_t *valid = c->validity;
    if (valid) set_valid_range(valid, row0, row0 + n);
    uint8_t *d = c->bytes.data;
    size_t len = c->bytes.len;
    uint32_t *off = c->offsets + row0 + 1;
    const kn__csv_run_in in = {at_end, stride, n, add, w, quote, c->type, 0};
    const kn__csv_string_run_fn run = r->runs->string;
    size_t row = 0;
    for (;;) {
        row = run(&in, row, d, &len, off);
        if (row == n) break;
        uint32_t a = at_end[row * stride] + add, e = at_end[row * stride + 1];
        const uint8_t *s = w + a;
        size_t k = e - a;
        if (k == 0 && nullable && valid) {
            size_t at = row0 + row;
            valid[at >> 3] &= (uint8_t)~(1u << (at & 7));
            off[row] = (uint32_t)len;
            c->null_count++;
        } else if (k >= 2 && k - 2 <= 32 && s[k - 1] == quote && !kn__csv_has_byte(s + 1, k - 2, quote)) {
            memcpy(d + len, s + 1, 32);
            len += k - 2;
            off[row] = (uint32_t)len;
        } else {
            c->bytes.len = len;
            KN_TRY(general(&x, row, a, e));
            if (x.bad) {
                *bad = true;
                return KN_OK;
            }
            valid = c->validity;
            d = c->bytes.data;
            len = c->bytes.len;
        }
        row++;
    }
    c->bytes.len = len;
    c->length = row0 + n;
    return KN_OK;
}

/* Phase 1: from r->cur (a record start, whole in the window), the regular records that follow
 * in the window, up to KN__CSV_BLOCK_ROWS: each with exactly the file's fields (its first line
 * end is its ncols-th entry), not blank or a comment, starting before the stop, as far past
 * the line end before it as the first one (*lead), and leaving KN__CSV_SLACK bytes after its
 * line end. Moves r->cur, r->ti and r->li past them; returns how many. */
static size_t find_records(kn_csv_reader *r, uint32_t *lead, uint32_t *end) {
    const size_t ncols = r->file->num_columns, ws = r->ws, len = r->len, stop = r->stop, nlines = r->nlines;
    const uint8_t *data = r->data;
    const uint32_t *idx = r->idx, *lines = r->lines;
    const uint8_t comment = r->opt.comment;
    size_t cur = r->cur, ti = r->ti, li = r->li, n = 0;
    *lead = (uint32_t)(cur - ws) - idx[(ptrdiff_t)ti - 1];
    while (li < nlines && lines[li] < ti) li++;
    while (n < KN__CSV_BLOCK_ROWS && li < nlines) {
        /* The first record was vetted by kn__csv_next_record_start; the others are here. A
         * blank line is a line end at the record's start (a regular record only when ncols
         * is 1, hence the check of its first byte). */
        size_t last = ti + ncols - 1;
        if (lines[li] != last) break;
        size_t p = ws + idx[last];
        if (n && (cur >= stop || p == cur || (comment && data[cur] == comment) ||
                  (uint32_t)(cur - ws) != idx[ti - 1] + *lead))
            break;
        if (p + 1 + KN__CSV_SLACK > len) break;
        *end = (uint32_t)(p - ws);
        n++;
        ti = last + 1;
        li++;
        cur = p + 1 + (data[p] == '\r' && data[p + 1] == '\n');
    }
    r->cur = cur;
    r->ti = ti;
    r->li = li;
    return n;
}

kn_status kn__csv_read_block(kn_csv_reader *r, bool *more, kn_error *err) {
    const kn_csv_file *file = r->file;
    const size_t ncols = file->num_columns;
    if (r->room < KN__CSV_BLOCK_ROWS) KN_TRY(kn__csv_make_room(r, err));
    KN_TRY(kn__csv_next_record_start(r, more, err));
    if (!*more) return KN_OK;
    const size_t first = r->cur;
    block b = {r->data + r->ws, r->idx + r->ti, ncols, 0, 0, (uint32_t)(first - r->ws), 0, r->opt.quote};
    b.n = find_records(r, &b.lead, &b.end);
    /* The first record is not regular: one by one. */
    if (b.n == 0) return kn__csv_read_record(r, err);
    /* Phase 2: column by column. */
    kn_column *cols = r->cols;
    size_t row0 = r->schema->num_fields ? cols[0].length : 0;
    bool bad = false;
    for (size_t i = 0; i < ncols && !bad; i++) {
        long f = file->map[i];
        switch ((kn__csv_fast)r->fast[i]) {
        case KN__CSV_NONE: break;
        case KN__CSV_STRING: KN_TRY(string_column(r, &b, i, f, &bad, err)); break;
        case KN__CSV_I64: KN_TRY(i64_column(r, &b, i, f, &bad)); break;
        case KN__CSV_I32: KN_TRY(i32_column(r, &b, i, f, &bad)); break;
        case KN__CSV_DEC64: KN_TRY(dec64_column(r, &b, i, f, &bad)); break;
        case KN__CSV_F64: KN_TRY(f64_column(r, &b, i, f, &bad)); break;
        case KN__CSV_TS: KN_TRY(ts_column(r, &b, i, f, &bad)); break;
        case KN__CSV_BOOL: KN_TRY(bool_column(r, &b, i, f, &bad)); break;
        default: KN_TRY(general_column(r, &b, i, f, &bad)); break;
        }
    }
    for (size_t k = 0; k < r->num_unmapped && !bad; k++)
        for (size_t row = 0; row < b.n; row++) KN_TRY(kn__csv_put_null(r, r->unmapped[k], first, err));
    if (bad) {
        /* Undo the block; its records go again one by one, from a new window at its start. */
        for (size_t f = 0; f < r->schema->num_fields; f++) kn_column_truncate(&cols[f], row0);
        r->cur = first;
        r->we = r->ws;
        r->slow_left = b.n;
        return KN_OK;
    }
    r->room -= b.n;
    r->records += b.n;
    return KN_OK;
}
