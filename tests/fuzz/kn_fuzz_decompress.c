/* tests/fuzz/kn_fuzz_decompress.c: libFuzzer target for compressed and archived inputs
 * (kn_decompress.h, kn_archive.h, engine/io).
 *
 * Each input is read as a file would be: through the decompressor (whatever its first bytes
 * say), with a small expansion bound so a bomb ends quickly; and, when it looks like an archive
 * (or after any gzip/zstd/... layer), member by member to the end. Inputs are read in uneven
 * pieces so every buffer edge is crossed. The readers must answer KN_OK, KN_E_FORMAT, KN_E_DATA
 * (the bound) or KN_E_UNSUPPORTED (a sparse member, a codec libarchive lacks); any other status
 * aborts. Memory errors and leaks are the sanitizers' to find. */
#include <stdint.h>
#include <stdlib.h>

#include "kn_archive.h"
#include "kn_decompress.h"
#include "kn_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(kn_status st) {
    if (st != KN_OK && st != KN_E_FORMAT && st != KN_E_DATA && st != KN_E_UNSUPPORTED) abort();
}

/* Reads `s` to its end or its first failure, in pieces of uneven sizes. */
static kn_status drain(kn_seq_source *s) {
    static uint8_t buf[5000];
    size_t cap = 1;
    for (;;) {
        size_t got;
        kn_status st = kn_seq_source_read(s, buf, cap, &got, NULL);
        if (st != KN_OK || got == 0) return st;
        cap = cap * 5 % sizeof buf + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kn_decompress_options o = {4}; /* at most 4 MiB out of any input */
    kn_seq_source *src;
    kn_status st = kn_decompress_open(kn_mem_seq_source_create(data, size, 777, "fuzz"), &o, &src, NULL, NULL);
    expect(st);
    if (st != KN_OK) return 0;
    const uint8_t *head;
    size_t len;
    kn_seq_source *peeked;
    st = kn_seq_peek(src, KN_ARCHIVE_SNIFF_BYTES, &peeked, &head, &len, NULL);
    expect(st);
    if (st != KN_OK) return 0;
    if (!kn_archive_sniff(head, len)) {
        expect(drain(peeked));
        kn_seq_source_free(peeked);
        return 0;
    }
    kn_archive *a;
    st = kn_archive_open(peeked, "fuzz", 4, &a, NULL);
    expect(st);
    for (bool done = false; st == KN_OK && !done;) {
        kn_seq_source *m;
        const char *name;
        st = kn_archive_next(a, &m, &name, &done, NULL);
        expect(st);
        if (st == KN_OK && !done) {
            st = drain(m);
            expect(st);
            kn_seq_source_free(m);
        }
    }
    kn_archive_free(a);
    return 0;
}
