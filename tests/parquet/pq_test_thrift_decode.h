/* tests/parquet/pq_test_thrift_decode.h: a small Thrift compact protocol decoder into a tree,
 * so the writer tests can look inside page headers and footers without a Parquet reader. Test
 * code only: it trusts its input no more than it must (returns NULL on a truncated buffer). */
#ifndef PQ_TEST_THRIFT_DECODE_H
#define PQ_TEST_THRIFT_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tn {
    int16_t id;            /* field id; the index for list elements */
    uint8_t type;          /* compact type; bools as KN_TC_BOOL_TRUE with i = 0 or 1 */
    int64_t i;             /* integers and bools */
    double d;
    const uint8_t *bin;    /* binary: borrowed from the input */
    size_t len;
    struct tn *kids;       /* struct fields or list elements (owned) */
    size_t nkids;
} tn;

/* Decodes one struct at p[0..len). Returns the bytes used, or 0 on malformed input. */
size_t tn_parse(const uint8_t *p, size_t len, tn *out);
void tn_free(tn *t);
/* The field `id` of a struct node, or NULL. */
const tn *tn_get(const tn *t, int16_t id);
/* A path of field ids, e.g. tn_path(fmd, 4, 0, 1) is not supported: use tn_get repeatedly. */
static inline const tn *tn_elem(const tn *t, size_t k) { return t && k < t->nkids ? &t->kids[k] : NULL; }
static inline int64_t tn_int(const tn *t, int64_t missing) { return t ? t->i : missing; }

#endif
