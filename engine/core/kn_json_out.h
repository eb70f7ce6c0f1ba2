/* engine/core/kn_json_out.h: writing JSON text (the run report, `inspect --json`, reject
 * reasons). Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are written as
 * \\u00XX escapes of each byte, so the output is always valid JSON. */
#ifndef KN_JSON_OUT_H
#define KN_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "kn_buf.h"

/* Appends `s` (`len` bytes, borrowed) as a quoted JSON string. Returns false when memory runs out. */
bool kn_json_append_string(kn_buf *out, const char *s, size_t len);
/* Writes `s` as a quoted JSON string to `f`. */
void kn_json_write_string(FILE *f, const char *s, size_t len);

#endif
