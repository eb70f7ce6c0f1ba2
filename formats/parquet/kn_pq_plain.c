/* formats/parquet/kn_pq_plain.c: PLAIN encoders and physical conversions (kn_pq_plain.h). */
#include "kn_pq_plain.h"

size_t kn_pq_plain_bool(const uint8_t *v, size_t n, uint8_t *out) {
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++, v += 8) {
        out[i] = (uint8_t)(v[0] | v[1] << 1 | v[2] << 2 | v[3] << 3 | v[4] << 4 | v[5] << 5 |
                           v[6] << 6 | v[7] << 7);
    }
    if (n % 8) {
        uint8_t b = 0;
        for (size_t j = 0; j < n % 8; j++) b |= (uint8_t)(v[j] << j);
        out[full] = b;
    }
    return (n + 7) / 8;
}

size_t kn_pq_plain_fixed(const uint8_t *values, size_t width, const uint8_t *validity,
                         size_t bit_offset, size_t n, uint8_t *out) {
    if (!validity) {
        memcpy(out, values, n * width);
        return n * width;
    }
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t bit = bit_offset + i;
        if ((validity[bit >> 3] >> (bit & 7)) & 1u) {
            memcpy(p, values + i * width, width);
            p += width;
        }
    }
    return (size_t)(p - out);
}

#define MICROS_PER_DAY INT64_C(86400000000)
#define JULIAN_DAY_OF_EPOCH 2440588 /* 1970-01-01 */

void kn_pq_int96_from_micros(int64_t micros, uint8_t out[12]) {
    int64_t days = micros / MICROS_PER_DAY;
    int64_t rem = micros % MICROS_PER_DAY;
    if (rem < 0) { /* floor division: times before 1970 belong to the earlier day */
        rem += MICROS_PER_DAY;
        days -= 1;
    }
    uint64_t nanos = (uint64_t)rem * 1000u;
    uint32_t julian = (uint32_t)(days + JULIAN_DAY_OF_EPOCH);
    memcpy(out, &nanos, 8);
    memcpy(out + 8, &julian, 4);
}

int kn_pq_decimal_width(int precision) {
    /* The largest precision n bytes hold is floor(log10(2^(8n-1) - 1)); inverted for 1..38. */
    static const uint8_t width[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
                                      9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15,
                                      15, 16, 16, 16};
    if (precision < 1 || precision > 38) return 0;
    return width[precision];
}

void kn_pq_decimal_be(kn_i128 v, int width, uint8_t *out) {
    for (int i = 0; i < width; i++) {
        int byte = width - 1 - i; /* byte 0 of the value is the least significant */
        uint8_t b = byte < 8 ? (uint8_t)(v.lo >> (8 * byte)) : (uint8_t)((uint64_t)v.hi >> (8 * (byte - 8)));
        out[i] = b;
    }
}
