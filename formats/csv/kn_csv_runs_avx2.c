/* formats/csv/kn_csv_runs_avx2.c: the block path's runs compiled with AVX2 and BMI2 (see
 * kn_csv_runs.h); the same source as the scalar twin. */
#define KN__CSV_RUNS_TABLE kn__csv_runs_avx2
#include "kn_csv_runs_template.h"
