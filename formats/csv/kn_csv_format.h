/* formats/csv/kn_csv_format.h: the CSV reader as a kn_format (engine/batch/kn_format.h).
 *
 * Options (keys as the CLI spells them without "--"): delimiter C, quote C ("" for none),
 * escape C, comment C, header / no-header, skip-rows N, null-token S (repeatable),
 * fill-missing, encoding utf-8|latin-1|windows-1252. C is one byte, or tab, \t, comma, pipe,
 * semicolon, space. CSV splits by guess: see kn_csv_record_start_guess. */
#ifndef KN_CSV_FORMAT_H
#define KN_CSV_FORMAT_H

#include "kn_format.h"

extern const kn_format kn_csv_format;

#endif
