/* formats/ndjson/kn_ndjson_format.h: the NDJSON reader as a kn_format (engine/batch/kn_format.h).
 * It takes no options. */
#ifndef KN_NDJSON_FORMAT_H
#define KN_NDJSON_FORMAT_H

#include "kn_format.h"

extern const kn_format kn_ndjson_format;

#endif
