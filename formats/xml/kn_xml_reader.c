/* formats/xml/kn_xml_reader.c: the XML reader: records found between the markup that wraps them,
 * each record's attributes and children gathered as entries, then stored into columns (or
 * handed to inference), nested values as JSON text. The contract is in kn_xml.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cast.h"
#include "kn_cpu.h"
#include "kn_parse_number.h"
#include "kn_parse_time.h"
#include "kn_parse_words.h"
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

static uint8_t quick_of(const kn_field *fd) {
    switch (fd->type.id) {
    case KN_TYPE_STRING: return fd->type.json ? QUICK_NONE : QUICK_STRING;
    case KN_TYPE_INT64: return QUICK_INT64;
    case KN_TYPE_INT32: return QUICK_INT32;
    case KN_TYPE_DECIMAL: return fd->type.precision <= 18 ? QUICK_DECIMAL : QUICK_NONE;
    case KN_TYPE_FLOAT64: return QUICK_FLOAT64;
    case KN_TYPE_BOOL: return QUICK_BOOL;
    case KN_TYPE_TIMESTAMP: return fd->format ? QUICK_NONE : QUICK_TIMESTAMP;
    default: return QUICK_NONE;
    }
}

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

/* ---- keys: column names met in records ------------------------------------------------------ */

static uint64_t hash_bytes(const uint8_t *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

static bool rehash(kn_xml_reader *r, size_t cap) {
    uint32_t *h = kn_calloc(cap, sizeof *h);
    if (!h) return false;
    for (size_t k = 0; k < r->num_keys; k++) {
        size_t i = hash_bytes(r->key_names.data + r->keys[k].off, r->keys[k].len) & (cap - 1);
        while (h[i]) i = (i + 1) & (cap - 1);
        h[i] = (uint32_t)k + 1;
    }
    kn_free(r->hash);
    r->hash = h;
    r->hash_cap = cap;
    return true;
}

/* The key for name s[0..n): found, or added (with field -1, or `field` when adding the schema's).
 * UINT32_MAX when out of memory or past MAX_UNKNOWN_KEYS (the name is then ignored, as an
 * unknown name is; inference stops with an error instead). */
static uint32_t key_of(kn_xml_reader *r, const uint8_t *s, size_t n, long field) {
    size_t i = hash_bytes(s, n) & (r->hash_cap - 1);
    for (; r->hash[i]; i = (i + 1) & (r->hash_cap - 1)) {
        key *k = &r->keys[r->hash[i] - 1];
        if (k->len == n && memcmp(r->key_names.data + k->off, s, n) == 0) return r->hash[i] - 1;
    }
    if (r->num_keys >= MAX_UNKNOWN_KEYS + (r->schema ? r->schema->num_fields : 0) || n > UINT32_MAX) return UINT32_MAX;
    if (r->num_keys == r->keys_cap) {
        size_t cap = r->keys_cap ? r->keys_cap * 2 : 64;
        key *k = kn_realloc(r->keys, cap * sizeof *k);
        if (!k) return UINT32_MAX;
        r->keys = k;
        r->keys_cap = cap;
    }
    if (r->key_names.len > UINT32_MAX - 2 * n - 5 || !kn_buf_push(&r->key_names, '<') || !kn_buf_append(&r->key_names, s, n) ||
        !kn_buf_append(&r->key_names, "></", 3) || !kn_buf_append(&r->key_names, s, n) || !kn_buf_push(&r->key_names, '>'))
        return UINT32_MAX;
    uint32_t id = (uint32_t)r->num_keys++;
    r->keys[id] = (key){.off = (uint32_t)(r->key_names.len - 2 * n - 4), .len = (uint32_t)n, .field = field, .next = UINT32_MAX};
    if (r->num_keys * 2 > r->hash_cap) {
        if (!rehash(r, r->hash_cap * 2)) {
            r->num_keys--;
            return UINT32_MAX;
        }
    } else {
        r->hash[i] = id + 1;
    }
    return id;
}

/* The column name of an element or attribute: namespaces stripped when asked, the prefix
 * before an attribute's. Returns false for a namespace declaration (never a column). */
static bool column_name(kn_xml_reader *r, const uint8_t *s, size_t n, bool attr, const uint8_t **out, size_t *out_len) {
    if (attr && n >= 5 && memcmp(s, "xmlns", 5) == 0 && (n == 5 || s[5] == ':')) return false;
    if (r->opt.strip_namespaces) {
        const uint8_t *c = memchr(s, ':', n);
        if (c) {
            n -= (size_t)(c + 1 - s);
            s = c + 1;
        }
    }
    if (!attr || !r->prefix_len) {
        *out = s;
        *out_len = n;
        return true;
    }
    kn_buf_clear(&r->keybuf);
    if (!kn_buf_append(&r->keybuf, r->opt.attribute_prefix, r->prefix_len) || !kn_buf_append(&r->keybuf, s, n)) {
        *out = s; /* out of memory: the name without its prefix, at worst a clash */
        *out_len = n;
        return true;
    }
    *out = r->keybuf.data;
    *out_len = r->keybuf.len;
    return true;
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
    if (!r->arena || !rehash(r, 256)) {
        kn_xml_reader_free(r);
        return kn_error_set(err, KN_E_NOMEM, "out of memory creating an XML reader");
    }
    size_t nf = schema ? schema->num_fields : 0;
    r->field_key = kn_calloc(nf ? nf : 1, sizeof *r->field_key);
    for (size_t f = 0; r->field_key && f < nf; f++) {
        const char *fn_ = schema->fields[f].name;
        r->field_key[f] = key_of(r, (const uint8_t *)fn_, strlen(fn_), (long)f);
        if (r->field_key[f] == UINT32_MAX) break;
        r->keys[r->field_key[f]].direct = !schema->fields[f].type.json;
        r->keys[r->field_key[f]].quick = quick_of(&schema->fields[f]);
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

static kn_status fault(kn_xml_reader *r, kn_error *err, kn_status st, size_t at, long field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static kn_status fault(kn_xml_reader *r, kn_error *err, kn_status st, size_t at, long field, const char *fmt, ...) {
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

static kn_status lex_fault(kn_xml_reader *r, kn_error *err, kn_status st, const kn__xml_fault *f) {
    if (f->nomem) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    if (f->eof) r->truncated = true;
    return fault(r, err, st, f->at, -1, "%s", f->why);
}

/* ---- a record's content ------------------------------------------------------------------------ */

/* Key k's value into the record: the first in the key itself, more chained in entries (a key
 * no column takes is passed over). Inference also lists the keys in first-appearance order. */
static kn_status push_entry(kn_xml_reader *r, uint32_t k, uint8_t kind, kn__xml_ref text, node *nd, size_t at,
                            kn_error *err) {
    key *ky = &r->keys[k];
    if (ky->gen != r->gen) {
        if (r->schema) {
            if (ky->field < 0) return KN_OK;
        } else {
            if (r->num_used == r->used_cap) {
                size_t cap = r->used_cap ? r->used_cap * 2 : 64;
                uint32_t *u = kn_realloc(r->used, cap * sizeof *u);
                if (!u) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
                r->used = u;
                r->used_cap = cap;
            }
            r->used[r->num_used++] = k;
        }
        ky->gen = r->gen;
        ky->stored_gen = 0;
        ky->count = 1;
        ky->last = UINT32_MAX;
        ky->one = (entry){k, UINT32_MAX, kind, text, nd, at};
        return KN_OK;
    }
    if (r->num_entries == r->entries_cap) {
        size_t cap = r->entries_cap ? r->entries_cap * 2 : 64;
        entry *e = kn_realloc(r->entries, cap * sizeof *e);
        if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        r->entries = e;
        r->entries_cap = cap;
    }
    uint32_t id = (uint32_t)r->num_entries++;
    r->entries[id] = (entry){k, UINT32_MAX, kind, text, nd, at};
    if (ky->last == UINT32_MAX) ky->one.next = id;
    else r->entries[ky->last].next = id;
    ky->last = id;
    ky->count++;
    return KN_OK;
}

/* The value after `e` of the same key in this record, or NULL. */
static inline const entry *next_value(const kn_xml_reader *r, const entry *e) {
    return e->next == UINT32_MAX ? NULL : &r->entries[e->next];
}

static inline uint32_t predicted_key(const kn_xml_reader *r) {
    return r->prev_key == UINT32_MAX ? r->first_key : r->keys[r->prev_key].next;
}

static inline void follows(kn_xml_reader *r, uint32_t k) {
    if (r->prev_key == UINT32_MAX) r->first_key = k;
    else r->keys[r->prev_key].next = k;
    r->prev_key = k;
}

/* The key of the record's next name: the predicted one when it is, else found (or added). */
static uint32_t next_key(kn_xml_reader *r, const uint8_t *cn, size_t cl) {
    uint32_t k = predicted_key(r);
    if (k == UINT32_MAX || r->keys[k].len != cl || memcmp(r->key_names.data + r->keys[k].off, cn, cl) != 0) {
        k = key_of(r, cn, cl, -1);
        if (k == UINT32_MAX) return k;
    }
    follows(r, k);
    return k;
}

static kn_status add_entry(kn_xml_reader *r, const uint8_t *name, size_t n, bool attr, uint8_t kind, kn__xml_ref text,
                           node *nd, size_t at, kn_error *err) {
    const uint8_t *cn;
    size_t cl;
    if (!column_name(r, name, n, attr, &cn, &cl)) return KN_OK;
    uint32_t k = next_key(r, cn, cl);
    if (k != UINT32_MAX && !attr) {
        r->keys[k].element = true;
        r->keys[k].leaf = !r->opt.strip_namespaces;
    }
    if (k == UINT32_MAX) {
        if (!r->schema) return kn_error_set(err, KN_E_DATA, "more than %d distinct element and attribute names", MAX_UNKNOWN_KEYS);
        return KN_OK; /* an unknown name: ignored as any unknown name is */
    }
    return push_entry(r, k, kind, text, nd, at, err);
}

static kn_status store_text(kn_xml_reader *r, long f, const uint8_t *s, size_t n, size_t at, kn_error *err);
static kn_status store_leaf(kn_xml_reader *r, const struct key *ky, const uint8_t *s, size_t n, size_t at, kn_error *err);

/* a[0..n) == b[0..n), for names: two overlapping words when n is 4 to 16 bytes. */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t x0, x1, y0, y1;
        memcpy(&x0, a, 8), memcpy(&y0, b, 8), memcpy(&x1, a + n - 8, 8), memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t x0, x1, y0, y1;
        memcpy(&x0, a, 4), memcpy(&y0, b, 4), memcpy(&x1, a + n - 4, 4), memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* The record's next child at d[p] when it is the leaf the last record had here, <name>text</name>
 * with plain text (no references, CR or markup): its entry, and *end past it. False, having
 * done nothing, otherwise (record_child then reads it the full way). */
static bool predicted_leaf(kn_xml_reader *r, size_t p, size_t *end, kn_status *st, kn_error *err) {
    uint32_t k = predicted_key(r);
    if (k == UINT32_MAX || !r->keys[k].leaf) return false;
    const uint8_t *d = r->d, *open = r->key_names.data + r->keys[k].off - 1;
    size_t nl = r->keys[k].len, q = p + 2 + nl;
    if (q + nl + 3 > r->len || !same_bytes(d + p, open, nl + 2)) return false;
    size_t s = q + kn__xml_text_stop_head(d + q, r->len - q, r->lx.text_stop);
    if (s + nl + 3 > r->len || !same_bytes(d + s, open + nl + 2, nl + 3)) return false;
    follows(r, k);
    *end = s + 3 + nl;
    key *ky = &r->keys[k];
    if (ky->direct && ky->gen != r->gen && !r->scan_fn) {
        /* The record's first value of a plain column: straight into it (undone with the record) */
        ky->gen = ky->stored_gen = r->gen;
        ky->count = 1;
        ky->last = UINT32_MAX;
        ky->one.next = UINT32_MAX; /* a repeat chains from here, and is refused by store_field */
        ky->one.at = p;
        r->num_direct++;
        *st = store_leaf(r, ky, d + q, s - q, p, err);
        return true;
    }
    *st = push_entry(r, k, E_TEXT, (kn__xml_ref){d + q, 0, s - q}, NULL, p, err);
    return true;
}

static node *new_node(kn_xml_reader *r, const uint8_t *name, size_t n) {
    node *nd = kn_arena_alloc(r->arena, sizeof *nd);
    if (!nd) return NULL;
    memset(nd, 0, sizeof *nd);
    nd->name = name;
    nd->name_len = n;
    if (r->lx.num_attrs) {
        nd->attrs = kn_arena_alloc(r->arena, r->lx.num_attrs * sizeof *nd->attrs);
        if (!nd->attrs) return NULL;
        memcpy(nd->attrs, r->lx.attrs, r->lx.num_attrs * sizeof *nd->attrs);
        nd->num_attrs = r->lx.num_attrs;
    }
    return nd;
}

/* The content of element `nd` from d[p] to its end tag; returns past the end tag in *end. */
static kn_status element_content(kn_xml_reader *r, node *nd, size_t p, int depth, size_t *end, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    for (;;) {
        if (p < r->len && r->d[p] != '<') p = kn__xml_text_run(lx, p, &nd->text, &f);
        if (p == KN__XML_FAILED) return lex_fault(r, err, KN_E_DATA, &f);
        if (p == r->len) {
            r->truncated = true;
            return fault(r, err, KN_E_DATA, p, -1, "the data ends inside element <%.*s>", (int)nd->name_len, nd->name);
        }
        const uint8_t c = p + 1 < r->len ? r->d[p + 1] : 0;
        if (c == '/') {
            const uint8_t *en;
            size_t el;
            size_t q = kn__xml_end_tag(lx, p, &en, &el, &f);
            if (!q) return lex_fault(r, err, KN_E_DATA, &f);
            if (el != nd->name_len || memcmp(en, nd->name, el) != 0)
                return fault(r, err, KN_E_DATA, p, -1, "end tag </%.*s> does not match <%.*s>", (int)el, en,
                             (int)nd->name_len, nd->name);
            *end = q;
            return KN_OK;
        }
        if (c == '!' || c == '?') {
            bool cdata;
            p = kn__xml_misc(lx, p, &nd->text, &cdata, &f);
            if (!p) return lex_fault(r, err, KN_E_DATA, &f);
            continue;
        }
        if (depth >= MAX_DEPTH)
            return fault(r, err, KN_E_DATA, p, -1, "elements nest more than %d deep inside a record", MAX_DEPTH);
        const uint8_t *cn;
        size_t cl;
        bool empty;
        size_t q = kn__xml_start_tag(lx, p, &cn, &cl, &empty, &f);
        if (!q) return lex_fault(r, err, KN_E_DATA, &f);
        node *ch = new_node(r, cn, cl);
        if (!ch) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        if (nd->last) nd->last->next = ch;
        else nd->child = ch;
        nd->last = ch;
        if (!empty) KN_TRY(element_content(r, ch, q, depth + 1, &q, err));
        p = q;
    }
}

/* A child of the record at d[p] ('<' of its start tag) into an entry. */
static kn_status record_child(kn_xml_reader *r, size_t p, size_t *end, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    const uint8_t *cn;
    size_t cl;
    bool empty;
    size_t q = kn__xml_start_tag(lx, p, &cn, &cl, &empty, &f);
    if (!q) return lex_fault(r, err, KN_E_DATA, &f);
    if (empty && !lx->num_attrs) {
        *end = q;
        return add_entry(r, cn, cl, false, E_TEXT, (kn__xml_ref){r->d + q, 0, 0}, NULL, p, err);
    }
    kn__xml_text t = {{r->d + q, 0, 0}, false};
    if (!empty && !lx->num_attrs) { /* the common leaf: <name>text</name> */
        size_t s = kn__xml_text_run(lx, q, &t, &f);
        if (s == KN__XML_FAILED) return lex_fault(r, err, KN_E_DATA, &f);
        if (s + 3 + cl <= r->len && r->d[s + 1] == '/' && r->d[s + 2 + cl] == '>' && memcmp(r->d + s + 2, cn, cl) == 0) {
            *end = s + 3 + cl; /* </name>, the usual end tag, without a second look at the name */
            if (!t.any) t.x = (kn__xml_ref){r->d + q, 0, 0};
            return add_entry(r, cn, cl, false, E_TEXT, t.x, NULL, p, err);
        }
        if (s + 1 < r->len && r->d[s + 1] == '/') {
            const uint8_t *en;
            size_t el;
            size_t e = kn__xml_end_tag(lx, s, &en, &el, &f);
            if (!e) return lex_fault(r, err, KN_E_DATA, &f);
            if (el != cl || memcmp(en, cn, el) != 0)
                return fault(r, err, KN_E_DATA, s, -1, "end tag </%.*s> does not match <%.*s>", (int)el, en, (int)cl, cn);
            *end = e;
            if (!t.any) t.x = (kn__xml_ref){r->d + q, 0, 0};
            return add_entry(r, cn, cl, false, E_TEXT, t.x, NULL, p, err);
        }
        q = s;
    }
    node *nd = new_node(r, cn, cl);
    if (!nd) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    nd->text = t;
    if (!empty) KN_TRY(element_content(r, nd, q, 1, &q, err));
    *end = q;
    if (!nd->num_attrs && !nd->child) {
        if (!nd->text.any) nd->text.x = (kn__xml_ref){r->d + q, 0, 0};
        return add_entry(r, cn, cl, false, E_TEXT, nd->text.x, NULL, p, err);
    }
    return add_entry(r, cn, cl, false, E_NODE, (kn__xml_ref){0}, nd, p, err);
}

/* The record whose start tag is at d[at]: its entries; *end past its end tag. */
static kn_status read_record(kn_xml_reader *r, size_t at, size_t *end, const uint8_t **rname, size_t *rlen,
                             bool *start_ok, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    r->gen++;
    if (r->gen == 0) { /* wrapped: forget every key's last record */
        for (size_t k = 0; k < r->num_keys; k++) r->keys[k].gen = r->keys[k].stored_gen = 0;
        r->gen = 1;
    }
    r->num_entries = r->num_used = r->num_direct = 0;
    r->prev_key = UINT32_MAX;
    if (r->schema && !r->scan_fn) r->row0 = r->cols[0].length;
    kn_buf_clear(&r->scratch);
    kn_arena_reset(r->arena);
    lx->expansion_budget = r->opt.max_expansion ? r->opt.max_expansion * (at + 4096) + r->opt.max_entity_bytes : 0;
    bool empty = false;
    *rname = NULL;
    size_t p, rt = r->record_tag.len;
    if (rt && at + rt <= r->len && same_bytes(r->d + at, r->record_tag.data, rt)) { /* the last record's tag again */
        p = at + rt;
        *rname = r->d + at + 1;
        *rlen = rt - 2;
        lx->num_attrs = 0;
    } else {
        p = kn__xml_start_tag(lx, at, rname, rlen, &empty, &f);
        if (!p) return lex_fault(r, err, KN_E_DATA, &f);
        kn_buf_clear(&r->record_tag);
        if (!empty && p == at + *rlen + 2 && !kn_buf_append(&r->record_tag, r->d + at, p - at))
            kn_buf_clear(&r->record_tag); /* out of memory: only the fast way is lost */
    }
    *start_ok = true;
    const uint8_t *name = *rname;
    size_t nl = *rlen;
    /* Copied out: the children's start tags reuse the lexer's list. */
    size_t na = lx->num_attrs;
    for (size_t i = 0; i < na; i++) {
        kn__xml_attr a = lx->attrs[i];
        KN_TRY(add_entry(r, a.name, a.name_len, true, E_TEXT, a.value, NULL, (size_t)(a.name - r->d), err));
    }
    kn__xml_text own = {{r->d + p, 0, 0}, false};
    while (!empty) {
        if (p < r->len && r->d[p] != '<') p = kn__xml_text_run(lx, p, &own, &f);
        if (p == KN__XML_FAILED) return lex_fault(r, err, KN_E_DATA, &f);
        if (p == r->len) {
            r->truncated = true;
            return fault(r, err, KN_E_DATA, at, -1, "the record <%.*s> is never closed", (int)nl, name);
        }
        uint8_t c = p + 1 < r->len ? r->d[p + 1] : 0;
        if (c == '/') {
            if (p + nl + 3 <= r->len && r->d[p + nl + 2] == '>' && same_bytes(r->d + p + 2, name, nl)) {
                p += nl + 3; /* </name>, written as it usually is */
                break;
            }
            const uint8_t *en;
            size_t el;
            size_t q = kn__xml_end_tag(lx, p, &en, &el, &f);
            if (!q) return lex_fault(r, err, KN_E_DATA, &f);
            if (el != nl || memcmp(en, name, el) != 0)
                return fault(r, err, KN_E_DATA, p, -1, "end tag </%.*s> does not match <%.*s>", (int)el, en, (int)nl, name);
            p = q;
            break;
        }
        if (c == '!' || c == '?') {
            bool cdata;
            p = kn__xml_misc(lx, p, &own, &cdata, &f);
            if (!p) return lex_fault(r, err, KN_E_DATA, &f);
            continue;
        }
        kn_status st;
        if (predicted_leaf(r, p, &p, &st, err)) KN_TRY(st);
        else KN_TRY(record_child(r, p, &p, err));
    }
    const char *why;
    size_t bad = kn__xml_invalid_char(r->d + at, p - at, &why);
    if (bad < p - at) return fault(r, err, KN_E_DATA, at + bad, -1, "%s", why);
    if (own.any && !kn__xml_all_space(kn__xml_ref_bytes(&r->scratch, own.x), own.x.len))
        KN_TRY(add_entry(r, (const uint8_t *)"_text", 5, false, E_TEXT, own.x, NULL, at, err));
    *end = p;
    return KN_OK;
}

/* ---- JSON text of nested values ------------------------------------------------------------- */

static bool json_string(kn_buf *b, const uint8_t *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (!kn_buf_reserve(b, n + 2)) return false;
    b->data[b->len++] = '"';
    size_t chunk = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (!kn_buf_append(b, s + chunk, i - chunk)) return false;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t el = 2;
        if (c == '\n') e[1] = 'n';
        else if (c == '\t') e[1] = 't';
        else if (c == '\r') e[1] = 'r';
        else if (c < 0x20) e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15], el = 6;
        if (!kn_buf_append(b, e, el)) return false;
        chunk = i + 1;
    }
    return kn_buf_append(b, s + chunk, n - chunk) && kn_buf_push(b, '"');
}

static bool json_key(kn_xml_reader *r, kn_buf *b, const uint8_t *s, size_t n, bool attr) {
    const uint8_t *cn;
    size_t cl;
    if (!column_name(r, s, n, attr, &cn, &cl)) return true;
    /* column_name may return keybuf, which json_string does not touch */
    return json_string(b, cn, cl) && kn_buf_push(b, ':');
}

static bool json_node(kn_xml_reader *r, kn_buf *b, node *nd) {
    const uint8_t *text = kn__xml_ref_bytes(&r->scratch, nd->text.x);
    if (!nd->num_attrs && !nd->child) return json_string(b, nd->text.any ? text : NULL, nd->text.any ? nd->text.x.len : 0);
    if (!kn_buf_push(b, '{')) return false;
    bool first = true;
    for (size_t i = 0; i < nd->num_attrs; i++) {
        const kn__xml_attr *a = &nd->attrs[i];
        const uint8_t *cn;
        size_t cl;
        if (!column_name(r, a->name, a->name_len, true, &cn, &cl)) continue;
        if ((!first && !kn_buf_push(b, ',')) || !json_key(r, b, a->name, a->name_len, true) ||
            !json_string(b, kn__xml_ref_bytes(&r->scratch, a->value), a->value.len))
            return false;
        first = false;
    }
    for (node *c = nd->child; c; c = c->next) {
        if (c->done) continue;
        size_t same = 0;
        for (node *o = c; o; o = o->next) same += o->name_len == c->name_len && memcmp(o->name, c->name, c->name_len) == 0;
        if ((!first && !kn_buf_push(b, ',')) || !json_key(r, b, c->name, c->name_len, false)) return false;
        first = false;
        if (same > 1 && !kn_buf_push(b, '[')) return false;
        size_t k = 0;
        for (node *o = c; o; o = o->next) {
            if (o->name_len != c->name_len || memcmp(o->name, c->name, c->name_len) != 0) continue;
            if ((k++ && !kn_buf_push(b, ',')) || !json_node(r, b, o)) return false;
            o->done = true;
        }
        if (same > 1 && !kn_buf_push(b, ']')) return false;
    }
    if (nd->text.any && !kn__xml_all_space(text, nd->text.x.len)) {
        if ((!first && !kn_buf_push(b, ',')) || !json_string(b, (const uint8_t *)"_text", 5) || !kn_buf_push(b, ':') ||
            !json_string(b, kn__xml_ref_bytes(&r->scratch, nd->text.x), nd->text.x.len))
            return false;
    }
    return kn_buf_push(b, '}');
}

static bool json_entry(kn_xml_reader *r, kn_buf *b, const entry *e) {
    if (e->kind == E_NODE) return json_node(r, b, e->nd);
    return json_string(b, kn__xml_ref_bytes(&r->scratch, e->text), e->text.len);
}

/* The JSON text of key k's values in this record into r->json. */
static kn_status json_of_key(kn_xml_reader *r, const key *k, kn_error *err) {
    kn_buf *b = &r->json;
    kn_buf_clear(b);
    bool ok = true;
    if (k->count > 1) ok = kn_buf_push(b, '[');
    size_t n = 0;
    for (const entry *e = &k->one; ok && e; e = next_value(r, e), n++) ok = (!n || kn_buf_push(b, ',')) && json_entry(r, b, e);
    if (ok && k->count > 1) ok = kn_buf_push(b, ']');
    return ok ? KN_OK : kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
}

/* ---- values into columns -------------------------------------------------------------------- */

/* Text s[0..n) of the value at `at` into column f. */
/* Whether s[0..n) lies in the data (not in the scratch a decoded value is built in): the quick
 * ways read past a value's end. */
static inline bool readable(const kn_xml_reader *r, const uint8_t *s, size_t n) {
    uintptr_t at = (uintptr_t)s, lo = (uintptr_t)r->d, hi = lo + r->len;
    return at >= lo && at <= hi && hi - at >= n;
}

/* A leaf's text s[0..n) into the column of key ky, the quick way for its column's type when the
 * text has that shape, the data goes on past it and the column has room (each parser writes
 * only when it takes the text); else store_text. A string of up to 32 bytes is copied as a
 * fixed 32 bytes (two vector moves; the bytes past n are the next value's to overwrite). */
static kn_status store_leaf(kn_xml_reader *r, const key *ky, const uint8_t *s, size_t n, size_t at, kn_error *err) {
    kn_column *c = &r->cols[ky->field];
    const char *t = (const char *)s;
    size_t row = c->length;
    if (ky->quick == QUICK_NONE || row >= c->capacity || !readable(r, s, n + 32)) goto general;
    switch (ky->quick) {
    case QUICK_STRING:
        if (n > 32 || c->bytes.cap - c->bytes.len < 32 || c->bytes.len + 32 > UINT32_MAX) goto general;
        memcpy(c->bytes.data + c->bytes.len, s, 32);
        c->bytes.len += n;
        c->offsets[row + 1] = (uint32_t)c->bytes.len;
        break;
    case QUICK_INT64:
        if (!kn_parse_int_words(t, n, INT64_MIN, INT64_MAX, (int64_t *)c->values + row)) goto general;
        break;
    case QUICK_INT32: {
        int64_t v;
        if (!kn_parse_int_words(t, n, INT32_MIN, INT32_MAX, &v)) goto general;
        ((int32_t *)c->values)[row] = (int32_t)v;
        break;
    }
    case QUICK_DECIMAL: {
        const kn_type ty = r->schema->fields[ky->field].type;
        if (!kn_parse_decimal_words(t, n, ty.scale, kn_pow10_u64[ty.precision], (int64_t *)c->values + row)) goto general;
        break;
    }
    case QUICK_FLOAT64:
        if (!kn_parse_double_words(t, n, (double *)c->values + row)) goto general;
        break;
    case QUICK_BOOL:
        if (n == 4 && memcmp(s, "true", 4) == 0) ((uint8_t *)c->values)[row] = 1;
        else if (n == 5 && memcmp(s, "false", 5) == 0) ((uint8_t *)c->values)[row] = 0;
        else goto general;
        break;
    case QUICK_TIMESTAMP: /* UTC or no offset: the wall clock is the value */
        if (!kn_parse_iso_timestamp_us(t, n, (int64_t *)c->values + row)) goto general;
        break;
    default: goto general;
    }
    if (c->validity) c->validity[row >> 3] |= (uint8_t)(1u << (row & 7));
    c->length = row + 1;
    return KN_OK;
general:
    return store_text(r, ky->field, s, n, at, err);
}

static kn_status store_text(kn_xml_reader *r, long f, const uint8_t *s, size_t n, size_t at, kn_error *err) {
    kn_column *c = &r->cols[f];
    const kn_field *fd = &r->schema->fields[f];
    if (fd->type.id == KN_TYPE_STRING) return kn_column_append_str(c, s, n, err);
    while (n && kn__xml_is_space(s[0])) s++, n--;
    while (n && kn__xml_is_space(s[n - 1])) n--;
    /* Numbers in the JSON grammar (nearly all of them) straight to their parsers; the rest (a
     * '+', leading zeros, an empty value, a fault) through kn_cast_text, which reads the same. */
    int64_t i;
    double x;
    const char *t = (const char *)s;
    switch (fd->type.id) {
    case KN_TYPE_INT64:
        if (kn_parse_int_inline(t, n, INT64_MIN, INT64_MAX, &i) == KN_NUM_OK) return kn_column_append_i64(c, i, err);
        break;
    case KN_TYPE_INT32:
        if (kn_parse_int_inline(t, n, INT32_MIN, INT32_MAX, &i) == KN_NUM_OK) return kn_column_append_i32(c, (int32_t)i, err);
        break;
    case KN_TYPE_DECIMAL:
        if (fd->type.precision <= 18 && kn_parse_decimal64_inline(t, n, fd->type.precision, fd->type.scale, &i) == KN_NUM_OK)
            return kn_column_append_i64(c, i, err);
        break;
    case KN_TYPE_FLOAT64:
        if (kn_parse_double_inline(t, n, &x) == KN_NUM_OK) return kn_column_append_f64(c, x, err);
        break;
    default: break;
    }
    kn_cast_value v;
    kn_cast_status cs = kn_cast_text(fd->type, fd->format, (const char *)s, n, &v);
    if (cs == KN_CAST_EMPTY) {
        if (!fd->nullable) return fault(r, err, KN_E_DATA, at, f, "an empty value in a column that is not nullable");
        return kn_column_append_null(c, err);
    }
    if (cs != KN_CAST_OK) {
        char why[KN_ERROR_WHAT_MAX];
        return fault(r, err, KN_E_DATA, at, f, "%s", kn_cast_explain(cs, fd->type, fd->format, (const char *)s, n, why, sizeof why));
    }
    switch (fd->type.id) {
    case KN_TYPE_BOOL: return kn_column_append_bool(c, v.b, err);
    case KN_TYPE_INT32:
    case KN_TYPE_DATE: return kn_column_append_i32(c, v.i32, err);
    case KN_TYPE_FLOAT64: return kn_column_append_f64(c, v.f64, err);
    case KN_TYPE_DECIMAL:
        if (fd->type.precision > 18) return kn_column_append_i128(c, v.i128, err);
        return kn_column_append_i64(c, v.i64, err);
    default: return kn_column_append_i64(c, v.i64, err);
    }
}

static kn_status store_field(kn_xml_reader *r, long f, size_t rec_at, kn_error *err) {
    const kn_field *fd = &r->schema->fields[f];
    const key *ky = &r->keys[r->field_key[f]];
    if (ky->gen != r->gen) {
        if (!fd->nullable) return fault(r, err, KN_E_DATA, rec_at, f, "the record has no value for a column that is not nullable");
        return kn_column_append_null(&r->cols[f], err);
    }
    const entry *e = &ky->one;
    if (ky->stored_gen == r->gen && ky->count == 1) return KN_OK; /* stored as it was read */
    if (fd->type.json) {
        KN_TRY(json_of_key(r, ky, err));
        return kn_column_append_str(&r->cols[f], r->json.data, r->json.len, err);
    }
    if (ky->count > 1)
        return fault(r, err, KN_E_DATA, next_value(r, e)->at, f,
                     "the column has %u values in one record (a repeated element, or an attribute and an element of "
                     "one name: make the column json, or give --attribute-prefix)", ky->count);
    if (e->kind == E_NODE)
        return fault(r, err, KN_E_DATA, e->at, f, "the element has attributes or child elements: its column must be json");
    return store_text(r, f, kn__xml_ref_bytes(&r->scratch, e->text), e->text.len, e->at, err);
}

static kn_status store_record(kn_xml_reader *r, size_t rec_at, kn_error *err) {
    /* Every column's value went straight in, and nothing repeated: nothing is left to store. */
    if (r->num_direct == r->schema->num_fields && r->num_entries == 0) return KN_OK;
    size_t row0 = r->row0;
    for (size_t f = 0; f < r->schema->num_fields; f++) {
        kn_column *c = &r->cols[f];
        kn_status st = c->capacity - c->length < 1 ? kn_column_reserve(c, 1024, 0, err) : KN_OK;
        if (st == KN_OK) st = store_field(r, (long)f, rec_at, err);
        if (st != KN_OK) {
            for (size_t g = 0; g < r->schema->num_fields; g++) kn_column_truncate(&r->cols[g], row0);
            return st;
        }
    }
    return KN_OK;
}

static kn_status scan_record(kn_xml_reader *r, kn_error *err) {
    for (size_t u = 0; u < r->num_used; u++) {
        const key *k = &r->keys[r->used[u]];
        const entry *e = &k->one;
        kn_scan_value v = {(const char *)r->key_names.data + k->off, k->len, KN_SCAN_TEXT, NULL, 0};
        if (k->count == 1 && e->kind == E_TEXT) {
            v.text = (const char *)kn__xml_ref_bytes(&r->scratch, e->text);
            v.text_len = e->text.len;
        } else {
            KN_TRY(json_of_key(r, k, err));
            v.kind = KN_SCAN_NESTED;
            v.text = (const char *)r->json.data;
            v.text_len = r->json.len;
        }
        KN_TRY(r->scan_fn(r->scan_ctx, &v, err));
    }
    return KN_OK;
}

/* ---- between records -------------------------------------------------------------------------- */

static bool is_row_tag(const kn_xml_reader *r, const uint8_t *name, size_t n) {
    return n == r->row_tag_len && memcmp(name, r->opt.row_tag, n) == 0;
}

/* The characters of d[from, to), outside any record: damage when not UTF-8 or not XML's. */
static kn_status span_chars(kn_xml_reader *r, size_t from, size_t to, kn_error *err) {
    const char *why;
    size_t bad = kn__xml_invalid_char(r->d + from, to - from, &why);
    return bad < to - from ? fault(r, err, KN_E_FORMAT, from + bad, -1, "%s", why) : KN_OK;
}

/* Reads on from r->cur over what lies between records, to the next record's start tag (*found,
 * *at) or the end of the data. Damage is KN_E_FORMAT. */
static kn_status seek_record(kn_xml_reader *r, size_t *at, bool *found, kn_error *err) {
    kn__xml_lexer *lx = &r->lx;
    kn__xml_fault f;
    size_t p = r->cur, from = p;
    *found = false;
    lx->expansion_budget = r->opt.max_expansion ? r->opt.max_expansion * (p + 4096) + r->opt.max_entity_bytes : 0;
    for (;;) {
        size_t t = p;
        p = kn__xml_text_run(lx, p, NULL, &f);
        if (p == KN__XML_FAILED) return lex_fault(r, err, KN_E_FORMAT, &f);
        if ((r->epilogue || r->opt.row_tag) && p > t && !kn__xml_all_space(r->d + t, p - t)) {
            if (r->epilogue) return fault(r, err, KN_E_FORMAT, t, -1, "text after the end of the document element");
            r->content_after = true;
        }
        if (p == r->len) break;
        if (p + 1 == r->len) { /* a '<' and nothing after: what it starts is not known */
            r->truncated = true;
            return fault(r, err, KN_E_FORMAT, p, -1, "the data ends inside markup");
        }
        uint8_t c = r->d[p + 1];
        if (c == '!' || c == '?') {
            bool cdata;
            size_t q = kn__xml_misc(lx, p, NULL, &cdata, &f);
            if (!q) return lex_fault(r, err, KN_E_FORMAT, &f);
            if (cdata && r->epilogue) return fault(r, err, KN_E_FORMAT, p, -1, "a CDATA section after the end of the document element");
            p = q;
            continue;
        }
        const uint8_t *nm;
        size_t nl;
        if (c == '/') {
            size_t q = kn__xml_end_tag(lx, p, &nm, &nl, &f);
            if (!q) return lex_fault(r, err, KN_E_FORMAT, &f);
            if (r->epilogue) return fault(r, err, KN_E_FORMAT, p, -1, "an end tag after the end of the document element");
            if (!r->opt.row_tag) { /* the only end tag between records is the document element's */
                const char *root = r->file->root;
                if (nl != strlen(root) || memcmp(nm, root, nl) != 0)
                    return fault(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> does not match <%s>", (int)nl, nm, root);
                r->epilogue = true;
            } else if (r->depth) {
                if (r->stack[r->depth - 1].n != nl || memcmp(r->stack[r->depth - 1].p, nm, nl) != 0)
                    return fault(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> does not match <%.*s>", (int)nl, nm,
                                 (int)r->stack[r->depth - 1].n, r->stack[r->depth - 1].p);
                if (--r->depth == 0 && r->depth_known) r->epilogue = true;
            } else if (r->depth_known) {
                return fault(r, err, KN_E_FORMAT, p, -1, "end tag </%.*s> with no start tag", (int)nl, nm);
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
        if (r->epilogue) return fault(r, err, KN_E_FORMAT, p, -1, "a second document element (only one may be at the top)");
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
        if (!q) return lex_fault(r, err, KN_E_FORMAT, &f);
        if (!empty && !push(r, nm, nl)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        p = q;
    }
    KN_TRY(span_chars(r, from, r->len, err));
    r->cur = r->len;
    if (r->at_file_end && !r->epilogue && (!r->opt.row_tag || r->depth_known))
        return fault(r, err, KN_E_FORMAT, r->len, -1, "the data ends before the document element <%s> is closed",
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
static kn_status one_record(kn_xml_reader *r, size_t at, kn_error *err) {
    size_t end = at;
    const uint8_t *name = NULL;
    size_t nl = 0;
    bool start_ok = false;
    kn_status st = read_record(r, at, &end, &name, &nl, &start_ok, err);
    if (st == KN_OK) st = r->scan_fn ? scan_record(r, err) : store_record(r, at, err);
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
        KN_TRY(seek_record(r, &at, &found, err));
        if (!found || at >= r->stop) {
            *done = true;
            return r->file->seams && !r->partial ? hand_in_seam(r, err) : KN_OK;
        }
        KN_TRY(one_record(r, at, err));
    }
}

kn_status kn_xml_reader_scan(kn_xml_reader *r, kn_scan_fn fn, void *ctx, bool *done, kn_error *err) {
    *done = false;
    size_t at;
    bool found;
    KN_TRY(seek_record(r, &at, &found, err));
    if (!found || at >= r->stop) {
        *done = true;
        return KN_OK;
    }
    r->scan_fn = fn;
    r->scan_ctx = ctx;
    kn_status st = one_record(r, at, err);
    r->scan_fn = NULL;
    return st;
}

/* ---- morsels ------------------------------------------------------------------------------- */

/* True when d[p] lies inside markup that runs from `open` to `close` (a comment, CDATA, a PI):
 * the next `close` comes before the next `open`. */
static bool inside(const uint8_t *d, size_t len, size_t p, const char *open, const char *close) {
    const uint8_t *c = memmem(d + p, len - p, close, strlen(close));
    if (!c) return false;
    const uint8_t *o = memmem(d + p, (size_t)(c - d) - p, open, strlen(open));
    return o == NULL;
}

size_t kn_xml_record_start_guess(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data,
                                 size_t len, size_t pos) {
    const char *tag = opt->row_tag ? opt->row_tag : file->first_record;
    if (!tag) return len;
    size_t tl = strlen(tag);
    /* A look ahead this far settles almost every candidate; beyond it, a wrong guess costs a reread. */
    size_t horizon = (size_t)64 << 10;
    for (size_t i = pos; i + tl + 1 < len;) {
        const uint8_t *p = memchr(data + i, '<', len - i);
        if (!p) break;
        i = (size_t)(p - data);
        if (i + tl + 1 < len && memcmp(p + 1, tag, tl) == 0) {
            uint8_t c = p[1 + tl];
            if (c == '>' || c == '/' || kn__xml_is_space(c)) {
                size_t lim = len - i > horizon ? i + horizon : len;
                if (!inside(data, lim, i, "<!--", "-->") && !inside(data, lim, i, "<![CDATA[", "]]>") &&
                    !inside(data, lim, i, "<?", "?>"))
                    return i;
            }
        }
        i++;
    }
    return len;
}

static kn_status prefix_scan(void *ctx, const kn_scan_value *v, kn_error *err) {
    (void)ctx, (void)v, (void)err;
    return KN_OK;
}

size_t kn_xml_complete_prefix(const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *data, size_t len,
                              bool at_eof) {
    if (at_eof) return len;
    kn_xml_reader *r;
    if (kn_xml_reader_create(NULL, opt, &r, NULL) != KN_OK) return 0;
    kn_xml_file none = {0};
    none.file_len = UINT64_MAX;
    none.data_start = 1; /* not this data's start: nothing about the elements around it is assumed */
    kn_xml_reader_reset(r, file ? file : &none, data, len, len, "", UINT64_MAX / 2);
    r->at_file_end = false;
    r->partial = true;
    r->depth_known = false;
    r->depth = 0;
    size_t last = 0;
    for (;;) {
        size_t at;
        bool found;
        if (seek_record(r, &at, &found, NULL) != KN_OK || !found) break;
        last = at;
        r->scan_fn = prefix_scan;
        kn_status st = one_record(r, at, NULL);
        r->scan_fn = NULL;
        if (st == KN_E_DATA && r->truncated) break;
        if (st != KN_OK && st != KN_E_DATA) break;
    }
    kn_xml_reader_free(r);
    return last;
}
