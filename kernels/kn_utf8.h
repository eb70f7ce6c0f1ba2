/* kernels/kn_utf8.h: UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF). A scalar reference and an AVX2 variant behind one dispatch; KILN_NO_SIMD=1 (via
 * kn_cpu) forces the scalar one. Pure: no I/O, no allocation. */
#ifndef KN_UTF8_H
#define KN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte of the first invalid (or truncated) sequence in s[0..n), or n when
 * all of it is valid UTF-8. */
size_t kn_utf8_validate(const uint8_t *s, size_t n);

/* The twins, for tests and benchmarks. The AVX2 one must only be called when kn_cpu()->avx2. */
size_t kn_utf8_validate_scalar(const uint8_t *s, size_t n);
size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n);

/* Validates one sequence starting at s[0] (n >= 1 bytes available). Returns its length (1..4)
 * or 0 when it is invalid. Shared by both twins. */
static inline size_t kn_utf8_sequence(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0; /* continuation byte, or overlong 2-byte lead */
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3) return 0;
        uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF; /* overlong; surrogates */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        if (n < 4) return 0;
        uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF; /* overlong; > U+10FFFF */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

#endif
