/* tests/fuzz/kn_fuzz_ndjson.c: libFuzzer target for the NDJSON reader.
 *
 * Feeds arbitrary bytes to the scalar structural scanner and a SIMD twin (AVX2, or on inputs of
 * odd length AVX-512, as the CPU has them) with a schema of every column type plus the scan
 * mode used by inference, and aborts when the scanners disagree or a reader invariant breaks
 * (rows that do not add up, a bad record leaving values behind). Memory errors are the
 * sanitizers' to find. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kn_cpu.h"
#include "kn_ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kn_schema *schema;

static kn_schema *make_schema(void) {
    kn_schema *s = kn_schema_create();
    kn_schema_add(s, "a", kn_type_make(KN_TYPE_INT64), true, NULL);
    kn_schema_add(s, "b", kn_type_make(KN_TYPE_STRING), true, NULL);
    kn_schema_add(s, "c", kn_type_make(KN_TYPE_FLOAT64), true, NULL);
    kn_schema_add(s, "d", kn_type_decimal(12, 2), true, NULL);
    kn_schema_add(s, "e", kn_type_decimal(30, 5), true, NULL);
    kn_schema_add(s, "f", kn_type_timestamp(true), true, NULL);
    kn_schema_add(s, "g", kn_type_make(KN_TYPE_DATE), true, NULL);
    kn_schema_add(s, "h", kn_type_make(KN_TYPE_BOOL), true, NULL);
    kn_schema_add(s, "i", kn_type_make(KN_TYPE_INT32), false, NULL);
    kn_schema_add(s, "j", kn_type_timestamp(false), true, NULL);
    kn_schema_set_format(s, 9, "%d/%m/%Y %H:%M:%S.%f%z", NULL);
    return s;
}

static size_t run(kn_ndjson_simd simd, const uint8_t *data, size_t size, kn_batch **out, uint64_t *bad) {
    kn_ndjson_options opt;
    kn_ndjson_options_init(&opt);
    opt.simd = simd;
    kn_ndjson_reader *r;
    kn_error e;
    if (kn_ndjson_reader_create(schema, &opt, &r, &e) != KN_OK) abort();
    if (kn_batch_create(schema, 8, out, &e) != KN_OK) abort();
    kn_ndjson_reader_reset(r, data, size, "fuzz", 0, true);
    *bad = 0;
    for (;;) {
        bool done = false;
        kn_status st = kn_ndjson_reader_next(r, *out, &done, &e);
        if (st == KN_E_DATA) {
            (*bad)++;
            continue;
        }
        if (st != KN_OK) abort();
        if (done) break;
    }
    if (kn_batch_seal(*out, &e) != KN_OK) abort(); /* columns of unequal length: a rollback bug */
    size_t records = (size_t)kn_ndjson_reader_records(r);
    kn_ndjson_reader_free(r);
    return records;
}

static kn_status count_member(void *ctx, const kn_ndjson_member *m, kn_error *err) {
    (void)err;
    *(size_t *)ctx += m->key_len + m->text_len;
    return KN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!schema) schema = make_schema();
    kn_batch *b1, *b2 = NULL;
    uint64_t bad1, bad2 = 0;
    size_t rec1 = run(KN_NDJSON_SIMD_SCALAR, data, size, &b1, &bad1);
    if (b1->num_rows + bad1 != rec1) abort();
    if (kn_cpu()->avx2) {
        kn_ndjson_simd twin = size % 2 && kn_cpu()->avx512 ? KN_NDJSON_SIMD_AVX512 : KN_NDJSON_SIMD_AVX2;
        size_t rec2 = run(twin, data, size, &b2, &bad2);
        if (rec1 != rec2 || bad1 != bad2 || b1->num_rows != b2->num_rows) abort();
        for (size_t f = 0; f < schema->num_fields; f++) {
            const kn_column *x = &b1->columns[f], *y = &b2->columns[f];
            size_t w = kn_type_width(x->type);
            if (x->null_count != y->null_count) abort();
            if (w ? memcmp(x->values, y->values, w * x->length) != 0
                  : x->bytes.len != y->bytes.len || (x->bytes.len && memcmp(x->bytes.data, y->bytes.data, x->bytes.len)))
                abort();
        }
    }
    kn_batch_free(b1);
    kn_batch_free(b2);
    kn_ndjson_reader *r;
    if (kn_ndjson_reader_create(NULL, NULL, &r, NULL) != KN_OK) abort();
    kn_ndjson_reader_reset(r, data, size, "fuzz", 0, true);
    size_t total = 0;
    for (int guard = 0; guard < 1 << 20; guard++) {
        bool done = false;
        kn_status st = kn_ndjson_reader_scan(r, count_member, &total, &done, NULL);
        if (st != KN_OK && st != KN_E_DATA) abort();
        if (done) break;
    }
    kn_ndjson_reader_free(r);
    return 0;
}
