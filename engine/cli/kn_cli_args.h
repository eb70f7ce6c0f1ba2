/* engine/cli/kn_cli_args.h: parsing option values shared by the commands. */
#ifndef KN_CLI_ARGS_H
#define KN_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "kn_status.h"

/* A byte size: "1048576", "64KiB", "128MiB", "1GiB", "256MB" (MB = 10^6), "1G" (= GiB).
 * Fails with KN_E_USAGE naming the option. */
kn_status kn_cli_parse_size(const char *option, const char *text, uint64_t *out, kn_error *err);
/* A whole number in [min, max]. */
kn_status kn_cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                           int64_t *out, kn_error *err);
/* Prints "kiln: error: <err>" on stderr and returns the exit code for `status`. */
int kn_cli_fail(kn_status status, const kn_error *err);

#endif
