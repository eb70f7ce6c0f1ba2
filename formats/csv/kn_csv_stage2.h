/* formats/csv/kn_csv_stage2.h (internal): the reader's state and the record-by-record pieces
 * that the block path (kn_csv_block.c) shares with the reader (kn_csv_reader.c). */
#ifndef KN_CSV_STAGE2_H
#define KN_CSV_STAGE2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_csv.h"
#include "kn_csv_index.h"

/* Rows of room made in every column at once, so the fast paths store without checks. */
#define KN__CSV_ROOM_ROWS 256

/* Records read at once by the block path: every column's values of a block are stored in one
 * loop of one type, which keeps the branch predictor and the column's memory busy with one
 * thing at a time. */
#define KN__CSV_BLOCK_ROWS KN__CSV_ROOM_ROWS

/* How an input column's unquoted values are stored on the fast path (anything else, and any
 * value the fast path does not take, goes the general way: kn__csv_store_field). */
typedef enum kn__csv_fast {
    KN__CSV_NONE = 0, /* not taken by the schema */
    KN__CSV_GENERAL,  /* always the general way (escapes, transcoding, null tokens, dates,
                         formats, wide decimals) */
    KN__CSV_STRING,
    KN__CSV_I64,
    KN__CSV_I32,
    KN__CSV_DEC64,
    KN__CSV_F64,
    KN__CSV_TS,
    KN__CSV_BOOL
} kn__csv_fast;

struct kn_csv_reader {
    const kn_schema *schema; /* NULL: scan only */
    kn_csv_options opt;
    kn__csv_chars ch;
    kn__csv_index_fn index;
    const struct kn__csv_runs *runs; /* the block path's twin, picked with the index's */
    const char *simd_name;
    size_t null_len[KN_CSV_MAX_NULL_TOKENS];

    /* The file and the morsel. */
    const kn_csv_file *file;
    long *unmapped; /* schema fields no input column feeds (NULL in every row) */
    size_t num_unmapped;
    uint8_t *fast;   /* per input column: its kn__csv_fast */
    size_t fast_cap;
    const uint8_t *data;
    size_t len, stop;
    const char *name;
    uint64_t base;
    size_t cur;      /* the next record's first byte */
    uint64_t records;

    /* The window [ws, we) and its index: entry k at idx[k] (relative to ws); the entries that
     * are line ends listed in lines[]. ti is the next entry to read, li the first line end at
     * or after it (or nlines). */
    size_t ws, we;
    uint32_t *idx, *lines;
    uint32_t *idx_mem; /* idx - 1: idx[-1] is UINT32_MAX (kn_csv_reader.c, index_window) */
    size_t idx_cap, lines_cap, nidx, nlines, ti, li;
    size_t last_nl;  /* the last line break in the index (relative to ws), or SIZE_MAX */
    bool open_end;   /* the window ends inside quotes */
    bool ascii;
    size_t utf8_ok_until; /* bytes before this are valid UTF-8 (the window checked at once) */
    size_t room;     /* rows every column can take without growing */
    size_t window;   /* bytes to index next */

    /* The record being read. */
    kn_column *cols;
    size_t row0;
    kn_csv_field_fn scan_fn;
    void *scan_ctx;
    size_t bad_start, bad_len;

    uint8_t *scratch;
    size_t scratch_cap;


    size_t slow_left;   /* records to read one by one before blocks go on (after a block with a
                           bad record, which the one-by-one path reports in order) */
};

/* Field [at, end) of the record into schema field f, the general way (kn_cast, every rule,
 * faults with their words when err is not NULL). */
kn_status kn__csv_store_field(kn_csv_reader *r, long f, size_t at, size_t end, kn_error *err);
/* A NULL into schema field f (a fault when it is not nullable). */
kn_status kn__csv_put_null(kn_csv_reader *r, long f, size_t at, kn_error *err);
/* Room for KN__CSV_ROOM_ROWS more rows in every column. */
kn_status kn__csv_make_room(kn_csv_reader *r, kn_error *err);
/* Skips blank and comment lines at r->cur and makes sure the next record lies whole in the
 * window; *more false when the next record starts at or past the stop (or none is left). */
kn_status kn__csv_next_record_start(kn_csv_reader *r, bool *more, kn_error *err);
/* The record at r->cur, field by field; KN_E_DATA for a bad record, r->cur past it either way. */
kn_status kn__csv_read_record(kn_csv_reader *r, kn_error *err);
/* Up to KN__CSV_BLOCK_ROWS records at r->cur (kn_csv_block.c); *more false when none is left. */
kn_status kn__csv_read_block(kn_csv_reader *r, bool *more, kn_error *err);

#endif
