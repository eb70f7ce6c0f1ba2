/* formats/ndjson/kn_ndjson_fast.h (internal): a switch for the reader's fast paths (the key
 * pattern check and the common value shapes in kn_ndjson_reader.c), so tests can check that
 * they store exactly what the general path stores, faults and messages included. */
#ifndef KN_NDJSON_FAST_H
#define KN_NDJSON_FAST_H

#include <stdbool.h>

#include "kn_ndjson.h"

/* On by default; `on` false sends every key and value through the general path. */
void kn__ndjson_reader_set_fast_paths(kn_ndjson_reader *r, bool on);

#endif
