/* tests/parquet_read/pqr_test_tc.h: a Thrift compact protocol encoder for the reader's tests,
 * and a builder for a footer (FileMetaData) and a whole file around it, so tests can make
 * well-formed bytes and then damage them on purpose. Test code only. */
#ifndef PQR_TEST_TC_H
#define PQR_TEST_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"

typedef struct tw {
    kn_buf b;
    int16_t last[64]; /* the last field id of each open struct */
    int depth;
    bool long_ids; /* every field header in the long form */
} tw;

void tw_init(tw *w);
void tw_free(tw *w);

void tw_byte(tw *w, uint8_t v);
void tw_varint(tw *w, uint64_t v);
void tw_zigzag(tw *w, int64_t v);
/* A field header; `long_form` writes the id as a zigzag varint instead of a delta. */
void tw_field_hdr(tw *w, int16_t id, uint8_t type, bool long_form);
void tw_field(tw *w, int16_t id, uint8_t type);
/* A struct's start (a field header first when id >= 0) and its STOP. */
void tw_struct_begin(tw *w, int16_t id);
void tw_struct_end(tw *w);
/* Fields. tw_int writes BYTE as one byte and I16/I32/I64 as zigzag varints. */
void tw_int(tw *w, int16_t id, uint8_t type, int64_t v);
void tw_i32(tw *w, int16_t id, int64_t v);
void tw_i64(tw *w, int16_t id, int64_t v);
void tw_bool(tw *w, int16_t id, bool v);
void tw_double(tw *w, int16_t id, double v);
void tw_bin(tw *w, int16_t id, const void *p, size_t n);
void tw_str(tw *w, int16_t id, const char *s);
/* A list header (a field header first when id >= 0). */
void tw_list(tw *w, int16_t id, uint8_t elem_type, size_t n);
/* Unknown fields of every wire type, nested containers included, from id `first` up. */
void tw_unknown_fields(tw *w, int16_t first);

/* The test footer: schema root "schema" with 4 children:
 *   id   INT64 REQUIRED, INTEGER(64,true) / INT_64, field_id 1
 *   name BYTE_ARRAY OPTIONAL, STRING / UTF8
 *   tags OPTIONAL group LIST { REPEATED group list { OPTIONAL BYTE_ARRAY element STRING } }
 *   ts   INT64 OPTIONAL, TIMESTAMP(MICROS,true) / TIMESTAMP_MICROS
 * so leaves id, name, tags.list.element, ts; 2 row groups of 3 and 2 rows; key/value
 * metadata k1=v1 and k2 (no value); created_by "kiln version 0.1.0 (build test)"; one
 * TYPE_ORDER per leaf. Column chunk c of row group g starts at 4 + 1000 * g + 100 * c. */
typedef struct footer_spec {
    bool unknown_fields; /* unknown fields of every type in every struct */
    bool long_ids;       /* long-form field headers everywhere */
    bool wrong_types;    /* extra copies of known fields with the wrong wire type (to be skipped) */
    int root_children;   /* 0: the right count (4) */
    bool omit_file_offset; /* leave out the required ColumnChunk.file_offset */
    int chunks_in_rg1;   /* 0: 4 */
} footer_spec;

void footer_build(tw *w, const footer_spec *spec);
/* PAR1, `body_len` filler bytes, the footer, its length, PAR1. */
void file_build(kn_buf *out, const uint8_t *footer, size_t footer_len, size_t body_len);

#endif
