/* kernels/kn_utf8_avx2.c: the AVX2 twin of kn_utf8_validate_scalar.
 *
 * Blocks of 32 bytes that are all ASCII (and follow a block that was) cost one load and one
 * mask test. Any other block is checked whole with vector operations, in the manner of
 * Keiser and Lemire ("Validating UTF-8 in less than one instruction per byte", 2021): every
 * error of RFC 3629 shows in the pair (previous byte, byte) as a combination of three nibbles
 * (the previous byte's high and low nibble, the byte's high nibble), so three 16-entry table
 * lookups, ANDed, flag each kind of error with a bit; and the third and fourth bytes of a
 * sequence, which no pair can judge, are checked against the lead two or three bytes back.
 * Text with non-ASCII letters on every line (names, addresses) thus costs no byte-by-byte
 * walk.
 *
 * The vector check only says whether a block holds an error. To return what the scalar twin
 * returns (the first byte of the first bad sequence), the scalar twin then runs from the
 * start of the sequence that the first flagged block begins in: everything before it has
 * passed, so the answers are the same by construction. */
#include "kn_utf8.h"

#if defined(__x86_64__)
#include "kn_utf8_avx2.h"

size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) {
    __m256i prev = _mm256_setzero_si256();
    bool prev_ascii = true;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i in = _mm256_loadu_si256((const __m256i *)(s + i));
        bool ascii = _mm256_movemask_epi8(in) == 0;
        /* After a block with non-ASCII bytes, even an ASCII block is checked: it may cut short
         * a sequence that the block before began. */
        if (!(ascii && prev_ascii)) {
            __m256i errors = kn__utf8_errors_avx2(in, prev);
            if (!_mm256_testz_si256(errors, errors)) return kn__utf8_first_error_near(s, n, i);
        }
        prev = in;
        prev_ascii = ascii;
    }
    /* The rest, zero-padded: a zero after an unfinished sequence is an error, so this also
     * catches a sequence cut short by the end of the text (with n a multiple of 32 it is a
     * block of zeros after the last one). */
    uint8_t tail[32] = {0};
    if (n > i) memcpy(tail, s + i, n - i);
    __m256i errors = kn__utf8_errors_avx2(_mm256_loadu_si256((const __m256i *)tail), prev);
    if (!_mm256_testz_si256(errors, errors)) return kn__utf8_first_error_near(s, n, i);
    return n;
}
#else
size_t kn_utf8_validate_avx2(const uint8_t *s, size_t n) { return kn_utf8_validate_scalar(s, n); }
#endif
