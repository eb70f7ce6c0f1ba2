/* engine/batch/kn_format.h: the format interface: all the executor knows of an input format.
 *
 * A format turns the bytes of one file into column batches. NDJSON and CSV implement it
 * (formats/<name>/kn_<name>_format.c, each a `const kn_format`); the executor finds them in its
 * table by name or file extension and never includes a reader's header.
 *
 * The life of a file: options are parsed once (options_create, from key/value pairs such as the
 * CLI's --delimiter); each file's prologue is read once (file_open: a BOM, a CSV header and its
 * column map); then the file is cut into morsels, byte ranges that each start on a record
 * boundary, and any thread parses any morsel with its own reader (reader_reset, reader_next).
 *
 * Morsel boundaries: a format whose records end at a byte that can be found by a local scan
 * (NDJSON: a line feed) splits EXACT: record_start gives the true start of the first record at
 * or after a byte, and a morsel is [record_start(k*M), record_start((k+1)*M)). Where a line
 * break may sit inside a quoted field (CSV), no local scan can tell, and the format splits by
 * GUESS: record_start guesses, the reader is given the rest of the file and a stop (it reads
 * the records that start before the stop, however far they run), and reader_end says where it
 * really ended. The executor checks, morsel by morsel in input order, that each guess equals
 * where the previous morsel ended, and reads a morsel again from there when it does not.
 *
 * A sequential source (a pipe, a decompressor, an HTTP body) has no random access to guess
 * with: it is cut as it is read, front to back, where complete_prefix says whole records end,
 * so its morsels are exact for both kinds of split (engine/exec/kn_seq_cut.h). */
#ifndef KN_FORMAT_H
#define KN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_encoding.h"
#include "kn_schema.h"
#include "kn_status.h"

/* The most leading bytes a format's `encoding` looks at. */
#define KN_FORMAT_HEAD_BYTES 512

typedef struct kn_format_opts kn_format_opts;     /* a format's parsed options (opaque) */
typedef struct kn_format_file kn_format_file;     /* a format's view of one file (opaque) */
typedef struct kn_format_reader kn_format_reader; /* a format's reader (opaque) */

/* One format option as given (`--delimiter ';'` is {"delimiter", ";"}; a flag has value NULL). */
typedef struct kn_format_option {
    const char *key;
    const char *value;
} kn_format_option;

typedef enum kn_format_split {
    KN_SPLIT_EXACT = 0, /* record_start is exact */
    KN_SPLIT_GUESS      /* record_start guesses; the executor checks each morsel's start */
} kn_format_split;

/* What inference sees of one value. */
typedef enum kn_scan_kind {
    KN_SCAN_NULL = 0, /* a null (JSON null, an empty unquoted CSV field, a null token) */
    KN_SCAN_BOOL,     /* a typed true/false (JSON) */
    KN_SCAN_NUMBER,   /* a typed number (JSON); text is its spelling */
    KN_SCAN_STRING,   /* a typed string (JSON): dates and timestamps are looked for in it */
    KN_SCAN_TEXT,     /* untyped text (CSV, XML): every type is looked for in it */
    KN_SCAN_NESTED    /* an object or array (JSON) */
} kn_scan_kind;

typedef struct kn_scan_value {
    const char *key;  /* the column's name, borrowed until the callback returns (may hold NUL) */
    size_t key_len;
    kn_scan_kind kind;
    const char *text; /* borrowed until the callback returns */
    size_t text_len;
} kn_scan_value;

/* Returns KN_OK to go on; any other status stops the scan and is passed up. */
typedef kn_status (*kn_scan_fn)(void *ctx, const kn_scan_value *v, kn_error *err);

typedef struct kn_format {
    const char *name;              /* "ndjson", "csv" */
    const char *const *extensions; /* NULL-terminated: the file names it claims (".csv") */
    const char *const *option_keys;/* NULL-terminated: the options it takes */
    kn_format_split split;
    const char *reject_extension;  /* "ndjson": quarantined records go to _rejects/rejects.<ext> */
    const char *fallback_column;   /* the one string column inference gives when it meets no
                                      field at all (XML's "_text"); NULL: that is an error */

    /* The encoding a file's first bytes (head[0..n), at most KN_FORMAT_HEAD_BYTES) declare, for a
     * reader that takes UTF-8 only: anything else is transcoded ahead of it (engine/io's
     * kn_transcode). NULL: the reader takes the bytes as they are (CSV transcodes itself). */
    kn_text_encoding (*encoding)(const uint8_t *head, size_t n);

    /* Parses `n` options (borrowed; values are borrowed by the result and must outlive it).
     * KN_E_USAGE naming the option when one is unknown or bad. Every other call that takes
     * options is given what this made (n may be 0: the defaults; *out may be NULL for a format
     * without options). */
    kn_status (*options_create)(const kn_format_option *opts, size_t n, kn_format_opts **out, kn_error *err);
    void (*options_free)(kn_format_opts *o); /* accepts NULL */

    /* Reads the prologue of file `name` from data[0..len) (borrowed: the whole file when `whole`,
     * else a prefix of it, more of which may follow) and maps its columns to `schema` (borrowed;
     * NULL when inferring). KN_E_DATA when the prologue is bad or leaves a non-nullable field
     * without a column. */
    kn_status (*file_open)(const kn_format_opts *o, const kn_schema *schema, const uint8_t *data, size_t len,
                           bool whole, const char *name, kn_format_file **out, kn_error *err);
    /* Optional: the file's length, told once a sequential source has been read to its end,
     * before its last morsel is handed out (morsels of it may be parsing meanwhile). XML then
     * knows which morsel holds the document's end. */
    void (*file_end)(kn_format_file *f, uint64_t len);
    /* The first byte of the first record (past a BOM, skipped rows, a header). */
    size_t (*file_data_start)(const kn_format_file *f);
    /* The bytes a rejects file starts with so it reads back like the input (a CSV header
     * line), as a range of the file's data; *len 0 for none. */
    void (*file_reject_prologue)(const kn_format_file *f, size_t *offset, size_t *len);
    /* How many input columns no schema field takes (reported once), and their names. */
    size_t (*file_ignored)(const kn_format_file *f, const char **first_name);
    void (*file_free)(kn_format_file *f); /* accepts NULL */

    /* The start of the first record at or after `pos` in data[0..len) of file `f` (exact or a
     * guess, per `split`). */
    size_t (*record_start)(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                           size_t pos);

    /* The length of the longest prefix of data[0..len) (borrowed; it starts on a record
     * boundary of file `f`, or of a file read with `o` when `f` is NULL) made of whole records
     * only, blank and comment lines counting as records: 0 when not even the first is whole.
     * A record is whole when its line end lies in the data and is known to be one: a CR as the
     * last byte may be the first half of a CRLF, so the record it ends is not whole yet. With
     * `at_eof` no bytes follow and every record is whole (it returns len). Exact, not a guess,
     * for both kinds of split; it may read all of the data (CSV runs the reader's structural
     * scan from the start), so call it on a known boundary and the bytes after it, not again
     * and again on the same long prefix. */
    size_t (*complete_prefix)(const kn_format_opts *o, const kn_format_file *f, const uint8_t *data, size_t len,
                              bool at_eof);

    /* A reader for `schema` (borrowed; outlives the reader), or a scan-only one for NULL. */
    kn_status (*reader_create)(const kn_format_opts *o, const kn_schema *schema, kn_format_reader **out,
                               kn_error *err);
    /* Points the reader at data[0..len) (borrowed), bytes [base_offset, ...) of file `f` named
     * `name` (both borrowed), starting on a record boundary; it reads the records that start
     * before `stop` (an EXACT format is always given stop == len). */
    void (*reader_reset)(kn_format_reader *r, const kn_format_file *f, const uint8_t *data, size_t len,
                         size_t stop, const char *name, uint64_t base_offset);
    /* Appends records to `batch` until done (KN_OK, *done) or a bad record (KN_E_DATA with `err`
     * filled, byte_offset absolute; the batch holds no part of it; call again to go on). Other
     * statuses are fatal. */
    kn_status (*reader_next)(kn_format_reader *r, kn_batch *batch, bool *done, kn_error *err);
    /* The last bad record: its absolute offset and exact bytes (borrowed from the data). */
    void (*reader_bad_record)(const kn_format_reader *r, uint64_t *offset, const uint8_t **data, size_t *len);
    /* Records since the reset, good and bad. */
    uint64_t (*reader_records)(const kn_format_reader *r);
    /* Where reading ended, relative to the data: the start of the first record left alone. */
    size_t (*reader_end)(const kn_format_reader *r);
    /* Inference: the next record's values to `fn`. KN_OK with *done when there are no more;
     * KN_E_DATA for a bad record (some of its values may have been passed on). */
    kn_status (*reader_scan)(kn_format_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err);
    void (*reader_free)(kn_format_reader *r); /* accepts NULL */
} kn_format;

#endif
