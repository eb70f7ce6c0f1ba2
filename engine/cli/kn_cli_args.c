/* engine/cli/kn_cli_args.c */
#include "kn_cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

kn_status kn_cli_parse_size(const char *option, const char *text, uint64_t *out, kn_error *err) {
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"", 1},           {"b", 1},           {"k", 1ull << 10},  {"kb", 1000},
                 {"kib", 1ull << 10}, {"m", 1ull << 20}, {"mb", 1000000},     {"mib", 1ull << 20},
                 {"g", 1ull << 30}, {"gb", 1000000000ull}, {"gib", 1ull << 30}};
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || v < 0)
        return kn_error_set(err, KN_E_USAGE, "%s: '%s' is not a size (try 128MiB)", option, text);
    while (*end == ' ') end++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].suffix) == 0) {
            double bytes = v * (double)units[i].mult;
            if (bytes < 1 || bytes > 1e18)
                return kn_error_set(err, KN_E_USAGE, "%s: '%s' is out of range", option, text);
            *out = (uint64_t)bytes;
            return KN_OK;
        }
    }
    return kn_error_set(err, KN_E_USAGE, "%s: unknown unit in '%s' (use B, KiB, MiB, GiB, KB, MB, GB)", option, text);
}

kn_status kn_cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                           int64_t *out, kn_error *err) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < min || v > max)
        return kn_error_set(err, KN_E_USAGE, "%s: '%s' is not a whole number from %lld to %lld", option, text,
                            (long long)min, (long long)max);
    *out = v;
    return KN_OK;
}

int kn_cli_fail(kn_status status, const kn_error *err) {
    char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 256];
    kn_error_format(err, msg, sizeof msg);
    fprintf(stderr, "kiln: error: %s\n", msg);
    return kn_status_exit_code(status);
}
