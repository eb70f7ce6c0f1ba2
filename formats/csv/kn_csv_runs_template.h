/* formats/csv/kn_csv_runs_template.h (internal): the runs of kn_csv_runs.h, included once by each
 * twin (kn_csv_runs_scalar.c, kn_csv_runs_avx2.c) with KN__CSV_RUNS_TABLE naming its table. Each
 * run is a function of its own so that its few variables stay in registers, and each kind's is
 * an instance with its parser inlined (no switch per value). */
#include <string.h>

#include "kn_csv_fast.h"
#include "kn_csv_runs.h"

static inline __attribute__((always_inline)) size_t fixed_run(kn__csv_fast k, const kn__csv_run_in *in, size_t row,
                                                              void *values) {
    const uint32_t *at_end = in->at_end;
    const size_t stride = in->stride, n = in->n;
    const uint32_t add = in->add;
    const uint8_t *w = in->w, quote = in->quote;
    const kn_type t = in->type;
    const uint64_t limit = in->limit;
    for (; row < n; row++) {
        uint32_t a = at_end[row * stride] + add, e = at_end[row * stride + 1];
        const char *s = (const char *)w + a;
        if (!(e > a && (uint8_t)s[0] != quote && kn__csv_take(k, t, limit, s, e - a, values, row))) break;
    }
    return row;
}

#define KN__CSV_FIXED_RUN(name, kind)                                                                    \
    static size_t name(const kn__csv_run_in *in, size_t row, void *values) {                            \
        return fixed_run(kind, in, row, values);                                                        \
    }
KN__CSV_FIXED_RUN(i64_run, KN__CSV_I64)
KN__CSV_FIXED_RUN(i32_run, KN__CSV_I32)
KN__CSV_FIXED_RUN(dec64_run, KN__CSV_DEC64)
KN__CSV_FIXED_RUN(f64_run, KN__CSV_F64)
KN__CSV_FIXED_RUN(ts_run, KN__CSV_TS)
KN__CSV_FIXED_RUN(bool_run, KN__CSV_BOOL)

static size_t string_run(const kn__csv_run_in *in, size_t row, uint8_t *d, size_t *len_io, uint32_t *off) {
    const uint32_t *at_end = in->at_end;
    const size_t stride = in->stride, n = in->n;
    const uint32_t add = in->add;
    const uint8_t *w = in->w, quote = in->quote;
    size_t len = *len_io;
    for (; row < n; row++) {
        uint32_t a = at_end[row * stride] + add, e = at_end[row * stride + 1];
        const uint8_t *s = w + a;
        size_t k = e - a;
        if (!(k && s[0] != quote)) break;
        /* A fixed 32-byte move for the usual short value. */
        if (k <= 32) memcpy(d + len, s, 32);
        else memcpy(d + len, s, k);
        len += k;
        off[row] = (uint32_t)len;
    }
    *len_io = len;
    return row;
}

const kn__csv_runs KN__CSV_RUNS_TABLE = {
    .fixed = {[KN__CSV_I64] = i64_run, [KN__CSV_I32] = i32_run, [KN__CSV_DEC64] = dec64_run, [KN__CSV_F64] = f64_run,
              [KN__CSV_TS] = ts_run, [KN__CSV_BOOL] = bool_run},
    .string = string_run,
};
