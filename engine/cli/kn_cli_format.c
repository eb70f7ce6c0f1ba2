/* engine/cli/kn_cli_format.c: the input formats' options on the command line. */
#include "kn_cli_format.h"

#include <getopt.h>

static const char *const format_keys[KN_CLI_FMT_OPT_COUNT] = {
    "delimiter", "quote", "escape", "comment", "header", "no-header", "skip-rows", "null-token", "fill-missing", "encoding",
    "row-tag", "attribute-prefix", "strip-namespaces"};

const char kn_cli_format_usage[] =
    "\n"
    "CSV input (--format csv, or files named .csv, .tsv, .psv):\n"
    "      --delimiter C          the field separator: one byte, or tab, comma, pipe, semicolon,\n"
    "                             space (default ',', tab for .tsv, '|' for .psv)\n"
    "      --quote C              the quote byte (default '\"'; '' for none)\n"
    "      --escape C             a byte that makes the next one literal, e.g. '\\' (default: none;\n"
    "                             a quote inside quotes is written twice)\n"
    "      --header, --no-header  the first record names the columns (default --header); columns\n"
    "                             map to the schema by name, in any order; without a header, by\n"
    "                             position, and inference names them column0, column1, ...\n"
    "      --comment C            skip lines that start with C\n"
    "      --skip-rows N          skip N lines before the header or the data\n"
    "      --null-token S         an unquoted field equal to S is NULL (repeatable; an unquoted\n"
    "                             empty field is always NULL, a quoted \"\" is an empty string)\n"
    "      --fill-missing         records with too few fields get NULL for the missing ones\n"
    "                             (Redshift's FILLRECORD); otherwise they are bad records\n"
    "      --encoding E           utf-8 (default; validated), latin-1, windows-1252 (transcoded)\n"
    "\n"
    "XML input (--format xml, or files named .xml):\n"
    "      --row-tag NAME         every element named NAME, at any depth, is a record (default:\n"
    "                             each child element of the document element)\n"
    "      --attribute-prefix P   attribute columns are named P + the attribute's name (default\n"
    "                             none; '_' for Spark's style, or when an attribute and a child\n"
    "                             element share a name)\n"
    "      --strip-namespaces     drop namespace prefixes from column names (ns:amount -> amount)\n"
    "    A leaf child's text is its column's value; a child with attributes or children of its\n"
    "    own, or one that repeats, is JSON text (a json column); the record's own text is _text.\n";

bool kn_cli_format_opt(kn_cli_format_opts *fo, int code, const char *value, kn_status *st, kn_error *err) {
    if (code < KN_CLI_FMT_OPT || code >= KN_CLI_FMT_OPT + KN_CLI_FMT_OPT_COUNT) return false;
    if (fo->n == sizeof fo->items / sizeof fo->items[0]) {
        *st = kn_error_set(err, KN_E_USAGE, "too many format options");
        return true;
    }
    fo->items[fo->n++] = (kn_format_option){format_keys[code - KN_CLI_FMT_OPT], value};
    return true;
}
