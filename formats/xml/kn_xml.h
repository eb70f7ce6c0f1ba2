/* formats/xml/kn_xml.h: the XML reader: records of an XML 1.0 document into column batches
 * against a schema, or, with no schema, each record's values (for schema inference).
 *
 * Not thread-safe: one reader per thread. A reader keeps its scratch (decoded text, the nodes of
 * nested values) across records and morsels.
 *
 * What the reader accepts and how values land (the contract users rely on):
 *   - Records: with a row tag, every element of that name, at any depth, is a record (the
 *     outermost one: a row-tag element inside a record is part of it); without one, each child
 *     element of the document element. Whatever lies between records (other elements, text,
 *     comments, PIs) is checked and passed over.
 *   - Columns: a record's attributes (named `attribute_prefix` + the attribute's name) and its
 *     child elements (named as written, `ns:amount`; with strip_namespaces the part after the
 *     colon). Namespace declarations (xmlns, xmlns:p) are never columns. A child with neither
 *     attributes nor child elements is a leaf: its text is the value (entity and character
 *     references decoded, CDATA verbatim, comments and PIs dropped, line ends as LF). The
 *     record element's own text, when it is not all whitespace, is the `_text` column.
 *   - Nested values, as JSON text (a json column): a child with attributes or children of its
 *     own is an object: "<prefix><attr>": "value" for each attribute, then "<child>": value for
 *     each child element in first-appearance order (a repeated child is an array of its
 *     values), then "_text": "..." when its own text is not all whitespace; a leaf is a JSON
 *     string. A column whose element repeats in a record holds the array of the values. In a
 *     column that is not json, a repeated element (or an attribute and a child that name one
 *     column: give an attribute prefix) makes the record bad.
 *   - NULL: an element or attribute the record does not have. An empty one (<note/>, note="")
 *     is an empty string in a string column and NULL in any other. Text into number, bool,
 *     date and timestamp columns is cast as kernels/kn_cast.h says, XML whitespace around it
 *     trimmed; a value that does not fit makes the record bad. Strings are kept byte for byte.
 *   - Well-formedness (XML 1.0, 5th edition) is checked everywhere the reader goes: tags nest
 *     and balance, names and characters are legal, attribute values are quoted and hold no
 *     '<', attributes do not repeat, references are to declared entities, no "]]>" in text,
 *     "--" ends a comment, one document element with only comments, PIs and whitespace after
 *     it. A record that breaks a rule is a bad record; damage outside records fails the file.
 *     The elements that wrap records (a row tag below the document element's children) are
 *     checked within each morsel, and across morsels as their readers finish (kn_xml_seams.h).
 *   - Entities: the five predefined ones, character references, and the internal general
 *     entities of the internal DTD subset, expanded with bounds (kn_xml_limits). External
 *     entities and DTDs are never opened: a reference to an external entity makes the record
 *     bad. An entity whose replacement holds markup is not expanded (the record is bad).
 *   - Encoding: UTF-8, validated, a byte-order mark allowed. Other encodings are transcoded to
 *     UTF-8 before the reader sees them (kn_xml_transcode.h).
 *   - A bad record: kn_xml_reader_next returns KN_E_DATA with err->what saying what is wrong,
 *     err->field naming the column (when one is to blame) and err->byte_offset the absolute
 *     offset of the fault; no part of the record stays in the batch. Its bytes, from its start
 *     tag to the end tag that closes it (or to where reading could pick up again), are
 *     kn_xml_reader_bad_record's. */
#ifndef KN_XML_H
#define KN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_format.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef enum kn_xml_simd {
    KN_XML_SIMD_AUTO = 0, /* AVX2 when kn_cpu() has it (KILN_NO_SIMD=1: scalar) */
    KN_XML_SIMD_SCALAR,   /* the scalar twin */
    KN_XML_SIMD_AVX2      /* create fails with KN_E_UNSUPPORTED without AVX2 */
} kn_xml_simd;

typedef struct kn_xml_options {
    const char *row_tag;          /* borrowed; NULL: each child of the document element */
    const char *attribute_prefix; /* borrowed; default "" */
    bool strip_namespaces;        /* default false: names keep their prefix */
    size_t max_entity_bytes;      /* default 1 MiB: the most one entity may expand to */
    uint64_t max_expansion;       /* default 1000: entity text may be at most this many times
                                     the bytes read (plus max_entity_bytes) */
    kn_xml_simd simd;             /* default AUTO */
} kn_xml_options;

void kn_xml_options_init(kn_xml_options *opt);
/* KN_E_USAGE when the row tag or the prefix is not a legal name (part). */
kn_status kn_xml_options_check(const kn_xml_options *opt, kn_error *err);

/* ---- a file's prologue: XML declaration, DTD and its entities, the document element -------- */

typedef struct kn_xml_entity kn_xml_entity; /* internal */
typedef struct kn_xml_seams kn_xml_seams;   /* internal: kn_xml_seams.h */

typedef struct kn_xml_file {
    size_t data_start;       /* the first record's start tag (or where records would be) */
    char *root;              /* owned: the document element's name */
    char *first_record;      /* owned: the first record's element name, or NULL (a guess aid) */
    kn_xml_entity *entities; /* owned: the internal general entities, expanded */
    size_t num_entities;
    bool root_closed_early;  /* the document element was empty (<root/>): no records */
    bool root_is_record;     /* the row tag names the document element: data_start is at it */
    kn_xml_seams *seams;     /* owned: with a row tag, the elements around records, chained
                                across the morsels as their readers finish them */
    _Atomic uint64_t file_len; /* the file's length once known (the prologue saw all of it, or a
                                  stream was read to its end: kn_xml_file_end), else UINT64_MAX */
} kn_xml_file;

/* Reads the prologue of `name` from data[0..len) (borrowed): an optional UTF-8 BOM, the XML
 * declaration (version 1.x; an encoding other than UTF-8 must have been transcoded before),
 * comments, PIs, the document type declaration with its internal subset, and the document
 * element's start tag. `whole`: data is all of the file. KN_E_DATA naming the byte when any of it is not
 * well-formed, an entity passes the bounds, or nothing like a document is there. */
kn_status kn_xml_prologue(const kn_xml_options *opt, const uint8_t *data, size_t len, bool whole,
                          const char *name, kn_xml_file *out, kn_error *err);
/* Frees what the prologue made (the struct is the caller's). Accepts a zeroed one. */
void kn_xml_file_release(kn_xml_file *f);
/* The file's length, told when a stream has been read to its end: the reader of the morsel that
 * reaches it then checks that the document element was closed. Safe while readers run. */
void kn_xml_file_end(kn_xml_file *f, uint64_t len);

/* ---- the reader ---------------------------------------------------------------------------- */

typedef struct kn_xml_reader kn_xml_reader;

/* A reader for `schema` (borrowed; outlives the reader), or a scan-only one for NULL. `opt` is
 * copied (its strings stay borrowed); NULL for defaults. */
kn_status kn_xml_reader_create(const kn_schema *schema, const kn_xml_options *opt, kn_xml_reader **out,
                               kn_error *err);

/* Points the reader at data[0..len) (borrowed), bytes [base_offset, ...) of `name` (borrowed),
 * of the file `file` (borrowed), starting where a record starts or where the records of the
 * document element would start. It reads the records that start before `stop`; after the last
 * one, it reads on to the next record's start (or the end), checking what lies between. */
void kn_xml_reader_reset(kn_xml_reader *r, const kn_xml_file *file, const uint8_t *data, size_t len, size_t stop,
                         const char *name, uint64_t base_offset);

/* Appends records to `batch` until done (KN_OK, *done) or a bad record (KN_E_DATA; call again
 * to go on). Damage outside any record is KN_E_FORMAT, fatal for the file. KN_E_NOMEM fatal. */
kn_status kn_xml_reader_next(kn_xml_reader *r, kn_batch *batch, bool *done, kn_error *err);

/* Inference: the next record's values to `fn` (key: the column name; kind KN_SCAN_TEXT for a
 * leaf or attribute, KN_SCAN_NESTED with JSON text for the rest). */
kn_status kn_xml_reader_scan(kn_xml_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err);

void kn_xml_reader_bad_record(const kn_xml_reader *r, uint64_t *offset, const uint8_t **data, size_t *len);
uint64_t kn_xml_reader_records(const kn_xml_reader *r);
/* The start of the first record left alone (or len). */
size_t kn_xml_reader_end(const kn_xml_reader *r);
/* "avx2" or "scalar". */
const char *kn_xml_reader_simd_name(const kn_xml_reader *r);
void kn_xml_reader_free(kn_xml_reader *r); /* accepts NULL */

/* ---- morsels ------------------------------------------------------------------------------- */

/* The start of the first record at or after `pos` (a guess: the next start tag named like the
 * row tag, or like the file's first record, that a look ahead shows is not inside a comment,
 * CDATA section or PI; '<' cannot be inside an attribute value). */
size_t kn_xml_record_start_guess(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data,
                                 size_t len, size_t pos);

/* For cutting a stream: the longest prefix of data[0..len) (starting on a record start, or
 * where the file's records start) that ends where a record starts, with every record before
 * it whole; len at `at_eof`. */
size_t kn_xml_complete_prefix(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data, size_t len,
                              bool at_eof);

#endif
