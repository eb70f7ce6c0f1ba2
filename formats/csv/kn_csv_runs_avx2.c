/* formats/csv/kn_csv_runs_avx2.c: the block path's runs compiled with AVX2 and BMI2 (see
 * kn_csv_runs.h); the same source as the scalar twin, with the timestamp shape read by its AVX2
 * twin (kernels/kn_parse_time_avx2.c, the same answers). */
#define KN__CSV_RUNS_TABLE kn__csv_runs_avx2
#define KN__CSV_TS_SHAPE kn_parse_iso_timestamp_us_avx2
#include "kn_csv_runs_template.h"
