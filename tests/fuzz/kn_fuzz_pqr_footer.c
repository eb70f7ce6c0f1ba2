/* tests/fuzz/kn_fuzz_pqr_footer.c: libFuzzer target for the Parquet footer and page-header
 * reader (kn_parquet_read).
 *
 * Each input is tried four ways: as a Thrift FileMetaData, as a whole file, wrapped into a file
 * (PAR1, the bytes as the footer, their length, PAR1), and as a page header. Whatever decodes
 * is then walked the way `kiln inspect` walks it (required-field check, every statistic
 * formatted for display). The reader must answer KN_OK, KN_E_FORMAT or KN_E_UNSUPPORTED; any
 * other status aborts. Memory errors and leaks are the sanitizers' to find. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_pqr.h"
#include "kn_pqr_show.h"
#include "kn_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(kn_status st) {
    if (st != KN_OK && st != KN_E_FORMAT && st != KN_E_UNSUPPORTED) abort();
}

static void show(const kn_pqr_schema_element *e, const kn_pqr_bytes *v, kn_buf *tmp) {
    if (!v->data) return;
    kn_buf_clear(tmp);
    if (!kn_pqr_value_format(e, v->data, v->len, 64, tmp)) abort();
}

static void walk(const kn_pqr_meta *m) {
    kn_buf tmp = KN_BUF_INIT;
    char buf[128];
    kn_pqr_meta_check_required(m, NULL);
    for (size_t i = 0; i < m->num_schema; i++) kn_pqr_logical_format(&m->schema[i].logical, buf, sizeof buf);
    for (size_t g = 0; g < m->num_row_groups; g++) {
        const kn_pqr_row_group *rg = &m->row_groups[g];
        if (rg->num_columns != m->num_leaves) abort(); /* the reader promises this */
        for (size_t c = 0; c < rg->num_columns; c++) {
            const kn_pqr_schema_element *e = &m->schema[m->leaves[c].element];
            const kn_pqr_stats *s = &rg->columns[c].meta_data.statistics;
            show(e, &s->min, &tmp);
            show(e, &s->max, &tmp);
            show(e, &s->min_value, &tmp);
            show(e, &s->max_value, &tmp);
            uint64_t start, len;
            kn_pqr_chunk_range(&rg->columns[c].meta_data, &start, &len, NULL);
        }
    }
    kn_buf_free(&tmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kn_pqr_meta *m = NULL;
    kn_error err;

    kn_error_reset(&err);
    kn_status st = kn_pqr_meta_decode(data, size, 4, "fuzz", &m, &err);
    expect(st);
    if (st == KN_OK) walk(m);
    kn_pqr_meta_free(m);
    m = NULL;

    kn_source *src = kn_mem_source_create(data, size, "fuzz");
    if (!src) return 0;
    st = kn_pqr_meta_read(src, &m, &err);
    expect(st);
    if (st == KN_OK) walk(m);
    kn_pqr_meta_free(m);
    m = NULL;
    kn_pqr_page_header h;
    size_t hlen;
    kn_buf scratch = KN_BUF_INIT;
    if (size > 0) expect(kn_pqr_page_header_read(src, size / 2, size, &scratch, &h, &hlen, &err));
    kn_buf_free(&scratch);
    kn_source_free(src);

    uint8_t *file = kn_malloc(size + 12);
    if (!file) return 0;
    memcpy(file, "PAR1", 4);
    if (size) memcpy(file + 4, data, size);
    uint32_t n = (uint32_t)size;
    for (int i = 0; i < 4; i++) file[4 + size + (size_t)i] = (uint8_t)(n >> (8 * i));
    memcpy(file + size + 8, "PAR1", 4);
    src = kn_mem_source_create(file, size + 12, "fuzz.parquet");
    if (src) {
        st = kn_pqr_meta_read(src, &m, &err);
        expect(st);
        if (st == KN_OK) walk(m);
        kn_pqr_meta_free(m);
        kn_source_free(src);
    }
    kn_free(file);

    expect(kn_pqr_page_header_decode(data, size, 0, "fuzz", &h, &hlen, &err));
    return 0;
}
