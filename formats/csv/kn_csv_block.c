/* formats/csv/kn_csv_block.c: the block path of stage 2. Up to KN__CSV_BLOCK_ROWS regular
 * records (the file's field count, whole in the index window) are found straight from the
 * structural index, then stored column by column, one loop per fast kind with its parser
 * inlined. A value a loop does not take goes the general way (kn__csv_store_field); a block
 * that meets a bad value is undone and its records read again one by one, so bad records are
 * reported exactly as the one-by-one path reports them, in order. */
#include <string.h>

#include "kn_alloc.h"
#include "kn_csv_fast.h"
#include "kn_csv_stage2.h"

/* The records of a block. They follow each other in the index with no entry between them, so
 * field i of record `row` ends at idx[t0 + row * ncols + i] and, past the first field, starts
 * one byte after the entry before. Positions are relative to the window (w = data + ws). */
typedef struct block {
    const uint8_t *w;
    const uint32_t *idx;
    const uint32_t *start; /* each record's first byte */
    size_t t0, ncols, n;
    uint32_t end;          /* the last record's line end */
    uint8_t quote;
} block;

/* Where column i's field starts and ends in record 0, and the steps from record to record: the
 * start is *a_at + a_add (the record's first byte for column 0, one past the entry before
 * otherwise). */
typedef struct spans {
    const uint32_t *a_at, *e_at;
    size_t a_step, e_step;
    uint32_t a_add;
} spans;

static inline __attribute__((always_inline)) spans spans_of(const block *b, size_t i) {
    const uint32_t *e = b->idx + b->t0 + i;
    if (i == 0) return (spans){b->start, e, 1, b->ncols, 0};
    return (spans){e - 1, e, b->ncols, b->ncols, 1};
}

/* Sets validity bits [from, to). */
static void set_valid_range(uint8_t *v, size_t from, size_t to) {
    for (; from < to && (from & 7); from++) v[from >> 3] |= (uint8_t)(1u << (from & 7));
    if (from + 8 <= to) {
        memset(v + (from >> 3), 0xFF, (to - from) >> 3);
        from += (to - from) & ~(size_t)7;
    }
    for (; from < to; from++) v[from >> 3] |= (uint8_t)(1u << (from & 7));
}

/* Value `row` of column c (input column i, schema field f) the general way. Rows before it
 * are in the column (c->length is set to row0 + row first); a bitmap the general way brings
 * into being gets the rows after this one marked valid, as those still to come from the fast
 * loop expect. *bad when the value is bad (its words are not needed: the one-by-one path will
 * say them). */
static kn_status general(kn_csv_reader *r, const block *b, kn_column *c, long f, size_t row0, size_t row, uint32_t a,
                         uint32_t e, bool *bad) {
    c->length = row0 + row;
    uint8_t *had = c->validity;
    kn_status st = kn__csv_store_field(r, f, r->ws + a, r->ws + e, NULL);
    if (st == KN_E_DATA) {
        *bad = true;
        return KN_OK;
    }
    KN_TRY(st);
    if (!had && c->validity) set_valid_range(c->validity, row0 + row + 1, row0 + b->n);
    return KN_OK;
}

/* A fixed-width column: each value parsed straight into its slot. Inline with k constant. */
static inline __attribute__((always_inline)) kn_status fixed_column(kn_csv_reader *r, const block *b, size_t i, long f,
                                                                    kn__csv_fast k, bool *bad) {
    kn_column *c = &r->cols[f];
    const size_t row0 = c->length, n = b->n;
    const kn_type t = c->type;
    const uint8_t quote = b->quote, *w = b->w;
    void *values = c->values;
    const spans sp = spans_of(b, i);
    /* Every row valid up front: the general way clears the bits of its NULLs. */
    if (c->validity) set_valid_range(c->validity, row0, row0 + n);
    for (size_t row = 0; row < n; row++) {
        uint32_t a = sp.a_at[row * sp.a_step] + sp.a_add, e = sp.e_at[row * sp.e_step];
        const char *s = (const char *)w + a;
        if (__builtin_expect(e > a && (uint8_t)s[0] != quote, 1) && kn__csv_take(k, t, s, e - a, values, row0 + row))
            continue;
        KN_TRY(general(r, b, c, f, row0, row, a, e, bad));
        if (*bad) return KN_OK;
    }
    c->length = row0 + n;
    return KN_OK;
}

/* One instance per kind, so each loop has one parser and no switch. */
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

/* A string column: each value copied with a fixed 32-byte move when it is that short (the block
 * leaves that much readable past every record, and room for it is made once per block). The
 * window's UTF-8 was checked at once; a block past a fault goes the general way, which finds it. */
static __attribute__((noinline)) kn_status string_column(kn_csv_reader *r, const block *b, size_t i, long f, bool *bad, kn_error *err) {
    kn_column *c = &r->cols[f];
    const size_t row0 = c->length, n = b->n, span = b->end - b->start[0];
    const uint8_t quote = b->quote, *w = b->w;
    const spans sp = spans_of(b, i);
    if (!kn_buf_reserve(&c->bytes, span + 2 * KN__CSV_SLACK))
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading CSV");
    const bool quick = r->ws + b->end <= r->utf8_ok_until && c->bytes.len + span <= UINT32_MAX;
    if (c->validity) set_valid_range(c->validity, row0, row0 + n);
    uint8_t *d = c->bytes.data;
    size_t len = c->bytes.len;
    uint32_t *off = c->offsets + row0 + 1;
    for (size_t row = 0; row < n; row++) {
        uint32_t a = sp.a_at[row * sp.a_step] + sp.a_add, e = sp.e_at[row * sp.e_step];
        const uint8_t *s = w + a;
        size_t k = e - a;
        if (__builtin_expect(quick && k && s[0] != quote, 1)) {
            if (k <= 32) memcpy(d + len, s, 32);
            else memcpy(d + len, s, k);
            len += k;
            off[row] = (uint32_t)len;
            continue;
        }
        c->bytes.len = len;
        KN_TRY(general(r, b, c, f, row0, row, a, e, bad));
        if (*bad) return KN_OK;
        d = c->bytes.data;
        len = c->bytes.len;
    }
    c->bytes.len = len;
    c->length = row0 + n;
    return KN_OK;
}

/* A column every value of which goes the general way. */
static kn_status general_column(kn_csv_reader *r, const block *b, size_t i, long f, bool *bad) {
    kn_column *c = &r->cols[f];
    const size_t row0 = c->length;
    const spans sp = spans_of(b, i);
    for (size_t row = 0; row < b->n; row++) {
        KN_TRY(general(r, b, c, f, row0, row, sp.a_at[row * sp.a_step] + sp.a_add, sp.e_at[row * sp.e_step], bad));
        if (*bad) return KN_OK;
    }
    return KN_OK;
}

/* Phase 1: from r->cur (a record start, whole in the window), the regular records that follow
 * in the window, up to KN__CSV_BLOCK_ROWS: each with exactly the file's fields (its first line
 * end is its ncols-th entry), not blank or a comment, starting before the stop, and leaving
 * KN__CSV_SLACK bytes after its line end. Moves r->cur, r->ti and r->li past them; returns how
 * many, with each one's first byte in start[] and the last one's line end in *end. */
static size_t find_records(kn_csv_reader *r, uint32_t *start, uint32_t *end) {
    const size_t ncols = r->file->num_columns, ws = r->ws, len = r->len, stop = r->stop, nlines = r->nlines;
    const uint8_t *data = r->data;
    const uint32_t *idx = r->idx, *lines = r->lines;
    const uint8_t comment = r->opt.comment;
    size_t cur = r->cur, ti = r->ti, li = r->li, n = 0;
    while (li < nlines && lines[li] < ti) li++;
    while (n < KN__CSV_BLOCK_ROWS && li < nlines) {
        /* The first record was vetted by kn__csv_next_record_start; the others are here. A
         * blank line is a line end at the record's start (a regular record only when ncols
         * is 1, hence the check of its first byte). */
        size_t last = ti + ncols - 1;
        if (lines[li] != last) break;
        size_t p = ws + idx[last];
        if (n && (cur >= stop || p == cur || (comment && data[cur] == comment))) break;
        if (p + 1 + KN__CSV_SLACK > len) break;
        start[n++] = (uint32_t)(cur - ws);
        *end = (uint32_t)(p - ws);
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
    if (!r->block_start) {
        r->block_start = kn_malloc(KN__CSV_BLOCK_ROWS * sizeof *r->block_start);
        if (!r->block_start) return kn_error_set(err, KN_E_NOMEM, "out of memory reading CSV");
    }
    if (r->room < KN__CSV_BLOCK_ROWS) KN_TRY(kn__csv_make_room(r, err));
    KN_TRY(kn__csv_next_record_start(r, more, err));
    if (!*more) return KN_OK;
    const size_t first = r->cur;
    block b = {r->data + r->ws, r->idx, r->block_start, r->ti, r->file->num_columns, 0, 0, r->opt.quote};
    b.n = find_records(r, r->block_start, &b.end);
    /* The first record is not regular: one by one. */
    if (b.n == 0) return kn__csv_read_record(r, err);
    /* Phase 2: column by column. */
    const kn_csv_file *file = r->file;
    kn_column *cols = r->cols;
    size_t row0 = r->schema->num_fields ? cols[0].length : 0;
    bool bad = false;
    for (size_t i = 0; i < file->num_columns && !bad; i++) {
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
