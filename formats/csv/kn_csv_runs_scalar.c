/* formats/csv/kn_csv_runs_scalar.c: the block path's runs for the baseline x86-64 (and any other
 * CPU): kn_csv_runs_template.h as it is. */
#define KN__CSV_RUNS_TABLE kn__csv_runs_scalar
#include "kn_csv_runs_template.h"
