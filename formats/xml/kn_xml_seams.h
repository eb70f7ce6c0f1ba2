/* formats/xml/kn_xml_seams.h (internal): the nesting of the elements around records, checked
 * across morsels. With a row tag, records sit inside elements that open in one morsel and close
 * in another; a reader sees only its own morsel. Each reader hands in what it could not match
 * (the end tags with no start tag in its morsel, the elements still open at its end), and the
 * morsels are chained in file order, whichever thread finishes them and in whatever order:
 * the first element that does not nest across them fails the file.
 *
 * Thread-safe. A morsel is keyed by its start; a morsel read again from another start (a wrong
 * guess) leaves its first reading unchained, which is right: the chain only ever follows ends
 * of readings that began where one before them ended. */
#ifndef KN_XML_SEAMS_H
#define KN_XML_SEAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_status.h"

typedef struct kn_xml_seams kn_xml_seams;

/* A name met in a morsel: its bytes (borrowed from the morsel's data) and absolute offset. */
typedef struct kn__xml_seam_name {
    const uint8_t *p;
    size_t n;
    uint64_t at;
} kn__xml_seam_name;

/* One morsel's reading, [start, end) of the file. `closes`: its end tags with no start tag in it,
 * in order; `opens`: the elements open at its end, outermost first; `content_after`: a start
 * tag or text came after its last unmatched end tag (or anywhere, with none); `root_closed`:
 * the document element closed in it (the morsel at the data start knows). */
typedef struct kn__xml_seam {
    uint64_t start, end;
    const kn__xml_seam_name *closes, *opens;
    size_t num_closes, num_opens;
    bool content_after, root_closed;
} kn__xml_seam;

/* NULL when out of memory. `data_start`: where the chain begins; `root`: the document
 * element's name (borrowed; outlives the seams), for messages. */
kn_xml_seams *kn__xml_seams_create(uint64_t data_start, const char *root);
void kn__xml_seams_free(kn_xml_seams *s); /* accepts NULL */

/* Adds a morsel's reading (copied) and chains what it can. `file_len` (UINT64_MAX: not known
 * yet) ends the chain: the document element must be closed there. KN_E_FORMAT (err names
 * `name` and the byte) at the first element that does not nest, once; KN_E_NOMEM. */
kn_status kn__xml_seams_add(kn_xml_seams *s, const kn__xml_seam *m, uint64_t file_len, const char *name,
                            kn_error *err);

#endif
