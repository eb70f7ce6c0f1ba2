/* formats/csv/kn_csv_cut.c: where whole records end in a stream's bytes
 * (kn_csv_complete_prefix): stage 1's break scan, with the reader's two exceptions to it that
 * a mask cannot see (a comment line read raw, and a CR that may be half a CRLF). */
#include <string.h>

#include "kn_cpu.h"
#include "kn_csv.h"
#include "kn_csv_index.h"

/* The twin the reader would pick for these options; an explicit twin the CPU lacks falls back
 * to scalar (the result is the same, and this call cannot fail). */
static kn__csv_breaks_fn pick(kn_csv_simd simd) {
    const kn_cpu_features *cpu = kn_cpu();
    switch (simd) {
    case KN_CSV_SIMD_AUTO: return cpu->avx512 ? kn__csv_breaks_avx512 : cpu->avx2 ? kn__csv_breaks_avx2 : kn__csv_breaks_scalar;
    case KN_CSV_SIMD_AVX2: return cpu->avx2 ? kn__csv_breaks_avx2 : kn__csv_breaks_scalar;
    case KN_CSV_SIMD_AVX512: return cpu->avx512 ? kn__csv_breaks_avx512 : kn__csv_breaks_scalar;
    default: return kn__csv_breaks_scalar;
    }
}

/* The first LF or CR in p[0..n), or NULL. */
static const uint8_t *line_break(const uint8_t *p, size_t n) {
    const uint8_t *lf = memchr(p, '\n', n);
    const uint8_t *cr = memchr(p, '\r', lf ? (size_t)(lf - p) : n);
    return cr ? cr : lf;
}

size_t kn_csv_complete_prefix(const kn_csv_options *opt, const uint8_t *data, size_t len, bool at_eof) {
    if (at_eof) return len;
    /* A CR as the last byte ends a record only if no LF follows, which the next bytes tell;
     * leaving it out of the scan leaves out the record it ends. */
    size_t n = len && data[len - 1] == '\r' ? len - 1 : len;
    const kn__csv_chars ch = {opt->delimiter, opt->quote, opt->escape};
    const kn__csv_breaks_fn breaks = pick(opt->simd);
    size_t pos = 0, cut = 0;
    while (pos < n) {
        size_t stop;
        size_t last = breaks(data + pos, n - pos, &ch, opt->comment, &stop);
        if (last) cut = pos + last;
        if (stop >= n - pos) break;
        /* A comment line: the reader skips to its first line break, whatever stands before. */
        const uint8_t *e = line_break(data + pos + stop, n - pos - stop);
        if (!e) break;
        size_t q = (size_t)(e - data);
        /* A CR before n has its next byte in the data (only a last CR is left out). */
        if (data[q] == '\r' && data[q + 1] == '\n') q++;
        cut = pos = q + 1;
    }
    return cut;
}
