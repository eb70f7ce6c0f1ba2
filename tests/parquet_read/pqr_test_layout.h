/* tests/parquet_read/pqr_test_layout.h: writing files with kiln's writer and checking their
 * physical layout through kn_parquet_read, for test_parquet_layout. check_layout() asserts what
 * tests/parquet_read/parquet-checklist.md asks of every file (numbers in its comments are the items). */
#ifndef PQR_TEST_LAYOUT_H
#define PQR_TEST_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"
#include "kn_column.h"
#include "kn_pq_writer.h"
#include "kn_pqr.h"
#include "kn_pqr_index.h"
#include "kn_schema.h"

/* Fills rows [first, first + n) of a batch; the batch is empty when called. */
typedef void (*fill_fn)(kn_batch *b, size_t first, size_t n, void *ctx);

/* Writes `rows` rows, `batch_rows` at a time, into `out` (an in-memory file). */
void write_file(const kn_schema *schema, const kn_pq_options *opt, size_t rows, size_t batch_rows, fill_fn fill,
                void *ctx, kn_buf *out, kn_pq_file_info *info);
/* The footer of an in-memory file (asserts it reads). */
kn_pqr_meta *read_meta(const kn_buf *file);
kn_schema *schema_of(const char *const *names, const kn_type *types, const bool *nullable, size_t n);

typedef struct {
    uint64_t offset;
    size_t header_len;
    kn_pqr_page_header h; /* statistics cleared: they pointed into a scratch buffer */
} page_info;

typedef struct {
    page_info *pages; /* malloc'd; free() it */
    size_t n;
    uint64_t compressed;   /* headers + compressed bodies */
    uint64_t uncompressed; /* headers + uncompressed bodies */
} chunk_pages;

/* Every page of a chunk, from its first byte (dictionary page or first data page). */
void walk_chunk(const kn_buf *file, const kn_pqr_column_meta *cm, chunk_pages *out);
bool has_encoding(const kn_pqr_column_meta *cm, int32_t enc);
int32_t encoding_stats_count(const kn_pqr_column_meta *cm, int32_t page_type, int32_t enc);

/* Compares two statistics or page index bounds of physical type `physical` (kiln's types: signed
 * integers, doubles, big-endian decimals, unsigned bytes): <0, 0, >0. */
int bound_cmp(int32_t physical, const kn_pqr_bytes *a, const kn_pqr_bytes *b);
/* The chunk's page index (asserts it reads); free with kn_pqr_page_index_free. */
void read_page_index(const kn_buf *file, const kn_pqr_column_chunk *cc, kn_pqr_page_index **out);

typedef struct {
    size_t dictionary_pages; /* over the whole file */
    size_t plain_pages;
    size_t dict_data_pages;
    size_t data_pages;
} layout_counts;

/* Asserts every layout rule for a file written from `schema` with `codec` (a KN_PQ_CODEC_*);
 * fills `counts` (may be NULL). */
void check_layout(const kn_buf *file, const kn_pqr_meta *m, const kn_schema *schema, int32_t codec,
                  layout_counts *counts);

#endif
