/* formats/csv/kn_csv_internal.h (internal): what the reader's files share: the record walk
 * used by the reader, the prologue and the morsel guess. */
#ifndef KN_CSV_INTERNAL_H
#define KN_CSV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_csv.h"

/* One record found by a plain byte walk (no index): [start, end) its bytes without the line
 * end, next the first byte after the line end, fields its field count. A blank line is a
 * record of one empty field with end == start. `open` says the data ended inside quotes. */
typedef struct kn__csv_span {
    size_t start, end, next;
    size_t fields;
    bool open;
} kn__csv_span;

/* Walks the record starting at data[pos] (pos < len), quotes and escapes as stage 1 reads them,
 * starting outside quotes when `inside` is false, inside otherwise. */
void kn__csv_walk_record(const kn_csv_options *opt, const uint8_t *data, size_t len, size_t pos, bool inside,
                         kn__csv_span *out);

/* Byte i of a latin-1 or windows-1252 text as UTF-8 (1 to 3 bytes) into out; returns the count. */
size_t kn__csv_transcode_byte(kn_csv_encoding enc, uint8_t c, uint8_t out[3]);

#endif
