/* engine/cli/kn_cli_inspect_index.h: `kiln inspect`'s view of a column chunk's page index
 * (OffsetIndex and ColumnIndex, read through kn_pqr_index.h). */
#ifndef KN_CLI_INSPECT_INDEX_H
#define KN_CLI_INSPECT_INDEX_H

#include <stdbool.h>

#include "kn_buf.h"
#include "kn_cli_out.h"
#include "kn_pqr.h"
#include "kn_stream.h"

/* Shows the page index of chunk `cc` of leaf column `e` (both borrowed), read from `src`: text,
 * one summary line ("page index: none" when the chunk has none) and with `pages` one line per
 * page (first row, offset, size, null and NaN counts, min and max shown by the column's type);
 * JSON, a "page_index" member (null when none) with the per-page list under --pages. An index
 * that does not read is shown with its error; with `pages` it also sets *failed (the command
 * then exits 2, as for a damaged page header). `tmp` is scratch. */
void kn_cli_show_page_index(kn_cli_out *o, kn_source *src, const kn_pqr_schema_element *e, const kn_pqr_column_chunk *cc,
                            bool json, bool pages, kn_buf *tmp, bool *failed);

#endif
