/* formats/parquet/kn_pqr_schema.h: turns the footer's flat, depth-first schema list into its
 * leaves (columns) with their paths and levels (internal to kn_parquet_read). */
#ifndef KN_PQR_SCHEMA_H
#define KN_PQR_SCHEMA_H

#include "kn_pqr.h"

/* Fills m->leaves from m->schema (not empty), allocating in m's arena. Fails with KN_E_FORMAT
 * when the num_children counts do not describe one tree that uses every element, when a leaf
 * has no physical type, or when the paths would take more memory than the footer justifies. */
kn_status kn__pqr_schema_build(kn_pqr_meta *m, const char *name, kn_error *err);

#endif
