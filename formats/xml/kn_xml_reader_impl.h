/* formats/xml/kn_xml_reader_impl.h (internal): what the reader's files share: the reader itself,
 * the keys (the names met in records, each a column or a name to ignore) and the entries (a
 * record's values under their keys, gathered before they are stored or scanned).
 *
 *   kn_xml_reader.c  create, reset, free; faults; between records (wrappers, seams), one record
 *                    read, stored or scanned, and a bad one skipped
 *   kn_xml_record.c  keys, and a record's content read into entries (the predicted leaf goes
 *                    straight into its column, the quick way for its type)
 *   kn_xml_values.c  entries into columns, the general way, and nested values as JSON text
 *   kn_xml_cut.c     where morsels start and where a stream's prefix of whole records ends */
#ifndef KN_XML_READER_IMPL_H
#define KN_XML_READER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_xml.h"
#include "kn_xml_seams.h"
#include "kn_xml_tag.h"

#define MAX_DEPTH 256          /* elements nested inside a record */
#define MAX_UNKNOWN_KEYS 65536 /* distinct names remembered beyond the schema's */

typedef struct node {
    const uint8_t *name;
    size_t name_len;
    kn__xml_attr *attrs; /* arena */
    size_t num_attrs;
    struct node *child, *last, *next;
    kn__xml_text text;
    bool done; /* written already (grouping repeated children) */
} node;

enum { E_TEXT = 0, E_NODE };

typedef struct entry {
    uint32_t key, next; /* next entry of the same key, or UINT32_MAX */
    uint8_t kind;
    kn__xml_ref text;
    node *nd;
    size_t at;
} entry;

typedef struct key {
    uint32_t off, len; /* in key_names, which holds "<name></name>" around it: the tags a leaf of
                          this name is written with, compared whole by predicted_leaf */
    long field;        /* schema field, or -1 */
    uint32_t gen;      /* the record that last used it */
    uint32_t last, count; /* its last value in entries (UINT32_MAX: `one` is), its value count */
    entry one;            /* its first value in the record; more go to entries, chained from it */
    uint32_t next;     /* the key that followed it last time, or UINT32_MAX */
    uint32_t stored_gen; /* the record whose value went straight into its column */
    bool element;      /* met as an element's name (so a legal XML name, not a prefixed one) */
    bool leaf;         /* an element's name taken as written (no namespace stripped): its tags
                          can be matched byte for byte */
    bool direct;       /* a schema column that is not json: a leaf's value goes straight in */
    uint8_t quick;     /* QUICK_*: the shape its column's values are first tried as */
} key;

/* The quick ways a leaf's text goes into its column (store_leaf), by the column's type: the
 * shapes data files write most, read a word at a time; any other text goes the general way. */
enum { QUICK_NONE = 0, QUICK_STRING, QUICK_INT64, QUICK_INT32, QUICK_DECIMAL, QUICK_FLOAT64, QUICK_BOOL, QUICK_TIMESTAMP };

struct kn_xml_reader {
    const kn_schema *schema;
    kn_xml_options opt;
    size_t prefix_len, row_tag_len;
    const char *simd_name;
    kn__xml_lexer lx;
    kn_buf scratch, json, keybuf;
    kn_arena *arena;

    const kn_xml_file *file;
    const uint8_t *d;
    size_t len, stop, cur;
    const char *name;
    uint64_t base, records;
    size_t bad_start, bad_len;
    bool at_file_end, epilogue, depth_known, truncated;
    bool partial; /* more data may follow (cutting a stream): what is not settled here is cut short */
    struct { const uint8_t *p; size_t n; } *stack; /* elements open around records (row tag) */
    size_t depth, stack_cap;
    kn__xml_seam_name *closes; /* end tags with no start tag in this morsel (row tag) */
    size_t num_closes, closes_cap;
    bool content_after;        /* a start tag or text since the last of them */

    key *keys;
    size_t num_keys, keys_cap;
    uint32_t *hash; /* key index + 1, 0 empty */
    size_t hash_cap;
    kn_buf key_names;
    uint32_t gen;
    entry *entries;
    size_t num_entries, entries_cap;
    uint32_t *used; /* keys used by the record, in first-appearance order */
    size_t num_used, used_cap;

    uint32_t *field_key;   /* the key of each schema field */
    size_t num_direct;     /* the record's values that went straight into their columns */
    kn_buf record_tag;     /* "<name>" of the last record read whose start tag was just that */
    /* Records mostly repeat their names in order, so the next name is predicted (a compare
     * replaces a hash): the key that followed the previous one last time (key.next), or, for a
     * record's first name, the last record's first. A missing element costs one miss. */
    uint32_t first_key, prev_key;

    kn_column *cols;
    size_t row0;           /* the columns' length when the record began (to undo it) */
    kn_scan_fn scan_fn;
    void *scan_ctx;
};

/* The value after `e` of the same key in this record, or NULL. */
static inline const entry *next_value(const kn_xml_reader *r, const entry *e) {
    return e->next == UINT32_MAX ? NULL : &r->entries[e->next];
}

/* kn_xml_reader.c. A fault at d[at] (of column `field`, or -1): `st` with the message, the
 * file's name and the byte offset; returns `st`. */
kn_status kn__xml_error(kn_xml_reader *r, kn_error *err, kn_status st, size_t at, long field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* A lexer's fault as kn__xml_error gives it (out of memory as KN_E_NOMEM). */
kn_status kn__xml_lex_fault(kn_xml_reader *r, kn_error *err, kn_status st, const kn__xml_fault *f);
/* Reads on from r->cur to the next record's start tag (*found, *at) or the end of the data. */
kn_status kn__xml_seek_record(kn_xml_reader *r, size_t *at, bool *found, kn_error *err);
/* The record at d[at]: read, then stored or scanned; a bad one captured and skipped. */
kn_status kn__xml_one_record(kn_xml_reader *r, size_t at, kn_error *err);

/* kn_xml_record.c. The key of name s[0..n): found, or added (with `field`, -1 for a name not in
 * the schema); UINT32_MAX when out of memory or past MAX_UNKNOWN_KEYS. */
uint32_t kn__xml_key_of(kn_xml_reader *r, const uint8_t *s, size_t n, long field);
/* The column name of an element or attribute s[0..n): namespaces stripped when asked, the
 * prefix before an attribute's (then in r->keybuf, until the next call). False for a namespace
 * declaration (never a column). */
bool kn__xml_column_name(kn_xml_reader *r, const uint8_t *s, size_t n, bool attr, const uint8_t **out, size_t *out_len);
/* The keys' hash table rebuilt with `cap` slots (a power of two); false when out of memory. */
bool kn__xml_rehash(kn_xml_reader *r, size_t cap);
/* The record whose start tag is at d[at] into entries (its predicted leaves into their
 * columns); *end past its end tag; its name in *rname, *rlen; *start_ok once its start tag read. */
kn_status kn__xml_read_record(kn_xml_reader *r, size_t at, size_t *end, const uint8_t **rname, size_t *rlen,
                              bool *start_ok, kn_error *err);

/* kn_xml_values.c. The quick way a schema field's leaves are tried (QUICK_*). */
uint8_t kn__xml_quick_of(const kn_field *fd);
/* Text s[0..n) of the value at d[at] into column f, the general way. */
kn_status kn__xml_store_text(kn_xml_reader *r, long f, const uint8_t *s, size_t n, size_t at, kn_error *err);
/* The record's entries into the columns (the ones read straight in are there already). */
kn_status kn__xml_store_record(kn_xml_reader *r, size_t rec_at, kn_error *err);
/* The record's entries to the scan callback (inference). */
kn_status kn__xml_scan_record(kn_xml_reader *r, kn_error *err);

#endif
