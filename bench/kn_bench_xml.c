/* bench/kn_bench_xml.c: the XML reader alone (bytes in memory -> column batches), one thread,
 * per text-scan twin (scalar, AVX2). The floor to compare with, libxml2's `xmllint --stream`
 * over the same file, is bench.sh's (--format xml).
 *
 *   kn_bench_xml --file FILE --schema YAML [--row-tag NAME] [--runs R] [--only scalar|avx2]
 *
 * FILE is read into memory (e.g. a shard of `kn_gen_orders --format xml`; YAML its schema,
 * `kn_gen_orders --print-schema`). The prologue runs once; then the bytes are parsed in 8 MiB
 * morsels cut where the reader really ended the previous one, a batch cleared per morsel, as
 * the convert pipeline does. Prints MB/s (10^6 bytes, the whole file counted) as the median of
 * R runs per twin, by wall time and by this thread's CPU time (the steadier of the two on a
 * shared machine). Bad records are counted, not fatal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kn_alloc.h"
#include "kn_cpu.h"
#include "kn_schema_file.h"
#include "kn_xml.h"

#define MORSEL_BYTES ((size_t)8 << 20)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, const kn_error *e) {
    char m[700];
    kn_error_format(e, m, sizeof m);
    fprintf(stderr, "kn_bench_xml: %s: %s\n", what, m);
}

typedef struct pass {
    double wall, cpu;
    uint64_t rows, bad;
} pass;

static int run_once(const kn_schema *schema, const kn_xml_options *opt, const kn_xml_file *file, const uint8_t *d,
                    size_t len, pass *out) {
    kn_xml_reader *r;
    kn_batch *b;
    kn_error e;
    kn_error_reset(&e);
    if (kn_xml_reader_create(schema, opt, &r, &e) != KN_OK) return report("reader", &e), 1;
    if (kn_batch_create(schema, 1024, &b, &e) != KN_OK) return report("batch", &e), kn_xml_reader_free(r), 1;
    memset(out, 0, sizeof *out);
    double t0 = now(), c0 = cpu_now();
    size_t start = file->data_start;
    while (start < len) {
        size_t stop = start + MORSEL_BYTES < len ? start + MORSEL_BYTES : len;
        kn_batch_clear(b);
        kn_xml_reader_reset(r, file, d + start, len - start, stop - start, "bench", start);
        for (bool done = false; !done;) {
            kn_status st = kn_xml_reader_next(r, b, &done, &e);
            if (st == KN_E_DATA) {
                out->bad++;
                continue;
            }
            if (st != KN_OK) return report("read", &e), kn_batch_free(b), kn_xml_reader_free(r), 1;
        }
        if (kn_batch_seal(b, &e) != KN_OK) return report("seal", &e), kn_batch_free(b), kn_xml_reader_free(r), 1;
        out->rows += b->num_rows;
        size_t end = start + kn_xml_reader_end(r);
        if (end <= start) break;
        start = end;
    }
    out->wall = now() - t0;
    out->cpu = cpu_now() - c0;
    kn_batch_free(b);
    kn_xml_reader_free(r);
    return 0;
}

int main(int argc, char **argv) {
    const char *path = NULL, *schema_path = NULL, *only = NULL;
    int runs = 5;
    kn_xml_options opt;
    kn_xml_options_init(&opt);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc) path = argv[++i];
        else if (!strcmp(argv[i], "--schema") && i + 1 < argc) schema_path = argv[++i];
        else if (!strcmp(argv[i], "--row-tag") && i + 1 < argc) opt.row_tag = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: kn_bench_xml --file FILE --schema YAML [--row-tag NAME] [--runs R] [--only scalar|avx2]\n");
            return 1;
        }
    }
    if (!path || !schema_path || runs < 1 || runs > 101) {
        fprintf(stderr, "kn_bench_xml: --file and --schema are required; --runs is 1..101\n");
        return 1;
    }
    kn_error e;
    kn_error_reset(&e);
    kn_schema *schema;
    if (kn_schema_file_load(schema_path, &schema, &e) != KN_OK) return report("schema", &e), 1;
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), 1;
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = kn_malloc(len ? len : 1);
    if (!d || fread(d, 1, len, f) != len) return fprintf(stderr, "kn_bench_xml: cannot read %s\n", path), 1;
    fclose(f);
    kn_xml_file file;
    if (kn_xml_prologue(&opt, d, len, true, path, &file, &e) != KN_OK) return report("prologue", &e), 1;
    static const struct {
        const char *name;
        kn_xml_simd simd;
    } twins[] = {{"scalar", KN_XML_SIMD_SCALAR}, {"avx2", KN_XML_SIMD_AVX2}};
    printf("kn_bench_xml: %s, %.1f MB, %d runs per twin\n", path, (double)len / 1e6, runs);
    for (size_t t = 0; t < 2; t++) {
        if (only && strcmp(only, twins[t].name)) continue;
        if (twins[t].simd == KN_XML_SIMD_AVX2 && !kn_cpu()->avx2) continue;
        opt.simd = twins[t].simd;
        double wall[101], cpu[101];
        pass p = {0};
        for (int i = 0; i < runs; i++) {
            if (run_once(schema, &opt, &file, d, len, &p)) return 1;
            wall[i] = p.wall;
            cpu[i] = p.cpu;
        }
        qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
        double w = wall[runs / 2], c = cpu[runs / 2];
        printf("  %-6s %8.0f MB/s wall  %8.0f MB/s cpu  %6.2f M records/s cpu  (%llu rows, %llu bad)\n", twins[t].name,
               (double)len / 1e6 / w, (double)len / 1e6 / c, (double)p.rows / 1e6 / c, (unsigned long long)p.rows,
               (unsigned long long)p.bad);
    }
    kn_xml_file_release(&file);
    kn_schema_free(schema);
    kn_free(d);
    return 0;
}
