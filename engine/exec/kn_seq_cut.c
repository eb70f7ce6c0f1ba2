/* engine/exec/kn_seq_cut.c: a sequential source cut into morsels of whole records
 * (kn_seq_cut.h).
 *
 * The bytes of the next morsel are read straight into the buffer that becomes it; the cut is
 * the last record boundary in that buffer once it holds a morsel's worth and a step more, and
 * the bytes past it (part of one record) are copied to the front of the next buffer: each byte
 * is copied once by the source's read, and the carry once more. */
#include "kn_seq_cut.h"

#include <string.h>

#include "kn_alloc.h"

struct kn_seq_cut {
    const kn_format *fmt;
    const kn_format_opts *fopts;
    kn_seq_source *src; /* owned */
    const char *name;
    kn_seq_cut_options opt;
    size_t step;            /* bytes read past the target before looking for the cut */
    kn_format_file *file;   /* owned; NULL for a format without a view */
    uint8_t *prologue;      /* owned: the file's [0, prologue_len) */
    size_t prologue_len;
    uint8_t *buf;           /* owned: the next morsel's bytes so far, from a record boundary */
    size_t have, cap;
    size_t whole;           /* buf[0..whole) is known to be whole records */
    uint64_t offset;        /* the file offset of buf[0] */
    int64_t line;           /* the line of buf[0] (count_lines) */
    bool eof;               /* the source has nothing more past buf[have) */
    bool failed;
};

void kn_seq_cut_options_init(kn_seq_cut_options *opt) {
    opt->morsel_bytes = (size_t)8 << 20;
    opt->max_prologue_bytes = (size_t)64 << 20;
    opt->max_record_bytes = (size_t)1 << 30;
    opt->count_lines = false;
}

static int64_t count_lf(const uint8_t *p, size_t n) {
    int64_t lines = 0;
    const uint8_t *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        lines++;
        p++;
    }
    return lines;
}

/* Room for `need` bytes in buf: twice the room at least when it grows, so a long record is
 * copied O(its length) times in all. */
static kn_status reserve(kn_seq_cut *c, size_t need, kn_error *err) {
    if (need <= c->cap) return KN_OK;
    size_t cap = c->cap && c->cap <= SIZE_MAX / 2 && c->cap * 2 > need ? c->cap * 2 : need;
    uint8_t *p = kn_realloc(c->buf, cap);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s' (%zu bytes)", c->name, cap);
    c->buf = p;
    c->cap = cap;
    return KN_OK;
}

/* Reads until `goal` bytes are in buf or the source ends. */
static kn_status fill(kn_seq_cut *c, size_t goal, kn_error *err) {
    if (c->eof || c->have >= goal) return KN_OK;
    KN_TRY(reserve(c, goal, err));
    size_t got = 0;
    kn_status st = kn_seq_source_read_full(c->src, c->buf + c->have, goal - c->have, &got, err);
    c->have += got;
    if (st != KN_OK) {
        /* Sources name themselves; this only fills the name in where one did not. */
        kn_error_locate(err, c->src->name ? c->src->name : c->name, -1, -1, (int64_t)c->src->offset);
        return st;
    }
    if (c->have < goal) c->eof = true;
    return KN_OK;
}

static kn_status too_long(const kn_seq_cut *c, uint64_t at, const char *what, size_t limit, kn_error *err) {
    kn_error_locate(err, c->name, -1, -1, (int64_t)at);
    return kn_error_set(err, KN_E_DATA, "%s runs on for more than %zu bytes (a quote never closed, or not %s input?)",
                        what, limit, c->fmt->name);
}

/* Opens the file view on the first bytes, reading more and opening again while the prologue
 * may be cut short: it runs to the end of the bytes, or the first record after it is not whole
 * (a CSV without a header counts its columns there), or it failed on bytes that may simply
 * stop too early (a header whose quote closes further on). Keeps the prologue and moves the
 * first record to the front of buf. */
static kn_status read_prologue(kn_seq_cut *c, const kn_schema *schema, kn_error *err) {
    const kn_format *fmt = c->fmt;
    size_t goal = c->opt.morsel_bytes + c->step, start = 0;
    for (;;) {
        KN_TRY(fill(c, goal, err));
        kn_status st = fmt->file_open(c->fopts, schema, c->buf, c->have, c->eof, c->name, &c->file, err);
        if (st == KN_OK) {
            start = fmt->file_data_start(c->file);
            if (start > c->have) start = c->have;
            if (c->eof) break;
            if (start < c->have) {
                c->whole = fmt->complete_prefix(c->fopts, c->file, c->buf + start, c->have - start, false);
                if (c->whole) break;
                if (c->have - start > c->opt.max_record_bytes)
                    return too_long(c, start, "the first record", c->opt.max_record_bytes, err);
            } else if (c->have >= c->opt.max_prologue_bytes) {
                return too_long(c, 0, "the prologue (skipped rows, header)", c->opt.max_prologue_bytes, err);
            }
            fmt->file_free(c->file);
            c->file = NULL;
        } else {
            if (st != KN_E_DATA || c->eof || c->have >= c->opt.max_prologue_bytes) return st;
            kn_error_reset(err);
        }
        goal = c->have * 2;
    }
    c->prologue = kn_malloc(start ? start : 1);
    if (!c->prologue) return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s'", c->name);
    memcpy(c->prologue, c->buf, start);
    c->prologue_len = start;
    /* Once per file, at most a morsel's worth: cheaper than a buffer that starts mid-way. */
    memmove(c->buf, c->buf + start, c->have - start);
    c->have -= start;
    c->offset = start;
    if (c->eof) c->whole = 0;
    c->line = c->opt.count_lines ? 1 + count_lf(c->prologue, start) : -1;
    return KN_OK;
}

kn_status kn_seq_cut_create(const kn_format *fmt, const kn_format_opts *fopts, const kn_schema *schema,
                            kn_seq_source *src, const char *name, const kn_seq_cut_options *opt, kn_seq_cut **out,
                            kn_error *err) {
    *out = NULL;
    kn_seq_cut *c = kn_calloc(1, sizeof *c);
    if (!c) {
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s'", name);
    }
    c->fmt = fmt;
    c->fopts = fopts;
    c->src = src;
    c->name = name;
    if (opt) c->opt = *opt;
    else kn_seq_cut_options_init(&c->opt);
    if (c->opt.morsel_bytes == 0) c->opt.morsel_bytes = 1;
    /* A step of 1/16 keeps morsels near the target and the reads past it few. */
    c->step = c->opt.morsel_bytes / 16 ? c->opt.morsel_bytes / 16 : 1;
    kn_status st = read_prologue(c, schema, err);
    if (st != KN_OK) {
        kn_seq_cut_free(c);
        return st;
    }
    *out = c;
    return KN_OK;
}

/* Hands buf[0..cut) out as a morsel and starts the next buffer with the bytes past it. */
static kn_status hand_out(kn_seq_cut *c, size_t cut, kn_seq_morsel *out, kn_error *err) {
    size_t carry = c->have - cut, cap = 0;
    uint8_t *next = NULL;
    if (carry || !c->eof) {
        cap = c->opt.morsel_bytes + c->step;
        if (cap < carry) cap = carry;
        next = kn_malloc(cap);
        if (!next) return kn_error_set(err, KN_E_NOMEM, "out of memory reading '%s' (%zu bytes)", c->name, cap);
        memcpy(next, c->buf + cut, carry);
    }
    out->data = c->buf;
    out->len = cut;
    out->offset = c->offset;
    out->first_line = c->line;
    if (c->opt.count_lines) c->line += count_lf(c->buf, cut);
    c->offset += cut;
    c->buf = next;
    c->cap = cap;
    c->have = carry;
    c->whole = 0; /* the carry is part of one record */
    return KN_OK;
}

static kn_status cut_next(kn_seq_cut *c, kn_seq_morsel *out, bool *done, kn_error *err) {
    const size_t target = c->opt.morsel_bytes;
    KN_TRY(fill(c, target + c->step, err));
    for (;;) {
        if (c->eof) {
            if (c->have == 0) {
                /* Spent: its source (a decoder's state, its buffers) goes now, not when the run
                 * ends; the file view and prologue stay for the morsels still being parsed. */
                kn_seq_source_free(c->src);
                c->src = NULL;
                kn_free(c->buf);
                c->buf = NULL;
                c->cap = 0;
                *done = true;
                return KN_OK;
            }
            if (c->fmt->file_end && c->file) c->fmt->file_end(c->file, c->offset + c->have);
            return hand_out(c, c->have, out, err);
        }
        c->whole += c->fmt->complete_prefix(c->fopts, c->file, c->buf + c->whole, c->have - c->whole, false);
        if (c->whole >= target) return hand_out(c, c->whole, out, err);
        /* The bytes past the last boundary are one record not finished yet, which began before
         * the target. Read at least as much again before scanning it once more, so a long
         * record costs scans of O(its length) in all. */
        size_t open = c->have - c->whole;
        if (open > c->opt.max_record_bytes) return too_long(c, c->offset + c->whole, "a record", c->opt.max_record_bytes, err);
        KN_TRY(fill(c, c->have + (open > c->step ? open : c->step), err));
    }
}

kn_status kn_seq_cut_next(kn_seq_cut *c, kn_seq_morsel *out, bool *done, kn_error *err) {
    memset(out, 0, sizeof *out);
    out->first_line = -1;
    *done = false;
    if (c->failed) return kn_error_set(err, KN_E_INTERNAL, "reading '%s' failed before; it cannot go on", c->name);
    kn_status st = cut_next(c, out, done, err);
    if (st != KN_OK) c->failed = true;
    return st;
}

const kn_format_file *kn_seq_cut_file(const kn_seq_cut *c) { return c->file; }

const uint8_t *kn_seq_cut_prologue(const kn_seq_cut *c, size_t *len) {
    *len = c->prologue_len;
    return c->prologue;
}

const uint8_t *kn_seq_cut_reject_prologue(const kn_seq_cut *c, size_t *len) {
    size_t off = 0, n = 0;
    c->fmt->file_reject_prologue(c->file, &off, &n);
    /* The range lies before the data start in every format; anything else gives none. */
    if (n == 0 || off > c->prologue_len || n > c->prologue_len - off) {
        *len = 0;
        return NULL;
    }
    *len = n;
    return c->prologue + off;
}

void kn_seq_cut_free(kn_seq_cut *c) {
    if (!c) return;
    if (c->file) c->fmt->file_free(c->file);
    kn_seq_source_free(c->src);
    kn_free(c->prologue);
    kn_free(c->buf);
    kn_free(c);
}
