/* formats/parquet/kn_pq_schema.h: how each kiln field becomes a Parquet leaf column (physical
 * type, width, annotations, statistics order), and the footer's SchemaElement list.
 * The mapping is the table in kn_pq_writer.h. */
#ifndef KN_PQ_SCHEMA_H
#define KN_PQ_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "kn_pq_stats.h"
#include "kn_pq_thrift.h"
#include "kn_schema.h"
#include "kn_status.h"

typedef struct kn_pq_leaf {
    const char *name;  /* borrowed from the writer's schema copy */
    kn_type type;
    bool nullable;     /* OPTIONAL with one definition level, else REQUIRED */
    int physical;      /* KN_PQ_BOOLEAN ... */
    int width;         /* bytes per physical value as staged: 1 for BOOLEAN, 0 for BYTE_ARRAY */
    bool convert;      /* the kiln values need converting to physical ones (decimal, INT96) */
    bool dictionary;   /* worth a dictionary (everything but BOOLEAN) */
    kn_pq_order order;
} kn_pq_leaf;

/* Describes `f` (borrowed; must outlive the leaf). KN_E_UNSUPPORTED for a type kiln cannot
 * write. */
kn_status kn_pq_leaf_init(const kn_field *f, bool timestamp_int96, kn_pq_leaf *out,
                          kn_error *err);

/* Writes FileMetaData's field `id`: the root element named "schema" with `n` children and no
 * type or repetition, then one element per leaf. */
void kn_pq_schema_write(kn_tc *t, int16_t id, const kn_pq_leaf *leaves, size_t n);

#endif
