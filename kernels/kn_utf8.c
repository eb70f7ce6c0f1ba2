/* kernels/kn_utf8.c: the scalar UTF-8 validator and the run-time choice of twin. */
#include "kn_utf8.h"

#include <string.h>

#include "kn_cpu.h"

size_t kn_utf8_validate_scalar(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time: most text in data files is ASCII. */
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        size_t k = kn_utf8_sequence(s + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

size_t kn_utf8_validate(const uint8_t *s, size_t n) {
#if defined(__x86_64__)
    if (kn_cpu()->avx2) return kn_utf8_validate_avx2(s, n);
#endif
    return kn_utf8_validate_scalar(s, n);
}
