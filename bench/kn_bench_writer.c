/* bench/kn_bench_writer.c: single-thread throughput of the Parquet writer.
 *
 * Writes 10 million rows of two columns, an int64 (ids with small random gaps: all distinct,
 * so the dictionary fills and the chunk falls back to PLAIN, the common case for keys) and a
 * short string (8 to 16 bytes, 50,000 distinct values: dictionary-encoded throughout), through
 * kn_pq_writer to a file, once per codec, three runs each, and prints the median. Throughput is
 * column data in: 8 bytes per int64, and per string its bytes plus 4 (Parquet's length prefix).
 * The batches are built before the clock starts; the clock covers create, write and close.
 *
 * Usage: kn_bench_writer [OUTPUT.parquet] [ROWS] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_file.h"
#include "kn_pq_writer.h"
#include "kn_schema.h"

#define BATCH_ROWS 65536
#define DISTINCT_STRINGS 50000
#define RUNS 3

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what, const kn_error *e) {
    char buf[1024];
    kn_error_format(e, buf, sizeof buf);
    fprintf(stderr, "kn_bench_writer: %s: %s\n", what, buf);
    exit(1);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/tmp/kn_bench_writer.parquet";
    size_t rows = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 10000000;
    kn_error e;
    kn_error_reset(&e);
    kn_schema *schema = kn_schema_create();
    if (kn_schema_add(schema, "id", kn_type_make(KN_TYPE_INT64), false, &e) != KN_OK ||
        kn_schema_add(schema, "name", kn_type_make(KN_TYPE_STRING), false, &e) != KN_OK)
        fail("schema", &e);

    /* The string pool: DISTINCT_STRINGS values of 8..16 bytes. */
    static char pool[DISTINCT_STRINGS][17];
    static uint8_t pool_len[DISTINCT_STRINGS];
    for (size_t i = 0; i < DISTINCT_STRINGS; i++) {
        int len = 8 + (int)(next_rand() % 9);
        int n = snprintf(pool[i], sizeof pool[i], "u%zx-", i);
        for (int k = n; k < len; k++) pool[i][k] = (char)('a' + next_rand() % 26);
        pool[i][len] = '\0';
        pool_len[i] = (uint8_t)len;
    }

    size_t nbatches = (rows + BATCH_ROWS - 1) / BATCH_ROWS;
    kn_batch **batches = kn_calloc(nbatches, sizeof *batches);
    uint64_t bytes_in = 0;
    int64_t id = 1000000000;
    for (size_t b = 0; b < nbatches; b++) {
        size_t n = rows - b * BATCH_ROWS < BATCH_ROWS ? rows - b * BATCH_ROWS : BATCH_ROWS;
        if (kn_batch_create(schema, n, &batches[b], &e) != KN_OK) fail("batch", &e);
        kn_batch *bt = batches[b];
        if (kn_column_reserve(&bt->columns[1], n, n * 16, &e) != KN_OK) fail("batch", &e);
        for (size_t i = 0; i < n; i++) {
            id += 1 + (int64_t)(next_rand() % 4);
            kn_column_append_i64(&bt->columns[0], id, &e);
            /* Skewed toward the first values, as real names and codes are. */
            uint64_t r = next_rand();
            size_t k = (size_t)((r % DISTINCT_STRINGS) * ((r >> 32) % 1000) / 1000);
            kn_column_append_str(&bt->columns[1], pool[k], pool_len[k], &e);
            bytes_in += 8 + 4 + pool_len[k];
        }
        if (kn_batch_seal(bt, &e) != KN_OK) fail("batch", &e);
    }

    printf("kn_bench_writer: %zu rows (int64 + string), %.1f MB of column data, single thread\n",
           rows, (double)bytes_in / 1e6);
    const kn_codec codecs[] = {KN_CODEC_SNAPPY, KN_CODEC_ZSTD};
    for (size_t c = 0; c < 2; c++) {
        double secs[RUNS];
        uint64_t file_bytes = 0;
        for (int run = 0; run < RUNS; run++) {
            kn_pq_options opt;
            kn_pq_options_init(&opt);
            opt.codec = codecs[c];
            double t0 = now_sec();
            kn_sink *sink;
            kn_pq_writer *w;
            if (kn_file_sink_create(path, NULL, &sink, &e) != KN_OK) fail("sink", &e);
            if (kn_pq_writer_create(schema, sink, &opt, &w, &e) != KN_OK) fail("create", &e);
            for (size_t b = 0; b < nbatches; b++)
                if (kn_pq_writer_write(w, batches[b], &e) != KN_OK) fail("write", &e);
            kn_pq_file_info info;
            if (kn_pq_writer_close(w, &info, &e) != KN_OK) fail("close", &e);
            secs[run] = now_sec() - t0;
            file_bytes = info.file_bytes;
        }
        qsort(secs, RUNS, sizeof secs[0], cmp_double);
        double median = secs[RUNS / 2];
        printf("%-7s median %.3f s  %7.1f MB/s  (runs %.3f %.3f %.3f s)  file %.1f MB\n",
               kn_codec_name(codecs[c]), median, (double)bytes_in / 1e6 / median, secs[0], secs[1],
               secs[2], (double)file_bytes / 1e6);
    }
    for (size_t b = 0; b < nbatches; b++) kn_batch_free(batches[b]);
    kn_free(batches);
    kn_schema_free(schema);
    return 0;
}
