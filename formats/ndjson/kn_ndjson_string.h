/* formats/ndjson/kn_ndjson_string.h (internal): JSON string escapes, decoded or just checked. */
#ifndef KN_NDJSON_STRING_H
#define KN_NDJSON_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the escapes of raw string content src[0..n) (the bytes between the quotes) into dst,
 * which has room for n bytes (decoding never grows text) or is NULL to only check. Returns true
 * with *out_len set, or false with *bad the offset in src of the faulty escape and *why a
 * message. \uXXXX pairs of surrogates become one code point; a lone surrogate is an error. */
bool kn__json_unescape(const uint8_t *src, size_t n, uint8_t *dst, size_t *out_len, size_t *bad,
                       const char **why);

#endif
