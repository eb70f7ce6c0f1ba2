/* engine/cli/kn_cli_format.h: the input formats' options on the command line, shared by
 * `kiln convert` and `kiln infer`. */
#ifndef KN_CLI_FORMAT_H
#define KN_CLI_FORMAT_H

#include <stdbool.h>

#include "kn_format.h"
#include "kn_status.h"

/* The input formats' options as the commands spell them (--delimiter ';'): getopt entries with
 * codes from KN_CLI_FMT_OPT, collected into a kn_format_option list that the format checks. */
#define KN_CLI_FMT_OPT 1000
#define KN_CLI_FORMAT_OPTIONS                                                                     \
    {"delimiter", required_argument, NULL, KN_CLI_FMT_OPT + 0},                                  \
        {"quote", required_argument, NULL, KN_CLI_FMT_OPT + 1},                                  \
        {"escape", required_argument, NULL, KN_CLI_FMT_OPT + 2},                                 \
        {"comment", required_argument, NULL, KN_CLI_FMT_OPT + 3},                                \
        {"header", no_argument, NULL, KN_CLI_FMT_OPT + 4},                                       \
        {"no-header", no_argument, NULL, KN_CLI_FMT_OPT + 5},                                    \
        {"skip-rows", required_argument, NULL, KN_CLI_FMT_OPT + 6},                              \
        {"null-token", required_argument, NULL, KN_CLI_FMT_OPT + 7},                             \
        {"fill-missing", no_argument, NULL, KN_CLI_FMT_OPT + 8},                                 \
        {"encoding", required_argument, NULL, KN_CLI_FMT_OPT + 9},                               \
        {"row-tag", required_argument, NULL, KN_CLI_FMT_OPT + 10},                               \
        {"attribute-prefix", required_argument, NULL, KN_CLI_FMT_OPT + 11},                      \
        {"strip-namespaces", no_argument, NULL, KN_CLI_FMT_OPT + 12}
#define KN_CLI_FMT_OPT_COUNT 13

/* The help lines for them. */
extern const char kn_cli_format_usage[];

typedef struct kn_cli_format_opts {
    kn_format_option items[64];
    size_t n;
} kn_cli_format_opts;

/* True when getopt's `code` is a format option; then adds it (value borrowed from argv). */
bool kn_cli_format_opt(kn_cli_format_opts *fo, int code, const char *value, kn_status *st, kn_error *err);

#endif
