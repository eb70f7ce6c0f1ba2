/* formats/parquet/kn_pq_rle.c: the RLE / bit-packed hybrid encoders and decoder (kn_pq_rle.h). */
#include "kn_pq_rle.h"

#include <string.h>

#include "kn_pq_thrift.h"

/* parquet-java and Arrow never put more than 63 groups behind one bit-packed header (it then
 * fits one byte), and some readers were only ever tested against that. */
#define MAX_GROUPS_PER_RUN 63

int kn_pq_bit_width(uint32_t max_value) {
    int w = 0;
    while (max_value) {
        w++;
        max_value >>= 1;
    }
    return w;
}

size_t kn_pq_rle_bound(size_t n, int bit_width) {
    /* Per 8 values the encoder spends at most `bit_width` bytes plus a share of a bit-packed
     * header, or one RLE run of at least 8 values: a 1-byte header (longer runs pay less per
     * value) and up to 4 value bytes. The tail and headers of long runs fit in the slack. */
    return (n + 7) / 8 * ((size_t)bit_width + 5) + 32;
}

static uint8_t *put_rle_run(uint8_t *p, size_t count, uint32_t value, int bit_width) {
    p = kn_tc_put_varint(p, (uint64_t)count << 1);
    int bytes = (bit_width + 7) / 8;
    for (int i = 0; i < bytes; i++) *p++ = (uint8_t)(value >> (8 * i));
    return p;
}

/* Packs groups of 8 values, `w` bits each, LSB first. */
static uint8_t *pack_groups(uint8_t *p, const uint32_t *v, size_t groups, int w) {
    if (w == 0) return p;
    if (w <= 8) {
        /* A group is w bytes: build it in one 64-bit word (dictionary indices are mostly this
         * narrow, and this runs for every value of every dictionary page). */
        for (size_t g = 0; g < groups; g++, v += 8) {
            uint64_t acc = 0;
            for (int k = 0; k < 8; k++) acc |= (uint64_t)v[k] << (k * w);
            for (int b = 0; b < w; b++) p[b] = (uint8_t)(acc >> (8 * b));
            p += w;
        }
        return p;
    }
    if (w <= 16) {
        for (size_t g = 0; g < groups; g++, v += 8) {
            uint64_t lo = 0, hi = 0; /* values 0-3 fill 4w <= 64 bits, values 4-7 the next 4w */
            for (int k = 0; k < 4; k++) lo |= (uint64_t)v[k] << (k * w);
            for (int k = 0; k < 4; k++) hi |= (uint64_t)v[4 + k] << (k * w);
            /* Splice: the group is lo's 4w bits then hi's 4w bits. */
            int lob = 4 * w;
            for (int b = 0; b < w; b++) {
                int bit = 8 * b;
                uint64_t byte;
                if (bit + 8 <= lob) byte = lo >> bit;
                else if (bit >= lob) byte = hi >> (bit - lob);
                else byte = (lo >> bit) | (hi << (lob - bit));
                p[b] = (uint8_t)byte;
            }
            p += w;
        }
        return p;
    }
    size_t n = groups * 8;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint64_t)v[i] << bits;
        bits += w;
        while (bits >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    return p;
}

/* Writes values[0..n) as bit-packed runs; a last partial group is padded with zeros, which the
 * reader never looks at because it knows the value count. */
static uint8_t *put_packed(uint8_t *p, const uint32_t *v, size_t n, int w) {
    size_t groups = (n + 7) / 8;
    while (groups) {
        size_t g = groups < MAX_GROUPS_PER_RUN ? groups : MAX_GROUPS_PER_RUN;
        p = kn_tc_put_varint(p, ((uint64_t)g << 1) | 1);
        if (g * 8 > n) {
            size_t whole = n / 8;
            p = pack_groups(p, v, whole, w);
            uint32_t tail[8] = {0};
            memcpy(tail, v + whole * 8, (n - whole * 8) * sizeof *v);
            return pack_groups(p, tail, 1, w);
        }
        p = pack_groups(p, v, g, w);
        v += g * 8;
        n -= g * 8;
        groups -= g;
    }
    return p;
}

/* Whether a repeat of 8 or more starts among v[i .. i + 8) (v[i + 8] must exist), given that
 * i starts a repeat: only then can it cover pairs 0-6 of the block, and any later start would
 * cover pair 7 (v[i + 7] == v[i + 8]). The compares are branch-free, so stretches of distinct
 * values (high-cardinality dictionary indices) go by eight at a time, no mispredicted branch
 * per value. */
static inline bool long_run_may_start(const uint32_t *v, size_t i) {
    unsigned eq = 0;
    for (unsigned k = 0; k < 8; k++) eq |= (unsigned)(v[i + k] == v[i + k + 1]) << k;
    return (eq & 0x80u) || (eq & 0x7Fu) == 0x7Fu;
}

size_t kn_pq_rle_encode(const uint32_t *v, size_t n, int w, uint8_t *out) {
    uint8_t *p = out;
    size_t i = 0, lit = 0; /* values [lit, i) wait to be bit-packed */
    while (i < n) {
        /* i starts a repeat. A block of 8 without a long repeat is all short repeats, each of
         * which the loop below would skip as literals; and v[i + 8] then starts a repeat. */
        while (i + 8 < n && !long_run_may_start(v, i)) i += 8;
        uint32_t x = v[i];
        size_t j = i + 1;
        while (j < n && v[j] == x) j++;
        size_t r = j - i;
        if (r >= 8 || (j == n && lit == i)) {
            /* Bit-packed runs hold whole groups of 8, so pending literals borrow the first few
             * repeats to fill their last group; the run is worth a header only if 8 remain. */
            size_t pending = i - lit;
            size_t pad = pending % 8 ? 8 - pending % 8 : 0;
            if (pad && r < pad + 8) {
                i = j;
                continue;
            }
            i += pad;
            r -= pad;
            if (i > lit) p = put_packed(p, v + lit, i - lit, w);
            p = put_rle_run(p, r, x, w);
            i = j;
            lit = j;
        } else {
            i = j;
        }
    }
    if (lit < n) p = put_packed(p, v + lit, n - lit, w);
    return (size_t)(p - out);
}

size_t kn_pq_rle_encode_repeat(size_t n, uint32_t value, int bit_width, uint8_t *out) {
    if (n == 0) return 0;
    return (size_t)(put_rle_run(out, n, value, bit_width) - out);
}

/* Bit-packed runs of 1-bit values are the bitmap bytes themselves. */
static uint8_t *put_packed_bytes(uint8_t *p, const uint8_t *bytes, size_t groups) {
    while (groups) {
        size_t g = groups < MAX_GROUPS_PER_RUN ? groups : MAX_GROUPS_PER_RUN;
        p = kn_tc_put_varint(p, ((uint64_t)g << 1) | 1);
        memcpy(p, bytes, g);
        p += g;
        bytes += g;
        groups -= g;
    }
    return p;
}

size_t kn_pq_rle_encode_bits(const uint8_t *bits, size_t n, uint8_t *out) {
    /* The same choice as kn_pq_rle_encode, made a byte (8 values) at a time: a byte of all
     * zeros or all ones extends a repeat, anything else is bit-packed as it is. */
    uint8_t *p = out;
    size_t full = n / 8, tail = n % 8;
    uint8_t tail_byte = tail ? (uint8_t)(bits[full] & ((1u << tail) - 1)) : 0;
    size_t g = 0, lit = 0; /* groups [lit, g) wait to be bit-packed */
    bool tail_done = false;
    while (g < full) {
        uint8_t b = bits[g];
        if (b != 0 && b != 0xFF) {
            g++;
            continue;
        }
        size_t h = g + 1;
        while (h < full && bits[h] == b) h++;
        uint32_t value = b & 1u;
        size_t count = (h - g) * 8;
        bool to_end = h == full;
        if (to_end && tail && tail_byte == (value ? (uint8_t)((1u << tail) - 1) : 0)) {
            count += tail;
            tail_done = true;
        } else if (to_end && tail) {
            to_end = false;
        }
        if (count >= 16 || (to_end && lit == g)) {
            p = put_packed_bytes(p, bits + lit, g - lit);
            p = put_rle_run(p, count, value, 1);
            lit = h;
        } else {
            tail_done = false;
        }
        g = h;
    }
    if (!tail_done) {
        if (tail) {
            /* The pending groups plus the masked tail byte, under as few headers as possible. */
            size_t groups = full - lit;
            while (groups >= MAX_GROUPS_PER_RUN) {
                p = put_packed_bytes(p, bits + lit, MAX_GROUPS_PER_RUN);
                lit += MAX_GROUPS_PER_RUN;
                groups -= MAX_GROUPS_PER_RUN;
            }
            p = kn_tc_put_varint(p, ((uint64_t)(groups + 1) << 1) | 1);
            memcpy(p, bits + lit, groups);
            p += groups;
            *p++ = tail_byte;
        } else {
            p = put_packed_bytes(p, bits + lit, full - lit);
        }
    }
    return (size_t)(p - out);
}

static kn_status bad(kn_error *err, const char *what, size_t at) {
    return kn_error_set(err, KN_E_FORMAT, "RLE/bit-packed stream: %s at byte %zu", what, at);
}

kn_status kn_pq_rle_decode(const uint8_t *in, size_t len, int w, uint32_t *out, size_t n,
                           size_t *used, kn_error *err) {
    if (w < 0 || w > 32) return kn_error_set(err, KN_E_FORMAT, "bit width %d is out of range", w);
    size_t pos = 0, done = 0;
    size_t value_bytes = (size_t)(w + 7) / 8;
    uint64_t mask = w == 32 ? 0xFFFFFFFFu : ((1ull << w) - 1);
    while (done < n) {
        uint64_t header = 0;
        int shift = 0;
        for (;;) {
            if (pos >= len) return bad(err, "truncated run header", pos);
            if (shift > 63) return bad(err, "run header too long", pos);
            uint8_t b = in[pos++];
            header |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
        }
        if (header & 1) {
            uint64_t groups = header >> 1;
            if (groups == 0) return bad(err, "empty bit-packed run", pos);
            if (w > 0 && groups > (len - pos) / (size_t)w)
                return bad(err, "truncated bit-packed run", pos);
            size_t count = groups > SIZE_MAX / 8 ? SIZE_MAX : (size_t)groups * 8;
            size_t take = count < n - done ? count : n - done;
            uint64_t acc = 0;
            int bits = 0;
            size_t q = pos;
            for (size_t i = 0; i < take; i++) {
                while (bits < w) {
                    acc |= (uint64_t)in[q++] << bits;
                    bits += 8;
                }
                out[done + i] = (uint32_t)(acc & mask);
                acc >>= w;
                bits -= w;
            }
            pos += (size_t)groups * (size_t)w;
            done += take;
        } else {
            uint64_t count = header >> 1;
            if (count == 0) return bad(err, "empty RLE run", pos);
            if (len - pos < value_bytes) return bad(err, "truncated RLE value", pos);
            uint32_t value = 0;
            for (size_t i = 0; i < value_bytes; i++) value |= (uint32_t)in[pos + i] << (8 * i);
            pos += value_bytes;
            if (w < 32 && value > mask) return bad(err, "RLE value wider than the bit width", pos);
            size_t take = count < (uint64_t)(n - done) ? (size_t)count : n - done;
            for (size_t i = 0; i < take; i++) out[done + i] = value;
            done += take;
        }
    }
    if (used) *used = pos;
    return KN_OK;
}
