/* formats/csv/kn_csv.h: the CSV reader: delimited text (RFC 4180 and what real exports do)
 * into column batches against a schema, or, with no schema, each record's fields as text (for
 * schema inference).
 *
 * Not thread-safe: one reader per thread. No allocation per value: a reader keeps its scratch
 * (structural index, unquoting space) across records and morsels.
 *
 * What the reader accepts and how values land (the contract users rely on):
 *   - Records end with LF, CRLF or a lone CR; the last record of a file may lack one. Blank
 *     lines are skipped (no record). A line whose first byte is the comment byte (when one is
 *     set) is skipped. A UTF-8 byte-order mark may lead a file (kn_csv_prologue skips it).
 *   - Fields are separated by the delimiter (any single byte but the quote, CR and LF). A field
 *     that starts with the quote byte is quoted: it runs to the matching closing quote and may
 *     hold delimiters, line breaks and the quote itself written twice ("a ""b"""). A quoted
 *     field must end at its closing quote: anything but a delimiter or line end after it makes
 *     the record bad. A quote byte inside an unquoted field is kept as it is (quotes still pair
 *     up: an odd one makes the delimiters and line breaks up to the next quote part of it).
 *   - With an escape byte set (--escape '\'), that byte before any byte makes the byte literal
 *     and is dropped, inside or outside quotes (MySQL's FIELDS ESCAPED BY): \" \, \\ and an
 *     escaped line break stay in the field. A doubled quote inside quotes still works.
 *   - Values: an unquoted empty field is NULL, and so is an unquoted field equal to one of the
 *     null tokens; a quoted field is never a null token, and a quoted empty field ("") is an
 *     empty string in a string column (NULL in any other). Text into number, bool, date and
 *     timestamp columns is cast as kernels/kn_cast.h says (ASCII spaces around it trimmed); a
 *     value that does not fit makes the record bad. Strings are kept byte for byte.
 *   - Encoding: UTF-8 is validated (invalid bytes make the record bad); latin-1 and
 *     windows-1252 are transcoded to UTF-8 (every byte has a character; the five bytes
 *     windows-1252 leaves undefined are taken as latin-1's C1 controls, as Python's and
 *     WHATWG's decoders do).
 *   - Records map to the schema through a column map (kn_csv_file): input field i goes to
 *     schema field map[i], or nowhere when map[i] < 0. Schema fields no input field maps to are
 *     NULL (the prologue refuses a file that leaves a non-nullable field unmapped). A record
 *     with fewer fields than the file's columns is bad unless fill_missing is set (the missing
 *     trailing fields are then NULL, Redshift's FILLRECORD); one with more is bad.
 *   - A bad record: kn_csv_reader_next returns KN_E_DATA with err->what saying what is wrong,
 *     err->field naming the column (when one is to blame) and err->byte_offset the absolute
 *     offset of the fault; no part of the record stays in the batch. The record's exact bytes,
 *     line breaks inside quotes included, are kn_csv_reader_bad_record's. */
#ifndef KN_CSV_H
#define KN_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef enum kn_csv_simd {
    KN_CSV_SIMD_AUTO = 0, /* AVX-512, else AVX2, as kn_cpu() has them (KILN_NO_SIMD=1: scalar) */
    KN_CSV_SIMD_SCALAR,   /* the scalar twin */
    KN_CSV_SIMD_AVX2,     /* create fails with KN_E_UNSUPPORTED without AVX2 */
    KN_CSV_SIMD_AVX512    /* create fails with KN_E_UNSUPPORTED without AVX512F+BW */
} kn_csv_simd;

typedef enum kn_csv_encoding {
    KN_CSV_UTF8 = 0,
    KN_CSV_LATIN1,
    KN_CSV_WINDOWS1252
} kn_csv_encoding;

#define KN_CSV_MAX_NULL_TOKENS 16

typedef struct kn_csv_options {
    uint8_t delimiter;       /* default ',' */
    uint8_t quote;           /* default '"'; 0 = no quoting */
    uint8_t escape;          /* default 0: a quote is escaped by doubling it; '\\' for MySQL dumps */
    uint8_t comment;         /* default 0: none; '#' skips lines that start with it */
    bool header;             /* default true: the first record names the columns */
    size_t skip_rows;        /* default 0: lines skipped before the header (or the data) */
    const char *null_tokens[KN_CSV_MAX_NULL_TOKENS]; /* borrowed; unquoted fields read as NULL */
    size_t num_null_tokens;  /* default 0 (the empty unquoted field is NULL regardless) */
    bool fill_missing;       /* default false: a short record is bad */
    kn_csv_encoding encoding;/* default UTF-8 */
    kn_csv_simd simd;        /* default AUTO */
} kn_csv_options;

void kn_csv_options_init(kn_csv_options *opt);
/* Checks the options against each other (distinct delimiter, quote, escape and comment bytes;
 * none of them CR or LF). KN_E_USAGE with a message naming the option. */
kn_status kn_csv_options_check(const kn_csv_options *opt, kn_error *err);

/* ---- a file's prologue: BOM, skipped rows, the header, the column map -------------------- */

typedef struct kn_csv_file {
    uint8_t delimiter;    /* the options' delimiter when the prologue was read (readers reset
                             onto this file use it: files of one run may differ, .tsv and .csv) */
    size_t data_start;    /* offset of the first data record (past BOM, skipped rows, header) */
    size_t header_start, header_len; /* the header record's bytes, without its line end (len 0:
                                        no header) */
    size_t num_columns;   /* fields per record in this file (header's, or the first record's) */
    char **names;         /* owned: num_columns names (header text, or "column0", ...) */
    long *map;            /* owned: num_columns entries: schema field index, or -1 (ignored) */
    size_t num_ignored;   /* input columns no schema field takes */
} kn_csv_file;

/* Reads the prologue of one file, data[0..len) (borrowed; a prefix of the file holding at
 * least the header record is enough), and, when `schema` is given (borrowed), maps columns:
 * with a header by name (exact, else the one name equal ignoring ASCII case), without one by
 * position. `name` (borrowed) is for messages. Fails with KN_E_DATA on a header that does not
 * parse or a non-nullable schema field no column maps to; *out is then left empty. */
kn_status kn_csv_prologue(const kn_csv_options *opt, const kn_schema *schema, const uint8_t *data,
                          size_t len, const char *name, kn_csv_file *out, kn_error *err);
/* Frees what the prologue made (the struct is the caller's). Accepts a zeroed one. */
void kn_csv_file_release(kn_csv_file *f);

/* ---- the reader ---------------------------------------------------------------------------- */

typedef struct kn_csv_reader kn_csv_reader;

/* Creates a reader for `schema` (borrowed; must outlive the reader), or, with a NULL schema, a
 * scan-only reader for kn_csv_reader_scan. `opt` is copied (its null tokens stay borrowed);
 * NULL for defaults. */
kn_status kn_csv_reader_create(const kn_schema *schema, const kn_csv_options *opt, kn_csv_reader **out,
                               kn_error *err);

/* Points the reader at `data[0..len)` (borrowed until the next reset), which starts at byte
 * `base_offset` of input `name` (borrowed) on what is taken to be a record boundary, and
 * belongs to the file described by `file` (borrowed; its map and column count). Records whose
 * first byte lies at or past `stop` (relative to data) are left alone: the reader ends before
 * them. Records may run past `stop`, up to `len`. */
void kn_csv_reader_reset(kn_csv_reader *r, const kn_csv_file *file, const uint8_t *data, size_t len,
                         size_t stop, const char *name, uint64_t base_offset);

/* Appends records to `batch` (whose columns match the reader's schema) until the range is used
 * up (KN_OK, *done true) or a record is bad (KN_E_DATA, see above; call again to go on after
 * it). Other statuses (KN_E_NOMEM) are fatal. */
kn_status kn_csv_reader_next(kn_csv_reader *r, kn_batch *batch, bool *done, kn_error *err);

/* The last bad record: the absolute offset of its first byte and its bytes (borrowed from the
 * data given to reset; without its line end). */
void kn_csv_reader_bad_record(const kn_csv_reader *r, uint64_t *offset, const uint8_t **data, size_t *len);

/* Records completed since the last reset, good and bad (blank and comment lines are none). */
uint64_t kn_csv_reader_records(const kn_csv_reader *r);

/* Where reading ended, relative to the data given to reset: just past the line end of the
 * last record read, which is the start of the first record left alone (or len). */
size_t kn_csv_reader_end(const kn_csv_reader *r);

/* The file given to the last reset (borrowed). */
const kn_csv_file *kn_csv_reader_file(const kn_csv_reader *r);

/* Which structural scanner the reader uses: "avx512", "avx2" or "scalar". */
const char *kn_csv_reader_simd_name(const kn_csv_reader *r);

/* Accepts NULL. */
void kn_csv_reader_free(kn_csv_reader *r);

/* ---- scan mode: one record's fields as text, for inference ------------------------------- */

typedef struct kn_csv_field {
    size_t index;      /* 0-based input column */
    const char *text;  /* unquoted, unescaped, transcoded to UTF-8; borrowed until the callback returns */
    size_t len;
    bool quoted;
    bool null;         /* an unquoted empty field or a null token */
} kn_csv_field;

/* Returns KN_OK to go on; any other status stops the scan and is passed up. */
typedef kn_status (*kn_csv_field_fn)(void *ctx, const kn_csv_field *f, kn_error *err);

/* Parses the next record and calls `fn` for each of its fields in order. KN_OK with *done true
 * when the range is used up (no call made); KN_E_DATA for a bad record (an unterminated quote,
 * invalid UTF-8, a field count other than the file's). */
kn_status kn_csv_reader_scan(kn_csv_reader *r, kn_csv_field_fn fn, void *ctx, bool *done, kn_error *err);

/* ---- morsels ------------------------------------------------------------------------------- */

/* The start of the first record at or after `pos` in data[0..len) of a file with `file`'s
 * column count, as far as bytes near `pos` tell: a line break outside quotes is not knowable
 * locally, so this is a guess (the line break after `pos` taken as outside quotes, unless the
 * records after it then do not have the file's field count and the other reading gives them
 * it). The pipeline checks each guess against where the previous morsel really ended, and
 * reads again from there when it was wrong, so a wrong guess costs time, never rows. */
size_t kn_csv_record_start_guess(const kn_csv_options *opt, const kn_csv_file *file, const uint8_t *data,
                                 size_t len, size_t pos);

/* For cutting a stream: the length of the longest prefix of data[0..len) (borrowed; it starts
 * on a record boundary) made of whole records, as the reader reads them: a record ends at a LF,
 * CRLF or lone CR outside quotes and not escaped; a blank line is a record; a line that starts
 * with the comment byte ends at its first line break, quotes or not. A CR as the last byte may
 * be half a CRLF, so the record it ends is not whole until `at_eof` (which makes everything
 * whole: returns len). One pass of stage 1's masks (the twin opt->simd picks, as the reader
 * does), no positions written, nothing allocated. The delimiter plays no part. */
size_t kn_csv_complete_prefix(const kn_csv_options *opt, const uint8_t *data, size_t len, bool at_eof);

#endif
