/* kernels/kn_utf8_avx2.c: the AVX2 twin of kn_utf8_validate_scalar. It skips 64 bytes of ASCII
 * per step with two vector loads and one mask test, and validates the (rarer) multi-byte runs
 * sequence by sequence with the shared scalar step, returning to vectors once a 64-byte
 * window is ASCII again. Same answers as the scalar twin by construction: both report the
 * first byte of the first bad sequence. */
#include "kn_utf8.h"

#if defined(__x86_64__)
#include <immintrin.h>

size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (n - i >= 64) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
            __m256i b = _mm256_loadu_si256((const __m256i *)(s + i + 32));
            if (!_mm256_movemask_epi8(_mm256_or_si256(a, b))) {
                i += 64;
                continue;
            }
            /* Skip the ASCII prefix of this window, then validate sequences up to its end. */
            uint64_t hi = (uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
            size_t end = i + 64;
            i += (size_t)__builtin_ctzll(hi);
            while (i < end) {
                size_t k = kn_utf8_sequence(s + i, n - i);
                if (!k) return i;
                i += k;
            }
            continue;
        }
        size_t k = kn_utf8_sequence(s + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}
#else
size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) { return kn_utf8_validate_scalar(s, n); }
#endif
