/* formats/parquet/kn_pqr_decode.h: helpers shared by the footer and page-header decoders
 * (internal to kn_parquet_read): allocation that stops the decoder when memory runs out,
 * strings and bytes copied into an arena (or borrowed from the input), and Statistics, which
 * both the footer and the page headers hold. */
#ifndef KN_PQR_DECODE_H
#define KN_PQR_DECODE_H

#include "kn_buf.h"
#include "kn_pq_format.h"
#include "kn_pqr.h"
#include "kn_pqr_thrift.h"

typedef struct kn__pqr_dec {
    kn__tc r;
    kn_arena *arena; /* owns what is decoded; NULL: bytes are borrowed from the input */
    size_t budget;   /* the most bytes kn__pqr_alloc may hand out */
    size_t used;
} kn__pqr_dec;

/* Decoded structs are far larger than their encoding when they are empty (a ColumnChunk takes
 * one byte on the wire and ~400 in memory), so counts that pass the bytes-left check can still
 * ask for hundreds of times the footer's size. Real footers decode to ~5-20x their size; past
 * this budget the footer is refused as absurd. */
#define KN__PQR_BUDGET(footer_len) ((size_t)64 * (footer_len) + ((size_t)16 << 20))

/* Runs the field loop of one struct of wire type `type` named `name`. `want` is a static array
 * indexed by field id giving each known field's wire type (0: any); a known field that arrives
 * with another type is skipped as unknown, as Thrift's own generated readers do, so a writer
 * that reused an id with another meaning still reads. Other fields are marked in `seen` and
 * handed to the body (the variadic part), which sees the field's `id` and wire type `t` and
 * decodes the field or skips it. Returns from the enclosing function on failure. */
#define KN__PQR_FIELDS(d, type, name, want, seen, ...)                                        \
    do {                                                                                      \
        kn__tc_frame f_;                                                                      \
        KN_TRY(kn__tc_expect(&(d)->r, (type), KN_TC_STRUCT));                                 \
        KN_TRY(kn__tc_struct_begin(&(d)->r, (name), &f_));                                    \
        for (;;) {                                                                            \
            int16_t id;                                                                       \
            uint8_t t;                                                                        \
            KN_TRY(kn__tc_field(&(d)->r, &f_, &id, &t));                                      \
            if (t == KN_TC_STOP) break;                                                       \
            if ((size_t)id < sizeof(want) / sizeof((want)[0]) && (want)[id] &&                \
                !kn__tc_compatible(t, (want)[id])) {                                          \
                KN_TRY(kn__tc_skip(&(d)->r, t));                                              \
                continue;                                                                     \
            }                                                                                 \
            kn__pqr_mark((seen), id);                                                         \
            __VA_ARGS__                                                                       \
        }                                                                                     \
        kn__tc_struct_end(&(d)->r, &f_);                                                      \
    } while (0)

/* Wire types in `want` tables. */
#define KN__W_INT KN_TC_I32 /* any integer: BYTE, I16, I32, I64 */
#define KN__W_BOOL KN_TC_BOOL_TRUE
#define KN__W_BIN KN_TC_BINARY
#define KN__W_LIST KN_TC_LIST /* list or set */
#define KN__W_STRUCT KN_TC_STRUCT

/* `count` zeroed elements of `size` bytes from the arena; past the budget stops the decoder
 * with KN_E_FORMAT, on overflow or when memory runs out with KN_E_NOMEM, and returns NULL. */
void *kn__pqr_alloc(kn__pqr_dec *d, size_t count, size_t size);

/* Marks field `id` seen in a struct's `seen` mask (ids past 63 are not tracked). */
static inline void kn__pqr_mark(uint64_t *seen, int16_t id) {
    if (id >= 0 && id < 64) *seen |= (uint64_t)1 << id;
}

/* A binary field: copied (with a NUL after it) into the arena, or borrowed without one. */
kn_status kn__pqr_bytes(kn__pqr_dec *d, uint8_t type, kn_pqr_bytes *out);
/* A string field, copied into the arena and NUL-terminated (needs an arena). */
kn_status kn__pqr_string(kn__pqr_dec *d, uint8_t type, const char **out, size_t *len);
/* An enum or other i32 field that must lie in [min, max]. */
kn_status kn__pqr_int32_in(kn__pqr_dec *d, uint8_t type, int32_t min, int32_t max, int32_t *out,
                           const char *what);
/* A Statistics struct. */
kn_status kn__pqr_stats(kn__pqr_dec *d, uint8_t type, kn_pqr_stats *out);

#endif
