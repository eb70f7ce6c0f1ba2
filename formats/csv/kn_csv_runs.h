/* formats/csv/kn_csv_runs.h (internal): the block path's runs: for one column of a block, the
 * values from a row on that the column's fast kind takes, parsed (or copied) straight into the
 * column, stopping at the first value it does not take (which kn_csv_block.c then sends the
 * general way, or stores as a NULL). The same source (kn_csv_runs_template.h) is compiled
 * twice: for the baseline (kn_csv_runs_scalar.c) and with AVX2 and BMI2 (kn_csv_runs_avx2.c:
 * variable shifts without the CL register, 32-byte moves, TZCNT), picked with the structural
 * twin, so the two read the same by construction and the tests run both. */
#ifndef KN_CSV_RUNS_H
#define KN_CSV_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "kn_csv_stage2.h"
#include "kn_types.h"

/* What a run reads. Field i of row `row` is [at_end[row * stride] + add, at_end[row * stride +
 * 1]) of w (the block's entries in the index, kn_csv_block.c); the block leaves KN__CSV_SLACK
 * bytes readable past every record. */
typedef struct kn__csv_run_in {
    const uint32_t *at_end;
    size_t stride, n;
    uint32_t add;
    const uint8_t *w;
    uint8_t quote;
    kn_type type;
    uint64_t limit; /* 10^precision for decimals */
} kn__csv_run_in;

/* A fixed-width kind's run from `row`: values[row] for each value taken; returns the row where
 * the run ends (the first value not taken), or n. */
typedef size_t (*kn__csv_fixed_run_fn)(const kn__csv_run_in *in, size_t row, void *values);
/* A string run from `row`: unquoted, non-empty values copied to d[*len..] (room made by the
 * caller: the block's bytes plus 2 * KN__CSV_SLACK), off[row] their ends. */
typedef size_t (*kn__csv_string_run_fn)(const kn__csv_run_in *in, size_t row, uint8_t *d, size_t *len, uint32_t *off);

typedef struct kn__csv_runs {
    kn__csv_fixed_run_fn fixed[KN__CSV_BOOL + 1]; /* by kind; NULL for the kinds that are not fixed-width */
    kn__csv_string_run_fn string;
} kn__csv_runs;

extern const kn__csv_runs kn__csv_runs_scalar;
/* Needs kn_cpu()->avx2 and ->bmi2. */
extern const kn__csv_runs kn__csv_runs_avx2;

#endif
