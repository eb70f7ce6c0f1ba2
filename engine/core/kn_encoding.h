/* engine/core/kn_encoding.h: the text encodings kiln reads, and their characters as UTF-8, for
 * the readers that transcode in place (CSV) and the stream that transcodes ahead of a reader
 * (engine/io/kn_transcode.h). Pure: no I/O, no allocation. */
#ifndef KN_ENCODING_H
#define KN_ENCODING_H

#include <stddef.h>
#include <stdint.h>

typedef enum kn_text_encoding {
    KN_TEXT_UTF8 = 0,
    KN_TEXT_UTF16LE,
    KN_TEXT_UTF16BE,
    KN_TEXT_LATIN1,     /* ISO-8859-1: byte b is U+00bb */
    KN_TEXT_WINDOWS1252 /* latin-1 but for 0x80..0x9f; the five bytes it leaves undefined are
                           taken as latin-1's C1 controls, as Python's and WHATWG's decoders do */
} kn_text_encoding;

/* "utf-8", "utf-16le", "utf-16be", "iso-8859-1", "windows-1252". */
const char *kn_encoding_name(kn_text_encoding e);

/* Code point `cp` (at most U+10FFFF) as UTF-8 into out; returns 1 to 4. */
size_t kn_utf8_put(uint32_t cp, uint8_t out[4]);

/* Byte `c` of a latin-1 or windows-1252 text as UTF-8 into out; returns 1 to 3. */
size_t kn_encoding_byte_to_utf8(kn_text_encoding e, uint8_t c, uint8_t out[3]);

#endif
